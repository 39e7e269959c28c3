/* compile_engine.c — a compile's phases on the engine: a work list given
 * by a generator to one job stage, on the compile's workers and, under MPI,
 * on every rank. Every rank runs the same phases in the same order (rank 0
 * with the work, the others with none: they take theirs from it), which
 * rill_run needs; the versions a work record reads travel in it, so any
 * rank can run it. */
#include "compile.h"

#include <stdio.h>
#include <string.h>

#include "../util/error.h"
#include "rill/dist.h"
#include "rill/graph.h"

/* The work list, given by a generator 64 records a pull (on rank 0 only:
 * other ranks take their work from it, and have none of their own). */
typedef struct feed {
    const rill_batch *work;
    size_t next;
} feed;

static int feed_next(rill_batch *out, void *payload)
{
    feed *f = payload;
    size_t n = rill_batch_count(f->work), k;
    if (f->next >= n)
        return 0;
    for (k = 0; k < 64 && f->next < n; k++, f->next++) {
        rill_record r;
        rill_batch_get(&r, f->work, f->next);
        if (rill_batch_add_record(out, &r) < 0)
            return RILL_ENOMEM;
    }
    return 1;
}

int rill__cmp_engine(rill_compile *c, rill_batch *work, const char *name, rill_job_fn fn,
                     void *payload, rill_batch **results)
{
    rill_run_options ro = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    feed f = {work, 0};
    int rc, ranks = rill_ranks();
    *results = NULL;
    if (ranks == 1 && rill_batch_count(work) == 0) { /* nothing to run, nobody waiting */
        rill_batch_free(work);
        return rill_batch_new(results);
    }
    c->phases++;
    if ((rc = rill_pipeline_new(&p)) < 0) {
        rill_batch_free(work);
        return rc;
    }
    ro.workers = c->o.workers;
    if ((rc = rill_generator(p, feed_next, &f)) == 0 &&
        (rc = rill_job(p, name, NULL, fn, payload)) == 0)
        rc = rill_run(p, &ro, results);
    rill_pipeline_free(p);
    rill_batch_free(work);
    if (rc < 0)
        c->engine_failed = 1;
    if (rc == RILL_EUSER) { /* the engine's prefix names a work record, not the user's key */
        const char *own = strstr(rill_error_last(), "compile of '");
        char keep[RILL__ERROR_MAX];
        if (own) {
            snprintf(keep, sizeof(keep), "%s", own); /* out of the buffer it replaces */
            rill__error_str(rc, keep);
        }
    }
    return rc;
}

int rill__cmp_put_to(cbuf *w, const rill_compile *c, const int64_t *to)
{
    int i, rc = rill__cbuf_u32(w, (uint32_t)c->nin);
    for (i = 0; i < c->nin && rc == 0; i++)
        if ((rc = rill__cbuf_u32(w, (uint32_t)((uint64_t)to[i] >> 32))) == 0)
            rc = rill__cbuf_u32(w, (uint32_t)to[i]);
    return rc;
}

int rill__cmp_get_to(const rill_compile *c, const unsigned char *b, size_t n, size_t *at,
                     int64_t *to)
{
    uint32_t nin, hi, lo;
    int i;
    if (rill__cbuf_get_u32(b, n, at, &nin) < 0 || (int)nin != c->nin)
        return rill__error(RILL_ECORRUPT, "compile: a work record for %u inputs, not %d (do "
                           "all ranks compile the same inputs?)", nin, c->nin);
    for (i = 0; i < c->nin; i++) {
        if (rill__cbuf_get_u32(b, n, at, &hi) < 0 || rill__cbuf_get_u32(b, n, at, &lo) < 0)
            return rill__error(RILL_ECORRUPT, "compile: a damaged work record");
        to[i] = (int64_t)((uint64_t)hi << 32 | lo);
    }
    return 0;
}

/* How many times a run of c runs the engine: every rank the same. */
static int engine_phases(const rill_compile *c)
{
    int n = c->o.pattern == RILL_COMPILE_FULL ? 0 : c->o.pattern == RILL_COMPILE_MAP_GROUP ? 2 : 1;
    return n + (n && c->o.self_check > 0);
}

/* Runs the phases from the current one on with no work: other ranks do
 * (follow), and rank 0 does for those its run did not need, so that every
 * rank calls rill_run as often. Stops at a failed one (every rank saw it). */
int rill__cmp_empty_phases(rill_compile *c)
{
    int rc = 0;
    while (rc == 0 && !c->engine_failed && c->phases < engine_phases(c)) {
        rill__cmp_job j = {c};
        rill_batch *work = NULL, *res = NULL;
        int map = c->o.pattern == RILL_COMPILE_MAP_GROUP && c->phases == 0;
        if ((rc = rill_batch_new(&work)) < 0)
            break;
        rc = rill__cmp_engine(c, work, map ? "map" : "compile",
                              map ? rill__cmp_map_job : rill__cmp_compile_job, &j, &res);
        rill_batch_free(res);
    }
    return rc;
}

