/* compile.c — a compile's handle and inputs, its tables in the output
 * catalog's file (compile.h), the decision in the reference's order, and
 * rill_compile_why. */
#include "compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "catalog.h"
#include "rill/dist.h"

/* ---- bytes ---- */

int rill__cbuf_put(cbuf *x, const void *bytes, size_t len)
{
    if (x->cap - x->n < len) {
        size_t cap = x->cap ? x->cap : 256;
        unsigned char *b;
        while (cap - x->n < len)
            cap *= 2;
        if ((b = realloc(x->b, cap)) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        x->b = b;
        x->cap = cap;
    }
    if (len)
        memcpy(x->b + x->n, bytes, len);
    x->n += len;
    return 0;
}

int rill__cbuf_u32(cbuf *x, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    return rill__cbuf_put(x, b, 4);
}

int rill__cbuf_blob(cbuf *x, const void *bytes, size_t len)
{
    if (len > UINT32_MAX)
        return rill__error(RILL_ERANGE, "a key or value of %zu bytes: at most 4 GiB", len);
    if (rill__cbuf_u32(x, (uint32_t)len) < 0)
        return RILL_ENOMEM;
    return rill__cbuf_put(x, bytes, len);
}

void rill__cbuf_free(cbuf *x)
{
    free(x->b);
    memset(x, 0, sizeof(*x));
}

int rill__cbuf_get_u32(const unsigned char *b, size_t n, size_t *at, uint32_t *v)
{
    if (n - *at < 4 || *at > n)
        return -1;
    *v = (uint32_t)b[*at] << 24 | (uint32_t)b[*at + 1] << 16 | (uint32_t)b[*at + 2] << 8 |
         b[*at + 3];
    *at += 4;
    return 0;
}

int rill__cbuf_get_blob(const unsigned char *b, size_t n, size_t *at, const void **p, size_t *len)
{
    uint32_t l;
    if (rill__cbuf_get_u32(b, n, at, &l) < 0 || n - *at < l)
        return -1;
    *p = b + *at;
    *len = l;
    *at += l;
    return 0;
}

/* ---- the handle ---- */

static const char *pattern_name(int p)
{
    switch (p) {
    case RILL_COMPILE_DIRECT: return "direct";
    case RILL_COMPILE_MAP_GROUP: return "map-group";
    case RILL_COMPILE_REFERENCES: return "references";
    case RILL_COMPILE_FULL: return "full (non-incremental)";
    default: return "unknown";
    }
}

int rill_compile_new(rill_compile **out, rill_catalog *output, const rill_compile_options *opts,
                     void *payload)
{
    rill_compile *c;
    const char *missing = NULL;
    if (out == NULL || opts == NULL || (output == NULL && rill_rank() == 0))
        return rill__error(RILL_EINVAL, "rill_compile_new: NULL argument");
    *out = NULL;
    if (opts->version != RILL_COMPILE_OPTIONS_VERSION)
        return rill__error(RILL_EINVAL, "rill_compile_new: options of version %u, not %d: "
                           "initialise them with RILL_COMPILE_OPTIONS_INIT", opts->version,
                           RILL_COMPILE_OPTIONS_VERSION);
    switch (opts->pattern) {
    case RILL_COMPILE_DIRECT: missing = !opts->keys ? "keys" : !opts->direct ? "direct" : NULL; break;
    case RILL_COMPILE_MAP_GROUP: missing = !opts->map ? "map" : !opts->group ? "group" : NULL; break;
    case RILL_COMPILE_REFERENCES: missing = !opts->keys ? "keys" : !opts->ref ? "ref" : NULL; break;
    case RILL_COMPILE_FULL: missing = !opts->full ? "full" : NULL; break;
    default:
        return rill__error(RILL_EINVAL, "rill_compile_new: unknown pattern %d", opts->pattern);
    }
    if (missing)
        return rill__error(RILL_EINVAL, "rill_compile_new: the %s pattern needs its %s function",
                           pattern_name(opts->pattern), missing);
    if (!(opts->self_check >= 0 && opts->self_check <= 1))
        return rill__error(RILL_EINVAL, "rill_compile_new: self_check %g is not a fraction "
                           "from 0 to 1", opts->self_check);
    RILL__CHECK_ALLOC(c = calloc(1, sizeof(*c)));
    c->out = output;
    c->o = *opts;
    c->payload = payload;
    if (opts->message && (c->message = strdup(opts->message)) == NULL) {
        free(c);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&c->read_mu, NULL);
    *out = c;
    return 0;
}

void rill_compile_free(rill_compile *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->read_mu);
    while (c->nin > 0)
        free(c->in[--c->nin].file);
    free(c->in);
    free(c->message);
    free(c);
}

int rill_compile_input(rill_compile *c, rill_catalog *input, const rill_compile_job *job)
{
    rill_compile_job j = RILL_COMPILE_JOB_INIT;
    cmp_input *in;
    if (c == NULL || input == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_input: NULL argument");
    if (c->out && input == c->out)
        return rill__error(RILL_EINVAL, "rill_compile_input: catalog '%s' is the output",
                           rill_catalog_name(input));
    if (job)
        j = *job;
    if (j.kind < RILL_JOB_DERIVED || j.kind > RILL_JOB_REPROCESS)
        return rill__error(RILL_EINVAL, "rill_compile_input: unknown job kind %d", j.kind);
    if (c->nin == RILL__CMP_MAX_INPUTS)
        return rill__error(RILL_EINVAL, "rill_compile_input: at most %d inputs",
                           RILL__CMP_MAX_INPUTS);
    RILL__CHECK_ALLOC(in = realloc(c->in, (size_t)(c->nin + 1) * sizeof(*in)));
    c->in = in;
    /* recorded absolute: the same file, wherever the next run starts from */
    if ((in[c->nin].file = realpath(rill_catalog_path(input), NULL)) == NULL)
        return errno == ENOMEM ? rill__error(RILL_ENOMEM, "out of memory")
                               : rill__error_errno(errno, "rill_compile_input: %s",
                                                   rill_catalog_path(input));
    in[c->nin].cat = input;
    in[c->nin].job = j;
    c->nin++;
    return 0;
}

int64_t rill__cmp_output_id(const rill_compile *c)
{
    return c->out->id;
}

int rill__cmp_fail(rill_compile *c, const char *doing)
{
    return rill__cat_fail(c->out, doing);
}

/* ---- the tables ---- */

static const char tables_sql[] =
    "CREATE TABLE IF NOT EXISTS rill_cmp_commits(output INTEGER NOT NULL, version INTEGER "
    "NOT NULL, time_ms INTEGER NOT NULL, pattern INTEGER NOT NULL, incremental INTEGER NOT "
    "NULL, reason TEXT NOT NULL, fingerprints BLOB, PRIMARY KEY(output, version));"
    "CREATE TABLE IF NOT EXISTS rill_cmp_inputs(output INTEGER NOT NULL, input INTEGER NOT "
    "NULL, path TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, "
    "PRIMARY KEY(output, input));"
    "CREATE TABLE IF NOT EXISTS rill_cmp_deps(output INTEGER NOT NULL, out_key BLOB NOT NULL, "
    "input INTEGER NOT NULL, in_key BLOB NOT NULL, kind INTEGER NOT NULL, "
    "PRIMARY KEY(output, input, in_key, kind, out_key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS rill_cmp_deps_out ON rill_cmp_deps(output, out_key, kind);"
    "CREATE TABLE IF NOT EXISTS rill_cmp_values(output INTEGER NOT NULL, input INTEGER NOT "
    "NULL, in_key BLOB NOT NULL, seq INTEGER NOT NULL, out_key BLOB NOT NULL, value BLOB NOT "
    "NULL, PRIMARY KEY(output, input, in_key, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS rill_cmp_values_out ON rill_cmp_values(output, out_key);";

/* The format of the compile tables in the output's file: 0 when there are
 * none yet. */
static int tables_format(rill_compile *c, int *format)
{
    sqlite3_stmt *st;
    int rc;
    *format = 0;
    if (sqlite3_prepare_v2(c->out->db, "SELECT version FROM rill_schema WHERE component = "
                                       "'compile'", -1, &st, NULL) != SQLITE_OK)
        return rill__cmp_fail(c, "cannot read rill_schema");
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *format = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rill__cmp_fail(c, "cannot read rill_schema");
    if (*format > RILL__COMPILE_FORMAT)
        return rill__error(RILL_EVERSION, "%s: its compile tables are of format %d, newer than "
                           "this rill's (%d)", rill_catalog_path(c->out), *format,
                           RILL__COMPILE_FORMAT);
    return 0;
}

int rill__cmp_make_tables(rill_compile *c)
{
    int rc, format;
    if ((rc = tables_format(c, &format)) < 0 || format > 0)
        return rc;
    /* in a transaction of their own, before the run's: a run rolled back
     * must not undo a schema change (it would abort the statements other
     * handles of the file have running: catalog_conn.c) */
    if ((rc = rill__cat_lock(c->out, "make the compile's tables")) < 0)
        return rc;
    if ((rc = tables_format(c, &format)) == 0 && format == 0 &&
        (rc = rill__cat_exec(c->out, tables_sql, "cannot make the compile's tables")) == 0)
        rc = rill__cat_exec(c->out, "INSERT INTO rill_schema VALUES('compile', 1)",
                            "cannot write rill_schema");
    return rc == 0 ? rill__cat_unlock(c->out, 1, "cannot make the compile's tables")
                   : (rill__cat_unlock(c->out, 0, NULL), rc);
}

int rill__cmp_tables(rill_compile *c)
{
    int rc, format;
    if ((rc = tables_format(c, &format)) < 0)
        return rc;
    return format == RILL__COMPILE_FORMAT
               ? 0
               : rill__error(RILL_ECORRUPT, "%s: its compile tables are missing",
                             rill_catalog_path(c->out));
}

/* ---- the decision ---- */

void rill__cmp_plan_free(cmp_plan *pl)
{
    free(pl->since);
    free(pl->to);
    free(pl->fp);
    memset(pl, 0, sizeof(*pl));
}

typedef struct last_commit {
    int64_t version;   /* 0: none */
    int pattern;
    void *fp;          /* owned */
    size_t fp_len;
    char reason[512];
    int incremental;
} last_commit;

/* The last compile's commit of the output (version 0: none, or its tables
 * are not there yet). */
static int read_last(rill_compile *c, last_commit *l)
{
    sqlite3_stmt *st;
    int rc;
    memset(l, 0, sizeof(*l));
    rc = sqlite3_prepare_v2(c->out->db, "SELECT version, pattern, fingerprints, reason, "
                                        "incremental FROM rill_cmp_commits WHERE output = ?1 "
                                        "ORDER BY version DESC LIMIT 1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sqlite3_errcode(c->out->db) == SQLITE_ERROR ? 0 /* no table yet */
                                                            : rill__cmp_fail(c, "cannot read");
    sqlite3_bind_int64(st, 1, c->out->id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *fp = sqlite3_column_blob(st, 2);
        l->version = sqlite3_column_int64(st, 0);
        l->pattern = sqlite3_column_int(st, 1);
        l->fp_len = (size_t)sqlite3_column_bytes(st, 2);
        snprintf(l->reason, sizeof(l->reason), "%s", (const char *)sqlite3_column_text(st, 3));
        l->incremental = sqlite3_column_int(st, 4);
        if (fp && (l->fp = malloc(l->fp_len ? l->fp_len : 1)) == NULL) {
            sqlite3_finalize(st);
            return rill__error(RILL_ENOMEM, "out of memory");
        }
        if (fp)
            memcpy(l->fp, fp, l->fp_len);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rill__cmp_fail(c, "cannot read");
}

/* The recorded version of input i (-1: not recorded as it is now: another
 * catalog or file at that place). */
static int recorded_input(rill_compile *c, int i, int64_t *version, int *count)
{
    sqlite3_stmt *st;
    int rc;
    *version = -1;
    if (sqlite3_prepare_v2(c->out->db, "SELECT path, name, version, (SELECT count(*) FROM "
                                       "rill_cmp_inputs WHERE output = ?1) FROM "
                                       "rill_cmp_inputs WHERE output = ?1 AND input = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return rill__cmp_fail(c, "cannot read the inputs compiled last");
    sqlite3_bind_int64(st, 1, c->out->id);
    sqlite3_bind_int(st, 2, i);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        *count = sqlite3_column_int(st, 3);
        if (strcmp(path, c->in[i].file) == 0 &&
            strcmp(name, rill_catalog_name(c->in[i].cat)) == 0)
            *version = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rill__cmp_fail(c, "cannot read");
}

static int output_partitions(rill_compile *c, int64_t version, int64_t *n)
{
    sqlite3_stmt *st;
    int rc;
    *n = 0;
    if (sqlite3_prepare_v2(c->out->db, "SELECT partitions FROM rill_cat_versions WHERE "
                                       "catalog = ?1 AND version = ?2", -1, &st, NULL) != SQLITE_OK)
        return rill__cmp_fail(c, "cannot read the output's versions");
    sqlite3_bind_int64(st, 1, c->out->id);
    sqlite3_bind_int64(st, 2, version);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rill__cmp_fail(c, "cannot read");
}

#define SAY(...) snprintf(pl->reason, sizeof(pl->reason), __VA_ARGS__)

/* The decision after the targets are known: full (with its reason in pl)
 * or incremental from the recorded versions. */
static int decide_on(rill_compile *c, cmp_plan *pl, const last_commit *l)
{
    int64_t latest, parts, rec;
    int i, rc, count = 0;
    const char *out = rill_catalog_name(c->out);
    for (i = 0; i < c->nin; i++)
        if (c->in[i].job.kind == RILL_JOB_REPROCESS) {
            SAY("full: input '%s' is to be reprocessed (Reprocess(%lld))",
                rill_catalog_name(c->in[i].cat), (long long)pl->to[i]);
            return 1;
        }
    if (c->o.pattern == RILL_COMPILE_FULL) {
        SAY("full: the compile is non-incremental");
        return 1;
    }
    if (l->version == 0) {
        SAY("full: output '%s' has no compile's commit yet: the first run is full", out);
        return 1;
    }
    if ((rc = rill_catalog_latest(&latest, c->out)) < 0 ||
        (rc = output_partitions(c, latest, &parts)) < 0)
        return rc;
    if (latest != l->version) {
        SAY("full: output '%s' is at version %lld, not the version %lld its last compile "
            "committed (it was written since)", out, (long long)latest, (long long)l->version);
        return 1;
    }
    if (parts == 0) {
        SAY("full: output '%s' is empty", out);
        return 1;
    }
    for (i = 0; i < c->nin; i++) {
        const rill_compile_job *j = &c->in[i].job;
        const char *name = rill_catalog_name(c->in[i].cat);
        if ((rc = recorded_input(c, i, &rec, &count)) < 0)
            return rc;
        if (rec < 0 || count != c->nin) {
            SAY("full: the inputs are not those the last commit compiled (input %d, '%s', "
                "is new or in another place)", i, name);
            return 1;
        }
        if (j->kind == RILL_JOB_CHANGES && j->since != rec) {
            SAY("full: input '%s' was compiled last at version %lld, but the changes asked "
                "for start at %lld (version %lld is compiled in full)", name, (long long)rec,
                (long long)j->since, (long long)pl->to[i]);
            return 1;
        }
        if (j->kind == RILL_JOB_NO_CHANGES && pl->to[i] != rec) {
            SAY("full: input '%s' is said to have no changes at version %lld, but version "
                "%lld was compiled last", name, (long long)pl->to[i], (long long)rec);
            return 1;
        }
        if (pl->to[i] < rec) {
            SAY("full: input '%s' is asked at version %lld, before version %lld compiled last",
                name, (long long)pl->to[i], (long long)rec);
            return 1;
        }
        if ((rc = rill__cat_resolve(c->in[i].cat, rec, &latest)) == RILL_ENOTFOUND) {
            rill_error_clear(); /* its changes since are not known: its history is gone */
            SAY("full: input '%s' was compiled last at version %lld, which garbage "
                "collection pruned (version %lld is compiled in full)", name, (long long)rec,
                (long long)pl->to[i]);
            return 1;
        }
        if (rc < 0)
            return rc;
        pl->since[i] = rec;
    }
    if (l->pattern != c->o.pattern) {
        SAY("full: the compile's pattern changed from %s to %s", pattern_name(l->pattern),
            pattern_name(c->o.pattern));
        return 1;
    }
    if (l->fp == NULL) {
        SAY("full: the last commit has no fingerprints");
        return 1;
    }
    if ((rc = rill__cmp_fp_compare(pl->reason, sizeof(pl->reason), l->fp, l->fp_len, pl->fp,
                                   pl->fp_len)) != 0)
        return rc; /* 1: differ, said; < 0: failed */
    SAY("incremental: from");
    for (i = 0; i < c->nin; i++) {
        size_t n = strlen(pl->reason);
        snprintf(pl->reason + n, sizeof(pl->reason) - n, "%s input '%s' %lld to %lld",
                 i ? "," : "", rill_catalog_name(c->in[i].cat), (long long)pl->since[i],
                 (long long)pl->to[i]);
    }
    return 0;
}

int rill__cmp_decide(rill_compile *c, cmp_plan *pl)
{
    last_commit l;
    int i, rc;
    memset(pl, 0, sizeof(*pl));
    if (c->nin == 0)
        return rill__error(RILL_EINVAL, "compile of '%s': no input (rill_compile_input)",
                           rill_catalog_name(c->out));
    if ((pl->since = calloc((size_t)c->nin, sizeof(int64_t))) == NULL ||
        (pl->to = calloc((size_t)c->nin, sizeof(int64_t))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    for (i = 0; i < c->nin; i++) {
        int64_t to = c->in[i].job.to;
        pl->since[i] = -1;
        if ((rc = rill__cat_resolve(c->in[i].cat, to, &pl->to[i])) < 0)
            return rc;
    }
    if ((rc = rill__cmp_fingerprints(c, &pl->fp, &pl->fp_len)) < 0)
        return rc;
    if ((rc = read_last(c, &l)) < 0)
        return rc;
    pl->last_commit = l.version;
    rc = decide_on(c, pl, &l);
    free(l.fp);
    if (rc < 0)
        return rc;
    pl->full = rc == 1;
    if (pl->full)
        for (i = 0; i < c->nin; i++)
            pl->since[i] = -1;
    return 0;
}

int rill_compile_why(char *why, size_t cap, rill_compile *c)
{
    last_commit l;
    cmp_plan pl;
    int rc;
    if (why == NULL || cap == 0 || c == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_why: NULL argument");
    why[0] = '\0';
    if ((rc = read_last(c, &l)) < 0)
        return rc;
    rc = rill__cmp_decide(c, &pl);
    if (rc == 0) {
        if (l.version)
            snprintf(why, cap, "last: output version %lld, %s; now: %s", (long long)l.version,
                     l.reason, pl.reason);
        else
            snprintf(why, cap, "last: none; now: %s", pl.reason);
    }
    free(l.fp);
    rill__cmp_plan_free(&pl);
    return rc;
}
