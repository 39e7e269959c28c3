/* catalog_txn.c — writing a version: a transaction that puts and deletes
 * partitions and commits them as version T = latest + 1 in one SQLite
 * transaction (the rows are described in catalog.h).
 *
 * Per key the transaction keeps at most two rows that matter: the base
 * row O, live at T-1 (closed by the transaction: to_v = T), and the new
 * row R (from_v = T, to_v NULL). A put of the content the key has now is
 * nothing; a put of the content O had (a revert inside the transaction)
 * drops R and opens O again, so that two rows of a key that meet never
 * hold the same hash and commit counts no change for it. The log's counts
 * follow from the rows: added = R without O, changed = R with O, removed =
 * O without R.
 *
 * A call that fails after it wrote a row marks the transaction failed and
 * commit refuses it: what was written may be half of the call. A call
 * that fails before writing (bad arguments, a file that cannot be read, a
 * delete of a missing key) leaves it as it was. */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

int rill_catalog_begin(rill_catalog_txn **out, rill_catalog *c)
{
    rill_catalog_txn *t;
    int64_t latest;
    int rc;
    if (out == NULL || c == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_begin: NULL argument");
    *out = NULL;
    if (c->txn)
        return rill__error(RILL_EBUSY, "catalog '%s' in %s: this handle has a transaction open "
                           "already (one at a time: commit or abort it first)", c->name, c->path);
    if ((t = calloc(1, sizeof(*t))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if ((rc = rill__cat_lock(c, "begin a transaction")) < 0) {
        free(t);
        return rc;
    }
    if ((rc = rill_catalog_latest(&latest, c)) < 0) {
        rill__cat_unlock(c, 0, NULL);
        free(t);
        return rc;
    }
    t->c = c;
    t->version = latest + 1;
    c->txn = t;
    *out = t;
    return 0;
}

int64_t rill_catalog_txn_version(const rill_catalog_txn *t)
{
    return t ? t->version : RILL_EINVAL;
}

void rill_catalog_abort(rill_catalog_txn *t)
{
    if (t == NULL)
        return;
    rill__cat_unlock(t->c, 0, NULL);
    t->c->txn = NULL;
    free(t);
}

static int check_txn(rill_catalog_txn *t, const char *fn)
{
    if (t == NULL || t->c == NULL || t->c->txn != t)
        return rill__error(RILL_EINVAL, "%s: not an open transaction", fn);
    return 0;
}

/* Steps a statement that reads one row: 1 with a row, 0 without. */
static int step_row(rill_catalog *c, sqlite3_stmt *st, const char *doing)
{
    int rc = sqlite3_step(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : rill__cat_fail(c, doing);
}

static int step_done(rill_catalog *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot write");
    sqlite3_reset(st);
    return rc;
}

static int same_hash(sqlite3_stmt *st, int col, const unsigned char *hash)
{
    return sqlite3_column_bytes(st, col) == RILL_CATALOG_HASH_SIZE &&
           memcmp(sqlite3_column_blob(st, col), hash, RILL_CATALOG_HASH_SIZE) == 0;
}

/* The key's row with to_v NULL (its latest, when live): *from_v, *same
 * (its hash is hash). 1 when there is one. */
static int live_row(rill_catalog_txn *t, const void *key, size_t key_len,
                    const unsigned char *hash, int64_t *from_v, int *same)
{
    rill_catalog *c = t->c;
    sqlite3_stmt *st = rill__cat_stmt(c, CS_LIVE);
    int rc;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_blob(st, 2, key, (int)key_len, SQLITE_STATIC);
    if ((rc = step_row(c, st, "cannot read its partitions")) == 1) {
        *from_v = sqlite3_column_int64(st, 0);
        *same = hash ? same_hash(st, 1, hash) : 0;
        rc = sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    return rc;
}

/* The key's row closed by this transaction (the base row O: its latest
 * before this version, when closed at it). */
static int closed_row(rill_catalog_txn *t, const void *key, size_t key_len,
                      const unsigned char *hash, int64_t *from_v, int *same)
{
    rill_catalog *c = t->c;
    sqlite3_stmt *st = rill__cat_stmt(c, CS_CLOSED);
    int rc;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_blob(st, 2, key, (int)key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t->version);
    if ((rc = step_row(c, st, "cannot read its partitions")) == 1) {
        *from_v = sqlite3_column_int64(st, 0);
        *same = same_hash(st, 1, hash);
        rc = sqlite3_column_type(st, 2) == SQLITE_INTEGER &&
             sqlite3_column_int64(st, 2) == t->version;
    }
    sqlite3_reset(st);
    return rc;
}

/* Closes (at this version), opens again or drops the key's row from_v. */
static int by_row(rill_catalog_txn *t, int which, const void *key, size_t key_len,
                  int64_t from_v)
{
    rill_catalog *c = t->c;
    sqlite3_stmt *st = rill__cat_stmt(c, which);
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_blob(st, 2, key, (int)key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, from_v);
    if (which == CS_CLOSE)
        sqlite3_bind_int64(st, 4, t->version);
    return step_done(c, st);
}

/* A new row of key from this version. */
static int insert(rill_catalog_txn *t, const void *key, size_t key_len,
                  const unsigned char *hash, uint64_t size, const void *data)
{
    rill_catalog *c = t->c;
    sqlite3_stmt *st = rill__cat_stmt(c, CS_INSERT);
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_blob(st, 2, key, (int)key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t->version);
    sqlite3_bind_blob(st, 4, hash, RILL_CATALOG_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (int64_t)size);
    if (data == NULL)
        sqlite3_bind_null(st, 6); /* in its payload file */
    else if (size == 0)
        sqlite3_bind_zeroblob(st, 6, 0);
    else
        sqlite3_bind_blob64(st, 6, data, size, SQLITE_STATIC);
    return step_done(c, st);
}

/* After the key's live row of this transaction was dropped, or when it has
 * none: the base row again if it held hash, else a new row. */
static int reopen_or_insert(rill_catalog_txn *t, const void *key, size_t key_len,
                            const unsigned char *hash, uint64_t size, const void *data)
{
    int64_t from_v = 0;
    int rc, same = 0;
    if ((rc = closed_row(t, key, key_len, hash, &from_v, &same)) < 0)
        return rc;
    if (rc == 1 && same)
        return by_row(t, CS_REOPEN, key, key_len, from_v);
    return insert(t, key, key_len, hash, size, data);
}

int rill__cat_put_hash(rill_catalog_txn *t, const void *key, size_t key_len,
                       const unsigned char *hash, uint64_t size, const void *data)
{
    int64_t from_v = 0;
    int rc, same = 0;
    if ((rc = live_row(t, key, key_len, hash, &from_v, &same)) < 0)
        return rc;
    if (rc == 1 && same)
        return 0; /* the content it has */
    if (rc == 1 && from_v == t->version) {
        rc = by_row(t, CS_DROP, key, key_len, from_v); /* this transaction's: replaced */
        if (rc == 0)
            rc = reopen_or_insert(t, key, key_len, hash, size, data);
    } else if (rc == 1) { /* the base row, closed now, holds other content: a new row */
        if ((rc = by_row(t, CS_CLOSE, key, key_len, from_v)) == 0)
            rc = insert(t, key, key_len, hash, size, data);
    } else {
        rc = reopen_or_insert(t, key, key_len, hash, size, data);
    }
    if (rc < 0)
        t->failed = 1;
    return rc;
}

int rill_catalog_put(rill_catalog_txn *t, const void *key, size_t key_len, const void *data,
                     size_t len)
{
    unsigned char hash[RILL_CATALOG_HASH_SIZE];
    int rc, in_file;
    if ((rc = check_txn(t, "rill_catalog_put")) < 0 ||
        (rc = rill__cat_check_key(t->c, key, key_len)) < 0)
        return rc;
    if (data == NULL && len > 0)
        return rill__error(RILL_EINVAL, "rill_catalog_put: data is NULL and len %zu", len);
    if ((rc = rill__cat_store(t->c, hash, data, len, &in_file)) < 0)
        return rc; /* a payload file is whole or not there */
    return rill__cat_put_hash(t, key, key_len, hash, len,
                              in_file ? NULL : data ? data : (const void *)"");
}

int rill_catalog_put_file(rill_catalog_txn *t, const void *key, size_t key_len,
                          const char *path)
{
    unsigned char hash[RILL_CATALOG_HASH_SIZE];
    uint64_t size = 0;
    void *data = NULL;
    int rc;
    if ((rc = check_txn(t, "rill_catalog_put_file")) < 0 ||
        (rc = rill__cat_check_key(t->c, key, key_len)) < 0)
        return rc;
    if (path == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_put_file: path is NULL");
    if ((rc = rill__cat_store_file(t->c, hash, &size, &data, path)) < 0)
        return rc; /* a payload file is whole or not there */
    rc = rill__cat_put_hash(t, key, key_len, hash, size, data);
    free(data);
    return rc;
}

int rill_catalog_delete(rill_catalog_txn *t, const void *key, size_t key_len)
{
    int64_t from_v = 0;
    int rc, same;
    char q[128];
    if ((rc = check_txn(t, "rill_catalog_delete")) < 0 ||
        (rc = rill__cat_check_key(t->c, key, key_len)) < 0)
        return rc;
    if ((rc = live_row(t, key, key_len, NULL, &from_v, &same)) < 0)
        return rc;
    if (rc == 0) {
        rill__cat_quote(q, sizeof(q), key, key_len);
        return rill__error(RILL_ENOTFOUND, "catalog '%s': no key %s to delete (in the version "
                           "%lld being made)", t->c->name, q, (long long)t->version);
    }
    rc = by_row(t, from_v == t->version ? CS_DROP : CS_CLOSE, key, key_len, from_v);
    if (rc < 0)
        t->failed = 1;
    return rc;
}

/* The version row of the transaction, its counts from the rows. */
static int add_version(rill_catalog_txn *t, const char *message)
{
    rill_catalog *c = t->c;
    sqlite3_stmt *st = rill__cat_stmt(c, CS_ADD_VERSION);
    int rc;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, t->version);
    sqlite3_bind_int64(st, 3, rill__cat_now_ms());
    if (message)
        sqlite3_bind_text(st, 4, message, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot commit");
    sqlite3_reset(st);
    return rc;
}

int rill_catalog_commit(int64_t *version, rill_catalog_txn *t, const char *message)
{
    rill_catalog *c;
    int rc;
    if (version)
        *version = 0;
    if ((rc = check_txn(t, "rill_catalog_commit")) < 0)
        return rc;
    c = t->c;
    if (t->failed) {
        rc = rill__error(RILL_EINVAL, "catalog '%s' in %s: a put or delete of this transaction "
                         "failed after it had written; nothing was committed (version %lld "
                         "was not made)", c->name, c->path, (long long)t->version);
        goto bad;
    }
    /* the version's row and COMMIT with the connection to itself: a read
     * through another handle of the file (catalog_conn.c) sees neither or
     * both */
    sqlite3_mutex_enter(sqlite3_db_mutex(c->db));
    if ((rc = add_version(t, message)) == 0) {
        if (rill__catalog_commit_hook)
            rill__catalog_commit_hook();
        rc = rill__cat_unlock(c, 1, "cannot commit");
    }
    sqlite3_mutex_leave(sqlite3_db_mutex(c->db));
    if (rc < 0)
        goto bad;
    if (version)
        *version = t->version;
    c->txn = NULL;
    free(t);
    return 0;
bad:
    rill_catalog_abort(t);
    return rc;
}
