/* stage_distinct.c — the `distinct` built-in: how many distinct values each
 * key has (COUNT(DISTINCT value) ... GROUP BY key). Emits one keyed record
 * per key whose value is that number as text; records without a key are
 * counted together and emitted without one. Exact.
 *
 * A reduce whose store is a hash set of (key, value) pairs: each worker
 * fills its own, the sets are merged when the reduction is done, and the
 * pairs are counted by key in the emit. Memory: every distinct pair once
 * per worker that saw it. Saved in checkpoints as its pairs. */
#include <stdlib.h>
#include <string.h>

#include "stage_common.h"

typedef struct pair_set {
    cli_items items;  /* the pairs; rank holds each one's hash */
    uint32_t *slots;  /* owned: 0 empty, else an index into items plus 1 */
    size_t nslots;    /* a power of two, at least twice the pairs */
} pair_set;

static int same(const cli_item *a, const cli_item *b)
{
    return a->rank == b->rank && (a->key == NULL) == (b->key == NULL) && cli_item_cmp_record(a, b) == 0;
}

static int grow(pair_set *s)
{
    size_t n = s->nslots ? s->nslots * 2 : 64, i;
    uint32_t *slots;
    if (s->items.n >= UINT32_MAX / 2 || (slots = calloc(n, sizeof(*slots))) == NULL)
        return RILL_ENOMEM;
    for (i = 0; i < s->items.n; i++) {
        size_t j = s->items.v[i]->rank & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = (uint32_t)i + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

/* Takes it: kept when new, freed otherwise. */
static int insert(pair_set *s, cli_item *it)
{
    size_t j;
    int rc;
    if (it == NULL)
        return RILL_ENOMEM;
    if ((s->items.n + 1) * 2 > s->nslots && (rc = grow(s)) != 0) {
        free(it);
        return rc;
    }
    for (j = it->rank & (s->nslots - 1); s->slots[j]; j = (j + 1) & (s->nslots - 1))
        if (same(s->items.v[s->slots[j] - 1], it)) {
            free(it);
            return 0;
        }
    if ((rc = cli_items_push(&s->items, it)) != 0)
        return rc;
    s->slots[j] = (uint32_t)s->items.n;
    return 0;
}

static int distinct_add(rill_emitter *recur, void *store, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    int rc = 0;
    (void)recur;
    (void)payload;
    for (i = 0; i < n && rc == 0; i++) {
        cli_item *it = cli_item_new(&in[i]);
        if (it)
            it->rank = cli_hash_record(0, &in[i]);
        rc = insert(store, it);
    }
    return rc;
}

static int distinct_merge(void *store, void *other, void *payload)
{
    pair_set *o = other;
    int rc = 0;
    (void)payload;
    while (o->items.n > 0 && rc == 0)
        rc = insert(store, o->items.v[--o->items.n]);
    return rc;
}

static int by_record(const cli_item *a, const cli_item *b, const void *conf)
{
    (void)conf;
    return cli_item_cmp_record(a, b);
}

static int distinct_emit(rill_emitter *out, void *store, void *payload)
{
    pair_set *s = store;
    size_t i = 0, j;
    int rc = 0;
    (void)payload;
    cli_items_sort(&s->items, by_record, NULL);
    free(s->slots); /* the order changed: the set is only emitted from now */
    s->slots = NULL;
    s->nslots = 0;
    while (i < s->items.n && rc == 0) {
        const cli_item *a = s->items.v[i];
        char text[CLI_NUM_MAX];
        cli_num count = {0, 0, 1};
        for (j = i + 1; j < s->items.n; j++) {
            const cli_item *b = s->items.v[j];
            if ((a->key == NULL) != (b->key == NULL) ||
                (a->key && cli_bytes_cmp(a->key, a->klen, b->key, b->klen) != 0))
                break;
        }
        count.i = (int64_t)(j - i);
        if (a->key)
            rc = rill_emit_keyed(out, a->key, a->klen, text, cli_num_format(text, &count));
        else
            rc = rill_emit(out, text, cli_num_format(text, &count));
        i = j;
    }
    return rc;
}

static void distinct_free(void *store, void *payload)
{
    pair_set *s = store;
    (void)payload;
    cli_items_free(&s->items);
    free(s->slots);
    s->slots = NULL;
    s->nslots = 0;
}

static int distinct_encode(const void *store, rill_batch *out, void *payload)
{
    (void)payload;
    return cli_items_encode(&((const pair_set *)store)->items, out);
}

static int distinct_decode(void *store, const void *bytes, size_t len, void *payload)
{
    pair_set *s = store, tmp = {{0}, NULL, 0};
    size_t i;
    int rc = cli_items_decode(&tmp.items, bytes, len);
    (void)payload;
    for (i = 0; i < tmp.items.n && rc == 0; i++) {
        cli_item *it = tmp.items.v[i];
        tmp.items.v[i] = NULL;
        rc = insert(s, it);
    }
    for (; i < tmp.items.n; i++)
        free(tmp.items.v[i]);
    tmp.items.n = 0;
    cli_items_free(&tmp.items);
    return rc;
}

static int distinct_add_stage(cli_build *b, const cli_opts *o)
{
    rill_reduce_options ro = RILL_REDUCE_OPTIONS_INIT;
    ro.store_size = sizeof(pair_set);
    ro.add = distinct_add;
    ro.merge = distinct_merge;
    ro.emit = distinct_emit;
    ro.free = distinct_free;
    ro.encode = distinct_encode;
    ro.decode = distinct_decode;
    return cli_add_reduce(b, o, o->stage, &ro, NULL);
}

static const cli_option_doc distinct_options[] = {
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_distinct = {
    .kind = "distinct",
    .summary = "the number of distinct values of each key (exact)",
    .options = distinct_options,
    .add = distinct_add_stage,
};
