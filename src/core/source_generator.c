/* source_generator.c — a user's generator (rill_generator) as a source:
 * each call fills a batch, bounded or endless; the run's max_batches stops
 * an endless one. Its position is the number of batches it gave. */
#include <string.h>

#include "run.h"

static int generator_next(void *self, rill_source_pull *pull)
{
    const rill_pipeline *p = self;
    int rc;
    rill_error_clear();
    rc = p->generator(pull->out, p->generator_payload);
    if (rc <= 0)
        return rc < 0 ? rc : 0;
    pull->batch = pull->out;
    pull->begin = 0;
    pull->end = rill_batch_count(pull->out);
    pull->position++;
    return 1;
}

/* A generator is code: its configuration is what the user says it is. The
 * signature covers the names of the stages it feeds, no more: the first
 * stage of an inline pipeline, or every stage of a graph that no edge goes
 * to (read from the builder's own data, so that it is the same before and
 * after validation). */
static int generator_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    int i, j, rc = 0;
    (void)self;
    for (i = 0; i < p->n && rc == 0; i++) {
        int fed = p->nedges ? 0 : i > 0;
        for (j = 0; j < p->nedges && !fed; j++)
            fed = !p->edges[j].loop && strcmp(p->edges[j].to, p->stages[i].name) == 0;
        if (!fed)
            rc = rill_batch_add(out, p->stages[i].name, strlen(p->stages[i].name));
    }
    return rc;
}

const rill_source rill__source_generator = {
    .version = RILL_SOURCE_VERSION,
    .name = "generator",
    .flags = 0,
    .next = generator_next,
    .describe = generator_describe,
};

int rill_generator(rill_pipeline *p, rill_generator_fn fn, void *payload)
{
    int rc;
    if ((rc = rill__hook_check(p, "rill_generator", fn != NULL, 0, "generator")) < 0)
        return rc;
    p->generator = fn;
    p->generator_payload = payload;
    return 0;
}
