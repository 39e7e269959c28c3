/* proxy.c — what moves between ranks and what it means: tasks sent home or
 * given to an idle rank, proxies and their units coming home with their
 * partial stores (a combine's keys of other ranks go to them: direct.c),
 * and the answers to an idle rank's request for work.
 *
 * A proxy is keyed by its origin (rank, id); the id of a reduction is the
 * one its rank's table gave it when it lent units of it (ids.c), and stays
 * known there while any other rank holds a unit of it: every message
 * naming a reduction is sent while a unit of it is held by the sender's
 * proxy, or carries one. What a message holds is encoded and decoded by
 * core/serial.h; a message that does not decode, or names a stage, rank or
 * reduction this rank does not know, stops the run and is not followed.
 * Proxies are made only by the communication thread, under pmu; a worker
 * that finishes one takes it out of the table under pmu, and the thread
 * adds to a proxy only while its count is above zero, so a finishing proxy
 * never gets new work. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/keytable.h"
#include "link.h"

/* ---- heads ---- */

void rill__head_put(rill__out *o, const rill__head *h)
{
    rill__put_u8(o, 'r');
    rill__put_u8(o, 'M');
    rill__put_u8(o, RILL__HEAD_VERSION);
    rill__put_u8(o, (uint8_t)h->type);
    rill__put_u32(o, (uint32_t)h->stage);
    rill__put_u32(o, (uint32_t)h->from);
    rill__put_u32(o, (uint32_t)h->phase);
    rill__put_u32(o, (uint32_t)h->owner);
    rill__put_u32(o, (uint32_t)h->ref_rank);
    rill__put_u64(o, (uint64_t)h->units);
    rill__put_u64(o, h->id);
    rill__put_u64(o, (uint64_t)h->code);
}

int rill__head_get(rill__head *h, const char *buf, size_t len)
{
    rill__in in;
    const unsigned char *m;
    uint32_t v[5];
    uint64_t w[3];
    int i;
    memset(h, 0, sizeof(*h));
    rill__in_init(&in, buf, len < RILL__HEAD_SIZE ? len : RILL__HEAD_SIZE);
    m = rill__get_bytes(&in, 4);
    for (i = 0; i < 5; i++)
        rill__get_u32(&in, &v[i]);
    for (i = 0; i < 3; i++)
        rill__get_u64(&in, &w[i]);
    if (in.bad || m[0] != 'r' || m[1] != 'M' || m[2] != RILL__HEAD_VERSION || m[3] < RILL__M_TASK ||
        m[3] > RILL__M_LAST)
        return rill__error(RILL_ECORRUPT, "a message between ranks that is not one of this rill's "
                           "(%zu bytes)", len);
    h->type = m[3];
    h->stage = (int32_t)v[0];
    h->from = (int32_t)v[1];
    h->phase = (int32_t)v[2];
    h->owner = (int32_t)v[3];
    h->ref_rank = (int32_t)v[4];
    h->units = (int64_t)w[0];
    h->id = w[1];
    h->code = (int64_t)w[2];
    return 0;
}

/* ---- proxies ---- */

static size_t slot_of(const rill__dist *d, int rank, uint64_t id)
{
    return (size_t)((id >> 4) * 31 + (uint64_t)rank) % d->nbuckets;
}

rill__reduction *rill__proxy_take(rill__dist *d, int rank, uint64_t id, int owner,
                                  int64_t units)
{
    rill__pentry **pp = &d->buckets[slot_of(d, rank, id)], *e;
    rill__reduction *r = NULL;
    pthread_mutex_lock(&d->pmu);
    for (e = *pp; e; e = e->next)
        if (e->rank == rank && e->id == id) {
            long long n = atomic_load(&e->r->pending);
            while (n > 0)
                if (atomic_compare_exchange_weak(&e->r->pending, &n, n + 1)) {
                    e->r->units += units;
                    pthread_mutex_unlock(&d->pmu);
                    return e->r;
                }
            break; /* finishing: a new proxy takes its place */
        }
    if (rill__reduction_open(d->run, owner, NULL, 1, &r) < 0 ||
        (e == NULL && (e = calloc(1, sizeof(*e))) == NULL)) {
        pthread_mutex_unlock(&d->pmu);
        if (r)
            rill__reduction_destroy(d->run, r);
        return NULL;
    }
    r->origin = rank;
    r->origin_id = id;
    r->units = units;
    if (e->r == NULL) {
        e->rank = rank;
        e->id = id;
        e->next = *pp;
        *pp = e;
        d->nproxies++;
    }
    e->r = r;
    pthread_mutex_unlock(&d->pmu);
    return r;
}

int64_t rill__proxy_forget(rill__dist *d, rill__reduction *r)
{
    rill__pentry **pp = &d->buckets[slot_of(d, r->origin, r->origin_id)], *e;
    int64_t units;
    pthread_mutex_lock(&d->pmu);
    for (; (e = *pp) != NULL; pp = &e->next)
        if (e->r == r) {
            *pp = e->next;
            free(e);
            d->nproxies--;
            break;
        }
    units = r->units;
    pthread_mutex_unlock(&d->pmu);
    return units;
}

void rill__proxies_free(rill__dist *d)
{
    size_t i;
    for (i = 0; d->buckets && i < d->nbuckets; i++)
        while (d->buckets[i]) {
            rill__pentry *e = d->buckets[i];
            d->buckets[i] = e->next;
            free(e);
        }
}

void rill__release_later(rill__dist *d, rill__reduction *r)
{
    rill__release *x = malloc(sizeof(*x));
    rill__run *run = d->run;
    if (x == NULL) {
        rill__fail(&d->cw, run->nstages - 1, 0, 0, NULL, RILL_ENOMEM, 1, "receiving");
        return;
    }
    x->r = r;
    rill__mutex_lock(&run->sched.mu);
    x->next = d->releases;
    d->releases = x;
    rill__wake_idle(run);
    rill__mutex_unlock(&run->sched.mu);
}

/* Lets the thread's hold on r go: by a worker when it was the last unit. */
void rill__unhold(rill__dist *d, rill__reduction *r)
{
    long long was = atomic_fetch_sub(&r->pending, 1);
    if (was != 1 && !RILL__ONLY_HOLDS(was - 1))
        return;
    /* the last unit, or only the holds of stages that close are left
     * (reduction.c): nobody else can touch it now; a worker's release of
     * the unit given back finishes it or closes the first holder */
    if (was == 1)
        atomic_store(&r->pending, 1);
    else
        atomic_fetch_add(&r->pending, 1);
    rill__release_later(d, r);
}

/* ---- what must go where ---- */

int rill__home_only(const rill__run *run, const rill__task *t)
{
    const rill__stage *s = &run->stages[t->stage];
    if (t->stage == run->nstages - 1 || !rill__kind_is(s, RILL_KIND_ANYWHERE))
        return 1; /* results are delivered on rank 0; a kind that may not move */
    if (rill__entering(run, t))
        return 0;
    if (run->sched.limit[t->stage])
        return 1;
    return s->ops->shared_store && s->ops->shared_store(s);
}

/* Sends the records of t with head h (its type and stage filled here). */
static int ship(rill__dist *d, const rill__task *t, int to, rill__head *h)
{
    rill__out o;
    char *buf;
    size_t len;
    int rc;
    h->type = RILL__M_TASK;
    h->stage = t->stage;
    h->from = t->from;
    h->phase = t->phase;
    rill__out_init(&o, 0);
    rill__head_put(&o, h);
    rill__ser_records(&o, t->batch, t->begin, t->end);
    if ((rc = rill__out_take(&o, &buf, &len)) < 0)
        return rc;
    if (len > INT_MAX) { /* MPI counts bytes in an int */
        free(buf);
        return rill__error(RILL_ERANGE, "%zu records of %zu bytes in all are too many for one "
                           "message between ranks (2 GiB at most)", t->end - t->begin, len);
    }
    atomic_fetch_add(&d->moved, t->end - t->begin);
    rill__unit_moved(d->run, t, 0); /* its work is counted where it goes */
    rill__send(d, to, buf, len);
    return 0;
}

int rill__ship_home(rill__dist *d, const rill__task *t)
{
    const rill__reduction *r = t->red;
    rill__head h = {0};
    h.owner = r->owner;
    h.ref_rank = r->origin;
    h.id = r->origin_id;
    return ship(d, t, r->origin, &h);
}

int rill__ship_lend(rill__dist *d, const rill__task *t, int to, rill__reduction *r,
                    int64_t units)
{
    rill__head h = {0};
    int rc;
    h.owner = r->owner;
    h.ref_rank = d->rank;
    h.units = units;
    h.code = r->origin >= 0; /* a proxy's units: its proxy there relays */
    if ((rc = rill__id_lend(d, r, units, &h.id)) < 0)
        return rc;
    if ((rc = ship(d, t, to, &h)) < 0)
        rill__id_back(d, h.id, units);
    return rc;
}

int rill__dist_away(rill__worker *w, rill__task *t, int *rc)
{
    rill__run *run = w->run;
    rill__reduction *r = t->red;
    if (r->origin < 0 || !rill__home_only(run, t))
        return 0;
    if ((*rc = rill__ship_home(run->world.dist, t)) < 0)
        *rc = rill__fail(w, t->stage, 0, t->end - t->begin, NULL, *rc, 1, "sending home");
    rill__task_free(w, t);
    if (*rc == 0)
        *rc = rill__reduction_release(w, r);
    return 1;
}

/* ---- receiving ---- */

static void receive_task(rill__dist *d, int peer, const rill__head *h, const char *p,
                         size_t len)
{
    rill__run *run = d->run;
    rill__reduction *r;
    rill_batch *b;
    int64_t lent;
    int hold = h->ref_rank != d->rank, rc;
    size_t i;
    if (h->stage < 0 || h->stage >= run->nstages || h->owner < -1 || h->owner >= run->nstages ||
        h->ref_rank < 0 || h->ref_rank >= d->size || h->units < 0 ||
        (h->phase != 0 && h->phase != 1)) { /* a close (phase 2) never leaves its rank */
        rill__error(RILL_ECORRUPT, "rank %d sent records for a stage, rank, reduction or "
                    "phase that is not there", peer);
        rill__fail(&d->cw, run->nstages - 1, 0, 0, NULL, RILL_ECORRUPT, 1, "receiving");
        return;
    }
    if (!hold && (r = rill__id_find(d, h->id, &lent)) == NULL) {
        rill__error(RILL_ECORRUPT, "rank %d sent records for reduction %llu of this rank, "
                    "which it does not know", peer, (unsigned long long)h->id);
        rill__fail(&d->cw, h->stage, 0, 0, NULL, RILL_ECORRUPT, 1, "receiving records");
        return;
    }
    if ((rc = rill__deser_records(p, len, &b)) < 0) {
        rill__fail(&d->cw, h->stage, 0, 0, NULL, rc, 1, "receiving records");
        return;
    }
    if (hold && (r = rill__proxy_take(d, h->ref_rank, h->id, h->owner, h->units)) == NULL) {
        rill_batch_free(b);
        rill__fail(&d->cw, h->stage, 0, 0, NULL, RILL_ENOMEM, 1, "receiving records");
        return;
    }
    if (hold && h->code == 1)
        r->relay = 1; /* before any task of it runs: see rill__reduction */
    if (h->phase == 0) {
        rill__route_to(&d->cw, h->stage, h->from, r, b, 0, b->n, 1);
    } else { /* units of a splittable stage: a task each */
        for (i = 0; i < b->n; i++) {
            rill__task *t;
            if (rill__task_new(&d->cw, h->stage, r, b, i, i + 1, &t) < 0) {
                rill__fail(&d->cw, h->stage, 0, 0, NULL, RILL_ENOMEM, 1, "receiving work");
                break;
            }
            t->from = h->from;
            t->phase = h->phase;
            rill__unit_moved(run, t, 1);
            rill__push(run, t);
        }
    }
    rill__worker_unref(&d->cw, b);
    if (hold)
        rill__unhold(d, r);
}

/* A proxy's state, decoded by its kind into *part (NULL when it has none). */
static int take_part(const rill__stage *s, const rill__head *h, const char *p, size_t len,
                     void **part)
{
    *part = NULL;
    if (h->code == 0 || s == NULL)
        return len == 0 ? 0 : rill__error(RILL_ECORRUPT, "a proxy came home with bytes it "
                                          "should not have");
    if (h->code != 1 || s->ops->decode == NULL)
        return rill__error(RILL_ECORRUPT, "a proxy came home with a store its stage "
                           "does not keep");
    return s->ops->decode(s, p, len, part);
}

/* A proxy came home: its store or table joins r's, then its units go. */
static void receive_done(rill__dist *d, int peer, const rill__head *h, const char *p,
                         size_t len)
{
    rill__run *run = d->run;
    int64_t lent; /* only this thread gives units back: no fewer are out */
    rill__reduction *r = rill__id_find(d, h->id, &lent);
    const rill__stage *s;
    void *part = NULL;
    int rc = 0;
    if (r == NULL || h->units < 0 || h->units > lent) {
        rill__error(RILL_ECORRUPT, "rank %d sent home %lld units of reduction %llu of this "
                    "rank, which lent %lld of them", peer, (long long)h->units,
                    (unsigned long long)h->id, (long long)lent);
        rill__fail(&d->cw, run->nstages - 1, 0, 0, NULL, RILL_ECORRUPT, 1, "receiving");
        return;
    }
    s = r->owner >= 0 ? &run->stages[r->owner] : NULL;
    if (h->code == 3 && s) /* a combine's split table: its pieces are parked */
        rc = rill__direct_done(d, r, h, p, len, &part);
    else
        rc = take_part(s, h, p, len, &part);
    if (rc < 0)
        goto failed;
    if (part) {
        void **x;
        pthread_mutex_lock(&r->mu);
        x = realloc(r->extra, (r->nextra + 1) * sizeof(*x));
        if (x) {
            r->extra = x;
            r->extra[r->nextra++] = part;
            part = NULL;
        } else {
            rc = rill__error(RILL_ENOMEM, "out of memory");
        }
        pthread_mutex_unlock(&r->mu);
        if (rc < 0)
            goto failed;
    }
    /* every message naming r from that proxy came before this one: its id
     * goes before r can finish (and its address be another's) */
    rill__id_back(d, h->id, h->units);
    if (h->units > 1)
        atomic_fetch_sub(&r->pending, h->units - 1);
    if (h->units > 0)
        rill__release_later(d, r);
    /* only now: a checkpoint waiting for lent to reach 0 then sees the
     * release queued (rill__dist_drained) */
    atomic_fetch_sub(&d->lent, h->units);
    return;
failed:
    if (part)
        s->ops->state_free(s, part);
    rill__fail(&d->cw, r->owner >= 0 ? r->owner : run->nstages - 1, 0, 0, NULL, rc,
               rc != RILL_EUSER, "taking in another rank's store");
}

static void receive_stop(rill__dist *d, int peer, const rill__head *h, const char *msg,
                         size_t len, int fail)
{
    char text[RILL__ERROR_MAX];
    if (fail)
        snprintf(text, sizeof(text), "rank %d: %.*s", peer, (int)len, msg);
    else
        snprintf(text, sizeof(text), "%.*s", (int)len, msg);
    if (!fail) { /* from rank 0: nothing to pass on */
        atomic_store(&d->reported, 1);
        d->over = 1;
    }
    rill__run_stop(d->run, (int)h->code, text, 0);
}

/* Queued under a proxy (what is opened here runs here). */
static int proxied(const rill__run *run, const rill__task *t)
{
    (void)run;
    return t->red->origin >= 0;
}

void rill__drain(rill__dist *d)
{
    rill__run *run = d->run;
    rill__task *list = NULL, *t;
    rill__split_checkpoint(&d->cw, 1);
    rill__mutex_lock(&run->sched.mu);
    rill__unqueue(run, proxied, SIZE_MAX, &list);
    rill__mutex_unlock(&run->sched.mu);
    while ((t = list) != NULL) {
        rill__reduction *r = t->red;
        list = t->next;
        if (rill__ship_home(d, t) < 0) {
            rill__push(run, t);
            rill__fail(&d->cw, t->stage, 0, 0, NULL, RILL_ENOMEM, 1, "sending work home");
            continue;
        }
        rill__task_free(&d->cw, t);
        rill__unhold(d, r); /* the task's unit of the proxy */
    }
    rill__direct_drain(d);
}

void rill__handle(rill__dist *d, int peer, const char *buf, size_t len)
{
    rill__run *run = d->run;
    rill__head h;
    int rc;
    if ((rc = rill__head_get(&h, buf, len)) < 0) {
        rill__fail(&d->cw, run->nstages - 1, 0, 0, NULL, rc, 1, "receiving");
        return;
    }
    buf += RILL__HEAD_SIZE;
    len -= RILL__HEAD_SIZE;
    switch (h.type) {
    case RILL__M_TASK:
        if (!atomic_load(&run->fail.stop))
            receive_task(d, peer, &h, buf, len);
        break;
    case RILL__M_DONE:
        if (!atomic_load(&run->fail.stop))
            receive_done(d, peer, &h, buf, len);
        break;
    case RILL__M_PART:
        if (!atomic_load(&run->fail.stop))
            rill__receive_part(d, peer, &h, buf, len);
        break;
    case RILL__M_FIN:
        if (!atomic_load(&run->fail.stop))
            rill__receive_fin(d, peer, &h, buf, len);
        break;
    case RILL__M_RETURN:
        if (!atomic_load(&run->fail.stop))
            rill__receive_return(d, peer, &h, buf, len);
        break;
    case RILL__M_STEAL: rill__answer_steal(d, peer, (int)h.code); break;
    case RILL__M_GIVEN: rill__steal_answered(d, h.code); break;
    case RILL__M_FAIL: receive_stop(d, peer, &h, buf, len ? len - 1 : 0, 1); break;
    case RILL__M_STOP: receive_stop(d, peer, &h, buf, len ? len - 1 : 0, 0); break;
    case RILL__M_DRAIN:
    case RILL__M_UNDRAIN: /* other ranks mark the drain with ckpt_want: no
                             barrier runs there, stealing and giving stop;
                             rill__drain splits only units under proxies */
        atomic_store(&run->ckpt.want, h.type == RILL__M_DRAIN);
        break;
    case RILL__M_PROGRESS:
        if (d->seen && len == sizeof(d->seen[0]) && peer > 0 && peer < d->size) {
            rill__in in;
            int i;
            rill__in_init(&in, buf, len);
            pthread_mutex_lock(&d->pmu);
            for (i = 0; i < 3; i++) {
                uint64_t bits;
                rill__get_u64(&in, &bits);
                memcpy(&d->seen[peer][i], &bits, 8);
            }
            pthread_mutex_unlock(&d->pmu);
        }
        break;
    case RILL__M_END:
        rill__mutex_lock(&run->sched.mu);
        run->sched.done = 1;
        pthread_cond_broadcast(&run->sched.cv);
        pthread_cond_broadcast(&run->out.cv);
        rill__mutex_unlock(&run->sched.mu);
        d->over = 1;
        break;
    default:
        break;
    }
}
