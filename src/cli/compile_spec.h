/* compile_spec.h — the spec of `rill compile` (docs/spec.md, Compiles): the
 * catalogs' file, the input catalogs with their jobs, the output catalog
 * and the built-in compile with its options, read from YAML with the spec
 * loader's tree (spec_yaml.c), errors at file:line:column and -s overrides
 * (spec_override) as the pipeline specs have them.
 *
 * The parts are kept in a spec (spec.h) so that its -s overrides apply
 * unchanged: each input is a source named by its catalog (kind "catalog";
 * options job, since, to), the compile is the stage named "compile" (its
 * kind and options). `-s docs.job=reprocess`, `-s compile.lower=false`. */
#ifndef RILL_CLI_COMPILE_SPEC_H
#define RILL_CLI_COMPILE_SPEC_H

#include "spec.h"

typedef struct compile_spec {
    spec *s;               /* the tree, the inputs (sources), the compile (stages[0]) */
    const char *db;        /* db:, NULL: the default file */
    const char *output;    /* output: the output catalog's name */
    rill_compile_job *jobs; /* per input, read by compile_spec_jobs */
} compile_spec;

/* Whether file's YAML is a compile spec (a mapping with compile:): 1, 0, or
 * -1 when it cannot be read (nothing reported). */
int compile_spec_sniff(const char *file);

/* Loads file and applies the -s overrides sets[0..nsets), checks the shape
 * and reads the jobs. *out: free with compile_spec_free. -1 after every
 * error was reported (cli_error_at); *out is then NULL when the file is no
 * YAML mapping, else the spec as read, for the compile's options to be
 * checked too (by the built-in, compile_builtins.c: s->nstages 1). */
int compile_spec_load(compile_spec **out, const char *file, char *const *sets, int nsets);
void compile_spec_free(compile_spec *c);

#endif
