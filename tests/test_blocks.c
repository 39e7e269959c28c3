/* test_blocks.c — rill_read_blocks: the bytes of rill_read_lines as blocks of
 * whole lines. Every line comes once, whole, whatever the chunk boundaries
 * and workers, including a line longer than a block, empty lines and a last
 * line without a newline; each block ends at a line's end; a FIFO (a
 * stream) gives the same lines; counting words from blocks gives what
 * counting them from lines gives; a job with line_blocks after
 * rill_read_lines gets such blocks, counted as lines. And rill_read_lines, which makes a read's
 * lines in one go, gives every line whole across batches of any size. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "words.h"

static char dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-blocks-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Lines "<n> " padded with dots to n % 90 bytes, 6000 of them, an empty one
 * every 500th, one of 100,000 'x's in the middle, the last without '\n'. */
static char *text(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *t = malloc(cap);
    int i;
    assert_non_null(t);
    for (i = 1; i <= 6000; i++) {
        int w = snprintf(t + n, cap - n, "%d ", i);
        n += (size_t)w;
        for (; w < i % 90; w++)
            t[n++] = '.';
        if (i != 6000)
            t[n++] = '\n';
        if (i % 500 == 0 && i != 6000)
            t[n++] = '\n';
        if (i == 3000) {
            memset(t + n, 'x', 100000);
            n += 100000;
            t[n++] = '\n';
        }
    }
    *len = n;
    return t;
}

typedef struct seen {
    atomic_long lines, sum, empty, longest, bytes, unended, calls;
} seen;

static int note_block(rill_emitter *out, const rill_record *in, void *payload)
{
    seen *s = payload;
    const char *p = in->data, *end = p + in->len;
    (void)out;
    atomic_fetch_add(&s->calls, 1);
    atomic_fetch_add(&s->bytes, (long)in->len);
    if (in->len == 0) { /* an empty line, read as a line */
        atomic_fetch_add(&s->empty, 1);
        atomic_fetch_add(&s->unended, 1);
        return 0;
    }
    if (end[-1] != '\n') /* only the file's last line may end so */
        atomic_fetch_add(&s->unended, 1);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e == p)
            atomic_fetch_add(&s->empty, 1);
        else if (*p == 'x')
            atomic_fetch_add(&s->longest, (long)(e - p));
        else {
            atomic_fetch_add(&s->lines, 1);
            atomic_fetch_add(&s->sum, atol(p));
        }
        p = e + 1;
    }
    return 0;
}

static int read_text(const char *path, int64_t chunk, int workers, int blocks,
                     size_t batch_records, seen *s)
{
    rill_run_options o = with_workers(workers);
    rill_pipeline *p;
    rill_batch *work;
    int rc;
    memset(s, 0, sizeof(*s));
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(blocks ? rill_read_blocks(p, "blocks", chunk)
                            : rill_read_lines(p, "lines", chunk), 0);
    assert_int_equal(rill_job(p, "note", NULL, note_block, s), 0);
    o.batch_records = batch_records;
    rc = rill_run(p, &o, NULL);
    rill_pipeline_free(p);
    return rc;
}

static int read_blocks(const char *path, int64_t chunk, int workers, seen *s)
{
    return read_text(path, chunk, workers, 1, 0, s);
}

static void expect_all(const seen *s, size_t len)
{
    assert_int_equal(atomic_load(&s->lines), 6000);
    assert_int_equal(atomic_load(&s->sum), 6000L * 6001 / 2);
    assert_int_equal(atomic_load(&s->empty), 11);
    assert_int_equal(atomic_load(&s->longest), 100000);
    assert_int_equal(atomic_load(&s->bytes), (long)len);
    assert_int_equal(atomic_load(&s->unended), 1);
}

static void every_line_comes_once_in_whole_line_blocks(void **state)
{
    static const int64_t chunks[] = {0, 777, 65536, 100001, 250000};
    char path[512];
    size_t len, i;
    char *t = text(&len);
    FILE *f;
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/lines.txt", dir);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(t, 1, len, f), len);
    fclose(f);
    for (i = 0; i < sizeof(chunks) / sizeof(*chunks); i++) {
        assert_int_equal(read_blocks(path, chunks[i], (int)i % 2 + 1, &s), 0);
        expect_all(&s, len);
    }
    free(t);
}

/* A child writing t[0..len) into a new FIFO at path, piece bytes at a
 * time; wait_writer says it wrote all and closed it. */
static pid_t fifo_writer(const char *path, char *t, size_t len, size_t piece)
{
    pid_t pid;
    assert_int_equal(mkfifo(path, 0600), 0);
    if ((pid = fork()) == 0) {
        FILE *f = fopen(path, "wb");
        size_t at;
        int ok;
        for (at = 0; f && at < len; at += piece)
            fwrite(t + at, 1, len - at < piece ? len - at : piece, f), fflush(f);
        ok = f && fclose(f) == 0;
        free(t); /* under valgrind a child's exit is checked for leaks too */
        _exit(ok ? 0 : 1);
    }
    assert_true(pid > 0);
    return pid;
}

static void wait_writer(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
}

static void a_fifo_gives_the_same_lines(void **state)
{
    char path[512];
    size_t len;
    char *t = text(&len);
    pid_t pid;
    seen s;
    (void)state;
    snprintf(path, sizeof(path), "%s/fifo", dir);
    pid = fifo_writer(path, t, len, 4000); /* in small pieces */
    assert_int_equal(read_blocks(path, 0, 2, &s), 0);
    wait_writer(pid);
    expect_all(&s, len);
    free(t);
}

/* rill_read_lines makes the lines of a read in one go (emit_lines.c):
 * however few records a batch takes, and with a line longer than the bytes
 * a batch takes (1 MiB), every line comes once, whole and without its
 * '\n'. */
static void lines_come_whole_across_batches(void **state)
{
    static const size_t per_batch[] = {0, 1, 7};
    char path[512];
    size_t len, i, at;
    char *t = text(&len), *big;
    FILE *f;
    seen s;
    (void)state;
    big = malloc(len + 1500001);
    assert_non_null(big);
    at = (size_t)(strchr(t, 'x') - t); /* the long line: 1.6 MB of 'x's now */
    memcpy(big, t, at);
    memset(big + at, 'x', 1500000);
    memcpy(big + at + 1500000, t + at, len - at);
    len += 1500000;
    snprintf(path, sizeof(path), "%s/lines.txt", dir);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(big, 1, len, f), len);
    fclose(f);
    for (i = 0; i < sizeof(per_batch) / sizeof(*per_batch); i++) {
        assert_int_equal(read_text(path, 0, 2, 0, per_batch[i], &s), 0);
        assert_int_equal(atomic_load(&s.lines), 6000);
        assert_int_equal(atomic_load(&s.sum), 6000L * 6001 / 2);
        assert_int_equal(atomic_load(&s.empty), 11);
        assert_int_equal(atomic_load(&s.longest), 1600000);
        /* every record is a line without its '\n': 6,000 numbered, 11
         * empty and the long one; 6,011 newlines between them */
        assert_int_equal(atomic_load(&s.unended), 6012);
        assert_int_equal(atomic_load(&s.bytes), (long)len - 6011);
    }
    free(big);
    free(t);
}

static rill_batch *count_words(const char *path, int blocks, int workers)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_run_options o = with_workers(workers);
    rill_pipeline *p;
    rill_batch *work, *res;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(blocks ? rill_read_blocks(p, "text", 1 << 16) : rill_read_lines(p, "text", 1 << 16), 0);
    assert_int_equal(rill_job(p, "split", NULL, words_split, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    rill_pipeline_free(p);
    return res;
}

static int by_key(const void *a, const void *b)
{
    const rill_record *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->key_len < y->key_len ? x->key_len : y->key_len);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* A job with line_blocks after rill_read_lines is handed blocks of whole
 * lines (fewer calls than lines, every line once, whole), from a file and
 * from a FIFO, while the figures of the source (out) and of the job (in)
 * count the lines; without the option it gets a line a call. */
static void a_job_taking_line_blocks_gets_blocks_counted_as_lines(void **state)
{
    char path[512];
    size_t len, i;
    char *t = text(&len);
    FILE *f;
    (void)state;
    snprintf(path, sizeof(path), "%s/lines.txt", dir);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(t, 1, len, f), len);
    fclose(f);
    for (i = 0; i < 3; i++) {
        rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
        rill_run_options o = with_workers(2);
        rill_stage_stats src, job;
        rill_pipeline *p;
        rill_batch *work;
        pid_t pid = 0;
        seen s;
        memset(&s, 0, sizeof(s));
        so.line_blocks = i > 0;
        if (i == 2) { /* a FIFO: the blocks of each read */
            snprintf(path, sizeof(path), "%s/fifo", dir);
            pid = fifo_writer(path, t, len, 50000);
        }
        assert_int_equal(rill_batch_new(&work), 0);
        assert_int_equal(rill_batch_add_text(work, path), 0);
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, work), 0);
        assert_int_equal(rill_read_lines(p, "lines", 0), 0);
        assert_int_equal(rill_job(p, "note", &so, note_block, &s), 0);
        assert_int_equal(rill_run(p, &o, NULL), 0);
        if (pid > 0)
            wait_writer(pid);
        assert_int_equal(atomic_load(&s.lines), 6000);
        assert_int_equal(atomic_load(&s.sum), 6000L * 6001 / 2);
        assert_int_equal(atomic_load(&s.empty), 11);
        assert_int_equal(atomic_load(&s.longest), 100000);
        assert_int_equal(rill_pipeline_stats(&src, p, "lines"), 0);
        assert_int_equal(rill_pipeline_stats(&job, p, "note"), 0);
        assert_int_equal(src.records_out, 6012); /* numbered, empty and the long one */
        assert_int_equal(job.records_in, 6012);
        if (i == 0) { /* a line a call, without its '\n' */
            assert_int_equal(atomic_load(&s.calls), 6012);
            assert_int_equal(atomic_load(&s.bytes), (long)len - 6011);
        } else { /* blocks of whole lines, with their '\n's */
            assert_true(atomic_load(&s.calls) < 100);
            assert_int_equal(atomic_load(&s.bytes), (long)len);
            assert_int_equal(atomic_load(&s.unended), 1);
        }
        rill_pipeline_free(p);
    }
    free(t);
}

static void words_from_blocks_count_as_words_from_lines(void **state)
{
    static const char *words[] = {"a", "The", "quick", "BROWN", "fox", "jumps", "over",
                                  "lazy", "dogs", "pneumonoultramicroscopic", "x"};
    char path[512];
    rill_batch *a, *b;
    rill_record *ra, *rb;
    FILE *f;
    size_t i, n;
    (void)state;
    snprintf(path, sizeof(path), "%s/words.txt", dir);
    assert_non_null(f = fopen(path, "wb"));
    for (i = 0; i < 60000; i++) /* word i % 11, lines of 13 words */
        fprintf(f, "%s%s", words[i % 11], i % 13 == 12 ? ".\n" : ", ");
    fclose(f);
    a = count_words(path, 0, 2);
    b = count_words(path, 1, 2);
    n = rill_batch_count(a);
    assert_int_equal(rill_batch_count(b), n);
    assert_int_equal(n, 11);
    ra = calloc(n, sizeof(*ra));
    rb = calloc(n, sizeof(*rb));
    for (i = 0; i < n; i++) {
        assert_int_equal(rill_batch_get(&ra[i], a, i), 0);
        assert_int_equal(rill_batch_get(&rb[i], b, i), 0);
    }
    qsort(ra, n, sizeof(*ra), by_key);
    qsort(rb, n, sizeof(*rb), by_key);
    for (i = 0; i < n; i++) {
        assert_int_equal(ra[i].key_len, rb[i].key_len);
        assert_memory_equal(ra[i].key, rb[i].key, ra[i].key_len);
        assert_int_equal(i64(&ra[i]), i64(&rb[i]));
    }
    free(ra);
    free(rb);
    rill_batch_free(a);
    rill_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_line_comes_once_in_whole_line_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(a_fifo_gives_the_same_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(lines_come_whole_across_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(a_job_taking_line_blocks_gets_blocks_counted_as_lines,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(words_from_blocks_count_as_words_from_lines, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
