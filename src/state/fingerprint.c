/* fingerprint.c — building fingerprints (include/rill/fingerprint.h): the
 * handle, its sorted lists, options, custom hashes, the declared code
 * version and broadcast inputs. Objects and commands are found and hashed
 * in fingerprint_code.c, encoded in fingerprint_codec.c and compared and
 * described in fingerprint_show.c.
 *
 * Every order-free list is kept sorted as it is built (an insert finds its
 * place by binary search), so the encoding is canonical without a sort at
 * the end, and a key added twice is found on the way in. */
#include "fingerprint.h"

#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

char *rill__fp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void rill__fp_hash(unsigned char out[FP_HASH], const void *p, size_t len)
{
    XXH128_canonical_t can;
    XXH128_canonicalFromHash(&can, XXH3_128bits(len ? p : "", len));
    memcpy(out, can.digest, FP_HASH);
}

void rill__fp_value_of(rill__fp_value *v, const void *p, size_t len)
{
    memset(v, 0, sizeof(*v));
    v->len = len;
    rill__fp_hash(v->hash, p, len);
    v->shown_len = (uint8_t)(len < RILL_FINGERPRINT_SHOWN ? len : RILL_FINGERPRINT_SHOWN);
    if (v->shown_len)
        memcpy(v->shown, p, v->shown_len);
}

int rill__fp_grow(void *arr, size_t *cap, size_t n, size_t size)
{
    size_t c;
    void *old, *m;
    if (n < *cap)
        return 0;
    c = *cap ? *cap * 2 : 8;
    if (c < *cap || c > SIZE_MAX / size)
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory");
    memcpy(&old, arr, sizeof(old)); /* arr points to a T *, whatever T is */
    if ((m = realloc(old, c * size)) == NULL)
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory");
    memcpy(arr, &m, sizeof(m));
    *cap = c;
    return 0;
}

int rill__fp_argv_cmp(char *const *a, uint32_t an, char *const *b, uint32_t bn)
{
    uint32_t i;
    for (i = 0; i < an && i < bn; i++) {
        int c = strcmp(a[i], b[i]);
        if (c)
            return c;
    }
    return an < bn ? -1 : an > bn;
}

void rill__fp_code_clear(rill__fp_code *c)
{
    free(c->name);
    free(c->id);
    memset(c, 0, sizeof(*c));
}

void rill__fp_command_clear(rill__fp_command *c)
{
    uint32_t i;
    for (i = 0; c->argv && i < c->argc; i++)
        free(c->argv[i]);
    free(c->argv);
    free(c->program);
    free(c->files);
    memset(c, 0, sizeof(*c));
}

rill_fingerprints *rill__fp_alloc(void)
{
    return calloc(1, sizeof(rill_fingerprints));
}

int rill_fingerprints_new(rill_fingerprints **out)
{
    rill_fingerprints *f;
    if (out == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_new: out is NULL");
    *out = NULL;
    if ((f = rill__fp_alloc()) == NULL || (f->version = rill__fp_strdup(RILL_VERSION_STRING)) == NULL) {
        free(f);
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory");
    }
    *out = f;
    return 0;
}

void rill_fingerprints_free(rill_fingerprints *f)
{
    size_t i;
    if (f == NULL)
        return;
    free(f->version);
    for (i = 0; i < f->ncode; i++)
        rill__fp_code_clear(&f->code[i]);
    free(f->code);
    free(f->code_version);
    for (i = 0; i < f->ncmd; i++)
        rill__fp_command_clear(&f->cmd[i]);
    free(f->cmd);
    for (i = 0; i < f->nopt; i++)
        free(f->opt[i].name);
    free(f->opt);
    for (i = 0; i < f->nnamed; i++)
        free(f->named[i].name);
    free(f->named);
    free(f->unnamed);
    for (i = 0; i < f->nbc; i++) {
        free(f->bc[i].name);
        free(f->bc[i].bytes);
    }
    free(f->bc);
    free(f);
}

/* Where name goes in the n sorted entries of elem size whose first member
 * is a char * name: *at, and whether it is there already. */
static int find_name(const void *arr, size_t n, size_t size, const char *name, size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = *(char *const *)((const char *)arr + mid * size);
        int c = strcmp(m, name);
        if (c == 0) {
            *at = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return 0;
}

/* Opens a gap at index at of *arr (n elements of size). */
static void open_gap(void *arr, size_t n, size_t size, size_t at)
{
    char *a = arr;
    memmove(a + (at + 1) * size, a + at * size, (n - at) * size);
}

int rill__fp_insert_code(rill_fingerprints *f, rill__fp_code *c)
{
    size_t at;
    int rc;
    if (find_name(f->code, f->ncode, sizeof(*f->code), c->name, &at)) {
        rill__fp_code_clear(c); /* the same object: one entry */
        return 0;
    }
    if ((rc = rill__fp_grow(&f->code, &f->capcode, f->ncode, sizeof(*f->code))) < 0) {
        rill__fp_code_clear(c);
        return rc;
    }
    open_gap(f->code, f->ncode, sizeof(*f->code), at);
    f->code[at] = *c;
    f->ncode++;
    memset(c, 0, sizeof(*c));
    return 0;
}

int rill__fp_insert_command(rill_fingerprints *f, rill__fp_command *c)
{
    size_t lo = 0, hi = f->ncmd;
    int rc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int k = rill__fp_argv_cmp(f->cmd[mid].argv, f->cmd[mid].argc, c->argv, c->argc);
        if (k == 0) {
            rill__fp_command_clear(c); /* the same argv: the first stays */
            return 0;
        }
        if (k < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if ((rc = rill__fp_grow(&f->cmd, &f->capcmd, f->ncmd, sizeof(*f->cmd))) < 0) {
        rill__fp_command_clear(c);
        return rc;
    }
    open_gap(f->cmd, f->ncmd, sizeof(*f->cmd), lo);
    f->cmd[lo] = *c;
    f->ncmd++;
    memset(c, 0, sizeof(*c));
    return 0;
}

int rill_fingerprints_set_code_version(rill_fingerprints *f, const char *version)
{
    char *v = NULL;
    if (f == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_set_code_version: f is NULL");
    if (version && (v = rill__fp_strdup(version)) == NULL)
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory");
    free(f->code_version);
    f->code_version = v;
    return 0;
}

/* Adds name -> the value of len bytes at p to a sorted list of named
 * values; what ("option", "custom hash") names it in errors. */
static int add_named(rill__fp_named **arr, size_t *n, size_t *cap, const char *name,
                     const void *p, size_t len, const char *what)
{
    size_t at;
    char *copy;
    int rc;
    if (name == NULL || name[0] == '\0')
        return rill__error(RILL_EINVAL, "fingerprints: %s without a name", what);
    if (p == NULL && len > 0)
        return rill__error(RILL_EINVAL, "fingerprints: %s '%s': NULL value of %zu bytes", what,
                           name, len);
    if (find_name(*arr, *n, sizeof(**arr), name, &at))
        return rill__error(RILL_EINVAL, "fingerprints: %s '%s' given twice", what, name);
    if ((rc = rill__fp_grow(arr, cap, *n, sizeof(**arr))) < 0)
        return rc;
    if ((copy = rill__fp_strdup(name)) == NULL)
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory");
    open_gap(*arr, *n, sizeof(**arr), at);
    (*arr)[at].name = copy;
    rill__fp_value_of(&(*arr)[at].v, p, len);
    (*n)++;
    return 0;
}

int rill_fingerprints_add_option(rill_fingerprints *f, const char *name, const void *value,
                                 size_t len)
{
    if (f == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_add_option: f is NULL");
    return add_named(&f->opt, &f->nopt, &f->capopt, name, value, len, "option");
}

int rill_fingerprints_add_custom(rill_fingerprints *f, const char *name, const void *bytes,
                                 size_t len)
{
    int rc;
    if (f == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_add_custom: f is NULL");
    if (name)
        return add_named(&f->named, &f->nnamed, &f->capnamed, name, bytes, len, "custom hash");
    if (bytes == NULL && len > 0)
        return rill__error(RILL_EINVAL, "fingerprints: unnamed custom hash: NULL bytes of %zu "
                           "bytes", len);
    if ((rc = rill__fp_grow(&f->unnamed, &f->capunnamed, f->nunnamed, sizeof(*f->unnamed))) < 0)
        return rc;
    rill__fp_value_of(&f->unnamed[f->nunnamed++], bytes, len);
    return 0;
}

int rill_fingerprints_add_broadcast(rill_fingerprints *f, const char *name, const void *bytes,
                                    size_t len, int fingerprinted)
{
    rill__fp_broadcast b;
    size_t at;
    int rc;
    if (f == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_add_broadcast: f is NULL");
    if (name == NULL || name[0] == '\0')
        return rill__error(RILL_EINVAL, "fingerprints: broadcast without a name");
    if (bytes == NULL && len > 0)
        return rill__error(RILL_EINVAL, "fingerprints: broadcast '%s': NULL bytes of %zu bytes",
                           name, len);
    if (find_name(f->bc, f->nbc, sizeof(*f->bc), name, &at))
        return rill__error(RILL_EINVAL, "fingerprints: broadcast '%s' given twice", name);
    if ((rc = rill__fp_grow(&f->bc, &f->capbc, f->nbc, sizeof(*f->bc))) < 0)
        return rc;
    memset(&b, 0, sizeof(b));
    b.fingerprinted = fingerprinted != 0;
    b.len = len;
    b.has_bytes = 1;
    if ((b.name = rill__fp_strdup(name)) == NULL || (b.bytes = malloc(len ? len : 1)) == NULL) {
        free(b.name);
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory copying broadcast '%s'",
                           name);
    }
    if (len)
        memcpy(b.bytes, bytes, len);
    if (b.fingerprinted)
        rill__fp_value_of(&b.v, bytes, len);
    open_gap(f->bc, f->nbc, sizeof(*f->bc), at);
    f->bc[at] = b;
    f->nbc++;
    return 0;
}

int rill_fingerprints_broadcast(const rill_fingerprints *f, const char *name, const void **bytes,
                                size_t *len)
{
    size_t at;
    if (f == NULL || name == NULL || bytes == NULL || len == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_broadcast: a NULL argument");
    *bytes = NULL;
    *len = 0;
    if (!find_name(f->bc, f->nbc, sizeof(*f->bc), name, &at))
        return rill__error(RILL_ENOTFOUND, "fingerprints: no broadcast '%s'", name);
    if (!f->bc[at].has_bytes)
        return rill__error(RILL_ENOTFOUND, "fingerprints: broadcast '%s': only its hash is "
                           "known (decoded fingerprints keep no bytes)", name);
    *bytes = f->bc[at].bytes;
    *len = f->bc[at].len;
    return 0;
}
