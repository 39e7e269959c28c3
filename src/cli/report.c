/* report.c — `rill run --report FILE.html`: one self-contained page about a
 * run, as Nextflow's -with-report: the run's figures, the graph drawn as
 * inline SVG (a column per depth, the longest path from a source), a table
 * of the stages, and charts (inline SVG) of throughput and resident memory
 * over the run from the sampler's samples. No external URL: the CSS, the
 * SVG and the small script are in the page.
 *
 * The script, run by the browser, measures what it laid out and writes it
 * on <body> (data-graph-nodes, data-graph-box, data-charts-drawn), which is
 * how the test checks in a real browser that the page renders; it also
 * shows a chart's value under the pointer.
 *
 * Every text from outside (stage names and kinds, the spec's path, the
 * error) is cleaned to UTF-8 and HTML-escaped. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feedback_impl.h"

/* Writes s escaped for HTML text and attribute values. */
static void esc(FILE *out, const char *s)
{
    char *c = fb_utf8_clean(s ? s : "");
    const char *p;
    for (p = c ? c : "?"; *p; p++)
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                fputc(' ', out);
            else
                fputc(*p, out);
        }
    free(c);
}

/* s, cut to at most max characters (UTF-8), with "…" when cut. */
static void esc_cut(FILE *out, const char *s, size_t max)
{
    size_t i, chars = 0;
    char buf[256];
    for (i = 0; s[i] && i + 4 < sizeof buf; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
            break;
        buf[i] = s[i];
    }
    buf[i] = '\0';
    esc(out, buf);
    if (s[i])
        fputs("\xe2\x80\xa6", out);
}

static void fmt_num(char *b, size_t n, double v)
{
    if (v >= 1e9)
        snprintf(b, n, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(b, n, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(b, n, "%.1fK", v / 1e3);
    else if (v >= 100 || v == (long long)v)
        snprintf(b, n, "%.0f", v);
    else if (v >= 1)
        snprintf(b, n, "%.2g", v);
    else
        snprintf(b, n, "%.3g", v);
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}"
    ".sub{color:#5b6477}.ok{color:#17803d}.bad{color:#b42318}"
    "dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px}"
    "dl.facts dt{color:#5b6477}dl.facts dd{margin:0;font-variant-numeric:tabular-nums}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{border-bottom:1px solid #e3e6ee;padding:4px 10px;text-align:right}"
    "th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}"
    "th{background:#f4f6fa}"
    "svg{display:block;max-width:100%;height:auto}"
    ".graphbox{overflow-x:auto}#graph{max-width:none}"
    "#graph .node rect{fill:#eef3ff;stroke:#3d63dd;stroke-width:1.5}"
    "#graph .node.source rect{fill:#e9f7ef;stroke:#17803d}"
    "#graph .node.sink rect{fill:#fff4e5;stroke:#c4661f}"
    "#graph .name{font-weight:600;font-size:13px}#graph .info{font-size:11px;fill:#5b6477}"
    "#graph .edge{fill:none;stroke:#7a8499;stroke-width:1.5}"
    ".chart .axis{stroke:#9aa3b5}.chart .grid{stroke:#e3e6ee}"
    ".chart text{font-size:11px;fill:#5b6477}.chart .title{font-size:13px;fill:#1d2330}"
    ".chart .line{fill:none;stroke:#3d63dd;stroke-width:2}"
    ".chart .area{fill:#3d63dd;opacity:.12}.chart .tip{font-size:12px;fill:#1d2330}"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}";

/* Measures what the browser drew (for the test) and shows values under the
 * pointer. */
static const char script[] =
    "(function(){var b=document.body,g=document.getElementById('graph');"
    "function box(e){var r=e.getBoundingClientRect();"
    "return Math.round(r.width)+'x'+Math.round(r.height);}"
    "if(g){b.setAttribute('data-graph-nodes',g.querySelectorAll('g.node').length);"
    "b.setAttribute('data-graph-edges',g.querySelectorAll('path.edge').length);"
    "b.setAttribute('data-graph-box',box(g));}"
    "var n=0;document.querySelectorAll('svg.chart').forEach(function(c){"
    "var l=c.querySelector('polyline.line');if(!l)return;"
    "var len=l.getTotalLength(),r=c.getBoundingClientRect();"
    "c.setAttribute('data-line-length',Math.round(len));"
    "if(len>0&&r.width>0&&r.height>0)n++;"
    "var pts=l.getAttribute('points').trim().split(' ').map(function(p){"
    "return p.split(',').map(Number);}),vals=c.getAttribute('data-values').split(' '),"
    "tip=c.querySelector('text.tip'),unit=c.getAttribute('data-unit');"
    "c.addEventListener('mousemove',function(e){var m=c.getScreenCTM();if(!m)return;"
    "var x=(e.clientX-m.e)/m.a,k=0;for(var i=1;i<pts.length;i++)"
    "if(Math.abs(pts[i][0]-x)<Math.abs(pts[k][0]-x))k=i;"
    "tip.textContent=vals[k]+' '+unit;tip.setAttribute('x',pts[k][0]);"
    "tip.setAttribute('y',Math.max(pts[k][1]-6,40));});"
    "c.addEventListener('mouseleave',function(){tip.textContent='';});});"
    "b.setAttribute('data-charts-drawn',n);})();";

/* ---- the graph ---- */

enum { COL_W = 210, BOX_W = 170, BOX_H = 52, ROW_H = 76, PAD = 16 };

static void graph_svg(FILE *out, const cli_feedback *f)
{
    int cols = 0, rows = 0, w, h;
    size_t i;
    char a[32];
    for (i = 0; i < f->nstages; i++) {
        if (f->stages[i].depth + 1 > cols)
            cols = f->stages[i].depth + 1;
        if (f->stages[i].row + 1 > rows)
            rows = f->stages[i].row + 1;
    }
    w = cols * COL_W - (COL_W - BOX_W) + 2 * PAD;
    h = rows * ROW_H - (ROW_H - BOX_H) + 2 * PAD;
    if (f->nstages == 0)
        w = h = 2 * PAD;
    fprintf(out, "<svg id=\"graph\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"the pipeline's "
            "graph\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
            "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" "
            "fill=\"#7a8499\"/></marker></defs>\n", w, h, w, h);
    for (i = 0; i < f->nedges; i++) {
        const fb_stage *s = &f->stages[f->edges[i].from], *t = &f->stages[f->edges[i].to];
        int x1 = PAD + s->depth * COL_W + BOX_W, y1 = PAD + s->row * ROW_H + BOX_H / 2;
        int x2 = PAD + t->depth * COL_W, y2 = PAD + t->row * ROW_H + BOX_H / 2;
        int mid = (x1 + x2) / 2;
        if (t->depth <= s->depth) /* only in a cycle: loop over the boxes */
            fprintf(out, "<path class=\"edge\" d=\"M%d,%d C%d,%d %d,%d %d,%d\" "
                    "marker-end=\"url(#arrow)\"/>\n", x1, y1, x1 + 40, y1 - 60, x2 - 40,
                    y2 - 60, x2, y2);
        else
            fprintf(out, "<path class=\"edge\" d=\"M%d,%d C%d,%d %d,%d %d,%d\" "
                    "marker-end=\"url(#arrow)\"/>\n", x1, y1, mid, y1, mid, y2, x2, y2);
    }
    for (i = 0; i < f->nstages; i++) {
        const fb_stage *s = &f->stages[i];
        int x = PAD + s->depth * COL_W, y = PAD + s->row * ROW_H;
        fprintf(out, "<g class=\"node%s%s\" transform=\"translate(%d,%d)\"><title>",
                s->npred == 0 ? " source" : "", s->nsucc == 0 ? " sink" : "", x, y);
        esc(out, s->name);
        if (s->kind) {
            fputs(" (", out);
            esc(out, s->kind);
            fputs(")", out);
        }
        fprintf(out, "</title><rect width=\"%d\" height=\"%d\" rx=\"8\"/>"
                "<text class=\"name\" x=\"10\" y=\"20\">", BOX_W, BOX_H);
        esc_cut(out, s->name, 20);
        fputs("</text><text class=\"info\" x=\"10\" y=\"40\">", out);
        if (s->kind) {
            esc_cut(out, s->kind, 12);
            fputs(" \xc2\xb7 ", out);
        }
        fmt_num(a, sizeof a, (double)s->st.records_out);
        fprintf(out, "%s out</text></g>\n", a);
    }
    fputs("</svg>\n", out);
}

/* ---- the charts ---- */

/* 1, 2 or 5 times a power of ten, at least x: a step between ticks. */
static double nice_step(double x)
{
    double p, m;
    if (!(x > 0))
        return 1;
    p = pow(10, floor(log10(x)));
    m = x / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

enum { CW = 600, CH = 220, ML = 58, MR = 18, MT = 30, MB = 34 };

/* v[i] of sample i for one series. */
typedef double (*series_fn)(const fb_sample *s, const cli_feedback *f);

static double s_completed(const fb_sample *s, const cli_feedback *f)
{
    return f->unit == CLI_PROGRESS_BYTES ? s->completed / 1e6 : s->completed;
}
static double s_rec_in(const fb_sample *s, const cli_feedback *f)
{
    (void)f;
    return (double)s->rec_in;
}
static double s_rec_out(const fb_sample *s, const cli_feedback *f)
{
    (void)f;
    return (double)s->rec_out;
}
static double s_rss(const fb_sample *s, const cli_feedback *f)
{
    (void)f;
    return (double)s->rss / 1e6;
}

/* A line chart of the series (as a rate per second when rate is set: its
 * change over the last half second) against the run's time. */
static void chart_svg(FILE *out, const cli_feedback *f, const char *id, const char *title,
                      const char *unit, series_fn fn, int rate)
{
    size_t n = f->nsamples, i, j = 0;
    double *v = calloc(n ? n : 1, sizeof *v), top = 0, tmax = f->wall > 0 ? f->wall : 1;
    double ystep, tstep;
    char a[32];
    int k, ticks;
    if (v == NULL)
        return;
    for (i = 0; i < n; i++) {
        const fb_sample *s = &f->samples[i];
        if (!rate) {
            v[i] = fn(s, f);
        } else if (i > 0) {
            while (j + 1 < i && s->t - f->samples[j + 1].t >= 0.5)
                j++;
            if (s->t > f->samples[j].t)
                v[i] = (fn(s, f) - fn(&f->samples[j], f)) / (s->t - f->samples[j].t);
        }
        if (v[i] < 0)
            v[i] = 0;
        if (v[i] > top)
            top = v[i];
        if (s->t > tmax)
            tmax = s->t;
    }
    ystep = nice_step(top > 0 ? top / 4 : 0.25);
    ticks = (int)ceil(top / ystep - 1e-9);
    if (ticks < 1)
        ticks = 1;
    top = ystep * ticks;
    tstep = nice_step(tmax / 6); /* ticks up to the end, which is the run's */
    fprintf(out, "<svg class=\"chart\" id=\"%s\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" data-unit=\"%s\" data-values=\"",
            id, CW, CH, CW, CH, unit);
    for (i = 0; i < n; i++) {
        fmt_num(a, sizeof a, v[i]);
        fprintf(out, "%s%s", i ? " " : "", a);
    }
    fprintf(out, "\">\n<text class=\"title\" x=\"%d\" y=\"18\">%s (%s)</text>\n", ML, title,
            unit);
    for (k = 0; k <= ticks; k++) { /* horizontal grid and the values axis */
        double y = MT + (CH - MT - MB) * (1 - (double)k / ticks);
        fmt_num(a, sizeof a, ystep * k);
        fprintf(out, "<line class=\"%s\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                k ? "grid" : "axis", ML, CW - MR, y, y, ML - 6, y + 4, a);
    }
    for (k = 0; tstep * k <= tmax * (1 + 1e-9); k++) { /* the time axis */
        double x = ML + (CW - ML - MR) * tstep * k / tmax;
        fmt_num(a, sizeof a, tstep * k);
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s s</text>\n", x,
                CH - MB + 16, a);
    }
    fprintf(out, "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>\n", ML, ML, MT,
            CH - MB);
    fputs("<polygon class=\"area\" points=\"", out);
    for (i = 0; i < n; i++)
        fprintf(out, "%.1f,%.1f ", ML + (CW - ML - MR) * f->samples[i].t / tmax,
                MT + (CH - MT - MB) * (1 - v[i] / top));
    if (n)
        fprintf(out, "%.1f,%d %.1f,%d", ML + (CW - ML - MR) * f->samples[n - 1].t / tmax,
                CH - MB, ML + (CW - ML - MR) * f->samples[0].t / tmax, CH - MB);
    fputs("\"/>\n<polyline class=\"line\" points=\"", out);
    for (i = 0; i < n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", ML + (CW - ML - MR) * f->samples[i].t / tmax,
                MT + (CH - MT - MB) * (1 - v[i] / top));
    fputs("\"/>\n<text class=\"tip\" text-anchor=\"middle\"></text>\n</svg>\n", out);
    free(v);
}

/* ---- the page ---- */

static void stage_table(FILE *out, const cli_feedback *f)
{
    size_t i;
    char a[32];
    fputs("<table id=\"stages\"><thead><tr><th>stage</th><th>kind</th><th>calls</th>"
          "<th>records in</th><th>records out</th><th>time (s)</th><th>records out/s</th>"
          "<th>splits</th><th>workers</th></tr></thead><tbody>\n", out);
    for (i = 0; i < f->nstages; i++) {
        const fb_stage *s = &f->stages[i];
        double secs = fb_stage_seconds(f, s);
        fputs("<tr><td>", out);
        esc(out, s->name);
        fputs("</td><td>", out);
        esc(out, s->kind ? s->kind : "");
        fmt_num(a, sizeof a, secs > 0 ? (double)s->st.records_out / secs : 0);
        fprintf(out, "</td><td>%llu</td><td>", (unsigned long long)s->st.calls);
        if (s->npred)
            fprintf(out, "%llu", (unsigned long long)s->in);
        else
            fputs("\xe2\x80\x93", out); /* a source: not known */
        fprintf(out, "</td><td>%llu</td><td>%.2f</td><td>%s</td><td>%llu</td><td>%d</td></tr>\n",
                (unsigned long long)s->st.records_out, secs, a,
                (unsigned long long)s->st.splits, s->st.workers);
    }
    fputs("</tbody></table>\n<p class=\"sub\">Calls: of the stage's callback, a batch of "
          "records at a time (a source's: units of work). Records in: what the stage's inputs "
          "sent it. Time: from when its counted records first moved to "
          "when they last did; the run's wall time for stages not counted live.</p>\n", out);
}

static void facts(FILE *out, const cli_feedback *f)
{
    char a[32];
    fputs("<dl class=\"facts\">", out);
    if (f->run_rc == 0) {
        fputs("<dt>status</dt><dd class=\"ok\" id=\"status\">done</dd>", out);
    } else {
        fprintf(out, "<dt>status</dt><dd class=\"bad\" id=\"status\">failed (%d): ", f->run_rc);
        esc(out, f->run_error ? f->run_error : rill_strerror(f->run_rc));
        fputs("</dd>", out);
    }
    fprintf(out, "<dt>started</dt><dd>%s</dd><dt>wall time</dt><dd>%.2f s</dd>", f->started,
            f->wall);
    if (f->ranks > 1)
        fprintf(out, "<dt>ranks</dt><dd>%d: the figures below are rank 0's</dd>", f->ranks);
    fprintf(out, "<dt>records in</dt><dd>%llu</dd><dt>records out</dt><dd>%llu</dd>",
            (unsigned long long)f->records_in, (unsigned long long)f->records_out);
    fmt_num(a, sizeof a, f->wall > 0 ? (double)f->records_in / f->wall : 0);
    fprintf(out, "<dt>throughput</dt><dd>%s records/s", a);
    if (f->unit == CLI_PROGRESS_BYTES && f->wall > 0 && f->have_progress)
        fprintf(out, ", %.1f MB/s",
                (f->run_rc == 0 ? f->progress_total : f->progress.completed) / 1e6 / f->wall);
    fprintf(out, "</dd><dt>peak memory</dt><dd>%.1f MB</dd></dl>\n", (double)f->peak_rss / 1e6);
}

static void page(FILE *out, const cli_feedback *f)
{
    size_t i;
    int progress = 0, rin = 0, rout = 0;
    for (i = 0; i < f->nsamples; i++) {
        progress |= f->samples[i].completed > 0;
        rin |= f->samples[i].rec_in > 0;
        rout |= f->samples[i].rec_out > 0;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>rill "
          "report: ", out);
    esc(out, f->spec ? f->spec : "run");
    fprintf(out, "</title>\n<style>%s</style></head>\n<body>\n<h1>rill report: ", css);
    esc(out, f->spec ? f->spec : "run");
    fputs("</h1>\n<p class=\"sub\">", out);
    fprintf(out, "%zu stages, %zu edges</p>\n", f->nstages, f->nedges);
    facts(out, f);
    fputs("<h2>Graph</h2>\n<div class=\"graphbox\">\n", out);
    graph_svg(out, f);
    fputs("</div>\n", out);
    fputs("<h2>Stages</h2>\n", out);
    stage_table(out, f);
    fputs("<h2>Over the run</h2>\n<div class=\"charts\">\n", out);
    if (progress)
        chart_svg(out, f, "chart-input", "Input", f->unit == CLI_PROGRESS_BYTES ? "MB/s"
                  : "items/s", s_completed, 1);
    if (rin)
        chart_svg(out, f, "chart-records-in", "Records in", "records/s", s_rec_in, 1);
    if (rout)
        chart_svg(out, f, "chart-records-out", "Records out", "records/s", s_rec_out, 1);
    if (!progress && !rin && !rout)
        fputs("<p class=\"sub\" id=\"no-throughput\">No throughput over time: the sources "
              "reported no progress and no source or sink was counted live.</p>\n", out);
    chart_svg(out, f, "chart-memory", "Resident memory", "MB", s_rss, 0);
    fprintf(out, "</div>\n<script>%s</script>\n</body></html>\n", script);
}

int fb_write_report(const cli_feedback *f, const char *path)
{
    FILE *out = fopen(path, "w");
    int rc = 0;
    if (out == NULL) {
        fprintf(f->err, "rill: --report %s: cannot write it: %s\n", path, strerror(errno));
        return -1;
    }
    page(out, f);
    if (ferror(out))
        rc = -1;
    if (fclose(out) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(f->err, "rill: --report %s: cannot write it: %s\n", path, strerror(errno));
    return rc;
}
