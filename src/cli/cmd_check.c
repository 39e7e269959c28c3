/* cmd_check.c — `rill check SPEC`: loads and builds the spec without
 * running it, and reports every error as file:line:column: message (a
 * compile spec's too: cmd_compile_check); also
 * the loading and building the other commands share (cli_prepare). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "compile_spec.h"
#include "xalloc.h"

void cli_print_errors(void)
{
    size_t n, i;
    const char *const *e = cli_errors(&n);
    for (i = 0; i < n; i++)
        fprintf(stderr, "%s\n", e[i]);
}

void cli_sets_add(cli_sets *s, char *arg)
{
    s->v = cli_xrealloc(s->v, (size_t)(s->n + 1) * sizeof(*s->v));
    s->v[s->n++] = arg;
}

int cli_prepare(spec **s, cli_build **b, const char *file, char *const *sets, int nsets,
                int workers)
{
    int i, bad = 0;
    *s = NULL;
    *b = NULL;
    cli_error_reset();
    if (compile_spec_sniff(file) == 1 || sweep_spec_sniff(file) == 1) { /* another command's */
        int compile = compile_spec_sniff(file) == 1;
        fprintf(stderr, "%s: a spec of %s (it has %s, not sources: and stages:): run it with "
                "'rill %s %s'\n", file, compile ? "a compile" : "a parameter sweep",
                compile ? "compile:" : "parameters: and trial:", compile ? "compile" : "sweep",
                file);
        return CLI_EXIT_USAGE;
    }
    if (spec_load(s, file, NULL, 0) < 0) {
        cli_print_errors();
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < nsets; i++)
        if (spec_override(*s, sets[i], i + 1) < 0)
            bad = 1;
    if (cli_build_spec(b, *s, workers) < 0 || bad || (*s)->bad) {
        cli_build_free(*b);
        *b = NULL;
        cli_print_errors();
        spec_free(*s);
        *s = NULL;
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
    static const struct option longs[] = {{"set", required_argument, NULL, 's'},
                                           {"quiet", no_argument, NULL, 'q'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
    cli_sets sets = {NULL, 0};
    spec *s;
    cli_build *b;
    int c, rc, quiet = 0;
    while ((c = getopt_long(argc, argv, "s:qh", longs, NULL)) != -1) {
        switch (c) {
        case 's': cli_sets_add(&sets, optarg); break;
        case 'q': quiet = 1; break;
        case 'h': fputs(cmd_help("check"), stdout); free(sets.v); return CLI_EXIT_OK;
        default:
            fputs("usage: rill check [-s NAME.KEY=VALUE]... SPEC\n", stderr);
            free(sets.v);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs("usage: rill check [-s NAME.KEY=VALUE]... SPEC\n", stderr);
        free(sets.v);
        return CLI_EXIT_USAGE;
    }
    if (compile_spec_sniff(argv[optind]) == 1) { /* a spec of rill compile */
        rc = cmd_compile_check(argv[optind], sets.v, sets.n, quiet);
        free(sets.v);
        return rc;
    }
    if (sweep_spec_sniff(argv[optind]) == 1) { /* a spec of rill sweep */
        free(sets.v);
        return cmd_sweep_check(argv[optind], quiet);
    }
    rc = cli_prepare(&s, &b, argv[optind], sets.v, sets.n, 0);
    free(sets.v);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (b->missing) { /* the files may come before it runs: said, not refused */
        cli_missing_input(b);
        fprintf(stderr, "warning: %s\n", cli_error_message());
    }
    if (!quiet)
        printf("%s: ok (%zu stage%s, a %s)\n", argv[optind], s->nstages,
               s->nstages == 1 ? "" : "s", b->graph ? "graph" : "chain");
    cli_build_free(b);
    spec_free(s);
    return CLI_EXIT_OK;
}
