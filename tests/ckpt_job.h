/* ckpt_job.h — the job the checkpoint tests run (test_checkpoint.c,
 * test_state_file.c): x -> 2x, asking for a checkpoint at one record and
 * failing at another, with init and result calls counted; and two tools
 * they share on the state file. */
#ifndef RILL_TESTS_CKPT_JOB_H
#define RILL_TESTS_CKPT_JOB_H

#include <sqlite3.h>
#include <stdatomic.h>

#include "inline_helpers.h"
#include "state_helpers.h"

/* The job: x -> 2x; asks for a checkpoint at ask_at and fails at fail_at
 * (when armed). Counts init and result calls. */
typedef struct ctl {
    rill_pipeline *p;
    int64_t ask_at, fail_at;
    int armed;
    atomic_int inits, results;
    int64_t result_sum;
} ctl;

static inline int doubled(rill_emitter *out, const rill_record *in, void *payload)
{
    ctl *c = payload;
    int64_t x = i64(in);
    if (x == c->ask_at)
        rill_checkpoint_request(c->p);
    if (c->armed && x == c->fail_at) {
        rill_error_set("crash at %lld", (long long)x);
        return -1;
    }
    return rill_emit_int64(out, 2 * x);
}

static inline int on_init(rill_batch *work, void *payload)
{
    (void)work;
    atomic_fetch_add(&((ctl *)payload)->inits, 1);
    return 0;
}

static inline int on_result(const rill_record *r, void *payload)
{
    ctl *c = payload;
    atomic_fetch_add(&c->results, 1);
    c->result_sum += i64(r);
    return 0;
}

/* A file's bytes, hashed (FNV-1a): to see that a refusal left it alone. */
static inline uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint64_t h = 1469598103934665603ull;
    int ch;
    if (f == NULL)
        return 0;
    while ((ch = fgetc(f)) != EOF)
        h = (h ^ (uint64_t)ch) * 1099511628211ull;
    fclose(f);
    return h;
}

/* Runs one SQL statement on the state file, as a user's tool would. */
static inline void sql(const char *stmt)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(state, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, stmt, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

#endif
