/* dist.h — what the engine asks of the distribution layer (src/dist/).
 *
 * Each rank runs the whole engine (run.h) on its own workers. A task can
 * move to another rank; there it runs under a proxy: a local reduction that
 * stands for the reduction it came from (its origin, on the sending rank)
 * and holds the units of that reduction's pending count which the moved
 * tasks carried. When the proxy's own count reaches zero it sends those
 * units home, with its merged partial store or table, and the origin merges
 * them (the reference's "others") and releases them. So every reduction
 * still finishes exactly once, on the rank that opened it, and the root (on
 * rank 0) finishing means the whole run is done on every rank.
 *
 * Records for a stage that needs its reduction's single store (frame end, a
 * reducer without merge), for a stage with a call limit, and for the result
 * stage are sent home to the origin instead of running under a proxy.
 *
 * These are the engine's distribution hooks (rill__dist_ops in core/run.h),
 * which comm.c registers when the library is loaded; the engine calls them
 * only through that table, and only when the registered transport
 * (rill/sys/transport.h: MPI in mpi.c) has more than one rank. */
#ifndef RILL_DIST_DIST_H
#define RILL_DIST_DIST_H

#include "../core/run.h"
#include "../split/split.h"

/* comm.c: sets up run->world.dist when the world has more than one rank and
 * checks every rank built the same pipeline (a collective call). */
int rill__dist_start(rill__run *run);
/* Starts the communication thread, once the run is set up (or restored):
 * until then other ranks' messages wait in MPI. */
int rill__dist_go(rill__run *run);
/* After the workers are joined (on rank 0 also finish and the output
 * files): ends the run on every rank (END, or STOP when this rank stopped;
 * no message is left in flight), stops the thread, frees run->world.dist. */
int rill__dist_stop(rill__run *run);
/* Wakes the communication thread to look at the run again: it stopped here
 * (the error goes to rank 0 and from it to every rank), a worker found
 * nothing to do (another rank may give work), a checkpoint is wanted (the
 * other ranks drain), the root finished (a stream's end goes out). */
void rill__dist_wake(rill__run *run);
/* Under run->sched.mu: a unit some rank sent home to release, or NULL. */
rill__reduction *rill__dist_release_pop(rill__run *run);
/* Under run->sched.mu, on rank 0 while a checkpoint is wanted: whether the whole
 * run's state is on this rank now (no unit of its reductions elsewhere, no
 * proxy here, nothing sent home left to release), so that it can be saved
 * like a single process's. Until then rank 0 works on while the other ranks
 * send their work home and finish what runs. */
int rill__dist_drained(rill__run *run);

/* Rank 0: adds the other ranks' latest progress reports to pr. */
void rill__dist_progress(rill__run *run, rill_progress *pr);

/* proxy.c */
/* Whether task t must leave this rank (see above): then sends it and frees
 * it, releasing its unit of the proxy it ran under, and returns 1. */
int rill__dist_away(rill__worker *w, rill__task *t, int *rc);
/* The last unit of proxy r was released: sends its units and merged store
 * home and destroys it. */
int rill__dist_proxy_done(rill__worker *w, rill__reduction *r);
/* origin.c: a combine r finished on this rank with its table merged in
 * partials[0]: sends the keys other ranks own by hash to them, and tells
 * each how many pieces of r's table other ranks sent it; *mine is this
 * rank (only its keys are emitted here) or -1 (all are). Returns 0, 1 when
 * r must wait (rill__dist_ops.shuffle), or an error code. */
int rill__dist_shuffle(rill__worker *w, rill__reduction *r, int *mine);

#endif
