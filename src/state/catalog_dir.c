/* catalog_dir.c — catalogs and folders (a folder imported as a version,
 * a version exported as a folder) and garbage collection.
 *
 * Import reads the whole tree first (regular files, links followed to
 * files; a link to a folder or a special file is refused; the catalog's
 * own database and payload files are left out, by their inodes) so that a
 * bad path fails before anything is put; then puts every file under its
 * relative path, streamed, and deletes the keys the folder does not have.
 * An unchanged file is a put of the content the key has: no change.
 *
 * Garbage collection takes the write lock twice: first it prunes versions
 * and drops the payload rows nothing refers to, and commits; then, holding
 * the lock again so no writer can add a payload file meanwhile, it removes
 * the payload files no row refers to and the temporaries of writers that
 * died. A kill between the two leaves files that the next gc removes; a
 * kill inside either leaves the database as it was before it. */
#include "catalog.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/error.h"

typedef struct names {
    char **v;    /* NUL-terminated copies */
    size_t *len; /* their lengths (a key may hold NUL bytes) */
    size_t n, cap;
} names;

static void names_free(names *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->len);
}

static int names_add(names *l, const char *s, size_t len)
{
    char *copy;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, cap * sizeof(*v));
        size_t *lens;
        if (v == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        l->v = v;
        if ((lens = realloc(l->len, cap * sizeof(*lens))) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        l->len = lens;
        l->cap = cap;
    }
    if ((copy = malloc(len + 1)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    memcpy(copy, s, len);
    copy[len] = '\0';
    l->len[l->n] = len;
    l->v[l->n++] = copy;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The catalog's own files (its database, WAL and blobs folder), which an
 * import of a folder that holds them leaves out. */
typedef struct own_files {
    struct stat st[4];
    int n;
} own_files;

static void find_own(const rill_catalog *c, own_files *own)
{
    static const char *const tails[] = {"", "-wal", "-shm"};
    char path[8192];
    int i;
    own->n = 0;
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", c->path, tails[i]);
        if (stat(path, &own->st[own->n]) == 0)
            own->n++;
    }
    if (stat(c->blobs, &own->st[own->n]) == 0)
        own->n++;
}

static int is_own(const own_files *own, const struct stat *sb)
{
    int i;
    for (i = 0; i < own->n; i++)
        if (own->st[i].st_dev == sb->st_dev && own->st[i].st_ino == sb->st_ino)
            return 1;
    return 0;
}

/* Adds the files under root/rel (rel "" at the top) to out, as paths
 * relative to root, leaving out the catalog's own. */
static int walk(rill_catalog *c, const own_files *own, const char *root, const char *rel,
                names *out)
{
    char path[8192], sub[8192];
    struct dirent *d;
    struct stat sb, lsb;
    DIR *dir;
    int rc = 0, n;
    snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
    if ((dir = opendir(path)) == NULL)
        return rill__error_errno(errno, "catalog '%s': cannot read the folder %s", c->name, path);
    while (rc == 0 && (errno = 0, d = readdir(dir)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", d->d_name) >=
            sizeof(sub) || strlen(sub) > RILL_CATALOG_KEY_MAX) {
            rc = rill__error(RILL_EINVAL, "catalog '%s': %s/%s: a path longer than a key may be "
                             "(%d bytes)", c->name, path, d->d_name, RILL_CATALOG_KEY_MAX);
            break;
        }
        n = snprintf(path, sizeof(path), "%s/%s", root, sub);
        if (n < 0 || (size_t)n >= sizeof(path))
            rc = rill__error(RILL_EINVAL, "catalog '%s': cannot import %s/%s: too long a path",
                             c->name, root, sub);
        else if (stat(path, &sb) < 0 || lstat(path, &lsb) < 0)
            rc = rill__error_errno(errno, "catalog '%s': cannot import %s", c->name, path);
        else if (is_own(own, &sb))
            ; /* the catalog's database or payload files */
        else if (S_ISDIR(sb.st_mode) && S_ISLNK(lsb.st_mode))
            rc = rill__error(RILL_EINVAL, "catalog '%s': cannot import %s: a link to a folder",
                             c->name, path);
        else if (S_ISDIR(sb.st_mode))
            rc = walk(c, own, root, sub, out);
        else if (S_ISREG(sb.st_mode))
            rc = names_add(out, sub, strlen(sub));
        else
            rc = rill__error(RILL_EINVAL, "catalog '%s': cannot import %s: not a file nor a "
                             "folder", c->name, path);
        snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
    }
    if (rc == 0 && errno != 0)
        rc = rill__error_errno(errno, "catalog '%s': cannot read the folder %s", c->name, path);
    closedir(dir);
    return rc;
}

int rill_catalog_put_dir(rill_catalog_txn *t, const char *dirpath)
{
    names files = {0}, gone = {0};
    own_files own;
    sqlite3_stmt *st = NULL;
    struct stat sb;
    char *path = NULL;
    size_t i;
    int rc;
    if (t == NULL || t->c == NULL || t->c->txn != t || dirpath == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_put_dir: %s",
                           dirpath ? "not an open transaction" : "dir is NULL");
    if (stat(dirpath, &sb) < 0)
        return rill__error_errno(errno, "catalog '%s': cannot import %s", t->c->name, dirpath);
    if (!S_ISDIR(sb.st_mode))
        return rill__error(RILL_ENOTDIR, "catalog '%s': cannot import %s: not a folder",
                           t->c->name, dirpath);
    find_own(t->c, &own);
    if ((rc = walk(t->c, &own, dirpath, "", &files)) < 0)
        goto done;
    qsort(files.v, files.n, sizeof(*files.v), cmp_names);
    if ((path = malloc(strlen(dirpath) + RILL_CATALOG_KEY_MAX + 2)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < files.n; i++) {
        sprintf(path, "%s/%s", dirpath, files.v[i]);
        if ((rc = rill_catalog_put_file(t, files.v[i], strlen(files.v[i]), path)) < 0)
            goto done;
    }
    /* the keys the folder does not have */
    if (sqlite3_prepare_v2(t->c->db, "SELECT key FROM rill_cat_entries WHERE catalog = ?1 AND "
                           "to_v IS NULL", -1, &st, NULL) != SQLITE_OK) {
        rc = rill__cat_fail(t->c, "cannot read its partitions");
        goto done;
    }
    sqlite3_bind_int64(st, 1, t->c->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        char *probe;
        if ((probe = malloc(len + 1)) == NULL) {
            rc = rill__error(RILL_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(probe, key ? key : "", len);
        probe[len] = '\0';
        if ((memchr(probe, '\0', len) != NULL ||
             bsearch(&probe, files.v, files.n, sizeof(*files.v), cmp_names) == NULL) &&
            (rc = names_add(&gone, key ? key : "", len)) < 0) {
            free(probe);
            goto done;
        }
        free(probe);
    }
    if (rc != SQLITE_DONE) {
        rc = rill__cat_fail(t->c, "cannot read its partitions");
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = 0;
    for (i = 0; i < gone.n && rc == 0; i++)
        rc = rill_catalog_delete(t, gone.v[i], gone.len[i]);
done:
    sqlite3_finalize(st);
    free(path);
    names_free(&files);
    names_free(&gone);
    return rc;
}

int rill_catalog_import(int64_t *version, rill_catalog *c, const char *dir, const char *message)
{
    rill_catalog_txn *t;
    int rc;
    if (version)
        *version = 0;
    if ((rc = rill_catalog_begin(&t, c)) < 0)
        return rc;
    if ((rc = rill_catalog_put_dir(t, dir)) < 0) {
        rill_catalog_abort(t);
        return rc;
    }
    return rill_catalog_commit(version, t, message);
}

/* ---- export ---- */

typedef struct exported {
    rill_catalog_entry *v;
    size_t n, cap;
} exported;

static int collect(const rill_catalog_entry *e, void *payload)
{
    exported *x = payload;
    void *key;
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 64;
        rill_catalog_entry *v = realloc(x->v, cap * sizeof(*v));
        if (v == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        x->v = v;
        x->cap = cap;
    }
    if ((key = malloc(e->key_len + 1)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    memcpy(key, e->key, e->key_len);
    ((char *)key)[e->key_len] = '\0';
    x->v[x->n] = *e;
    x->v[x->n++].key = key;
    return 0;
}

/* 1 when key is a relative path a file can have. */
static int safe_path(const char *key, size_t len)
{
    size_t i, start = 0;
    if (len == 0 || memchr(key, '\0', len) != NULL || key[0] == '/')
        return 0;
    for (i = 0; i <= len; i++)
        if (i == len || key[i] == '/') {
            size_t n = i - start;
            if (n == 0 || (n == 1 && key[start] == '.') ||
                (n == 2 && key[start] == '.' && key[start + 1] == '.'))
                return 0;
            start = i + 1;
        }
    return 1;
}

int rill_catalog_export(rill_catalog *c, int64_t version, const char *dir)
{
    exported x = {0};
    char *dest = NULL, q[128];
    size_t i;
    int rc;
    if (c == NULL || dir == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_export: NULL argument");
    rc = rill_catalog_list(c, version, collect, &x);
    if (rc == RILL_EUSER) /* collect's own failure */
        rc = rill__error(RILL_ENOMEM, "out of memory");
    for (i = 0; i < x.n && rc == 0; i++)
        if (!safe_path(x.v[i].key, x.v[i].key_len)) {
            rill__cat_quote(q, sizeof(q), x.v[i].key, x.v[i].key_len);
            rc = rill__error(RILL_EINVAL, "catalog '%s': cannot export key %s: not a relative "
                             "path (nothing was written)", c->name, q);
        }
    if (rc == 0 && (dest = malloc(strlen(dir) + RILL_CATALOG_KEY_MAX + 2)) == NULL)
        rc = rill__error(RILL_ENOMEM, "out of memory");
    if (rc == 0) { /* dir itself, also for an empty version */
        sprintf(dest, "%s/.", dir);
        rc = rill__cat_mkdirs(dest);
    }
    for (i = 0; i < x.n && rc == 0; i++) {
        sprintf(dest, "%s/%s", dir, (const char *)x.v[i].key);
        if ((rc = rill__cat_mkdirs(dest)) == 0)
            rc = rill__cat_load_to(c, &x.v[i], dest);
    }
    for (i = 0; i < x.n; i++)
        free((void *)x.v[i].key);
    free(x.v);
    free(dest);
    return rc;
}

/* ---- garbage collection ---- */

static int changes_of(rill_catalog *c, const char *sql, int64_t a, int64_t b, int64_t *n)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot collect garbage");
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot collect garbage");
    sqlite3_finalize(st);
    *n = sqlite3_changes(c->db);
    return rc;
}

static int is_hex(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[n] == '\0';
}

static int ends_tmp(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcmp(s + n - 4, ".tmp") == 0;
}

/* Removes path, counting it in stats. */
static void remove_file(const char *path, rill_catalog_gc_stats *stats)
{
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && unlink(path) == 0) {
        stats->files_removed++;
        stats->bytes_removed += (uint64_t)sb.st_size;
    }
}

/* *n: the distinct contents the file's entries hold (a pass over them:
 * they have no index by hash, which every put would pay for). */
static int contents(rill_catalog *c, int64_t *n)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(c->db, "SELECT count(DISTINCT hash) FROM rill_cat_entries", -1, &st,
                           NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot collect garbage");
    *n = 0;
    rc = sqlite3_step(st) == SQLITE_ROW ? 0 : rill__cat_fail(c, "cannot collect garbage");
    if (rc == 0)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/* The payload files and temporaries no row refers to (write lock held):
 * the hashes rows keep in files, gathered once in a temporary table. */
static int sweep(rill_catalog *c, rill_catalog_gc_stats *stats)
{
    char path[8192];
    unsigned char hash[RILL_CATALOG_HASH_SIZE];
    struct dirent *d, *f;
    DIR *top, *sub;
    sqlite3_stmt *st = NULL;
    int rc = 0, i;
    if ((top = opendir(c->blobs)) == NULL)
        return errno == ENOENT ? 0 : rill__error_errno(errno, "%s: cannot read", c->blobs);
    if ((rc = rill__cat_exec(c, "DELETE FROM temp.rill_cat_files; INSERT OR IGNORE INTO "
                             "temp.rill_cat_files SELECT hash FROM rill_cat_entries WHERE data "
                             "IS NULL", "cannot collect garbage")) < 0 ||
        sqlite3_prepare_v2(c->db, "SELECT 1 FROM temp.rill_cat_files WHERE hash = ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        closedir(top);
        return rc < 0 ? rc : rill__cat_fail(c, "cannot collect garbage");
    }
    while (rc == 0 && (d = readdir(top)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", c->blobs, d->d_name);
        if (ends_tmp(d->d_name)) {
            remove_file(path, stats);
            continue;
        }
        if (!is_hex(d->d_name, 2) || (sub = opendir(path)) == NULL)
            continue;
        while (rc == 0 && (f = readdir(sub)) != NULL) {
            snprintf(path, sizeof(path), "%s/%s/%s", c->blobs, d->d_name, f->d_name);
            if (ends_tmp(f->d_name)) {
                remove_file(path, stats);
            } else if (is_hex(f->d_name, 32) && strncmp(f->d_name, d->d_name, 2) == 0) {
                int keep;
                for (i = 0; i < RILL_CATALOG_HASH_SIZE; i++)
                    sscanf(f->d_name + 2 * i, "%2hhx", &hash[i]);
                sqlite3_reset(st);
                sqlite3_bind_blob(st, 1, hash, RILL_CATALOG_HASH_SIZE, SQLITE_STATIC);
                rc = sqlite3_step(st);
                keep = rc == SQLITE_ROW;
                rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                           : rill__cat_fail(c, "cannot read");
                sqlite3_reset(st);
                if (rc == 0 && !keep)
                    remove_file(path, stats);
            }
        }
        closedir(sub);
        snprintf(path, sizeof(path), "%s/%s", c->blobs, d->d_name);
        rmdir(path); /* when it is empty */
    }
    closedir(top);
    sqlite3_finalize(st);
    return rc;
}

int rill_catalog_gc(rill_catalog_gc_stats *stats, rill_catalog *c,
                    const rill_catalog_gc_options *opts)
{
    rill_catalog_gc_options o = RILL_CATALOG_GC_OPTIONS_INIT;
    rill_catalog_gc_stats s = {0};
    int64_t latest, n;
    int rc;
    if (stats)
        memset(stats, 0, sizeof(*stats));
    if (c == NULL)
        return rill__error(RILL_EINVAL, "rill_catalog_gc: c is NULL");
    if (opts) {
        if (opts->version < 1 || opts->version > RILL_CATALOG_GC_OPTIONS_VERSION)
            return rill__error(RILL_EINVAL, "rill_catalog_gc: options version %u (this rill "
                               "knows 1 to %d)", opts->version, RILL_CATALOG_GC_OPTIONS_VERSION);
        o = *opts;
    }
    if (o.keep < 0)
        return rill__error(RILL_EINVAL, "rill_catalog_gc: keep is %lld (0: all versions)",
                           (long long)o.keep);
    if (c->txn)
        return rill__error(RILL_EBUSY, "catalog '%s' in %s: cannot collect garbage while this "
                           "handle has a transaction open", c->name, c->path);
    if ((rc = rill__cat_lock(c, "collect garbage")) < 0)
        return rc;
    if ((rc = rill_catalog_latest(&latest, c)) < 0)
        goto bad;
    if (o.keep > 0 && latest - o.keep >= 1) {
        int64_t first = latest - o.keep + 1; /* the first version kept */
        int64_t before = 0, after = 0;
        if ((rc = contents(c, &before)) < 0 ||
            (rc = changes_of(c, "UPDATE rill_cat_versions SET pruned = 1 WHERE catalog = ?1 AND "
                             "version < ?2 AND pruned = 0", c->id, first, &s.versions_pruned)) < 0 ||
            (rc = changes_of(c, "DELETE FROM rill_cat_entries WHERE catalog = ?1 AND to_v IS NOT "
                             "NULL AND to_v <= ?2", c->id, first, &n)) < 0 ||
            (rc = contents(c, &after)) < 0)
            goto bad;
        s.payloads_removed = (uint64_t)(before - after);
    }
    if ((rc = rill__cat_unlock(c, 1, "cannot collect garbage")) < 0)
        return rc;
    if ((rc = rill__cat_lock(c, "collect garbage")) < 0)
        return rc != RILL_EBUSY ? rc
                                : rill__error(rc, "catalog '%s' in %s: versions were pruned and "
                                              "payloads dropped, but another writer began "
                                              "before their files were removed; run gc again",
                                              c->name, c->path);
    rc = sweep(c, &s);
    rill__cat_unlock(c, 0, NULL);
    if (stats)
        *stats = s;
    return rc;
bad:
    rill__cat_unlock(c, 0, NULL);
    return rc;
}
