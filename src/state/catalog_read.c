/* catalog_read.c — reading versions: one partition (stat, get), all of a
 * version (list), the differences between two (diff) and the log.
 *
 * A version v holds the rows with from_v <= v < to_v (catalog.h). A diff
 * looks only at the keys with a row that begins or ends between the two
 * versions, then compares what each key holds at either end by hash: it
 * costs in proportion to the changes, and a key changed and changed back
 * in between is no difference. Every row read is checked for its shape
 * (a 16-byte hash): a damaged one is RILL_ECORRUPT naming the catalog.
 * The queries that must cost in proportion to the changes name their
 * index (INDEXED BY): without statistics SQLite would rather scan. */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

/* The columns an entry is read from, starting at col: key (or none when
 * key_col < 0), hash, size, from_v, in_file. 0 when they are well formed. */
static int read_entry(rill_catalog *c, rill_catalog_entry *e, sqlite3_stmt *st, int key_col,
                      int col)
{
    memset(e, 0, sizeof(*e));
    if (key_col >= 0) {
        e->key = sqlite3_column_blob(st, key_col);
        e->key_len = (size_t)sqlite3_column_bytes(st, key_col);
    }
    if (sqlite3_column_bytes(st, col) != RILL_CATALOG_HASH_SIZE ||
        sqlite3_column_type(st, col + 1) != SQLITE_INTEGER ||
        sqlite3_column_int64(st, col + 1) < 0 || (key_col >= 0 && e->key == NULL))
        return rill__error(RILL_ECORRUPT, "catalog '%s' in %s: a damaged file (an entry's hash "
                           "or size is not rill's)", c->name, c->path);
    memcpy(e->hash, sqlite3_column_blob(st, col), RILL_CATALOG_HASH_SIZE);
    e->size = (uint64_t)sqlite3_column_int64(st, col + 1);
    e->since = sqlite3_column_int64(st, col + 2);
    e->in_file = sqlite3_column_int(st, col + 3);
    return 0;
}

static int user_stop(rill_catalog *c, const char *what, int ret)
{
    return rill__error(RILL_EUSER, "catalog '%s': the %s callback returned %d", c->name, what,
                       ret);
}

/* The entry of key at version (already resolved) into *out, and, when
 * data is not NULL and the content is in the row, the content checked
 * against its hash into *data (malloc'd); one statement. */
static int entry_at(rill_catalog_entry *out, void **data, size_t *len, rill_catalog *c,
                    int64_t version, const void *key, size_t key_len)
{
    sqlite3_stmt *st = rill__cat_stmt(c, CS_AT);
    int rc;
    char q[128];
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_blob(st, 2, key, (int)key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && !sqlite3_column_int(st, 3))
        rc = SQLITE_DONE; /* its latest row before version was closed by then */
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != RILL_CATALOG_HASH_SIZE ||
            sqlite3_column_type(st, 1) != SQLITE_INTEGER || sqlite3_column_int64(st, 1) < 0) {
            sqlite3_reset(st);
            return rill__error(RILL_ECORRUPT, "catalog '%s' in %s: a damaged file (an entry's "
                               "hash or size is not rill's)", c->name, c->path);
        }
        memcpy(out->hash, sqlite3_column_blob(st, 0), RILL_CATALOG_HASH_SIZE);
        out->size = (uint64_t)sqlite3_column_int64(st, 1);
        out->since = sqlite3_column_int64(st, 2);
        out->in_file = sqlite3_column_int(st, 4);
        out->key = key;
        out->key_len = key_len;
        rc = 0;
        if (data && !out->in_file)
            rc = rill__cat_check(c, data, len, out, sqlite3_column_blob(st, 5),
                                 (size_t)sqlite3_column_bytes(st, 5));
    } else if (rc == SQLITE_DONE) {
        rill__cat_quote(q, sizeof(q), key, key_len);
        rc = rill__error(RILL_ENOTFOUND, "catalog '%s': version %lld has no key %s", c->name,
                         (long long)version, q);
    } else {
        rc = rill__cat_fail(c, "cannot read its partitions");
    }
    sqlite3_reset(st);
    if (rc == 0 && data && out->in_file)
        rc = rill__cat_load(c, data, len, out);
    return rc;
}

int rill_catalog_stat(rill_catalog_entry *out, rill_catalog *c, int64_t version,
                      const void *key, size_t key_len)
{
    int rc;
    if (out == NULL || c == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_stat: NULL argument");
    memset(out, 0, sizeof(*out));
    if ((rc = rill__cat_check_key(c, key, key_len)) < 0 ||
        (rc = rill__cat_resolve(c, version, &version)) < 0)
        return rc;
    return entry_at(out, NULL, NULL, c, version, key, key_len);
}

int rill__cat_get_at(void **data, size_t *len, rill_catalog *c, int64_t version,
                     const void *key, size_t key_len)
{
    rill_catalog_entry e;
    memset(&e, 0, sizeof(e));
    *data = NULL;
    *len = 0;
    return entry_at(&e, data, len, c, version, key, key_len);
}

int rill_catalog_get(void **data, size_t *len, rill_catalog *c, int64_t version,
                     const void *key, size_t key_len)
{
    int rc;
    if (data == NULL || len == NULL || c == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_get: NULL argument");
    *data = NULL;
    *len = 0;
    if ((rc = rill__cat_check_key(c, key, key_len)) < 0 ||
        (rc = rill__cat_resolve(c, version, &version)) < 0)
        return rc;
    return rill__cat_get_at(data, len, c, version, key, key_len);
}

#define IN_FILE(t) t ".data IS NULL"

int rill_catalog_list(rill_catalog *c, int64_t version, rill_catalog_entry_fn fn, void *payload)
{
    static const char *const sql =
        "SELECT e.key, e.hash, e.size, e.from_v, " IN_FILE("e") " FROM rill_cat_entries e "
        "WHERE e.catalog = ?1 AND e.from_v <= ?2 AND (e.to_v IS NULL OR e.to_v > ?2) "
        "ORDER BY e.key";
    rill_catalog_entry e;
    sqlite3_stmt *st;
    int rc, ret;
    if (c == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_list: NULL argument");
    if ((rc = rill__cat_resolve(c, version, &version)) < 0)
        return rc;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot read its partitions");
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, version);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_entry(c, &e, st, 0, 1)) < 0)
            goto done;
        if ((ret = fn(&e, payload)) != 0) {
            rc = user_stop(c, "list", ret);
            goto done;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot read its partitions");
done:
    sqlite3_finalize(st);
    return rc;
}

int rill_catalog_diff(rill_catalog *c, int64_t from, int64_t to, rill_catalog_diff_fn fn,
                      void *payload)
{
    static const char *const sql =
        "WITH k(key) AS (SELECT key FROM rill_cat_entries INDEXED BY rill_cat_entries_from "
        " WHERE catalog = ?1 AND from_v > ?3 AND from_v <= ?4 UNION "
        " SELECT key FROM rill_cat_entries INDEXED BY rill_cat_entries_to "
        " WHERE catalog = ?1 AND to_v > ?3 AND to_v <= ?4) "
        "SELECT k.key, a.hash, a.size, a.from_v, " IN_FILE("a") ", "
        " b.hash, b.size, b.from_v, " IN_FILE("b") " FROM k "
        "LEFT JOIN rill_cat_entries a ON a.catalog = ?1 AND a.key = k.key AND a.from_v <= ?2 "
        " AND (a.to_v IS NULL OR a.to_v > ?2) "
        "LEFT JOIN rill_cat_entries b ON b.catalog = ?1 AND b.key = k.key AND b.from_v <= ?5 "
        " AND (b.to_v IS NULL OR b.to_v > ?5) "
        "ORDER BY k.key";
    rill_catalog_entry a, b;
    sqlite3_stmt *st;
    int rc, ret, has_a, has_b;
    if (c == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_diff: NULL argument");
    if ((rc = rill__cat_resolve(c, from, &from)) < 0 || (rc = rill__cat_resolve(c, to, &to)) < 0)
        return rc;
    if (from == to)
        return 0;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot read its partitions");
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, from < to ? from : to);
    sqlite3_bind_int64(st, 4, from < to ? to : from);
    sqlite3_bind_int64(st, 5, to);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        has_a = sqlite3_column_type(st, 1) != SQLITE_NULL;
        has_b = sqlite3_column_type(st, 5) != SQLITE_NULL;
        if ((has_a && (rc = read_entry(c, &a, st, 0, 1)) < 0) ||
            (has_b && (rc = read_entry(c, &b, st, 0, 5)) < 0))
            goto done;
        if (has_a && has_b && memcmp(a.hash, b.hash, RILL_CATALOG_HASH_SIZE) == 0)
            continue; /* the same content at both ends */
        if (!has_a && !has_b)
            continue; /* put and deleted in between */
        ret = fn(!has_a ? RILL_CATALOG_ADDED : !has_b ? RILL_CATALOG_REMOVED
                                                      : RILL_CATALOG_CHANGED,
                 has_a ? &a : NULL, has_b ? &b : NULL, payload);
        if (ret != 0) {
            rc = user_stop(c, "diff", ret);
            goto done;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot read its partitions");
done:
    sqlite3_finalize(st);
    return rc;
}

int rill_catalog_log(rill_catalog *c, rill_catalog_version_fn fn, void *payload)
{
    static const char *const sql =
        "SELECT version, time_ms, message, partitions, bytes, added, removed, changed, pruned "
        "FROM rill_cat_versions WHERE catalog = ?1 ORDER BY version DESC";
    rill_catalog_version v;
    sqlite3_stmt *st;
    int rc, ret, i;
    if (c == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_log: NULL argument");
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot read its versions");
    sqlite3_bind_int64(st, 1, c->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (i = 0; i < 9; i++)
            if (i != 2 && sqlite3_column_type(st, i) != SQLITE_INTEGER) {
                rc = rill__error(RILL_ECORRUPT, "catalog '%s' in %s: a damaged file (a "
                                 "version's counts are not numbers)", c->name, c->path);
                goto done;
            }
        memset(&v, 0, sizeof(v));
        v.version = sqlite3_column_int64(st, 0);
        v.time_ms = sqlite3_column_int64(st, 1);
        v.message = (const char *)sqlite3_column_text(st, 2);
        if (v.message == NULL)
            v.message = "";
        v.partitions = (uint64_t)sqlite3_column_int64(st, 3);
        v.bytes = (uint64_t)sqlite3_column_int64(st, 4);
        v.added = (uint64_t)sqlite3_column_int64(st, 5);
        v.removed = (uint64_t)sqlite3_column_int64(st, 6);
        v.changed = (uint64_t)sqlite3_column_int64(st, 7);
        v.pruned = sqlite3_column_int(st, 8) != 0;
        if ((ret = fn(&v, payload)) != 0) {
            rc = user_stop(c, "log", ret);
            goto done;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot read its versions");
done:
    sqlite3_finalize(st);
    return rc;
}
