/* steal.c — a rank asking other ranks for work (STEAL) and what their
 * answers mean for its next request: whom it asks, when, and what for (an
 * idle rank, one soon idle, or a busy one keeping a reserve). The
 * communication thread (comm.c) calls both; give.c answers. */
#include "link.h"

/* Idle workers and nothing queued: ask the next rank for work. Each rank
 * that says no moves the question on; after a whole round of refusals the
 * next round waits longer (up to 5 ms). A busy rank with nothing queued
 * asks for a reserve ahead: refused, 5 ms later, then twice as long each
 * time up to 40 ms; that does not delay its asking once it is idle. When a unit it runs is near its end it asks
 * as an idle rank does (code 2): the answer, a split of another rank's
 * running unit, comes before its worker runs out, and goes on under the
 * same proxies (no table goes home between the two). */
void rill__steal_maybe(rill__dist *d, double now)
{
    rill__run *run = d->run;
    rill__head h = {0};
    int want, idle;
    if (d->stealing || d->size < 2 ||
        (now < d->next_steal && now < d->next_ahead && now < d->next_reserve))
        return;
    rill__mutex_lock(&run->sched.mu);
    /* asked before the last queued task is taken, so that the answer comes
     * while this rank still works (a busy rank with nothing queued asks for
     * a reserve) */
    idle = run->sched.idle > 0 && run->sched.queued == 0;
    want = run->sched.queued < (size_t)run->workers && !run->sched.done && !atomic_load(&run->ckpt.want) &&
           (d->rank != 0 || run->src.done);
    rill__mutex_unlock(&run->sched.mu);
    if (!want)
        return;
    if (!idle && run->split.kind && rill__split_ending(run))
        idle = 2;
    if (now < (idle == 1 ? d->next_steal : idle == 2 ? d->next_ahead : d->next_reserve))
        return;
    if (d->victim == d->rank)
        d->victim = (d->victim + 1) % d->size;
    h.type = RILL__M_STEAL;
    h.code = idle; /* only an idle rank, or one soon idle, has running work split for it */
    if (rill__send_head(d, d->victim, &h) == 0) {
        d->stealing = 1;
        d->asked = idle;
    }
}

/* What an answer to STEAL means for the next one. */
void rill__steal_answered(rill__dist *d, int64_t given)
{
    double wait;
    d->stealing = 0;
    if (given > 0) {
        d->tried = 0;
        d->next_steal = d->next_ahead = d->next_reserve = 0;
        d->reserve_wait = 0;
        return; /* the same rank again next time: it had work */
    }
    d->victim = (d->victim + 1) % d->size;
    if (d->victim == d->rank)
        d->victim = (d->victim + 1) % d->size;
    if (d->asked == 2) {
        d->next_ahead = rill__mono() + 5e-3;
        return;
    }
    if (d->asked == 0) { /* no spare work anywhere tends to stay so: 5 ms,
                            then twice as long each time, up to 40 ms */
        d->reserve_wait = d->reserve_wait > 0 ? d->reserve_wait * 2 : 5e-3;
        if (d->reserve_wait > 4e-2)
            d->reserve_wait = 4e-2;
        d->next_reserve = rill__mono() + d->reserve_wait;
        return;
    }
    if (++d->tried < d->size - 1)
        return;
    wait = 2e-5 * (double)(1 << (d->tried - d->size + 1 < 8 ? d->tried - d->size + 1 : 8));
    d->next_steal = rill__mono() + (wait < 5e-3 ? wait : 5e-3);
}
