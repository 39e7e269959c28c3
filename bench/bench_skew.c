/* bench_skew.c — dynamic rebalancing: one 400 MB file and ten 1 MB files
 * counted on 2 workers, against the same bytes split evenly in advance (20
 * equal, line-aligned files). The line source is told not to cut files into
 * chunks, so only the splitting of stragglers by idle workers can balance
 * the skewed input. Row skew: skewed time / evenly split time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rill.h>

#include "bench.h"
#include "words.h"

static int sh(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        bench_die("skew: '%s' failed", cmd);
    return 0;
}

static void make_inputs(bench_ctx *c, const char *big_src, char *skewed, char *even, size_t cap)
{
    char dir[1024], cmd[16384], mark[1100];
    struct stat st;
    int i;
    snprintf(dir, sizeof(dir), "%.1000s/skew", c->dir);
    snprintf(mark, sizeof(mark), "%s/ready", dir);
    snprintf(skewed, cap, "%s/skewed/*.txt", dir);
    snprintf(even, cap, "%s/even/*.txt", dir);
    if (stat(mark, &st) == 0)
        return;
    printf("generating %s\n", dir);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s/skewed' '%s/even' && cat '%s' '%s' > "
             "'%s/skewed/big.txt'", dir, dir, dir, big_src, big_src, dir);
    sh(cmd);
    for (i = 0; i < 10; i++) {
        snprintf(cmd, sizeof(cmd), "'%.2000s' '%s/skewed/small-%d.txt' 1 20000 %d", c->gentext, dir,
                 i, 100 + i);
        sh(cmd);
    }
    snprintf(cmd, sizeof(cmd), "cat '%s'/skewed/*.txt > '%s/all' && (cd '%s/even' && split "
             "-n l/20 --additional-suffix=.txt ../all part-) && rm '%s/all' && touch '%s'", dir,
             dir, dir, dir, mark);
    sh(cmd);
}

static double run(const char *pattern, int64_t *words)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    rill_batch *work, *res;
    double t0;
    size_t i;
    o.workers = 2;
    if (rill_batch_new(&work) < 0 || rill_batch_add_text(work, pattern) < 0 ||
        rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_read_lines(p, "lines", (int64_t)1 << 40) < 0 || /* no chunks ahead */
        rill_job(p, "split", NULL, words_split, NULL) < 0 ||
        rill_combine(p, "count", &sum, NULL) < 0)
        bench_die("%s", rill_error_last());
    t0 = bench_now();
    if (rill_run(p, &o, &res) < 0)
        bench_die("skew: %s", rill_error_last());
    t0 = bench_now() - t0;
    *words = 0;
    for (i = 0; i < rill_batch_count(res); i++) {
        rill_record r;
        int64_t n;
        rill_batch_get(&r, res, i);
        rill_record_int64(&n, &r);
        *words += n;
    }
    rill_batch_free(res);
    rill_pipeline_free(p);
    return t0;
}

void bench_skew(bench_ctx *c)
{
    char big[1100], skewed[1200], even[1200];
    double ts[3], te[3];
    int64_t ws, we;
    int rep;
    snprintf(big, sizeof(big), "%.1000s/zipf-200mb-50000-42.txt", c->dir);
    bench_wordcount_input(c);
    make_inputs(c, big, skewed, even, sizeof(skewed));
    for (rep = 0; rep < 3; rep++) {
        ts[rep] = run(skewed, &ws);
        te[rep] = run(even, &we);
        if (ws != we)
            bench_die("skew: %lld words skewed, %lld evenly split", (long long)ws,
                      (long long)we);
    }
    bench_add(c, "skew", bench_median(ts, 3), "s", bench_median(te, 3),
              bench_median(ts, 3) / bench_median(te, 3),
              "400 MB + 10 x 1 MB vs 20 even files, 2 workers; target <= 1.15");
}
