/* stage_exec.c — the stage kind exec: an external command as a stage
 * (include/rill/exec.h), one long-lived process per worker, records to its
 * standard input and from its standard output, never through a shell:
 *
 *     - {name: big, kind: exec, command: [awk, '$2 > 10 { print $1 }']}
 *
 * With on_error: skip a record whose process dies or writes garbage goes
 * to the dead-letter file STAGE.dead-letter beside the output (in the
 * output's folder, dir: or -o; in the current folder when the output is
 * standard output), and the end-of-run summary counts it
 * (cli_exec_summary). The library's limits hold: no checkpoints (refused
 * by rill run at the exec stage's place). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_exec.h"
#include "xalloc.h"

static const cli_option_doc exec_opts[] = {
    {"command", "list", NULL, "the program and its arguments (run directly, never through "
                              "a shell; the program is looked for in PATH)"},
    {"framing", "lines|length", "lines", "a record per line, or 4-byte big-endian length "
                                         "then the bytes (binary records)"},
    {"on_error", "stop|skip", "stop", "a process that dies or writes garbage stops the run, "
                                      "or its record goes to STAGE.dead-letter beside the "
                                      "output and the run goes on"},
    {NULL, NULL, NULL, NULL}};

/* The output's folder the spec or -o gave (the builder reads it after the
 * stages; here it is only looked at). */
static const char *output_dir(const cli_build *b)
{
    const char *dir = NULL;
    size_t i;
    for (i = 0; i < b->s->output.n; i++)
        if (strcmp(b->s->output.v[i].key, "dir") == 0 && b->s->output.v[i].text)
            dir = b->s->output.v[i].text; /* the last: -o comes after the spec */
    return dir && *dir ? dir : NULL;
}

/* The dead-letter path of stage (owned by the caller). */
static char *dead_letter_path(const char *dir, const char *stage)
{
    size_t n = (dir ? strlen(dir) : 1) + strlen(stage) + 16;
    char *p = cli_xmalloc(n);
    snprintf(p, n, "%s/%s.dead-letter", dir ? dir : ".", stage);
    return p;
}

static int add_exec(cli_build *b, const cli_opts *o)
{
    static const char *const framings[] = {"lines", "length", NULL};
    static const char *const on_errors[] = {"stop", "skip", NULL};
    rill_exec_options eo = RILL_EXEC_OPTIONS_INIT;
    const char *const *items;
    const char **argv;
    char *dead = NULL;
    size_t n, i;
    int framing = 0, on_error = 0, rc;
    if ((rc = cli_opt_list(o, "command", &items, &n)) != 0)
        return rc == 1 ? cli_error(o, NULL, "exec needs command: [program, arguments...]")
                       : -1;
    if (cli_opt_enum(o, "framing", framings, &framing) < 0 ||
        cli_opt_enum(o, "on_error", on_errors, &on_error) < 0)
        return -1;
    if (n == 0 || items[0][0] == '\0')
        return cli_error(o, "command", "command: give the program (and its arguments)");
    argv = cli_xcalloc(n + 1, sizeof(*argv));
    for (i = 0; i < n; i++)
        argv[i] = items[i];
    eo.argv = argv;
    eo.framing = framing == 1 ? RILL_EXEC_LENGTH : RILL_EXEC_LINES;
    eo.on_error = on_error == 1 ? RILL_EXEC_SKIP : RILL_EXEC_STOP;
    if (on_error == 1)
        eo.dead_letter = dead = dead_letter_path(output_dir(b), o->stage);
    rc = rill_exec(b->p, o->stage, &eo);
    free(argv);
    free(dead);
    if (rc < 0)
        return cli_error(o, "command", "%s", rill_error_last());
    /* recorded as a task (a batch at a time), wired as the others */
    if (cli_add_source_stage(b, o, o->stage, 0, 0) < 0)
        return -1;
    b->nodes[b->nnodes - 1].type = "exec";
    b->nodes[b->nnodes - 1].state = "one process per worker";
    return 0;
}

const cli_stage_def cli_stage_exec = {"exec", "an external command as a stage (argv, never a "
                                              "shell): records to its stdin, from its stdout",
                                      exec_opts, add_exec};

void cli_exec_summary(const cli_build *b)
{
    size_t i;
    for (i = 0; i < b->nnodes; i++) {
        uint64_t skipped = 0;
        char *path;
        if (strcmp(b->nodes[i].type, "exec") != 0 ||
            rill_exec_skipped(&skipped, b->p, b->nodes[i].name) < 0 || skipped == 0)
            continue;
        path = dead_letter_path(b->output_dir, b->nodes[i].name);
        fprintf(stderr, "rill: stage '%s' skipped %llu record%s (in %s); warning: its "
                "command died as often, and a command that reads ahead (awk, sed, most "
                "tools read in blocks) may have read records it never processed, which are "
                "in neither the output nor %s\n", b->nodes[i].name,
                (unsigned long long)skipped, skipped == 1 ? "" : "s", path, path);
        free(path);
    }
}
