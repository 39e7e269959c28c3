/* cmd_compile.c — `rill compile SPEC`: an incremental compile of catalogs
 * (rill/compile.h) as a compile spec says (compile_spec.h; docs/spec.md,
 * Compiles): opens the catalogs' file, the inputs with their jobs and the
 * output, sets up the built-in compile (compile_builtins.c) with the
 * configuration's fingerprint (every option that can change the output),
 * and runs the decision: the reason on one line of standard error, then
 * the figures. --why says the last decision and what a run would do now,
 * without running; --verify compiles in full into a scratch catalog and
 * names every key that differs. Exit status: 0 done (verify: nothing
 * differs), 1 the compile failed (verify: some key differs), 2 usage or
 * spec error. Public API only. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd_catalog.h"
#include "commands.h"
#include "compile_builtins.h"
#include "compile_spec.h"
#include "rill/fingerprint.h"
#include "xalloc.h"

static const char usage[] =
    "usage: rill compile [--why | --verify] [--self-check FRACTION] [-w N]\n"
    "                    [-s NAME.KEY=VALUE]... [-q] SPEC\n";

const char cmd_compile_help[] =
    "usage: rill compile [--why | --verify] [--self-check FRACTION] [-w N]\n"
    "                    [-s NAME.KEY=VALUE]... [-q] SPEC\n"
    "\n"
    "Compiles the input catalogs of the compile spec SPEC into its output\n"
    "catalog (docs/spec.md, Compiles): incrementally, only what changed since\n"
    "the last compile, when the decision allows it, else in full. The reason is\n"
    "printed on one line of standard error (\"rill compile: incremental: ...\" or\n"
    "\"rill compile: full: ...\"), then the figures: output keys compiled,\n"
    "partitions written and deleted, input partitions changed, time.\n"
    "\n"
    "      --why                  print the last compile's decision and what a\n"
    "                             run would decide now; compile nothing\n"
    "      --verify               compile in full into a scratch catalog and\n"
    "                             print each key whose content differs from the\n"
    "                             output's; exit 1 when any does\n"
    "      --self-check FRACTION  an incremental run also compiles this fraction\n"
    "                             (0..1, at least one key) of what it skips, and\n"
    "                             fails naming a key that differs\n"
    "  -w, --workers N            worker threads (default: every core)\n"
    "  -s, --set NAME.KEY=VALUE   override an option: compile.KEY (the compile's),\n"
    "                             CATALOG.job / .since / .to (an input's job)\n"
    "  -q, --quiet                print neither the reason nor the figures\n"
    "\n"
    "Built-in compiles (compile: kind:): postings (lower, letters_only),\n"
    "stats, concat (separator); `rill help compile` is this text.\n"
    "Exit status: 0 done (--verify: nothing differs), 1 the compile failed\n"
    "(--verify: a key differs), 2 usage or spec error.\n";

enum { MODE_RUN, MODE_WHY, MODE_VERIFY };

static int add_fp(void *payload, const char *name, const char *value)
{
    if (payload == NULL) /* rill check */
        return 0;
    if (rill_fingerprints_add_option(payload, name, value, strlen(value)) != 0) {
        fprintf(stderr, "rill compile: %s\n", rill_error_last());
        return -1;
    }
    return 0;
}

static int said_diff(const void *key, size_t len, const char *what, void *payload)
{
    (void)payload;
    printf("%s\t", what);
    cat_put_key(stdout, key, len);
    putchar('\n');
    return 0;
}

/* Reads the compile's kind and options into conf, opts and fp; -1 after
 * errors said with cli_error*. */
static int setup(compile_conf *conf, rill_compile_options *opts, rill_fingerprints *fp,
                 const compile_spec *cs)
{
    const spec_stage *st = &cs->s->stages[0];
    const char *kind = st->kind + 8; /* after "compile " */
    const compile_def *def = compile_def_find(kind);
    int rc;
    if (def == NULL) {
        const char *names[16], *near;
        size_t i;
        for (i = 0; compile_defs[i] && i < 15; i++)
            names[i] = compile_defs[i]->kind;
        names[i] = NULL;
        near = cli_did_you_mean(kind, names);
        return cli_error_at(cs->s->file, st->kind_node->line, st->kind_node->column,
                            "compile: unknown kind '%s'%s%s%s; the built-ins are postings, "
                            "stats and concat", kind, near ? " (did you mean '" : "",
                            near ? near : "", near ? "'?)" : "");
    }
    if (add_fp(fp, "compile", def->kind) < 0)
        return -1;
    rc = def->setup(conf, opts, &st->opts, add_fp, fp);
    if (cli_unknown_keys(&st->opts, def->options, 0, rc < 0) < 0)
        rc = -1;
    return rc;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run(rill_compile *c, const compile_spec *cs, int quiet)
{
    rill_compile_report r;
    double t0 = now_s();
    if (rill_compile_run(&r, c) != 0) {
        fprintf(stderr, "rill compile: %s\n", rill_error_last());
        return CLI_EXIT_FAILED;
    }
    if (!quiet) {
        fprintf(stderr, "rill compile: %s\n", r.reason);
        fprintf(stderr, "rill compile: '%s' version %lld: %llu compiled, %llu written, %llu "
                "deleted (%llu input partition%s changed", cs->output, (long long)r.version,
                (unsigned long long)r.compiled, (unsigned long long)r.written,
                (unsigned long long)r.deleted, (unsigned long long)r.inputs_changed,
                r.inputs_changed == 1 ? "" : "s");
        if (r.checked)
            fprintf(stderr, ", %llu self-checked", (unsigned long long)r.checked);
        fprintf(stderr, ") in %.3f s (decided in %.1f ms, compiled in %.1f ms, committed in "
                "%.1f ms)\n", now_s() - t0, r.decide_ms, r.compile_ms, r.commit_ms);
    }
    return CLI_EXIT_OK;
}

static int verify(rill_compile *c, const compile_spec *cs, int quiet)
{
    uint64_t n = 0;
    if (rill_compile_verify(&n, c, said_diff, NULL) != 0) {
        fprintf(stderr, "rill compile: %s\n", rill_error_last());
        return CLI_EXIT_FAILED;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "rill compile: standard output: %s\n", strerror(errno));
        return CLI_EXIT_FAILED;
    }
    if (!quiet || n)
        fprintf(stderr, "rill compile: verify: %llu key%s of '%s' differ%s from a full "
                "compile%s\n", (unsigned long long)n, n == 1 ? "" : "s", cs->output,
                n == 1 ? "s" : "", n ? "" : ": identical");
    return n ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

/* Opens the catalogs, makes the compile and does what mode says. */
static int compile(const compile_spec *cs, int mode, int workers, double check, int quiet)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    compile_conf conf;
    rill_fingerprints *fp = NULL;
    rill_catalog **in = cli_xcalloc(cs->s->nsources + 1, sizeof(*in)), *out = NULL;
    const char **names = cli_xcalloc(cs->s->nsources + 1, sizeof(*names));
    rill_compile *c = NULL;
    cat_args a;
    size_t i;
    int rc = CLI_EXIT_FAILED;
    if (rill_ranks() > 1 && mode != MODE_RUN) { /* rank 0 alone would wait for the others */
        if (rill_rank() == 0)
            fprintf(stderr, "rill compile: --why and --verify run in one process, not under "
                    "mpirun\n");
        free(in);
        free(names);
        return CLI_EXIT_USAGE;
    }
    if (rill_rank() != 0)
        quiet = 1; /* rank 0 says what the run did */
    memset(&conf, 0, sizeof(conf));
    memset(&a, 0, sizeof(a));
    a.cmd = "rill compile";
    a.db = cs->db;
    for (i = 0; i < cs->s->nsources; i++)
        names[i] = cs->s->sources[i].name;
    conf.inputs = names;
    conf.ninputs = cs->s->nsources;
    if (rill_fingerprints_new(&fp) != 0) {
        fprintf(stderr, "rill compile: %s\n", rill_error_last());
        goto out;
    }
    cli_error_reset();
    if (setup(&conf, &o, fp, cs) < 0) {
        cli_print_errors();
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    o.workers = workers;
    o.self_check = check;
    o.fingerprints = fp;
    for (i = 0; i < cs->s->nsources; i++)
        if (cat_open(&in[i], &a, names[i], 0) != CLI_EXIT_OK)
            goto out;
    if (mode == MODE_WHY) { /* an output not made yet: said, not made (--why writes nothing) */
        rill_catalog_options co = RILL_CATALOG_OPTIONS_INIT;
        co.path = cs->db;
        co.create = 0;
        if (rill_catalog_open(&out, cs->output, &co) == RILL_ENOTFOUND) {
            printf("last: none (no catalog '%s' yet); now: full: the first run is full\n",
                   cs->output);
            rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
            goto out;
        }
        rill_catalog_free(out);
        out = NULL;
    }
    if (rill_rank() == 0 && /* other ranks never write it (rill/compile.h) */
        cat_open(&out, &a, cs->output, mode == MODE_RUN) != CLI_EXIT_OK)
        goto out;
    if (rill_compile_new(&c, out, &o, &conf) != 0)
        goto failed;
    for (i = 0; i < cs->s->nsources; i++)
        if (rill_compile_input(c, in[i], &cs->jobs[i]) != 0)
            goto failed;
    if (mode == MODE_WHY) {
        char why[4096];
        if (rill_compile_why(why, sizeof(why), c) != 0)
            goto failed;
        printf("%s\n", why);
        rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    } else if (mode == MODE_VERIFY)
        rc = verify(c, cs, quiet);
    else
        rc = run(c, cs, quiet);
    goto out;
failed:
    fprintf(stderr, "rill compile: %s\n", rill_error_last());
out:
    rill_compile_free(c);
    rill_catalog_free(out);
    for (i = 0; i < cs->s->nsources; i++)
        rill_catalog_free(in[i]);
    free(in);
    free(names);
    rill_fingerprints_free(fp);
    return rc;
}

int cmd_compile_check(const char *file, char *const *sets, int nsets, int quiet)
{
    rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
    compile_conf conf;
    compile_spec *cs = NULL;
    cli_error_reset();
    memset(&conf, 0, sizeof(conf));
    if (compile_spec_load(&cs, file, sets, nsets) < 0) {
        if (cs && cs->s->nstages == 1) /* its errors too */
            setup(&conf, &o, NULL, cs);
        cli_print_errors();
        compile_spec_free(cs);
        return CLI_EXIT_USAGE;
    }
    if (setup(&conf, &o, NULL, cs) < 0) {
        cli_print_errors();
        compile_spec_free(cs);
        return CLI_EXIT_USAGE;
    }
    if (!quiet)
        printf("%s: ok (a compile: %s of %zu input%s into '%s')\n", file,
               cs->s->stages[0].kind + 8, cs->s->nsources, cs->s->nsources == 1 ? "" : "s",
               cs->output);
    compile_spec_free(cs);
    return CLI_EXIT_OK;
}

/* Whether paths a and b name one file (both there), or are the same text. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

int cmd_compile_for(const char *file, int verify_it, const char *output, const char *db,
                    int quiet)
{
    const char *cmd = verify_it ? "rill catalog verify" : "rill catalog why";
    compile_spec *cs = NULL;
    int rc;
    cli_error_reset();
    if (compile_spec_load(&cs, file, NULL, 0) < 0) {
        cli_print_errors();
        compile_spec_free(cs);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(cs->output, output) != 0) {
        fprintf(stderr, "%s: %s compiles into '%s', not '%s'\n", cmd, file, cs->output, output);
        compile_spec_free(cs);
        return CLI_EXIT_USAGE;
    }
    if (db && !same_file(db, cs->db ? cs->db : ".rill/catalogs.db")) {
        fprintf(stderr, "%s: %s keeps its catalogs in %s, not in --db %s\n", cmd, file,
                cs->db ? cs->db : ".rill/catalogs.db", db);
        compile_spec_free(cs);
        return CLI_EXIT_USAGE;
    }
    rc = compile(cs, verify_it ? MODE_VERIFY : MODE_WHY, 0, 0, quiet);
    compile_spec_free(cs);
    return rc;
}

int cmd_compile(int argc, char **argv)
{
    static const struct option longs[] = {{"why", no_argument, NULL, 'y'},
                                           {"verify", no_argument, NULL, 'V'},
                                           {"self-check", required_argument, NULL, 'c'},
                                           {"workers", required_argument, NULL, 'w'},
                                           {"set", required_argument, NULL, 's'},
                                           {"quiet", no_argument, NULL, 'q'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
    cli_sets sets = {NULL, 0};
    compile_spec *cs = NULL;
    int ch, mode = MODE_RUN, workers = 0, quiet = 0, rc;
    double check = 0;
    char *end;
    long w;
    while ((ch = getopt_long(argc, argv, "w:s:qh", longs, NULL)) != -1) {
        switch (ch) {
        case 'y':
        case 'V':
            if (mode != MODE_RUN && mode != (ch == 'y' ? MODE_WHY : MODE_VERIFY)) {
                fputs("rill compile: --why and --verify: one or the other\n", stderr);
                goto usage;
            }
            mode = ch == 'y' ? MODE_WHY : MODE_VERIFY;
            break;
        case 'c':
            errno = 0;
            check = strtod(optarg, &end);
            if (*optarg == '\0' || *end || errno || !(check >= 0 && check <= 1)) {
                fprintf(stderr, "rill compile: --self-check: expected a fraction from 0 to 1, "
                        "got '%s'\n", optarg);
                goto usage;
            }
            break;
        case 'w':
            errno = 0;
            w = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || errno || w < 1 || w > 4096) {
                fprintf(stderr, "rill compile: -w: expected a whole number from 1 to 4096, "
                        "got '%s'\n", optarg);
                goto usage;
            }
            workers = (int)w;
            break;
        case 's': cli_sets_add(&sets, optarg); break;
        case 'q': quiet = 1; break;
        case 'h': fputs(cmd_compile_help, stdout); free(sets.v); return CLI_EXIT_OK;
        default: goto usage;
        }
    }
    if (optind != argc - 1)
        goto usage;
    cli_error_reset();
    if (compile_spec_load(&cs, argv[optind], sets.v, sets.n) < 0) {
        rill_compile_options o = RILL_COMPILE_OPTIONS_INIT;
        compile_conf conf;
        memset(&conf, 0, sizeof(conf));
        if (cs && cs->s->nstages == 1) /* the compile's errors too */
            setup(&conf, &o, NULL, cs);
        cli_print_errors();
        compile_spec_free(cs);
        free(sets.v);
        return CLI_EXIT_USAGE;
    }
    free(sets.v);
    rc = compile(cs, mode, workers, check, quiet);
    compile_spec_free(cs);
    return rc;
usage:
    fputs(usage, stderr);
    free(sets.v);
    return CLI_EXIT_USAGE;
}
