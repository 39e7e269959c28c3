/* keytable.h — an open-addressing hash table from key bytes to a fixed-size
 * accumulator, the per-worker partial table of keyed combine. The probe is
 * inline here (it runs once per keyed record); growing and inserting are in
 * keytable.c. */
#ifndef RILL_CORE_KEYTABLE_H
#define RILL_CORE_KEYTABLE_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../record/batch.h"

typedef struct rill__slot { /* 16 bytes: four to a cache line */
    uint64_t hash;
    uint32_t off8; /* key at 8 * off8, accumulator after it, 8-aligned; 0: empty */
    uint32_t len;
} rill__slot;

typedef struct rill__keytable {
    rill__slot *slots; /* owned; a power of two of them, at most half used */
    size_t cap, n, value_size;
    char *arena;       /* owned: keys and accumulators */
    size_t used, acap;
} rill__keytable;

uint64_t rill__hash(const void *bytes, size_t len);

int rill__keytable_new(rill__keytable **out, size_t value_size);
void rill__keytable_free(rill__keytable *t);
size_t rill__keytable_count(const rill__keytable *t);
/* The accumulator of key, added (zeroed, *created set) when absent. The
 * pointer is 8-byte aligned and valid until the next upsert. NULL: no memory. */
void *rill__keytable_upsert(rill__keytable *t, const void *key, size_t len,
                            uint64_t hash, int *created);
/* Adds key at the empty slot s (keytable.c). */
void *rill__keytable_insert(rill__keytable *t, rill__slot *s, const void *key, size_t len,
                            uint64_t hash, int *created);
/* Iterates entries: start with *pos = 0; returns 0 at the end. */
int rill__keytable_next(const rill__keytable *t, size_t *pos, const void **key,
                        size_t *len, uint64_t *hash, void **value);

static inline size_t rill__slot_key(const rill__slot *s)
{
    return (size_t)s->off8 * 8;
}

static inline size_t rill__slot_value(const rill__slot *s)
{
    return (rill__slot_key(s) + s->len + 7) & ~(size_t)7;
}

/* rill__keytable_upsert with the hash computed here. */
static inline void *rill__keytable_get(rill__keytable *t, const void *key, size_t len,
                                       int *created)
{
    uint64_t hash = XXH3_64bits(key, len);
    size_t mask = t->cap - 1, i;
    for (i = hash & mask;; i = (i + 1) & mask) {
        rill__slot *s = &t->slots[i];
        if (s->off8 == 0)
            return rill__keytable_insert(t, s, key, len, hash, created);
        if (s->hash == hash && s->len == len &&
            rill__same(t->arena + rill__slot_key(s), key, len)) {
            *created = 0;
            return t->arena + rill__slot_value(s);
        }
    }
}

#endif
