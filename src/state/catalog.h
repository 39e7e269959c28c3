/* catalog.h — what the catalog's files share (the public side is
 * include/rill/catalog.h): the handle, the transaction, the schema and the
 * helpers for statements, hashes and payload files.
 *
 * The schema (rill_schema 'catalog' = RILL__CATALOG_FORMAT), in one
 * SQLite file that may hold many catalogs:
 *
 *   rill_cat_catalogs(id, name, created_ms)      one row per catalog
 *   rill_cat_versions(catalog, version, time_ms, message, partitions,
 *                     bytes, added, removed, changed, pruned)
 *                                                one row per committed version
 *   rill_cat_entries(catalog, key, from_v, to_v, hash, size, data)
 *                     a key's content over a run of versions: it holds hash
 *                     in every version v with from_v <= v < to_v (to_v NULL:
 *                     up to the latest and the open transaction's); keyed
 *                     by (catalog, key, from_v), so a key's rows sit side
 *                     by side, the latest found with one seek; indexed by
 *                     (catalog, from_v, key) and, for closed rows, by
 *                     (catalog, to_v, key). data: the content, when it is
 *                     at most inline_max bytes; NULL: in the payload file
 *                     <path>-blobs/<hex[0..1]>/<hex>, one per hash for the
 *                     whole file.
 *
 * A put writes one row in the key's page, where its content is too: one
 * page of the file to read and write per changed key (the benchmark
 * incremental_speedup). Contents in the database are not shared between
 * keys (small ones: the row is their cost); payload files are.
 *
 * A transaction making version T = latest + 1 holds SQLite's write lock
 * from begin to commit. It writes rows with from_v = T and closes rows by
 * setting to_v = T; a read at a version <= T-1 sees neither, so reads
 * through the handle during its own transaction stay on committed
 * versions. Commit adds the rill_cat_versions row; until then the
 * latest is T-1 (versions are max(version) of the catalog's rows).
 * Invariants: only a key's latest row may have to_v NULL; two
 * rows of a key that meet (to_v of one = from_v of the other) have other
 * hashes; a row without data has its payload file, written and synced
 * before the row was committed. Later parts of issue 13 (dependencies, fingerprints) add
 * their tables beside these and write them in the same transaction
 * through rill__catalog_db. */
#ifndef RILL_STATE_CATALOG_H
#define RILL_STATE_CATALOG_H

#include <sqlite3.h>

#include "rill/catalog.h"

#define RILL__CATALOG_FORMAT 2 /* 1: entries had a rowid and five indexes */
#define RILL__CATALOG_DEFAULT_PATH ".rill/catalogs.db"
#define RILL__CATALOG_INLINE_MAX 65536
#define RILL__CATALOG_INLINE_LIMIT (256u << 20) /* SQLite's blobs stop at 1e9 bytes */

/* The prepared statements of a handle (catalog.c lists their SQL). */
enum {
    CS_LATEST,   /* catalog -> max(version) */
    CS_VERSION,  /* catalog, version -> pruned */
    CS_LIVE,     /* catalog, key -> from_v, hash, live (to_v NULL) of its latest row */
    CS_CLOSED,   /* catalog, key, v -> from_v, hash, to_v of its latest row before v */
    CS_AT,       /* catalog, key, v -> hash, size, from_v, holds (v < to_v), in_file,
                  * data of its latest row from v or before */
    CS_INSERT,   /* catalog, key, from_v, hash, size, data (NULL: in a file) */
    CS_CLOSE,    /* catalog, key, from_v, to_v */
    CS_REOPEN,   /* catalog, key, from_v */
    CS_DROP,     /* catalog, key, from_v */
    CS_ADD_VERSION, /* catalog, version, time_ms, message: the version's row */
    CS_DATA,     /* catalog, key, from_v -> data */
    CS_COUNT
};

struct rill_catalog {
    sqlite3 *db;       /* the file's connection in this process (catalog_conn.c) */
    struct rill__cat_conn *conn; /* shared with the file's other handles */
    char *path;        /* owned: the database */
    char *blobs;       /* owned: path + "-blobs" */
    char *name;        /* owned */
    int64_t id;        /* rill_cat_catalogs.id */
    size_t inline_max;
    unsigned wait_ms;
    rill_catalog_txn *txn; /* the open transaction, or NULL */
    sqlite3_stmt *st[CS_COUNT];
};

struct rill_catalog_txn {
    rill_catalog *c;
    int64_t version; /* the version commit makes */
    int failed;      /* a call failed after writing: commit refuses */
};

/* ---- catalog.c ---- */

/* The statement i, reset and with its bindings cleared. */
sqlite3_stmt *rill__cat_stmt(rill_catalog *c, int i);
/* An SQLite failure while doing (a short phrase): the code from SQLite's
 * error (RILL_ECORRUPT, RILL_ENOSPC, RILL_ENOMEM, the system's, or
 * RILL_EIO), the message naming the catalog and the file. */
int rill__cat_fail(rill_catalog *c, const char *doing);
int rill__cat_exec(rill_catalog *c, const char *sql, const char *doing);
/* ---- catalog_conn.c: the file's connection, shared in a process ---- */

/* c->db and c->conn: the connection of the file at c->path in this
 * process; when there is none yet, a new one (the file made with create)
 * on which prepare(c, create) checks the file and makes its tables, then
 * its pragmas and temporary tables are set, before other handles get it. */
int rill__cat_connect(rill_catalog *c, int create, int (*prepare)(rill_catalog *c, int create));
/* Lets go of the connection (closed with its last handle). */
void rill__cat_disconnect(rill_catalog *c);
/* The temporary tables of the connection, made with it (never inside a
 * transaction): gc's payload files, a compile's affected keys and its
 * self-check's sample. */
#define RILL__CAT_TEMP_TABLES                                                                   \
    "CREATE TEMP TABLE IF NOT EXISTS rill_cat_files(hash BLOB PRIMARY KEY) WITHOUT ROWID;"      \
    "CREATE TEMP TABLE IF NOT EXISTS rill_cmp_affected(out_key BLOB PRIMARY KEY) WITHOUT "     \
    "ROWID;"                                                                                    \
    "CREATE TEMP TABLE IF NOT EXISTS rill_cmp_sample(out_key BLOB PRIMARY KEY) WITHOUT ROWID;"
/* Takes the file's write lock for c: waits up to wait_ms for another
 * handle's transaction in this process, then BEGIN IMMEDIATE (waiting as
 * long for other processes): RILL_EBUSY when another writer holds it. */
int rill__cat_lock(rill_catalog *c, const char *doing);
/* A read of several statements from one snapshot: takes the file's
 * connection from the other handles of the process as a writer does
 * (waiting wait_ms, else RILL_EBUSY), without SQLite's write lock (other
 * processes' writers go on). 1: begun, end it with rill__cat_read_end; 0:
 * c's own transaction is open, read in it. */
int rill__cat_read_begin(rill_catalog *c, const char *doing);
void rill__cat_read_end(rill_catalog *c, int began);
/* Ends c's transaction: COMMIT (doing names a failure, after which it is
 * rolled back) or, with commit 0, ROLLBACK; gives the lock back. Nothing
 * when c does not hold it (ended already). */
int rill__cat_unlock(rill_catalog *c, int commit, const char *doing);
/* *out: version itself, or the latest for RILL_CATALOG_LATEST, after
 * checking it can be read: RILL_ENOTFOUND when it is later than the
 * latest, negative or pruned. */
int rill__cat_resolve(rill_catalog *c, int64_t version, int64_t *out);
/* Now, in ms since 1970. */
int64_t rill__cat_now_ms(void);
/* A printable, quoted form of a key for messages. */
void rill__cat_quote(char *out, size_t cap, const void *key, size_t len);
/* RILL_EINVAL unless key is 1 to RILL_CATALOG_KEY_MAX bytes. */
int rill__cat_check_key(const rill_catalog *c, const void *key, size_t len);
/* The open connection, for later parts of issue 13 that write their rows
 * in a catalog's transaction. */
sqlite3 *rill__catalog_db(rill_catalog *c);

/* Called (when set) between the commit's last write and its COMMIT: tests
 * kill the process there. */
extern void (*rill__catalog_commit_hook)(void);

/* ---- catalog_blob.c: hashes and payloads ---- */

void rill__cat_hash(unsigned char out[RILL_CATALOG_HASH_SIZE], const void *data, size_t len);
/* The payload file of hash: "<blobs>/<hh>/<hex>" (malloc'd; NULL: no memory). */
char *rill__cat_blob_path(const rill_catalog *c, const unsigned char *hash);
/* Makes the folders above path (not path itself). */
int rill__cat_mkdirs(const char *path);
/* *hash: the hash of data; data larger than inline_max is stored in its
 * payload file (*in_file 1), smaller data is for the entry's row. */
int rill__cat_store(rill_catalog *c, unsigned char hash[RILL_CATALOG_HASH_SIZE], const void *data,
                    size_t len, int *in_file);
/* The same from the file at path, streamed; *size gets its bytes, and
 * *data (malloc'd) the bytes themselves when they are for the row (NULL:
 * stored in the payload file). */
int rill__cat_store_file(rill_catalog *c, unsigned char hash[RILL_CATALOG_HASH_SIZE],
                         uint64_t *size, void **data, const char *path);
/* The data of an entry (key and since name it in errors), checked against
 * its hash: RILL_ECORRUPT naming the key and the file. *data: malloc'd. */
int rill__cat_load(rill_catalog *c, void **data, size_t *len, const rill_catalog_entry *e);
/* The same for bytes already read from its row (not in a file). */
int rill__cat_check(rill_catalog *c, void **data, size_t *len, const rill_catalog_entry *e,
                    const void *row_data, size_t row_len);
/* Copies an entry's data to the file at dest (through a temporary beside
 * it, renamed when its hash is checked). */
int rill__cat_load_to(rill_catalog *c, const rill_catalog_entry *e, const char *dest);

/* ---- catalog_txn.c ---- */

/* Puts a stored content under key: data (size bytes) for the row, or
 * NULL when it is in its payload file. */
int rill__cat_put_hash(rill_catalog_txn *t, const void *key, size_t key_len,
                       const unsigned char *hash, uint64_t size, const void *data);

/* ---- catalog_read.c ---- */

/* rill_catalog_get at a version known to be readable (no check of it: a
 * compile checks its versions once). */
int rill__cat_get_at(void **data, size_t *len, rill_catalog *c, int64_t version,
                     const void *key, size_t key_len);

#endif
