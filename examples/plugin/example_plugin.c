/* example_plugin.c — a rill plugin: one entry point registering one thing of
 * each kind a plugin can offer (docs/plugins.md walks through it).
 *
 *   job       upper        upper-cases text (its table is the plugin's payload)
 *   job       prefix       puts the stage's option text=... before each record
 *   task      lengths      each record's length in bytes, as int64
 *   task      route        sends each record to ONE successor by name: those
 *                          of long=N bytes or more to long_to=NAME, the
 *                          others to short_to=NAME (rill_emitter_to)
 *   reduce    mean_length  the mean length of the records, as a double
 *   combine   length_by_key  the total length of the records of each key
 *   frame     rounds       an int64 n: recurs n into the frame, n times, and
 *                          emits the sum of what came back to its end
 *   source    numbers      int64 records start, start+1, ... (options
 *                          count=N, start=S), a table of rill/sys/source.h
 *   source    ticks        an endless generator: batches of 0..9 as int64
 *   fragment  clean        two stages: NAME.lower lower-cases text,
 *                          NAME.min drops records shorter than min=N bytes
 *   fragment  classify     a reusable piece (classify.c): NAME labels records
 *                          short or long (long=N bytes), NAME.count counts
 *                          each class, NAME.text gives "CLASS COUNT"
 *
 * Built as a shared object that does not link librill: it uses the rill of
 * the program that loads it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>
#include <rill/sys/source.h>

#include "classify.h"

/* ---- job: upper ---- */

/* The plugin's payload: a table made by the entry point, freed at unload. */
typedef struct upper_table {
    unsigned char map[256];
} upper_table;

static int upper(rill_emitter *out, const rill_record *in, void *payload)
{
    const upper_table *t = payload;
    const unsigned char *s = in->data;
    char buf[256] = {0};
    char *big = in->len > sizeof(buf) ? malloc(in->len) : buf;
    size_t i;
    int rc;
    if (big == NULL) {
        rill_error_set("upper: out of memory for a record of %zu bytes", in->len);
        return -1;
    }
    for (i = 0; i < in->len; i++)
        big[i] = (char)t->map[s[i]];
    rc = rill_emit(out, big, in->len);
    if (big != buf)
        free(big);
    return rc;
}

/* ---- job: prefix (an option of the stage, read as a context value) ---- */

static int prefix(rill_emitter *out, const rill_record *in, void *payload)
{
    const char *text = rill_context(out, "text");
    size_t tlen = text ? strlen(text) : 0;
    char *buf;
    int rc;
    (void)payload;
    if (tlen == 0)
        return rill_emit_record(out, in);
    if ((buf = malloc(tlen + in->len)) == NULL) {
        rill_error_set("prefix: out of memory");
        return -1;
    }
    memcpy(buf, text, tlen);
    memcpy(buf + tlen, in->data, in->len);
    rc = rill_emit(out, buf, tlen + in->len);
    free(buf);
    return rc;
}

/* ---- task: lengths ---- */

static int lengths(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    int rc = 0;
    (void)payload;
    for (i = 0; i < n && rc == 0; i++)
        rc = rill_emit_int64(out, (int64_t)in[i].len);
    return rc;
}

/* ---- task: route ---- */

static int route(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    const char *at = rill_context(out, "long"), *long_to = rill_context(out, "long_to");
    const char *short_to = rill_context(out, "short_to");
    size_t i, long_at = at ? (size_t)strtoull(at, NULL, 10) : 5;
    int rc = 0;
    (void)payload;
    if (long_to == NULL || short_to == NULL) {
        rill_error_set("route needs the options long_to and short_to (successors' names)");
        return RILL_EINVAL;
    }
    for (i = 0; i < n && rc == 0; i++) {
        rill_emitter *to; /* unknown names: RILL_ENOTFOUND, naming the stage */
        if ((rc = rill_emitter_to(&to, out, in[i].len >= long_at ? long_to : short_to)) == 0)
            rc = rill_emit_record(to, &in[i]);
    }
    return rc;
}

/* ---- reduce: mean_length ---- */

typedef struct mean_store {
    int64_t bytes, records;
} mean_store;

static int mean_add(rill_emitter *recur, void *store, const rill_record *inputs, size_t n,
                    void *payload)
{
    mean_store *m = store;
    size_t i;
    (void)recur, (void)payload;
    for (i = 0; i < n; i++)
        m->bytes += (int64_t)inputs[i].len;
    m->records += (int64_t)n;
    return 0;
}

static int mean_merge(void *store, void *other, void *payload)
{
    mean_store *m = store;
    const mean_store *o = other;
    (void)payload;
    m->bytes += o->bytes;
    m->records += o->records;
    return 0;
}

static int mean_emit(rill_emitter *out, void *store, void *payload)
{
    const mean_store *m = store;
    (void)payload;
    return rill_emit_double(out, m->records ? (double)m->bytes / (double)m->records : 0.0);
}

/* ---- combine: length_by_key ---- */

static int length_add(void *acc, const rill_record *rec, void *payload)
{
    int64_t v;
    (void)payload;
    memcpy(&v, acc, sizeof(v));
    v += (int64_t)rec->len;
    memcpy(acc, &v, sizeof(v));
    return 0;
}

static int length_merge(void *acc, void *other, void *payload)
{
    int64_t a, b;
    (void)payload;
    memcpy(&a, acc, sizeof(a));
    memcpy(&b, other, sizeof(b));
    a += b;
    memcpy(acc, &a, sizeof(a));
    return 0;
}

/* ---- frame: rounds ---- */

typedef struct rounds_store {
    int64_t n, round, total;
} rounds_store;

static int rounds_frame(rill_emitter *recur, void *store, const rill_record *first,
                        void *payload)
{
    rounds_store *s = store;
    (void)payload;
    if (s->round == 0 && rill_record_int64(&s->n, first) != 0) {
        rill_error_set("rounds: the record opening the frame is not an int64");
        return -1;
    }
    if (s->round == s->n)
        return 0; /* emitting nothing ends the frame */
    s->round++;
    return rill_emit_int64(recur, s->n);
}

static int rounds_end(rill_emitter *recur, void *store, const rill_record *next, void *payload)
{
    rounds_store *s = store;
    int64_t v;
    (void)recur, (void)payload;
    if (rill_record_int64(&v, next) != 0) {
        rill_error_set("rounds: a record reaching the frame end is not an int64");
        return -1;
    }
    s->total += v;
    return 0;
}

static int rounds_emit(rill_emitter *out, void *store, void *payload)
{
    (void)payload;
    return rill_emit_int64(out, ((const rounds_store *)store)->total);
}

/* ---- source: numbers (a table with a self per pipeline) ---- */

typedef struct numbers {
    int64_t start, count, given;
} numbers;

/* The value of key=... in options into *out, when given. */
static int option_int(const char *const *options, const char *key, int64_t *out)
{
    size_t klen = strlen(key), i;
    for (i = 0; options && options[i]; i++) {
        char *end;
        if (strncmp(options[i], key, klen) != 0 || options[i][klen] != '=')
            continue;
        *out = strtoll(options[i] + klen + 1, &end, 10);
        if (end == options[i] + klen + 1 || *end) {
            rill_error_set("option %s: '%s' is not an integer", key, options[i] + klen + 1);
            return -1;
        }
    }
    return 0;
}

static int numbers_open(void **self, const char *const *options, void *payload)
{
    numbers *s;
    size_t i;
    (void)payload;
    for (i = 0; options && options[i]; i++)
        if (strncmp(options[i], "count=", 6) != 0 && strncmp(options[i], "start=", 6) != 0) {
            rill_error_set("unknown option '%s' (numbers takes count= and start=)", options[i]);
            return -1;
        }
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return -1;
    s->count = 10;
    if (option_int(options, "count", &s->count) != 0 ||
        option_int(options, "start", &s->start) != 0 || s->count < 0) {
        if (s->count < 0)
            rill_error_set("option count: must not be negative");
        free(s);
        return -1;
    }
    *self = s;
    return 0;
}

static int numbers_next(void *self, rill_source_pull *pull)
{
    numbers *s = self;
    int64_t end;
    int rc;
    if (s->given >= s->count)
        return 0;
    end = s->given + (int64_t)pull->batch_records;
    if (end > s->count)
        end = s->count;
    for (; s->given < end; s->given++)
        if ((rc = rill_batch_add_int64(pull->out, s->start + s->given)) < 0)
            return rc;
    pull->batch = pull->out;
    pull->begin = 0;
    pull->end = rill_batch_count(pull->out);
    pull->position = s->given;
    pull->last = s->given == s->count;
    return 1;
}

static int numbers_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const numbers *s = self;
    (void)p;
    return rill_batch_add_tuple(out, "ii", s->start, s->count);
}

static void numbers_free(void *self)
{
    free(self);
}

static const rill_source numbers_table = {
    .version = RILL_SOURCE_VERSION,
    .name = "example.numbers",
    .flags = RILL_SOURCE_BOUNDED,
    .next = numbers_next,
    .describe = numbers_describe,
    .free = numbers_free,
};

/* ---- source: ticks (a generator, no state) ---- */

static int ticks(rill_batch *out, void *payload)
{
    int64_t i;
    int rc;
    (void)payload;
    for (i = 0; i < 10; i++)
        if ((rc = rill_batch_add_int64(out, i)) < 0)
            return rc;
    return 1; /* never ends: the run's max_batches stops it */
}

/* ---- fragment: clean ---- */

static int lower(rill_emitter *out, const rill_record *in, void *payload)
{
    const unsigned char *s = in->data;
    char buf[256] = {0};
    char *small = in->len > sizeof(buf) ? malloc(in->len) : buf;
    size_t i;
    int rc;
    (void)payload;
    if (small == NULL)
        return -1;
    for (i = 0; i < in->len; i++)
        small[i] = (char)tolower(s[i]);
    rc = rill_emit(out, small, in->len);
    if (small != buf)
        free(small);
    return rc;
}

static int at_least(rill_emitter *out, const rill_record *in, void *payload)
{
    const char *min = rill_context(out, "min");
    (void)payload;
    if (min && in->len < (size_t)strtoull(min, NULL, 10))
        return 0;
    return rill_emit_record(out, in);
}

static int clean(rill_pipeline *p, const char *name, const char *const *options, void *payload)
{
    char lower_name[256], min_name[256];
    const char *min = "0";
    size_t i;
    int rc;
    (void)payload;
    for (i = 0; options && options[i]; i++) {
        if (strncmp(options[i], "min=", 4) != 0 || options[i][4] < '0' || options[i][4] > '9') {
            rill_error_set("option '%s': clean takes min=N (bytes)", options[i]);
            return RILL_EINVAL;
        }
        min = options[i] + 4;
    }
    snprintf(lower_name, sizeof(lower_name), "%s.lower", name);
    snprintf(min_name, sizeof(min_name), "%s.min", name);
    if ((rc = rill_job(p, lower_name, NULL, lower, NULL)) < 0 ||
        (rc = rill_job(p, min_name, NULL, at_least, NULL)) < 0 ||
        (rc = rill_configure(p, min_name, "context.min", min)) < 0)
        return rc;
    return 0;
}

/* ---- the entry point ---- */

static void unload(void *payload)
{
    free(payload);
}

RILL_PLUGIN_EXPORT int rill_plugin_init(rill_plugin *reg, unsigned api_version)
{
    rill_reduce_options mean = RILL_REDUCE_OPTIONS_INIT;
    rill_combine_options bykey = RILL_COMBINE_OPTIONS_INIT;
    rill_frame_options rounds = RILL_FRAME_OPTIONS_INIT;
    upper_table *t;
    int rc, c;
    (void)api_version; /* RILL_PLUGIN_DECLARE checks it */
    if ((rc = RILL_PLUGIN_DECLARE(reg, "example", "one entry of each kind, as an example")) < 0)
        return rc;
    if ((t = malloc(sizeof(*t))) == NULL)
        return RILL_ENOMEM;
    for (c = 0; c < 256; c++)
        t->map[c] = (unsigned char)toupper(c);
    if ((rc = rill_plugin_on_unload(reg, unload, t)) < 0) {
        free(t);
        return rc;
    }

    mean.store_size = sizeof(mean_store);
    mean.add = mean_add;
    mean.merge = mean_merge;
    mean.emit = mean_emit;

    bykey.value_size = sizeof(int64_t);
    bykey.add = length_add;
    bykey.merge = length_merge;

    rounds.store_size = sizeof(rounds_store);
    rounds.frame = rounds_frame;
    rounds.emit = rounds_emit;

    if ((rc = rill_plugin_job(reg, "upper", "upper-cases text (ASCII)", NULL, upper, t)) < 0 ||
        (rc = rill_plugin_job(reg, "prefix", "puts the option text=... before each record",
                              NULL, prefix, NULL)) < 0 ||
        (rc = rill_plugin_task(reg, "lengths", "each record's length in bytes, as int64",
                               NULL, lengths, NULL)) < 0 ||
        (rc = rill_plugin_task(reg, "route", "sends records of long=N bytes or more to the "
                               "successor long_to=NAME, the others to short_to=NAME",
                               NULL, route, NULL)) < 0 ||
        (rc = rill_plugin_reduce(reg, "mean_length", "the mean length of the records in "
                                 "bytes, as a double", &mean, NULL)) < 0 ||
        (rc = rill_plugin_combine(reg, "length_by_key", "the total length of the records "
                                  "of each key, as int64", &bykey, NULL)) < 0 ||
        (rc = rill_plugin_frame(reg, "rounds", "recurs an int64 n into the frame n times; "
                                "emits the sum of what reaches its end", &rounds, NULL,
                                rounds_end, NULL)) < 0 ||
        (rc = rill_plugin_source(reg, "numbers", "int64 records start.. (count=N, start=S)",
                                 &numbers_table, numbers_open, NULL)) < 0 ||
        (rc = rill_plugin_generator(reg, "ticks", "endless batches of 0..9 as int64",
                                    ticks, NULL)) < 0 ||
        (rc = rill_plugin_fragment(reg, "clean", "lower-cases text, drops records shorter "
                                   "than min=N bytes", clean, NULL)) < 0 ||
        (rc = rill_plugin_fragment(reg, "classify", "counts records short and long "
                                   "(long=N bytes, default 5)", classify_piece, NULL)) < 0)
        return rc;
    return 0;
}
