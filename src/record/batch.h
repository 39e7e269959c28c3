/* batch.h — the inside of a batch, shared by the record and core layers.
 *
 * A batch is one arena of bytes plus an index of records. Each index entry
 * holds offsets, never pointers, so a batch can be copied, sent or saved as
 * its two arrays. A record's key (if any) sits at off, its data right after.
 * refs counts the owners of a batch inside a run (tasks that hold a range of
 * it); a batch handed to the user has refs 1. */
#ifndef RILL_RECORD_BATCH_H
#define RILL_RECORD_BATCH_H

#include <stdatomic.h>
#include <string.h>

#include "rill/record.h"

#define RILL__NOKEY UINT32_MAX

typedef struct rill__rec {
    uint64_t off;  /* key (if any) then data start here in the arena */
    uint32_t len;  /* bytes of data */
    uint32_t klen; /* bytes of key, RILL__NOKEY when unkeyed */
} rill__rec;

struct rill_batch {
    char *arena;      /* owned */
    size_t used, cap; /* bytes in use / allocated */
    rill__rec *recs;  /* owned */
    size_t n, ncap;   /* records in use / allocated */
    atomic_int refs;  /* owners within a run; freed when it reaches 0 */
};

/* Reserves room for one record and appends its index entry. *key (when
 * key_len is not RILL__NOKEY) and *data point at where the caller writes the
 * bytes; they stay valid until the next append. */
int rill__batch_reserve(rill_batch *b, uint32_t key_len, size_t len,
                        char **key, char **data);
/* Ensures room for n more records and bytes more bytes. */
int rill__batch_grow(rill_batch *b, size_t n, size_t bytes);
/* Drops one reference; frees the batch when it was the last. */
void rill__batch_unref(rill_batch *b);

static inline void rill__batch_view(const rill_batch *b, size_t i,
                                    rill_record *out)
{
    const rill__rec *r = &b->recs[i];
    const char *p = b->arena + r->off;
    if (r->klen == RILL__NOKEY) {
        out->key = NULL;
        out->key_len = 0;
        out->data = p;
    } else {
        out->key = p;
        out->key_len = r->klen;
        out->data = p + r->klen;
    }
    out->len = r->len;
}

/* Copies n bytes with a few fixed-size moves (overlapping where n is not a
 * power of two): the short keys and values records are made of never pay
 * for a call into libc. */
static inline void rill__copy(void *dst, const void *src, size_t n)
{
    char *d = dst;
    const char *s = src;
    if (n >= 8) {
        if (n > 16) {
            memcpy(d, s, n);
            return;
        }
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/* Whether a[0..n) equals b[0..n), in the same way. */
static inline int rill__same(const void *a, const void *b, size_t n)
{
    const char *x = a, *y = b;
    if (n >= 8) {
        uint64_t p, q, r, t;
        if (n > 16)
            return memcmp(x, y, n) == 0;
        memcpy(&p, x, 8);
        memcpy(&q, y, 8);
        memcpy(&r, x + n - 8, 8);
        memcpy(&t, y + n - 8, 8);
        return ((p ^ q) | (r ^ t)) == 0;
    }
    if (n >= 4) {
        uint32_t p, q, r, t;
        memcpy(&p, x, 4);
        memcpy(&q, y, 4);
        memcpy(&r, x + n - 4, 4);
        memcpy(&t, y + n - 4, 4);
        return ((p ^ q) | (r ^ t)) == 0;
    }
    return n == 0 || (x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1]);
}

/* The fast path of reserve: room is there, no allocation. */
static inline int rill__batch_reserve_fast(rill_batch *b, uint32_t key_len,
                                           size_t len, char **key, char **data)
{
    size_t k = key_len == RILL__NOKEY ? 0 : key_len;
    if (__builtin_expect(b->n < b->ncap && len <= RILL_RECORD_MAX &&
                         b->cap - b->used >= k + len, 1)) {
        rill__rec *r = &b->recs[b->n++];
        r->off = b->used;
        r->len = (uint32_t)len;
        r->klen = key_len;
        if (key) *key = b->arena + b->used;
        *data = b->arena + b->used + k;
        b->used += k + len;
        return 0;
    }
    return rill__batch_reserve(b, key_len, len, key, data);
}

#endif
