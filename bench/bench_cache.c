/* bench_cache.c — the source cache (rill/cache.h) on 100-byte events:
 *   cache_record   events/s (and MB/s) a recorder thread writes into zstd
 *                  segments and the SQLite index, against writing the same
 *                  bytes as lines to a plain file (fwrite, one fsync);
 *   cache_replay   events/s (and MB/s) a run replays from a complete cache,
 *                  against a run reading the same bytes as lines from a
 *                  plain file (rill_read_lines);
 *   cache_recorder_cost  what a recorder costs a main run beside it: the
 *                  extra seconds of a CPU-bound run (1 worker) while a
 *                  recorder records an endless source, per event recorded.
 * Each pair is measured in turn, BENCH_REPS times; medians. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rill.h>

#include "bench.h"

#define EVENTS 400000
#define EV_BYTES 100

static int events_gen(rill_batch *out, void *payload)
{
    unsigned long long *n = payload;
    char ev[EV_BYTES];
    int i;
    for (i = 0; i < 1024; i++, (*n)++) {
        memset(ev, 'a' + (int)(*n % 26), sizeof(ev));
        snprintf(ev, sizeof(ev), "%llu", *n); /* a NUL inside, as in binary data */
        if (rill_batch_add(out, ev, sizeof(ev)) < 0)
            return -1;
    }
    return 1;
}

static int count_job(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)out, (void)in, (void)payload;
    return 0;
}

static rill_pipeline *gen_pipeline(unsigned long long *n)
{
    rill_pipeline *p = NULL;
    if (rill_pipeline_new(&p) < 0 || rill_generator(p, events_gen, n) < 0 ||
        rill_job(p, "count", NULL, count_job, NULL) < 0)
        bench_die("%s", rill_error_last());
    return p;
}

static void clear(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        bench_die("cannot clear %s", dir);
}

/* Records EVENTS events into a fresh cache at dir; seconds. p keeps the cache
 * (replayable) until freed. */
static double record(const char *dir, rill_cache **cout, rill_pipeline **pout,
                     unsigned long long *n)
{
    rill_cache_options o = RILL_CACHE_OPTIONS_INIT;
    rill_cache_info info;
    double t0;
    clear(dir);
    if (rill_cache_open(cout, dir) < 0)
        bench_die("%s", rill_error_last());
    *pout = gen_pipeline(n);
    o.max_events = EVENTS;
    o.max_ms = -1;
    t0 = bench_now();
    if (rill_cache_attempt_to_run(*cout, *pout, &o) != 1 || rill_cache_wait(*cout, *pout) < 0)
        bench_die("cache_record: %s", rill_error_last());
    t0 = bench_now() - t0;
    if (rill_cache_info_get(*cout, *pout, &info) < 0 || info.events != EVENTS)
        bench_die("cache_record: %lld events recorded", (long long)info.events);
    return t0;
}

static double write_plain(const char *path)
{
    char ev[EV_BYTES];
    unsigned long long n;
    double t0 = bench_now();
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        bench_die("cannot write %s", path);
    for (n = 0; n < EVENTS; n++) {
        memset(ev, 'a' + (int)(n % 26), sizeof(ev) - 1);
        ev[sizeof(ev) - 1] = '\n';
        fwrite(ev, 1, sizeof(ev), f);
    }
    fflush(f);
    fsync(fileno(f));
    fclose(f);
    return bench_now() - t0;
}

static double run_counted(rill_pipeline *p, const char *what)
{
    rill_run_options ro = RILL_RUN_OPTIONS_INIT;
    double t0 = bench_now();
    ro.workers = 1;
    if (rill_run(p, &ro, NULL) < 0)
        bench_die("%s: %s", what, rill_error_last());
    return bench_now() - t0;
}

static double read_plain(const char *path)
{
    rill_pipeline *p = NULL;
    rill_batch *work;
    double t;
    if (rill_batch_new(&work) < 0 || rill_batch_add_text(work, path) < 0 ||
        rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_read_lines(p, "lines", 0) < 0 || rill_job(p, "count", NULL, count_job, NULL) < 0)
        bench_die("%s", rill_error_last());
    t = run_counted(p, "plain file");
    rill_pipeline_free(p);
    return t;
}

/* The CPU-bound main run: 1 worker hashing 20,000 records. */
static double main_run(void)
{
    rill_pipeline *p = NULL;
    rill_batch *work;
    double t;
    int i;
    if (rill_batch_new(&work) < 0 || rill_pipeline_new(&p) < 0)
        bench_die("%s", rill_error_last());
    for (i = 0; i < 20000; i++)
        rill_batch_add_int64(work, i);
    if (rill_work(p, work) < 0 || rill_job(p, "hash", NULL, bench_hash_job, NULL) < 0)
        bench_die("%s", rill_error_last());
    t = run_counted(p, "main run");
    rill_pipeline_free(p);
    return t;
}

void bench_cache(bench_ctx *c)
{
    double rec[BENCH_REPS], plain_w[BENCH_REPS], rep[BENCH_REPS], plain_r[BENCH_REPS];
    double alone[BENCH_REPS], beside[BENCH_REPS], per_ev[BENCH_REPS];
    char dir[600], path[600], note[160];
    double mb = (double)EVENTS * EV_BYTES / 1e6, r, w;
    int i;
    snprintf(dir, sizeof(dir), "%s/cache-bench", c->dir);
    snprintf(path, sizeof(path), "%s/cache-bench.txt", c->dir);
    for (i = 0; i < BENCH_REPS; i++) {
        unsigned long long n = 0;
        rill_cache *cache;
        rill_pipeline *p;
        rec[i] = record(dir, &cache, &p, &n);
        plain_w[i] = write_plain(path);
        rep[i] = run_counted(p, "cache_replay");
        plain_r[i] = read_plain(path);
        rill_pipeline_free(p);
        rill_cache_free(cache);
    }
    for (i = 0; i < BENCH_REPS; i++) { /* the recorder beside a main run */
        rill_cache_options o = RILL_CACHE_OPTIONS_INIT;
        rill_cache_info info;
        unsigned long long n = 0;
        rill_cache *cache;
        rill_pipeline *p;
        alone[i] = main_run();
        clear(dir);
        if (rill_cache_open(&cache, dir) < 0)
            bench_die("%s", rill_error_last());
        p = gen_pipeline(&n);
        o.max_ms = -1;
        if (rill_cache_attempt_to_run(cache, p, &o) != 1)
            bench_die("cache_recorder_cost: %s", rill_error_last());
        beside[i] = main_run();
        rill_cache_cancel(cache, p);
        rill_cache_info_get(cache, p, &info);
        per_ev[i] = (beside[i] - alone[i]) / (double)(info.events ? info.events : 1) * 1e9;
        rill_pipeline_free(p);
        rill_cache_free(cache);
    }
    clear(dir);
    unlink(path);
    r = bench_median(rec, BENCH_REPS);
    w = bench_median(plain_w, BENCH_REPS);
    snprintf(note, sizeof(note), "%.0f events/s, %.1f MB/s; plain file %.1f MB/s", EVENTS / r,
             mb / r, mb / w);
    bench_add(c, "cache_record", mb / r, "MB/s", mb / w, (mb / r) / (mb / w), note);
    r = bench_median(rep, BENCH_REPS);
    w = bench_median(plain_r, BENCH_REPS);
    snprintf(note, sizeof(note), "%.0f events/s, %.1f MB/s; plain file read %.1f MB/s",
             EVENTS / r, mb / r, mb / w);
    bench_add(c, "cache_replay", mb / r, "MB/s", mb / w, (mb / r) / (mb / w), note);
    r = bench_median(per_ev, BENCH_REPS);
    snprintf(note, sizeof(note), "main run %.3f s alone, %.3f s beside a recorder",
             bench_median(alone, BENCH_REPS), bench_median(beside, BENCH_REPS));
    bench_add(c, "cache_recorder_cost", r, "ns/event", bench_median(alone, BENCH_REPS),
              bench_median(beside, BENCH_REPS) / bench_median(alone, BENCH_REPS), note);
}
