/* store.h — the state file: an SQLite database (WAL mode) holding the
 * checkpoint of a run as rows of (kind, id, four integers, a blob), and a
 * few named values (the format version, the pipeline's fingerprint, whether
 * the run finished). A checkpoint replaces all rows in one transaction. */
#ifndef RILL_STATE_STORE_H
#define RILL_STATE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define RILL__STATE_FORMAT 1

typedef struct rill__store rill__store;

/* Opens (creating it and its folder when missing) the state file at path.
 * RILL_ECORRUPT when it is not one, RILL_EVERSION when a newer rill wrote
 * it; either way the file is left as it was. */
int rill__store_open(rill__store **out, const char *path);
void rill__store_close(rill__store *s);
const char *rill__store_path(const rill__store *s);

int rill__store_begin(rill__store *s);
int rill__store_commit(rill__store *s);
void rill__store_rollback(rill__store *s);

/* Named integers and blobs; *found is 0 when the name is absent. */
int rill__store_get_int(rill__store *s, const char *name, int64_t *value, int *found);
int rill__store_set_int(rill__store *s, const char *name, int64_t value);
/* *blob: caller frees. */
int rill__store_get_blob(rill__store *s, const char *name, void **blob, size_t *len,
                         int *found);
int rill__store_set_blob(rill__store *s, const char *name, const void *blob, size_t len);

/* Rows of the checkpoint. */
int rill__store_clear(rill__store *s);
int rill__store_put(rill__store *s, int kind, int64_t id, const int64_t v[4],
                    const void *blob, size_t len);
typedef int (*rill__row_fn)(void *ctx, int kind, int64_t id, const int64_t v[4],
                            const void *blob, size_t len);
/* Calls fn for every row in the order they were put; stops at its first
 * non-zero return and passes it back. *digest (if given): of the rows read. */
int rill__store_each(rill__store *s, rill__row_fn fn, void *ctx, uint64_t *digest);
/* The digest of the rows put since the last clear (as each computes it). */
uint64_t rill__store_digest(const rill__store *s);

#endif
