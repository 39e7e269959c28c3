/* test_sweep_oom.c — parameter sweeps (rill/sweep.h) when memory runs
 * out: each allocation of a small sweep (building the grid, running it
 * with grown trials, reading its table) is made to fail in turn; each time
 * the sweep fails with an error or gives the right table, and leaks
 * nothing (oom_alloc.h counts the bytes live). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oom_alloc.h"
#include "rill.h"

/* value = a + b + (trial % 3): mean a + b + 1 over whole rounds of 3 */
static int trial_fn(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    (void)n, (void)payload;
    out[0] = t->params[0] + t->params[1] + (double)(t->trial % 3);
    return 0;
}

/* The sweep from scratch; 0 with the table checked, or the error. */
static int small_sweep(int workers)
{
    static const double a[] = {1, 2};
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep_table *t = NULL;
    rill_sweep *s = NULL;
    rill_sweep_stats st;
    size_t row;
    int rc;
    o.trials = 6;
    o.workers = workers;
    if ((rc = rill_sweep_new(&s)) < 0 || (rc = rill_sweep_values(s, "a", a, 2)) < 0 ||
        (rc = rill_sweep_range(s, "b", 10, 20, 10)) < 0 ||
        (rc = rill_sweep_output(s, "v")) < 0 ||
        (rc = rill_sweep_run(&t, s, &o, trial_fn, NULL)) < 0)
        goto done;
    assert_int_equal(rill_sweep_table_rows(t), 4);
    for (row = 0; row < 4; row++) {
        assert_int_equal(rill_sweep_table_stats(&st, t, row, 0), 0);
        assert_int_equal(st.n, 6);
        assert_true(st.mean == rill_sweep_table_param(t, row, 0) +
                                   rill_sweep_table_param(t, row, 1) + 1);
    }
done:
    rill_sweep_table_free(t);
    rill_sweep_free(s);
    return rc;
}

static void every_failed_allocation_of_a_sweep_gives_an_error_and_leaks_nothing(void **state)
{
#ifdef OOM_SKIP
    (void)state;
    assert_int_equal(small_sweep(2), 0);
    skip();
#else
    int workers;
    (void)state;
    if (!oom_injects()) { /* valgrind's malloc family, not oom_alloc.h's */
        assert_int_equal(small_sweep(2), 0);
        skip();
        return;
    }
    for (workers = 1; workers <= 2; workers++) {
        long n;
        assert_int_equal(small_sweep(workers), 0); /* warm up thread caches */
        for (n = 0;; n++) {
            long before = atomic_load(&live);
            int rc;
            atomic_store(&failed, 0);
            atomic_store(&countdown, n);
            rc = small_sweep(workers);
            atomic_store(&countdown, -1);
            if (rc != 0 && rc != RILL_ENOMEM && rc != RILL_EUSER && rc != RILL_ETHREAD)
                fail_msg("allocation %ld: unexpected error %d (%s)", n, rc, rill_error_last());
            if (rc != 0 && !atomic_load(&failed))
                fail_msg("allocation %ld: error %d without a failed allocation", n, rc);
            if (atomic_load(&live) != before)
                fail_msg("allocation %ld failing (%d workers) leaked %ld bytes", n, workers,
                         atomic_load(&live) - before);
            if (!atomic_load(&failed))
                break; /* the whole sweep needed fewer than n allocations */
        }
        printf("%d worker(s): failed each of %ld allocations in turn\n", workers, n);
    }
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_failed_allocation_of_a_sweep_gives_an_error_and_leaks_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
