/* sweep.c — the grid of a parameter sweep (rill/sweep.h): parameters as
 * lists or ranges, output names, the combinations in row order (the first
 * parameter varies slowest), and the trial record a job reads and emits
 * (rill_sweep_trial_read, rill_sweep_emit). The run is sweep_run.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "rill/checkpoint.h"
#include "sweep_impl.h"

int rill_sweep_new(rill_sweep **out)
{
    if (out == NULL)
        return rill__error(RILL_EINVAL, "rill_sweep_new: out is NULL");
    *out = calloc(1, sizeof(**out));
    RILL__CHECK_ALLOC(*out);
    pthread_mutex_init(&(*out)->lock, NULL);
    return 0;
}

void rill_sweep_free(rill_sweep *s)
{
    size_t i;
    if (s == NULL)
        return;
    for (i = 0; i < s->nparams; i++) {
        free(s->pname[i]);
        free(s->pvals[i]);
    }
    for (i = 0; i < s->noutputs; i++)
        free(s->oname[i]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* A name of letters, digits, '_', '-', '.', unused in s; 0 or an error. */
static int check_name(const rill_sweep *s, const char *call, const char *name)
{
    size_t i, len;
    if (s == NULL || name == NULL)
        return rill__error(RILL_EINVAL, "%s: %s is NULL", call, s ? "the name" : "the sweep");
    len = strlen(name);
    if (len == 0 || len > 64)
        return rill__error(RILL_EINVAL, "%s: a name has 1 to 64 characters, '%.80s' has %zu",
                           call, name, len);
    for (i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return rill__error(RILL_EINVAL, "%s: '%s': a name holds letters, digits, '_', "
                               "'-' and '.' only", call, name);
    }
    for (i = 0; i < s->nparams; i++)
        if (strcmp(s->pname[i], name) == 0)
            return rill__error(RILL_EINVAL, "%s: '%s' is already a parameter", call, name);
    for (i = 0; i < s->noutputs; i++)
        if (strcmp(s->oname[i], name) == 0)
            return rill__error(RILL_EINVAL, "%s: '%s' is already an output", call, name);
    return 0;
}

/* Takes vals (owned from here on) as parameter name. */
static int add_param(rill_sweep *s, const char *call, const char *name, double *vals, size_t n)
{
    size_t i, total = rill_sweep_combinations(s);
    int rc;
    if ((rc = check_name(s, call, name)) < 0)
        goto fail;
    if (s->nparams == RILL_SWEEP_MAX_PARAMS) {
        rc = rill__error(RILL_ERANGE, "%s: parameter '%s': a sweep has at most %d parameters",
                         call, name, RILL_SWEEP_MAX_PARAMS);
        goto fail;
    }
    if (total > (size_t)RILL_SWEEP_MAX_VALUES * 10 / n) {
        rc = rill__error(RILL_ERANGE, "%s: parameter '%s': the grid would have more than %d "
                         "combinations", call, name, RILL_SWEEP_MAX_VALUES * 10);
        goto fail;
    }
    for (i = 0; i < n; i++)
        if (!isfinite(vals[i])) {
            rc = rill__error(RILL_EINVAL, "%s: parameter '%s': value %zu is not a finite "
                             "number", call, name, i + 1);
            goto fail;
        }
    if ((s->pname[s->nparams] = strdup(name)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto fail;
    }
    s->pvals[s->nparams] = vals;
    s->pcount[s->nparams++] = n;
    return 0;
fail:
    free(vals);
    return rc;
}

int rill_sweep_values(rill_sweep *s, const char *name, const double *values, size_t n)
{
    double *v;
    if (s == NULL || (values == NULL && n > 0))
        return rill__error(RILL_EINVAL, "rill_sweep_values: %s is NULL",
                           s ? "values" : "the sweep");
    if (n == 0 || n > RILL_SWEEP_MAX_VALUES)
        return rill__error(RILL_ERANGE, "rill_sweep_values: parameter '%s': %s", name ? name : "?",
                           n ? "too many values" : "no values");
    v = malloc(n * sizeof(*v));
    RILL__CHECK_ALLOC(v);
    memcpy(v, values, n * sizeof(*v));
    return add_param(s, "rill_sweep_values", name, v, n);
}

int rill_sweep_range(rill_sweep *s, const char *name, double from, double to, double step)
{
    const char *call = "rill_sweep_range";
    const char *pn = name ? name : "?";
    double span, count;
    size_t n, i;
    double *v;
    if (s == NULL)
        return rill__error(RILL_EINVAL, "%s: the sweep is NULL", call);
    if (!isfinite(from) || !isfinite(to) || !isfinite(step))
        return rill__error(RILL_ERANGE, "%s: parameter '%s': from, to and step must be finite "
                           "numbers", call, pn);
    if (step == 0)
        return rill__error(RILL_ERANGE, "%s: parameter '%s': step is 0", call, pn);
    span = to - from;
    if (span != 0 && (span > 0) != (step > 0))
        return rill__error(RILL_ERANGE, "%s: parameter '%s': step %g goes away from to (from "
                           "%g to %g)", call, pn, step, from, to);
    count = floor(span / step + 1e-6) + 1;
    if (!(count <= RILL_SWEEP_MAX_VALUES))
        return rill__error(RILL_ERANGE, "%s: parameter '%s': from %g to %g by %g gives more than "
                           "%d values", call, pn, from, to, step, RILL_SWEEP_MAX_VALUES);
    n = (size_t)count;
    v = malloc(n * sizeof(*v));
    RILL__CHECK_ALLOC(v);
    for (i = 0; i < n; i++)
        v[i] = from + (double)i * step; /* not summed: no drift */
    return add_param(s, call, name, v, n);
}

int rill_sweep_output(rill_sweep *s, const char *name)
{
    int rc;
    if ((rc = check_name(s, "rill_sweep_output", name)) < 0)
        return rc;
    if (s->noutputs == RILL_SWEEP_MAX_OUTPUTS)
        return rill__error(RILL_ERANGE, "rill_sweep_output: output '%s': a sweep has at most "
                           "%d outputs", name, RILL_SWEEP_MAX_OUTPUTS);
    s->oname[s->noutputs] = strdup(name);
    RILL__CHECK_ALLOC(s->oname[s->noutputs]);
    s->noutputs++;
    return 0;
}

size_t rill_sweep_combinations(const rill_sweep *s)
{
    size_t i, n = 1;
    if (s == NULL)
        return 0;
    for (i = 0; i < s->nparams; i++)
        n *= s->pcount[i];
    return n;
}

double rill_sweep_value(const rill_sweep *s, size_t row, size_t param)
{
    size_t i, stride = 1;
    if (s == NULL || param >= s->nparams || row >= rill_sweep_combinations(s))
        return NAN;
    for (i = param + 1; i < s->nparams; i++)
        stride *= s->pcount[i];
    return s->pvals[param][(row / stride) % s->pcount[param]];
}

int rill_sweep_checkpoint_request(rill_sweep *s)
{
    int rc;
    if (s == NULL)
        return rill__error(RILL_EINVAL, "rill_sweep_checkpoint_request: the sweep is NULL");
    pthread_mutex_lock(&s->lock);
    rc = s->running ? rill_checkpoint_request(s->running)
                    : rill__error(RILL_ENOTFOUND, "rill_sweep_checkpoint_request: the sweep "
                                  "is not running");
    pthread_mutex_unlock(&s->lock);
    return rc;
}

long long rill_sweep_checkpoint_count(rill_sweep *s)
{
    long long n;
    if (s == NULL)
        return rill__error(RILL_EINVAL, "rill_sweep_checkpoint_count: the sweep is NULL");
    pthread_mutex_lock(&s->lock);
    n = s->running ? rill_checkpoint_count(s->running) : s->checkpoints;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t rill_sweep_params(const rill_sweep *s) { return s ? s->nparams : 0; }
size_t rill_sweep_outputs(const rill_sweep *s) { return s ? s->noutputs : 0; }

const char *rill_sweep_param_name(const rill_sweep *s, size_t i)
{
    return s && i < s->nparams ? s->pname[i] : NULL;
}

const char *rill_sweep_output_name(const rill_sweep *s, size_t i)
{
    return s && i < s->noutputs ? s->oname[i] : NULL;
}

void rill__sweep_describe(char *buf, size_t cap, const rill_sweep *s, size_t row)
{
    size_t i, used = 0;
    buf[0] = '\0';
    for (i = 0; i < s->nparams && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s=%g", i ? ", " : "", s->pname[i],
                         rill_sweep_value(s, row, i));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int rill_sweep_trial_read(rill_sweep_trial *t, double *params, size_t cap,
                          const rill_record *rec)
{
    int64_t comb, trial, seed;
    const void *bytes;
    size_t len;
    int rc;
    if (t == NULL || rec == NULL || (params == NULL && cap > 0))
        return rill__error(RILL_EINVAL, "rill_sweep_trial_read: an argument is NULL");
    if ((rc = rill_record_unpack(rec, "iiib", &comb, &trial, &seed, &bytes, &len)) < 0)
        return rill__error(RILL_ECORRUPT, "rill_sweep_trial_read: not a trial record: %s",
                           rill_error_last());
    if (len % sizeof(double) != 0 || comb < 0 || trial < 0)
        return rill__error(RILL_ECORRUPT, "rill_sweep_trial_read: not a trial record");
    if (len / sizeof(double) > cap)
        return rill__error(RILL_ERANGE, "rill_sweep_trial_read: the trial has %zu parameters, "
                           "room for %zu", len / sizeof(double), cap);
    if (len)
        memcpy(params, bytes, len);
    t->combination = (size_t)comb;
    t->trial = trial;
    t->seed = (uint64_t)seed;
    t->params = params;
    t->nparams = len / sizeof(double);
    return 0;
}

int rill_sweep_emit(rill_emitter *out, const rill_sweep_trial *t, const double *outputs,
                    size_t n)
{
    if (out == NULL || t == NULL || (outputs == NULL && n > 0))
        return rill__error(RILL_EINVAL, "rill_sweep_emit: an argument is NULL");
    return rill_emit_tuple(out, "ib", (int64_t)t->trial, (const void *)outputs,
                           n * sizeof(double));
}
