/* keytable.h — an open-addressing hash table from key bytes to a fixed-size
 * accumulator, the per-worker partial table of keyed combine. A slot holds
 * a 32-bit tag of the hash, the key's length, the key itself when it has at
 * most 16 bytes (else its first 8 and where the rest is) and the
 * accumulator, so a lookup of a short key touches one cache line. The probe
 * is inline here (it runs once per keyed record), and so is the hash (a
 * mix of the key's two words when it is short); growing and inserting are in
 * keytable.c. */
#ifndef RILL_CORE_KEYTABLE_H
#define RILL_CORE_KEYTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../record/batch.h"

#define RILL__KEY_INLINE 16 /* longest key kept in its slot */

typedef struct rill__slot { /* 24 bytes; the accumulator follows, 8-aligned */
    uint32_t tag;  /* the hash's upper 32 bits */
    uint32_t len1; /* key length + 1; 0: an empty slot */
    uint64_t k0;   /* key bytes 0..7, zero-padded */
    uint64_t k1;   /* bytes 8..15 (zero-padded); of a longer key: its
                      offset in the arena */
} rill__slot;

/* Accumulators up to this size sit in their slot; larger ones in vals, the
 * slot holding their offset (a table at most half full would otherwise
 * keep two to four of them a key). */
#define RILL__VALUE_INLINE 16

typedef struct rill__keytable {
    char *slots;       /* owned: cap slots of stride bytes, 64-aligned */
    size_t cap, n, value_size, stride;
    char *arena;       /* owned: the keys longer than RILL__KEY_INLINE */
    size_t used, acap;
    char *vals;        /* owned: accumulators over RILL__VALUE_INLINE bytes
                          (NULL when they are inline), 8-aligned */
    size_t vused, vcap;
} rill__keytable;

int rill__keytable_new(rill__keytable **out, size_t value_size);
void rill__keytable_free(rill__keytable *t);
size_t rill__keytable_count(const rill__keytable *t);
/* The accumulator of key, added (zeroed, *created set) when absent. The
 * pointer is 8-byte aligned and valid until the next upsert. NULL: no memory. */
void *rill__keytable_upsert(rill__keytable *t, const void *key, size_t len,
                            uint64_t hash, int *created);
/* Adds key (whose k0/k1 words are given) at the empty slot s (keytable.c). */
void *rill__keytable_insert(rill__keytable *t, rill__slot *s, const void *key, size_t len,
                            uint64_t hash, uint64_t k0, uint64_t k1, int *created);
/* Iterates entries: start with *pos = 0; returns 0 at the end. The key is
 * valid until the table changes; hash may be NULL (it is computed). */
int rill__keytable_next(const rill__keytable *t, size_t *pos, const void **key,
                        size_t *len, uint64_t *hash, void **value);
/* The same, with the upper 32 bits of the key's hash, which the slot keeps
 * (no hash computed): enough for the rank that owns the key
 * (rill__key_rank_of_tag in run.h). */
int rill__keytable_next_tag(const rill__keytable *t, size_t *pos, const void **key,
                            size_t *len, uint32_t *tag, void **value);

static inline rill__slot *rill__slot_at(const rill__keytable *t, size_t i)
{
    return (rill__slot *)(t->slots + i * t->stride);
}

/* The accumulator of the key in slot s. */
static inline void *rill__slot_value(const rill__keytable *t, rill__slot *s)
{
    uint64_t off;
    if (t->vals == NULL)
        return s + 1;
    memcpy(&off, s + 1, sizeof(off));
    return t->vals + off;
}

/* The first 16 bytes of key as two words, zero-padded, as a little-endian
 * load of the padded bytes would read them; each byte is read once. */
static inline void rill__key_words(const void *key, size_t len, uint64_t *k0, uint64_t *k1)
{
    const unsigned char *p = key;
    uint64_t a = 0, b = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len >= 8) {
        memcpy(&a, p, 8);
        if (len >= 16)
            memcpy(&b, p + 8, 8);
        else if (len > 8) {
            memcpy(&b, p + len - 8, 8);
            b >>= 8 * (16 - len);
        }
    } else if (len >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + len - 4, 4);
        a = lo | (uint64_t)hi << 8 * (len - 4);
    } else if (len > 0) {
        a = p[0] | (uint64_t)p[len / 2] << 8 * (len / 2) | (uint64_t)p[len - 1] << 8 * (len - 1);
    }
#else
    unsigned char pad[16] = {0};
    memcpy(pad, p, len < 16 ? len : 16);
    memcpy(&a, pad, 8);
    memcpy(&b, pad + 8, 8);
#endif
    *k0 = a;
    *k1 = b;
}

/* The hash of a key of at most 16 bytes from its words: a multiply of each
 * word (a bijection of each), then xor-shift-multiply mixing. */
static inline uint64_t rill__hash_words(uint64_t k0, uint64_t k1, size_t len)
{
    uint64_t x = (k0 ^ 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
    uint64_t y = (k1 ^ 0x94d049bb133111ebull ^ (uint64_t)len) * 0xd6e8feb86659fd93ull;
    uint64_t h = x ^ (y << 31 | y >> 33);
    h ^= h >> 32;
    h *= 0x9fb21c651e98df25ull;
    return h ^ h >> 29;
}

/* The hash of keys everywhere keyed tables are used (slots, and which rank
 * owns a key): the words' mix for short keys, XXH3 for longer ones. */
static inline uint64_t rill__hash(const void *key, size_t len)
{
    uint64_t k0, k1;
    if (len > RILL__KEY_INLINE)
        return XXH3_64bits(key, len);
    rill__key_words(key, len, &k0, &k1);
    return rill__hash_words(k0, k1, len);
}

/* Where the slot for hash would be probed first: to prefetch it. */
static inline const void *rill__keytable_home(const rill__keytable *t, uint64_t hash)
{
    return t->slots + (hash & (t->cap - 1)) * t->stride;
}

/* The accumulator of key (whose words and hash are given), added when
 * absent; keytable.c's insert is the only call out. */
static inline __attribute__((always_inline)) void *
rill__keytable_find_words(rill__keytable *t, const void *key, size_t len, uint64_t hash,
                          uint64_t k0, uint64_t k1, int *created)
{
    size_t mask = t->cap - 1, i;
    uint32_t tag = (uint32_t)(hash >> 32), len1 = (uint32_t)len + 1;
    for (i = hash & mask;; i = (i + 1) & mask) {
        rill__slot *s = rill__slot_at(t, i);
        if (s->len1 == 0)
            return rill__keytable_insert(t, s, key, len, hash, k0, k1, created);
        if (s->tag == tag && s->len1 == len1 && s->k0 == k0 &&
            (len <= RILL__KEY_INLINE ? s->k1 == k1
                                     : memcmp(t->arena + s->k1, key, len) == 0)) {
            *created = 0;
            return rill__slot_value(t, s);
        }
    }
}

static inline __attribute__((always_inline)) void *
rill__keytable_find(rill__keytable *t, const void *key, size_t len, uint64_t hash, int *created)
{
    uint64_t k0, k1;
    rill__key_words(key, len, &k0, &k1);
    return rill__keytable_find_words(t, key, len, hash, k0, k1, created);
}

/* rill__keytable_upsert with the hash computed here. */
static inline void *rill__keytable_get(rill__keytable *t, const void *key, size_t len,
                                       int *created)
{
    uint64_t k0, k1;
    rill__key_words(key, len, &k0, &k1);
    return rill__keytable_find_words(t, key, len,
                                     len > RILL__KEY_INLINE ? XXH3_64bits(key, len)
                                                            : rill__hash_words(k0, k1, len),
                                     k0, k1, created);
}

#endif
