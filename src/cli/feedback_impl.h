/* feedback_impl.h — the feedback handle's insides, shared by feedback.c (the
 * sampler, the progress and summary lines), metrics.c (--metrics, JSON) and
 * report.c (--report, HTML). Nothing here is seen outside src/cli/.
 *
 * Locking: mu guards the samples, the latest progress report, the library's
 * live figures (lib_*) and stop. The counts of cli_feedback_count are
 * atomics, written by any thread, read by the sampler. After
 * cli_feedback_end has joined the sampler everything is read without locks. */
#ifndef RILL_CLI_FEEDBACK_IMPL_H
#define RILL_CLI_FEEDBACK_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "feedback.h"

/* One sample of the run, taken by the sampler thread. */
typedef struct fb_sample {
    double t;                    /* seconds since cli_feedback_start */
    double completed, remaining; /* the trackers' progress (positions) */
    uint64_t rec_in, rec_out;    /* counted: sources' records out, sinks' */
    uint64_t rss;                /* resident bytes (/proc/self/statm) */
} fb_sample;

typedef struct fb_stage {
    char *name, *kind;            /* owned; kind NULL: none given */
    int depth;                    /* longest path from a source: its column */
    int row;                      /* its place in the column */
    size_t npred, nsucc;
    int have_stats;               /* rill_pipeline_stats answered */
    rill_stage_stats st;          /* the library's figures, read at the end */
    uint64_t in;                  /* records in: the predecessors' records
                                     out (a source has none: not known) */
    double first_t, last_t;       /* when its live counts first and last
                                     moved; -1: never counted */
    uint64_t seen;                /* live in + out at the last sample */
    int lib_live;                 /* rill_pipeline_stats answered during the
                                     run: lib_in and lib_out are its figures */
    uint64_t lib_in, lib_out;     /* at the last sample (under mu) */
    _Alignas(64) _Atomic uint64_t live_in;
    _Atomic uint64_t live_out;
} fb_stage;

struct cli_feedback {
    rill_pipeline *p;             /* borrowed */
    char *spec, *metrics_path, *report_path; /* owned, NULL: none */
    int quiet, tty, show;         /* show: this rank shows and writes */
    int ranks;                    /* rill_ranks(): the figures are rank 0's */
    int dumb;                     /* TERM=dumb or unset: no escape codes */
    FILE *err;                    /* borrowed */
    cli_progress_unit unit;
    unsigned sample_ms, redraw_ms;
    fb_stage *stages;             /* owned, nstages of them */
    size_t nstages;
    cli_feedback_edge *edges;     /* owned, checked: indices < nstages */
    size_t nedges;
    long long t0_ns;              /* CLOCK_MONOTONIC at start */
    char started[32];             /* wall clock at start, UTC, ISO 8601 */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int thread_started, stop;
    int stopped;                  /* cli_feedback_stop was called */
    rill_progress progress;       /* the latest report */
    int have_progress;
    double progress_total;        /* the most completed + remaining seen */
    fb_sample *samples;           /* owned; at most FB_MAX_SAMPLES: when */
    size_t nsamples;              /* full, every other one is dropped and */
    unsigned every, tick;         /* one tick in `every` is kept */
    size_t drawn;                 /* width of the progress line on screen */

    /* Set by cli_feedback_stop. */
    char *run_error;              /* owned: rill_error_last() then; NULL:
                                     none. Shown only when run_rc < 0 */
    double wall;                  /* seconds */
    /* Set by cli_feedback_end. */
    int run_rc;
    uint64_t peak_rss;            /* bytes (getrusage ru_maxrss) */
    uint64_t records_in, records_out; /* sources' records out, sinks' */
};

#define FB_MAX_SAMPLES 4096

/* feedback_graph.c: copies o's edges (a chain, indices, names) into f,
 * checked, and lays the stages out; 0, or -1 with a message on f->err. */
int fb_graph_init(cli_feedback *f, const cli_feedback_options *o);

/* The figures of the end, for the files. */
double fb_stage_seconds(const cli_feedback *f, const fb_stage *s);

/* feedback_text.c: s with every byte that is not valid UTF-8 replaced by
 * U+FFFD, in a new string (caller frees); NULL on no memory. */
char *fb_utf8_clean(const char *s);

/* metrics.c: writes f's figures as JSON to path; 0 or -1 with a message on
 * f->err. */
int fb_write_metrics(const cli_feedback *f, const char *path);
/* report.c: writes the HTML report to path; 0 or -1 with a message. */
int fb_write_report(const cli_feedback *f, const char *path);

#endif
