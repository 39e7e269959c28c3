/* cli_stub.h — a test harness for the built-in stages: a minimal builder
 * for src/cli/cli.h (a chain only, calling rill_job/rill_reduce/
 * rill_combine on a real pipeline, options from an array), until the rill
 * command's own builder (src/cli/build.c, opts.c) is there to test them
 * through. The pipelines it builds run on the real engine.
 *
 * It also checks each stage's option table: reading a key that the table
 * does not list fails the test, and so does giving a key the stage never
 * read (as `rill check` would refuse it). */
#ifndef RILL_TESTS_CLI_STUB_H
#define RILL_TESTS_CLI_STUB_H

#include "cli.h"

/* A scalar option and a list option, for the arrays stub_add takes. */
#define OPT(k, t) {.key = (k), .text = (t), .file = "test.yaml", .line = __LINE__, .column = 3}
#define OPTL(k, ...)                                                                 \
    {.key = (k), .items = (const char *[]){__VA_ARGS__},                            \
     .nitems = sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *),        \
     .file = "test.yaml", .line = __LINE__, .column = 3}

/* A builder over p (borrowed) for a run with that many workers; free it
 * with stub_free after p is freed (it frees what stages gave to cli_own,
 * and removes the scratch folder). */
cli_build *stub_new(rill_pipeline *p, int workers);
void stub_free(cli_build *b);

/* Adds a stage of def named name with the options v[0..n): what def->add
 * returns, or -1 when a key was given that the stage did not read (with
 * cli_error_message saying which). v is modified (used flags). */
int stub_add(cli_build *b, const cli_stage_def *def, const char *name, cli_value *v, size_t n);

/* The scratch folder, if a stage asked for one (NULL otherwise). */
const char *stub_scratch(const cli_build *b);

#endif
