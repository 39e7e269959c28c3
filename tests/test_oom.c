/* test_oom.c — out of memory, on purpose: the test binary puts its own
 * malloc family in front of the C library's, and makes the Nth allocation
 * fail, for every N until a run no longer meets a failure. Each run must
 * either succeed with the right result or fail with a rill error, never
 * crash, and give back every byte it took (live bytes are counted through
 * malloc_usable_size). Sanitizer builds bring their own allocator, so the
 * test skips there; valgrind replaces it too, so it only counts there. */
#include <malloc.h>
#include <stdatomic.h>

#include "helpers.h"

#include "oom_alloc.h"

/* ---- a small pipeline with every kind of stage ---- */

typedef struct once_store {
    int started;
    int64_t value;
} once_store;

static int once(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    once_store *s = store;
    (void)payload;
    if (s->started)
        return 0;
    s->started = 1;
    return rill_emit_record(recur, first);
}

static int count_to(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n = i64(in), i;
    int rc;
    (void)payload;
    for (i = 1; i <= n; i++) {
        char key[8];
        int len = snprintf(key, sizeof(key), "k%d", (int)(i % 5));
        if ((rc = rill_emit_keyed(out, key, (size_t)len, &i, sizeof(i))) != 0)
            return rc;
    }
    return 0;
}

static int add_next(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    (void)recur, (void)payload;
    ((once_store *)store)->value += i64(next);
    return 0;
}

static int emit_value(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((once_store *)store)->value);
}

static int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++)
        *(int64_t *)store += i64(&in[i]);
    return 0;
}

static int sum_merge(void *store, void *other, void *payload)
{
    (void)payload;
    *(int64_t *)store += *(int64_t *)other;
    return 0;
}

static int64_t expected(void)
{
    int64_t n, total = 0;
    for (n = 1; n <= 12; n++)
        total += n * (n + 1) / 2;
    return total;
}

/* Builds and runs the pipeline; 0 and the total, or the error. */
static int run_small(int workers, int64_t *total)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_run_options o = with_workers(workers);
    rill_pipeline *p = NULL;
    rill_batch *work = NULL, *res = NULL;
    int64_t i;
    int rc;
    f.store_size = sizeof(once_store);
    f.frame = once;
    f.emit = emit_value;
    r.store_size = sizeof(int64_t);
    r.add = sum_add;
    r.merge = sum_merge;
    o.batch_records = 3;
    if ((rc = rill_batch_new(&work)) < 0)
        return rc;
    for (i = 1; i <= 12; i++)
        if ((rc = rill_batch_add_int64(work, i)) < 0) {
            rill_batch_free(work);
            return rc;
        }
    if ((rc = rill_pipeline_new(&p)) < 0) {
        rill_batch_free(work);
        return rc;
    }
    if ((rc = rill_work(p, work)) < 0 || (rc = rill_frame(p, "per n", &f, NULL)) < 0 ||
        (rc = rill_job(p, "count to", NULL, count_to, NULL)) < 0 ||
        (rc = rill_combine(p, "by key", &c, NULL)) < 0 ||
        (rc = rill_frame_end(p, "add", NULL, add_next, NULL)) < 0 ||
        (rc = rill_reduce(p, "sum", &r, NULL)) < 0 || (rc = rill_run(p, &o, &res)) < 0)
        goto done;
    {
        rill_record rec;
        assert_int_equal(rill_batch_count(res), 1);
        assert_int_equal(rill_batch_get(&rec, res, 0), 0);
        *total = i64(&rec);
    }
done:
    rill_batch_free(res);
    rill_pipeline_free(p);
    return rc;
}

static void every_failed_allocation_gives_an_error_and_leaks_nothing(void **state)
{
#ifdef OOM_SKIP
    int64_t total = 0;
    (void)state;
    assert_int_equal(run_small(2, &total), 0); /* the pipeline, at least */
    assert_int_equal(total, expected());
    skip();
#else
    int workers;
    (void)state;
    if (!oom_injects()) { /* valgrind's malloc family, not oom_alloc.h's */
        int64_t total = 0;
        assert_int_equal(run_small(2, &total), 0);
        assert_int_equal(total, expected());
        skip();
        return;
    }
    for (workers = 1; workers <= 2; workers++) {
        int64_t total = 0;
        long n;
        assert_int_equal(run_small(workers, &total), 0); /* warm up thread caches */
        assert_int_equal(total, expected());
        for (n = 0;; n++) {
            long before = atomic_load(&live);
            int rc;
            atomic_store(&failed, 0);
            atomic_store(&countdown, n);
            rc = run_small(workers, &total);
            atomic_store(&countdown, -1);
            if (rc == 0)
                assert_int_equal(total, expected());
            else if (rc != RILL_ENOMEM && rc != RILL_EUSER && rc != RILL_ETHREAD)
                fail_msg("allocation %ld: unexpected error %d (%s)", n, rc, rill_error_last());
            if (rc != 0 && !atomic_load(&failed))
                fail_msg("allocation %ld: error %d without a failed allocation", n, rc);
            if (atomic_load(&live) != before)
                fail_msg("allocation %ld failing (%d workers) leaked %ld bytes", n, workers,
                         atomic_load(&live) - before);
            if (!atomic_load(&failed))
                break; /* the whole run needed fewer than n allocations */
        }
        printf("%d worker(s): failed each of %ld allocations in turn\n", workers, n);
    }
#endif
}

/* A command's lines as the source (rill_read_command): 0 and how many came,
 * or the error. */
static int run_command(int workers, int64_t *count)
{
    const char *argv[] = {"/usr/bin/seq", "1", "50", NULL};
    rill_run_options o = with_workers(workers);
    rill_pipeline *p = NULL;
    rill_batch *res = NULL;
    int rc;
    o.batch_records = 7;
    if ((rc = rill_pipeline_new(&p)) < 0)
        return rc;
    if ((rc = rill_read_command(p, argv, NULL)) < 0 ||
        (rc = rill_task(p, "pass", NULL, copy_all, NULL)) < 0 ||
        (rc = rill_run(p, &o, &res)) < 0)
        goto done;
    *count = (int64_t)rill_batch_count(res);
done:
    rill_batch_free(res);
    rill_pipeline_free(p);
    return rc;
}

static void a_command_source_fails_cleanly_at_every_failed_allocation(void **state)
{
    int64_t count = 0;
#ifdef OOM_SKIP
    (void)state;
    assert_int_equal(run_command(2, &count), 0);
    assert_int_equal(count, 50);
    skip();
#else
    long n;
    (void)state;
    if (!oom_injects()) { /* valgrind's malloc family, not oom_alloc.h's */
        assert_int_equal(run_command(2, &count), 0);
        assert_int_equal(count, 50);
        skip();
        return;
    }
    assert_int_equal(run_command(2, &count), 0); /* warm up thread caches */
    assert_int_equal(count, 50);
    for (n = 0;; n++) {
        long before = atomic_load(&live);
        int rc;
        atomic_store(&failed, 0);
        atomic_store(&countdown, n);
        rc = run_command(2, &count);
        atomic_store(&countdown, -1);
        if (rc == 0)
            assert_int_equal(count, 50);
        else if (rc != RILL_ENOMEM && rc != RILL_EUSER && rc != RILL_ETHREAD)
            fail_msg("allocation %ld: unexpected error %d (%s)", n, rc, rill_error_last());
        if (rc != 0 && !atomic_load(&failed))
            fail_msg("allocation %ld: error %d without a failed allocation", n, rc);
        if (atomic_load(&live) != before)
            fail_msg("allocation %ld failing leaked %ld bytes", n, atomic_load(&live) - before);
        if (!atomic_load(&failed))
            break;
    }
    printf("a command source: failed each of %ld allocations in turn\n", n);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_failed_allocation_gives_an_error_and_leaks_nothing),
        cmocka_unit_test(a_command_source_fails_cleanly_at_every_failed_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
