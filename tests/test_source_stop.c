/* test_source_stop.c — rill_source_stop: a run whose source never ends by
 * itself (an endless sequence, an endless generator, a FIFO its writer
 * keeps open, a followed file) ends once a stage has what it needs, or
 * another thread asks; what it
 * read still goes through the pipeline (a reduce after the stopping stage
 * sees every record that stage passed), the run returns 0, and a
 * checkpointed run that ended so is finished.
 *
 * A case that does not stop hangs; an alarm turns that into a failure. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* head, as the rill command's: passes the first n records to reach it,
 * then asks for no more input and drops the rest. */
typedef struct head {
    rill_pipeline *p;
    int64_t n;
    atomic_llong passed;
} head;

static int head_job(rill_emitter *out, const rill_record *in, void *payload)
{
    head *h = payload;
    long long k = atomic_fetch_add(&h->passed, 1);
    if (k == h->n - 1)
        assert_int_equal(rill_source_stop(h->p), 0);
    if (k >= h->n)
        return 0;
    return rill_emit_record(out, in);
}

static head *head_new(rill_pipeline *p, int64_t n)
{
    head *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->p = p;
    h->n = n;
    atomic_init(&h->passed, 0);
    return h;
}

static void add_head(rill_pipeline *p, head *h)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    so.serial = 1;
    assert_int_equal(rill_job(p, "head", &so, head_job, h), 0);
}

/* A reducer counting what reaches it and summing the values. */
typedef struct tally {
    int64_t count, sum;
} tally;

static int tally_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                     void *payload)
{
    tally *t = store;
    size_t i;
    (void)recur;
    (void)payload;
    for (i = 0; i < n; i++) {
        t->count++;
        t->sum += i64(&in[i]);
    }
    return 0;
}

static int tally_merge(void *store, void *other, void *payload)
{
    tally *t = store, *o = other;
    (void)payload;
    t->count += o->count;
    t->sum += o->sum;
    return 0;
}

static void add_tally(rill_pipeline *p)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    r.store_size = sizeof(tally);
    r.add = tally_add;
    r.merge = tally_merge;
    assert_int_equal(rill_reduce(p, "tally", &r, NULL), 0);
}

static void an_endless_sequence_ends_with_the_first_n_records(void **state)
{
    int w;
    (void)state;
    for (w = 1; w <= 4; w *= 2) {
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res = NULL;
        head *h;
        int64_t *v;
        size_t n, i;
        assert_int_equal(rill_pipeline_new(&p), 0);
        h = head_new(p, 100);
        assert_int_equal(rill_sequence(p, "nums", 0, RILL_OFFSET_INFINITY, 0), 0);
        add_head(p, h);
        assert_int_equal(rill_run(p, &o, &res), 0);
        v = sorted_ints(res, &n);
        assert_int_equal(n, 100);
        for (i = 1; i < n; i++)
            assert_true(v[i] > v[i - 1]); /* distinct values */
        if (w == 1) /* one worker: the input's order */
            for (i = 0; i < n; i++)
                assert_int_equal(v[i], (int64_t)i);
        free(v);
        rill_batch_free(res);
        rill_pipeline_free(p);
        free(h);
    }
}

static void a_reduce_after_the_stop_gets_every_record_passed(void **state)
{
    int w;
    (void)state;
    for (w = 1; w <= 4; w *= 2) {
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res = NULL;
        rill_record r;
        const tally *t;
        head *h;
        assert_int_equal(rill_pipeline_new(&p), 0);
        h = head_new(p, 5000);
        assert_int_equal(rill_sequence(p, "nums", 0, RILL_OFFSET_INFINITY, 0), 0);
        add_head(p, h);
        add_tally(p);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 1);
        assert_int_equal(rill_batch_get(&r, res, 0), 0);
        assert_int_equal(r.len, sizeof(tally));
        t = r.data;
        assert_int_equal(t->count, 5000);
        if (w == 1)
            assert_int_equal(t->sum, 4999LL * 5000 / 2);
        rill_batch_free(res);
        rill_pipeline_free(p);
        free(h);
    }
}

static int endless_batches(rill_batch *out, void *payload)
{
    atomic_llong *next = payload;
    int i;
    for (i = 0; i < 64; i++)
        if (rill_batch_add_int64(out, atomic_fetch_add(next, 1)) < 0)
            return RILL_ENOMEM;
    return 1;
}

static void an_endless_generator_is_asked_no_more(void **state)
{
    int w;
    (void)state;
    for (w = 1; w <= 2; w++) {
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res = NULL;
        atomic_llong next;
        head *h;
        long long asked;
        atomic_init(&next, 0);
        assert_int_equal(rill_pipeline_new(&p), 0);
        h = head_new(p, 1000);
        assert_int_equal(rill_generator(p, endless_batches, &next), 0);
        add_head(p, h);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 1000);
        asked = atomic_load(&next);
        /* the generator gave what was pulled before the stop landed: far
         * from endless (the queues hold a few batches per worker) */
        assert_true(asked >= 1000 && asked < 1000 + 64 * (8 * w + 8));
        rill_batch_free(res);
        rill_pipeline_free(p);
        free(h);
    }
}

/* A FIFO with a writer that keeps it open: the stream reader must stop
 * waiting for bytes once no more input is wanted. */
static void a_fifo_held_open_ends_with_the_first_n_lines(void **state)
{
    char dir[] = "/tmp/rill-stop-XXXXXX", path[512];
    rill_pipeline *p;
    rill_batch *work, *res = NULL;
    rill_run_options o = with_workers(2);
    int wfd, rfd;
    head *h;
    size_t i;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    /* opened both ways here, so the writer's end stays open all along */
    assert_true((rfd = open(path, O_RDONLY | O_NONBLOCK)) >= 0);
    assert_true((wfd = open(path, O_WRONLY)) >= 0);
    assert_int_equal(write(wfd, "a\nb\nc\nd\ne\nf", 11), 11); /* f: not ended */
    assert_int_equal(rill_pipeline_new(&p), 0);
    h = head_new(p, 3);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", 0), 0);
    add_head(p, h);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 3);
    for (i = 0; i < 3; i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, res, i), 0);
        assert_int_equal(r.len, 1);
        assert_int_equal(((const char *)r.data)[0], "abc"[i]);
    }
    assert_int_equal(atomic_load(&h->passed), 5); /* d, e read and dropped; f not a line */
    rill_batch_free(res);
    rill_pipeline_free(p);
    free(h);
    close(wfd);
    close(rfd);
    unlink(path);
    rmdir(dir);
}

static void a_followed_file_ends_with_the_first_n_lines(void **state)
{
    char dir[] = "/tmp/rill-stop-XXXXXX", path[512];
    rill_pipeline *p;
    rill_batch *res = NULL;
    rill_run_options o = with_workers(2);
    head *h;
    FILE *f;
    int i;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/log", dir);
    assert_non_null(f = fopen(path, "w"));
    for (i = 0; i < 50; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    assert_int_equal(rill_pipeline_new(&p), 0);
    h = head_new(p, 7);
    assert_int_equal(rill_follow_file(p, path, NULL), 0);
    add_head(p, h);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 7);
    rill_batch_free(res);
    rill_pipeline_free(p);
    free(h);
    unlink(path);
    rmdir(dir);
}

/* Another thread stops a run whose followed file has nothing to give: the
 * source, waiting for input for poll_ms (10 minutes) at a time, sees it
 * within a slice (else the alarm fails the test). */
static void *stop_once_running(void *arg)
{
    rill_pipeline *p = arg;
    rill_stage_stats st;
    struct timespec t = {0, 5000000};
    while (rill_pipeline_stats(&st, p, "head") != 0) /* the run has started */
        nanosleep(&t, NULL);
    t.tv_nsec = 100000000; /* and is waiting for input */
    nanosleep(&t, NULL);
    assert_int_equal(rill_source_stop(p), 0);
    return NULL;
}

static void another_thread_stops_a_source_waiting_for_input(void **state)
{
    char dir[] = "/tmp/rill-stop-XXXXXX", path[512];
    rill_live_options lo = RILL_LIVE_OPTIONS_INIT;
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *res = NULL;
    pthread_t th;
    head *h;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/log", dir);
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
    lo.poll_ms = 600000;
    assert_int_equal(rill_pipeline_new(&p), 0);
    h = head_new(p, 10);
    assert_int_equal(rill_follow_file(p, path, &lo), 0);
    add_head(p, h);
    assert_int_equal(pthread_create(&th, NULL, stop_once_running, p), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(rill_batch_count(res), 0);
    rill_batch_free(res);
    rill_pipeline_free(p);
    free(h);
    unlink(path);
    rmdir(dir);
}

static void a_checkpointed_run_ended_by_a_stop_is_finished(void **state)
{
    char dir[] = "/tmp/rill-stop-XXXXXX", path[512];
    int w;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state.db", dir);
    for (w = 1; w <= 2; w++) {
        rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res = NULL;
        head *h;
        co.path = path;
        co.interval = 0.001; /* checkpoints before and after the stop */
        co.replace = 1;
        assert_int_equal(rill_pipeline_new(&p), 0);
        h = head_new(p, 20000);
        assert_int_equal(rill_sequence(p, "nums", 0, RILL_OFFSET_INFINITY, 0), 0);
        add_head(p, h);
        add_tally(p);
        assert_int_equal(rill_checkpointing(p, &co), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 1);
        rill_batch_free(res);
        co.resume = 1; /* nothing is left to read: the run had finished */
        assert_int_equal(rill_checkpointing(p, &co), 0);
        assert_int_equal(rill_run(p, &o, &res), RILL_EFINISHED);
        assert_null(res);
        rill_pipeline_free(p);
        free(h);
        unlink(path);
    }
    rmdir(dir);
}

/* A stop asked between runs is not kept for the next one; NULL is refused. */
static void a_stop_outside_a_run_changes_nothing(void **state)
{
    rill_pipeline *p;
    rill_batch *res = NULL;
    rill_run_options o = with_workers(2);
    (void)state;
    assert_int_equal(rill_source_stop(NULL), RILL_EINVAL);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3000)), 0);
    add_tally(p);
    assert_int_equal(rill_source_stop(p), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 1);
    {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, res, 0), 0);
        assert_int_equal(((const tally *)r.data)->count, 3000);
    }
    rill_batch_free(res);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_endless_sequence_ends_with_the_first_n_records),
        cmocka_unit_test(a_reduce_after_the_stop_gets_every_record_passed),
        cmocka_unit_test(an_endless_generator_is_asked_no_more),
        cmocka_unit_test(a_fifo_held_open_ends_with_the_first_n_lines),
        cmocka_unit_test(a_followed_file_ends_with_the_first_n_lines),
        cmocka_unit_test(another_thread_stops_a_source_waiting_for_input),
        cmocka_unit_test(a_checkpointed_run_ended_by_a_stop_is_finished),
        cmocka_unit_test(a_stop_outside_a_run_changes_nothing),
    };
    alarm(120); /* a run that does not stop fails here rather than hanging */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
