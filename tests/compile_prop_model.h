/* compile_prop_model.h — the state of one sequence of test_compile_prop.c:
 * its catalogs, what the test knows of every version of every input (the
 * model the expected decisions and changes are computed from), the log of
 * its steps printed with its seed on failure (CHECK, OK), the random input
 * changes it commits (the kinds of step, and the changes of the simple
 * ones), and the outputs as bytes to compare. */
#ifndef RILL_TESTS_COMPILE_PROP_MODEL_H
#define RILL_TESTS_COMPILE_PROP_MODEL_H

/* ---- a sequence's state: the catalogs, and what the test knows ---- */

typedef char content[40];

typedef struct model {
    content cur[MAX_IN][MAX_KEYS];       /* each input's latest version */
    int has[MAX_IN][MAX_KEYS];
    content hist[MAX_IN][MAX_KEYS][HISTORY]; /* contents a key had */
    int nhist[MAX_IN][MAX_KEYS];
    content at[MAX_IN][MAX_VERSIONS][MAX_KEYS]; /* each input's versions */
    unsigned char at_has[MAX_IN][MAX_VERSIONS][MAX_KEYS];
    int64_t rec[MAX_IN];                 /* the input versions it compiled */
    int committed;                       /* the incremental output was compiled */
    int out_empty;                       /* ... and holds nothing now */
    char sep_last, salt_last[16], bcast_last[16]; /* the fingerprints it compiled under */
    int code_last, pattern_last;
    int64_t gc_below[MAX_IN];            /* gc pruned each input's versions up to this */
} model;

static model m;
static rill_catalog *in[MAX_IN], *inc, *ref;
static int pattern;
static size_t inline_max; /* the catalogs' (0: the default) */
static int split_inputs;  /* 1: the odd inputs in a file of their own */
static double check;
static uint64_t seed;
static int step, in_sequence, verbose;
static char steps_log[16384];

static void say(const char *fmt, ...)
{
    size_t n = strlen(steps_log);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(steps_log + n, sizeof(steps_log) - n, fmt, ap);
    va_end(ap);
}

static void print_replay(void)
{
    static const char *const names[] = {"", "direct", "map-group", "references", "full"};
    fprintf(stderr, "proptest: seed %llu failed at step %d (%s, %d inputs, %d keys, "
            "self_check %g)\n  replay: RILL_PROPTEST_SEED=%llu tests/test_compile_prop\n"
            "  the steps:\n%s\n", (unsigned long long)seed, step, names[pattern], g_nin, g_keys,
            check, (unsigned long long)seed, steps_log);
}

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            if (in_sequence)                                                                 \
                print_replay();                                                              \
            fprintf(stderr, "  failed: %s: ", #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fprintf(stderr, "\n");                                                           \
            in_sequence = 0;                                                                 \
            fail();                                                                          \
        }                                                                                    \
    } while (0)
#define OK(call) CHECK((rc_ = (call)) == 0, "%s: %d: %s", #call, rc_, rill_error_last())
static int rc_;

/* ---- input changes ---- */

static void random_content(content s)
{
    int n = below(6), i; /* 0: empty */
    size_t len = 0;
    s[0] = '\0';
    for (i = 0; i < n && len + 4 < sizeof(content); i++)
        len += (size_t)snprintf(s + len, sizeof(content) - len, "%s%d", i ? "." : "",
                                below(2 * g_keys));
}

static char keyname[16];
static const char *key_of(int k)
{
    snprintf(keyname, sizeof(keyname), "k%d", k);
    return keyname;
}

static void put(rill_catalog_txn *t, int i, int k, const char *s)
{
    OK(rill_catalog_put(t, key_of(k), strlen(key_of(k)), s, strlen(s)));
    say(" in%d/%s=\"%s\"", i, key_of(k), s);
    snprintf(m.cur[i][k], sizeof(content), "%s", s);
    m.has[i][k] = 1;
    if (m.nhist[i][k] < HISTORY)
        snprintf(m.hist[i][k][m.nhist[i][k]++], sizeof(content), "%s", s);
}

static void del(rill_catalog_txn *t, int i, int k)
{
    OK(rill_catalog_delete(t, key_of(k), strlen(key_of(k))));
    say(" -in%d/%s", i, key_of(k));
    m.has[i][k] = 0;
}

/* A key of input i that is (present 1) or is not (0) there; -1: none. */
static int pick(int i, int present)
{
    int k, n = 0, want;
    for (k = 0; k < g_keys; k++)
        n += m.has[i][k] == present;
    if (n == 0)
        return -1;
    want = below(n);
    for (k = 0; k < g_keys; k++)
        if (m.has[i][k] == present && want-- == 0)
            return k;
    return -1;
}

static rill_catalog_txn *begin(int i)
{
    rill_catalog_txn *t;
    OK(rill_catalog_begin(&t, in[i]));
    return t;
}

static void commit(rill_catalog_txn *t, int i)
{
    int64_t v;
    int k;
    OK(rill_catalog_commit(&v, t, NULL));
    say(" [in%d v%lld]", i, (long long)v);
    CHECK(v < MAX_VERSIONS, "more versions than the test keeps");
    memcpy(m.at[i][v], m.cur[i], sizeof(m.cur[i]));
    for (k = 0; k < g_keys; k++)
        m.at_has[i][v][k] = (unsigned char)m.has[i][k];
}

/* One random put, modify or delete in t (of input i). */
static void random_op(rill_catalog_txn *t, int i, int *touched)
{
    int k, kind = below(3);
    content s;
    if (kind == 2 && (k = pick(i, 1)) >= 0 && !touched[k]) {
        del(t, i, k);
        touched[k] = 1;
        return;
    }
    k = kind == 0 ? pick(i, 0) : pick(i, 1);
    if (k < 0)
        k = below(g_keys);
    if (touched[k])
        return;
    touched[k] = 1;
    random_content(s);
    put(t, i, k, s);
}

/* A version of input i with n random operations. */
static void random_version(int i, int n)
{
    rill_catalog_txn *t = begin(i);
    int touched[MAX_KEYS] = {0};
    while (n-- > 0)
        random_op(t, i, touched);
    commit(t, i);
}

static void put_one(int i, int k, const char *s)
{
    rill_catalog_txn *t = begin(i);
    put(t, i, k, s);
    commit(t, i);
}

static void del_one(int i, int k)
{
    rill_catalog_txn *t = begin(i);
    del(t, i, k);
    commit(t, i);
}

/* ---- outputs ---- */

typedef struct dump {
    char *s;
    size_t n, cap;
    rill_catalog *c;
} dump;

static int dump_one(const rill_catalog_entry *e, void *payload)
{
    dump *d = payload;
    void *data;
    size_t len, need;
    if (rill_catalog_get(&data, &len, d->c, RILL_CATALOG_LATEST, e->key, e->key_len) != 0)
        return 1;
    need = e->key_len + len + 32;
    if (d->cap - d->n < need) {
        d->cap = (d->cap + need) * 2;
        d->s = realloc(d->s, d->cap);
        if (d->s == NULL)
            return 1;
    }
    d->n += (size_t)sprintf(d->s + d->n, "%.*s(%zu)=", (int)e->key_len, (const char *)e->key,
                            len);
    memcpy(d->s + d->n, data, len);
    d->n += len;
    d->s[d->n++] = '\n';
    d->s[d->n] = '\0';
    free(data);
    return 0;
}

/* The latest version's partitions, "key(len)=data" a line each (free it). */
static char *dump_of(rill_catalog *c, size_t *parts)
{
    dump d = {NULL, 0, 0, c};
    size_t i;
    OK(rill_catalog_list(c, RILL_CATALOG_LATEST, dump_one, &d));
    if (d.s == NULL) {
        d.s = calloc(1, 1);
        CHECK(d.s != NULL, "out of memory");
    }
    if (parts)
        for (*parts = 0, i = 0; i < d.n; i++)
            *parts += d.s[i] == '\n';
    return d.s;
}

/* ---- the kinds of step, and the input changes of the simple ones ---- */

enum { S_PUT, S_MODIFY, S_DELETE, S_DEL_READD, S_REVERT, S_EMPTY, S_MULTI, S_NOTHING,
       S_RIGHT_SINCE, S_WRONG_SINCE, S_REPROCESS, S_OPTION, S_CUSTOM, S_CODE, S_KILL, S_GC,
       S_NO_CHANGES, S_TO, S_BY_HAND, S_BROADCAST, S_FAIL, S_PATTERN, S_INPUTS, S_KINDS };
static const char *const step_names[] = {
    "put", "modify", "delete", "delete and re-add", "revert", "an empty version",
    "several versions", "nothing", "the right since", "a wrong since", "reprocess",
    "an option changed", "a custom hash changed", "the code version changed", "kill -9",
    "gc of an input's history", "NoChanges", "another version than the latest",
    "the output written by hand", "a broadcast changed", "a compiler fails first",
    "the pattern changed", "an input added or dropped"};


/* The input changes of a step of kind (every kind changes something at
 * random half the time, so that a full run has work to do too). */
static void change_inputs(int kind)
{
    int i = below(g_nin), k;
    content s;
    switch (kind) {
    case S_PUT:
    case S_MODIFY:
    case S_DELETE:
        k = pick(i, kind != S_PUT);
        if (k < 0)
            k = kind == S_PUT ? -1 : pick(i, 0);
        if (k < 0) {
            random_version(i, 1);
        } else if (kind == S_DELETE && m.has[i][k]) {
            del_one(i, k);
        } else {
            random_content(s);
            put_one(i, k, s);
        }
        break;
    case S_DEL_READD:
        if ((k = pick(i, 1)) < 0) {
            random_version(i, 2);
            break;
        }
        snprintf(s, sizeof(s), "%s", m.cur[i][k]);
        del_one(i, k);
        if (below(2))
            random_content(s);
        put_one(i, k, s);
        break;
    case S_REVERT:
        k = below(g_keys);
        if (m.nhist[i][k] == 0) {
            random_version(i, 2);
            break;
        }
        snprintf(s, sizeof(s), "%s", m.hist[i][k][below(m.nhist[i][k])]);
        put_one(i, k, s);
        break;
    case S_EMPTY:
        commit(begin(i), i);
        break;
    case S_MULTI:
        if (step == 0) { /* the first versions: half the keys of each input or so */
            for (i = 0; i < g_nin; i++)
                random_version(i, g_keys / 4 + below(g_keys / 2));
            break;
        }
        random_version(i, 1 + below(4));
        random_version(below(g_nin), 1 + below(4));
        break;
    case S_NOTHING:
        break;
    case S_GC: { /* changes, then the version compiled last pruned */
        rill_catalog_gc_options o = RILL_CATALOG_GC_OPTIONS_INIT;
        random_version(i, 1 + below(3));
        o.keep = 1 + below(2);
        OK(rill_catalog_gc(NULL, in[i], &o));
        {
            int64_t latest;
            OK(rill_catalog_latest(&latest, in[i]));
            if (latest - o.keep > m.gc_below[i]) /* pruned stays pruned */
                m.gc_below[i] = latest - o.keep;
        }
        say(" gc in%d keep %lld", i, (long long)o.keep);
        if (below(3) == 0) { /* and the output's history: its latest stays */
            o.keep = 1;
            OK(rill_catalog_gc(NULL, inc, &o));
            say(" gc of the output keep 1");
        }
        break;
    }
    default:
        if (below(2))
            random_version(i, 1 + below(3));
    }
}

#endif
