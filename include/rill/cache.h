/* rill/cache.h — the source cache: the events of a pipeline's unbounded
 * source recorded by a background job, replayed exactly by every later run
 * until the source changes (Interactive Beam's background caching job).
 *
 * What is cached. A pipeline's cacheable sources are those without
 * RILL_SOURCE_BOUNDED (rill/sys/source.h): standard input, a command's
 * output, a followed file, a socket listener, an endless generator, a
 * plugin's source. Each is known by its signature (kind + XXH3-128 of its
 * configuration, rill_pipeline_source_signature), written as a key
 * "KIND-HEX32". The cache is kept per source, so only a changed or added
 * source is recorded again. Only the source the engine pulls can be
 * recorded (a splittable stage reads its own); the others count for
 * rill_cache_sources_changed only.
 *
 * Where. A folder (default ".rill/cache"): index.db, an SQLite file (each
 * cache's state, its segments with their XXH3-128 content hash, positions
 * -> segment and offset, processing-time marks, the signatures each named
 * pipeline was last seen with), and a folder per cache of zstd-compressed
 * segment files. A segment is written whole (temporary file, fsync,
 * rename) before the index names it, so a recorder killed at any moment
 * leaves a cache usable up to its last segment; one that died is found so
 * by the next call that looks (its process is gone) and the cache becomes
 * complete with the note "recorder died" (invalidated when it holds
 * nothing).
 *
 * The recorder (rill_cache_attempt_to_run) pulls the source on a thread of
 * this process, or in a detached child process (options.process; what the
 * rill command does, so that it outlives the run), and stops at a size
 * (default 1 GiB of event bytes), a duration (default 60 s), a number of
 * events, when the source ends, or when cancelled. A limit triggers exactly
 * at its threshold: the recording stops after the event that reaches it.
 *
 * Replay (rill_cache_replay) makes the pipeline pull the cache instead of
 * its source: the events in the order recorded, the same in every run. A
 * reader at the end of the data waits while the cache is still recording;
 * at the end of a complete one the run ends, or (live_after) the source goes
 * on live from where the recording stopped when it can resume there (a
 * followed file; a source whose position counts its records), without a gap
 * or a repeat. Each segment's hash is checked before its events are given:
 * a damaged or truncated segment fails the run (RILL_ECORRUPT naming the
 * file) and invalidates the cache, which is then recorded again; it is never
 * replayed wrong. A gap (a recording cut short by a dead recorder or a
 * cancel, a source that cannot resume where it stopped) goes to on_gap.
 *
 * Threads. A rill_cache handle is used by one thread at a time; recorder
 * threads have their own connections. Several processes may use the same
 * folder at once (SQLite's locking). */
#ifndef RILL_CACHE_H
#define RILL_CACHE_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rill_cache rill_cache;

/* A source's cache key: "KIND-" and 32 hex digits, NUL included. */
#define RILL_CACHE_KEY_MAX 96

typedef enum rill_cache_state {
    RILL_CACHE_NONE = 0,        /* nothing recorded */
    RILL_CACHE_RECORDING = 1,   /* a recorder is writing it */
    RILL_CACHE_COMPLETE = 2,    /* the recorder stopped (note: why) */
    RILL_CACHE_INVALIDATED = 3  /* its source changed, or its data is damaged */
} rill_cache_state;

#define RILL_CACHE_OPTIONS_VERSION 1
typedef struct rill_cache_options {
    unsigned version;      /* RILL_CACHE_OPTIONS_VERSION */
    int64_t max_bytes;     /* stop once the events' bytes, or the disk the recording
                              takes (segment files in 4 KiB blocks + the
                              index), reach this; 0: 1 GiB */
    int64_t max_ms;        /* stop this long after the start; 0: 60000; <0: none */
    int64_t max_events;    /* stop after this many events; 0: no bound */
    int64_t segment_bytes; /* a segment holds about this many event bytes;
                              0: 1 MiB */
    int flush_ms;          /* a segment is written at the latest this long after
                              its first event, so readers see it; 0: 200 */
    int process;           /* 1: record in a detached child process (fork) that
                              outlives this one; 0: on a thread. It forks:
                              call it before this process starts threads of
                              its own (the child has only the calling one,
                              and a lock another thread held stays held in
                              it). The child never uses this process's
                              SQLite connections (it opens its own after the
                              fork) */
    int64_t max_total_bytes; /* the folder's budget: before a recording starts,
                              the oldest complete or invalidated caches are
                              evicted until their disk bytes and this one's
                              max_bytes fit; 0: 4 GiB; <0: none */
} rill_cache_options;
#define RILL_CACHE_OPTIONS_INIT {RILL_CACHE_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0}

/* Called with a sentence about a gap in the replay; on the run's threads. */
typedef void (*rill_cache_gap_fn)(const char *message, void *payload);

#define RILL_REPLAY_OPTIONS_VERSION 1
typedef struct rill_replay_options {
    unsigned version;   /* RILL_REPLAY_OPTIONS_VERSION */
    int64_t max_events; /* the run reads at most this many events; 0: all */
    int64_t max_ms;     /* ... for at most this long from its first ask; 0: no bound */
    int timing;         /* 1: events come at the pace they were recorded */
    int live_after;     /* 1: at the end of a complete cache, go on live where the
                           source can resume (else the run ends there) */
    int verify;         /* 1: check every segment's hash before the run starts
                           (a damaged cache is then invalidated and recorded
                           again at once); segments are checked as read anyway */
    rill_cache_gap_fn on_gap; /* NULL: gaps are not reported */
    void *gap_payload;
} rill_replay_options;
#define RILL_REPLAY_OPTIONS_INIT {RILL_REPLAY_OPTIONS_VERSION, 0, 0, 0, 0, 0, NULL, NULL}

/* One cache, for rill_cache_list and rill_cache_info. Strings are borrowed,
 * valid during the callback (or until the next call on the handle). */
typedef struct rill_cache_info {
    const char *key;      /* "KIND-HEX32" */
    const char *kind;
    rill_cache_state state;
    int64_t events;       /* events recorded */
    int64_t bytes;        /* their bytes (data and keys) */
    int64_t disk_bytes;   /* the segments' compressed bytes */
    int64_t segments;
    int64_t duration_ms;  /* how long it recorded (recording: to its last event) */
    int pid;              /* the recorder's process while recording; else 0 */
    const char *note;     /* why it stopped or was invalidated; "" */
} rill_cache_info;
typedef int (*rill_cache_list_fn)(const rill_cache_info *info, void *payload);

/* Opens (creates) the cache folder dir (NULL: ".rill/cache"). *out: caller
 * frees with rill_cache_free, which cancels the recorder threads it started
 * and waits for them (detached processes go on). */
RILL_EXTERN int rill_cache_open(rill_cache **out, const char *dir);
RILL_EXTERN void rill_cache_free(rill_cache *c);

/* Whether p has a source the cache can record: 1 or 0. */
RILL_EXTERN int rill_cache_has_source_to_cache(const rill_pipeline *p);
/* The key of the source of p the cache records into out (cap bytes, at
 * least RILL_CACHE_KEY_MAX); RILL_ENOTFOUND when there is none. */
RILL_EXTERN int rill_cache_key(const rill_pipeline *p, char *out, size_t cap);

/* Whether a recording is needed for p: 1 when it has a source to cache, no
 * recorder is running for it, and no complete cache of it is valid (one
 * recorded to its end, not cancelled, not cut short by a dead recorder);
 * else 0. */
RILL_EXTERN int rill_cache_is_job_needed(rill_cache *c, const rill_pipeline *p);

/* Called for each source that changed: change is "added" (a new signature,
 * which is also what a mutated configuration gives) or "removed". */
typedef int (*rill_cache_change_fn)(const char *key, const char *change, void *payload);
/* Whether the cacheable sources of the pipeline known as name (any text: a
 * spec's path, a program's name) changed since this was last called for it:
 * 1 when one was added (or its configuration mutated; the first call for
 * a pipeline with a cacheable source, as for Beam a pipeline seen the first
 * time), 0 when not (the same sources again, or only some removed). Not
 * idempotent: the current signatures are remembered in place of the old
 * ones, and when a source was added, the caches of the signatures no longer
 * used are invalidated. fn (may be NULL) hears each difference. */
RILL_EXTERN int rill_cache_sources_changed(rill_cache *c, const char *name,
                                           const rill_pipeline *p, rill_cache_change_fn fn,
                                           void *payload);

/* Starts a recorder for p's source when rill_cache_is_job_needed says so:
 * 1 when started, 0 when not needed. The recorder takes the source out of
 * p (p's pulled source becomes a replay of the cache, as rill_cache_replay
 * with default options; call that to choose others). A stale cache of the
 * same key (invalidated, cancelled, damaged) is cleared first. opts NULL:
 * defaults. p must outlive a recorder thread (rill_cache_wait, or
 * rill_cache_free before freeing p). */
RILL_EXTERN int rill_cache_attempt_to_run(rill_cache *c, rill_pipeline *p,
                                          const rill_cache_options *opts);
/* Waits until the recorder of p's source stops (a thread of this handle,
 * or a process: its cache leaves the recording state). */
RILL_EXTERN int rill_cache_wait(rill_cache *c, const rill_pipeline *p);
/* Cancels the recorder of p's source (NOOP when none runs): it writes what
 * it holds and stops; the cache keeps the note "cancelled". 1 when one was
 * cancelled, 0 when none ran. */
RILL_EXTERN int rill_cache_cancel(rill_cache *c, const rill_pipeline *p);
/* Cancels, then clears the signatures tracked and the data of p's sources;
 * p NULL: of every cache in the folder. */
RILL_EXTERN int rill_cache_evict(rill_cache *c, const rill_pipeline *p);
/* The same by key (as rill_cache_list and rill_cache_key give it), for a
 * source that cannot be built now (a listener whose port its recorder
 * holds). */
RILL_EXTERN int rill_cache_cancel_key(rill_cache *c, const char *key);
RILL_EXTERN int rill_cache_evict_key(rill_cache *c, const char *key);
/* Each cache in the folder, in key order; a non-zero return stops it
 * (RILL_EUSER). */
RILL_EXTERN int rill_cache_list(rill_cache *c, rill_cache_list_fn fn, void *payload);
/* The cache of p's source into out (RILL_ENOTFOUND: none; out->state
 * RILL_CACHE_NONE then). Strings valid until the next call on c. */
RILL_EXTERN int rill_cache_info_get(rill_cache *c, const rill_pipeline *p,
                                    rill_cache_info *out);
/* Checks the hash of every segment of p's cache: 0, or RILL_ECORRUPT naming
 * the first file found damaged (the cache is invalidated). */
RILL_EXTERN int rill_cache_verify(rill_cache *c, const rill_pipeline *p);

/* Makes p pull the cache of its source instead of the source (which the
 * replay keeps, to go on live or for a recorder). RILL_ENOTFOUND when p has
 * no source to cache; the cache need not exist yet (a reader waits for the
 * recording a rill_cache_attempt_to_run starts). c must outlive p's runs. */
RILL_EXTERN int rill_cache_replay(rill_cache *c, rill_pipeline *p,
                                  const rill_replay_options *opts);

/* What rill_cache_open had to do that its caller should tell, or "": a
 * damaged index.db (not a database, or failing SQLite's quick_check) is
 * moved aside to index.db.damaged-TIME and a new, empty index started.
 * Borrowed: valid until rill_cache_free. */
RILL_EXTERN const char *rill_cache_notice(const rill_cache *c);

/* The state's name: "none", "recording", "complete", "invalidated". */
RILL_EXTERN const char *rill_cache_state_name(rill_cache_state s);

#ifdef __cplusplus
}
#endif
#endif
