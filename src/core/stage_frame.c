/* stage_frame.c — the frame stage kind (job_stream's frame): each record
 * reaching it opens a reduction with a store of its own and calls the frame
 * function with it; what the function emits recurs through the stages up
 * to the frame end, and each time all of that is done the function is
 * called again. When it emits nothing the store is emitted onward and the
 * frame closes. */
#include <stdlib.h>

#include "run.h"

/* The store goes onward: through the user's emit, or as its bytes. */
static int frame_emit(rill_emitter *out, const rill__stage *s, void *store)
{
    return s->frame.emit ? s->frame.emit(out, store, s->payload)
                         : rill_emit(out, store, s->frame.store_size);
}

/* Runs the frame function while holding one pending unit of r; again
 * whenever all it recurred is done by the time it returns. */
static int frame_step(rill__worker *w, rill__reduction *r)
{
    const rill__stage *s = &w->run->stages[r->owner];
    for (;;) {
        rill_emitter e;
        rill_record first;
        int rc;
        rill__emitter_init(&e, w, r->owner, s->recur, r);
        e.queue = 1; /* its batches could reach the frame end: not under mu */
        rill__batch_view(r->first, 0, &first);
        rill_error_clear();
        /* A batch flushed while the function runs may be taken by another
         * worker's frame end: the store is shared with it under mu. */
        pthread_mutex_lock(&r->mu);
        rc = s->frame.frame(&e, r->store, &first, s->payload);
        pthread_mutex_unlock(&r->mu);
        if (rc != 0) {
            rill__emitter_discard(&e);
            return rill__fail(w, r->owner, r->index, 1, &first, rc, 0, "on");
        }
        if (e.count == 0) {
            rill__emitter_discard(&e);
            return rill__reduction_close(w, r, frame_emit, r->store);
        }
        if ((rc = rill__emitter_flush(&e)) < 0)
            return rc;
        long long was = atomic_fetch_sub_explicit(&r->pending, 1, memory_order_acq_rel);
        RILL__ASSERT_MSG(was >= 1, "a frame's pending count went below zero");
        if (was != 1) /* what it recurred runs on; or only holds are left */
            return rill__reduction_left(w, r, was - 1);
        if (atomic_load(&w->run->fail.stop))
            return RILL_ECANCELLED;
        atomic_store(&r->pending, 1);
    }
}

static int frame_enter(rill__worker *w, int stage, rill__reduction *parent,
                       const rill_record *rec, size_t index)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[stage];
    rill__reduction *r;
    int rc;
    if ((rc = rill__reduction_open(run, stage, parent, 1, &r)) < 0)
        return rill__fail(w, stage, index, 1, rec, rc, 1, "opening a frame for");
    r->index = index;
    if ((r->store = rill__store_new(s, s->frame.store_size, s->frame.init, &rc)) == NULL)
        return rill__fail(w, stage, index, 1, rec, rc, rc == RILL_ENOMEM,
                          "initialising its store for");
    if (rill_batch_new(&r->first) < 0 || rill_batch_add_record(r->first, rec) < 0)
        return rill__fail(w, stage, index, 1, rec, RILL_ENOMEM, 1, "keeping");
    return frame_step(w, r);
}

static int frame_process(rill__worker *w, rill__task *t, int locked)
{
    size_t base = atomic_fetch_add_explicit(&w->run->sched.taken[t->stage], t->end - t->begin,
                                            memory_order_relaxed);
    size_t i;
    int rc;
    (void)locked;
    for (i = t->begin; i < t->end; i++) {
        rill_record r;
        rill__batch_view(t->batch, i, &r);
        if ((rc = frame_enter(w, t->stage, t->red, &r, base + i - t->begin)) < 0)
            return rc;
    }
    return 0;
}

static int frame_finish(rill__worker *w, rill__reduction *r)
{
    atomic_store(&r->pending, 1); /* the hold frame_step releases */
    return frame_step(w, r);
}

static void frame_state_free(const rill__stage *s, void *state)
{
    rill__store_free(s, s->frame.free, state);
}

static int frame_encode(const rill__stage *s, const void *state, void **bytes, size_t *len)
{
    return rill__store_encode(s, s->frame.store_size, s->frame.encode, state, bytes, len);
}

static int frame_decode(const rill__stage *s, const void *bytes, size_t len, void **state)
{
    return rill__store_decode(s, s->frame.store_size, s->frame.decode, s->frame.free, bytes, len,
                              state);
}

/* A store with a free callback holds pointers: only its encode can save it. */
static int frame_savable(const rill__stage *s)
{
    return s->frame.free == NULL || (s->frame.encode && s->frame.decode);
}

const rill_stage_kind rill__kind_frame = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "frame",
    .flags = RILL_KIND_FRAME | RILL_KIND_ANYWHERE,
    .process = frame_process,
    .state_free = frame_state_free,
    .finish = frame_finish,
    .encode = frame_encode,
    .decode = frame_decode,
    .savable = frame_savable,
};
