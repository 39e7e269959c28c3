/* metrics.c — `rill run --metrics FILE`: the run's figures as one JSON
 * object, written with jansson:
 *
 *   {"rill_metrics": 1, "spec": ..., "status": "done" | "failed",
 *    "error": ... (failed runs), "started": ISO 8601 UTC, "wall_seconds",
 *    "ranks" (with more than one, the figures are rank 0's),
 *    "records_in", "records_out", "peak_rss_bytes",
 *    "progress": {"unit": "bytes" | "items", "completed", "remaining",
 *                 "most_total", "elements_done"}  (the trackers' last
 *                 report, and the most completed + remaining they gave),
 *    "stages": [{"name", "kind", "depth", "inputs": [names], "calls",
 *                "records_in" (null for a source), "records_out", "splits", "workers",
 *                "seconds", "records_per_second",
 *                "counted": {"in", "out"} (only when cli_feedback_count counted it)}],
 *    "samples": [{"t", "rss_bytes", "completed", "remaining",
 *                 "records_in", "records_out"}]}
 *
 * Text that is not UTF-8 (a stage may be named anything) has its bad bytes
 * replaced by U+FFFD, as JSON must be UTF-8. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "feedback_impl.h"

/* Sets key to s as a JSON string (NULL: null); -1 on no memory. */
static int set_text(json_t *o, const char *key, const char *s)
{
    char *c;
    int rc;
    if (s == NULL)
        return json_object_set_new(o, key, json_null());
    if ((c = fb_utf8_clean(s)) == NULL)
        return -1;
    rc = json_object_set_new(o, key, json_string(c));
    free(c);
    return rc;
}

static int set_u64(json_t *o, const char *key, uint64_t v)
{
    /* json_int_t is long long: figures past 2^63 do not occur */
    return json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *stage_json(const cli_feedback *f, size_t i)
{
    const fb_stage *s = &f->stages[i];
    json_t *o = json_object(), *inputs = json_array(), *counted = json_object();
    double secs = fb_stage_seconds(f, s);
    size_t e;
    int bad = o == NULL || inputs == NULL || counted == NULL;
    for (e = 0; !bad && e < f->nedges; e++)
        if (f->edges[e].to == i) {
            char *c = fb_utf8_clean(f->stages[f->edges[e].from].name);
            bad = c == NULL || json_array_append_new(inputs, json_string(c)) < 0;
            free(c);
        }
    if (!bad)
        bad = set_text(o, "name", s->name) < 0 || set_text(o, "kind", s->kind) < 0 ||
              json_object_set_new(o, "depth", json_integer(s->depth)) < 0 ||
              json_object_set(o, "inputs", inputs) < 0 ||
              json_object_set_new(o, "ran", json_boolean(s->have_stats)) < 0 ||
              set_u64(o, "calls", s->st.calls) < 0 || (s->npred ? set_u64(o, "records_in", s->in)
                          : json_object_set_new(o, "records_in", json_null())) < 0 ||
              set_u64(o, "records_out", s->st.records_out) < 0 ||
              set_u64(o, "splits", s->st.splits) < 0 ||
              json_object_set_new(o, "workers", json_integer(s->st.workers)) < 0 ||
              json_object_set_new(o, "seconds", json_real(secs)) < 0 ||
              json_object_set_new(o, "records_per_second",
                                  json_real(secs > 0 ? (double)s->st.records_out / secs : 0)) < 0;
    if (!bad && atomic_load(&s->live_in) + atomic_load(&s->live_out) > 0) /* cli_feedback_count */
        bad = set_u64(counted, "in", atomic_load(&s->live_in)) < 0 ||
              set_u64(counted, "out", atomic_load(&s->live_out)) < 0 ||
              json_object_set(o, "counted", counted) < 0;
    json_decref(inputs);
    json_decref(counted);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *sample_json(const fb_sample *s)
{
    json_t *o = json_object();
    if (o == NULL || json_object_set_new(o, "t", json_real(s->t)) < 0 ||
        set_u64(o, "rss_bytes", s->rss) < 0 ||
        json_object_set_new(o, "completed", json_real(s->completed)) < 0 ||
        json_object_set_new(o, "remaining", json_real(s->remaining)) < 0 ||
        set_u64(o, "records_in", s->rec_in) < 0 || set_u64(o, "records_out", s->rec_out) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *metrics_json(const cli_feedback *f)
{
    json_t *root = json_object(), *stages = json_array(), *samples = json_array();
    json_t *pr = json_object();
    size_t i;
    int bad = root == NULL || stages == NULL || samples == NULL || pr == NULL;
    for (i = 0; !bad && i < f->nstages; i++)
        bad = json_array_append_new(stages, stage_json(f, i)) < 0;
    for (i = 0; !bad && i < f->nsamples; i++)
        bad = json_array_append_new(samples, sample_json(&f->samples[i])) < 0;
    if (!bad)
        bad = json_object_set_new(pr, "unit", json_string(f->unit == CLI_PROGRESS_BYTES
                                                              ? "bytes" : "items")) < 0 ||
              json_object_set_new(pr, "completed", json_real(f->progress.completed)) < 0 ||
              json_object_set_new(pr, "remaining", json_real(f->progress.remaining)) < 0 ||
              json_object_set_new(pr, "most_total", json_real(f->progress_total)) < 0 ||
              set_u64(pr, "elements_done", f->progress.elements_done) < 0;
    if (!bad)
        bad = json_object_set_new(root, "rill_metrics", json_integer(1)) < 0 ||
              set_text(root, "spec", f->spec) < 0 ||
              set_text(root, "status", f->run_rc == 0 ? "done" : "failed") < 0 ||
              (f->run_rc != 0 && set_text(root, "error", f->run_error) < 0) ||
              json_object_set_new(root, "exit", json_integer(f->run_rc)) < 0 ||
              set_text(root, "started", f->started) < 0 ||
              json_object_set_new(root, "wall_seconds", json_real(f->wall)) < 0 ||
              json_object_set_new(root, "ranks", json_integer(f->ranks)) < 0 ||
              set_u64(root, "records_in", f->records_in) < 0 ||
              set_u64(root, "records_out", f->records_out) < 0 ||
              set_u64(root, "peak_rss_bytes", f->peak_rss) < 0 ||
              json_object_set(root, "progress", pr) < 0 ||
              json_object_set(root, "stages", stages) < 0 ||
              json_object_set(root, "samples", samples) < 0;
    json_decref(stages);
    json_decref(samples);
    json_decref(pr);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int fb_write_metrics(const cli_feedback *f, const char *path)
{
    json_t *root = metrics_json(f);
    FILE *fp;
    int rc = 0;
    if (root == NULL) {
        fprintf(f->err, "rill: --metrics %s: out of memory\n", path);
        return -1;
    }
    if ((fp = fopen(path, "w")) == NULL) {
        fprintf(f->err, "rill: --metrics %s: cannot write it: %s\n", path, strerror(errno));
        json_decref(root);
        return -1;
    }
    if (json_dumpf(root, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) < 0 ||
        fputc('\n', fp) == EOF)
        rc = -1;
    if (fclose(fp) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(f->err, "rill: --metrics %s: cannot write it: %s\n", path, strerror(errno));
    json_decref(root);
    return rc;
}
