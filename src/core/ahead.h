/* ahead.h — the word count's path into a combine: a stage whose only
 * successor is a combine with the built-in int64 sum hands each short key
 * straight to its worker's partial table (keytable.h). The key's slot is
 * prefetched when it is emitted and the key is counted RILL__AHEAD keys
 * later (the rest when the emitter flushes), so that the table's cache
 * misses overlap instead of coming one after another. All of it is inline,
 * for rill_emit_words' loop; only adding a new key is a call. */
#ifndef RILL_CORE_AHEAD_H
#define RILL_CORE_AHEAD_H

#include "keytable.h"
#include "run.h"

/* Adds the oldest held-back key, found absent, to e->sum at its empty slot
 * s, and counts it (stage_combine.c); < 0 on an error (failed). */
int rill__ahead_insert(rill_emitter *e, rill__slot *s);

/* A slot of the sum's table: the header and the 8-byte count after it. */
typedef struct rill__sum_slot {
    rill__slot h;
    int64_t acc;
} rill__sum_slot;

/* Counts the oldest held-back key into e->sum: keytable.h's probe, for
 * slots of 32 bytes, the found key first. */
static inline __attribute__((always_inline)) int rill__ahead_count_one(rill_emitter *e)
{
    const rill__ahead *a = &e->ahead[e->ahead_out & (RILL__AHEAD - 1)];
    rill__sum_slot *slots = (rill__sum_slot *)(void *)e->sum->slots; /* read each time: */
    size_t mask = e->sum->cap - 1, j; /* a longer key may have grown the table */
    uint32_t tag = (uint32_t)(a->hash >> 32), len1 = a->len + 1;
    for (j = a->hash & mask;; j = (j + 1) & mask) {
        rill__sum_slot *at = &slots[j];
        if (at->h.tag == tag && at->h.len1 == len1 && at->h.k0 == a->key[0] &&
            at->h.k1 == a->key[1]) {
            at->acc += a->add;
            e->ahead_out++;
            return 0;
        }
        if (at->h.len1 == 0)
            return rill__ahead_insert(e, &at->h);
    }
}

/* Holds back the key whose bytes, zero-padded, are the words k0 and k1
 * (keytable.h's rill__key_words) to be counted (add to its sum); klen <=
 * RILL__KEY_INLINE. */
static inline __attribute__((always_inline)) int
rill__ahead_push_words(rill_emitter *e, uint64_t k0, uint64_t k1, size_t klen, int64_t add)
{
    rill__ahead *a;
    int rc;
    if (e->ahead_in - e->ahead_out == RILL__AHEAD && (rc = rill__ahead_count_one(e)) < 0)
        return rc;
    a = &e->ahead[e->ahead_in++ & (RILL__AHEAD - 1)];
    a->key[0] = k0;
    a->key[1] = k1;
    a->hash = rill__hash_words(k0, k1, klen);
    a->len = (uint32_t)klen;
    a->add = add;
    /* the sum's slots are 32 bytes: an 8-byte accumulator after the header */
    __builtin_prefetch(e->sum->slots + ((a->hash & (e->sum->cap - 1)) << 5), 1);
    return 0;
}

/* Holds key back to be counted (add to its sum); klen <= RILL__KEY_INLINE. */
static inline __attribute__((always_inline)) int
rill__ahead_push(rill_emitter *e, const void *key, size_t klen, int64_t add)
{
    uint64_t k0, k1;
    rill__key_words(key, klen, &k0, &k1);
    return rill__ahead_push_words(e, k0, k1, klen, add);
}

#endif
