/* plan.h — a pipeline as the builder records it and as a run executes it.
 *
 * The inline builder appends stages to an array; validation resolves each
 * stage's scope (where its recursion goes, which reducer's scope a stage
 * opens, which frame end closes which frame) and appends the result stage
 * that every stream ends in. The run executes that array as a graph whose
 * edges are "to the next stage" and "back to the scope start". */
#ifndef RILL_CORE_PLAN_H
#define RILL_CORE_PLAN_H

#include <stdatomic.h>

#include "rill/graph.h"
#include "rill/tracker.h"

typedef enum rill__kind {
    RILL__TASK,
    RILL__JOB,
    RILL__REDUCE,
    RILL__COMBINE,
    RILL__FRAME,
    RILL__FRAME_END,
    RILL__SPLITTABLE,
    RILL__RESULT
} rill__kind;

typedef struct rill__stage {
    rill__kind kind;
    char *name;    /* owned */
    int serial;
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
    int *succ;         /* owned */
    int nsucc, npred, rank;
    void *owned;       /* owned: state of a built-in stage, freed with it */
    int builtin;       /* rill's own: its errors keep their codes; 2: a helper
                          of the stage after it, which errors name instead */
} rill__stage;

typedef struct rill__edge {
    char *from, *to; /* owned */
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
    rill_output_fn output;
    void *output_payload;
    struct rill__writer *writer; /* owned: rill_output_dir's */
    rill_progress_fn progress;
    void *progress_payload;
    unsigned progress_ms;
    rill_stage_stats *stats;     /* owned: the last run's, per stage */
    uint64_t records_sent;       /* the last run's records sent to other ranks */
    int nstats;
    char *ckpt_path;             /* owned; NULL: runs are not checkpointed */
    double ckpt_interval;
    int ckpt_resume;
    atomic_int ckpt_request;     /* rill_checkpoint_request */
};

const char *rill__kind_name(rill__kind kind);

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
int rill__add_stage(rill_pipeline *p, rill__kind kind, const char *name,
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
