/* test_cli_feedback_run.c — the feedback of `rill run` as a user sees it,
 * from the real binary: the word count example with --metrics and --report
 * (the JSON read back with jansson, its totals against the output the run
 * printed; the report naming the stages), standard error holding the
 * summary line alone when it is not a terminal and nothing with -q, a file
 * that cannot be written, and the progress line with each stage's live
 * figures on a real pseudo-terminal. */
#include <jansson.h>
#include <poll.h>

#include "cli_helpers.h"

#define LINES 3000

/* LINES lines of words from a fixed seed (some lines empty) into
 * cli_tmp/name: returns how many words. */
static long write_text(const char *name)
{
    static const char *const words[] = {"the", "River", "flows", "over", "stone,", "Rill",
                                        "water", "a", "in", "light"};
    unsigned seed = 12345;
    char path[512];
    FILE *f = fopen(cli_path(path, name), "wb");
    long n = 0;
    int i, j;
    assert_non_null(f);
    for (i = 0; i < LINES; i++) {
        int k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 9;
        for (j = 0; j < k; j++, n++) {
            seed = seed * 1103515245u + 12345u;
            fprintf(f, j ? " %s" : "%s", words[(seed >> 16) % 10]);
        }
        fputc('\n', f);
    }
    assert_int_equal(fclose(f), 0);
    return n;
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

/* The stage of the metrics named name. */
static json_t *stage(json_t *m, const char *name)
{
    json_t *stages = member(m, "stages"), *s;
    size_t i;
    json_array_foreach(stages, i, s)
        if (strcmp(json_string_value(member(s, "name")), name) == 0)
            return s;
    fail_msg("no stage '%s' in the metrics", name);
    return NULL;
}

/* The number of lines of an output and the sum of its counts (word TAB n). */
static void tally(const char *out, long *lines, long *sum)
{
    const char *p;
    *lines = *sum = 0;
    for (p = out; *p; p++)
        if (*p == '\n')
            (*lines)++;
    for (p = out; (p = strchr(p, '\t')) != NULL; p++)
        *sum += atol(p + 1);
}

static cli_result wordcount(const char *first, ...)
{
    const char *argv[32];
    char text[512], set[600];
    va_list ap;
    int n = 0;
    snprintf(set, sizeof(set), "text.files=%s", cli_path(text, "text.txt"));
    argv[n++] = RILL_BIN;
    argv[n++] = "run";
    argv[n++] = "-w";
    argv[n++] = "2";
    va_start(ap, first);
    for (argv[n] = first; argv[n] != NULL && n < 26; argv[n] = va_arg(ap, const char *))
        n++;
    va_end(ap);
    argv[n++] = SOURCE_DIR "/examples/wordcount.yaml";
    argv[n++] = "-s";
    argv[n++] = set;
    argv[n] = NULL;
    return cli_runv(NULL, argv);
}

static void metrics_and_report_of_the_word_count_match_its_output(void **state)
{
    long words = write_text("text.txt"), lines, sum;
    char m_path[512], r_path[512];
    json_error_t jerr;
    json_t *m;
    char *html;
    cli_result r;
    (void)state;
    r = wordcount("--metrics", cli_path(m_path, "m.json"), "--report",
                  cli_path(r_path, "r.html"), NULL);
    assert_int_equal(r.status, 0);
    tally(r.out, &lines, &sum);
    assert_int_equal(sum, words); /* the output itself is right */
    assert_true(lines > 1);

    if ((m = json_load_file(m_path, 0, &jerr)) == NULL)
        fail_msg("the metrics are not JSON: %s at line %d", jerr.text, jerr.line);
    assert_string_equal(json_string_value(member(m, "status")), "done");
    assert_int_equal(int_of(m, "exit"), 0);
    assert_non_null(strstr(json_string_value(member(m, "spec")), "wordcount.yaml"));
    assert_int_equal(int_of(m, "records_in"), LINES);  /* the lines read */
    assert_int_equal(int_of(m, "records_out"), lines); /* a line out per word */
    assert_int_equal(int_of(stage(m, "text"), "records_out"), LINES);
    assert_int_equal(int_of(stage(m, "words"), "records_in"), LINES);
    assert_int_equal(int_of(stage(m, "words"), "records_out"), words);
    assert_int_equal(int_of(stage(m, "count"), "records_in"), words);
    assert_true(json_is_true(member(stage(m, "words"), "ran")));
    assert_string_equal(json_string_value(member(stage(m, "text"), "kind")), "lines");
    assert_string_equal(json_string_value(member(member(m, "progress"), "unit")), "bytes");
    assert_true(json_array_size(member(m, "samples")) >= 1);
    json_decref(m);

    html = cli_slurp(r_path);
    assert_non_null(strstr(html, "<html"));
    assert_non_null(strstr(html, "<td>text</td>"));
    assert_non_null(strstr(html, "<td>words</td>"));
    assert_non_null(strstr(html, "<td>count</td>"));
    assert_non_null(strstr(html, "<svg"));
    free(html);
    cli_result_free(&r);
}

static double real_of(json_t *o, const char *key)
{
    json_t *v = member(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* A glob of files: the progress is the bytes read of their total, however
 * short the run (the library's last report comes after every unit). */
static void metrics_of_a_glob_report_the_bytes_read(void **state)
{
    static const char *const names[] = {"part-1.txt", "part-2.txt", "part-3.txt"};
    char m_path[512], path[512];
    double total = 0;
    json_error_t jerr;
    json_t *m, *pr, *samples;
    cli_result r;
    size_t i;
    (void)state;
    for (i = 0; i < 3; i++) {
        FILE *f = fopen(cli_path(path, names[i]), "wb");
        int j;
        assert_non_null(f);
        for (j = 0; j < 2000 * (int)(i + 1); j++)
            fprintf(f, "line %zu.%d\n", i, j);
        total += (double)ftell(f);
        assert_int_equal(fclose(f), 0);
    }
    cli_write("glob.yaml", "sources:\n"
                           "  - {name: in, kind: lines, files: [\"part-*.txt\"], chunk_bytes: 4096}\n"
                           "stages:\n"
                           "  - {name: some, kind: grep, pattern: '7$'}\n");
    r = cli_rill(NULL, "run", "-q", "-w", "2", "--metrics", cli_path(m_path, "g.json"),
                 "glob.yaml", NULL);
    assert_int_equal(r.status, 0);
    if ((m = json_load_file(m_path, 0, &jerr)) == NULL)
        fail_msg("the metrics are not JSON: %s at line %d", jerr.text, jerr.line);
    pr = member(m, "progress");
    assert_string_equal(json_string_value(member(pr, "unit")), "bytes");
    assert_true(real_of(pr, "completed") == total);
    assert_true(real_of(pr, "remaining") == 0);
    assert_true(real_of(pr, "most_total") == total);
    assert_true(int_of(pr, "elements_done") >= 3); /* a file is at least a unit */
    samples = member(m, "samples"); /* the last sample is the end */
    assert_true(json_array_size(samples) >= 2);
    assert_true(real_of(json_array_get(samples, json_array_size(samples) - 1), "completed") ==
                total);
    json_decref(m);
    cli_result_free(&r);
}

static void stderr_that_is_no_terminal_gets_the_summary_alone(void **state)
{
    long lines, sum;
    char expect[128], *nl;
    cli_result r;
    (void)state;
    write_text("text.txt");
    r = wordcount(NULL);
    assert_int_equal(r.status, 0);
    tally(r.out, &lines, &sum);
    assert_null(strchr(r.err, '\r'));
    assert_null(strchr(r.err, '\033'));
    nl = strchr(r.err, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, ""); /* one line */
    snprintf(expect, sizeof(expect), "rill: %d records in, %ld out in ", LINES, lines);
    assert_int_equal(strncmp(r.err, expect, strlen(expect)), 0);
    assert_non_null(strstr(r.err, "peak memory"));
    cli_result_free(&r);
}

static void quiet_prints_nothing_but_still_writes_the_files(void **state)
{
    char m_path[512];
    json_t *m;
    cli_result r;
    (void)state;
    write_text("text.txt");
    r = wordcount("-q", "--metrics", cli_path(m_path, "quiet.json"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    assert_true(strlen(r.out) > 0);
    assert_non_null(m = json_load_file(m_path, 0, NULL));
    assert_int_equal(int_of(m, "records_in"), LINES);
    json_decref(m);
    cli_result_free(&r);
}

static void metrics_that_cannot_be_written_are_refused_before_the_run(void **state)
{
    char m_path[512];
    cli_result r;
    (void)state;
    write_text("text.txt");
    r = wordcount("-q", "--metrics", cli_path(m_path, "no/such/folder/m.json"), NULL);
    assert_int_equal(r.status, 2);
    assert_int_equal(strlen(r.out), 0); /* nothing ran */
    assert_non_null(strstr(r.err, m_path));
    assert_non_null(strstr(r.err, "No such file or directory"));
    cli_result_free(&r);
}

static void usage_names_the_options(void **state)
{
    cli_result r;
    (void)state;
    r = cli_rill(NULL, "help", "run", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--metrics FILE"));
    assert_non_null(strstr(r.out, "--report FILE.html"));
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "--metrics", NULL);
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
}

/* ---- on a terminal ---- */

/* Runs rill run SPEC with its standard error on a new pseudo-terminal
 * (TERM=xterm); returns what the terminal got (caller frees). */
static char *run_on_a_terminal(const char *spec, int *status)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
    char outp[512], *buf = malloc(1 << 16);
    size_t len = 0;
    pid_t pid;
    int st, done = 0;
    assert_non_null(buf);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    assert_true((slave = open(ptsname(master), O_RDWR | O_NOCTTY)) >= 0);
    cli_path(outp, "tty.out");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0)
            _exit(125);
        dup2(in, 0), dup2(out, 1), dup2(slave, 2);
        setenv("TERM", "xterm", 1);
        execl(RILL_BIN, RILL_BIN, "run", "-w", "2", spec, (char *)NULL);
        _exit(126);
    }
    close(slave);
    while (!done) { /* read as it comes, so the child never blocks on it */
        struct pollfd p = {master, POLLIN, 0};
        ssize_t n;
        if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN) && len + 1 < (1 << 16) &&
            (n = read(master, buf + len, (1 << 16) - 1 - len)) > 0) {
            len += (size_t)n;
            continue;
        }
        if (waitpid(pid, &st, WNOHANG) == pid)
            done = 1;
    }
    fcntl(master, F_SETFL, O_NONBLOCK);
    for (;;) {
        ssize_t n = len + 1 < (1 << 16) ? read(master, buf + len, (1 << 16) - 1 - len) : 0;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(master);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return buf;
}

static void the_progress_line_shows_each_stage_live(void **state)
{
    char spec[512], *buf, *p;
    int status, moving = 0;
    (void)state;
    /* a sequence paced over a second: several redraws of the line */
    cli_write("paced.yaml", "sources:\n"
                            "  - {name: numbers, kind: sequence, to: 1000, per_second: 1000}\n"
                            "stages:\n"
                            "  - {kind: words}\n");
    buf = run_on_a_terminal(cli_path(spec, "paced.yaml"), &status);
    assert_int_equal(status, 0);
    assert_true(strstr(buf, "\r") != NULL);
    assert_non_null(strstr(buf, "\033[K"));
    assert_non_null(strstr(buf, "| numbers "));
    assert_non_null(strstr(buf, "| words "));
    /* the words stage's figures moved while the run went: some redraw shows
     * records in and out of it before the end */
    for (p = buf; (p = strstr(p, "| words ")) != NULL; p++) {
        long in = atol(p + 8);
        const char *gt = strchr(p + 8, '>');
        if (gt && in > 0 && in < 1000 && atol(gt + 1) > 0)
            moving = 1;
    }
    assert_true(moving);
    p = strstr(buf, "rill: 1000 records in, 1000 out in "); /* the summary, */
    assert_non_null(p);
    assert_null(strstr(p, "\033[K")); /* after the line was cleared */
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_and_report_of_the_word_count_match_its_output),
        cmocka_unit_test(metrics_of_a_glob_report_the_bytes_read),
        cmocka_unit_test(stderr_that_is_no_terminal_gets_the_summary_alone),
        cmocka_unit_test(quiet_prints_nothing_but_still_writes_the_files),
        cmocka_unit_test(metrics_that_cannot_be_written_are_refused_before_the_run),
        cmocka_unit_test(usage_names_the_options),
        cmocka_unit_test(the_progress_line_shows_each_stage_live),
    };
    return cmocka_run_group_tests(tests, cli_setup, cli_teardown);
}
