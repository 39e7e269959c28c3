/* test_mpi_map.c — rill_map and emits to a named successor over the ranks of
 * an MPI job. CTest runs this program under `mpirun -np 2` and `-np 3`;
 * every rank runs every case. rill_map's results reach rank 0 in the
 * list's order with every rank having made calls, other ranks get an empty
 * batch, a failing element is named by its index whichever rank met it; a
 * graph loop routed by name ends with the counts one process gives. Only
 * rank 0 prints cmocka's report; a failure on any rank fails the mpirun. */
#include <mpi.h>
#include <stdatomic.h>
#include <unistd.h>

#include "helpers.h"

static int rank, ranks;
static atomic_long calls_here;

/* How many ranks made some of the counted calls. */
static int ranks_that_worked(void)
{
    long mine = atomic_exchange(&calls_here, 0) > 0, sum = 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    return (int)sum;
}

static int slow_square(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in);
    (void)payload;
    atomic_fetch_add(&calls_here, 1);
    usleep(300);
    return rill_emit_int64(out, x * x);
}

static void map_gathers_results_to_rank_0_in_list_order(void **state)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_batch *list = ints(0, 600), *res = NULL;
    size_t i;
    (void)state;
    o.workers = 2;
    o.batch_records = 4;
    assert_int_equal(rill_map(&res, list, &o, slow_square, NULL), 0);
    assert_non_null(res);
    if (rank == 0) {
        assert_int_equal(rill_batch_count(res), 600);
        for (i = 0; i < 600; i++) {
            rill_record r;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(i64(&r), (int64_t)(i * i));
        }
    } else {
        assert_int_equal(rill_batch_count(res), 0);
    }
    assert_int_equal(ranks_that_worked(), ranks); /* every rank took some */
    rill_batch_free(res);
    rill_batch_free(list);
}

static int plus_one(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, i64(in) + 1);
}

static void map_of_8_and_9_gives_9_and_10_on_rank_0(void **state)
{
    rill_batch *list = ints(8, 10), *res;
    int k;
    (void)state;
    for (k = 0; k < 5; k++) {
        assert_int_equal(rill_map(&res, list, NULL, plus_one, NULL), 0);
        if (rank == 0) {
            assert_int_equal(rill_batch_count(res), 2);
            rill_record r;
            assert_int_equal(rill_batch_get(&r, res, 0), 0);
            assert_int_equal(i64(&r), 9);
            assert_int_equal(rill_batch_get(&r, res, 1), 0);
            assert_int_equal(i64(&r), 10);
        }
        rill_batch_free(res);
    }
    rill_batch_free(list);
}

static void map_of_an_empty_list_ends_on_every_rank(void **state)
{
    rill_batch *list, *res;
    (void)state;
    assert_int_equal(rill_batch_new(&list), 0);
    assert_int_equal(rill_map(&res, list, NULL, plus_one, NULL), 0);
    assert_int_equal(rill_batch_count(res), 0);
    rill_batch_free(res);
    rill_batch_free(list);
}

static int fails_on_321(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    usleep(100);
    if (i64(in) == 321) {
        rill_error_set("no 321 here");
        return -1;
    }
    return rill_emit_int64(out, i64(in));
}

static void a_failing_element_is_named_on_every_rank(void **state)
{
    rill_map_options o = RILL_MAP_OPTIONS_INIT;
    rill_batch *list = ints(0, 600), *res;
    (void)state;
    o.name = "strict";
    o.batch_records = 4;
    assert_int_equal(rill_map(&res, list, &o, fails_on_321, NULL), RILL_EUSER);
    assert_null(res);
    assert_non_null(strstr(rill_error_last(), "map 'strict' failed on element 321"));
    assert_non_null(strstr(rill_error_last(), "no 321 here"));
    rill_batch_free(list);
}

static void a_rank_with_another_list_is_refused_on_every_rank(void **state)
{
    /* the same length, another value */
    rill_batch *list = ints(rank == ranks - 1 ? 1 : 0, rank == ranks - 1 ? 11 : 10), *res = NULL;
    (void)state;
    assert_int_equal(rill_map(&res, list, NULL, plus_one, NULL), RILL_EPIPELINE);
    assert_null(res);
    assert_non_null(strstr(rill_error_last(), "another pipeline"));
    rill_batch_free(list);
}

/* check: below 30 -> add_one, else -> output; add_one is slow. */
static int check(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    int rc = 0;
    (void)payload;
    for (i = 0; i < n && rc == 0; i++) {
        rill_emitter *to;
        if ((rc = rill_emitter_to(&to, out, i64(&in[i]) < 30 ? "add_one" : "output")) == 0)
            rc = rill_emit_record(to, &in[i]);
    }
    return rc;
}

static int slow_add_one(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    atomic_fetch_add(&calls_here, 1);
    usleep(100);
    return rill_emit_int64(out, i64(in) + 1);
}

static int copy_out(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static rill_pipeline *loop_graph(const char *out_name)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 200)), 0);
    assert_int_equal(rill_task(p, "check", NULL, check, NULL), 0);
    assert_int_equal(rill_job(p, "add_one", NULL, slow_add_one, NULL), 0);
    assert_int_equal(rill_job(p, out_name, NULL, copy_out, NULL), 0);
    assert_int_equal(rill_edge(p, "check", "add_one"), 0);
    assert_int_equal(rill_edge(p, "check", out_name), 0);
    assert_int_equal(rill_loop(p, "add_one", "check"), 0);
    return p;
}

static void a_loop_routed_by_name_ends_with_one_processs_results(void **state)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p = loop_graph("output");
    rill_batch *res;
    (void)state;
    o.workers = 2;
    o.batch_records = 4;
    atomic_store(&calls_here, 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    if (rank == 0) {
        size_t n, i;
        int64_t *v = sorted_ints(res, &n);
        assert_int_equal(n, 200);
        for (i = 0; i < n; i++)
            assert_int_equal(v[i], i < 31 ? 30 : (int64_t)i);
        free(v);
    } else {
        assert_int_equal(rill_batch_count(res), 0);
    }
    assert_int_equal(ranks_that_worked(), ranks); /* the loop went round on every rank */
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void an_unknown_successor_stops_every_rank(void **state)
{
    rill_pipeline *p = loop_graph("out"); /* check sends to "output": not there */
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_run(p, NULL, &res), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "task 'check' (stage 1) failed"));
    assert_non_null(strstr(rill_error_last(), "no successor of 'check' is named 'output' "
                                              "(its successors: 'add_one', 'out')"));
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(map_gathers_results_to_rank_0_in_list_order),
        cmocka_unit_test(map_of_8_and_9_gives_9_and_10_on_rank_0),
        cmocka_unit_test(map_of_an_empty_list_ends_on_every_rank),
        cmocka_unit_test(a_failing_element_is_named_on_every_rank),
        cmocka_unit_test(a_rank_with_another_list_is_refused_on_every_rank),
        cmocka_unit_test(a_loop_routed_by_name_ends_with_one_processs_results),
        cmocka_unit_test(an_unknown_successor_stops_every_rank),
    };
    rank = rill_rank();
    ranks = rill_ranks();
    if (rank != 0 && freopen("/dev/null", "w", stdout) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
