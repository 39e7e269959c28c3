/* wordcount.c — counts the words of text files on all cores and prints the
 * most frequent ones.
 *
 *     wordcount [FILE-OR-GLOB...] [--workers N] [--top N]
 *
 * Without a file it counts the sample text the build generates. The
 * splittable line source reads the files (idle workers split what is left
 * of a large one), a job splits each line into words, emitted as keys, and
 * a keyed combine sums them per word on every worker, merging the partial
 * tables at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

#include "words.h"

#ifndef RILL_SAMPLE_PATH
#define RILL_SAMPLE_PATH "data/sample.txt"
#endif

typedef struct counted {
    const char *word;
    size_t len;
    int64_t n;
} counted;

static int by_count(const void *a, const void *b)
{
    const counted *x = a, *y = b;
    int c;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    c = memcmp(x->word, y->word, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

int main(int argc, char **argv)
{
    rill_run_options opts = RILL_RUN_OPTIONS_INIT;
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p = NULL;
    rill_batch *work = NULL, *counts = NULL;
    counted *top = NULL;
    size_t i, n, ntop = 20, files = 0;
    int64_t total = 0;
    int rc, a;

    if ((rc = rill_batch_new(&work)) < 0)
        goto fail;
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--workers") == 0 && a + 1 < argc)
            opts.workers = atoi(argv[++a]);
        else if (strcmp(argv[a], "--top") == 0 && a + 1 < argc)
            ntop = (size_t)atol(argv[++a]);
        else if (argv[a][0] == '-') {
            fprintf(stderr, "usage: %s [FILE-OR-GLOB...] [--workers N] [--top N]\n", argv[0]);
            rill_batch_free(work);
            return 2;
        } else if ((rc = rill_batch_add_text(work, argv[a])) < 0 || ++files == 0)
            goto fail;
    }
    if (files == 0 && (rc = rill_batch_add_text(work, RILL_SAMPLE_PATH)) < 0)
        goto fail;

    if ((rc = rill_pipeline_new(&p)) < 0)
        goto fail;
    rc = rill_work(p, work); /* the pipeline owns the work list now */
    work = NULL;
    if (rc < 0 || (rc = rill_read_blocks(p, "text", 0)) < 0 ||
        (rc = rill_job(p, "split", NULL, words_split, NULL)) < 0 ||
        (rc = rill_combine(p, "count", &sum, NULL)) < 0 ||
        (rc = rill_run(p, &opts, &counts)) < 0)
        goto fail;

    if (rill_rank() != 0) /* under mpirun the other ranks only worked */
        goto done;
    n = rill_batch_count(counts);
    if ((top = calloc(n ? n : 1, sizeof(*top))) == NULL) {
        rc = RILL_ENOMEM;
        goto fail;
    }
    for (i = 0; i < n; i++) {
        rill_record r;
        rill_batch_get(&r, counts, i);
        top[i].word = r.key;
        top[i].len = r.key_len;
        rill_record_int64(&top[i].n, &r);
        total += top[i].n;
    }
    qsort(top, n, sizeof(*top), by_count);
    printf("%lld words, %zu distinct\n", (long long)total, n);
    for (i = 0; i < n && i < ntop; i++)
        printf("%10lld  %.*s\n", (long long)top[i].n, (int)top[i].len, top[i].word);
done:
    free(top);
    rill_batch_free(counts);
    rill_pipeline_free(p);
    return 0;
fail:
    fprintf(stderr, "wordcount: %s: %s\n", rill_strerror(rc), rill_error_last());
    rill_batch_free(work);
    rill_pipeline_free(p);
    return 1;
}
