/* bench_overhead.c — rill's cost per record per stage: 10 million int64
 * through a job (x * 2) and a sum reducer on one worker, against the same
 * computation as a plain C loop over an array. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

#include "bench.h"

#define N 10000000

static int times2(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x;
    (void)payload;
    memcpy(&x, in->data, sizeof(x));
    return rill_emit_int64(out, x * 2);
}

static int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    int64_t s = *(int64_t *)store, x;
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++) {
        memcpy(&x, in[i].data, sizeof(x));
        s += x;
    }
    *(int64_t *)store = s;
    return 0;
}

static int sum_merge(void *store, void *other, void *payload)
{
    (void)payload;
    *(int64_t *)store += *(int64_t *)other;
    return 0;
}

/* The baseline, kept out of line so it is measured as the loop it is. */
__attribute__((noinline)) static int64_t plain_loop(const int64_t *v, size_t n)
{
    int64_t s = 0;
    size_t i;
    for (i = 0; i < n; i++)
        s += v[i] * 2;
    return s;
}

void bench_overhead(bench_ctx *c)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    double tp[BENCH_REPS], tb[BENCH_REPS], per, base;
    volatile int64_t sink;
    rill_pipeline *p;
    rill_batch *work;
    int64_t *v = malloc(N * sizeof(*v)), want;
    int i, rep;
    char note[160];
    if (v == NULL || rill_batch_new(&work) < 0)
        bench_die("out of memory");
    for (i = 0; i < N; i++) {
        v[i] = i;
        if (rill_batch_add_int64(work, i) < 0)
            bench_die("out of memory");
    }
    want = plain_loop(v, N);
    r.store_size = sizeof(int64_t);
    r.add = sum_add;
    r.merge = sum_merge;
    o.workers = 1;
    if (rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_job(p, "x*2", NULL, times2, NULL) < 0 || rill_reduce(p, "sum", &r, NULL) < 0)
        bench_die("%s", rill_error_last());
    for (rep = 0; rep < BENCH_REPS; rep++) {
        rill_batch *res;
        rill_record rec;
        int64_t got;
        double t0 = bench_now();
        sink = plain_loop(v, N);
        tb[rep] = bench_now() - t0;
        t0 = bench_now();
        if (rill_run(p, &o, &res) < 0)
            bench_die("overhead: %s", rill_error_last());
        tp[rep] = bench_now() - t0;
        rill_batch_get(&rec, res, 0);
        rill_record_int64(&got, &rec);
        rill_batch_free(res);
        if (got != want || sink != want)
            bench_die("overhead: the pipeline summed %lld, the loop %lld", (long long)got,
                      (long long)want);
    }
    per = bench_median(tp, BENCH_REPS) / (2.0 * N) * 1e9;
    base = bench_median(tb, BENCH_REPS) / (2.0 * N) * 1e9;
    snprintf(note, sizeof(note), "10M int64, job + reduce, 1 worker; target <= 5 ns");
    bench_add(c, "overhead", per, "ns/rec/stage", base, per / base, note);
    rill_pipeline_free(p);
    free(v);
}
