/* test_cli_cache_review.c — the source cache's failure cases, the real
 * `rill` on real files, FIFOs and processes (test_cli_cache.c has the
 * ordinary ones): a row naming a reused pid is a dead recorder and that
 * process is never signalled; a reader never splices two recordings; an
 * index that lost a segment's row is refused; a replay with two workers
 * gives the bytes a plain file gives; a slow source makes few segments; a
 * mutated source's recorder is cancelled; a followed file replaced since
 * its recording is not resumed at a stale offset. */
#include "cli_cache_helpers.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void a_row_naming_a_reused_pid_is_a_dead_recorder(void **state)
{
    char key[256], sql[512];
    cli_result r;
    pid_t other;
    int status;
    (void)state;
    cli_write("app.log", "a\nb\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, "
                           "poll_ms: 10}\noutput: {format: lines}\n");
    r = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "recording "));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "cancel", "spec.yaml", NULL);
    assert_string_equal(r.out, "cancelled\n");
    cli_result_free(&r);
    only_key(key);
    /* the index as a recorder whose pid was reused leaves it */
    other = bystander();
    snprintf(sql, sizeof(sql), "UPDATE caches SET state = 1, note = '', pid = %d WHERE key = "
             "'%s'", (int)other, key);
    index_sql(sql);
    r = cli_rill(NULL, "cache", "needed", "spec.yaml", NULL);
    assert_string_equal(r.out, "yes\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "list", NULL);
    assert_non_null(strstr(r.out, "recorder died"));
    cli_result_free(&r);
    index_sql(sql);
    r = cli_rill(NULL, "cache", "cancel", key, NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    index_sql(sql);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "--refresh-cache", "--cache-max-seconds", "1",
                 "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "a\nb\n");
    cli_result_free(&r);
    assert_int_equal(waitpid(other, &status, WNOHANG), 0); /* never signalled */
}

/* Lines "TAG N": all of one tag, N counting from 0 without a hole; how many. */
static int one_recording(const char *text)
{
    char tag[64] = "", t[64];
    const char *p = text;
    int n = 0, i;
    while (*p) {
        assert_int_equal(sscanf(p, "%63s %d", t, &i), 2);
        if (n == 0)
            snprintf(tag, sizeof(tag), "%s", t);
        if (strcmp(t, tag) != 0 || i != n)
            fail_msg("not one recording's events in order:\n%s", text);
        n++;
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    return n;
}

static const char splice_spec[] =
    "sources:\n  - {name: s, kind: command, command: [sh, -c, 't=$(od -An -tu4 -N4 "
    "/dev/urandom | tr -d \" \"); i=0; while [ $i -lt 60 ]; do echo \"$t $i\"; i=$((i+1)); "
    "sleep 0.03; done']}\noutput: {format: lines}\n";

static void a_reader_never_splices_two_recordings(void **state)
{
    cli_result r;
    char *a, *err;
    pid_t first;
    int tries, status;
    (void)state;
    cli_write("spec.yaml", splice_spec);
    first = spawn_to("a", (const char *const[]){"run", "-q", "-w", "1", "spec.yaml", NULL});
    for (tries = 0; tries < 500; tries++) { /* the first run has read a few */
        struct stat st;
        status = stat("a.out", &st) == 0 && st.st_size > 0;
        if (status)
            break;
        usleep(20000);
    }
    r = cli_rill(NULL, "run", "-q", "-w", "1", "--refresh-cache", "spec.yaml", NULL);
    if (r.status != 0)
        fail_msg("the run with --refresh-cache ended with %d:\n%s", r.status, r.err);
    assert_int_equal(one_recording(r.out), 60);
    cli_result_free(&r);
    status = wait_status(first);
    a = cli_slurp("a.out");
    err = cli_slurp("a.err");
    one_recording(a); /* one recording's events, however many */
    if (status != 0)
        assert_non_null(strstr(err, "recorded anew"));
    free(a);
    free(err);
}

static void an_index_that_lost_a_segment_row_is_refused(void **state)
{
    char key[256], sql[512];
    cli_result a, r;
    (void)state;
    /* a line every 0.3 s: a segment each, or so */
    cli_write("spec.yaml", "sources:\n  - {name: s, kind: command, command: [sh, -c, 'for i in "
                           "1 2 3 4; do echo $i; sleep 0.3; done']}\noutput: {format: lines}\n");
    a = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(a.status, 0);
    assert_string_equal(a.out, "1\n2\n3\n4\n");
    only_key(key);
    snprintf(sql, sizeof(sql), "DELETE FROM segments WHERE key = '%s' AND seq = 1", key);
    index_sql(sql);
    r = cli_rill(NULL, "cache", "verify", "spec.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "index.db"));
    assert_non_null(strstr(r.err, "no row for segment 1"));
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL); /* recorded again, whole */
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, a.out);
    cli_result_free(&r);
    cli_result_free(&a);
}

/* Sorted lines of text (a new string). */
static char *sorted(const char *text)
{
    char *cmd, *out;
    cli_write("to_sort", text);
    cmd = strdup("LC_ALL=C sort to_sort");
    out = cli_shell(cmd);
    free(cmd);
    return out;
}

static void a_replay_is_as_deterministic_as_a_plain_file(void **state)
{
    cli_result a, b, c;
    char *sa, *sc;
    (void)state;
    /* many small segments (a line now and then), then a burst */
    cli_write("spec.yaml", "sources:\n  - {name: s, kind: command, command: [sh, -c, 'for i in "
                           "1 2 3 4; do echo $i; sleep 0.25; done; seq 100 3000']}\nstages:\n"
                           "  - {name: g, kind: grep, pattern: '1'}\noutput: {format: lines}\n");
    a = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(a.status, 0);
    b = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL); /* one worker: the bytes */
    assert_int_equal(b.status, 0);
    assert_string_equal(a.out, b.out);
    c = cli_rill(NULL, "run", "-q", "-w", "2", "spec.yaml", NULL); /* two: the same lines */
    assert_int_equal(c.status, 0);
    sa = sorted(a.out);
    sc = sorted(c.out);
    assert_string_equal(sa, sc);
    free(sa);
    free(sc);
    cli_result_free(&a);
    cli_result_free(&b);
    cli_result_free(&c);
}

static void a_slow_source_makes_few_segments(void **state)
{
    cli_result r;
    long long segs, events, ms;
    (void)state;
    /* a line every 10 ms or so, for about a second and a half */
    cli_write("spec.yaml", "sources:\n  - {name: s, kind: command, command: [sh, -c, 'i=0; "
                           "while [ $i -lt 150 ]; do echo $i; i=$((i+1)); sleep 0.01; done']}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    segs = index_number("SELECT segments FROM caches");
    events = index_number("SELECT events FROM caches");
    ms = index_number("SELECT dur_ms FROM caches");
    assert_int_equal(events, 150);
    /* each segment but the last was open 50 ms at least (it was one per event) */
    if ((segs - 1) * 50 > ms)
        fail_msg("%lld segments for %lld events in %lld ms", segs, events, ms);
}

/* The pid in `rill cache run`'s "recording KEY (process PID)". */
static long recorder_pid(const char *out)
{
    const char *p = strstr(out, "(process ");
    assert_non_null(p);
    return strtol(p + 9, NULL, 10);
}

/* Whether process pid is gone (or a zombie) within about 10 s. */
static int ends(long pid)
{
    int i;
    for (i = 0; i < 500; i++) {
        char path[64], buf[256] = "";
        FILE *f;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        if ((f = fopen(path, "r")) == NULL)
            return 1;
        if (fgets(buf, sizeof(buf), f) == NULL)
            buf[0] = '\0';
        fclose(f);
        if (strrchr(buf, ')') && strrchr(buf, ')')[2] == 'Z')
            return 1;
        usleep(20000);
    }
    return 0;
}

static void a_mutated_sources_recorder_is_cancelled(void **state)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char spec[300], key[256];
    cli_result r;
    long pid;
    int s, port;
    (void)state;
    cli_write("app.log", "a\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, "
                           "poll_ms: 10}\noutput: {format: lines}\n");
    r = cli_rill(NULL, "cache", "changed", "spec.yaml", NULL);
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    pid = recorder_pid(r.out);
    cli_result_free(&r);
    only_key(key);
    cli_write("other.log", "b\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: other.log, "
                           "poll_ms: 10}\noutput: {format: lines}\n");
    r = cli_rill(NULL, "cache", "changed", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "removed "));
    cli_result_free(&r);
    assert_true(ends(pid)); /* it recorded on for a minute */
    r = cli_rill(NULL, "cache", "list", NULL);
    assert_non_null(strstr(strstr(r.out, key), "invalidated"));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "evict", NULL);
    cli_result_free(&r);
    /* a recorder holding a port: a run that cannot listen says who holds it */
    s = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    port = ntohs(sa.sin_port);
    close(s);
    snprintf(spec, sizeof(spec), "sources:\n  - {name: net, kind: tcp, host: 127.0.0.1, port: "
             "%d}\noutput: {format: lines}\n", port);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "recording tcp-"));
    pid = recorder_pid(r.out);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_not_equal(r.status, 0);
    assert_non_null(strstr(r.err, "rill cache cancel tcp-"));
    snprintf(key, sizeof(key), "(process %ld)", pid);
    assert_non_null(strstr(r.err, key));
    cli_result_free(&r);
}

/* Records the first two lines of app.log (follow), and waits for it. */
static void record_two_lines(void)
{
    cli_result r;
    int tries;
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
}

static void a_replaced_followed_file_is_not_resumed_at_a_stale_offset(void **state)
{
    cli_result r;
    (void)state;
    cli_write("app.log", "l1\nl2\nl3\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, poll_ms: 10}\n"
                           "stages:\n  - {name: h, kind: head, n: 3}\n"
                           "output: {format: lines}\n");
    record_two_lines();
    /* rotated: a new file in its place */
    cli_write("new.log", "a new first line\nsecond\n");
    assert_int_equal(rename("new.log", "app.log"), 0);
    r = cli_rill(NULL, "run", "-w", "1", "--cache-then-live", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "l1\nl2\n"); /* not "first line" from mid-line */
    assert_non_null(strstr(r.err, "replaced or rewritten"));
    cli_result_free(&r);
    /* rewritten in place, other bytes before the offset */
    r = cli_rill(NULL, "cache", "evict", NULL);
    cli_result_free(&r);
    cli_write("app.log", "l1\nl2\nl3\n");
    record_two_lines();
    cli_write("app.log", "xxxxxxyy\nzz\n");
    r = cli_rill(NULL, "run", "-w", "1", "--cache-then-live", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "l1\nl2\n");
    assert_non_null(strstr(r.err, "replaced or rewritten"));
    cli_result_free(&r);
}

static void a_followed_files_summary_says_it_was_not_read_live(void **state)
{
    cli_result r;
    (void)state;
    cli_write("app.log", "l1\nl2\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, "
                           "poll_ms: 10}\noutput: {format: lines}\n");
    r = cli_rill(NULL, "run", "-w", "1", "--cache-max-seconds", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "l1\nl2\n");
    cli_result_free(&r);
    cli_write("app.log", "l1\nl2\nl3\n"); /* after the recording: not in it */
    r = cli_rill(NULL, "run", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "l1\nl2\n");
    assert_non_null(strstr(r.err, "not read live"));
    assert_non_null(strstr(r.err, "stopped by: duration limit (1000 ms)"));
    assert_non_null(strstr(r.err, "ended where the recording ends"));
    assert_non_null(strstr(r.err, "--no-cache reads it live"));
    cli_result_free(&r);
}

static void a_damaged_index_is_moved_aside_and_started_anew(void **state)
{
    cli_result a, r;
    char *ls;
    (void)state;
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 50]}\n"
                           "output: {format: lines}\n");
    a = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(a.status, 0);
    cli_write(".rill/cache/index.db", "this is not an SQLite database, not at all; it is "
                                      "what a bad disk left of one....................\n");
    r = cli_rill(NULL, "cache", "evict", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "damaged: moved aside"));
    cli_result_free(&r);
    ls = cli_shell("ls .rill/cache");
    assert_non_null(strstr(ls, "index.db.damaged-"));
    free(ls);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL); /* recorded anew */
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, a.out);
    assert_null(strstr(r.err, "damaged"));
    cli_result_free(&r);
    cli_result_free(&a);
}

static void an_invalidated_cache_keeps_no_data_and_evict_shrinks_the_index(void **state)
{
    struct stat before, after;
    struct dirent *e;
    cli_result r;
    DIR *d;
    (void)state;
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 20000]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 20001]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "cache", "changed", "spec.yaml", NULL); /* the old one invalidated */
    cli_result_free(&r);
    assert_non_null(d = opendir(".rill/cache"));
    while ((e = readdir(d)) != NULL) /* its folder of segments is gone */
        assert_false(strncmp(e->d_name, "command-", 8) == 0);
    closedir(d);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    /* a long history of pipelines' signatures */
    index_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
              "INSERT INTO tracked SELECT 'a pipeline ' || i, 'command-' || i FROM n");
    assert_int_equal(stat(".rill/cache/index.db", &before), 0);
    r = cli_rill(NULL, "cache", "evict", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    assert_int_equal(stat(".rill/cache/index.db", &after), 0);
    assert_true(after.st_size < before.st_size);
}

static void verify_removes_what_a_killed_recorder_was_writing(void **state)
{
    char key[256], tmp[200];
    cli_result r;
    (void)state;
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 30]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    only_key(key);
    /* what kill -9 in the middle of a segment's write leaves */
    snprintf(tmp, sizeof(tmp), ".rill/cache/%.100s/g1-s000009.zst.tmp", key);
    cli_write(tmp, "half a segment");
    r = cli_rill(NULL, "cache", "verify", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    assert_int_equal(access(tmp, F_OK), -1);
}

static void two_starts_at_once_make_one_recorder(void **state)
{
    char *a, *b;
    pid_t pa, pb;
    int n = 0;
    (void)state;
    cli_write("app.log", "a\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, "
                           "poll_ms: 10}\noutput: {format: lines}\n");
    pa = spawn_to("a", (const char *const[]){"cache", "run", "spec.yaml", NULL});
    pb = spawn_to("b", (const char *const[]){"cache", "run", "spec.yaml", NULL});
    assert_int_equal(wait_status(pa), 0);
    assert_int_equal(wait_status(pb), 0);
    a = cli_slurp("a.out");
    b = cli_slurp("b.out");
    n = (strstr(a, "recording ") != NULL) + (strstr(b, "recording ") != NULL);
    if (n != 1)
        fail_msg("two starts: \"%s\" and \"%s\"", a, b);
    free(a);
    free(b);
}

static void evict_forgets_every_cache_however_many(void **state)
{
    cli_result r;
    (void)state;
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 3]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    index_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
              "INSERT INTO caches(key, kind, state, events, note) SELECT 'command-' || "
              "printf('%032d', i), 'command', 2, 0, 'the source ended' FROM n");
    r = cli_rill(NULL, "cache", "evict", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    assert_int_equal(index_number("SELECT COUNT(*) FROM caches"), 0);
}

static void cache_run_and_verify_say_what_there_is(void **state)
{
    cli_result r;
    (void)state;
    cli_write("files.yaml", "sources:\n  - {name: t, kind: lines, files: [files.yaml]}\n"
                            "output: {format: lines}\n");
    cli_write("spec.yaml", "sources:\n  - {name: n, kind: command, command: [seq, 1, 3]}\n"
                           "output: {format: lines}\n");
    r = cli_rill(NULL, "cache", "run", "files.yaml", NULL);
    assert_string_equal(r.out, "no source to cache\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "verify", "spec.yaml", NULL);
    assert_string_equal(r.out, "nothing recorded\n");
    cli_result_free(&r);
}

static void standard_input_is_keyed_by_the_file_it_is(void **state)
{
    cli_result r;
    char *out;
    (void)state;
    cli_write("spec.yaml", "sources: [-]\noutput: {format: lines}\n");
    cli_write("a.txt", "from a\n");
    cli_write("b.txt", "from b\n");
    r = cli_rill("a.txt", "run", "-q", "-w", "1", "spec.yaml", NULL);
    assert_string_equal(r.out, "from a\n");
    cli_result_free(&r);
    r = cli_rill("b.txt", "run", "-q", "-w", "1", "spec.yaml", NULL); /* another file */
    assert_string_equal(r.out, "from b\n");
    cli_result_free(&r);
    /* a pipe: the spec's cache, and said so even with -q */
    out = cli_shell("{ { printf 'p1\\n' | " RILL_BIN " run -q -w 1 spec.yaml; } 2>&1; }");
    assert_string_equal(out, "p1\n");
    free(out);
    out = cli_shell("{ { printf 'p2\\n' | " RILL_BIN " run -q -w 1 spec.yaml; } 2>&1; }");
    assert_non_null(strstr(out, "p1\n"));
    if (!strstr(out, "standard input: replaying the cache of spec.yaml"))
        fail_msg("no notice in: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_row_naming_a_reused_pid_is_a_dead_recorder,
                                        cli_setup, teardown),
        cmocka_unit_test_setup_teardown(a_reader_never_splices_two_recordings, cli_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_index_that_lost_a_segment_row_is_refused, cli_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_replay_is_as_deterministic_as_a_plain_file, cli_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_slow_source_makes_few_segments, cli_setup, teardown),
        cmocka_unit_test_setup_teardown(a_mutated_sources_recorder_is_cancelled, cli_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_replaced_followed_file_is_not_resumed_at_a_stale_offset,
                                        cli_setup, teardown),
        cmocka_unit_test_setup_teardown(a_followed_files_summary_says_it_was_not_read_live,
                                        cli_setup, teardown),
        cmocka_unit_test_setup_teardown(a_damaged_index_is_moved_aside_and_started_anew,
                                        cli_setup, teardown),
        cmocka_unit_test_setup_teardown(
            an_invalidated_cache_keeps_no_data_and_evict_shrinks_the_index, cli_setup, teardown),
        cmocka_unit_test_setup_teardown(verify_removes_what_a_killed_recorder_was_writing,
                                        cli_setup, teardown),
        cmocka_unit_test_setup_teardown(two_starts_at_once_make_one_recorder, cli_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(evict_forgets_every_cache_however_many, cli_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cache_run_and_verify_say_what_there_is, cli_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(standard_input_is_keyed_by_the_file_it_is, cli_setup,
                                        teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
