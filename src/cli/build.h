/* build.h — the builder's inside, for the commands that read what was built
 * (graph, explain) and for sources and built-ins that need more than cli.h:
 * the stages added, the edges between them, the work list.
 *
 * A spec is built into one rill_pipeline: a chain (no `input:` anywhere)
 * with the inline API, in the order of `stages:`; otherwise a graph, each
 * spec stage's first stage joined by edges to its inputs' last stages.
 * A spec stage may add several stages of the pipeline (count: a combine
 * and the job that writes its totals as text); they follow each other. */
#ifndef RILL_CLI_BUILD_H
#define RILL_CLI_BUILD_H

#include "spec.h"

/* One stage of the pipeline as built. */
typedef struct cli_node {
    char *name;            /* the pipeline's stage name (owned) */
    const char *spec_name; /* the spec's stage or source it belongs to (borrowed) */
    const char *kind;      /* the spec's kind (borrowed) */
    const char *type;      /* "source", "job", "task", "reduce", "combine" */
    size_t batch_size;     /* 0: as they come */
    int concurrency;       /* 0: no limit */
    int serial;
    int splittable, unbounded;
    const char *state;     /* where its state is kept (static text) */
    int line, column;      /* where the spec wrote it */
} cli_node;

typedef struct cli_edge {
    char *from, *to; /* pipeline stage names (owned) */
} cli_edge;

typedef struct cli_plugins cli_plugins; /* plugins.c */

typedef struct cli_owned {
    void *ptr;
    void (*fn)(void *);
} cli_owned;

struct cli_build {
    rill_pipeline *p;      /* owned */
    spec *s;               /* borrowed */
    int graph;             /* built with edges */
    int workers;
    rill_batch *work;      /* the initial work list being gathered (owned) */
    cli_node *nodes;
    size_t nnodes;
    cli_edge *edges;
    size_t nedges;
    cli_edge *loops;       /* loop_input: edges (rill_loop), apart from edges */
    size_t nloops;
    cli_owned *owned;
    size_t nowned;
    char *scratch;         /* cli_scratch_dir's folder (owned; removed at the end) */
    /* the spec stage being added */
    const cli_opts *cur;
    size_t cur_first;      /* its first node */
    char **cur_inputs;     /* the pipeline names its first stage follows (graph) */
    size_t ncur_inputs;
    int keyed;             /* the last stage added emits only keyed records */
    int cur_keyed;
    const char **last;     /* per spec stage: its last pipeline stage's name */
    const char **first;    /* per spec stage: its first pipeline stage's name */
    const char *output_format; /* the output's format name */
    const char *output_dir;    /* its folder (borrowed), NULL: standard output */
    const char *output_needs_dir; /* an output option given that needs a
                                     folder, when there is none (run refuses) */
    const char *missing;   /* an input path or glob that matches no file now
                              (borrowed; a run refuses it, check warns) */
    const cli_opts *missing_at; /* its source's options */
    int generator;         /* the source is a generator (--max-batches cuts it) */
    cli_plugins *plugins;  /* the shared objects opened (plugins.c; freed with
                              the owned pointers, after the pipeline) */
    const char *next_kind; /* in a chain, the kind of the spec stage after the
                              current one (NULL: none, or a graph) */
};

/* Builds s into a new pipeline (*out: free with cli_build_free). workers: 0
 * for every core. Returns 0, or -1 after errors said with cli_error*. */
int cli_build_spec(cli_build **out, spec *s, int workers);
/* Reports (cli_error) each key of o no accessor read, with the nearest of
 * docs (and with stage 1 of the keys every stage takes); failed 1: an add
 * that failed may have stopped reading, so only keys of no option count.
 * -1 when any was reported. */
int cli_unknown_keys(const cli_opts *o, const cli_option_doc *docs, int stage, int failed);
/* Says (through cli_error) that b->missing matches no file, where the
 * current folder is; returns -1. */
int cli_missing_input(const cli_build *b);
void cli_build_free(cli_build *b);

/* Says the stage just added emits only keyed records (so a count after it
 * needs no stage to make keys); whether the stage before the current one
 * did. */
void cli_mark_keyed(cli_build *b);
int cli_prev_keyed(const cli_build *b);

/* In a chain, the kind of the spec stage after the one being added, or
 * NULL (the last, or a graph): words emits keys when a count follows. */
const char *cli_next_kind(const cli_build *b);

/* A chain built one stage at a time over p (taken: freed by
 * cli_build_free), for the tests of the built-in stages, whose work and
 * output are the caller's: no spec, no source, no output. */
cli_build *cli_build_chain(rill_pipeline *p, int workers);
/* Adds a stage of kind def with the options o (borrowed while the
 * pipeline lives) after the last one added, as a spec's chain does, and
 * refuses the keys its add did not read. 0, or -1 after cli_error. */
int cli_build_chain_add(cli_build *b, const cli_stage_def *def, const cli_opts *o);

/* build_graph.c: the index of name among the sources (0..nsources-1) and
 * the stages (after them), or -1; and the order to add a graph's stages in,
 * each after its inputs (order[]: stage indexes), checking every input
 * names something and that they form no cycle (-1 after cli_error_at). */
long cli_find_name(const spec *s, const char *name);
int cli_order_graph(cli_build *b, size_t *order);

/* build_graph.c: whether every record that reaches an output passes
 * through the pipeline stage name (head may then stop the input: what it
 * drops is all that would come of it). In a chain, every stage is on the
 * only path. */
int cli_every_path_through(const cli_build *b, const char *name);

/* The initial work list a source adds to (borrowed from the builder). */
rill_batch *cli_work(cli_build *b);
/* Records a stage a source added with its own call (rill_read_lines...),
 * wired in like the others. */
int cli_add_source_stage(cli_build *b, const cli_opts *o, const char *name,
                         int splittable, int unbounded);

#endif
