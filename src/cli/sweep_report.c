/* sweep_report.c — `rill sweep --report FILE.html`: one self-contained page
 * about a sweep in the style of `rill run --report` (report.c's CSS): the
 * sweep's figures, its table, and for each output and each parameter a
 * chart (inline SVG) of the output's mean against the parameter, with 95%
 * error bars (mean +- t(0.975, n-1) se, rill_sweep_t95: the interval the
 * stopping rule of grown trials uses; none for one trial), one line per
 * combination of the other
 * parameters. No external URL. Every outside text (the spec's path; names
 * are letters, digits, '_', '-', '.') is HTML-escaped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_cli.h"
#include "xalloc.h"

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}"
    ".sub{color:#5b6477}"
    "dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px}"
    "dl.facts dt{color:#5b6477}dl.facts dd{margin:0;font-variant-numeric:tabular-nums}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{border-bottom:1px solid #e3e6ee;padding:4px 10px;text-align:right}"
    "th{background:#f4f6fa}"
    "svg{display:block;max-width:100%;height:auto}"
    ".chart .axis{stroke:#9aa3b5}.chart .grid{stroke:#e3e6ee}"
    ".chart text{font-size:11px;fill:#5b6477}.chart .title{font-size:13px;fill:#1d2330}"
    ".chart .line{fill:none;stroke-width:2}.chart .bar{stroke-width:1.5}"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}";

static const char *const colours[] = {"#3d63dd", "#c4661f", "#17803d", "#b42318",
                                      "#7a4cc2", "#0e7c86", "#a15c00", "#5b6477",
                                      "#d4a017", "#c2185b", "#2e7d32", "#1d2330"};

static void esc(FILE *out, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
        }
}

/* The legend of series q for parameter p: the values of the other
 * parameters in its rows (row: any of them). */
static void series_key(char *buf, size_t cap, const rill_sweep_table *t, size_t row, size_t p)
{
    size_t j, used = 0;
    buf[0] = '\0';
    for (j = 0; j < rill_sweep_table_params(t) && used < cap; j++)
        if (j != p)
            used += (size_t)snprintf(buf + used, cap - used, "%s%s=%g", used ? ", " : "",
                                     rill_sweep_table_param_name(t, j),
                                     rill_sweep_table_param(t, row, j));
}

/* The half-width of the 95% interval of st's mean; 0 when it has none. */
static double half95(const rill_sweep_stats *st)
{
    double h = rill_sweep_t95(st->n - 1) * st->se;
    return isfinite(h) ? h : 0;
}

/* The most lines a chart draws (and colours it has). */
#define MAX_SERIES 12

/* Chart of output o against parameter p. The rows of one line (a series:
 * the same values of the other parameters) are, in grid order, row
 * base(q) + i * stride for i < count, where stride is the product of the
 * counts of the parameters after p: base(q) = (q / stride) * stride *
 * count + q % stride. There are rows / count series; the first
 * MAX_SERIES are drawn. */
static void chart(FILE *out, const rill_sweep_table *t, size_t o, size_t p)
{
    const double W = 440, H = 270, L = 60, R = 150, T = 28, B = 36;
    size_t rows = rill_sweep_table_rows(t), count = rill_sweep_table_param_count(t, p);
    size_t stride = 1, nseries, drawn, q, i, j;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    const char *oname = rill_sweep_table_output_name(t, o);
    const char *pname = rill_sweep_table_param_name(t, p);
    int g;
    for (j = p + 1; j < rill_sweep_table_params(t); j++)
        stride *= rill_sweep_table_param_count(t, j);
    if (count == 0 || rows == 0)
        return;
    nseries = rows / count;
    drawn = nseries < MAX_SERIES ? nseries : MAX_SERIES;
#define ROW(q, i) (((q) / stride) * stride * count + (q) % stride + (i) * stride)
    for (q = 0; q < drawn; q++)
        for (i = 0; i < count; i++) {
            rill_sweep_stats st;
            double x = rill_sweep_table_param(t, ROW(q, i), p);
            rill_sweep_table_stats(&st, t, ROW(q, i), o);
            if (x < xmin) xmin = x;
            if (x > xmax) xmax = x;
            if (st.mean - half95(&st) < ymin) ymin = st.mean - half95(&st);
            if (st.mean + half95(&st) > ymax) ymax = st.mean + half95(&st);
        }
    if (!(xmax > xmin)) { xmin -= 1; xmax += 1; }
    if (!(ymax > ymin)) { ymin -= 1; ymax += 1; }
    {
        double pad = (ymax - ymin) * 0.05;
        ymin -= pad;
        ymax += pad;
    }
#define X(v) (L + ((v) - xmin) / (xmax - xmin) * (W - L - R))
#define Y(v) (H - B - ((v) - ymin) / (ymax - ymin) * (H - T - B))
    fprintf(out, "<svg class=\"chart\" id=\"chart-%zu-%zu\" data-output=\"%s\" data-param="
            "\"%s\" data-points=\"%zu\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\" "
            "role=\"img\">\n", o, p, oname, pname, drawn * count, W, H, W, H);
    fprintf(out, "<text class=\"title\" x=\"%g\" y=\"16\">%s against %s (mean, 95%% error "
            "bars)</text>\n", L, oname, pname);
    for (g = 0; g <= 4; g++) {
        double yv = ymin + (ymax - ymin) * g / 4, xv = xmin + (xmax - xmin) * g / 4;
        fprintf(out, "<line class=\"grid\" x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n",
                L, W - R, Y(yv), Y(yv), L - 4, Y(yv) + 4, yv);
        fprintf(out, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%.3g</text>\n", X(xv),
                H - B + 16, xv);
    }
    fprintf(out, "<line class=\"axis\" x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\"/>"
            "<line class=\"axis\" x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\"/>\n",
            L, W - R, H - B, H - B, L, L, (double)T, H - B);
    fprintf(out, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
            (L + W - R) / 2, H - 4, pname);
    for (q = 0; q < drawn; q++) {
        const char *col = colours[q];
        fprintf(out, "<polyline class=\"line\" stroke=\"%s\" points=\"", col);
        for (i = 0; i < count; i++) { /* grid order: a series' x values ascend */
            rill_sweep_stats st;
            rill_sweep_table_stats(&st, t, ROW(q, i), o);
            fprintf(out, "%s%.1f,%.1f", i ? " " : "",
                    X(rill_sweep_table_param(t, ROW(q, i), p)), Y(st.mean));
        }
        fputs("\"/>\n", out);
        for (i = 0; i < count; i++) {
            rill_sweep_stats st;
            size_t r = ROW(q, i);
            double x;
            rill_sweep_table_stats(&st, t, r, o);
            x = X(rill_sweep_table_param(t, r, p));
            fprintf(out, "<g class=\"point\"><title>%s=%g: %s = %.6g &#177; %.3g (%lld "
                    "trials)</title><line class=\"bar\" stroke=\"%s\" x1=\"%.1f\" "
                    "x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/><circle cx=\"%.1f\" cy=\"%.1f\" "
                    "r=\"3\" fill=\"%s\"/></g>\n", pname, rill_sweep_table_param(t, r, p),
                    oname, st.mean, half95(&st), (long long)st.n, col, x, x,
                    Y(st.mean - half95(&st)), Y(st.mean + half95(&st)), x, Y(st.mean), col);
        }
        if (nseries > 1) {
            char key[512];
            series_key(key, sizeof(key), t, ROW(q, 0), p);
            fprintf(out, "<text x=\"%g\" y=\"%g\" fill=\"%s\" style=\"fill:%s\">", W - R + 8,
                    T + 14.0 * (double)q + 8, col, col);
            esc(out, key);
            fputs("</text>\n", out);
        }
    }
    if (drawn < nseries)
        fprintf(out, "<text class=\"left-out\" x=\"%g\" y=\"%g\">and %zu more lines, left "
                "out</text>\n", W - R + 8, T + 14.0 * (double)drawn + 8, nseries - drawn);
    fputs("</svg>\n", out);
#undef X
#undef Y
#undef ROW
}

static void table(FILE *out, const rill_sweep_table *t)
{
    size_t r, j, np = rill_sweep_table_params(t), no = rill_sweep_table_outputs(t);
    fputs("<table id=\"table\"><tr>", out);
    for (j = 0; j < np; j++)
        fprintf(out, "<th>%s</th>", rill_sweep_table_param_name(t, j));
    fputs("<th>trials</th>", out);
    for (j = 0; j < no; j++) {
        const char *n = rill_sweep_table_output_name(t, j);
        fprintf(out, "<th>%s mean</th><th>%s sd</th><th>%s se</th>", n, n, n);
    }
    fputs("</tr>\n", out);
    for (r = 0; r < rill_sweep_table_rows(t); r++) {
        rill_sweep_stats st;
        fputs("<tr>", out);
        for (j = 0; j < np; j++)
            fprintf(out, "<td>%g</td>", rill_sweep_table_param(t, r, j));
        for (j = 0; j < no; j++) {
            rill_sweep_table_stats(&st, t, r, j);
            if (j == 0)
                fprintf(out, "<td>%lld%s</td>", (long long)st.n,
                        rill_sweep_table_reached(t, r) ? "" : "*");
            if (st.n > 1)
                fprintf(out, "<td>%.6g</td><td>%.4g</td><td>%.4g</td>", st.mean, st.sd, st.se);
            else /* one trial: no sd or se */
                fprintf(out, "<td>%.6g</td><td>-</td><td>-</td>", st.mean);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

int sweep_report_write(const char *path, const char *spec_path, const rill_sweep_table *t,
                       double seconds)
{
    FILE *out = fopen(path, "w");
    size_t r, o, p, rows = rill_sweep_table_rows(t);
    long long trials = 0, stopped_at = 0;
    size_t short_of = 0;
    double rel = rill_sweep_table_rel_error(t);
    int rc = 0;
    if (out == NULL) {
        fprintf(stderr, "rill sweep: --report %s: cannot write it: %s\n", path, strerror(errno));
        return -1;
    }
    for (r = 0; r < rows; r++) {
        rill_sweep_stats st;
        if (rill_sweep_table_stats(&st, t, r, 0) == 0)
            trials += st.n;
        if (rill_sweep_table_reached(t, r) == 0) {
            short_of++;
            stopped_at = st.n;
        }
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\""
          "viewport\" content=\"width=device-width,initial-scale=1\">\n<title>rill sweep: ", out);
    esc(out, spec_path);
    fprintf(out, "</title>\n<style>%s</style></head>\n<body>\n<h1>rill sweep: ", css);
    esc(out, spec_path);
    fprintf(out, "</h1>\n<p class=\"sub\">%zu combinations of %zu parameters, %zu outputs</p>\n",
            rows, rill_sweep_table_params(t), rill_sweep_table_outputs(t));
    fprintf(out, "<dl class=\"facts\"><dt>Combinations</dt><dd>%zu</dd><dt>Trials</dt><dd>%lld"
            "</dd><dt>Time</dt><dd>%.2f s</dd><dt>Target</dt><dd>", rows, trials, seconds);
    if (rel > 0)
        fprintf(out, "every mean known to %g%% at 95%%", rel * 100);
    else
        fputs("fixed trials", out);
    fputs("</dd></dl>\n", out);
    if (short_of)
        fprintf(out, "<p class=\"short\">* %zu of %zu combinations stopped at %lld trials before "
                "every mean was known to %g%%</p>\n", short_of, rows, stopped_at, rel * 100);
    fputs("<h2>Means against the parameters</h2>\n<div class=\"charts\">\n", out);
    for (o = 0; o < rill_sweep_table_outputs(t); o++)
        for (p = 0; p < rill_sweep_table_params(t); p++)
            chart(out, t, o, p);
    fputs("</div>\n<h2>Table</h2>\n", out);
    table(out, t);
    if (short_of)
        fprintf(out, "<p>* stopped at %lld trials before every mean was known to %g%%</p>\n",
                stopped_at, rel * 100);
    fputs("</body></html>\n", out);
    if (ferror(out))
        rc = -1;
    if (fclose(out) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "rill sweep: --report %s: cannot write it: %s\n", path, strerror(errno));
    return rc;
}
