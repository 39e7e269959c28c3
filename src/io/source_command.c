/* source_command.c — the output lines of a command as a live source
 * (rill_read_command): spawned without a shell when the run first asks,
 * read through a pipe, its exit status checked when its output ends, and
 * killed (with its process group) when the run ends before. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live.h"
#include "../core/plan.h"
#include "../util/error.h"

extern char **environ;

#define TAIL 400 /* bytes of standard error kept for the message */

typedef struct command {
    char **argv;        /* owned, NULL-terminated */
    char label[200];    /* the command line, for messages */
    rill__live live;
    pid_t pid;          /* 0: not running */
    int out, err;       /* pipes' read ends; -1: closed */
    int started;        /* in this run */
    int64_t skip;       /* lines still to drop (a resumed run) */
    rill__linebuf lines;
    char tail[TAIL];    /* the last of its standard error, a ring */
    size_t tail_len;    /* bytes ever written to the ring */
} command;

/* Whether name can be run: a path with '/', or found in PATH. */
static int findable(const char *name)
{
    const char *path = getenv("PATH"), *s;
    char buf[4096];
    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    for (s = path ? path : "/usr/bin:/bin"; ; s = strchr(s, ':') + 1) {
        size_t n = strcspn(s, ":");
        struct stat st;
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? s : ".", name);
        if (access(buf, X_OK) == 0 && stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
        if (s[n] == '\0')
            return 0;
    }
}

static void keep_tail(command *c, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        c->tail[(c->tail_len + i) % TAIL] = b[i];
    c->tail_len += n;
}

/* The end of its standard error, on one line, into out. */
static void tail_text(const command *c, char *out, size_t cap)
{
    size_t n = c->tail_len < TAIL ? c->tail_len : TAIL, i, k = 0;
    size_t from = c->tail_len - n;
    while (n > 0 && (c->tail[(from + n - 1) % TAIL] == '\n' ||
                     c->tail[(from + n - 1) % TAIL] == ' '))
        n--;
    for (i = 0; i < n && k + 4 < cap; i++) {
        char ch = c->tail[(from + i) % TAIL];
        if (ch == '\n') {
            memcpy(out + k, " | ", 3);
            k += 3;
        } else {
            out[k++] = (unsigned char)ch < 32 ? ' ' : ch;
        }
    }
    out[k] = '\0';
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int start(command *c)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, rc;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dfl;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        rc = rill__error(RILL_EIO, "cannot start command %s: %s", c->label, strerror(errno));
        close_fd(&po[0]);
        close_fd(&po[1]);
        return rc;
    }
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        return rill__error(RILL_ENOMEM, "cannot start command %s: %s", c->label,
                           strerror(rc));
    }
    if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, po[1], 1)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, pe[1], 2)) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        return rill__error(RILL_ENOMEM, "cannot start command %s: %s", c->label,
                           strerror(rc));
    }
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGHUP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    rc = posix_spawnp(&c->pid, c->argv[0], &fa, &at, c->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        c->pid = 0;
        close(po[0]);
        close(pe[0]);
        return rill__error(rc == ENOENT ? RILL_ENOTFOUND : RILL_EIO,
                           "cannot start command %s: %s", c->label, strerror(rc));
    }
    c->out = po[0];
    c->err = pe[0];
    return 0;
}

/* Writes a command's standard error on to rill's. A stderr whose reader is
 * gone is no matter, and must not kill the process with SIGPIPE: it is
 * blocked for the write, and one it raised taken back. */
static void pass_on(const char *b, size_t n)
{
    sigset_t pipe_set, old;
    ssize_t w;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    w = write(2, b, n);
    if (w < 0 && errno == EPIPE && !sigismember(&old, SIGPIPE)) {
        struct timespec now = {0, 0};
        sigtimedwait(&pipe_set, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Reads what fd has; 0 at its end. Standard error goes on to rill's. */
static ssize_t drain(command *c, int *fd, int is_err)
{
    char b[65536];
    ssize_t n = read(*fd, b, sizeof(b));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n <= 0) {
        close_fd(fd);
        return 0;
    }
    if (is_err) {
        keep_tail(c, b, (size_t)n);
        pass_on(b, (size_t)n);
        return n;
    }
    return rill__linebuf_add(&c->lines, b, (size_t)n) < 0 ? -1 : n;
}

/* How it ended: 0 for an exit with 0, else a failure naming it. */
static int verdict(command *c, int status)
{
    char tail[TAIL * 3 + 1];
    int i;
    for (i = 0; c->err >= 0 && i < 64; i++) { /* what it wrote last */
        struct pollfd pf = {c->err, POLLIN, 0};
        if (poll(&pf, 1, 0) <= 0 || drain(c, &c->err, 1) == 0)
            break;
    }
    close_fd(&c->err);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    tail_text(c, tail, sizeof(tail));
    if (WIFEXITED(status))
        return rill__error(RILL_EIO, "command %s exited with status %d%s%s", c->label,
                           WEXITSTATUS(status), tail[0] ? "; its stderr ended: " : "", tail);
    return rill__error(RILL_EIO, "command %s was killed by signal %d (%s)%s%s", c->label,
                       WTERMSIG(status), strsignal(WTERMSIG(status)),
                       tail[0] ? "; its stderr ended: " : "", tail);
}

/* Its output has ended: waits for it until the time given (ms, on
 * rill__now_ms's clock), reading its standard error meanwhile. 1 when it
 * exited with 0, 0 while it still runs, or a failure naming it. */
static int reap(command *c, long long until)
{
    for (;;) {
        int status;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        long long left = until - rill__now_ms();
        if (r == c->pid) {
            c->pid = 0;
            return verdict(c, status) < 0 ? -1 : 1;
        }
        if (r < 0 && errno != EINTR)
            return rill__error(RILL_EIO, "command %s: %s", c->label, strerror(errno));
        if (left <= 0)
            return 0;
        if (c->err >= 0) {
            struct pollfd pf = {c->err, POLLIN, 0};
            if (poll(&pf, 1, left < 20 ? (int)left : 20) > 0)
                drain(c, &c->err, 1);
        } else {
            usleep(left < 10 ? (useconds_t)left * 1000 : 10000);
        }
    }
}

/* Drops the lines a resumed run gave before its checkpoint. */
static long skip_lines(command *c)
{
    rill_batch *b = NULL;
    long n = 0;
    int rc;
    if ((rc = rill_batch_new(&b)) < 0)
        return rc;
    while (c->skip > 0) {
        size_t want = c->skip < 1024 ? (size_t)c->skip : 1024;
        rill_batch_clear(b);
        if ((n = rill__linebuf_take(&c->lines, b, want, c->label)) <= 0)
            break;
        c->skip -= n;
    }
    rill_batch_free(b);
    return n < 0 ? n : 0;
}

static int command_next(void *self, rill_source_pull *pull)
{
    command *c = self;
    size_t room;
    long long until;
    long n;
    int rc;
    rill__live_begin(&c->live);
    if (!c->started) { /* a resumed run drops what it gave before */
        c->started = 1;
        c->skip = c->live.given = pull->position;
        if ((rc = start(c)) < 0)
            return rc;
    }
    room = rill__live_room(&c->live, pull->batch_records);
    until = rill__now_ms() + rill__live_wait_ms(&c->live);
    for (;;) {
        long long left;
        if (c->skip > 0 && (n = skip_lines(c)) < 0)
            return (int)n;
        if (c->skip == 0 &&
            (n = rill__linebuf_take(&c->lines, pull->out, room, c->label)) < 0)
            return (int)n;
        if (c->out < 0) { /* its output ended */
            if (c->skip > 0) { /* before the lines to drop did: a last partial */
                rill__linebuf_clear(&c->lines); /* one is the last of them */
                c->skip = 0;
            }
            if (c->skip == 0 && rill_batch_count(pull->out) < room &&
                (rc = rill__linebuf_flush(&c->lines, pull->out)) < 0)
                return rc;
            if (c->pid > 0 && (rc = reap(c, until)) < 0)
                return RILL_EIO; /* the message is set */
            if (c->pid == 0 && rill__linebuf_held(&c->lines) == 0 &&
                rill_batch_count(pull->out) == 0)
                return 0;
            break; /* what it gave, or nothing while it still runs */
        }
        if (rill_batch_count(pull->out) > 0 || room == 0)
            break;
        if ((left = until - rill__now_ms()) <= 0 || rill__live_stopped(&c->live))
            break; /* nothing came: answer, so the run can look around */
        {
            struct pollfd pf[2] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}};
            int k = poll(pf, c->err >= 0 ? 2 : 1, rill__live_slice((int)left));
            if (k < 0 && errno != EINTR)
                return rill__error(RILL_EIO, "command %s: %s", c->label, strerror(errno));
            if (k > 0 && c->err >= 0 && pf[1].revents)
                drain(c, &c->err, 1);
            if (k > 0 && pf[0].revents && drain(c, &c->out, 0) < 0)
                return RILL_ENOMEM;
        }
    }
    rill__live_answer(&c->live, pull);
    pull->position = c->live.given;
    if (c->out < 0 && c->pid == 0 && rill__linebuf_held(&c->lines) == 0)
        pull->last = 1;
    return 1;
}

/* Ends the run's process: SIGTERM to its group, SIGKILL after a second. */
static void command_end(void *self)
{
    command *c = self;
    close_fd(&c->out);
    close_fd(&c->err);
    if (c->pid > 0) {
        int status, i;
        kill(-c->pid, SIGTERM);
        for (i = 0; i < 100 && waitpid(c->pid, &status, WNOHANG) == 0; i++)
            usleep(10000);
        if (i == 100) {
            kill(-c->pid, SIGKILL);
            while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        c->pid = 0;
    }
    rill__linebuf_clear(&c->lines);
    c->live.given = 0;
    c->live.t0_ms = 0;
    c->skip = 0;
    c->tail_len = 0;
    c->started = 0;
}

static void command_free(void *self)
{
    command *c = self;
    int i;
    command_end(c);
    rill__linebuf_free(&c->lines);
    for (i = 0; c->argv && c->argv[i]; i++)
        free(c->argv[i]);
    free(c->argv);
    free(c);
}

/* The arguments, then the bounds. */
static int command_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const command *c = self;
    int i, rc = 0;
    (void)p;
    for (i = 0; c->argv[i] && rc == 0; i++)
        rc = rill_batch_add(out, c->argv[i], strlen(c->argv[i]));
    return rc < 0 ? rc : rill__live_describe(&c->live, out);
}

static const rill_source command_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "command",
    .flags = RILL_SOURCE_WAITS | RILL_SOURCE_SEEKS,
    .next = command_next,
    .describe = command_describe,
    .free = command_free,
    .end = command_end,
};

int rill_read_command(rill_pipeline *p, const char *const *argv, const rill_live_options *opts)
{
    command *c;
    int i, n, rc;
    size_t k = 0;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_read_command: the pipeline is NULL");
    if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
        return rill__misuse(p, RILL_EINVAL, "rill_read_command: no command given (argv is "
                            "empty)");
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    c->out = c->err = -1;
    if ((rc = rill__live_init(&c->live, p, "rill_read_command", opts, 0)) < 0) {
        free(c);
        return rc;
    }
    for (n = 0; argv[n]; n++)
        ;
    if ((c->argv = calloc((size_t)n + 1, sizeof(char *))) == NULL) {
        free(c);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    for (i = 0; i < n; i++) {
        if ((c->argv[i] = strdup(argv[i])) == NULL) {
            command_free(c);
            return rill__error(RILL_ENOMEM, "out of memory");
        }
        if (k + 2 < sizeof(c->label)) /* 'prog arg ...' */
            k += (size_t)snprintf(c->label + k, sizeof(c->label) - k, "%s%s", i ? " " : "'",
                                  argv[i]);
    }
    if (k >= sizeof(c->label) - 2) {
        memcpy(c->label + sizeof(c->label) - 6, "...'", 5);
    } else {
        c->label[k] = '\'';
        c->label[k + 1] = '\0';
    }
    if (!findable(argv[0])) {
        rc = rill__misuse(p, RILL_ENOTFOUND, "rill_read_command: cannot start command %s: "
                          "%s", c->label, strchr(argv[0], '/') ? "no such executable file"
                                                              : "not found in PATH");
        command_free(c);
        return rc;
    }
    if ((rc = rill_source_set(p, &command_source, c)) < 0)
        command_free(c);
    return rc;
}
