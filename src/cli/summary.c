/* summary.c — the end-of-run line on stderr:
 *     rill: 1204881 records in, 20000 out in 0.84 s (1.43 M records/s)
 * (the feedback branch replaces this function to add peak memory). */
#include <stdio.h>

#include "summary.h"

static void rate(char *out, size_t cap, double per_second)
{
    if (per_second >= 1e6)
        snprintf(out, cap, "%.2fM", per_second / 1e6);
    else if (per_second >= 1e3)
        snprintf(out, cap, "%.1fk", per_second / 1e3);
    else
        snprintf(out, cap, "%.0f", per_second);
}

void cli_summary(const cli_run_info *info)
{
    char r[32];
    rate(r, sizeof(r), info->seconds > 0 ? (double)info->records_in / info->seconds : 0);
    fprintf(stderr, "rill: %llu records in, %llu out in %.2f s (%s records/s)%s\n",
            (unsigned long long)info->records_in, (unsigned long long)info->records_out,
            info->seconds, r, info->rc < 0 ? ": failed" : "");
}
