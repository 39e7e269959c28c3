/* stage_reduce.c — the reduce stage kind (job_stream's reducer): add folds
 * the records reaching it into a store, what add emits recurs into the
 * scope, and when the reduction is done the stores are merged and emitted
 * onward as one record. With a merge function each worker adds into a
 * partial store of its own; without one a reduction has one store and its
 * adds run one at a time under the reduction's lock (and on the rank that
 * opened it). */
#include <stdlib.h>
#include <string.h>

#include "run.h"

static int reduce_process(rill__worker *w, rill__task *t, int locked)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    rill__reduction *r = t->red;
    size_t n = t->end - t->begin, i;
    size_t base = atomic_fetch_add_explicit(&run->sched.taken[t->stage], n, memory_order_relaxed);
    void **slot = r->partials ? &r->partials[w->id] : &r->store;
    rill_record *in = NULL;
    rill_emitter e;
    int rc = rill__scratch(w, n, &in);
    for (i = 0; rc == 0 && i < n; i++)
        rill__batch_view(t->batch, t->begin + i, &in[i]);
    if (rc == 0 && r->partials == NULL && !locked)
        pthread_mutex_lock(&r->mu);
    else if (rc != 0 && locked)
        pthread_mutex_unlock(&r->mu);
    if (rc != 0)
        return rill__fail(w, t->stage, base, n, NULL, rc, 1, "on");
    if (*slot == NULL)
        *slot = rill__store_new(s, s->reduce.store_size, s->reduce.init, &rc);
    rill__emitter_init(&e, w, t->stage, s->recur, r);
    e.queue = s->serial || r->partials == NULL;
    rill_error_clear();
    if (rc == 0)
        rc = s->reduce.add(&e, *slot, in, n, s->payload);
    if (r->partials == NULL)
        pthread_mutex_unlock(&r->mu);
    if (rc != 0) {
        rill__emitter_discard(&e);
        return rill__fail(w, t->stage, base, n, &in[0], rc, 0, "adding");
    }
    return rill__emitter_flush(&e);
}

static int merge_stores(rill__worker *w, rill__reduction *r, const rill__stage *s)
{
    int i, rc = 0, n = w->run->workers + (int)r->nextra;
    for (i = 0; i < n; i++) {
        void *part = rill__take_partial(w->run, r, i);
        if (part == NULL)
            continue;
        if (r->store == NULL) {
            r->store = part;
            continue;
        }
        rill_error_clear();
        rc = s->reduce.merge(r->store, part, s->payload);
        rill__store_free(s, s->reduce.free, part);
        if (rc != 0)
            return rill__fail(w, r->owner, 0, 0, NULL, rc, 0, "merging its stores");
    }
    return 0;
}

/* Stores other ranks sent home join the first partial (before a
 * checkpoint), or every partial joins the store (when it is done). */
static int reduce_merge(rill__worker *w, rill__reduction *r, int into_partial)
{
    const rill__stage *s = &w->run->stages[r->owner];
    size_t k;
    int rc = 0;
    if (!into_partial)
        return r->partials ? merge_stores(w, r, s) : 0;
    for (k = 0; k < r->nextra && rc == 0; k++) {
        void *part = r->extra[k];
        r->extra[k] = NULL;
        if (r->partials[0] == NULL) {
            r->partials[0] = part;
            continue;
        }
        if (s->reduce.merge(r->partials[0], part, s->payload) != 0)
            rc = rill__error(RILL_EUSER, "reduce '%s': merge failed", s->name);
        rill__store_free(s, s->reduce.free, part);
    }
    return rc;
}

/* The store goes onward: through the user's emit, or as its bytes. */
static int reduce_emit(rill_emitter *out, const rill__stage *s, void *store)
{
    return s->reduce.emit ? s->reduce.emit(out, store, s->payload)
                          : rill_emit(out, store, s->reduce.store_size);
}

static int reduce_finish(rill__worker *w, rill__reduction *r)
{
    const rill__stage *s = &w->run->stages[r->owner];
    int rc;
    if (r->partials && (rc = merge_stores(w, r, s)) < 0)
        return rc;
    if (r->store == NULL &&
        (r->store = rill__store_new(s, s->reduce.store_size, s->reduce.init, &rc)) == NULL)
        return rill__fail(w, r->owner, 0, 0, NULL, rc, rc == RILL_ENOMEM,
                          "initialising its store");
    return rill__reduction_close(w, r, reduce_emit, r->store);
}

static int reduce_shared_store(const rill__stage *s)
{
    return s->reduce.merge == NULL;
}

static int reduce_per_worker(const rill__stage *s)
{
    return s->reduce.merge != NULL;
}

static void reduce_state_free(const rill__stage *s, void *state)
{
    rill__store_free(s, s->reduce.free, state);
}

static int reduce_encode(const rill__stage *s, const void *state, void **bytes, size_t *len)
{
    return rill__store_encode(s, s->reduce.store_size, s->reduce.encode, state, bytes, len);
}

static int reduce_decode(const rill__stage *s, const void *bytes, size_t len, void **state)
{
    return rill__store_decode(s, s->reduce.store_size, s->reduce.decode, s->reduce.free, bytes, len,
                              state);
}

/* A store with a free callback holds pointers: only its encode can save it. */
static int reduce_savable(const rill__stage *s)
{
    return s->reduce.free == NULL || (s->reduce.encode && s->reduce.decode);
}

const rill_stage_kind rill__kind_reduce = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "reduce",
    .flags = RILL_KIND_SCOPE | RILL_KIND_ANYWHERE, /* merge-less: shared_store */
    .process = reduce_process,
    .shared_store = reduce_shared_store,
    .per_worker = reduce_per_worker,
    .state_free = reduce_state_free,
    .finish = reduce_finish,
    .merge = reduce_merge,
    .encode = reduce_encode,
    .decode = reduce_decode,
    .savable = reduce_savable,
};
