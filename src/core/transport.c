/* transport.c — the registered transport (rill/sys/transport.h) and the
 * world it gives: without one, or in a world of one rank, a run is this
 * process alone and the engine calls no transport hook. */
#include <stdatomic.h>

#include "rill/dist.h"

#include "run.h"

static _Atomic(const rill_transport *) registered;

int rill_transport_register(const rill_transport *t)
{
    if (t && t->version != RILL_TRANSPORT_VERSION)
        return rill__error(RILL_EINVAL, "rill_transport_register: a table of version %u, "
                           "expected %u", t->version, RILL_TRANSPORT_VERSION);
    atomic_store(&registered, t);
    return 0;
}

int rill__world(const rill_transport **out, int *rank, int *size)
{
    const rill_transport *t = atomic_load(&registered);
    int rc;
    *out = NULL;
    *rank = 0;
    *size = 1;
    if (t == NULL)
        return 0;
    if ((rc = t->world(rank, size)) < 0)
        return rc;
    if (*size > 1)
        *out = t;
    return 0;
}

int rill_rank(void)
{
    const rill_transport *t;
    int rank, size;
    return rill__world(&t, &rank, &size) < 0 ? 0 : rank;
}

int rill_ranks(void)
{
    const rill_transport *t;
    int rank, size;
    return rill__world(&t, &rank, &size) < 0 ? 1 : size;
}
