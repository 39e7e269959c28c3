/* test_stage_kind.c — a kind of stage written outside rill with only the
 * public headers (rill/sys/stage.h), as a plugin author would: the engine
 * runs it through its table like its own kinds, in the inline order and in
 * a graph, cut to its batch size, and reports its failures by name. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

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

/* A kind that only counts what it gets and says the total when its input
 * ends: what close is for (a sort, a top-k, an external command). */
static int count_process(rill_worker *w, rill_span *t, int locked)
{
    atomic_long *n = rill_stage_payload(rill_span_stage(w, t));
    (void)locked;
    atomic_fetch_add(n, (long)rill_span_count(t));
    return 0;
}

static int say_total(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    (void)in;
    assert_int_equal(n, 0); /* close's span is empty */
    return rill_emit_int64(out, atomic_load((atomic_long *)payload));
}

static int count_close(rill_worker *w, rill_span *t)
{
    return rill_span_call(w, t, say_total, rill_stage_payload(rill_span_stage(w, t)));
}

static const rill_stage_kind count_kind = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "count",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH,
    .process = count_process,
    .close = count_close,
};

static int plus_one(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t v;
    (void)payload;
    assert_int_equal(rill_record_int64(&v, in), 0);
    return rill_emit_int64(out, v + 1);
}

static void an_outside_kind_says_what_it_held_when_its_input_ends(void **state)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *res;
    atomic_long n;
    rill_record r;
    int64_t v;
    int workers;
    (void)state;
    for (workers = 1; workers <= 2; workers++) {
        atomic_init(&n, 0);
        o.workers = workers;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 1000)), 0);
        assert_int_equal(rill_stage_add(p, "count", &count_kind, &n), 0);
        assert_int_equal(rill_job(p, "plus one", NULL, plus_one, NULL), 0); /* after it */
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 1); /* once, and only at the end */
        assert_int_equal(rill_batch_get(&r, res, 0), 0);
        assert_int_equal(rill_record_int64(&v, &r), 0);
        assert_int_equal(v, 1001);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* The same kind, keeping its count per reduction (rill_span_reduction):
 * in a pipeline with scopes rill closes it once per reduction. */
typedef struct per_red {
    pthread_mutex_t mu;
    const rill_reduction *red[64];
    long n[64];
    int used, closes;
} per_red;

static long *count_of(per_red *c, const rill_reduction *red)
{
    int i;
    for (i = 0; i < c->used && c->red[i] != red; i++)
        ;
    if (i == c->used) {
        assert_true(c->used < 64);
        c->red[c->used] = red;
        c->n[c->used++] = 0;
    }
    return &c->n[i];
}

static int per_red_process(rill_worker *w, rill_span *t, int locked)
{
    per_red *c = rill_stage_payload(rill_span_stage(w, t));
    (void)locked;
    pthread_mutex_lock(&c->mu);
    *count_of(c, rill_span_reduction(t)) += (long)rill_span_count(t);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

typedef struct said {
    per_red *c;
    const rill_reduction *red;
} said;

static int say_count(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    said *s = payload;
    long v;
    int i;
    (void)in;
    assert_int_equal(n, 0);
    pthread_mutex_lock(&s->c->mu);
    v = *count_of(s->c, s->red);
    for (i = 0; s->c->red[i] != s->red; i++)
        ;
    s->c->used--; /* forgotten: its address may be another reduction's later */
    s->c->red[i] = s->c->red[s->c->used];
    s->c->n[i] = s->c->n[s->c->used];
    s->c->closes++;
    pthread_mutex_unlock(&s->c->mu);
    return rill_emit_int64(out, v);
}

static int per_red_close(rill_worker *w, rill_span *t)
{
    said s = {rill_stage_payload(rill_span_stage(w, t)), rill_span_reduction(t)};
    return rill_span_call(w, t, say_count, &s);
}

static const rill_stage_kind per_red_kind = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "count",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH,
    .process = per_red_process,
    .close = per_red_close,
};

/* a frame per n: n records into the kind, its count summed by frame end */
typedef struct round {
    int64_t sum;
    int rounds;
} round;

static int n_records(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    int64_t i, n;
    (void)payload;
    if (((round *)store)->rounds++ > 0)
        return 0;
    assert_int_equal(rill_record_int64(&n, first), 0);
    for (i = 0; i < n; i++)
        if (rill_emit_int64(recur, i) != 0)
            return -1;
    return 0;
}

static int add_said(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    int64_t v;
    (void)recur;
    (void)payload;
    assert_int_equal(rill_record_int64(&v, next), 0);
    ((round *)store)->sum += v;
    return 0;
}

static int emit_sum(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((round *)store)->sum);
}

static void a_kind_with_close_in_frames_closes_once_per_reduction(void **s)
{
    int workers;
    (void)s;
    for (workers = 1; workers <= 3; workers++) {
        rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
        rill_run_options o = with_workers(workers);
        per_red c;
        rill_pipeline *p;
        rill_batch *res;
        int64_t *v;
        size_t n, i;
        memset(&c, 0, sizeof(c));
        pthread_mutex_init(&c.mu, NULL);
        o.batch_records = 4;
        f.store_size = sizeof(round);
        f.frame = n_records;
        f.emit = emit_sum;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 31)), 0);
        assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
        assert_int_equal(rill_stage_add(p, "count", &per_red_kind, &c), 0);
        assert_int_equal(rill_frame_end(p, "sum", NULL, add_said, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        v = sorted_ints(res, &n);
        assert_int_equal(n, 30);
        for (i = 0; i < n; i++) /* each frame's own count, said once */
            assert_int_equal(v[i], (int64_t)i + 1);
        assert_int_equal(c.closes, 30);
        free(v);
        rill_batch_free(res);
        rill_pipeline_free(p);
        pthread_mutex_destroy(&c.mu);
    }
}

static int bare_fail_process(rill_worker *w, rill_span *t, int locked)
{
    (void)w;
    (void)t;
    (void)locked;
    return -1; /* not through rill_span_call: rill still stops the run */
}

static int bare_fail_close(rill_worker *w, rill_span *t)
{
    (void)w;
    (void)t;
    return 1;
}

static void an_outside_kind_failing_without_rill_s_help_stops_the_run(void **state)
{
    rill_stage_kind fails = reverse_kind, closes = count_kind;
    rill_pipeline *p;
    atomic_long n;
    (void)state;
    fails.process = bare_fail_process;
    closes.close = bare_fail_close;
    atomic_init(&n, 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_stage_add(p, "broken", &fails, NULL), 0);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "reverse 'broken' (stage 1) failed on"));
    rill_pipeline_free(p);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_stage_add(p, "closer", &closes, &n), 0);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "count 'closer' (stage 1) failed closing"));
    rill_pipeline_free(p);
}

static void a_kind_holding_records_for_close_is_not_checkpointed(void **state)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p;
    atomic_long n;
    char path[64];
    (void)state;
    snprintf(path, sizeof(path), "/tmp/rill-kind-%d.db", (int)getpid());
    co.path = path;
    atomic_init(&n, 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_stage_add(p, "count", &count_kind, &n), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EPIPELINE);
    assert_non_null(strstr(rill_error_last(), "which a checkpoint cannot save"));
    assert_int_equal(atomic_load(&n), 0);
    rill_pipeline_free(p);
    unlink(path);
}

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
        cmocka_unit_test(an_outside_kind_failing_without_rill_s_help_stops_the_run),
        cmocka_unit_test(a_kind_holding_records_for_close_is_not_checkpointed),
        cmocka_unit_test(an_outside_kind_says_what_it_held_when_its_input_ends),
        cmocka_unit_test(a_kind_with_close_in_frames_closes_once_per_reduction),
        cmocka_unit_test(an_outside_kind_gets_spans_of_its_batch_size),
        cmocka_unit_test(an_outside_kind_is_a_node_of_a_graph),
        cmocka_unit_test(an_outside_kind_s_failure_names_its_stage),
        cmocka_unit_test(kinds_that_need_the_engine_s_inside_are_refused),
        cmocka_unit_test(an_outside_kind_is_refused_by_name_as_every_stage_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
