/* exec.c — processing one task at one stage, and the emitter.
 *
 * What a callback emits is gathered in a batch for the stage it goes to;
 * when the batch is full, or the input task is done, it becomes a task that
 * this worker processes at once (depth first, cache-warm, no lock) unless
 * the target stage is already on this worker's stack (no re-entry into a
 * stage's partial store), nesting is too deep, a serial stage or a
 * reduction's lock is taken, or other workers are idle and could take it
 * (not a result batch: that is a copy, cheaper than waking a worker) —
 * then it is queued. Each task holds one unit of its reduction's pending
 * count from creation until it has been processed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../record/tuple.h"
#include "ahead.h"
#include "run.h"

rill_batch *rill__worker_batch(rill__worker *w)
{
    rill_batch *b;
    if (w->ncache > 0) {
        b = w->cache[--w->ncache];
        b->n = b->used = 0;
        atomic_store_explicit(&b->refs, 1, memory_order_relaxed);
        return b;
    }
    if (rill_batch_new(&b) < 0)
        return NULL;
    if (rill__batch_grow(b, w->run->batch_records, w->run->batch_records * 16) < 0) {
        rill_batch_free(b);
        return NULL;
    }
    return b;
}

void rill__worker_unref(rill__worker *w, rill_batch *b)
{
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (w->ncache < RILL__BATCH_CACHE && b->cap <= ((size_t)1 << 22) &&
        b->ncap <= 4 * w->run->batch_records)
        w->cache[w->ncache++] = b;
    else
        rill_batch_free(b);
}

int rill__task_new(rill__worker *w, int stage, rill__reduction *red,
                   rill_batch *batch, size_t begin, size_t end, rill__task **out)
{
    rill__task *t = malloc(sizeof(*t));
    *out = NULL;
    if (t == NULL)
        return RILL_ENOMEM;
    t->next = NULL;
    t->stage = stage;
    t->from = -1;
    t->phase = 0;
    t->red = red;
    t->batch = batch;
    t->begin = begin;
    t->end = end;
    atomic_fetch_add_explicit(&batch->refs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&red->pending, 1, memory_order_relaxed);
    if (w->run->close.on)
        atomic_fetch_add_explicit(&w->run->close.live[stage], 1, memory_order_relaxed);
    *out = t;
    return 0;
}

void rill__task_free(rill__worker *w, rill__task *t)
{
    rill__worker_unref(w, t->batch);
    free(t);
}

void rill__run_stop(rill__run *run, int code, const char *msg, int locked)
{
    pthread_mutex_lock(&run->fail.mu);
    if (run->fail.code == 0) { /* the first failure is the run's */
        run->fail.code = code;
        snprintf(run->fail.msg, sizeof(run->fail.msg), "%s", msg);
    }
    pthread_mutex_unlock(&run->fail.mu);
    atomic_store(&run->fail.stop, 1);
    RILL__ASSERT(!locked || rill__mutex_held(&run->sched.mu));
    if (!locked)
        rill__mutex_lock(&run->sched.mu);
    pthread_cond_broadcast(&run->sched.cv);
    pthread_cond_broadcast(&run->out.cv);
    if (!locked)
        rill__mutex_unlock(&run->sched.mu);
    rill__tp_wake(run);
}

int rill__fail(rill__worker *w, int stage, size_t index, size_t count,
               const rill_record *rec, int rc, int internal, const char *doing)
{
    rill__run *run = w->run;
    char quoted[64] = "", reason[RILL__ERROR_MAX - 400], who[160], msg[RILL__ERROR_MAX];
    int code = internal ? rc : RILL_EUSER;
    if (atomic_load(&run->fail.stop) && rc == RILL_ECANCELLED)
        return RILL_ECANCELLED;
    if (rill_error_last()[0])
        snprintf(reason, sizeof(reason), "%s", rill_error_last());
    else if (code == RILL_EUSER)
        snprintf(reason, sizeof(reason), "callback returned %d", rc);
    else
        snprintf(reason, sizeof(reason), "%s", rill_strerror(code));
    if (rec)
        rill__quote(quoted, sizeof(quoted), rec->data, rec->len);
    rill__stage_label(run->p, stage, who, sizeof(who)); /* the user's names only */
    if (rec && count > 1)
        snprintf(msg, sizeof(msg), "%s failed %s records %zu-%zu (first %s): %s", who, doing,
                 index, index + count - 1, quoted, reason);
    else if (rec)
        snprintf(msg, sizeof(msg), "%s failed %s record %zu %s: %s", who, doing, index,
                 quoted, reason);
    else
        snprintf(msg, sizeof(msg), "%s failed %s: %s", who, doing, reason);
    rill__run_stop(run, code, msg, 0);
    return RILL_ECANCELLED;
}

/* Views for n records at this worker's nesting depth: an add or task
 * running inline inside another one gets arrays of its own. */
int rill__scratch(rill__worker *w, size_t n, rill_record **out)
{
    int d = w->depth > 0 ? w->depth - 1 : 0; /* this call's level: ours alone */
    if (n > w->nscratch[d]) {
        rill_record *v = realloc(w->scratch[d], n * sizeof(*v));
        if (v == NULL)
            return RILL_ENOMEM;
        w->scratch[d] = v;
        w->nscratch[d] = n;
    }
    *out = w->scratch[d];
    return 0;
}

/* ---- emitter ---- */

void rill__emitter_init(rill_emitter *e, rill__worker *w, int stage, int target,
                        rill__reduction *red)
{
    e->w = w;
    e->stage = stage;
    e->target = target;
    e->red = red;
    e->batch = NULL;
    e->limit = w->run->batch_records;
    e->bytes = RILL__BATCH_BYTES;
    e->count = e->counted = 0;
    e->queue = 0;
    e->direct = target < 0 ? rill__combine_direct_target(w, stage, red) : -1;
    e->subs = NULL;
    e->sum = e->direct >= 0 ? rill__combine_sum_table(w, e->direct, red) : NULL;
    e->ahead_in = e->ahead_out = e->ahead_figured = 0;
}


/* Flushes (flush) or drops the emitters to named successors, and frees them. */
static int subs_end(rill_emitter *e, int flush)
{
    const rill__stage *s = &e->w->run->stages[e->stage];
    int i, rc = 0, r2;
    if (e->subs == NULL)
        return 0;
    for (i = 0; i < s->nsucc; i++) {
        if (e->subs[i].w == NULL) /* never asked for */
            continue;
        if (!flush || rc < 0)
            rill__emitter_discard(&e->subs[i]);
        else if ((r2 = rill__emitter_flush(&e->subs[i])) < 0)
            rc = r2;
    }
    free(e->subs);
    e->subs = NULL;
    return rc;
}

int rill_emitter_to(rill_emitter **to, rill_emitter *out, const char *successor)
{
    const rill__run *run;
    const rill__stage *s;
    char names[400];
    size_t len = 0;
    int i;
    if (to)
        *to = NULL;
    if (out == NULL)
        return rill__no_emitter("rill_emitter_to");
    if (to == NULL || successor == NULL)
        return rill__error(RILL_EINVAL, "rill_emitter_to: NULL %s", to ? "successor" : "to");
    if (out->target >= 0 || out->stage < 0)
        return rill__error(RILL_EINVAL, "rill_emitter_to: this emitter sends back into a "
                                        "scope or to one stage already, not to successors");
    run = out->w->run;
    s = &run->stages[out->stage];
    for (i = 0; i < s->nsucc; i++) {
        int k = s->succ[i];
        if (k >= run->nstages - 1 || strcmp(run->stages[k].name, successor) != 0)
            continue; /* the result stage has no name a user gave */
        if (out->subs == NULL) {
            out->subs = calloc((size_t)s->nsucc, sizeof(*out->subs));
            if (out->subs == NULL)
                return rill__error(RILL_ENOMEM, "out of memory");
        }
        if (out->subs[i].w == NULL) {
            rill__emitter_init(&out->subs[i], out->w, out->stage, k, out->red);
            out->subs[i].queue = out->queue;
        }
        *to = &out->subs[i];
        return 0;
    }
    names[0] = 0;
    for (i = 0; i < s->nsucc && len < sizeof(names); i++)
        if (s->succ[i] < run->nstages - 1)
            len += (size_t)snprintf(names + len, sizeof(names) - len, "%s'%s'",
                                    len ? ", " : "", run->stages[s->succ[i]].name);
    /* the run's message names the stage in full before this: the name will do */
    return rill__error(RILL_ENOTFOUND, "no successor of '%.200s' is named '%.200s' (%s%s)",
                       s->name, successor, len ? "its successors: " : "it has none",
                       len ? names : "");
}

/* Sends e's batch on (not its emitters to one successor: a callback may
 * still hold them, until rill__emitter_flush). */
static int flush_batch(rill_emitter *e)
{
    rill_batch *b = e->batch;
    const rill__stage *s = &e->w->run->stages[e->stage];
    int rc = 0, i;
    if (e->ahead_in != e->ahead_out && (rc = rill__combine_drain(e)) < 0)
        return rc;
    e->count += e->ahead_in - e->ahead_figured; /* the held-back keys are records too */
    e->ahead_figured = e->ahead_in;
    if (e->direct >= 0 && e->stage >= 0) { /* folded records: counted here, per flush */
        rill__stat_add(&rill__stats_of(e->w->run, e->stage, e->w)->records_out,
                       e->count - e->counted);
        rill__stat_add(&rill__stats_of(e->w->run, e->direct, e->w)->records_in,
                       e->count - e->counted);
        e->counted = e->count;
    }
    if (b == NULL)
        return 0;
    e->batch = NULL;
    rill__stat_add(&rill__stats_of(e->w->run, e->stage, e->w)->records_out, b->n);
    if (e->target >= 0)
        rc = rill__route_to(e->w, e->target, e->stage, e->red, b, 0, b->n, e->queue);
    else
        for (i = 0; i < s->nsucc && rc == 0; i++) /* each successor gets it all */
            rc = rill__route_to(e->w, s->succ[i], e->stage, e->red, b, 0, b->n, e->queue);
    rill__worker_unref(e->w, b); /* the tasks hold it now */
    return rc;
}

int rill__emitter_flush(rill_emitter *e)
{
    int rc;
    if (e->subs && (rc = subs_end(e, 1)) < 0) {
        rill__emitter_discard(e);
        return rc;
    }
    return flush_batch(e);
}

const char *rill_context(const rill_emitter *out, const char *key)
{
    const rill__stage *s;
    int i;
    if (out == NULL || key == NULL || out->stage < 0)
        return NULL;
    s = &out->w->run->stages[out->stage];
    for (i = 0; i < s->nctx; i++)
        if (strcmp(s->ctx[2 * i], key) == 0)
            return s->ctx[2 * i + 1];
    return NULL;
}

void rill__emitter_discard(rill_emitter *e)
{
    if (e->subs)
        subs_end(e, 0);
    e->ahead_out = e->ahead_figured = e->ahead_in; /* the task failed: its held-back keys go with it */
    if (e->batch)
        rill__worker_unref(e->w, e->batch);
    e->batch = NULL;
}

__attribute__((noinline, cold)) int rill__no_emitter(const char *call)
{
    return rill__error(RILL_EINVAL, "%s: the emitter is NULL (emit only from a callback, "
                                    "into the emitter it was given)", call);
}

int rill__emitter_next_batch(rill_emitter *e)
{
    int rc;
    if (atomic_load_explicit(&e->w->run->fail.stop, memory_order_relaxed))
        return RILL_ECANCELLED;
    if (e->batch && (rc = flush_batch(e)) < 0) /* a full batch, mid-callback */
        return rc;
    if ((e->batch = rill__worker_batch(e->w)) == NULL)
        return rill__fail(e->w, e->stage, 0, 0, NULL, RILL_ENOMEM, 1, "emitting records");
    return 0;
}

static __attribute__((noinline, cold)) int emit_slow(rill_emitter *e, uint32_t klen, size_t len, char **k, char **d)
{
    int rc;
    if (e->direct >= 0 && !atomic_load_explicit(&e->w->run->fail.stop, memory_order_relaxed))
        return rill__combine_direct(e, NULL, 0, 0, NULL, len); /* typed values have no
                                                                   key: the combine refuses them */
    if ((rc = rill__emitter_next_batch(e)) < 0)
        return rc;
    if ((rc = rill__batch_reserve_fast(e->batch, klen, len, k, d)) < 0)
        return rc;
    e->count++;
    return 0;
}

static inline int emit_reserve(rill_emitter *e, uint32_t klen, size_t len,
                               char **k, char **d)
{
    rill_batch *b = e->batch;
    if (__builtin_expect(b != NULL && b->n < e->limit &&
                         b->used + len + (klen == RILL__NOKEY ? 0 : klen) <= e->bytes,
                         1)) {
        int rc = rill__batch_reserve_fast(b, klen, len, k, d);
        e->count += rc == 0;
        return rc;
    }
    return emit_slow(e, klen, len, k, d);
}

static inline __attribute__((always_inline)) int
emit(rill_emitter *e, const void *key, size_t klen, int keyed, const void *data, size_t len)
{
    char *kp, *dp;
    int rc;
    if (e->direct >= 0)
        return rill__combine_direct(e, key, klen, keyed, data, len);
    if (__builtin_expect(klen > RILL_RECORD_MAX || (key == NULL && klen) ||
                         (data == NULL && len), 0))
        return rill__error(klen > RILL_RECORD_MAX ? RILL_ERANGE : RILL_EINVAL,
                           "cannot emit a key of %zu bytes at %p, data of %zu at %p", klen,
                           key, len, data);
    if ((rc = emit_reserve(e, keyed ? (uint32_t)klen : RILL__NOKEY, len, &kp, &dp)) < 0)
        return rc;
    rill__copy(kp, key, klen);
    rill__copy(dp, data, len);
    return 0;
}

int rill_emit(rill_emitter *e, const void *data, size_t len)
{
    if (__builtin_expect(e == NULL, 0))
        return rill__no_emitter("rill_emit");
    return emit(e, NULL, 0, 0, data, len);
}

static __attribute__((noinline)) int emit_keyed_slow(rill_emitter *e, const void *key,
                                                     size_t key_len, const void *data,
                                                     size_t len)
{
    return emit(e, key, key_len, 1, data, len);
}

/* The common case of a short keyed record with room in the batch, kept
 * small so that it needs no stack frame: everything else goes the long way. */
int rill_emit_keyed(rill_emitter *e, const void *key, size_t key_len,
                    const void *data, size_t len)
{
    rill_batch *b;
    if (__builtin_expect(e == NULL, 0))
        return rill__no_emitter("rill_emit_keyed");
    b = e->batch;
    if (e->sum && key_len <= RILL__KEY_INLINE && len == 0 && key) /* a word to count */
        return rill__ahead_push(e, key, key_len, 1);
    if (e->direct >= 0) /* straight into the following combine's table */
        return rill__combine_direct(e, key, key_len, 1, data, len);
    if (__builtin_expect(b != NULL && b->n < e->limit && key_len <= 16 && len <= 16 &&
                         key != NULL && (data != NULL || len == 0) &&
                         b->cap - b->used >= 32 && b->n < b->ncap, 1)) {
        rill__rec *r = &b->recs[b->n++];
        char *p = b->arena + b->used;
        r->off = b->used;
        r->len = (uint32_t)len;
        r->klen = (uint32_t)key_len;
        b->used += key_len + len;
        e->count++;
        rill__copy(p, key, key_len);
        rill__copy(p + key_len, data, len);
        return 0;
    }
    return emit_keyed_slow(e, key, key_len, data, len);
}

int rill_emit_record(rill_emitter *e, const rill_record *r)
{
    if (e == NULL)
        return rill__no_emitter("rill_emit_record");
    if (r == NULL)
        return rill__error(RILL_EINVAL, "rill_emit_record: the record is NULL");
    return emit(e, r->key, r->key_len, r->key != NULL, r->data, r->len);
}

int rill_emit_int64(rill_emitter *e, int64_t v)
{
    char *dp;
    int rc;
    if (__builtin_expect(e == NULL, 0))
        return rill__no_emitter("rill_emit_int64");
    rc = emit_reserve(e, RILL__NOKEY, sizeof(v), NULL, &dp);
    if (rc == 0)
        memcpy(dp, &v, sizeof(v));
    return rc;
}

int rill_emit_double(rill_emitter *e, double v)
{
    char *dp;
    int rc;
    if (__builtin_expect(e == NULL, 0))
        return rill__no_emitter("rill_emit_double");
    rc = emit_reserve(e, RILL__NOKEY, sizeof(v), NULL, &dp);
    if (rc == 0)
        memcpy(dp, &v, sizeof(v));
    return rc;
}

int rill_emit_text(rill_emitter *e, const char *text)
{
    if (e == NULL)
        return rill__no_emitter("rill_emit_text");
    if (text == NULL)
        return rill__error(RILL_EINVAL, "rill_emit_text: text is NULL");
    return emit(e, NULL, 0, 0, text, strlen(text));
}

int rill_emit_tuple(rill_emitter *e, const char *fmt, ...)
{
    va_list ap;
    size_t len;
    char *dp;
    int rc;
    if (e == NULL)
        return rill__no_emitter("rill_emit_tuple");
    va_start(ap, fmt);
    rc = rill__tuple_size(fmt, ap, &len);
    va_end(ap);
    if (rc < 0 || (rc = emit_reserve(e, RILL__NOKEY, len, NULL, &dp)) < 0)
        return rc;
    va_start(ap, fmt);
    rill__tuple_write(dp, fmt, ap);
    va_end(ap);
    return 0;
}

/* ---- processing ---- */

int rill__entering(const rill__run *run, const rill__task *t)
{
    int k = run->stages[t->stage].opens;
    return k >= 0 && t->red->owner != k;
}

static int needs_lock(const rill__run *run, const rill__task *t)
{
    const rill__stage *s = &run->stages[t->stage];
    return s->ops->shared_store && s->ops->shared_store(s);
}

int rill__deliver(rill__worker *w, rill__task *t)
{
    rill__run *run = w->run;
    int i;
    /* Not handed to an idle worker: a result batch (serial, and a copy: a
     * hand-off costs more than the work, and a run's last output went
     * worker to worker, a wake-up a batch). */
    if (w->depth >= RILL__MAX_DEPTH ||
        (t->stage != run->nstages - 1 &&
         atomic_load_explicit(&run->sched.idle, memory_order_relaxed) > 0))
        goto queue;
    if (rill__ckpt_due(run, 0)) /* back to the loop and its barrier, soon */
        goto queue;
    for (i = 0; i < w->depth; i++)
        if (w->stack[i] == t->stage)
            goto queue;
    if (rill__entering(run, t)) /* opens reductions only: no flag, no lock */
        return rill__process(w, t, 0);
    if (!rill__slot_take(run, t->stage))
        goto queue;
    if (needs_lock(run, t)) {
        if (pthread_mutex_trylock(&t->red->mu) != 0) {
            rill__slot_release(run, t->stage);
            goto queue;
        }
        return rill__process(w, t, 1);
    }
    return rill__process(w, t, 0);
queue:
    rill__push(run, t);
    return 0;
}

/* Each record opens a reduction of the scope its stage opens and goes on, as
 * a task of its own, under that reduction. */
static int enter_scope(rill__worker *w, const rill__task *t)
{
    rill__run *run = w->run;
    size_t i;
    for (i = t->begin; i < t->end; i++) {
        rill__reduction *c;
        rill__task *sub;
        rill_record r;
        int rc;
        rill__batch_view(t->batch, i, &r);
        if ((rc = rill__reduction_open(run, run->stages[t->stage].opens, t->red, 0, &c)) < 0)
            return rill__fail(w, t->stage, i, 1, &r, rc, 1, "opening a reduction for");
        if (rill__task_new(w, t->stage, c, t->batch, i, i + 1, &sub) < 0)
            return rill__fail(w, t->stage, i, 1, &r, RILL_ENOMEM, 1, "entering a scope with");
        if ((rc = rill__deliver(w, sub)) < 0)
            return rc;
    }
    return 0;
}

int rill__process(rill__worker *w, rill__task *t, int locked)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    rill__reduction *red = t->red;
    int rc = 0, rc2, enter = rill__entering(run, t), stage = t->stage;
    if (atomic_load_explicit(&run->fail.stop, memory_order_relaxed)) {
        if (locked)
            pthread_mutex_unlock(&red->mu);
    } else if (enter) {
        rc = enter_scope(w, t);
    } else if (t->phase == RILL__PHASE_CLOSE) { /* a reduction's input to it ended */
        w->stack[w->depth++] = t->stage;
        rc = s->ops->close(w, t);
        w->depth--;
        if (rc != 0 && !atomic_load(&run->fail.stop))
            rc = rill__fail(w, stage, 0, 0, NULL, rc, 0, "closing");
    } else if (t->phase == 0 && s->ops->expand) {
        rc = s->ops->expand(w, t); /* prepares work; runs no user work itself */
    } else {
        w->stack[w->depth++] = t->stage;
        atomic_fetch_add_explicit(&run->sched.runs[t->stage], 1, memory_order_relaxed);
        rill__stat_add(&rill__stats_of(run, t->stage, w)->calls, 1);
        rc = s->ops->process(w, t, locked); /* once per task, never per record */
        w->depth--;
        if (rc == 0 && run->close.bit && run->close.bit[stage] >= 0)
            rill__reduction_hold(run, red, stage); /* until its close for red */
        rill__progress_tick(w); /* also inline, within a long unit of work */
        if (rc != 0 && !atomic_load(&run->fail.stop)) /* not through rill__fail */
            rc = rill__fail(w, stage, 0, 0, NULL, rc, 0, "on");
    }
    if (!enter)
        rill__slot_release(run, stage);
    rill__task_free(w, t);
    if (run->close.on && atomic_fetch_sub_explicit(&run->close.live[stage], 1,
                                                  memory_order_acq_rel) == 1 &&
        (rc2 = rill__try_close(w, stage)) < 0 && rc == 0)
        rc = rc2;
    rc2 = rill__reduction_release(w, red);
    return rc ? rc : rc2;
}
