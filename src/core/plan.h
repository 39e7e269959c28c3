/* plan.h — a pipeline as the builder records it and as a run executes it.
 *
 * The inline builder appends stages to an array; validation resolves each
 * stage's scope (where its recursion goes, which reducer's scope a stage
 * opens, which frame end closes which frame) and appends the result stage
 * that every stream ends in. The run executes that array as a graph whose
 * edges are "to the next stage" and "back to the scope start". */
#ifndef RILL_CORE_PLAN_H
#define RILL_CORE_PLAN_H

#include <pthread.h>
#include <stdatomic.h>

#include "rill/graph.h"
#include "rill/sys/persistence.h"
#include "rill/sys/sink.h"
#include "rill/sys/source.h"
#include "rill/sys/stage.h"
#include "rill/tracker.h"

/* The kinds of rill's own stages (stage_*.c), one table each. */
extern const rill_stage_kind rill__kind_task, rill__kind_job, rill__kind_reduce,
    rill__kind_combine, rill__kind_frame, rill__kind_frame_end, rill__kind_result;

typedef struct rill_stage rill__stage;
struct rill_stage {
    const rill_stage_kind *ops; /* what the stage does: its kind's table */
    char *name;    /* owned */
    int serial;
    int line_blocks; /* jobs: rill_stage_options' */
    int gather;    /* closes a scope whose reductions are one per finished
                      reduction of the scope before, not one per record */
    void *payload; /* borrowed from the user */
    rill_task_fn task;
    rill_job_fn job;
    rill_frame_end_fn frame_end;
    rill_reduce_options reduce;
    rill_frame_options frame;
    rill_combine_options combine;
    rill_splittable_options split;
    /* Resolved by validation: */
    int recur;  /* reduce, combine: first stage of its scope; frame, frame
                   end: first stage after the frame */
    int next;   /* where emitted records go when the stage's reductions end
                   (frame: after its frame end) or what it emits goes (job) */
    int opens;  /* the reduce/combine whose scope starts here, or -1 */
    int partner; /* frame <-> frame end */
    size_t batch_size; /* most records per call; 0: as they come */
    int concurrency;   /* most calls at once; 0: unlimited */
    char **ctx;        /* owned: key, value, key, value... */
    int nctx;
    /* Resolved: where what the stage emits goes (every one gets it), how
     * many stages feed it, and its longest distance to the result stage. */
    int *succ;         /* owned; loop edges' targets last */
    int nsucc, npred, rank;
    int nloop;         /* of succ, the last nloop are rill_loop edges */
    void *owned;       /* owned: state of a built-in stage, freed with it */
    /* Optional, for a built-in stage whose state outlives calls (exec's
     * processes): frees owned (NULL: free()); and learns that a run starts
     * (starting 1, before any call) or has ended, however (0, once its
     * workers are joined: what a failed run left running is stopped). */
    void (*owned_free)(void *owned);
    void (*owned_run)(void *owned, int starting);
    int builtin;       /* rill's own: its errors keep their codes; 2: a helper
                           of the stage after it, which errors name instead */
};

typedef struct rill__declared { /* a source a splittable stage reads */
    const rill_source *ops;
    void *self; /* owned: freed by ops->free */
} rill__declared;

typedef struct rill__edge {
    char *from, *to; /* owned */
    int loop;        /* rill_loop's: may close a cycle */
} rill__edge;

struct rill_pipeline {
    rill__stage *stages; /* owned; n user stages, then the result stage */
    int n, cap;
    rill_batch *work;    /* owned */
    rill_result_fn result;
    void *result_payload;
    rill_finish_fn finish;
    void *finish_payload;
    struct rill__init { rill_init_fn fn; void *payload; } *inits; /* owned */
    int ninits;
    int terminal;        /* result or finish was added */
    int after_terminal;  /* first stage added after them, or -1 */
    int build_error;     /* first misuse of the builder, reported by validate */
    char *build_message; /* owned */
    rill__edge *edges;   /* owned; any edge makes the pipeline a graph */
    int nedges, cedges;
    rill_generator_fn generator;
    void *generator_payload;
    const rill_source *pulled;   /* rill_source_set's; NULL: the generator or
                                    the work list is pulled */
    void *pulled_self;           /* owned: freed by pulled->free */
    rill__declared *declared;    /* owned: sources splittable stages read */
    int ndeclared;
    const rill_sink *sink;       /* where output batches go; NULL: nowhere */
    void *sink_self;             /* owned: the sink's state, freed with it */
    const rill_persistence *persist; /* how checkpoints are kept; NULL: none */
    rill_progress_fn progress;
    void *progress_payload;
    unsigned progress_ms;
    rill_stage_stats *stats;     /* owned: the last run's, per stage */
    uint64_t records_sent;       /* the last run's records sent to other ranks */
    int nstats;
    pthread_mutex_t stats_mu;    /* stats, nstats and live: rill_pipeline_stats
                                    may be called from any thread during a run */
    struct rill_execution *live; /* the run going on (its per-worker figures
                                    are read live); NULL: none. Set when its
                                    figures exist, cleared when they are kept */
    char *ckpt_path;             /* owned; NULL: the default (when persist) */
    double ckpt_interval;
    int ckpt_resume, ckpt_replace, ckpt_at_once;
    /* Set by rill_sweep_run (src/io/sweep_run.c): a run without resume is
     * refused (RILL_EEXISTS) when the file holds an unfinished run of this
     * very pipeline, rather than starting over in it; ckpt_found_delivered
     * is then the results that run had delivered. */
    int ckpt_keep;
    int64_t ckpt_found_delivered;
    atomic_int ckpt_request;     /* rill_checkpoint_request */
    atomic_int src_stop;         /* rill_source_stop: the run going on reads
                                    no more input (cleared when a run starts) */
    atomic_llong ckpt_taken;     /* rill_checkpoint_count: checkpoints the
                                    latest run committed (and gave what they
                                    held) */
    atomic_int ckpt_restored;    /* rill_checkpoint_restored: the latest run
                                    continued from a checkpoint */
};

/* signature.c: the pipeline's shape, options and work list, hashed. */
uint64_t rill__pipeline_fingerprint(const rill_pipeline *p);

/* rill's pulled sources (source_*.c): the work list, a generator. */
extern const rill_source rill__source_work, rill__source_generator;
/* The source the engine pulls: rill_source_set's, else the generator, else
 * the work list; NULL: none. And what its functions are given. */
const rill_source *rill__pulled_source(const rill_pipeline *p);
void *rill__pulled_self(const rill_pipeline *p);
/* Declares a source one of p's splittable stages reads (self: owned by p
 * once this succeeds; still the caller's when it fails). */
int rill__pipeline_declare(rill_pipeline *p, const rill_source *ops, void *self);
void rill__pipeline_sources_free(rill_pipeline *p);

/* rill's own sinks (sink_*.c). */
extern const rill_sink rill__sink_callback, rill__sink_stream;

/* Records [begin, end) of batch as a batch of their own: batch itself when
 * that is all of it, else a copy (*part: caller frees unless it is batch). */
int rill__sink_range(const rill_batch *batch, size_t begin, size_t end, rill_batch **part);

/* The name of a stage's kind, for messages. */
static inline const char *rill__kind_name(const rill__stage *s)
{
    return s->ops ? s->ops->name : "stage";
}
static inline int rill__kind_is(const rill__stage *s, unsigned flag)
{
    return (s->ops->flags & flag) != 0;
}

/* Validates p and resolves its stages' scopes, successors and ranks, and
 * the result stage at stages[n]. */
int rill__plan_resolve(rill_pipeline *p);
/* graph.c: the successors of a graph's stages from its edges, refusing
 * unknown names, cycles and unconnected tasks. */
int rill__graph_resolve(rill_pipeline *p);
/* Ranks every stage by its longest distance to the result stage. */
int rill__plan_rank(rill_pipeline *p);
int rill__stage_find(const rill_pipeline *p, const char *name);
/* pipeline.c: appends a stage; *out valid until the next append. */
int rill__add_stage(rill_pipeline *p, const rill_stage_kind *ops, const char *name,
                    rill__stage **out);
void rill__stage_clear(rill__stage *s);
/* RILL_EPIPELINE with "KIND 'NAME' (stage N): what". */
int rill__refuse(const rill_pipeline *p, int i, const char *what);
/* What errors call stage i (p->n: the result stage) into out: "KIND 'NAME'
 * (stage N)" counting only the stages the user added, never a helper's. */
void rill__stage_label(const rill_pipeline *p, int i, char *out, size_t cap);
/* A refused builder call: sets the message, remembers the first one for
 * validation and rill_run to report again, and returns code. */
int rill__misuse(rill_pipeline *p, int code, const char *fmt, ...) RILL_PRINTF(3, 4);
/* For a call registering one callback of the whole pipeline: RILL_EINVAL
 * for a NULL p, rill__misuse for a NULL callback (!has_fn) or one that may
 * be given once and already was (taken). */
int rill__hook_check(rill_pipeline *p, const char *call, int has_fn, int taken,
                     const char *what);
/* Calls the init callbacks in order; *work: what they added (NULL when
 * there are none). Returns the first non-zero return of one. */
int rill__plan_init(rill_pipeline *p, rill_batch **work);
/* rill__misuse for a NULL or taken stage name, or options of another
 * version (init names the INIT macro); 0 when name and options are fine. */
int rill__check_stage(rill_pipeline *p, const char *call, const char *name,
                      const unsigned *version, unsigned want, const char *init);

#endif
