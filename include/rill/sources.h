/* rill/sources.h — live sources: records that keep coming while the run
 * goes. The output lines of a command, a followed file (tail -F), and the
 * lines sent to a TCP or Unix socket listener; and rill's own record files
 * read as a source.
 *
 * Each live source is the pipeline's one pulled source (rill/sys/source.h):
 * a pipeline has it instead of a work list or a generator, and its records go
 * to the first stage (inline) or to every stage no edge goes to (graph). A
 * record is a line without its '\n' (a '\r' before it stays); a line that
 * has not ended yet is held until its newline comes, or given as it is when
 * its input ends (the command exits, the connection closes, the followed
 * file is rotated or truncated). A line longer than RILL_LIVE_LINE_MAX bytes
 * fails the run, naming the source.
 *
 * How a run with a live source ends. The command source ends when the
 * command exits; the others never end by themselves. Any of them ends:
 *   - after max_records records, or max_ms milliseconds after the run first
 *     asked it for records (rill_live_options below);
 *   - after max_batches batches (rill_run_options): a batch is what one ask
 *     gave; waiting and getting nothing is not a batch;
 *   - when the run stops: rill_stream_close, a stage that fails, or a
 *     checkpoint's stop. The source waits for input in slices of poll_ms, so
 *     a stopping run is noticed within one. Signals are the program's to
 *     handle (the rill command turns SIGINT into a checkpoint and a stop);
 *   - when the run reads no more input (rill_source_stop, rill/pipeline.h:
 *     the rill command's head): a source waiting for input sees it within
 *     20 ms whatever its poll_ms, and its answer is its last.
 * A run that ends, whichever way, ends what it started: the command is
 * killed (its process group gets SIGTERM, then SIGKILL after a second),
 * connections are closed. A listener stays bound until the pipeline is
 * freed, so that a pipeline run again listens on the same address.
 *
 * Checkpoints and resuming (rill_checkpointing). A checkpoint saves the
 * records given to the run and not yet done with; what a resumed run reads
 * depends on the source:
 *   - followed file: its position is the byte offset of the first line not
 *     given; a resumed run goes on from there in the file the name points to
 *     then, or from its start when that file is now shorter (rotated or
 *     truncated meanwhile). Nothing is read twice or lost while the file
 *     stays the same.
 *   - command: its position is the number of lines given; a resumed run
 *     starts the command again and drops that many of its first lines - right
 *     for a command that prints the same lines again (a listing, a query),
 *     not for one whose output changes.
 *   - listeners: what was sent cannot be asked for again; a resumed run
 *     listens afresh. Lines received after the last checkpoint and before
 *     the stop are lost (at most once).
 *
 * Signatures (rill_pipeline_source_signature): kind "command" (argv and the
 * bounds), "follow" (the path as given, from_end and the bounds), "tcp"
 * (host, the port asked for and the bounds), "unix" (the path and the
 * bounds), "rill-files" (the work list's names). The poll interval is not
 * part of it: it changes when records come, not which. */
#ifndef RILL_SOURCES_H
#define RILL_SOURCES_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest line a live source gives (64 MiB). */
#define RILL_LIVE_LINE_MAX ((size_t)64 << 20)

#define RILL_LIVE_OPTIONS_VERSION 1
typedef struct rill_live_options {
    unsigned version;    /* RILL_LIVE_OPTIONS_VERSION */
    int64_t max_records; /* the source ends after this many records; 0: no bound
                            (a resumed run counts those given before its
                            checkpoint, except a followed file's) */
    int64_t max_ms;      /* ... this many milliseconds after the run first asked
                            it for records; 0: no bound */
    int poll_ms;         /* how long it waits for input at a time (a followed
                            file: how often it looks at the file); 0: 100 */
    int from_end;        /* rill_follow_file: start at the file's end (lines
                            already there are skipped); others: must be 0 */
} rill_live_options;
#define RILL_LIVE_OPTIONS_INIT {RILL_LIVE_OPTIONS_VERSION, 0, 0, 0, 0}

/* Every call below makes the source p pulls; opts NULL: defaults. Refused
 * (RILL_EINVAL, and the pipeline remembers it as for rill_job) with options
 * of another version or negative bounds; RILL_EPIPELINE when p already has a
 * pulled source. A pipeline with a work list or a generator as well is
 * refused at validation. */

/* The output lines of a command. argv: the program and its arguments,
 * NULL-terminated, copied; the program is looked for in PATH when its name
 * has no '/', and run directly, never through a shell, with its standard
 * input from /dev/null, in a process group of its own. It is started when
 * the run first asks for records. A program that cannot be found (or is not
 * executable) is RILL_ENOTFOUND naming it, here, before anything runs; one
 * that still fails to start fails the run with a message naming it. Its
 * standard error goes on to rill's; the last of it is kept. When its output
 * ends the command is waited for: an exit status other than 0, or a death
 * by a signal, fails the run with a message naming the command, the status
 * and the end of its standard error. */
RILL_EXTERN int rill_read_command(rill_pipeline *p, const char *const *argv,
                                  const rill_live_options *opts);

/* A file followed as tail -F does: read from its start (or its end:
 * from_end), then every line appended to it, looked for every poll_ms. When
 * its name comes to point to another file (rotation: the old one renamed,
 * a new one created) the old one is read to its end and the new one from its
 * start; when it shrinks (truncation) it is read again from its start. A
 * file that does not exist yet is waited for. path: copied. */
RILL_EXTERN int rill_follow_file(rill_pipeline *p, const char *path,
                                 const rill_live_options *opts);

/* A TCP listener on host ("127.0.0.1", "::1", "localhost", "0.0.0.0"...;
 * NULL: every address) and port (0: one the system picks), bound here, so
 * that an address in use is an error before anything runs (RILL_EIO naming
 * it). Any number of clients may connect, at once or one after the other; a
 * record per line from each. *bound_port, when not NULL, gets the port bound
 * (the one picked for 0). The socket is closed when p is freed. Under MPI
 * only rank 0 binds (it pulls the source); the other ranks bind nothing. */
RILL_EXTERN int rill_listen_tcp(rill_pipeline *p, const char *host, int port,
                                const rill_live_options *opts, int *bound_port);

/* The same on a Unix stream socket at path (copied), created here. A socket
 * left there by a listener that is gone is replaced; a live one, or a file
 * that is not a socket, is RILL_EEXISTS naming the path. The socket file is
 * removed when p is freed. */
RILL_EXTERN int rill_listen_unix(rill_pipeline *p, const char *path,
                                 const rill_live_options *opts);

/* rill's record files (docs/record-format.md) as a splittable stage named
 * name, like rill_read_lines: each record of the work list is a path or a
 * glob (or "-", standard input), and every record of every file is emitted
 * with its key, in order, one file per unit of work (files are read in
 * parallel, a file is not split). A file that is not a rill record file,
 * or that ends inside a record, fails the run with RILL_ECORRUPT naming
 * the file and the offset. */
RILL_EXTERN int rill_read_rill_files(rill_pipeline *p, const char *name);

#ifdef __cplusplus
}
#endif
#endif
