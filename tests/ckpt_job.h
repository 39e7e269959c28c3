/* ckpt_job.h — the job the checkpoint tests run (test_checkpoint.c,
 * test_state_file.c): x -> 2x, asking for a checkpoint at one record and
 * failing at another, with init and result calls counted. */
#ifndef RILL_TESTS_CKPT_JOB_H
#define RILL_TESTS_CKPT_JOB_H

#include <stdatomic.h>

#include "inline_helpers.h"

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

#endif
