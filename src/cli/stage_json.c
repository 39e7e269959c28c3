/* stage_json.c — the `json` built-in: parses each record's value as one JSON
 * document (JSON lines) with jansson and emits the values at the selected
 * paths as one TSV value, with `key` naming a path whose value becomes the
 * record's key instead.
 *
 * A path is names joined by dots (user.address.city); a part made of digits
 * indexes an array (items.0.id). A string is emitted as its text (TSV
 * escaped: \\ \t \n \r), a number, true or false as JSON writes it, null as
 * nothing, an object or array as compact JSON. A line that is not JSON
 * fails the run naming the record and the position (on_error: skip drops
 * it); a path with nothing there is empty by default (missing: skip drops
 * the record, missing: fail fails the run). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "stage_common.h"

typedef struct json_path {
    char **part; /* owned */
    size_t n;
    const char *text; /* borrowed from the spec */
} json_path;

typedef struct json_conf {
    json_path *sel; /* owned */
    size_t nsel;
    json_path key;  /* n == 0: no key */
    int on_error, missing;
} json_conf;

enum { MISSING_EMPTY, MISSING_SKIP, MISSING_FAIL };

static json_t *lookup(json_t *v, const json_path *p)
{
    size_t i;
    for (i = 0; i < p->n && v; i++) {
        const char *s = p->part[i];
        if (json_is_object(v))
            v = json_object_get(v, s);
        else if (json_is_array(v) && s[0] && strspn(s, "0123456789") == strlen(s))
            v = json_array_get(v, (size_t)strtoull(s, NULL, 10));
        else
            v = NULL;
    }
    return v;
}

/* Appends v's text to b (escaped as TSV when tsv). */
static int add_value(cli_buf *b, json_t *v, int tsv)
{
    char num[CLI_NUM_MAX];
    int rc;
    if (json_is_string(v))
        return tsv ? cli_buf_add_tsv(b, json_string_value(v), json_string_length(v))
                   : cli_buf_add(b, json_string_value(v), json_string_length(v));
    if (json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        cli_num n = {json_integer_value(v), 0, 1};
        return cli_buf_add(b, num, cli_num_format(num, &n));
    }
    if (json_is_real(v)) {
        cli_num n = {0, json_real_value(v), 0};
        return cli_buf_add(b, num, cli_num_format(num, &n));
    }
    if (json_is_true(v))
        return cli_buf_add(b, "true", 4);
    if (json_is_false(v))
        return cli_buf_add(b, "false", 5);
    {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s == NULL)
            return RILL_ENOMEM;
        rc = tsv ? cli_buf_add_tsv(b, s, strlen(s)) : cli_buf_add(b, s, strlen(s));
        free(s);
        return rc;
    }
}

/* The value at p in doc, or NULL after deciding what a missing one means:
 * *skip set (drop the record), or *rc an error. */
static json_t *get(json_t *doc, const json_path *p, const json_conf *c, int *skip, int *rc)
{
    json_t *v = lookup(doc, p);
    if (v || c->missing == MISSING_EMPTY)
        return v;
    if (c->missing == MISSING_SKIP)
        *skip = 1;
    else {
        rill_error_set("nothing at path '%s'", p->text);
        *rc = RILL_ENOTFOUND;
    }
    return NULL;
}

static int json_job(rill_emitter *out, const rill_record *in, void *payload)
{
    const json_conf *c = payload;
    json_error_t err;
    json_t *doc = json_loadb(in->data ? in->data : "", in->len, JSON_DECODE_ANY, &err);
    cli_buf v = {0}, k = {0};
    size_t i;
    int rc = 0, skip = 0;
    if (doc == NULL) {
        if (c->on_error == CLI_ON_ERROR_SKIP)
            return 0;
        rill_error_set("not JSON: %s at column %d", err.text, err.column);
        return RILL_ECORRUPT;
    }
    for (i = 0; i < c->nsel && rc == 0 && !skip; i++) {
        json_t *x = get(doc, &c->sel[i], c, &skip, &rc);
        if (i > 0 && rc == 0)
            rc = cli_buf_add(&v, "\t", 1);
        if (x && rc == 0)
            rc = add_value(&v, x, c->nsel > 1); /* one value: its bytes, as fields gives */
    }
    if (c->key.n && rc == 0 && !skip) {
        json_t *x = get(doc, &c->key, c, &skip, &rc);
        if (x && rc == 0)
            rc = add_value(&k, x, 0);
    }
    if (rc == 0 && !skip)
        rc = c->key.n ? rill_emit_keyed(out, k.p ? k.p : "", k.len, v.p, v.len)
                      : rill_emit(out, v.p ? v.p : "", v.len);
    json_decref(doc);
    cli_buf_free(&v);
    cli_buf_free(&k);
    return rc;
}

static void path_free(json_path *p)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        free(p->part[i]);
    free(p->part);
}

static void json_free(void *p)
{
    json_conf *c = p;
    size_t i;
    for (i = 0; c->sel && i < c->nsel; i++)
        path_free(&c->sel[i]);
    free(c->sel);
    path_free(&c->key);
    free(c);
}

/* Splits s on dots into p; 0 or -1 after cli_error. */
static int parse_path(const cli_opts *o, const char *key, const char *s, json_path *p)
{
    const char *part = s;
    p->text = s;
    if (*s == '\0')
        return cli_error(o, key, "an empty path");
    for (;;) {
        const char *dot = strchr(part, '.');
        size_t len = dot ? (size_t)(dot - part) : strlen(part);
        char **grown;
        if (len == 0)
            return cli_error(o, key, "path '%s' has an empty part", s);
        if ((grown = realloc(p->part, (p->n + 1) * sizeof(*grown))) == NULL)
            return cli_error(o, key, "out of memory");
        p->part = grown;
        if ((p->part[p->n] = strndup(part, len)) == NULL)
            return cli_error(o, key, "out of memory");
        p->n++;
        if (dot == NULL)
            return 0;
        part = dot + 1;
    }
}

static const char *const missing_choices[] = {"empty", "skip", "fail", NULL};

static int json_add(cli_build *b, const cli_opts *o)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    json_conf *c = calloc(1, sizeof(*c));
    const char *const *sel = NULL;
    const char *key = NULL;
    size_t i, nsel = 0;
    int rc;
    if (c == NULL)
        return cli_error(o, NULL, "out of memory");
    if (cli_opt_enum(o, "on_error", cli_on_error_choices, &c->on_error) < 0 ||
        cli_opt_enum(o, "missing", missing_choices, &c->missing) < 0 ||
        (rc = cli_opt_list(o, "select", &sel, &nsel)) < 0 || cli_opt_str(o, "key", &key) < 0)
        goto fail;
    if (rc == 1 || nsel == 0) {
        cli_error(o, NULL, "json needs select: the paths to keep (a.b.c)");
        goto fail;
    }
    if ((c->sel = calloc(nsel, sizeof(*c->sel))) == NULL) {
        cli_error(o, NULL, "out of memory");
        goto fail;
    }
    c->nsel = nsel;
    for (i = 0; i < nsel; i++)
        if (parse_path(o, "select", sel[i], &c->sel[i]) < 0)
            goto fail;
    if (key && parse_path(o, "key", key, &c->key) < 0)
        goto fail;
    if (cli_own(b, c, json_free) < 0)
        goto fail;
    return cli_add_job(b, o, o->stage, &so, json_job, c);
fail:
    json_free(c);
    return -1;
}

static const cli_option_doc json_options[] = {
    {"select", "list", NULL, "the paths to keep, in order: names joined by dots, digits index "
                             "arrays (items.0.id); emitted as one TSV value"},
    {"key", "string", "none", "a path whose value becomes the record's key"},
    {"on_error", "fail|skip", "fail", "a line that is not JSON: fail the run naming it, or drop it"},
    {"missing", "empty|skip|fail", "empty", "a path with nothing there: an empty field, drop the "
                                            "record, or fail the run"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_json = {
    .kind = "json",
    .summary = "parse JSON lines and select values by path, emitted as TSV (optionally keyed)",
    .options = json_options,
    .add = json_add,
};
