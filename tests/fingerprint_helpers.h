/* fingerprint_helpers.h — what test_fingerprint.c and
 * test_fingerprint_codec.c share: a scratch folder per test (dir, made by
 * setup, removed with all in it by teardown), files written into it, the
 * lines rill_fingerprints_describe gives, encodings, and the build-id that
 * binutils' `readelf -n` prints for a file. */
#ifndef RILL_TESTS_FINGERPRINT_HELPERS_H
#define RILL_TESTS_FINGERPRINT_HELPERS_H

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rill.h"

#if defined(__GNUC__)
#define HELPER __attribute__((unused)) static
#else
#define HELPER static
#endif

static char dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-fp-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir/name (a static buffer per call site is not needed: callers copy). */
HELPER const char *in_dir(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

HELPER void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* The describe lines of f, each ending in '\n', in one string (caller frees). */
typedef struct lines {
    char *p;
    size_t len;
} lines;

static void on_line(const char *text, void *payload)
{
    lines *l = payload;
    size_t n = strlen(text);
    l->p = realloc(l->p, l->len + n + 2);
    assert_non_null(l->p);
    memcpy(l->p + l->len, text, n);
    l->p[l->len + n] = '\n';
    l->len += n + 1;
    l->p[l->len] = '\0';
}

HELPER char *describe(const rill_fingerprints *f)
{
    lines l = {NULL, 0};
    assert_int_equal(rill_fingerprints_describe(f, on_line, &l), 0);
    return l.p ? l.p : strdup("");
}

/* The describe line of f that starts with prefix, without its '\n' (caller
 * frees); NULL when there is none. */
HELPER char *line_with(const rill_fingerprints *f, const char *prefix)
{
    char *all = describe(f), *p = all, *found = NULL;
    while (*p) {
        char *end = strchr(p, '\n');
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            found = strndup(p, (size_t)(end - p));
            break;
        }
        p = end + 1;
    }
    free(all);
    return found;
}

/* How many describe lines of f start with prefix. */
HELPER int lines_with(const rill_fingerprints *f, const char *prefix)
{
    char *all = describe(f), *p = all;
    int n = 0;
    while (*p) {
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            n++;
        p = strchr(p, '\n') + 1;
    }
    free(all);
    return n;
}

/* The "Build ID" that `readelf -n path` prints, in hex, into out; "" when
 * it prints none. */
HELPER void readelf_build_id(char *out, size_t cap, const char *path)
{
    char cmd[600], buf[512];
    FILE *p;
    out[0] = '\0';
    snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(buf, sizeof(buf), p)) {
        char *at = strstr(buf, "Build ID: ");
        if (at) {
            at += strlen("Build ID: ");
            at[strcspn(at, " \r\n")] = '\0';
            snprintf(out, cap, "%s", at);
        }
    }
    assert_int_equal(pclose(p), 0);
}

HELPER void hex(char *out, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

/* The encoding of f (caller frees). */
HELPER void *encode(size_t *len, const rill_fingerprints *f)
{
    void *b = NULL;
    assert_int_equal(rill_fingerprints_encode(&b, len, f), 0);
    assert_non_null(b);
    return b;
}

/* 1 when a and b encode to the same bytes. */
HELPER int same_encoding(const rill_fingerprints *a, const rill_fingerprints *b)
{
    size_t la, lb;
    void *ea = encode(&la, a), *eb = encode(&lb, b);
    int same = la == lb && memcmp(ea, eb, la) == 0;
    free(ea);
    free(eb);
    return same;
}

/* rill_fingerprints_compare's result, asserting why is want (NULL: any). */
HELPER void expect_why(const rill_fingerprints *old, const rill_fingerprints *now,
                       const char *want)
{
    char why[1024];
    assert_int_equal(rill_fingerprints_compare(why, sizeof(why), old, now), 1);
    if (want)
        assert_string_equal(why, want);
}

HELPER void expect_same(const rill_fingerprints *old, const rill_fingerprints *now)
{
    char why[1024];
    assert_int_equal(rill_fingerprints_compare(why, sizeof(why), old, now), 0);
    assert_string_equal(why, "");
}

HELPER rill_fingerprints *fp_new(void)
{
    rill_fingerprints *f = NULL;
    assert_int_equal(rill_fingerprints_new(&f), 0);
    return f;
}

#endif
