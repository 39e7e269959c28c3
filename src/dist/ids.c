/* ids.c — the ids messages name this rank's reductions by.
 *
 * A reduction gets an id (1, 2, ... per run, never reused) the first time
 * units of it are lent to another rank, and keeps it while any are out:
 * every message that names it comes from a proxy holding such a unit (a
 * task sent home) or brings units back (DONE), and a rank's messages to
 * another arrive in order, so a task sent home always finds its id. When
 * the last lent unit comes back the id is forgotten (the reduction may be
 * destroyed after that; a later loan gives it a new id). A message naming
 * an id this rank does not know is refused, never followed.
 *
 * The table is two hash chains over the same entries (by id, by address),
 * under imu: workers lend (a combine's shuffle), the communication thread
 * lends (giving work), finds and takes back. */
#include <stdlib.h>

#include "link.h"

#define NBUCKETS 1024

static size_t by_id_slot(uint64_t id)
{
    return (size_t)(id % NBUCKETS);
}

static size_t by_red_slot(const rill__reduction *r)
{
    return (size_t)(((uintptr_t)r >> 4) % NBUCKETS);
}

int rill__ids_start(rill__dist *d)
{
    d->by_id = calloc(NBUCKETS, sizeof(*d->by_id));
    d->by_red = calloc(NBUCKETS, sizeof(*d->by_red));
    if (d->by_id == NULL || d->by_red == NULL)
        return rill__error(RILL_ENOMEM, "out of memory starting a distributed run");
    return 0;
}

void rill__ids_free(rill__dist *d)
{
    size_t i;
    for (i = 0; d->by_id && i < NBUCKETS; i++)
        while (d->by_id[i]) {
            rill__ientry *e = d->by_id[i];
            d->by_id[i] = e->next_id;
            free(e);
        }
    free(d->by_id);
    free(d->by_red);
    d->by_id = d->by_red = NULL;
}

int rill__id_lend(rill__dist *d, rill__reduction *r, int64_t units, uint64_t *id)
{
    rill__ientry *e;
    pthread_mutex_lock(&d->imu);
    for (e = d->by_red[by_red_slot(r)]; e; e = e->next_red)
        if (e->r == r)
            break;
    if (e == NULL) {
        if ((e = calloc(1, sizeof(*e))) == NULL) {
            pthread_mutex_unlock(&d->imu);
            return rill__error(RILL_ENOMEM, "out of memory sending work to another rank");
        }
        e->id = ++d->next_id;
        e->r = r;
        e->next_id = d->by_id[by_id_slot(e->id)];
        d->by_id[by_id_slot(e->id)] = e;
        e->next_red = d->by_red[by_red_slot(r)];
        d->by_red[by_red_slot(r)] = e;
        d->nids++;
    }
    e->units += units;
    *id = e->id;
    pthread_mutex_unlock(&d->imu);
    return 0;
}

rill__reduction *rill__id_find(rill__dist *d, uint64_t id, int64_t *lent)
{
    rill__ientry *e;
    rill__reduction *r = NULL;
    *lent = 0;
    pthread_mutex_lock(&d->imu);
    for (e = d->by_id[by_id_slot(id)]; e; e = e->next_id)
        if (e->id == id) {
            r = e->r;
            *lent = e->units;
            break;
        }
    pthread_mutex_unlock(&d->imu);
    return r;
}

void rill__id_back(rill__dist *d, uint64_t id, int64_t units)
{
    rill__ientry **pp, *e;
    pthread_mutex_lock(&d->imu);
    for (pp = &d->by_id[by_id_slot(id)]; (e = *pp) != NULL; pp = &e->next_id)
        if (e->id == id)
            break;
    if (e && (e->units -= units) <= 0) {
        rill__ientry **qq = &d->by_red[by_red_slot(e->r)];
        *pp = e->next_id;
        while (*qq != e)
            qq = &(*qq)->next_red;
        *qq = e->next_red;
        d->nids--;
        free(e);
    }
    pthread_mutex_unlock(&d->imu);
}
