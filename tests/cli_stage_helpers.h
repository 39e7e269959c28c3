/* cli_stage_helpers.h — what the tests of the built-in stages share: input
 * and output as sorted strings ("KEY=VALUE", "-VALUE" without a key),
 * running stages added by the rill command's own builder (src/cli/build.c,
 * opts.c: cli_build_chain) on a real pipeline, and reproducible test
 * data. */
#ifndef RILL_TESTS_CLI_STAGE_HELPERS_H
#define RILL_TESTS_CLI_STAGE_HELPERS_H

#include <ctype.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "build.h"
#include "stage_builtins.h"

/* ---- input and output as strings ---- */

typedef struct strs {
    char **v;
    size_t n, cap;
} strs;

/* Adds "KEY=VALUE", or "=VALUE" for a record without a key ("|" for none
 * would be ambiguous with a key "": a key is always followed by '='). */
static inline void strs_add(strs *s, const char *key, size_t klen, const char *val, size_t vlen)
{
    char *t = malloc(klen + vlen + 3);
    assert_non_null(t);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        assert_non_null(s->v);
    }
    if (key) {
        memcpy(t, key, klen);
        t[klen] = '=';
        memcpy(t + klen + 1, val, vlen);
        t[klen + 1 + vlen] = '\0';
    } else {
        t[0] = '-';
        memcpy(t + 1, val, vlen);
        t[1 + vlen] = '\0';
    }
    s->v[s->n++] = t;
}

static inline void strs_addf(strs *s, const char *key, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    strs_add(s, key, key ? strlen(key) : 0, buf, strlen(buf));
}

static inline void strs_free(strs *s)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static inline int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline strs of_batch(const rill_batch *b)
{
    strs s = {0};
    size_t i;
    for (i = 0; b && i < rill_batch_count(b); i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, b, i), 0);
        strs_add(&s, r.key, r.key_len, r.data, r.len);
    }
    return s;
}

/* got and want hold the same strings, in any order (sorted = 0) or in
 * this order; frees both. */
static inline void assert_same(strs *got, strs *want, int ordered)
{
    size_t i;
    if (!ordered) {
        qsort(got->v, got->n, sizeof(char *), cmp_str);
        qsort(want->v, want->n, sizeof(char *), cmp_str);
    }
    for (i = 0; i < got->n && i < want->n; i++)
        if (strcmp(got->v[i], want->v[i]) != 0)
            fail_msg("record %zu: got '%s', want '%s'", i, got->v[i], want->v[i]);
    if (got->n != want->n)
        fail_msg("got %zu records, want %zu", got->n, want->n);
    strs_free(got);
    strs_free(want);
}

static inline rill_batch *batch_of(const strs *lines)
{
    rill_batch *b;
    size_t i;
    assert_int_equal(rill_batch_new(&b), 0);
    for (i = 0; i < lines->n; i++)
        assert_int_equal(rill_batch_add(b, lines->v[i] + 1, strlen(lines->v[i] + 1)), 0);
    return b;
}

/* ---- running stages ---- */

/* A scalar option and a list option of a stage, written at this line of
 * "test.yaml" (column 3). */
#define OPT(k, t) {.key = (k), .text = (t), .file = "test.yaml", .line = __LINE__, .column = 3}
#define OPTL(k, ...)                                                                 \
    {.key = (k), .items = (const char *[]){__VA_ARGS__},                            \
     .nitems = sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *),        \
     .file = "test.yaml", .line = __LINE__, .column = 3}

typedef struct stage {
    const cli_stage_def *def;
    const char *name;
    cli_value *v;
    size_t n;
} stage;

#define STAGE(def, name, ...) \
    {&(def), (name), (cli_value[]){__VA_ARGS__}, sizeof((cli_value[]){__VA_ARGS__}) / sizeof(cli_value)}
#define STAGE0(def, name) {&(def), (name), NULL, 0}

static char run_error[1024];

/* Adds st after the stages b has, through the builder: what it returns
 * (cli_error_message says why it refused). Each key a test gives must be in
 * the stage's option table (what `rill help stages` lists). */
static inline int add_stage(cli_build *b, const stage *st)
{
    cli_opts o = {st->name, st->def->kind, "test.yaml", 1, 1, st->v, st->n};
    size_t i;
    for (i = 0; i < st->n; i++) {
        const cli_option_doc *d = st->def->options;
        while (d && d->name && strcmp(d->name, st->v[i].key) != 0)
            d++;
        if (d == NULL || d->name == NULL)
            fail_msg("stage kind '%s': option '%s' is not in its table", st->def->kind,
                     st->v[i].key);
    }
    return cli_build_chain_add(b, st->def, &o);
}

/* Runs lines (strs whose entries start with '-') through the stages with
 * that many workers in batches of 7 records: rill_run's code, *out the
 * output (NULL on failure, run_error the message). */
static inline int run_chain(strs *out, const strs *lines, int workers, const stage *st, size_t n)
{
    rill_run_options o = with_workers(workers);
    rill_pipeline *p;
    rill_batch *res = NULL;
    cli_build *b;
    size_t i;
    int rc;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, batch_of(lines)), 0);
    b = cli_build_chain(p, workers); /* frees p */
    for (i = 0; i < n; i++)
        if (add_stage(b, &st[i]) != 0)
            fail_msg("adding stage '%s': %s", st[i].name, cli_error_message());
    o.batch_records = 7;
    rc = rill_run(p, &o, &res);
    snprintf(run_error, sizeof(run_error), "%s", rc ? rill_error_last() : "");
    *out = of_batch(res);
    rill_batch_free(res);
    cli_build_free(b);
    return rc;
}

/* What adding the stage says, when it refuses its options. */
static inline const char *add_error(const stage *st)
{
    rill_pipeline *p;
    cli_build *b;
    int rc;
    assert_int_equal(rill_pipeline_new(&p), 0);
    b = cli_build_chain(p, 1);
    cli_error_reset();
    rc = add_stage(b, st);
    cli_build_free(b);
    assert_int_equal(rc, -1);
    return cli_error_message();
}

#define assert_contains(hay, needle)                                              \
    do {                                                                          \
        if (strstr((hay), (needle)) == NULL)                                      \
            fail_msg("'%s' does not contain '%s'", (hay), (needle));              \
    } while (0)

/* A reproducible pseudo-random number. */
static inline uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* ORDER. Stages that emit in order (sort, top, sample n) are checked for
 * their order with one worker only: with several, the engine may hand the
 * batches one emit call made to the next stage in another order (another
 * worker takes a queued batch while this one goes on), so only the set of
 * records is checked then. */
static const int workers[] = {1, 2, 4};

/* ---- test data ---- */

static const char *const words[] = {"ok", "timeout", "Error: refused", "ERROR disk", "slow"};

/* "host<h>\t<status>\t<bytes>\t<message>" lines, reproducible. */
static inline strs log_lines(int n)
{
    strs s = {0};
    uint64_t seed = 42;
    int i;
    for (i = 0; i < n; i++) {
        int host = (int)(rnd(&seed) % 7), status = (int)(200 + 100 * (rnd(&seed) % 4));
        strs_addf(&s, NULL, "h%d\t%d\t%d\t%s %d", host, status, (int)(rnd(&seed) % 5000),
                  words[rnd(&seed) % 5], i);
    }
    return s;
}

#endif
