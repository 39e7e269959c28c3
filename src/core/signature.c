/* signature.c — what identifies a pipeline and its sources: the
 * pipeline's fingerprint, and its sources (rill/sys/source.h): the one the
 * engine pulls (the generator, else the work list) and those its splittable
 * stages declare, each with its signature, the kind and an XXH3-128 of the
 * canonical bytes its describe gives (as a .rill record range, so that a
 * record boundary is part of what is hashed). */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "run.h"

/* The pipeline's shape, options and work list, hashed: a checkpoint is
 * resumed, and ranks run together, only by a pipeline with the same one. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    return XXH3_64bits_withSeed(p, n, h);
}

uint64_t rill__pipeline_fingerprint(const rill_pipeline *p)
{
    uint64_t h = 0x72696c6c; /* "rill" */
    int i, k;
    h = mix(h, &p->n, sizeof(p->n));
    for (i = 0; i < p->n; i++) {
        const rill__stage *s = &p->stages[i];
        int64_t v[8] = {0, s->serial, s->concurrency, (int64_t)s->batch_size,
                        (int64_t)s->reduce.store_size, (int64_t)s->frame.store_size,
                        (int64_t)s->combine.value_size, s->split.chunk};
        h = mix(h, s->ops->name, strlen(s->ops->name));
        h = mix(h, s->name, strlen(s->name));
        h = mix(h, v, sizeof(v));
        for (k = 0; k < s->nsucc; k++)
            h = mix(h, &s->succ[k], sizeof(int));
    }
    if (p->work) { /* the source's position refers to this work list */
        h = mix(h, p->work->arena, p->work->used);
        h = mix(h, p->work->recs, p->work->n * sizeof(*p->work->recs));
    }
    if (rill__pulled_source(p) && rill__pulled_source(p) != &rill__source_work) {
        rill_source_signature sig; /* a source of one's own: what it reads, too */
        if (rill_pipeline_source_signature(p, 0, &sig) == 0)
            h = mix(h, sig.hash, sizeof(sig.hash));
        h = mix(h, rill__pulled_source(p)->name, strlen(rill__pulled_source(p)->name));
    }
    return h;
}

const rill_source *rill__pulled_source(const rill_pipeline *p)
{
    return p->pulled          ? p->pulled
           : p->generator     ? &rill__source_generator
           : p->work          ? &rill__source_work
                              : NULL;
}

void *rill__pulled_self(const rill_pipeline *p)
{
    return p->pulled ? p->pulled_self : (void *)p;
}

/* A table of this rill's version, with what a source must give. */
static int check_source(rill_pipeline *p, const char *call, const rill_source *src,
                        int pulled)
{
    if (p == NULL)
        return rill__error(RILL_EINVAL, "%s: the pipeline is NULL", call);
    if (src == NULL || src->version != RILL_SOURCE_VERSION || src->name == NULL ||
        src->describe == NULL || (pulled && src->next == NULL))
        return rill__misuse(p, RILL_EINVAL, "%s: a source needs version %u, a name, "
                            "describe%s", call, RILL_SOURCE_VERSION, pulled ? " and next" : "");
    return 0;
}

int rill_source_set(rill_pipeline *p, const rill_source *src, void *self)
{
    int rc;
    if ((rc = check_source(p, "rill_source_set", src, 1)) < 0)
        return rc;
    if (p->pulled)
        return rill__misuse(p, RILL_EPIPELINE, "rill_source_set: source '%s' is already "
                            "set; a pipeline pulls one", p->pulled->name);
    p->pulled = src;
    p->pulled_self = self;
    return 0;
}

int rill_source_declare(rill_pipeline *p, const rill_source *src, void *self)
{
    int rc;
    if ((rc = check_source(p, "rill_source_declare", src, 0)) < 0)
        return rc;
    return rill__pipeline_declare(p, src, self);
}

int rill__pipeline_declare(rill_pipeline *p, const rill_source *ops, void *self)
{
    rill__declared *d = realloc(p->declared, (size_t)(p->ndeclared + 1) * sizeof(*d));
    if (d == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    p->declared = d;
    d[p->ndeclared].ops = ops;
    d[p->ndeclared].self = self;
    p->ndeclared++;
    return 0;
}

void rill__pipeline_sources_free(rill_pipeline *p)
{
    int i;
    if (p->pulled && p->pulled->free)
        p->pulled->free(p->pulled_self);
    p->pulled = NULL;
    for (i = 0; i < p->ndeclared; i++)
        if (p->declared[i].ops->free)
            p->declared[i].ops->free(p->declared[i].self);
    free(p->declared);
    p->declared = NULL;
    p->ndeclared = 0;
}

int rill_pipeline_source_count(const rill_pipeline *p)
{
    if (p == NULL)
        return 0;
    return (rill__pulled_source(p) != NULL) + p->ndeclared;
}

int rill_pipeline_source_signature(const rill_pipeline *p, int i, rill_source_signature *out)
{
    const rill_source *ops;
    const void *self;
    rill_batch *b = NULL;
    XXH128_hash_t h;
    int rc;
    if (p == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_pipeline_source_signature: NULL argument");
    if (i < 0 || i >= rill_pipeline_source_count(p))
        return rill__error(RILL_ENOTFOUND, "the pipeline has %d sources, not %d",
                           rill_pipeline_source_count(p), i + 1);
    if ((ops = rill__pulled_source(p)) != NULL && i == 0) {
        self = rill__pulled_self(p);
    } else {
        i -= ops != NULL;
        ops = p->declared[i].ops;
        self = p->declared[i].self;
    }
    if ((rc = rill_batch_new(&b)) < 0 || (rc = ops->describe(self, p, b)) < 0) {
        rill_batch_free(b);
        return rc;
    }
    { /* lengths and bytes of each record, so that boundaries count */
        XXH3_state_t st;
        size_t k;
        XXH3_128bits_reset(&st);
        XXH3_128bits_update(&st, ops->name, strlen(ops->name) + 1);
        for (k = 0; k < b->n; k++) {
            rill_record r;
            uint64_t lens[2];
            rill__batch_view(b, k, &r);
            lens[0] = r.key ? (uint64_t)r.key_len + 1 : 0;
            lens[1] = r.len;
            XXH3_128bits_update(&st, lens, sizeof(lens));
            XXH3_128bits_update(&st, r.key ? r.key : "", r.key_len);
            XXH3_128bits_update(&st, r.data, r.len);
        }
        h = XXH3_128bits_digest(&st);
    }
    rill_batch_free(b);
    out->kind = ops->name;
    out->flags = ops->flags;
    out->hash[0] = h.low64;
    out->hash[1] = h.high64;
    return 0;
}
