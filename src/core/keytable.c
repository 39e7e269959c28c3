/* keytable.c — open addressing with linear probing over a power-of-two slot
 * array, at most half full. Keys and accumulators live in one arena addressed
 * by offsets (so growing it never leaves a slot dangling); each slot keeps
 * the full 64-bit hash, so a probe compares bytes only on a hash match.
 * XXH3 (from the xxHash package) hashes the keys. */
#include "keytable.h"

#include <stdlib.h>
#include <string.h>

typedef rill__slot slot;

uint64_t rill__hash(const void *bytes, size_t len)
{
    return XXH3_64bits(bytes, len);
}



int rill__keytable_new(rill__keytable **out, size_t value_size)
{
    rill__keytable *t = calloc(1, sizeof(*t));
    *out = NULL;
    if (t == NULL)
        return -1;
    t->cap = 64;
    t->slots = calloc(t->cap, sizeof(slot));
    t->acap = 4096;
    t->arena = malloc(t->acap);
    if (t->slots == NULL || t->arena == NULL) {
        rill__keytable_free(t);
        return -1;
    }
    t->used = 8; /* offset 0 marks an empty slot */
    t->value_size = value_size;
    *out = t;
    return 0;
}

void rill__keytable_free(rill__keytable *t)
{
    if (t == NULL)
        return;
    free(t->slots);
    free(t->arena);
    free(t);
}

size_t rill__keytable_count(const rill__keytable *t)
{
    return t->n;
}

#define key_off rill__slot_key
#define value_off rill__slot_value

static int rehash(rill__keytable *t)
{
    size_t cap = t->cap * 2, i, mask = cap - 1;
    slot *ns = calloc(cap, sizeof(slot));
    if (ns == NULL)
        return -1;
    for (i = 0; i < t->cap; i++) {
        size_t j;
        if (t->slots[i].off8 == 0)
            continue;
        for (j = t->slots[i].hash & mask; ns[j].off8; j = (j + 1) & mask)
            ;
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = cap;
    return 0;
}


static inline __attribute__((always_inline)) void *
upsert(rill__keytable *t, const void *key, size_t len, uint64_t hash, int *created)
{
    size_t mask = t->cap - 1, i;
    for (i = hash & mask;; i = (i + 1) & mask) {
        slot *s = &t->slots[i];
        if (s->off8 == 0)
            return rill__keytable_insert(t, s, key, len, hash, created);
        if (s->hash == hash && s->len == len && rill__same(t->arena + key_off(s), key, len)) {
            *created = 0;
            return t->arena + value_off(s);
        }
    }
}

void *rill__keytable_upsert(rill__keytable *t, const void *key, size_t len,
                            uint64_t hash, int *created)
{
    return upsert(t, key, len, hash, created);
}

/* Adds key at the empty slot s, growing first when the table would be more
 * than half full. */
void *rill__keytable_insert(rill__keytable *t, slot *s, const void *key, size_t len,
                            uint64_t hash, int *created)
{
    size_t need, off;
    if (len > UINT32_MAX || (t->n + 1) * 2 > t->cap) {
        if (len > UINT32_MAX || rehash(t) < 0)
            return NULL;
        return upsert(t, key, len, hash, created);
    }
    off = t->used; /* 8-aligned */
    if (off / 8 > UINT32_MAX)
        return NULL; /* 32 GiB of keys in one worker's table */
    need = ((((off + len + 7) & ~(size_t)7) + t->value_size + 7) & ~(size_t)7) - off;
    if (t->used + need > t->acap) {
        size_t acap = t->acap;
        char *a;
        while (acap < t->used + need)
            acap *= 2;
        if ((a = realloc(t->arena, acap)) == NULL)
            return NULL;
        t->arena = a;
        t->acap = acap;
    }
    memcpy(t->arena + off, key, len);
    s->hash = hash;
    s->off8 = (uint32_t)(off / 8);
    s->len = (uint32_t)len;
    t->used = off + need;
    t->n++;
    memset(t->arena + value_off(s), 0, t->value_size);
    *created = 1;
    return t->arena + value_off(s);
}


int rill__keytable_next(const rill__keytable *t, size_t *pos, const void **key,
                        size_t *len, uint64_t *hash, void **value)
{
    size_t i;
    for (i = *pos; i < t->cap; i++) {
        const slot *s = &t->slots[i];
        if (s->off8 == 0)
            continue;
        *key = t->arena + key_off(s);
        *len = s->len;
        *hash = s->hash;
        *value = t->arena + value_off(s);
        *pos = i + 1;
        return 1;
    }
    *pos = i;
    return 0;
}
