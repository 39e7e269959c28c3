/* best_count.h — the strongest single-threaded hand-written word count we
 * could write, which the word count rows measure rill against
 * (bench_wordcount.c: one thread over the whole text; bench_load.c: one a
 * half, merged): the words found 64 bytes at a time with SSE2 (a bit per
 * byte, starts by bit operations, each word's bytes from one 16-byte load:
 * the technique of rill_emit_words, written again here by hand); a 32-byte
 * slot holding a tag of the hash, the length, a key of up to 15 bytes
 * itself and the count (one cache line a word); a multiply-mix hash of the
 * key's two words; each word's slot prefetched 16 words before it is
 * counted. Words of 16 bytes or more (none in the texts) take the plain
 * table. Without SSE2, the words come from the plain splitter. And the
 * same count on two threads (best_count_2: each maps and counts its half,
 * then the second table is added into the first), the hand-written program
 * wordcount_2w is set beside. Static functions: each benchmark file has
 * its own copy. */
#ifndef RILL_BENCH_BEST_COUNT_H
#define RILL_BENCH_BEST_COUNT_H

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plain_table.h"
#include "words.h"

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

/* Adds t's counts into the plain table into (for check_equal, and to
 * merge the halves of a 2-thread count). */
static void best_into_plain(const best *t, table *into)
{
    size_t i;
    for (i = 0; i < t->cap; i++) {
        const best_slot *s = &t->slots[i];
        char key[16];
        size_t len = s->len1 - 1;
        if (s->len1 == 0)
            continue;
        memcpy(key, &s->k0, 8);
        memcpy(key + 8, &s->k1, 8);
        add_word(into, key, len, XXH3_64bits(key, len), s->count);
    }
}

/* Counts text[0..len) into t, an empty table made here; longer: the plain
 * table for words of 16 bytes or more (made by the caller). */
static void best_count_text(best *t, table *longer, const char *text, size_t len)
{
    memset(t, 0, sizeof(*t));
    t->longer = longer;
    best_grow(t);
    best_words(t, (const unsigned char *)text, len);
    for (; t->held; t->held--, t->at = (t->at + 1) & 15)
        best_count(t, &t->ring[t->at]);
}


/* Adds slot o (a key and its count, of another table) into t. */
static void best_add(best *t, const best_slot *o)
{
    size_t j = best_hash(o->k0, o->k1, o->len1 - 1) & (t->cap - 1);
    for (;; j = (j + 1) & (t->cap - 1)) {
        best_slot *s = &t->slots[j];
        if (s->len1 == 0) {
            *s = *o;
            if (++t->n * 2 > t->cap)
                best_grow(t);
            return;
        }
        if (s->tag == o->tag && s->len1 == o->len1 && s->k0 == o->k0 && s->k1 == o->k1) {
            s->count += o->count;
            return;
        }
    }
}

/* A half of the file for one thread: [off, off + len). */
typedef struct best_half {
    pthread_t thread;
    const char *path;
    off_t off;
    size_t len;
    best t;
    table longer;
} best_half;

static void *best_half_main(void *arg)
{
    best_half *h = arg;
    size_t skip = (size_t)h->off & 4095; /* a mapping starts on a page */
    int fd = open(h->path, O_RDONLY);
    char *m;
    if (fd < 0)
        bench_die("cannot open %s", h->path);
    m = mmap(NULL, h->len + skip, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, h->off - (off_t)skip);
    close(fd);
    if (m == MAP_FAILED)
        bench_die("cannot map %s", h->path);
    grow(&h->longer);
    best_count_text(&h->t, &h->longer, m + skip, h->len);
    munmap(m, h->len + skip);
    return NULL;
}

/* Counts the file at path on two threads into t and longer (made here,
 * as best_count_text makes them): each thread maps and counts its half,
 * cut after a word; then the second half's tables are added into the
 * first's, as a hand-written program would merge them. */
static inline void best_count_2(best *t, table *longer, const char *path)
{
    best_half h[2];
    struct stat st;
    size_t mid, i, k;
    int fd = open(path, O_RDONLY);
    char c;
    if (fd < 0 || fstat(fd, &st) < 0)
        bench_die("cannot open %s", path);
    for (mid = (size_t)st.st_size / 2; pread(fd, &c, 1, (off_t)mid) == 1 && words_letter((unsigned char)c);)
        mid++;
    close(fd);
    memset(h, 0, sizeof(h));
    h[0].path = h[1].path = path;
    h[0].len = mid;
    h[1].off = (off_t)mid;
    h[1].len = (size_t)st.st_size - mid;
    for (i = 0; i < 2; i++)
        if (pthread_create(&h[i].thread, NULL, best_half_main, &h[i]) != 0)
            bench_die("cannot start a thread");
    for (i = 0; i < 2; i++)
        pthread_join(h[i].thread, NULL);
    *t = h[0].t;
    *longer = h[0].longer;
    t->longer = longer;
    for (k = 0; k < h[1].t.cap; k++)
        if (h[1].t.slots[k].len1)
            best_add(t, &h[1].t.slots[k]);
    for (k = 0; k < h[1].longer.cap; k++) {
        const entry *e = &h[1].longer.slots[k];
        if (e->len)
            add_word(longer, h[1].longer.keys + e->off, e->len, e->hash, e->count);
    }
    free(h[1].t.slots);
    free(h[1].longer.slots);
    free(h[1].longer.keys);
}

#endif
