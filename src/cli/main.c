/* main.c — the `rill` program: picks the command (run, check, graph,
 * explain, catalog, compile, sweep, cache, help), prints the help and the version. Exit
 * codes: 0 done, 1 the run failed, 2 usage or spec error, 3 interrupted
 * with a checkpoint. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "sources.h"

#ifndef RILL_CLI_BUILD
#define RILL_CLI_BUILD "a build without its description"
#endif

static const char usage[] =
    "usage: rill COMMAND [OPTION]... SPEC\n"
    "\n"
    "Runs data pipelines described in YAML specs (rill-spec(5), docs/spec.md).\n"
    "\n"
    "Commands:\n"
    "  run SPEC       run the pipeline\n"
    "  check SPEC     check the spec without running it (every error as file:line:column)\n"
    "  graph SPEC     print the pipeline as a Graphviz DOT graph (--svg: rendered)\n"
    "  explain SPEC   print the plan: stages, batch sizes, concurrency, state\n"
    "  catalog SUB    list, read and write catalogs (versioned key -> data sets):\n"
    "                 list, ls, get, put, rm, import, export, diff, log, gc, why,\n"
    "                 verify\n"
    "  compile SPEC   compile catalogs into a catalog, incrementally when it can\n"
    "                 (--why: why not; --verify: the same as a full compile?)\n"
    "  sweep SPEC     run a parameter sweep: each output's mean, sd and se per combination\n"
    "  cache SUB      the source cache of unbounded sources: list, needed, has,\n"
    "                 changed, run, cancel, evict, verify\n"
    "  help [COMMAND] this text, or a command's; `rill help stages` (or sources) lists\n"
    "                 the kinds of stage (of source) and their options\n"
    "\n"
    "Options: --help, --version. Exit status: 0 done, 1 the run failed, 2 usage or\n"
    "spec error, 3 interrupted with a checkpoint to resume from.\n";

static const char help_run[] =
    "usage: rill run [OPTION]... SPEC\n"
    "\n"
    "Runs the pipeline of SPEC. Its output goes to standard output, or to the\n"
    "folder of output.dir / -o. On a terminal a progress line on standard error\n"
    "shows the records in and out of each stage, MB/s and an ETA; a summary line\n"
    "follows at the end (records, time, throughput, peak memory).\n"
    "\n"
    "  -w, --workers N            worker threads (default: every core)\n"
    "      --checkpoint FILE      checkpoint the run into FILE (SQLite)\n"
    "      --checkpoint-interval S  seconds between checkpoints (default 10; 0: on SIGINT only)\n"
    "      --resume               continue from the checkpoint (default file: .rill/)\n"
    "      --max-batches N        stop a records source after N batches of 1024\n"
    "  -o, --output DIR           write the output into DIR (output.dir=DIR)\n"
    "  -s, --set NAME.KEY=VALUE   override an option of a stage, source or of output;\n"
    "                             repeatable; VALUE [a, b] is a list\n"
    "  -q, --quiet                neither the progress line nor the summary line\n"
    "      --no-cache             read an unbounded source live, not its cache\n"
    "      --refresh-cache        record the source's cache anew (rill cache evict)\n"
    "      --cache-then-live      at the end of a complete cache, go on reading the\n"
    "                             source live where the recording stopped (a followed\n"
    "                             file, a sequence)\n"
    "      --cache-dir DIR        the source cache's folder (default .rill/cache)\n"
    "      --cache-max-bytes N    a new recording stops at N bytes (default 1 GiB)\n"
    "      --cache-max-seconds S  ... or after S seconds (default 60)\n"
    "      --metrics FILE         write the run's figures per stage to FILE (JSON)\n"
    "      --report FILE.html     write a self-contained page: the graph, a table\n"
    "                             per stage, charts of throughput and memory\n"
    "                             (docs/feedback.md says what both hold)\n"
    "\n"
    "A spec with an unbounded source (a command, a followed file, a socket, a\n"
    "plugin's source) replays that source's cache (rill help cache): a recording\n"
    "is started in the background when needed, and every run reads the same\n"
    "events until the source's configuration changes.\n"
    "\n"
    "SIGINT with checkpointing takes a checkpoint and exits 3; a second one exits\n"
    "at once (130). Exit status: 0 done, 1 the run failed, 2 usage or spec error,\n"
    "3 interrupted with a checkpoint.\n";

static const char help_check[] =
    "usage: rill check [-s NAME.KEY=VALUE]... [-q] SPEC\n"
    "\n"
    "Checks SPEC without running it: the YAML, the kinds of source and stage,\n"
    "their options and types, the input: wiring (unknown names, cycles). Each\n"
    "error is printed as FILE:LINE:COLUMN: what was expected, with a did-you-mean\n"
    "for misspelt names; exit 2 when there is any, 0 (and `SPEC: ok`) otherwise.\n";

static const char help_graph[] =
    "usage: rill graph [--svg] [-s NAME.KEY=VALUE]... SPEC\n"
    "\n"
    "Prints the pipeline of SPEC as a Graphviz DOT graph on standard output, one\n"
    "node per stage (a cluster for a spec stage made of several). --svg renders it\n"
    "with Graphviz's dot, which must be installed.\n";

static const char help_explain[] =
    "usage: rill explain [-w N] [-s NAME.KEY=VALUE]... SPEC\n"
    "\n"
    "Prints the plan of SPEC: each stage with its kind, batch size, concurrency,\n"
    "whether it is splittable or unbounded and where it keeps state.\n";

const char *cmd_help(const char *command)
{
    if (command == NULL)
        return usage;
    if (strcmp(command, "run") == 0)
        return help_run;
    if (strcmp(command, "check") == 0)
        return help_check;
    if (strcmp(command, "graph") == 0)
        return help_graph;
    if (strcmp(command, "explain") == 0)
        return help_explain;
    if (strcmp(command, "catalog") == 0)
        return cmd_catalog_help;
    if (strcmp(command, "compile") == 0)
        return cmd_compile_help;
    if (strcmp(command, "sweep") == 0)
        return cmd_sweep_help;
    if (strcmp(command, "cache") == 0)
        return cmd_cache_help;
    if (strcmp(command, "help") == 0)
        return usage;
    return NULL;
}

static void print_options(const cli_option_doc *o)
{
    size_t j;
    for (j = 0; o && o[j].name; j++) {
        char def[64];
        snprintf(def, sizeof(def), "%s%s", o[j].def ? "= " : "(required)",
                 o[j].def ? o[j].def : "");
        printf("      %-14s %-8s %-14s %s\n", o[j].name, o[j].type, def, o[j].doc ? o[j].doc : "");
    }
}

static void help_stages(void)
{
    size_t i;
    puts("Stage kinds (option, type, default, what it does):");
    for (i = 0; cli_stage_defs[i]; i++) {
        printf("\n  %-10s %s\n", cli_stage_defs[i]->kind, cli_stage_defs[i]->summary);
        print_options(cli_stage_defs[i]->options);
    }
    puts("\nEvery stage also takes batch_size, concurrency and serial.");
}

static void help_sources(void)
{
    size_t i;
    puts("Source kinds (option, type, default, what it does):");
    for (i = 0; cli_source_defs[i]; i++) {
        printf("\n  %-10s %s\n", cli_source_defs[i]->kind, cli_source_defs[i]->summary);
        print_options(cli_source_defs[i]->options);
    }
}

static int help(int argc, char **argv)
{
    static const char *const commands[] = {"run", "check", "graph", "explain", "catalog",
                                           "compile", "sweep", "cache", "help", "stages", "sources", NULL};
    const char *text;
    if (argc < 2) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "stages") == 0) {
        help_stages();
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "sources") == 0) {
        help_sources();
        return CLI_EXIT_OK;
    }
    if ((text = cmd_help(argv[1])) == NULL) {
        const char *near = cli_did_you_mean(argv[1], commands);
        fprintf(stderr, "rill help: no command '%s'%s%s%s\n", argv[1],
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return CLI_EXIT_USAGE;
    }
    fputs(text, stdout);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    static const char *const commands[] = {"run", "check", "graph", "explain", "catalog",
                                         "compile", "sweep", "cache", "help", NULL};
    const char *cmd, *near;
    /* letters and case by Unicode (words): the C.UTF-8 locale, whatever
     * the environment says, so results do not depend on it */
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "");
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error to handle, not a death */
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("rill %s (library %d.%d.%d; %s)\n", RILL_VERSION_STRING, RILL_VERSION_MAJOR,
               RILL_VERSION_MINOR, RILL_VERSION_PATCH, RILL_CLI_BUILD);
        return CLI_EXIT_OK;
    }
    /* getopt's messages name the command: "rill run: invalid option" */
    if (strcmp(cmd, "run") == 0)
        return argv[1] = (char *)"rill run", cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return argv[1] = (char *)"rill check", cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "graph") == 0)
        return argv[1] = (char *)"rill graph", cmd_graph(argc - 1, argv + 1);
    if (strcmp(cmd, "explain") == 0)
        return argv[1] = (char *)"rill explain", cmd_explain(argc - 1, argv + 1);
    if (strcmp(cmd, "catalog") == 0)
        return cmd_catalog(argc - 1, argv + 1);
    if (strcmp(cmd, "compile") == 0)
        return argv[1] = (char *)"rill compile", cmd_compile(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return argv[1] = (char *)"rill sweep", cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "cache") == 0)
        return cmd_cache(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0)
        return help(argc - 1, argv + 1);
    near = cli_did_you_mean(cmd, commands);
    fprintf(stderr, "rill: unknown command '%s'%s%s%s; see rill --help\n", cmd,
            near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return CLI_EXIT_USAGE;
}
