/* test_fingerprint_codec.c — fingerprints as stored bytes and the hashes
 * of external content (include/rill/fingerprint.h): encode and decode give
 * back the same fingerprints and the same bytes; every cut, every extra
 * byte, garbage and a later format are refused; a flipped byte is refused
 * or decodes to fingerprints that describe differently (and compare as
 * different, but for the name of a broadcast left out); the file hash is XXH3-128 of the bytes;
 * the folder hash follows names, contents, kinds and link targets and not
 * times or modes. */
#include <fcntl.h>
#include <sys/time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "fingerprint_helpers.h"

/* Fingerprints with one of everything (and a script in dir). */
static rill_fingerprints *full(void)
{
    rill_fingerprints *f = fp_new();
    char script[300];
    const char *argv[] = {"awk", "-f", script, NULL};
    in_dir(script, sizeof(script), "s.awk");
    write_file(script, "{ print }\n");
    assert_int_equal(rill_fingerprints_add_code(f, (const void *)full), 0);
    assert_int_equal(rill_fingerprints_add_code(f, (const void *)puts), 0);
    assert_int_equal(rill_fingerprints_set_code_version(f, "v7"), 0);
    assert_int_equal(rill_fingerprints_add_command(f, argv), 0);
    assert_int_equal(rill_fingerprints_add_command(f, (const char *const[]){"cat", NULL}), 0);
    assert_int_equal(rill_fingerprints_add_option(f, "threshold", "3", 1), 0);
    assert_int_equal(rill_fingerprints_add_option(f, "blob", "\x01\x02\x03", 3), 0);
    assert_int_equal(rill_fingerprints_add_option(f, "long", "0123456789012345678901234567890123456789xyz", 43), 0);
    assert_int_equal(rill_fingerprints_add_custom(f, "model", "m1", 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(f, NULL, "u1", 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(f, NULL, "", 0), 0);
    assert_int_equal(rill_fingerprints_add_broadcast(f, "stop", "a b", 3, 1), 0);
    assert_int_equal(rill_fingerprints_add_broadcast(f, "huge", "zz", 2, 0), 0);
    return f;
}

static void encode_and_decode_give_back_the_same_fingerprints_and_bytes(void **s)
{
    rill_fingerprints *f = full(), *g = NULL, *e = fp_new(), *h = NULL;
    size_t len, len2;
    void *bytes, *again;
    char *d1, *d2;
    (void)s;
    bytes = encode(&len, f);
    assert_memory_equal(bytes, "rF\x01", 3);
    assert_int_equal(rill_fingerprints_decode(&g, bytes, len), 0);
    again = encode(&len2, g);
    assert_int_equal(len2, len);
    assert_memory_equal(again, bytes, len);
    expect_same(f, g);
    expect_same(g, f);
    d1 = describe(f);
    d2 = describe(g);
    assert_string_equal(d1, d2);
    assert_non_null(strstr(d1, "\ncode version \"v7\"\n"));
    assert_non_null(strstr(d1, "\noption long = \"0123456789012345678901234567890123456789...\" "
                               "(43 bytes, hash "));
    assert_non_null(strstr(d1, "\noption blob = 010203\n"));
    assert_non_null(strstr(d1, "\nunnamed custom hash 2 = \"\"\n"));
    free(d1);
    free(d2);
    free(again);
    free(bytes);
    /* the empty one too */
    bytes = encode(&len, e);
    assert_int_equal(rill_fingerprints_decode(&h, bytes, len), 0);
    expect_same(e, h);
    free(bytes);
    rill_fingerprints_free(f);
    rill_fingerprints_free(g);
    rill_fingerprints_free(e);
    rill_fingerprints_free(h);
}

static void cut_extended_or_garbage_bytes_are_corrupt(void **s)
{
    rill_fingerprints *f = full(), *g = NULL;
    size_t len, i;
    unsigned char *bytes, *longer;
    static const char garbage[] = "this is not a fingerprint at all, just bytes";
    (void)s;
    bytes = encode(&len, f);
    for (i = 0; i < len; i++) { /* every cut, read from an exact-size copy */
        unsigned char *cut = malloc(i ? i : 1);
        memcpy(cut, bytes, i);
        assert_int_equal(rill_fingerprints_decode(&g, cut, i), RILL_ECORRUPT);
        assert_null(g);
        free(cut);
    }
    longer = malloc(len + 1);
    memcpy(longer, bytes, len);
    longer[len] = 0;
    assert_int_equal(rill_fingerprints_decode(&g, longer, len + 1), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "1 bytes too many"));
    assert_int_equal(rill_fingerprints_decode(&g, garbage, sizeof(garbage)), RILL_ECORRUPT);
    assert_int_equal(rill_fingerprints_decode(&g, NULL, 0), RILL_ECORRUPT);
    longer[2] = 2; /* a later format */
    assert_int_equal(rill_fingerprints_decode(&g, longer, len), RILL_EVERSION);
    longer[2] = 0;
    assert_int_equal(rill_fingerprints_decode(&g, longer, len), RILL_ECORRUPT);
    /* every byte flipped: refused, or decoded to fingerprints that differ */
    for (i = 0; i < len; i++) {
        int rc;
        memcpy(longer, bytes, len);
        longer[i] ^= 0x5a;
        rc = rill_fingerprints_decode(&g, longer, len);
        assert_true(rc == 0 || rc == RILL_ECORRUPT || rc == RILL_EVERSION);
        if (rc == 0) { /* a difference, or the name of a broadcast left out */
            char *d1 = describe(f), *d2 = describe(g);
            assert_string_not_equal(d1, d2);
            if (rill_fingerprints_compare(NULL, 0, f, g) == 0)
                assert_non_null(strstr(d2, ": left out of the fingerprints"));
            free(d1);
            free(d2);
            rill_fingerprints_free(g);
            g = NULL;
        }
    }
    free(longer);
    free(bytes);
    rill_fingerprints_free(f);
}

static void the_file_hash_is_xxh3_128_of_its_bytes(void **s)
{
    char path[300], want[33], got[33];
    unsigned char h[16];
    XXH128_canonical_t can;
    (void)s;
    in_dir(path, sizeof(path), "f.txt");
    write_file(path, "hello, fingerprints\n");
    assert_int_equal(rill_fingerprints_hash_file(h, path), 0);
    XXH128_canonicalFromHash(&can, XXH3_128bits("hello, fingerprints\n", 20));
    hex(want, can.digest, 16);
    hex(got, h, 16);
    assert_string_equal(got, want);
    assert_int_equal(rill_fingerprints_hash_file(h, dir), RILL_EISDIR);
    in_dir(path, sizeof(path), "missing");
    assert_int_equal(rill_fingerprints_hash_file(h, path), RILL_ENOTFOUND);
    in_dir(path, sizeof(path), "fifo"); /* refused, not waited on for a writer */
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(rill_fingerprints_hash_file(h, path), RILL_EINVAL);
}

/* The folder hash of dir/name, in hex. */
static void dir_hash(char out[33], const char *name)
{
    char path[300];
    unsigned char h[16];
    assert_int_equal(rill_fingerprints_hash_dir(h, in_dir(path, sizeof(path), name)), 0);
    hex(out, h, 16);
}

static void the_folder_hash_follows_names_contents_and_kinds_not_times(void **s)
{
    char p[300], q[300], was[33], now[33], other[33];
    unsigned char h[16];
    struct timeval tv[2] = {{1000000, 0}, {1000000, 0}};
    (void)s;
    assert_int_equal(mkdir(in_dir(p, sizeof(p), "t"), 0755), 0);
    assert_int_equal(mkdir(in_dir(p, sizeof(p), "t/sub"), 0755), 0);
    write_file(in_dir(p, sizeof(p), "t/a.txt"), "alpha");
    write_file(in_dir(p, sizeof(p), "t/sub/b.txt"), "beta");
    dir_hash(was, "t");
    /* the same tree elsewhere: the same hash */
    assert_int_equal(mkdir(in_dir(p, sizeof(p), "u"), 0755), 0);
    assert_int_equal(mkdir(in_dir(p, sizeof(p), "u/sub"), 0755), 0);
    write_file(in_dir(p, sizeof(p), "u/sub/b.txt"), "beta");
    write_file(in_dir(p, sizeof(p), "u/a.txt"), "alpha");
    dir_hash(other, "u");
    assert_string_equal(other, was);
    /* only times and modes: the same */
    assert_int_equal(utimes(in_dir(p, sizeof(p), "t/a.txt"), tv), 0);
    assert_int_equal(chmod(in_dir(p, sizeof(p), "t/sub/b.txt"), 0600), 0);
    dir_hash(now, "t");
    assert_string_equal(now, was);
    /* content */
    write_file(in_dir(p, sizeof(p), "t/sub/b.txt"), "betA");
    dir_hash(now, "t");
    assert_string_not_equal(now, was);
    write_file(in_dir(p, sizeof(p), "t/sub/b.txt"), "beta");
    dir_hash(now, "t");
    assert_string_equal(now, was);
    /* a name */
    assert_int_equal(rename(in_dir(p, sizeof(p), "t/a.txt"), in_dir(q, sizeof(q), "t/c.txt")), 0);
    dir_hash(now, "t");
    assert_string_not_equal(now, was);
    assert_int_equal(rename(q, p), 0);
    dir_hash(now, "t");
    assert_string_equal(now, was);
    /* a new file, even empty; a new empty folder */
    write_file(in_dir(p, sizeof(p), "t/new"), "");
    dir_hash(now, "t");
    assert_string_not_equal(now, was);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkdir(in_dir(p, sizeof(p), "t/new"), 0755), 0);
    dir_hash(other, "t");
    assert_string_not_equal(other, was);
    assert_string_not_equal(other, now); /* a folder is not an empty file */
    assert_int_equal(rmdir(p), 0);
    /* a link: its target's text, not followed */
    assert_int_equal(symlink("a.txt", in_dir(p, sizeof(p), "t/l")), 0);
    dir_hash(now, "t");
    assert_string_not_equal(now, was);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink("sub/b.txt", p), 0);
    dir_hash(other, "t");
    assert_string_not_equal(other, now);
    assert_int_equal(unlink(p), 0);
    dir_hash(now, "t");
    assert_string_equal(now, was);
    /* refused: a special file, a file for the folder, a missing folder */
    assert_int_equal(mkfifo(in_dir(p, sizeof(p), "t/fifo"), 0600), 0);
    assert_int_equal(rill_fingerprints_hash_dir(h, in_dir(q, sizeof(q), "t")), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "fifo"));
    assert_int_equal(rill_fingerprints_hash_dir(h, in_dir(q, sizeof(q), "t/a.txt")),
                     RILL_ENOTDIR);
    assert_int_equal(rill_fingerprints_hash_dir(h, in_dir(q, sizeof(q), "none")),
                     RILL_ENOTFOUND);
}

static void a_folder_hash_registered_as_a_custom_hash_catches_a_change(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new();
    char p[300];
    unsigned char h[16];
    (void)s;
    assert_int_equal(mkdir(in_dir(p, sizeof(p), "lex"), 0755), 0);
    write_file(in_dir(p, sizeof(p), "lex/words"), "one two");
    assert_int_equal(rill_fingerprints_hash_dir(h, in_dir(p, sizeof(p), "lex")), 0);
    assert_int_equal(rill_fingerprints_add_custom(a, "lexicon", h, 16), 0);
    write_file(in_dir(p, sizeof(p), "lex/words"), "one two three");
    assert_int_equal(rill_fingerprints_hash_dir(h, in_dir(p, sizeof(p), "lex")), 0);
    assert_int_equal(rill_fingerprints_add_custom(b, "lexicon", h, 16), 0);
    {
        char why[1024];
        assert_int_equal(rill_fingerprints_compare(why, sizeof(why), a, b), 1);
        assert_memory_equal(why, "custom hash 'lexicon' changed: ", 31);
    }
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(encode_and_decode_give_back_the_same_fingerprints_and_bytes),
        T(cut_extended_or_garbage_bytes_are_corrupt),
        T(the_file_hash_is_xxh3_128_of_its_bytes),
        T(the_folder_hash_follows_names_contents_and_kinds_not_times),
        T(a_folder_hash_registered_as_a_custom_hash_catches_a_change),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
