/* sched.c — the worker pool, the ready queues and the source.
 *
 * Workers take the queued task of the stage nearest the result stage first
 * (by rank; the least-run stage among equals, then the oldest task), so
 * finished work leaves before new work enters; only when no queued task can
 * run do they pull the source (cut the next range off the work list, or call
 * the generator), and only while the queues are below their bound, which
 * keeps memory bounded. Most tasks never reach a queue: a worker processes
 * what it emits itself, depth first (exec.c); a task is queued when it
 * cannot run inline or when other workers are idle and could take it. A
 * sleeping worker is woken only when a task it could take appears. Queues,
 * source state and idle/done are under run->mu; call slots are atomics. */
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
    pthread_mutex_lock(&run->mu);
    pthread_cond_broadcast(&run->cv);
    pthread_cond_broadcast(&run->out_cv);
    pthread_mutex_unlock(&run->mu);
}

void rill__wake_one(rill__run *run)
{
    pthread_mutex_lock(&run->mu);
    if (run->idle > 0)
        pthread_cond_signal(&run->cv);
    pthread_mutex_unlock(&run->mu);
}

void rill__wake_idle(rill__run *run)
{
    if (run->idle == 0)
        return;
    if (atomic_load(&run->ckpt_want)) /* parked workers wait on cv too: one */
        pthread_cond_broadcast(&run->cv); /* signal could go to one of them */
    else
        pthread_cond_signal(&run->cv);
}

void rill__push(rill__run *run, rill__task *t)
{
    RILL__ASSERT(t->stage >= 0 && t->stage < run->nstages && t->begin <= t->end);
    t->next = NULL;
    pthread_mutex_lock(&run->mu);
    if (run->tail[t->stage])
        run->tail[t->stage]->next = t;
    else
        run->head[t->stage] = t;
    run->tail[t->stage] = t;
    run->queued++;
    rill__wake_idle(run);
    pthread_mutex_unlock(&run->mu);
}

int rill__slot_take(rill__run *run, int stage)
{
    int limit = run->limit[stage], b;
    if (limit == 0)
        return 1;
    b = atomic_load(&run->busy[stage]);
    while (b < limit)
        if (atomic_compare_exchange_weak(&run->busy[stage], &b, b + 1))
            return 1;
    return 0;
}

void rill__slot_release(rill__run *run, int stage)
{
    int was;
    if (run->limit[stage] == 0)
        return;
    was = atomic_fetch_sub(&run->busy[stage], 1);
    RILL__ASSERT_MSG(was >= 1, "a call slot was released that was not taken");
    pthread_mutex_lock(&run->mu);
    if (run->head[stage])
        rill__wake_idle(run);
    pthread_mutex_unlock(&run->mu);
}

static rill__task *pop(rill__run *run, int s)
{
    rill__task *t = run->head[s];
    run->head[s] = t->next;
    if (run->head[s] == NULL)
        run->tail[s] = NULL;
    run->queued--;
    return t;
}

/* Under mu: the queued task to run next, its call slot taken. Within the
 * nearest rank that has a runnable task, the least-run stage goes first. */
static rill__task *pop_ready(rill__run *run)
{
    int i = 0;
    while (i < run->nstages) {
        int rank = run->stages[run->order[i]].rank, best = -1, j;
        for (j = i; j < run->nstages && run->stages[run->order[j]].rank == rank; j++) {
            int s = run->order[j];
            rill__task *t = run->head[s];
            if (t == NULL)
                continue;
            if (!rill__entering(run, t) && run->limit[s] &&
                atomic_load(&run->busy[s]) >= run->limit[s])
                continue;
            if (best < 0 || atomic_load(&run->runs[s]) < atomic_load(&run->runs[best]))
                best = s;
        }
        if (best >= 0 && (rill__entering(run, run->head[best]) || rill__slot_take(run, best)))
            return pop(run, best);
        if (best < 0)
            i = j; /* nothing runnable at this rank */
    }
    return NULL;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Under mu, at the top of the loop: when a checkpoint is due (its interval
 * passed or it was asked for), parks this worker at the barrier; the last
 * worker to arrive saves the run while every other one waits. Returns 1
 * when it parked. */
static int barrier(rill__worker *w)
{
    rill__run *run = w->run;
    unsigned gen;
    if (!atomic_load(&run->ckpt_want)) {
        if (!atomic_exchange(&run->p->ckpt_request, 0) &&
            !(run->p->ckpt_interval > 0 && mono_s() >= run->ckpt_next))
            return 0;
        atomic_store(&run->ckpt_want, 1);
        pthread_cond_broadcast(&run->cv); /* idle workers come to the barrier */
        rill__tp_wake(run);             /* other ranks send their work home */
    }
    if (!rill__tp_drained(run))
        return 0; /* work on meanwhile: what comes home must be run or kept */
    atomic_store(&run->ckpt_parking, 1);
    pthread_mutex_unlock(&run->mu);
    if (run->splitter)                    /* running units give their rest away */
        run->splitter->park(w, 0);
    pthread_mutex_lock(&run->mu);
    if (!atomic_load(&run->ckpt_want))
        return 1; /* taken meanwhile: look at everything again */
    gen = run->ckpt_gen;
    if (++run->parked == run->workers) {
        int rc = 0;
        if (run->dist) { /* every other worker is parked: mu can go meanwhile */
            pthread_mutex_unlock(&run->mu);
            rc = rill__fold_extras(w);
            pthread_mutex_lock(&run->mu);
        }
        if (rc == 0)
            rc = run->persist->save(run);
        run->parked = 0;
        run->ckpt_gen++;
        atomic_store(&run->ckpt_parking, 0);
        atomic_store(&run->ckpt_want, 0);
        run->ckpt_next = mono_s() + run->p->ckpt_interval;
        if (rc < 0) /* the run stops with the state file's error */
            rill__run_stop(run, rc, rill_error_last(), 1);
        pthread_cond_broadcast(&run->cv);
    } else {
        /* idle workers come to the barrier too (under MPI they may have gone
         * to sleep while the other ranks drained) */
        pthread_cond_broadcast(&run->cv);
        while (run->ckpt_gen == gen && !atomic_load(&run->stop) && !run->done)
            pthread_cond_wait(&run->cv, &run->mu);
        if (run->ckpt_gen == gen)
            run->parked--; /* left because the run ended */
    }
    return 1;
}

void rill__barrier_start(rill__run *run)
{
    run->ckpt_next = mono_s() + run->p->ckpt_interval;
}

static int room(const rill__run *run)
{
    return run->queued + run->nout < (size_t)run->workers * 2 + 2;
}

/* Under mu, with room in the queues and no pull running: takes the next
 * records of the source (rill/sys/source.h) and hands them to every root.
 * A source that only cuts is asked under mu; any other (a generator: user
 * code) with mu let go, one pull at a time. Until they are routed the
 * records hold one unit of the source's reduction and, when closing, keep
 * each root open. Returns with mu held. */
static void pull(rill__worker *w)
{
    rill__run *run = w->run;
    const rill_source *src = run->source;
    int cuts = (src->flags & RILL_SOURCE_CUTS) != 0, rc, i, last;
    rill_source_pull q = {0};
    q.workers = run->workers;
    q.batch_records = run->batch_records;
    q.position = (int64_t)run->src_next;
    if (!cuts) {
        if ((q.out = rill__worker_batch(w)) == NULL) {
            pthread_mutex_unlock(&run->mu);
            rill__fail(w, run->roots[0], 0, 0, NULL, RILL_ENOMEM, 1, "receiving source batches");
            pthread_mutex_lock(&run->mu);
            return;
        }
        run->pulling = 1;
        pthread_mutex_unlock(&run->mu);
        rc = src->next(run->source_self, &q);
        pthread_mutex_lock(&run->mu);
        run->pulling = 0;
    } else {
        rc = src->next(run->source_self, &q);
    }
    if (rc < 0) {
        pthread_mutex_unlock(&run->mu);
        if (q.out)
            rill__worker_unref(w, q.out);
        rill__fail(w, run->roots[0], run->generated, 0, NULL, rc, 0, "receiving source batch");
        pthread_mutex_lock(&run->mu);
        return;
    }
    last = rc == 0 || q.last ||
           (!(src->flags & RILL_SOURCE_BOUNDED) && run->max_batches &&
            run->generated + 1 >= run->max_batches);
    if (rc == 1) {
        run->src_next = (size_t)q.position;
        run->generated++;
        atomic_fetch_add(&run->src_red->pending, 1); /* the records' hold */
        if (run->closing)
            for (i = 0; i < run->nroots; i++)
                atomic_fetch_add(&run->live[run->roots[i]], 1);
    }
    if (last && run->src_done) /* a rank asking for work took the rest */
        last = 0;
    run->src_done |= last;
    if (!last && run->idle > 0)
        pthread_cond_signal(&run->cv);
    pthread_mutex_unlock(&run->mu);
    if (last)
        rill__source_done(w);
    if (rc == 1) {
        for (i = 0; i < run->nroots; i++)
            if (rill__route(w, run->roots[i], -1, run->src_red, (rill_batch *)q.batch, q.begin,
                            q.end) < 0)
                break;
        if (run->closing)
            for (i = 0; i < run->nroots; i++)
                if (atomic_fetch_sub(&run->live[run->roots[i]], 1) == 1)
                    rill__try_close(w, run->roots[i]);
        rill__reduction_release(w, run->src_red);
    }
    if (q.out)
        rill__worker_unref(w, q.out);
    pthread_mutex_lock(&run->mu);
}

void rill__worker_loop(rill__worker *w)
{
    rill__run *run = w->run;
    int tried = 0; /* a split was tried since this worker last slept */
    pthread_mutex_lock(&run->mu);
    while (!run->done && !atomic_load(&run->stop)) {
        rill__task *t;
        rill__reduction *home;
        if (run->store && barrier(w))
            continue;
        if (run->dist && (home = rill__tp_release_pop(run)) != NULL) {
            pthread_mutex_unlock(&run->mu); /* a unit another rank sent home */
            rill__reduction_release(w, home);
            pthread_mutex_lock(&run->mu);
            continue;
        }
        t = pop_ready(run);
        if (t != NULL) {
            /* Taking a task may have brought the queues under their bound:
             * a sleeping worker can pull the source again. */
            if (run->idle > 0 && !run->src_done)
                pthread_cond_signal(&run->cv);
            pthread_mutex_unlock(&run->mu);
            rill__process(w, t, 0);
            rill__progress_tick(w);
            pthread_mutex_lock(&run->mu);
            continue;
        }
        if (!run->src_done && !run->pulling && run->source && room(run)) {
            pull(w);
            continue;
        }
        if (!tried && run->splitter && atomic_load(&run->nactive) > 0) {
            /* Split a straggler if one is worth it; then look at everything
             * again, since mu was let go (the run may even have ended). A
             * unit listed meanwhile is worth another try. */
            int gen = atomic_load(&run->active_gen);
            pthread_mutex_unlock(&run->mu);
            tried = !run->splitter->rebalance(w);
            rill__progress_tick(w);
            pthread_mutex_lock(&run->mu);
            if (atomic_load(&run->active_gen) != gen)
                tried = 0;
            continue;
        }
        run->idle++;
        if (run->dist && run->queued == 0)
            rill__tp_wake(run); /* another rank may have work to give */
        pthread_cond_wait(&run->cv, &run->mu);
        run->idle--;
        tried = 0;
    }
    pthread_mutex_unlock(&run->mu);
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
