/* rill/graph.h — the graph API (streaming executor style): named tasks with
 * explicit edges, any number of inputs and outputs, a generator source, and
 * per-task batch size, concurrency and context.
 *
 *     rill_task(p, "parse", NULL, parse, NULL);
 *     rill_task(p, "score", &opts, score, model);
 *     rill_task(p, "index", NULL, index, NULL);
 *     rill_edge(p, "parse", "score");     a task's output goes to every
 *     rill_edge(p, "parse", "index");     successor: each gets every batch
 *     rill_generator(p, next_batch, &state);
 *
 * Tasks without predecessors are the graph's inputs: each of them receives
 * every batch the source gives (the generator's, or the work list cut into
 * batches). Tasks without successors are its outputs (sinks); what they emit
 * leaves the run, tagged with the sink's name. A pipeline with edges is a
 * graph: its tasks and jobs are connected by those edges only. Reducers and
 * frames belong to the inline API, whose stages are connected in the order
 * they were added.
 *
 * Scheduling. Each task is ranked by its longest distance to a sink; a free
 * worker takes the ready task nearest a sink (the least-run first among
 * equals), so outputs leave before new input is pulled in. The source is
 * pulled only while the queues between tasks have room. */
#ifndef RILL_GRAPH_H
#define RILL_GRAPH_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A task: called with up to batch_size records at a time (in: borrowed for
 * the call); what it emits goes to every successor. */
typedef int (*rill_task_fn)(rill_emitter *out, const rill_record *in, size_t n,
                            void *payload);

#define RILL_TASK_OPTIONS_VERSION 2
typedef struct rill_task_options {
    unsigned version;
    size_t batch_size; /* most records per call; larger batches are split into
                          parts whose sizes differ by at most one, smaller
                          ones merged up to it (the rest flushed when the
                          task's inputs are exhausted). 0: as they come */
    int concurrency;   /* most calls at once; 0: no limit */
    int serial;        /* the same as concurrency 1 */
} rill_task_options;
#define RILL_TASK_OPTIONS_INIT {RILL_TASK_OPTIONS_VERSION, 0, 0, 0}

/* name: copied, unique; opts NULL: defaults; payload: borrowed, passed to fn.
 * Refused as the registering calls of pipeline.h are. */
RILL_EXTERN int rill_task(rill_pipeline *p, const char *name,
                          const rill_task_options *opts, rill_task_fn fn, void *payload);
/* An edge between two stages by name (tasks or jobs); names are resolved
 * when the pipeline is validated. */
RILL_EXTERN int rill_edge(rill_pipeline *p, const char *from, const char *to);

/* An edge that closes a loop: as rill_edge, but the cycle it makes is
 * allowed (a cycle of rill_edge edges alone is refused). Records go round
 * the loop until a stage on it sends them elsewhere: a stage with several
 * successors picks one by name with rill_emitter_to, so that
 *
 *     rill_edge(p, "check", "add_one");       check: keep going -> add_one,
 *     rill_loop(p, "add_one", "check");              done -> output
 *     rill_edge(p, "check", "output");
 *
 * runs "keep going -> add one -> check; done -> output" (examples/loop.c).
 * A loop edge does not make its target a stage the source skips (it still
 * receives source batches when no rill_edge edge leads to it), and does not
 * count in the stages' ranks (the scheduler still serves stages nearest the
 * outputs first). A graph with a loop edge does not track when its stages'
 * inputs end: a batch_size then cuts larger batches but does not hold
 * smaller ones back to fill a call. The run ends when nothing is left in
 * flight, as any run does; a loop that never sends its records out never
 * ends. Works under MPI as any graph does. */
RILL_EXTERN int rill_loop(rill_pipeline *p, const char *from, const char *to);

/* *to: an emitter that sends only to the successor of the emitting stage
 * called successor (job_stream's emit to a specific target), where out
 * sends to every successor. Borrowed: valid during the callback, flushed
 * with out (records emitted through either keep their order within each).
 * Works in graphs (tasks, jobs) and in inline pipelines, where a job's one
 * successor is the stage after it (loops there are frames, pipeline.h).
 * RILL_ENOTFOUND when the stage has no successor of that name: the message
 * names the stage and lists its successors ("no successor of 'check' is
 * named 'ouput' (its successors: 'add_one', 'output')"). Return the code
 * from the callback: the run stops, rill_run returns RILL_EUSER (a callback
 * failed), and its message names the stage and the record, then this one.
 * RILL_EINVAL for a NULL argument, or an emitter that does not go to
 * successors (those reducers' and frames' callbacks are given, which go to
 * one place: back into the scope, or to the stage after the scope). */
RILL_EXTERN int rill_emitter_to(rill_emitter **to, rill_emitter *out, const char *successor);

/* Sets one field of a stage by name, as text: "batch_size", "concurrency",
 * "serial" (true/false/1/0) or "context.KEY". RILL_ENOTFOUND names an unknown
 * stage or field, RILL_EINVAL a value that does not parse. */
RILL_EXTERN int rill_configure(rill_pipeline *p, const char *stage,
                               const char *field, const char *value);
/* Applies a YAML configuration, in the coordinate form
 *     parse.batch_size: 500
 *     score.context.model: small
 * or the nested form
 *     parse: {batch_size: 500}
 *     score: {concurrency: 2, context: {model: small}}
 * (both may be mixed). Nothing is applied when any entry is refused. */
RILL_EXTERN int rill_configure_yaml(rill_pipeline *p, const char *yaml, size_t len);
RILL_EXTERN int rill_configure_yaml_file(rill_pipeline *p, const char *path);

/* The value of a context key of the stage the emitter belongs to, or NULL.
 * Borrowed from the pipeline: valid while it lives, unchanged during a run. */
RILL_EXTERN const char *rill_context(const rill_emitter *out, const char *key);

/* A source: fills out (given empty) with the next source batch and returns 1,
 * returns 0 when there is nothing more (an endless generator never does), or
 * non-zero negative to fail the run. Called by one worker at a time. */
typedef int (*rill_generator_fn)(rill_batch *out, void *payload);
RILL_EXTERN int rill_generator(rill_pipeline *p, rill_generator_fn fn, void *payload);

/* Called with each batch a sink emits, one call at a time (batch borrowed). */
typedef int (*rill_output_fn)(const char *sink, const rill_batch *batch, void *payload);
RILL_EXTERN int rill_output(rill_pipeline *p, rill_output_fn fn, void *payload);

#ifdef __cplusplus
}
#endif
#endif
