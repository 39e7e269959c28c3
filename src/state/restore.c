/* restore.c — rebuilding a run from its checkpoint on resume: the rows
 * come back in two passes (reductions, then everything that points at
 * them), each checked against the pipeline before it is used, and the whole
 * against its digest; the pending counts and the stages' open feeders must
 * add up, or the run could wait forever. A row that does not fit makes the
 * file corrupt, and nothing in it is changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/keytable.h"
#include "../core/serial.h"
#include "../io/writer.h"
#include "rill/checkpoint.h"
#include "rows.h"

/* ---- rebuilding ---- */

typedef struct row {
    int kind;
    int64_t id, v[4];
    void *blob; /* owned */
    size_t len;
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
} rows;

static int collect(void *ctx, int kind, int64_t id, const int64_t v[4], const void *blob,
                   size_t len)
{
    rows *rs = ctx;
    row *r;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        row *n = realloc(rs->v, cap * sizeof(*n));
        if (n == NULL)
            return rill__error(RILL_ENOMEM, "out of memory reading a checkpoint");
        rs->v = n;
        rs->cap = cap;
    }
    r = &rs->v[rs->n];
    r->kind = kind;
    r->id = id;
    memcpy(r->v, v, sizeof(r->v));
    r->len = len;
    r->blob = malloc(len ? len : 1);
    if (r->blob == NULL)
        return rill__error(RILL_ENOMEM, "out of memory reading a checkpoint");
    if (len)
        memcpy(r->blob, blob, len);
    rs->n++;
    return 0;
}

static int misfit(const rill__run *run, const char *what)
{
    return rill__error(RILL_ECORRUPT, "%s: the checkpoint does not fit this pipeline (%s)",
                       rill__store_path(run->store), what);
}

/* Records from a row's blob; bytes that do not decode name the file. */
static int unblob(const rill__run *run, const void *blob, size_t len, rill_batch **out)
{
    int rc = rill__deser_records(blob, len, out);
    if (rc == RILL_ECORRUPT) {
        char why[256];
        snprintf(why, sizeof(why), "%s", rill_error_last());
        return rill__error(RILL_ECORRUPT, "%s: the checkpoint is damaged (%s)",
                           rill__store_path(run->store), why);
    }
    return rc;
}

static int restore_store(rill__run *run, rill__reduction *r, const row *w)
{
    const rill__stage *s = &run->stages[r->owner];
    size_t size = rill__ckpt_store_size(s);
    void *store;
    int rc = 0;
    if (s->kind != RILL__REDUCE && s->kind != RILL__FRAME)
        return misfit(run, "a store of a stage that keeps none");
    rill_store_decode_fn decode = s->kind == RILL__FRAME ? s->frame.decode : s->reduce.decode;
    if (w->v[1] != (decode != NULL))
        return misfit(run, "a store saved another way");
    if ((store = calloc(1, size ? size : 1)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if ((rc = rill__deser_store(w->blob, w->len, store, size, decode, s->payload)) < 0) {
        free(store);
        if (rc == RILL_EUSER)
            return rill__error(RILL_EUSER, "%s '%s': its decode callback refused the "
                               "checkpoint's store", rill__kind_name(s->kind), s->name);
        return misfit(run, "a store");
    }
    if (w->v[0] == 0 && r->store == NULL) {
        r->store = store;
    } else if (w->v[0] == 1 && r->partials) { /* the partial stores become one */
        if (r->partials[0] == NULL)
            r->partials[0] = store;
        else {
            rc = s->reduce.merge(r->partials[0], store, s->payload) ? RILL_EUSER : 0;
            rill__store_free(s, s->reduce.free, store);
        }
    } else {
        free(store);
        return misfit(run, "a store where there is none");
    }
    return rc;
}

/* Merges the entries of table from into *into (made when there is none). */
static int merge_table(const rill__stage *s, rill__keytable **into, rill__keytable *from)
{
    size_t pos = 0, len;
    const void *key;
    uint64_t hash;
    void *value;
    int rc = 0;
    if (*into == NULL) {
        *into = from;
        return 0;
    }
    while (rc == 0 && rill__keytable_next(from, &pos, &key, &len, &hash, &value)) {
        int created;
        void *acc = rill__keytable_upsert(*into, key, len, hash, &created);
        if (acc == NULL)
            rc = rill__error(RILL_ENOMEM, "out of memory");
        else if (created)
            memcpy(acc, value, s->combine.value_size);
        else if (s->combine.merge(acc, value, s->payload) != 0)
            rc = rill__error(RILL_EUSER, "combine '%s': its merge callback failed", s->name);
    }
    rill__keytable_free(from);
    return rc;
}

static int restore_table(rill__run *run, rill__reduction *r, const row *w)
{
    const rill__stage *s = &run->stages[r->owner];
    rill__keytable *t;
    int rc;
    if (s->kind != RILL__COMBINE || r->partials == NULL)
        return misfit(run, "a key table of a stage that keeps none");
    if ((rc = rill__deser_table(w->blob, w->len, s->combine.value_size, &t)) < 0)
        return rc == RILL_ENOMEM ? rc : misfit(run, "a key table");
    return merge_table(s, (rill__keytable **)&r->partials[0], t);
}

/* Every pending count must be what the rebuilt run holds: its tasks, its
 * open children and the holds of the source and of open stages. A count
 * that does not add up would leave the run waiting forever. */
static int check_pending(rill__run *run, rill__reduction **red, int64_t nred)
{
    int64_t *want = calloc((size_t)nred + 1, sizeof(*want)), k;
    rill__reduction *r;
    int s, rc = 0;
    if (want == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    for (r = run->live_list; r; r = r->next)
        if (r->parent)
            want[r->parent->ckpt_id]++;
    for (s = 0; s < run->nstages; s++) {
        rill__task *t;
        for (t = run->head[s]; t; t = t->next)
            want[t->red->ckpt_id]++;
        if (run->closing && s < run->nstages - 1 && !run->closed[s])
            want[run->root->ckpt_id]++;
    }
    if (!run->src_done)
        want[run->src_red->ckpt_id]++;
    for (k = 1; k <= nred && rc == 0; k++)
        if (red[k] && (atomic_load(&red[k]->pending) != want[k] || want[k] < 1))
            rc = misfit(run, "a pending count"); /* nothing left, yet open: a hang */
    if (rc == 0 && run->closing) /* a stage waits for exactly its open feeders */
        for (s = 0; s < run->nstages - 1 && rc == 0; s++) {
            int open = 0, j, i;
            for (j = 0; j < run->nstages - 1; j++)
                for (i = 0; i < run->stages[j].nsucc; i++)
                    open += run->stages[j].succ[i] == s && !run->closed[j];
            for (i = 0; i < run->nroots; i++)
                open += run->roots[i] == s && !run->src_done;
            if (!run->closed[s] && atomic_load(&run->preds_open[s]) != open)
                rc = misfit(run, "a stage's open feeders");
        }
    free(want);
    return rc;
}

static int rebuild(rill__run *run, rows *rs, uint64_t rows_digest)
{
    rill__reduction **red = NULL;
    int64_t nred = 0, src_red = 0, v;
    size_t i;
    int rc = 0, found;
    rill__worker *w = &run->w[0];
    for (i = 0; i < rs->n; i++)
        if (rs->v[i].kind == ROW_RED && rs->v[i].id > nred)
            nred = rs->v[i].id;
    if (nred < 1 || nred > (int64_t)rs->n)
        return misfit(run, "no root");
    if ((red = calloc((size_t)nred + 1, sizeof(*red))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    /* the reductions run_setup made give way to the saved ones */
    while (run->live_list)
        rill__reduction_destroy(run, run->live_list);
    run->root = run->src_red = NULL;
    for (i = 0; i < rs->n && rc == 0; i++) {
        row *x = &rs->v[i];
        if (x->kind != ROW_RED)
            continue;
        if (x->id < 1 || red[x->id] || x->v[1] < -1 || x->v[1] >= run->nstages - 1 ||
            x->v[0] < 0 || x->v[0] > nred || (x->v[0] && !red[x->v[0]]) ||
            (x->v[1] >= 0 && run->stages[x->v[1]].kind != RILL__REDUCE &&
             run->stages[x->v[1]].kind != RILL__COMBINE && run->stages[x->v[1]].kind != RILL__FRAME)) {
            rc = misfit(run, "a reduction");
            break;
        }
        if ((rc = rill__reduction_open(run, (int)x->v[1], NULL, 0, &red[x->id])) < 0)
            break;
        red[x->id]->ckpt_id = x->id;
        red[x->id]->parent = x->v[0] ? red[x->v[0]] : NULL;
        red[x->id]->index = (size_t)x->v[3];
        if (x->v[1] < 0 && x->v[0] == 0)
            run->root = red[x->id];
    }
    for (i = 0; i < rs->n && rc == 0; i++) {
        row *x = &rs->v[i];
        rill__reduction *r = x->kind == ROW_RED || x->kind == ROW_HELD || x->kind == ROW_CLOSING
                                 ? NULL
                             : (x->id >= 1 && x->id <= nred) ? red[x->id] : NULL;
        if (x->kind != ROW_RED && x->kind != ROW_HELD && x->kind != ROW_CLOSING && r == NULL) {
            rc = misfit(run, "a row of no reduction");
            break;
        }
        switch (x->kind) {
        case ROW_STORE:
            rc = r->owner >= 0 ? restore_store(run, r, x) : misfit(run, "a store of the root");
            break;
        case ROW_TABLE:
            rc = r->owner >= 0 ? restore_table(run, r, x) : misfit(run, "a table of the root");
            break;
        case ROW_FIRST:
            if (r->owner < 0 || run->stages[r->owner].kind != RILL__FRAME)
                rc = misfit(run, "a first record of no frame");
            else if ((rc = unblob(run, x->blob, x->len, &r->first)) == 0 &&
                     r->first->n != 1)
                rc = misfit(run, "a frame's first record");
            break;
        case ROW_TASK: {
            rill_batch *b;
            rill__task *t;
            if (x->v[0] < 0 || x->v[0] >= run->nstages || x->v[1] < -1 ||
                x->v[1] >= run->nstages || x->v[2] < 0 || x->v[2] > 1) {
                rc = misfit(run, "a task");
                break;
            }
            if ((rc = unblob(run, x->blob, x->len, &b)) < 0)
                break;
            if (b->n == 0) {
                rill_batch_free(b);
                break;
            }
            rc = rill__task_new(w, (int)x->v[0], r, b, 0, b->n, &t);
            rill__batch_unref(b); /* the task holds it */
            if (rc < 0)
                break;
            t->from = (int)x->v[1];
            t->phase = (int)x->v[2];
            t->next = NULL;
            if (run->tail[t->stage])
                run->tail[t->stage]->next = t;
            else
                run->head[t->stage] = t;
            run->tail[t->stage] = t;
            run->queued++;
            break;
        }
        case ROW_CLOSING:
            if (!run->closing || x->id < 0 || x->id >= run->nstages)
                rc = misfit(run, "a stage's closing state");
            else {
                atomic_store(&run->preds_open[x->id], (int)x->v[0]);
                run->closed[x->id] = (char)x->v[1];
            }
            break;
        case ROW_HELD:
            if (x->id == -1) {
                rill_batch_free(run->results);
                run->results = NULL;
                rc = unblob(run, x->blob, x->len, &run->results);
            } else if (x->id == -2) {
                rill_batch *b;
                if (run->p->writer && (rc = unblob(run, x->blob, x->len, &b)) == 0) {
                    rc = rill__writer_restore(run->p->writer, b);
                    rill_batch_free(b);
                }
            } else if (!run->closing || x->id < 0 || x->id >= run->nstages)
                rc = misfit(run, "records held by a stage");
            else
                rc = unblob(run, x->blob, x->len, &run->held[x->id]);
            break;
        case ROW_RED:
            break;
        default:
            rc = misfit(run, "a row of an unknown kind");
        }
    }
    /* the pending counts as they were: tasks, children and holds together */
    for (i = 0; i < rs->n && rc == 0; i++)
        if (rs->v[i].kind == ROW_RED)
            atomic_store(&red[rs->v[i].id]->pending, rs->v[i].v[2]);
    if (rc == 0 && (rc = rill__store_get_int(run->store, "src_done", &v, &found)) == 0)
        run->src_done = (int)v;
    if (rc == 0 && (rc = rill__store_get_int(run->store, "src_red", &src_red, &found)) == 0 &&
        (!found || run->root == NULL ||
         (!run->src_done && (src_red < 1 || src_red > nred || !red[src_red]))))
        rc = misfit(run, "the source's reduction");
    if (rc == 0) {
        run->src_red = run->src_done ? run->root : red[src_red];
        if ((rc = rill__store_get_int(run->store, "src_next", &v, &found)) == 0) {
            if (v < 0 || (size_t)v > run->src_end)
                rc = misfit(run, "the source's position");
            run->src_next = (size_t)v;
        }
    }
    if (rc == 0 && (rc = rill__store_get_int(run->store, "generated", &v, &found)) == 0)
        run->generated = (size_t)v;
    if (rc == 0 && (rc = rill__store_get_int(run->store, "delivered", &v, &found)) == 0)
        run->delivered = v;
    if (rc == 0 && (rc = rill__store_get_int(run->store, "checkpoints", &v, &found)) == 0)
        run->checkpoints = v;
    if (rc == 0 && ((rc = rill__store_get_int(run->store, "digest", &v, &found)) < 0 || !found ||
                    (uint64_t)v != rill__ckpt_digest(run, rows_digest, run->src_done ? 0 : src_red)))
        rc = rc < 0 ? rc : rill__error(RILL_ECORRUPT, "%s: the checkpoint does not match its "
                                       "digest: the file was changed or damaged after it was "
                                       "written", rill__store_path(run->store));
    if (rc == 0)
        rc = check_pending(run, red, nred);
    free(red);
    return rc;
}

/* Generates and drops the batches a generator gave before the checkpoint. */
static int skip_generated(rill__run *run)
{
    size_t i;
    for (i = 0; i < run->generated; i++) {
        rill_batch *b;
        int rc;
        if ((rc = rill_batch_new(&b)) < 0)
            return rc;
        rc = run->p->generator(b, run->p->generator_payload);
        rill_batch_free(b);
        if (rc <= 0)
            return rc < 0 ? rill__error(RILL_EUSER, "the generator failed while resuming") : 0;
    }
    return 0;
}

static int resume_complete(rill__run *run);

int rill__checkpoint_start(rill__run *run)
{
    rill_pipeline *p = run->p;
    int64_t fp, finished = 0, count = 0;
    int found, rc, i;
    uint64_t mine = rill__ckpt_fingerprint(p), digest;
    rows rs = {NULL, 0, 0};
    for (i = 0; i < p->n; i++) {
        const rill__stage *s = &p->stages[i];
        if ((s->kind == RILL__REDUCE && s->reduce.free && !(s->reduce.encode && s->reduce.decode)) ||
            (s->kind == RILL__FRAME && s->frame.free && !(s->frame.encode && s->frame.decode)))
            return rill__refuse(p, i, "keeps more than plain bytes in its store (it has a "
                                      "free callback) but no encode and decode to save it");
    }
    if ((rc = rill__store_open(&run->store, p->ckpt_path)) < 0)
        return rc;
    if ((rc = rill__store_get_int(run->store, "fingerprint", &fp, &found)) < 0)
        return rc;
    if (p->ckpt_resume && found) {
        if ((uint64_t)fp != mine)
            return rill__error(RILL_EPIPELINE, "%s holds a checkpoint of another pipeline (its "
                               "stages, options or work list differ); nothing was changed",
                               p->ckpt_path);
        if ((rc = rill__store_get_int(run->store, "finished", &finished, &found)) < 0)
            return rc;
        if (finished)
            return rill__error(RILL_EFINISHED, "the run checkpointed in %s had finished",
                               p->ckpt_path);
        if ((rc = rill__store_get_int(run->store, "complete", &count, &found)) < 0)
            return rc;
        if (found && count)
            return resume_complete(run);
        if ((rc = rill__store_get_int(run->store, "checkpoints", &count, &found)) < 0)
            return rc;
        if (count > 0) {
            if ((rc = rill__store_each(run->store, collect, &rs, &digest)) == 0 &&
                (rc = rebuild(run, &rs, digest)) == 0 && p->generator)
                rc = skip_generated(run);
            for (size_t k = 0; k < rs.n; k++)
                free(rs.v[k].blob);
            free(rs.v);
            return rc < 0 ? rc : 1;
        }
    }
    /* a fresh run: its fingerprint, no rows */
    if ((rc = rill__store_begin(run->store)) < 0)
        return rc;
    if ((rc = rill__store_clear(run->store)) < 0 ||
        (rc = rill__store_set_int(run->store, "fingerprint", (int64_t)mine)) < 0 ||
        (rc = rill__store_set_int(run->store, "finished", 0)) < 0 ||
        (rc = rill__store_set_int(run->store, "complete", 0)) < 0 ||
        (rc = rill__store_set_int(run->store, "checkpoints", 0)) < 0) {
        rill__store_rollback(run->store);
        return rc;
    }
    return rill__store_commit(run->store);
}

/* The run had done all its work and was publishing its files when it
 * stopped: the files are published again (those already are stay). */
static int resume_complete(rill__run *run)
{
    rows rs = {NULL, 0, 0};
    uint64_t digest;
    size_t k;
    int rc = rill__store_each(run->store, collect, &rs, &digest);
    for (k = 0; rc == 0 && k < rs.n; k++)
        if (rs.v[k].kind == ROW_HELD && rs.v[k].id == -1 && run->results) { /* for the caller */
            rill_batch_free(run->results);
            run->results = NULL;
            rc = unblob(run, rs.v[k].blob, rs.v[k].len, &run->results);
        } else if (rs.v[k].kind == ROW_HELD && rs.v[k].id == -2 && run->p->writer) {
            rill_batch *b;
            if ((rc = unblob(run, rs.v[k].blob, rs.v[k].len, &b)) == 0) {
                rc = rill__writer_restore(run->p->writer, b);
                rill_batch_free(b);
            }
        }
    for (k = 0; k < rs.n; k++)
        free(rs.v[k].blob);
    free(rs.v);
    return rc < 0 ? rc : 2;
}

