/* stage_top.c — the `top` built-in: the k records with the largest values
 * (numbers as text, or bytes), emitted largest first. Records pass as they
 * were. Ties are broken by key then value (bytewise, smallest first), so the
 * answer is the same however the records were split among workers.
 *
 * A reduce: each worker keeps a partial top of at most k in a heap whose
 * root is the smallest kept; the partial tops are merged (offering the
 * other's records to this one) when the reduction is done, and the store
 * is saved in checkpoints as its records. Memory: k records per worker. */
#include <stdlib.h>
#include <string.h>

#include "stage_common.h"

typedef struct top_conf {
    int64_t k;
    int by_key, numeric, on_error;
} top_conf;

/* Larger first; the record order among equals. */
static int top_cmp(const cli_item *a, const cli_item *b, const void *conf)
{
    const top_conf *c = conf;
    int r;
    if (c->numeric)
        r = cli_num_cmp(&b->num, &a->num);
    else if (c->by_key)
        r = cli_bytes_cmp(b->key ? b->key : "", b->klen, a->key ? a->key : "", a->klen);
    else
        r = cli_bytes_cmp(b->val, b->vlen, a->val, a->vlen);
    return r ? r : cli_item_cmp_record(a, b);
}

static int top_add(rill_emitter *recur, void *store, const rill_record *in, size_t n, void *payload)
{
    const top_conf *c = payload;
    size_t i;
    int rc = 0;
    (void)recur;
    for (i = 0; i < n && rc == 0; i++) {
        cli_num x = {0, 0, 0};
        if (c->numeric) {
            const void *p = c->by_key ? in[i].key : in[i].data;
            size_t len = c->by_key ? in[i].key_len : in[i].len;
            if (cli_num_parse(&x, p ? p : "", len) < 0) {
                if (c->on_error == CLI_ON_ERROR_SKIP)
                    continue;
                return cli_not_a_number(p ? p : "", len, c->by_key ? "key" : "value",
                                        "numeric: false ranks by bytes");
            }
        }
        {
            cli_item *it = cli_item_new(&in[i]);
            if (it)
                it->num = x;
            rc = cli_items_offer(store, (size_t)c->k, it, top_cmp, c);
        }
    }
    return rc;
}

static int top_merge(void *store, void *other, void *payload)
{
    const top_conf *c = payload;
    cli_items *o = other;
    int rc = 0;
    while (o->n > 0 && rc == 0) /* taken one by one: other stays consistent */
        rc = cli_items_offer(store, (size_t)c->k, o->v[--o->n], top_cmp, c);
    return rc;
}

static int top_emit(rill_emitter *out, void *store, void *payload)
{
    cli_items *a = store;
    size_t i;
    int rc = 0;
    cli_items_sort(a, top_cmp, payload);
    for (i = 0; i < a->n && rc == 0; i++)
        rc = cli_item_emit(out, a->v[i]);
    return rc;
}

static void top_free(void *store, void *payload)
{
    (void)payload;
    cli_items_free(store);
}

static int top_encode(const void *store, rill_batch *out, void *payload)
{
    (void)payload;
    return cli_items_encode(store, out);
}

static int top_decode(void *store, const void *bytes, size_t len, void *payload)
{
    (void)payload;
    return cli_items_decode(store, bytes, len);
}

static const char *const by_choices[] = {"value", "key", NULL};

static int top_add_stage(cli_build *b, const cli_opts *o)
{
    rill_reduce_options ro = RILL_REDUCE_OPTIONS_INIT;
    top_conf *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return cli_error(o, NULL, "out of memory");
    c->k = 10;
    c->numeric = 1;
    if (cli_opt_int(o, "k", 1, 100000000, &c->k) < 0 || cli_opt_enum(o, "by", by_choices, &c->by_key) < 0 ||
        cli_opt_bool(o, "numeric", &c->numeric) < 0 ||
        cli_opt_enum(o, "on_error", cli_on_error_choices, &c->on_error) < 0 || cli_own(b, c, free) < 0) {
        free(c);
        return -1;
    }
    ro.store_size = sizeof(cli_items);
    ro.add = top_add;
    ro.merge = top_merge;
    ro.emit = top_emit;
    ro.free = top_free;
    ro.encode = top_encode;
    ro.decode = top_decode;
    return cli_add_reduce(b, o, o->stage, &ro, c);
}

static const cli_option_doc top_options[] = {
    {"k", "int", "10", "how many records to keep"},
    {"by", "value|key", "value", "what to rank records by"},
    {"numeric", "bool", "true", "rank by it read as a number; false: by its bytes"},
    {"on_error", "fail|skip", "fail", "a value that is not a number: fail the run naming the "
                                      "record, or leave it out"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_top = {
    .kind = "top",
    .summary = "the k records with the largest values, largest first (ties by key, then value)",
    .options = top_options,
    .add = top_add_stage,
};
