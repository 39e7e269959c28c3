/* loop.c — a loop "keep going -> add one -> check; done -> output", twice:
 * as a graph whose check task sends each record to ONE of its successors by
 * name (rill_emitter_to), with a loop edge back from add_one (rill_loop);
 * and in the inline API, where the loop is a frame. Both print, for each
 * starting value, the first multiple of 7 at or after it and the steps.
 *
 *     $ ./loop                (or: mpirun -np 3 ./loop)
 *     graph: 3 -> 7 in 4 steps, 8 -> 14 in 6 steps, 14 -> 14 in 0 steps, ...
 *     frame: 3 -> 7 in 4 steps, 8 -> 14 in 6 steps, 14 -> 14 in 0 steps, ...
 */
#include <stdio.h>
#include <stdlib.h>
#include <rill.h>

static const int64_t starts[] = {3, 8, 14, 20, 50};
#define NSTARTS (sizeof(starts) / sizeof(starts[0]))

/* ---- the graph: records are tuples (start, value) ---- */

static int check(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    int rc = 0;
    (void)payload;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int64_t start, v;
        rill_emitter *to;
        if ((rc = rill_record_unpack(&in[i], "ii", &start, &v)) != 0)
            break;
        /* keep going -> add_one; done -> output */
        if ((rc = rill_emitter_to(&to, out, v % 7 ? "add_one" : "output")) == 0)
            rc = rill_emit_record(to, &in[i]);
    }
    return rc;
}

static int add_one(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t start, v;
    int rc = rill_record_unpack(in, "ii", &start, &v);
    (void)payload;
    return rc ? rc : rill_emit_tuple(out, "ii", start, v + 1);
}

static int output(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    int rc = 0;
    (void)payload;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = rill_emit_record(out, &in[i]);
    return rc;
}

/* ---- the inline API: a frame per start ---- */

typedef struct { int64_t start, value; int started; } counter;

static int frame(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    counter *c = store;
    (void)payload;
    if (!c->started) { /* the first call: the record that opened the frame */
        c->started = 1;
        rill_record_int64(&c->start, first);
        c->value = c->start;
    }
    return c->value % 7 ? rill_emit_int64(recur, c->value) : 0; /* nothing: done */
}

static int plus_one(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t v;
    int rc = rill_record_int64(&v, in);
    (void)payload;
    return rc ? rc : rill_emit_int64(out, v + 1);
}

static int frame_end(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    (void)recur;
    (void)payload;
    return rill_record_int64(&((counter *)store)->value, next);
}

static int emit_pair(rill_emitter *out, void *store, void *payload)
{
    counter *c = store;
    (void)payload;
    return rill_emit_tuple(out, "ii", c->start, c->value);
}

/* ---- printing, in the order of starts ---- */

static int by_start(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

static void print(const char *how, const rill_batch *res)
{
    size_t n = rill_batch_count(res);
    int64_t (*pairs)[2] = calloc(n + 1, sizeof(*pairs));
    if (pairs == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        rill_record r;
        rill_batch_get(&r, res, i);
        rill_record_unpack(&r, "ii", &pairs[i][0], &pairs[i][1]);
    }
    qsort(pairs, n, sizeof(*pairs), by_start);
    printf("%s:", how);
    for (size_t i = 0; i < n; i++)
        printf("%s %lld -> %lld in %lld steps", i ? "," : "", (long long)pairs[i][0],
               (long long)pairs[i][1], (long long)(pairs[i][1] - pairs[i][0]));
    printf("\n");
    free(pairs);
}

int main(void)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *work, *res = NULL;
    int rc;

    rill_pipeline_new(&p);
    rill_batch_new(&work);
    for (size_t i = 0; i < NSTARTS; i++)
        rill_batch_add_tuple(work, "ii", starts[i], starts[i]);
    rill_work(p, work);
    rill_task(p, "check", NULL, check, NULL);
    rill_job(p, "add_one", NULL, add_one, NULL);
    rill_task(p, "output", NULL, output, NULL);
    rill_edge(p, "check", "add_one");
    rill_edge(p, "check", "output");
    rill_loop(p, "add_one", "check"); /* the edge back: a loop, allowed */
    if ((rc = rill_run(p, NULL, &res)) != 0)
        goto fail;
    if (rill_rank() == 0)
        print("graph", res);
    rill_batch_free(res);
    rill_pipeline_free(p);

    rill_pipeline_new(&p);
    rill_batch_new(&work);
    for (size_t i = 0; i < NSTARTS; i++)
        rill_batch_add_int64(work, starts[i]);
    rill_work(p, work);
    f.store_size = sizeof(counter), f.frame = frame, f.emit = emit_pair;
    rill_frame(p, "check", &f, NULL);
    rill_job(p, "add_one", NULL, plus_one, NULL);
    rill_frame_end(p, "check_end", NULL, frame_end, NULL);
    if ((rc = rill_run(p, NULL, &res)) != 0)
        goto fail;
    if (rill_rank() == 0)
        print("frame", res);
    rill_batch_free(res);
    rill_pipeline_free(p);
    return 0;
fail:
    fprintf(stderr, "loop: %s\n", rill_error_last());
    rill_pipeline_free(p);
    return 1;
}
