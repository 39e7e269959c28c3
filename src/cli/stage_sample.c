/* stage_sample.c — the `sample` built-in: a random sample of the records,
 * the same for a given seed and input however many workers run it and
 * in whatever order records arrive.
 *
 * rate: a Bernoulli sample, each record kept with that probability. The
 * draw is a hash of the seed and the record (key and value), so a record's
 * fate does not depend on what else the stage saw; identical records share
 * their fate (all kept or all dropped). A job: it streams.
 *
 * n: a sample of n records, each set of n equally likely (for distinct
 * records): the n records with the smallest hashes of the seed and the
 * record (bottom-n sampling, which unlike a reservoir does not depend on
 * the order of arrival). A reduce: each worker keeps its n smallest, the
 * partial samples are merged, and the sample is emitted in hash order.
 * Memory: n records per worker. */
#include <stdlib.h>

#include "stage_common.h"

typedef struct sample_conf {
    double rate;
    int64_t n;
    uint64_t seed;
} sample_conf;

static int bernoulli(rill_emitter *out, const rill_record *in, void *payload)
{
    const sample_conf *c = payload;
    /* the top 53 bits as a fraction in [0, 1) */
    double u = (double)(cli_hash_record(c->seed, in) >> 11) * (1.0 / 9007199254740992.0);
    return u < c->rate ? rill_emit_record(out, in) : 0;
}

static int by_rank(const cli_item *a, const cli_item *b, const void *conf)
{
    (void)conf;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return cli_item_cmp_record(a, b);
}

static int bottom_add(rill_emitter *recur, void *store, const rill_record *in, size_t n, void *payload)
{
    const sample_conf *c = payload;
    size_t i;
    int rc = 0;
    (void)recur;
    for (i = 0; i < n && rc == 0; i++) {
        cli_item *it = cli_item_new(&in[i]);
        if (it)
            it->rank = cli_hash_record(c->seed, &in[i]);
        rc = cli_items_offer(store, (size_t)c->n, it, by_rank, NULL);
    }
    return rc;
}

static int bottom_merge(void *store, void *other, void *payload)
{
    const sample_conf *c = payload;
    cli_items *o = other;
    int rc = 0;
    while (o->n > 0 && rc == 0)
        rc = cli_items_offer(store, (size_t)c->n, o->v[--o->n], by_rank, NULL);
    return rc;
}

static int bottom_emit(rill_emitter *out, void *store, void *payload)
{
    cli_items *a = store;
    size_t i;
    int rc = 0;
    (void)payload;
    cli_items_sort(a, by_rank, NULL);
    for (i = 0; i < a->n && rc == 0; i++)
        rc = cli_item_emit(out, a->v[i]);
    return rc;
}

static void bottom_free(void *store, void *payload)
{
    (void)payload;
    cli_items_free(store);
}

static int bottom_encode(const void *store, rill_batch *out, void *payload)
{
    (void)payload;
    return cli_items_encode(store, out);
}

static int bottom_decode(void *store, const void *bytes, size_t len, void *payload)
{
    (void)payload;
    return cli_items_decode(store, bytes, len);
}

static int sample_add(cli_build *b, const cli_opts *o)
{
    sample_conf *c = calloc(1, sizeof(*c));
    int64_t seed = 0;
    int has_rate, has_n;
    if (c == NULL)
        return cli_error(o, NULL, "out of memory");
    if ((has_rate = cli_opt_double(o, "rate", &c->rate)) < 0 ||
        (has_n = cli_opt_int(o, "n", 1, 100000000, &c->n)) < 0 ||
        cli_opt_int(o, "seed", INT64_MIN, INT64_MAX, &seed) < 0)
        goto fail;
    c->seed = (uint64_t)seed;
    if (has_rate == has_n) {
        if (has_rate == 0)
            cli_error(o, "n", "sample takes rate (a fraction to keep) or n (how many to "
                              "keep), not both");
        else
            cli_error(o, NULL, "sample needs either rate (a fraction to keep) or n (how many "
                               "to keep)");
        goto fail;
    }
    if (has_rate == 0 && !(c->rate > 0 && c->rate <= 1)) {
        cli_error(o, "rate", "rate is a fraction above 0 and at most 1, not %g", c->rate);
        goto fail;
    }
    if (cli_own(b, c, free) < 0)
        goto fail;
    if (has_rate == 0) {
        rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
        return cli_add_job(b, o, o->stage, &so, bernoulli, c);
    } else {
        rill_reduce_options ro = RILL_REDUCE_OPTIONS_INIT;
        ro.store_size = sizeof(cli_items);
        ro.add = bottom_add;
        ro.merge = bottom_merge;
        ro.emit = bottom_emit;
        ro.free = bottom_free;
        ro.encode = bottom_encode;
        ro.decode = bottom_decode;
        return cli_add_reduce(b, o, o->stage, &ro, c);
    }
fail:
    free(c);
    return -1;
}

static const cli_option_doc sample_options[] = {
    {"rate", "number", "none", "keep each record with this probability (streams); give rate or n"},
    {"n", "int", "none", "keep this many records, each set of n equally likely; give rate or n"},
    {"seed", "int", "0", "the seed: the same seed and input give the same sample"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_sample = {
    .kind = "sample",
    .summary = "a random sample (a rate, or n records), the same for a given seed and input",
    .options = sample_options,
    .add = sample_add,
};
