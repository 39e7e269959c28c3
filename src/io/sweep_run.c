/* sweep_run.c — running a parameter sweep on the engine (rill_sweep_run,
 * rill/sweep.h), as an inline pipeline of the public API:
 *
 *     work list     one record per combination: "ibs" (its row, its
 *                   parameters' doubles, and in row 0 the sweep's settings
 *                   as text, so that a checkpoint of another sweep has
 *                   another fingerprint and is not resumed)
 *     frame sweep   a frame per combination; its store keeps every trial's
 *                   outputs by trial number. The frame function issues a
 *                   round of trial records, and when the round is done
 *                   decides from all trials so far, in trial order, whether
 *                   another round is needed and how large
 *     job trial     one trial per call (batch_size 1: trials spread over
 *                   every worker and rank); the user's trial function, or
 *                   the user's job, under a wrapper that names the
 *                   combination and trial in errors
 *     frame end     stores a trial's outputs at its number (once)
 *     results       one row per combination: "row, n, (mean, sd, se)..."
 *
 * The frame's store holds pointers, saved in checkpoints through its
 * encode/decode: a resumed sweep keeps every trial a checkpoint recorded.
 * Progress: a mutex serialises the user's progress callback; counts are
 * atomics bumped by the frame end (trials) and the result callback (rows). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/plan.h" /* ckpt_keep: an unfinished run is not started over */
#include "../util/error.h"
#include "rill/checkpoint.h"
#include "rill/dist.h"
#include "rill/graph.h"
#include "sweep_impl.h"

typedef struct ctx {
    const rill_sweep *s;
    rill_sweep_options o; /* with the defaults filled in */
    rill_sweep_trial_fn fn;
    void *payload;
    atomic_ullong trials_done;
    atomic_size_t rows_done;
    pthread_mutex_t plock;  /* also guards why */
    char why[RILL__ERROR_MAX]; /* the first failure, as said (see failed) */
} ctx;

/* One combination's trials: outputs of trial i at values[i * noutputs]. */
typedef struct cstore {
    int64_t row;
    int64_t issued;        /* trials sent out (0 .. issued-1) */
    int64_t got;           /* of them, finished */
    double *values;        /* issued x noutputs (owned) */
    unsigned char *have;   /* issued flags (owned) */
} cstore;

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t trial_seed(uint64_t seed, int64_t row, int64_t trial)
{
    return mix64(mix64(mix64(seed) ^ (uint64_t)row) ^ (uint64_t)trial);
}

static void progress(ctx *c)
{
    rill_sweep_progress p;
    if (c->o.progress == NULL || rill_rank() != 0)
        return;
    pthread_mutex_lock(&c->plock);
    p.combinations = rill_sweep_combinations(c->s);
    p.combinations_done = atomic_load(&c->rows_done);
    p.trials_done = atomic_load(&c->trials_done);
    c->o.progress(&p, c->o.progress_payload);
    pthread_mutex_unlock(&c->plock);
}

/* Keeps the first failure's message: the engine wraps it with the stage
 * and a dump of the record's bytes, and rill_sweep_run says it as it was
 * said (combination, parameters, trial). Returns -1. */
static int failed(ctx *c)
{
    pthread_mutex_lock(&c->plock);
    if (c->why[0] == '\0')
        snprintf(c->why, sizeof(c->why), "%s", rill_error_last());
    pthread_mutex_unlock(&c->plock);
    return -1;
}

static void store_free(void *store, void *payload)
{
    cstore *cs = store;
    (void)payload;
    free(cs->values);
    free(cs->have);
    cs->values = NULL;
    cs->have = NULL;
}

/* Room for trials 0 .. total-1; the new trials' outputs are NAN and their
 * flags 0 until they finish (a checkpoint writes every issued slot). */
static int grow(cstore *cs, int64_t total, size_t noutputs)
{
    double *v = realloc(cs->values, (size_t)total * noutputs * sizeof(double) + 1);
    unsigned char *h;
    size_t i;
    if (v == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    for (i = (size_t)cs->issued * noutputs; i < (size_t)total * noutputs; i++)
        v[i] = NAN;
    cs->values = v;
    if ((h = realloc(cs->have, (size_t)total + 1)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    memset(h + cs->issued, 0, (size_t)(total - cs->issued));
    cs->have = h;
    return 0;
}

/* Sends trials issued .. total-1 of the combination into the frame. */
static int issue(rill_emitter *recur, cstore *cs, int64_t total, ctx *c)
{
    double params[RILL_SWEEP_MAX_PARAMS];
    size_t j;
    int64_t i;
    int rc;
    if ((rc = grow(cs, total, c->s->noutputs)) < 0)
        return rc;
    for (j = 0; j < c->s->nparams; j++)
        params[j] = rill_sweep_value(c->s, (size_t)cs->row, j);
    for (i = cs->issued; i < total; i++) {
        uint64_t seed = trial_seed(c->o.seed, cs->row, i);
        if ((rc = rill_emit_tuple(recur, "iiib", cs->row, i, (int64_t)seed,
                                  (const void *)params, c->s->nparams * sizeof(double))) != 0)
            return rc;
        cs->issued = i + 1;
    }
    return 0;
}

/* Column k of the combination's trials; an error naming the combination
 * and the output when the mean or sd overflowed. */
static int column(double m[3], const cstore *cs, ctx *c, size_t k)
{
    char where[512];
    rill__sweep_column(&m[0], &m[1], &m[2], cs->values, cs->got, c->s->noutputs, k);
    if (isfinite(m[0]) && (cs->got < 2 || isfinite(m[1])))
        return 0;
    rill__sweep_describe(where, sizeof(where), c->s, (size_t)cs->row);
    rill_error_set("combination %lld (%s): the %s of output '%s' over %lld trials is not a "
                   "finite number (the outputs are too large)", (long long)cs->row, where,
                   isfinite(m[0]) ? "standard deviation" : "mean", c->s->oname[k],
                   (long long)cs->got);
    return failed(c);
}

/* The number of trials the combination should have, from those it has,
 * in *want. An output whose trials all gave the same value is known only
 * from ZERO_VARIANCE_TRIALS on (5 zeros of a rare 0/1 event are not). */
#define ZERO_VARIANCE_TRIALS 30
static int wanted(int64_t *want, const cstore *cs, ctx *c)
{
    int64_t n = cs->got, cap, at_least = n;
    double worst = 0, t;
    size_t k;
    *want = n;
    if (c->o.trials > 0 || n >= c->o.max_trials)
        return 0;
    t = rill_sweep_t95(n - 1);
    for (k = 0; k < c->s->noutputs; k++) {
        double m[3], half, ratio;
        if (column(m, cs, c, k) < 0)
            return -1;
        if (m[1] == 0) { /* every trial gave the same */
            if (n < ZERO_VARIANCE_TRIALS)
                at_least = ZERO_VARIANCE_TRIALS;
            continue;
        }
        half = t * m[2];
        if (m[0] == 0) {
            worst = INFINITY;
            break;
        }
        ratio = half / (c->o.rel_error * fabs(m[0]));
        if (ratio > worst)
            worst = ratio;
    }
    if (at_least > c->o.max_trials)
        at_least = c->o.max_trials;
    if (worst > 1) {
        cap = n * 4 < c->o.max_trials ? n * 4 : c->o.max_trials;
        if (isinf(worst) || worst * worst * (double)n * 1.1 >= (double)cap) {
            *want = cap;
        } else {
            t = ceil(worst * worst * (double)n * 1.1);
            *want = (int64_t)t > n ? (int64_t)t : n + 1;
        }
    }
    if (at_least > *want)
        *want = at_least;
    return 0;
}

static int sweep_frame(rill_emitter *recur, void *store, const rill_record *first,
                       void *payload)
{
    ctx *c = payload;
    cstore *cs = store;
    int64_t want;
    if (cs->issued == 0) {
        int64_t row;
        const void *b;
        size_t len;
        const char *text;
        int rc;
        if ((rc = rill_record_unpack(first, "ibs", &row, &b, &len, &text)) < 0)
            return rc;
        cs->row = row;
        return issue(recur, cs, c->o.trials > 0 ? c->o.trials : c->o.min_trials, c);
    }
    if (cs->got != cs->issued) { /* a job that emitted nothing for a trial */
        char where[512];
        int64_t i;
        for (i = 0; i < cs->issued && cs->have[i]; i++)
            ;
        rill__sweep_describe(where, sizeof(where), c->s, (size_t)cs->row);
        rill_error_set("combination %lld (%s), trial %lld: the trial gave no outputs "
                       "(rill_sweep_emit)", (long long)cs->row, where, (long long)i);
        return failed(c);
    }
    if (wanted(&want, cs, c) < 0)
        return -1;
    return want > cs->issued ? issue(recur, cs, want, c) : 0;
}

/* The row: "row, n" then mean, sd, se of each output (raw bytes). */
static int sweep_emit(rill_emitter *out, void *store, void *payload)
{
    ctx *c = payload;
    cstore *cs = store;
    size_t k, no = c->s->noutputs, len = 16 + no * 3 * sizeof(double);
    unsigned char *buf = malloc(len);
    int rc;
    if (buf == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    memcpy(buf, &cs->row, 8);
    memcpy(buf + 8, &cs->got, 8);
    for (k = 0; k < no; k++) {
        double m[3];
        if (column(m, cs, c, k) < 0) {
            free(buf);
            return -1;
        }
        memcpy(buf + 16 + k * sizeof(m), m, sizeof(m));
    }
    rc = rill_emit(out, buf, len);
    free(buf);
    return rc;
}

static int gather(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    ctx *c = payload;
    cstore *cs = store;
    size_t no = c->s->noutputs;
    const void *b;
    size_t len;
    int64_t trial;
    char where[512];
    (void)recur;
    if (rill_record_unpack(next, "ib", &trial, &b, &len) < 0 || trial < 0 ||
        trial >= cs->issued) {
        rill__sweep_describe(where, sizeof(where), c->s, (size_t)cs->row);
        rill_error_set("combination %lld (%s): the trial stage emitted a record that is not "
                       "a trial's outputs (rill_sweep_emit)", (long long)cs->row, where);
        return failed(c);
    }
    if (len != no * sizeof(double)) {
        rill__sweep_describe(where, sizeof(where), c->s, (size_t)cs->row);
        rill_error_set("combination %lld (%s), trial %lld: %zu outputs, the sweep has %zu",
                       (long long)cs->row, where, (long long)trial, len / sizeof(double), no);
        return failed(c);
    }
    if (cs->have[trial]) {
        rill__sweep_describe(where, sizeof(where), c->s, (size_t)cs->row);
        rill_error_set("combination %lld (%s), trial %lld: its outputs were emitted twice",
                       (long long)cs->row, where, (long long)trial);
        return failed(c);
    }
    memcpy(cs->values + (size_t)trial * no, b, len);
    for (size_t k = 0; k < no; k++)
        if (!isfinite(cs->values[(size_t)trial * no + k])) {
            rill__sweep_describe(where, sizeof(where), c->s, (size_t)cs->row);
            rill_error_set("combination %lld (%s), trial %lld: output '%s' is not a finite "
                           "number", (long long)cs->row, where, (long long)trial,
                           c->s->oname[k]);
            return failed(c);
        }
    cs->have[trial] = 1;
    cs->got++;
    atomic_fetch_add(&c->trials_done, 1);
    progress(c);
    return 0;
}

/* The store's bytes for checkpoints: row, issued, got, have[], values[]. */
static int store_encode(const void *store, rill_batch *out, void *payload)
{
    const cstore *cs = store;
    const ctx *c = payload;
    size_t vb = (size_t)cs->issued * c->s->noutputs * sizeof(double);
    size_t len = 24 + (size_t)cs->issued + vb;
    unsigned char *buf = malloc(len + 1);
    int rc;
    if (buf == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    memcpy(buf, &cs->row, 8);
    memcpy(buf + 8, &cs->issued, 8);
    memcpy(buf + 16, &cs->got, 8);
    if (cs->issued) {
        memcpy(buf + 24, cs->have, (size_t)cs->issued);
        memcpy(buf + 24 + cs->issued, cs->values, vb);
    }
    rc = rill_batch_add(out, buf, len);
    free(buf);
    return rc;
}

/* Rebuilds a store from a checkpoint; its finished trials count in the
 * progress of the resumed run. */
static int store_decode(void *store, const void *bytes, size_t len, void *payload)
{
    cstore *cs = store;
    ctx *c = payload;
    const unsigned char *p = bytes;
    int64_t issued;
    if (len < 24)
        return rill__error(RILL_ECORRUPT, "a sweep's checkpointed store is cut short");
    memcpy(&issued, p + 8, 8);
    if (issued < 0 || issued > INT32_MAX ||
        len != 24 + (size_t)issued * (1 + c->s->noutputs * sizeof(double)))
        return rill__error(RILL_ECORRUPT, "a sweep's checkpointed store has a wrong size");
    memcpy(&cs->row, p, 8);
    memcpy(&cs->got, p + 16, 8);
    if (cs->got < 0 || cs->got > issued || cs->row < 0 ||
        (size_t)cs->row >= rill_sweep_combinations(c->s))
        return rill__error(RILL_ECORRUPT, "a sweep's checkpointed store is not one of this "
                           "sweep");
    cs->issued = 0;
    if (grow(cs, issued, c->s->noutputs) < 0)
        return RILL_ENOMEM;
    cs->issued = issued;
    if (issued) {
        memcpy(cs->have, p + 24, (size_t)issued);
        memcpy(cs->values, p + 24 + issued, (size_t)issued * c->s->noutputs * sizeof(double));
    }
    atomic_fetch_add(&c->trials_done, (unsigned long long)cs->got);
    return 0;
}

/* The trial stage: the user's function or job, errors naming the trial. */
static int trial_job(rill_emitter *out, const rill_record *in, void *payload)
{
    ctx *c = payload;
    double params[RILL_SWEEP_MAX_PARAMS], outputs[RILL_SWEEP_MAX_OUTPUTS];
    rill_sweep_trial t;
    char where[512];
    int rc;
    if ((rc = rill_sweep_trial_read(&t, params, RILL_SWEEP_MAX_PARAMS, in)) < 0)
        return rc;
    rill_error_clear();
    if (c->fn) {
        size_t k;
        for (k = 0; k < c->s->noutputs; k++)
            outputs[k] = NAN;
        if ((rc = c->fn(outputs, c->s->noutputs, &t, c->payload)) == 0)
            return rill_sweep_emit(out, &t, outputs, c->s->noutputs);
    } else if ((rc = c->o.job(out, in, c->o.job_payload)) == 0) {
        return 0;
    }
    rill__sweep_describe(where, sizeof(where), c->s, t.combination);
    rill_error_set("combination %zu (%s), trial %lld: %s", t.combination, where,
                   (long long)t.trial, *rill_error_last() ? rill_error_last()
                                                          : "the trial function failed");
    failed(c);
    return rc;
}

static int count_row(const rill_record *rec, void *payload)
{
    ctx *c = payload;
    (void)rec;
    atomic_fetch_add(&c->rows_done, 1);
    progress(c);
    return 0;
}

/* The settings that make a sweep another one (in every work record). */
static char *settings(const ctx *c)
{
    size_t id = c->o.identity ? strlen(c->o.identity) : 0;
    size_t cap = 256 + (RILL_SWEEP_MAX_PARAMS + RILL_SWEEP_MAX_OUTPUTS) * 70 + id, used, i;
    char *t = id > RILL_RECORD_MAX / 2 ? NULL : malloc(cap);
    if (t == NULL)
        return NULL;
    used = (size_t)snprintf(t, cap, "sweep 1 trials=%lld rel=%.17g min=%lld max=%lld "
                            "seed=%llu job=%d", (long long)c->o.trials, c->o.rel_error,
                            (long long)c->o.min_trials, (long long)c->o.max_trials,
                            (unsigned long long)c->o.seed, c->fn == NULL);
    for (i = 0; i < c->s->nparams; i++)
        used += (size_t)snprintf(t + used, cap - used, " p:%s:%zu", c->s->pname[i],
                                 c->s->pcount[i]);
    for (i = 0; i < c->s->noutputs; i++)
        used += (size_t)snprintf(t + used, cap - used, " o:%s", c->s->oname[i]);
    snprintf(t + used, cap - used, " id:%s", c->o.identity ? c->o.identity : "");
    return t;
}

static int build(rill_pipeline **out, ctx *c)
{
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_pipeline *p = NULL;
    rill_batch *work = NULL;
    double params[RILL_SWEEP_MAX_PARAMS];
    size_t row, rows = rill_sweep_combinations(c->s), j;
    char *text = settings(c);
    int rc;
    if (text == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if ((rc = rill_pipeline_new(&p)) < 0 || (rc = rill_batch_new(&work)) < 0)
        goto done;
    for (row = 0; row < rows; row++) {
        for (j = 0; j < c->s->nparams; j++)
            params[j] = rill_sweep_value(c->s, row, j);
        if ((rc = rill_batch_add_tuple(work, "ibs", (int64_t)row, (const void *)params,
                                       c->s->nparams * sizeof(double), row ? "" : text)) < 0)
            goto done;
    }
    rc = rill_work(p, work);
    work = NULL;
    if (rc < 0)
        goto done;
    f.store_size = sizeof(cstore);
    f.frame = sweep_frame;
    f.emit = sweep_emit;
    f.free = store_free;
    f.encode = store_encode;
    f.decode = store_decode;
    if ((rc = rill_frame(p, "sweep", &f, c)) < 0 ||
        (rc = rill_job(p, "trial", NULL, trial_job, c)) < 0 ||
        (rc = rill_configure(p, "trial", "batch_size", "1")) < 0 ||
        (rc = rill_frame_end(p, "gather", NULL, gather, c)) < 0 ||
        (rc = rill_result(p, count_row, c)) < 0)
        goto done;
    if (c->o.checkpoint || c->o.resume) {
        rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
        co.path = c->o.checkpoint;
        co.resume = c->o.resume;
        co.interval = c->o.checkpoint_interval;
        if ((rc = rill_checkpointing(p, &co)) < 0)
            goto done;
        p->ckpt_keep = 1;
        p->ckpt_found_delivered = -1;
    }
    *out = p;
    p = NULL;
done:
    rill_batch_free(work);
    rill_pipeline_free(p);
    free(text);
    return rc;
}

/* Fills in the defaults; an error names the option. */
static int settle(rill_sweep_options *o, const rill_sweep_options *given)
{
    if (given && given->version != RILL_SWEEP_OPTIONS_VERSION)
        return rill__error(RILL_EINVAL, "rill_sweep_run: options of version %u, this rill "
                           "reads version %u", given->version, RILL_SWEEP_OPTIONS_VERSION);
    if (given)
        *o = *given;
    if (o->trials < 0)
        return rill__error(RILL_ERANGE, "rill_sweep_run: trials %lld is negative",
                           (long long)o->trials);
    if (o->rel_error == 0)
        o->rel_error = 0.05;
    if (!(o->rel_error > 0) || !isfinite(o->rel_error))
        return rill__error(RILL_ERANGE, "rill_sweep_run: rel_error must be a positive number");
    if (o->min_trials == 0)
        o->min_trials = 5;
    if (o->max_trials == 0)
        o->max_trials = o->min_trials > 1000 ? o->min_trials : 1000;
    if (o->min_trials < 2 || o->max_trials < o->min_trials)
        return rill__error(RILL_ERANGE, "rill_sweep_run: min_trials %lld and max_trials %lld: "
                           "need 2 <= min_trials <= max_trials", (long long)o->min_trials,
                           (long long)o->max_trials);
    if (o->trials > INT32_MAX || o->max_trials > INT32_MAX)
        return rill__error(RILL_ERANGE, "rill_sweep_run: at most %d trials", INT32_MAX);
    if (o->checkpoint_interval <= 0)
        o->checkpoint_interval = 1;
    return 0;
}

int rill_sweep_run(rill_sweep_table **out, rill_sweep *s, const rill_sweep_options *opts,
                   rill_sweep_trial_fn fn, void *payload)
{
    rill_sweep_options defaults = RILL_SWEEP_OPTIONS_INIT;
    rill_run_options ro = RILL_RUN_OPTIONS_INIT;
    rill_sweep_table *t = NULL;
    rill_pipeline *p = NULL;
    rill_batch *rows = NULL;
    ctx *c;
    int rc;
    if (out)
        *out = NULL;
    if (out == NULL || s == NULL)
        return rill__error(RILL_EINVAL, "rill_sweep_run: %s is NULL", out ? "the sweep" : "out");
    if (s->noutputs == 0)
        return rill__error(RILL_EINVAL, "rill_sweep_run: the sweep has no output "
                           "(rill_sweep_output)");
    pthread_mutex_lock(&s->lock);
    rc = s->busy;
    s->busy = 1;
    pthread_mutex_unlock(&s->lock);
    if (rc)
        return rill__error(RILL_EBUSY, "rill_sweep_run: the sweep is running already (one run "
                           "at a time)");
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto idle;
    }
    c->o = defaults;
    pthread_mutex_init(&c->plock, NULL);
    if ((rc = settle(&c->o, opts)) < 0)
        goto done;
    if (fn == NULL && c->o.job == NULL) {
        rc = rill__error(RILL_EINVAL, "rill_sweep_run: neither a trial function nor a job");
        goto done;
    }
    c->s = s;
    c->fn = fn;
    c->payload = payload;
    if ((rc = build(&p, c)) < 0)
        goto done;
    ro.workers = c->o.workers;
    pthread_mutex_lock(&s->lock);
    s->running = p;
    pthread_mutex_unlock(&s->lock);
    rc = rill_run(p, &ro, &rows);
    pthread_mutex_lock(&s->lock);
    s->checkpoints = rill_checkpoint_count(p);
    s->running = NULL;
    pthread_mutex_unlock(&s->lock);
    if (rc == RILL_EUSER && c->why[0]) /* as said, without the record's bytes */
        rill__error(RILL_EUSER, "%s", c->why);
    else if (rc == RILL_EEXISTS && p->ckpt_keep && p->ckpt_found_delivered >= 0)
        rill__error(RILL_EEXISTS, "%s holds an unfinished run of this sweep (%lld of %zu "
                    "combinations done); nothing was changed: resume it, or delete the file "
                    "to start over", c->o.checkpoint ? c->o.checkpoint : "the checkpoint file",
                    (long long)p->ckpt_found_delivered, rill_sweep_combinations(s));
    else if ((rc == RILL_EEXISTS || rc == RILL_EPIPELINE) && p->ckpt_keep &&
             strstr(rill_error_last(), "holds a checkpoint of another pipeline"))
        rill__error(rc, "%s holds a checkpoint of another sweep (other parameters, outputs, "
                    "trial settings or identity); nothing was changed: delete it or give "
                    "another checkpoint file", c->o.checkpoint ? c->o.checkpoint :
                    "the checkpoint file");
    if (rc < 0)
        goto done;
    if (rill_rank() == 0) {
        if ((rc = rill__sweep_table_from_rows(&t, s, rows)) < 0)
            goto done;
        rill__sweep_table_mark(t, c->o.trials > 0 ? 0 : c->o.rel_error, c->o.max_trials);
        *out = t;
        t = NULL;
    }
done:
    rill_sweep_table_free(t);
    rill_batch_free(rows);
    rill_pipeline_free(p);
    pthread_mutex_destroy(&c->plock);
    free(c);
idle:
    pthread_mutex_lock(&s->lock);
    s->busy = 0;
    pthread_mutex_unlock(&s->lock);
    return rc;
}
