/* test_cli_chains.c — the orders and chains a user of the `rill` program
 * relies on, run by the real binary on files written here: top, sort (in
 * memory and spilled) and head in the order docs/stages.md gives, with the
 * expected order computed here in C; chains of two aggregations (count
 * then count, mean then top, distinct then sort) against awk, sort and uniq,
 * with 1, 2 and 4 workers and into a folder; delimiter: space; and what
 * the program says of a stage name given twice, of a bad option (alone),
 * of a sum over two fields and of a key that is not a number. */
#include <dirent.h>

#include "cli_helpers.h"

enum { NREC = 600 };

typedef struct kv {
    char key[16];
    long value;
    char text[24]; /* the value as written */
} kv;

static kv recs[NREC];

/* NREC lines "KEY<TAB>VALUE" with many equal values and repeated keys, from
 * a fixed seed, into cli_tmp/kv.tsv (and recs). */
static void write_kv(void)
{
    char path[512];
    FILE *f = fopen(cli_path(path, "kv.tsv"), "wb");
    unsigned seed = 12345;
    int i;
    assert_non_null(f);
    for (i = 0; i < NREC; i++) {
        seed = seed * 1103515245u + 12345u;
        snprintf(recs[i].key, sizeof(recs[i].key), "k%02u", (seed >> 16) % 40);
        seed = seed * 1103515245u + 12345u;
        recs[i].value = (long)((seed >> 16) % 30) - 5; /* negatives too */
        snprintf(recs[i].text, sizeof(recs[i].text), "%ld", recs[i].value);
        fprintf(f, "%s\t%s\n", recs[i].key, recs[i].text);
    }
    fclose(f);
}

/* A spec reading cli_tmp/kv.tsv keyed by its first field, then the stages
 * given (YAML flow mappings, NULL-terminated), into cli_tmp/name. */
static void write_spec(const char *name, ...)
{
    char spec[4096], path[512];
    const char *st;
    size_t len;
    va_list ap;
    len = (size_t)snprintf(spec, sizeof(spec),
                           "sources: [{name: in, kind: lines, files: ['%s']}]\nstages:\n"
                           "  - {name: kv, kind: fields, select: [2], key: 1}\n",
                           cli_path(path, "kv.tsv"));
    va_start(ap, name);
    while ((st = va_arg(ap, const char *)) != NULL)
        len += (size_t)snprintf(spec + len, sizeof(spec) - len, "  - %s\n", st);
    va_end(ap);
    cli_write(name, spec);
}

/* value then key then value bytes: the order sort gives (numeric). */
static int by_value_asc(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    int c;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    if ((c = strcmp(x->key, y->key)) != 0)
        return c;
    return strcmp(x->text, y->text);
}

/* top's: the larger value first, ties by key then value, smallest first. */
static int by_value_desc_ties_asc(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return by_value_asc(a, b);
}

static int by_key_bytes(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->text, y->text);
}

/* The records a..a+n as tsv lines; caller frees. */
static char *as_tsv(const kv *a, size_t n, int reverse)
{
    char *out = malloc(n * 48 + 1), *p = out;
    size_t i;
    assert_non_null(out);
    *p = '\0';
    for (i = 0; i < n; i++) {
        const kv *r = &a[reverse ? n - 1 - i : i];
        p += sprintf(p, "%s\t%s\n", r->key, r->text);
    }
    return out;
}

/* rill run -q -w W SPEC: its standard output; the run must succeed. */
static char *run_out(const char *spec_name, const char *w)
{
    char spec[512], *out;
    cli_result r = cli_rill(NULL, "run", "-q", "-w", w, cli_path(spec, spec_name), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    out = r.out;
    free(r.err);
    return out;
}

static void top_sort_and_head_give_the_documented_order(void **state)
{
    kv sorted[NREC];
    char *want, *got;
    (void)state;
    write_kv();
    /* top 50: largest first, ties by key, smallest first */
    memcpy(sorted, recs, sizeof(recs));
    qsort(sorted, NREC, sizeof(*sorted), by_value_desc_ties_asc);
    write_spec("top.yaml", "{kind: top, k: 50}", NULL);
    want = as_tsv(sorted, 50, 0);
    got = run_out("top.yaml", "1");
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* sort, numeric, reverse: the whole order reversed (ties too); with a
     * memory small enough to spill sorted runs to disk */
    qsort(sorted, NREC, sizeof(*sorted), by_value_asc);
    write_spec("sort.yaml", "{kind: sort, numeric: true, reverse: true, memory: 2048}", NULL);
    want = as_tsv(sorted, NREC, 1);
    got = run_out("sort.yaml", "1");
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* sort by key, as bytes */
    qsort(sorted, NREC, sizeof(*sorted), by_key_bytes);
    write_spec("sortkey.yaml", "{kind: sort, by: key}", NULL);
    want = as_tsv(sorted, NREC, 0);
    got = run_out("sortkey.yaml", "1");
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* head: the first n, in the input's order, with one worker */
    write_spec("head.yaml", "{kind: head, n: 7}", NULL);
    want = as_tsv(recs, 7, 0);
    got = run_out("head.yaml", "1");
    assert_string_equal(got, want);
    free(got);
    free(want);
}

/* The lines of a text, sorted (LC_ALL=C sort); caller frees. */
static char *sorted(const char *text)
{
    char in[512], cmd[1200];
    FILE *f = fopen(cli_path(in, "sorted.in"), "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "LC_ALL=C sort '%s'", in);
    return cli_shell(cmd);
}

/* The files of dir/, concatenated and sorted; caller frees. */
static char *folder_sorted(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cat '%s'/*.tsv | LC_ALL=C sort", dir);
    return cli_shell(cmd);
}

/* spec_name run with 1, 2 and 4 workers, to standard output and with -o,
 * gives the lines of want (sorted), in want's order with one worker when
 * ordered. */
static void check_chain(const char *spec_name, const char *want, int ordered)
{
    static const char *const ws[] = {"1", "2", "4"};
    char *want_sorted = sorted(want);
    size_t i;
    assert_true(strlen(want) > 0);
    for (i = 0; i < 3; i++) {
        char spec[512], dir[512], *got, *got_sorted;
        cli_result r;
        got = run_out(spec_name, ws[i]);
        got_sorted = sorted(got);
        assert_string_equal(got_sorted, want_sorted);
        if (ordered && i == 0)
            assert_string_equal(got, want);
        free(got);
        free(got_sorted);
        snprintf(dir, sizeof(dir), "%s/out-%s-%s", cli_tmp, spec_name, ws[i]);
        r = cli_rill(NULL, "run", "-q", "-w", ws[i], cli_path(spec, spec_name), "-o", dir, NULL);
        assert_int_equal(r.status, 0);
        got = folder_sorted(dir);
        assert_string_equal(got, want_sorted);
        free(got);
        cli_result_free(&r);
    }
    free(want_sorted);
}

static void chains_of_two_aggregations_match_awk(void **state)
{
    char cmd[1200], in[512], *want;
    (void)state;
    write_kv();
    cli_path(in, "kv.tsv");
    /* count, then count: how many keys have each number of records */
    write_spec("cc.yaml", "{name: per_key, kind: count}",
               "{name: n, kind: fields, select: [1]}", "{name: keys_per_n, kind: count}", NULL);
    snprintf(cmd, sizeof(cmd), "cut -f1 '%s' | LC_ALL=C sort | uniq -c | awk '{print $1}' | "
             "LC_ALL=C sort | uniq -c | awk '{print $2 \"\\t\" $1}'", in);
    want = cli_shell(cmd);
    check_chain("cc.yaml", want, 0);
    free(want);
    /* mean, then top 5 (ties by key): the keys with the largest means */
    write_spec("mt.yaml", "{kind: mean}", "{kind: top, k: 5}", NULL);
    snprintf(cmd, sizeof(cmd), "awk -F '\\t' '{s[$1] += $2; n[$1]++} END {for (k in s) "
             "printf \"%%s\\t%%.6f\\n\", k, s[k] / n[k]}' '%s' | LC_ALL=C sort -t '\t' -k2,2gr "
             "-k1,1 | head -5 | cut -f1", in);
    want = cli_shell(cmd);
    {
        /* means are not whole numbers: compare the keys, in order with one
         * worker, as a set with more (docs/stages.md, Order) */
        static const char *const ws[] = {"1", "2", "4"};
        char *want_sorted = sorted(want);
        size_t i;
        for (i = 0; i < 3; i++) {
            char *got = run_out("mt.yaml", ws[i]), kin[512], *keys;
            FILE *f = fopen(cli_path(kin, "mt.out"), "wb");
            assert_non_null(f);
            fputs(got, f);
            fclose(f);
            snprintf(cmd, sizeof(cmd), "cut -f1 '%s'%s", kin, i ? " | LC_ALL=C sort" : "");
            keys = cli_shell(cmd);
            assert_string_equal(keys, i ? want_sorted : want);
            free(keys);
            free(got);
        }
        free(want_sorted);
    }
    free(want);
    /* distinct, then sort numeric: the number of distinct values per key */
    write_spec("ds.yaml", "{kind: distinct}", "{kind: sort, numeric: true}", NULL);
    snprintf(cmd, sizeof(cmd), "LC_ALL=C sort -u '%s' | cut -f1 | uniq -c | "
             "awk '{print $2 \"\\t\" $1}' | LC_ALL=C sort -t '\t' -k2,2n -k1,1", in);
    want = cli_shell(cmd);
    check_chain("ds.yaml", want, 1);
    free(want);
}

static void a_name_given_twice_is_said_once(void **state)
{
    char spec[512];
    cli_result r;
    const char *p;
    int lines = 0;
    (void)state;
    cli_write("twice.yaml", "sources: [in.txt]\n"
                            "stages:\n"
                            "  - {kind: fields, select: [2], key: 1}\n"
                            "  - {kind: fields, select: [1]}\n");
    r = cli_rill(NULL, "check", cli_path(spec, "twice.yaml"), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "4:5: the name 'fields' is taken (line 3, column 5)"));
    for (p = r.err; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1); /* not again as the pipeline's refusal */
    cli_result_free(&r);
}

/* A bad option is said once: the stage's other options, which it did not
 * go on to read, are not called unknown. */
static void a_bad_option_is_said_alone(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    write_kv();
    write_spec("delim.yaml", "{name: cut, kind: fields, select: [1], delimiter: '\\s', "
                             "on_error: skip}", NULL);
    r = cli_rill(NULL, "check", cli_path(spec, "delim.yaml"), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "stage 'cut': a separator is one byte, tab or space, not '\\s'"));
    assert_null(strstr(r.err, "unknown option"));
    assert_non_null(strchr(r.err, '\n'));
    assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
    cli_result_free(&r);
}

/* A sum over a value of two fields says so, with the tab shown as \t. */
static void a_sum_of_two_fields_says_to_select_one(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    cli_write("two.tsv", "a\t1\t2\n");
    snprintf(spec, sizeof(spec), "sources: ['%s/two.tsv']\nstages:\n"
             "  - {name: both, kind: fields, select: [2, 3], key: 1}\n"
             "  - {name: total, kind: sum}\n", cli_tmp);
    cli_write("two.yaml", spec);
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "two.yaml"), NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "'total'"));
    assert_non_null(strstr(r.err, "value '1\\t2' is not a number (it is several fields: "
                                  "select one)"));
    cli_result_free(&r);
}

/* delimiter: space, which YAML and -s take without quotes */
static void space_is_a_delimiter(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    cli_write("spaced.txt", "a b c\nd e f\n");
    snprintf(spec, sizeof(spec), "sources: ['%s/spaced.txt']\nstages:\n"
             "  - {name: cut, kind: fields, select: [3, 1], delimiter: space}\n"
             "output: {format: lines}\n", cli_tmp);
    cli_write("spaced.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "-w", "1", cli_path(spec, "spaced.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "c\ta\nf\td\n");
    cli_result_free(&r);
}

static void top_by_a_key_that_is_not_a_number_says_key_and_how_to_rank_bytes(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    write_kv();
    write_spec("topkey.yaml", "{kind: top, k: 3, by: key}", NULL);
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "topkey.yaml"), NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "key 'k"));
    assert_non_null(strstr(r.err, "is not a number (numeric: false ranks by bytes)"));
    cli_result_free(&r);
    /* as it says: by the keys' bytes, the largest first */
    write_spec("topkey.yaml", "{kind: top, k: 3, by: key, numeric: false}", NULL);
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "topkey.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    {
        kv sorted[NREC];
        char *want;
        size_t last = NREC - 1, first = last;
        memcpy(sorted, recs, sizeof(recs));
        qsort(sorted, NREC, sizeof(*sorted), by_key_bytes);
        /* the largest key's records, the smallest value first (ties by key
         * then value) */
        while (first > 0 && strcmp(sorted[first - 1].key, sorted[last].key) == 0)
            first--;
        assert_true(last - first + 1 >= 3);
        want = as_tsv(sorted + first, 3, 0);
        assert_string_equal(r.out, want);
        free(want);
    }
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(top_sort_and_head_give_the_documented_order, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(chains_of_two_aggregations_match_awk, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_name_given_twice_is_said_once, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_bad_option_is_said_alone, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(space_is_a_delimiter, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_sum_of_two_fields_says_to_select_one, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(
            top_by_a_key_that_is_not_a_number_says_key_and_how_to_rank_bytes, cli_setup,
            cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
