/* stage_common.c — the helpers the built-in stages share (stage_common.h):
 * numbers as text, a growable buffer with TSV escapes, fields of a line,
 * composite keys, owned copies of records and their serialised form, and
 * a seeded hash. Nothing here keeps state: every function is safe on any
 * thread. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_common.h"

const char *const cli_on_error_choices[] = {"fail", "skip", NULL};

/* ---- numbers ---- */

/* Numbers are read and written in the C locale whatever the program's
 * (a decimal comma would break every file): one locale object for all. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t numeric_locale(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale ? c_locale : LC_GLOBAL_LOCALE;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int cli_num_parse(cli_num *out, const void *p, size_t len)
{
    const char *s = p, *e = s + len;
    char buf[64], *end;
    size_t i, n;
    int integer = 1;
    while (s < e && is_space(*s))
        s++;
    while (e > s && is_space(e[-1]))
        e--;
    n = (size_t)(e - s);
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (i = 0; i < n; i++) {
        char c = buf[i];
        if (c == 'x' || c == 'X' || c == 'n' || c == 'N' || c == 'i' || c == 'I')
            return -1; /* no hex, nan or inf */
        if (!((c >= '0' && c <= '9') || (i == 0 && (c == '-' || c == '+'))))
            integer = 0;
    }
    errno = 0;
    if (integer) {
        long long v = strtoll(buf, &end, 10);
        if (errno == 0 && *end == '\0' && end != buf) {
            out->is_int = 1;
            out->i = v;
            out->d = (double)v;
            return 0;
        }
        errno = 0;
    }
    out->d = strtod_l(buf, &end, numeric_locale());
    if (end == buf || *end != '\0' || !isfinite(out->d))
        return -1;
    out->is_int = 0;
    out->i = 0;
    return 0;
}

size_t cli_num_format(char *buf, const cli_num *n)
{
    int prec, len = 0;
    locale_t was;
    if (n->is_int)
        return (size_t)snprintf(buf, CLI_NUM_MAX, "%lld", (long long)n->i);
    was = uselocale(numeric_locale()); /* this thread only, restored below */
    for (prec = 15; prec <= 17; prec++) {
        len = snprintf(buf, CLI_NUM_MAX, "%.*g", prec, n->d);
        if (strtod_l(buf, NULL, numeric_locale()) == n->d)
            break;
    }
    uselocale(was);
    return (size_t)len;
}

int cli_num_cmp(const cli_num *a, const cli_num *b)
{
    if (a->is_int && b->is_int)
        return (a->i > b->i) - (a->i < b->i);
    {
        long double x = a->is_int ? (long double)a->i : (long double)a->d;
        long double y = b->is_int ? (long double)b->i : (long double)b->d;
        return (x > y) - (x < y);
    }
}

int cli_not_a_number(const void *p, size_t len, const char *what, const char *hint)
{
    char text[64 * 4 + 4];
    size_t i, n = 0;
    /* the first 60 bytes, a control byte written as \t or \xHH */
    for (i = 0; i < len && i < 60; i++) {
        unsigned char c = ((const unsigned char *)p)[i];
        if (c == '\t')
            n += (size_t)snprintf(text + n, sizeof(text) - n, "\\t");
        else if (c < 0x20 || c == 0x7F)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "\\x%02x", c);
        else
            text[n++] = (char)c;
    }
    text[n] = '\0';
    if (hint == NULL && memchr(p, '\t', len))
        hint = "it is several fields: select one";
    rill_error_set("%s '%s%s' is not a number%s%s%s", what, text, len > 60 ? "..." : "",
                   hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
    return RILL_ETYPE;
}

int cli_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

/* ---- the buffer ---- */

int cli_buf_add(cli_buf *b, const void *p, size_t len)
{
    if (len > SIZE_MAX / 2 - b->len)
        return RILL_ENOMEM;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *q;
        while (cap < b->len + len)
            cap *= 2;
        if ((q = realloc(b->p, cap)) == NULL)
            return RILL_ENOMEM;
        b->p = q;
        b->cap = cap;
    }
    if (len)
        memcpy(b->p + b->len, p, len);
    b->len += len;
    return 0;
}

int cli_buf_add_tsv(cli_buf *b, const void *p, size_t len)
{
    const char *s = p, *e = s + len, *run = s;
    int rc = 0;
    for (; s < e && rc == 0; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n"
                        : *s == '\r' ? "\\r" : NULL;
        if (esc == NULL)
            continue;
        if ((rc = cli_buf_add(b, run, (size_t)(s - run))) == 0)
            rc = cli_buf_add(b, esc, 2);
        run = s + 1;
    }
    return rc ? rc : cli_buf_add(b, run, (size_t)(e - run));
}

void cli_buf_free(cli_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int cli_field(const char **f, size_t *flen, const char *p, size_t len, char delim, int64_t field)
{
    const char *s = p, *e = p + len;
    int64_t k;
    for (k = 1; k < field; k++) {
        const char *d = memchr(s, delim, (size_t)(e - s));
        if (d == NULL)
            return -1;
        s = d + 1;
    }
    {
        const char *d = memchr(s, delim, (size_t)(e - s));
        *f = s;
        *flen = (size_t)((d ? d : e) - s);
    }
    return 0;
}

/* ---- composite keys ---- */

int cli_pack(cli_buf *b, const rill_record *rec)
{
    unsigned char has = rec->key != NULL;
    uint32_t klen = (uint32_t)rec->key_len;
    int rc;
    b->len = 0;
    if ((rc = cli_buf_add(b, &has, 1)) == 0 && (rc = cli_buf_add(b, &klen, 4)) == 0 &&
        (rc = cli_buf_add(b, rec->key, rec->key_len)) == 0)
        rc = cli_buf_add(b, rec->data, rec->len);
    return rc;
}

int cli_unpack(rill_record *out, const void *p, size_t len)
{
    const unsigned char *s = p;
    uint32_t klen;
    if (len < 5 || s[0] > 1)
        return -1;
    memcpy(&klen, s + 1, 4);
    if (klen > len - 5 || (s[0] == 0 && klen))
        return -1;
    out->key = s[0] ? (const void *)(s + 5) : NULL;
    out->key_len = klen;
    out->data = s + 5 + klen;
    out->len = len - 5 - klen;
    return 0;
}

/* ---- items ---- */

cli_item *cli_item_new(const rill_record *rec)
{
    cli_item *it;
    char *q;
    if (rec->len > UINT32_MAX || rec->key_len > UINT32_MAX)
        return NULL;
    if ((it = malloc(sizeof(*it) + rec->key_len + rec->len + 1)) == NULL)
        return NULL;
    memset(it, 0, sizeof(*it));
    q = (char *)(it + 1);
    it->klen = (uint32_t)rec->key_len;
    it->vlen = (uint32_t)rec->len;
    if (rec->key_len)
        memcpy(q, rec->key, rec->key_len);
    it->key = rec->key ? q : NULL;
    if (rec->len)
        memcpy(q + rec->key_len, rec->data, rec->len);
    it->val = q + rec->key_len;
    return it;
}

int cli_item_emit(rill_emitter *out, const cli_item *it)
{
    if (it->key)
        return rill_emit_keyed(out, it->key, it->klen, it->val, it->vlen);
    return rill_emit(out, it->val, it->vlen);
}

int cli_items_push(cli_items *a, cli_item *it)
{
    if (it == NULL)
        return RILL_ENOMEM;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        cli_item **v = realloc(a->v, cap * sizeof(*v));
        if (v == NULL) {
            free(it);
            return RILL_ENOMEM;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = it;
    return 0;
}

void cli_items_free(cli_items *a)
{
    size_t i;
    for (i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

/* An item's header in the serialised form: the fields, then key and value. */
struct item_head {
    int64_t i;
    double d;
    uint64_t rank;
    uint32_t klen, vlen;
    uint8_t is_int, has_key;
};
#define HEAD_BYTES (8 + 8 + 8 + 4 + 4 + 1 + 1)

int cli_items_encode(const cli_items *a, rill_batch *out)
{
    cli_buf b = {0};
    size_t k;
    int rc = 0;
    for (k = 0; k < a->n && rc == 0; k++) {
        const cli_item *it = a->v[k];
        unsigned char h[HEAD_BYTES];
        uint8_t is_int = (uint8_t)it->num.is_int, has = it->key != NULL;
        memcpy(h, &it->num.i, 8);
        memcpy(h + 8, &it->num.d, 8);
        memcpy(h + 16, &it->rank, 8);
        memcpy(h + 24, &it->klen, 4);
        memcpy(h + 28, &it->vlen, 4);
        h[32] = is_int;
        h[33] = has;
        if ((rc = cli_buf_add(&b, h, sizeof(h))) == 0 && (rc = cli_buf_add(&b, it->key, it->klen)) == 0)
            rc = cli_buf_add(&b, it->val, it->vlen);
    }
    if (rc == 0)
        rc = rill_batch_add(out, b.p ? b.p : "", b.len);
    cli_buf_free(&b);
    return rc;
}

int cli_items_decode(cli_items *a, const void *bytes, size_t len)
{
    const unsigned char *s = bytes, *e = s + len;
    int rc;
    while (s < e) {
        struct item_head h;
        rill_record r;
        cli_item *it;
        if ((size_t)(e - s) < HEAD_BYTES)
            return RILL_ECORRUPT;
        memcpy(&h.i, s, 8);
        memcpy(&h.d, s + 8, 8);
        memcpy(&h.rank, s + 16, 8);
        memcpy(&h.klen, s + 24, 4);
        memcpy(&h.vlen, s + 28, 4);
        h.is_int = s[32];
        h.has_key = s[33];
        s += HEAD_BYTES;
        if ((size_t)(e - s) < (size_t)h.klen + h.vlen)
            return RILL_ECORRUPT;
        r.key = h.has_key ? (const void *)s : NULL;
        r.key_len = h.klen;
        r.data = s + h.klen;
        r.len = h.vlen;
        s += (size_t)h.klen + h.vlen;
        if ((it = cli_item_new(&r)) == NULL)
            return RILL_ENOMEM;
        it->num.i = h.i;
        it->num.d = h.d;
        it->num.is_int = h.is_int;
        it->rank = h.rank;
        if ((rc = cli_items_push(a, it)) != 0)
            return rc;
    }
    return 0;
}

/* ---- hashing ---- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t cli_hash(uint64_t seed, const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = mix(seed ^ 0x9e3779b97f4a7c15ULL) ^ (uint64_t)len;
    size_t i;
    for (i = 0; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = mix(h ^ w) * 0x9e3779b97f4a7c15ULL;
    }
    if (i < len) {
        uint64_t w = 0;
        size_t k;
        for (k = 0; i + k < len; k++)
            w |= (uint64_t)s[i + k] << (8 * k);
        h = mix(h ^ w ^ 0xff) * 0x9e3779b97f4a7c15ULL;
    }
    return mix(h);
}

uint64_t cli_hash_record(uint64_t seed, const rill_record *rec)
{
    uint64_t h = cli_hash(seed, rec->data, rec->len);
    if (rec->key)
        h = cli_hash(h ^ 0x5bd1e995ULL, rec->key, rec->key_len);
    return h;
}

/* ---- options ---- */

int cli_opt_delim(const cli_opts *o, const char *key, char *out)
{
    const char *s;
    int rc = cli_opt_str(o, key, &s);
    if (rc != 0)
        return rc;
    if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0)
        *out = '\t';
    else if (strcmp(s, "space") == 0) /* ' ' needs quotes in YAML and on -s */
        *out = ' ';
    else if (strlen(s) == 1)
        *out = s[0];
    else
        return cli_error(o, key, "a separator is one byte, tab or space, not '%s'", s);
    return 0;
}

/* ---- keeping the first k ---- */

static void sift_down(cli_items *a, size_t i, cli_item_cmp_fn cmp, const void *conf)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        cli_item *t;
        if (l < a->n && cmp(a->v[l], a->v[m], conf) > 0)
            m = l;
        if (r < a->n && cmp(a->v[r], a->v[m], conf) > 0)
            m = r;
        if (m == i)
            return;
        t = a->v[i];
        a->v[i] = a->v[m];
        a->v[m] = t;
        i = m;
    }
}

int cli_items_offer(cli_items *a, size_t k, cli_item *it, cli_item_cmp_fn cmp, const void *conf)
{
    size_t i;
    int rc;
    if (it == NULL)
        return RILL_ENOMEM;
    if (a->n >= k) { /* full: it replaces the root (the last kept) if it comes first */
        if (cmp(it, a->v[0], conf) >= 0) {
            free(it);
            return 0;
        }
        free(a->v[0]);
        a->v[0] = it;
        sift_down(a, 0, cmp, conf);
        return 0;
    }
    if ((rc = cli_items_push(a, it)) != 0)
        return rc;
    for (i = a->n - 1; i > 0; i = (i - 1) / 2) { /* up while it comes after its parent */
        size_t up = (i - 1) / 2;
        cli_item *t;
        if (cmp(a->v[i], a->v[up], conf) <= 0)
            break;
        t = a->v[i];
        a->v[i] = a->v[up];
        a->v[up] = t;
    }
    return 0;
}

struct sort_ctx {
    cli_item_cmp_fn cmp;
    const void *conf;
};

static int sort_cmp(const void *x, const void *y, void *ctx)
{
    const struct sort_ctx *c = ctx;
    return c->cmp(*(cli_item *const *)x, *(cli_item *const *)y, c->conf);
}

void cli_items_sort(cli_items *a, cli_item_cmp_fn cmp, const void *conf)
{
    struct sort_ctx c = {cmp, conf};
    if (a->n > 1)
        qsort_r(a->v, a->n, sizeof(*a->v), sort_cmp, &c);
}

int cli_item_cmp_record(const cli_item *a, const cli_item *b)
{
    int c;
    if ((a->key == NULL) != (b->key == NULL))
        return a->key == NULL ? -1 : 1;
    if (a->key && (c = cli_bytes_cmp(a->key, a->klen, b->key, b->klen)) != 0)
        return c;
    return cli_bytes_cmp(a->val, a->vlen, b->val, b->vlen);
}
