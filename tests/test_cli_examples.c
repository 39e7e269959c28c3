/* test_cli_examples.c — the example specs of examples/ run by the real
 * `rill` binary on their bundled data (examples/data/), from the source
 * folder as the README says, each answer compared with the same answer
 * computed another way: logs.yaml (grep, fields, count, then top 10) with
 * awk, sort and uniq -c; json.yaml (json, sum, then sort) with jansson here;
 * branches.yaml (two branches, a join, partitioned output) folder by
 * folder with awk. Each with 1, 2 and 4 workers, its inputs cut into small
 * units so that workers share them, and into a folder with -o DIR. */
#include <dirent.h>
#include <jansson.h>

#include "cli_helpers.h"

#define DATA SOURCE_DIR "/examples/data"

/* rill with the arguments given (NULL-terminated), run in the source
 * folder, where the examples' relative paths lead to their data. */
static cli_result run_example(const char *first, ...)
{
    const char *argv[64];
    va_list ap;
    int n = 0;
    cli_result r;
    argv[n++] = RILL_BIN;
    argv[n++] = first;
    va_start(ap, first);
    while (n < 63 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    assert_int_equal(chdir(SOURCE_DIR), 0);
    r = cli_runv(NULL, argv);
    assert_int_equal(chdir(cli_tmp), 0);
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b); /* bytewise, as LC_ALL=C sort */
}

/* The lines of text sorted bytewise (as LC_ALL=C sort), each ended by \n;
 * caller frees. */
static char *sorted_lines(const char *text)
{
    char *copy = strdup(text), **lines = NULL, *p, *out;
    size_t n = 0, cap = 0, i, len = strlen(text) + 1;
    assert_non_null(copy);
    for (p = strtok(copy, "\n"); p; p = strtok(NULL, "\n")) {
        if (n == cap) {
            lines = realloc(lines, (cap = cap ? cap * 2 : 64) * sizeof(*lines));
            assert_non_null(lines);
        }
        lines[n++] = p;
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    out = malloc(len + 1);
    assert_non_null(out);
    out[0] = '\0';
    for (i = 0, p = out; i < n; i++)
        p += sprintf(p, "%s\n", lines[i]);
    free(lines);
    free(copy);
    return out;
}

/* The files of a folder (not below), concatenated; caller frees. */
static char *folder_text(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *all = calloc(1, 1);
    size_t len = 0;
    assert_non_null(d);
    assert_non_null(all);
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        char *text;
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        text = cli_slurp(path);
        all = realloc(all, len + strlen(text) + 1);
        assert_non_null(all);
        memcpy(all + len, text, strlen(text) + 1);
        len += strlen(text);
        free(text);
    }
    closedir(d);
    return all;
}

/* How many entries (other than . and ..) a folder has. */
static int folder_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static const char *const workers[] = {"1", "2", "4"};

/* Runs a chain example with 1, 2 and 4 workers, with its source cut into
 * units of unit bytes (set: "SOURCE.chunk_bytes=N"), to standard output
 * and into a folder, and checks each answer is want: in want's order with
 * one worker (the last stage's order: top, sort), the same records with
 * more (the order among workers is not kept, docs/stages.md). */
static void check_chain(const char *spec, const char *set, const char *want)
{
    char *want_sorted = sorted_lines(want);
    size_t i;
    for (i = 0; i < sizeof(workers) / sizeof(*workers); i++) {
        char dir[512], *got, *files;
        cli_result r = run_example("run", "-q", "-w", workers[i], spec, "-s", set, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        if (strcmp(workers[i], "1") == 0) {
            assert_string_equal(r.out, want);
        } else {
            got = sorted_lines(r.out);
            assert_string_equal(got, want_sorted);
            free(got);
        }
        cli_result_free(&r);
        /* the same into a folder (-o): one file set, the same records */
        snprintf(dir, sizeof(dir), "%s/out-%s", cli_tmp, workers[i]);
        r = run_example("run", "-q", "-w", workers[i], spec, "-s", set, "-o", dir, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "");
        files = folder_text(dir);
        got = sorted_lines(files);
        assert_string_equal(got, want_sorted);
        free(got);
        free(files);
        cli_result_free(&r);
    }
    free(want_sorted);
}

static void logs_example_matches_awk_sort_uniq(void **state)
{
    char *want;
    (void)state;
    /* the failures (status 5xx) of each path, most first, ties by path (as
     * top breaks them), the first 10, as path TAB count */
    want = cli_shell("awk '$5 ~ /^5/ {print $4}' " DATA "/logs/*.log | LC_ALL=C sort | uniq -c | "
                     "LC_ALL=C sort -k1,1nr -k2,2 | head -10 | awk '{print $2 \"\\t\" $1}'");
    assert_int_equal(strlen(want) > 0, 1);
    check_chain("examples/logs.yaml", "logs.chunk_bytes=512", want);
    free(want);
}

typedef struct country_sum {
    char name[64];
    long long bytes;
} country_sum;

/* Largest first; equal sums: the larger name first (sort reverse: the
 * whole order reversed, ties by key included). */
static int by_sum_desc(const void *a, const void *b)
{
    const country_sum *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return -strcmp(x->name, y->name);
}

static void json_example_matches_jansson_sums(void **state)
{
    country_sum sums[64];
    size_t n = 0, i, j, used = 0;
    char line[4096], *want;
    FILE *f = fopen(DATA "/events.jsonl", "r");
    (void)state;
    assert_non_null(f);
    memset(sums, 0, sizeof(sums));
    /* each event's bytes (logins have none) added to its user's country */
    while (fgets(line, sizeof(line), f)) {
        json_error_t err;
        json_t *doc = json_loads(line, 0, &err), *bytes, *country;
        assert_non_null(doc);
        bytes = json_object_get(doc, "bytes");
        country = json_object_get(json_object_get(doc, "user"), "country");
        assert_non_null(country);
        if (bytes) {
            for (j = 0; j < n && strcmp(sums[j].name, json_string_value(country)) != 0; j++)
                ;
            if (j == n) {
                assert_true(n < 64);
                snprintf(sums[n++].name, sizeof(sums[0].name), "%s", json_string_value(country));
            }
            sums[j].bytes += json_integer_value(bytes);
        }
        json_decref(doc);
    }
    fclose(f);
    assert_true(n > 1);
    qsort(sums, n, sizeof(*sums), by_sum_desc);
    want = malloc(n * 96 + 1);
    assert_non_null(want);
    for (i = 0; i < n; i++)
        used += (size_t)sprintf(want + used, "%s\t%lld\n", sums[i].name, sums[i].bytes);
    check_chain("examples/json.yaml", "events.chunk_bytes=1024", want);
    free(want);
}

/* Checks that dir/key=K/ holds, for each line "K<TAB>VALUE" of want (sorted
 * by K), the values of K, and nothing else. */
static void check_partitions(const char *dir, const char *want)
{
    char *copy = strdup(want), *p, *save = NULL;
    char key[256] = "", *values = calloc(1, 1);
    size_t vlen = 0;
    int keys = 0;
    assert_non_null(copy);
    assert_non_null(values);
    for (p = strtok_r(copy, "\n", &save);; p = strtok_r(NULL, "\n", &save)) {
        char *tab = p ? strchr(p, '\t') : NULL;
        if (p)
            assert_non_null(tab);
        if (p == NULL || (size_t)(tab - p) != strlen(key) || strncmp(p, key, strlen(key)) != 0) {
            if (key[0]) { /* the folder of the key before: its values, sorted */
                char sub[1024], *files, *got;
                snprintf(sub, sizeof(sub), "%s/key=%s", dir, key);
                files = folder_text(sub);
                got = sorted_lines(files);
                assert_string_equal(got, values);
                free(got);
                free(files);
                keys++;
            }
            if (p == NULL)
                break;
            snprintf(key, sizeof(key), "%.*s", (int)(tab - p), p);
            vlen = 0;
            values[0] = '\0';
        }
        values = realloc(values, vlen + strlen(tab + 1) + 2);
        assert_non_null(values);
        vlen += (size_t)sprintf(values + vlen, "%s\n", tab + 1);
    }
    assert_true(keys > 1);
    assert_int_equal(folder_entries(dir), keys); /* no other key */
    free(values);
    free(copy);
}

static void branches_example_partitions_match_awk(void **state)
{
    char *incidents, *statuses;
    size_t i;
    (void)state;
    /* incidents: the failed (5xx) or slow (1 s or more, not failed)
     * requests of each host as TIME PATH STATUS MS; statuses: the paths
     * that failed, by status. Sorted by the key, then bytewise, as
     * check_partitions reads them. */
    incidents = cli_shell("awk '$5 ~ /^5/ || ($5 ~ /^[1-4]/ && $6 >= 1000) "
                          "{print $2 \"\\t\" $1 \"\\t\" $4 \"\\t\" $5 \"\\t\" $6}' "
                          DATA "/logs/*.log | LC_ALL=C sort");
    statuses = cli_shell("awk '$5 ~ /^5/ {print $5 \"\\t\" $4}' " DATA "/logs/*.log | "
                         "LC_ALL=C sort");
    for (i = 0; i < sizeof(workers) / sizeof(*workers); i++) {
        char dir[512], sink[600];
        cli_result r;
        snprintf(dir, sizeof(dir), "%s/branches-%s", cli_tmp, workers[i]);
        r = run_example("run", "-q", "-w", workers[i], "examples/branches.yaml", "-s",
                        "logs.chunk_bytes=512", "-o", dir, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        assert_int_equal(folder_entries(dir), 2); /* a folder per sink, nothing else */
        snprintf(sink, sizeof(sink), "%s/task=incidents", dir);
        check_partitions(sink, incidents);
        snprintf(sink, sizeof(sink), "%s/task=statuses", dir);
        check_partitions(sink, statuses);
        cli_result_free(&r);
    }
    free(incidents);
    free(statuses);
}

/* by_key needs a folder: without -o the example says so, and runs nothing;
 * explain says so too. */
static void branches_example_without_a_folder_says_to_give_one(void **state)
{
    cli_result r;
    (void)state;
    r = run_example("run", "-q", "examples/branches.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "examples/branches.yaml:"));
    assert_non_null(strstr(r.err, "-o DIR"));
    cli_result_free(&r);
    /* and rill explain says it of the output */
    r = run_example("explain", "examples/branches.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "output: lines, to standard output (by_key needs a folder: "
                                  "run with -o DIR)"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(logs_example_matches_awk_sort_uniq, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(json_example_matches_jansson_sums, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(branches_example_partitions_match_awk, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(branches_example_without_a_folder_says_to_give_one,
                                        cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
