/* helpers.h — small helpers shared by the test suites: building work lists
 * and reading results back as sorted int64 values or strings. */
#ifndef RILL_TESTS_HELPERS_H
#define RILL_TESTS_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rill.h>

/* A work list of the int64 values from..to-1. */
static inline rill_batch *ints(int64_t from, int64_t to)
{
    rill_batch *b;
    int64_t i;
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = from; i < to; i++)
        assert_int_equal(rill_batch_add_int64(b, i), 0);
    return b;
}

static inline int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The int64 values of a batch, sorted; *n gets their number. Caller frees. */
static inline int64_t *sorted_ints(const rill_batch *b, size_t *n)
{
    size_t i;
    int64_t *v = calloc(rill_batch_count(b) + 1, sizeof(*v));
    assert_non_null(v);
    *n = rill_batch_count(b);
    for (i = 0; i < *n; i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, b, i), 0);
        assert_int_equal(rill_record_int64(&v[i], &r), 0);
    }
    qsort(v, *n, sizeof(*v), cmp_i64);
    return v;
}

static inline rill_run_options with_workers(int workers)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    o.workers = workers;
    return o;
}

static inline int64_t i64(const rill_record *r)
{
    int64_t v = 0;
    assert_int_equal(rill_record_int64(&v, r), 0);
    return v;
}

/* The int64 of a batch that must hold exactly one record. */
static inline int64_t only_int64(const rill_batch *b)
{
    rill_record r;
    assert_int_equal(rill_batch_count(b), 1);
    assert_int_equal(rill_batch_get(&r, b, 0), 0);
    return i64(&r);
}

/* A task that passes every record on as it came. */
static inline int copy_all(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++)
        if (rill_emit_record(out, &in[i]) != 0)
            return -1;
    return 0;
}

#endif
