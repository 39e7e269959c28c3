/* cli_helpers.h — what the tests of the `rill` program share: a scratch
 * folder, writing files into it, and running the built binary (RILL_BIN)
 * as a user would, with its standard output and error captured in files
 * and its exit status returned. */
#ifndef RILL_TESTS_CLI_HELPERS_H
#define RILL_TESTS_CLI_HELPERS_H

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char cli_tmp[256];

static inline int cli_setup(void **state)
{
    (void)state;
    snprintf(cli_tmp, sizeof(cli_tmp), "%s/rill-cli-XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(cli_tmp));
    assert_int_equal(chdir(cli_tmp), 0); /* relative paths of specs: from here */
    return 0;
}

static inline int cli_teardown(void **state)
{
    char cmd[600];
    (void)state;
    assert_int_equal(chdir("/"), 0);
    /* A detached cache recorder of a run (stdin, a command...) may still be
     * finishing its last segment in .rill/cache: give it up to 10 s. */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' 2>/dev/null", cli_tmp);
    for (int i = 0; i < 200 && system(cmd) != 0; i++)
        usleep(50 * 1000);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cli_tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* cli_tmp/name into out (cap 512). */
static inline const char *cli_path(char *out, const char *name)
{
    snprintf(out, 512, "%s/%s", cli_tmp, name);
    return out;
}

static inline void cli_write(const char *name, const char *text)
{
    char path[512];
    FILE *f = fopen(cli_path(path, name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* The whole of a file, NUL-terminated; caller frees. */
static inline char *cli_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    assert_non_null(f);
    assert_non_null(buf);
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

typedef struct cli_result {
    int status; /* exit code; 128 + N when killed by signal N */
    char *out, *err;
} cli_result;

static inline void cli_result_free(cli_result *r)
{
    free(r->out);
    free(r->err);
}

/* Runs argv (argv[0]: the program's path) in the current folder, with
 * stdin from the file in_path (NULL: /dev/null). */
static inline cli_result cli_runv(const char *in_path, const char *const *argv)
{
    char outp[512], errp[512], *args[64];
    cli_result r;
    pid_t pid;
    int status, i;
    cli_path(outp, "stdout");
    cli_path(errp, "stderr");
    for (i = 0; argv[i] && i < 62; i++)
        args[i] = (char *)argv[i];
    args[i] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0)
            _exit(125);
        dup2(in, 0), dup2(out, 1), dup2(err, 2);
        execv(args[0], args);
        _exit(126);
    }
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = cli_slurp(outp);
    r.err = cli_slurp(errp);
    return r;
}

/* rill with the arguments given, NULL-terminated. */
static inline cli_result cli_rill(const char *in_path, ...)
{
    const char *argv[64];
    va_list ap;
    int n = 0;
    argv[n++] = RILL_BIN;
    va_start(ap, in_path);
    while (n < 63 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    return cli_runv(in_path, argv);
}

/* The standard output of a shell command line; caller frees. */
static inline char *cli_shell(const char *cmd)
{
    char outp[512], line[4096];
    cli_path(outp, "shell.out");
    snprintf(line, sizeof(line), "%s > '%s'", cmd, outp);
    assert_int_equal(system(line), 0);
    return cli_slurp(outp);
}

/* Sorted "count word" lines of rill's tsv output (word TAB count), in the
 * form `sort | uniq -c | awk '{print $1, $2}' | sort` gives. */
static inline char *cli_tsv_as_counts(const char *tsv)
{
    char in[512], cmd[1200];
    FILE *f = fopen(cli_path(in, "tsv.in"), "wb");
    assert_non_null(f);
    fputs(tsv, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "awk -F '\\t' '{print $2, $1}' '%s' | LC_ALL=C sort", in);
    return cli_shell(cmd);
}

/* rill with the arguments argv (NULL-terminated, without the program)
 * started in the background: its standard input from in_fd (-1:
 * /dev/null), its output in cli_tmp/stdout and stderr. */
static inline pid_t cli_spawn(int in_fd, const char *const *argv)
{
    char outp[512], errp[512];
    const char *args[64];
    pid_t pid;
    int n = 0;
    args[n++] = RILL_BIN;
    while (n < 63 && argv[n - 1])
        args[n] = argv[n - 1], n++;
    args[n] = NULL;
    cli_path(outp, "stdout");
    cli_path(errp, "stderr");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
        if (in < 0 || out < 0 || err < 0)
            _exit(125);
        dup2(in, 0), dup2(out, 1), dup2(err, 2);
        execv(RILL_BIN, (char *const *)args);
        _exit(126);
    }
    return pid;
}

/* Waits for a cli_spawn'd rill, killing it after a minute (a test must
 * end: it fails then, saying why); its result. */
static inline cli_result cli_wait(pid_t pid, const char *why)
{
    char outp[512], errp[512];
    cli_result r;
    int status, i;
    for (i = 0; i < 600; i++) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        assert_true(got >= 0);
        if (got == pid)
            break;
        usleep(100000);
    }
    if (i == 600) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("rill did not end within a minute%s%s", why ? ": " : "", why ? why : "");
    }
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = cli_slurp(cli_path(outp, "stdout"));
    r.err = cli_slurp(cli_path(errp, "stderr"));
    return r;
}

#endif
