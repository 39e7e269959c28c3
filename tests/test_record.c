/* test_record.c — records, batches and the typed helpers as a user sees them:
 * what goes into a batch comes back out, byte for byte and in order; typed
 * values round-trip exactly; and tuple decoding refuses, with the documented
 * error code and without reading past the record, anything that is not a
 * whole, well-formed tuple. */
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

/* ---- helpers ---- */

static rill_batch *new_batch(void)
{
    rill_batch *b = NULL;
    assert_int_equal(rill_batch_new(&b), 0);
    assert_non_null(b);
    return b;
}

static rill_record get(const rill_batch *b, size_t i)
{
    rill_record r;
    memset(&r, 0xAB, sizeof(r));
    assert_int_equal(rill_batch_get(b, i, &r), 0);
    return r;
}

static void assert_bytes(const void *got, size_t got_len, const void *want,
                         size_t want_len)
{
    assert_int_equal(got_len, want_len);
    if (want_len)
        assert_memory_equal(got, want, want_len);
}

static void assert_error_mentions(const char *what)
{
    const char *msg = rill_error_last();
    assert_non_null(msg);
    if (strstr(msg, what) == NULL)
        fail_msg("error message \"%s\" does not mention \"%s\"", msg, what);
}

/* A heap copy of bytes, so reading one past the end is caught by ASan and a
 * prefix of a record really ends where its length says. */
static void *heap_copy(const void *src, size_t len)
{
    void *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, src, len);
    return p;
}

/* The first record of a one-tuple batch built from fmt, copied to the heap. */
static const char isdb_blob[] = {'a', '\0', 'b', '\0', '\0'};

static rill_batch *isdb_batch(void)
{
    rill_batch *b = new_batch();
    assert_int_equal(rill_batch_add_tuple(b, "isdb", (int64_t)-42, "forty-two", 4.25,
                                          isdb_blob, sizeof(isdb_blob)),
                     0);
    return b;
}

/* ---- plain and keyed records ---- */

static void a_new_batch_holds_no_records_and_no_bytes(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_count(b), 0);
    assert_int_equal(rill_batch_bytes(b), 0);
    assert_int_equal(rill_batch_get(b, 0, &r), RILL_ERANGE);
    rill_batch_free(b);
    rill_batch_free(NULL); /* accepted */
}

static void batch_keeps_records_in_the_order_they_were_added(void **state)
{
    static const char *const words[] = {"zebra", "apple", "", "mango", "apple"};
    rill_batch *b = new_batch();
    size_t i;
    (void)state;
    for (i = 0; i < 5; i++)
        assert_int_equal(rill_batch_add(b, words[i], strlen(words[i])), 0);
    assert_int_equal(rill_batch_count(b), 5);
    for (i = 0; i < 5; i++) {
        rill_record r = get(b, i);
        assert_bytes(r.data, r.len, words[i], strlen(words[i]));
        assert_null(r.key);
        assert_int_equal(r.key_len, 0);
    }
    rill_batch_free(b);
}

static void batch_copies_the_bytes_so_the_caller_may_reuse_its_buffer(void **state)
{
    rill_batch *b = new_batch();
    char buf[8];
    rill_record r;
    (void)state;
    memcpy(buf, "first", 6);
    assert_int_equal(rill_batch_add_keyed(b, buf, 2, buf + 2, 3), 0);
    memcpy(buf, "XXXXX", 6);
    r = get(b, 0);
    assert_bytes(r.key, r.key_len, "fi", 2);
    assert_bytes(r.data, r.len, "rst", 3);
    rill_batch_free(b);
}

static void records_keep_zero_bytes_and_every_byte_value(void **state)
{
    unsigned char all[256];
    rill_batch *b = new_batch();
    rill_record r;
    int i;
    (void)state;
    for (i = 0; i < 256; i++)
        all[i] = (unsigned char)(255 - i);
    assert_int_equal(rill_batch_add_keyed(b, all + 250, 6, all, sizeof(all)), 0);
    r = get(b, 0);
    assert_bytes(r.data, r.len, all, sizeof(all));
    assert_bytes(r.key, r.key_len, all + 250, 6); /* ends in a zero byte */
    rill_batch_free(b);
}

static void keyed_record_gives_back_its_key_and_its_data(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_add_keyed(b, "user:7", 6, "payload", 7), 0);
    assert_int_equal(rill_batch_add(b, "plain", 5), 0);
    r = get(b, 0);
    assert_non_null(r.key);
    assert_bytes(r.key, r.key_len, "user:7", 6);
    assert_bytes(r.data, r.len, "payload", 7);
    r = get(b, 1);
    assert_null(r.key);
    assert_int_equal(r.key_len, 0);
    assert_bytes(r.data, r.len, "plain", 5);
    rill_batch_free(b);
}

static void an_empty_first_record_with_an_empty_key_keeps_its_key(void **state)
{
    rill_batch *b;
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_new(&b), 0);
    assert_int_equal(rill_batch_add_keyed(b, "", 0, "", 0), 0);
    assert_int_equal(rill_batch_add(b, "", 0), 0);
    assert_int_equal(rill_batch_get(b, 0, &r), 0);
    assert_non_null(r.key);
    assert_int_equal(r.key_len, 0);
    assert_non_null(r.data);
    assert_int_equal(r.len, 0);
    assert_int_equal(rill_batch_get(b, 1, &r), 0);
    assert_null(r.key);
    rill_batch_free(b);
}

static void an_empty_key_is_a_key_and_not_the_absence_of_one(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_add(b, "unkeyed", 7), 0);
    assert_int_equal(rill_batch_add_keyed(b, "", 0, "empty key", 9), 0);
    assert_int_equal(rill_batch_add_keyed(b, "k", 1, "key k", 5), 0);
    r = get(b, 0);
    assert_null(r.key);
    assert_int_equal(r.key_len, 0);
    r = get(b, 1);
    assert_non_null(r.key);
    assert_int_equal(r.key_len, 0);
    assert_bytes(r.data, r.len, "empty key", 9);
    r = get(b, 2);
    assert_bytes(r.key, r.key_len, "k", 1);
    assert_bytes(r.data, r.len, "key k", 5);
    rill_batch_free(b);
}

static void add_record_copies_a_record_keeping_whether_it_has_a_key(void **state)
{
    rill_batch *src = new_batch(), *dst = new_batch();
    rill_record r;
    size_t i;
    (void)state;
    assert_int_equal(rill_batch_add(src, "no key", 6), 0);
    assert_int_equal(rill_batch_add_keyed(src, "", 0, "empty key", 9), 0);
    assert_int_equal(rill_batch_add_keyed(src, "kk", 2, "two", 3), 0);
    for (i = 0; i < 3; i++) {
        r = get(src, i);
        assert_int_equal(rill_batch_add_record(dst, &r), 0);
    }
    rill_batch_free(src); /* dst must own copies */
    assert_int_equal(rill_batch_count(dst), 3);
    r = get(dst, 0);
    assert_null(r.key);
    assert_bytes(r.data, r.len, "no key", 6);
    r = get(dst, 1);
    assert_non_null(r.key);
    assert_int_equal(r.key_len, 0);
    assert_bytes(r.data, r.len, "empty key", 9);
    r = get(dst, 2);
    assert_bytes(r.key, r.key_len, "kk", 2);
    assert_bytes(r.data, r.len, "two", 3);
    rill_batch_free(dst);
}

static void batch_bytes_counts_both_keys_and_data(void **state)
{
    rill_batch *b = new_batch();
    (void)state;
    assert_int_equal(rill_batch_add(b, "abc", 3), 0);
    assert_int_equal(rill_batch_bytes(b), 3);
    assert_int_equal(rill_batch_add_keyed(b, "key", 3, "value", 5), 0);
    assert_int_equal(rill_batch_bytes(b), 11);
    assert_int_equal(rill_batch_add(b, "", 0), 0);
    assert_int_equal(rill_batch_bytes(b), 11);
    assert_int_equal(rill_batch_count(b), 3);
    rill_batch_free(b);
}

static void null_arguments_are_refused_as_invalid(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_add(b, NULL, 3), RILL_EINVAL);
    assert_int_equal(rill_batch_add_keyed(b, NULL, 2, "x", 1), RILL_EINVAL);
    assert_int_equal(rill_batch_add_text(b, NULL), RILL_EINVAL);
    assert_int_equal(rill_batch_add_record(b, NULL), RILL_EINVAL);
    assert_int_equal(rill_batch_add(NULL, "x", 1), RILL_EINVAL);
    assert_int_equal(rill_batch_get(b, 0, NULL), RILL_EINVAL);
    assert_int_equal(rill_batch_new(NULL), RILL_EINVAL);
    assert_int_equal(rill_batch_count(b), 0);
    assert_int_equal(rill_batch_get(b, 0, &r), RILL_ERANGE);
    rill_batch_free(b);
}

/* ---- get, clear, growth ---- */

static void get_past_the_end_is_a_range_error_with_a_message(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_add(b, "a", 1), 0);
    assert_int_equal(rill_batch_add(b, "b", 1), 0);
    assert_int_equal(rill_batch_add(b, "c", 1), 0);
    rill_error_clear();
    assert_int_equal(rill_batch_get(b, 3, &r), RILL_ERANGE);
    assert_true(strlen(rill_error_last()) > 0);
    assert_int_equal(rill_batch_get(b, 7, &r), RILL_ERANGE);
    assert_error_mentions("7");
    assert_int_equal(rill_batch_get(b, SIZE_MAX, &r), RILL_ERANGE);
    /* the last one is still there */
    r = get(b, 2);
    assert_bytes(r.data, r.len, "c", 1);
    rill_batch_free(b);
}

static void clear_drops_every_record_and_the_batch_can_be_refilled(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    int i;
    (void)state;
    for (i = 0; i < 1000; i++)
        assert_int_equal(rill_batch_add_int64(b, i), 0);
    rill_batch_clear(b);
    assert_int_equal(rill_batch_count(b), 0);
    assert_int_equal(rill_batch_bytes(b), 0);
    assert_int_equal(rill_batch_get(b, 0, &r), RILL_ERANGE);
    assert_int_equal(rill_batch_add_keyed(b, "again", 5, "fresh", 5), 0);
    assert_int_equal(rill_batch_count(b), 1);
    assert_int_equal(rill_batch_bytes(b), 10);
    r = get(b, 0);
    assert_bytes(r.key, r.key_len, "again", 5);
    assert_bytes(r.data, r.len, "fresh", 5);
    assert_int_equal(rill_batch_get(b, 1, &r), RILL_ERANGE);
    rill_batch_clear(NULL); /* accepted */
    rill_batch_free(b);
}

/* Record i of the growth test: 0..299 bytes derived from i; every third
 * record has a key of 0..7 bytes (0 being the empty key). */
static size_t grow_len(size_t i) { return (i * 7919u + 1u) % 300u; }
static size_t grow_klen(size_t i) { return (i / 3) % 8; }
static int grow_keyed(size_t i) { return i % 3 == 0; }
static unsigned char grow_byte(size_t i, size_t j) { return (unsigned char)(i * 31u + j * 17u + (i >> 8)); }

static void batch_grows_to_hold_a_hundred_thousand_records_of_varying_sizes(void **state)
{
    enum { N = 100000 };
    rill_batch *b = new_batch();
    unsigned char buf[300], key[8];
    size_t i, j, total = 0;
    (void)state;
    for (i = 0; i < N; i++) {
        size_t len = grow_len(i), klen = grow_klen(i);
        for (j = 0; j < len; j++)
            buf[j] = grow_byte(i, j);
        for (j = 0; j < klen; j++)
            key[j] = grow_byte(i, j + 1000);
        if (grow_keyed(i)) {
            assert_int_equal(rill_batch_add_keyed(b, key, klen, buf, len), 0);
            total += klen;
        } else {
            assert_int_equal(rill_batch_add(b, buf, len), 0);
        }
        total += len;
    }
    assert_int_equal(rill_batch_count(b), N);
    assert_int_equal(rill_batch_bytes(b), total);
    for (i = 0; i < N; i++) {
        rill_record r = get(b, i);
        size_t len = grow_len(i);
        if (r.len != len)
            fail_msg("record %zu has %zu bytes, want %zu", i, r.len, len);
        for (j = 0; j < len; j++)
            if (((const unsigned char *)r.data)[j] != grow_byte(i, j))
                fail_msg("record %zu differs at byte %zu", i, j);
        if (grow_keyed(i)) {
            size_t klen = grow_klen(i);
            assert_non_null(r.key);
            if (r.key_len != klen)
                fail_msg("record %zu has a key of %zu bytes, want %zu", i, r.key_len, klen);
            for (j = 0; j < klen; j++)
                if (((const unsigned char *)r.key)[j] != grow_byte(i, j + 1000))
                    fail_msg("key of record %zu differs at byte %zu", i, j);
        } else if (r.key != NULL || r.key_len != 0) {
            fail_msg("unkeyed record %zu has a key", i);
        }
    }
    rill_batch_free(b);
}

/* ---- int64, double, text ---- */

static void int64_records_round_trip_the_extremes(void **state)
{
    static const int64_t values[] = {0, 1, -1, 42, INT64_MIN, INT64_MAX,
                                     INT64_MIN + 1, INT64_MAX - 1,
                                     (int64_t)0x0102030405060708LL};
    rill_batch *b = new_batch();
    size_t i, n = sizeof(values) / sizeof(values[0]);
    (void)state;
    for (i = 0; i < n; i++)
        assert_int_equal(rill_batch_add_int64(b, values[i]), 0);
    for (i = 0; i < n; i++) {
        rill_record r = get(b, i);
        int64_t v = 12345;
        assert_int_equal(r.len, 8);
        assert_null(r.key);
        assert_int_equal(rill_record_int64(&r, &v), 0);
        assert_true(v == values[i]);
    }
    rill_batch_free(b);
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double double_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static void double_records_round_trip_every_bit_including_negative_zero_and_nan(void **state)
{
    const double values[] = {0.0, -0.0, 1.5, -2.25e300, 4.9e-324, HUGE_VAL,
                             -HUGE_VAL, double_of(0x7FF8000000000001ULL),
                             double_of(0xFFF4000000000abcULL) /* signalling NaN */};
    rill_batch *b = new_batch();
    size_t i, n = sizeof(values) / sizeof(values[0]);
    (void)state;
    for (i = 0; i < n; i++)
        assert_int_equal(rill_batch_add_double(b, values[i]), 0);
    for (i = 0; i < n; i++) {
        rill_record r = get(b, i);
        double v = 99.0;
        assert_int_equal(r.len, 8);
        assert_int_equal(rill_record_double(&r, &v), 0);
        if (bits_of(v) != bits_of(values[i]))
            fail_msg("double %zu came back as 0x%016llx, want 0x%016llx", i,
                     (unsigned long long)bits_of(v), (unsigned long long)bits_of(values[i]));
    }
    /* -0.0 is kept as -0.0, not folded into 0.0 */
    {
        rill_record r = get(b, 1);
        double v;
        assert_int_equal(rill_record_double(&r, &v), 0);
        assert_true(v == 0.0 && signbit(v));
    }
    rill_batch_free(b);
}

static void int64_and_double_share_the_eight_bytes_of_a_record(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    int64_t i;
    double d;
    (void)state;
    assert_int_equal(rill_batch_add_double(b, -0.0), 0);
    r = get(b, 0);
    assert_int_equal(rill_record_int64(&r, &i), 0);
    assert_true((uint64_t)i == 0x8000000000000000ULL);
    assert_int_equal(rill_batch_add_int64(b, (int64_t)0x3FF0000000000000LL), 0);
    r = get(b, 1);
    assert_int_equal(rill_record_double(&r, &d), 0);
    assert_true(d == 1.0);
    rill_batch_free(b);
}

static void text_records_hold_the_characters_without_a_terminating_nul(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_add_text(b, "hello, world"), 0);
    assert_int_equal(rill_batch_add_text(b, ""), 0);
    assert_int_equal(rill_batch_add_text(b, "caf\xc3\xa9"), 0);
    r = get(b, 0);
    assert_bytes(r.data, r.len, "hello, world", 12);
    assert_null(r.key);
    r = get(b, 1);
    assert_int_equal(r.len, 0);
    r = get(b, 2);
    assert_bytes(r.data, r.len, "caf\xc3\xa9", 5);
    assert_int_equal(rill_batch_bytes(b), 17);
    rill_batch_free(b);
}

static void int64_of_a_record_that_is_not_eight_bytes_is_a_type_error(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    int64_t v = 77;
    double d = 7.5;
    (void)state;
    assert_int_equal(rill_batch_add(b, "1234567", 7), 0);
    assert_int_equal(rill_batch_add(b, "123456789", 9), 0);
    assert_int_equal(rill_batch_add(b, "", 0), 0);
    r = get(b, 0);
    rill_error_clear();
    assert_int_equal(rill_record_int64(&r, &v), RILL_ETYPE);
    assert_true(strlen(rill_error_last()) > 0);
    assert_int_equal(rill_record_double(&r, &d), RILL_ETYPE);
    r = get(b, 1);
    assert_int_equal(rill_record_int64(&r, &v), RILL_ETYPE);
    assert_int_equal(rill_record_double(&r, &d), RILL_ETYPE);
    r = get(b, 2);
    assert_int_equal(rill_record_int64(&r, &v), RILL_ETYPE);
    assert_int_equal(rill_record_double(&r, &d), RILL_ETYPE);
    /* a failed read leaves the destination alone */
    assert_true(v == 77);
    assert_true(d == 7.5);
    rill_batch_free(b);
}

/* ---- tuples ---- */

static void tuple_round_trips_int_text_double_and_bytes_with_zero_bytes(void **state)
{
    rill_batch *b = isdb_batch();
    rill_record r = get(b, 0);
    int64_t i = 0;
    double d = 0;
    const char *s = NULL;
    const void *p = NULL;
    size_t n = 0;
    (void)state;
    assert_null(r.key);
    assert_int_equal(rill_tuple_count(r.data, r.len), 4);
    assert_int_equal(rill_record_unpack(&r, "isdb", &i, &s, &d, &p, &n), 0);
    assert_true(i == -42);
    assert_string_equal(s, "forty-two");
    assert_true(d == 4.25);
    assert_bytes(p, n, isdb_blob, sizeof(isdb_blob));
    /* what unpack hands out is borrowed from the record itself */
    assert_true((const char *)s > (const char *)r.data &&
                (const char *)s + strlen(s) < (const char *)r.data + r.len);
    assert_true((const char *)p > (const char *)r.data &&
                (const char *)p + n <= (const char *)r.data + r.len);
    rill_batch_free(b);
}

static void tuple_values_round_trip_at_their_extremes(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    int64_t lo = 0, hi = 0;
    double nz = 1, qnan = 0;
    (void)state;
    assert_int_equal(rill_batch_add_tuple(b, "iidd", (int64_t)INT64_MIN, (int64_t)INT64_MAX,
                                          -0.0, double_of(0x7FF800000000BEEFULL)),
                     0);
    r = get(b, 0);
    assert_int_equal(rill_record_unpack(&r, "iidd", &lo, &hi, &nz, &qnan), 0);
    assert_true(lo == INT64_MIN);
    assert_true(hi == INT64_MAX);
    assert_true(bits_of(nz) == 0x8000000000000000ULL);
    assert_true(bits_of(qnan) == 0x7FF800000000BEEFULL);
    rill_batch_free(b);
}

static void tuple_keeps_empty_text_and_empty_bytes(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    const char *s1 = NULL, *s2 = NULL;
    const void *p = NULL;
    size_t n = 99;
    (void)state;
    assert_int_equal(rill_batch_add_tuple(b, "sbs", "", (const void *)NULL, (size_t)0, "x"), 0);
    r = get(b, 0);
    assert_int_equal(rill_tuple_count(r.data, r.len), 3);
    assert_int_equal(rill_record_unpack(&r, "sbs", &s1, &p, &n, &s2), 0);
    assert_non_null(s1);
    assert_string_equal(s1, "");
    assert_int_equal(n, 0);
    assert_string_equal(s2, "x");
    rill_batch_free(b);
}

static void tuple_of_no_fields_unpacks_with_an_empty_format(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    int64_t i;
    (void)state;
    assert_int_equal(rill_batch_add_tuple(b, ""), 0);
    r = get(b, 0);
    assert_true(r.len > 0);
    assert_int_equal(rill_tuple_count(r.data, r.len), 0);
    assert_int_equal(rill_record_unpack(&r, ""), 0);
    assert_int_equal(rill_record_unpack(&r, "i", &i), RILL_ETYPE);
    rill_batch_free(b);
}

static void tuples_sit_among_other_records_in_a_batch(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    int k;
    (void)state;
    for (k = 0; k < 200; k++) {
        char name[16];
        snprintf(name, sizeof(name), "n%d", k);
        assert_int_equal(rill_batch_add_text(b, name), 0);
        assert_int_equal(rill_batch_add_tuple(b, "is", (int64_t)k, name), 0);
    }
    for (k = 0; k < 200; k++) {
        char name[16];
        int64_t i = -1;
        const char *s = NULL;
        snprintf(name, sizeof(name), "n%d", k);
        r = get(b, (size_t)(2 * k));
        assert_bytes(r.data, r.len, name, strlen(name));
        assert_true(rill_tuple_count(r.data, r.len) < 0);
        r = get(b, (size_t)(2 * k + 1));
        assert_int_equal(rill_record_unpack(&r, "is", &i, &s), 0);
        assert_true(i == k);
        assert_string_equal(s, name);
    }
    rill_batch_free(b);
}

static void unpack_with_another_number_of_fields_is_a_type_error(void **state)
{
    rill_batch *b = isdb_batch();
    rill_record r = get(b, 0);
    int64_t i = 5;
    double d;
    const char *s = NULL;
    const void *p;
    size_t n;
    (void)state;
    rill_error_clear();
    assert_int_equal(rill_record_unpack(&r, "isd", &i, &s, &d), RILL_ETYPE);
    assert_true(strlen(rill_error_last()) > 0);
    assert_int_equal(rill_record_unpack(&r, "isdbi", &i, &s, &d, &p, &n, &i), RILL_ETYPE);
    assert_int_equal(rill_record_unpack(&r, "", NULL), RILL_ETYPE);
    /* a field-count mismatch is found before anything is written */
    assert_true(i == 5);
    assert_null(s);
    rill_batch_free(b);
}

static void unpack_with_a_wrong_type_is_a_type_error_naming_the_field(void **state)
{
    rill_batch *b = isdb_batch();
    rill_record r = get(b, 0);
    int64_t i, j;
    double d, e;
    const char *s;
    const void *p;
    size_t n;
    (void)state;
    /* field 2 is a double, asked for as an int64 */
    assert_int_equal(rill_record_unpack(&r, "isib", &i, &s, &j, &p, &n), RILL_ETYPE);
    assert_error_mentions("2");
    /* field 0 is an int64, asked for as a double */
    assert_int_equal(rill_record_unpack(&r, "dsdb", &e, &s, &d, &p, &n), RILL_ETYPE);
    assert_error_mentions("0");
    /* field 3 is bytes, asked for as text */
    assert_int_equal(rill_record_unpack(&r, "isds", &i, &s, &d, &s), RILL_ETYPE);
    assert_error_mentions("3");
    /* a letter that is no type at all cannot match any field */
    assert_int_equal(rill_record_unpack(&r, "isdx", &i, &s, &d, &p), RILL_ETYPE);
    assert_error_mentions("3");
    rill_batch_free(b);
}

static void bytes_that_are_not_a_tuple_are_corrupt(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    int64_t i;
    size_t k;
    (void)state;
    assert_int_equal(rill_batch_add_text(b, "hello"), 0);
    assert_int_equal(rill_batch_add(b, "", 0), 0);
    assert_int_equal(rill_batch_add_int64(b, 7), 0);
    assert_int_equal(rill_batch_add_double(b, 7.0), 0);
    for (k = 0; k < 4; k++) {
        r = get(b, k);
        rill_error_clear();
        assert_int_equal(rill_tuple_count(r.data, r.len), RILL_ECORRUPT);
        assert_true(strlen(rill_error_last()) > 0);
        assert_int_equal(rill_record_unpack(&r, "i", &i), RILL_ECORRUPT);
    }
    assert_int_equal(rill_tuple_count(NULL, 0), RILL_ECORRUPT);
    rill_batch_free(b);
}

static void every_prefix_of_a_tuple_is_refused_as_corrupt(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    size_t cut;
    (void)state;
    assert_int_equal(rill_batch_add_tuple(b, "isdbsb", (int64_t)1, "two", 3.0, "four", (size_t)4,
                                          "", (const void *)"", (size_t)0),
                     0);
    r = get(b, 0);
    assert_int_equal(rill_tuple_count(r.data, r.len), 6);
    for (cut = 0; cut < r.len; cut++) {
        void *copy = heap_copy(r.data, cut);
        rill_record t = {copy, cut, NULL, 0};
        int64_t i;
        double d;
        const char *s1, *s2;
        const void *p1, *p2;
        size_t n1, n2;
        int rc = rill_tuple_count(copy, cut);
        if (rc != RILL_ECORRUPT)
            fail_msg("a %zu-byte prefix of a %zu-byte tuple gave %d", cut, r.len, rc);
        assert_int_equal(rill_record_unpack(&t, "isdbsb", &i, &s1, &d, &p1, &n1, &s2, &p2, &n2),
                         RILL_ECORRUPT);
        free(copy);
    }
    rill_batch_free(b);
}

static void tuple_with_bytes_after_its_last_field_is_refused(void **state)
{
    rill_batch *b = isdb_batch();
    rill_record r = get(b, 0);
    unsigned char *longer = malloc(r.len + 3);
    size_t extra;
    (void)state;
    assert_non_null(longer);
    memcpy(longer, r.data, r.len);
    memcpy(longer + r.len, "\0\0\0", 3);
    for (extra = 1; extra <= 3; extra++) {
        rill_record t = {longer, r.len + extra, NULL, 0};
        int64_t i;
        double d;
        const char *s;
        const void *p;
        size_t n;
        assert_int_equal(rill_tuple_count(longer, r.len + extra), RILL_ECORRUPT);
        assert_int_equal(rill_record_unpack(&t, "isdb", &i, &s, &d, &p, &n), RILL_ECORRUPT);
    }
    assert_int_equal(rill_tuple_count(longer, r.len), 4);
    free(longer);
    rill_batch_free(b);
}

/* Hand-made encodings, per the layout rill writes: 0xF1, the field count, then
 * per field its type letter and bytes ('s' and 'b' a 4-byte host-order length
 * first, 's' a NUL after the text). A decoder of bytes read from elsewhere
 * must refuse each of these without reading outside them. */
static void hand_made_malformed_tuples_are_refused_as_corrupt(void **state)
{
    static const struct {
        const char *what;
        unsigned char bytes[24];
        size_t len;
    } bad[] = {
        {"wrong magic", {0xF2, 0}, 2},
        {"more fields than a tuple may hold", {0xF1, 65}, 2},
        {"255 fields claimed", {0xF1, 255, 'i', 0, 0, 0, 0, 0, 0, 0, 0}, 11},
        {"unknown type letter", {0xF1, 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0}, 11},
        {"text without its NUL", {0xF1, 1, 's', 1, 0, 0, 0, 'a', 'b'}, 9},
        {"text with a NUL inside", {0xF1, 1, 's', 2, 0, 0, 0, 'a', 0, 0}, 10},
        {"text longer than the record", {0xF1, 1, 's', 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0}, 9},
        {"bytes longer than the record", {0xF1, 1, 'b', 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0}, 9},
        {"bytes length one too many", {0xF1, 1, 'b', 3, 0, 0, 0, 'a', 'b'}, 9},
        {"fewer fields than claimed", {0xF1, 2, 'b', 1, 0, 0, 0, 'a'}, 8},
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        void *copy = heap_copy(bad[k].bytes, bad[k].len);
        int rc = rill_tuple_count(copy, bad[k].len);
        if (rc != RILL_ECORRUPT)
            fail_msg("%s: rill_tuple_count gave %d, want RILL_ECORRUPT", bad[k].what, rc);
        free(copy);
    }
    {
        /* fields that are each well formed, but one more than a tuple holds */
        unsigned char many[2 + 65 * 5];
        size_t f;
        memset(many, 0, sizeof(many));
        many[0] = 0xF1;
        for (f = 0; f < 65; f++)
            many[2 + f * 5] = 'b'; /* empty bytes */
        many[1] = 64;
        assert_int_equal(rill_tuple_count(many, 2 + 64 * 5), 64);
        many[1] = 65;
        assert_int_equal(rill_tuple_count(many, sizeof(many)), RILL_ECORRUPT);
    }
    {
        /* the well-formed neighbours of the above are accepted */
        static const unsigned char ok[] = {0xF1, 2, 's', 1, 0, 0, 0, 'a', 0,
                                           'b', 2, 0, 0, 0, 0, 'z'};
        void *copy = heap_copy(ok, sizeof(ok));
        rill_record t = {copy, sizeof(ok), NULL, 0};
        const char *s;
        const void *p;
        size_t n;
        assert_int_equal(rill_tuple_count(copy, sizeof(ok)), 2);
        assert_int_equal(rill_record_unpack(&t, "sb", &s, &p, &n), 0);
        assert_string_equal(s, "a");
        assert_bytes(p, n, "\0z", 2);
        free(copy);
    }
}

static void a_format_letter_other_than_i_d_s_b_is_refused(void **state)
{
    rill_batch *b = new_batch();
    (void)state;
    rill_error_clear();
    assert_int_equal(rill_batch_add_tuple(b, "ix", (int64_t)1, (int64_t)2), RILL_EINVAL);
    assert_error_mentions("x");
    assert_int_equal(rill_batch_add_tuple(b, "I", (int64_t)1), RILL_EINVAL);
    assert_int_equal(rill_batch_add_tuple(b, "s ", "a", "b"), RILL_EINVAL);
    assert_int_equal(rill_batch_add_tuple(b, NULL), RILL_EINVAL);
    assert_int_equal(rill_batch_add_tuple(b, "s", (const char *)NULL), RILL_EINVAL);
    assert_int_equal(rill_batch_add_tuple(NULL, "i", (int64_t)1), RILL_EINVAL);
    /* nothing was added by the refused calls */
    assert_int_equal(rill_batch_count(b), 0);
    assert_int_equal(rill_batch_bytes(b), 0);
    rill_batch_free(b);
}

static void a_tuple_may_hold_up_to_the_maximum_number_of_fields_and_no_more(void **state)
{
    char fmt[RILL_TUPLE_MAX_FIELDS + 2];
    rill_batch *b = new_batch();
    rill_record r;
    int rc;
    (void)state;
    assert_int_equal(RILL_TUPLE_MAX_FIELDS, 64);
    /* 64 empty texts; the 65th argument is there for the too-long format */
    memset(fmt, 's', sizeof(fmt));
    fmt[RILL_TUPLE_MAX_FIELDS] = '\0';
#define S8 "", "", "", "", "", "", "", ""
#define S64 S8, S8, S8, S8, S8, S8, S8, S8
    assert_int_equal(rill_batch_add_tuple(b, fmt, S64), 0);
    r = get(b, 0);
    assert_int_equal(rill_tuple_count(r.data, r.len), RILL_TUPLE_MAX_FIELDS);
    fmt[RILL_TUPLE_MAX_FIELDS] = 's';
    fmt[RILL_TUPLE_MAX_FIELDS + 1] = '\0';
    rc = rill_batch_add_tuple(b, fmt, S64, "");
#undef S64
#undef S8
    assert_true(rc < 0);
    assert_int_equal(rc, RILL_ERANGE);
    assert_int_equal(rill_batch_count(b), 1);
    rill_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_batch_holds_no_records_and_no_bytes),
        cmocka_unit_test(batch_keeps_records_in_the_order_they_were_added),
        cmocka_unit_test(batch_copies_the_bytes_so_the_caller_may_reuse_its_buffer),
        cmocka_unit_test(records_keep_zero_bytes_and_every_byte_value),
        cmocka_unit_test(keyed_record_gives_back_its_key_and_its_data),
        cmocka_unit_test(an_empty_first_record_with_an_empty_key_keeps_its_key),
        cmocka_unit_test(an_empty_key_is_a_key_and_not_the_absence_of_one),
        cmocka_unit_test(add_record_copies_a_record_keeping_whether_it_has_a_key),
        cmocka_unit_test(batch_bytes_counts_both_keys_and_data),
        cmocka_unit_test(null_arguments_are_refused_as_invalid),
        cmocka_unit_test(get_past_the_end_is_a_range_error_with_a_message),
        cmocka_unit_test(clear_drops_every_record_and_the_batch_can_be_refilled),
        cmocka_unit_test(batch_grows_to_hold_a_hundred_thousand_records_of_varying_sizes),
        cmocka_unit_test(int64_records_round_trip_the_extremes),
        cmocka_unit_test(double_records_round_trip_every_bit_including_negative_zero_and_nan),
        cmocka_unit_test(int64_and_double_share_the_eight_bytes_of_a_record),
        cmocka_unit_test(text_records_hold_the_characters_without_a_terminating_nul),
        cmocka_unit_test(int64_of_a_record_that_is_not_eight_bytes_is_a_type_error),
        cmocka_unit_test(tuple_round_trips_int_text_double_and_bytes_with_zero_bytes),
        cmocka_unit_test(tuple_values_round_trip_at_their_extremes),
        cmocka_unit_test(tuple_keeps_empty_text_and_empty_bytes),
        cmocka_unit_test(tuple_of_no_fields_unpacks_with_an_empty_format),
        cmocka_unit_test(tuples_sit_among_other_records_in_a_batch),
        cmocka_unit_test(unpack_with_another_number_of_fields_is_a_type_error),
        cmocka_unit_test(unpack_with_a_wrong_type_is_a_type_error_naming_the_field),
        cmocka_unit_test(bytes_that_are_not_a_tuple_are_corrupt),
        cmocka_unit_test(every_prefix_of_a_tuple_is_refused_as_corrupt),
        cmocka_unit_test(tuple_with_bytes_after_its_last_field_is_refused),
        cmocka_unit_test(hand_made_malformed_tuples_are_refused_as_corrupt),
        cmocka_unit_test(a_format_letter_other_than_i_d_s_b_is_refused),
        cmocka_unit_test(a_tuple_may_hold_up_to_the_maximum_number_of_fields_and_no_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
