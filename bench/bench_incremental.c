/* bench_incremental.c — incremental compiles (rill/compile.h): 10,000
 * documents of about 300 bytes in an input catalog, compiled (direct, a
 * document's statistics) on 2 workers, in full (Reprocess) and then
 * incrementally after 1% of them changed (100 documents put anew), five
 * times interleaved, in one catalog file on the bench folder's disk.
 * Rows: incremental_speedup (the incremental run's time / the full run's,
 * target <= 0.03), incremental_per_change (µs of the incremental run per
 * changed document, against a full run's µs per document) and
 * incremental_commit_per_change (µs of the incremental run's commit per
 * changed document, from rill_compile_report.commit_ms, against the whole
 * incremental run's: the ratio is the commit's share). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rill.h>

#include "bench.h"

#define DOCS 10000
#define CHANGED (DOCS / 100)

static int one_key(rill_compile_out *out, int input, const void *key, size_t len, void *payload)
{
    (void)input, (void)payload;
    return rill_compile_key(out, key, len);
}

/* lines, words and bytes of the document, as text */
static int stats(rill_compile_out *out, const void *key, size_t key_len,
                 const rill_compile_part *in, size_t n, void *payload)
{
    const char *p;
    size_t i, words = 0, lines = 0;
    char buf[96];
    int len, inword = 0;
    (void)key, (void)key_len, (void)payload;
    if (n != 1)
        return -1;
    for (p = in[0].data, i = 0; i < in[0].len; i++) {
        int space = p[i] == ' ' || p[i] == '\n';
        words += !space && !inword;
        inword = !space;
        lines += p[i] == '\n';
    }
    len = snprintf(buf, sizeof(buf), "%zu %zu %zu", lines, words, in[0].len);
    return rill_compile_set(out, buf, (size_t)len);
}

static unsigned long long seed = 88172645463325252ull;

static unsigned rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)seed;
}

/* Puts documents [from, to) with fresh content. */
static void put_docs(rill_catalog *docs, int from, int to, int step)
{
    rill_catalog_txn *t;
    char key[32], text[512];
    int d;
    if (rill_catalog_begin(&t, docs) < 0)
        bench_die("incremental: %s", rill_error_last());
    for (d = from; d < to; d += step) {
        size_t len = 0;
        int w;
        snprintf(key, sizeof(key), "doc%05d", d);
        for (w = 0; w < 50; w++)
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%sw%u", w % 12 ? " " : "\n",
                                    rnd() % 5000);
        if (rill_catalog_put(t, key, strlen(key), text, len) < 0)
            bench_die("incremental: %s", rill_error_last());
    }
    if (rill_catalog_commit(NULL, t, NULL) < 0)
        bench_die("incremental: %s", rill_error_last());
}

static double commit_ms; /* of the last run */

static double compile(rill_catalog *out, rill_catalog *docs, int kind, int want_incremental,
                      uint64_t want_compiled)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    rill_compile_job j = RILL_COMPILE_JOB_INIT;
    rill_compile_report r;
    rill_compile *c;
    double t0;
    o.pattern = RILL_COMPILE_DIRECT;
    o.keys = one_key;
    o.direct = stats;
    o.workers = 2;
    j.kind = kind;
    if (rill_compile_new(&c, out, &o, NULL) < 0 || rill_compile_input(c, docs, &j) < 0)
        bench_die("incremental: %s", rill_error_last());
    t0 = bench_now();
    if (rill_compile_run(&r, c) < 0)
        bench_die("incremental: %s", rill_error_last());
    t0 = bench_now() - t0;
    if (r.incremental != want_incremental || r.compiled != want_compiled)
        bench_die("incremental: a run %s, %llu compiled (%s)",
                  r.incremental ? "incremental" : "full", (unsigned long long)r.compiled,
                  r.reason);
    commit_ms = r.commit_ms;
    rill_compile_free(c);
    return t0;
}

void bench_incremental(bench_ctx *c)
{
    rill_catalog_options co = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *docs, *out;
    double full[BENCH_REPS], inc[BENCH_REPS], commits[BENCH_REPS], tf, ti;
    char path[1024], cmd[4400];
    int rep;
    snprintf(path, sizeof(path), "%s/incremental.db", c->dir);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s-wal' '%s-shm' '%s-blobs'", path, path, path,
             path);
    if (system(cmd) != 0)
        bench_die("incremental: cannot clear %s", path);
    co.path = path;
    co.create = 1;
    if (rill_catalog_open(&docs, "docs", &co) < 0 || rill_catalog_open(&out, "stats", &co) < 0)
        bench_die("incremental: %s", rill_error_last());
    put_docs(docs, 0, DOCS, 1);
    for (rep = 0; rep < BENCH_REPS; rep++) {
        full[rep] = compile(out, docs, RILL_JOB_REPROCESS, 0, DOCS);
        put_docs(docs, rep, DOCS, DOCS / CHANGED); /* 1%, other ones each time */
        inc[rep] = compile(out, docs, RILL_JOB_DERIVED, 1, CHANGED);
        commits[rep] = commit_ms;
    }
    rill_catalog_free(docs);
    rill_catalog_free(out);
    system(cmd);
    tf = bench_median(full, BENCH_REPS);
    ti = bench_median(inc, BENCH_REPS);
    bench_add(c, "incremental_speedup", ti, "s", tf, ti / tf,
              "10,000 documents, 1% changed: incremental / full (target <= 0.03)");
    bench_add(c, "incremental_per_change", ti / CHANGED * 1e6, "us", tf / DOCS * 1e6,
              (ti / CHANGED) / (tf / DOCS),
              "an incremental run's µs per changed document vs a full run's per document");
    bench_add(c, "incremental_commit_per_change", bench_median(commits, BENCH_REPS) * 1e3 / CHANGED,
              "us", ti / CHANGED * 1e6, bench_median(commits, BENCH_REPS) * 1e-3 / ti,
              "the incremental commit's µs per changed document (one synced transaction) vs "
              "the whole incremental run's: the commit's share");
}
