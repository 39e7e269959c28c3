/* test_split_inputs.c — what the file sources make of awkward inputs: a
 * literal name holding glob characters; a FIFO written by another process,
 * /dev/stdin on a pipe and a /proc file (read as streams); a file truncated
 * while it is read, rewritten between its units, or replaced or rewritten
 * between a failed run and its resume (an error naming it, never a signal
 * or a mix of both); records across the read buffer's refills; chunk
 * sizes or ranges that would make far too many units, and a slow caller or
 * stage after a source that reads on (bounded memory). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static char dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-inputs-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *name, const char *text, char *path, size_t cap)
{
    FILE *f;
    snprintf(path, cap, "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

/* n lines "1".."n" into path. */
static void write_numbers(const char *path, long n)
{
    FILE *f;
    long i;
    assert_non_null(f = fopen(path, "wb"));
    for (i = 1; i <= n; i++)
        fprintf(f, "%ld\n", i);
    fclose(f);
}

/* What the note job saw; it truncates `truncate` to 3 bytes at its first
 * line, asks for a checkpoint at line ask_at and fails fail_at lines after
 * that. */
typedef struct seen {
    atomic_long count, sum;
    atomic_int first_pid, asked;
    atomic_long after_ask;
    const char *truncate;
    rill_pipeline *p;
    long ask_at, fail_at;
} seen;

static int note(rill_emitter *out, const rill_record *in, void *payload)
{
    seen *s = payload;
    char buf[64];
    size_t n = in->len < sizeof(buf) - 1 ? in->len : sizeof(buf) - 1;
    long v;
    (void)out;
    memcpy(buf, in->data, n);
    buf[n] = '\0';
    v = atol(buf);
    if (s->truncate && atomic_fetch_add(&s->count, 1) == 0)
        assert_int_equal(truncate(s->truncate, 3), 0);
    else if (!s->truncate)
        atomic_fetch_add(&s->count, 1);
    atomic_fetch_add(&s->sum, v);
    if (strncmp(buf, "Pid:", 4) == 0)
        atomic_store(&s->first_pid, 1);
    if (s->ask_at && v == s->ask_at) {
        rill_checkpoint_request(s->p);
        atomic_store(&s->asked, 1);
    }
    if (s->ask_at && v > s->ask_at && v < s->ask_at + 1000)
        usleep(500); /* time for the checkpoint to be taken, also under load */
    if (s->fail_at && atomic_load(&s->asked) && /* lines come in any order */
        atomic_fetch_add(&s->after_ask, 1) == s->fail_at) {
        rill_error_set("crash at %ld", v);
        return -1;
    }
    return 0;
}

static rill_pipeline *lines_of(const char *path, int64_t chunk, seen *s, const char *state,
                               int resume)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *work;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", chunk), 0);
    assert_int_equal(rill_job(p, "note", &so, note, s), 0);
    if (state) {
        rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
        co.path = state;
        co.resume = resume;
        assert_int_equal(rill_checkpointing(p, &co), 0);
    }
    s->p = p;
    return p;
}

static int read_lines(const char *path, int64_t chunk, int workers, seen *s)
{
    rill_run_options o = with_workers(workers);
    rill_pipeline *p = lines_of(path, chunk, s, NULL, 0);
    int rc = rill_run(p, &o, NULL);
    rill_pipeline_free(p);
    return rc;
}

/* ---- item 8: literal names ---- */

static void a_name_with_glob_characters_is_read_literally_when_it_exists(void **state)
{
    char path[512], other[512], pattern[512];
    seen s;
    (void)state;
    write_file("a[1].txt", "5\n", path, sizeof(path));
    write_file("a1.txt", "7\n", other, sizeof(other)); /* what the glob a[1].txt matches */
    memset(&s, 0, sizeof(s));
    assert_int_equal(read_lines(path, 0, 2, &s), 0);
    assert_int_equal(atomic_load(&s.count), 1);
    assert_int_equal(atomic_load(&s.sum), 5);
    /* a pattern naming no file is still a glob */
    snprintf(pattern, sizeof(pattern), "%s/a?.txt", dir);
    memset(&s, 0, sizeof(s));
    assert_int_equal(read_lines(pattern, 0, 2, &s), 0);
    assert_int_equal(atomic_load(&s.count), 1);
    assert_int_equal(atomic_load(&s.sum), 7);
}

/* ---- item 7: streams ---- */

static void a_fifo_written_by_a_child_is_read_as_a_stream(void **state)
{
    char path[512];
    pid_t child;
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_true((child = fork()) >= 0);
    if (child == 0) {
        FILE *f = fopen(path, "w");
        int i;
        if (f == NULL)
            _exit(1);
        for (i = 1; i <= 20000; i++) /* more than a pipe holds at once */
            fprintf(f, "%d\n", i);
        fprintf(f, "20001"); /* no final newline */
        fclose(f);
        _exit(0);
    }
    memset(&s, 0, sizeof(s));
    assert_int_equal(read_lines(path, 1, 2, &s), 0);
    kill(child, SIGKILL); /* in case the FIFO was never opened */
    waitpid(child, NULL, 0);
    assert_int_equal(atomic_load(&s.count), 20001);
    assert_int_equal(atomic_load(&s.sum), 20001L * 20002 / 2);
}

static void dev_stdin_on_a_pipe_is_read_as_a_stream(void **state)
{
    int fds[2], saved;
    pid_t child;
    seen s;
    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_true((child = fork()) >= 0);
    if (child == 0) {
        close(fds[0]);
        if (write(fds[1], "1\n2\n3\n", 6) != 6)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    assert_true((saved = dup(0)) >= 0);
    assert_int_equal(dup2(fds[0], 0), 0);
    close(fds[0]);
    memset(&s, 0, sizeof(s));
    assert_int_equal(read_lines("/dev/stdin", 0, 2, &s), 0);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    waitpid(child, NULL, 0);
    assert_int_equal(atomic_load(&s.count), 3);
    assert_int_equal(atomic_load(&s.sum), 6);
}

static void a_proc_file_is_read_as_a_stream(void **state)
{
    seen s;
    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(read_lines("/proc/self/status", 0, 1, &s), 0);
    assert_true(atomic_load(&s.count) > 5);
    assert_int_equal(atomic_load(&s.first_pid), 1);
}

/* ---- item 5: files that change ---- */

static void a_file_truncated_while_it_is_read_is_an_error_naming_it(void **state)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    char path[512];
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/shrinks.txt", dir);
    write_numbers(path, 400000); /* ~2.7 MB, one unit */
    memset(&s, 0, sizeof(s));
    s.truncate = path;
    o.batch_records = 64; /* the first line is seen long before the end is read */
    p = lines_of(path, 0, &s, NULL, 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), path));
    assert_non_null(strstr(rill_error_last(), "changed"));
    rill_pipeline_free(p);
}

/* The job rewrites the file in place (the same bytes, a later mtime) at its
 * first line: the units not yet started were made of the file as listed. */
static int rewrite_at_first(rill_emitter *out, const rill_record *in, void *payload)
{
    seen *s = payload;
    (void)out, (void)in;
    if (atomic_fetch_add(&s->count, 1) == 0) {
        usleep(10000);
        write_numbers(s->truncate, 300000);
    }
    return 0;
}

static void a_file_rewritten_between_its_units_is_an_error_naming_it(void **state)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    rill_batch *work;
    char path[512];
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/rewritten.txt", dir);
    write_numbers(path, 300000);
    memset(&s, 0, sizeof(s));
    s.truncate = path;
    o.batch_records = 64;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", 65536), 0);
    assert_int_equal(rill_job(p, "rewrite", &so, rewrite_at_first, &s), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), path));
    assert_non_null(strstr(rill_error_last(), "changed"));
    rill_pipeline_free(p);
}

/* Each failed run starts on a state file of its own. */
static void fresh_state(const char *db)
{
    char path[700];
    unlink(db);
    snprintf(path, sizeof(path), "%s-wal", db);
    unlink(path);
    snprintf(path, sizeof(path), "%s-shm", db);
    unlink(path);
}

static void copy_file(const char *from, const char *to)
{
    char buf[65536];
    FILE *a = fopen(from, "rb"), *b;
    size_t n;
    unlink(to);
    if (a == NULL)
        return;
    assert_non_null(b = fopen(to, "wb"));
    while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

/* A run of path that fails after a checkpoint still holding work of the
 * file not yet read (whether it does is up to the threads: a copy of the
 * state is resumed to see that the source reads from the file again). */
static void fail_with_unread_work(const char *path, const char *db)
{
    rill_run_options o = with_workers(2);
    char copy[600], from[700], to[700];
    int attempt;
    snprintf(copy, sizeof(copy), "%s.copy", db);
    o.batch_records = 10;
    for (attempt = 0; attempt < 10; attempt++) {
        rill_stage_stats st;
        rill_pipeline *p;
        seen s;
        memset(&s, 0, sizeof(s));
        s.ask_at = 1000;
        s.fail_at = 100000;
        fresh_state(db);
        p = lines_of(path, 65536, &s, db, 0);
        assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
        rill_pipeline_free(p);
        fresh_state(copy);
        copy_file(db, copy);
        snprintf(from, sizeof(from), "%s-wal", db);
        snprintf(to, sizeof(to), "%s-wal", copy);
        copy_file(from, to);
        memset(&s, 0, sizeof(s));
        p = lines_of(path, 65536, &s, copy, 1);
        assert_int_equal(rill_run(p, &o, NULL), 0); /* unchanged: the resume reads the rest */
        assert_int_equal(rill_pipeline_stats(&st, p, "lines"), 0);
        rill_pipeline_free(p);
        if (st.records_out > 0 && atomic_load(&s.count) < 300000)
            return; /* it resumed a checkpoint, and read from the file */
    }
    fail_msg("no checkpoint held unread work of %s in 10 runs", path);
}

static void a_resume_over_a_changed_file_is_refused_naming_it(void **state)
{
    rill_run_options o = with_workers(2);
    char path[512], db[512];
    rill_pipeline *p;
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/resumed.txt", dir);
    snprintf(db, sizeof(db), "%s/state.db", dir);
    write_numbers(path, 300000); /* ~2 MB: the checkpoint comes long before its end */
    o.batch_records = 10;

    /* replaced between the failure and the resume: refused */
    fail_with_unread_work(path, db);
    write_numbers(path, 300001);
    memset(&s, 0, sizeof(s));
    p = lines_of(path, 65536, &s, db, 1);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), path));
    assert_non_null(strstr(rill_error_last(), "changed"));
    rill_pipeline_free(p);

    /* written again in place, the same size: refused too (its mtime) */
    fail_with_unread_work(path, db);
    usleep(10000);
    write_numbers(path, 300001);
    memset(&s, 0, sizeof(s));
    p = lines_of(path, 65536, &s, db, 1);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), path));
    assert_non_null(strstr(rill_error_last(), "modified"));
    rill_pipeline_free(p);
}

/* Records read through the buffer across its refills, in chunks that do
 * not divide it, each once. */
static void records_across_buffer_refills_are_each_read_once(void **state)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *work;
    char path[512];
    FILE *f;
    long i, n = 300000;
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/records.bin", dir);
    assert_non_null(f = fopen(path, "wb"));
    for (i = 1; i <= n; i++)
        fprintf(f, "%011ld\n", i); /* 12-byte records */
    fclose(f);
    memset(&s, 0, sizeof(s));
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_records(p, "records", 12, 77777), 0);
    assert_int_equal(rill_job(p, "note", &so, note, &s), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(atomic_load(&s.count), n);
    assert_int_equal(atomic_load(&s.sum), n * (n + 1) / 2);
    rill_pipeline_free(p);
}

/* ---- item 10: units made in bounded numbers ---- */

/* What a run may add to the peak: ASan keeps freed memory in quarantine
 * (256 MB by default), TSan shadows each byte with more (a child's whole
 * peak under it is 170 MB where it is 6 MB without). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MEMORY_BOUND_KB (512L * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MEMORY_BOUND_KB (512L * 1024)
#endif
#endif
#ifndef MEMORY_BOUND_KB
#define MEMORY_BOUND_KB (64L * 1024)
#endif

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Under valgrind the peak is valgrind's (its shadow of each byte, the freed
 * blocks it holds back, its translations) and threads take turns: the bound
 * is only checked without it. */
static int peak_is_ours(void)
{
    const char *p = getenv("LD_PRELOAD");
    return !(p && strstr(p, "vgpreload") != NULL);
}

static void a_one_byte_chunk_on_megabytes_runs_in_bounded_memory(void **state)
{
    char path[512];
    long before;
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/many.txt", dir);
    write_numbers(path, 600000); /* ~4.5 MB: 4.5 million one-byte chunks */
    memset(&s, 0, sizeof(s));
    before = maxrss_kb();
    assert_int_equal(read_lines(path, 1, 2, &s), 0);
    assert_int_equal(atomic_load(&s.count), 600000);
    assert_int_equal(atomic_load(&s.sum), 600000L * 600001 / 2);
    if (peak_is_ours())
        assert_true(maxrss_kb() - before < MEMORY_BOUND_KB); /* far less than a unit per byte */
}

static void a_sequence_of_endless_range_stops_in_bounded_memory(void **state)
{
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_stream *st;
    rill_batch *b;
    const char *sink;
    size_t got = 0;
    long before = maxrss_kb();
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "count", 0, RILL_OFFSET_INFINITY - 1, 0), 0);
    assert_int_equal(rill_stream_open(&st, p, &o), 0);
    while (got < 100000) {
        assert_int_equal(rill_stream_next(&b, &sink, st), 1);
        got += rill_batch_count(b);
        rill_batch_free(b);
    }
    rill_stream_close(st);
    rill_pipeline_free(p);
    if (peak_is_ours())
        assert_true(maxrss_kb() - before < MEMORY_BOUND_KB);
}

/* The resident set now, in kB. */
static long resident_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &resident), 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A caller taking a stream's outputs slowly slows the reading: a sequence,
 * whose unit reads on until told to stop (endless, or a range too long to
 * end), waits for the caller's room instead of filling memory. */
static void a_slow_caller_of_a_stream_slows_its_sequence(void **state)
{
    static const int64_t ends[] = {RILL_OFFSET_INFINITY, RILL_OFFSET_INFINITY - 1};
    size_t k;
    (void)state;
    for (k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
        rill_run_options o = with_workers(2);
        rill_pipeline *p;
        rill_stream *st;
        rill_batch *b;
        const char *sink;
        long start = resident_kb(), most = 0;
        size_t got = 0;
        int taken;
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_sequence(p, "count", 0, ends[k], 0), 0);
        assert_int_equal(rill_stream_open(&st, p, &o), 0);
        for (taken = 0; taken < 300; taken++) {
            struct timespec ms = {0, 1000000};
            assert_int_equal(rill_stream_next(&b, &sink, st), 1);
            got += rill_batch_count(b);
            rill_batch_free(b);
            nanosleep(&ms, NULL); /* a slow caller */
            if (resident_kb() - start > most)
                most = resident_kb() - start;
        }
        rill_stream_close(st);
        rill_pipeline_free(p);
        assert_true(got >= 300);
        if (peak_is_ours())
            assert_true(most < MEMORY_BOUND_KB);
    }
}

/* A job of one call at a time taking 150 us a batch. */
static int slow_batches(rill_emitter *out, const rill_record *in, void *payload)
{
    static atomic_int n;
    (void)out;
    (void)in;
    (void)payload;
    if (atomic_fetch_add(&n, 1) % 1024 == 1023) {
        struct timespec t = {0, 150000};
        nanosleep(&t, NULL);
    }
    return 0;
}

/* A slow stage after a splittable source slows the reading: the source
 * does not fill the stage's queue (4 million values, about 100 MB if it
 * did), run in a child whose peak resident set is its own. */
static void a_slow_stage_after_a_sequence_slows_its_reading(void **state)
{
    struct rusage ru;
    int status;
    pid_t pid;
    (void)state;
    if ((pid = fork()) == 0) {
        rill_run_options o = with_workers(2);
        rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
        rill_pipeline *p;
        rill_batch *res;
        so.serial = 1;
        if (rill_pipeline_new(&p) != 0 || rill_sequence(p, "count", 0, 4000000, 0) != 0 ||
            rill_job(p, "slow", &so, slow_batches, NULL) != 0 || rill_run(p, &o, &res) != 0)
            _exit(1);
        rill_batch_free(res);
        rill_pipeline_free(p);
        _exit(0);
    }
    assert_true(pid > 0);
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (peak_is_ours())
        assert_true(ru.ru_maxrss < MEMORY_BOUND_KB);
}

/* A serial job taking 50 us every 64 lines. */
static int slow_lines(rill_emitter *out, const rill_record *in, void *payload)
{
    seen *s = payload;
    char buf[32];
    size_t n = in->len < sizeof(buf) - 1 ? in->len : sizeof(buf) - 1;
    (void)out;
    memcpy(buf, in->data, n);
    buf[n] = '\0';
    atomic_fetch_add(&s->sum, atol(buf));
    if (atomic_fetch_add(&s->count, 1) % 64 == 63) {
        struct timespec t = {0, 50000};
        nanosleep(&t, NULL);
    }
    return 0;
}

/* Many files behind a slow stage are all read, each line once, while
 * their units wait for room and running ones are cut for it (files not yet
 * cut into units are work to do, like units, not records held: counted as
 * records, a batch of them queued behind a waiting unit would keep the
 * queues full for good). In a child, which a hang kills (alarm). */
static void many_files_behind_a_slow_stage_are_all_read(void **state)
{
    char sub[512], path[600];
    int status, i;
    pid_t pid;
    (void)state;
    snprintf(sub, sizeof(sub), "%s/many", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    for (i = 0; i < 300; i++) {
        snprintf(path, sizeof(path), "%s/f%03d.txt", sub, i);
        write_numbers(path, 500);
    }
    if ((pid = fork()) == 0) {
        rill_run_options o = with_workers(3);
        rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
        rill_pipeline *p;
        rill_batch *work;
        seen s;
        alarm(60);
        memset(&s, 0, sizeof(s));
        so.serial = 1;
        snprintf(path, sizeof(path), "%s/*", sub);
        if (rill_batch_new(&work) != 0 || rill_batch_add_text(work, path) != 0 ||
            rill_pipeline_new(&p) != 0 || rill_work(p, work) != 0 ||
            rill_read_lines(p, "lines", 0) != 0 || rill_job(p, "slow", &so, slow_lines, &s) != 0 ||
            rill_run(p, &o, NULL) != 0)
            _exit(1);
        rill_pipeline_free(p);
        _exit(atomic_load(&s.count) == 300 * 500 && atomic_load(&s.sum) == 300L * 500 * 501 / 2 ? 0 : 2);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* not killed: it ended */
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_name_with_glob_characters_is_read_literally_when_it_exists),
        cmocka_unit_test(a_fifo_written_by_a_child_is_read_as_a_stream),
        cmocka_unit_test(dev_stdin_on_a_pipe_is_read_as_a_stream),
        cmocka_unit_test(a_proc_file_is_read_as_a_stream),
        cmocka_unit_test(a_file_truncated_while_it_is_read_is_an_error_naming_it),
        cmocka_unit_test(a_file_rewritten_between_its_units_is_an_error_naming_it),
        cmocka_unit_test(a_resume_over_a_changed_file_is_refused_naming_it),
        cmocka_unit_test(records_across_buffer_refills_are_each_read_once),
        cmocka_unit_test(a_one_byte_chunk_on_megabytes_runs_in_bounded_memory),
        cmocka_unit_test(a_sequence_of_endless_range_stops_in_bounded_memory),
        cmocka_unit_test(a_slow_caller_of_a_stream_slows_its_sequence),
        cmocka_unit_test(a_slow_stage_after_a_sequence_slows_its_reading),
        cmocka_unit_test(many_files_behind_a_slow_stage_are_all_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
