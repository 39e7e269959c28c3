/* test_cli_check.c — what `rill` says about specs and its command line:
 * `rill check` errors at file:line:column with did-you-mean, unknown input
 * names and cycles, malformed YAML; the exit codes of every command; the
 * DOT of `rill graph`; `rill explain`; SIGINT of a checkpointed run, and
 * its resume, which writes what an uninterrupted run writes; a SIGINT that
 * was ignored when rill started stays ignored. */
#include <signal.h>
#include <time.h>

#include "cli_helpers.h"

static void check_reports_every_error_with_its_position_and_a_suggestion(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    cli_write("bad.yaml", "sources:\n"
                          "  - {name: text, kind: lines, files: [x.txt]}\n"
                          "stagse: []\n"
                          "stages:\n"
                          "  - kind: wrods\n"
                          "  - kind: words\n"
                          "    lowr: true\n"
                          "    letters_only: maybe\n"
                          "  - {kind: count}\n"
                          "output: {format: tvs}\n");
    cli_path(spec, "bad.yaml");
    r = cli_rill(NULL, "check", spec, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
#define HAS(line) assert_non_null(strstr(r.err, line))
    {
        char expect[1024];
        snprintf(expect, sizeof(expect), "%s:3:1: unknown key 'stagse' (did you mean 'stages'?)\n",
                 spec);
        HAS(expect);
        snprintf(expect, sizeof(expect), "%s:5:11: stage 'wrods': unknown kind 'wrods' (did you "
                 "mean 'words'?)\n", spec);
        HAS(expect);
        snprintf(expect, sizeof(expect), "%s:7:11: stage 'words': unknown option 'lowr' for kind "
                 "'words' (did you mean 'lower'?)\n", spec);
        HAS(expect);
        snprintf(expect, sizeof(expect), "%s:8:19: stage 'words': option 'letters_only': expected "
                 "true or false, got 'maybe'\n", spec);
        HAS(expect);
        snprintf(expect, sizeof(expect), "%s:10:18: output: option 'format': unknown value 'tvs' "
                 "(did you mean 'tsv'?)", spec);
        HAS(expect);
    }
    cli_result_free(&r);
}

static void check_accepts_the_word_count_example(void **state)
{
    cli_result r;
    (void)state;
    r = cli_rill(NULL, "check", SOURCE_DIR "/examples/wordcount.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "wordcount.yaml: ok"));
    /* run from elsewhere, its relative input is not there: said, not refused */
    assert_true(r.err[0] == '\0' || (strncmp(r.err, "warning: ", 9) == 0 &&
                                     strstr(r.err, "matches no file") != NULL));
    cli_result_free(&r);
}

static void check_refuses_unknown_inputs_cycles_and_taken_names(void **state)
{
    char spec[512], expect[1024];
    cli_result r;
    (void)state;
    cli_write("wires.yaml", "sources: [in.txt]\n"
                            "stages:\n"
                            "  - {name: a, kind: words, input: lines}\n"
                            "  - {name: b, kind: words, input: [a, cc]}\n"
                            "  - {name: c, kind: words, input: d}\n"
                            "  - {name: d, kind: words, input: c}\n"
                            "  - {name: a, kind: words, input: lines}\n");
    r = cli_rill(NULL, "check", cli_path(spec, "wires.yaml"), NULL);
    assert_int_equal(r.status, 2);
    snprintf(expect, sizeof(expect), "%s:4:39: stage 'b': input 'cc' names no stage or source "
             "(did you mean 'c'?)", spec);
    assert_non_null(strstr(r.err, expect));
    snprintf(expect, sizeof(expect), "%s:7:5: the name 'a' is taken (line 3, column 5)", spec);
    assert_non_null(strstr(r.err, expect));
    cli_result_free(&r);
    /* without the other errors the cycle is found */
    cli_write("cycle.yaml", "sources: [in.txt]\n"
                            "stages:\n"
                            "  - {name: c, kind: words, input: d}\n"
                            "  - {name: d, kind: words, input: c}\n");
    r = cli_rill(NULL, "check", cli_path(spec, "cycle.yaml"), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "its inputs form a cycle"));
    assert_non_null(strstr(r.err, "closes a loop is named with loop_input:"));
    snprintf(expect, sizeof(expect), "%s:", spec);
    assert_non_null(strstr(r.err, expect));
    cli_result_free(&r);
}

/* A compile's or a sweep's spec given to run, graph or explain: said
 * which command runs it, not a list of keys a pipeline spec lacks. */
static void another_commands_spec_names_its_command(void **state)
{
    cli_result r;
    (void)state;
    cli_write("c.yaml", "inputs:\n  - catalog: docs\noutput: postings\ncompile:\n"
                        "  kind: postings\n");
    cli_write("s.yaml", "parameters:\n  x: [1, 2]\noutputs: [y]\ntrial:\n"
                        "  command: [echo, '{x}']\ntrials: 2\n");
    r = cli_rill(NULL, "run", "c.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "c.yaml: a spec of a compile (it has compile:, not sources: and "
                               "stages:): run it with 'rill compile c.yaml'\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "graph", "s.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "s.yaml: a spec of a parameter sweep (it has parameters: and "
                               "trial:, not sources: and stages:): run it with 'rill sweep "
                               "s.yaml'\n");
    cli_result_free(&r);
}

static void check_refuses_malformed_yaml_at_its_position(void **state)
{
    char spec[512], expect[600];
    cli_result r;
    (void)state;
    cli_write("broken.yaml", "sources: [a.txt\nstages:\n  - kind: words\n");
    r = cli_rill(NULL, "check", cli_path(spec, "broken.yaml"), NULL);
    assert_int_equal(r.status, 2);
    snprintf(expect, sizeof(expect), "%s:", spec);
    assert_ptr_equal(strstr(r.err, expect), r.err);
    assert_non_null(strstr(r.err, "malformed YAML"));
    cli_result_free(&r);
    cli_write("alias.yaml", "sources: &s [a.txt]\nstages: *s\n");
    r = cli_rill(NULL, "check", cli_path(spec, "alias.yaml"), NULL);
    assert_int_equal(r.status, 2);
    snprintf(expect, sizeof(expect), "%s:2:9: aliases (*s) are not supported", spec);
    assert_non_null(strstr(r.err, expect));
    cli_result_free(&r);
}

static void exit_codes_say_what_happened(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    r = cli_rill(NULL, "--help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: rill COMMAND"));
    cli_result_free(&r);
    r = cli_rill(NULL, "help", "run", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--checkpoint FILE"));
    cli_result_free(&r);
    r = cli_rill(NULL, "--version", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "rill 0.2.0"));
    cli_result_free(&r);
    r = cli_rill(NULL, NULL);
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
    r = cli_rill(NULL, "rnu", "x.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown command 'rnu' (did you mean 'run'?)"));
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "--workers", "none", SOURCE_DIR "/examples/wordcount.yaml", NULL);
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", cli_path(spec, "no-such.yaml"), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "cannot open the spec"));
    cli_result_free(&r);
    /* a spec that is fine reading a file that is not there: refused before
     * anything runs, naming the path and where it was written; check warns */
    cli_write("missing.yaml", "sources: [/nonexistent/rill-test/input.txt]\n"
                              "stages: [{kind: words}, {kind: count}]\n");
    r = cli_rill(NULL, "run", cli_path(spec, "missing.yaml"), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "missing.yaml:1:"));
    assert_non_null(strstr(r.err, "'/nonexistent/rill-test/input.txt' matches no file"));
    cli_result_free(&r);
    r = cli_rill(NULL, "check", cli_path(spec, "missing.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "warning: "));
    cli_result_free(&r);
    /* -q leaves out the summary, which is there otherwise */
    cli_write("one.txt", "x\n");
    cli_write("one.yaml", "sources: [one.txt]\nstages: [{kind: words}]\noutput: {format: lines}\n");
    r = cli_rill(NULL, "run", cli_path(spec, "one.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "x\n");
    assert_non_null(strstr(r.err, "rill: 1 records in, 1 out in "));
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "one.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

static int on_path(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static void graph_prints_dot_and_explain_the_plan(void **state)
{
    cli_result r;
    (void)state;
    r = cli_rill(NULL, "graph", SOURCE_DIR "/examples/wordcount.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_ptr_equal(strstr(r.out, "digraph rill {\n"), r.out);
    assert_non_null(strstr(r.out, "\"text\" -> \"words\";\n"));
    assert_non_null(strstr(r.out, "\"words\" -> \"count\";\n"));
    assert_non_null(strstr(r.out, "\"count.text\" -> \"(output)\";\n"));
    assert_non_null(strstr(r.out, "subgraph \"cluster_count\""));
    cli_result_free(&r);
    r = cli_rill(NULL, "graph", "--svg", SOURCE_DIR "/examples/wordcount.yaml", NULL);
    if (on_path("dot")) {
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "<svg"));
    } else {
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "needs Graphviz's `dot`, which is not installed"));
    }
    cli_result_free(&r);
    r = cli_rill(NULL, "explain", "-w", "3", SOURCE_DIR "/examples/wordcount.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "a chain (the inline API) of 4 stages on 3 workers"));
    assert_non_null(strstr(r.out, "input:       splittable, bounded"));
    assert_non_null(strstr(r.out, "runs as:     combine"));
    cli_result_free(&r);
}

static void sigint_of_a_checkpointed_run_takes_a_checkpoint_and_exits_3(void **state)
{
    char spec[512], db[512], outp[512], errp[512];
    struct stat st;
    pid_t pid;
    int status, i;
    char *err;
    (void)state;
    /* an endless source: only an interrupt ends this run */
    cli_write("endless.yaml", "sources:\n  - {name: n, kind: sequence, from: 0, per_second: 20000}\n"
                              "stages: [{kind: words}]\n");
    cli_path(spec, "endless.yaml");
    cli_path(db, "state.db");
    cli_path(outp, "endless.out");
    cli_path(errp, "endless.err");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0)
            _exit(125);
        dup2(out, 1), dup2(err, 2);
        execl(RILL_BIN, RILL_BIN, "run", "--checkpoint", db, "--checkpoint-interval", "1", spec,
              (char *)NULL);
        _exit(126);
    }
    /* interrupted once it is running: its output has begun (given at each
     * checkpoint, which covers it) */
    for (i = 0; i < 3000 && (stat(outp, &st) != 0 || st.st_size == 0); i++) {
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
    }
    assert_true(st.st_size > 0);
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    err = cli_slurp(errp);
    assert_non_null(strstr(err, "interrupted with a checkpoint"));
    assert_non_null(strstr(err, "--resume"));
    assert_int_equal(stat(db, &st), 0);
    free(err);
}

/* Started with SIGINT ignored (as a background job of a shell without job
 * control is), rill run keeps ignoring it, checkpointed or not: the run goes
 * on to its end (a followed file's max_records) and exits 0. */
static void a_sigint_ignored_at_start_stays_ignored(void **state)
{
    int mode;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: log, kind: follow, path: app.log, max_records: 3}\n"
                           "output: {format: lines}\n");
    for (mode = 0; mode < 2; mode++) {
        char db[512], outp[512], log[512];
        struct stat st;
        char *out;
        pid_t pid;
        int status, i;
        FILE *f;
        cli_write("app.log", "a\n");
        cli_path(db, mode ? "ignored.db" : "none");
        cli_path(outp, "ignored.out");
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (o < 0)
                _exit(125);
            dup2(o, 1);
            signal(SIGINT, SIG_IGN); /* inherited through exec */
            /* the followed file read live (--no-cache): what is asked here is
             * the signal, not a recording of the file (test_cli_cache*) */
            if (mode)
                execl(RILL_BIN, RILL_BIN, "run", "-q", "--no-cache", "--checkpoint", db,
                      "spec.yaml", (char *)NULL);
            else
                execl(RILL_BIN, RILL_BIN, "run", "-q", "--no-cache", "spec.yaml",
                      (char *)NULL);
            _exit(126);
        }
        /* running: its output began (no checkpoint) or its state file is
         * there (checkpointed: made when the run starts, after the handlers) */
        for (i = 0; i < 3000; i++) {
            struct timespec t = {0, 10000000};
            if (mode ? stat(db, &st) == 0 : stat(outp, &st) == 0 && st.st_size > 0)
                break;
            nanosleep(&t, NULL);
        }
        assert_true(i < 3000);
        assert_int_equal(kill(pid, SIGINT), 0);
        {
            struct timespec t = {0, 300000000}; /* time to act on it, were it caught */
            nanosleep(&t, NULL);
        }
        assert_non_null(f = fopen(cli_path(log, "app.log"), "a"));
        fputs("b\nc\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0); /* not 3, nor killed by the signal */
        out = cli_slurp(outp);
        assert_string_equal(out, "a\nb\nc\n");
        free(out);
    }
}

/* Writes n lines of words (a fixed pseudo-random sequence) into path. */
static void write_lines(const char *path, int n)
{
    static const char *const words[] = {"alpha", "beta", "gamma", "delta", "rill", "stream"};
    FILE *f = fopen(path, "wb");
    unsigned seed = 1;
    int i, j;
    assert_non_null(f);
    for (i = 0; i < n; i++) {
        for (j = 0; j < 6; j++) {
            seed = seed * 1103515245u + 12345u;
            fprintf(f, "%s%u ", words[(seed >> 16) % 6], (seed >> 8) % 100);
        }
        fputc('\n', f);
    }
    fclose(f);
}

static void an_interrupted_run_resumed_writes_what_one_run_writes(void **state)
{
    char spec[512], db[512], dir[512], text[512], cmd[1600];
    char *got, *want;
    struct stat st;
    pid_t pid;
    int status, i;
    cli_result r;
    (void)state;
    write_lines(cli_path(text, "many.txt"), 200000);
    cli_write("resume.yaml", "sources:\n  - {name: text, kind: lines, files: [many.txt], "
                             "chunk_bytes: 65536}\n"
                             "stages: [{kind: words}]\noutput: {format: lines, run_id: r}\n");
    cli_path(spec, "resume.yaml");
    cli_path(db, "resume.db");
    cli_path(dir, "out");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null < 0)
            _exit(125);
        dup2(null, 2);
        execl(RILL_BIN, RILL_BIN, "run", "-w", "1", "--checkpoint", db, "--checkpoint-interval",
              "0", "-o", dir, spec, (char *)NULL);
        _exit(126);
    }
    for (i = 0; i < 3000 && stat(db, &st) != 0; i++) { /* interrupted once it runs */
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
    }
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    /* 3 with a checkpoint; 0 when the run ended before one could be taken */
    assert_true(WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 0);
    print_message("the run %s\n", WEXITSTATUS(status) == 3 ? "was interrupted with a checkpoint"
                                                           : "ended before its checkpoint");
    if (WEXITSTATUS(status) == 3) {
        r = cli_rill(NULL, "run", "-q", "-w", "1", "--checkpoint", db, "--resume", "-o", dir,
                     spec, NULL);
        assert_int_equal(r.status, 0);
        cli_result_free(&r);
    }
    snprintf(cmd, sizeof(cmd), "cat '%s'/r-*.txt | LC_ALL=C sort | md5sum", dir);
    got = cli_shell(cmd);
    snprintf(cmd, sizeof(cmd),
             "LC_ALL=C tr -s ' \\n' '\\n' < '%s' | grep -v '^$' | LC_ALL=C sort | md5sum", text);
    want = cli_shell(cmd);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

/* Interrupted while it writes to standard output, then resumed: the two
 * outputs together are one run's, no line lost or written twice (what a
 * checkpoint covered is written out before the interrupted run exits). */
static void an_interrupted_run_to_standard_output_and_its_resume_write_each_line_once(void **state)
{
    char spec[512], db[512], first[512], cmd[1600];
    char *got;
    pid_t pid;
    int status;
    cli_result r;
    (void)state;
    cli_write("paced.yaml", "sources:\n  - {name: n, kind: sequence, to: 3000, per_second: 2000}\n"
                            "stages: [{kind: grep, pattern: \"00$\"}]\n"
                            "output: {format: lines}\n");
    cli_path(spec, "paced.yaml");
    cli_path(db, "paced.db");
    cli_path(first, "first.out");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(first, O_WRONLY | O_CREAT | O_TRUNC, 0644), null = open("/dev/null", O_WRONLY);
        if (out < 0 || null < 0)
            _exit(125);
        dup2(out, 1), dup2(null, 2);
        execl(RILL_BIN, RILL_BIN, "run", "-w", "2", "--checkpoint", db, "--checkpoint-interval",
              "0", spec, (char *)NULL);
        _exit(126);
    }
    {
        struct timespec t = {0, 700000000}; /* about half way */
        nanosleep(&t, NULL);
    }
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    r = cli_rill(NULL, "run", "-q", "-w", "2", "--checkpoint", db, "--resume", spec, NULL);
    assert_int_equal(r.status, 0);
    {
        char second[512];
        FILE *f = fopen(cli_path(second, "second.out"), "w");
        assert_non_null(f);
        fputs(r.out, f);
        fclose(f);
        snprintf(cmd, sizeof(cmd), "cat '%s' '%s' | LC_ALL=C sort -n | tr '\\n' ' '", first,
                 second);
    }
    cli_result_free(&r);
    got = cli_shell(cmd);
    assert_string_equal(got, "100 200 300 400 500 600 700 800 900 1000 1100 1200 1300 1400 "
                             "1500 1600 1700 1800 1900 2000 2100 2200 2300 2400 2500 2600 "
                             "2700 2800 2900 ");
    free(got);
    got = cli_slurp(first);
    assert_true(strlen(got) > 0); /* the first run wrote its part before it exited */
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            an_interrupted_run_to_standard_output_and_its_resume_write_each_line_once, cli_setup,
            cli_teardown),
        cmocka_unit_test_setup_teardown(check_reports_every_error_with_its_position_and_a_suggestion,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(check_accepts_the_word_count_example, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(check_refuses_unknown_inputs_cycles_and_taken_names,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(another_commands_spec_names_its_command, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(check_refuses_malformed_yaml_at_its_position, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(exit_codes_say_what_happened, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(graph_prints_dot_and_explain_the_plan, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(
            sigint_of_a_checkpointed_run_takes_a_checkpoint_and_exits_3, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(an_interrupted_run_resumed_writes_what_one_run_writes,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_sigint_ignored_at_start_stays_ignored, cli_setup,
                                        cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
