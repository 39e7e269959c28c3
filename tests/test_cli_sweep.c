/* test_cli_sweep.c — `rill sweep SPEC` as a user runs it (the real binary
 * on real files): the example's table holds the true means within its
 * error bars, as CSV and aligned; grown trials stop at the requested
 * error; a plugin's job as the trial; --csv and --report; spec errors
 * (a bad range, an unknown parameter, a misspelt key) at their
 * file:line:column; trial output and spec checks; progress on a terminal,
 * ended at ^C; rows whose grown trials stopped at the most are marked.
 * Trial programs, trials: errors, other commands' specs:
 * test_cli_sweep_spec.c.
 * Checkpoints, resume and interrupts: test_cli_sweep_resume.c. */
#include <math.h>
#include <poll.h>

#include "cli_helpers.h"

#define EXAMPLE SOURCE_DIR "/examples/sweep/noisy.yaml"

/* Parses the CSV rows of out: a, b, trials, value mean/sd/se, twice
 * mean/sd/se (12 rows); returns the row count. With grown trials the
 * reached column after trials (true/false) goes into reached[row]
 * (reached NULL: fixed trials, no such column). */
static int rows_reached(const char *out, double v[][9], int *reached, int max)
{
    const char *p = strchr(out, '\n');
    int n = 0;
    assert_non_null(p);
    if (reached)
        assert_memory_equal(out, "a,b,trials,reached,value_mean,value_sd,value_se,twice_mean,"
                                 "twice_sd,twice_se\n", 77);
    else
        assert_memory_equal(out, "a,b,trials,value_mean,value_sd,value_se,twice_mean,twice_sd,"
                                 "twice_se\n", 69);
    for (p++; *p && n < max; n++) {
        int k;
        char *end;
        for (k = 0; k < 9; k++) {
            v[n][k] = strtod(p, &end);
            assert_true(end != p);
            p = end + 1;
            if (k == 2 && reached) {
                assert_true(strncmp(p, "true,", 5) == 0 || strncmp(p, "false,", 6) == 0);
                reached[n] = *p == 't';
                p = strchr(p, ',') + 1;
            }
        }
    }
    return n;
}

static int rows(const char *out, double v[][9], int max)
{
    return rows_reached(out, v, NULL, max);
}

/* Each row's value mean within its error bars of a*a + b; twice exact. */
static void true_means_within_error_bars(const char *out, int trials)
{
    double v[16][9];
    int n = rows(out, v, 16), i;
    assert_int_equal(n, 12);
    for (i = 0; i < n; i++) {
        double truth = v[i][0] * v[i][0] + v[i][1];
        if (trials)
            assert_int_equal((int)v[i][2], trials);
        assert_true(fabs(v[i][3] - truth) <= (v[i][2] >= 30 ? 4 : 6) * v[i][5]);
        assert_true(v[i][6] == 2 * v[i][0] && v[i][7] == 0 && v[i][8] == 0);
    }
    assert_true(v[0][0] == 0 && v[0][1] == 0.5 && v[11][0] == 3 && v[11][1] == 1.5);
}

static void the_example_holds_its_true_means_within_its_error_bars(void **state)
{
    cli_result r = cli_rill(NULL, "sweep", "-q", "--trials", "60", EXAMPLE, NULL);
    (void)state;
    assert_int_equal(r.status, 0);
    true_means_within_error_bars(r.out, 60);
    cli_result_free(&r);
}

static void the_table_is_aligned_and_the_csv_file_exact(void **state)
{
    cli_result r = cli_rill(NULL, "sweep", "-q", "--trials", "20", "-f", "table", "--csv",
                            "t.csv", EXAMPLE, NULL);
    char path[512], *csv, *line, *save;
    size_t width = 0;
    int lines = 0;
    (void)state;
    assert_int_equal(r.status, 0);
    assert_memory_equal(r.out, "a    b  trials  value_mean", 26);
    for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (width == 0)
            width = strlen(line);
        assert_int_equal(strlen(line), width);
        lines++;
    }
    assert_int_equal(lines, 13);
    csv = cli_slurp(cli_path(path, "t.csv"));
    true_means_within_error_bars(csv, 20);
    free(csv);
    cli_result_free(&r);
}

static void grown_trials_stop_at_the_requested_error(void **state)
{
    cli_result r = cli_rill(NULL, "sweep", "-q", "--rel-error", "0.1", "--min-trials", "8",
                            "--max-trials", "1000", EXAMPLE, NULL);
    double v[16][9];
    int n, i, grown = 0, reached[16];
    (void)state;
    assert_int_equal(r.status, 0);
    n = rows_reached(r.out, v, reached, 16);
    assert_int_equal(n, 12);
    for (i = 0; i < n; i++) {
        assert_true(reached[i]); /* none stopped at --max-trials */
        /* t(0.975) is at most 2.37 from 8 trials on */
        double t95 = v[i][2] >= 60 ? 2.0 : 2.37;
        assert_true(v[i][2] >= 8 && v[i][2] < 1000);
        assert_true(1.96 * v[i][5] <= 0.1 * fabs(v[i][3]));
        assert_true(t95 * v[i][5] <= 0.1 * fabs(v[i][3]) * 1.2);
        grown += v[i][2] > 8;
    }
    assert_true(grown >= 3); /* the small means (a = 0) needed more */
    cli_result_free(&r);
}

static void a_plugin_job_runs_the_trials(void **state)
{
    char spec[1024];
    cli_result r;
    (void)state;
    snprintf(spec, sizeof(spec),
             "parameters:\n  a: [0, 1, 2, 3]\n  b: {from: 0.5, to: 1.5, step: 0.5}\n"
             "outputs: [value, twice]\ntrial: {plugin: %s, function: noisy}\ntrials: 80\n",
             SWEEP_PLUGIN);
    cli_write("plugin.yaml", spec);
    r = cli_rill(NULL, "sweep", "-q", "plugin.yaml", NULL);
    assert_int_equal(r.status, 0);
    true_means_within_error_bars(r.out, 80);
    cli_result_free(&r);
}

static void the_report_plots_each_output_against_each_parameter(void **state)
{
    cli_result r = cli_rill(NULL, "sweep", "-q", "--trials", "10", "--report", "s.html",
                            EXAMPLE, NULL);
    char path[512], *html;
    (void)state;
    assert_int_equal(r.status, 0);
    html = cli_slurp(cli_path(path, "s.html"));
    assert_non_null(strstr(html, "<h1>rill sweep: "));
    assert_non_null(strstr(html, "id=\"chart-0-0\" data-output=\"value\" data-param=\"a\" "
                                 "data-points=\"12\""));
    assert_non_null(strstr(html, "id=\"chart-0-1\" data-output=\"value\" data-param=\"b\" "
                                 "data-points=\"12\""));
    assert_non_null(strstr(html, "id=\"chart-1-0\" data-output=\"twice\" data-param=\"a\""));
    assert_non_null(strstr(html, "class=\"bar\"")); /* error bars */
    assert_non_null(strstr(html, "<table id=\"table\">"));
    assert_null(strstr(html, "http")); /* no external asset */
    assert_null(strstr(html, "src="));
    free(html);
    cli_result_free(&r);
}

/* Trials 0, 1, 2 give 0, 1, 2: mean 1, se 1/sqrt(3); the 95% bar is
 * t(0.975, 2) = 4.303 times se (2.48), not 1.96 times (1.13). */
static void the_report_error_bars_are_student_t_intervals(void **state)
{
    char path[512], *html;
    cli_result r;
    (void)state;
    cli_write("t.yaml", "parameters:\n  a: [1, 2]\noutputs: [x]\n"
                        "trial: {command: [echo, '{trial}']}\ntrials: 3\n");
    r = cli_rill(NULL, "sweep", "-q", "--report", "t.html", "t.yaml", NULL);
    assert_int_equal(r.status, 0);
    html = cli_slurp(cli_path(path, "t.html"));
    assert_non_null(strstr(html, "<title>a=1: x = 1 &#177; 2.48 (3 trials)</title>"));
    free(html);
    cli_result_free(&r);
    /* one trial: no interval, no sd or se (not "nan") */
    r = cli_rill(NULL, "sweep", "-q", "--trials", "1", "--report", "t.html", "t.yaml", NULL);
    assert_int_equal(r.status, 0);
    html = cli_slurp(cli_path(path, "t.html"));
    assert_non_null(strstr(html, "<title>a=1: x = 0 &#177; 0 (1 trials)</title>"));
    assert_non_null(strstr(html, "<td>1</td><td>1</td><td>0</td><td>-</td><td>-</td>"));
    assert_null(strstr(html, "nan"));
    free(html);
    cli_result_free(&r);
}

/* 3 x 20 combinations: against a, 20 lines; 12 are drawn and the chart
 * says 8 were left out. Names with '-' give distinct chart ids. */
static void a_chart_draws_at_most_12_lines_and_says_so(void **state)
{
    char path[512], *html;
    cli_result r;
    (void)state;
    cli_write("many.yaml", "parameters:\n  a: [1, 2, 3]\n  b-c: {from: 1, to: 20}\n"
                           "outputs: [x, x-b]\ntrial: {command: [echo, '{a}', '{b-c}']}\n"
                           "trials: 2\n");
    r = cli_rill(NULL, "sweep", "-q", "--report", "many.html", "many.yaml", NULL);
    assert_int_equal(r.status, 0);
    html = cli_slurp(cli_path(path, "many.html"));
    assert_non_null(strstr(html, "id=\"chart-0-0\" data-output=\"x\" data-param=\"a\" "
                                 "data-points=\"36\""));
    assert_non_null(strstr(html, ">and 8 more lines, left out</text>"));
    assert_non_null(strstr(html, ">b-c=12</text>"));  /* the 12th line's legend */
    assert_null(strstr(html, ">b-c=13</text>"));
    assert_non_null(strstr(html, "id=\"chart-0-1\" data-output=\"x\" data-param=\"b-c\" "
                                 "data-points=\"60\""));
    assert_non_null(strstr(html, "id=\"chart-1-0\" data-output=\"x-b\""));
    assert_non_null(strstr(html, "id=\"chart-1-1\" data-output=\"x-b\""));
    /* x-b is b-c: its point at b-c = 7 has a bar of 0 (two equal trials) */
    assert_non_null(strstr(html, "<title>b-c=7: x-b = 7 &#177; 0 (2 trials)</title>"));
    free(html);
    cli_result_free(&r);
}

static void spec_errors_are_reported_where_they_are(void **state)
{
    cli_result r;
    (void)state;
    cli_write("bad.yaml", "parameters:\n  a: [1, 2]\n  b: {from: 0, to: 1, step: 0}\n"
                          "outputs: [x]\ntrial: {command: [echo, 1]}\n");
    r = cli_rill(NULL, "sweep", "bad.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bad.yaml:3:29: parameter 'b': step is 0"));
    cli_result_free(&r);
    cli_write("away.yaml", "parameters:\n  a: {from: 0, to: 1, step: -1}\n"
                           "outputs: [x]\ntrial: {command: [echo, 1]}\n");
    r = cli_rill(NULL, "sweep", "away.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "parameter 'a': step -1 goes away from to"));
    cli_result_free(&r);
    cli_write("unknown.yaml", "parameters:\n  a: [1, 2]\noutputs: [x]\n"
                              "trial: {command: [echo, '{a}', '{c}']}\n");
    r = cli_rill(NULL, "sweep", "unknown.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown.yaml:4:32: trial: command: unknown parameter 'c'"));
    assert_non_null(strstr(r.err, "(known: a, trial, seed, combination"));
    cli_result_free(&r);
    cli_write("typo.yaml", "parameters:\n  a: [1, x]\noutputs: [x]\ntrails: 5\n"
                           "trial: {command: [echo, 1]}\n");
    r = cli_rill(NULL, "sweep", "typo.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "typo.yaml:2:10: parameter 'a': expected a number, got 'x'"));
    assert_non_null(strstr(r.err, "typo.yaml:4:1: sweep: unknown key 'trails' (did you mean "
                                  "'trials'?)"));
    cli_result_free(&r);
}

static void a_failing_trial_names_its_combination_and_number(void **state)
{
    cli_result r;
    (void)state;
    cli_write("fail.yaml", "parameters:\n  a: [1, 2, 3]\noutputs: [x, y]\ntrial:\n"
                           "  command: [sh, -c, 'test {a} = 2 && test {trial} = 4 && "
                           "{{ echo diverged >&2; exit 3; }}; echo {a} 1']\ntrials: 6\n");
    r = cli_rill(NULL, "sweep", "-q", "fail.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "combination 1 (a=2), trial 4: command 'sh' exited with "
                                  "status 3: diverged"));
    cli_result_free(&r);
    cli_write("short.yaml", "parameters:\n  a: [1]\noutputs: [x, y]\n"
                            "trial: {command: [echo, '{a}']}\ntrials: 2\n");
    r = cli_rill(NULL, "sweep", "-q", "short.yaml", NULL);
    assert_int_equal(r.status, 1);
    /* trial 0 or 1, whichever fails first */
    assert_non_null(strstr(r.err, "combination 0 (a=1), trial "));
    assert_non_null(strstr(r.err, ": command 'echo' wrote 1 number, the sweep has 2 outputs"));
    cli_result_free(&r);
}

/* A trial's output is decimal numbers: 0x10, inf and nan are refused; more
 * than 1 MiB is an error naming the trial, not cut short; and the message
 * names the combination and the trial, not the bytes of a record. */
static void trial_output_is_decimal_and_at_most_a_mebibyte(void **state)
{
    static const char *const bad[] = {"0x10", "inf", "nan", "1e5x"};
    cli_result r;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char spec[256];
        snprintf(spec, sizeof(spec), "parameters:\n  a: [1]\noutputs: [x]\n"
                 "trial: {command: [echo, '%s']}\ntrials: 2\n", bad[i]);
        cli_write("hex.yaml", spec);
        r = cli_rill(NULL, "sweep", "-q", "-w", "1", "hex.yaml", NULL);
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "rill sweep: a user callback failed: combination 0 "
                                      "(a=1), trial 0: command 'echo' wrote text that is not "
                                      "numbers after"));
        assert_null(strstr(r.err, "record"));
        assert_null(strstr(r.err, "\\x"));
        cli_result_free(&r);
    }
    cli_write("ok.yaml", "parameters:\n  a: [1]\noutputs: [x, y, z]\n"
                         "trial: {command: [echo, '-1.5e2, +.25 3.']}\ntrials: 2\n");
    r = cli_rill(NULL, "sweep", "-q", "-f", "csv", "ok.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "1,2,-150,0,0,0.25,0,0,3,0,0\n"));
    cli_result_free(&r);
    cli_write("big.yaml", "parameters:\n  a: [1]\noutputs: [x]\ntrial:\n"
                          "  command: [sh, -c, 'yes 1 | head -c 1100000; echo 1']\n"
                          "trials: 2\n");
    r = cli_rill(NULL, "sweep", "-q", "-w", "1", "big.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "combination 0 (a=1), trial 0: command 'sh' wrote more than "
                                  "1048576 bytes on its standard output"));
    cli_result_free(&r);
}

/* A trial command inherits no descriptor of rill's: it sees as many open
 * files with checkpointing (and its interrupt pipe) as without. */
static void a_trial_command_inherits_no_descriptor(void **state)
{
    cli_result r0, r1;
    (void)state;
    cli_write("fd.yaml", "parameters:\n  a: [1, 2]\noutputs: [fds]\ntrial:\n  command: [sh, -c, "
                         "'n=0; for f in /proc/$$/fd/*; do n=$((n+1)); done; echo $n']\n"
                         "trials: 3\n");
    r0 = cli_rill(NULL, "sweep", "-q", "fd.yaml", NULL);
    r1 = cli_rill(NULL, "sweep", "-q", "--checkpoint", "fd.db", "fd.yaml", NULL);
    assert_int_equal(r0.status, 0);
    assert_int_equal(r1.status, 0);
    assert_string_equal(r1.out, r0.out);
    cli_result_free(&r0);
    cli_result_free(&r1);
}

/* A parameter named as a placeholder the trial gets (trial, seed,
 * combination) would shadow it: refused where it is written. */
static void a_parameter_named_trial_seed_or_combination_is_refused(void **state)
{
    cli_result r;
    (void)state;
    cli_write("seed.yaml", "parameters:\n  a: [1, 2]\n  seed: [1, 2]\noutputs: [x]\n"
                           "trial: {command: [echo, '{seed}']}\n");
    r = cli_rill(NULL, "sweep", "seed.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "seed.yaml:3:3: parameter 'seed': the name is the trial's "
                                  "{seed} in a command"));
    cli_result_free(&r);
    cli_write("trial.yaml", "parameters:\n  trial: [1]\n  combination: [1]\noutputs: [x]\n"
                            "trial: {command: [echo, 1]}\n");
    r = cli_rill(NULL, "check", "trial.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "trial.yaml:2:3: parameter 'trial'"));
    assert_non_null(strstr(r.err, "trial.yaml:3:3: parameter 'combination'"));
    cli_result_free(&r);
}

/* rill sweep with its standard error on a new pseudo-terminal; what the
 * terminal got (caller frees). interrupt: with a checkpoint, and one
 * SIGINT once the progress line shows 4 trials done. */
static char *sweep_on_a_terminal(const char *spec, int interrupt, int *status)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY), slave, st = 0, done = 0;
    char outp[512], *buf = malloc(1 << 16);
    size_t len = 0;
    pid_t pid;
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
        unsetenv("NO_COLOR");
        if (interrupt)
            execl(RILL_BIN, RILL_BIN, "sweep", "-w", "2", "--checkpoint", "ck.db", spec,
                  (char *)NULL);
        else
            execl(RILL_BIN, RILL_BIN, "sweep", "-w", "2", spec, (char *)NULL);
        _exit(126);
    }
    close(slave);
    while (!done) { /* read as it comes, so the child never blocks on it */
        struct pollfd p = {master, POLLIN, 0};
        ssize_t n;
        if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN) && len + 1 < (1 << 16) &&
            (n = read(master, buf + len, (1 << 16) - 1 - len)) > 0) {
            len += (size_t)n;
            buf[len] = '\0';
            if (interrupt == 1) {
                const char *q = buf, *at = NULL;
                while ((q = strstr(q, "combinations, ")) != NULL)
                    at = q++;
                if (at && atoi(at + 14) >= 4) {
                    kill(pid, SIGINT);
                    interrupt = 2;
                }
            }
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

static void progress_shows_combinations_and_trials_done_on_a_terminal(void **state)
{
    char spec[512], *buf, *p;
    int status, lines = 0, last = -1, grew = 1;
    (void)state;
    cli_write("slow.yaml", "parameters:\n  a: {from: 1, to: 6}\noutputs: [v]\ntrial:\n"
                           "  command: [sh, -c, 'sleep 0.02; echo {a}']\ntrials: 30\n");
    buf = sweep_on_a_terminal(cli_path(spec, "slow.yaml"), 0, &status);
    assert_int_equal(status, 0);
    for (p = strstr(buf, "rill sweep: "); p; p = strstr(p + 1, "rill sweep: ")) {
        int done, total, trials;
        if (sscanf(p, "rill sweep: %d/%d combinations, %d trials", &done, &total, &trials) != 3)
            continue;
        assert_int_equal(total, 6);
        grew &= trials >= last;
        last = trials;
        lines++;
    }
    assert_true(lines >= 3); /* redrawn as it went */
    assert_true(grew);       /* never going back */
    assert_non_null(strstr(buf, "rill sweep: 6/6 combinations, 180 trials"));
    assert_non_null(strstr(buf, "\033[K"));
    assert_non_null(strstr(buf, "rill sweep: 6 combinations in "));
    free(buf);
}

/* ^C ends the progress line: each message starts a line of its own. */
static void an_interrupt_on_a_terminal_starts_its_messages_on_a_line_of_their_own(void **state)
{
    char spec[512], *buf, *p, *last = NULL;
    int status;
    (void)state;
    cli_write("slow.yaml", "parameters:\n  a: {from: 1, to: 6}\noutputs: [v]\ntrial:\n"
                           "  command: [sh, -c, 'sleep 0.3; echo {a}']\ntrials: 10\n");
    buf = sweep_on_a_terminal(cli_path(spec, "slow.yaml"), 1, &status);
    assert_int_equal(status, 3);
    assert_non_null(strstr(buf, "interrupted: taking a checkpoint"));
    assert_non_null(strstr(buf, "rill sweep: interrupted with a checkpoint in ck.db"));
    for (p = strstr(buf, "rill sweep: "); p; p = strstr(p + 1, "rill sweep: "))
        if (strncmp(p, "rill sweep: interrupted", 23) == 0) /* at a line's start */
            assert_true(p == buf || p[-1] == '\n' ||
                        (p - buf >= 4 && !memcmp(p - 4, "\r\033[K", 4)));
        else
            last = p;
    /* no progress line after the interrupt's first message */
    assert_true(last == NULL || last < strstr(buf, "interrupted: taking"));
    free(buf);
}

static void rill_check_checks_a_sweep_spec(void **state)
{
    cli_result r = cli_rill(NULL, "check", EXAMPLE, NULL);
    (void)state;
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "noisy.yaml: ok (a sweep: 12 combinations, 2 outputs, a "
                                  "command trial)"));
    cli_result_free(&r);
    cli_write("bad.yaml", "parameters:\n  a: {from: 0, to: 1, step: 0}\noutputs: [x]\n"
                          "trial: {command: [echo, '{b}']}\n");
    r = cli_rill(NULL, "check", "bad.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bad.yaml:2:"));
    cli_result_free(&r);
}

/* Grown trials that stop at max trials before every mean is known are
 * marked: '*' and a line under the text table, reached false in CSV. */
static void rows_stopped_at_max_trials_are_marked(void **state)
{
    cli_result r = cli_rill(NULL, "sweep", "-q", "--rel-error", "0.01", "--min-trials", "4",
                            "--max-trials", "6", "-f", "table", "--csv", "t.csv", "--report",
                            "r.html", EXAMPLE, NULL);
    char path[512], *csv, *row;
    double v[16][9];
    int reached[16], i;
    (void)state;
    assert_int_equal(r.status, 0);
    /* the a = 0 rows (means about b, sd about 0.58) are far from 1% in 6 trials */
    assert_non_null(row = strstr(r.out, "\n0  0.5 "));
    row += strspn(row + 8, " ") + 8;
    assert_memory_equal(row, "6*  ", 4);
    assert_non_null(strstr(r.out, " combinations stopped at 6 trials before every mean was "
                                  "known to 1%\n"));
    csv = cli_slurp(cli_path(path, "t.csv"));
    assert_int_equal(rows_reached(csv, v, reached, 16), 12);
    for (i = 0; i < 12; i++) /* reached before 6 trials, or not reached at 6 */
        assert_true(reached[i] ? v[i][2] <= 6 : v[i][2] == 6);
    assert_false(reached[0]);
    free(csv);
    csv = cli_slurp(cli_path(path, "r.html")); /* the report states the target */
    assert_non_null(strstr(csv, "<dt>Target</dt><dd>every mean known to 1% at 95%</dd>"));
    assert_non_null(strstr(csv, " combinations stopped at 6 trials before every mean was known "
                                "to 1%</p>"));
    assert_non_null(strstr(csv, "<td>6*</td>"));
    free(csv);
    cli_result_free(&r);
    r = cli_rill(NULL, "sweep", "-q", "--trials", "3", "-f", "table", EXAMPLE, NULL);
    assert_int_equal(r.status, 0);
    assert_null(strchr(r.out, '*')); /* fixed trials: nothing to reach */
    cli_result_free(&r);
}

static void help_and_usage(void **state)
{
    cli_result r = cli_rill(NULL, "sweep", "--help", NULL);
    (void)state;
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: rill sweep"));
    cli_result_free(&r);
    r = cli_rill(NULL, "sweep", "--trials", "0", EXAMPLE, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--trials: expected a whole number of at least 1"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_example_holds_its_true_means_within_its_error_bars,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(the_table_is_aligned_and_the_csv_file_exact,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(grown_trials_stop_at_the_requested_error, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_plugin_job_runs_the_trials, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(the_report_plots_each_output_against_each_parameter,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(the_report_error_bars_are_student_t_intervals,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(trial_output_is_decimal_and_at_most_a_mebibyte,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_trial_command_inherits_no_descriptor, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_parameter_named_trial_seed_or_combination_is_refused,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_chart_draws_at_most_12_lines_and_says_so, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(spec_errors_are_reported_where_they_are, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_failing_trial_names_its_combination_and_number,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(progress_shows_combinations_and_trials_done_on_a_terminal,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(
            an_interrupt_on_a_terminal_starts_its_messages_on_a_line_of_their_own, cli_setup,
            cli_teardown),
        cmocka_unit_test_setup_teardown(rill_check_checks_a_sweep_spec, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(rows_stopped_at_max_trials_are_marked, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(help_and_usage, cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
