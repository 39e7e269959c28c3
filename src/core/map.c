/* map.c — rill_map: an ordered parallel map over a list (rill/map.h).
 *
 * A map is a run of a one-stage pipeline. Its work list is the list with
 * each element tagged with its index (data: 8 bytes of index, then the
 * element's data; the element's key kept as the key): one linear copy, that the engine cuts into ranges for its workers and for
 * other ranks asking for work, so elements move between ranks with their
 * index. The stage, of the internal kind "map",
 * calls the user's callback with an emitter that collects instead of
 * routing (its batch is never flushed), and emits ONE record per element:
 *
 *     u64 index, u32 count, then count times: u32 key_len (UINT32_MAX: no
 *     key), key, u32 len, data                    (host byte order)
 *
 * The run's results (on rank 0: every element's record, in no order) are
 * put in order with one array of positions indexed by element, then
 * unpacked: linear in the list and its results, whatever the order they
 * came in. A callback's failure names the element's index, not the order
 * the workers took elements in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "rill/dist.h"
#include "rill/map.h"
#include "run.h"

typedef struct map_state {
    rill_job_fn fn;
    void *payload;
} map_state;

/* The list's elements tagged with their indices, into out (sized once). */
static int tag_list(rill_batch *out, const rill_batch *list)
{
    size_t n = rill_batch_count(list), i;
    int rc = rill__batch_grow(out, n, rill_batch_bytes(list) + n * sizeof(uint64_t));
    for (i = 0; i < n && rc == 0; i++) {
        rill_record r;
        uint64_t idx = i;
        char *kp, *dp;
        rill__batch_view(list, i, &r);
        if (r.len > RILL_RECORD_MAX - sizeof(idx))
            return rill__error(RILL_ERANGE, "rill_map: element %zu has %zu bytes, too many "
                               "to tag with its index", i, r.len);
        rc = rill__batch_reserve(out, r.key ? (uint32_t)r.key_len : RILL__NOKEY,
                                 sizeof(idx) + r.len, &kp, &dp);
        if (rc == 0) {
            if (r.key)
                memcpy(kp, r.key, r.key_len);
            memcpy(dp, &idx, sizeof(idx));
            if (r.len)
                memcpy(dp + sizeof(idx), r.data, r.len);
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

/* "map 'NAME' failed on element I ("...")": the index in the user's list. */
static int element_failed(rill__worker *w, int stage, uint64_t idx, const rill_record *el,
                          int rc)
{
    char quoted[64], msg[RILL__ERROR_MAX], reason[RILL__ERROR_MAX - 300];
    if (atomic_load(&w->run->fail.stop) && rc == RILL_ECANCELLED)
        return RILL_ECANCELLED;
    rill__quote(quoted, sizeof(quoted), el->data, el->len);
    if (rill_error_last()[0])
        snprintf(reason, sizeof(reason), "%s", rill_error_last());
    else
        snprintf(reason, sizeof(reason), "callback returned %d", rc);
    snprintf(msg, sizeof(msg), "map '%.80s' failed on element %llu %s: %s",
             w->run->stages[stage].name, (unsigned long long)idx, quoted, reason);
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
    for (i = t->begin; i < t->end && rc == 0; i++) {
        rill_record tagged, el;
        uint64_t idx;
        size_t size;
        rill__batch_view(t->batch, i, &tagged);
        if (tagged.len < sizeof(idx)) { /* only tag_list makes these */
            free(buf);
            rill__emitter_discard(&out);
            return rill__fail(w, t->stage, 0, 0, NULL, RILL_ECORRUPT, 1, "reading elements");
        }
        memcpy(&idx, tagged.data, sizeof(idx));
        el = tagged;
        el.data = (const char *)tagged.data + sizeof(idx);
        el.len = tagged.len - sizeof(idx);
        /* what the callback emits is collected, never routed */
        rill__emitter_init(&got, w, t->stage, t->stage, t->red);
        got.limit = SIZE_MAX;
        got.direct = -1;
        rill_error_clear();
        if ((rc = m->fn(&got, &el, m->payload)) != 0) {
            rill__emitter_discard(&got);
            rill__emitter_discard(&out);
            free(buf);
            return element_failed(w, t->stage, idx, &el, rc);
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
        rill__emitter_discard(&got);
        if (rc != 0) {
            rill__emitter_discard(&out);
            free(buf);
            return element_failed(w, t->stage, idx, &el, rc);
        }
    }
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

/* The run's packed records, one per element, into out in the list's order. */
static int unpack_in_order(rill_batch *out, const rill_batch *got, size_t n)
{
    size_t *at = NULL, i;
    int rc = 0;
    if (got->n != n)
        return rill__error(RILL_ECORRUPT, "rill_map: %zu results for %zu elements",
                           got->n, n);
    if (n && (at = malloc(n * sizeof(*at))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        at[i] = SIZE_MAX;
    for (i = 0; i < n; i++) {
        rill_record r;
        uint64_t idx;
        rill__batch_view(got, i, &r);
        memcpy(&idx, r.data, sizeof(idx));
        if (idx >= n || at[idx] != SIZE_MAX) {
            rc = rill__error(RILL_ECORRUPT, "rill_map: element %llu came back twice",
                             (unsigned long long)idx);
            goto done;
        }
        at[idx] = i;
    }
    for (i = 0; i < n && rc == 0; i++) {
        rill_record r;
        const char *p;
        uint32_t k, count;
        rill__batch_view(got, at[i], &r);
        p = (const char *)r.data + sizeof(uint64_t);
        count = get32(&p);
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
    }
done:
    free(at);
    return rc;
}

int rill_map(rill_batch **results, const rill_batch *list, const rill_map_options *opts,
             rill_job_fn fn, void *payload)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_run_options ro = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p = NULL;
    rill_batch *got = NULL, *out = NULL, *work = NULL;
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
    m.fn = fn;
    m.payload = payload;
    ro.workers = o.workers;
    ro.batch_records = o.batch_records ? o.batch_records : 64;
    if ((rc = rill_pipeline_new(&p)) < 0 ||
        (rc = rill__add_stage(p, &kind_map, o.name ? o.name : "map", &s)) < 0 ||
        (rc = rill_batch_new(&work)) < 0)
        goto done;
    if ((rc = tag_list(work, list)) < 0)
        goto done;
    rc = rill_work(p, work);
    work = NULL; /* the pipeline's, even when refused */
    if (rc < 0)
        goto done;
    s->payload = &m;
    if ((rc = rill_run(p, &ro, &got)) < 0)
        goto done;
    if ((rc = rill_batch_new(&out)) < 0)
        goto done;
    if (rill_rank() == 0 && (rc = unpack_in_order(out, got, rill_batch_count(list))) < 0)
        goto done;
    *results = out;
    out = NULL;
done:
    rill_batch_free(work);
    rill_batch_free(out);
    rill_batch_free(got);
    rill_pipeline_free(p);
    return rc;
}
