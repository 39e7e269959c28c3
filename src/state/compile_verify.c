/* compile_verify.c — proof that an incremental compile equals a full one:
 * the self-check of a run (a sample of the outputs it skipped compiled
 * again and compared with what the output holds) and rill_compile_verify
 * (a full compile into a scratch file beside the output's, every output
 * key's content hash compared). */
#include "compile.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/error.h"
#include "catalog.h"
#include "rill/dist.h"

int rill__cmp_self_check(rill_compile *c, const int64_t *to, uint64_t *checked)
{
    rill_batch *res = NULL;
    sqlite3_stmt *st;
    char sql[600];
    int64_t skipped = 0, sample;
    size_t k;
    int rc;
    *checked = 0;
    /* the keys this run leaves as they were: the live rows it did not touch */
    if (sqlite3_prepare_v2(c->out->db, "SELECT count(*) FROM rill_cat_entries WHERE catalog = "
                                       "?1 AND to_v IS NULL AND key NOT IN (SELECT out_key FROM "
                                       "temp.rill_cmp_affected)", -1, &st, NULL) != SQLITE_OK)
        return rill__cmp_fail(c, "cannot count the outputs skipped");
    sqlite3_bind_int64(st, 1, rill__cmp_output_id(c));
    if (sqlite3_step(st) == SQLITE_ROW)
        skipped = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (skipped == 0)
        return 0;
    sample = (int64_t)(c->o.self_check * (double)skipped + 0.999999);
    if (sample < 1)
        sample = 1;
    snprintf(sql, sizeof(sql), "DELETE FROM temp.rill_cmp_sample; INSERT INTO "
             "temp.rill_cmp_sample SELECT key FROM rill_cat_entries WHERE catalog = "
             "%lld AND to_v IS NULL AND key NOT IN (SELECT out_key FROM temp.rill_cmp_affected) "
             "ORDER BY random() LIMIT %lld", (long long)rill__cmp_output_id(c),
             (long long)sample);
    if ((rc = rill__cat_exec(c->out, sql, "cannot sample the outputs skipped")) < 0)
        return rc;
    if ((rc = rill__cmp_compile_keys(c, to, "SELECT out_key FROM temp.rill_cmp_sample "
                                            "ORDER BY out_key", &res)) < 0)
        return rc;
    for (k = 0; k < rill_batch_count(res) && rc == 0; k++) {
        rill_record rec;
        rill_catalog_entry e;
        unsigned char h[RILL_CATALOG_HASH_SIZE];
        const void *data;
        const unsigned char *reads;
        size_t len, rlen;
        int present, have;
        rill_batch_get(&rec, res, k);
        if ((rc = rill__cmp_result(&rec, &present, &data, &len, &reads, &rlen)) < 0)
            break;
        rc = rill_catalog_stat(&e, c->out, RILL_CATALOG_LATEST, rec.key, rec.key_len);
        if (rc < 0 && rc != RILL_ENOTFOUND)
            break;
        have = rc == 0;
        rc = 0;
        (*checked)++;
        if (present)
            rill__cat_hash(h, data, len);
        if (present != have || (present && memcmp(h, e.hash, sizeof(h)) != 0)) {
            char q[120];
            rill__quote(q, sizeof(q), rec.key, rec.key_len);
            rc = rill__error(RILL_ECORRUPT, "compile of '%s': self-check: output key %s, which "
                             "this incremental run skipped, compiles to %s than the output "
                             "holds: a dependency was not recorded or external content not "
                             "hashed (nothing committed)", rill_catalog_name(c->out), q,
                             !present ? "nothing, other" : "other content");
        }
    }
    rill_batch_free(res);
    return rc;
}

/* ---- verify ---- */

typedef struct keyed {
    unsigned char *key;  /* owned */
    size_t len;
    unsigned char hash[RILL_CATALOG_HASH_SIZE];
} keyed;

typedef struct keyed_list {
    keyed *v;
    size_t n, cap;
} keyed_list;

static int collect(const rill_catalog_entry *e, void *payload)
{
    keyed_list *l = payload;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        keyed *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return 1;
        l->v = v;
        l->cap = cap;
    }
    if ((l->v[l->n].key = malloc(e->key_len)) == NULL)
        return 1;
    memcpy(l->v[l->n].key, e->key, e->key_len);
    l->v[l->n].len = e->key_len;
    memcpy(l->v[l->n].hash, e->hash, RILL_CATALOG_HASH_SIZE);
    l->n++;
    return 0;
}

static void keyed_free(keyed_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        free(l->v[i].key);
    free(l->v);
}

static int key_cmp(const keyed *a, const keyed *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int d = memcmp(a->key, b->key, n);
    return d ? d : (a->len > b->len) - (a->len < b->len);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_scratch(const char *path)
{
    char p[4400];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    size_t i;
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s-blobs", path);
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The input versions the output's last commit compiled. */
static int recorded_versions(rill_compile *c, int64_t *v)
{
    sqlite3_stmt *st;
    int i, found = 0, rc;
    if (sqlite3_prepare_v2(c->out->db, "SELECT input, version FROM rill_cmp_inputs WHERE "
                                       "output = ?1", -1, &st, NULL) != SQLITE_OK)
        return rill__error(RILL_ENOTFOUND, "compile of '%s': nothing to verify, it was never "
                           "compiled", rill_catalog_name(c->out));
    sqlite3_bind_int64(st, 1, rill__cmp_output_id(c));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        i = sqlite3_column_int(st, 0);
        if (i >= 0 && i < c->nin) {
            v[i] = sqlite3_column_int64(st, 1);
            found++;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rill__cmp_fail(c, "cannot read the inputs compiled last");
    if (found != c->nin)
        return rill__error(RILL_ENOTFOUND, "compile of '%s': its last commit compiled other "
                           "inputs than this compile's %d (or none): nothing to verify",
                           rill_catalog_name(c->out), c->nin);
    return 0;
}

int rill_compile_verify(uint64_t *n, rill_compile *c, rill_compile_diff_fn fn, void *payload)
{
    rill_catalog_options co = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *scratch = NULL;
    rill_compile *full = NULL;
    keyed_list want = {0}, have = {0};
    int64_t *v = NULL;
    char path[4200];
    const char *outp;
    size_t a = 0, b = 0;
    int i, rc;
    if (n == NULL || c == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_verify: NULL argument");
    *n = 0;
    if (rill_ranks() > 1)
        return rill__error(RILL_EINVAL, "rill_compile_verify runs in one process, not over "
                           "%d MPI ranks", rill_ranks());
    RILL__CHECK_ALLOC(v = calloc((size_t)(c->nin ? c->nin : 1), sizeof(*v)));
    if ((rc = recorded_versions(c, v)) < 0)
        goto out;
    outp = rill_catalog_path(c->out);
    if (strlen(outp) > 4096) {
        rc = rill__error(RILL_EINVAL, "rill_compile_verify: the output's path is too long");
        goto out;
    }
    snprintf(path, sizeof(path), "%.4096s-verify-%ld.db", outp, (long)getpid());
    remove_scratch(path);
    co.path = path;
    co.create = 1;
    if ((rc = rill_catalog_open(&scratch, rill_catalog_name(c->out), &co)) < 0 ||
        (rc = rill_compile_new(&full, scratch, &c->o, c->payload)) < 0)
        goto out;
    full->o.self_check = 0;
    for (i = 0; i < c->nin && rc == 0; i++) {
        rill_compile_job j = {RILL_JOB_REPROCESS, 0, v[i]};
        rc = rill_compile_input(full, c->in[i].cat, &j);
    }
    if (rc < 0 || (rc = rill_compile_run(NULL, full)) < 0)
        goto out;
    if (rill_catalog_list(scratch, RILL_CATALOG_LATEST, collect, &want) != 0 ||
        rill_catalog_list(c->out, RILL_CATALOG_LATEST, collect, &have) != 0) {
        rc = rill_error_last()[0] ? RILL_EIO : rill__error(RILL_ENOMEM, "out of memory");
        goto out;
    }
    while ((a < want.n || b < have.n) && rc == 0) { /* both in key order */
        int d = a == want.n ? 1 : b == have.n ? -1 : key_cmp(&want.v[a], &have.v[b]);
        const keyed *k = d <= 0 ? &want.v[a] : &have.v[b];
        const char *what = d < 0 ? "missing" : d > 0 ? "unexpected"
                           : memcmp(want.v[a].hash, have.v[b].hash, RILL_CATALOG_HASH_SIZE)
                               ? "differs"
                               : NULL;
        if (what) {
            (*n)++;
            if (fn && fn(k->key, k->len, what, payload) != 0)
                rc = rill__error(RILL_EUSER, "rill_compile_verify: the callback stopped it");
        }
        a += d <= 0;
        b += d >= 0;
    }
out:
    rill_compile_free(full);
    rill_catalog_free(scratch);
    if (scratch || full)
        remove_scratch(path);
    keyed_free(&want);
    keyed_free(&have);
    free(v);
    return rc;
}
