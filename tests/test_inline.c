/* test_inline.c — the semantics of the inline API: Multiple, reducers and
 * their recursion, init/result/finish, the Args-style tuple fan-out, empty
 * work and re-running a pipeline (frames are in test_frames.c). Each case
 * runs with 1 and with 4 workers. */
#include <stdatomic.h>

#include "inline_helpers.h"

/* ---- Multiple ---- */

static int repeat_n(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n = i64(in), i;
    (void)payload;
    for (i = 0; i < n; i++)
        if (rill_emit_int64(out, n) != 0)
            return -1;
    return 0;
}

static void job_emits_zero_or_more_records_for_each_input(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_pipeline *p;
        rill_batch *res;
        rill_run_options o = with_workers(w);
        size_t n, i, at = 0;
        int64_t *v, k;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 50)), 0);
        assert_int_equal(rill_job(p, "repeat", NULL, repeat_n, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        v = sorted_ints(res, &n);
        assert_int_equal(n, 49 * 50 / 2);
        for (k = 1; k < 50; k++)
            for (i = 0; i < (size_t)k; i++)
                assert_int_equal(v[at++], k);
        free(v);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* ---- reducers ---- */

static void top_level_reducer_makes_one_reduction_of_all_initial_work(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_reduce_options r = sum_reducer();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 10001)), 0);
        assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 10000 * 10001 / 2);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* add recurs x/2 for every x > 1: 8 -> 8 + 4 + 2 + 1. */
static int halving_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                       void *payload)
{
    sum_store *s = store;
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++) {
        int64_t x = i64(&in[i]);
        s->sum += x;
        if (x > 1 && rill_emit_int64(recur, x / 2) != 0)
            return -1;
    }
    return 0;
}

static void what_add_returns_recurs_into_the_reducer(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_reduce_options r = sum_reducer();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res, *work;
        r.add = halving_add;
        assert_int_equal(rill_batch_new(&work), 0);
        assert_int_equal(rill_batch_add_int64(work, 8), 0);
        assert_int_equal(rill_batch_add_int64(work, 1024), 0);
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, work), 0);
        assert_int_equal(rill_reduce(p, "halve", &r, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 15 + 2047);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* Recurred work re-enters the scope at its first stage (the job): 1 -> job
 * 2, add recurs 2 -> job 4 -> 8 -> 16; the store sums 2 + 4 + 8 + 16. */
static int recur_below_16(rill_emitter *recur, void *store, const rill_record *in,
                          size_t n, void *payload)
{
    sum_store *s = store;
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++) {
        int64_t x = i64(&in[i]);
        s->sum += x;
        if (x < 16 && rill_emit_int64(recur, x) != 0)
            return -1;
    }
    return 0;
}

static void recurred_work_goes_back_through_the_stages_of_the_scope(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_reduce_options r = sum_reducer();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        r.add = recur_below_16;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 2)), 0);
        assert_int_equal(rill_job(p, "double", NULL, twice, NULL), 0);
        assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 2 + 4 + 8 + 16);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* reduce -> job -> reduce: the second reducer's scope starts after the
 * first, so each record the first emits opens a reduction of its own. */
static void a_reducer_after_a_reducer_reduces_each_record_it_receives(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_reduce_options r = sum_reducer();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 11)), 0);
        assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);        /* 55 */
        assert_int_equal(rill_job(p, "count to", NULL, count_to, NULL), 0); /* 1..55 */
        assert_int_equal(rill_reduce(p, "sum again", &r, NULL), 0); /* 55 * 56 / 2 */
        assert_int_equal(rill_job(p, "double", NULL, twice, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 55 * 56);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

static atomic_int in_add, max_in_add;

static int slow_locked_add(rill_emitter *recur, void *store, const rill_record *in,
                           size_t n, void *payload)
{
    int now = atomic_fetch_add(&in_add, 1) + 1, seen = atomic_load(&max_in_add);
    while (now > seen && !atomic_compare_exchange_weak(&max_in_add, &seen, now))
        ;
    sum_add(recur, store, in, n, payload);
    atomic_fetch_sub(&in_add, 1);
    return 0;
}

static void a_reducer_without_merge_adds_one_batch_at_a_time_into_one_store(void **state)
{
    rill_reduce_options r = sum_reducer();
    rill_run_options o = with_workers(4);
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    r.add = slow_locked_add;
    r.merge = NULL;
    o.batch_records = 7;
    atomic_store(&max_in_add, 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 20000)), 0);
    assert_int_equal(rill_job(p, "double", NULL, twice, NULL), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(only_int64(res), 19999LL * 20000);
    assert_int_equal(atomic_load(&max_in_add), 1);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- init, result, finish ---- */

typedef struct calls {
    atomic_int init, jobs_before_init, results, finish;
    int64_t finish_count, result_sum;
} calls;

static int on_init(rill_batch *work, void *payload)
{
    (void)work;
    atomic_fetch_add(&((calls *)payload)->init, 1);
    return 0;
}

static int checks_init(rill_emitter *out, const rill_record *in, void *payload)
{
    calls *c = payload;
    if (atomic_load(&c->init) != 1)
        atomic_fetch_add(&c->jobs_before_init, 1);
    return rill_emit_record(out, in);
}

static int on_result(const rill_record *r, void *payload)
{
    calls *c = payload;
    atomic_fetch_add(&c->results, 1);
    c->result_sum += i64(r); /* results are never called concurrently */
    return 0;
}

static int on_finish(const rill_batch *results, void *payload)
{
    calls *c = payload;
    atomic_fetch_add(&c->finish, 1);
    c->finish_count = (int64_t)rill_batch_count(results);
    return 0;
}

static void init_runs_first_result_once_per_record_and_finish_once_with_all(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_run_options o = with_workers(w);
        rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
        rill_pipeline *p;
        calls c;
        memset(&c, 0, sizeof(c));
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 5000)), 0);
        assert_int_equal(rill_on_init(p, on_init, &c), 0);
        assert_int_equal(rill_job(p, "check", &so, checks_init, &c), 0);
        assert_int_equal(rill_result(p, on_result, &c), 0);
        assert_int_equal(rill_finish(p, on_finish, &c), 0);
        assert_int_equal(rill_run(p, &o, NULL), 0);
        assert_int_equal(atomic_load(&c.init), 1);
        assert_int_equal(atomic_load(&c.jobs_before_init), 0);
        assert_int_equal(atomic_load(&c.results), 5000);
        assert_int_equal(c.result_sum, 4999 * 5000 / 2);
        assert_int_equal(atomic_load(&c.finish), 1);
        assert_int_equal(c.finish_count, 5000);
        rill_pipeline_free(p);
    }
}

static void empty_work_runs_no_job_and_a_reducer_emits_its_initial_store(void **state)
{
    rill_reduce_options r = sum_reducer();
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *res, *work;
    calls c;
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_job(p, "check", &so, checks_init, &c), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(only_int64(res), 0);
    rill_batch_free(res);
    rill_pipeline_free(p);
    /* without init, any job call would have counted itself here */
    assert_int_equal(atomic_load(&c.jobs_before_init), 0);
}

/* ---- Args fan-out ---- */

static int handle(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t a, b;
    double c;
    const char *d;
    char line[64];
    int rc = rill_record_unpack(in, "iids", &a, &b, &c, &d);
    (void)payload;
    if (rc < 0)
        return rc;
    snprintf(line, sizeof(line), "Got %lld, %lld, %g, %s", (long long)a, (long long)b, c, d);
    printf("%s\n", line);
    return rill_emit_text(out, line);
}

static void a_tuple_fans_out_into_the_jobs_arguments(void **state)
{
    rill_pipeline *p;
    rill_batch *work, *res;
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_tuple(work, "iids", (int64_t)1, (int64_t)2, 3.0, "4"), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_job(p, "handle", NULL, handle, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    assert_int_equal(rill_batch_get(&r, res, 0), 0);
    assert_int_equal(r.len, strlen("Got 1, 2, 3, 4"));
    assert_memory_equal(r.data, "Got 1, 2, 3, 4", r.len);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void a_pipeline_runs_again_with_the_same_results(void **state)
{
    rill_reduce_options r = sum_reducer();
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    int run;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3000)), 0);
    assert_int_equal(rill_job(p, "double", NULL, twice, NULL), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    for (run = 0; run < 3; run++) {
        rill_batch *res;
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 2999 * 3000);
        rill_batch_free(res);
    }
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_emits_zero_or_more_records_for_each_input),
        cmocka_unit_test(top_level_reducer_makes_one_reduction_of_all_initial_work),
        cmocka_unit_test(what_add_returns_recurs_into_the_reducer),
        cmocka_unit_test(recurred_work_goes_back_through_the_stages_of_the_scope),
        cmocka_unit_test(a_reducer_after_a_reducer_reduces_each_record_it_receives),
        cmocka_unit_test(a_reducer_without_merge_adds_one_batch_at_a_time_into_one_store),
        cmocka_unit_test(init_runs_first_result_once_per_record_and_finish_once_with_all),
        cmocka_unit_test(empty_work_runs_no_job_and_a_reducer_emits_its_initial_store),
        cmocka_unit_test(a_tuple_fans_out_into_the_jobs_arguments),
        cmocka_unit_test(a_pipeline_runs_again_with_the_same_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
