/* test_cli_feedback.c — the rill command's feedback (src/cli/feedback.h) on
 * real runs: the metrics JSON read back with jansson, the HTML report's
 * content and its rendering in headless Chromium, the progress line on a
 * real pseudo-terminal, the summary line in a file, and failed runs. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#include "feedback.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/rill-feedback-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    if (getenv("RILL_TEST_KEEP")) { /* to look at the pages */
        printf("kept %s\n", dir);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path(const char *name)
{
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dir, name);
    return b;
}

static char *slurp(const char *file)
{
    FILE *fp = fopen(file, "rb");
    char *s;
    long n;
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    return s;
}

static size_t occurrences(const char *s, const char *what)
{
    size_t n = 0;
    while ((s = strstr(s, what)) != NULL) {
        n++;
        s += strlen(what);
    }
    return n;
}

/* ---- the pipeline: lines of a file -> words -> the long ones ---- */

static cli_feedback *counting; /* the feedback the stages count into */

/* Writes nlines lines of 1 + i % 7 words each; returns the number of words
 * and, in *nlong, how many are longer than 4 bytes. */
static size_t write_text(const char *file, size_t nlines, size_t *nlong)
{
    static const char *const w[] = {"a", "rill", "stream", "of", "records", "flows", "by"};
    FILE *fp = fopen(file, "w");
    size_t i, k, words = 0;
    assert_non_null(fp);
    *nlong = 0;
    for (i = 0; i < nlines; i++) {
        for (k = 0; k < 1 + i % 7; k++) {
            const char *x = w[(i + k) % 7];
            fprintf(fp, k ? " %s" : "%s", x);
            words++;
            *nlong += strlen(x) > 4;
        }
        fputc('\n', fp);
    }
    fclose(fp);
    return words;
}

static int split_words(rill_emitter *out, const rill_record *in, void *payload)
{
    const char *s = in->data, *end = s + in->len;
    uint64_t n = 0;
    (void)payload;
    while (s < end) {
        const char *e = memchr(s, ' ', (size_t)(end - s));
        if (e == NULL)
            e = end;
        if (e > s && rill_emit(out, s, (size_t)(e - s)) != 0)
            return -1;
        n++;
        s = e + 1;
    }
    cli_feedback_count(counting, 1, 1, n);
    return 0;
}

static int long_words(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    cli_feedback_count(counting, 2, 1, in->len > 4);
    return in->len > 4 ? rill_emit(out, in->data, in->len) : 0;
}

static const cli_feedback_stage chain_stages[] = {
    {"read", "lines"}, {"words", "words"}, {"long", "grep"}};

static rill_pipeline *chain(const char *text, const char *job2)
{
    rill_pipeline *p;
    rill_batch *work;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, text), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "read", 4096), 0);
    assert_int_equal(rill_job(p, "words", NULL, split_words, NULL), 0);
    assert_int_equal(rill_job(p, job2, NULL, long_words, NULL), 0);
    return p;
}

static cli_feedback_options chain_options(FILE *err)
{
    cli_feedback_options o = CLI_FEEDBACK_OPTIONS_INIT;
    o.spec = "words.yaml";
    o.stages = chain_stages;
    o.nstages = 3;
    o.chain = 1;
    o.err = err;
    o.unit = CLI_PROGRESS_BYTES;
    o.sample_ms = 10;
    return o;
}

static json_t *member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        fail_msg("no \"%s\" in the metrics", key);
    return v;
}

static json_int_t int_of(json_t *o, const char *key)
{
    json_t *v = member(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void metrics_hold_the_figures_of_every_stage_of_a_real_run(void **state)
{
    size_t nlong, words = write_text(path("in.txt"), 3000, &nlong), i;
    rill_pipeline *p = chain(path("in.txt"), "long");
    rill_run_options ro = with_workers(2);
    rill_batch *out = NULL;
    cli_feedback_options o = chain_options(stderr);
    json_error_t jerr;
    json_t *m, *stages, *s, *samples;
    struct stat st;
    (void)state;
    o.quiet = 1;
    o.metrics_path = path("m.json");
    assert_non_null(counting = cli_feedback_start(p, &o));
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(cli_feedback_end(counting, 0), 0);
    counting = NULL;
    assert_int_equal(rill_batch_count(out), nlong);

    m = json_load_file(path("m.json"), 0, &jerr);
    if (m == NULL)
        fail_msg("the metrics are not JSON: %s at line %d", jerr.text, jerr.line);
    assert_string_equal(json_string_value(member(m, "status")), "done");
    assert_string_equal(json_string_value(member(m, "spec")), "words.yaml");
    assert_int_equal(int_of(m, "records_in"), 3000);
    assert_int_equal(int_of(m, "records_out"), nlong);
    assert_true(int_of(m, "peak_rss_bytes") > 0);
    assert_true(json_real_value(member(m, "wall_seconds")) > 0);
    assert_int_equal(stat(path("in.txt"), &st), 0);
    s = member(m, "progress"); /* as far as the trackers reported it */
    assert_string_equal(json_string_value(member(s, "unit")), "bytes");
    assert_true(json_real_value(member(s, "most_total")) <= (double)st.st_size);

    stages = member(m, "stages");
    assert_int_equal(json_array_size(stages), 3);
    for (i = 0; i < 3; i++) {
        s = json_array_get(stages, i);
        assert_string_equal(json_string_value(member(s, "name")), chain_stages[i].name);
        assert_string_equal(json_string_value(member(s, "kind")), chain_stages[i].kind);
        assert_int_equal(int_of(s, "depth"), i);
        assert_true(int_of(s, "workers") >= 1 && int_of(s, "workers") <= 2);
        assert_true(json_is_true(member(s, "ran")));
    }
    s = json_array_get(stages, 0); /* a source: what it took in is not known */
    assert_int_equal(int_of(s, "records_out"), 3000);
    assert_true(json_is_null(member(s, "records_in")));
    assert_true(int_of(s, "calls") >= 1); /* units of the file */
    assert_int_equal(json_array_size(member(s, "inputs")), 0);
    s = json_array_get(stages, 1); /* a record per word */
    assert_true(int_of(s, "calls") >= 1 && int_of(s, "calls") <= 3000);
    assert_int_equal(int_of(s, "records_in"), 3000);
    assert_int_equal(int_of(s, "records_out"), words);
    assert_string_equal(json_string_value(json_array_get(member(s, "inputs"), 0)), "read");
    assert_int_equal(int_of(member(s, "counted"), "in"), 3000);
    assert_int_equal(int_of(member(s, "counted"), "out"), words);
    s = json_array_get(stages, 2);
    assert_int_equal(int_of(s, "records_in"), words);
    assert_int_equal(int_of(s, "records_out"), nlong);

    samples = member(m, "samples"); /* the last one is taken at the end */
    assert_true(json_array_size(samples) >= 1);
    s = json_array_get(samples, json_array_size(samples) - 1);
    assert_true(int_of(s, "rss_bytes") > 0);
    assert_int_equal(int_of(s, "records_in"), 0); /* read is not counted live */
    assert_int_equal(int_of(s, "records_out"), nlong);
    json_decref(m);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

/* ---- the report ---- */

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
    o.edges = graph_edges;
    o.nedges = 4;
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
    /* values per second, records out per second (counted at "both"),
     * memory: each a line of some length on screen */
    assert_int_equal(body_attr(dom, "charts-drawn"), 3);
    free(dom);
}

/* ---- the lines on the terminal ---- */

static int slow_words(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    cli_feedback_count(counting, 1, 1, 1);
    return rill_emit_record(out, in);
}

/* Runs a sequence of n values at per_second through "double" with the
 * feedback writing to err. */
static void run_sequence(FILE *err, int quiet, int tty, int64_t n, double per_second)
{
    static const cli_feedback_stage st[] = {{"numbers", "sequence"}, {"double", "exec"}};
    static const cli_feedback_edge ed[] = {{0, 1}};
    cli_feedback_options o = CLI_FEEDBACK_OPTIONS_INIT;
    rill_pipeline *p;
    rill_run_options ro = with_workers(2);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "numbers", 0, n, per_second), 0);
    assert_int_equal(rill_job(p, "double", NULL, slow_words, NULL), 0);
    o.stages = st;
    o.nstages = 2;
    o.edges = ed;
    o.nedges = 1;
    o.err = err;
    o.quiet = quiet;
    o.tty = tty;
    o.sample_ms = 20;
    o.redraw_ms = 40;
    assert_non_null(counting = cli_feedback_start(p, &o));
    assert_int_equal(cli_feedback_end(counting, rill_run(p, &ro, NULL)), 0);
    counting = NULL;
    rill_pipeline_free(p);
}

/* What a run of 40 values at 100 a second (0.4 s: several redraws of 40
 * ms) shows on a pseudo-terminal, with TERM set to term. */
static char *on_a_terminal(const char *term)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
    FILE *err;
    char *buf = malloc(65536);
    ssize_t n;
    size_t len = 0;
    assert_non_null(buf);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    assert_true((slave = open(ptsname(master), O_RDWR | O_NOCTTY)) >= 0);
    assert_non_null(err = fdopen(slave, "w"));
    assert_int_equal(setenv("TERM", term, 1), 0);
    run_sequence(err, 0, -1, 40, 100);
    fclose(err);
    fcntl(master, F_SETFL, O_NONBLOCK);
    while (len + 1 < 65536 && (n = read(master, buf + len, 65536 - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(master);
    return buf;
}

static void progress_line_is_redrawn_in_place_on_a_terminal(void **state)
{
    char *buf = on_a_terminal("xterm"), *last;
    (void)state;
    assert_true(occurrences(buf, "\r") >= 2);       /* redrawn, */
    assert_true(occurrences(buf, "\033[K") >= 2);   /* each time cleared */
    assert_non_null(strstr(buf, "rill: "));
    assert_non_null(strstr(buf, "| double "));       /* the counted stage */
    assert_non_null(strstr(buf, "%"));               /* the trackers' progress */
    last = strstr(buf, "rill: 40 records in, 40 out in "); /* the summary, */
    assert_non_null(last);
    assert_null(strstr(last, "\033[K"));             /* after the line was cleared */
    free(buf);
}

static void a_dumb_terminal_gets_the_line_without_escape_codes(void **state)
{
    char *buf = on_a_terminal("dumb");
    (void)state;
    assert_true(occurrences(buf, "\r") >= 2);
    assert_null(strchr(buf, '\033'));
    assert_non_null(strstr(buf, "| double "));
    assert_non_null(strstr(buf, "rill: 40 records in, 40 out in "));
    free(buf);
}

static void only_the_summary_line_when_stderr_is_not_a_terminal(void **state)
{
    FILE *err = fopen(path("err.txt"), "w+");
    char *s;
    (void)state;
    assert_non_null(err);
    run_sequence(err, 0, -1, 500, 0);
    fclose(err);
    s = slurp(path("err.txt"));
    assert_null(strchr(s, '\r'));
    assert_null(strchr(s, '\033'));
    assert_int_equal(occurrences(s, "\n"), 1);
    assert_int_equal(strncmp(s, "rill: 500 records in, 500 out in ", 33), 0);
    assert_non_null(strstr(s, "peak memory"));
    free(s);
}

static void nothing_at_all_when_quiet(void **state)
{
    FILE *err = fopen(path("quiet.txt"), "w+");
    char *s;
    (void)state;
    assert_non_null(err);
    run_sequence(err, 1, 1, 100, 0); /* quiet wins over a terminal */
    fclose(err);
    s = slurp(path("quiet.txt"));
    assert_string_equal(s, "");
    free(s);
}

/* ---- failures ---- */

static int fails_on_rill(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)out;
    (void)payload;
    if (in->len == 4 && memcmp(in->data, "rill", 4) == 0) {
        rill_error_set("cannot take the word rill");
        return -1;
    }
    return 0;
}

static void a_failed_run_says_so_in_its_summary_metrics_and_report(void **state)
{
    size_t nlong;
    rill_pipeline *p;
    static const cli_feedback_stage st[] = {
        {"read", "lines"}, {"words", "words"}, {"picky", "exec"}};
    cli_feedback_options o = chain_options(NULL);
    FILE *err = fopen(path("failed.txt"), "w+");
    json_t *m;
    char *html, *s;
    int rc;
    (void)state;
    write_text(path("in.txt"), 100, &nlong);
    assert_int_equal(rill_pipeline_new(&p), 0);
    {
        rill_batch *work;
        assert_int_equal(rill_batch_new(&work), 0);
        assert_int_equal(rill_batch_add_text(work, path("in.txt")), 0);
        assert_int_equal(rill_work(p, work), 0);
    }
    assert_int_equal(rill_read_lines(p, "read", 0), 0);
    assert_int_equal(rill_job(p, "words", NULL, split_words, NULL), 0);
    assert_int_equal(rill_job(p, "picky", NULL, fails_on_rill, NULL), 0);
    o.stages = st;
    o.err = err;
    o.metrics_path = path("failed.json");
    o.report_path = path("failed.html");
    assert_non_null(counting = cli_feedback_start(p, &o));
    rc = rill_run(p, NULL, NULL);
    assert_true(rc < 0);
    assert_int_equal(cli_feedback_end(counting, rc), 0);
    counting = NULL;
    fclose(err);
    s = slurp(path("failed.txt"));
    assert_int_equal(strncmp(s, "rill: failed after ", 19), 0);
    free(s);
    assert_non_null(m = json_load_file(path("failed.json"), 0, NULL));
    assert_string_equal(json_string_value(member(m, "status")), "failed");
    assert_int_equal(int_of(m, "exit"), rc);
    assert_non_null(strstr(json_string_value(member(m, "error")), "cannot take the word rill"));
    /* what ran before it stopped: the words reached picky */
    assert_true(int_of(json_array_get(member(m, "stages"), 2), "records_in") > 0);
    json_decref(m);
    html = slurp(path("failed.html"));
    assert_non_null(strstr(html, "id=\"status\">failed"));
    assert_non_null(strstr(html, "cannot take the word rill"));
    free(html);
    rill_pipeline_free(p);
}

static void a_file_that_cannot_be_written_is_named_in_the_error(void **state)
{
    FILE *err = fopen(path("nowrite.txt"), "w+");
    char *s;
    rill_pipeline *p;
    cli_feedback_options o = CLI_FEEDBACK_OPTIONS_INIT;
    static const cli_feedback_stage st[] = {{"numbers", "sequence"}};
    cli_feedback *f;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "numbers", 0, 10, 0), 0);
    o.stages = st;
    o.nstages = 1;
    o.err = err;
    o.quiet = 1;
    o.metrics_path = path("no/such/folder/m.json");
    assert_non_null(f = cli_feedback_start(p, &o));
    assert_int_equal(cli_feedback_end(f, rill_run(p, NULL, NULL)), -1);
    fclose(err);
    s = slurp(path("nowrite.txt"));
    assert_non_null(strstr(s, path("no/such/folder/m.json")));
    assert_non_null(strstr(s, "No such file or directory"));
    free(s);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_hold_the_figures_of_every_stage_of_a_real_run),
        cmocka_unit_test(report_draws_every_stage_and_edge_with_tables_and_charts),
        cmocka_unit_test(report_shows_any_stage_name_as_text),
        cmocka_unit_test(report_renders_its_graph_and_charts_in_headless_chromium),
        cmocka_unit_test(progress_line_is_redrawn_in_place_on_a_terminal),
        cmocka_unit_test(a_dumb_terminal_gets_the_line_without_escape_codes),
        cmocka_unit_test(only_the_summary_line_when_stderr_is_not_a_terminal),
        cmocka_unit_test(nothing_at_all_when_quiet),
        cmocka_unit_test(a_failed_run_says_so_in_its_summary_metrics_and_report),
        cmocka_unit_test(a_file_that_cannot_be_written_is_named_in_the_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
