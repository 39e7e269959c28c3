/* rill/sys/transport.h — the table through which the ranks (processes) of a
 * distributed run reach each other: the world's size, and messages of bytes
 * sent and received.
 *
 * Not needed to build or run pipelines. rill's MPI transport (src/dist/mpi.c)
 * is the one implementation: it registers itself when the library is
 * loaded, and without a transport a run has one rank. Above it, rill's
 * distribution layer (src/dist/: proxies of reductions, stealing, the keyed
 * shuffle, coordinated checkpoints) speaks only through this table, so
 * another transport (TCP, shared memory) is one file.
 *
 * Threading. world may be called on any thread (its first call may start
 * the transport, as MPI_Init does). agree is called by every rank in the
 * same order on the thread that runs rill_run, before the run's
 * communication thread starts; send, done, receive and barrier only by that
 * thread, never two at once (MPI's THREAD_SERIALIZED is enough).
 * Ownership. A buffer given to send stays the caller's and must stay
 * unchanged until done says the send completed; a buffer receive gives is
 * the caller's (freed with free()). Handles (req) are the transport's, and
 * freed by it once done returns 1. */
#ifndef RILL_SYS_TRANSPORT_H
#define RILL_SYS_TRANSPORT_H

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RILL_TRANSPORT_VERSION 1
typedef struct rill_transport {
    unsigned version; /* RILL_TRANSPORT_VERSION */
    const char *name; /* "mpi" */
    /* This process's rank and the number of ranks (1: alone, and nothing
     * else is called). A negative error refuses every run (a transport that
     * cannot serve rill, with a message saying why). */
    int (*world)(int *rank, int *size);
    /* Whether every rank gave the same value (collective: *same on every
     * rank; used to check that every rank built the same pipeline). */
    int (*agree)(uint64_t value, int *same);
    /* Starts sending len bytes to peer. Completes only once the peer has
     * received them (so that the end of a run can prove nothing is in
     * flight), and two messages from one rank to another arrive in the
     * order they were sent. */
    int (*send)(int peer, const void *buf, size_t len, void **req);
    /* 1 when the send or barrier req has completed (req is freed then); 0
     * when it has not yet. */
    int (*done)(void *req);
    /* A message that has arrived from any peer: 1 with *peer, *buf and
     * *len; 0 when none is waiting; a negative error when one could not be
     * taken in (*peer set; the message is lost, and the run fails). */
    int (*receive)(int *peer, void **buf, size_t *len);
    /* Starts a barrier that completes (done) once every rank has started
     * it; messages go on being received meanwhile. */
    int (*barrier)(void **req);
} rill_transport;

/* Makes t the transport of every run that starts from now on (NULL: one
 * rank). t: borrowed, must outlive those runs. RILL_EINVAL for a table of
 * another version or without one of its functions. */
RILL_EXTERN int rill_transport_register(const rill_transport *t);

#ifdef __cplusplus
}
#endif
#endif
