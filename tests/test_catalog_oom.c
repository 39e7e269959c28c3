/* test_catalog_oom.c — catalogs out of memory, on purpose: as in
 * test_oom.c the binary puts its own malloc family in front of the C
 * library's (SQLite's allocations included) and makes the Nth allocation
 * fail, for every N until a round no longer meets a failure. A round opens
 * a catalog, commits a version (an inline and a file payload, a delete),
 * reads it back (get, list, diff, log), exports it and collects garbage.
 * Each round must succeed or fail with a rill error, never crash, give
 * back every byte it took, and leave the catalog at the version before or
 * the one after, whole (a commit is all or nothing even then). */
#include <malloc.h>
#include <sqlite3.h>
#include <stdatomic.h>

#define CATALOG_ON_TMPFS 1 /* thousands of commits: their syncs cost nothing there */
#include "catalog_helpers.h"

#include "oom_alloc.h"


static int noop_entry(const rill_catalog_entry *e, void *payload)
{
    (void)e, (void)payload;
    return 0;
}

static int noop_diff(rill_catalog_change ch, const rill_catalog_entry *from,
                     const rill_catalog_entry *to, void *payload)
{
    (void)ch, (void)from, (void)to, (void)payload;
    return 0;
}

static int noop_version(const rill_catalog_version *v, void *payload)
{
    (void)v, (void)payload;
    return 0;
}

/* One round: 0, or the first error. */
static int round_of(long n, int64_t *made)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    rill_catalog_gc_options g = RILL_CATALOG_GC_OPTIONS_INIT;
    rill_catalog *c = NULL;
    rill_catalog_txn *t = NULL;
    char a[64], big[128], out[400];
    void *data = NULL;
    size_t len;
    int rc;
    o.path = db;
    o.inline_max = 16;
    g.keep = 2;
    snprintf(a, sizeof(a), "a-%ld", n);
    snprintf(big, sizeof(big), "big-%ld: longer than sixteen bytes, so in a file", n);
    snprintf(out, sizeof(out), "%s/out", dir);
    if ((rc = rill_catalog_open(&c, "docs", &o)) < 0 || (rc = rill_catalog_begin(&t, c)) < 0 ||
        (rc = rill_catalog_put(t, "a", 1, a, strlen(a))) < 0 ||
        (rc = rill_catalog_put(t, "big", 3, big, strlen(big))) < 0)
        goto done;
    if ((rc = rill_catalog_put(t, "b", 1, "b", 1)) < 0 ||
        (rc = rill_catalog_delete(t, "b", 1)) < 0)
        goto done;
    rc = rill_catalog_commit(made, t, "round");
    t = NULL;
    if (rc < 0 || (rc = rill_catalog_get(&data, &len, c, RILL_CATALOG_LATEST, "big", 3)) < 0)
        goto done;
    if (len != strlen(big) || memcmp(data, big, len) != 0)
        fail_msg("round %ld: read back other bytes", n);
    if ((rc = rill_catalog_list(c, RILL_CATALOG_LATEST, noop_entry, NULL)) < 0 ||
        (rc = rill_catalog_diff(c, 0, RILL_CATALOG_LATEST, noop_diff, NULL)) < 0 ||
        (rc = rill_catalog_log(c, noop_version, NULL)) < 0 ||
        (rc = rill_catalog_export(c, RILL_CATALOG_LATEST, out)) < 0)
        goto done;
    rc = rill_catalog_gc(NULL, c, &g);
done:
    free(data);
    rill_catalog_abort(t);
    rill_catalog_free(c);
    return rc;
}

#ifndef OOM_SKIP
/* The latest version of docs, read with SQLite alone (cheaper than a
 * handle, for the thousands of rounds that make none). */
static int64_t latest_of(void)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int64_t v = -1;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT coalesce(max(version), 0) FROM "
                                        "rill_cat_versions", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* The catalog as a round left it: at the version before or the one made,
 * its two puts both there (of the same round) or neither. */
static int64_t check_whole(int64_t before, long n)
{
    rill_catalog *c;
    int64_t latest = latest_of();
    char want[128];
    if (latest != before && latest != before + 1)
        fail_msg("round %ld: version %lld after %lld", n, (long long)latest, (long long)before);
    if (latest == before)
        return latest;
    c = open_cat("docs", 16);
    assert_int_equal(get_str(c, latest, "a"), 0);
    snprintf(want, sizeof(want), "a-%ld", n);
    assert_string_equal(got, want);
    assert_int_equal(get_str(c, latest, "big"), 0);
    snprintf(want, sizeof(want), "big-%ld: longer than sixteen bytes, so in a file", n);
    assert_string_equal(got, want);
    assert_int_equal(get_str(c, latest, "b"), RILL_ENOTFOUND);
    rill_catalog_free(c);
    return latest;
}

#endif

static void every_failed_allocation_gives_an_error_leaks_nothing_and_commits_whole(void **s)
{
    int64_t made = 0;
    (void)s;
#ifdef OOM_SKIP
    assert_int_equal(round_of(-1, &made), 0);
    skip();
#else
    int64_t before;
    long n;
    if (!oom_injects()) { /* valgrind's malloc family, not oom_alloc.h's */
        assert_int_equal(round_of(-1, &made), 0);
        skip();
        return;
    }
    assert_int_equal(round_of(-1, &made), 0); /* warm up: SQLite's first use */
    assert_int_equal(round_of(-2, &made), 0);
    before = latest_of();
    for (n = 0;; n++) {
        long live_before = atomic_load(&live);
        int rc;
        atomic_store(&failed, 0);
        atomic_store(&countdown, n);
        rc = round_of(n, &made);
        atomic_store(&countdown, -1);
        if (rc != 0 && rc != RILL_ENOMEM)
            fail_msg("allocation %ld: unexpected error %d (%s)", n, rc, rill_error_last());
        if (rc != 0 && !atomic_load(&failed))
            fail_msg("allocation %ld: error %d without a failed allocation", n, rc);
        if (atomic_load(&live) != live_before)
            fail_msg("allocation %ld failing leaked %ld bytes", n,
                     atomic_load(&live) - live_before);
        before = check_whole(before, n);
        if (!atomic_load(&failed))
            break; /* the whole round needed fewer than n allocations */
    }
    printf("a catalog round: failed each of %ld allocations in turn\n", n);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            every_failed_allocation_gives_an_error_leaks_nothing_and_commits_whole, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
