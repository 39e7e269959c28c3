/* commands.h — the commands of `rill` (a file each: cmd_*.c) and what they
 * share: reading a spec with its -s overrides and building it. */
#ifndef RILL_CLI_COMMANDS_H
#define RILL_CLI_COMMANDS_H

#include "build.h"

/* Each takes the arguments after the command's name (argv[0] is the
 * command) and returns the exit code. */
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_catalog(int argc, char **argv); /* cmd_catalog.c, cmd_catalog_edit.c */
int cmd_compile(int argc, char **argv); /* cmd_compile.c */
/* `rill compile --why` (verify 0) or `--verify` (verify 1) of the compile
 * spec file, which must compile into output (and keep its catalogs in db
 * when db is not NULL): `rill catalog why OUTPUT SPEC` and `verify`. */
int cmd_compile_for(const char *file, int verify, const char *output, const char *db,
                    int quiet);
int cmd_sweep(int argc, char **argv);   /* cmd_sweep.c; its help: cmd_sweep_help */
extern const char cmd_sweep_help[];
/* `rill check` of a sweep spec (one with parameters: or trial: and neither
 * sources: nor stages:, sweep_spec_sniff: 1) */
int sweep_spec_sniff(const char *file);
int cmd_sweep_check(const char *file, int quiet);
/* `rill check` of a compile spec (compile_spec_sniff): its shape, inputs'
 * jobs and the compile's kind and options, without opening a catalog. */
int cmd_compile_check(const char *file, char *const *sets, int nsets, int quiet);

/* The help of `rill catalog` (cmd_catalog.c). */
extern const char cmd_catalog_help[];
/* `rill cache` and its help (cmd_cache.c). */
int cmd_cache(int argc, char **argv);
extern const char cmd_cache_help[];
/* What `rill run` does with the source cache (cmd_cache.c): before the run
 * (and before any thread starts: the recorder is a forked process), the
 * spec's unbounded source replays its cache and a recording starts when
 * needed; NULL when the cache is not used. After the run, the summary line
 * (unless quiet), and the handle is freed. */
typedef struct cli_run_cache_options {
    int off, refresh;    /* --no-cache, --refresh-cache */
    int live_after;      /* --cache-then-live */
    const char *spec;    /* the spec's path: its sources are tracked under it */
    const char *dir;     /* --cache-dir; NULL: .rill/cache */
    int64_t max_bytes;   /* --cache-max-bytes; 0: the library's default */
    int64_t max_ms;      /* --cache-max-seconds; 0: the library's default */
} cli_run_cache_options;
typedef struct cli_run_cache cli_run_cache;
cli_run_cache *cli_run_cache_begin(cli_build *b, const cli_run_cache_options *o);
void cli_run_cache_end(cli_run_cache *rc, int quiet);
/* After a build that failed (cli_errors): when a listener could not listen
 * and a recorder of the cache in dir (NULL: .rill/cache) is recording a
 * socket, names it, its process and how to stop it, on standard error. */
void cli_cache_listener_hint(const char *cmd, const char *dir);

/* The help of `rill compile` (cmd_compile.c). */
extern const char cmd_compile_help[];

/* The help text of a command (NULL: no such command). */
const char *cmd_help(const char *command);

/* Loads file, applies the -s overrides (sets[0..nsets)) and builds it.
 * On failure prints every error on stderr and returns CLI_EXIT_USAGE;
 * *s and *b are then NULL. */
int cli_prepare(spec **s, cli_build **b, const char *file, char *const *sets, int nsets,
                int workers);
/* Prints every error kept, one a line, on stderr. */
void cli_print_errors(void);

/* Splits "-s" arguments out of the command line: getopt_long does the
 * rest. A growing array of borrowed strings. */
typedef struct cli_sets {
    char **v;
    int n;
} cli_sets;
void cli_sets_add(cli_sets *s, char *arg);

#endif
