/* rows.h — what saving and rebuilding a run share: the kinds of rows in
 * the state file and the helpers both sides compute the same way. */
#ifndef RILL_STATE_ROWS_H
#define RILL_STATE_ROWS_H

#include "snapshot.h"
#include "store.h"

enum { ROW_RED = 1, ROW_STORE, ROW_TABLE, ROW_FIRST, ROW_TASK, ROW_HELD, ROW_CLOSING };

/* The pipeline's shape, options and work list, hashed. */
uint64_t rill__ckpt_fingerprint(const rill_pipeline *p);
/* The bytes of the store a reduction of stage s keeps. */
size_t rill__ckpt_store_size(const rill__stage *s);
/* A row whose blob is records [begin, end) of b. */
int rill__ckpt_put_records(rill__store *st, int kind, int64_t id, const int64_t v[4],
                           const rill_batch *b, size_t begin, size_t end);
/* The rows' digest with the source's position and the counts. */
uint64_t rill__ckpt_digest(const rill__run *run, uint64_t rows, int64_t src_red);

#endif
