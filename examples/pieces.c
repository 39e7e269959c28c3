/* pieces.c — a reusable piece of pipeline used from C (job_stream's
 * jobs_NAME): classify_piece (examples/plugin/classify.c) appends three
 * stages, with its options and its classifier, in one call. The example
 * plugin offers the same piece to specs: `use: libexample_plugin.so:classify`.
 *
 *     $ ./pieces
 *     long 2
 *     short 7
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rill.h>

#include "plugin/classify.h"

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    const char *words[] = {"a", "rill", "runs", "pieces", "of", "pipeline", "as", "one",
                           "call"};
    classifier sizes = {4, "short", "long"}; /* the piece's payload */
    const char *options[] = {"long=5", NULL}; /* and its options: long from 5 bytes */
    rill_pipeline *p;
    rill_batch *work, *res = NULL;
    size_t i, n;
    char **lines;
    rill_pipeline_new(&p);
    rill_batch_new(&work);
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        rill_batch_add_text(work, words[i]);
    rill_work(p, work);
    if (rill_use(p, "sizes", classify_piece, options, &sizes) != 0 ||
        rill_run(p, NULL, &res) != 0) {
        fprintf(stderr, "pieces: %s\n", rill_error_last());
        rill_pipeline_free(p);
        return 1;
    }
    /* the counts come in no defined order: print them sorted */
    n = rill_batch_count(res);
    lines = calloc(n + 1, sizeof(*lines));
    for (i = 0; lines && i < n; i++) {
        rill_record r;
        rill_batch_get(&r, res, i);
        if ((lines[i] = calloc(r.len + 1, 1)) != NULL)
            memcpy(lines[i], r.data, r.len);
    }
    if (lines)
        qsort(lines, n, sizeof(*lines), by_text);
    for (i = 0; lines && i < n; i++) {
        printf("%s\n", lines[i] ? lines[i] : "");
        free(lines[i]);
    }
    free(lines);
    rill_batch_free(res);
    rill_pipeline_free(p);
    return 0;
}
