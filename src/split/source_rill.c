/* source_rill.c — rill's own record files as a source (rill_read_rill_files):
 * a splittable stage over the paths of the work list, one unit per file
 * (the length-prefixed format has no point to start reading at but its
 * beginning), each record given with its key, read through rill_reader. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "../core/run.h"
#include "../util/error.h"
#include "rill/io.h"

/* A file is one position: claimed, then read from start to end. */
static int rill_initial(const rill_record *el, rill_restriction *r, void *payload)
{
    (void)el;
    (void)payload;
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    r->to = 1;
    return 0;
}

static int rill_process(rill_emitter *out, const rill_record *el, rill_tracker *t, void *payload)
{
    char path[4096];
    rill_reader *rd = NULL;
    rill_record rec;
    int rc;
    (void)payload;
    if ((rc = rill__path_of(el, path, sizeof(path))) < 0)
        return rc;
    if ((rc = rill_tracker_try_claim(t, 0)) <= 0)
        return rc;
    if ((rc = rill_reader_open(&rd, strcmp(path, "-") == 0 ? "/dev/stdin" : path)) < 0)
        return rc;
    while ((rc = rill_reader_next(&rec, rd)) == 1) {
        int e = rill_emit_record(out, &rec);
        if (e != 0) { /* the run is stopping */
            rill_reader_close(rd);
            return e;
        }
    }
    rill_reader_close(rd);
    return rc;
}

static const rill_source rill_files_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "rill-files",
    .flags = RILL_SOURCE_BOUNDED | RILL_SOURCE_SPLITTABLE,
    .describe = rill__files_describe,
    .free = free,
};

int rill_read_rill_files(rill_pipeline *p, const char *name)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    char glob_name[300];
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_read_rill_files: the pipeline is NULL");
    o.initial = rill_initial;
    o.process = rill_process;
    o.chunk = 1;
    o.min_split = INT64_MAX; /* a file is not split */
    if ((rc = rill__add_files(p, "rill_read_rill_files", name, glob_name,
                              sizeof(glob_name))) < 0)
        return rc;
    if ((rc = rill_splittable(p, name, &o, NULL)) < 0)
        return rc;
    p->stages[p->n - 1].builtin = 1; /* its errors keep their codes */
    if ((rc = rill__declare_files(p, &rill_files_source, 1, 0)) < 0)
        return rc;
    return p->nedges ? rill_edge(p, glob_name, name) : 0;
}
