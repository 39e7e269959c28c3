/* compile_run.c — one run of a compile: the decision, the input changes
 * (a diff of each input, or all of it when full), the dependencies and
 * front-end pairs they touch, the affected output keys compiled on the
 * engine (a work list and a job, all cores), and one transaction of the
 * output's file committing the outputs with the compile's tables.
 *
 * The affected output keys gather in a temporary table of the output's
 * connection (sorted, each once). Work records carry what a call needs
 * (the input keys of an output, or its values), so the workers never touch
 * the output's connection; inputs are read under the compile's read lock. */
#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/error.h"
#include "catalog.h"
#include "rill/dist.h"

/* ---- statements on the output's connection ---- */

static int prep(rill_compile *c, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(c->out->db, sql, -1, st, NULL) != SQLITE_OK)
        return rill__cmp_fail(c, "cannot prepare the compile's statements");
    return 0;
}

/* Steps a statement that returns no row, then resets it. */
static int step_done(rill_compile *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : rill__cmp_fail(c, "cannot write the compile's tables");
}

/* ---- the changes ---- */

typedef struct changes {
    rill_compile *c;
    int input;
    cbuf b;        /* u32 input, u32 present, key blob: per change */
    size_t n;
} changes;

static int add_change(changes *ch, const void *key, size_t len, int present)
{
    int rc;
    if ((rc = rill__cbuf_u32(&ch->b, (uint32_t)ch->input)) < 0 ||
        (rc = rill__cbuf_u32(&ch->b, (uint32_t)present)) < 0 ||
        (rc = rill__cbuf_blob(&ch->b, key, len)) < 0)
        return rc;
    ch->n++;
    return 0;
}

static int listed(const rill_catalog_entry *e, void *payload)
{
    return add_change(payload, e->key, e->key_len, 1) < 0;
}

static int diffed(rill_catalog_change change, const rill_catalog_entry *from,
                  const rill_catalog_entry *to, void *payload)
{
    const rill_catalog_entry *e = to ? to : from;
    return add_change(payload, e->key, e->key_len, change != RILL_CATALOG_REMOVED) < 0;
}

static int gather_changes(rill_compile *c, const cmp_plan *pl, changes *ch)
{
    int i, rc = 0;
    for (i = 0; i < c->nin && rc == 0; i++) {
        ch->input = i;
        if (pl->since[i] < 0)
            rc = rill_catalog_list(c->in[i].cat, pl->to[i], listed, ch);
        else
            rc = rill_catalog_diff(c->in[i].cat, pl->since[i], pl->to[i], diffed, ch);
    }
    return rc == RILL_EUSER ? rill__error(RILL_ENOMEM, "out of memory") : rc;
}

/* Walks the changes: input, present, key. */
#define FOR_CHANGES(ch, at, i, present, key, len)                                            \
    for ((at) = 0; (at) < (ch)->b.n &&                                                       \
                   rill__cbuf_get_u32((ch)->b.b, (ch)->b.n, &(at), &(i)) == 0 &&              \
                   rill__cbuf_get_u32((ch)->b.b, (ch)->b.n, &(at), &(present)) == 0 &&        \
                   rill__cbuf_get_blob((ch)->b.b, (ch)->b.n, &(at), &(key), &(len)) == 0;)

/* ---- a run's state ---- */

typedef struct run {
    rill_compile *c;
    cmp_plan pl;
    rill_catalog_txn *txn;
    sqlite3_stmt *affect;   /* out_key */
    sqlite3_stmt *affect_from_deps;  /* input, in_key, kinds >= ?4 */
    sqlite3_stmt *affect_from_values; /* input, in_key */
    rill_compile_report rep;
} run;

static int affect(run *r, const void *key, size_t len)
{
    sqlite3_bind_blob(r->affect, 1, key, (int)len, SQLITE_STATIC);
    return step_done(r->c, r->affect);
}

/* Every key of the output's latest version joins the affected (a full
 * run: what it does not compile again is deleted). */
static int affect_output(const rill_catalog_entry *e, void *payload)
{
    return affect(payload, e->key, e->key_len) < 0;
}

/* ---- direct and references: the keys function, on this thread ---- */

/* Whether out key (ok, olen) is among the n keys of o's items. */
static int among(const rill_compile_out *o, const void *ok, size_t olen)
{
    size_t k, at = 0;
    for (k = 0; k < o->nitems; k++) {
        const void *key;
        size_t len;
        rill__cbuf_get_blob(o->items.b, o->items.n, &at, &key, &len);
        if (len == olen && memcmp(key, ok, len) == 0)
            return 1;
    }
    return 0;
}

/* The output keys input key (i, key) names now (keys, when present), and
 * its kind-0 deps made so: rows it no longer names deleted, new ones added;
 * rows that stay are not written (the pages a run dirties are what its
 * commit writes). */
static int seed_one(run *r, sqlite3_stmt *old, sqlite3_stmt *del, sqlite3_stmt *ins, uint32_t i,
                    const void *key, size_t len, int present)
{
    rill_compile *c = r->c;
    rill_compile_out o;
    size_t k, kat = 0;
    int rc = 0, step;
    rill__cmp_out_init(&o, c, r->pl.to, OUT_KEYS);
    rill_error_clear();
    if (present && (rc = c->o.keys(&o, (int)i, key, len, c->payload)) != 0) {
        char q[120];
        rill__quote(q, sizeof(q), key, len);
        rc = rill__error(RILL_EUSER, "compile of '%s': keys failed on input %u key %s%s%s",
                         rill_catalog_name(c->out), i, q, rill_error_last()[0] ? ": " : "",
                         rill_error_last());
        rill__cmp_out_free(&o);
        return rc;
    }
    if (!r->pl.full) { /* the rows it has that it no longer names go */
        sqlite3_bind_int64(old, 1, rill__cmp_output_id(c));
        sqlite3_bind_int(old, 2, (int)i);
        sqlite3_bind_blob(old, 3, key, (int)len, SQLITE_STATIC);
        while (rc == 0 && (step = sqlite3_step(old)) == SQLITE_ROW) {
            const void *ok = sqlite3_column_blob(old, 0);
            size_t olen = (size_t)sqlite3_column_bytes(old, 0);
            if (among(&o, ok, olen))
                continue;
            sqlite3_bind_int64(del, 1, rill__cmp_output_id(c));
            sqlite3_bind_int(del, 2, (int)i);
            sqlite3_bind_blob(del, 3, key, (int)len, SQLITE_STATIC);
            sqlite3_bind_blob(del, 4, ok, (int)olen, SQLITE_TRANSIENT);
            rc = step_done(c, del);
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = rill__cmp_fail(c, "cannot read the compile's dependencies");
        sqlite3_reset(old);
        sqlite3_clear_bindings(old);
    }
    for (k = 0; k < o.nitems && rc == 0; k++) {
        const void *ok;
        size_t olen;
        rill__cbuf_get_blob(o.items.b, o.items.n, &kat, &ok, &olen);
        sqlite3_bind_int64(ins, 1, rill__cmp_output_id(c));
        sqlite3_bind_blob(ins, 2, ok, (int)olen, SQLITE_STATIC);
        sqlite3_bind_int(ins, 3, (int)i);
        sqlite3_bind_blob(ins, 4, key, (int)len, SQLITE_STATIC);
        if ((rc = step_done(c, ins)) == 0) /* OR IGNORE: a row it had is not written */
            rc = affect(r, ok, olen);
    }
    rill__cmp_out_free(&o);
    return rc;
}

static int seeds(run *r, const changes *ch)
{
    rill_compile *c = r->c;
    sqlite3_stmt *old = NULL, *del = NULL, *ins = NULL;
    const void *key;
    size_t at, len;
    uint32_t i, present;
    int rc;
    if ((rc = prep(c, &old, "SELECT out_key FROM rill_cmp_deps WHERE output = ?1 AND "
                            "input = ?2 AND in_key = ?3 AND kind = 0")) < 0 ||
        (rc = prep(c, &del, "DELETE FROM rill_cmp_deps WHERE output = ?1 AND input = ?2 AND "
                            "in_key = ?3 AND kind = 0 AND out_key = ?4")) < 0 ||
        (rc = prep(c, &ins, "INSERT OR IGNORE INTO rill_cmp_deps(output, out_key, input, "
                            "in_key, kind) VALUES(?1, ?2, ?3, ?4, 0)")) < 0)
        goto out;
    FOR_CHANGES(ch, at, i, present, key, len) {
        if (!r->pl.full) { /* what it fed before (and, for references, what read it) */
            sqlite3_bind_int64(r->affect_from_deps, 1, rill__cmp_output_id(c));
            sqlite3_bind_int(r->affect_from_deps, 2, (int)i);
            sqlite3_bind_blob(r->affect_from_deps, 3, key, (int)len, SQLITE_STATIC);
            if ((rc = step_done(c, r->affect_from_deps)) < 0)
                goto out;
        }
        if ((rc = seed_one(r, old, del, ins, i, key, len, (int)present)) < 0)
            goto out;
    }
out:
    sqlite3_finalize(old);
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return rc;
}

/* ---- map-group: the front end, on the engine ---- */

int rill__cmp_map_job(rill_emitter *out, const rill_record *in, void *payload)
{
    const rill__cmp_job *j = payload;
    rill_compile *c = j->c;
    const void *key;
    size_t at = 0, klen, dlen;
    uint32_t i;
    void *data = NULL;
    int64_t to[RILL__CMP_MAX_INPUTS];
    rill_compile_part part;
    rill_compile_out o;
    cbuf res = {0};
    int rc;
    if ((rc = rill__cmp_get_to(c, in->data, in->len, &at, to)) < 0)
        return rc;
    if (rill__cbuf_get_u32(in->data, in->len, &at, &i) < 0 || (int)i >= c->nin ||
        rill__cbuf_get_blob(in->data, in->len, &at, &key, &klen) < 0)
        return rill__error(RILL_ECORRUPT, "compile: a damaged work record");
    if ((rc = rill__cmp_read(c, (int)i, to[i], key, klen, &data, &dlen)) < 0)
        return rc;
    part.input = (int)i;
    part.key = key;
    part.key_len = klen;
    part.data = data;
    part.len = dlen;
    rill__cmp_out_init(&o, c, NULL, OUT_PAIRS);
    rill_error_clear();
    rc = c->o.map(&o, &part, c->payload);
    free(data);
    if (rc != 0) {
        char q[120];
        rill__quote(q, sizeof(q), key, klen);
        rc = rill__error(RILL_EUSER, "compile of '%s': map failed on input %u key %s%s%s",
                         rill_catalog_name(c->out), i, q, rill_error_last()[0] ? ": " : "",
                         rill_error_last());
        rill__cmp_out_free(&o);
        return rc;
    }
    if ((rc = rill__cbuf_u32(&res, (uint32_t)o.nitems)) == 0)
        rc = rill__cbuf_put(&res, o.items.b, o.items.n);
    if (rc == 0)
        rc = rill_emit_keyed(out, in->data, in->len, res.b, res.n);
    rill__cbuf_free(&res);
    rill__cmp_out_free(&o);
    return rc;
}

static int front_end(run *r, const changes *ch)
{
    rill_compile *c = r->c;
    sqlite3_stmt *del = NULL, *ins = NULL;
    rill_batch *work = NULL, *res = NULL;
    const void *key;
    size_t at, len, k;
    uint32_t i, present;
    int rc;
    if ((rc = prep(c, &del, "DELETE FROM rill_cmp_values WHERE output = ?1 AND input = ?2 "
                            "AND in_key = ?3")) < 0 ||
        (rc = prep(c, &ins, "INSERT INTO rill_cmp_values(output, input, in_key, seq, out_key, "
                            "value) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")) < 0 ||
        (rc = rill_batch_new(&work)) < 0)
        goto out;
    FOR_CHANGES(ch, at, i, present, key, len) {
        if (!r->pl.full) { /* the outputs its old pairs went to */
            sqlite3_bind_int64(r->affect_from_values, 1, rill__cmp_output_id(c));
            sqlite3_bind_int(r->affect_from_values, 2, (int)i);
            sqlite3_bind_blob(r->affect_from_values, 3, key, (int)len, SQLITE_STATIC);
            if ((rc = step_done(c, r->affect_from_values)) < 0)
                goto out;
            sqlite3_bind_int64(del, 1, rill__cmp_output_id(c));
            sqlite3_bind_int(del, 2, (int)i);
            sqlite3_bind_blob(del, 3, key, (int)len, SQLITE_STATIC);
            if ((rc = step_done(c, del)) < 0)
                goto out;
        }
        if (present) {
            cbuf w = {0};
            if ((rc = rill__cmp_put_to(&w, c, r->pl.to)) == 0 &&
                (rc = rill__cbuf_u32(&w, i)) == 0 && (rc = rill__cbuf_blob(&w, key, len)) == 0)
                rc = rill_batch_add(work, w.b, w.n);
            rill__cbuf_free(&w);
            if (rc < 0)
                goto out;
        }
    }
    {
        rill__cmp_job j = {c};
        rc = rill__cmp_engine(c, work, "map", rill__cmp_map_job, &j, &res);
    }
    work = NULL;
    for (k = 0; rc == 0 && k < rill_batch_count(res); k++) {
        rill_record rec;
        size_t wat = 0, pat = 0;
        uint32_t n, seq;
        int64_t to[RILL__CMP_MAX_INPUTS];
        rill_batch_get(&rec, res, k);
        rill__cmp_get_to(c, rec.key, rec.key_len, &wat, to);
        rill__cbuf_get_u32(rec.key, rec.key_len, &wat, &i);
        rill__cbuf_get_blob(rec.key, rec.key_len, &wat, &key, &len);
        rill__cbuf_get_u32(rec.data, rec.len, &pat, &n);
        for (seq = 0; seq < n && rc == 0; seq++) {
            const void *ok, *v;
            size_t olen, vlen;
            rill__cbuf_get_blob(rec.data, rec.len, &pat, &ok, &olen);
            rill__cbuf_get_blob(rec.data, rec.len, &pat, &v, &vlen);
            sqlite3_bind_int64(ins, 1, rill__cmp_output_id(c));
            sqlite3_bind_int(ins, 2, (int)i);
            sqlite3_bind_blob(ins, 3, key, (int)len, SQLITE_STATIC);
            sqlite3_bind_int(ins, 4, (int)seq);
            sqlite3_bind_blob(ins, 5, ok, (int)olen, SQLITE_STATIC);
            sqlite3_bind_blob(ins, 6, v, (int)vlen, SQLITE_STATIC);
            if ((rc = step_done(c, ins)) == 0)
                rc = affect(r, ok, olen);
        }
    }
out:
    rill_batch_free(work);
    rill_batch_free(res);
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return rc;
}

/* ---- the outputs ---- */

/* Puts (present) or deletes the output key as its compile said (a put of
 * the content it has, or a delete of a key it does not have, is no change:
 * what changed is counted from the version's row after the commit). */
static int apply(run *r, const void *key, size_t len, int present, const void *data,
                 size_t dlen)
{
    int rc;
    if (present)
        return rill_catalog_put(r->txn, key, len, data, dlen);
    if ((rc = rill_catalog_delete(r->txn, key, len)) == RILL_ENOTFOUND) {
        rill_error_clear();
        return 0;
    }
    return rc;
}

/* written and deleted: what the committed version changed. */
static void count_changes(run *r)
{
    sqlite3_stmt *st;
    if (prep(r->c, &st, "SELECT added + changed, removed FROM rill_cat_versions WHERE "
                        "catalog = ?1 AND version = ?2") < 0) {
        rill_error_clear();
        return;
    }
    sqlite3_bind_int64(st, 1, rill__cmp_output_id(r->c));
    sqlite3_bind_int64(st, 2, r->rep.version);
    if (sqlite3_step(st) == SQLITE_ROW) {
        r->rep.written = (uint64_t)sqlite3_column_int64(st, 0);
        r->rep.deleted = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
}

/* The reads a references compile recorded become its kind-1 deps. */
static int record_reads(run *r, sqlite3_stmt *del, sqlite3_stmt *ins, const rill_record *rec,
                        const unsigned char *reads, size_t n)
{
    size_t at = 0;
    int rc;
    sqlite3_bind_int64(del, 1, rill__cmp_output_id(r->c));
    sqlite3_bind_blob(del, 2, rec->key, (int)rec->key_len, SQLITE_STATIC);
    if ((rc = step_done(r->c, del)) < 0)
        return rc;
    while (at < n) {
        uint32_t i;
        const void *k;
        size_t klen;
        if (rill__cbuf_get_u32(reads, n, &at, &i) < 0 ||
            rill__cbuf_get_blob(reads, n, &at, &k, &klen) < 0)
            return rill__error(RILL_ECORRUPT, "compile: a damaged result record");
        sqlite3_bind_int64(ins, 1, rill__cmp_output_id(r->c));
        sqlite3_bind_blob(ins, 2, rec->key, (int)rec->key_len, SQLITE_STATIC);
        sqlite3_bind_int(ins, 3, (int)i);
        sqlite3_bind_blob(ins, 4, k, (int)klen, SQLITE_STATIC);
        if ((rc = step_done(r->c, ins)) < 0)
            return rc;
    }
    return 0;
}

/* Compiles the affected output keys and applies what they give. */
static int compile_affected(run *r)
{
    rill_compile *c = r->c;
    sqlite3_stmt *del = NULL, *ins = NULL;
    rill_batch *res = NULL;
    size_t k;
    int rc;
    if ((rc = rill__cmp_compile_keys(c, r->pl.to, "SELECT out_key FROM temp.rill_cmp_affected",
                                     &res)) < 0)
        return rc;
    if (c->o.pattern == RILL_COMPILE_REFERENCES &&
        ((rc = prep(c, &del, "DELETE FROM rill_cmp_deps WHERE output = ?1 AND out_key = ?2 "
                             "AND kind = 1")) < 0 ||
         (rc = prep(c, &ins, "INSERT OR IGNORE INTO rill_cmp_deps(output, out_key, input, "
                             "in_key, kind) VALUES(?1, ?2, ?3, ?4, 1)")) < 0))
        goto out;
    for (k = 0; k < rill_batch_count(res) && rc == 0; k++) {
        rill_record rec;
        const void *data;
        const unsigned char *reads;
        size_t len, rlen;
        int present;
        rill_batch_get(&rec, res, k);
        if ((rc = rill__cmp_result(&rec, &present, &data, &len, &reads, &rlen)) < 0)
            break;
        r->rep.compiled++;
        if (del && (rc = record_reads(r, del, ins, &rec, reads, rlen)) < 0)
            break;
        rc = apply(r, rec.key, rec.key_len, present, data, len);
    }
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    rill_batch_free(res);
    return rc;
}

/* Non-incremental: full puts every output partition; the others go. */
static int run_full(run *r)
{
    rill_compile *c = r->c;
    rill_compile_out o;
    sqlite3_stmt *gone = NULL;
    size_t k, at = 0;
    int rc, step;
    rill__cmp_out_init(&o, c, r->pl.to, OUT_PUT);
    rill_error_clear();
    if ((rc = c->o.full(&o, c->payload)) != 0) {
        rc = rill__error(RILL_EUSER, "compile of '%s': full failed%s%s",
                         rill_catalog_name(c->out), rill_error_last()[0] ? ": " : "",
                         rill_error_last());
        goto out;
    }
    for (k = 0; k < o.nitems && rc == 0; k++) {
        const void *key, *data;
        size_t len, dlen;
        rill__cbuf_get_blob(o.items.b, o.items.n, &at, &key, &len);
        rill__cbuf_get_blob(o.items.b, o.items.n, &at, &data, &dlen);
        if ((rc = affect(r, key, len)) < 0)
            break;
        if (sqlite3_changes(c->out->db) == 0) {
            char q[120];
            rill__quote(q, sizeof(q), key, len);
            rc = rill__error(RILL_EINVAL, "compile of '%s': full put output key %s twice",
                             rill_catalog_name(c->out), q);
            break;
        }
        r->rep.compiled++;
        rc = apply(r, key, len, 1, data, dlen);
    }
    if (rc < 0 || (rc = prep(c, &gone, "SELECT key FROM rill_cat_entries WHERE catalog = ?1 AND "
                                       "to_v IS NULL AND key NOT IN (SELECT out_key FROM "
                                       "temp.rill_cmp_affected)")) < 0)
        goto out;
    sqlite3_bind_int64(gone, 1, rill__cmp_output_id(c));
    while (rc == 0 && (step = sqlite3_step(gone)) == SQLITE_ROW) {
        rc = rill_catalog_delete(r->txn, sqlite3_column_blob(gone, 0),
                                 (size_t)sqlite3_column_bytes(gone, 0));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = rill__cmp_fail(c, "cannot read the output's keys");
out:
    sqlite3_finalize(gone);
    rill__cmp_out_free(&o);
    return rc;
}

/* ---- the commit ---- */

static int record_commit(run *r)
{
    rill_compile *c = r->c;
    sqlite3_stmt *st = NULL;
    int64_t id = rill__cmp_output_id(c);
    int i, rc;
    if ((rc = prep(c, &st, "INSERT INTO rill_cmp_commits(output, version, time_ms, pattern, "
                           "incremental, reason, fingerprints) VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
                           "?7)")) < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, rill_catalog_txn_version(r->txn));
    sqlite3_bind_int64(st, 3, rill__cat_now_ms());
    sqlite3_bind_int(st, 4, c->o.pattern);
    sqlite3_bind_int(st, 5, !r->pl.full);
    sqlite3_bind_text(st, 6, r->pl.reason, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, r->pl.fp, (int)r->pl.fp_len, SQLITE_STATIC);
    rc = step_done(c, st);
    sqlite3_finalize(st);
    if (rc < 0 || (rc = prep(c, &st, "DELETE FROM rill_cmp_inputs WHERE output = ?1")) < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = step_done(c, st);
    sqlite3_finalize(st);
    if (rc < 0 || (rc = prep(c, &st, "INSERT INTO rill_cmp_inputs(output, input, path, name, "
                                     "version) VALUES(?1, ?2, ?3, ?4, ?5)")) < 0)
        return rc;
    for (i = 0; i < c->nin && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_text(st, 3, c->in[i].file, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, rill_catalog_name(c->in[i].cat), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, r->pl.to[i]);
        rc = step_done(c, st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Clears what a full run compiles again, and the affected keys. */
static int start_tables(run *r)
{
    rill_compile *c = r->c;
    char sql[400];
    int rc;
    if ((rc = rill__cat_exec(c->out, "DELETE FROM temp.rill_cmp_affected", /* catalog.h */
                             "cannot clear a temporary table")) < 0)
        return rc;
    if (r->pl.full) {
        snprintf(sql, sizeof(sql), "DELETE FROM rill_cmp_deps WHERE output = %lld; DELETE FROM "
                 "rill_cmp_values WHERE output = %lld", (long long)rill__cmp_output_id(c),
                 (long long)rill__cmp_output_id(c));
        if ((rc = rill__cat_exec(c->out, sql, "cannot clear the compile's tables")) < 0)
            return rc;
    }
    if ((rc = prep(c, &r->affect, "INSERT OR IGNORE INTO temp.rill_cmp_affected VALUES(?1)")) < 0 ||
        (rc = prep(c, &r->affect_from_deps, "INSERT OR IGNORE INTO temp.rill_cmp_affected SELECT "
                                            "out_key FROM rill_cmp_deps WHERE output = ?1 AND "
                                            "input = ?2 AND in_key = ?3")) < 0 ||
        (rc = prep(c, &r->affect_from_values, "INSERT OR IGNORE INTO temp.rill_cmp_affected "
                                              "SELECT out_key FROM rill_cmp_values WHERE "
                                              "output = ?1 AND input = ?2 AND in_key = ?3")) < 0)
        return rc;
    if (r->pl.full && c->o.pattern != RILL_COMPILE_FULL) /* what is not compiled again goes */
        return rill_catalog_list(c->out, RILL_CATALOG_LATEST, affect_output, r) == 0
                   ? 0
                   : rill__error(RILL_ENOMEM, "out of memory");
    return 0;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int compile_in(run *r)
{
    rill_compile *c = r->c;
    changes ch = {c, 0, {0}, 0};
    struct timespec t0;
    int rc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = rill__cmp_tables(c)) < 0 || (rc = rill__cmp_decide(c, &r->pl)) < 0)
        return rc;
    r->rep.decide_ms = ms_since(&t0);
    if ((rc = start_tables(r)) < 0)
        return rc;
    if (c->o.pattern == RILL_COMPILE_FULL)
        return run_full(r);
    if ((rc = gather_changes(c, &r->pl, &ch)) < 0)
        goto out;
    r->rep.inputs_changed = ch.n;
    if (c->o.pattern == RILL_COMPILE_MAP_GROUP)
        rc = front_end(r, &ch);
    else
        rc = seeds(r, &ch);
    if (rc == 0)
        rc = compile_affected(r);
    if (rc == 0 && !r->pl.full && c->o.self_check > 0)
        rc = rill__cmp_self_check(c, r->pl.to, &r->rep.checked);
out:
    rill__cbuf_free(&ch.b);
    return rc;
}

int rill_compile_run(rill_compile_report *report, rill_compile *c)
{
    run r;
    struct timespec t0;
    int rc, i;
    if (c == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_run: NULL compile");
    memset(&r, 0, sizeof(r));
    r.c = c;
    if (report)
        memset(report, 0, sizeof(*report));
    c->phases = 0;
    c->engine_failed = 0;
    if (rill_rank() != 0) /* rank 0 decides and commits; this one lends its workers */
        return rill__cmp_empty_phases(c);
    if ((rc = rill__cmp_make_tables(c)) < 0 || (rc = rill_catalog_begin(&r.txn, c->out)) < 0) {
        rill__cmp_empty_phases(c);
        return rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0); /* not the wait for the lock */
    rc = compile_in(&r);
    for (i = 0; i < c->nin && r.pl.to; i++) { /* the versions read are still there: a read
                                               * of one pruned meanwhile failed or saw none */
        int64_t v;
        int rc2 = rill__cat_resolve(c->in[i].cat, r.pl.to[i], &v);
        if (rc2 < 0) {
            rc = rc2; /* its error names the prune, not a missing key */
            break;
        }
    }
    sqlite3_finalize(r.affect);
    sqlite3_finalize(r.affect_from_deps);
    sqlite3_finalize(r.affect_from_values);
    r.rep.compile_ms = ms_since(&t0) - r.rep.decide_ms;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == 0)
        rc = record_commit(&r);
    if (rc == 0) {
        rc = rill_catalog_commit(&r.rep.version, r.txn, c->message ? c->message : r.pl.reason);
        r.rep.commit_ms = ms_since(&t0);
        if (rc == 0)
            count_changes(&r);
    } else {
        char keep[RILL__ERROR_MAX];
        snprintf(keep, sizeof(keep), "%s", rill_error_last());
        rill_catalog_abort(r.txn);
        rill__error_str(rc, keep);
    }
    if (rill_ranks() > 1) { /* the other ranks wait in the phases this run did not need */
        char keep[RILL__ERROR_MAX];
        int rc2;
        snprintf(keep, sizeof(keep), "%s", rill_error_last());
        if ((rc2 = rill__cmp_empty_phases(c)) < 0 && rc == 0)
            rc = rc2; /* its message is the engine's */
        else if (rc != 0)
            rill__error_str(rc, keep);
    }
    r.rep.incremental = !r.pl.full;
    snprintf(r.rep.reason, sizeof(r.rep.reason), "%s", r.pl.reason);
    if (report)
        *report = r.rep;
    rill__cmp_plan_free(&r.pl);
    return rc;
}
