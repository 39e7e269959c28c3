/* test_cache_sources.c — the source cache (rill/cache.h) on real sources
 * and real damage: a FIFO, a TCP socket on 127.0.0.1 fed by a child
 * process, a command's output, a file appended to that goes on live after
 * its cache without a gap or a repeat, replay at the recorded pace, a
 * damaged or truncated segment refused (naming the file) and recorded
 * again, a recorder killed with SIGKILL whose cache stays usable to its
 * last segment with the gap reported, and a recorder that shares its
 * source with a run that stops reading. */
#include "cache_helpers.h"

static void a_followed_file_goes_on_live_without_gap_or_repeat(void **state)
{
    const char *const want[] = {"l1", "l2", "l3", "l4", "l5", "l6"};
    char path[300];
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(3, 0);
    rill_replay_options ro = RILL_REPLAY_OPTIONS_INIT;
    rill_pipeline *p = passing();
    rill_cache *c = open_cache();
    rill_batch *a;
    (void)state;
    snprintf(path, sizeof(path), "%s/app.log", tmp);
    append(path, "l1\nl2\nl3\nl4\nl5\n");
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_int_equal(rill_cache_wait(c, p), 0);
    append(path, "l6\n");
    ro.live_after = 1;
    ro.max_events = 6;
    assert_int_equal(rill_cache_replay(c, p, &ro), 0);
    a = run_all(p);
    assert_true(holds(a, want, 6, 1));
    rill_batch_free(a);
    ro.live_after = 0; /* the default: the run ends with the cache */
    assert_int_equal(rill_cache_replay(c, p, &ro), 0);
    a = run_all(p);
    assert_true(holds(a, want, 3, 1));
    rill_batch_free(a);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

/* A FIFO followed: the writer is this test, the events come while it
 * records, and the replay sees them as they came. */
static void a_fifo_is_recorded_and_replayed(void **state)
{
    const char *const want[] = {"f1", "f2", "f3", "f4"};
    char path[300];
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(4, 0);
    rill_pipeline *p = passing();
    rill_cache *c = open_cache();
    rill_batch *a, *b;
    int fd;
    (void)state;
    snprintf(path, sizeof(path), "%s/fifo", tmp);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_true((fd = open(path, O_WRONLY)) >= 0); /* waits for the recorder */
    assert_int_equal(write(fd, "f1\nf2\n", 6), 6);
    a = NULL;
    assert_int_equal(write(fd, "f3\nf4\n", 6), 6);
    a = run_all(p);
    close(fd);
    b = run_all(p);
    assert_true(holds(a, want, 4, 1));
    assert_true(same_batches(a, b));
    rill_batch_free(a);
    rill_batch_free(b);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

/* A TCP listener on 127.0.0.1 fed by a child process. */
static void a_tcp_socket_fed_by_a_child_is_recorded(void **state)
{
    char line[32];
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(50, 0);
    rill_pipeline *p = passing();
    rill_cache *c = open_cache();
    rill_batch *a, *b;
    int port = 0, i;
    pid_t child;
    (void)state;
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, &lo, &port), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct sockaddr_in sa;
        int s = socket(AF_INET, SOCK_STREAM, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
            _exit(1);
        for (i = 0; i < 60; i++) {
            int n = snprintf(line, sizeof(line), "event %d\n", i);
            if (write(s, line, (size_t)n) != n)
                _exit(2);
        }
        sleep(1); /* the recorder stops at 50; the rest is not recorded */
        _exit(0);
    }
    a = run_all(p);
    assert_int_equal(rill_batch_count(a), 50);
    for (i = 0; i < 50; i++) {
        rill_record r;
        rill_batch_get(&r, a, (size_t)i);
        snprintf(line, sizeof(line), "event %d", i);
        assert_int_equal(r.len, strlen(line));
        assert_memory_equal(r.data, line, r.len);
    }
    b = run_all(p);
    assert_true(same_batches(a, b));
    waitpid(child, NULL, 0);
    rill_batch_free(a);
    rill_batch_free(b);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

static void a_commands_output_is_recorded_to_its_end(void **state)
{
    const char *const argv[] = {"seq", "1", "2000", NULL};
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(0, 0);
    rill_pipeline *p = passing();
    rill_cache *c = open_cache();
    rill_cache_info info;
    rill_batch *a;
    rill_record r;
    (void)state;
    assert_int_equal(rill_read_command(p, argv, &lo), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    a = run_all(p);
    assert_int_equal(rill_batch_count(a), 2000);
    rill_batch_get(&r, a, 1999);
    assert_int_equal(r.len, 4);
    assert_memory_equal(r.data, "2000", 4);
    assert_int_equal(rill_cache_wait(c, p), 0);
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_string_equal(info.note, "the source ended");
    assert_true(info.segments > 1);
    rill_batch_free(a);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

/* Processing-time marks: with timing, events come at the pace they were
 * recorded (a second event 600 ms after the first is not given within the
 * first 300 ms); without, at once. */
static void a_replay_with_timing_keeps_the_recorded_pace(void **state)
{
    char path[300];
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(2, 0);
    rill_replay_options ro = RILL_REPLAY_OPTIONS_INIT;
    rill_pipeline *p = passing();
    rill_cache *c = open_cache();
    rill_batch *a;
    struct timespec gap = {0, 600 * 1000000L};
    (void)state;
    snprintf(path, sizeof(path), "%s/app.log", tmp);
    append(path, "first\n");
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    nanosleep(&gap, NULL);
    append(path, "second\n");
    assert_int_equal(rill_cache_wait(c, p), 0);
    ro.timing = 1;
    ro.max_ms = 300;
    assert_int_equal(rill_cache_replay(c, p, &ro), 0);
    a = run_all(p);
    assert_int_equal(rill_batch_count(a), 1);
    rill_batch_free(a);
    ro.timing = 0;
    assert_int_equal(rill_cache_replay(c, p, &ro), 0);
    a = run_all(p);
    assert_int_equal(rill_batch_count(a), 2);
    rill_batch_free(a);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

/* ---- never wrong ---- */

static void a_damaged_segment_is_refused_and_recorded_again(void **state)
{
    rill_cache_options o = limits(200, 0);
    rill_run_options run = with_workers(1);
    rnd r = {9, 0};
    rill_pipeline *p = random_pipeline(&r);
    rill_cache *c = open_cache();
    rill_batch *a, *b;
    char seg[1024] = "";
    FILE *f;
    (void)state;
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_int_equal(rill_cache_wait(c, p), 0);
    a = run_all(p);
    first_segment(seg, sizeof(seg));
    assert_true(seg[0] != '\0');
    assert_non_null(f = fopen(seg, "r+b"));
    fseek(f, 20, SEEK_SET);
    fputc('!', f);
    fclose(f);
    b = NULL;
    assert_true(rill_run(p, &run, &b) < 0); /* the source failed the run */
    assert_non_null(strstr(rill_error_last(), seg));
    assert_non_null(strstr(rill_error_last(), "content hash"));
    rill_batch_free(b);
    assert_int_equal(rill_cache_is_job_needed(c, p), 1);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    b = run_all(p);
    assert_int_equal(rill_batch_count(b), 200);
    assert_false(same_batches(a, b)); /* recorded again: the generator went on */
    rill_batch_free(a);
    rill_batch_free(b);
    /* truncated: refused by rill_cache_verify before anything is given */
    first_segment(seg, sizeof(seg));
    assert_int_equal(truncate(seg, 10), 0);
    assert_int_equal(rill_cache_verify(c, p), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "truncated"));
    assert_int_equal(rill_cache_is_job_needed(c, p), 1);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

static void on_gap(const char *message, void *payload)
{
    snprintf(payload, 512, "%s", message);
}

static void a_killed_recorder_leaves_a_usable_cache(void **state)
{
    rill_replay_options ro = RILL_REPLAY_OPTIONS_INIT;
    char gap[512] = "";
    rill_cache_options o = limits(0, 0);
    rnd r = {3, 0};
    rill_pipeline *p = random_pipeline(&r);
    rill_cache *c = open_cache();
    rill_cache_info info;
    rill_batch *a;
    long long t0 = rill__test_ms();
    (void)state;
    o.process = 1;
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    do {
        assert_int_equal(rill_cache_info_get(c, p, &info), 0);
        assert_true(rill__test_ms() - t0 < SAFETY_MS);
    } while (info.segments < 3);
    assert_int_equal(info.state, RILL_CACHE_RECORDING);
    assert_true(info.pid > 0 && info.pid != getpid());
    assert_int_equal(kill(info.pid, SIGKILL), 0);
    do {
        assert_int_equal(rill_cache_info_get(c, p, &info), 0);
        assert_true(rill__test_ms() - t0 < SAFETY_MS);
    } while (info.state == RILL_CACHE_RECORDING);
    assert_int_equal(info.state, RILL_CACHE_COMPLETE);
    assert_non_null(strstr(info.note, "recorder died"));
    ro.on_gap = on_gap;
    ro.gap_payload = gap;
    assert_int_equal(rill_cache_replay(c, p, &ro), 0);
    a = run_all(p);
    assert_non_null(strstr(gap, "cut short")); /* the gap is reported */
    assert_int_equal((int64_t)rill_batch_count(a), info.events);
    assert_int_equal(rill_cache_verify(c, p), 0);
    assert_int_equal(rill_cache_is_job_needed(c, p), 1); /* not a complete recording */
    rill_batch_free(a);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

/* A recorder thread shares the source with its pipeline: when the
 * pipeline's run stops reading (rill_source_stop, as the rill command's
 * head does), the source's early end is not taken for its end. */
static int stop_reading(rill_emitter *out, const rill_record *in, void *payload)
{
    rill_source_stop(payload);
    return rill_emit_record(out, in);
}

static void a_run_that_stops_reading_does_not_complete_the_cache(void **state)
{
    char path[300];
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(100, 0);
    rill_pipeline *p;
    rill_cache *c = open_cache();
    rill_cache_info info;
    rill_batch *a;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_job(p, "stop", NULL, stop_reading, p), 0);
    snprintf(path, sizeof(path), "%s/app.log", tmp);
    append(path, "one\ntwo\n");
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    a = run_all(p);
    assert_true(rill_batch_count(a) >= 1);
    assert_int_equal(rill_cache_wait(c, p), 0);
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_int_equal(strncmp(info.note, "cancelled", 9), 0);
    assert_int_equal(rill_cache_is_job_needed(c, p), 1);
    rill_batch_free(a);
    rill_cache_free(c);
    rill_pipeline_free(p);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_followed_file_goes_on_live_without_gap_or_repeat, setup, teardown),
        cmocka_unit_test_setup_teardown(a_fifo_is_recorded_and_replayed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_tcp_socket_fed_by_a_child_is_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(a_commands_output_is_recorded_to_its_end, setup, teardown),
        cmocka_unit_test_setup_teardown(a_replay_with_timing_keeps_the_recorded_pace, setup, teardown),
        cmocka_unit_test_setup_teardown(a_damaged_segment_is_refused_and_recorded_again, setup, teardown),
        cmocka_unit_test_setup_teardown(a_killed_recorder_leaves_a_usable_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(a_run_that_stops_reading_does_not_complete_the_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
