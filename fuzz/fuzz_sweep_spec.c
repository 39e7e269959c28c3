/* fuzz_sweep_spec.c — libFuzzer target for the sweep spec reader of `rill
 * sweep` (src/cli/sweep_spec.c, over src/cli/spec_yaml.c): for each input
 * it reads the spec (a plugin trial is checked, its library never opened),
 * and checks that nothing crashes, hangs or leaks, that a refusal says why
 * with errors that each start with the spec's name, and that reading the
 * same input again gives the same errors. A failed check aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_cli.h"

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_sweep_spec: check failed at line %d: %s\n", \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* Reads once; returns 0 or -1 and the errors joined in *msgs (owned). */
static int once(const uint8_t *data, size_t size, char **msgs)
{
    sweep_spec sp;
    const char *const *e;
    size_t n, i, len = 0;
    int rc;
    cli_error_reset();
    rc = sweep_spec_parse(&sp, "fuzz.yaml", (const char *)data, size, 0);
    if (rc == 0) /* a spec read: its grid is usable */
        CHECK(rill_sweep_combinations(sp.sweep) >= 1 && rill_sweep_outputs(sp.sweep) >= 1);
    sweep_spec_free(&sp);
    e = cli_errors(&n);
    if (rc < 0)
        CHECK(n > 0);
    for (i = 0; i < n; i++) {
        CHECK(strncmp(e[i], "fuzz.yaml", 9) == 0);
        len += strlen(e[i]) + 1;
    }
    *msgs = malloc(len + 1);
    CHECK(*msgs != NULL);
    (*msgs)[0] = '\0';
    for (i = 0; i < n; i++) {
        strcat(*msgs, e[i]);
        strcat(*msgs, "\n");
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
