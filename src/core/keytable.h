/* keytable.h — an open-addressing hash table from key bytes to a fixed-size
 * accumulator, the per-worker partial table of keyed combine. */
#ifndef RILL_CORE_KEYTABLE_H
#define RILL_CORE_KEYTABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct rill__keytable rill__keytable;

uint64_t rill__hash(const void *bytes, size_t len);

int rill__keytable_new(rill__keytable **out, size_t value_size);
void rill__keytable_free(rill__keytable *t);
size_t rill__keytable_count(const rill__keytable *t);
/* The accumulator of key, added (zeroed, *created set) when absent. The
 * pointer is 8-byte aligned and valid until the next upsert. NULL: no memory. */
void *rill__keytable_upsert(rill__keytable *t, const void *key, size_t len,
                            uint64_t hash, int *created);
/* The same, hashing key itself. */
void *rill__keytable_get(rill__keytable *t, const void *key, size_t len, int *created);
/* Iterates entries: start with *pos = 0; returns 0 at the end. */
int rill__keytable_next(const rill__keytable *t, size_t *pos, const void **key,
                        size_t *len, uint64_t *hash, void **value);

#endif
