/* compile_builtins.h — the built-in compiles of `rill compile`
 * (compile_builtins.c): postings (map-group), stats and concat (direct),
 * each with its options, documented for `rill help compile`. */
#ifndef RILL_CLI_COMPILE_BUILTINS_H
#define RILL_CLI_COMPILE_BUILTINS_H

#include "cli.h"

/* What the output functions read: the options, and the input catalogs'
 * names (with several inputs, postings name a document "catalog:key"). */
typedef struct compile_conf {
    int lower, letters;          /* postings: the words stage's options */
    const char *sep;             /* concat: the separator */
    size_t sep_len;
    const char *const *inputs;   /* borrowed */
    size_t ninputs;
} compile_conf;

/* Adds one option of the configuration to the fingerprints (payload). */
typedef int (*compile_fp_fn)(void *payload, const char *name, const char *value);

typedef struct compile_def {
    const char *kind;
    const char *summary;
    const cli_option_doc *options;
    /* Reads o into conf (errors: cli_error, -1), sets the pattern and the
     * functions of opts and gives every option that can change the output,
     * defaults included, to fp. */
    int (*setup)(compile_conf *conf, rill_compile_options *opts, const cli_opts *o,
                 compile_fp_fn fp, void *fp_payload);
} compile_def;

/* Every built-in compile, NULL-terminated. */
extern const compile_def *const compile_defs[];
/* The built-in of that kind, or NULL. */
const compile_def *compile_def_find(const char *kind);

#endif
