/* stage_builtins.h — the built-in stages of branch cli-builtins, each in its
 * own stage_<kind>.c, for the table of every built-in (builtins.c). */
#ifndef RILL_CLI_STAGE_BUILTINS_H
#define RILL_CLI_STAGE_BUILTINS_H

#include "cli.h"

extern const cli_stage_def cli_stage_grep;
extern const cli_stage_def cli_stage_fields;
extern const cli_stage_def cli_stage_json;
extern const cli_stage_def cli_stage_sum;
extern const cli_stage_def cli_stage_mean;
extern const cli_stage_def cli_stage_min;
extern const cli_stage_def cli_stage_max;
extern const cli_stage_def cli_stage_distinct;
extern const cli_stage_def cli_stage_top;
extern const cli_stage_def cli_stage_head;
extern const cli_stage_def cli_stage_sample;
extern const cli_stage_def cli_stage_dedupe;
extern const cli_stage_def cli_stage_sort;

#endif
