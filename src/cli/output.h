/* output.h — where a run's output goes (`output:` of the spec, -o): a
 * folder through rill_output_dir, or standard output in one of the
 * formats lines, tsv, csv, jsonl. */
#ifndef RILL_CLI_OUTPUT_H
#define RILL_CLI_OUTPUT_H

#include "build.h"

/* Reads the output's options and sets the pipeline's output. 0 or -1 after
 * cli_error. */
int cli_output_add(cli_build *b, const cli_opts *o);

/* After a run: flushes standard output. 0, or -1 with a message on stderr. */
int cli_output_flush(void);

/* Whether writing to standard output failed because its reader went away
 * (`rill run ... | head`): not an error of the run. */
int cli_output_pipe_closed(void);

/* Records written to standard output or given to the output folder. */
uint64_t cli_output_records(void);

#endif
