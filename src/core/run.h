/* run.h — the state of one run: tasks, reductions, workers and scheduler.
 *
 * A task is a range of records of one batch waiting at one stage under one
 * reduction. A reduction counts what is outstanding under it (tasks queued
 * or running, child reductions open, holds) in `pending`; whoever brings it
 * to zero finishes it (merge and emit, or call the frame function again).
 *
 * Locking: each part of a run (below) says what guards it; the scheduler's
 * sched.mu guards the queues, the source cursor, idle/done and the condition
 * variable, and is asserted where a function needs it held. A stage's `busy` flag (serial stages) and a
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
#include "../util/assert.h"
#include "../util/error.h"
#include "../util/mutex.h"
#include "plan.h"
#include "rill/sys/transport.h"

#define RILL__MAX_DEPTH 24  /* inline processing nests at most this deep */
#define RILL__BATCH_CACHE 4 /* spare batches kept per worker */
/* An emitter's batch goes on when it holds batch_records records or this
 * many bytes (one longer record is a batch of its own): large records
 * (rill_read_blocks' blocks) make batches that stay in the cache. */
#define RILL__BATCH_BYTES ((size_t)1 << 20)

typedef struct rill_reduction rill__reduction;
typedef struct rill_execution rill__run;
typedef struct rill_span rill__task;
typedef struct rill_worker rill__worker;

struct rill_span {
    rill__task *next;        /* queue link */
    int stage;
    int from;                /* the stage that emitted the records; -1: source */
    int phase;               /* splittable stages: 0 elements, 1 units;
                                RILL__PHASE_CLOSE: the kind's close for red */
    rill__reduction *red;    /* counted in red->pending while the task lives */
    rill_batch *batch;       /* one reference held */
    size_t begin, end;
};

/* A reduction's pending word: the units outstanding in its low 32 bits,
 * and in its high 32 bits how many of them are holds (below). */
#define RILL__HELD_ONE ((long long)1 << 32)
#define RILL__ONLY_HOLDS(v) ((v) > 0 && ((v) & 0xffffffffLL) == ((v) >> 32))

struct rill_reduction {
    atomic_llong pending;     /* units, and holds (RILL__HELD_ONE each) */
    rill__reduction *parent;  /* NULL for the root */
    int owner;                /* stage index; -1 for the run's root */
    pthread_mutex_t mu;
    void *store;              /* owned: frame or merge-less reduce store */
    void **partials;          /* owned: per-worker stores or key tables */
    rill_batch *first;        /* owned: the record that opened a frame */
    size_t index;             /* frame: which record of the stage opened it */
    void **extra;             /* owned, under mu: stores or tables other ranks
                                 sent home (dist/), merged when it finishes */
    size_t nextra;
    int origin;               /* -1: opened here; else a proxy (dist/dist.h) of
                                 reduction origin_id of rank origin */
    uint64_t origin_id;
    int64_t units;            /* proxy: units of its origin it holds */
    void *parked;             /* owned, under mu: a combine's pieces other
                                 ranks hold for it (dist/origin.c); free() */
    char *raw;                /* owned, under mu: a combine's keys other ranks
                                 sent, as pieces (stage_combine.c), merged with
                                 the extras */
    size_t raw_len, raw_cap;
    int relay;                /* a proxy of a proxy on rank origin: a
                                 combine's keys go home whole (set before its
                                 first task is queued) */
    /* Holds of stages whose kind has close, in runs that close per
     * reduction (rill__closing): bit k of holders is the k-th such stage,
     * most upstream first. Each hold is a unit of pending counted in its
     * held half too, added in one step by a task of the stage that still
     * has its own unit; the release that leaves only holds (the two halves
     * equal: RILL__ONLY_HOLDS of the value it left) closes the first
     * holder, whose hold becomes its close's unit. Only that one value is
     * read: once a release is done, r may be another thread's to free. */
    _Atomic uint64_t holders;
    int64_t ckpt_id;          /* its id in the checkpoint being saved */
    int ckpt_saved;
    rill__reduction *prev, *next; /* the run's live list */
};

struct rill_worker {
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
};

/* A key waiting to be counted into a combine's table while its slot is
 * prefetched (rill__combine_direct): short keys of the built-in sum only. */
#define RILL__AHEAD 32 /* a power of two */
typedef struct rill__ahead {
    uint64_t key[2]; /* the key's bytes, zero-padded (keytable.h's words) */
    uint64_t hash;
    int64_t add;
    uint32_t len;
} rill__ahead;

struct rill_emitter {
    rill__worker *w;
    int stage;         /* whose callback emits */
    int target;        /* where to; -1: every successor of stage */
    rill__reduction *red;
    rill_batch *batch; /* being filled; owned until flushed */
    size_t limit;      /* records a batch takes before it goes on */
    size_t bytes;      /* and bytes (RILL__BATCH_BYTES; SIZE_MAX: no limit) */
    size_t count;      /* records emitted through this emitter */
    size_t counted;    /* of those, folded ones already in the figures */
    int queue;         /* hand batches to the queues, never process them
                          inline: set while a serial flag or a reduction's
                          lock is held, so others are not kept waiting */
    int direct;        /* a combine stage whose partial table this worker
                          folds keyed records into as they are emitted (they
                          never become a batch), or -1 */
    rill_emitter *subs; /* owned: rill_emitter_to's, one per successor of
                           stage (NULL until asked for); flushed and freed
                           with this one */
    struct rill__keytable *sum; /* direct's table when its combine is the built-in
                            sum: short keys go the way of ahead.h */
    uint64_t ahead_in, ahead_out; /* with sum: keys held back and counted so
                                     far (the ring's index: modulo its size) */
    uint64_t ahead_figured; /* ahead_in when the figures last took them */
    rill__ahead ahead[RILL__AHEAD];
};

/* A run's state, in parts owned by the modules that use them; each part
 * says what guards it. The plan part at the top is set up before the
 * workers start and read-only while they run. */

/* The scheduler's (sched.c, exec.c, route.c): mu guards the queues, idle,
 * done and the source's cursor (src below); cv, with mu, wakes idle workers
 * and those parked at a checkpoint. Call slots and run counts are atomics:
 * a slot is taken before a call of a stage with a limit and let go after. */
typedef struct rill__sched {
    rill__mutex mu;
    pthread_cond_t cv;
    rill__task **head, **tail; /* FIFO per stage */
    size_t queued;
    size_t units;              /* of queued, units of splittable work: work to
                                  do, where the others are records held */
    atomic_int full;           /* written under mu (rill__sched_level), read
                                  anywhere: the records queued and the outputs
                                  waiting for the caller are at their bound, so
                                  units of splittable work wait, and running
                                  ones end at their next claim, their rest
                                  queued, as the source is pulled only with
                                  room */
    atomic_int idle;           /* written under mu, read anywhere */
    int done;                  /* under mu: the root finished */
    atomic_int *busy;          /* calls running, for stages with a limit */
    int *limit;                /* most calls at once; 0: no limit */
    atomic_size_t *taken;      /* records each stage has taken, for messages */
    atomic_long *runs;         /* calls each stage has had: least-run first */
    int *order;                /* stages nearest the result stage first */
    int *roots;                /* the stages the source feeds */
    int nroots;
} rill__sched;

/* The source the engine pulls (sched.c's pull; rill/sys/source.h). Under
 * sched.mu, except that while pulling is set one worker is in ops->next. */
typedef struct rill__source_state {
    const rill_source *ops;    /* NULL: nothing to pull */
    void *self;
    size_t next, end;          /* its position; the furthest it can get (the
                                  work list's length; SIZE_MAX: unknown) */
    rill__reduction *red;      /* the initial work's reduction */
    int pulling, done;         /* a worker is in next / no more */
    size_t generated, max_batches; /* pulls that gave records; most of them
                                     (unbounded sources) */
} rill__source_state;

/* Closing (route.c), in pipelines without scopes: a stage closes when
 * every stage feeding it has closed and none of its tasks is left; then the
 * records it holds back to fill a batch_size go out, and its successors
 * learn it. Until it closes, a stage holds one unit of the root. live and
 * preds_open are atomics; closed and held are under mu[stage].
 * In any other run (scopes, several ranks) a stage whose kind has close is
 * closed per reduction instead (reduction.c): bit[stage] is its bit in a
 * reduction's holders (-1: its kind has no close), stage_of the reverse,
 * set up before the workers start and only read after. */
#define RILL__PHASE_CLOSE 2
#define RILL__MAX_CLOSERS 64
typedef struct rill__closing {
    int on;
    int closers;               /* stages whose kind has close */
    signed char *bit;          /* owned; NULL when no kind has close */
    int stage_of[RILL__MAX_CLOSERS];
    int nclosers;
    atomic_long *live;         /* tasks of each stage not yet processed */
    atomic_int *preds_open;    /* feeding stages (or the source) not closed */
    char *closed;
    rill_batch **held;         /* records waiting for batch_size */
    pthread_mutex_t *mu;
} rill__closing;

/* Reductions (reduction.c): every live one is on the list, under mu; the
 * root is set up before the workers start. */
typedef struct rill__reductions {
    rill__reduction *root;
    pthread_mutex_t mu;
    rill__reduction *live;
} rill__reductions;

/* The run's first failure (rill__run_stop): code and msg under mu; stop is
 * set once a failure is kept (or the run is cancelled) and read anywhere. */
typedef struct rill__failure {
    pthread_mutex_t mu;
    int code;
    char msg[RILL__ERROR_MAX];
    atomic_int stop;
} rill__failure;

/* Records [begin, end) of batch (a reference held), which stage from sent
 * to the result stage, waiting for a checkpoint to cover them. */
typedef struct rill__held {
    struct rill__held *next;
    int from;
    rill_batch *batch;
    size_t begin, end;
} rill__held;

/* Outputs (stage_result.c, sink_stream.c): results, delivered and held are
 * written by the result stage only (it is serial), or by the one thread
 * that saves a checkpoint or ends the run while no stage runs; a stream's
 * list of outputs is under sched.mu, and cv (with sched.mu) says one came
 * or the run ended. */
typedef struct rill__outputs {
    rill_batch *results;       /* owned until handed to the caller */
    int64_t delivered;         /* records given to result/output: the next
                                  one's sequence number */
    /* a checkpointed run holds what goes to the sink (one that keeps no
     * state of its own) and the result callback until a committed
     * checkpoint covers it (rill/checkpoint.h) */
    int hold;                  /* holds them (else gives at once) */
    int hold_sink, hold_result; /* what is held goes to the sink / result */
    rill__held *held, *held_last; /* owned, in the order they came */
    const rill_sink *sink;     /* where output batches go; NULL: nowhere */
    void *sink_self;           /* the sink's own (the run, for streams) */
    int stream;                /* outputs go to head for rill_stream_next */
    rill__task *head, *tail;
    size_t n;
    pthread_cond_t cv;
} rill__outputs;

/* Checkpoints (sched.c's barrier; the persistence table, state/): every
 * worker parks under sched.mu while the last one saves; want and parking
 * are atomics, the rest under sched.mu. */
typedef struct rill__checkpointing {
    const rill_persistence *persist; /* p's; NULL: not checkpointed */
    struct rill__store *store; /* owned by persist while the run lasts */
    atomic_int want;
    atomic_int parking;        /* workers park for it now: units give their
                                  rest away (want, but under MPI rank 0
                                  first waits for the other ranks' work) */
    int parked;
    unsigned gen;
    atomic_llong next;         /* when the next timed checkpoint is due (ns,
                                  monotonic; read without mu) */
    int progressed;            /* under mu: a task ran since the last one */
    int64_t count;
    int complete;              /* resumed with only the publishing left */
} rill__checkpointing;

/* The engine's few meeting points with other ranks, which the
 * distribution layer (src/dist/) implements over the registered transport
 * (rill/sys/transport.h) and registers when the library is loaded. The
 * engine calls them only in a run of more than one rank: start, go and stop
 * on the thread that runs rill_run; wake, away, proxy_done and shuffle on
 * worker threads; release_pop and drained with sched.mu held (they do not
 * block); progress on the worker making a progress report. */
typedef struct rill__dist_ops {
    /* A run starts (every rank: refuses ranks whose pipelines differ) and,
     * once set up or restored, goes; after the workers are joined it ends
     * on every rank. */
    int (*start)(rill__run *run);
    int (*go)(rill__run *run);
    int (*stop)(rill__run *run);
    /* Something other ranks may need to know changed (a failure, an idle
     * worker, a checkpoint wanted, the end). */
    void (*wake)(rill__run *run);
    /* A unit another rank sent home, to release; NULL when none. */
    rill__reduction *(*release_pop)(rill__run *run);
    /* Rank 0 while a checkpoint is wanted: whether the whole run's state is
     * on this rank now. */
    int (*drained)(rill__run *run);
    /* Rank 0: adds the other ranks' latest progress to pr. */
    void (*progress)(rill__run *run, rill_progress *pr);
    /* Whether task t must run on another rank: then it was sent and freed
     * (*rc: 0 or the failure) and 1 is returned. */
    int (*away)(rill__worker *w, rill__task *t, int *rc);
    /* The last unit of a proxy was released: its units and merged state go
     * home; it is destroyed. */
    int (*proxy_done)(rill__worker *w, rill__reduction *r);
    /* A combine finished here with its workers' tables merged in
     * partials[0] (those other ranks sent still in extra, merged after):
     * keys other ranks own go to them (with the pieces its proxies parked
     * there).
     * *mine: the rank whose keys stay in the table to be emitted here, -1
     * all of them. 1: r waits for pieces to come home (a checkpoint
     * drains); it finishes again when they have. */
    int (*shuffle)(rill__worker *w, rill__reduction *r, int *mine);
} rill__dist_ops;

/* The world: set up before the workers start. */
typedef struct rill__world_state {
    const rill_transport *link; /* the transport read when the run started */
    int size;                  /* ranks in the world */
    const rill__dist_ops *ops; /* NULL: this process is the only rank */
    struct rill__dist *dist;   /* the distribution layer's; NULL: one rank */
    int rank;                  /* this process's rank; 0 alone */
} rill__world_state;

/* Running splittable work (split/splittable.c): the units being processed,
 * for idle workers to split and for progress. Under mu. */
typedef struct rill__splitting {
    const rill_stage_kind *kind; /* whose hooks split running work; NULL:
                                    the pipeline has none */
    pthread_mutex_t mu;
    struct rill__active *active;
    atomic_int nactive;
    atomic_int gen;            /* counts units listed: a worker whose split
                                  failed looks again if it moved before it
                                  slept */
    double done_work, queued_work; /* positions of units finished / waiting */
    uint64_t units_done;
} rill__splitting;

/* Progress reports (progress.c): atomics; one report at a time. */
typedef struct rill__reporting {
    atomic_llong next_ns;
    atomic_int busy;           /* a progress report is being made */
} rill__reporting;

struct rill_execution {
    /* The plan: read-only while the workers run. */
    rill_pipeline *p;
    rill__stage *stages;       /* p->stages: n user stages and the result stage */
    int nstages;
    int workers;
    size_t batch_records;
    rill__worker *w;
    /* Per stage and worker: calls, records in and out, dynamic splits
     * (written by their worker only; read by rill_pipeline_stats during
     * the run and kept in the pipeline at its end). */
    struct rill__stats *stats;

    rill__sched sched;
    rill__source_state src;
    rill__closing close;
    rill__reductions reds;
    rill__failure fail;
    rill__outputs out;
    rill__checkpointing ckpt;
    rill__world_state world;
    rill__splitting split;
    rill__reporting progress;
};

/* run.c: sets a run up, calls init and starts the workers (with
 * all_threads every worker is a thread, else worker 0 is the caller's);
 * collect: keep every result. And takes a run down again. */
int rill__run_start(rill__run *run, rill_pipeline *p, const rill_run_options *opts,
                    int collect, int all_threads);
void rill__run_free(rill__run *run);
/* transport.c: the registered transport (NULL: none), and the
 * distribution layer's hooks, which it registers. */
const rill_transport *rill__transport(void);
void rill__dist_register(const rill__dist_ops *ops);
/* This process's rank and the world's size, (*ops) the distribution hooks
 * when the world has more than one rank, else NULL, and (*link, unless
 * link is NULL) the transport that said so. */
int rill__world(const rill__dist_ops **ops, int *rank, int *size,
                const rill_transport **link);

/* sched.c */
/* Starts workers first.. as threads. */
int rill__sched_start(rill__run *run, int first);
void rill__sched_join(rill__run *run);
void rill__worker_loop(rill__worker *w);
void rill__push(rill__run *run, rill__task *t);
/* The same, at the head of its stage's queue: next to run there. */
void rill__push_front(rill__run *run, rill__task *t);
/* Under sched.mu: t left the queues (not through rill__worker_loop), or
 * the outputs waiting for the caller changed; keeps queued, units and full
 * right. */
void rill__sched_took(rill__run *run, const rill__task *t);
void rill__sched_level(rill__run *run);
/* Under mu: wakes an idle worker (every one while a checkpoint is wanted). */
void rill__wake_idle(rill__run *run);
/* Takes one of stage's call slots (always, for stages without a limit). */
int rill__slot_take(rill__run *run, int stage);
void rill__slot_release(rill__run *run, int stage);
void rill__wake_all(rill__run *run);
void rill__wake_one(rill__run *run);
/* The first timed checkpoint is due an interval from now. */
void rill__barrier_start(rill__run *run);
/* Intervals below this (seconds) count as this: a checkpoint per interval
 * still leaves time for work in between. */
#define RILL__CKPT_MIN_INTERVAL 0.001
/* Whether a checkpoint is wanted, asked for or (with clock) due by its
 * interval; any thread, no lock. Inline work stops recursing then, and long
 * tasks hand their rest to the queue, so the worker reaches the barrier. */
int rill__ckpt_due(rill__run *run, int clock);

/* stage_result.c: gives what is held to the sink and the result callback,
 * in order, once a checkpoint covering it is committed (no stage running),
 * then has the state say so; a failure stops the run and comes back. */
int rill__deliver_held(rill__worker *w);
/* Whether run holds outputs for checkpoints, set when it starts. */
void rill__hold_setup(rill__run *run);
void rill__held_free(rill__run *run);

/* exec.c */
int rill__deliver(rill__worker *w, rill__task *t);
/* Whether t enters the scope its stage opens (rather than recursing in it):
 * such a task only opens reductions, and takes no serial flag or lock. */
int rill__entering(const rill__run *run, const rill__task *t);
int rill__process(rill__worker *w, rill__task *t, int locked);
int rill__task_new(rill__worker *w, int stage, rill__reduction *red,
                   rill_batch *batch, size_t begin, size_t end, rill__task **out);
/* route.c: hands records [begin, end) of batch (emitted by stage from, -1
 * for the source) to stage under red: cut into parts of the stage's
 * batch_size, or held back until one is full, then delivered (queued when
 * queue is set). The caller keeps its reference to batch. */
int rill__route_to(rill__worker *w, int stage, int from, rill__reduction *red,
                   rill_batch *batch, size_t begin, size_t end, int queue);
#define rill__route(w, stage, from, red, batch, begin, end) \
    rill__route_to(w, stage, from, red, batch, begin, end, 0)
/* At a checkpoint, every worker parked and sched.mu not held: each stage
 * whose kind has close (RILL_KIND_RESTARTS) closes what it holds under
 * each reduction (the whole stage's when whole stages close), what it sends
 * on queued and saved; it starts again with its next span. */
int rill__drain_closers(rill__worker *w);
/* The source is exhausted: its hold is released, the roots learn it. */
int rill__source_done(rill__worker *w);
/* A stage's last task is done: it closes if what feeds it has closed. */
int rill__try_close(rill__worker *w, int stage);
/* exec.c: views for n records at this worker's nesting depth (see scratch). */
int rill__scratch(rill__worker *w, size_t n, rill_record **out);
void rill__task_free(rill__worker *w, rill__task *t);
rill_batch *rill__worker_batch(rill__worker *w);
void rill__worker_unref(rill__worker *w, rill_batch *b);
/* An emitter of stage's callback sending to target, or with target -1 to
 * every successor of stage. */
void rill__emitter_init(rill_emitter *e, rill__worker *w, int stage, int target,
                        rill__reduction *red);
int rill__emitter_flush(rill_emitter *e);
/* Sends e's batch on and gives e a new one (RILL_ECANCELLED once the run
 * stops; a failure is the run's). */
int rill__emitter_next_batch(rill_emitter *e);
/* Emits each line of text[0..len) as a record (emit_lines.c): its bytes
 * without the '\n'; a last line without one as it is. */
int rill__emit_lines(rill_emitter *e, const char *text, size_t len);
/* Whether e sends to every successor of its stage, which has one: a job
 * with line_blocks (a line source may hand it blocks of lines). */
int rill__emitter_line_blocks(const rill_emitter *e);
/* Emits text[0..len), whole lines, as one record, which the figures of e's
 * stage (out) and of its successor (in) count as the lines it holds. */
int rill__emit_line_block(rill_emitter *e, const char *text, size_t len);
/* RILL_EINVAL: call was given a NULL emitter (exec.c). */
int rill__no_emitter(const char *call);
/* rill_emit_words' byte-at-a-time way (emit_words.c), which it takes
 * without SSE2: the same words, for the tests to compare. */
int rill__emit_words_bytewise(rill_emitter *e, const void *text, size_t len, unsigned flags);
void rill__emitter_discard(rill_emitter *e);
/* Stops the run with its first failure: keeps code and msg unless a failure
 * came first, then wakes every worker, the stream's reader and the other
 * ranks. locked: the caller holds run->sched.mu. Every failure goes through here. */
void rill__run_stop(rill__run *run, int code, const char *msg, int locked);
/* Records a failure of stage while `doing` something to records index ..
 * index+count-1 (rec the first, NULL: none) and stops the run. rc is what
 * the callback returned (the run fails with RILL_EUSER), or with internal
 * set, a library error code the run fails with. Only the first failure is
 * kept. Returns RILL_ECANCELLED, what the caller passes up. */
int rill__fail(rill__worker *w, int stage, size_t index, size_t count,
               const rill_record *rec, int rc, int internal, const char *doing);

/* progress.c: a progress report when one is due (rank 0, one at a time). */
void rill__progress_tick(rill__worker *w);
/* The last report of a run that did its work (rank 0, after the workers). */
void rill__progress_final(rill__run *run);
/* What this rank's splittable stages have done and have left. */
void rill__progress_local(rill__run *run, rill_progress *pr);

/* The distribution hooks, called only in a run of more than one rank. */
static inline void rill__tp_wake(rill__run *run)
{
    if (run->world.ops)
        run->world.ops->wake(run);
}
static inline int rill__tp_away(rill__worker *w, rill__task *t, int *rc)
{
    return w->run->world.ops ? w->run->world.ops->away(w, t, rc) : 0;
}
static inline int rill__tp_proxy_done(rill__worker *w, rill__reduction *r)
{
    return w->run->world.ops->proxy_done(w, r);
}
static inline int rill__tp_shuffle(rill__worker *w, rill__reduction *r, int *mine)
{
    *mine = -1;
    return w->run->world.ops ? w->run->world.ops->shuffle(w, r, mine) : 0;
}
/* Which of size ranks owns a combine's key: bits of its hash the key table
 * does not use for slots. */
static inline int rill__key_rank(uint64_t hash, int size)
{
    return (int)((hash >> 40) % (uint64_t)size);
}

/* The same from the upper 32 bits of the hash (a slot's tag). */
static inline int rill__key_rank_of_tag(uint32_t tag, int size)
{
    return rill__key_rank((uint64_t)tag << 32, size);
}

static inline rill__reduction *rill__tp_release_pop(rill__run *run)
{
    return run->world.ops ? run->world.ops->release_pop(run) : NULL;
}
static inline int rill__tp_drained(rill__run *run)
{
    return run->world.ops ? run->world.ops->drained(run) : 1;
}

/* A stage's figures on one worker, a cache line each. Each counter has one
 * writer, the worker whose column it is (run->w[id]; the transport's thread
 * view writes none), and is read by rill_pipeline_stats from any thread
 * while the run goes: atomics, but only ever written through
 * rill__stat_add, a relaxed load and a release store (plain moves on
 * x86-64: no locked instruction, no fence), never a read-modify-write. The
 * release store lets a reader that loads records_out (acquire) before
 * records_in see at least the records in that led to those out. */
typedef struct rill__stats {
    _Alignas(64) _Atomic uint64_t calls;
    _Atomic uint64_t records_out, records_in, splits;
} rill__stats;

static inline void rill__stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_release);
}

/* Stage s's figures on worker w. */
static inline rill__stats *rill__stats_of(const rill__run *run, int s, const rill__worker *w)
{
    return &run->stats[s * run->workers + w->id];
}

/* reduction.c */
int rill__reduction_open(rill__run *run, int owner, rill__reduction *parent,
                         long pending, rill__reduction **out);
void rill__reduction_destroy(rill__run *run, rill__reduction *r);
/* Drops one outstanding unit of r; finishes r when it was the last. */
int rill__reduction_release(rill__worker *w, rill__reduction *r);
/* A task of stage (whose kind has close) under r was processed: the stage
 * holds r until its close for r has run (see rill__reduction). */
void rill__reduction_hold(rill__run *run, rill__reduction *r, int stage);
/* r's pending fell to left (the word) by a release of its own (a frame's
 * step): when only holds are left, the first holder closes (on a worker). */
int rill__reduction_left(rill__worker *w, rill__reduction *r, long long left);
/* What a finished reduction of stage s sends onward: its kind emits state
 * (a store, a key table) to out. */
typedef int (*rill__emit_fn)(rill_emitter *out, const rill__stage *s, void *state);
/* Emits state through emit to the stage after r's owner under r's parent,
 * then closes r. */
int rill__reduction_close(rill__worker *w, rill__reduction *r, rill__emit_fn emit, void *state);
/* The i-th partial of r: per worker, then those other ranks sent; taken out
 * of r (NULL when there is none). */
void *rill__take_partial(rill__run *run, rill__reduction *r, int i);
/* stage_combine.c: the combine stage that what stage emits under red can be
 * folded into at once: its only successor, under that combine's own
 * reduction, with no call limit, not already being run by this worker. -1
 * when there is none. */
int rill__combine_direct_target(rill__worker *w, int stage, rill__reduction *red);
/* Counts the keys e holds back into the table; < 0 on an error (failed). */
int rill__combine_drain(rill_emitter *e);
int rill__combine_nomem(rill_emitter *e);
/* The partial table of the combine direct on this worker (made if need be)
 * when it is the built-in sum, else NULL. */
struct rill__keytable *rill__combine_sum_table(rill__worker *w, int direct,
                                               rill__reduction *red);
/* Folds one record into the emitter's direct combine. */
int rill__combine_direct(rill_emitter *e, const void *key, size_t klen, int keyed,
                         const void *data, size_t len);
/* A store as bytes (its size bytes, or what encode adds; *bytes: caller
 * frees), and back (decode, or its bytes; free_fn releases what a failing
 * decode filled). Through the serialisation module (serial.h). */
int rill__store_encode(const rill__stage *s, size_t size, rill_store_encode_fn encode,
                       const void *store, void **bytes, size_t *len);
int rill__store_decode(const rill__stage *s, size_t size, rill_store_decode_fn decode,
                       rill_store_free_fn free_fn, const void *bytes, size_t len, void **out);
/* Before a checkpoint (every worker parked): the stores and tables other
 * ranks sent home join the first partial of their reduction. */
int rill__fold_extras(rill__worker *w);
void *rill__store_new(const rill__stage *s, size_t size, rill_store_init_fn init,
                      int *rc);
void rill__store_free(const rill__stage *s, rill_store_free_fn fn, void *store);

#endif
