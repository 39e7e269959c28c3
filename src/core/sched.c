/* sched.c — the worker pool and the ready queues.
 *
 * Workers take the queued task nearest the end of the pipeline first (then
 * the oldest), so finished work leaves before new work enters; only when no
 * queued task can run do they cut the next range off the work list, and only
 * while the queues are below their bound, which keeps memory bounded. Most
 * tasks never reach a queue: a worker processes what it emits itself, depth
 * first (exec.c); a task is queued when it cannot run inline or when other
 * workers are idle and could take it. A sleeping worker is woken only when a
 * task it could take appears. All of it is under run->mu. */
#include <stdlib.h>

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
    pthread_mutex_unlock(&run->mu);
}

void rill__push(rill__run *run, rill__task *t)
{
    t->next = NULL;
    pthread_mutex_lock(&run->mu);
    if (run->tail[t->stage])
        run->tail[t->stage]->next = t;
    else
        run->head[t->stage] = t;
    run->tail[t->stage] = t;
    run->queued++;
    if (run->idle > 0)
        pthread_cond_signal(&run->cv);
    pthread_mutex_unlock(&run->mu);
}

void rill__serial_release(rill__run *run, int stage)
{
    atomic_store(&run->busy[stage], 0);
    pthread_mutex_lock(&run->mu);
    if (run->head[stage] && run->idle > 0)
        pthread_cond_signal(&run->cv);
    pthread_mutex_unlock(&run->mu);
}

/* Under mu: the queued task to run next, its serial stage acquired. */
static rill__task *pop_ready(rill__run *run)
{
    int s;
    for (s = run->nstages - 1; s >= 0; s--) {
        rill__task *t = run->head[s];
        int zero = 0;
        if (t == NULL)
            continue;
        if (run->stages[s].serial && !rill__entering(run, t) &&
            !atomic_compare_exchange_strong(&run->busy[s], &zero, 1))
            continue;
        run->head[s] = t->next;
        if (run->head[s] == NULL)
            run->tail[s] = NULL;
        run->queued--;
        return t;
    }
    return NULL;
}

/* Under mu: bounds of the next range of the work list (guided: large while
 * much is left, down to one record at the end, so no worker is left with a
 * long tail). */
static int cut_source(rill__run *run, size_t *begin, size_t *end)
{
    size_t left = run->src_end - run->src_next, n;
    if (left == 0 || run->queued >= (size_t)run->workers * 2 + 2)
        return 0;
    n = left / (2 * (size_t)run->workers);
    if (n > run->batch_records)
        n = run->batch_records;
    if (n == 0)
        n = 1;
    *begin = run->src_next;
    *end = run->src_next += n;
    return 1;
}

void rill__worker_loop(rill__worker *w)
{
    rill__run *run = w->run;
    pthread_mutex_lock(&run->mu);
    while (!run->done && !atomic_load(&run->stop)) {
        rill__task *t = pop_ready(run);
        size_t begin, end;
        int last = 0;
        if (t == NULL && cut_source(run, &begin, &end)) {
            /* The task is counted in src_red before mu is let go: until then
             * only the source's hold keeps src_red open, and another worker
             * may take the last range and release that hold. */
            int rc = rill__task_new(w, 0, run->src_red, run->p->work, begin, end, &t);
            last = run->src_next == run->src_end;
            if (!last && run->idle > 0)
                pthread_cond_signal(&run->cv);
            pthread_mutex_unlock(&run->mu);
            if (rc < 0) {
                rill__fail(w, 0, begin, 0, NULL, RILL_ENOMEM, 1, "taking work");
                pthread_mutex_lock(&run->mu);
                break;
            }
            if (last)
                rill__reduction_release(w, run->src_red);
            rill__deliver(w, t); /* takes the first stage's serial flag */
            pthread_mutex_lock(&run->mu);
            continue;
        }
        if (t == NULL) {
            run->idle++;
            pthread_cond_wait(&run->cv, &run->mu);
            run->idle--;
            continue;
        }
        /* Taking a task may have brought the queues under their bound:
         * a sleeping worker can cut the work list again. */
        if (run->idle > 0 && run->src_next < run->src_end)
            pthread_cond_signal(&run->cv);
        pthread_mutex_unlock(&run->mu);
        rill__process(w, t, 0);
        pthread_mutex_lock(&run->mu);
    }
    pthread_mutex_unlock(&run->mu);
}

int rill__sched_start(rill__run *run)
{
    int i;
    for (i = 1; i < run->workers; i++) {
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
    for (i = 1; i < run->workers; i++)
        if (run->w[i].started)
            pthread_join(run->w[i].thread, NULL);
}
