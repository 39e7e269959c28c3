/* origin.c — a combine of this rank finishing, when its keys go straight
 * to the ranks that own them (direct.c says how): the DONEs of its proxies
 * say how many pieces went to each rank, owners may give pieces back while a
 * checkpoint drains (RETURN), and when it finishes each owner gets this
 * rank's keys of it and the count of pieces in a FIN. */
#include <stdlib.h>
#include <string.h>

#include "../core/combine.h"
#include "link.h"

/* On a combine's origin: its pieces at other ranks (r->parked). */
typedef struct parked {
    uint64_t id;     /* the combine's id, kept known by one unit (anchor) */
    int anchor;      /* that unit is still held */
    int awaiting;    /* it finished while pieces were out and a checkpoint
                        drained: released again when out reaches 0 */
    int64_t out;     /* pieces at their owners now (see parked_of) */
    int64_t sent[];  /* pieces ever sent to each rank */
} parked;

/* Under r->mu: r->parked, made when r has none. Pieces are counted in out
 * when the DONE of the proxy that sent them comes; the owner may give them
 * back before that (out goes below 0 meanwhile), since the two messages
 * come from different ranks. lent and r's id count max(out, 0) pieces:
 * those the DONEs said are out and are not back. Until a DONE comes its
 * proxy's units keep both above 0. */
static int parked_of(rill__dist *d, rill__reduction *r, uint64_t id)
{
    if (r->parked == NULL &&
        (r->parked = calloc(1, sizeof(parked) + (size_t)d->size * sizeof(int64_t))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    ((parked *)r->parked)->id = id;
    return 0;
}

int rill__direct_done(rill__dist *d, rill__reduction *r, const rill__head *h, const char *p,
                      size_t len, void **part)
{
    const rill__stage *s = &d->run->stages[r->owner];
    int64_t *count = NULL, total = 0;
    rill__in in;
    uint32_t size, c;
    uint64_t id;
    int k, rc = 0, first = 0;
    *part = NULL; /* its keys join r->raw, merged once when r finishes */
    rill__in_init(&in, p, len);
    if (s->ops != &rill__kind_combine || r->origin >= 0 || rill__get_u32(&in, &size) < 0 ||
        size != (uint32_t)d->size)
        return rill__error(RILL_ECORRUPT, "a proxy came home with keys its stage "
                           "does not keep");
    if ((count = calloc(size, sizeof(*count))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    for (k = 0; k < d->size && rc == 0; k++) {
        if (rill__get_u32(&in, &c) < 0 || c > 1 || (c && k == d->rank))
            rc = rill__error(RILL_ECORRUPT, "a proxy came home with counts of pieces "
                             "that do not decode");
        count[k] = c;
        total += c;
    }
    if (rc == 0 && total && !rill__direct_ok(d->run, s))
        rc = rill__error(RILL_ECORRUPT, "a proxy came home with pieces of a combine "
                         "whose keys stay here");
    if (rc == 0 && len > in.at) { /* kept as they came: decoded as they merge */
        size_t more = len - in.at, cap;
        pthread_mutex_lock(&r->mu);
        if (r->raw_len + more > r->raw_cap) {
            char *x;
            for (cap = r->raw_cap ? r->raw_cap : 4096; cap < r->raw_len + more; cap *= 2)
                ;
            if ((x = realloc(r->raw, cap)) == NULL) {
                rc = rill__error(RILL_ENOMEM, "out of memory taking in keys");
            } else {
                r->raw = x;
                r->raw_cap = cap;
            }
        }
        if (rc == 0) {
            memcpy(r->raw + r->raw_len, p + in.at, more);
            r->raw_len += more;
        }
        pthread_mutex_unlock(&r->mu);
    }
    if (rc == 0 && total > 0) {
        int64_t counted = 0;
        pthread_mutex_lock(&r->mu);
        if ((rc = parked_of(d, r, h->id)) == 0) {
            parked *pk = r->parked;
            /* pieces given back before this DONE came are home already */
            int64_t early = pk->out < 0 ? -pk->out : 0;
            counted = total - (early < total ? early : total);
            first = !pk->anchor;
            pk->anchor = 1;
            pk->out += total;
            for (k = 0; k < d->size; k++)
                pk->sent[k] += count[k];
        }
        pthread_mutex_unlock(&r->mu);
        /* before the DONE's units go back: r's id stays known (anchored until
         * r finishes) and a checkpoint waits for the pieces */
        if (rc == 0)
            rc = rill__id_lend(d, r, counted + first, &id);
        if (rc == 0)
            atomic_fetch_add(&d->lent, counted);
    }
    free(count);
    return rc;
}

void rill__receive_return(rill__dist *d, int peer, const rill__head *h, const char *p,
                          size_t len)
{
    rill__run *run = d->run;
    int64_t lent;
    rill__reduction *r = rill__id_find(d, h->id, &lent);
    rill__keytable *t = NULL;
    int64_t covered = 0;
    void **x;
    int rc = 0, user, release = 0;
    if (r == NULL || r->owner != h->owner || r->origin >= 0 || h->units <= 0) {
        rill__error(RILL_ECORRUPT, "rank %d gave back keys of a combine this rank did not "
                    "send it", peer);
        rill__fail(&d->cw, run->nstages - 1, 0, 0, NULL, RILL_ECORRUPT, 1, "receiving");
        return;
    }
    rc = rill__combine_merge_piece(&run->stages[r->owner], &t, p, len, peer, d->size, 1, &user);
    pthread_mutex_lock(&r->mu);
    if (rc == 0 && t && (x = realloc(r->extra, (r->nextra + 1) * sizeof(*x))) != NULL) {
        r->extra = x;
        r->extra[r->nextra++] = t;
        t = NULL;
    } else if (rc == 0 && t) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
    }
    if (rc == 0 && (rc = parked_of(d, r, h->id)) == 0) {
        parked *pk = r->parked;
        covered = pk->out > 0 ? (pk->out < h->units ? pk->out : h->units) : 0;
        pk->out -= h->units;
        release = pk->awaiting && pk->out == 0;
        if (release)
            pk->awaiting = 0;
    }
    pthread_mutex_unlock(&r->mu);
    if (rc < 0) {
        rill__keytable_free(t);
        rill__fail(&d->cw, r->owner, 0, 0, NULL, rc, 1, "taking in keys given back");
        return;
    }
    rill__id_back(d, h->id, covered);
    if (release) /* its finish waited for these */
        rill__release_later(d, r);
    atomic_fetch_sub(&d->lent, covered); /* after: see receive_done */
}

/* A combine of this rank finished while a checkpoint drains: it keeps every
 * key, once the pieces out have come home (1: it waits for them). */
static int keep_all(rill__dist *d, rill__reduction *r)
{
    parked *pk;
    int wait = 0;
    pthread_mutex_lock(&r->mu);
    if ((pk = r->parked) != NULL && pk->out > 0) {
        pk->awaiting = 1;
        atomic_store(&r->pending, 1); /* released by the last piece given back */
        wait = 1;
    } else if (pk && pk->anchor) {
        pk->anchor = 0;
    } else {
        pk = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    if (!wait && pk)
        rill__id_back(d, pk->id, 1);
    return wait;
}

int rill__dist_shuffle(rill__worker *w, rill__reduction *r, int *mine)
{
    rill__run *run = w->run;
    rill__dist *d = run->world.dist;
    const rill__stage *s = &run->stages[r->owner];
    const rill__keytable *t;
    size_t vs = s->combine.value_size, *n = NULL, pos, len, moved = 0, nx, i;
    void **x = NULL;
    rill__out *o = NULL;
    rill__msg *list = NULL, **tail = &list, *m;
    parked *pk = r->parked;
    int64_t out = 0, nfin = 0;
    uint64_t pid = 0;
    const void *key;
    uint32_t tag;
    void *value;
    int k, rc = 0;
    *mine = -1;
    if (d == NULL || !rill__direct_ok(run, s))
        return 0; /* every key stays: what follows runs here anyway */
    if (pk) {
        pthread_mutex_lock(&r->mu);
        out = pk->out;
        pthread_mutex_unlock(&r->mu);
    }
    /* a checkpoint drains: rank 0's pieces come home; another rank's must
     * be sent on (none are given back) */
    if (atomic_load(&run->ckpt.want) && (d->rank == 0 || out == 0))
        return keep_all(d, r);
    if ((o = calloc((size_t)d->size, sizeof(*o))) == NULL ||
        (n = calloc((size_t)d->size, sizeof(*n))) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory sending keys");
        goto done;
    }
    for (k = 0; k < d->size; k++)
        rill__out_init(&o[k], k == d->rank ? 0 : RILL__HEAD_SIZE);
    /* the workers' table, then those other ranks sent (a proxy that
     * finished while a checkpoint drained sent all of its keys): a key may
     * come twice, its owner merges */
    pthread_mutex_lock(&r->mu);
    nx = r->nextra;
    if (nx && (x = malloc(nx * sizeof(*x))) != NULL)
        memcpy(x, r->extra, nx * sizeof(*x));
    pthread_mutex_unlock(&r->mu);
    if (nx && x == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory sending keys");
        goto done;
    }
    for (i = 0; i <= nx; i++) {
        if ((t = i == 0 ? r->partials[0] : x[i - 1]) == NULL)
            continue;
        for (pos = 0; rill__keytable_next_tag(t, &pos, &key, &len, &tag, &value);)
            if ((k = rill__key_rank_of_tag(tag, d->size)) != d->rank) {
                rill__combine_put_key(&o[k], key, len, value, vs);
                n[k]++;
            }
    }
    for (k = 0; k < d->size; k++)
        nfin += k != d->rank && (n[k] > 0 || (pk && pk->sent[k] > 0));
    if (nfin == 0) {
        keep_all(d, r); /* nothing is out: releases the anchor */
        goto done;
    }
    if ((rc = rill__id_lend(d, r->parent, nfin, &pid)) < 0)
        goto done;
    for (k = 0; k < d->size && rc == 0; k++) {
        rill__head h = {0};
        if (k == d->rank || (n[k] == 0 && !(pk && pk->sent[k] > 0)))
            continue;
        h.type = RILL__M_FIN;
        h.stage = s->next;
        h.from = r->owner;
        h.owner = r->parent->owner;
        h.ref_rank = d->rank;
        h.id = pk ? pk->id : 0;
        h.units = pk ? pk->sent[k] : 0;
        h.code = (int64_t)pid;
        h.phase = r->parent->origin >= 0; /* as a TASK's code: see ship_lend */
        if ((m = calloc(1, sizeof(*m))) == NULL) {
            rc = rill__error(RILL_ENOMEM, "out of memory sending keys");
            break;
        }
        m->peer = k;
        *tail = m;
        tail = &m->next;
        rc = rill__take_msg(&o[k], &h, &m->buf, &m->len);
    }
    if (rc < 0) {
        rill__id_back(d, pid, nfin);
        goto done;
    }
    /* the FINs carry units of the parent (as a TASK would) */
    atomic_fetch_add(&r->parent->pending, nfin);
    atomic_fetch_add(&d->lent, nfin);
    if (!rill__send_list(d, list, d->rank == 0)) {
        /* a checkpoint began meanwhile: its DRAIN may be out before them */
        atomic_fetch_sub(&r->parent->pending, nfin);
        atomic_fetch_sub(&d->lent, nfin);
        rill__id_back(d, pid, nfin);
        rc = keep_all(d, r);
        goto done;
    }
    list = NULL;
    for (k = 0; k < d->size; k++)
        moved += n[k];
    atomic_fetch_add(&d->moved, moved);
    if (pk) { /* the pieces out are the FINs' now */
        pthread_mutex_lock(&r->mu);
        out = pk->out;
        pk->out = 0;
        pk->anchor = 0;
        pthread_mutex_unlock(&r->mu);
        rill__id_back(d, pk->id, out + 1);
        atomic_fetch_sub(&d->lent, out);
    }
    *mine = d->rank;
done:
    while ((m = list) != NULL) {
        list = m->next;
        free(m->buf);
        free(m);
    }
    for (k = 0; o && k < d->size; k++)
        rill__out_free(&o[k]);
    free(o);
    free(n);
    free(x);
    return rc;
}
