/* stage_count.c — the built-in `count`: how many records there are of each
 * key, as a keyed combine summing int64 (RILL_COMBINE_SUM_INT64).
 *
 * The key of a record is its key, or its data when it has none. A stage
 * before it that emits bare keys (cli_mark_keyed: words does when a count
 * follows) feeds the combine directly; otherwise a job "NAME.key" first
 * makes each record a bare key. The totals leave as keyed records whose
 * data is the count in decimal ("NAME.text"), as every record between the
 * command's stages is text. A combine needs a chain (the graph API has
 * none); its per-worker tables are merged when its input ends. */
#include <inttypes.h>
#include <stdio.h>

#include "build.h"

static const cli_option_doc count_opts[] = {{NULL, NULL, NULL, NULL}};

static int to_key(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    if (in->key)
        return rill_emit_keyed(out, in->key, in->key_len, NULL, 0);
    return rill_emit_keyed(out, in->data, in->len, NULL, 0);
}

static int to_text(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t n;
    char text[32];
    int len;
    (void)payload;
    if (rill_record_int64(&n, in) < 0)
        return -1;
    len = snprintf(text, sizeof(text), "%" PRId64, n);
    return rill_emit_keyed(out, in->key, in->key_len, text, (size_t)len);
}

static int add_count(cli_build *b, const cli_opts *o)
{
    rill_combine_options sum = RILL_COMBINE_SUM_INT64;
    char name[512];
    if (!cli_prev_keyed(b)) {
        snprintf(name, sizeof(name), "%s.key", o->stage);
        if (cli_add_job(b, o, name, NULL, to_key, NULL) < 0)
            return -1;
    }
    if (cli_add_combine(b, o, o->stage, &sum, NULL) < 0)
        return -1;
    snprintf(name, sizeof(name), "%s.text", o->stage);
    return cli_add_job(b, o, name, NULL, to_text, NULL);
}

const cli_stage_def cli_stage_count = {
    .kind = "count",
    .summary = "count the records of each key (or of each data, when they have no key)",
    .options = count_opts,
    .add = add_count,
};
