/* test_cli_report.c — the rill command's --report page
 * (src/cli/report.c) after a real run with a branch and a join: its
 * content, its escaping of any stage name, and its rendering in headless
 * Chromium, whose layout the page's own script measures. */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_feedback_helpers.h"

/* A task passing its records on, counted as stage *payload. */
static int pass(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (rill_emit_record(out, &in[i]) != 0)
            return -1;
    cli_feedback_count(counting, *(const size_t *)payload, n, n);
    return 0;
}

/* The output callback of the run command: counts what the sink sent out. */
static int count_sink(const char *sink, const rill_batch *batch, void *payload)
{
    (void)payload;
    cli_feedback_count_named(counting, sink, 0, rill_batch_count(batch));
    return 0;
}

static const cli_feedback_stage graph_stages[] = {
    {"numbers", "sequence"}, {"left", "grep"}, {"right", "exec"}, {"both", "cat"}};
static const cli_feedback_stage odd_stages[] = {
    {"<script>alert(1)</script>", "sequence"}, {"words & \"quotes\"", "grep"},
    {"r\xe9sum\xe9 \xff bad UTF-8", "exec"}, {"both", "cat"}};
static const cli_feedback_edge graph_edges[] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}};

/* A branch and a join: numbers -> left, right -> both, over 60 values at
 * 200 a second (0.3 s, so that there are samples to draw). */
static void run_with_report(const cli_feedback_stage *stages, const char *report)
{
    static const size_t idx[] = {0, 1, 2, 3};
    cli_feedback_named_edge named[2];
    rill_pipeline *p;
    rill_run_options ro = with_workers(2);
    cli_feedback_options o = CLI_FEEDBACK_OPTIONS_INIT;
    size_t i;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, stages[0].name, 0, 60, 200), 0);
    for (i = 1; i < 3; i++)
        assert_int_equal(rill_task(p, stages[i].name, NULL, pass, (void *)&idx[i]), 0);
    assert_int_equal(rill_task(p, stages[3].name, NULL, copy_all, NULL), 0);
    for (i = 0; i < 4; i++)
        assert_int_equal(rill_edge(p, stages[graph_edges[i].from].name,
                                   stages[graph_edges[i].to].name), 0);
    o.spec = "branch & join.yaml";
    o.stages = stages;
    o.nstages = 4;
    named[0].from = stages[1].name; /* the joins by name, the branches by index */
    named[0].to = stages[3].name;
    named[1].from = stages[2].name;
    named[1].to = stages[3].name;
    o.edges = graph_edges;
    o.nedges = 2;
    o.named_edges = named;
    o.nnamed_edges = 2;
    o.quiet = 1;
    o.sample_ms = 20;
    o.report_path = report;
    o.metrics_path = path("graph.json");
    assert_int_equal(rill_output(p, count_sink, NULL), 0);
    assert_non_null(counting = cli_feedback_start(p, &o));
    assert_int_equal(cli_feedback_end(counting, rill_run(p, &ro, NULL)), 0);
    counting = NULL;
    rill_pipeline_free(p);
}

static void report_draws_every_stage_and_edge_with_tables_and_charts(void **state)
{
    char *html, row[64];
    size_t i;
    json_t *m, *s;
    (void)state;
    run_with_report(graph_stages, path("r.html"));
    html = slurp(path("r.html"));
    assert_non_null(strstr(html, "<svg id=\"graph\""));
    assert_int_equal(occurrences(html, "<g class=\"node"), 4);
    assert_int_equal(occurrences(html, "<g class=\"node source"), 1);
    assert_int_equal(occurrences(html, "<path class=\"edge\""), 4);
    for (i = 0; i < 4; i++) { /* a row per stage, named */
        snprintf(row, sizeof row, "<tr><td>%s</td>", graph_stages[i].name);
        assert_int_equal(occurrences(html, row), 1);
    }
    assert_non_null(strstr(html, "<tr><td>both</td><td>cat</td>"));
    assert_non_null(strstr(html, "id=\"chart-input\""));       /* values per second */
    assert_non_null(strstr(html, "id=\"chart-records-out\"")); /* both, counted */
    assert_non_null(strstr(html, "id=\"chart-memory\""));
    assert_non_null(strstr(html, "id=\"status\">done"));
    assert_non_null(strstr(html, "branch &amp; join.yaml"));
    m = json_load_file(path("graph.json"), 0, NULL); /* the sink counted by name */
    assert_non_null(m);
    s = json_array_get(member(m, "stages"), 3);
    assert_int_equal(int_of(s, "records_in"), 120);
    assert_int_equal(int_of(s, "records_out"), 120);
    assert_int_equal(int_of(member(s, "counted"), "out"), 120);
    assert_int_equal(json_array_size(member(s, "inputs")), 2);
    json_decref(m);
    /* self-contained: nothing is fetched */
    assert_null(strstr(html, "http:"));
    assert_null(strstr(html, "https:"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "<link"));
    free(html);
}

static void report_shows_any_stage_name_as_text(void **state)
{
    char *html;
    (void)state;
    run_with_report(odd_stages, path("odd.html"));
    html = slurp(path("odd.html"));
    assert_null(strstr(html, "<script>alert"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "words &amp; &quot;quotes&quot;"));
    assert_non_null(strstr(html, "r\xef\xbf\xbdsum\xef\xbf\xbd \xef\xbf\xbd bad UTF-8"));
    assert_int_equal(occurrences(html, "<script>"), 1); /* the page's own */
    free(html);
}

/* Runs argv with stdout to out_file, stderr to /dev/null; its exit status. */
static int run_command(char *const argv[], const char *out_file)
{
    pid_t pid = fork();
    int status;
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_WRONLY);
        if (out < 0 || null < 0)
            _exit(127);
        dup2(out, 1);
        dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The value of data-NAME="..." on <body>, as a number. */
static long body_attr(const char *dom, const char *name)
{
    char key[64];
    const char *s, *body = strstr(dom, "<body");
    assert_non_null(body);
    snprintf(key, sizeof key, "data-%s=\"", name);
    if ((s = strstr(body, key)) == NULL || s > strchr(body, '>'))
        fail_msg("<body> has no %s: the page's script did not run", key);
    return strtol(s + strlen(key), NULL, 10);
}

static void report_renders_its_graph_and_charts_in_headless_chromium(void **state)
{
    char url[300], profile[300], *dom, *box;
    char *argv[] = {"chromium", "--headless", "--disable-gpu", "--no-sandbox",
                    "--disable-dev-shm-usage", "--no-first-run", "--window-size=1280,2000",
                    profile, "--dump-dom", url, NULL};
    int rc;
    (void)state;
    run_with_report(odd_stages, path("render.html"));
    snprintf(url, sizeof url, "file://%s", path("render.html"));
    snprintf(profile, sizeof profile, "--user-data-dir=%s", path("chromium-profile"));
    if ((rc = run_command(argv, path("dom.html"))) != 0)
        fail_msg("chromium --headless exited with %d (127: not installed; scripts/deps.sh "
                 "installs it)", rc);
    dom = slurp(path("dom.html"));
    /* What the browser laid out, measured by the page's script. */
    assert_int_equal(body_attr(dom, "graph-nodes"), 4);
    assert_int_equal(body_attr(dom, "graph-edges"), 4);
    box = strstr(dom, "data-graph-box=\"");
    assert_non_null(box);
    assert_true(strtol(box + 16, &box, 10) > 100 && *box == 'x' && strtol(box + 1, NULL, 10) > 40);
    /* values per second, records in per second (the library's live
     * figures of the source), records out per second, memory: each a line
     * of some length on screen */
    assert_int_equal(body_attr(dom, "charts-drawn"), 4);
    free(dom);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_draws_every_stage_and_edge_with_tables_and_charts),
        cmocka_unit_test(report_shows_any_stage_name_as_text),
        cmocka_unit_test(report_renders_its_graph_and_charts_in_headless_chromium),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
