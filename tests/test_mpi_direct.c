/* test_mpi_direct.c — a keyed combine followed by a job under MPI: each
 * rank's partial tables go straight to the ranks that own their keys, and
 * the combine's output is what one process gives: every key once, with its
 * whole value, however the records were spread, however many keys (many,
 * one, none), with ranks that hold no key of some owner or an empty table,
 * with a value wider than one int64, while checkpoints drain the ranks, and
 * for a combine in each frame (opened on whichever rank its records are).
 * A merge that fails is named. CTest runs it under mpirun with 2 and 3
 * ranks; rank 0 checks, a failure on any rank fails the mpirun. */
#include <mpi.h>
#include <stdatomic.h>
#include <unistd.h>

#include "helpers.h"

static int rank, ranks;
static atomic_long after_calls; /* records the job after the combine saw here */

/* Unevenly slow: the records of every third hundred take longer, so that
 * idle ranks ask for work and every rank ends up with some. */
static int slow_pass(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t v = i64(in);
    (void)payload;
    usleep((v / 100) % 3 == 0 ? 300 : 30);
    return rill_emit_record(out, in);
}

/* The key of record i and how often value v comes (many keys). */
#define NREC 3000
#define NKEYS 2503

static int64_t key_of_many(int64_t i)
{
    return (i * 7919) % NKEYS;
}

/* Each record emits up to 4 keyed records: (key, 1) and, for one in
 * three, (key + 1, 2) and (key + 2, 3) — many keys, each from many records
 * on many ranks. */
static int many_keys(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t i = i64(in), k = key_of_many(i), j;
    char key[24];
    (void)payload;
    for (j = 0; j < (i % 3 == 0 ? 3 : 1); j++) {
        int n = snprintf(key, sizeof(key), "key%06lld", (long long)((k + j) % NKEYS));
        if (rill_emit_keyed(out, key, (size_t)n, &(int64_t){j + 1}, sizeof(int64_t)) != 0)
            return -1;
    }
    return 0;
}

/* One key, from one record in 97: most partial tables stay empty and some
 * owner gets no key at all. */
static int one_key(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return i64(in) % 97 == 0 ? rill_emit_keyed(out, "only", 4, NULL, 0) : 0;
}

static int no_key(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)out, (void)in, (void)payload;
    return 0;
}

static int after(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    atomic_fetch_add(&after_calls, 1);
    return rill_emit_record(out, in);
}

/* A value of two int64: the sum and how many records made it. */
static int pair_add(void *acc, const rill_record *rec, void *payload)
{
    int64_t *a = acc, v = 1;
    (void)payload;
    if (rec->len == sizeof(v))
        memcpy(&v, rec->data, sizeof(v));
    a[0] += v;
    a[1] += 1;
    return 0;
}

static int pair_merge(void *acc, void *other, void *payload)
{
    int64_t *a = acc, *b = other;
    (void)payload;
    a[0] += b[0];
    a[1] += b[1];
    return 0;
}

/* What one process gives for many_keys: per key, the sum and the count. */
static void expected_many(int64_t sum[NKEYS], int64_t count[NKEYS])
{
    int64_t i, j;
    memset(sum, 0, NKEYS * sizeof(*sum));
    memset(count, 0, NKEYS * sizeof(*count));
    for (i = 0; i < NREC; i++)
        for (j = 0; j < (i % 3 == 0 ? 3 : 1); j++) {
            sum[(key_of_many(i) + j) % NKEYS] += j + 1;
            count[(key_of_many(i) + j) % NKEYS]++;
        }
}

static int ranks_after; /* how many ranks saw some, at the last after_total */

/* How many records the job after the combine saw on all ranks. */
static long after_total(void)
{
    long mine[2] = {atomic_exchange(&after_calls, 0), 0}, sum[2];
    mine[1] = mine[0] > 0;
    MPI_Allreduce(mine, sum, 2, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    ranks_after = (int)sum[1];
    return sum[0];
}

/* work 0..NREC-1 -> slow -> keys -> combine (pair value) -> after. */
static rill_pipeline *keyed(rill_job_fn keys, int pairs)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64, pair = RILL_COMBINE_OPTIONS_INIT;
    rill_pipeline *p;
    pair.value_size = 2 * sizeof(int64_t);
    pair.add = pair_add;
    pair.merge = pair_merge;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, NREC)), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow_pass, NULL), 0);
    assert_int_equal(rill_job(p, "keys", NULL, keys, NULL), 0);
    assert_int_equal(rill_combine(p, "count", pairs ? &pair : &sum, NULL), 0);
    assert_int_equal(rill_job(p, "after", NULL, after, NULL), 0);
    return p;
}

static int run_it(rill_pipeline *p, int workers, rill_batch **res)
{
    rill_run_options o = with_workers(workers);
    int rc;
    o.batch_records = 16;
    atomic_store(&after_calls, 0);
    rc = rill_run(p, &o, res);
    if (rc < 0 && rc != RILL_EUSER)
        print_message("rank %d: %s\n", rank, rill_error_last());
    if (rc == 0 && rank != 0)
        assert_int_equal(rill_batch_count(*res), 0);
    return rc;
}

/* Rank 0: the results of many_keys are one process's, key by key. */
static void check_many(const rill_batch *res, int pairs)
{
    static int64_t sum[NKEYS], count[NKEYS];
    char seen[NKEYS] = {0};
    size_t i;
    expected_many(sum, count);
    assert_int_equal(rill_batch_count(res), NKEYS);
    for (i = 0; i < NKEYS; i++) {
        rill_record r;
        int64_t v[2];
        unsigned k;
        assert_int_equal(rill_batch_get(&r, res, i), 0);
        assert_int_equal(r.key_len, 9);
        assert_int_equal(sscanf(r.key, "key%6u", &k), 1);
        assert_true(k < NKEYS);
        assert_false(seen[k]); /* each key once */
        seen[k] = 1;
        assert_int_equal(r.len, pairs ? 16 : 8);
        memcpy(v, r.data, r.len);
        assert_int_equal(v[0], sum[k]);
        if (pairs)
            assert_int_equal(v[1], count[k]);
    }
}

static void many_keys_give_one_processs_counts(void **state)
{
    rill_pipeline *p = keyed(many_keys, 0);
    rill_batch *res;
    (void)state;
    assert_int_equal(run_it(p, 1, &res), 0);
    if (rank == 0)
        check_many(res, 0);
    assert_int_equal(after_total(), NKEYS); /* each key went on once, */
    assert_int_equal(ranks_after, ranks);   /* on the rank that owns it */
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void a_wider_value_merges_whole_on_two_workers(void **state)
{
    rill_pipeline *p = keyed(many_keys, 1);
    rill_batch *res;
    (void)state;
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0)
        check_many(res, 1);
    assert_int_equal(after_total(), NKEYS);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* Most tables are empty and at least one owner (of 2 or 3) gets no key. */
static void one_key_from_few_records_is_counted_once(void **state)
{
    rill_pipeline *p = keyed(one_key, 0);
    rill_batch *res;
    (void)state;
    assert_int_equal(run_it(p, 1, &res), 0);
    if (rank == 0) {
        rill_record r;
        assert_int_equal(rill_batch_count(res), 1);
        assert_int_equal(rill_batch_get(&r, res, 0), 0);
        assert_int_equal(r.key_len, 4);
        assert_memory_equal(r.key, "only", 4);
        assert_int_equal(i64(&r), (NREC + 96) / 97);
    }
    assert_int_equal(after_total(), 1);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void no_key_at_all_gives_nothing(void **state)
{
    rill_pipeline *p = keyed(no_key, 0);
    rill_batch *res;
    (void)state;
    assert_int_equal(run_it(p, 1, &res), 0);
    if (rank == 0)
        assert_int_equal(rill_batch_count(res), 0);
    assert_int_equal(after_total(), 0);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* Checkpoints every 10 ms while the tables go to their owners: each one
 * drains the other ranks (pieces parked there come home first). */
static void checkpoints_while_keys_move_lose_nothing(void **state)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    char path[] = "/tmp/rill_mpi_directXXXXXX", side[64];
    rill_pipeline *p = keyed(many_keys, 1);
    rill_batch *res;
    (void)state;
    if (rank == 0) {
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        unlink(path);
    }
    MPI_Bcast(path, sizeof(path), MPI_CHAR, 0, MPI_COMM_WORLD);
    co.path = path;
    co.interval = 0.01;
    assert_int_equal(rill_checkpointing(p, &co), 0);
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0)
        check_many(res, 1);
    assert_int_equal(after_total(), NKEYS);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        unlink(path);
        snprintf(side, sizeof(side), "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", path);
        unlink(side);
    }
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- a combine in each frame: opened wherever its frame's records are ---- */

typedef struct frame_store {
    int started;
    int64_t keys;
} frame_store;

static int once(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    frame_store *s = store;
    (void)payload;
    if (s->started)
        return 0;
    s->started = 1;
    return rill_emit_record(recur, first);
}

/* 8n + j -> the keys i of "0".."n-1" with i % 8 == j, each twice, slowly:
 * the eight records of a frame give each of its keys twice. */
static int keys_twice(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n = i64(in) / 8, j = i64(in) % 8, i, twice;
    (void)payload;
    usleep(200);
    for (twice = 0; twice < 2; twice++)
        for (i = j; i < n; i += 8) {
            char k[24];
            int len = snprintf(k, sizeof(k), "%lld", (long long)i);
            if (rill_emit_keyed(out, k, (size_t)len, NULL, 0) != 0)
                return -1;
        }
    return 0;
}

static int count_keys(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    frame_store *s = store;
    (void)recur, (void)payload;
    if (i64(next) != 2)
        return -1;
    s->keys++;
    return 0;
}

static int emit_keys(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((frame_store *)store)->keys);
}

/* n -> 8n .. 8n + 7: each frame's records spread over the ranks. */
static int copies(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n = i64(in), j;
    (void)payload;
    for (j = 0; j < 8; j++)
        if (rill_emit_int64(out, 8 * n + j) != 0)
            return -1;
    return 0;
}

/* Each frame counts the distinct keys of its own combine, whose tables come
 * from several ranks: a frame of n gives n. */
static void a_combine_in_each_frame_counts_its_own_keys(void **state)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    f.store_size = sizeof(frame_store);
    f.frame = once;
    f.emit = emit_keys;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(1, 41)), 0);
    assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
    assert_int_equal(rill_job(p, "copies", NULL, copies, NULL), 0);
    assert_int_equal(rill_job(p, "keys", NULL, keys_twice, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
    assert_int_equal(rill_job(p, "after", NULL, after, NULL), 0);
    assert_int_equal(rill_frame_end(p, "distinct", NULL, count_keys, NULL), 0);
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0) {
        size_t n, i;
        int64_t *v = sorted_ints(res, &n);
        assert_int_equal(n, 40);
        for (i = 0; i < n; i++)
            assert_int_equal(v[i], (int64_t)i + 1);
        free(v);
    }
    assert_int_equal(after_total(), 40 * 41 / 2); /* each key of each frame once */
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static int refuse_merge(void *acc, void *other, void *payload)
{
    (void)acc, (void)other, (void)payload;
    rill_error_set("these two may not meet");
    return -1;
}

static int same_key(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)in, (void)payload;
    return rill_emit_keyed(out, "same", 4, NULL, 0);
}

/* Every record has the same key, so tables from two ranks must meet. */
static void a_merge_that_fails_is_named_on_every_rank(void **state)
{
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    rill_batch *res = NULL;
    (void)state;
    c.merge = refuse_merge;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 600)), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow_pass, NULL), 0);
    assert_int_equal(rill_job(p, "keys", NULL, same_key, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &c, NULL), 0);
    assert_int_equal(rill_job(p, "after", NULL, after, NULL), 0);
    assert_int_equal(run_it(p, 1, &res), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "'count'"));
    assert_non_null(strstr(rill_error_last(), "these two may not meet"));
    atomic_store(&after_calls, 0);
    rill_pipeline_free(p);
    /* and the next run on the same ranks is clean */
    many_keys_give_one_processs_counts(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_keys_give_one_processs_counts),
        cmocka_unit_test(a_wider_value_merges_whole_on_two_workers),
        cmocka_unit_test(one_key_from_few_records_is_counted_once),
        cmocka_unit_test(no_key_at_all_gives_nothing),
        cmocka_unit_test(checkpoints_while_keys_move_lose_nothing),
        cmocka_unit_test(a_combine_in_each_frame_counts_its_own_keys),
        cmocka_unit_test(a_merge_that_fails_is_named_on_every_rank),
    };
    rank = rill_rank();
    ranks = rill_ranks();
    if (rank != 0 && freopen("/dev/null", "w", stdout) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
