/* plain_table.h — the plain hand-written word count's table, shared by the
 * benchmarks that compare rill with it (bench_wordcount.c, bench_load.c):
 * open addressing over slots of a 64-bit XXH3 hash, an offset into an arena
 * of keys and the count; and the check that a pipeline's counts equal a
 * table's, word for word. Static functions: each benchmark file has its
 * own copy. */
#ifndef RILL_BENCH_PLAIN_TABLE_H
#define RILL_BENCH_PLAIN_TABLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <rill.h>

#include "bench.h"

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

static void add_word(table *t, const char *w, size_t len, uint64_t h, int64_t n)
{
    size_t j;
    for (j = h & (t->cap - 1); t->slots[j].len; j = (j + 1) & (t->cap - 1)) {
        entry *e = &t->slots[j];
        if (e->hash == h && e->len == len && memcmp(t->keys + e->off, w, len) == 0) {
            e->count += n;
            return;
        }
    }
    if (t->used + len > t->kcap) {
        t->kcap = t->kcap ? t->kcap * 2 : 1 << 20;
        if ((t->keys = realloc(t->keys, t->kcap)) == NULL)
            bench_die("out of memory");
    }
    memcpy(t->keys + t->used, w, len);
    t->slots[j] = (entry){h, (uint32_t)t->used, (uint32_t)len, n};
    t->used += len;
    if (++t->n * 2 > t->cap)
        grow(t);
}

static int count_word(const char *w, size_t len, void *arg)
{
    add_word(arg, w, len, XXH3_64bits(w, len), 1);
    return 0;
}

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
    pair *a, *b;
    if (n != t->n)
        bench_die("pipeline found %zu words, hand-written %zu", n, t->n);
    if ((a = calloc(n + 1, sizeof(*a))) == NULL || (b = calloc(n + 1, sizeof(*b))) == NULL)
        bench_die("out of memory");
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
            bench_die("outputs differ at '%.*s'", (int)a[i].len, a[i].word);
    free(a);
    free(b);
}

#endif
