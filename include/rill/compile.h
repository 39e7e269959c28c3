/* rill/compile.h — incremental compiles of catalogs (issue 13): an output
 * catalog computed from input catalogs (rill/catalog.h) by your functions,
 * in one of four patterns, re-run on only what changed, with output
 * identical to a full run.
 *
 *     rill_compile *c;
 *     rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
 *     o.pattern = RILL_COMPILE_MAP_GROUP;
 *     o.map = words_of;          a document -> (word, document name) pairs
 *     o.group = postings;        a word and its pairs -> its postings
 *     rill_compile_new(&c, postings_catalog, &o, NULL);
 *     rill_compile_input(c, docs_catalog, NULL);      changes since the last run
 *     rill_compile_run(&report, c);                   report.reason says why
 *
 * Patterns (the reference's, dpl-incremental-compilation):
 *   RILL_COMPILE_DIRECT      each input partition names the output keys it
 *                            goes to (keys: 1:N, and M:N when several name
 *                            one); an output is compiled (compile) from the
 *                            input partitions that name it, in canonical
 *                            order (input, then key).
 *   RILL_COMPILE_MAP_GROUP   a front end (map) turns each input partition
 *                            into (output key, value) pairs by its content;
 *                            a back end (group) compiles each output key
 *                            from its values in canonical order (input,
 *                            input key, then emission order). The pairs
 *                            are stored, so that only the outputs whose
 *                            values changed are compiled again.
 *   RILL_COMPILE_REFERENCES  keys as for direct names the outputs; compile
 *                            (ref) reads any input partition it needs
 *                            through rill_compile_read, and each read
 *                            (also of a key that is not there) is recorded
 *                            as a dependency: an output is compiled again
 *                            when a partition it read changed.
 *   RILL_COMPILE_FULL        non-incremental: full writes every output
 *                            partition from the inputs (rill_compile_read,
 *                            rill_compile_list), on every run.
 * An output function gives its output with rill_compile_set (at most once;
 * not calling it: the output key holds nothing, and is deleted when it did).
 *
 * Jobs. Each input says what to compile (the reference's job description):
 * RILL_JOB_DERIVED (the default) the changes from the version the last
 * commit compiled to the latest; RILL_JOB_CHANGES since..to; NO_CHANGES at a
 * version; REPROCESS at a version.
 *
 * The decision, in the reference's order, its reason in one line in the
 * report (and rill_compile_why): any input to REPROCESS -> full; the output
 * never committed by a compile (or emptied) -> full; an input's recorded
 * version not the start of its changes (or another set of inputs, or that
 * version pruned by rill_catalog_gc: its changes are not known) -> full,
 * the target versions still compiled; any fingerprint changed (rill's
 * version, the code holding the callbacks, the configuration: the pattern
 * and the options' fingerprints, custom hashes, broadcast inputs: see
 * rill/fingerprint.h), naming which and from what to what -> full;
 * otherwise incremental.
 *
 * A run commits the output's new version together with its dependencies,
 * the front end's pairs, the input versions compiled and the fingerprints,
 * in one transaction of the output catalog's file: a kill at any moment
 * leaves the previous commit as it was, and the next run correct. An
 * incremental run deletes the outputs that lost all their inputs.
 *
 * Proof. rill_compile_verify compiles in full into a scratch file and
 * compares every output's content hash with the output catalog's, naming
 * each key that differs. With self_check, an incremental run also compiles
 * a sample of the outputs it would skip (a fraction, at least one) and
 * fails, naming the key, when one differs from what the catalog holds:
 * what catches a dependency that was not recorded or external content that
 * was not hashed.
 *
 * Threads. Output functions (and map) run on the run's workers, several at
 * once: they must only read their arguments and inputs through
 * rill_compile_read. Everything else runs on the calling thread. Under
 * mpirun, output functions run on every rank (rill_compile_new). */
#ifndef RILL_COMPILE_H
#define RILL_COMPILE_H

#include "catalog.h"
#include "fingerprint.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rill_compile rill_compile;
typedef struct rill_compile_out rill_compile_out; /* where an output function writes */

typedef enum rill_compile_pattern {
    RILL_COMPILE_DIRECT = 1,
    RILL_COMPILE_MAP_GROUP = 2,
    RILL_COMPILE_REFERENCES = 3,
    RILL_COMPILE_FULL = 4
} rill_compile_pattern;

/* One input partition, or one value of a map-group output: borrowed during
 * the call. */
typedef struct rill_compile_part {
    int input;          /* which input: the order of rill_compile_input, from 0 */
    const void *key;    /* the input key */
    size_t key_len;
    const void *data;   /* its data (map-group back end: the value) */
    size_t len;
} rill_compile_part;

/* Direct and references: the output keys of input partition (input, key),
 * each given with rill_compile_key (none: it feeds no output). Called on
 * the key alone, as often as rill likes: a function of (input, key). */
typedef int (*rill_compile_keys_fn)(rill_compile_out *out, int input, const void *key,
                                    size_t key_len, void *payload);
/* Direct: output key's content from the n input partitions that name it. */
typedef int (*rill_compile_direct_fn)(rill_compile_out *out, const void *key, size_t key_len,
                                      const rill_compile_part *in, size_t n, void *payload);
/* Map-group front end: the (output key, value) pairs of one input
 * partition, each given with rill_compile_pair. */
typedef int (*rill_compile_map_fn)(rill_compile_out *out, const rill_compile_part *in,
                                   void *payload);
/* Map-group back end: output key's content from its n values. */
typedef int (*rill_compile_group_fn)(rill_compile_out *out, const void *key, size_t key_len,
                                     const rill_compile_part *values, size_t n, void *payload);
/* References: output key's content, reading inputs with rill_compile_read. */
typedef int (*rill_compile_ref_fn)(rill_compile_out *out, const void *key, size_t key_len,
                                   void *payload);
/* Full: every output partition, each given with rill_compile_put. */
typedef int (*rill_compile_full_fn)(rill_compile_out *out, void *payload);

/* Version 1. */
#define RILL_COMPILE_OPTIONS_VERSION 1
typedef struct rill_compile_options {
    unsigned version;
    int pattern;                    /* rill_compile_pattern (required) */
    rill_compile_keys_fn keys;      /* direct, references */
    rill_compile_direct_fn direct;  /* direct */
    rill_compile_map_fn map;        /* map-group */
    rill_compile_group_fn group;    /* map-group */
    rill_compile_ref_fn ref;        /* references */
    rill_compile_full_fn full;      /* full */
    /* the run's workers (0: one per core) */
    int workers;
    /* fraction (0..1) of the outputs an incremental run skips that it also
     * compiles and compares (at least one when any is skipped); 0: none */
    double self_check;
    /* borrowed, read by rill_compile_run: the configuration, code, custom
     * hashes and broadcast inputs to compare with the last commit's (NULL:
     * rill's version and the code holding the callbacks only, which rill
     * always adds) */
    const rill_fingerprints *fingerprints;
    /* the log message of the output versions it commits (copied; NULL: the
     * decision's reason) */
    const char *message;
} rill_compile_options;
#define RILL_COMPILE_OPTIONS_INIT \
    {RILL_COMPILE_OPTIONS_VERSION, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL}

typedef enum rill_job_kind {
    RILL_JOB_DERIVED = 0,    /* from the last commit's version to the latest */
    RILL_JOB_CHANGES = 1,    /* Changes(since, to) */
    RILL_JOB_NO_CHANGES = 2, /* NoChanges(to) */
    RILL_JOB_REPROCESS = 3   /* Reprocess(to) */
} rill_job_kind;

typedef struct rill_compile_job {
    int kind;       /* rill_job_kind */
    int64_t since;  /* RILL_JOB_CHANGES: the version the changes start from */
    int64_t to;     /* the version to compile; RILL_CATALOG_LATEST: the latest */
} rill_compile_job;
#define RILL_COMPILE_JOB_INIT {RILL_JOB_DERIVED, 0, RILL_CATALOG_LATEST}

/* *out: a compile writing the catalog output (borrowed: it must outlive the
 * compile, and its handle is used by the compile's calls only). opts:
 * copied. payload: given to every callback. RILL_EINVAL for a pattern
 * without its functions.
 *
 * Under MPI (mpirun -np N) every rank makes the same compile, with its own
 * handles of the same input catalogs (a file every rank can read), and
 * calls rill_compile_run: rank 0 decides, reads the changes, commits and
 * reports; the others run output functions on their workers. On ranks
 * other than 0 output may be NULL (they never write it: opening it there
 * with create could meet rank 0's transaction), and rill_compile_run
 * returns 0 with an empty report. rill_compile_verify runs in one process. */
RILL_EXTERN int rill_compile_new(rill_compile **out, rill_catalog *output,
                                 const rill_compile_options *opts, void *payload);
RILL_EXTERN void rill_compile_free(rill_compile *c);
/* Adds an input (borrowed, as output; another catalog, which may be in the
 * same file or another) with its job (copied; NULL: RILL_JOB_DERIVED). The
 * order of the calls is the inputs' numbers, and part of what a commit
 * records. */
RILL_EXTERN int rill_compile_input(rill_compile *c, rill_catalog *input,
                                   const rill_compile_job *job);

/* What a run did. */
typedef struct rill_compile_report {
    int incremental;      /* 1: only what changed was compiled */
    char reason[512];     /* the decision, one line */
    int64_t version;      /* the output version committed */
    uint64_t inputs_changed; /* input partitions added, changed or removed */
    uint64_t compiled;    /* output keys compiled */
    uint64_t written;     /* output partitions added or changed */
    uint64_t deleted;     /* output partitions deleted */
    uint64_t checked;     /* skipped outputs compiled again by self_check */
    /* where the run's time went, in milliseconds: the decision (reading
     * the last commit and the fingerprints), compiling (the inputs' changes,
     * the affected keys, the compile functions, the puts), and the commit
     * (one synced SQLite transaction) */
    double decide_ms, compile_ms, commit_ms;
} rill_compile_report;

/* Decides, compiles and commits (above). *report (may be NULL): what it
 * did. A callback's failure is RILL_EUSER naming it and the key; a
 * self-check that differs is RILL_ECORRUPT naming the key; nothing is
 * committed then. */
RILL_EXTERN int rill_compile_run(rill_compile_report *report, rill_compile *c);
/* Writes into why (at most cap bytes, NUL-terminated) the last commit's
 * decision and what a run would decide now, without running. */
RILL_EXTERN int rill_compile_why(char *why, size_t cap, rill_compile *c);

/* The last compile's commit of an output catalog, read without the
 * compile that made it (its functions and options): what `rill catalog
 * why OUTPUT` shows. */
typedef struct rill_compile_commit {
    int64_t version;      /* the output version it committed; 0: none yet */
    int64_t time_ms;      /* when, in ms since 1970 (UTC) */
    int pattern;          /* rill_compile_pattern */
    int incremental;      /* 1: it compiled only what changed */
    char reason[512];     /* its decision, one line */
    int inputs;           /* how many inputs it compiled */
    /* what it was compiled with (rill_fingerprints_describe shows them);
     * owned by the caller (rill_fingerprints_free); NULL when none */
    rill_fingerprints *fingerprints;
} rill_compile_commit;

/* One input of that commit: its number, the catalog's file and name, and
 * the version compiled (all borrowed during the call). Non-zero stops. */
typedef int (*rill_compile_input_fn)(int input, const char *path, const char *name,
                                     int64_t version, void *payload);

/* Reads the last compile's commit of output into *out, and calls fn (may
 * be NULL) for each of its inputs in order. out->version is 0 when no
 * compile has committed into output. RILL_ECORRUPT when its rows are
 * damaged; RILL_EUSER when fn stopped it. */
RILL_EXTERN int rill_compile_last(rill_compile_commit *out, rill_catalog *output,
                                  rill_compile_input_fn fn, void *payload);

/* One output key whose content differs from a full compile's. */
typedef int (*rill_compile_diff_fn)(const void *key, size_t key_len, const char *what,
                                    void *payload);
/* Compiles in full (the inputs at the versions the last commit compiled)
 * into a scratch file beside the output's, compares every output key's
 * content hash with the output catalog's latest version, and calls fn for
 * each key that differs (what: "missing", "unexpected" or "differs"). *n:
 * how many differ (0: proven identical). */
RILL_EXTERN int rill_compile_verify(uint64_t *n, rill_compile *c, rill_compile_diff_fn fn,
                                    void *payload);

/* ---- what output functions call ---- */

/* keys: one output key of the partition. */
RILL_EXTERN int rill_compile_key(rill_compile_out *out, const void *key, size_t key_len);
/* map: one (output key, value) pair; data copied. */
RILL_EXTERN int rill_compile_pair(rill_compile_out *out, const void *key, size_t key_len,
                                  const void *value, size_t len);
/* direct, group, ref: the output's content (copied); at most once. */
RILL_EXTERN int rill_compile_set(rill_compile_out *out, const void *data, size_t len);
/* full: one output partition (copied). */
RILL_EXTERN int rill_compile_put(rill_compile_out *out, const void *key, size_t key_len,
                                 const void *data, size_t len);
/* ref, full: *data, *len: input key's data at the version compiled
 * (borrowed until the function returns); RILL_ENOTFOUND when the input does
 * not hold it (recorded too: when it appears, the output is compiled
 * again). */
RILL_EXTERN int rill_compile_read(const void **data, size_t *len, rill_compile_out *out,
                                  int input, const void *key, size_t key_len);
/* Any function: *data, *len: the broadcast input name of the options'
 * fingerprints (rill_fingerprints_add_broadcast: read-only side data every
 * worker reads; borrowed). RILL_ENOTFOUND when there is none of that name.
 * A broadcast joins the fingerprints by itself, unless it was added as
 * left out, by name. */
RILL_EXTERN int rill_compile_broadcast(const void **data, size_t *len, rill_compile_out *out,
                                       const char *name);
/* full: calls fn for every partition of input at the version compiled. */
RILL_EXTERN int rill_compile_list(rill_compile_out *out, int input, rill_catalog_entry_fn fn,
                                  void *payload);

#ifdef __cplusplus
}
#endif
#endif
