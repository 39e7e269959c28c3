/* test_fingerprint.c — fingerprints (include/rill/fingerprint.h) on real
 * objects and files: the build-id of this executable, of libc and of a
 * tiny shared library opened at run time is what `readelf -n` prints; a
 * library built without one is the hash of its file; external commands
 * follow their script; options and named custom hashes are order-free,
 * unnamed ones ordered; broadcasts are kept, fingerprinted or left out by
 * name; and compare says what changed, from what to what, for each kind.
 * Encoding, decoding and the file and folder hashes are in
 * test_fingerprint_codec.c. */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <limits.h>

#include "fingerprint_helpers.h"

static int here(int x) /* an address in this executable */
{
    return x + 1;
}

static int there(int x) /* another one */
{
    return x * 2;
}

/* "code PATH build-id HEX" for the object holding fn: *path and *id from it. */
static void code_line(char *path, char *id, const void *fn)
{
    rill_fingerprints *f = fp_new();
    char *line, *kind;
    assert_int_equal(rill_fingerprints_add_code(f, fn), 0);
    line = line_with(f, "code ");
    assert_non_null(line);
    kind = strstr(line, " build-id ");
    assert_non_null(kind);
    *kind = '\0';
    strcpy(path, line + strlen("code "));
    strcpy(id, kind + strlen(" build-id "));
    free(line);
    rill_fingerprints_free(f);
}

static void new_fingerprints_hold_rills_version_and_nothing_else(void **s)
{
    rill_fingerprints *f = fp_new();
    char *all = describe(f);
    (void)s;
    assert_string_equal(all, "rill " RILL_VERSION_STRING "\n");
    free(all);
    rill_fingerprints_free(f);
}

static void the_executables_build_id_is_what_readelf_prints(void **s)
{
    char path[PATH_MAX], id[256], want[256], exe[PATH_MAX];
    (void)s;
    code_line(path, id, (const void *)here);
    assert_non_null(realpath("/proc/self/exe", exe));
    assert_string_equal(path, exe);
    readelf_build_id(want, sizeof(want), exe);
    assert_true(strlen(want) >= 16);
    assert_string_equal(id, want);
    {   /* add_executable: the same entry */
        rill_fingerprints *a = fp_new(), *b = fp_new();
        assert_int_equal(rill_fingerprints_add_executable(a), 0);
        assert_int_equal(rill_fingerprints_add_code(b, (const void *)here), 0);
        assert_true(same_encoding(a, b));
        rill_fingerprints_free(a);
        rill_fingerprints_free(b);
    }
}

/* gnu_get_libc_version: in libc itself whatever a sanitizer intercepts */
static void a_libc_function_gives_libcs_build_id(void **s)
{
    char path[PATH_MAX], id[256], want[256];
    (void)s;
    code_line(path, id, (const void *)gnu_get_libc_version);
    assert_non_null(strstr(path, "libc.so"));
    readelf_build_id(want, sizeof(want), path);
    assert_true(strlen(want) >= 16);
    assert_string_equal(id, want);
}

static void a_library_opened_at_run_time_is_named_by_its_path(void **s)
{
    char path[PATH_MAX], id[256], want[256];
    void *lib = dlopen(FP_TINY, RTLD_NOW), *fn;
    (void)s;
    assert_non_null(lib);
    fn = dlsym(lib, "fp_tiny");
    assert_non_null(fn);
    code_line(path, id, fn);
    assert_string_equal(path, FP_TINY);
    readelf_build_id(want, sizeof(want), FP_TINY);
    assert_string_equal(id, want);
    dlclose(lib);
}

static void a_library_opened_by_a_relative_path_is_named_absolutely(void **s)
{
    char copy[300], cmd[700], want[PATH_MAX + 32], cwd[PATH_MAX], path[PATH_MAX], id[256];
    void *lib, *fn;
    (void)s;
    in_dir(copy, sizeof(copy), "copy.so"); /* another file: not the one loaded already */
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", FP_TINY, copy);
    assert_int_equal(system(cmd), 0);
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    lib = dlopen("./copy.so", RTLD_NOW);
    assert_non_null(lib);
    fn = dlsym(lib, "fp_tiny");
    assert_non_null(fn);
    code_line(path, id, fn);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(realpath(copy, want));
    assert_string_equal(path, want);
    dlclose(lib);
}

static void a_library_without_a_build_id_is_the_hash_of_its_file(void **s)
{
    rill_fingerprints *f = fp_new();
    char want[256], line[512], h[33], *got;
    unsigned char hash[16];
    void *lib = dlopen(FP_TINY_NOID, RTLD_NOW), *fn;
    (void)s;
    readelf_build_id(want, sizeof(want), FP_TINY_NOID);
    assert_string_equal(want, ""); /* built with --build-id=none */
    assert_non_null(lib);
    fn = dlsym(lib, "fp_tiny");
    assert_non_null(fn);
    assert_int_equal(rill_fingerprints_add_code(f, fn), 0);
    assert_int_equal(rill_fingerprints_hash_file(hash, FP_TINY_NOID), 0);
    hex(h, hash, 16);
    snprintf(line, sizeof(line), "code %s file hash %s", FP_TINY_NOID, h);
    got = line_with(f, "code ");
    assert_string_equal(got, line);
    free(got);
    rill_fingerprints_free(f);
    dlclose(lib);
}

static void the_same_object_twice_is_one_entry_and_order_does_not_matter(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new();
    static const int data = 7;
    (void)s;
    assert_int_equal(rill_fingerprints_add_code(a, (const void *)here), 0);
    assert_int_equal(rill_fingerprints_add_code(a, (const void *)there), 0);
    assert_int_equal(rill_fingerprints_add_code(a, &data), 0); /* any address in it */
    assert_int_equal(rill_fingerprints_add_code(a, (const void *)gnu_get_libc_version), 0);
    assert_int_equal(lines_with(a, "code "), 2);
    assert_int_equal(rill_fingerprints_add_code(b, (const void *)gnu_get_libc_version), 0);
    assert_int_equal(rill_fingerprints_add_code(b, (const void *)here), 0);
    assert_true(same_encoding(a, b));
    expect_same(a, b);
    assert_int_equal(rill_fingerprints_add_code(a, (const void *)16), RILL_ENOTFOUND);
    assert_int_equal(rill_fingerprints_add_code(a, NULL), RILL_EINVAL);
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
}

static void code_added_gone_or_changed_is_named_with_its_build_ids(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new(), *c = NULL;
    char exe[PATH_MAX], id[256], want[2 * PATH_MAX + 1024], libc[PATH_MAX], libc_id[256];
    unsigned char bin[128];
    size_t n, i, len;
    unsigned char *bytes, *at;
    (void)s;
    code_line(exe, id, (const void *)here);
    code_line(libc, libc_id, (const void *)gnu_get_libc_version);
    assert_int_equal(rill_fingerprints_add_code(a, (const void *)here), 0);
    assert_int_equal(rill_fingerprints_add_code(b, (const void *)here), 0);
    assert_int_equal(rill_fingerprints_add_code(b, (const void *)gnu_get_libc_version), 0);
    snprintf(want, sizeof(want), "code: %s added (build-id %s)", libc, libc_id);
    expect_why(a, b, want);
    snprintf(want, sizeof(want), "code: %s gone (build-id %s)", libc, libc_id);
    expect_why(b, a, want);
    /* the executable rebuilt: its build-id in the stored bytes is another */
    n = strlen(id) / 2;
    for (i = 0; i < n; i++)
        sscanf(id + 2 * i, "%2hhx", &bin[i]);
    bytes = encode(&len, a);
    at = memmem(bytes, len, bin, n);
    assert_non_null(at);
    at[0] ^= 0xff;
    assert_int_equal(rill_fingerprints_decode(&c, bytes, len), 0);
    snprintf(want, sizeof(want), "code: %s changed: build-id %02x%s -> build-id %s", exe,
             bin[0] ^ 0xff, id + 2, id);
    expect_why(c, a, want);
    free(bytes);
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
    rill_fingerprints_free(c);
}

static void a_command_follows_its_script_and_its_program(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new(), *c = fp_new();
    char script[300], want[1024], *line, *prog, *sp;
    unsigned char h[16];
    char hx[33];
    const char *argv[] = {"awk", "-f", script, "input-that-is-no-file", NULL};
    (void)s;
    in_dir(script, sizeof(script), "x.awk");
    write_file(script, "{ print $1 }\n");
    assert_int_equal(rill_fingerprints_add_command(a, argv), 0);
    assert_int_equal(rill_fingerprints_add_command(a, argv), 0); /* one entry */
    assert_int_equal(lines_with(a, "command "), 1);
    /* the program is awk from PATH, hashed as its file */
    line = line_with(a, "command awk -f ");
    assert_non_null(line);
    prog = strstr(line, ": program ");
    assert_non_null(prog);
    prog += strlen(": program ");
    sp = strchr(prog, ' ');
    *sp = '\0';
    assert_true(strlen(prog) > 4 && strcmp(prog + strlen(prog) - 4, "/awk") == 0);
    assert_int_equal(rill_fingerprints_hash_file(h, prog), 0);
    hex(hx, h, 16);
    assert_memory_equal(sp + 1, hx, 32);
    free(line);
    /* the same script again: the same; the script changed: named */
    assert_int_equal(rill_fingerprints_add_command(b, argv), 0);
    expect_same(a, b);
    write_file(script, "{ print $2 }\n");
    assert_int_equal(rill_fingerprints_add_command(c, argv), 0);
    snprintf(want, sizeof(want), "command 'awk -f %s input-that-is-no-file': %s changed: ",
             script, script);
    {
        char why[1024];
        assert_int_equal(rill_fingerprints_compare(why, sizeof(why), a, c), 1);
        assert_memory_equal(why, want, strlen(want));
        assert_int_equal(strlen(why), strlen(want) + 32 + 4 + 32);
    }
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
    rill_fingerprints_free(c);
}

static void commands_added_gone_or_not_found(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new();
    const char *cat[] = {"cat", NULL}, *tr[] = {"tr", "a-z", "A-Z", NULL};
    const char *none[] = {"rill-no-such-program-here", NULL};
    const char *missing[] = {"/no/such/dir/prog", NULL};
    (void)s;
    assert_int_equal(rill_fingerprints_add_command(a, cat), 0);
    assert_int_equal(rill_fingerprints_add_command(b, tr), 0);
    assert_int_equal(rill_fingerprints_add_command(b, cat), 0);
    expect_why(a, b, "command 'tr a-z A-Z' added");
    expect_why(b, a, "command 'tr a-z A-Z' gone");
    assert_int_equal(rill_fingerprints_add_command(a, none), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "rill-no-such-program-here"));
    assert_int_equal(rill_fingerprints_add_command(a, missing), RILL_ENOTFOUND);
    assert_int_equal(rill_fingerprints_add_command(a, NULL), RILL_EINVAL);
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
}

static void options_are_order_free_and_a_name_twice_is_refused(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new();
    (void)s;
    assert_int_equal(rill_fingerprints_add_option(a, "threshold", "3", 1), 0);
    assert_int_equal(rill_fingerprints_add_option(a, "lang", "en", 2), 0);
    assert_int_equal(rill_fingerprints_add_option(a, "empty", NULL, 0), 0);
    assert_int_equal(rill_fingerprints_add_option(b, "empty", "", 0), 0);
    assert_int_equal(rill_fingerprints_add_option(b, "lang", "en", 2), 0);
    assert_int_equal(rill_fingerprints_add_option(b, "threshold", "3", 1), 0);
    assert_true(same_encoding(a, b));
    expect_same(a, b);
    assert_int_equal(rill_fingerprints_add_option(a, "lang", "de", 2), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "'lang' given twice"));
    assert_int_equal(rill_fingerprints_add_option(a, "", "x", 1), RILL_EINVAL);
    assert_int_equal(rill_fingerprints_add_option(a, NULL, "x", 1), RILL_EINVAL);
    assert_int_equal(rill_fingerprints_add_option(a, "x", NULL, 1), RILL_EINVAL);
    expect_same(a, b); /* refused adds changed nothing */
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
}

/* Fingerprints with one option name = the len bytes at v. */
static rill_fingerprints *with_option(const char *name, const void *v, size_t len)
{
    rill_fingerprints *f = fp_new();
    assert_int_equal(rill_fingerprints_add_option(f, name, v, len), 0);
    return f;
}

static void an_option_change_says_which_from_what_to_what(void **s)
{
    char a50[51], b50[51], want[512];
    rill_fingerprints *t3 = with_option("threshold", "3", 1), *t4 = with_option("threshold", "4", 1);
    rill_fingerprints *bin1 = with_option("mask", "\x00\x01\x02", 3);
    rill_fingerprints *bin2 = with_option("mask", "\x00\x01\x03", 3);
    rill_fingerprints *none = fp_new(), *long1, *long2;
    (void)s;
    expect_why(t3, t4, "option 'threshold' changed: \"3\" -> \"4\"");
    expect_why(bin1, bin2, "option 'mask' changed: 000102 -> 000103");
    expect_why(none, t4, "option 'threshold' added: \"4\"");
    expect_why(t3, none, "option 'threshold' removed (was \"3\")");
    /* longer than 40 bytes, alike in the first 40: cut, then lengths and hashes */
    memset(a50, 'a', 50);
    memset(b50, 'a', 50);
    a50[50] = b50[50] = '\0';
    b50[49] = 'b';
    long1 = with_option("stop", a50, 50);
    long2 = with_option("stop", b50, 50);
    snprintf(want, sizeof(want), "option 'stop' changed: \"%.40s...\" -> \"%.40s...\" (50 bytes, "
             "hash ", a50, a50);
    {
        char why[1024];
        assert_int_equal(rill_fingerprints_compare(why, sizeof(why), long1, long2), 1);
        assert_memory_equal(why, want, strlen(want));
        assert_non_null(strstr(why, " -> 50 bytes, hash "));
        /* cut to cap bytes */
        assert_int_equal(rill_fingerprints_compare(why, 10, long1, long2), 1);
        assert_string_equal(why, "option 's");
    }
    rill_fingerprints_free(t3);
    rill_fingerprints_free(t4);
    rill_fingerprints_free(bin1);
    rill_fingerprints_free(bin2);
    rill_fingerprints_free(none);
    rill_fingerprints_free(long1);
    rill_fingerprints_free(long2);
}

static void named_customs_are_order_free_and_unnamed_ones_ordered(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new(), *c = fp_new(), *d = fp_new();
    unsigned char h1[2] = {0xa1, 0xb2}, h2[2] = {0xc3, 0xd4};
    (void)s;
    assert_int_equal(rill_fingerprints_add_custom(a, "model", h1, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(a, "lexicon", h2, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(b, "lexicon", h2, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(b, "model", h1, 2), 0);
    expect_same(a, b);
    assert_int_equal(rill_fingerprints_add_custom(a, "model", h2, 2), RILL_EINVAL);
    assert_int_equal(rill_fingerprints_add_custom(c, "model", h2, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(c, "lexicon", h2, 2), 0);
    expect_why(a, c, "custom hash 'model' changed: a1b2 -> c3d4");
    /* unnamed: the order counts */
    assert_int_equal(rill_fingerprints_add_custom(a, NULL, h1, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(a, NULL, h2, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(b, NULL, h2, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(b, NULL, h1, 2), 0);
    expect_why(a, b, "unnamed custom hash 1 changed: a1b2 -> c3d4");
    assert_int_equal(rill_fingerprints_add_custom(d, "lexicon", h2, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(d, "model", h1, 2), 0);
    assert_int_equal(rill_fingerprints_add_custom(d, NULL, h1, 2), 0);
    expect_why(d, a, "unnamed custom hash 2 added: c3d4");
    expect_why(a, d, "unnamed custom hash 2 gone (was c3d4)");
    assert_int_equal(rill_fingerprints_add_custom(d, NULL, h2, 2), 0);
    expect_same(a, d);
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
    rill_fingerprints_free(c);
    rill_fingerprints_free(d);
}

static void broadcasts_are_kept_and_fingerprinted_unless_left_out_by_name(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new(), *c = fp_new(), *d = NULL;
    char words[] = "the a of", *line;
    const void *got;
    size_t len, elen;
    void *bytes;
    (void)s;
    assert_int_equal(rill_fingerprints_add_broadcast(a, "stopwords", words, 8, 1), 0);
    assert_int_equal(rill_fingerprints_add_broadcast(a, "big", "xyz", 3, 0), 0);
    words[0] = 'T'; /* copied: the caller's buffer may change */
    assert_int_equal(rill_fingerprints_broadcast(a, "stopwords", &got, &len), 0);
    assert_int_equal(len, 8);
    assert_memory_equal(got, "the a of", 8);
    assert_int_equal(rill_fingerprints_broadcast(a, "big", &got, &len), 0);
    assert_memory_equal(got, "xyz", 3);
    assert_int_equal(rill_fingerprints_broadcast(a, "nope", &got, &len), RILL_ENOTFOUND);
    assert_int_equal(rill_fingerprints_add_broadcast(a, "big", "q", 1, 0), RILL_EINVAL);
    line = line_with(a, "broadcast big");
    assert_string_equal(line, "broadcast big: left out of the fingerprints");
    free(line);
    line = line_with(a, "broadcast stopwords: 8 bytes, hash ");
    assert_non_null(line);
    free(line);
    /* the left-out one changed: no difference; the fingerprinted one: named */
    assert_int_equal(rill_fingerprints_add_broadcast(b, "big", "other bytes", 11, 0), 0);
    assert_int_equal(rill_fingerprints_add_broadcast(b, "stopwords", "the a of", 8, 1), 0);
    expect_same(a, b);
    assert_int_equal(rill_fingerprints_add_broadcast(c, "stopwords", "the an of", 9, 1), 0);
    {
        char why[1024];
        assert_int_equal(rill_fingerprints_compare(why, sizeof(why), a, c), 1);
        assert_memory_equal(why, "broadcast 'stopwords' changed: 8 bytes, hash ", 45);
        assert_non_null(strstr(why, " -> 9 bytes, hash "));
    }
    /* left out before, fingerprinted now: its old content is not known */
    assert_int_equal(rill_fingerprints_add_broadcast(c, "big", "xyz", 3, 1), 0);
    assert_int_equal(rill_fingerprints_compare(NULL, 0, b, c), 1);
    {
        char why[1024];
        rill_fingerprints_compare(why, sizeof(why), a, c);
        assert_memory_equal(why, "broadcast 'big' was left out of the fingerprints before", 55);
    }
    /* decoded fingerprints keep the hash, not the bytes */
    bytes = encode(&elen, a);
    assert_int_equal(rill_fingerprints_decode(&d, bytes, elen), 0);
    expect_same(d, a);
    assert_int_equal(rill_fingerprints_broadcast(d, "stopwords", &got, &len), RILL_ENOTFOUND);
    free(bytes);
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
    rill_fingerprints_free(c);
    rill_fingerprints_free(d);
}

static void the_first_difference_is_reported_in_the_documented_order(void **s)
{
    rill_fingerprints *a = fp_new(), *b = fp_new(), *old = NULL;
    char version[] = RILL_VERSION_STRING, want[256];
    size_t len, vlen = strlen(version);
    unsigned char *bytes;
    (void)s;
    /* everything differs at once: each report is the first left in the order */
    assert_int_equal(rill_fingerprints_add_option(a, "k", "1", 1), 0);
    assert_int_equal(rill_fingerprints_add_option(b, "k", "2", 1), 0);
    assert_int_equal(rill_fingerprints_add_custom(b, "x", "h", 1), 0);
    assert_int_equal(rill_fingerprints_add_custom(a, NULL, "h", 1), 0);
    assert_int_equal(rill_fingerprints_add_command(b, (const char *const[]){"cat", NULL}), 0);
    assert_int_equal(rill_fingerprints_set_code_version(b, "1.3"), 0);
    assert_int_equal(rill_fingerprints_add_code(b, (const void *)gnu_get_libc_version), 0);
    /* rill's version: another one in the stored bytes */
    bytes = encode(&len, a);
    assert_memory_equal(bytes + 7, version, vlen);
    bytes[7 + vlen - 1] = bytes[7 + vlen - 1] == '9' ? '8' : '9';
    assert_int_equal(rill_fingerprints_decode(&old, bytes, len), 0);
    snprintf(want, sizeof(want), "rill's version changed: %.*s -> %s", (int)vlen, bytes + 7,
             version);
    expect_why(old, b, want);
    assert_int_equal(rill_fingerprints_compare(NULL, 0, a, b), 1);
    {
        char why[1024];
        rill_fingerprints_compare(why, sizeof(why), a, b);
        assert_memory_equal(why, "code: ", 6);
    }
    assert_int_equal(rill_fingerprints_add_code(a, (const void *)gnu_get_libc_version), 0);
    expect_why(a, b, "declared code version changed: none -> \"1.3\"");
    assert_int_equal(rill_fingerprints_set_code_version(a, "1.2"), 0);
    expect_why(a, b, "declared code version changed: \"1.2\" -> \"1.3\"");
    assert_int_equal(rill_fingerprints_set_code_version(a, "1.3"), 0);
    expect_why(a, b, "command 'cat' added");
    assert_int_equal(rill_fingerprints_add_command(a, (const char *const[]){"cat", NULL}), 0);
    expect_why(a, b, "option 'k' changed: \"1\" -> \"2\"");
    expect_why(b, a, "option 'k' changed: \"2\" -> \"1\"");
    rill_fingerprints_free(a);
    a = fp_new();
    assert_int_equal(rill_fingerprints_add_option(a, "k", "2", 1), 0);
    assert_int_equal(rill_fingerprints_add_code(a, (const void *)gnu_get_libc_version), 0);
    assert_int_equal(rill_fingerprints_set_code_version(a, "1.3"), 0);
    assert_int_equal(rill_fingerprints_add_command(a, (const char *const[]){"cat", NULL}), 0);
    assert_int_equal(rill_fingerprints_add_custom(a, NULL, "h", 1), 0);
    expect_why(a, b, "custom hash 'x' added: \"h\"");
    assert_int_equal(rill_fingerprints_add_custom(b, NULL, "h", 1), 0);
    assert_int_equal(rill_fingerprints_set_code_version(b, NULL), 0);
    expect_why(a, b, "declared code version changed: \"1.3\" -> none");
    assert_int_equal(rill_fingerprints_compare(NULL, 0, NULL, b), RILL_EINVAL);
    free(bytes);
    rill_fingerprints_free(a);
    rill_fingerprints_free(b);
    rill_fingerprints_free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(new_fingerprints_hold_rills_version_and_nothing_else),
        T(the_executables_build_id_is_what_readelf_prints),
        T(a_libc_function_gives_libcs_build_id),
        T(a_library_opened_at_run_time_is_named_by_its_path),
        T(a_library_opened_by_a_relative_path_is_named_absolutely),
        T(a_library_without_a_build_id_is_the_hash_of_its_file),
        T(the_same_object_twice_is_one_entry_and_order_does_not_matter),
        T(code_added_gone_or_changed_is_named_with_its_build_ids),
        T(a_command_follows_its_script_and_its_program),
        T(commands_added_gone_or_not_found),
        T(options_are_order_free_and_a_name_twice_is_refused),
        T(an_option_change_says_which_from_what_to_what),
        T(named_customs_are_order_free_and_unnamed_ones_ordered),
        T(broadcasts_are_kept_and_fingerprinted_unless_left_out_by_name),
        T(the_first_difference_is_reported_in_the_documented_order),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
