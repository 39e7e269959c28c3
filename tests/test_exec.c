/* test_exec.c — the exec stage (rill/exec.h) with real child processes:
 * cat, awk and tr as filters against answers computed here, binary
 * length-prefixed records through exec_helper, failures (an exit status, a
 * signal, garbage, a missing command), skipping to a dead-letter file,
 * megabytes in one batch, and one process per worker. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "helpers.h"

#ifndef EXEC_HELPER
#error "EXEC_HELPER: the path of exec_helper"
#endif

typedef struct strs {
    char **v;
    size_t n;
} strs;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every record of b as a string, sorted. */
static strs sorted_text(const rill_batch *b)
{
    strs s = {calloc(rill_batch_count(b) + 1, sizeof(char *)), rill_batch_count(b)};
    size_t i;
    assert_non_null(s.v);
    for (i = 0; i < s.n; i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, b, i), 0);
        assert_non_null(s.v[i] = malloc(r.len + 1));
        memcpy(s.v[i], r.data, r.len);
        s.v[i][r.len] = '\0';
    }
    qsort(s.v, s.n, sizeof(char *), cmp_str);
    return s;
}

static void strs_free(strs s)
{
    size_t i;
    for (i = 0; i < s.n; i++)
        free(s.v[i]);
    free(s.v);
}

/* Expected strings (taken over), sorted, equal to what came out. */
static void assert_same(strs want, const rill_batch *got)
{
    strs g = sorted_text(got);
    size_t i;
    qsort(want.v, want.n, sizeof(char *), cmp_str);
    assert_int_equal(g.n, want.n);
    for (i = 0; i < g.n; i++)
        assert_string_equal(g.v[i], want.v[i]);
    strs_free(g);
    strs_free(want);
}

static strs strs_new(size_t cap)
{
    strs s = {calloc(cap + 1, sizeof(char *)), 0};
    assert_non_null(s.v);
    return s;
}

static void strs_add(strs *s, const char *text)
{
    assert_non_null(s->v[s->n++] = strdup(text));
}

/* A pipeline whose work is lines "<i> <i*7 % 100> word<i % 13>", i < n. */
static rill_pipeline *lines_pipeline(size_t n, strs *lines)
{
    rill_pipeline *p;
    rill_batch *b;
    char t[64];
    size_t i;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&b), 0);
    if (lines)
        *lines = strs_new(n);
    for (i = 0; i < n; i++) {
        snprintf(t, sizeof(t), "%zu %zu word%zu", i, i * 7 % 100, i % 13);
        assert_int_equal(rill_batch_add_text(b, t), 0);
        if (lines)
            strs_add(lines, t);
    }
    assert_int_equal(rill_work(p, b), 0);
    return p;
}

static void add_exec(rill_pipeline *p, const char *name, const char *const *argv,
                     int framing, int on_error, const char *dead)
{
    rill_exec_options o = RILL_EXEC_OPTIONS_INIT;
    o.argv = argv;
    o.framing = framing;
    o.on_error = on_error;
    o.dead_letter = dead;
    assert_int_equal(rill_exec(p, name, &o), 0);
}

static int copy_job(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static rill_run_options opts(int workers, size_t batch)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    o.workers = workers;
    o.batch_records = batch;
    return o;
}

static void exec_cat_passes_every_line_through_unchanged(void **state)
{
    const char *const argv[] = {"cat", NULL};
    rill_run_options o = opts(2, 100);
    rill_batch *out = NULL;
    strs lines;
    rill_pipeline *p = lines_pipeline(5000, &lines);
    (void)state;
    add_exec(p, "cat", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, &out), 0);
    assert_same(lines, out);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void exec_awk_filter_gives_what_c_computes(void **state)
{
    /* Not one record out per record in: awk keeps some and changes them. */
    const char *const argv[] = {"awk", "$2 % 3 == 0 { print $3 \":\" $1 }", NULL};
    rill_run_options o = opts(2, 64);
    rill_batch *out = NULL;
    strs want = strs_new(3000);
    rill_pipeline *p = lines_pipeline(3000, NULL);
    size_t i;
    char t[64];
    (void)state;
    for (i = 0; i < 3000; i++)
        if (i * 7 % 100 % 3 == 0) {
            snprintf(t, sizeof(t), "word%zu:%zu", i % 13, i);
            strs_add(&want, t);
        }
    add_exec(p, "filter", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, &out), 0);
    assert_true(want.n > 0 && want.n < 3000);
    assert_same(want, out);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void exec_tr_then_a_job_sees_upper_case_lines(void **state)
{
    const char *const argv[] = {"tr", "a-z", "A-Z", NULL};
    rill_run_options o = opts(2, 50);
    rill_batch *out = NULL;
    strs lines;
    rill_pipeline *p = lines_pipeline(1000, &lines);
    size_t i, j;
    (void)state;
    for (i = 0; i < lines.n; i++)
        for (j = 0; lines.v[i][j]; j++)
            if (lines.v[i][j] >= 'a' && lines.v[i][j] <= 'z')
                lines.v[i][j] = (char)(lines.v[i][j] - 'a' + 'A');
    add_exec(p, "upper", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_job(p, "after", NULL, copy_job, NULL), 0);
    assert_int_equal(rill_run(p, &o, &out), 0);
    assert_same(lines, out);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void exec_length_prefixed_binary_records_come_back_reversed(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "reverse-len", NULL};
    rill_run_options o = opts(2, 37);
    rill_pipeline *p;
    rill_batch *b, *out = NULL;
    unsigned char rec[300];
    char seen[300] = {0};
    size_t i, j, k, total = 0;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = 0; i < 300; i++) { /* newlines, NULs, 0xFF, an empty record */
        for (j = 0; j < i; j++) /* record i: i bytes */
            rec[j] = (unsigned char)((i * 31 + j * 7) % 256);
        assert_int_equal(rill_batch_add(b, rec, i), 0);
    }
    assert_int_equal(rill_work(p, b), 0);
    add_exec(p, "reverse", argv, RILL_EXEC_LENGTH, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, &out), 0);
    assert_int_equal(rill_batch_count(out), 300);
    for (k = 0; k < rill_batch_count(out); k++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, out, k), 0);
        for (j = 0; j < r.len; j++) /* its length says which it was: reversed */
            assert_int_equal(((const unsigned char *)r.data)[j],
                             (unsigned char)((r.len * 31 + (r.len - 1 - j) * 7) % 256));
        assert_true(r.len < 300 && !seen[r.len]); /* each length once */
        seen[r.len] = 1;
        total += r.len;
    }
    assert_int_equal(total, 299 * 300 / 2);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void exec_command_exiting_3_stops_the_run_with_its_status_and_stderr_end(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "die", "1500 ", "3", NULL};
    rill_run_options o = opts(1, 100);
    rill_batch *out = (rill_batch *)1;
    rill_pipeline *p = lines_pipeline(3000, NULL);
    const char *m;
    (void)state;
    add_exec(p, "dies", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, &out), RILL_EUSER);
    assert_null(out);
    m = rill_error_last();
    assert_non_null(strstr(m, "'dies'"));
    assert_non_null(strstr(m, "exec_helper die"));
    assert_non_null(strstr(m, "exited with status 3"));
    assert_non_null(strstr(m, "last words: 1500 "));
    assert_null(strstr(m, "first words")); /* only its end: 4.8 KB came before */
    rill_pipeline_free(p);
}

static void exec_command_killed_by_a_signal_is_reported(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "kill", "700 ", NULL};
    rill_run_options o = opts(2, 100);
    rill_pipeline *p = lines_pipeline(2000, NULL);
    const char *m;
    (void)state;
    add_exec(p, "killed", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    m = rill_error_last();
    assert_non_null(strstr(m, "'killed'"));
    assert_non_null(strstr(m, "killed by signal 9"));
    assert_non_null(strstr(m, "last words: 700 "));
    rill_pipeline_free(p);
}

static void exec_garbage_length_prefix_stops_the_run(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "garbage", NULL};
    rill_run_options o = opts(1, 10);
    rill_pipeline *p;
    rill_batch *b;
    int i;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = 0; i < 100; i++)
        assert_int_equal(rill_batch_add_int64(b, i), 0);
    assert_int_equal(rill_work(p, b), 0);
    add_exec(p, "junk", argv, RILL_EXEC_LENGTH, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "'junk'"));
    assert_non_null(strstr(rill_error_last(), "length prefix of 4294967280 bytes"));
    rill_pipeline_free(p);
}

static void exec_failing_at_the_end_of_input_is_reported(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "fail-at-end", "5", NULL};
    rill_run_options o = opts(2, 100);
    rill_pipeline *p = lines_pipeline(500, NULL);
    (void)state;
    add_exec(p, "late", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "'late'"));
    assert_non_null(strstr(rill_error_last(), "exited with status 5"));
    rill_pipeline_free(p);
}

static void exec_skip_puts_each_failing_record_in_the_dead_letter_file(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "die", "bad", "3", NULL};
    char dir[] = "/tmp/rill-exec-XXXXXX", dead[64], t[64];
    rill_run_options o = opts(2, 40);
    rill_pipeline *p;
    rill_batch *b, *out = NULL;
    strs want = strs_new(2000), bad = strs_new(20);
    uint64_t skipped = 99;
    size_t i, n;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(dead, sizeof(dead), "%s/dead.txt", dir);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = 0; i < 2000; i++) {
        if (i % 150 == 149) /* twice in a row at the end: the restarted one dies too */
            snprintf(t, sizeof(t), "bad %zu", i);
        else if (i == 1999 || i == 1998)
            snprintf(t, sizeof(t), "bad at the end %zu", i);
        else
            snprintf(t, sizeof(t), "good %zu", i);
        assert_int_equal(rill_batch_add_text(b, t), 0);
        strs_add(strncmp(t, "bad", 3) == 0 ? &bad : &want, t);
    }
    assert_int_equal(rill_work(p, b), 0);
    add_exec(p, "flaky", argv, RILL_EXEC_LINES, RILL_EXEC_SKIP, dead);
    assert_int_equal(rill_run(p, &o, &out), 0);
    assert_int_equal(rill_exec_skipped(&skipped, p, "flaky"), 0);
    assert_int_equal(skipped, bad.n);
    assert_same(want, out);
    rill_batch_free(out);
    assert_non_null(f = fopen(dead, "r"));
    assert_int_equal(rill_batch_new(&b), 0);
    for (n = 0; fgets(t, sizeof(t), f); n++) {
        assert_non_null(strchr(t, '\n'));
        *strchr(t, '\n') = '\0';
        assert_int_equal(rill_batch_add_text(b, t), 0);
    }
    fclose(f);
    assert_same(bad, b);
    rill_batch_free(b);
    unlink(dead);
    rmdir(dir);
    assert_int_equal(rill_exec_skipped(&skipped, p, "nope"), RILL_ENOTFOUND);
    rill_pipeline_free(p);
}

static void exec_missing_command_is_refused_before_any_record_flows(void **state)
{
    const char *const argv[] = {"rill-no-such-command-here", "x", NULL};
    const char *const path[] = {"/nonexistent/rill/cmd", NULL};
    rill_exec_options o = RILL_EXEC_OPTIONS_INIT;
    rill_pipeline *p = lines_pipeline(10, NULL);
    (void)state;
    o.argv = argv;
    assert_int_equal(rill_exec(p, "ghost", &o), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "rill-no-such-command-here"));
    assert_non_null(strstr(rill_error_last(), "'ghost'"));
    assert_int_equal(rill_pipeline_validate(p), RILL_ENOTFOUND);
    assert_int_equal(rill_run(p, NULL, NULL), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "rill-no-such-command-here"));
    rill_pipeline_free(p);
    p = lines_pipeline(10, NULL);
    o.argv = path;
    assert_int_equal(rill_exec(p, "ghost", &o), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "/nonexistent/rill/cmd"));
    rill_pipeline_free(p);
}

static void exec_several_megabytes_in_one_batch_do_not_deadlock(void **state)
{
    /* 60,000 lines of 100 bytes in one call: far more than a pipe holds,
     * both ways, so writing without reading would block for ever. */
    const char *const argv[] = {"cat", NULL};
    rill_run_options o = opts(1, 100000);
    rill_pipeline *p;
    rill_batch *b, *out = NULL;
    strs lines = strs_new(60000);
    char t[128];
    size_t i;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = 0; i < 60000; i++) {
        snprintf(t, sizeof(t), "%08zu %091zu", i, i * 2654435761u);
        assert_int_equal(rill_batch_add_text(b, t), 0);
        strs_add(&lines, t);
    }
    assert_int_equal(rill_work(p, b), 0);
    add_exec(p, "big", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_run(p, &o, &out), 0);
    assert_same(lines, out);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void exec_runs_one_process_per_worker(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "pid", NULL};
    rill_run_options o = opts(2, 20);
    rill_stage_stats st;
    rill_batch *out = NULL;
    rill_pipeline *p = lines_pipeline(4000, NULL);
    long pids[8];
    int npids = 0, run, k;
    size_t i;
    (void)state;
    add_exec(p, "pids", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    for (run = 0; run < 2; run++) { /* a pipeline runs again with new processes */
        assert_int_equal(rill_run(p, &o, &out), 0);
        assert_int_equal(rill_batch_count(out), 4000);
        assert_int_equal(rill_pipeline_stats(&st, p, "pids"), 0);
        npids = 0;
        for (i = 0; i < rill_batch_count(out); i++) {
            rill_record r;
            long pid;
            assert_int_equal(rill_batch_get(&r, out, i), 0);
            pid = strtol(r.data, NULL, 10);
            assert_true(pid > 0);
            for (k = 0; k < npids && pids[k] != pid; k++)
                ;
            if (k == npids) {
                assert_true(npids < 8);
                pids[npids++] = pid;
            }
        }
        assert_int_equal(npids, st.workers);
        assert_true(npids >= 1 && npids <= 2);
        rill_batch_free(out);
    }
    rill_pipeline_free(p);
}

static void exec_works_as_a_graph_node(void **state)
{
    const char *const argv[] = {"tr", "0-9", "a-j", NULL};
    rill_run_options o = opts(2, 64);
    rill_batch *out = NULL;
    strs lines;
    rill_pipeline *p = lines_pipeline(800, &lines);
    size_t i, j;
    (void)state;
    for (i = 0; i < lines.n; i++)
        for (j = 0; lines.v[i][j]; j++)
            if (lines.v[i][j] >= '0' && lines.v[i][j] <= '9')
                lines.v[i][j] = (char)(lines.v[i][j] - '0' + 'a');
    assert_int_equal(rill_task(p, "in", NULL, copy_all, NULL), 0);
    add_exec(p, "letters", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_edge(p, "in", "letters"), 0);
    assert_int_equal(rill_run(p, &o, &out), 0);
    assert_same(lines, out);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void exec_line_holding_a_newline_is_refused_or_skipped(void **state)
{
    const char *const argv[] = {"cat", NULL};
    char dir[] = "/tmp/rill-exec-XXXXXX", dead[64], got[64] = "";
    rill_run_options o = opts(1, 10);
    rill_pipeline *p;
    rill_batch *b, *out = NULL;
    uint64_t skipped = 0;
    FILE *f;
    int skip;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(dead, sizeof(dead), "%s/dead", dir);
    for (skip = 0; skip < 2; skip++) {
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_batch_new(&b), 0);
        assert_int_equal(rill_batch_add_text(b, "one"), 0);
        assert_int_equal(rill_batch_add_text(b, "two\nlines"), 0);
        assert_int_equal(rill_batch_add_text(b, "three"), 0);
        assert_int_equal(rill_work(p, b), 0);
        add_exec(p, "lines", argv, RILL_EXEC_LINES, skip ? RILL_EXEC_SKIP : RILL_EXEC_STOP,
                 skip ? dead : NULL);
        if (!skip) {
            assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
            assert_non_null(strstr(rill_error_last(), "newline"));
        } else {
            assert_int_equal(rill_run(p, &o, &out), 0);
            assert_int_equal(rill_batch_count(out), 2);
            assert_int_equal(rill_exec_skipped(&skipped, p, "lines"), 0);
            assert_int_equal(skipped, 1);
            rill_batch_free(out);
        }
        rill_pipeline_free(p);
    }
    assert_non_null(f = fopen(dead, "r"));
    assert_int_equal(fread(got, 1, sizeof(got) - 1, f), 10);
    fclose(f);
    assert_string_equal(got, "two\nlines\n");
    unlink(dead);
    rmdir(dir);
}

/* Fails the run once it has seen a record, keeping the pid that wrote it. */
static int fail_after_one(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)out;
    *(long *)payload = strtol(in->data, NULL, 10);
    rill_error_set("stop here");
    return -1;
}

static void exec_processes_are_gone_when_another_stage_fails_the_run(void **state)
{
    const char *const argv[] = {EXEC_HELPER, "pid", NULL};
    rill_run_options o = opts(1, 10);
    rill_pipeline *p = lines_pipeline(1000, NULL);
    long pid = 0;
    (void)state;
    add_exec(p, "pids", argv, RILL_EXEC_LINES, RILL_EXEC_STOP, NULL);
    assert_int_equal(rill_job(p, "fails", NULL, fail_after_one, &pid), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "stop here"));
    assert_true(pid > 0);
    assert_int_equal(kill((pid_t)pid, 0), -1); /* killed and reaped: no such process */
    assert_int_equal(errno, ESRCH);
    rill_pipeline_free(p);
}

static void exec_skip_still_stops_on_a_command_that_reads_nothing(void **state)
{
    /* No record to blame: skipping would restart it for ever. */
    const char *const argv[] = {"false", NULL};
    rill_run_options o = opts(1, 10);
    rill_pipeline *p = lines_pipeline(100, NULL);
    uint64_t skipped = 9;
    (void)state;
    add_exec(p, "false", argv, RILL_EXEC_LINES, RILL_EXEC_SKIP, NULL);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "exited with status 1"));
    assert_non_null(strstr(rill_error_last(), "no record to blame"));
    assert_int_equal(rill_exec_skipped(&skipped, p, "false"), 0);
    assert_int_equal(skipped, 0);
    rill_pipeline_free(p);
}

static void exec_line_longer_than_max_record_is_garbage(void **state)
{
    /* tr joins every line into one that never ends. */
    const char *const argv[] = {"tr", "-d", "\\n", NULL};
    rill_exec_options e = RILL_EXEC_OPTIONS_INIT;
    rill_run_options o = opts(1, 10);
    rill_pipeline *p = lines_pipeline(200, NULL);
    (void)state;
    e.argv = argv;
    e.max_record = 100;
    assert_int_equal(rill_exec(p, "joined", &e), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "'joined'"));
    assert_non_null(strstr(rill_error_last(), "a line of more than 100 bytes"));
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exec_cat_passes_every_line_through_unchanged),
        cmocka_unit_test(exec_awk_filter_gives_what_c_computes),
        cmocka_unit_test(exec_tr_then_a_job_sees_upper_case_lines),
        cmocka_unit_test(exec_length_prefixed_binary_records_come_back_reversed),
        cmocka_unit_test(exec_command_exiting_3_stops_the_run_with_its_status_and_stderr_end),
        cmocka_unit_test(exec_command_killed_by_a_signal_is_reported),
        cmocka_unit_test(exec_garbage_length_prefix_stops_the_run),
        cmocka_unit_test(exec_failing_at_the_end_of_input_is_reported),
        cmocka_unit_test(exec_skip_puts_each_failing_record_in_the_dead_letter_file),
        cmocka_unit_test(exec_missing_command_is_refused_before_any_record_flows),
        cmocka_unit_test(exec_several_megabytes_in_one_batch_do_not_deadlock),
        cmocka_unit_test(exec_runs_one_process_per_worker),
        cmocka_unit_test(exec_works_as_a_graph_node),
        cmocka_unit_test(exec_line_holding_a_newline_is_refused_or_skipped),
        cmocka_unit_test(exec_processes_are_gone_when_another_stage_fails_the_run),
        cmocka_unit_test(exec_skip_still_stops_on_a_command_that_reads_nothing),
        cmocka_unit_test(exec_line_longer_than_max_record_is_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
