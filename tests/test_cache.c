/* test_cache.c — the source cache (rill/cache.h) on real parts, pinning
 * Interactive Beam's background caching job: a job starts only when needed,
 * never without a source to cache, never while one runs or a complete one
 * is valid; a signature changes when a source is added or mutated, not when
 * the same source is built again or one is removed; the limits trigger
 * exactly at their thresholds; evict clears everything. And the cache's
 * own promises: replays are identical, a reader waits at the end of a
 * recording, a followed file goes on live without a gap or a repeat, a
 * damaged segment is refused and recorded again, a recorder killed with
 * SIGKILL leaves a cache usable up to its last segment. The sources are
 * real: a file appended to, a FIFO, a TCP socket fed by a child process, a
 * command's output, a random generator. */
#include "live_helpers.h"

#include <dirent.h>
#include <sys/wait.h>

#include <rill/cache.h>

static rill_cache *open_cache(void)
{
    char dir[400];
    rill_cache *c;
    snprintf(dir, sizeof(dir), "%s/cache", tmp);
    assert_int_equal(rill_cache_open(&c, dir), 0);
    return c;
}

/* ---- a random, endless generator of 100-byte events ---- */

typedef struct rnd {
    unsigned seed;
    int64_t made;
} rnd;

static int random_events(rill_batch *out, void *payload)
{
    rnd *r = payload;
    int i, k;
    for (i = 0; i < 64; i++) {
        char ev[100];
        for (k = 0; k < 100; k++)
            ev[k] = (char)('a' + rand_r(&r->seed) % 26);
        if (rill_batch_add(out, ev, sizeof(ev)) < 0)
            return -1;
        r->made++;
    }
    return 1;
}

static rill_pipeline *random_pipeline(rnd *r)
{
    rill_pipeline *p = passing();
    assert_int_equal(rill_generator(p, random_events, r), 0);
    return p;
}

static rill_cache_options limits(int64_t events, int64_t bytes)
{
    rill_cache_options o = RILL_CACHE_OPTIONS_INIT;
    o.max_events = events;
    o.max_bytes = bytes;
    o.max_ms = SAFETY_MS;
    o.segment_bytes = 2000;
    o.flush_ms = 20;
    return o;
}

static rill_batch *run_all(rill_pipeline *p)
{
    rill_run_options ro = with_workers(1);
    rill_batch *out = NULL;
    assert_int_equal(rill_run(p, &ro, &out), 0);
    return out;
}

static int same_batches(const rill_batch *a, const rill_batch *b)
{
    size_t i;
    if (rill_batch_count(a) != rill_batch_count(b))
        return 0;
    for (i = 0; i < rill_batch_count(a); i++) {
        rill_record x, y;
        rill_batch_get(&x, a, i);
        rill_batch_get(&y, b, i);
        if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
            return 0;
    }
    return 1;
}

/* ---- when a job is needed ---- */

static void no_job_without_a_source_to_cache(void **state)
{
    rill_pipeline *p;
    rill_cache *c = open_cache();
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 10)), 0);
    assert_int_equal(rill_task(p, "pass", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_cache_has_source_to_cache(p), 0);
    assert_int_equal(rill_cache_is_job_needed(c, p), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, NULL), 0);
    assert_int_equal(rill_cache_replay(c, p, NULL), RILL_ENOTFOUND);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

static void a_job_starts_only_when_needed(void **state)
{
    rill_cache_options o = limits(5, 0);
    rnd r = {1, 0};
    rill_pipeline *p = random_pipeline(&r), *q;
    rill_cache *c = open_cache();
    rill_cache_info info;
    (void)state;
    assert_int_equal(rill_cache_has_source_to_cache(p), 1);
    assert_int_equal(rill_cache_is_job_needed(c, p), 1);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_int_equal(rill_cache_wait(c, p), 0);
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_int_equal(info.state, RILL_CACHE_COMPLETE);
    assert_int_equal(info.events, 5);
    /* complete and valid: none again, for this pipeline or one built the same */
    assert_int_equal(rill_cache_is_job_needed(c, p), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 0);
    q = random_pipeline(&r);
    assert_int_equal(rill_cache_is_job_needed(c, q), 0);
    rill_pipeline_free(q);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

static void no_second_job_while_one_runs(void **state)
{
    char path[300];
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(3, 0);
    rill_pipeline *p = passing(), *q = passing();
    rill_cache *c = open_cache();
    rill_cache_info info;
    (void)state;
    snprintf(path, sizeof(path), "%s/app.log", tmp);
    append(path, "one\n");
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    assert_int_equal(rill_follow_file(q, path, &lo), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_int_equal(rill_cache_is_job_needed(c, p), 0);
    assert_int_equal(rill_cache_is_job_needed(c, q), 0); /* the same source */
    assert_int_equal(rill_cache_attempt_to_run(c, q, &o), 0);
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_int_equal(info.state, RILL_CACHE_RECORDING);
    append(path, "two\nthree\n");
    assert_int_equal(rill_cache_wait(c, p), 0);
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_int_equal(info.state, RILL_CACHE_COMPLETE);
    assert_int_equal(info.events, 3);
    rill_cache_free(c);
    rill_pipeline_free(p);
    rill_pipeline_free(q);
}

/* ---- signatures ---- */

static int unbounded_next(void *self, rill_source_pull *pull)
{
    (void)self;
    (void)pull;
    return 0;
}

static int unbounded_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    (void)p;
    return rill_batch_add_text(out, self);
}

static const rill_source extra_source = {RILL_SOURCE_VERSION, "extra", 0, unbounded_next,
                                         unbounded_describe, NULL, NULL};

static rill_pipeline *following(const char *name, int extra)
{
    char path[300];
    rill_live_options lo = bounded(0);
    rill_pipeline *p = passing();
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    if (extra)
        assert_int_equal(rill_source_declare(p, &extra_source, (void *)"second"), 0);
    return p;
}

static int changed(rill_cache *c, rill_pipeline *p)
{
    int rc = rill_cache_sources_changed(c, "pipe", p, NULL, NULL);
    rill_pipeline_free(p);
    return rc;
}

static void signatures_change_on_an_added_or_mutated_source_only(void **state)
{
    rill_cache *c = open_cache();
    rill_cache_options o = limits(1, 0);
    rill_pipeline *p;
    rill_cache_info info;
    char path[300];
    (void)state;
    assert_int_equal(changed(c, following("a.log", 0)), 1); /* first seen */
    assert_int_equal(changed(c, following("a.log", 0)), 0); /* the same source again */
    assert_int_equal(changed(c, following("a.log", 1)), 1); /* one added */
    assert_int_equal(changed(c, following("a.log", 1)), 0);
    assert_int_equal(changed(c, following("a.log", 0)), 0); /* one removed */
    /* a mutated configuration: a new signature, and the old cache invalidated */
    snprintf(path, sizeof(path), "%s/a.log", tmp);
    append(path, "x\n");
    p = following("a.log", 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_int_equal(rill_cache_wait(c, p), 0);
    assert_int_equal(changed(c, following("b.log", 0)), 1);
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_int_equal(info.state, RILL_CACHE_INVALIDATED);
    assert_int_equal(rill_cache_is_job_needed(c, p), 1);
    rill_cache_free(c);
    rill_pipeline_free(p);
}

/* ---- limits ---- */

static int64_t recorded(int64_t events, int64_t bytes)
{
    rill_cache_options o = limits(events, bytes);
    rnd r = {7, 0};
    rill_pipeline *p = random_pipeline(&r);
    rill_cache *c = open_cache();
    rill_cache_info info;
    assert_int_equal(rill_cache_evict(c, NULL), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_int_equal(rill_cache_wait(c, p), 0);
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_int_equal(info.state, RILL_CACHE_COMPLETE);
    assert_int_equal(info.bytes, info.events * 100);
    rill_cache_free(c);
    rill_pipeline_free(p);
    return info.events;
}

static void limits_trigger_exactly_at_their_thresholds(void **state)
{
    (void)state;
    assert_int_equal(recorded(7, 0), 7);
    assert_int_equal(recorded(64, 0), 64);  /* a whole batch */
    assert_int_equal(recorded(65, 0), 65);
    assert_int_equal(recorded(0, 1000), 10);  /* reached by the 10th event */
    assert_int_equal(recorded(0, 999), 10);
    assert_int_equal(recorded(0, 1001), 11);
    assert_int_equal(recorded(5, 1000), 5);  /* whichever comes first */
}

/* ---- replay ---- */

static void two_runs_over_a_cached_random_source_are_identical(void **state)
{
    rill_cache_options o = limits(1000, 0);
    rnd r = {42, 0};
    rill_pipeline *p = random_pipeline(&r);
    rill_cache *c = open_cache();
    rill_batch *a, *b;
    (void)state;
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    a = run_all(p); /* while it records: the reader waits at the end */
    b = run_all(p);
    assert_int_equal(rill_batch_count(a), 1000);
    assert_true(same_batches(a, b));
    assert_true(r.made >= 1000);
    rill_batch_free(a);
    rill_batch_free(b);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

static void reader_limits_stop_a_replay(void **state)
{
    char path[300];
    rill_live_options lo = bounded(0);
    rill_cache_options o = limits(500, 0);
    rill_replay_options ro = RILL_REPLAY_OPTIONS_INIT;
    rnd r = {5, 0};
    rill_pipeline *p = random_pipeline(&r), *q = passing();
    rill_cache *c = open_cache();
    rill_batch *a;
    (void)state;
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    ro.max_events = 123; /* N events */
    assert_int_equal(rill_cache_replay(c, p, &ro), 0);
    a = run_all(p);
    assert_int_equal(rill_batch_count(a), 123);
    rill_batch_free(a);
    /* T seconds: a reader waiting at the end of a recording that goes on
     * (a followed file with two lines of the ten it waits for) ends then */
    snprintf(path, sizeof(path), "%s/slow.log", tmp);
    append(path, "s1\ns2\n");
    assert_int_equal(rill_follow_file(q, path, &lo), 0);
    o.max_events = 10;
    assert_int_equal(rill_cache_attempt_to_run(c, q, &o), 1);
    ro.max_events = 0;
    ro.max_ms = 300;
    assert_int_equal(rill_cache_replay(c, q, &ro), 0);
    a = run_all(q);
    assert_int_equal(rill_batch_count(a), 2);
    rill_batch_free(a);
    assert_int_equal(rill_cache_cancel(c, q), 1);
    rill_pipeline_free(p);
    rill_pipeline_free(q);
    rill_cache_free(c);
}

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

/* The path of the first segment file of the only cache under tmp/cache. */
static void first_segment(char *out, size_t cap)
{
    char dir[400];
    DIR *d, *k;
    struct dirent *e, *f;
    snprintf(dir, sizeof(dir), "%s/cache", tmp);
    assert_non_null(d = opendir(dir));
    while ((e = readdir(d)) != NULL) {
        char sub[700];
        if (e->d_name[0] == '.' || strncmp(e->d_name, "index.db", 8) == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
        assert_non_null(k = opendir(sub));
        while ((f = readdir(k)) != NULL)
            if (strstr(f->d_name, "-s000001.zst"))
                snprintf(out, cap, "%s/%s", sub, f->d_name);
        closedir(k);
    }
    closedir(d);
}

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

/* ---- cancel, evict, list ---- */

static int count_caches(const rill_cache_info *info, void *payload)
{
    (*(int *)payload)++;
    assert_true(info->state == RILL_CACHE_COMPLETE);
    return 0;
}

static void cancel_stops_and_evict_clears_everything(void **state)
{
    rill_cache_options o = limits(0, 0);
    rnd r = {11, 0};
    rill_pipeline *p = random_pipeline(&r);
    rill_cache *c = open_cache();
    rill_cache_info info;
    char dir[400];
    int n = 0;
    DIR *d;
    struct dirent *e;
    (void)state;
    assert_int_equal(rill_cache_sources_changed(c, "pipe", p, NULL, NULL), 1);
    assert_int_equal(rill_cache_attempt_to_run(c, p, &o), 1);
    assert_int_equal(rill_cache_cancel(c, p), 1);
    assert_int_equal(rill_cache_cancel(c, p), 0); /* none runs: NOOP */
    assert_int_equal(rill_cache_info_get(c, p, &info), 0);
    assert_string_equal(info.note, "cancelled");
    assert_int_equal(rill_cache_is_job_needed(c, p), 1);
    assert_int_equal(rill_cache_list(c, count_caches, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rill_cache_evict(c, p), 0);
    n = 0;
    assert_int_equal(rill_cache_list(c, count_caches, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(rill_cache_info_get(c, p, &info), RILL_ENOTFOUND);
    assert_int_equal(rill_cache_sources_changed(c, "pipe", p, NULL, NULL), 1); /* forgotten */
    snprintf(dir, sizeof(dir), "%s/cache", tmp);
    assert_non_null(d = opendir(dir));
    while ((e = readdir(d)) != NULL) /* the index only: no segment folder left */
        assert_true(e->d_name[0] == '.' || strncmp(e->d_name, "index.db", 8) == 0);
    closedir(d);
    rill_pipeline_free(p);
    rill_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(no_job_without_a_source_to_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(a_job_starts_only_when_needed, setup, teardown),
        cmocka_unit_test_setup_teardown(no_second_job_while_one_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(signatures_change_on_an_added_or_mutated_source_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(limits_trigger_exactly_at_their_thresholds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(two_runs_over_a_cached_random_source_are_identical,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(reader_limits_stop_a_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(a_followed_file_goes_on_live_without_gap_or_repeat,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_fifo_is_recorded_and_replayed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_tcp_socket_fed_by_a_child_is_recorded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_commands_output_is_recorded_to_its_end, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_replay_with_timing_keeps_the_recorded_pace, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_damaged_segment_is_refused_and_recorded_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_killed_recorder_leaves_a_usable_cache, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_run_that_stops_reading_does_not_complete_the_cache,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_stops_and_evict_clears_everything, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
