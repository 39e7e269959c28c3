/* test_sources.c — a pipeline's sources and their signatures
 * (rill/sys/source.h): the kind plus a hash of the configuration, the same
 * for the same configuration in any pipeline, different when what is read
 * or how changes. */
#include "helpers.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_line_source_has_the_work_list_and_itself_as_sources),
        cmocka_unit_test(the_same_configuration_gives_the_same_signature),
        cmocka_unit_test(another_file_or_chunk_changes_the_signature),
        cmocka_unit_test(a_sequence_is_known_by_its_range_and_rate),
        cmocka_unit_test(a_generator_is_an_unbounded_source),
        cmocka_unit_test(a_signature_is_the_same_before_and_after_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
