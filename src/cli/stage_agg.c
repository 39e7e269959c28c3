/* stage_agg.c — the `sum`, `mean`, `min` and `max` built-ins: numbers by key.
 * Each reads a keyed record's value as a number written as text and emits
 * one keyed record per key whose value is the result as text.
 *
 * Each adds two stages: a combine named as the stage (every worker folds
 * into a partial table, the tables are merged, keys are shuffled to the
 * ranks that own them) and a job named "<stage>:format" that writes each
 * key's accumulator as text. Integers add up exactly in an int64 while they
 * fit; a real number among them, or an overflow, makes the result a double
 * (whose last digits may then differ from run to run, as the order in
 * which partial sums are merged does). A key all of whose values were
 * skipped (on_error: skip) is not emitted. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_common.h"

enum agg_kind { AGG_SUM, AGG_MEAN, AGG_MIN, AGG_MAX };

/* One key's accumulator: the combine's value, copied as bytes. */
typedef struct agg_acc {
    int64_t n;      /* values folded in */
    int64_t isum;   /* exact sum while every value is an integer that fits */
    double dsum;    /* the sum as a double, always */
    cli_num best;   /* min or max so far */
    int32_t real;   /* the exact sum no longer holds */
} agg_acc;

typedef struct agg_conf {
    enum agg_kind kind;
    int on_error;
} agg_conf;

static void fold(agg_acc *a, const cli_num *x, enum agg_kind kind)
{
    if (kind == AGG_MIN || kind == AGG_MAX) {
        int c = a->n ? cli_num_cmp(x, &a->best) : 0;
        if (a->n == 0 || (kind == AGG_MIN ? c < 0 : c > 0))
            a->best = *x;
    } else {
        a->dsum += x->d;
        if (!x->is_int || __builtin_add_overflow(a->isum, x->i, &a->isum))
            a->real = 1;
    }
    a->n++;
}

static int agg_add(void *acc, const rill_record *rec, void *payload)
{
    const agg_conf *c = payload;
    agg_acc a;
    cli_num x;
    if (cli_num_parse(&x, rec->data, rec->len) < 0)
        return c->on_error == CLI_ON_ERROR_SKIP
                   ? 0 : cli_not_a_number(rec->data, rec->len, "value", NULL);
    memcpy(&a, acc, sizeof(a));
    fold(&a, &x, c->kind);
    memcpy(acc, &a, sizeof(a));
    return 0;
}

static int agg_merge(void *acc, void *other, void *payload)
{
    const agg_conf *c = payload;
    agg_acc a, b;
    memcpy(&a, acc, sizeof(a));
    memcpy(&b, other, sizeof(b));
    if (b.n == 0)
        return 0;
    if (c->kind == AGG_MIN || c->kind == AGG_MAX) {
        int k = a.n ? cli_num_cmp(&b.best, &a.best) : 0;
        if (a.n == 0 || (c->kind == AGG_MIN ? k < 0 : k > 0))
            a.best = b.best;
    } else {
        a.dsum += b.dsum;
        if (b.real || __builtin_add_overflow(a.isum, b.isum, &a.isum))
            a.real = 1;
    }
    a.n += b.n;
    memcpy(acc, &a, sizeof(a));
    return 0;
}

static int agg_format(rill_emitter *out, const rill_record *in, void *payload)
{
    const agg_conf *c = payload;
    char text[CLI_NUM_MAX];
    agg_acc a;
    cli_num r;
    if (in->len != sizeof(a)) {
        rill_error_set("an accumulator of %zu bytes, %zu expected", in->len, sizeof(a));
        return RILL_ECORRUPT;
    }
    memcpy(&a, in->data, sizeof(a));
    if (a.n == 0)
        return 0;
    switch (c->kind) {
    case AGG_SUM:
        r.is_int = !a.real;
        r.i = a.isum;
        r.d = a.dsum;
        break;
    case AGG_MEAN:
        r.is_int = 0;
        r.i = 0;
        r.d = a.real ? a.dsum / (double)a.n : (double)a.isum / (double)a.n;
        break;
    default:
        r = a.best;
    }
    return rill_emit_keyed(out, in->key ? in->key : "", in->key_len, text, cli_num_format(text, &r));
}

/* Adds the combine and its format job: every kind of this file. */
static int agg_add_stages(cli_build *b, const cli_opts *o, enum agg_kind kind)
{
    rill_combine_options co = RILL_COMBINE_OPTIONS_INIT;
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    char name[512];
    agg_conf *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return cli_error(o, NULL, "out of memory");
    c->kind = kind;
    if (cli_opt_enum(o, "on_error", cli_on_error_choices, &c->on_error) < 0 || cli_own(b, c, free) < 0) {
        free(c);
        return -1;
    }
    co.value_size = sizeof(agg_acc);
    co.add = agg_add;
    co.merge = agg_merge;
    if (cli_add_combine(b, o, o->stage, &co, c) < 0)
        return -1;
    if ((size_t)snprintf(name, sizeof(name), "%s:format", o->stage) >= sizeof(name))
        return cli_error(o, NULL, "the stage's name is too long");
    return cli_add_job(b, o, name, &so, agg_format, c);
}

static int sum_add(cli_build *b, const cli_opts *o)
{
    return agg_add_stages(b, o, AGG_SUM);
}
static int mean_add(cli_build *b, const cli_opts *o)
{
    return agg_add_stages(b, o, AGG_MEAN);
}
static int min_add(cli_build *b, const cli_opts *o)
{
    return agg_add_stages(b, o, AGG_MIN);
}
static int max_add(cli_build *b, const cli_opts *o)
{
    return agg_add_stages(b, o, AGG_MAX);
}

static const cli_option_doc agg_options[] = {
    {"on_error", "fail|skip", "fail", "a value that is not a number: fail the run naming the "
                                      "record, or leave it out"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_sum = {
    .kind = "sum",
    .summary = "the sum of the values (numbers as text) of each key",
    .options = agg_options,
    .add = sum_add,
};

const cli_stage_def cli_stage_mean = {
    .kind = "mean",
    .summary = "the mean of the values (numbers as text) of each key",
    .options = agg_options,
    .add = mean_add,
};

const cli_stage_def cli_stage_min = {
    .kind = "min",
    .summary = "the smallest value (numbers as text) of each key",
    .options = agg_options,
    .add = min_add,
};

const cli_stage_def cli_stage_max = {
    .kind = "max",
    .summary = "the largest value (numbers as text) of each key",
    .options = agg_options,
    .add = max_add,
};
