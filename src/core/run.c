/* run.c — rill_run: set a run up, call init, start the workers, wait for
 * the stream to drain, call finish, and take everything down again, on
 * success and on failure alike (every task, reduction and store is freed).
 *
 * The caller's thread is worker 0, so a one-worker run starts no thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

static int default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

static void run_free(rill__run *run)
{
    int s, i;
    if (run->head)
        for (s = 0; s < run->nstages; s++)
            while (run->head[s]) {
                rill__task *t = run->head[s];
                run->head[s] = t->next;
                rill__task_free(&run->w[0], t);
            }
    while (run->live)
        rill__reduction_destroy(run, run->live);
    if (run->w)
        for (i = 0; i < run->workers; i++) {
            while (run->w[i].ncache > 0)
                rill_batch_free(run->w[i].cache[--run->w[i].ncache]);
            for (s = 0; s < RILL__MAX_DEPTH; s++)
                free(run->w[i].scratch[s]);
        }
    free(run->w);
    free(run->head);
    free(run->tail);
    free((void *)run->busy);
    free((void *)run->taken);
    rill_batch_free(run->results);
    pthread_mutex_destroy(&run->mu);
    pthread_mutex_destroy(&run->live_mu);
    pthread_mutex_destroy(&run->err_mu);
    pthread_cond_destroy(&run->cv);
}

static int run_setup(rill__run *run, rill_pipeline *p, const rill_run_options *o,
                     int collect)
{
    size_t n;
    int i, rc;
    memset(run, 0, sizeof(*run));
    pthread_mutex_init(&run->mu, NULL);
    pthread_mutex_init(&run->live_mu, NULL);
    pthread_mutex_init(&run->err_mu, NULL);
    pthread_cond_init(&run->cv, NULL);
    run->p = p;
    run->stages = p->stages;
    run->nstages = p->n + 1;
    run->workers = o && o->workers > 0 ? o->workers : default_workers();
    run->batch_records = o && o->batch_records > 0 ? o->batch_records : 1024;
    n = (size_t)run->nstages;
    run->w = calloc((size_t)run->workers, sizeof(*run->w));
    run->head = calloc(n, sizeof(*run->head));
    run->tail = calloc(n, sizeof(*run->tail));
    run->busy = calloc(n, sizeof(*run->busy));
    run->taken = calloc(n, sizeof(*run->taken));
    if (!run->w || !run->head || !run->tail || !run->busy || !run->taken)
        return rill__error(RILL_ENOMEM, "out of memory starting a run");
    for (i = 0; i < run->workers; i++) {
        run->w[i].run = run;
        run->w[i].id = i;
    }
    if (collect && rill_batch_new(&run->results) < 0)
        return RILL_ENOMEM;
    if ((rc = rill__reduction_open(run, -1, NULL, 1, &run->root)) < 0)
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
    run->src_end = rill_batch_count(p->work);
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

int rill_run(rill_pipeline *p, const rill_run_options *opts, rill_batch **results)
{
    rill__run run;
    int rc;
    if (results)
        *results = NULL;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_run: pipeline is NULL");
    if (opts && opts->version != RILL_RUN_OPTIONS_VERSION)
        return rill__error(RILL_EINVAL, "rill_run: options of version %u, expected %u "
                           "(initialise them with RILL_RUN_OPTIONS_INIT)",
                           opts->version, RILL_RUN_OPTIONS_VERSION);
    if ((rc = rill__plan_resolve(p)) < 0)
        return rc;
    if ((rc = run_setup(&run, p, opts, results != NULL || p->finish != NULL)) < 0)
        goto done;
    rill_error_clear();
    if (p->init && (rc = p->init(p->init_payload)) != 0) {
        rc = callback_failed("init", rc);
        goto done;
    }
    if (run.src_end == 0)
        rill__reduction_release(&run.w[0], run.src_red); /* nothing to read */
    if ((rc = rill__sched_start(&run)) < 0) {
        pthread_mutex_lock(&run.err_mu);
        if (run.err_code == 0) {
            run.err_code = rc;
            snprintf(run.err_msg, sizeof(run.err_msg), "%s", rill_error_last());
        }
        pthread_mutex_unlock(&run.err_mu);
        atomic_store(&run.stop, 1);
        rill__wake_all(&run);
    }
    rill__worker_loop(&run.w[0]);
    rill__sched_join(&run);
    if (run.err_code) {
        rc = rill__error_str(run.err_code, run.err_msg);
        goto done;
    }
    rill_error_clear();
    if (p->finish && (rc = p->finish(run.results, p->finish_payload)) != 0) {
        rc = callback_failed("finish", rc);
        goto done;
    }
    rc = 0;
    if (results) {
        *results = run.results;
        run.results = NULL;
    }
done:
    run_free(&run);
    return rc;
}
