/* test_emit_to.c — emitting to a named successor (rill_emitter_to) and
 * loop edges (rill_loop): the loop "keep going -> add one -> check; done ->
 * output" in a graph, and the same loop with a frame in the inline API; a
 * branch fed by name only; unknown names naming the stage; cycles without a
 * loop edge still refused; a checkpointed loop that fails, resumed. */
#include <unistd.h>

#include "helpers.h"

/* check: below 10 -> add_one, else -> output. */
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

static int add_one(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, i64(in) + 1);
}

static rill_pipeline *loop_graph(void)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_task(p, "check", NULL, check, NULL), 0);
    assert_int_equal(rill_job(p, "add_one", NULL, add_one, NULL), 0);
    assert_int_equal(rill_task(p, "output", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "check", "add_one"), 0);
    assert_int_equal(rill_edge(p, "check", "output"), 0);
    assert_int_equal(rill_loop(p, "add_one", "check"), 0);
    return p;
}

/* 0..99 through the loop: max(x, 10) each, sorted. */
static void assert_loop_results(const rill_batch *res)
{
    size_t n, i;
    int64_t *v = sorted_ints(res, &n);
    assert_int_equal(n, 100);
    for (i = 0; i < n; i++)
        assert_int_equal(v[i], i < 11 ? 10 : (int64_t)i);
    free(v);
}

static void a_graph_loop_runs_until_check_sends_records_out(void **state)
{
    rill_pipeline *p = loop_graph();
    rill_run_options o = with_workers(3);
    rill_stage_stats st;
    rill_batch *res;
    (void)state;
    o.batch_records = 8;
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_loop_results(res);
    /* add_one saw 10 - x records for each x below 10: 55, and check 100 + 55 */
    assert_int_equal(rill_pipeline_stats(&st, p, "add_one"), 0);
    assert_int_equal(st.records_in, 55);
    assert_int_equal(rill_pipeline_stats(&st, p, "check"), 0);
    assert_int_equal(st.records_in, 155);
    assert_int_equal(rill_pipeline_stats(&st, p, "output"), 0);
    assert_int_equal(st.records_in, 100);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* The same loop in the inline API: a frame per record. */
static int frame_check(rill_emitter *recur, void *store, const rill_record *first,
                       void *payload)
{
    int64_t *x = store;
    (void)payload;
    if (*x == 0) /* the first call (or x is 0 still): the record that opened the frame */
        *x = i64(first);
    return *x < 10 ? rill_emit_int64(recur, *x) : 0; /* nothing: done, the store goes out */
}

static int frame_back(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    (void)recur;
    (void)payload;
    *(int64_t *)store = i64(next);
    return 0;
}

static void the_same_loop_with_a_frame_in_the_inline_api(void **state)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_run_options o = with_workers(3);
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    f.store_size = sizeof(int64_t);
    f.frame = frame_check;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_frame(p, "check", &f, NULL), 0);
    assert_int_equal(rill_job(p, "add_one", NULL, add_one, NULL), 0);
    assert_int_equal(rill_frame_end(p, "check_end", NULL, frame_back, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_loop_results(res);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* split: evens to "even", odds to "odd"; each tags what it gets. */
static int split(rill_emitter *out, const rill_record *in, void *payload)
{
    rill_emitter *to;
    int rc;
    (void)payload;
    if ((rc = rill_emitter_to(&to, out, i64(in) % 2 ? "odd" : "even")) != 0)
        return rc;
    return rill_emit_record(to, in);
}

static int tag_even(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, 1000 + i64(in));
}

static int tag_odd(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, 2000 + i64(in));
}

static void a_named_emit_reaches_that_successor_only(void **state)
{
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *res;
    size_t n, i;
    int64_t *v;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 50)), 0);
    assert_int_equal(rill_job(p, "split", NULL, split, NULL), 0);
    assert_int_equal(rill_job(p, "even", NULL, tag_even, NULL), 0);
    assert_int_equal(rill_job(p, "odd", NULL, tag_odd, NULL), 0);
    assert_int_equal(rill_edge(p, "split", "even"), 0);
    assert_int_equal(rill_edge(p, "split", "odd"), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 50); /* one each, not two */
    for (i = 0; i < 25; i++) {
        assert_int_equal(v[i], 1000 + 2 * (int64_t)i);
        assert_int_equal(v[25 + i], 2000 + 2 * (int64_t)i + 1);
    }
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* Holds its emitter to "a" across more records to all than a batch holds:
 * x to a, 20 to a and b, then -1 - x to a again. */
static int fan(rill_emitter *out, const rill_record *in, void *payload)
{
    rill_emitter *to;
    int64_t x = i64(in);
    int k, rc;
    (void)payload;
    if ((rc = rill_emitter_to(&to, out, "a")) < 0 || (rc = rill_emit_int64(to, x)) < 0)
        return rc;
    for (k = 0; k < 20 && rc == 0; k++)
        rc = rill_emit_int64(out, 1000 + k);
    return rc < 0 ? rc : rill_emit_int64(to, -1 - x);
}

static void an_emitter_to_a_successor_lasts_the_whole_callback(void **state)
{
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *res;
    size_t n, i, low = 0, high = 0;
    int64_t *v, sum = 0;
    (void)state;
    o.batch_records = 8; /* the 20 records to all fill batches mid-callback */
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 10)), 0);
    assert_int_equal(rill_job(p, "fan", NULL, fan, NULL), 0);
    assert_int_equal(rill_task(p, "a", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "b", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "fan", "a"), 0);
    assert_int_equal(rill_edge(p, "fan", "b"), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 10 * (2 + 2 * 20));
    for (i = 0; i < n; i++) {
        low += v[i] < 1000;
        high += v[i] >= 1000;
        if (v[i] < 1000)
            sum += v[i];
    }
    assert_int_equal(low, 20);   /* x and -1 - x, to a alone */
    assert_int_equal(high, 400); /* to both */
    assert_int_equal(sum, -10);  /* each pair sums to -1 */
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static int to_nowhere(rill_emitter *out, const rill_record *in, void *payload)
{
    rill_emitter *to = (rill_emitter *)&to;
    int rc = rill_emitter_to(&to, out, "nope");
    (void)in;
    (void)payload;
    assert_null(to);
    return rc;
}

static void an_unknown_successor_stops_the_run_naming_the_stage(void **state)
{
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 5)), 0);
    assert_int_equal(rill_job(p, "pick", NULL, to_nowhere, NULL), 0);
    assert_int_equal(rill_job(p, "left", NULL, add_one, NULL), 0);
    assert_int_equal(rill_job(p, "right", NULL, add_one, NULL), 0);
    assert_int_equal(rill_edge(p, "pick", "left"), 0);
    assert_int_equal(rill_edge(p, "pick", "right"), 0);
    assert_int_equal(rill_run(p, NULL, &res), RILL_EUSER);
    assert_null(res);
    assert_non_null(strstr(rill_error_last(), "job 'pick' (stage 1) failed on record"));
    assert_non_null(strstr(rill_error_last(), "no successor of 'pick' is named 'nope' "
                                              "(its successors: 'left', 'right')"));
    rill_pipeline_free(p);
}

/* In the inline API a job's one successor is the stage after it. */
static int to_next_by_name(rill_emitter *out, const rill_record *in, void *payload)
{
    rill_emitter *to;
    int rc = rill_emitter_to(&to, out, (const char *)payload);
    return rc ? rc : rill_emit_record(to, in);
}

static void inline_jobs_name_the_stage_after_them(void **state)
{
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_job(p, "first", NULL, to_next_by_name, "second"), 0);
    assert_int_equal(rill_job(p, "second", NULL, add_one, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    assert_int_equal(rill_batch_count(res), 3);
    rill_batch_free(res);
    rill_pipeline_free(p);

    /* the last stage has no named successor: the results are no stage */
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_job(p, "last", NULL, to_next_by_name, "result"), 0);
    assert_int_equal(rill_run(p, NULL, &res), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "job 'last' (stage 1) failed on record"));
    assert_non_null(strstr(rill_error_last(), "no successor of 'last' is named 'result' "
                                              "(it has none)"));
    rill_pipeline_free(p);
}

static void cycles_need_a_loop_edge_and_known_names(void **state)
{
    rill_pipeline *p;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_task(p, "a", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "b", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "c", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "b", "c"), 0);
    assert_int_equal(rill_edge(p, "c", "b"), 0);
    assert_int_equal(rill_pipeline_validate(p), RILL_EPIPELINE);
    assert_non_null(strstr(rill_error_last(), "'b' -> 'c' -> 'b' form a cycle"));
    rill_pipeline_free(p);

    /* the same with the edge back a loop edge: valid */
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_task(p, "a", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "b", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "c", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "b", "c"), 0);
    assert_int_equal(rill_loop(p, "c", "b"), 0);
    assert_int_equal(rill_pipeline_validate(p), 0);
    rill_pipeline_free(p);

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_task(p, "a", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_loop(p, "a", "zz"), 0);
    assert_int_equal(rill_pipeline_validate(p), RILL_EPIPELINE);
    assert_string_equal(rill_error_last(), "loop edge 'a' -> 'zz': no stage named 'zz'");
    rill_pipeline_free(p);

    assert_int_equal(rill_loop(NULL, "a", "b"), RILL_EINVAL);
}

static int recur_by_name(rill_emitter *recur, void *store, const rill_record *first,
                         void *payload)
{
    rill_emitter *to = NULL;
    (void)store;
    (void)first;
    (void)payload;
    return rill_emitter_to(&to, recur, "inner");
}

static void a_frames_recur_emitter_has_no_named_successors(void **state)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    f.store_size = 8;
    f.frame = recur_by_name;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2)), 0);
    assert_int_equal(rill_frame(p, "loop", &f, NULL), 0);
    assert_int_equal(rill_job(p, "inner", NULL, add_one, NULL), 0);
    assert_int_equal(rill_frame_end(p, "loop_end", NULL, frame_back, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "not to successors"));
    rill_pipeline_free(p);
}

/* add_one that asks for a checkpoint at 3 and, when armed, fails at 8. */
typedef struct crash_ctl {
    rill_pipeline *p;
    int armed;
} crash_ctl;

static int add_one_or_crash(rill_emitter *out, const rill_record *in, void *payload)
{
    crash_ctl *c = payload;
    if (i64(in) == 3)
        rill_checkpoint_request(c->p);
    if (c->armed && i64(in) == 8) {
        rill_error_set("crash at 8");
        return -1;
    }
    return rill_emit_int64(out, i64(in) + 1);
}

static void a_checkpointed_loop_resumes_with_nothing_lost_or_twice(void **state)
{
    rill_checkpoint_options ck = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_run_options o = with_workers(1);
    char path[] = "/tmp/rill-emit-to-XXXXXX";
    crash_ctl c = {NULL, 1};
    rill_pipeline *p;
    rill_batch *res;
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    ck.path = path;
    o.batch_records = 4;
    assert_int_equal(rill_pipeline_new(&p), 0);
    c.p = p;
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_task(p, "check", NULL, check, NULL), 0);
    assert_int_equal(rill_job(p, "add_one", NULL, add_one_or_crash, &c), 0);
    assert_int_equal(rill_task(p, "output", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "check", "add_one"), 0);
    assert_int_equal(rill_edge(p, "check", "output"), 0);
    assert_int_equal(rill_loop(p, "add_one", "check"), 0);
    assert_int_equal(rill_checkpointing(p, &ck), 0);
    assert_int_equal(rill_run(p, &o, &res), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "crash at 8"));
    assert_true(rill_checkpoint_count(p) >= 1);
    c.armed = 0;
    ck.resume = 1;
    assert_int_equal(rill_checkpointing(p, &ck), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_checkpoint_restored(p), 1);
    assert_loop_results(res);
    rill_batch_free(res);
    rill_pipeline_free(p);
    unlink(path);
    {
        char side[64];
        snprintf(side, sizeof(side), "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", path);
        unlink(side);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_graph_loop_runs_until_check_sends_records_out),
        cmocka_unit_test(the_same_loop_with_a_frame_in_the_inline_api),
        cmocka_unit_test(a_named_emit_reaches_that_successor_only),
        cmocka_unit_test(an_emitter_to_a_successor_lasts_the_whole_callback),
        cmocka_unit_test(an_unknown_successor_stops_the_run_naming_the_stage),
        cmocka_unit_test(inline_jobs_name_the_stage_after_them),
        cmocka_unit_test(cycles_need_a_loop_edge_and_known_names),
        cmocka_unit_test(a_frames_recur_emitter_has_no_named_successors),
        cmocka_unit_test(a_checkpointed_loop_resumes_with_nothing_lost_or_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
