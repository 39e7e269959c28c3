/* cache_replay.c — the source a pipeline pulls instead of its own once it
 * replays the cache (rill_cache_replay, rill/cache.h): the recorded events
 * in order, from the segments the index names, each segment's size and hash
 * checked before any of its events is given.
 *
 * Its position is the number of events given, so a checkpointed run
 * resumes at the same event (the marks of the index find its segment).
 * At the end of the data: while the cache is recording, it waits (an empty
 * answer every 20 ms, RILL_SOURCE_WAITS); at the end of a complete cache the
 * run ends, or with live_after the source it replaces goes on from the
 * position recorded at the end, when that is exact and the source can
 * resume (a followed file, a sequence); else the gap is reported. A damaged
 * segment fails the run (RILL_ECORRUPT naming the file) and invalidates the
 * cache so that the next attempt records it again.
 *
 * A run reads one recording: its number (gen) is pinned at the run's first
 * read, and every segment loaded must be of that recording (its file is
 * named by gen) and start at the event that follows what was given; a
 * recording made anew meanwhile (--refresh-cache, a mutated source) fails
 * the run (RILL_ECORRUPT), and never invalidates the new recording.
 *
 * The original source (ops, self) is owned here (freed with the replay);
 * while a recorder thread pulls it, the replay never does. Its own SQLite
 * connection is opened at a run's first ask and closed at its end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_impl.h"
#include "../core/plan.h"
#include "../util/error.h"

struct rill__replay {
    char key[RILL_CACHE_KEY_MAX];
    char kind[64];
    char *dir;                /* owned */
    const rill_source *ops;   /* the source replaced */
    void *self;               /* owned: freed by ops->free */
    rill_pipeline *p;
    rill_replay_options o;
    rill__recorder *rec;      /* a recorder thread on (ops, self), or NULL */
    /* the run going on */
    sqlite3 *db;
    int started, live, gap_told;
    long long t_start_us;
    int64_t given, seq, live_pos;
    int64_t gen;              /* the recording this run reads, or -1 */
    rill_batch *seg;          /* the segment being given */
    int64_t *ts;
    size_t at;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void drop_segment(rill__replay *r)
{
    rill_batch_free(r->seg);
    free(r->ts);
    r->seg = NULL;
    r->ts = NULL;
    r->at = 0;
}

static void gap(rill__replay *r, const char *fmt, const char *what)
{
    char msg[2048];
    if (r->gap_told || r->o.on_gap == NULL)
        return;
    r->gap_told = 1;
    snprintf(msg, sizeof(msg), fmt, r->key, what);
    r->o.on_gap(msg, r->o.gap_payload);
}

static int anew(rill__replay *r)
{
    return rill__error(RILL_ECORRUPT, "source cache %s: recorded anew (or evicted) while this run read it "
                       "(the run stops rather than give events of two recordings)", r->key);
}

/* The cache's row, checked to be the recording this run reads (pinned at
 * the first call): 1, 0 none, or an error. */
static int row_of_run(rill__replay *r, rill__crow *row)
{
    int rc = rill__cdb_get(r->db, r->key, row);
    if (rc <= 0)
        return rc;
    if (r->gen < 0)
        r->gen = row->gen;
    else if (row->gen != r->gen)
        return anew(r);
    return 1;
}

/* Marks the cache invalidated, keeping the error's message as its note;
 * only when it is still the recording this run read (gone, or another:
 * its segment went with it, and the run says so). */
static int invalidate(rill__replay *r, int rc)
{
    rill__crow row;
    char msg[512];
    int got;
    snprintf(msg, sizeof(msg), "%s", rill_error_last());
    if ((got = rill__cdb_get(r->db, r->key, &row)) == 0 && r->gen >= 0)
        return anew(r);
    if (got == 1) {
        if (row.gen != r->gen)
            return anew(r);
        row.state = RILL_CACHE_INVALIDATED;
        snprintf(row.note, sizeof(row.note), "%.255s", msg);
        rill__cdb_put(r->db, &row);
    }
    return rill__error(rc, "%s", msg);
}

/* Loads segment seq (which starts at event first, or anywhere when
 * first < 0); 1 loaded, 0 not there (yet). */
static int load(rill__replay *r, int64_t seq, int64_t first)
{
    rill__crow row;
    rill__cseg s;
    long long g = -1, q = -1;
    int rc;
    if ((rc = row_of_run(r, &row)) < 0)
        return rc;
    if ((rc = rill__cdb_segment(r->db, r->key, seq, &s)) <= 0)
        return rc;
    if (sscanf(s.file, "g%lld-s%lld", &g, &q) != 2 || g != r->gen)
        return anew(r);
    if (first >= 0 && s.first_event != first)
        return rill__error(RILL_ECORRUPT, "source cache %s: segment %lld starts at event %lld, "
                           "not %lld (index.db is damaged)", r->key, (long long)seq,
                           (long long)s.first_event, (long long)first);
    drop_segment(r);
    if ((rc = rill__cseg_read(r->dir, r->key, &s, &r->seg, &r->ts)) < 0)
        return invalidate(r, rc);
    r->seq = seq;
    return 1;
}

/* Positions the run at event ev (a resumed run). */
static int seek(rill__replay *r, int64_t ev)
{
    int64_t seq = 0, mev = 0, off = 0;
    int rc;
    r->given = ev;
    if (ev == 0)
        return 0;
    if ((rc = rill__cdb_seek(r->db, r->key, ev, &seq, &mev, &off)) < 0)
        return rc;
    if (rc == 0 || (rc = load(r, seq, -1)) <= 0)
        return rc < 0 ? rc : rill__error(RILL_ECORRUPT, "source cache %s: no event %lld to "
                                         "resume at", r->key, (long long)ev);
    {   /* the segment's first event: the mark's minus its index in it */
        rill__cseg s;
        if ((rc = rill__cdb_segment(r->db, r->key, seq, &s)) <= 0)
            return rc < 0 ? rc : rill__error(RILL_ECORRUPT, "source cache %s: its index lost "
                                             "segment %lld", r->key, (long long)seq);
        r->at = (size_t)(ev - s.first_event);
        if (r->at > rill_batch_count(r->seg))
            return rill__error(RILL_ECORRUPT, "source cache %s: no event %lld to resume at",
                               r->key, (long long)ev);
    }
    (void)mev;
    (void)off;
    return 0;
}

static int live_next(rill__replay *r, rill_source_pull *pull)
{
    rill_source_pull q = *pull;
    int rc;
    q.position = r->live_pos;
    rc = r->ops->next(r->self, &q);
    if (rc <= 0)
        return rc;
    r->live_pos = q.position;
    r->given += (int64_t)(q.end - q.begin);
    pull->batch = q.batch;
    pull->begin = q.begin;
    pull->end = q.end;
    pull->last = q.last;
    pull->position = r->given;
    return 1;
}

/* The end of what is recorded now: wait, end, go live, or fail. */
static int at_end(rill__replay *r, rill_source_pull *pull)
{
    rill__crow row;
    int rc = row_of_run(r, &row);
    if (rc < 0)
        return rc;
    if (rc == 0 && r->gen >= 0)
        return anew(r);
    if (rc == 0)
        return rill__error(RILL_ENOTFOUND, "source cache: nothing is recorded for %s (it was "
                           "evicted, or no recording was started)", r->key);
    if (row.state == RILL_CACHE_RECORDING) {
        if (rill__cdb_segment(r->db, r->key, r->seq + 1, &(rill__cseg){0}) == 1)
            return 2; /* written meanwhile */
        sleep_ms(20);
        return 1;
    }
    if (rill__cdb_segment(r->db, r->key, r->seq + 1, &(rill__cseg){0}) == 1)
        return 2; /* the last one came with the end */
    if (row.state == RILL_CACHE_INVALIDATED)
        return rill__error(RILL_ECORRUPT, "source cache %s is invalidated: %s", r->key,
                           row.note[0] ? row.note : "its source changed");
    if (r->given != row.events) /* a segment's row lost: never a silent cut */
        return invalidate(r, rill__error(RILL_ECORRUPT, "source cache %s/index.db: cache %s "
                                         "ends at event %lld, its row says %lld events",
                                         r->dir, r->key, (long long)r->given,
                                         (long long)row.events));
    if (strncmp(row.note, "the source failed", 17) == 0) /* as a live run would */
        return rill__error(RILL_EIO, "source cache %s: the source failed while it was "
                           "recorded (it is recorded again next time): %s", r->key,
                           row.note + strlen("the source failed: "));
    if (strncmp(row.note, "recorder died", 13) == 0 || strncmp(row.note, "cancelled", 9) == 0 ||
        strncmp(row.note, "the recorder failed", 19) == 0 ||
        strncmp(row.note, "the cache's folder", 18) == 0)
        gap(r, "source cache %s: the recording was cut short (%s); the replay ends there",
            row.note);
    if (!r->o.live_after)
        return 0;
    if (!row.resumable || !row.end_pos_ok || r->ops->next == NULL) {
        gap(r, "source cache %s: %s; the run ends at the end of the cache",
            !row.resumable ? "its source cannot resume where the recording stopped"
                           : "the position where the recording stopped is not known");
        return 0;
    }
    {   /* a followed file: the same file, the same bytes before the offset */
        char path[1024];
        rill__fmark was, now;
        if (rill__cache_follow_path(r->ops, r->self, r->p, path, sizeof(path)) == 1 &&
            ((rc = rill__cdb_get_mark(r->db, r->key, r->gen, &was)) != 1 ||
             rill__cache_file_mark(path, row.end_pos, &now) < 0 || now.dev != was.dev ||
             now.ino != was.ino || now.len != was.len || now.hash != was.hash)) {
            if (rc < 0)
                return rc;
            gap(r, "source cache %s: %s was replaced or rewritten since it was recorded; the "
                "run ends at the end of the cache (--no-cache reads it)", path);
            return 0;
        }
    }
    r->live = 1;
    r->live_pos = row.end_pos;
    (void)pull;
    return 3;
}

static int replay_next(void *self, rill_source_pull *pull)
{
    rill__replay *r = self;
    size_t room = pull->batch_records ? pull->batch_records : 1024, n = 0;
    long long now_us;
    int rc;
    pull->batch = pull->out;
    pull->begin = pull->end = 0;
    pull->last = 0;
    if (!r->started) {
        if (r->db == NULL && (rc = rill__cdb_open(&r->db, r->dir)) < 0)
            return rc;
        r->started = 1;
        r->gen = -1;
        r->t_start_us = rill__cache_now_us();
        r->seq = 0;
        drop_segment(r);
        if ((rc = seek(r, pull->position)) < 0)
            return rc;
    }
    now_us = rill__cache_now_us();
    if ((r->o.max_events > 0 && r->given >= r->o.max_events) ||
        (r->o.max_ms > 0 && now_us - r->t_start_us >= r->o.max_ms * 1000))
        return 0;
    if (r->o.max_events > 0 && (int64_t)room > r->o.max_events - r->given)
        room = (size_t)(r->o.max_events - r->given);
    if (r->live)
        return live_next(r, pull);
    /* a pull is filled across segments (while the next is there): how
     * records fall into batches then depends on the pull's room only, not
     * on how the recorder happened to cut its segments */
    for (;;) {
        int due = 1;
        while (n < room && r->seg && r->at < rill_batch_count(r->seg)) {
            rill_record rec;
            if (r->o.timing && r->ts[r->at] > now_us - r->t_start_us) {
                due = 0;
                break;
            }
            rill_batch_get(&rec, r->seg, r->at);
            if ((rc = rill_batch_add_record(pull->out, &rec)) < 0)
                return rc;
            r->at++;
            n++;
        }
        if (n > 0 && due && n < room) {
            if ((rc = load(r, r->seq + 1, r->given + (int64_t)n)) < 0)
                return rc;
            if (rc == 1)
                continue;
        }
        if (n > 0 || !due) {
            r->given += (int64_t)n;
            pull->end = n;
            pull->position = r->given;
            pull->last = r->o.max_events > 0 && r->given >= r->o.max_events;
            if (n == 0)
                sleep_ms(5);
            return 1;
        }
        if ((rc = load(r, r->seq + 1, r->given)) < 0)
            return rc;
        if (rc == 1)
            continue;
        if ((rc = at_end(r, pull)) <= 1)
            return rc;
        if (rc == 3)
            return live_next(r, pull);
    }
}

static int replay_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const rill__replay *r = self;
    return r->ops->describe(r->self, p, out);
}

static void replay_end(void *self)
{
    rill__replay *r = self;
    if (r->live && r->ops->end)
        r->ops->end(r->self);
    r->live = 0;
    r->started = 0;
    r->gap_told = 0;
    drop_segment(r);
    rill__cdb_close(r->db);
    r->db = NULL;
}

static void replay_free(void *self)
{
    rill__replay *r = self;
    replay_end(r);
    if (r->rec) { /* its recorder must let go of the source first */
        atomic_store(&r->rec->cancel, 1);
        if (r->rec->running) {
            pthread_join(r->rec->th, NULL);
            r->rec->running = 0;
        }
        r->rec->ops = NULL;
        r->rec->rp = NULL;
    }
    if (r->ops->free)
        r->ops->free(r->self);
    free(r->dir);
    free(r);
}

const rill_source rill__source_cache = {
    .version = RILL_SOURCE_VERSION,
    .name = "cache",
    .flags = RILL_SOURCE_WAITS | RILL_SOURCE_SEEKS,
    .next = replay_next,
    .describe = replay_describe,
    .free = replay_free,
    .end = replay_end,
};

/* A user's generator, pulled through the replay (a pipeline may not have
 * both a generator and a pulled source). */
typedef struct genproxy {
    rill_generator_fn fn;
    void *payload;
    const rill_pipeline *p;
} genproxy;

static int gen_next(void *self, rill_source_pull *pull)
{
    genproxy *g = self;
    int rc;
    rill_error_clear();
    rc = g->fn(pull->out, g->payload);
    if (rc <= 0)
        return rc < 0 ? rc : 0;
    pull->batch = pull->out;
    pull->begin = 0;
    pull->end = rill_batch_count(pull->out);
    pull->position++;
    return 1;
}

static int gen_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    (void)self;
    return rill__source_generator.describe(p, p, out);
}

static const rill_source source_genproxy = {
    .version = RILL_SOURCE_VERSION,
    .name = "generator",
    .flags = 0,
    .next = gen_next,
    .describe = gen_describe,
    .free = free,
};

int rill__replay_install(rill_pipeline *p, rill_cache *c, const char *key, const char *kind)
{
    rill__replay *r = calloc(1, sizeof(*r));
    RILL__CHECK_ALLOC(r);
    if ((r->dir = strdup(rill__cache_dir(c))) == NULL) {
        free(r);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    snprintf(r->key, sizeof(r->key), "%s", key);
    snprintf(r->kind, sizeof(r->kind), "%s", kind);
    r->ops = rill__pulled_source(p);
    r->self = rill__pulled_self(p);
    r->p = p;
    r->o = (rill_replay_options)RILL_REPLAY_OPTIONS_INIT;
    if (r->ops == &rill__source_generator) { /* pulled through the replay now */
        genproxy *g = calloc(1, sizeof(*g));
        if (g == NULL) {
            free(r->dir);
            free(r);
            return rill__error(RILL_ENOMEM, "out of memory");
        }
        g->fn = p->generator;
        g->payload = p->generator_payload;
        g->p = p;
        r->ops = &source_genproxy;
        r->self = g;
        p->generator = NULL;
    }
    p->pulled = &rill__source_cache;
    p->pulled_self = r;
    return 0;
}

rill__replay *rill__replay_of(const rill_pipeline *p)
{
    return p && p->pulled == &rill__source_cache ? p->pulled_self : NULL;
}

void rill__replay_set(rill__replay *r, const rill_replay_options *o)
{
    r->o = *o;
}

const char *rill__replay_key(const rill__replay *r)
{
    return r->key;
}

void rill__replay_source(rill__replay *r, const rill_source **ops, void **self)
{
    *ops = r->ops;
    *self = r->self;
}

void rill__replay_recorder(rill__replay *r, rill__recorder *rec)
{
    r->rec = rec;
}

int rill_cache_replay(rill_cache *c, rill_pipeline *p, const rill_replay_options *opts)
{
    rill_replay_options o = RILL_REPLAY_OPTIONS_INIT;
    char key[RILL_CACHE_KEY_MAX], kind[64];
    int rc;
    if (c == NULL || p == NULL)
        return rill__error(RILL_EINVAL, "rill_cache_replay: NULL argument");
    if (opts) {
        if (opts->version != RILL_REPLAY_OPTIONS_VERSION || opts->max_events < 0 ||
            opts->max_ms < 0)
            return rill__error(RILL_EINVAL, "rill_cache_replay: options of another version, "
                               "or a negative limit");
        o = *opts;
    }
    if ((rc = rill__cache_source(p, key, sizeof(key), kind, sizeof(kind))) < 0)
        return rc;
    if (rill__replay_of(p) == NULL && (rc = rill__replay_install(p, c, key, kind)) < 0)
        return rc;
    rill__replay_set(rill__replay_of(p), &o);
    if (o.verify)
        return rill_cache_verify(c, p) < 0 ? RILL_ECORRUPT : 0;
    return 0;
}
