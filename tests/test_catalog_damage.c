/* test_catalog_damage.c — catalogs given bad input: a file that is not a
 * database, somebody else's database, rill tables with other columns, a
 * newer format, a damaged database, a damaged or missing payload file, a
 * damaged inline payload; a second writer (another handle, another
 * process) refused with RILL_EBUSY while readers go on; and kill -9 in the
 * middle of a commit (at its last step, and at moments spread over the
 * cycle of commits made in a loop) leaving the previous version whole. */
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "catalog_helpers.h"
#include "state/catalog.h"

static size_t file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (size_t)sb.st_size;
}

/* The open of "docs" in db fails with code, the file's bytes unchanged. */
static void refused_unchanged(int code, const char *says)
{
    static char before[1 << 16], after[1 << 16];
    rill_catalog *c = NULL;
    long n = read_file(db, before, sizeof(before)), m;
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    o.path = db;
    assert_int_equal(rill_catalog_open(&c, "docs", &o), code);
    assert_null(c);
    assert_non_null(strstr(rill_error_last(), db));
    if (says && strstr(rill_error_last(), says) == NULL)
        fail_msg("message '%s' does not say '%s'", rill_error_last(), says);
    m = read_file(db, after, sizeof(after));
    assert_int_equal(n, m);
    assert_memory_equal(before, after, (size_t)n);
}

static void sql(const char *statements)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, statements, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static void a_file_that_is_not_a_database_is_refused_and_left_alone(void **s)
{
    const char *text = "these are somebody's notes, not a database\n";
    (void)s;
    write_file(db, text, strlen(text));
    refused_unchanged(RILL_ECORRUPT, "not");
}

static void somebody_elses_database_is_refused_and_left_alone(void **s)
{
    (void)s;
    sql("CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES(1, 'ann')");
    refused_unchanged(RILL_ECORRUPT, "'users'");
}

static void rill_tables_with_other_columns_or_a_newer_format_are_refused(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    (void)s;
    commit_ops(c, "a=1", NULL);
    rill_catalog_free(c);
    sql("UPDATE rill_schema SET version = 3 WHERE component = 'catalog'");
    refused_unchanged(RILL_EVERSION, "format 3 by a newer rill");
    sql("UPDATE rill_schema SET version = 1 WHERE component = 'catalog'"); /* before 0.3's */
    refused_unchanged(RILL_EVERSION, "format 1 by an older rill");
    sql("UPDATE rill_schema SET version = 2 WHERE component = 'catalog';"
        "ALTER TABLE rill_cat_entries ADD COLUMN extra INTEGER");
    refused_unchanged(RILL_ECORRUPT, "rill_cat_entries has other columns");
    sql("DROP TABLE rill_cat_entries");
    refused_unchanged(RILL_ECORRUPT, "some of its tables are missing");
}

static int count_entry(const rill_catalog_entry *e, void *payload)
{
    (void)e, (void)payload;
    return 0;
}

static void a_damaged_database_is_found_out(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_txn *t;
    char key[32], junk[4096];
    size_t n;
    int i, fd;
    (void)s;
    assert_int_equal(rill_catalog_begin(&t, c), 0);
    for (i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "key-%04d", i);
        put_str(t, key, "some data to fill pages with, some data to fill pages with");
    }
    assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
    rill_catalog_free(c); /* the last connection: the WAL goes into the file */
    n = file_size(db);
    assert_true(n > 4 * 4096);
    memset(junk, 0x5a, sizeof(junk));
    fd = open(db, O_WRONLY);
    assert_true(fd >= 0);
    for (i = 2; (size_t)(i + 1) * 4096 <= n; i += 2) /* every other page after the first */
        assert_int_equal(pwrite(fd, junk, sizeof(junk), (off_t)i * 4096), (ssize_t)sizeof(junk));
    close(fd);
    /* found when opened, or when the damaged pages are read */
    {
        rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
        rill_catalog *d = NULL;
        void *data;
        size_t len;
        int rc;
        o.path = db;
        if ((rc = rill_catalog_open(&d, "docs", &o)) == 0) {
            rc = rill_catalog_list(d, RILL_CATALOG_LATEST, count_entry, NULL);
            for (i = 0; rc == 0 && i < 300; i++) {
                snprintf(key, sizeof(key), "key-%04d", i);
                if ((rc = rill_catalog_get(&data, &len, d, 1, key, strlen(key))) == 0)
                    free(data);
            }
        }
        assert_int_equal(rc, RILL_ECORRUPT);
        assert_non_null(strstr(rill_error_last(), db));
        rill_catalog_free(d);
    }
}

static void a_damaged_or_missing_payload_file_is_corrupt_naming_key_and_file(void **s)
{
    rill_catalog *c = open_cat("docs", 4);
    char path[600], buf[64], out[400];
    void *data;
    size_t len;
    int fd;
    (void)s;
    commit_ops(c, "good=fine-data bad=damaged-later", NULL);
    blob_of(path, sizeof(path), c, "bad");
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "D", 1, 0), 1); /* same size, other bytes */
    close(fd);
    assert_int_equal(rill_catalog_get(&data, &len, c, 1, "bad", 3), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "\"bad\""));
    assert_non_null(strstr(rill_error_last(), path));
    assert_int_equal(get_str(c, 1, "good"), 0);
    snprintf(out, sizeof(out), "%s/out", dir);
    assert_int_equal(rill_catalog_export(c, 1, out), RILL_ECORRUPT);
    snprintf(buf, sizeof(buf), "%s", "x");
    {
        char p[500];
        snprintf(p, sizeof(p), "%s/bad", out);
        assert_int_equal(read_file(p, buf, sizeof(buf)), -1); /* not written */
        assert_int_equal(count_files(out), 0);               /* nor its temporary */
    }
    write_file(path, "short", 5); /* another size */
    assert_int_equal(get_str(c, 1, "bad"), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), path));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(get_str(c, 1, "bad"), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "\"bad\""));
    assert_non_null(strstr(rill_error_last(), "missing"));
    assert_non_null(strstr(rill_error_last(), path));
    commit_ops(c, "again=damaged-later", NULL); /* putting the content writes it again */
    assert_int_equal(get_str(c, 1, "bad"), 0);
    assert_string_equal(got, "damaged-later");
    rill_catalog_free(c);
}

static void a_damaged_inline_payload_is_corrupt_naming_the_key(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    (void)s;
    commit_ops(c, "k=original", NULL);
    rill_catalog_free(c);
    sql("UPDATE rill_cat_entries SET data = CAST('tampered!!' AS BLOB)"); /* another size */
    c = open_cat("docs", 0);
    assert_int_equal(get_str(c, 1, "k"), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "\"k\""));
    sql("UPDATE rill_cat_entries SET data = CAST('tampered' AS BLOB)"); /* same size */
    assert_int_equal(get_str(c, 1, "k"), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "does not match its hash"));
    sql("UPDATE rill_cat_entries SET data = NULL"); /* as if in a file, which is not there */
    assert_int_equal(get_str(c, 1, "k"), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "no payload file"));
    rill_catalog_free(c);
}

/* ---- one writer at a time ---- */

static void a_second_writer_is_busy_while_readers_see_committed_versions(void **s)
{
    rill_catalog *a = open_cat("docs", 0), *b = open_cat("docs", 0), *other = open_cat("x", 0);
    rill_catalog_txn *t, *u;
    rill_catalog_gc_stats st;
    (void)s;
    commit_ops(a, "k=1", NULL);
    assert_int_equal(rill_catalog_begin(&t, a), 0);
    put_str(t, "k", "2");
    put_str(t, "n", "new");
    assert_int_equal(rill_catalog_begin(&u, b), RILL_EBUSY);
    assert_non_null(strstr(rill_error_last(), "another writer has a transaction open"));
    assert_int_equal(rill_catalog_begin(&u, other), RILL_EBUSY); /* the file's, not the name's */
    assert_int_equal(rill_catalog_gc(&st, b, NULL), RILL_EBUSY);
    assert_int_equal(rill_catalog_gc(&st, a, NULL), RILL_EBUSY);
    assert_string_equal(contents(b, RILL_CATALOG_LATEST), "k=1"); /* readers go on */
    assert_string_equal(contents(a, RILL_CATALOG_LATEST), "k=1"); /* the writer's too */
    assert_int_equal(rill_catalog_commit(NULL, t, NULL), 0);
    assert_string_equal(contents(b, RILL_CATALOG_LATEST), "k=2 n=new");
    assert_int_equal(rill_catalog_begin(&u, b), 0);
    assert_int_equal(rill_catalog_txn_version(u), 3);
    rill_catalog_abort(u);
    rill_catalog_free(a);
    rill_catalog_free(b);
    rill_catalog_free(other);
}

/* A thread that holds a transaction through another handle of the file
 * for a moment, then commits. */
static void *late_committer(void *arg)
{
    rill_catalog_txn *t = arg;
    struct timespec pause = {0, 100 * 1000000L};
    nanosleep(&pause, NULL); /* no cmocka asserts off the main thread */
    if (rill_catalog_put(t, "thread", 6, "yes", 3) != 0)
        return (void *)(intptr_t)-1;
    return (void *)(intptr_t)rill_catalog_commit(NULL, t, "thread");
}

static void a_second_handle_in_another_thread_waits_for_the_first_writer(void **s)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *a = open_cat("docs", 0), *b;
    rill_catalog_txn *t, *u;
    pthread_t th;
    void *ret;
    (void)s;
    commit_ops(a, "k=1", NULL);
    o.path = db;
    o.wait_ms = 30000;
    assert_int_equal(rill_catalog_open(&b, "docs", &o), 0);
    assert_int_equal(rill_catalog_begin(&t, a), 0);
    assert_int_equal(pthread_create(&th, NULL, late_committer, t), 0);
    assert_int_equal(rill_catalog_begin(&u, b), 0); /* once the thread has committed */
    assert_int_equal(pthread_join(th, &ret), 0);
    assert_int_equal((int)(intptr_t)ret, 0);
    assert_int_equal(rill_catalog_txn_version(u), 3);
    put_str(u, "k", "3");
    assert_int_equal(rill_catalog_commit(NULL, u, NULL), 0);
    assert_string_equal(contents(a, 2), "k=1 thread=yes");
    assert_string_equal(contents(a, RILL_CATALOG_LATEST), "k=3 thread=yes");
    rill_catalog_free(a);
    rill_catalog_free(b);
}

/* A child of fork that frees the handles it inherited and opens its own
 * writes through a connection of its own, and the parent's goes on. */
static void a_child_of_fork_lets_go_of_inherited_handles_and_opens_its_own(void **s)
{
    rill_catalog *c = open_cat("docs", 0);
    int status;
    pid_t pid;
    (void)s;
    commit_ops(c, "k=1", NULL);
    if ((pid = fork()) == 0) {
        rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
        rill_catalog *mine;
        rill_catalog_txn *t;
        rill_catalog_free(c); /* the parent's connection: let go, not closed */
        o.path = db;
        if (rill_catalog_open(&mine, "docs", &o) != 0 || rill_catalog_begin(&t, mine) != 0 ||
            rill_catalog_put(t, "child", 5, "yes", 3) != 0 ||
            rill_catalog_commit(NULL, t, "child") != 0)
            _exit(1);
        rill_catalog_free(mine);
        _exit(0);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child ended with status %#x", status);
    assert_string_equal(contents(c, RILL_CATALOG_LATEST), "child=yes k=1");
    commit_ops(c, "k=3", NULL); /* the parent's connection still writes */
    assert_string_equal(contents(c, RILL_CATALOG_LATEST), "child=yes k=3");
    rill_catalog_free(c);
}

/* A child process holds a transaction until told (one byte on go), then
 * commits; it says when it holds it (a byte on ready). It frees its handle
 * before _exit (under valgrind a child's exit is checked for leaks too). */
static pid_t writer_child(int *go_w, int *ready_r)
{
    int go[2], ready[2];
    char b;
    pid_t pid;
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    if ((pid = fork()) == 0) {
        rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
        rill_catalog *c;
        rill_catalog_txn *t;
        int code = 0;
        o.path = db;
        if (rill_catalog_open(&c, "docs", &o) != 0 || rill_catalog_begin(&t, c) != 0 ||
            rill_catalog_put(t, "child", 5, "yes", 3) != 0)
            _exit(1);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
            _exit(2);
        if (rill_catalog_commit(NULL, t, "child") != 0) {
            fprintf(stderr, "child: %s\n", rill_error_last());
            code = 3;
        }
        rill_catalog_free(c);
        _exit(code);
    }
    close(go[0]);
    close(ready[1]);
    *go_w = go[1];
    *ready_r = ready[0];
    return pid;
}

static void a_writer_in_another_process_makes_begin_busy_or_wait(void **s)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *c = open_cat("docs", 0);
    rill_catalog_txn *t;
    int go, ready, status, rc;
    char b;
    pid_t pid;
    (void)s;
    rill_catalog_free(c); /* no handle across the fork */
    pid = writer_child(&go, &ready);
    assert_int_equal(read(ready, &b, 1), 1);
    c = open_cat("docs", 0);
    assert_int_equal(rill_catalog_begin(&t, c), RILL_EBUSY);
    rill_catalog_free(c);
    o.path = db;
    o.wait_ms = 30000; /* waits for the child, which commits once told */
    assert_int_equal(rill_catalog_open(&c, "docs", &o), 0);
    assert_int_equal(write(go, "g", 1), 1);
    if ((rc = rill_catalog_begin(&t, c)) != 0)
        fail_msg("begin waiting for the child: %d (%s)", rc, rill_error_last());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child ended with status %#x", status);
    assert_int_equal(rill_catalog_txn_version(t), 2);
    rill_catalog_abort(t);
    assert_string_equal(contents(c, 1), "child=yes");
    close(go);
    close(ready);
    rill_catalog_free(c);
}

typedef struct waiting_begin {
    rill_catalog *c;
    int rc;
} waiting_begin;

static void *begin_and_abort(void *arg)
{
    waiting_begin *w = arg;
    rill_catalog_txn *t;
    if ((w->rc = rill_catalog_begin(&t, w->c)) == 0)
        rill_catalog_abort(t);
    return NULL;
}

/* A handle waiting for another process's writer holds up no reader of the
 * file in this process: the read ends while it waits (the child commits
 * only after the read), and then the wait ends in the lock. */
static void a_handle_waiting_for_another_process_does_not_hold_up_readers(void **s)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *reader = open_cat("docs", 0);
    waiting_begin w = {NULL, 99};
    pthread_t th;
    int go, ready, status;
    char b;
    pid_t pid;
    (void)s;
    commit_ops(reader, "k=1", NULL);
    rill_catalog_free(reader); /* no handle across the fork */
    pid = writer_child(&go, &ready);
    assert_int_equal(read(ready, &b, 1), 1);
    o.path = db;
    o.wait_ms = 30000;
    assert_int_equal(rill_catalog_open(&w.c, "docs", &o), 0);
    reader = open_cat("docs", 0);
    assert_int_equal(pthread_create(&th, NULL, begin_and_abort, &w), 0);
    {
        struct timespec pause = {0, 50 * 1000000L}; /* let the thread start waiting */
        nanosleep(&pause, NULL);
    }
    assert_string_equal(contents(reader, RILL_CATALOG_LATEST), "k=1");
    assert_int_equal(write(go, "g", 1), 1); /* only now may the waiting begin get in */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.rc, 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_equal(contents(reader, RILL_CATALOG_LATEST), "child=yes k=1");
    close(go);
    close(ready);
    rill_catalog_free(reader);
    rill_catalog_free(w.c);
}

/* ---- kill -9 ---- */

static void kill_self(void)
{
    raise(SIGKILL);
}

static void a_kill_at_the_last_step_of_a_commit_leaves_the_previous_version(void **s)
{
    rill_catalog *c = open_cat("docs", 8);
    rill_catalog_gc_stats st;
    int status;
    pid_t pid;
    (void)s;
    commit_ops(c, "a=first-version-data b=2", "before");
    rill_catalog_free(c);
    if ((pid = fork()) == 0) {
        rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
        rill_catalog_txn *t;
        char key[32];
        int i;
        o.path = db;
        o.inline_max = 8;
        if (rill_catalog_open(&c, "docs", &o) != 0 || rill_catalog_begin(&t, c) != 0)
            _exit(1);
        for (i = 0; i < 200; i++) {
            snprintf(key, sizeof(key), "k%03d", i);
            if (rill_catalog_put(t, key, strlen(key), "a payload in a file", 19 - i % 3) != 0)
                _exit(2);
        }
        if (rill_catalog_put(t, "a", 1, "second-version-data", 19) != 0 ||
            rill_catalog_delete(t, "b", 1) != 0)
            _exit(3);
        rill__catalog_commit_hook = kill_self; /* after the last write, before COMMIT */
        rill_catalog_commit(NULL, t, "killed");
        _exit(4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    c = open_cat("docs", 8);
    assert_string_equal(contents(c, RILL_CATALOG_LATEST), "a=first-version-data b=2");
    assert_true(count_files(blobs) > 1); /* the killed commit's payload files */
    assert_int_equal(commit_ops(c, "c=3", "after"), 2);
    assert_string_equal(contents(c, 2), "a=first-version-data b=2 c=3");
    assert_string_equal(diff(c, 1, 2), "+c");
    assert_int_equal(rill_catalog_gc(&st, c, NULL), 0);
    assert_true(st.files_removed >= 3);
    assert_int_equal(count_files(blobs), 1); /* first-version-data */
    assert_int_equal(get_str(c, 2, "a"), 0);
    rill_catalog_free(c);
}

/* The data of key i in a version the looping child commits. */
static void loop_value(char *out, size_t cap, int64_t version, int i)
{
    snprintf(out, cap, "v%lld-k%02d%s", (long long)version, i,
             i % 4 == 0 ? "-long enough to go to a payload file" : "");
}

/* Commits versions in a loop, each putting every key anew, and writes
 * each version made to fd; runs until killed. */
static void commit_loop(int fd)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog *c;
    rill_catalog_txn *t;
    char key[16], val[128];
    int64_t v;
    int i;
    o.path = db;
    o.inline_max = 16;
    if (rill_catalog_open(&c, "docs", &o) != 0)
        _exit(1);
    for (;;) {
        if (rill_catalog_begin(&t, c) != 0)
            _exit(2);
        for (i = 0; i < 40; i++) {
            snprintf(key, sizeof(key), "k%02d", i);
            loop_value(val, sizeof(val), rill_catalog_txn_version(t), i);
            if (rill_catalog_put(t, key, strlen(key), val, strlen(val)) != 0)
                _exit(3);
        }
        if (rill_catalog_commit(&v, t, NULL) != 0 || write(fd, &v, sizeof(v)) != sizeof(v))
            _exit(4);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each round kills the looping child at another fraction of a commit's
 * cycle (its puts, payload files, then COMMIT), measured in that round:
 * every version it made is whole, the one it was making is not there. */
static void kills_at_moments_spread_over_commits_leave_every_version_whole(void **s)
{
    enum { ROUNDS = 8 };
    rill_catalog *c;
    char key[16], want[128];
    int64_t v, reported = 0, latest, k, target;
    int fds[2], round, i, status;
    double t, last = 0, cycle = 0;
    pid_t pid;
    (void)s;
    for (round = 0; round < ROUNDS; round++) {
        assert_int_equal(pipe(fds), 0);
        if ((pid = fork()) == 0) {
            close(fds[0]);
            commit_loop(fds[1]);
        }
        close(fds[1]);
        target = reported + 3;
        while (read(fds[0], &v, sizeof(v)) == sizeof(v)) { /* three commits in */
            t = now_s();
            cycle = t - last;
            last = t;
            reported = v;
            if (v >= target)
                break;
        }
        usleep((useconds_t)(cycle * 1e6 * (round + 0.5) / ROUNDS));
        kill(pid, SIGKILL);
        while (read(fds[0], &v, sizeof(v)) == sizeof(v))
            reported = v;
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        c = open_cat("docs", 16);
        assert_int_equal(rill_catalog_latest(&latest, c), 0);
        assert_true(latest == reported || latest == reported + 1); /* the last maybe unsaid */
        for (k = 1; k <= latest; k++)
            for (i = 0; i < 40; i++) {
                snprintf(key, sizeof(key), "k%02d", i);
                loop_value(want, sizeof(want), k, i);
                assert_int_equal(get_str(c, k, key), 0);
                assert_string_equal(got, want);
            }
        assert_int_equal(get_str(c, latest + 1, "k00"), RILL_ENOTFOUND);
        rill_catalog_free(c);
        reported = latest;
    }
}

/* rill_catalog_names into one string "a,b,", stopping after stop names. */
static int name_into(const char *name, void *payload)
{
    char *out = payload;
    strcat(out, name);
    strcat(out, ",");
    return strcmp(name, "stop") == 0;
}

static void catalog_names_lists_a_files_catalogs_and_refuses_other_files(void **s)
{
    const char *text = "these are somebody's notes, not a database\n";
    char got[256] = "";
    rill_catalog *c;
    (void)s;
    assert_int_equal(rill_catalog_names(db, name_into, got), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "no such file"));
    write_file(db, "", 0); /* an empty file: no catalog tables yet, none */
    assert_int_equal(rill_catalog_names(db, name_into, got), 0);
    assert_string_equal(got, "");
    assert_int_equal(file_size(db), 0); /* nothing written */
    remove(db);
    rill_catalog_free(open_cat("zeta", 0));
    rill_catalog_free(open_cat("Alpha", 0));
    c = open_cat("beta", 0);
    commit_ops(c, "a=1", NULL);
    rill_catalog_free(c);
    assert_int_equal(rill_catalog_names(db, name_into, got), 0);
    assert_string_equal(got, "Alpha,beta,zeta,"); /* byte order */
    rill_catalog_free(open_cat("stop", 0));
    got[0] = '\0';
    assert_int_equal(rill_catalog_names(db, name_into, got), RILL_EUSER);
    assert_string_equal(got, "Alpha,beta,stop,");
    assert_int_equal(rill_catalog_names(db, NULL, got), RILL_EINVAL);
    remove(db);
    write_file(db, text, strlen(text));
    assert_int_equal(rill_catalog_names(db, name_into, got), RILL_ECORRUPT);
    assert_int_equal(file_size(db), strlen(text));
    remove(db);
    sql("CREATE TABLE users(id INTEGER, name TEXT)");
    assert_int_equal(rill_catalog_names(db, name_into, got), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "'users'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_file_that_is_not_a_database_is_refused_and_left_alone,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(somebody_elses_database_is_refused_and_left_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            rill_tables_with_other_columns_or_a_newer_format_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_damaged_database_is_found_out, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_damaged_or_missing_payload_file_is_corrupt_naming_key_and_file, setup, teardown),
        cmocka_unit_test_setup_teardown(a_damaged_inline_payload_is_corrupt_naming_the_key,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_second_writer_is_busy_while_readers_see_committed_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_second_handle_in_another_thread_waits_for_the_first_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_child_of_fork_lets_go_of_inherited_handles_and_opens_its_own, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_handle_waiting_for_another_process_does_not_hold_up_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(a_writer_in_another_process_makes_begin_busy_or_wait,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_kill_at_the_last_step_of_a_commit_leaves_the_previous_version, setup, teardown),
        cmocka_unit_test_setup_teardown(
            kills_at_moments_spread_over_commits_leave_every_version_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(
            catalog_names_lists_a_files_catalogs_and_refuses_other_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
