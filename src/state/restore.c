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
#include "rill/checkpoint.h"
#include "rows.h"

/* ---- rebuilding ---- */

typedef struct row {
    int64_t v[5];
    void *blob; /* owned; NULL when the column is NULL */
    size_t len;
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
} rows;

/* Every table's rows, read in full before anything is rebuilt. */
typedef struct saved {
    rows t[RILL__T_COUNT];
} saved;

static int collect(void *ctx, const int64_t *v, const void *blob, size_t len)
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
    memset(r, 0, sizeof(*r));
    memcpy(r->v, v, sizeof(r->v)); /* v has room for 8 */
    r->len = len;
    if (blob) {
        if ((r->blob = malloc(len ? len : 1)) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory reading a checkpoint");
        if (len)
            memcpy(r->blob, blob, len);
    }
    rs->n++;
    return 0;
}

static int read_saved(rill__store *st, saved *sv)
{
    int i, rc = 0;
    memset(sv, 0, sizeof(*sv));
    for (i = 0; i < RILL__T_COUNT && rc == 0; i++)
        rc = rill__store_each(st, i, collect, &sv->t[i]);
    return rc;
}

static void free_saved(saved *sv)
{
    size_t k;
    int i;
    for (i = 0; i < RILL__T_COUNT; i++) {
        for (k = 0; k < sv->t[i].n; k++)
            free(sv->t[i].v[k].blob);
        free(sv->t[i].v);
    }
}

static int misfit(const rill__run *run, const char *what)
{
    return rill__error(RILL_ECORRUPT, "%s: the checkpoint does not fit this pipeline (%s)",
                       rill__store_path(run->ckpt.store), what);
}

/* Records from a row's blob; bytes that do not decode name the file. */
static int unblob(const rill__run *run, const row *w, rill_batch **out)
{
    int rc = rill__deser_records(w->blob, w->len, out);
    if (rc == RILL_ECORRUPT) {
        char why[256];
        snprintf(why, sizeof(why), "%s", rill_error_last());
        return rill__error(RILL_ECORRUPT, "%s: the checkpoint is damaged (%s)",
                           rill__store_path(run->ckpt.store), why);
    }
    return rc;
}

/* A store or partial state, decoded by its kind: the reduction's store, or
 * a partial in the first free worker's slot (the run may have fewer workers
 * than the one saved: the rest wait with those other ranks send home, and
 * are merged with them when the reduction finishes). */
static int restore_state(rill__run *run, rill__reduction *r, const row *w)
{
    const rill__stage *s = &run->stages[r->owner];
    void *state, **x;
    int rc, i;
    if (s->ops->decode == NULL)
        return misfit(run, "a store of a stage that keeps none");
    if ((rc = s->ops->decode(s, w->blob, w->len, &state)) < 0)
        return rc == RILL_ECORRUPT ? misfit(run, "a store") : rc;
    if (w->v[STORE_PARTIAL] == 0 && r->store == NULL && r->partials == NULL) {
        r->store = state;
        return 0;
    }
    if (w->v[STORE_PARTIAL] != 1 || r->partials == NULL) {
        if (s->ops->state_free)
            s->ops->state_free(s, state);
        return misfit(run, "a store where there is none");
    }
    for (i = 0; i < run->workers; i++)
        if (r->partials[i] == NULL) {
            r->partials[i] = state;
            return 0;
        }
    if ((x = realloc(r->extra, (r->nextra + 1) * sizeof(*x))) == NULL) {
        if (s->ops->state_free)
            s->ops->state_free(s, state);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    r->extra = x;
    r->extra[r->nextra++] = state;
    return 0;
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
    for (r = run->reds.live; r; r = r->next)
        if (r->parent)
            want[r->parent->ckpt_id]++;
    for (s = 0; s < run->nstages; s++) {
        rill__task *t;
        for (t = run->sched.head[s]; t; t = t->next)
            want[t->red->ckpt_id]++;
        if (run->close.on && s < run->nstages - 1 && !run->close.closed[s])
            want[run->reds.root->ckpt_id]++;
    }
    if (!run->src.done)
        want[run->src.red->ckpt_id]++;
    for (k = 1; k <= nred && rc == 0; k++)
        if (red[k] && (atomic_load(&red[k]->pending) != want[k] || want[k] < 1))
            rc = misfit(run, "a pending count"); /* nothing left, yet open: a hang */
    if (rc == 0 && run->close.on) /* a stage waits for exactly its open feeders */
        for (s = 0; s < run->nstages - 1 && rc == 0; s++) {
            int open = 0, j, i;
            for (j = 0; j < run->nstages - 1; j++)
                for (i = 0; i < run->stages[j].nsucc; i++)
                    open += run->stages[j].succ[i] == s && !run->close.closed[j];
            for (i = 0; i < run->sched.nroots; i++)
                open += run->sched.roots[i] == s && !run->src.done;
            if (!run->close.closed[s] && atomic_load(&run->close.preds_open[s]) != open)
                rc = misfit(run, "a stage's open feeders");
        }
    free(want);
    return rc;
}

/* The reduction a row names, or NULL. */
static rill__reduction *named(rill__reduction **red, int64_t nred, int64_t id)
{
    return id >= 1 && id <= nred ? red[id] : NULL;
}

/* The reductions, parents first, each checked against the pipeline. */
static int rebuild_reductions(rill__run *run, const rows *rs, rill__reduction **red,
                              int64_t nred)
{
    size_t i;
    int rc = 0;
    for (i = 0; i < rs->n && rc == 0; i++) {
        const row *x = &rs->v[i];
        int64_t id = x->v[RED_ID], parent = x->v[RED_PARENT], owner = x->v[RED_OWNER];
        rill__reduction *r;
        if (id < 1 || id > nred || red[id] || owner < -1 || owner >= run->nstages - 1 ||
            parent < 0 || parent > nred || (parent && !red[parent]) || x->v[RED_INDEX] < 0 ||
            (owner >= 0 && run->stages[owner].ops->finish == NULL)) /* keeps no scope */
            return misfit(run, "a reduction");
        if ((rc = rill__reduction_open(run, (int)owner, NULL, 0, &red[id])) < 0)
            return rc;
        r = red[id];
        r->ckpt_id = id;
        r->parent = parent ? red[parent] : NULL;
        r->index = (size_t)x->v[RED_INDEX];
        if (owner < 0 && parent == 0)
            run->reds.root = r;
        if (x->blob) { /* the record that opened a frame */
            if (owner < 0 || !rill__kind_is(&run->stages[owner], RILL_KIND_FRAME))
                return misfit(run, "a first record of no frame");
            if ((rc = unblob(run, x, &r->first)) == 0 && r->first->n != 1)
                rc = misfit(run, "a frame's first record");
        }
    }
    return rc;
}

static int rebuild_task(rill__run *run, const row *x, rill__reduction *r)
{
    rill_batch *b;
    rill__task *t;
    int rc;
    if (r == NULL)
        return misfit(run, "a task of no reduction");
    if (x->v[TASK_STAGE] < 0 || x->v[TASK_STAGE] >= run->nstages || x->v[TASK_FROM] < -1 ||
        x->v[TASK_FROM] >= run->nstages || x->v[TASK_PHASE] < 0 || x->v[TASK_PHASE] > 1)
        return misfit(run, "a task");
    if ((rc = unblob(run, x, &b)) < 0)
        return rc;
    if (b->n == 0) {
        rill_batch_free(b);
        return 0;
    }
    rc = rill__task_new(&run->w[0], (int)x->v[TASK_STAGE], r, b, 0, b->n, &t);
    rill__batch_unref(b); /* the task holds it */
    if (rc < 0)
        return rc;
    t->from = (int)x->v[TASK_FROM];
    t->phase = (int)x->v[TASK_PHASE];
    rill__push(run, t); /* no worker runs yet: it waits in its queue */
    return 0;
}

/* The results held for the callbacks, in order, and how many were given. */
static int rebuild_held(rill__run *run, const saved *sv, const rill__runrow *rr)
{
    size_t i;
    int rc = 0;
    if (rr->delivered < 0)
        return misfit(run, "the count of results delivered");
    run->out.delivered = rr->delivered;
    for (i = 0; rc == 0 && i < sv->t[RILL__T_UNDELIVERED].n; i++) {
        const row *x = &sv->t[RILL__T_UNDELIVERED].v[i];
        rill__held *h;
        if (x->v[0] < -1 || x->v[0] >= run->nstages)
            return misfit(run, "results held from no stage");
        if ((h = calloc(1, sizeof(*h))) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        if ((rc = unblob(run, x, &h->batch)) < 0) {
            free(h);
            return rc;
        }
        h->from = (int)x->v[0];
        h->end = h->batch->n;
        if (run->out.held_last)
            run->out.held_last->next = h;
        else
            run->out.held = h;
        run->out.held_last = h;
    }
    return rc;
}

/* The results collected, the files written and the results held before
 * the checkpoint (the results only when the run collects them, unless all). */
static int rebuild_outputs(rill__run *run, const saved *sv, const rill__runrow *rr, int all)
{
    int rc = 0;
    if (sv->t[RILL__T_RESULTS].n > 1 || sv->t[RILL__T_FILES].n > 1)
        return misfit(run, "results or files twice");
    if (sv->t[RILL__T_RESULTS].n && (all || run->out.results)) {
        rill_batch_free(run->out.results);
        run->out.results = NULL;
        rc = unblob(run, &sv->t[RILL__T_RESULTS].v[0], &run->out.results);
    }
    if (rc == 0 && sv->t[RILL__T_FILES].n) {
        rill_batch *b;
        if (run->p->sink == NULL || run->p->sink->restore == NULL)
            return misfit(run, "files of a pipeline that writes none");
        if ((rc = unblob(run, &sv->t[RILL__T_FILES].v[0], &b)) == 0) {
            rc = run->p->sink->restore(run->p->sink_self, b);
            rill_batch_free(b);
        }
    }
    return rc == 0 ? rebuild_held(run, sv, rr) : rc;
}

/* Whether the digest the run's row holds is that of what was read. */
static int check_digest(const rill__run *run, const rill__runrow *row)
{
    if (!row->has_digest ||
        (uint64_t)row->digest != rill__ckpt_digest(row, rill__store_read_digest(run->ckpt.store)))
        return rill__error(RILL_ECORRUPT, "%s: the checkpoint does not match its digest: the "
                           "file was changed or damaged after it was written",
                           rill__store_path(run->ckpt.store));
    return 0;
}

static int rebuild(rill__run *run, const saved *sv, const rill__runrow *rr)
{
    const rows *reds = &sv->t[RILL__T_REDUCTIONS];
    rill__reduction **red = NULL;
    int64_t nred = (int64_t)reds->n;
    size_t i;
    int rc = 0;
    if ((rc = check_digest(run, rr)) < 0)
        return rc;
    if (nred < 1)
        return misfit(run, "no root");
    if ((red = calloc((size_t)nred + 1, sizeof(*red))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    /* the reductions run_setup made give way to the saved ones */
    while (run->reds.live)
        rill__reduction_destroy(run, run->reds.live);
    run->reds.root = run->src.red = NULL;
    rc = rebuild_reductions(run, reds, red, nred);
    for (i = 0; rc == 0 && i < sv->t[RILL__T_STORES].n; i++) {
        const row *x = &sv->t[RILL__T_STORES].v[i];
        rill__reduction *r = named(red, nred, x->v[STORE_RED]);
        rc = r == NULL || r->owner < 0 ? misfit(run, "a store of no stage") : restore_state(run, r, x);
    }
    for (i = 0; rc == 0 && i < sv->t[RILL__T_TASKS].n; i++) {
        const row *x = &sv->t[RILL__T_TASKS].v[i];
        rc = rebuild_task(run, x, named(red, nred, x->v[TASK_RED]));
    }
    for (i = 0; rc == 0 && i < sv->t[RILL__T_CLOSING].n; i++) {
        const row *x = &sv->t[RILL__T_CLOSING].v[i];
        int64_t st = x->v[CLOSING_STAGE];
        if (!run->close.on || st < 0 || st >= run->nstages)
            rc = misfit(run, "a stage's closing state");
        else {
            atomic_store(&run->close.preds_open[st], (int)x->v[CLOSING_PREDS]);
            run->close.closed[st] = (char)x->v[CLOSING_CLOSED];
        }
    }
    for (i = 0; rc == 0 && i < sv->t[RILL__T_HELD].n; i++) {
        const row *x = &sv->t[RILL__T_HELD].v[i];
        int64_t st = x->v[HELD_STAGE];
        if (!run->close.on || st < 0 || st >= run->nstages || run->close.held[st])
            rc = misfit(run, "records held by a stage");
        else
            rc = unblob(run, x, &run->close.held[st]);
    }
    if (rc == 0)
        rc = rebuild_outputs(run, sv, rr, 1);
    /* the pending counts as they were: tasks, children and holds together */
    for (i = 0; rc == 0 && i < reds->n; i++)
        atomic_store(&red[reds->v[i].v[RED_ID]]->pending, reds->v[i].v[RED_PENDING]);
    if (rc == 0) {
        run->src.done = (int)rr->src_done;
        if (run->reds.root == NULL ||
            (!run->src.done && named(red, nred, rr->src_red) == NULL))
            rc = misfit(run, "the source's reduction");
    }
    if (rc == 0) {
        run->src.red = run->src.done ? run->reds.root : red[rr->src_red];
        if (rr->src_next < 0 ||
            (uint64_t)rr->src_next > run->src.end)
            rc = misfit(run, "the source's position");
        run->src.next = (size_t)rr->src_next;
        run->src.generated = (size_t)rr->generated;
        run->ckpt.count = rr->checkpoints;
    }
    if (rc == 0)
        rc = check_pending(run, red, nred);
    free(red);
    return rc;
}

/* A source that does not only cut (a generator) is asked again for the
 * batches it gave before the checkpoint, which are dropped: only its
 * position in calls can be kept. */
static int skip_pulled(rill__run *run)
{
    const rill_source *src = run->src.ops;
    int64_t position = 0;
    size_t i;
    if (src == NULL || (src->flags & (RILL_SOURCE_CUTS | RILL_SOURCE_SEEKS)))
        return 0; /* its position alone says where it is */
    for (i = 0; i < run->src.generated; i++) {
        rill_source_pull q = {0};
        int rc;
        q.workers = run->workers;
        q.batch_records = run->batch_records;
        q.position = position;
        if ((rc = rill_batch_new(&q.out)) < 0)
            return rc;
        rc = src->next(run->src.self, &q);
        rill_batch_free(q.out);
        if (rc < 0)
            return rill__error(RILL_EUSER, "source '%s' failed while resuming", src->name);
        if (rc == 0) /* gave out before: it does not give what it gave again */
            break;
        position = q.position;
    }
    if (i < run->src.generated || position != (int64_t)run->src.next)
        return rill__error(RILL_ECORRUPT, "source '%s' did not give again what it gave "
                           "before the checkpoint (%zu pulls to position %lld, now %zu to "
                           "%lld): it cannot be resumed", src->name, run->src.generated,
                           (long long)run->src.next, i, (long long)position);
    return 0;
}

/* Whether the file's checkpoint may be read and acted on: its digest
 * matches (read into sv; sv is freed on failure). */
static int check_saved(rill__run *run, const rill__runrow *row, saved *sv)
{
    int rc = read_saved(run->ckpt.store, sv);
    if (rc == 0)
        rc = check_digest(run, row);
    if (rc < 0)
        free_saved(sv);
    return rc;
}

int rill__checkpoint_start(rill__run *run)
{
    rill_pipeline *p = run->p;
    rill__runrow row;
    saved sv;
    char def[64];
    const char *path = p->ckpt_path;
    int rc, i;
    uint64_t mine = rill__pipeline_fingerprint(p);
    for (i = 0; i < p->n; i++) {
        const rill__stage *s = &p->stages[i];
        if (s->ops->savable && !s->ops->savable(s))
            return rill__refuse(p, i, "keeps more than plain bytes in its store (it has a "
                                      "free callback) but no encode and decode to save it");
        if (s->ops->close && s->ops->encode == NULL && !rill__kind_is(s, RILL_KIND_RESTARTS))
            return rill__refuse(p, i, "its kind holds records back for its close, which a "
                                      "checkpoint cannot save");
    }
    if (path == NULL) { /* the default: a file per pipeline */
        snprintf(def, sizeof(def), ".rill/%016llx.db", (unsigned long long)mine);
        path = def;
    }
    if ((rc = rill__store_open(&run->ckpt.store, path)) < 0)
        return rc;
    if ((rc = rill__store_get_run(run->ckpt.store, &row)) < 0)
        return rc;
    if (!row.has_fingerprint) { /* no run yet: the row and the tables as a new file's */
        if ((rc = read_saved(run->ckpt.store, &sv)) == 0 &&
            (row.has_digest || row.finished || row.complete || row.checkpoints ||
             row.src_next || row.src_done || row.src_red || row.generated || row.delivered ||
             rill__store_read_digest(run->ckpt.store) != rill__store_digest(run->ckpt.store)))
            rc = rill__error(RILL_ECORRUPT, "%s: the checkpoint does not match its digest: "
                             "the file was changed or damaged after it was written (its "
                             "pipeline's fingerprint is gone)", path);
        free_saved(&sv);
        if (rc < 0 && (rc != RILL_ECORRUPT || !p->ckpt_replace))
            return rc;
    } else { /* the digest first: a flag flipped is damage */
        int theirs = (uint64_t)row.fingerprint != mine, resumed = 0;
        if ((rc = check_saved(run, &row, &sv)) < 0) {
            if (rc != RILL_ECORRUPT || !p->ckpt_replace)
                return rc;
            goto fresh; /* replace asked for: a damaged checkpoint is started over */
        }
        if (theirs && !p->ckpt_replace && p->ckpt_resume)
            rc = rill__error(RILL_EPIPELINE, "%s holds a checkpoint of another pipeline (its "
                             "stages, options or work list differ); nothing was changed", path);
        else if (theirs && !p->ckpt_replace && !row.finished &&
                 (row.complete || row.checkpoints > 0))
            rc = rill__error(RILL_EEXISTS, "%s holds a checkpoint of another pipeline's run "
                             "that did not finish; nothing was changed: resume that run with "
                             "its pipeline, give this one another path, delete the file, or "
                             "set replace in rill_checkpoint_options to start over in it",
                             path);
        else if (!theirs && !p->ckpt_replace && !p->ckpt_resume && p->ckpt_keep &&
                 !row.finished && (row.complete || row.checkpoints > 0)) {
            p->ckpt_found_delivered = row.delivered;
            rc = rill__error(RILL_EEXISTS, "%s holds an unfinished run of this pipeline "
                             "(%lld results delivered); nothing was changed: resume it, or "
                             "delete the file to start over", path, (long long)row.delivered);
        } else if (!theirs && p->ckpt_resume &&
                 (row.finished || row.complete || row.checkpoints > 0)) {
            resumed = 1;
            if (row.finished)
                rc = rill__error(RILL_EFINISHED, "the run checkpointed in %s had finished",
                                 path);
            else if (row.complete) /* its files are left to publish */
                rc = (rc = rebuild_outputs(run, &sv, &row, 0)) < 0 ? rc : 2;
            else if ((rc = rebuild(run, &sv, &row)) == 0)
                rc = skip_pulled(run);
        }
        free_saved(&sv);
        if (rc < 0 || resumed)
            return rc < 0 ? rc : rc == 2 ? 2 : 1;
    }
fresh: /* a fresh run: its fingerprint, no rows */
    if ((rc = rill__store_begin(run->ckpt.store)) < 0)
        return rc;
    memset(&row, 0, sizeof(row));
    row.has_fingerprint = row.has_digest = 1;
    row.fingerprint = (int64_t)mine;
    if ((rc = rill__store_clear(run->ckpt.store)) < 0 ||
        (row.digest = (int64_t)rill__ckpt_digest(&row, rill__store_digest(run->ckpt.store)),
         (rc = rill__store_set_run(run->ckpt.store, &row)) < 0)) {
        rill__store_rollback(run->ckpt.store);
        return rc;
    }
    return rill__store_commit(run->ckpt.store);
}
