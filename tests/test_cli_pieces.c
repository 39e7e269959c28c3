/* test_cli_pieces.c — issue 15 in specs, spawned as a user runs `rill`:
 * reusable pieces (`use: LIBRARY:ENTRY`): the example plugin's classify
 * piece counts short and long lines as awk does, with its option and under
 * a name of the spec's; examples/pieces.yaml as its comment says; the
 * errors of a wrong use: (an unknown entry listing what the plugin offers,
 * a malformed value, use: with function:, a bad option naming the stage and
 * why), each at its file:line:column with exit 2. And a plugin task that
 * sends each record to one successor by name (route) in a graph spec, and
 * the run's error when it names no successor; examples/loop.yaml, a loop
 * closed by loop_input:, against awk, its dashed edge in `rill graph` and
 * its loop in `rill explain`, and
 * the errors of a loop_input: naming no stage or a source. */
#include "cli_helpers.h"

static const char text[] = "a short line\n"
                           "a rather longer line of text, well past twenty bytes\n"
                           "tiny\n"
                           "another line that is long enough to count as long\n"
                           "x\n";

/* The lines of out, sorted (owned). */
static char *sorted_lines(const char *out)
{
    char path[512], cmd[700];
    FILE *f = fopen(cli_path(path, "sort.in"), "wb");
    assert_non_null(f);
    fputs(out, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "LC_ALL=C sort '%s'", path);
    return cli_shell(cmd);
}

/* What classify must print for in.txt with long from n bytes, by awk. */
static char *expected(int n)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "awk 'length($0) >= %d { l++ } length($0) < %d { s++ } "
                               "END { if (l) print \"long\", l; if (s) print \"short\", s }' "
                               "in.txt | LC_ALL=C sort", n, n);
    return cli_shell(cmd);
}

static void use_runs_a_piece_of_the_plugin_with_its_option(void **state)
{
    char spec[900], *got, *want;
    cli_result r;
    (void)state;
    cli_write("in.txt", text);
    snprintf(spec, sizeof(spec), "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {use: %s:classify, long: 20}\n"
                                 "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    got = sorted_lines(r.out);
    want = expected(20);
    assert_string_equal(want, "long 2\nshort 3\n"); /* the awk is right too */
    assert_string_equal(got, want);
    free(got);
    free(want);
    cli_result_free(&r);

    /* without the option: the piece's own default, 5 bytes */
    snprintf(spec, sizeof(spec), "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {use: %s:classify}\n"
                                 "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    got = sorted_lines(r.out);
    want = expected(5);
    assert_string_equal(got, want);
    free(got);
    free(want);
    cli_result_free(&r);
}

static void a_named_use_of_the_plugins_list_names_its_stages(void **state)
{
    char spec[900], *got;
    cli_result r;
    (void)state;
    cli_write("in.txt", text);
    snprintf(spec, sizeof(spec), "plugins: [%s]\n"
                                 "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {name: sizes, use: classify, long: 20}\n"
                                 "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    got = sorted_lines(r.out);
    assert_string_equal(got, "long 2\nshort 3\n");
    free(got);
    cli_result_free(&r);

    /* two uses of one piece under two names do not clash: the second
     * classifies the first's two lines ("long 2", "short 3": 6 and 7 bytes) */
    snprintf(spec, sizeof(spec), "plugins: [%s]\n"
                                 "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {name: sizes, use: classify, long: 20}\n"
                                 "  - {name: again, use: classify, long: 7}\n"
                                 "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    got = sorted_lines(r.out);
    assert_string_equal(got, "long 1\nshort 1\n");
    free(got);
    cli_result_free(&r);

    /* under one name (the entry's, by default) they would: refused, at the second */
    snprintf(spec, sizeof(spec), "plugins: [%s]\n"
                                 "sources: [in.txt]\n"
                                 "stages:\n"
                                 "  - {use: classify}\n"
                                 "  - {use: classify}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "check", "spec.yaml", NULL);
    assert_int_equal(r.status, 2);
    if (strstr(r.err, "spec.yaml:5:") == NULL || strstr(r.err, "classify") == NULL)
        fail_msg("expected spec.yaml:5: and the name classify in: %s", r.err);
    cli_result_free(&r);
}

/* rill check and rill run refuse spec.yaml with exit 2, saying where and what. */
static void refused(const char *where, const char *what)
{
    cli_result r = cli_rill(NULL, "check", "spec.yaml", NULL);
    assert_int_equal(r.status, 2);
    if (strstr(r.err, where) == NULL || strstr(r.err, what) == NULL)
        fail_msg("expected '%s' ... '%s' in: %s", where, what, r.err);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 2);
    if (strstr(r.err, what) == NULL)
        fail_msg("expected '%s' in: %s", what, r.err);
    cli_result_free(&r);
}

static void wrong_uses_are_spec_errors_at_their_place(void **state)
{
    char spec[900];
    (void)state;
    cli_write("in.txt", text);
    /* an entry the plugin does not offer: what it offers is listed */
    snprintf(spec, sizeof(spec), "sources: [in.txt]\nstages:\n  - {use: %s:clasify}\n",
             EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    refused("spec.yaml:3:", "classify");
    /* no entry after the colon */
    snprintf(spec, sizeof(spec), "sources: [in.txt]\nstages:\n  - {name: c, use: '%s:'}\n",
             EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    refused("spec.yaml:3:", "use: expected LIBRARY:ENTRY");
    /* use: and function: together */
    snprintf(spec, sizeof(spec), "sources: [in.txt]\nstages:\n"
                                 "  - {use: %s:classify, function: clean}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    refused("spec.yaml:3:", "without function: and plugin:");
    /* a bare entry without a plugins: list */
    cli_write("spec.yaml", "sources: [in.txt]\nstages:\n  - {use: classify}\n");
    refused("spec.yaml:3:", "use: 'classify' names an entry but no library: use: "
                            "LIBRARY:classify, or list the library under plugins:");
    /* a library without its entry: said so, and nothing else */
    snprintf(spec, sizeof(spec), "sources: [in.txt]\nstages:\n  - {use: %s}\n",
             EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    refused("spec.yaml:3:", "names a library but no entry in it: use: ");
    {
        cli_result r = cli_rill(NULL, "check", "spec.yaml", NULL);
        assert_null(strstr(r.err, "kind plugin"));
        assert_null(strstr(r.err, "may hold only"));
        cli_result_free(&r);
    }
    /* an option the piece refuses: the stage and the piece's reason */
    snprintf(spec, sizeof(spec), "sources: [in.txt]\nstages:\n"
                                 "  - {name: sizes, use: %s:classify, lng: 3}\n",
             EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    refused("sizes", "option 'lng=3': classify takes long=N (bytes)");
}

/* examples/pieces.yaml, run from the source folder as its comment says, on
 * a text of the test's. */
static void the_example_spec_counts_as_awk_does(void **state)
{
    char in[512], files[600], dir[512], env[600], *got, *want;
    const char *slash = strrchr(EXAMPLE_PLUGIN, '/');
    cli_result r;
    (void)state;
    cli_write("in.txt", "a line well past sixty bytes, which is long for a line of text\n"
                        "short\n"
                        "another line that is long enough, at rather more than sixty bytes\n"
                        "and one under\n");
    snprintf(files, sizeof(files), "text.files=%s", cli_path(in, "in.txt"));
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - EXAMPLE_PLUGIN), EXAMPLE_PLUGIN);
    snprintf(env, sizeof(env), "RILL_PLUGIN_PATH=%s", dir);
    putenv(env);
    assert_int_equal(chdir(SOURCE_DIR), 0);
    r = cli_rill(NULL, "run", "-q", "examples/pieces.yaml", "-s", files, NULL);
    unsetenv("RILL_PLUGIN_PATH");
    assert_int_equal(chdir(cli_tmp), 0);
    assert_int_equal(r.status, 0);
    got = sorted_lines(r.out);
    want = expected(60);
    assert_string_equal(want, "long 2\nshort 2\n");
    assert_string_equal(got, want);
    free(got);
    free(want);
    cli_result_free(&r);
}

/* route sends lines of 10 bytes or more to big, the others to small. */
static void a_plugin_task_routes_records_to_one_successor_by_name(void **state)
{
    char spec[1000], *got;
    cli_result r;
    (void)state;
    cli_write("in.txt", "a short line\nxy\nhello\nLonger Line\n");
    snprintf(spec, sizeof(spec),
             "plugins: [%s]\n"
             "sources: [in.txt]\n"
             "stages:\n"
             "  - {name: route, kind: plugin, function: route, long: 10, long_to: big,\n"
             "     short_to: small}\n"
             "  - {name: big, kind: plugin, function: upper, input: route}\n"
             "  - {name: small, kind: plugin, function: prefix, text: 'small: ', input: route}\n"
             "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    got = sorted_lines(r.out);
    /* each line once: to one branch, not to both */
    assert_string_equal(got, "A SHORT LINE\nLONGER LINE\nsmall: hello\nsmall: xy\n");
    free(got);
    cli_result_free(&r);

    /* a name that is no successor: the run stops, naming the stage */
    snprintf(spec, sizeof(spec),
             "plugins: [%s]\n"
             "sources: [in.txt]\n"
             "stages:\n"
             "  - {name: route, kind: plugin, function: route, long: 10, long_to: bgi,\n"
             "     short_to: small}\n"
             "  - {name: big, kind: plugin, function: upper, input: route}\n"
             "  - {name: small, kind: plugin, function: prefix, text: 'small: ', input: route}\n"
             "output: {format: lines}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "task 'route'") == NULL ||
        strstr(r.err, "no successor of 'route' is named 'bgi' (its successors: 'big', "
                      "'small')") == NULL)
        fail_msg("expected the stage and the unknown name in: %s", r.err);
    cli_result_free(&r);
}

static void the_loop_example_pads_each_line_once_as_awk_does(void **state)
{
    char in[512], files[600], dir[512], env[600], *got, *want;
    const char *slash = strrchr(EXAMPLE_PLUGIN, '/');
    cli_result r, g;
    (void)state;
    cli_write("in.txt", "short\n"
                        "a line well past sixty bytes, which is long for a line of text\n"
                        "x\n"
                        "a middle one, of forty-something bytes long\n");
    snprintf(files, sizeof(files), "text.files=%s", cli_path(in, "in.txt"));
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - EXAMPLE_PLUGIN), EXAMPLE_PLUGIN);
    snprintf(env, sizeof(env), "RILL_PLUGIN_PATH=%s", dir);
    putenv(env);
    assert_int_equal(chdir(SOURCE_DIR), 0);
    r = cli_rill(NULL, "run", "-q", "-w", "2", "examples/loop.yaml", "-s", files, NULL);
    g = cli_rill(NULL, "graph", "examples/loop.yaml", NULL);
    {
        cli_result e = cli_rill(NULL, "explain", "examples/loop.yaml", NULL);
        assert_int_equal(e.status, 0);
        if (strstr(e.out, "follows:     text, pad (a loop)\n") == NULL)
            fail_msg("expected check to follow text and pad (a loop) in: %s", e.out);
        cli_result_free(&e);
    }
    unsetenv("RILL_PLUGIN_PATH");
    assert_int_equal(chdir(cli_tmp), 0);
    assert_int_equal(r.status, 0);
    got = sorted_lines(r.out);
    want = cli_shell("awk '{ s = $0; while (length(s) < 60) s = \".\" s; print s }' in.txt "
                     "| LC_ALL=C sort");
    assert_int_equal(strlen(want), 4 * 61 + 2); /* the long line stays as it is */
    assert_string_equal(got, want);
    free(got);
    free(want);
    cli_result_free(&r);
    assert_int_equal(g.status, 0);
    assert_non_null(strstr(g.out, "\"pad\" -> \"check\" [style=dashed, label=\"loop\"];"));
    assert_null(strstr(g.out, "\"pad\" -> \"(output)\"")); /* pad is on the loop, no sink */
    cli_result_free(&g);
}

static void a_loop_input_names_a_stage(void **state)
{
    char spec[900];
    (void)state;
    cli_write("in.txt", text);
    snprintf(spec, sizeof(spec),
             "plugins: [%s]\nsources: [in.txt]\nstages:\n"
             "  - {name: check, kind: plugin, function: route, long_to: done, short_to: pad,\n"
             "     loop_input: pda}\n"
             "  - {name: pad, kind: plugin, function: prefix, text: '.', input: check}\n"
             "  - {name: done, kind: plugin, function: upper, input: check}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    refused("spec.yaml:5:18: ", "loop_input 'pda' names no stage (did you mean 'pad'?)");
    snprintf(spec, sizeof(spec),
             "plugins: [%s]\nsources: [{name: text, kind: lines, files: [in.txt]}]\n"
             "stages:\n"
             "  - {name: check, kind: plugin, function: route, long_to: done, short_to: pad,\n"
             "     loop_input: text}\n"
             "  - {name: pad, kind: plugin, function: prefix, text: '.', input: check}\n"
             "  - {name: done, kind: plugin, function: upper, input: check}\n", EXAMPLE_PLUGIN);
    cli_write("spec.yaml", spec);
    refused("spec.yaml:5:18: ", "loop_input 'text' names a source");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(use_runs_a_piece_of_the_plugin_with_its_option,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_named_use_of_the_plugins_list_names_its_stages,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(wrong_uses_are_spec_errors_at_their_place, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(the_example_spec_counts_as_awk_does, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_plugin_task_routes_records_to_one_successor_by_name,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(the_loop_example_pads_each_line_once_as_awk_does,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_loop_input_names_a_stage, cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
