/* test_mpi_kind.c — kinds of stage from outside rill under MPI: a kind that
 * does not say its tasks may run anywhere keeps them on the rank that
 * opened their reduction (rank 0 for the work list), however long they
 * take and however idle the other ranks are; one that says so is spread
 * like a job. CTest runs it under mpirun with 2 and 3 ranks. */
#include <mpi.h>
#include <unistd.h>

#include "helpers.h"

#include <rill/sys/stage.h>

/* Each record becomes the rank that processed it, slowly enough that idle
 * ranks ask for work. */
static int where(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)in;
    (void)payload;
    usleep(300 * (useconds_t)n);
    for (i = 0; i < n; i++)
        if (rill_emit_int64(out, rill_rank()) != 0)
            return -1;
    return 0;
}

static int where_process(rill_worker *w, rill_span *t, int locked)
{
    (void)locked;
    return rill_span_call(w, t, where, NULL);
}

static const rill_stage_kind here_only = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "here",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED,
    .process = where_process,
};

static const rill_stage_kind movable = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "movable",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_ANYWHERE,
    .process = where_process,
};

/* How many of 1,000 records were processed on a rank other than 0 (on rank
 * 0; -1 elsewhere). */
static long elsewhere(const rill_stage_kind *kind)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *res;
    long n = -1;
    o.workers = 1;
    o.batch_records = 8;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 1000)), 0);
    assert_int_equal(rill_stage_add(p, "where", kind, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    if (rill_rank() == 0) {
        size_t i;
        assert_int_equal(rill_batch_count(res), 1000);
        for (i = 0, n = 0; i < 1000; i++) {
            rill_record r;
            int64_t v;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(rill_record_int64(&v, &r), 0);
            n += v != 0;
        }
    }
    rill_batch_free(res);
    rill_pipeline_free(p);
    return n;
}

static void a_kind_not_said_to_run_anywhere_stays_on_its_rank(void **state)
{
    long n = elsewhere(&here_only);
    (void)state;
    if (rill_rank() == 0)
        assert_int_equal(n, 0);
}

static void a_kind_said_to_run_anywhere_is_spread_over_ranks(void **state)
{
    long n = elsewhere(&movable);
    (void)state;
    if (rill_rank() == 0)
        assert_true(n > 0);
}

/* Keyed records for a combine: 200 keys, five records each. */
static int keyed(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t v;
    char k[16];
    (void)payload;
    assert_int_equal(rill_record_int64(&v, in), 0);
    snprintf(k, sizeof(k), "k%d", (int)(v % 200));
    return rill_emit_keyed(out, k, strlen(k), NULL, 0);
}

static int count_all(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                     void *payload)
{
    size_t i;
    (void)recur;
    (void)payload;
    for (i = 0; i < n; i++) {
        int64_t v;
        assert_int_equal(rill_record_int64(&v, &in[i]), 0);
        ((int64_t *)store)[0] += 1;
        ((int64_t *)store)[1] += v != 0;
    }
    return 0;
}

static int merge_counts(void *store, void *other, void *payload)
{
    (void)payload;
    ((int64_t *)store)[0] += ((int64_t *)other)[0];
    ((int64_t *)store)[1] += ((int64_t *)other)[1];
    return 0;
}

/* The kind opens the scope of a reducer after a combine: each key entering
 * it opens a reduction there. It still runs only where those are opened. */
static void a_kind_that_opens_a_scope_stays_on_its_rank_too(void **state)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_reduce_options ro = RILL_REDUCE_OPTIONS_INIT;
    rill_combine_options co = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    o.workers = 2;
    o.batch_records = 4;
    ro.store_size = 2 * sizeof(int64_t);
    ro.add = count_all;
    ro.merge = merge_counts;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 1000)), 0);
    assert_int_equal(rill_job(p, "key", NULL, keyed, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &co, NULL), 0);
    assert_int_equal(rill_stage_add(p, "where", &here_only, NULL), 0);
    assert_int_equal(rill_reduce(p, "tally", &ro, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    if (rill_rank() == 0) {
        size_t i;
        int64_t total = 0, elsewhere = 0;
        for (i = 0; i < rill_batch_count(res); i++) {
            rill_record r;
            int64_t v[2];
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(r.len, sizeof(v));
            memcpy(v, r.data, sizeof(v));
            total += v[0];
            elsewhere += v[1];
        }
        assert_int_equal(total, 200); /* one per key */
        assert_int_equal(elsewhere, 0);
    }
    rill_batch_free(res);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_kind_not_said_to_run_anywhere_stays_on_its_rank),
        cmocka_unit_test(a_kind_said_to_run_anywhere_is_spread_over_ranks),
        cmocka_unit_test(a_kind_that_opens_a_scope_stays_on_its_rank_too),
    };
    if (rill_rank() != 0 && freopen("/dev/null", "w", stdout) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
