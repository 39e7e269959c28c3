/* test_cli_io.c — the `rill` program's live sources, exec stage and plugins,
 * spawned as a user runs it: a command's output, a file followed while the
 * test appends to it, a TCP listener on 127.0.0.1 and a Unix socket fed by
 * the test, awk as an exec stage (compared with awk run directly), skipped
 * records and their dead-letter file, the example plugin's job and reducer,
 * examples/exec.yaml and plugin.yaml, and the spec errors (file:line:column, exit 2) of a missing plugin,
 * entry or command; exec before and after a count. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "cli_helpers.h"

/* rill run spec -q [extra] started in the background, its standard output
 * and error in cli_tmp/stdout and stderr. */
static pid_t spawn_rill(const char *spec, const char *extra)
{
    const char *const argv[] = {"run", "-q", spec, extra, NULL};
    return cli_spawn(-1, argv);
}

/* Waits for it (killing it after a minute: a test must end); its result. */
static cli_result wait_rill(pid_t pid)
{
    return cli_wait(pid, NULL);
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void append(const char *name, const char *text)
{
    char path[512];
    FILE *f = fopen(cli_path(path, name), "ab");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The sorted lines of text, through sort(1). */
static char *sorted(const char *text)
{
    char in[512], cmd[700];
    FILE *f = fopen(cli_path(in, "sort.in"), "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "LC_ALL=C sort '%s'", in);
    return cli_shell(cmd);
}

/* Sends text to a listener, connecting again until it listens (it binds
 * while the spec is built, a moment after it starts). */
static void send_to(const struct sockaddr *addr, socklen_t len, const char *text)
{
    int fd = -1, i;
    for (i = 0; i < 200; i++) {
        fd = socket(addr->sa_family, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        if (connect(fd, addr, len) == 0)
            break;
        close(fd);
        fd = -1;
        sleep_ms(50);
    }
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* A port of 127.0.0.1 free a moment ago. */
static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void test_command_source(void **state)
{
    cli_result r;
    char *expect, *got;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: nums, kind: command, command: [seq, 1, 2000]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    /* the order across workers is not defined */
    expect = cli_shell("seq 1 2000 | LC_ALL=C sort");
    got = sorted(r.out);
    assert_string_equal(got, expect);
    free(got);
    free(expect);
    cli_result_free(&r);
}

static void test_command_source_fails_with_its_status(void **state)
{
    cli_result r;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: bad, kind: command, command: [sh, -c, 'echo a; "
                           "echo oops >&2; exit 7']}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "oops"));
    cli_result_free(&r);
}

static void test_follow_appends(void **state)
{
    cli_result r;
    pid_t pid;
    (void)state;
    cli_write("app.log", "one\ntwo\n");
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: log, kind: follow, path: app.log, max_records: 5}\n"
                           "output: {format: lines}\n");
    pid = spawn_rill("spec.yaml", NULL);
    sleep_ms(300);
    append("app.log", "three\n");
    sleep_ms(300);
    append("app.log", "four\nfive\nsix\n");
    r = wait_rill(pid);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "one\ntwo\nthree\nfour\nfive\n");
    cli_result_free(&r);
}

static void test_follow_from_end(void **state)
{
    cli_result r;
    pid_t pid;
    int i;
    (void)state;
    cli_write("app.log", "old\n");
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: log, kind: follow, path: app.log, from_end: true,\n"
                           "     max_records: 1, poll_ms: 20}\n"
                           "output: {format: lines}\n");
    pid = spawn_rill("spec.yaml", NULL);
    /* appended until the run takes one: when it started is not known */
    for (i = 0; i < 100; i++) {
        siginfo_t info;
        memset(&info, 0, sizeof(info));
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == pid)
            break; /* ended: left for wait_rill */
        sleep_ms(200);
        append("app.log", "new\n");
    }
    r = wait_rill(pid);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "new\n");
    cli_result_free(&r);
}

static void test_tcp_source(void **state)
{
    struct sockaddr_in a;
    char spec[300];
    cli_result r;
    pid_t pid;
    int port = free_port();
    (void)state;
    snprintf(spec, sizeof(spec), "sources:\n"
                                 "  - {name: net, kind: tcp, port: %d, max_records: 3}\n"
                                 "output: {format: lines}\n", port);
    cli_write("spec.yaml", spec);
    pid = spawn_rill("spec.yaml", NULL);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    send_to((struct sockaddr *)&a, sizeof(a), "alpha\nbeta\ngamma\n");
    r = wait_rill(pid);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "alpha\nbeta\ngamma\n");
    cli_result_free(&r);
}

static void test_unix_source(void **state)
{
    struct sockaddr_un a;
    char path[512];
    cli_result r;
    pid_t pid;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: sock, kind: unix, path: in.sock, max_records: 2}\n"
                           "output: {format: lines}\n");
    pid = spawn_rill("spec.yaml", NULL);
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    cli_path(path, "in.sock");
    assert_true(strlen(path) < sizeof(a.sun_path));
    memcpy(a.sun_path, path, strlen(path) + 1);
    send_to((struct sockaddr *)&a, sizeof(a), "first\nsecond\n");
    r = wait_rill(pid);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "first\nsecond\n");
    assert_int_equal(access(path, F_OK), -1); /* removed at the end */
    cli_result_free(&r);
}

static void test_exec_awk_as_awk(void **state)
{
    static const char *prog = "$2 > 10 { print $1 \"-\" $2 * 3 }";
    char text[20000], spec[600], cmd[700];
    size_t len = 0;
    cli_result r;
    char *got, *expect;
    int i;
    (void)state;
    for (i = 0; i < 1000; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "w%d %d\n", i, (i * 7) % 23);
    cli_write("in.txt", text);
    snprintf(spec, sizeof(spec), "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {name: big, kind: exec, command: [awk, '%s']}\n"
                                 "output: {format: lines}\n", prog);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "-w", "2", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    snprintf(cmd, sizeof(cmd), "awk '%s' in.txt | LC_ALL=C sort", prog);
    expect = cli_shell(cmd);
    assert_true(strlen(expect) > 100);
    got = sorted(r.out);
    assert_string_equal(got, expect);
    free(got);
    free(expect);
    cli_result_free(&r);
}

static const char skip_spec[] =
    "sources:\n"
    "  - {name: nums, kind: command, command: [seq, 1, 8]}\n"
    "stages:\n"
    "  - name: flaky\n"
    "    kind: exec\n"
    "    on_error: skip\n"
    "    command: [sh, -c, 'while read x; do [ \"$x\" = 3 ] && exit 1; echo \"v$x\"; done']\n"
    "output: {format: lines}\n";

static void test_exec_skip_dead_letter(void **state)
{
    cli_result r;
    char path[512], *dead, *got;
    (void)state;
    cli_write("spec.yaml", skip_spec);
    r = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    got = sorted(r.out);
    assert_string_equal(got, "v1\nv2\nv4\nv5\nv6\nv7\nv8\n");
    assert_non_null(strstr(r.err, "stage 'flaky' skipped 1 record (in ./flaky.dead-letter)"));
    dead = cli_slurp(cli_path(path, "flaky.dead-letter"));
    assert_string_equal(dead, "3\n");
    free(dead);
    free(got);
    cli_result_free(&r);

    /* with -o DIR, beside the output */
    r = cli_rill(NULL, "run", "-w", "1", "-o", "out", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "skipped 1 record (in out/flaky.dead-letter)"));
    dead = cli_slurp(cli_path(path, "out/flaky.dead-letter"));
    assert_string_equal(dead, "3\n");
    free(dead);
    cli_result_free(&r);
}

static void test_exec_stop_fails_run(void **state)
{
    cli_result r;
    char path[512];
    (void)state;
    cli_write("spec.yaml", skip_spec);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", "-s", "flaky.on_error=stop", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "flaky"));
    assert_int_equal(access(cli_path(path, "flaky.dead-letter"), F_OK), -1);
    cli_result_free(&r);
}

static void test_plugin_job(void **state)
{
    cli_result r;
    char spec[800];
    char *expect;
    (void)state;
    cli_write("in.txt", "hello world\nMixed Case 42\nlast\n");
    snprintf(spec, sizeof(spec), "plugins: [%s]\n"
                                 "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {name: up, kind: plugin, function: upper}\n"
                                 "  - {name: pre, kind: plugin, function: prefix, text: '> '}\n"
                                 "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    expect = cli_shell("tr a-z A-Z < in.txt | sed 's/^/> /' | LC_ALL=C sort");
    {
        char *got = sorted(r.out);
        assert_string_equal(got, expect);
        free(got);
    }
    free(expect);
    cli_result_free(&r);
}

static void test_plugin_reducer_by_bare_name(void **state)
{
    cli_result r;
    char dir[512], env[600];
    double mean = 0;
    const char *slash = strrchr(EXAMPLE_PLUGIN, '/');
    (void)state;
    /* a bare name is looked for in RILL_PLUGIN_PATH */
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - EXAMPLE_PLUGIN), EXAMPLE_PLUGIN);
    snprintf(env, sizeof(env), "RILL_PLUGIN_PATH=/nonexistent:%s", dir);
    putenv(env);
    cli_write("in.txt", "a\nbb\nccc\ndddddddddd\n");
    cli_write("spec.yaml", "sources: [in.txt]\n"
                           "stages:\n"
                           "  - {name: m, kind: plugin, plugin: libexample_plugin.so,\n"
                           "     function: mean_length}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    unsetenv("RILL_PLUGIN_PATH");
    assert_int_equal(r.status, 0);
    /* one double, its 8 bytes, and the line's end */
    assert_int_equal(r.out[8], '\n');
    memcpy(&mean, r.out, sizeof(mean));
    assert_true(mean > 3.99 && mean < 4.01); /* (1 + 2 + 3 + 10) / 4 */
    cli_result_free(&r);
}

/* A plugin's source (options as key=value), frame and frame end (the
 * entry's frame recurs int64 n into the frame n times, the end sums what
 * reaches it: n records of 8 bytes through lengths, so 8n), and fragment. */
static void test_plugin_source_frame_fragment(void **state)
{
    char spec[900];
    int64_t got[3];
    cli_result r;
    char *expect, *text;
    int i;
    (void)state;
    snprintf(spec, sizeof(spec),
             "plugins: [%s]\n"
             "sources:\n"
             "  - {name: n, kind: plugin, function: numbers, start: 1, count: 3}\n"
             "stages:\n"
             "  - {name: loop, kind: plugin, function: rounds}\n"
             "  - {name: len, kind: plugin, function: lengths}\n"
             "  - {name: loop-end, kind: plugin, function: rounds, end: true}\n"
             "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    for (i = 0; i < 3; i++) { /* three int64 records, each a line */
        assert_int_equal(r.out[i * 9 + 8], '\n');
        memcpy(&got[i], r.out + i * 9, 8);
    }
    assert_int_equal(got[0] + got[1] + got[2], 8 * (1 + 2 + 3));
    assert_true(got[0] != got[1] && got[1] != got[2] && got[0] != got[2]);
    for (i = 0; i < 3; i++)
        assert_true(got[i] == 8 || got[i] == 16 || got[i] == 24);
    cli_result_free(&r);

    cli_write("in.txt", "Abc\nB\nHELLO there\nxy\nLonger LINE\n");
    snprintf(spec, sizeof(spec),
             "sources: [in.txt]\n"
             "stages:\n"
             "  - {name: cl, kind: plugin, plugin: %s, function: clean, min: 3}\n"
             "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    expect = cli_shell("awk 'length($0) >= 3 { print tolower($0) }' in.txt | LC_ALL=C sort");
    text = sorted(r.out);
    assert_string_equal(text, expect);
    free(text);
    free(expect);
    cli_result_free(&r);
}

/* examples/exec.yaml and examples/plugin.yaml, run from the source folder
 * as their comments say, on a text of the test's; compared with awk and
 * with tr and sed. */
static void test_examples(void **state)
{
    char text[512], files[600], cmd[1500], dir[512], env[600];
    const char *slash = strrchr(EXAMPLE_PLUGIN, '/');
    cli_result r;
    char *got, *expect;
    (void)state;
    cli_write("book.txt", "Notwithstanding the incomprehensibilities of it,\n"
                          "short lines stay short; CHARACTERISTICALLY uppercase too\n"
                          "and internationalization, counterrevolutionaries.\n");
    cli_path(text, "book.txt");
    snprintf(files, sizeof(files), "text.files=%s", text);
    assert_int_equal(chdir(SOURCE_DIR), 0);
    r = cli_rill(NULL, "run", "-q", "examples/exec.yaml", "-s", files, NULL);
    assert_int_equal(r.status, 0);
    snprintf(cmd, sizeof(cmd), "awk -f '%s/examples/scripts/longwords.awk' '%s' | LC_ALL=C sort"
                               " | uniq -c | awk '{print $1, $2}' | LC_ALL=C sort",
             SOURCE_DIR, text);
    expect = cli_shell(cmd);
    assert_true(strlen(expect) > 20);
    got = cli_tsv_as_counts(r.out);
    assert_string_equal(got, expect);
    free(got);
    free(expect);
    cli_result_free(&r);

    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - EXAMPLE_PLUGIN), EXAMPLE_PLUGIN);
    snprintf(env, sizeof(env), "RILL_PLUGIN_PATH=%s", dir);
    putenv(env);
    r = cli_rill(NULL, "run", "-q", "examples/plugin.yaml", "-s", files, NULL);
    unsetenv("RILL_PLUGIN_PATH");
    assert_int_equal(chdir(cli_tmp), 0);
    assert_int_equal(r.status, 0);
    expect = cli_shell("tr a-z A-Z < book.txt | sed 's/^/> /' | LC_ALL=C sort");
    got = sorted(r.out);
    assert_string_equal(got, expect);
    free(got);
    free(expect);
    cli_result_free(&r);
}

/* The error of rill check spec: exit 2 and where in stderr. */
static void check_refused(const char *where, const char *what)
{
    cli_result r = cli_rill(NULL, "check", "spec.yaml", NULL);
    assert_int_equal(r.status, 2);
    if (strstr(r.err, where) == NULL || strstr(r.err, what) == NULL)
        fail_msg("expected '%s' ... '%s' in: %s", where, what, r.err);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "spec.yaml", NULL); /* nothing runs either */
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, where));
    cli_result_free(&r);
}

static void test_missing_plugin(void **state)
{
    (void)state;
    cli_write("spec.yaml", "sources: [in.txt]\n"
                           "stages:\n"
                           "  - {name: up, kind: plugin, plugin: ./nowhere.so, function: upper}\n");
    check_refused("spec.yaml:3:38: ", "nowhere.so");
    cli_write("spec.yaml", "plugins:\n"
                           "  - libnowhere.so\n"
                           "sources: [in.txt]\n");
    check_refused("spec.yaml:2:5: ", "libnowhere.so");
}

static void test_missing_function(void **state)
{
    char spec[800];
    (void)state;
    snprintf(spec, sizeof(spec), "plugins: [%s]\n"
                                 "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {name: x, kind: plugin, function: nosuch}\n",
             EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    check_refused("spec.yaml:4:39: ", "nosuch");
}

static void test_missing_command(void **state)
{
    (void)state;
    cli_write("spec.yaml", "sources: [in.txt]\n"
                           "stages:\n"
                           "  - {name: x, kind: exec, command: [rill-no-such-program, -v]}\n");
    check_refused("spec.yaml:3:36: ", "rill-no-such-program");
    cli_write("spec.yaml", "sources:\n"
                           "  - {kind: command, command: [rill-no-such-program]}\n");
    check_refused("spec.yaml:2:30: ", "rill-no-such-program");
}

/* An exec stage before and after a count, on 2 workers: the first count
 * gets every line the command writes (also what it keeps until its input
 * ends), the second command gets the whole count; as the shell computes. */
static void test_exec_around_a_count(void **state)
{
    char text[40000];
    size_t len = 0;
    cli_result r;
    char *got, *expect;
    int i;
    (void)state;
    for (i = 0; i < 3000; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "w%d x%d\n", i % 17, i % 5);
    cli_write("in.txt", text);
    cli_write("spec.yaml", "sources: [in.txt]\n"
                           "stages:\n"
                           "  - {kind: words}\n"
                           "  - {name: up, kind: exec, command: [tr, a-z, A-Z]}\n"
                           "  - {kind: count}\n"
                           "  - {name: big, kind: exec, command: [awk, '$1 > 100 { print \"n\" $1 }']}\n"
                           "  - {name: again, kind: count}\n"
                           "output: {format: tsv}\n");
    r = cli_rill(NULL, "run", "-q", "-w", "2", "-s", "count.batch_size=7", "spec.yaml", NULL);
    if (r.status != 0)
        fail_msg("rill run: %d: %s", r.status, r.err);
    expect = cli_shell("tr ' ' '\\n' < in.txt | tr a-z A-Z | LC_ALL=C sort | uniq -c | "
                       "awk '$1 > 100 { print \"n\" $1 }' | LC_ALL=C sort | uniq -c | "
                       "awk '{print $1, $2}' | LC_ALL=C sort");
    assert_true(strlen(expect) > 10);
    got = cli_tsv_as_counts(r.out);
    assert_string_equal(got, expect);
    free(got);
    free(expect);
    cli_result_free(&r);
}

/* An exec stage in a checkpointed run: interrupted (SIGINT: a checkpoint,
 * exit 3) while awk holds lines it has not written, then resumed; the count
 * after it is the full one, as the shell computes it. */
static void test_exec_interrupted_and_resumed(void **state)
{
    char db[512], *expect, *got;
    int i, status;
    struct stat st;
    cli_result r;
    pid_t pid;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: n, kind: sequence, from: 0, to: 20000, per_second: 8000}\n"
                           "stages:\n"
                           "  - {name: mod, kind: exec, command: [awk, '{ print \"r\" $1 % 7 }']}\n"
                           "  - {kind: count}\n"
                           "output: {format: tsv}\n");
    cli_path(db, "state.db");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open("/dev/null", O_WRONLY);
        if (out < 0)
            _exit(125);
        dup2(out, 1), dup2(out, 2);
        execl(RILL_BIN, RILL_BIN, "run", "-q", "--checkpoint", db, "--checkpoint-interval", "1",
              "spec.yaml", (char *)NULL);
        _exit(126);
    }
    for (i = 0; i < 3000 && stat(db, &st) != 0; i++) { /* running, its state file made */
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
    }
    {
        struct timespec t = {0, 600000000}; /* well inside its 2.5 s */
        nanosleep(&t, NULL);
    }
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    r = cli_rill(NULL, "run", "-q", "--checkpoint", db, "--resume", "spec.yaml", NULL);
    if (r.status != 0)
        fail_msg("rill run --resume: %d: %s", r.status, r.err);
    expect = cli_shell("seq 0 19999 | awk '{ print \"r\" $1 % 7 }' | LC_ALL=C sort | uniq -c | "
                       "awk '{print $1, $2}' | LC_ALL=C sort");
    got = cli_tsv_as_counts(r.out);
    assert_string_equal(got, expect);
    free(got);
    free(expect);
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_command_source, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_command_source_fails_with_its_status, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_follow_appends, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_follow_from_end, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_tcp_source, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_unix_source, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_exec_awk_as_awk, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_exec_skip_dead_letter, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_exec_stop_fails_run, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_exec_interrupted_and_resumed, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plugin_job, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_plugin_reducer_by_bare_name, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_plugin_source_frame_fragment, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(test_examples, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_missing_plugin, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_missing_function, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_missing_command, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_exec_around_a_count, cli_setup, cli_teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
