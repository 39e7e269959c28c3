/* inline_helpers.h — what the inline-API suites share: running a case with
 * 1 and 4 workers, a summing reducer, and two small jobs. */
#ifndef RILL_TESTS_INLINE_HELPERS_H
#define RILL_TESTS_INLINE_HELPERS_H

#include "helpers.h"

static const int worker_counts[] = {1, 4};
#define FOR_WORKERS(w) \
    for (size_t wi_ = 0; wi_ < 2 && ((w) = worker_counts[wi_], 1); wi_++)

typedef struct sum_store {
    int64_t sum, adds;
} sum_store;

static inline int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    sum_store *s = store;
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++)
        s->sum += i64(&in[i]);
    s->adds += (int64_t)n;
    return 0;
}

static inline int sum_merge(void *store, void *other, void *payload)
{
    sum_store *s = store, *o = other;
    (void)payload;
    s->sum += o->sum;
    s->adds += o->adds;
    return 0;
}

static inline int sum_emit(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((sum_store *)store)->sum);
}

static inline rill_reduce_options sum_reducer(void)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    r.store_size = sizeof(sum_store);
    r.add = sum_add;
    r.merge = sum_merge;
    r.emit = sum_emit;
    return r;
}

static inline int twice(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, i64(in) * 2);
}

static inline int count_to(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n = i64(in), i;
    (void)payload;
    for (i = 1; i <= n; i++)
        if (rill_emit_int64(out, i) != 0)
            return -1;
    return 0;
}

#endif
