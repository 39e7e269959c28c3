/* crash_pipeline.c — the checkpointed pipeline the crash test kills:
 *
 *     crash_pipeline STATE INPUT OUTDIR [--resume] [--interval SECONDS] [--log FILE]
 *
 * lines of INPUT (splittable) -> words (job, keyed) -> count (combine) ->
 * per word a frame: the count goes through a job that emits its halvings
 * (n, n/2, ... 1), a reducer sums them, the frame end keeps the sum -> a
 * line "word count sum" per word, written to OUTDIR (run id "crash"). The
 * output's lines do not depend on how the run was cut into pieces. With
 * --log, rank 0 writes "restored" or "fresh" (rill_checkpoint_restored) to
 * FILE once the run calls its first callback, or when it ends. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

static rill_pipeline *pipeline;
static const char *log_path;
static atomic_int logged;

/* Once a process: whether its run continued from a checkpoint. */
static void log_restored(void)
{
    FILE *f;
    if (log_path == NULL || rill_rank() != 0 || atomic_exchange(&logged, 1))
        return;
    if ((f = fopen(log_path, "w")) != NULL) {
        fputs(rill_checkpoint_restored(pipeline) == 1 ? "restored\n" : "fresh\n", f);
        fclose(f);
    }
}

static int words(rill_emitter *out, const rill_record *line, void *payload)
{
    const char *s = line->data, *end = s + line->len;
    volatile int spin;
    (void)payload;
    log_restored();
    for (spin = 0; spin < 60000; spin++) /* some work, so runs can be killed midway */
        ;
    while (s < end) {
        const char *w = s;
        int rc;
        while (s < end && *s != ' ')
            s++;
        if (s > w && (rc = rill_emit_keyed(out, w, (size_t)(s - w), NULL, 0)) != 0)
            return rc;
        s++;
    }
    return 0;
}

typedef struct word_store {
    char word[64];
    int64_t count, sum;
    int started;
} word_store;

static int per_word(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    word_store *s = store;
    (void)payload;
    if (s->started)
        return 0;
    s->started = 1;
    snprintf(s->word, sizeof(s->word), "%.*s", (int)(first->key_len < 63 ? first->key_len : 63),
             (const char *)first->key);
    memcpy(&s->count, first->data, sizeof(s->count));
    return rill_emit_int64(recur, s->count);
}

static int halvings(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n;
    int rc = 0;
    volatile int spin;
    (void)payload;
    rill_record_int64(&n, in);
    for (; n >= 1 && rc == 0; n /= 2) {
        for (spin = 0; spin < 20000; spin++)
            ;
        rc = rill_emit_int64(out, n);
    }
    return rc;
}

static int sum_add(rill_emitter *recur, void *store, const rill_record *in, size_t n,
                   void *payload)
{
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++) {
        int64_t v;
        rill_record_int64(&v, &in[i]);
        *(int64_t *)store += v;
    }
    return 0;
}

static int sum_merge(void *store, void *other, void *payload)
{
    (void)payload;
    *(int64_t *)store += *(int64_t *)other;
    return 0;
}

static int keep(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    (void)recur, (void)payload;
    return rill_record_int64(&((word_store *)store)->sum, next);
}

static int as_line(rill_emitter *out, void *store, void *payload)
{
    word_store *s = store;
    char line[128];
    int n = snprintf(line, sizeof(line), "%s %lld %lld", s->word, (long long)s->count,
                     (long long)s->sum);
    (void)payload;
    return rill_emit(out, line, (size_t)n);
}

int main(int argc, char **argv)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_combine_options count = RILL_COMBINE_SUM_INT64;
    rill_reduce_options sum = RILL_REDUCE_OPTIONS_INIT;
    rill_frame_options frame = RILL_FRAME_OPTIONS_INIT;
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *work;
    int a, rc;
    if (argc < 4) {
        fprintf(stderr, "usage: %s STATE INPUT OUTDIR [--resume] [--interval S] [--log F]\n", argv[0]);
        return 2;
    }
    co.path = argv[1];
    co.interval = 0.05;
    for (a = 4; a < argc; a++)
        if (strcmp(argv[a], "--resume") == 0)
            co.resume = 1;
        else if (strcmp(argv[a], "--interval") == 0 && a + 1 < argc)
            co.interval = atof(argv[++a]);
        else if (strcmp(argv[a], "--log") == 0 && a + 1 < argc)
            log_path = argv[++a];
    sum.store_size = sizeof(int64_t);
    sum.add = sum_add;
    sum.merge = sum_merge;
    frame.store_size = sizeof(word_store);
    frame.frame = per_word;
    frame.emit = as_line;
    d.dir = argv[3];
    d.run_id = "crash";
    o.workers = 2;
    o.batch_records = 64;
    if (rill_batch_new(&work) < 0 || rill_batch_add_text(work, argv[2]) < 0 ||
        rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_read_lines(p, "lines", 16 * 1024) < 0 ||
        rill_job(p, "words", NULL, words, NULL) < 0 ||
        rill_combine(p, "count", &count, NULL) < 0 ||
        rill_frame(p, "per word", &frame, NULL) < 0 ||
        rill_job(p, "halvings", NULL, halvings, NULL) < 0 ||
        rill_reduce(p, "sum", &sum, NULL) < 0 ||
        rill_frame_end(p, "keep", NULL, keep, NULL) < 0 || rill_output_dir(p, &d) < 0 ||
        rill_checkpointing(p, &co) < 0) {
        fprintf(stderr, "crash_pipeline: %s\n", rill_error_last());
        return 1;
    }
    pipeline = p;
    rc = rill_run(p, &o, NULL);
    if (rc == 0)
        log_restored(); /* a resume with only the publishing left */
    if (rc < 0)
        fprintf(stderr, "crash_pipeline: %s: %s\n", rill_strerror(rc), rill_error_last());
    rill_pipeline_free(p);
    return rc == 0 ? 0 : rc == RILL_EFINISHED ? 3 : 1;
}
