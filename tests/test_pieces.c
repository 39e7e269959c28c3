/* test_pieces.c — rill_use, reusable pieces of pipeline (job_stream's
 * jobs_NAME): a piece appends its stages with its options and payload in
 * one call, twice under two names; what is refused (options not key=value,
 * a failing piece, stages named outside the piece's name, a NULL piece) is
 * refused again by rill_run, with a message naming the piece. */
#include "helpers.h"

/* Adds NAME (adds the payload's int64 and option add=N) then NAME.twice. */
static int add_n(rill_emitter *out, const rill_record *in, void *payload)
{
    const char *extra = rill_context(out, "add");
    int64_t n = *(const int64_t *)payload + (extra ? strtoll(extra, NULL, 10) : 0);
    return rill_emit_int64(out, i64(in) + n);
}

static int twice(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, 2 * i64(in));
}

static int add_then_double(rill_pipeline *p, const char *name, const char *const *options,
                           void *payload)
{
    char second[200];
    size_t i;
    int rc;
    if ((rc = rill_job(p, name, NULL, add_n, payload)) < 0)
        return rc;
    for (i = 0; options && options[i]; i++) {
        if (strncmp(options[i], "add=", 4) != 0) {
            rill_error_set("option '%s': add_then_double takes add=N", options[i]);
            return RILL_EINVAL;
        }
        if ((rc = rill_configure(p, name, "context.add", options[i] + 4)) < 0)
            return rc;
    }
    snprintf(second, sizeof(second), "%s.twice", name);
    return rill_job(p, second, NULL, twice, NULL);
}

static void a_piece_appends_its_stages_twice_under_two_names(void **state)
{
    const char *opts[] = {"add=10", NULL};
    int64_t one = 1;
    rill_pipeline *p;
    rill_batch *res;
    rill_stage_stats st;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_use(p, "first", add_then_double, NULL, &one), 0);
    assert_int_equal(rill_use(p, "second", add_then_double, opts, &one), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    {
        size_t n;
        int64_t *v = sorted_ints(res, &n);
        assert_int_equal(n, 3);
        /* ((x + 1) * 2 + 11) * 2 */
        assert_int_equal(v[0], 26);
        assert_int_equal(v[1], 30);
        assert_int_equal(v[2], 34);
        free(v);
    }
    assert_int_equal(rill_pipeline_stats(&st, p, "second.twice"), 0);
    assert_int_equal(st.records_in, 3);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void refused(rill_pipeline *p, int code, const char *what)
{
    rill_batch *res;
    if (strstr(rill_error_last(), what) == NULL)
        fail_msg("expected '%s' in: %s", what, rill_error_last());
    assert_int_equal(rill_run(p, NULL, &res), code); /* remembered */
    if (strstr(rill_error_last(), what) == NULL)
        fail_msg("rill_run: expected '%s' in: %s", what, rill_error_last());
    rill_pipeline_free(p);
}

static int named_elsewhere(rill_pipeline *p, const char *name, const char *const *options,
                           void *payload)
{
    (void)name;
    (void)options;
    (void)payload;
    return rill_job(p, "firstly", NULL, twice, NULL); /* starts with "first" but is not it */
}

static int fails(rill_pipeline *p, const char *name, const char *const *options, void *payload)
{
    (void)p;
    (void)name;
    (void)options;
    (void)payload;
    rill_error_set("no model loaded");
    return -1;
}

static rill_pipeline *fresh(void)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    return p;
}

static void what_a_use_refuses_names_the_piece(void **state)
{
    const char *bad_form[] = {"add", NULL}, *unknown[] = {"mul=2", NULL};
    int64_t one = 1;
    rill_pipeline *p;
    (void)state;
    p = fresh();
    assert_int_equal(rill_use(p, "x", add_then_double, bad_form, &one), RILL_EINVAL);
    refused(p, RILL_EINVAL, "piece 'x': option 'add' is not key=value");

    p = fresh();
    assert_int_equal(rill_use(p, "x", add_then_double, unknown, &one), RILL_EINVAL);
    refused(p, RILL_EINVAL, "piece 'x': option 'mul=2': add_then_double takes add=N");

    p = fresh();
    assert_int_equal(rill_use(p, "model", fails, NULL, NULL), RILL_EUSER);
    refused(p, RILL_EUSER, "piece 'model': no model loaded");

    p = fresh();
    assert_int_equal(rill_use(p, "first", named_elsewhere, NULL, NULL), RILL_EPIPELINE);
    refused(p, RILL_EPIPELINE, "piece 'first' added the stage 'firstly'");

    /* a registering call of the piece refused: its own message */
    p = fresh();
    assert_int_equal(rill_use(p, "a", add_then_double, NULL, &one), 0);
    assert_int_equal(rill_use(p, "a", add_then_double, NULL, &one), RILL_EPIPELINE);
    refused(p, RILL_EPIPELINE, "another stage is named 'a'");

    p = fresh();
    assert_int_equal(rill_use(p, "x", NULL, NULL, NULL), RILL_EPIPELINE);
    refused(p, RILL_EPIPELINE, "rill_use: the piece is NULL");
    assert_int_equal(rill_use(NULL, "x", add_then_double, NULL, NULL), RILL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_piece_appends_its_stages_twice_under_two_names),
        cmocka_unit_test(what_a_use_refuses_names_the_piece),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
