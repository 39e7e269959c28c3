/* rill/sys/stage.h — the table of functions behind a kind of stage.
 *
 * Not needed to build or run pipelines: this is for those who add a kind of
 * stage to the engine (as libgit2's git2/sys/ headers are for those who
 * implement its backends). Each of rill's own kinds (job, task, reduce,
 * combine, frame, frame end, splittable, result) is one such table in a file
 * of its own; the engine never switches on a stage's kind, it calls the
 * table, and only once per task (a range of records of one batch), never
 * once per record.
 *
 * Words used here. A span (a task, inside rill) is a range of records of
 * one batch waiting at one stage under one reduction (the scope it belongs
 * to: a reducer's or frame's, or the run's root). A stage's state lives in reductions: one
 * store per reduction (frames, reducers without merge), or partial states,
 * one per worker (reducers with merge, combines), merged when the reduction
 * is done. The engine's own types are opaque here.
 *
 * Threading. process runs on worker threads, several tasks of a stage at
 * once unless its kind says its tasks share the reduction's store (then
 * they are run one at a time, under the reduction's lock) or the stage is
 * serial; close runs once, on one worker, after the stage's last process.
 * finish runs on the worker that released the reduction's last
 * pending unit, with no lock held: every write to the partial states
 * happened before it (acquire-release). state_free, encode and decode run on
 * any thread, never concurrently with process for the same state.
 *
 * Ownership. Tasks, reductions and records are borrowed for the call.
 * States made by the kind are owned by their reduction and freed with the
 * kind's state_free. */
#ifndef RILL_SYS_STAGE_H
#define RILL_SYS_STAGE_H

#include "../pipeline.h"
#include "../tracker.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rill_worker rill_worker;       /* the worker running a call */
typedef struct rill_span rill_span;           /* records at a stage */
typedef struct rill_reduction rill_reduction; /* a scope's state and count */
typedef struct rill_stage rill_stage;         /* one stage of a pipeline */
typedef struct rill_execution rill_execution; /* one run of a pipeline */

/* What a kind is, for validation, routing and distribution. */
enum rill_stage_kind_flags {
    /* Keeps no state between tasks: a pipeline made only of such stages
     * knows when each stage has had its last input (closing). */
    RILL_KIND_STREAMING = 1u << 0,
    /* Takes records in calls of at most its batch_size: larger ranges are
     * cut, smaller ones held back until the size is reached or it closes. */
    RILL_KIND_BATCHED = 1u << 1,
    /* Closes a scope (reduce, combine): its scope starts at the stage after
     * the previous scope closer of its level; the scope's first stage opens
     * one reduction of it per record entering. */
    RILL_KIND_SCOPE = 1u << 2,
    /* Opens a frame, which the next unmatched frame end closes. */
    RILL_KIND_FRAME = 1u << 3,
    RILL_KIND_FRAME_END = 1u << 4,
    /* May be a node of an explicit graph (rill_edge). */
    RILL_KIND_GRAPH = 1u << 5,
    /* Keyed records emitted by its only predecessor may be folded into its
     * partial state as they are emitted, never becoming a batch. */
    RILL_KIND_FOLDS = 1u << 6,
    /* Its tasks may run on any rank: idle ranks take them over (and the
     * reductions they belong to are stood for there by proxies). Without
     * it a stage's tasks run on the rank that opened their reduction (for
     * the work list, rank 0): the safe choice for a kind with state of its
     * own on one rank (a file, a process). */
    RILL_KIND_ANYWHERE = 1u << 7,
    /* A combine just before it may send it the keys other ranks own (by
     * their hash) instead of handing it the whole table on one rank. */
    RILL_KIND_SHUFFLED = 1u << 8,
    /* Its close may also come at a checkpoint, before its input ends, and
     * it starts afresh with the next span (what close sent on is saved with
     * the checkpoint): a kind whose held records are a process's input,
     * whose output would be the same had the process been restarted. A
     * kind with close without it cannot be checkpointed. */
    RILL_KIND_RESTARTS = 1u << 9
};

#define RILL_STAGE_KIND_VERSION 1
typedef struct rill_stage_kind {
    unsigned version; /* RILL_STAGE_KIND_VERSION */
    const char *name; /* in messages: "job", "reduce"... */
    unsigned flags;   /* rill_stage_kind_flags */

    /* Required: processes task t (locked: the reduction's lock is held and
     * must be let go before returning; only for kinds whose shared_store
     * says so). Returns 0 or what rill's failure path returned. */
    int (*process)(rill_worker *w, rill_span *t, int locked);
    /* Optional, STREAMING kinds: called when the stage's input has ended,
     * with an empty span whose emitter goes to its successors as process's
     * does (rill_span_call works): to send on what it held back, or to end
     * something it started. In a pipeline of STREAMING stages on one rank,
     * once, when every stage feeding it has closed and its last span is
     * done, under the run's root reduction. In any other run, once per
     * reduction the stage's spans came under, when nothing of it is left
     * but what such stages hold (the most upstream first), with the span
     * under that reduction: keep what is held per reduction. A checkpointed
     * pipeline with such a stage is refused unless its kind is
     * RILL_KIND_RESTARTS (and then over several ranks too), and over several
     * ranks one whose kind is also ANYWHERE. */
    int (*close)(rill_worker *w, rill_span *t);
    /* Optional: tasks that only prepare work (a splittable stage's elements,
     * phase 0) go here instead, counted as no call of the stage. */
    int (*expand)(rill_worker *w, rill_span *t);
    /* Optional: whether the stage's tasks share one store per reduction: then
     * they run under its lock, one at a time, and only on the rank that
     * opened the reduction. NULL: never. */
    int (*shared_store)(const rill_stage *s);
    /* Optional: whether its reductions keep a partial state per worker
     * (merged when done). NULL: never. */
    int (*per_worker)(const rill_stage *s);
    /* Optional: releases a store or partial state of this kind. */
    void (*state_free)(const rill_stage *s, void *state);
    /* Optional: the reduction's last pending unit was released (scope
     * closers and frames): merge, emit onward, or run again. */
    int (*finish)(rill_worker *w, rill_reduction *r);
    /* Optional: merges r's partial states (the workers' and those other
     * ranks sent) into one: the first partial when into_partial, else the
     * reduction's store. */
    int (*merge)(rill_worker *w, rill_reduction *r, int into_partial);
    /* Optional: a store or partial state as bytes (*bytes: the caller
     * frees them), and back (*state: the caller's, freed with state_free).
     * The one place a kind's state is serialised, for checkpoints and for
     * moving it between ranks (rill's kinds use its serialisation module).
     * Bytes that do not decode are RILL_ECORRUPT, never read past. */
    int (*encode)(const rill_stage *s, const void *state, void **bytes, size_t *len);
    int (*decode)(const rill_stage *s, const void *bytes, size_t len, void **state);
    /* Optional: whether this stage's state can be saved (a store holding
     * pointers without encode and decode cannot); NULL: it can. A
     * checkpointed pipeline with a stage that cannot is refused by name. */
    int (*savable)(const rill_stage *s);

    /* Optional, for kinds that split running work (splittable). The engine
     * calls the hooks of the first such stage of the pipeline, which look
     * after every such stage's running work.
     * rebalance: an idle worker w splits the largest remainder of running
     *   work and runs the residual; 1 when it did, 0 when nothing was worth
     *   it.
     * park: a checkpoint is coming: running work on this worker's rank
     *   gives what it has not claimed back to the queues (proxied: only work
     *   that came from another rank, whose rest then goes home).
     * progress: adds what this rank's running and queued work has done and
     *   has left to pr. */
    int (*rebalance)(rill_worker *w);
    void (*park)(rill_worker *w, int proxied);
    void (*progress)(rill_execution *run, rill_progress *pr);
} rill_stage_kind;

/* Appends a stage of a kind of one's own to p (in the inline order, or as a
 * node of a graph when the kind has RILL_KIND_GRAPH). kind: borrowed, must
 * outlive p; name: copied; payload: borrowed, given back by
 * rill_stage_payload. A kind from outside rill gives process and may be
 * STREAMING, BATCHED, GRAPH, ANYWHERE, SHUFFLED and RESTARTS; the rest of the table
 * (scopes, frames, folding, state in reductions, splitting running work)
 * needs the engine's inside and is refused with RILL_EINVAL, as is a table
 * of another version; a NULL or taken name, or no process, is
 * RILL_EPIPELINE, as for every registering call. */
RILL_EXTERN int rill_stage_add(rill_pipeline *p, const char *name,
                               const rill_stage_kind *kind, void *payload);

/* What a kind's process may ask of its span and stage. */
RILL_EXTERN size_t rill_span_count(const rill_span *t);
/* The i-th record of t (0 <= i < count); borrowed for the call. */
RILL_EXTERN void rill_span_get(const rill_span *t, size_t i, rill_record *out);
RILL_EXTERN const rill_stage *rill_span_stage(const rill_worker *w, const rill_span *t);
/* The reduction t's records are under: an identity only (never freed or
 * read), the same for every span of it until it finishes, for a kind with
 * close that holds records per reduction (close gets a span of each). */
RILL_EXTERN const rill_reduction *rill_span_reduction(const rill_span *t);
RILL_EXTERN const char *rill_stage_name(const rill_stage *s);
RILL_EXTERN void *rill_stage_payload(const rill_stage *s);

/* Calls fn once with every record of t and an emitter to the stage's
 * successors, flushes what it emits, and reports a failure as the run's
 * (naming the stage and the records; fn may rill_error_set first). Returns
 * what process returns. This is all the task kind does. */
typedef int (*rill_span_fn)(rill_emitter *out, const rill_record *in, size_t n,
                            void *payload);
RILL_EXTERN int rill_span_call(rill_worker *w, rill_span *t, rill_span_fn fn,
                               void *payload);

#ifdef __cplusplus
}
#endif
#endif
