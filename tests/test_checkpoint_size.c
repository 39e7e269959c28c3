/* test_checkpoint_size.c — what a checkpoint holds while a file is read:
 * the records of the moment, not the rest of the file. A checkpoint due
 * while a worker reads a large file unit and runs what it emits inline
 * (stages hand records on to the queues once a checkpoint is due) ends the
 * unit at its next claim, its rest queued as a unit; before, the unit read
 * on to its end, everything it read waited in the queues and was saved:
 * the state file grew to the size of the input. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "words.h"

static char dir[256], text[300], state[300];
static atomic_int running;
static atomic_llong most; /* the largest state file + WAL seen */

static long long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void *watch(void *arg)
{
    char wal[320];
    (void)arg;
    snprintf(wal, sizeof(wal), "%s-wal", state);
    while (atomic_load(&running)) {
        long long n = size_of(state) + size_of(wal);
        if (n > atomic_load(&most))
            atomic_store(&most, n);
        usleep(500);
    }
    return NULL;
}

static void a_checkpoint_in_the_middle_of_a_large_file_saves_little(void **st)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_run_options o = with_workers(2);
    rill_pipeline *p;
    rill_batch *work, *res;
    pthread_t watcher;
    FILE *f;
    char cmd[400];
    int i;
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/rill-test-ckpt-size-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(text, sizeof(text), "%s/text.txt", dir);
    snprintf(state, sizeof(state), "%s/state.db", dir);
    assert_non_null(f = fopen(text, "wb"));
    for (i = 0; i < 1200000; i++) /* 48 MB: one unit of the line source */
        fprintf(f, "word%d other%d and some more words to count in this line\n", i % 5000,
                i % 77);
    fclose(f);
    co.path = state;
    co.interval = 0.01;
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, text), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "lines", 0), 0);
    assert_int_equal(rill_job(p, "split", NULL, words_split, NULL), 0);
    assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    atomic_store(&running, 1);
    assert_int_equal(pthread_create(&watcher, NULL, watch, NULL), 0);
    assert_int_equal(rill_run(p, &o, &res), 0);
    atomic_store(&running, 0);
    pthread_join(watcher, NULL);
    assert_true(rill_checkpoint_count(p) >= 1);
    assert_int_equal(rill_batch_count(res), 11); /* words are letters: "word", "other"... */
    for (i = 0; i < 11; i++) {
        rill_record r;
        assert_int_equal(rill_batch_get(&r, res, (size_t)i), 0);
        assert_int_equal(i64(&r), 1200000); /* every line counted once */
    }
    /* a few MB of state at most, not the 48 of text */
    if (atomic_load(&most) >= 12 << 20)
        fail_msg("the state file and its WAL reached %lld bytes", atomic_load(&most));
    rill_batch_free(res);
    rill_pipeline_free(p);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_checkpoint_in_the_middle_of_a_large_file_saves_little),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
