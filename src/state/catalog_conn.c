/* catalog_conn.c — one SQLite connection per catalog file in a process,
 * shared by every handle that opens the file, and the file's write lock
 * between those handles.
 *
 * Why one: SQLite drops a connection's whole page cache when another
 * connection has committed to the file. A compile reads its inputs
 * through their handles and writes its output through another, so with a
 * connection each, every commit of one made the others read every page
 * again from the file (about 400 reads of an incremental compile of 100
 * documents). Shared, the pages stay cached from run to run.
 *
 * What that asks for, and how it is kept:
 * - A connection is made private, checked (the file is rill's), set up
 *   (pragmas, the file's tables when new, the temporary tables its users
 *   fill) and only then published for other handles: a handle never sees
 *   another's half-made schema, and no schema changes inside a
 *   transaction later (a ROLLBACK that undid one would abort the
 *   statements every other handle has running).
 * - One writer at a time per file: the handle holding the connection's
 *   transaction (other handles wait up to their wait_ms, then RILL_EBUSY,
 *   as for a writer in another process, whom SQLite's lock keeps out).
 *   Only the holder ends it.
 * - Waits happen outside SQLite's connection mutex (BEGIN IMMEDIATE is
 *   tried without a busy handler, and retried after sleeps), so a handle
 *   waiting for another process's writer does not stop the others' reads.
 * - Reads see committed versions only: a transaction writes rows of the
 *   version it makes, which no read at an earlier version sees, and adds
 *   the version's row last, with the connection to itself through COMMIT
 *   (other handles' reads in the process wait for that commit's write).
 * - A child of fork starts with no connection; handles it inherited are
 *   let go without touching the parent's connection. */
#include "catalog.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/error.h"

#define BUSY_MS 5000

struct rill__cat_conn {
    sqlite3 *db;
    dev_t dev;
    ino_t ino;
    pid_t pid;                  /* the process that opened it */
    int refs;
    const rill_catalog *writer; /* the handle whose transaction is open, or NULL */
    pthread_cond_t freed;
    struct rill__cat_conn *next;
};

static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rill__cat_conn *conns; /* the open ones */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A child of fork must not use its parent's connections (SQLite's rule):
 * it starts with none, and with the list's mutex free. */
static void before_fork(void)
{
    pthread_mutex_lock(&conns_mu);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&conns_mu);
}

static void after_fork_child(void)
{
    conns = NULL; /* the parent's, left alone */
    pthread_mutex_unlock(&conns_mu);
}

static void register_atfork(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* The pragmas, and the temporary tables the file's users fill (made here,
 * outside any transaction). */
static int configure(rill_catalog *c)
{
    int rc;
    if ((rc = rill__cat_exec(c, "PRAGMA journal_mode=WAL", "cannot open the file")) < 0 ||
        (rc = rill__cat_exec(c, "PRAGMA synchronous=FULL", "cannot open the file")) < 0 ||
        /* the WAL is copied back into the file every 64 MiB rather than 4: a
         * page that many small commits change is copied once, not each time
         * (an incremental compile's commit cost a third of this) */
        (rc = rill__cat_exec(c, "PRAGMA wal_autocheckpoint=16384", "cannot open the file")) < 0 ||
        /* 32 MiB of pages, shared by the file's handles (SQLite's default is 2) */
        (rc = rill__cat_exec(c, "PRAGMA cache_size=-32768", "cannot open the file")) < 0 ||
        (rc = rill__cat_exec(c, RILL__CAT_TEMP_TABLES, "cannot open the file")) < 0)
        return rc;
    return 0;
}

static struct rill__cat_conn *published(const struct stat *sb)
{
    struct rill__cat_conn *k;
    for (k = conns; k; k = k->next)
        if (k->dev == sb->st_dev && k->ino == sb->st_ino)
            return k;
    return NULL;
}

static void attach(rill_catalog *c, struct rill__cat_conn *k)
{
    k->refs++;
    c->conn = k;
    c->db = k->db;
}

int rill__cat_connect(rill_catalog *c, int create, int (*prepare)(rill_catalog *c, int create))
{
    struct rill__cat_conn *k, *mine;
    struct stat sb;
    sqlite3 *db = NULL;
    int rc;
    pthread_once(&atfork_once, register_atfork);
    if (stat(c->path, &sb) == 0) {
        pthread_mutex_lock(&conns_mu);
        if ((k = published(&sb)) != NULL)
            attach(c, k);
        pthread_mutex_unlock(&conns_mu);
        if (k)
            return 0;
    }
    if ((mine = calloc(1, sizeof(*mine))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                        (create ? SQLITE_OPEN_CREATE : 0), NULL) != SQLITE_OK) {
        c->db = db;
        rc = db ? rill__cat_fail(c, "cannot open the file")
                : rill__error(RILL_ENOMEM, "out of memory");
        goto bad;
    }
    sqlite3_busy_timeout(db, BUSY_MS);
    sqlite3_extended_result_codes(db, 0);
    mine->db = db;
    mine->pid = getpid();
    mine->refs = 1;
    pthread_cond_init(&mine->freed, NULL);
    c->db = db;
    c->conn = mine; /* private until prepared */
    if ((rc = prepare(c, create)) < 0 || (rc = configure(c)) < 0)
        goto bad_cond;
    if (stat(c->path, &sb) < 0) {
        rc = rill__error_errno(errno, "%s: cannot open", c->path);
        goto bad_cond;
    }
    mine->dev = sb.st_dev;
    mine->ino = sb.st_ino;
    pthread_mutex_lock(&conns_mu);
    if ((k = published(&sb)) != NULL) { /* another thread's came first: the file's */
        mine->refs = 0;
        attach(c, k);
    } else {
        mine->next = conns;
        conns = mine;
    }
    pthread_mutex_unlock(&conns_mu);
    if (k == NULL)
        return 0;
    rc = 0;
bad_cond:
    pthread_cond_destroy(&mine->freed);
bad:
    if (rc < 0) {
        c->conn = NULL;
        c->db = NULL;
    }
    sqlite3_close(db);
    free(mine);
    return rc;
}

void rill__cat_disconnect(rill_catalog *c)
{
    struct rill__cat_conn **p, *k = c->conn;
    if (k == NULL)
        return;
    c->conn = NULL;
    c->db = NULL;
    if (k->pid != getpid())
        return; /* the parent's, inherited through fork: not ours to close */
    pthread_mutex_lock(&conns_mu);
    if (k->writer == c) { /* its transaction was ended by the caller */
        k->writer = NULL;
        pthread_cond_broadcast(&k->freed);
    }
    if (--k->refs == 0) {
        for (p = &conns; *p && *p != k; p = &(*p)->next)
            ;
        if (*p)
            *p = k->next;
    } else {
        k = NULL;
    }
    pthread_mutex_unlock(&conns_mu);
    if (k) {
        sqlite3_close(k->db);
        pthread_cond_destroy(&k->freed);
        free(k);
    }
}

static int busy(rill_catalog *c, const char *doing)
{
    return rill__error(RILL_EBUSY, "catalog '%s' in %s: cannot %s: another writer has a "
                       "transaction open on the file (one at a time); try again when it "
                       "commits or aborts", c->name, c->path, doing);
}

/* The time wait_ms from now. */
static struct timespec deadline(unsigned wait_ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += (time_t)(wait_ms / 1000);
    t.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int passed(const struct timespec *until)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec > until->tv_sec || (t.tv_sec == until->tv_sec && t.tv_nsec >= until->tv_nsec);
}

/* Waits until `until` for the file's other handles in this process to end
 * their transaction, then takes the connection for c. */
static int take(rill_catalog *c, const struct timespec *until, const char *doing)
{
    struct rill__cat_conn *k = c->conn;
    int rc = 0;
    pthread_mutex_lock(&conns_mu);
    while (k->writer != NULL && rc != ETIMEDOUT)
        rc = c->wait_ms ? pthread_cond_timedwait(&k->freed, &conns_mu, until) : ETIMEDOUT;
    if (k->writer == NULL)
        k->writer = c;
    else
        rc = -1;
    pthread_mutex_unlock(&conns_mu);
    return rc < 0 ? busy(c, doing) : 0;
}

static int holds(rill_catalog *c)
{
    int yes;
    pthread_mutex_lock(&conns_mu);
    yes = c->conn->writer == c;
    pthread_mutex_unlock(&conns_mu);
    return yes;
}

static void give(rill_catalog *c)
{
    struct rill__cat_conn *k = c->conn;
    pthread_mutex_lock(&conns_mu);
    if (k->writer == c) {
        k->writer = NULL;
        pthread_cond_broadcast(&k->freed);
    }
    pthread_mutex_unlock(&conns_mu);
}

int rill__cat_lock(rill_catalog *c, const char *doing)
{
    sqlite3_mutex *mu = sqlite3_db_mutex(c->db);
    struct timespec until = deadline(c->wait_ms), pause = {0, 2000000L};
    int rc;
    if ((rc = take(c, &until, doing)) < 0)
        return rc;
    for (;;) { /* another process's writer: retried here, not in SQLite's busy handler,
                * which would sleep holding the connection from the other handles */
        sqlite3_mutex_enter(mu);
        sqlite3_busy_timeout(c->db, 0);
        rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_busy_timeout(c->db, BUSY_MS);
        sqlite3_mutex_leave(mu);
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || passed(&until))
            break;
        nanosleep(&pause, NULL);
        if (pause.tv_nsec < 50000000L)
            pause.tv_nsec *= 2;
    }
    if (rc == SQLITE_OK)
        return 0;
    rc = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? busy(c, doing) : rill__cat_fail(c, doing);
    give(c);
    return rc;
}

int rill__cat_unlock(rill_catalog *c, int commit, const char *doing)
{
    int rc = 0;
    if (!holds(c))
        return 0; /* ended already (a failed COMMIT rolls back): not ours to touch */
    if (commit && (rc = rill__cat_exec(c, "COMMIT", doing)) == 0) {
        give(c);
        return 0;
    }
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    give(c);
    return rc;
}

int rill__cat_read_begin(rill_catalog *c, const char *doing)
{
    struct timespec until = deadline(c->wait_ms);
    int rc;
    if (holds(c))
        return 0; /* in c's own transaction */
    if ((rc = take(c, &until, doing)) < 0)
        return rc;
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = rill__cat_fail(c, doing);
        give(c);
        return rc;
    }
    return 1;
}

void rill__cat_read_end(rill_catalog *c, int began)
{
    if (began > 0)
        rill__cat_unlock(c, 0, NULL); /* it wrote nothing */
}
