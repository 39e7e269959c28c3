/* sink_callback.c — the sink of rill_output: each output batch goes to the
 * user's callback, with the name of the stage that emitted it. */
#include <stdlib.h>

#include "run.h"

typedef struct callback_sink {
    rill_output_fn fn;
    void *payload; /* borrowed from the user */
} callback_sink;

int rill__sink_range(const rill_batch *batch, size_t begin, size_t end, rill_batch **part)
{
    size_t i;
    int rc;
    *part = (rill_batch *)batch;
    if (begin == 0 && end == batch->n)
        return 0;
    if ((rc = rill_batch_new(part)) < 0)
        return rc;
    for (i = begin, rc = 0; i < end && rc == 0; i++) {
        rill_record r;
        rill__batch_view(batch, i, &r);
        rc = rill_batch_add_record(*part, &r);
    }
    if (rc < 0) {
        rill_batch_free(*part);
        *part = NULL;
    }
    return rc;
}

static int callback_write(void *self, const char *sink, const rill_batch *batch,
                          size_t begin, size_t end)
{
    callback_sink *c = self;
    rill_batch *part;
    int rc = rill__sink_range(batch, begin, end, &part);
    if (rc < 0)
        return rc;
    rill_error_clear();
    if ((rc = c->fn(sink, part, c->payload)) != 0) { /* the user's: said as such */
        if (!rill_error_last()[0])
            rill_error_set("callback returned %d", rc);
        rc = RILL_EUSER;
    }
    if (part != batch)
        rill_batch_free(part);
    return rc;
}

const rill_sink rill__sink_callback = {
    .version = RILL_SINK_VERSION,
    .name = "callback",
    .write = callback_write,
    .free = free,
};

int rill_output_sink(rill_pipeline *p, const rill_sink *sink, void *self)
{
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_output_sink: the pipeline is NULL");
    if (sink == NULL || sink->version != RILL_SINK_VERSION || sink->name == NULL ||
        sink->write == NULL)
        return rill__misuse(p, RILL_EINVAL, "rill_output_sink: a sink needs version %u, a "
                            "name and write", RILL_SINK_VERSION);
    if (p->sink && p->sink->free)
        p->sink->free(p->sink_self);
    p->sink = sink;
    p->sink_self = self;
    p->terminal = 1;
    return 0;
}

int rill_output(rill_pipeline *p, rill_output_fn fn, void *payload)
{
    callback_sink *c;
    int rc;
    if ((rc = rill__hook_check(p, "rill_output", fn != NULL, 0, "output")) < 0)
        return rc;
    RILL__CHECK_ALLOC(c = malloc(sizeof(*c)));
    c->fn = fn;
    c->payload = payload;
    if ((rc = rill_output_sink(p, &rill__sink_callback, c)) < 0)
        free(c);
    return rc;
}
