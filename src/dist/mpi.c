/* mpi.c — MPI as rill's transport (rill/sys/transport.h): the world is
 * MPI_COMM_WORLD (duplicated, so rill's messages never meet the program's),
 * a message is one MPI_Issend of bytes on one tag (synchronous: it completes
 * once received; one tag: messages between two ranks keep their order),
 * arrivals are probed and received, the end's barrier is MPI_Ibarrier.
 *
 * rill starts MPI itself when the process was launched by mpirun (or any
 * PMI launcher) and finalises it at exit; a program that started MPI itself
 * must have asked for MPI_THREAD_SERIALIZED or more, since rill's
 * communication thread calls MPI. Registered when the library is loaded. */
#include <limits.h>
#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>

#include "../util/error.h"
#include "rill/sys/transport.h"

#define TAG 7731

static MPI_Comm world_comm = MPI_COMM_NULL;
static int world_rank, world_size = 1, world_ready, world_ours;
static int world_level = -1; /* the program initialised MPI below SERIALIZED */
static pthread_once_t world_once = PTHREAD_ONCE_INIT;

static void world_fini(void)
{
    int fin = 0;
    if (world_comm != MPI_COMM_NULL) {
        MPI_Finalized(&fin);
        if (!fin)
            MPI_Comm_free(&world_comm);
    }
    MPI_Finalized(&fin);
    if (world_ours && !fin)
        MPI_Finalize();
}

/* Started by mpirun (Open MPI, MPICH or any PMI launcher)? */
static int launched(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                 "MPI_LOCALNRANKS"};
    size_t i;
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

static void world_init(void)
{
    int inited = 0, provided;
    MPI_Initialized(&inited);
    if (!inited) {
        if (!launched())
            return; /* one process: MPI is not started at all */
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
            return;
        world_ours = 1;
    } else {
        MPI_Query_thread(&provided);
    }
    if (provided < MPI_THREAD_SERIALIZED) { /* rill's thread may not call MPI */
        int n = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &n);
        if (n > 1)
            world_level = provided; /* refused by every run: not a silent rank 0 */
        return;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &world_comm);
    MPI_Comm_rank(world_comm, &world_rank);
    MPI_Comm_size(world_comm, &world_size);
    world_ready = 1;
    atexit(world_fini);
}

static int mpi_world(int *rank, int *size)
{
    pthread_once(&world_once, world_init);
    *rank = world_ready ? world_rank : 0;
    *size = world_ready ? world_size : 1;
    if (world_level >= 0)
        return rill__error(RILL_EINVAL, "MPI was initialised with thread level %d; rill "
                           "needs MPI_THREAD_SERIALIZED (%d) or more: call MPI_Init_thread, "
                           "or leave initialising MPI to rill", world_level,
                           MPI_THREAD_SERIALIZED);
    return 0;
}

static int mpi_agree(uint64_t value, int *same)
{
    uint64_t lo, hi;
    MPI_Allreduce(&value, &lo, 1, MPI_UINT64_T, MPI_MIN, world_comm);
    MPI_Allreduce(&value, &hi, 1, MPI_UINT64_T, MPI_MAX, world_comm);
    *same = lo == hi;
    return 0;
}

static int mpi_send(int peer, const void *buf, size_t len, void **req)
{
    MPI_Request *r;
    if (len > INT_MAX) /* MPI counts bytes in an int */
        return rill__error(RILL_ERANGE, "a message of %zu bytes is too large for MPI "
                           "(2 GiB at most)", len);
    if ((r = malloc(sizeof(*r))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory sending to rank %d", peer);
    if (MPI_Issend(buf, (int)len, MPI_BYTE, peer, TAG, world_comm, r) != MPI_SUCCESS) {
        free(r);
        return rill__error(RILL_EIO, "MPI could not send to rank %d", peer);
    }
    *req = r;
    return 0;
}

/* The end's barrier: one at a time (runs follow each other), so its
 * request needs no memory that could run out. */
static MPI_Request barrier_req;

static int mpi_done(void *req)
{
    int flag = 0;
    MPI_Test(req, &flag, MPI_STATUS_IGNORE);
    if (flag && req != &barrier_req)
        free(req);
    return flag;
}

static int mpi_receive(int *peer, void **buf, size_t *len)
{
    MPI_Status st;
    int flag = 0, count;
    char *b, none;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG, world_comm, &flag, &st);
    if (!flag)
        return 0;
    *peer = st.MPI_SOURCE;
    MPI_Get_count(&st, MPI_BYTE, &count);
    if ((b = malloc(count > 0 ? (size_t)count : 1)) == NULL) {
        /* taken in as nothing, so that it is gone: the run fails anyway */
        MPI_Recv(&none, 0, MPI_BYTE, st.MPI_SOURCE, TAG, world_comm, MPI_STATUS_IGNORE);
        return rill__error(RILL_ENOMEM, "out of memory receiving %d bytes from rank %d",
                           count, st.MPI_SOURCE);
    }
    MPI_Recv(b, count, MPI_BYTE, st.MPI_SOURCE, TAG, world_comm, MPI_STATUS_IGNORE);
    *buf = b;
    *len = (size_t)count;
    return 1;
}

static int mpi_barrier(void **req)
{
    MPI_Ibarrier(world_comm, &barrier_req);
    *req = &barrier_req;
    return 0;
}

static const rill_transport mpi_transport = {
    .version = RILL_TRANSPORT_VERSION,
    .name = "mpi",
    .world = mpi_world,
    .agree = mpi_agree,
    .send = mpi_send,
    .done = mpi_done,
    .receive = mpi_receive,
    .barrier = mpi_barrier,
};

__attribute__((constructor)) static void mpi_register(void)
{
    rill_transport_register(&mpi_transport);
}
