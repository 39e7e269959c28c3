/* stage_fields.c — the `fields` built-in: selects fields of TSV or CSV
 * lines, by 1-based index or by name from the header given as `columns`,
 * and emits them as one value: a single field as its bytes, several as a
 * TSV row (fields joined by tabs, each escaped as rill's TSV output escapes:
 * \\ \t \n \r); a CR ending the line (CRLF) is dropped. `key` names a
 * field that becomes the record's key instead.
 *
 * TSV lines are split on the delimiter as they are (no quoting, as cut
 * does). CSV follows RFC 4180: a field in double quotes may hold the
 * delimiter and doubled quotes; a line is one record, so a quoted field
 * that spans lines is an error ("unterminated quoted field").
 *
 * With columns, any line whose fields are exactly the columns (the header
 * of each input file, wherever its line falls in a parallel run) is
 * dropped; skip_header: false keeps it. */
#include <stdlib.h>
#include <string.h>

#include "stage_common.h"

typedef struct fields_conf {
    int csv;
    char delim;
    int on_error;
    int64_t *sel;      /* owned: 1-based indexes to emit */
    size_t nsel;
    int64_t key;       /* 0: no key */
    const char *const *cols; /* borrowed from the spec: the header's names */
    size_t ncols;
    int skip_header;
} fields_conf;

/* One line split into fields: their bytes (unquoted) in text, their
 * offsets and lengths in at. */
typedef struct split_line {
    cli_buf text;
    size_t (*at)[2];
    size_t n, cap;
} split_line;

static int push_field(split_line *l, size_t start)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        size_t(*at)[2] = realloc(l->at, cap * sizeof(*at));
        if (at == NULL)
            return RILL_ENOMEM;
        l->at = at;
        l->cap = cap;
    }
    l->at[l->n][0] = start;
    l->at[l->n][1] = l->text.len - start;
    l->n++;
    return 0;
}

/* Splits p[0..len): 0, RILL_ENOMEM, or RILL_ECORRUPT with the reason set. */
static int split(split_line *l, const fields_conf *c, const char *p, size_t len)
{
    const char *s = p, *e = p + len;
    int rc;
    l->text.len = 0;
    l->n = 0;
    for (;;) {
        size_t start = l->text.len;
        if (c->csv && s < e && *s == '"') {
            const char *q = s + 1;
            for (;;) {
                const char *d = memchr(q, '"', (size_t)(e - q));
                if (d == NULL) {
                    rill_error_set("unterminated quoted field %zu (a CSV record is one line)",
                                   l->n + 1);
                    return RILL_ECORRUPT;
                }
                if ((rc = cli_buf_add(&l->text, q, (size_t)(d - q))) != 0)
                    return rc;
                if (d + 1 < e && d[1] == '"') { /* "" inside quotes: one quote */
                    if ((rc = cli_buf_add(&l->text, "\"", 1)) != 0)
                        return rc;
                    q = d + 2;
                    continue;
                }
                s = d + 1;
                break;
            }
            if (s < e && *s != c->delim) {
                rill_error_set("field %zu: '%c' after its closing quote (a delimiter or the end "
                               "of the line was expected)", l->n + 1, *s);
                return RILL_ECORRUPT;
            }
        } else {
            const char *d = memchr(s, c->delim, (size_t)(e - s));
            const char *end = d ? d : e;
            if ((rc = cli_buf_add(&l->text, s, (size_t)(end - s))) != 0)
                return rc;
            s = end;
        }
        if ((rc = push_field(l, start)) != 0)
            return rc;
        if (s >= e)
            return 0;
        s++; /* the delimiter */
        if (s == e) /* a trailing delimiter: one more, empty field */
            return push_field(l, l->text.len);
    }
}

static int is_header(const split_line *l, const fields_conf *c)
{
    size_t i;
    if (c->ncols == 0 || !c->skip_header || l->n != c->ncols)
        return 0;
    for (i = 0; i < l->n; i++)
        if (strlen(c->cols[i]) != l->at[i][1] ||
            memcmp(c->cols[i], l->text.p + l->at[i][0], l->at[i][1]) != 0)
            return 0;
    return 1;
}

static int fields_job(rill_emitter *out, const rill_record *in, void *payload)
{
    const fields_conf *c = payload;
    split_line l = {{0}, NULL, 0, 0};
    cli_buf v = {0};
    size_t i;
    size_t len = in->len;
    int rc;
    /* CRLF line endings (RFC 4180's own): the CR is not part of the last field */
    if (len > 0 && ((const char *)in->data)[len - 1] == '\r')
        len--;
    rc = split(&l, c, in->data ? in->data : "", len);
    if (rc == RILL_ECORRUPT && c->on_error == CLI_ON_ERROR_SKIP) {
        rc = 0;
        goto done;
    }
    if (rc != 0 || is_header(&l, c))
        goto done;
    for (i = 0; i < c->nsel; i++)
        if ((size_t)c->sel[i] > l.n)
            break;
    if (i < c->nsel || (size_t)c->key > l.n) {
        if (c->on_error == CLI_ON_ERROR_FAIL) {
            rill_error_set("the line has %zu field%s, field %lld was selected", l.n,
                           l.n == 1 ? "" : "s",
                           (long long)(i < c->nsel ? c->sel[i] : c->key));
            rc = RILL_ECORRUPT;
        }
        goto done;
    }
    for (i = 0; i < c->nsel && rc == 0; i++) {
        const size_t *f = l.at[c->sel[i] - 1];
        if (i > 0)
            rc = cli_buf_add(&v, "\t", 1);
        if (rc == 0 && c->nsel == 1) /* one field: its bytes as they are */
            rc = cli_buf_add(&v, l.text.p + f[0], f[1]);
        else if (rc == 0) /* several: a TSV row, each field escaped */
            rc = cli_buf_add_tsv(&v, l.text.p + f[0], f[1]);
    }
    if (rc == 0 && c->key > 0) {
        const size_t *f = l.at[c->key - 1];
        rc = rill_emit_keyed(out, l.text.p + f[0], f[1], v.p, v.len);
    } else if (rc == 0)
        rc = rill_emit(out, v.p ? v.p : "", v.len);
done:
    cli_buf_free(&l.text);
    free(l.at);
    cli_buf_free(&v);
    return rc;
}

static void fields_free(void *p)
{
    fields_conf *c = p;
    free(c->sel);
    free(c);
}

/* A field given as a 1-based index or a name of columns; 0 or -1 after
 * cli_error. */
static int resolve(const cli_opts *o, const char *key, const fields_conf *c, const char *s,
                   int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    size_t i;
    if (*s && *end == '\0') {
        if (v < 1 || v > INT32_MAX)
            return cli_error(o, key, "field %s: fields are numbered from 1", s);
        *out = v;
        return 0;
    }
    for (i = 0; i < c->ncols; i++)
        if (strcmp(c->cols[i], s) == 0) {
            *out = (int64_t)i + 1;
            return 0;
        }
    if (c->ncols == 0)
        return cli_error(o, key, "field '%s' is a name, but no columns were given to name "
                                 "the fields (or give its number, from 1)", s);
    {
        const char **names = calloc(c->ncols + 1, sizeof(*names));
        const char *near = NULL;
        int rc;
        if (names) {
            memcpy(names, c->cols, c->ncols * sizeof(*names));
            near = cli_did_you_mean(s, names);
        }
        rc = near ? cli_error(o, key, "no column is named '%s' (did you mean '%s'?)", s, near)
                  : cli_error(o, key, "no column is named '%s'", s);
        free(names);
        return rc;
    }
}

static const char *const format_choices[] = {"tsv", "csv", NULL};

static int fields_add(cli_build *b, const cli_opts *o)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    fields_conf *c = calloc(1, sizeof(*c));
    const char *const *sel = NULL;
    const char *key = NULL;
    size_t i, nsel = 0;
    int rc;
    if (c == NULL)
        return cli_error(o, NULL, "out of memory");
    c->skip_header = 1;
    if (cli_opt_enum(o, "format", format_choices, &c->csv) < 0)
        goto fail;
    c->delim = c->csv ? ',' : '\t';
    if (cli_opt_delim(o, "delimiter", &c->delim) < 0 ||
        cli_opt_list(o, "columns", &c->cols, &c->ncols) < 0 ||
        cli_opt_bool(o, "skip_header", &c->skip_header) < 0 ||
        cli_opt_enum(o, "on_error", cli_on_error_choices, &c->on_error) < 0 ||
        (rc = cli_opt_list(o, "select", &sel, &nsel)) < 0 || cli_opt_str(o, "key", &key) < 0)
        goto fail;
    if (rc == 1 || nsel == 0) {
        cli_error(o, NULL, "fields needs select: the fields to keep, by number or name");
        goto fail;
    }
    if ((c->sel = calloc(nsel, sizeof(*c->sel))) == NULL) {
        cli_error(o, NULL, "out of memory");
        goto fail;
    }
    c->nsel = nsel;
    for (i = 0; i < nsel; i++)
        if (resolve(o, "select", c, sel[i], &c->sel[i]) < 0)
            goto fail;
    if (key && resolve(o, "key", c, key, &c->key) < 0)
        goto fail;
    if (cli_own(b, c, fields_free) < 0)
        goto fail;
    return cli_add_job(b, o, o->stage, &so, fields_job, c);
fail:
    fields_free(c);
    return -1;
}

static const cli_option_doc fields_options[] = {
    {"select", "list", NULL, "the fields to keep, in order: numbers from 1, or names from columns"},
    {"format", "tsv|csv", "tsv", "how lines are split: on the delimiter (tsv), or RFC 4180 quoting (csv)"},
    {"delimiter", "string", "tab (csv: ,)", "the field separator: one byte, tab or space"},
    {"columns", "list", "none", "the header's names, so that select and key may name fields"},
    {"skip_header", "bool", "true", "with columns, drop the lines that are the header"},
    {"key", "string", "none", "a field (number or name) to make the record's key; the value is "
                              "the selected fields as TSV"},
    {"on_error", "fail|skip", "fail", "a line with too few fields or broken quotes: fail the run "
                                      "naming it, or drop it"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_fields = {
    .kind = "fields",
    .summary = "select fields of TSV or CSV lines, emitted as TSV (optionally keyed by a field)",
    .options = fields_options,
    .add = fields_add,
};
