/* test_stats_live.c — rill_pipeline_stats while a run goes: from another
 * thread, halfway through a run held at a known record, it gives the
 * figures so far (records in already routed, records out not all there);
 * from the run's own progress callback (a paced sequence), figures that
 * only grow and end at those of the finished run; records in as the stages before sent them,
 * also into a combine that folds them straight in. The tsan build runs
 * this suite for the reads racing the workers' writes. */
#include <pthread.h>
#include <time.h>

#include "helpers.h"

#define N 20000 /* values through the pipeline */
#define HALF (N / 2)

/* ---- a generator of N int64 values, 100 a batch ---- */

typedef struct counter {
    int64_t next;
} counter;

static int generate(rill_batch *out, void *payload)
{
    counter *c = payload;
    int i;
    if (c->next >= N)
        return 0;
    for (i = 0; i < 100 && c->next < N; i++)
        if (rill_batch_add_int64(out, c->next++) < 0)
            return -1;
    return 1;
}

/* ---- held at the value HALF until the watcher has looked ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int at_half, looked;

static int gate(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++) {
        if (i64(&in[i]) == HALF) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 30; /* a watcher that never looks fails the test, not hangs it */
            pthread_mutex_lock(&mu);
            at_half = 1;
            pthread_cond_broadcast(&cv);
            while (!looked && pthread_cond_timedwait(&cv, &mu, &until) == 0)
                ;
            pthread_mutex_unlock(&mu);
        }
        if (rill_emit_record(out, &in[i]) != 0)
            return -1;
    }
    return 0;
}

static int evens(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++)
        if (i64(&in[i]) % 2 == 0 && rill_emit_record(out, &in[i]) != 0)
            return -1;
    return 0;
}

static rill_pipeline *gated(counter *c)
{
    rill_pipeline *p;
    c->next = 0;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, c), 0);
    assert_int_equal(rill_task(p, "gate", NULL, gate, NULL), 0);
    assert_int_equal(rill_task(p, "evens", NULL, evens, NULL), 0);
    return p;
}

typedef struct watch {
    rill_pipeline *p;
    rill_stage_stats gate, evens; /* what it saw at the halfway mark */
    int rc;
} watch;

static void *watcher(void *arg)
{
    watch *w = arg;
    pthread_mutex_lock(&mu);
    while (!at_half)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    w->rc = rill_pipeline_stats(&w->gate, w->p, "gate");
    if (w->rc == 0)
        w->rc = rill_pipeline_stats(&w->evens, w->p, "evens");
    pthread_mutex_lock(&mu);
    looked = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void another_thread_sees_the_figures_so_far(void **state)
{
    counter c;
    rill_pipeline *p = gated(&c);
    rill_run_options ro = with_workers(2);
    rill_stage_stats end;
    pthread_t t;
    watch w;
    (void)state;
    memset(&w, 0, sizeof(w));
    w.p = p;
    at_half = looked = 0;
    ro.batch_records = 100;
    assert_int_equal(pthread_create(&t, NULL, watcher, &w), 0);
    assert_int_equal(rill_run(p, &ro, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, 0);
    assert_true(looked);
    /* the value HALF was routed to the gate, which has not emitted it yet;
     * the batch before it may still be on its way from the other worker's
     * pull (pulls are one at a time, their routing is not) */
    assert_true(w.gate.records_in >= HALF + 1 - 100);
    assert_true(w.gate.records_in > w.gate.records_out);
    assert_true(w.gate.records_out < N);
    assert_true(w.gate.calls >= 1);
    assert_true(w.gate.workers >= 1);
    assert_true(w.evens.records_out < N / 2);
    /* after the run: all of it */
    assert_int_equal(rill_pipeline_stats(&end, p, "gate"), 0);
    assert_int_equal(end.records_in, N);
    assert_int_equal(end.records_out, N);
    assert_true(end.records_out > w.gate.records_out);
    assert_true(end.calls >= w.gate.calls);
    assert_int_equal(rill_pipeline_stats(&end, p, "evens"), 0);
    assert_int_equal(end.records_in, N);
    assert_int_equal(end.records_out, N / 2);
    rill_pipeline_free(p);
}

/* ---- from the run's own progress callback ---- */

#define PACED 5000 /* values of a sequence paced at 10000 a second */
#define MAX_SEEN 4096

typedef struct seen {
    rill_pipeline *p;
    size_t n;
    int failed;
    rill_stage_stats numbers[MAX_SEEN], evens[MAX_SEEN];
} seen;

static void on_progress(const rill_progress *pr, void *payload)
{
    seen *s = payload;
    (void)pr;
    if (s->n == MAX_SEEN)
        return;
    if (rill_pipeline_stats(&s->numbers[s->n], s->p, "numbers") != 0 ||
        rill_pipeline_stats(&s->evens[s->n], s->p, "evens") != 0)
        s->failed = 1;
    s->n++;
}

/* A paced sequence (its unit goes back to the queue between its steps: a
 * progress report comes after each) through evens, the progress callback
 * reading the stats at every report: what it saw (caller frees) and the
 * final figures. */
static seen *watched_run(int workers, rill_stage_stats *numbers_end, rill_stage_stats *evens_end)
{
    seen *s = calloc(1, sizeof(*s));
    rill_pipeline *p;
    rill_run_options ro = with_workers(workers);
    assert_non_null(s);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "numbers", 0, PACED, 10000), 0);
    assert_int_equal(rill_task(p, "evens", NULL, evens, NULL), 0);
    s->p = p;
    assert_int_equal(rill_on_progress(p, 1, on_progress, s), 0);
    assert_int_equal(rill_run(p, &ro, NULL), 0);
    assert_false(s->failed);
    assert_int_equal(rill_pipeline_stats(numbers_end, p, "numbers"), 0);
    assert_int_equal(rill_pipeline_stats(evens_end, p, "evens"), 0);
    rill_pipeline_free(p);
    return s;
}

static void a_progress_callback_sees_counts_that_grow(void **state)
{
    rill_stage_stats numbers, ev;
    seen *s;
    size_t i;
    int workers;
    (void)state;
    for (workers = 1; workers <= 2; workers++) {
        s = watched_run(workers, &numbers, &ev);
        assert_int_equal(numbers.records_out, PACED);
        assert_int_equal(ev.records_in, PACED);
        assert_int_equal(ev.records_out, PACED / 2);
        /* reports all along the half second, the first well before the end */
        assert_true(s->n >= 2);
        assert_true(s->numbers[0].records_out < PACED);
        for (i = 0; i < s->n; i++) {
            assert_true(s->numbers[i].records_out <= PACED);
            assert_true(s->evens[i].records_out <= s->evens[i].records_in);
            if (i > 0) { /* never down */
                assert_true(s->numbers[i].records_out >= s->numbers[i - 1].records_out);
                assert_true(s->numbers[i].calls >= s->numbers[i - 1].calls);
                assert_true(s->evens[i].records_in >= s->evens[i - 1].records_in);
                assert_true(s->evens[i].records_out >= s->evens[i - 1].records_out);
            }
        }
        free(s);
    }
}

/* ---- records in, counted where they arrive ---- */

static int split_pairs(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++) { /* two keyed records per value, folded by the combine */
        char key = (char)('a' + i64(&in[i]) % 3);
        if (rill_emit_keyed(out, &key, 1, NULL, 0) != 0 ||
            rill_emit_keyed(out, "z", 1, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

static void records_in_are_what_reached_a_stage_also_through_a_combine(void **state)
{
    rill_pipeline *p;
    rill_combine_options co = RILL_COMBINE_SUM_INT64;
    rill_run_options ro = with_workers(2);
    rill_stage_stats st;
    rill_batch *out = NULL;
    counter c = {0};
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, &c), 0);
    assert_int_equal(rill_task(p, "pairs", NULL, split_pairs, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &co, NULL), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_batch_count(out), 4); /* a, b, c and z */
    assert_int_equal(rill_pipeline_stats(&st, p, "pairs"), 0);
    assert_int_equal(st.records_in, N);
    assert_int_equal(st.records_out, 2 * N);
    assert_int_equal(rill_pipeline_stats(&st, p, "count"), 0);
    assert_int_equal(st.records_in, 2 * N);
    assert_int_equal(st.records_out, 4);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void a_pipeline_that_never_ran_has_no_figures(void **state)
{
    rill_pipeline *p;
    rill_stage_stats st;
    counter c = {0};
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, &c), 0);
    assert_int_equal(rill_task(p, "pairs", NULL, split_pairs, NULL), 0);
    assert_int_equal(rill_pipeline_stats(&st, p, "pairs"), RILL_ENOTFOUND);
    assert_int_equal(rill_pipeline_stats(&st, p, "nope"), RILL_ENOTFOUND);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(another_thread_sees_the_figures_so_far),
        cmocka_unit_test(a_progress_callback_sees_counts_that_grow),
        cmocka_unit_test(records_in_are_what_reached_a_stage_also_through_a_combine),
        cmocka_unit_test(a_pipeline_that_never_ran_has_no_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
