/* test_cli_feedback.c — the rill command's feedback (src/cli/feedback.h) on
 * real runs: the metrics JSON read back with jansson, the progress line on
 * a real pseudo-terminal, the summary line in a file, failed runs, refused
 * edges. The report page has its own suite (test_cli_report.c). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_feedback_helpers.h"

/* ---- the pipeline: lines of a file -> words -> the long ones ---- */

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
    assert_int_equal(int_of(m, "ranks"), 1);
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
    assert_int_equal(int_of(s, "records_in"), 3000); /* read: the library's live figures */
    assert_int_equal(int_of(s, "records_out"), nlong);
    json_decref(m);
    rill_batch_free(out);
    rill_pipeline_free(p);
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
static void run_sequence(FILE *err, int quiet, int tty, int64_t n, double per_second,
                         const char *between)
{
    static const cli_feedback_stage st[] = {{"numbers", "sequence"}, {"double", "exec"}};
    static const cli_feedback_edge ed[] = {{0, 1}};
    cli_feedback_options o = CLI_FEEDBACK_OPTIONS_INIT;
    rill_pipeline *p;
    rill_run_options ro = with_workers(2);
    int rc;
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
    rc = rill_run(p, &ro, NULL);
    if (between) { /* what the run command says between stop and end */
        cli_feedback_stop(counting);
        fputs(between, err);
    }
    assert_int_equal(cli_feedback_end(counting, rc), 0);
    counting = NULL;
    rill_pipeline_free(p);
}

/* What a run of 40 values at 100 a second (0.4 s: several redraws of 40
 * ms) shows on a pseudo-terminal, with TERM set to term. */
static char *on_a_terminal(const char *term, const char *between)
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
    run_sequence(err, 0, -1, 40, 100, between);
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
    char *buf = on_a_terminal("xterm", NULL), *last;
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
    char *buf = on_a_terminal("dumb", NULL);
    (void)state;
    assert_true(occurrences(buf, "\r") >= 2);
    assert_null(strchr(buf, '\033'));
    assert_non_null(strstr(buf, "| double "));
    assert_non_null(strstr(buf, "rill: 40 records in, 40 out in "));
    free(buf);
}

static void what_is_printed_after_stop_starts_a_line_of_its_own(void **state)
{
    char *buf = on_a_terminal("xterm", "rill run: boom\n"), *msg;
    (void)state;
    msg = strstr(buf, "rill run: boom");
    assert_non_null(msg);
    assert_true(msg - buf >= 4 && memcmp(msg - 4, "\r\033[K", 4) == 0); /* cleared first */
    assert_null(strstr(msg, "\033[K"));           /* and not drawn again */
    assert_non_null(strstr(msg, "rill: 40 records in")); /* then the summary */
    free(buf);
}

static void only_the_summary_line_when_stderr_is_not_a_terminal(void **state)
{
    FILE *err = fopen(path("err.txt"), "w+");
    char *s;
    (void)state;
    assert_non_null(err);
    run_sequence(err, 0, -1, 500, 0, NULL);
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
    run_sequence(err, 1, 1, 100, 0, NULL); /* quiet wins over a terminal */
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

/* cli_feedback_start with these edges: NULL, and what it said. */
static char *refused(const cli_feedback_edge *e, size_t ne, const cli_feedback_named_edge *n,
                     size_t nn, int chain)
{
    static const cli_feedback_stage st[] = {
        {"numbers", "sequence"}, {"left", "grep"}, {"right", "exec"}, {"both", "cat"}};
    FILE *err = fopen(path("refused.txt"), "w+");
    cli_feedback_options o = CLI_FEEDBACK_OPTIONS_INIT;
    rill_pipeline *p;
    assert_non_null(err);
    assert_int_equal(rill_pipeline_new(&p), 0);
    o.stages = st;
    o.nstages = 4;
    o.edges = e;
    o.nedges = ne;
    o.named_edges = n;
    o.nnamed_edges = nn;
    o.chain = chain;
    o.err = err;
    assert_null(cli_feedback_start(p, &o));
    fclose(err);
    rill_pipeline_free(p);
    return slurp(path("refused.txt"));
}

static void edges_to_stages_that_are_not_there_are_refused(void **state)
{
    static const cli_feedback_edge past[] = {{0, 1}, {3, 4}};
    static const cli_feedback_named_edge typo[] = {{"numbers", "left"}, {"left", "bothh"}};
    char *s;
    (void)state;
    s = refused(past, 2, NULL, 0, 0);
    assert_non_null(strstr(s, "edge 1 names stage 4 of 4"));
    free(s);
    s = refused(NULL, 0, typo, 2, 0);
    assert_non_null(strstr(s, "edge 1 names a stage 'bothh' that is not among the stages"));
    free(s);
    s = refused(past, 1, NULL, 0, 1);
    assert_non_null(strstr(s, "a chain is given edges"));
    free(s);
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
        cmocka_unit_test(progress_line_is_redrawn_in_place_on_a_terminal),
        cmocka_unit_test(a_dumb_terminal_gets_the_line_without_escape_codes),
        cmocka_unit_test(what_is_printed_after_stop_starts_a_line_of_its_own),
        cmocka_unit_test(only_the_summary_line_when_stderr_is_not_a_terminal),
        cmocka_unit_test(nothing_at_all_when_quiet),
        cmocka_unit_test(a_failed_run_says_so_in_its_summary_metrics_and_report),
        cmocka_unit_test(a_file_that_cannot_be_written_is_named_in_the_error),
        cmocka_unit_test(edges_to_stages_that_are_not_there_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
