/* compile_spec.c — reads the spec of `rill compile` (compile_spec.h) from
 * the YAML tree: db:, inputs: (a catalog's name, or a mapping with
 * catalog:, job:, since:, to:), output: and compile: (kind: and its
 * options), then applies the -s overrides and reads each input's job.
 * Every error is reported at its file:line:column, all of them at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "compile_spec.h"
#include "xalloc.h"

static const char *const top_keys[] = {"db", "inputs", "output", "compile", NULL};

static const cli_option_doc input_opts[] = {
    {"job", "derived|changes|no_changes|reprocess", "derived", "what to compile of the input"},
    {"since", "int", NULL, "changes: the version the changes start from"},
    {"to", "int", "latest", "changes, no_changes, reprocess: the version to compile"},
    {NULL, NULL, NULL, NULL}};

static const char *type_name(const spec_node *n)
{
    return n->type == SPEC_MAP ? "a mapping" : n->type == SPEC_SEQ ? "a list" : "a value";
}

int compile_spec_sniff(const char *file)
{
    spec_node *root = spec_sniff_tree(file);
    int rc;
    if (root == NULL)
        return -1;
    rc = spec_map_get(root, "compile") != NULL && spec_map_get(root, "sources") == NULL;
    spec_node_free(root);
    return rc;
}

/* A scalar at key of the root, or NULL; an error when it is another thing
 * or (required) missing. */
static const char *scalar(spec *s, const char *key, int required, const char *what, int *bad)
{
    const spec_node *v = spec_map_get(s->root, key);
    if (v == NULL) {
        if (required) {
            cli_error_at(s->file, s->root->line, s->root->column, "the spec has no %s: (%s)",
                         key, what);
            *bad = 1;
        }
        return NULL;
    }
    if (v->type != SPEC_SCALAR || v->text[0] == '\0') {
        cli_error_at(s->file, v->line, v->column, "%s: expected %s, found %s", key, what,
                     v->type == SPEC_SCALAR ? "nothing" : type_name(v));
        *bad = 1;
        return NULL;
    }
    return v->text;
}

static void read_inputs(spec *s, const spec_node *list, int *bad)
{
    static const char *const skip[] = {"catalog", NULL};
    const spec_node *const *items = (const spec_node *const *)list->vals;
    size_t i, j, n = list->n;
    if (list->type == SPEC_SCALAR) { /* one input: its name */
        items = &list;
        n = 1;
    }
    if ((list->type != SPEC_SEQ && list->type != SPEC_SCALAR) || n == 0) {
        cli_error_at(s->file, list->line, list->column,
                     "inputs: expected a list of catalogs (names, or mappings with catalog:)%s",
                     list->type == SPEC_SEQ ? ", found none" : "");
        *bad = 1;
        return;
    }
    s->sources = cli_xcalloc(n, sizeof(*s->sources));
    for (i = 0; i < n; i++) {
        const spec_node *in = items[i], *name = in;
        spec_source *src = &s->sources[s->nsources];
        if (in->type == SPEC_MAP) {
            if ((name = spec_map_get(in, "catalog")) == NULL) {
                cli_error_at(s->file, in->line, in->column,
                             "an input needs catalog: (the input catalog's name)");
                *bad = 1;
                continue;
            }
            if (spec_read_opts(s, in, skip, "input", &src->opts) < 0)
                *bad = 1;
        } else {
            src->opts.file = s->file;
            src->opts.line = in->line;
            src->opts.column = in->column;
        }
        if (name->type != SPEC_SCALAR || name->text[0] == '\0') {
            cli_error_at(s->file, name->line, name->column,
                         "an input is a catalog's name, or a mapping with catalog:, found %s",
                         name->type == SPEC_SCALAR ? "nothing" : type_name(name));
            *bad = 1;
            for (j = 0; j < src->opts.n; j++)
                if (src->opts.v[j].text == NULL)
                    free(src->opts.v[j].items);
            free(src->opts.v);
            memset(&src->opts, 0, sizeof(src->opts));
            continue;
        }
        src->node = in;
        src->name = name->text;
        src->kind = "catalog";
        src->opts.stage = src->name;
        src->opts.kind = src->kind;
        for (j = 0; j < s->nsources; j++)
            if (strcmp(s->sources[j].name, src->name) == 0) {
                cli_error_at(s->file, name->line, name->column,
                             "the catalog '%s' is an input already (line %d, column %d)",
                             src->name, s->sources[j].opts.line, s->sources[j].opts.column);
                *bad = 1;
            }
        s->nsources++;
    }
}

/* "compile " + kind, owned by the spec. */
static const char *own_kind(spec *s, const char *kind)
{
    size_t len = strlen(kind) + 9;
    char *k = cli_xmalloc(len);
    snprintf(k, len, "compile %s", kind);
    s->owned = cli_xrealloc(s->owned, (s->nowned + 1) * sizeof(*s->owned));
    s->owned[s->nowned++] = k;
    return k;
}

static void read_compile(spec *s, const spec_node *n, int *bad)
{
    static const char *const skip[] = {"kind", NULL};
    spec_stage *st;
    const spec_node *kind = n;
    if (n->type == SPEC_MAP)
        kind = spec_map_get(n, "kind");
    if (kind == NULL || kind->type != SPEC_SCALAR || kind->text[0] == '\0') {
        const spec_node *at = kind ? kind : n;
        cli_error_at(s->file, at->line, at->column,
                     "compile: expected a kind (postings, stats or concat)%s",
                     n->type == SPEC_SEQ ? ", not a list" : "");
        *bad = 1;
        return;
    }
    s->stages = cli_xcalloc(1, sizeof(*s->stages));
    st = &s->stages[0];
    st->node = n;
    st->kind_node = kind;
    st->name = "compile";
    /* "compile postings": errors say "compile:" (opts.c) */
    st->kind = own_kind(s, kind->text);
    if (n->type == SPEC_MAP) {
        if (spec_read_opts(s, n, skip, "compile", &st->opts) < 0)
            *bad = 1;
    } else {
        st->opts.file = s->file;
        st->opts.line = n->line;
        st->opts.column = n->column;
    }
    st->opts.stage = st->name;
    st->opts.kind = st->kind;
    s->nstages = 1;
}

/* The job of input i from its options (after the overrides). */
static int read_job(rill_compile_job *job, const cli_opts *o)
{
    static const char *const kinds[] = {"derived", "changes", "no_changes", "reprocess", NULL};
    const char *to = NULL;
    int kind = RILL_JOB_DERIVED, rc, has_since, has_to;
    int64_t v;
    job->kind = RILL_JOB_DERIVED;
    job->since = 0;
    job->to = RILL_CATALOG_LATEST;
    if (cli_opt_enum(o, "job", kinds, &kind) < 0)
        return -1;
    job->kind = kind;
    if ((rc = cli_opt_int(o, "since", 0, INT64_MAX, &job->since)) < 0)
        return -1;
    has_since = rc == 0;
    if ((rc = cli_opt_str(o, "to", &to)) < 0)
        return -1;
    has_to = rc == 0;
    if (has_to && strcmp(to, "latest") != 0) {
        if (cli_opt_int(o, "to", 0, INT64_MAX, &v) < 0)
            return -1;
        job->to = v;
    }
    if (kind == RILL_JOB_CHANGES && !has_since)
        return cli_error(o, "job", "job changes needs since: (the version the changes start "
                         "from)");
    if (kind != RILL_JOB_CHANGES && has_since)
        return cli_error(o, "since", "since: is for job: changes, not %s", kinds[kind]);
    if (kind == RILL_JOB_DERIVED && has_to)
        return cli_error(o, "to", "to: is for job: changes, no_changes or reprocess; a derived "
                         "job compiles up to the latest version");
    return cli_unknown_keys(o, input_opts, 0, 0);
}

int compile_spec_load(compile_spec **out, const char *file, char *const *sets, int nsets)
{
    compile_spec *c = cli_xcalloc(1, sizeof(*c));
    spec *s = cli_xcalloc(1, sizeof(*s));
    const spec_node *r, *v;
    char *text = NULL;
    size_t len, i;
    int bad = 0, rc;
    *out = NULL;
    c->s = s;
    s->file = cli_xstrdup(file);
    if (spec_read_file(&text, &len, file) < 0)
        goto fail;
    rc = spec_parse_tree(&s->root, s->file, text, len);
    free(text);
    if (rc < 0)
        goto fail;
    r = s->root;
    if (r->type != SPEC_MAP) {
        cli_error_at(s->file, r->line, r->column, "a compile spec is a mapping with inputs:, "
                     "output: and compile:, found %s", type_name(r));
        goto fail;
    }
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
                         "unknown key '%s': a compile spec has db:, inputs:, output: and "
                         "compile:", k);
        bad = 1;
    }
    c->db = scalar(s, "db", 0, "the path of the catalogs' file", &bad);
    c->output = scalar(s, "output", 1, "the output catalog's name", &bad);
    if ((v = spec_map_get(r, "inputs")) == NULL) {
        cli_error_at(s->file, r->line, r->column, "the spec has no inputs: (the input catalogs)");
        bad = 1;
    } else
        read_inputs(s, v, &bad);
    if ((v = spec_map_get(r, "compile")) == NULL) {
        cli_error_at(s->file, r->line, r->column,
                     "the spec has no compile: (kind: postings, stats or concat)");
        bad = 1;
    } else
        read_compile(s, v, &bad);
    for (i = 0; c->output && i < s->nsources; i++)
        if (strcmp(s->sources[i].name, c->output) == 0) {
            v = spec_map_get(r, "output");
            cli_error_at(s->file, v->line, v->column,
                         "output: '%s' is an input too: a compile writes another catalog",
                         c->output);
            bad = 1;
        }
    s->output.file = s->file;
    s->output.line = r->line;
    s->output.column = r->column;
    s->output.stage = "output";
    s->output.kind = "output";
    for (i = 0; i < (size_t)nsets; i++)
        if (spec_override(s, sets[i], (int)i + 1) < 0)
            bad = 1;
    if (s->output.n > 0) {
        cli_error(&s->output, s->output.v[0].key, "the output is a catalog's name (output: "
                  "NAME): it has no options");
        bad = 1;
    }
    c->jobs = cli_xcalloc(s->nsources + 1, sizeof(*c->jobs));
    for (i = 0; i < s->nsources; i++)
        if (read_job(&c->jobs[i], &s->sources[i].opts) < 0)
            bad = 1;
    *out = c; /* with errors too: the compile's options are checked for more */
    return bad ? -1 : 0;
fail:
    compile_spec_free(c);
    return -1;
}

void compile_spec_free(compile_spec *c)
{
    if (c == NULL)
        return;
    spec_free(c->s);
    free(c->jobs);
    free(c);
}
