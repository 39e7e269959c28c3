/* reduction.c — reductions: opening, counting, finishing, and the stores
 * the stage kinds that keep state in them share (stage_reduce.c,
 * stage_combine.c, stage_frame.c, stage_frame_end.c).
 *
 * Finishing happens on whichever worker releases the last pending unit:
 * the acquire-release decrement makes every write to the partial stores
 * visible to it. A reducer's partial stores are merged there (the first one
 * present takes the others), a combine's partial tables likewise, and the
 * result is emitted to the stage after the reducer under the parent
 * reduction; a frame's function is called again instead, and the frame ends
 * when it emits nothing. When the run is stopping nothing is finished: the
 * run frees every reduction still alive at the end. */
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "serial.h"

int rill__reduction_open(rill__run *run, int owner, rill__reduction *parent,
                         long pending, rill__reduction **out)
{
    rill__reduction *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (r == NULL)
        return RILL_ENOMEM;
    if (owner >= 0 && run->stages[owner].ops->per_worker &&
        run->stages[owner].ops->per_worker(&run->stages[owner])) {
        r->partials = calloc((size_t)run->workers, sizeof(void *));
        if (r->partials == NULL) {
            free(r);
            return RILL_ENOMEM;
        }
    }
    atomic_init(&r->pending, pending);
    r->origin = -1;
    r->parent = parent;
    r->owner = owner;
    pthread_mutex_init(&r->mu, NULL);
    if (parent)
        atomic_fetch_add_explicit(&parent->pending, 1, memory_order_relaxed);
    pthread_mutex_lock(&run->reds.mu);
    r->next = run->reds.live;
    if (run->reds.live)
        run->reds.live->prev = r;
    run->reds.live = r;
    pthread_mutex_unlock(&run->reds.mu);
    *out = r;
    return 0;
}

void *rill__store_new(const rill__stage *s, size_t size, rill_store_init_fn init, int *rc)
{
    void *store = calloc(1, size ? size : 1);
    *rc = 0;
    if (store == NULL) {
        *rc = RILL_ENOMEM;
        return NULL;
    }
    rill_error_clear();
    if (init && (*rc = init(store, s->payload)) != 0) {
        free(store);
        return NULL;
    }
    return store;
}

void rill__store_free(const rill__stage *s, rill_store_free_fn fn, void *store)
{
    if (store == NULL)
        return;
    if (fn)
        fn(store, s->payload);
    free(store);
}

/* Releases a store or partial state of a reduction of stage s. */
static void state_free(const rill__stage *s, void *state)
{
    if (state && s->ops->state_free)
        s->ops->state_free(s, state);
}

int rill__store_encode(const rill__stage *s, size_t size, rill_store_encode_fn encode,
                       const void *store, void **bytes, size_t *len)
{
    rill__out o;
    int rc;
    rill__out_init(&o, 0);
    if ((rc = rill__ser_store(&o, store, size, encode, s->payload)) < 0) {
        rill__out_free(&o);
        return rc == RILL_EUSER ? rill__error(RILL_EUSER, "%s '%s': its encode callback failed "
                                              "or did not add one record",
                                              rill__kind_name(s), s->name)
                                : rc;
    }
    return rill__out_take(&o, (char **)bytes, len);
}

int rill__store_decode(const rill__stage *s, size_t size, rill_store_decode_fn decode,
                       rill_store_free_fn free_fn, const void *bytes, size_t len, void **out)
{
    void *store = calloc(1, size ? size : 1);
    int rc;
    *out = NULL;
    if (store == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if ((rc = rill__deser_store(bytes, len, store, size, decode, s->payload)) < 0) {
        rill__store_free(s, free_fn, store); /* decode may have filled some */
        return rc == RILL_EUSER ? rill__error(RILL_EUSER, "%s '%s': its decode callback "
                                              "refused a saved store", rill__kind_name(s),
                                              s->name)
                                : rc;
    }
    *out = store;
    return 0;
}

void rill__reduction_destroy(rill__run *run, rill__reduction *r)
{
    pthread_mutex_lock(&run->reds.mu);
    if (r->prev)
        r->prev->next = r->next;
    else
        run->reds.live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    pthread_mutex_unlock(&run->reds.mu);
    if (r->owner >= 0) {
        const rill__stage *s = &run->stages[r->owner];
        int i;
        size_t k;
        if (r->partials)
            for (i = 0; i < run->workers; i++)
                state_free(s, r->partials[i]);
        for (k = 0; k < r->nextra; k++)
            state_free(s, r->extra[k]);
        state_free(s, r->store);
    }
    free(r->partials);
    free(r->extra);
    free(r->parked);
    free(r->raw);
    rill_batch_free(r->first);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* Emits store (or the combine table in r->partials[0]) to the stage after
 * r's owner under r's parent, then closes r. */
int rill__reduction_close(rill__worker *w, rill__reduction *r, rill__emit_fn emit, void *state)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[r->owner];
    rill__reduction *parent = r->parent, *into = parent, *gathered = NULL;
    int k = s->next >= 0 ? run->stages[s->next].opens : -1;
    rill_emitter e;
    int rc;
    if (k >= 0 && run->stages[k].gather) { /* what it emits is one reduction of k's */
        if ((rc = rill__reduction_open(run, k, parent, 1, &gathered)) < 0)
            return rill__fail(w, r->owner, 0, 0, NULL, rc, 1, "emitting its store");
        into = gathered; /* held open by this close until everything is emitted */
    }
    rill__emitter_init(&e, w, r->owner, s->next, into);
    rill_error_clear();
    rc = emit(&e, s, state);
    if (rc != 0) {
        rill__emitter_discard(&e);
        return rill__fail(w, r->owner, 0, 0, NULL, rc, 0, "emitting its store");
    }
    if ((rc = rill__emitter_flush(&e)) < 0)
        return rc;
    rill__reduction_destroy(run, r);
    if (gathered && (rc = rill__reduction_release(w, gathered)) < 0)
        return rc;
    return rill__reduction_release(w, parent);
}

/* The i-th partial of r: per worker, then those other ranks sent; taken out
 * of r (NULL when there is none). */
void *rill__take_partial(rill__run *run, rill__reduction *r, int i)
{
    void *part;
    if (i < run->workers) {
        part = r->partials[i];
        r->partials[i] = NULL;
    } else {
        part = r->extra[i - run->workers];
        r->extra[i - run->workers] = NULL;
    }
    return part;
}

int rill__fold_extras(rill__worker *w)
{
    rill__run *run = w->run;
    rill__reduction *r;
    int rc = 0;
    pthread_mutex_lock(&run->reds.mu);
    for (r = run->reds.live; r && rc == 0; r = r->next) {
        const rill__stage *s;
        if (r->nextra == 0 && r->raw_len == 0)
            continue;
        s = &run->stages[r->owner];
        if ((rc = s->ops->merge(w, r, 1)) == 0)
            r->nextra = 0;
    }
    pthread_mutex_unlock(&run->reds.mu);
    return rc;
}

/* r's last pending unit was just released. */
static int finish(rill__worker *w, rill__reduction *r)
{
    rill__run *run = w->run;
    const rill__stage *s = r->owner >= 0 ? &run->stages[r->owner] : NULL;
    int rc = 0;
    if (r->origin >= 0) { /* a proxy: its units and merged store go home */
        if (r->partials && (rc = s->ops->merge(w, r, 0)) < 0)
            return rc;
        return rill__tp_proxy_done(w, r);
    }
    if (r->owner < 0) {
        rill__mutex_lock(&run->sched.mu);
        run->sched.done = 1;
        pthread_cond_broadcast(&run->sched.cv);
        pthread_cond_broadcast(&run->out.cv);
        rill__mutex_unlock(&run->sched.mu);
        rill__tp_wake(run);
        return 0;
    }
    return s->ops->finish(w, r);
}

void rill__reduction_hold(rill__run *run, rill__reduction *r, int stage)
{
    uint64_t bit = (uint64_t)1 << run->close.bit[stage];
    if (atomic_load_explicit(&r->holders, memory_order_relaxed) & bit)
        return; /* held already: once per call, a load */
    if (!(atomic_fetch_or(&r->holders, bit) & bit))
        atomic_fetch_add(&r->pending, 1 + RILL__HELD_ONE);
}

/* Only holds are left in r: the most upstream holder's unit becomes a task
 * that runs its kind's close for r (queued: the release may come from deep
 * inside another call; at the head of the stage's queue, so that what it
 * holds is let go before calls under other reductions start more of it: a
 * frame per record would otherwise start a process per frame before
 * closing any). What the close
 * emits runs under r as any task's output; the next holder closes when
 * only holds are left again, and r finishes when none is. */
static int close_first_holder(rill__worker *w, rill__reduction *r)
{
    rill__run *run = w->run;
    uint64_t holders = atomic_load(&r->holders);
    int k = __builtin_ctzll(holders), stage = run->close.stage_of[k];
    rill__task *t;
    if (atomic_load(&run->fail.stop))
        return RILL_ECANCELLED;
    atomic_fetch_and(&r->holders, ~((uint64_t)1 << k));
    atomic_fetch_sub(&r->pending, RILL__HELD_ONE); /* its unit is the task's now */
    if ((t = calloc(1, sizeof(*t))) == NULL || rill_batch_new(&t->batch) < 0) {
        free(t);
        return rill__fail(w, stage, 0, 0, NULL, RILL_ENOMEM, 1, "closing");
    }
    t->stage = stage;
    t->from = -1;
    t->phase = RILL__PHASE_CLOSE;
    t->red = r;
    rill__push_front(run, t);
    return 0;
}

int rill__reduction_left(rill__worker *w, rill__reduction *r, long long left)
{
    return RILL__ONLY_HOLDS(left) ? close_first_holder(w, r) : 0;
}

int rill__reduction_release(rill__worker *w, rill__reduction *r)
{
    long long was = atomic_fetch_sub_explicit(&r->pending, 1, memory_order_acq_rel);
    RILL__ASSERT_MSG((was & 0xffffffffLL) >= 1, "a reduction's pending count went below zero");
    if (was != 1)
        return RILL__ONLY_HOLDS(was - 1) ? close_first_holder(w, r) : 0;
    if (atomic_load(&w->run->fail.stop))
        return RILL_ECANCELLED;
    return finish(w, r);
}
