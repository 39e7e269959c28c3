/* rill/sys/sink.h — the table behind where a run's output batches go.
 *
 * Not needed to build or run pipelines. rill's sinks: a callback
 * (rill_output), the directory writer (rill_output_dir, src/io/) and, for
 * rill_stream_open, the stream the caller pulls from (src/core/); one's own
 * is installed with rill_output_sink. A
 * pipeline has at most one; the result callback (rill_result) and the
 * results batch are not sinks but the result stage's own.
 *
 * Threading: write is called on worker threads, one call at a time (the
 * result stage is serial). begin, end, forget and free are called on the
 * thread that runs rill_execution, save and restore by the persistence layer at a
 * checkpoint (every worker parked) and at resume.
 * Ownership: self is the sink's own, freed by free when the pipeline is;
 * batch is borrowed for the call. */
#ifndef RILL_SYS_SINK_H
#define RILL_SYS_SINK_H

#include "../pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RILL_SINK_VERSION 1
typedef struct rill_sink {
    unsigned version; /* RILL_SINK_VERSION */
    const char *name; /* "callback", "directory"... */
    /* Optional: a run starts with nsinks stages whose output leaves it. */
    int (*begin)(void *self, int nsinks);
    /* Records [begin, end) of batch, which the stage named sink emitted. A
     * sink that keeps them past the call takes a reference on the batch
     * (rill's own sinks only) or copies them. Returns 0, RILL_EUSER when a
     * user's callback behind it failed (its message set), or the error code
     * of the sink's own failure (RILL_EIO, RILL_ENOMEM...). */
    int (*write)(void *self, const char *sink, const rill_batch *batch, size_t begin,
                 size_t end);
    /* Optional: the run ended: ok publishes what it wrote, else it is
     * dropped. */
    int (*end)(void *self, int ok);
    /* Optional: checkpoints: what the sink wrote so far, as records, and
     * back; forget drops that list without touching what was written (a
     * checkpointed run that fails keeps it for resume). */
    int (*save)(const void *self, rill_batch *out);
    int (*restore)(void *self, const rill_batch *in);
    void (*forget)(void *self);
    void (*free)(void *self);
} rill_sink;

/* Makes sink where p's output batches go (the one p had is freed with its
 * free). sink: borrowed, must outlive p; self: owned by p from now on,
 * released by sink->free. Like rill_output and rill_output_dir, which call
 * it, it closes the pipeline: no stage may be added after it. RILL_EINVAL
 * for a table of another version or without write. */
RILL_EXTERN int rill_output_sink(rill_pipeline *p, const rill_sink *sink, void *self);

#ifdef __cplusplus
}
#endif
#endif
