/* test_state_file.c — which state file a checkpointed run uses, and that
 * it uses it alone: without a path each pipeline has a file of its own
 * (.rill/<fingerprint>.db); a run never writes over another pipeline's
 * checkpoint of a run that did not finish, nor over a damaged one, unless
 * replace is set; and a state file in use by a run (in another process, or
 * this one) is refused with RILL_EBUSY naming the process, with nothing
 * changed. Checkpoints and resume themselves are test_checkpoint.c. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inline_helpers.h"

#include "state_helpers.h"

#include "ckpt_job.h"

/* The summing pipeline checkpointed at path (NULL: the default), its job
 * named job (another name: another pipeline). */
static rill_pipeline *summing_at(ctl *c, int resume, const char *path, const char *job,
                                 int replace)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_reduce_options r = sum_reducer();
    rill_pipeline *p;
    co.path = path;
    co.resume = resume;
    co.replace = replace;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 5000)), 0);
    assert_int_equal(rill_on_init(p, on_init, c), 0);
    assert_int_equal(rill_job(p, job, &so, doubled, c), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_result(p, on_result, c), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    c->p = p;
    return p;
}

/* ---- a file per pipeline; another's checkpoint is replaced only when asked ---- */

/* A run of the summing pipeline (its job named job) at path that asks for
 * a checkpoint and fails after it; returns what rill_run returned. */
static int fail_after_checkpoint_at(const char *path, const char *job, int resume, int replace)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    ctl c;
    int rc;
    memset(&c, 0, sizeof(c));
    o.batch_records = 10;
    c.ask_at = 1000;
    c.fail_at = 3000;
    c.armed = 1;
    p = summing_at(&c, resume, path, job, replace);
    rc = rill_run(p, &o, NULL);
    rill_pipeline_free(p);
    return rc;
}

/* Resumes the summing pipeline at path: it must not start over. */
static void resume_at(const char *path, const char *job)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    ctl c;
    memset(&c, 0, sizeof(c));
    o.batch_records = 10;
    p = summing_at(&c, 1, path, job, 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(atomic_load(&c.inits), 0); /* resumed, not started over */
    assert_int_equal(c.result_sum, 4999 * 5000);
    rill_pipeline_free(p);
}

static void another_pipelines_unfinished_checkpoint_is_replaced_only_when_asked(void **s)
{
    uint64_t before;
    (void)s;
    fresh_state();
    assert_int_equal(fail_after_checkpoint_at(state, "double", 0, 0), RILL_EUSER);
    /* another pipeline, not resuming: refused, the file as it was */
    before = file_hash(state);
    assert_int_equal(fail_after_checkpoint_at(state, "triple", 0, 0), RILL_EEXISTS);
    assert_non_null(strstr(rill_error_last(), state));
    assert_non_null(strstr(rill_error_last(), "another pipeline's run that did not finish"));
    assert_non_null(strstr(rill_error_last(), "set replace"));
    assert_true(file_hash(state) == before);
    /* the killed run is still there to resume */
    resume_at(state, "double");
    /* its run finished: another pipeline may start there */
    assert_int_equal(fail_after_checkpoint_at(state, "triple", 0, 0), RILL_EUSER);
    /* and with replace, one may start over another's unfinished checkpoint */
    assert_int_equal(fail_after_checkpoint_at(state, "double", 0, 0), RILL_EEXISTS);
    assert_int_equal(fail_after_checkpoint_at(state, "double", 0, 1), RILL_EUSER);
    resume_at(state, "double");
    /* the same pipeline without resume starts over in its own file, as before */
    assert_int_equal(fail_after_checkpoint_at(state, "double", 0, 0), RILL_EUSER);
    assert_int_equal(fail_after_checkpoint_at(state, "double", 0, 0), RILL_EUSER);
    resume_at(state, "double");
}

static void a_damaged_checkpoint_is_started_over_only_when_asked(void **s)
{
    (void)s;
    fresh_state();
    assert_int_equal(fail_after_checkpoint_at(state, "double", 0, 0), RILL_EUSER);
    sql("UPDATE rill_ckpt_run SET src_next = src_next + 1");
    assert_int_equal(fail_after_checkpoint_at(state, "double", 0, 0), RILL_ECORRUPT);
    assert_int_equal(fail_after_checkpoint_at(state, "double", 1, 1), RILL_EUSER);
    resume_at(state, "double");
}

/* Version 1 of the options (before replace) is still taken, as replace 0. */
static void options_of_version_1_are_taken_without_replace(void **s)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p;
    (void)s;
    co.version = 1;
    co.replace = 1; /* not read */
    co.path = state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    co.version = RILL_CHECKPOINT_OPTIONS_VERSION + 1;
    assert_int_equal(rill_checkpointing(p, &co), RILL_EINVAL);
    rill_pipeline_free(p);
}

/* Names of the .db files in folder, counted. */
static int count_db_files(const char *folder)
{
    DIR *d = opendir(folder);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len > 3 && strcmp(e->d_name + len - 3, ".db") == 0;
    }
    closedir(d);
    return n;
}

static void two_pipelines_run_from_one_folder_keep_their_checkpoints_apart(void **s)
{
    char cwd[1024], folder[400];
    (void)s;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    /* both killed after a checkpoint, each with the default path */
    assert_int_equal(fail_after_checkpoint_at(NULL, "double", 0, 0), RILL_EUSER);
    assert_int_equal(fail_after_checkpoint_at(NULL, "triple", 0, 0), RILL_EUSER);
    snprintf(folder, sizeof(folder), "%s/.rill", dir);
    assert_int_equal(count_db_files(folder), 2);
    /* each resumes its own */
    resume_at(NULL, "double");
    resume_at(NULL, "triple");
    assert_int_equal(chdir(cwd), 0);
}

/* ---- one run at a time on a state file ---- */

static int ready_fd = -1, go_fd = -1;

/* Tells the parent the run is under way, then waits for its word. */
static int blocking(rill_emitter *out, const rill_record *in, void *payload)
{
    char b = 'r';
    (void)payload;
    if (i64(in) == 0 && ready_fd >= 0) {
        if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 1)
            return -1;
    }
    return rill_emit_int64(out, 2 * i64(in));
}

static rill_pipeline *blocking_pipeline(int resume)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_reduce_options r = sum_reducer();
    rill_pipeline *p;
    co.path = state;
    co.resume = resume;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2000)), 0);
    assert_int_equal(rill_job(p, "block", NULL, blocking, NULL), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    return p;
}

static void a_state_file_in_use_by_another_process_is_refused_with_its_pid(void **s)
{
    rill_run_options o = with_workers(1);
    int ready[2], go[2], status, resume;
    rill_pipeline *p;
    char want[64], b = 0;
    pid_t pid;
    (void)s;
    fresh_state();
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    if ((pid = fork()) == 0) { /* the child: a run that waits for the word */
        int rc;
        close(ready[0]);
        close(go[1]);
        ready_fd = ready[1];
        go_fd = go[0];
        p = blocking_pipeline(0);
        rc = rill_run(p, &o, NULL);
        rill_pipeline_free(p);
        _exit(rc == 0 ? 0 : 10 - rc);
    }
    assert_true(pid > 0);
    close(ready[1]);
    close(go[0]);
    assert_int_equal(read(ready[0], &b, 1), 1); /* the child's run is under way */
    snprintf(want, sizeof(want), "in use by process %ld", (long)pid);
    for (resume = 0; resume <= 1; resume++) {
        uint64_t before = file_hash(state);
        p = blocking_pipeline(resume);
        assert_int_equal(rill_run(p, &o, NULL), RILL_EBUSY);
        if (strstr(rill_error_last(), want) == NULL || strstr(rill_error_last(), state) == NULL)
            fail_msg("expected \"%s\" and the path in \"%s\"", want, rill_error_last());
        assert_true(file_hash(state) == before);
        rill_pipeline_free(p);
    }
    assert_int_equal(write(go[1], &b, 1), 1); /* the child's run goes on */
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(ready[0]);
    close(go[1]);
    /* the child's run ended: the file is free, and its run had finished */
    p = blocking_pipeline(1);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EFINISHED);
    rill_pipeline_free(p);
}

/* In one process, too: a second run on the same state file while one runs. */
static int nested(rill_emitter *out, const rill_record *in, void *payload)
{
    int *rc = payload;
    if (i64(in) == 0) {
        rill_run_options o = with_workers(1);
        rill_pipeline *p = blocking_pipeline(1);
        *rc = rill_run(p, &o, NULL);
        rill_pipeline_free(p);
    }
    return rill_emit_int64(out, i64(in));
}

static void a_state_file_in_use_by_this_process_is_refused(void **s)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    int inner = 1;
    (void)s;
    fresh_state();
    co.path = state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 10)), 0);
    assert_int_equal(rill_job(p, "nest", NULL, nested, &inner), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    rill_pipeline_free(p);
    assert_int_equal(inner, RILL_EBUSY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(another_pipelines_unfinished_checkpoint_is_replaced_only_when_asked),
        cmocka_unit_test(a_damaged_checkpoint_is_started_over_only_when_asked),
        cmocka_unit_test(options_of_version_1_are_taken_without_replace),
        cmocka_unit_test(two_pipelines_run_from_one_folder_keep_their_checkpoints_apart),
        cmocka_unit_test(a_state_file_in_use_by_another_process_is_refused_with_its_pid),
        cmocka_unit_test(a_state_file_in_use_by_this_process_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
