/* fuzz_checkpoint.c — libFuzzer target for resuming from a state file: any
 * bytes, as the file, must resume to the right result or be refused with a
 * rill error, never crash or hang. The pipeline holds a combine, a frame
 * with a reducer inside, and a reducer at the top, so every kind of saved
 * state is read. Built with -DFUZZ_MAKE_SEED it writes seed files instead:
 *     fuzz_checkpoint_seed DIR */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rill.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t ask_at = -1, fail_at = -1;
static rill_pipeline *current;

static int keyed(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t x;
    char k[8];
    (void)payload;
    rill_record_int64(&x, in);
    if (x == ask_at)
        rill_checkpoint_request(current);
    if (x == fail_at)
        return -1;
    snprintf(k, sizeof(k), "k%d", (int)(x % 7));
    return rill_emit_keyed(out, k, strlen(k), &x, sizeof(x));
}

typedef struct fstore {
    int started;
    int64_t total;
} fstore;

static int frame_fn(rill_emitter *recur, void *store, const rill_record *first, void *payload)
{
    fstore *s = store;
    (void)payload;
    if (s->started)
        return 0;
    s->started = 1;
    return rill_emit(recur, first->data, first->len);
}

static int halves(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n;
    int rc = 0;
    (void)payload;
    if (rill_record_int64(&n, in) < 0 || n < 0 || n > 1000000)
        return -1;
    for (; n >= 1 && rc == 0; n /= 2)
        rc = rill_emit_int64(out, n);
    return rc;
}

static int add(rill_emitter *r, void *store, const rill_record *in, size_t n, void *p)
{
    size_t i;
    (void)r, (void)p;
    for (i = 0; i < n; i++) {
        int64_t v;
        if (rill_record_int64(&v, &in[i]) < 0)
            return -1;
        *(int64_t *)store += v;
    }
    return 0;
}

static int merge(void *store, void *other, void *p)
{
    int64_t v;
    (void)p;
    memcpy(&v, other, sizeof(v));
    *(int64_t *)store += v;
    return 0;
}

static int frame_end(rill_emitter *r, void *store, const rill_record *next, void *p)
{
    int64_t v;
    (void)r, (void)p;
    if (rill_record_int64(&v, next) < 0)
        return -1;
    ((fstore *)store)->total += v;
    return 0;
}

static int frame_emit(rill_emitter *out, void *store, void *p)
{
    (void)p;
    return rill_emit_int64(out, ((fstore *)store)->total);
}

static rill_pipeline *pipeline(const char *state, int resume)
{
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_combine_options c = RILL_COMBINE_SUM_INT64;
    rill_reduce_options r = RILL_REDUCE_OPTIONS_INIT;
    rill_frame_options f = RILL_FRAME_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *work;
    int64_t i;
    rill_batch_new(&work);
    for (i = 0; i < 200; i++)
        rill_batch_add_int64(work, i);
    r.store_size = sizeof(int64_t);
    r.add = add;
    r.merge = merge;
    f.store_size = sizeof(fstore);
    f.frame = frame_fn;
    f.emit = frame_emit;
    co.path = state;
    co.resume = resume;
    rill_pipeline_new(&p);
    rill_work(p, work);
    rill_job(p, "keyed", NULL, keyed, NULL);
    rill_combine(p, "count", &c, NULL);
    rill_frame(p, "frame", &f, NULL);
    rill_job(p, "halves", NULL, halves, NULL);
    rill_reduce(p, "inner", &r, NULL);
    rill_frame_end(p, "end", NULL, frame_end, NULL);
    rill_reduce(p, "total", &r, NULL);
    rill_checkpointing(p, &co);
    current = p;
    return p;
}


static void remove_state(const char *path)
{
    char side[300];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/* The results of a run, summed, and those of an uninterrupted run. */
static int64_t sum_of(const rill_batch *res)
{
    int64_t total = 0, v;
    size_t i;
    for (i = 0; i < rill_batch_count(res); i++) {
        rill_record r;
        rill_batch_get(&r, res, i);
        if (rill_record_int64(&v, &r) == 0)
            total += v * 1000003 + 1; /* counts each record too */
    }
    return total;
}

static int64_t reference(void)
{
    static int64_t ref = -1;
    if (ref < 0) {
        rill_run_options o = RILL_RUN_OPTIONS_INIT;
        char path[64];
        rill_pipeline *p;
        rill_batch *res = NULL;
        snprintf(path, sizeof(path), "/tmp/rill-fuzz-ref-%d.db", (int)getpid());
        remove_state(path);
        o.workers = 1;
        p = pipeline(path, 0);
        if (rill_run(p, &o, &res) != 0)
            __builtin_trap();
        ref = sum_of(res);
        rill_batch_free(res);
        rill_pipeline_free(p);
        remove_state(path);
    }
    return ref;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    char path[64];
    rill_pipeline *p;
    rill_batch *res = NULL;
    FILE *f;
    int rc;
    snprintf(path, sizeof(path), "/tmp/rill-fuzz-ckpt-%d.db", (int)getpid());
    remove_state(path);
    if ((f = fopen(path, "wb")) == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ask_at = fail_at = -1;
    o.workers = 1;
    o.batch_records = 8;
    p = pipeline(path, 1);
    rc = rill_run(p, &o, &res);
    if (rc > 0 || (rc == 0 && sum_of(res) != reference()))
        __builtin_trap(); /* resumed, it must end where an uninterrupted run does */
    rill_batch_free(res);
    rill_pipeline_free(p);
    remove_state(path);
    return 0;
}

#ifdef FUZZ_MAKE_SEED
/* Writes DIR/seed-<ask> for a few moments of the checkpoint. */
int main(int argc, char **argv)
{
    static const int64_t asks[] = {5, 60, 150, 199};
    size_t i;
    if (argc != 2)
        return 2;
    for (i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
        rill_run_options o = RILL_RUN_OPTIONS_INIT;
        char path[512];
        rill_pipeline *p;
        snprintf(path, sizeof(path), "%s/seed-%lld", argv[1], (long long)asks[i]);
        remove_state(path);
        ask_at = asks[i];
        fail_at = asks[i] < 199 ? asks[i] + 30 : -1;
        o.workers = 1;
        o.batch_records = 8;
        p = pipeline(path, 0);
        rill_run(p, &o, NULL);
        rill_pipeline_free(p); /* closing the file folds its WAL into it */
    }
    return 0;
}
#endif
