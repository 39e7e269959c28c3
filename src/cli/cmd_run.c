/* cmd_run.c — `rill run SPEC`: builds the spec and runs it, with workers,
 * checkpoints and resume, a batch limit, an output folder and -s
 * overrides, under the feedback of feedback.h (the progress line on a
 * terminal, the summary line, --metrics and --report).
 *
 * Interrupts. With checkpointing (--checkpoint or --resume), the first
 * SIGINT wakes a watcher thread through a pipe (all a handler may do). The
 * watcher waits for the state file to be still (what the run's start
 * writes is no checkpoint), asks the run for a checkpoint
 * (rill_checkpoint_request), waits until the file has changed and then
 * stayed still (the checkpoint's transaction is committed) and exits 3.
 * Exiting there is what a crash right after a checkpoint is, which resumes
 * (the state file is made for kill -9). A second SIGINT exits at once
 * (130). Without checkpointing SIGINT keeps its default action. A SIGINT
 * ignored when rill starts (inherited: a background job of a shell without
 * job control, nohup-like wrappers) stays ignored, with checkpointing too,
 * as POSIX programs do: no handler is installed, and the disposition found
 * is the one left at the end (children inherit it as it was). `running`
 * is read by the watcher and cleared by the main thread, under lock, before
 * the pipeline is freed. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "feedback.h"
#include "output.h"
#include "stage_exec.h"
#include "xalloc.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static rill_pipeline *running;     /* the pipeline an interrupt asks a checkpoint
                                      of; NULL once the run is over (lock) */
static volatile sig_atomic_t interrupts;
static int wake[2] = {-1, -1};
static const char *state_path;     /* NULL: the default, in .rill/ */

static void on_sigint(int sig)
{
    (void)sig;
    if (interrupts++ > 0)
        _exit(130);
    if (wake[1] >= 0) {
        ssize_t w = write(wake[1], "x", 1);
        (void)w;
    }
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* The first interrupt of a checkpointed run: asks for a checkpoint, waits
 * until one is committed and what it held written out, then exits 3. The
 * request is made again until the run takes it (one made before the run
 * started is not for it). */
static void *watch(void *arg)
{
    long long before = -1;
    char c;
    int asked = 0;
    (void)arg;
    while (read(wake[0], &c, 1) < 0 && errno == EINTR)
        ;
    fprintf(stderr, "rill: interrupted: taking a checkpoint (interrupt again to stop at once)\n");
    for (;;) {
        pthread_mutex_lock(&lock);
        if (running && before < 0)
            before = rill_checkpoint_count(running);
        if (running && asked % 20 == 0)
            rill_checkpoint_request(running);
        if (running && rill_checkpoint_count(running) > before && before >= 0) {
            pthread_mutex_unlock(&lock);
            break;
        }
        pthread_mutex_unlock(&lock);
        asked++;
        pause_ms(10);
    }
    cli_output_flush(); /* what the checkpoint covered, out before the exit */
    fprintf(stderr, "rill: interrupted with a checkpoint in %s: run again with --resume\n",
            state_path ? state_path : ".rill/");
    _exit(CLI_EXIT_INTERRUPTED);
    return NULL;
}

/* Whether a file the run writes at its end can be written: said before the
 * run rather than after it (a file made to find out is removed again). */
static int writable(const char *path, const char *option)
{
    struct stat st;
    int existed;
    FILE *f;
    if (path == NULL || rill_rank() != 0)
        return 1;
    existed = stat(path, &st) == 0;
    if ((f = fopen(path, "a")) == NULL) {
        fprintf(stderr, "rill run: %s %s: %s\n", option, path, strerror(errno));
        return 0;
    }
    fclose(f);
    if (!existed)
        unlink(path);
    return 1;
}

static const char usage[] =
    "usage: rill run [-w N] [--checkpoint FILE [--checkpoint-interval S]] [--resume]\n"
    "                [--max-batches N] [-o DIR] [-s NAME.KEY=VALUE]... [-q]\n"
    "                [--metrics FILE] [--report FILE.html] [--no-cache | --refresh-cache]\n"
    "                [--cache-then-live] [--cache-dir DIR] [--cache-max-bytes N]\n"
    "                [--cache-max-seconds S] SPEC\n";

static int count_arg(const char *opt, const char *arg, long long min, long long *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(arg, &end, 10);
    if (*arg == '\0' || *end || errno || v < min) {
        fprintf(stderr, "rill run: %s: expected a whole number of at least %lld, got '%s'\n",
                opt, min, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/* Starts the feedback of b's run: its stages and edges as built (a chain's
 * too), in bytes when a source reads files of lines. NULL after a message. */
static cli_feedback *feedback_start(const cli_build *b, const char *spec_path, int quiet,
                                    const char *metrics, const char *report)
{
    cli_feedback_options fo = CLI_FEEDBACK_OPTIONS_INIT;
    cli_feedback_stage *st = cli_xmalloc((b->nnodes ? b->nnodes : 1) * sizeof(*st));
    cli_feedback_named_edge *ed = cli_xmalloc((b->nedges + b->nloops + 1) * sizeof(*ed));
    cli_feedback *fb;
    size_t i;
    for (i = 0; i < b->nnodes; i++) {
        st[i].name = b->nodes[i].name;
        st[i].kind = b->nodes[i].kind;
        if (b->nodes[i].kind && strcmp(b->nodes[i].kind, "lines") == 0)
            fo.unit = CLI_PROGRESS_BYTES;
    }
    for (i = 0; i < b->nedges; i++) {
        ed[i].from = b->edges[i].from;
        ed[i].to = b->edges[i].to;
    }
    for (i = 0; i < b->nloops; i++) { /* loop_input: edges: a stage on a loop is no sink */
        ed[b->nedges + i].from = b->loops[i].from;
        ed[b->nedges + i].to = b->loops[i].to;
    }
    fo.spec = spec_path;
    fo.stages = st;
    fo.nstages = b->nnodes;
    fo.named_edges = ed;
    fo.nnamed_edges = b->nedges + b->nloops;
    fo.quiet = quiet;
    fo.metrics_path = metrics;
    fo.report_path = report;
    fb = cli_feedback_start(b->p, &fo); /* copies what it keeps */
    free(st);
    free(ed);
    return fb;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longs[] = {
        {"workers", required_argument, NULL, 'w'},
        {"checkpoint", required_argument, NULL, 'c'},
        {"checkpoint-interval", required_argument, NULL, 'i'},
        {"resume", no_argument, NULL, 'r'},
        {"max-batches", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"metrics", required_argument, NULL, 'M'},
        {"report", required_argument, NULL, 'R'},
        {"no-cache", no_argument, NULL, 'N'},
        {"refresh-cache", no_argument, NULL, 'F'},
        {"cache-then-live", no_argument, NULL, 'L'},
        {"cache-dir", required_argument, NULL, 'D'},
        {"cache-max-bytes", required_argument, NULL, 'B'},
        {"cache-max-seconds", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cli_run_cache_options cache_o = {0, 0, 0, NULL, NULL, 0, 0};
    cli_run_cache *cache = NULL;
    long long cache_n = 0;
    rill_run_options ro = RILL_RUN_OPTIONS_INIT;
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    cli_sets sets = {NULL, 0};
    const char *checkpoint = NULL, *dir = NULL, *metrics = NULL, *report = NULL;
    long long workers = 0, max_batches = 0, interval = 10;
    int c, rc, quiet = 0, resume = 0, status;
    char *dirset = NULL;
    spec *s = NULL;
    cli_build *b = NULL;
    cli_feedback *fb;
    pthread_t watcher;
    struct sigaction found;
    int sigint_ignored; /* inherited as ignored: it stays so */

    sigint_ignored = sigaction(SIGINT, NULL, &found) == 0 && found.sa_handler == SIG_IGN;

    while ((c = getopt_long(argc, argv, "w:o:s:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'w': if (count_arg("--workers", optarg, 1, &workers) < 0) goto usage; break;
        case 'c': checkpoint = optarg; break;
        case 'i': if (count_arg("--checkpoint-interval", optarg, 0, &interval) < 0) goto usage; break;
        case 'r': resume = 1; break;
        case 'm': if (count_arg("--max-batches", optarg, 1, &max_batches) < 0) goto usage; break;
        case 'o': dir = optarg; break;
        case 's': cli_sets_add(&sets, optarg); break;
        case 'q': quiet = 1; break;
        case 'M': metrics = optarg; break;
        case 'R': report = optarg; break;
        case 'N': cache_o.off = 1; break;
        case 'F': cache_o.refresh = 1; break;
        case 'L': cache_o.live_after = 1; break;
        case 'D': cache_o.dir = optarg; break;
        case 'B': if (count_arg("--cache-max-bytes", optarg, 1, &cache_n) < 0) goto usage;
                  cache_o.max_bytes = cache_n; break;
        case 'T': if (count_arg("--cache-max-seconds", optarg, 1, &cache_n) < 0) goto usage;
                  cache_o.max_ms = cache_n * 1000; break;
        case 'h': fputs(cmd_help("run"), stdout); free(sets.v); return CLI_EXIT_OK;
        default: goto usage;
        }
    }
    if (optind != argc - 1)
        goto usage;
    if (dir) { /* -o DIR is output.dir=DIR, after the -s overrides */
        size_t n = strlen(dir) + 16;
        dirset = cli_xmalloc(n);
        snprintf(dirset, n, "output.dir=%s", dir);
        cli_sets_add(&sets, dirset);
    }
    rc = cli_prepare(&s, &b, argv[optind], sets.v, sets.n, (int)workers);
    free(sets.v);
    sets.v = NULL;
    if (rc != CLI_EXIT_OK) {
        cli_cache_listener_hint("rill run", cache_o.dir);
        free(dirset);
        return rc;
    }
    if (b->missing) {
        cli_missing_input(b);
        cli_print_errors();
        status = CLI_EXIT_USAGE;
        goto done;
    }
    if (b->output_needs_dir) {
        cli_error(&s->output, b->output_needs_dir, "option '%s' needs a folder: give dir: "
                  "(or -o DIR)", b->output_needs_dir);
        cli_print_errors();
        status = CLI_EXIT_USAGE;
        goto done;
    }
    /* before any thread starts: a recording is a forked process */
    cache_o.spec = argv[optind];
    cache = cli_run_cache_begin(b, &cache_o);
    if (checkpoint || resume) {
        co.path = checkpoint;
        co.resume = resume;
        co.interval = (double)interval;
        state_path = checkpoint;
        if ((rc = rill_checkpointing(b->p, &co)) < 0) {
            fprintf(stderr, "rill run: --checkpoint: %s\n", rill_error_last());
            status = CLI_EXIT_USAGE;
            goto done;
        }
        if (!sigint_ignored && pipe(wake) == 0 &&
            pthread_create(&watcher, NULL, watch, NULL) == 0) {
            struct sigaction sa;
            pthread_detach(watcher);
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_sigint;
            sigemptyset(&sa.sa_mask);
            pthread_mutex_lock(&lock);
            running = b->p;
            pthread_mutex_unlock(&lock);
            sigaction(SIGINT, &sa, NULL);
        }
    }
    if (max_batches && !b->generator && !quiet)
        fprintf(stderr, "rill run: --max-batches: the source '%s' is not read in batches of a "
                "generator (only records sources are); it reads to its end\n",
                s->sources[0].name);
    ro.workers = (int)workers;
    ro.max_batches = (size_t)max_batches;
    if (!writable(metrics, "--metrics") || !writable(report, "--report")) {
        status = CLI_EXIT_USAGE;
        goto done;
    }
    if ((fb = feedback_start(b, argv[optind], quiet, metrics, report)) == NULL) {
        status = CLI_EXIT_FAILED;
        goto done;
    }
    rc = rill_run(b->p, &ro, NULL);
    cli_feedback_stop(fb); /* the progress line is cleared: messages start a line */
    if (cli_output_flush() < 0 && rc == 0)
        rc = RILL_EIO;
    if (rc == RILL_EFINISHED && resume) { /* nothing left to do: not a failure */
        fprintf(stderr, "rill run: nothing to resume: %s\n", rill_error_last());
        status = CLI_EXIT_OK;
    } else {
        if (rc < 0 && !cli_output_pipe_closed())
            fprintf(stderr, "rill run: %s: %s\n", rill_strerror(rc), rill_error_last());
        status = rc < 0 && !cli_output_pipe_closed() ? CLI_EXIT_FAILED : CLI_EXIT_OK;
    }
    /* the summary line, --metrics and --report (rank 0 only) */
    if (cli_feedback_end(fb, status == CLI_EXIT_OK ? 0 : rc) < 0 && status == CLI_EXIT_OK)
        status = CLI_EXIT_FAILED;
    if (!quiet && rill_rank() == 0)
        cli_exec_summary(b); /* exec stages' skipped records (stage_exec.c) */
    cli_run_cache_end(cache, quiet);
    cache = NULL;
done:
    if (!sigint_ignored) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigaction(SIGINT, &sa, NULL);
    }
    pthread_mutex_lock(&lock);
    running = NULL;
    pthread_mutex_unlock(&lock);
    cli_run_cache_end(cache, 1);
    cli_build_free(b);
    spec_free(s);
    free(dirset);
    return status;
usage:
    fputs(usage, stderr);
    free(sets.v);
    return CLI_EXIT_USAGE;
}
