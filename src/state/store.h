/* store.h — the state file: an SQLite database (WAL mode) holding the
 * checkpoint of a run in typed tables, one per concern, all named
 * rill_ckpt_* (other components' tables may sit beside them):
 *
 *   rill_schema(component, version)     each rill component's format; the
 *                                       checkpoint's row is 'checkpoint'
 *   rill_ckpt_run                       one row: the run as a whole (below)
 *   rill_ckpt_reductions(id, parent, owner, pending, frame_index, first)
 *   rill_ckpt_stores(reduction, partial, data)     a reduction's store or
 *                       partial states (reducer stores, combine key tables),
 *                       each as its stage's kind encodes it
 *   rill_ckpt_tasks(stage, from_stage, phase, reduction, records)
 *   rill_ckpt_held(stage, records)                 what a stage holds back
 *   rill_ckpt_closing(stage, preds_open, closed)   graph stages closing
 *   rill_ckpt_results(records), rill_ckpt_files(records)
 *   rill_ckpt_undelivered(from_stage, records)     results held for the
 *                       result and output callbacks, in order
 *
 * Blobs are values of core/serial.h. Rows are read back in the order they
 * were put. A checkpoint replaces every rill_ckpt_* row but the run's in
 * one transaction; a digest of the rows put (per table, in table order) is
 * kept so the caller can store it, and the same digest of the rows read. */
#ifndef RILL_STATE_STORE_H
#define RILL_STATE_STORE_H

#include <stddef.h>
#include <stdint.h>

/* 1: rill 0.1's meta and rows tables; 2: no rill_ckpt_undelivered
 * (both refused: RILL_EVERSION). */
#define RILL__STATE_FORMAT 3

typedef struct rill__store rill__store;

/* The tables of rows, in digest order, and their integer columns. */
enum {
    RILL__T_REDUCTIONS, /* id, parent, owner, pending, frame_index; first */
    RILL__T_STORES,     /* reduction, partial; data */
    RILL__T_TASKS,      /* stage, from_stage, phase, reduction; records */
    RILL__T_HELD,       /* stage; records */
    RILL__T_CLOSING,    /* stage, preds_open, closed */
    RILL__T_RESULTS,    /* records */
    RILL__T_FILES,      /* records */
    RILL__T_UNDELIVERED, /* from_stage; records */
    RILL__T_COUNT
};
enum { RED_ID, RED_PARENT, RED_OWNER, RED_PENDING, RED_INDEX };
enum { STORE_RED, STORE_PARTIAL };
enum { TASK_STAGE, TASK_FROM, TASK_PHASE, TASK_RED };
enum { HELD_STAGE };
enum { CLOSING_STAGE, CLOSING_PREDS, CLOSING_CLOSED };

/* rill_ckpt_run: what is known of the run as a whole. */
typedef struct rill__runrow {
    int has_fingerprint, has_digest; /* 0: the column is NULL */
    int64_t fingerprint;  /* of the pipeline (rill__pipeline_fingerprint) */
    int64_t finished;     /* the run finished: nothing to resume */
    int64_t complete;     /* all work done, its files being published */
    int64_t checkpoints;  /* checkpoints taken; 0: nothing to resume from */
    int64_t src_next;     /* the source's position in the work list */
    int64_t src_done;     /* the source gave everything */
    int64_t src_red;      /* the reduction the source's records open under */
    int64_t generated;    /* batches the generator gave */
    int64_t delivered;    /* results delivered */
    int64_t digest;       /* of the rows and the columns above it */
} rill__runrow;

/* Opens (creating it and its folder when missing) the state file at path,
 * locked until rill__store_close: RILL_EBUSY "in use by process N" when
 * another store holds it (store.c). RILL_ECORRUPT when it is not a database, or its rill tables are damaged
 * or not rill's (other columns); RILL_EVERSION when it was written in
 * another format (an older rill's, or a newer one's); either way the file
 * is left as it was. Other tables in it are left alone. */
int rill__store_open(rill__store **out, const char *path);
void rill__store_close(rill__store *s);
const char *rill__store_path(const rill__store *s);

int rill__store_begin(rill__store *s);
int rill__store_commit(rill__store *s);
void rill__store_rollback(rill__store *s);

int rill__store_get_run(rill__store *s, rill__runrow *out);
int rill__store_set_run(rill__store *s, const rill__runrow *row);

/* Drops every row of the tables above (and the digest of the rows put). */
int rill__store_clear(rill__store *s);
/* Deletes one table's rows, as if none had been put since the last clear. */
int rill__store_clear_table(rill__store *s, int table);
/* v: the table's integer columns in order; blob may be NULL (a NULL). */
int rill__store_put(rill__store *s, int table, const int64_t *v, const void *blob, size_t len);
typedef int (*rill__row_fn)(void *ctx, const int64_t *v, const void *blob, size_t len);
/* Calls fn for every row of table in the order they were put; stops at
 * its first non-zero return and passes it back. */
int rill__store_each(rill__store *s, int table, rill__row_fn fn, void *ctx);
/* The digest of the rows put since the last clear, and of the rows read by
 * each since the store was opened (a table not read counts as empty). */
uint64_t rill__store_digest(const rill__store *s);
uint64_t rill__store_read_digest(const rill__store *s);

#endif
