/* bench_map.c — rill_map (issue 15): map_scaling, the CPU-bound hash job
 * (bench_scaling.c's) over 100,000 elements on 2 workers against 1, in
 * order both times; map_order_cost, what keeping the order costs: x + 1
 * over 2 million int64 through rill_map against the same job in a
 * one-stage pipeline whose results come in no order, both on 1 worker. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rill.h>

#include "bench.h"

#define N_HASH 100000
#define N_CHEAP 2000000

static int plus_one(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x;
    (void)payload;
    memcpy(&x, in->data, sizeof(x));
    return rill_emit_int64(out, x + 1);
}

static rill_batch *ints(int n)
{
    rill_batch *b;
    int i;
    if (rill_batch_new(&b) < 0)
        bench_die("out of memory");
    for (i = 0; i < n; i++)
        if (rill_batch_add_int64(b, i) < 0)
            bench_die("out of memory");
    return b;
}

/* Seconds of one rill_map; checks the results' order on the way. */
static double timed_map(const rill_batch *list, int workers, rill_job_fn fn, int64_t first)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_batch *res;
    rill_record r;
    int64_t v;
    double t0 = bench_now();
    o.workers = workers;
    if (rill_map(&res, list, &o, fn, NULL) < 0)
        bench_die("map: %s", rill_error_last());
    t0 = bench_now() - t0;
    if (rill_batch_count(res) != rill_batch_count(list) || rill_batch_get(&r, res, 1) < 0 ||
        rill_record_int64(&v, &r) < 0 || (first >= 0 && v != first))
        bench_die("map: results out of order");
    rill_batch_free(res);
    return t0;
}

void bench_map(bench_ctx *c)
{
    double t1[BENCH_REPS], t2[BENCH_REPS], tm[BENCH_REPS], tj[BENCH_REPS], a, b;
    rill_batch *hash = ints(N_HASH), *cheap = ints(N_CHEAP), *work = ints(N_CHEAP);
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    char note[160];
    int rep;
    o.workers = 1;
    if (rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_job(p, "x+1", NULL, plus_one, NULL) < 0)
        bench_die("%s", rill_error_last());
    for (rep = 0; rep < BENCH_REPS; rep++) {
        rill_batch *res;
        double t0;
        t1[rep] = timed_map(hash, 1, bench_hash_job, -1);
        t2[rep] = timed_map(hash, 2, bench_hash_job, -1);
        tm[rep] = timed_map(cheap, 1, plus_one, 2);
        t0 = bench_now();
        if (rill_run(p, &o, &res) < 0)
            bench_die("map: %s", rill_error_last());
        tj[rep] = bench_now() - t0;
        if (rill_batch_count(res) != N_CHEAP)
            bench_die("map: the job lost records");
        rill_batch_free(res);
    }
    a = N_HASH / bench_median(t1, BENCH_REPS);
    b = N_HASH / bench_median(t2, BENCH_REPS);
    bench_add(c, "map_scaling", b, "rec/s", a, b / a,
              "rill_map, 2 workers vs 1, 2,000 hash rounds per element, in order");
    a = bench_median(tm, BENCH_REPS) / N_CHEAP * 1e9;
    b = bench_median(tj, BENCH_REPS) / N_CHEAP * 1e9;
    snprintf(note, sizeof(note), "2M int64, x + 1, 1 worker: rill_map vs a job's results "
                                 "in no order");
    bench_add(c, "map_order_cost", a, "ns/elem", b, a / b, note);
    rill_pipeline_free(p);
    rill_batch_free(hash);
    rill_batch_free(cheap);
}
