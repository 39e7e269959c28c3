/* bench_stream.c — memory under streaming: an endless generator of 1 MB
 * batches (1,024 records of 1 KB), stopped by max_batches at 5,000 (5 GB),
 * through three copy-through tasks on 2 workers. Rows: peak RSS of a fresh
 * process running only this (target < 64 MB), and throughput in GB/s
 * (target >= 1), against the same copies done in a plain loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rill.h>

#include "bench.h"

#define RECORD 1024
#define PER_BATCH 1024
#define BATCHES 5000

static char pattern[RECORD];

static int one_mb(rill_batch *out, void *payload)
{
    int i;
    (void)payload;
    for (i = 0; i < PER_BATCH; i++)
        if (rill_batch_add(out, pattern, RECORD) < 0)
            return -1;
    return 1;
}

static int copy_through(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++)
        if (rill_emit_record(out, &in[i]) != 0)
            return -1;
    return 0;
}

typedef struct counted {
    size_t bytes;
} counted;

static int count(const char *sink, const rill_batch *b, void *payload)
{
    (void)sink;
    ((counted *)payload)->bytes += rill_batch_bytes(b);
    return 0;
}

/* The child: runs the stream once and prints "seconds peak_kb bytes". */
static int child(void)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    counted c = {0};
    struct rusage ru;
    double t0;
    memset(pattern, 'r', sizeof(pattern));
    o.workers = 2;
    o.max_batches = BATCHES;
    if (rill_pipeline_new(&p) < 0 || rill_generator(p, one_mb, NULL) < 0 ||
        rill_task(p, "a", NULL, copy_through, NULL) < 0 ||
        rill_task(p, "b", NULL, copy_through, NULL) < 0 ||
        rill_task(p, "c", NULL, copy_through, NULL) < 0 || rill_edge(p, "a", "b") < 0 ||
        rill_edge(p, "b", "c") < 0 || rill_output(p, count, &c) < 0)
        bench_die("%s", rill_error_last());
    t0 = bench_now();
    if (rill_run(p, &o, NULL) < 0)
        bench_die("stream: %s", rill_error_last());
    t0 = bench_now() - t0;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.6f %ld %zu\n", t0, ru.ru_maxrss, c.bytes);
    rill_pipeline_free(p);
    return 0;
}

/* The same bytes generated and copied three times in a plain loop. */
static double plain_loop(void)
{
    char *a = malloc(RECORD * PER_BATCH), *b = malloc(RECORD * PER_BATCH);
    volatile char sink = 0;
    double t0 = bench_now();
    int n, i;
    if (a == NULL || b == NULL)
        bench_die("out of memory");
    for (n = 0; n < BATCHES; n++) {
        for (i = 0; i < PER_BATCH; i++)
            memcpy(a + (size_t)i * RECORD, pattern, RECORD);
        memcpy(b, a, RECORD * PER_BATCH);
        memcpy(a, b, RECORD * PER_BATCH);
        memcpy(b, a, RECORD * PER_BATCH);
        sink ^= b[n % (RECORD * PER_BATCH)];
    }
    t0 = bench_now() - t0;
    (void)sink; /* read: clang counts a volatile only set as unused */
    free(a);
    free(b);
    return t0;
}

void bench_stream(bench_ctx *c)
{
    double t[3], rss[3], base[3], gb = (double)RECORD * PER_BATCH * BATCHES / 1e9;
    char cmd[4096], note[160];
    int rep;
    memset(pattern, 'r', sizeof(pattern));
    snprintf(cmd, sizeof(cmd), "'%s' --stream-child", c->self);
    for (rep = 0; rep < 3; rep++) {
        FILE *f = popen(cmd, "r");
        double secs = 0;
        long kb = 0;
        size_t bytes = 0;
        if (f == NULL || fscanf(f, "%lf %ld %zu", &secs, &kb, &bytes) != 3 || pclose(f) != 0)
            bench_die("stream: the child run failed");
        if (bytes != (size_t)RECORD * PER_BATCH * BATCHES)
            bench_die("stream: %zu bytes came out, not %d batches", bytes, BATCHES);
        t[rep] = secs;
        rss[rep] = (double)kb / 1024.0;
        base[rep] = plain_loop();
    }
    snprintf(note, sizeof(note), "peak RSS, 5,000 x 1 MB through 3 tasks, 2 workers; "
                                 "target < 64 MB");
    bench_add(c, "stream_rss", bench_median(rss, 3), "MB", 64, bench_median(rss, 3) / 64, note);
    bench_add(c, "stream_throughput", gb / bench_median(t, 3), "GB/s", gb / bench_median(base, 3),
              bench_median(base, 3) / bench_median(t, 3),
              "copy-through tasks, 2 workers, vs a plain 1-thread loop; target >= 1 GB/s");
}

int bench_stream_child(void)
{
    return child();
}
