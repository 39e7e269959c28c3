/* bench_wordcount.c — word count of a generated 200 MB Zipf text (50,000
 * words, fixed seed) by the rill pipeline (the splittable source of blocks
 * of lines, a job splitting them into words, the built-in int64 sum) on 1
 * and 2 workers, against two hand-written single-threaded counts with the
 * same definition of a word, whose outputs must equal the pipeline's: the
 * strongest we could write (best_count.h) and the plain one the earlier
 * rows used (mmap, the byte-at-a-time splitter, an open-addressing table of
 * hashes and arena offsets, XXH3: plain_table.h). And the 2 workers against
 * the strongest count on 2 threads (best_count_2), whose output must equal
 * theirs: rill against hand-written C on the same cores, and what two cores
 * give the hand-written count over one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <rill.h>

#include "bench.h"
#include "best_count.h"
#include "plain_table.h"
#include "words.h"

#define MB 200
#define VOCAB 50000
#define SEED 42

/* Counts the words of the file at path into t (an empty table made here),
 * mapping it whole (MAP_POPULATE: its pages at once, not a fault each), as
 * a program would: the mapping is part of the count, as rill's reads are. */
static void best_run(best *t, table *longer, const char *path)
{
    size_t len;
    char *text = bench_map_file(path, &len, MAP_POPULATE);
    best_count_text(t, longer, text, len);
    munmap(text, len);
}

/* ---- the benchmark ---- */

const char *bench_wordcount_input(bench_ctx *c)
{
    static char path[4096];
    char cmd[8192];
    struct stat st;
    snprintf(path, sizeof(path), "%s/zipf-%dmb-%d-%d.txt", c->dir, MB, VOCAB, SEED);
    if (stat(path, &st) == 0 && st.st_size >= (off_t)MB << 20)
        return path;
    snprintf(cmd, sizeof(cmd), "'%s' '%s' %d %d %d", c->gentext, path, MB, VOCAB, SEED);
    printf("generating %s\n", path);
    if (system(cmd) != 0)
        bench_die("cannot generate %s", path);
    return path;
}

int bench_wordcount_stages(rill_pipeline *p, rill_batch *work)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    int rc;
    if ((rc = rill_work(p, work)) < 0 || (rc = rill_read_blocks(p, "text", 0)) < 0 ||
        (rc = rill_job(p, "split", NULL, words_split, NULL)) < 0 ||
        (rc = rill_combine(p, "count", &sum, NULL)) < 0)
        return rc;
    return 0;
}

static double run_pipeline(rill_pipeline *p, int workers, rill_batch **res)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    double t0 = bench_now();
    o.workers = workers;
    if (rill_run(p, &o, res) < 0)
        bench_die("wordcount: %s", rill_error_last());
    return bench_now() - t0;
}

void bench_wordcount(bench_ctx *c)
{
    const char *path = bench_wordcount_input(c);
    double tb[BENCH_REPS], tbest[BENCH_REPS], tbest2[BENCH_REPS], t1[BENCH_REPS],
        t2[BENCH_REPS], mb, plain, strong, strong2, r1, r2;
    rill_pipeline *p;
    rill_batch *work;
    size_t len;
    char *text = bench_map_file(path, &len, 0);
    int rep;
    mb = (double)len / (1 << 20);
    if (rill_batch_new(&work) < 0 || rill_batch_add_text(work, path) < 0 ||
        rill_pipeline_new(&p) < 0 || bench_wordcount_stages(p, work) < 0)
        bench_die("%s", rill_error_last());
    for (rep = 0; rep < BENCH_REPS; rep++) {
        table t = {0}, longer = {0}, as_plain = {0}, longer2 = {0};
        best b, b2;
        rill_batch *res1, *res2;
        double t0 = bench_now();
        grow(&t);
        WORDS_FOREACH(text, len, count_word, &t);
        tb[rep] = bench_now() - t0;
        grow(&longer);
        t0 = bench_now();
        best_run(&b, &longer, path);
        tbest[rep] = bench_now() - t0;
        t0 = bench_now();
        best_count_2(&b2, &longer2, path);
        tbest2[rep] = bench_now() - t0;
        t1[rep] = run_pipeline(p, 1, &res1);
        t2[rep] = run_pipeline(p, 2, &res2);
        if (rep == 0) {
            check_equal(&t, res1);
            check_equal(&t, res2);
            as_plain = longer; /* the keys over 16 bytes, then the others */
            longer = (table){0};
            best_into_plain(&b, &as_plain);
            check_equal(&as_plain, res1);
            best_into_plain(&b2, &longer2); /* the 2-thread count's, likewise */
            check_equal(&longer2, res2);
        }
        rill_batch_free(res1);
        rill_batch_free(res2);
        free(t.slots);
        free(t.keys);
        free(longer.slots);
        free(longer.keys);
        free(as_plain.slots);
        free(as_plain.keys);
        free(b.slots);
        free(b2.slots);
        free(longer2.slots);
        free(longer2.keys);
    }
    plain = mb / bench_median(tb, BENCH_REPS);
    strong = mb / bench_median(tbest, BENCH_REPS);
    strong2 = mb / bench_median(tbest2, BENCH_REPS);
    r1 = mb / bench_median(t1, BENCH_REPS);
    r2 = mb / bench_median(t2, BENCH_REPS);
    bench_add(c, "wordcount_1w", r1, "MB/s", strong, r1 / strong,
              "200 MB Zipf text, 1 worker vs the strongest hand-written count; target >= 1.0");
    bench_add(c, "wordcount_2w", r2, "MB/s", strong, r2 / strong,
              "200 MB Zipf text, 2 workers vs the strongest hand-written count; target >= 1.9");
    bench_add(c, "wordcount_2w_hand2", r2, "MB/s", strong2, r2 / strong2,
              "2 workers vs the strongest hand-written count on 2 threads; like for like, >= 1.0");
    bench_add(c, "wordcount_hand_2t", strong2, "MB/s", strong, strong2 / strong,
              "the strongest hand-written count, 2 threads vs 1: what 2 cores give C here");
    bench_add(c, "wordcount_1w_plain", r1, "MB/s", plain, r1 / plain,
              "1 worker vs the plain hand-written count (the earlier baseline); was >= 0.8");
    bench_add(c, "wordcount_2w_plain", r2, "MB/s", plain, r2 / plain,
              "2 workers vs the plain hand-written count (the earlier baseline); was >= 1.5");
    rill_pipeline_free(p);
    munmap(text, len);
}
