/* rill/sys/source.h — the table of functions behind a source of records.
 *
 * Not needed to build or run pipelines. A pipeline has one source that the
 * engine pulls (the work list of rill_work, or the generator of
 * rill_generator), and may declare more that read through splittable stages
 * it feeds (rill_read_lines, rill_read_records, rill_sequence). Every source
 * has a signature: its kind and a canonical hash of its configuration,
 * which stays the same from run to run and from machine to machine as long
 * as what the source reads and how does (the source cache keys on it,
 * incremental runs fingerprint with it).
 *
 * Threading. next is called by one worker at a time (the engine never calls
 * it twice at once), only while the queues have room, so a source needs no
 * lock of its own: under the scheduler's lock for sources that only cut
 * (RILL_SOURCE_CUTS), else with no lock held. describe and free
 * are called on the thread that owns the pipeline.
 * Ownership. self is the source's own, freed with free when the pipeline
 * is. pull->out is the engine's, lent for the call; a source that answers
 * with a batch of its own keeps it alive for the whole run. */
#ifndef RILL_SYS_SOURCE_H
#define RILL_SYS_SOURCE_H

#include "../pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rill_source_flags {
    RILL_SOURCE_BOUNDED = 1u << 0,    /* it ends by itself */
    RILL_SOURCE_SPLITTABLE = 1u << 1, /* read by a splittable stage, in ranges
                                         idle workers split */
    /* next only cuts a range of records it holds (never blocks, calls no
     * user code): the engine calls it under its scheduler's lock, so that
     * several workers, and other ranks asking for work, take pieces of it
     * in turn. Without this flag next runs with no lock held, one call at a
     * time. */
    RILL_SOURCE_CUTS = 1u << 2,
    /* next may answer 1 with an empty range when nothing came for a while
     * (a live source waits in slices, so that a run that is stopping is
     * noticed): such an answer is not a batch (max_batches does not count
     * it, nothing is routed). */
    RILL_SOURCE_WAITS = 1u << 3,
    /* next goes on from pull->position whatever it gave before: a resumed
     * run asks it from the checkpointed position at once, instead of asking
     * it again for every batch it gave before the checkpoint (which a
     * source that cannot give them again would fail). */
    RILL_SOURCE_SEEKS = 1u << 4
};

/* One call of next: where the source is, and what it gives. */
typedef struct rill_source_pull {
    int workers;          /* in: the run's workers, on every rank */
    size_t batch_records; /* in: most records a batch should hold */
    int64_t position;     /* in/out: how far the source has got (records of the
                             work list, batches of a generator); checkpoints
                             save it and a resumed run starts from it */
    rill_batch *out;      /* in: an empty batch the source may fill (NULL for a
                             source that cuts: it answers with its own) */
    const rill_batch *batch; /* out: out, or a batch of the source's own */
    size_t begin, end;    /* out: the records of batch that go to the roots */
    int last;             /* out: nothing comes after these */
    int leave_last;       /* in: answer 0 rather than with the last records (a
                             rank asking for work must not end the source) */
} rill_source_pull;

#define RILL_SOURCE_VERSION 1
typedef struct rill_source {
    unsigned version; /* RILL_SOURCE_VERSION */
    const char *name; /* the kind: "work", "generator", "lines"... */
    unsigned flags;   /* rill_source_flags */
    /* Optional (a source the engine pulls): the next records. Returns 1
     * with pull->batch [begin, end) (possibly empty), 0 when the source has
     * no more (pull->batch unset), or a negative error, which fails the run
     * (the message names the source's first stage). */
    int (*next)(void *self, rill_source_pull *pull);
    /* Adds the canonical bytes of the source's configuration to out: what
     * it reads and how, never an address or a time. p: the pipeline it
     * belongs to (a splittable source reads the names in its work list). */
    int (*describe)(const void *self, const rill_pipeline *p, rill_batch *out);
    /* Optional: releases self. */
    void (*free)(void *self);
    /* Optional (a source the engine pulls): called when a run ends - done,
     * failed or stopped early - after its workers have stopped, on the
     * thread that ran it: the source ends what it started for that run (a
     * child process is killed, connections are closed), so that the next
     * run of the pipeline starts afresh. */
    void (*end)(void *self);
} rill_source;

/* Makes src the source p pulls, instead of a work list or a generator
 * (refused at validation when p has one of those too); it needs next.
 * rill_source_declare adds a source a stage of p reads by itself (as the
 * line source's splittable stage does), for its signature only. src:
 * borrowed, must outlive p; self: owned by p once the call succeeds,
 * released by src->free (when the call fails it stays the caller's).
 * RILL_EINVAL for a table of another version or without describe (or
 * next); RILL_EPIPELINE for a second rill_source_set. */
RILL_EXTERN int rill_source_set(rill_pipeline *p, const rill_source *src, void *self);
RILL_EXTERN int rill_source_declare(rill_pipeline *p, const rill_source *src, void *self);

/* A source's identity: its kind and the XXH3-128 of its configuration. */
typedef struct rill_source_signature {
    const char *kind;    /* the table's name; static */
    unsigned flags;      /* rill_source_flags */
    uint64_t hash[2];    /* low, high */
} rill_source_signature;

/* How many sources p has (the pulled one first), and the signature of the
 * i-th. RILL_ENOTFOUND past the last. */
RILL_EXTERN int rill_pipeline_source_count(const rill_pipeline *p);
RILL_EXTERN int rill_pipeline_source_signature(const rill_pipeline *p, int i,
                                               rill_source_signature *out);

#ifdef __cplusplus
}
#endif
#endif
