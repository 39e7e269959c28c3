/* feedback.h — what `rill run` tells its user about a run besides its
 * output: a progress line on a terminal, a summary line at the end, the
 * per-stage figures as JSON (--metrics) and a self-contained HTML report
 * (--report: the graph, a table per stage, charts of throughput and memory).
 *
 * How the run command uses it:
 *
 *     cli_feedback_options fo = CLI_FEEDBACK_OPTIONS_INIT;
 *     fo.spec = path; fo.stages = st; fo.nstages = n;    the graph as built:
 *     fo.named_edges = ed; fo.nnamed_edges = ne;         its edges by name
 *                                                        (or .edges by
 *                                                        index, or .chain)
 *     fo.quiet = quiet; fo.metrics_path = m; fo.report_path = r;
 *     cli_feedback *f = cli_feedback_start(p, &fo);      before rill_run
 *     rc = rill_run(p, &ro, NULL);
 *     cli_feedback_stop(f);                              clears the line
 *     ... flush the output, print the run's error if it failed ...
 *     if (cli_feedback_end(f, rc) < 0 && rc == 0) exit code 1
 *
 * Between start and stop a sampler thread takes a sample every sample_ms
 * (the trackers' progress, resident memory, the live counts) and, on a
 * terminal, redraws the progress line. cli_feedback_end reads the stages'
 * figures (rill_pipeline_stats), prints the summary line and writes the
 * files. Only rank 0 shows or writes anything (rill_rank()); on other
 * ranks the calls do nothing visible. Under MPI the figures are rank 0's
 * (the library keeps each rank's apart), and the summary says so.
 *
 * The live per-stage counts of the progress line and of the samples are
 * the library's: the sampler reads rill_pipeline_stats, which gives the
 * figures so far while a run goes. A stage the library has no figures for
 * may be counted with cli_feedback_count by whoever wraps its callback (or
 * the output callback, for sinks); a stage neither has is left out of the
 * progress line. The files and the summary use the library's figures of
 * the finished run. */
#ifndef RILL_CLI_FEEDBACK_H
#define RILL_CLI_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rill.h"

/* One stage of the graph, as built into the pipeline. */
typedef struct cli_feedback_stage {
    const char *name; /* its name in the pipeline (for rill_pipeline_stats) */
    const char *kind; /* what the spec wrote ("lines", "words"...); NULL: none */
} cli_feedback_stage;

/* An edge: records of stages[from] go to stages[to]. */
typedef struct cli_feedback_edge {
    size_t from, to;
} cli_feedback_edge;

/* An edge by the stages' names (as a builder that knows names has them). */
typedef struct cli_feedback_named_edge {
    const char *from, *to;
} cli_feedback_named_edge;

/* What the positions of the trackers' progress count (rill_on_progress):
 * bytes for the file sources (so MB/s and sizes are shown), items (records,
 * sequence values) otherwise. */
typedef enum cli_progress_unit {
    CLI_PROGRESS_ITEMS = 0,
    CLI_PROGRESS_BYTES = 1,
} cli_progress_unit;

typedef struct cli_feedback_options {
    const char *spec;                 /* the spec's path, shown in the report;
                                         NULL: none */
    const cli_feedback_stage *stages; /* every stage the pipeline has; */
    size_t nstages;                   /* copied by cli_feedback_start */
    const cli_feedback_edge *edges;   /* the graph's edges (for a chain, */
    size_t nedges;                    /* i -> i+1); copied */
    int quiet;                        /* -q: neither the progress line nor
                                         the summary line */
    int tty;                          /* -1: draw the progress line when err
                                         is a terminal (isatty); 0: never;
                                         1: always (tests) */
    FILE *err;                        /* progress and summary; NULL: stderr.
                                         Borrowed until cli_feedback_end */
    const char *metrics_path;         /* --metrics FILE; NULL: none */
    const char *report_path;          /* --report FILE.html; NULL: none */
    cli_progress_unit unit;           /* what the trackers' positions count */
    unsigned sample_ms;               /* 0: 100 */
    unsigned redraw_ms;               /* progress line; 0: 250 */
    int chain;                        /* non-zero: the stages are a chain in
                                         their order (edges i -> i+1 made
                                         here); no edges may then be given */
    const cli_feedback_named_edge *named_edges; /* more edges, by name (both */
    size_t nnamed_edges;                        /* forms may be mixed); copied */
} cli_feedback_options;
#define CLI_FEEDBACK_OPTIONS_INIT \
    {NULL, NULL, 0, NULL, 0, 0, -1, NULL, NULL, NULL, CLI_PROGRESS_ITEMS, 0, 0, 0, NULL, 0}

typedef struct cli_feedback cli_feedback;

/* Starts watching p's next run: registers a progress callback with p
 * (rill_on_progress, so p must have none of its own) and starts the
 * sampler thread. Call it after the pipeline is built, right before
 * rill_run. The strings of o are copied.
 *
 * Returns the handle (freed by cli_feedback_end), or NULL with a message on
 * err when it cannot start (no memory, no thread, refused by p: the message
 * names why). p must outlive the handle and must not run again after
 * cli_feedback_end, whose handle its progress callback points to. */
cli_feedback *cli_feedback_start(rill_pipeline *p, const cli_feedback_options *o);

/* Counts of one's own, for the progress line of stages the library has no
 * figures for (and the "counted" member of the metrics): adds in and out
 * records to stage (an index into o->stages; others are ignored). Any
 * thread, any time between start and end; lock-free. */
void cli_feedback_count(cli_feedback *f, size_t stage, uint64_t in, uint64_t out);
/* The same by the stage's name (a sink's name, in an output callback): a
 * look-up through the stages, so once per batch rather than per record. An
 * unknown name is ignored. */
void cli_feedback_count_named(cli_feedback *f, const char *stage, uint64_t in, uint64_t out);

/* Stops the sampler, takes the last sample (the wall time ends here), keeps
 * rill_error_last() for the files, and clears the progress line, so that
 * what the run command prints next (its error) starts a line of its own.
 * Call it right after rill_run; a second call does nothing. */
void cli_feedback_stop(cli_feedback *f);

/* Ends it: stops it (when cli_feedback_stop was not called), reads the
 * stages' figures, prints the summary line (unless quiet), and writes the
 * metrics and the report (also for a failed run: they say it failed, with
 * the message kept at stop). run_rc is what rill_run returned, or the run
 * command's own failure code (RILL_EIO when its output could not be
 * flushed). Frees f (NULL: does nothing, returns 0).
 *
 * Returns 0, or -1 when a file could not be written (the message, naming
 * the file and why, is printed on err). */
int cli_feedback_end(cli_feedback *f, int run_rc);

#endif
