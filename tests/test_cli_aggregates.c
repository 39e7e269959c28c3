/* test_cli_aggregates.c — the rill command's built-in stages that gather
 * or pick records (sum, mean, min, max, distinct, top, head, sample,
 * dedupe, sort: src/cli/stage_*.c) run through real pipelines on the real
 * engine with one and several workers, each output compared with the same
 * answer computed by a plain C loop (qsort for the orders); sort with a
 * memory small enough to spill hundreds of runs, and a run file that cannot
 * be written. The stages are added by the rill command's own builder
 * (cli_build_chain). */
#include "cli_stage_helpers.h"

/* ---- sum, mean, min, max, distinct ---- */

#define NKEYS 13

/* "k<key>\t<value>" lines with integer values (some negative) and what a
 * loop makes of them. */
typedef struct keyed_ints {
    strs lines;
    int64_t sum[NKEYS], min[NKEYS], max[NKEYS], n[NKEYS];
} keyed_ints;

static void make_keyed_ints(keyed_ints *k, int nlines)
{
    uint64_t seed = 99;
    int i;
    memset(k, 0, sizeof(*k));
    for (i = 0; i < nlines; i++) {
        int key = (int)(rnd(&seed) % NKEYS);
        int64_t v = (int64_t)(rnd(&seed) % 100000) - 30000;
        if (i % 17 == 0)
            v *= 1000000000; /* beyond 32 bits */
        strs_addf(&k->lines, NULL, "k%d\t%lld", key, (long long)v);
        if (k->n[key] == 0 || v < k->min[key])
            k->min[key] = v;
        if (k->n[key] == 0 || v > k->max[key])
            k->max[key] = v;
        k->sum[key] += v;
        k->n[key]++;
    }
}

static void sum_min_and_max_by_key_equal_a_loop(void **state)
{
    static const cli_stage_def *const defs[] = {&cli_stage_sum, &cli_stage_min, &cli_stage_max};
    keyed_ints k;
    size_t w, d;
    (void)state;
    make_keyed_ints(&k, 2000);
    for (d = 0; d < 3; d++)
        for (w = 0; w < 3; w++) {
            stage st[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                          STAGE0(*defs[d], "agg")};
            strs got, want = {0};
            int key;
            assert_int_equal(run_chain(&got, &k.lines, workers[w], st, 2), 0);
            for (key = 0; key < NKEYS; key++) {
                char name[8];
                int64_t v = d == 0 ? k.sum[key] : d == 1 ? k.min[key] : k.max[key];
                snprintf(name, sizeof(name), "k%d", key);
                if (k.n[key])
                    strs_addf(&want, name, "%lld", (long long)v);
            }
            assert_same(&got, &want, 0);
        }
    strs_free(&k.lines);
}

static void mean_and_sum_of_reals_by_key_are_near_a_loop(void **state)
{
    strs lines = {0};
    double sum[NKEYS] = {0};
    int n[NKEYS] = {0}, i, m;
    uint64_t seed = 5;
    (void)state;
    for (i = 0; i < 1500; i++) {
        int key = (int)(rnd(&seed) % NKEYS);
        double v = (double)(rnd(&seed) % 100000) / 64.0 - 300; /* exact in binary */
        strs_addf(&lines, NULL, "k%d\t%.17g", key, v);
        sum[key] += v;
        n[key]++;
    }
    for (m = 0; m < 2; m++) {
        stage st[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                      STAGE0(*(m ? &cli_stage_mean : &cli_stage_sum), "agg")};
        strs got;
        size_t j;
        assert_int_equal(run_chain(&got, &lines, 4, st, 2), 0);
        assert_int_equal(got.n, NKEYS);
        for (j = 0; j < got.n; j++) {
            int key = atoi(got.v[j] + 1);
            double v = strtod(strchr(got.v[j], '=') + 1, NULL);
            double want = m ? sum[key] / n[key] : sum[key];
            assert_true(key >= 0 && key < NKEYS);
            if (fabs(v - want) > 1e-9 * (1 + fabs(want)))
                fail_msg("%s: want %.17g", got.v[j], want);
        }
        strs_free(&got);
    }
    strs_free(&lines);
}

static void sum_fails_naming_a_value_that_is_not_a_number_or_skips_it(void **state)
{
    strs lines = {0}, got, want = {0};
    stage fail[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                    STAGE0(cli_stage_sum, "total")};
    stage skip[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                    STAGE(cli_stage_sum, "total", OPT("on_error", "skip"))};
    (void)state;
    strs_addf(&lines, NULL, "a\t1");
    strs_addf(&lines, NULL, "a\tmany");
    strs_addf(&lines, NULL, "b\tnone");
    strs_addf(&lines, NULL, "a\t 2 ");
    assert_int_not_equal(run_chain(&got, &lines, 1, fail, 2), 0);
    assert_contains(run_error, "'total'");
    assert_contains(run_error, "is not a number");
    assert_int_equal(run_chain(&got, &lines, 2, skip, 2), 0);
    strs_addf(&want, "a", "3"); /* b had no number: no record */
    assert_same(&got, &want, 0);
    strs_free(&lines);
}

static void distinct_counts_the_distinct_values_of_each_key_as_a_loop_does(void **state)
{
    strs lines = {0};
    static char seen[NKEYS][50];
    uint64_t seed = 3;
    size_t w;
    int i;
    (void)state;
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < 1000; i++) {
        int key = (int)(rnd(&seed) % NKEYS), v = (int)(rnd(&seed) % (5 + 3 * key));
        strs_addf(&lines, NULL, "k%d\tv%d", key, v);
        seen[key][v] = 1;
    }
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                      STAGE0(cli_stage_distinct, "values")};
        strs got, want = {0};
        int key;
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 2), 0);
        for (key = 0; key < NKEYS; key++) {
            int c = 0, v;
            char name[8];
            for (v = 0; v < 50; v++)
                c += seen[key][v];
            snprintf(name, sizeof(name), "k%d", key);
            strs_addf(&want, name, "%d", c);
        }
        assert_same(&got, &want, 0);
    }
    strs_free(&lines);
}

/* ---- top, head ---- */

struct kv {
    char key[16];
    long long v;
};

static int kv_desc(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? 1 : -1;
    return strcmp(x->key, y->key);
}

static void top_is_the_k_largest_of_a_sorted_copy_largest_first(void **state)
{
    struct kv all[600];
    strs lines = {0};
    uint64_t seed = 11;
    size_t w, i;
    (void)state;
    for (i = 0; i < 600; i++) {
        snprintf(all[i].key, sizeof(all[i].key), "w%zu", i);
        all[i].v = (long long)(rnd(&seed) % 400); /* many ties */
        strs_addf(&lines, NULL, "%s\t%lld", all[i].key, all[i].v);
    }
    qsort(all, 600, sizeof(all[0]), kv_desc);
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                      STAGE(cli_stage_top, "top", OPT("k", "25"))};
        strs got, want = {0};
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 2), 0);
        for (i = 0; i < 25; i++)
            strs_addf(&want, all[i].key, "%lld", all[i].v);
        assert_same(&got, &want, workers[w] == 1); /* see ORDER */
    }
    strs_free(&lines);
}

static void head_passes_the_first_n_lines_with_one_worker_and_n_of_them_with_more(void **state)
{
    strs lines = log_lines(500), got, want = {0};
    stage st[] = {STAGE(cli_stage_head, "first", OPT("n", "30"))};
    size_t i, j;
    (void)state;
    assert_int_equal(run_chain(&got, &lines, 1, st, 1), 0);
    for (i = 0; i < 30; i++)
        strs_addf(&want, NULL, "%s", lines.v[i] + 1);
    assert_same(&got, &want, 1);
    assert_int_equal(run_chain(&got, &lines, 4, st, 1), 0);
    assert_int_equal(got.n, 30);
    qsort(got.v, got.n, sizeof(char *), cmp_str);
    for (i = 0; i < got.n; i++) { /* each an input line (they are all different), once */
        for (j = 0; j < lines.n && strcmp(got.v[i], lines.v[j]) != 0; j++)
            ;
        assert_true(j < lines.n);
        assert_true(i == 0 || strcmp(got.v[i - 1], got.v[i]) != 0);
    }
    strs_free(&got);
    strs_free(&lines);
}

/* ---- sample, dedupe, sort ---- */

static strs numbered_lines(int n)
{
    strs s = {0};
    int i;
    for (i = 0; i < n; i++)
        strs_addf(&s, NULL, "line %d of %d", i, n);
    return s;
}

static int in_lines(const strs *lines, const char *s)
{
    size_t j;
    for (j = 0; j < lines->n; j++)
        if (strcmp(lines->v[j], s) == 0)
            return 1;
    return 0;
}

static void sample_rate_is_the_same_for_a_seed_with_any_workers_and_near_the_rate(void **state)
{
    strs lines = numbered_lines(2000), first = {0}, got, other;
    size_t w, i;
    (void)state;
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_sample, "s", OPT("rate", "0.25"), OPT("seed", "7"))};
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 1), 0);
        assert_true(got.n > 400 && got.n < 600); /* 500 expected, 19 the deviation */
        for (i = 0; i < got.n; i++)
            assert_true(in_lines(&lines, got.v[i]));
        if (w == 0) {
            first = got;
            qsort(first.v, first.n, sizeof(char *), cmp_str);
        } else {
            strs copy = {0};
            for (i = 0; i < first.n; i++)
                strs_addf(&copy, NULL, "%s", first.v[i] + 1);
            assert_same(&got, &copy, 0);
        }
    }
    {
        stage st[] = {STAGE(cli_stage_sample, "s", OPT("rate", "0.25"), OPT("seed", "8"))};
        size_t same = 0;
        assert_int_equal(run_chain(&other, &lines, 2, st, 1), 0);
        for (i = 0; i < other.n; i++)
            same += in_lines(&first, other.v[i]);
        assert_true(same < other.n / 2); /* another seed, another sample (about a quarter in common) */
        strs_free(&other);
    }
    strs_free(&first);
    strs_free(&lines);
}

static void sample_n_keeps_n_input_records_the_same_for_a_seed_with_any_workers(void **state)
{
    strs lines = numbered_lines(1000), first = {0}, got;
    size_t w, i;
    (void)state;
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_sample, "s", OPT("n", "50"), OPT("seed", "3"))};
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 1), 0);
        assert_int_equal(got.n, 50);
        for (i = 0; i < got.n; i++)
            assert_true(in_lines(&lines, got.v[i]));
        if (w == 0)
            first = got;
        else {
            strs copy = {0};
            for (i = 0; i < first.n; i++)
                strs_addf(&copy, NULL, "%s", first.v[i] + 1);
            assert_same(&got, &copy, 0);
        }
    }
    strs_free(&first);
    strs_free(&lines);
}

static void sample_refuses_both_rate_and_n_and_a_rate_above_one(void **state)
{
    stage both = STAGE(cli_stage_sample, "s", OPT("rate", "0.5"), OPT("n", "3"));
    stage none = STAGE0(cli_stage_sample, "s");
    stage big = STAGE(cli_stage_sample, "s", OPT("rate", "1.5"));
    (void)state;
    assert_contains(add_error(&both), "not both");
    assert_contains(add_error(&none), "either rate");
    assert_contains(add_error(&big), "at most 1");
}

static void dedupe_keeps_each_distinct_record_key_or_value_once(void **state)
{
    static const char *const on[] = {"record", "key", "value"};
    strs lines = {0};
    uint64_t seed = 21;
    size_t w, m, i, j;
    (void)state;
    for (i = 0; i < 800; i++)
        strs_addf(&lines, NULL, "k%d\tv%d", (int)(rnd(&seed) % 6), (int)(rnd(&seed) % 9));
    for (m = 0; m < 3; m++)
        for (w = 0; w < 3; w++) {
            stage st[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                          STAGE(cli_stage_dedupe, "once", OPT("on", on[m]))};
            strs got, want = {0}, all = {0};
            assert_int_equal(run_chain(&got, &lines, workers[w], st, 2), 0);
            for (i = 0; i < lines.n; i++) { /* what each line makes, as a string */
                char k[8], v[8];
                assert_int_equal(sscanf(lines.v[i] + 1, "%7[^\t]\t%7s", k, v), 2);
                strs_addf(&all, m == 2 ? NULL : k, "%s", m == 1 ? "" : v);
            }
            qsort(all.v, all.n, sizeof(char *), cmp_str);
            for (i = 0; i < all.n; i = j) { /* each once */
                for (j = i + 1; j < all.n && strcmp(all.v[i], all.v[j]) == 0; j++)
                    ;
                strs_add(&want, NULL, 0, all.v[i], strlen(all.v[i]));
                want.v[want.n - 1][0] = all.v[i][0]; /* keep the string as it was */
                memcpy(want.v[want.n - 1], all.v[i], strlen(all.v[i]) + 1);
            }
            strs_free(&all);
            assert_same(&got, &want, 0);
        }
    strs_free(&lines);
}

static void sort_by_bytes_is_the_order_of_qsort_with_any_workers(void **state)
{
    strs lines = {0};
    uint64_t seed = 17;
    size_t w, i;
    (void)state;
    for (i = 0; i < 700; i++)
        strs_addf(&lines, NULL, "%c%d", 'a' + (int)(rnd(&seed) % 26), (int)(rnd(&seed) % 1000));
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE0(cli_stage_sort, "order")};
        strs got, want = {0};
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 1), 0);
        for (i = 0; i < lines.n; i++)
            strs_addf(&want, NULL, "%s", lines.v[i] + 1);
        qsort(want.v, want.n, sizeof(char *), cmp_str);
        assert_same(&got, &want, workers[w] == 1); /* see ORDER */
    }
    strs_free(&lines);
}

/* Smaller value first, then smaller key. */
static int kv_asc(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int count_files(const char *dir)
{
    char cmd[300], out[32] = "";
    FILE *f;
    snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
    f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(out, sizeof(out), f));
    pclose(f);
    return atoi(out);
}

/* Sorts "key\tnumber" lines by number, largest first, holding at most
 * memory bytes; with block, a file stands where the scratch folder was
 * (nothing can be spilled). rill_run's code; *out the output. */
static int run_sort(strs *out, const strs *lines, int workers, const char *memory, int block)
{
    stage st[] = {STAGE(cli_stage_fields, "kv", OPTL("select", "2"), OPT("key", "1")),
                  STAGE(cli_stage_sort, "order", OPT("numeric", "true"), OPT("reverse", "true"),
                        OPT("memory", memory))};
    rill_run_options o = with_workers(workers);
    rill_pipeline *p;
    rill_batch *res = NULL;
    cli_build *b;
    size_t i;
    int rc;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, batch_of(lines)), 0);
    b = cli_build_chain(p, workers); /* frees p */
    for (i = 0; i < 2; i++)
        assert_int_equal(add_stage(b, &st[i]), 0);
    assert_non_null(b->scratch);
    if (block) {
        FILE *f;
        assert_int_equal(rmdir(b->scratch), 0);
        assert_non_null(f = fopen(b->scratch, "w"));
        fclose(f);
    }
    o.batch_records = 64;
    rc = rill_run(p, &o, &res);
    snprintf(run_error, sizeof(run_error), "%s", rc ? rill_error_last() : "");
    if (block) {
        assert_int_equal(unlink(b->scratch), 0);
        assert_int_equal(mkdir(b->scratch, 0700), 0);
    }
    assert_int_equal(count_files(b->scratch), 0); /* no run file left behind */
    *out = of_batch(res);
    rill_batch_free(res);
    cli_build_free(b);
    return rc;
}

static void sort_spills_runs_past_its_memory_and_merges_them_in_order(void **state)
{
    struct kv all[3000];
    strs lines = {0};
    uint64_t seed = 23;
    size_t w, i;
    (void)state;
    for (i = 0; i < 3000; i++) {
        snprintf(all[i].key, sizeof(all[i].key), "w%zu", i);
        all[i].v = (long long)(rnd(&seed) % 5000) - 2500;
        strs_addf(&lines, NULL, "%s\t%lld", all[i].key, all[i].v);
    }
    qsort(all, 3000, sizeof(all[0]), kv_asc); /* reverse: the whole order, ties too */
    for (w = 0; w < 3; w++) {
        strs got, want = {0};
        /* 3000 records of ~100 bytes in 8 KiB: hundreds of runs, merged 16
         * at a time, then the last 16 or fewer as they are emitted. */
        assert_int_equal(run_sort(&got, &lines, workers[w], "8192", 0), 0);
        for (i = 0; i < 3000; i++) /* largest value first, then largest key */
            strs_addf(&want, all[2999 - i].key, "%lld", all[2999 - i].v);
        assert_same(&got, &want, workers[w] == 1); /* see ORDER */
    }
    strs_free(&lines);
}

static void sort_spills_only_past_its_memory_and_names_the_run_file_it_cannot_write(void **state)
{
    strs lines = {0}, got;
    int i;
    (void)state;
    for (i = 0; i < 500; i++)
        strs_addf(&lines, NULL, "w%d\t%d", i, i % 77);
    assert_int_equal(run_sort(&got, &lines, 2, "10000000", 1), 0); /* held in memory */
    assert_int_equal(got.n, 500);
    strs_free(&got);
    assert_int_not_equal(run_sort(&got, &lines, 2, "4096", 1), 0);
    assert_int_equal(got.n, 0);
    assert_contains(run_error, "'order'");
    assert_contains(run_error, "cannot create run file ");
    assert_contains(run_error, "/rill-"); /* in the builder's scratch folder */
    assert_contains(run_error, "Not a directory");
    strs_free(&lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sum_min_and_max_by_key_equal_a_loop),
        cmocka_unit_test(mean_and_sum_of_reals_by_key_are_near_a_loop),
        cmocka_unit_test(sum_fails_naming_a_value_that_is_not_a_number_or_skips_it),
        cmocka_unit_test(distinct_counts_the_distinct_values_of_each_key_as_a_loop_does),
        cmocka_unit_test(top_is_the_k_largest_of_a_sorted_copy_largest_first),
        cmocka_unit_test(head_passes_the_first_n_lines_with_one_worker_and_n_of_them_with_more),
        cmocka_unit_test(sample_rate_is_the_same_for_a_seed_with_any_workers_and_near_the_rate),
        cmocka_unit_test(sample_n_keeps_n_input_records_the_same_for_a_seed_with_any_workers),
        cmocka_unit_test(sample_refuses_both_rate_and_n_and_a_rate_above_one),
        cmocka_unit_test(dedupe_keeps_each_distinct_record_key_or_value_once),
        cmocka_unit_test(sort_by_bytes_is_the_order_of_qsort_with_any_workers),
        cmocka_unit_test(sort_spills_runs_past_its_memory_and_merges_them_in_order),
        cmocka_unit_test(sort_spills_only_past_its_memory_and_names_the_run_file_it_cannot_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
