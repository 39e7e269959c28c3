/* rill/checkpoint.h — checkpoints and resume.
 *
 * A checkpointed run saves, every interval and when asked, a consistent cut
 * of its state into an SQLite file (WAL mode, one transaction a
 * checkpoint): the records waiting at every stage, reducer, frame and
 * combine stores, the unclaimed work of splittable stages, held batches, the
 * position of the source, the output files written and how many results
 * were delivered. A run started with resume set continues from the latest
 * checkpoint: init is not called again, and output files come out exactly
 * once.
 *
 * Results exactly once. In a checkpointed run the records leaving the
 * stream are held, in the order they left it, until a checkpoint that
 * covers them is committed (a timed one, a requested one, or the one that
 * completes the run); the held records are part of that checkpoint. Only
 * then are they given to the result callback and to an output that keeps
 * no state of its own (rill_output's callback, a sink without save), each
 * with a sequence number (rill_result_sequence) that stays the same across
 * resumes: what a callback was given before a crash is given again on
 * resume with the numbers it had. The window that remains: records whose
 * checkpoint was committed and that were being given when the process
 * died are given again, with the same numbers; a callback that remembers
 * the highest number it has acted on (in its own durable store) is exactly
 * once. Results wait for a checkpoint: at most an interval (with interval
 * 0, until a requested checkpoint or the end of the run). The results
 * batch of rill_run and output files (rill_output_dir) are exactly once
 * without this. finish is called after every result was given; a crash
 * after the run completed and before it ended calls it again on resume.
 * Set at_once to give results as they come instead (at least once: those
 * after the last checkpoint are given again on resume, maybe in another
 * order and under other numbers).
 *
 * What resume asks of a pipeline: stages are deterministic and have no
 * outside side effects except through result/output (work done after the
 * last checkpoint is done again); stores are plain bytes, or have encode
 * and decode callbacks; a generator gives the same batches again (those
 * consumed before the checkpoint are generated and dropped). */
#ifndef RILL_CHECKPOINT_H
#define RILL_CHECKPOINT_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version 1 had no replace, version 2 no at_once (they read as 0). */
#define RILL_CHECKPOINT_OPTIONS_VERSION 3
typedef struct rill_checkpoint_options {
    unsigned version;
    /* copied; NULL: .rill/<fingerprint>.db in the working directory, a file
     * per pipeline (the fingerprint, 16 hex digits, is a hash of its stages,
     * their options and its work list: a pipeline changed in any of them
     * has another file, and resumes nothing of the old one's) */
    const char *path;
    double interval;  /* seconds between checkpoints, counted from the end of
                         the last one (less than 0.001 counts as 0.001; a
                         timed checkpoint waits for work done since the
                         last); 0: only when requested */
    int resume;       /* continue from the file's checkpoint when it has one */
    /* 1: a run may write over a checkpoint in the file that it cannot resume
     * (another pipeline's that has not finished, or a damaged one) and
     * start over; 0: such a run is refused (below) */
    int replace;
    /* 1: results go to the result and output callbacks as they come, not
     * held until a checkpoint covers them (above): at least once */
    int at_once;
} rill_checkpoint_options;
#define RILL_CHECKPOINT_OPTIONS_INIT {RILL_CHECKPOINT_OPTIONS_VERSION, NULL, 0, 0, 0, 0}

/* Makes p's runs checkpointed. rill_run refuses, with nothing written:
 * - RILL_EBUSY when another run uses the file (in this process or another,
 *   "in use by process N"): a run holds the file from its start to its end;
 * - RILL_EEXISTS when the file holds another pipeline's checkpoint of a run
 *   that did not finish, and replace is not set (without resume: a run of
 *   the same pipeline without resume starts over in its own file);
 * - RILL_EPIPELINE when resume is set and the file's checkpoint is another
 *   pipeline's (a finished one too), and replace is not set;
 * - RILL_ECORRUPT when the file is damaged (also any byte of the checkpoint
 *   that decides what a resume does: it is covered by a digest), unless
 *   replace is set and the file is still an SQLite database of rill's;
 * - RILL_EVERSION when it comes from another rill.
 * Resuming a run that finished returns RILL_EFINISHED. */
RILL_EXTERN int rill_checkpointing(rill_pipeline *p, const rill_checkpoint_options *opts);
/* Asks the running run of p for a checkpoint as soon as it can take one
 * (any thread, also from a callback). It is taken when every worker is
 * between tasks: work emitted meanwhile is queued rather than run at once,
 * and a job's task hands the records it has not called yet to the queue,
 * so a long chain of inline work or a long task does not hold it back (a
 * single callback that runs long still does). */
RILL_EXTERN int rill_checkpoint_request(rill_pipeline *p);
/* Whether the run of p that is going, or went last, continued from a
 * checkpoint of its state file: 1 when it did (set before any callback of
 * the run is called), 0 when it started from the beginning (also with
 * resume set, when the file held no checkpoint); RILL_EINVAL for NULL.
 * Under MPI rank 0 restores, and knows. */
RILL_EXTERN int rill_checkpoint_restored(const rill_pipeline *p);
/* How many checkpoints the run of p that is going, or went last, has
 * committed (any thread, also while it runs): each counts once it is
 * committed and the results it held were given to the callbacks. A program
 * that stops on a signal asks for one (rill_checkpoint_request), waits for
 * this to grow, and may then exit with nothing lost. RILL_EINVAL for NULL. */
RILL_EXTERN long long rill_checkpoint_count(const rill_pipeline *p);

#ifdef __cplusplus
}
#endif
#endif
