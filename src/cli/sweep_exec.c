/* sweep_exec.c — a sweep's trial as an external command (docs/sweep.md):
 * each trial runs the command once, never through a shell, with {NAME} in
 * its arguments replaced by the trial's parameter NAME, {trial}, {seed} or
 * {combination} ({{ and }} are literal braces); its standard input is
 * /dev/null, its standard output must hold one number per output in
 * decimal (separated by blanks, commas or newlines; at most 1 MiB), and it
 * must exit 0. It runs
 * in a process group of its own, with a fresh signal mask, listed while
 * it runs so that rill can stop it when it exits early. Its
 * standard error is kept (the last 1 KiB) for the message when it fails.
 * Runs on the library's worker threads, several at once. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep_cli.h"
#include "xalloc.h"

extern char **environ;

/* The trial commands running: each in a process group of its own (pgid =
 * pid), so a terminal's ^C does not reach them and rill must stop them
 * when it exits early (sweep_exec_stop_all). Lock-free slots, because the
 * signal handler reads them: a slot is taken by compare-and-swap from 0
 * and freed once the child has exited but before it is reaped (so its pid
 * cannot be anyone else's while it is listed). */
#define MAX_LIVE 1024
static _Atomic pid_t live[MAX_LIVE];

static int live_add(pid_t pid)
{
    int i;
    for (i = 0; i < MAX_LIVE; i++) {
        pid_t none = 0;
        if (atomic_compare_exchange_strong(&live[i], &none, pid))
            return i;
    }
    return -1; /* more than MAX_LIVE at once: not listed */
}

void sweep_exec_stop_all(void)
{
    int i;
    for (i = 0; i < MAX_LIVE; i++) {
        pid_t pid = atomic_load(&live[i]);
        if (pid > 0)
            kill(-pid, SIGTERM);
    }
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* The length of a placeholder's name at p (after '{'), when "NAME}" is one. */
static size_t placeholder(const char *p)
{
    size_t n = 0;
    while (name_char(p[n]))
        n++;
    return n > 0 && p[n] == '}' ? n : 0;
}

/* Index of parameter name[0..n) in s, -2 trial, -3 seed, -4 combination,
 * -1 unknown. */
static int lookup(const rill_sweep *s, const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < rill_sweep_params(s); i++)
        if (strlen(rill_sweep_param_name(s, i)) == n &&
            memcmp(rill_sweep_param_name(s, i), name, n) == 0)
            return (int)i;
    if (n == 5 && memcmp(name, "trial", 5) == 0)
        return -2;
    if (n == 4 && memcmp(name, "seed", 4) == 0)
        return -3;
    if (n == 11 && memcmp(name, "combination", 11) == 0)
        return -4;
    return -1;
}

int sweep_exec_check(const sweep_command *c, const char *file, const spec_node *arg)
{
    const char *p = arg->text;
    int bad = 0;
    for (; *p; p++) {
        size_t n;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '{' && (n = placeholder(p + 1)) > 0 && lookup(c->s, p + 1, n) == -1) {
            char known[1024];
            size_t i, used = 0;
            known[0] = '\0';
            for (i = 0; i < rill_sweep_params(c->s) && used < sizeof(known); i++)
                used += (size_t)snprintf(known + used, sizeof(known) - used, "%s, ",
                                         rill_sweep_param_name(c->s, i));
            cli_error_at(file, arg->line, arg->column, "trial: command: unknown parameter "
                         "'%.*s' in {%.*s} (known: %strial, seed, combination; {{ is a "
                         "literal {)", (int)n, p + 1, (int)n, p + 1, known);
            bad = -1;
        }
    }
    return bad;
}

/* The shortest text that reads back as v. */
static void format_number(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, cap, "%.17g", v);
}

/* arg with its placeholders replaced for trial t (caller frees). */
static char *expand(const char *arg, const sweep_command *c, const rill_sweep_trial *t)
{
    size_t cap = strlen(arg) + 1, used = 0;
    char *out = cli_xmalloc(cap);
    const char *p;
    for (p = arg; *p; p++) {
        char val[64];
        size_t n, vl;
        int k;
        val[0] = *p;
        val[1] = '\0';
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
            p++;
        else if (*p == '{' && (n = placeholder(p + 1)) > 0 &&
                 (k = lookup(c->s, p + 1, n)) != -1) {
            if (k >= 0)
                format_number(val, sizeof(val), t->params[k]);
            else if (k == -2)
                snprintf(val, sizeof(val), "%lld", (long long)t->trial);
            else if (k == -3)
                snprintf(val, sizeof(val), "%llu", (unsigned long long)t->seed);
            else
                snprintf(val, sizeof(val), "%zu", t->combination);
            p += n + 1;
        }
        vl = strlen(val);
        if (used + vl + 1 > cap)
            out = cli_xrealloc(out, cap = (used + vl + 1) * 2);
        memcpy(out + used, val, vl);
        used += vl;
    }
    out[used] = '\0';
    return out;
}

#define MAX_STDOUT (1u << 20)

/* Reads the child's stdout (all of it, up to MAX_STDOUT: *over is set when
 * there was more) and the tail of its stderr until both end. */
static void drain(int out_fd, int err_fd, char **out, size_t *out_len, int *over, char *err,
                  size_t cap)
{
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    size_t ocap = 4096, elen = 0;
    *out = cli_xmalloc(ocap);
    *out_len = 0;
    *over = 0;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        char buf[4096];
        int i;
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (i = 0; i < 2; i++) {
            ssize_t r;
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            r = read(fds[i].fd, buf, sizeof(buf));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                continue;
            }
            if (i == 0 && *out_len + (size_t)r > MAX_STDOUT) {
                *over = 1; /* read on, so the command is not stopped by a full pipe */
            } else if (i == 0) {
                if (*out_len + (size_t)r + 1 > ocap)
                    *out = cli_xrealloc(*out, ocap = (*out_len + (size_t)r + 1) * 2);
                memcpy(*out + *out_len, buf, (size_t)r);
                *out_len += (size_t)r;
            } else if (i == 1) { /* keep the last cap-1 bytes */
                size_t keep = (size_t)r >= cap - 1 ? cap - 1 : (size_t)r;
                if (elen + keep > cap - 1) {
                    size_t drop = elen + keep - (cap - 1);
                    memmove(err, err + drop, elen - drop);
                    elen -= drop;
                }
                memcpy(err + elen, buf + r - keep, keep);
                elen += keep;
            }
        }
    }
    (*out)[*out_len] = '\0';
    err[elen] = '\0';
    while (elen > 0 && (err[elen - 1] == '\n' || err[elen - 1] == '\r'))
        err[--elen] = '\0';
}

/* The length of a decimal number at p: [+-] digits [. digits] [e [+-]
 * digits], with a digit before or after the point; 0 when there is none
 * (0x10, inf, nan are not: an output is written in decimal). */
static size_t decimal(const char *p)
{
    size_t i = 0, digits = 0;
    if (p[i] == '+' || p[i] == '-')
        i++;
    while (p[i] >= '0' && p[i] <= '9')
        i++, digits++;
    if (p[i] == '.')
        for (i++; p[i] >= '0' && p[i] <= '9'; i++)
            digits++;
    if (digits == 0)
        return 0;
    if (p[i] == 'e' || p[i] == 'E') {
        size_t j = i + 1;
        if (p[j] == '+' || p[j] == '-')
            j++;
        if (p[j] >= '0' && p[j] <= '9') {
            while (p[j] >= '0' && p[j] <= '9')
                j++;
            i = j;
        }
    }
    return i;
}

/* Parses n numbers out of text; the count found otherwise. */
static size_t numbers(const char *text, double *out, size_t n, int *garbage)
{
    const char *p = text;
    size_t got = 0;
    *garbage = 0;
    for (;;) {
        char *end;
        double v;
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
            p++;
        if (*p == '\0')
            return got;
        v = strtod(p, &end);
        if (decimal(p) == 0 || end != p + decimal(p)) {
            *garbage = 1;
            return got;
        }
        if (got < n)
            out[got] = v;
        got++;
        p = end;
    }
}

int sweep_exec_trial(double *outputs, size_t noutputs, const rill_sweep_trial *t,
                     void *payload)
{
    const sweep_command *c = payload;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, def;
    char **argv = cli_xcalloc(c->argc + 1, sizeof(char *));
    int opipe[2] = {-1, -1}, epipe[2] = {-1, -1}, status = 0, rc = -1, garbage, over, slot;
    char *out = NULL, err[1024];
    size_t i, len, got;
    pid_t pid;
    for (i = 0; i < c->argc; i++)
        argv[i] = expand(c->argv[i], c, t);
    if (pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0) {
        rill_error_set("cannot make a pipe: %s", strerror(errno));
        if (opipe[0] >= 0) {
            close(opipe[0]);
            close(opipe[1]);
        }
        goto done;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
    /* its own process group (a terminal's ^C interrupts the sweep, which
     * takes a checkpoint, not the trials it waits for), a fresh signal mask,
     * SIGPIPE and SIGINT as they are by default (rill ignores SIGPIPE) */
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
    rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(opipe[1]);
    close(epipe[1]);
    opipe[1] = epipe[1] = -1;
    if (rc != 0) {
        rill_error_set("cannot start '%s': %s", argv[0], strerror(rc));
        close(opipe[0]);
        close(epipe[0]);
        rc = -1;
        goto done;
    }
    slot = live_add(pid);
    drain(opipe[0], epipe[0], &out, &len, &over, err, sizeof(err));
    if (slot >= 0) { /* exited (not reaped: its pid is still its own), then unlisted */
        siginfo_t info;
        while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
            ;
        atomic_store(&live[slot], 0);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    rc = -1;
    if (WIFSIGNALED(status))
        rill_error_set("command '%s' was killed by signal %d%s%s", argv[0], WTERMSIG(status),
                       *err ? ": " : "", err);
    else if (WEXITSTATUS(status) != 0)
        rill_error_set("command '%s' exited with status %d%s%s", argv[0], WEXITSTATUS(status),
                       *err ? ": " : "", err);
    else if (over)
        rill_error_set("command '%s' wrote more than %u bytes on its standard output (a "
                       "trial writes one number per output)", argv[0], MAX_STDOUT);
    else if ((got = numbers(out, outputs, noutputs, &garbage)) != noutputs || garbage)
        rill_error_set("command '%s' wrote %s%zu number%s, the sweep has %zu output%s: "
                       "'%.200s'", argv[0], garbage ? "text that is not numbers after " : "",
                       got, got == 1 ? "" : "s", noutputs, noutputs == 1 ? "" : "s", out);
    else
        rc = 0;
done:
    for (i = 0; i < c->argc; i++)
        free(argv[i]);
    free(argv);
    free(out);
    return rc;
}
