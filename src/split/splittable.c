/* splittable.c — splittable stages: expanding elements into units of work
 * (an element and a restriction), processing a unit with a tracker, and
 * rebalancing: an idle worker splits the largest remainder of a running unit
 * and processes the residual itself.
 *
 * A unit is a record like any other (so it can be queued, and later saved):
 * its key is the element's, its data a header (the restriction, encoded by
 * core/serial.h, the not-before time, its index) and then the element's
 * data. The units being processed are listed in run->split.active under amu,
 * with their trackers; a stealer holds amu while it measures and splits,
 * and the owner takes amu only to list and unlist its unit, never while it
 * holds its tracker's lock. After rill_source_stop (stop.c) units and
 * elements not started are left out, running ones end at their next claim,
 * and no residual is queued again. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/serial.h"
#include "split.h"

struct rill__active {
    struct rill__active *next, *prev;
    rill__worker *w;            /* its worker */
    rill_tracker *tracker;
    int stage, from;
    rill__reduction *red;
    const rill_record *element; /* borrowed from the unit's task */
    uint64_t index;             /* which element of the stage it is */
    rill_range_kind kind;
    uint64_t started;           /* now_ns() when it began */
    uint64_t claims;            /* claims tried (by its worker only) */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double size_of(const rill_restriction *r)
{
    if (r->kind != RILL_RANGE_OFFSET || r->to == RILL_OFFSET_INFINITY)
        return 0;
    return (double)r->to - (double)r->from;
}

/* A unit's data: u32 n, the restriction (n bytes, core/serial.h), u64
 * not-before time, u64 index (little-endian), then the element's data. */
static int unit_add(rill_batch *b, const rill_record *el, uint64_t index,
                    const rill_restriction *r, uint64_t not_before)
{
    rill__out o;
    char *kp, *dp;
    size_t head;
    int rc;
    rill__out_init(&o, 0);
    if ((rc = rill__ser_restriction(&o, r)) < 0) {
        rill__out_free(&o);
        return rc;
    }
    head = 4 + o.len + 16;
    if (el->len > RILL_RECORD_MAX - head) {
        rill__out_free(&o);
        return rill__error(RILL_ERANGE, "element too large for a unit of work");
    }
    rc = rill__batch_reserve(b, el->key ? (uint32_t)el->key_len : RILL__NOKEY, head + el->len,
                             &kp, &dp);
    if (rc == 0) {
        if (el->key_len)
            memcpy(kp, el->key, el->key_len);
        rill__le32(dp, (uint32_t)o.len);
        memcpy(dp + 4, o.buf, o.len);
        rill__le64(dp + 4 + o.len, not_before);
        rill__le64(dp + 12 + o.len, index);
        if (el->len)
            memcpy(dp + head, el->data, el->len);
    }
    rill__out_free(&o);
    return rc;
}

/* Decodes a unit (r's keys point into it); RILL_ECORRUPT when u is not one. */
static int unit_read(const rill_record *u, rill_restriction *r, rill_record *el,
                     uint64_t *index, uint64_t *not_before)
{
    rill__in in;
    uint32_t n;
    const void *rp;
    int rc;
    rill__in_init(&in, u->data, u->len);
    if (rill__get_u32(&in, &n) < 0 || (rp = rill__get_bytes(&in, n)) == NULL ||
        rill__get_u64(&in, not_before) < 0 || rill__get_u64(&in, index) < 0)
        return rill__error(RILL_ECORRUPT, "a unit of splittable work cut short");
    if ((rc = rill__deser_restriction(rp, n, r)) < 0)
        return rc;
    el->key = u->key;
    el->key_len = u->key_len;
    el->data = (const char *)u->data + in.at;
    el->len = u->len - in.at;
    return 0;
}

/* Queues the units of batch b, in order, as tasks of one unit each. */
static int hand_units(rill__worker *w, int stage, int from, rill__reduction *red, rill_batch *b)
{
    size_t i;
    for (i = 0; i < b->n; i++) {
        rill__task *t;
        if (rill__task_new(w, stage, red, b, i, i + 1, &t) < 0)
            return rill__fail(w, stage, 0, 0, NULL, RILL_ENOMEM, 1, "queueing work");
        t->from = from;
        t->phase = 1;
        rill__push(w->run, t);
    }
    return 0;
}

/* The chunk size for r: the stage's, or larger where that would make more
 * than MAX_CHUNKS units of one element (a 1-byte chunk of a large file, a
 * sequence to near INT64_MAX), so that the units made ahead stay bounded;
 * idle workers still split a large unit while it runs. */
#define MAX_CHUNKS 4096

static int64_t chunk_of(const rill_restriction *r, int64_t chunk)
{
    __int128 size = (__int128)r->to - r->from;
    __int128 least = (size + MAX_CHUNKS - 1) / MAX_CHUNKS;
    return least > chunk ? (int64_t)least : chunk;
}

static int split_expand(rill__worker *w, rill__task *t)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    size_t base = atomic_fetch_add(&run->sched.taken[t->stage], t->end - t->begin), i;
    int rc = 0, stopped = atomic_load(&run->p->src_stop);
    rill_batch *ub = stopped ? NULL : rill__worker_batch(w);
    double work = 0;
    if (stopped)
        return 0; /* rill_source_stop: these elements are not read */
    if (ub == NULL)
        return rill__fail(w, t->stage, base, 0, NULL, RILL_ENOMEM, 1, "expanding");
    for (i = t->begin; i < t->end && rc == 0; i++) {
        rill_record el;
        rill_restriction r;
        rill__batch_view(t->batch, i, &el);
        memset(&r, 0, sizeof(r));
        rill_error_clear();
        if ((rc = s->split.initial(&el, &r, s->payload)) != 0) {
            rc = rill__fail(w, t->stage, base + i - t->begin, 1, &el, rc, s->builtin,
                            "finding the restriction of");
            break;
        }
        if (r.kind == RILL_RANGE_OFFSET && r.from > r.to) {
            rill__error(RILL_EINVAL, "its restriction [%lld, %lld) ends before it starts",
                        (long long)r.from, (long long)r.to);
            rc = rill__fail(w, t->stage, base + i - t->begin, 1, &el, RILL_EINVAL, 1,
                            "on");
            break;
        }
        if (r.kind == RILL_RANGE_OFFSET && r.from == r.to)
            continue; /* nothing to do */
        if (r.kind == RILL_RANGE_OFFSET && s->split.chunk > 0 && r.to != RILL_OFFSET_INFINITY) {
            int64_t a = r.from, chunk = chunk_of(&r, s->split.chunk);
            while (rc == 0 && a < r.to) { /* Beam's OffsetRange.split: */
                rill_restriction c = r;
                c.from = a;
                c.to = (__int128)r.to - a > chunk ? a + chunk : r.to;
                if ((__int128)r.to - c.to < chunk / 4)
                    c.to = r.to; /* a remainder under a quarter chunk joins the last */
                rc = unit_add(ub, &el, base + i - t->begin, &c, 0);
                a = c.to;
            }
        } else {
            rc = unit_add(ub, &el, base + i - t->begin, &r, 0);
        }
        work += size_of(&r);
        if (rc < 0)
            rc = rill__fail(w, t->stage, base + i - t->begin, 1, &el, rc, 1, "expanding");
    }
    pthread_mutex_lock(&run->split.mu);
    run->split.queued_work += work;
    pthread_mutex_unlock(&run->split.mu);
    /* queued, in order, not run one by one from here: an idle worker, or
     * another rank, takes a whole unit rather than splitting the one
     * running, and this worker takes the first next */
    if (rc == 0)
        rc = hand_units(w, t->stage, t->from, t->red, ub);
    rill__worker_unref(w, ub);
    return rc;
}

/* Sleeps until when; 1 when a drain (dist/) cut it short: a unit under a
 * proxy on a rank other than 0 is waited for by a checkpoint. */
static int sleep_until(rill__run *run, uint64_t when, unsigned most_ms, int proxied)
{
    uint64_t now = now_ns();
    if (when > now + (uint64_t)most_ms * 1000000u) /* saved on another boot or machine */
        when = now + (uint64_t)most_ms * 1000000u;
    while ((now = now_ns()) < when && !rill__input_stopped(run) &&
           !atomic_load(&run->ckpt.parking)) {
        uint64_t d = when - now > 50000000u ? 50000000u : when - now;
        struct timespec ts = {0, (long)d};
        if (proxied && atomic_load(&run->ckpt.want))
            return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Under run->split.mu: running unit a ends at its next claim, the rest of
 * it queued as a unit of its own; 0, or < 0 when that cannot be queued:
 * the rest is cut off the unit already, so the run fails (its work would
 * be lost). */
static int give_rest(rill__worker *w, struct rill__active *a)
{
    rill__run *run = w->run;
    rill_restriction primary, residual;
    rill_batch *ub;
    if (rill_tracker_try_split(&primary, &residual, a->tracker, 0) != 1)
        return 0;
    run->split.queued_work += size_of(&residual);
    if ((ub = rill__worker_batch(w)) == NULL || unit_add(ub, a->element, a->index, &residual, 0) < 0) {
        if (ub)
            rill__worker_unref(w, ub);
        return rill__fail(w, a->stage, 0, 0, NULL, RILL_ENOMEM, 1, "queueing the rest of a unit");
    }
    if (hand_units(w, a->stage, a->from, a->red, ub) < 0) { /* failed the run */
        rill__worker_unref(w, ub);
        return RILL_ENOMEM;
    }
    rill__worker_unref(w, ub);
    return 0;
}

/* Before each claim of a unit. Of a checkpointed run: once a checkpoint is
 * due, the running units end at their next claim, their rest queued, so
 * that their workers come to the barrier now. Otherwise a unit whose worker
 * runs what it emits inline would read on to its end, and everything it
 * read would wait in the queues (stages hand their records on when a
 * checkpoint is due) and be saved with the checkpoint: 272 MB once. And
 * of every run: while the records queued and the outputs waiting for the
 * caller are at their bound (sched.c), the unit ends here, its rest queued
 * to wait for room there, as the source is pulled only with room: a slow
 * caller of rill_stream_next, or a slow stage, slows the reading instead
 * of filling memory (a sequence read on at 1.1 GB for a caller taking a
 * batch a millisecond). */
static int before_claim(void *ctx)
{
    struct rill__active *a = ctx;
    rill__run *run = a->w->run;
    int rc;
    if (run->ckpt.store != NULL && run->world.dist == NULL && !atomic_load(&run->ckpt.parking) &&
        rill__ckpt_due(run, 1)) {
        rill__split_checkpoint(a->w, 0);
        return 1;
    }
    if (a->claims++ == 0 || /* each unit taken claims once at least: it moves on */
        !atomic_load_explicit(&run->sched.full, memory_order_relaxed) ||
        atomic_load(&run->p->src_stop))
        return 0;
    pthread_mutex_lock(&run->split.mu);
    rc = give_rest(a->w, a);
    pthread_mutex_unlock(&run->split.mu);
    return rc == 0;
}

static int split_process(rill__worker *w, rill__task *t, int locked)
{
    rill__run *run = w->run;
    (void)locked;
    const rill__stage *s = &run->stages[t->stage];
    struct rill__active me;
    uint64_t base;
    rill_restriction r, primary, residual;
    rill_record unit, el;
    rill_tracker *tracker;
    rill_emitter e;
    uint64_t not_before;
    double done, left;
    int rc, rc2;
    rill__batch_view(t->batch, t->begin, &unit);
    if ((rc = unit_read(&unit, &r, &el, &base, &not_before)) < 0)
        return rill__fail(w, t->stage, 0, 1, NULL, rc, 1, "reading a unit of work");
    if (not_before &&
        sleep_until(run, not_before, s->split.resume_ms, run->world.rank != 0 && t->red->origin >= 0)) {
        rill__task *again; /* back to the queue, unstarted: the drain sends it home */
        if (rill__task_new(w, t->stage, t->red, t->batch, t->begin, t->end, &again) < 0)
            return rill__fail(w, t->stage, base, 1, &el, RILL_ENOMEM, 1, "queueing");
        again->from = t->from;
        again->phase = 1;
        rill__push(run, again);
        return 0;
    }
    if (atomic_load(&run->fail.stop))
        return RILL_ECANCELLED;
    if (atomic_load(&run->p->src_stop)) { /* rill_source_stop: not read */
        pthread_mutex_lock(&run->split.mu);
        run->split.queued_work -= size_of(&r);
        pthread_mutex_unlock(&run->split.mu);
        return 0;
    }
    if ((rc = rill_tracker_new(&tracker, &r, s->split.estimate, s->payload)) < 0)
        return rill__fail(w, t->stage, base, 1, &el, rc, 1, "tracking");
    memset(&me, 0, sizeof(me));
    me.w = w;
    me.tracker = tracker;
    rill__tracker_yield(tracker, before_claim, &me);
    me.stage = t->stage;
    me.from = t->from;
    me.red = t->red;
    me.element = &el;
    me.index = base;
    me.kind = r.kind;
    me.started = now_ns();
    pthread_mutex_lock(&run->split.mu);
    me.next = run->split.active;
    if (run->split.active)
        run->split.active->prev = &me;
    run->split.active = &me;
    run->split.queued_work -= size_of(&r);
    atomic_fetch_add(&run->split.nactive, 1);
    atomic_fetch_add(&run->split.gen, 1);
    if (atomic_load(&run->p->src_stop)) /* stopped since: rill_source_stop's walk */
        rill__split_cut_all(run);      /* may have missed it */
    pthread_mutex_unlock(&run->split.mu);
    if (atomic_load_explicit(&run->sched.idle, memory_order_relaxed) > 0 &&
        !atomic_load_explicit(&run->sched.full, memory_order_relaxed))
        rill__wake_one(run); /* an idle worker may split this (not while it would
                                only be cut for room) */
    if (atomic_load(&run->ckpt.parking)) /* a checkpoint is waiting: do only what is claimed */
        rill__split_checkpoint(w, 0);

    rill__emitter_init(&e, w, t->stage, -1, t->red);
    e.queue = run->sched.limit[t->stage] > 0;
    rill_error_clear();
    rc = s->split.process(&e, &el, tracker, s->payload);

    pthread_mutex_lock(&run->split.mu); /* no one may split it from here on */
    if (me.prev)
        me.prev->next = me.next;
    else
        run->split.active = me.next;
    if (me.next)
        me.next->prev = me.prev;
    atomic_fetch_sub(&run->split.nactive, 1);
    pthread_mutex_unlock(&run->split.mu);

    if (rc != RILL_PROCESS_DONE && rc != RILL_PROCESS_RESUME) {
        rill__emitter_discard(&e);
        rill_tracker_free(tracker);
        return rill__fail(w, t->stage, base, 1, &el, rc, s->builtin, "processing");
    }
    if (rc == RILL_PROCESS_RESUME &&
        (rc2 = rill_tracker_try_split(&primary, &residual, tracker, 0)) == 1 &&
        !atomic_load(&run->p->src_stop)) { /* stopped: the residual is not read */
        rill_batch *ub = rill__worker_batch(w);
        uint64_t when = now_ns() + (uint64_t)s->split.resume_ms * 1000000u;
        pthread_mutex_lock(&run->split.mu);
        run->split.queued_work += size_of(&residual);
        pthread_mutex_unlock(&run->split.mu);
        if (ub == NULL || unit_add(ub, &el, base, &residual, when) < 0 ||
            hand_units(w, t->stage, t->from, t->red, ub) < 0) {
            if (ub)
                rill__worker_unref(w, ub);
            rill__emitter_discard(&e);
            rill_tracker_free(tracker);
            return rill__fail(w, t->stage, base, 1, &el, RILL_ENOMEM, 1, "resuming");
        }
        rill__worker_unref(w, ub);
    }
    if ((rc = rill_tracker_check_done(tracker)) < 0) {
        rill__emitter_discard(&e);
        rill_tracker_free(tracker);
        return rill__fail(w, t->stage, base, 1, &el, rc, 1, "finishing");
    }
    rill_tracker_progress(&done, &left, tracker);
    pthread_mutex_lock(&run->split.mu);
    run->split.done_work += done;
    run->split.units_done++;
    pthread_mutex_unlock(&run->split.mu);
    rill_tracker_free(tracker);
    return rill__emitter_flush(&e);
}

/* Under run->split.mu: whether unit a has at most 1/8 of its work left,
 * or at its pace so far less than ENDING_NS of it. */
#define ENDING_NS 4000000.0

static int ending(const struct rill__active *a, uint64_t now)
{
    double done, left;
    if (rill_tracker_progress(&done, &left, a->tracker) < 0)
        return 0;
    return done + left > 0 && /* an empty unit tells nothing */
           (left * 8 <= done + left || (done > 0 && (double)(now - a->started) * left < ENDING_NS * done));
}

int rill__split_give(rill__worker *w, int movable, int ahead, rill__task **out)
{
    rill__run *run = w->run;
    struct rill__active *a, *best = NULL;
    rill_restriction primary, residual;
    double most = 0;
    rill__task *t = NULL;
    rill_batch *ub;
    *out = NULL;
    if (atomic_load(&run->split.nactive) == 0 || rill__input_stopped(run))
        return 0;
    pthread_mutex_lock(&run->split.mu);
    for (a = run->split.active; a; a = a->next) {
        const rill__stage *s = &run->stages[a->stage];
        /* byte keys measure work in fractions of the key space */
        double done, left, min = a->kind == RILL_RANGE_BYTEKEY ? 1e-12
                                 : s->split.min_split > 0 ? (double)s->split.min_split : 1;
        if (movable && run->sched.limit[a->stage]) /* a call limit holds on its own rank */
            continue;
        if (rill_tracker_progress(&done, &left, a->tracker) == 0 && left > min && left > most) {
            most = left;
            best = a;
        }
    }
    if (best == NULL || (ahead && ending(best, now_ns())) ||
        rill_tracker_try_split(&primary, &residual, best->tracker, 0.5) != 1) {
        pthread_mutex_unlock(&run->split.mu);
        return 0;
    }
    run->split.queued_work += size_of(&residual);
    if ((ub = rill__worker_batch(w)) == NULL ||
        unit_add(ub, best->element, best->index, &residual, 0) < 0 ||
        rill__task_new(w, best->stage, best->red, ub, 0, 1, &t) < 0) {
        pthread_mutex_unlock(&run->split.mu);
        if (ub)
            rill__worker_unref(w, ub);
        rill__fail(w, best->stage, 0, 0, NULL, RILL_ENOMEM, 1, "splitting work");
        return 0;
    }
    t->from = best->from;
    t->phase = 1;
    if (w->id < run->workers && w == &run->w[w->id])
        rill__stat_add(&rill__stats_of(run, best->stage, w)->splits, 1);
    pthread_mutex_unlock(&run->split.mu);
    rill__worker_unref(w, ub);
    *out = t;
    return 1;
}

int rill__split_ending(rill__run *run)
{
    struct rill__active *a;
    uint64_t now = now_ns();
    int soon = 0;
    if (atomic_load(&run->split.nactive) == 0)
        return 0;
    pthread_mutex_lock(&run->split.mu);
    for (a = run->split.active; a && !soon; a = a->next)
        soon = ending(a, now);
    pthread_mutex_unlock(&run->split.mu);
    return soon;
}

static int split_rebalance(rill__worker *w)
{
    rill__task *t;
    if (rill__split_give(w, 0, 0, &t) != 1)
        return 0;
    rill__deliver(w, t);
    return 1;
}

void rill__split_checkpoint(rill__worker *w, int proxied)
{
    rill__run *run = w->run;
    struct rill__active *a;
    if (atomic_load(&run->split.nactive) == 0 || atomic_load(&run->p->src_stop))
        return; /* stopped: running units were cut, their rest is not read */
    pthread_mutex_lock(&run->split.mu);
    for (a = run->split.active; a; a = a->next) {
        if (proxied && a->red->origin < 0)
            continue; /* opened on this rank: it finishes here */
        if (give_rest(w, a) < 0)
            break; /* the run is failing */
    }
    pthread_mutex_unlock(&run->split.mu);
}

static void split_progress(rill__run *run, rill_progress *pr)
{
    struct rill__active *a;
    pthread_mutex_lock(&run->split.mu);
    pr->completed = run->split.done_work;
    pr->remaining = run->split.queued_work;
    pr->elements_done = run->split.units_done;
    for (a = run->split.active; a; a = a->next) {
        double done, left;
        if (rill_tracker_progress(&done, &left, a->tracker) == 0) {
            pr->completed += done;
            pr->remaining += left;
        }
    }
    pthread_mutex_unlock(&run->split.mu);
}

void rill__unit_moved(rill__run *run, const rill__task *t, int in)
{
    rill_restriction r;
    rill_record u, el;
    uint64_t index, not_before;
    double size;
    if (t->phase != 1)
        return;
    rill__batch_view(t->batch, t->begin, &u);
    if (unit_read(&u, &r, &el, &index, &not_before) < 0)
        return; /* refused where it runs */
    size = size_of(&r);
    pthread_mutex_lock(&run->split.mu);
    run->split.queued_work += in ? size : -size;
    pthread_mutex_unlock(&run->split.mu);
}


void rill__split_cut_all(rill__run *run)
{
    struct rill__active *a;
    for (a = run->split.active; a; a = a->next) {
        rill_restriction primary, residual;
        (void)rill_tracker_try_split(&primary, &residual, a->tracker, 0); /* rest dropped */
    }
}

/* After rill_source_stop: the splittable work still queued (elements not
 * expanded, units not started, and names of files not yet listed by the
 * helper before a file source's stage, builtin 2) is input the run will not
 * read; dropped, as it would be when run, so that a checkpoint does not
 * keep it (a resumed run would read it). */
static void drop_queued(rill__worker *w)
{
    rill__run *run = w->run;
    rill__task *list = NULL, *t;
    int s;
    rill__mutex_lock(&run->sched.mu);
    for (s = 0; s < run->nstages; s++) {
        if ((run->stages[s].ops != &rill__kind_splittable && run->stages[s].builtin != 2) ||
            run->sched.head[s] == NULL)
            continue;
        for (t = run->sched.head[s]; t; t = t->next)
            rill__sched_took(run, t);
        run->sched.tail[s]->next = list;
        list = run->sched.head[s];
        run->sched.head[s] = run->sched.tail[s] = NULL;
    }
    rill__mutex_unlock(&run->sched.mu);
    while ((t = list) != NULL) {
        rill__reduction *red = t->red;
        int stage = t->stage;
        list = t->next;
        rill__unit_moved(run, t, 0);
        rill__task_free(w, t);
        if (run->close.on && atomic_fetch_sub(&run->close.live[stage], 1) == 1)
            rill__try_close(w, stage);
        rill__reduction_release(w, red);
    }
}

static void split_park(rill__worker *w, int proxied)
{
    if (!proxied && atomic_load(&w->run->p->src_stop))
        drop_queued(w);
    rill__split_checkpoint(w, proxied);
}

const rill_stage_kind rill__kind_splittable = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "splittable",
    .flags = RILL_KIND_STREAMING | RILL_KIND_GRAPH | RILL_KIND_ANYWHERE,
    .process = split_process,
    .expand = split_expand,
    .rebalance = split_rebalance,
    .park = split_park,
    .progress = split_progress,
};
