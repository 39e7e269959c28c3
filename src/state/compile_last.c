/* compile_last.c — the last compile's commit of an output catalog, read
 * from the compile's tables (compile.c) without the compile itself: its
 * version, decision, inputs and fingerprints (rill_compile_last, for
 * `rill catalog why OUTPUT`). */
#include "compile.h"

#include "catalog.h"

#include <stdio.h>
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

static int read_inputs(rill_catalog *c, rill_compile_input_fn fn, void *payload)
{
    sqlite3_stmt *st;
    int rc, ret;
    if (sqlite3_prepare_v2(c->db, "SELECT input, path, name, version FROM rill_cmp_inputs "
                           "WHERE output = ?1 ORDER BY input", -1, &st, NULL) != SQLITE_OK)
        return rill__cat_fail(c, "cannot read the inputs of its last compile");
    sqlite3_bind_int64(st, 1, c->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        if (path == NULL || name == NULL) {
            rc = damaged(c, "an input");
            goto out;
        }
        if ((ret = fn(sqlite3_column_int(st, 0), path, name, sqlite3_column_int64(st, 3),
                      payload)) != 0) {
            rc = rill__error(RILL_EUSER, "rill_compile_last: the inputs callback returned %d",
                             ret);
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
    int rc, yes = 0;
    if (out == NULL || output == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_last: NULL argument");
    memset(out, 0, sizeof(*out));
    if ((rc = has_tables(output, &yes)) < 0 || !yes)
        return rc;
    /* the commit and its inputs from one snapshot (nested in a transaction
     * the handle may have open) */
    if ((rc = rill__cat_exec(output, "SAVEPOINT rill_compile_last", "cannot read")) < 0)
        return rc;
    if ((rc = read_commit(out, output)) == 0 && out->version > 0 && fn)
        rc = read_inputs(output, fn, payload);
    sqlite3_exec(output->db, "RELEASE rill_compile_last", NULL, NULL, NULL);
    if (rc < 0) {
        rill_fingerprints_free(out->fingerprints);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}
