/* snapshot.c — saving a run at the barrier: the consistent cut taken with
 * every worker parked between tasks, so nothing is in flight and the run is
 * exactly its reductions (with their stores, partial stores and combine
 * tables, and the pending counts that tie them), the tasks in the queues
 * (the units of splittable work among them), what stages hold back for
 * their batch size, where the source is, the results collected and the
 * output files written. Rows go in parents-first order; a digest of them
 * all is written last. Rebuilding a run from them is restore.c. */
#include <stdlib.h>
#include <string.h>

#include "../core/keytable.h"
#include "../core/serial.h"
#include "rill/checkpoint.h"
#include "rill/io.h"
#include "rows.h"

/* ---- saving ---- */

/* A row of table whose blob is what o holds (o is emptied). */
static int put_out(rill__store *st, int table, const int64_t *v, rill__out *o)
{
    char *buf;
    size_t len;
    int rc = rill__out_take(o, &buf, &len);
    if (rc == 0) {
        rc = rill__store_put(st, table, v, buf, len);
        free(buf);
    }
    return rc;
}

int rill__ckpt_put_records(rill__store *st, int table, const int64_t *v, const rill_batch *b,
                           size_t begin, size_t end)
{
    rill__out o;
    rill__out_init(&o, 0);
    rill__ser_records(&o, b, begin, end);
    return put_out(st, table, v, &o);
}

/* A store or partial state (partial: one of the per-worker ones) as its
 * kind encodes it. */
static int put_state(rill__store *st, const rill__stage *s, int64_t id, int partial,
                     const void *state)
{
    int64_t v[2] = {id, partial};
    void *bytes;
    size_t len;
    int rc;
    if (s->ops->encode == NULL)
        return rill__error(RILL_EIO, "%s '%s': its kind keeps state it cannot save",
                           rill__kind_name(s), s->name);
    if ((rc = s->ops->encode(s, state, &bytes, &len)) < 0)
        return rc;
    rc = rill__store_put(st, RILL__T_STORES, v, bytes, len);
    free(bytes);
    return rc;
}

/* A reduction's row: with a frame's first record when it has one. */
static int put_reduction(rill__store *st, const rill__reduction *r)
{
    int64_t v[5];
    rill__out o;
    v[RED_ID] = r->ckpt_id;
    v[RED_PARENT] = r->parent ? r->parent->ckpt_id : 0;
    v[RED_OWNER] = r->owner;
    v[RED_PENDING] = atomic_load(&r->pending);
    v[RED_INDEX] = (int64_t)r->index;
    if (r->owner < 0 || r->first == NULL)
        return rill__store_put(st, RILL__T_REDUCTIONS, v, NULL, 0);
    rill__out_init(&o, 0);
    rill__ser_records(&o, r->first, 0, r->first->n);
    return put_out(st, RILL__T_REDUCTIONS, v, &o);
}

static int save_reductions(rill__run *run, rill__store *st)
{
    rill__reduction *r;
    int64_t id = 0;
    int rc = 0, i;
    size_t k;
    for (r = run->reds.live; r; r = r->next)
        r->ckpt_id = ++id;
    /* parents first: a reduction is saved after every ancestor */
    for (r = run->reds.live; r && rc == 0; r = r->next)
        r->ckpt_saved = 0;
    for (;;) {
        int progress = 0, left = 0;
        for (r = run->reds.live; r && rc == 0; r = r->next) {
            if (r->ckpt_saved)
                continue;
            if (r->parent && !r->parent->ckpt_saved) {
                left = 1;
                continue;
            }
            if ((rc = put_reduction(st, r)) < 0)
                break;
            if (r->owner >= 0) {
                const rill__stage *s = &run->stages[r->owner];
                if (r->store)
                    rc = put_state(st, s, r->ckpt_id, 0, r->store);
                for (i = 0; rc == 0 && r->partials && i < run->workers; i++)
                    if (r->partials[i])
                        rc = put_state(st, s, r->ckpt_id, 1, r->partials[i]);
                for (k = 0; rc == 0 && k < r->nextra; k++) /* not merged in yet */
                    if (r->extra[k])
                        rc = put_state(st, s, r->ckpt_id, 1, r->extra[k]);
            }
            r->ckpt_saved = 1;
            progress = 1;
        }
        if (rc < 0 || !left)
            return rc;
        if (!progress)
            return rill__error(RILL_EIO, "a reduction's parent is not in the run; the "
                                         "checkpoint was not written");
    }
}

/* The rows' digest with the run's columns that decide a resume: a
 * checkpoint whose bytes changed after it was written does not match it. */
uint64_t rill__ckpt_digest(const rill__runrow *row, uint64_t rows)
{
    int64_t v[11] = {(int64_t)rows, row->src_next, row->src_done, row->generated, row->src_red,
                     row->delivered, row->checkpoints, row->complete, row->finished,
                     row->has_fingerprint, row->has_fingerprint ? row->fingerprint : 0};
    return XXH3_64bits(v, sizeof(v));
}

/* The results collected, the files written and the results held for the
 * callbacks, in their tables. */
static int save_outputs(rill__run *run, rill__store *st)
{
    rill_batch *files = NULL;
    const rill__held *h;
    int rc = 0;
    if (run->out.results)
        rc = rill__ckpt_put_records(st, RILL__T_RESULTS, NULL, run->out.results, 0, run->out.results->n);
    if (rc == 0 && run->p->sink && run->p->sink->save && (rc = rill_batch_new(&files)) == 0 &&
        (rc = run->p->sink->save(run->p->sink_self, files)) == 0)
        rc = rill__ckpt_put_records(st, RILL__T_FILES, NULL, files, 0, files->n);
    rill_batch_free(files);
    for (h = run->out.held; h && rc == 0; h = h->next) {
        int64_t from = h->from;
        rc = rill__ckpt_put_records(st, RILL__T_UNDELIVERED, &from, h->batch, h->begin, h->end);
    }
    return rc;
}

/* The run's row, its digest over the rows put, written. */
static int seal(rill__store *st, rill__runrow *row)
{
    row->has_digest = 1;
    row->digest = (int64_t)rill__ckpt_digest(row, rill__store_digest(st));
    return rill__store_set_run(st, row);
}

int rill__checkpoint_save(rill__run *run)
{
    rill__store *st = run->ckpt.store;
    rill__runrow row;
    int rc, s;
    if ((rc = rill__store_begin(st)) < 0)
        return rc;
    if ((rc = rill__store_get_run(st, &row)) < 0 || (rc = rill__store_clear(st)) < 0 ||
        (rc = save_reductions(run, st)) < 0)
        goto bad;
    for (s = 0; s < run->nstages && rc == 0; s++) {
        rill__task *t;
        for (t = run->sched.head[s]; t && rc == 0; t = t->next) {
            int64_t v[4] = {t->stage, t->from, t->phase, t->red->ckpt_id};
            rc = rill__ckpt_put_records(st, RILL__T_TASKS, v, t->batch, t->begin, t->end);
        }
        if (rc == 0 && run->close.on) {
            int64_t v[3] = {s, atomic_load(&run->close.preds_open[s]), run->close.closed[s]};
            rc = rill__store_put(st, RILL__T_CLOSING, v, NULL, 0);
            if (rc == 0 && run->close.held[s] && run->close.held[s]->n)
                rc = rill__ckpt_put_records(st, RILL__T_HELD, v, run->close.held[s], 0,
                                            run->close.held[s]->n);
        }
    }
    if (rc < 0 || (rc = save_outputs(run, st)) < 0)
        goto bad;
    row.src_next = (int64_t)run->src.next;
    row.src_done = run->src.done;
    row.generated = (int64_t)run->src.generated;
    /* once the source is done its reduction may be gone */
    row.src_red = run->src.done ? 0 : run->src.red->ckpt_id;
    row.delivered = run->out.delivered;
    row.checkpoints = ++run->ckpt.count;
    row.finished = row.complete = 0;
    if ((rc = seal(st, &row)) < 0)
        goto bad;
    return rill__store_commit(st);
bad:
    rill__store_rollback(st);
    return rc;
}

static int checkpoint_delivered(rill__run *run);

static void checkpoint_close(rill__run *run)
{
    rill__store_close(run->ckpt.store);
    run->ckpt.store = NULL;
}

/* The SQLite state file as the pipeline's persistence
 * (rill/sys/persistence.h); restore.c rebuilds runs from it. */
static const rill_persistence sqlite_persistence = {
    .version = RILL_PERSISTENCE_VERSION,
    .name = "sqlite",
    .start = rill__checkpoint_start,
    .save = rill__checkpoint_save,
    .complete = rill__checkpoint_complete,
    .delivered = checkpoint_delivered,
    .end = rill__checkpoint_end,
    .close = checkpoint_close,
};

int rill_checkpointing(rill_pipeline *p, const rill_checkpoint_options *o)
{
    char *path = NULL;
    if (p == NULL || o == NULL || o->version < 1 ||
        o->version > RILL_CHECKPOINT_OPTIONS_VERSION || !(o->interval >= 0))
        return rill__error(RILL_EINVAL, "rill_checkpointing: options not made with "
                                        "RILL_CHECKPOINT_OPTIONS_INIT, or a negative interval");
    if (o->path && (path = strdup(o->path)) == NULL) /* NULL: the default, known at run start */
        return rill__error(RILL_ENOMEM, "out of memory");
    free(p->ckpt_path);
    p->ckpt_path = path;
    p->persist = &sqlite_persistence;
    p->ckpt_interval = o->interval;
    p->ckpt_resume = o->resume;
    p->ckpt_replace = o->version >= 2 && o->replace; /* version 1 has no replace */
    p->ckpt_at_once = o->version >= 3 && o->at_once;
    return 0;
}

int rill_checkpoint_request(rill_pipeline *p)
{
    if (p == NULL || p->persist == NULL)
        return rill__error(RILL_EINVAL, "rill_checkpoint_request: the pipeline is not "
                                        "checkpointed");
    atomic_store(&p->ckpt_request, 1);
    return 0;
}

/* The run's row rewritten in one transaction with what changed beside it:
 * the run's work is complete (only its outputs are kept), what the last save
 * held for the callbacks was given (those rows go), or it finished (no
 * rows). */
enum { RUN_COMPLETE, RUN_DELIVERED, RUN_FINISHED };

static int rewrite_run(rill__run *run, int what)
{
    rill__store *st = run->ckpt.store;
    rill__runrow row;
    int rc;
    if (st == NULL)
        return 0;
    if ((rc = rill__store_begin(st)) < 0)
        return rc;
    if ((rc = rill__store_get_run(st, &row)) < 0)
        goto bad;
    if (what == RUN_DELIVERED)
        rc = rill__store_clear_table(st, RILL__T_UNDELIVERED);
    else if ((rc = rill__store_clear(st)) == 0 && what == RUN_COMPLETE)
        rc = save_outputs(run, st);
    if (rc < 0)
        goto bad;
    row.delivered = run->out.delivered;
    row.complete = what == RUN_COMPLETE || (what == RUN_DELIVERED && row.complete);
    row.finished = what == RUN_FINISHED;
    if ((rc = seal(st, &row)) < 0)
        goto bad;
    return rill__store_commit(st);
bad:
    rill__store_rollback(st);
    return rc;
}

int rill__checkpoint_complete(rill__run *run)
{
    return rewrite_run(run, RUN_COMPLETE);
}

/* What the last checkpoint held for the callbacks was given: its rows go
 * and the count grows, so a resume does not give it again. */
static int checkpoint_delivered(rill__run *run)
{
    return rewrite_run(run, RUN_DELIVERED);
}

int rill__checkpoint_end(rill__run *run, int ok)
{
    return ok ? rewrite_run(run, RUN_FINISHED) : 0;
}
