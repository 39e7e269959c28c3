/* test_parallel.c — parallel execution: the same results with 1, 2 and 8
 * workers and any batch size; a serial stage never runs two calls at once;
 * a run with several workers really spreads the work over threads; a table
 * of many batches emitted at the end, while the other workers are idle,
 * reaches the results and the result callback whole, once, in sequence. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "helpers.h"

/* x -> x*x, and x % 3 more copies of x. */
static int square_and_copies(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in), i;
    (void)payload;
    if (rill_emit_int64(out, x * x) != 0)
        return -1;
    for (i = 0; i < x % 3; i++)
        if (rill_emit_int64(out, x) != 0)
            return -1;
    return 0;
}

static int key_by_mod(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in);
    char key[16];
    int n = snprintf(key, sizeof(key), "k%lld", (long long)(x % 97));
    (void)payload;
    return rill_emit_keyed(out, key, (size_t)n, &x, sizeof(x));
}

static int value_of(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x = i64(in);
    (void)payload;
    return rill_emit_int64(out, x * 1000 + (int64_t)in->key_len);
}

static int64_t *run_mixed(int workers, size_t batch, size_t *n)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_run_options o = with_workers(workers);
    rill_pipeline *p;
    rill_batch *res;
    int64_t *v;
    o.batch_records = batch;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 30000)), 0);
    assert_int_equal(rill_job(p, "square", NULL, square_and_copies, NULL), 0);
    assert_int_equal(rill_job(p, "key", NULL, key_by_mod, NULL), 0);
    assert_int_equal(rill_combine(p, "sum", &sum, NULL), 0);
    assert_int_equal(rill_job(p, "value", NULL, value_of, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, n);
    rill_batch_free(res);
    rill_pipeline_free(p);
    return v;
}

static void results_are_identical_with_1_2_and_8_workers(void **state)
{
    static const int workers[] = {2, 8};
    static const size_t batches[] = {1, 7, 1024, 100000};
    size_t n1, n, i, b;
    int64_t *one = run_mixed(1, 0, &n1);
    (void)state;
    assert_int_equal(n1, 97);
    for (i = 0; i < 2; i++)
        for (b = 0; b < 4; b++) {
            int64_t *v = run_mixed(workers[i], batches[b], &n);
            assert_int_equal(n, n1);
            assert_memory_equal(v, one, n * sizeof(*v));
            free(v);
        }
    free(one);
}

static atomic_int inside, most_inside;

static int track_concurrency(rill_emitter *out, const rill_record *in, void *payload)
{
    int now = atomic_fetch_add(&inside, 1) + 1, seen = atomic_load(&most_inside);
    struct timespec pause = {0, 20000};
    (void)payload;
    while (now > seen && !atomic_compare_exchange_weak(&most_inside, &seen, now))
        ;
    nanosleep(&pause, NULL);
    atomic_fetch_sub(&inside, 1);
    return rill_emit_record(out, in);
}

static void a_serial_stage_never_runs_two_calls_at_once(void **state)
{
    rill_stage_options serial = RILL_STAGE_OPTIONS_INIT;
    rill_run_options o = with_workers(8);
    rill_pipeline *p;
    rill_batch *res;
    size_t n, i;
    int64_t *v;
    (void)state;
    serial.serial = 1;
    o.batch_records = 4;
    atomic_store(&most_inside, 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 2000)), 0);
    assert_int_equal(rill_job(p, "square", NULL, square_and_copies, NULL), 0);
    assert_int_equal(rill_job(p, "serial", &serial, track_concurrency, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(atomic_load(&most_inside), 1);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 2000 + 1999); /* 0..1999 squared, plus x % 3 copies */
    for (i = 1; i < n; i++)
        assert_true(v[i - 1] <= v[i]);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* The first call waits (up to 20 s) for a call from another thread: with 2
 * workers it returns as soon as the second worker takes work. */
typedef struct rendezvous {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t first;
    int have_first, met;
} rendezvous;

static int meet(rill_emitter *out, const rill_record *in, void *payload)
{
    rendezvous *r = payload;
    pthread_mutex_lock(&r->mu);
    if (!r->have_first) {
        struct timespec until;
        r->have_first = 1;
        r->first = pthread_self();
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 20;
        while (!r->met && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
            ;
    } else if (!pthread_equal(r->first, pthread_self())) {
        r->met = 1;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return rill_emit_record(out, in);
}

static void two_workers_process_records_at_the_same_time(void **state)
{
    rendezvous r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *res;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 100)), 0);
    assert_int_equal(rill_job(p, "meet", &so, meet, &r), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    assert_int_equal(rill_batch_count(res), 100);
    assert_true(r.met);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* Each record x is the key (x % 5000); the combine counts them. */
static int key_of(rill_emitter *out, const rill_record *in, void *payload)
{
    char key[16];
    int n = snprintf(key, sizeof(key), "k%lld", (long long)(i64(in) % 5000));
    (void)payload;
    return rill_emit_keyed(out, key, (size_t)n, NULL, 0);
}

typedef struct seen {
    int64_t calls, next_sequence, total;
    int in_order;
} seen;

static int on_result(const rill_record *rec, void *payload)
{
    seen *s = payload;
    int64_t v;
    if (rill_result_sequence() != s->next_sequence++)
        s->in_order = 0;
    s->calls++;
    if (rill_record_int64(&v, rec) < 0)
        return -1;
    s->total += v;
    return 0;
}

static void a_table_emitted_at_the_end_reaches_the_results_whole(void **state)
{
    static const int workers[] = {1, 2, 8};
    size_t w, i;
    (void)state;
    for (w = 0; w < 3; w++) {
        rill_combine_options sum = RILL_COMBINE_SUM_INT64;
        rill_run_options o = with_workers(workers[w]);
        seen s = {0, 0, 0, 1};
        char *hit = calloc(5000, 1);
        rill_pipeline *p;
        rill_batch *res;
        assert_non_null(hit);
        o.batch_records = 16; /* 313 result batches, given while others idle */
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 20000)), 0);
        assert_int_equal(rill_job(p, "key", NULL, key_of, NULL), 0);
        assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
        assert_int_equal(rill_result(p, on_result, &s), 0);
        assert_int_equal(rill_run(p, &o, &res), 0);
        assert_int_equal(rill_batch_count(res), 5000);
        for (i = 0; i < 5000; i++) {
            rill_record r;
            char key[8] = "";
            int k;
            assert_int_equal(rill_batch_get(&r, res, i), 0);
            assert_true(r.key_len > 1 && r.key_len < sizeof(key));
            memcpy(key, r.key, r.key_len);
            assert_int_equal(key[0], 'k');
            k = atoi(key + 1);
            assert_true(k >= 0 && k < 5000);
            assert_int_equal(hit[k], 0);
            hit[k] = 1;
            assert_int_equal(i64(&r), 4);
        }
        assert_int_equal(s.calls, 5000);
        assert_int_equal(s.total, 20000);
        assert_true(s.in_order);
        free(hit);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(results_are_identical_with_1_2_and_8_workers),
        cmocka_unit_test(a_serial_stage_never_runs_two_calls_at_once),
        cmocka_unit_test(two_workers_process_records_at_the_same_time),
        cmocka_unit_test(a_table_emitted_at_the_end_reaches_the_results_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
