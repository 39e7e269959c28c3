/* record_helpers.h — helpers of the record and tuple suites: building
 * batches, reading records back, and asserting bytes and error messages. */
#ifndef RILL_TESTS_RECORD_HELPERS_H
#define RILL_TESTS_RECORD_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rill.h>


static inline rill_batch *new_batch(void)
{
    rill_batch *b = NULL;
    assert_int_equal(rill_batch_new(&b), 0);
    assert_non_null(b);
    return b;
}

static inline rill_record get(const rill_batch *b, size_t i)
{
    rill_record r;
    memset(&r, 0xAB, sizeof(r));
    assert_int_equal(rill_batch_get(&r, b, i), 0);
    return r;
}

static inline void assert_bytes(const void *got, size_t got_len, const void *want,
                         size_t want_len)
{
    assert_int_equal(got_len, want_len);
    if (want_len)
        assert_memory_equal(got, want, want_len);
}

static inline void assert_error_mentions(const char *what)
{
    const char *msg = rill_error_last();
    assert_non_null(msg);
    if (strstr(msg, what) == NULL)
        fail_msg("error message \"%s\" does not mention \"%s\"", msg, what);
}

/* A heap copy of bytes, so reading one past the end is caught by ASan and a
 * prefix of a record really ends where its length says. */
static inline void *heap_copy(const void *src, size_t len)
{
    void *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, src, len);
    return p;
}

/* The first record of a one-tuple batch built from fmt, copied to the heap. */
static const char isdb_blob[] = {'a', '\0', 'b', '\0', '\0'};

static inline rill_batch *isdb_batch(void)
{
    rill_batch *b = new_batch();
    assert_int_equal(rill_batch_add_tuple(b, "isdb", (int64_t)-42, "forty-two", 4.25,
                                          isdb_blob, sizeof(isdb_blob)),
                     0);
    return b;
}


static inline uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static inline double double_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

#endif
