/* batch.c — batches: an arena of record bytes and an index of offsets.
 *
 * Growth doubles both arrays, so appending is amortised O(1) and a batch
 * built record by record costs two allocations per doubling. Sizes are
 * checked for overflow before every allocation. */
#include "batch.h"

#include <stdlib.h>

#include "../util/error.h"
#include "tuple.h"

#define MIN_RECORDS 64
#define MIN_BYTES 1024

int rill_batch_new(rill_batch **out)
{
    rill_batch *b;
    if (out == NULL)
        return rill__error(RILL_EINVAL, "rill_batch_new: out is NULL");
    *out = NULL;
    b = calloc(1, sizeof(*b));
    RILL__CHECK_ALLOC(b);
    atomic_init(&b->refs, 1);
    *out = b;
    return 0;
}

void rill_batch_free(rill_batch *b)
{
    if (b == NULL)
        return;
    free(b->arena);
    free(b->recs);
    free(b);
}

void rill__batch_unref(rill_batch *b)
{
    if (b != NULL && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        rill_batch_free(b);
}

void rill_batch_clear(rill_batch *b)
{
    if (b != NULL)
        b->n = b->used = 0;
}

size_t rill_batch_count(const rill_batch *b)
{
    return b ? b->n : 0;
}

size_t rill_batch_bytes(const rill_batch *b)
{
    return b ? b->used : 0;
}

int rill_batch_get(rill_record *out, const rill_batch *b, size_t i)
{
    if (b == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_batch_get: batch or out is NULL");
    if (i >= b->n)
        return rill__error(RILL_ERANGE, "record %zu asked of a batch of %zu", i, b->n);
    rill__batch_view(b, i, out);
    return 0;
}

/* Next capacity at least need, doubling from cur; 0 on overflow. */
static size_t grown(size_t cur, size_t need, size_t min)
{
    size_t c = cur < min ? min : cur;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return need;
        c *= 2;
    }
    return c;
}

int rill__batch_grow(rill_batch *b, size_t n, size_t bytes)
{
    if (b->n + n < b->n || b->used + bytes < b->used)
        return rill__error(RILL_ENOMEM, "batch size overflows");
    if (b->n + n > b->ncap) {
        size_t c = grown(b->ncap, b->n + n, MIN_RECORDS);
        rill__rec *r;
        if (c > SIZE_MAX / sizeof(*r))
            return rill__error(RILL_ENOMEM, "batch of %zu records is too large", c);
        r = realloc(b->recs, c * sizeof(*r));
        RILL__CHECK_ALLOC(r);
        b->recs = r;
        b->ncap = c;
    }
    if (b->used + bytes > b->cap || b->arena == NULL) { /* never NULL: an empty
                                                           key must not read as none */
        size_t c = grown(b->cap, b->used + bytes, MIN_BYTES);
        char *a = realloc(b->arena, c);
        RILL__CHECK_ALLOC(a);
        b->arena = a;
        b->cap = c;
    }
    return 0;
}

int rill__batch_reserve(rill_batch *b, uint32_t key_len, size_t len,
                        char **key, char **data)
{
    size_t k = key_len == RILL__NOKEY ? 0 : key_len;
    int rc;
    if (len > RILL_RECORD_MAX || k > RILL_RECORD_MAX)
        return rill__error(RILL_ERANGE, "record of %zu bytes (key %zu) exceeds %zu",
                           len, k, (size_t)RILL_RECORD_MAX);
    if ((rc = rill__batch_grow(b, 1, k + len)) < 0)
        return rc;
    return rill__batch_reserve_fast(b, key_len, len, key, data);
}

static int add(rill_batch *b, const void *key, size_t klen, int keyed,
               const void *data, size_t len)
{
    char *kp, *dp;
    int rc;
    if (b == NULL || (data == NULL && len) || (key == NULL && klen))
        return rill__error(RILL_EINVAL, "rill_batch_add: NULL argument");
    if (klen > RILL_RECORD_MAX)
        return rill__error(RILL_ERANGE, "key of %zu bytes is too long", klen);
    rc = rill__batch_reserve_fast(b, keyed ? (uint32_t)klen : RILL__NOKEY, len,
                                  &kp, &dp);
    if (rc < 0)
        return rc;
    if (klen)
        memcpy(kp, key, klen);
    if (len)
        memcpy(dp, data, len);
    return 0;
}

int rill_batch_add(rill_batch *b, const void *data, size_t len)
{
    return add(b, NULL, 0, 0, data, len);
}

int rill_batch_add_keyed(rill_batch *b, const void *key, size_t key_len,
                         const void *data, size_t len)
{
    return add(b, key, key_len, 1, data, len);
}

int rill_batch_add_record(rill_batch *b, const rill_record *r)
{
    if (r == NULL)
        return rill__error(RILL_EINVAL, "rill_batch_add_record: record is NULL");
    return add(b, r->key, r->key_len, r->key != NULL, r->data, r->len);
}

int rill_batch_add_int64(rill_batch *b, int64_t v)
{
    return add(b, NULL, 0, 0, &v, sizeof(v));
}

int rill_batch_add_double(rill_batch *b, double v)
{
    return add(b, NULL, 0, 0, &v, sizeof(v));
}

int rill_batch_add_text(rill_batch *b, const char *text)
{
    if (text == NULL)
        return rill__error(RILL_EINVAL, "rill_batch_add_text: text is NULL");
    return add(b, NULL, 0, 0, text, strlen(text));
}

int rill_batch_add_tuple(rill_batch *b, const char *fmt, ...)
{
    va_list ap;
    size_t len;
    char *dp;
    int rc;
    if (b == NULL)
        return rill__error(RILL_EINVAL, "rill_batch_add_tuple: batch is NULL");
    va_start(ap, fmt);
    rc = rill__tuple_size(fmt, ap, &len);
    va_end(ap);
    if (rc < 0)
        return rc;
    if ((rc = rill__batch_reserve_fast(b, RILL__NOKEY, len, NULL, &dp)) < 0)
        return rc;
    va_start(ap, fmt);
    rill__tuple_write(dp, fmt, ap);
    va_end(ap);
    return 0;
}
