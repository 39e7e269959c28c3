/* cache.c — the source cache's public calls (rill/cache.h), Interactive
 * Beam's background caching job in rill's terms: which source of a
 * pipeline is cached and under what key, whether a recording is needed,
 * whether the sources changed, starting, waiting for, cancelling and
 * evicting recordings, and making a pipeline replay one (listing and
 * verifying: cache_look.c).
 *
 * The handle keeps its own SQLite connection and the list of recorder
 * threads it started (joined by cancel, wait, evict and free). Recorders in
 * other processes are known by the lock they hold (cache_db.c), never by a
 * pid alone: the holder of a recorder's lock is cancelled with SIGTERM
 * (SIGKILL when it still holds it after 5 s); a row naming a process that
 * holds no lock is a recorder that died. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache_impl.h"
#include "../core/plan.h"
#include "../util/error.h"


const char *rill__cache_dir(const rill_cache *c)
{
    return c->dir;
}

int rill_cache_open(rill_cache **out, const char *dir)
{
    rill_cache *c;
    int rc;
    if (out == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_open: out is NULL");
    *out = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (c->dir = strdup(dir && *dir ? dir : ".rill/cache")) == NULL) {
        free(c);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    if ((rc = rill__cdb_open_repair(&c->db, c->dir, c->notice, sizeof(c->notice))) < 0) {
        free(c->dir);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void recorder_join(rill__recorder *r)
{
    if (r->running) {
        pthread_join(r->th, NULL);
        r->running = 0;
    }
}

void rill_cache_free(rill_cache *c)
{
    rill__recorder *r, *next;
    if (c == NULL)
        return;
    for (r = c->recs; r; r = next) {
        next = r->next;
        atomic_store(&r->cancel, 1);
        recorder_join(r);
        if (r->rp)
            rill__replay_recorder(r->rp, NULL);
        free(r->dir);
        free(r);
    }
    rill__cdb_close(c->db);
    free(c->dir);
    free(c);
}

const char *rill_cache_notice(const rill_cache *c)
{
    return c ? c->notice : "";
}

rill__recorder *rill__cache_recorder(rill_cache *c, const char *key)
{
    rill__recorder *r;
    for (r = c->recs; r; r = r->next)
        if (strcmp(r->key, key) == 0)
            return r;
    return NULL;
}

/* The key of a signature: KIND (safe characters only) - hash high, low. */
static void key_of(char *out, size_t cap, const rill_source_signature *sig)
{
    char kind[48];
    size_t i;
    snprintf(kind, sizeof(kind), "%s", sig->kind ? sig->kind : "source");
    for (i = 0; kind[i]; i++)
        if (!isalnum((unsigned char)kind[i]) && kind[i] != '_' && kind[i] != '.')
            kind[i] = '_';
    snprintf(out, cap, "%s-%016llx%016llx", kind, (unsigned long long)sig->hash[1],
             (unsigned long long)sig->hash[0]);
}

/* The source of p the cache records: its key and kind. */
int rill__cache_source(const rill_pipeline *p, char *key, size_t cap, char *kind, size_t kcap)
{
    rill__replay *r = rill__replay_of(p);
    const rill_source *ops;
    rill_source_signature sig;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "source cache: the pipeline is NULL");
    if (r) {
        const char *k = rill__replay_key(r);
        void *self;
        rill__replay_source(r, &ops, &self);
        snprintf(key, cap, "%s", k);
        snprintf(kind, kcap, "%s", ops->name);
        return 0;
    }
    ops = rill__pulled_source(p);
    if (ops == NULL || (ops->flags & RILL_SOURCE_BOUNDED))
        return rill__error(RILL_ENOTFOUND, "source cache: the pipeline has no unbounded "
                           "source the cache can record");
    if ((rc = rill_pipeline_source_signature(p, 0, &sig)) < 0)
        return rc;
    key_of(key, cap, &sig);
    snprintf(kind, kcap, "%s", ops->name);
    return 0;
}

int rill_cache_has_source_to_cache(const rill_pipeline *p)
{
    char key[RILL_CACHE_KEY_MAX], kind[64];
    return p != NULL && rill__cache_source(p, key, sizeof(key), kind, sizeof(kind)) == 0;
}

int rill_cache_key(const rill_pipeline *p, char *out, size_t cap)
{
    char kind[64];
    if (out == NULL || cap < RILL_CACHE_KEY_MAX)
        return rill__error(RILL_EINVAL, "rill_cache_key: out needs %d bytes",
                           RILL_CACHE_KEY_MAX);
    return rill__cache_source(p, out, cap, kind, sizeof(kind));
}

static int stale(const rill__crow *row)
{
    return row->state == RILL_CACHE_INVALIDATED ||
           (row->state == RILL_CACHE_COMPLETE &&
            (strncmp(row->note, "cancelled", 9) == 0 || strncmp(row->note, "recorder died", 13) == 0 ||
             strncmp(row->note, "the source failed", 17) == 0 ||
             strncmp(row->note, "the recorder failed", 19) == 0 ||
             strncmp(row->note, "the cache's folder", 18) == 0));
}

int rill_cache_is_job_needed(rill_cache *c, const rill_pipeline *p)
{
    char key[RILL_CACHE_KEY_MAX], kind[64];
    rill__crow row;
    int rc;
    if (c == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_is_job_needed: the cache is NULL");
    if (rill__cache_source(p, key, sizeof(key), kind, sizeof(kind)) < 0) {
        rill_error_clear();
        return 0;
    }
    if ((rc = rill__cdb_get(c->db, key, &row)) < 0)
        return rc;
    return rc == 0 || stale(&row);
}

/* ---- did the sources change ---- */

typedef struct keyset {
    char (*k)[RILL_CACHE_KEY_MAX]; /* owned: keyset_free */
    int n, cap;
} keyset;

static int keyset_add(const char *key, void *ctx)
{
    keyset *s = ctx;
    if (s->n == s->cap) { /* as many as there are: none is dropped */
        int cap = s->cap ? s->cap * 2 : 16;
        char (*k)[RILL_CACHE_KEY_MAX] = realloc(s->k, (size_t)cap * sizeof(*k));
        if (k == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        s->k = k;
        s->cap = cap;
    }
    snprintf(s->k[s->n++], RILL_CACHE_KEY_MAX, "%s", key);
    return 0;
}

static void keyset_free(keyset *s)
{
    if (s)
        free(s->k);
    free(s);
}

static int keyset_has(const keyset *s, const char *key)
{
    int i;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->k[i], key) == 0)
            return 1;
    return 0;
}

/* Every unbounded source of p (the replayed one by its own key). */
static int current_keys(const rill_pipeline *p, keyset *s)
{
    int i, n = rill_pipeline_source_count(p), rc;
    s->n = 0;
    for (i = 0; i < n; i++) {
        rill_source_signature sig;
        char key[RILL_CACHE_KEY_MAX];
        if (i == 0 && rill__replay_of(p)) {
            if ((rc = keyset_add(rill__replay_key(rill__replay_of(p)), s)) < 0)
                return rc;
            continue;
        }
        if ((rc = rill_pipeline_source_signature(p, i, &sig)) < 0)
            return rc;
        if (sig.flags & RILL_SOURCE_BOUNDED)
            continue;
        key_of(key, sizeof(key), &sig);
        if (!keyset_has(s, key) && (rc = keyset_add(key, s)) < 0)
            return rc;
    }
    return 0;
}

int rill__cache_set_state(rill_cache *c, const char *key, int state, const char *note)
{
    rill__crow row;
    int rc = rill__cdb_get(c->db, key, &row);
    if (rc <= 0)
        return rc;
    row.state = state;
    snprintf(row.note, sizeof(row.note), "%.255s", note);
    if (state == RILL_CACHE_INVALIDATED) { /* its data is of no use now */
        rill__cseg_remove_all(c->dir, key);
        if ((rc = rill__cdb_drop_data(c->db, key)) < 0)
            return rc;
        row.events = row.bytes = row.disk_bytes = row.segments = 0;
    }
    return rill__cdb_put(c->db, &row);
}

int rill_cache_sources_changed(rill_cache *c, const char *name, const rill_pipeline *p,
                               rill_cache_change_fn fn, void *payload)
{
    keyset *cur = NULL, *old = NULL;
    int rc, i, added = 0;
    if (c == NULL || name == NULL || p == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_sources_changed: NULL argument");
    if ((cur = calloc(1, sizeof(*cur))) == NULL || (old = calloc(1, sizeof(*old))) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = current_keys(p, cur)) < 0 ||
        (rc = rill__cdb_tracked(c->db, name, keyset_add, old)) < 0)
        goto done;
    for (i = 0; i < cur->n; i++)
        if (!keyset_has(old, cur->k[i])) {
            added = 1;
            if (fn && fn(cur->k[i], "added", payload) != 0) {
                rc = rill__error(RILL_EUSER, "rill_cache_sources_changed: the callback failed");
                goto done;
            }
        }
    for (i = 0; i < old->n; i++)
        if (!keyset_has(cur, old->k[i])) {
            if (fn && fn(old->k[i], "removed", payload) != 0) {
                rc = rill__error(RILL_EUSER, "rill_cache_sources_changed: the callback failed");
                goto done;
            }
            /* replaced (mutated), not just removed: its cache is stale */
            /* its recorder first: it would go on (a listener's port held)
             * and finish the row as complete */
            if (added && (rc = rill__cdb_key_tracked_elsewhere(c->db, name, old->k[i])) == 0 &&
                ((rc = rill_cache_cancel_key(c, old->k[i])) < 0 ||
                 (rc = rill__cache_set_state(c, old->k[i], RILL_CACHE_INVALIDATED,
                                             "its source changed")) < 0))
                goto done;
            if (rc < 0)
                goto done;
        }
    if ((rc = rill__cdb_track(c->db, name, cur->k, cur->n)) < 0)
        goto done;
    rc = added;
done:
    keyset_free(cur);
    keyset_free(old);
    return rc;
}

/* ---- recording ---- */

/* Evicts the oldest caches that are not recording (nor key) until the
 * disk bytes of all fit in room. */
static int fit_budget(rill_cache *c, const char *key, int64_t room)
{
    char old[RILL_CACHE_KEY_MAX];
    int64_t used;
    int rc, n;
    for (n = 0; n < 10000; n++) {
        if ((rc = rill__cdb_oldest(c->db, key, &used, old, sizeof(old))) <= 0 || used <= room)
            return rc < 0 ? rc : 0;
        if ((rc = rill_cache_evict_key(c, old)) < 0)
            return rc;
    }
    return 0;
}

static int resumable_kind(const char *kind)
{
    return strcmp(kind, "follow") == 0 || strcmp(kind, "sequence") == 0;
}

int rill_cache_attempt_to_run(rill_cache *c, rill_pipeline *p, const rill_cache_options *opts)
{
    rill_cache_options o = RILL_CACHE_OPTIONS_INIT;
    char key[RILL_CACHE_KEY_MAX], kind[64];
    rill__recorder *rec, *old;
    rill__replay *rp;
    rill__crow row;
    int rc, lock_fd = -1;
    if (c == NULL || p == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_attempt_to_run: NULL argument");
    if (opts) {
        if (opts->version != RILL_CACHE_OPTIONS_VERSION || opts->max_bytes < 0 ||
            opts->max_events < 0 || opts->segment_bytes < 0 || opts->flush_ms < 0)
            return rill__error(RILL_EINVAL, "rill_cache_attempt_to_run: options of another "
                               "version, or a negative limit");
        o = *opts;
    }
    if (o.max_bytes == 0)
        o.max_bytes = (int64_t)1 << 30;
    if (o.max_ms == 0)
        o.max_ms = 60000;
    if (o.segment_bytes == 0)
        o.segment_bytes = (int64_t)1 << 20;
    if (o.flush_ms == 0)
        o.flush_ms = 200;
    if ((rc = rill_cache_is_job_needed(c, p)) <= 0)
        return rc;
    if ((rc = rill__cache_source(p, key, sizeof(key), kind, sizeof(kind))) < 0)
        return rc;
    if (o.max_total_bytes == 0)
        o.max_total_bytes = (int64_t)4 << 30;
    if (o.max_total_bytes > 0 && (rc = fit_budget(c, key, o.max_total_bytes - o.max_bytes)) < 0)
        return rc;
    if ((rp = rill__replay_of(p)) == NULL) {
        if ((rc = rill__replay_install(p, c, key, kind)) < 0)
            return rc;
        rp = rill__replay_of(p);
    }
    if ((old = rill__cache_recorder(c, key)) != NULL)
        recorder_join(old);
    memset(&row, 0, sizeof(row));
    if ((rc = rill__cdb_get(c->db, key, &row)) < 0)
        return rc;
    /* alive from the row's first moment: a thread's lock (byte 1, the
     * process's), or the starter's (byte 0) until a recorder process holds
     * its own; held by another process: it records already */
    if ((lock_fd = rill__cache_lock(c->dir, key, o.process ? 0 : 1, 0)) < 0) {
        if (rill__cache_lock_holder(c->dir, key, -1) > 0) {
            rill_error_clear();
            return 0;
        }
        return lock_fd;
    }
    /* decided and claimed as one: another process that claimed it between
     * our look and our lock (starting, or its recorder running) wins */
    if (rill__cache_lock_fd_holder(lock_fd) > 0) {
        close(lock_fd);
        return 0;
    }
    /* a stale cache of this key: cleared, its files after its row (a
     * reader of it then finds the row gone, and says the cache was recorded
     * anew, rather than a segment missing, and damaged) */
    if ((rc = rill__cdb_delete(c->db, key)) < 0)
        return rc;
    rill__cseg_remove_all(c->dir, key);
    /* a recording's number is never used again for its key, evicted or
     * not (a reader of the old one must not take the new one's segments
     * for its own): the wall clock's microseconds, past the last one */
    row.gen = rill__cache_now_us() > row.gen ? rill__cache_now_us() : row.gen + 1;
    snprintf(row.key, sizeof(row.key), "%s", key);
    snprintf(row.kind, sizeof(row.kind), "%s", kind);
    row.state = RILL_CACHE_RECORDING;
    row.events = row.bytes = row.disk_bytes = row.segments = row.dur_ms = 0;
    row.t0_ms = rill__cache_now_ms();
    row.pid = (int)getpid();
    row.start_pos = row.end_pos = 0;
    row.end_pos_ok = 1;
    row.resumable = resumable_kind(kind);
    row.note[0] = '\0';
    if ((rc = rill__cdb_put(c->db, &row)) < 0) {
        close(lock_fd);
        return rc;
    }
    if ((rec = calloc(1, sizeof(*rec))) == NULL || (rec->dir = strdup(c->dir)) == NULL) {
        free(rec);
        rill__cache_set_state(c, key, RILL_CACHE_INVALIDATED, "the recorder could not start");
        close(lock_fd);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    rec->lock_fd = -1;
    snprintf(rec->key, sizeof(rec->key), "%s", key);
    rill__replay_source(rp, &rec->ops, &rec->self);
    rec->o = o;
    rec->src_stop = &p->src_stop;
    rill__cache_follow_path(rec->ops, rec->self, p, rec->path, sizeof(rec->path));
    rec->gen = row.gen;
    rec->resumable = row.resumable;
    if (o.process) {
        rc = rill__record_process(rec, c->db);
        close(lock_fd); /* the recorder holds its own now (or failed) */
        lock_fd = -1;
        free(rec->dir);
        free(rec);
    } else {
        rec->lock_fd = lock_fd; /* closed by the recorder when it is done */
        if (old) { /* the old one is done: reuse its place in the list */
            rec->next = old->next;
            free(old->dir);
            *old = *rec;
            free(rec);
            rec = old;
        } else {
            rec->next = c->recs;
            c->recs = rec;
        }
        rec->rp = rp;
        rill__replay_recorder(rp, rec);
        rc = rill__record_thread(rec);
        if (rc < 0) {
            close(rec->lock_fd);
            rec->lock_fd = -1;
        }
    }
    if (rc < 0) {
        rill__cache_set_state(c, key, RILL_CACHE_INVALIDATED, "the recorder could not start");
        return rc;
    }
    return 1;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits up to ms (<0: for ever) for key to leave the recording state. */
static int wait_key(rill_cache *c, const char *key, long ms)
{
    rill__crow row;
    long waited = 0;
    int rc;
    for (;;) {
        if ((rc = rill__cdb_get(c->db, key, &row)) <= 0)
            return rc;
        if (row.state != RILL_CACHE_RECORDING)
            return 0;
        if (ms >= 0 && waited >= ms)
            return 1;
        sleep_ms(20);
        waited += 20;
    }
}

int rill_cache_wait(rill_cache *c, const rill_pipeline *p)
{
    char key[RILL_CACHE_KEY_MAX], kind[64];
    rill__recorder *r;
    int rc;
    if (c == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_wait: the cache is NULL");
    if ((rc = rill__cache_source(p, key, sizeof(key), kind, sizeof(kind))) < 0)
        return rc;
    if ((r = rill__cache_recorder(c, key)) != NULL)
        recorder_join(r);
    return wait_key(c, key, -1);
}

int rill_cache_cancel_key(rill_cache *c, const char *key)
{
    rill__recorder *r;
    rill__crow row;
    int rc, holder;
    if (c == NULL || key == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_cancel_key: NULL argument");
    r = rill__cache_recorder(c, key);
    if (r && r->running) {
        atomic_store(&r->cancel, 1);
        recorder_join(r);
        return 1;
    }
    if ((rc = rill__cdb_get(c->db, key, &row)) <= 0 || row.state != RILL_CACHE_RECORDING)
        return rc < 0 ? rc : 0;
    if (row.pid <= 0 || row.pid == (int)getpid())
        return 0; /* another handle's thread in this process: its owner cancels it */
    /* only the process holding the recorder's lock (its row's pid may be
     * another's by now; rill__cdb_get found it dead when nobody holds it) */
    if ((holder = rill__cache_lock_holder(c->dir, key, 1)) <= 0)
        return wait_key(c, key, 2000) < 0 ? -1 : 1;
    kill(holder, SIGTERM);
    if ((rc = wait_key(c, key, 5000)) == 1 &&
        rill__cache_lock_holder(c->dir, key, 1) == holder) {
        kill(holder, SIGKILL);
        sleep_ms(50);
        rc = wait_key(c, key, 2000);
    }
    return rc < 0 ? rc : 1;
}

int rill_cache_cancel(rill_cache *c, const rill_pipeline *p)
{
    char key[RILL_CACHE_KEY_MAX], kind[64];
    int rc;
    if (c == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_cancel: the cache is NULL");
    if ((rc = rill__cache_source(p, key, sizeof(key), kind, sizeof(kind))) < 0)
        return rc;
    return rill_cache_cancel_key(c, key);
}

int rill_cache_evict_key(rill_cache *c, const char *key)
{
    int rc;
    if (c == NULL || key == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_evict_key: NULL argument");
    if ((rc = rill_cache_cancel_key(c, key)) < 0)
        return rc;
    if ((rc = rill__cdb_delete(c->db, key)) < 0) /* the row first, as above */
        return rc;
    rill__cseg_remove_all(c->dir, key);
    if (rill__cache_lock_holder(c->dir, key, -1) == 0) { /* its lock too, when free */
        char path[4096];
        rill__cache_lock_path(path, sizeof(path), c->dir, key);
        unlink(path);
        snprintf(path, sizeof(path), "%s/locks", c->dir);
        rmdir(path);
    }
    return rill__cdb_untrack_key(c->db, key);
}

static int evict_one(const char *key, void *ctx)
{
    return rill_cache_evict_key(ctx, key);
}

int rill_cache_evict(rill_cache *c, const rill_pipeline *p)
{
    char key[RILL_CACHE_KEY_MAX], kind[64];
    keyset *all;
    int rc, i;
    if (c == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_evict: the cache is NULL");
    if (p) {
        keyset *cur = calloc(1, sizeof(*cur));
        RILL__CHECK_ALLOC(cur);
        if ((rc = current_keys(p, cur)) == 0)
            for (i = 0; i < cur->n && rc == 0; i++)
                rc = rill_cache_evict_key(c, cur->k[i]);
        keyset_free(cur);
        if (rc == 0 && rill__cache_source(p, key, sizeof(key), kind, sizeof(kind)) < 0)
            rill_error_clear();
        return rc;
    }
    if ((all = calloc(1, sizeof(*all))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if ((rc = rill__cdb_keys(c->db, keyset_add, all)) == 0)
        for (i = 0; i < all->n && rc == 0; i++)
            rc = evict_one(all->k[i], c);
    keyset_free(all);
    if (rc == 0 && sqlite3_exec(c->db, "DELETE FROM tracked", NULL, NULL, NULL) != SQLITE_OK)
        rc = rill__cdb_fail(c->db, "cannot write its index");
    if (rc == 0) /* the index gives its pages back (not while others read it) */
        sqlite3_exec(c->db, "VACUUM", NULL, NULL, NULL);
    return rc;
}
