/* run.c — rill_run: set a run up, call init, start the workers, wait for
 * the stream to drain, call finish, and take everything down again, on
 * success and on failure alike (every task, reduction and store is freed).
 *
 * The caller's thread is worker 0, so a one-worker run starts no thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rill/checkpoint.h"
#include "rill/dist.h"
#include "rill/io.h"
#include "run.h"

static int default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* Stage s's figures summed over the run's workers, each counter read on
 * its own: while the run goes, figures so far. Records out are read before
 * records in (acquire: see rill__stats), so that the records in behind the
 * records out read are counted too. */
static void sum_stats(const rill__run *run, int s, rill_stage_stats *out)
{
    const rill__stats *x = &run->stats[s * run->workers];
    int i;
    memset(out, 0, sizeof(*out));
    for (i = 0; i < run->workers; i++) {
        uint64_t calls = atomic_load_explicit(&x[i].calls, memory_order_acquire);
        out->calls += calls;
        out->workers += calls > 0;
        out->records_out += atomic_load_explicit(&x[i].records_out, memory_order_acquire);
        out->splits += atomic_load_explicit(&x[i].splits, memory_order_relaxed);
    }
    for (i = 0; i < run->workers; i++)
        out->records_in += atomic_load_explicit(&x[i].records_in, memory_order_acquire);
}

/* Keeps the run's per-stage figures in the pipeline for rill_pipeline_stats
 * (the workers are joined), and ends their live reading. */
static void keep_stats(rill__run *run)
{
    rill_pipeline *p = run->p;
    int s;
    if (run->stats == NULL)
        return;
    pthread_mutex_lock(&p->stats_mu);
    if (p->live == run)
        p->live = NULL;
    free(p->stats);
    p->nstats = 0;
    if ((p->stats = calloc((size_t)run->nstages, sizeof(*p->stats))) != NULL) {
        p->nstats = run->nstages;
        for (s = 0; s < run->nstages; s++)
            sum_stats(run, s, &p->stats[s]);
    }
    pthread_mutex_unlock(&p->stats_mu);
}

uint64_t rill_records_sent(const rill_pipeline *p)
{
    return p ? p->records_sent : 0;
}

int rill_pipeline_stats(rill_stage_stats *out, const rill_pipeline *p, const char *stage)
{
    rill_pipeline *q = (rill_pipeline *)p; /* its lock, nothing else, changes */
    int i, found = 0;
    if (p == NULL || stage == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_pipeline_stats: NULL argument");
    i = rill__stage_find(p, stage); /* the stages do not change while a run goes */
    pthread_mutex_lock(&q->stats_mu);
    if (i >= 0 && p->live) { /* figures so far */
        sum_stats(p->live, i, out);
        found = 1;
    } else if (i >= 0 && i < p->nstats) {
        *out = p->stats[i];
        found = 1;
    }
    pthread_mutex_unlock(&q->stats_mu);
    if (!found)
        return rill__error(RILL_ENOTFOUND, "no stage named '%s' ran", stage);
    return 0;
}

void rill__run_free(rill__run *run)
{
    int s, i;
    if (run->world.ops)
        run->world.ops->stop(run);
    keep_stats(run);
    for (s = 0; run->stages && s < run->nstages; s++)
        if (run->stages[s].owned_run) /* the workers are joined */
            run->stages[s].owned_run(run->stages[s].owned, 0);
    if (run->src.ops && run->src.ops->end) /* the workers have stopped */
        run->src.ops->end(run->src.self);
    if (run->ckpt.persist)
        run->ckpt.persist->close(run);
    while (run->out.head) { /* outputs the caller did not take */
        rill__task *t = run->out.head;
        run->out.head = t->next;
        rill__batch_unref(t->batch);
        free(t);
    }
    if (run->sched.head)
        for (s = 0; s < run->nstages; s++)
            while (run->sched.head[s]) {
                rill__task *t = run->sched.head[s];
                run->sched.head[s] = t->next;
                rill__task_free(&run->w[0], t);
            }
    while (run->reds.live)
        rill__reduction_destroy(run, run->reds.live);
    if (run->w)
        for (i = 0; i < run->workers; i++) {
            while (run->w[i].ncache > 0)
                rill_batch_free(run->w[i].cache[--run->w[i].ncache]);
            for (s = 0; s < RILL__MAX_DEPTH; s++)
                free(run->w[i].scratch[s]);
        }
    if (run->close.held)
        for (s = 0; s < run->nstages; s++)
            rill_batch_free(run->close.held[s]);
    if (run->close.mu)
        for (s = 0; s < run->nstages; s++)
            pthread_mutex_destroy(&run->close.mu[s]);
    free(run->w);
    free(run->sched.head);
    free(run->sched.tail);
    free((void *)run->sched.busy);
    free(run->sched.limit);
    free((void *)run->sched.taken);
    free((void *)run->sched.runs);
    free(run->sched.order);
    free(run->sched.roots);
    free((void *)run->close.live);
    free((void *)run->close.preds_open);
    free(run->stats);
    pthread_mutex_destroy(&run->split.mu);
    free(run->close.closed);
    free(run->close.bit);
    free(run->close.held);
    free(run->close.mu);
    rill_batch_free(run->out.results);
    rill__held_free(run);
    rill__mutex_destroy(&run->sched.mu);
    pthread_mutex_destroy(&run->reds.mu);
    pthread_mutex_destroy(&run->fail.mu);
    pthread_cond_destroy(&run->sched.cv);
    pthread_cond_destroy(&run->out.cv);
}

static int by_rank(const void *a, const void *b, void *stages)
{
    const rill__stage *st = stages;
    int x = *(const int *)a, y = *(const int *)b;
    return st[x].rank != st[y].rank ? st[x].rank - st[y].rank : y - x;
}

/* Stages whose kind has close, in a run that cannot close whole stages:
 * each gets a bit of the reductions' holders, the most upstream (highest
 * rank) the lowest, so that a reduction closes them in the order records
 * flow (reduction.c). */
static int closers_setup(rill__run *run, int ranks)
{
    int i, k, n = 0, order[RILL__MAX_CLOSERS];
    for (i = 0; i < run->nstages; i++) {
        const rill__stage *s = &run->stages[i];
        if (!s->ops->close)
            continue;
        if (ranks > 1 && rill__kind_is(s, RILL_KIND_ANYWHERE))
            return rill__refuse(run->p, i, "its kind must learn when its input ends and "
                                           "runs on any rank, which rill cannot tell in a run "
                                           "over several ranks");
        if (n == RILL__MAX_CLOSERS)
            return rill__refuse(run->p, i, "a pipeline may have at most 64 stages of kinds "
                                           "that close (such as exec)");
        for (k = n++; k > 0 && run->stages[order[k - 1]].rank < s->rank; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
    if (n == 0)
        return 0;
    if ((run->close.bit = malloc((size_t)run->nstages)) == NULL)
        return RILL_ENOMEM;
    memset(run->close.bit, -1, (size_t)run->nstages);
    for (k = 0; k < n; k++) {
        run->close.bit[order[k]] = (signed char)k;
        run->close.stage_of[k] = order[k];
    }
    run->close.nclosers = n;
    return 0;
}

/* Ranks, roots, call limits and the closing state of the stages. */
static int stage_setup(rill__run *run, int ranks)
{
    size_t n = (size_t)run->nstages;
    int i;
    run->sched.order = calloc(n, sizeof(*run->sched.order));
    run->sched.roots = calloc(n, sizeof(*run->sched.roots));
    run->sched.limit = calloc(n, sizeof(*run->sched.limit));
    run->sched.runs = calloc(n, sizeof(*run->sched.runs));
    if (!run->sched.order || !run->sched.roots || !run->sched.limit || !run->sched.runs)
        return RILL_ENOMEM;
    run->close.on = 1;
    for (i = 0; i < run->nstages; i++) {
        const rill__stage *s = &run->stages[i];
        run->sched.order[i] = i;
        run->sched.limit[i] = s->serial ? 1 : s->concurrency;
        if ((i < run->nstages - 1 || run->nstages == 1) && s->npred == 0)
            run->sched.roots[run->sched.nroots++] = i; /* no stage at all: straight to the result */
        if (!rill__kind_is(s, RILL_KIND_STREAMING) || s->nloop)
            run->close.on = 0; /* records may come back upstream */
    }
    if (run->sched.nroots > 64)
        return rill__error(RILL_EPIPELINE, "the source feeds %d stages; at most 64",
                           run->sched.nroots);
    qsort_r(run->sched.order, n, sizeof(*run->sched.order), by_rank, run->stages);
    if (ranks > 1)
        run->close.on = 0; /* a stage cannot tell when no rank will feed it again */
    for (i = 0; i < run->nstages; i++)
        if (run->stages[i].ops->close) {
            if (ranks > 1 && run->p->persist)
                return rill__refuse(run->p, i, "its kind holds records back for its close, "
                                               "which a checkpoint over several ranks cannot "
                                               "let go of yet");
            run->close.closers++;
        }
    if (!run->close.on)
        return closers_setup(run, ranks);
    run->close.live = calloc(n, sizeof(*run->close.live));
    run->close.preds_open = calloc(n, sizeof(*run->close.preds_open));
    run->close.closed = calloc(n, 1);
    run->close.held = calloc(n, sizeof(*run->close.held));
    run->close.mu = calloc(n, sizeof(*run->close.mu));
    if (!run->close.live || !run->close.preds_open || !run->close.closed || !run->close.held || !run->close.mu)
        return RILL_ENOMEM;
    for (i = 0; i < run->nstages; i++) {
        atomic_init(&run->close.preds_open[i], run->stages[i].npred);
        pthread_mutex_init(&run->close.mu[i], NULL);
    }
    for (i = 0; i < run->sched.nroots; i++)
        atomic_store(&run->close.preds_open[run->sched.roots[i]], 1); /* the source */
    return 0;
}

static int run_setup(rill__run *run, rill_pipeline *p, const rill_run_options *o,
                     int collect)
{
    size_t n;
    int i, rc, ranks;
    memset(run, 0, sizeof(*run));
    rill__mutex_init(&run->sched.mu);
    pthread_mutex_init(&run->reds.mu, NULL);
    pthread_mutex_init(&run->fail.mu, NULL);
    pthread_cond_init(&run->sched.cv, NULL);
    pthread_cond_init(&run->out.cv, NULL);
    pthread_mutex_init(&run->split.mu, NULL);
    run->p = p;
    p->records_sent = 0;
    if ((rc = rill__world(&run->world.ops, &run->world.rank, &ranks, &run->world.link)) < 0)
        return rc;
    run->world.size = ranks;
    run->stages = p->stages;
    run->nstages = p->n + 1;
    run->workers = o && o->workers > 0 ? o->workers : default_workers();
    run->batch_records = o && o->batch_records > 0 ? o->batch_records : 1024;
    run->src.max_batches = o ? o->max_batches : 0;
    n = (size_t)run->nstages;
    run->w = calloc((size_t)run->workers, sizeof(*run->w));
    run->sched.head = calloc(n, sizeof(*run->sched.head));
    run->sched.tail = calloc(n, sizeof(*run->sched.tail));
    run->sched.busy = calloc(n, sizeof(*run->sched.busy));
    run->sched.taken = calloc(n, sizeof(*run->sched.taken));
    { /* a cache line per worker and stage (aligned_alloc: calloc gives 16) */
        size_t bytes = n * (size_t)run->workers * sizeof(*run->stats);
        if ((run->stats = aligned_alloc(64, bytes)) != NULL)
            memset(run->stats, 0, bytes);
    }
    if (!run->w || !run->sched.head || !run->sched.tail || !run->sched.busy || !run->sched.taken || !run->stats)
        return rill__error(RILL_ENOMEM, "out of memory starting a run");
    pthread_mutex_lock(&p->stats_mu); /* rill_pipeline_stats reads them from now on */
    atomic_store(&p->src_stop, 0); /* a stop asked before this run is not for it */
    p->live = run;
    pthread_mutex_unlock(&p->stats_mu);
    if ((rc = stage_setup(run, ranks)) < 0)
        return rc == RILL_ENOMEM ? rill__error(rc, "out of memory starting a run") : rc;
    for (i = 0; i < run->workers; i++) {
        run->w[i].run = run;
        run->w[i].id = i;
    }
    for (i = 0; i < run->nstages && run->split.kind == NULL; i++)
        if (run->stages[i].ops->rebalance) /* its hooks look after every such stage */
            run->split.kind = run->stages[i].ops;
    if (collect && rill_batch_new(&run->out.results) < 0)
        return RILL_ENOMEM;
    /* The root is held by the source and, when closing, by every stage. */
    if ((rc = rill__reduction_open(run, -1, NULL, 1 + (run->close.on ? p->n : 0),
                                   &run->reds.root)) < 0)
        return rill__error(rc, "out of memory starting a run");
    run->src.red = run->reds.root;
    /* At the very start all the initial work forms one reduction of the
     * scope the first stage opens (the reference's top-level reducer). */
    if (run->stages[0].opens >= 0) {
        if ((rc = rill__reduction_open(run, run->stages[0].opens, run->reds.root, 1,
                                       &run->src.red)) < 0)
            return rill__error(rc, "out of memory starting a run");
        rill__reduction_release(&run->w[0], run->reds.root); /* its child holds it now */
    }
    run->src.ops = rill__pulled_source(p);
    run->src.self = rill__pulled_self(p);
    run->src.end = run->src.ops == &rill__source_work ? rill_batch_count(p->work) : SIZE_MAX;
    if (run->world.rank != 0) /* work comes from rank 0 */
        run->src.done = 1;
    return 0;
}

/* init or finish returned rc: RILL_EUSER, with the callback's own message. */
static int callback_failed(const char *what, int rc)
{
    char reason[RILL__ERROR_MAX - 64];
    if (rill_error_last()[0])
        snprintf(reason, sizeof(reason), "%s", rill_error_last());
    else
        snprintf(reason, sizeof(reason), "callback returned %d", rc);
    return rill__error(RILL_EUSER, "%s failed: %s", what, reason);
}

/* Sets a run up, calls init and starts the workers; with all_threads every
 * worker is a thread of its own, else worker 0 is the caller's. */
int rill__run_start(rill__run *run, rill_pipeline *p, const rill_run_options *opts,
                     int collect, int all_threads)
{
    int rc, i, nsinks = 0, restored = 0;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_run: pipeline is NULL");
    if (opts && opts->version != RILL_RUN_OPTIONS_VERSION)
        return rill__error(RILL_EINVAL, "rill_run: options of version %u, expected %u "
                           "(initialise them with RILL_RUN_OPTIONS_INIT)",
                           opts->version, RILL_RUN_OPTIONS_VERSION);
    atomic_store(&p->ckpt_restored, 0);
    atomic_store(&p->ckpt_taken, 0);
    if ((rc = rill__plan_resolve(p)) < 0)
        return rc;
    if ((rc = run_setup(run, p, opts, collect)) < 0)
        return rc;
    for (i = 0; i < p->n; i++)
        if (p->stages[i].owned_run)
            p->stages[i].owned_run(p->stages[i].owned, 1);
    run->out.stream = all_threads;
    run->out.sink = all_threads ? &rill__sink_stream : p->sink;
    run->out.sink_self = all_threads ? (void *)run : p->sink_self;
    for (i = 0; i < p->n; i++)
        nsinks += p->stages[i].nsucc == 1 && p->stages[i].succ[0] == p->n;
    if (run->world.ops && (rc = run->world.ops->start(run)) < 0)
        return rc;
    if (run->out.sink && run->out.sink->begin && run->world.rank == 0 &&
        (rc = run->out.sink->begin(run->out.sink_self, nsinks)) < 0)
        return rc;
    if (p->persist && run->world.rank == 0) { /* rank 0 saves the whole run */
        run->ckpt.persist = p->persist;
        atomic_store(&p->ckpt_request, 0); /* a request made before this run is not for it */
        if (all_threads)
            return rill__error(RILL_EINVAL, "a checkpointed pipeline runs with rill_run, not "
                                            "as a stream");
        if ((rc = run->ckpt.persist->start(run)) < 0)
            return rc;
        restored = rc >= 1;
        atomic_store(&p->ckpt_restored, restored);
        if (rc == 2) { /* only the publishing was left */
            run->ckpt.complete = 1;
            run->sched.done = 1;
        }
        rill__barrier_start(run);
    }
    rill__hold_setup(run);
    /* what the checkpoint held is covered by it: given before anything runs */
    if (restored && !run->ckpt.complete && rill__deliver_held(&run->w[0]) < 0)
        return rill__error_str(run->fail.code, run->fail.msg);
    rill_error_clear();
    if (!restored && run->world.rank == 0) { /* what init adds joins the initial work */
        rill_batch *more;
        if ((rc = rill__plan_init(p, &more)) != 0)
            return callback_failed("init", rc);
        for (i = 0; more && i < run->sched.nroots && rc == 0; i++)
            rc = rill__route_to(&run->w[0], run->sched.roots[i], -1, run->src.red, more, 0,
                                rill_batch_count(more), 1);
        rill__batch_unref(more); /* the tasks hold it now */
        if (rc < 0)
            return rc;
    }
    if (run->world.ops && (rc = run->world.ops->go(run)) < 0)
        return rc;
    if ((rc = rill__sched_start(run, all_threads ? 0 : 1)) < 0)
        rill__run_stop(run, rc, rill_error_last(), 0);
    return 0;
}

/* After the workers have stopped: the run's error, or 0. */
static int run_outcome(rill__run *run)
{
    if (run->fail.code)
        return rill__error_str(run->fail.code, run->fail.msg);
    return 0;
}

int rill_run(rill_pipeline *p, const rill_run_options *opts, rill_batch **results)
{
    rill__run run;
    int rc;
    if (results)
        *results = NULL;
    memset(&run, 0, sizeof(run));
    if ((rc = rill__run_start(&run, p, opts, results != NULL || (p && p->finish != NULL), 0)) < 0)
        goto done;
    rill__worker_loop(&run.w[0]);
    rill__sched_join(&run);
    if (run.world.rank != 0) /* rank 0 lets the others go after finish and its files */
        run.world.ops->stop(&run);
    if ((rc = run_outcome(&run)) < 0)
        goto done;
    rill_error_clear();
    if (run.world.rank != 0) { /* rank 0 has the results and the files */
        rc = 0;
        goto out;
    }
    rill__progress_final(&run); /* every unit is done: the figures are final */
    /* the complete checkpoint covers what is held: given, then finish. With
     * nothing held, no finish and no sink, only the results batch is left:
     * a crash before the end then resumes from the last checkpoint and
     * comes to the same results, so the results are not written twice
     * (complete, then cleared by end). */
    if (!run.ckpt.complete && run.ckpt.persist &&
        (run.out.held != NULL || p->finish != NULL || run.out.sink != NULL) &&
        (rc = run.ckpt.persist->complete(&run)) < 0)
        goto done;
    if (rill__deliver_held(&run.w[0]) < 0) {
        rc = run_outcome(&run);
        goto done;
    }
    if (p->finish && (rc = p->finish(run.out.results, p->finish_payload)) != 0) {
        rc = callback_failed("finish", rc);
        goto done;
    }
    if ((rc = run_outcome(&run)) < 0) /* another rank failed meanwhile */
        goto done;
    if (run.out.sink && run.out.sink->end && (rc = run.out.sink->end(run.out.sink_self, 1)) < 0)
        goto done;
    if (run.ckpt.persist && (rc = run.ckpt.persist->end(&run, 1)) < 0)
        goto done;
    rc = 0;
out:
    if (results) {
        *results = run.out.results;
        run.out.results = NULL;
    }
done:
    if (rc < 0 && run.world.dist) /* every rank learns why this one stopped */
        rill__run_stop(&run, rc, rill_error_last(), 0);
    if (run.out.sink && run.ckpt.store && run.out.sink->forget)
        run.out.sink->forget(run.out.sink_self); /* a checkpoint may still name those files */
    else if (run.out.sink && run.out.sink->end && run.world.rank == 0 && run.p)
        run.out.sink->end(run.out.sink_self, 0); /* what a failed run wrote goes */
    if (run.p)
        rill__run_free(&run);
    return rc;
}


int rill_checkpoint_restored(const rill_pipeline *p)
{
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_checkpoint_restored: the pipeline is NULL");
    return atomic_load(&((rill_pipeline *)p)->ckpt_restored);
}

long long rill_checkpoint_count(const rill_pipeline *p)
{
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_checkpoint_count: the pipeline is NULL");
    return atomic_load(&((rill_pipeline *)p)->ckpt_taken);
}
