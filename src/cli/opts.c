/* opts.c — a stage's options as the spec gave them: the typed accessors
 * (cli_opt_*), the errors every part of the command reports
 * (file:line:column: what was expected) and the did-you-mean used for
 * misspelt kinds, options and names.
 *
 * Errors are kept in order in one process-wide list (the command is one
 * thread while it reads specs), so `rill check` can print every one. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"
#include "spec.h"
#include "xalloc.h"

static char last[2048];
static char **errors;
static int *error_lines, *error_columns;
static size_t nerrors, caperrors;

void *cli_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fputs("rill: out of memory\n", stderr);
        exit(CLI_EXIT_FAILED);
    }
    return p;
}

void *cli_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fputs("rill: out of memory\n", stderr);
        exit(CLI_EXIT_FAILED);
    }
    return p;
}

void *cli_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        fputs("rill: out of memory\n", stderr);
        exit(CLI_EXIT_FAILED);
    }
    return p;
}

char *cli_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(cli_xmalloc(n), s, n);
}

static void keep(int line, int column)
{
    if (nerrors == caperrors) {
        caperrors = caperrors ? caperrors * 2 : 8;
        errors = cli_xrealloc(errors, caperrors * sizeof(*errors));
        error_lines = cli_xrealloc(error_lines, caperrors * sizeof(*error_lines));
        error_columns = cli_xrealloc(error_columns, caperrors * sizeof(*error_columns));
    }
    error_lines[nerrors] = line;
    error_columns[nerrors] = column;
    errors[nerrors++] = cli_xstrdup(last);
}

static int verror_at(const char *file, int line, int column, const char *prefix,
                     const char *fmt, va_list ap)
{
    size_t n;
    if (line > 0)
        n = (size_t)snprintf(last, sizeof(last), "%s:%d:%d: %s", file, line, column, prefix);
    else
        n = (size_t)snprintf(last, sizeof(last), "%s: %s", file, prefix);
    if (n < sizeof(last))
        vsnprintf(last + n, sizeof(last) - n, fmt, ap);
    keep(line, column);
    return -1;
}

/* verror_at with its arguments. */
static void noted(const char *file, int line, int column, const char *prefix, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
static void noted(const char *file, int line, int column, const char *prefix, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror_at(file, line, column, prefix, fmt, ap);
    va_end(ap);
}

int cli_error_at(const char *file, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror_at(file, line, column, "", fmt, ap);
    va_end(ap);
    return -1;
}

static cli_value *find(const cli_opts *o, const char *key)
{
    size_t i;
    for (i = o->n; i-- > 0;) /* the last one given wins (an override) */
        if (strcmp(o->v[i].key, key) == 0)
            return &o->v[i];
    return NULL;
}

int cli_error(const cli_opts *o, const char *key, const char *fmt, ...)
{
    const cli_value *v = key ? find(o, key) : NULL;
    char prefix[256], msg[4096];
    va_list ap;
    if (o->kind && strcmp(o->kind, "output") == 0)
        snprintf(prefix, sizeof(prefix), "output: ");
    else if (o->kind && strcmp(o->kind, "catalog") == 0) /* rill compile's (compile_spec.h) */
        snprintf(prefix, sizeof(prefix), "input '%s': ", o->stage ? o->stage : "?");
    else if (o->kind && strncmp(o->kind, "compile ", 8) == 0)
        snprintf(prefix, sizeof(prefix), "compile: ");
    else if (o->kind && cli_source_find(o->kind) && !cli_stage_find(o->kind))
        snprintf(prefix, sizeof(prefix), "source '%s': ", o->stage ? o->stage : "?");
    else
        snprintf(prefix, sizeof(prefix), "stage '%s': ", o->stage ? o->stage : "?");
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* a library message that names the stage already is not prefixed twice */
    if (o->stage && strncmp(msg, prefix, strlen(prefix)) == 0)
        prefix[0] = '\0';
    if (v)
        noted(v->file, v->line, v->column, prefix, "%s", msg);
    else
        noted(o->file, o->line, o->column, prefix, "%s", msg);
    return -1;
}

const char *cli_error_message(void)
{
    return last;
}

void cli_error_reset(void)
{
    size_t i;
    for (i = 0; i < nerrors; i++)
        free(errors[i]);
    free(errors);
    free(error_lines);
    free(error_columns);
    errors = NULL;
    error_lines = error_columns = NULL;
    nerrors = caperrors = 0;
    last[0] = '\0';
}

const char *const *cli_errors(size_t *n)
{
    size_t i, j;
    /* in the order of the spec's lines (an insertion sort: stable, and
     * errors are few); those of -s and of the whole file first */
    for (i = 1; i < nerrors; i++)
        for (j = i; j > 0 && (error_lines[j - 1] > error_lines[j] ||
                              (error_lines[j - 1] == error_lines[j] &&
                               error_columns[j - 1] > error_columns[j]));
             j--) {
            char *e = errors[j];
            int l = error_lines[j], c = error_columns[j];
            errors[j] = errors[j - 1], errors[j - 1] = e;
            error_lines[j] = error_lines[j - 1], error_lines[j - 1] = l;
            error_columns[j] = error_columns[j - 1], error_columns[j - 1] = c;
        }
    *n = nerrors;
    return (const char *const *)errors;
}

/* ---- accessors ---- */

static int scalar(const cli_opts *o, const char *key, cli_value **out, const char *what)
{
    cli_value *v = find(o, key);
    if (v == NULL)
        return 1;
    v->used = 1;
    if (v->text == NULL)
        return cli_error(o, key, "option '%s': expected %s, not a list", key, what);
    *out = v;
    return 0;
}

int cli_opt_str(const cli_opts *o, const char *key, const char **out)
{
    cli_value *v = NULL;
    int rc = scalar(o, key, &v, "a text");
    if (rc == 0)
        *out = v->text;
    return rc;
}

int cli_opt_int(const cli_opts *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
    cli_value *v = NULL;
    char *end;
    long long x;
    int rc = scalar(o, key, &v, "an integer");
    if (rc != 0)
        return rc;
    errno = 0;
    x = strtoll(v->text, &end, 10);
    if (errno == ERANGE && v->text[0] != '\0' && *end == '\0')
        return cli_error(o, key, "option '%s': %s is out of range [%lld, %lld]", key, v->text,
                         (long long)min, (long long)max);
    if (v->text[0] == '\0' || *end != '\0' || errno == ERANGE)
        return cli_error(o, key, "option '%s': expected an integer, got '%s'", key, v->text);
    if (x < min || x > max)
        return cli_error(o, key, "option '%s': %lld is out of range [%lld, %lld]", key, x,
                         (long long)min, (long long)max);
    *out = x;
    return 0;
}

int cli_opt_double(const cli_opts *o, const char *key, double *out)
{
    cli_value *v = NULL;
    char *end;
    double x;
    int rc = scalar(o, key, &v, "a number");
    if (rc != 0)
        return rc;
    errno = 0;
    x = strtod(v->text, &end);
    if (v->text[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(x))
        return cli_error(o, key, "option '%s': expected a number, got '%s'", key, v->text);
    *out = x;
    return 0;
}

int cli_opt_bool(const cli_opts *o, const char *key, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1", NULL};
    static const char *const no[] = {"false", "no", "off", "0", NULL};
    cli_value *v = NULL;
    size_t i;
    int rc = scalar(o, key, &v, "true or false");
    if (rc != 0)
        return rc;
    for (i = 0; yes[i]; i++) {
        if (strcmp(v->text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(v->text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return cli_error(o, key, "option '%s': expected true or false, got '%s'", key, v->text);
}

int cli_opt_list(const cli_opts *o, const char *key, const char *const **items, size_t *n)
{
    cli_value *v = find(o, key);
    if (v == NULL)
        return 1;
    v->used = 1;
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
    cli_value *v = NULL;
    char list[512] = "";
    const char *near;
    size_t i, len = 0;
    int rc = scalar(o, key, &v, "a name");
    if (rc != 0)
        return rc;
    for (i = 0; choices[i]; i++) {
        if (strcmp(v->text, choices[i]) == 0) {
            *out = (int)i;
            return 0;
        }
        len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
                                "%s%s", i ? ", " : "", choices[i]);
        if (len >= sizeof(list))
            len = sizeof(list);
    }
    near = cli_did_you_mean(v->text, choices);
    if (near)
        return cli_error(o, key, "option '%s': unknown value '%s' (did you mean '%s'?); "
                         "expected one of %s", key, v->text, near, list);
    return cli_error(o, key, "option '%s': unknown value '%s'; expected one of %s", key,
                     v->text, list);
}

/* ---- did you mean ---- */

/* Optimal string alignment distance (a swap of neighbours counts one). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, d;
    size_t *row0, *row1, *row2, *t;
    if (la > 64 || lb > 64)
        return (size_t)-1;
    row0 = cli_xcalloc(lb + 1, sizeof(size_t));
    row1 = cli_xcalloc(lb + 1, sizeof(size_t));
    row2 = cli_xcalloc(lb + 1, sizeof(size_t));
    for (j = 0; j <= lb; j++)
        row1[j] = j;
    for (i = 1; i <= la; i++) {
        row2[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            d = row1[j] + 1;
            if (row2[j - 1] + 1 < d)
                d = row2[j - 1] + 1;
            if (row1[j - 1] + cost < d)
                d = row1[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                row0[j - 2] + 1 < d)
                d = row0[j - 2] + 1;
            row2[j] = d;
        }
        t = row0, row0 = row1, row1 = row2, row2 = t;
    }
    d = row1[lb];
    free(row0);
    free(row1);
    free(row2);
    return d;
}

const char *cli_did_you_mean(const char *s, const char *const *words)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1, i, len = strlen(s);
    /* near enough: at most a third of the word wrong, and at most 3 edits */
    size_t limit = len < 3 ? 1 : len / 3 + 1;
    if (limit > 3)
        limit = 3;
    for (i = 0; words[i]; i++) {
        size_t d = distance(s, words[i]);
        if (d < bestd) {
            bestd = d;
            best = words[i];
        }
    }
    return bestd > 0 && bestd <= limit ? best : NULL;
}
