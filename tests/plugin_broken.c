/* plugin_broken.c — small plugins for test_plugin.c, one per way a plugin
 * can be wrong (and one that is right), chosen by PLUGIN_CASE when
 * tests/CMakeLists.txt builds this file into a shared object per case:
 *
 *   NO_ENTRY    exports a function, but not rill_plugin_init
 *   MAJOR       declares the next major plugin API version
 *   MINOR       declares a newer minor version than the host has
 *   INIT_FAILS  says why with rill_error_set and returns -1 (after
 *               registering its unload hook)
 *   REFUSED     registers a job with a NULL callback and ignores the code
 *   UNDECLARED  registers nothing and never calls rill_plugin_declare
 *   MISSING     calls a rill function the host does not have
 *   MARKED      a correct plugin whose unload hook leaves a mark
 *
 * The unload hooks append a line to the file named by the environment
 * variable RILL_TEST_PLUGIN_MARK, so the test sees that they ran. */
#include <stdio.h>
#include <stdlib.h>

#include <rill.h>

#define NO_ENTRY 1
#define MAJOR 2
#define MINOR 3
#define INIT_FAILS 4
#define REFUSED 5
#define UNDECLARED 6
#define MISSING 7
#define MARKED 8

__attribute__((unused)) static void mark(void *payload)
{
    const char *path = getenv("RILL_TEST_PLUGIN_MARK");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "%s\n", (const char *)payload);
        fclose(f);
    }
}

__attribute__((unused)) static int copy(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

#if PLUGIN_CASE == NO_ENTRY

RILL_PLUGIN_EXPORT int rill_plugin_start(rill_plugin *reg, unsigned api_version);
RILL_PLUGIN_EXPORT int rill_plugin_start(rill_plugin *reg, unsigned api_version)
{
    (void)api_version;
    return rill_plugin_job(reg, "copy", "copies", NULL, copy, NULL);
}

#else

#if PLUGIN_CASE == MISSING
/* Not in rill: loading the plugin with RTLD_NOW fails on it. */
extern int rill_no_such_function(void);
#endif

RILL_PLUGIN_EXPORT int rill_plugin_init(rill_plugin *reg, unsigned api_version);
RILL_PLUGIN_EXPORT int rill_plugin_init(rill_plugin *reg, unsigned api_version)
{
    int rc = 0;
    (void)api_version, (void)rc;
#if PLUGIN_CASE == MAJOR
    return rill_plugin_declare(reg, RILL_PLUGIN_API_VERSION + (1u << 16), "major",
                               "built for the next major version");
#elif PLUGIN_CASE == MINOR
    return rill_plugin_declare(reg, RILL_PLUGIN_API_VERSION + 1, "minor",
                               "built for a newer minor version");
#elif PLUGIN_CASE == UNDECLARED
    (void)reg;
    return 0;
#else
    if ((rc = RILL_PLUGIN_DECLARE(reg, "broken", "a plugin for the tests")) < 0)
        return rc;
#if PLUGIN_CASE == INIT_FAILS
    rill_plugin_on_unload(reg, mark, "unloaded after a failed init");
    rill_error_set("cannot read its licence file /nonexistent/licence");
    return -1;
#elif PLUGIN_CASE == REFUSED
    rill_plugin_job(reg, "nothing", "has no callback", NULL, NULL, NULL);
    return 0;
#elif PLUGIN_CASE == MISSING
    if (rill_no_such_function() != 0)
        return -1;
    return rill_plugin_job(reg, "copy", "copies", NULL, copy, NULL);
#elif PLUGIN_CASE == MARKED
    if ((rc = rill_plugin_on_unload(reg, mark, "unloaded")) < 0)
        return rc;
    return rill_plugin_job(reg, "copy", "copies each record", NULL, copy, NULL);
#else
#error unknown PLUGIN_CASE
#endif
#endif
}

#endif
