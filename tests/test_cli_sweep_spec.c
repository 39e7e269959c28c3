/* test_cli_sweep_spec.c — how `rill sweep` and `rill check` read a sweep
 * spec as a user meets it (the real binary on real files): a trial
 * program with a '/' is found from the spec's folder and a missing one is
 * a spec error at its place; every error of trials: is reported; a
 * pipeline's or compile's spec names the command that runs it. Spec
 * errors of the grid and {NAME}s: test_cli_sweep.c. */
#include "cli_helpers.h"

/* A command's program with a '/' is found from the spec's folder (as
 * plugins are), a bare one in PATH; one missing or not executable is a
 * spec error at its place, from rill check too. */
static void a_trial_program_is_found_from_the_specs_folder_and_checked(void **state)
{
    char path[512];
    cli_result r;
    (void)state;
    assert_int_equal(mkdir(cli_path(path, "sub"), 0755), 0);
    cli_write("sub/trial.sh", "#!/bin/sh\necho $1\n");
    assert_int_equal(chmod(cli_path(path, "sub/trial.sh"), 0755), 0);
    cli_write("sub/s.yaml", "parameters:\n  a: [1, 2]\noutputs: [v]\ntrial:\n"
                            "  command: [./trial.sh, '{a}']\ntrials: 2\n");
    r = cli_rill(NULL, "sweep", "-q", "sub/s.yaml", NULL); /* run from the folder above */
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "a,trials,v_mean,v_sd,v_se\n1,2,1,0,0\n2,2,2,0,0\n");
    cli_result_free(&r);
    assert_int_equal(chmod(cli_path(path, "sub/trial.sh"), 0644), 0);
    r = cli_rill(NULL, "check", "sub/s.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "sub/s.yaml:5:13: trial: command: cannot run './trial.sh' "
                                  "(from the spec's folder: sub/./trial.sh): not an "
                                  "executable file"));
    cli_result_free(&r);
    cli_write("bare.yaml", "parameters:\n  a: [1, 2]\noutputs: [v]\ntrial:\n"
                           "  command: [nonexistent-prog-of-rill, '{a}']\ntrials: 2\n");
    r = cli_rill(NULL, "check", "bare.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bare.yaml:5:13: trial: command: program "
                                  "'nonexistent-prog-of-rill' is not found in PATH"));
    cli_result_free(&r);
    r = cli_rill(NULL, "sweep", "bare.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    cli_result_free(&r);
}

/* {min: 1, max: 0} and rel_error 0: each error at its place, not the first. */
static void every_error_of_trials_is_reported(void **state)
{
    cli_result r;
    (void)state;
    cli_write("t.yaml", "parameters:\n  a: [1]\noutputs: [v]\ntrial: {command: [echo, '{a}']}\n"
                        "trials: {rel_error: 0, min: 1, max: 0, mni: 3}\n");
    r = cli_rill(NULL, "check", "t.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "t.yaml:5:21: trials: rel_error: expected a positive number"));
    assert_non_null(strstr(r.err, "t.yaml:5:29: trials: min: expected a whole number of at "
                                  "least 2, got '1'"));
    assert_non_null(strstr(r.err, "t.yaml:5:37: trials: max: expected a whole number of at "
                                  "least 2, got '0'"));
    assert_non_null(strstr(r.err, "trials: unknown key 'mni'"));
    cli_result_free(&r);
}

/* A pipeline's or a compile's spec given to rill sweep: the command to run
 * it, not a misspelt key. */
static void another_commands_spec_names_that_command(void **state)
{
    cli_result r;
    (void)state;
    cli_write("wc.yaml", "sources:\n  - {name: in, path: in.txt}\nstages:\n  - {name: w, "
                         "kind: words}\noutput: {format: tsv}\n");
    r = cli_rill(NULL, "sweep", "wc.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "wc.yaml: a pipeline spec (sources: and stages:): run it with "
                               "'rill run wc.yaml'\n");
    cli_result_free(&r);
    cli_write("c.yaml", "compile:\n  source: x\n");
    r = cli_rill(NULL, "sweep", "c.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "c.yaml: a compile spec (compile:): run it with 'rill compile "
                               "c.yaml'\n");
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            a_trial_program_is_found_from_the_specs_folder_and_checked, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(every_error_of_trials_is_reported, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(another_commands_spec_names_that_command, cli_setup,
                                        cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
