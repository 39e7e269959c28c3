/* test_record.c — records, batches and the typed helpers as a user sees them:
 * what goes into a batch comes back out, byte for byte and in order, and
 * typed values round-trip exactly. Tuples are in test_tuple.c. */
#include "record_helpers.h"

/* ---- plain and keyed records ---- */

static void a_new_batch_holds_no_records_and_no_bytes(void **state)
{
    rill_batch *b = new_batch();
    rill_record r;
    (void)state;
    assert_int_equal(rill_batch_count(b), 0);
    assert_int_equal(rill_batch_bytes(b), 0);
    assert_int_equal(rill_batch_get(&r, b, 0), RILL_ERANGE);
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
    assert_int_equal(rill_batch_get(&r, b, 0), 0);
    assert_non_null(r.key);
    assert_int_equal(r.key_len, 0);
    assert_non_null(r.data);
    assert_int_equal(r.len, 0);
    assert_int_equal(rill_batch_get(&r, b, 1), 0);
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
    assert_int_equal(rill_batch_get(NULL, b, 0), RILL_EINVAL);
    assert_int_equal(rill_batch_new(NULL), RILL_EINVAL);
    assert_int_equal(rill_batch_count(b), 0);
    assert_int_equal(rill_batch_get(&r, b, 0), RILL_ERANGE);
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
    assert_int_equal(rill_batch_get(&r, b, 3), RILL_ERANGE);
    assert_true(strlen(rill_error_last()) > 0);
    assert_int_equal(rill_batch_get(&r, b, 7), RILL_ERANGE);
    assert_error_mentions("7");
    assert_int_equal(rill_batch_get(&r, b, SIZE_MAX), RILL_ERANGE);
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
    assert_int_equal(rill_batch_get(&r, b, 0), RILL_ERANGE);
    assert_int_equal(rill_batch_add_keyed(b, "again", 5, "fresh", 5), 0);
    assert_int_equal(rill_batch_count(b), 1);
    assert_int_equal(rill_batch_bytes(b), 10);
    r = get(b, 0);
    assert_bytes(r.key, r.key_len, "again", 5);
    assert_bytes(r.data, r.len, "fresh", 5);
    assert_int_equal(rill_batch_get(&r, b, 1), RILL_ERANGE);
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
        assert_int_equal(rill_record_int64(&v, &r), 0);
        assert_true(v == values[i]);
    }
    rill_batch_free(b);
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
        assert_int_equal(rill_record_double(&v, &r), 0);
        if (bits_of(v) != bits_of(values[i]))
            fail_msg("double %zu came back as 0x%016llx, want 0x%016llx", i,
                     (unsigned long long)bits_of(v), (unsigned long long)bits_of(values[i]));
    }
    /* -0.0 is kept as -0.0, not folded into 0.0 */
    {
        rill_record r = get(b, 1);
        double v;
        assert_int_equal(rill_record_double(&v, &r), 0);
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
    assert_int_equal(rill_record_int64(&i, &r), 0);
    assert_true((uint64_t)i == 0x8000000000000000ULL);
    assert_int_equal(rill_batch_add_int64(b, (int64_t)0x3FF0000000000000LL), 0);
    r = get(b, 1);
    assert_int_equal(rill_record_double(&d, &r), 0);
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
    assert_int_equal(rill_record_int64(&v, &r), RILL_ETYPE);
    assert_true(strlen(rill_error_last()) > 0);
    assert_int_equal(rill_record_double(&d, &r), RILL_ETYPE);
    r = get(b, 1);
    assert_int_equal(rill_record_int64(&v, &r), RILL_ETYPE);
    assert_int_equal(rill_record_double(&d, &r), RILL_ETYPE);
    r = get(b, 2);
    assert_int_equal(rill_record_int64(&v, &r), RILL_ETYPE);
    assert_int_equal(rill_record_double(&d, &r), RILL_ETYPE);
    /* a failed read leaves the destination alone */
    assert_true(v == 77);
    assert_true(d == 7.5);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
