/* keytable.c — open addressing with linear probing over a power-of-two
 * array of slots, at most half full. A slot is a 24-byte header (keytable.h)
 * and the accumulator after it (one over 16 bytes: its offset in vals), so
 * a key of up to 16 bytes costs one slot and one cache line; longer keys
 * live in an arena addressed by offset (so growing it never leaves a slot
 * dangling), their first 8 bytes in the slot.
 * Slots keep only the hash's upper 32 bits: growing hashes the keys again.
 * XXH3 (from the xxHash package) hashes keys longer than 16 bytes. */
#include "keytable.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef rill__slot slot;

/* Slot arrays of MAPPED_FROM bytes or more are mapped (zeroed by the
 * kernel) on a 2 MiB boundary and asked for transparent huge pages: a table
 * of a million keys is 64 MiB, 16,384 page faults and as many TLB entries
 * in 4 KiB pages, 32 in huge ones (a 2-rank shuffle of a million keys took
 * 0.21 s, now 0.13). Smaller ones, and all of them under the sanitizers
 * (which watch malloc's memory), come from malloc, cache-line aligned. */
#define HUGE_PAGE ((size_t)2 << 20)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MAPPED_FROM SIZE_MAX
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MAPPED_FROM SIZE_MAX
#endif
#endif
#ifndef MAPPED_FROM
#define MAPPED_FROM HUGE_PAGE
#endif

static size_t slots_bytes(size_t cap, size_t stride)
{
    size_t bytes = cap * stride;
    return bytes >= MAPPED_FROM ? (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
                                : (bytes + 63) & ~(size_t)63;
}

static char *slots_new(size_t cap, size_t stride)
{
    size_t bytes = slots_bytes(cap, stride), lead;
    char *s, *m;
    if (bytes < MAPPED_FROM) {
        if ((s = aligned_alloc(64, bytes)) != NULL)
            memset(s, 0, bytes);
        return s;
    }
    /* a 2 MiB-aligned start inside a larger mapping, the rest given back */
    m = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    lead = (HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE;
    if (lead)
        munmap(m, lead);
    munmap(m + lead + bytes, HUGE_PAGE - lead);
    s = m + lead;
#ifdef MADV_HUGEPAGE
    madvise(s, bytes, MADV_HUGEPAGE); /* advice: refused, the pages stay small */
#endif
    return s;
}

static void slots_free(char *s, size_t cap, size_t stride)
{
    size_t bytes = slots_bytes(cap, stride);
    if (s != NULL && bytes >= MAPPED_FROM)
        munmap(s, bytes);
    else
        free(s);
}

int rill__keytable_new(rill__keytable **out, size_t value_size)
{
    rill__keytable *t = calloc(1, sizeof(*t));
    *out = NULL;
    if (t == NULL)
        return -1;
    t->value_size = value_size;
    t->stride = sizeof(slot) + (value_size > RILL__VALUE_INLINE ? sizeof(uint64_t)
                                                                : (value_size + 7) & ~(size_t)7);
    t->cap = 64;
    t->slots = slots_new(t->cap, t->stride);
    if (value_size > RILL__VALUE_INLINE) {
        t->vcap = 64 * ((value_size + 7) & ~(size_t)7);
        t->vals = malloc(t->vcap);
    }
    if (t->slots == NULL || (value_size > RILL__VALUE_INLINE && t->vals == NULL)) {
        rill__keytable_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void rill__keytable_free(rill__keytable *t)
{
    if (t == NULL)
        return;
    slots_free(t->slots, t->cap, t->stride);
    free(t->arena);
    free(t->vals);
    free(t);
}

size_t rill__keytable_count(const rill__keytable *t)
{
    return t->n;
}

static const void *key_of(const rill__keytable *t, const slot *s)
{
    return s->len1 - 1 <= RILL__KEY_INLINE ? (const void *)&s->k0 : t->arena + s->k1;
}

/* Moves slot s to its place in ns (mask: its capacity - 1), probing from
 * home. */
static void place(const rill__keytable *t, char *ns, size_t mask, const slot *s, size_t home)
{
    size_t j;
    for (j = home; ((slot *)(ns + j * t->stride))->len1; j = (j + 1) & mask)
        ;
    memcpy(ns + j * t->stride, s, t->stride);
}

/* Moves every key into a new array of cap slots. Each key's new home is
 * prefetched AHEAD keys before it is placed, so that the misses of a table
 * larger than the caches overlap (a table of a million keys moved in a
 * third of the time). */
#define AHEAD 16

static int rehash(rill__keytable *t, size_t cap)
{
    size_t mask = cap - 1, i, held = 0, home[AHEAD];
    const slot *from[AHEAD];
    char *ns = slots_new(cap, t->stride);
    if (ns == NULL)
        return -1;
    for (i = 0; i < t->cap; i++) {
        const slot *s = rill__slot_at(t, i);
        size_t h, k = held % AHEAD;
        if (s->len1 == 0)
            continue;
        if (held >= AHEAD)
            place(t, ns, mask, from[k], home[k]);
        h = rill__hash(key_of(t, s), s->len1 - 1) & mask;
        __builtin_prefetch(ns + h * t->stride, 1);
        from[k] = s;
        home[k] = h;
        held++;
    }
    for (i = held > AHEAD ? held - AHEAD : 0; i < held; i++)
        place(t, ns, mask, from[i % AHEAD], home[i % AHEAD]);
    slots_free(t->slots, t->cap, t->stride);
    t->slots = ns;
    t->cap = cap;
    return 0;
}

void *rill__keytable_upsert(rill__keytable *t, const void *key, size_t len,
                            uint64_t hash, int *created)
{
    return rill__keytable_find(t, key, len, hash, created);
}

/* Adds key at the empty slot s, growing first when the table would be more
 * than half full. */
void *rill__keytable_insert(rill__keytable *t, slot *s, const void *key, size_t len,
                            uint64_t hash, uint64_t k0, uint64_t k1, int *created)
{
    if (len >= UINT32_MAX || (t->n + 1) * 2 > t->cap) {
        if (len >= UINT32_MAX || rehash(t, t->cap * 2) < 0)
            return NULL;
        return rill__keytable_find(t, key, len, hash, created);
    }
    if (len > RILL__KEY_INLINE) {
        if (t->used + len > t->acap) {
            size_t acap = t->acap ? t->acap : 4096;
            char *a;
            while (acap < t->used + len)
                acap *= 2;
            if ((a = realloc(t->arena, acap)) == NULL)
                return NULL;
            t->arena = a;
            t->acap = acap;
        }
        memcpy(t->arena + t->used, key, len);
        k1 = t->used;
        t->used += len;
    }
    if (t->vals != NULL) { /* the accumulator's place in vals */
        size_t need = (t->value_size + 7) & ~(size_t)7;
        uint64_t off = t->vused;
        if (t->vused + need > t->vcap) {
            size_t vcap = t->vcap;
            char *v;
            while (vcap < t->vused + need)
                vcap *= 2;
            if ((v = realloc(t->vals, vcap)) == NULL)
                return NULL;
            t->vals = v;
            t->vcap = vcap;
        }
        t->vused += need;
        memcpy(s + 1, &off, sizeof(off));
    }
    s->tag = (uint32_t)(hash >> 32);
    s->len1 = (uint32_t)len + 1;
    s->k0 = k0;
    s->k1 = k1;
    t->n++;
    memset(rill__slot_value(t, s), 0, t->value_size);
    *created = 1;
    return rill__slot_value(t, s);
}

int rill__keytable_next_tag(const rill__keytable *t, size_t *pos, const void **key,
                            size_t *len, uint32_t *tag, void **value)
{
    size_t i;
    for (i = *pos; i < t->cap; i++) {
        slot *s = rill__slot_at(t, i);
        if (s->len1 == 0)
            continue;
        *key = key_of(t, s);
        *len = s->len1 - 1;
        *tag = s->tag;
        *value = rill__slot_value(t, s);
        *pos = i + 1;
        return 1;
    }
    *pos = i;
    return 0;
}

int rill__keytable_next(const rill__keytable *t, size_t *pos, const void **key,
                        size_t *len, uint64_t *hash, void **value)
{
    uint32_t tag;
    if (!rill__keytable_next_tag(t, pos, key, len, &tag, value))
        return 0;
    if (hash) /* NULL: not wanted */
        *hash = rill__hash(*key, *len);
    return 1;
}
