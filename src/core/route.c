/* route.c — how records reach a stage: cut to its batch size or held back
 * until a batch is full, and when a stage closes.
 *
 * A stage with a batch_size B gets at most B records a call: a larger batch
 * becomes ceil(n / B) tasks over the same batch whose sizes differ by at most
 * one; a smaller one is copied into the stage's held batch, which goes out B
 * at a time, and whatever is left when the stage closes goes out as one last
 * call. Closing is tracked only in pipelines without scopes (no reducer or
 * frame can send records back upstream): a stage closes when the source or
 * every stage feeding it has closed and none of its tasks is left. The held
 * batch and the closed flag are under the stage's smu; a task made from held
 * records is counted (live) before smu is let go, so the stage cannot close
 * under it.
 *
 * What is routed here is what a stage takes in (its records_in figure),
 * counted once per batch by the worker routing it. Records a stage folds
 * straight into the combine after it are counted at its emitter's flush. */
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Makes a task over [begin, end) of batch at stage and hands it on. */
static int hand(rill__worker *w, int stage, int from, rill__reduction *red, rill_batch *batch,
                size_t begin, size_t end, int queue)
{
    rill__task *t;
    int rc;
    if (rill__task_new(w, stage, red, batch, begin, end, &t) < 0)
        return rill__fail(w, stage, 0, 0, NULL, RILL_ENOMEM, 1, "receiving records");
    t->from = from;
    if (red->origin >= 0 && rill__tp_away(w, t, &rc)) /* runs on another rank */
        return rc;
    if (queue) {
        rill__push(w->run, t);
        return 0;
    }
    return rill__deliver(w, t);
}

/* Under smu: tasks of exactly B records cut from the held batch into
 * out[0..*n); what is left over stays held. */
static int cut_held(rill__worker *w, int stage, rill__reduction *red, size_t B,
                    rill__task **out, size_t *n)
{
    rill__run *run = w->run;
    rill_batch *full = run->close.held[stage], *rest = NULL;
    size_t k = full->n / B, i;
    int rc = 0;
    if (full->n > k * B) {
        if ((rc = rill_batch_new(&rest)) < 0)
            return rc;
        for (i = k * B; i < full->n && rc == 0; i++) {
            rill_record r;
            rill__batch_view(full, i, &r);
            rc = rill_batch_add_record(rest, &r);
        }
        if (rc < 0) {
            rill_batch_free(rest);
            return rc;
        }
    }
    for (i = 0; i < k; i++)
        if ((rc = rill__task_new(w, stage, red, full, i * B, (i + 1) * B, &out[(*n)++])) < 0) {
            (*n)--;
            break;
        }
    run->close.held[stage] = rest;
    rill__worker_unref(w, full); /* the tasks hold it now */
    return rc;
}

int rill__route_to(rill__worker *w, int stage, int from, rill__reduction *red,
                   rill_batch *batch, size_t begin, size_t end, int queue)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[stage];
    size_t n = end - begin, B = s->batch_size, i, k, q, extra, at, ntasks = 0;
    rill__task *tasks[64];
    int rc = 0;
    if (n == 0)
        return 0; /* empty batches call nothing */
    if (w == &run->w[w->id]) /* not the transport's thread: its counters are the workers' */
        rill__stat_add(&rill__stats_of(run, stage, w)->records_in, n);
    if (B == 0 || n == B || !rill__kind_is(s, RILL_KIND_BATCHED) ||
        (n < B && !run->close.on))
        return hand(w, stage, from, red, batch, begin, end, queue);
    if (n > B) {
        k = (n + B - 1) / B;
        q = n / k;
        extra = n % k;
        for (i = 0, at = begin; i < k && rc == 0; i++) {
            size_t len = q + (i < extra);
            rc = hand(w, stage, from, red, batch, at, at + len, queue);
            at += len;
        }
        return rc;
    }
    /* Fewer than B: held back until B have come, or the stage closes. */
    pthread_mutex_lock(&run->close.mu[stage]);
    if (run->close.held[stage] == NULL && (rc = rill_batch_new(&run->close.held[stage])) < 0)
        goto unlock;
    for (i = begin; i < end && rc == 0; i++) {
        rill_record r;
        rill__batch_view(batch, i, &r);
        rc = rill_batch_add_record(run->close.held[stage], &r);
    }
    if (rc == 0 && run->close.held[stage]->n >= B) /* one task: < B held, < B added */
        rc = cut_held(w, stage, red, B, tasks, &ntasks);
unlock:
    pthread_mutex_unlock(&run->close.mu[stage]);
    for (i = 0; i < ntasks; i++) {
        int r2;
        if (queue)
            rill__push(run, tasks[i]);
        else if ((r2 = rill__deliver(w, tasks[i])) < 0 && rc == 0)
            rc = r2;
    }
    if (rc < 0)
        return rill__fail(w, stage, 0, 0, NULL, rc, 1, "holding records back");
    return 0;
}

/* Calls the kind's close for a stage whose input ended, with an empty span
 * under red (the root, when whole stages close): what it emits is routed
 * (and counted live at the successors) before they learn that the stage
 * closed. */
static int close_kind(rill__worker *w, int stage, rill__reduction *red)
{
    rill__run *run = w->run;
    rill_batch *empty = rill__worker_batch(w);
    rill__task t;
    int rc, pushed = w->depth < RILL__MAX_DEPTH;
    if (empty == NULL)
        return rill__fail(w, stage, 0, 0, NULL, RILL_ENOMEM, 1, "closing");
    memset(&t, 0, sizeof(t));
    t.stage = stage;
    t.from = -1;
    t.red = red;
    t.batch = empty;
    if (pushed) /* what it emits is not run inside it */
        w->stack[w->depth++] = stage;
    rc = run->stages[stage].ops->close(w, &t);
    if (pushed)
        w->depth--;
    rill__worker_unref(w, empty);
    if (rc != 0 && !atomic_load(&run->fail.stop)) /* not through rill__fail */
        rc = rill__fail(w, stage, 0, 0, NULL, rc, 0, "closing");
    return rc;
}

int rill__drain_closers(rill__worker *w)
{
    rill__run *run = w->run;
    int s, rc = 0;
    for (s = 0; s < run->nstages && rc == 0; s++) {
        uint64_t bit;
        rill__reduction *r;
        if (!run->stages[s].ops->close)
            continue;
        if (run->close.on) { /* whole stages close: it holds under the root */
            if (!run->close.closed[s])
                rc = close_kind(w, s, run->reds.root);
            continue;
        }
        bit = (uint64_t)1 << run->close.bit[s];
        pthread_mutex_lock(&run->reds.mu);
        for (r = run->reds.live; r && rc == 0; r = r->next) {
            if (!(atomic_load(&r->holders) & bit))
                continue;
            atomic_fetch_and(&r->holders, ~bit);
            rc = close_kind(w, s, r); /* what it sends on is queued: under r */
            atomic_fetch_sub(&r->pending, 1 + RILL__HELD_ONE); /* never the last */
        }
        pthread_mutex_unlock(&run->reds.mu);
    }
    return rc;
}

int rill__try_close(rill__worker *w, int stage)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[stage];
    rill_batch *held;
    rill__task *t = NULL;
    int i, rc = 0;
    if (!run->close.on || stage >= run->nstages - 1)
        return 0;
    pthread_mutex_lock(&run->close.mu[stage]);
    if (run->close.closed[stage] || atomic_load(&run->close.preds_open[stage]) > 0 ||
        atomic_load(&run->close.live[stage]) > 0) {
        pthread_mutex_unlock(&run->close.mu[stage]);
        return 0;
    }
    held = run->close.held[stage];
    run->close.held[stage] = NULL;
    if (held && held->n > 0) { /* the last, short call; closing waits for it */
        rc = rill__task_new(w, stage, run->reds.root, held, 0, held->n, &t);
        pthread_mutex_unlock(&run->close.mu[stage]);
        rill__worker_unref(w, held);
        if (rc < 0)
            return rill__fail(w, stage, 0, 0, NULL, RILL_ENOMEM, 1, "flushing held records");
        return rill__deliver(w, t);
    }
    run->close.closed[stage] = 1;
    pthread_mutex_unlock(&run->close.mu[stage]);
    if (held)
        rill__worker_unref(w, held);
    if (s->ops->close && (rc = close_kind(w, stage, run->reds.root)) != 0)
        return rc; /* the run is stopping: its hold goes with it */
    for (i = 0; i < s->nsucc && rc == 0; i++)
        if (atomic_fetch_sub(&run->close.preds_open[s->succ[i]], 1) == 1)
            rc = rill__try_close(w, s->succ[i]);
    if (rc < 0)
        return rc;
    return rill__reduction_release(w, run->reds.root); /* the stage's hold */
}

int rill__source_done(rill__worker *w)
{
    rill__run *run = w->run;
    int i, rc = 0;
    if (run->close.on)
        for (i = 0; i < run->sched.nroots && rc == 0; i++)
            if (atomic_fetch_sub(&run->close.preds_open[run->sched.roots[i]], 1) == 1)
                rc = rill__try_close(w, run->sched.roots[i]);
    if (rc < 0)
        return rc;
    return rill__reduction_release(w, run->src.red);
}
