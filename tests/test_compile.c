/* test_compile.c — incremental compiles (rill/compile.h) on real catalog
 * files: the four patterns against answers computed here, after every
 * change, the decision and its reason in each of the reference's cases,
 * verify and the self-check catching a compiler whose external input was
 * not hashed, and a kill just before the commit. */
#include <signal.h>
#include <sys/wait.h>

#include "catalog_helpers.h"

/* ---- map-group: documents ("d1" = "a b a") -> postings ("a" = "d1 d1 d2") ---- */

static int words_of(rill_compile_out *out, const rill_compile_part *in, void *payload)
{
    const char *p = in->data, *end = p + in->len;
    (void)payload;
    while (p < end) {
        const char *w;
        while (p < end && *p == ' ')
            p++;
        for (w = p; p < end && *p != ' '; p++)
            ;
        if (p > w && rill_compile_pair(out, w, (size_t)(p - w), in->key, in->key_len) != 0)
            return -1;
    }
    return 0;
}

static int postings(rill_compile_out *out, const void *key, size_t key_len,
                    const rill_compile_part *values, size_t n, void *payload)
{
    char buf[4096];
    size_t i, len = 0;
    (void)key, (void)key_len, (void)payload;
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.*s", i ? "," : "",
                                (int)values[i].len, (const char *)values[i].data);
    return rill_compile_set(out, buf, len);
}

/* The postings a full compile gives, computed here from "k=v" pairs. */
static const char *expected_postings(rill_catalog *docs)
{
    static char want[8192];
    char words[64][32];
    int nwords = 0, i, j;
    text t;
    memset(&t, 0, sizeof(t));
    t.c = docs;
    t.version = RILL_CATALOG_LATEST;
    assert_int_equal(rill_catalog_list(docs, RILL_CATALOG_LATEST, list_one, &t), 0);
    /* every word of every document, sorted, once */
    {
        char all[8192], *save = NULL, *tok;
        snprintf(all, sizeof(all), "%s", t.s);
        for (tok = strtok_r(all, " =+", &save); tok; tok = strtok_r(NULL, " =+", &save)) {
            if (tok[0] == 'd' && tok[1] >= '0' && tok[1] <= '9')
                continue; /* a document's name */
            for (j = 0; j < nwords && strcmp(words[j], tok) != 0; j++)
                ;
            if (j == nwords)
                snprintf(words[nwords++], 32, "%s", tok);
        }
    }
    qsort(words, (size_t)nwords, 32, (int (*)(const void *, const void *))strcmp);
    want[0] = '\0';
    for (i = 0; i < nwords; i++) { /* its documents in key order, once per occurrence */
        char all[8192], *save = NULL, *doc, line[1024] = "";
        snprintf(all, sizeof(all), "%s", t.s);
        for (doc = strtok_r(all, " ", &save); doc; doc = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(doc, '='), *w, *s2 = NULL;
            *eq = '\0';
            for (w = strtok_r(eq + 1, "+", &s2); w; w = strtok_r(NULL, "+", &s2))
                if (strcmp(w, words[i]) == 0)
                    snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
                             line[0] ? "," : "", doc);
        }
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s=%s",
                 want[0] ? " " : "", words[i], line);
    }
    return want;
}

/* Documents are written "a+b+a" in commit_ops (no spaces there): the map
 * reads '+' as a space. */
static int words_of_plus(rill_compile_out *out, const rill_compile_part *in, void *payload)
{
    char buf[1024];
    rill_compile_part p = *in;
    size_t i;
    assert_true(in->len < sizeof(buf));
    for (i = 0; i < in->len; i++)
        buf[i] = ((const char *)in->data)[i] == '+' ? ' ' : ((const char *)in->data)[i];
    p.data = buf;
    return words_of(out, &p, payload);
}

static rill_compile *postings_compile(rill_catalog *out, rill_catalog *docs, double check)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    rill_compile *c;
    o.pattern = RILL_COMPILE_MAP_GROUP;
    o.map = words_of_plus;
    o.group = postings;
    o.workers = 2;
    o.self_check = check;
    assert_int_equal(rill_compile_new(&c, out, &o, NULL), 0);
    assert_int_equal(rill_compile_input(c, docs, NULL), 0);
    return c;
}

static rill_compile_report run_ok(rill_compile *c)
{
    rill_compile_report r;
    int rc = rill_compile_run(&r, c);
    if (rc != 0)
        fail_msg("rill_compile_run: %d: %s", rc, rill_error_last());
    /* where its time went: every phase ran, and a commit is a synced write */
    assert_true(r.decide_ms > 0 && r.compile_ms > 0 && r.commit_ms > 0);
    return r;
}

static void assert_verified(rill_compile *c)
{
    uint64_t n = 99;
    assert_int_equal(rill_compile_verify(&n, c, NULL, NULL), 0);
    assert_int_equal(n, 0);
}

static void map_group_incremental_equals_full_after_each_change(void **s)
{
    static const char *const steps[] = {
        "d2=b+c+d",            /* a document changed */
        "d4=e+a",              /* added */
        "-d1",                 /* deleted */
        "d1=a+b+a",            /* added back as it was */
        "d3=c",                /* changed back and forth */
        "d3=a+c",              /* ... */
        "d9=zz",               /* a word no other document has */
        "-d9",                 /* gone: its posting is deleted */
    };
    rill_catalog *docs = open_cat("docs", 0), *out = open_cat("postings", 0);
    rill_compile *c;
    rill_compile_report r;
    size_t i;
    (void)s;
    commit_ops(docs, "d1=a+b+a d2=b+c d3=a+c", "three documents");
    c = postings_compile(out, docs, 1.0);
    r = run_ok(c);
    assert_false(r.incremental);
    assert_non_null(strstr(r.reason, "first run is full"));
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), expected_postings(docs));
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "a=d1,d1,d3 b=d1,d2 c=d2,d3");
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        commit_ops(docs, steps[i], NULL);
        r = run_ok(c);
        if (!r.incremental)
            fail_msg("step %zu (%s) ran in full: %s", i, steps[i], r.reason);
        assert_int_equal(r.inputs_changed, 1);
        assert_string_equal(contents(out, RILL_CATALOG_LATEST), expected_postings(docs));
        assert_verified(c);
    }
    /* nothing changed: incremental, nothing compiled, a version all the same */
    r = run_ok(c);
    assert_true(r.incremental);
    assert_int_equal(r.compiled, 0);
    assert_int_equal(r.inputs_changed, 0);
    rill_compile_free(c);
    rill_catalog_free(docs);
    rill_catalog_free(out);
}

/* ---- direct, M:N: "x/1" -> output "x" and "all" ---- */

static int dir_keys(rill_compile_out *out, int input, const void *key, size_t len, void *payload)
{
    const char *slash = memchr(key, '/', len);
    (void)input, (void)payload;
    if (slash && rill_compile_key(out, key, (size_t)(slash - (const char *)key)) != 0)
        return -1;
    return rill_compile_key(out, "all", 3);
}

static int joined(rill_compile_out *out, const void *key, size_t key_len,
                  const rill_compile_part *in, size_t n, void *payload)
{
    char buf[2048];
    size_t i, len = 0;
    (void)key, (void)key_len, (void)payload;
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.*s", i ? "," : "",
                                (int)in[i].len, (const char *)in[i].data);
    return rill_compile_set(out, buf, len);
}

static int last_input(int input, const char *path, const char *name, int64_t version,
                      void *payload)
{
    char *out = payload;
    snprintf(out + strlen(out), 256 - strlen(out), "%d:%s:%s:%lld ", input,
             strcmp(path, db) == 0 ? "db" : path, name, (long long)version);
    return 0;
}

static void the_last_commit_reads_without_the_compile(void **s)
{
    rill_catalog *docs = open_cat("docs", 0), *out = open_cat("postings", 0);
    rill_compile_commit last;
    rill_compile *c;
    char inputs[256] = "";
    (void)s;
    assert_int_equal(rill_compile_last(&last, out, last_input, inputs), 0);
    assert_int_equal(last.version, 0); /* no compile yet */
    assert_null(last.fingerprints);
    commit_ops(docs, "d1=a+b", NULL);
    c = postings_compile(out, docs, 0);
    run_ok(c);
    commit_ops(docs, "d2=c", NULL);
    run_ok(c);
    rill_compile_free(c);
    assert_int_equal(rill_compile_last(&last, out, last_input, inputs), 0);
    assert_int_equal(last.version, 2);
    assert_int_equal(last.pattern, RILL_COMPILE_MAP_GROUP);
    assert_int_equal(last.incremental, 1);
    assert_int_equal(last.inputs, 1);
    assert_string_equal(last.reason, "incremental: from input 'docs' 1 to 2");
    assert_string_equal(inputs, "0:db:docs:2 ");
    assert_true(last.time_ms > 1700000000000LL);
    assert_non_null(last.fingerprints);
    rill_fingerprints_free(last.fingerprints);
    assert_int_equal(rill_compile_last(&last, docs, NULL, NULL), 0); /* not an output */
    assert_int_equal(last.version, 0);
    rill_catalog_free(docs);
    rill_catalog_free(out);
}

static void direct_many_to_many(void **s)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    rill_catalog *in = open_cat("files", 0), *out = open_cat("dirs", 0);
    rill_compile *c;
    rill_compile_report r;
    (void)s;
    o.pattern = RILL_COMPILE_DIRECT;
    o.keys = dir_keys;
    o.direct = joined;
    o.self_check = 0.5;
    commit_ops(in, "x/1=p x/2=q y/1=r", NULL);
    assert_int_equal(rill_compile_new(&c, out, &o, NULL), 0);
    assert_int_equal(rill_compile_input(c, in, NULL), 0);
    run_ok(c);
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "all=p,q,r x=p,q y=r");
    commit_ops(in, "-y/1 x/2=Q", NULL);
    r = run_ok(c);
    assert_true(r.incremental);
    assert_int_equal(r.deleted, 1); /* y lost its only input */
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "all=p,Q x=p,Q");
    assert_verified(c);
    rill_compile_free(c);
    rill_catalog_free(in);
    rill_catalog_free(out);
}

/* ---- references: "k" reads k and the shared "index" ---- */

static int own_key(rill_compile_out *out, int input, const void *key, size_t len, void *payload)
{
    (void)input, (void)payload;
    if (len == 5 && memcmp(key, "index", 5) == 0)
        return 0; /* read by every output, names none */
    return rill_compile_key(out, key, len);
}

static int with_index(rill_compile_out *out, const void *key, size_t key_len, void *payload)
{
    const void *a, *b;
    size_t alen, blen;
    char buf[512];
    int n;
    (void)payload;
    if (rill_compile_read(&a, &alen, out, 0, key, key_len) != 0)
        return -1;
    if (rill_compile_read(&b, &blen, out, 0, "index", 5) == RILL_ENOTFOUND)
        b = "-", blen = 1; /* recorded too: its coming is a change */
    n = snprintf(buf, sizeof(buf), "%.*s@%.*s", (int)alen, (const char *)a, (int)blen,
                 (const char *)b);
    return rill_compile_set(out, buf, (size_t)n);
}

static void references_follow_what_was_read(void **s)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    rill_catalog *in = open_cat("pages", 0), *out = open_cat("rendered", 0);
    rill_compile *c;
    rill_compile_report r;
    (void)s;
    o.pattern = RILL_COMPILE_REFERENCES;
    o.keys = own_key;
    o.ref = with_index;
    o.self_check = 1;
    commit_ops(in, "p1=x p2=y", NULL);
    assert_int_equal(rill_compile_new(&c, out, &o, NULL), 0);
    assert_int_equal(rill_compile_input(c, in, NULL), 0);
    run_ok(c);
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "p1=x@- p2=y@-");
    commit_ops(in, "index=v1", NULL); /* read (as missing) by every output */
    r = run_ok(c);
    assert_true(r.incremental);
    assert_int_equal(r.compiled, 2);
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "p1=x@v1 p2=y@v1");
    commit_ops(in, "p2=Y", NULL); /* only p2 read it */
    r = run_ok(c);
    assert_int_equal(r.compiled, 1);
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "p1=x@v1 p2=Y@v1");
    assert_verified(c);
    rill_compile_free(c);
    rill_catalog_free(in);
    rill_catalog_free(out);
}

/* ---- the decision ---- */

static void each_reason_for_a_full_run_is_said(void **s)
{
    rill_catalog *docs = open_cat("docs", 0), *out = open_cat("postings", 0);
    rill_compile *c = NULL;
    rill_compile_job j = RILL_COMPILE_JOB_INIT;
    rill_compile_report r;
    rill_catalog_txn *t;
    char why[1024];
    int64_t v1;
    (void)s;
    v1 = commit_ops(docs, "d1=a d2=b", NULL);
    c = postings_compile(out, docs, 0);
    run_ok(c);
    rill_compile_free(c);
    /* Reprocess */
    j.kind = RILL_JOB_REPROCESS;
    c = postings_compile(out, docs, 0);
    rill_compile_free(c);
    {
        rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
        o.pattern = RILL_COMPILE_MAP_GROUP;
        o.map = words_of_plus;
        o.group = postings;
        assert_int_equal(rill_compile_new(&c, out, &o, NULL), 0);
        assert_int_equal(rill_compile_input(c, docs, &j), 0);
        r = run_ok(c);
        assert_false(r.incremental);
        assert_non_null(strstr(r.reason, "input 'docs' is to be reprocessed"));
        rill_compile_free(c);
    }
    /* changes that do not start where the last commit ended */
    commit_ops(docs, "d3=c", NULL);
    commit_ops(docs, "d4=d", NULL);
    {
        rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
        o.pattern = RILL_COMPILE_MAP_GROUP;
        o.map = words_of_plus;
        o.group = postings;
        j.kind = RILL_JOB_CHANGES;
        j.since = v1 + 1;
        j.to = RILL_CATALOG_LATEST;
        assert_int_equal(rill_compile_new(&c, out, &o, NULL), 0);
        assert_int_equal(rill_compile_input(c, docs, &j), 0);
        assert_int_equal(rill_compile_why(why, sizeof(why), c), 0);
        assert_non_null(strstr(why, "compiled last at version 1, but the changes asked for "
                                    "start at 2"));
        r = run_ok(c);
        assert_false(r.incremental);
        assert_string_equal(contents(out, RILL_CATALOG_LATEST), expected_postings(docs));
        rill_compile_free(c);
    }
    /* the output written by someone else */
    assert_int_equal(rill_catalog_begin(&t, out), 0);
    put_str(t, "zz", "by hand");
    assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
    c = postings_compile(out, docs, 0);
    r = run_ok(c);
    assert_false(r.incremental);
    assert_non_null(strstr(r.reason, "it was written since"));
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), expected_postings(docs));
    /* and then incremental again */
    commit_ops(docs, "d1=q", NULL);
    r = run_ok(c);
    assert_true(r.incremental);
    assert_int_equal(rill_compile_why(why, sizeof(why), c), 0);
    assert_non_null(strstr(why, "now: incremental"));
    rill_compile_free(c);
    rill_catalog_free(docs);
    rill_catalog_free(out);
}

/* ---- fingerprints: a change of any of them runs in full, saying which ---- */

/* The posting joined with the broadcast "sep" (a separator every worker reads). */
static int postings_sep(rill_compile_out *out, const void *key, size_t key_len,
                        const rill_compile_part *values, size_t n, void *payload)
{
    const void *sep;
    size_t seplen, i, len = 0;
    char buf[4096];
    (void)key, (void)key_len, (void)payload;
    if (rill_compile_broadcast(&sep, &seplen, out, "sep") != 0)
        return -1;
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%.*s%.*s", i ? (int)seplen : 0,
                                (const char *)sep, (int)values[i].len,
                                (const char *)values[i].data);
    return rill_compile_set(out, buf, len);
}

static rill_compile_report run_with(rill_catalog *out, rill_catalog *docs, const char *option,
                                    const char *custom, const char *version, const char *sep)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    rill_fingerprints *f;
    rill_compile *c;
    rill_compile_report r;
    assert_int_equal(rill_fingerprints_new(&f), 0);
    assert_int_equal(rill_fingerprints_add_option(f, "lower", option, strlen(option)), 0);
    assert_int_equal(rill_fingerprints_add_custom(f, "lexicon", custom, strlen(custom)), 0);
    assert_int_equal(rill_fingerprints_set_code_version(f, version), 0);
    assert_int_equal(rill_fingerprints_add_broadcast(f, "sep", sep, strlen(sep), 1), 0);
    o.pattern = RILL_COMPILE_MAP_GROUP;
    o.map = words_of_plus;
    o.group = postings_sep;
    o.fingerprints = f;
    assert_int_equal(rill_compile_new(&c, out, &o, NULL), 0);
    assert_int_equal(rill_compile_input(c, docs, NULL), 0);
    r = run_ok(c);
    rill_compile_free(c);
    rill_fingerprints_free(f);
    return r;
}

static void a_changed_fingerprint_runs_in_full_and_says_which(void **s)
{
    rill_catalog *docs = open_cat("docs", 0), *out = open_cat("postings", 0);
    rill_compile_report r;
    (void)s;
    commit_ops(docs, "d1=a+b d2=b", NULL);
    r = run_with(out, docs, "yes", "h1", "1.0", ",");
    assert_false(r.incremental);
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "a=d1 b=d1,d2");
    r = run_with(out, docs, "yes", "h1", "1.0", ",");
    assert_true(r.incremental);
    r = run_with(out, docs, "no", "h1", "1.0", ",");
    assert_false(r.incremental);
    assert_non_null(strstr(r.reason, "option 'lower'"));
    r = run_with(out, docs, "no", "h2", "1.0", ",");
    assert_false(r.incremental);
    assert_non_null(strstr(r.reason, "lexicon"));
    r = run_with(out, docs, "no", "h2", "1.1", ",");
    assert_false(r.incremental);
    assert_non_null(strstr(r.reason, "version"));
    r = run_with(out, docs, "no", "h2", "1.1", ";"); /* the broadcast: every output again */
    assert_false(r.incremental);
    assert_non_null(strstr(r.reason, "sep"));
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), "a=d1 b=d1;d2");
    r = run_with(out, docs, "no", "h2", "1.1", ";");
    assert_true(r.incremental);
    rill_catalog_free(docs);
    rill_catalog_free(out);
}

/* ---- proof: a compiler that reads a global nobody hashed ---- */

static int secret = 1;

static int salted(rill_compile_out *out, const void *key, size_t key_len,
                  const rill_compile_part *in, size_t n, void *payload)
{
    char buf[64];
    int len;
    (void)key, (void)key_len, (void)in, (void)payload;
    len = snprintf(buf, sizeof(buf), "%zu*%d", n, secret); /* secret: external content */
    return rill_compile_set(out, buf, (size_t)len);
}

static int verify_said(const void *key, size_t len, const char *what, void *payload)
{
    snprintf((char *)payload + strlen(payload), 256, "%.*s:%s ", (int)len, (const char *)key,
             what);
    return 0;
}

static void an_unhashed_external_input_is_caught(void **s)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    rill_catalog *in = open_cat("files", 0), *out = open_cat("dirs", 0);
    rill_compile *c;
    char said[1024] = "";
    uint64_t n;
    int rc;
    (void)s;
    o.pattern = RILL_COMPILE_DIRECT;
    o.keys = dir_keys;
    o.direct = salted;
    o.self_check = 0.01; /* at least one of the skipped */
    commit_ops(in, "x/1=p y/1=r z/1=s", NULL);
    assert_int_equal(rill_compile_new(&c, out, &o, NULL), 0);
    assert_int_equal(rill_compile_input(c, in, NULL), 0);
    run_ok(c);
    secret = 2;
    assert_int_equal(rill_compile_verify(&n, c, verify_said, said), 0);
    assert_int_equal(n, 4); /* all, x, y, z */
    assert_non_null(strstr(said, "x:differs"));
    commit_ops(in, "x/1=P", NULL);
    rc = rill_compile_run(NULL, c);
    assert_int_equal(rc, RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "self-check: output key"));
    assert_non_null(strstr(rill_error_last(), "nothing committed"));
    secret = 1;
    rill_compile_free(c);
    rill_catalog_free(in);
    rill_catalog_free(out);
}

/* ---- a kill just before the commit ---- */

static void die(void)
{
    raise(SIGKILL);
}

extern void (*rill__catalog_commit_hook)(void);

static void a_kill_before_the_commit_leaves_the_last_one(void **s)
{
    rill_catalog *docs = open_cat("docs", 0), *out = open_cat("postings", 0);
    rill_compile *c;
    rill_compile_report r;
    int64_t before;
    pid_t pid;
    int status;
    (void)s;
    commit_ops(docs, "d1=a+b d2=b+c", NULL);
    c = postings_compile(out, docs, 0);
    run_ok(c);
    assert_int_equal(rill_catalog_latest(&before, out), 0);
    commit_ops(docs, "d2=c+d d3=e", NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rill__catalog_commit_hook = die;
        rill_compile_run(NULL, c);
        _exit(3);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    {
        int64_t now;
        assert_int_equal(rill_catalog_latest(&now, out), 0);
        assert_int_equal(now, before);
    }
    r = run_ok(c); /* the next run is right */
    assert_true(r.incremental);
    assert_string_equal(contents(out, RILL_CATALOG_LATEST), expected_postings(docs));
    rill_compile_free(c);
    rill_catalog_free(docs);
    rill_catalog_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(map_group_incremental_equals_full_after_each_change,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_last_commit_reads_without_the_compile, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(direct_many_to_many, setup, teardown),
        cmocka_unit_test_setup_teardown(references_follow_what_was_read, setup, teardown),
        cmocka_unit_test_setup_teardown(each_reason_for_a_full_run_is_said, setup, teardown),
        cmocka_unit_test_setup_teardown(a_changed_fingerprint_runs_in_full_and_says_which, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_unhashed_external_input_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(a_kill_before_the_commit_leaves_the_last_one, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
