/* test_sources_command.c — the output lines of a command as a source
 * (rill_read_command) with real child processes: lines, a failing command's
 * status and stderr in the message, a program that cannot be started, the
 * command killed when the run ends first; and the signatures of the live
 * sources. Every run is bounded, so every test ends by itself. */
#include "live_helpers.h"

/* ---- the output lines of a command ---- */

static void a_command_gives_a_record_per_line_and_its_last_partial_line(void **state)
{
    const char *const want[] = {"one", "two words", "", "last without newline"};
    char script[256];
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    rill_live_options o = bounded(0);
    rill_run_options ro = with_workers(1);
    rill_pipeline *p = passing();
    rill_batch *out;
    (void)state;
    snprintf(script, sizeof(script), "printf '%s\\n%s\\n%s\\n%s'", want[0], want[1], want[2],
             want[3]);
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_true(holds(out, want, 4, 1));
    rill_batch_free(out);
    /* a pipeline runs again: the command is started again */
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_true(holds(out, want, 4, 1));
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void a_long_output_arrives_whole_over_several_workers(void **state)
{
    const char *argv[] = {"/usr/bin/seq", "1", "100000", NULL};
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_batch *out;
    int64_t sum = 0;
    size_t i;
    (void)state;
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_batch_count(out), 100000);
    for (i = 0; i < rill_batch_count(out); i++) {
        rill_record r;
        char num[32];
        rill_batch_get(&r, out, i);
        snprintf(num, sizeof(num), "%.*s", (int)r.len, (const char *)r.data);
        sum += atoll(num);
    }
    assert_true(sum == (int64_t)100000 * 100001 / 2);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void a_command_that_fails_fails_the_run_naming_it_its_status_and_stderr(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "echo fine; echo 'disk on fire' >&2; exit 3", NULL};
    rill_pipeline *p = passing();
    rill_batch *out;
    (void)state;
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_true(rill_run(p, NULL, &out) < 0);
    assert_null(out);
    assert_non_null(strstr(rill_error_last(), "'/bin/sh -c echo fine"));
    assert_non_null(strstr(rill_error_last(), "status 3"));
    assert_non_null(strstr(rill_error_last(), "disk on fire"));
    rill_pipeline_free(p);
}

static void a_command_writing_to_a_closed_stderr_does_not_kill_rill(void **state)
{
    const char *const want[] = {"out"};
    const char *argv[] = {"/bin/sh", "-c", "echo out; echo complaint >&2", NULL};
    rill_pipeline *p = passing();
    rill_batch *out;
    int fds[2], saved;
    (void)state;
    assert_int_equal(pipe(fds), 0);
    close(fds[0]); /* nobody reads rill's stderr any more */
    saved = dup(2);
    assert_int_equal(dup2(fds[1], 2), 2);
    close(fds[1]);
    signal(SIGPIPE, SIG_DFL); /* as a program that never thought of it */
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &out), 0);
    signal(SIGPIPE, SIG_IGN);
    dup2(saved, 2);
    close(saved);
    assert_true(holds(out, want, 1, 1));
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void a_command_killed_by_a_signal_fails_the_run(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    rill_pipeline *p = passing();
    (void)state;
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_true(rill_run(p, NULL, NULL) < 0);
    assert_non_null(strstr(rill_error_last(), "signal 9"));
    rill_pipeline_free(p);
}

static void a_command_that_cannot_be_started_is_refused_naming_it(void **state)
{
    const char *missing[] = {"/nonexistent/rill-no-such-tool", "x", NULL};
    const char *unknown[] = {"rill-no-such-tool-in-path", NULL};
    const char *none[] = {NULL};
    rill_pipeline *p;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_read_command(p, missing, NULL), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "/nonexistent/rill-no-such-tool"));
    assert_int_equal(rill_read_command(p, unknown, NULL), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "rill-no-such-tool-in-path"));
    assert_non_null(strstr(rill_error_last(), "PATH"));
    assert_int_equal(rill_read_command(p, none, NULL), RILL_EINVAL);
    assert_true(rill_pipeline_validate(p) < 0); /* the pipeline remembers */
    rill_pipeline_free(p);
}

/* The pid a command wrote into path (before exec'ing on as itself). */

static void a_run_that_stops_early_kills_the_command(void **state)
{
    char pidfile[300], script[400];
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    rill_live_options o = bounded(0);
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_stream *s;
    rill_batch *b, *out;
    const char *sink;
    pid_t pid;
    (void)state;
    snprintf(pidfile, sizeof(pidfile), "%s/pid", tmp);
    snprintf(script, sizeof(script), "echo $$ > '%s'; exec yes", pidfile);
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    /* max_batches stops it: the run succeeds, the command is gone */
    ro.max_batches = 3;
    ro.batch_records = 100;
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_true(rill_batch_count(out) > 0 && rill_batch_count(out) <= 300);
    rill_batch_free(out);
    pid = pid_in(pidfile);
    assert_true(kill(pid, 0) < 0 && errno == ESRCH);
    /* so does closing a stream */
    unlink(pidfile);
    ro.max_batches = 0;
    assert_int_equal(rill_stream_open(&s, p, &ro), 0);
    assert_int_equal(rill_stream_next(&b, &sink, s), 1);
    rill_batch_free(b);
    rill_stream_close(s);
    pid = pid_in(pidfile);
    assert_true(kill(pid, 0) < 0 && errno == ESRCH);
    rill_pipeline_free(p);
}

static void a_command_that_lingers_after_its_output_ends_is_bounded_and_killed(void **state)
{
    const char *const want[] = {"said"};
    char pidfile[300], script[400];
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    rill_batch *out;
    pid_t pid;
    (void)state;
    snprintf(pidfile, sizeof(pidfile), "%s/linger", tmp);
    /* closes its output, then would sleep for a minute */
    snprintf(script, sizeof(script), "echo $$ > '%s'; echo said; exec >&- sleep 60", pidfile);
    o.max_ms = 300;
    o.poll_ms = 20;
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    assert_int_equal(rill_run(p, NULL, &out), 0);
    assert_true(holds(out, want, 1, 1));
    rill_batch_free(out);
    pid = pid_in(pidfile);
    assert_true(kill(pid, 0) < 0 && errno == ESRCH);
    rill_pipeline_free(p);
}

static void max_records_bounds_an_endless_command(void **state)
{
    const char *argv[] = {"/usr/bin/yes", "rill", NULL};
    rill_live_options o = bounded(2500);
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_batch *out;
    (void)state;
    ro.batch_records = 1000;
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_batch_count(out), 2500);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

/* Passes records on; while crash is set asks for a checkpoint at "5" and
 * fails at "12" (a crash after a checkpoint). */
typedef struct crashing {
    rill_pipeline *p;
    int crash;
} crashing;

static int pass_or_crash(rill_emitter *out, const rill_record *in, void *payload)
{
    crashing *c = payload;
    if (c->crash && in->len == 1 && memcmp(in->data, "5", 1) == 0)
        rill_checkpoint_request(c->p);
    if (c->crash && in->len == 2 && memcmp(in->data, "12", 2) == 0)
        return -1;
    return rill_emit_record(out, in);
}

static void a_resumed_command_drops_the_lines_given_before_its_checkpoint(void **state)
{
    const char *argv[] = {"/usr/bin/seq", "1", "20", NULL};
    char db[300];
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_run_options ro = with_workers(1);
    crashing c = {NULL, 1};
    rill_pipeline *p;
    rill_batch *out;
    int seen[21] = {0};
    size_t i;
    (void)state;
    snprintf(db, sizeof(db), "%s/command.db", tmp);
    co.path = db;
    co.resume = 1;
    assert_int_equal(rill_pipeline_new(&p), 0);
    c.p = p;
    assert_int_equal(rill_job(p, "pass", NULL, pass_or_crash, &c), 0);
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    ro.batch_records = 1; /* a line a batch: the checkpoint falls between them */
    assert_int_equal(rill_run(p, &ro, NULL), RILL_EUSER);
    c.crash = 0;
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_checkpoint_restored(p), 1);
    for (i = 0; i < rill_batch_count(out); i++) {
        rill_record r;
        char num[8];
        rill_batch_get(&r, out, i);
        snprintf(num, sizeof(num), "%.*s", (int)r.len, (const char *)r.data);
        assert_true(atoi(num) >= 1 && atoi(num) <= 20);
        seen[atoi(num)]++;
    }
    /* 1-4 were done before the checkpoint asked for at 5: not given again;
     * from 12 (which failed the first run) on, each once */
    for (i = 1; i <= 20; i++)
        assert_true(i < 5 ? seen[i] == 0 : i < 12 ? seen[i] <= 1 : seen[i] == 1);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

/* ---- signatures ---- */

static rill_source_signature sig_of(rill_pipeline *p)
{
    rill_source_signature s;
    assert_int_equal(rill_pipeline_source_count(p), 1);
    assert_int_equal(rill_pipeline_source_signature(p, 0, &s), 0);
    rill_pipeline_free(p);
    return s;
}

static int same(rill_source_signature x, rill_source_signature y)
{
    return strcmp(x.kind, y.kind) == 0 && x.hash[0] == y.hash[0] && x.hash[1] == y.hash[1];
}

static rill_source_signature command_sig(const char *arg, int64_t max_records, int poll_ms)
{
    const char *argv[] = {"/bin/echo", arg, NULL};
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    o.max_records = max_records;
    o.poll_ms = poll_ms;
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    return sig_of(p);
}

static rill_source_signature follow_sig(const char *path, int from_end)
{
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    o.from_end = from_end;
    assert_int_equal(rill_follow_file(p, path, &o), 0);
    return sig_of(p);
}

static rill_source_signature unix_sig(const char *name)
{
    char path[300];
    rill_pipeline *p = passing();
    rill_source_signature s;
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    assert_int_equal(rill_listen_unix(p, path, NULL), 0);
    s = sig_of(p);
    return s;
}

static void signatures_are_stable_and_follow_the_configuration(void **state)
{
    rill_source_signature a = command_sig("x", 0, 0), tcp1, tcp2;
    rill_pipeline *p;
    int port;
    (void)state;
    assert_string_equal(a.kind, "command");
    assert_false(a.flags & RILL_SOURCE_BOUNDED);
    assert_true(same(a, command_sig("x", 0, 0)));
    assert_true(same(a, command_sig("x", 0, 500))); /* polling is not what it reads */
    assert_false(same(a, command_sig("y", 0, 0)));
    assert_false(same(a, command_sig("x", 10, 0)));
    assert_string_equal(follow_sig("/var/log/a", 0).kind, "follow");
    assert_true(same(follow_sig("/var/log/a", 0), follow_sig("/var/log/a", 0)));
    assert_false(same(follow_sig("/var/log/a", 0), follow_sig("/var/log/b", 0)));
    assert_false(same(follow_sig("/var/log/a", 0), follow_sig("/var/log/a", 1)));
    assert_true(same(unix_sig("s1"), unix_sig("s1")));
    assert_false(same(unix_sig("s1"), unix_sig("s2")));
    /* a TCP listener: the port asked for, not the one the system picked */
    p = passing();
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, NULL, &port), 0);
    tcp1 = sig_of(p);
    p = passing();
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, NULL, &port), 0);
    tcp2 = sig_of(p);
    assert_string_equal(tcp1.kind, "tcp");
    assert_true(same(tcp1, tcp2));
    p = passing();
    assert_int_equal(rill_listen_tcp(p, "::1", 0, NULL, &port), 0);
    assert_false(same(tcp1, sig_of(p)));
}

static void bad_options_are_refused(void **state)
{
    const char *argv[] = {"/bin/echo", NULL};
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    (void)state;
    o.version = 99;
    assert_int_equal(rill_read_command(p, argv, &o), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "RILL_LIVE_OPTIONS_INIT"));
    rill_pipeline_free(p);
    p = passing();
    o = bounded(-1);
    assert_int_equal(rill_follow_file(p, "/tmp/x", &o), RILL_EINVAL);
    rill_pipeline_free(p);
    p = passing();
    o = bounded(0);
    o.from_end = 1;
    assert_int_equal(rill_read_command(p, argv, &o), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "from_end"));
    rill_pipeline_free(p);
    p = passing();
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_int_equal(rill_follow_file(p, "/tmp/x", NULL), RILL_EPIPELINE); /* one source */
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_command_gives_a_record_per_line_and_its_last_partial_line),
        cmocka_unit_test(a_long_output_arrives_whole_over_several_workers),
        cmocka_unit_test(a_command_that_fails_fails_the_run_naming_it_its_status_and_stderr),
        cmocka_unit_test(a_command_killed_by_a_signal_fails_the_run),
        cmocka_unit_test(a_command_writing_to_a_closed_stderr_does_not_kill_rill),
        cmocka_unit_test(a_command_that_cannot_be_started_is_refused_naming_it),
        cmocka_unit_test(a_run_that_stops_early_kills_the_command),
        cmocka_unit_test(a_command_that_lingers_after_its_output_ends_is_bounded_and_killed),
        cmocka_unit_test(max_records_bounds_an_endless_command),
        cmocka_unit_test(a_resumed_command_drops_the_lines_given_before_its_checkpoint),
        cmocka_unit_test(signatures_are_stable_and_follow_the_configuration),
        cmocka_unit_test(bad_options_are_refused),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
