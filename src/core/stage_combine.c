/* stage_combine.c — the combine stage kind: keyed aggregation. Each worker
 * folds keyed records into a partial key table of its own (keytable.h);
 * when the reduction is done the tables are merged, keys other ranks own
 * go to them (the transport's shuffle: under MPI they are emitted there,
 * dist/direct.c), and one keyed record per key of this rank's goes
 * onward. A stage whose only successor is the combine folds what it emits
 * straight into the table (rill__combine_direct; the built-in sum through
 * ahead.h), never making a batch. */
#include <stdlib.h>
#include <string.h>

#include "ahead.h"
#include "combine.h"

void rill__combine_put_key(rill__out *o, const void *key, size_t len, const void *value,
                           size_t vs)
{
    rill__put_u32(o, (uint32_t)len);
    rill__put_bytes(o, key, len);
    rill__put_bytes(o, value, vs);
}

int rill__combine_merge_one(const rill__stage *s, rill__keytable **into, const void *key,
                            size_t len, uint64_t hash, const void *value, int *user)
{
    int created, rc;
    void *acc;
    if (*into == NULL && rill__keytable_new(into, s->combine.value_size) < 0)
        return rill__error(RILL_ENOMEM, "out of memory merging keys from another rank");
    if ((acc = rill__keytable_upsert(*into, key, len, hash, &created)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory merging keys from another rank");
    if (created) {
        memcpy(acc, value, s->combine.value_size);
        return 0;
    }
    rill_error_clear();
    if (((uintptr_t)value & 7) == 0) {
        rc = s->combine.merge(acc, (void *)value, s->payload);
    } else { /* a piece's bytes: the callback gets an accumulator's alignment */
        uint64_t small[32];
        void *v = s->combine.value_size <= sizeof(small) ? small
                                                         : malloc(s->combine.value_size);
        if (v == NULL)
            return rill__error(RILL_ENOMEM, "out of memory merging keys from another rank");
        memcpy(v, value, s->combine.value_size);
        rc = s->combine.merge(acc, v, s->payload);
        if (v != small)
            free(v);
    }
    if (rc != 0)
        *user = 1;
    return rc;
}

/* A key of a piece, decoded and hashed, waiting for its slot to come. */
typedef struct piece_key {
    const void *key, *value;
    uint32_t len;
    uint64_t hash;
} piece_key;

#define PIECE_AHEAD 16 /* keys decoded, and their slots prefetched, ahead */

int rill__combine_merge_piece(const rill__stage *s, rill__keytable **into, const char *p,
                              size_t len, int owner, int size, int fresh, int *user)
{
    size_t vs = s->combine.value_size, held = 0, first = 0;
    piece_key q[PIECE_AHEAD];
    rill__in in;
    int rc = 0;
    *user = 0;
    rill__in_init(&in, p, len);
    if (*into == NULL && len && rill__keytable_new(into, vs) < 0)
        return rill__error(RILL_ENOMEM, "out of memory merging keys from another rank");
    while (rc == 0 && (in.at < in.len || held)) {
        piece_key *k;
        size_t before;
        if (in.at < in.len) { /* one more decoded, its slot prefetched */
            uint32_t klen;
            k = &q[(first + held) % PIECE_AHEAD];
            if (rill__get_u32(&in, &klen) < 0 || klen > in.len - in.at ||
                (k->key = rill__get_bytes(&in, klen)) == NULL ||
                (k->value = rill__get_bytes(&in, vs)) == NULL)
                return rill__error(RILL_ECORRUPT, "keys from another rank that do not decode");
            k->len = klen;
            k->hash = rill__hash(k->key, klen);
            if (owner >= 0 && rill__key_rank(k->hash, size) != owner)
                return rill__error(RILL_ECORRUPT, "keys from another rank that rank %d does "
                                   "not own", owner);
            __builtin_prefetch(rill__keytable_home(*into, k->hash), 1);
            if (++held < PIECE_AHEAD && in.at < in.len)
                continue;
        }
        k = &q[first]; /* the oldest, merged */
        first = (first + 1) % PIECE_AHEAD;
        held--;
        before = rill__keytable_count(*into);
        if ((rc = rill__combine_merge_one(s, into, k->key, k->len, k->hash, k->value, user)) == 0 &&
            fresh && rill__keytable_count(*into) == before)
            return rill__error(RILL_ECORRUPT, "keys from another rank: a key twice");
    }
    return rc;
}

/* Merges the keys other ranks sent as pieces (r->raw) into partials[0];
 * owner >= 0: each must be that rank's. */
static int merge_raw(rill__worker *w, rill__reduction *r, const rill__stage *s, int owner)
{
    rill__keytable **into = (rill__keytable **)&r->partials[0];
    char *raw;
    size_t len;
    int rc, user;
    pthread_mutex_lock(&r->mu);
    raw = r->raw;
    len = r->raw_len;
    r->raw = NULL;
    r->raw_len = r->raw_cap = 0;
    pthread_mutex_unlock(&r->mu);
    if (raw == NULL)
        return 0;
    rc = rill__combine_merge_piece(s, into, raw, len, owner, w->run->world.size, 0, &user);
    free(raw);
    return rc == 0 ? 0 : rill__fail(w, r->owner, 0, 0, NULL, rc, !user, "merging");
}

/* Merges r's tables into partials[0]: the workers' only, or (extras) those
 * other ranks sent too (owner >= 0: the keys that came as pieces are all
 * that rank's). */
static int merge_tables(rill__worker *w, rill__reduction *r, const rill__stage *s, int extras,
                        int owner)
{
    rill__keytable *into = NULL;
    int i, rc = 0, n = w->run->workers + (extras ? (int)r->nextra : 0);
    for (i = 0; i < n && rc == 0; i++) {
        rill__keytable *t = rill__take_partial(w->run, r, i);
        size_t pos = 0, len;
        const void *key;
        uint64_t hash;
        void *value;
        if (t == NULL)
            continue;
        if (into == NULL) {
            into = r->partials[0] = t;
            continue;
        }
        while (rc == 0 && rill__keytable_next(t, &pos, &key, &len, &hash, &value)) {
            int created;
            void *acc = rill__keytable_upsert(into, key, len, hash, &created);
            if (acc == NULL)
                rc = rill__fail(w, r->owner, 0, 0, NULL, RILL_ENOMEM, 1, "merging");
            else if (created)
                memcpy(acc, value, s->combine.value_size);
            else if ((rc = s->combine.merge(acc, value, s->payload)) != 0)
                rc = rill__fail(w, r->owner, 0, 0, NULL, rc, 0, "merging");
        }
        rill__keytable_free(t);
    }
    if (rc == 0 && extras)
        rc = merge_raw(w, r, s, owner);
    return rc;
}

static int combine_process(rill__worker *w, rill__task *t, int locked)
{
    rill__run *run = w->run;
    const rill__stage *s = &run->stages[t->stage];
    rill__keytable **slot = (rill__keytable **)&t->red->partials[w->id];
    size_t base = atomic_fetch_add_explicit(&run->sched.taken[t->stage], t->end - t->begin,
                                            memory_order_relaxed);
    size_t i;
    int rc;
    /* The built-in sum is folded in here rather than called per record. */
    int sum = s->combine.add == rill_combine_sum_int64_add && s->combine.init == NULL;
    (void)locked;
    if (*slot == NULL && rill__keytable_new(slot, s->combine.value_size) < 0)
        return rill__fail(w, t->stage, base, 0, NULL, RILL_ENOMEM, 1, "on");
    rill_error_clear();
    for (i = t->begin; i < t->end; i++) {
        rill_record r;
        int created;
        void *acc;
        rill__batch_view(t->batch, i, &r);
        if (r.key == NULL) {
            rill__error(RILL_EINVAL, "the record has no key; combine needs keyed records");
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, RILL_EINVAL, 1, "on");
        }
        acc = rill__keytable_get(*slot, r.key, r.key_len, &created);
        if (acc == NULL)
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, RILL_ENOMEM, 1, "on");
        if (sum && r.len == 0) {
            *(int64_t *)acc += 1;
            continue;
        }
        if ((created && s->combine.init && (rc = s->combine.init(acc, s->payload)) != 0) ||
            (rc = s->combine.add(acc, &r, s->payload)) != 0)
            return rill__fail(w, t->stage, base + i - t->begin, 1, &r, rc, 0, "on");
    }
    return 0;
}

int rill__combine_direct_target(rill__worker *w, int stage, rill__reduction *red)
{
    rill__run *run = w->run;
    const rill__stage *s;
    int c, i;
    if (stage < 0)
        return -1;
    s = &run->stages[stage];
    if (s->nsucc != 1)
        return -1;
    c = s->succ[0];
    if (!rill__kind_is(&run->stages[c], RILL_KIND_FOLDS) || red->owner != c || run->sched.limit[c] != 0)
        return -1;
    for (i = 0; i < w->depth; i++)
        if (w->stack[i] == c)
            return -1;
    return c;
}

int rill__combine_nomem(rill_emitter *e)
{
    return rill__fail(e->w, e->direct, 0, 0, NULL, RILL_ENOMEM, 1, "on");
}

int rill__ahead_insert(rill_emitter *e, rill__slot *s)
{
    rill__keytable *t = e->sum;
    const rill__ahead *a = &e->ahead[e->ahead_out & (RILL__AHEAD - 1)];
    int created;
    int64_t *acc = rill__keytable_insert(t, s, a->key, a->len, a->hash, a->key[0], a->key[1],
                                         &created);
    if (acc == NULL)
        return rill__combine_nomem(e);
    *acc += a->add;
    e->ahead_out++;
    return 0;
}

int rill__combine_drain(rill_emitter *e)
{
    int rc;
    while (e->ahead_out != e->ahead_in)
        if ((rc = rill__ahead_count_one(e)) < 0) {
            e->ahead_out = e->ahead_in; /* the run failed: the rest go with it */
            return rc;
        }
    return 0;
}

struct rill__keytable *rill__combine_sum_table(rill__worker *w, int direct,
                                               rill__reduction *red)
{
    const rill__stage *s = &w->run->stages[direct];
    rill__keytable **slot = (rill__keytable **)&red->partials[w->id];
    if (s->combine.add != rill_combine_sum_int64_add || s->combine.init != NULL ||
        s->combine.value_size != sizeof(int64_t))
        return NULL;
    if (*slot == NULL && rill__keytable_new(slot, s->combine.value_size) < 0)
        return NULL; /* the long way says so */
    RILL__ASSERT((*slot)->stride == sizeof(rill__sum_slot)); /* ahead.h's probe */
    return *slot;
}

int rill__combine_direct(rill_emitter *e, const void *key, size_t klen, int keyed,
                         const void *data, size_t len)
{
    rill__worker *w = e->w;
    rill__run *run = w->run;
    int c = e->direct, created, rc;
    const rill__stage *s = &run->stages[c];
    rill__keytable **slot = (rill__keytable **)&e->red->partials[w->id];
    rill_record r = {data, len, keyed ? (key ? key : "") : NULL, keyed ? klen : 0};
    void *acc;
    if (!keyed) {
        rill__error(RILL_EINVAL, "the record has no key; combine needs keyed records");
        return rill__fail(w, c, atomic_load(&run->sched.taken[c]), 1, data ? &r : NULL,
                          RILL_EINVAL, 1, "on");
    }
    if ((key == NULL && klen) || (data == NULL && len) || klen > RILL_RECORD_MAX)
        return rill__error(RILL_EINVAL, "cannot emit a key of %zu bytes at %p, data of %zu "
                           "at %p", klen, key, len, data);
    if (*slot == NULL && rill__keytable_new(slot, s->combine.value_size) < 0)
        return rill__fail(w, c, 0, 0, NULL, RILL_ENOMEM, 1, "on");
    if (e->sum && klen <= RILL__KEY_INLINE && (len == 0 || len == sizeof(int64_t))) {
        int64_t add = 1;
        if (len)
            memcpy(&add, data, sizeof(add));
        return rill__ahead_push(e, r.key, klen, add);
    }
    if ((acc = rill__keytable_get(*slot, r.key, klen, &created)) == NULL)
        return rill__fail(w, c, 0, 1, &r, RILL_ENOMEM, 1, "on");
    e->count++; /* counted into the stage's figures when the emitter flushes */
    rill_error_clear();
    if ((created && s->combine.init && (rc = s->combine.init(acc, s->payload)) != 0) ||
        (rc = s->combine.add(acc, &r, s->payload)) != 0)
        return rill__fail(w, c, atomic_load(&run->sched.taken[c]), 1, &r, rc, 0, "on");
    return 0;
}

static int combine_merge(rill__worker *w, rill__reduction *r, int into_partial)
{
    (void)into_partial; /* a combine's tables always merge into the first */
    return merge_tables(w, r, &w->run->stages[r->owner], 1, -1);
}

/* A finished combine's table, and whose keys of it are emitted here. */
typedef struct keys {
    rill__keytable *table;
    int mine, size; /* only keys rank mine owns of size ranks; mine -1: all */
} keys;

/* One keyed record a key, its accumulator as the data, in no set order. */
static int emit_table(rill_emitter *out, const rill__stage *s, void *state)
{
    const keys *k = state;
    size_t pos = 0, len;
    const void *key;
    uint32_t tag;
    void *value;
    int rc = 0;
    while (rc == 0 && k->table && rill__keytable_next_tag(k->table, &pos, &key, &len, &tag, &value))
        if (k->mine < 0 || rill__key_rank_of_tag(tag, k->size) == k->mine)
            rc = rill_emit_keyed(out, key, len, value, s->combine.value_size);
    return rc;
}

static int combine_finish(rill__worker *w, rill__reduction *r)
{
    keys k;
    int rc;
    /* the keys other ranks own go out before the tables other ranks sent
     * are merged here (they hold this rank's keys), so that both merge at
     * once */
    if ((rc = merge_tables(w, r, &w->run->stages[r->owner], 0, -1)) < 0)
        return rc;
    if ((rc = rill__tp_shuffle(w, r, &k.mine)) < 0)
        return rill__fail(w, r->owner, 0, 0, NULL, rc, 1, "sending keys to their ranks");
    if (rc == 1)
        return 0; /* finishes again once other ranks gave their pieces back */
    if ((rc = merge_tables(w, r, &w->run->stages[r->owner], 1, k.mine)) < 0)
        return rc;
    k.table = r->partials[0];
    k.size = w->run->world.size;
    return rill__reduction_close(w, r, emit_table, &k);
}

static int combine_per_worker(const rill__stage *s)
{
    (void)s;
    return 1;
}

static void combine_state_free(const rill__stage *s, void *state)
{
    (void)s;
    rill__keytable_free(state);
}

static int combine_encode(const rill__stage *s, const void *state, void **bytes, size_t *len)
{
    rill__out o;
    (void)s;
    rill__out_init(&o, 0);
    rill__ser_table(&o, state);
    return rill__out_take(&o, (char **)bytes, len);
}

static int combine_decode(const rill__stage *s, const void *bytes, size_t len, void **state)
{
    rill__keytable *t;
    int rc = rill__deser_table(bytes, len, s->combine.value_size, &t);
    *state = rc == 0 ? t : NULL;
    return rc;
}

const rill_stage_kind rill__kind_combine = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "combine",
    .flags = RILL_KIND_SCOPE | RILL_KIND_FOLDS | RILL_KIND_ANYWHERE | RILL_KIND_SHUFFLED,
    .process = combine_process,
    .per_worker = combine_per_worker,
    .state_free = combine_state_free,
    .finish = combine_finish,
    .merge = combine_merge,
    .encode = combine_encode,
    .decode = combine_decode,
};

int rill_combine_sum_int64_add(void *acc, const rill_record *rec, void *payload)
{
    int64_t v = 1;
    (void)payload;
    if (acc == NULL || rec == NULL)
        return rill__error(RILL_EINVAL, "rill_combine_sum_int64_add: NULL argument");
    if (rec->len == sizeof(v))
        memcpy(&v, rec->data, sizeof(v));
    else if (rec->len != 0) {
        rill_error_set("a record of %zu bytes is neither an int64 nor empty", rec->len);
        return RILL_ETYPE;
    }
    *(int64_t *)acc += v;
    return 0;
}

int rill_combine_sum_int64_merge(void *acc, void *other, void *payload)
{
    int64_t v;
    (void)payload;
    if (acc == NULL || other == NULL)
        return rill__error(RILL_EINVAL, "rill_combine_sum_int64_merge: NULL argument");
    memcpy(&v, other, sizeof(v));
    *(int64_t *)acc += v;
    return 0;
}
