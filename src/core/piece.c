/* piece.c — rill_use: a reusable piece of pipeline (job_stream's jobs_NAME)
 * appended by one call (rill/pipeline.h).
 *
 * A piece is a function that appends stages with the registering calls; it
 * is given the name the caller chose, options as key=value strings and its
 * payload. rill_use checks the options' form, calls it, and checks that
 * every stage it added is named NAME or NAME.something, so that two uses of
 * one piece never clash. A failure is remembered as any refused builder
 * call is (validation and rill_run refuse the pipeline with the message),
 * the message naming the piece: "piece 'NAME': why". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "plan.h"

int rill_use(rill_pipeline *p, const char *name, rill_piece_fn piece,
             const char *const *options, void *payload)
{
    char why[RILL__ERROR_MAX - 300];
    size_t i, len;
    int first, rc, k, before;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_use: the pipeline is NULL");
    if (name == NULL || name[0] == '\0' || piece == NULL)
        return rill__misuse(p, RILL_EPIPELINE, "rill_use: %s", piece == NULL
                            ? "the piece is NULL" : "the piece's name is NULL or empty");
    for (i = 0; options && options[i]; i++)
        if (strchr(options[i], '=') == NULL || options[i][0] == '=')
            return rill__misuse(p, RILL_EINVAL, "piece '%.200s': option '%.200s' is not "
                                "key=value", name, options[i]);
    first = p->n;
    before = p->build_error;
    rill_error_clear();
    if ((rc = piece(p, name, options, payload)) != 0) {
        if (p->build_error && !before) /* a registering call refused: its message says why */
            return p->build_error;
        if (rill_error_last()[0])
            snprintf(why, sizeof(why), "%s", rill_error_last());
        else
            snprintf(why, sizeof(why), "it returned %d", rc);
        return rill__misuse(p, rc < -1 && rc >= RILL_EISDIR ? rc : RILL_EUSER,
                            "piece '%.200s': %s", name, why);
    }
    len = strlen(name);
    for (k = first; k < p->n; k++) {
        const char *s = p->stages[k].name;
        if (p->stages[k].builtin == 2) /* a helper rill added before its stage */
            continue;
        if (strncmp(s, name, len) != 0 || (s[len] != '\0' && s[len] != '.'))
            return rill__misuse(p, RILL_EPIPELINE, "piece '%.200s' added the stage '%.200s': "
                                "a piece names its stages '%.200s' or '%.200s.something', so "
                                "that two uses of it do not clash", name, s, name, name);
    }
    return 0;
}
