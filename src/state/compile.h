/* compile.h — what the compile's files share (the public side is
 * include/rill/compile.h): the handle, the plan a decision makes, the
 * context of an output function, byte buffers, and the tables.
 *
 * The tables (rill_schema 'compile' = RILL__COMPILE_FORMAT), in the output
 * catalog's file beside its rill_cat_* tables, keyed by the output
 * catalog's id; written in the transaction that commits the output's
 * version, so that they always describe the latest committed one:
 *
 *   rill_cmp_commits(output, version, time_ms, pattern, incremental,
 *                    reason, fingerprints)   one row per compile's commit
 *   rill_cmp_inputs(output, input, path, name, version)
 *                    the inputs the last commit compiled (path: the file's
 *                    absolute path), at which version
 *   rill_cmp_deps(output, out_key, input, in_key, kind)
 *                    kind 0: input key names output key (direct, and the
 *                    seeds of references); kind 1: output key's compile
 *                    read input key (references)
 *   rill_cmp_values(output, input, in_key, seq, out_key, value)
 *                    the map-group front end's pairs, per input key in
 *                    emission order
 *
 * Files: compile.c (handle, tables, decision, why), compile_engine.c (the
 * phases on the engine and over ranks), compile_run.c (a run: changes,
 * dependencies, outputs, the commit), compile_keys.c (compiling output
 * keys), compile_out.c (what output functions call), compile_fp.c
 * (fingerprints), compile_verify.c (verify and the self-check). */
#ifndef RILL_STATE_COMPILE_H
#define RILL_STATE_COMPILE_H

#include <pthread.h>
#include <sqlite3.h>

#include "rill/compile.h"
#include "rill/pipeline.h"

#define RILL__COMPILE_FORMAT 1

/* A growable run of bytes. */
typedef struct cbuf {
    unsigned char *b; /* owned */
    size_t n, cap;
} cbuf;

int rill__cbuf_put(cbuf *x, const void *bytes, size_t len);
int rill__cbuf_u32(cbuf *x, uint32_t v);
/* A u32 length then the bytes. */
int rill__cbuf_blob(cbuf *x, const void *bytes, size_t len);
void rill__cbuf_free(cbuf *x);
/* Reads a u32, or a u32 length and its bytes (borrowed), at *at in
 * [b, b+n): -1 when they do not fit. */
int rill__cbuf_get_u32(const unsigned char *b, size_t n, size_t *at, uint32_t *v);
int rill__cbuf_get_blob(const unsigned char *b, size_t n, size_t *at, const void **p,
                        size_t *len);

typedef struct cmp_input {
    rill_catalog *cat;     /* borrowed */
    rill_compile_job job;
    char *file;            /* owned: its file's absolute path, as commits record it */
} cmp_input;

#define RILL__CMP_MAX_INPUTS 64

struct rill_compile {
    rill_catalog *out;     /* borrowed */
    int phases;            /* engine runs of the current rill_compile_run */
    int engine_failed;     /* one failed: every rank knows, none runs more */
    rill_compile_options o;
    char *message;         /* owned, or NULL */
    void *payload;
    cmp_input *in;         /* owned */
    int nin;
    pthread_mutex_t read_mu; /* the input handles, shared by the workers */
};

/* What a decision says: full or incremental, why, and each input's range
 * (since is -1 when the input is compiled in full). */
typedef struct cmp_plan {
    int full;
    char reason[512];
    int64_t *since, *to;   /* owned, nin each */
    int64_t last_commit;   /* the output version the last compile committed; 0: none */
    void *fp;              /* owned: the fingerprints now, encoded */
    size_t fp_len;
} cmp_plan;

/* The context of one call of a user function. */
enum { OUT_KEYS, OUT_PAIRS, OUT_SET, OUT_PUT };
struct rill_compile_out {
    rill_compile *c;
    const int64_t *to;     /* the versions read */
    int mode;
    cbuf items;            /* keys: blob each; pairs: key blob, value blob;
                              put: key blob, data blob */
    size_t nitems;
    int has;               /* set: called */
    cbuf set;              /* set: the content */
    cbuf reads;            /* u32 input, key blob, per read (references) */
    void **held;           /* owned: data given by rill_compile_read */
    size_t nheld, cheld;
};

void rill__cmp_out_init(rill_compile_out *o, rill_compile *c, const int64_t *to, int mode);
void rill__cmp_out_free(rill_compile_out *o);
/* Reads input key at version to under the compile's read lock. */
int rill__cmp_read(rill_compile *c, int input, int64_t to, const void *key, size_t key_len,
                   void **data, size_t *len);

/* ---- compile.c ---- */
/* Makes the compile's tables in the output's file when they are missing,
 * in a transaction of their own (before a run's). */
int rill__cmp_make_tables(rill_compile *c);
/* Checks, in a run's transaction, that they are there and of this format. */
int rill__cmp_tables(rill_compile *c);
int rill__cmp_fail(rill_compile *c, const char *doing);
int64_t rill__cmp_output_id(const rill_compile *c);
/* Decides (the reference's order) into pl. */
int rill__cmp_decide(rill_compile *c, cmp_plan *pl);
void rill__cmp_plan_free(cmp_plan *pl);

/* ---- compile_fp.c ---- */
/* The fingerprints of this compile now, encoded (*bytes malloc'd): the
 * options' with rill's version and the code of the callbacks. */
int rill__cmp_fingerprints(rill_compile *c, void **bytes, size_t *len);
/* 0: the same; 1: they differ, why (with "full: ") says how; < 0: failed. */
int rill__cmp_fp_compare(char *why, size_t cap, const void *old, size_t old_len,
                         const void *now, size_t now_len);

/* ---- compile_engine.c ---- */
/* What a job on the engine needs: the compile (on each rank its own, with
 * its own input handles). The versions a record reads travel in it (work
 * records start with them: rill__cmp_put_to), so that any rank can run it. */
typedef struct rill__cmp_job {
    rill_compile *c;
} rill__cmp_job;
/* Runs fn (payload) over the records of work (owned from the call on) on
 * the compile's workers, and over MPI ranks when there are several (every
 * rank runs the same phases: rank 0 with the work, the others with none);
 * *results: what it emitted (caller frees; empty on other ranks). */
int rill__cmp_engine(rill_compile *c, rill_batch *work, const char *name, rill_job_fn fn,
                     void *payload, rill_batch **results);
/* Runs the phases a run of c has not run yet with no work (other ranks all
 * of them; rank 0 those its run did not need), so that every rank calls
 * rill_run as often; stops at a failed one (every rank saw it). */
int rill__cmp_empty_phases(rill_compile *c);
int rill__cmp_put_to(cbuf *w, const rill_compile *c, const int64_t *to);
int rill__cmp_get_to(const rill_compile *c, const unsigned char *b, size_t n, size_t *at,
                     int64_t *to);
/* The jobs of the phases (compile_keys.c, compile_run.c). */
int rill__cmp_compile_job(rill_emitter *out, const rill_record *in, void *payload);
int rill__cmp_map_job(rill_emitter *out, const rill_record *in, void *payload);

/* ---- compile_keys.c ---- */
/* Compiles the output keys of the query keys_sql (one column: the output
 * key; ?1 the output's id), as the deps and values of the output's file
 * say now, on the engine. *results: keyed by output key, data: a byte 1
 * (content follows) or 0 (the key holds nothing), the content as a blob,
 * then the reads (references: u32 input and key blob each). */
int rill__cmp_compile_keys(rill_compile *c, const int64_t *to, const char *keys_sql,
                           rill_batch **results);
/* The result record's parts. */
int rill__cmp_result(const rill_record *rec, int *present, const void **data, size_t *len,
                     const unsigned char **reads, size_t *reads_len);

/* ---- compile_verify.c ---- */
/* Compiles a sample (the fraction self_check, at least one) of the output
 * keys of the latest version that are not in the affected table, and
 * compares them with what the output holds: RILL_ECORRUPT naming the first
 * key that differs. *checked: how many were compiled. */
int rill__cmp_self_check(rill_compile *c, const int64_t *to, uint64_t *checked);

#endif
