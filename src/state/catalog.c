/* catalog.c — opening a catalog: the SQLite file, its schema (catalog.h),
 * the handle's statements, and what the other catalog files share
 * (errors, the write lock, versions).
 *
 * Opening reads before it writes: a file that is not an SQLite database,
 * that holds tables but no rill_schema (somebody else's), or whose
 * rill_cat_* tables have other columns than these, is RILL_ECORRUPT; a
 * catalog format other than this rill's is RILL_EVERSION; none of them is
 * written. Tables of other rill components (a checkpoint's rill_ckpt_*)
 * and of later parts are left alone. Opening does not read the whole file
 * (no quick_check: a catalog may be large): damaged pages are found when
 * they are read (SQLITE_CORRUPT, RILL_ECORRUPT), and data by its hash.
 *
 * Locking is SQLite's own (WAL mode): readers never wait for the writer;
 * a writer takes the write lock with BEGIN IMMEDIATE, waiting at most
 * wait_ms, else RILL_EBUSY. Other statements wait up to BUSY_MS for the
 * short locks SQLite takes itself (a WAL checkpoint, recovery). */
#include "catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../util/error.h"

#define BUSY_MS 5000

void (*rill__catalog_commit_hook)(void);

static const char *const stmt_sql[CS_COUNT] = {
    [CS_LATEST] = "SELECT max(version) FROM rill_cat_versions WHERE catalog = ?1",
    [CS_VERSION] = "SELECT pruned FROM rill_cat_versions WHERE catalog = ?1 AND version = ?2",
    /* a key's rows are found by the primary key (catalog, key, from_v), the
     * latest first: one seek however long the key's history */
    [CS_LIVE] = "SELECT from_v, hash, to_v IS NULL FROM rill_cat_entries WHERE catalog = ?1 AND "
                "key = ?2 ORDER BY from_v DESC LIMIT 1",
    [CS_CLOSED] = "SELECT from_v, hash, to_v FROM rill_cat_entries WHERE catalog = ?1 AND "
                  "key = ?2 AND from_v < ?3 ORDER BY from_v DESC LIMIT 1",
    [CS_AT] = "SELECT hash, size, from_v, to_v IS NULL OR to_v > ?3, data IS NULL, data "
              "FROM rill_cat_entries WHERE catalog = ?1 AND key = ?2 AND from_v <= ?3 "
              "ORDER BY from_v DESC LIMIT 1",
    [CS_INSERT] = "INSERT INTO rill_cat_entries(catalog, key, from_v, to_v, hash, size, data) "
                  "VALUES(?1, ?2, ?3, NULL, ?4, ?5, ?6)",
    [CS_CLOSE] = "UPDATE rill_cat_entries SET to_v = ?4 WHERE catalog = ?1 AND key = ?2 AND "
                 "from_v = ?3",
    [CS_REOPEN] = "UPDATE rill_cat_entries SET to_v = NULL WHERE catalog = ?1 AND key = ?2 AND "
                  "from_v = ?3",
    [CS_DROP] = "DELETE FROM rill_cat_entries WHERE catalog = ?1 AND key = ?2 AND from_v = ?3",
    /* the version row of a commit, its counts from the rows (a statement
     * that takes longer to prepare than to run: prepared once) */
    [CS_ADD_VERSION] =
        "INSERT INTO rill_cat_versions(catalog, version, time_ms, message, partitions, bytes, "
        "added, removed, changed, pruned) SELECT ?1, ?2, ?3, ?4, "
        "coalesce(p.partitions, 0) + a.n - r.n, coalesce(p.bytes, 0) + bi.s - bo.s, "
        "a.n, r.n, ch.n, 0 FROM "
        "(SELECT count(*) AS n FROM rill_cat_entries e INDEXED BY rill_cat_entries_from "
        " WHERE e.catalog = ?1 AND e.from_v = ?2 "
        " AND NOT EXISTS (SELECT 1 FROM rill_cat_entries o INDEXED BY rill_cat_entries_to "
        " WHERE o.catalog = ?1 AND o.to_v = ?2 AND o.key = e.key)) AS a, "
        "(SELECT count(*) AS n FROM rill_cat_entries e INDEXED BY rill_cat_entries_to "
        " WHERE e.catalog = ?1 AND e.to_v = ?2 "
        " AND NOT EXISTS (SELECT 1 FROM rill_cat_entries o INDEXED BY rill_cat_entries_from "
        " WHERE o.catalog = ?1 AND o.from_v = ?2 AND o.key = e.key)) AS r, "
        "(SELECT count(*) AS n FROM rill_cat_entries e INDEXED BY rill_cat_entries_from "
        " WHERE e.catalog = ?1 AND e.from_v = ?2 "
        " AND EXISTS (SELECT 1 FROM rill_cat_entries o INDEXED BY rill_cat_entries_to "
        " WHERE o.catalog = ?1 AND o.to_v = ?2 AND o.key = e.key)) AS ch, "
        "(SELECT coalesce(sum(size), 0) AS s FROM rill_cat_entries INDEXED BY "
        " rill_cat_entries_from WHERE catalog = ?1 AND from_v = ?2) AS bi, "
        "(SELECT coalesce(sum(size), 0) AS s FROM rill_cat_entries INDEXED BY "
        " rill_cat_entries_to WHERE catalog = ?1 AND to_v = ?2) AS bo "
        "LEFT JOIN rill_cat_versions p ON p.catalog = ?1 AND p.version = ?2 - 1",
    [CS_DATA] = "SELECT data FROM rill_cat_entries WHERE catalog = ?1 AND key = ?2 AND "
                "from_v = ?3",
};

/* The tables: name, columns in order, and their declaration. */
typedef struct table {
    const char *name;
    int ncols;
    const char *cols[10];
    const char *create;
    const char *options; /* after the columns, or NULL */
} table;

static const table tables[] = {
    {"rill_cat_catalogs", 3, {"id", "name", "created_ms"},
     "id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL", NULL},
    {"rill_cat_versions", 10,
     {"catalog", "version", "time_ms", "message", "partitions", "bytes", "added", "removed",
      "changed", "pruned"},
     "catalog INTEGER NOT NULL, version INTEGER NOT NULL, time_ms INTEGER NOT NULL, "
     "message TEXT, partitions INTEGER NOT NULL, bytes INTEGER NOT NULL, "
     "added INTEGER NOT NULL, removed INTEGER NOT NULL, changed INTEGER NOT NULL, "
     "pruned INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(catalog, version)", " WITHOUT ROWID"},
    {"rill_cat_entries", 7, {"catalog", "key", "from_v", "to_v", "hash", "size", "data"},
     "catalog INTEGER NOT NULL, key BLOB NOT NULL, from_v INTEGER NOT NULL, to_v INTEGER, "
     "hash BLOB NOT NULL, size INTEGER NOT NULL, data BLOB, PRIMARY KEY(catalog, key, from_v)",
     " WITHOUT ROWID"},
};
#define NTABLES ((int)(sizeof(tables) / sizeof(tables[0])))

/* Two indexes besides the primary key, for what changed at a version
 * (diffs, a commit's counts); rows still live are not in the second. A
 * change writes the key's page and appends to both: a put costs one
 * random page, not one per index (the benchmark incremental_speedup). */
static const char *const indexes =
    "CREATE INDEX rill_cat_entries_from ON rill_cat_entries(catalog, from_v, key);"
    "CREATE INDEX rill_cat_entries_to ON rill_cat_entries(catalog, to_v, key) "
    "WHERE to_v IS NOT NULL;";

int rill__cat_fail(rill_catalog *c, const char *doing)
{
    int e = sqlite3_errcode(c->db), os = sqlite3_system_errno(c->db);
    int code;
    if (os && rill__errno_code(os) != RILL_EIO)
        return rill__error_errno(os, "catalog '%s' in %s: %s", c->name, c->path, doing);
    code = (e == SQLITE_CORRUPT || e == SQLITE_NOTADB || e == SQLITE_FORMAT) ? RILL_ECORRUPT
           : e == SQLITE_FULL                                             ? RILL_ENOSPC
           : e == SQLITE_NOMEM                                            ? RILL_ENOMEM
           : e == SQLITE_BUSY || e == SQLITE_LOCKED                       ? RILL_EBUSY
           : e == SQLITE_READONLY || e == SQLITE_PERM                     ? RILL_EACCES
                                                                          : RILL_EIO;
    return rill__error(code, "catalog '%s' in %s: %s: %s", c->name, c->path, doing,
                       sqlite3_errmsg(c->db));
}

int rill__cat_exec(rill_catalog *c, const char *sql, const char *doing)
{
    return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : rill__cat_fail(c, doing);
}

sqlite3_stmt *rill__cat_stmt(rill_catalog *c, int i)
{
    sqlite3_reset(c->st[i]);
    sqlite3_clear_bindings(c->st[i]);
    return c->st[i];
}

int64_t rill__cat_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sqlite3 *rill__catalog_db(rill_catalog *c)
{
    return c->db;
}

void rill__cat_quote(char *out, size_t cap, const void *key, size_t len)
{
    rill__quote(out, cap, key, len);
}

int rill__cat_check_key(const rill_catalog *c, const void *key, size_t len)
{
    if (key == NULL || len == 0 || len > RILL_CATALOG_KEY_MAX)
        return rill__error(RILL_EINVAL, "catalog '%s': a key is 1 to %d bytes (this one is %s%zu)",
                           c->name, RILL_CATALOG_KEY_MAX, key ? "" : "NULL, ", len);
    return 0;
}

/* One integer from a one-column statement on c (NULL gives *found 0). */
static int one_int(rill_catalog *c, sqlite3_stmt *st, int64_t *v, int *found, const char *doing)
{
    int rc = sqlite3_step(st);
    *found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
        *v = sqlite3_column_int64(st, 0);
        *found = 1;
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    rc = rill__cat_fail(c, doing);
    sqlite3_reset(st);
    return rc;
}

int rill_catalog_latest(int64_t *out, rill_catalog *c)
{
    sqlite3_stmt *st;
    int found, rc;
    if (out == NULL || c == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_latest: NULL argument");
    *out = 0;
    st = rill__cat_stmt(c, CS_LATEST);
    sqlite3_bind_int64(st, 1, c->id);
    if ((rc = one_int(c, st, out, &found, "cannot read its versions")) < 0)
        return rc;
    if (!found)
        *out = 0;
    return 0;
}

int rill__cat_resolve(rill_catalog *c, int64_t version, int64_t *out)
{
    sqlite3_stmt *st;
    int64_t latest = 0, pruned = 0;
    int found, rc;
    if ((rc = rill_catalog_latest(&latest, c)) < 0)
        return rc;
    if (version == RILL_CATALOG_LATEST)
        version = latest;
    if (version < 0 || version > latest)
        return rill__error(RILL_ENOTFOUND, "catalog '%s' in %s has no version %lld (the latest "
                           "is %lld)", c->name, c->path, (long long)version, (long long)latest);
    if (version > 0) {
        st = rill__cat_stmt(c, CS_VERSION);
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int64(st, 2, version);
        if ((rc = one_int(c, st, &pruned, &found, "cannot read its versions")) < 0)
            return rc;
        if (!found)
            return rill__error(RILL_ECORRUPT, "catalog '%s' in %s: a damaged file (version %lld "
                               "of %lld is missing from its log)", c->name, c->path,
                               (long long)version, (long long)latest);
        if (pruned)
            return rill__error(RILL_ENOTFOUND, "catalog '%s' in %s: version %lld was pruned by "
                               "garbage collection (its log entry is all that is left)",
                               c->name, c->path, (long long)version);
    }
    *out = version;
    return 0;
}

/* *match: 1 when table t exists with exactly its columns, 0 when it does
 * not exist, -1 when its columns differ. */
static int columns(rill_catalog *c, const char *name, const char *const *cols, int n, int *match)
{
    sqlite3_stmt *st;
    int rc, i = 0;
    *match = 1;
    if (sqlite3_prepare_v2(c->db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1, &st,
                           NULL) != SQLITE_OK)
        return rill__cat_fail(c, "not a rill catalog file");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        if (i >= n || col == NULL || strcmp(col, cols[i]) != 0)
            *match = -1;
        i++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rill__cat_fail(c, "not a rill catalog file");
    *match = i == 0 ? 0 : i != n ? -1 : *match;
    return 0;
}

static int not_ours(rill_catalog *c, const char *why)
{
    return rill__error(RILL_ECORRUPT, "%s: not a rill catalog file (%s); it was left as it was",
                       c->path, why);
}

/* Reads what the file is: *fresh 1 when it has no catalog tables yet. */
static int check(rill_catalog *c, int *fresh)
{
    static const char *const schema_cols[] = {"component", "version"};
    sqlite3_stmt *st;
    int64_t version = 0, ntables = 0;
    int rc, m, i, found = 0, present = 0;
    char other[128] = "";
    if (sqlite3_prepare_v2(c->db, "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                           "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "not a rill catalog file");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        ntables++;
        if (name && strncmp(name, "rill_", 5) != 0 && other[0] == '\0')
            snprintf(other, sizeof(other), "%s", name);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rill__cat_fail(c, "not a rill catalog file");
    if ((rc = columns(c, "rill_schema", schema_cols, 2, &m)) < 0)
        return rc;
    if (m < 0)
        return not_ours(c, "its table rill_schema has other columns than rill's");
    if (m == 0 && ntables > 0) {
        char why[256];
        snprintf(why, sizeof(why), "it holds tables of something else, such as '%s'",
                 other[0] ? other : "rill_?");
        return not_ours(c, why);
    }
    if (m > 0) {
        if (sqlite3_prepare_v2(c->db, "SELECT version FROM rill_schema WHERE component = "
                               "'catalog'", -1, &st, NULL) != SQLITE_OK)
            return rill__cat_fail(c, "not a rill catalog file");
        if ((rc = one_int(c, st, &version, &found, "not a rill catalog file")) < 0) {
            sqlite3_finalize(st);
            return rc;
        }
        sqlite3_finalize(st);
    }
    if (found && version != RILL__CATALOG_FORMAT)
        return rill__error(RILL_EVERSION, "%s: catalogs written in format %lld by %s rill; this "
                           "one reads format %d", c->path, (long long)version,
                           version > RILL__CATALOG_FORMAT ? "a newer" : "an older",
                           RILL__CATALOG_FORMAT);
    for (i = 0; i < NTABLES; i++) {
        if ((rc = columns(c, tables[i].name, tables[i].cols, tables[i].ncols, &m)) < 0)
            return rc;
        if (m < 0) {
            char why[128];
            snprintf(why, sizeof(why), "its table %s has other columns than rill's",
                     tables[i].name);
            return not_ours(c, why);
        }
        present += m;
    }
    if (found ? present != NTABLES : present != 0)
        return rill__error(RILL_ECORRUPT, "%s: a damaged rill catalog file (%s)", c->path,
                           found ? "some of its tables are missing"
                                 : "its tables are there but not its format");
    *fresh = !found;
    return 0;
}

/* The tables of a fresh file, in one transaction (another handle may be
 * making them at the same time: the second finds them made). */
static int create_tables(rill_catalog *c)
{
    char sql[768];
    int i, rc, fresh = 0;
    if ((rc = rill__cat_lock(c, "make its tables")) < 0)
        return rc;
    if ((rc = check(c, &fresh)) < 0 || !fresh)
        goto done;
    rc = rill__cat_exec(c, "CREATE TABLE IF NOT EXISTS rill_schema(component TEXT PRIMARY KEY, "
                           "version INTEGER NOT NULL)", "cannot write");
    for (i = 0; i < NTABLES && rc == 0; i++) {
        snprintf(sql, sizeof(sql), "CREATE TABLE %s(%s)%s", tables[i].name, tables[i].create,
                 tables[i].options ? tables[i].options : "");
        rc = rill__cat_exec(c, sql, "cannot write");
    }
    snprintf(sql, sizeof(sql), "INSERT INTO rill_schema VALUES('catalog', %d)",
             RILL__CATALOG_FORMAT);
    if (rc == 0 && (rc = rill__cat_exec(c, indexes, "cannot write")) == 0)
        rc = rill__cat_exec(c, sql, "cannot write");
done:
    if (rc == 0)
        return rill__cat_unlock(c, 1, "cannot write");
    rill__cat_unlock(c, 0, NULL);
    return rc;
}

/* c->id: the catalog's row, made when missing and create is set. */
static int find(rill_catalog *c, int create)
{
    sqlite3_stmt *st = NULL;
    int rc, found, locked = 0;
    for (;;) {
        if (sqlite3_prepare_v2(c->db, "SELECT id FROM rill_cat_catalogs WHERE name = ?1", -1, &st,
                               NULL) != SQLITE_OK)
            return rill__cat_fail(c, "cannot read its catalogs");
        sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
        rc = one_int(c, st, &c->id, &found, "cannot read its catalogs");
        sqlite3_finalize(st);
        if (rc < 0 || found || locked)
            break;
        if (!create)
            return rill__error(RILL_ENOTFOUND, "%s has no catalog '%s'", c->path, c->name);
        if ((rc = rill__cat_lock(c, "make the catalog")) < 0)
            return rc;
        locked = 1;
        if (sqlite3_prepare_v2(c->db, "INSERT OR IGNORE INTO rill_cat_catalogs(name, created_ms) "
                               "VALUES(?1, ?2)", -1,
                               &st, NULL) != SQLITE_OK) {
            rc = rill__cat_fail(c, "cannot make the catalog");
            break;
        }
        sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, rill__cat_now_ms());
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot make the catalog");
        sqlite3_finalize(st);
        if (rc < 0)
            break;
    }
    if (locked)
        return rc == 0 ? rill__cat_unlock(c, 1, "cannot make the catalog")
                       : (rill__cat_unlock(c, 0, NULL), rc);
    return rc;
}

static int check_name(const char *name)
{
    size_t i, n;
    if (name == NULL || (n = strlen(name)) == 0 || n > 255)
        return rill__error(RILL_EINVAL, "a catalog's name is 1 to 255 bytes (%s)",
                           name ? "this one is not" : "NULL");
    for (i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return rill__error(RILL_EINVAL, "a catalog's name has no control characters");
    return 0;
}

/* A new connection's file: rill's (or empty, and made rill's with create). */
static int prepare_file(rill_catalog *c, int create)
{
    int rc, fresh = 0;
    if ((rc = check(c, &fresh)) < 0)
        return rc;
    if (fresh && !create)
        return rill__error(RILL_ENOTFOUND, "%s has no catalog '%s' (it holds none)", c->path,
                           c->name);
    return fresh ? create_tables(c) : 0;
}

int rill_catalog_open(rill_catalog **out, const char *name, const rill_catalog_options *opts)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *c = NULL;
    struct stat sb;
    int rc, i;
    if (out == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_open: out is NULL");
    *out = NULL;
    if ((rc = check_name(name)) < 0)
        return rc;
    if (opts) {
        if (opts->version < 1 || opts->version > RILL_CATALOG_OPTIONS_VERSION)
            return rill__error(RILL_EINVAL, "rill_catalog_open: options version %u (this rill "
                               "knows 1 to %d)", opts->version, RILL_CATALOG_OPTIONS_VERSION);
        o = *opts;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    c->inline_max = o.inline_max ? o.inline_max : RILL__CATALOG_INLINE_MAX;
    if (c->inline_max > RILL__CATALOG_INLINE_LIMIT)
        c->inline_max = RILL__CATALOG_INLINE_LIMIT;
    c->wait_ms = o.wait_ms;
    c->path = strdup(o.path ? o.path : RILL__CATALOG_DEFAULT_PATH);
    c->name = strdup(name);
    if (c->path && c->path[0] == '\0') {
        rc = rill__error(RILL_EINVAL, "rill_catalog_open: the path is empty");
        goto bad;
    }
    if (c->path)
        c->blobs = malloc(strlen(c->path) + 7);
    if (c->path == NULL || c->name == NULL || c->blobs == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto bad;
    }
    sprintf(c->blobs, "%s-blobs", c->path);
    if (!o.create && stat(c->path, &sb) < 0) {
        rc = errno == ENOENT ? rill__error(RILL_ENOTFOUND, "%s: no catalogs (no such file)",
                                           c->path)
                             : rill__error_errno(errno, "%s: cannot open", c->path);
        goto bad;
    }
    if (o.create && (rc = rill__cat_mkdirs(c->path)) < 0)
        goto bad;
    if ((rc = rill__cat_connect(c, o.create, prepare_file)) < 0 || (rc = find(c, o.create)) < 0)
        goto bad;
    for (i = 0; i < CS_COUNT; i++)
        if (sqlite3_prepare_v2(c->db, stmt_sql[i], -1, &c->st[i], NULL) != SQLITE_OK) {
            rc = rill__cat_fail(c, "not a rill catalog file");
            goto bad;
        }
    *out = c;
    return 0;
bad:
    rill_catalog_free(c);
    return rc;
}

void rill_catalog_free(rill_catalog *c)
{
    int i;
    if (c == NULL)
        return;
    rill_catalog_abort(c->txn);
    for (i = 0; i < CS_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    rill__cat_disconnect(c);
    free(c->path);
    free(c->blobs);
    free(c->name);
    free(c);
}

const char *rill_catalog_name(const rill_catalog *c)
{
    return c ? c->name : "";
}

const char *rill_catalog_path(const rill_catalog *c)
{
    return c ? c->path : "";
}

int rill_catalog_names(const char *path, rill_catalog_name_fn fn, void *payload)
{
    rill_catalog c;
    sqlite3_stmt *st = NULL;
    struct stat sb;
    int rc, fresh = 0, r;
    if (fn == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_names: fn is NULL");
    memset(&c, 0, sizeof(c));
    c.path = (char *)(path ? path : RILL__CATALOG_DEFAULT_PATH);
    c.name = (char *)"*";
    if (stat(c.path, &sb) < 0)
        return errno == ENOENT ? rill__error(RILL_ENOTFOUND, "%s: no catalogs (no such file)",
                                             c.path)
                               : rill__error_errno(errno, "%s: cannot open", c.path);
    if (sqlite3_open_v2(c.path, &c.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = c.db ? rill__cat_fail(&c, "cannot open the file")
                  : rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(c.db, BUSY_MS);
    sqlite3_extended_result_codes(c.db, 0);
    if ((rc = check(&c, &fresh)) < 0 || fresh)
        goto done;
    if (sqlite3_prepare_v2(c.db, "SELECT name FROM rill_cat_catalogs ORDER BY CAST(name AS BLOB)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = rill__cat_fail(&c, "cannot read its catalogs");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int u = fn(name ? name : "", payload);
        if (u != 0) {
            rc = rill__error(RILL_EUSER, "%s: the catalog names callback returned %d", c.path, u);
            goto done;
        }
    }
    if (r != SQLITE_DONE)
        rc = rill__cat_fail(&c, "cannot read its catalogs");
done:
    sqlite3_finalize(st);
    sqlite3_close(c.db);
    return rc;
}
