/* rows.h — what saving and rebuilding a run share: the helpers both sides
 * compute the same way (the tables themselves are in store.h). */
#ifndef RILL_STATE_ROWS_H
#define RILL_STATE_ROWS_H

#include "snapshot.h"
#include "store.h"

/* A row of table (v: its integer columns) whose blob is records
 * [begin, end) of b. */
int rill__ckpt_put_records(rill__store *st, int table, const int64_t *v, const rill_batch *b,
                           size_t begin, size_t end);
/* The digest of the rows with the run's columns that decide a resume. */
uint64_t rill__ckpt_digest(const rill__runrow *row, uint64_t rows);

#endif
