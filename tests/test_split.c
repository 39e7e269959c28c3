/* test_split.c — splittable work end to end: the line source reads every
 * line exactly once whatever the chunk boundaries (every byte offset), over
 * several files and globs; idle workers split a large file and share it;
 * check_done is enforced; fixed-size records; the counting sequence, bounded
 * and endless (resumed from checkpoints); progress reports. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdatomic.h>
#include <unistd.h>

#include "helpers.h"

static char dir[256];

/* Under valgrind threads take turns, so whether an idle worker finds work
 * to split is up to its scheduler; the counts of what was read still hold. */
static int serialized_threads(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-split-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *name, const char *text, size_t len, char *path, size_t cap)
{
    FILE *f;
    snprintf(path, cap, "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* Lines are "<n>" numbers; a line-number checksum and count. */
typedef struct seen {
    atomic_long count, sum, empty;
} seen;

static int note_line(rill_emitter *out, const rill_record *in, void *payload)
{
    seen *s = payload;
    char buf[32];
    (void)out;
    if (in->len == 0) {
        atomic_fetch_add(&s->empty, 1);
        return 0;
    }
    assert_true(in->len < sizeof(buf));
    memcpy(buf, in->data, in->len);
    buf[in->len] = '\0';
    assert_null(memchr(in->data, '\n', in->len));
    atomic_fetch_add(&s->count, 1);
    atomic_fetch_add(&s->sum, atol(buf));
    return 0;
}

static int read_all(const char *pattern, int64_t chunk, int workers, seen *s)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_run_options o = with_workers(workers);
    rill_pipeline *p;
    rill_batch *work;
    int rc;
    memset(s, 0, sizeof(*s));
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, pattern), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", chunk), 0);
    assert_int_equal(rill_job(p, "note", &so, note_line, s), 0);
    rc = rill_run(p, &o, NULL);
    rill_pipeline_free(p);
    return rc;
}

static void every_line_is_read_once_whatever_the_chunk_boundaries(void **state)
{
    char text[512], path[512];
    size_t len = 0;
    int64_t chunk;
    int i;
    seen s;
    (void)state;
    for (i = 1; i <= 40; i++) /* lines of 1 to 3 digits, two empty ones */
        len += (size_t)snprintf(text + len, sizeof(text) - len, i % 17 ? "%d\n" : "%d\n\n", i * 7);
    len += (size_t)snprintf(text + len, sizeof(text) - len, "999"); /* no final newline */
    write_file("small.txt", text, len, path, sizeof(path));
    for (chunk = 1; chunk <= (int64_t)len + 1; chunk++) { /* chunk 1: a boundary at every byte */
        assert_int_equal(read_all(path, chunk, chunk % 3 + 1, &s), 0);
        assert_int_equal(atomic_load(&s.count), 41);
        assert_int_equal(atomic_load(&s.sum), 7 * 40 * 41 / 2 + 999);
        assert_int_equal(atomic_load(&s.empty), 2);
    }
}

static void a_glob_reads_every_matching_file_and_an_empty_one_is_fine(void **state)
{
    char path[512], pattern[512];
    seen s;
    (void)state;
    write_file("part-1.log", "1\n2\n", 4, path, sizeof(path));
    write_file("part-2.log", "3\n4", 3, path, sizeof(path));
    write_file("part-3.log", "", 0, path, sizeof(path));
    snprintf(pattern, sizeof(pattern), "%s/part-*.log", dir);
    assert_int_equal(read_all(pattern, 0, 2, &s), 0);
    assert_int_equal(atomic_load(&s.count), 4);
    assert_int_equal(atomic_load(&s.sum), 10);
    snprintf(pattern, sizeof(pattern), "%s/nothing-*.log", dir);
    assert_int_equal(read_all(pattern, 0, 2, &s), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "no file matches"));
}

static void idle_workers_split_one_large_file_and_each_line_comes_once(void **state)
{
    char path[512];
    int workers;
    FILE *f;
    long i, n = 600000;
    (void)state;
    snprintf(path, sizeof(path), "%s/large.txt", dir);
    assert_non_null(f = fopen(path, "wb"));
    for (i = 1; i <= n; i++)
        fprintf(f, "%ld\n", i);
    fclose(f);
    for (workers = 2; workers <= 4; workers += 2) {
        rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
        rill_run_options o = with_workers(workers);
        rill_stage_stats st;
        rill_pipeline *p;
        rill_batch *work;
        seen s;
        memset(&s, 0, sizeof(s));
        assert_int_equal(rill_batch_new(&work), 0);
        assert_int_equal(rill_batch_add_text(work, path), 0);
        assert_int_equal(rill_pipeline_new(&p), 0);
        assert_int_equal(rill_work(p, work), 0);
        assert_int_equal(rill_read_lines(p, "lines", 0), 0); /* one chunk: no split ahead */
        assert_int_equal(rill_job(p, "note", &so, note_line, &s), 0);
        assert_int_equal(rill_run(p, &o, NULL), 0);
        assert_int_equal(atomic_load(&s.count), n);
        assert_int_equal(atomic_load(&s.sum), n * (n + 1) / 2);
        assert_int_equal(rill_pipeline_stats(&st, p, "lines"), 0);
        assert_int_equal(st.records_out, (uint64_t)n);
        if (!serialized_threads()) { /* valgrind runs one thread at a time */
            assert_true(st.splits >= 1);
            assert_true(st.workers >= 2);
        }
        rill_pipeline_free(p);
    }
}

/* ---- contract enforcement ---- */

static int ten(const rill_record *el, rill_restriction *r, void *payload)
{
    (void)el, (void)payload;
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    r->to = 10;
    return 0;
}

static int half_done(rill_emitter *out, const rill_record *el, rill_tracker *t, void *payload)
{
    int64_t i;
    (void)el, (void)payload;
    for (i = 0; i < 5; i++)
        if (rill_tracker_try_claim(t, i) == 1 && rill_emit_int64(out, i) != 0)
            return -1;
    return RILL_PROCESS_DONE;
}

static void unclaimed_work_after_done_is_an_error_naming_the_stage(void **state)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    rill_run_options o1;
    rill_pipeline *p;
    rill_batch *work;
    (void)state;
    o.initial = ten;
    o.process = half_done;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, "element"), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_splittable(p, "partial", &o, NULL), 0);
    o1 = with_workers(1); /* no idle worker to split the range while it runs */
    assert_int_equal(rill_run(p, &o1, NULL), RILL_EINCOMPLETE);
    assert_string_equal(rill_error_last(),
                        "splittable 'partial' (stage 1) failed finishing record 0 \"element\": "
                        "claiming work in [5, 10) was not attempted");
    rill_pipeline_free(p);
}

/* ---- fixed-size records ---- */

static int sum_records(rill_emitter *out, const rill_record *in, void *payload)
{
    seen *s = payload;
    int64_t v;
    (void)out;
    assert_int_equal(in->len, 12);
    memcpy(&v, (const char *)in->data + 4, 8);
    atomic_fetch_add(&s->count, 1);
    atomic_fetch_add(&s->sum, v);
    return 0;
}

static void fixed_size_records_are_read_once_and_a_partial_one_refused(void **state)
{
    char buf[12 * 5000 + 5], path[512];
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    rill_run_options o = with_workers(3);
    rill_pipeline *p;
    rill_batch *work;
    int64_t i;
    seen s;
    (void)state;
    memset(buf, 'x', sizeof(buf)); /* the 5 bytes of a partial record too */
    for (i = 0; i < 5000; i++) {
        memcpy(buf + i * 12, "REC:", 4);
        memcpy(buf + i * 12 + 4, &i, 8);
    }
    write_file("records.bin", buf, 12 * 5000, path, sizeof(path));
    memset(&s, 0, sizeof(s));
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_records(p, "records", 12, 700), 0);
    assert_int_equal(rill_job(p, "sum", &so, sum_records, &s), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_int_equal(atomic_load(&s.count), 5000);
    assert_int_equal(atomic_load(&s.sum), 4999 * 5000 / 2);
    rill_pipeline_free(p);

    write_file("records.bin", buf, 12 * 5000 + 5, path, sizeof(path));
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, path), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_records(p, "records", 12, 700), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "records.bin holds 60005 bytes, not a whole "
                                              "number of 12-byte records"));
    rill_pipeline_free(p);
}

/* ---- the counting sequence ---- */

static void a_bounded_sequence_counts_every_value_once(void **state)
{
    rill_run_options o = with_workers(4);
    rill_pipeline *p;
    rill_batch *res;
    size_t n, i;
    int64_t *v;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "count", 5, 300005, 0), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 300000);
    for (i = 0; i < n; i++)
        assert_int_equal(v[i], (int64_t)i + 5);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

static void an_endless_sequence_resumes_from_its_checkpoints(void **state)
{
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_stream *s;
    rill_batch *b, *all;
    const char *sink;
    size_t n = 0, i;
    int64_t *v;
    (void)state;
    assert_int_equal(rill_batch_new(&all), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "ticks", 0, RILL_OFFSET_INFINITY, 20000), 0);
    assert_int_equal(rill_stream_open(&s, p, &o), 0);
    while (rill_batch_count(all) < 3000) { /* at 20,000 a second: about 0.15 s */
        assert_int_equal(rill_stream_next(&b, &sink, s), 1);
        assert_string_equal(sink, "ticks");
        for (i = 0; i < rill_batch_count(b); i++) {
            rill_record r;
            assert_int_equal(rill_batch_get(&r, b, i), 0);
            assert_int_equal(rill_batch_add_record(all, &r), 0);
        }
        rill_batch_free(b);
    }
    rill_stream_close(s);
    v = sorted_ints(all, &n);
    for (i = 0; i < n; i++) /* every value once, from 0 on, no gap */
        assert_int_equal(v[i], (int64_t)i);
    free(v);
    rill_batch_free(all);
    rill_pipeline_free(p);
}

/* ---- progress ---- */

typedef struct progress_log {
    atomic_int calls;
    double last_completed, last_remaining;
    int bad;
} progress_log;

static void on_progress(const rill_progress *pr, void *payload)
{
    progress_log *l = payload;
    if (pr->completed < 0 || pr->remaining < 0 || pr->completed + pr->remaining > 2e6 + 1)
        l->bad = 1;
    l->last_completed = pr->completed;
    l->last_remaining = pr->remaining;
    atomic_fetch_add(&l->calls, 1);
}

static int slow(rill_emitter *out, const rill_record *in, void *payload)
{
    volatile int spin;
    (void)payload;
    for (spin = 0; spin < 200; spin++)
        ;
    return rill_emit_record(out, in);
}

static void progress_is_reported_while_the_run_goes(void **state)
{
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    progress_log l;
    (void)state;
    memset(&l, 0, sizeof(l));
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_sequence(p, "count", 0, 2000000, 0), 0);
    assert_int_equal(rill_job(p, "slow", NULL, slow, NULL), 0);
    assert_int_equal(rill_on_progress(p, 1, on_progress, &l), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    assert_true(atomic_load(&l.calls) >= 1);
    assert_false(l.bad);
    rill_pipeline_free(p);
}

/* ---- byte keys through a splittable stage ---- */

static int key_space(const rill_record *el, rill_restriction *r, void *payload)
{
    (void)el, (void)payload;
    memset(r, 0, sizeof(*r));
    r->kind = RILL_RANGE_BYTEKEY;
    r->end = "\xff";
    r->end_len = 1;
    return 0;
}

/* Claims the 65,280 two-byte keys below 0xff 0x00, emitting each; slowly
 * enough that idle workers find the range worth splitting. */
static int two_byte_keys(rill_emitter *out, const rill_record *el, rill_tracker *t,
                         void *payload)
{
    rill_restriction r;
    unsigned k;
    int rc;
    (void)el, (void)payload;
    rill_tracker_current(&r, t);
    /* the first two-byte key at or after the start */
    k = r.start_len == 0 ? 0
        : (unsigned)((const unsigned char *)r.start)[0] << 8 |
              (r.start_len > 1 ? ((const unsigned char *)r.start)[1] : 0u);
    if (r.start_len > 2)
        k++;
    for (; k < 0xff00; k++) {
        unsigned char key[2] = {(unsigned char)(k >> 8), (unsigned char)k};
        volatile int spin;
        if ((rc = rill_tracker_try_claim_key(t, key, 2)) == 0)
            break;
        if (rc < 0)
            return rc;
        for (spin = 0; spin < 300; spin++)
            ;
        if ((rc = rill_emit_int64(out, (int64_t)k)) != 0)
            return rc;
    }
    rill_tracker_try_claim_key(t, "", 0); /* the end of the range */
    return RILL_PROCESS_DONE;
}

static void byte_key_ranges_are_split_by_idle_workers_and_read_once(void **state)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    rill_run_options ro = with_workers(4);
    rill_stage_stats st;
    rill_pipeline *p;
    rill_batch *work, *res;
    size_t n, i;
    int64_t *v;
    (void)state;
    o.initial = key_space;
    o.process = two_byte_keys;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, "keys"), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_splittable(p, "keys", &o, NULL), 0);
    assert_int_equal(rill_run(p, &ro, &res), 0);
    v = sorted_ints(res, &n);
    assert_int_equal(n, 0xff00);
    for (i = 0; i < n; i++)
        assert_int_equal(v[i], (int64_t)i);
    assert_int_equal(rill_pipeline_stats(&st, p, "keys"), 0);
    if (!serialized_threads())
        assert_true(st.splits >= 1);
    free(v);
    rill_batch_free(res);
    rill_pipeline_free(p);
}

/* Each unit's size, in the order the one worker gets them. */
typedef struct unit_sizes {
    int64_t size[64];
    int n;
} unit_sizes;

static int whole_1020(const rill_record *el, rill_restriction *r, void *payload)
{
    (void)el;
    (void)payload;
    memset(r, 0, sizeof(*r));
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    r->to = 1020;
    return 0;
}

static int note_size(rill_emitter *out, const rill_record *el, rill_tracker *t, void *payload)
{
    unit_sizes *u = payload;
    rill_restriction r;
    int64_t pos;
    (void)out;
    (void)el;
    assert_int_equal(rill_tracker_current(&r, t), 0);
    if (u->n < 64)
        u->size[u->n++] = r.to - r.from;
    for (pos = r.from; rill_tracker_try_claim(t, pos) == 1; pos++)
        ;
    return RILL_PROCESS_DONE;
}

/* Beam's OffsetRange.split: chunks of the size asked for, but a remainder
 * under a quarter of it joins the last chunk instead of standing alone. */
static void a_small_remainder_joins_the_last_chunk_as_beam_splits(void **state)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    rill_run_options ro = RILL_RUN_OPTIONS_INIT;
    unit_sizes u;
    rill_pipeline *p;
    int i;
    (void)state;
    memset(&u, 0, sizeof(u));
    o.initial = whole_1020;
    o.process = note_size;
    o.chunk = 100;
    o.min_split = INT64_MAX; /* no dynamic splits: the chunks as made */
    ro.workers = 1;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 1)), 0);
    assert_int_equal(rill_splittable(p, "units", &o, &u), 0);
    assert_int_equal(rill_run(p, &ro, NULL), 0);
    assert_int_equal(u.n, 10); /* not 11 with a last one of 20 */
    for (i = 0; i < 9; i++)
        assert_int_equal(u.size[i], 100);
    assert_int_equal(u.size[9], 120);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_small_remainder_joins_the_last_chunk_as_beam_splits),
        cmocka_unit_test(every_line_is_read_once_whatever_the_chunk_boundaries),
        cmocka_unit_test(a_glob_reads_every_matching_file_and_an_empty_one_is_fine),
        cmocka_unit_test(idle_workers_split_one_large_file_and_each_line_comes_once),
        cmocka_unit_test(unclaimed_work_after_done_is_an_error_naming_the_stage),
        cmocka_unit_test(fixed_size_records_are_read_once_and_a_partial_one_refused),
        cmocka_unit_test(a_bounded_sequence_counts_every_value_once),
        cmocka_unit_test(an_endless_sequence_resumes_from_its_checkpoints),
        cmocka_unit_test(progress_is_reported_while_the_run_goes),
        cmocka_unit_test(byte_key_ranges_are_split_by_idle_workers_and_read_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
