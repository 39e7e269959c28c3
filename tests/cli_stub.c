/* cli_stub.c — the test harness of cli_stub.h: the option accessors, the
 * error message and a chain-only builder of src/cli/cli.h over a real
 * pipeline, enough to run the built-in stages until the rill command's own
 * builder lands. Not thread-safe (the tests build on one thread). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_stub.h"

struct owned {
    void *ptr;
    void (*fn)(void *);
};

struct cli_build {
    rill_pipeline *p;
    int workers;
    struct owned *own;
    size_t nown, capown;
    char *scratch;
    const cli_stage_def *def; /* the stage being added */
};

static char message[1024];

int cli_error(const cli_opts *o, const char *key, const char *fmt, ...)
{
    va_list ap;
    size_t i, len;
    int line = o->line, col = o->column;
    const char *file = o->file;
    for (i = 0; key && i < o->n; i++)
        if (strcmp(o->v[i].key, key) == 0) {
            file = o->v[i].file;
            line = o->v[i].line;
            col = o->v[i].column;
        }
    len = (size_t)snprintf(message, sizeof(message), "%s:%d:%d: stage '%s': ", file, line, col,
                           o->stage);
    va_start(ap, fmt);
    if (len < sizeof(message))
        vsnprintf(message + len, sizeof(message) - len, fmt, ap);
    va_end(ap);
    return -1;
}

const char *cli_error_message(void)
{
    return message;
}

void cli_error_reset(void)
{
    message[0] = '\0';
}

static cli_build *current; /* the builder whose stage is being added */

/* The value of key, marked used; NULL when not given. The key must be in
 * the stage's option table. */
static cli_value *find(const cli_opts *o, const char *key)
{
    const cli_option_doc *d;
    size_t i;
    for (d = current->def->options; d->name; d++)
        if (strcmp(d->name, key) == 0)
            break;
    if (d->name == NULL)
        fail_msg("stage kind '%s' reads option '%s', which its table does not list",
                 current->def->kind, key);
    for (i = 0; i < o->n; i++)
        if (strcmp(o->v[i].key, key) == 0) {
            o->v[i].used = 1;
            return &o->v[i];
        }
    return NULL;
}

static cli_value *scalar(const cli_opts *o, const char *key, int *rc)
{
    cli_value *v = find(o, key);
    *rc = v == NULL ? 1 : 0;
    if (v && v->text == NULL) {
        *rc = cli_error(o, key, "%s: a single value was expected, not a list", key);
        return NULL;
    }
    return v;
}

int cli_opt_str(const cli_opts *o, const char *key, const char **out)
{
    int rc;
    cli_value *v = scalar(o, key, &rc);
    if (v)
        *out = v->text;
    return rc;
}

int cli_opt_int(const cli_opts *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
    int rc;
    cli_value *v = scalar(o, key, &rc);
    char *end;
    long long x;
    if (v == NULL)
        return rc;
    x = strtoll(v->text, &end, 10);
    if (*v->text == '\0' || *end)
        return cli_error(o, key, "%s: an integer was expected, not '%s'", key, v->text);
    if (x < min || x > max)
        return cli_error(o, key, "%s: %lld is out of range [%lld, %lld]", key, x, (long long)min,
                         (long long)max);
    *out = x;
    return 0;
}

int cli_opt_double(const cli_opts *o, const char *key, double *out)
{
    int rc;
    cli_value *v = scalar(o, key, &rc);
    char *end;
    double x;
    if (v == NULL)
        return rc;
    x = strtod(v->text, &end);
    if (*v->text == '\0' || *end)
        return cli_error(o, key, "%s: a number was expected, not '%s'", key, v->text);
    *out = x;
    return 0;
}

int cli_opt_bool(const cli_opts *o, const char *key, int *out)
{
    int rc;
    cli_value *v = scalar(o, key, &rc);
    if (v == NULL)
        return rc;
    if (strcmp(v->text, "true") == 0)
        *out = 1;
    else if (strcmp(v->text, "false") == 0)
        *out = 0;
    else
        return cli_error(o, key, "%s: true or false was expected, not '%s'", key, v->text);
    return 0;
}

int cli_opt_list(const cli_opts *o, const char *key, const char *const **items, size_t *n)
{
    cli_value *v = find(o, key);
    if (v == NULL)
        return 1;
    if (v->text) {
        *items = &v->text;
        *n = 1;
    } else {
        *items = v->items;
        *n = v->nitems;
    }
    return 0;
}

int cli_opt_enum(const cli_opts *o, const char *key, const char *const *choices, int *out)
{
    int rc, i;
    cli_value *v = scalar(o, key, &rc);
    if (v == NULL)
        return rc;
    for (i = 0; choices[i]; i++)
        if (strcmp(choices[i], v->text) == 0) {
            *out = i;
            return 0;
        }
    return cli_error(o, key, "%s: '%s' is not one of the choices", key, v->text);
}

const char *cli_did_you_mean(const char *s, const char *const *words)
{
    const char *best = NULL;
    size_t bestd = 3, i;
    for (i = 0; words[i]; i++) { /* the edit distance, by the two-row method */
        size_t n = strlen(s), m = strlen(words[i]), a, c, row[64], prev[64];
        if (n >= 63 || m >= 63)
            continue;
        for (c = 0; c <= m; c++)
            prev[c] = c;
        for (a = 1; a <= n; a++) {
            row[0] = a;
            for (c = 1; c <= m; c++) {
                size_t sub = prev[c - 1] + (s[a - 1] != words[i][c - 1]);
                size_t del = prev[c] + 1, ins = row[c - 1] + 1;
                row[c] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            }
            memcpy(prev, row, (m + 1) * sizeof(size_t));
        }
        if (prev[m] < bestd) {
            bestd = prev[m];
            best = words[i];
        }
    }
    return best;
}

int cli_add_job(cli_build *b, const cli_opts *o, const char *name, const rill_stage_options *opts,
                rill_job_fn fn, void *payload)
{
    if (rill_job(b->p, name, opts, fn, payload) != 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    return 0;
}

int cli_add_task(cli_build *b, const cli_opts *o, const char *name, const rill_task_options *opts,
                 rill_task_fn fn, void *payload)
{
    if (rill_task(b->p, name, opts, fn, payload) != 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    return 0;
}

int cli_add_reduce(cli_build *b, const cli_opts *o, const char *name,
                   const rill_reduce_options *opts, void *payload)
{
    if (rill_reduce(b->p, name, opts, payload) != 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    return 0;
}

int cli_add_combine(cli_build *b, const cli_opts *o, const char *name,
                    const rill_combine_options *opts, void *payload)
{
    if (rill_combine(b->p, name, opts, payload) != 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    return 0;
}

int cli_own(cli_build *b, void *ptr, void (*fn)(void *))
{
    if (b->nown == b->capown) {
        size_t cap = b->capown ? b->capown * 2 : 8;
        struct owned *own = realloc(b->own, cap * sizeof(*own));
        if (own == NULL)
            return -1;
        b->own = own;
        b->capown = cap;
    }
    b->own[b->nown].ptr = ptr;
    b->own[b->nown].fn = fn ? fn : free;
    b->nown++;
    return 0;
}

int cli_workers(const cli_build *b)
{
    return b->workers;
}

const char *cli_scratch_dir(cli_build *b)
{
    if (b->scratch == NULL) {
        char tmpl[] = "/tmp/rill-stub-XXXXXX";
        if (mkdtemp(tmpl) == NULL)
            return NULL;
        b->scratch = strdup(tmpl);
    }
    return b->scratch;
}

cli_build *stub_new(rill_pipeline *p, int workers)
{
    cli_build *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->p = p;
    b->workers = workers;
    return b;
}

void stub_free(cli_build *b)
{
    size_t i;
    if (b == NULL)
        return;
    for (i = 0; i < b->nown; i++)
        b->own[i].fn(b->own[i].ptr);
    free(b->own);
    if (b->scratch) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->scratch);
        assert_int_equal(system(cmd), 0);
        free(b->scratch);
    }
    free(b);
}

const char *stub_scratch(const cli_build *b)
{
    return b->scratch;
}

int stub_add(cli_build *b, const cli_stage_def *def, const char *name, cli_value *v, size_t n)
{
    cli_opts o = {name, def->kind, "test.yaml", 1, 1, v, n};
    size_t i;
    int rc;
    current = b;
    b->def = def;
    rc = def->add(b, &o);
    current = NULL;
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++)
        if (!v[i].used)
            return cli_error(&o, v[i].key, "unknown option '%s'", v[i].key);
    return 0;
}
