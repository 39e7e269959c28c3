/* cli.h — what the parts of the `rill` command share: a stage's options as
 * the spec gave them, the context that appends stages to the pipeline being
 * built, and the table each built-in stage fills in.
 *
 * The CLI is the top layer: it includes only the public headers
 * (rill.h, rill/, rill/sys/), as a plugin author would. */
#ifndef RILL_CLI_H
#define RILL_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "rill.h"

/* Exit codes (documented in rill.1). */
enum {
    CLI_EXIT_OK = 0,          /* done */
    CLI_EXIT_FAILED = 1,      /* the run failed */
    CLI_EXIT_USAGE = 2,       /* usage or spec error: nothing ran */
    CLI_EXIT_INTERRUPTED = 3, /* interrupted, with a checkpoint to resume from */
};

/* ---- options of one stage, as the spec (and -s overrides) gave them ---- */

/* One key of a stage's options: a scalar (text) or a list of scalars
 * (items), with where it was written. */
typedef struct cli_value {
    const char *key;
    const char *text;   /* the scalar; NULL for a list */
    const char **items; /* a list's scalars; NULL for a scalar */
    size_t nitems;
    const char *file;   /* the spec, or "-s" for an override */
    int line, column;   /* 1-based */
    int used;           /* set by the accessors: a key no accessor read is
                           reported as unknown (with a did-you-mean) */
} cli_value;

/* A stage's options: borrowed from the spec for the stage's add call. */
typedef struct cli_opts {
    const char *stage;  /* the stage's name */
    const char *kind;   /* its kind ("words", "grep"...) */
    const char *file;   /* the spec */
    int line, column;   /* where the stage was written */
    cli_value *v;
    size_t n;
} cli_opts;

/* Accessors. Each returns 0 when the key was given (and *out set), 1 when
 * it was not (*out left as the caller's default), or -1 after cli_error
 * said what was wrong at the key's position (a wrong type, out of range).
 * Strings are borrowed from the spec, valid while the pipeline lives. */
int cli_opt_str(const cli_opts *o, const char *key, const char **out);
int cli_opt_int(const cli_opts *o, const char *key, int64_t min, int64_t max, int64_t *out);
int cli_opt_double(const cli_opts *o, const char *key, double *out);
int cli_opt_bool(const cli_opts *o, const char *key, int *out);
/* A list, or a scalar read as a list of one. */
int cli_opt_list(const cli_opts *o, const char *key, const char *const **items, size_t *n);
/* One of choices (NULL-terminated): *out is its index. */
int cli_opt_enum(const cli_opts *o, const char *key, const char *const *choices, int *out);

/* Says what is wrong, at file:line:column of key in o (key NULL: of the
 * stage). The message is kept (cli_error_message) and -1 returned. */
int cli_error(const cli_opts *o, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *cli_error_message(void);
void cli_error_reset(void);

/* ---- the pipeline being built ---- */

/* Appends stages to the pipeline in the spec's wiring: in a chain each
 * stage follows the previous one (the inline API); with `input:` names the
 * builder adds the edges. A built-in adds one or more stages through these
 * and never calls the pipeline's registering functions itself, so the same
 * built-in works in both wirings. name: copied. payload: borrowed; give it
 * to cli_own to have it freed with the pipeline. Return 0 or -1 after
 * cli_error. */
typedef struct cli_build cli_build;
int cli_add_job(cli_build *b, const cli_opts *o, const char *name,
                const rill_stage_options *opts, rill_job_fn fn, void *payload);
int cli_add_task(cli_build *b, const cli_opts *o, const char *name,
                 const rill_task_options *opts, rill_task_fn fn, void *payload);
int cli_add_reduce(cli_build *b, const cli_opts *o, const char *name,
                   const rill_reduce_options *opts, void *payload);
int cli_add_combine(cli_build *b, const cli_opts *o, const char *name,
                    const rill_combine_options *opts, void *payload);
/* ptr is freed with fn (NULL: free) when the pipeline is freed. */
int cli_own(cli_build *b, void *ptr, void (*fn)(void *));
/* The number of workers the run will have (for per-worker state). */
int cli_workers(const cli_build *b);
/* A folder for the stage's spill files (sort), made on first call; borrowed. */
const char *cli_scratch_dir(cli_build *b);

/* ---- built-in stages ---- */

typedef struct cli_option_doc {
    const char *name;
    const char *type;  /* "string", "int", "number", "bool", "list", "a|b|c" */
    const char *def;   /* the default, as text; NULL: required */
    const char *doc;   /* one line */
} cli_option_doc;

typedef struct cli_stage_def {
    const char *kind;               /* what a spec writes: `kind: words` */
    const char *summary;            /* one line, for rill help stages */
    const cli_option_doc *options;  /* {NULL}-terminated; rill check refuses
                                       any other key and suggests the nearest */
    /* Appends the stage named o->stage. */
    int (*add)(cli_build *b, const cli_opts *o);
} cli_stage_def;

/* Every built-in stage, {NULL}-terminated (builtins.c). */
extern const cli_stage_def *const cli_stage_defs[];
/* The built-in of that kind, or NULL. */
const cli_stage_def *cli_stage_find(const char *kind);
/* The nearest of words (NULL-terminated) to s by edit distance, when near
 * enough to suggest; NULL otherwise. */
const char *cli_did_you_mean(const char *s, const char *const *words);

#endif
