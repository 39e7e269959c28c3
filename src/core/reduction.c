/* reduction.c — reductions: opening, counting, finishing; and the stages
 * that keep state in them (reduce, combine, frame, frame end).
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

#include "../dist/dist.h"
#include "keytable.h"
#include "run.h"

int rill__reduction_open(rill__run *run, int owner, rill__reduction *parent,
                         long pending, rill__reduction **out)
{
    rill__reduction *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (r == NULL)
        return RILL_ENOMEM;
    if (owner >= 0 && (run->stages[owner].kind == RILL__COMBINE ||
                       (run->stages[owner].kind == RILL__REDUCE &&
                        run->stages[owner].reduce.merge != NULL))) {
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
    pthread_mutex_lock(&run->live_mu);
    r->next = run->live_list;
    if (run->live_list)
        run->live_list->prev = r;
    run->live_list = r;
    pthread_mutex_unlock(&run->live_mu);
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

/* Releases a partial (store or key table) of a reduction of stage s. */
static void partial_free(const rill__stage *s, void *part)
{
    if (s->kind == RILL__COMBINE)
        rill__keytable_free(part);
    else
        rill__store_free(s, s->reduce.free, part);
}

void rill__reduction_destroy(rill__run *run, rill__reduction *r)
{
    pthread_mutex_lock(&run->live_mu);
    if (r->prev)
        r->prev->next = r->next;
    else
        run->live_list = r->next;
    if (r->next)
        r->next->prev = r->prev;
    pthread_mutex_unlock(&run->live_mu);
    if (r->owner >= 0) {
        const rill__stage *s = &run->stages[r->owner];
        int i;
        size_t k;
        if (r->partials)
            for (i = 0; i < run->workers; i++)
                if (r->partials[i])
                    partial_free(s, r->partials[i]);
        for (k = 0; k < r->nextra; k++)
            partial_free(s, r->extra[k]);
        rill__store_free(s, s->kind == RILL__FRAME ? s->frame.free : s->reduce.free,
                         r->store);
    }
    free(r->partials);
    free(r->extra);
    rill_batch_free(r->first);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* Emits store (or the combine table in r->partials[0]) to the stage after
 * r's owner under r's parent, then closes r. */
static int close_reduction(rill__worker *w, rill__reduction *r, rill_store_emit_fn emit,
                           size_t size)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[r->owner];
    rill__reduction *parent = r->parent;
    rill_emitter e;
    int rc = 0;
    rill__emitter_init(&e, w, r->owner, s->next, parent);
    rill_error_clear();
    if (s->kind == RILL__COMBINE) {
        rill__keytable *t = r->partials[0];
        size_t pos = 0, len;
        const void *key;
        uint64_t hash;
        void *value;
        while (rc == 0 && t && rill__keytable_next(t, &pos, &key, &len, &hash, &value))
            rc = rill_emit_keyed(&e, key, len, value, s->combine.value_size);
    } else if (emit) {
        rc = emit(&e, r->store, s->payload);
    } else {
        rc = rill_emit(&e, r->store, size);
    }
    if (rc != 0) {
        rill__emitter_discard(&e);
        return rill__fail(w, r->owner, 0, 0, NULL, rc, 0, "emitting its store");
    }
    if ((rc = rill__emitter_flush(&e)) < 0)
        return rc;
    rill__reduction_destroy(run, r);
    return rill__reduction_release(w, parent);
}

/* The i-th partial of r: per worker, then those other ranks sent; taken out
 * of r (NULL when there is none). */
static void *take_partial(rill__run *run, rill__reduction *r, int i)
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

static int merge_tables(rill__worker *w, rill__reduction *r, const rill__stage *s)
{
    rill__keytable *into = NULL;
    int i, rc = 0, n = w->run->workers + (int)r->nextra;
    for (i = 0; i < n && rc == 0; i++) {
        rill__keytable *t = take_partial(w->run, r, i);
        size_t pos = 0, len;
        const void *key;
        uint64_t hash;
        void *value;
        if (t == NULL)
            continue;
        if (into == NULL) {
            into = r->partials[0] = t;
            continue;
        }
        while (rc == 0 && rill__keytable_next(t, &pos, &key, &len, &hash, &value)) {
            int created;
            void *acc = rill__keytable_upsert(into, key, len, hash, &created);
            if (acc == NULL)
                rc = rill__fail(w, r->owner, 0, 0, NULL, RILL_ENOMEM, 1, "merging");
            else if (created)
                memcpy(acc, value, s->combine.value_size);
            else if ((rc = s->combine.merge(acc, value, s->payload)) != 0)
                rc = rill__fail(w, r->owner, 0, 0, NULL, rc, 0, "merging");
        }
        rill__keytable_free(t);
    }
    return rc;
}

static int merge_stores(rill__worker *w, rill__reduction *r, const rill__stage *s)
{
    int i, rc = 0, n = w->run->workers + (int)r->nextra;
    for (i = 0; i < n; i++) {
        void *part = take_partial(w->run, r, i);
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

static int frame_step(rill__worker *w, rill__reduction *r);

int rill__fold_extras(rill__worker *w)
{
    rill__run *run = w->run;
    rill__reduction *r;
    int rc = 0;
    pthread_mutex_lock(&run->live_mu);
    for (r = run->live_list; r && rc == 0; r = r->next) {
        const rill__stage *s;
        size_t k;
        if (r->nextra == 0)
            continue;
        s = &run->stages[r->owner];
        if (s->kind == RILL__COMBINE) {
            rc = merge_tables(w, r, s);
        } else {
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
        }
        if (rc == 0)
            r->nextra = 0;
    }
    pthread_mutex_unlock(&run->live_mu);
    return rc;
}

/* r's last pending unit was just released. */
static int finish(rill__worker *w, rill__reduction *r)
{
    rill__run *run = w->run;
    const rill__stage *s = r->owner >= 0 ? &run->stages[r->owner] : NULL;
    int rc = 0;
    if (r->origin >= 0) { /* a proxy: its units and merged store go home */
        if (r->partials && s->kind == RILL__COMBINE && (rc = merge_tables(w, r, s)) < 0)
            return rc;
        if (r->partials && s->kind == RILL__REDUCE && (rc = merge_stores(w, r, s)) < 0)
            return rc;
        return rill__dist_proxy_done(w, r);
    }
    if (r->owner < 0) {
        pthread_mutex_lock(&run->mu);
        run->done = 1;
        pthread_cond_broadcast(&run->cv);
        pthread_cond_broadcast(&run->out_cv);
        pthread_mutex_unlock(&run->mu);
        rill__dist_wake(run);
        return 0;
    }
    switch (s->kind) {
    case RILL__FRAME:
        atomic_store(&r->pending, 1); /* the hold frame_step releases */
        return frame_step(w, r);
    case RILL__COMBINE:
        if ((rc = merge_tables(w, r, s)) < 0)
            return rc;
        if ((rc = rill__dist_shuffle(w, r)) < 0)
            return rill__fail(w, r->owner, 0, 0, NULL, rc, 1, "sending keys to their ranks");
        return close_reduction(w, r, NULL, 0);
    default:
        if (r->partials && (rc = merge_stores(w, r, s)) < 0)
            return rc;
        if (r->store == NULL &&
            (r->store = rill__store_new(s, s->reduce.store_size, s->reduce.init, &rc)) == NULL)
            return rill__fail(w, r->owner, 0, 0, NULL, rc, rc == RILL_ENOMEM,
                              "initialising its store");
        return close_reduction(w, r, s->reduce.emit, s->reduce.store_size);
    }
}

int rill__reduction_release(rill__worker *w, rill__reduction *r)
{
    if (atomic_fetch_sub_explicit(&r->pending, 1, memory_order_acq_rel) != 1)
        return 0;
    if (atomic_load(&w->run->stop))
        return RILL_ECANCELLED;
    return finish(w, r);
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
            return close_reduction(w, r, s->frame.emit, s->frame.store_size);
        }
        if ((rc = rill__emitter_flush(&e)) < 0)
            return rc;
        if (atomic_fetch_sub_explicit(&r->pending, 1, memory_order_acq_rel) != 1)
            return 0;
        if (atomic_load(&w->run->stop))
            return RILL_ECANCELLED;
        atomic_store(&r->pending, 1);
    }
}

int rill__frame_enter(rill__worker *w, int stage, rill__reduction *parent,
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

int rill__reduce_add(rill__worker *w, const rill__task *t, int locked)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    rill__reduction *r = t->red;
    size_t n = t->end - t->begin, i;
    size_t base = atomic_fetch_add_explicit(&run->taken[t->stage], n, memory_order_relaxed);
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

int rill__combine_add(rill__worker *w, const rill__task *t)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    rill__keytable **slot = (rill__keytable **)&t->red->partials[w->id];
    size_t base = atomic_fetch_add_explicit(&run->taken[t->stage], t->end - t->begin,
                                            memory_order_relaxed);
    size_t i;
    int rc;
    /* The built-in sum is folded in here rather than called per record. */
    int sum = s->combine.add == rill_combine_sum_int64_add && s->combine.init == NULL;
    if (*slot == NULL && rill__keytable_new(slot, s->combine.value_size) < 0)
        return rill__fail(w, t->stage, base, 0, NULL, RILL_ENOMEM, 1, "on");
    rill_error_clear();
    for (i = t->begin; i < t->end; i++) {
        rill_record r;
        int created;
        void *acc;
        rill__batch_view(t->batch, i, &r);
        if (r.key == NULL) {
            rill__error(RILL_EINVAL, "the record has no key; combine needs keyed records");
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, RILL_EINVAL, 1, "on");
        }
        acc = rill__keytable_get(*slot, r.key, r.key_len, &created);
        if (acc == NULL)
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, RILL_ENOMEM, 1, "on");
        if (sum && r.len == 0) {
            *(int64_t *)acc += 1;
            continue;
        }
        if ((created && s->combine.init && (rc = s->combine.init(acc, s->payload)) != 0) ||
            (rc = s->combine.add(acc, &r, s->payload)) != 0)
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, rc, 0, "on");
    }
    return 0;
}

int rill__combine_direct_target(rill__worker *w, int stage, rill__reduction *red)
{
    rill__run *run = w->run;
    const rill__stage *s;
    int c, i;
    if (stage < 0)
        return -1;
    s = &run->stages[stage];
    if (s->nsucc != 1)
        return -1;
    c = s->succ[0];
    if (run->stages[c].kind != RILL__COMBINE || red->owner != c || run->limit[c] != 0)
        return -1;
    for (i = 0; i < w->depth; i++)
        if (w->stack[i] == c)
            return -1;
    return c;
}

int rill__combine_direct(rill_emitter *e, const void *key, size_t klen, int keyed,
                         const void *data, size_t len)
{
    rill__worker *w = e->w;
    rill__run *run = w->run;
    int c = e->direct, created, rc;
    const rill__stage *s = &run->stages[c];
    rill__keytable **slot = (rill__keytable **)&e->red->partials[w->id];
    rill_record r = {data, len, keyed ? (key ? key : "") : NULL, keyed ? klen : 0};
    void *acc;
    if (!keyed) {
        rill__error(RILL_EINVAL, "the record has no key; combine needs keyed records");
        return rill__fail(w, c, atomic_load(&run->taken[c]), 1, data ? &r : NULL,
                          RILL_EINVAL, 1, "on");
    }
    if ((key == NULL && klen) || (data == NULL && len) || klen > RILL_RECORD_MAX)
        return rill__error(RILL_EINVAL, "cannot emit a key of %zu bytes at %p, data of %zu "
                           "at %p", klen, key, len, data);
    if (*slot == NULL && rill__keytable_new(slot, s->combine.value_size) < 0)
        return rill__fail(w, c, 0, 0, NULL, RILL_ENOMEM, 1, "on");
    if ((acc = rill__keytable_get(*slot, r.key, klen, &created)) == NULL)
        return rill__fail(w, c, 0, 1, &r, RILL_ENOMEM, 1, "on");
    e->count++; /* counted into the stage's figures when the emitter flushes */
    if (len == 0 && s->combine.add == rill_combine_sum_int64_add && s->combine.init == NULL) {
        *(int64_t *)acc += 1;
        return 0;
    }
    rill_error_clear();
    if ((created && s->combine.init && (rc = s->combine.init(acc, s->payload)) != 0) ||
        (rc = s->combine.add(acc, &r, s->payload)) != 0)
        return rill__fail(w, c, atomic_load(&run->taken[c]), 1, &r, rc, 0, "on");
    return 0;
}

int rill__frame_end_run(rill__worker *w, const rill__task *t, int locked)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    rill__reduction *r = t->red;
    size_t base = atomic_fetch_add_explicit(&run->taken[t->stage], t->end - t->begin,
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

int rill_combine_sum_int64_add(void *acc, const rill_record *rec, void *payload)
{
    int64_t v = 1;
    (void)payload;
    if (rec->len == sizeof(v))
        memcpy(&v, rec->data, sizeof(v));
    else if (rec->len != 0) {
        rill_error_set("a record of %zu bytes is neither an int64 nor empty", rec->len);
        return RILL_ETYPE;
    }
    *(int64_t *)acc += v;
    return 0;
}

int rill_combine_sum_int64_merge(void *acc, void *other, void *payload)
{
    int64_t v;
    (void)payload;
    memcpy(&v, other, sizeof(v));
    *(int64_t *)acc += v;
    return 0;
}
