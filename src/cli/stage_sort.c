/* stage_sort.c — the `sort` built-in: every record, in order of its value
 * (or key), read as bytes or as a number, in bounded memory.
 *
 * A reduce. Each worker's store holds records in memory until they pass
 * its share of `memory` (memory / workers), then sorts them and writes
 * them to a run file in the scratch folder; merging two stores moves the
 * other's runs and records over. The emit sorts what is left in memory and
 * merges it with the runs, at most FAN_IN at a time (more runs are first
 * merged into bigger runs), then deletes them. Ties are broken by key then
 * value, bytewise, so the output order is the same in any run.
 *
 * A run file is what cli_items_encode writes, record after record; a
 * checkpoint saves a store as its records in memory followed by its runs'
 * bytes, so a resume does not need the run files. The store frees (and
 * deletes) its runs when the run ends, failed or not. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stage_common.h"

#define FAN_IN 16
#define HEAD_BYTES 34 /* a serialised item's header (stage_common.c) */

typedef struct sort_conf {
    int by_key, numeric, reverse, on_error;
    size_t limit;      /* bytes one store holds before it spills */
    const char *dir;   /* borrowed from the builder */
    atomic_uint runs;  /* to name run files */
} sort_conf;

typedef struct sort_store {
    cli_items mem;
    size_t bytes;      /* held in mem, counted as item_bytes */
    char **runs;       /* owned paths of run files */
    size_t nruns;
} sort_store;

static size_t item_bytes(const cli_item *it)
{
    return sizeof(*it) + sizeof(it) + it->klen + it->vlen;
}

static int sort_cmp(const cli_item *a, const cli_item *b, const void *conf)
{
    const sort_conf *c = conf;
    int r;
    if (c->numeric)
        r = cli_num_cmp(&a->num, &b->num);
    else if (c->by_key)
        r = cli_bytes_cmp(a->key ? a->key : "", a->klen, b->key ? b->key : "", b->klen);
    else
        r = cli_bytes_cmp(a->val, a->vlen, b->val, b->vlen);
    if (r == 0)
        r = cli_item_cmp_record(a, b);
    return c->reverse ? -r : r;
}

/* ---- run files ---- */

/* Reads the next item of f: 1, 0 at its end, or a negative error. */
static int read_item(FILE *f, cli_item **out, const char *path)
{
    unsigned char h[HEAD_BYTES];
    uint32_t klen, vlen;
    size_t got = fread(h, 1, sizeof(h), f);
    cli_items one = {0};
    char *buf;
    int rc;
    if (got == 0 && !ferror(f))
        return 0;
    if (got != sizeof(h))
        goto bad;
    memcpy(&klen, h + 24, 4);
    memcpy(&vlen, h + 28, 4);
    if ((buf = malloc(sizeof(h) + (size_t)klen + vlen + 1)) == NULL)
        return RILL_ENOMEM;
    memcpy(buf, h, sizeof(h));
    if (fread(buf + sizeof(h), 1, (size_t)klen + vlen, f) != (size_t)klen + vlen) {
        free(buf);
        goto bad;
    }
    rc = cli_items_decode(&one, buf, sizeof(h) + (size_t)klen + vlen);
    free(buf);
    if (rc != 0 || one.n != 1) {
        cli_items_free(&one);
        return rc ? rc : RILL_ECORRUPT;
    }
    *out = one.v[0];
    free(one.v);
    return 1;
bad:
    rill_error_set("sort: run file %s is short or unreadable: %s", path,
                   ferror(f) ? strerror(errno) : "it ends inside a record");
    return RILL_ECORRUPT;
}

static int write_item(FILE *f, const cli_item *it)
{
    cli_items one = {(cli_item **)&it, 1, 1};
    rill_batch *b;
    rill_record r;
    int rc;
    if ((rc = rill_batch_new(&b)) != 0)
        return rc;
    if ((rc = cli_items_encode(&one, b)) == 0 && (rc = rill_batch_get(&r, b, 0)) == 0 &&
        fwrite(r.data, 1, r.len, f) != r.len)
        rc = RILL_EIO;
    rill_batch_free(b);
    return rc;
}

/* A new run file's path and stream; NULL after setting the error. */
static FILE *new_run(sort_conf *c, char **path)
{
    FILE *f;
    if (asprintf(path, "%s/sort-%ld-%u.run", c->dir, (long)getpid(), atomic_fetch_add(&c->runs, 1)) < 0) {
        *path = NULL;
        rill_error_set("out of memory");
        return NULL;
    }
    if ((f = fopen(*path, "wbx")) == NULL) {
        rill_error_set("sort: cannot create run file %s: %s", *path, strerror(errno));
        free(*path);
        *path = NULL;
    }
    return f;
}

static int close_run(FILE *f, const char *path, int rc)
{
    if (fclose(f) != 0 && rc == 0)
        rc = RILL_EIO;
    if (rc == RILL_EIO) /* only writing gives EIO: reading gives ECORRUPT */
        rill_error_set("sort: cannot write run file %s: %s", path, strerror(errno));
    return rc;
}

static int add_run(sort_store *s, char *path)
{
    char **runs = realloc(s->runs, (s->nruns + 1) * sizeof(*runs));
    if (runs == NULL) {
        unlink(path);
        free(path);
        return RILL_ENOMEM;
    }
    s->runs = runs;
    s->runs[s->nruns++] = path;
    return 0;
}

/* Writes the records in memory, sorted, to a new run. */
static int spill(sort_store *s, sort_conf *c)
{
    char *path;
    FILE *f;
    size_t i;
    int rc = 0;
    if (s->mem.n == 0)
        return 0;
    if ((f = new_run(c, &path)) == NULL)
        return RILL_EIO;
    cli_items_sort(&s->mem, sort_cmp, c);
    for (i = 0; i < s->mem.n && rc == 0; i++)
        rc = write_item(f, s->mem.v[i]);
    if ((rc = close_run(f, path, rc)) != 0) {
        unlink(path);
        free(path);
        return rc;
    }
    for (i = 0; i < s->mem.n; i++)
        free(s->mem.v[i]);
    s->mem.n = 0;
    s->bytes = 0;
    return add_run(s, path);
}

static int keep(sort_store *s, sort_conf *c, cli_item *it)
{
    int rc;
    size_t size = it ? item_bytes(it) : 0;
    if ((rc = cli_items_push(&s->mem, it)) != 0)
        return rc;
    s->bytes += size;
    return s->bytes > c->limit ? spill(s, c) : 0;
}

/* ---- merging ---- */

typedef struct source {
    FILE *f;          /* NULL: the records in memory */
    const char *path;
    size_t next;      /* in memory: the next index */
    cli_item *cur;    /* owned when read from a file */
} source;

static int advance(source *src, const cli_items *mem)
{
    if (src->f == NULL) {
        src->cur = src->next < mem->n ? mem->v[src->next++] : NULL;
        return 0;
    }
    free(src->cur);
    src->cur = NULL;
    {
        int rc = read_item(src->f, &src->cur, src->path);
        return rc < 0 ? rc : 0;
    }
}

/* Merges runs[0..n) and (when mem) the sorted records in memory, in order,
 * into out (a file) or to the emitter. */
static int merge_runs(char **runs, size_t n, const cli_items *mem, const sort_conf *c, FILE *out,
                      rill_emitter *emit)
{
    source src[FAN_IN + 1];
    size_t ns = 0, i;
    int rc = 0;
    for (i = 0; i < n && rc == 0; i++) {
        src[ns].path = runs[i];
        src[ns].cur = NULL;
        if ((src[ns].f = fopen(runs[i], "rb")) == NULL) {
            rill_error_set("sort: cannot open run file %s: %s", runs[i], strerror(errno));
            rc = RILL_ECORRUPT;
            break;
        }
        rc = advance(&src[ns++], mem);
    }
    if (mem && rc == 0) {
        src[ns] = (source){NULL, NULL, 0, NULL};
        rc = advance(&src[ns++], mem);
    }
    while (rc == 0) {
        size_t best = ns;
        for (i = 0; i < ns; i++)
            if (src[i].cur && (best == ns || sort_cmp(src[i].cur, src[best].cur, c) < 0))
                best = i;
        if (best == ns)
            break;
        rc = out ? write_item(out, src[best].cur) : cli_item_emit(emit, src[best].cur);
        if (rc == 0)
            rc = advance(&src[best], mem);
    }
    for (i = 0; i < ns; i++)
        if (src[i].f) {
            free(src[i].cur);
            fclose(src[i].f);
        }
    return rc;
}

static void drop_runs(sort_store *s, size_t n)
{
    size_t i;
    if (n == 0)
        return;
    for (i = 0; i < n; i++) {
        unlink(s->runs[i]);
        free(s->runs[i]);
    }
    memmove(s->runs, s->runs + n, (s->nruns - n) * sizeof(*s->runs));
    s->nruns -= n;
}

/* ---- the reducer ---- */

static int sort_add(rill_emitter *recur, void *store, const rill_record *in, size_t n, void *payload)
{
    sort_conf *c = payload;
    size_t i;
    int rc = 0;
    (void)recur;
    for (i = 0; i < n && rc == 0; i++) {
        cli_num x = {0, 0, 0};
        cli_item *it;
        if (c->numeric) {
            const void *p = c->by_key ? in[i].key : in[i].data;
            size_t len = c->by_key ? in[i].key_len : in[i].len;
            if (cli_num_parse(&x, p ? p : "", len) < 0) {
                if (c->on_error == CLI_ON_ERROR_SKIP)
                    continue;
                return cli_not_a_number(p ? p : "", len, c->by_key ? "key" : "value",
                                        "numeric: false orders by bytes");
            }
        }
        if ((it = cli_item_new(&in[i])) != NULL)
            it->num = x;
        rc = keep(store, c, it);
    }
    return rc;
}

static int sort_merge(void *store, void *other, void *payload)
{
    sort_store *s = store, *o = other;
    int rc = 0;
    while (o->nruns > 0 && rc == 0) {
        rc = add_run(s, o->runs[o->nruns - 1]);
        o->nruns--; /* add_run took the path, or freed it */
    }
    while (o->mem.n > 0 && rc == 0) {
        cli_item *it = o->mem.v[--o->mem.n];
        o->bytes -= item_bytes(it);
        rc = keep(s, payload, it);
    }
    return rc;
}

static int sort_emit(rill_emitter *out, void *store, void *payload)
{
    sort_store *s = store;
    sort_conf *c = payload;
    int rc = 0;
    while (s->nruns > FAN_IN && rc == 0) { /* merge the first FAN_IN into one */
        char *path;
        FILE *f = new_run(c, &path);
        if (f == NULL)
            return RILL_EIO;
        rc = close_run(f, path, merge_runs(s->runs, FAN_IN, NULL, c, f, NULL));
        drop_runs(s, FAN_IN);
        if (rc == 0)
            rc = add_run(s, path);
        else {
            unlink(path);
            free(path);
        }
    }
    if (rc == 0) {
        cli_items_sort(&s->mem, sort_cmp, c);
        rc = merge_runs(s->runs, s->nruns, &s->mem, c, NULL, out);
    }
    return rc;
}

static void sort_free(void *store, void *payload)
{
    sort_store *s = store;
    (void)payload;
    cli_items_free(&s->mem);
    drop_runs(s, s->nruns);
    free(s->runs);
    s->runs = NULL;
    s->bytes = 0;
}

static int sort_encode(const void *store, rill_batch *out, void *payload)
{
    const sort_store *s = store;
    cli_buf b = {0};
    rill_batch *mem = NULL;
    rill_record r;
    size_t i;
    int rc;
    (void)payload;
    if ((rc = rill_batch_new(&mem)) != 0 || (rc = cli_items_encode(&s->mem, mem)) != 0 ||
        (rc = rill_batch_get(&r, mem, 0)) != 0 || (rc = cli_buf_add(&b, r.data, r.len)) != 0)
        goto done;
    for (i = 0; i < s->nruns && rc == 0; i++) { /* a run file holds the same form */
        char chunk[65536];
        size_t got;
        FILE *f = fopen(s->runs[i], "rb");
        if (f == NULL) {
            rill_error_set("sort: cannot open run file %s: %s", s->runs[i], strerror(errno));
            rc = RILL_ECORRUPT;
            break;
        }
        while (rc == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
            rc = cli_buf_add(&b, chunk, got);
        if (rc == 0 && ferror(f)) {
            rill_error_set("sort: cannot read run file %s", s->runs[i]);
            rc = RILL_ECORRUPT;
        }
        fclose(f);
    }
    if (rc == 0)
        rc = rill_batch_add(out, b.p ? b.p : "", b.len);
done:
    rill_batch_free(mem);
    cli_buf_free(&b);
    return rc;
}

static int sort_decode(void *store, const void *bytes, size_t len, void *payload)
{
    sort_store *s = store;
    cli_items all = {0};
    size_t i;
    int rc = cli_items_decode(&all, bytes, len);
    for (i = 0; i < all.n && rc == 0; i++) {
        cli_item *it = all.v[i];
        all.v[i] = NULL;
        rc = keep(s, payload, it);
    }
    for (; i < all.n; i++)
        free(all.v[i]);
    all.n = 0;
    cli_items_free(&all);
    return rc;
}

static const char *const by_choices[] = {"value", "key", NULL};

static int sort_add_stage(cli_build *b, const cli_opts *o)
{
    rill_reduce_options ro = RILL_REDUCE_OPTIONS_INIT;
    sort_conf *c = calloc(1, sizeof(*c));
    int64_t memory = 64 << 20;
    int workers = cli_workers(b);
    if (c == NULL)
        return cli_error(o, NULL, "out of memory");
    atomic_init(&c->runs, 0);
    if (cli_opt_enum(o, "by", by_choices, &c->by_key) < 0 || cli_opt_bool(o, "numeric", &c->numeric) < 0 ||
        cli_opt_bool(o, "reverse", &c->reverse) < 0 ||
        cli_opt_enum(o, "on_error", cli_on_error_choices, &c->on_error) < 0 ||
        cli_opt_int(o, "memory", 1, INT64_MAX, &memory) < 0)
        goto fail;
    c->limit = (size_t)memory / (size_t)(workers > 0 ? workers : 1);
    if ((c->dir = cli_scratch_dir(b)) == NULL) {
        cli_error(o, NULL, "no scratch folder for the sort's run files");
        goto fail;
    }
    if (cli_own(b, c, free) < 0)
        goto fail;
    ro.store_size = sizeof(sort_store);
    ro.add = sort_add;
    ro.merge = sort_merge;
    ro.emit = sort_emit;
    ro.free = sort_free;
    ro.encode = sort_encode;
    ro.decode = sort_decode;
    return cli_add_reduce(b, o, o->stage, &ro, c);
fail:
    free(c);
    return -1;
}

static const cli_option_doc sort_options[] = {
    {"by", "value|key", "value", "what to order records by"},
    {"numeric", "bool", "false", "order by it read as a number; false: by its bytes"},
    {"reverse", "bool", "false", "largest first"},
    {"memory", "int", "67108864", "bytes of records held in memory (over all workers) before "
                                  "sorted runs are spilled to the scratch folder"},
    {"on_error", "fail|skip", "fail", "numeric, a value that is not a number: fail the run naming "
                                      "the record, or leave it out"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_sort = {
    .kind = "sort",
    .summary = "every record in order of its value or key (bytes or numbers), spilling to disk",
    .options = sort_options,
    .add = sort_add_stage,
};
