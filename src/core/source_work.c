/* source_work.c — the work list (rill_work) as a source: its records go to
 * the roots in ranges cut under the scheduler's lock, large while much is
 * left and down to one record at the end (guided), so no worker is left
 * with a long tail. Its position is the number of records cut. */
#include "run.h"

static int work_next(void *self, rill_source_pull *pull)
{
    const rill_pipeline *p = self;
    size_t total = p->work ? rill_batch_count(p->work) : 0, at = (size_t)pull->position, n;
    if (at >= total || (pull->leave_last && total - at < 2))
        return 0;
    n = (total - at) / (2 * (size_t)pull->workers);
    if (n > pull->batch_records)
        n = pull->batch_records;
    if (n == 0)
        n = 1;
    pull->batch = p->work;
    pull->begin = at;
    pull->end = at + n;
    pull->position = (int64_t)(at + n);
    pull->last = at + n == total;
    return 1;
}

/* The records themselves, keys and data, in order. */
static int work_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    size_t i, n;
    int rc = 0;
    (void)self;
    n = p->work ? rill_batch_count(p->work) : 0;
    for (i = 0; i < n && rc == 0; i++) {
        rill_record r;
        rill__batch_view(p->work, i, &r);
        rc = rill_batch_add_record(out, &r);
    }
    return rc;
}

const rill_source rill__source_work = {
    .version = RILL_SOURCE_VERSION,
    .name = "work",
    .flags = RILL_SOURCE_BOUNDED | RILL_SOURCE_CUTS,
    .next = work_next,
    .describe = work_describe,
};
