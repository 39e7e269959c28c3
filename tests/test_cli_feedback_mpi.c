/* test_cli_feedback_mpi.c — the rill command's feedback under mpirun
 * (CTest runs it with -np 2): rank 0 alone prints the summary, saying the
 * figures are its own, and writes the metrics; the other ranks print and
 * write nothing. Each rank runs the same pipeline with the feedback writing
 * to a file of its own. */
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_feedback_helpers.h"

static int rank, ranks;

static int pass_on(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static void only_rank_0_speaks_and_says_whose_figures_they_are(void **state)
{
    static const cli_feedback_stage st[] = {{"numbers", "sequence"}, {"same", "cat"}};
    char name[64], metrics[256], prefix[64], *s;
    cli_feedback_options o = CLI_FEEDBACK_OPTIONS_INIT;
    rill_run_options ro = with_workers(2);
    rill_pipeline *p;
    struct stat sb;
    FILE *err;
    (void)state;
    snprintf(name, sizeof name, "err-%d.txt", rank);
    assert_non_null(err = fopen(path(name), "w+"));
    snprintf(metrics, sizeof metrics, "%s", path("m.json"));
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "numbers", 0, 2000, 0), 0);
    assert_int_equal(rill_job(p, "same", NULL, pass_on, NULL), 0);
    o.stages = st;
    o.nstages = 2;
    o.chain = 1;
    o.err = err;
    o.tty = 1; /* even told to draw, only rank 0 may */
    o.metrics_path = metrics;
    assert_non_null(counting = cli_feedback_start(p, &o));
    assert_int_equal(cli_feedback_end(counting, rill_run(p, &ro, NULL)), 0);
    counting = NULL;
    fclose(err);
    rill_pipeline_free(p);
    s = slurp(path(name));
    if (rank == 0) {
        snprintf(prefix, sizeof prefix, "rill: rank 0 of %d: ", ranks);
        assert_non_null(strstr(s, prefix));
        assert_int_equal(stat(metrics, &sb), 0);
    } else {
        assert_string_equal(s, "");
        assert_int_not_equal(stat(metrics, &sb), 0);
    }
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_rank_0_speaks_and_says_whose_figures_they_are),
    };
    rank = rill_rank();
    ranks = rill_ranks();
    if (rank != 0 && freopen("/dev/null", "w", stdout) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
