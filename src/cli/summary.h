/* summary.h — the line `rill run` prints on stderr when a run ends (unless
 * --quiet): what it read and wrote, how long it took, how fast. One
 * function, so that the feedback (progress, peak memory) can replace it. */
#ifndef RILL_CLI_SUMMARY_H
#define RILL_CLI_SUMMARY_H

#include <stdint.h>

#include "build.h"

typedef struct cli_run_info {
    const cli_build *b;   /* the pipeline as built (stats by stage name) */
    uint64_t records_in;  /* what the source gave */
    uint64_t records_out; /* what left the pipeline */
    double seconds;       /* wall time of the run */
    int rc;               /* rill_run's result */
} cli_run_info;

void cli_summary(const cli_run_info *info);

#endif
