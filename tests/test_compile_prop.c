/* test_compile_prop.c — the property test of incremental compiles (issue
 * 13, item 6): seeded random sequences of changes to 1 to 3 input catalogs
 * over small key domains (8 to 20 keys), compiled by one of the patterns
 * with content-dependent routing (compile_prop_compilers.h: map-group:
 * output keys from the content; direct: from the key; references: reads
 * from the content; and the non-incremental one), asserting after every
 * step that
 *   - the incremental output equals a full compile of the same inputs:
 *     rill_compile_verify finds no key that differs, and a second output
 *     catalog compiled with RILL_JOB_REPROCESS holds the same bytes;
 *   - both equal what the same compilers make of the model of the inputs
 *     without rill's engine (compile_prop_oracle.h: the canonical orders,
 *     no stale key), which catches what full and incremental runs would
 *     get wrong alike;
 *   - the run was incremental when it should have been, and full with the
 *     right reason when it should have been (the first run, reprocess, the
 *     output written by hand or empty, other inputs, a wrong `since` or
 *     NoChanges, a version before the one compiled last or pruned by gc,
 *     another pattern, a fingerprint that changed), and rill_compile_why
 *     says so beforehand;
 *   - an incremental run saw exactly the input keys whose content changed
 *     (compile_prop_model.h keeps every version of every input).
 * Steps: put, modify, delete, delete and re-add, revert to an earlier
 * content, an empty version, several versions at once, a right and a wrong
 * `since`, NoChanges, a version other than the latest, reprocess, gc, the
 * output written by hand, the pattern changed, an input added or dropped,
 * a configuration option, a custom hash, the
 * declared code version and a broadcast input changed (or set to what they
 * were), a run again with nothing changed, a compiler that fails (the
 * error names it once; nothing is committed), and kill -9 just before the
 * commit (a forked child; the output must not move and the next run must
 * be right). Inputs and outputs are in one file or several, inline or in
 * payload files.
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
#define MAX_VERSIONS 64

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

#include "compile_prop_model.h"
#include "compile_prop_oracle.h"

/* ---- compiles ---- */

/* The fingerprints of the globals the compilers read, in a random order
 * (they are order-free), with an option that never changes. */
static rill_fingerprints *fingerprints_now(void)
{
    rill_fingerprints *f;
    char code[16];
    int order = below(2);
    OK(rill_fingerprints_new(&f));
    if (order)
        OK(rill_fingerprints_add_option(f, "width", "80", 2));
    OK(rill_fingerprints_add_option(f, "sep", &g_sep, 1));
    if (!order)
        OK(rill_fingerprints_add_option(f, "width", "80", 2));
    OK(rill_fingerprints_add_broadcast(f, "table", g_bcast, strlen(g_bcast), 1));
    OK(rill_fingerprints_add_custom(f, "salt", g_salt, strlen(g_salt)));
    snprintf(code, sizeof(code), "v%d", g_code);
    OK(rill_fingerprints_set_code_version(f, code));
    return f;
}

static int workers = 2; /* the runs' (1 or 2 per sequence) */

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
    o.full = prop_full;
    o.workers = workers;
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

/* Input i: in the scratch folder's cat.db, or (odd inputs in half the
 * sequences) in another file. */
static rill_catalog *open_input(int i)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *c;
    char path[400], name[8];
    snprintf(path, sizeof(path), "%s/%s", dir, split_inputs && i % 2 ? "odd.db" : "cat.db");
    snprintf(name, sizeof(name), "in%d", i);
    o.path = path;
    o.inline_max = inline_max;
    OK(rill_catalog_open(&c, name, &o));
    return c;
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
    int pruned = 0, wrong_nc = 0, back = 0, by_hand = 0, failed = 0, inputs = 0;
    int64_t to[MAX_IN] = {0};
    char *a, *b;
    size_t parts, log_at = strlen(steps_log);
    for (i = 0; i < MAX_IN; i++) { /* (an input may be added) */
        rill_compile_job j = RILL_COMPILE_JOB_INIT;
        jobs[i] = j;
    }
    say("step %d: %s:", step, step_names[kind]);
    if (kind == S_NO_CHANGES) { /* NoChanges(odd): right, or wrong after a change to it */
        int64_t latest;
        wrong_nc = below(2);
        if (g_nin > 1 && below(2))
            random_version((odd + 1 + below(g_nin - 1)) % g_nin, 1 + below(3));
        if (wrong_nc)
            random_version(odd, 1 + below(3));
        jobs[odd].kind = RILL_JOB_NO_CHANGES;
        OK(rill_catalog_latest(&latest, in[odd]));
        jobs[odd].to = wrong_nc || (latest == m.rec[odd] && below(2)) ? RILL_CATALOG_LATEST
                                                                      : m.rec[odd];
        say(" NoChanges(in%d at %lld)", odd, (long long)jobs[odd].to);
    } else if (kind == S_TO) { /* a version between, or before the one compiled last */
        int64_t latest;
        back = m.rec[odd] > 0 && below(2);
        if (!back) {
            random_version(odd, 1 + below(3));
            random_version(odd, 1 + below(3));
        }
        OK(rill_catalog_latest(&latest, in[odd]));
        jobs[odd].to = latest - 1;
        if (back) { /* one still there: after what gc pruned, or 0 */
            int64_t lo = m.gc_below[odd] + 1;
            jobs[odd].to = lo < m.rec[odd] && below(4) ? lo + below((int)(m.rec[odd] - lo)) : 0;
        } else if (below(2)) {
            jobs[odd].kind = RILL_JOB_CHANGES;
            jobs[odd].since = m.rec[odd];
        }
        say(" in%d to %lld", odd, (long long)jobs[odd].to);
    } else if (kind == S_PATTERN) { /* (or the same) */
        pattern = below(8) == 0 ? RILL_COMPILE_FULL : 1 + below(3);
        say(" pattern %d", pattern);
        change_inputs(below(S_NOTHING + 1));
    } else if (kind == S_INPUTS) { /* the last input dropped, or one added */
        inputs = 1;
        if (g_nin == MAX_IN || (g_nin > 1 && below(2))) {
            g_nin--;
            say(" in%d dropped", g_nin);
        } else {
            char name[16];
            snprintf(name, sizeof(name), "in%d", g_nin);
            if (in[g_nin] == NULL) /* else it comes back as it was */
                in[g_nin] = open_input(g_nin);
            m.rec[g_nin] = 0; /* (the run is full: what it compiled before is not read) */
            say(" in%d added", g_nin++);
            if (below(2))
                random_version(g_nin - 1, 1 + below(4));
        }
    } else if (kind == S_BY_HAND) { /* a key put, changed or deleted in the output */
        rill_catalog_txn *t;
        char key[16];
        OK(rill_catalog_begin(&t, inc));
        if (pattern == RILL_COMPILE_REFERENCES)
            snprintf(key, sizeof(key), "r%d", below(g_keys));
        else if (pattern == RILL_COMPILE_FULL)
            snprintf(key, sizeof(key), "f0k%d", below(g_keys));
        else
            snprintf(key, sizeof(key), "%c%d", pattern == RILL_COMPILE_DIRECT ? 'o' : 'w',
                     below(9));
        if (rill_catalog_delete(t, key, strlen(key)) == RILL_ENOTFOUND || below(2))
            OK(rill_catalog_put(t, key, strlen(key), "by hand", 7));
        OK(rill_catalog_commit(NULL, t, NULL));
        say(" output %s by hand", key);
        by_hand = 1;
        change_inputs(below(S_NOTHING + 1));
    } else
        change_inputs(kind);
    for (i = 0; i < g_nin; i++) /* what gc pruned: versions before the last keep */
        pruned |= m.committed && m.rec[i] > 0 && m.rec[i] <= m.gc_below[i];
    switch (kind) {
    case S_OPTION: g_sep = ",;:"[below(3)]; break; /* the same too: no change */
    case S_CUSTOM: snprintf(g_salt, sizeof(g_salt), "s%d", below(3)); break;
    case S_CODE: g_code = 1 + below(3); break;
    case S_BROADCAST: snprintf(g_bcast, sizeof(g_bcast), "b%d", below(3)); break;
    default: break;
    }
    if ((kind >= S_OPTION && kind <= S_CODE) || kind == S_BROADCAST)
        say(" sep '%c' salt %s code v%d table %s", g_sep, g_salt, g_code, g_bcast);
    f = fingerprints_now();
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
    else if (pattern == RILL_COMPILE_FULL)
        want = "the compile is non-incremental";
    else if (!m.committed)
        want = "the first run is full";
    else if (by_hand)
        want = "it was written since";
    else if (m.out_empty)
        want = "is empty";
    else if (inputs)
        want = "the inputs are not those the last commit compiled";
    else if (kind == S_WRONG_SINCE)
        want = "but the changes asked for start at";
    else if (wrong_nc)
        want = "is said to have no changes at version";
    else if (back)
        want = "before version";
    else if (pruned)
        want = "which garbage collection pruned";
    else if (pattern != m.pattern_last)
        want = "the compile's pattern changed from";
    else if (g_sep != m.sep_last)
        want = "option 'sep' changed";
    else if (strcmp(g_salt, m.salt_last) != 0)
        want = "custom hash 'salt' changed";
    else if (g_code != m.code_last)
        want = "declared code version changed";
    else if (strcmp(g_bcast, m.bcast_last) != 0)
        want = "broadcast 'table' changed";
    full = strncmp(want, "incremental", 11) != 0;
    for (i = 0; i < g_nin; i++) { /* the versions compiled, and their changes */
        OK(rill_catalog_latest(&to[i], in[i]));
        if (jobs[i].to != RILL_CATALOG_LATEST)
            to[i] = jobs[i].to;
        for (k = 0; k < g_keys; k++) {
            int now = m.at_has[i][to[i]][k], then = m.at_has[i][m.rec[i]][k];
            present += (uint64_t)now;
            changed += now != then ||
                       (now && strcmp(m.at[i][to[i]][k], m.at[i][m.rec[i]][k]) != 0);
        }
    }
    c = compile_of(inc, jobs, check, f);
    {
        char why[2048], *now;
        OK(rill_compile_why(why, sizeof(why), c));
        now = strstr(why, "now: ");
        CHECK(now && strstr(now, want) && (strncmp(now + 5, "full", 4) == 0) == full,
              "rill_compile_why expected %s (\"%s\"): %s", full ? "in full" : "incremental",
              want, why);
    }
    if (kind == S_FAIL) { /* a run that fails commits nothing, and the next is right */
        int64_t before, now;
        a = dump_of(inc, NULL);
        OK(rill_catalog_latest(&before, inc));
        g_fail = 1 + below(2);
        rc_ = rill_compile_run(&r, c);
        g_fail = 0;
        say(" -> failing: %s;", rc_ ? rill_error_last() : "nothing called");
        if ((failed = rc_ != 0)) {
            const char *e = rill_error_last(), *once = strstr(e, "compile of 'incremental': ");
            CHECK(rc_ == RILL_EUSER, "a failing compiler: %d: %s", rc_, e);
            CHECK(once && strstr(once + 1, "compile of") == NULL &&
                      (pattern == RILL_COMPILE_FULL ? strstr(e, "full failed") != NULL
                                                    : strstr(e, "failed on") != NULL &&
                                                          e[strlen(e) - 1] == '"'),
                  "the error does not say once which function failed on which key: %s", e);
            OK(rill_catalog_latest(&now, inc));
            CHECK(now == before, "a failed run moved the output from version %lld to %lld",
                  (long long)before, (long long)now);
            b = dump_of(inc, NULL);
            CHECK(strcmp(a, b) == 0, "a failed run changed the output:\n%s\nthen\n%s", a, b);
            free(b);
        }
        free(a);
    }
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
            if (rill_compile_run(NULL, c) != 0)
                fprintf(stderr, "  the run to be killed failed first: %s\n", rill_error_last());
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
    if (kind != S_FAIL || failed) /* (when nothing failed, that run is the step's) */
        rc_ = rill_compile_run(&r, c);
    say(" -> %s (saw %llu, compiled %llu, wrote %llu, deleted %llu)\n",
        rc_ == 0 ? r.reason : rill_error_last(), (unsigned long long)r.inputs_changed,
        (unsigned long long)r.compiled, (unsigned long long)r.written,
        (unsigned long long)r.deleted);
    CHECK(rc_ == 0, "rill_compile_run: %d: %s", rc_, rill_error_last());
    CHECK(r.incremental == !full && strstr(r.reason, want) != NULL,
          "expected a run %s (\"%s\"), got: %s", full ? "in full" : "incremental", want,
          r.reason);
    if (pattern == RILL_COMPILE_FULL) /* its function reads what it likes */
        ;
    else if (full)
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
        jobs[i].to = to[i];
    }
    c = compile_of(ref, jobs, 0, f);
    OK(rill_compile_run(&r, c));
    CHECK(!r.incremental, "reprocess ran incremental: %s", r.reason);
    rill_compile_free(c);
    rill_fingerprints_free(f);
    a = dump_of(inc, &parts);
    b = dump_of(ref, NULL);
    CHECK(strcmp(a, b) == 0, "the incremental output differs from the full one:\n"
          "incremental:\n%sfull:\n%s", a, b);
    free(b);
    b = oracle_dump(to);
    CHECK(strcmp(a, b) == 0, "the output differs from what the compilers make of the "
          "inputs without rill's engine:\noutput:\n%sexpected:\n%s", a, b);
    free(a);
    free(b);
    /* what the commit compiled */
    m.committed = 1;
    m.out_empty = parts == 0;
    memcpy(m.rec, to, (size_t)g_nin * sizeof(to[0]));
    m.sep_last = g_sep;
    m.code_last = g_code;
    snprintf(m.salt_last, sizeof(m.salt_last), "%s", g_salt);
    snprintf(m.bcast_last, sizeof(m.bcast_last), "%s", g_bcast);
    m.pattern_last = pattern;
    if (verbose)
        fprintf(stderr, "%s", steps_log + log_at);
}

static void one_sequence(uint64_t s)
{
    int i, steps;
    char name[16];
    memset(&m, 0, sizeof(m));
    steps_log[0] = '\0';
    seed = s;
    rng = s * 0x2545f4914f6cdd1dULL;
    pattern = below(8) == 0 ? RILL_COMPILE_FULL : 1 + below(3);
    inline_max = below(2) ? 0 : 24; /* 24: most outputs in payload files */
    split_inputs = below(2);
    workers = 1 + below(2);
    g_nin = 1 + below(MAX_IN);
    g_keys = 8 + below(MAX_KEYS - 7);
    check = below(3) * 0.5;
    g_sep = ',';
    g_code = 1;
    snprintf(g_salt, sizeof(g_salt), "s0");
    snprintf(g_bcast, sizeof(g_bcast), "b0");
    steps = 8 + below(9);
    CHECK(setup(NULL) == 0, "a scratch folder");
    in_sequence = 1;
    for (i = 0; i < g_nin; i++) {
        snprintf(name, sizeof(name), "in%d", i);
        in[i] = open_input(i);
    }
    if (below(2)) { /* the outputs in the inputs' file, or in another */
        inc = open_cat("incremental", inline_max);
        ref = open_cat("full", inline_max);
    } else {
        rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
        char path[400];
        snprintf(path, sizeof(path), "%s/out.db", dir);
        o.path = path;
        o.inline_max = inline_max;
        OK(rill_catalog_open(&inc, "incremental", &o));
        OK(rill_catalog_open(&ref, "full", &o));
        say("(outputs in another file)\n");
    }
    for (step = 0; step < steps; step++)
        one_step();
    for (i = 0; i < MAX_IN; i++) {
        rill_catalog_free(in[i]);
        in[i] = NULL;
    }
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

/* A regression: the version an output compiled last pruned from an input
 * by gc made every later run fail (its diff cannot be read) until a
 * Reprocess; now the run is full, says why, and the next is incremental. */
static void an_input_pruned_past_the_last_compile_runs_in_full(void **s)
{
    rill_catalog_gc_options go = RILL_CATALOG_GC_OPTIONS_INIT;
    rill_catalog_entry e;
    rill_compile_report r;
    rill_compile *c;
    uint64_t n = 99;
    rill_fingerprints *f;
    (void)s;
    pattern = RILL_COMPILE_DIRECT;
    g_nin = 1;
    g_keys = 8;
    in[0] = open_cat("in0", 0);
    inc = open_cat("incremental", 0);
    commit_ops(in[0], "k00=1.2 k01=3", NULL);
    f = fingerprints_now();
    c = compile_of(inc, NULL, 1, f);
    OK(rill_compile_run(&r, c));
    assert_int_equal(rill_catalog_stat(&e, inc, RILL_CATALOG_LATEST, "o1", 2), 0);
    commit_ops(in[0], "-k01", NULL);
    commit_ops(in[0], "k02=5", NULL);
    go.keep = 1;
    OK(rill_catalog_gc(NULL, in[0], &go)); /* versions 1 and 2 pruned */
    OK(rill_compile_run(&r, c));
    assert_false(r.incremental);
    assert_non_null(strstr(r.reason, "input 'in0' was compiled last at version 1, which "
                                     "garbage collection pruned (version 3 is compiled in "
                                     "full)"));
    assert_int_equal(rill_catalog_stat(&e, inc, RILL_CATALOG_LATEST, "o1", 2), RILL_ENOTFOUND);
    OK(rill_compile_verify(&n, c, NULL, NULL));
    assert_int_equal(n, 0);
    commit_ops(in[0], "k01=4", NULL);
    OK(rill_compile_run(&r, c));
    assert_true(r.incremental);
    OK(rill_compile_verify(&n, c, NULL, NULL));
    assert_int_equal(n, 0);
    rill_compile_free(c);
    rill_fingerprints_free(f);
    rill_catalog_free(in[0]);
    in[0] = NULL;
    rill_catalog_free(inc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(random_change_sequences_keep_incremental_equal_to_full,
                                        setup, prop_teardown),
        cmocka_unit_test_setup_teardown(an_input_pruned_past_the_last_compile_runs_in_full,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
