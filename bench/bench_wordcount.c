/* bench_wordcount.c — word count of a generated 200 MB Zipf text (50,000
 * words, fixed seed) by the rill pipeline (the splittable line source, a job
 * splitting lines into words, a keyed combine) on 1 and 2 workers, against a
 * hand-written single-threaded count (mmap + open-addressing table, the
 * same word splitter and hash) whose output must equal the pipeline's. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <rill.h>

#include "bench.h"
#include "words.h"

#define MB 200
#define VOCAB 50000
#define SEED 42

/* ---- the baseline ---- */

typedef struct entry {
    uint64_t hash;
    uint32_t off, len;
    int64_t count;
} entry;

typedef struct table {
    entry *slots;
    size_t cap, n;
    char *keys;
    size_t used, kcap;
} table;

static void grow(table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1 << 16, i;
    entry *s = calloc(cap, sizeof(*s));
    if (s == NULL)
        bench_die("out of memory");
    for (i = 0; i < t->cap; i++) {
        size_t j;
        if (t->slots[i].len == 0)
            continue;
        for (j = t->slots[i].hash & (cap - 1); s[j].len; j = (j + 1) & (cap - 1))
            ;
        s[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
}

static int count_word(const char *w, size_t len, void *arg)
{
    table *t = arg;
    uint64_t h = XXH3_64bits(w, len);
    size_t j;
    for (j = h & (t->cap - 1); t->slots[j].len; j = (j + 1) & (t->cap - 1)) {
        entry *e = &t->slots[j];
        if (e->hash == h && e->len == len && memcmp(t->keys + e->off, w, len) == 0) {
            e->count++;
            return 0;
        }
    }
    if (t->used + len > t->kcap) {
        t->kcap = t->kcap ? t->kcap * 2 : 1 << 20;
        if ((t->keys = realloc(t->keys, t->kcap)) == NULL)
            bench_die("out of memory");
    }
    memcpy(t->keys + t->used, w, len);
    t->slots[j] = (entry){h, (uint32_t)t->used, (uint32_t)len, 1};
    t->used += len;
    if (++t->n * 2 > t->cap)
        grow(t);
    return 0;
}

/* ---- comparing outputs ---- */

typedef struct pair {
    const char *word;
    size_t len;
    int64_t count;
} pair;

static int by_word(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    int c = memcmp(x->word, y->word, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void check_equal(const table *t, const rill_batch *res)
{
    size_t n = rill_batch_count(res), i, k = 0;
    pair *a = calloc(n + 1, sizeof(*a)), *b = calloc(t->n + 1, sizeof(*b));
    if (a == NULL || b == NULL)
        bench_die("out of memory");
    if (n != t->n)
        bench_die("wordcount: pipeline found %zu words, baseline %zu", n, t->n);
    for (i = 0; i < n; i++) {
        rill_record r;
        rill_batch_get(&r, res, i);
        a[i].word = r.key;
        a[i].len = r.key_len;
        rill_record_int64(&a[i].count, &r);
    }
    for (i = 0; i < t->cap; i++)
        if (t->slots[i].len)
            b[k++] = (pair){t->keys + t->slots[i].off, t->slots[i].len, t->slots[i].count};
    qsort(a, n, sizeof(*a), by_word);
    qsort(b, n, sizeof(*b), by_word);
    for (i = 0; i < n; i++)
        if (by_word(&a[i], &b[i]) != 0 || a[i].count != b[i].count)
            bench_die("wordcount: outputs differ at '%.*s'", (int)a[i].len, a[i].word);
    free(a);
    free(b);
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
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    double tb[BENCH_REPS], t1[BENCH_REPS], t2[BENCH_REPS], mb, base;
    rill_pipeline *p;
    rill_batch *work;
    struct stat st;
    char *text;
    int fd, rep;
    if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
        bench_die("cannot open %s", path);
    text = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (text == MAP_FAILED)
        bench_die("cannot map %s", path);
    mb = (double)st.st_size / (1 << 20);
    if (rill_batch_new(&work) < 0 || rill_batch_add_text(work, path) < 0 ||
        rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_read_lines(p, "lines", 0) < 0 ||
        rill_job(p, "split", NULL, words_split, NULL) < 0 ||
        rill_combine(p, "count", &sum, NULL) < 0)
        bench_die("%s", rill_error_last());
    for (rep = 0; rep < BENCH_REPS; rep++) {
        table t = {0};
        rill_batch *r1, *r2;
        double t0 = bench_now();
        grow(&t);
        WORDS_FOREACH(text, (size_t)st.st_size, count_word, &t);
        tb[rep] = bench_now() - t0;
        t1[rep] = run_pipeline(p, 1, &r1);
        t2[rep] = run_pipeline(p, 2, &r2);
        if (rep == 0) {
            check_equal(&t, r1);
            check_equal(&t, r2);
        }
        rill_batch_free(r1);
        rill_batch_free(r2);
        free(t.slots);
        free(t.keys);
    }
    base = mb / bench_median(tb, BENCH_REPS);
    t1[0] = mb / bench_median(t1, BENCH_REPS);
    t2[0] = mb / bench_median(t2, BENCH_REPS);
    bench_add(c, "wordcount_1w", t1[0], "MB/s", base, t1[0] / base,
              "200 MB Zipf text, 1 worker vs hand-written; target >= 0.8");
    bench_add(c, "wordcount_2w", t2[0], "MB/s", base, t2[0] / base,
              "200 MB Zipf text, 2 workers vs hand-written; target >= 1.5");
    rill_pipeline_free(p);
    munmap(text, (size_t)st.st_size);
}
