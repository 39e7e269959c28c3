/* direct.c — a combine's keys go straight to the ranks that own them: the
 * protocol, a proxy's split and the owners' side (origin.c has the side of
 * the rank that opened the combine).
 *
 * A key belongs to rank rill__key_rank(its hash, ranks) (core/run.h). When a
 * proxy of a combine finishes on rank j (the combine was opened on its
 * origin O; a proxy of a proxy, whose units came from another rank's proxy,
 * relays: its table goes home whole, as before), its table is split once:
 * O's keys go home in the DONE that brings its units back (O keeps their
 * bytes and merges them once, when the combine finishes), the keys of each
 * other rank k go to k in one PART message, and j's own keys stay here.
 * Each of those PARTs, and j's own share, is a piece parked at its owner;
 * the DONE tells O how many pieces went to each rank. An owner merges the
 * pieces of one combine (origin, id) into one table as they come (a
 * gather, below). A combine whose keys all stay on O (it feeds the
 * results, a gathering scope, a call-limited stage: rill__direct_ok) sends
 * every key home that way, with no pieces elsewhere.
 *
 * When the combine finishes on O (every unit home: every DONE in), O sends
 * its own keys of rank k to k in a FIN, which also says how many pieces
 * were sent to k in all and lends k a unit of the combine's parent
 * reduction (as a TASK would). Messages from different ranks arrive in any
 * order, so the owner emits only when it has the FIN and as many pieces as
 * it says: then its keys go to the stage after the combine, in batches of
 * the run's size, under a proxy of the parent, as the records of a TASK
 * would. The keys O
 * owns are emitted on O. So every key is merged once, where it is emitted,
 * and no table passes through a rank that does not own its keys.
 *
 * Checkpoints: rank 0 saves only once the whole run is on it. Pieces of
 * rank 0's combines parked elsewhere are counted in its lent units (and
 * keep the combine's id known), so a checkpoint waits for them: while a
 * checkpoint drains, the other ranks send such pieces home (RETURN) unless
 * their FIN came, and a combine of rank 0 that finishes while one drains
 * waits for its pieces (shuffle returns 1) and then keeps every key, as
 * before. Rank 0 decides between FIN and waiting under the outbox's lock,
 * so a FIN is always queued before the DRAIN that would make its owner give
 * the pieces back. A combine of another rank finishes before any
 * checkpoint can be saved (its units are rank 0's lent ones): its pieces
 * are never given back, its FIN always goes. A proxy that finishes while a
 * checkpoint drains sends its whole table home, as before.
 *
 * Locking: the gathers are under d->gmu (the thread, and a worker parking
 * its proxy's own keys); a combine's parked counts under its r->mu. Only
 * the thread delivers a gather: the last piece or the FIN comes through it
 * (a worker parks its keys before the DONE that lets the FIN be sent). */
#include <stdlib.h>
#include <string.h>

#include "../core/combine.h"
#include "link.h"

/* On an owner: the pieces of one combine that came so far. */
typedef struct rill__gather {
    struct rill__gather *next;
    int origin;               /* the combine's rank and id there */
    uint64_t id;
    int owner;                /* the combine stage */
    rill__keytable *table;    /* owned, NULL while empty; only this rank's
                                 keys in it count (a proxy's own table is
                                 parked whole) */
    int64_t arrived;          /* pieces that came, given back ones too */
    int64_t held;             /* pieces merged into table (not given back) */
    int fin;                  /* the FIN came: */
    int64_t expected;         /* pieces in all */
    uint64_t parent_id;       /* the unit of the parent it lent */
    int parent_owner, stage;  /* its stage, where the keys go */
    int relay;                /* the parent is a proxy there */
} rill__gather;

int rill__direct_ok(const rill__run *run, const rill__stage *s)
{
    const rill__stage *next;
    if (s->ops != &rill__kind_combine || s->next < 0 || s->next == run->nstages - 1 ||
        run->sched.limit[s->next])
        return 0; /* results are delivered on rank 0; a limit is counted there */
    next = &run->stages[s->next];
    /* a gathering scope takes the whole table as one reduction, here */
    return rill__kind_is(next, RILL_KIND_SHUFFLED) &&
           !(next->opens >= 0 && run->stages[next->opens].gather);
}

/* ---- pieces (rill__combine_put_key) ---- */

/* The keys of t that rank `to` owns into o; how many. */
static size_t put_keys(rill__out *o, const rill__keytable *t, size_t vs, int to, int size)
{
    size_t pos = 0, len, n = 0;
    const void *key;
    uint32_t tag;
    void *value;
    while (t && rill__keytable_next_tag(t, &pos, &key, &len, &tag, &value))
        if (rill__key_rank_of_tag(tag, size) == to) {
            rill__combine_put_key(o, key, len, value, vs);
            n++;
        }
    return n;
}

/* A message: head h, then the bytes of o after its reserved head. */
int rill__take_msg(rill__out *o, const rill__head *h, char **buf, size_t *len)
{
    rill__out head;
    int rc;
    rill__out_init(&head, 0);
    rill__head_put(&head, h);
    if ((rc = head.rc) == 0 && (rc = o->rc) == 0)
        memcpy(o->buf, head.buf, RILL__HEAD_SIZE);
    rill__out_free(&head);
    if (rc < 0) {
        rill__out_free(o);
        return rc;
    }
    return rill__out_take(o, buf, len);
}

/* ---- gathers (under gmu) ---- */

static rill__gather *gather_find(rill__dist *d, int origin, uint64_t id, int owner, int make)
{
    rill__gather *g;
    for (g = d->gathers; g; g = g->next)
        if (g->origin == origin && g->id == id)
            return g;
    if (!make || (g = calloc(1, sizeof(*g))) == NULL)
        return NULL;
    g->origin = origin;
    g->id = id;
    g->owner = owner;
    g->next = d->gathers;
    d->gathers = g;
    return g;
}

static void gather_unlink(rill__dist *d, rill__gather *g)
{
    rill__gather **pp = &d->gathers;
    while (*pp != g)
        pp = &(*pp)->next;
    *pp = g->next;
}

static void gather_free(rill__gather *g)
{
    if (g) {
        rill__keytable_free(g->table);
        free(g);
    }
}

void rill__direct_free(rill__dist *d)
{
    while (d->gathers) {
        rill__gather *g = d->gathers;
        d->gathers = g->next;
        gather_free(g);
    }
}

/* Routes batch b (this rank's keys, ended by the caller) to g's stage
 * under r, and starts another. */
static int hand_on(rill__dist *d, rill__gather *g, rill__reduction *r, rill_batch **b)
{
    rill_batch *full = *b;
    *b = NULL;
    if (full->n)
        rill__route_to(&d->cw, g->stage, g->owner, r, full, 0, full->n, 1);
    rill__worker_unref(&d->cw, full);
    return rill_batch_new(b);
}

/* The combine's keys are all here: this rank's go to the stage after it,
 * in batches of the run's size (others may take some, as any task), under
 * a proxy of its parent with the unit the FIN lent (thread only). */
static void deliver(rill__dist *d, rill__gather *g)
{
    rill__run *run = d->run;
    const rill__stage *s = &run->stages[g->owner];
    size_t most = run->batch_records ? run->batch_records : 1024, pos = 0, len;
    rill__reduction *r;
    rill_batch *b = NULL;
    const void *key;
    uint32_t tag;
    void *value;
    int rc;
    if ((r = rill__proxy_take(d, g->origin, g->parent_id, g->parent_owner, 1)) == NULL) {
        rill__fail(&d->cw, g->owner, 0, 0, NULL, RILL_ENOMEM, 1, "taking in keys");
        gather_free(g);
        return;
    }
    if (g->relay)
        r->relay = 1;
    rc = rill_batch_new(&b);
    while (rc == 0 && g->table && rill__keytable_next_tag(g->table, &pos, &key, &len, &tag, &value))
        if (rill__key_rank_of_tag(tag, d->size) == d->rank &&
            (rc = rill_batch_add_keyed(b, key, len, value, s->combine.value_size)) == 0 &&
            b->n >= most)
            rc = hand_on(d, g, r, &b);
    if (rc == 0)
        hand_on(d, g, r, &b);
    rill_batch_free(b);
    if (rc < 0)
        rill__fail(&d->cw, g->owner, 0, 0, NULL, rc, 1, "taking in keys");
    rill__unhold(d, r);
    gather_free(g);
}

/* Whether a message names a combine this rank can take pieces of. */
static int names_combine(rill__dist *d, int peer, const rill__head *h, int from_origin)
{
    rill__run *run = d->run;
    if (h->owner >= 0 && h->owner < run->nstages &&
        rill__direct_ok(run, &run->stages[h->owner]) && h->ref_rank >= 0 &&
        h->ref_rank < d->size && h->ref_rank != d->rank && h->units >= 0 &&
        (!from_origin || h->ref_rank == peer))
        return 1;
    rill__error(RILL_ECORRUPT, "rank %d sent keys of a combine this rank does not know", peer);
    rill__fail(&d->cw, run->nstages - 1, 0, 0, NULL, RILL_ECORRUPT, 1, "receiving");
    return 0;
}

/* A piece came (PART: h names the combine) or a FIN (fin set). */
static void take_piece(rill__dist *d, int peer, const rill__head *h, const char *p,
                       size_t len, int fin)
{
    rill__run *run = d->run;
    int owner = fin ? h->from : h->owner, user = 0, rc = 0, done;
    rill__head n = *h;
    rill__gather *g;
    n.owner = owner;
    if (!names_combine(d, peer, &n, fin))
        return;
    if (fin && (h->stage != run->stages[owner].next || h->owner < -1 ||
                h->owner >= run->nstages)) {
        rill__error(RILL_ECORRUPT, "rank %d finished a combine for a stage that is not "
                    "the one after it", peer);
        rill__fail(&d->cw, owner, 0, 0, NULL, RILL_ECORRUPT, 1, "receiving");
        return;
    }
    pthread_mutex_lock(&d->gmu);
    if ((g = gather_find(d, h->ref_rank, h->id, owner, 1)) == NULL)
        rc = rill__error(RILL_ENOMEM, "out of memory taking in keys");
    else if (g->fin && fin)
        rc = rill__error(RILL_ECORRUPT, "rank %d finished a combine twice", peer);
    else if ((!len || (rc = rill__combine_merge_piece(&run->stages[owner], &g->table, p, len, d->rank,
                                        d->size, 0, &user)) == 0) && !fin) {
        g->arrived++;
        g->held++;
    }
    if (rc == 0 && fin) {
        g->fin = 1;
        g->expected = h->units;
        g->parent_id = (uint64_t)h->code;
        g->parent_owner = h->owner;
        g->stage = h->stage;
        g->relay = h->phase == 1;
    }
    if (rc == 0 && g->fin && g->arrived > g->expected)
        rc = rill__error(RILL_ECORRUPT, "rank %d sent more pieces of a combine than it said",
                         peer);
    done = rc == 0 && g->fin && g->arrived == g->expected;
    if (done)
        gather_unlink(d, g);
    pthread_mutex_unlock(&d->gmu);
    if (rc != 0) {
        rill__fail(&d->cw, owner, 0, 0, NULL, rc, !user, "merging keys from another rank");
        return;
    }
    if (done)
        deliver(d, g);
}

void rill__receive_part(rill__dist *d, int peer, const rill__head *h, const char *p,
                        size_t len)
{
    take_piece(d, peer, h, p, len, 0);
}

void rill__receive_fin(rill__dist *d, int peer, const rill__head *h, const char *p,
                       size_t len)
{
    take_piece(d, peer, h, p, len, 1);
}

/* ---- a proxy finishes ---- */

/* Proxy r's own keys stay here, as a piece of its combine. */
static int park_own(rill__worker *w, rill__dist *d, rill__reduction *r)
{
    const rill__stage *s = &w->run->stages[r->owner];
    rill__keytable *t = r->partials[0];
    rill__gather *g;
    int rc = 0, user = 0;
    pthread_mutex_lock(&d->gmu);
    if ((g = gather_find(d, r->origin, r->origin_id, r->owner, 1)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory keeping keys");
    } else if (g->table == NULL) {
        g->table = t; /* whole: the other ranks' keys in it are never read */
        r->partials[0] = NULL;
    } else {
        size_t pos = 0, len;
        const void *key;
        uint64_t hash;
        void *value;
        while (rc == 0 && rill__keytable_next(t, &pos, &key, &len, &hash, &value))
            if (rill__key_rank(hash, d->size) == d->rank)
                rc = rill__combine_merge_one(s, &g->table, key, len, hash, value, &user);
    }
    if (rc == 0) {
        g->arrived++;
        g->held++;
    }
    pthread_mutex_unlock(&d->gmu);
    return rc == 0 ? 0 : rill__fail(w, r->owner, 0, 0, NULL, rc, !user, "merging");
}

int rill__direct_whole(rill__worker *w, rill__reduction *r, rill__out *body)
{
    rill__dist *d = w->run->world.dist;
    const rill__keytable *t = r->partials[0];
    size_t vs = w->run->stages[r->owner].combine.value_size, pos = 0, len, n = 0;
    const void *key;
    void *value;
    int k;
    rill__put_u32(body, (uint32_t)d->size);
    for (k = 0; k < d->size; k++)
        rill__put_u32(body, 0);
    while (rill__keytable_next(t, &pos, &key, &len, NULL, &value)) {
        rill__combine_put_key(body, key, len, value, vs);
        n++;
    }
    atomic_fetch_add(&d->moved, n);
    return body->rc;
}

int rill__direct_split(rill__worker *w, rill__reduction *r, rill__out *body)
{
    rill__run *run = w->run;
    rill__dist *d = run->world.dist;
    const rill__stage *s = &run->stages[r->owner];
    const rill__keytable *t = r->partials[0];
    size_t vs = s->combine.value_size, *n, pos = 0, len, moved = 0;
    rill__out *o;
    const void *key;
    uint32_t tag;
    void *value;
    int k, rc = 0;
    if ((o = calloc((size_t)d->size, sizeof(*o))) == NULL ||
        (n = calloc((size_t)d->size, sizeof(*n))) == NULL) {
        free(o);
        return rill__error(RILL_ENOMEM, "out of memory sending keys");
    }
    for (k = 0; k < d->size; k++)
        rill__out_init(&o[k], k == d->rank || k == r->origin ? 0 : RILL__HEAD_SIZE);
    while (rill__keytable_next_tag(t, &pos, &key, &len, &tag, &value)) {
        k = rill__key_rank_of_tag(tag, d->size);
        n[k]++;
        if (k != d->rank)
            rill__combine_put_key(&o[k], key, len, value, vs);
    }
    for (k = 0; k < d->size && rc == 0; k++) {
        rill__head h = {0};
        char *buf;
        size_t blen;
        if (k == d->rank || k == r->origin || n[k] == 0)
            continue;
        h.type = RILL__M_PART;
        h.owner = r->owner;
        h.ref_rank = r->origin;
        h.id = r->origin_id;
        if ((rc = rill__take_msg(&o[k], &h, &buf, &blen)) == 0) {
            rill__send(d, k, buf, blen);
            moved += n[k];
        }
    }
    if (rc == 0 && n[d->rank] > 0)
        rc = park_own(w, d, r);
    if (rc == 0) { /* the DONE's payload: pieces to each rank, then home's keys */
        rill__put_u32(body, (uint32_t)d->size);
        for (k = 0; k < d->size; k++)
            rill__put_u32(body, k != r->origin && n[k] > 0);
        rill__put_bytes(body, o[r->origin].buf, o[r->origin].len);
        moved += n[r->origin];
        rc = body->rc;
    }
    for (k = 0; k < d->size; k++)
        rill__out_free(&o[k]);
    free(o);
    free(n);
    atomic_fetch_add(&d->moved, moved);
    return rc;
}

void rill__direct_drain(rill__dist *d)
{
    rill__gather *g;
    if (d->rank == 0)
        return;
    pthread_mutex_lock(&d->gmu);
    for (g = d->gathers; g; g = g->next) {
        rill__head h = {0};
        rill__out o;
        char *buf;
        size_t len, n;
        if (g->origin != 0 || g->fin || g->held == 0)
            continue;
        rill__out_init(&o, RILL__HEAD_SIZE);
        n = put_keys(&o, g->table, d->run->stages[g->owner].combine.value_size, d->rank,
                     d->size);
        h.type = RILL__M_RETURN;
        h.owner = g->owner;
        h.ref_rank = 0;
        h.id = g->id;
        h.units = g->held;
        if (rill__take_msg(&o, &h, &buf, &len) < 0) {
            rill__fail(&d->cw, g->owner, 0, 0, NULL, RILL_ENOMEM, 1, "sending keys home");
            break;
        }
        rill__send(d, 0, buf, len);
        atomic_fetch_add(&d->moved, n);
        rill__keytable_free(g->table);
        g->table = NULL;
        g->held = 0;
    }
    pthread_mutex_unlock(&d->gmu);
}
