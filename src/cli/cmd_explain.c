/* cmd_explain.c — `rill explain SPEC`: the plan, as built: each stage of
 * the pipeline with the spec's stage and kind it comes from, its batch
 * size and concurrency, whether it is splittable or unbounded, and where
 * it keeps state; then the output. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static void explain(const cli_build *b)
{
    size_t i, j;
    printf("spec %s: a %s of %zu stage%s on %d worker%s\n", b->s->file,
           b->graph ? "graph (input: wiring, the graph API)" : "chain (the inline API)",
           b->nnodes, b->nnodes == 1 ? "" : "s", b->workers, b->workers == 1 ? "" : "s");
    for (i = 0; i < b->nnodes; i++) {
        const cli_node *n = &b->nodes[i];
        char batch[32], conc[32];
        if (n->batch_size)
            snprintf(batch, sizeof(batch), "%zu", n->batch_size);
        else
            snprintf(batch, sizeof(batch), "default");
        if (n->serial)
            snprintf(conc, sizeof(conc), "1 (serial)");
        else if (n->concurrency)
            snprintf(conc, sizeof(conc), "%d", n->concurrency);
        else
            snprintf(conc, sizeof(conc), "any");
        printf("\n  %s\n", n->name);
        printf("    from:        %s '%s' (kind %s), %s:%d:%d\n",
               strcmp(n->type, "source") == 0 ? "source" : "stage", n->spec_name, n->kind,
               b->s->file, n->line, n->column);
        printf("    runs as:     %s\n", n->type);
        printf("    batch size:  %s\n", batch);
        printf("    concurrency: %s\n", conc);
        printf("    input:       %s, %s\n", n->splittable ? "splittable" : "not splittable",
               n->unbounded ? "unbounded" : "bounded");
        printf("    state:       %s\n", n->state);
        printf("    follows:     ");
        {
            int any = 0;
            for (j = 0; j < b->nedges; j++)
                if (strcmp(b->edges[j].to, n->name) == 0) {
                    printf("%s%s", any ? ", " : "", b->edges[j].from);
                    any = 1;
                }
            for (j = 0; j < b->nloops; j++) /* loop_input: */
                if (strcmp(b->loops[j].to, n->name) == 0) {
                    printf("%s%s (a loop)", any ? ", " : "", b->loops[j].from);
                    any = 1;
                }
            printf("%s\n", any ? "" : "(the source's work list)");
        }
    }
    printf("\n  output: %s, %s%s%s%s%s\n", b->output_format ? b->output_format : "?",
           b->output_dir ? "into the folder " : "to standard output",
           b->output_dir ? b->output_dir : "",
           b->output_needs_dir ? " (" : "", b->output_needs_dir ? b->output_needs_dir : "",
           b->output_needs_dir ? " needs a folder: run with -o DIR)" : "");
}

int cmd_explain(int argc, char **argv)
{
    static const struct option longs[] = {{"workers", required_argument, NULL, 'w'},
                                           {"set", required_argument, NULL, 's'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
    cli_sets sets = {NULL, 0};
    spec *s;
    cli_build *b;
    int c, rc, workers = 0;
    while ((c = getopt_long(argc, argv, "w:s:h", longs, NULL)) != -1) {
        switch (c) {
        case 'w':
            workers = atoi(optarg);
            if (workers < 1) {
                fprintf(stderr, "rill explain: --workers: expected a number of at least 1, "
                        "got '%s'\n", optarg);
                free(sets.v);
                return CLI_EXIT_USAGE;
            }
            break;
        case 's': cli_sets_add(&sets, optarg); break;
        case 'h': fputs(cmd_help("explain"), stdout); free(sets.v); return CLI_EXIT_OK;
        default:
            fputs("usage: rill explain [-w N] [-s NAME.KEY=VALUE]... SPEC\n", stderr);
            free(sets.v);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs("usage: rill explain [-w N] [-s NAME.KEY=VALUE]... SPEC\n", stderr);
        free(sets.v);
        return CLI_EXIT_USAGE;
    }
    rc = cli_prepare(&s, &b, argv[optind], sets.v, sets.n, workers);
    free(sets.v);
    if (rc != CLI_EXIT_OK)
        return rc;
    explain(b);
    cli_build_free(b);
    spec_free(s);
    return CLI_EXIT_OK;
}
