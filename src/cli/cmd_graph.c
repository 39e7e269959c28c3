/* cmd_graph.c — `rill graph SPEC`: the pipeline as built, in Graphviz DOT
 * on stdout; a spec stage that adds several stages is a cluster. --svg
 * renders it through `dot -Tsvg` when Graphviz is installed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"

static void quoted(FILE *f, const char *s)
{
    putc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putc('\\', f);
        putc(*s, f);
    }
    putc('"', f);
}

static void node(FILE *f, const cli_node *n)
{
    fputs("    ", f);
    quoted(f, n->name);
    fprintf(f, " [label=\"%s\\n%s%s%s\"%s];\n", n->name, n->type,
            strcmp(n->name, n->spec_name) == 0 ? ": " : "",
            strcmp(n->name, n->spec_name) == 0 ? n->kind : "",
            strcmp(n->type, "source") == 0 ? ", shape=ellipse" : "");
}

static void write_dot(FILE *f, const cli_build *b)
{
    size_t i, j;
    fputs("digraph rill {\n    rankdir=LR;\n    node [shape=box, fontname=\"Helvetica\"];\n", f);
    for (i = 0; i < b->nnodes;) {
        size_t end = i + 1;
        while (end < b->nnodes && b->nodes[end].spec_name == b->nodes[i].spec_name)
            end++;
        if (end - i > 1) {
            fputs("    subgraph ", f);
            {
                char name[600];
                snprintf(name, sizeof(name), "cluster_%s", b->nodes[i].spec_name);
                quoted(f, name);
            }
            fprintf(f, " {\n    label=\"%s: %s\";\n", b->nodes[i].spec_name, b->nodes[i].kind);
            for (j = i; j < end; j++)
                node(f, &b->nodes[j]);
            fputs("    }\n", f);
        } else
            node(f, &b->nodes[i]);
        i = end;
    }
    fprintf(f, "    \"(output)\" [shape=note, label=\"output\\n%s\"];\n",
            b->output_format ? b->output_format : "");
    for (i = 0; i < b->nedges; i++) {
        fputs("    ", f);
        quoted(f, b->edges[i].from);
        fputs(" -> ", f);
        quoted(f, b->edges[i].to);
        fputs(";\n", f);
    }
    for (i = 0; i < b->nloops; i++) { /* loop_input: edges, dashed */
        fputs("    ", f);
        quoted(f, b->loops[i].from);
        fputs(" -> ", f);
        quoted(f, b->loops[i].to);
        fputs(" [style=dashed, label=\"loop\"];\n", f);
    }
    for (i = 0; i < b->nnodes; i++) { /* stages without successors are the sinks */
        size_t k;
        for (j = 0; j < b->nedges && strcmp(b->edges[j].from, b->nodes[i].name) != 0; j++)
            ;
        for (k = 0; k < b->nloops && strcmp(b->loops[k].from, b->nodes[i].name) != 0; k++)
            ;
        if (j == b->nedges && k == b->nloops) {
            fputs("    ", f);
            quoted(f, b->nodes[i].name);
            fputs(" -> \"(output)\";\n", f);
        }
    }
    fputs("}\n", f);
}

/* Whether an executable named name is on PATH. */
static int on_path(const char *name)
{
    const char *path = getenv("PATH"), *p;
    char full[4096];
    if (path == NULL)
        path = "/usr/bin:/bin";
    for (p = path; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(full, sizeof(full), "%.*s/%s", (int)len, len ? p : ".", name);
        if (access(full, X_OK) == 0)
            return 1;
        p += len;
        if (*p == ':')
            p++;
    }
    return 0;
}

static int svg(const cli_build *b)
{
    int fds[2], status;
    pid_t pid;
    FILE *f;
    if (!on_path("dot")) {
        fputs("rill graph: --svg needs Graphviz's `dot`, which is not installed "
              "(Debian: apt-get install graphviz); without --svg the graph is printed "
              "as DOT\n", stderr);
        return CLI_EXIT_FAILED;
    }
    fflush(stdout);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        fprintf(stderr, "rill graph: cannot start dot: %s\n", strerror(errno));
        return CLI_EXIT_FAILED;
    }
    if (pid == 0) {
        close(fds[1]);
        dup2(fds[0], 0);
        close(fds[0]);
        execlp("dot", "dot", "-Tsvg", (char *)NULL);
        fprintf(stderr, "rill graph: cannot run dot: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[0]);
    f = fdopen(fds[1], "w");
    if (f) {
        write_dot(f, b);
        fclose(f);
    } else
        close(fds[1]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fputs("rill graph: dot failed\n", stderr);
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

int cmd_graph(int argc, char **argv)
{
    static const struct option longs[] = {{"svg", no_argument, NULL, 'S'},
                                           {"set", required_argument, NULL, 's'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
    cli_sets sets = {NULL, 0};
    spec *s;
    cli_build *b;
    int c, rc, as_svg = 0;
    while ((c = getopt_long(argc, argv, "s:h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': as_svg = 1; break;
        case 's': cli_sets_add(&sets, optarg); break;
        case 'h': fputs(cmd_help("graph"), stdout); free(sets.v); return CLI_EXIT_OK;
        default:
            fputs("usage: rill graph [--svg] [-s NAME.KEY=VALUE]... SPEC\n", stderr);
            free(sets.v);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs("usage: rill graph [--svg] [-s NAME.KEY=VALUE]... SPEC\n", stderr);
        free(sets.v);
        return CLI_EXIT_USAGE;
    }
    rc = cli_prepare(&s, &b, argv[optind], sets.v, sets.n, 0);
    free(sets.v);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (as_svg)
        rc = svg(b);
    else {
        write_dot(stdout, b);
        rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    }
    cli_build_free(b);
    spec_free(s);
    return rc;
}
