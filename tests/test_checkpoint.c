/* test_checkpoint.c — checkpoints and resume within one process: a run that
 * fails after a checkpoint resumes from it with the same results as an
 * uninterrupted run, without calling init again or delivering a result
 * twice; every kind of state (reducer, frame, combine, held records,
 * splittable units, output files) comes back; files that do not fit are
 * refused with nothing changed, and so is a file of rill 0.1's format;
 * other tables in the file are left alone; every column of the run's row
 * that a resume reads is covered by the digest. The kill -9 test is
 * test_crash.c; a state file per pipeline and its lock, test_state_file.c;
 * publishing output files, test_publish.c. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <unistd.h>

#include "inline_helpers.h"

#include "state_helpers.h"

#include "ckpt_job.h"

static rill_pipeline *summing(ctl *c, int resume)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_reduce_options r = sum_reducer();
    rill_pipeline *p;
    co.path = state;
    co.resume = resume;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 5000)), 0);
    assert_int_equal(rill_on_init(p, on_init, c), 0);
    assert_int_equal(rill_job(p, "double", &so, doubled, c), 0);
    assert_int_equal(rill_reduce(p, "sum", &r, NULL), 0);
    assert_int_equal(rill_result(p, on_result, c), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    c->p = p;
    return p;
}

static void a_failed_run_resumes_from_its_checkpoint_with_the_same_result(void **state_)
{
    int w;
    (void)state_;
    for (w = 1; w <= 2; w++) {
        rill_run_options o = with_workers(w);
        ctl c;
        rill_pipeline *p;
        memset(&c, 0, sizeof(c));
        fresh_state();
        o.batch_records = 10;
        c.ask_at = 1000;
        c.fail_at = 3000;
        c.armed = 1;
        p = summing(&c, 0);
        assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
        assert_int_equal(atomic_load(&c.results), 0);
        rill_pipeline_free(p);

        c.armed = 0;
        p = summing(&c, 1);
        assert_int_equal(rill_run(p, &o, NULL), 0);
        assert_int_equal(atomic_load(&c.inits), 1); /* not again on resume */
        assert_int_equal(atomic_load(&c.results), 1);
        assert_int_equal(c.result_sum, 4999 * 5000);
        rill_pipeline_free(p);

        p = summing(&c, 1); /* the run finished: resuming says so */
        assert_int_equal(rill_run(p, &o, NULL), RILL_EFINISHED);
        assert_int_equal(atomic_load(&c.results), 1);
        rill_pipeline_free(p);
    }
}

/* ---- a graph: held records and closing state come back ---- */

static int graph_task(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    ctl *c = payload;
    size_t i;
    for (i = 0; i < n; i++) {
        int64_t x = i64(&in[i]);
        if (x == c->ask_at)
            rill_checkpoint_request(c->p);
        if (c->armed && x == c->fail_at)
            return -1;
        if (rill_emit_int64(out, x + 1) != 0)
            return -1;
    }
    return 0;
}

static rill_pipeline *graph(ctl *c, int resume)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_task_options t = RILL_TASK_OPTIONS_INIT;
    rill_pipeline *p;
    co.path = state;
    co.resume = resume;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3000)), 0);
    t.batch_size = 3;
    assert_int_equal(rill_task(p, "a", &t, graph_task, c), 0);
    t.batch_size = 7;
    assert_int_equal(rill_task(p, "b", &t, copy_all, c), 0);
    t.batch_size = 50;
    assert_int_equal(rill_task(p, "c", &t, copy_all, c), 0);
    assert_int_equal(rill_edge(p, "a", "b"), 0);
    assert_int_equal(rill_edge(p, "a", "c"), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    c->p = p;
    return p;
}

static void a_graph_resumes_with_its_held_records_and_closing_state(void **state_)
{
    int w;
    (void)state_;
    for (w = 1; w <= 2; w++) {
        rill_run_options o = with_workers(w);
        rill_pipeline *p;
        rill_batch *res;
        size_t n, i;
        int64_t *v;
        ctl c;
        memset(&c, 0, sizeof(c));
        fresh_state();
        o.batch_records = 5;
        c.ask_at = 700;
        c.fail_at = 2500;
        c.armed = 1;
        p = graph(&c, 0);
        /* the results collected before the checkpoint are saved with it */
        assert_int_equal(rill_run(p, &o, &res), RILL_EUSER);
        assert_null(res);
        rill_pipeline_free(p);
        c.armed = 0;
        p = graph(&c, 1);
        assert_int_equal(rill_run(p, &o, &res), 0);
        v = sorted_ints(res, &n);
        assert_int_equal(n, 6000 - 0); /* every record, down each branch, once */
        for (i = 0; i < n; i++)
            assert_int_equal(v[i], (int64_t)(i / 2) + 1);
        free(v);
        rill_batch_free(res);
        rill_pipeline_free(p);
    }
}

/* ---- a generator: what it gave before the checkpoint is given again and dropped ---- */

typedef struct counter {
    int64_t next, batches;
} counter;

static int gen_batches(rill_batch *out, void *payload)
{
    counter *g = payload;
    int i;
    if (g->batches == 40)
        return 0;
    for (i = 0; i < 25; i++)
        if (rill_batch_add_int64(out, g->next++) < 0)
            return -1;
    g->batches++;
    return 1;
}

static void a_generator_resumes_after_the_batches_it_gave(void **state_)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_task_options t = RILL_TASK_OPTIONS_INIT;
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    rill_batch *res;
    size_t n, i;
    int64_t *v;
    int run;
    (void)state_;
    fresh_state();
    co.path = state;
    for (run = 0; run < 2; run++) {
        counter g = {0, 0};
        ctl c;
        memset(&c, 0, sizeof(c));
        c.ask_at = 300;
        c.fail_at = 700;
        c.armed = run == 0;
        co.resume = run;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_generator(p, gen_batches, &g), 0);
        assert_int_equal(rill_task(p, "step", &t, graph_task, &c), 0);
        assert_int_equal(rill_checkpointing(p, &co), 0);
        c.p = p;
        if (run == 0) {
            assert_int_equal(rill_run(p, &o, &res), RILL_EUSER);
        } else {
            assert_int_equal(rill_run(p, &o, &res), 0);
            v = sorted_ints(res, &n);
            assert_int_equal(n, 1000);
            for (i = 0; i < n; i++)
                assert_int_equal(v[i], (int64_t)i + 1);
            free(v);
            rill_batch_free(res);
        }
        rill_pipeline_free(p);
    }
}

/* ---- a store that holds pointers, saved through encode and decode ---- */

typedef struct list_store {
    int64_t *v; /* owned */
    size_t n, cap;
} list_store;

static int list_push(list_store *l, int64_t x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        int64_t *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

static int list_add(rill_emitter *r, void *store, const rill_record *in, size_t n, void *p)
{
    size_t i;
    (void)r, (void)p;
    for (i = 0; i < n; i++)
        if (list_push(store, i64(&in[i])) < 0)
            return -1;
    return 0;
}

static int list_merge(void *store, void *other, void *p)
{
    list_store *o = other;
    size_t i;
    (void)p;
    for (i = 0; i < o->n; i++)
        if (list_push(store, o->v[i]) < 0)
            return -1;
    return 0;
}

static void list_free(void *store, void *p)
{
    (void)p;
    free(((list_store *)store)->v);
}

static int list_emit(rill_emitter *out, void *store, void *p)
{
    list_store *l = store;
    int64_t total = 0;
    size_t i;
    (void)p;
    for (i = 0; i < l->n; i++)
        total += l->v[i];
    return rill_emit_tuple(out, "ii", (int64_t)l->n, total);
}

static int list_encode(const void *store, rill_batch *out, void *p)
{
    const list_store *l = store;
    (void)p;
    return rill_batch_add(out, l->v ? (const void *)l->v : "", l->n * sizeof(int64_t));
}

static int list_decode(void *store, const void *bytes, size_t len, void *p)
{
    list_store *l = store;
    size_t i;
    (void)p;
    if (len % sizeof(int64_t))
        return -1;
    for (i = 0; i < len / sizeof(int64_t); i++) {
        int64_t x;
        memcpy(&x, (const char *)bytes + i * sizeof(x), sizeof(x));
        if (list_push(l, x) < 0)
            return -1;
    }
    return 0;
}

static void a_store_with_pointers_is_saved_through_encode_and_decode(void **state_)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_run_options o = with_workers(2);
    int run;
    (void)state_;
    fresh_state();
    co.path = state;
    o.batch_records = 10;
    for (run = 0; run < 2; run++) {
        rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
        rill_pipeline *p;
        rill_batch *res;
        ctl c;
        memset(&c, 0, sizeof(c));
        c.ask_at = 1500;
        c.fail_at = 4000;
        c.armed = run == 0;
        r.store_size = sizeof(list_store);
        r.add = list_add;
        r.merge = list_merge;
        r.emit = list_emit;
        r.free = list_free;
        r.encode = list_encode;
        r.decode = list_decode;
        co.resume = run > 0;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, ints(0, 5000)), 0);
        assert_int_equal(rill_job(p, "double", &so, doubled, &c), 0);
        assert_int_equal(rill_reduce(p, "list", &r, NULL), 0);
        assert_int_equal(rill_checkpointing(p, &co), 0);
        c.p = p;
        if (run == 0) {
            assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
        } else if (run == 1) {
            rill_record rec;
            int64_t n, total;
            assert_int_equal(rill_run(p, &o, &res), 0);
            assert_int_equal(rill_batch_get(&rec, res, 0), 0);
            assert_int_equal(rill_record_unpack(&rec, "ii", &n, &total), 0);
            assert_int_equal(n, 5000);
            assert_int_equal(total, 4999 * 5000);
            rill_batch_free(res);
        }
        rill_pipeline_free(p);
        if (run == 1) { /* and without encode and decode such a store is refused */
            rill_reduce_options bare = RILL_REDUCE_OPTIONS_INIT;
            bare.store_size = sizeof(list_store);
            bare.add = list_add;
            bare.merge = list_merge;
            bare.free = list_free;
            assert_int_equal(rill_pipeline_new(&p), 0);
            assert_int_equal(rill_work(p, ints(0, 5)), 0);
            assert_int_equal(rill_reduce(p, "list", &bare, NULL), 0);
            assert_int_equal(rill_checkpointing(p, &co), 0);
            assert_int_equal(rill_run(p, &o, NULL), RILL_EPIPELINE);
            assert_non_null(strstr(rill_error_last(), "no encode and decode"));
            rill_pipeline_free(p);
        }
    }
}

/* Leaves a checkpoint in the state file: a run asked for one, then failed. */
static void checkpoint_then_fail(void)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    ctl c;
    memset(&c, 0, sizeof(c));
    fresh_state();
    o.batch_records = 10;
    c.ask_at = 1000;
    c.fail_at = 3000;
    c.armed = 1;
    p = summing(&c, 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    rill_pipeline_free(p);
}

static void expect_refusal(int code, const char *needle)
{
    rill_run_options o = with_workers(1);
    uint64_t before = file_hash(state);
    rill_pipeline *p;
    ctl c;
    memset(&c, 0, sizeof(c));
    p = summing(&c, 1);
    assert_int_equal(rill_run(p, &o, NULL), code);
    if (strstr(rill_error_last(), needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, rill_error_last());
    assert_non_null(strstr(rill_error_last(), state));
    assert_true(file_hash(state) == before); /* nothing was changed */
    assert_int_equal(atomic_load(&c.inits), 0);
    rill_pipeline_free(p);
}

static void state_files_that_do_not_fit_are_refused_and_left_alone(void **state_)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    FILE *f;
    ctl c;
    (void)state_;
    /* another pipeline: the job has another name */
    checkpoint_then_fail();
    memset(&c, 0, sizeof(c));
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 5000)), 0);
    assert_int_equal(rill_job(p, "triple", NULL, doubled, &c), 0);
    co.path = state;
    co.resume = 1;
    assert_int_equal(rill_checkpointing(p, &co), 0);
    {
        uint64_t before = file_hash(state);
        assert_int_equal(rill_run(p, &o, NULL), RILL_EPIPELINE);
        assert_non_null(strstr(rill_error_last(), "holds a checkpoint of another pipeline"));
        assert_true(file_hash(state) == before);
    }
    rill_pipeline_free(p);

    /* a newer format */
    checkpoint_then_fail();
    sql("UPDATE rill_schema SET version = 99 WHERE component = 'checkpoint'");
    expect_refusal(RILL_EVERSION, "newer rill");

    /* a damaged checkpoint: a pending count that does not add up, a run
     * marked finished that was not */
    checkpoint_then_fail();
    sql("UPDATE rill_ckpt_reductions SET pending = pending + 1 WHERE parent = 0");
    expect_refusal(RILL_ECORRUPT, "does not match its digest");
    checkpoint_then_fail();
    sql("UPDATE rill_ckpt_run SET finished = 1");
    expect_refusal(RILL_ECORRUPT, "does not match its digest");

    /* rill's tables damaged or not rill's: one missing, one with other
     * columns, one rill does not know */
    checkpoint_then_fail();
    sql("DROP TABLE rill_ckpt_held");
    expect_refusal(RILL_ECORRUPT, "some of its tables are missing");
    fresh_state();
    sql("CREATE TABLE rill_ckpt_tasks(x)");
    expect_refusal(RILL_ECORRUPT, "rill_ckpt_tasks has other columns than rill's");
    checkpoint_then_fail();
    sql("CREATE TABLE rill_ckpt_extra(x)");
    expect_refusal(RILL_ECORRUPT, "rill_ckpt_ tables this rill does not know");

    /* not a database at all, and a truncated one */
    fresh_state();
    assert_non_null(f = fopen(state, "wb"));
    fputs("this is not an SQLite file, it only has a name like one......", f);
    fclose(f);
    expect_refusal(RILL_ECORRUPT, "not a rill state file");
    checkpoint_then_fail();
    assert_int_equal(truncate(state, 3000), 0);
    expect_refusal(RILL_ECORRUPT, "malformed");
}

/* The number sql's query gives. */
static int64_t sql_int(const char *query)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v;
    assert_int_equal(sqlite3_open(state, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, query, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void a_state_file_that_also_holds_other_tables_resumes_and_leaves_them_alone(void **s)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    ctl c;
    (void)s;
    fresh_state();
    /* a user's table, and one named as rill 0.1's was, with other columns */
    sql("CREATE TABLE users(name TEXT); INSERT INTO users VALUES('ada');"
        "CREATE TABLE rows(x); INSERT INTO rows VALUES(42)");
    memset(&c, 0, sizeof(c));
    o.batch_records = 10;
    c.ask_at = 1000;
    c.fail_at = 3000;
    c.armed = 1;
    p = summing(&c, 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    rill_pipeline_free(p);
    assert_true(sql_int("SELECT count(*) FROM rill_ckpt_reductions") > 0); /* saved */

    memset(&c, 0, sizeof(c));
    p = summing(&c, 1);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(atomic_load(&c.inits), 0); /* resumed, not started over */
    assert_int_equal(atomic_load(&c.results), 1);
    assert_int_equal(c.result_sum, 2 * (4999 * 5000 / 2));
    rill_pipeline_free(p);
    assert_int_equal(sql_int("SELECT count(*) FROM users WHERE name = 'ada'"), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM users"), 1);
    assert_int_equal(sql_int("SELECT x FROM rows"), 42);
}

/* A state file rill 0.1 wrote (format 1: its meta and rows tables) is
 * refused with a message that names the file and says what to do. */
static void a_state_file_of_the_older_format_is_refused_with_a_clear_message(void **s)
{
    char cmd[1024];
    (void)s;
    fresh_state();
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", FORMAT1_STATE, state);
    assert_int_equal(system(cmd), 0);
    expect_refusal(RILL_EVERSION, "a state file of format 1, written by an older rill");
    assert_non_null(strstr(rill_error_last(), "delete the file to start over"));
}

/* Runs the summing pipeline to its end (no checkpoint asked for unless ask). */
static void run_to_the_end(int ask)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    ctl c;
    memset(&c, 0, sizeof(c));
    fresh_state();
    o.batch_records = 10;
    c.ask_at = ask ? 1000 : -1;
    c.fail_at = -1;
    p = summing(&c, 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    rill_pipeline_free(p);
}

/* Every column of the run's row that a resume reads is covered by the
 * digest: a bit flipped in any of them, in a checkpoint, in a run that
 * finished (with and without a checkpoint taken), is damage (RILL_ECORRUPT), never a resume that does something else. */
static void every_column_a_resume_reads_is_covered_by_the_digest(void **s)
{
    static const char *const cols[] = {"fingerprint", "finished", "complete", "checkpoints",
                                       "src_next", "src_done", "src_red", "generated",
                                       "delivered"};
    char stmt[256];
    size_t i;
    int kind;
    (void)s;
    for (kind = 0; kind < 3; kind++)
        for (i = 0; i < sizeof(cols) / sizeof(*cols); i++) {
            if (kind == 0)
                checkpoint_then_fail();
            else
                run_to_the_end(kind == 2);
            /* flips the lowest bit */
            snprintf(stmt, sizeof(stmt), "UPDATE rill_ckpt_run SET %s = (%s | 1) - (%s & 1)",
                     cols[i], cols[i], cols[i]);
            sql(stmt);
            print_message("flipped %s (%d)\n", cols[i], kind);
            expect_refusal(RILL_ECORRUPT, "digest");
        }
    /* the fingerprint or the digest gone (NULL) */
    checkpoint_then_fail();
    sql("UPDATE rill_ckpt_run SET fingerprint = NULL");
    expect_refusal(RILL_ECORRUPT, "digest");
    run_to_the_end(0);
    sql("UPDATE rill_ckpt_run SET fingerprint = NULL");
    expect_refusal(RILL_ECORRUPT, "digest");
    checkpoint_then_fail();
    sql("UPDATE rill_ckpt_run SET digest = NULL");
    expect_refusal(RILL_ECORRUPT, "digest");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_failed_run_resumes_from_its_checkpoint_with_the_same_result),
        cmocka_unit_test(state_files_that_do_not_fit_are_refused_and_left_alone),
        cmocka_unit_test(a_graph_resumes_with_its_held_records_and_closing_state),
        cmocka_unit_test(a_generator_resumes_after_the_batches_it_gave),
        cmocka_unit_test(a_store_with_pointers_is_saved_through_encode_and_decode),
        cmocka_unit_test(a_state_file_that_also_holds_other_tables_resumes_and_leaves_them_alone),
        cmocka_unit_test(a_state_file_of_the_older_format_is_refused_with_a_clear_message),
        cmocka_unit_test(every_column_a_resume_reads_is_covered_by_the_digest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
