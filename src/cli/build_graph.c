/* build_graph.c — the wiring of a spec whose stages name their input:
 * every name must name a source or a stage (a did-you-mean otherwise), the
 * inputs must not form a cycle (which the error spells out), and the
 * stages are put in an order where each one's inputs come first. A
 * loop_input: (an input that closes a loop, rill_loop) must name a stage;
 * it takes no part in the order or the cycle check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "xalloc.h"

long cli_find_name(const spec *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->nsources; i++)
        if (strcmp(s->sources[i].name, name) == 0)
            return (long)i;
    for (i = 0; i < s->nstages; i++)
        if (strcmp(s->stages[i].name, name) == 0)
            return (long)(s->nsources + i);
    return -1;
}

int cli_order_graph(cli_build *b, size_t *order)
{
    spec *s = b->s;
    size_t ns = s->nstages, i, j, done = 0;
    char *placed = cli_xcalloc(ns, 1);
    const char **names = cli_xcalloc(s->nsources + ns + 1, sizeof(*names));
    int bad = 0, progress = 1;
    for (i = 0; i < s->nsources; i++)
        names[i] = s->sources[i].name;
    for (i = 0; i < ns; i++)
        names[s->nsources + i] = s->stages[i].name;
    for (i = 0; i < ns; i++) { /* loop_input: names a stage (a loop comes back from one) */
        spec_stage *st = &s->stages[i];
        for (j = 0; j < st->nloops; j++) {
            long k = cli_find_name(s, st->loops[j]);
            const char *near = k < 0 ? cli_did_you_mean(st->loops[j], names) : NULL;
            if (k >= (long)s->nsources)
                continue;
            cli_error_at(s->file, st->loop_nodes[j]->line, st->loop_nodes[j]->column,
                         "stage '%s': loop_input '%s' names %s%s%s%s", st->name, st->loops[j],
                         k >= 0 ? "a source (a loop comes back from a stage)" : "no stage",
                         near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            bad = 1;
        }
    }
    for (i = 0; i < ns; i++) {
        spec_stage *st = &s->stages[i];
        for (j = 0; j < st->ninputs; j++)
            if (cli_find_name(s, st->inputs[j]) < 0) {
                const char *near = cli_did_you_mean(st->inputs[j], names);
                cli_error_at(s->file, st->input_nodes[j]->line, st->input_nodes[j]->column,
                             "stage '%s': input '%s' names no stage or source%s%s%s", st->name,
                             st->inputs[j], near ? " (did you mean '" : "", near ? near : "",
                             near ? "'?)" : "");
                bad = 1;
            }
    }
    if (bad)
        goto out;
    while (progress && done < ns) {
        progress = 0;
        for (i = 0; i < ns; i++) {
            spec_stage *st = &s->stages[i];
            int ready = 1;
            if (placed[i])
                continue;
            if (st->ninputs == 0) /* follows the stage before it, or the source */
                ready = i == 0 || placed[i - 1];
            for (j = 0; j < st->ninputs && ready; j++) {
                long k = cli_find_name(s, st->inputs[j]);
                if (k >= (long)s->nsources && !placed[k - (long)s->nsources])
                    ready = 0;
            }
            if (ready) {
                placed[i] = 1;
                order[done++] = i;
                progress = 1;
            }
        }
    }
    if (done < ns) {
        /* walk back along the inputs of an unplaced stage until one repeats */
        size_t at = 0, steps, path[4096], npath = 0;
        char cycle[1024] = "";
        size_t len = 0;
        while (placed[at])
            at++;
        for (steps = 0; steps <= ns && npath < 4096; steps++) {
            spec_stage *st = &s->stages[at];
            size_t next = at;
            for (j = 0; j < npath && path[j] != at; j++)
                ;
            if (j < npath) {
                size_t k;
                for (k = j; k < npath; k++)
                    len += (size_t)snprintf(cycle + len, len < sizeof(cycle) ? sizeof(cycle) - len : 0,
                                            "%s <- ", s->stages[path[k]].name);
                if (len < sizeof(cycle))
                    snprintf(cycle + len, sizeof(cycle) - len, "%s", s->stages[at].name);
                st = &s->stages[path[npath - 1]];
                for (k = 0; k < st->ninputs; k++)
                    if (strcmp(st->inputs[k], s->stages[at].name) == 0)
                        break;
                if (k < st->ninputs)
                    cli_error_at(s->file, st->input_nodes[k]->line, st->input_nodes[k]->column,
                                 "stage '%s': its inputs form a cycle (%s); an input that "
                                 "closes a loop is named with loop_input:", st->name, cycle);
                else
                    cli_error_at(s->file, st->opts.line, st->opts.column,
                                 "stage '%s': its inputs form a cycle (%s); an input that "
                                 "closes a loop is named with loop_input:", st->name, cycle);
                break;
            }
            path[npath++] = at;
            if (st->ninputs == 0)
                next = at - 1;
            for (j = 0; j < st->ninputs; j++) {
                long k = cli_find_name(s, st->inputs[j]);
                if (k >= (long)s->nsources && !placed[k - (long)s->nsources]) {
                    next = (size_t)(k - (long)s->nsources);
                    break;
                }
            }
            at = next;
        }
        bad = 1;
    }
out:
    free(placed);
    free(names);
    return bad ? -1 : 0;
}

static long node_index(const cli_build *b, const char *name)
{
    size_t i;
    for (i = 0; i < b->nnodes; i++)
        if (strcmp(b->nodes[i].name, name) == 0)
            return (long)i;
    return -1;
}

int cli_every_path_through(const cli_build *b, const char *name)
{
    size_t n = b->nnodes, i, top = 0;
    char *seen = cli_xcalloc(n + 1, 1), *has_in = cli_xcalloc(n + 1, 1);
    char *has_out = cli_xcalloc(n + 1, 1);
    size_t *stack = cli_xcalloc(n + 1, sizeof(*stack));
    long cut = node_index(b, name);
    int through = cut >= 0;
    for (i = 0; i < b->nedges; i++) {
        long f = node_index(b, b->edges[i].from), t = node_index(b, b->edges[i].to);
        if (f >= 0)
            has_out[f] = 1;
        if (t >= 0)
            has_in[t] = 1;
    }
    for (i = 0; i < n; i++) /* from where records start, around the cut */
        if (!has_in[i] && (long)i != cut) {
            seen[i] = 1;
            stack[top++] = i;
        }
    while (top > 0 && through) {
        size_t at = stack[--top];
        if (!has_out[at]) /* an output reached without passing the cut */
            through = 0;
        for (i = 0; i < b->nedges; i++) {
            long t;
            if (strcmp(b->edges[i].from, b->nodes[at].name) != 0)
                continue;
            t = node_index(b, b->edges[i].to);
            if (t >= 0 && t != cut && !seen[t]) {
                seen[t] = 1;
                stack[top++] = (size_t)t;
            }
        }
    }
    free(seen);
    free(has_in);
    free(has_out);
    free(stack);
    return through;
}
