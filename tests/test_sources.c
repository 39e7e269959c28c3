/* test_sources.c — a pipeline's sources and their signatures
 * (rill/sys/source.h): the kind plus a hash of the configuration, the same
 * for the same configuration in any pipeline, different when what is read
 * or how changes. */
#include "helpers.h"

#include <rill/sys/sink.h>
#include <rill/sys/source.h>

static rill_batch *names(const char *a, const char *b)
{
    rill_batch *w;
    assert_int_equal(rill_batch_new(&w), 0);
    assert_int_equal(rill_batch_add(w, a, strlen(a)), 0);
    if (b)
        assert_int_equal(rill_batch_add(w, b, strlen(b)), 0);
    return w;
}

/* A pipeline reading the lines of files (a, b) in chunks of chunk bytes. */
static rill_pipeline *lines(const char *a, const char *b, int64_t chunk)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, names(a, b)), 0);
    assert_int_equal(rill_read_lines(p, "read", chunk), 0);
    return p;
}

static rill_source_signature signature(rill_pipeline *p, int i)
{
    rill_source_signature s;
    assert_int_equal(rill_pipeline_source_signature(p, i, &s), 0);
    return s;
}

static int same(rill_source_signature x, rill_source_signature y)
{
    return strcmp(x.kind, y.kind) == 0 && x.hash[0] == y.hash[0] && x.hash[1] == y.hash[1];
}

static void a_line_source_has_the_work_list_and_itself_as_sources(void **state)
{
    rill_pipeline *p = lines("a.txt", "b.txt", 1000);
    rill_source_signature s;
    (void)state;
    assert_int_equal(rill_pipeline_source_count(p), 2);
    s = signature(p, 0);
    assert_string_equal(s.kind, "work");
    assert_true(s.flags & RILL_SOURCE_BOUNDED);
    s = signature(p, 1);
    assert_string_equal(s.kind, "lines");
    assert_true(s.flags & RILL_SOURCE_SPLITTABLE);
    assert_int_equal(rill_pipeline_source_signature(p, 2, &s), RILL_ENOTFOUND);
    rill_pipeline_free(p);
}

static void the_same_configuration_gives_the_same_signature(void **state)
{
    rill_pipeline *p = lines("a.txt", "b.txt", 1000), *q = lines("a.txt", "b.txt", 1000);
    (void)state;
    assert_true(same(signature(p, 1), signature(q, 1)));
    assert_true(same(signature(p, 0), signature(q, 0)));
    rill_pipeline_free(p);
    rill_pipeline_free(q);
}

static void another_file_or_chunk_changes_the_signature(void **state)
{
    rill_pipeline *p = lines("a.txt", "b.txt", 1000);
    rill_pipeline *files = lines("a.txt", "c.txt", 1000);
    rill_pipeline *chunk = lines("a.txt", "b.txt", 2000);
    rill_pipeline *split = lines("a.txtb", ".txt", 1000); /* same bytes, other names */
    (void)state;
    assert_false(same(signature(p, 1), signature(files, 1)));
    assert_false(same(signature(p, 1), signature(chunk, 1)));
    assert_false(same(signature(p, 1), signature(split, 1)));
    rill_pipeline_free(p);
    rill_pipeline_free(files);
    rill_pipeline_free(chunk);
    rill_pipeline_free(split);
}

static void a_sequence_is_known_by_its_range_and_rate(void **state)
{
    rill_pipeline *p[4];
    int i;
    (void)state;
    for (i = 0; i < 4; i++)
        assert_int_equal(rill_pipeline_new(&p[i]), 0);
    assert_int_equal(rill_sequence(p[0], "n", 0, 100, 0), 0);
    assert_int_equal(rill_sequence(p[1], "n", 0, 100, 0), 0);
    assert_int_equal(rill_sequence(p[2], "n", 0, 101, 0), 0);
    assert_int_equal(rill_sequence(p[3], "n", 0, RILL_OFFSET_INFINITY, 10), 0);
    assert_string_equal(signature(p[0], 1).kind, "sequence");
    assert_true(same(signature(p[0], 1), signature(p[1], 1)));
    assert_false(same(signature(p[0], 1), signature(p[2], 1)));
    assert_true(signature(p[0], 1).flags & RILL_SOURCE_BOUNDED);
    assert_false(signature(p[3], 1).flags & RILL_SOURCE_BOUNDED);
    for (i = 0; i < 4; i++)
        rill_pipeline_free(p[i]);
}

static int gen(rill_batch *out, void *payload)
{
    (void)out;
    (void)payload;
    return 0;
}

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static void a_signature_is_the_same_before_and_after_validation(void **state)
{
    rill_pipeline *p;
    rill_source_signature before, after;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, gen, NULL), 0);
    assert_int_equal(rill_job(p, "first", NULL, pass, NULL), 0);
    assert_int_equal(rill_job(p, "second", NULL, pass, NULL), 0);
    before = signature(p, 0);
    assert_int_equal(rill_pipeline_validate(p), 0);
    after = signature(p, 0);
    assert_true(same(before, after));
    rill_pipeline_free(p);
}

static void a_generator_is_an_unbounded_source(void **state)
{
    rill_pipeline *p;
    rill_source_signature s;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, gen, NULL), 0);
    assert_int_equal(rill_pipeline_source_count(p), 1);
    s = signature(p, 0);
    assert_string_equal(s.kind, "generator");
    assert_false(s.flags & RILL_SOURCE_BOUNDED);
    rill_pipeline_free(p);
}

/* A source of one's own: batches of 100 numbers, ten of them, each made
 * from the position alone, so it can be asked again on resume. */
static int counter_next(void *self, rill_source_pull *pull)
{
    int64_t k = pull->position, i, *batches = self;
    if (k >= *batches)
        return 0;
    for (i = 0; i < 100; i++)
        if (rill_batch_add_int64(pull->out, k * 100 + i) < 0)
            return RILL_ENOMEM;
    pull->batch = pull->out;
    pull->begin = 0;
    pull->end = 100;
    pull->position = k + 1;
    return 1;
}

static int counter_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    (void)p;
    return rill_batch_add(out, self, sizeof(int64_t));
}

static const rill_source counter = {
    .version = RILL_SOURCE_VERSION,
    .name = "counter",
    .flags = RILL_SOURCE_BOUNDED,
    .next = counter_next,
    .describe = counter_describe,
    .free = free,
};

/* A sink of one's own: sums what reaches it. */
typedef struct summer {
    int64_t sum, records, begun, ended;
} summer;

static int sum_begin(void *self, int nsinks)
{
    (void)nsinks;
    ((summer *)self)->begun++;
    return 0;
}

static int sum_write(void *self, const char *sink, const rill_batch *b, size_t begin,
                     size_t end)
{
    summer *s = self;
    size_t i;
    assert_string_equal(sink, "double");
    for (i = begin; i < end; i++) {
        rill_record r;
        int64_t v;
        assert_int_equal(rill_batch_get(&r, b, i), 0);
        assert_int_equal(rill_record_int64(&v, &r), 0);
        s->sum += v;
        s->records++;
    }
    return 0;
}

static int sum_end(void *self, int ok)
{
    ((summer *)self)->ended += ok;
    return 0;
}

static const rill_sink summing = {
    .version = RILL_SINK_VERSION,
    .name = "sum",
    .begin = sum_begin,
    .write = sum_write,
    .end = sum_end,
};

static int twice(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t v;
    (void)payload;
    if (rill_record_int64(&v, in) != 0)
        return -1;
    return rill_emit_int64(out, 2 * v);
}

static void a_source_and_a_sink_of_one_s_own_run_like_rill_s(void **state)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    summer sum = {0, 0, 0, 0};
    int64_t *batches = malloc(sizeof(*batches));
    rill_source_signature sig;
    (void)state;
    *batches = 10;
    o.workers = 2;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_source_set(p, &counter, batches), 0);
    assert_int_equal(rill_source_set(p, &counter, NULL), RILL_EPIPELINE); /* one */
    assert_int_equal(rill_job(p, "double", NULL, twice, NULL), 0);
    assert_int_equal(rill_output_sink(p, &summing, &sum), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EPIPELINE); /* the second set */
    rill_pipeline_free(p);

    assert_int_equal(rill_pipeline_new(&p), 0);
    batches = malloc(sizeof(*batches));
    *batches = 10;
    assert_int_equal(rill_source_set(p, &counter, batches), 0);
    assert_int_equal(rill_job(p, "double", NULL, twice, NULL), 0);
    assert_int_equal(rill_output_sink(p, &summing, &sum), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(sum.records, 1000);
    assert_int_equal(sum.sum, 999 * 1000); /* 2 * (0 + ... + 999) */
    assert_int_equal(sum.begun, 1);
    assert_int_equal(sum.ended, 1);
    assert_int_equal(rill_pipeline_source_count(p), 1);
    assert_int_equal(rill_pipeline_source_signature(p, 0, &sig), 0);
    assert_string_equal(sig.kind, "counter");
    rill_pipeline_free(p);
}

static void tables_of_another_version_are_refused(void **state)
{
    rill_source bad = counter;
    rill_sink worse = summing;
    rill_pipeline *p;
    (void)state;
    bad.version = RILL_SOURCE_VERSION + 1;
    worse.write = NULL;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_source_set(p, &bad, NULL), RILL_EINVAL);
    assert_int_equal(rill_source_declare(p, &bad, NULL), RILL_EINVAL);
    assert_int_equal(rill_output_sink(p, &worse, NULL), RILL_EINVAL);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_line_source_has_the_work_list_and_itself_as_sources),
        cmocka_unit_test(the_same_configuration_gives_the_same_signature),
        cmocka_unit_test(another_file_or_chunk_changes_the_signature),
        cmocka_unit_test(a_sequence_is_known_by_its_range_and_rate),
        cmocka_unit_test(a_generator_is_an_unbounded_source),
        cmocka_unit_test(a_signature_is_the_same_before_and_after_validation),
        cmocka_unit_test(a_source_and_a_sink_of_one_s_own_run_like_rill_s),
        cmocka_unit_test(tables_of_another_version_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
