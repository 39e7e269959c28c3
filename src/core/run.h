/* run.h — the state of one run: tasks, reductions, workers and scheduler.
 *
 * A task is a range of records of one batch waiting at one stage under one
 * reduction. A reduction counts what is outstanding under it (tasks queued
 * or running, child reductions open, holds) in `pending`; whoever brings it
 * to zero finishes it (merge and emit, or call the frame function again).
 *
 * Locking: run->mu guards the queues, the source cursor, idle/done and the
 * condition variable. A stage's `busy` flag (serial stages) and a
 * reduction's `pending` are atomics. A reduction's mu guards its single
 * store (frames, reducers without merge). Partial stores are per worker and
 * touched only by their worker until the reduction is done. Worker threads
 * never block on a reduction's mutex while processing inline (they try, and
 * queue the task if it is taken), so locks are never waited on in a cycle. */
#ifndef RILL_CORE_RUN_H
#define RILL_CORE_RUN_H

#include <pthread.h>
#include <stdatomic.h>

#include "../record/batch.h"
#include "../util/error.h"
#include "plan.h"

#define RILL__MAX_DEPTH 24  /* inline processing nests at most this deep */
#define RILL__BATCH_CACHE 4 /* spare batches kept per worker */

typedef struct rill__reduction rill__reduction;
typedef struct rill__run rill__run;

typedef struct rill__task {
    struct rill__task *next; /* queue link */
    int stage;
    rill__reduction *red;    /* counted in red->pending while the task lives */
    rill_batch *batch;       /* one reference held */
    size_t begin, end;
} rill__task;

struct rill__reduction {
    atomic_long pending;
    rill__reduction *parent;  /* NULL for the root */
    int owner;                /* stage index; -1 for the run's root */
    pthread_mutex_t mu;
    void *store;              /* owned: frame or merge-less reduce store */
    void **partials;          /* owned: per-worker stores or key tables */
    rill_batch *first;        /* owned: the record that opened a frame */
    size_t index;             /* frame: which record of the stage opened it */
    rill__reduction *prev, *next; /* the run's live list */
};

typedef struct rill__worker {
    rill__run *run;
    int id;
    pthread_t thread;
    int started;
    int stack[RILL__MAX_DEPTH]; /* stages being processed, innermost last */
    int depth;
    rill_batch *cache[RILL__BATCH_CACHE];
    int ncache;
    /* owned: the views handed to a reduce add, one array per nesting depth
     * (an add's inline work may run another add on this worker) */
    rill_record *scratch[RILL__MAX_DEPTH];
    size_t nscratch[RILL__MAX_DEPTH];
} rill__worker;

struct rill_emitter {
    rill__worker *w;
    int target;
    rill__reduction *red;
    rill_batch *batch; /* being filled; owned until flushed */
    size_t limit;
    size_t count;      /* records emitted through this emitter */
    int queue;         /* hand batches to the queues, never process them
                          inline: set while a serial flag or a reduction's
                          lock is held, so others are not kept waiting */
};

struct rill__run {
    rill_pipeline *p;
    rill__stage *stages; /* p->stages: n user stages and the result stage */
    int nstages;
    int workers;
    size_t batch_records;
    rill__worker *w;
    atomic_int *busy;       /* serial stages: 1 while one call runs */
    atomic_size_t *taken;   /* records each stage has taken, for messages */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    rill__task **head, **tail; /* FIFO per stage */
    size_t queued;
    atomic_int idle;           /* written under mu, read anywhere */
    int done;
    size_t src_next, src_end;  /* unread range of the work list */
    rill__reduction *src_red;  /* the initial work's reduction */
    atomic_int stop;

    rill__reduction *root;
    pthread_mutex_t live_mu;
    rill__reduction *live;

    pthread_mutex_t err_mu;
    int err_code;
    char err_msg[RILL__ERROR_MAX];

    rill_batch *results;       /* owned until handed to the caller */
};

/* sched.c */
int rill__sched_start(rill__run *run);
void rill__sched_join(rill__run *run);
void rill__worker_loop(rill__worker *w);
void rill__push(rill__run *run, rill__task *t);
void rill__serial_release(rill__run *run, int stage);
void rill__wake_all(rill__run *run);

/* exec.c */
int rill__deliver(rill__worker *w, rill__task *t);
/* Whether t enters the scope its stage opens (rather than recursing in it):
 * such a task only opens reductions, and takes no serial flag or lock. */
int rill__entering(const rill__run *run, const rill__task *t);
int rill__process(rill__worker *w, rill__task *t, int locked);
int rill__task_new(rill__worker *w, int stage, rill__reduction *red,
                   rill_batch *batch, size_t begin, size_t end, rill__task **out);
void rill__task_free(rill__worker *w, rill__task *t);
rill_batch *rill__worker_batch(rill__worker *w);
void rill__worker_unref(rill__worker *w, rill_batch *b);
void rill__emitter_init(rill_emitter *e, rill__worker *w, int target,
                        rill__reduction *red);
int rill__emitter_flush(rill_emitter *e);
void rill__emitter_discard(rill_emitter *e);
/* Records a failure of stage while `doing` something to records index ..
 * index+count-1 (rec the first, NULL: none) and stops the run. rc is what
 * the callback returned (the run fails with RILL_EUSER), or with internal
 * set, a library error code the run fails with. Only the first failure is
 * kept. Returns RILL_ECANCELLED, what the caller passes up. */
int rill__fail(rill__worker *w, int stage, size_t index, size_t count,
               const rill_record *rec, int rc, int internal, const char *doing);

/* reduction.c */
int rill__reduction_open(rill__run *run, int owner, rill__reduction *parent,
                         long pending, rill__reduction **out);
void rill__reduction_destroy(rill__run *run, rill__reduction *r);
/* Drops one outstanding unit of r; finishes r when it was the last. */
int rill__reduction_release(rill__worker *w, rill__reduction *r);
/* Enters a frame: opens its reduction for rec and runs the frame function. */
int rill__frame_enter(rill__worker *w, int stage, rill__reduction *parent,
                      const rill_record *rec, size_t index);
/* The stage handlers of reduction.c. locked: the reduction's mu is held. */
int rill__reduce_add(rill__worker *w, const rill__task *t, int locked);
int rill__combine_add(rill__worker *w, const rill__task *t);
int rill__frame_end_run(rill__worker *w, const rill__task *t, int locked);
void *rill__store_new(const rill__stage *s, size_t size, rill_store_init_fn init,
                      int *rc);
void rill__store_free(const rill__stage *s, rill_store_free_fn fn, void *store);

#endif
