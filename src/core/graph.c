/* graph.c — the graph API: tasks, edges, the generator and output hooks,
 * per-stage configuration, and resolving a graph's edges into successor
 * lists and ranks.
 *
 * A graph is checked whole before it runs: every edge names known stages,
 * names are unique, no stage is left unconnected, and there is no cycle (the
 * message lists the stages around it). Sinks, the stages without
 * successors, feed the result stage; the rank of a stage is its longest
 * distance to the result stage, which the scheduler serves nearest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "plan.h"

int rill_task(rill_pipeline *p, const char *name, const rill_task_options *opts,
              rill_task_fn fn, void *payload)
{
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_task: the pipeline is NULL");
    if ((rc = rill__check_stage(p, "rill_task", name, opts ? &opts->version : NULL,
                                RILL_TASK_OPTIONS_VERSION, "RILL_TASK_OPTIONS_INIT")) < 0)
        return rc;
    if (fn == NULL)
        return rill__misuse(p, RILL_EPIPELINE, "rill_task '%.200s': the task callback is NULL",
                            name);
    if (opts && opts->concurrency < 0)
        return rill__misuse(p, RILL_EINVAL, "rill_task '%.200s': a negative concurrency",
                            name);
    if ((rc = rill__add_stage(p, &rill__kind_task, name, &s)) < 0)
        return rc;
    s->task = fn;
    if (opts) {
        s->batch_size = opts->batch_size;
        s->concurrency = opts->concurrency;
        s->serial = opts->serial;
    }
    s->payload = payload;
    return 0;
}

static int add_edge(rill_pipeline *p, const char *from, const char *to, int loop)
{
    rill__edge *e;
    if (p == NULL || from == NULL || to == NULL)
        return rill__error(RILL_EINVAL, "%s: NULL argument", loop ? "rill_loop" : "rill_edge");
    if (p->nedges == p->cedges) {
        int cap = p->cedges ? p->cedges * 2 : 16;
        rill__edge *n = realloc(p->edges, (size_t)cap * sizeof(*n));
        RILL__CHECK_ALLOC(n);
        p->edges = n;
        p->cedges = cap;
    }
    e = &p->edges[p->nedges];
    e->from = strdup(from);
    e->to = strdup(to);
    e->loop = loop;
    if (e->from == NULL || e->to == NULL) {
        free(e->from);
        free(e->to);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    p->nedges++;
    if (p->nedges == 1) {
        /* the pipeline became a graph: the helpers that rill_read_lines and
         * rill_read_records added before it was one (the glob expander before
         * each file source) get the edge to their stage they would have had */
        int i, rc;
        for (i = 0; i + 1 < p->n; i++)
            if (p->stages[i].builtin == 2 &&
                (rc = rill_edge(p, p->stages[i].name, p->stages[i + 1].name)) < 0)
                return rc;
    }
    return 0;
}

int rill_edge(rill_pipeline *p, const char *from, const char *to)
{
    return add_edge(p, from, to, 0);
}

int rill_loop(rill_pipeline *p, const char *from, const char *to)
{
    return add_edge(p, from, to, 1);
}

int rill__stage_find(const rill_pipeline *p, const char *name)
{
    int i;
    for (i = 0; i < p->n; i++)
        if (strcmp(p->stages[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- resolving ---- */

static int add_succ(rill__stage *s, int to)
{
    int i, *n;
    for (i = 0; i < s->nsucc; i++)
        if (s->succ[i] == to)
            return 0; /* the same edge twice is one edge */
    n = realloc(s->succ, (size_t)(s->nsucc + 1) * sizeof(*n));
    RILL__CHECK_ALLOC(n);
    s->succ = n;
    s->succ[s->nsucc++] = to;
    return 1;
}

/* Depth-first search for a cycle through stage i; colour 1: on the path. */
static int find_cycle(const rill_pipeline *p, int i, char *colour, int *path, int depth,
                      char *msg, size_t cap)
{
    int k;
    colour[i] = 1;
    path[depth] = i;
    for (k = 0; k < p->stages[i].nsucc; k++) {
        int j = p->stages[i].succ[k], d, at;
        if (j >= p->n)
            continue;
        if (colour[j] == 1) {
            size_t len = 0;
            for (at = 0; path[at] != j; at++)
                ;
            for (d = at; d <= depth && len < cap; d++)
                len += (size_t)snprintf(msg + len, cap - len, "'%s' -> ",
                                        p->stages[path[d]].name);
            if (len < cap)
                snprintf(msg + len, cap - len, "'%s'", p->stages[j].name);
            return 1;
        }
        if (colour[j] == 0 && find_cycle(p, j, colour, path, depth + 1, msg, cap))
            return 1;
    }
    colour[i] = 2;
    return 0;
}

int rill__graph_resolve(rill_pipeline *p)
{
    char *colour = NULL, msg[512];
    int *path = NULL, i, rc = 0;
    for (i = 0; i < p->n; i++) {
        rill__stage *s = &p->stages[i];
        free(s->succ);
        s->succ = NULL;
        s->nsucc = s->npred = s->nloop = 0;
        s->opens = -1;
        s->next = -1;
        if (!rill__kind_is(s, RILL_KIND_GRAPH))
            return rill__refuse(p, i, "reducers and frames follow the inline order; the "
                                      "stages of a graph are tasks, jobs and splittable stages");
    }
    for (i = 0; i < p->nedges; i++) { /* rill_edge's first: a cycle of them is refused */
        int from = rill__stage_find(p, p->edges[i].from);
        int to = rill__stage_find(p, p->edges[i].to);
        if (from < 0 || to < 0)
            return rill__error(RILL_EPIPELINE, "%s '%s' -> '%s': no stage named '%s'",
                               p->edges[i].loop ? "loop edge" : "edge",
                               p->edges[i].from, p->edges[i].to,
                               from < 0 ? p->edges[i].from : p->edges[i].to);
        if (p->edges[i].loop)
            continue;
        if ((rc = add_succ(&p->stages[from], to)) < 0)
            return rc;
        p->stages[to].npred += rc;
    }
    for (i = 0; i < p->n; i++) {
        rill__stage *s = &p->stages[i];
        int looped = 0, k;
        for (k = 0; k < p->nedges && !looped; k++)
            looped = p->edges[k].loop && (strcmp(p->edges[k].from, s->name) == 0 ||
                                          strcmp(p->edges[k].to, s->name) == 0);
        if (s->nsucc == 0 && s->npred == 0 && p->n > 1 && !looped)
            return rill__refuse(p, i, "is connected to no other stage");
    }
    colour = calloc((size_t)p->n + 1, 1);
    path = calloc((size_t)p->n + 1, sizeof(*path));
    if (colour == NULL || path == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < p->n; i++)
        if (colour[i] == 0 && find_cycle(p, i, colour, path, 0, msg, sizeof(msg))) {
            rc = rill__error(RILL_EPIPELINE, "the stages %s form a cycle; an edge that "
                             "closes a loop is added with rill_loop (or iterate with a frame)",
                             msg);
            goto done;
        }
    for (i = 0; i < p->nedges; i++) { /* loop edges: after the cycle check, not in npred */
        rill__stage *from;
        if (!p->edges[i].loop)
            continue;
        from = &p->stages[rill__stage_find(p, p->edges[i].from)];
        if ((rc = add_succ(from, rill__stage_find(p, p->edges[i].to))) < 0)
            goto done;
        from->nloop += rc;
    }
    for (i = 0; i < p->n; i++) /* sinks feed the result stage */
        if (p->stages[i].nsucc == 0 && (rc = add_succ(&p->stages[i], p->n)) < 0)
            goto done;
    rc = 0;
done:
    free(colour);
    free(path);
    return rc;
}

/* Longest distance from i to the result stage, memoised in rank (-1: not yet). */
static int rank_of(rill_pipeline *p, int i)
{
    rill__stage *s = &p->stages[i];
    int k;
    if (s->rank >= 0)
        return s->rank;
    s->rank = 0;
    for (k = 0; k < s->nsucc - s->nloop; k++) { /* loop edges do not count */
        int r = rank_of(p, s->succ[k]) + 1;
        if (r > s->rank)
            s->rank = r;
    }
    return s->rank;
}

int rill__plan_rank(rill_pipeline *p)
{
    int i;
    for (i = 0; i <= p->n; i++)
        p->stages[i].rank = p->nedges ? -1 : p->n - i;
    if (p->nedges) {
        p->stages[p->n].rank = 0;
        for (i = 0; i < p->n; i++)
            rank_of(p, i);
    }
    return 0;
}
