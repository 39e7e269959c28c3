/* cli_cache_helpers.h — helpers of the source cache's command-line tests
 * (test_cli_cache_review.c): the cache's index read and written with
 * SQLite, the only cache's key, rill in the background with its output in
 * files, and a bystander process ended by teardown (with every recorder a
 * test left, cancelled through `rill cache evict`). */
#ifndef RILL_TESTS_CLI_CACHE_HELPERS_H
#define RILL_TESTS_CLI_CACHE_HELPERS_H

#include "cli_helpers.h"

#include <sqlite3.h>

/* Runs sql on the cache's index (.rill/cache/index.db). */
static inline void index_sql(const char *sql)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    assert_int_equal(sqlite3_open(".rill/cache/index.db", &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
    sqlite3_close(db);
}

/* The key of the only cache in the listing, into out (cap 256). */
static inline void only_key(char *out)
{
    cli_result r = cli_rill(NULL, "cache", "list", NULL);
    char *k = NULL, *end;
    const char *kinds[] = {"follow-", "command-", "tcp-", "stdin-", NULL};
    int i;
    for (i = 0; kinds[i] && !k; i++)
        k = strstr(r.out, kinds[i]);
    assert_non_null(k);
    end = k + strcspn(k, " \t\n");
    snprintf(out, 256, "%.*s", (int)(end - k), k);
    cli_result_free(&r);
}

/* A process that is not a recorder (stands for one a reused pid names);
 * ended by teardown whatever happens. */
static pid_t bystander_pid;

static inline pid_t bystander(void)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        for (;;)
            pause();
    }
    return bystander_pid = p;
}

static inline int teardown(void **state)
{
    if (bystander_pid > 0) {
        kill(bystander_pid, SIGKILL);
        waitpid(bystander_pid, NULL, 0);
        bystander_pid = 0;
    }
    /* a recorder process a test left: cancelled (not killed by name) */
    if (system(RILL_BIN " cache evict >/dev/null 2>&1") < 0)
        return -1;
    return cli_teardown(state);
}

/* rill run ARGS... in the background, its output in NAME.out, NAME.err. */
static inline pid_t spawn_to(const char *name, const char *const *argv)
{
    char out[600], err[600];
    const char *args[32];
    pid_t pid;
    int n = 0;
    args[n++] = RILL_BIN;
    while (n < 31 && argv[n - 1])
        args[n] = argv[n - 1], n++;
    args[n] = NULL;
    snprintf(out, sizeof(out), "%s.out", name);
    snprintf(err, sizeof(err), "%s.err", name);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || e < 0)
            _exit(125);
        dup2(in, 0), dup2(o, 1), dup2(e, 2);
        execv(RILL_BIN, (char *const *)args);
        _exit(126);
    }
    return pid;
}

/* Waits for pid (a minute at most); its exit status. */
static inline int wait_status(pid_t pid)
{
    int status, i;
    for (i = 0; i < 600; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("rill did not end within a minute");
    return -1;
}

/* One number from the index (the first column of the first row). */
static inline long long index_number(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v;
    assert_int_equal(sqlite3_open(".rill/cache/index.db", &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}


#endif
