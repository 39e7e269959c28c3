/* config.c — per-stage configuration by name: batch size, concurrency,
 * serial and context values, one field at a time (rill_configure) or from a
 * YAML document in coordinate or nested form (libyaml parses it).
 *
 * A YAML configuration is checked whole before any of it is applied, so a
 * refused entry leaves the pipeline as it was; messages give the line. A
 * document nested deeper than RILL__YAML_MAX_DEPTH is refused from its
 * events before libyaml builds it (its loader slows down with the square of
 * the depth). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../util/error.h"
#include "plan.h"

static int parse_size(const char *v, size_t *out)
{
    char *end;
    unsigned long long n;
    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno || *end || n > SIZE_MAX)
        return -1;
    *out = (size_t)n;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    size_t i;
    for (i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int set_context(rill__stage *s, const char *key, const char *value)
{
    char **ctx, *k, *v;
    int i;
    for (i = 0; i < s->nctx; i++)
        if (strcmp(s->ctx[2 * i], key) == 0) {
            RILL__CHECK_ALLOC(v = strdup(value));
            free(s->ctx[2 * i + 1]);
            s->ctx[2 * i + 1] = v;
            return 0;
        }
    ctx = realloc(s->ctx, (size_t)(s->nctx + 1) * 2 * sizeof(*ctx));
    RILL__CHECK_ALLOC(ctx);
    s->ctx = ctx;
    k = strdup(key);
    v = strdup(value);
    if (k == NULL || v == NULL) {
        free(k);
        free(v);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    ctx[2 * s->nctx] = k;
    ctx[2 * s->nctx + 1] = v;
    s->nctx++;
    return 0;
}

/* Checks one setting and, with apply, makes it. */
static int configure(rill_pipeline *p, const char *stage, const char *field,
                     const char *value, int apply)
{
    int i = rill__stage_find(p, stage), b;
    rill__stage *s;
    size_t n;
    if (i < 0)
        return rill__error(RILL_ENOTFOUND, "no stage named '%s' to configure", stage);
    s = &p->stages[i];
    if (strcmp(field, "batch_size") == 0) {
        if (parse_size(value, &n) < 0)
            return rill__error(RILL_EINVAL, "%s.batch_size: '%s' is not a record count",
                               stage, value);
        if (apply)
            s->batch_size = n;
    } else if (strcmp(field, "concurrency") == 0) {
        if (parse_size(value, &n) < 0 || n > 1u << 20)
            return rill__error(RILL_EINVAL, "%s.concurrency: '%s' is not a number of calls",
                               stage, value);
        if (apply)
            s->concurrency = (int)n;
    } else if (strcmp(field, "serial") == 0) {
        if (parse_bool(value, &b) < 0)
            return rill__error(RILL_EINVAL, "%s.serial: '%s' is not true or false", stage,
                               value);
        if (apply)
            s->serial = b;
    } else if (strncmp(field, "context.", 8) == 0 && field[8]) {
        if (apply)
            return set_context(s, field + 8, value);
    } else {
        return rill__error(RILL_ENOTFOUND,
                           "stage '%s' has no field '%s' (batch_size, concurrency, serial "
                           "or context.KEY)", stage, field);
    }
    return 0;
}

int rill_configure(rill_pipeline *p, const char *stage, const char *field, const char *value)
{
    if (p == NULL || stage == NULL || field == NULL || value == NULL)
        return rill__error(RILL_EINVAL, "rill_configure: NULL argument");
    return configure(p, stage, field, value, 1);
}


/* ---- YAML ---- */

typedef struct entry {
    char stage[256], field[512];
    const char *value; /* borrowed from the document */
    size_t line;
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

static int push(entries *es, const char *stage, size_t slen, const char *field,
                const char *value, size_t line)
{
    entry *e;
    if (slen >= sizeof(e->stage) || strlen(field) >= sizeof(e->field))
        return rill__error(RILL_EINVAL, "line %zu: name too long", line);
    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 16;
        entry *v = realloc(es->v, cap * sizeof(*v));
        RILL__CHECK_ALLOC(v);
        es->v = v;
        es->cap = cap;
    }
    e = &es->v[es->n++];
    memcpy(e->stage, stage, slen);
    e->stage[slen] = '\0';
    strcpy(e->field, field);
    e->value = value;
    e->line = line;
    return 0;
}

static const char *scalar(yaml_document_t *d, int id)
{
    yaml_node_t *n = yaml_document_get_node(d, id);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* "stage.field" where stage is the longest known stage name before a dot. */
static int coordinate(rill_pipeline *p, entries *es, const char *key, const char *value,
                      size_t line)
{
    const char *dot;
    for (dot = strrchr(key, '.'); dot; ) {
        char name[256];
        size_t len = (size_t)(dot - key);
        if (len < sizeof(name)) {
            memcpy(name, key, len);
            name[len] = '\0';
            if (rill__stage_find(p, name) >= 0)
                return push(es, key, len, dot + 1, value, line);
        }
        if (dot == key)
            break;
        while (--dot > key && *dot != '.')
            ;
        if (*dot != '.')
            break;
    }
    dot = strchr(key, '.');
    if (dot == NULL)
        return rill__error(RILL_EINVAL, "line %zu: '%s' is neither stage.field nor a "
                                        "mapping of fields", line, key);
    return push(es, key, (size_t)(dot - key), dot + 1, value, line);
}

static int collect(rill_pipeline *p, yaml_document_t *d, entries *es)
{
    yaml_node_t *root = yaml_document_get_root_node(d);
    yaml_node_pair_t *pair;
    if (root == NULL)
        return 0; /* an empty document configures nothing */
    if (root->type != YAML_MAPPING_NODE)
        return rill__error(RILL_EINVAL, "line %zu: the configuration must be a mapping",
                           root->start_mark.line + 1);
    for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
        const char *key = scalar(d, pair->key), *v = scalar(d, pair->value);
        yaml_node_t *val = yaml_document_get_node(d, pair->value);
        size_t line = val->start_mark.line + 1;
        yaml_node_pair_t *f;
        int rc;
        if (key == NULL)
            return rill__error(RILL_EINVAL, "line %zu: a key must be text", line);
        if (v) {
            if ((rc = coordinate(p, es, key, v, line)) < 0)
                return rc;
            continue;
        }
        if (val->type != YAML_MAPPING_NODE)
            return rill__error(RILL_EINVAL, "line %zu: '%s' must be a value or a mapping",
                               line, key);
        for (f = val->data.mapping.pairs.start; f < val->data.mapping.pairs.top; f++) {
            const char *field = scalar(d, f->key), *fv = scalar(d, f->value);
            yaml_node_t *fn = yaml_document_get_node(d, f->value);
            size_t fline = fn->start_mark.line + 1;
            if (field == NULL)
                return rill__error(RILL_EINVAL, "line %zu: a field name must be text", fline);
            if (fv == NULL && strcmp(field, "context") == 0 && fn->type == YAML_MAPPING_NODE) {
                yaml_node_pair_t *c;
                for (c = fn->data.mapping.pairs.start; c < fn->data.mapping.pairs.top; c++) {
                    const char *ck = scalar(d, c->key), *cv = scalar(d, c->value);
                    char full[512];
                    if (ck == NULL || cv == NULL)
                        return rill__error(RILL_EINVAL, "line %zu: context values must be "
                                                        "text", fline);
                    snprintf(full, sizeof(full), "context.%s", ck);
                    if ((rc = push(es, key, strlen(key), full, cv, fline)) < 0)
                        return rc;
                }
                continue;
            }
            if (fv == NULL)
                return rill__error(RILL_EINVAL, "line %zu: %s.%s must be a value", fline, key,
                                   field);
            if ((rc = push(es, key, strlen(key), field, fv, fline)) < 0)
                return rc;
        }
    }
    return 0;
}

/* A configuration is at most stage: context: key: value deep. */
#define RILL__YAML_MAX_DEPTH 64

/* Refuses a document nested deeper than the limit, naming the line where it
 * goes too deep; malformed YAML is left for the loader to report. */
static int check_depth(const char *yaml, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int depth = 0, rc = 0, done = 0;
    if (!yaml_parser_initialize(&parser))
        return rill__error(RILL_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &ev))
            break;
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
            if (++depth > RILL__YAML_MAX_DEPTH)
                rc = rill__error(RILL_EINVAL, "line %zu: nested deeper than %d levels",
                                 ev.start_mark.line + 1, RILL__YAML_MAX_DEPTH);
        } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int rill_configure_yaml(rill_pipeline *p, const char *yaml, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    entries es = {NULL, 0, 0};
    size_t i;
    int rc = 0, loaded = 0;
    if (p == NULL || (yaml == NULL && len))
        return rill__error(RILL_EINVAL, "rill_configure_yaml: NULL argument");
    if ((rc = check_depth(yaml ? yaml : "", len)) < 0)
        return rc;
    if (!yaml_parser_initialize(&parser))
        return rill__error(RILL_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)(yaml ? yaml : ""), len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = rill__error(RILL_EINVAL, "line %zu: %s", parser.problem_mark.line + 1,
                         parser.problem ? parser.problem : "malformed YAML");
        goto done;
    }
    loaded = 1;
    if ((rc = collect(p, &doc, &es)) < 0)
        goto done;
    for (i = 0; i < es.n; i++) /* check everything, then apply everything */
        if ((rc = configure(p, es.v[i].stage, es.v[i].field, es.v[i].value, 0)) < 0) {
            char why[RILL__ERROR_MAX - 32];
            snprintf(why, sizeof(why), "%s", rill_error_last());
            rc = rill__error(rc, "line %zu: %s", es.v[i].line, why);
            goto done;
        }
    for (i = 0; i < es.n; i++)
        if ((rc = configure(p, es.v[i].stage, es.v[i].field, es.v[i].value, 1)) < 0)
            goto done;
done:
    free(es.v);
    if (loaded)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int rill_configure_yaml_file(rill_pipeline *p, const char *path)
{
    FILE *f;
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    int rc;
    if (path == NULL)
        return rill__error(RILL_EINVAL, "rill_configure_yaml_file: path is NULL");
    if ((f = fopen(path, "rb")) == NULL)
        return rill__error(RILL_EIO, "cannot open %s: %s", path, strerror(errno));
    do {
        if (len == cap) {
            char *n = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (n == NULL) {
                free(buf);
                fclose(f);
                return rill__error(RILL_ENOMEM, "out of memory reading %s", path);
            }
            buf = n;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return rill__error(RILL_EIO, "cannot read %s", path);
    }
    fclose(f);
    rc = rill_configure_yaml(p, buf, len);
    if (rc < 0) {
        char why[RILL__ERROR_MAX - 64];
        snprintf(why, sizeof(why), "%s", rill_error_last());
        rc = rill__error(rc, "%s: %s", path, why);
    }
    free(buf);
    return rc;
}
