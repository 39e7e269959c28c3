/* test_cli_cache.c — the source cache from the command line, the real
 * `rill` on real sources: `rill run` of a spec with an unbounded source
 * replays its cache (two runs over a random command give the same bytes;
 * --no-cache reads the source, --refresh-cache records anew), a changed
 * source is told and its old cache invalidated, `rill cache` answers the
 * reference's questions, a damaged segment is refused naming the file and
 * recorded again, a recorder killed with SIGKILL leaves a cache usable up to
 * its last segment, a TCP socket fed by a child process is recorded and
 * replayed, evict clears everything. */
#include "cli_helpers.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const char random_spec[] =
    "sources:\n"
    "  - {name: r, kind: command, command: [sh, -c, 'od -An -tu4 -N400 /dev/urandom']}\n"
    "output: {format: lines}\n";

static void two_runs_over_a_random_command_give_the_same_bytes(void **state)
{
    cli_result a, b, c, d;
    (void)state;
    cli_write("spec.yaml", random_spec);
    a = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(a.status, 0);
    assert_non_null(strstr(a.err, "source cache"));
    assert_true(strlen(a.out) > 100);
    b = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(b.status, 0);
    assert_string_equal(a.out, b.out);
    c = cli_rill(NULL, "run", "-w", "1", "--no-cache", "spec.yaml", NULL);
    assert_int_equal(c.status, 0);
    assert_string_not_equal(a.out, c.out);
    assert_null(strstr(c.err, "source cache"));
    d = cli_rill(NULL, "run", "-w", "1", "--refresh-cache", "spec.yaml", NULL);
    assert_int_equal(d.status, 0);
    assert_string_not_equal(a.out, d.out);
    cli_result_free(&a);
    cli_result_free(&b);
    cli_result_free(&c);
    cli_result_free(&d);
}

static void cache_commands_answer_the_references_questions(void **state)
{
    cli_result r;
    char *want;
    (void)state;
    cli_write("files.yaml", "sources:\n  - {name: t, kind: lines, files: [files.yaml]}\n"
                            "output: {format: lines}\n");
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 30]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "cache", "has", "files.yaml", NULL);
    assert_string_equal(r.out, "no\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "needed", "files.yaml", NULL);
    assert_string_equal(r.out, "no\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "has", "spec.yaml", NULL);
    assert_string_equal(r.out, "yes\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "needed", "spec.yaml", NULL);
    assert_string_equal(r.out, "yes\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "changed", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "added command-"));
    assert_non_null(strstr(r.out, "changed\n"));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "changed", "spec.yaml", NULL);
    assert_string_equal(r.out, "unchanged\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL); /* records, waits for it */
    assert_int_equal(r.status, 0);
    want = cli_shell("seq 1 30");
    assert_string_equal(r.out, want);
    free(want);
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "needed", "spec.yaml", NULL);
    assert_string_equal(r.out, "no\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    assert_string_equal(r.out, "not needed\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "list", NULL);
    assert_non_null(strstr(r.out, "complete"));
    assert_non_null(strstr(r.out, "the source ended"));
    assert_non_null(strstr(r.out, " 30 "));
    cli_result_free(&r);
    /* a mutated source: told, its old cache invalidated, a new one needed */
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 31]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "cache", "changed", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "added "));
    assert_non_null(strstr(r.out, "removed "));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "list", NULL);
    assert_non_null(strstr(r.out, "invalidated"));
    assert_non_null(strstr(r.out, "its source changed"));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "needed", "spec.yaml", NULL);
    assert_string_equal(r.out, "yes\n");
    cli_result_free(&r);
    /* evict: nothing left */
    r = cli_rill(NULL, "cache", "evict", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "list", NULL);
    assert_null(strstr(r.out, "command-"));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "changed", "spec.yaml", NULL); /* signatures forgotten */
    assert_non_null(strstr(r.out, "changed\n"));
    assert_null(strstr(r.out, "unchanged"));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "nope", NULL);
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
}

/* The first segment file under .rill/cache into out (cap 1024). */
static void first_segment(char *out)
{
    DIR *d, *k;
    struct dirent *e, *f;
    out[0] = '\0';
    assert_non_null(d = opendir(".rill/cache"));
    while ((e = readdir(d)) != NULL) {
        char sub[600];
        if (e->d_name[0] == '.' || strncmp(e->d_name, "index.db", 8) == 0)
            continue;
        snprintf(sub, sizeof(sub), ".rill/cache/%s", e->d_name);
        assert_non_null(k = opendir(sub));
        while ((f = readdir(k)) != NULL)
            if (strstr(f->d_name, "-s000001.zst"))
                snprintf(out, 1024, "%s/%s", sub, f->d_name);
        closedir(k);
    }
    closedir(d);
}

static void a_damaged_segment_is_refused_naming_it_and_recorded_again(void **state)
{
    char seg[1024];
    cli_result a, b;
    FILE *f;
    (void)state;
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 500]}\n"
                           "output: {format: lines}\n");
    a = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(a.status, 0);
    first_segment(seg);
    assert_true(seg[0] != '\0');
    assert_non_null(f = fopen(seg, "r+b"));
    fseek(f, 12, SEEK_SET);
    fputc('#', f);
    fclose(f);
    b = cli_rill(NULL, "cache", "verify", "spec.yaml", NULL);
    assert_int_equal(b.status, 1);
    assert_non_null(strstr(b.err, seg + strlen(".rill/cache/")));
    cli_result_free(&b);
    b = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(b.status, 0);
    assert_non_null(strstr(b.err, "damaged"));
    assert_non_null(strstr(b.err, seg + strlen(".rill/cache/")));
    assert_string_equal(a.out, b.out); /* recorded again, never replayed wrong */
    cli_result_free(&a);
    cli_result_free(&b);
}

static void append_line(const char *path, int i)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "line %d\n", i);
    fclose(f);
}

static void a_killed_recorder_leaves_a_cache_usable_to_its_last_segment(void **state)
{
    cli_result r;
    char *listing;
    long pid = 0;
    long long events = -1;
    int i, tries;
    (void)state;
    cli_write("app.log", "");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, "
                           "poll_ms: 10}\noutput: {format: lines}\n");
    r = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "recording "));
    assert_non_null(strstr(r.out, "(process "));
    pid = strtol(strstr(r.out, "(process ") + 9, NULL, 10);
    assert_true(pid > 0);
    cli_result_free(&r);
    for (i = 0; i < 20; i++)
        append_line("app.log", i);
    for (tries = 0; tries < 500; tries++) { /* until the recorder has them */
        r = cli_rill(NULL, "cache", "list", NULL);
        listing = strstr(r.out, "follow-");
        if (listing && strstr(listing, " 20 "))
            events = 20;
        cli_result_free(&r);
        if (events == 20)
            break;
        usleep(20000);
    }
    assert_int_equal(events, 20);
    assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
    for (tries = 0; tries < 500; tries++) {
        r = cli_rill(NULL, "cache", "list", NULL);
        if (strstr(r.out, "recorder died"))
            break;
        cli_result_free(&r);
        usleep(20000);
    }
    assert_non_null(strstr(r.out, "complete"));
    assert_non_null(strstr(r.out, "recorder died"));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "verify", "spec.yaml", NULL); /* whole to its last segment */
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "ok\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "needed", "spec.yaml", NULL); /* but not complete */
    assert_string_equal(r.out, "yes\n");
    cli_result_free(&r);
    for (i = 20; i < 25; i++) /* after the kill: not in the cache */
        append_line("app.log", i);
    r = cli_rill(NULL, "run", "-w", "1", "--cache-max-seconds", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    /* recorded anew (1 s), and replayed */
    listing = cli_shell("for i in $(seq 0 24); do echo \"line $i\"; done");
    assert_string_equal(r.out, listing);
    free(listing);
    cli_result_free(&r);
}

static void a_tcp_socket_fed_by_a_child_is_recorded_and_replayed(void **state)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char spec[300];
    cli_result a, b;
    int s, port, i;
    pid_t rill, child;
    (void)state;
    s = socket(AF_INET, SOCK_STREAM, 0); /* a free port */
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    port = ntohs(sa.sin_port);
    close(s);
    snprintf(spec, sizeof(spec), "sources:\n  - {name: net, kind: tcp, port: %d, max_records: "
             "25, poll_ms: 10}\noutput: {format: lines}\n", port);
    cli_write("spec.yaml", spec);
    rill = cli_spawn(-1, (const char *const[]){"run", "-w", "1", "spec.yaml", NULL});
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        for (i = 0; i < 500 && connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
            close(c);
            c = socket(AF_INET, SOCK_STREAM, 0);
            usleep(10000);
        }
        for (i = 0; i < 25; i++) {
            char line[32];
            int n = snprintf(line, sizeof(line), "packet %d\n", i);
            if (write(c, line, (size_t)n) != n)
                _exit(1);
        }
        close(c);
        _exit(0);
    }
    a = cli_wait(rill, "the tcp source's 25 records");
    waitpid(child, NULL, 0);
    assert_int_equal(a.status, 0);
    assert_non_null(strstr(a.out, "packet 0\n"));
    assert_non_null(strstr(a.out, "packet 24\n"));
    /* no child feeds it now: the cache does */
    for (i = 0; i < 100; i++) {
        b = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL);
        if (b.status == 0 || !strstr(b.err, "in use"))
            break; /* the recorder's process lets go of the port as it ends */
        cli_result_free(&b);
        usleep(20000);
    }
    assert_int_equal(b.status, 0);
    assert_string_equal(a.out, b.out);
    cli_result_free(&a);
    cli_result_free(&b);
    /* a recorder that holds the port: its spec cannot be built, its key
     * cancels and evicts it */
    snprintf(spec, sizeof(spec), "sources:\n  - {name: net, kind: tcp, port: %d}\n"
             "output: {format: lines}\n", port);
    cli_write("spec.yaml", spec);
    a = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    assert_non_null(strstr(a.out, "recording tcp-"));
    *strstr(a.out, " (process") = '\0';
    b = cli_rill(NULL, "cache", "cancel", a.out + strlen("recording "), NULL);
    assert_string_equal(b.out, "cancelled\n");
    cli_result_free(&b);
    b = cli_rill(NULL, "cache", "evict", a.out + strlen("recording "), NULL);
    assert_int_equal(b.status, 0);
    cli_result_free(&b);
    b = cli_rill(NULL, "cache", "list", NULL);
    assert_null(strstr(b.out, a.out + strlen("recording ")));
    cli_result_free(&a);
    cli_result_free(&b);
}

/* Standard input from a FIFO, written by another process: recorded, and
 * replayed by a run that is given nothing. */
static void standard_input_from_a_fifo_is_replayed(void **state)
{
    char fifo[512];
    cli_result a, b;
    pid_t writer;
    int i;
    (void)state;
    cli_write("spec.yaml", "sources: [-]\noutput: {format: lines}\n");
    cli_path(fifo, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        FILE *f = fopen(fifo, "w");
        if (f == NULL)
            _exit(1);
        srand((unsigned)getpid());
        for (i = 0; i < 200; i++) {
            fprintf(f, "%d\n", rand());
            fflush(f);
        }
        fclose(f);
        _exit(0);
    }
    a = cli_rill(fifo, "run", "-w", "1", "spec.yaml", NULL);
    waitpid(writer, NULL, 0);
    assert_int_equal(a.status, 0);
    assert_non_null(strstr(a.err, "source cache"));
    b = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL); /* stdin: /dev/null */
    assert_int_equal(b.status, 0);
    assert_string_equal(a.out, b.out);
    cli_result_free(&a);
    cli_result_free(&b);
}

/* At the end of a complete cache, --cache-then-live goes on with the
 * source where the recording stopped: neither a gap nor a repeat. */
static void a_sequence_goes_on_live_after_its_cache(void **state)
{
    cli_result r;
    char *want;
    int tries;
    (void)state;
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: sequence, from: 100}\n"
                           "stages:\n  - {name: h, kind: head, n: 25}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "cache", "run", "--max-events", "10", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    for (tries = 0; tries < 500; tries++) {
        r = cli_rill(NULL, "cache", "list", NULL);
        if (strstr(r.out, "complete"))
            break;
        cli_result_free(&r);
        usleep(20000);
    }
    assert_non_null(strstr(r.out, "event limit"));
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL); /* the cache only */
    assert_int_equal(r.status, 0);
    want = cli_shell("seq 100 109");
    assert_string_equal(r.out, want);
    free(want);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-w", "1", "--cache-then-live", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    want = cli_shell("seq 100 124");
    assert_string_equal(r.out, want);
    free(want);
    cli_result_free(&r);
}

static void a_followed_file_goes_on_live_after_its_cache(void **state)
{
    cli_result r;
    int tries;
    (void)state;
    cli_write("app.log", "l1\nl2\nl3\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, poll_ms: 10}\n"
                           "stages:\n  - {name: h, kind: head, n: 5}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "cache", "run", "--max-events", "2", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    for (tries = 0; tries < 500; tries++) {
        r = cli_rill(NULL, "cache", "list", NULL);
        if (strstr(r.out, "complete"))
            break;
        cli_result_free(&r);
        usleep(20000);
    }
    assert_non_null(strstr(r.out, "event limit"));
    cli_result_free(&r);
    cli_write("app.log", "l1\nl2\nl3\nl4\nl5\n"); /* appended to, as a log is */
    r = cli_rill(NULL, "run", "-w", "1", "--cache-then-live", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "l1\nl2\nl3\nl4\nl5\n");
    cli_result_free(&r);
}

/* A followed file polled every two minutes: a cancel, and the duration
 * limit, still stop its recorder at once (not after a SIGKILL). */
static void cancel_and_limits_stop_a_recorder_in_a_long_wait(void **state)
{
    cli_result r;
    int tries;
    (void)state;
    cli_write("app.log", "a\nb\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, "
                           "poll_ms: 120000}\noutput: {format: lines}\n");
    r = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "recording "));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "cancel", "spec.yaml", NULL);
    assert_string_equal(r.out, "cancelled\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "list", NULL);
    assert_non_null(strstr(r.out, "cancelled"));
    assert_null(strstr(r.out, "recorder died"));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "run", "--max-seconds", "0.5", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "recording ")); /* a cancelled cache is recorded again */
    cli_result_free(&r);
    for (tries = 0; tries < 500; tries++) {
        r = cli_rill(NULL, "cache", "list", NULL);
        if (strstr(r.out, "complete") && !strstr(r.out, "cancelled"))
            break;
        cli_result_free(&r);
        usleep(20000);
    }
    assert_non_null(strstr(r.out, "duration limit (500 ms)"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_runs_over_a_random_command_give_the_same_bytes,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(cache_commands_answer_the_references_questions,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_damaged_segment_is_refused_naming_it_and_recorded_again,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(
            a_killed_recorder_leaves_a_cache_usable_to_its_last_segment, cli_setup,
            cli_teardown),
        cmocka_unit_test_setup_teardown(a_tcp_socket_fed_by_a_child_is_recorded_and_replayed,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(standard_input_from_a_fifo_is_replayed, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_sequence_goes_on_live_after_its_cache, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_followed_file_goes_on_live_after_its_cache, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(cancel_and_limits_stop_a_recorder_in_a_long_wait,
                                        cli_setup, cli_teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
