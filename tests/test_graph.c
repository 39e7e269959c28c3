/* test_graph.c — the graph API: branches and joins, several inputs and
 * outputs, batch sizes (split and merged), call limits, context, YAML
 * configuration, the generator with max_batches, output-first scheduling,
 * and the refusals of graphs that cannot run. */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* A generator of `batches` batches of `size` int64 each (0, 1, 2, ...);
 * endless when batches is 0. */
typedef struct gen {
    int64_t batches, size, made, next;
    int64_t empty_every; /* also yield an empty batch after every k-th */
} gen;

static int generate(rill_batch *out, void *payload)
{
    gen *g = payload;
    int64_t i;
    if (g->batches && g->made == g->batches)
        return 0;
    if (g->empty_every && g->made % (g->empty_every + 1) == g->empty_every) {
        g->made++;
        return 1; /* an empty source batch */
    }
    for (i = 0; i < g->size; i++)
        if (rill_batch_add_int64(out, g->next++) < 0)
            return -1;
    g->made++;
    return 1;
}

/* Per-sink record counts, from the output callback. */
typedef struct sinks {
    pthread_mutex_t mu;
    char name[8][16];
    int64_t count[8], sum[8];
    int n;
} sinks;

static int on_output(const char *sink, const rill_batch *b, void *payload)
{
    sinks *s = payload;
    size_t i;
    int k;
    pthread_mutex_lock(&s->mu);
    for (k = 0; k < s->n && strcmp(s->name[k], sink) != 0; k++)
        ;
    if (k == s->n)
        snprintf(s->name[s->n++], sizeof(s->name[0]), "%s", sink);
    for (i = 0; i < rill_batch_count(b); i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, b, i), 0);
        s->count[k]++;
        s->sum[k] += i64(&r);
    }
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int64_t sink_count(const sinks *s, const char *name)
{
    int k;
    for (k = 0; k < s->n; k++)
        if (strcmp(s->name[k], name) == 0)
            return s->count[k];
    return -1;
}

static void a_diamond_delivers_every_record_twice_at_its_join(void **state)
{
    int w;
    (void)state;
    for (w = 1; w <= 4; w *= 2) {
        gen g = {10, 100, 0, 0, 0};
        sinks s = {PTHREAD_MUTEX_INITIALIZER, {{0}}, {0}, {0}, 0};
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_generator(p, generate, &g), 0);
        assert_int_equal(rill_task(p, "a", NULL, copy_all, NULL), 0);
        assert_int_equal(rill_task(p, "b", NULL, copy_all, NULL), 0);
        assert_int_equal(rill_task(p, "c", NULL, copy_all, NULL), 0);
        assert_int_equal(rill_task(p, "d", NULL, copy_all, NULL), 0);
        assert_int_equal(rill_edge(p, "a", "b"), 0);
        assert_int_equal(rill_edge(p, "a", "c"), 0);
        assert_int_equal(rill_edge(p, "b", "d"), 0);
        assert_int_equal(rill_edge(p, "c", "d"), 0);
        assert_int_equal(rill_output(p, on_output, &s), 0);
        assert_int_equal(rill_run(p, &o, NULL), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.name[0], "d");
        assert_int_equal(s.count[0], 2000);
        assert_int_equal(s.sum[0], 2 * (999 * 1000 / 2));
        rill_pipeline_free(p);
    }
}

static void every_input_task_sees_every_generated_batch(void **state)
{
    gen g = {7, 13, 0, 0, 0};
    sinks s = {PTHREAD_MUTEX_INITIALIZER, {{0}}, {0}, {0}, 0};
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, &g), 0);
    assert_int_equal(rill_task(p, "in1", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "in2", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "out1", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "out2", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "in1", "out1"), 0);
    assert_int_equal(rill_edge(p, "in2", "out2"), 0);
    assert_int_equal(rill_output(p, on_output, &s), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(sink_count(&s, "out1"), 91);
    assert_int_equal(sink_count(&s, "out2"), 91);
    assert_int_equal(s.sum[0], 90 * 91 / 2);
    assert_int_equal(s.sum[1], 90 * 91 / 2);
    rill_pipeline_free(p);
}

/* Records the sizes of the calls a task gets. */
typedef struct calls {
    pthread_mutex_t mu;
    size_t sizes[256];
    int n;
} calls;

static int record_size(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    calls *c = payload;
    pthread_mutex_lock(&c->mu);
    if (c->n < 256)
        c->sizes[c->n++] = n;
    pthread_mutex_unlock(&c->mu);
    return copy_all(out, in, n, NULL);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x < y) - (x > y); /* largest first */
}

static void run_sized(int64_t batches, int64_t size, size_t batch_size, calls *c,
                      int64_t empty_every)
{
    gen g = {batches, size, 0, 0, empty_every};
    rill_task_options t = RILL_TASK_OPTIONS_INIT;
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *res;
    size_t n;
    int64_t *v;
    t.batch_size = batch_size;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, &g), 0);
    assert_int_equal(rill_task(p, "sized", &t, record_size, c), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, (size_t)(g.next));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i], (int64_t)i);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
    qsort(c->sizes, (size_t)c->n, sizeof(c->sizes[0]), cmp_size);
}

static void a_batch_larger_than_batch_size_is_split_into_near_equal_calls(void **state)
{
    calls c = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
    calls d = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
    (void)state;
    run_sized(1, 10, 5, &c, 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.sizes[0], 5);
    assert_int_equal(c.sizes[1], 5);
    run_sized(1, 23, 5, &d, 0); /* 5 parts: 5 5 5 4 4 */
    assert_int_equal(d.n, 5);
    assert_int_equal(d.sizes[0], 5);
    assert_int_equal(d.sizes[2], 5);
    assert_int_equal(d.sizes[3], 4);
    assert_int_equal(d.sizes[4], 4);
}

static void smaller_batches_are_merged_to_batch_size_and_the_rest_flushed(void **state)
{
    calls c = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
    (void)state;
    run_sized(3, 7, 20, &c, 0); /* 21 records: a call of 20, then the 1 left */
    assert_int_equal(c.n, 2);
    assert_int_equal(c.sizes[0], 20);
    assert_int_equal(c.sizes[1], 1);
}

static void empty_batches_call_nothing(void **state)
{
    calls c = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
    int i;
    (void)state;
    run_sized(12, 3, 0, &c, 2); /* every third source batch is empty */
    assert_int_equal(c.n, 8);
    for (i = 0; i < c.n; i++)
        assert_int_equal(c.sizes[i], 3);
}

static void an_endless_generator_stops_after_max_batches(void **state)
{
    gen g = {0, 10, 0, 0, 0};
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *res;
    size_t n;
    int64_t *v;
    (void)state;
    o.max_batches = 37;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, &g), 0);
    assert_int_equal(rill_task(p, "copy", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "again", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "copy", "again"), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 370);
    assert_int_equal(v[369], 369);
    assert_int_equal(g.made, 37);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- scheduling ---- */

typedef struct trace {
    char ev[4096];
    size_t len;
    int64_t made;
} trace;

static void note(trace *t, const char *what, int64_t batch)
{
    t->len += (size_t)snprintf(t->ev + t->len, sizeof(t->ev) - t->len, "%s%lld ", what,
                               (long long)batch);
}

static int traced_gen(rill_batch *out, void *payload)
{
    trace *t = payload;
    if (t->made == 5)
        return 0;
    note(t, "g", t->made);
    assert_int_equal(rill_batch_add_int64(out, t->made), 0);
    t->made++;
    return 1;
}

static int traced(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    const char *name = rill_context(out, "name");
    if (strcmp(name, "d") == 0 || strcmp(name, "e") == 0)
        note(payload, name, i64(&in[0]));
    return copy_all(out, in, n, NULL);
}

static void outputs_leave_before_the_next_source_batch_enters(void **state)
{
    static const char *names[] = {"a", "b", "c", "d", "e"};
    trace t = {"", 0, 0};
    rill_task_options o = RILL_TASK_OPTIONS_INIT;
    rill_run_options r = with_workers(1);
    rill_pipeline *p;
    int i;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, traced_gen, &t), 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(rill_task(p, names[i], &o, traced, &t), 0);
        assert_int_equal(rill_configure(p, names[i], "context.name", names[i]), 0);
    }
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "b", "c"), 0);
    assert_int_equal(rill_edge(p, "c", "d"), 0);
    assert_int_equal(rill_edge(p, "c", "e"), 0);
    assert_int_equal(rill_run(p, &r, NULL), 0);
    assert_string_equal(t.ev, "g0 d0 e0 g1 d1 e1 g2 d2 e2 g3 d3 e3 g4 d4 e4 ");
    rill_pipeline_free(p);
}

static atomic_int inside, most;

static int limited(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    int now = atomic_fetch_add(&inside, 1) + 1, seen = atomic_load(&most);
    struct timespec pause = {0, 200000};
    (void)payload;
    while (now > seen && !atomic_compare_exchange_weak(&most, &seen, now))
        ;
    nanosleep(&pause, NULL);
    atomic_fetch_sub(&inside, 1);
    return copy_all(out, in, n, NULL);
}

static void concurrency_limits_the_calls_of_a_task_at_once(void **state)
{
    gen g = {60, 4, 0, 0, 0};
    rill_run_options o = with_workers(8);
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    atomic_store(&most, 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, &g), 0);
    assert_int_equal(rill_task(p, "fan", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "limited", NULL, limited, NULL), 0);
    assert_int_equal(rill_edge(p, "fan", "limited"), 0);
    assert_int_equal(rill_configure(p, "limited", "concurrency", "2"), 0);
    assert_int_equal(rill_configure(p, "limited", "batch_size", "1"), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 240);
    assert_true(atomic_load(&most) <= 2);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- configuration ---- */

static int emit_context(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    const char *v = rill_context(out, "model");
    (void)in, (void)payload;
    return rill_emit_tuple(out, "si", v ? v : "(none)", (int64_t)n);
}

static rill_pipeline *configurable(gen *g)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, g), 0);
    assert_int_equal(rill_task(p, "parse", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "score", NULL, emit_context, NULL), 0);
    assert_int_equal(rill_edge(p, "parse", "score"), 0);
    return p;
}

static void yaml_sets_batch_size_and_context_in_both_forms(void **state)
{
    static const char *docs[] = {
        "score.batch_size: 4\nscore.context.model: small\n",
        "score:\n  batch_size: 4\n  context: {model: small}\nparse: {concurrency: 3}\n",
    };
    size_t d;
    (void)state;
    for (d = 0; d < 2; d++) {
        gen g = {1, 8, 0, 0, 0};
        rill_pipeline *p = configurable(&g);
        rill_run_options o = with_workers(1);
        rill_batch *res;
        size_t i;
        assert_int_equal(rill_configure_yaml(p, docs[d], strlen(docs[d])), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 2);
        for (i = 0; i < 2; i++) {
            rill_record r;
            const char *model;
            int64_t n;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(rill_record_unpack(&r, "si", &model, &n), 0);
            assert_string_equal(model, "small");
            assert_int_equal(n, 4);
        }
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

static void yaml_refuses_unknown_tasks_and_fields_by_name_and_applies_nothing(void **state)
{
    static const char *bad[][2] = {
        {"score.batch_size: 4\nranker.batch_size: 2\n",
         "line 2: no stage named 'ranker' to configure"},
        {"score:\n  batch_size: 4\n  colour: red\n",
         "line 3: stage 'score' has no field 'colour' (batch_size, concurrency, serial or "
         "context.KEY)"},
        {"score.batch_size: many\n", "line 1: score.batch_size: 'many' is not a record count"},
        {"score.batch_size: [1, 2]\n", "line 1: 'score.batch_size' must be a value or a mapping"},
        {"- a\n- b\n", "line 1: the configuration must be a mapping"},
        {"score: {batch_size: 4\n", "line 2: did not find expected ',' or '}'"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gen g = {1, 8, 0, 0, 0};
        rill_pipeline *p = configurable(&g);
        rill_run_options o = with_workers(1);
        rill_batch *res;
        int rc = rill_configure_yaml(p, bad[i][0], strlen(bad[i][0]));
        assert_true(rc == RILL_ENOTFOUND || rc == RILL_EINVAL);
        assert_string_equal(rill_error_last(), bad[i][1]);
        assert_int_equal(rill_run(p, &o, &res), 0); /* nothing applied: one call of 8 */
        assert_int_equal(rill_batch_count(res), 1);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void yaml_nested_too_deep_is_refused_quickly_with_file_and_line(void **state)
{
    const size_t n = 200000; /* brackets: quadratic work would take minutes */
    char *doc = malloc(2 * n + 16), path[] = "/tmp/rill-test-yaml-XXXXXX", want[128];
    size_t i, len = 0;
    double t0;
    rill_pipeline *p;
    FILE *f;
    int fd, d;
    (void)state;
    assert_non_null(doc);
    assert_int_equal(rill_pipeline_new(&p), 0);
    len += (size_t)sprintf(doc, "score: ");
    for (i = 0; i < n; i++)
        doc[len++] = '[';
    for (i = 0; i < n; i++)
        doc[len++] = ']';
    doc[len++] = '\n';
    t0 = now_s();
    assert_int_equal(rill_configure_yaml(p, doc, len), RILL_EINVAL);
    assert_true(now_s() - t0 < 5);
    assert_string_equal(rill_error_last(), "line 1: nested deeper than 64 levels");
    /* block mappings, from a file: the message names it and the line */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_non_null(f = fdopen(fd, "w"));
    for (d = 0; d < 100; d++)
        fprintf(f, "%*sk%d:\n", d, "", d);
    fprintf(f, "%*sv\n", d, "");
    fclose(f);
    assert_int_equal(rill_configure_yaml_file(p, path), RILL_EINVAL);
    snprintf(want, sizeof(want), "%s: line 65: nested deeper than 64 levels", path);
    assert_string_equal(rill_error_last(), want);
    unlink(path);
    free(doc);
    rill_pipeline_free(p);
}

/* A file source added before the first edge of a graph is still fed by its
 * glob expander: the lines of the file reach the task after it. */
static int count_lines(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    (void)out, (void)in;
    atomic_fetch_add((atomic_long *)payload, (long)n);
    return 0;
}

static void a_line_source_added_before_the_first_edge_reads_its_files(void **state)
{
    char path[] = "/tmp/rill-graph-lines-XXXXXX";
    rill_pipeline *p;
    rill_batch *work;
    atomic_long seen = 0;
    rill_run_options o = with_workers(2);
    int fd = mkstemp(path), i;
    FILE *f;
    (void)state;
    assert_true(fd >= 0);
    assert_non_null(f = fdopen(fd, "w"));
    for (i = 0; i < 100; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", 0), 0); /* no edge yet */
    assert_int_equal(rill_task(p, "count", NULL, count_lines, &seen), 0);
    assert_int_equal(rill_edge(p, "lines", "count"), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(atomic_load(&seen), 100);
    rill_pipeline_free(p);
    unlink(path);
}

/* ---- refusals ---- */

static void expect_refused(rill_pipeline *p, const char *message)
{
    assert_int_equal(rill_pipeline_validate(p), RILL_EPIPELINE);
    assert_string_equal(rill_error_last(), message);
    rill_pipeline_free(p);
}

static rill_pipeline *three(void)
{
    static gen g = {1, 1, 0, 0, 0};
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, &g), 0);
    assert_int_equal(rill_task(p, "a", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "b", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "c", NULL, copy_all, NULL), 0);
    return p;
}

static int sum_add(rill_emitter *r, void *s, const rill_record *in, size_t n, void *p)
{
    (void)r, (void)s, (void)in, (void)n, (void)p;
    return 0;
}

static void graphs_that_cannot_run_are_refused_by_name(void **state)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_pipeline *p;
    (void)state;
    r.add = sum_add;

    p = three();
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "b", "c"), 0);
    assert_int_equal(rill_edge(p, "c", "b"), 0);
    expect_refused(p, "the stages 'b' -> 'c' -> 'b' form a cycle; an edge that closes a "
                      "loop is added with rill_loop (or iterate with a frame)");

    p = three();
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "b", "zz"), 0);
    expect_refused(p, "edge 'b' -> 'zz': no stage named 'zz'");

    p = three();
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    expect_refused(p, "task 'c' (stage 3): is connected to no other stage");

    p = three();
    assert_int_equal(rill_task(p, "a", NULL, copy_all, NULL), RILL_EPIPELINE);
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "b", "c"), 0);
    expect_refused(p, "rill_task 'a': another stage is named 'a'; stage names must be unique");

    p = three();
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "b", "c"), 0);
    assert_int_equal(rill_edge(p, "c", "sum"), 0);
    expect_refused(p, "reduce 'sum' (stage 4): reducers and frames follow the inline order; "
                      "the stages of a graph are tasks, jobs and splittable stages");

    p = three();
    assert_int_equal(rill_edge(p, "a", "a"), 0);
    assert_int_equal(rill_edge(p, "b", "c"), 0);
    expect_refused(p, "the stages 'a' -> 'a' form a cycle; an edge that closes a loop is "
                      "added with rill_loop (or iterate with a frame)");
}

static void review_regressions_batch_size_on_a_work_list_no_stage_and_bad_options(void **state)
{
    calls c = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
    rill_task_options t = RILL_TASK_OPTIONS_INIT;
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    rill_batch *res;
    int i;
    (void)state;
    /* a work list honours the root's batch_size too */
    t.batch_size = 2;
    o.batch_records = 16;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 101)), 0);
    assert_int_equal(rill_task(p, "sized", &t, record_size, &c), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 101);
    for (i = 0; i < c.n; i++)
        assert_true(c.sizes[i] <= 2);
    rill_batch_free(res);
    rill_pipeline_free(p);
    /* no stage at all: the work list is the result */
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2)), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 2);
    rill_batch_free(res);
    /* a negative concurrency, a key starting with a dot */
    t.concurrency = -1;
    assert_int_equal(rill_task(p, "bad", &t, copy_all, NULL), RILL_EINVAL);
    assert_int_equal(rill_task(p, "good", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_configure_yaml(p, ".batch_size: 5\n", 15), RILL_ENOTFOUND);
    assert_int_equal(rill_configure_yaml(p, "a.b.c: 5\n", 9), RILL_ENOTFOUND);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_diamond_delivers_every_record_twice_at_its_join),
        cmocka_unit_test(every_input_task_sees_every_generated_batch),
        cmocka_unit_test(a_batch_larger_than_batch_size_is_split_into_near_equal_calls),
        cmocka_unit_test(smaller_batches_are_merged_to_batch_size_and_the_rest_flushed),
        cmocka_unit_test(empty_batches_call_nothing),
        cmocka_unit_test(an_endless_generator_stops_after_max_batches),
        cmocka_unit_test(outputs_leave_before_the_next_source_batch_enters),
        cmocka_unit_test(concurrency_limits_the_calls_of_a_task_at_once),
        cmocka_unit_test(yaml_sets_batch_size_and_context_in_both_forms),
        cmocka_unit_test(yaml_refuses_unknown_tasks_and_fields_by_name_and_applies_nothing),
        cmocka_unit_test(yaml_nested_too_deep_is_refused_quickly_with_file_and_line),
        cmocka_unit_test(a_line_source_added_before_the_first_edge_reads_its_files),
        cmocka_unit_test(graphs_that_cannot_run_are_refused_by_name),
        cmocka_unit_test(review_regressions_batch_size_on_a_work_list_no_stage_and_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
