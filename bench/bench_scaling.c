/* bench_scaling.c — CPU-bound work on 2 workers against 1: each record
 * takes about 2,000 rounds of a 64-bit mix; throughput ratio. */
#include <stdint.h>
#include <string.h>

#include <rill.h>

#include "bench.h"

#define N 200000
#define ROUNDS 2000

static int64_t mix(int64_t x)
{
    uint64_t z = (uint64_t)x;
    int i;
    for (i = 0; i < ROUNDS; i++) {
        z += 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
    }
    return (int64_t)z;
}

int bench_hash_job(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x;
    (void)payload;
    memcpy(&x, in->data, sizeof(x));
    return rill_emit_int64(out, mix(x));
}

int bench_xor_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    int64_t s = *(int64_t *)store, x;
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++) {
        memcpy(&x, in[i].data, sizeof(x));
        s ^= x;
    }
    *(int64_t *)store = s;
    return 0;
}

int bench_xor_merge(void *store, void *other, void *payload)
{
    (void)payload;
    *(int64_t *)store ^= *(int64_t *)other;
    return 0;
}

static double timed_run(rill_pipeline *p, int workers, int64_t *out)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_batch *res;
    rill_record rec;
    double t0 = bench_now();
    o.workers = workers;
    if (rill_run(p, &o, &res) < 0)
        bench_die("scaling: %s", rill_error_last());
    t0 = bench_now() - t0;
    rill_batch_get(&rec, res, 0);
    rill_record_int64(out, &rec);
    rill_batch_free(res);
    return t0;
}

void bench_scaling(bench_ctx *c)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    double t1[BENCH_REPS], t2[BENCH_REPS], tp1, tp2;
    rill_pipeline *p;
    rill_batch *work;
    int64_t a, b;
    int i, rep;
    if (rill_batch_new(&work) < 0)
        bench_die("out of memory");
    for (i = 0; i < N; i++)
        if (rill_batch_add_int64(work, i) < 0)
            bench_die("out of memory");
    r.store_size = sizeof(int64_t);
    r.add = bench_xor_add;
    r.merge = bench_xor_merge;
    if (rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_job(p, "hash", NULL, bench_hash_job, NULL) < 0 ||
        rill_reduce(p, "xor", &r, NULL) < 0)
        bench_die("%s", rill_error_last());
    for (rep = 0; rep < BENCH_REPS; rep++) {
        t1[rep] = timed_run(p, 1, &a);
        t2[rep] = timed_run(p, 2, &b);
        if (a != b)
            bench_die("scaling: 1 and 2 workers disagree");
    }
    tp1 = N / bench_median(t1, BENCH_REPS);
    tp2 = N / bench_median(t2, BENCH_REPS);
    bench_add(c, "scaling", tp2, "rec/s", tp1, tp2 / tp1,
              "2 workers vs 1, 2,000 hash rounds per record; target >= 1.85");
    rill_pipeline_free(p);
}
