/* build.c — a spec into a pipeline: the source, each stage through its
 * built-in's add function (cli_add_* below), the wiring, the output.
 *
 * A chain is built with the inline API in the order of `stages:` (also
 * when its input: names only ever name the stage just before). With
 * `input:` names the builder checks the names (did-you-mean for unknown
 * ones) and refuses cycles (build_graph.c), then adds the stages in an
 * order where every input comes first, joining each to its inputs with
 * rill_edge. Errors go
 * on being collected after the first, so `rill check` lists them all. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "output.h"
#include "plugins.h"
#include "sources.h"
#include "stage_exec.h"
#include "xalloc.h"

/* Options every stage has, applied to each pipeline stage it adds. */
static const char *const common_keys[] = {"batch_size", "concurrency", "serial", NULL};

/* How many sources and stages of the spec are named name. */
static size_t named(const spec *s, const char *name)
{
    size_t i, n = 0;
    for (i = 0; i < s->nsources; i++)
        n += strcmp(s->sources[i].name, name) == 0;
    for (i = 0; i < s->nstages; i++)
        n += strcmp(s->stages[i].name, name) == 0;
    return n;
}

static int pipeline_error(const cli_build *b, const cli_opts *o, const char *call, int rc)
{
    /* a name given twice was reported where the spec was read: the pipeline
     * refusing the second stage of that name would only say it again */
    if (b->s && o->stage && named(b->s, o->stage) > 1)
        return -1;
    return cli_error(o, NULL, "%s: %s: %s", call, rill_strerror(rc), rill_error_last());
}

static cli_node *node_add(cli_build *b, const cli_opts *o, const char *name, const char *type)
{
    cli_node *n;
    b->nodes = cli_xrealloc(b->nodes, (b->nnodes + 1) * sizeof(*b->nodes));
    n = &b->nodes[b->nnodes++];
    memset(n, 0, sizeof(*n));
    n->name = cli_xstrdup(name);
    n->spec_name = o->stage;
    n->kind = o->kind;
    n->type = type;
    n->state = "none";
    n->line = o->line;
    n->column = o->column;
    return n;
}

static int edge_add(cli_build *b, const cli_opts *o, const char *from, const char *to)
{
    int rc;
    b->edges = cli_xrealloc(b->edges, (b->nedges + 1) * sizeof(*b->edges));
    b->edges[b->nedges].from = cli_xstrdup(from);
    b->edges[b->nedges].to = cli_xstrdup(to);
    b->nedges++;
    if (b->graph && (rc = rill_edge(b->p, from, to)) < 0)
        return pipeline_error(b, o, "rill_edge", rc);
    return 0;
}

/* Joins the stage just added to what it follows. */
static int wire(cli_build *b, const cli_opts *o, const char *name)
{
    size_t i;
    int rc = 0;
    b->cur_keyed = 0;
    if (b->nnodes - 1 > b->cur_first) /* after the spec stage's earlier stage */
        return edge_add(b, o, b->nodes[b->nnodes - 2].name, name);
    for (i = 0; i < b->ncur_inputs; i++)
        if (edge_add(b, o, b->cur_inputs[i], name) < 0)
            rc = -1;
    return rc;
}

int cli_add_job(cli_build *b, const cli_opts *o, const char *name,
                const rill_stage_options *opts, rill_job_fn fn, void *payload)
{
    int rc = rill_job(b->p, name, opts, fn, payload);
    cli_node *n;
    if (rc < 0)
        return pipeline_error(b, o, "rill_job", rc);
    n = node_add(b, o, name, "job");
    n->serial = opts && opts->serial;
    return wire(b, o, name);
}

int cli_add_task(cli_build *b, const cli_opts *o, const char *name,
                 const rill_task_options *opts, rill_task_fn fn, void *payload)
{
    int rc = rill_task(b->p, name, opts, fn, payload);
    cli_node *n;
    if (rc < 0)
        return pipeline_error(b, o, "rill_task", rc);
    n = node_add(b, o, name, "task");
    if (opts) {
        n->batch_size = opts->batch_size;
        n->concurrency = opts->concurrency;
        n->serial = opts->serial;
    }
    return wire(b, o, name);
}

int cli_add_reduce(cli_build *b, const cli_opts *o, const char *name,
                   const rill_reduce_options *opts, void *payload)
{
    rill_reduce_options gathered;
    int rc;
    cli_node *n;
    if (b->graph)
        return cli_error(o, NULL, "kind '%s' is a reduce, which needs a chain: a spec whose "
                         "stages name their input: is a graph, which has no reduce", o->kind);
    /* a chain aggregates what comes before it whole: after a count, a top
     * sees the whole table as one reduction (gather), not a key at a time */
    if (opts) {
        gathered = *opts;
        gathered.gather = 1;
        opts = &gathered;
    }
    if ((rc = rill_reduce(b->p, name, opts, payload)) < 0)
        return pipeline_error(b, o, "rill_reduce", rc);
    n = node_add(b, o, name, "reduce");
    n->state = opts && opts->merge ? "a store per worker, merged when the reduction ends"
                                   : "one store per reduction";
    n->serial = opts && opts->serial;
    return wire(b, o, name);
}

int cli_add_combine(cli_build *b, const cli_opts *o, const char *name,
                    const rill_combine_options *opts, void *payload)
{
    rill_combine_options gathered;
    int rc;
    cli_node *n;
    if (b->graph)
        return cli_error(o, NULL, "kind '%s' is a keyed combine, which needs a chain: a spec "
                         "whose stages name their input: is a graph, which has no combine",
                         o->kind);
    if (opts) { /* as a reduce's, above */
        gathered = *opts;
        gathered.gather = 1;
        opts = &gathered;
    }
    if ((rc = rill_combine(b->p, name, opts, payload)) < 0)
        return pipeline_error(b, o, "rill_combine", rc);
    n = node_add(b, o, name, "combine");
    n->state = "a table per worker, keyed, merged when its input ends";
    return wire(b, o, name);
}

int cli_add_source_stage(cli_build *b, const cli_opts *o, const char *name,
                         int splittable, int unbounded)
{
    cli_node *n = node_add(b, o, name, "source");
    n->splittable = splittable;
    n->unbounded = unbounded;
    n->state = splittable ? "the unclaimed ranges of its inputs (checkpointed)" : "none";
    return wire(b, o, name);
}

int cli_own(cli_build *b, void *ptr, void (*fn)(void *))
{
    b->owned = cli_xrealloc(b->owned, (b->nowned + 1) * sizeof(*b->owned));
    b->owned[b->nowned].ptr = ptr;
    b->owned[b->nowned].fn = fn ? fn : free;
    b->nowned++;
    return 0;
}

int cli_workers(const cli_build *b)
{
    return b->workers;
}

const char *cli_scratch_dir(cli_build *b)
{
    if (b->scratch == NULL) {
        const char *tmp = getenv("TMPDIR");
        size_t n = strlen(tmp && *tmp ? tmp : "/tmp") + 32;
        b->scratch = cli_xmalloc(n);
        snprintf(b->scratch, n, "%s/rill-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(b->scratch) == NULL) {
            free(b->scratch);
            b->scratch = NULL;
        }
    }
    return b->scratch;
}

void cli_mark_keyed(cli_build *b)
{
    b->cur_keyed = 1;
}

int cli_prev_keyed(const cli_build *b)
{
    return b->keyed;
}

const char *cli_next_kind(const cli_build *b)
{
    return b->next_kind;
}

rill_batch *cli_work(cli_build *b)
{
    return b->work;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void cli_build_free(cli_build *b)
{
    size_t i;
    if (b == NULL)
        return;
    rill_pipeline_free(b->p);
    rill_batch_free(b->work);
    for (i = b->nowned; i-- > 0;)
        b->owned[i].fn(b->owned[i].ptr);
    free(b->owned);
    for (i = 0; i < b->nnodes; i++)
        free(b->nodes[i].name);
    free(b->nodes);
    for (i = 0; i < b->nedges; i++) {
        free(b->edges[i].from);
        free(b->edges[i].to);
    }
    free(b->edges);
    for (i = 0; i < b->nloops; i++) {
        free(b->loops[i].from);
        free(b->loops[i].to);
    }
    free(b->loops);
    free(b->last);
    free(b->first);
    free(b->cur_inputs);
    if (b->scratch) {
        nftw(b->scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(b->scratch);
    }
    free(b);
}

int cli_unknown_keys(const cli_opts *o, const cli_option_doc *docs, int stage, int failed)
{
    const char *names[128];
    size_t i, n = 0;
    int rc = 0;
    for (i = 0; docs && docs[i].name && n < 120; i++)
        names[n++] = docs[i].name;
    for (i = 0; stage && common_keys[i]; i++)
        names[n++] = common_keys[i];
    names[n] = NULL;
    for (i = 0; i < o->n; i++) {
        const char *near;
        if (o->v[i].used)
            continue;
        if (failed) { /* an add that failed may have stopped reading: only
                         keys of no option are unknown */
            size_t k;
            for (k = 0; k < n && strcmp(names[k], o->v[i].key) != 0; k++)
                ;
            if (k < n)
                continue;
        }
        near = cli_did_you_mean(o->v[i].key, names);
        if (near)
            cli_error(o, o->v[i].key, "unknown option '%s' for kind '%s' (did you mean '%s'?)",
                      o->v[i].key, o->kind, near);
        else
            cli_error(o, o->v[i].key, "unknown option '%s' for kind '%s'", o->v[i].key,
                      o->kind);
        rc = -1;
    }
    return rc;
}

/* The known kinds of stage, for a did-you-mean. */
static const char *near_kind(const char *kind)
{
    const char *names[256];
    size_t i, n = 0;
    for (i = 0; cli_stage_defs[i] && n < 255; i++)
        names[n++] = cli_stage_defs[i]->kind;
    names[n] = NULL;
    return cli_did_you_mean(kind, names);
}

static int add_source(cli_build *b, spec_source *src)
{
    const cli_source_def *def = cli_source_find(src->kind);
    size_t first = b->nnodes;
    int rc;
    if (def == NULL) {
        const char *names[64], *near;
        size_t i, n = 0;
        for (i = 0; cli_source_defs[i] && n < 63; i++)
            names[n++] = cli_source_defs[i]->kind;
        names[n] = NULL;
        near = cli_did_you_mean(src->kind, names);
        const spec_node *k = spec_map_get(src->node, "kind");
        return cli_error_at(b->s->file, k ? k->line : src->opts.line,
                            k ? k->column : src->opts.column,
                            "unknown kind of source '%s'%s%s%s", src->kind,
                            near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    b->cur = &src->opts;
    b->cur_first = first;
    b->ncur_inputs = 0;
    rc = def->add(b, &src->opts);
    if (cli_unknown_keys(&src->opts, def->options, 0, rc < 0) < 0)
        rc = -1;
    b->keyed = b->cur_keyed;
    return rc;
}

/* Adds the stage o of kind def after b->cur_inputs, and refuses the keys
 * its add did not read. */
static int add_def(cli_build *b, const cli_stage_def *def, const cli_opts *o)
{
    int rc = 0;
    b->cur = o;
    b->cur_first = b->nnodes;
    if (def->add(b, o) < 0)
        rc = -1;
    if (cli_unknown_keys(o, def->options, 1, rc < 0) < 0)
        rc = -1;
    return rc;
}

static int add_stage(cli_build *b, spec_stage *st, const char *source_last, size_t index)
{
    const cli_stage_def *def = cli_stage_find(st->kind);
    const char *inputs_one[1];
    int64_t batch = -1, conc = -1;
    int serial = -1, rc = 0, r;
    size_t i, first = b->nnodes;
    if (def == NULL) {
        const char *near = near_kind(st->kind);
        const spec_node *k = st->kind_node;
        return cli_error_at(b->s->file, k->line, k->column, "stage '%s': unknown kind '%s'%s%s%s",
                            st->name, st->kind, near ? " (did you mean '" : "",
                            near ? near : "", near ? "'?)" : "");
    }
    if (cli_opt_int(&st->opts, "batch_size", 1, 1 << 30, &batch) < 0 ||
        cli_opt_int(&st->opts, "concurrency", 1, 1 << 20, &conc) < 0 ||
        cli_opt_bool(&st->opts, "serial", &serial) < 0)
        rc = -1;
    b->cur = &st->opts;
    b->cur_first = first;
    b->next_kind = !b->graph && index + 1 < b->s->nstages ? b->s->stages[index + 1].kind : NULL;
    free(b->cur_inputs);
    b->cur_inputs = NULL;
    b->ncur_inputs = 0;
    if (b->graph) {
        const char **names = st->inputs;
        size_t n = st->ninputs;
        if (n == 0 && (index > 0 || b->s->nsources > 0)) { /* the stage before, or the source */
            inputs_one[0] = index == 0 ? b->s->sources[0].name : b->s->stages[index - 1].name;
            names = inputs_one;
            n = 1;
        }
        b->cur_inputs = cli_xcalloc(n, sizeof(*b->cur_inputs));
        for (i = 0; i < n; i++) {
            long k = cli_find_name(b->s, names[i]);
            const char *last = k < 0 ? NULL : k < (long)b->s->nsources ? source_last
                                                        : b->last[k - (long)b->s->nsources];
            if (last) /* NULL: that stage was refused, or added nothing */
                b->cur_inputs[b->ncur_inputs++] = (char *)last;
        }
    } else if (b->nnodes > 0) { /* a chain: after the last stage added */
        b->cur_inputs = cli_xcalloc(1, sizeof(*b->cur_inputs));
        b->cur_inputs[b->ncur_inputs++] = b->nodes[b->nnodes - 1].name;
    }
    if (add_def(b, def, &st->opts) < 0)
        rc = -1;
    for (i = first; i < b->nnodes; i++) {
        char v[32];
        if (batch > 0) {
            snprintf(v, sizeof(v), "%lld", (long long)batch);
            if ((r = rill_configure(b->p, b->nodes[i].name, "batch_size", v)) < 0)
                rc = cli_error(&st->opts, "batch_size", "%s", rill_error_last());
            b->nodes[i].batch_size = (size_t)batch;
        }
        if (conc > 0) {
            snprintf(v, sizeof(v), "%lld", (long long)conc);
            if ((r = rill_configure(b->p, b->nodes[i].name, "concurrency", v)) < 0)
                rc = cli_error(&st->opts, "concurrency", "%s", rill_error_last());
            b->nodes[i].concurrency = (int)conc;
        }
        if (serial == 1) {
            if ((r = rill_configure(b->p, b->nodes[i].name, "serial", "true")) < 0)
                rc = cli_error(&st->opts, "serial", "%s", rill_error_last());
            b->nodes[i].serial = 1;
        }
    }
    b->last[index] = b->nnodes > first ? b->nodes[b->nnodes - 1].name : NULL;
    b->first[index] = b->nnodes > first ? b->nodes[first].name : NULL;
    b->keyed = b->nnodes > first ? b->cur_keyed : b->keyed;
    return rc;
}

/* The loop_input: edges, once every stage is there: from the last stage of
 * the named one to the first of the stage naming it (names were checked by
 * cli_order_graph). */
static int add_loops(cli_build *b)
{
    const spec *s = b->s;
    size_t i, j;
    int rc;
    for (i = 0; i < s->nstages; i++)
        for (j = 0; j < s->stages[i].nloops; j++) {
            long k = cli_find_name(s, s->stages[i].loops[j]) - (long)s->nsources;
            const char *from = k >= 0 ? b->last[k] : NULL, *to = b->first[i];
            const spec_node *at = s->stages[i].loop_nodes[j];
            if (from == NULL || to == NULL)
                continue; /* a stage that added nothing */
            if ((rc = rill_loop(b->p, from, to)) < 0)
                return cli_error_at(s->file, at->line, at->column, "stage '%s': %s",
                                    s->stages[i].name, rill_error_last());
            b->loops = cli_xrealloc(b->loops, (b->nloops + 1) * sizeof(*b->loops));
            b->loops[b->nloops].from = cli_xstrdup(from);
            b->loops[b->nloops].to = cli_xstrdup(to);
            b->nloops++;
        }
    return 0;
}

/* Whether every input: names the stage just before (the source, for the
 * first): then the spec is a chain written out, built as one. */
static int is_chain(const spec *s)
{
    size_t i;
    for (i = 0; i < s->nstages; i++) {
        const spec_stage *st = &s->stages[i];
        const char *before = i > 0 ? s->stages[i - 1].name
                                   : s->nsources ? s->sources[0].name : NULL;
        if (st->nloops > 0)
            return 0;
        if (st->ninputs == 0)
            continue;
        if (st->ninputs > 1 || before == NULL || strcmp(st->inputs[0], before) != 0)
            return 0;
    }
    return 1;
}

int cli_build_spec(cli_build **out, spec *s, int workers)
{
    cli_build *b = cli_xcalloc(1, sizeof(*b));
    size_t *order = cli_xcalloc(s->nstages + 1, sizeof(*order)), i;
    const char *source_last = NULL;
    int bad = 0, rc;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    *out = NULL;
    b->s = s;
    b->graph = s->graph && !is_chain(s);
    b->workers = workers > 0 ? workers : cores > 0 ? (int)cores : 1;
    b->last = cli_xcalloc(s->nstages + 1, sizeof(*b->last));
    b->first = cli_xcalloc(s->nstages + 1, sizeof(*b->first));
    if ((rc = rill_pipeline_new(&b->p)) < 0 || (rc = rill_batch_new(&b->work)) < 0) {
        cli_error_at(s->file, 0, 0, "cannot make a pipeline: %s", rill_strerror(rc));
        bad = 1;
        goto out;
    }
    if (cli_plugins_open(b) < 0)
        bad = 1;
    if (s->nsources == 0) {
        cli_error_at(s->file, s->root->line, s->root->column,
                     "the spec has no source: sources: needs one");
        bad = 1;
    } else {
        for (i = 1; i < s->nsources; i++)
            cli_error_at(s->file, s->sources[i].opts.line, s->sources[i].opts.column,
                         "source '%s': a spec reads one source (a source may read many "
                         "files: give them all to the first)", s->sources[i].name);
        if (s->nsources > 1)
            bad = 1;
        if (add_source(b, &s->sources[0]) < 0)
            bad = 1;
        else if (b->nnodes > 0)
            source_last = b->nodes[b->nnodes - 1].name;
    }
    if (!b->graph || cli_order_graph(b, order) < 0) {
        if (b->graph) /* still built in their order, for the errors of their options */
            bad = 1;
        for (i = 0; i < s->nstages; i++)
            order[i] = i;
    }
    for (i = 0; i < s->nstages; i++)
        if (add_stage(b, &s->stages[order[i]], source_last, order[i]) < 0)
            bad = 1;
    if (!bad && b->graph && add_loops(b) < 0)
        bad = 1;
    if (cli_output_add(b, &s->output) < 0)
        bad = 1;
    if (bad)
        goto out;
    if (rill_batch_count(b->work) > 0) {
        rc = rill_work(b->p, b->work);
        b->work = NULL;
        if (rc < 0) {
            cli_error_at(s->file, 0, 0, "%s", rill_error_last());
            bad = 1;
            goto out;
        }
    }
    if ((rc = rill_pipeline_validate(b->p)) < 0) {
        cli_error_at(s->file, 0, 0, "the pipeline cannot run: %s", rill_error_last());
        bad = 1;
    }
out:
    free(order);
    free(b->cur_inputs);
    b->cur_inputs = NULL;
    if (bad) {
        cli_build_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

cli_build *cli_build_chain(rill_pipeline *p, int workers)
{
    cli_build *b = cli_xcalloc(1, sizeof(*b));
    b->p = p;
    b->workers = workers > 0 ? workers : 1;
    return b;
}

int cli_build_chain_add(cli_build *b, const cli_stage_def *def, const cli_opts *o)
{
    size_t first = b->nnodes;
    int rc;
    b->next_kind = NULL;
    free(b->cur_inputs);
    b->cur_inputs = NULL;
    b->ncur_inputs = 0;
    if (b->nnodes > 0) {
        b->cur_inputs = cli_xcalloc(1, sizeof(*b->cur_inputs));
        b->cur_inputs[b->ncur_inputs++] = b->nodes[b->nnodes - 1].name;
    }
    rc = add_def(b, def, o);
    b->keyed = b->nnodes > first ? b->cur_keyed : b->keyed;
    return rc;
}
