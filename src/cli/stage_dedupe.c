/* stage_dedupe.c — the `dedupe` built-in: each distinct record once (on:
 * record, the default), or each distinct key (on: key, emitted as keyed
 * records with an empty value) or value (on: value, emitted without a
 * key). The order of the input is not kept.
 *
 * Three stages: "<stage>:pack" packs what is compared into one key (see
 * cli_pack), the combine named as the stage folds each into a table
 * (partial tables merged, keys shuffled between ranks: exact in any run),
 * and "<stage>:format" unpacks each key back into its record. */
#include <stdio.h>
#include <stdlib.h>

#include "stage_common.h"

enum { ON_RECORD, ON_KEY, ON_VALUE };

typedef struct dedupe_conf {
    int on;
} dedupe_conf;

static int pack(rill_emitter *out, const rill_record *in, void *payload)
{
    const dedupe_conf *c = payload;
    rill_record r = *in;
    cli_buf b = {0};
    int rc;
    if (c->on == ON_KEY) {
        if (in->key == NULL)
            return 0; /* no key: nothing to keep */
        r.data = "";
        r.len = 0;
    } else if (c->on == ON_VALUE) {
        r.key = NULL;
        r.key_len = 0;
    }
    if ((rc = cli_pack(&b, &r)) == 0)
        rc = rill_emit_keyed(out, b.p, b.len, NULL, 0);
    cli_buf_free(&b);
    return rc;
}

static int unpack(rill_emitter *out, const rill_record *in, void *payload)
{
    rill_record r;
    (void)payload;
    if (in->key == NULL || cli_unpack(&r, in->key, in->key_len) < 0) {
        rill_error_set("a packed record of %zu bytes is malformed", in->key_len);
        return RILL_ECORRUPT;
    }
    return rill_emit_record(out, &r);
}

static const char *const on_choices[] = {"record", "key", "value", NULL};

static int dedupe_add(cli_build *b, const cli_opts *o)
{
    rill_combine_options co = RILL_COMBINE_SUM_INT64;
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    char name[512];
    dedupe_conf *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return cli_error(o, NULL, "out of memory");
    if (cli_opt_enum(o, "on", on_choices, &c->on) < 0 || cli_own(b, c, free) < 0) {
        free(c);
        return -1;
    }
    if ((size_t)snprintf(name, sizeof(name), "%s:pack", o->stage) >= sizeof(name))
        return cli_error(o, NULL, "the stage's name is too long");
    if (cli_add_job(b, o, name, &so, pack, c) < 0 || cli_add_combine(b, o, o->stage, &co, NULL) < 0)
        return -1;
    snprintf(name, sizeof(name), "%s:format", o->stage);
    return cli_add_job(b, o, name, &so, unpack, c);
}

static const cli_option_doc dedupe_options[] = {
    {"on", "record|key|value", "record", "what makes two records the same: all of them, the key "
                                         "(emits the keys), or the value (emits the values)"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_dedupe = {
    .kind = "dedupe",
    .summary = "each distinct record (or key, or value) once, in no set order",
    .options = dedupe_options,
    .add = dedupe_add,
};
