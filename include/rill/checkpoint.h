/* rill/checkpoint.h — checkpoints and resume.
 *
 * A checkpointed run saves, every interval and when asked, a consistent cut
 * of its state into an SQLite file (WAL mode, one transaction a
 * checkpoint): the records waiting at every stage, reducer, frame and
 * combine stores, the unclaimed work of splittable stages, held batches, the
 * position of the source, the output files written and how many results
 * were delivered. A run started with resume set continues from the latest
 * checkpoint: init is not called again, results delivered before it are not
 * delivered again (those delivered after it, before the crash, are delivered
 * again: the result and output callbacks see them twice), and output files
 * come out exactly once.
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

/* Version 1 had no replace (it reads as 0). */
#define RILL_CHECKPOINT_OPTIONS_VERSION 2
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
} rill_checkpoint_options;
#define RILL_CHECKPOINT_OPTIONS_INIT {RILL_CHECKPOINT_OPTIONS_VERSION, NULL, 0, 0, 0}

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

#ifdef __cplusplus
}
#endif
#endif
