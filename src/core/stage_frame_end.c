/* stage_frame_end.c — the frame end stage kind: called with each record
 * coming back to its frame, with the frame's store (under the frame
 * reduction's lock: the store is shared with the frame function and the
 * frame end's other calls); what it emits recurs into the frame. */
#include "run.h"

static int frame_end_process(rill__worker *w, rill__task *t, int locked)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    rill__reduction *r = t->red;
    size_t base = atomic_fetch_add_explicit(&run->sched.taken[t->stage], t->end - t->begin,
                                            memory_order_relaxed);
    rill_emitter e;
    size_t i;
    int rc = 0;
    if (!locked)
        pthread_mutex_lock(&r->mu);
    rill__emitter_init(&e, w, t->stage, s->recur, r);
    e.queue = 1;
    rill_error_clear();
    for (i = t->begin; i < t->end; i++) {
        rill_record rec;
        rill__batch_view(t->batch, i, &rec);
        if ((rc = s->frame_end(&e, r->store, &rec, s->payload)) != 0) {
            pthread_mutex_unlock(&r->mu);
            rill__emitter_discard(&e);
            return rill__fail(w, t->stage, base + i - t->begin, 1, &rec, rc, 0, "on");
        }
    }
    pthread_mutex_unlock(&r->mu);
    return rill__emitter_flush(&e);
}

static int frame_end_shared_store(const rill__stage *s)
{
    (void)s;
    return 1;
}

const rill_stage_kind rill__kind_frame_end = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "frame end",
    .flags = RILL_KIND_FRAME_END,
    .process = frame_end_process,
    .shared_store = frame_end_shared_store,
};
