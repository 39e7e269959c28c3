/* test_fingerprint_oom.c — fingerprints out of memory, on purpose: as in
 * test_catalog_oom.c the binary puts its own malloc family in front of the
 * C library's and makes the Nth allocation fail, for every N until a round
 * no longer meets a failure. A round builds fingerprints of every kind (the
 * executable's build-id, a command and its script, options, custom hashes,
 * a folder's hash, broadcasts), encodes, decodes, compares and describes
 * them. Each round must succeed or fail with RILL_ENOMEM, never crash, and
 * give back every byte it took. */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>

#include "fingerprint_helpers.h"

#include "oom_alloc.h"

static void no_line(const char *text, void *payload)
{
    (void)text, (void)payload;
}

/* One round: 0, or the first error. */
static int round_of(void)
{
    rill_fingerprints *f = NULL, *g = NULL;
    char script[300], sub[300], why[256];
    const char *argv[] = {"cat", script, NULL};
    unsigned char h[16];
    void *bytes = NULL;
    size_t len;
    int rc;
    in_dir(script, sizeof(script), "s.txt");
    in_dir(sub, sizeof(sub), "");
    if ((rc = rill_fingerprints_new(&f)) < 0 ||
        (rc = rill_fingerprints_add_code(f, (const void *)round_of)) < 0 ||
        (rc = rill_fingerprints_set_code_version(f, "v1")) < 0 ||
        (rc = rill_fingerprints_add_command(f, argv)) < 0 ||
        (rc = rill_fingerprints_add_option(f, "b", "2", 1)) < 0 ||
        (rc = rill_fingerprints_add_option(f, "a", "1", 1)) < 0 ||
        (rc = rill_fingerprints_hash_dir(h, sub)) < 0 ||
        (rc = rill_fingerprints_add_custom(f, "dir", h, sizeof(h))) < 0 ||
        (rc = rill_fingerprints_add_custom(f, NULL, "u", 1)) < 0 ||
        (rc = rill_fingerprints_add_broadcast(f, "words", "a b c", 5, 1)) < 0 ||
        (rc = rill_fingerprints_add_broadcast(f, "big", "xyz", 3, 0)) < 0 ||
        (rc = rill_fingerprints_encode(&bytes, &len, f)) < 0 ||
        (rc = rill_fingerprints_decode(&g, bytes, len)) < 0 ||
        (rc = rill_fingerprints_describe(g, no_line, NULL)) < 0)
        goto done;
    if ((rc = rill_fingerprints_compare(why, sizeof(why), f, g)) != 0)
        goto done;
    rc = rill_fingerprints_add_option(g, "c", "3", 1);
    if (rc == 0 && (rc = rill_fingerprints_compare(why, sizeof(why), f, g)) == 1)
        rc = strcmp(why, "option 'c' added: \"3\"") == 0 ? 0 : RILL_EINVAL;
done:
    free(bytes);
    rill_fingerprints_free(f);
    rill_fingerprints_free(g);
    return rc;
}

static void every_failed_allocation_gives_enomem_and_leaks_nothing(void **s)
{
    char p[300];
    (void)s;
    write_file(in_dir(p, sizeof(p), "s.txt"), "a script");
    assert_int_equal(mkdir(in_dir(p, sizeof(p), "d"), 0755), 0);
    write_file(in_dir(p, sizeof(p), "d/x"), "x");
#ifdef OOM_SKIP
    assert_int_equal(round_of(), 0);
    skip();
#else
    long n;
    if (!oom_injects()) { /* valgrind's malloc family, not oom_alloc.h's */
        assert_int_equal(round_of(), 0);
        skip();
        return;
    }
    assert_int_equal(round_of(), 0); /* warm up */
    for (n = 0;; n++) {
        long live_before = atomic_load(&live);
        int rc;
        atomic_store(&failed, 0);
        atomic_store(&countdown, n);
        rc = round_of();
        atomic_store(&countdown, -1);
        if (rc != 0 && rc != RILL_ENOMEM)
            fail_msg("allocation %ld: unexpected result %d (%s)", n, rc, rill_error_last());
        if (rc != 0 && !atomic_load(&failed))
            fail_msg("allocation %ld: error %d without a failed allocation", n, rc);
        if (atomic_load(&live) != live_before)
            fail_msg("allocation %ld failing leaked %ld bytes", n,
                     atomic_load(&live) - live_before);
        if (!atomic_load(&failed))
            break; /* the whole round needed fewer than n allocations */
    }
    printf("a fingerprints round: failed each of %ld allocations in turn\n", n);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_failed_allocation_gives_enomem_and_leaks_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
