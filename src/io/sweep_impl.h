/* sweep_impl.h — what the files of parameter sweeps share (rill/sweep.h):
 * the grid (sweep.c), the run on the engine (sweep_run.c) and the table
 * with its statistics and writers (sweep_table.c). */
#ifndef RILL_IO_SWEEP_IMPL_H
#define RILL_IO_SWEEP_IMPL_H

#include <pthread.h>

#include "rill/sweep.h"

struct rill_sweep {
    pthread_mutex_t lock;    /* guards running and checkpoints */
    rill_pipeline *running;  /* the run's pipeline while rill_sweep_run runs */
    long long checkpoints;   /* committed by the last run, once it ended */
    int busy;                /* rill_sweep_run is running it */
    size_t nparams;
    char *pname[RILL_SWEEP_MAX_PARAMS];
    double *pvals[RILL_SWEEP_MAX_PARAMS]; /* owned */
    size_t pcount[RILL_SWEEP_MAX_PARAMS];
    size_t noutputs;
    char *oname[RILL_SWEEP_MAX_OUTPUTS];
};

struct rill_sweep_table {
    size_t rows, nparams, noutputs;
    char **pname, **oname; /* owned copies */
    size_t pcount[RILL_SWEEP_MAX_PARAMS]; /* values of each parameter */
    double *params;        /* rows x nparams */
    double *stats;         /* rows x noutputs x (mean, sd, se) */
    int64_t *n;            /* rows: trials */
    double rel_error;      /* grown trials' target; 0: fixed trials */
    int64_t max_trials;    /* grown trials' most */
    unsigned char *short_of; /* rows: 1 when grown trials stopped at
                                max_trials before every mean was known */
};

/* A table of s's shape with every row's parameters and no trials yet;
 * *out: free with rill_sweep_table_free. */
int rill__sweep_table_new(rill_sweep_table **out, const rill_sweep *s);
/* The table from the run's results (rows: "row, n, (mean, sd, se)..."
 * each); RILL_ECORRUPT when a row is missing, repeated or malformed. */
int rill__sweep_table_from_rows(rill_sweep_table **out, const rill_sweep *s,
                                const rill_batch *rows);
/* Whether grown trials of n with these statistics (noutputs of mean, sd,
 * se) know every mean to rel_error at 95%: the stopping rule of grown
 * trials (an output whose trials all agree is known from
 * RILL__SWEEP_SAME_TRIALS trials on; one of mean 0 that varies never). */
#define RILL__SWEEP_SAME_TRIALS 30
int rill__sweep_known(const double *stats, size_t noutputs, int64_t n, double rel_error);
/* Marks the rows of t that grown trials left short of rel_error (after
 * max_trials); rel_error 0: fixed trials, none. */
void rill__sweep_table_mark(rill_sweep_table *t, double rel_error, int64_t max_trials);
/* Mean, sd (n - 1) and se of column col of values[0..n) (n rows of
 * stride doubles), accumulated in row order (Welford); sd and se are NAN
 * for n = 1, all three for n = 0. A mean or sd may overflow to inf. */
void rill__sweep_column(double *mean, double *sd, double *se, const double *values,
                        int64_t n, size_t stride, size_t col);
/* "a=1, b=0.5" of row into buf. */
void rill__sweep_describe(char *buf, size_t cap, const rill_sweep *s, size_t row);

#endif
