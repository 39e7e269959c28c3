/* store.c — the state file over SQLite (the tables are in store.h).
 *
 * Every error names the file. Opening reads before it writes: a file that
 * is not an SQLite database, that SQLite finds damaged, whose rill_ckpt_*
 * tables have other columns than rill's or are missing some, is
 * RILL_ECORRUPT; a checkpoint format other than this rill's (rill 0.1's
 * meta and rows tables, or a newer one) is RILL_EVERSION; neither is
 * written. Tables whose names are not rill's are somebody else's: they
 * are neither read nor written.
 *
 * Locking: a store holds an exclusive flock(2) on a file beside the state
 * file (its path and "-lock", holding the holder's process id, removed at
 * close) from open to close, so that one run at a time uses a state file: another open,
 * in this process or another, is refused with RILL_EBUSY naming that
 * process. The lock is taken before the database is opened and goes with
 * the process when it is killed. A lock of its own file and not of the
 * database: SQLite's fcntl locks on the database would be dropped when any
 * other descriptor of it in the process is closed.
 *
 * Migration: a format-1 file is refused, not converted. Its blobs are in
 * an encoding serial.h no longer reads, and a checkpoint is only worth
 * resuming with the rill that wrote it; the message says so. A later
 * format adds a step in open() from the one before it. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/error.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

typedef struct table {
    const char *name;
    int nint;              /* integer columns, then one blob when blob */
    int blob;
    const char *cols[7];   /* the column names, in order */
    const char *create;    /* the columns' declarations */
} table;

static const table tables[RILL__T_COUNT] = {
    {"rill_ckpt_reductions", 5, 1, {"id", "parent", "owner", "pending", "frame_index", "first"},
     "id INTEGER NOT NULL UNIQUE, parent INTEGER NOT NULL, owner INTEGER NOT NULL, "
     "pending INTEGER NOT NULL, frame_index INTEGER NOT NULL, first BLOB"},
    {"rill_ckpt_stores", 2, 1, {"reduction", "partial", "data"},
     "reduction INTEGER NOT NULL, partial INTEGER NOT NULL, data BLOB NOT NULL"},
    {"rill_ckpt_tasks", 4, 1, {"stage", "from_stage", "phase", "reduction", "records"},
     "stage INTEGER NOT NULL, from_stage INTEGER NOT NULL, phase INTEGER NOT NULL, "
     "reduction INTEGER NOT NULL, records BLOB NOT NULL"},
    {"rill_ckpt_held", 1, 1, {"stage", "records"},
     "stage INTEGER NOT NULL UNIQUE, records BLOB NOT NULL"},
    {"rill_ckpt_closing", 3, 0, {"stage", "preds_open", "closed"},
     "stage INTEGER NOT NULL UNIQUE, preds_open INTEGER NOT NULL, closed INTEGER NOT NULL"},
    {"rill_ckpt_results", 0, 1, {"records"}, "records BLOB NOT NULL"},
    {"rill_ckpt_files", 0, 1, {"records"}, "records BLOB NOT NULL"},
    {"rill_ckpt_undelivered", 1, 1, {"from_stage", "records"},
     "from_stage INTEGER NOT NULL, records BLOB NOT NULL"},
};

#define RUN_COLS "fingerprint, finished, complete, checkpoints, src_next, src_done, src_red, " \
                 "generated, delivered, digest"
static const table run_table = {
    "rill_ckpt_run", 11, 0,
    {"one", "fingerprint", "finished", "complete", "checkpoints", "src_next", "src_done"},
    "one INTEGER PRIMARY KEY CHECK (one = 1), fingerprint INTEGER, "
    "finished INTEGER NOT NULL DEFAULT 0, complete INTEGER NOT NULL DEFAULT 0, "
    "checkpoints INTEGER NOT NULL DEFAULT 0, src_next INTEGER NOT NULL DEFAULT 0, "
    "src_done INTEGER NOT NULL DEFAULT 0, src_red INTEGER NOT NULL DEFAULT 0, "
    "generated INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0, digest INTEGER"};
static const char *const run_cols[] = {"one", "fingerprint", "finished", "complete",
                                       "checkpoints", "src_next", "src_done", "src_red",
                                       "generated", "delivered", "digest"};
static const char *const schema_cols[] = {"component", "version"};
static const char *const v1_meta[] = {"name", "value"};
static const char *const v1_rows[] = {"kind", "id", "a", "b", "c", "d", "data"};

struct rill__store {
    sqlite3 *db;
    uint64_t put_h[RILL__T_COUNT]; /* digests of the rows put since the last clear */
    uint64_t got_h[RILL__T_COUNT]; /* and of the rows last read */
    char *path;                    /* owned */
    int lock;                      /* the lock file, locked; -1: none */
    char *lock_path;               /* owned */
    sqlite3_stmt *put[RILL__T_COUNT], *get_run, *set_run; /* owned */
};

static uint64_t digest_row(uint64_t h, const int64_t *v, int n, const void *blob, size_t len)
{
    if (n)
        h = XXH3_64bits_withSeed(v, (size_t)n * sizeof(*v), h);
    return XXH3_64bits_withSeed(blob ? blob : "", blob ? len : 0, h);
}

static uint64_t digest_all(const uint64_t *h)
{
    return XXH3_64bits(h, RILL__T_COUNT * sizeof(*h));
}

static int fail(rill__store *s, int code, const char *doing)
{
    int e = s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;
    int os = s->db ? sqlite3_system_errno(s->db) : 0;
    if (code == 0 && os && rill__errno_code(os) != RILL_EIO) /* the system's reason */
        return rill__error_errno(os, "%s: %s", s->path, doing);
    if (code == 0 && e == SQLITE_FULL) /* the disk, as the system would say it */
        return rill__error_errno(ENOSPC, "%s: %s", s->path, doing);
    if (code == 0)
        code = (e == SQLITE_CORRUPT || e == SQLITE_NOTADB || e == SQLITE_FORMAT) ? RILL_ECORRUPT
               : e == SQLITE_NOMEM                                            ? RILL_ENOMEM
                                                                              : RILL_EIO;
    return rill__error(code, "%s: %s%s%s", s->path, doing, s->db ? ": " : "",
                       s->db ? sqlite3_errmsg(s->db) : "");
}

static int exec(rill__store *s, const char *sql, const char *doing)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, 0, doing);
    return 0;
}

/* Creates the folders above path. */
static void make_parents(const char *path)
{
    char buf[4096];
    char *p;
    snprintf(buf, sizeof(buf), "%s", path);
    for (p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
}

/* Locks the state file for this store (see the top of the file). The lock
 * file is removed by the holder before it lets go: one locked here that is
 * no longer at its name was removed meanwhile, and is tried again. */
static int lock_once(rill__store *s, long *holder_out)
{
    char pid[32];
    struct stat held, named;
    ssize_t n;
    long holder;
    int tries;
    if (s->lock_path == NULL) { /* made once: lock may try again */
        if ((s->lock_path = malloc(strlen(s->path) + 6)) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        sprintf(s->lock_path, "%s-lock", s->path);
    }
    for (tries = 0; tries < 100; tries++) {
        if ((s->lock = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
            return rill__error(RILL_EIO, "%s: cannot open its lock file %s: %s", s->path,
                               s->lock_path, strerror(errno));
        if (flock(s->lock, LOCK_EX | LOCK_NB) < 0)
            break;
        if (fstat(s->lock, &held) == 0 && stat(s->lock_path, &named) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
            n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
            if (ftruncate(s->lock, 0) < 0 || pwrite(s->lock, pid, (size_t)n, 0) != n)
                return rill__error(RILL_EIO, "%s: cannot write its lock file %s: %s", s->path,
                                   s->lock_path, strerror(errno));
            return 0;
        }
        close(s->lock); /* removed by the run that had it: again */
        s->lock = -1;
    }
    if (s->lock < 0 || errno != EWOULDBLOCK) {
        int e = errno;
        if (s->lock >= 0)
            close(s->lock);
        s->lock = -1;
        return rill__error(RILL_EIO, "%s: cannot lock %s: %s", s->path, s->lock_path,
                           strerror(e));
    }
    n = pread(s->lock, pid, sizeof(pid) - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    close(s->lock);
    s->lock = -1;
    if (sscanf(pid, "%ld", &holder) != 1 || holder <= 0)
        holder = 0;
    *holder_out = holder;
    if (holder > 0 && kill((pid_t)holder, 0) < 0 && errno == ESRCH)
        return RILL_EBUSY; /* its run ended: a process it started holds it a moment */
    if (holder > 0)
        return rill__error(RILL_EBUSY, "%s: in use by process %ld (a run of %s); wait for it "
                           "to end", s->path, holder, holder == (long)getpid() ? "this "
                           "process" : "another process");
    return rill__error(RILL_EBUSY, "%s: in use by another process (%s is locked)", s->path,
                       s->lock_path);
}

/* The lock, waiting up to 2 s when the process that took it has ended:
 * the processes it started (an exec stage's commands) keep the lock file
 * open until they run their program, which they do at once, or end. */
static int lock(rill__store *s)
{
    long holder = 0;
    int rc, waited;
    for (waited = 0;; waited += 10) {
        rc = lock_once(s, &holder);
        if (rc != RILL_EBUSY || holder <= 0 || kill((pid_t)holder, 0) == 0 || errno != ESRCH)
            return rc; /* locked, or refused with its message */
        if (waited >= 2000)
            return rill__error(RILL_EBUSY, "%s: in use by a process that process %ld started, "
                               "though that one has ended (%s is locked)", s->path, holder,
                               s->lock_path);
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
}

/* *match: 1 when table name exists with exactly the columns cols (n of
 * them, in order), 0 when it does not exist, -1 when its columns differ. */
static int columns(rill__store *s, const char *name, const char *const *cols, int n, int *match)
{
    sqlite3_stmt *st;
    int rc, i = 0;
    *match = 1;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s, 0, "not a rill state file");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        if (i >= n || col == NULL || strcmp(col, cols[i]) != 0)
            *match = -1;
        i++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, 0, "not a rill state file");
    if (i == 0)
        *match = 0;
    else if (i != n)
        *match = -1;
    return 0;
}

static int one_int(rill__store *s, const char *sql, const char *arg, int64_t *v, int *found)
{
    sqlite3_stmt *st;
    int rc;
    *found = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, 0, "not a rill state file");
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *found = sqlite3_column_type(st, 0) == SQLITE_INTEGER;
        *v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, 0, "not a rill state file");
}

static int not_ours(rill__store *s, const char *name)
{
    return rill__error(RILL_ECORRUPT, "%s: not a rill state file (its table %s has other "
                       "columns than rill's)", s->path, name);
}

/* Reads what the file is before anything is written: *fresh is 1 when it
 * holds no checkpoint tables yet. */
static int check(rill__store *s, int *fresh)
{
    int64_t version = 0, n;
    int found, m, i, present = 0, rc;
    if ((rc = columns(s, "rill_schema", schema_cols, 2, &m)) < 0)
        return rc;
    if (m < 0)
        return not_ours(s, "rill_schema");
    if (m > 0 && (rc = one_int(s, "SELECT version FROM rill_schema WHERE component = "
                                  "'checkpoint'", NULL, &version, &found)) < 0)
        return rc;
    if (m == 0 || !found) { /* rill 0.1 kept a 'meta' and a 'rows' table */
        int mm, mr;
        if ((rc = columns(s, "meta", v1_meta, 2, &mm)) < 0 ||
            (rc = columns(s, "rows", v1_rows, 7, &mr)) < 0)
            return rc;
        if (mm > 0 && mr > 0 &&
            (rc = one_int(s, "SELECT value FROM meta WHERE name = 'format'", NULL, &version,
                          &found)) < 0)
            return rc;
        if (mm > 0 && mr > 0 && found)
            return rill__error(RILL_EVERSION, "%s: a state file of format %lld, written by an "
                               "older rill; this one reads format %d and does not convert "
                               "it: resume that run with the rill that started it, or "
                               "delete the file to start over", s->path, (long long)version,
                               RILL__STATE_FORMAT);
        found = 0;
    }
    if (found && version != RILL__STATE_FORMAT)
        return rill__error(RILL_EVERSION, "%s: written in state format %lld by %s rill; this "
                           "one reads format %d", s->path, (long long)version,
                           version > RILL__STATE_FORMAT ? "a newer" : "an older",
                           RILL__STATE_FORMAT);
    for (i = 0; i <= RILL__T_COUNT; i++) {
        const table *t = i < RILL__T_COUNT ? &tables[i] : &run_table;
        const char *const *cols = i < RILL__T_COUNT ? t->cols : run_cols;
        if ((rc = columns(s, t->name, cols, t->nint + t->blob, &m)) < 0)
            return rc;
        if (m < 0)
            return not_ours(s, t->name);
        present += m;
    }
    /* a rill_ckpt_ table this rill does not know is not another component's */
    if ((rc = one_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name "
                         "LIKE 'rill\\_ckpt\\_%' ESCAPE '\\'", NULL, &n, &m)) < 0)
        return rc;
    if (n != present)
        return rill__error(RILL_ECORRUPT, "%s: not a rill state file (it has rill_ckpt_ "
                           "tables this rill does not know)", s->path);
    if (found ? present != RILL__T_COUNT + 1 : present != 0)
        return rill__error(RILL_ECORRUPT, "%s: a damaged rill state file (%s)", s->path,
                           found ? "some of its tables are missing"
                                 : "its tables are there but not its format");
    *fresh = !found;
    return 0;
}

/* The tables of a fresh file, in one transaction. */
static int create(rill__store *s)
{
    char sql[512];
    int i, rc;
    if ((rc = exec(s, "BEGIN IMMEDIATE", "cannot write")) < 0)
        return rc;
    rc = exec(s, "CREATE TABLE IF NOT EXISTS rill_schema(component TEXT PRIMARY KEY, "
                 "version INTEGER NOT NULL)", "cannot write");
    for (i = 0; i <= RILL__T_COUNT && rc == 0; i++) {
        const table *t = i < RILL__T_COUNT ? &tables[i] : &run_table;
        snprintf(sql, sizeof(sql), "CREATE TABLE %s(%s)", t->name, t->create);
        rc = exec(s, sql, "cannot write");
    }
    snprintf(sql, sizeof(sql), "INSERT INTO rill_schema VALUES('checkpoint', %d); "
                               "INSERT INTO rill_ckpt_run(one) VALUES(1)", RILL__STATE_FORMAT);
    if (rc == 0 && (rc = exec(s, sql, "cannot write")) == 0)
        return exec(s, "COMMIT", "cannot write");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int prepare(rill__store *s)
{
    char sql[256];
    int i, k, at;
    for (i = 0; i < RILL__T_COUNT; i++) {
        const table *t = &tables[i];
        at = snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES(", t->name);
        for (k = 0; k < t->nint + t->blob; k++)
            at += snprintf(sql + at, sizeof(sql) - (size_t)at, k ? ",?" : "?");
        snprintf(sql + at, sizeof(sql) - (size_t)at, ")");
        if (sqlite3_prepare_v2(s->db, sql, -1, &s->put[i], NULL) != SQLITE_OK)
            return fail(s, RILL_ECORRUPT, "not a rill state file");
    }
    if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLS " FROM rill_ckpt_run WHERE one = 1", -1,
                           &s->get_run, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "UPDATE rill_ckpt_run SET fingerprint = ?, finished = ?, "
                           "complete = ?, checkpoints = ?, src_next = ?, src_done = ?, "
                           "src_red = ?, generated = ?, delivered = ?, digest = ? WHERE one = 1",
                           -1, &s->set_run, NULL) != SQLITE_OK)
        return fail(s, RILL_ECORRUPT, "not a rill state file");
    return 0;
}

int rill__store_open(rill__store **out, const char *path)
{
    rill__store *s;
    int rc, fresh = 0, fd;
    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    s->lock = -1;
    make_parents(path);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0) { /* the system's reason */
        rc = rill__error_errno(errno, "%s: cannot open the state file", path);
        goto bad;
    }
    close(fd);
    if ((rc = lock(s)) < 0)
        goto bad;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = fail(s, 0, "cannot open the state file");
        goto bad;
    }
    sqlite3_busy_timeout(s->db, 10000);
    /* read before anything is written: a file that is not ours stays as it is */
    if ((rc = exec(s, "PRAGMA quick_check", "not a rill state file")) < 0 ||
        (rc = check(s, &fresh)) < 0)
        goto bad;
    if ((rc = exec(s, "PRAGMA journal_mode=WAL", "not a rill state file")) < 0 ||
        (fresh && (rc = create(s)) < 0) || (rc = prepare(s)) < 0)
        goto bad;
    *out = s;
    return 0;
bad:
    rill__store_close(s);
    return rc;
}

void rill__store_close(rill__store *s)
{
    int i;
    if (s == NULL)
        return;
    for (i = 0; i < RILL__T_COUNT; i++)
        sqlite3_finalize(s->put[i]);
    sqlite3_finalize(s->get_run);
    sqlite3_finalize(s->set_run);
    sqlite3_close(s->db);
    if (s->lock >= 0) { /* removed while still held (see lock) */
        unlink(s->lock_path);
        close(s->lock);
    }
    free(s->lock_path);
    free(s->path);
    free(s);
}

const char *rill__store_path(const rill__store *s)
{
    return s->path;
}

int rill__store_begin(rill__store *s)
{
    return exec(s, "BEGIN IMMEDIATE", "cannot start a checkpoint");
}

int rill__store_commit(rill__store *s)
{
    return exec(s, "COMMIT", "cannot commit a checkpoint");
}

void rill__store_rollback(rill__store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int rill__store_get_run(rill__store *s, rill__runrow *out)
{
    int64_t *f[] = {&out->fingerprint, &out->finished, &out->complete, &out->checkpoints,
                    &out->src_next, &out->src_done, &out->src_red, &out->generated,
                    &out->delivered, &out->digest};
    int rc, i;
    memset(out, 0, sizeof(*out));
    sqlite3_reset(s->get_run);
    if ((rc = sqlite3_step(s->get_run)) != SQLITE_ROW) {
        sqlite3_reset(s->get_run);
        return rc == SQLITE_DONE ? rill__error(RILL_ECORRUPT, "%s: a damaged rill state file "
                                               "(the run's row is missing)", s->path)
                                 : fail(s, 0, "cannot read");
    }
    for (i = 0; i < 10; i++) {
        int type = sqlite3_column_type(s->get_run, i);
        if (type != SQLITE_INTEGER && !(type == SQLITE_NULL && (i == 0 || i == 9))) {
            sqlite3_reset(s->get_run);
            return rill__error(RILL_ECORRUPT, "%s: a damaged rill state file (the run's %s "
                               "is not a number)", s->path, run_cols[i + 1]);
        }
        *f[i] = sqlite3_column_int64(s->get_run, i);
    }
    out->has_fingerprint = sqlite3_column_type(s->get_run, 0) == SQLITE_INTEGER;
    out->has_digest = sqlite3_column_type(s->get_run, 9) == SQLITE_INTEGER;
    sqlite3_reset(s->get_run);
    return 0;
}

int rill__store_set_run(rill__store *s, const rill__runrow *row)
{
    const int64_t f[] = {row->fingerprint, row->finished, row->complete, row->checkpoints,
                         row->src_next, row->src_done, row->src_red, row->generated,
                         row->delivered, row->digest};
    int rc, i;
    for (i = 0; i < 10; i++)
        if ((i == 0 && !row->has_fingerprint) || (i == 9 && !row->has_digest))
            sqlite3_bind_null(s->set_run, i + 1);
        else
            sqlite3_bind_int64(s->set_run, i + 1, f[i]);
    rc = sqlite3_step(s->set_run);
    sqlite3_reset(s->set_run);
    return rc == SQLITE_DONE ? 0 : fail(s, 0, "cannot write");
}

int rill__store_clear(rill__store *s)
{
    char sql[128];
    int i, rc = 0;
    memset(s->put_h, 0, sizeof(s->put_h));
    for (i = 0; i < RILL__T_COUNT && rc == 0; i++) {
        snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[i].name);
        rc = exec(s, sql, "cannot write");
    }
    return rc;
}

int rill__store_clear_table(rill__store *s, int tab)
{
    char sql[128];
    s->put_h[tab] = 0;
    snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[tab].name);
    return exec(s, sql, "cannot write");
}

uint64_t rill__store_digest(const rill__store *s)
{
    return digest_all(s->put_h);
}

uint64_t rill__store_read_digest(const rill__store *s)
{
    return digest_all(s->got_h);
}

int rill__store_put(rill__store *s, int tab, const int64_t *v, const void *blob, size_t len)
{
    const table *t = &tables[tab];
    sqlite3_stmt *st = s->put[tab];
    int i, rc;
    s->put_h[tab] = digest_row(s->put_h[tab], v, t->nint, blob, len);
    for (i = 0; i < t->nint; i++)
        sqlite3_bind_int64(st, 1 + i, v[i]);
    if (t->blob && blob)
        sqlite3_bind_blob64(st, 1 + t->nint, blob, len, SQLITE_STATIC);
    else if (t->blob)
        sqlite3_bind_null(st, 1 + t->nint);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : fail(s, 0, "cannot write");
}

int rill__store_each(rill__store *s, int tab, rill__row_fn fn, void *ctx)
{
    const table *t = &tables[tab];
    char sql[256];
    sqlite3_stmt *st;
    uint64_t h = 0;
    int i, rc, at;
    at = snprintf(sql, sizeof(sql), "SELECT ");
    for (i = 0; i < t->nint + t->blob; i++)
        at += snprintf(sql + at, sizeof(sql) - (size_t)at, "%s%s", i ? ", " : "", t->cols[i]);
    snprintf(sql + at, sizeof(sql) - (size_t)at, " FROM %s ORDER BY rowid", t->name);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, 0, "cannot read");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t v[8];
        const void *blob = NULL;
        size_t len = 0;
        for (i = 0; i < t->nint; i++) {
            if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
                sqlite3_finalize(st);
                return rill__error(RILL_ECORRUPT, "%s: a damaged rill state file (%s.%s is "
                                   "not a number)", s->path, t->name, t->cols[i]);
            }
            v[i] = sqlite3_column_int64(st, i);
        }
        if (t->blob && sqlite3_column_type(st, t->nint) != SQLITE_NULL) {
            blob = sqlite3_column_blob(st, t->nint);
            len = (size_t)sqlite3_column_bytes(st, t->nint);
            if (blob == NULL)
                blob = ""; /* an empty blob is not NULL */
        }
        h = digest_row(h, v, t->nint, blob, len);
        if ((rc = fn(ctx, v, blob, len)) != 0) {
            sqlite3_finalize(st);
            return rc;
        }
    }
    sqlite3_finalize(st);
    s->got_h[tab] = h;
    return rc == SQLITE_DONE ? 0 : fail(s, 0, "cannot read");
}
