/* combine.h — the pieces of a combine's key table that ranks send each
 * other (stage_combine.c; dist/direct.c and dist/origin.c send them). */
#ifndef RILL_CORE_COMBINE_H
#define RILL_CORE_COMBINE_H

#include "keytable.h"
#include "run.h"
#include "serial.h"

/* A piece of a combine's table is u32 klen, key, value for
 * each key, to its end (sent between ranks). put_key appends one.
 * merge_piece merges piece p into *into (made when NULL), every key of it
 * rank owner's of size (owner >= 0), none twice when fresh: 0, or an error code (*user:
 * the stage's merge refused). merge_one merges one entry likewise. */
void rill__combine_put_key(rill__out *o, const void *key, size_t len, const void *value,
                           size_t vs);
int rill__combine_merge_piece(const rill__stage *s, rill__keytable **into, const char *p,
                              size_t len, int owner, int size, int fresh, int *user);
int rill__combine_merge_one(const rill__stage *s, rill__keytable **into, const void *key,
                            size_t len, uint64_t hash, const void *value, int *user);

#endif
