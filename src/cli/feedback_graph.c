/* feedback_graph.c — the graph the feedback draws and counts by: its edges,
 * given as indices, as names, or as a chain, checked and copied into the
 * handle; and the layout of the drawing, a column per depth (the longest
 * path from a source) and a row per stage within its column. */
#include <stdlib.h>
#include <string.h>

#include "feedback_impl.h"

/* The index of the stage named name, or nstages. */
static size_t find(const cli_feedback *f, const char *name)
{
    size_t i;
    for (i = 0; name && i < f->nstages; i++)
        if (strcmp(f->stages[i].name, name) == 0)
            break;
    return name ? i : f->nstages;
}

/* Columns: a stage's depth is its longest path from a source. A cycle (a
 * spec's loop_input: edges) stops the relaxation after nstages passes, and
 * no depth goes past the last column (rows has one slot per column). */
static void layout(cli_feedback *f)
{
    size_t i, pass, *rows;
    int changed = 1;
    for (i = 0; i < f->nedges; i++) {
        f->stages[f->edges[i].from].nsucc++;
        f->stages[f->edges[i].to].npred++;
    }
    for (pass = 0; changed && pass < f->nstages; pass++) {
        changed = 0;
        for (i = 0; i < f->nedges; i++) {
            fb_stage *a = &f->stages[f->edges[i].from], *b = &f->stages[f->edges[i].to];
            if (b->depth < a->depth + 1 && (size_t)a->depth + 1 < f->nstages) {
                b->depth = a->depth + 1;
                changed = 1;
            }
        }
    }
    if ((rows = calloc(f->nstages + 1, sizeof *rows)) == NULL)
        return; /* rows stay 0: overlapping boxes, nothing worse */
    for (i = 0; i < f->nstages; i++)
        f->stages[i].row = (int)rows[f->stages[i].depth]++;
    free(rows);
}

int fb_graph_init(cli_feedback *f, const cli_feedback_options *o)
{
    size_t i, n = 0, total;
    if ((o->nedges > 0 && o->edges == NULL) || (o->nnamed_edges > 0 && o->named_edges == NULL)) {
        fprintf(f->err, "rill: feedback: edges counted but not given\n");
        return -1;
    }
    if (o->chain && (o->nedges > 0 || o->nnamed_edges > 0)) {
        fprintf(f->err, "rill: feedback: a chain is given edges\n");
        return -1;
    }
    total = o->chain ? (f->nstages ? f->nstages - 1 : 0) : o->nedges + o->nnamed_edges;
    if ((f->edges = calloc(total ? total : 1, sizeof *f->edges)) == NULL) {
        fprintf(f->err, "rill: feedback: out of memory\n");
        return -1;
    }
    for (i = 0; o->chain && i < total; i++) {
        f->edges[n].from = i;
        f->edges[n++].to = i + 1;
    }
    for (i = 0; i < o->nedges; i++) {
        if (o->edges[i].from >= f->nstages || o->edges[i].to >= f->nstages) {
            fprintf(f->err, "rill: feedback: edge %zu names stage %zu of %zu\n", i,
                    o->edges[i].from >= f->nstages ? o->edges[i].from : o->edges[i].to,
                    f->nstages);
            return -1;
        }
        f->edges[n++] = o->edges[i];
    }
    for (i = 0; i < o->nnamed_edges; i++) {
        const cli_feedback_named_edge *e = &o->named_edges[i];
        size_t from = find(f, e->from), to = find(f, e->to);
        if (from == f->nstages || to == f->nstages) {
            fprintf(f->err, "rill: feedback: edge %zu names a stage '%s' that is not among "
                    "the stages\n", i, from == f->nstages ? (e->from ? e->from : "(null)")
                                                           : e->to ? e->to : "(null)");
            return -1;
        }
        f->edges[n].from = from;
        f->edges[n++].to = to;
    }
    f->nedges = n;
    layout(f);
    return 0;
}
