/* test_ckpt_timing.c — when checkpoints are taken: an interval of a
 * microsecond or less neither livelocks nor checkpoints without progress
 * in between, and a checkpoint that is due (asked for from inside a
 * callback) is taken while one worker runs a long depth-first chain that
 * recurses through a reducer or through one long task, not only when the
 * run ends. Checkpoints are counted through the reducer's encode callback
 * (a save with a live store calls it) or read from the state file. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <unistd.h>

#include "inline_helpers.h"

#include "state_helpers.h"

typedef struct ctl {
    rill_pipeline *p;
    int64_t ask_at, look_at;
    atomic_int saves;   /* encode calls: one a checkpoint (one store) */
    int seen;           /* saves counted when x == look_at went by */
    int64_t sum;
} ctl;

static int count_encode(const void *store, rill_batch *out, void *payload)
{
    ctl *c = payload;
    atomic_fetch_add(&c->saves, 1);
    return rill_batch_add(out, store, sizeof(sum_store));
}

static int plain_decode(void *store, const void *bytes, size_t len, void *payload)
{
    (void)payload;
    if (len != sizeof(sum_store))
        return -1;
    memcpy(store, bytes, len);
    return 0;
}

/* The checkpoints the state file says were taken (committed ones). */
static int checkpoints_taken(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int n = -1;
    if (sqlite3_open_v2(state, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT checkpoints FROM rill_ckpt_run", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* Adds each x and recurs x - 1 until 0: one long chain of its own outputs. */
static int countdown_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                         void *payload)
{
    ctl *c = payload;
    sum_store *s = store;
    size_t i;
    for (i = 0; i < n; i++) {
        int64_t x = i64(&in[i]);
        if (x == c->ask_at)
            assert_int_equal(rill_checkpoint_request(c->p), 0);
        if (x == c->look_at)
            c->seen = checkpoints_taken();
        s->sum += x;
        if (x > 0 && rill_emit_int64(recur, x - 1) != 0)
            return -1;
    }
    return 0;
}

/* x -> x, asking for a checkpoint at ask_at and looking at look_at. */
static int asking(rill_emitter *out, const rill_record *in, void *payload)
{
    ctl *c = payload;
    int64_t x = i64(in);
    if (x == c->ask_at)
        assert_int_equal(rill_checkpoint_request(c->p), 0);
    if (x == c->look_at)
        c->seen = checkpoints_taken();
    return rill_emit_int64(out, x);
}

static int on_result(const rill_record *r, void *payload)
{
    ((ctl *)payload)->sum = i64(r);
    return 0;
}

static rill_pipeline *countdown(ctl *c, int64_t from, double interval)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_reduce_options r = sum_reducer();
    rill_batch *work;
    rill_pipeline *p;
    unlink(state);
    co.path = state;
    co.interval = interval;
    r.add = countdown_add;
    r.merge = NULL;
    r.encode = count_encode;
    r.decode = plain_decode;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_int64(work, from), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_reduce(p, "countdown", &r, c), 0);
    assert_int_equal(rill_result(p, on_result, c), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    c->p = p;
    return p;
}

static void a_checkpoint_asked_for_in_a_long_chain_is_taken_before_the_chain_ends(void **s)
{
    const int64_t n = 200000;
    rill_run_options o = with_workers(1);
    ctl c;
    rill_pipeline *p;
    (void)s;
    memset(&c, 0, sizeof(c));
    c.ask_at = n - 10;      /* asked near the start of the chain */
    c.look_at = n / 2;      /* and looked for half way down */
    p = countdown(&c, n, 0);
    o.batch_records = 16;
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(c.sum, n * (n + 1) / 2);
    assert_true(c.seen >= 1);
    rill_pipeline_free(p);
}

static void a_checkpoint_asked_for_in_a_long_task_is_taken_before_the_task_ends(void **s)
{
    const int64_t n = 400000;
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_reduce_options r = sum_reducer();
    rill_run_options o = with_workers(1);
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_pipeline *p;
    ctl c;
    (void)s;
    memset(&c, 0, sizeof(c));
    unlink(state);
    co.path = state;
    r.encode = count_encode;
    r.decode = plain_decode;
    c.ask_at = 10;
    c.look_at = n / 3; /* the first pull takes n / 2 records in one task */
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, n)), 0);
    assert_int_equal(rill_job(p, "ask", &so, asking, &c), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, &c), 0);
    assert_int_equal(rill_result(p, on_result, &c), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    c.p = p;
    o.batch_records = (size_t)n;
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(c.sum, n * (n - 1) / 2);
    assert_true(c.seen >= 1);
    rill_pipeline_free(p);
}

static void a_sub_microsecond_interval_finishes_with_work_between_checkpoints(void **s)
{
    const int64_t n = 100000;
    double intervals[] = {1e-9, 1e-6};
    size_t i;
    (void)s;
    alarm(60); /* a livelock ends the test here */
    for (i = 0; i < 2; i++) {
        int w;
        FOR_WORKERS(w) {
            rill_run_options o = with_workers(w);
            ctl c;
            rill_pipeline *p;
            memset(&c, 0, sizeof(c));
            c.ask_at = c.look_at = -1;
            p = countdown(&c, n, intervals[i]);
            o.batch_records = 16;
            assert_int_equal(rill_run(p, &o, NULL), 0);
            assert_int_equal(c.sum, n * (n + 1) / 2);
            assert_true(atomic_load(&c.saves) >= 1); /* timed ones were taken */
            rill_pipeline_free(p);
        }
    }
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_checkpoint_asked_for_in_a_long_chain_is_taken_before_the_chain_ends),
        cmocka_unit_test(a_checkpoint_asked_for_in_a_long_task_is_taken_before_the_task_ends),
        cmocka_unit_test(a_sub_microsecond_interval_finishes_with_work_between_checkpoints),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
