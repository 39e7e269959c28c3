/* exec_proc.h — one child process of an exec stage (rill/exec.h): started
 * with pipes on its standard input, output and error, fed bytes while its
 * output is read (poll on all three, so neither side waits on a full pipe),
 * its output cut into records by the stage's framing, and ended (stdin
 * closed, output read to its end, the process reaped) or killed.
 *
 * A proc is used by one thread at a time (its worker, or the one closing
 * the stage); it holds no lock. The stage keeps the read end of the
 * child's standard input open too: so writing to a process that has gone
 * never raises SIGPIPE (nothing in the library touches signal dispositions),
 * and the bytes it never read can be counted (FIONREAD) even after it died.
 * A process has died when its standard output reaches end of file, or,
 * checked each second while waiting, when it has exited. */
#ifndef RILL_IO_EXEC_PROC_H
#define RILL_IO_EXEC_PROC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RILL__EXEC_TAIL 2048 /* bytes of standard error kept */

/* Called with each record the process wrote (borrowed for the call); a
 * non-zero return stops the reading and is returned. */
typedef int (*rill__exec_emit_fn)(const unsigned char *data, size_t len, void *ctx);

typedef struct rill__proc {
    pid_t pid;                /* 0: not running */
    int in, out, err;         /* our ends of its pipes; -1: closed */
    int in_r;                 /* the read end of its stdin, kept; -1 */
    int length;               /* framing: 1 length-prefixed, 0 lines */
    size_t max_record;
    unsigned char *buf;       /* owned: output read, not yet a whole record */
    size_t len, cap;
    char tail[RILL__EXEC_TAIL]; /* the end of its standard error, a ring */
    size_t tail_len, tail_at;
    uint64_t written;         /* bytes written to its standard input */
    uint64_t unread;          /* of those, still in the pipe when it failed */
    int status;               /* waitpid's, once reaped */
    int reaped;
    size_t scanned;           /* lines: bytes of buf known to hold no '\n' */
    const atomic_int *stop;   /* borrowed: set when the run stops; NULL */
    int garbage;              /* its output broke the framing */
    char why[160];            /* what broke it */
} rill__proc;

/* What rill__proc_write and rill__proc_finish return besides 0 and
 * negative RILL_E codes (an emit callback's non-zero return is given back
 * as it was, when positive). */
#define RILL__PROC_FAILED (-1000) /* it died or wrote garbage: reaped */

void rill__proc_init(rill__proc *pr, int length, size_t max_record);
/* Starts argv (argv[0] searched in PATH). RILL_ENOTFOUND/RILL_EIO with a
 * message naming label and argv[0] when it cannot be started. */
int rill__proc_start(rill__proc *pr, char *const *argv, const char *label);
/* Writes len bytes while reading what it writes (emit gets each record).
 * Returns 0 once all are written; RILL_ECANCELLED when stop was set while
 * it waited (checked each second); RILL__PROC_FAILED when it died, closed
 * its output or wrote garbage (then it has been drained and reaped, and
 * unread says how many written bytes it never read); or emit's return. */
int rill__proc_write(rill__proc *pr, const void *bytes, size_t len, rill__exec_emit_fn emit,
                     void *ctx);
/* Closes its standard input, reads its output to the end and reaps it.
 * 0 when it exited with status 0; RILL__PROC_FAILED otherwise; or emit's
 * return. */
int rill__proc_finish(rill__proc *pr, rill__exec_emit_fn emit, void *ctx);
/* Kills and reaps it if it runs, closes its pipes and frees its buffers
 * (the proc can be started again). */
void rill__proc_kill(rill__proc *pr);
/* How it ended, for messages: "exited with status 3", "was killed by
 * signal 9 (Killed)", or its garbage; and the end of its standard error as
 * printable text (at most cap bytes with the NUL), "" when it wrote none. */
void rill__proc_status(const rill__proc *pr, char *out, size_t cap);
void rill__proc_stderr(const rill__proc *pr, char *out, size_t cap);

#endif
