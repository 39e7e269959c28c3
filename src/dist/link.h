/* link.h — the inside of the distribution layer, shared by comm.c (the
 * communication thread and the world), proxy.c (what messages mean),
 * give.c (what a rank gives away) and ids.c (reductions' ids).
 *
 * One thread per rank talks to the transport (rill/sys/transport.h; MPI in
 * mpi.c); workers never do. They append messages to the outbox, which the
 * thread sends in order (a send completes once it has been received: the
 * end of a run can prove nothing is in flight). Two messages from one rank
 * to another arrive in the order they were sent: a task sent home always
 * arrives before the units of the proxy it came from. */
#ifndef RILL_DIST_LINK_H
#define RILL_DIST_LINK_H

#include "../core/serial.h"
#include "dist.h"

enum {
    RILL__M_TASK = 1, /* records for a stage under a reduction (see head) */
    RILL__M_DONE,     /* a proxy's units (and store or table) come home */
    RILL__M_STEAL,    /* the sender wants work (code 1: it is idle, 2: soon) */
    RILL__M_GIVEN,    /* answer to STEAL: count tasks were sent before it */
    RILL__M_FAIL,     /* to rank 0: the sender's run failed (code, text) */
    RILL__M_STOP,     /* from rank 0: the run failed (code, text) */
    RILL__M_END,      /* from rank 0: the run is done */
    RILL__M_DRAIN,    /* from rank 0: a checkpoint is coming, send work home */
    RILL__M_UNDRAIN,  /* from rank 0: it was saved, carry on */
    RILL__M_PROGRESS, /* to rank 0: completed, remaining, elements (doubles) */
    RILL__M_PART,     /* a proxy's keys of a combine for the rank that owns
                         them (direct.c) */
    RILL__M_FIN,      /* from a combine's origin to an owner: the combine is
                         done, so many pieces came to you in all */
    RILL__M_RETURN    /* to rank 0 while a checkpoint drains: pieces of its
                         combine an owner held, merged */
};
#define RILL__M_LAST RILL__M_RETURN

/* A message is its head, encoded as 48 bytes ("rM", version, type, then
 * the fields below, little-endian: stage, from, phase, owner, ref_rank as
 * i32, units, id, code as i64), then its payload: TASK the records
 * (core/serial.h), DONE the proxy's store (code 1, as its kind encodes it)
 * or a combine's split table (code 3, direct.c), FAIL and STOP the text,
 * PROGRESS three doubles as u64 bits, PART, FIN and RETURN keys (direct.c). */
#define RILL__HEAD_SIZE 48
#define RILL__HEAD_VERSION 1

typedef struct rill__head {
    uint32_t type;
    int32_t stage, from, phase; /* TASK */
    int32_t owner;              /* TASK: the stage of the reduction id names */
    int32_t ref_rank;           /* the rank id names a reduction of */
    int64_t units;              /* TASK, DONE: units of that reduction carried */
    uint64_t id;                /* a reduction's id in ref_rank's table (ids.c),
                                   never an address */
    int64_t code;               /* FAIL, STOP: error code; GIVEN: count; DONE:
                                   what the payload is */
} rill__head;

typedef struct rill__msg {
    struct rill__msg *next;
    int peer;        /* where it goes, or where it came from */
    size_t len;
    char *buf;       /* owned: a rill__head, then the payload */
    void *req;       /* the transport's, while it is being sent */
} rill__msg;

typedef struct rill__pentry {
    struct rill__pentry *next;
    int rank;
    uint64_t id;
    rill__reduction *r;
} rill__pentry;

/* ids.c: a reduction of this rank named in messages while units of it are
 * on other ranks. */
typedef struct rill__ientry {
    struct rill__ientry *next_id, *next_red; /* the two chains it is on */
    uint64_t id;
    rill__reduction *r;
    int64_t units; /* lent and not back yet */
} rill__ientry;

typedef struct rill__release {
    struct rill__release *next;
    rill__reduction *r;
} rill__release;

typedef struct rill__dist {
    rill__run *run;
    int rank, size;
    const rill_transport *link; /* the registered transport */
    pthread_t thread;
    int started;
    rill__worker cw;          /* the thread's worker view: makes and queues
                                 tasks, never runs one */
    pthread_mutex_t mu;       /* the outbox and the thread's sleep */
    pthread_cond_t cv;
    rill__msg *out_head, *out_tail;
    int sleeping;
    int running;              /* the thread has started (under mu) */
    atomic_int quit;          /* rill__dist_stop: end the run */

    pthread_mutex_t pmu;      /* proxies by origin */
    rill__pentry **buckets;
    size_t nbuckets, nproxies;

    pthread_mutex_t imu;      /* the ids of this rank's reductions (ids.c) */
    rill__ientry **by_id, **by_red;
    size_t nids;
    uint64_t next_id;

    rill__release *releases;  /* under run->sched.mu */
    atomic_long lent;         /* units of this rank's reductions elsewhere */
    atomic_int reported;      /* this rank's stop was sent on */
    int over;                 /* the run ended everywhere (thread only) */
    int drain_sent;           /* rank 0: DRAIN went out, UNDRAIN not yet */
    int stealing, victim, tried; /* a STEAL out; whom next; refusals in a row */
    int asked;                /* the STEAL out's code: 0 a reserve, 1 idle,
                                 2 soon idle (steal.c) */
    double next_steal;        /* no idle rank's STEAL before */
    double next_ahead;        /* no soon-idle rank's STEAL before */
    double next_reserve;      /* no STEAL for a reserve before */
    double reserve_wait;      /* the back-off after the last refused one */
    double gave_at;           /* when work last went to another rank, which
                                 asks again soon (thread only) */
    atomic_uint_fast64_t moved; /* records sent to other ranks */
    double next_report;       /* other ranks: when progress goes to rank 0 */
    double (*seen)[3];        /* rank 0, under pmu: each rank's latest report */

    pthread_mutex_t gmu;      /* the pieces of combines this rank owns keys of */
    struct rill__gather *gathers;
} rill__dist;

/* comm.c: queues a message (buf owned by it now) for peer. */
void rill__send(rill__dist *d, int peer, char *buf, size_t len);
int rill__send_head(rill__dist *d, int peer, const rill__head *h);
/* Queues list (by next, in order; owned by the outbox then) in one step,
 * unless refuse_drain and a checkpoint is wanted: then 0 and the list is
 * still the caller's. A DRAIN the thread sends later is queued after it. */
int rill__send_list(rill__dist *d, rill__msg *list, int refuse_drain);

/* proxy.c: what a received message does (buf stays the caller's). */
void rill__handle(rill__dist *d, int peer, const char *buf, size_t len);
/* Answers a STEAL from peer with queued tasks, a range of the work list or
 * (when peer is idle, 1, or soon, 2; not just asking ahead, 0) a split of a
 * running unit; then GIVEN. */
void rill__answer_steal(rill__dist *d, int peer, int idle);
void rill__proxies_free(rill__dist *d);
/* A finished proxy leaves the table (new work for its origin makes a new
 * one); the units it holds. */
int64_t rill__proxy_forget(rill__dist *d, rill__reduction *r);
/* While a checkpoint drains (other ranks than 0): running units give their
 * rest to the queue, and queued tasks under proxies go home. */
void rill__drain(rill__dist *d);
/* Under run->sched.mu: unlinks up to most queued tasks that take accepts, from
 * the stages farthest from the result first, onto *list (by next). */
size_t rill__unqueue(rill__run *run, int (*take)(const rill__run *, const rill__task *),
                     size_t most, rill__task **list);
/* Whether a task can only run where its reduction was opened. */
int rill__home_only(const rill__run *run, const rill__task *t);
/* Sends the records of t home, to the reduction its proxy stands for. */
int rill__ship_home(rill__dist *d, const rill__task *t);
/* Sends the records of t to rank `to` for its stage under r, a reduction
 * of this rank, with units of r (counted as lent in r's id until the proxy
 * there comes home). */
int rill__ship_lend(rill__dist *d, const rill__task *t, int to, rill__reduction *r,
                    int64_t units);
/* steal.c: the communication thread asks another rank for work when this
 * rank wants some (now: rill__mono()); an answer to this rank's STEAL
 * came: given tasks were sent. */
void rill__steal_maybe(rill__dist *d, double now);
void rill__steal_answered(rill__dist *d, int64_t given);
/* comm.c: seconds on the monotonic clock. */
double rill__mono(void);

/* proxy.c: the head of a message, and reading it back (0, or RILL_ECORRUPT
 * when buf is not one: too short, another version or an unknown type). */
void rill__head_put(rill__out *o, const rill__head *h);
int rill__head_get(rill__head *h, const char *buf, size_t len);

/* proxy.c: the proxy of (rank, id) with one more pending unit (the
 * caller's hold, let go with rill__unhold) and units more units of its
 * origin; made when there is none (thread only). NULL: out of memory. */
rill__reduction *rill__proxy_take(rill__dist *d, int rank, uint64_t id, int owner,
                                  int64_t units);
void rill__unhold(rill__dist *d, rill__reduction *r);
/* Has a worker release one unit of r (which may finish it). */
void rill__release_later(rill__dist *d, rill__reduction *r);

/* direct.c: a combine's keys straight to the ranks that own them (see
 * there). direct_ok: whether stage s is a combine whose keys go to their
 * ranks when it finishes. split: proxy r of such a combine finishes here,
 * while no checkpoint drains: its keys of other ranks go to them, this
 * rank's stay here, and body gets the DONE payload (code 3: its origin's
 * keys and how many pieces went where). */
int rill__direct_ok(const rill__run *run, const rill__stage *s);
int rill__direct_split(rill__worker *w, rill__reduction *r, rill__out *body);
/* Proxy r of a combine whose keys all go to its origin finishes: body gets
 * a DONE payload (code 3) with no pieces elsewhere and every key, which the
 * origin merges once, as they came, when the combine finishes. */
int rill__direct_whole(rill__worker *w, rill__reduction *r, rill__out *body);
void rill__receive_part(rill__dist *d, int peer, const rill__head *h, const char *p,
                        size_t len);
void rill__receive_fin(rill__dist *d, int peer, const rill__head *h, const char *p,
                       size_t len);
/* Other ranks than 0, while a checkpoint drains: pieces held for rank 0's
 * combines that have not finished go home. */
void rill__direct_drain(rill__dist *d);
void rill__direct_free(rill__dist *d);
/* The bytes of o, written after RILL__HEAD_SIZE reserved bytes, behind
 * head h, as one message (o is empty after). */
int rill__take_msg(rill__out *o, const rill__head *h, char **buf, size_t *len);

/* origin.c: a combine of this rank finishing (rill__dist_shuffle, in
 * dist.h). done: reads a DONE's code 3 payload for r (its keys into *part,
 * the counts of pieces into r). */
int rill__direct_done(rill__dist *d, rill__reduction *r, const rill__head *h,
                      const char *p, size_t len, void **part);
void rill__receive_return(rill__dist *d, int peer, const rill__head *h, const char *p,
                          size_t len);

/* ids.c, each under imu. lend: r's id (given when it has none), with units
 * more of it lent. find: the reduction of id (and in *lent how many of its
 * units are out), or NULL when it names none.
 * back: units of id came home; at none left the id is forgotten. */
int rill__id_lend(rill__dist *d, rill__reduction *r, int64_t units, uint64_t *id);
rill__reduction *rill__id_find(rill__dist *d, uint64_t id, int64_t *lent);
void rill__id_back(rill__dist *d, uint64_t id, int64_t units);
int rill__ids_start(rill__dist *d);
void rill__ids_free(rill__dist *d);

#endif
