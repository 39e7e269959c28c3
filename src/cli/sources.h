/* sources.h — the kinds of source a spec may name (sources.c holds the
 * table; a new kind is one entry there and its add function). */
#ifndef RILL_CLI_SOURCES_H
#define RILL_CLI_SOURCES_H

#include "build.h"

typedef struct cli_source_def {
    const char *kind;              /* `kind: lines` */
    const char *summary;           /* one line, for rill help sources */
    const cli_option_doc *options; /* {NULL}-terminated */
    int splittable, unbounded;     /* for rill explain */
    /* Adds the source named o->stage: work list records (cli_work) and the
     * stage that reads them, recorded with cli_add_source_stage, or a
     * generator. 0 or -1 after cli_error. */
    int (*add)(cli_build *b, const cli_opts *o);
} cli_source_def;

/* Every kind of source, {NULL}-terminated. */
extern const cli_source_def *const cli_source_defs[];
const cli_source_def *cli_source_find(const char *kind);

/* The live sources (sources_live.c) and a plugin's source (plugins.c). */
extern const cli_source_def cli_source_command, cli_source_follow, cli_source_tcp,
    cli_source_unix, cli_source_plugin;

/* stdin and the endless sequence as pulled sources (sources_stream.c), with
 * the stage of the source's name; 0 or -1 after cli_error. */
int cli_stream_stdin(cli_build *b, const cli_opts *o);
int cli_stream_sequence(cli_build *b, const cli_opts *o, int64_t from, double per_second);

#endif
