/* test_plugin_load.c — plugins that cannot be loaded, as a host sees them:
 * each way (tests/plugin_broken.c, built once per case; a missing file, a
 * folder, a text file) gives its code and a message naming the file and the
 * reason; the unload hook runs after a failed entry point and at close.
 *
 * Linked with the shared librill, as test_plugin is. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_helpers.h"

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rill-plugin-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Opening path fails with code, and the message holds path and each part. */
static void open_fails(const char *path, int code, const char *part1, const char *part2)
{
    rill_plugin_lib *lib = (rill_plugin_lib *)&lib;
    assert_int_equal(rill_plugin_open(&lib, path), code);
    assert_null(lib);
    assert_message_has(path);
    if (part1)
        assert_message_has(part1);
    if (part2)
        assert_message_has(part2);
}

static void a_missing_file_is_not_found(void **state)
{
    char path[128];
    (void)state;
    snprintf(path, sizeof(path), "%s/libnothere.so", tmpdir);
    open_fails(path, RILL_ENOTFOUND, strerror(ENOENT), NULL);
    open_fails(tmpdir, RILL_EISDIR, "folder", NULL);
    open_fails("libno-such-rill-plugin.so", RILL_ENOTFOUND, "No such file", NULL);
}

static void a_file_that_is_not_a_shared_object_gives_dlerror_s_reason(void **state)
{
    char path[128];
    FILE *f;
    (void)state;
    snprintf(path, sizeof(path), "%s/libtext.so", tmpdir);
    assert_non_null(f = fopen(path, "w"));
    fputs("this is not an ELF file, only text long enough to be read as one\n", f);
    fclose(f);
    open_fails(path, RILL_EINVAL, "cannot load", "ELF");
}

static void a_shared_object_without_the_entry_point_is_refused(void **state)
{
    (void)state;
    open_fails(PLUGIN_NO_ENTRY, RILL_ENOTFOUND, "no entry point rill_plugin_init", NULL);
}

static void a_plugin_needing_a_symbol_rill_lacks_is_refused_at_load(void **state)
{
    (void)state;
    open_fails(PLUGIN_MISSING, RILL_EINVAL, "rill_no_such_function", NULL);
}

static void a_plugin_of_another_major_version_is_refused(void **state)
{
    char built[32], host[32];
    (void)state;
    snprintf(built, sizeof(built), "API %d.%d", RILL_PLUGIN_API_MAJOR + 1, RILL_PLUGIN_API_MINOR);
    snprintf(host, sizeof(host), "API %d.x", RILL_PLUGIN_API_MAJOR);
    open_fails(PLUGIN_MAJOR, RILL_EVERSION, built, host);
    assert_message_has("rebuild the plugin");
}

static void a_plugin_for_a_newer_minor_version_is_refused(void **state)
{
    char built[32];
    (void)state;
    snprintf(built, sizeof(built), "needs rill plugin API %d.%d", RILL_PLUGIN_API_MAJOR,
             RILL_PLUGIN_API_MINOR + 1);
    open_fails(PLUGIN_MINOR, RILL_EVERSION, built, NULL);
}

static void a_plugin_that_never_declares_itself_is_refused(void **state)
{
    (void)state;
    open_fails(PLUGIN_UNDECLARED, RILL_EINVAL, "did not call rill_plugin_declare", NULL);
}

static void a_refused_registration_fails_the_load_even_when_ignored(void **state)
{
    (void)state;
    open_fails(PLUGIN_REFUSED, RILL_EPIPELINE, "'nothing'", "NULL");
}

/* The lines of the mark file, "" when there is none. */
static void read_mark(char *out, size_t cap, const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
}

static void an_init_that_fails_gives_its_reason_and_is_unloaded(void **state)
{
    char mark[128], got[256];
    (void)state;
    snprintf(mark, sizeof(mark), "%s/mark-init", tmpdir);
    assert_int_equal(setenv("RILL_TEST_PLUGIN_MARK", mark, 1), 0);
    open_fails(PLUGIN_INIT_FAILS, RILL_EUSER, "returned -1", "licence file");
    read_mark(got, sizeof(got), mark);
    assert_string_equal(got, "unloaded after a failed init\n");
}

static void closing_a_plugin_runs_its_unload_hook_once(void **state)
{
    char mark[128], got[256];
    rill_plugin_lib *lib = NULL;
    (void)state;
    snprintf(mark, sizeof(mark), "%s/mark-close", tmpdir);
    assert_int_equal(setenv("RILL_TEST_PLUGIN_MARK", mark, 1), 0);
    assert_int_equal(rill_plugin_open(&lib, PLUGIN_MARKED), 0);
    assert_int_equal(rill_plugin_count(lib), 1);
    read_mark(got, sizeof(got), mark);
    assert_string_equal(got, "");
    rill_plugin_close(lib);
    read_mark(got, sizeof(got), mark);
    assert_string_equal(got, "unloaded\n");
    rill_plugin_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_missing_file_is_not_found),
        cmocka_unit_test(a_file_that_is_not_a_shared_object_gives_dlerror_s_reason),
        cmocka_unit_test(a_shared_object_without_the_entry_point_is_refused),
        cmocka_unit_test(a_plugin_needing_a_symbol_rill_lacks_is_refused_at_load),
        cmocka_unit_test(a_plugin_of_another_major_version_is_refused),
        cmocka_unit_test(a_plugin_for_a_newer_minor_version_is_refused),
        cmocka_unit_test(a_plugin_that_never_declares_itself_is_refused),
        cmocka_unit_test(a_refused_registration_fails_the_load_even_when_ignored),
        cmocka_unit_test(an_init_that_fails_gives_its_reason_and_is_unloaded),
        cmocka_unit_test(closing_a_plugin_runs_its_unload_hook_once),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
