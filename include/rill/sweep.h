/* rill/sweep.h — parameter sweeps (job_stream's baked.sweep): a grid of
 * parameters, each combination run for a number of trials, and a table of
 * the mean, standard deviation and standard error of each output.
 *
 *     static int noisy(double *out, size_t nout, const rill_sweep_trial *t, void *payload)
 *     {
 *         uint64_t seed = t->seed;   uniform(&seed): a number in [0, 1) from it
 *         out[0] = t->params[0] * t->params[0] + uniform(&seed);
 *         return 0;                  (uniform: examples/sweep.c's splitmix64)
 *     }
 *     ...
 *     rill_sweep *s;  rill_sweep_new(&s);
 *     rill_sweep_range(s, "a", 0, 9, 1);            a = 0, 1, ..., 9
 *     rill_sweep_output(s, "value");
 *     rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
 *     o.rel_error = 0.01;                            grown until known to 1%
 *     rill_sweep_table *t;
 *     if (rill_sweep_run(&t, s, &o, noisy, NULL) == 0 && t)   t: NULL on ranks but 0
 *         rill_sweep_table_write(t, stdout, RILL_SWEEP_TEXT);
 *     rill_sweep_table_free(t);
 *     rill_sweep_free(s);
 *
 * The grid. Each parameter is a list of values or a range (from, to, step:
 * from, from + step, ... up to to, which is included when a step lands on
 * it within a millionth of a step). Combinations are the Cartesian product
 * in row order: the first parameter varies slowest. Values are doubles.
 *
 * Trials. A combination runs `trials` trials when that is set. Otherwise
 * trials are grown: min_trials first, then rounds of more until the mean of
 * every output is known to rel_error at 95% confidence (the half-width of
 * its Student-t interval, t(0.975, n-1) * sd / sqrt(n), is at most
 * rel_error * |mean|; an output whose trials all gave the same value is
 * known once 30 trials gave it: a deterministic trial wants fixed trials),
 * or max_trials have run. Each round is decided from every trial of
 * the rounds before, in trial order, so the number of trials a combination
 * gets does not depend on timing, on the number of workers or of ranks.
 *
 * Each trial has a number (0, 1, ... within its combination) and a seed
 * made from the options' seed, the combination and the trial number only:
 * a trial function that draws its randomness from the seed gives the same
 * outputs whenever and wherever the trial runs. The statistics of a row
 * are computed from its trials in trial order, so such a sweep gives the
 * same table, to the last bit, on any number of workers and ranks, and
 * after any number of interruptions and resumes.
 *
 * Parallelism. Trials run on the engine: every trial is a record of its
 * own, run by any worker (all cores by default), and under mpirun by any
 * rank (rill/dist.h): every rank calls rill_sweep_run with the same sweep;
 * rank 0 gets the table, other ranks NULL.
 *
 * Checkpoints. With checkpoint set, the run saves its state every
 * checkpoint_interval seconds (rill/checkpoint.h): the trials each
 * combination has finished, with their outputs, and the rows done. A run
 * with resume continues from it: no trial recorded by a checkpoint runs
 * again, and none is lost; a trial that was running, or finished after the
 * last checkpoint, runs again with the same number and seed and counts
 * once. A checkpoint of a sweep with other parameters, outputs or trial
 * settings is refused as another pipeline's is (rill_checkpointing:
 * RILL_EPIPELINE with resume, RILL_EEXISTS without it while that run has
 * not finished); so is a resume of a finished sweep (RILL_EFINISHED). A
 * run without resume whose file holds an unfinished run of the same sweep
 * is refused too (RILL_EEXISTS, saying how many combinations that run had
 * done), rather than started over: resume it, or delete the file; a
 * finished run of the same sweep is started over. Nothing is written when
 * a run is refused.
 *
 * Errors. A trial function that returns non-zero, an output that is not
 * a finite number, or outputs so large that a mean or standard deviation
 * is not finite, stops the sweep with RILL_EUSER and a message naming the
 * combination (its index and parameter values) and the trial number, then
 * what the function said through rill_error_set. */
#ifndef RILL_SWEEP_H
#define RILL_SWEEP_H

#include <stdio.h>

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rill_sweep rill_sweep;
typedef struct rill_sweep_table rill_sweep_table;

/* Most parameters and outputs of a sweep, and most values of a parameter. */
#define RILL_SWEEP_MAX_PARAMS 16
#define RILL_SWEEP_MAX_OUTPUTS 64
#define RILL_SWEEP_MAX_VALUES 1000000

/* A new sweep with no parameters. *out: caller frees with rill_sweep_free. */
RILL_EXTERN int rill_sweep_new(rill_sweep **out);
RILL_EXTERN void rill_sweep_free(rill_sweep *s);

/* Adds a parameter taking values[0..n) (copied), n >= 1, all finite. name:
 * copied, unique among the sweep's parameters and outputs; letters, digits,
 * '_', '-' and '.'. RILL_EINVAL for a bad name or value, RILL_ERANGE for
 * too many. Each error names the parameter. */
RILL_EXTERN int rill_sweep_values(rill_sweep *s, const char *name, const double *values,
                                  size_t n);
/* Adds a parameter over a range: from, from + step, ... while <= to (>= to
 * for a negative step). RILL_ERANGE names the parameter when step is 0,
 * points away from to, or gives more than RILL_SWEEP_MAX_VALUES values. */
RILL_EXTERN int rill_sweep_range(rill_sweep *s, const char *name, double from, double to,
                                 double step);
/* Adds an output column (name as for parameters). A trial gives one number
 * per output, in the order they were added. */
RILL_EXTERN int rill_sweep_output(rill_sweep *s, const char *name);

/* How many combinations the grid has (the product of the parameters'
 * counts; 1 with no parameter). */
RILL_EXTERN size_t rill_sweep_combinations(const rill_sweep *s);
/* The value of parameter param in combination row; NAN when out of range. */
RILL_EXTERN double rill_sweep_value(const rill_sweep *s, size_t row, size_t param);

/* How many parameters and outputs s has, and their names (borrowed from
 * s; NULL when out of range). */
RILL_EXTERN size_t rill_sweep_params(const rill_sweep *s);
RILL_EXTERN size_t rill_sweep_outputs(const rill_sweep *s);
RILL_EXTERN const char *rill_sweep_param_name(const rill_sweep *s, size_t i);
RILL_EXTERN const char *rill_sweep_output_name(const rill_sweep *s, size_t i);

/* One trial, as a trial function sees it. Borrowed for the call. */
typedef struct rill_sweep_trial {
    size_t combination;   /* its row in the table */
    int64_t trial;        /* 0, 1, ... within the combination */
    uint64_t seed;        /* from the options' seed, combination and trial */
    const double *params; /* the combination's values, one per parameter */
    size_t nparams;
} rill_sweep_trial;

/* Runs one trial: writes one number per output into outputs[0..noutputs).
 * Runs on worker threads (several at once) and on any rank. Non-zero stops
 * the sweep (call rill_error_set first to say why). */
typedef int (*rill_sweep_trial_fn)(double *outputs, size_t noutputs,
                                   const rill_sweep_trial *trial, void *payload);

/* Where a sweep is. Borrowed for the call. */
typedef struct rill_sweep_progress {
    size_t combinations;      /* in the grid */
    size_t combinations_done; /* rows finished */
    uint64_t trials_done;     /* trials finished in this run (on this rank's
                                 combinations, under MPI) */
} rill_sweep_progress;
/* Called on rank 0 after each trial and each row that finishes, from a
 * worker thread, never two calls at once: keep it short. */
typedef void (*rill_sweep_progress_fn)(const rill_sweep_progress *progress, void *payload);

#define RILL_SWEEP_OPTIONS_VERSION 1
typedef struct rill_sweep_options {
    unsigned version;
    int64_t trials;       /* a fixed number per combination; 0: grown (below) */
    double rel_error;     /* grown: relative error of every mean at 95%; 0: 0.05 */
    int64_t min_trials;   /* grown: the first round (at least 2); 0: 5 */
    int64_t max_trials;   /* grown: the most; 0: 1000 */
    uint64_t seed;        /* of every trial's seed */
    int workers;          /* worker threads; 0: the number of cores */
    const char *checkpoint; /* state file (copied); NULL with resume 0: no
                               checkpoints; NULL with resume 1: .rill/ */
    double checkpoint_interval; /* seconds; 0: 1 */
    int resume;           /* continue from the checkpoint when there is one */
    rill_sweep_progress_fn progress; /* optional */
    void *progress_payload;
    /* Instead of a trial function: a job (a plugin's, rill/plugin.h) that
     * reads the trial record (rill_sweep_trial_read) and emits its outputs
     * with rill_sweep_emit; job_payload is passed to it. */
    rill_job_fn job;
    void *job_payload;
    /* Text naming what the trials run (the `rill` command gives the
     * trial's command line, or its plugin and function), copied into the
     * checkpoint's identity: a checkpoint made with another one is another
     * sweep's and is not resumed. NULL: none. */
    const char *identity;
} rill_sweep_options;
#define RILL_SWEEP_OPTIONS_INIT \
    {RILL_SWEEP_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL}

/* Runs the sweep: fn(outputs, noutputs, trial, payload) for each trial, or
 * opts->job when fn is NULL. One run of s at a time (RILL_EBUSY). *out: the table on rank 0 (caller frees with
 * rill_sweep_table_free), NULL on other ranks and on failure. A sweep needs
 * at least one output. Errors as rill_run's, and as said at the top;
 * RILL_ECORRUPT when the run's results miss a row, repeat one or hold
 * something else (never a table with rows of no trials). */
RILL_EXTERN int rill_sweep_run(rill_sweep_table **out, rill_sweep *s,
                               const rill_sweep_options *opts, rill_sweep_trial_fn fn,
                               void *payload);

/* While rill_sweep_run runs s with checkpoints (any thread, also a trial
 * function): asks for a checkpoint as soon as the run can take one
 * (rill_checkpoint_request); RILL_ENOTFOUND when s is not running. */
RILL_EXTERN int rill_sweep_checkpoint_request(rill_sweep *s);
/* How many checkpoints the run of s that is going, or went last, has
 * committed: a program that stops on a signal asks for one, waits for this
 * to grow and exits with nothing lost. */
RILL_EXTERN long long rill_sweep_checkpoint_count(rill_sweep *s);

/* A job as a trial: its record is a tuple "iiib" (combination, trial, seed,
 * the parameters' doubles). Reads it into *t, with params pointing into
 * params[0..cap) (copied: the record's bytes are not aligned).
 * RILL_ECORRUPT for another record, RILL_ERANGE when cap is too small. */
RILL_EXTERN int rill_sweep_trial_read(rill_sweep_trial *t, double *params, size_t cap,
                                      const rill_record *rec);
/* What a job emits for trial t: its outputs[0..n) (one per output). */
RILL_EXTERN int rill_sweep_emit(rill_emitter *out, const rill_sweep_trial *t,
                                const double *outputs, size_t n);

/* ---- the table ---- */

/* One output of one row. */
typedef struct rill_sweep_stats {
    int64_t n;    /* trials */
    double mean;
    double sd;    /* sample standard deviation (n - 1); NAN with one trial */
    double se;    /* standard error of the mean: sd / sqrt(n); NAN with one */
} rill_sweep_stats;

RILL_EXTERN void rill_sweep_table_free(rill_sweep_table *t);
/* Rows (one per combination, in grid order), parameters, outputs. */
RILL_EXTERN size_t rill_sweep_table_rows(const rill_sweep_table *t);
RILL_EXTERN size_t rill_sweep_table_params(const rill_sweep_table *t);
RILL_EXTERN size_t rill_sweep_table_outputs(const rill_sweep_table *t);
/* Names (borrowed from the table); NULL when out of range. */
RILL_EXTERN const char *rill_sweep_table_param_name(const rill_sweep_table *t, size_t i);
RILL_EXTERN const char *rill_sweep_table_output_name(const rill_sweep_table *t, size_t i);
/* How many values parameter i takes (0 when out of range): in row r it
 * has its value number (r / stride) % count, where stride is the product
 * of the counts of the parameters after it. */
RILL_EXTERN size_t rill_sweep_table_param_count(const rill_sweep_table *t, size_t i);
/* Parameter i of row; NAN when out of range. */
RILL_EXTERN double rill_sweep_table_param(const rill_sweep_table *t, size_t row, size_t i);
/* Output i of row into *out; RILL_ERANGE when out of range. */
RILL_EXTERN int rill_sweep_table_stats(rill_sweep_stats *out, const rill_sweep_table *t,
                                       size_t row, size_t i);

/* The relative error grown trials aimed at (the options' rel_error); 0
 * for fixed trials. */
RILL_EXTERN double rill_sweep_table_rel_error(const rill_sweep_table *t);
/* 1 when the row's trials were fixed, or grown until every mean was known
 * to rel_error at 95% (the stopping rule above); 0 when grown trials
 * stopped at max_trials before; RILL_ERANGE when out of range. */
RILL_EXTERN int rill_sweep_table_reached(const rill_sweep_table *t, size_t row);

typedef enum rill_sweep_format {
    RILL_SWEEP_CSV = 0,  /* a header line, then a row a line; columns: the
                            parameters, trials, (with grown trials:
                            reached, true or false), then NAME_mean,
                            NAME_sd, NAME_se for each output (%.17g:
                            exact; sd and se of one trial are empty) */
    RILL_SWEEP_TEXT = 1  /* the same columns but reached aligned for a
                            terminal (6 significant digits; "-" for no sd
                            or se); the trials of a row that stopped at
                            max_trials short of rel_error are marked '*',
                            and a line under the table says how many */
} rill_sweep_format;
/* Writes the table to f. RILL_EIO when writing fails. */
RILL_EXTERN int rill_sweep_table_write(const rill_sweep_table *t, FILE *f, int format);

/* Student's t(0.975, df): the 95% interval of a mean of n trials is
 * mean +- rill_sweep_t95(n - 1) * se, as the stopping rule of grown trials
 * uses it (exact to 3 decimals up to df 30, within 1e-4 above; INFINITY
 * for df < 1). */
RILL_EXTERN double rill_sweep_t95(int64_t df);

#ifdef __cplusplus
}
#endif
#endif
