/* builtins.c — the registry of built-in stages: cli_stage_defs[] lists
 * every kind a spec may name, each defined in its own file
 * (stage_<kind>.c) as a `const cli_stage_def cli_stage_<kind>`.
 *
 * Adding a kind: write its file, declare it below and add its line to the
 * array (the list is kept in the order `rill help stages` prints it). */
#include <string.h>

#include "cli.h"
#include "plugins.h"
#include "stage_builtins.h"
#include "stage_exec.h"

extern const cli_stage_def cli_stage_words;
extern const cli_stage_def cli_stage_count;

const cli_stage_def *const cli_stage_defs[] = {
    &cli_stage_words,
    &cli_stage_grep,
    &cli_stage_fields,
    &cli_stage_json,
    &cli_stage_count,
    &cli_stage_sum,
    &cli_stage_mean,
    &cli_stage_min,
    &cli_stage_max,
    &cli_stage_distinct,
    &cli_stage_dedupe,
    &cli_stage_top,
    &cli_stage_head,
    &cli_stage_sample,
    &cli_stage_sort,
    &cli_stage_exec,
    &cli_stage_plugin,
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
