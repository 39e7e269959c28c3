/* stage_result.c — the result stage kind: the one stage every stream ends
 * in, serial, on rank 0 only. Each task's range goes to the run's sink (the
 * output callback, the directory writer or the stream the caller pulls),
 * then each record to the result callback and into the results batch. */
#include <stdlib.h>

#include "run.h"

static int result_process(rill__worker *w, rill__task *t, int locked)
{
    rill__run *run = w->run;
    size_t base = atomic_fetch_add_explicit(&run->sched.taken[t->stage], t->end - t->begin,
                                            memory_order_relaxed);
    size_t i;
    int rc;
    (void)locked;
    rill_error_clear();
    if (run->out.sink) {
        const char *sink = t->from >= 0 ? run->stages[t->from].name : "work";
        rc = run->out.sink->write(run->out.sink_self, sink, t->batch, t->begin, t->end);
        if (run->out.stream) /* the caller pulls it: nothing more happens here */
            return rc < 0 ? rill__fail(w, t->stage, base, 0, NULL, rc, 1, "collecting") : 0;
        run->out.delivered += (int64_t)(t->end - t->begin);
        if (rc != 0) /* RILL_EUSER: the user's callback failed; else the sink did */
            return rill__fail(w, t->stage, base, t->end - t->begin, NULL, rc, rc != RILL_EUSER,
                              rc == RILL_EUSER ? "passing on output" : "writing");
    }
    for (i = t->begin; i < t->end; i++) {
        rill_record r;
        rill__batch_view(t->batch, i, &r);
        if (run->out.results && (rc = rill_batch_add_record(run->out.results, &r)) < 0)
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, rc, 1, "collecting");
        if (run->p->result && (rc = run->p->result(&r, run->p->result_payload)) != 0)
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, rc, 0, "on");
        run->out.delivered += run->out.sink == NULL; /* the result stage is serial */
    }
    return 0;
}

const rill_stage_kind rill__kind_result = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "result",
    .flags = RILL_KIND_STREAMING,
    .process = result_process,
};
