/* stage_result.c — the result stage kind: the one stage every stream ends
 * in, serial, on rank 0 only. Each task's range goes to the run's sink (the
 * output callback, the directory writer or the stream the caller pulls),
 * then each record to the result callback and into the results batch.
 *
 * Exactly once (rill/checkpoint.h). A checkpointed run holds what goes to
 * the result callback and to a sink that keeps no state of its own, in the
 * order it came, until a committed checkpoint covers it (the checkpoint
 * saves it); rill__deliver_held then gives it, numbering the records on
 * from the count the checkpoint saved, so a resume gives a record again
 * under the number it had. Everything else goes on at once. */
#include <stdlib.h>

#include "run.h"

/* The sequence number rill_result_sequence tells a callback. */
static _Thread_local int64_t sequence = -1;

int64_t rill_result_sequence(void)
{
    return sequence;
}

void rill__hold_setup(rill__run *run)
{
    const rill_pipeline *p = run->p;
    /* what a resume finds held is given to them whether this run holds or not */
    run->out.hold_result = p->result != NULL;
    run->out.hold_sink = run->out.sink != NULL && run->out.sink->save == NULL;
    run->out.hold = run->ckpt.persist != NULL && !p->ckpt_at_once && !run->out.stream &&
                    (run->out.hold_result || run->out.hold_sink);
}

void rill__held_free(rill__run *run)
{
    while (run->out.held) {
        rill__held *h = run->out.held;
        run->out.held = h->next;
        rill__batch_unref(h->batch);
        free(h);
    }
    run->out.held_last = NULL;
}

/* Records [begin, end) of batch, which stage from sent, to the sink; the
 * first of them numbered first. */
static int sink_write(rill__worker *w, int stage, int from, const rill_batch *batch,
                      size_t begin, size_t end, int64_t first)
{
    rill__run *run = w->run;
    int rc;
    rill_error_clear();
    sequence = first;
    rc = run->out.sink->write(run->out.sink_self, from >= 0 ? run->stages[from].name : "work",
                              batch, begin, end);
    sequence = -1;
    if (rc != 0) /* RILL_EUSER: the user's callback failed; else the sink did */
        return rill__fail(w, stage, (size_t)first, end - begin, NULL, rc, rc != RILL_EUSER,
                          rc == RILL_EUSER ? "passing on output" : "writing");
    return 0;
}

/* Gives records [begin, end) of batch to the sink (when sink) and the
 * result callback (when result), numbered on from delivered. */
static int give(rill__worker *w, int stage, int from, const rill_batch *batch, size_t begin,
                size_t end, int sink, int result)
{
    rill__run *run = w->run;
    int64_t first = run->out.delivered;
    size_t i;
    int rc;
    if (sink && (rc = sink_write(w, stage, from, batch, begin, end, first)) < 0)
        return rc;
    rill_error_clear();
    for (i = begin; result && i < end; i++) {
        rill_record r;
        rill__batch_view(batch, i, &r);
        sequence = first + (int64_t)(i - begin);
        rc = run->p->result(&r, run->p->result_payload);
        sequence = -1;
        if (rc != 0)
            return rill__fail(w, stage, (size_t)(first + (int64_t)(i - begin)), 1, &r, rc, 0,
                              "on");
    }
    if (sink || result)
        run->out.delivered = first + (int64_t)(end - begin);
    return 0;
}

static int hold(rill__worker *w, rill__task *t)
{
    rill__run *run = w->run;
    rill__held *h = malloc(sizeof(*h));
    if (h == NULL)
        return rill__fail(w, t->stage, 0, 0, NULL, RILL_ENOMEM, 1, "holding results");
    h->next = NULL;
    h->from = t->from;
    h->batch = t->batch;
    atomic_fetch_add_explicit(&t->batch->refs, 1, memory_order_relaxed);
    h->begin = t->begin;
    h->end = t->end;
    if (run->out.held_last)
        run->out.held_last->next = h;
    else
        run->out.held = h;
    run->out.held_last = h;
    return 0;
}

int rill__deliver_held(rill__worker *w)
{
    rill__run *run = w->run;
    int stage = run->nstages - 1, rc = 0, given = run->out.held != NULL;
    while (run->out.held && rc == 0) {
        rill__held *h = run->out.held;
        rc = give(w, stage, h->from, h->batch, h->begin, h->end, run->out.hold_sink,
                  run->out.hold_result);
        if (rc == 0) { /* a failure keeps the rest, as the checkpoint has it */
            run->out.held = h->next;
            rill__batch_unref(h->batch);
            free(h);
        }
    }
    if (run->out.held == NULL)
        run->out.held_last = NULL;
    if (rc == 0 && given && run->ckpt.persist && run->ckpt.persist->delivered &&
        (rc = run->ckpt.persist->delivered(run)) < 0)
        rill__run_stop(run, rc, rill_error_last(), 0);
    return rc;
}

static int result_process(rill__worker *w, rill__task *t, int locked)
{
    rill__run *run = w->run;
    size_t base = atomic_fetch_add_explicit(&run->sched.taken[t->stage], t->end - t->begin,
                                            memory_order_relaxed);
    size_t i;
    int rc;
    (void)locked;
    if (run->out.stream) { /* the caller pulls it: nothing more happens here */
        rill_error_clear();
        rc = run->out.sink->write(run->out.sink_self, t->from >= 0 ? run->stages[t->from].name
                                                                   : "work",
                                  t->batch, t->begin, t->end);
        return rc < 0 ? rill__fail(w, t->stage, base, 0, NULL, rc, 1, "collecting") : 0;
    }
    for (i = t->begin; run->out.results && i < t->end; i++) {
        rill_record r;
        rill__batch_view(t->batch, i, &r);
        if ((rc = rill_batch_add_record(run->out.results, &r)) < 0)
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, rc, 1, "collecting");
    }
    if (run->out.hold) {
        /* a sink with a state of its own (files) writes at once */
        if (run->out.sink && !run->out.hold_sink &&
            (rc = sink_write(w, t->stage, t->from, t->batch, t->begin, t->end, (int64_t)base)) < 0)
            return rc;
        return hold(w, t);
    }
    return give(w, t->stage, t->from, t->batch, t->begin, t->end, run->out.sink != NULL,
                run->p->result != NULL);
}

const rill_stage_kind rill__kind_result = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "result",
    .flags = RILL_KIND_STREAMING,
    .process = result_process,
};
