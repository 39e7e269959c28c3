/* comm.c — each run's communication thread, over the registered transport
 * (rill/sys/transport.h; MPI in mpi.c).
 *
 * The thread sends what workers queued, receives and handles what other
 * ranks sent, notices when this rank's workers are idle (and asks another
 * rank for work, backing off while every rank says no), and when the run
 * stops here (its error goes to rank 0, which stops every rank). It never
 * spins: with nothing to do it sleeps on its condition variable, from 20 us
 * up to 1 ms while the rank waits (see NAP_BUSY for while it does not),
 * and a worker queueing a message or running out of work wakes it. A
 * request for a reserve that another rank refused waits 5 ms before the
 * next, then twice as long each time, up to 40 ms. Under mpirun a
 * rank's threads share one core, so the thread asks the scheduler for a
 * short slice (Linux's EEVDF, 6.12 on; elsewhere nothing changes): woken,
 * it runs when its nap ends instead of after the worker's 3 ms slice, so an
 * idle rank's request waits at most about the asked rank's nap: up to 1 ms
 * from a rank that gave work away lately, up to 4 ms from a busy one (a
 * rank near the end of its work asks that long ahead).
 *
 * The end of a run, once every rank knows it is over (END or STOP from rank
 * 0), is the NBX pattern: each rank waits until its sends were received
 * (the transport's sends complete only then), receiving (and dropping)
 * meanwhile, then enters the transport's barrier and keeps receiving until
 * it completes. After that no
 * message of this run is in flight anywhere, so the next run starts clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "link.h"

/* The communication thread's longest nap: 1 ms while this rank waits
 * (for an answer, or with a worker out of work), gave work away in the
 * last 20 ms or drains for a checkpoint; 4 ms while its workers are all
 * busy otherwise, when a wake-up costs a worker a switch of its core and an
 * answer is seldom urgent (a rank near the end of its work asks ahead). */
#define NAP_WAITING 1e-3
#define NAP_BUSY 4e-3

double rill__mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void rill__send(rill__dist *d, int peer, char *buf, size_t len)
{
    rill__msg *m = calloc(1, sizeof(*m));
    if (m == NULL) { /* the run cannot go on without this message */
        free(buf);
        rill__error(RILL_ENOMEM, "out of memory sending to rank %d", peer);
        rill__fail(&d->cw, d->run->nstages - 1, 0, 0, NULL, RILL_ENOMEM, 1, "sending");
        return;
    }
    m->peer = peer;
    m->buf = buf;
    m->len = len;
    pthread_mutex_lock(&d->mu);
    if (d->out_tail)
        d->out_tail->next = m;
    else
        d->out_head = m;
    d->out_tail = m;
    if (d->sleeping)
        pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

int rill__send_head(rill__dist *d, int peer, const rill__head *h)
{
    rill__out o;
    char *buf;
    size_t len;
    int rc;
    rill__out_init(&o, 0);
    rill__head_put(&o, h);
    if ((rc = rill__out_take(&o, &buf, &len)) < 0)
        return rc;
    rill__send(d, peer, buf, len);
    return 0;
}

int rill__send_list(rill__dist *d, rill__msg *list, int refuse_drain)
{
    rill__msg *last = list;
    if (list == NULL)
        return 1;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&d->mu);
    /* the thread reads ckpt.want before it queues DRAIN under mu: read here
     * under mu, 0 means any DRAIN comes after this list */
    if (refuse_drain && atomic_load(&d->run->ckpt.want)) {
        pthread_mutex_unlock(&d->mu);
        return 0;
    }
    if (d->out_tail)
        d->out_tail->next = list;
    else
        d->out_head = list;
    d->out_tail = last;
    if (d->sleeping)
        pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return 1;
}

/* Messages sent, waiting for their receivers (thread only). */
typedef struct sending {
    rill__msg *head;
    int refused;     /* sends the transport refused in a row */
} sending;

/* Puts list (in order) back in front of the outbox. */
static void unpost(rill__dist *d, rill__msg *list)
{
    rill__msg *last = list;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&d->mu);
    last->next = d->out_head;
    if (d->out_tail == NULL)
        d->out_tail = last;
    d->out_head = list;
    pthread_mutex_unlock(&d->mu);
}

/* Hands the outbox to the transport, in order. A send it refuses (out of
 * memory, say) is tried again on the next round with everything after it,
 * since a lost message would leave some rank waiting for ever; after 1,000
 * refusals in a row the run fails, and its messages keep being tried. */
static int post(rill__dist *d, sending *s)
{
    rill__msg *m, *list;
    int n = 0, rc;
    pthread_mutex_lock(&d->mu);
    list = d->out_head;
    d->out_head = d->out_tail = NULL;
    pthread_mutex_unlock(&d->mu);
    while ((m = list) != NULL) {
        if ((rc = d->link->send(m->peer, m->buf, m->len, &m->req)) < 0) {
            unpost(d, list);
            if (++s->refused == 1000)
                rill__fail(&d->cw, d->run->nstages - 1, 0, 0, NULL, rc, 1, "sending");
            break;
        }
        s->refused = 0;
        list = m->next;
        m->next = s->head;
        s->head = m;
        n++;
    }
    return n;
}

/* Frees the sends that completed; returns how many are left. */
static int reap(rill__dist *d, sending *s)
{
    rill__msg **pp = &s->head, *m;
    int left = 0;
    while ((m = *pp) != NULL) {
        if (d->link->done(m->req)) {
            *pp = m->next;
            free(m->buf);
            free(m);
        } else {
            pp = &m->next;
            left++;
        }
    }
    return left;
}

/* Receives what has arrived (at most 64 messages); handles them unless
 * drop. Returns how many. */
static int receive(rill__dist *d, int drop)
{
    int n = 0;
    while (n < 64) {
        void *buf;
        size_t len;
        int peer, rc = d->link->receive(&peer, &buf, &len);
        if (rc == 0)
            break;
        n++;
        if (rc < 0) { /* lost: the run cannot go on without it */
            rill__fail(&d->cw, d->run->nstages - 1, 0, 0, NULL, rc, 1, "receiving");
            continue;
        }
        if (!drop && !d->over)
            rill__handle(d, peer, buf, len);
        free(buf);
    }
    return n;
}

/* This rank stopped: rank 0 stops every rank; another rank tells rank 0. */
static void report_stop(rill__dist *d)
{
    rill__run *run = d->run;
    rill__head h = {0};
    size_t len;
    char *buf;
    int i;
    if (atomic_exchange(&d->reported, 1))
        return;
    pthread_mutex_lock(&run->fail.mu); /* every stop keeps a failure (rill__run_stop) */
    h.code = run->fail.code ? run->fail.code : RILL_ECANCELLED;
    pthread_mutex_unlock(&run->fail.mu);
    h.type = d->rank == 0 ? RILL__M_STOP : RILL__M_FAIL;
    for (i = 0; i < d->size; i++) {
        rill__out o;
        if (i == d->rank || (d->rank != 0 && i != 0))
            continue;
        rill__out_init(&o, 0);
        rill__head_put(&o, &h);
        pthread_mutex_lock(&run->fail.mu);
        rill__put_bytes(&o, run->fail.msg, strlen(run->fail.msg) + 1);
        pthread_mutex_unlock(&run->fail.mu);
        if (rill__out_take(&o, &buf, &len) == 0)
            rill__send(d, i, buf, len);
    }
    if (d->rank == 0)
        d->over = 1;
}

/* Rank 0: a message with nothing but its type to every other rank. */
static void tell_all(rill__dist *d, uint32_t type)
{
    rill__head h = {0};
    int i;
    h.type = type;
    for (i = 1; i < d->size; i++)
        rill__send_head(d, i, &h);
}

/* Other ranks: their splittable work, every progress interval, to rank 0. */
static void report_progress(rill__dist *d, double now)
{
    rill__head h = {0};
    rill_progress pr;
    double v[3];
    rill__out o;
    char *buf;
    size_t len;
    int i;
    d->next_report = now + d->run->p->progress_ms * 1e-3;
    rill__progress_local(d->run, &pr);
    v[0] = pr.completed;
    v[1] = pr.remaining;
    v[2] = (double)pr.elements_done;
    h.type = RILL__M_PROGRESS;
    rill__out_init(&o, 0);
    rill__head_put(&o, &h);
    for (i = 0; i < 3; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], 8);
        rill__put_u64(&o, bits);
    }
    if (rill__out_take(&o, &buf, &len) == 0) /* else a report is missed, nothing else */
        rill__send(d, 0, buf, len);
}

void rill__dist_progress(rill__run *run, rill_progress *pr)
{
    rill__dist *d = run->world.dist;
    int i;
    if (d == NULL || d->seen == NULL)
        return;
    pthread_mutex_lock(&d->pmu);
    for (i = 1; i < d->size; i++) {
        pr->completed += d->seen[i][0];
        pr->remaining += d->seen[i][1];
        pr->elements_done += (uint64_t)d->seen[i][2];
    }
    pthread_mutex_unlock(&d->pmu);
}

/* Asks for a slice of 100 us (sched_setattr's runtime for a fair task), at
 * the thread's nice, when the thread runs under the default policy; a
 * kernel that does not know it refuses or ignores it. */
static void short_slice(void)
{
#if defined(__linux__) && defined(SYS_sched_setattr)
    struct { /* struct sched_attr, its first version (48 bytes) */
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
    } a;
    if (sched_getscheduler(0) != SCHED_OTHER)
        return; /* a real-time or batch policy stays the process's */
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.policy = SCHED_OTHER;
    a.nice = getpriority(PRIO_PROCESS, 0);
    a.runtime = 100000;
    (void)syscall(SYS_sched_setattr, 0, &a, 0);
#endif
}

/* Whether some worker of this rank waits for work. */
static int waits(rill__run *run)
{
    int idle;
    rill__mutex_lock(&run->sched.mu);
    idle = run->sched.idle > 0 || run->sched.done;
    rill__mutex_unlock(&run->sched.mu);
    return idle;
}

static void *comm_main(void *arg)
{
    rill__dist *d = arg;
    rill__run *run = d->run;
    sending s = {NULL, 0};
    double nap = 2e-5, most;
    void *barrier;
    int done = 0, waiting;
    short_slice();
    pthread_mutex_lock(&d->mu); /* running now: rill__dist_go may return */
    d->running = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    while (!d->over) { /* what is still queued then goes out below */
        int work = post(d, &s);
        double now = rill__mono();
        reap(d, &s);
        work += receive(d, 0);
        if (atomic_load(&run->fail.stop) && !d->reported)
            report_stop(d);
        if (d->rank == 0 && !d->over) {
            int ended;
            rill__mutex_lock(&run->sched.mu);
            ended = run->sched.done;
            rill__mutex_unlock(&run->sched.mu);
            if (ended && run->out.stream) /* no finish, no files: done is the end */
                atomic_store(&d->quit, 1);
            if (!ended && run->p->progress)
                rill__progress_tick(&d->cw); /* reports go on while every worker waits */
        }
        if (d->rank == 0 && !d->over && atomic_load(&run->ckpt.want) != d->drain_sent) {
            d->drain_sent = !d->drain_sent;
            tell_all(d, d->drain_sent ? RILL__M_DRAIN : RILL__M_UNDRAIN);
        }
        if (d->rank != 0 && atomic_load(&run->ckpt.want) && !d->over)
            rill__drain(d);
        if (atomic_load(&d->quit) && !d->over) {
            /* rank 0's rill_run is done, finish and files included (an error
             * of theirs went out as STOP above): the others may return */
            if (d->rank == 0 && atomic_load(&run->fail.stop)) {
                report_stop(d); /* stopped after the check above: not END */
            } else if (d->rank == 0) {
                tell_all(d, RILL__M_END);
            }
            d->over = 1;
            continue;
        }
        rill__steal_maybe(d, now);
        if (d->rank != 0 && run->p->progress && now >= d->next_report)
            report_progress(d, now);
        /* this rank waits for an answer or for work, another rank that took
         * work from here in the last 20 ms will ask again, or a checkpoint
         * drains the run */
        waiting = d->stealing || waits(run) || now - d->gave_at < 2e-2 ||
                  atomic_load(&run->ckpt.want); /* a drain sends units home */
        if (work) { /* more may follow: look again now, and soon after
                       while this rank waits */
            if (waiting)
                nap = 2e-5;
            continue;
        }
        pthread_mutex_lock(&d->mu);
        if (d->out_head == NULL && !atomic_load(&run->fail.stop)) {
            struct timespec ts;
            double until;
            clock_gettime(CLOCK_REALTIME, &ts);
            until = (double)ts.tv_nsec * 1e-9 + nap;
            ts.tv_sec += (time_t)until;
            ts.tv_nsec = (long)((until - (double)(time_t)until) * 1e9);
            d->sleeping = 1;
            pthread_cond_timedwait(&d->cv, &d->mu, &ts);
            d->sleeping = 0;
        }
        pthread_mutex_unlock(&d->mu);
        most = waiting ? NAP_WAITING : NAP_BUSY;
        nap = nap * 2 < most ? nap * 2 : most;
    }
    /* NBX: our sends received, then everybody's. */
    while (post(d, &s), reap(d, &s) > 0)
        receive(d, 1);
    while (d->link->barrier(&barrier) < 0) /* as sends: it must happen */
        receive(d, 1);
    while (!done) {
        done = d->link->done(barrier);
        if (!done && receive(d, 1) == 0) {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* Every rank must run the same pipeline: compares fingerprints. */
static int same_pipeline(rill__dist *d)
{
    int same, rc;
    if ((rc = d->link->agree(rill__pipeline_fingerprint(d->run->p), &same)) < 0)
        return rc;
    if (!same)
        return rill__error(RILL_EPIPELINE, "rank %d of %d built another pipeline than some "
                           "other rank (every rank must build the same one)",
                           d->rank, d->size);
    return 0;
}

int rill__dist_start(rill__run *run)
{
    rill__dist *d;
    const rill_transport *link = run->world.link; /* as the run found it */
    int rank = run->world.rank, size = run->world.size, rc;
    if (link == NULL || size < 2)
        return 0;
    if ((d = calloc(1, sizeof(*d))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory starting a distributed run");
    d->run = run;
    d->rank = rank;
    d->size = size;
    d->link = link;
    d->victim = (rank + 1) % size;
    d->cw.run = run;
    d->cw.depth = RILL__MAX_DEPTH; /* its tasks are always queued */
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_mutex_init(&d->pmu, NULL);
    pthread_mutex_init(&d->imu, NULL);
    pthread_mutex_init(&d->gmu, NULL);
    run->world.dist = d;
    if ((rc = same_pipeline(d)) < 0 || (rc = rill__ids_start(d)) < 0)
        return rc;
    if ((d->buckets = calloc(d->nbuckets = 256, sizeof(*d->buckets))) == NULL ||
        (rank == 0 && (d->seen = calloc((size_t)size, sizeof(*d->seen))) == NULL))
        return rill__error(RILL_ENOMEM, "out of memory starting a distributed run");
    return 0;
}

int rill__dist_go(rill__run *run)
{
    rill__dist *d = run->world.dist;
    if (d == NULL || d->started)
        return 0;
    if (pthread_create(&d->thread, NULL, comm_main, d) != 0)
        return rill__error(RILL_ETHREAD, "cannot start the communication thread");
    d->started = 1;
    /* the worker about to run here would keep it off the core for a slice */
    pthread_mutex_lock(&d->mu);
    while (!d->running)
        pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
    return 0;
}

void rill__dist_wake(rill__run *run)
{
    rill__dist *d = run->world.dist;
    if (d == NULL)
        return;
    pthread_mutex_lock(&d->mu);
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

rill__reduction *rill__dist_release_pop(rill__run *run)
{
    rill__dist *d = run->world.dist;
    rill__release *x;
    rill__reduction *r;
    RILL__ASSERT_HELD(&run->sched.mu);
    if (d == NULL || (x = d->releases) == NULL)
        return NULL;
    d->releases = x->next;
    r = x->r;
    free(x);
    return r;
}

int rill__dist_drained(rill__run *run)
{
    rill__dist *d = run->world.dist;
    size_t proxies;
    RILL__ASSERT_HELD(&run->sched.mu);
    if (d == NULL)
        return 1;
    pthread_mutex_lock(&d->pmu);
    proxies = d->nproxies;
    pthread_mutex_unlock(&d->pmu);
    return proxies == 0 && atomic_load(&d->lent) == 0 && d->releases == NULL;
}

int rill__dist_stop(rill__run *run)
{
    rill__dist *d = run->world.dist;
    rill__msg *m;
    if (d == NULL)
        return 0;
    if (!d->started && atomic_load(&run->fail.stop))
        rill__dist_go(run); /* failed before it ran: the thread tells the others */
    if (d->started) {
        atomic_store(&d->quit, 1);
        rill__dist_wake(run);
        pthread_join(d->thread, NULL);
    }
    while ((m = d->out_head) != NULL) {
        d->out_head = m->next;
        free(m->buf);
        free(m);
    }
    rill__mutex_lock(&run->sched.mu); /* the releases' lock, as everywhere */
    while (d->releases)
        rill__dist_release_pop(run);
    rill__mutex_unlock(&run->sched.mu);
    run->p->records_sent = atomic_load(&d->moved);
    rill__proxies_free(d);
    rill__direct_free(d);
    rill__ids_free(d);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->pmu);
    pthread_mutex_destroy(&d->imu);
    pthread_mutex_destroy(&d->gmu);
    for (int i = 0; i < d->cw.ncache; i++)
        rill_batch_free(d->cw.cache[i]);
    free(d->buckets);
    free(d->seen);
    free(d);
    run->world.dist = NULL;
    return 0;
}

/* The distribution layer's hooks, registered when the library is loaded:
 * the engine calls them in runs of more than one rank. */
static const rill__dist_ops dist_ops = {
    .start = rill__dist_start,
    .go = rill__dist_go,
    .stop = rill__dist_stop,
    .wake = rill__dist_wake,
    .release_pop = rill__dist_release_pop,
    .drained = rill__dist_drained,
    .progress = rill__dist_progress,
    .away = rill__dist_away,
    .proxy_done = rill__dist_proxy_done,
    .shuffle = rill__dist_shuffle,
};

__attribute__((constructor)) static void dist_register(void)
{
    rill__dist_register(&dist_ops);
}
