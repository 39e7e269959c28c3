/* test_errors.c — failures: a callback that fails stops the run cleanly with
 * a message naming the stage and the record, whatever kind of stage it is;
 * invalid pipelines are refused before anything runs, saying where. */
#include <stdatomic.h>
#include <time.h>

#include "helpers.h"

static rill_batch *words(void)
{
    static const char *w[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
    rill_batch *b;
    size_t i;
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = 0; i < 5; i++)
        assert_int_equal(rill_batch_add_text(b, w[i]), 0);
    return b;
}

static int fail_on_gamma(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    if (in->len == 5 && memcmp(in->data, "gamma", 5) == 0) {
        rill_error_set("gamma is not allowed");
        return -1;
    }
    return rill_emit_record(out, in);
}

static void a_failing_job_names_its_stage_the_record_and_the_reason(void **state)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    rill_batch *res = (rill_batch *)&res;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, words()), 0);
    assert_int_equal(rill_job(p, "pass", NULL, fail_on_gamma, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), RILL_EUSER);
    assert_null(res);
    assert_string_equal(rill_error_last(),
                        "job 'pass' (stage 1) failed on record 2 \"gamma\": gamma is not allowed");
    rill_pipeline_free(p);
}

static atomic_long calls;

static int fail_first(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload, (void)out;
    atomic_fetch_add(&calls, 1);
    return i64(in) == 0 ? 7 : 0;
}

static void a_failure_stops_the_run_early_with_many_workers(void **state)
{
    rill_run_options o = with_workers(4);
    rill_pipeline *p;
    (void)state;
    atomic_store(&calls, 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2000000)), 0);
    assert_int_equal(rill_job(p, "fails", NULL, fail_first, NULL), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "job 'fails' (stage 1) failed on record"));
    assert_non_null(strstr(rill_error_last(), "callback returned 7"));
    assert_true(atomic_load(&calls) < 2000000);
    rill_pipeline_free(p);
}

/* ---- every kind of stage ---- */

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static int bad_add(rill_emitter *r, void *s, const rill_record *in, size_t n, void *p)
{
    (void)r, (void)s, (void)in, (void)n, (void)p;
    return -1;
}

static int ok_add(rill_emitter *r, void *s, const rill_record *in, size_t n, void *p)
{
    (void)r, (void)s, (void)in, (void)n, (void)p;
    return 0;
}

/* Waits (up to 20 s) until a second thread is adding too, so that two
 * partial stores exist and must be merged. */
static atomic_int adders, generation;

static int two_thread_add(rill_emitter *r, void *s, const rill_record *in, size_t n, void *p)
{
    static _Thread_local int counted;
    struct timespec pause = {0, 1000000};
    int i;
    (void)r, (void)s, (void)in, (void)n, (void)p;
    if (counted != atomic_load(&generation)) {
        counted = atomic_load(&generation);
        atomic_fetch_add(&adders, 1);
    }
    for (i = 0; i < 20000 && atomic_load(&adders) < 2; i++)
        nanosleep(&pause, NULL);
    return 0;
}

static int bad_merge(void *s, void *o, void *p)
{
    (void)s, (void)o, (void)p;
    rill_error_set("cannot merge");
    return -1;
}

static int ok_merge(void *s, void *o, void *p)
{
    (void)s, (void)o, (void)p;
    return 0;
}

static int bad_emit(rill_emitter *out, void *s, void *p)
{
    (void)out, (void)s, (void)p;
    return -1;
}

static int bad_init_store(void *s, void *p)
{
    (void)s, (void)p;
    return -1;
}

static int bad_frame(rill_emitter *r, void *s, const rill_record *f, void *p)
{
    (void)r, (void)s, (void)f, (void)p;
    return -1;
}

static int recur_once(rill_emitter *r, void *s, const rill_record *f, void *p)
{
    int *started = s;
    (void)p;
    if (*started)
        return 0;
    *started = 1;
    return rill_emit_record(r, f);
}

static int bad_frame_end(rill_emitter *r, void *s, const rill_record *n, void *p)
{
    (void)r, (void)s, (void)n, (void)p;
    return -1;
}

static int ok_frame_end(rill_emitter *r, void *s, const rill_record *n, void *p)
{
    (void)r, (void)s, (void)n, (void)p;
    return 0;
}

static int bad_result(const rill_record *r, void *p)
{
    (void)r, (void)p;
    return -1;
}

static int bad_finish(const rill_batch *b, void *p)
{
    (void)b, (void)p;
    rill_error_set("disk full");
    return -1;
}

static int bad_init(rill_batch *work, void *p)
{
    (void)work;
    (void)p;
    return -1;
}

static int jobs_seen;

static int count_job(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    jobs_seen++;
    return rill_emit_record(out, in);
}

enum failing { F_ADD, F_MERGE, F_EMIT, F_STORE_INIT, F_FRAME, F_FRAME_END, F_RESULT,
               F_FINISH, F_INIT, F_COUNT };

static void expect_failure(enum failing what, int workers, const char *needle)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_run_options o = with_workers(workers);
    rill_pipeline *p;
    int rc;
    r.store_size = 8;
    r.add = what == F_ADD ? bad_add : what == F_MERGE ? two_thread_add : ok_add;
    atomic_store(&adders, 0);
    atomic_fetch_add(&generation, 1);
    r.merge = what == F_MERGE ? bad_merge : ok_merge;
    r.emit = what == F_EMIT ? bad_emit : NULL;
    r.init = what == F_STORE_INIT ? bad_init_store : NULL;
    f.store_size = sizeof(int);
    f.frame = what == F_FRAME ? bad_frame : recur_once;
    o.batch_records = 2;
    jobs_seen = 0;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    if (what == F_INIT)
        assert_int_equal(rill_on_init(p, bad_init, NULL), 0);
    if (what == F_FRAME || what == F_FRAME_END) {
        assert_int_equal(rill_frame(p, "loop", &f, NULL), 0);
        assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
        assert_int_equal(rill_frame_end(p, "loop end", NULL,
                                        what == F_FRAME_END ? bad_frame_end : ok_frame_end,
                                        NULL),
                         0);
    } else {
        rill_stage_options serial = RILL_STAGE_OPTIONS_INIT;
        serial.serial = 1;
        assert_int_equal(rill_job(p, "count", &serial, count_job, NULL), 0);
        assert_int_equal(rill_reduce(p, "reduce", &r, NULL), 0);
    }
    if (what == F_RESULT)
        assert_int_equal(rill_result(p, bad_result, NULL), 0);
    if (what == F_FINISH)
        assert_int_equal(rill_finish(p, bad_finish, NULL), 0);
    rc = rill_run(p, &o, NULL);
    if (rc != RILL_EUSER)
        fail_msg("case %d with %d workers: rill_run gave %d, not RILL_EUSER", (int)what,
                 workers, rc);
    if (strstr(rill_error_last(), needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, rill_error_last());
    if (what == F_INIT)
        assert_int_equal(jobs_seen, 0);
    rill_pipeline_free(p);
}

static void each_kind_of_callback_failure_is_reported_by_stage(void **state)
{
    int w;
    (void)state;
    for (w = 1; w <= 4; w *= 4) {
        expect_failure(F_ADD, w, "reduce 'reduce' (stage 2) failed adding records");
        expect_failure(F_MERGE, w == 1 ? 2 : w, "reduce 'reduce' (stage 2) failed merging its stores: cannot merge");
        expect_failure(F_EMIT, w, "reduce 'reduce' (stage 2) failed emitting its store");
        expect_failure(F_STORE_INIT, w, "reduce 'reduce' (stage 2) failed");
        expect_failure(F_FRAME, w, "frame 'loop' (stage 1) failed on record");
        expect_failure(F_FRAME_END, w, "frame end 'loop end' (stage 3) failed on record");
        expect_failure(F_RESULT, w, "the result callback failed on record 0");
        expect_failure(F_FINISH, w, "finish failed: disk full");
        expect_failure(F_INIT, w, "init failed");
    }
}

/* ---- invalid pipelines ---- */

static void expect_refused(rill_pipeline *p, const char *message)
{
    assert_int_equal(rill_pipeline_validate(p), RILL_EPIPELINE);
    assert_string_equal(rill_error_last(), message);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EPIPELINE);
    assert_string_equal(rill_error_last(), message);
    rill_pipeline_free(p);
}

static int init_called;

static int note_init(rill_batch *work, void *p)
{
    (void)work;
    (void)p;
    init_called = 1;
    return 0;
}

static void invalid_pipelines_are_refused_before_anything_runs(void **state)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    (void)state;
    f.frame = recur_once;
    init_called = 0;

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_on_init(p, note_init, NULL), 0);
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    expect_refused(p, "the pipeline has no source: give it a work list with rill_work or a "
                      "rill_generator");

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_on_init(p, note_init, NULL), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    assert_int_equal(rill_frame(p, "loop", &f, NULL), 0);
    assert_int_equal(rill_job(p, "body", NULL, pass, NULL), 0);
    expect_refused(p, "frame 'loop' (stage 2): has no frame end");

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_frame_end(p, "stray", NULL, bad_frame_end, NULL), 0);
    expect_refused(p, "frame end 'stray' (stage 1): has no frame to close");

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_reduce(p, "empty", &r, NULL), RILL_EPIPELINE);
    expect_refused(p, "rill_reduce 'empty': the add callback is NULL");

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    c.merge = NULL;
    assert_int_equal(rill_combine(p, "count", &c, NULL), RILL_EPIPELINE);
    expect_refused(p, "rill_combine 'count': the merge callback is NULL");

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    assert_int_equal(rill_finish(p, bad_finish, NULL), 0);
    assert_int_equal(rill_job(p, "late", NULL, pass, NULL), 0);
    expect_refused(p, "job 'late' (stage 2): comes after result/finish, which must close the pipeline");

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_result(p, bad_result, NULL), 0);
    assert_int_equal(rill_frame(p, "late loop", &f, NULL), 0);
    expect_refused(p, "frame 'late loop' (stage 1): comes after result/finish, which must close the pipeline");

    assert_int_equal(init_called, 0);
}

/* A regression: a message that quotes the last one (as rill's own
 * "compile of 'x': direct failed on output key \"k\": <your message>" does)
 * was formatted over the text it read, and came out garbled. */
static void a_message_may_quote_the_last_one(void **state)
{
    (void)state;
    rill_error_set("the disk is full");
    rill_error_set("stage 'w' failed: %s", rill_error_last());
    assert_string_equal(rill_error_last(), "stage 'w' failed: the disk is full");
    rill_error_set("a long prefix that is longer than what it quotes: %s (and a tail)",
                   rill_error_last());
    assert_string_equal(rill_error_last(), "a long prefix that is longer than what it quotes: "
                                           "stage 'w' failed: the disk is full (and a tail)");
    rill_error_clear();
    rill_error_set("nothing more%s", rill_error_last());
    assert_string_equal(rill_error_last(), "nothing more");
}

static void run_options_of_another_version_are_refused(void **state)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    (void)state;
    o.version = 99;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "RILL_RUN_OPTIONS_INIT"));
    rill_pipeline_free(p);
}

static int unkeyed(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static void combine_refuses_a_record_without_a_key(void **state)
{
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    rill_run_options o = with_workers(1);
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, words()), 0);
    assert_int_equal(rill_job(p, "unkeyed", NULL, unkeyed, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &c, NULL), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EINVAL);
    assert_string_equal(rill_error_last(),
                        "combine 'count' (stage 2) failed on record 0 \"alpha\": "
                        "the record has no key; combine needs keyed records");
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_failing_job_names_its_stage_the_record_and_the_reason),
        cmocka_unit_test(a_failure_stops_the_run_early_with_many_workers),
        cmocka_unit_test(each_kind_of_callback_failure_is_reported_by_stage),
        cmocka_unit_test(invalid_pipelines_are_refused_before_anything_runs),
        cmocka_unit_test(run_options_of_another_version_are_refused),
        cmocka_unit_test(a_message_may_quote_the_last_one),
        cmocka_unit_test(combine_refuses_a_record_without_a_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
