/* spec.h — a pipeline spec (docs/spec.md) loaded from YAML: first a tree of
 * nodes that each know their file:line:column, then the spec's parts
 * (sources, stages, output) read from that tree.
 *
 * Everything here is owned by the spec and freed by spec_free; the strings
 * in cli_opts and cli_value point into it, so a pipeline built from a spec
 * must not outlive it. */
#ifndef RILL_CLI_SPEC_H
#define RILL_CLI_SPEC_H

#include <stddef.h>

#include "cli.h"

/* The deepest nesting a spec may have (deeper is refused, never recursed). */
#define SPEC_MAX_DEPTH 64
/* The most nodes a spec may have. */
#define SPEC_MAX_NODES 100000

typedef enum spec_type { SPEC_SCALAR, SPEC_SEQ, SPEC_MAP } spec_type;

typedef struct spec_node {
    spec_type type;
    char *text;              /* SPEC_SCALAR: its text (owned) */
    struct spec_node **keys; /* SPEC_MAP: the keys, all scalars (owned) */
    struct spec_node **vals; /* SPEC_MAP: the values; SPEC_SEQ: the items (owned) */
    size_t n;
    int line, column;        /* 1-based */
} spec_node;

/* One source: `kind` and its options. */
typedef struct spec_source {
    const char *name, *kind; /* borrowed from the tree */
    const spec_node *node;
    cli_opts opts;           /* every key but name and kind */
} spec_source;

/* One stage of `stages:`. */
typedef struct spec_stage {
    const char *name, *kind;
    const spec_node *node;
    const spec_node *kind_node;
    cli_opts opts;           /* every key but name, kind and input */
    const char **inputs;     /* `input:` names (owned array, borrowed strings) */
    const spec_node **input_nodes;
    size_t ninputs;
    const char **loops;      /* `loop_input:` names: inputs that close a loop
                                (rill_loop; owned array, borrowed strings) */
    const spec_node **loop_nodes;
    size_t nloops;
} spec_stage;

typedef struct spec {
    char *file;              /* owned copy of the path given */
    spec_node *root;
    spec_source *sources;
    size_t nsources;
    spec_stage *stages;
    size_t nstages;
    cli_opts output;         /* `output:` keys (n 0 when absent) */
    const spec_node *plugins; /* `plugins:`, a list of paths (NULL when absent;
                                 borrowed from the tree) */
    int graph;               /* some stage names its input: the graph API */
    int bad;                 /* errors were reported reading it: never run it */
    /* What -s overrides allocated (owned, freed with the spec). */
    void **owned;
    size_t nowned;
} spec;

/* Loads file (bytes[0..len) when bytes is not NULL, else read from the
 * file). *out: free with spec_free. Returns -1 after cli_error_at said
 * what was wrong and where when the YAML cannot be read; 0 otherwise, with
 * (*out)->bad set when parts of the spec were refused (errors reported;
 * the rest can still be built to find more). */
int spec_load(spec **out, const char *file, const char *bytes, size_t len);
void spec_free(spec *s);
/* *text (caller frees), *len: the bytes of file; -1 after cli_error_at. */
int spec_read_file(char **text, size_t *len, const char *file);
/* Reads the keys of map but those in skip (NULL-terminated) into o, as a
 * stage's options (what: "stage 'x'", for the errors); -1 after errors. */
int spec_read_opts(const spec *s, const spec_node *map, const char *const *skip,
                   const char *what, cli_opts *o);

/* Applies one `-s STAGE.KEY=VALUE` (index: its place among the -s given,
 * 1-based, reported as its line). Returns 0 or -1 after cli_error_at. */
int spec_override(spec *s, const char *arg, int index);

/* A YAML tree alone, for the loader's fuzz target and tests. */
int spec_parse_tree(spec_node **out, const char *file, const char *bytes, size_t len);
void spec_node_free(spec_node *n);
/* The YAML tree of file, quietly: NULL when it cannot be read or parsed
 * (no error kept). For telling kinds of spec apart before loading one. */
spec_node *spec_sniff_tree(const char *file);
/* The value of key in a mapping, or NULL. */
const spec_node *spec_map_get(const spec_node *map, const char *key);

/* Reports an error at file:line:column (line 0: the file alone). Kept as
 * cli_error's are; returns -1. */
int cli_error_at(const char *file, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Every error reported since the last cli_error_reset, in order, each a
 * line without its newline; n: their number. Borrowed. */
const char *const *cli_errors(size_t *n);

#endif
