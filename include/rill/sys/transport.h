/* rill/sys/transport.h — the table through which the engine reaches other
 * ranks (processes) of a distributed run.
 *
 * Not needed to build or run pipelines. rill's MPI layer (src/dist/) is the
 * one implementation: it registers itself when the library is loaded (a
 * constructor), and without it a run has one rank and the engine calls
 * none of this. The engine calls these hooks at the few points where a run
 * meets the other ranks: a task that must leave, a proxy whose work is done,
 * a combine whose keys are owned by other ranks, a checkpoint that needs
 * every rank's work home, and the start and end of a run. Below them the
 * MPI layer sends and receives bytes on one communication thread per rank
 * (src/dist/link.h).
 *
 * Threading: world, start, go and stop are called on the thread that runs
 * rill_execution; wake, away, proxy_done and shuffle on worker threads;
 * release_pop and drained with the scheduler's lock held (they must not
 * block); progress on the worker making a progress report.
 * Ownership: tasks and reductions passed in are the engine's; away and
 * proxy_done take the task or the proxy over when they return 1 / 0. */
#ifndef RILL_SYS_TRANSPORT_H
#define RILL_SYS_TRANSPORT_H

#include "stage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RILL_TRANSPORT_VERSION 1
typedef struct rill_transport {
    unsigned version; /* RILL_TRANSPORT_VERSION */
    const char *name; /* "mpi" */
    /* The world: this process's rank and the number of ranks (1: alone,
     * and the engine calls nothing else). */
    int (*world)(int *rank, int *size);
    /* A run starts (collective: every rank calls it; refuses ranks whose
     * pipelines differ) and, once set up or restored, goes. */
    int (*start)(rill_execution *run);
    int (*go)(rill_execution *run);
    /* After the workers are joined: ends the run on every rank. */
    int (*stop)(rill_execution *run);
    /* Something changed that other ranks may need to know (a failure, an
     * idle worker, a checkpoint wanted, the end). */
    void (*wake)(rill_execution *run);
    /* A unit another rank sent home, to release; NULL when none. */
    rill_reduction *(*release_pop)(rill_execution *run);
    /* Rank 0 while a checkpoint is wanted: whether the whole run's state is
     * on this rank now. */
    int (*drained)(rill_execution *run);
    /* Rank 0: adds the other ranks' latest progress to pr. */
    void (*progress)(rill_execution *run, rill_progress *pr);
    /* Whether task t must run on another rank: then it was sent and freed
     * (*rc: 0 or the failure) and 1 is returned. */
    int (*away)(rill_worker *w, rill_span *t, int *rc);
    /* The last unit of a proxy (a reduction standing for another rank's) was
     * released: its units and merged state go home; it is destroyed. */
    int (*proxy_done)(rill_worker *w, rill_reduction *r);
    /* A combine finished here: keys other ranks own go to them. */
    int (*shuffle)(rill_worker *w, rill_reduction *r);
} rill_transport;

/* Makes t the transport of every run that starts from now on (NULL: one
 * rank). t: borrowed, must outlive those runs. RILL_EINVAL for a table of
 * another version. */
RILL_EXTERN int rill_transport_register(const rill_transport *t);

#ifdef __cplusplus
}
#endif
#endif
