/* compile_last.c — the last compile's commit of an output catalog, read
 * from the compile's tables (compile.c) without the compile itself: its
 * version, decision, inputs and fingerprints (rill_compile_last, for
 * `rill catalog why OUTPUT`). */
#include "compile.h"

#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

static int damaged(rill_catalog *c, const char *what)
{
    return rill__error(RILL_ECORRUPT, "catalog '%s' in %s: a damaged file (%s of its last "
                       "compile)", rill_catalog_name(c), rill_catalog_path(c), what);
}

/* Whether the compile's tables are in c's file (none before a first run). */
static int has_tables(rill_catalog *c, int *yes)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                           "name IN ('rill_cmp_commits', 'rill_cmp_inputs')", -1, &st,
                           NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot read its compile tables");
    rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 2;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rill__cat_fail(c, "cannot read its compile tables");
}

static int read_commit(rill_compile_commit *out, rill_catalog *c)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(c->db, "SELECT version, time_ms, pattern, incremental, reason, "
                           "fingerprints, (SELECT count(*) FROM rill_cmp_inputs WHERE output = "
                           "?1) FROM rill_cmp_commits WHERE output = ?1 ORDER BY version DESC "
                           "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot read its last compile");
    sqlite3_bind_int64(st, 1, c->id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *reason = (const char *)sqlite3_column_text(st, 4);
        out->version = sqlite3_column_int64(st, 0);
        out->time_ms = sqlite3_column_int64(st, 1);
        out->pattern = sqlite3_column_int(st, 2);
        out->incremental = sqlite3_column_int(st, 3);
        out->inputs = sqlite3_column_int(st, 6);
        snprintf(out->reason, sizeof(out->reason), "%s", reason ? reason : "");
        rc = 0;
        if (sqlite3_column_type(st, 5) == SQLITE_BLOB &&
            (rc = rill_fingerprints_decode(&out->fingerprints, sqlite3_column_blob(st, 5),
                                           (size_t)sqlite3_column_bytes(st, 5))) < 0 &&
            rc != RILL_ENOMEM && rc != RILL_EVERSION)
            rc = damaged(c, "the fingerprints");
    } else {
        rc = rc == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot read its last compile");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The inputs of the last commit, kept to be given to fn once the read is
 * over (fn may use the file). */
typedef struct input_row {
    int input;
    char *path, *name; /* owned */
    int64_t version;
} input_row;

static void free_rows(input_row *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(v[i].path);
        free(v[i].name);
    }
    free(v);
}

static int read_inputs(rill_catalog *c, input_row **rows, size_t *n)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(c->db, "SELECT input, path, name, version FROM rill_cmp_inputs "
                           "WHERE output = ?1 ORDER BY input", -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot read the inputs of its last compile");
    sqlite3_bind_int64(st, 1, c->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        input_row *v;
        if (path == NULL || name == NULL) {
            rc = damaged(c, "an input");
            goto out;
        }
        if ((v = realloc(*rows, (*n + 1) * sizeof(**rows))) == NULL) {
            rc = rill__error(RILL_ENOMEM, "out of memory");
            goto out;
        }
        *rows = v;
        v[*n].input = sqlite3_column_int(st, 0);
        v[*n].version = sqlite3_column_int64(st, 3);
        v[*n].path = strdup(path);
        v[*n].name = strdup(name);
        (*n)++;
        if (v[*n - 1].path == NULL || v[*n - 1].name == NULL) {
            rc = rill__error(RILL_ENOMEM, "out of memory");
            goto out;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : rill__cat_fail(c, "cannot read the inputs of its last compile");
out:
    sqlite3_finalize(st);
    return rc;
}

int rill_compile_last(rill_compile_commit *out, rill_catalog *output, rill_compile_input_fn fn,
                      void *payload)
{
    input_row *rows = NULL;
    size_t n = 0, i;
    int rc, yes = 0, began, ret;
    if (out == NULL || output == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_last: NULL argument");
    memset(out, 0, sizeof(*out));
    /* the commit and its inputs from one snapshot, no other handle of the
     * process writing meanwhile */
    if ((began = rill__cat_read_begin(output, "read its last compile")) < 0)
        return began;
    if ((rc = has_tables(output, &yes)) == 0 && yes &&
        (rc = read_commit(out, output)) == 0 && out->version > 0)
        rc = read_inputs(output, &rows, &n);
    rill__cat_read_end(output, began);
    for (i = 0; i < n && rc == 0 && fn; i++)
        if ((ret = fn(rows[i].input, rows[i].path, rows[i].name, rows[i].version, payload)) != 0)
            rc = rill__error(RILL_EUSER, "rill_compile_last: the inputs callback returned %d",
                             ret);
    free_rows(rows, n);
    if (rc < 0) {
        rill_fingerprints_free(out->fingerprints);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}
