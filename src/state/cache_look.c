/* cache_look.c — looking at the source cache (rill/cache.h): each cache's
 * figures and state (rill_cache_list, rill_cache_info_get), a full check of
 * a cache's segments against the index (rill_cache_verify), and the names
 * of the states. Reading only, but for the one write a damaged segment
 * causes: its cache is marked invalidated, so that it is recorded again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_impl.h"
#include "../util/error.h"

static void info_of(const rill__crow *row, rill_cache_info *out)
{
    memset(out, 0, sizeof(*out));
    out->key = row->key;
    out->kind = row->kind;
    out->state = (rill_cache_state)row->state;
    out->events = row->events;
    out->bytes = row->bytes;
    out->disk_bytes = row->disk_bytes;
    out->segments = row->segments;
    out->duration_ms = row->state == RILL_CACHE_RECORDING && row->events == 0 ? 0 : row->dur_ms;
    out->pid = row->state == RILL_CACHE_RECORDING ? row->pid : 0;
    out->note = row->note;
}

typedef struct lister {
    rill_cache *c;
    rill_cache_list_fn fn;
    void *payload;
    char **keys; /* owned */
    size_t n;
} lister;

static int key_add(const char *key, void *ctx)
{
    lister *l = ctx;
    char **k = realloc(l->keys, (l->n + 1) * sizeof(*k));
    if (k == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    l->keys = k;
    if ((k[l->n] = strdup(key ? key : "")) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    l->n++;
    return 0;
}

static int list_one(const char *key, void *ctx)
{
    lister *l = ctx;
    rill__crow row;
    rill_cache_info info;
    int rc = rill__cdb_get(l->c->db, key, &row);
    if (rc <= 0)
        return rc;
    info_of(&row, &info);
    if (l->fn(&info, l->payload) != 0)
        return rill__error(RILL_EUSER, "rill_cache_list: the callback stopped it");
    return 0;
}

int rill_cache_list(rill_cache *c, rill_cache_list_fn fn, void *payload)
{
    lister l = {c, fn, payload, NULL, 0};
    size_t i;
    int rc;
    if (c == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_list: NULL argument");
    /* the keys first: a callback may use the handle */
    rc = rill__cdb_keys(c->db, key_add, &l);
    for (i = 0; i < l.n; i++) {
        if (rc == 0)
            rc = list_one(l.keys[i], &l);
        free(l.keys[i]);
    }
    free(l.keys);
    return rc;
}

int rill_cache_info_get(rill_cache *c, const rill_pipeline *p, rill_cache_info *out)
{
    char key[RILL_CACHE_KEY_MAX], kind[64];
    int rc;
    if (c == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_info_get: NULL argument");
    memset(&c->row, 0, sizeof(c->row));
    if ((rc = rill__cache_source(p, key, sizeof(key), kind, sizeof(kind))) < 0 ||
        (rc = rill__cdb_get(c->db, key, &c->row)) < 0)
        return rc;
    if (rc == 0) {
        snprintf(c->row.key, sizeof(c->row.key), "%s", key);
        snprintf(c->row.kind, sizeof(c->row.kind), "%s", kind);
    }
    info_of(&c->row, out);
    if (rc == 0) {
        out->state = RILL_CACHE_NONE;
        return rill__error(RILL_ENOTFOUND, "source cache: nothing recorded for %s", key);
    }
    return 0;
}

int rill_cache_verify(rill_cache *c, const rill_pipeline *p)
{
    char key[RILL_CACHE_KEY_MAX], kind[64];
    rill__crow row;
    rill__cseg s;
    int64_t seq, next = 0;
    char msg[600];
    int rc;
    if (c == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_verify: the cache is NULL");
    if ((rc = rill__cache_source(p, key, sizeof(key), kind, sizeof(kind))) < 0 ||
        (rc = rill__cdb_get(c->db, key, &row)) <= 0)
        return rc;
    if (row.state != RILL_CACHE_RECORDING) /* what a killed recorder was writing */
        rill__cseg_remove_tmp(c->dir, key);
    if (row.state == RILL_CACHE_INVALIDATED) /* its data is gone: why */
        return rill__error(RILL_ECORRUPT, "source cache %s is invalidated: %s", key,
                           row.note[0] ? row.note : "its source changed");
    for (seq = 1; seq <= row.segments; seq++) {
        if ((rc = rill__cdb_segment(c->db, key, seq, &s)) < 0)
            return rc;
        if (rc == 0 || s.first_event != next) {
            snprintf(msg, sizeof(msg), "source cache %s/index.db: cache %s: %s %lld of %lld "
                     "(events %lld on)", c->dir, key, rc == 0 ? "no row for segment"
                     : "misplaced segment", (long long)seq, (long long)row.segments,
                     (long long)next);
            goto bad;
        }
        if ((rc = rill__cseg_check(c->dir, key, &s)) < 0) {
            snprintf(msg, sizeof(msg), "%s", rill_error_last());
            goto bad;
        }
        next += s.events;
    }
    if (next != row.events) {
        snprintf(msg, sizeof(msg), "source cache %s/index.db: cache %s: its segments hold %lld "
                 "events, its row says %lld", c->dir, key, (long long)next,
                 (long long)row.events);
        goto bad;
    }
    return 0;
bad:
    rill__cache_set_state(c, key, RILL_CACHE_INVALIDATED, msg);
    return rill__error(RILL_ECORRUPT, "%s", msg);
}

const char *rill_cache_state_name(rill_cache_state s)
{
    switch (s) {
    case RILL_CACHE_RECORDING: return "recording";
    case RILL_CACHE_COMPLETE: return "complete";
    case RILL_CACHE_INVALIDATED: return "invalidated";
    default: return "none";
    }
}
