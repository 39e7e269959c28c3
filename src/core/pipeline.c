/* pipeline.c — the inline builder and the validation of what it built.
 *
 * Builder calls only record stages; mistakes that depend on the whole
 * pipeline (a frame without frame end, a stage after finish, no work list)
 * are found by rill__plan_resolve before anything runs, and each message
 * names the stage by name, kind and position. API misuse (a NULL callback) is
 * remembered at the call and reported then and by validation. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "../record/batch.h"
#include "../util/error.h"

int rill_pipeline_new(rill_pipeline **out)
{
    rill_pipeline *p;
    if (out == NULL)
        return rill__error(RILL_EINVAL, "rill_pipeline_new: out is NULL");
    *out = NULL;
    p = calloc(1, sizeof(*p));
    RILL__CHECK_ALLOC(p);
    p->after_terminal = -1;
    *out = p;
    return 0;
}

void rill__stage_clear(rill__stage *s)
{
    int i;
    free(s->name);
    for (i = 0; i < 2 * s->nctx; i++)
        free(s->ctx[i]);
    free(s->ctx);
    free(s->succ);
    free(s->owned);
    memset(s, 0, sizeof(*s));
}

void rill_pipeline_free(rill_pipeline *p)
{
    int i;
    if (p == NULL)
        return;
    for (i = 0; i < p->cap; i++)
        rill__stage_clear(&p->stages[i]);
    for (i = 0; i < p->nedges; i++) {
        free(p->edges[i].from);
        free(p->edges[i].to);
    }
    free(p->edges);
    free(p->stages);
    if (p->sink && p->sink->free)
        p->sink->free(p->sink_self);
    free(p->stats);
    free(p->ckpt_path);
    rill_batch_free(p->work);
    rill__pipeline_sources_free(p);
    free(p->build_message);
    free(p);
}

/* Remembers the first misuse so validation reports it too. */
static int misuse(rill_pipeline *p, const char *fmt, const char *name)
{
    int rc = rill__error(RILL_EPIPELINE, fmt, name ? name : "(unnamed)");
    if (p->build_error == 0) {
        p->build_error = rc;
        p->build_message = strdup(rill_error_last());
    }
    return rc;
}

/* Appends a stage of kind with name; *out points at it until the next add. */
/* Room for `more` stages beyond n; new slots are zeroed. */
static int reserve_stages(rill_pipeline *p, int more)
{
    if (p->n + more > p->cap) {
        int cap = p->cap ? p->cap * 2 : 8;
        rill__stage *st = realloc(p->stages, (size_t)cap * sizeof(*st));
        RILL__CHECK_ALLOC(st);
        memset(st + p->cap, 0, (size_t)(cap - p->cap) * sizeof(*st));
        p->stages = st;
        p->cap = cap;
    }
    return 0;
}

int rill__add_stage(rill_pipeline *p, const rill_stage_kind *ops, const char *name,
                    rill__stage **out)
{
    rill__stage *s;
    int rc;
    if ((rc = reserve_stages(p, 2)) < 0) /* and one for the result stage */
        return rc;
    s = &p->stages[p->n];
    rill__stage_clear(s); /* a result stage resolved earlier */
    s->name = strdup(name ? name : ops->name);
    RILL__CHECK_ALLOC(s->name);
    s->ops = ops;
    s->opens = -1;
    s->partner = -1;
    if (p->terminal && p->after_terminal < 0)
        p->after_terminal = p->n;
    p->n++;
    *out = s;
    return 0;
}

int rill_work(rill_pipeline *p, rill_batch *work)
{
    if (p == NULL || work == NULL) {
        rill_batch_free(work);
        return rill__error(RILL_EINVAL, "rill_work: pipeline or work is NULL");
    }
    rill_batch_free(p->work);
    p->work = work;
    return 0;
}

int rill_job(rill_pipeline *p, const char *name, rill_job_fn fn,
             const rill_stage_options *opts)
{
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_job: pipeline is NULL");
    if (fn == NULL)
        return misuse(p, "job '%s' has no function", name);
    if ((rc = rill__add_stage(p, &rill__kind_job, name, &s)) < 0)
        return rc;
    s->job = fn;
    if (opts) {
        s->serial = opts->serial;
        s->payload = opts->payload;
    }
    return 0;
}

int rill_reduce(rill_pipeline *p, const char *name, const rill_reduce_options *opts)
{
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_reduce: pipeline is NULL");
    if (opts == NULL || opts->add == NULL)
        return misuse(p, "reduce '%s' has no add function", name);
    if ((rc = rill__add_stage(p, &rill__kind_reduce, name, &s)) < 0)
        return rc;
    s->reduce = *opts;
    s->serial = opts->serial;
    s->payload = opts->payload;
    return 0;
}

int rill_frame(rill_pipeline *p, const char *name, const rill_frame_options *opts)
{
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_frame: pipeline is NULL");
    if (opts == NULL || opts->frame == NULL)
        return misuse(p, "frame '%s' has no frame function", name);
    if ((rc = rill__add_stage(p, &rill__kind_frame, name, &s)) < 0)
        return rc;
    s->frame = *opts;
    s->payload = opts->payload;
    return 0;
}

int rill_frame_end(rill_pipeline *p, const char *name, rill_frame_end_fn fn,
                   const rill_stage_options *opts)
{
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_frame_end: pipeline is NULL");
    if (fn == NULL)
        return misuse(p, "frame end '%s' has no function", name);
    if ((rc = rill__add_stage(p, &rill__kind_frame_end, name, &s)) < 0)
        return rc;
    s->frame_end = fn;
    if (opts) {
        s->serial = opts->serial;
        s->payload = opts->payload;
    }
    return 0;
}

int rill_combine(rill_pipeline *p, const char *name, const rill_combine_options *opts)
{
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_combine: pipeline is NULL");
    if (opts == NULL || opts->add == NULL || opts->merge == NULL)
        return misuse(p, "combine '%s' needs both add and merge functions", name);
    if (opts->value_size == 0 || opts->value_size > ((size_t)1 << 20))
        return misuse(p, "combine '%s' needs a value_size from 1 byte to 1 MiB", name);
    if ((rc = rill__add_stage(p, &rill__kind_combine, name, &s)) < 0)
        return rc;
    s->combine = *opts;
    s->payload = opts->payload;
    return 0;
}

int rill_result(rill_pipeline *p, rill_result_fn fn, void *payload)
{
    if (p == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_result: pipeline or function is NULL");
    p->result = fn;
    p->result_payload = payload;
    p->terminal = 1;
    return 0;
}

int rill_finish(rill_pipeline *p, rill_finish_fn fn, void *payload)
{
    if (p == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_finish: pipeline or function is NULL");
    p->finish = fn;
    p->finish_payload = payload;
    p->terminal = 1;
    return 0;
}

int rill_init(rill_pipeline *p, rill_init_fn fn, void *payload)
{
    if (p == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_init: pipeline or function is NULL");
    p->init = fn;
    p->init_payload = payload;
    return 0;
}

/* Refuses the pipeline because of stage i. */
int rill__refuse(const rill_pipeline *p, int i, const char *what)
{
    const rill__stage *s = &p->stages[i];
    return rill__error(RILL_EPIPELINE, "%s '%s' (stage %d): %s",
                       rill__kind_name(s), s->name, i + 1, what);
}

/* Scopes of the inline order: where each reducer's scope starts, which
 * frame end closes which frame, and the stage after each. */
static int resolve_inline(rill_pipeline *p)
{
    int open[64], start[65]; /* open frames; scope start per level */
    int depth = 0, i;
    start[0] = 0;
    for (i = 0; i < p->n; i++) {
        rill__stage *s = &p->stages[i];
        s->opens = -1;
        s->next = i + 1;
        if (rill__kind_is(s, RILL_KIND_SCOPE)) {
            s->recur = start[depth];
            start[depth] = i + 1;
        } else if (rill__kind_is(s, RILL_KIND_FRAME)) {
            if (depth == 64)
                return rill__refuse(p, i, "frames nest more than 64 deep");
            open[depth++] = i;
            start[depth] = i + 1;
            s->recur = i + 1;
        } else if (rill__kind_is(s, RILL_KIND_FRAME_END)) {
            if (depth == 0)
                return rill__refuse(p, i, "has no frame to close");
            s->partner = open[--depth];
            s->recur = s->partner + 1;
            p->stages[s->partner].partner = i;
            p->stages[s->partner].next = i + 1;
        }
    }
    if (depth > 0)
        return rill__refuse(p, open[depth - 1], "has no frame end");
    /* Each reducer's scope start opens it; resolved after the walk so that a
     * stage that opens a scope is known whatever its kind. */
    for (i = 0; i < p->n; i++) {
        rill__stage *s = &p->stages[i];
        if (rill__kind_is(s, RILL_KIND_SCOPE))
            p->stages[s->recur].opens = i;
        free(s->succ);
        s->succ = NULL;
        s->nsucc = 0;
        s->npred = i > 0;
        if (rill__kind_is(s, RILL_KIND_STREAMING)) { /* what it emits goes on */
            RILL__CHECK_ALLOC(s->succ = malloc(sizeof(int)));
            s->succ[0] = i + 1;
            s->nsucc = 1;
        }
    }
    return 0;
}

int rill__plan_resolve(rill_pipeline *p)
{
    rill__stage *r;
    int rc;
    if (p->build_error)
        return rill__error_str(p->build_error,
                               p->build_message ? p->build_message : "pipeline misuse");
    if (p->work == NULL && p->generator == NULL)
        return rill__error(RILL_EPIPELINE, "the pipeline has no source: give it a work "
                                           "list with rill_work or a rill_generator");
    if (p->work != NULL && p->generator != NULL)
        return rill__error(RILL_EPIPELINE, "the pipeline has both a work list and a "
                                           "generator: give it one source");
    if (p->after_terminal >= 0)
        return rill__refuse(p, p->after_terminal,
                      "comes after result/finish, which must close the pipeline");
    if (p->n == 0 && p->nedges == 0 && p->generator)
        return rill__error(RILL_EPIPELINE, "the pipeline has a generator but no task");
    if ((rc = reserve_stages(p, 1)) < 0)
        return rc;
    r = &p->stages[p->n];
    rill__stage_clear(r);
    r->ops = &rill__kind_result;
    RILL__CHECK_ALLOC(r->name = strdup("result"));
    r->opens = -1;
    r->partner = -1;
    r->serial = 1;
    r->next = -1;
    if ((rc = p->nedges ? rill__graph_resolve(p) : resolve_inline(p)) < 0)
        return rc;
    return rill__plan_rank(p);
}

int rill_pipeline_validate(rill_pipeline *p)
{
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_pipeline_validate: pipeline is NULL");
    return rill__plan_resolve(p);
}
