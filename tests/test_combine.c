/* test_combine.c — keyed combine: word count equals a plain count, with any
 * number of workers; custom accumulators; a combine inside a frame combines
 * each frame's keys separately; a gathering reducer or combine after it sees
 * its whole table as one reduction. */
#include "helpers.h"

/* Words w0..w(n-1) with word k occurring (k % 13) + 1 times per line. */
static rill_batch *lines(int nlines)
{
    rill_batch *b;
    int l, k, r;
    assert_int_equal(rill_batch_new(&b), 0);
    for (l = 0; l < nlines; l++) {
        char line[4096];
        size_t len = 0;
        for (k = 0; k < 40; k++)
            for (r = 0; r <= k % 13; r++)
                len += (size_t)snprintf(line + len, sizeof(line) - len, "w%d ", (k * 7 + l) % 50);
        assert_int_equal(rill_batch_add(b, line, len), 0);
    }
    return b;
}

static int split(rill_emitter *out, const rill_record *in, void *payload)
{
    const char *s = in->data, *end = s + in->len;
    (void)payload;
    while (s < end) {
        const char *w = s;
        while (s < end && *s != ' ')
            s++;
        if (s > w && rill_emit_keyed(out, w, (size_t)(s - w), NULL, 0) != 0)
            return -1;
        s++;
    }
    return 0;
}

static void word_count_matches_a_plain_count_with_1_2_and_8_workers(void **state)
{
    static const int workers[] = {1, 2, 8};
    int64_t want[50] = {0};
    rill_batch *in = lines(300);
    size_t i, w;
    (void)state;
    for (i = 0; i < rill_batch_count(in); i++) {
        rill_record r;
        const char *s;
        assert_int_equal(rill_batch_get(&r, in, i), 0);
        for (s = r.data; s < (const char *)r.data + r.len; s++)
            if (*s == 'w')
                want[atoi(s + 1)]++;
    }
    rill_batch_free(in);
    for (w = 0; w < 3; w++) {
        rill_combine_options sum = RILL_COMBINE_SUM_INT64;
        rill_run_options o = with_workers(workers[w]);
        rill_pipeline *p;
        rill_batch *res;
        int64_t got[50] = {0};
        o.batch_records = 16;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, lines(300)), 0);
        assert_int_equal(rill_job(p, "split", NULL, split, NULL), 0);
        assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 50);
        for (i = 0; i < 50; i++) {
            rill_record r;
            char key[8] = "";
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_non_null(r.key);
            assert_true(r.key_len < sizeof(key));
            memcpy(key, r.key, r.key_len);
            assert_int_equal(key[0], 'w');
            got[atoi(key + 1)] = i64(&r);
        }
        assert_memory_equal(got, want, sizeof(want));
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* Key id (0..96): empty for 0, else 1 + id % 35 bytes id, id + 1, ... (a
 * zero byte in some): short and long keys around the 16 bytes a table slot
 * holds. Odd inputs carry an int64 value (i % 7), even ones none (a count). */
static size_t sum_key(int id, char *out)
{
    size_t len = id == 0 ? 0 : 1 + (size_t)id % 35, j;
    for (j = 0; j < len; j++)
        out[j] = (char)(id + (int)j);
    return len;
}

static int emit_sum_key(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t i = i64(in), v = i % 7;
    char key[40];
    size_t len = sum_key((int)(i % 97), key);
    (void)payload;
    return rill_emit_keyed(out, key, len, i % 2 ? &v : NULL, i % 2 ? sizeof(v) : 0);
}

static void sums_of_empty_short_and_long_keys_match_a_plain_sum(void **state)
{
    static const int workers[] = {1, 2};
    int64_t want[97] = {0}, i;
    size_t w;
    (void)state;
    for (i = 0; i < 5000; i++)
        want[i % 97] += i % 2 ? i % 7 : 1;
    for (w = 0; w < 2; w++) {
        rill_combine_options sum = RILL_COMBINE_SUM_INT64;
        rill_run_options o = with_workers(workers[w]);
        rill_pipeline *p;
        rill_batch *in, *res;
        int64_t got[97];
        size_t k;
        memset(got, 0xff, sizeof(got));
        o.batch_records = 16;
        assert_int_equal(rill_batch_new(&in), 0);
        for (i = 0; i < 5000; i++)
            assert_int_equal(rill_batch_add_int64(in, i), 0);
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, in), 0);
        assert_int_equal(rill_job(p, "keys", NULL, emit_sum_key, NULL), 0);
        assert_int_equal(rill_combine(p, "sum", &sum, NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 97);
        for (k = 0; k < 97; k++) {
            rill_record r;
            char key[40];
            int id;
            assert_int_equal(rill_batch_get(&r, res, k), 0);
            assert_non_null(r.key);
            id = r.key_len == 0 ? 0 : (unsigned char)((const char *)r.key)[0];
            assert_true(id < 97);
            assert_int_equal(sum_key(id, key), r.key_len);
            assert_memory_equal(key, r.key, r.key_len);
            got[id] = i64(&r);
        }
        assert_memory_equal(got, want, sizeof(want));
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* The largest value per key, as a double. */
static int max_add(void *acc, const rill_record *rec, void *payload)
{
    double v, *m = acc;
    (void)payload;
    if (rill_record_double(&v, rec) < 0)
        return -1;
    if (v > *m)
        *m = v;
    return 0;
}

static int max_merge(void *acc, void *other, void *payload)
{
    double *m = acc, *o = other;
    (void)payload;
    if (*o > *m)
        *m = *o;
    return 0;
}

static int minus_infinity(void *acc, void *payload)
{
    (void)payload;
    *(double *)acc = -1e300;
    return 0;
}

static int keyed_negative(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in);
    double v = -(double)x;
    char key = (char)('a' + x % 4);
    (void)payload;
    return rill_emit_keyed(out, &key, 1, &v, sizeof(v));
}

static void a_custom_accumulator_with_init_and_merge_gives_the_max_per_key(void **state)
{
    rill_combine_options c = RILL_COMBINE_OPTIONS_INIT;
    rill_run_options o = with_workers(4);
    rill_pipeline *p;
    rill_batch *res;
    size_t i;
    (void)state;
    c.value_size = sizeof(double);
    c.init = minus_infinity;
    c.add = max_add;
    c.merge = max_merge;
    o.batch_records = 5;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(10, 1000)), 0);
    assert_int_equal(rill_job(p, "negate", NULL, keyed_negative, NULL), 0);
    assert_int_equal(rill_combine(p, "max", &c, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 4);
    for (i = 0; i < 4; i++) {
        rill_record r;
        double v;
        int k;
        assert_int_equal(rill_batch_get(&r, res, i), 0);
        assert_int_equal(r.key_len, 1);
        k = *(const char *)r.key - 'a';
        assert_int_equal(rill_record_double(&v, &r), 0);
        /* the smallest x >= 10 with x % 4 == k, negated */
        assert_true(v == -(double)(10 + ((k - 10 % 4) + 4) % 4));
    }
    rill_batch_free(res);
    rill_pipeline_free(p);
}

typedef struct frame_store {
    int started;
    int64_t keys;
} frame_store;

static int once(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    frame_store *s = store;
    (void)payload;
    if (s->started)
        return 0;
    s->started = 1;
    return rill_emit_record(recur, first);
}

/* n -> keys "0".."n-1", each twice. */
static int keys_twice(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n = i64(in), i;
    (void)payload;
    for (i = 0; i < 2 * n; i++) {
        char k[24];
        int len = snprintf(k, sizeof(k), "%lld", (long long)(i % n));
        if (rill_emit_keyed(out, k, (size_t)len, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

static int count_keys(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    frame_store *s = store;
    (void)recur, (void)payload;
    if (i64(next) != 2)
        return -1;
    s->keys++;
    return 0;
}

static int emit_keys(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((frame_store *)store)->keys);
}

static void a_combine_inside_a_frame_combines_each_round_on_its_own(void **state)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_run_options o = with_workers(3);
    rill_pipeline *p;
    rill_batch *res;
    size_t n, i;
    int64_t *v;
    (void)state;
    f.store_size = sizeof(frame_store);
    f.frame = once;
    f.emit = emit_keys;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(1, 21)), 0);
    assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
    assert_int_equal(rill_job(p, "keys", NULL, keys_twice, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
    assert_int_equal(rill_frame_end(p, "distinct", NULL, count_keys, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 20);
    for (i = 0; i < n; i++)
        assert_int_equal(v[i], (int64_t)i + 1);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* The largest count of a word and how many words there were: a reducer of
 * the combine's whole table. */
typedef struct top1 {
    int64_t best, words;
} top1;

static int top_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    top1 *t = store;
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++) {
        if (i64(&in[i]) > t->best)
            t->best = i64(&in[i]);
        t->words++;
    }
    return 0;
}

static int top_merge(void *store, void *other, void *payload)
{
    top1 *t = store, *o = other;
    (void)payload;
    if (o->best > t->best)
        t->best = o->best;
    t->words += o->words;
    return 0;
}

static int top_emit(rill_emitter *out, void *store, void *payload)
{
    top1 *t = store;
    (void)payload;
    return rill_emit_tuple(out, "ii", t->best, t->words);
}

static void a_gathering_reducer_after_a_combine_sees_the_whole_table_once(void **state)
{
    int gather, w;
    (void)state;
    for (gather = 0; gather <= 1; gather++)
        for (w = 1; w <= 2; w++) {
            rill_combine_options sum = RILL_COMBINE_SUM_INT64;
            rill_reduce_options top = RILL_REDUCE_OPTIONS_INIT;
            rill_run_options o = with_workers(w);
            rill_pipeline *p;
            rill_batch *res;
            rill_record r;
            int64_t best, words;
            top.store_size = sizeof(top1);
            top.add = top_add;
            top.merge = top_merge;
            top.emit = top_emit;
            top.gather = gather;
            o.batch_records = 16;
            assert_int_equal(rill_pipeline_new(&p), 0);
            assert_int_equal(rill_work(p, lines(300)), 0);
            assert_int_equal(rill_job(p, "split", NULL, split, NULL), 0);
            assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
            assert_int_equal(rill_reduce(p, "top", &top, NULL), 0);
            assert_int_equal(rill_run(p, &o, &res), 0);
            if (!gather) { /* job_stream's rule: each word its own reduction */
                assert_int_equal(rill_batch_count(res), 50);
            } else {
                assert_int_equal(rill_batch_count(res), 1);
                assert_int_equal(rill_batch_get(&r, res, 0), 0);
                assert_int_equal(rill_record_unpack(&r, "ii", &best, &words), 0);
                assert_int_equal(words, 50);
                assert_true(best > 300);
            }
            rill_batch_free(res);
            rill_pipeline_free(p);
        }
}

static int to_one_key(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)in, (void)payload;
    return rill_emit_keyed(out, "words", 5, NULL, 0);
}

static void a_gathering_combine_after_a_combine_counts_its_keys(void **state)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64, again = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    rill_batch *res;
    rill_record r;
    (void)state;
    again.gather = 1;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, lines(100)), 0);
    assert_int_equal(rill_job(p, "split", NULL, split, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
    assert_int_equal(rill_job(p, "one key", NULL, to_one_key, NULL), 0);
    assert_int_equal(rill_combine(p, "distinct words", &again, NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    assert_int_equal(rill_batch_count(res), 1);
    assert_int_equal(rill_batch_get(&r, res, 0), 0);
    assert_int_equal(i64(&r), 50);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(word_count_matches_a_plain_count_with_1_2_and_8_workers),
        cmocka_unit_test(sums_of_empty_short_and_long_keys_match_a_plain_sum),
        cmocka_unit_test(a_custom_accumulator_with_init_and_merge_gives_the_max_per_key),
        cmocka_unit_test(a_combine_inside_a_frame_combines_each_round_on_its_own),
        cmocka_unit_test(a_gathering_reducer_after_a_combine_sees_the_whole_table_once),
        cmocka_unit_test(a_gathering_combine_after_a_combine_counts_its_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
