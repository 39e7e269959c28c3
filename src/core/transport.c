/* transport.c — the registered transport (rill/sys/transport.h) and the
 * distribution layer's hooks, and the world they make: without a
 * transport, or in a world of one rank, a run is this process alone and
 * the engine calls no distribution hook. Both are registered when the
 * library is loaded (src/dist/ registers itself and MPI), so core refers
 * to neither. */
#include <stdatomic.h>

#include "rill/dist.h"
#include "run.h"

static _Atomic(const rill_transport *) transport;
static _Atomic(const rill__dist_ops *) dist_ops;

int rill_transport_register(const rill_transport *t)
{
    if (t && (t->version != RILL_TRANSPORT_VERSION || !t->world || !t->agree || !t->send ||
              !t->done || !t->receive || !t->barrier))
        return rill__error(RILL_EINVAL, "rill_transport_register: a table of version %u "
                           "with all of its functions is needed", RILL_TRANSPORT_VERSION);
    atomic_store(&transport, t);
    return 0;
}

const rill_transport *rill__transport(void)
{
    return atomic_load(&transport);
}

void rill__dist_register(const rill__dist_ops *ops)
{
    atomic_store(&dist_ops, ops);
}

int rill__world(const rill__dist_ops **ops, int *rank, int *size,
                const rill_transport **link)
{
    const rill_transport *t = atomic_load(&transport);
    int rc;
    *ops = NULL;
    *rank = 0;
    *size = 1;
    if (link)
        *link = t;
    if (t == NULL)
        return 0;
    if ((rc = t->world(rank, size)) < 0)
        return rc;
    if (*size > 1 && (*ops = atomic_load(&dist_ops)) == NULL)
        return rill__error(RILL_EINVAL, "%d ranks, but this rill has no distribution layer",
                           *size);
    return 0;
}

int rill_rank(void)
{
    const rill__dist_ops *ops;
    int rank, size;
    return rill__world(&ops, &rank, &size, NULL) < 0 ? 0 : rank;
}

int rill_ranks(void)
{
    const rill__dist_ops *ops;
    int rank, size;
    return rill__world(&ops, &rank, &size, NULL) < 0 ? 1 : size;
}
