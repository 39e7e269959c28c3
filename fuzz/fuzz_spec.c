/* fuzz_spec.c — libFuzzer target for the `rill` command's spec loader
 * (src/cli/spec_yaml.c, spec.c) and builder (src/cli/build.c).
 *
 * A spec comes from users and may be anything. For each input this target
 * loads it as a spec and, when it loads, builds its pipeline (without
 * running it), then checks that:
 *   - nothing crashes, hangs or leaks, however deep, long or aliased;
 *   - a refusal says why: at least one error, each starting with the
 *     spec's name ("fuzz.yaml:LINE:COLUMN: ..." or "fuzz.yaml: ...");
 *   - the same input loaded again gives the same errors (nothing depends on
 *     leftovers of the first time).
 * Files named by the spec are never opened: building does not read them;
 * a spec naming a plugin, a command or a socket is loaded but not built.
 * A failed check aborts, which libFuzzer (or fuzz/driver.c) reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_spec: check failed at line %d: %s\n",       \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* Kinds whose building reaches outside the process (loads a library,
 * binds a socket, looks a program up): a spec using one is loaded and
 * checked, never built, so that no input can make the fuzzer load a
 * library or open a port it names. */
static int reaches_out(const spec *s)
{
    static const char *const kinds[] = {"plugin", "exec", "command", "follow", "tcp", "unix",
                                        NULL};
    size_t i, k;
    if (s->plugins)
        return 1;
    for (k = 0; kinds[k]; k++) {
        for (i = 0; i < s->nsources; i++)
            if (s->sources[i].kind && strcmp(s->sources[i].kind, kinds[k]) == 0)
                return 1;
        for (i = 0; i < s->nstages; i++)
            if (s->stages[i].kind && strcmp(s->stages[i].kind, kinds[k]) == 0)
                return 1;
    }
    return 0;
}

/* Loads and builds; returns 0 or -1 and the errors joined in *msgs (owned). */
static int once(const uint8_t *data, size_t size, char **msgs)
{
    spec *s = NULL;
    cli_build *b = NULL;
    const char *const *e;
    size_t n, i, len = 0;
    int rc;
    cli_error_reset();
    rc = spec_load(&s, "fuzz.yaml", (const char *)data, size);
    if (rc == 0) {
        if (s->bad || (!reaches_out(s) && cli_build_spec(&b, s, 2) < 0))
            rc = -1;
        cli_build_free(b);
        spec_free(s);
    }
    e = cli_errors(&n);
    if (rc < 0)
        CHECK(n > 0);
    for (i = 0; i < n; i++) {
        CHECK(strncmp(e[i], "fuzz.yaml:", 10) == 0);
        len += strlen(e[i]) + 1;
    }
    *msgs = malloc(len + 1);
    CHECK(*msgs != NULL);
    (*msgs)[0] = '\0';
    for (i = 0, len = 0; i < n; i++) {
        size_t l = strlen(e[i]);
        memcpy(*msgs + len, e[i], l);
        (*msgs)[len + l] = '\n';
        len += l + 1;
        (*msgs)[len] = '\0';
    }
    cli_error_reset();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *first, *second;
    int rc = once(data, size, &first), rc2 = once(data, size, &second);
    CHECK(rc == rc2);
    CHECK(strcmp(first, second) == 0);
    free(first);
    free(second);
    return 0;
}
