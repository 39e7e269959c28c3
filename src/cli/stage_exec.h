/* stage_exec.h — the stage kind exec (stage_exec.c): an external command as
 * a stage, with what the builder and `rill run` ask of it. */
#ifndef RILL_CLI_STAGE_EXEC_H
#define RILL_CLI_STAGE_EXEC_H

#include "build.h"

extern const cli_stage_def cli_stage_exec;

/* After a run: a line on stderr per exec stage that skipped records
 * (on_error: skip), with the count and the dead-letter file. */
void cli_exec_summary(const cli_build *b);

#endif
