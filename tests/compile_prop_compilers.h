/* compile_prop_compilers.h — the compilers of test_compile_prop.c, one
 * per pattern, with content-dependent routing over keys k00..k19, and the
 * globals they read besides their inputs (an option, a custom hash's
 * content, a code version), which the test declares in the fingerprints.
 * Each output holds the input keys, inputs and values it was made from,
 * in the order given, so that a wrong order or a missing part shows. */
#ifndef RILL_TESTS_COMPILE_PROP_COMPILERS_H
#define RILL_TESTS_COMPILE_PROP_COMPILERS_H

/* ---- what the compilers read besides their inputs: changed only between
 * runs, and declared in the fingerprints (option, custom hash, code) ---- */

static int g_keys = 8, g_nin = 1;
static char g_sep = ',';      /* the option "sep" */
static char g_salt[16] = "s0"; /* the custom hash "salt" */
static int g_code = 1;        /* the declared code version: it changes routing */
static char g_bcast[16] = "b0"; /* the broadcast input "table" */
static int g_fail;            /* 1: the output functions fail; 2: map and keys */

/* k7 or k17 (input keys: one a prefix of others), r7 (a references
 * output): 7, 17. */
static int key_index(const void *key, size_t len)
{
    const char *k = key;
    size_t i;
    int v = 0;
    if (len < 2 || len > 3 || (k[0] != 'k' && k[0] != 'r'))
        return -1;
    for (i = 1; i < len; i++)
        v = v * 10 + (k[i] - '0');
    return v;
}

/* The numbers of a content "3.17.4" (at most 8). */
static int tokens(const void *data, size_t len, int *t)
{
    const char *p = data, *end = p + len;
    int n = 0;
    while (p < end && n < 8) {
        int v = 0;
        while (p < end && *p >= '0' && *p <= '9')
            v = v * 10 + (*p++ - '0');
        t[n++] = v;
        if (p < end)
            p++; /* '.' */
    }
    return n;
}

typedef struct sbuf {
    char s[4096];
    size_t n;
} sbuf;

static void add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->n = b->n + (size_t)n < sizeof(b->s) ? b->n + (size_t)n : sizeof(b->s) - 1;
}

/* What the compilers call: rill's functions, or (out NULL) the test's
 * own answer (compile_prop_oracle.h), which runs the same compilers on the
 * model of the inputs without rill's engine. */
typedef struct oracle_sink {
    char keys[4][16];               /* rill_compile_key */
    int nkeys;
    struct {
        char k[16], v[96];
        size_t vl;
    } pairs[8];                     /* rill_compile_pair */
    int npairs;
    int has;                        /* rill_compile_set, or rill_compile_put */
    char key[16], data[4096];
    size_t len;
} oracle_sink;
static oracle_sink ora;
/* The model's input key at the version the oracle compiles: 0, or
 * RILL_ENOTFOUND. */
static int oracle_read(int input, const void *key, size_t key_len, const void **d, size_t *len);

static int o_key(rill_compile_out *out, const char *k)
{
    if (out)
        return rill_compile_key(out, k, strlen(k));
    snprintf(ora.keys[ora.nkeys++], sizeof(ora.keys[0]), "%s", k);
    return 0;
}

static int o_pair(rill_compile_out *out, const char *k, const char *v, size_t vl)
{
    if (out)
        return rill_compile_pair(out, k, strlen(k), v, vl);
    snprintf(ora.pairs[ora.npairs].k, sizeof(ora.pairs[0].k), "%s", k);
    memcpy(ora.pairs[ora.npairs].v, v, vl);
    ora.pairs[ora.npairs++].vl = vl;
    return 0;
}

static int o_set(rill_compile_out *out, const char *key, const void *data, size_t len)
{
    if (out)
        return key ? rill_compile_put(out, key, strlen(key), data, len)
                   : rill_compile_set(out, data, len);
    ora.has = 1;
    snprintf(ora.key, sizeof(ora.key), "%s", key ? key : "");
    memcpy(ora.data, data, len);
    ora.len = len;
    return 0;
}

static int o_read(const void **d, size_t *len, rill_compile_out *out, int input, const void *key,
                  size_t key_len)
{
    if (out)
        return rill_compile_read(d, len, out, input, key, key_len);
    return oracle_read(input, key, key_len, d, len);
}

static int o_broadcast(const void **d, size_t *len, rill_compile_out *out)
{
    if (out)
        return rill_compile_broadcast(d, len, out, "table");
    *d = g_bcast;
    *len = strlen(g_bcast);
    return 0;
}

/* Appends the broadcast "table" (rill_compile_broadcast) to b; -1: failed. */
static int add_broadcast(sbuf *b, rill_compile_out *out)
{
    const void *d;
    size_t len;
    if (o_broadcast(&d, &len, out) != 0)
        return -1;
    add(b, "@%.*s", (int)len, (const char *)d);
    return 0;
}

/* map-group: each number t of a content goes to word w<(t + code) % 6>,
 * with its input, key, position and itself; the group joins them in the
 * order given (an output of one value that is a multiple of 5 holds
 * nothing). */
static int prop_map(rill_compile_out *out, const rill_compile_part *in, void *payload)
{
    int t[8], n = tokens(in->data, in->len, t), p;
    (void)payload;
    if (g_fail == 2)
        return -1;
    for (p = 0; p < n; p++) {
        char k[16], v[64];
        const void *bc;
        size_t bl;
        int vl;
        if (o_broadcast(&bc, &bl, out) != 0)
            return -1;
        vl = snprintf(v, sizeof(v), "%d:%.*s:%d:%d@%.*s", in->input, (int)in->key_len,
                      (const char *)in->key, p, t[p], (int)bl, (const char *)bc);
        snprintf(k, sizeof(k), "w%d", (t[p] + g_code) % 6);
        if (o_pair(out, k, v, (size_t)vl) != 0)
            return -1;
    }
    return 0;
}

static int prop_group(rill_compile_out *out, const void *key, size_t key_len,
                      const rill_compile_part *v, size_t n, void *payload)
{
    sbuf b;
    size_t i;
    (void)payload;
    b.n = 0;
    b.s[0] = '\0';
    if (g_fail == 1)
        return -1;
    if (n == 1 && v[0].len > 0 && ((const char *)v[0].data)[v[0].len - 1] % 5 == 0)
        return 0; /* a single value ending in 2 or 7 ('2' is 50, '7' 55) holds nothing */
    add(&b, "%.*s|", (int)key_len, (const char *)key);
    for (i = 0; i < n; i++)
        add(&b, "%s%d/%.*s=%.*s", i ? (char[]){g_sep, 0} : "", v[i].input, (int)v[i].key_len,
            (const char *)v[i].key, (int)v[i].len, (const char *)v[i].data);
    add(&b, "|%s", g_salt);
    if (add_broadcast(&b, out) < 0)
        return -1;
    return o_set(out, NULL, b.s, b.n);
}

/* direct: key k of input i goes to o<k % 5>, and when (k + i) % 3 == 0 also
 * to o<5 + (k * code + i) % 4>; keys with k % 7 == 6 go nowhere. An output
 * whose inputs are all empty holds nothing. */
static int prop_keys_direct(rill_compile_out *out, int input, const void *key, size_t len,
                            void *payload)
{
    int k = key_index(key, len);
    char o[16];
    (void)payload;
    if (g_fail == 2)
        return -1;
    if (k < 0 || k % 7 == 6)
        return 0;
    snprintf(o, sizeof(o), "o%d", k % 5);
    if (o_key(out, o) != 0)
        return -1;
    if ((k + input) % 3 == 0) {
        snprintf(o, sizeof(o), "o%d", 5 + (k * g_code + input) % 4);
        return o_key(out, o);
    }
    return 0;
}

static int prop_direct(rill_compile_out *out, const void *key, size_t key_len,
                       const rill_compile_part *in, size_t n, void *payload)
{
    sbuf b;
    size_t i, bytes = 0;
    (void)payload;
    if (g_fail == 1)
        return -1;
    b.n = 0;
    b.s[0] = '\0';
    for (i = 0; i < n; i++)
        bytes += in[i].len;
    if (bytes == 0)
        return 0;
    add(&b, "%.*s|", (int)key_len, (const char *)key);
    for (i = 0; i < n; i++)
        add(&b, "%s%d/%.*s=%.*s", i ? (char[]){g_sep, 0} : "", in[i].input, (int)in[i].key_len,
            (const char *)in[i].key, (int)in[i].len, (const char *)in[i].data);
    add(&b, "|%s", g_salt);
    if (add_broadcast(&b, out) < 0)
        return -1;
    return o_set(out, NULL, b.s, b.n);
}

/* references: key k (k % 4 != 3) names r<k>, which reads k in every input,
 * then for the first two numbers t of each content found the key t of
 * input (t + code) % inputs, and from that the key of its first number in
 * input 0: reads chosen by the content, missing ones included. */
static int prop_keys_ref(rill_compile_out *out, int input, const void *key, size_t len,
                         void *payload)
{
    int k = key_index(key, len);
    char o[16];
    (void)input, (void)payload;
    if (g_fail == 2)
        return -1;
    if (k < 0 || k % 4 == 3)
        return 0;
    snprintf(o, sizeof(o), "r%d", k);
    return o_key(out, o);
}

static int read_into(sbuf *b, rill_compile_out *out, int input, int k, int *t, int *n)
{
    char key[16];
    const void *d;
    size_t len;
    int rc;
    snprintf(key, sizeof(key), "k%d", k % g_keys);
    rc = o_read(&d, &len, out, input, key, strlen(key));
    *n = 0;
    if (rc == RILL_ENOTFOUND) {
        add(b, "%d/%s:-;", input, key);
        return 0;
    }
    if (rc != 0)
        return -1;
    add(b, "%d/%s=%.*s;", input, key, (int)len, (const char *)d);
    if (t)
        *n = tokens(d, len, t);
    return 1;
}

static int prop_ref(rill_compile_out *out, const void *key, size_t key_len, void *payload)
{
    sbuf b;
    int i, found = 0;
    (void)payload;
    if (g_fail == 1)
        return -1;
    b.n = 0;
    b.s[0] = '\0';
    add(&b, "%.*s|", (int)key_len, (const char *)key);
    for (i = 0; i < g_nin; i++) {
        int t[8], n, j, rc;
        if ((rc = read_into(&b, out, i, key_index(key, key_len), t, &n)) < 0)
            return -1;
        found += rc;
        for (j = 0; j < n && j < 2; j++) {
            int u[8], m, none;
            if ((rc = read_into(&b, out, (t[j] + g_code) % g_nin, t[j], u, &m)) < 0)
                return -1;
            if (rc && m > 0 && read_into(&b, out, 0, u[0], NULL, &none) < 0)
                return -1;
        }
    }
    if (found == 0)
        return 0;
    add(&b, "%c%s", g_sep, g_salt);
    if (add_broadcast(&b, out) < 0)
        return -1;
    return o_set(out, NULL, b.s, b.n);
}

/* full (non-incremental): every input partition k of input i that is
 * not empty as output f<i>k, its numbers' keys read from input 0. */
typedef struct full_ctx {
    rill_compile_out *out;
    int input;
} full_ctx;

static int full_one(const rill_catalog_entry *e, void *payload)
{
    full_ctx *f = payload;
    const void *d;
    size_t len;
    sbuf b;
    char key[16];
    int t[8], n, j, none;
    if (e->size == 0)
        return 0;
    if (o_read(&d, &len, f->out, f->input, e->key, e->key_len) != 0)
        return -1;
    b.n = 0;
    b.s[0] = '\0';
    add(&b, "%.*s%c", (int)len, (const char *)d, g_sep);
    n = tokens(d, len, t); /* d is held until full returns */
    for (j = 0; j < n; j++)
        if (read_into(&b, f->out, 0, t[j], NULL, &none) < 0)
            return -1;
    add(&b, "|%s", g_salt);
    if (add_broadcast(&b, f->out) < 0)
        return -1;
    snprintf(key, sizeof(key), "f%d%.*s", f->input, (int)e->key_len, (const char *)e->key);
    return o_set(f->out, key, b.s, b.n);
}

static int prop_full(rill_compile_out *out, void *payload)
{
    full_ctx f;
    (void)payload;
    if (g_fail)
        return -1;
    f.out = out;
    for (f.input = 0; f.input < g_nin; f.input++)
        if (rill_compile_list(out, f.input, full_one, &f) != 0)
            return -1;
    return 0;
}

#endif
