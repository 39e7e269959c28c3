/* none.c — the world of a build without MPI: one rank. */
#include "dist.h"
#include "rill/dist.h"

int rill__world(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    return 0;
}

int rill_rank(void)
{
    return 0;
}

int rill_ranks(void)
{
    return 1;
}
