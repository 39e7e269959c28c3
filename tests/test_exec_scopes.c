/* test_exec_scopes.c — exec stages (rill/exec.h) in pipelines with scopes:
 * before a reducer (every line the command writes reaches the reducer
 * before it finishes), after one (its one record goes through the
 * command), on both sides of one, inside a frame (a process per round, its
 * output staying in its round), and a command that fails only when its
 * input ends in a scope stopping the run with its status. Real awk and sh
 * processes; answers computed here. Each case runs with 1, 2 and 4
 * workers and small batches, so that calls and closes interleave. */
#include <sys/resource.h>

#include "helpers.h"

static const int worker_counts[] = {1, 2, 4};
#define FOR_EACH_WORKERS(w, k) \
    for ((k) = 0; (k) < 3 && (((w) = worker_counts[k]), 1); (k)++)

static rill_run_options opts(int workers, size_t batch)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    o.workers = workers;
    o.batch_records = batch;
    return o;
}

static void add_exec(rill_pipeline *p, const char *name, const char *const *argv)
{
    rill_exec_options o = RILL_EXEC_OPTIONS_INIT;
    o.argv = argv;
    assert_int_equal(rill_exec(p, name, &o), 0);
}

/* The record's text as an integer (the commands write decimal lines). */
static int64_t text_int(const rill_record *r)
{
    char t[32];
    size_t n = r->len < sizeof(t) - 1 ? r->len : sizeof(t) - 1;
    memcpy(t, r->data, n);
    t[n] = '\0';
    return strtoll(t, NULL, 10);
}

/* ---- a reducer of decimal lines: their sum, emitted as a decimal line ---- */

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

static int sum_emit(rill_emitter *out, void *store, void *payload)
{
    char t[32];
    (void)payload;
    snprintf(t, sizeof(t), "%lld", (long long)*(int64_t *)store);
    return rill_emit(out, t, strlen(t));
}

static void add_sum(rill_pipeline *p, const char *name)
{
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    r.store_size = sizeof(int64_t);
    r.add = sum_add;
    r.merge = sum_merge;
    r.emit = sum_emit;
    assert_int_equal(rill_reduce(p, name, &r, NULL), 0);
}

/* Lines "i v" for i in 0..n-1, v = i * 7 % 100; *sum gets the sum of v. */
static rill_batch *numbered_lines(size_t n, int64_t *sum)
{
    rill_batch *b;
    char t[64];
    size_t i;
    assert_int_equal(rill_batch_new(&b), 0);
    *sum = 0;
    for (i = 0; i < n; i++) {
        snprintf(t, sizeof(t), "%zu %zu", i, i * 7 % 100);
        assert_int_equal(rill_batch_add_text(b, t), 0);
        *sum += (int64_t)(i * 7 % 100);
    }
    return b;
}

static int64_t only_text_int(const rill_batch *b)
{
    rill_record r;
    assert_int_equal(rill_batch_count(b), 1);
    assert_int_equal(rill_batch_get(&r, b, 0), 0);
    return text_int(&r);
}

/* awk keeps what it reads in its buffer and writes when its input ends:
 * the reducer still gets every line before it finishes. */
static void exec_before_a_reducer_gives_it_every_line(void **state)
{
    const char *const second[] = {"awk", "{ print $2 }", NULL};
    int w, k;
    (void)state;
    FOR_EACH_WORKERS(w, k) {
        rill_run_options o = opts(w, 37);
        rill_pipeline *p;
        rill_batch *out = NULL;
        int64_t want;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, numbered_lines(5000, &want)), 0);
        add_exec(p, "second field", second);
        add_sum(p, "sum");
        assert_int_equal(rill_run(p, &o, &out), 0);
        assert_int_equal(only_text_int(out), want);
        rill_batch_free(out);
        rill_pipeline_free(p);
    }
}

/* exec, sum, exec, sum: each command's output reaches the reducer after it,
 * the second command gets the first sum. */
static void exec_on_both_sides_of_a_reducer(void **state)
{
    const char *const second[] = {"awk", "{ print $2 }", NULL};
    const char *const twice[] = {"awk", "{ print $1 * 2 }", NULL};
    int w, k;
    (void)state;
    FOR_EACH_WORKERS(w, k) {
        rill_run_options o = opts(w, 16);
        rill_pipeline *p;
        rill_batch *out = NULL;
        int64_t want;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, numbered_lines(3000, &want)), 0);
        add_exec(p, "second field", second);
        add_sum(p, "sum");
        add_exec(p, "twice", twice);
        add_sum(p, "again");
        assert_int_equal(rill_run(p, &o, &out), 0);
        assert_int_equal(only_text_int(out), 2 * want);
        rill_batch_free(out);
        rill_pipeline_free(p);
    }
}

/* ---- a frame per n: 1..n through awk squaring, summed by the frame end ---- */

typedef struct round_store {
    int64_t sum;
    int rounds;
} round_store;

static int count_to(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    round_store *s = store;
    int64_t n = i64(first), i;
    char t[32];
    (void)payload;
    if (s->rounds++ > 0) /* its round is done: the frame ends */
        return 0;
    for (i = 1; i <= n; i++) {
        snprintf(t, sizeof(t), "%lld", (long long)i);
        if (rill_emit(recur, t, strlen(t)) != 0)
            return -1;
    }
    return 0;
}

static int add_square(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    (void)recur;
    (void)payload;
    ((round_store *)store)->sum += text_int(next);
    return 0;
}

static int emit_pair(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((round_store *)store)->sum);
}

static void exec_inside_a_frame_keeps_each_rounds_output_in_its_round(void **state)
{
    const char *const square[] = {"awk", "{ print $1 * $1 }", NULL};
    int w, k;
    (void)state;
    FOR_EACH_WORKERS(w, k) {
        rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
        rill_run_options o = opts(w, 8);
        rill_pipeline *p;
        rill_batch *out = NULL;
        int64_t *v;
        size_t n, i;
        f.store_size = sizeof(round_store);
        f.frame = count_to;
        f.emit = emit_pair;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 41)), 0);
        assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
        add_exec(p, "square", square);
        assert_int_equal(rill_frame_end(p, "sum", NULL, add_square, NULL), 0);
        assert_int_equal(rill_run(p, &o, &out), 0);
        v = sorted_ints(out, &n); /* the sums of squares grow with n */
        assert_int_equal(n, 40);
        for (i = 0; i < n; i++) {
            int64_t m = (int64_t)i + 1;
            assert_int_equal(v[i], m * (m + 1) * (2 * m + 1) / 6);
        }
        free(v);
        rill_batch_free(out);
        rill_pipeline_free(p);
    }
}

/* A frame per record, 600 of them, with a limit of 128 open files: each
 * frame's processes are closed before other frames start more (a process
 * takes 4 descriptors here), so they never pile up. */
static void exec_in_many_frames_keeps_few_processes_alive(void **state)
{
    const char *const square[] = {"awk", "{ print $1 * $1 }", NULL};
    struct rlimit was, low;
    int w, k;
    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
    low = was;
    low.rlim_cur = 128;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    FOR_EACH_WORKERS(w, k) {
        rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
        rill_run_options o = opts(w, 64);
        rill_pipeline *p;
        rill_batch *out = NULL;
        int64_t *v;
        size_t n;
        int rc;
        f.store_size = sizeof(round_store);
        f.frame = count_to;
        f.emit = emit_pair;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(1, 601)), 0);
        assert_int_equal(rill_frame(p, "per n", &f, NULL), 0);
        add_exec(p, "square", square);
        assert_int_equal(rill_frame_end(p, "sum", NULL, add_square, NULL), 0);
        rc = rill_run(p, &o, &out);
        if (rc != 0) {
            setrlimit(RLIMIT_NOFILE, &was);
            fail_msg("rill_run: %d: %s", rc, rill_error_last());
        }
        v = sorted_ints(out, &n);
        assert_int_equal(n, 600);
        assert_int_equal(v[599], (int64_t)600 * 601 * 1201 / 6);
        free(v);
        rill_batch_free(out);
        rill_pipeline_free(p);
    }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
}

/* A command that fails only when its input ends (in a scope, where the
 * stage closes per reduction) stops the run with its status. */
static void exec_failing_at_a_reductions_end_stops_the_run(void **state)
{
    const char *const failing[] = {"sh", "-c", "cat; echo 'out of luck' >&2; exit 3", NULL};
    int w, k;
    (void)state;
    FOR_EACH_WORKERS(w, k) {
        rill_run_options o = opts(w, 50);
        rill_pipeline *p;
        rill_batch *out = NULL;
        int64_t want;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, numbered_lines(500, &want)), 0);
        add_exec(p, "failing", failing);
        add_sum(p, "sum");
        assert_int_equal(rill_run(p, &o, &out), RILL_EUSER);
        assert_null(out);
        assert_non_null(strstr(rill_error_last(), "failing"));
        assert_non_null(strstr(rill_error_last(), "status 3"));
        assert_non_null(strstr(rill_error_last(), "out of luck"));
        rill_pipeline_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exec_before_a_reducer_gives_it_every_line),
        cmocka_unit_test(exec_on_both_sides_of_a_reducer),
        cmocka_unit_test(exec_inside_a_frame_keeps_each_rounds_output_in_its_round),
        cmocka_unit_test(exec_in_many_frames_keeps_few_processes_alive),
        cmocka_unit_test(exec_failing_at_a_reductions_end_stops_the_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
