/* stage_task.c — the task stage kind (the graph executor's task): one call
 * with every record of a range, at most batch_size of them; what it emits
 * goes to every successor. The call itself is rill_span_call, which any
 * kind may use (rill/sys/stage.h), and so are the span's accessors here. */
#include <stdlib.h>
#include <string.h>

#include "run.h"

int rill_span_call(rill__worker *w, rill__task *t, rill_span_fn fn, void *payload)
{
    size_t n, i, base;
    rill_record *in;
    rill_emitter e;
    int rc;
    if (w == NULL || t == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_span_call: NULL argument");
    n = t->end - t->begin;
    base = atomic_fetch_add_explicit(&w->run->sched.taken[t->stage], n, memory_order_relaxed);
    if ((rc = rill__scratch(w, n, &in)) < 0)
        return rill__fail(w, t->stage, base, n, NULL, rc, 1, "on");
    for (i = 0; i < n; i++)
        rill__batch_view(t->batch, t->begin + i, &in[i]);
    rill__emitter_init(&e, w, t->stage, -1, t->red);
    e.queue = w->run->sched.limit[t->stage] > 0; /* no call slot held while it runs */
    rill_error_clear();
    if ((rc = fn(&e, in, n, payload)) != 0) {
        rill__emitter_discard(&e);
        return rill__fail(w, t->stage, base, n, n ? &in[0] : NULL, rc, 0, "on");
    }
    return rill__emitter_flush(&e);
}

size_t rill_span_count(const rill__task *t)
{
    return t ? t->end - t->begin : 0;
}

void rill_span_get(const rill__task *t, size_t i, rill_record *out)
{
    if (out == NULL)
        return;
    if (t == NULL || i >= t->end - t->begin) { /* out of the span: an empty record */
        memset(out, 0, sizeof(*out));
        return;
    }
    rill__batch_view(t->batch, t->begin + i, out);
}

const rill__reduction *rill_span_reduction(const rill__task *t)
{
    return t ? t->red : NULL;
}

const rill__stage *rill_span_stage(const rill__worker *w, const rill__task *t)
{
    return w && t ? &w->run->stages[t->stage] : NULL;
}

const char *rill_stage_name(const rill__stage *s)
{
    return s ? s->name : NULL;
}

void *rill_stage_payload(const rill__stage *s)
{
    return s ? s->payload : NULL;
}

int rill_stage_add(rill_pipeline *p, const char *name, const rill_stage_kind *kind,
                   void *payload)
{
    const unsigned inside = RILL_KIND_SCOPE | RILL_KIND_FRAME | RILL_KIND_FRAME_END |
                            RILL_KIND_FOLDS;
    const unsigned known = inside | RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH |
                           RILL_KIND_ANYWHERE | RILL_KIND_SHUFFLED | RILL_KIND_RESTARTS;
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_stage_add: the pipeline is NULL");
    if ((rc = rill__check_stage(p, "rill_stage_add", name, kind ? &kind->version : NULL,
                                RILL_STAGE_KIND_VERSION, "RILL_STAGE_KIND_VERSION")) < 0)
        return rc;
    if (kind == NULL || kind->process == NULL || kind->name == NULL)
        return rill__misuse(p, RILL_EPIPELINE, "rill_stage_add '%.200s': a kind needs a name "
                            "and a process function", name);
    /* What needs the engine's inside (reductions, splitting) is rill's own. */
    if ((kind->flags & inside) || kind->expand || kind->shared_store || kind->per_worker ||
        kind->state_free || kind->finish || kind->merge || kind->encode || kind->decode ||
        kind->savable || kind->rebalance || kind->park || kind->progress)
        return rill__misuse(p, RILL_EINVAL, "rill_stage_add '%.200s': kind '%.80s' opens "
                            "scopes or frames, folds keys, keeps state in reductions or splits "
                            "running work: only rill's own kinds may", name, kind->name);
    if ((kind->flags & ~known) || (kind->close && !(kind->flags & RILL_KIND_STREAMING)) ||
        ((kind->flags & RILL_KIND_SHUFFLED) && !(kind->flags & RILL_KIND_ANYWHERE)))
        return rill__misuse(p, RILL_EINVAL, "rill_stage_add '%.200s': kind '%.80s' has flags "
                            "this rill does not know, close without STREAMING, or SHUFFLED "
                            "without ANYWHERE", name, kind->name);
    if ((rc = rill__add_stage(p, kind, name, &s)) < 0)
        return rc;
    s->payload = payload;
    return 0;
}

static int task_process(rill__worker *w, rill__task *t, int locked)
{
    const rill__stage *s = &w->run->stages[t->stage];
    (void)locked;
    return rill_span_call(w, t, s->task, s->payload);
}

const rill_stage_kind rill__kind_task = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "task",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH | RILL_KIND_ANYWHERE |
             RILL_KIND_SHUFFLED,
    .process = task_process,
};
