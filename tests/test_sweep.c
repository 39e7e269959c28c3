/* test_sweep.c — parameter sweeps (rill/sweep.h): the grid of lists and
 * ranges, a sweep over a noisy function whose true means the table holds
 * within its error bars, trials grown until the requested error, the same
 * table on one worker and on several (to the bit), a job as the trial,
 * checkpoints and resume, the CSV and text output, and errors that name
 * the parameter, the combination and the trial. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rill.h"

static double uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* value = a*a + b + noise in [-1, 1): true mean a*a + b; twice = 2a, exact. */
static int noisy(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    uint64_t s = t->seed;
    (void)payload;
    assert_int_equal(n, 2);
    assert_int_equal(t->nparams, 2);
    out[0] = t->params[0] * t->params[0] + t->params[1] + 2 * uniform(&s) - 1;
    out[1] = 2 * t->params[0];
    return 0;
}

static rill_sweep *grid(void)
{
    static const double a[] = {0, 1, 2, 3};
    rill_sweep *s;
    assert_int_equal(rill_sweep_new(&s), 0);
    assert_int_equal(rill_sweep_values(s, "a", a, 4), 0);
    assert_int_equal(rill_sweep_range(s, "b", 0.5, 1.5, 0.5), 0);
    assert_int_equal(rill_sweep_output(s, "value"), 0);
    assert_int_equal(rill_sweep_output(s, "twice"), 0);
    return s;
}

static void a_grid_is_the_product_with_the_first_parameter_slowest(void **state)
{
    rill_sweep *s = grid();
    (void)state;
    assert_int_equal(rill_sweep_combinations(s), 12);
    assert_true(rill_sweep_value(s, 0, 0) == 0 && rill_sweep_value(s, 0, 1) == 0.5);
    assert_true(rill_sweep_value(s, 2, 0) == 0 && rill_sweep_value(s, 2, 1) == 1.5);
    assert_true(rill_sweep_value(s, 3, 0) == 1 && rill_sweep_value(s, 3, 1) == 0.5);
    assert_true(rill_sweep_value(s, 11, 0) == 3 && rill_sweep_value(s, 11, 1) == 1.5);
    assert_true(isnan(rill_sweep_value(s, 12, 0)));
    rill_sweep_free(s);
}

static void bad_ranges_and_names_are_refused_naming_the_parameter(void **state)
{
    rill_sweep *s;
    (void)state;
    assert_int_equal(rill_sweep_new(&s), 0);
    assert_int_equal(rill_sweep_range(s, "x", 0, 1, 0), RILL_ERANGE);
    assert_non_null(strstr(rill_error_last(), "parameter 'x': step is 0"));
    assert_int_equal(rill_sweep_range(s, "y", 0, 1, -0.1), RILL_ERANGE);
    assert_non_null(strstr(rill_error_last(), "parameter 'y'"));
    assert_int_equal(rill_sweep_range(s, "z", 0, 1e9, 1e-3), RILL_ERANGE);
    assert_int_equal(rill_sweep_range(s, "ok", 1, 0, -0.25), 0);
    assert_int_equal(rill_sweep_combinations(s), 5);
    assert_int_equal(rill_sweep_output(s, "ok"), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "'ok' is already a parameter"));
    assert_int_equal(rill_sweep_output(s, "a b"), RILL_EINVAL);
    rill_sweep_free(s);
}

static void check_means(const rill_sweep_table *t, int64_t trials)
{
    size_t row;
    assert_int_equal(rill_sweep_table_rows(t), 12);
    for (row = 0; row < 12; row++) {
        double a = rill_sweep_table_param(t, row, 0), b = rill_sweep_table_param(t, row, 1);
        rill_sweep_stats v, w;
        assert_int_equal(rill_sweep_table_stats(&v, t, row, 0), 0);
        assert_int_equal(rill_sweep_table_stats(&w, t, row, 1), 0);
        if (trials)
            assert_int_equal(v.n, trials);
        /* the true mean within 4 standard errors (6 under 30 trials: Student's
         * t at 99.95% for 9 degrees of freedom is 4.8); sd of U(-1,1) 0.577 */
        assert_true(fabs(v.mean - (a * a + b)) <= (v.n >= 30 ? 4 : 6) * v.se);
        assert_true(v.sd > 0.4 && v.sd < 0.75);
        assert_true(fabs(v.se - v.sd / sqrt((double)v.n)) < 1e-12);
        assert_true(w.mean == 2 * a && w.sd == 0 && w.se == 0);
    }
}

static void a_noisy_sweep_holds_the_true_means_within_its_error_bars(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t;
    (void)state;
    o.trials = 200;
    o.seed = 7;
    assert_int_equal(rill_sweep_run(&t, s, &o, noisy, NULL), 0);
    check_means(t, 200);
    rill_sweep_table_free(t);
    rill_sweep_free(s);
}

/* Student's t, two-sided 95%, by degrees of freedom (0: unused). */
static const double t_table[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

static void grown_trials_stop_at_the_requested_error(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t;
    size_t row;
    int grown = 0;
    double need;
    (void)state;
    o.rel_error = 0.05;
    o.min_trials = 10;
    o.max_trials = 5000;
    assert_int_equal(rill_sweep_run(&t, s, &o, noisy, NULL), 0);
    check_means(t, 0);
    for (row = 0; row < 12; row++) {
        rill_sweep_stats v;
        double t95;
        assert_int_equal(rill_sweep_table_stats(&v, t, row, 0), 0);
        t95 = v.n > 31 ? 1.96 + 2.5 / (double)v.n : t_table[v.n - 1];
        /* reached: the 95% half-width within 2% of the mean... */
        assert_true(v.n < 5000);
        assert_true(t95 * v.se <= 0.05 * fabs(v.mean) * 1.001);
        assert_int_equal(rill_sweep_table_reached(t, row), 1);
        /* ... and not by far more trials than needed (rounds at most 4x) */
        need = pow(1.96 * 0.57735 / (0.05 * fabs(v.mean)), 2);
        assert_true((double)v.n <= 5 * need + 10);
        if (need > 20) { /* those that needed more than the first round got it */
            assert_true(v.n > 10 && (double)v.n >= need * 0.7);
            grown++;
        }
    }
    assert_int_equal(grown, 7); /* the means under 5: a = 0, a = 1, a = 2 with b = 0.5 */
    assert_true(rill_sweep_table_rel_error(t) == 0.05);
    assert_int_equal(rill_sweep_table_reached(t, 12), RILL_ERANGE);
    rill_sweep_table_free(t);
    /* stopped at max_trials short of the target: not reached */
    o.max_trials = 12;
    assert_int_equal(rill_sweep_run(&t, s, &o, noisy, NULL), 0);
    for (row = 0; row < 12; row++) {
        rill_sweep_stats v;
        assert_int_equal(rill_sweep_table_stats(&v, t, row, 0), 0);
        /* twice is constant: known only from 30 trials on */
        assert_int_equal(v.n, 12);
        assert_int_equal(rill_sweep_table_reached(t, row), 0);
    }
    rill_sweep_table_free(t);
    /* fixed trials have nothing to reach */
    o.trials = 3;
    assert_int_equal(rill_sweep_run(&t, s, &o, noisy, NULL), 0);
    assert_true(rill_sweep_table_rel_error(t) == 0);
    assert_int_equal(rill_sweep_table_reached(t, 0), 1);
    rill_sweep_table_free(t);
    rill_sweep_free(s);
}

static char *csv(const rill_sweep_table *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(rill_sweep_table_write(t, f, RILL_SWEEP_CSV), 0);
    fclose(f);
    return buf;
}

static void one_worker_and_two_give_the_same_table_to_the_bit(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t1, *t2;
    char *c1, *c2;
    (void)state;
    o.rel_error = 0.03;
    o.workers = 1;
    assert_int_equal(rill_sweep_run(&t1, s, &o, noisy, NULL), 0);
    o.workers = 2;
    assert_int_equal(rill_sweep_run(&t2, s, &o, noisy, NULL), 0);
    c1 = csv(t1);
    c2 = csv(t2);
    assert_string_equal(c1, c2);
    free(c1);
    free(c2);
    rill_sweep_table_free(t1);
    rill_sweep_table_free(t2);
    rill_sweep_free(s);
}

/* The same noisy function as a job, as a plugin gives it. */
static int noisy_job(rill_emitter *out, const rill_record *in, void *payload)
{
    double params[4], v[2];
    rill_sweep_trial t;
    int rc;
    if ((rc = rill_sweep_trial_read(&t, params, 4, in)) < 0)
        return rc;
    if ((rc = noisy(v, 2, &t, payload)) != 0)
        return rc;
    return rill_sweep_emit(out, &t, v, 2);
}

static void a_job_as_the_trial_gives_what_the_function_gives(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t1, *t2;
    char *c1, *c2;
    (void)state;
    o.trials = 30;
    assert_int_equal(rill_sweep_run(&t1, s, &o, noisy, NULL), 0);
    o.job = noisy_job;
    assert_int_equal(rill_sweep_run(&t2, s, &o, NULL, NULL), 0);
    c1 = csv(t1);
    c2 = csv(t2);
    assert_string_equal(c1, c2);
    /* the header: parameters, trials, then mean, sd, se of each output */
    assert_memory_equal(c1, "a,b,trials,value_mean,value_sd,value_se,twice_mean,twice_sd,"
                        "twice_se\n0,0.5,30,", 60);
    free(c1);
    free(c2);
    rill_sweep_table_free(t1);
    rill_sweep_table_free(t2);
    rill_sweep_free(s);
}

static int failing(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    (void)payload;
    if (t->combination == 5 && t->trial == 3) {
        rill_error_set("the model diverged");
        return -1;
    }
    return noisy(out, n, t, NULL);
}

static int not_finite(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    noisy(out, n, t, payload);
    if (t->combination == 2 && t->trial == 1)
        out[1] = NAN;
    return 0;
}

static void a_failing_trial_is_named_with_its_combination_and_number(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t = (rill_sweep_table *)s;
    (void)state;
    o.trials = 6;
    assert_int_equal(rill_sweep_run(&t, s, &o, failing, NULL), RILL_EUSER);
    assert_null(t);
    assert_non_null(strstr(rill_error_last(), "combination 5 (a=1, b=1.5), trial 3: "
                                              "the model diverged"));
    assert_int_equal(rill_sweep_run(&t, s, &o, not_finite, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "combination 2 (a=0, b=1.5), trial 1: output "
                                              "'twice' is not a finite number"));
    rill_sweep_free(s);
}

static void the_text_table_is_aligned(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t;
    char *buf = NULL, *line, *save;
    size_t len = 0, width = 0;
    FILE *f;
    int lines = 0;
    (void)state;
    o.trials = 10;
    assert_int_equal(rill_sweep_run(&t, s, &o, noisy, NULL), 0);
    assert_non_null(f = open_memstream(&buf, &len));
    assert_int_equal(rill_sweep_table_write(t, f, RILL_SWEEP_TEXT), 0);
    fclose(f);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (width == 0)
            width = strlen(line);
        assert_int_equal(strlen(line), width); /* every line as wide */
        lines++;
    }
    assert_int_equal(lines, 13);
    free(buf);
    rill_sweep_table_free(t);
    rill_sweep_free(s);
}

/* Outputs by the payload: 0 a rare event that never happened (always 0),
 * 1 a constant 0.1, 2 +-1.7e308 by turns. */
static int fixed(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    int kind = *(const int *)payload;
    (void)n;
    out[0] = kind == 0 ? 0 : kind == 1 ? 0.1 : (t->trial % 2 ? -1.7e308 : 1.7e308);
    return 0;
}

static rill_sweep *one_output(void)
{
    static const double a[] = {1, 2};
    rill_sweep *s;
    assert_int_equal(rill_sweep_new(&s), 0);
    assert_int_equal(rill_sweep_values(s, "a", a, 2), 0);
    assert_int_equal(rill_sweep_output(s, "x"), 0);
    return s;
}

static void an_output_always_the_same_is_known_only_after_30_trials(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = one_output();
    rill_sweep_table *t;
    rill_sweep_stats st;
    int kind = 0;
    (void)state;
    o.min_trials = 5;
    assert_int_equal(rill_sweep_run(&t, s, &o, fixed, &kind), 0);
    assert_int_equal(rill_sweep_table_stats(&st, t, 1, 0), 0);
    assert_int_equal(st.n, 30); /* not 5: five zeros of a rare event */
    assert_true(st.mean == 0 && st.sd == 0);
    rill_sweep_table_free(t);
    o.max_trials = 12;
    assert_int_equal(rill_sweep_run(&t, s, &o, fixed, &kind), 0);
    assert_int_equal(rill_sweep_table_stats(&st, t, 0, 0), 0);
    assert_int_equal(st.n, 12);
    rill_sweep_table_free(t);
    rill_sweep_free(s);
}

static void a_constant_output_has_its_value_as_mean_and_sd_0_exactly(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = one_output();
    rill_sweep_table *t;
    rill_sweep_stats st;
    int kind = 1;
    (void)state;
    o.trials = 7;
    assert_int_equal(rill_sweep_run(&t, s, &o, fixed, &kind), 0);
    assert_int_equal(rill_sweep_table_stats(&st, t, 0, 0), 0);
    assert_true(st.mean == 0.1);
    assert_true(st.sd == 0 && st.se == 0);
    rill_sweep_table_free(t);
    rill_sweep_free(s);
}

static void one_trial_has_no_sd_or_se(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = one_output();
    rill_sweep_table *t;
    rill_sweep_stats st;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int kind = 1;
    (void)state;
    o.trials = 1;
    assert_int_equal(rill_sweep_run(&t, s, &o, fixed, &kind), 0);
    assert_int_equal(rill_sweep_table_stats(&st, t, 0, 0), 0);
    assert_true(st.n == 1 && st.mean == 0.1 && isnan(st.sd) && isnan(st.se));
    assert_non_null(f = open_memstream(&buf, &len));
    assert_int_equal(rill_sweep_table_write(t, f, RILL_SWEEP_CSV), 0);
    fclose(f);
    assert_string_equal(buf, "a,trials,x_mean,x_sd,x_se\n1,1,0.10000000000000001,,\n"
                             "2,1,0.10000000000000001,,\n");
    free(buf);
    buf = NULL;
    assert_non_null(f = open_memstream(&buf, &len));
    assert_int_equal(rill_sweep_table_write(t, f, RILL_SWEEP_TEXT), 0);
    fclose(f);
    assert_string_equal(buf, "a  trials  x_mean  x_sd  x_se\n1       1     0.1     -     -\n"
                             "2       1     0.1     -     -\n");
    free(buf);
    rill_sweep_table_free(t);
    rill_sweep_free(s);
}

static void outputs_too_large_for_a_finite_mean_or_sd_stop_the_sweep(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = one_output();
    rill_sweep_table *t = (rill_sweep_table *)s;
    int kind = 2;
    (void)state;
    o.trials = 4;
    assert_int_equal(rill_sweep_run(&t, s, &o, fixed, &kind), RILL_EUSER);
    assert_null(t);
    assert_non_null(strstr(rill_error_last(), "of output 'x' over 4 trials is not a finite "
                                              "number"));
    rill_sweep_free(s);
}

/* A first run fails at one trial after checkpoints; the resumed run
 * gives the table of an uninterrupted run, and runs no recorded trial
 * again. */
static _Atomic int calls;
static int fail_armed;
/* Per trial: 1 + the checkpoints the run had committed when it finished
 * (first run); whether it ran (resumed run). */
static _Atomic long long finished_at[12][60];
static _Atomic int ran_again[12][60];

static int counted(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    rill_sweep *s = payload;
    int rc;
    calls++;
    if (fail_armed && t->combination == 11 && t->trial == 40)
        return -1;
    usleep(200);
    rc = noisy(out, n, t, NULL);
    if (fail_armed)
        finished_at[t->combination][t->trial] = 1 + rill_sweep_checkpoint_count(s);
    else
        ran_again[t->combination][t->trial] = 1;
    return rc;
}

static void a_resumed_sweep_loses_no_trial_and_repeats_none_recorded(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t, *t0;
    char path[] = "/tmp/rill_sweep_ckptXXXXXX";
    char *c0, *c1, side[64];
    int fd, first, i, repeated = 0;
    long long last;
    (void)state;
    assert_true((fd = mkstemp(path)) >= 0);
    close(fd);
    unlink(path);
    o.trials = 60;
    o.workers = 2;
    assert_int_equal(rill_sweep_run(&t0, s, &o, noisy, NULL), 0);
    o.checkpoint = path;
    o.checkpoint_interval = 0.005;
    fail_armed = 1;
    calls = 0;
    memset(finished_at, 0, sizeof(finished_at));
    memset(ran_again, 0, sizeof(ran_again));
    assert_int_equal(rill_sweep_run(&t, s, &o, counted, s), RILL_EUSER);
    first = calls;
    assert_true(first < 12 * 60);
    last = rill_sweep_checkpoint_count(s);
    fail_armed = 0;
    calls = 0;
    /* without resume the unfinished run is not started over: refused */
    assert_true(last > 0);
    assert_int_equal(rill_sweep_run(&t, s, &o, counted, s), RILL_EEXISTS);
    assert_null(t);
    assert_int_equal(calls, 0);
    assert_non_null(strstr(rill_error_last(), "holds an unfinished run of this sweep ("));
    assert_non_null(strstr(rill_error_last(), " of 12 combinations done)"));
    o.resume = 1;
    assert_int_equal(rill_sweep_run(&t, s, &o, counted, s), 0);
    /* fewer calls than a whole sweep: what the checkpoint held did not run */
    assert_true(calls < 12 * 60);
    /* a trial that finished when k checkpoints were committed is in
     * checkpoint k + 2 (begun after k + 1 was committed, so after it): if
     * the first run committed that many, the trial does not run again */
    for (i = 0; i < 12 * 60; i++) {
        long long k = finished_at[i / 60][i % 60] - 1;
        if (k >= 0 && ran_again[i / 60][i % 60]) {
            repeated++;
            assert_true(k + 2 > last);
        }
    }
    print_message("%lld checkpoints; %d trials ran again\n", last, repeated);
    c0 = csv(t0);
    c1 = csv(t);
    assert_string_equal(c0, c1);
    free(c0);
    free(c1);
    rill_sweep_table_free(t);
    rill_sweep_table_free(t0);
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    rill_sweep_free(s);
}

/* A trial that tries to run its own sweep again. */
static _Atomic int busy_seen;

static int reentrant(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    rill_sweep_table *again = (rill_sweep_table *)payload;
    if (rill_sweep_run(&again, payload, NULL, noisy, NULL) == RILL_EBUSY && again == NULL)
        busy_seen++;
    return noisy(out, n, t, NULL);
}

static void a_sweep_runs_once_at_a_time(void **state)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep *s = grid();
    rill_sweep_table *t;
    (void)state;
    assert_int_equal(rill_sweep_checkpoint_request(s), RILL_ENOTFOUND);
    o.trials = 2;
    assert_int_equal(rill_sweep_run(&t, s, &o, reentrant, s), 0);
    assert_int_equal(busy_seen, 24);
    assert_int_equal(rill_sweep_table_rows(t), 12);
    assert_int_equal(rill_sweep_checkpoint_count(s), 0); /* no checkpointing */
    rill_sweep_table_free(t);
    rill_sweep_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_grid_is_the_product_with_the_first_parameter_slowest),
        cmocka_unit_test(bad_ranges_and_names_are_refused_naming_the_parameter),
        cmocka_unit_test(a_noisy_sweep_holds_the_true_means_within_its_error_bars),
        cmocka_unit_test(grown_trials_stop_at_the_requested_error),
        cmocka_unit_test(one_worker_and_two_give_the_same_table_to_the_bit),
        cmocka_unit_test(a_job_as_the_trial_gives_what_the_function_gives),
        cmocka_unit_test(a_failing_trial_is_named_with_its_combination_and_number),
        cmocka_unit_test(the_text_table_is_aligned),
        cmocka_unit_test(an_output_always_the_same_is_known_only_after_30_trials),
        cmocka_unit_test(a_constant_output_has_its_value_as_mean_and_sd_0_exactly),
        cmocka_unit_test(one_trial_has_no_sd_or_se),
        cmocka_unit_test(outputs_too_large_for_a_finite_mean_or_sd_stop_the_sweep),
        cmocka_unit_test(a_resumed_sweep_loses_no_trial_and_repeats_none_recorded),
        cmocka_unit_test(a_sweep_runs_once_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
