/* sweep_cli.h — `rill sweep SPEC` (docs/sweep.md): the sweep spec read
 * into a rill_sweep and a trial (sweep_spec.c), a trial that runs an
 * external command (sweep_exec.c), the command (cmd_sweep.c) and its HTML
 * report (sweep_report.c). */
#ifndef RILL_CLI_SWEEP_H
#define RILL_CLI_SWEEP_H

#include "spec.h"

/* A command trial: argv with {NAME} placeholders (parameters, trial, seed,
 * combination), and what the library needs to know of the sweep. */
typedef struct sweep_command {
    char **argv;          /* NULL-terminated, borrowed from the spec tree */
    size_t argc;
    const rill_sweep *s;
} sweep_command;

/* The spec as read: owned by the caller, freed with sweep_spec_free. */
typedef struct sweep_spec {
    spec_node *root;        /* the YAML tree (owned) */
    const char *file;
    rill_sweep *sweep;      /* owned */
    rill_sweep_options o;   /* trials, rel_error, min/max, seed, job */
    sweep_command cmd;      /* a command trial (argc > 0) */
    rill_plugin_lib *lib;   /* a plugin trial's library (owned) */
    int open_plugins;       /* 0: a plugin trial is checked, not loaded */
    char *identity;         /* the trial, as text (o.identity; owned) */
    char *program;          /* a command's program with a '/' resolved from
                               the spec's folder (cmd.argv[0]; owned) */
} sweep_spec;

/* Reads file into *out. Returns 0, or -1 after cli_error_at reported each
 * error at its file:line:column. Free *out with sweep_spec_free either way. */
int sweep_spec_load(sweep_spec *out, const char *file);
/* The same from text[0..len) (file: its name in errors); with
 * open_plugins 0 a plugin trial's library is not opened. */
int sweep_spec_parse(sweep_spec *out, const char *file, const char *text, size_t len,
                     int open_plugins);
void sweep_spec_free(sweep_spec *sp);

/* The trial of a command trial (payload: a sweep_command). */
int sweep_exec_trial(double *outputs, size_t noutputs, const rill_sweep_trial *t,
                     void *payload);
/* Sends SIGTERM to the process group of every trial command running;
 * async-signal-safe (for a signal handler, before _exit). */
void sweep_exec_stop_all(void);
/* Whether {name} in a command argument is known: 0, or -1 after an error. */
int sweep_exec_check(const sweep_command *c, const char *file, const spec_node *arg);

/* Writes the HTML report of table t (spec: its path, shown) to path; -1
 * after a message on stderr. */
int sweep_report_write(const char *path, const char *spec_path, const rill_sweep_table *t,
                       double seconds);

#endif
