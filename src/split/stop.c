/* stop.c — rill_source_stop: a run reads no more input, and what it read
 * goes on to the end as usual.
 *
 * The call sets the pipeline's src_stop flag (the run going on clears it
 * when it starts) and, while a run is going (p->live, under stats_mu, which
 * keeps the run alive), cuts every running unit of splittable work at its
 * next position: a split at fraction 0 whose residual is dropped, so its
 * next claim fails and it ends as a range that is done. Everything else
 * looks at the flag where it would read more:
 *   - sched.c: the pulled source is asked for nothing more (a pull going on
 *     is the last one) and ends as a source that has no more;
 *   - splittable.c: units and elements not started yet are left out,
 *     residuals are not queued again, idle workers split nothing;
 *   - files.c: a stream (standard input, a pipe, a FIFO) waits for bytes in
 *     slices and ends when it sees the flag;
 *   - at a checkpoint's barrier each worker drops the splittable work still
 *     queued (split_park), so no checkpoint taken after the stop holds
 *     input the run will not read.
 * A unit listed in split.active after this walk sees the flag itself
 * (split_process looks after listing: the flag is set before split.mu is
 * taken here, so a unit listed after the walk sees it).
 *
 * Lock order: p->stats_mu, then run->split.mu, then a tracker's lock; the
 * wake takes sched.mu after split.mu is let go. */
#include <stdatomic.h>

#include "split.h"
#include "../util/error.h"

int rill__input_stopped(const rill__run *run)
{
    return atomic_load_explicit(&run->p->src_stop, memory_order_relaxed) ||
           atomic_load_explicit(&run->fail.stop, memory_order_relaxed);
}

int rill__emitter_stopped(const rill_emitter *e)
{
    return e && e->w && rill__input_stopped(e->w->run);
}

int rill_source_stop(rill_pipeline *p)
{
    rill__run *run;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_source_stop: the pipeline is NULL");
    if (atomic_exchange(&p->src_stop, 1))
        return 0; /* asked already: done, or being done */
    pthread_mutex_lock(&p->stats_mu);
    if ((run = p->live) != NULL) {
        pthread_mutex_lock(&run->split.mu);
        rill__split_cut_all(run);
        pthread_mutex_unlock(&run->split.mu);
        rill__wake_all(run); /* a worker ends the pulled source */
    }
    pthread_mutex_unlock(&p->stats_mu);
    return 0;
}
