/* compile_out.c — what a compile's functions call (rill_compile_key, pair,
 * set, put, read, list) and the context they write into: one per call,
 * on the worker that runs it, so nothing here is shared but the input
 * handles, read under the compile's read lock. */
#include "compile.h"

#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

void rill__cmp_out_init(rill_compile_out *o, rill_compile *c, const int64_t *to, int mode)
{
    memset(o, 0, sizeof(*o));
    o->c = c;
    o->to = to;
    o->mode = mode;
}

void rill__cmp_out_free(rill_compile_out *o)
{
    size_t i;
    rill__cbuf_free(&o->items);
    rill__cbuf_free(&o->set);
    rill__cbuf_free(&o->reads);
    for (i = 0; i < o->nheld; i++)
        free(o->held[i]);
    free(o->held);
    o->held = NULL;
    o->nheld = o->cheld = 0;
}

static const char *const mode_fn[] = {"keys", "map", "direct, group or ref", "full"};

static int wrong_mode(const rill_compile_out *o, const char *call)
{
    return rill__error(RILL_EINVAL, "%s called from the %s function", call,
                       o ? mode_fn[o->mode] : "(no)");
}

static int check_key(const void *key, size_t len, const char *call)
{
    if (len == 0 || len > RILL_CATALOG_KEY_MAX || key == NULL)
        return rill__error(RILL_EINVAL, "%s: a key of %zu bytes: 1 to %d", call, len,
                           RILL_CATALOG_KEY_MAX);
    return 0;
}

int rill_compile_key(rill_compile_out *out, const void *key, size_t key_len)
{
    int rc;
    if (out == NULL || out->mode != OUT_KEYS)
        return wrong_mode(out, "rill_compile_key");
    if ((rc = check_key(key, key_len, "rill_compile_key")) < 0 ||
        (rc = rill__cbuf_blob(&out->items, key, key_len)) < 0)
        return rc;
    out->nitems++;
    return 0;
}

int rill_compile_pair(rill_compile_out *out, const void *key, size_t key_len, const void *value,
                      size_t len)
{
    int rc;
    if (out == NULL || out->mode != OUT_PAIRS)
        return wrong_mode(out, "rill_compile_pair");
    if ((rc = check_key(key, key_len, "rill_compile_pair")) < 0 ||
        (rc = rill__cbuf_blob(&out->items, key, key_len)) < 0 ||
        (rc = rill__cbuf_blob(&out->items, value, len)) < 0)
        return rc;
    out->nitems++;
    return 0;
}

int rill_compile_set(rill_compile_out *out, const void *data, size_t len)
{
    if (out == NULL || out->mode != OUT_SET)
        return wrong_mode(out, "rill_compile_set");
    if (out->has)
        return rill__error(RILL_EINVAL, "rill_compile_set called twice for one output key");
    out->has = 1;
    return rill__cbuf_put(&out->set, data, len);
}

int rill_compile_put(rill_compile_out *out, const void *key, size_t key_len, const void *data,
                     size_t len)
{
    int rc;
    if (out == NULL || out->mode != OUT_PUT)
        return wrong_mode(out, "rill_compile_put");
    if ((rc = check_key(key, key_len, "rill_compile_put")) < 0 ||
        (rc = rill__cbuf_blob(&out->items, key, key_len)) < 0 ||
        (rc = rill__cbuf_blob(&out->items, data, len)) < 0)
        return rc;
    out->nitems++;
    return 0;
}

int rill__cmp_read(rill_compile *c, int input, int64_t to, const void *key, size_t key_len,
                   void **data, size_t *len)
{
    int rc;
    pthread_mutex_lock(&c->read_mu);
    /* to was resolved when the run decided; that no prune took it away
     * meanwhile is checked once, before the commit (rill_compile_run) */
    rc = rill__cat_get_at(data, len, c->in[input].cat, to, key, key_len);
    pthread_mutex_unlock(&c->read_mu);
    return rc;
}

int rill_compile_read(const void **data, size_t *len, rill_compile_out *out, int input,
                      const void *key, size_t key_len)
{
    void *d = NULL, **held;
    int rc;
    if (data == NULL || len == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_read: NULL argument");
    *data = NULL;
    *len = 0;
    if (out->mode != OUT_SET && out->mode != OUT_PUT)
        return wrong_mode(out, "rill_compile_read");
    if (input < 0 || input >= out->c->nin)
        return rill__error(RILL_EINVAL, "rill_compile_read: no input %d (the compile has %d)",
                           input, out->c->nin);
    if ((rc = check_key(key, key_len, "rill_compile_read")) < 0)
        return rc;
    if (out->mode == OUT_SET && /* recorded, also when the key is not there */
        ((rc = rill__cbuf_u32(&out->reads, (uint32_t)input)) < 0 ||
         (rc = rill__cbuf_blob(&out->reads, key, key_len)) < 0))
        return rc;
    if ((rc = rill__cmp_read(out->c, input, out->to[input], key, key_len, &d, len)) < 0)
        return rc;
    if (out->nheld == out->cheld) {
        size_t cap = out->cheld ? 2 * out->cheld : 8;
        if ((held = realloc(out->held, cap * sizeof(*held))) == NULL) {
            free(d);
            return rill__error(RILL_ENOMEM, "out of memory");
        }
        out->held = held;
        out->cheld = cap;
    }
    out->held[out->nheld++] = d;
    *data = d;
    return 0;
}

typedef struct lister {
    rill_catalog_entry_fn fn;
    void *payload;
} lister;

static int list_one(const rill_catalog_entry *e, void *payload)
{
    lister *l = payload;
    return l->fn(e, l->payload);
}

int rill_compile_list(rill_compile_out *out, int input, rill_catalog_entry_fn fn, void *payload)
{
    lister l = {fn, payload};
    if (out == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_compile_list: NULL argument");
    if (out->mode != OUT_PUT)
        return wrong_mode(out, "rill_compile_list");
    if (input < 0 || input >= out->c->nin)
        return rill__error(RILL_EINVAL, "rill_compile_list: no input %d (the compile has %d)",
                           input, out->c->nin);
    /* full runs on the calling thread: the handle is not shared meanwhile */
    return rill_catalog_list(out->c->in[input].cat, out->to[input], list_one, &l);
}
