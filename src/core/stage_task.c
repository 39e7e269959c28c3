/* stage_task.c — the task stage kind (the graph executor's task): one call
 * with every record of a range, at most batch_size of them; what it emits
 * goes to every successor. */
#include "run.h"

static int task_process(rill__worker *w, rill__task *t, int locked)
{
    const rill__stage *s = &w->run->stages[t->stage];
    size_t n = t->end - t->begin, i;
    size_t base = atomic_fetch_add_explicit(&w->run->taken[t->stage], n, memory_order_relaxed);
    rill_record *in;
    rill_emitter e;
    int rc;
    (void)locked;
    if ((rc = rill__scratch(w, n, &in)) < 0)
        return rill__fail(w, t->stage, base, n, NULL, rc, 1, "on");
    for (i = 0; i < n; i++)
        rill__batch_view(t->batch, t->begin + i, &in[i]);
    rill__emitter_init(&e, w, t->stage, -1, t->red);
    e.queue = w->run->limit[t->stage] > 0;
    rill_error_clear();
    if ((rc = s->task(&e, in, n, s->payload)) != 0) {
        rill__emitter_discard(&e);
        return rill__fail(w, t->stage, base, n, n ? &in[0] : NULL, rc, 0, "on");
    }
    return rill__emitter_flush(&e);
}

const rill_stage_kind rill__kind_task = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "task",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH | RILL_KIND_ANYWHERE,
    .process = task_process,
};
