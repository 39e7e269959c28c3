/* test_cli_catalog.c — the `rill catalog` commands, spawned as a user runs
 * them (the real binary, RILL_BIN) on real folders in a scratch folder:
 * a folder imported, listed and read back byte for byte (text, binary, a
 * payload large enough to be stored as a file), versions made by put and
 * rm, a revert that diffs as no change, the log, an export equal to the
 * folder imported, gc after --keep, --json lines parsed with jansson, and
 * the errors a user meets with their exit codes (1 failed, 2 usage). */
#include <jansson.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cli_helpers.h"

#define BIG (200 * 1024) /* above the 64 KiB kept in the database */

/* The bytes of a file; *len its length; caller frees. */
static unsigned char *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_bytes(const char *name, const void *data, size_t len)
{
    char path[512];
    FILE *f = fopen(cli_path(path, name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The file name (under cli_tmp) holds exactly len bytes of data. */
static void file_is(const char *name, const void *data, size_t len)
{
    char path[512];
    size_t n;
    unsigned char *got = read_bytes(cli_path(path, name), &n);
    assert_int_equal(n, len);
    assert_memory_equal(got, data, len);
    free(got);
}

static unsigned char binary[512];
static unsigned char *big;

/* src/: a.txt, b.txt, sub/c.txt, bin.dat (every byte value, NULs too) and
 * big.dat (BIG bytes of a pattern, stored as a payload file). */
static void make_folder(void)
{
    size_t i;
    assert_int_equal(mkdir(cli_path((char[512]){0}, "src"), 0755), 0);
    assert_int_equal(mkdir(cli_path((char[512]){0}, "src/sub"), 0755), 0);
    cli_write("src/a.txt", "alpha\n");
    cli_write("src/b.txt", "beta\n");
    cli_write("src/sub/c.txt", "gamma\n");
    for (i = 0; i < sizeof(binary); i++)
        binary[i] = (unsigned char)(i * 7 + i / 256);
    write_bytes("src/bin.dat", binary, sizeof(binary));
    big = malloc(BIG);
    assert_non_null(big);
    for (i = 0; i < BIG; i++)
        big[i] = (unsigned char)((i * 2654435761u) >> 13);
    write_bytes("src/big.dat", big, BIG);
}

static int big_setup(void **state)
{
    cli_setup(state);
    make_folder();
    return 0;
}

static int big_teardown(void **state)
{
    free(big);
    big = NULL;
    return cli_teardown(state);
}

/* rill's exit status is want, else fail showing its output. */
static void expect(cli_result *r, int want)
{
    if (r->status != want)
        fail_msg("exit %d, expected %d\nstdout: %s\nstderr: %s", r->status, want, r->out,
                 r->err);
}

/* Runs rill, expects the status and frees the result. */
#define RILL_OK(...)                                                                             \
    do {                                                                                         \
        cli_result r_ = cli_rill(NULL, __VA_ARGS__, NULL);                                       \
        expect(&r_, 0);                                                                          \
        cli_result_free(&r_);                                                                    \
    } while (0)

/* The number of regular files under path (recursively). */
static int count_files(const char *path)
{
    char cmd[700], *out;
    int n;
    snprintf(cmd, sizeof(cmd), "find '%s' -type f 2>/dev/null | wc -l", path);
    out = cli_shell(cmd);
    n = atoi(out);
    free(out);
    return n;
}

static void a_folder_imported_reads_back_byte_for_byte_and_exports_equal(void **s)
{
    cli_result r;
    char path[512];
    (void)s;
    r = cli_rill(NULL, "catalog", "import", "docs", "src", "-m", "first load", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.err, "catalog 'docs': version 1 (5 added, 0 removed, 0 changed)"));
    assert_string_equal(r.out, "");
    cli_result_free(&r);
    /* the large payload is a file beside the database, the small ones are not */
    assert_int_equal(count_files(cli_path(path, ".rill/catalogs.db-blobs")), 1);

    r = cli_rill(NULL, "catalog", "ls", "docs", NULL);
    expect(&r, 0);
    { /* size, the XXH3-128 of the bytes in hex, the key */
        XXH128_canonical_t can;
        char line[80];
        int i;
        XXH128_canonicalFromHash(&can, XXH3_128bits("alpha\n", 6));
        memcpy(line, "           6  ", 15);
        for (i = 0; i < 16; i++)
            sprintf(line + 14 + 2 * i, "%02x", can.digest[i]);
        strcat(line, "  a.txt\n");
        assert_non_null(strstr(r.out, line));
    }
    assert_non_null(strstr(r.out, "           6  "));
    assert_non_null(strstr(r.out, "  a.txt\n"));
    assert_non_null(strstr(r.out, "      204800  "));
    assert_non_null(strstr(r.out, "  big.dat\n"));
    assert_non_null(strstr(r.out, "         512  "));
    assert_non_null(strstr(r.out, "  sub/c.txt\n"));
    /* key order: a.txt b.txt big.dat bin.dat sub/c.txt */
    assert_true(strstr(r.out, "a.txt") < strstr(r.out, "big.dat"));
    assert_true(strstr(r.out, "big.dat") < strstr(r.out, "bin.dat"));
    assert_true(strstr(r.out, "bin.dat") < strstr(r.out, "sub/c.txt"));
    cli_result_free(&r);

    r = cli_rill(NULL, "catalog", "get", "docs", "sub/c.txt", NULL);
    expect(&r, 0);
    assert_string_equal(r.out, "gamma\n");
    cli_result_free(&r);
    RILL_OK("catalog", "get", "docs", "bin.dat"); /* to stdout: the file "stdout" */
    file_is("stdout", binary, sizeof(binary));
    RILL_OK("catalog", "get", "docs", "big.dat", "-o", "big.out");
    file_is("big.out", big, BIG);
    RILL_OK("catalog", "get", "docs", "bin.dat", "-v", "1", "--output", "bin.out");
    file_is("bin.out", binary, sizeof(binary));

    r = cli_rill(NULL, "catalog", "export", "docs", "out", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.err, "version 1 into out (5 files"));
    cli_result_free(&r);
    assert_int_equal(count_files(cli_path(path, "out")), 5);
    file_is("out/a.txt", "alpha\n", 6);
    file_is("out/b.txt", "beta\n", 5);
    file_is("out/sub/c.txt", "gamma\n", 6);
    file_is("out/bin.dat", binary, sizeof(binary));
    file_is("out/big.dat", big, BIG);
    free(cli_shell("diff -r src out")); /* and diff agrees (exit 0, else the test fails) */

    r = cli_rill(NULL, "catalog", "list", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.out, "CATALOG"));
    assert_non_null(
        strstr(r.out, "\ndocs                            1            5         205329\n"));
    cli_result_free(&r);
}

static void put_and_rm_make_versions_and_a_revert_diffs_as_no_change(void **s)
{
    cli_result r;
    char in[512];
    (void)s;
    RILL_OK("catalog", "import", "docs", "src", "-q");
    cli_write("new-a.txt", "ALPHA\n");
    r = cli_rill(NULL, "catalog", "put", "docs", "a.txt", "new-a.txt", "-m", "shout", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.err, "version 2 (0 added, 0 removed, 1 changed)"));
    cli_result_free(&r);
    cli_write("old-a.txt", "alpha\n"); /* back to what version 1 held, from stdin */
    r = cli_rill(cli_path(in, "old-a.txt"), "catalog", "put", "docs", "a.txt", "-", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.err, "version 3 (0 added, 0 removed, 1 changed)"));
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "get", "docs", "a.txt", "-v", "2", NULL);
    expect(&r, 0);
    assert_string_equal(r.out, "ALPHA\n");
    cli_result_free(&r);

    r = cli_rill(NULL, "catalog", "diff", "docs", "1", "3", NULL);
    expect(&r, 0); /* no change: still exit 0 */
    assert_string_equal(r.out, "0 added, 0 removed, 0 changed (version 1 to 3)\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "diff", "docs", "1", "2", "-q", NULL);
    expect(&r, 0);
    assert_string_equal(r.out, "~ a.txt\n");
    cli_result_free(&r);

    r = cli_rill(NULL, "catalog", "rm", "docs", "b.txt", "sub/c.txt", "-m", "fewer", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.err, "version 4 (0 added, 2 removed, 0 changed)"));
    cli_result_free(&r);
    /* a key that is not printable is shown escaped */
    r = cli_rill(NULL, "catalog", "put", "docs", "tab\there\x01\xc3\xa9", "new-a.txt", "-q", NULL);
    expect(&r, 0);
    assert_string_equal(r.err, ""); /* -q: no "version 5" line */
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "diff", "docs", "3", "latest", NULL);
    expect(&r, 0);
    assert_string_equal(r.out, "- b.txt\n- sub/c.txt\n+ tab\\there\\x01\xc3\xa9\n"
                               "1 added, 2 removed, 0 changed (version 3 to 5)\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "diff", "docs", "5", "1", NULL); /* backwards */
    expect(&r, 0);
    assert_string_equal(r.out, "+ b.txt\n+ sub/c.txt\n- tab\\there\\x01\xc3\xa9\n"
                               "2 added, 1 removed, 0 changed (version 5 to 1)\n");
    cli_result_free(&r);

    r = cli_rill(NULL, "catalog", "log", "docs", NULL);
    expect(&r, 0);
    {
        /* a header, then versions newest first: number, UTC time, counts, message */
        const char *v4 = strstr(r.out, "\n      4  "), *v1 = strstr(r.out, "\n      1  ");
        int year, mon, day, h, m, sec;
        char z;
        assert_non_null(strstr(r.out, "VERSION"));
        assert_non_null(v4);
        assert_non_null(v1);
        assert_true(strstr(r.out, "\n      5  ") < v4 && v4 < v1);
        assert_int_equal(sscanf(v4 + 10, "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &mon, &day, &h, &m,
                                &sec, &z), 7);
        assert_true(year >= 2024);
        assert_int_equal(z, 'Z');
        assert_non_null(strstr(v4, "+0 -2 ~0"));
        assert_non_null(strstr(v4, "fewer\n"));
        assert_non_null(strstr(v1, "+5 -0 ~0"));
        assert_non_null(strstr(r.out, "shout\n"));
    }
    cli_result_free(&r);
}

/* Each line of text parsed as JSON; *n: how many; caller frees with
 * json_decref each. */
static size_t json_lines(json_t **out, size_t cap, const char *text)
{
    size_t n = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        json_error_t err;
        assert_non_null(nl);
        assert_true(n < cap);
        out[n] = json_loadb(p, (size_t)(nl - p), 0, &err);
        if (out[n] == NULL)
            fail_msg("not JSON: %.*s (%s)", (int)(nl - p), p, err.text);
        n++;
        p = nl + 1;
    }
    return n;
}

static void json_lines_parse_and_say_the_same(void **s)
{
    cli_result r;
    json_t *j[16];
    size_t n, i;
    (void)s;
    RILL_OK("catalog", "import", "docs", "src", "--db", "state/cat.db", "-m", "one");
    RILL_OK("catalog", "rm", "docs", "a.txt", "--db", "state/cat.db");
    RILL_OK("catalog", "put", "other", "k", "src/b.txt", "--db", "state/cat.db");

    r = cli_rill(NULL, "catalog", "list", "--json", "--db", "state/cat.db", NULL);
    expect(&r, 0);
    assert_int_equal(n = json_lines(j, 16, r.out), 2);
    assert_string_equal(json_string_value(json_object_get(j[0], "catalog")), "docs");
    assert_int_equal(json_integer_value(json_object_get(j[0], "version")), 2);
    assert_int_equal(json_integer_value(json_object_get(j[0], "partitions")), 4);
    assert_int_equal(json_integer_value(json_object_get(j[0], "bytes")), 205329 - 6);
    assert_string_equal(json_string_value(json_object_get(j[1], "catalog")), "other");
    assert_int_equal(json_integer_value(json_object_get(j[1], "bytes")), 5);
    for (i = 0; i < n; i++)
        json_decref(j[i]);
    cli_result_free(&r);

    r = cli_rill(NULL, "catalog", "ls", "docs", "--json", "-v", "1", "--db", "state/cat.db", NULL);
    expect(&r, 0);
    assert_int_equal(n = json_lines(j, 16, r.out), 5);
    assert_string_equal(json_string_value(json_object_get(j[0], "key")), "a.txt");
    assert_int_equal(json_integer_value(json_object_get(j[0], "size")), 6);
    assert_int_equal(strlen(json_string_value(json_object_get(j[0], "hash"))), 32);
    assert_string_equal(json_string_value(json_object_get(j[2], "key")), "big.dat");
    assert_int_equal(json_integer_value(json_object_get(j[2], "size")), BIG);
    for (i = 0; i < n; i++)
        json_decref(j[i]);
    cli_result_free(&r);

    r = cli_rill(NULL, "catalog", "diff", "docs", "0", "2", "--json", "--db", "state/cat.db",
                 NULL);
    expect(&r, 0);
    assert_int_equal(n = json_lines(j, 16, r.out), 5); /* 4 added, then the summary */
    assert_string_equal(json_string_value(json_object_get(j[0], "change")), "added");
    assert_string_equal(json_string_value(json_object_get(j[0], "key")), "b.txt");
    assert_true(json_is_null(json_object_get(j[0], "from")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j[0], "to"), "size")),
                     5);
    assert_int_equal(json_integer_value(json_object_get(j[4], "added")), 4);
    assert_int_equal(json_integer_value(json_object_get(j[4], "removed")), 0);
    assert_int_equal(json_integer_value(json_object_get(j[4], "to")), 2);
    for (i = 0; i < n; i++)
        json_decref(j[i]);
    cli_result_free(&r);

    r = cli_rill(NULL, "catalog", "log", "docs", "--json", "--db", "state/cat.db", NULL);
    expect(&r, 0);
    assert_int_equal(n = json_lines(j, 16, r.out), 2);
    assert_int_equal(json_integer_value(json_object_get(j[0], "version")), 2);
    assert_int_equal(json_integer_value(json_object_get(j[0], "removed")), 1);
    assert_string_equal(json_string_value(json_object_get(j[1], "message")), "one");
    assert_int_equal(json_integer_value(json_object_get(j[1], "added")), 5);
    assert_int_equal(strlen(json_string_value(json_object_get(j[1], "time"))), 20);
    assert_true(json_is_false(json_object_get(j[1], "pruned")));
    for (i = 0; i < n; i++)
        json_decref(j[i]);
    cli_result_free(&r);
    /* a key that is not UTF-8: its bytes in hex; in text, escaped */
    RILL_OK("catalog", "put", "other", "\xff\xfe", "src/b.txt", "--db", "state/cat.db", "-q");
    r = cli_rill(NULL, "catalog", "ls", "other", "--json", "--db", "state/cat.db", NULL);
    expect(&r, 0);
    assert_int_equal(n = json_lines(j, 16, r.out), 2);
    assert_string_equal(json_string_value(json_object_get(j[0], "key")), "k");
    assert_null(json_object_get(j[1], "key"));
    assert_string_equal(json_string_value(json_object_get(j[1], "key_hex")), "fffe");
    for (i = 0; i < n; i++)
        json_decref(j[i]);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "ls", "other", "--db", "state/cat.db", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.out, "  \\xff\\xfe\n"));
    cli_result_free(&r);
    /* nothing went to the default file */
    assert_int_equal(access(".rill/catalogs.db", F_OK), -1);
}

static void gc_after_keep_prunes_old_versions_and_removes_their_payload_files(void **s)
{
    cli_result r;
    char blobs[512];
    size_t i;
    (void)s;
    cli_path(blobs, ".rill/catalogs.db-blobs");
    RILL_OK("catalog", "import", "docs", "src", "-q");
    for (i = 0; i < 3; i++) { /* three more versions of big.dat: four payload files */
        big[0] = (unsigned char)(big[0] + 1);
        write_bytes("big.new", big, BIG);
        RILL_OK("catalog", "put", "docs", "big.dat", "big.new", "-q");
    }
    assert_int_equal(count_files(blobs), 4);
    r = cli_rill(NULL, "catalog", "gc", NULL); /* keeps every version: nothing to remove */
    expect(&r, 0);
    assert_string_equal(r.out, "removed 0 payloads (0 files, 0 bytes); pruned 0 versions\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "gc", "docs", "--keep", "1", NULL);
    expect(&r, 0);
    assert_string_equal(r.out, "catalog 'docs': pruned 3 versions\n"
                               "removed 3 payloads (3 files, 614400 bytes); pruned 3 versions\n");
    cli_result_free(&r);
    assert_int_equal(count_files(blobs), 1);
    RILL_OK("catalog", "get", "docs", "big.dat", "-o", "big.out");
    file_is("big.out", big, BIG);
    r = cli_rill(NULL, "catalog", "log", "docs", "-q", NULL);
    expect(&r, 0);
    {
        /* versions 1 to 3 pruned, 4 kept */
        const char *p = r.out;
        int pruned = 0;
        while ((p = strstr(p, "(pruned)")) != NULL)
            pruned++, p++;
        assert_int_equal(pruned, 3);
        assert_true(strncmp(r.out, "      4  ", 9) == 0);
        assert_true(strstr(r.out, "(pruned)") > strchr(r.out, '\n')); /* not on v4's line */
    }
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "ls", "docs", "-v", "2", NULL);
    expect(&r, 1);
    assert_non_null(strstr(r.err, "version 2 was pruned"));
    cli_result_free(&r);
    /* without a name, --keep prunes every catalog of the file */
    cli_write("once.txt", "held by other's version 1 only\n");
    RILL_OK("catalog", "put", "other", "k", "once.txt", "-q");
    RILL_OK("catalog", "put", "other", "k", "src/a.txt", "-q");
    RILL_OK("catalog", "put", "docs", "a.txt", "src/b.txt", "-q");
    r = cli_rill(NULL, "catalog", "gc", "--keep", "1", NULL);
    expect(&r, 0);
    assert_string_equal(r.out, "catalog 'docs': pruned 1 version\n"
                               "catalog 'other': pruned 1 version\n"
                               "removed 1 payload (0 files, 0 bytes); pruned 2 versions\n");
    cli_result_free(&r);
}

static void errors_say_what_and_exit_1_or_2_for_usage(void **s)
{
    static const struct {
        const char *args[8];
        int status;
        const char *says; /* on stderr */
    } cases[] = {
        {{"catalog", "ls", "nope"}, 1, "has no catalog 'nope'"},
        {{"catalog", "get", "nope", "a.txt"}, 1, "has no catalog 'nope'"},
        {{"catalog", "log", "nope"}, 1, "has no catalog 'nope'"},
        {{"catalog", "rm", "nope", "a.txt"}, 1, "has no catalog 'nope'"},
        {{"catalog", "get", "docs", "missing.txt"}, 1, "has no key \"missing.txt\""},
        {{"catalog", "rm", "docs", "a.txt", "missing.txt"}, 1, "no version made"},
        {{"catalog", "get", "docs", "a.txt", "-v", "9"}, 1, "has no version 9 (the latest is 1)"},
        {{"catalog", "diff", "docs", "1", "7"}, 1, "has no version 7"},
        {{"catalog", "export", "docs", "out", "-v", "3"}, 1, "has no version 3"},
        {{"catalog", "import", "docs", "no-such-dir"}, 1, "no-such-dir"},
        {{"catalog", "put", "docs", "k", "no-such-file"}, 1, "no-such-file"},
        {{"catalog", "ls", "docs", "-v", "one"}, 2, "expected a version"},
        {{"catalog", "diff", "docs", "1", "x"}, 2, "expected a version"},
        {{"catalog", "ls", "docs", "--frob"}, 2, "usage: rill catalog ls NAME"},
        {{"catalog", "ls", "docs", "--keep", "2"}, 2, "--keep does not apply here"},
        {{"catalog", "gc", "--keep", "-1"}, 2, "--keep: expected a whole number"},
        {{"catalog", "get", "docs"}, 2, "missing arguments"},
        {{"catalog", "log", "docs", "extra"}, 2, "too many arguments"},
        {{"catalog", "lsit"}, 2, "did you mean 'list'"},
        {{"catalog"}, 2, "usage: rill catalog SUBCOMMAND"},
    };
    cli_result r;
    size_t i;
    (void)s;
    RILL_OK("catalog", "import", "docs", "src", "-q");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[12] = {RILL_BIN};
        int k;
        for (k = 0; cases[i].args[k]; k++)
            argv[k + 1] = cases[i].args[k];
        r = cli_runv(NULL, argv);
        if (r.status != cases[i].status || strstr(r.err, cases[i].says) == NULL)
            fail_msg("rill %s %s %s: exit %d (expected %d), stderr '%s' (expected '%s')",
                     cases[i].args[0], cases[i].args[1], cases[i].args[2] ? cases[i].args[2] : "",
                     r.status, cases[i].status, r.err, cases[i].says);
        assert_string_equal(r.out, "");
        cli_result_free(&r);
    }
    /* nothing of the failed writes was committed */
    r = cli_rill(NULL, "catalog", "log", "docs", "-q", NULL);
    expect(&r, 0);
    assert_null(strchr(strchr(r.out, '\n') + 1, '\n'));
    cli_result_free(&r);
    /* the default file missing: a clear message */
    r = cli_rill(NULL, "catalog", "list", "--db", "elsewhere.db", NULL);
    expect(&r, 1);
    assert_non_null(strstr(r.err, "elsewhere.db: no catalogs (no such file)"));
    cli_result_free(&r);
}

static void help_prints_the_usage_on_stdout(void **s)
{
    const char *const helps[][4] = {{"help", "catalog"}, {"catalog", "--help"},
                                    {"catalog", "ls", "--help"}, {"catalog", "-h"}};
    cli_result r;
    size_t i;
    (void)s;
    for (i = 0; i < 4; i++) {
        r = cli_rill(NULL, helps[i][0], helps[i][1], helps[i][2], NULL);
        expect(&r, 0);
        assert_non_null(strstr(r.out, "usage: rill catalog SUBCOMMAND"));
        assert_non_null(strstr(r.out, "diff NAME N M"));
        assert_string_equal(r.err, "");
        cli_result_free(&r);
    }
    r = cli_rill(NULL, "--help", NULL);
    expect(&r, 0);
    assert_non_null(strstr(r.out, "catalog SUB"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            a_folder_imported_reads_back_byte_for_byte_and_exports_equal, big_setup,
            big_teardown),
        cmocka_unit_test_setup_teardown(put_and_rm_make_versions_and_a_revert_diffs_as_no_change,
                                        big_setup, big_teardown),
        cmocka_unit_test_setup_teardown(json_lines_parse_and_say_the_same, big_setup,
                                        big_teardown),
        cmocka_unit_test_setup_teardown(
            gc_after_keep_prunes_old_versions_and_removes_their_payload_files, big_setup,
            big_teardown),
        cmocka_unit_test_setup_teardown(errors_say_what_and_exit_1_or_2_for_usage, big_setup,
                                        big_teardown),
        cmocka_unit_test_setup_teardown(help_prints_the_usage_on_stdout, cli_setup,
                                        cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
