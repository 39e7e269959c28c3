/* test_reference.c — the two worked examples of the job_stream inline
 * reference, written with rill's C API, print what the reference says they
 * print: the mean word length of "Hello there world, how are you?" and the
 * frame sums 4: 10, 5: 15, 8: 36. Each runs with 1, 2 and 4 workers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rill.h>

/* ---- mean word length ---- */

static int get_len(rill_emitter *out, const rill_record *word, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, (int64_t)word->len);
}

typedef struct mean_store {
    int64_t count;
    double len;
} mean_store;

static int find_average(rill_emitter *recur, void *store, const rill_record *inputs,
                        size_t n, void *payload)
{
    mean_store *s = store;
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++) {
        int64_t v;
        if (rill_record_int64(&v, &inputs[i]) < 0)
            return -1;
        s->len += (double)v;
        s->count++;
    }
    return 0;
}

static int merge_average(void *store, void *other, void *payload)
{
    mean_store *s = store, *o = other;
    (void)payload;
    s->len += o->len;
    s->count += o->count;
    return 0;
}

static int emit_average(rill_emitter *out, void *store, void *payload)
{
    mean_store *s = store;
    (void)payload;
    return rill_emit_double(out, s->len / (double)s->count);
}

static int print_mean(const rill_record *r, void *payload)
{
    double *seen = payload;
    assert_int_equal(rill_record_double(seen, r), 0);
    printf("%.16g\n", *seen);
    return 0;
}

static void mean_word_length_of_the_reference_sentence_is_26_over_6(void **state)
{
    int workers;
    (void)state;
    for (workers = 1; workers <= 4; workers *= 2) {
        char sentence[] = "Hello there world, how are you?";
        rill_run_options o = RILL_RUN_OPTIONS_INIT;
        rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
        rill_pipeline *p;
        rill_batch *words;
        double seen = 0;
        char *w;
        assert_int_equal(rill_batch_new(&words), 0);
        for (w = strtok(sentence, " "); w; w = strtok(NULL, " "))
            assert_int_equal(rill_batch_add_text(words, w), 0);
        r.store_size = sizeof(mean_store);
        r.add = find_average;
        r.merge = merge_average;
        r.emit = emit_average;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, words), 0);
        assert_int_equal(rill_job(p, "getLen", NULL, get_len, NULL), 0);
        assert_int_equal(rill_reduce(p, "findAverage", &r, NULL), 0);
        assert_int_equal(rill_result(p, print_mean, &seen), 0);
        o.workers = workers;
        assert_int_equal(rill_run(p, &o, NULL), 0);
        assert_true(seen == 26.0 / 6.0);
        rill_pipeline_free(p);
    }
}

/* ---- frame sums ---- */

typedef struct sum_store {
    int64_t first, value;
    int started;
} sum_store;

static int sum_through(rill_emitter *recur, void *store, const rill_record *first,
                       void *payload)
{
    sum_store *s = store;
    (void)payload;
    if (!s->started) {
        s->started = 1;
        assert_int_equal(rill_record_int64(&s->first, first), 0);
        s->value = 0;
        return rill_emit_record(recur, first);
    }
    return 0; /* emitting nothing ends the frame; the store is emitted */
}

static int count_to(rill_emitter *out, const rill_record *w, void *payload)
{
    int64_t n, i;
    int rc = 0;
    (void)payload;
    assert_int_equal(rill_record_int64(&n, w), 0);
    for (i = 1; i <= n && rc == 0; i++)
        rc = rill_emit_int64(out, i);
    return rc;
}

static int handle_next(rill_emitter *recur, void *store, const rill_record *next,
                       void *payload)
{
    sum_store *s = store;
    int64_t v;
    (void)recur, (void)payload;
    assert_int_equal(rill_record_int64(&v, next), 0);
    s->value += v;
    return 0;
}

typedef struct lines {
    char text[8][32];
    int n;
} lines;

static int print_matchup(const rill_record *r, void *payload)
{
    lines *l = payload;
    sum_store s;
    assert_int_equal(r->len, sizeof(s));
    memcpy(&s, r->data, sizeof(s));
    assert_true(l->n < 8);
    snprintf(l->text[l->n], sizeof(l->text[0]), "%lld: %lld", (long long)s.first,
             (long long)s.value);
    printf("%s\n", l->text[l->n++]);
    return 0;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void frame_sums_through_4_5_8_are_10_15_36(void **state)
{
    int workers;
    (void)state;
    for (workers = 1; workers <= 4; workers *= 2) {
        rill_run_options o = RILL_RUN_OPTIONS_INIT;
        rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
        rill_pipeline *p;
        rill_batch *work;
        lines out = {.n = 0};
        assert_int_equal(rill_batch_new(&work), 0);
        assert_int_equal(rill_batch_add_int64(work, 4), 0);
        assert_int_equal(rill_batch_add_int64(work, 5), 0);
        assert_int_equal(rill_batch_add_int64(work, 8), 0);
        f.store_size = sizeof(sum_store);
        f.frame = sum_through;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, work), 0);
        assert_int_equal(rill_frame(p, "sumThrough", &f, NULL), 0);
        assert_int_equal(rill_job(p, "countTo", NULL, count_to, NULL), 0);
        assert_int_equal(rill_frame_end(p, "handleNext", NULL, handle_next, NULL), 0);
        assert_int_equal(rill_result(p, print_matchup, &out), 0);
        o.workers = workers;
        assert_int_equal(rill_run(p, &o, NULL), 0);
        assert_int_equal(out.n, 3);
        qsort(out.text, 3, sizeof(out.text[0]), cmp_line);
        assert_string_equal(out.text[0], "4: 10");
        assert_string_equal(out.text[1], "5: 15");
        assert_string_equal(out.text[2], "8: 36");
        rill_pipeline_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mean_word_length_of_the_reference_sentence_is_26_over_6),
        cmocka_unit_test(frame_sums_through_4_5_8_are_10_15_36),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
