/* feedback.c — the feedback of a run (feedback.h): the handle, the sampler
 * thread, the progress line redrawn on a terminal and the summary line.
 *
 * The sampler wakes every sample_ms: it records a sample (the trackers'
 * latest progress, the live counts, resident memory) and, when the progress
 * line is on and redraw_ms have passed, redraws it in place ("\r", the line,
 * then "\033[K" to clear what a longer line left; spaces where TERM is dumb
 * or unset), never wider than the terminal so that it never wraps. Locking: see feedback_impl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "feedback_impl.h"

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double since(const cli_feedback *f)
{
    return (double)(now_ns() - f->t0_ns) / 1e9;
}

static char *dup_or_null(const char *s, int *failed)
{
    char *d;
    if (s == NULL)
        return NULL;
    if ((d = strdup(s)) == NULL)
        *failed = 1;
    return d;
}

static uint64_t rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (fp == NULL)
        return 0;
    if (fscanf(fp, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(fp);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* ---- numbers as people read them ---- */

/* 1234 -> "1234", 12345 -> "12.3K", 1234567 -> "1.23M". */
static void fmt_count(char *b, size_t n, double v)
{
    static const char *const unit[] = {"", "K", "M", "G", "T", "P"};
    int u = 0;
    if (v < 10000) {
        snprintf(b, n, "%.0f", v);
        return;
    }
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    snprintf(b, n, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, unit[u]);
}

static void fmt_bytes(char *b, size_t n, double v)
{
    if (v < 1e6)
        snprintf(b, n, "%.1f KB", v / 1e3);
    else if (v < 1e9)
        snprintf(b, n, "%.1f MB", v / 1e6);
    else
        snprintf(b, n, "%.2f GB", v / 1e9);
}

static void fmt_clock(char *b, size_t n, double s)
{
    long t = s < 1e9 ? (long)(s + 0.5) : 999999999L;
    if (t >= 3600)
        snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

/* Stage names go to a terminal: control bytes would move the cursor. */
static void put_safe(char *b, size_t n, size_t *len, const char *s)
{
    for (; *s && *len + 1 < n; s++)
        b[(*len)++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    b[*len] = '\0';
}

/* Appends as much of s as fits. */
static void put(char *b, size_t n, size_t *len, const char *s)
{
    for (; *s && *len + 1 < n; s++)
        b[(*len)++] = *s;
    b[*len] = '\0';
}

/* ---- the sampler ---- */

static void on_progress(const rill_progress *pr, void *payload)
{
    cli_feedback *f = payload;
    pthread_mutex_lock(&f->mu);
    f->progress = *pr;
    f->have_progress = 1;
    if (pr->completed + pr->remaining > f->progress_total)
        f->progress_total = pr->completed + pr->remaining;
    pthread_mutex_unlock(&f->mu);
}

/* A stage's records in and out as the progress line shows them: the
 * library's live figures, else what was counted with cli_feedback_count. */
static void live_counts(const fb_stage *s, uint64_t *in, uint64_t *out)
{
    if (s->lib_live) {
        *in = s->lib_in;
        *out = s->lib_out;
    } else {
        *in = atomic_load_explicit(&s->live_in, memory_order_relaxed);
        *out = atomic_load_explicit(&s->live_out, memory_order_relaxed);
    }
}

/* The live records of the sources (out) and of the sinks (out). */
static void counted(const cli_feedback *f, uint64_t *in, uint64_t *out)
{
    size_t i;
    *in = *out = 0;
    for (i = 0; i < f->nstages; i++) {
        uint64_t si, so;
        live_counts(&f->stages[i], &si, &so);
        if (f->stages[i].npred == 0)
            *in += so;
        if (f->stages[i].nsucc == 0)
            *out += so;
    }
}

/* Under mu (or once the sampler is joined), while the run goes or right
 * after it: the library's figures of every stage so far
 * (rill_pipeline_stats answers during a run; before it starts, a pipeline
 * that never ran has none, and the stage is left as it was). */
static void read_live(cli_feedback *f)
{
    size_t i;
    for (i = 0; i < f->nstages; i++) {
        rill_stage_stats st;
        fb_stage *s = &f->stages[i];
        if (rill_pipeline_stats(&st, f->p, s->name) == 0) {
            s->lib_live = 1;
            s->lib_in = st.records_in;
            s->lib_out = st.records_out;
        }
    }
}

/* Under mu. */
static void take_sample(cli_feedback *f)
{
    fb_sample s;
    size_t i;
    s.t = since(f);
    s.completed = f->have_progress ? f->progress.completed : 0;
    s.remaining = f->have_progress ? f->progress.remaining : 0;
    counted(f, &s.rec_in, &s.rec_out);
    s.rss = rss_bytes();
    for (i = 0; i < f->nstages; i++) { /* when each counted stage was busy */
        fb_stage *st = &f->stages[i];
        uint64_t c = atomic_load_explicit(&st->live_in, memory_order_relaxed) +
                     atomic_load_explicit(&st->live_out, memory_order_relaxed) +
                     st->lib_in + st->lib_out;
        if (c != st->seen) {
            if (st->first_t < 0)
                st->first_t = s.t;
            st->last_t = s.t;
            st->seen = c;
        }
    }
    if (f->tick++ % f->every != 0)
        return;
    if (f->nsamples == FB_MAX_SAMPLES) { /* keep every other one */
        for (i = 0; i < FB_MAX_SAMPLES / 2; i++)
            f->samples[i] = f->samples[2 * i];
        f->nsamples = FB_MAX_SAMPLES / 2;
        f->every *= 2;
    }
    f->samples[f->nsamples++] = s;
}

/* The rate of the trackers' progress over the last 3 s, per second. */
static double progress_rate(const cli_feedback *f)
{
    const fb_sample *last, *first;
    size_t i;
    if (f->nsamples < 2)
        return 0;
    last = &f->samples[f->nsamples - 1];
    for (i = f->nsamples - 1; i > 0 && last->t - f->samples[i - 1].t <= 3.0; i--)
        ;
    first = &f->samples[i == f->nsamples - 1 ? i - 1 : i];
    if (last->t <= first->t)
        return 0;
    return (last->completed - first->completed) / (last->t - first->t);
}

#define FB_LINE 1024

static size_t terminal_width(FILE *err)
{
    struct winsize ws;
    if (ioctl(fileno(err), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* Under mu: line (FB_LINE bytes) gets the progress line, as wide as the
 * terminal at most. The line: "rill: 42% 512.0 MB/1.21 GB 118.4 MB/s ETA 0:05 |
 * words 1.20M>8.31M | count 8.31M>9120 | 0:03". */
static void compose(cli_feedback *f, char *line)
{
    char a[32], b[32];
    size_t len = 0, i, width = terminal_width(f->err) - 1;
    double done = f->progress.completed, left = f->progress.remaining;
    double rate = progress_rate(f);
    line[0] = '\0';
    put(line, FB_LINE, &len, "rill:");
    if (f->have_progress && done + left > 0) {
        snprintf(a, sizeof a, " %d%%", (int)(100 * (done / (done + left))));
        put(line, FB_LINE, &len, a);
        if (f->unit == CLI_PROGRESS_BYTES) {
            fmt_bytes(a, sizeof a, done);
            fmt_bytes(b, sizeof b, done + left);
            put(line, FB_LINE, &len, " ");
            put(line, FB_LINE, &len, a);
            put(line, FB_LINE, &len, "/");
            put(line, FB_LINE, &len, b);
            if (rate > 0) { /* from the second sample on */
                fmt_bytes(a, sizeof a, rate);
                put(line, FB_LINE, &len, " ");
                put(line, FB_LINE, &len, a);
                put(line, FB_LINE, &len, "/s");
            }
        } else if (rate > 0) {
            fmt_count(a, sizeof a, rate);
            put(line, FB_LINE, &len, " ");
            put(line, FB_LINE, &len, a);
            put(line, FB_LINE, &len, "/s");
        }
        if (rate > 0 && left > 0 && left / rate < 100 * 86400.0) { /* not for endless ones */
            fmt_clock(a, sizeof a, left / rate);
            put(line, FB_LINE, &len, " ETA ");
            put(line, FB_LINE, &len, a);
        }
    }
    for (i = 0; i < f->nstages; i++) {
        const fb_stage *s = &f->stages[i];
        uint64_t in, out;
        if (!s->lib_live && s->first_t < 0)
            continue; /* neither the library's figures nor counted */
        live_counts(s, &in, &out);
        put(line, FB_LINE, &len, " | ");
        put_safe(line, FB_LINE, &len, s->name);
        fmt_count(a, sizeof a, (double)in);
        fmt_count(b, sizeof b, (double)out);
        put(line, FB_LINE, &len, " ");
        if (s->npred > 0 || !s->lib_live) { /* a source: out alone (its in are */
            put(line, FB_LINE, &len, a);     /* its files, its work list) */
            put(line, FB_LINE, &len, ">");
        }
        put(line, FB_LINE, &len, b);
    }
    put(line, FB_LINE, &len, len > 5 ? " | " : " "); /* after "rill:" alone, no bar */
    fmt_clock(a, sizeof a, since(f));
    put(line, FB_LINE, &len, a);
    if (len > width) { /* cut at a character's first byte */
        while (width > 0 && ((unsigned char)line[width] & 0xc0) == 0x80)
            width--;
        line[width] = '\0';
    }
}

/* Not under mu (a stalled terminal must not stall the run's progress
 * reports): the sampler alone draws until it is joined. */
static void draw(cli_feedback *f, const char *line)
{
    size_t n = strlen(line);
    if (f->dumb) /* no escapes: spaces over what a longer line left */
        fprintf(f->err, "\r%s%*s", line, (int)(f->drawn > n ? f->drawn - n : 0), "");
    else
        fprintf(f->err, "\r%s\033[K", line);
    fflush(f->err);
    f->drawn = n;
}

static void *sampler(void *arg)
{
    cli_feedback *f = arg;
    char line[FB_LINE];
    long long next_draw = 0;
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)f->sample_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!f->stop && pthread_cond_timedwait(&f->cv, &f->mu, &until) != ETIMEDOUT)
            ;
        if (f->stop)
            break;
        read_live(f);
        take_sample(f);
        if (f->tty && now_ns() >= next_draw) {
            compose(f, line);
            pthread_mutex_unlock(&f->mu);
            draw(f, line);
            pthread_mutex_lock(&f->mu);
            next_draw = now_ns() + (long long)f->redraw_ms * 1000000LL;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void feedback_free(cli_feedback *f)
{
    size_t i;
    if (f == NULL)
        return;
    for (i = 0; i < f->nstages; i++) {
        free(f->stages[i].name);
        free(f->stages[i].kind);
    }
    free(f->stages);
    free(f->edges);
    free(f->samples);
    free(f->spec);
    free(f->metrics_path);
    free(f->report_path);
    free(f->run_error);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

cli_feedback *cli_feedback_start(rill_pipeline *p, const cli_feedback_options *o)
{
    cli_feedback_options d = CLI_FEEDBACK_OPTIONS_INIT;
    cli_feedback *f;
    FILE *err;
    time_t now = time(NULL);
    struct tm tm;
    size_t i;
    int failed = 0, rc;
    if (o == NULL)
        o = &d;
    err = o->err ? o->err : stderr;
    if (p == NULL || (o->nstages > 0 && o->stages == NULL)) {
        fprintf(err, "rill: feedback: no pipeline or no stages given\n");
        return NULL;
    }
    if ((f = calloc(1, sizeof *f)) == NULL)
        goto nomem;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->p = p;
    f->err = err;
    f->quiet = o->quiet;
    f->show = rill_rank() == 0;
    f->ranks = rill_ranks();
    f->tty = f->show && !o->quiet && (o->tty < 0 ? isatty(fileno(err)) : o->tty);
    f->dumb = getenv("TERM") == NULL || strcmp(getenv("TERM"), "dumb") == 0;
    f->unit = o->unit;
    f->sample_ms = o->sample_ms ? o->sample_ms : 100;
    f->redraw_ms = o->redraw_ms ? o->redraw_ms : 250;
    f->every = 1;
    f->spec = dup_or_null(o->spec, &failed);
    f->metrics_path = dup_or_null(o->metrics_path, &failed);
    f->report_path = dup_or_null(o->report_path, &failed);
    f->nstages = o->nstages;
    /* aligned: each stage's counters on a cache line of their own */
    if ((f->stages = aligned_alloc(_Alignof(fb_stage),
                                   (o->nstages ? o->nstages : 1) * sizeof *f->stages)) != NULL)
        memset(f->stages, 0, (o->nstages ? o->nstages : 1) * sizeof *f->stages);
    f->samples = malloc(FB_MAX_SAMPLES * sizeof *f->samples);
    if (failed || f->stages == NULL || f->samples == NULL)
        goto nomem;
    for (i = 0; i < o->nstages; i++) {
        fb_stage *s = &f->stages[i];
        s->first_t = s->last_t = -1;
        atomic_init(&s->live_in, 0);
        atomic_init(&s->live_out, 0);
        s->name = dup_or_null(o->stages[i].name ? o->stages[i].name : "", &failed);
        s->kind = dup_or_null(o->stages[i].kind, &failed);
    }
    if (failed)
        goto nomem;
    if (fb_graph_init(f, o) < 0) {
        feedback_free(f);
        return NULL;
    }
    gmtime_r(&now, &tm);
    strftime(f->started, sizeof f->started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if ((rc = rill_on_progress(p, f->sample_ms, on_progress, f)) < 0) {
        fprintf(err, "rill: feedback: %s\n", rill_error_last());
        feedback_free(f);
        return NULL;
    }
    f->t0_ns = now_ns();
    take_sample(f); /* the start: charts begin at 0 */
    if (f->show && (rc = pthread_create(&f->thread, NULL, sampler, f)) != 0) {
        fprintf(err, "rill: feedback: cannot start the sampler thread: %s\n", strerror(rc));
        feedback_free(f);
        return NULL;
    }
    f->thread_started = f->show;
    return f;
nomem:
    fprintf(err, "rill: feedback: out of memory\n");
    feedback_free(f);
    return NULL;
}

void cli_feedback_count(cli_feedback *f, size_t stage, uint64_t in, uint64_t out)
{
    if (f == NULL || stage >= f->nstages)
        return;
    if (in)
        atomic_fetch_add_explicit(&f->stages[stage].live_in, in, memory_order_relaxed);
    if (out)
        atomic_fetch_add_explicit(&f->stages[stage].live_out, out, memory_order_relaxed);
}

void cli_feedback_count_named(cli_feedback *f, const char *stage, uint64_t in, uint64_t out)
{
    size_t i;
    if (f == NULL || stage == NULL)
        return;
    for (i = 0; i < f->nstages; i++)
        if (strcmp(f->stages[i].name, stage) == 0) {
            cli_feedback_count(f, i, in, out);
            return;
        }
}

double fb_stage_seconds(const cli_feedback *f, const fb_stage *s)
{
    /* Busy from its first counted sample to its last; one sample period
     * more, since counts move between samples. Uncounted: the whole run. */
    if (s->first_t >= 0) {
        double t = s->last_t - s->first_t + f->sample_ms / 1e3;
        return t < f->wall ? t : f->wall;
    }
    return f->wall;
}

/* The library's figures of every stage, and the run's records in and out. */
static void read_stats(cli_feedback *f)
{
    size_t i;
    for (i = 0; i < f->nstages; i++)
        f->stages[i].have_stats =
            rill_pipeline_stats(&f->stages[i].st, f->p, f->stages[i].name) == 0;
    for (i = 0; i < f->nstages; i++) {
        fb_stage *s = &f->stages[i];
        if (s->npred == 0)
            f->records_in += s->st.records_out;
        if (s->nsucc == 0)
            f->records_out += s->st.records_out;
    }
    for (i = 0; i < f->nedges; i++) /* what its inputs sent, */
        f->stages[f->edges[i].to].in += f->stages[f->edges[i].from].st.records_out;
    for (i = 0; i < f->nstages; i++) /* or what the library saw arrive */
        if (f->stages[i].have_stats && f->stages[i].npred > 0)
            f->stages[i].in = f->stages[i].st.records_in;
}

static void summary(cli_feedback *f)
{
    char in[32], out[32], rate[32], bytes[32], peak[32];
    double total = f->progress_total;
    fmt_count(rate, sizeof rate, f->wall > 0 ? (double)f->records_in / f->wall : 0);
    fmt_bytes(peak, sizeof peak, (double)f->peak_rss);
    snprintf(in, sizeof in, "%llu", (unsigned long long)f->records_in);
    snprintf(out, sizeof out, "%llu", (unsigned long long)f->records_out);
    bytes[0] = '\0';
    /* A run that is done read everything its trackers had: as much as they
     * ever reported to do (completed + remaining), even when the last report
     * came before the end. */
    if (f->run_rc == 0 && f->unit == CLI_PROGRESS_BYTES && f->have_progress && total > 0 &&
        f->wall > 0) {
        fmt_bytes(bytes, sizeof bytes, total / f->wall);
        memmove(bytes + 2, bytes, strlen(bytes) + 1);
        memcpy(bytes, ", ", 2);
        strcat(bytes, "/s");
    }
    if (f->ranks > 1) /* the library's figures are this rank's */
        fprintf(f->err, "rill: rank 0 of %d: ", f->ranks);
    else
        fputs("rill: ", f->err);
    if (f->run_rc == 0)
        fprintf(f->err, "%s records in, %s out in %.2f s (%s records/s%s), peak memory %s\n",
                in, out, f->wall, rate, bytes, peak);
    else
        fprintf(f->err, "failed after %.2f s: %s records in, %s out, peak memory %s\n",
                f->wall, in, out, peak);
    fflush(f->err);
}

void cli_feedback_stop(cli_feedback *f)
{
    if (f == NULL || f->stopped)
        return;
    f->stopped = 1;
    if (rill_error_last() != NULL && *rill_error_last())
        f->run_error = strdup(rill_error_last()); /* NULL: left out */
    if (f->thread_started) {
        pthread_mutex_lock(&f->mu);
        f->stop = 1;
        pthread_cond_signal(&f->cv);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
    }
    f->wall = since(f);
    if (!f->show)
        return;
    f->tick = 0; /* the last sample is kept, whatever the decimation */
    read_live(f); /* the run's final figures; the run's message stays */
    if (f->run_error)
        rill_error_set("%s", f->run_error);
    else
        rill_error_clear();
    take_sample(f);
    if (f->tty && f->drawn) {
        if (f->dumb)
            fprintf(f->err, "\r%*s\r", (int)f->drawn, "");
        else
            fputs("\r\033[K", f->err);
        fflush(f->err);
    }
}

int cli_feedback_end(cli_feedback *f, int run_rc)
{
    struct rusage ru;
    int rc = 0;
    if (f == NULL)
        return 0;
    cli_feedback_stop(f);
    f->run_rc = run_rc;
    if (!f->show) {
        feedback_free(f);
        return 0;
    }
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        f->peak_rss = (uint64_t)ru.ru_maxrss * 1024;
    read_stats(f);
    if (!f->quiet)
        summary(f);
    if (f->metrics_path && fb_write_metrics(f, f->metrics_path) < 0)
        rc = -1;
    if (f->report_path && fb_write_report(f, f->report_path) < 0)
        rc = -1;
    feedback_free(f);
    return rc;
}
