/* test_cache.c — the source cache (rill/cache.h) on real parts, pinning
 * Interactive Beam's background caching job: a job starts only when needed,
 * never without a source to cache, never while one runs or a complete one
 * is valid; a signature changes when a source is added or mutated, not when
 * the same source is built again or one is removed; the limits trigger
 * exactly at their thresholds; evict clears everything. Replays of a
 * random source are identical, reader limits stop them. The cache on each
 * kind of real source, damage and kill -9: test_cache_sources.c. */
#include "cache_helpers.h"

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

/* A followed file of tmp with three lines, recorded complete. */
static rill_pipeline *recorded_file(rill_cache *c, const char *name, rill_cache_options *o)
{
    char path[300];
    rill_live_options lo = bounded(0);
    rill_pipeline *p = passing();
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    append(path, "one\ntwo\nthree\n");
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    assert_int_equal(rill_cache_attempt_to_run(c, p, o), 1);
    assert_int_equal(rill_cache_wait(c, p), 0);
    return p;
}

static void the_folders_budget_evicts_the_oldest_caches(void **state)
{
    rill_cache_options o = limits(3, 1000);
    rill_cache *c = open_cache();
    rill_cache_info info;
    rill_pipeline *a, *b, *d;
    (void)state;
    a = recorded_file(c, "a.log", &o);
    b = recorded_file(c, "b.log", &o); /* the default budget: a stays */
    assert_int_equal(rill_cache_info_get(c, a, &info), 0);
    assert_int_equal(info.state, RILL_CACHE_COMPLETE);
    o.max_total_bytes = o.max_bytes + 1; /* room for the new one only */
    d = recorded_file(c, "d.log", &o);
    assert_int_equal(rill_cache_info_get(c, a, &info), RILL_ENOTFOUND);
    assert_int_equal(rill_cache_info_get(c, b, &info), RILL_ENOTFOUND);
    assert_int_equal(rill_cache_info_get(c, d, &info), 0);
    assert_int_equal(info.events, 3);
    rill_cache_free(c);
    rill_pipeline_free(a);
    rill_pipeline_free(b);
    rill_pipeline_free(d);
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
        cmocka_unit_test_setup_teardown(cancel_stops_and_evict_clears_everything, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_folders_budget_evicts_the_oldest_caches, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
