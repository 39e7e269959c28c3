/* bench_exec.c — the exec stage: 2,000,000 lines of 48 bytes (96 MB), five
 * times over (480 MB, 10 million records), through an external `cat` stage
 * on 2 workers (two cat processes), in records per second, against `cat`
 * alone on the same bytes (one cat reading the file five times, its output
 * read from a pipe and its lines counted, as a shell's `cat F F F F F | wc
 * -l` would). Row: exec_stage, ratio rill / cat alone. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rill.h>

#include "bench.h"

#define LINES 2000000
#define WIDTH 48 /* 47 characters and a newline */
#define PER_BATCH 4096
#define ROUNDS 5

typedef struct gen {
    const char *text;
    size_t next;
} gen;

static int lines(rill_batch *out, void *payload)
{
    gen *g = payload;
    size_t i;
    if (g->next >= (size_t)LINES * ROUNDS)
        return 0;
    for (i = 0; i < PER_BATCH && g->next < (size_t)LINES * ROUNDS; i++, g->next++)
        if (rill_batch_add(out, g->text + g->next % LINES * WIDTH, WIDTH - 1) < 0)
            return -1;
    return 1;
}

static int count(const char *sink, const rill_batch *b, void *payload)
{
    (void)sink;
    *(size_t *)payload += rill_batch_count(b);
    return 0;
}

static double through_rill(const char *text)
{
    const char *const argv[] = {"cat", NULL};
    rill_exec_options e = RILL_EXEC_OPTIONS_INIT;
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_pipeline *p;
    gen g = {text, 0};
    size_t n = 0;
    double t0;
    e.argv = argv;
    o.workers = 2;
    if (rill_pipeline_new(&p) < 0 || rill_generator(p, lines, &g) < 0 ||
        rill_exec(p, "cat", &e) < 0 || rill_output(p, count, &n) < 0)
        bench_die("exec_stage: %s", rill_error_last());
    t0 = bench_now();
    if (rill_run(p, &o, NULL) < 0)
        bench_die("exec_stage: %s", rill_error_last());
    t0 = bench_now() - t0;
    rill_pipeline_free(p);
    if (n != (size_t)LINES * ROUNDS)
        bench_die("exec_stage: %zu lines came out of the exec stage, not %d", n, LINES * ROUNDS);
    return t0;
}

/* cat FILE (ROUNDS times), its output read from a pipe here and its lines counted. */
static double cat_alone(const char *path)
{
    static char buf[1 << 16];
    size_t n = 0;
    ssize_t r, i;
    int fd[2], status;
    double t0 = bench_now();
    pid_t pid;
    if (pipe(fd) < 0)
        bench_die("exec_stage: no pipe");
    if ((pid = fork()) == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execlp("cat", "cat", path, path, path, path, path, (char *)NULL); /* ROUNDS */
        _exit(127);
    }
    close(fd[1]);
    while ((r = read(fd[0], buf, sizeof(buf))) > 0)
        for (i = 0; i < r; i++)
            n += buf[i] == '\n';
    close(fd[0]);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0 || n != (size_t)LINES * ROUNDS)
        bench_die("exec_stage: cat alone gave %zu lines", n);
    return bench_now() - t0;
}

void bench_exec(bench_ctx *c)
{
    char path[4096], note[160];
    char *text = malloc((size_t)LINES * WIDTH);
    double t[BENCH_REPS], base[BENCH_REPS], rate, brate;
    size_t i;
    int fd, rep;
    if (text == NULL)
        bench_die("out of memory");
    for (i = 0; i < LINES; i++) { /* varied lines, as a log's would be */
        snprintf(text + i * WIDTH, WIDTH + 1, "%010zu line of the exec benchmark %010zu",
                 i, (i * 2654435761u) % 10000000000u);
        text[i * WIDTH + WIDTH - 1] = '\n';
    }
    snprintf(path, sizeof(path), "%s/exec_lines.txt", c->dir);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
        write(fd, text, (size_t)LINES * WIDTH) != (ssize_t)LINES * WIDTH || close(fd) < 0)
        bench_die("exec_stage: cannot write %s", path);
    for (rep = 0; rep < BENCH_REPS; rep++) {
        t[rep] = through_rill(text);
        base[rep] = cat_alone(path);
    }
    unlink(path);
    free(text);
    rate = (double)LINES * ROUNDS / bench_median(t, BENCH_REPS);
    brate = (double)LINES * ROUNDS / bench_median(base, BENCH_REPS);
    snprintf(note, sizeof(note), "records/s through an exec `cat` stage, 2 workers, vs `cat` "
                                 "alone on the same %d MB", LINES * WIDTH / 1000000 * ROUNDS);
    bench_add(c, "exec_stage", rate, "rec/s", brate, rate / brate, note);
}
