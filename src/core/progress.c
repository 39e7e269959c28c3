/* progress.c — progress reports (rill_on_progress): what the run's
 * splittable work has done and has left, on this rank through the splitting
 * kind's hook and on the others through the transport, made on rank 0 by
 * whichever worker finds one due (workers look after every task, also the
 * tasks they run inline, so a long unit of a file's lines still reports),
 * never two at once; and a last one when the run has done its work, with
 * the final figures. */
#include <sched.h>
#include <time.h>

#include "run.h"

void rill__progress_local(rill__run *run, rill_progress *pr)
{
    pr->completed = pr->remaining = 0;
    pr->elements_done = 0;
    if (run->split.kind)
        run->split.kind->progress(run, pr);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Under progress.busy: a report of the figures now. */
static void report(rill__run *run)
{
    rill_progress pr;
    rill__progress_local(run, &pr);
    if (run->world.ops) /* and the other ranks' latest reports */
        run->world.ops->progress(run, &pr);
    if (pr.remaining < 0)
        pr.remaining = 0;
    run->p->progress(&pr, run->p->progress_payload);
}

void rill__progress_final(rill__run *run)
{
    if (run->p->progress == NULL || run->world.rank != 0)
        return;
    while (atomic_exchange(&run->progress.busy, 1))
        sched_yield(); /* a report of the communication thread (MPI) ends first */
    report(run);
    atomic_store(&run->progress.busy, 0);
}

void rill__progress_tick(rill__worker *w)
{
    rill__run *run = w->run;
    long long next = atomic_load(&run->progress.next_ns), now;
    if (run->p->progress == NULL || run->world.rank != 0 || (now = now_ns()) < next ||
        !atomic_compare_exchange_strong(&run->progress.next_ns, &next,
                                        now + (long long)run->p->progress_ms * 1000000))
        return;
    if (atomic_exchange(&run->progress.busy, 1))
        return; /* the last report is still being made: never two at once */
    report(run);
    atomic_store(&run->progress.busy, 0);
}
