/* bench_mpi.c — the same pipelines over 2 MPI ranks against 1, each run a
 * fresh `mpirun` of this program (--mpi-child), timed inside rill_run on
 * rank 0, so launching does not count. One worker per rank throughout.
 *
 *   mpi_scaling    CPU-bound job (2,000 hash rounds a record): throughput
 *                  of 2 ranks over 1 rank (target >= 1.9 on 2 cores)
 *   mpi_wordcount  the word count of bench_wordcount: 2 ranks over 1
 *                  (target >= 1.85)
 *   shuffle_cost   a keyed combine of 1M distinct keys followed by a job,
 *                  so each rank's table goes straight to the ranks that own
 *                  its keys: the extra core time of the 2-rank run
 *                  (2 x T2 - T1) per record that crossed ranks, in ns; the
 *                  baseline is the 1-rank time per key, the ratio the one
 *                  over the other. Fewer records crossing raise it for the
 *                  same extra time: the note gives the count. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

#include "bench.h"

#define SCALING_N 100000
#define KEYS (1 << 20)
#define PARTS 64

/* Part k of the key space: KEYS / PARTS distinct keys, each once. */
static int keys_of_part(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t part, k;
    (void)payload;
    memcpy(&part, in->data, sizeof(part));
    for (k = part; k < KEYS; k += PARTS)
        if (rill_emit_keyed(out, &k, sizeof(k), NULL, 0) != 0)
            return -1;
    return 0;
}

static int drop(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)out, (void)in, (void)payload;
    return 0;
}

/* Under mpirun: builds and runs one pipeline; rank 0 prints the seconds
 * rill_run took and the records all ranks sent. */
int bench_mpi_child(const char *kind, const char *text)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *work, *res = NULL;
    unsigned long long sent, total = 0;
    double t;
    int64_t i;
    rill_rank(); /* MPI starts here, before the barrier below */
    if (rill_batch_new(&work) < 0 || rill_pipeline_new(&p) < 0)
        return 1;
    o.workers = 1;
    if (strcmp(kind, "scaling") == 0) {
        rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
        r.store_size = sizeof(int64_t);
        r.add = bench_xor_add;
        r.merge = bench_xor_merge;
        for (i = 0; i < SCALING_N; i++)
            rill_batch_add_int64(work, i);
        if (rill_work(p, work) < 0 || rill_job(p, "hash", NULL, bench_hash_job, NULL) < 0 ||
            rill_reduce(p, "xor", &r, NULL) < 0)
            return 1;
    } else if (strcmp(kind, "wordcount") == 0) {
        rill_batch_add_text(work, text);
        if (bench_wordcount_stages(p, work) < 0)
            return 1;
    } else {
        rill_combine_options sum = RILL_COMBINE_SUM_INT64;
        for (i = 0; i < PARTS; i++)
            rill_batch_add_int64(work, i);
        if (rill_work(p, work) < 0 || rill_job(p, "keys", NULL, keys_of_part, NULL) < 0 ||
            rill_combine(p, "count", &sum, NULL) < 0 ||
            rill_job(p, "drop", NULL, drop, NULL) < 0)
            return 1;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    t = bench_now();
    if (rill_run(p, &o, &res) < 0) {
        fprintf(stderr, "bench mpi %s: %s\n", kind, rill_error_last());
        return 1;
    }
    t = bench_now() - t;
    sent = rill_records_sent(p);
    MPI_Reduce(&sent, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rill_rank() == 0)
        printf("%.6f %llu %zu\n", t, total, rill_batch_count(res));
    rill_batch_free(res);
    rill_pipeline_free(p);
    return 0;
}

/* One mpirun of this program: seconds, records sent, results. */
static double launch(bench_ctx *c, int np, const char *kind, const char *text,
                     unsigned long long *sent, size_t *results)
{
    char cmd[8192], line[256];
    double t;
    FILE *f;
    snprintf(cmd, sizeof(cmd), "%s -np %d '%s' --mpi-child %s '%s'", RILL_MPIRUN, np, c->self,
             kind, text ? text : "-");
    if ((f = popen(cmd, "r")) == NULL || fgets(line, sizeof(line), f) == NULL ||
        sscanf(line, "%lf %llu %zu", &t, sent, results) != 3)
        bench_die("mpi %s on %d ranks failed (%s)", kind, np, cmd);
    pclose(f);
    return t;
}

/* Medians over BENCH_REPS interleaved runs on 1 and on 2 ranks. */
static void compare(bench_ctx *c, const char *kind, const char *text, double *t1, double *t2,
                    unsigned long long *sent)
{
    double a[BENCH_REPS], b[BENCH_REPS];
    unsigned long long s1, s2;
    size_t r1, r2;
    int rep;
    for (rep = 0; rep < BENCH_REPS; rep++) {
        a[rep] = launch(c, 1, kind, text, &s1, &r1);
        b[rep] = launch(c, 2, kind, text, &s2, &r2);
        if (r1 != r2)
            bench_die("mpi %s: 1 rank gave %zu results, 2 ranks %zu", kind, r1, r2);
    }
    *t1 = bench_median(a, BENCH_REPS);
    *t2 = bench_median(b, BENCH_REPS);
    *sent = s2;
}

void bench_mpi(bench_ctx *c)
{
    double t1, t2;
    unsigned long long sent;
    compare(c, "scaling", NULL, &t1, &t2, &sent);
    bench_add(c, "mpi_scaling", SCALING_N / t2, "rec/s", SCALING_N / t1, t1 / t2,
              "2 ranks x 1 worker vs 1 rank x 1 worker, CPU-bound; target >= 1.9");
    compare(c, "wordcount", bench_wordcount_input(c), &t1, &t2, &sent);
    bench_add(c, "mpi_wordcount", 200 / t2, "MB/s", 200 / t1, t1 / t2,
              "word count of 200 MB, 2 ranks x 1 worker vs 1 rank x 1 worker; target >= 1.85");
    compare(c, "shuffle", NULL, &t1, &t2, &sent);
    {
        double cost = (2 * t2 - t1) / (double)(sent ? sent : 1) * 1e9;
        double base = t1 / KEYS * 1e9;
        char note[160];
        snprintf(note, sizeof(note), "%llu records crossed ranks; extra core time per record "
                 "vs 1-rank time per key; target <= 500 ns", sent);
        bench_add(c, "shuffle_cost", cost, "ns/rec", base, cost / base, note);
    }
}
