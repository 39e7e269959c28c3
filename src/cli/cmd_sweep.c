/* cmd_sweep.c — `rill sweep SPEC` (docs/sweep.md): reads the sweep spec
 * (sweep_spec.c), runs it with rill_sweep_run (rill/sweep.h) on every core
 * and under mpirun on every rank, and prints the table: aligned when
 * standard output is a terminal, CSV otherwise and under Open MPI's mpirun
 * (which gives ranks a terminal even when its output goes to a file;
 * --format to choose; --csv
 * FILE writes the CSV to a file as well), and --report FILE.html. On a
 * terminal a progress line on standard error shows the combinations and
 * trials done. Checkpoints and resume as `rill run`'s (--checkpoint,
 * --resume): a sweep killed (kill -9 too) and resumed loses no trial a
 * checkpoint recorded and runs none of them again. Only rank 0 prints.
 *
 * Interrupts, as `rill run`'s: with checkpointing the first SIGINT wakes a
 * watcher thread through a pipe, which asks the sweep for a checkpoint
 * (rill_sweep_checkpoint_request, again until the run takes it), waits
 * until one more is committed (the trials running finish first: they are
 * in process groups of their own, which ^C does not reach) and exits 3; a
 * second SIGINT stops the trial commands running (SIGTERM to their
 * groups) and exits at once (130). Trials started after the checkpoint
 * are stopped at the exit 3 too. A SIGINT ignored when rill starts stays
 * ignored. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "compile_spec.h"
#include "sweep_cli.h"

const char cmd_sweep_help[] =
    "usage: rill sweep [OPTION]... SPEC\n"
    "\n"
    "Runs the parameter sweep of SPEC (docs/sweep.md): every combination of its\n"
    "parameters (lists or ranges) for a number of trials, fixed or grown until\n"
    "the mean of every output is known to a relative error at 95% confidence.\n"
    "Prints a row per combination: the parameters, the trials, then the mean,\n"
    "standard deviation and standard error of each output; aligned on a\n"
    "terminal, CSV otherwise and under mpirun (-f table to choose).\n"
    "\n"
    "  -w, --workers N            worker threads (default: every core)\n"
    "      --trials N             N trials per combination (overrides trials:)\n"
    "      --rel-error E          grow trials until every mean is known to E\n"
    "      --min-trials N, --max-trials N   bounds of grown trials (default 5, 1000)\n"
    "      --seed N               the seed of every trial's seed\n"
    "  -f, --format table|csv     what standard output gets\n"
    "      --csv FILE             write the table as CSV into FILE too\n"
    "      --report FILE.html     a self-contained page: the table and each\n"
    "                             output's mean with error bars against each parameter\n"
    "      --checkpoint FILE      checkpoint the sweep into FILE (SQLite)\n"
    "      --checkpoint-interval S  seconds between checkpoints (default 1)\n"
    "      --resume               continue from the checkpoint (default file: .rill/)\n"
    "  -q, --quiet                no progress line\n"
    "\n"
    "SIGINT with checkpointing takes a checkpoint once the trials running finish\n"
    "and exits 3; a second one stops the trials running and exits at once (130). Exit status: 0 done, 1 the sweep failed, 2 usage or spec error,\n"
    "3 interrupted with a checkpoint.\n";

static const char usage[] =
    "usage: rill sweep [-w N] [--trials N | --rel-error E] [--min-trials N] [--max-trials N]\n"
    "                  [--seed N] [-f table|csv] [--csv FILE] [--report FILE.html]\n"
    "                  [--checkpoint FILE [--checkpoint-interval S]] [--resume] [-q] SPEC\n";

/* the interrupts so far: a handler may run on any thread, two at once */
static atomic_int interrupts;
/* Whether the run is over (under quit_lock): the watcher then exits no
 * more, and the main thread prints the table undisturbed; a watcher that
 * exits holds quit_lock until it is gone. */
static pthread_mutex_t quit_lock = PTHREAD_MUTEX_INITIALIZER;
static int run_over;
static int wake[2] = {-1, -1};
static rill_sweep *interrupted_sweep; /* set before the handler is installed */
static const char *state_path;
/* The progress line and the interrupt messages take turns (line_lock); once
 * interrupted no progress line is drawn again, so each message starts a
 * line of its own. */
static pthread_mutex_t line_lock = PTHREAD_MUTEX_INITIALIZER;
static int line_off;

static void on_sigint(int sig)
{
    (void)sig;
    if (atomic_fetch_add(&interrupts, 1) > 0) {
        sweep_exec_stop_all(); /* in groups of their own: ^C did not reach them */
        _exit(130);
    }
    if (wake[1] >= 0) {
        ssize_t w = write(wake[1], "x", 1);
        (void)w;
    }
}

static void *watch(void *arg)
{
    long long before;
    char c;
    int asked = 0;
    (void)arg;
    while (read(wake[0], &c, 1) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&line_lock);
    line_off = 1;
    fprintf(stderr, "%srill sweep: interrupted: taking a checkpoint once the trials running "
            "finish (interrupt again to stop them and exit at once)\n",
            isatty(2) ? "\r\033[K" : "");
    pthread_mutex_unlock(&line_lock);
    before = rill_sweep_checkpoint_count(interrupted_sweep);
    for (;;) {
        struct timespec t = {0, 10000000L};
        pthread_mutex_lock(&quit_lock);
        if (run_over) { /* finished meanwhile: the table is printed, exit 0 */
            pthread_mutex_unlock(&quit_lock);
            return NULL;
        }
        if (rill_sweep_checkpoint_count(interrupted_sweep) > before)
            break; /* keeps quit_lock until _exit */
        pthread_mutex_unlock(&quit_lock);
        if (asked++ % 20 == 0)
            rill_sweep_checkpoint_request(interrupted_sweep);
        nanosleep(&t, NULL);
    }
    fprintf(stderr, "rill sweep: interrupted with a checkpoint in %s: run again with --resume\n",
            state_path ? state_path : ".rill/");
    sweep_exec_stop_all(); /* trials started after the checkpoint: they run again */
    _exit(CLI_EXIT_INTERRUPTED);
    return NULL;
}

/* With checkpointing, SIGINT takes a checkpoint and exits 3 (above). */
static void catch_interrupts(rill_sweep *s, const char *checkpoint)
{
    struct sigaction found, sa;
    pthread_t watcher;
    if (sigaction(SIGINT, NULL, &found) == 0 && found.sa_handler == SIG_IGN)
        return;
    if (pipe2(wake, O_CLOEXEC) != 0 || pthread_create(&watcher, NULL, watch, NULL) != 0)
        return;
    pthread_detach(watcher);
    interrupted_sweep = s;
    state_path = checkpoint;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

typedef struct progress_line {
    struct timespec last;
    int shown;
} progress_line;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_progress(const rill_sweep_progress *p, void *payload)
{
    progress_line *l = payload;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (l->shown && (t.tv_sec - l->last.tv_sec) * 1000 + (t.tv_nsec - l->last.tv_nsec) / 1000000
                        < 100 && p->combinations_done < p->combinations)
        return;
    pthread_mutex_lock(&line_lock);
    if (!line_off) {
        l->last = t;
        l->shown = 1;
        fprintf(stderr, "\r\033[Krill sweep: %zu/%zu combinations, %llu trials",
                p->combinations_done, p->combinations, (unsigned long long)p->trials_done);
        fflush(stderr);
    }
    pthread_mutex_unlock(&line_lock);
}

static int count_arg(const char *opt, const char *arg, long long min, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(arg, &end, 10);
    if (*arg == '\0' || *end || errno || *out < min) {
        fprintf(stderr, "rill sweep: %s: expected a whole number of at least %lld, got '%s'\n",
                opt, min, arg);
        return -1;
    }
    return 0;
}

static int write_csv(const char *path, const rill_sweep_table *t)
{
    FILE *f = fopen(path, "w");
    int rc;
    if (f == NULL) {
        fprintf(stderr, "rill sweep: --csv %s: %s\n", path, strerror(errno));
        return -1;
    }
    rc = rill_sweep_table_write(t, f, RILL_SWEEP_CSV);
    if (fclose(f) != 0 || rc < 0) {
        fprintf(stderr, "rill sweep: --csv %s: cannot write it\n", path);
        return -1;
    }
    return 0;
}

/* Whether file is another command's spec (a pipeline's: sources: or
 * stages:, a compile's: compile:), which is said with the command to run
 * it (the reverse of cli_prepare's in cmd_check.c). */
static int another_commands_spec(const char *file, int say)
{
    spec_node *root;
    int pipeline = 0, compile = compile_spec_sniff(file) == 1;
    if (!compile && sweep_spec_sniff(file) == 0 && (root = spec_sniff_tree(file)) != NULL) {
        pipeline = spec_map_get(root, "sources") || spec_map_get(root, "stages");
        spec_node_free(root);
    }
    if (!say)
        ;
    else if (compile)
        fprintf(stderr, "%s: a compile spec (compile:): run it with 'rill compile %s'\n", file,
                file);
    else if (pipeline)
        fprintf(stderr, "%s: a pipeline spec (sources: and stages:): run it with 'rill run "
                "%s'\n", file, file);
    return compile || pipeline;
}

int cmd_sweep_check(const char *file, int quiet)
{
    sweep_spec sp;
    if (sweep_spec_load(&sp, file) < 0) {
        cli_print_errors();
        sweep_spec_free(&sp);
        return CLI_EXIT_USAGE;
    }
    if (!quiet)
        printf("%s: ok (a sweep: %zu combination%s, %zu output%s, a %s trial)\n", file,
               rill_sweep_combinations(sp.sweep),
               rill_sweep_combinations(sp.sweep) == 1 ? "" : "s", rill_sweep_outputs(sp.sweep),
               rill_sweep_outputs(sp.sweep) == 1 ? "" : "s", sp.cmd.argc ? "command" : "plugin");
    sweep_spec_free(&sp);
    return CLI_EXIT_OK;
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option longs[] = {
        {"workers", required_argument, NULL, 'w'},
        {"trials", required_argument, NULL, 't'},
        {"rel-error", required_argument, NULL, 'e'},
        {"min-trials", required_argument, NULL, 'n'},
        {"max-trials", required_argument, NULL, 'x'},
        {"seed", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'},
        {"csv", required_argument, NULL, 'C'},
        {"report", required_argument, NULL, 'R'},
        {"checkpoint", required_argument, NULL, 'c'},
        {"checkpoint-interval", required_argument, NULL, 'i'},
        {"resume", no_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long long workers = 0, trials = -1, min_t = 0, max_t = 0, seed = -1;
    double rel = 0, interval = 1, t0;
    const char *csv = NULL, *report = NULL, *checkpoint = NULL;
    int c, rc, quiet = 0, resume = 0, format = -1, status = CLI_EXIT_OK, rank;
    progress_line line = {{0, 0}, 0};
    rill_sweep_table *t = NULL;
    sweep_spec sp;
    char *end;

    while ((c = getopt_long(argc, argv, "w:f:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'w': if (count_arg("--workers", optarg, 1, &workers) < 0) goto usage; break;
        case 't': if (count_arg("--trials", optarg, 1, &trials) < 0) goto usage; break;
        case 'n': if (count_arg("--min-trials", optarg, 2, &min_t) < 0) goto usage; break;
        case 'x': if (count_arg("--max-trials", optarg, 2, &max_t) < 0) goto usage; break;
        case 'S': if (count_arg("--seed", optarg, 0, &seed) < 0) goto usage; break;
        case 'e':
        case 'i':
            errno = 0;
            (c == 'e' ? &rel : &interval)[0] = strtod(optarg, &end);
            if (*optarg == '\0' || *end || errno || (c == 'e' ? !(rel > 0) : !(interval > 0))) {
                fprintf(stderr, "rill sweep: %s: expected a positive number, got '%s'\n",
                        c == 'e' ? "--rel-error" : "--checkpoint-interval", optarg);
                goto usage;
            }
            break;
        case 'f':
            if (strcmp(optarg, "table") == 0)
                format = RILL_SWEEP_TEXT;
            else if (strcmp(optarg, "csv") == 0)
                format = RILL_SWEEP_CSV;
            else {
                fprintf(stderr, "rill sweep: --format: expected table or csv, got '%s'\n",
                        optarg);
                goto usage;
            }
            break;
        case 'C': csv = optarg; break;
        case 'R': report = optarg; break;
        case 'c': checkpoint = optarg; break;
        case 'r': resume = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(cmd_sweep_help, stdout); return CLI_EXIT_OK;
        default: goto usage;
        }
    }
    if (optind != argc - 1)
        goto usage;
    rank = rill_rank();
    if (another_commands_spec(argv[optind], rank == 0))
        return CLI_EXIT_USAGE;
    if (sweep_spec_load(&sp, argv[optind]) < 0) {
        if (rank == 0)
            cli_print_errors();
        sweep_spec_free(&sp);
        return CLI_EXIT_USAGE;
    }
    if (trials > 0) {
        sp.o.trials = trials;
    } else if (rel > 0 || min_t || max_t) {
        sp.o.trials = 0;
        if (rel > 0)
            sp.o.rel_error = rel;
        if (min_t)
            sp.o.min_trials = min_t;
        if (max_t)
            sp.o.max_trials = max_t;
    }
    if (seed >= 0)
        sp.o.seed = (uint64_t)seed;
    sp.o.workers = (int)workers;
    sp.o.checkpoint = checkpoint;
    sp.o.resume = resume;
    sp.o.checkpoint_interval = interval;
    if (!quiet && rank == 0 && isatty(2) && getenv("NO_COLOR") == NULL) {
        sp.o.progress = on_progress;
        sp.o.progress_payload = &line;
    }
    if (sp.cmd.argc)
        atexit(sweep_exec_stop_all); /* a fatal exit (out of memory) stops the trials too */
    if (checkpoint || resume)
        catch_interrupts(sp.sweep, checkpoint);
    t0 = now_s();
    rc = rill_sweep_run(&t, sp.sweep, &sp.o, sp.cmd.argc ? sweep_exec_trial : NULL, &sp.cmd);
    pthread_mutex_lock(&quit_lock); /* waits here for a watcher that is exiting */
    run_over = 1;
    pthread_mutex_unlock(&quit_lock);
    if (interrupted_sweep) { /* the watcher may no longer act: the run is over */
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigaction(SIGINT, &sa, NULL);
    }
    pthread_mutex_lock(&line_lock);
    if (line.shown && !line_off)
        fputs("\r\033[K", stderr);
    line_off = 1;
    pthread_mutex_unlock(&line_lock);
    if (rc == RILL_EFINISHED && resume) {
        if (rank == 0) /* a finished checkpoint keeps no table */
            fprintf(stderr, "rill sweep: nothing to resume: %s\nrill sweep: the sweep in %s "
                    "finished; a checkpoint keeps no table: to print it, run the sweep again "
                    "without --resume (trials that draw from their seed give the same table; "
                    "--csv FILE keeps a table)\n", rill_error_last(),
                    checkpoint ? checkpoint : ".rill/");
        status = CLI_EXIT_OK;
    } else if (rc < 0) {
        const char *why = rill_error_last(), *file = checkpoint ? checkpoint : "the checkpoint";
        if (rank != 0)
            ;
        else if (rc == RILL_EEXISTS && strstr(why, "an unfinished run of this sweep (") &&
                 strchr(why, ')')) /* "FILE holds ... (N of M combinations done); ..." */
            fprintf(stderr, "rill sweep: %s holds an unfinished run of this sweep %.*s: add "
                    "--resume to finish it, or remove %s to start over\n", file,
                    (int)(strchr(why, ')') + 1 - strchr(why, '(')), strchr(why, '('), file);
        else if ((rc == RILL_EEXISTS || rc == RILL_EPIPELINE) &&
                 strstr(why, "holds a checkpoint of another sweep"))
            fprintf(stderr, "rill sweep: %s holds a checkpoint of another sweep (other "
                    "parameters, outputs, trials or trial command): remove it or give another "
                    "--checkpoint file\n", file);
        else
            fprintf(stderr, "rill sweep: %s: %s\n", rill_strerror(rc), why);
        status = rc == RILL_EPIPELINE || rc == RILL_EEXISTS || rc == RILL_EBUSY
                     ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
    } else if (t != NULL) { /* rank 0 */
        /* Open MPI gives its ranks a pseudo-terminal whatever mpirun's
         * standard output is (> file too): under it CSV, unless -f */
        if (format < 0)
            format = isatty(1) && getenv("OMPI_COMM_WORLD_SIZE") == NULL ? RILL_SWEEP_TEXT
                                                                        : RILL_SWEEP_CSV;
        if (rill_sweep_table_write(t, stdout, format) < 0) {
            fprintf(stderr, "rill sweep: standard output: %s\n", rill_error_last());
            status = CLI_EXIT_FAILED;
        }
        if (csv && write_csv(csv, t) < 0)
            status = CLI_EXIT_FAILED;
        if (report && sweep_report_write(report, argv[optind], t, now_s() - t0) < 0)
            status = CLI_EXIT_FAILED;
        if (!quiet && isatty(2))
            fprintf(stderr, "rill sweep: %zu combinations in %.2f s\n",
                    rill_sweep_table_rows(t), now_s() - t0);
    }
    rill_sweep_table_free(t);
    sweep_spec_free(&sp);
    return status;
usage:
    fputs(usage, stderr);
    return CLI_EXIT_USAGE;
}
