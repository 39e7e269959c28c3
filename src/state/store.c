/* store.c — the state file over SQLite.
 *
 * Every error names the file. A file that is not an SQLite database, whose
 * tables are not rill's, or that SQLite finds damaged is RILL_ECORRUPT; a
 * format newer than this rill knows is RILL_EVERSION; neither is written. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/error.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* A row's part in a digest of rows taken in order. */
static uint64_t digest_row(uint64_t h, int kind, int64_t id, const int64_t v[4],
                           const void *blob, size_t len)
{
    int64_t head[6] = {kind, id, v[0], v[1], v[2], v[3]};
    h = XXH3_64bits_withSeed(head, sizeof(head), h);
    return XXH3_64bits_withSeed(blob ? blob : "", blob ? len : 0, h);
}

struct rill__store {
    sqlite3 *db;
    uint64_t digest; /* of the rows put since the last clear */
    char *path; /* owned */
    sqlite3_stmt *put, *get, *set; /* owned */
};

static int fail(rill__store *s, int code, const char *doing)
{
    int e = s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;
    if (code == 0)
        code = (e == SQLITE_CORRUPT || e == SQLITE_NOTADB || e == SQLITE_FORMAT) ? RILL_ECORRUPT
               : e == SQLITE_NOMEM                                            ? RILL_ENOMEM
                                                                              : RILL_EIO;
    return rill__error(code, "%s: %s%s%s", s->path, doing, s->db ? ": " : "",
                       s->db ? sqlite3_errmsg(s->db) : "");
}

static int exec(rill__store *s, const char *sql, const char *doing)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, 0, doing);
    return 0;
}

/* Creates the folders above path. */
static void make_parents(const char *path)
{
    char buf[4096];
    char *p;
    snprintf(buf, sizeof(buf), "%s", path);
    for (p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
}

/* RILL_ECORRUPT when the database holds tables that are not rill's. */
static int foreign_tables(rill__store *s)
{
    sqlite3_stmt *st;
    int rc, foreign = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT IN ('meta', 'rows')", -1, &st, NULL) != SQLITE_OK)
        return fail(s, 0, "not a rill state file");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        foreign = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return fail(s, 0, "not a rill state file");
    if (foreign)
        return rill__error(RILL_ECORRUPT, "%s: not a rill state file (it holds other tables)",
                           s->path);
    return 0;
}

int rill__store_open(rill__store **out, const char *path)
{
    rill__store *s;
    int64_t version;
    int found, rc;
    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    make_parents(path);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = fail(s, 0, "cannot open the state file");
        rill__store_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 10000);
    /* read before anything is written: a file that is not ours stays as it is */
    if ((rc = exec(s, "PRAGMA quick_check", "not a rill state file")) < 0 ||
        (rc = foreign_tables(s)) < 0)
        goto bad;
    if ((rc = exec(s, "PRAGMA journal_mode=WAL", "not a rill state file")) < 0 ||
        (rc = exec(s, "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value);"
                      "CREATE TABLE IF NOT EXISTS rows(kind INTEGER, id INTEGER, a INTEGER,"
                      " b INTEGER, c INTEGER, d INTEGER, data BLOB)",
                   "not a rill state file")) < 0)
        goto bad;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO rows VALUES(?,?,?,?,?,?,?)", -1, &s->put, NULL) ||
        sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE name = ?", -1, &s->get, NULL) ||
        sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta VALUES(?, ?)", -1, &s->set,
                           NULL)) {
        rc = fail(s, RILL_ECORRUPT, "not a rill state file");
        goto bad;
    }
    if ((rc = rill__store_get_int(s, "format", &version, &found)) < 0)
        goto bad;
    if (found && version > RILL__STATE_FORMAT) {
        rc = rill__error(RILL_EVERSION, "%s: written in state format %lld by a newer rill; "
                         "this one reads format %d", path, (long long)version,
                         RILL__STATE_FORMAT);
        goto bad;
    }
    if (!found && (rc = rill__store_set_int(s, "format", RILL__STATE_FORMAT)) < 0)
        goto bad;
    *out = s;
    return 0;
bad:
    rill__store_close(s);
    return rc;
}

void rill__store_close(rill__store *s)
{
    if (s == NULL)
        return;
    sqlite3_finalize(s->put);
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->set);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

const char *rill__store_path(const rill__store *s)
{
    return s->path;
}

int rill__store_begin(rill__store *s)
{
    return exec(s, "BEGIN IMMEDIATE", "cannot start a checkpoint");
}

int rill__store_commit(rill__store *s)
{
    return exec(s, "COMMIT", "cannot commit a checkpoint");
}

void rill__store_rollback(rill__store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int lookup(rill__store *s, const char *name, int *found)
{
    int rc;
    sqlite3_reset(s->get);
    sqlite3_bind_text(s->get, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s->get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, 0, "cannot read");
    *found = rc == SQLITE_ROW;
    return 0;
}

int rill__store_get_int(rill__store *s, const char *name, int64_t *value, int *found)
{
    int rc = lookup(s, name, found);
    if (rc == 0 && *found) {
        if (sqlite3_column_type(s->get, 0) != SQLITE_INTEGER)
            return rill__error(RILL_ECORRUPT, "%s: '%s' is not a number", s->path, name);
        *value = sqlite3_column_int64(s->get, 0);
    }
    sqlite3_reset(s->get);
    return rc;
}

int rill__store_get_blob(rill__store *s, const char *name, void **blob, size_t *len, int *found)
{
    int rc = lookup(s, name, found);
    *blob = NULL;
    *len = 0;
    if (rc == 0 && *found) {
        int n = sqlite3_column_bytes(s->get, 0);
        if ((*blob = malloc(n ? (size_t)n : 1)) == NULL)
            rc = rill__error(RILL_ENOMEM, "out of memory");
        else {
            if (n)
                memcpy(*blob, sqlite3_column_blob(s->get, 0), (size_t)n);
            *len = (size_t)n;
        }
    }
    sqlite3_reset(s->get);
    return rc;
}

static int set(rill__store *s)
{
    int rc = sqlite3_step(s->set);
    sqlite3_reset(s->set);
    return rc == SQLITE_DONE ? 0 : fail(s, 0, "cannot write");
}

int rill__store_set_int(rill__store *s, const char *name, int64_t value)
{
    sqlite3_bind_text(s->set, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->set, 2, value);
    return set(s);
}

int rill__store_set_blob(rill__store *s, const char *name, const void *blob, size_t len)
{
    sqlite3_bind_text(s->set, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(s->set, 2, blob ? blob : "", len, SQLITE_STATIC);
    return set(s);
}

int rill__store_clear(rill__store *s)
{
    s->digest = 0;
    return exec(s, "DELETE FROM rows", "cannot write");
}

uint64_t rill__store_digest(const rill__store *s)
{
    return s->digest;
}

int rill__store_put(rill__store *s, int kind, int64_t id, const int64_t v[4], const void *blob,
                    size_t len)
{
    int i, rc;
    s->digest = digest_row(s->digest, kind, id, v, blob, len);
    sqlite3_bind_int(s->put, 1, kind);
    sqlite3_bind_int64(s->put, 2, id);
    for (i = 0; i < 4; i++)
        sqlite3_bind_int64(s->put, 3 + i, v[i]);
    if (blob)
        sqlite3_bind_blob64(s->put, 7, blob, len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s->put, 7);
    rc = sqlite3_step(s->put);
    sqlite3_reset(s->put);
    return rc == SQLITE_DONE ? 0 : fail(s, 0, "cannot write");
}

int rill__store_each(rill__store *s, rill__row_fn fn, void *ctx, uint64_t *digest)
{
    sqlite3_stmt *st;
    uint64_t h = 0;
    int rc;
    if (sqlite3_prepare_v2(s->db, "SELECT kind, id, a, b, c, d, data FROM rows ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s, 0, "cannot read");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t v[4];
        int i;
        for (i = 0; i < 4; i++)
            v[i] = sqlite3_column_int64(st, 2 + i);
        const void *blob = sqlite3_column_blob(st, 6);
        size_t len = (size_t)sqlite3_column_bytes(st, 6);
        h = digest_row(h, sqlite3_column_int(st, 0), sqlite3_column_int64(st, 1), v,
                       sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : blob, len);
        rc = fn(ctx, sqlite3_column_int(st, 0), sqlite3_column_int64(st, 1), v, blob, len);
        if (rc != 0) {
            sqlite3_finalize(st);
            return rc;
        }
    }
    sqlite3_finalize(st);
    if (digest)
        *digest = h;
    return rc == SQLITE_DONE ? 0 : fail(s, 0, "cannot read");
}
