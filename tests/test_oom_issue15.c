/* test_oom_issue15.c — out of memory, on purpose (oom_alloc.h), in what
 * issue 15 added: rill_map (the tagged copy of the list, the packed results,
 * putting them in order), a graph loop routed by name (the emitters to named
 * successors) and rill_use. Every Nth allocation fails in turn until a run
 * meets none; each run succeeds with the right result or fails with a rill
 * error, and gives back every byte it took. */
#include <malloc.h>
#include <stdatomic.h>

#include "helpers.h"

#include "oom_alloc.h"

static int plus_one(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, i64(in) + 1);
}

/* rill_map of 0..39 on 2 workers: 0 and the sum of the results, in order. */
static int run_map(int64_t *sum)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_batch *list = NULL, *res = NULL;
    size_t i;
    int rc;
    o.workers = 2;
    o.batch_records = 3;
    if ((rc = rill_batch_new(&list)) < 0)
        return rc;
    for (i = 0; i < 40 && rc == 0; i++)
        rc = rill_batch_add_int64(list, (int64_t)i);
    if (rc == 0 && (rc = rill_map(&res, list, &o, plus_one, NULL)) == 0) {
        *sum = 0;
        for (i = 0; i < rill_batch_count(res); i++) {
            rill_record r;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(i64(&r), (int64_t)i + 1); /* in order, even here */
            *sum += i64(&r);
        }
    }
    rill_batch_free(list);
    rill_batch_free(res);
    return rc;
}

static int check(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    int rc = 0;
    (void)payload;
    for (i = 0; i < n && rc == 0; i++) {
        rill_emitter *to;
        if ((rc = rill_emitter_to(&to, out, i64(&in[i]) < 10 ? "add_one" : "output")) == 0)
            rc = rill_emit_record(to, &in[i]);
    }
    return rc;
}

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

/* A piece that adds nothing: rill_use's own allocations fail too. */
static int loop_piece(rill_pipeline *p, const char *name, const char *const *options,
                      void *payload)
{
    (void)p;
    (void)name;
    (void)options;
    (void)payload;
    return 0;
}

/* 0..19 through check -> add_one -> check; done -> output, on 2 workers,
 * with a do-nothing piece used first: 0 and the sum of the results. */
static int run_loop(int64_t *sum)
{
    rill_run_options o = with_workers(2);
    rill_pipeline *p = NULL;
    rill_batch *work = NULL, *res = NULL;
    const char *opts[] = {"k=v", NULL};
    size_t i;
    int rc;
    o.batch_records = 4;
    if ((rc = rill_batch_new(&work)) < 0)
        return rc;
    for (i = 0; i < 20 && rc == 0; i++)
        rc = rill_batch_add_int64(work, (int64_t)i);
    if (rc < 0 || (rc = rill_pipeline_new(&p)) < 0) {
        rill_batch_free(work);
        return rc;
    }
    if ((rc = rill_work(p, work)) < 0 || (rc = rill_use(p, "none", loop_piece, opts, NULL)) < 0 ||
        (rc = rill_task(p, "check", NULL, check, NULL)) < 0 ||
        (rc = rill_job(p, "add_one", NULL, plus_one, NULL)) < 0 ||
        (rc = rill_job(p, "output", NULL, pass, NULL)) < 0 ||
        (rc = rill_edge(p, "check", "add_one")) < 0 ||
        (rc = rill_edge(p, "check", "output")) < 0 ||
        (rc = rill_loop(p, "add_one", "check")) < 0 || (rc = rill_run(p, &o, &res)) < 0)
        goto done;
    *sum = 0;
    for (i = 0; i < rill_batch_count(res); i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, res, i), 0);
        *sum += i64(&r);
    }
done:
    rill_batch_free(res);
    rill_pipeline_free(p);
    return rc;
}

static void fail_every_allocation(int (*run)(int64_t *), int64_t want, const char *what)
{
#ifdef OOM_SKIP
    int64_t got = 0;
    assert_int_equal(run(&got), 0);
    assert_int_equal(got, want);
    (void)what;
    skip();
#else
    int64_t got = 0;
    long n;
    if (!oom_injects()) { /* valgrind's malloc family, not oom_alloc.h's */
        assert_int_equal(run(&got), 0);
        assert_int_equal(got, want);
        (void)what;
        skip();
        return;
    }
    assert_int_equal(run(&got), 0); /* warm up thread caches */
    assert_int_equal(got, want);
    for (n = 0;; n++) {
        long before = atomic_load(&live);
        int rc;
        atomic_store(&failed, 0);
        atomic_store(&countdown, n);
        rc = run(&got);
        atomic_store(&countdown, -1);
        if (rc == 0)
            assert_int_equal(got, want);
        else if (rc != RILL_ENOMEM && rc != RILL_EUSER && rc != RILL_ETHREAD)
            fail_msg("%s, allocation %ld: unexpected error %d (%s)", what, n, rc,
                     rill_error_last());
        if (rc != 0 && !atomic_load(&failed))
            fail_msg("%s, allocation %ld: error %d without a failed allocation", what, n, rc);
        if (atomic_load(&live) != before)
            fail_msg("%s, allocation %ld failing leaked %ld bytes", what, n,
                     atomic_load(&live) - before);
        if (!atomic_load(&failed))
            break;
    }
    printf("%s: failed each of %ld allocations in turn\n", what, n);
#endif
}

static void a_map_fails_cleanly_at_every_failed_allocation(void **state)
{
    (void)state;
    fail_every_allocation(run_map, 40 * 41 / 2, "rill_map");
}

static void a_loop_routed_by_name_fails_cleanly_at_every_failed_allocation(void **state)
{
    (void)state;
    /* 11 records end at 10, the others as they came: 110 + (11 + ... + 19) */
    fail_every_allocation(run_loop, 110 + 135, "a graph loop");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_map_fails_cleanly_at_every_failed_allocation),
        cmocka_unit_test(a_loop_routed_by_name_fails_cleanly_at_every_failed_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
