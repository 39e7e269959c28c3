/* run.c — rill_run: set a run up, call init, start the workers, wait for
 * the stream to drain, call finish, and take everything down again, on
 * success and on failure alike (every task, reduction and store is freed).
 *
 * The caller's thread is worker 0, so a one-worker run starts no thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rill/io.h"
#include "run.h"

static int default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* Keeps the run's per-stage figures in the pipeline for rill_stage_stats. */
static void keep_stats(rill__run *run)
{
    rill_pipeline *p = run->p;
    int s, i;
    if (run->stats == NULL)
        return;
    free(p->stats);
    p->nstats = 0;
    if ((p->stats = calloc((size_t)run->nstages, sizeof(*p->stats))) == NULL)
        return;
    p->nstats = run->nstages;
    for (s = 0; s < run->nstages; s++)
        for (i = 0; i < run->workers; i++) {
            const rill__stats *x = &run->stats[s * run->workers + i];
            p->stats[s].calls += x->calls;
            p->stats[s].records_out += x->records_out;
            p->stats[s].splits += x->splits;
            p->stats[s].workers += x->calls > 0;
        }
}

uint64_t rill_records_sent(const rill_pipeline *p)
{
    return p ? p->records_sent : 0;
}

int rill_pipeline_stats(rill_stage_stats *out, const rill_pipeline *p, const char *stage)
{
    int i;
    if (p == NULL || stage == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_pipeline_stats: NULL argument");
    if ((i = rill__stage_find(p, stage)) < 0 || i >= p->nstats)
        return rill__error(RILL_ENOTFOUND, "no stage named '%s' ran", stage);
    out->calls = p->stats[i].calls;
    out->records_out = p->stats[i].records_out;
    out->splits = p->stats[i].splits;
    out->workers = p->stats[i].workers;
    return 0;
}

void rill__run_free(rill__run *run)
{
    int s, i;
    if (run->transport)
        run->transport->stop(run);
    keep_stats(run);
    if (run->persist)
        run->persist->close(run);
    while (run->out_head) { /* outputs the caller did not take */
        rill__task *t = run->out_head;
        run->out_head = t->next;
        rill__batch_unref(t->batch);
        free(t);
    }
    if (run->head)
        for (s = 0; s < run->nstages; s++)
            while (run->head[s]) {
                rill__task *t = run->head[s];
                run->head[s] = t->next;
                rill__task_free(&run->w[0], t);
            }
    while (run->live_list)
        rill__reduction_destroy(run, run->live_list);
    if (run->w)
        for (i = 0; i < run->workers; i++) {
            while (run->w[i].ncache > 0)
                rill_batch_free(run->w[i].cache[--run->w[i].ncache]);
            for (s = 0; s < RILL__MAX_DEPTH; s++)
                free(run->w[i].scratch[s]);
        }
    if (run->held)
        for (s = 0; s < run->nstages; s++)
            rill_batch_free(run->held[s]);
    if (run->smu)
        for (s = 0; s < run->nstages; s++)
            pthread_mutex_destroy(&run->smu[s]);
    free(run->w);
    free(run->head);
    free(run->tail);
    free((void *)run->busy);
    free(run->limit);
    free((void *)run->taken);
    free((void *)run->runs);
    free(run->order);
    free(run->roots);
    free((void *)run->live);
    free((void *)run->preds_open);
    free(run->stats);
    pthread_mutex_destroy(&run->amu);
    free(run->closed);
    free(run->held);
    free(run->smu);
    rill_batch_free(run->results);
    pthread_mutex_destroy(&run->mu);
    pthread_mutex_destroy(&run->live_mu);
    pthread_mutex_destroy(&run->err_mu);
    pthread_cond_destroy(&run->cv);
    pthread_cond_destroy(&run->out_cv);
}

static int by_rank(const void *a, const void *b, void *stages)
{
    const rill__stage *st = stages;
    int x = *(const int *)a, y = *(const int *)b;
    return st[x].rank != st[y].rank ? st[x].rank - st[y].rank : y - x;
}

/* Ranks, roots, call limits and the closing state of the stages. */
static int stage_setup(rill__run *run, int ranks)
{
    size_t n = (size_t)run->nstages;
    int i;
    run->order = calloc(n, sizeof(*run->order));
    run->roots = calloc(n, sizeof(*run->roots));
    run->limit = calloc(n, sizeof(*run->limit));
    run->runs = calloc(n, sizeof(*run->runs));
    if (!run->order || !run->roots || !run->limit || !run->runs)
        return RILL_ENOMEM;
    run->closing = 1;
    for (i = 0; i < run->nstages; i++) {
        const rill__stage *s = &run->stages[i];
        run->order[i] = i;
        run->limit[i] = s->serial ? 1 : s->concurrency;
        if ((i < run->nstages - 1 || run->nstages == 1) && s->npred == 0)
            run->roots[run->nroots++] = i; /* no stage at all: straight to the result */
        if (!rill__kind_is(s, RILL_KIND_STREAMING))
            run->closing = 0;
    }
    if (run->nroots > 64)
        return rill__error(RILL_EPIPELINE, "the source feeds %d stages; at most 64",
                           run->nroots);
    qsort_r(run->order, n, sizeof(*run->order), by_rank, run->stages);
    if (ranks > 1)
        run->closing = 0; /* a stage cannot tell when no rank will feed it again */
    if (!run->closing)
        return 0;
    run->live = calloc(n, sizeof(*run->live));
    run->preds_open = calloc(n, sizeof(*run->preds_open));
    run->closed = calloc(n, 1);
    run->held = calloc(n, sizeof(*run->held));
    run->smu = calloc(n, sizeof(*run->smu));
    if (!run->live || !run->preds_open || !run->closed || !run->held || !run->smu)
        return RILL_ENOMEM;
    for (i = 0; i < run->nstages; i++) {
        atomic_init(&run->preds_open[i], run->stages[i].npred);
        pthread_mutex_init(&run->smu[i], NULL);
    }
    for (i = 0; i < run->nroots; i++)
        atomic_store(&run->preds_open[run->roots[i]], 1); /* the source */
    return 0;
}

static int run_setup(rill__run *run, rill_pipeline *p, const rill_run_options *o,
                     int collect)
{
    size_t n;
    int i, rc, ranks;
    memset(run, 0, sizeof(*run));
    pthread_mutex_init(&run->mu, NULL);
    pthread_mutex_init(&run->live_mu, NULL);
    pthread_mutex_init(&run->err_mu, NULL);
    pthread_cond_init(&run->cv, NULL);
    pthread_cond_init(&run->out_cv, NULL);
    pthread_mutex_init(&run->amu, NULL);
    run->p = p;
    p->records_sent = 0;
    if ((rc = rill__world(&run->transport, &run->rank, &ranks)) < 0)
        return rc;
    run->stages = p->stages;
    run->nstages = p->n + 1;
    run->workers = o && o->workers > 0 ? o->workers : default_workers();
    run->batch_records = o && o->batch_records > 0 ? o->batch_records : 1024;
    run->max_batches = o ? o->max_batches : 0;
    n = (size_t)run->nstages;
    run->w = calloc((size_t)run->workers, sizeof(*run->w));
    run->head = calloc(n, sizeof(*run->head));
    run->tail = calloc(n, sizeof(*run->tail));
    run->busy = calloc(n, sizeof(*run->busy));
    run->taken = calloc(n, sizeof(*run->taken));
    { /* a cache line per worker and stage (aligned_alloc: calloc gives 16) */
        size_t bytes = n * (size_t)run->workers * sizeof(*run->stats);
        if ((run->stats = aligned_alloc(64, bytes)) != NULL)
            memset(run->stats, 0, bytes);
    }
    if (!run->w || !run->head || !run->tail || !run->busy || !run->taken || !run->stats)
        return rill__error(RILL_ENOMEM, "out of memory starting a run");
    if ((rc = stage_setup(run, ranks)) < 0)
        return rc == RILL_ENOMEM ? rill__error(rc, "out of memory starting a run") : rc;
    for (i = 0; i < run->workers; i++) {
        run->w[i].run = run;
        run->w[i].id = i;
    }
    for (i = 0; i < run->nstages && run->splitter == NULL; i++)
        if (run->stages[i].ops->rebalance) /* its hooks look after every such stage */
            run->splitter = run->stages[i].ops;
    if (collect && rill_batch_new(&run->results) < 0)
        return RILL_ENOMEM;
    /* The root is held by the source and, when closing, by every stage. */
    if ((rc = rill__reduction_open(run, -1, NULL, 1 + (run->closing ? p->n : 0),
                                   &run->root)) < 0)
        return rill__error(rc, "out of memory starting a run");
    run->src_red = run->root;
    /* At the very start all the initial work forms one reduction of the
     * scope the first stage opens (the reference's top-level reducer). */
    if (run->stages[0].opens >= 0) {
        if ((rc = rill__reduction_open(run, run->stages[0].opens, run->root, 1,
                                       &run->src_red)) < 0)
            return rill__error(rc, "out of memory starting a run");
        rill__reduction_release(&run->w[0], run->root); /* its child holds it now */
    }
    run->src_end = p->work ? rill_batch_count(p->work) : 0;
    run->source = rill__pulled_source(p);
    run->source_self = p;
    if (run->rank != 0) /* work comes from rank 0 */
        run->src_done = 1;
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
    if ((rc = rill__plan_resolve(p)) < 0)
        return rc;
    if ((rc = run_setup(run, p, opts, collect)) < 0)
        return rc;
    run->stream = all_threads;
    run->sink = all_threads ? &rill__sink_stream : p->sink;
    run->sink_self = all_threads ? (void *)run : p->sink_self;
    for (i = 0; i < p->n; i++)
        nsinks += p->stages[i].nsucc == 1 && p->stages[i].succ[0] == p->n;
    if (run->transport && (rc = run->transport->start(run)) < 0)
        return rc;
    if (run->sink && run->rank == 0 && (rc = run->sink->begin(run->sink_self, nsinks)) < 0)
        return rc;
    if (p->persist && run->rank == 0) { /* rank 0 saves the whole run */
        run->persist = p->persist;
        atomic_store(&p->ckpt_request, 0); /* a request made before this run is not for it */
        if (all_threads)
            return rill__error(RILL_EINVAL, "a checkpointed pipeline runs with rill_run, not "
                                            "as a stream");
        if ((rc = run->persist->start(run)) < 0)
            return rc;
        restored = rc >= 1;
        if (rc == 2) { /* only the publishing was left */
            run->complete = 1;
            run->done = 1;
        }
        rill__barrier_start(run);
    }
    rill_error_clear();
    if (!restored && run->rank == 0) { /* what init adds joins the initial work */
        rill_batch *more;
        if ((rc = rill__plan_init(p, &more)) != 0)
            return callback_failed("init", rc);
        for (i = 0; more && i < run->nroots && rc == 0; i++)
            rc = rill__route_to(&run->w[0], run->roots[i], -1, run->src_red, more, 0,
                                rill_batch_count(more), 1);
        rill__batch_unref(more); /* the tasks hold it now */
        if (rc < 0)
            return rc;
    }
    if (run->transport && (rc = run->transport->go(run)) < 0)
        return rc;
    if ((rc = rill__sched_start(run, all_threads ? 0 : 1)) < 0)
        rill__run_stop(run, rc, rill_error_last(), 0);
    return 0;
}

/* After the workers have stopped: the run's error, or 0. */
static int run_outcome(rill__run *run)
{
    if (run->err_code)
        return rill__error_str(run->err_code, run->err_msg);
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
    if (run.rank != 0) /* rank 0 lets the others go after finish and its files */
        run.transport->stop(&run);
    if ((rc = run_outcome(&run)) < 0)
        goto done;
    rill_error_clear();
    if (run.rank != 0) { /* rank 0 has the results and the files */
        rc = 0;
        goto out;
    }
    if (!run.complete && p->finish && (rc = p->finish(run.results, p->finish_payload)) != 0) {
        rc = callback_failed("finish", rc);
        goto done;
    }
    if ((rc = run_outcome(&run)) < 0) /* another rank failed meanwhile */
        goto done;
    if (!run.complete && run.persist && (rc = run.persist->complete(&run)) < 0)
        goto done;
    if (run.sink && (rc = run.sink->end(run.sink_self, 1)) < 0)
        goto done;
    if (run.persist && (rc = run.persist->end(&run, 1)) < 0)
        goto done;
    rc = 0;
out:
    if (results) {
        *results = run.results;
        run.results = NULL;
    }
done:
    if (rc < 0 && run.dist) /* every rank learns why this one stopped */
        rill__run_stop(&run, rc, rill_error_last(), 0);
    if (run.sink && run.store && run.sink->forget)
        run.sink->forget(run.sink_self); /* a checkpoint may still name those files */
    else if (run.sink && run.rank == 0 && run.p)
        run.sink->end(run.sink_self, 0); /* what a failed run wrote goes */
    if (run.p)
        rill__run_free(&run);
    return rc;
}

