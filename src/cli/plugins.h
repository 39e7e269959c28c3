/* plugins.h — shared objects named by a spec (plugins.c): the spec's
 * plugins: list, opened when the pipeline is built, and the stage and
 * source kind `plugin`. */
#ifndef RILL_CLI_PLUGINS_H
#define RILL_CLI_PLUGINS_H

#include "build.h"

/* Opens every library of the spec's plugins: list (b->s->plugins); each
 * that cannot be loaded is reported at its file:line:column. The libraries
 * stay open until the builder is freed, after its pipeline. 0 or -1. */
int cli_plugins_open(cli_build *b);

/* The stage kind plugin (the source kind is cli_source_plugin, sources.h). */
extern const cli_stage_def cli_stage_plugin;

#endif
