/* test_exec_checkpoint.c — exec stages (rill/exec.h) in checkpointed runs:
 * at each checkpoint the commands' input is closed and their output read
 * to the end, so that nothing a command holds is lost when the process is
 * killed after it. A child runs the pipeline with checkpoints every few
 * milliseconds and kills itself (SIGKILL) once two are taken; the resumed
 * run's answer must be the full one: a sum after awk (a reducer, closing
 * per reduction) and awk's lines themselves (a pipeline of streaming
 * stages, closing whole stages; its results numbered, each number once). */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"
#include "state_helpers.h"

#define N 3000

typedef struct killer {
    rill_pipeline *p;
    int kill_after; /* checkpoints; 0: never */
} killer;

/* Passes lines on, 0.2 ms each; dies (SIGKILL) once kill_after
 * checkpoints are taken. */
static int slow(rill_emitter *out, const rill_record *in, void *payload)
{
    killer *k = payload;
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
    if (k->kill_after && rill_checkpoint_count(k->p) >= k->kill_after)
        raise(SIGKILL);
    return rill_emit_record(out, in);
}

static int64_t text_int(const rill_record *r)
{
    char t[32];
    size_t n = r->len < sizeof(t) - 1 ? r->len : sizeof(t) - 1;
    memcpy(t, r->data, n);
    t[n] = '\0';
    return strtoll(t, NULL, 10);
}

static int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    size_t i;
    (void)recur;
    (void)payload;
    for (i = 0; i < n; i++)
        *(int64_t *)store += text_int(&in[i]);
    return 0;
}

static int sum_merge(void *store, void *other, void *payload)
{
    (void)payload;
    *(int64_t *)store += *(int64_t *)other;
    return 0;
}

/* Lines "i v", v = i * 7 % 100; their v summed. */
static rill_batch *lines(int64_t *sum)
{
    rill_batch *b;
    char t[64];
    int i;
    assert_int_equal(rill_batch_new(&b), 0);
    *sum = 0;
    for (i = 0; i < N; i++) {
        snprintf(t, sizeof(t), "%d %d", i, i * 7 % 100);
        assert_int_equal(rill_batch_add_text(b, t), 0);
        *sum += i * 7 % 100;
    }
    return b;
}

/* Each result as "sequence value\n", appended to the log. */
static int log_result(const rill_record *rec, void *payload)
{
    char t[64];
    int n = snprintf(t, sizeof(t), "%lld %lld\n", (long long)rill_result_sequence(),
                     (long long)text_int(rec));
    return write(*(int *)payload, t, (size_t)n) == n ? 0 : -1;
}

/* The pipeline: slow, awk printing the second field, then a sum (summed)
 * or nothing (the lines are its results, logged to log_fd). */
static rill_pipeline *pipeline(killer *k, int summed, int *log_fd, int64_t *want)
{
    const char *const second[] = {"awk", "{ print $2 }", NULL};
    rill_exec_options eo = RILL_EXEC_OPTIONS_INIT;
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    k->p = p;
    assert_int_equal(rill_work(p, lines(want)), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow, k), 0);
    eo.argv = second;
    assert_int_equal(rill_exec(p, "second", &eo), 0);
    if (summed) {
        rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
        r.store_size = sizeof(int64_t);
        r.add = sum_add;
        r.merge = sum_merge;
        assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    } else {
        assert_int_equal(rill_result(p, log_result, log_fd), 0);
    }
    co.path = state;
    co.resume = 1;
    co.interval = 0.005;
    assert_int_equal(rill_checkpointing(p, &co), 0);
    return p;
}

/* Runs the pipeline in a child that kills itself after two checkpoints;
 * asserts that it was killed. */
static void killed_run(int workers, int summed, const char *log)
{
    pid_t pid = fork();
    int status;
    assert_true(pid >= 0);
    if (pid == 0) {
        rill_run_options o = with_workers(workers);
        killer k = {NULL, 2};
        int64_t want;
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        rill_pipeline *p = pipeline(&k, summed, &fd, &want);
        o.batch_records = 16;
        rill_run(p, &o, NULL);
        _exit(3); /* not killed: the test fails below */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void a_sum_after_awk_survives_a_kill_after_a_checkpoint(void **st)
{
    int workers;
    (void)st;
    for (workers = 1; workers <= 2; workers++) {
        rill_run_options o = with_workers(workers);
        killer k = {NULL, 0};
        rill_batch *out = NULL;
        rill_record r;
        int64_t want;
        rill_pipeline *p;
        fresh_state();
        killed_run(workers, 1, "/dev/null");
        p = pipeline(&k, 1, NULL, &want);
        o.batch_records = 16;
        assert_int_equal(rill_run(p, &o, &out), 0);
        assert_int_equal(rill_batch_count(out), 1);
        assert_int_equal(rill_batch_get(&r, out, 0), 0);
        assert_int_equal(i64(&r), want);
        rill_batch_free(out);
        rill_pipeline_free(p);
    }
}

static void awks_lines_survive_a_kill_after_a_checkpoint_once_each(void **st)
{
    int workers;
    (void)st;
    for (workers = 1; workers <= 2; workers++) {
        rill_run_options o = with_workers(workers);
        killer k = {NULL, 0};
        char log[400], line[64];
        int64_t want, got = 0, *seen = calloc(N, sizeof(int64_t)), seq, v;
        size_t count = 0;
        int fd, rc;
        FILE *f;
        rill_pipeline *p;
        assert_non_null(seen);
        fresh_state();
        snprintf(log, sizeof(log), "%s/results.log", dir);
        unlink(log);
        killed_run(workers, 0, log);
        fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        p = pipeline(&k, 0, &fd, &want);
        o.batch_records = 16;
        rc = rill_run(p, &o, NULL);
        if (rc != 0)
            fail_msg("resumed run: %d: %s", rc, rill_error_last());
        close(fd);
        assert_non_null(f = fopen(log, "r"));
        while (fgets(line, sizeof(line), f)) { /* a number given again: the same line */
            assert_int_equal(sscanf(line, "%lld %lld", (long long *)&seq, (long long *)&v), 2);
            assert_true(seq >= 0 && seq < N);
            if (seen[seq] == 0) {
                seen[seq] = v + 1;
                got += v;
                count++;
            } else {
                assert_int_equal(seen[seq], v + 1);
            }
        }
        fclose(f);
        assert_int_equal(count, N); /* every line awk wrote, once */
        assert_int_equal(got, want);
        free(seen);
        rill_pipeline_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_sum_after_awk_survives_a_kill_after_a_checkpoint,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(awks_lines_survive_a_kill_after_a_checkpoint_once_each,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
