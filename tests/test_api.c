/* test_api.c — the contracts every registering call shares (CHANGES.md,
 * 0.2.0): options of another version refused naming the call and its INIT
 * macro; a NULL callback or name, a taken name, a second result or finish
 * refused with one code and one wording, remembered for validation; init
 * callbacks that add initial work, which a resume keeps without calling them
 * again; rill_work appending; and errors of rill's
 * own (a missing input file, an output folder that cannot be written) with
 * their own codes and the user's stage names. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inline_helpers.h"

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static int pass_all(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    int rc = 0;
    (void)payload;
    for (i = 0; i < n && rc == 0; i++)
        rc = rill_emit_record(out, &in[i]);
    return rc;
}

static int add_next(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    (void)recur, (void)store, (void)next, (void)payload;
    return 0;
}

static int first_only(rill_emitter *recur, void *store, const rill_record *first,
                      void *payload)
{
    (void)recur, (void)store, (void)first, (void)payload;
    return 0;
}

static int whole(const rill_record *el, rill_restriction *r, void *payload)
{
    (void)el, (void)payload;
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    r->to = 1;
    return 0;
}

static int claim_all(rill_emitter *out, const rill_record *el, rill_tracker *t, void *payload)
{
    (void)out, (void)el, (void)payload;
    return rill_tracker_try_claim(t, 0) < 0 ? -1 : 0;
}

static int ignore_result(const rill_record *r, void *payload)
{
    (void)r, (void)payload;
    return 0;
}

static int ignore_finish(const rill_batch *b, void *payload)
{
    (void)b, (void)payload;
    return 0;
}

/* The call failed with code and a message holding each of the texts; the
 * pipeline then refuses to run with the same code and message. */
static void expect_remembered(rill_pipeline *p, int rc, int code, const char *message)
{
    assert_int_equal(rc, code);
    assert_string_equal(rill_error_last(), message);
    assert_int_equal(rill_pipeline_validate(p), code);
    assert_string_equal(rill_error_last(), message);
    assert_int_equal(rill_run(p, NULL, NULL), code);
    assert_string_equal(rill_error_last(), message);
    rill_pipeline_free(p);
}

static rill_pipeline *fresh(void)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    return p;
}

static void options_of_another_version_are_refused_naming_the_call_and_its_init_macro(
    void **state)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_reduce_options r = sum_reducer();
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_task_options t = RILL_TASK_OPTIONS_INIT;
    rill_splittable_options sp = RILL_SPLITTABLE_OPTIONS_INIT;
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    rill_checkpoint_options ck = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p;
    (void)state;
    so.version = r.version = f.version = c.version = t.version = sp.version = 1;
    f.frame = first_only;
    sp.initial = whole;
    sp.process = claim_all;
    d.dir = "/tmp/rill-never-written";

    p = fresh();
    expect_remembered(p, rill_job(p, "a", &so, pass, NULL), RILL_EINVAL,
                      "rill_job 'a': options of version 1, expected 3 (initialise them with "
                      "RILL_STAGE_OPTIONS_INIT)");
    p = fresh();
    expect_remembered(p, rill_frame_end(p, "a", &so, add_next, NULL), RILL_EINVAL,
                      "rill_frame_end 'a': options of version 1, expected 3 (initialise them "
                      "with RILL_STAGE_OPTIONS_INIT)");
    p = fresh();
    expect_remembered(p, rill_reduce(p, "a", &r, NULL), RILL_EINVAL,
                      "rill_reduce 'a': options of version 1, expected 3 (initialise them with "
                      "RILL_REDUCE_OPTIONS_INIT)");
    p = fresh();
    expect_remembered(p, rill_frame(p, "a", &f, NULL), RILL_EINVAL,
                      "rill_frame 'a': options of version 1, expected 2 (initialise them with "
                      "RILL_FRAME_OPTIONS_INIT)");
    p = fresh();
    expect_remembered(p, rill_combine(p, "a", &c, NULL), RILL_EINVAL,
                      "rill_combine 'a': options of version 1, expected 3 (initialise them "
                      "with RILL_COMBINE_OPTIONS_INIT)");
    p = fresh();
    expect_remembered(p, rill_task(p, "a", &t, pass_all, NULL), RILL_EINVAL,
                      "rill_task 'a': options of version 1, expected 2 (initialise them with "
                      "RILL_TASK_OPTIONS_INIT)");
    p = fresh();
    expect_remembered(p, rill_splittable(p, "a", &sp, NULL), RILL_EINVAL,
                      "rill_splittable 'a': options of version 1, expected 2 (initialise them "
                      "with RILL_SPLITTABLE_OPTIONS_INIT)");
    /* options taken by calls that register no stage: refused, not remembered */
    p = fresh();
    d.version = 99;
    assert_int_equal(rill_output_dir(p, &d), RILL_EINVAL);
    assert_string_equal(rill_error_last(), "rill_output_dir: options of version 99, expected 2 "
                                           "(initialise them with RILL_DIR_OPTIONS_INIT)");
    ck.version = 99;
    assert_int_equal(rill_checkpointing(p, &ck), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "rill_checkpointing"));
    assert_non_null(strstr(rill_error_last(), "RILL_CHECKPOINT_OPTIONS_INIT"));
    assert_int_equal(rill_pipeline_validate(p), 0);
    rill_pipeline_free(p);
}

static void the_combine_options_have_an_init_macro_of_their_version(void **state)
{
    rill_combine_options c = RILL_COMBINE_OPTIONS_INIT;
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    (void)state;
    assert_int_equal(c.version, RILL_COMBINE_OPTIONS_VERSION);
    assert_int_equal(sum.version, RILL_COMBINE_OPTIONS_VERSION);
    assert_null(c.add);
    assert_null(c.merge);
    p = fresh(); /* INIT alone has no add: refused as a NULL callback, not a version */
    expect_remembered(p, rill_combine(p, "count", &c, NULL), RILL_EPIPELINE,
                      "rill_combine 'count': the add callback is NULL");
}

static void a_null_callback_is_refused_alike_by_every_registering_call(void **state)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_splittable_options sp = RILL_SPLITTABLE_OPTIONS_INIT;
    rill_pipeline *p;
    (void)state;
    sp.initial = whole;

    p = fresh();
    expect_remembered(p, rill_job(p, "a", NULL, NULL, NULL), RILL_EPIPELINE,
                      "rill_job 'a': the job callback is NULL");
    p = fresh();
    expect_remembered(p, rill_frame_end(p, "a", NULL, NULL, NULL), RILL_EPIPELINE,
                      "rill_frame_end 'a': the frame end callback is NULL");
    p = fresh();
    expect_remembered(p, rill_reduce(p, "a", &r, NULL), RILL_EPIPELINE,
                      "rill_reduce 'a': the add callback is NULL");
    p = fresh();
    expect_remembered(p, rill_frame(p, "a", &f, NULL), RILL_EPIPELINE,
                      "rill_frame 'a': the frame callback is NULL");
    p = fresh();
    expect_remembered(p, rill_task(p, "a", NULL, NULL, NULL), RILL_EPIPELINE,
                      "rill_task 'a': the task callback is NULL");
    p = fresh();
    expect_remembered(p, rill_splittable(p, "a", &sp, NULL), RILL_EPIPELINE,
                      "rill_splittable 'a': the process callback is NULL");
    p = fresh();
    expect_remembered(p, rill_result(p, NULL, NULL), RILL_EPIPELINE,
                      "rill_result: the result callback is NULL");
    p = fresh();
    expect_remembered(p, rill_finish(p, NULL, NULL), RILL_EPIPELINE,
                      "rill_finish: the finish callback is NULL");
    p = fresh();
    expect_remembered(p, rill_on_init(p, NULL, NULL), RILL_EPIPELINE,
                      "rill_on_init: the init callback is NULL");
    p = fresh();
    expect_remembered(p, rill_generator(p, NULL, NULL), RILL_EPIPELINE,
                      "rill_generator: the generator callback is NULL");
    p = fresh();
    expect_remembered(p, rill_output(p, NULL, NULL), RILL_EPIPELINE,
                      "rill_output: the output callback is NULL");
    p = fresh();
    expect_remembered(p, rill_on_progress(p, 10, NULL, NULL), RILL_EPIPELINE,
                      "rill_on_progress: the progress callback is NULL");
}

static void a_null_or_taken_stage_name_is_refused_for_every_kind(void **state)
{
    rill_reduce_options r = sum_reducer();
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_splittable_options sp = RILL_SPLITTABLE_OPTIONS_INIT;
    rill_pipeline *p;
    (void)state;
    f.frame = first_only;
    sp.initial = whole;
    sp.process = claim_all;

    p = fresh();
    expect_remembered(p, rill_job(p, NULL, NULL, pass, NULL), RILL_EPIPELINE,
                      "rill_job: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_reduce(p, NULL, &r, NULL), RILL_EPIPELINE,
                      "rill_reduce: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_frame(p, NULL, &f, NULL), RILL_EPIPELINE,
                      "rill_frame: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_frame_end(p, NULL, NULL, add_next, NULL), RILL_EPIPELINE,
                      "rill_frame_end: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_combine(p, NULL, &c, NULL), RILL_EPIPELINE,
                      "rill_combine: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_task(p, NULL, NULL, pass_all, NULL), RILL_EPIPELINE,
                      "rill_task: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_splittable(p, NULL, &sp, NULL), RILL_EPIPELINE,
                      "rill_splittable: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_read_lines(p, NULL, 0), RILL_EPIPELINE,
                      "rill_read_lines: the stage name is NULL");
    p = fresh();
    expect_remembered(p, rill_sequence(p, NULL, 0, 10, 0), RILL_EPIPELINE,
                      "rill_sequence: the stage name is NULL");

    /* a name taken by a stage of another kind, inline as in a graph */
    p = fresh();
    assert_int_equal(rill_job(p, "twice", NULL, pass, NULL), 0);
    expect_remembered(p, rill_reduce(p, "twice", &r, NULL), RILL_EPIPELINE,
                      "rill_reduce 'twice': another stage is named 'twice'; stage names must "
                      "be unique");
    p = fresh();
    assert_int_equal(rill_job(p, "twice", NULL, pass, NULL), 0);
    expect_remembered(p, rill_job(p, "twice", NULL, pass, NULL), RILL_EPIPELINE,
                      "rill_job 'twice': another stage is named 'twice'; stage names must be "
                      "unique");
    p = fresh();
    assert_int_equal(rill_task(p, "lines", NULL, pass_all, NULL), 0);
    expect_remembered(p, rill_read_lines(p, "lines", 0), RILL_EPIPELINE,
                      "rill_read_lines 'lines': another stage is named 'lines'; stage names "
                      "must be unique");
}

static void a_second_result_or_finish_is_refused(void **state)
{
    rill_pipeline *p;
    (void)state;
    p = fresh();
    assert_int_equal(rill_result(p, ignore_result, NULL), 0);
    expect_remembered(p, rill_result(p, ignore_result, NULL), RILL_EPIPELINE,
                      "rill_result: a result callback is already registered; a pipeline has "
                      "one");
    p = fresh();
    assert_int_equal(rill_finish(p, ignore_finish, NULL), 0);
    expect_remembered(p, rill_finish(p, ignore_finish, NULL), RILL_EPIPELINE,
                      "rill_finish: a finish callback is already registered; a pipeline has "
                      "one");
}

/* ---- init and the work list ---- */

static int init_adds_2(rill_batch *work, void *payload)
{
    (void)payload;
    return rill_batch_add_int64(work, 2);
}

static int init_adds_3_and_4(rill_batch *work, void *payload)
{
    int *calls = payload;
    ++*calls;
    if (rill_batch_add_int64(work, 3) < 0)
        return -1;
    return rill_batch_add_int64(work, 4);
}

static void expect_ints(rill_batch *res, const int64_t *want, size_t n)
{
    size_t got, i;
    int64_t *v = sorted_ints(res, &got);
    assert_int_equal(got, n);
    for (i = 0; i < n; i++)
        assert_int_equal(v[i], want[i]);
    free(v);
    rill_batch_free(res);
}

/* job_stream: Work([1]) with one init emitting 2 and another 3 and 4. */
static void work_1_and_inits_adding_2_then_3_and_4_give_1_2_3_4(void **state)
{
    static const int64_t want[] = {1, 2, 3, 4};
    int w;
    (void)state;
    FOR_WORKERS(w) {
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        int calls = 0;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 2)), 0);
        assert_int_equal(rill_on_init(p, init_adds_2, NULL), 0);
        assert_int_equal(rill_on_init(p, init_adds_3_and_4, &calls), 0);
        assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        expect_ints(res, want, 4);
        /* init's work is the run's, not the pipeline's: a second run is the same */
        assert_int_equal(rill_run(p, &o, &res), 0);
        expect_ints(res, want, 4);
        assert_int_equal(calls, 2);
        rill_pipeline_free(p);
    }
}

static void init_work_joins_the_top_level_reduction_of_the_initial_work(void **state)
{
    rill_reduce_options r = sum_reducer();
    rill_pipeline *p;
    rill_batch *res;
    int calls = 0;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 0)), 0); /* empty: init gives all */
    assert_int_equal(rill_on_init(p, init_adds_3_and_4, &calls), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    assert_int_equal(rill_batch_count(res), 1);
    assert_int_equal(only_int64(res), 7);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void rill_work_appends_to_the_work_list(void **state)
{
    static const int64_t want[] = {0, 1, 2, 10, 11};
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_work(p, ints(10, 12)), 0);
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    expect_ints(res, want, 5);
    rill_pipeline_free(p);
}

/* ---- init on resume ---- */

static char dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-api-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* x -> x, asking for a checkpoint at ask_at and failing at fail_at while
 * armed; init adds 2500..4999 after the work list's 0..2499. */
typedef struct resumed {
    rill_pipeline *p;
    int64_t ask_at, fail_at;
    int armed, inits;
} resumed;

static int ask_then_fail(rill_emitter *out, const rill_record *in, void *payload)
{
    resumed *c = payload;
    if (i64(in) == c->ask_at)
        rill_checkpoint_request(c->p);
    if (c->armed && i64(in) == c->fail_at)
        return -1;
    return rill_emit_record(out, in);
}

static int init_adds_upper_half(rill_batch *work, void *payload)
{
    resumed *c = payload;
    int64_t i;
    c->inits++;
    for (i = 2500; i < 5000; i++)
        if (rill_batch_add_int64(work, i) < 0)
            return -1;
    return 0;
}

static rill_pipeline *resumable(resumed *c, int resume)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_reduce_options r = sum_reducer();
    char path[128];
    rill_pipeline *p;
    snprintf(path, sizeof(path), "%s/state.db", dir);
    co.path = path;
    co.resume = resume;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2500)), 0);
    assert_int_equal(rill_on_init(p, init_adds_upper_half, c), 0);
    assert_int_equal(rill_job(p, "check", NULL, ask_then_fail, c), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    c->p = p;
    return p;
}

static void the_work_init_added_survives_a_resume_that_skips_init(void **state)
{
    rill_run_options o = with_workers(1);
    rill_batch *res;
    rill_pipeline *p;
    resumed c;
    (void)state;
    memset(&c, 0, sizeof(c));
    o.batch_records = 10;
    c.ask_at = 2600; /* init's, checkpointed before the work list's 1000 fails */
    c.fail_at = 1000;
    c.armed = 1;
    p = resumable(&c, 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    rill_pipeline_free(p);
    c.armed = 0;
    p = resumable(&c, 1);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(c.inits, 1);
    assert_int_equal(only_int64(res), 4999 * 5000 / 2);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- rill's own failures ---- */

static void a_refusal_at_validation_names_the_users_stage_not_a_helper(void **state)
{
    rill_pipeline *p;
    (void)state;
    p = fresh();
    assert_int_equal(rill_result(p, ignore_result, NULL), 0);
    assert_int_equal(rill_read_lines(p, "lines", 0), 0);
    assert_int_equal(rill_pipeline_validate(p), RILL_EPIPELINE);
    assert_string_equal(rill_error_last(), "splittable 'lines' (stage 1): comes after "
                                           "result/finish, which must close the pipeline");
    rill_pipeline_free(p);
}

static void a_missing_input_file_is_not_found_naming_the_file_and_the_users_stage(
    void **state)
{
    const char *patterns[] = {"missing.txt", "missing-*.txt"};
    size_t i;
    (void)state;
    for (i = 0; i < 2; i++) {
        char path[128];
        rill_pipeline *p;
        rill_batch *work;
        snprintf(path, sizeof(path), "%s/%s", dir, patterns[i]);
        assert_int_equal(rill_batch_new(&work), 0);
        assert_int_equal(rill_batch_add_text(work, path), 0);
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, work), 0);
        assert_int_equal(rill_read_lines(p, "lines", 0), 0);
        assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
        assert_int_equal(rill_run(p, NULL, NULL), RILL_ENOTFOUND);
        assert_non_null(strstr(rill_error_last(), "splittable 'lines' (stage 1) failed"));
        assert_non_null(strstr(rill_error_last(), path));
        assert_null(strstr(rill_error_last(), ".files"));
        rill_pipeline_free(p);
    }
}

static int keyed_by_parity(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_keyed(out, i64(in) % 2 ? "odd" : "even", i64(in) % 2 ? 3 : 4, in->data,
                           in->len);
}

static void an_output_folder_that_cannot_be_written_is_an_io_error(void **state)
{
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    char file[128], out[160], blocked[192];
    rill_pipeline *p;
    FILE *f;
    (void)state;
    /* the folder itself: under a regular file, it cannot be made */
    snprintf(file, sizeof(file), "%s/a-file", dir);
    assert_non_null(f = fopen(file, "w"));
    fclose(f);
    snprintf(out, sizeof(out), "%s/out", file);
    d.dir = out;
    p = fresh();
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_ENOTDIR); /* rill's own I/O: its code */
    assert_non_null(strstr(rill_error_last(), out));
    rill_pipeline_free(p);

    /* a partition folder found to be a file during the run */
    snprintf(out, sizeof(out), "%s/parts", dir);
    assert_int_equal(mkdir(out, 0777), 0);
    snprintf(blocked, sizeof(blocked), "%s/key=odd", out);
    assert_non_null(f = fopen(blocked, "w"));
    fclose(f);
    d.dir = out;
    d.by_key = 1;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 10)), 0);
    assert_int_equal(rill_job(p, "keyed", NULL, keyed_by_parity, NULL), 0);
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), "the output directory failed writing: "));
    assert_non_null(strstr(rill_error_last(), blocked));
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            options_of_another_version_are_refused_naming_the_call_and_its_init_macro),
        cmocka_unit_test(the_combine_options_have_an_init_macro_of_their_version),
        cmocka_unit_test(a_null_callback_is_refused_alike_by_every_registering_call),
        cmocka_unit_test(a_null_or_taken_stage_name_is_refused_for_every_kind),
        cmocka_unit_test(a_second_result_or_finish_is_refused),
        cmocka_unit_test(work_1_and_inits_adding_2_then_3_and_4_give_1_2_3_4),
        cmocka_unit_test(init_work_joins_the_top_level_reduction_of_the_initial_work),
        cmocka_unit_test(rill_work_appends_to_the_work_list),
        cmocka_unit_test_setup_teardown(the_work_init_added_survives_a_resume_that_skips_init,
                                        make_dir, remove_dir),
        cmocka_unit_test(a_refusal_at_validation_names_the_users_stage_not_a_helper),
        cmocka_unit_test_setup_teardown(
            a_missing_input_file_is_not_found_naming_the_file_and_the_users_stage, make_dir,
            remove_dir),
        cmocka_unit_test_setup_teardown(an_output_folder_that_cannot_be_written_is_an_io_error,
                                        make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
