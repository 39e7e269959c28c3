/* test_tracker.c — the restriction trackers' contract: claims, splits at a
 * fraction of the remainder (the reference's [100, 200) example among
 * them), checkpoints, check_done's message, progress, growable ranges, byte
 * keys, and exact arithmetic over the whole int64 range. */
#include <math.h>

#include "helpers.h"

static rill_tracker *offsets(int64_t from, int64_t to)
{
    rill_tracker *t;
    assert_int_equal(rill_tracker_offset_new(&t, from, to), 0);
    return t;
}

static void claim_through(rill_tracker *t, int64_t from, int64_t to)
{
    int64_t i;
    for (i = from; i <= to; i++)
        assert_int_equal(rill_tracker_try_claim(t, i), 1);
}

static void split_of_100_200_claimed_to_130_at_0_7_is_179(void **state)
{
    rill_tracker *t = offsets(100, 200);
    rill_restriction p, r, cur;
    (void)state;
    claim_through(t, 100, 130);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.7), 1);
    assert_int_equal(p.from, 100);
    assert_int_equal(p.to, 179);
    assert_int_equal(r.from, 179);
    assert_int_equal(r.to, 200);
    assert_int_equal(rill_tracker_current(&cur, t), 0);
    assert_int_equal(cur.to, 179);
    assert_int_equal(rill_tracker_try_claim(t, 178), 1);
    assert_int_equal(rill_tracker_try_claim(t, 179), 0); /* now past the end */
    assert_int_equal(rill_tracker_check_done(t), 0);
    rill_tracker_free(t);
}

static void claims_must_increase_and_not_precede_the_start(void **state)
{
    rill_tracker *t = offsets(100, 200);
    (void)state;
    assert_int_equal(rill_tracker_try_claim(t, 99), RILL_EINVAL);
    assert_string_equal(rill_error_last(), "cannot claim offset 99 before the start of [100, 200)");
    assert_int_equal(rill_tracker_try_claim(t, 130), 1);
    assert_int_equal(rill_tracker_try_claim(t, 130), RILL_EINVAL);
    assert_string_equal(rill_error_last(),
                        "cannot claim offset 130: claims must increase and offset 130 was "
                        "attempted last");
    assert_int_equal(rill_tracker_try_claim(t, 120), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "offset 120"));
    assert_int_equal(rill_tracker_try_claim_key(t, "a", 1), RILL_EINVAL);
    rill_tracker_free(t);
}

static void a_claim_at_the_end_fails_and_counts_as_the_last_attempt(void **state)
{
    rill_tracker *t = offsets(0, 10);
    rill_restriction p, r;
    (void)state;
    assert_int_equal(rill_tracker_try_claim(t, 3), 1);
    assert_int_equal(rill_tracker_try_claim(t, 10), 0);
    assert_int_equal(rill_tracker_check_done(t), 0);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 0);
    rill_tracker_free(t);
}

static void check_done_names_the_range_not_attempted(void **state)
{
    rill_tracker *t = offsets(100, 200);
    (void)state;
    assert_int_equal(rill_tracker_check_done(t), RILL_EINCOMPLETE);
    assert_string_equal(rill_error_last(), "claiming work in [100, 200) was not attempted");
    claim_through(t, 100, 175);
    assert_int_equal(rill_tracker_check_done(t), RILL_EINCOMPLETE);
    assert_string_equal(rill_error_last(), "claiming work in [176, 200) was not attempted");
    rill_tracker_free(t);
}

static void a_checkpoint_keeps_what_was_attempted_and_gives_away_the_rest(void **state)
{
    rill_tracker *t = offsets(100, 200);
    rill_restriction p, r;
    (void)state;
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0), 1); /* unstarted */
    assert_int_equal(p.from, 100);
    assert_int_equal(p.to, 100);
    assert_int_equal(r.from, 100);
    assert_int_equal(r.to, 200);
    assert_int_equal(rill_tracker_check_done(t), 0); /* nothing is left to it */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 0); /* empty now */
    rill_tracker_free(t);

    t = offsets(100, 200);
    claim_through(t, 100, 130);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0), 1);
    assert_int_equal(p.to, 131);
    assert_int_equal(r.from, 131);
    assert_int_equal(r.to, 200);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 0); /* no split after it */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0), 0);
    assert_int_equal(rill_tracker_check_done(t), 0);
    rill_tracker_free(t);
}

static void no_split_on_an_empty_range_or_at_the_end(void **state)
{
    rill_tracker *t = offsets(5, 5);
    rill_restriction p, r;
    (void)state;
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 0);
    assert_int_equal(rill_tracker_check_done(t), 0);
    rill_tracker_free(t);
    t = offsets(0, 10);
    claim_through(t, 0, 9);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 1.0), 0);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.01), 0);
    rill_tracker_free(t);
    t = offsets(0, 10);
    claim_through(t, 0, 8); /* 8 + max(1, floor(2 * 1.0)) = 10: at the end */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 1.0), 0);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.9), 1); /* 8 + 1 */
    assert_int_equal(r.from, 9);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, -0.1), RILL_EINVAL);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, NAN), RILL_EINVAL);
    rill_tracker_free(t);
}

static void splits_are_exact_over_the_whole_int64_range(void **state)
{
    rill_tracker *t = offsets(INT64_MIN, INT64_MAX);
    rill_restriction p, r;
    double completed, remaining;
    (void)state;
    /* -2^63 - 1 + floor(2^64 * 0.5) = -1 */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 1);
    assert_true(p.from == INT64_MIN && p.to == -1);
    assert_true(r.from == -1 && r.to == INT64_MAX);
    assert_int_equal(rill_tracker_try_claim(t, INT64_MIN), 1);
    /* INT64_MIN + (2^63 - 1) * 8.673617379884035e-19 (2^-60 as it prints) is
     * INT64_MIN + 7.99..., which truncates toward zero to INT64_MIN + 8 */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, ldexp(1, -60)), 1);
    assert_true(p.to == INT64_MIN + 8);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 1.0), 0);
    assert_int_equal(rill_tracker_progress(&completed, &remaining, t), 0);
    assert_true(completed == 0 && remaining == 8); /* Beam: the attempted offset is to do */
    rill_tracker_free(t);
    t = offsets(INT64_MAX - 3, INT64_MAX);
    assert_int_equal(rill_tracker_try_claim(t, INT64_MAX - 3), 1);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 1);
    assert_true(r.from == INT64_MAX - 2); /* -3 + max(1, floor(3 * 0.5)) */
    rill_tracker_free(t);
}

static void a_negative_split_point_is_truncated_toward_zero_as_beam_does(void **state)
{
    rill_tracker *t = offsets(-10, 0);
    rill_restriction p, r;
    (void)state;
    assert_int_equal(rill_tracker_try_claim(t, -10), 1);
    /* -10 + 10 * 0.25 = -7.5, truncated: -7 */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.25), 1);
    assert_int_equal(r.from, -7);
    rill_tracker_free(t);
}

static void progress_counts_positions_done_and_left(void **state)
{
    rill_tracker *t = offsets(100, 200);
    double c, r;
    (void)state;
    assert_int_equal(rill_tracker_progress(&c, &r, t), 0);
    assert_true(c == 0 && r == 100);
    claim_through(t, 100, 130);
    assert_int_equal(rill_tracker_progress(&c, &r, t), 0);
    assert_true(c == 30 && r == 70); /* Beam: the position last attempted is still to do */
    assert_int_equal(rill_tracker_try_claim(t, 500), 0);
    assert_int_equal(rill_tracker_progress(&c, &r, t), 0);
    assert_true(c == 100 && r == 0);
    assert_true(rill_tracker_is_bounded(t));
    rill_tracker_free(t);
}

static int64_t thousand(void *payload)
{
    (void)payload;
    return 1000;
}

static void a_growable_range_is_unbounded_until_a_split_ends_it(void **state)
{
    rill_tracker *t;
    rill_restriction p, r;
    double c, rem;
    (void)state;
    assert_int_equal(rill_tracker_growable_new(&t, 0, thousand, NULL), 0);
    assert_false(rill_tracker_is_bounded(t));
    claim_through(t, 0, 10);
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 10 && rem == 990); /* Beam: to last attempted, from it to the estimate */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 1); /* 10 + floor(990 / 2) */
    assert_int_equal(p.to, 505);
    assert_int_equal(r.from, 505);
    assert_true(r.to == RILL_OFFSET_INFINITY);
    assert_true(rill_tracker_is_bounded(t));
    rill_tracker_free(t);
    assert_int_equal(rill_tracker_growable_new(&t, 0, thousand, NULL), 0);
    claim_through(t, 0, 10);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0), 1);
    assert_int_equal(p.to, 11);
    assert_int_equal(r.from, 11);
    assert_int_equal(rill_tracker_check_done(t), 0);
    rill_tracker_free(t);
}

static void byte_key_ranges_split_between_keys_read_as_fractions(void **state)
{
    rill_tracker *t;
    rill_restriction p, r;
    (void)state;
    assert_int_equal(rill_tracker_bytekey_new(&t, "a", 1, "c", 1), 0);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 1);
    assert_int_equal(p.end_len, 1);
    assert_memory_equal(p.end, "b", 1);
    assert_memory_equal(r.start, "b", 1);
    assert_memory_equal(r.end, "c", 1);
    assert_int_equal(rill_tracker_try_claim_key(t, "a", 1), 1);
    assert_int_equal(rill_tracker_try_claim_key(t, "a", 1), RILL_EINVAL);
    assert_int_equal(rill_tracker_check_done(t), RILL_EINCOMPLETE);
    assert_string_equal(rill_error_last(), "claiming work in [\"a\\x00\", \"b\") was not attempted");
    assert_int_equal(rill_tracker_try_claim_key(t, "b", 1), 0);
    assert_int_equal(rill_tracker_check_done(t), 0);
    rill_tracker_free(t);

    assert_int_equal(rill_tracker_bytekey_new(&t, "", 0, "", 0), 0); /* all keys */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.5), 1);
    assert_int_equal(p.end_len, 1);
    assert_int_equal(((const unsigned char *)p.end)[0], 0x80);
    assert_int_equal(r.end_len, 0); /* still +inf */
    assert_int_equal(rill_tracker_try_claim_key(t, "\x01", 1), 1);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0), 1); /* checkpoint */
    assert_int_equal(p.end_len, 2);
    assert_memory_equal(p.end, "\x01\x00", 2);
    assert_memory_equal(r.start, "\x01\x00", 2);
    assert_int_equal(rill_tracker_check_done(t), 0);
    rill_tracker_free(t);

    /* a checkpoint before any claim from -inf leaves the primary no key */
    assert_int_equal(rill_tracker_bytekey_new(&t, "", 0, "m", 1), 0);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0), 1);
    assert_int_equal(r.start_len, 0);
    assert_memory_equal(r.end, "m", 1);
    assert_int_equal(rill_tracker_try_claim_key(t, "a", 1), 0);
    assert_int_equal(rill_tracker_check_done(t), 0);
    rill_tracker_free(t);
    assert_int_equal(rill_tracker_bytekey_new(&t, "b", 1, "a", 1), RILL_EINVAL);

    assert_int_equal(rill_tracker_bytekey_new(&t, "abc", 3, "abd", 3), 0);
    assert_int_equal(rill_tracker_try_claim_key(t, "ab", 2), RILL_EINVAL); /* before start */
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0.25), 1);
    assert_memory_equal(p.end, "abc\x40", 4);
    rill_tracker_free(t);
}

static void a_growable_range_is_bounded_once_its_end_is_claimed(void **state)
{
    rill_tracker *t;
    double c, rem;
    (void)state;
    assert_int_equal(rill_tracker_growable_new(&t, 0, thousand, NULL), 0);
    claim_through(t, 0, 4);
    assert_false(rill_tracker_is_bounded(t));
    assert_int_equal(rill_tracker_try_claim(t, RILL_OFFSET_INFINITY), 0); /* done */
    assert_true(rill_tracker_is_bounded(t));
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(rem == 0);
    rill_tracker_free(t);
}

/* Beam's ByteKeyRangeTracker.getProgress: a fraction of the range, [0, 1]. */
static void byte_key_progress_is_a_fraction_of_the_range_as_beam_s(void **state)
{
    rill_tracker *t;
    rill_restriction p, r;
    double c, rem;
    (void)state;
    assert_int_equal(rill_tracker_bytekey_new(&t, "\x00", 1, "\x10", 1), 0);
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 0 && rem == 1); /* nothing attempted */
    assert_int_equal(rill_tracker_try_claim_key(t, "\x08", 1), 1);
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 0.5 && rem == 0.5);
    assert_int_equal(rill_tracker_try_claim_key(t, "\x0c\x80", 2), 1); /* padded: 0x0c80 */
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 0.78125 && rem == 0.21875); /* (0x0c80 - 0) / 0x1000 */
    assert_int_equal(rill_tracker_try_claim_key(t, "\x10", 1), 0); /* at the end */
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 1 && rem == 0);
    rill_tracker_free(t);
    /* an unbounded range: 0x00 before the keys, 0x01 as the end */
    assert_int_equal(rill_tracker_bytekey_new(&t, "", 0, "", 0), 0);
    assert_int_equal(rill_tracker_try_claim_key(t, "\x80", 1), 1);
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 0.5 && rem == 0.5);
    assert_int_equal(rill_tracker_try_claim_key(t, "\xc0\x00\x01", 3), 1);
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    /* floor((0x00c00001 << 64) / 0x01000000) / 2^64 */
    assert_true(c == 0.75 + 1.0 / (1 << 24) && rem == 1 - c);
    assert_int_equal(rill_tracker_try_claim_key(t, "", 0), 0); /* the end claimed */
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 1 && rem == 0);
    rill_tracker_free(t);
    /* a range with no keys: nothing done, nothing left */
    assert_int_equal(rill_tracker_bytekey_new(&t, "a", 1, "b", 1), 0);
    assert_int_equal(rill_tracker_try_split(&p, &r, t, 0), 1); /* all of it away */
    assert_int_equal(rill_tracker_progress(&c, &rem, t), 0);
    assert_true(c == 0 && rem == 0);
    rill_tracker_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_of_100_200_claimed_to_130_at_0_7_is_179),
        cmocka_unit_test(claims_must_increase_and_not_precede_the_start),
        cmocka_unit_test(a_claim_at_the_end_fails_and_counts_as_the_last_attempt),
        cmocka_unit_test(check_done_names_the_range_not_attempted),
        cmocka_unit_test(a_checkpoint_keeps_what_was_attempted_and_gives_away_the_rest),
        cmocka_unit_test(no_split_on_an_empty_range_or_at_the_end),
        cmocka_unit_test(splits_are_exact_over_the_whole_int64_range),
        cmocka_unit_test(a_negative_split_point_is_truncated_toward_zero_as_beam_does),
        cmocka_unit_test(progress_counts_positions_done_and_left),
        cmocka_unit_test(a_growable_range_is_unbounded_until_a_split_ends_it),
        cmocka_unit_test(byte_key_ranges_split_between_keys_read_as_fractions),
        cmocka_unit_test(a_growable_range_is_bounded_once_its_end_is_claimed),
        cmocka_unit_test(byte_key_progress_is_a_fraction_of_the_range_as_beam_s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
