/* sink_stream.c — rill_stream_*: a run on worker threads whose output the
 * caller pulls batch by batch. Its sink keeps each output range (a
 * reference on the batch, no copy) in the run's output list under mu, which
 * rill_stream_next takes from; the source is pulled only while that list
 * has room, so a slow caller slows the run instead of filling memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rill/io.h"
#include "run.h"

static int stream_write(void *self, const char *sink, const rill_batch *batch, size_t begin,
                        size_t end)
{
    rill__run *run = self;
    rill__task *out = malloc(sizeof(*out));
    int i;
    if (out == NULL)
        return RILL_ENOMEM;
    memset(out, 0, sizeof(*out));
    out->batch = (rill_batch *)batch;
    out->begin = begin;
    out->end = end;
    out->from = -1; /* the work list's own records, or the stage named sink: */
    for (i = 0; i < run->nstages; i++)
        if (run->stages[i].name == sink)
            out->from = i;
    atomic_fetch_add(&out->batch->refs, 1);
    rill__mutex_lock(&run->sched.mu);
    if (run->out.tail)
        run->out.tail->next = out;
    else
        run->out.head = out;
    run->out.tail = out;
    run->out.n++;
    rill__sched_level(run);
    pthread_cond_signal(&run->out.cv);
    rill__mutex_unlock(&run->sched.mu);
    return 0;
}

const rill_sink rill__sink_stream = {
    .version = RILL_SINK_VERSION,
    .name = "stream",
    .write = stream_write,
};

struct rill_stream {
    rill__run run;
};

int rill_stream_open(rill_stream **out, rill_pipeline *p, const rill_run_options *opts)
{
    rill_stream *s;
    int rc;
    if (out == NULL)
        return rill__error(RILL_EINVAL, "rill_stream_open: out is NULL");
    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if ((rc = rill__run_start(&s->run, p, opts, 0, 1)) < 0) {
        char why[RILL__ERROR_MAX];
        snprintf(why, sizeof(why), "%s", rill_error_last());
        rill_stream_close(s);
        return rill__error_str(rc, why);
    }
    *out = s;
    return 0;
}

/* An output the caller took: not through a worker's batch cache, which
 * only its worker may touch. */
static void drop(rill__task *t)
{
    rill__batch_unref(t->batch);
    free(t);
}

int rill_stream_next(rill_batch **batch, const char **sink, rill_stream *s)
{
    rill__run *run;
    rill__task *t;
    rill_batch *b;
    size_t i;
    if (s == NULL || batch == NULL)
        return rill__error(RILL_EINVAL, "rill_stream_next: NULL argument");
    run = &s->run;
    *batch = NULL;
    rill__mutex_lock(&run->sched.mu);
    while (run->out.head == NULL && !run->sched.done && !atomic_load(&run->fail.stop))
        rill__cond_wait(&run->out.cv, &run->sched.mu);
    t = run->out.head;
    if (t) {
        run->out.head = t->next;
        if (run->out.head == NULL)
            run->out.tail = NULL;
        run->out.n--;
        rill__sched_level(run);
        if (run->sched.idle > 0) /* room again: the source may be pulled */
            pthread_cond_signal(&run->sched.cv);
    }
    rill__mutex_unlock(&run->sched.mu);
    if (t == NULL) {
        pthread_mutex_lock(&run->fail.mu);
        if (run->fail.code) {
            int rc = rill__error_str(run->fail.code, run->fail.msg);
            pthread_mutex_unlock(&run->fail.mu);
            return rc;
        }
        pthread_mutex_unlock(&run->fail.mu);
        return 0;
    }
    if (sink)
        *sink = t->from >= 0 ? run->stages[t->from].name : "work";
    b = t->batch;
    if (t->begin == 0 && t->end == b->n && atomic_load(&b->refs) == 1) {
        *batch = b; /* the caller's now */
        free(t);
        return 1;
    }
    if (rill_batch_new(batch) < 0) {
        drop(t);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    for (i = t->begin; i < t->end; i++) {
        rill_record r;
        rill__batch_view(b, i, &r);
        if (rill_batch_add_record(*batch, &r) < 0) {
            rill_batch_free(*batch);
            *batch = NULL;
            drop(t);
            return rill__error(RILL_ENOMEM, "out of memory");
        }
    }
    drop(t);
    return 1;
}

void rill_stream_close(rill_stream *s)
{
    if (s == NULL)
        return;
    if (s->run.p) {
        int done;
        rill__mutex_lock(&s->run.sched.mu);
        done = s->run.sched.done;
        rill__mutex_unlock(&s->run.sched.mu);
        if (!done) /* closed early: the run is cancelled (on every rank) */
            rill__run_stop(&s->run, RILL_ECANCELLED, "the run was cancelled", 0);
        else
            rill__wake_all(&s->run);
        rill__sched_join(&s->run);
        rill__run_free(&s->run);
    }
    free(s);
}
