/* rill/exec.h — an external command as a stage.
 *
 *     const char *argv[] = {"awk", "$2 > 10 { print $1 }", NULL};
 *     rill_exec_options o = RILL_EXEC_OPTIONS_INIT;
 *     o.argv = argv;
 *     rill_exec(p, "big", &o);
 *
 * The command runs as one long-lived process per worker that calls the
 * stage, started (argv[0] searched in PATH when it holds no '/', never
 * through a shell) with the first records that worker brings it, with
 * rill's environment and a fresh signal mask. Each record's data is written
 * to its standard input and what it writes to its standard output becomes
 * records, emitted to the stage's successors; its standard error is kept,
 * the last 2 KiB of it, for messages. Keys are not sent: only data.
 *
 * Framing, the same both ways:
 *   RILL_EXEC_LINES   a record is a line: its bytes then '\n'. A record that
 *                     holds a '\n' cannot be written (the stage fails on it,
 *                     or skips it). Out, each line without its '\n' is a
 *                     record, and a last line without one at the end too.
 *   RILL_EXEC_LENGTH  a record is 4 bytes of length, big-endian unsigned,
 *                     then that many bytes (0 is an empty record). Out, a
 *                     length above max_record, or bytes that end inside a
 *                     record, are garbage.
 *
 * Output is not matched to input: a command may write any number of records
 * for each it reads (a filter, awk), and write them when it likes. Each call
 * of the stage writes its batch while reading what the command writes (poll
 * on both pipes, so a command whose output fills its pipe never deadlocks
 * the stage), emits what came back, and returns once the batch is written:
 * what the command writes later goes out with a later batch. When the
 * stage's input ends (its kind's close), each process's standard input is
 * closed and its output read to the end of file, and it must exit with
 * status 0. Nothing is lost at the end, but which batch a record comes out
 * with, and the order of records from several workers, is not defined.
 *
 * Input ends per reduction. In a pipeline of streaming stages on one rank,
 * the stage's input ends when every stage before it has closed. With
 * reducers, combines or frames, or over several ranks, each reduction the
 * stage's records come under (the whole run's, a frame's round, a scope
 * opened per record) has processes of its own, one per worker that calls
 * the stage under it: what a process writes belongs to its reduction. When
 * nothing of a reduction is left but what such stages hold, the first of
 * them (in the order records flow) closes its processes' input and reads
 * them to the end, and so on: a reducer after an exec stage gets every
 * line the command writes before it finishes, including what the command
 * writes only when its input ends. A scope opened per record starts a
 * process per record that reaches the stage (one at a time per worker: a
 * reduction's close runs before calls under other reductions), and records
 * that come back to the stage after its close (recurred by a reducer or
 * frame end) start new ones: put the exec stage where its reduction is
 * large (the top level, or a gathering reducer's scope). Under
 * MPI the stage's calls run on the rank that opened their reduction (the
 * whole run's: rank 0), which starts the processes. Inline or as a node of
 * a graph (rill_edge).
 *
 * Checkpoints. At each checkpoint (every worker between tasks) the input
 * of every process is closed and its output read to the end, and what it
 * writes is saved with the checkpoint; the next call starts a new process.
 * So a kill after a checkpoint loses nothing the commands held. A command
 * whose output depends on all of its input (sort, uniq -c, an awk END
 * block) gives a result per checkpoint, as it gives one per worker and per
 * reduction. Over several ranks a checkpointed pipeline with an exec stage
 * is refused by name.
 *
 * Failures. A process that dies (exits before its input ended, exits
 * non-zero or is killed by a signal) or writes garbage stops the run with
 * RILL_EUSER and a message naming the stage, the command, its exit status or
 * signal and the end of its standard error. With on_error RILL_EXEC_SKIP
 * the record being processed instead goes to the dead-letter file, the
 * process is restarted and the run goes on. The record being processed is
 * the one holding the last byte the process took from its standard input
 * (the stage knows how much of the pipe is unread): exact for a command that
 * reads no further than the record it works on; a command that reads ahead
 * in blocks (awk, most of coreutils) is blamed on the last record of the
 * block it read, and what the block held before it counts as processed. The
 * records it had not read are given to the new process. A process that dies
 * having read nothing, or a record that cannot be written at all, still
 * stops the run (there is no record to blame, or nothing to restart).
 *
 * The dead-letter file holds each skipped record in the stage's framing (a
 * line, or length and bytes); it is created (or truncated) at a run's first
 * skip, so a run that skips nothing leaves the path alone; NULL: skipped
 * records are only counted. A command that cannot be found is refused when
 * the stage is added (RILL_ENOTFOUND, remembered as the pipeline's build
 * error, so rill_pipeline_validate and rill_run report it before any record
 * flows); one that cannot be started for another reason fails the run. */
#ifndef RILL_EXEC_H
#define RILL_EXEC_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rill_exec_framing {
    RILL_EXEC_LINES = 0, /* a record per line, '\n'-terminated (default) */
    RILL_EXEC_LENGTH = 1 /* 4-byte big-endian length, then the bytes */
} rill_exec_framing;

typedef enum rill_exec_on_error {
    RILL_EXEC_STOP = 0, /* a failing process stops the run (default) */
    RILL_EXEC_SKIP = 1  /* its record goes to the dead letters; go on */
} rill_exec_on_error;

#define RILL_EXEC_OPTIONS_VERSION 1
typedef struct rill_exec_options {
    unsigned version;
    /* Required: the program and its arguments, NULL-terminated, argv[0]
     * non-empty. Copied by rill_exec. */
    const char *const *argv;
    int framing;             /* rill_exec_framing; default RILL_EXEC_LINES */
    int on_error;            /* rill_exec_on_error; default RILL_EXEC_STOP */
    const char *dead_letter; /* path for skipped records; copied; NULL: none */
    size_t max_record;       /* largest record the command may write (bytes,
                                a line without its '\n'); 0: 64 MiB */
} rill_exec_options;
#define RILL_EXEC_OPTIONS_INIT \
    {RILL_EXEC_OPTIONS_VERSION, NULL, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL, 0}

/* Appends a stage running opts->argv (see above) to p, in the inline order
 * or as a graph node. name: copied, unique. Its batch_size, concurrency and
 * serial are set as a task's are (rill_configure). Refused as the registering
 * calls of pipeline.h are, with RILL_EINVAL for NULL options or argv, an
 * unknown framing or on_error; RILL_ENOTFOUND for a command that is not an
 * executable file (in PATH). */
RILL_EXTERN int rill_exec(rill_pipeline *p, const char *name, const rill_exec_options *opts);

/* *out: how many records the exec stage named name skipped (on_error
 * RILL_EXEC_SKIP) in p's latest run, or in the one running. RILL_ENOTFOUND
 * when p has no exec stage of that name. */
RILL_EXTERN int rill_exec_skipped(uint64_t *out, const rill_pipeline *p, const char *name);

#ifdef __cplusplus
}
#endif
#endif
