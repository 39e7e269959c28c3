/* test_publish.c — publishing a checkpointed run's output files: all or
 * nothing, resumable. A publish that meets an obstacle (a folder where a
 * file goes) publishes nothing and names it; a resume finishes it, and does
 * not count a file it did not publish. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <glob.h>
#include <sys/stat.h>

#include "inline_helpers.h"
#include "state_helpers.h"

/* ---- publishing output files ---- */

static int as_text(rill_emitter *out, const rill_record *in, void *payload)
{
    char text[32];
    (void)payload;
    return rill_emit(out, text, (size_t)snprintf(text, sizeof(text), "%lld", (long long)i64(in)));
}

/* 0..99 as text to out under run id "p", 10 a file, checkpointed. */
static int publish_run(const char *out, int resume)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    int rc;
    co.path = state;
    co.resume = resume;
    d.dir = out;
    d.run_id = "p";
    o.batch_records = 10;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_job(p, "text", NULL, as_text, NULL), 0);
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    rc = rill_run(p, &o, NULL);
    rill_pipeline_free(p);
    return rc;
}

/* How many lines the published files under out hold, and their sum. */
static int64_t published(const char *out, int64_t *sum)
{
    char pattern[400], line[64];
    glob_t g;
    int64_t n = 0;
    size_t i;
    *sum = 0;
    snprintf(pattern, sizeof(pattern), "%s/p-*.txt", out);
    if (glob(pattern, 0, NULL, &g) != 0)
        return 0;
    for (i = 0; i < g.gl_pathc; i++) {
        FILE *f = fopen(g.gl_pathv[i], "r");
        while (f && fgets(line, sizeof(line), f)) {
            *sum += atoll(line);
            n++;
        }
        if (f)
            fclose(f);
    }
    globfree(&g);
    return n;
}

static void a_publish_stopped_by_an_obstacle_publishes_nothing_and_a_resume_finishes_it(void **s)
{
    char out[400], obstacle[450], inside[500], pattern[500], fin[450];
    int64_t sum;
    glob_t g;
    FILE *f;
    (void)s;
    fresh_state();
    snprintf(out, sizeof(out), "%s/published", dir);
    snprintf(obstacle, sizeof(obstacle), "%s/p-1.txt", out); /* a folder where a file goes */
    assert_int_equal(mkdir(out, 0777), 0);
    assert_int_equal(mkdir(obstacle, 0777), 0);
    snprintf(inside, sizeof(inside), "%s/x", obstacle);
    assert_non_null(f = fopen(inside, "w"));
    fclose(f);
    assert_int_equal(publish_run(out, 0), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), obstacle));
    assert_non_null(strstr(rill_error_last(), strerror(EISDIR)));
    assert_int_equal(published(out, &sum), 0); /* all or nothing */
    /* a resume with the folder still there names it again */
    assert_int_equal(publish_run(out, 1), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), obstacle));
    assert_int_equal(published(out, &sum), 0);
    /* as if a kill had stopped a publish after its first file */
    snprintf(pattern, sizeof(pattern), "%s/.p-0.txt*tmp", out);
    assert_int_equal(glob(pattern, GLOB_PERIOD, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 1);
    snprintf(fin, sizeof(fin), "%s/p-0.txt", out);
    assert_int_equal(rename(g.gl_pathv[0], fin), 0);
    globfree(&g);
    assert_int_equal(unlink(inside), 0);
    assert_int_equal(rmdir(obstacle), 0);
    assert_int_equal(publish_run(out, 1), 0);
    assert_int_equal(published(out, &sum), 100);
    assert_int_equal(sum, 99 * 100 / 2);
    assert_int_equal(publish_run(out, 1), RILL_EFINISHED);
}

/* A final name that holds another file than the one written (its
 * temporary gone) is not counted as published. */
static void a_resume_does_not_count_a_file_it_did_not_publish(void **s)
{
    char out[400], obstacle[450], pattern[500], fin[450];
    glob_t g;
    FILE *f;
    (void)s;
    fresh_state();
    snprintf(out, sizeof(out), "%s/not-ours", dir);
    snprintf(obstacle, sizeof(obstacle), "%s/p-0.txt", out);
    assert_int_equal(mkdir(out, 0777), 0);
    assert_int_equal(mkdir(obstacle, 0777), 0);
    assert_int_equal(publish_run(out, 0), RILL_EIO);
    assert_int_equal(rmdir(obstacle), 0);
    snprintf(pattern, sizeof(pattern), "%s/.p-1.txt*tmp", out);
    assert_int_equal(glob(pattern, GLOB_PERIOD, NULL, &g), 0);
    assert_int_equal(unlink(g.gl_pathv[0]), 0);
    globfree(&g);
    snprintf(fin, sizeof(fin), "%s/p-1.txt", out);
    assert_non_null(f = fopen(fin, "w"));
    fputs("someone else's\n", f);
    fclose(f);
    assert_int_equal(publish_run(out, 1), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), fin));
    assert_non_null(strstr(rill_error_last(), "was removed before it was published"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            a_publish_stopped_by_an_obstacle_publishes_nothing_and_a_resume_finishes_it),
        cmocka_unit_test(a_resume_does_not_count_a_file_it_did_not_publish),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
