/* exec_proc.c — one child process of an exec stage: start it, feed it while
 * reading it, cut its output into records, end or kill it (exec_proc.h).
 *
 * Every pipe is made close-on-exec, so a process started by another worker
 * at the same moment inherits none of this one's ends (else its standard
 * input would never see end of file). Our ends are non-blocking; the loops
 * wait in poll on all three pipes at once, with a timeout of a second after
 * which they check whether the child has exited (a grandchild may hold its
 * output open). */
#include "exec_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/error.h"

extern char **environ;

#define READ_CHUNK 65536

void rill__proc_init(rill__proc *pr, int length, size_t max_record)
{
    memset(pr, 0, sizeof(*pr));
    pr->in = pr->out = pr->err = pr->in_r = -1;
    pr->length = length;
    pr->max_record = max_record;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int rill__proc_start(rill__proc *pr, char *const *argv, const char *label)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, rc = 0, e;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    int length = pr->length;
    size_t max_record = pr->max_record;
    const atomic_int *stop = pr->stop;
    rill__proc_kill(pr);
    rill__proc_init(pr, length, max_record);
    pr->stop = stop;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        rc = rill__error_errno(errno, "%s: cannot make pipes for '%s'", label, argv[0]);
        goto done;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE); /* a filter whose reader went should die as on a shell */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0); /* dup2 clears close-on-exec */
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    e = posix_spawnp(&pr->pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (e != 0) {
        pr->pid = 0;
        rc = rill__error_errno(e, "%s: cannot start '%s'", label, argv[0]);
        goto done;
    }
    pr->in = in[1];
    pr->in_r = in[0];
    pr->out = out[0];
    pr->err = err[0];
    in[1] = in[0] = out[0] = err[0] = -1;
    fcntl(pr->in, F_SETFL, fcntl(pr->in, F_GETFL) | O_NONBLOCK);
    fcntl(pr->out, F_SETFL, fcntl(pr->out, F_GETFL) | O_NONBLOCK);
    fcntl(pr->err, F_SETFL, fcntl(pr->err, F_GETFL) | O_NONBLOCK);
done:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&err[0]);
    close_fd(&err[1]);
    return rc;
}

/* Reaps the child if it has exited (block: wait for it). 1 when reaped. */
static int reap(rill__proc *pr, int block)
{
    pid_t r;
    if (pr->reaped || pr->pid == 0)
        return 1;
    do
        r = waitpid(pr->pid, &pr->status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == pr->pid || (r < 0 && errno == ECHILD)) {
        pr->reaped = 1;
        return 1;
    }
    return 0;
}

static int garbage(rill__proc *pr, const char *fmt, unsigned long long n)
{
    pr->garbage = 1;
    snprintf(pr->why, sizeof(pr->why), fmt, n);
    return RILL__PROC_FAILED;
}

/* Emits the whole records in buf (at_eof: and what is left, or garbage). */
static int take(rill__proc *pr, int at_eof, rill__exec_emit_fn emit, void *ctx)
{
    size_t at = 0, rest;
    int rc = 0;
    while (rc == 0 && at < pr->len) {
        rest = pr->len - at;
        if (pr->length) {
            const unsigned char *h = pr->buf + at;
            uint32_t n;
            if (rest < 4)
                break;
            n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
            if (n > pr->max_record)
                return garbage(pr, "wrote a length prefix of %llu bytes, more than max_record "
                               "(not length-prefixed output?)", n);
            if (rest - 4 < n)
                break;
            rc = emit(h + 4, n, ctx);
            at += 4 + (size_t)n;
        } else {
            size_t skip = at == 0 && pr->scanned < rest ? pr->scanned : 0;
            unsigned char *nl = memchr(pr->buf + at + skip, '\n', rest - skip);
            if (nl == NULL) {
                pr->scanned = rest; /* a long line is not searched again */
                break;
            }
            pr->scanned = 0;
            rc = emit(pr->buf + at, (size_t)(nl - (pr->buf + at)), ctx);
            at += (size_t)(nl - (pr->buf + at)) + 1;
        }
    }
    if (at > 0) {
        memmove(pr->buf, pr->buf + at, pr->len - at);
        pr->len -= at;
    }
    if (rc != 0)
        return rc;
    if (!pr->length && pr->len > pr->max_record)
        return garbage(pr, "wrote a line of more than %llu bytes (max_record)",
                       (unsigned long long)pr->max_record);
    if (at_eof && pr->len > 0) {
        if (pr->length)
            return garbage(pr, "ended its output inside a record (%llu bytes left over)",
                           (unsigned long long)pr->len);
        rc = emit(pr->buf, pr->len, ctx); /* a last line without its newline */
        pr->len = 0;
    }
    return rc;
}

/* Reads what its output holds now: 0 (more may come), 1 at end of file, or
 * the failure. */
static int read_out(rill__proc *pr, rill__exec_emit_fn emit, void *ctx)
{
    ssize_t n;
    int rc;
    for (;;) {
        if (pr->cap - pr->len < READ_CHUNK) {
            size_t cap = pr->len + READ_CHUNK;
            unsigned char *b = realloc(pr->buf, cap);
            if (b == NULL)
                return rill__error(RILL_ENOMEM, "out of memory reading a command's output");
            pr->buf = b;
            pr->cap = cap;
        }
        n = read(pr->out, pr->buf + pr->len, pr->cap - pr->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0)
            return rill__error_errno(errno, "reading a command's output");
        if (n == 0) {
            close_fd(&pr->out);
            return (rc = take(pr, 1, emit, ctx)) != 0 ? rc : 1;
        }
        pr->len += (size_t)n;
        if ((rc = take(pr, 0, emit, ctx)) != 0)
            return rc;
    }
}

/* Keeps the end of its standard error; closes it at end of file. */
static void read_err(rill__proc *pr)
{
    char b[4096];
    ssize_t n, i;
    for (;;) {
        n = read(pr->err, b, sizeof(b));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN)
                close_fd(&pr->err);
            return;
        }
        for (i = 0; i < n; i++) {
            pr->tail[pr->tail_at] = b[i];
            pr->tail_at = (pr->tail_at + 1) % RILL__EXEC_TAIL;
        }
        pr->tail_len += (size_t)n;
        if (pr->tail_len > RILL__EXEC_TAIL)
            pr->tail_len = RILL__EXEC_TAIL;
    }
}

/* What is still in its standard input's pipe (never read). */
static void count_unread(rill__proc *pr)
{
    int n = 0;
    pr->unread = 0;
    if (pr->in_r >= 0 && ioctl(pr->in_r, FIONREAD, &n) == 0 && n > 0)
        pr->unread = (uint64_t)n;
}

/* Reads its output and error to their end (or until it has exited and
 * they stay quiet), then reaps it. Returns 0 or a failure of emit. */
static int drain(rill__proc *pr, rill__exec_emit_fn emit, void *ctx)
{
    int rc = 0;
    while (pr->out >= 0 || pr->err >= 0) {
        struct pollfd f[2] = {{pr->out, POLLIN, 0}, {pr->err, POLLIN, 0}};
        int r = poll(f, 2, 1000);
        if (r < 0 && errno != EINTR)
            break;
        if (r == 0 && reap(pr, 0)) /* gone; a grandchild holds its pipes */
            break;
        if (pr->out >= 0 && (f[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            if ((r = read_out(pr, emit, ctx)) < 0 || r > 1 || pr->garbage) {
                rc = pr->garbage ? RILL__PROC_FAILED : r;
                break;
            }
        }
        if (pr->err >= 0 && (f[1].revents & (POLLIN | POLLHUP | POLLERR)))
            read_err(pr);
    }
    if (pr->garbage && !pr->reaped)
        kill(pr->pid, SIGKILL);
    reap(pr, 1);
    close_fd(&pr->in);
    close_fd(&pr->in_r);
    close_fd(&pr->out);
    close_fd(&pr->err);
    return rc;
}

/* It died or broke the framing while being fed: count what it never read,
 * stop it, keep its last output and error, reap it. */
static int failed(rill__proc *pr, rill__exec_emit_fn emit, void *ctx)
{
    int rc;
    count_unread(pr);
    close_fd(&pr->in);
    if (pr->garbage && !pr->reaped)
        kill(pr->pid, SIGKILL);
    rc = drain(pr, emit, ctx);
    return rc == 0 || rc == RILL__PROC_FAILED ? RILL__PROC_FAILED : rc;
}

int rill__proc_write(rill__proc *pr, const void *bytes, size_t len, rill__exec_emit_fn emit,
                     void *ctx)
{
    const unsigned char *b = bytes;
    size_t off = 0;
    int rc;
    for (;;) {
        while (off < len) {
            ssize_t n = write(pr->in, b + off, len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                break;
            if (n < 0)
                return rill__error_errno(errno, "writing to a command's input");
            off += (size_t)n;
            pr->written += (uint64_t)n;
        }
        /* What it wrote meanwhile (never wait for it once all is written). */
        if ((rc = read_out(pr, emit, ctx)) != 0)
            return rc == 1 || pr->garbage ? failed(pr, emit, ctx) : rc;
        if (pr->err >= 0)
            read_err(pr);
        if (off == len)
            return 0;
        {
            struct pollfd f[3] = {{pr->in, POLLOUT, 0}, {pr->out, POLLIN, 0},
                                  {pr->err, POLLIN, 0}};
            int r = poll(f, 3, 1000);
            if (r < 0 && errno != EINTR)
                return rill__error_errno(errno, "waiting on a command's pipes");
            if (r == 0 && reap(pr, 0))
                return failed(pr, emit, ctx);
            if (r == 0 && pr->stop && atomic_load(pr->stop))
                return rill__error(RILL_ECANCELLED, "the run is stopping");
        }
    }
}

int rill__proc_finish(rill__proc *pr, rill__exec_emit_fn emit, void *ctx)
{
    int rc;
    if (pr->pid == 0)
        return 0;
    close_fd(&pr->in); /* end of its input; in_r stays, to count what it leaves */
    {
        /* Drain, but count what it never read once it has gone: */
        while (pr->out >= 0 || pr->err >= 0) {
            struct pollfd f[2] = {{pr->out, POLLIN, 0}, {pr->err, POLLIN, 0}};
            int r = poll(f, 2, 1000);
            if (r < 0 && errno != EINTR)
                break;
            if (r == 0 && reap(pr, 0))
                break;
            if (pr->out >= 0 && (f[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                r = read_out(pr, emit, ctx);
                if (pr->garbage)
                    return failed(pr, emit, ctx);
                if (r < 0 || r > 1)
                    return r;
            }
            if (pr->err >= 0 && (f[1].revents & (POLLIN | POLLHUP | POLLERR)))
                read_err(pr);
        }
    }
    count_unread(pr);
    rc = drain(pr, emit, ctx); /* reaps it and closes the rest */
    if (rc != 0)
        return rc;
    return WIFEXITED(pr->status) && WEXITSTATUS(pr->status) == 0 ? 0 : RILL__PROC_FAILED;
}

void rill__proc_kill(rill__proc *pr)
{
    if (pr->pid > 0 && !pr->reaped) {
        kill(pr->pid, SIGKILL);
        reap(pr, 1);
    }
    close_fd(&pr->in);
    close_fd(&pr->in_r);
    close_fd(&pr->out);
    close_fd(&pr->err);
    free(pr->buf);
    pr->buf = NULL;
    pr->len = pr->cap = 0;
    pr->pid = 0;
}

void rill__proc_status(const rill__proc *pr, char *out, size_t cap)
{
    if (pr->garbage)
        snprintf(out, cap, "%s", pr->why);
    else if (!pr->reaped)
        snprintf(out, cap, "is still running");
    else if (WIFEXITED(pr->status) && WEXITSTATUS(pr->status) == 0)
        snprintf(out, cap, "exited with status 0 before its input ended");
    else if (WIFEXITED(pr->status))
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(pr->status));
    else if (WIFSIGNALED(pr->status))
        snprintf(out, cap, "was killed by signal %d (%s)", WTERMSIG(pr->status),
                 strsignal(WTERMSIG(pr->status)));
    else
        snprintf(out, cap, "ended (wait status %d)", pr->status);
}

void rill__proc_stderr(const rill__proc *pr, char *out, size_t cap)
{
    size_t n = pr->tail_len < cap - 1 ? pr->tail_len : cap - 1, i, o = 0;
    size_t start = (pr->tail_at + RILL__EXEC_TAIL - n) % RILL__EXEC_TAIL;
    if (cap == 0)
        return;
    for (i = 0; i < n; i++) { /* the last n bytes, non-printable ones as '?' */
        unsigned char c = (unsigned char)pr->tail[(start + i) % RILL__EXEC_TAIL];
        out[o++] = (c == '\n' || c == '\t' || (c >= 32 && c < 127)) ? (char)c : '?';
    }
    while (o > 0 && out[o - 1] == '\n')
        o--;
    out[o] = '\0';
    if (pr->tail_len > n || pr->tail_len == RILL__EXEC_TAIL) { /* cut: from a whole line */
        char *nl = strchr(out, '\n');
        if (nl && nl[1])
            memmove(out, nl + 1, strlen(nl + 1) + 1);
    }
}
