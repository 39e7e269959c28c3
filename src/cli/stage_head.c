/* stage_head.c — the `head` built-in: passes the first n records that reach
 * it and drops the rest.
 *
 * "First" is the order in which records reach the stage: a serial job (one
 * call at a time) that counts what it has passed. With one worker that is
 * the order of the input; with several, batches reach it in the order
 * workers finish the stages before it, so which n records pass may differ
 * from run to run (their number never does). It streams, so it works on
 * unbounded sources. Once it has passed n it asks the run to read no more
 * input (rill_source_stop), when every record that reaches an output goes
 * through it (a chain; in a graph, when no branch bypasses it): what is in
 * flight still comes and is dropped, and the run ends, as `yes | head`
 * does. The count lives as long as the pipeline (it is not reset for a
 * second run of the same pipeline, nor saved in checkpoints). */
#include <stdatomic.h>
#include <stdlib.h>

#include "build.h"
#include "stage_common.h"

typedef struct head_conf {
    int64_t n;
    atomic_int_fast64_t passed;
    cli_build *b;      /* borrowed: the build that owns the pipeline */
    const char *name;  /* borrowed: the stage's name */
} head_conf;

static int head_job(rill_emitter *out, const rill_record *in, void *payload)
{
    head_conf *h = payload;
    int_fast64_t k = atomic_fetch_add(&h->passed, 1);
    /* the n-th passes (or, with n 0, the first is dropped): no more input
     * is needed when nothing reaches an output around this stage */
    if (k == (h->n > 0 ? h->n - 1 : 0) && cli_every_path_through(h->b, h->name))
        rill_source_stop(h->b->p);
    if (k >= h->n)
        return 0;
    return rill_emit_record(out, in);
}

static int head_add(cli_build *b, const cli_opts *o)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    head_conf *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return cli_error(o, NULL, "out of memory");
    h->n = 10;
    atomic_init(&h->passed, 0);
    h->b = b;
    h->name = o->stage;
    if (cli_opt_int(o, "n", 0, INT64_MAX, &h->n) < 0 || cli_own(b, h, free) < 0) {
        free(h);
        return -1;
    }
    so.serial = 1;
    return cli_add_job(b, o, o->stage, &so, head_job, h);
}

static const cli_option_doc head_options[] = {
    {"n", "int", "10", "how many records to pass (the first to reach the stage; in input order "
                       "with one worker)"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_head = {
    .kind = "head",
    .summary = "the first n records that reach it (input order with one worker)",
    .options = head_options,
    .add = head_add,
};
