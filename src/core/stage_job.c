/* stage_job.c — the job stage kind (job_stream's job): one record in, zero
 * or more out, a call per record, several calls at once unless serial. What
 * it emits goes to every successor. When a checkpoint is due, a task hands
 * the records it has not called yet to the queue as a task of their own and
 * ends, so that its worker reaches the barrier however long the task. */
#include "run.h"

static int job_process(rill__worker *w, rill__task *t, int locked)
{
    const rill__stage *s = &w->run->stages[t->stage];
    size_t base = atomic_fetch_add_explicit(&w->run->sched.taken[t->stage], t->end - t->begin,
                                            memory_order_relaxed);
    rill_emitter e;
    size_t i;
    int rc = 0;
    (void)locked;
    rill__emitter_init(&e, w, t->stage, -1, t->red);
    e.queue = w->run->sched.limit[t->stage] > 0; /* do not hold a call slot while
                                              what it emits runs */
    rill_error_clear();
    for (i = t->begin; i < t->end; i++) {
        rill_record r;
        rill__batch_view(t->batch, i, &r);
        if ((rc = s->job(&e, &r, s->payload)) != 0) {
            rill__emitter_discard(&e);
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, rc, s->builtin, "on");
        }
        /* every 64 records, and after every long one (a block of lines:
         * 64 of them would keep the barrier waiting for milliseconds) */
        if (i + 1 < t->end && (((i - t->begin) & 63) == 63 || r.len >= 4096) &&
            rill__ckpt_due(w->run, 1)) {
            rill__task *rest;
            if ((rc = rill__emitter_flush(&e)) < 0)
                return rc;
            if (rill__task_new(w, t->stage, t->red, t->batch, i + 1, t->end, &rest) < 0)
                return rill__fail(w, t->stage, 0, 0, NULL, RILL_ENOMEM, 1, "handing on records");
            rest->from = t->from;
            atomic_fetch_sub_explicit(&w->run->sched.taken[t->stage], t->end - i - 1,
                                      memory_order_relaxed); /* counted again when run */
            rill__push(w->run, rest);
            return 0;
        }
    }
    return rill__emitter_flush(&e);
}

const rill_stage_kind rill__kind_job = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "job",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH | RILL_KIND_ANYWHERE |
             RILL_KIND_SHUFFLED,
    .process = job_process,
};
