/* sched.c — the worker pool, the ready queues and the source.
 *
 * Workers take the queued task of the stage nearest the result stage first
 * (by rank; the least-run stage among equals, then the oldest task), so
 * finished work leaves before new work enters; only when no queued task can
 * run do they pull the source (cut the next range off the work list, or call
 * the generator), and only while the queues are below their bound, which
 * keeps memory bounded. A splittable source reads on inside its units, so
 * the bound holds for them too: while the records queued (units are work to
 * do, not records) and the outputs waiting for a stream's caller are at it
 * (sched.full), queued units are not taken and running ones end at their
 * next claim, their rest queued (split/splittable.c). Most tasks never
 * reach a queue: a worker processes what it emits itself, depth first
 * (exec.c); a task is queued when it cannot run inline or when other
 * workers are idle and could take it. A sleeping worker is woken only when
 * a task it could take appears. After
 * rill_source_stop (p->src_stop) the next worker free to pull ends the
 * source instead, as a source that has no more (split/stop.c says what
 * else stops). Queues, source state and idle/done are under run->sched.mu;
 * call slots are atomics. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "run.h"

static void *worker_main(void *arg)
{
    rill__worker_loop(arg);
    return NULL;
}

void rill__wake_all(rill__run *run)
{
    rill__mutex_lock(&run->sched.mu);
    pthread_cond_broadcast(&run->sched.cv);
    pthread_cond_broadcast(&run->out.cv);
    rill__mutex_unlock(&run->sched.mu);
}

void rill__wake_one(rill__run *run)
{
    rill__mutex_lock(&run->sched.mu);
    if (run->sched.idle > 0)
        pthread_cond_signal(&run->sched.cv);
    rill__mutex_unlock(&run->sched.mu);
}

void rill__wake_idle(rill__run *run)
{
    RILL__ASSERT_HELD(&run->sched.mu);
    if (run->sched.idle == 0)
        return;
    if (atomic_load(&run->ckpt.want)) /* parked workers wait on cv too: one */
        pthread_cond_broadcast(&run->sched.cv); /* signal could go to one of them */
    else
        pthread_cond_signal(&run->sched.cv);
}

/* Whether t is work a splittable stage has still to read (an element to
 * cut into units, or a unit: split/splittable.c), not records. */
static int is_unit(const rill__run *run, const rill__task *t)
{
    return run->split.kind && t->phase != RILL__PHASE_CLOSE &&
           run->stages[t->stage].ops == run->split.kind;
}

/* The records the queues and the outputs waiting for the caller may hold
 * before the source waits: two batches a worker, and two. */
static size_t bound(const rill__run *run)
{
    return (size_t)run->workers * 2 + 2;
}

void rill__sched_level(rill__run *run)
{
    int full = run->sched.queued - run->sched.units + run->out.n >= bound(run);
    RILL__ASSERT_HELD(&run->sched.mu);
    if (!full && run->sched.units > 0 && atomic_load_explicit(&run->sched.full, memory_order_relaxed))
        rill__wake_idle(run); /* room again: a sleeping worker takes a unit */
    atomic_store_explicit(&run->sched.full, full, memory_order_relaxed);
}

static void put(rill__run *run, const rill__task *t)
{
    run->sched.queued++;
    run->sched.units += is_unit(run, t);
    rill__sched_level(run);
}

void rill__sched_took(rill__run *run, const rill__task *t)
{
    RILL__ASSERT_HELD(&run->sched.mu);
    run->sched.queued--;
    run->sched.units -= is_unit(run, t);
    rill__sched_level(run);
}

void rill__push(rill__run *run, rill__task *t)
{
    RILL__ASSERT(t->stage >= 0 && t->stage < run->nstages && t->begin <= t->end);
    t->next = NULL;
    rill__mutex_lock(&run->sched.mu);
    if (run->sched.tail[t->stage])
        run->sched.tail[t->stage]->next = t;
    else
        run->sched.head[t->stage] = t;
    run->sched.tail[t->stage] = t;
    put(run, t);
    rill__wake_idle(run);
    rill__mutex_unlock(&run->sched.mu);
}

void rill__push_front(rill__run *run, rill__task *t)
{
    RILL__ASSERT(t->stage >= 0 && t->stage < run->nstages && t->begin <= t->end);
    rill__mutex_lock(&run->sched.mu);
    t->next = run->sched.head[t->stage];
    run->sched.head[t->stage] = t;
    if (run->sched.tail[t->stage] == NULL)
        run->sched.tail[t->stage] = t;
    put(run, t);
    rill__wake_idle(run);
    rill__mutex_unlock(&run->sched.mu);
}

int rill__slot_take(rill__run *run, int stage)
{
    int limit = run->sched.limit[stage], b;
    if (limit == 0)
        return 1;
    b = atomic_load(&run->sched.busy[stage]);
    while (b < limit)
        if (atomic_compare_exchange_weak(&run->sched.busy[stage], &b, b + 1))
            return 1;
    return 0;
}

void rill__slot_release(rill__run *run, int stage)
{
    int was;
    if (run->sched.limit[stage] == 0)
        return;
    was = atomic_fetch_sub(&run->sched.busy[stage], 1);
    RILL__ASSERT_MSG(was >= 1, "a call slot was released that was not taken");
    rill__mutex_lock(&run->sched.mu);
    if (run->sched.head[stage])
        rill__wake_idle(run);
    rill__mutex_unlock(&run->sched.mu);
}

static rill__task *pop(rill__run *run, int s)
{
    rill__task *t = run->sched.head[s];
    RILL__ASSERT_HELD(&run->sched.mu);
    run->sched.head[s] = t->next;
    if (run->sched.head[s] == NULL)
        run->sched.tail[s] = NULL;
    rill__sched_took(run, t);
    return t;
}

/* Under mu: the queued task to run next, its call slot taken. Within the
 * nearest rank that has a runnable task, the least-run stage goes first. */
static rill__task *pop_ready(rill__run *run)
{
    int i = 0;
    RILL__ASSERT_HELD(&run->sched.mu);
    while (i < run->nstages) {
        int rank = run->stages[run->sched.order[i]].rank, best = -1, j;
        for (j = i; j < run->nstages && run->stages[run->sched.order[j]].rank == rank; j++) {
            int s = run->sched.order[j];
            rill__task *t = run->sched.head[s];
            if (t == NULL)
                continue;
            if (is_unit(run, t) && atomic_load_explicit(&run->sched.full, memory_order_relaxed) &&
                !atomic_load_explicit(&run->p->src_stop, memory_order_relaxed))
                continue; /* reads more: waits for room, as a pull does (once
                             stopped, taking it drops it) */
            if (!rill__entering(run, t) && run->sched.limit[s] &&
                atomic_load(&run->sched.busy[s]) >= run->sched.limit[s])
                continue;
            if (best < 0 || atomic_load(&run->sched.runs[s]) < atomic_load(&run->sched.runs[best]))
                best = s;
        }
        if (best >= 0 && (rill__entering(run, run->sched.head[best]) || rill__slot_take(run, best)))
            return pop(run, best);
        if (best < 0)
            i = j; /* nothing runnable at this rank */
    }
    return NULL;
}

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The next timed checkpoint: an interval (at least the minimum) from now. */
static void schedule_next(rill__run *run)
{
    double iv = run->p->ckpt_interval;
    if (iv < RILL__CKPT_MIN_INTERVAL)
        iv = RILL__CKPT_MIN_INTERVAL;
    if (iv > 1e9)
        iv = 1e9;
    atomic_store(&run->ckpt.next, mono_ns() + (long long)(iv * 1e9));
}

static int interval_due(rill__run *run)
{
    return run->p->ckpt_interval > 0 && mono_ns() >= atomic_load(&run->ckpt.next);
}

int rill__ckpt_due(rill__run *run, int clock)
{
    if (run->ckpt.store == NULL)
        return 0;
    return atomic_load_explicit(&run->ckpt.want, memory_order_relaxed) ||
           atomic_load_explicit(&run->p->ckpt_request, memory_order_relaxed) ||
           (clock && interval_due(run));
}

/* Under mu, at the top of the loop: when a checkpoint is due (its interval
 * passed and a task ran here since the last one — under MPI the work may
 * be on other ranks, so there the interval alone — or it was asked for), parks
 * this worker at the barrier; the last worker to arrive saves the run while
 * every other one waits. Returns 1 when it parked. */
static int barrier(rill__worker *w)
{
    rill__run *run = w->run;
    unsigned gen;
    RILL__ASSERT_HELD(&run->sched.mu);
    if (!atomic_load(&run->ckpt.want)) {
        if (!atomic_exchange(&run->p->ckpt_request, 0) &&
            !((run->ckpt.progressed || run->world.dist) && interval_due(run)))
            return 0;
        atomic_store(&run->ckpt.want, 1);
        pthread_cond_broadcast(&run->sched.cv); /* idle workers come to the barrier */
        rill__tp_wake(run);             /* other ranks send their work home */
    }
    if (!rill__tp_drained(run))
        return 0; /* work on meanwhile: what comes home must be run or kept */
    atomic_store(&run->ckpt.parking, 1);
    rill__mutex_unlock(&run->sched.mu);
    if (run->split.kind)                    /* running units give their rest away */
        run->split.kind->park(w, 0);
    rill__mutex_lock(&run->sched.mu);
    if (!atomic_load(&run->ckpt.want))
        return 1; /* taken meanwhile: look at everything again */
    gen = run->ckpt.gen;
    if (++run->ckpt.parked == run->workers) {
        int rc = 0;
        if (run->world.dist || run->close.closers) { /* every other worker is
                                                        parked: mu can go meanwhile */
            rill__mutex_unlock(&run->sched.mu);
            if (run->world.dist)
                rc = rill__fold_extras(w);
            if (rc == 0 && run->close.closers) /* what they hold is let go, queued */
                rc = rill__drain_closers(w);
            rill__mutex_lock(&run->sched.mu);
        }
        if (rc == 0)
            rc = run->ckpt.persist->save(run);
        if (rc == 0 && run->out.held) { /* covered now: given while no stage runs */
            rill__mutex_unlock(&run->sched.mu);
            rc = rill__deliver_held(w);
            rill__mutex_lock(&run->sched.mu);
        }
        if (rc == 0)
            atomic_fetch_add(&run->p->ckpt_taken, 1);
        run->ckpt.parked = 0;
        run->ckpt.gen++;
        atomic_store(&run->ckpt.parking, 0);
        atomic_store(&run->ckpt.want, 0);
        run->ckpt.progressed = 0;
        schedule_next(run); /* from the end of this save: time to work */
        if (rc < 0) /* the run stops with the state file's error */
            rill__run_stop(run, rc, rill_error_last(), 1);
        pthread_cond_broadcast(&run->sched.cv);
    } else {
        /* idle workers come to the barrier too (under MPI they may have gone
         * to sleep while the other ranks drained) */
        pthread_cond_broadcast(&run->sched.cv);
        while (run->ckpt.gen == gen && !atomic_load(&run->fail.stop) && !run->sched.done)
            rill__cond_wait(&run->sched.cv, &run->sched.mu);
        if (run->ckpt.gen == gen)
            run->ckpt.parked--; /* left because the run ended */
    }
    return 1;
}

void rill__barrier_start(rill__run *run)
{
    schedule_next(run);
}

static int room(const rill__run *run)
{
    return run->sched.queued + run->out.n < bound(run);
}

/* Under mu, with room in the queues and no pull running: takes the next
 * records of the source (rill/sys/source.h) and hands them to every root.
 * A source that only cuts is asked under mu; any other (a generator: user
 * code) with mu let go, one pull at a time. Until they are routed the
 * records hold one unit of the source's reduction and, when closing, keep
 * each root open. Once rill_source_stop was called (p->src_stop) the source
 * is not asked again: this pull is its last, and ends it. Returns with mu
 * held. */
static void pull(rill__worker *w)
{
    rill__run *run = w->run;
    const rill_source *src = run->src.ops;
    int cuts = (src->flags & RILL_SOURCE_CUTS) != 0, rc, i, last;
    rill_source_pull q = {0};
    RILL__ASSERT_HELD(&run->sched.mu);
    q.workers = run->workers * (run->world.size > 1 ? run->world.size : 1); /* every rank's */
    q.batch_records = run->batch_records;
    q.position = (int64_t)run->src.next;
    if (atomic_load(&run->p->src_stop)) {
        rc = 0; /* rill_source_stop: it has no more */
    } else if (!cuts) {
        if ((q.out = rill__worker_batch(w)) == NULL) {
            rill__mutex_unlock(&run->sched.mu);
            rill__fail(w, run->sched.roots[0], 0, 0, NULL, RILL_ENOMEM, 1, "receiving source batches");
            rill__mutex_lock(&run->sched.mu);
            return;
        }
        run->src.pulling = 1;
        rill__mutex_unlock(&run->sched.mu);
        rc = src->next(run->src.self, &q);
        rill__mutex_lock(&run->sched.mu);
        run->src.pulling = 0;
    } else {
        rc = src->next(run->src.self, &q);
    }
    if (rc < 0) {
        rill__mutex_unlock(&run->sched.mu);
        if (q.out)
            rill__worker_unref(w, q.out);
        rill__fail(w, run->sched.roots[0], run->src.generated, 0, NULL, rc, 0, "receiving source batch");
        rill__mutex_lock(&run->sched.mu);
        return;
    }
    if (rc == 1 && q.begin == q.end && !q.last && (src->flags & RILL_SOURCE_WAITS) &&
        !atomic_load(&run->p->src_stop)) {
        run->src.next = (size_t)q.position; /* it waited and nothing came: */
        rill__mutex_unlock(&run->sched.mu); /* not a batch */
        if (q.out)
            rill__worker_unref(w, q.out);
        rill__mutex_lock(&run->sched.mu);
        return;
    }
    if (rc == 1 && q.begin == q.end && atomic_load(&run->p->src_stop))
        rc = 0; /* it waited, nothing came, and no more is wanted */
    last = rc == 0 || q.last || atomic_load(&run->p->src_stop) ||
           (!(src->flags & RILL_SOURCE_BOUNDED) && run->src.max_batches &&
            run->src.generated + 1 >= run->src.max_batches);
    if (rc == 1) {
        run->src.next = (size_t)q.position;
        run->src.generated++;
        atomic_fetch_add(&run->src.red->pending, 1); /* the records' hold */
        if (run->close.on)
            for (i = 0; i < run->sched.nroots; i++)
                atomic_fetch_add(&run->close.live[run->sched.roots[i]], 1);
    }
    if (last && run->src.done) /* a rank asking for work took the rest */
        last = 0;
    run->src.done |= last;
    if (!last && run->sched.idle > 0)
        pthread_cond_signal(&run->sched.cv);
    rill__mutex_unlock(&run->sched.mu);
    if (last)
        rill__source_done(w);
    if (rc == 1) {
        for (i = 0; i < run->sched.nroots; i++)
            if (rill__route(w, run->sched.roots[i], -1, run->src.red, (rill_batch *)q.batch, q.begin,
                            q.end) < 0)
                break;
        if (run->close.on)
            for (i = 0; i < run->sched.nroots; i++)
                if (atomic_fetch_sub(&run->close.live[run->sched.roots[i]], 1) == 1)
                    rill__try_close(w, run->sched.roots[i]);
        rill__reduction_release(w, run->src.red);
    }
    if (q.out)
        rill__worker_unref(w, q.out);
    rill__mutex_lock(&run->sched.mu);
}

void rill__worker_loop(rill__worker *w)
{
    rill__run *run = w->run;
    int tried = 0; /* a split was tried since this worker last slept */
    rill__mutex_lock(&run->sched.mu);
    while (!run->sched.done && !atomic_load(&run->fail.stop)) {
        rill__task *t;
        rill__reduction *home;
        if (atomic_load_explicit(&run->p->src_stop, memory_order_relaxed) && !run->src.done &&
            !run->src.pulling && run->src.ops) {
            pull(w); /* rill_source_stop: the source ends as one with no more */
            continue;
        }
        if (run->ckpt.store && barrier(w))
            continue;
        if (run->world.dist && (home = rill__tp_release_pop(run)) != NULL) {
            rill__mutex_unlock(&run->sched.mu); /* a unit another rank sent home */
            rill__reduction_release(w, home);
            rill__mutex_lock(&run->sched.mu);
            continue;
        }
        t = pop_ready(run);
        if (t != NULL) {
            /* Taking a task may have brought the queues under their bound:
             * a sleeping worker can pull the source, or take a unit, again. */
            if (run->sched.idle > 0 &&
                (!run->src.done ||
                 (run->sched.units > 0 && !atomic_load_explicit(&run->sched.full, memory_order_relaxed))))
                pthread_cond_signal(&run->sched.cv);
            rill__mutex_unlock(&run->sched.mu);
            rill__process(w, t, 0);
            rill__progress_tick(w);
            rill__mutex_lock(&run->sched.mu);
            run->ckpt.progressed = 1;
            continue;
        }
        if (!run->src.done && !run->src.pulling && run->src.ops && room(run)) {
            pull(w);
            run->ckpt.progressed = 1;
            continue;
        }
        if (!tried && run->split.kind && atomic_load(&run->split.nactive) > 0 &&
            !atomic_load_explicit(&run->sched.full, memory_order_relaxed)) {
            /* Split a straggler if one is worth it; then look at everything
             * again, since mu was let go (the run may even have ended). A
             * unit listed meanwhile is worth another try. */
            int gen = atomic_load(&run->split.gen);
            rill__mutex_unlock(&run->sched.mu);
            tried = !run->split.kind->rebalance(w);
            rill__progress_tick(w);
            rill__mutex_lock(&run->sched.mu);
            if (atomic_load(&run->split.gen) != gen)
                tried = 0;
            continue;
        }
        run->sched.idle++;
        if (run->world.dist && run->sched.queued == 0)
            rill__tp_wake(run); /* another rank may have work to give */
        rill__cond_wait(&run->sched.cv, &run->sched.mu);
        run->sched.idle--;
        tried = 0;
    }
    rill__mutex_unlock(&run->sched.mu);
}

int rill__sched_start(rill__run *run, int first)
{
    int i;
    for (i = first; i < run->workers; i++) {
        rill__worker *w = &run->w[i];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return rill__error(RILL_ETHREAD, "cannot start worker thread %d of %d", i + 1,
                               run->workers);
        w->started = 1;
    }
    return 0;
}

void rill__sched_join(rill__run *run)
{
    int i;
    for (i = 0; i < run->workers; i++)
        if (run->w[i].started)
            pthread_join(run->w[i].thread, NULL);
}
