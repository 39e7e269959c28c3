#include <stdio.h>
#include <string.h>
#include <rill.h>

typedef struct { int64_t count; double total; } mean;

static int length(rill_emitter *out, const rill_record *word, void *arg) {
    return rill_emit_int64(out, (int64_t)word->len);        /* job: 1 in, 1 out */
}
static int add(rill_emitter *recur, void *store, const rill_record *in, size_t n, void *arg) {
    mean *m = store;                                 /* this worker's partial store */
    for (size_t i = 0; i < n; i++, m->count++) { int64_t v; rill_record_int64(&v, &in[i]); m->total += (double)v; }
    return 0;
}
static int merge(void *store, void *other, void *arg) {      /* job_stream's others */
    mean *m = store, *o = other;
    m->total += o->total, m->count += o->count;
    return 0;
}
static int print(const rill_record *r, void *arg) {     /* once, on the primary */
    mean m; memcpy(&m, r->data, sizeof(m));      /* the store, emitted by default */
    return printf("%g\n", m.total / (double)m.count) < 0;
}
int main(void) {
    rill_reduce_options mean_of = RILL_REDUCE_OPTIONS_INIT;
    rill_pipeline *p; rill_batch *work;
    rill_batch_new(&work);
    for (char *w = strtok((char[]){"Hello there world, how are you?"}, " "); w; w = strtok(NULL, " "))
        rill_batch_add_text(work, w);
    mean_of.store_size = sizeof(mean), mean_of.add = add, mean_of.merge = merge;
    rill_pipeline_new(&p);
    rill_work(p, work);                             /* the pipeline owns it now */
    rill_job(p, "length", NULL, length, NULL);
    rill_reduce(p, "mean", &mean_of, NULL);
    rill_result(p, print, NULL);
    int rc = rill_run(p, NULL, NULL);                           /* on all cores */
    if (rc < 0) fprintf(stderr, "%s\n", rill_error_last());
    rill_pipeline_free(p);
    return rc < 0;
}
