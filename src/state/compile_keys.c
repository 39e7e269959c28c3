/* compile_keys.c — compiling output keys on the engine: each key's work
 * record holds what its call needs (direct: the input keys that name it;
 * map-group: its values in canonical order; references: whether any input
 * names it), made on the calling thread from the output's file; the job
 * reads inputs under the compile's read lock, calls the user's function
 * and emits the key's content, or that it holds nothing. Used by a run,
 * by the self-check and by verify. */
#include "compile.h"

#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "catalog.h"

static int fail_on(rill_compile *c, const char *fn, const void *key, size_t len)
{
    char q[120];
    rill__quote(q, sizeof(q), key, len);
    return rill__error(RILL_EUSER, "compile of '%s': %s failed on output key %s%s%s",
                       rill_catalog_name(c->out), fn, q, rill_error_last()[0] ? ": " : "",
                       rill_error_last());
}

/* Direct: reads each named input partition, then calls direct. */
static int call_direct(const int64_t *to, rill_compile *c, rill_compile_out *o,
                       const rill_record *in, const unsigned char *b, size_t n, size_t at)
{
    uint32_t k, count;
    rill_compile_part *parts = NULL;
    void **datas = NULL;
    int rc = 0;
    if (rill__cbuf_get_u32(b, n, &at, &count) < 0)
        return rill__error(RILL_ECORRUPT, "compile: a damaged work record");
    if (count == 0)
        return 0; /* nothing names it: it holds nothing */
    if ((parts = calloc(count, sizeof(*parts))) == NULL ||
        (datas = calloc(count, sizeof(*datas))) == NULL)
        rc = rill__error(RILL_ENOMEM, "out of memory");
    for (k = 0; k < count && rc == 0; k++) {
        uint32_t i;
        if (rill__cbuf_get_u32(b, n, &at, &i) < 0 || (int)i >= c->nin ||
            rill__cbuf_get_blob(b, n, &at, &parts[k].key, &parts[k].key_len) < 0) {
            rc = rill__error(RILL_ECORRUPT, "compile: a damaged work record");
            break;
        }
        parts[k].input = (int)i;
        if ((rc = rill__cmp_read(c, (int)i, to[i], parts[k].key, parts[k].key_len, &datas[k],
                                 &parts[k].len)) < 0)
            break;
        parts[k].data = datas[k];
    }
    rill_error_clear();
    if (rc == 0 && (rc = c->o.direct(o, in->key, in->key_len, parts, count, c->payload)) != 0)
        rc = fail_on(c, "direct", in->key, in->key_len);
    for (k = 0; datas && k < count; k++)
        free(datas[k]);
    free(datas);
    free(parts);
    return rc;
}

/* Map-group: the values as they are in the record, then group. */
static int call_group(rill_compile *c, rill_compile_out *o, const rill_record *in,
                      const unsigned char *b, size_t n, size_t at)
{
    uint32_t k, count;
    rill_compile_part *parts;
    int rc = 0;
    if (rill__cbuf_get_u32(b, n, &at, &count) < 0)
        return rill__error(RILL_ECORRUPT, "compile: a damaged work record");
    if (count == 0)
        return 0;
    RILL__CHECK_ALLOC(parts = calloc(count, sizeof(*parts)));
    for (k = 0; k < count && rc == 0; k++) {
        uint32_t i;
        if (rill__cbuf_get_u32(b, n, &at, &i) < 0 ||
            rill__cbuf_get_blob(b, n, &at, &parts[k].key, &parts[k].key_len) < 0 ||
            rill__cbuf_get_blob(b, n, &at, &parts[k].data, &parts[k].len) < 0)
            rc = rill__error(RILL_ECORRUPT, "compile: a damaged work record");
        else
            parts[k].input = (int)i;
    }
    rill_error_clear();
    if (rc == 0 && (rc = c->o.group(o, in->key, in->key_len, parts, count, c->payload)) != 0)
        rc = fail_on(c, "group", in->key, in->key_len);
    free(parts);
    return rc;
}

int rill__cmp_compile_job(rill_emitter *out, const rill_record *in, void *payload)
{
    rill__cmp_job *j = payload;
    rill_compile *c = j->c;
    const unsigned char *b = in->data;
    int64_t to[RILL__CMP_MAX_INPUTS];
    rill_compile_out o;
    cbuf res = {0};
    uint32_t seeded;
    size_t at = 0;
    int rc = 0;
    if ((rc = rill__cmp_get_to(c, b, in->len, &at, to)) < 0)
        return rc;
    rill__cmp_out_init(&o, c, to, OUT_SET);
    switch (c->o.pattern) {
    case RILL_COMPILE_DIRECT: rc = call_direct(to, c, &o, in, b, in->len, at); break;
    case RILL_COMPILE_MAP_GROUP: rc = call_group(c, &o, in, b, in->len, at); break;
    default: /* references: compiled when an input names it */
        if (rill__cbuf_get_u32(b, in->len, &at, &seeded) < 0)
            rc = rill__error(RILL_ECORRUPT, "compile: a damaged work record");
        else if (seeded) {
            rill_error_clear();
            if ((rc = c->o.ref(&o, in->key, in->key_len, c->payload)) != 0)
                rc = fail_on(c, "ref", in->key, in->key_len);
        }
    }
    if (rc == 0) {
        unsigned char has = (unsigned char)o.has;
        if ((rc = rill__cbuf_put(&res, &has, 1)) == 0 &&
            (rc = rill__cbuf_blob(&res, o.set.b, o.set.n)) == 0 &&
            (rc = rill__cbuf_put(&res, o.reads.b, o.reads.n)) == 0)
            rc = rill_emit_keyed(out, in->key, in->key_len, res.b, res.n);
    }
    rill__cbuf_free(&res);
    rill__cmp_out_free(&o);
    return rc;
}

int rill__cmp_result(const rill_record *rec, int *present, const void **data, size_t *len,
                     const unsigned char **reads, size_t *reads_len)
{
    size_t at = 1;
    if (rec->len < 1 ||
        rill__cbuf_get_blob(rec->data, rec->len, &at, data, len) < 0)
        return rill__error(RILL_ECORRUPT, "compile: a damaged result record");
    *present = ((const unsigned char *)rec->data)[0] != 0;
    *reads = (const unsigned char *)rec->data + at;
    *reads_len = rec->len - at;
    return 0;
}

/* The work record of one output key: the versions read, then what its
 * call needs. */
static int work_of(rill_compile *c, const int64_t *to, sqlite3_stmt *q, const void *key,
                   size_t len, cbuf *w)
{
    uint32_t n = 0;
    size_t count_at;
    int rc = 0, step;
    w->n = 0;
    if ((rc = rill__cmp_put_to(w, c, to)) < 0)
        return rc;
    count_at = w->n;
    if ((rc = rill__cbuf_u32(w, 0)) < 0)
        return rc;
    sqlite3_bind_int64(q, 1, rill__cmp_output_id(c));
    sqlite3_bind_blob(q, 2, key, (int)len, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        if (c->o.pattern == RILL_COMPILE_REFERENCES) {
            n = (uint32_t)sqlite3_column_int(q, 0);
            continue;
        }
        if ((rc = rill__cbuf_u32(w, (uint32_t)sqlite3_column_int(q, 0))) < 0 ||
            (rc = rill__cbuf_blob(w, sqlite3_column_blob(q, 1),
                                  (size_t)sqlite3_column_bytes(q, 1))) < 0)
            break;
        if (c->o.pattern == RILL_COMPILE_MAP_GROUP &&
            (rc = rill__cbuf_blob(w, sqlite3_column_blob(q, 2),
                                  (size_t)sqlite3_column_bytes(q, 2))) < 0)
            break;
        n++;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = rill__cmp_fail(c, "cannot read the compile's dependencies");
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    w->b[count_at] = (unsigned char)(n >> 24);
    w->b[count_at + 1] = (unsigned char)(n >> 16);
    w->b[count_at + 2] = (unsigned char)(n >> 8);
    w->b[count_at + 3] = (unsigned char)n;
    return rc;
}

static const char *const needs_sql[] = {
    [RILL_COMPILE_DIRECT] = "SELECT input, in_key FROM rill_cmp_deps WHERE output = ?1 AND "
                            "out_key = ?2 AND kind = 0 ORDER BY input, in_key",
    [RILL_COMPILE_MAP_GROUP] = "SELECT input, in_key, value FROM rill_cmp_values WHERE "
                               "output = ?1 AND out_key = ?2 ORDER BY input, in_key, seq",
    [RILL_COMPILE_REFERENCES] = "SELECT count(*) FROM rill_cmp_deps WHERE output = ?1 AND "
                                "out_key = ?2 AND kind = 0",
};

int rill__cmp_compile_keys(rill_compile *c, const int64_t *to, const char *keys_sql,
                           rill_batch **results)
{
    sqlite3_stmt *keys = NULL, *q = NULL;
    rill_batch *work = NULL;
    rill__cmp_job j = {c};
    cbuf w = {0};
    int rc = 0, step;
    *results = NULL;
    if (sqlite3_prepare_v2(c->out->db, keys_sql, -1, &keys, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->out->db, needs_sql[c->o.pattern], -1, &q, NULL) != SQLITE_OK) {
        rc = rill__cmp_fail(c, "cannot read the compile's dependencies");
        goto out;
    }
    if ((rc = rill_batch_new(&work)) < 0)
        goto out;
    sqlite3_bind_int64(keys, 1, rill__cmp_output_id(c));
    while (rc == 0 && (step = sqlite3_step(keys)) == SQLITE_ROW) {
        const void *key = sqlite3_column_blob(keys, 0);
        size_t len = (size_t)sqlite3_column_bytes(keys, 0);
        if ((rc = work_of(c, to, q, key, len, &w)) == 0)
            rc = rill_batch_add_keyed(work, key, len, w.b, w.n);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = rill__cmp_fail(c, "cannot read the output keys to compile");
    if (rc == 0) {
        rc = rill__cmp_engine(c, work, "compile", rill__cmp_compile_job, &j, results);
        work = NULL;
    }
out:
    rill_batch_free(work);
    rill__cbuf_free(&w);
    sqlite3_finalize(keys);
    sqlite3_finalize(q);
    return rc;
}
