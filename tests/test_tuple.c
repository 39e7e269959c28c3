/* test_tuple.c — tuples (the Args fan-out): they round-trip every field
 * type, and decoding refuses, with the documented error code and without
 * reading past the record, anything that is not a whole, well-formed tuple. */
#include "record_helpers.h"

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
