/* test_mpi.c — one pipeline over the ranks of an MPI job. CTest runs this
 * program under `mpirun -np 1..4`; every rank runs every case, and rank 0
 * checks the results against what a single process must give: spread jobs,
 * reducers with and without merge, frames with rounds, keyed combine with
 * keys moving to their ranks, a splittable line source (whose units no two
 * ranks hand back and forth), and an error on
 * whichever rank meets the bad record. Only rank 0 prints cmocka's report;
 * a failure on any rank fails the mpirun. */
#include <mpi.h>
#include <stdatomic.h>
#include <unistd.h>

#include "frame_helpers.h"

static int rank, ranks;
static atomic_long calls_here; /* calls of the counted stage on this rank */

/* How many ranks did some of the counted work. */
static int ranks_that_worked(void)
{
    long mine = atomic_exchange(&calls_here, 0) > 0, sum = 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    return (int)sum;
}

/* Results: on rank 0 what the run gave, elsewhere nothing at all. */
static int run_it(rill_pipeline *p, int workers, rill_batch **res)
{
    rill_run_options o = with_workers(workers);
    int rc;
    o.batch_records = 16;
    rc = rill_run(p, &o, res);
    if (rc == 0 && rank != 0) {
        assert_int_equal(rill_batch_count(*res), 0);
    }
    return rc;
}

static int slow_double(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    atomic_fetch_add(&calls_here, 1);
    usleep(200);
    return rill_emit_int64(out, 2 * i64(in));
}

/* The work list 0..599 through the slow job. */
static rill_pipeline *slow_jobs(void)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 600)), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow_double, NULL), 0);
    return p;
}

static void jobs_spread_over_ranks(void **state)
{
    rill_pipeline *p = slow_jobs();
    rill_batch *res;
    (void)state;
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0) {
        size_t n, i;
        int64_t *v = sorted_ints(res, &n);
        assert_int_equal(n, 600);
        for (i = 0; i < n; i++)
            assert_int_equal(v[i], 2 * (int64_t)i);
        free(v);
    }
    assert_int_equal(ranks_that_worked(), ranks); /* every rank took some */
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static int half(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, i64(in) / 2);
}

/* ---- reducers ---- */

typedef struct sum_store {
    int64_t sum, adds;
} sum_store;

static int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    sum_store *s = store;
    size_t i;
    (void)recur, (void)payload;
    atomic_fetch_add(&calls_here, 1);
    for (i = 0; i < n; i++)
        s->sum += i64(&in[i]);
    s->adds += (int64_t)n;
    return 0;
}

static int sum_merge(void *store, void *other, void *payload)
{
    sum_store *s = store, *o = other;
    (void)payload;
    s->sum += o->sum;
    s->adds += o->adds;
    return 0;
}

static int sum_emit(rill_emitter *out, void *store, void *payload)
{
    sum_store *s = store;
    (void)payload;
    return rill_emit_tuple(out, "ii", s->sum, s->adds);
}

static void check_sum(rill_batch *res, int64_t n)
{
    rill_record r;
    int64_t sum, adds;
    assert_int_equal(rill_batch_count(res), 1);
    assert_int_equal(rill_batch_get(&r, res, 0), 0);
    assert_int_equal(rill_record_unpack(&r, "ii", &sum, &adds), 0);
    assert_int_equal(adds, n); /* each record counted once, on some rank */
    assert_int_equal(sum, n * (n - 1) / 2);
}

static void reducer_merges_every_ranks_store_once(void **state)
{
    int merge;
    (void)state;
    for (merge = 0; merge < 2; merge++) {
        rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
        rill_pipeline *p;
        rill_batch *res;
        r.store_size = sizeof(sum_store);
        r.add = sum_add;
        r.merge = merge ? sum_merge : NULL;
        r.emit = sum_emit;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 4000)), 0);
        assert_int_equal(rill_job(p, "slow", NULL, slow_double, NULL), 0);
        assert_int_equal(rill_job(p, "half", NULL, half, NULL), 0);
        assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
        assert_int_equal(run_it(p, 2, &res), 0);
        if (rank == 0)
            check_sum(res, 4000);
        atomic_store(&calls_here, 0);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* Init runs on rank 0 only; the work it adds joins the work list's. */
static int init_adds_2000_to_3999(rill_batch *work, void *payload)
{
    int64_t i;
    (void)payload;
    for (i = 2000; i < 4000; i++)
        if (rill_batch_add_int64(work, i) < 0)
            return -1;
    return 0;
}

static void init_work_is_reduced_once_across_ranks(void **state)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    r.store_size = sizeof(sum_store);
    r.add = sum_add;
    r.merge = sum_merge;
    r.emit = sum_emit;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2000)), 0);
    assert_int_equal(rill_on_init(p, init_adds_2000_to_3999, NULL), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow_double, NULL), 0);
    assert_int_equal(rill_job(p, "half", NULL, half, NULL), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0)
        check_sum(res, 4000);
    atomic_store(&calls_here, 0);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- frames ---- */

static void frames_keep_their_rounds_across_ranks(void **state)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    f.store_size = sizeof(rounds_store);
    f.frame = three_rounds;
    f.emit = emit_got;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(1, 60)), 0);
    assert_int_equal(rill_frame(p, "rounds", &f, NULL), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow_double, NULL), 0);
    assert_int_equal(rill_frame_end(p, "count", NULL, count_back, NULL), 0);
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0) {
        size_t i;
        assert_int_equal(rill_batch_count(res), 59);
        for (i = 0; i < 59; i++) {
            rill_record r;
            int64_t first, got;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(rill_record_unpack(&r, "ii", &first, &got), 0);
            assert_int_equal(got, 3 * first);
        }
    }
    atomic_store(&calls_here, 0);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- keyed combine ---- */

static int key_of(rill_emitter *out, const rill_record *in, void *payload)
{
    char key[16];
    int n = snprintf(key, sizeof(key), "k%03d", (int)(i64(in) % 97));
    (void)payload;
    return rill_emit_keyed(out, key, (size_t)n, NULL, 0);
}

static int tag_count(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    atomic_fetch_add(&calls_here, 1);
    return rill_emit_record(out, in);
}

static void combine(int then_job)
{
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_pipeline *p;
    rill_batch *res;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 97 * 50)), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow_double, NULL), 0);
    assert_int_equal(rill_job(p, "half", NULL, half, NULL), 0);
    assert_int_equal(rill_job(p, "key", NULL, key_of, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &c, NULL), 0);
    if (then_job)
        assert_int_equal(rill_job(p, "tag", NULL, tag_count, NULL), 0);
    atomic_store(&calls_here, 0);
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0) {
        size_t i;
        assert_int_equal(rill_batch_count(res), 97);
        for (i = 0; i < 97; i++) {
            rill_record r;
            int64_t v;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_int_equal(r.key_len, 4);
            memcpy(&v, r.data, 8);
            assert_int_equal(v, 50);
        }
    }
    if (then_job) /* the keys went to their ranks: each ran the job on some */
        assert_int_equal(ranks_that_worked(), ranks);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void combine_counts_every_key_once(void **state)
{
    (void)state;
    combine(0);
}

static void combine_sends_keys_to_their_ranks(void **state)
{
    (void)state;
    combine(1);
}

/* ---- a splittable source ---- */

static int key_of_line(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    if (in->len < 5 || memcmp(in->data, "line ", 5) != 0)
        return -1;
    return rill_emit_keyed(out, "lines", 5, NULL, 0);
}

/* Slower: 50 us a line, so that units run long while ranks ask ahead. */
static int key_of_line_slowly(rill_emitter *out, const rill_record *in, void *payload)
{
    usleep(50);
    return key_of_line(out, in, payload);
}

/* Counts the lines of a file of n lines read in units of 4 KiB on so many
 * workers a rank; returns the records all ranks sent each other. */
static unsigned long long count_lines(int n, rill_job_fn job, int workers)
{
    char path[] = "/tmp/rill_mpi_linesXXXXXX";
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_batch *work, *res;
    rill_pipeline *p;
    unsigned long long sent, all = 0;
    if (rank == 0) {
        int fd = mkstemp(path), i;
        FILE *f = fdopen(fd, "w");
        for (i = 0; i < n; i++)
            fprintf(f, "line %d\n", i);
        fclose(f);
    }
    MPI_Bcast(path, sizeof(path), MPI_CHAR, 0, MPI_COMM_WORLD);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add(work, path, strlen(path)), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", 4096), 0);
    assert_int_equal(rill_job(p, "key", NULL, job, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &c, NULL), 0);
    assert_int_equal(run_it(p, workers, &res), 0);
    if (rank == 0) {
        rill_record r;
        int64_t v;
        assert_int_equal(rill_batch_count(res), 1);
        assert_int_equal(rill_batch_get(&r, res, 0), 0);
        memcpy(&v, r.data, 8);
        assert_int_equal(v, n);
    }
    sent = rill_records_sent(p);
    MPI_Allreduce(&sent, &all, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        unlink(path);
    rill_batch_free(res);
    rill_pipeline_free(p);
    return all;
}

static void line_source_is_split_over_ranks(void **state)
{
    (void)state;
    count_lines(200000, key_of_line, 2);
}

/* What crosses ranks is units given to ranks that ask for work and each
 * proxy's table (of one key) going home: two records a unit, four for one
 * passed on again, 7 to 19 in all here (4 KiB units of 20 ms of work),
 * however often the ranks ask each other for work ahead. Two busy ranks
 * once handed a queued unit back and forth for as long as they ran: 50 to
 * 300 records on 3 or 4 ranks. */
static void work_asked_for_ahead_is_not_handed_back_and_forth(void **state)
{
    unsigned long long units = 0, i;
    (void)state;
    for (i = 0; i < 4800; i++) /* the file's bytes: "line %d\n" each */
        units += (unsigned long long)snprintf(NULL, 0, "line %llu\n", i);
    units = units / 4096 + 1;
    assert_true(count_lines(4800, key_of_line_slowly, 1) <= 3 * units + 2 * (unsigned)ranks);
}

/* ---- checkpoints while the ranks work ---- */

typedef struct sweep_store {
    int64_t started, sum;
} sweep_store;

static int sweep_frame(rill_emitter *recur, void *store, const rill_record *first,
                       void *payload)
{
    sweep_store *s = store;
    (void)payload;
    if (s->started)
        return 0;
    s->started = 1;
    return rill_emit_record(recur, first);
}

static int sweep_range(const rill_record *el, rill_restriction *out, void *payload)
{
    (void)el, (void)payload;
    out->kind = RILL_RANGE_OFFSET;
    out->from = 0;
    out->to = 300;
    return 0;
}

/* Claims offsets one at a time, slowly, and emits how many it claimed. */
static int sweep_process(rill_emitter *out, const rill_record *el, rill_tracker *t,
                         void *payload)
{
    rill_restriction r;
    int64_t n = 0, i;
    (void)el, (void)payload;
    rill_tracker_current(&r, t);
    for (i = r.from; rill_tracker_try_claim(t, i) == 1; i++, n++)
        usleep(300);
    return n ? rill_emit_int64(out, n) : 0;
}

static int sweep_end(rill_emitter *recur, void *store, const rill_record *next,
                     void *payload)
{
    (void)recur, (void)payload;
    ((sweep_store *)store)->sum += i64(next);
    return 0;
}

static int sweep_emit(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((sweep_store *)store)->sum);
}

/* Eight frames, each sweeping 300 points of a splittable stage. */
static rill_pipeline *sweeps(void)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_splittable_options so = RILL_SPLITTABLE_OPTIONS_INIT;
    rill_pipeline *p;
    f.store_size = sizeof(sweep_store);
    f.frame = sweep_frame;
    f.emit = sweep_emit;
    so.initial = sweep_range;
    so.process = sweep_process;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 8)), 0);
    assert_int_equal(rill_frame(p, "sweep", &f, NULL), 0);
    assert_int_equal(rill_splittable(p, "points", &so, NULL), 0);
    assert_int_equal(rill_frame_end(p, "gather", NULL, sweep_end, NULL), 0);
    return p;
}

/* A state file name (a template ending in XXXXXX) rank 0 makes unique and
 * every rank learns; removed with its WAL files once every rank is done. */
static void state_path(char *path, size_t size)
{
    int fd;
    if (rank == 0) {
        assert_true((fd = mkstemp(path)) >= 0);
        close(fd);
        unlink(path);
    }
    MPI_Bcast(path, (int)size, MPI_CHAR, 0, MPI_COMM_WORLD);
}

static void state_remove(const char *path)
{
    char side[64];
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank != 0)
        return;
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/* Checkpoints every 20 ms while frames opened on every rank split their
 * units for idle ranks, and while a merged reducer's stores come home: each
 * one drains the other ranks first. The run neither hangs nor loses or
 * doubles anything. */
static void checkpoints_drain_every_rank(void **state)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    char path[] = "/tmp/rill_mpi_ckptXXXXXX";
    rill_pipeline *p = sweeps();
    rill_batch *res;
    (void)state;
    state_path(path, sizeof(path));
    co.path = path;
    co.interval = 0.02;
    r.store_size = sizeof(sum_store);
    r.add = sum_add;
    r.merge = sum_merge;
    r.emit = sum_emit;
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0) {
        rill_record rec;
        int64_t sum, adds;
        assert_int_equal(rill_batch_count(res), 1);
        assert_int_equal(rill_batch_get(&rec, res, 0), 0);
        assert_int_equal(rill_record_unpack(&rec, "ii", &sum, &adds), 0);
        assert_int_equal(adds, 8);        /* each frame once */
        assert_int_equal(sum, 8 * 300);   /* each point once */
    }
    state_remove(path);
    atomic_store(&calls_here, 0);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* Results of a checkpointed run, on rank 0: numbered 0, 1, 2... in the
 * order given, each once, while checkpoints drain the ranks. */
typedef struct numbered {
    int n, in_order;
    int64_t sum;
} numbered;

static int on_numbered(const rill_record *r, void *payload)
{
    numbered *u = payload;
    u->in_order &= rill_result_sequence() == u->n;
    u->n++;
    u->sum += i64(r);
    return 0;
}

static void held_results_are_given_once_in_order_across_ranks(void **state)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    char path[] = "/tmp/rill_mpi_heldXXXXXX";
    rill_pipeline *p = slow_jobs();
    numbered u = {0, 1, 0};
    (void)state;
    state_path(path, sizeof(path));
    co.path = path;
    co.interval = 0.01;
    assert_int_equal(rill_result(p, on_numbered, &u), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    {
        rill_run_options o = with_workers(2);
        o.batch_records = 16;
        assert_int_equal(rill_run(p, &o, NULL), 0);
    }
    if (rank == 0) {
        assert_int_equal(u.n, 600);
        assert_true(u.in_order);
        assert_int_equal(u.sum, 599 * 600); /* 2x each of 0..599, once */
    } else {
        assert_int_equal(u.n, 0);
    }
    state_remove(path);
    atomic_store(&calls_here, 0);
    rill_pipeline_free(p);
}

typedef struct seen_progress {
    double most_done, most_total;
    int reports;
} seen_progress;

static void on_progress(const rill_progress *pr, void *payload)
{
    seen_progress *s = payload;
    s->reports++;
    if (pr->completed > s->most_done)
        s->most_done = pr->completed;
    if (pr->completed + pr->remaining > s->most_total)
        s->most_total = pr->completed + pr->remaining;
}

/* Rank 0's progress report counts every rank's splittable work: what is
 * done, once, wherever it ran. */
static void progress_counts_every_rank(void **state)
{
    seen_progress seen = {0, 0, 0};
    rill_pipeline *p = sweeps();
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_on_progress(p, 2, on_progress, &seen), 0);
    assert_int_equal(run_it(p, 2, &res), 0);
    if (rank == 0) {
        assert_true(seen.reports > 0);
        assert_true(seen.most_done <= 8 * 300 + 0.5); /* done once, where it ran */
        /* rank 0 alone does about 1/ranks of it: the others' work is in */
        assert_true(seen.most_done >= 8 * 300 * 0.6);
        /* a unit on its way between two ranks' reports may be in both for
         * one interval, no more */
        assert_true(seen.most_total <= 8 * 300 * 1.5);
    } else {
        assert_int_equal(seen.reports, 0); /* the report is rank 0's */
    }
    atomic_store(&calls_here, 0);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* ---- errors ---- */

static int picky(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    usleep(100);
    if (i64(in) == 777) {
        rill_error_set("777 is not allowed");
        return -1;
    }
    return rill_emit_record(out, in);
}

static void an_error_on_any_rank_stops_every_rank(void **state)
{
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2000)), 0);
    assert_int_equal(rill_job(p, "picky", NULL, picky, NULL), 0);
    assert_int_equal(run_it(p, 2, &res), RILL_EUSER);
    assert_null(res);
    assert_non_null(strstr(rill_error_last(), "picky"));
    assert_non_null(strstr(rill_error_last(), "777 is not allowed"));
    rill_pipeline_free(p);
    /* and the next run on the same ranks is clean */
    jobs_spread_over_ranks(state);
}

static int refuse_finish(const rill_batch *results, void *payload)
{
    (void)payload;
    if (rill_batch_count(results) != 600)
        return -2;
    rill_error_set("finish refuses");
    return -1;
}

/* finish runs on rank 0 once every rank's work is done; its error still
 * reaches every rank's caller. */
static void an_error_of_finish_reaches_every_rank(void **state)
{
    rill_pipeline *p = slow_jobs();
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_finish(p, refuse_finish, NULL), 0);
    assert_int_equal(run_it(p, 2, &res), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "finish refuses"));
    atomic_store(&calls_here, 0);
    rill_pipeline_free(p);
}

/* A stream pulls on rank 0 what every rank made; the other ranks' streams
 * end empty once rank 0's has ended, and every rank closes cleanly, also
 * when rank 0 waits on the others between its last read and its close. */
static void streams_end_on_every_rank(void **state)
{
    rill_run_options o = with_workers(2);
    rill_pipeline *p = slow_jobs();
    rill_stream *st;
    rill_batch *b;
    size_t got = 0;
    int rc;
    (void)state;
    assert_int_equal(rill_stream_open(&st, p, &o), 0);
    while ((rc = rill_stream_next(&b, NULL, st)) > 0) {
        got += rill_batch_count(b);
        rill_batch_free(b);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(got, rank == 0 ? 600 : 0);
    MPI_Barrier(MPI_COMM_WORLD); /* every stream has ended before any closes */
    rill_stream_close(st);
    atomic_store(&calls_here, 0);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jobs_spread_over_ranks),
        cmocka_unit_test(reducer_merges_every_ranks_store_once),
        cmocka_unit_test(init_work_is_reduced_once_across_ranks),
        cmocka_unit_test(frames_keep_their_rounds_across_ranks),
        cmocka_unit_test(combine_counts_every_key_once),
        cmocka_unit_test(combine_sends_keys_to_their_ranks),
        cmocka_unit_test(line_source_is_split_over_ranks),
        cmocka_unit_test(work_asked_for_ahead_is_not_handed_back_and_forth),
        cmocka_unit_test(checkpoints_drain_every_rank),
        cmocka_unit_test(held_results_are_given_once_in_order_across_ranks),
        cmocka_unit_test(progress_counts_every_rank),
        cmocka_unit_test(an_error_on_any_rank_stops_every_rank),
        cmocka_unit_test(an_error_of_finish_reaches_every_rank),
        cmocka_unit_test(streams_end_on_every_rank),
    };
    rank = rill_rank();
    ranks = rill_ranks();
    if (rank != 0 && freopen("/dev/null", "w", stdout) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
