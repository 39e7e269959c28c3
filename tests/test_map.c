/* test_map.c — rill_map, the ordered parallel map (rill/map.h): results in
 * the list's order whatever order the workers finish in, calls running at
 * once, long and empty lists, several or no results per element, keys, and
 * a failing callback named by its element's index. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static int plus_one(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, i64(in) + 1);
}

static rill_map_options map_opts(int workers, size_t batch)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    o.workers = workers;
    o.batch_records = batch;
    return o;
}

/* The values of res, which must hold n int64 records, in order. */
static void assert_ints_in_order(const rill_batch *res, size_t n, int64_t first, int64_t step)
{
    size_t i;
    assert_int_equal(rill_batch_count(res), n);
    for (i = 0; i < n; i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, res, i), 0);
        assert_int_equal(i64(&r), first + step * (int64_t)i);
    }
}

static void map_plus_one_of_8_and_9_gives_9_and_10_every_time(void **state)
{
    rill_map_options o = map_opts(4, 1);
    rill_batch *list = ints(8, 10), *res;
    int k;
    (void)state;
    for (k = 0; k < 20; k++) {
        assert_int_equal(rill_map(&res, list, &o, plus_one, NULL), 0);
        assert_ints_in_order(res, 2, 9, 1);
        rill_batch_free(res);
    }
    assert_int_equal(rill_batch_count(list), 2); /* the list is the caller's, unchanged */
    rill_batch_free(list);
}

/* Later elements finish first: element i sleeps longer the smaller i is. */
static int slower_early(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in);
    (void)payload;
    if (x < 40)
        usleep((useconds_t)(40 - x) * 200);
    return rill_emit_int64(out, 2 * x);
}

static void results_follow_the_list_not_the_order_calls_end(void **state)
{
    rill_map_options o = map_opts(3, 1);
    rill_batch *list = ints(0, 200), *res;
    (void)state;
    assert_int_equal(rill_map(&res, list, &o, slower_early, NULL), 0);
    assert_ints_in_order(res, 200, 0, 2);
    rill_batch_free(res);
    rill_batch_free(list);
}

/* The first call waits (up to 10 s) for a second one to start. */
static atomic_int running, most;
static int meet(rill_emitter *out, const rill_record *in, void *payload)
{
    int now = atomic_fetch_add(&running, 1) + 1, k;
    (void)payload;
    if (now > atomic_load(&most))
        atomic_store(&most, now);
    for (k = 0; k < 10000 && atomic_load(&most) < 2; k++)
        usleep(1000);
    atomic_fetch_sub(&running, 1);
    return rill_emit_int64(out, i64(in));
}

static void calls_run_at_once_on_several_workers(void **state)
{
    rill_map_options o = map_opts(2, 1);
    rill_batch *list = ints(0, 4), *res;
    (void)state;
    atomic_store(&most, 0);
    assert_int_equal(rill_map(&res, list, &o, meet, NULL), 0);
    assert_int_equal(atomic_load(&most), 2);
    assert_ints_in_order(res, 4, 0, 1);
    rill_batch_free(res);
    rill_batch_free(list);
}

static void a_long_list_comes_back_whole_and_in_order(void **state)
{
    rill_batch *list = ints(0, 300000), *res;
    (void)state;
    assert_int_equal(rill_map(&res, list, NULL, plus_one, NULL), 0);
    assert_ints_in_order(res, 300000, 1, 1);
    rill_batch_free(res);
    rill_batch_free(list);
}

static atomic_int calls;
static int counted(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    atomic_fetch_add(&calls, 1);
    return rill_emit_record(out, in);
}

static void an_empty_list_gives_an_empty_batch_without_calls(void **state)
{
    rill_batch *list, *res = NULL;
    (void)state;
    assert_int_equal(rill_batch_new(&list), 0);
    atomic_store(&calls, 0);
    assert_int_equal(rill_map(&res, list, NULL, counted, NULL), 0);
    assert_non_null(res);
    assert_int_equal(rill_batch_count(res), 0);
    assert_int_equal(atomic_load(&calls), 0);
    rill_batch_free(res);
    rill_batch_free(list);
}

/* Element x (keyed "kX") gives x records keyed "kX" holding 0..x-1. */
static int x_times(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = 0, k;
    int rc = 0;
    (void)payload;
    memcpy(&x, in->data, sizeof(x));
    for (k = 0; k < x && rc == 0; k++)
        rc = rill_emit_keyed(out, in->key, in->key_len, &k, sizeof(k));
    return rc;
}

static void several_or_no_results_keep_their_order_and_keys(void **state)
{
    rill_map_options o = map_opts(4, 2);
    rill_batch *list, *res;
    int64_t x, k;
    size_t at = 0;
    (void)state;
    assert_int_equal(rill_batch_new(&list), 0);
    for (x = 0; x < 30; x++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", (int)x);
        assert_int_equal(rill_batch_add_keyed(list, key, strlen(key), &x, sizeof(x)), 0);
    }
    assert_int_equal(rill_map(&res, list, &o, x_times, NULL), 0);
    assert_int_equal(rill_batch_count(res), 29 * 30 / 2);
    for (x = 0; x < 30; x++)
        for (k = 0; k < x; k++) {
            rill_record r;
            char key[16];
            snprintf(key, sizeof(key), "k%d", (int)x);
            assert_int_equal(rill_batch_get(&r, res, at++), 0);
            assert_int_equal(r.key_len, strlen(key));
            assert_memory_equal(r.key, key, r.key_len);
            assert_int_equal(i64(&r), k);
        }
    rill_batch_free(res);
    rill_batch_free(list);
}

static int fails_on_37(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in);
    (void)payload;
    if (x == 37) {
        rill_error_set("37 is not allowed");
        return -1;
    }
    return rill_emit_int64(out, x);
}

/* 200,000 int64s (1.6 MB) for each element, all its own value. */
static int many(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in);
    int i, rc;
    (void)payload;
    for (i = 0; i < 200000; i++)
        if ((rc = rill_emit_int64(out, x)) != 0)
            return rc;
    return 0;
}

/* More than the 1 MiB at which a batch goes on: an element's results are
 * still collected whole (found by the issue 16 review). */
static void an_element_of_more_than_1_mib_of_results_comes_back_whole(void **state)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_batch *list = ints(0, 3), *res = NULL;
    size_t i;
    int rc;
    (void)state;
    o.workers = 2;
    rc = rill_map(&res, list, &o, many, NULL);
    rill_batch_free(list);
    assert_int_equal(rc, 0);
    assert_non_null(res);
    assert_int_equal(rill_batch_count(res), 3 * 200000);
    for (i = 0; i < rill_batch_count(res); i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, res, i), 0);
        assert_int_equal(i64(&r), (int64_t)(i / 200000));
    }
    rill_batch_free(res);
}

static void a_failing_call_names_the_map_and_the_element_index(void **state)
{
    rill_map_options o = map_opts(3, 5);
    rill_batch *list = ints(0, 100), *res = (rill_batch *)&res;
    (void)state;
    o.name = "check";
    assert_int_equal(rill_map(&res, list, &o, fails_on_37, NULL), RILL_EUSER);
    assert_null(res);
    assert_non_null(strstr(rill_error_last(), "map 'check' failed on element 37: "));
    assert_non_null(strstr(rill_error_last(), "37 is not allowed"));
    assert_null(strstr(rill_error_last(), "\\x")); /* no element bytes shown as escapes */
    rill_batch_free(list);
}

static void misuse_is_refused(void **state)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_batch *list = ints(0, 3), *res;
    (void)state;
    assert_int_equal(rill_map(NULL, list, NULL, plus_one, NULL), RILL_EINVAL);
    assert_int_equal(rill_map(&res, NULL, NULL, plus_one, NULL), RILL_EINVAL);
    assert_null(res);
    assert_int_equal(rill_map(&res, list, NULL, NULL, NULL), RILL_EINVAL);
    o.version = 99;
    assert_int_equal(rill_map(&res, list, &o, plus_one, NULL), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "RILL_MAP_OPTIONS_INIT"));
    o.version = RILL_MAP_OPTIONS_VERSION;
    o.workers = -1;
    assert_int_equal(rill_map(&res, list, &o, plus_one, NULL), RILL_EINVAL);
    o.workers = 0;
    o.name = "";
    assert_int_equal(rill_map(&res, list, &o, plus_one, NULL), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "an empty name"));
    rill_batch_free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(map_plus_one_of_8_and_9_gives_9_and_10_every_time),
        cmocka_unit_test(results_follow_the_list_not_the_order_calls_end),
        cmocka_unit_test(calls_run_at_once_on_several_workers),
        cmocka_unit_test(a_long_list_comes_back_whole_and_in_order),
        cmocka_unit_test(an_empty_list_gives_an_empty_batch_without_calls),
        cmocka_unit_test(several_or_no_results_keep_their_order_and_keys),
        cmocka_unit_test(an_element_of_more_than_1_mib_of_results_comes_back_whole),
        cmocka_unit_test(a_failing_call_names_the_map_and_the_element_index),
        cmocka_unit_test(misuse_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
