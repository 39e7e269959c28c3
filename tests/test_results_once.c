/* test_results_once.c — results of a checkpointed run are given to the
 * result and output callbacks once the checkpoint covering them is
 * committed, each with a sequence number that a resume gives again
 * (rill/checkpoint.h, rill_result_sequence): a callback that remembers the
 * numbers it has seen is exactly once, across failures and kill -9. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "rill.h"
#include "helpers.h"
#include "state_helpers.h"

#define N 2000

/* What the callbacks saw: each result's number and value, in call order. */
typedef struct seen {
    rill_pipeline *p;
    int64_t ask_at, fail_at;  /* the job asks for a checkpoint / fails there */
    int armed;
    int result_fails_at;      /* the result callback fails at its n-th call (0: never) */
    int64_t seq[4 * N], val[4 * N];
    int n;
    atomic_int done;          /* records the job processed */
    int finish_saw;           /* results the callback had seen when finish ran */
    int log_fd;               /* >= 0: results are also appended here as text */
} seen;

static int job(rill_emitter *out, const rill_record *in, void *payload)
{
    seen *s = payload;
    int64_t x = i64(in);
    if (x == s->ask_at)
        rill_checkpoint_request(s->p);
    if (s->armed && x == s->fail_at) {
        rill_error_set("fails at %lld", (long long)x);
        return -1;
    }
    atomic_fetch_add(&s->done, 1);
    return rill_emit_int64(out, x + 1);
}

static int on_result(const rill_record *r, void *payload)
{
    seen *s = payload;
    if (s->result_fails_at && s->n + 1 == s->result_fails_at) {
        rill_error_set("the result's store is down");
        return -1;
    }
    s->seq[s->n] = rill_result_sequence();
    s->val[s->n] = i64(r);
    if (s->log_fd >= 0) {
        char line[64];
        int len = snprintf(line, sizeof(line), "%lld %lld\n", (long long)s->seq[s->n],
                           (long long)s->val[s->n]);
        if (write(s->log_fd, line, (size_t)len) != len)
            return -1;
    }
    s->n++;
    return 0;
}

static int on_finish(const rill_batch *results, void *payload)
{
    seen *s = payload;
    (void)results;
    s->finish_saw = s->n;
    return 0;
}

static rill_pipeline *pipeline(seen *s, int resume, int at_once, double interval)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p;
    co.path = state;
    co.resume = resume;
    co.at_once = at_once;
    co.interval = interval;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, N)), 0);
    assert_int_equal(rill_job(p, "plus one", NULL, job, s), 0);
    assert_int_equal(rill_result(p, on_result, s), 0);
    assert_int_equal(rill_finish(p, on_finish, s), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    s->p = p;
    return p;
}

/* Every number 0..N-1 once with one value, the values 1..N once each;
 * numbers seen twice carry the value they had. */
static void assert_exactly_once_by_number(const int64_t *seq, const int64_t *val, int n)
{
    int64_t *by = malloc(N * sizeof(*by));
    char *have = calloc(N + 1, 1), *vals = calloc(N + 2, 1);
    int i, distinct = 0;
    assert_non_null(by), assert_non_null(have), assert_non_null(vals);
    for (i = 0; i < n; i++) {
        assert_true(seq[i] >= 0 && seq[i] < N);
        if (have[seq[i]]) {
            assert_int_equal(by[seq[i]], val[i]); /* the same number, the same record */
            continue;
        }
        have[seq[i]] = 1;
        by[seq[i]] = val[i];
        distinct++;
    }
    assert_int_equal(distinct, N);
    for (i = 0; i < N; i++) {
        assert_true(by[i] >= 1 && by[i] <= N);
        assert_false(vals[by[i]]);
        vals[by[i]] = 1;
    }
    free(by), free(have), free(vals);
}

static seen *new_seen(void)
{
    seen *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->log_fd = -1;
    return s;
}

static void a_run_that_fails_after_a_checkpoint_gives_each_result_once(void **st)
{
    int w;
    (void)st;
    for (w = 1; w <= 2; w++) {
        rill_run_options o = with_workers(w);
        seen *s = new_seen();
        rill_pipeline *p;
        int i;
        fresh_state();
        o.batch_records = 16;
        s->ask_at = 600;
        s->fail_at = 1500;
        s->armed = 1;
        p = pipeline(s, 0, 0, 0);
        assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
        assert_int_equal(rill_checkpoint_count(p), 1); /* the one asked for at 600 */
        /* only what the checkpoint covered was given, numbered from 0 */
        assert_true(s->n > 0 && s->n < 1500);
        for (i = 0; i < s->n; i++)
            assert_int_equal(s->seq[i], i);
        rill_pipeline_free(p);
        s->armed = 0;
        p = pipeline(s, 1, 0, 0);
        assert_int_equal(rill_run(p, &o, NULL), 0);
        assert_int_equal(rill_checkpoint_restored(p), 1);
        assert_int_equal(s->n, N); /* none twice */
        for (i = 0; i < s->n; i++)
            assert_int_equal(s->seq[i], i);
        assert_exactly_once_by_number(s->seq, s->val, s->n);
        assert_int_equal(s->finish_saw, N); /* finish comes after every result */
        rill_pipeline_free(p);
        free(s);
    }
}

static void without_a_checkpoint_results_wait_for_the_end_of_the_work(void **st)
{
    seen *s = new_seen();
    rill_pipeline *p;
    (void)st;
    fresh_state();
    s->ask_at = -1;
    p = pipeline(s, 0, 0, 0);
    s->result_fails_at = 1; /* looks at the job's count at the first result */
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EUSER);
    assert_int_equal(atomic_load(&s->done), N);
    assert_non_null(strstr(rill_error_last(), "the result's store is down"));
    rill_pipeline_free(p);
    free(s);
}

/* The window: a callback that fails while the held results are given is
 * given them again on resume, under the same numbers. */
static void results_given_again_after_a_failure_keep_their_numbers(void **st)
{
    seen *s = new_seen();
    rill_pipeline *p;
    int first;
    (void)st;
    fresh_state();
    s->ask_at = -1;
    s->result_fails_at = 700;
    p = pipeline(s, 0, 0, 0);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "record 699"));
    rill_pipeline_free(p);
    first = s->n;
    assert_int_equal(first, 699);
    s->result_fails_at = 0;
    p = pipeline(s, 1, 0, 0);
    assert_int_equal(rill_run(p, NULL, NULL), 0);
    assert_int_equal(s->n, first + N);
    assert_int_equal(s->seq[first], 0); /* the complete checkpoint's, from its start */
    assert_exactly_once_by_number(s->seq, s->val, s->n);
    rill_pipeline_free(p);
    free(s);
}

/* at_once: at least once, as results come. */
static void at_once_gives_results_as_they_come_and_again_after_a_resume(void **st)
{
    rill_run_options o = with_workers(1);
    seen *s = new_seen();
    rill_pipeline *p;
    (void)st;
    fresh_state();
    o.batch_records = 16;
    s->ask_at = 600;
    s->fail_at = 1500;
    s->armed = 1;
    p = pipeline(s, 0, 1, 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    assert_true(s->n >= 1400); /* what came before the failure */
    rill_pipeline_free(p);
    s->armed = 0;
    p = pipeline(s, 1, 1, 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_true(s->n > N); /* those after the checkpoint twice */
    rill_pipeline_free(p);
    free(s);
}

static int on_output(const char *sink, const rill_batch *b, void *payload)
{
    seen *s = payload;
    size_t i;
    (void)sink;
    for (i = 0; i < rill_batch_count(b); i++) {
        rill_record r;
        rill_batch_get(&r, b, i);
        s->seq[s->n] = rill_result_sequence() + (int64_t)i;
        s->val[s->n++] = i64(&r);
    }
    return 0;
}

static int task_plus_one(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    int rc = 0;
    for (i = 0; i < n && rc == 0; i++)
        rc = job(out, &in[i], payload);
    return rc;
}

static void an_output_callback_is_numbered_by_its_first_record(void **st)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    seen *s = new_seen();
    rill_pipeline *p;
    int i;
    (void)st;
    fresh_state();
    co.path = state;
    s->ask_at = 900;
    assert_int_equal(rill_result_sequence(), -1);
    assert_int_equal(rill_pipeline_new(&p), 0);
    s->p = p;
    assert_int_equal(rill_work(p, ints(0, N)), 0);
    assert_int_equal(rill_task(p, "plus one", NULL, task_plus_one, s), 0);
    assert_int_equal(rill_output(p, on_output, s), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    assert_int_equal(rill_run(p, NULL, NULL), 0);
    assert_int_equal(s->n, N);
    for (i = 0; i < s->n; i++)
        assert_int_equal(s->seq[i], i);
    assert_exactly_once_by_number(s->seq, s->val, s->n);
    assert_int_equal(rill_result_sequence(), -1);
    rill_pipeline_free(p);
    free(s);
}

/* ---- kill -9 at random moments ---- */

static int slow_job(rill_emitter *out, const rill_record *in, void *payload)
{
    struct timespec ts = {0, 200000}; /* 0.2 ms a record: about 0.2 s a run */
    nanosleep(&ts, NULL);
    return job(out, in, payload);
}

/* A child runs (resume set) with the results appended to log; killed after
 * kill_us unless it ends first. Returns whether it finished by itself. */
static int run_child(const char *log, long kill_us)
{
    pid_t pid = fork();
    int status;
    assert_true(pid >= 0);
    if (pid == 0) {
        rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
        rill_run_options o = with_workers(2);
        seen *s = new_seen();
        rill_pipeline *p;
        int rc;
        s->ask_at = -1;
        s->log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        co.path = state;
        co.resume = 1;
        co.interval = 0.005;
        o.batch_records = 8;
        rill_pipeline_new(&p);
        s->p = p;
        rill_work(p, ints(0, N));
        rill_job(p, "plus one", NULL, slow_job, s);
        rill_result(p, on_result, s);
        rill_checkpointing(p, &co);
        rc = rill_run(p, &o, NULL);
        _exit(rc == 0 || rc == RILL_EFINISHED ? 0 : 1);
    }
    if (kill_us > 0) {
        struct timespec ts = {kill_us / 1000000, (kill_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return 1;
}

static void results_numbered_across_kills_are_exactly_once_by_number(void **st)
{
    unsigned seed;
    int killed = 0;
    (void)st;
    for (seed = 1; seed <= 6; seed++) {
        char log[400];
        int64_t *seq = malloc(8 * N * sizeof(*seq)), *val = malloc(8 * N * sizeof(*val));
        long n = 0, a, b;
        int kills = 0;
        FILE *f;
        fresh_state();
        snprintf(log, sizeof(log), "%s/results.log", dir);
        unlink(log);
        srand(seed);
        while (kills < 3 && !run_child(log, 20000 + rand() % 150000))
            kills++;
        killed += kills;
        if (kills == 3)
            assert_true(run_child(log, 0));
        f = fopen(log, "r");
        assert_non_null(f);
        while (n < 8 * N && fscanf(f, "%ld %ld", &a, &b) == 2) {
            seq[n] = a;
            val[n++] = b;
        }
        fclose(f);
        assert_exactly_once_by_number(seq, val, (int)n);
        free(seq), free(val);
    }
    assert_true(killed >= 3); /* the runs were cut, not only finished */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_run_that_fails_after_a_checkpoint_gives_each_result_once),
        cmocka_unit_test(without_a_checkpoint_results_wait_for_the_end_of_the_work),
        cmocka_unit_test(results_given_again_after_a_failure_keep_their_numbers),
        cmocka_unit_test(at_once_gives_results_as_they_come_and_again_after_a_resume),
        cmocka_unit_test(an_output_callback_is_numbered_by_its_first_record),
        cmocka_unit_test(results_numbered_across_kills_are_exactly_once_by_number),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
