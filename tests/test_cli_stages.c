/* test_cli_stages.c — the rill command's built-in stages that read records
 * (src/cli/stage_grep.c, stage_fields.c, stage_json.c) run through real
 * pipelines on the real engine, with one and with several workers, each
 * output compared with the same answer computed by a plain C loop over the
 * same input; their errors, which name the stage, the record and the reason
 * (or the option's position for a bad spec); and the option tables of every
 * built-in of cli_stage_helpers.h. The stages are added by the rill
 * command's own builder (cli_build_chain); the aggregations are in
 * test_cli_aggregates.c. */
#include "cli_stage_helpers.h"

static int has_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++) {
        size_t i;
        for (i = 0; i < n && s[i] && tolower((unsigned char)s[i]) == needle[i]; i++)
            ;
        if (i == n)
            return 1;
    }
    return 0;
}

static void grep_keeps_the_lines_a_substring_search_finds(void **state)
{
    strs lines = log_lines(400);
    size_t w, i;
    (void)state;
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_grep, "errors", OPT("pattern", "timeout|refused"))};
        strs got, want = {0};
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 1), 0);
        for (i = 0; i < lines.n; i++)
            if (strstr(lines.v[i], "timeout") || strstr(lines.v[i], "refused"))
                strs_addf(&want, NULL, "%s", lines.v[i] + 1);
        assert_true(want.n > 50 && want.n < lines.n);
        assert_same(&got, &want, 0);
    }
    strs_free(&lines);
}

static void grep_invert_and_ignore_case_keep_the_lines_without_the_word_in_any_case(void **state)
{
    strs lines = log_lines(300), got, want = {0};
    stage st[] = {STAGE(cli_stage_grep, "clean", OPT("pattern", "error"), OPT("invert", "true"),
                        OPT("ignore_case", "true"))};
    size_t i;
    (void)state;
    assert_int_equal(run_chain(&got, &lines, 2, st, 1), 0);
    for (i = 0; i < lines.n; i++)
        if (!has_ci(lines.v[i], "error"))
            strs_addf(&want, NULL, "%s", lines.v[i] + 1);
    assert_true(want.n > 50 && want.n < lines.n);
    assert_same(&got, &want, 0);
    strs_free(&lines);
}

static void grep_on_a_field_matches_that_field_only(void **state)
{
    strs lines = log_lines(300), got, want = {0};
    /* "^5": a status of 500; the bytes field may start with 5 too. */
    stage st[] = {STAGE(cli_stage_grep, "5xx", OPT("pattern", "^5"), OPT("field", "2"))};
    size_t i;
    (void)state;
    assert_int_equal(run_chain(&got, &lines, 2, st, 1), 0);
    for (i = 0; i < lines.n; i++)
        if (strchr(lines.v[i], '\t')[1] == '5')
            strs_addf(&want, NULL, "%s", lines.v[i] + 1);
    assert_true(want.n > 20);
    assert_same(&got, &want, 0);
    strs_free(&lines);
}

static void grep_on_the_key_matches_keys_that_fields_made(void **state)
{
    strs lines = log_lines(300), got, want = {0};
    stage st[] = {STAGE(cli_stage_fields, "by_host", OPTL("select", "2"), OPT("key", "1")),
                  STAGE(cli_stage_grep, "h3", OPT("pattern", "^h3$"), OPT("on", "key"))};
    size_t i;
    (void)state;
    assert_int_equal(run_chain(&got, &lines, 2, st, 2), 0);
    for (i = 0; i < lines.n; i++)
        if (strncmp(lines.v[i], "-h3\t", 4) == 0)
            strs_addf(&want, "h3", "%.3s", lines.v[i] + 4);
    assert_true(want.n > 10);
    assert_same(&got, &want, 0);
    strs_free(&lines);
}

static void grep_matches_around_bytes_that_are_not_utf8(void **state)
{
    strs lines = {0}, got, want = {0};
    stage st[] = {STAGE(cli_stage_grep, "g", OPT("pattern", "caf\xc3\xa9"), OPT("ignore_case", "true"))};
    (void)state;
    strs_addf(&lines, NULL, "\xff\xfe CAF\xc3\x89 au lait");
    strs_addf(&lines, NULL, "plain cafe");
    strs_addf(&lines, NULL, "caf\xc3\xa9 \xc3");
    assert_int_equal(run_chain(&got, &lines, 1, st, 1), 0);
    strs_addf(&want, NULL, "%s", lines.v[0] + 1);
    strs_addf(&want, NULL, "%s", lines.v[2] + 1);
    assert_same(&got, &want, 0);
    strs_free(&lines);
}

static void grep_refuses_a_bad_pattern_at_its_position(void **state)
{
    stage st = STAGE(cli_stage_grep, "bad", OPT("pattern", "(unclosed"));
    int line = st.v[0].line;
    char where[64];
    (void)state;
    snprintf(where, sizeof(where), "test.yaml:%d:3: stage 'bad'", line);
    assert_contains(add_error(&st), where);
    assert_contains(add_error(&st), "missing closing parenthesis");
}

/* ---- fields ---- */

static void fields_of_tsv_by_number_are_the_fields_a_split_gives(void **state)
{
    strs lines = log_lines(200);
    size_t w, i;
    (void)state;
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_fields, "cut", OPTL("select", "3", "1"))};
        strs got, want = {0};
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 1), 0);
        for (i = 0; i < lines.n; i++) {
            char host[16], status[16], bytes[16];
            assert_int_equal(sscanf(lines.v[i] + 1, "%15[^\t]\t%15[^\t]\t%15[^\t]", host, status, bytes), 3);
            strs_addf(&want, NULL, "%s\t%s", bytes, host);
        }
        assert_same(&got, &want, 0);
    }
    strs_free(&lines);
}

/* One field selected is its bytes as they are (a backslash stays one); a
 * CSV line ending in CR LF loses its CR. */
static void one_field_keeps_its_bytes_and_crlf_lines_lose_their_cr(void **state)
{
    strs lines = {0}, got, want = {0};
    stage tsv[] = {STAGE(cli_stage_fields, "one", OPTL("select", "2"), OPT("key", "1"))};
    stage csv[] = {STAGE(cli_stage_fields, "amount", OPT("format", "csv"),
                         OPTL("columns", "name", "amount"), OPTL("select", "amount"),
                         OPT("key", "name"))};
    (void)state;
    strs_addf(&lines, NULL, "k1\ta\\b");
    strs_addf(&want, "k1", "a\\b");
    assert_int_equal(run_chain(&got, &lines, 1, tsv, 1), 0);
    assert_same(&got, &want, 0);
    strs_free(&lines);
    strs_free(&want);
    strs_addf(&lines, NULL, "name,amount\r");
    strs_addf(&lines, NULL, "x,3\r");
    strs_addf(&lines, NULL, "\"y\",4\r");
    strs_addf(&want, "x", "3");
    strs_addf(&want, "y", "4");
    assert_int_equal(run_chain(&got, &lines, 2, csv, 1), 0);
    assert_same(&got, &want, 0);
    strs_free(&lines);
    strs_free(&want);
}

/* A CSV field for value v: quoted (quotes doubled) when it needs to be. */
static void csv_field(char *out, const char *v)
{
    if (strpbrk(v, ",\"\t") == NULL) {
        strcpy(out, v);
        return;
    }
    *out++ = '"';
    for (; *v; v++) {
        if (*v == '"')
            *out++ = '"';
        *out++ = *v;
    }
    *out++ = '"';
    *out = '\0';
}

static void fields_of_csv_by_name_unquote_key_and_escape_as_tsv(void **state)
{
    static const char *const notes[] = {"plain", "with, comma", "say \"hi\"", "tab\there", ""};
    strs lines = {0};
    uint64_t seed = 7;
    size_t w;
    int i;
    (void)state;
    for (i = 0; i < 150; i++) {
        char name[32], city[32], note[64];
        const char *n = notes[rnd(&seed) % 5];
        if (i % 50 == 0) /* the header of each of three files */
            strs_addf(&lines, NULL, "name,city,note");
        snprintf(name, sizeof(name), "n%d", i);
        snprintf(city, sizeof(city), "%s", i % 3 ? "Paris" : "Lyon, FR");
        csv_field(note, n);
        {
            char qcity[40];
            csv_field(qcity, city);
            strs_addf(&lines, NULL, "%s,%s,%s", name, qcity, note);
        }
    }
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_fields, "people", OPT("format", "csv"),
                            OPTL("columns", "name", "city", "note"), OPTL("select", "note", "name"),
                            OPT("key", "city"))};
        strs got, want = {0};
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 1), 0);
        seed = 7;
        for (i = 0; i < 150; i++) {
            const char *n = notes[rnd(&seed) % 5];
            char esc[64], *e = esc;
            for (; *n; n++) /* the TSV escape of the note */
                if (*n == '\t') {
                    *e++ = '\\';
                    *e++ = 't';
                } else
                    *e++ = *n;
            *e = '\0';
            strs_addf(&want, i % 3 ? "Paris" : "Lyon, FR", "%s\tn%d", esc, i);
        }
        assert_same(&got, &want, 0);
    }
    strs_free(&lines);
}

static void fields_fail_naming_the_line_with_too_few_fields_or_skip_it(void **state)
{
    strs lines = {0}, got, want = {0};
    stage fail[] = {STAGE(cli_stage_fields, "cut", OPTL("select", "1", "3"))};
    stage skip[] = {STAGE(cli_stage_fields, "cut", OPTL("select", "1", "3"), OPT("on_error", "skip"))};
    (void)state;
    strs_addf(&lines, NULL, "a\tb\tc");
    strs_addf(&lines, NULL, "only\ttwo");
    strs_addf(&lines, NULL, "x\ty\tz");
    assert_int_not_equal(run_chain(&got, &lines, 1, fail, 1), 0);
    assert_int_equal(got.n, 0);
    assert_contains(run_error, "'cut'");
    assert_contains(run_error, "only");
    assert_contains(run_error, "the line has 2 fields, field 3 was selected");
    assert_int_equal(run_chain(&got, &lines, 1, skip, 1), 0);
    strs_addf(&want, NULL, "a\tc");
    strs_addf(&want, NULL, "x\tz");
    assert_same(&got, &want, 0);
    strs_free(&lines);
}

static void fields_fail_on_an_unterminated_quote(void **state)
{
    strs lines = {0}, got;
    stage st[] = {STAGE(cli_stage_fields, "csv", OPT("format", "csv"), OPTL("select", "2"))};
    (void)state;
    strs_addf(&lines, NULL, "a,\"open");
    assert_int_not_equal(run_chain(&got, &lines, 1, st, 1), 0);
    assert_contains(run_error, "unterminated quoted field 2");
    strs_free(&got);
    strs_free(&lines);
}

static void fields_refuse_a_name_without_columns_and_suggest_a_near_one(void **state)
{
    stage a = STAGE(cli_stage_fields, "f", OPTL("select", "city"));
    stage b = STAGE(cli_stage_fields, "f", OPTL("columns", "name", "city"), OPTL("select", "cty"));
    (void)state;
    assert_contains(add_error(&a), "no columns were given");
    assert_contains(add_error(&b), "no column is named 'cty' (did you mean 'city'?)");
}

/* ---- json ---- */

static void json_selects_paths_as_tsv_keyed_by_a_path(void **state)
{
    strs lines = {0};
    size_t w;
    int i;
    (void)state;
    for (i = 0; i < 120; i++)
        strs_addf(&lines, NULL,
                  "{\"user\": {\"name\": \"u%d\", \"age\": %d}, \"tags\": [\"t%d\", \"s%d\"], "
                  "\"score\": %d.5, \"ok\": %s, \"note\": %s, \"obj\": {\"a\": [1, null]}}",
                  i % 9, 20 + i, i, i % 4, i, i % 2 ? "true" : "false",
                  i % 5 ? "\"tab\\there\"" : "null");
    for (w = 0; w < 3; w++) {
        stage st[] = {STAGE(cli_stage_json, "j", OPTL("select", "user.age", "tags.1", "score", "ok",
                                                      "note", "obj", "absent"),
                            OPT("key", "user.name"))};
        strs got, want = {0};
        char key[16];
        assert_int_equal(run_chain(&got, &lines, workers[w], st, 1), 0);
        for (i = 0; i < 120; i++) {
            snprintf(key, sizeof(key), "u%d", i % 9);
            strs_addf(&want, key, "%d\ts%d\t%d.5\t%s\t%s\t{\"a\":[1,null]}\t", 20 + i, i % 4, i,
                      i % 2 ? "true" : "false", i % 5 ? "tab\\there" : "");
        }
        assert_same(&got, &want, 0);
    }
    strs_free(&lines);
}

/* One path selected is its value's bytes as they are, as with fields; two
 * are a TSV row, each escaped. */
static void json_one_path_keeps_its_bytes_and_two_are_escaped(void **state)
{
    strs lines = {0}, got, want = {0};
    stage one[] = {STAGE(cli_stage_json, "one", OPTL("select", "a"))};
    stage two[] = {STAGE(cli_stage_json, "two", OPTL("select", "a", "b"))};
    (void)state;
    strs_addf(&lines, NULL, "{\"a\": \"x\\\\y\\tz\", \"b\": 1}"); /* a: x\y<TAB>z */
    strs_addf(&want, NULL, "x\\y\tz");
    assert_int_equal(run_chain(&got, &lines, 1, one, 1), 0);
    assert_same(&got, &want, 0);
    strs_free(&want);
    strs_addf(&want, NULL, "x\\\\y\\tz\t1");
    assert_int_equal(run_chain(&got, &lines, 1, two, 1), 0);
    assert_same(&got, &want, 0);
    strs_free(&want);
    strs_free(&lines);
}

static void json_fails_naming_a_malformed_line_or_skips_it(void **state)
{
    strs lines = {0}, got, want = {0};
    stage fail[] = {STAGE(cli_stage_json, "parse", OPTL("select", "a"))};
    stage skip[] = {STAGE(cli_stage_json, "parse", OPTL("select", "a"), OPT("on_error", "skip"))};
    (void)state;
    strs_addf(&lines, NULL, "{\"a\": 1}");
    strs_addf(&lines, NULL, "{\"a\": 2,, broken");
    strs_addf(&lines, NULL, "{\"a\": \"three\"}");
    assert_int_not_equal(run_chain(&got, &lines, 1, fail, 1), 0);
    assert_int_equal(got.n, 0);
    assert_contains(run_error, "'parse'");
    assert_contains(run_error, "broken");
    assert_contains(run_error, "not JSON");
    assert_int_equal(run_chain(&got, &lines, 2, skip, 1), 0);
    strs_addf(&want, NULL, "1");
    strs_addf(&want, NULL, "three");
    assert_same(&got, &want, 0);
    strs_free(&lines);
}

static void json_missing_skip_drops_records_without_the_path_and_fail_names_it(void **state)
{
    strs lines = {0}, got, want = {0};
    stage skip[] = {STAGE(cli_stage_json, "p", OPTL("select", "a.b"), OPT("missing", "skip"))};
    stage fail[] = {STAGE(cli_stage_json, "p", OPTL("select", "a.b"), OPT("missing", "fail"))};
    (void)state;
    strs_addf(&lines, NULL, "{\"a\": {\"b\": 1}}");
    strs_addf(&lines, NULL, "{\"a\": {\"c\": 2}}");
    strs_addf(&lines, NULL, "{\"a\": [3]}");
    assert_int_equal(run_chain(&got, &lines, 1, skip, 1), 0);
    strs_addf(&want, NULL, "1");
    assert_same(&got, &want, 0);
    assert_int_not_equal(run_chain(&got, &lines, 1, fail, 1), 0);
    assert_contains(run_error, "nothing at path 'a.b'");
    strs_free(&got);
    strs_free(&lines);
}

/* ---- the tables ---- */

static const cli_stage_def *const all_defs[] = {
    &cli_stage_grep, &cli_stage_fields, &cli_stage_json, &cli_stage_sum, &cli_stage_mean,
    &cli_stage_min,  &cli_stage_max,    &cli_stage_distinct, &cli_stage_top, &cli_stage_head,
    &cli_stage_sample, &cli_stage_dedupe, &cli_stage_sort,
};

static void every_option_has_a_type_and_a_one_line_doc(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(all_defs) / sizeof(all_defs[0]); i++) {
        const cli_option_doc *d;
        assert_non_null(all_defs[i]->summary);
        assert_non_null(all_defs[i]->add);
        for (d = all_defs[i]->options; d->name; d++) {
            if (d->type == NULL || d->doc == NULL || strchr(d->doc, '\n'))
                fail_msg("%s.%s: no type or no one-line doc", all_defs[i]->kind, d->name);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grep_keeps_the_lines_a_substring_search_finds),
        cmocka_unit_test(grep_invert_and_ignore_case_keep_the_lines_without_the_word_in_any_case),
        cmocka_unit_test(grep_on_a_field_matches_that_field_only),
        cmocka_unit_test(grep_on_the_key_matches_keys_that_fields_made),
        cmocka_unit_test(grep_matches_around_bytes_that_are_not_utf8),
        cmocka_unit_test(grep_refuses_a_bad_pattern_at_its_position),
        cmocka_unit_test(fields_of_tsv_by_number_are_the_fields_a_split_gives),
        cmocka_unit_test(one_field_keeps_its_bytes_and_crlf_lines_lose_their_cr),
        cmocka_unit_test(fields_of_csv_by_name_unquote_key_and_escape_as_tsv),
        cmocka_unit_test(fields_fail_naming_the_line_with_too_few_fields_or_skip_it),
        cmocka_unit_test(fields_fail_on_an_unterminated_quote),
        cmocka_unit_test(fields_refuse_a_name_without_columns_and_suggest_a_near_one),
        cmocka_unit_test(json_selects_paths_as_tsv_keyed_by_a_path),
        cmocka_unit_test(json_one_path_keeps_its_bytes_and_two_are_escaped),
        cmocka_unit_test(json_fails_naming_a_malformed_line_or_skips_it),
        cmocka_unit_test(json_missing_skip_drops_records_without_the_path_and_fail_names_it),
        cmocka_unit_test(every_option_has_a_type_and_a_one_line_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
