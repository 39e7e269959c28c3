/* cache_helpers.h — what the source cache's tests (test_cache.c,
 * test_cache_sources.c) share: a cache folder in the scratch folder, a
 * random endless generator of 100-byte events, limits for quick
 * recordings, a run's results, comparing them, and finding a segment file. */
#ifndef RILL_TESTS_CACHE_HELPERS_H
#define RILL_TESTS_CACHE_HELPERS_H

#include "live_helpers.h"

#include <dirent.h>
#include <sys/wait.h>

#include <rill/cache.h>

static inline rill_cache *open_cache(void)
{
    char dir[400];
    rill_cache *c;
    snprintf(dir, sizeof(dir), "%s/cache", tmp);
    assert_int_equal(rill_cache_open(&c, dir), 0);
    return c;
}

/* ---- a random, endless generator of 100-byte events ---- */

typedef struct rnd {
    unsigned seed;
    int64_t made;
} rnd;

static inline int random_events(rill_batch *out, void *payload)
{
    rnd *r = payload;
    int i, k;
    for (i = 0; i < 64; i++) {
        char ev[100];
        for (k = 0; k < 100; k++)
            ev[k] = (char)('a' + rand_r(&r->seed) % 26);
        if (rill_batch_add(out, ev, sizeof(ev)) < 0)
            return -1;
        r->made++;
    }
    return 1;
}

static inline rill_pipeline *random_pipeline(rnd *r)
{
    rill_pipeline *p = passing();
    assert_int_equal(rill_generator(p, random_events, r), 0);
    return p;
}

static inline rill_cache_options limits(int64_t events, int64_t bytes)
{
    rill_cache_options o = RILL_CACHE_OPTIONS_INIT;
    o.max_events = events;
    o.max_bytes = bytes;
    o.max_ms = SAFETY_MS;
    o.segment_bytes = 2000;
    o.flush_ms = 20;
    return o;
}

static inline rill_batch *run_all(rill_pipeline *p)
{
    rill_run_options ro = with_workers(1);
    rill_batch *out = NULL;
    assert_int_equal(rill_run(p, &ro, &out), 0);
    return out;
}

static inline int same_batches(const rill_batch *a, const rill_batch *b)
{
    size_t i;
    if (rill_batch_count(a) != rill_batch_count(b))
        return 0;
    for (i = 0; i < rill_batch_count(a); i++) {
        rill_record x, y;
        rill_batch_get(&x, a, i);
        rill_batch_get(&y, b, i);
        if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
            return 0;
    }
    return 1;
}

/* The path of the first segment file of the only cache under tmp/cache. */
static inline void first_segment(char *out, size_t cap)
{
    char dir[400];
    DIR *d, *k;
    struct dirent *e, *f;
    snprintf(dir, sizeof(dir), "%s/cache", tmp);
    assert_non_null(d = opendir(dir));
    while ((e = readdir(d)) != NULL) {
        char sub[700];
        if (e->d_name[0] == '.' || strncmp(e->d_name, "index.db", 8) == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
        assert_non_null(k = opendir(sub));
        while ((f = readdir(k)) != NULL)
            if (strstr(f->d_name, "-s000001.zst"))
                snprintf(out, cap, "%s/%s", sub, f->d_name);
        closedir(k);
    }
    closedir(d);
}

#endif
