/* test_stage_kind.c — a kind of stage written outside rill with only the
 * public headers (rill/sys/stage.h), as a plugin author would: the engine
 * runs it through its table like its own kinds, in the inline order and in
 * a graph, cut to its batch size, and reports its failures by name. */
#include "helpers.h"

#include <rill/sys/stage.h>

/* A kind that emits each span's records in reverse order, then the span's
 * size: shows it is called once per span, with the span's records. */
static int reverse(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    int rc;
    (void)payload;
    for (i = n; i-- > 0;)
        if ((rc = rill_emit_record(out, &in[i])) != 0)
            return rc;
    return 0;
}

static int reverse_process(rill_worker *w, rill_span *t, int locked)
{
    (void)locked;
    return rill_span_call(w, t, reverse, rill_stage_payload(rill_span_stage(w, t)));
}

static const rill_stage_kind reverse_kind = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "reverse",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH,
    .process = reverse_process,
};

/* A kind that counts the records of each span it gets, through the
 * accessors, and emits the count. */
static int sizes(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    (void)in;
    (void)payload;
    return rill_emit_int64(out, (int64_t)n);
}

static int size_process(rill_worker *w, rill_span *t, int locked)
{
    rill_record r;
    (void)locked;
    if (rill_span_count(t) > 0)
        rill_span_get(t, 0, &r); /* readable */
    return rill_span_call(w, t, sizes, NULL);
}

static const rill_stage_kind size_kind = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "sizes",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH,
    .process = size_process,
};

static int fails_on_7(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++) {
        int64_t v = 0;
        if (rill_record_int64(&v, &in[i]) == 0 && v == 7) {
            rill_error_set("seven");
            return -1;
        }
        if (rill_emit_record(out, &in[i]) != 0)
            return -1;
    }
    return 0;
}

static int failing_process(rill_worker *w, rill_span *t, int locked)
{
    (void)locked;
    return rill_span_call(w, t, fails_on_7, NULL);
}

static const rill_stage_kind failing_kind = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "picky",
    .flags = RILL_KIND_STREAMING,
    .process = failing_process,
};

static void an_outside_kind_runs_in_the_inline_order(void **state)
{
    rill_pipeline *p;
    rill_batch *res;
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    size_t n, i;
    int64_t *v;
    (void)state;
    o.workers = 2;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 1000)), 0);
    assert_int_equal(rill_stage_add(p, "reverse", &reverse_kind, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 1000);
    for (i = 0; i < n; i++)
        assert_int_equal(v[i], (int64_t)i);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void an_outside_kind_gets_spans_of_its_batch_size(void **state)
{
    rill_pipeline *p;
    rill_batch *res;
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    size_t n, i;
    int64_t *v, total = 0;
    (void)state;
    o.workers = 1;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 1000)), 0);
    assert_int_equal(rill_stage_add(p, "sizes", &size_kind, NULL), 0);
    assert_int_equal(rill_configure(p, "sizes", "batch_size", "64"), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    for (i = 0; i < n; i++) {
        assert_true(v[i] <= 64);
        total += v[i];
    }
    assert_int_equal(total, 1000); /* every record, in calls of at most 64 */
    assert_true(v[n - 1] == 64);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void an_outside_kind_is_a_node_of_a_graph(void **state)
{
    rill_pipeline *p;
    rill_batch *res;
    size_t n;
    int64_t *v, total = 0;
    size_t i;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_stage_add(p, "reverse", &reverse_kind, NULL), 0);
    assert_int_equal(rill_stage_add(p, "sizes", &size_kind, NULL), 0);
    assert_int_equal(rill_edge(p, "reverse", "sizes"), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    v = sorted_ints(res, &n);
    for (i = 0; i < n; i++)
        total += v[i];
    assert_int_equal(total, 100);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void an_outside_kind_s_failure_names_its_stage(void **state)
{
    rill_pipeline *p;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 20)), 0);
    assert_int_equal(rill_stage_add(p, "checker", &failing_kind, NULL), 0);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "picky 'checker'"));
    assert_non_null(strstr(rill_error_last(), "seven"));
    rill_pipeline_free(p);
}

static int expand_only(rill_worker *w, rill_span *t)
{
    (void)w;
    (void)t;
    return 0;
}

static int no_split(rill_worker *w)
{
    (void)w;
    return 0;
}

static void kinds_that_need_the_engine_s_inside_are_refused(void **state)
{
    rill_stage_kind scope = reverse_kind, old = reverse_kind;
    rill_stage_kind expands = reverse_kind, splits = reverse_kind;
    rill_pipeline *p;
    (void)state;
    scope.flags |= RILL_KIND_SCOPE;
    old.version = RILL_STAGE_KIND_VERSION + 1;
    expands.expand = expand_only;
    splits.rebalance = no_split;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_stage_add(p, "a", &scope, NULL), RILL_EINVAL);
    assert_int_equal(rill_stage_add(p, "b", &old, NULL), RILL_EINVAL);
    assert_int_equal(rill_stage_add(p, "d", &expands, NULL), RILL_EINVAL);
    assert_int_equal(rill_stage_add(p, "e", &splits, NULL), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "rill_stage_add 'e'"));
    rill_pipeline_free(p);
}

static void an_outside_kind_is_refused_by_name_as_every_stage_is(void **state)
{
    rill_stage_kind empty = reverse_kind;
    rill_pipeline *p;
    (void)state;
    empty.process = NULL;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_stage_add(p, "r", &reverse_kind, NULL), 0);
    assert_int_equal(rill_stage_add(p, "r", &reverse_kind, NULL), RILL_EPIPELINE);
    assert_non_null(strstr(rill_error_last(), "another stage is named 'r'"));
    assert_int_equal(rill_stage_add(p, NULL, &reverse_kind, NULL), RILL_EPIPELINE);
    assert_int_equal(rill_stage_add(p, "c", &empty, NULL), RILL_EPIPELINE);
    /* the first refusal is the pipeline's: validation reports it again */
    assert_int_equal(rill_pipeline_validate(p), RILL_EPIPELINE);
    assert_non_null(strstr(rill_error_last(), "another stage is named 'r'"));
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_outside_kind_runs_in_the_inline_order),
        cmocka_unit_test(an_outside_kind_gets_spans_of_its_batch_size),
        cmocka_unit_test(an_outside_kind_is_a_node_of_a_graph),
        cmocka_unit_test(an_outside_kind_s_failure_names_its_stage),
        cmocka_unit_test(kinds_that_need_the_engine_s_inside_are_refused),
        cmocka_unit_test(an_outside_kind_is_refused_by_name_as_every_stage_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
