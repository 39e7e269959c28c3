/* tracker.c — restriction trackers over offset ranges, growable offset
 * ranges and byte-key ranges.
 *
 * Every method takes the tracker's mutex, so the worker claiming and the
 * scheduler splitting a straggler never race. Split points are computed
 * exactly: the fraction is taken as the decimal it prints as, p / 10^s, so
 * (end - last) * fraction is an integer product and a division, in 128 bits
 * for offsets (the whole int64 range fits) and in byte arrays for keys,
 * which are read as big-endian fractions of the key space. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "rill/tracker.h"
#include "split.h"

typedef struct key {
    unsigned char *b; /* owned */
    size_t n;
} key;

struct rill_tracker {
    pthread_mutex_t mu;
    rill_range_kind kind;
    int attempted;   /* a claim was attempted */
    /* offsets */
    int64_t from, to, last;
    rill_estimate_fn estimate; /* growable when set and to is infinite */
    void *payload;
    /* byte keys: the range, the last attempted key, the last residual */
    key start, end, last_key, res_start, res_end;
    int end_claimed; /* the empty key, the end of an unbounded range, was claimed */
    /* asked before each claim, without mu (it may split this tracker):
     * the splittable stage's way to end its unit early (split.h) */
    int (*yield)(void *ctx);
    void *yield_ctx;
};

void rill__tracker_yield(rill_tracker *t, int (*yield)(void *ctx), void *ctx)
{
    t->yield = yield;
    t->yield_ctx = ctx;
}

static int key_set(key *k, const void *b, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    if (c == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if (n)
        memcpy(c, b, n);
    free(k->b);
    k->b = c;
    k->n = n;
    return 0;
}

static int key_cmp(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* A range holding no key: [k, k) or, from -inf, ["", "\x00") (as Beam's
 * NO_KEYS, since ["", "") is every key). */
static int no_keys(const key *start, const key *end)
{
    if (end->n == 0)
        return 0;
    if (start->n == 0)
        return end->n == 1 && end->b[0] == 0;
    return key_cmp(start->b, start->n, end->b, end->n) >= 0;
}

static rill_tracker *alloc(rill_range_kind kind)
{
    rill_tracker *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    pthread_mutex_init(&t->mu, NULL);
    t->kind = kind;
    return t;
}

int rill_tracker_offset_new(rill_tracker **out, int64_t from, int64_t to)
{
    rill_tracker *t;
    if (out == NULL || from > to)
        return rill__error(RILL_EINVAL, "an offset range [%lld, %lld) must not end before it "
                           "starts", (long long)from, (long long)to);
    if ((t = alloc(RILL_RANGE_OFFSET)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    t->from = from;
    t->to = to;
    *out = t;
    return 0;
}

int rill_tracker_growable_new(rill_tracker **out, int64_t from, rill_estimate_fn estimate,
                              void *payload)
{
    int rc;
    if (estimate == NULL)
        return rill__error(RILL_EINVAL, "a growable range needs an estimate of its end");
    if ((rc = rill_tracker_offset_new(out, from, RILL_OFFSET_INFINITY)) < 0)
        return rc;
    (*out)->estimate = estimate;
    (*out)->payload = payload;
    return 0;
}

int rill_tracker_bytekey_new(rill_tracker **out, const void *start, size_t start_len,
                             const void *end, size_t end_len)
{
    rill_tracker *t;
    if (out == NULL || (start == NULL && start_len) || (end == NULL && end_len))
        return rill__error(RILL_EINVAL, "rill_tracker_bytekey_new: NULL argument");
    if (end_len && key_cmp(start, start_len, end, end_len) > 0)
        return rill__error(RILL_EINVAL, "a byte-key range must not end before it starts");
    if ((t = alloc(RILL_RANGE_BYTEKEY)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if (key_set(&t->start, start, start_len) < 0 || key_set(&t->end, end, end_len) < 0) {
        rill_tracker_free(t);
        return RILL_ENOMEM;
    }
    *out = t;
    return 0;
}

int rill_tracker_new(rill_tracker **out, const rill_restriction *r, rill_estimate_fn estimate,
                     void *payload)
{
    if (r == NULL)
        return rill__error(RILL_EINVAL, "rill_tracker_new: restriction is NULL");
    if (r->kind == RILL_RANGE_BYTEKEY)
        return rill_tracker_bytekey_new(out, r->start, r->start_len, r->end, r->end_len);
    if (r->to == RILL_OFFSET_INFINITY && estimate)
        return rill_tracker_growable_new(out, r->from, estimate, payload);
    return rill_tracker_offset_new(out, r->from, r->to);
}

void rill_tracker_free(rill_tracker *t)
{
    if (t == NULL)
        return;
    free(t->start.b);
    free(t->end.b);
    free(t->last_key.b);
    free(t->res_start.b);
    free(t->res_end.b);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* The fraction as the decimal p / 10^s that prints as it (the shortest that
 * reads back as the same double, as Beam's BigDecimal.valueOf gives): so a
 * split at 0.7 of 70 positions is 49, not the 48.999... of the binary 0.7.
 * Fractions below 1e-20 are 0: no int64 range is long enough to notice. */
static int decimal_fraction(double f, uint64_t *p, int *s)
{
    char buf[40];
    int digits, e, i;
    if (!(f >= 0.0 && f <= 1.0))
        return rill__error(RILL_EINVAL, "a split fraction must be within [0, 1], not %g", f);
    *p = 0;
    *s = 0;
    if (f < 1e-20)
        return 0;
    for (digits = 1; digits <= 17; digits++) {
        snprintf(buf, sizeof(buf), "%.*e", digits - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf is d.ddddde-XX: the digits, then the exponent */
    for (i = 0; buf[i] && buf[i] != 'e'; i++)
        if (buf[i] >= '0' && buf[i] <= '9')
            *p = *p * 10 + (uint64_t)(buf[i] - '0');
    e = atoi(buf + i + 1);
    *s = (digits - 1) - e; /* f = p * 10^(e - digits + 1) */
    while (*s < 0) {       /* only for f == 1 written as 1e+00: s is 0 */
        *p *= 10;
        (*s)++;
    }
    return 0;
}

static unsigned __int128 pow10_128(int n)
{
    unsigned __int128 v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

/* ---- offsets ---- */

int rill_tracker_try_claim(rill_tracker *t, int64_t pos)
{
    int rc;
    if (t == NULL)
        return rill__error(RILL_EINVAL, "rill_tracker_try_claim: tracker is NULL");
    if (t->yield)
        t->yield(t->yield_ctx);
    pthread_mutex_lock(&t->mu);
    if (t->kind != RILL_RANGE_OFFSET)
        rc = rill__error(RILL_EINVAL, "a byte-key range is claimed with keys, not offsets");
    else if (t->attempted && pos <= t->last)
        rc = rill__error(RILL_EINVAL, "cannot claim offset %lld: claims must increase and "
                         "offset %lld was attempted last", (long long)pos, (long long)t->last);
    else if (pos < t->from)
        rc = rill__error(RILL_EINVAL, "cannot claim offset %lld before the start of [%lld, "
                         "%lld)", (long long)pos, (long long)t->from, (long long)t->to);
    else {
        t->attempted = 1;
        t->last = pos;
        rc = pos < t->to;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

static void offsets(rill_restriction *r, int64_t from, int64_t to)
{
    memset(r, 0, sizeof(*r));
    r->kind = RILL_RANGE_OFFSET;
    r->from = from;
    r->to = to;
}

static int split_offsets(rill_tracker *t, double fraction, rill_restriction *primary,
                         rill_restriction *residual)
{
    __int128 cur = t->attempted ? (__int128)t->last : (__int128)t->from - 1, end, amount;
    int growing = t->estimate && t->to == RILL_OFFSET_INFINITY, scale, rc;
    uint64_t m;
    if ((rc = decimal_fraction(fraction, &m, &scale)) < 0)
        return rc;
    if (t->from >= t->to || (growing && t->attempted && t->last == RILL_OFFSET_INFINITY))
        return 0;
    end = t->to;
    if (growing) { /* split against the estimated end, at least the next offset */
        __int128 est = t->estimate(t->payload);
        end = est > cur + 1 ? est : cur + 1;
    }
    if (end - cur <= 0) {
        amount = 1;
    } else { /* (end - cur) <= 2^64 and m < 10^17: the product fits */
        unsigned __int128 prod = (unsigned __int128)(end - cur) * m, unit = pow10_128(scale);
        amount = (__int128)(prod / unit);
        if (amount < 1)
            amount = 1;
        /* The sum is truncated toward zero as a whole (Beam's longValue()):
         * below zero, a fractional amount rounds the split point up. */
        else if (prod % unit != 0 && cur + amount < 0)
            amount++;
    }
    if ((growing ? cur + amount > end : cur + amount >= end) ||
        cur + amount >= RILL_OFFSET_INFINITY)
        return 0;
    offsets(residual, (int64_t)(cur + amount), t->to);
    t->to = (int64_t)(cur + amount);
    offsets(primary, t->from, t->to);
    return 1;
}

/* ---- byte keys ---- */

int rill_tracker_try_claim_key(rill_tracker *t, const void *k, size_t len)
{
    char a[64], b[64];
    int rc;
    if (t == NULL || (k == NULL && len))
        return rill__error(RILL_EINVAL, "rill_tracker_try_claim_key: NULL argument");
    if (t->yield)
        t->yield(t->yield_ctx);
    pthread_mutex_lock(&t->mu);
    if (t->kind != RILL_RANGE_BYTEKEY) {
        rc = rill__error(RILL_EINVAL, "an offset range is claimed with offsets, not keys");
    } else if (len == 0) { /* the empty key: the end of the range */
        t->attempted = t->end_claimed = 1;
        rc = 0;
    } else if (t->end_claimed || (t->attempted && key_cmp(k, len, t->last_key.b,
                                                          t->last_key.n) <= 0)) {
        rill__quote(a, sizeof(a), k, len);
        rill__quote(b, sizeof(b), t->last_key.b, t->end_claimed ? 0 : t->last_key.n);
        rc = rill__error(RILL_EINVAL, "cannot claim key %s: claims must increase and key %s "
                         "was attempted last", a, b);
    } else if (key_cmp(k, len, t->start.b, t->start.n) < 0) {
        rill__quote(a, sizeof(a), k, len);
        rill__quote(b, sizeof(b), t->start.b, t->start.n);
        rc = rill__error(RILL_EINVAL, "cannot claim key %s before the start key %s", a, b);
    } else if ((rc = key_set(&t->last_key, k, len)) == 0) {
        t->attempted = 1;
        rc = t->end.n == 0 || key_cmp(k, len, t->end.b, t->end.n) < 0;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

static void keys(rill_restriction *r, const key *s, const key *e)
{
    memset(r, 0, sizeof(*r));
    r->kind = RILL_RANGE_BYTEKEY;
    r->start = s->b;
    r->start_len = s->n;
    r->end = e->b;
    r->end_len = e->n;
}

/* The first key not yet attempted: the start, or the last key and a 0x00. */
static int unprocessed(const rill_tracker *t, key *u)
{
    if (!t->attempted)
        return key_set(u, t->start.b, t->start.n);
    unsigned char *b = malloc(t->last_key.n + 1);
    if (b == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    memcpy(b, t->last_key.b, t->last_key.n);
    b[t->last_key.n] = 0;
    free(u->b);
    u->b = b;
    u->n = t->last_key.n + 1;
    return 0;
}

/* s = u + (end - u) * m / 10^scale, the keys read as big-endian fractions of
 * P bytes (8 more than the longer key, for precision); an empty end is 1. */
static int interpolate(const key *u, const key *end, uint64_t m, int scale, key *s)
{
    size_t P = (u->n > end->n ? u->n : end->n) + 8, L = P + 1 + 8, i;
    unsigned char *a = calloc(P + 1, 1), *d = calloc(P + 1, 1), *prod = calloc(L, 1);
    unsigned __int128 c = 0;
    unsigned carry = 0;
    int borrow = 0, rc = 0;
    if (a == NULL || d == NULL || prod == NULL) {
        rc = RILL_ENOMEM;
        goto done;
    }
    memcpy(a + 1, u->b, u->n); /* byte 0 is the integer part */
    if (end->n == 0)
        d[0] = 1;
    else
        memcpy(d + 1, end->b, end->n);
    for (i = P + 1; i-- > 0;) { /* d = end - u */
        int v = d[i] - a[i] - borrow;
        borrow = v < 0;
        d[i] = (unsigned char)(v + (borrow ? 256 : 0));
    }
    for (i = L; i-- > 0;) { /* prod = d * m */
        if (i >= 8)
            c += (unsigned __int128)d[i - 8] * m;
        prod[i] = (unsigned char)c;
        c >>= 8;
    }
    while (scale > 0) { /* prod /= 10^scale, at most 10^18 at a time */
        int k = scale > 18 ? 18 : scale;
        uint64_t div = (uint64_t)pow10_128(k);
        unsigned __int128 rem = 0;
        for (i = 0; i < L; i++) {
            rem = rem << 8 | prod[i];
            prod[i] = (unsigned char)(rem / div);
            rem %= div;
        }
        scale -= k;
    }
    for (i = P + 1; i-- > 0;) { /* a += the low P + 1 bytes of prod */
        unsigned v = a[i] + prod[i + 8] + carry;
        a[i] = (unsigned char)v;
        carry = v >> 8;
    }
    for (i = P; i > 0 && a[i] == 0; i--) /* trailing zeros add nothing */
        ;
    rc = key_set(s, a + 1, i);
done:
    free(a);
    free(d);
    free(prod);
    return rc;
}

static int split_keys(rill_tracker *t, double fraction, rill_restriction *primary,
                      rill_restriction *residual)
{
    key u = {NULL, 0}, s = {NULL, 0};
    uint64_t m;
    int scale, rc;
    if ((rc = decimal_fraction(fraction, &m, &scale)) < 0)
        return rc;
    if (t->end_claimed || no_keys(&t->start, &t->end))
        return 0;
    if ((rc = unprocessed(t, &u)) < 0)
        return rc;
    if (t->end.n && key_cmp(u.b, u.n, t->end.b, t->end.n) >= 0) {
        free(u.b);
        return 0; /* nothing left */
    }
    if (m == 0) { /* a checkpoint: everything not attempted is the residual */
        s = u;
        if (s.n == 0) { /* unstarted from -inf: the primary holds no key */
            unsigned char zero = 0;
            free(u.b);
            if (key_set(&t->res_start, NULL, 0) < 0 || key_set(&t->res_end, t->end.b, t->end.n) < 0 ||
                key_set(&t->end, &zero, 1) < 0)
                return RILL_ENOMEM;
            keys(primary, &t->start, &t->end);
            keys(residual, &t->res_start, &t->res_end);
            return 1;
        }
    } else {
        rc = interpolate(&u, &t->end, m, scale, &s);
        if (rc == 0 && (key_cmp(s.b, s.n, u.b, u.n) <= 0 ||
                        (t->end.n && key_cmp(s.b, s.n, t->end.b, t->end.n) >= 0)))
            rc = 1; /* too close to split */
        free(u.b);
        if (rc != 0) {
            free(s.b);
            return rc == 1 ? 0 : rc;
        }
    }
    if (key_set(&t->res_start, s.b, s.n) < 0 || key_set(&t->res_end, t->end.b, t->end.n) < 0) {
        free(s.b);
        return RILL_ENOMEM;
    }
    free(t->end.b);
    t->end = s;
    keys(primary, &t->start, &t->end);
    keys(residual, &t->res_start, &t->res_end);
    return 1;
}

/* ---- both ---- */

int rill_tracker_try_split(rill_restriction *primary, rill_restriction *residual,
                           rill_tracker *t, double fraction)
{
    int rc;
    if (t == NULL || primary == NULL || residual == NULL)
        return rill__error(RILL_EINVAL, "rill_tracker_try_split: NULL argument");
    pthread_mutex_lock(&t->mu);
    rc = t->kind == RILL_RANGE_OFFSET ? split_offsets(t, fraction, primary, residual)
                                      : split_keys(t, fraction, primary, residual);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

int rill_tracker_current(rill_restriction *out, rill_tracker *t)
{
    if (t == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_tracker_current: NULL argument");
    pthread_mutex_lock(&t->mu);
    if (t->kind == RILL_RANGE_OFFSET)
        offsets(out, t->from, t->to);
    else
        keys(out, &t->start, &t->end);
    pthread_mutex_unlock(&t->mu);
    return 0;
}

int rill_tracker_check_done(rill_tracker *t)
{
    char a[64], b[64];
    int rc = 0;
    if (t == NULL)
        return rill__error(RILL_EINVAL, "rill_tracker_check_done: tracker is NULL");
    pthread_mutex_lock(&t->mu);
    if (t->kind == RILL_RANGE_OFFSET) {
        if (t->from < t->to && (!t->attempted || t->last < t->to - 1))
            rc = rill__error(RILL_EINCOMPLETE, "claiming work in [%lld, %lld) was not attempted",
                             (long long)(t->attempted ? t->last + 1 : t->from),
                             (long long)t->to);
    } else if (!t->end_claimed && !no_keys(&t->start, &t->end)) {
        key u = {NULL, 0};
        if (unprocessed(t, &u) < 0)
            rc = RILL_ENOMEM;
        else if (t->end.n == 0 || key_cmp(u.b, u.n, t->end.b, t->end.n) < 0) {
            rill__quote(a, sizeof(a), u.b, u.n);
            rill__quote(b, sizeof(b), t->end.b, t->end.n);
            rc = rill__error(RILL_EINCOMPLETE, "claiming work in [%s, %s) was not attempted", a,
                             t->end.n ? b : "+inf");
        }
        free(u.b);
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* Beam's ByteKeyRange.estimateFractionForKey: where key lies in [start,
 * end), the three read as unsigned big-endian integers right-padded with
 * zeros to one length (an empty end is 0x01 with a 0x00 put before the
 * others), as floor((key - start) * 2^64 / (end - start)) / 2^64. The
 * quotient is below 2^64 since key < end, so it is found 64 bits at a time
 * by long division; 0 for a range whose ends differ only by trailing zeros.
 * NAN when out of memory. */
static double fraction_in(const key *start, const key *end, const key *k)
{
    size_t L, i, off = end->n == 0; /* the head byte of an unbounded range */
    unsigned char *s, *a, *b;
    uint64_t q = 0;
    int bit, zero = 1;
    if (end->n && key_cmp(k->b, k->n, end->b, end->n) == 0)
        return 1.0;
    L = (start->n > k->n ? start->n : k->n) + off;
    if (end->n > L)
        L = end->n;
    if (off && L < 1)
        L = 1;
    s = calloc(L + 1, 1); /* one more byte: doubling must not overflow */
    a = calloc(L + 1, 1);
    b = calloc(L + 1, 1);
    if (s == NULL || a == NULL || b == NULL) {
        free(s), free(a), free(b);
        return NAN;
    }
    memcpy(s + 1 + off, start->b, start->n);
    memcpy(a + 1 + off, k->b, k->n);
    if (off)
        b[1] = 1;
    else
        memcpy(b + 1, end->b, end->n);
    { /* a = key - start, b = end - start (key >= start, end > start) */
        int ba = 0, bb = 0;
        for (i = L + 1; i-- > 0;) {
            int da = a[i] - s[i] - ba, db = b[i] - s[i] - bb;
            ba = da < 0;
            bb = db < 0;
            a[i] = (unsigned char)da;
            b[i] = (unsigned char)db;
        }
    }
    for (i = 0; i <= L; i++)
        zero &= b[i] == 0;
    if (zero) {
        free(s), free(a), free(b);
        return 0.0;
    }
    for (bit = 0; bit < 64; bit++) { /* a = 2a; q = 2q + (a >= b); a -= b then */
        int carry = 0, ge = 0;
        for (i = L + 1; i-- > 0;) {
            int v = (a[i] << 1) | carry;
            a[i] = (unsigned char)v;
            carry = v >> 8;
        }
        for (i = 0; i <= L && !ge; i++)
            if (a[i] != b[i]) {
                ge = a[i] > b[i] ? 1 : -1;
                break;
            }
        q = q << 1 | (ge >= 0);
        if (ge >= 0) {
            int borrow = 0;
            for (i = L + 1; i-- > 0;) {
                int v = a[i] - b[i] - borrow;
                borrow = v < 0;
                a[i] = (unsigned char)v;
            }
        }
    }
    free(s), free(a), free(b);
    return (double)q / 18446744073709551616.0; /* 2^64 */
}

int rill_tracker_progress(double *completed, double *remaining, rill_tracker *t)
{
    if (t == NULL || completed == NULL || remaining == NULL)
        return rill__error(RILL_EINVAL, "rill_tracker_progress: NULL argument");
    pthread_mutex_lock(&t->mu);
    if (t->kind == RILL_RANGE_OFFSET) {
        /* As Beam: the position last attempted is still to do (it may have
         * been claimed, not yet finished). */
        __int128 to = t->to, from = t->from, next = t->attempted ? (__int128)t->last : from;
        if (t->estimate && t->to == RILL_OFFSET_INFINITY) {
            __int128 est = t->estimate(t->payload);
            to = est > next ? est : next;
        }
        if (next > to)
            next = to;
        *completed = (double)(next - from); /* exact in 128 bits, then rounded once */
        *remaining = (double)(to - next);
    } else if (no_keys(&t->start, &t->end)) { /* as Beam: of the range, in [0, 1] */
        *completed = *remaining = 0;
    } else if (!t->attempted) {
        *completed = 0;
        *remaining = 1;
    } else if (t->end_claimed ||
               (t->end.n && key_cmp(t->last_key.b, t->last_key.n, t->end.b, t->end.n) >= 0)) {
        *completed = 1;
        *remaining = 0;
    } else {
        double f = fraction_in(&t->start, &t->end, &t->last_key);
        if (f != f) {
            pthread_mutex_unlock(&t->mu);
            return rill__error(RILL_ENOMEM, "out of memory");
        }
        *completed = f;
        *remaining = 1 - f;
    }
    pthread_mutex_unlock(&t->mu);
    return 0;
}

int rill_tracker_is_bounded(rill_tracker *t)
{
    int bounded;
    if (t == NULL)
        return rill__error(RILL_EINVAL, "rill_tracker_is_bounded: the tracker is NULL");
    pthread_mutex_lock(&t->mu);
    /* a growable range is done, and bounded, once its end was claimed */
    bounded = t->kind == RILL_RANGE_BYTEKEY ? 1
              : !(t->estimate && t->to == RILL_OFFSET_INFINITY) ||
                    (t->attempted && t->last == RILL_OFFSET_INFINITY);
    pthread_mutex_unlock(&t->mu);
    return bounded;
}
