/* catalog_helpers.h — what test_catalog.c and test_catalog_damage.c share:
 * a scratch folder per test (dir, made by setup and removed with all in it
 * by teardown) holding the catalog file db, and helpers that turn a
 * catalog's contents, diffs and logs into short strings to compare. */
#ifndef RILL_TESTS_CATALOG_HELPERS_H
#define RILL_TESTS_CATALOG_HELPERS_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rill.h"

#if defined(__GNUC__)
#define HELPER __attribute__((unused)) static
#else
#define HELPER static
#endif

static char dir[256], db[300], blobs[320];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Where the scratch folders go: /tmp, or (CATALOG_ON_TMPFS) /dev/shm when
 * there is one, where syncing a file costs nothing. */
static int setup(void **s)
{
    const char *base = "/tmp";
    (void)s;
#ifdef CATALOG_ON_TMPFS
    if (access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
#endif
    snprintf(dir, sizeof(dir), "%s/rill-test-catalog-XXXXXX", base);
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(db, sizeof(db), "%s/cat.db", dir);
    snprintf(blobs, sizeof(blobs), "%s-blobs", db);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The catalog name in db; inline_max 0: the default. */
HELPER rill_catalog *open_cat(const char *name, size_t inline_max)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *c = NULL;
    o.path = db;
    o.inline_max = inline_max;
    assert_int_equal(rill_catalog_open(&c, name, &o), 0);
    return c;
}

HELPER void put_str(rill_catalog_txn *t, const char *key, const char *value)
{
    assert_int_equal(rill_catalog_put(t, key, strlen(key), value, strlen(value)), 0);
}

/* Commits puts "k=v" and deletes "-k", given as one string "a=1 b=2 -c". */
HELPER int64_t commit_ops(rill_catalog *c, const char *ops, const char *message)
{
    rill_catalog_txn *t;
    char buf[1024], *tok, *save = NULL, *eq;
    int64_t v;
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    snprintf(buf, sizeof(buf), "%s", ops);
    for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (tok[0] == '-') {
            assert_int_equal(rill_catalog_delete(t, tok + 1, strlen(tok + 1)), 0);
            continue;
        }
        eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        put_str(t, tok, eq + 1);
    }
    assert_int_equal(rill_catalog_commit(&v, t, message), 0);
    return v;
}

/* The data of key in version as a string ("" after a failure, rc set). */
static char got[1 << 16];
HELPER int get_str(rill_catalog *c, int64_t version, const char *key)
{
    void *data;
    size_t len;
    int rc = rill_catalog_get(&data, &len, c, version, key, strlen(key));
    got[0] = '\0';
    if (rc == 0) {
        assert_true(len < sizeof(got));
        memcpy(got, data, len);
        got[len] = '\0';
        free(data);
    }
    return rc;
}

/* A version's partitions as "k=v k=v" in key order (values read back). */
typedef struct text {
    char s[8192];
    rill_catalog *c;
    int64_t version;
} text;

HELPER void text_add(text *t, const char *fmt, ...)
{
    size_t n = strlen(t->s);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->s + n, sizeof(t->s) - n, fmt, ap);
    va_end(ap);
}

HELPER int list_one(const rill_catalog_entry *e, void *payload)
{
    text *t = payload;
    char key[256];
    assert_true(e->key_len < sizeof(key));
    memcpy(key, e->key, e->key_len);
    key[e->key_len] = '\0';
    assert_int_equal(get_str(t->c, t->version, key), 0);
    assert_int_equal(strlen(got), e->size);
    text_add(t, "%s%s=%s", t->s[0] ? " " : "", key, got);
    return 0;
}

HELPER const char *contents(rill_catalog *c, int64_t version)
{
    static text t;
    memset(&t, 0, sizeof(t));
    t.c = c;
    t.version = version;
    assert_int_equal(rill_catalog_list(c, version, list_one, &t), 0);
    return t.s;
}

/* A diff as "+a ~b -c" in key order. */
HELPER int diff_one(rill_catalog_change ch, const rill_catalog_entry *from,
                    const rill_catalog_entry *to, void *payload)
{
    text *t = payload;
    const rill_catalog_entry *e = to ? to : from;
    assert_true((ch == RILL_CATALOG_ADDED) == (from == NULL));
    assert_true((ch == RILL_CATALOG_REMOVED) == (to == NULL));
    text_add(t, "%s%c%.*s", t->s[0] ? " " : "",
             ch == RILL_CATALOG_ADDED ? '+' : ch == RILL_CATALOG_REMOVED ? '-' : '~',
             (int)e->key_len, (const char *)e->key);
    return 0;
}

HELPER const char *diff(rill_catalog *c, int64_t from, int64_t to)
{
    static text t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(rill_catalog_diff(c, from, to, diff_one, &t), 0);
    return t.s;
}

HELPER void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The bytes of path into buf (at most cap); -1 when it cannot be read. */
HELPER long read_file(const char *path, void *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL)
        return -1;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

/* How many files are under path (recursively). */
HELPER int count_files(const char *path)
{
    char sub[1024];
    struct dirent *d;
    struct stat sb;
    DIR *dp = opendir(path);
    int n = 0;
    if (dp == NULL)
        return 0;
    while ((d = readdir(dp)) != NULL) {
        if (d->d_name[0] == '.' && (d->d_name[1] == '\0' || strcmp(d->d_name, "..") == 0))
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
        if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            n += count_files(sub);
        else
            n++;
    }
    closedir(dp);
    return n;
}

/* The payload file of data (whose hash names it). */
HELPER void blob_of(char *out, size_t cap, rill_catalog *c, const char *key)
{
    rill_catalog_entry e;
    char hex[33];
    assert_int_equal(rill_catalog_stat(&e, c, RILL_CATALOG_LATEST, key, strlen(key)), 0);
    assert_int_equal(e.in_file, 1);
    rill_catalog_hash_hex(hex, e.hash);
    snprintf(out, cap, "%s/%.2s/%s", blobs, hex, hex);
}

/* The log, newest first, into a logged. */
typedef struct logged {
    int n;
    rill_catalog_version v[8];
    char msg[8][32];
} logged;

HELPER int log_one(const rill_catalog_version *v, void *payload)
{
    logged *l = payload;
    assert_true(l->n < 8);
    l->v[l->n] = *v;
    snprintf(l->msg[l->n], sizeof(l->msg[0]), "%s", v->message);
    l->n++;
    return 0;
}

/* Folders and files under base, for imports and exports. */
HELPER void mkdir_in(const char *base, const char *rel)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", base, rel);
    assert_int_equal(mkdir(p, 0777), 0);
}

HELPER void file_in(const char *base, const char *rel, const char *text)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", base, rel);
    write_file(p, text, strlen(text));
}

HELPER const char *file_text(const char *base, const char *rel)
{
    static char buf[4096];
    char p[600];
    long n;
    snprintf(p, sizeof(p), "%s/%s", base, rel);
    n = read_file(p, buf, sizeof(buf) - 1);
    buf[n < 0 ? 0 : n] = '\0';
    return n < 0 ? "(missing)" : buf;
}

#endif
