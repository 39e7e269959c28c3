/* bench_wordcount.c — word count of a generated 200 MB Zipf text (50,000
 * words, fixed seed) by the rill pipeline (the splittable source of blocks
 * of lines, a job splitting them into words, the built-in int64 sum) on 1
 * and 2 workers, against two hand-written single-threaded counts with the
 * same word splitter, whose outputs must equal the pipeline's: the
 * strongest we could write (below) and the plain one the earlier rows used
 * (mmap + open-addressing table of hashes and arena offsets, XXH3). */
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
#include "plain_table.h"
#include "words.h"

#define MB 200
#define VOCAB 50000
#define SEED 42

/* ---- the strongest baseline ----
 * What the best single-threaded count we could write does: the file mapped
 * whole with MAP_POPULATE; the words found 64 bytes at a time with SSE2 (a
 * bit per byte, starts by bit operations, each word's bytes from one 16-byte
 * load: the technique of rill_emit_words, written again here by hand); a
 * 32-byte slot holding a tag of the hash, the length, a key of up to 16
 * bytes itself and the count (one cache line a word); a multiply-mix hash
 * of the key's two words; each word's slot prefetched 16 words before it is
 * counted. Keys of 16 bytes or more (none in this text) take the plain
 * table. Without SSE2, the words come from the plain splitter. */
typedef struct best_slot {
    uint32_t tag, len1; /* len1: length + 1; 0: empty */
    uint64_t k0, k1;    /* the key, zero-padded */
    int64_t count;
} best_slot;

typedef struct best_word {
    uint64_t k0, k1, hash;
    size_t len;
} best_word;

typedef struct best {
    best_slot *slots;
    size_t cap, n;
    best_word ring[16];
    unsigned at, held;
    table *longer; /* keys over 16 bytes */
} best;

static uint64_t best_hash(uint64_t k0, uint64_t k1, size_t len)
{
    uint64_t x = (k0 ^ 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
    uint64_t y = (k1 ^ 0x94d049bb133111ebull ^ (uint64_t)len) * 0xd6e8feb86659fd93ull;
    uint64_t h = x ^ (y << 31 | y >> 33);
    h ^= h >> 32;
    h *= 0x9fb21c651e98df25ull;
    return h ^ h >> 29;
}

static void best_grow(best *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1 << 16, i;
    best_slot *s = aligned_alloc(64, cap * sizeof(*s));
    if (s == NULL)
        bench_die("out of memory");
    memset(s, 0, cap * sizeof(*s));
    for (i = 0; i < t->cap; i++) {
        best_slot *o = &t->slots[i];
        size_t j;
        if (o->len1 == 0)
            continue;
        for (j = best_hash(o->k0, o->k1, o->len1 - 1) & (cap - 1); s[j].len1; j = (j + 1) & (cap - 1))
            ;
        s[j] = *o;
    }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
}

static inline void best_count(best *t, const best_word *w)
{
    uint32_t tag = (uint32_t)(w->hash >> 32), len1 = (uint32_t)w->len + 1;
    size_t j;
    for (j = w->hash & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
        best_slot *s = &t->slots[j];
        if (s->len1 == 0) {
            *s = (best_slot){tag, len1, w->k0, w->k1, 1};
            if (++t->n * 2 > t->cap)
                best_grow(t);
            return;
        }
        if (s->tag == tag && s->len1 == len1 && s->k0 == w->k0 && s->k1 == w->k1) {
            s->count++;
            return;
        }
    }
}

static inline void best_push(best *t, uint64_t k0, uint64_t k1, size_t len)
{
    best_word *b;
    if (t->held == 16) {
        best_count(t, &t->ring[t->at]);
        t->at = (t->at + 1) & 15;
        t->held--;
    }
    b = &t->ring[(t->at + t->held++) & 15];
    b->k0 = k0;
    b->k1 = k1;
    b->len = len;
    b->hash = best_hash(k0, k1, len);
    __builtin_prefetch(&t->slots[b->hash & (t->cap - 1)], 1);
}

#if defined(__SSE2__)
#include <emmintrin.h>

static inline unsigned best_letters(__m128i v) /* (c | 0x20) in a..z */
{
    __m128i x = _mm_add_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8(0x1f));
    return (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x, _mm_set1_epi8(-102)));
}

static void best_words(best *t, const unsigned char *text, size_t len)
{
    static const unsigned char ones[32] = {255, 255, 255, 255, 255, 255, 255, 255,
                                           255, 255, 255, 255, 255, 255, 255, 255};
    unsigned char pad[80];
    uint64_t carry = 0;
    size_t i;
    for (i = 0; i < len; i += 64) {
        const unsigned char *q = text + i;
        uint64_t m, starts;
        int k;
        if (len - i < sizeof(pad)) {
            memset(pad, ' ', sizeof(pad));
            memcpy(pad, q, len - i);
            q = pad;
        }
        for (m = 0, k = 0; k < 4; k++)
            m |= (uint64_t)best_letters(_mm_loadu_si128((const __m128i *)(q + 16 * k))) << 16 * k;
        starts = m & ~(m << 1 | carry);
        carry = m >> 63;
        while (starts) {
            unsigned s = (unsigned)__builtin_ctzll(starts);
            __m128i v = _mm_loadu_si128((const __m128i *)(q + s));
            unsigned n = (unsigned)__builtin_ctz(~best_letters(v));
            starts &= starts - 1;
            if (n == 16) { /* 16 letters or more */
                const unsigned char *w = text + i + s, *e = w;
                char low[4096];
                while (e < text + len && words_letter(*e) && e - w < (long)sizeof(low))
                    low[e - w] = (char)words_letter(*e), e++;
                count_word(low, (size_t)(e - w), t->longer);
                continue;
            }
            v = _mm_and_si128(_mm_or_si128(v, _mm_set1_epi8(0x20)),
                              _mm_loadu_si128((const __m128i *)(ones + 16 - n)));
            best_push(t, (uint64_t)_mm_cvtsi128_si64(v),
                      (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)), n);
        }
    }
}
#else
static int best_word_in(const char *w, size_t len, void *arg)
{
    best *t = arg;
    uint64_t k[2] = {0, 0};
    if (len >= 16)
        return count_word(w, len, t->longer);
    memcpy(k, w, len);
    best_push(t, k[0], k[1], len);
    return 0;
}

static void best_words(best *t, const unsigned char *text, size_t len)
{
    WORDS_FOREACH(text, len, best_word_in, t);
}
#endif

/* Counts the words of the file at path into t (an empty table made here),
 * mapping it whole (MAP_POPULATE: its pages at once, not a fault each), as
 * a program would: the mapping is part of the count, as rill's reads are. */
static void best_run(best *t, table *longer, const char *path)
{
    struct stat st;
    char *text;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0)
        bench_die("cannot open %s", path);
    text = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (text == MAP_FAILED)
        bench_die("cannot map %s", path);
    memset(t, 0, sizeof(*t));
    t->longer = longer;
    best_grow(t);
    best_words(t, (const unsigned char *)text, (size_t)st.st_size);
    for (; t->held; t->held--, t->at = (t->at + 1) & 15)
        best_count(t, &t->ring[t->at]);
    munmap(text, (size_t)st.st_size);
}

/* The table in the plain table's form, for check_equal. */
static void best_to_plain(const best *t, table *into)
{
    size_t i;
    for (i = 0; i < t->cap; i++) {
        const best_slot *s = &t->slots[i];
        char key[16];
        size_t j, len = s->len1 - 1;
        if (s->len1 == 0)
            continue;
        memcpy(key, &s->k0, 8);
        memcpy(key + 8, &s->k1, 8);
        count_word(key, len, into); /* adds it with a count of 1 */
        for (j = XXH3_64bits(key, len) & (into->cap - 1);; j = (j + 1) & (into->cap - 1))
            if (into->slots[j].len == len && memcmp(into->keys + into->slots[j].off, key, len) == 0)
                break;
        into->slots[j].count = s->count;
    }
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
    double tb[BENCH_REPS], tbest[BENCH_REPS], t1[BENCH_REPS], t2[BENCH_REPS], mb, plain,
        strong, r1, r2;
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
        rill_read_blocks(p, "text", 0) < 0 ||
        rill_job(p, "split", NULL, words_split, NULL) < 0 ||
        rill_combine(p, "count", &sum, NULL) < 0)
        bench_die("%s", rill_error_last());
    for (rep = 0; rep < BENCH_REPS; rep++) {
        table t = {0}, longer = {0}, as_plain = {0};
        best b;
        rill_batch *res1, *res2;
        double t0 = bench_now();
        grow(&t);
        WORDS_FOREACH(text, (size_t)st.st_size, count_word, &t);
        tb[rep] = bench_now() - t0;
        grow(&longer);
        t0 = bench_now();
        best_run(&b, &longer, path);
        tbest[rep] = bench_now() - t0;
        t1[rep] = run_pipeline(p, 1, &res1);
        t2[rep] = run_pipeline(p, 2, &res2);
        if (rep == 0) {
            check_equal(&t, res1);
            check_equal(&t, res2);
            as_plain = longer; /* the keys over 16 bytes, then the others */
            longer = (table){0};
            best_to_plain(&b, &as_plain);
            check_equal(&as_plain, res1);
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
    }
    plain = mb / bench_median(tb, BENCH_REPS);
    strong = mb / bench_median(tbest, BENCH_REPS);
    r1 = mb / bench_median(t1, BENCH_REPS);
    r2 = mb / bench_median(t2, BENCH_REPS);
    bench_add(c, "wordcount_1w", r1, "MB/s", strong, r1 / strong,
              "200 MB Zipf text, 1 worker vs the strongest hand-written count; target >= 1.0");
    bench_add(c, "wordcount_2w", r2, "MB/s", strong, r2 / strong,
              "200 MB Zipf text, 2 workers vs the strongest hand-written count; target >= 1.9");
    bench_add(c, "wordcount_1w_plain", r1, "MB/s", plain, r1 / plain,
              "1 worker vs the plain hand-written count (the earlier baseline); was >= 0.8");
    bench_add(c, "wordcount_2w_plain", r2, "MB/s", plain, r2 / plain,
              "2 workers vs the plain hand-written count (the earlier baseline); was >= 1.5");
    rill_pipeline_free(p);
    munmap(text, (size_t)st.st_size);
}
