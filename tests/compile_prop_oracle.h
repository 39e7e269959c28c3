/* compile_prop_oracle.h — what test_compile_prop.c expects an output to
 * hold, computed without rill's engine: the same compilers
 * (compile_prop_compilers.h, called with no rill_compile_out) run on the
 * model of the inputs (compile_prop_model.h) at the versions compiled, in
 * the canonical orders rill/compile.h promises (direct: input, then key;
 * map-group: input, input key, then emission order), an output key being
 * there only when its function set it. A bug shared by rill's full and
 * incremental runs (an order, a stale key) shows here. */
#ifndef RILL_TESTS_COMPILE_PROP_ORACLE_H
#define RILL_TESTS_COMPILE_PROP_ORACLE_H

static const int64_t *oracle_to; /* the input versions compiled */

static int oracle_read(int input, const void *key, size_t key_len, const void **d, size_t *len)
{
    int k = key_index(key, key_len);
    if (k < 0 || k >= g_keys || !m.at_has[input][oracle_to[input]][k])
        return RILL_ENOTFOUND;
    *d = m.at[input][oracle_to[input]][k];
    *len = strlen(m.at[input][oracle_to[input]][k]);
    return 0;
}

/* An output key and its parts (direct, map-group), then its content. */
typedef struct expected {
    char key[16];
    rill_compile_part parts[64];
    char pkey[64][8], pdata[64][96];
    size_t n;
    int has;
    char data[4096];
    size_t len;
} expected;

static expected *ex;
static size_t nex;

static expected *expected_of(const char *key)
{
    size_t i;
    for (i = 0; i < nex; i++)
        if (strcmp(ex[i].key, key) == 0)
            return &ex[i];
    CHECK(nex < 128, "more output keys than the oracle keeps");
    memset(&ex[nex], 0, sizeof(ex[0]));
    snprintf(ex[nex].key, sizeof(ex[0].key), "%s", key);
    return &ex[nex++];
}

static void add_part(expected *e, int input, const char *key, const char *data, size_t len)
{
    CHECK(e->n < 64, "more parts than the oracle keeps");
    snprintf(e->pkey[e->n], sizeof(e->pkey[0]), "%s", key);
    memcpy(e->pdata[e->n], data, len);
    e->parts[e->n].input = input;
    e->parts[e->n].key = e->pkey[e->n];
    e->parts[e->n].key_len = strlen(key);
    e->parts[e->n].data = e->pdata[e->n];
    e->parts[e->n].len = len;
    e->n++;
}

static void took(expected *e)
{
    e->has = ora.has;
    memcpy(e->data, ora.data, ora.len);
    e->len = ora.len;
    ora.has = 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const expected *)a)->key, ((const expected *)b)->key);
}

/* The input keys of input i at the version compiled, in byte order. */
static int sorted_keys(int i, int *keys)
{
    int k, n = 0, a, b;
    for (k = 0; k < g_keys; k++)
        if (m.at_has[i][oracle_to[i]][k])
            keys[n++] = k;
    for (a = 1; a < n; a++) /* insertion sort by the key's bytes */
        for (b = a; b > 0; b--) {
            char x[8], y[8];
            snprintf(x, sizeof(x), "k%d", keys[b - 1]);
            snprintf(y, sizeof(y), "k%d", keys[b]);
            if (strcmp(x, y) <= 0)
                break;
            k = keys[b], keys[b] = keys[b - 1], keys[b - 1] = k;
        }
    return n;
}

/* What the output holds, as dump_of writes it (caller frees). */
static char *oracle_dump(const int64_t *to)
{
    int i, j, n, keys[MAX_KEYS];
    size_t e, cap = 1, at = 0;
    char *s;
    oracle_to = to;
    nex = 0;
    if (ex == NULL)
        CHECK((ex = malloc(128 * sizeof(*ex))) != NULL, "out of memory");
    memset(&ora, 0, sizeof(ora));
    for (i = 0; i < g_nin; i++) {
        n = sorted_keys(i, keys);
        for (j = 0; j < n; j++) {
            char key[8];
            const char *data = m.at[i][to[i]][keys[j]];
            size_t len = strlen(data);
            int t;
            snprintf(key, sizeof(key), "k%d", keys[j]);
            if (pattern == RILL_COMPILE_MAP_GROUP) {
                rill_compile_part p = {i, key, strlen(key), data, len};
                ora.npairs = 0;
                CHECK(prop_map(NULL, &p, NULL) == 0, "map");
                for (t = 0; t < ora.npairs; t++)
                    add_part(expected_of(ora.pairs[t].k), i, key, ora.pairs[t].v,
                             ora.pairs[t].vl);
            } else if (pattern == RILL_COMPILE_FULL) {
                rill_catalog_entry ce;
                full_ctx f = {NULL, i};
                memset(&ce, 0, sizeof(ce));
                ce.key = key;
                ce.key_len = strlen(key);
                ce.size = len;
                CHECK(full_one(&ce, &f) == 0, "full");
                if (ora.has)
                    took(expected_of(ora.key));
            } else {
                ora.nkeys = 0;
                CHECK((pattern == RILL_COMPILE_DIRECT ? prop_keys_direct
                                                      : prop_keys_ref)(NULL, i, key,
                                                                       strlen(key), NULL) == 0,
                      "keys");
                for (t = 0; t < ora.nkeys; t++)
                    add_part(expected_of(ora.keys[t]), i, key, data, len);
            }
        }
    }
    for (e = 0; e < nex && pattern != RILL_COMPILE_FULL; e++) {
        const char *k = ex[e].key;
        if (pattern == RILL_COMPILE_MAP_GROUP)
            CHECK(prop_group(NULL, k, strlen(k), ex[e].parts, ex[e].n, NULL) == 0, "group");
        else if (pattern == RILL_COMPILE_DIRECT)
            CHECK(prop_direct(NULL, k, strlen(k), ex[e].parts, ex[e].n, NULL) == 0, "direct");
        else
            CHECK(prop_ref(NULL, k, strlen(k), NULL) == 0, "ref");
        took(&ex[e]);
    }
    qsort(ex, nex, sizeof(*ex), by_key);
    for (e = 0; e < nex; e++)
        cap += ex[e].len + 40;
    CHECK((s = malloc(cap)) != NULL, "out of memory");
    s[0] = '\0';
    for (e = 0; e < nex; e++)
        if (ex[e].has) {
            at += (size_t)sprintf(s + at, "%s(%zu)=", ex[e].key, ex[e].len);
            memcpy(s + at, ex[e].data, ex[e].len);
            at += ex[e].len;
            s[at++] = '\n';
            s[at] = '\0';
        }
    return s;
}

#endif
