/* map.c — rill_map: an ordered parallel map over a list (rill/map.h).
 *
 * A map is a run of a one-stage pipeline. Its work list holds the
 * elements' indices (8 bytes each; the first record's key is a hash of the
 * whole list), which the engine cuts into ranges for its workers and for
 * other ranks asking for work. Every rank has the same list (rill_map is
 * called on every rank, as rill_run is; the hash in the work list makes the
 * pipelines of ranks whose lists differ differ too, which the run refuses),
 * so an index is all that travels and the list itself is never copied. The
 * stage, of the internal kind "map", reads element i of its rank's list,
 * calls the user's callback with an emitter that collects instead of
 * routing (its batch is never flushed), and emits ONE record per element:
 *
 *     u64 index, u32 count, then count times: u32 key_len (UINT32_MAX: no
 *     key), key, u32 len, data                    (host byte order)
 *
 * The run's results (on rank 0: every element's record, in no order) are
 * put in order as they arrive, by the run's output callback: the next
 * element's results are unpacked at once, those that come early wait
 * (reorder below), so the results are never held twice. A callback's
 * failure names the element's index, not the order the workers took
 * elements in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../util/error.h"
#include "rill/dist.h"
#include "rill/map.h"
#include "run.h"

typedef struct map_state {
    const rill_batch *list; /* borrowed: the user's */
    rill_job_fn fn;
    void *payload;
} map_state;

/* The indices of the list's elements into out (sized once), the first
 * keyed with a hash of the list's records. */
static int index_list(rill_batch *out, const rill_batch *list)
{
    size_t n = rill_batch_count(list), i;
    uint64_t hash = XXH3_64bits_withSeed(list->recs, n * sizeof(*list->recs),
                                         XXH3_64bits(list->arena, list->used));
    int rc = rill__batch_grow(out, n, n * sizeof(uint64_t) + sizeof(hash));
    for (i = 0; i < n && rc == 0; i++) {
        uint64_t idx = i;
        char *kp, *dp;
        rc = rill__batch_reserve(out, i ? RILL__NOKEY : (uint32_t)sizeof(hash), sizeof(idx),
                                 &kp, &dp);
        if (rc == 0) {
            if (i == 0)
                memcpy(kp, &hash, sizeof(hash));
            memcpy(dp, &idx, sizeof(idx));
        }
    }
    return rc;
}

/* Bytes of the packed result of the records in got. */
static size_t packed_size(const rill_batch *got)
{
    size_t i, size = sizeof(uint64_t) + sizeof(uint32_t);
    for (i = 0; got && i < got->n; i++) {
        rill_record r;
        rill__batch_view(got, i, &r);
        size += 2 * sizeof(uint32_t) + (r.key ? r.key_len : 0) + r.len;
    }
    return size;
}

static char *put32(char *at, uint32_t v)
{
    memcpy(at, &v, sizeof(v));
    return at + sizeof(v);
}

static void pack(char *at, uint64_t idx, const rill_batch *got)
{
    size_t i, n = got ? got->n : 0;
    memcpy(at, &idx, sizeof(idx));
    at = put32(at + sizeof(idx), (uint32_t)n);
    for (i = 0; i < n; i++) {
        rill_record r;
        rill__batch_view(got, i, &r);
        at = put32(at, r.key ? (uint32_t)r.key_len : RILL__NOKEY);
        if (r.key && r.key_len) {
            memcpy(at, r.key, r.key_len);
            at += r.key_len;
        }
        at = put32(at, (uint32_t)r.len);
        if (r.len) {
            memcpy(at, r.data, r.len);
            at += r.len;
        }
    }
}

/* "map 'NAME' failed on element I: why": the index in the user's list
 * (its bytes, which may be any, are the user's to show: the index finds
 * them). */
static int element_failed(rill__worker *w, int stage, uint64_t idx, int rc)
{
    char msg[RILL__ERROR_MAX], reason[RILL__ERROR_MAX - 300];
    if (atomic_load(&w->run->fail.stop) && rc == RILL_ECANCELLED)
        return RILL_ECANCELLED;
    if (rill_error_last()[0])
        snprintf(reason, sizeof(reason), "%s", rill_error_last());
    else
        snprintf(reason, sizeof(reason), "callback returned %d", rc);
    snprintf(msg, sizeof(msg), "map '%.80s' failed on element %llu: %s",
             w->run->stages[stage].name, (unsigned long long)idx, reason);
    rill__run_stop(w->run, RILL_EUSER, msg, 0);
    return RILL_ECANCELLED;
}

static int map_process(rill__worker *w, rill__task *t, int locked)
{
    const rill__stage *s = &w->run->stages[t->stage];
    const map_state *m = s->payload;
    rill_emitter out, got;
    char *buf = NULL; /* one element's packed result */
    size_t i, cap = 0;
    int rc = 0;
    (void)locked;
    rill__emitter_init(&out, w, t->stage, -1, t->red);
    /* what the callback emits is collected, never routed: one batch for the
     * task, emptied after each element */
    rill__emitter_init(&got, w, t->stage, t->stage, t->red);
    got.limit = got.bytes = SIZE_MAX;
    got.direct = -1;
    for (i = t->begin; i < t->end && rc == 0; i++) {
        rill_record ix, el;
        uint64_t idx = UINT64_MAX;
        size_t size;
        rill__batch_view(t->batch, i, &ix);
        if (ix.len == sizeof(idx))
            memcpy(&idx, ix.data, sizeof(idx));
        if (idx >= rill_batch_count(m->list)) { /* only index_list makes these */
            free(buf);
            rill__emitter_discard(&got);
            rill__emitter_discard(&out);
            return rill__fail(w, t->stage, 0, 0, NULL, RILL_ECORRUPT, 1, "reading elements");
        }
        rill__batch_view(m->list, idx, &el);
        if (got.batch) {
            got.batch->n = got.batch->used = 0;
            got.count = 0;
        }
        rill_error_clear();
        if ((rc = m->fn(&got, &el, m->payload)) != 0) {
            rill__emitter_discard(&got);
            rill__emitter_discard(&out);
            free(buf);
            return element_failed(w, t->stage, idx, rc);
        }
        size = packed_size(got.batch);
        if (size > RILL_RECORD_MAX)
            rc = rill__error(RILL_ERANGE, "the results of one element exceed %zu bytes",
                             (size_t)RILL_RECORD_MAX);
        else if (size > cap) {
            char *nb = realloc(buf, size);
            if (nb == NULL)
                rc = rill__error(RILL_ENOMEM, "out of memory");
            else {
                buf = nb;
                cap = size;
            }
        }
        if (rc == 0) {
            pack(buf, idx, got.batch);
            rc = rill_emit(&out, buf, size);
        }
        if (rc != 0) {
            rill__emitter_discard(&got);
            rill__emitter_discard(&out);
            free(buf);
            return element_failed(w, t->stage, idx, rc);
        }
    }
    rill__emitter_discard(&got);
    free(buf);
    return rill__emitter_flush(&out);
}

static const rill_stage_kind kind_map = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "map",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_ANYWHERE |
             RILL_KIND_SHUFFLED,
    .process = map_process,
};

static uint32_t get32(const char **at)
{
    uint32_t v;
    memcpy(&v, *at, sizeof(v));
    *at += sizeof(v);
    return v;
}

/* Appends the results packed in r (one element's) to out. */
static int unpack(rill_batch *out, const rill_record *r)
{
    const char *p = (const char *)r->data + sizeof(uint64_t);
    uint32_t k, count = get32(&p);
    int rc = 0;
    for (k = 0; k < count && rc == 0; k++) {
        uint32_t klen = get32(&p), len;
        const char *key = p;
        if (klen != RILL__NOKEY)
            p += klen;
        len = get32(&p);
        rc = klen == RILL__NOKEY ? rill_batch_add(out, p, len)
                                 : rill_batch_add_keyed(out, key, klen, p, len);
        p += len;
    }
    return rc;
}

/* Putting results in order as they arrive (the output callback, on rank 0,
 * one call at a time): the next element's goes straight to out, one that
 * comes early waits in held, found again through a min-heap of indices.
 * Elements are cut from the list in order and the scheduler runs those
 * nearest the results first, so few wait: memory beyond the results is in
 * proportion to how far ahead the workers got, not to the list. */
typedef struct early {
    uint64_t idx;
    size_t at; /* its record in held */
} early;

typedef struct reorder {
    rill_batch *out;  /* the results in the list's order */
    rill_batch *held; /* owned: the packed results that came early */
    early *heap;      /* owned: min-heap on idx */
    size_t nheap, cap;
    uint64_t next, n; /* the next element's index; the number of elements */
} reorder;

static void heap_pop(reorder *o)
{
    size_t i = 0;
    early last = o->heap[--o->nheap];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= o->nheap)
            break;
        if (c + 1 < o->nheap && o->heap[c + 1].idx < o->heap[c].idx)
            c++;
        if (last.idx <= o->heap[c].idx)
            break;
        o->heap[i] = o->heap[c];
        i = c;
    }
    if (o->nheap)
        o->heap[i] = last;
}

static int heap_push(reorder *o, uint64_t idx, size_t at)
{
    size_t i;
    if (o->nheap == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        early *h = realloc(o->heap, cap * sizeof(*h));
        if (h == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        o->heap = h;
        o->cap = cap;
    }
    for (i = o->nheap++; i > 0 && o->heap[(i - 1) / 2].idx > idx; i = (i - 1) / 2)
        o->heap[i] = o->heap[(i - 1) / 2];
    o->heap[i].idx = idx;
    o->heap[i].at = at;
    return 0;
}

static int in_order(const rill_record *r, reorder *o)
{
    uint64_t idx;
    int rc;
    memcpy(&idx, r->data, sizeof(idx));
    if (idx >= o->n || idx < o->next)
        return rill__error(RILL_ECORRUPT, "rill_map: element %llu came back twice",
                           (unsigned long long)idx);
    if (idx != o->next) { /* early: it waits */
        if ((rc = rill_batch_add_record(o->held, r)) < 0)
            return rc;
        return heap_push(o, idx, rill_batch_count(o->held) - 1);
    }
    if ((rc = unpack(o->out, r)) < 0)
        return rc;
    o->next++;
    while (o->nheap && o->heap[0].idx == o->next) {
        rill_record h;
        rill__batch_view(o->held, o->heap[0].at, &h);
        if ((rc = unpack(o->out, &h)) < 0)
            return rc;
        heap_pop(o);
        o->next++;
    }
    if (o->nheap == 0)
        rill_batch_clear(o->held); /* nothing waits: its memory is reused */
    return 0;
}

/* The run's output callback: a batch of packed results at a time. */
static int in_order_batch(const char *sink, const rill_batch *batch, void *payload)
{
    size_t i;
    int rc = 0;
    (void)sink;
    for (i = 0; i < batch->n && rc == 0; i++) {
        rill_record r;
        rill__batch_view(batch, i, &r);
        rc = in_order(&r, payload);
    }
    return rc;
}

int rill_map(rill_batch **results, const rill_batch *list, const rill_map_options *opts,
             rill_job_fn fn, void *payload)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_run_options ro = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p = NULL;
    rill_batch *out = NULL, *work = NULL;
    reorder order = {0};
    rill__stage *s;
    map_state m;
    int rc;
    if (results)
        *results = NULL;
    if (results == NULL || list == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_map: NULL %s",
                           results == NULL ? "results" : list == NULL ? "list" : "callback");
    if (opts) {
        if (opts->version != RILL_MAP_OPTIONS_VERSION)
            return rill__error(RILL_EINVAL, "rill_map: options of version %u, this rill "
                               "reads version %u (initialise them with "
                               "RILL_MAP_OPTIONS_INIT)", opts->version,
                               RILL_MAP_OPTIONS_VERSION);
        o = *opts;
    }
    if (o.workers < 0)
        return rill__error(RILL_EINVAL, "rill_map: a negative number of workers");
    if (o.name && o.name[0] == '\0')
        return rill__error(RILL_EINVAL, "rill_map: an empty name (NULL gives \"map\")");
    m.list = list;
    m.fn = fn;
    m.payload = payload;
    ro.workers = o.workers;
    ro.batch_records = o.batch_records ? o.batch_records : 64;
    if ((rc = rill_pipeline_new(&p)) < 0 ||
        (rc = rill__add_stage(p, &kind_map, o.name ? o.name : "map", &s)) < 0 ||
        (rc = rill_batch_new(&work)) < 0)
        goto done;
    if ((rc = index_list(work, list)) < 0)
        goto done;
    rc = rill_work(p, work);
    work = NULL; /* the pipeline's, even when refused */
    if (rc < 0)
        goto done;
    s->payload = &m;
    order.n = rill_batch_count(list);
    if ((rc = rill_batch_new(&out)) < 0 || (rc = rill_batch_new(&order.held)) < 0)
        goto done;
    order.out = out;
    if ((rc = rill_output(p, in_order_batch, &order)) < 0 || (rc = rill_run(p, &ro, NULL)) < 0)
        goto done;
    if (rill_rank() == 0 && (order.next != order.n || order.nheap)) {
        rc = rill__error(RILL_ECORRUPT, "rill_map: %llu of %llu results came back",
                         (unsigned long long)order.next, (unsigned long long)order.n);
        goto done;
    }
    *results = out;
    out = NULL;
done:
    rill_batch_free(work);
    rill_batch_free(out);
    rill_batch_free(order.held);
    free(order.heap);
    rill_pipeline_free(p);
    return rc;
}
