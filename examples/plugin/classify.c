/* classify.c — the classify piece (classify.h): three stages appended by one
 * call, with the piece's options in its first stage's context and its
 * classifier as the payload of its callbacks. Built into the example plugin
 * and into examples/pieces.c alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

static const classifier default_classifier = {5, "short", "long"};

static int label(rill_emitter *out, const rill_record *in, void *payload)
{
    const classifier *c = payload ? payload : &default_classifier;
    const char *at = rill_context(out, "long");
    int64_t long_at = at ? strtoll(at, NULL, 10) : c->long_at;
    const char *cls = (int64_t)in->len >= long_at ? c->long_label : c->short_label;
    return rill_emit_keyed(out, cls, strlen(cls), NULL, 0); /* a bare key: counted */
}

static int as_text(rill_emitter *out, const rill_record *in, void *payload)
{
    char line[300];
    int64_t n = 0;
    int rc;
    (void)payload;
    if ((rc = rill_record_int64(&n, in)) != 0)
        return rc;
    snprintf(line, sizeof(line), "%.*s %lld", (int)(in->key_len < 200 ? in->key_len : 200),
             (const char *)in->key, (long long)n);
    return rill_emit_text(out, line);
}

int classify_piece(rill_pipeline *p, const char *name, const char *const *options,
                   void *payload)
{
    rill_combine_options counts = RILL_COMBINE_SUM_INT64;
    char count_name[256], text_name[256];
    const char *long_at = NULL;
    size_t i;
    int rc;
    for (i = 0; options && options[i]; i++) {
        const char *v = options[i] + 5;
        char *end;
        if (strncmp(options[i], "long=", 5) != 0 || *v == '\0' ||
            (strtoll(v, &end, 10), *end != '\0')) {
            rill_error_set("option '%s': classify takes long=N (bytes)", options[i]);
            return RILL_EINVAL;
        }
        long_at = v;
    }
    snprintf(count_name, sizeof(count_name), "%s.count", name);
    snprintf(text_name, sizeof(text_name), "%s.text", name);
    if ((rc = rill_job(p, name, NULL, label, payload)) < 0 ||
        (long_at && (rc = rill_configure(p, name, "context.long", long_at)) < 0) ||
        (rc = rill_combine(p, count_name, &counts, NULL)) < 0 ||
        (rc = rill_job(p, text_name, NULL, as_text, NULL)) < 0)
        return rc;
    return 0;
}
