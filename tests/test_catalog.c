/* test_catalog.c — catalogs (include/rill/catalog.h) doing what they say on
 * real SQLite files in a scratch folder: versions made by transactions,
 * get / list / stat at any version, diffs by content (a revert is no
 * change), the log, payload files stored once by hash, folders imported
 * and exported, garbage collection with retention. Damaged files, a second
 * writer and kill -9 are test_catalog_damage.c. */
#include "catalog_helpers.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- versions ---- */

static void catalog_starts_empty_at_version_zero(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    int64_t v = -5;
    (void)s;
    assert_int_equal(rill_catalog_latest(&v, c), 0);
    assert_int_equal(v, 0);
    assert_string_equal(contents(c, 0), "");
    assert_string_equal(contents(c, RILL_CATALOG_LATEST), "");
    assert_int_equal(get_str(c, 0, "a"), RILL_ENOTFOUND);
    assert_int_equal(get_str(c, 1, "a"), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "no version 1 (the latest is 0)"));
    assert_string_equal(rill_catalog_name(c), "docs");
    assert_string_equal(rill_catalog_path(c), db);
    rill_catalog_free(c);
}

static void each_commit_makes_the_next_version_and_earlier_ones_stay_readable(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_entry e;
    (void)s;
    assert_int_equal(commit_ops(c, "a=1 b=2", "first"), 1);
    assert_int_equal(commit_ops(c, "a=10 -b c=3", "second"), 2);
    assert_string_equal(contents(c, 1), "a=1 b=2");
    assert_string_equal(contents(c, 2), "a=10 c=3");
    assert_string_equal(contents(c, RILL_CATALOG_LATEST), "a=10 c=3");
    assert_int_equal(get_str(c, 1, "b"), 0);
    assert_string_equal(got, "2");
    assert_int_equal(get_str(c, 2, "b"), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "version 2 has no key \"b\""));
    assert_int_equal(rill_catalog_stat(&e, c, 2, "c", 1), 0);
    assert_int_equal(e.since, 2);
    assert_int_equal(e.size, 1);
    assert_int_equal(e.in_file, 0);
    assert_int_equal(rill_catalog_stat(&e, c, 2, "a", 1), 0);
    assert_int_equal(e.since, 2);
    rill_catalog_free(c);
}

static void the_hash_is_xxh3_128_of_the_data_in_canonical_bytes(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_entry e;
    XXH128_canonical_t can;
    char hex[33];
    (void)s;
    commit_ops(c, "k=hello", NULL);
    assert_int_equal(rill_catalog_stat(&e, c, 1, "k", 1), 0);
    XXH128_canonicalFromHash(&can, XXH3_128bits("hello", 5));
    assert_memory_equal(e.hash, can.digest, 16);
    rill_catalog_hash_hex(hex, e.hash);
    assert_int_equal(strlen(hex), 32);
    rill_catalog_free(c);
}

static void a_put_of_the_same_content_and_a_revert_are_no_change(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_entry e;
    (void)s;
    commit_ops(c, "a=x b=1", NULL);        /* 1 */
    commit_ops(c, "a=x", NULL);            /* 2: the same */
    assert_string_equal(diff(c, 1, 2), "");
    assert_int_equal(rill_catalog_stat(&e, c, 2, "a", 1), 0);
    assert_int_equal(e.since, 1);          /* still the content version 1 put */
    commit_ops(c, "a=y", NULL);            /* 3 */
    commit_ops(c, "a=x", NULL);            /* 4: back to what 1 had */
    assert_string_equal(diff(c, 1, 4), "");
    assert_string_equal(diff(c, 3, 4), "~a");
    commit_ops(c, "-b", NULL);             /* 5 */
    commit_ops(c, "b=1", NULL);            /* 6: deleted and put again the same */
    assert_string_equal(diff(c, 4, 6), "");
    assert_string_equal(diff(c, 4, 5), "-b");
    rill_catalog_free(c);
}

static void diff_names_added_removed_and_changed_in_key_order_both_ways(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    (void)s;
    commit_ops(c, "m=1 b=1 z=1 q=1", NULL);
    commit_ops(c, "a=1 -b m=2 y=1 -z", NULL);
    assert_string_equal(diff(c, 1, 2), "+a -b ~m +y -z");
    assert_string_equal(diff(c, 2, 1), "-a +b ~m -y +z");
    assert_string_equal(diff(c, 0, 2), "+a +m +q +y");
    assert_string_equal(diff(c, 2, 2), "");
    assert_string_equal(diff(c, RILL_CATALOG_LATEST, 0), "-a -m -q -y");
    assert_int_equal(rill_catalog_diff(c, 1, 3, diff_one, NULL), RILL_ENOTFOUND);
    rill_catalog_free(c);
}

/* In one transaction: a put undone by a put of the old content, a delete
 * undone by a put of it, a new key put and deleted: nothing changes. */
static void changes_undone_inside_a_transaction_are_no_change(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_txn *t;
    int64_t v;
    (void)s;
    commit_ops(c, "a=1 b=2", NULL);
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    assert_int_equal(rill_catalog_txn_version(t), 2);
    put_str(t, "a", "9");
    put_str(t, "a", "8");
    put_str(t, "a", "1");
    assert_int_equal(rill_catalog_delete(t, "b", 1), 0);
    assert_int_equal(rill_catalog_delete(t, "b", 1), RILL_ENOTFOUND);
    put_str(t, "b", "2");
    put_str(t, "n", "new");
    assert_int_equal(rill_catalog_delete(t, "n", 1), 0);
    assert_int_equal(rill_catalog_commit(&v, t, NULL), 0);
    assert_int_equal(v, 2);
    assert_string_equal(diff(c, 1, 2), "");
    assert_string_equal(contents(c, 2), "a=1 b=2");
    rill_catalog_free(c);
}

static void an_empty_commit_makes_a_version_and_abort_makes_none(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_txn *t;
    logged l = {0};
    int64_t v;
    (void)s;
    commit_ops(c, "a=1", NULL);
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    put_str(t, "a", "2");
    put_str(t, "x", "y");
    rill_catalog_abort(t);
    assert_int_equal(rill_catalog_latest(&v, c), 0);
    assert_int_equal(v, 1);
    assert_string_equal(contents(c, 1), "a=1");
    assert_int_equal(commit_ops(c, "", "nothing"), 2); /* the number abort did not use */
    assert_string_equal(contents(c, 2), "a=1");
    assert_string_equal(diff(c, 1, 2), "");
    assert_int_equal(rill_catalog_log(c, log_one, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].version, 2);
    assert_string_equal(l.msg[0], "nothing");
    assert_int_equal(l.v[0].partitions, 1);
    assert_int_equal(l.v[0].added + l.v[0].removed + l.v[0].changed, 0);
    rill_catalog_free(c);
}

static void the_log_lists_versions_newest_first_with_counts_and_messages(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    logged l = {0};
    int64_t before = 0;
    (void)s;
    commit_ops(c, "a=1 b=22 c=333", "load");
    commit_ops(c, "a=1111 -b d=4", NULL);
    assert_int_equal(rill_catalog_log(c, log_one, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[1].version, 1);
    assert_string_equal(l.msg[1], "load");
    assert_int_equal(l.v[1].partitions, 3);
    assert_int_equal(l.v[1].bytes, 6);
    assert_int_equal(l.v[1].added, 3);
    assert_int_equal(l.v[0].version, 2);
    assert_string_equal(l.msg[0], "");
    assert_int_equal(l.v[0].partitions, 3);
    assert_int_equal(l.v[0].bytes, 4 + 3 + 1);
    assert_int_equal(l.v[0].added, 1);
    assert_int_equal(l.v[0].removed, 1);
    assert_int_equal(l.v[0].changed, 1);
    assert_int_equal(l.v[0].pruned, 0);
    before = l.v[1].time_ms;
    assert_true(before > 1700000000000LL);
    assert_true(l.v[0].time_ms >= before);
    rill_catalog_free(c);
}

static int stop_at_first(const rill_catalog_entry *e, void *payload)
{
    (void)e;
    ++*(int *)payload;
    return 7;
}

static void bad_arguments_are_refused_and_a_callback_can_stop(void **s)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *c = open_cat("docs", 0), *d = NULL;
    rill_catalog_txn *t, *t2;
    char big[RILL_CATALOG_KEY_MAX + 1];
    int calls = 0;
    (void)s;
    memset(big, 'k', sizeof(big));
    assert_int_equal(rill_catalog_open(&d, "", NULL), RILL_EINVAL);
    assert_int_equal(rill_catalog_open(&d, "a\nb", NULL), RILL_EINVAL);
    o.version = 99;
    assert_int_equal(rill_catalog_open(&d, "x", &o), RILL_EINVAL);
    assert_null(d);
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    assert_int_equal(rill_catalog_put(t, "", 0, "x", 1), RILL_EINVAL);
    assert_int_equal(rill_catalog_put(t, big, sizeof(big), "x", 1), RILL_EINVAL);
    assert_int_equal(rill_catalog_put(t, big, sizeof(big) - 1, "x", 1), 0);
    assert_int_equal(rill_catalog_put(t, "k", 1, NULL, 3), RILL_EINVAL);
    assert_int_equal(rill_catalog_put(t, "empty", 5, NULL, 0), 0);
    assert_int_equal(rill_catalog_begin(&t2, c), RILL_EBUSY);
    assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0); /* the bad puts did not spoil it */
    assert_int_equal(get_str(c, 1, "empty"), 0);
    assert_string_equal(got, "");
    assert_int_equal(rill_catalog_list(c, 1, stop_at_first, &calls), RILL_EUSER);
    assert_int_equal(calls, 1);
    assert_int_equal(rill_catalog_gc(NULL, c, &(rill_catalog_gc_options){1, -1}), RILL_EINVAL);
    rill_catalog_free(c);
}

/* ---- one file, many catalogs; opening without creating ---- */

static void catalogs_in_one_file_are_separate_and_create_0_makes_nothing(void **s)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *a = open_cat("a", 0), *b = open_cat("b", 0), *x = NULL;
    struct stat sb;
    char other[400];
    (void)s;
    commit_ops(a, "k=in-a", NULL);
    commit_ops(a, "k=in-a2", NULL);
    commit_ops(b, "k=in-b", NULL);
    assert_string_equal(contents(a, 2), "k=in-a2");
    assert_string_equal(contents(b, 1), "k=in-b");
    assert_int_equal(get_str(b, 2, "k"), RILL_ENOTFOUND);
    o.path = db;
    o.create = 0;
    assert_int_equal(rill_catalog_open(&x, "c", &o), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "no catalog 'c'"));
    assert_int_equal(rill_catalog_open(&x, "a", &o), 0);
    assert_string_equal(contents(x, RILL_CATALOG_LATEST), "k=in-a2");
    rill_catalog_free(x);
    snprintf(other, sizeof(other), "%s/none/cat.db", dir);
    o.path = other;
    assert_int_equal(rill_catalog_open(&x, "a", &o), RILL_ENOTFOUND);
    assert_int_equal(stat(other, &sb), -1); /* nothing made */
    rill_catalog_free(a);
    rill_catalog_free(b);
}

/* ---- payload files ---- */

static void large_data_goes_to_one_file_per_content_named_by_its_hash(void **s)
{
    rill_catalog *c = open_cat("a", 16), *d = open_cat("b", 16);
    rill_catalog_entry e;
    char path[600], buf[256], hex[33];
    const char *big = "0123456789abcdef-more-than-sixteen-bytes";
    (void)s;
    commit_ops(c, "small=0123456789abcdef", NULL); /* 16 bytes: inline */
    assert_int_equal(count_files(blobs), 0);
    assert_int_equal(rill_catalog_stat(&e, c, 1, "small", 5), 0);
    assert_int_equal(e.in_file, 0);
    {
        char ops[200];
        snprintf(ops, sizeof(ops), "x=%s y=%s", big, big);
        commit_ops(c, ops, NULL);
        commit_ops(d, ops, NULL);
    }
    assert_int_equal(count_files(blobs), 1); /* stored once */
    blob_of(path, sizeof(path), c, "x");
    assert_int_equal(read_file(path, buf, sizeof(buf)), (long)strlen(big));
    assert_memory_equal(buf, big, strlen(big));
    assert_int_equal(rill_catalog_stat(&e, c, 2, "x", 1), 0);
    rill_catalog_hash_hex(hex, e.hash);
    assert_non_null(strstr(path, hex));
    assert_int_equal(get_str(d, 1, "y"), 0);
    assert_string_equal(got, big);
    rill_catalog_free(c);
    rill_catalog_free(d);
}

static void a_large_file_is_put_streamed_and_hashes_as_its_bytes(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_txn *t;
    rill_catalog_entry e1, e2;
    size_t n = 3u << 20, i, len;
    char *data = malloc(n), path[400];
    void *back;
    (void)s;
    for (i = 0; i < n; i++)
        data[i] = (char)(i * 7 + i / 1000);
    snprintf(path, sizeof(path), "%s/big.bin", dir);
    write_file(path, data, n);
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    assert_int_equal(rill_catalog_put_file(t, "big", 3, path), 0);
    assert_int_equal(rill_catalog_put(t, "same", 4, data, n), 0);
    assert_int_equal(rill_catalog_put_file(t, "nope", 4, dir), RILL_EISDIR);
    assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
    assert_int_equal(rill_catalog_stat(&e1, c, 1, "big", 3), 0);
    assert_int_equal(rill_catalog_stat(&e2, c, 1, "same", 4), 0);
    assert_memory_equal(e1.hash, e2.hash, 16);
    assert_int_equal(e1.size, n);
    assert_int_equal(e1.in_file, 1);
    assert_int_equal(count_files(blobs), 1);
    assert_int_equal(rill_catalog_get(&back, &len, c, 1, "big", 3), 0);
    assert_int_equal(len, n);
    assert_memory_equal(back, data, n);
    free(back);
    free(data);
    rill_catalog_free(c);
}

/* inline_max bytes stay in the database, one more goes to a file, whether
 * put from memory or from a file; an empty file is an empty partition. */
static void the_inline_limit_is_the_same_for_data_and_files(void **s)
{
    rill_catalog *c = open_cat("docs", 8);
    rill_catalog_txn *t;
    rill_catalog_entry e;
    char path[400];
    const char *names[] = {"mem8", "mem9", "file8", "file9", "file0"};
    const int in_file[] = {0, 1, 0, 1, 0};
    int i;
    (void)s;
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    put_str(t, "mem8", "12345678");
    put_str(t, "mem9", "123456789");
    snprintf(path, sizeof(path), "%s/f8", dir);
    write_file(path, "abcdefgh", 8);
    assert_int_equal(rill_catalog_put_file(t, "file8", 5, path), 0);
    snprintf(path, sizeof(path), "%s/f9", dir);
    write_file(path, "abcdefghi", 9);
    assert_int_equal(rill_catalog_put_file(t, "file9", 5, path), 0);
    snprintf(path, sizeof(path), "%s/f0", dir);
    write_file(path, "", 0);
    assert_int_equal(rill_catalog_put_file(t, "file0", 5, path), 0);
    snprintf(path, sizeof(path), "%s/none", dir);
    assert_int_equal(rill_catalog_put_file(t, "none", 4, path), RILL_ENOTFOUND);
    assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(rill_catalog_stat(&e, c, 1, names[i], strlen(names[i])), 0);
        assert_int_equal(e.in_file, in_file[i]);
    }
    assert_string_equal(contents(c, 1), "file0= file8=abcdefgh file9=abcdefghi mem8=12345678 "
                                        "mem9=123456789");
    assert_int_equal(count_files(blobs), 2);
    rill_catalog_free(c);
}

/* ---- folders ---- */

static void a_folder_is_imported_as_a_version_and_exported_back(void **s)
{
    rill_catalog *c = open_cat("docs", 8);
    char in[300], out1[400], out2[400];
    struct stat sb;
    logged l = {0};
    int64_t v;
    (void)s;
    snprintf(in, sizeof(in), "%s/in", dir);
    snprintf(out1, sizeof(out1), "%s/out1", dir);
    snprintf(out2, sizeof(out2), "%s/out/2", dir);
    assert_int_equal(mkdir(in, 0777), 0);
    mkdir_in(in, "sub");
    mkdir_in(in, "sub/deep");
    file_in(in, "a.txt", "alpha");
    file_in(in, "sub/b.txt", "beta");
    file_in(in, "sub/deep/c.txt", "a payload file: longer than eight bytes");
    assert_int_equal(rill_catalog_import(&v, c, in, "import 1"), 0);
    assert_int_equal(v, 1);
    assert_string_equal(contents(c, 1), "a.txt=alpha sub/b.txt=beta "
                                        "sub/deep/c.txt=a payload file: longer than eight bytes");
    snprintf(out1, sizeof(out1), "%s/a.txt", in);
    assert_int_equal(unlink(out1), 0);
    snprintf(out1, sizeof(out1), "%s/out1", dir);
    file_in(in, "sub/b.txt", "beta 2");
    file_in(in, "d.txt", "delta");
    assert_int_equal(rill_catalog_import(&v, c, in, NULL), 0);
    assert_string_equal(diff(c, 1, 2), "-a.txt +d.txt ~sub/b.txt");
    assert_int_equal(rill_catalog_import(&v, c, in, "again"), 0); /* unchanged files */
    assert_int_equal(v, 3);
    assert_string_equal(diff(c, 2, 3), "");
    assert_int_equal(rill_catalog_log(c, log_one, &l), 0);
    assert_int_equal(l.v[0].added + l.v[0].removed + l.v[0].changed, 0);
    assert_int_equal(l.v[1].added, 1);
    assert_int_equal(l.v[1].removed, 1);
    assert_int_equal(l.v[1].changed, 1);
    assert_int_equal(rill_catalog_export(c, 1, out1), 0);
    assert_string_equal(file_text(out1, "a.txt"), "alpha");
    assert_string_equal(file_text(out1, "sub/b.txt"), "beta");
    assert_string_equal(file_text(out1, "sub/deep/c.txt"),
                        "a payload file: longer than eight bytes");
    assert_int_equal(count_files(out1), 3);
    assert_int_equal(rill_catalog_export(c, RILL_CATALOG_LATEST, out2), 0);
    assert_string_equal(file_text(out2, "a.txt"), "(missing)");
    assert_string_equal(file_text(out2, "sub/b.txt"), "beta 2");
    assert_string_equal(file_text(out2, "d.txt"), "delta");
    assert_int_equal(count_files(out2), 3);
    snprintf(out1, sizeof(out1), "%s/empty", dir);
    assert_int_equal(rill_catalog_export(c, 0, out1), 0); /* version 0: a folder, empty */
    assert_int_equal(stat(out1, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(count_files(out1), 0);
    assert_int_equal(rill_catalog_import(&v, c, out2, NULL), 0); /* the export is version 3 */
    assert_string_equal(diff(c, 3, 4), "");
    file_in(in, "x", "");
    snprintf(out1, sizeof(out1), "%s/a.txt", in);
    assert_int_equal(symlink("sub", out1), 0);
    assert_int_equal(rill_catalog_import(&v, c, in, NULL), RILL_EINVAL); /* a link to a folder */
    assert_non_null(strstr(rill_error_last(), "a link to a folder"));
    assert_int_equal(rill_catalog_latest(&v, c), 0);
    assert_int_equal(v, 4);
    snprintf(out1, sizeof(out1), "%s/nowhere", dir);
    assert_int_equal(rill_catalog_import(&v, c, out1, NULL), RILL_ENOTFOUND);
    rill_catalog_free(c);
}

/* Importing a folder that holds the catalog's own files (the default
 * .rill/ under the working directory, say) leaves them out. */
static void an_import_leaves_out_the_catalogs_own_files(void **s)
{
    rill_catalog *c = open_cat("docs", 4);
    int64_t v;
    (void)s;
    commit_ops(c, "big=in-a-payload-file", NULL); /* cat.db, its WAL and blobs are in dir */
    file_in(dir, "note.txt", "hello");
    assert_int_equal(rill_catalog_import(&v, c, dir, NULL), 0);
    assert_string_equal(contents(c, v), "note.txt=hello");
    rill_catalog_free(c);
}

static void export_refuses_a_key_that_is_not_a_relative_path_before_writing(void **s)
{
    static const char *const bad[] = {"../up", "/abs", "a//b", "a/./b", "a/..", "x/"};
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_txn *t;
    char out[400];
    size_t i;
    (void)s;
    snprintf(out, sizeof(out), "%s/out", dir);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(rill_catalog_begin(&t, c), 0);
        put_str(t, "fine", "1");
        put_str(t, bad[i], "2");
        assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
        assert_int_equal(rill_catalog_export(c, RILL_CATALOG_LATEST, out), RILL_EINVAL);
        assert_non_null(strstr(rill_error_last(), bad[i]));
        assert_int_equal(count_files(out), 0);
        commit_ops(c, "", NULL);
        assert_int_equal(rill_catalog_begin(&t, c), 0);
        assert_int_equal(rill_catalog_delete(t, bad[i], strlen(bad[i])), 0);
        assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
    }
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    assert_int_equal(rill_catalog_put(t, "a\0b", 3, "x", 1), 0);
    assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
    assert_int_equal(rill_catalog_export(c, RILL_CATALOG_LATEST, out), RILL_EINVAL);
    rill_catalog_free(c);
}

/* ---- garbage collection ---- */

typedef struct gc_inside {
    rill_catalog *other;
    int n, gc_rc;
} gc_inside;

static int gc_on_each(const rill_catalog_entry *e, void *payload)
{
    gc_inside *g = payload;
    rill_catalog_gc_stats st;
    (void)e;
    g->n++;
    if (g->gc_rc == 0)
        g->gc_rc = rill_catalog_gc(&st, g->other, NULL);
    return 0;
}

/* gc through one handle while another lists the same file (its handles
 * share a connection): the list goes on to its end. */
static void gc_through_one_handle_leaves_another_handles_list_whole(void **s)
{
    rill_catalog *a = open_cat("docs", 4), *b = open_cat("docs", 4);
    gc_inside g = {NULL, 0, 0};
    (void)s;
    commit_ops(a, "k1=one-big k2=two-big k3=three-big", NULL);
    commit_ops(a, "k1=uno-big", NULL);
    g.other = a;
    assert_int_equal(rill_catalog_list(b, RILL_CATALOG_LATEST, gc_on_each, &g), 0);
    assert_int_equal(g.gc_rc, 0);
    assert_int_equal(g.n, 3);
    rill_catalog_free(a);
    rill_catalog_free(b);
}

static void gc_removes_what_no_retained_version_refers_to(void **s)
{
    rill_catalog *c = open_cat("docs", 4);
    rill_catalog_txn *t;
    rill_catalog_gc_options keep1 = RILL_CATALOG_GC_OPTIONS_INIT;
    rill_catalog_gc_stats st;
    logged l = {0};
    (void)s;
    commit_ops(c, "a=first-big b=shared-big", NULL);
    commit_ops(c, "a=second-big", NULL);
    commit_ops(c, "a=third-big", NULL);
    assert_int_equal(count_files(blobs), 4);
    assert_int_equal(rill_catalog_begin(&t, c), 0); /* a file no commit refers to */
    put_str(t, "z", "aborted-big");
    rill_catalog_abort(t);
    assert_int_equal(count_files(blobs), 5);
    assert_int_equal(rill_catalog_gc(&st, c, NULL), 0); /* keep all versions */
    assert_int_equal(st.versions_pruned, 0);
    assert_int_equal(st.files_removed, 1);
    assert_int_equal(st.bytes_removed, strlen("aborted-big"));
    assert_int_equal(count_files(blobs), 4);
    assert_string_equal(contents(c, 1), "a=first-big b=shared-big");
    keep1.keep = 1;
    assert_int_equal(rill_catalog_gc(&st, c, &keep1), 0);
    assert_int_equal(st.versions_pruned, 2);
    assert_int_equal(st.payloads_removed, 2);
    assert_int_equal(st.files_removed, 2);
    assert_int_equal(count_files(blobs), 2); /* third-big and shared-big */
    assert_string_equal(contents(c, 3), "a=third-big b=shared-big");
    assert_int_equal(get_str(c, 1, "b"), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "version 1 was pruned"));
    assert_int_equal(rill_catalog_diff(c, 2, 3, diff_one, NULL), RILL_ENOTFOUND);
    assert_string_equal(diff(c, 0, 3), "+a +b");
    assert_int_equal(rill_catalog_log(c, log_one, &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.v[0].pruned, 0);
    assert_int_equal(l.v[1].pruned, 1);
    assert_int_equal(l.v[2].pruned, 1);
    assert_int_equal(rill_catalog_gc(&st, c, &keep1), 0); /* nothing more */
    assert_int_equal(st.versions_pruned + (int64_t)st.files_removed, 0);
    assert_int_equal(commit_ops(c, "a=fourth-big", NULL), 4);
    rill_catalog_free(c);
}

/* ---- beside checkpoints ---- */

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

/* A run checkpointed in db: 0 and its records, or the error. */
static int checkpointed_run(size_t *count)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p = NULL;
    rill_batch *w = NULL, *res = NULL;
    int rc;
    co.path = db;
    assert_int_equal(rill_batch_new(&w), 0);
    assert_int_equal(rill_batch_add_int64(w, 1), 0);
    assert_int_equal(rill_batch_add_int64(w, 2), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, w), 0);
    assert_int_equal(rill_job(p, "pass", NULL, pass, NULL), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    rc = rill_run(p, NULL, &res);
    *count = res ? rill_batch_count(res) : 0;
    rill_batch_free(res);
    rill_pipeline_free(p);
    return rc;
}

static void catalogs_and_a_checkpoint_share_a_state_file(void **s)
{
    rill_catalog *c;
    size_t n = 0;
    (void)s;
    assert_int_equal(checkpointed_run(&n), 0); /* the checkpoint's tables first */
    assert_int_equal(n, 2);
    c = open_cat("docs", 0);
    commit_ops(c, "a=1", NULL);
    rill_catalog_free(c);
    assert_int_equal(checkpointed_run(&n), 0); /* and again beside the catalog's */
    assert_int_equal(n, 2);
    c = open_cat("docs", 0);
    assert_string_equal(contents(c, 1), "a=1");
    rill_catalog_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(catalog_starts_empty_at_version_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(
            each_commit_makes_the_next_version_and_earlier_ones_stay_readable, setup, teardown),
        cmocka_unit_test_setup_teardown(the_hash_is_xxh3_128_of_the_data_in_canonical_bytes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_put_of_the_same_content_and_a_revert_are_no_change,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            diff_names_added_removed_and_changed_in_key_order_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(changes_undone_inside_a_transaction_are_no_change, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_empty_commit_makes_a_version_and_abort_makes_none,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            the_log_lists_versions_newest_first_with_counts_and_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_are_refused_and_a_callback_can_stop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            catalogs_in_one_file_are_separate_and_create_0_makes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            large_data_goes_to_one_file_per_content_named_by_its_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(a_large_file_is_put_streamed_and_hashes_as_its_bytes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_inline_limit_is_the_same_for_data_and_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_folder_is_imported_as_a_version_and_exported_back,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(an_import_leaves_out_the_catalogs_own_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            export_refuses_a_key_that_is_not_a_relative_path_before_writing, setup, teardown),
        cmocka_unit_test_setup_teardown(gc_through_one_handle_leaves_another_handles_list_whole,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(gc_removes_what_no_retained_version_refers_to, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(catalogs_and_a_checkpoint_share_a_state_file, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
