/* bench_checkpoint.c — what checkpoints cost: the word count (of the 200 MB
 * text four times over, since issue 16 made one pass take half a second:
 * long enough for checkpoints to happen) with a checkpoint every second
 * against none (checkpoint_overhead, ratio with / without), and the
 * seconds from the start of a resumed run to its first new record after a
 * kill -9 (resume_time). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rill.h>

#include "bench.h"

/* The text this many times over, so that a run lasts some seconds and takes
 * checkpoints (one of 200 MB takes half a second on 2 workers). */
#define TIMES 4

static long long taken; /* checkpoints of the last run */

static double wordcount(const char *text, const char *state)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *work, *res;
    double t0;
    o.workers = 2;
    co.path = state;
    co.interval = 1.0;
    int i;
    if (rill_batch_new(&work) < 0)
        bench_die("out of memory");
    for (i = 0; i < TIMES; i++)
        if (rill_batch_add_text(work, text) < 0)
            bench_die("%s", rill_error_last());
    if (rill_pipeline_new(&p) < 0 || bench_wordcount_stages(p, work) < 0 ||
        (state && rill_checkpointing(p, &co) < 0))
        bench_die("%s", rill_error_last());
    t0 = bench_now();
    if (rill_run(p, &o, &res) < 0)
        bench_die("checkpoint: %s", rill_error_last());
    t0 = bench_now() - t0;
    taken = state ? rill_checkpoint_count(p) : 0;
    rill_batch_free(res);
    rill_pipeline_free(p);
    return t0;
}

/* ---- the resumed child ---- */

static double started;
static int said;

static int first_output(const char *sink, const rill_batch *b, void *payload)
{
    (void)sink, (void)b, (void)payload;
    if (!said) {
        said = 1;
        printf("%.6f\n", bench_now() - started);
        fflush(stdout);
    }
    return 0;
}

static int upper(rill_emitter *out, const rill_record *in, void *payload)
{
    volatile int spin;
    (void)payload;
    for (spin = 0; spin < 3000; spin++) /* slow enough to be killed midway */
        ;
    return rill_emit(out, in->data, in->len < 8 ? in->len : 8);
}

/* Reads the text through a job to an output, checkpointing every 0.1 s;
 * prints the seconds to its first output. */
int bench_checkpoint_child(const char *text, const char *state, int resume)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_pipeline *p;
    rill_batch *work;
    o.workers = 2;
    co.path = state;
    co.interval = 0.1;
    co.resume = resume;
    if (rill_batch_new(&work) < 0 || rill_batch_add_text(work, text) < 0 ||
        rill_pipeline_new(&p) < 0 || rill_work(p, work) < 0 ||
        rill_read_lines(p, "lines", 1 << 20) < 0 ||
        rill_job(p, "upper", NULL, upper, NULL) < 0 ||
        rill_output(p, first_output, NULL) < 0 || rill_checkpointing(p, &co) < 0)
        bench_die("%s", rill_error_last());
    started = bench_now();
    rill_run(p, &o, NULL);
    rill_pipeline_free(p);
    return 0;
}

static pid_t child(bench_ctx *c, const char *text, const char *state, int resume, int *out)
{
    int fds[2];
    pid_t pid = -1;
    if (pipe(fds) < 0 || (pid = fork()) < 0)
        bench_die("cannot start a child");
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl(c->self, c->self, "--checkpoint-child", text, state, resume ? "1" : "0",
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *out = fds[0];
    return pid;
}

static void remove_state(const char *path)
{
    char side[4200];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

void bench_checkpoint(bench_ctx *c)
{
    const char *text = bench_wordcount_input(c);
    char state[4096];
    double with[BENCH_REPS], without[BENCH_REPS], resume[3], fresh[3];
    char note[160];
    long long most = 0;
    int rep;
    snprintf(state, sizeof(state), "%s/checkpoint.db", c->dir);
    for (rep = 0; rep < BENCH_REPS; rep++) {
        remove_state(state);
        without[rep] = wordcount(text, NULL);
        with[rep] = wordcount(text, state);
        most = taken > most ? taken : most;
    }
    snprintf(note, sizeof(note),
             "word count of 4 x 200 MB, a checkpoint every second (%lld a run) vs none, 2 "
             "workers; target <= 1.05", most);
    bench_add(c, "checkpoint_overhead", bench_median(with, BENCH_REPS), "s",
              bench_median(without, BENCH_REPS),
              bench_median(with, BENCH_REPS) / bench_median(without, BENCH_REPS), note);
    for (rep = 0; rep < 3; rep++) {
        struct timespec d = {0, 700000000L};
        char line[64] = "";
        FILE *f;
        int fd, status;
        pid_t pid;
        remove_state(state);
        pid = child(c, text, state, 0, &fd);
        nanosleep(&d, NULL); /* a few checkpoints in, then kill -9 */
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        close(fd);
        for (int k = 0; k < 2; k++) { /* resumed, then fresh for the baseline */
            if (k == 1)
                remove_state(state);
            pid = child(c, text, state, k == 0, &fd);
            f = fdopen(fd, "r");
            if (f == NULL || fgets(line, sizeof(line), f) == NULL)
                bench_die("resume: the run gave no output");
            (k == 0 ? resume : fresh)[rep] = atof(line);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fclose(f);
        }
    }
    remove_state(state);
    bench_add(c, "resume_time", bench_median(resume, 3), "s", bench_median(fresh, 3),
              bench_median(resume, 3) / bench_median(fresh, 3),
              "start to first new record, resumed after a kill -9 vs a fresh start");
}
