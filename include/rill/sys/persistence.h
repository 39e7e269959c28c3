/* rill/sys/persistence.h — the table through which a run saves and loads its
 * checkpoints.
 *
 * Not needed to build or run pipelines. rill's SQLite state file
 * (src/state/) is the one implementation: rill_checkpointing installs it on
 * the pipeline, and a pipeline without it is never checkpointed.
 *
 * Threading: start, complete, end and close are called on the thread that
 * runs rill_execution, on rank 0 only. save is called by the last worker to park
 * at the checkpoint barrier, with every other worker parked and the
 * scheduler's lock held: the run is one consistent cut (no task running,
 * nothing in flight) and must be written atomically. */
#ifndef RILL_SYS_PERSISTENCE_H
#define RILL_SYS_PERSISTENCE_H

#include "stage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version 1 had no delivered. */
#define RILL_PERSISTENCE_VERSION 2
typedef struct rill_persistence {
    unsigned version; /* RILL_PERSISTENCE_VERSION */
    const char *name; /* "sqlite" */
    /* Opens the state for run; with resume asked, rebuilds run from the last
     * checkpoint. Returns 0 (nothing restored), 1 (restored), 2 (restored a
     * run that had done all its work: only its outputs are left to
     * publish), or a negative error (RILL_EFINISHED: that run finished). */
    int (*start)(rill_execution *run);
    /* Saves one consistent cut of the run, all or nothing. */
    int (*save)(rill_execution *run);
    /* All the run's work is done; its outputs are about to be published. */
    int (*complete)(rill_execution *run);
    /* The results the last save (or complete) held for the callbacks were
     * given to them: a resume must not give them again. Called on the
     * thread that saved, with no stage running. */
    int (*delivered)(rill_execution *run);
    /* The run ended (ok: successfully, its outputs published). */
    int (*end)(rill_execution *run, int ok);
    /* Lets go of what start opened (also after a failed start). */
    void (*close)(rill_execution *run);
} rill_persistence;

#ifdef __cplusplus
}
#endif
#endif
