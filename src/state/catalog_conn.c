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
 * What stays the same for a handle: reads see committed versions only (a
 * transaction writes rows of the version it makes, which no read at an
 * earlier version sees, and adds the version's row last, with SQLite's
 * connection mutex held through to COMMIT); one writer at a time per file
 * (here: the handle holding the connection's transaction; other handles
 * wait up to their wait_ms, then RILL_EBUSY, as they would for a writer in
 * another process); other processes are kept out by SQLite's own lock. */
#include "catalog.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../util/error.h"

#define BUSY_MS 5000

struct rill__cat_conn {
    sqlite3 *db;
    dev_t dev;
    ino_t ino;
    int refs;
    int configured;             /* its pragmas are set */
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
        (rc = rill__cat_exec(c, "PRAGMA cache_size=-32768", "cannot open the file")) < 0)
        return rc;
    return 0;
}

int rill__cat_connect(rill_catalog *c, int create)
{
    struct rill__cat_conn *k, *mine;
    struct stat sb;
    sqlite3 *db = NULL;
    int rc;
    pthread_once(&atfork_once, register_atfork);
    if (stat(c->path, &sb) == 0) {
        pthread_mutex_lock(&conns_mu);
        for (k = conns; k; k = k->next)
            if (k->dev == sb.st_dev && k->ino == sb.st_ino) {
                k->refs++;
                c->conn = k;
                c->db = k->db;
                pthread_mutex_unlock(&conns_mu);
                return 0;
            }
        pthread_mutex_unlock(&conns_mu);
    }
    if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                        (create ? SQLITE_OPEN_CREATE : 0), NULL) != SQLITE_OK) {
        c->db = db;
        rc = db ? rill__cat_fail(c, "cannot open the file")
                : rill__error(RILL_ENOMEM, "out of memory");
        sqlite3_close(db);
        c->db = NULL;
        return rc;
    }
    c->db = db;
    sqlite3_busy_timeout(db, BUSY_MS);
    sqlite3_extended_result_codes(db, 0);
    if (stat(c->path, &sb) < 0) {
        rc = rill__error_errno(errno, "%s: cannot open", c->path);
        goto bad;
    }
    if ((mine = calloc(1, sizeof(*mine))) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto bad;
    }
    mine->db = db;
    mine->dev = sb.st_dev;
    mine->ino = sb.st_ino;
    mine->refs = 1;
    pthread_cond_init(&mine->freed, NULL);
    pthread_mutex_lock(&conns_mu);
    for (k = conns; k; k = k->next)
        if (k->dev == sb.st_dev && k->ino == sb.st_ino)
            break;
    if (k) { /* another thread opened it meanwhile: that one is the file's */
        k->refs++;
        c->conn = k;
        c->db = k->db;
        pthread_mutex_unlock(&conns_mu);
        pthread_cond_destroy(&mine->freed);
        free(mine);
        sqlite3_close(db);
        return 0;
    }
    mine->next = conns;
    conns = mine;
    c->conn = mine;
    pthread_mutex_unlock(&conns_mu);
    return 0; /* configured (rill__cat_configure) once the file is known to be rill's */
bad:
    sqlite3_close(db);
    c->db = NULL;
    return rc;
}

int rill__cat_configure(rill_catalog *c)
{
    int done, rc;
    pthread_mutex_lock(&conns_mu);
    done = c->conn->configured;
    pthread_mutex_unlock(&conns_mu);
    if (done || (rc = configure(c)) < 0)
        return done ? 0 : rc; /* two threads may both set them: the same values */
    pthread_mutex_lock(&conns_mu);
    c->conn->configured = 1;
    pthread_mutex_unlock(&conns_mu);
    return 0;
}

void rill__cat_disconnect(rill_catalog *c)
{
    struct rill__cat_conn **p, *k = c->conn;
    if (k == NULL)
        return;
    pthread_mutex_lock(&conns_mu);
    if (k->writer == c) { /* its transaction was ended by the caller */
        k->writer = NULL;
        pthread_cond_broadcast(&k->freed);
    }
    if (--k->refs == 0) {
        for (p = &conns; *p != k; p = &(*p)->next)
            ;
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
    c->conn = NULL;
    c->db = NULL;
}

static int busy(rill_catalog *c, const char *doing)
{
    return rill__error(RILL_EBUSY, "catalog '%s' in %s: cannot %s: another writer has a "
                       "transaction open on the file (one at a time); try again when it "
                       "commits or aborts", c->name, c->path, doing);
}

/* Waits up to c->wait_ms for the file's other handles in this process to
 * end their transaction, then takes the connection for c. */
static int take(rill_catalog *c, const char *doing)
{
    struct rill__cat_conn *k = c->conn;
    struct timespec until;
    int rc = 0;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(c->wait_ms / 1000);
    until.tv_nsec += (long)(c->wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&conns_mu);
    while (k->writer != NULL && rc != ETIMEDOUT)
        rc = c->wait_ms ? pthread_cond_timedwait(&k->freed, &conns_mu, &until) : ETIMEDOUT;
    if (k->writer == NULL)
        k->writer = c;
    else
        rc = -1;
    pthread_mutex_unlock(&conns_mu);
    return rc < 0 ? busy(c, doing) : 0;
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
    int rc;
    if ((rc = take(c, doing)) < 0)
        return rc;
    sqlite3_busy_timeout(c->db, (int)(c->wait_ms > 0x7fffffff ? 0x7fffffff : c->wait_ms));
    rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    sqlite3_busy_timeout(c->db, BUSY_MS);
    if (rc == SQLITE_OK)
        return 0;
    rc = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? busy(c, doing) : rill__cat_fail(c, doing);
    give(c);
    return rc;
}

int rill__cat_unlock(rill_catalog *c, int commit, const char *doing)
{
    int rc = 0;
    if (commit && (rc = rill__cat_exec(c, "COMMIT", doing)) == 0) {
        give(c);
        return 0;
    }
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    give(c);
    return rc;
}
