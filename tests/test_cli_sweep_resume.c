/* test_cli_sweep_resume.c — `rill sweep` checkpoints, resume and
 * interrupts as a user meets them (the real binary on real files): a
 * sweep killed with SIGKILL and resumed from its checkpoint gives the
 * table of an uninterrupted one, having run again only what the
 * checkpoint had not recorded; SIGINT takes a checkpoint that holds every
 * trial ended before it; a second SIGINT leaves no trial command running;
 * resuming a finished sweep says how to get its table; the unfinished
 * checkpoint of the same sweep is not started over without --resume, nor
 * another sweep's resumed or overwritten. */
#include "cli_helpers.h"

/* Lines of a file (0 when it does not exist). */
static int count_lines(const char *name)
{
    char path[512], *text, *p;
    int n = 0;
    if (access(cli_path(path, name), F_OK) != 0)
        return 0;
    text = cli_slurp(path);
    for (p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* Trials that log "combination trial" into log as they start, and into
 * log.end as they end, and sleep; seeded numbers out. */
static void slow_spec(const char *name, const char *log)
{
    char spec[1024];
    snprintf(spec, sizeof(spec),
             "parameters:\n  a: {from: 1, to: 6}\noutputs: [v]\ntrial:\n"
             "  command: [sh, -c, 'echo {combination} {trial} >> %s; sleep 0.02; "
             "awk -v s={seed} \"BEGIN {{ srand(s %% 2147483647); print {a} + rand() }}\"; "
             "echo {combination} {trial} >> %s.end']\n"
             "trials: 30\nseed: 3\n", log, log);
    cli_write(name, spec);
}

/* Adds 1 to n[c][t] for each line "c t" of a log (0..5, 0..29). */
static void tally(const char *name, int n[6][30])
{
    char path[512], *log, *p;
    if (access(cli_path(path, name), F_OK) != 0)
        return;
    log = cli_slurp(path);
    for (p = log; *p;) {
        int c = (int)strtol(p, &p, 10), t = (int)strtol(p, &p, 10);
        assert_true(c >= 0 && c < 6 && t >= 0 && t < 30);
        n[c][t]++;
        while (*p == '\n')
            p++;
    }
    free(log);
}

static void a_sweep_killed_and_resumed_loses_no_trial_and_repeats_none_recorded(void **state)
{
    const char *args[] = {"sweep", "-q", "-w", "2", "--checkpoint", "ck.db",
                          "--checkpoint-interval", "0.1", "slow.yaml", NULL};
    cli_result ref, r;
    char path[512], *log, *p;
    int before, after, i, seen[6][30], missing = 0, twice = 0;
    pid_t pid;
    (void)state;
    slow_spec("ref.yaml", "ref.log");
    ref = cli_rill(NULL, "sweep", "-q", "ref.yaml", NULL);
    assert_int_equal(ref.status, 0);
    assert_int_equal(count_lines("ref.log"), 180);

    slow_spec("slow.yaml", "run.log");
    pid = cli_spawn(-1, args);
    for (i = 0; i < 600 && count_lines("run.log") < 80; i++)
        usleep(10000);
    assert_true(count_lines("run.log") >= 80);
    assert_int_equal(kill(pid, SIGKILL), 0);
    r = cli_wait(pid, "killed");
    assert_int_equal(r.status, 128 + SIGKILL);
    cli_result_free(&r);
    usleep(100000); /* the trials it had started end */
    before = count_lines("run.log");
    assert_true(before < 180);

    /* the same grid with another command is another sweep: not resumed */
    cli_write("other.yaml", "parameters:\n  a: {from: 1, to: 6}\noutputs: [v]\n"
                            "trial: {command: [echo, '{a}']}\ntrials: 30\nseed: 3\n");
    r = cli_rill(NULL, "sweep", "-q", "--checkpoint", "ck.db", "--resume", "other.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "rill sweep: ck.db holds a checkpoint of another sweep (other "
                                  "parameters, outputs, trials or trial command): remove it or "
                                  "give another --checkpoint file"));
    cli_result_free(&r);
    r = cli_rill(NULL, "sweep", "-q", "--checkpoint", "ck.db", "other.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "holds a checkpoint of another sweep"));
    cli_result_free(&r);
    /* the same sweep without --resume does not start over: it says how to go on */
    r = cli_rill(NULL, "sweep", "-q", "--checkpoint", "ck.db", "slow.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "rill sweep: ck.db holds an unfinished run of this sweep ("));
    assert_non_null(strstr(r.err, " of 6 combinations done): add --resume to finish it, or "
                                  "remove ck.db to start over\n"));
    cli_result_free(&r);
    assert_int_equal(count_lines("run.log"), before); /* no trial ran */

    r = cli_rill(NULL, "sweep", "-q", "--checkpoint", "ck.db", "--resume", "slow.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, ref.out); /* the same table, to the last digit */
    after = count_lines("run.log") - before;
    /* resumed, not started over: what the checkpoints recorded did not run again */
    assert_true(after < 180);
    memset(seen, 0, sizeof(seen));
    log = cli_slurp(cli_path(path, "run.log"));
    for (p = log; *p;) {
        int c = (int)strtol(p, &p, 10), t = (int)strtol(p, &p, 10);
        assert_true(c >= 0 && c < 6 && t >= 0 && t < 30);
        seen[c][t]++;
        while (*p == '\n')
            p++;
    }
    for (i = 0; i < 180; i++) {
        missing += seen[i / 30][i % 30] == 0;
        twice += seen[i / 30][i % 30] > 1;
    }
    assert_int_equal(missing, 0);
    /* only trials run after the last checkpoint ran twice: fewer than ran before */
    assert_true(twice < before);
    print_message("killed after %d trials; the resumed sweep ran %d, %d of them again\n",
                  before, after, twice);
    free(log);
    cli_result_free(&r);
    cli_result_free(&ref);
}

static void an_interrupt_takes_a_checkpoint_and_the_resumed_sweep_finishes_it(void **state)
{
    /* no timed checkpoint (one begun before the interrupt could be the one
     * it exits on): the interrupt's is the first */
    const char *args[] = {"sweep", "-q", "--checkpoint", "int.db", "--checkpoint-interval",
                          "1000", "slow.yaml", NULL};
    cli_result ref, r;
    pid_t pid;
    int i, ended[6][30], seen[6][30], done_before = 0;
    (void)state;
    slow_spec("ref.yaml", "ref.log");
    ref = cli_rill(NULL, "sweep", "-q", "ref.yaml", NULL);
    assert_int_equal(ref.status, 0);
    slow_spec("slow.yaml", "run.log");
    pid = cli_spawn(-1, args);
    for (i = 0; i < 600 && count_lines("run.log") < 40; i++)
        usleep(10000);
    memset(ended, 0, sizeof(ended));
    tally("run.log.end", ended); /* these ended before the interrupt: in its checkpoint */
    assert_int_equal(kill(pid, SIGINT), 0);
    r = cli_wait(pid, "interrupted");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "rill sweep: interrupted with a checkpoint in int.db: run "
                                  "again with --resume"));
    cli_result_free(&r);
    r = cli_rill(NULL, "sweep", "-q", "--checkpoint", "int.db", "--resume", "slow.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, ref.out);
    /* the checkpoint was taken at the interrupt: only the trials the two
     * workers started between it and the exit ran twice (a few; the 40 or
     * more before the interrupt, all of them without it: there is no timed
     * checkpoint) */
    print_message("interrupted: %d trials ran, for 180\n", count_lines("run.log"));
    assert_true(count_lines("run.log") <= 180 + 20);
    /* no trial that had ended when the interrupt came ran again, and none
     * was lost */
    memset(seen, 0, sizeof(seen));
    tally("run.log", seen);
    for (i = 0; i < 180; i++) {
        assert_true(seen[i / 30][i % 30] >= 1);
        if (ended[i / 30][i % 30]) {
            assert_int_equal(seen[i / 30][i % 30], 1);
            done_before++;
        }
    }
    assert_true(done_before > 0);
    cli_result_free(&r);
    cli_result_free(&ref);
}

/* A finished sweep's checkpoint keeps no table: --resume says so and how
 * to get it (run again without --resume: the same table). */
static void resuming_a_finished_sweep_says_how_to_get_its_table(void **state)
{
    cli_result r0, r;
    (void)state;
    cli_write("done.yaml", "parameters:\n  a: [1, 2]\noutputs: [x]\n"
                           "trial: {command: [echo, '{seed}']}\ntrials: 3\n");
    r0 = cli_rill(NULL, "sweep", "-q", "--checkpoint", "done.db", "done.yaml", NULL);
    assert_int_equal(r0.status, 0);
    r = cli_rill(NULL, "sweep", "-q", "--checkpoint", "done.db", "--resume", "done.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "rill sweep: the sweep in done.db finished; a checkpoint "
                                  "keeps no table: to print it, run the sweep again without "
                                  "--resume"));
    cli_result_free(&r);
    r = cli_rill(NULL, "sweep", "-q", "--checkpoint", "done.db", "done.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, r0.out);
    cli_result_free(&r);
    cli_result_free(&r0);
}

/* Whether process pid is gone (or a zombie no one has reaped yet). */
static int gone(pid_t pid)
{
    char path[64], *stat, *p;
    int dead;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (access(path, F_OK) != 0)
        return 1;
    stat = cli_slurp(path);
    p = strrchr(stat, ')');
    dead = p == NULL || p[2] == 'Z' || p[2] == 'X';
    free(stat);
    return dead;
}

/* Trials that write their pid and sleep long: a first SIGINT waits for
 * them (in groups of their own, ^C does not reach them), a second exits
 * 130 and stops them: no trial command is left running. */
static void a_second_interrupt_leaves_no_trial_running(void **state)
{
    const char *args[] = {"sweep", "-q", "-w", "2", "--checkpoint", "orphan.db", "sleepy.yaml",
                          NULL};
    char path[512], *pids, *p;
    cli_result r;
    pid_t pid;
    int i, n = 0;
    (void)state;
    cli_write("sleepy.yaml", "parameters:\n  a: [1, 2]\noutputs: [x]\ntrial:\n"
                             "  command: [sh, -c, 'echo $$ >> pids; exec sleep 30']\n"
                             "trials: 2\n");
    pid = cli_spawn(-1, args);
    for (i = 0; i < 1000 && count_lines("pids") < 2; i++)
        usleep(10000);
    assert_int_equal(count_lines("pids"), 2);
    /* interrupts until it exits: the first takes a checkpoint once the
     * trials finish (in 30 s), the second stops at once; a second sent
     * before the first was handled would merge into it, so send on */
    for (i = 0; i < 100; i++) {
        siginfo_t info;
        kill(pid, SIGINT);
        memset(&info, 0, sizeof(info));
        usleep(200000);
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == pid)
            break;
    }
    r = cli_wait(pid, "interrupted twice");
    if (r.status != 130)
        print_message("%s", r.err);
    assert_int_equal(r.status, 130);
    pids = cli_slurp(cli_path(path, "pids"));
    for (p = pids; *p;) {
        pid_t trial = (pid_t)strtol(p, &p, 10);
        for (i = 0; i < 500 && !gone(trial); i++) /* SIGTERM is on its way */
            usleep(10000);
        assert_true(gone(trial));
        n++;
        while (*p == '\n')
            p++;
    }
    assert_int_equal(n, 2);
    assert_non_null(strstr(r.err, "once the trials running finish"));
    free(pids);
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_sweep_killed_and_resumed_loses_no_trial_and_repeats_none_recorded,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(an_interrupt_takes_a_checkpoint_and_the_resumed_sweep_finishes_it,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(resuming_a_finished_sweep_says_how_to_get_its_table,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_second_interrupt_leaves_no_trial_running,
                                        cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
