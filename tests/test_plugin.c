/* test_plugin.c — plugins, as a host sees them: the example plugin
 * (examples/plugin/, a real shared object) is loaded, each of its entries
 * is run in a pipeline through the public API and its output compared with
 * the answer computed here; entries are found by name and kind, and a name
 * the plugin does not offer is refused with what it does offer. (Plugins
 * that cannot be loaded: test_plugin_load.c.)
 *
 * The test links the shared librill, as the rill command does: the plugins
 * do not link it, they use the host's. */
#include <ctype.h>

#include "helpers.h"
#include "plugin_helpers.h"

#include <rill/sys/source.h>

static const int workers[] = {1, 4};

/* ---- data and answers ---- */

/* n words of mixed case, lengths 1..300 (some longer than the plugin's
 * stack buffer), the same every run. */
static rill_batch *words(size_t n)
{
    rill_batch *b;
    uint64_t x = 0x9e3779b97f4a7c15u;
    char w[301];
    size_t i, j, len;
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        len = 1 + (size_t)((x >> 33) % (i % 10 == 0 ? 300 : 12));
        for (j = 0; j < len; j++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            w[j] = (char)((x >> 40) % 2 ? 'a' + (x >> 45) % 26 : 'A' + (x >> 45) % 26);
        }
        assert_int_equal(rill_batch_add(b, w, len), 0);
    }
    return b;
}

/* The records of b as NUL-terminated strings, sorted. Caller frees each and
 * the array. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **strings(const rill_batch *b)
{
    size_t n = rill_batch_count(b), i;
    char **v = calloc(n + 1, sizeof(*v));
    assert_non_null(v);
    for (i = 0; i < n; i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, b, i), 0);
        v[i] = calloc(1, r.len + 1);
        assert_non_null(v[i]);
        memcpy(v[i], r.data, r.len);
    }
    qsort(v, n, sizeof(*v), cmp_str);
    return v;
}

static void free_strings(char **v)
{
    size_t i;
    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void assert_same_strings(char **got, char **want)
{
    size_t i;
    for (i = 0; want[i]; i++) {
        assert_non_null(got[i]);
        assert_string_equal(got[i], want[i]);
    }
    assert_null(got[i]);
}

static rill_plugin_lib *open_example(void)
{
    rill_plugin_lib *lib = NULL;
    int rc = rill_plugin_open(&lib, EXAMPLE_PLUGIN);
    if (rc != 0)
        fail_msg("%s", rill_error_last());
    assert_non_null(lib);
    return lib;
}

static const rill_plugin_entry *find(const rill_plugin_lib *lib, rill_plugin_kind kind,
                                     const char *name)
{
    const rill_plugin_entry *e = NULL;
    int rc = rill_plugin_find(&e, lib, kind, name);
    if (rc != 0)
        fail_msg("%s", rill_error_last());
    assert_non_null(e);
    return e;
}

/* ---- the example plugin, entry by entry ---- */

static void example_plugin_lists_what_it_offers(void **state)
{
    static const struct { const char *name; rill_plugin_kind kind; } want[] = {
        {"upper", RILL_PLUGIN_JOB},         {"prefix", RILL_PLUGIN_JOB},
        {"lengths", RILL_PLUGIN_TASK},      {"route", RILL_PLUGIN_TASK},
        {"mean_length", RILL_PLUGIN_REDUCE}, {"length_by_key", RILL_PLUGIN_COMBINE},
        {"rounds", RILL_PLUGIN_FRAME},       {"numbers", RILL_PLUGIN_SOURCE},
        {"ticks", RILL_PLUGIN_SOURCE},       {"clean", RILL_PLUGIN_FRAGMENT},
        {"classify", RILL_PLUGIN_FRAGMENT},
    };
    rill_plugin_lib *lib = open_example();
    size_t i;
    (void)state;
    assert_string_equal(rill_plugin_name(lib), "example");
    assert_string_equal(rill_plugin_path(lib), EXAMPLE_PLUGIN);
    assert_true(strlen(rill_plugin_description(lib)) > 0);
    assert_int_equal(rill_plugin_api_version(lib), RILL_PLUGIN_API_VERSION);
    assert_int_equal(rill_plugin_count(lib), sizeof(want) / sizeof(want[0]));
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const rill_plugin_entry *e = rill_plugin_entry_at(lib, i);
        assert_non_null(e);
        assert_string_equal(e->name, want[i].name);
        assert_int_equal(e->kind, want[i].kind);
        assert_true(strlen(e->description) > 0 && strchr(e->description, '\n') == NULL);
        assert_string_equal(e->file, EXAMPLE_PLUGIN);
        assert_ptr_equal(find(lib, RILL_PLUGIN_ANY, want[i].name), e);
    }
    assert_null(rill_plugin_entry_at(lib, i));
    rill_plugin_close(lib);
}

static void job_from_the_plugin_upper_cases_every_record(void **state)
{
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *upper = find(lib, RILL_PLUGIN_JOB, "upper");
    size_t wi;
    (void)state;
    for (wi = 0; wi < 2; wi++) {
        rill_run_options o = with_workers(workers[wi]);
        rill_batch *in = words(500), *res = NULL;
        char **want = strings(in), **got;
        rill_pipeline *p;
        size_t i, j;
        for (i = 0; want[i]; i++)
            for (j = 0; want[i][j]; j++)
                want[i][j] = (char)toupper((unsigned char)want[i][j]);
        qsort(want, 500, sizeof(*want), cmp_str);
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, in), 0);
        assert_int_equal(rill_plugin_add(p, upper, "upper", NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        got = strings(res);
        assert_same_strings(got, want);
        free_strings(got);
        free_strings(want);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
    rill_plugin_close(lib);
}

static void reducer_from_the_plugin_gives_the_mean_length(void **state)
{
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *mean = find(lib, RILL_PLUGIN_REDUCE, "mean_length");
    size_t wi;
    (void)state;
    for (wi = 0; wi < 2; wi++) {
        rill_run_options o = with_workers(workers[wi]);
        rill_batch *in = words(2000), *res = NULL;
        rill_pipeline *p;
        rill_record r;
        double got, want = 0;
        size_t i;
        for (i = 0; i < rill_batch_count(in); i++) {
            assert_int_equal(rill_batch_get(&r, in, i), 0);
            want += (double)r.len;
        }
        want /= (double)rill_batch_count(in);
        o.batch_records = 64; /* several partial stores to merge */
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, in), 0);
        assert_int_equal(rill_plugin_add(p, mean, "mean", NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 1);
        assert_int_equal(rill_batch_get(&r, res, 0), 0);
        assert_int_equal(rill_record_double(&got, &r), 0);
        assert_true(got > want - 1e-9 && got < want + 1e-9);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
    rill_plugin_close(lib);
}

/* Keys each word by its first letter, lower-cased. */
static int by_first_letter(rill_emitter *out, const rill_record *in, void *payload)
{
    char k = (char)tolower(*(const unsigned char *)in->data);
    (void)payload;
    return rill_emit_keyed(out, &k, 1, in->data, in->len);
}

static void combine_from_the_plugin_sums_lengths_by_key(void **state)
{
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *bykey = find(lib, RILL_PLUGIN_COMBINE, "length_by_key");
    size_t wi;
    (void)state;
    for (wi = 0; wi < 2; wi++) {
        rill_run_options o = with_workers(workers[wi]);
        rill_batch *in = words(3000), *res = NULL;
        int64_t want[26] = {0}, got[26] = {0};
        rill_pipeline *p;
        rill_record r;
        size_t i;
        for (i = 0; i < rill_batch_count(in); i++) {
            assert_int_equal(rill_batch_get(&r, in, i), 0);
            want[tolower(*(const unsigned char *)r.data) - 'a'] += (int64_t)r.len;
        }
        o.batch_records = 100;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, in), 0);
        assert_int_equal(rill_job(p, "key", NULL, by_first_letter, NULL), 0);
        assert_int_equal(rill_plugin_add(p, bykey, "by key", NULL), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        for (i = 0; i < rill_batch_count(res); i++) {
            int k;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(r.key_len, 1);
            k = *(const char *)r.key - 'a';
            assert_true(k >= 0 && k < 26 && got[k] == 0);
            got[k] = i64(&r);
        }
        assert_memory_equal(got, want, sizeof(want));
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
    rill_plugin_close(lib);
}

static void task_from_the_plugin_runs_in_a_graph(void **state)
{
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *lengths = find(lib, RILL_PLUGIN_TASK, "lengths");
    rill_batch *in = words(700), *res = NULL;
    rill_run_options o = with_workers(2);
    int64_t *want = calloc(700, sizeof(*want)), *got;
    rill_pipeline *p;
    size_t i, n;
    (void)state;
    assert_non_null(want);
    for (i = 0; i < 700; i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, in, i), 0);
        want[i] = (int64_t)r.len;
    }
    qsort(want, 700, sizeof(*want), cmp_i64);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, in), 0);
    assert_int_equal(rill_plugin_add(p, lengths, "lengths", NULL), 0);
    assert_int_equal(rill_task(p, "out", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "lengths", "out"), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    got = sorted_ints(res, &n);
    assert_int_equal(n, 700);
    assert_memory_equal(got, want, 700 * sizeof(*want));
    free(got);
    free(want);
    rill_batch_free(res);
    rill_pipeline_free(p);
    rill_plugin_close(lib);
}

static int doubled(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, 2 * i64(in));
}

static void frame_from_the_plugin_runs_its_rounds_around_inner_stages(void **state)
{
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *rounds = find(lib, RILL_PLUGIN_FRAME, "rounds");
    size_t wi;
    (void)state;
    for (wi = 0; wi < 2; wi++) {
        rill_run_options o = with_workers(workers[wi]);
        rill_batch *res = NULL;
        rill_pipeline *p;
        int64_t want[30], *got;
        size_t n, i;
        for (i = 0; i < 30; i++) /* n rounds of 2n each */
            want[i] = 2 * (int64_t)(i + 1) * (int64_t)(i + 1);
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 31)), 0);
        assert_int_equal(rill_plugin_add(p, rounds, "rounds", NULL), 0);
        assert_int_equal(rill_job(p, "double", NULL, doubled, NULL), 0);
        assert_int_equal(rill_plugin_add_end(p, rounds, "rounds end"), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        got = sorted_ints(res, &n);
        assert_int_equal(n, 30);
        assert_memory_equal(got, want, sizeof(want));
        free(got);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
    rill_plugin_close(lib);
}

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static void source_table_from_the_plugin_gives_its_numbers(void **state)
{
    static const char *const opts[] = {"start=5", "count=1000", NULL};
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *numbers = find(lib, RILL_PLUGIN_SOURCE, "numbers");
    rill_run_options o = with_workers(2);
    rill_batch *res = NULL;
    rill_pipeline *p;
    rill_source_signature sig;
    int64_t *got;
    size_t n, i;
    (void)state;
    o.batch_records = 64;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_plugin_add(p, numbers, "numbers", opts), 0);
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    got = sorted_ints(res, &n);
    assert_int_equal(n, 1000);
    for (i = 0; i < n; i++)
        assert_int_equal(got[i], 5 + (int64_t)i);
    assert_int_equal(rill_pipeline_source_signature(p, 0, &sig), 0);
    assert_string_equal(sig.kind, "example.numbers");
    free(got);
    rill_batch_free(res);
    rill_pipeline_free(p);
    rill_plugin_close(lib);
}

static void source_from_the_plugin_refusing_an_option_names_it(void **state)
{
    static const char *const opts[] = {"count=3", "stop=9", NULL};
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *numbers = find(lib, RILL_PLUGIN_SOURCE, "numbers");
    rill_pipeline *p;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_plugin_add(p, numbers, "nums", opts), RILL_EUSER);
    assert_message_has("'nums'");
    assert_message_has("stop=9");
    assert_message_has(EXAMPLE_PLUGIN);
    rill_pipeline_free(p);
    rill_plugin_close(lib);
}

static void generator_from_the_plugin_is_stopped_by_max_batches(void **state)
{
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *ticks = find(lib, RILL_PLUGIN_SOURCE, "ticks");
    rill_run_options o = with_workers(2);
    rill_batch *res = NULL;
    rill_pipeline *p;
    int64_t *got, sum = 0;
    size_t n, i;
    (void)state;
    o.max_batches = 7;
    assert_null(ticks->source);
    assert_non_null(ticks->generator);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_plugin_add(p, ticks, "ticks", NULL), 0);
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    got = sorted_ints(res, &n);
    assert_int_equal(n, 7 * 10);
    for (i = 0; i < n; i++)
        sum += got[i];
    assert_int_equal(sum, 7 * 45);
    free(got);
    rill_batch_free(res);
    rill_pipeline_free(p);
    rill_plugin_close(lib);
}

static void fragment_from_the_plugin_appends_its_stages_with_options(void **state)
{
    static const char *const opts[] = {"min=6", NULL};
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *clean = find(lib, RILL_PLUGIN_FRAGMENT, "clean");
    rill_batch *in = words(1000), *res = NULL;
    rill_run_options o = with_workers(2);
    char **all = strings(in), **want, **got;
    rill_stage_stats st;
    rill_pipeline *p;
    size_t i, j, n = 0;
    (void)state;
    want = calloc(1001, sizeof(*want));
    assert_non_null(want);
    for (i = 0; all[i]; i++) {
        if (strlen(all[i]) < 6)
            continue;
        for (j = 0; all[i][j]; j++)
            all[i][j] = (char)tolower((unsigned char)all[i][j]);
        want[n++] = all[i];
        all[i] = strdup("");
    }
    qsort(want, n, sizeof(*want), cmp_str);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, in), 0);
    assert_int_equal(rill_plugin_add(p, clean, "clean", opts), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    got = strings(res);
    assert_same_strings(got, want);
    assert_int_equal(rill_pipeline_stats(&st, p, "clean.lower"), 0);
    assert_int_equal(st.records_out, 1000);
    assert_int_equal(rill_pipeline_stats(&st, p, "clean.min"), 0);
    assert_int_equal(st.records_out, n);
    free_strings(got);
    free_strings(want);
    free_strings(all);
    rill_batch_free(res);
    rill_pipeline_free(p);
    rill_plugin_close(lib);
}

static void fragment_failing_gives_its_code_and_reason(void **state)
{
    static const char *const opts[] = {"max=6", NULL};
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *clean = find(lib, RILL_PLUGIN_FRAGMENT, "clean");
    rill_pipeline *p;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_plugin_add(p, clean, "tidy", opts), RILL_EINVAL);
    assert_message_has("'tidy'");
    assert_message_has("clean takes min=N");
    rill_pipeline_free(p);
    rill_plugin_close(lib);
}

/* Options given to rill_plugin_add reach a job as its context values. */
static void stage_options_become_context_values(void **state)
{
    static const char *const opts[] = {"text=>> ", NULL};
    static const char *const bad[] = {"noequals", NULL};
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *prefix = find(lib, RILL_PLUGIN_JOB, "prefix");
    rill_batch *in = words(300), *res = NULL;
    char **want = strings(in), **got;
    rill_pipeline *p;
    size_t i;
    (void)state;
    for (i = 0; want[i]; i++) {
        char *w = malloc(strlen(want[i]) + 4);
        assert_non_null(w);
        sprintf(w, ">> %s", want[i]);
        free(want[i]);
        want[i] = w;
    }
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, in), 0);
    assert_int_equal(rill_plugin_add(p, prefix, "prefix", opts), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    got = strings(res);
    assert_same_strings(got, want);
    free_strings(got);
    free_strings(want);
    rill_batch_free(res);
    rill_pipeline_free(p);

    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_plugin_add(p, prefix, "prefix", bad), RILL_EINVAL);
    assert_message_has("noequals");
    assert_message_has("'prefix'");
    assert_int_equal(rill_plugin_add_end(p, prefix, "end"), RILL_ETYPE);
    assert_message_has("is a job, not a frame");
    rill_pipeline_free(p);
    rill_plugin_close(lib);
}

/* ---- finding entries ---- */

static void a_name_not_offered_is_refused_with_what_is(void **state)
{
    rill_plugin_lib *lib = open_example();
    const rill_plugin_entry *e = (const rill_plugin_entry *)lib;
    (void)state;
    assert_int_equal(rill_plugin_find(&e, lib, RILL_PLUGIN_REDUCE, "meen_length"),
                     RILL_ENOTFOUND);
    assert_null(e);
    assert_message_has("meen_length");
    assert_message_has(EXAMPLE_PLUGIN);
    assert_message_has("job upper");
    assert_message_has("reduce mean_length");
    assert_message_has("fragment clean");
    assert_int_equal(rill_plugin_find(&e, lib, RILL_PLUGIN_REDUCE, "upper"), RILL_ETYPE);
    assert_message_has("'upper' is a job, not a reduce");
    assert_message_has("reduce mean_length");
    rill_plugin_close(lib);
}

static void a_plugin_opened_twice_has_two_registries(void **state)
{
    rill_plugin_lib *a = open_example(), *b = open_example();
    const rill_plugin_entry *upper;
    rill_batch *work, *res = NULL;
    rill_pipeline *p;
    rill_record r;
    (void)state;
    rill_plugin_close(a); /* b's code and payloads stay */
    upper = find(b, RILL_PLUGIN_JOB, "upper");
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, "still here"), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_plugin_add(p, upper, "upper", NULL), 0);
    assert_int_equal(rill_run(p, NULL, &res), 0);
    assert_int_equal(rill_batch_get(&r, res, 0), 0);
    assert_int_equal(r.len, 10);
    assert_memory_equal(r.data, "STILL HERE", 10);
    rill_batch_free(res);
    rill_pipeline_free(p);
    rill_plugin_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_plugin_lists_what_it_offers),
        cmocka_unit_test(job_from_the_plugin_upper_cases_every_record),
        cmocka_unit_test(reducer_from_the_plugin_gives_the_mean_length),
        cmocka_unit_test(combine_from_the_plugin_sums_lengths_by_key),
        cmocka_unit_test(task_from_the_plugin_runs_in_a_graph),
        cmocka_unit_test(frame_from_the_plugin_runs_its_rounds_around_inner_stages),
        cmocka_unit_test(source_table_from_the_plugin_gives_its_numbers),
        cmocka_unit_test(source_from_the_plugin_refusing_an_option_names_it),
        cmocka_unit_test(generator_from_the_plugin_is_stopped_by_max_batches),
        cmocka_unit_test(fragment_from_the_plugin_appends_its_stages_with_options),
        cmocka_unit_test(fragment_failing_gives_its_code_and_reason),
        cmocka_unit_test(stage_options_become_context_values),
        cmocka_unit_test(a_name_not_offered_is_refused_with_what_is),
        cmocka_unit_test(a_plugin_opened_twice_has_two_registries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
