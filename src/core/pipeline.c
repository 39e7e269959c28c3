/* pipeline.c — the inline builder and the validation of what it built.
 *
 * Builder calls only record stages and hooks. What is wrong in a call itself
 * (a NULL callback or name, a name already taken, options of another
 * version, a second result or finish) is refused there with RILL_EPIPELINE
 * (RILL_EINVAL for a version) and a message that starts with the call; the
 * first refusal is remembered and reported again by validation. Mistakes
 * that depend on the whole pipeline (a frame without frame end, a stage
 * after finish, no work list) are found by rill__plan_resolve before
 * anything runs, each message naming the stage by kind, name and position
 * among the stages the user added. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
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
    pthread_mutex_init(&p->stats_mu, NULL);
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
    if (s->owned_free)
        s->owned_free(s->owned);
    else
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
    pthread_mutex_destroy(&p->stats_mu);
    free(p->ckpt_path);
    rill_batch_free(p->work);
    rill__pipeline_sources_free(p);
    free(p->build_message);
    free(p->inits);
    free(p);
}

/* Remembers the first misuse so validation reports it too. */
int rill__misuse(rill_pipeline *p, int code, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = rill__error_v(code, fmt, ap);
    va_end(ap);
    if (p->build_error == 0) {
        p->build_error = rc;
        p->build_message = strdup(rill_error_last());
    }
    return rc;
}

int rill__check_stage(rill_pipeline *p, const char *call, const char *name,
                      const unsigned *version, unsigned want, const char *init)
{
    if (name == NULL)
        return rill__misuse(p, RILL_EPIPELINE, "%s: the stage name is NULL", call);
    if (name[0] == '\0')
        return rill__misuse(p, RILL_EPIPELINE, "%s: the stage name is empty", call);
    if (rill__stage_find(p, name) >= 0)
        return rill__misuse(p, RILL_EPIPELINE, "%s '%.200s': another stage is named '%.200s'; "
                            "stage names must be unique", call, name, name);
    if (version && *version != want)
        return rill__misuse(p, RILL_EINVAL, "%s '%.200s': options of version %u, expected %u "
                            "(initialise them with %s)", call, name, *version, want, init);
    return 0;
}

/* A NULL callback what of the stage name added by call. */
static int no_callback(rill_pipeline *p, const char *call, const char *name, const char *what)
{
    return rill__misuse(p, RILL_EPIPELINE, "%s '%.200s': the %s callback is NULL", call, name,
                        what);
}

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
    s->name = strdup(name);
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
    size_t i, n;
    int rc = 0;
    if (p == NULL || work == NULL) {
        rill_batch_free(work);
        return rill__error(RILL_EINVAL, "rill_work: the pipeline or the work is NULL");
    }
    if (work == p->work) /* the pipeline's own: nothing to take over */
        return rill__error(RILL_EINVAL, "rill_work: that batch is the pipeline's work list");
    if (p->work == NULL) {
        p->work = work;
        return 0;
    }
    n = rill_batch_count(work);
    for (i = 0; i < n && rc == 0; i++) {
        rill_record r;
        rill__batch_view(work, i, &r);
        rc = rill_batch_add_record(p->work, &r);
    }
    rill_batch_free(work);
    return rc < 0 ? rill__error(rc, "rill_work: out of memory") : 0;
}

#define CHECK_STAGE(call, opts, VERSION, INIT)                                       \
    do {                                                                             \
        if (p == NULL)                                                               \
            return rill__error(RILL_EINVAL, call ": the pipeline is NULL");          \
        if ((rc = rill__check_stage(p, call, name, opts ? &opts->version : NULL,     \
                                    VERSION, #INIT)) < 0)                            \
            return rc;                                                               \
    } while (0)

int rill_job(rill_pipeline *p, const char *name, const rill_stage_options *opts,
             rill_job_fn fn, void *payload)
{
    rill__stage *s;
    int rc;
    CHECK_STAGE("rill_job", opts, RILL_STAGE_OPTIONS_VERSION, RILL_STAGE_OPTIONS_INIT);
    if (fn == NULL)
        return no_callback(p, "rill_job", name, "job");
    if ((rc = rill__add_stage(p, &rill__kind_job, name, &s)) < 0)
        return rc;
    s->job = fn;
    s->serial = opts ? opts->serial : 0;
    s->line_blocks = opts ? opts->line_blocks : 0;
    s->payload = payload;
    return 0;
}

int rill_reduce(rill_pipeline *p, const char *name, const rill_reduce_options *opts,
                void *payload)
{
    rill__stage *s;
    int rc;
    CHECK_STAGE("rill_reduce", opts, RILL_REDUCE_OPTIONS_VERSION, RILL_REDUCE_OPTIONS_INIT);
    if (opts == NULL || opts->add == NULL)
        return no_callback(p, "rill_reduce", name, "add");
    if ((rc = rill__add_stage(p, &rill__kind_reduce, name, &s)) < 0)
        return rc;
    s->reduce = *opts; /* this version's fields: the version was checked */
    s->serial = opts->serial;
    s->gather = opts->gather;
    s->payload = payload;
    return 0;
}

int rill_frame(rill_pipeline *p, const char *name, const rill_frame_options *opts,
               void *payload)
{
    rill__stage *s;
    int rc;
    CHECK_STAGE("rill_frame", opts, RILL_FRAME_OPTIONS_VERSION, RILL_FRAME_OPTIONS_INIT);
    if (opts == NULL || opts->frame == NULL)
        return no_callback(p, "rill_frame", name, "frame");
    if ((rc = rill__add_stage(p, &rill__kind_frame, name, &s)) < 0)
        return rc;
    s->frame = *opts;
    s->payload = payload;
    return 0;
}

int rill_frame_end(rill_pipeline *p, const char *name, const rill_stage_options *opts,
                   rill_frame_end_fn fn, void *payload)
{
    rill__stage *s;
    int rc;
    CHECK_STAGE("rill_frame_end", opts, RILL_STAGE_OPTIONS_VERSION, RILL_STAGE_OPTIONS_INIT);
    if (fn == NULL)
        return no_callback(p, "rill_frame_end", name, "frame end");
    if ((rc = rill__add_stage(p, &rill__kind_frame_end, name, &s)) < 0)
        return rc;
    s->frame_end = fn;
    s->serial = opts ? opts->serial : 0;
    s->payload = payload;
    return 0;
}

int rill_combine(rill_pipeline *p, const char *name, const rill_combine_options *opts,
                 void *payload)
{
    rill__stage *s;
    int rc;
    CHECK_STAGE("rill_combine", opts, RILL_COMBINE_OPTIONS_VERSION, RILL_COMBINE_OPTIONS_INIT);
    if (opts == NULL || opts->add == NULL || opts->merge == NULL)
        return no_callback(p, "rill_combine", name, opts && opts->add ? "merge" : "add");
    if (opts->value_size == 0 || opts->value_size > ((size_t)1 << 20))
        return rill__misuse(p, RILL_EPIPELINE, "rill_combine '%.200s': the value_size must be "
                            "from 1 byte to 1 MiB", name);
    if ((rc = rill__add_stage(p, &rill__kind_combine, name, &s)) < 0)
        return rc;
    s->combine = *opts;
    s->gather = opts->gather;
    s->payload = payload;
    return 0;
}

int rill__hook_check(rill_pipeline *p, const char *call, int has_fn, int taken,
                     const char *what)
{
    if (p == NULL)
        return rill__error(RILL_EINVAL, "%s: the pipeline is NULL", call);
    if (!has_fn)
        return rill__misuse(p, RILL_EPIPELINE, "%s: the %s callback is NULL", call, what);
    if (taken)
        return rill__misuse(p, RILL_EPIPELINE, "%s: a %s callback is already registered; a "
                            "pipeline has one", call, what);
    return 0;
}

int rill_result(rill_pipeline *p, rill_result_fn fn, void *payload)
{
    int rc;
    if ((rc = rill__hook_check(p, "rill_result", fn != NULL, p && p->result, "result")) < 0)
        return rc;
    p->result = fn;
    p->result_payload = payload;
    p->terminal = 1;
    return 0;
}

int rill_finish(rill_pipeline *p, rill_finish_fn fn, void *payload)
{
    int rc;
    if ((rc = rill__hook_check(p, "rill_finish", fn != NULL, p && p->finish, "finish")) < 0)
        return rc;
    p->finish = fn;
    p->finish_payload = payload;
    p->terminal = 1;
    return 0;
}

int rill_on_init(rill_pipeline *p, rill_init_fn fn, void *payload)
{
    struct rill__init *n;
    int rc;
    if ((rc = rill__hook_check(p, "rill_on_init", fn != NULL, 0, "init")) < 0)
        return rc;
    n = realloc(p->inits, (size_t)(p->ninits + 1) * sizeof(*n));
    RILL__CHECK_ALLOC(n);
    p->inits = n;
    p->inits[p->ninits].fn = fn;
    p->inits[p->ninits++].payload = payload;
    return 0;
}

int rill__plan_init(rill_pipeline *p, rill_batch **work)
{
    int i, rc;
    *work = NULL;
    if (p->ninits == 0)
        return 0;
    if ((rc = rill_batch_new(work)) < 0)
        return rc;
    for (i = 0; i < p->ninits; i++) {
        rill_error_clear();
        if ((rc = p->inits[i].fn(*work, p->inits[i].payload)) != 0) {
            rill_batch_free(*work);
            *work = NULL;
            return rc;
        }
    }
    return 0;
}

void rill__stage_label(const rill_pipeline *p, int i, char *out, size_t cap)
{
    int j, shown = 0;
    if (i >= p->n) { /* the result stage: the user knows it by what it calls */
        if (p->sink) /* "the output callback", "the output directory" */
            snprintf(out, cap, "the output %s", p->sink->name);
        else
            snprintf(out, cap, "%s", p->result ? "the result callback" : "the results");
        return;
    }
    while (p->stages[i].builtin == 2 && i + 1 < p->n)
        i++;
    for (j = 0; j <= i; j++)
        shown += p->stages[j].builtin != 2;
    snprintf(out, cap, "%s '%.80s' (stage %d)", rill__kind_name(&p->stages[i]),
             p->stages[i].name, shown);
}

/* Refuses the pipeline because of stage i. */
int rill__refuse(const rill_pipeline *p, int i, const char *what)
{
    char label[160];
    rill__stage_label(p, i, label, sizeof(label));
    return rill__error(RILL_EPIPELINE, "%s: %s", label, what);
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
    if (p->work == NULL && p->generator == NULL && p->pulled == NULL)
        return rill__error(RILL_EPIPELINE, "the pipeline has no source: give it a work "
                                           "list with rill_work or a rill_generator");
    if ((p->work != NULL) + (p->generator != NULL) + (p->pulled != NULL) > 1)
        return rill__error(RILL_EPIPELINE, "the pipeline has %s: give it one source",
                           p->pulled ? "a source set by rill_source_set and a work list or "
                                       "generator"
                                     : "both a work list and a generator");
    if (p->after_terminal >= 0)
        return rill__refuse(p, p->after_terminal,
                      "comes after result/finish, which must close the pipeline");
    if (p->n == 0 && p->nedges == 0 && (p->generator || p->pulled))
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
