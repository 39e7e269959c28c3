/* test_compile_prop.c — the property test of incremental compiles (issue
 * 13, item 6): seeded random sequences of changes to 1 to 3 input catalogs
 * over small key domains (8 to 20 keys), compiled by one of the patterns
 * with content-dependent routing (map-group: output keys from the content;
 * direct: from the key; references: reads from the content), asserting
 * after every step that
 *   - the incremental output equals a full compile of the same inputs:
 *     rill_compile_verify finds no key that differs, and a second output
 *     catalog compiled with RILL_JOB_REPROCESS holds the same bytes;
 *   - the run was incremental when it should have been, and full with the
 *     right reason when it should have been (the first run, reprocess, an
 *     empty output, a wrong `since`, a fingerprint that changed);
 *   - an incremental run saw exactly the input keys whose content changed.
 * Steps: put, modify, delete, delete and re-add, revert to an earlier
 * content, an empty version, several versions at once, a right and a wrong
 * `since`, reprocess, a configuration option, a custom hash and a declared
 * code version that change (rill/fingerprint.h), a run again with nothing
 * changed, and kill -9 just before the commit (a forked child; the output
 * must not move and the next run must be right).
 *
 * RILL_PROPTEST_SEQUENCES: how many sequences (200 when unset; `make
 * proptest` runs 1000 more); RILL_PROPTEST_FIRST: the first seed (1);
 * RILL_PROPTEST_SEED: replay that one sequence, printing its steps. A
 * failure prints its seed, its step and the steps before it. */
#include <signal.h>
#include <sys/wait.h>

#define CATALOG_ON_TMPFS 1 /* many commits: their syncs cost nothing there */
#include "catalog_helpers.h"

#define MAX_IN 3
#define MAX_KEYS 20
#define HISTORY 6

/* ---- seeded randomness (splitmix64) ---- */

static uint64_t rng;

static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int below(int n)
{
    return (int)(next_u64() % (uint64_t)n);
}

#include "compile_prop_compilers.h"

/* ---- a sequence's state: the catalogs, and what the test knows ---- */

#ifndef PROP_FINGERPRINTS
#define PROP_FINGERPRINTS 0 /* 1 once rill/fingerprint.h is there */
#endif

typedef char content[40];

typedef struct model {
    content cur[MAX_IN][MAX_KEYS];       /* each input's latest version */
    int has[MAX_IN][MAX_KEYS];
    content hist[MAX_IN][MAX_KEYS][HISTORY]; /* contents a key had */
    int nhist[MAX_IN][MAX_KEYS];
    content last[MAX_IN][MAX_KEYS];      /* what the last commit compiled */
    int last_has[MAX_IN][MAX_KEYS];
    int64_t rec[MAX_IN];                 /* the input versions it compiled */
    int committed;                       /* the incremental output was compiled */
    int out_empty;                       /* ... and holds nothing now */
    char sep_last, salt_last[16];        /* the fingerprints it compiled under */
    int code_last;
} model;

static model m;
static rill_catalog *in[MAX_IN], *inc, *ref;
static int pattern;
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
    static const char *const names[] = {"", "direct", "map-group", "references"};
    fprintf(stderr, "proptest: seed %llu failed at step %d (%s, %d inputs, %d keys, "
            "self_check %g)\n  replay: RILL_PROPTEST_SEED=%llu tests/test_compile_prop\n"
            "  the steps:\n%s\n", (unsigned long long)seed, step, names[pattern], g_nin, g_keys,
            check, (unsigned long long)seed, steps_log);
}

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            print_replay();                                                                  \
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
    snprintf(keyname, sizeof(keyname), "k%02d", k);
    return keyname;
}

static void put(rill_catalog_txn *t, int i, int k, const char *s)
{
    OK(rill_catalog_put(t, key_of(k), 3, s, strlen(s)));
    say(" in%d/%s=\"%s\"", i, key_of(k), s);
    snprintf(m.cur[i][k], sizeof(content), "%s", s);
    m.has[i][k] = 1;
    if (m.nhist[i][k] < HISTORY)
        snprintf(m.hist[i][k][m.nhist[i][k]++], sizeof(content), "%s", s);
}

static void del(rill_catalog_txn *t, int i, int k)
{
    OK(rill_catalog_delete(t, key_of(k), 3));
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
    OK(rill_catalog_commit(&v, t, NULL));
    say(" [in%d v%lld]", i, (long long)v);
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

/* ---- compiles ---- */

#if PROP_FINGERPRINTS
static rill_fingerprints *fingerprints_now(void)
{
    rill_fingerprints *f;
    char code[16];
    OK(rill_fingerprints_new(&f));
    OK(rill_fingerprints_add_option(f, "sep", &g_sep, 1));
    OK(rill_fingerprints_add_custom(f, "salt", g_salt, strlen(g_salt)));
    snprintf(code, sizeof(code), "v%d", g_code);
    OK(rill_fingerprints_set_code_version(f, code));
    return f;
}
#endif

static rill_compile *compile_of(rill_catalog *out, const rill_compile_job *jobs, double chk,
                                rill_fingerprints *f)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    rill_compile *c;
    int i;
    o.pattern = pattern;
    o.keys = pattern == RILL_COMPILE_REFERENCES ? prop_keys_ref : prop_keys_direct;
    o.direct = prop_direct;
    o.map = prop_map;
    o.group = prop_group;
    o.ref = prop_ref;
    o.workers = 2;
    o.self_check = chk;
    o.fingerprints = f;
    OK(rill_compile_new(&c, out, &o, NULL));
    for (i = 0; i < g_nin; i++)
        OK(rill_compile_input(c, in[i], jobs ? &jobs[i] : NULL));
    return c;
}

static void die(void)
{
    raise(SIGKILL);
}

extern void (*rill__catalog_commit_hook)(void);

static int verify_said(const void *key, size_t len, const char *what, void *payload)
{
    (void)payload;
    fprintf(stderr, "  verify: output key %.*s %s\n", (int)len, (const char *)key, what);
    return 0;
}

enum { S_PUT, S_MODIFY, S_DELETE, S_DEL_READD, S_REVERT, S_EMPTY, S_MULTI, S_NOTHING,
       S_RIGHT_SINCE, S_WRONG_SINCE, S_REPROCESS, S_OPTION, S_CUSTOM, S_CODE, S_KILL, S_KINDS };
static const char *const step_names[] = {
    "put", "modify", "delete", "delete and re-add", "revert", "an empty version",
    "several versions", "nothing", "the right since", "a wrong since", "reprocess",
    "an option changed", "a custom hash changed", "the code version changed", "kill -9"};


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
    default:
        if (below(2))
            random_version(i, 1 + below(3));
    }
}

/* One step: its changes, the incremental run (and, for a kill, a run
 * killed first) with the decision expected, the full run and the proof. */
static void one_step(void)
{
    rill_compile_job jobs[MAX_IN];
    rill_fingerprints *f = NULL;
    rill_compile *c;
    rill_compile_report r;
    const char *want = "incremental: from";
    int kind = step == 0 ? S_MULTI : below(S_KINDS), i, k, full, odd = below(g_nin);
    uint64_t changed = 0, present = 0, n = 99;
    char *a, *b;
    size_t parts, log_at = strlen(steps_log);
    for (i = 0; i < g_nin; i++) {
        rill_compile_job j = RILL_COMPILE_JOB_INIT;
        jobs[i] = j;
    }
    say("step %d: %s:", step, step_names[kind]);
    change_inputs(kind);
    switch (kind) {
    case S_OPTION: g_sep = g_sep == ',' ? ';' : ','; break;
    case S_CUSTOM: snprintf(g_salt, sizeof(g_salt), "s%d", below(3)); break;
    case S_CODE: g_code = 1 + below(3); break;
    default: break;
    }
#if PROP_FINGERPRINTS
    f = fingerprints_now();
#else
    g_sep = m.sep_last ? m.sep_last : g_sep; /* no fingerprints yet: nothing changes */
    g_code = m.code_last ? m.code_last : g_code;
    if (m.salt_last[0])
        snprintf(g_salt, sizeof(g_salt), "%s", m.salt_last);
#endif
    if (kind == S_RIGHT_SINCE || kind == S_WRONG_SINCE) {
        int64_t latest;
        OK(rill_catalog_latest(&latest, in[odd]));
        jobs[odd].kind = RILL_JOB_CHANGES;
        jobs[odd].since = m.rec[odd];
        if (kind == S_WRONG_SINCE) /* any other version, the one after or before too */
            while (jobs[odd].since == m.rec[odd])
                jobs[odd].since = below((int)latest + 2);
        say(" Changes(in%d since %lld)", odd, (long long)jobs[odd].since);
    }
    if (kind == S_REPROCESS)
        jobs[odd].kind = RILL_JOB_REPROCESS;
    /* the decision, in the reference's order */
    if (kind == S_REPROCESS)
        want = "is to be reprocessed";
    else if (!m.committed)
        want = "the first run is full";
    else if (m.out_empty)
        want = "is empty";
    else if (kind == S_WRONG_SINCE)
        want = "but the changes asked for start at";
    else if (g_sep != m.sep_last)
        want = PROP_FINGERPRINTS ? "option 'sep' changed" : "?";
    else if (strcmp(g_salt, m.salt_last) != 0)
        want = PROP_FINGERPRINTS ? "custom hash 'salt' changed" : "?";
    else if (g_code != m.code_last)
        want = PROP_FINGERPRINTS ? "declared code version changed" : "?";
    full = strncmp(want, "incremental", 11) != 0;
    for (i = 0; i < g_nin; i++)
        for (k = 0; k < g_keys; k++) {
            present += (uint64_t)m.has[i][k];
            changed += m.has[i][k] != m.last_has[i][k] ||
                       (m.has[i][k] && strcmp(m.cur[i][k], m.last[i][k]) != 0);
        }
    c = compile_of(inc, jobs, check, f);
    if (kind == S_KILL) {
        int64_t before, now;
        pid_t pid;
        int status;
        a = dump_of(inc, NULL);
        OK(rill_catalog_latest(&before, inc));
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
            rill__catalog_commit_hook = die;
            rill_compile_run(NULL, c);
            _exit(3);
        }
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "the child was not killed in the commit (status %#x)", status);
        OK(rill_catalog_latest(&now, inc));
        CHECK(now == before, "the output moved from version %lld to %lld", (long long)before,
              (long long)now);
        b = dump_of(inc, NULL);
        CHECK(strcmp(a, b) == 0, "the output changed:\n%s\nthen\n%s", a, b);
        free(a);
        free(b);
    }
    rc_ = rill_compile_run(&r, c);
    say(" -> %s\n", rc_ == 0 ? r.reason : rill_error_last());
    CHECK(rc_ == 0, "rill_compile_run: %d: %s", rc_, rill_error_last());
    CHECK(r.incremental == !full && strstr(r.reason, want) != NULL,
          "expected a run %s (\"%s\"), got: %s", full ? "in full" : "incremental", want,
          r.reason);
    if (full)
        CHECK(r.inputs_changed == present, "a full run saw %llu input partitions, not %llu",
              (unsigned long long)r.inputs_changed, (unsigned long long)present);
    else
        CHECK(r.inputs_changed == changed, "an incremental run saw %llu changed input "
              "partitions, not %llu", (unsigned long long)r.inputs_changed,
              (unsigned long long)changed);
    if (!full && changed == 0)
        CHECK(r.compiled == 0 && r.written == 0 && r.deleted == 0,
              "nothing changed, yet %llu compiled", (unsigned long long)r.compiled);
    /* proof: verify, and a full compile of the same inputs, byte for byte */
    OK(rill_compile_verify(&n, c, verify_said, NULL));
    CHECK(n == 0, "verify: %llu output keys differ from a full compile", (unsigned long long)n);
    rill_compile_free(c);
    for (i = 0; i < g_nin; i++) {
        jobs[i].kind = RILL_JOB_REPROCESS;
        jobs[i].to = RILL_CATALOG_LATEST;
    }
    c = compile_of(ref, jobs, 0, f);
    OK(rill_compile_run(&r, c));
    CHECK(!r.incremental, "reprocess ran incremental: %s", r.reason);
    rill_compile_free(c);
#if PROP_FINGERPRINTS
    rill_fingerprints_free(f);
#endif
    a = dump_of(inc, &parts);
    b = dump_of(ref, NULL);
    CHECK(strcmp(a, b) == 0, "the incremental output differs from the full one:\n"
          "incremental:\n%sfull:\n%s", a, b);
    free(a);
    free(b);
    /* what the commit compiled */
    m.committed = 1;
    m.out_empty = parts == 0;
    memcpy(m.last, m.cur, sizeof(m.cur));
    memcpy(m.last_has, m.has, sizeof(m.has));
    for (i = 0; i < g_nin; i++)
        OK(rill_catalog_latest(&m.rec[i], in[i]));
    m.sep_last = g_sep;
    m.code_last = g_code;
    snprintf(m.salt_last, sizeof(m.salt_last), "%s", g_salt);
    if (verbose)
        fprintf(stderr, "%s", steps_log + log_at);
}

static void one_sequence(uint64_t s)
{
    int i, steps;
    char name[8];
    memset(&m, 0, sizeof(m));
    steps_log[0] = '\0';
    seed = s;
    rng = s * 0x2545f4914f6cdd1dULL;
    pattern = 1 + below(3);
    g_nin = 1 + below(MAX_IN);
    g_keys = 8 + below(MAX_KEYS - 7);
    check = below(3) * 0.5;
    g_sep = ',';
    g_code = 1;
    snprintf(g_salt, sizeof(g_salt), "s0");
    steps = 8 + below(9);
    CHECK(setup(NULL) == 0, "a scratch folder");
    in_sequence = 1;
    for (i = 0; i < g_nin; i++) {
        snprintf(name, sizeof(name), "in%d", i);
        in[i] = open_cat(name, 0);
    }
    inc = open_cat("incremental", 0);
    ref = open_cat("full", 0);
    for (step = 0; step < steps; step++)
        one_step();
    for (i = 0; i < g_nin; i++)
        rill_catalog_free(in[i]);
    rill_catalog_free(inc);
    rill_catalog_free(ref);
    in_sequence = 0;
    teardown(NULL);
}

static int prop_teardown(void **s)
{
    if (in_sequence) { /* a helper's assert failed inside a sequence */
        print_replay();
        in_sequence = 0;
    }
    return teardown(s);
}

static void random_change_sequences_keep_incremental_equal_to_full(void **s)
{
    const char *one = getenv("RILL_PROPTEST_SEED"), *count = getenv("RILL_PROPTEST_SEQUENCES"),
               *first = getenv("RILL_PROPTEST_FIRST");
    uint64_t n = count ? strtoull(count, NULL, 10) : 200, from = first ? strtoull(first, NULL, 10)
                                                                       : 1, i;
    (void)s;
    teardown(NULL); /* each sequence makes its own scratch folder */
    if (one) {
        verbose = 1;
        one_sequence(strtoull(one, NULL, 10));
        fprintf(stderr, "proptest: seed %s passed\n", one);
    } else {
        for (i = 0; i < n; i++)
            one_sequence(from + i);
        fprintf(stderr, "proptest: %llu sequences passed (seeds %llu to %llu)\n",
                (unsigned long long)n, (unsigned long long)from,
                (unsigned long long)(from + n - 1));
    }
    setup(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(random_change_sequences_keep_incremental_equal_to_full,
                                        setup, prop_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
