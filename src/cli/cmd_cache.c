/* cmd_cache.c — `rill cache SUB`, the source cache (rill/cache.h) from the
 * command line, and what `rill run` does with it (cli_run_cache_*):
 *
 *   rill cache list                  every cache: key, state, events, size, duration
 *   rill cache needed SPEC           is a background recording needed (yes/no)
 *   rill cache has SPEC              has the spec a source to cache (yes/no)
 *   rill cache changed SPEC          did its sources change since last asked, which
 *   rill cache run SPEC              start a recording (a detached process) if needed
 *   rill cache cancel SPEC|KEY       stop the recording of its source
 *   rill cache evict [SPEC|KEY]      cancel, and clear signatures and data (all: none)
 *   rill cache verify SPEC           check every segment's hash
 *
 * `rill run` of a spec with an unbounded source (stdin, a live source, a
 * plugin's) replays its cache: it starts the recording when one is needed
 * (a detached process that outlives the run; not for the endless sequence,
 * which gives the same numbers every run: its cache is replayed when
 * `rill cache run` made one), reads what is recorded (waiting while it
 * is recorded), and says so on standard error; --no-cache runs on the
 * source itself, --refresh-cache records anew. The cache is in .rill/cache
 * of the current folder (--cache-dir DIR). Uses the public API only. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "xalloc.h"

const char cmd_cache_help[] =
    "usage: rill cache SUBCOMMAND [--cache-dir DIR] [-s NAME.KEY=VALUE]... [SPEC]\n"
    "\n"
    "The source cache: the events of a spec's unbounded source (a command, a\n"
    "followed file, a socket, a plugin's source) recorded in the background and\n"
    "replayed by every `rill run` of it, the same every time, until the source's\n"
    "configuration changes. Kept in .rill/cache (--cache-dir DIR).\n"
    "\n"
    "  list            every cache: key, state, events, bytes, duration, why it stopped\n"
    "  needed SPEC     whether a recording is needed for SPEC (yes or no)\n"
    "  has SPEC        whether SPEC has a source to cache (yes or no)\n"
    "  changed SPEC    whether its sources changed since last asked, and which\n"
    "                  (added KEY / removed KEY); remembers the current ones\n"
    "  run SPEC        start a recording in a detached process when one is needed\n"
    "                  (--max-bytes N, default 1 GiB; --max-seconds S, default 60;\n"
    "                  --max-events N)\n"
    "  cancel SPEC|KEY stop its recording (what is recorded stays)\n"
    "  evict [SPEC|KEY] cancel, and clear the signatures and data (none: all)\n"
    "                  (a KEY as rill cache list shows it: for a spec that cannot\n"
    "                  be built while its recorder holds a listener's port)\n"
    "  verify SPEC     check the hash of every segment of its cache\n";

/* ---- what rill run does ---- */

struct cli_run_cache {
    rill_cache *c;
    rill_pipeline *p;
    int started;
    int live_after;         /* --cache-then-live */
};

static void on_gap(const char *message, void *payload)
{
    (void)payload;
    fprintf(stderr, "rill run: %s\n", message);
}

static int has_unbounded(const cli_build *b)
{
    size_t i;
    for (i = 0; i < b->nnodes; i++)
        if (b->nodes[i].unbounded)
            return 1;
    return 0;
}

static int hint_one(const rill_cache_info *info, void *payload)
{
    const char *cmd = payload;
    if (info->state == RILL_CACHE_RECORDING &&
        (strncmp(info->key, "tcp-", 4) == 0 || strncmp(info->key, "unix-", 5) == 0))
        fprintf(stderr, "%s: the source cache's recorder of %s (process %d) listens there while "
                "it records; `rill cache cancel %s` stops it\n", cmd, info->key, info->pid,
                info->key);
    return 0;
}

void cli_cache_listener_hint(const char *cmd, const char *dir)
{
    char index[4096];
    rill_cache *c = NULL;
    size_t n, i;
    const char *const *e = cli_errors(&n);
    int listener = 0;
    for (i = 0; i < n; i++)
        if (strstr(e[i], "cannot listen") || strstr(e[i], "another listener"))
            listener = 1;
    snprintf(index, sizeof(index), "%s/index.db", dir ? dir : ".rill/cache");
    if (!listener || access(index, F_OK) < 0 || rill_cache_open(&c, dir) < 0)
        return;
    rill_cache_list(c, hint_one, (void *)cmd);
    rill_cache_free(c);
    rill_error_clear();
}

cli_run_cache *cli_run_cache_begin(cli_build *b, const cli_run_cache_options *o)
{
    rill_replay_options ro = RILL_REPLAY_OPTIONS_INIT;
    rill_cache_options co = RILL_CACHE_OPTIONS_INIT;
    char key[RILL_CACHE_KEY_MAX];
    cli_run_cache *rc;
    int r;
    /* not under MPI: every rank must build the same pipeline, and a forked
     * recorder has no place among ranks */
    if (o->off || !has_unbounded(b) || rill_ranks() > 1 || !rill_cache_has_source_to_cache(b->p))
        return NULL;
    rc = cli_xcalloc(1, sizeof(*rc));
    rc->p = b->p;
    if (rill_cache_open(&rc->c, o->dir) < 0) {
        fprintf(stderr, "rill run: source cache: %s; running without it\n", rill_error_last());
        free(rc);
        return NULL;
    }
    if (rill_cache_notice(rc->c)[0])
        fprintf(stderr, "rill run: %s\n", rill_cache_notice(rc->c));
    /* the endless sequence gives the same numbers every run: a recording
     * would only cost (a core, up to max_bytes of disk). Its cache is
     * replayed when there is one (rill cache run SPEC made it), never
     * started by a run. */
    /* nor standard input on a terminal: a detached recorder would go on
     * taking what is typed after the run */
    key[0] = '\0';
    if (rill_cache_key(b->p, key, sizeof(key)) == 0 &&
        ((strncmp(key, "sequence-", 9) == 0 && !o->refresh &&
          rill_cache_is_job_needed(rc->c, b->p) != 0) ||
         (strncmp(key, "stdin-", 6) == 0 && isatty(0)))) {
        rill_cache_free(rc->c);
        free(rc);
        return NULL;
    }
    {   /* a pipe's standard input is known by the spec only: a run that
         * replays what another run was given says so, even with -q */
        struct stat st;
        if (strncmp(key, "stdin-", 6) == 0 && !o->refresh && fstat(0, &st) == 0 &&
            !S_ISREG(st.st_mode) && rill_cache_is_job_needed(rc->c, b->p) == 0)
            fprintf(stderr, "rill run: standard input: replaying the cache of %s (--no-cache "
                    "to read it)\n", o->spec ? o->spec : "this spec");
    }
    if (o->spec) { /* a source changed: the old cache is invalidated */
        char *real = realpath(o->spec, NULL);
        if (rill_cache_sources_changed(rc->c, real ? real : o->spec, b->p, NULL, NULL) < 0)
            fprintf(stderr, "rill run: source cache: %s\n", rill_error_last());
        free(real);
    }
    if (o->refresh && rill_cache_evict(rc->c, b->p) < 0)
        fprintf(stderr, "rill run: --refresh-cache: %s\n", rill_error_last());
    ro.verify = 1;
    ro.on_gap = on_gap;
    ro.live_after = o->live_after;
    if ((r = rill_cache_replay(rc->c, b->p, &ro)) == RILL_ECORRUPT)
        fprintf(stderr, "rill run: %s\n", rill_error_last());
    else if (r < 0)
        fprintf(stderr, "rill run: source cache: %s\n", rill_error_last());
    co.process = 1;
    co.max_bytes = o->max_bytes;
    co.max_ms = o->max_ms;
    if ((r = rill_cache_attempt_to_run(rc->c, b->p, &co)) < 0)
        fprintf(stderr, "rill run: source cache: cannot record: %s\n", rill_error_last());
    rc->started = r == 1;
    rc->live_after = o->live_after;
    return rc;
}

void cli_run_cache_end(cli_run_cache *rc, int quiet)
{
    rill_cache_info info;
    if (rc == NULL)
        return;
    if (!quiet && rill_cache_info_get(rc->c, rc->p, &info) == 0)
        fprintf(stderr, "rill run: source cache: the source was not read live: this run "
                "replayed a recording of it (%s, %s, %lld events%s%s%s)%s and %s; "
                "--no-cache reads it live, --refresh-cache records anew, rill cache list "
                "shows the caches\n", info.key, rill_cache_state_name(info.state),
                (long long)info.events,
                info.state == RILL_CACHE_RECORDING ? " so far" : "",
                info.note && info.note[0] ? ", stopped by: " : "",
                info.note ? info.note : "",
                rc->started ? ", recorded by a background process" : "",
                rc->live_after ? "went on live after it where the source could resume"
                : info.state == RILL_CACHE_RECORDING
                    ? "ended with it"
                    : "ended where the recording ends (at most its first 60 s or 1 GiB "
                      "by default)");
    rill_cache_free(rc->c);
    free(rc);
}

/* ---- rill cache ---- */

static int print_one(const rill_cache_info *i, void *payload)
{
    (void)payload;
    printf("%-44s %-11s %10lld %12lld %9.1fs  %s\n", i->key, rill_cache_state_name(i->state),
           (long long)i->events, (long long)i->bytes, (double)i->duration_ms / 1000.0,
           i->note && *i->note ? i->note : "-");
    return 0;
}

static int print_change(const char *key, const char *change, void *payload)
{
    (void)payload;
    printf("%s %s\n", change, key);
    return 0;
}

static int yes_no(int rc, const char *sub)
{
    if (rc < 0) {
        fprintf(stderr, "rill cache %s: %s\n", sub, rill_error_last());
        return CLI_EXIT_FAILED;
    }
    puts(rc ? "yes" : "no");
    return CLI_EXIT_OK;
}

static int number(const char *opt, const char *arg, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (*arg == '\0' || *end || v < 0) {
        fprintf(stderr, "rill cache: %s: expected a number of at least 0, got '%s'\n", opt, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/* Whether arg is a cache key (KIND-32 hex digits) rather than a spec's path:
 * a name that is not a file, ending in '-' and 32 hex digits. */
static int is_key(const char *arg)
{
    size_t n = strlen(arg), i;
    if (access(arg, F_OK) == 0 || n < 34 || arg[n - 33] != '-')
        return 0;
    for (i = n - 32; i < n; i++)
        if (!strchr("0123456789abcdef", arg[i]))
            return 0;
    return 1;
}

static const char usage[] =
    "usage: rill cache list|needed|has|changed|run|cancel|evict|verify [--cache-dir DIR]\n"
    "                  [-s NAME.KEY=VALUE]... [SPEC]\n";

int cmd_cache(int argc, char **argv)
{
    static const struct option longs[] = {
        {"cache-dir", required_argument, NULL, 'd'},
        {"set", required_argument, NULL, 's'},
        {"max-bytes", required_argument, NULL, 'B'},
        {"max-seconds", required_argument, NULL, 'S'},
        {"max-events", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    rill_cache_options co = RILL_CACHE_OPTIONS_INIT;
    const char *dir = NULL, *sub, *key = NULL;
    cli_sets sets = {NULL, 0};
    spec *s = NULL;
    cli_build *b = NULL;
    rill_cache *c = NULL;
    double v;
    int opt, rc, status = CLI_EXIT_OK;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(cmd_cache_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    sub = argv[1];
    argv[1] = (char *)"rill cache";
    optind = 1;
    while ((opt = getopt_long(argc - 1, argv + 1, "s:h", longs, NULL)) != -1) {
        switch (opt) {
        case 'd': dir = optarg; break;
        case 's': cli_sets_add(&sets, optarg); break;
        case 'B': if (number("--max-bytes", optarg, &v) < 0) goto usage; co.max_bytes = (int64_t)v; break;
        case 'S': if (number("--max-seconds", optarg, &v) < 0) goto usage; co.max_ms = (int64_t)(v * 1000); break;
        case 'E': if (number("--max-events", optarg, &v) < 0) goto usage; co.max_events = (int64_t)v; break;
        case 'h': fputs(cmd_cache_help, stdout); free(sets.v); return CLI_EXIT_OK;
        default: goto usage;
        }
    }
    argc--;
    argv++;
    if (strcmp(sub, "list") != 0 && strcmp(sub, "needed") != 0 && strcmp(sub, "has") != 0 &&
        strcmp(sub, "changed") != 0 && strcmp(sub, "run") != 0 && strcmp(sub, "cancel") != 0 &&
        strcmp(sub, "evict") != 0 && strcmp(sub, "verify") != 0) {
        fprintf(stderr, "rill cache: no subcommand '%s'\n", sub);
        goto usage;
    }
    if (strcmp(sub, "list") == 0 ? optind != argc
        : strcmp(sub, "evict") == 0 ? optind < argc - 1
                                    : optind != argc - 1)
        goto usage;
    if (optind == argc - 1 && (strcmp(sub, "cancel") == 0 || strcmp(sub, "evict") == 0) &&
        is_key(argv[optind])) {
        key = argv[optind]; /* a cache's key, as rill cache list shows it */
    } else if (optind == argc - 1) {
        rc = cli_prepare(&s, &b, argv[optind], sets.v, sets.n, 1);
        if (rc != CLI_EXIT_OK) {
            cli_cache_listener_hint("rill cache", dir);
            free(sets.v);
            return rc;
        }
    }
    free(sets.v);
    sets.v = NULL;
    if (rill_cache_open(&c, dir) < 0) {
        fprintf(stderr, "rill cache %s: %s\n", sub, rill_error_last());
        status = CLI_EXIT_FAILED;
        goto done;
    }
    if (rill_cache_notice(c)[0])
        fprintf(stderr, "rill cache %s: %s\n", sub, rill_cache_notice(c));
    if (strcmp(sub, "list") == 0) {
        printf("%-44s %-11s %10s %12s %10s  %s\n", "KEY", "STATE", "EVENTS", "BYTES",
               "DURATION", "NOTE");
        rc = rill_cache_list(c, print_one, NULL);
    } else if (strcmp(sub, "has") == 0) {
        status = yes_no(rill_cache_has_source_to_cache(b->p), sub);
        goto done;
    } else if (strcmp(sub, "needed") == 0) {
        status = yes_no(rill_cache_is_job_needed(c, b->p), sub);
        goto done;
    } else if (strcmp(sub, "changed") == 0) {
        char *real = realpath(argv[optind], NULL);
        rc = rill_cache_sources_changed(c, real ? real : argv[optind], b->p, print_change, NULL);
        free(real);
        if (rc >= 0)
            puts(rc ? "changed" : "unchanged");
    } else if (strcmp(sub, "run") == 0) {
        co.process = 1;
        if ((rc = rill_cache_attempt_to_run(c, b->p, &co)) >= 0) {
            rill_cache_info info;
            if (rc == 1 && rill_cache_info_get(c, b->p, &info) == 0)
                printf("recording %s (process %d)\n", info.key, info.pid);
            else if (rc == 0)
                puts(rill_cache_has_source_to_cache(b->p) ? "not needed" : "no source to cache");
        }
    } else if (strcmp(sub, "cancel") == 0) {
        rc = key ? rill_cache_cancel_key(c, key) : rill_cache_cancel(c, b->p);
        if (rc >= 0)
            puts(rc ? "cancelled" : "nothing to cancel");
    } else if (strcmp(sub, "evict") == 0) {
        rc = key ? rill_cache_evict_key(c, key) : rill_cache_evict(c, b ? b->p : NULL);
    } else {
        rill_cache_info info;
        if (rill_cache_has_source_to_cache(b->p) &&
            rill_cache_info_get(c, b->p, &info) == RILL_ENOTFOUND) {
            rill_error_clear();
            puts("nothing recorded");
        } else if ((rc = rill_cache_verify(c, b->p)) == 0) {
            puts("ok");
        }
    }
    if (rc < 0) {
        fprintf(stderr, "rill cache %s: %s\n", sub, rill_error_last());
        status = CLI_EXIT_FAILED;
    }
done:
    rill_cache_free(c);
    cli_build_free(b);
    spec_free(s);
    return status;
usage:
    fputs(usage, stderr);
    free(sets.v);
    return CLI_EXIT_USAGE;
}
