/* cache_db.c — the source cache's index (rill/cache.h), an SQLite file
 * index.db in the cache's folder; readers replay while a recorder writes
 * (its transactions are short: a segment's rows; the busy timeout waits):
 *
 *   caches(key, kind, state, events, bytes, disk_bytes, segments, t0_ms,
 *          dur_ms, pid, gen, start_pos, end_pos, end_pos_ok, resumable, note)
 *   segments(key, seq, file, first_event, events, bytes, raw_len, file_len,
 *            hash_lo, hash_hi)                 position -> segment
 *   marks(key, event, seq, offset, t_us)       position -> offset, and time
 *   tracked(name, key)                         signatures last seen per pipeline
 *
 * A segment row and the counters of its cache change in one transaction,
 * after the segment's file is whole on disk: the index never names bytes
 * that are not there. A cache recording in a process that is gone (kill -9)
 * is finished by the first rill__cdb_get that sees it: complete with the
 * note "recorder died" when it holds events, invalidated when not; alive or
 * gone is its lock's (cache_lock.c), never its pid's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_impl.h"
#include "../util/error.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS caches(key TEXT PRIMARY KEY, kind TEXT, state INT, "
    "events INT, bytes INT, disk_bytes INT, segments INT, t0_ms INT, dur_ms INT, pid INT, "
    "gen INT, start_pos INT, end_pos INT, end_pos_ok INT, resumable INT, note TEXT);"
    "CREATE TABLE IF NOT EXISTS segments(key TEXT, seq INT, file TEXT, first_event INT, "
    "events INT, bytes INT, raw_len INT, file_len INT, hash_lo INT, hash_hi INT, "
    "PRIMARY KEY(key, seq));"
    "CREATE TABLE IF NOT EXISTS marks(key TEXT, event INT, seq INT, offset INT, t_us INT, "
    "PRIMARY KEY(key, event));"
    "CREATE TABLE IF NOT EXISTS tracked(name TEXT, key TEXT, PRIMARY KEY(name, key));"
    "CREATE TABLE IF NOT EXISTS resume_marks(key TEXT PRIMARY KEY, gen INT, dev INT, ino INT, "
    "len INT, hash INT);";

long long rill__cache_now_ms(void)
{
    return rill__cache_now_us() / 1000;
}

long long rill__cache_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int rill__cdb_fail(sqlite3 *db, const char *doing)
{
    const char *file = db ? sqlite3_db_filename(db, "main") : NULL;
    int e = db ? sqlite3_errcode(db) : SQLITE_ERROR;
    int code = (e == SQLITE_CORRUPT || e == SQLITE_NOTADB) ? RILL_ECORRUPT
               : e == SQLITE_NOMEM                        ? RILL_ENOMEM
               : e == SQLITE_BUSY                         ? RILL_EBUSY
                                                          : RILL_EIO;
    return rill__error(code, "source cache %s: %s: %s", file ? file : "index", doing,
                       db ? sqlite3_errmsg(db) : "cannot open");
}

static void mkdirs(const char *dir)
{
    char buf[4096];
    char *p;
    snprintf(buf, sizeof(buf), "%s", dir);
    for (p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
    mkdir(buf, 0777);
}

int rill__cdb_open(sqlite3 **out, const char *dir)
{
    char path[4096];
    sqlite3 *db = NULL;
    struct stat st;
    *out = NULL;
    mkdirs(dir);
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return rill__error_errno(stat(dir, &st) < 0 ? errno : ENOTDIR,
                                 "source cache folder %s", dir);
    snprintf(path, sizeof(path), "%s/index.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        int rc = rill__error(RILL_EIO, "source cache %s: cannot open: %s", path,
                             db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    /* a rollback journal, not WAL: a recorder process inherits its parent's
     * connection, and a WAL file its parent removes on closing would take
     * the recorder's writes with it */
    if (sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        int rc = rill__cdb_fail(db, "not a rill cache index");
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

static int damaged(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int bad = 1;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        bad = !(t && strcmp((const char *)t, "ok") == 0);
    }
    sqlite3_finalize(st);
    return bad;
}

int rill__cdb_open_repair(sqlite3 **out, const char *dir, char *notice, size_t cap)
{
    char path[4096], aside[4200];
    int rc = rill__cdb_open(out, dir);
    notice[0] = '\0';
    if (rc == 0 && !damaged(*out))
        return 0;
    if (rc < 0 && rc != RILL_ECORRUPT)
        return rc;
    rill__cdb_close(*out);
    *out = NULL;
    snprintf(path, sizeof(path), "%s/index.db", dir);
    snprintf(aside, sizeof(aside), "%s.damaged-%lld", path, (long long)time(NULL));
    if (rename(path, aside) < 0)
        return rill__error_errno(errno, "source cache %s: damaged, and cannot be moved aside",
                                 path);
    snprintf(aside + strlen(path), sizeof(aside) - strlen(path), "-journal");
    snprintf(path + strlen(path), sizeof(path) - strlen(path), "-journal");
    rename(path, aside);
    path[strlen(path) - strlen("-journal")] = '\0';
    aside[strlen(aside) - strlen("-journal")] = '\0';
    snprintf(notice, cap, "source cache %.2000s was damaged: moved aside to %.2000s; a new index "
             "was started (what it knew is forgotten)", path, aside);
    rill_error_clear();
    return rill__cdb_open(out, dir);
}

void rill__cdb_close(sqlite3 *db)
{
    sqlite3_close(db);
}

/* Prepares sql; binds text args (NULL-ended) first. */
static int prep(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return rill__cdb_fail(db, "cannot read its index");
    return 0;
}

static int step_done(sqlite3 *db, sqlite3_stmt *st, const char *doing)
{
    int e = sqlite3_step(st);
    int rc = (e == SQLITE_DONE || e == SQLITE_ROW) ? 0 : rill__cdb_fail(db, doing);
    sqlite3_finalize(st);
    return rc;
}

static void text(char *out, size_t cap, const unsigned char *s)
{
    snprintf(out, cap, "%s", s ? (const char *)s : "");
}

static int get_raw(sqlite3 *db, const char *key, rill__crow *r)
{
    sqlite3_stmt *st = NULL;
    int rc, e;
    if ((rc = prep(db, &st, "SELECT kind, state, events, bytes, disk_bytes, segments, t0_ms, "
                            "dur_ms, pid, gen, start_pos, end_pos, end_pos_ok, resumable, "
                            "note FROM caches WHERE key = ?")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    memset(r, 0, sizeof(*r));
    e = sqlite3_step(st);
    if (e == SQLITE_ROW) {
        text(r->key, sizeof(r->key), (const unsigned char *)key);
        text(r->kind, sizeof(r->kind), sqlite3_column_text(st, 0));
        r->state = sqlite3_column_int(st, 1);
        r->events = sqlite3_column_int64(st, 2);
        r->bytes = sqlite3_column_int64(st, 3);
        r->disk_bytes = sqlite3_column_int64(st, 4);
        r->segments = sqlite3_column_int64(st, 5);
        r->t0_ms = sqlite3_column_int64(st, 6);
        r->dur_ms = sqlite3_column_int64(st, 7);
        r->pid = sqlite3_column_int(st, 8);
        r->gen = sqlite3_column_int64(st, 9);
        r->start_pos = sqlite3_column_int64(st, 10);
        r->end_pos = sqlite3_column_int64(st, 11);
        r->end_pos_ok = sqlite3_column_int(st, 12);
        r->resumable = sqlite3_column_int(st, 13);
        text(r->note, sizeof(r->note), sqlite3_column_text(st, 14));
        rc = 1;
    } else {
        rc = e == SQLITE_DONE ? 0 : rill__cdb_fail(db, "cannot read its index");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The cache's folder: the folder of db's file. */
static void db_dir(sqlite3 *db, char *out, size_t cap)
{
    const char *file = sqlite3_db_filename(db, "main");
    char *slash;
    snprintf(out, cap, "%s", file ? file : ".");
    if ((slash = strrchr(out, '/')) != NULL)
        *slash = '\0';
    else
        snprintf(out, cap, ".");
}

/* Whether the recorder of key is gone: nobody holds its lock. */
static int gone(sqlite3 *db, const char *key)
{
    char dir[4096];
    db_dir(db, dir, sizeof(dir));
    return rill__cache_lock_holder(dir, key, -1) == 0;
}

int rill__cdb_get(sqlite3 *db, const char *key, rill__crow *r)
{
    int rc = get_raw(db, key, r);
    if (rc == 1 && r->state == RILL_CACHE_RECORDING && r->pid > 0 && r->pid != getpid() &&
        gone(db, key) &&
        /* read again: a recorder that finished wrote its row before it let
         * go of its lock, so the row read before may be older than that */
        (rc = get_raw(db, key, r)) == 1 && r->state == RILL_CACHE_RECORDING && r->pid > 0) {
        /* its recorder is gone (killed): what its index names is whole */
        r->state = r->events > 0 ? RILL_CACHE_COMPLETE : RILL_CACHE_INVALIDATED;
        snprintf(r->note, sizeof(r->note), "recorder died (process %d): kept up to its "
                 "last segment", r->pid);
        r->pid = 0;
        r->end_pos_ok = 0;
        if ((rc = rill__cdb_put(db, r)) == 0)
            rc = 1;
    }
    return rc;
}

int rill__cdb_put(sqlite3 *db, const rill__crow *r)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = prep(db, &st, "INSERT OR REPLACE INTO caches VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                            "?,?)")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->state);
    sqlite3_bind_int64(st, 4, r->events);
    sqlite3_bind_int64(st, 5, r->bytes);
    sqlite3_bind_int64(st, 6, r->disk_bytes);
    sqlite3_bind_int64(st, 7, r->segments);
    sqlite3_bind_int64(st, 8, r->t0_ms);
    sqlite3_bind_int64(st, 9, r->dur_ms);
    sqlite3_bind_int(st, 10, r->pid);
    sqlite3_bind_int64(st, 11, r->gen);
    sqlite3_bind_int64(st, 12, r->start_pos);
    sqlite3_bind_int64(st, 13, r->end_pos);
    sqlite3_bind_int(st, 14, r->end_pos_ok);
    sqlite3_bind_int(st, 15, r->resumable);
    sqlite3_bind_text(st, 16, r->note, -1, SQLITE_STATIC);
    return step_done(db, st, "cannot write its index");
}

static int exec_key(sqlite3 *db, const char *sql, const char *key)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = prep(db, &st, sql)) < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    return step_done(db, st, "cannot write its index");
}

int rill__cdb_delete(sqlite3 *db, const char *key)
{
    int rc;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return rill__cdb_fail(db, "cannot write its index");
    if ((rc = exec_key(db, "DELETE FROM segments WHERE key = ?", key)) < 0 ||
        (rc = exec_key(db, "DELETE FROM marks WHERE key = ?", key)) < 0 ||
        (rc = exec_key(db, "DELETE FROM resume_marks WHERE key = ?", key)) < 0 ||
        (rc = exec_key(db, "DELETE FROM caches WHERE key = ?", key)) < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return rill__cdb_fail(db, "cannot write its index");
    return 0;
}

int rill__cdb_add_segment(sqlite3 *db, const char *key, const rill__cseg *s,
                          const int64_t *mark_ev, const int64_t *mark_off,
                          const int64_t *mark_t, int nm, int64_t dur_ms, int64_t end_pos,
                          int end_pos_ok)
{
    sqlite3_stmt *st = NULL;
    int rc = 0, i;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return rill__cdb_fail(db, "cannot write its index");
    if ((rc = prep(db, &st, "INSERT INTO segments VALUES(?,?,?,?,?,?,?,?,?,?)")) < 0)
        goto done;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, s->seq);
    sqlite3_bind_text(st, 3, s->file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, s->first_event);
    sqlite3_bind_int64(st, 5, s->events);
    sqlite3_bind_int64(st, 6, s->bytes);
    sqlite3_bind_int64(st, 7, s->raw_len);
    sqlite3_bind_int64(st, 8, s->file_len);
    sqlite3_bind_int64(st, 9, (int64_t)s->hash[0]);
    sqlite3_bind_int64(st, 10, (int64_t)s->hash[1]);
    if ((rc = step_done(db, st, "cannot write its index")) < 0)
        goto done;
    if ((rc = prep(db, &st, "INSERT OR REPLACE INTO marks VALUES(?,?,?,?,?)")) < 0)
        goto done;
    for (i = 0; i < nm && rc == 0; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, mark_ev[i]);
        sqlite3_bind_int64(st, 3, s->seq);
        sqlite3_bind_int64(st, 4, mark_off[i]);
        sqlite3_bind_int64(st, 5, mark_t[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = rill__cdb_fail(db, "cannot write its index");
    }
    sqlite3_finalize(st);
    if (rc < 0 || (rc = prep(db, &st, "UPDATE caches SET events = events + ?, bytes = bytes + "
                                      "?, disk_bytes = disk_bytes + ?, segments = segments + 1, "
                                      "dur_ms = ?, end_pos = ?, end_pos_ok = ? WHERE key = ?")) < 0)
        goto done;
    sqlite3_bind_int64(st, 1, s->events);
    sqlite3_bind_int64(st, 2, s->bytes);
    sqlite3_bind_int64(st, 3, s->file_len);
    sqlite3_bind_int64(st, 4, dur_ms);
    sqlite3_bind_int64(st, 5, end_pos);
    sqlite3_bind_int(st, 6, end_pos_ok);
    sqlite3_bind_text(st, 7, key, -1, SQLITE_STATIC);
    rc = step_done(db, st, "cannot write its index");
done:
    if (rc < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return rill__cdb_fail(db, "cannot write its index");
    return 0;
}

int rill__cdb_segment(sqlite3 *db, const char *key, int64_t seq, rill__cseg *s)
{
    sqlite3_stmt *st = NULL;
    int rc, e;
    if ((rc = prep(db, &st, "SELECT file, first_event, events, bytes, raw_len, file_len, "
                            "hash_lo, hash_hi FROM segments WHERE key = ? AND seq = ?")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    e = sqlite3_step(st);
    if (e == SQLITE_ROW) {
        s->seq = seq;
        text(s->file, sizeof(s->file), sqlite3_column_text(st, 0));
        s->first_event = sqlite3_column_int64(st, 1);
        s->events = sqlite3_column_int64(st, 2);
        s->bytes = sqlite3_column_int64(st, 3);
        s->raw_len = sqlite3_column_int64(st, 4);
        s->file_len = sqlite3_column_int64(st, 5);
        s->hash[0] = (uint64_t)sqlite3_column_int64(st, 6);
        s->hash[1] = (uint64_t)sqlite3_column_int64(st, 7);
        rc = 1;
    } else {
        rc = e == SQLITE_DONE ? 0 : rill__cdb_fail(db, "cannot read its index");
    }
    sqlite3_finalize(st);
    return rc;
}

int rill__cdb_seek(sqlite3 *db, const char *key, int64_t ev, int64_t *seq, int64_t *mark_ev,
                   int64_t *mark_off)
{
    sqlite3_stmt *st = NULL;
    int rc, e;
    if ((rc = prep(db, &st, "SELECT seq, event, offset FROM marks WHERE key = ? AND event <= ? "
                            "ORDER BY event DESC LIMIT 1")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ev);
    e = sqlite3_step(st);
    if (e == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        *mark_ev = sqlite3_column_int64(st, 1);
        *mark_off = sqlite3_column_int64(st, 2);
        rc = 1;
    } else {
        rc = e == SQLITE_DONE ? 0 : rill__cdb_fail(db, "cannot read its index");
    }
    sqlite3_finalize(st);
    return rc;
}

static int each_text(sqlite3 *db, sqlite3_stmt *st, int (*fn)(const char *, void *), void *ctx)
{
    int e, rc = 0;
    while (rc == 0 && (e = sqlite3_step(st)) == SQLITE_ROW)
        rc = fn((const char *)sqlite3_column_text(st, 0), ctx);
    if (rc == 0 && e != SQLITE_DONE)
        rc = rill__cdb_fail(db, "cannot read its index");
    sqlite3_finalize(st);
    return rc;
}

int rill__cdb_keys(sqlite3 *db, int (*fn)(const char *key, void *ctx), void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = prep(db, &st, "SELECT key FROM caches ORDER BY key")) < 0)
        return rc;
    return each_text(db, st, fn, ctx);
}

int rill__cdb_tracked(sqlite3 *db, const char *name, int (*fn)(const char *key, void *ctx),
                      void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = prep(db, &st, "SELECT key FROM tracked WHERE name = ? ORDER BY key")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return each_text(db, st, fn, ctx);
}

int rill__cdb_track(sqlite3 *db, const char *name, char (*keys)[RILL_CACHE_KEY_MAX], int n)
{
    sqlite3_stmt *st = NULL;
    int rc, i;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return rill__cdb_fail(db, "cannot write its index");
    if ((rc = exec_key(db, "DELETE FROM tracked WHERE name = ?", name)) < 0 ||
        (rc = prep(db, &st, "INSERT OR IGNORE INTO tracked VALUES(?, ?)")) < 0)
        goto done;
    for (i = 0; i < n && rc == 0; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = rill__cdb_fail(db, "cannot write its index");
    }
    sqlite3_finalize(st);
done:
    if (rc < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return rill__cdb_fail(db, "cannot write its index");
    return 0;
}

int rill__cdb_untrack_key(sqlite3 *db, const char *key)
{
    return exec_key(db, "DELETE FROM tracked WHERE key = ?", key);
}

int rill__cdb_key_tracked_elsewhere(sqlite3 *db, const char *name, const char *key)
{
    sqlite3_stmt *st = NULL;
    int rc, e;
    if ((rc = prep(db, &st, "SELECT 1 FROM tracked WHERE key = ? AND name <> ?")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    e = sqlite3_step(st);
    rc = e == SQLITE_ROW ? 1 : e == SQLITE_DONE ? 0 : rill__cdb_fail(db, "cannot read its index");
    sqlite3_finalize(st);
    return rc;
}

int rill__cdb_set_pid(sqlite3 *db, const char *key, int pid)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = prep(db, &st, "UPDATE caches SET pid = ? WHERE key = ? AND state = 1")) < 0)
        return rc;
    sqlite3_bind_int(st, 1, pid);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    return step_done(db, st, "cannot write its index");
}

int rill__cdb_finish(sqlite3 *db, const char *key, int64_t gen, int ok, int64_t dur_ms,
                     int end_pos_ok, const char *note)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = prep(db, &st, "UPDATE caches SET state = CASE WHEN events > 0 OR ? THEN 2 ELSE 3 "
                            "END, pid = 0, dur_ms = ?, end_pos_ok = end_pos_ok AND ?, note = ? "
                            "WHERE key = ? AND gen = ? AND state = 1")) < 0)
        return rc;
    sqlite3_bind_int(st, 1, ok);
    sqlite3_bind_int64(st, 2, dur_ms);
    sqlite3_bind_int(st, 3, end_pos_ok);
    sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, gen);
    return step_done(db, st, "cannot write its index");
}

int rill__cdb_put_mark(sqlite3 *db, const char *key, int64_t gen, const rill__fmark *m)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = prep(db, &st, "INSERT OR REPLACE INTO resume_marks VALUES(?,?,?,?,?,?)")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, gen);
    sqlite3_bind_int64(st, 3, m->dev);
    sqlite3_bind_int64(st, 4, m->ino);
    sqlite3_bind_int64(st, 5, m->len);
    sqlite3_bind_int64(st, 6, (int64_t)m->hash);
    return step_done(db, st, "cannot write its index");
}

int rill__cdb_get_mark(sqlite3 *db, const char *key, int64_t gen, rill__fmark *m)
{
    sqlite3_stmt *st = NULL;
    int rc, e;
    if ((rc = prep(db, &st, "SELECT dev, ino, len, hash FROM resume_marks WHERE key = ? AND "
                            "gen = ?")) < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, gen);
    e = sqlite3_step(st);
    if (e == SQLITE_ROW) {
        m->dev = sqlite3_column_int64(st, 0);
        m->ino = sqlite3_column_int64(st, 1);
        m->len = sqlite3_column_int64(st, 2);
        m->hash = (uint64_t)sqlite3_column_int64(st, 3);
        rc = 1;
    } else {
        rc = e == SQLITE_DONE ? 0 : rill__cdb_fail(db, "cannot read its index");
    }
    sqlite3_finalize(st);
    return rc;
}

int rill__cdb_drop_data(sqlite3 *db, const char *key)
{
    int rc;
    if ((rc = exec_key(db, "DELETE FROM segments WHERE key = ?", key)) < 0)
        return rc;
    return exec_key(db, "DELETE FROM marks WHERE key = ?", key);
}

int rill__cdb_oldest(sqlite3 *db, const char *key, int64_t *used, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc, e;
    *used = 0;
    out[0] = '\0';
    if ((rc = prep(db, &st, "SELECT (SELECT COALESCE(SUM(disk_bytes), 0) FROM caches), key "
                            "FROM caches WHERE state <> 1 AND key <> ? ORDER BY t0_ms LIMIT 1"))
        < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    e = sqlite3_step(st);
    if (e == SQLITE_ROW) {
        *used = sqlite3_column_int64(st, 0);
        text(out, cap, sqlite3_column_text(st, 1));
        rc = 1;
    } else {
        rc = e == SQLITE_DONE ? 0 : rill__cdb_fail(db, "cannot read its index");
    }
    sqlite3_finalize(st);
    return rc;
}
