/* test_output.c — getting output out: pulling batches tagged with their sink
 * from a stream; writing them to a directory partitioned by sink and key, in
 * every format, published only when the run succeeds; escaping partition
 * values; temporaries that a planted symlink cannot redirect; a reused run
 * id replacing the whole set; JSON lines valid for any bytes (checked with
 * python3's json module); and reading rill's record files back, refusing
 * corrupt ones. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

typedef struct gen {
    int64_t batches, size, made, next;
} gen;

static int generate(rill_batch *out, void *payload)
{
    gen *g = payload;
    int64_t i;
    if (g->batches && g->made == g->batches)
        return 0;
    for (i = 0; i < g->size; i++) {
        char key[8];
        int len = snprintf(key, sizeof(key), "k%d", (int)(g->next % 3));
        int64_t v = g->next++;
        if (rill_batch_add_keyed(out, key, (size_t)len, &v, sizeof(v)) < 0)
            return -1;
    }
    g->made++;
    return 1;
}

/* "%lld" of each value, keyed as it came. */
static int as_text(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++) {
        char text[32];
        int64_t v;
        int len;
        memcpy(&v, in[i].data, sizeof(v));
        len = snprintf(text, sizeof(text), "%lld", (long long)v);
        if (rill_emit_keyed(out, in[i].key, in[i].key_len, text, (size_t)len) != 0)
            return -1;
    }
    return 0;
}

static int fail_at_40(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    for (i = 0; i < n; i++) {
        int64_t v;
        memcpy(&v, in[i].data, sizeof(v));
        if (v == 40)
            return -1;
    }
    return as_text(out, in, n, payload);
}

/* src -> {text, raw}: two sinks. */
static rill_pipeline *two_sinks(gen *g, rill_task_fn text)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, generate, g), 0);
    assert_int_equal(rill_task(p, "src", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_task(p, "text", NULL, text, NULL), 0);
    assert_int_equal(rill_task(p, "raw", NULL, copy_all, NULL), 0);
    assert_int_equal(rill_edge(p, "src", "text"), 0);
    assert_int_equal(rill_edge(p, "src", "raw"), 0);
    return p;
}

static void a_stream_hands_out_every_batch_tagged_with_its_sink(void **state)
{
    gen g = {20, 10, 0, 0};
    rill_pipeline *p = two_sinks(&g, as_text);
    rill_run_options o = with_workers(2);
    rill_stream *s;
    rill_batch *b;
    const char *sink;
    int64_t text = 0, raw = 0, raw_sum = 0;
    int rc;
    (void)state;
    assert_int_equal(rill_stream_open(&s, p, &o), 0);
    while ((rc = rill_stream_next(&b, &sink, s)) == 1) {
        size_t i;
        if (strcmp(sink, "text") == 0)
            text += (int64_t)rill_batch_count(b);
        else {
            assert_string_equal(sink, "raw");
            for (i = 0; i < rill_batch_count(b); i++) {
                rill_record r;
                int64_t v;
                assert_int_equal(rill_batch_get(&r, b, i), 0);
                memcpy(&v, r.data, sizeof(v));
                raw_sum += v;
                raw++;
            }
        }
        rill_batch_free(b);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(text, 200);
    assert_int_equal(raw, 200);
    assert_int_equal(raw_sum, 199 * 200 / 2);
    assert_int_equal(rill_stream_next(&b, &sink, s), 0); /* and it stays ended */
    rill_stream_close(s);
    rill_pipeline_free(p);
}

static void a_stream_can_be_closed_early_and_reports_failures(void **state)
{
    gen endless = {0, 10, 0, 0}, g = {20, 10, 0, 0};
    rill_pipeline *p = two_sinks(&endless, as_text);
    rill_run_options o = with_workers(2);
    rill_stream *s;
    rill_batch *b;
    const char *sink;
    int i;
    (void)state;
    assert_int_equal(rill_stream_open(&s, p, &o), 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(rill_stream_next(&b, &sink, s), 1);
        rill_batch_free(b);
    }
    rill_stream_close(s); /* the generator never ends: closing stops it */
    rill_pipeline_free(p);

    p = two_sinks(&g, fail_at_40);
    assert_int_equal(rill_stream_open(&s, p, &o), 0);
    while ((i = rill_stream_next(&b, &sink, s)) == 1)
        rill_batch_free(b);
    assert_int_equal(i, RILL_EUSER);
    assert_non_null(strstr(rill_error_last(), "task 'text' (stage 2) failed on records"));
    rill_stream_close(s);
    rill_pipeline_free(p);
}

/* ---- directories ---- */

static char tmpdir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rill-test-output-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every regular file under dir, as "relative/path" lines sorted, in out. */
static void list(const char *dir, const char *rel, char *out, size_t cap)
{
    char path[4096];
    struct dirent **names;
    int n, i;
    snprintf(path, sizeof(path), "%s%s%s", dir, rel[0] ? "/" : "", rel);
    n = scandir(path, &names, NULL, alphasort);
    for (i = 0; i < n; i++) {
        char sub[1024];
        struct stat st;
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            if ((size_t)snprintf(sub, sizeof(sub), "%s%s%.300s", rel, rel[0] ? "/" : "",
                                 names[i]->d_name) >= sizeof(sub))
                fail_msg("path too long under %s", dir);
            snprintf(path, sizeof(path), "%s/%s", dir, sub);
            if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                list(dir, sub, out, cap);
            else
                snprintf(out + strlen(out), cap - strlen(out), "%s\n", sub);
        }
        free(names[i]);
    }
    free(names);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    assert_non_null(f);
    assert_non_null(buf);
    if (fread(buf, 1, (1 << 16) - 1, f)) {
    }
    fclose(f);
    return buf;
}

static void output_is_written_partitioned_by_sink_and_published_at_the_end(void **state)
{
    gen g = {2, 3, 0, 0};
    rill_pipeline *p = two_sinks(&g, as_text);
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(1);
    char out[4096] = "", dir[512], *text;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/by-sink", tmpdir);
    d.dir = dir;
    d.format = RILL_FORMAT_TSV;
    d.run_id = "r1";
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    list(dir, "", out, sizeof(out));
    assert_string_equal(out, "task=raw/r1-0.tsv\ntask=raw/r1-1.tsv\n"
                             "task=text/r1-0.tsv\ntask=text/r1-1.tsv\n");
    snprintf(out, sizeof(out), "%s/task=text/r1-0.tsv", dir);
    text = slurp(out);
    assert_string_equal(text, "k0\t0\nk1\t1\nk2\t2\n");
    free(text);
    rill_pipeline_free(p);
}

/* By default the batches of a partition are appended to one file. */
static void a_partition_s_batches_go_to_one_file(void **state)
{
    gen g = {20, 3, 0, 0};
    rill_pipeline *p = two_sinks(&g, as_text);
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    rill_run_options o = with_workers(2);
    char out[4096] = "", dir[512], *text, *line;
    int lines = 0;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/appended", tmpdir);
    d.dir = dir;
    d.run_id = "r10";
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    list(dir, "", out, sizeof(out));
    assert_string_equal(out, "task=raw/r10-0.txt\ntask=text/r10-0.txt\n");
    snprintf(out, sizeof(out), "%s/task=text/r10-0.txt", dir);
    text = slurp(out);
    for (line = text; (line = strchr(line, '\n')) != NULL; line++)
        lines++;
    assert_int_equal(lines, 60); /* every batch's records */
    free(text);
    rill_pipeline_free(p);
}

static void output_can_be_partitioned_by_key_in_jsonl_with_another_label(void **state)
{
    gen g = {1, 6, 0, 0};
    rill_pipeline *p = two_sinks(&g, as_text);
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(1);
    char out[4096] = "", dir[512], *text;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/by-key", tmpdir);
    d.dir = dir;
    d.format = RILL_FORMAT_JSONL;
    d.sink_label = "sink";
    d.by_key = 1;
    d.run_id = "r2";
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    list(dir, "", out, sizeof(out));
    assert_string_equal(out, "sink=raw/key=k0/r2-0.jsonl\nsink=raw/key=k1/r2-0.jsonl\n"
                             "sink=raw/key=k2/r2-0.jsonl\nsink=text/key=k0/r2-0.jsonl\n"
                             "sink=text/key=k1/r2-0.jsonl\nsink=text/key=k2/r2-0.jsonl\n");
    snprintf(out, sizeof(out), "%s/sink=text/key=k1/r2-0.jsonl", dir);
    text = slurp(out);
    assert_string_equal(text, "{\"key\": \"k1\", \"value\": \"1\"}\n"
                              "{\"key\": \"k1\", \"value\": \"4\"}\n");
    free(text);
    rill_pipeline_free(p);
}

static void a_single_sink_is_not_partitioned_unless_asked_and_rill_files_read_back(void **state)
{
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(2);
    char out[4096] = "", dir[512], path[600];
    rill_pipeline *p;
    rill_reader *r;
    rill_record rec;
    int64_t sum = 0, n = 0, v;
    int rc;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/single", tmpdir);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 10)), 0);
    assert_int_equal(rill_task(p, "pass", NULL, copy_all, NULL), 0);
    d.dir = dir;
    d.format = RILL_FORMAT_RILL;
    d.run_id = "r3";
    o.batch_records = 100;
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    list(dir, "", out, sizeof(out));
    assert_non_null(strstr(out, "r3-0.rill\n"));
    assert_null(strstr(out, "task="));
    for (int f = 0; f < 10; f++) {
        snprintf(path, sizeof(path), "%s/r3-%d.rill", dir, f);
        if (access(path, F_OK) != 0)
            break;
        assert_int_equal(rill_reader_open(&r, path), 0);
        while ((rc = rill_reader_next(&rec, r)) == 1) {
            assert_null(rec.key);
            memcpy(&v, rec.data, sizeof(v));
            sum += v;
            n++;
        }
        assert_int_equal(rc, 0);
        rill_reader_close(r);
    }
    assert_int_equal(n, 10);
    assert_int_equal(sum, 45);
    rill_pipeline_free(p);
}

static void a_failed_run_leaves_no_file_behind(void **state)
{
    gen g = {20, 10, 0, 0};
    rill_pipeline *p = two_sinks(&g, fail_at_40);
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(2);
    char out[4096] = "", dir[512];
    (void)state;
    snprintf(dir, sizeof(dir), "%s/failed", tmpdir);
    d.dir = dir;
    d.run_id = "r4";
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER);
    list(dir, "", out, sizeof(out));
    assert_string_equal(out, "");
    rill_pipeline_free(p);
}

static void partition_values_cannot_leave_the_directory(void **state)
{
    static const char *keys[] = {"..", ".", "/", "a/b", "../../etc", "\x01\n\t", ""};
    char esc[256], longkey[1000], out[8192] = "", dir[512];
    int folders = 0;
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_pipeline *p;
    rill_batch *work;
    size_t i;
    (void)state;
    d.dir = tmpdir;
    d.sink_label = "../escape";
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_output_dir(p, &d), RILL_EINVAL);
    rill_pipeline_free(p);
    d = (rill_dir_options)RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1;
    assert_int_equal(rill_partition_escape(esc, sizeof(esc), "..", 2), 6);
    assert_string_equal(esc, "%2E%2E");
    assert_int_equal(rill_partition_escape(esc, sizeof(esc), "a/b", 3), 5);
    assert_string_equal(esc, "a%2Fb");
    rill_partition_escape(esc, sizeof(esc), "", 0);
    assert_string_equal(esc, "%");
    memset(longkey, 'x', sizeof(longkey));
    assert_int_equal(rill_partition_escape(esc, sizeof(esc), longkey, sizeof(longkey)), 200);
    assert_non_null(strchr(esc, '~'));
    longkey[999] = 'y'; /* another long value gets another name */
    {
        char esc2[256];
        rill_partition_escape(esc2, sizeof(esc2), longkey, sizeof(longkey));
        assert_string_not_equal(esc, esc2);
    }

    snprintf(dir, sizeof(dir), "%s/escape", tmpdir);
    assert_int_equal(rill_batch_new(&work), 0);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_int_equal(rill_batch_add_keyed(work, keys[i], strlen(keys[i]), "v", 1), 0);
    assert_int_equal(rill_batch_add_keyed(work, longkey, sizeof(longkey), "v", 1), 0);
    assert_int_equal(rill_batch_add(work, "no key", 6), 0); /* apart from the empty key */
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_task(p, "pass", NULL, copy_all, NULL), 0);
    d.dir = dir;
    d.by_key = 1;
    d.run_id = "r5";
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, NULL, NULL), 0);
    list(dir, "", out, sizeof(out));
    /* every file sits exactly one folder below dir, in a key= folder */
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *slash = strchr(line, '/');
        assert_non_null(slash);
        assert_null(strchr(slash + 1, '/'));
        assert_memory_equal(line, "key=", 4);
        assert_true(slash - line <= 4 + 200);
        assert_string_equal(slash + 1, "r5-0.txt");
        folders++;
    }
    assert_int_equal(folders, 9); /* 7 short keys, the long one, no key */
    rill_pipeline_free(p);
}

/* ---- safe temporaries, reused run ids, JSON lines ---- */

static void a_symlink_planted_at_a_temporary_name_is_not_written_through(void **state)
{
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(1);
    char dir[512], victim[600], link[600], out[4096] = "", *text;
    rill_pipeline *p;
    FILE *f;
    int i;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/planted", tmpdir);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
    assert_non_null(f = fopen(victim, "w"));
    fputs("precious\n", f);
    fclose(f);
    for (i = 0; i < 3; i++) { /* at the names temporaries had, and others like them */
        snprintf(link, sizeof(link), "%s/.r6-%d.tsv.tmp", dir, i);
        assert_int_equal(symlink(victim, link), 0);
    }
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, ints(0, 3)), 0);
    assert_int_equal(rill_task(p, "pass", NULL, copy_all, NULL), 0);
    d.dir = dir;
    d.format = RILL_FORMAT_TSV;
    d.run_id = "r6";
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    text = slurp(victim);
    assert_string_equal(text, "precious\n");
    free(text);
    snprintf(out, sizeof(out), "%s/r6-0.tsv", dir);
    {
        struct stat st;
        assert_int_equal(lstat(out, &st), 0);
        assert_true(S_ISREG(st.st_mode)); /* a file of its own, not the link */
    }
    rill_pipeline_free(p);
}

/* A run of two sinks giving batches batches of 3 to dir under run id. */
static int run_batches(const char *dir, const char *run_id, int64_t batches, rill_task_fn text)
{
    gen g = {0, 3, 0, 0};
    rill_pipeline *p;
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(1);
    int rc;
    g.batches = batches;
    p = two_sinks(&g, text);
    d.dir = dir;
    d.run_id = run_id;
    assert_int_equal(rill_output_dir(p, &d), 0);
    rc = rill_run(p, &o, NULL);
    rill_pipeline_free(p);
    return rc;
}

static void a_reused_run_id_replaces_the_whole_set_once_the_new_run_publishes(void **state)
{
    char dir[512], out[4096] = "", path[700];
    FILE *f;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/reused", tmpdir);
    assert_int_equal(run_batches(dir, "r8", 4, as_text), 0);
    assert_int_equal(run_batches(dir, "r8x", 1, as_text), 0); /* another id, kept */
    snprintf(path, sizeof(path), "%s/task=raw/notes.txt", dir); /* not rill's, kept */
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
    list(dir, "", out, sizeof(out));
    assert_string_equal(out, "task=raw/notes.txt\ntask=raw/r8-0.txt\ntask=raw/r8-1.txt\n"
                             "task=raw/r8-2.txt\ntask=raw/r8-3.txt\ntask=raw/r8x-0.txt\n"
                             "task=text/r8-0.txt\ntask=text/r8-1.txt\ntask=text/r8-2.txt\n"
                             "task=text/r8-3.txt\ntask=text/r8x-0.txt\n");
    /* a failed run with the same id changes nothing */
    assert_int_equal(run_batches(dir, "r8", 20, fail_at_40), RILL_EUSER);
    out[0] = '\0';
    list(dir, "", out, sizeof(out));
    assert_non_null(strstr(out, "task=text/r8-3.txt\n"));
    /* one that succeeds replaces the whole set: no r8-2 or r8-3 of the run before */
    assert_int_equal(run_batches(dir, "r8", 2, as_text), 0);
    out[0] = '\0';
    list(dir, "", out, sizeof(out));
    assert_string_equal(out, "task=raw/notes.txt\ntask=raw/r8-0.txt\ntask=raw/r8-1.txt\n"
                             "task=raw/r8x-0.txt\ntask=text/r8-0.txt\ntask=text/r8-1.txt\n"
                             "task=text/r8x-0.txt\n");
}

static void a_folder_at_a_final_name_fails_the_run_by_name_and_publishes_nothing(void **state)
{
    char dir[512], obstacle[600], out[4096] = "";
    (void)state;
    snprintf(dir, sizeof(dir), "%s/blocked", tmpdir);
    snprintf(obstacle, sizeof(obstacle), "%s/task=text/r9-1.txt", dir);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(out, sizeof(out), "%s/task=text", dir);
    assert_int_equal(mkdir(out, 0777), 0);
    assert_int_equal(mkdir(obstacle, 0777), 0);
    assert_int_equal(run_batches(dir, "r9", 3, as_text), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), obstacle));
    assert_non_null(strstr(rill_error_last(), strerror(EISDIR)));
    out[0] = '\0';
    list(dir, "", out, sizeof(out)); /* no file, published or temporary */
    assert_string_equal(out, "");
}

/* Records of random bytes (some valid UTF-8, most not), keyed or not. */
static int random_bytes(rill_batch *out, void *payload)
{
    unsigned *seed = payload;
    int i, j;
    if (*seed == 0)
        return 0;
    for (i = 0; i < 400; i++) {
        unsigned char key[16], value[64];
        int klen = 0, vlen;
        *seed = *seed * 1103515245u + 12345u;
        vlen = (int)((*seed >> 16) % sizeof(value));
        for (j = 0; j < vlen; j++) {
            *seed = *seed * 1103515245u + 12345u;
            value[j] = (unsigned char)(*seed >> 16);
            if (i % 4 == 0) /* plain text with control characters and quotes */
                value[j] = (unsigned char)"a\"\\\x01\x1f\x7f\n\t\xc3\xa9"[(*seed >> 20) % 11];
        }
        if (i % 3) {
            klen = (int)((*seed >> 8) % sizeof(key));
            for (j = 0; j < klen; j++)
                key[j] = (unsigned char)(*seed >> (j % 24));
        }
        if ((i % 3 ? rill_batch_add_keyed(out, key, (size_t)klen, value, (size_t)vlen)
                   : rill_batch_add(out, value, (size_t)vlen)) < 0)
            return -1;
    }
    *seed = 0;
    return 1;
}

static unsigned long long weigh(const unsigned char *s, size_t n)
{
    unsigned long long w = 0;
    size_t i;
    for (i = 0; i < n; i++)
        w += (i + 1) * s[i];
    return w;
}

static void json_lines_are_valid_json_for_any_bytes_and_give_them_back(void **state)
{
    static const char *check =
        "import json, sys, base64\n"
        "n = w = 0\n"
        "def weigh(b): return sum((i + 1) * c for i, c in enumerate(b))\n"
        "for line in open(sys.argv[1], 'rb'):\n"
        "    o = json.loads(line.decode('utf-8', 'strict'))\n"
        "    for f in ('key', 'value'):\n"
        "        if f in o: w += weigh(o[f].encode('utf-8', 'strict'))\n"
        "        elif f + '_base64' in o: w += weigh(base64.b64decode(o[f + '_base64'], validate=True))\n"
        "        elif f == 'value': sys.exit('no value: %r' % line)\n"
        "    n += 1\n"
        "print(n, w)\n";
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    d.file_bytes = 1; /* a file a batch: sets of several files */
    rill_run_options o = with_workers(1);
    char dir[512], cmd[2048], script[600], line[128];
    unsigned seed = 12345, again = 12345;
    unsigned long long want = 0, n = 0, got_n, got_w;
    rill_batch *b;
    rill_pipeline *p;
    FILE *f;
    size_t i;
    (void)state;
    if (system("python3 -c 'import json' 2>/dev/null") != 0)
        skip();
    snprintf(dir, sizeof(dir), "%s/json", tmpdir);
    snprintf(script, sizeof(script), "%s/check.py", tmpdir);
    assert_non_null(f = fopen(script, "w"));
    fputs(check, f);
    fclose(f);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_generator(p, random_bytes, &seed), 0);
    assert_int_equal(rill_task(p, "pass", NULL, copy_all, NULL), 0);
    d.dir = dir;
    d.format = RILL_FORMAT_JSONL;
    d.run_id = "j";
    o.batch_records = 100000;
    assert_int_equal(rill_output_dir(p, &d), 0);
    assert_int_equal(rill_run(p, &o, NULL), 0);
    rill_pipeline_free(p);
    assert_int_equal(rill_batch_new(&b), 0);
    assert_int_equal(random_bytes(b, &again), 1);
    for (i = 0; i < rill_batch_count(b); i++) {
        rill_record r;
        rill_batch_get(&r, b, i);
        want += weigh(r.data, r.len) + (r.key ? weigh(r.key, r.key_len) : 0);
        n++;
    }
    rill_batch_free(b);
    snprintf(cmd, sizeof(cmd), "python3 %s %s/j-0.jsonl 2>&1", script, dir);
    assert_non_null(f = popen(cmd, "r"));
    assert_non_null(fgets(line, sizeof(line), f));
    pclose(f);
    if (sscanf(line, "%llu %llu", &got_n, &got_w) != 2)
        fail_msg("the JSON lines do not parse: %s", line);
    assert_int_equal(got_n, n);
    assert_int_equal(got_w, want);
}

/* ---- record files ---- */

static void corrupt_record_files_are_refused_with_the_file_and_offset(void **state)
{
    static const unsigned char good[] = "RILLREC\x01"
                                        "\x02\x00\x00\x00\x03\x00\x00\x00" "kabc"
                                        "\x00\x00\x00\x00\x01\x00\x00\x00" "z";
    rill_reader *r;
    rill_record rec;
    size_t len = sizeof(good) - 1, cut;
    (void)state;
    assert_int_equal(rill_reader_open_memory(&r, good, len), 0);
    assert_int_equal(rill_reader_next(&rec, r), 1);
    assert_int_equal(rec.key_len, 1);
    assert_memory_equal(rec.key, "k", 1);
    assert_int_equal(rec.len, 3);
    assert_int_equal(rill_reader_next(&rec, r), 1);
    assert_null(rec.key);
    assert_int_equal(rill_reader_next(&rec, r), 0);
    rill_reader_close(r);
    for (cut = 0; cut < len; cut++) { /* every truncation but the clean ones */
        int rc = rill_reader_open_memory(&r, good, cut), n = 0;
        if (rc < 0) {
            assert_int_equal(rc, RILL_ECORRUPT);
            continue;
        }
        while ((rc = rill_reader_next(&rec, r)) == 1)
            n++;
        if (cut == 8 || cut == 20)
            assert_int_equal(rc, 0);
        else {
            assert_int_equal(rc, RILL_ECORRUPT);
            assert_non_null(strstr(rill_error_last(), "(memory): the record at offset"));
        }
        rill_reader_close(r);
    }
    assert_int_equal(rill_reader_open_memory(&r, "RILLREC\x02", 8), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "version 2"));
    assert_int_equal(rill_reader_open(&r, "/nonexistent/x.rill"), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "/nonexistent/x.rill"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stream_hands_out_every_batch_tagged_with_its_sink),
        cmocka_unit_test(a_stream_can_be_closed_early_and_reports_failures),
        cmocka_unit_test(output_is_written_partitioned_by_sink_and_published_at_the_end),
        cmocka_unit_test(a_partition_s_batches_go_to_one_file),
        cmocka_unit_test(output_can_be_partitioned_by_key_in_jsonl_with_another_label),
        cmocka_unit_test(a_single_sink_is_not_partitioned_unless_asked_and_rill_files_read_back),
        cmocka_unit_test(a_failed_run_leaves_no_file_behind),
        cmocka_unit_test(partition_values_cannot_leave_the_directory),
        cmocka_unit_test(a_symlink_planted_at_a_temporary_name_is_not_written_through),
        cmocka_unit_test(a_reused_run_id_replaces_the_whole_set_once_the_new_run_publishes),
        cmocka_unit_test(a_folder_at_a_final_name_fails_the_run_by_name_and_publishes_nothing),
        cmocka_unit_test(json_lines_are_valid_json_for_any_bytes_and_give_them_back),
        cmocka_unit_test(corrupt_record_files_are_refused_with_the_file_and_offset),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
