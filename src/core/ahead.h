/* ahead.h — the word count's path into a combine: a stage whose only
 * successor is a combine with the built-in int64 sum hands each short key
 * straight to its worker's partial table (keytable.h). The key's slot is
 * prefetched when it is emitted and the key is counted at least
 * RILL__AHEAD / 2 keys later, half a ring at a time (or when the emitter
 * flushes), so that the table's cache misses overlap instead of coming one
 * after another, and the emit itself stays a short leaf call. */
#ifndef RILL_CORE_AHEAD_H
#define RILL_CORE_AHEAD_H

#include "keytable.h"
#include "run.h"

/* Counts the oldest n held-back keys into e->sum (stage_combine.c); < 0 on
 * an error (failed). */
int rill__ahead_count(rill_emitter *e, unsigned n);

/* Holds back the key whose bytes, zero-padded, are the words k0 and k1
 * (keytable.h's rill__key_words) to be counted (add to its sum); klen <=
 * RILL__KEY_INLINE. */
static inline __attribute__((always_inline)) int
rill__ahead_push_words(rill_emitter *e, uint64_t k0, uint64_t k1, size_t klen, int64_t add)
{
    rill__ahead *a;
    int rc;
    if (__builtin_expect(e->ahead_in - e->ahead_out == RILL__AHEAD, 0) &&
        (rc = rill__ahead_count(e, RILL__AHEAD / 2)) < 0)
        return rc;
    a = &e->ahead[e->ahead_in++ & (RILL__AHEAD - 1)];
    a->key[0] = k0;
    a->key[1] = k1;
    a->hash = rill__hash_words(k0, k1, klen);
    a->len = (uint32_t)klen;
    a->add = add;
    /* the sum's slots are 32 bytes: an 8-byte accumulator after the header */
    __builtin_prefetch(e->sum_slots + ((a->hash & e->sum_mask) << 5), 1);
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
