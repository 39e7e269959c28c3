/* test_io_errors.c — rill's own I/O failures each get their own code and a
 * message with the path and the system's reason (strerror), before any
 * work runs where they can be known before: a state folder that cannot be
 * written, an output folder that cannot be written, an output path that is
 * a file, a folder given as input, a missing input file.
 *
 * Folders that cannot be written are made with /sys (sysfs refuses new
 * files even to root, where chmod would not). A full disk is
 * test_durability.c's (it needs a small file system of its own). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char dir[256];
static atomic_int calls;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-io-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int counted(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    atomic_fetch_add(&calls, 1);
    return rill_emit_record(out, in);
}

/* The run's failure: code, and a message naming path with reason. */
static void expect(rill_pipeline *p, int code, const char *path, const char *reason)
{
    atomic_store(&calls, 0);
    assert_int_equal(rill_run(p, NULL, NULL), code);
    if (strstr(rill_error_last(), path) == NULL || strstr(rill_error_last(), reason) == NULL)
        fail_msg("\"%s\" should name %s and say \"%s\"", rill_error_last(), path, reason);
    assert_int_equal(atomic_load(&calls), 0); /* before any work */
    rill_pipeline_free(p);
}

static rill_pipeline *counting(void)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 10)), 0);
    assert_int_equal(rill_job(p, "count", NULL, counted, NULL), 0);
    return p;
}

static void a_state_folder_that_cannot_be_written_is_refused_by_path_and_reason(void **s)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p = counting();
    (void)s;
    co.path = "/sys/rill-test-state.db";
    assert_int_equal(rill_checkpointing(p, &co), 0);
    expect(p, RILL_EACCES, co.path, strerror(EACCES));
}

static void an_output_folder_that_cannot_be_written_is_refused_before_work(void **s)
{
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    rill_pipeline *p;
    int why;
    (void)s;
    d.dir = "/sys/rill-test-out";
    why = mkdir(d.dir, 0777) < 0 ? errno : 0; /* the system's reason (EACCES, or EPERM) */
    assert_true(why == EACCES || why == EPERM);
    p = counting();
    assert_int_equal(rill_output_dir(p, &d), 0);
    expect(p, RILL_EACCES, d.dir, strerror(why));
}

static void an_output_path_that_is_a_file_is_not_a_folder(void **s)
{
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    char file[300];
    rill_pipeline *p;
    FILE *f;
    (void)s;
    snprintf(file, sizeof(file), "%s/a-file", dir);
    assert_non_null(f = fopen(file, "w"));
    fclose(f);
    p = counting();
    d.dir = file;
    assert_int_equal(rill_output_dir(p, &d), 0);
    expect(p, RILL_ENOTDIR, file, strerror(ENOTDIR));
}

static rill_pipeline *reading(const char *path)
{
    rill_pipeline *p;
    rill_batch *work;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", 0), 0);
    assert_int_equal(rill_job(p, "count", NULL, counted, NULL), 0);
    return p;
}

static void a_folder_given_as_input_is_not_a_file(void **s)
{
    (void)s;
    expect(reading(dir), RILL_EISDIR, dir, strerror(EISDIR));
}

static void a_missing_input_file_says_so_not_that_no_file_matches(void **s)
{
    char path[300];
    (void)s;
    snprintf(path, sizeof(path), "%s/missing.txt", dir);
    expect(reading(path), RILL_ENOTFOUND, path, strerror(ENOENT));
    assert_null(strstr(rill_error_last(), "matches"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_state_folder_that_cannot_be_written_is_refused_by_path_and_reason),
        cmocka_unit_test(an_output_folder_that_cannot_be_written_is_refused_before_work),
        cmocka_unit_test(an_output_path_that_is_a_file_is_not_a_folder),
        cmocka_unit_test(a_folder_given_as_input_is_not_a_file),
        cmocka_unit_test(a_missing_input_file_says_so_not_that_no_file_matches),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
