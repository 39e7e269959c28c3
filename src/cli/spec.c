/* spec.c — reads a spec's parts from its YAML tree (spec_yaml.c): the
 * sources, the stages with their options and `input:` names, the output;
 * and applies `-s NAME.KEY=VALUE` overrides.
 *
 * What is checked here is the shape: each part where it belongs, names
 * unique and well formed, options plain values or lists of them. Whether a
 * kind exists, its options and the wiring are checked when the pipeline is
 * built (build.c), so that one `rill check` reports them all. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "xalloc.h"

static const char *const top_keys[] = {"sources", "stages", "output", "plugins", NULL};

static int valid_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static const char *type_name(const spec_node *n)
{
    return n->type == SPEC_MAP ? "a mapping" : n->type == SPEC_SEQ ? "a list" : "a value";
}

int spec_read_opts(const spec *s, const spec_node *map, const char *const *skip,
                     const char *name, cli_opts *o)
{
    size_t i, j;
    int rc = 0;
    o->file = s->file;
    o->line = map->line;
    o->column = map->column;
    o->v = cli_xcalloc(map->n, sizeof(*o->v));
    o->n = 0;
    for (i = 0; i < map->n; i++) {
        const spec_node *k = map->keys[i], *v = map->vals[i];
        cli_value *cv;
        for (j = 0; skip[j] && strcmp(skip[j], k->text) != 0; j++)
            ;
        if (skip[j])
            continue;
        cv = &o->v[o->n];
        cv->key = k->text;
        cv->file = s->file;
        cv->line = v->line;
        cv->column = v->column;
        if (v->type == SPEC_SCALAR)
            cv->text = v->text;
        else if (v->type == SPEC_SEQ) {
            cv->items = cli_xcalloc(v->n, sizeof(*cv->items));
            cv->nitems = v->n;
            for (j = 0; j < v->n; j++) {
                if (v->vals[j]->type != SPEC_SCALAR) {
                    cli_error_at(s->file, v->vals[j]->line, v->vals[j]->column,
                                 "%s: option '%s': expected a list of values, found %s in it",
                                 name, k->text, type_name(v->vals[j]));
                    rc = -1;
                    cv->items[j] = "";
                } else
                    cv->items[j] = v->vals[j]->text;
            }
        } else {
            cli_error_at(s->file, v->line, v->column,
                         "%s: option '%s': expected a value or a list of values, not a mapping",
                         name, k->text);
            rc = -1;
            continue;
        }
        o->n++;
    }
    return rc;
}

/* The scalar at key of map, or NULL (with an error when it is not one). */
static const char *scalar_at(const spec *s, const spec_node *map, const char *key, int *bad)
{
    const spec_node *v = spec_map_get(map, key);
    if (v == NULL)
        return NULL;
    if (v->type != SPEC_SCALAR) {
        cli_error_at(s->file, v->line, v->column, "'%s' must be a value, not %s", key,
                     type_name(v));
        *bad = 1;
        return NULL;
    }
    return v->text;
}

static int check_name(const spec *s, const spec_node *map, const char *name, int *bad)
{
    const spec_node *at = spec_map_get(map, "name");
    if (at == NULL)
        at = spec_map_get(map, "kind");
    if (at == NULL)
        at = map;
    if (!valid_name(name)) {
        cli_error_at(s->file, at->line, at->column,
                     "the name '%s' may hold only letters, digits, '-' and '_'", name);
        *bad = 1;
        return -1;
    }
    return 0;
}

static int read_sources(spec *s, const spec_node *list)
{
    static const char *const skip[] = {"name", "kind", NULL};
    static const spec_node none;
    size_t i;
    int bad = 0;
    if (list->type != SPEC_SEQ)
        return cli_error_at(s->file, list->line, list->column,
                            "sources: expected a list of sources, found %s", type_name(list));
    s->sources = cli_xcalloc(list->n, sizeof(*s->sources));
    for (i = 0; i < list->n; i++) {
        const spec_node *n = list->vals[i];
        spec_source *src = &s->sources[s->nsources];
        src->node = n;
        if (n->type == SPEC_SCALAR) {
            /* shorthand: a path or glob of lines, or - for standard input */
            cli_value *v = cli_xcalloc(1, sizeof(*v));
            int stdin_ = strcmp(n->text, "-") == 0;
            src->kind = stdin_ ? "stdin" : "lines";
            src->name = stdin_ ? "stdin" : "lines";
            src->opts.file = s->file;
            src->opts.line = n->line;
            src->opts.column = n->column;
            if (!stdin_) {
                v->key = "files";
                v->text = n->text;
                v->file = s->file;
                v->line = n->line;
                v->column = n->column;
                src->opts.v = v;
                src->opts.n = 1;
            } else
                src->opts.v = v;
        } else if (n->type == SPEC_MAP) {
            src->kind = scalar_at(s, n, "kind", &bad);
            if (src->kind == NULL) {
                if (!bad)
                    cli_error_at(s->file, n->line, n->column,
                                 "a source needs a kind (lines, records, sequence, stdin...)");
                bad = 1;
                continue;
            }
            src->name = scalar_at(s, n, "name", &bad);
            if (src->name == NULL)
                src->name = src->kind;
            char what[300];
            snprintf(what, sizeof(what), "source '%s'", src->name);
            if (spec_read_opts(s, n, skip, what, &src->opts) < 0)
                bad = 1;
        } else {
            cli_error_at(s->file, n->line, n->column,
                         "a source is a path or a mapping with a kind, not a list");
            bad = 1;
            continue;
        }
        check_name(s, n->type == SPEC_MAP ? n : &none, src->name, &bad);
        src->opts.stage = src->name;
        src->opts.kind = src->kind;
        s->nsources++;
    }
    return bad ? -1 : 0;
}

/* `input:` or `loop_input:`: a name or a list of names, into *names and
 * *nodes (owned arrays) and *count. */
static int read_names(spec *s, const spec_node *in, const char *key, const char ***names,
                      const spec_node ***nodes, size_t *count)
{
    size_t i;
    int bad = 0;
    if (in->type == SPEC_SCALAR) {
        *names = cli_xcalloc(1, sizeof(**names));
        *nodes = cli_xcalloc(1, sizeof(**nodes));
        (*names)[0] = in->text;
        (*nodes)[0] = in;
        *count = 1;
        return 0;
    }
    if (in->type != SPEC_SEQ || in->n == 0)
        return cli_error_at(s->file, in->line, in->column,
                            "%s: expected a name or a list of names", key);
    *names = cli_xcalloc(in->n, sizeof(**names));
    *nodes = cli_xcalloc(in->n, sizeof(**nodes));
    for (i = 0; i < in->n; i++) {
        if (in->vals[i]->type != SPEC_SCALAR) {
            cli_error_at(s->file, in->vals[i]->line, in->vals[i]->column,
                         "%s: expected the names of stages or sources", key);
            bad = 1;
            continue;
        }
        (*names)[*count] = in->vals[i]->text;
        (*nodes)[(*count)++] = in->vals[i];
    }
    return bad ? -1 : 0;
}

static int read_stage(spec *s, const spec_node *n, spec_stage *st)
{
    static const char *const skip[] = {"name", "kind", "input", "loop_input", NULL};
    const spec_node *in;
    int bad = 0;
    st->node = n;
    if (n->type != SPEC_MAP)
        return cli_error_at(s->file, n->line, n->column,
                            "a stage is a mapping with a kind (kind: words), found %s",
                            type_name(n));
    st->kind_node = spec_map_get(n, "kind");
    st->kind = scalar_at(s, n, "kind", &bad);
    if (st->kind == NULL && !bad && spec_map_get(n, "use")) {
        /* use: LIB:ENTRY, a reusable piece (or any entry) of a plugin:
         * kind plugin, named after the entry unless named (plugins.c) */
        const char *use = scalar_at(s, n, "use", &bad), *colon;
        if (use == NULL)
            return -1;
        st->kind_node = spec_map_get(n, "use");
        st->kind = "plugin";
        colon = strrchr(use, ':');
        st->name = colon ? colon + 1 : use;
        if (colon == NULL && (strchr(use, '/') || strstr(use, ".so"))) {
            cli_error_at(s->file, st->kind_node->line, st->kind_node->column,
                         "use: '%s' names a library but no entry in it: use: %s:ENTRY", use,
                         use);
            st->kind = NULL; /* not a stage to build */
            return -1;
        }
    }
    if (st->kind == NULL) {
        if (!bad)
            cli_error_at(s->file, n->line, n->column, "a stage needs a kind (kind: words...)");
        return -1;
    }
    if (spec_map_get(n, "name") || st->name == NULL)
        st->name = scalar_at(s, n, "name", &bad);
    if (st->name == NULL)
        st->name = st->kind;
    check_name(s, n, st->name, &bad);
    if ((in = spec_map_get(n, "input")) != NULL) {
        s->graph = 1;
        if (read_names(s, in, "input", &st->inputs, &st->input_nodes, &st->ninputs) < 0)
            bad = 1;
    }
    if ((in = spec_map_get(n, "loop_input")) != NULL) {
        s->graph = 1;
        if (read_names(s, in, "loop_input", &st->loops, &st->loop_nodes, &st->nloops) < 0)
            bad = 1;
    }
    {
        char what[300];
        snprintf(what, sizeof(what), "stage '%s'", st->name);
        if (spec_read_opts(s, n, skip, what, &st->opts) < 0)
            bad = 1;
    }
    st->opts.stage = st->name;
    st->opts.kind = st->kind;
    return bad ? -1 : 0;
}

/* Names are unique across sources and stages. */
static int check_unique(spec *s)
{
    size_t i, j, n = s->nsources + s->nstages;
    int bad = 0;
    for (i = 0; i < n; i++) {
        const char *a = i < s->nsources ? s->sources[i].name : s->stages[i - s->nsources].name;
        const cli_opts *ao = i < s->nsources ? &s->sources[i].opts
                                             : &s->stages[i - s->nsources].opts;
        for (j = 0; j < i; j++) {
            const char *b = j < s->nsources ? s->sources[j].name
                                            : s->stages[j - s->nsources].name;
            const cli_opts *bo = j < s->nsources ? &s->sources[j].opts
                                                 : &s->stages[j - s->nsources].opts;
            if (strcmp(a, b) == 0) {
                cli_error_at(s->file, ao->line, ao->column,
                             "the name '%s' is taken (line %d, column %d): give this one "
                             "another with name:", a, bo->line, bo->column);
                bad = 1;
                break;
            }
        }
    }
    return bad ? -1 : 0;
}

static int read_spec(spec *s)
{
    const spec_node *r = s->root, *v;
    size_t i;
    int bad = 0;
    if (r->type != SPEC_MAP)
        return cli_error_at(s->file, r->line, r->column,
                            "a spec is a mapping with sources:, stages: and output:, "
                            "found %s", type_name(r));
    for (i = 0; i < r->n; i++) {
        const char *k = r->keys[i]->text, *near;
        size_t j;
        for (j = 0; top_keys[j] && strcmp(top_keys[j], k) != 0; j++)
            ;
        if (top_keys[j])
            continue;
        near = cli_did_you_mean(k, top_keys);
        if (near)
            cli_error_at(s->file, r->keys[i]->line, r->keys[i]->column,
                         "unknown key '%s' (did you mean '%s'?)", k, near);
        else
            cli_error_at(s->file, r->keys[i]->line, r->keys[i]->column,
                         "unknown key '%s': a spec has sources:, stages:, output: and "
                         "plugins:", k);
        bad = 1;
    }
    if ((v = spec_map_get(r, "sources")) == NULL) {
        cli_error_at(s->file, r->line, r->column, "the spec has no sources:");
        bad = 1;
    } else if (read_sources(s, v) < 0)
        bad = 1;
    if ((v = spec_map_get(r, "stages")) != NULL) {
        if (v->type != SPEC_SEQ) {
            cli_error_at(s->file, v->line, v->column,
                         "stages: expected a list of stages, found %s", type_name(v));
            bad = 1;
        } else {
            s->stages = cli_xcalloc(v->n, sizeof(*s->stages));
            for (i = 0; i < v->n; i++) {
                if (read_stage(s, v->vals[i], &s->stages[s->nstages]) < 0)
                    bad = 1;
                if (s->stages[s->nstages].kind)
                    s->nstages++;
            }
        }
    }
    if ((v = spec_map_get(r, "plugins")) != NULL) {
        if (v->type != SPEC_SEQ) {
            cli_error_at(s->file, v->line, v->column,
                         "plugins: expected a list of shared objects ([libfoo.so]), found %s",
                         type_name(v));
            bad = 1;
        } else {
            int listed = 1;
            for (i = 0; i < v->n; i++)
                if (v->vals[i]->type != SPEC_SCALAR || v->vals[i]->text[0] == '\0') {
                    cli_error_at(s->file, v->vals[i]->line, v->vals[i]->column,
                                 "plugins: expected the path of a shared object");
                    listed = 0;
                    bad = 1;
                }
            if (listed)
                s->plugins = v;
        }
    }
    if ((v = spec_map_get(r, "output")) != NULL) {
        static const char *const skip[] = {NULL};
        if (v->type != SPEC_MAP) {
            cli_error_at(s->file, v->line, v->column,
                         "output: expected a mapping (format:, dir:...), found %s",
                         type_name(v));
            bad = 1;
        } else if (spec_read_opts(s, v, skip, "output", &s->output) < 0)
            bad = 1;
    } else {
        s->output.file = s->file;
        s->output.line = r->line;
        s->output.column = r->column;
    }
    s->output.stage = "output";
    s->output.kind = "output";
    if (check_unique(s) < 0)
        bad = 1;
    return bad ? -1 : 0;
}

int spec_read_file(char **text, size_t *len, const char *file)
{
    FILE *f = fopen(file, "rb");
    size_t cap = 4096, got;
    *text = NULL;
    *len = 0;
    if (f == NULL)
        return cli_error_at(file, 0, 0, "cannot open the spec: %s", strerror(errno));
    *text = cli_xmalloc(cap);
    while ((got = fread(*text + *len, 1, cap - *len, f)) > 0) {
        *len += got;
        if (*len == cap)
            *text = cli_xrealloc(*text, cap *= 2);
    }
    if (ferror(f)) {
        cli_error_at(file, 0, 0, "cannot read the spec: %s", strerror(errno));
        fclose(f);
        free(*text);
        *text = NULL;
        return -1;
    }
    fclose(f);
    return 0;
}

int spec_load(spec **out, const char *file, const char *bytes, size_t len)
{
    spec *s = cli_xcalloc(1, sizeof(*s));
    char *text = NULL;
    int rc;
    *out = NULL;
    s->file = cli_xstrdup(file);
    if (bytes == NULL) {
        if (spec_read_file(&text, &len, file) < 0) {
            spec_free(s);
            return -1;
        }
        bytes = text;
    }
    rc = spec_parse_tree(&s->root, s->file, bytes, len);
    free(text);
    if (rc < 0) {
        spec_free(s);
        return -1;
    }
    /* a spec with errors of shape is still built, for the errors after them,
     * unless it is not even a mapping */
    s->bad = read_spec(s) < 0;
    if (s->root->type != SPEC_MAP) {
        spec_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

static void free_opts(cli_opts *o)
{
    size_t i;
    for (i = 0; i < o->n; i++)
        if (o->v[i].text == NULL)
            free(o->v[i].items);
    free(o->v);
}

void spec_free(spec *s)
{
    size_t i;
    if (s == NULL)
        return;
    for (i = 0; i < s->nsources; i++)
        free_opts(&s->sources[i].opts);
    for (i = 0; i < s->nstages; i++) {
        free_opts(&s->stages[i].opts);
        free(s->stages[i].inputs);
        free(s->stages[i].input_nodes);
        free(s->stages[i].loops);
        free(s->stages[i].loop_nodes);
    }
    free(s->sources);
    free(s->stages);
    free_opts(&s->output);
    for (i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    free(s->owned);
    spec_node_free(s->root);
    free(s->file);
    free(s);
}

static void *own(spec *s, void *p)
{
    s->owned = cli_xrealloc(s->owned, (s->nowned + 1) * sizeof(*s->owned));
    s->owned[s->nowned++] = p;
    return p;
}

int spec_override(spec *s, const char *arg, int index)
{
    const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
    const char *reserved[] = {"name", "kind", "input", "loop_input", NULL};
    cli_opts *o = NULL;
    cli_value *v = NULL;
    char *name, *key, *value;
    size_t i, nnames = s->nsources + s->nstages + 1;
    if (dot == NULL || eq == NULL || dot > eq || dot == arg || eq == dot + 1)
        return cli_error_at("-s", index, 1, "'%s': expected NAME.KEY=VALUE "
                            "(a stage's, source's or output's option)", arg);
    name = own(s, cli_xmalloc((size_t)(dot - arg) + 1));
    memcpy(name, arg, (size_t)(dot - arg));
    name[dot - arg] = '\0';
    key = own(s, cli_xmalloc((size_t)(eq - dot)));
    memcpy(key, dot + 1, (size_t)(eq - dot - 1));
    key[eq - dot - 1] = '\0';
    value = own(s, cli_xstrdup(eq + 1));
    for (i = 0; i < s->nsources && o == NULL; i++)
        if (strcmp(s->sources[i].name, name) == 0)
            o = &s->sources[i].opts;
    for (i = 0; i < s->nstages && o == NULL; i++)
        if (strcmp(s->stages[i].name, name) == 0)
            o = &s->stages[i].opts;
    if (o == NULL && strcmp(name, "output") == 0)
        o = &s->output;
    if (o == NULL) {
        const char **names = cli_xcalloc(nnames + 1, sizeof(*names)), *near;
        size_t n = 0;
        for (i = 0; i < s->nsources; i++)
            names[n++] = s->sources[i].name;
        for (i = 0; i < s->nstages; i++)
            names[n++] = s->stages[i].name;
        names[n++] = "output";
        near = cli_did_you_mean(name, names);
        if (near)
            cli_error_at("-s", index, 1, "no stage or source named '%s' (did you mean '%s'?)",
                         name, near);
        else
            cli_error_at("-s", index, 1, "no stage or source named '%s' in %s", name, s->file);
        free(names);
        return -1;
    }
    for (i = 0; reserved[i]; i++)
        if (strcmp(key, reserved[i]) == 0)
            return cli_error_at("-s", index, (int)(dot - arg) + 2,
                                "'%s' of a stage cannot be overridden, only its options", key);
    for (i = 0; i < o->n; i++)
        if (strcmp(o->v[i].key, key) == 0)
            v = &o->v[i];
    if (v == NULL) {
        o->v = cli_xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
        v = &o->v[o->n++];
        memset(v, 0, sizeof(*v));
        v->key = key;
    } else if (v->text == NULL)
        free(v->items);
    v->text = NULL;
    v->items = NULL;
    v->nitems = 0;
    v->file = "-s";
    v->line = index;
    v->column = (int)(eq - arg) + 2;
    {
        size_t len = strlen(value);
        if (len >= 2 && value[0] == '[' && value[len - 1] == ']') {
            /* a list: [a, b, c] */
            char *p = value + 1, *tok;
            value[len - 1] = '\0';
            v->items = cli_xcalloc(len, sizeof(*v->items));
            while ((tok = strsep(&p, ",")) != NULL) {
                char *e;
                while (*tok == ' ')
                    tok++;
                e = tok + strlen(tok);
                while (e > tok && e[-1] == ' ')
                    *--e = '\0';
                if (*tok || p)
                    v->items[v->nitems++] = tok;
            }
        } else
            v->text = value;
    }
    return 0;
}
