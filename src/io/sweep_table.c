/* sweep_table.c — the table of a parameter sweep (rill/sweep.h): one row
 * per combination with its parameters and, per output, the mean, standard
 * deviation and standard error of its trials; the statistics themselves
 * (summed in trial order, so a table does not depend on timing), Student's
 * t for the 95% intervals, and the table written as CSV or aligned text. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "sweep_impl.h"

void rill__sweep_column(double *mean, double *sd, double *se, const double *values,
                        int64_t n, size_t stride, size_t col)
{
    double m = 0, m2 = 0;
    int64_t i;
    if (n <= 0) {
        *mean = *sd = *se = NAN;
        return;
    }
    /* Welford: no sum to overflow, and a constant column has m equal to
     * its value and m2 exactly 0 */
    for (i = 0; i < n; i++) {
        double x = values[(size_t)i * stride + col], d = x - m;
        m += d / (double)(i + 1);
        m2 += d * (x - m);
    }
    *mean = m;
    *sd = n > 1 ? sqrt(m2 / (double)(n - 1)) : NAN;
    *se = n > 1 ? *sd / sqrt((double)n) : NAN;
}

double rill_sweep_t95(int64_t df)
{
    static const double t[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                               2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                               2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                               2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    double z = 1.959964, d;
    if (df < 1)
        return INFINITY;
    if (df <= 30)
        return t[df];
    d = (double)df; /* Cornish-Fisher expansion: within 1e-4 from 30 on */
    return z + (z * z * z + z) / (4 * d) +
           (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

int rill__sweep_table_new(rill_sweep_table **out, const rill_sweep *s)
{
    rill_sweep_table *t = calloc(1, sizeof(*t));
    size_t rows = rill_sweep_combinations(s), i, j;
    RILL__CHECK_ALLOC(t);
    t->rows = rows;
    t->nparams = s->nparams;
    t->noutputs = s->noutputs;
    t->pname = calloc(s->nparams + 1, sizeof(char *));
    t->oname = calloc(s->noutputs + 1, sizeof(char *));
    t->params = malloc((rows * s->nparams + 1) * sizeof(double));
    t->stats = malloc((rows * s->noutputs * 3 + 1) * sizeof(double));
    t->n = calloc(rows + 1, sizeof(int64_t));
    t->short_of = calloc(rows + 1, 1);
    if (!t->pname || !t->oname || !t->params || !t->stats || !t->n || !t->short_of)
        goto oom;
    for (i = 0; i < s->nparams; i++) {
        t->pcount[i] = s->pcount[i];
        if ((t->pname[i] = strdup(s->pname[i])) == NULL)
            goto oom;
    }
    for (i = 0; i < s->noutputs; i++)
        if ((t->oname[i] = strdup(s->oname[i])) == NULL)
            goto oom;
    for (i = 0; i < rows; i++)
        for (j = 0; j < s->nparams; j++)
            t->params[i * s->nparams + j] = rill_sweep_value(s, i, j);
    for (i = 0; i < rows * s->noutputs * 3; i++)
        t->stats[i] = NAN;
    *out = t;
    return 0;
oom:
    rill_sweep_table_free(t);
    return rill__error(RILL_ENOMEM, "out of memory");
}

int rill__sweep_table_from_rows(rill_sweep_table **out, const rill_sweep *s,
                                const rill_batch *rows)
{
    rill_sweep_table *t = NULL;
    size_t i, n = rill_batch_count(rows), no = s->noutputs;
    int rc;
    *out = NULL;
    if ((rc = rill__sweep_table_new(&t, s)) < 0)
        return rc;
    for (i = 0; i < n; i++) { /* every row once, each its own combination */
        rill_record r;
        int64_t row, trials;
        rill_batch_get(&r, rows, i);
        if (r.len != 16 + no * 3 * sizeof(double)) {
            rc = rill__error(RILL_ECORRUPT, "rill_sweep_run: result %zu of the run has %zu "
                             "bytes, a row has %zu", i, r.len, 16 + no * 3 * sizeof(double));
            goto fail;
        }
        memcpy(&row, r.data, 8);
        memcpy(&trials, (const char *)r.data + 8, 8);
        if (row < 0 || (size_t)row >= t->rows || t->n[row] != 0 || trials < 1) {
            rc = rill__error(RILL_ECORRUPT, "rill_sweep_run: result %zu of the run is row %lld "
                             "of %zu with %lld trials: not a row, or twice", i, (long long)row,
                             t->rows, (long long)trials);
            goto fail;
        }
        t->n[row] = trials;
        memcpy(t->stats + (size_t)row * no * 3, (const char *)r.data + 16,
               no * 3 * sizeof(double));
    }
    for (i = 0; i < t->rows; i++)
        if (t->n[i] == 0) {
            rc = rill__error(RILL_ECORRUPT, "rill_sweep_run: the run ended without row %zu of "
                             "%zu (%zu rows arrived)", i, t->rows, n);
            goto fail;
        }
    *out = t;
    return 0;
fail:
    rill_sweep_table_free(t);
    return rc;
}

int rill__sweep_known(const double *stats, size_t noutputs, int64_t n, double rel_error)
{
    double t = rill_sweep_t95(n - 1);
    size_t k;
    for (k = 0; k < noutputs; k++) {
        const double *m = stats + k * 3;
        if (m[1] == 0 ? n < RILL__SWEEP_SAME_TRIALS
                      : m[0] == 0 || !(t * m[2] <= rel_error * fabs(m[0])))
            return 0;
    }
    return 1;
}

void rill__sweep_table_mark(rill_sweep_table *t, double rel_error, int64_t max_trials)
{
    size_t r;
    t->rel_error = rel_error;
    t->max_trials = max_trials;
    for (r = 0; r < t->rows; r++)
        t->short_of[r] = rel_error > 0 &&
                         !rill__sweep_known(t->stats + r * t->noutputs * 3, t->noutputs, t->n[r],
                                            rel_error);
}

double rill_sweep_table_rel_error(const rill_sweep_table *t)
{
    return t ? t->rel_error : 0;
}

int rill_sweep_table_reached(const rill_sweep_table *t, size_t row)
{
    if (t == NULL || row >= t->rows)
        return rill__error(RILL_ERANGE, "rill_sweep_table_reached: row %zu: the table has %zu "
                           "rows", row, t ? t->rows : 0);
    return !t->short_of[row];
}

void rill_sweep_table_free(rill_sweep_table *t)
{
    size_t i;
    if (t == NULL)
        return;
    for (i = 0; t->pname && i < t->nparams; i++)
        free(t->pname[i]);
    for (i = 0; t->oname && i < t->noutputs; i++)
        free(t->oname[i]);
    free(t->pname);
    free(t->oname);
    free(t->params);
    free(t->stats);
    free(t->n);
    free(t->short_of);
    free(t);
}

size_t rill_sweep_table_rows(const rill_sweep_table *t) { return t ? t->rows : 0; }
size_t rill_sweep_table_params(const rill_sweep_table *t) { return t ? t->nparams : 0; }
size_t rill_sweep_table_outputs(const rill_sweep_table *t) { return t ? t->noutputs : 0; }

const char *rill_sweep_table_param_name(const rill_sweep_table *t, size_t i)
{
    return t && i < t->nparams ? t->pname[i] : NULL;
}

const char *rill_sweep_table_output_name(const rill_sweep_table *t, size_t i)
{
    return t && i < t->noutputs ? t->oname[i] : NULL;
}

size_t rill_sweep_table_param_count(const rill_sweep_table *t, size_t i)
{
    return t && i < t->nparams ? t->pcount[i] : 0;
}

double rill_sweep_table_param(const rill_sweep_table *t, size_t row, size_t i)
{
    return t && row < t->rows && i < t->nparams ? t->params[row * t->nparams + i] : NAN;
}

int rill_sweep_table_stats(rill_sweep_stats *out, const rill_sweep_table *t, size_t row,
                           size_t i)
{
    const double *m;
    if (out == NULL || t == NULL)
        return rill__error(RILL_EINVAL, "rill_sweep_table_stats: an argument is NULL");
    if (row >= t->rows || i >= t->noutputs)
        return rill__error(RILL_ERANGE, "rill_sweep_table_stats: row %zu, output %zu: the "
                           "table has %zu rows and %zu outputs", row, i, t->rows, t->noutputs);
    m = t->stats + (row * t->noutputs + i) * 3;
    out->n = t->n[row];
    out->mean = m[0];
    out->sd = m[1];
    out->se = m[2];
    return 0;
}

/* Cell c (0-based) of row as text: parameters, trials, (in CSV of grown
 * trials: reached), then mean, sd, se per output; row SIZE_MAX: the
 * header. In the text table the trials of a row left short are marked '*'. */
static void cell(char *buf, size_t cap, const rill_sweep_table *t, size_t row, size_t c,
                 int exact)
{
    const char *fmt = exact ? "%.17g" : "%.6g";
    if (c < t->nparams) {
        if (row == SIZE_MAX)
            snprintf(buf, cap, "%s", t->pname[c]);
        else
            snprintf(buf, cap, exact ? "%.17g" : "%g", t->params[row * t->nparams + c]);
        return;
    }
    c -= t->nparams;
    if (c == 0) {
        if (row == SIZE_MAX)
            snprintf(buf, cap, "trials");
        else
            snprintf(buf, cap, "%lld%s", (long long)t->n[row],
                     !exact && t->short_of[row] ? "*" : "");
        return;
    }
    c--;
    if (exact && t->rel_error > 0 && c-- == 0) {
        snprintf(buf, cap, "%s", row == SIZE_MAX ? "reached" : t->short_of[row] ? "false" : "true");
        return;
    }
    if (row == SIZE_MAX) {
        static const char *const what[] = {"mean", "sd", "se"};
        snprintf(buf, cap, "%s_%s", t->oname[c / 3], what[c % 3]);
        return;
    }
    if (isnan(t->stats[row * t->noutputs * 3 + c])) /* sd, se of one trial */
        snprintf(buf, cap, "%s", exact ? "" : "-");
    else
        snprintf(buf, cap, fmt, t->stats[row * t->noutputs * 3 + c]);
}

int rill_sweep_table_write(const rill_sweep_table *t, FILE *f, int format)
{
    size_t cols, c, r, *width = NULL;
    char buf[128];
    if (t == NULL || f == NULL)
        return rill__error(RILL_EINVAL, "rill_sweep_table_write: an argument is NULL");
    if (format != RILL_SWEEP_CSV && format != RILL_SWEEP_TEXT)
        return rill__error(RILL_EINVAL, "rill_sweep_table_write: unknown format %d", format);
    cols = t->nparams + 1 + t->noutputs * 3 + (format == RILL_SWEEP_CSV && t->rel_error > 0);
    if (format == RILL_SWEEP_TEXT) {
        width = calloc(cols, sizeof(*width));
        RILL__CHECK_ALLOC(width);
        for (r = 0; r <= t->rows; r++)
            for (c = 0; c < cols; c++) {
                cell(buf, sizeof(buf), t, r == 0 ? SIZE_MAX : r - 1, c, 0);
                if (strlen(buf) > width[c])
                    width[c] = strlen(buf);
            }
    }
    for (r = 0; r <= t->rows; r++) {
        for (c = 0; c < cols; c++) {
            cell(buf, sizeof(buf), t, r == 0 ? SIZE_MAX : r - 1, c, format == RILL_SWEEP_CSV);
            if (format == RILL_SWEEP_CSV)
                fprintf(f, "%s%s", c ? "," : "", buf);
            else if (c + 1 == cols)
                fprintf(f, "%*s", (int)width[c], buf);
            else
                fprintf(f, "%*s  ", (int)width[c], buf);
        }
        fputc('\n', f);
    }
    free(width);
    if (format == RILL_SWEEP_TEXT && t->rel_error > 0) {
        size_t short_of = 0;
        for (r = 0; r < t->rows; r++)
            short_of += t->short_of[r];
        if (short_of)
            fprintf(f, "* %zu of %zu combinations stopped at %lld trials before every mean was "
                    "known to %g%%\n", short_of, t->rows, (long long)t->max_trials,
                    t->rel_error * 100);
    }
    if (fflush(f) != 0 || ferror(f))
        return rill__error_errno(errno, "rill_sweep_table_write: writing the table");
    return 0;
}
