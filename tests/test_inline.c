/* test_inline.c — the semantics of the inline API: Multiple, reducers and
 * their recursion, frames and their rounds, nesting, init/result/finish, the
 * Args-style tuple fan-out, empty work and re-running a pipeline. Each case
 * runs with 1 and with 4 workers. */
#include <stdatomic.h>

#include "helpers.h"

static const int worker_counts[] = {1, 4};
#define FOR_WORKERS(w) \
    for (size_t wi_ = 0; wi_ < 2 && ((w) = worker_counts[wi_], 1); wi_++)

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
        assert_int_equal(rill_job(p, "repeat", repeat_n, NULL), 0);
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

typedef struct sum_store {
    int64_t sum, adds;
} sum_store;

static int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    sum_store *s = store;
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++)
        s->sum += i64(&in[i]);
    s->adds += (int64_t)n;
    return 0;
}

static int sum_merge(void *store, void *other, void *payload)
{
    sum_store *s = store, *o = other;
    (void)payload;
    s->sum += o->sum;
    s->adds += o->adds;
    return 0;
}

static int sum_emit(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((sum_store *)store)->sum);
}

static rill_reduce_options sum_reducer(void)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    r.store_size = sizeof(sum_store);
    r.add = sum_add;
    r.merge = sum_merge;
    r.emit = sum_emit;
    return r;
}

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
        assert_int_equal(rill_reduce(p, "sum", &r), 0);
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
        assert_int_equal(rill_reduce(p, "halve", &r), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 15 + 2047);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

static int twice(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, i64(in) * 2);
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
        assert_int_equal(rill_job(p, "double", twice, NULL), 0);
        assert_int_equal(rill_reduce(p, "sum", &r), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 2 + 4 + 8 + 16);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

static int count_to(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n = i64(in), i;
    (void)payload;
    for (i = 1; i <= n; i++)
        if (rill_emit_int64(out, i) != 0)
            return -1;
    return 0;
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
        assert_int_equal(rill_reduce(p, "sum", &r), 0);        /* 55 */
        assert_int_equal(rill_job(p, "count to", count_to, NULL), 0); /* 1..55 */
        assert_int_equal(rill_reduce(p, "sum again", &r), 0); /* 55 * 56 / 2 */
        assert_int_equal(rill_job(p, "double", twice, NULL), 0);
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
    assert_int_equal(rill_job(p, "double", twice, NULL), 0);
    assert_int_equal(rill_reduce(p, "sum", &r), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(only_int64(res), 19999LL * 20000);
    assert_int_equal(atomic_load(&max_in_add), 1);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- frames ---- */

typedef struct rounds_store {
    int64_t first, round, got;
} rounds_store;

/* Three rounds: each round recurs `first` records and waits for all of them
 * to come back before the next round starts. */
static int three_rounds(rill_emitter *recur, void *store, const rill_record *first,
                        void *payload)
{
    rounds_store *s = store;
    int64_t i;
    (void)payload;
    if (s->round == 0)
        s->first = i64(first);
    else if (s->got != s->round * s->first)
        return -1; /* called before the round's work was all done */
    if (s->round == 3)
        return 0;
    s->round++;
    for (i = 0; i < s->first; i++)
        if (rill_emit_int64(recur, i) != 0)
            return -1;
    return 0;
}

static int count_back(rill_emitter *recur, void *store, const rill_record *next,
                      void *payload)
{
    (void)recur, (void)next, (void)payload;
    ((rounds_store *)store)->got++;
    return 0;
}

static int emit_got(rill_emitter *out, void *store, void *payload)
{
    rounds_store *s = store;
    (void)payload;
    return rill_emit_tuple(out, "ii", s->first, s->got);
}

static void frame_function_runs_again_only_when_its_round_is_done(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        size_t i;
        f.store_size = sizeof(rounds_store);
        f.frame = three_rounds;
        f.emit = emit_got;
        o.batch_records = 3;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 40)), 0);
        assert_int_equal(rill_frame(p, "rounds", &f), 0);
        assert_int_equal(rill_job(p, "double", twice, NULL), 0);
        assert_int_equal(rill_frame_end(p, "count", count_back, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 39);
        for (i = 0; i < 39; i++) {
            rill_record r;
            int64_t first, got;
            assert_int_equal(rill_batch_get(res, i, &r), 0);
            assert_int_equal(rill_record_unpack(&r, "ii", &first, &got), 0);
            assert_int_equal(got, 3 * first);
        }
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

typedef struct tri_store {
    int64_t first, value;
    int started;
} tri_store;

static int once(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    tri_store *s = store;
    (void)payload;
    if (s->started)
        return 0;
    s->started = 1;
    s->first = i64(first);
    return rill_emit_record(recur, first);
}

static int add_next(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    (void)recur, (void)payload;
    ((tri_store *)store)->value += i64(next);
    return 0;
}

static int emit_value(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((tri_store *)store)->value);
}

static rill_frame_options once_frame(void)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    f.store_size = sizeof(tri_store);
    f.frame = once;
    f.emit = emit_value;
    return f;
}

/* Inside a frame a reducer's scope starts after the frame, so each record
 * the frame recurs opens a reduction of its own: n -> 1..n -> sum. */
static void a_reducer_inside_a_frame_reduces_each_round_separately(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_frame_options f = once_frame();
        rill_reduce_options r = sum_reducer();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        size_t n, i;
        int64_t *v;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 31)), 0);
        assert_int_equal(rill_frame(p, "per n", &f), 0);
        assert_int_equal(rill_job(p, "count to", count_to, NULL), 0);
        assert_int_equal(rill_reduce(p, "sum", &r), 0);
        assert_int_equal(rill_frame_end(p, "keep", add_next, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        v = sorted_ints(res, &n);
        assert_int_equal(n, 30);
        for (i = 0; i < n; i++)
            assert_int_equal(v[i], (int64_t)(i + 1) * (int64_t)(i + 2) / 2);
        free(v);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* Frames nest: the outer frame recurs 1..n, each enters the inner frame,
 * which sums 1..m; the outer frame end sums those. */
static void frames_nest(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_frame_options f = once_frame();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        size_t n, i;
        int64_t *v;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 13)), 0);
        assert_int_equal(rill_frame(p, "outer", &f), 0);
        assert_int_equal(rill_job(p, "count to", count_to, NULL), 0);
        assert_int_equal(rill_frame(p, "inner", &f), 0);
        assert_int_equal(rill_job(p, "count to", count_to, NULL), 0);
        assert_int_equal(rill_frame_end(p, "inner end", add_next, NULL), 0);
        assert_int_equal(rill_frame_end(p, "outer end", add_next, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        v = sorted_ints(res, &n);
        assert_int_equal(n, 12);
        for (i = 0; i < n; i++) {
            int64_t k = (int64_t)i + 1, m, want = 0;
            for (m = 1; m <= k; m++)
                want += m * (m + 1) / 2;
            assert_int_equal(v[i], want);
        }
        free(v);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* A top-level reducer after a frame takes in every frame's result. */
static void a_top_level_reducer_after_a_frame_gathers_every_frame(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_frame_options f = once_frame();
        rill_reduce_options r = sum_reducer();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 5)), 0);
        assert_int_equal(rill_frame(p, "per n", &f), 0);
        assert_int_equal(rill_job(p, "count to", count_to, NULL), 0);
        assert_int_equal(rill_frame_end(p, "keep", add_next, NULL), 0);
        assert_int_equal(rill_reduce(p, "all", &r), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), 1 + 3 + 6 + 10);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* The frame function emits far more than a batch while frame end calls for
 * the same reduction could run: frame end must never see the function
 * still running on the store they share. */
typedef struct shared_store {
    int in_frame, rounds;
    int64_t seen, overlaps;
} shared_store;

static int wide_frame(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    shared_store *s = store;
    int64_t i;
    (void)first, (void)payload;
    if (s->rounds++ == 3)
        return 0;
    s->in_frame = 1;
    for (i = 0; i < 200; i++)
        if (rill_emit_int64(recur, i) != 0)
            return -1;
    s->in_frame = 0;
    return 0;
}

static int see(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    shared_store *s = store;
    (void)recur, (void)next, (void)payload;
    s->seen++;
    s->overlaps += s->in_frame;
    return 0;
}

static int emit_overlaps(rill_emitter *out, void *store, void *payload)
{
    shared_store *s = store;
    (void)payload;
    return rill_emit_tuple(out, "ii", s->seen, s->overlaps);
}

static void frame_end_never_runs_while_the_frame_function_holds_the_store(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        size_t i;
        f.store_size = sizeof(shared_store);
        f.frame = wide_frame;
        f.emit = emit_overlaps;
        o.batch_records = 2;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 8)), 0);
        assert_int_equal(rill_frame(p, "wide", &f), 0);
        assert_int_equal(rill_job(p, "double", twice, NULL), 0);
        assert_int_equal(rill_frame_end(p, "see", see, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 8);
        for (i = 0; i < 8; i++) {
            rill_record r;
            int64_t seen, overlaps;
            assert_int_equal(rill_batch_get(res, i, &r), 0);
            assert_int_equal(rill_record_unpack(&r, "ii", &seen, &overlaps), 0);
            assert_int_equal(seen, 600);
            assert_int_equal(overlaps, 0);
        }
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* An outer reducer whose recursion runs a frame holding another reducer:
 * the outer add's inputs must stay as they were while that runs. */
static int checked_recur_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                             void *payload)
{
    sum_store *s = store;
    int64_t first = i64(&in[0]);
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++) {
        int64_t x = i64(&in[i]);
        s->sum += x;
        if (x < 1000 && rill_emit_int64(recur, x + 1000) != 0)
            return -1;
    }
    if (i64(&in[0]) != first)
        return -2; /* the inputs changed under the add */
    return 0;
}

static void a_reducers_inputs_stay_valid_while_its_recursion_runs(void **state)
{
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_frame_options f = once_frame();
        rill_reduce_options inner = sum_reducer(), outer = sum_reducer();
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        int64_t want = 0, n;
        outer.add = checked_recur_add;
        o.batch_records = 4;
        /* Each n: the frame sums 1..n into t; the outer add recurs t + 1000
         * (for t < 1000) back to the scope start, the frame, which sums
         * 1..t + 1000 in turn. */
        for (n = 1; n <= 40; n++) {
            int64_t t = n * (n + 1) / 2;
            want += t + (t < 1000 ? (t + 1000) * (t + 1001) / 2 : 0);
        }
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 41)), 0);
        assert_int_equal(rill_frame(p, "per n", &f), 0);
        assert_int_equal(rill_job(p, "count to", count_to, NULL), 0);
        assert_int_equal(rill_reduce(p, "inner sum", &inner), 0);
        assert_int_equal(rill_frame_end(p, "keep", add_next, NULL), 0);
        assert_int_equal(rill_reduce(p, "outer sum", &outer), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), want);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* ---- init, result, finish ---- */

typedef struct calls {
    atomic_int init, jobs_before_init, results, finish;
    int64_t finish_count, result_sum;
} calls;

static int on_init(void *payload)
{
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
        so.payload = &c;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 5000)), 0);
        assert_int_equal(rill_init(p, on_init, &c), 0);
        assert_int_equal(rill_job(p, "check", checks_init, &so), 0);
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
    so.payload = &c;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_job(p, "check", checks_init, &so), 0);
    assert_int_equal(rill_reduce(p, "sum", &r), 0);
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
    assert_int_equal(rill_job(p, "handle", handle, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    assert_int_equal(rill_batch_get(res, 0, &r), 0);
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
    assert_int_equal(rill_job(p, "double", twice, NULL), 0);
    assert_int_equal(rill_reduce(p, "sum", &r), 0);
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
        cmocka_unit_test(frame_function_runs_again_only_when_its_round_is_done),
        cmocka_unit_test(a_reducer_inside_a_frame_reduces_each_round_separately),
        cmocka_unit_test(frames_nest),
        cmocka_unit_test(a_top_level_reducer_after_a_frame_gathers_every_frame),
        cmocka_unit_test(frame_end_never_runs_while_the_frame_function_holds_the_store),
        cmocka_unit_test(a_reducers_inputs_stay_valid_while_its_recursion_runs),
        cmocka_unit_test(init_runs_first_result_once_per_record_and_finish_once_with_all),
        cmocka_unit_test(empty_work_runs_no_job_and_a_reducer_emits_its_initial_store),
        cmocka_unit_test(a_tuple_fans_out_into_the_jobs_arguments),
        cmocka_unit_test(a_pipeline_runs_again_with_the_same_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
