/* builtins.c — the registry of built-in stages: cli_stage_defs[] lists
 * every kind a spec may name, each defined in its own file
 * (stage_<kind>.c) as a `const cli_stage_def cli_stage_<kind>`.
 *
 * Adding a kind: write its file, declare it below and add its line to the
 * array (the list is kept in the order `rill help stages` prints it). */
#include <string.h>

#include "cli.h"

extern const cli_stage_def cli_stage_words;
extern const cli_stage_def cli_stage_count;

const cli_stage_def *const cli_stage_defs[] = {
    &cli_stage_words,
    &cli_stage_count,
    /* cli-builtins: grep, fields, json, sum, mean, min, max, distinct, top, head,
     * sample, dedupe, sort */
    /* io-exec: exec */
    NULL,
};

const cli_stage_def *cli_stage_find(const char *kind)
{
    size_t i;
    for (i = 0; cli_stage_defs[i]; i++)
        if (strcmp(cli_stage_defs[i]->kind, kind) == 0)
            return cli_stage_defs[i];
    return NULL;
}
