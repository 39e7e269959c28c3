/* bench_load.c — the word count under a competing CPU load, and as its input
 * grows (issue 16 items 4 and 5).
 *
 * wordcount_loaded: the 2-worker rill word count (bench_wordcount.c's
 * pipeline: rill_read_blocks, the words_split job, a sum combine, over its
 * 200 MB Zipf text) run quiet and then beside a forked process that spins
 * on one core; its slowdown (the median over the repetitions of loaded
 * time over quiet time, the two runs seconds apart, so that the machine's
 * other load drifts less between them) against the same figure for a
 * hand-written 2-thread count (best_count.h's best_count_2: each thread
 * maps half the file and counts it with the strongest single-threaded
 * count, then the tables are merged; its output is checked equal to the
 * pipeline's). Quiet and loaded runs
 * alternate, rill and hand-written in turn, so a noisy neighbour hits both
 * alike. The note gives the CPU time slowdowns and the context switches a
 * run (getrusage, this process).
 *
 * wordcount_growth: time per MB of the 2-worker count at 1 GB over time per
 * MB at 100 MB (the same generator, seed and vocabulary; the median of the
 * ratios of runs made one after the other), each run in a
 * fresh process (rill_bench --load-child) that reports its own peak RSS
 * (VmHWM), so the bench's own memory does not count; wordcount_growth_rss
 * is the largest peak over every run of both sizes against 150 MB. Two
 * workers, not one: that is the configuration in which everything that
 * could grow with the input takes part (units split and stolen, queued
 * batches, a key table per worker). The note gives the CPU time per MB
 * ratio too, which the machine's other load moves less than the wall
 * clock. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <rill.h>

#include "bench.h"
#include "best_count.h"
#include "plain_table.h"
#include "words.h"

#define VOCAB 50000
#define SEED 42
#define SMALL_MB 100
#define LARGE_MB 1024
#define GROWTH_WORKERS 2

static void growth_rows(bench_ctx *c);

/* ---- the hand-written count: the strongest count on two threads
 * (best_count.h's best_count_2), as a plain table ---- */

/* Counts the file at path on two threads; the result in out (the caller
 * frees its slots and keys). */
static void hand_count(table *out, const char *path)
{
    best b;
    best_count_2(&b, out, path); /* out: the words of 16 bytes or more */
    best_into_plain(&b, out);    /* and the others */
    free(b.slots);
}

/* ---- measuring ---- */

typedef struct cost {
    double wall, cpu, csw, vol; /* seconds, CPU seconds, context switches, the
                                   voluntary ones (waits: futex, I/O) */
} cost;

static cost cost_now(void)
{
    struct rusage ru;
    cost c;
    getrusage(RUSAGE_SELF, &ru);
    c.wall = bench_now();
    c.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    c.csw = (double)ru.ru_nvcsw + (double)ru.ru_nivcsw;
    c.vol = (double)ru.ru_nvcsw;
    return c;
}

static cost cost_since(cost a)
{
    cost b = cost_now();
    b.wall -= a.wall;
    b.cpu -= a.cpu;
    b.csw -= a.csw;
    b.vol -= a.vol;
    return b;
}

static rill_pipeline *wordcount_pipeline(const char *path)
{
    rill_pipeline *p;
    rill_batch *work;
    if (rill_batch_new(&work) < 0 || rill_batch_add_text(work, path) < 0 ||
        rill_pipeline_new(&p) < 0 || bench_wordcount_stages(p, work) < 0)
        bench_die("%s", rill_error_last());
    return p;
}

static rill_batch *run_rill(rill_pipeline *p, int workers)
{
    rill_run_options o = RILL_RUN_OPTIONS_INIT;
    rill_batch *res;
    o.workers = workers;
    if (rill_run(p, &o, &res) < 0)
        bench_die("load: %s", rill_error_last());
    return res;
}

/* A process spinning on a core until it is killed. */
static pid_t hog_start(void)
{
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        bench_die("cannot fork the CPU hog");
    if (pid == 0) {
        volatile unsigned long x = 0;
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a bench that died */
        if (getppid() != parent)
            _exit(0);
        for (;;)
            x++;
    }
    usleep(20000); /* running before the timed run starts */
    return pid;
}

static void hog_stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

enum { RILL_Q, RILL_L, HAND_Q, HAND_L, NKINDS };

static double median_of(cost *c, int n, int field)
{
    double v[BENCH_REPS];
    int i;
    for (i = 0; i < n; i++)
        v[i] = field == 0 ? c[i].wall : field == 1 ? c[i].cpu : field == 2 ? c[i].csw : c[i].vol;
    return bench_median(v, n);
}

static void one_run(cost *out, int kind, rill_pipeline *p, const char *path, int check)
{
    cost c0 = cost_now();
    if (kind == RILL_Q || kind == RILL_L) {
        rill_batch *res = run_rill(p, 2);
        *out = cost_since(c0);
        if (check) {
            table t;
            hand_count(&t, path);
            check_equal(&t, res);
            free(t.slots);
            free(t.keys);
        }
        rill_batch_free(res);
    } else {
        table t;
        hand_count(&t, path);
        *out = cost_since(c0);
        free(t.slots);
        free(t.keys);
    }
}

void bench_load(bench_ctx *c)
{
    const char *path = bench_wordcount_input(c);
    cost m[NKINDS][BENCH_REPS];
    double med[NKINDS][4], rx[BENCH_REPS], hx[BENCH_REPS], rill_x, hand_x;
    char note[160];
    rill_pipeline *p = wordcount_pipeline(path);
    int rep, k;
    for (rep = 0; rep < BENCH_REPS; rep++) {
        int first = rep % 2 ? HAND_Q : RILL_Q, second = rep % 2 ? RILL_Q : HAND_Q;
        pid_t hog;
        one_run(&m[first][rep], first, p, path, rep == 0);
        one_run(&m[second][rep], second, p, path, 0);
        hog = hog_start();
        one_run(&m[first + 1][rep], first + 1, p, path, 0);
        one_run(&m[second + 1][rep], second + 1, p, path, 0);
        hog_stop(hog);
    }
    for (k = 0; k < NKINDS; k++)
        for (rep = 0; rep < 4; rep++)
            med[k][rep] = median_of(m[k], BENCH_REPS, rep);
    for (rep = 0; rep < BENCH_REPS; rep++) { /* per rep: quiet and loaded a moment apart */
        rx[rep] = m[RILL_L][rep].wall / m[RILL_Q][rep].wall;
        hx[rep] = m[HAND_L][rep].wall / m[HAND_Q][rep].wall;
    }
    rill_x = bench_median(rx, BENCH_REPS);
    hand_x = bench_median(hx, BENCH_REPS);
    printf("load: wall s  rill %.3f -> %.3f, hand %.3f -> %.3f\n"
           "load: cpu s   rill %.3f -> %.3f, hand %.3f -> %.3f\n"
           "load: csw/run rill %.0f -> %.0f, hand %.0f -> %.0f\n"
           "load: of them voluntary rill %.0f -> %.0f, hand %.0f -> %.0f\n",
           med[RILL_Q][0], med[RILL_L][0], med[HAND_Q][0], med[HAND_L][0], med[RILL_Q][1],
           med[RILL_L][1], med[HAND_Q][1], med[HAND_L][1], med[RILL_Q][2], med[RILL_L][2],
           med[HAND_Q][2], med[HAND_L][2], med[RILL_Q][3], med[RILL_L][3], med[HAND_Q][3],
           med[HAND_L][3]);
    snprintf(note, sizeof(note),
             "2w beside 1 spinning process, slowdown vs 2-thread C; cpu x%.2f vs x%.2f, "
             "csw %.0f->%.0f vs %.0f->%.0f; target <= 1",
             med[RILL_L][1] / med[RILL_Q][1], med[HAND_L][1] / med[HAND_Q][1], med[RILL_Q][2],
             med[RILL_L][2], med[HAND_Q][2], med[HAND_L][2]);
    bench_add(c, "wordcount_loaded", rill_x, "x", hand_x, rill_x / hand_x, note);
    rill_pipeline_free(p);
    growth_rows(c);
}

/* ---- growth ---- */

static const char *zipf_input(bench_ctx *c, int mb, char *path, size_t size)
{
    char cmd[8192];
    struct stat st;
    snprintf(path, size, "%s/zipf-%dmb-%d-%d.txt", c->dir, mb, VOCAB, SEED);
    if (stat(path, &st) == 0 && st.st_size >= (off_t)mb << 20)
        return path;
    snprintf(cmd, sizeof(cmd), "'%s' '%s' %d %d %d", c->gentext, path, mb, VOCAB, SEED);
    printf("generating %s\n", path);
    fflush(stdout);
    if (system(cmd) != 0)
        bench_die("cannot generate %s", path);
    return path;
}

/* rill_bench --load-child WORKERS PATH: one word count in this fresh
 * process; prints its seconds, its peak RSS in kB (VmHWM) and the number
 * of words found. */
int bench_load_child(const char *workers, const char *path)
{
    rill_pipeline *p = wordcount_pipeline(path);
    rill_batch *res;
    char line[256];
    long hwm = -1;
    FILE *f;
    struct rusage r0, r1;
    double t0 = bench_now(), cpu;
    getrusage(RUSAGE_SELF, &r0);
    res = run_rill(p, atoi(workers));
    t0 = bench_now() - t0;
    getrusage(RUSAGE_SELF, &r1);
    cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
          (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) * 1e-6 +
          (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
          (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) * 1e-6;
    if ((f = fopen("/proc/self/status", "r")) != NULL) {
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
                break;
        fclose(f);
    }
    if (hwm < 0) /* no /proc: getrusage's, which may count the shell's */
        hwm = r1.ru_maxrss;
    printf("%.6f %ld %zu %.6f\n", t0, hwm, rill_batch_count(res), cpu);
    rill_batch_free(res);
    rill_pipeline_free(p);
    return 0;
}

static double child_run(bench_ctx *c, const char *path, double *rss_mb, size_t *words,
                        double *cpu)
{
    char cmd[8192];
    FILE *f;
    double secs = 0;
    long kb = 0;
    snprintf(cmd, sizeof(cmd), "exec '%s' --load-child %d '%s'", c->self, GROWTH_WORKERS, path);
    if ((f = popen(cmd, "r")) == NULL || fscanf(f, "%lf %ld %zu %lf", &secs, &kb, words, cpu) != 4 ||
        pclose(f) != 0)
        bench_die("growth: the child run failed");
    if ((double)kb / 1024.0 > *rss_mb)
        *rss_mb = (double)kb / 1024.0;
    return secs;
}

static void growth_rows(bench_ctx *c)
{
    char small[4096], large[4096], note[160];
    double ts[BENCH_REPS], tl[BENCH_REPS], cs[BENCH_REPS], cl[BENCH_REPS], ratios[BENCH_REPS],
        rss = 0, ps, pl, cpu_ratio, ratio;
    size_t ws = 0, wl = 0;
    struct stat a, b;
    int rep;
    zipf_input(c, SMALL_MB, small, sizeof(small));
    zipf_input(c, LARGE_MB, large, sizeof(large));
    if (stat(small, &a) < 0 || stat(large, &b) < 0)
        bench_die("growth: inputs missing");
    for (rep = 0; rep < BENCH_REPS; rep++) { /* alternating, small first then large first */
        if (rep % 2 == 0)
            ts[rep] = child_run(c, small, &rss, &ws, &cs[rep]);
        tl[rep] = child_run(c, large, &rss, &wl, &cl[rep]);
        if (rep % 2)
            ts[rep] = child_run(c, small, &rss, &ws, &cs[rep]);
        if (ws == 0 || wl < ws)
            bench_die("growth: %zu words at %d MB, %zu at %d MB", ws, SMALL_MB, wl, LARGE_MB);
    }
    for (rep = 0; rep < BENCH_REPS; rep++) /* per rep: the two sizes seconds apart */
        ratios[rep] = (tl[rep] / (double)b.st_size) / (ts[rep] / (double)a.st_size);
    ratio = bench_median(ratios, BENCH_REPS);
    ps = bench_median(ts, BENCH_REPS) / ((double)a.st_size / (1 << 20)); /* sorts ts */
    pl = bench_median(tl, BENCH_REPS) / ((double)b.st_size / (1 << 20));
    cpu_ratio = (bench_median(cl, BENCH_REPS) / (double)b.st_size) /
                (bench_median(cs, BENCH_REPS) / (double)a.st_size);
    snprintf(note, sizeof(note),
             "%d workers, ms/MB at %d MB over at %d MB (%.3f vs %.3f); CPU time/MB x%.3f; "
             "target <= 1.05",
             GROWTH_WORKERS, LARGE_MB, SMALL_MB, pl * 1e3, ps * 1e3, cpu_ratio);
    bench_add(c, "wordcount_growth", ratio, "x", 1, ratio, note);
    snprintf(note, sizeof(note),
             "peak RSS (VmHWM) of a fresh process, any run at %d or %d MB, %d workers; "
             "target < 150 MB",
             SMALL_MB, LARGE_MB, GROWTH_WORKERS);
    bench_add(c, "wordcount_growth_rss", rss, "MB", 150, rss / 150, note);
}
