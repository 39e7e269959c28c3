/* give.c — what a rank gives away: queued tasks, ranges of the work list and
 * split-off work to a rank that asked for some; a finished proxy's units
 * and merged store to its origin (a combine's keys of other ranks straight
 * to them: direct.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../core/keytable.h"
#include "link.h"

#define GIVE_MAX 16 /* tasks given for one request at most */

size_t rill__unqueue(rill__run *run, int (*take)(const rill__run *, const rill__task *),
                     size_t most, rill__task **list)
{
    size_t n = 0;
    int i;
    RILL__ASSERT_HELD(&run->sched.mu);
    for (i = run->nstages - 1; i >= 0 && n < most; i--) {
        int s = run->sched.order[i];
        rill__task **pp = &run->sched.head[s], *t;
        while ((t = *pp) != NULL && n < most) {
            if (!take(run, t)) {
                pp = &t->next;
                continue;
            }
            *pp = t->next;
            rill__sched_took(run, t);
            t->next = *list;
            *list = t;
            n++;
        }
        run->sched.tail[s] = NULL;
        for (t = run->sched.head[s]; t; t = t->next)
            run->sched.tail[s] = t;
    }
    return n;
}

static int movable(const rill__run *run, const rill__task *t)
{
    return !rill__home_only(run, t);
}

/* Under run->sched.mu, on rank 0: a range of a source that cuts (the work list)
 * for another rank, never its last records (they end the source here). */
static int take_work(rill__run *run, const rill_batch **batch, size_t *begin, size_t *end)
{
    rill_source_pull q = {0};
    int i;
    if (run->src.done || run->src.ops == NULL || !(run->src.ops->flags & RILL_SOURCE_CUTS))
        return 0;
    q.workers = run->workers * run->world.dist->size;
    q.batch_records = run->batch_records;
    q.position = (int64_t)run->src.next;
    q.leave_last = 1;
    if (run->src.ops->next(run->src.self, &q) != 1)
        return 0;
    run->src.next = (size_t)q.position;
    *batch = q.batch;
    *begin = q.begin;
    *end = q.end;
    for (i = 0; i < run->sched.nroots; i++)
        atomic_fetch_add(&run->src.red->pending, 1); /* each root's task carries one */
    return 1;
}

void rill__answer_steal(rill__dist *d, int peer, int idle)
{
    rill__run *run = d->run;
    rill__task *give = NULL, *t;
    rill__head h = {0};
    size_t begin[2], end[2]; /* two ranges: one to work on, one in reserve */
    const rill_batch *from[2];
    size_t n = 0;
    int work = 0, i, k, given = 0, split = 0;
    rill__mutex_lock(&run->sched.mu);
    if (!run->sched.done && !atomic_load(&run->fail.stop) && !atomic_load(&run->ckpt.want)) {
        /* up to half of what is queued, the stages farthest from the result
         * (carrying the most work) first; a rank asking ahead (busy, or
         * soon idle: 2) gets only what this rank's own workers will not
         * need next, or two busy ranks would hand one reserve back and
         * forth */
        size_t queued = run->sched.queued, most = queued / 2 ? queued / 2 : 1,
               spare = queued > (size_t)run->workers ? queued - (size_t)run->workers : 0;
        if (idle != 1 && spare < most)
            most = spare;
        n = most ? rill__unqueue(run, movable, most < GIVE_MAX ? most : GIVE_MAX, &give) : 0;
        while (n == 0 && d->rank == 0 && work < 2 && take_work(run, &from[work], &begin[work], &end[work]))
            work++;
        /* counted before mu goes: a checkpoint must not see them nowhere */
        atomic_fetch_add(&d->lent, n + work * run->sched.nroots);
        split = n == 0 && !work && idle;
        if (split) /* a unit split for peer is not counted yet: no drain meanwhile */
            atomic_fetch_add(&d->lent, 1);
    }
    rill__mutex_unlock(&run->sched.mu);
    if (split) {
        if (rill__split_give(&d->cw, 1, idle == 2, &t) == 1) {
            t->next = give; /* split off a running unit: its task was never queued */
            give = t;
        } else {
            atomic_fetch_sub(&d->lent, 1);
            rill__wake_all(run); /* a checkpoint may be waiting for this */
        }
    }
    while ((t = give) != NULL) {
        give = t->next;
        if (t->red->origin == peer) {
            /* work of a proxy given back to its origin runs there under the
             * reduction the proxy stands for, not under a proxy of this
             * proxy whose table would come back here to go home again */
            rill__reduction *r = t->red;
            if (rill__ship_home(d, t) < 0) {
                atomic_fetch_sub(&d->lent, 1);
                rill__push(run, t);
                continue;
            }
            rill__task_free(&d->cw, t);
            rill__unhold(d, r); /* the task's unit of the proxy */
            atomic_fetch_sub(&d->lent, 1);
            given++;
            continue;
        }
        if (rill__ship_lend(d, t, peer, t->red, 1) < 0) {
            atomic_fetch_sub(&d->lent, 1);
            rill__push(run, t); /* keep it: the run fails on the next send anyway */
            continue;
        }
        rill__task_free(&d->cw, t); /* its unit went with it */
        given++;
    }
    for (k = 0; k < work; k++) {
        rill__task w = {0};
        w.batch = (rill_batch *)from[k];
        w.begin = begin[k];
        w.end = end[k];
        w.from = -1;
        for (i = 0; i < run->sched.nroots; i++) {
            w.stage = run->sched.roots[i];
            if (rill__ship_lend(d, &w, peer, run->src.red, 1) < 0) {
                rill__fail(&d->cw, w.stage, 0, 0, NULL, RILL_ENOMEM, 1, "giving work");
                break;
            }
            given++;
        }
    }
    h.type = RILL__M_GIVEN;
    h.code = given;
    rill__send_head(d, peer, &h);
    if (given > 0) /* the thread's: that rank asks again soon */
        d->gave_at = rill__mono();
}

/* The payload of a finished proxy: its merged state (a reducer's store, a
 * combine's table), as its kind encodes it: 1; 0 when it has none. */
static int payload(rill__worker *w, rill__reduction *r, rill__out *o, int *rc)
{
    const rill__stage *s = &w->run->stages[r->owner];
    const void *state = r->store ? r->store : r->partials ? r->partials[0] : NULL;
    void *bytes;
    size_t len;
    if (state == NULL || s->ops->encode == NULL)
        return 0;
    if ((*rc = s->ops->encode(s, state, &bytes, &len)) < 0)
        return 0;
    rill__put_bytes(o, bytes, len);
    free(bytes);
    return 1;
}

int rill__dist_proxy_done(rill__worker *w, rill__reduction *r)
{
    rill__run *run = w->run;
    rill__dist *d = run->world.dist;
    rill__head h = {0};
    rill__out body, o;
    char *buf = NULL;
    size_t len;
    int rc = 0;
    h.units = rill__proxy_forget(d, r);
    h.type = RILL__M_DONE;
    h.ref_rank = r->origin;
    h.id = r->origin_id;
    h.owner = r->owner;
    rill__out_init(&body, 0);
    if (r->owner >= 0 && r->partials && r->partials[0] && !r->relay &&
        rill__direct_ok(run, &run->stages[r->owner]) && !atomic_load(&run->ckpt.want)) {
        h.code = 3; /* its keys of other ranks go straight to them */
        rc = rill__direct_split(w, r, &body);
    } else if (r->owner >= 0 && r->partials && r->partials[0] && !r->relay &&
               run->stages[r->owner].ops == &rill__kind_combine &&
               !rill__direct_ok(run, &run->stages[r->owner])) {
        h.code = 3; /* all of its keys home, merged there as they came */
        rc = rill__direct_whole(w, r, &body);
    } else if (r->owner >= 0) {
        h.code = payload(w, r, &body, &rc);
    }
    rill__out_init(&o, 0);
    rill__head_put(&o, &h);
    rill__put_bytes(&o, body.buf, body.len);
    if (rc == 0)
        rc = rill__out_take(&o, &buf, &len);
    rill__out_free(&body);
    rill__out_free(&o);
    if (rc == 0 && len > INT_MAX) {
        free(buf);
        rc = rill__error(RILL_ERANGE, "a store of %zu bytes is too large for one message "
                         "between ranks (2 GiB at most)", len);
    }
    if (rc < 0)
        return rill__fail(w, r->owner >= 0 ? r->owner : run->nstages - 1, 0, 0, NULL, rc,
                          rc != RILL_EUSER, "sending its store home");
    if (h.code == 1) /* as records: a store is one, a table one per key */
        atomic_fetch_add(&d->moved, rill__kind_is(&run->stages[r->owner], RILL_KIND_FOLDS)
                                        ? rill__keytable_count(r->partials[0])
                                        : 1);
    rill__send(d, r->origin, buf, len);
    rill__reduction_destroy(run, r);
    return 0;
}
