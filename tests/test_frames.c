/* test_frames.c — frames: the frame function runs again only when its round
 * is done, reducers inside frames reduce each round, frames nest, a reducer
 * after a frame gathers them all, and frame end never shares the store with
 * a running frame function. Each case runs with 1 and with 4 workers. */
#include <stdatomic.h>

#include "frame_helpers.h"
#include "inline_helpers.h"

/* ---- frames ---- */

/* Runs n records (from first on) through frame f, the job doubling every
 * record and frame end fe, on w workers; each result is a pair of int64,
 * checked by want(a, b). */
static void frame_pairs(const rill_frame_options *f, rill_frame_end_fn fe, int64_t first,
                        size_t n, size_t batch, void (*want)(int64_t, int64_t))
{
    int w;
    FOR_WORKERS(w) {
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        size_t i;
        o.batch_records = batch;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(first, first + (int64_t)n)), 0);
        assert_int_equal(rill_frame(p, "frame", f, NULL), 0);
        assert_int_equal(rill_job(p, "double", NULL, twice, NULL), 0);
        assert_int_equal(rill_frame_end(p, "frame end", NULL, fe, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), n);
        for (i = 0; i < n; i++) {
            rill_record r;
            int64_t a, b;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(rill_record_unpack(&r, "ii", &a, &b), 0);
            want(a, b);
        }
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

static void three_rounds_came_back(int64_t first, int64_t got)
{
    assert_int_equal(got, 3 * first);
}

static void frame_function_runs_again_only_when_its_round_is_done(void **state)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    (void)state;
    f.store_size = sizeof(rounds_store);
    f.frame = three_rounds;
    f.emit = emit_got;
    frame_pairs(&f, count_back, 1, 39, 3, three_rounds_came_back);
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
        assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
        assert_int_equal(rill_job(p, "count to", NULL, count_to, NULL), 0);
        assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
        assert_int_equal(rill_frame_end(p, "keep", NULL, add_next, NULL), 0);
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
        assert_int_equal(rill_frame(p, "outer", &f, NULL), 0);
        assert_int_equal(rill_job(p, "count to", NULL, count_to, NULL), 0);
        assert_int_equal(rill_frame(p, "inner", &f, NULL), 0);
        assert_int_equal(rill_job(p, "inner count to", NULL, count_to, NULL), 0);
        assert_int_equal(rill_frame_end(p, "inner end", NULL, add_next, NULL), 0);
        assert_int_equal(rill_frame_end(p, "outer end", NULL, add_next, NULL), 0);
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
        assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
        assert_int_equal(rill_job(p, "count to", NULL, count_to, NULL), 0);
        assert_int_equal(rill_frame_end(p, "keep", NULL, add_next, NULL), 0);
        assert_int_equal(rill_reduce(p, "all", &r, NULL), 0);
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

static void saw_all_without_overlap(int64_t seen, int64_t overlaps)
{
    assert_int_equal(seen, 600);
    assert_int_equal(overlaps, 0);
}

static void frame_end_never_runs_while_the_frame_function_holds_the_store(void **state)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    (void)state;
    f.store_size = sizeof(shared_store);
    f.frame = wide_frame;
    f.emit = emit_overlaps;
    frame_pairs(&f, see, 0, 8, 2, saw_all_without_overlap);
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
        assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
        assert_int_equal(rill_job(p, "count to", NULL, count_to, NULL), 0);
        assert_int_equal(rill_reduce(p, "inner sum", &inner, NULL), 0);
        assert_int_equal(rill_frame_end(p, "keep", NULL, add_next, NULL), 0);
        assert_int_equal(rill_reduce(p, "outer sum", &outer, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(only_int64(res), want);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_function_runs_again_only_when_its_round_is_done),
        cmocka_unit_test(a_reducer_inside_a_frame_reduces_each_round_separately),
        cmocka_unit_test(frames_nest),
        cmocka_unit_test(a_top_level_reducer_after_a_frame_gathers_every_frame),
        cmocka_unit_test(frame_end_never_runs_while_the_frame_function_holds_the_store),
        cmocka_unit_test(a_reducers_inputs_stay_valid_while_its_recursion_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
