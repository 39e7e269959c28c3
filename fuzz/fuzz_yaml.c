/* fuzz_yaml.c — libFuzzer target for the YAML configuration loader
 * (rill_configure_yaml in src/core/config.c).
 *
 * A configuration file comes from users and may be anything. For each
 * input this target configures a small pipeline (stages "parse", "score"
 * and "a.b", a name with a dot) and checks that:
 *   - the call returns 0 or one of the codes a configuration is refused
 *     with (RILL_EINVAL, RILL_ENOTFOUND, RILL_ENOMEM), never crashes, hangs
 *     or leaks (however deep, long or aliased the document);
 *   - a refusal says why, starting with the line ("line N: ...");
 *   - the same input given again to a fresh pipeline gets the same answer
 *     and message (nothing depends on leftovers of an earlier call);
 *   - a pipeline that took the configuration still validates.
 * A failed check aborts, which libFuzzer (or fuzz/driver.c) reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_yaml: check failed at line %d: %s\n",       \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

static int copy_all(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    size_t i;
    (void)payload;
    for (i = 0; i < n; i++)
        if (rill_emit_record(out, &in[i]) != 0)
            return -1;
    return 0;
}

static rill_pipeline *pipeline(void)
{
    rill_pipeline *p = NULL;
    rill_batch *work = NULL;
    CHECK(rill_pipeline_new(&p) == 0);
    CHECK(rill_batch_new(&work) == 0);
    CHECK(rill_batch_add_int64(work, 1) == 0);
    CHECK(rill_work(p, work) == 0);
    CHECK(rill_task(p, "parse", NULL, copy_all, NULL) == 0);
    CHECK(rill_task(p, "score", NULL, copy_all, NULL) == 0);
    CHECK(rill_task(p, "a.b", NULL, copy_all, NULL) == 0);
    CHECK(rill_edge(p, "parse", "score") == 0);
    CHECK(rill_edge(p, "score", "a.b") == 0);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rill_pipeline *p = pipeline(), *q = pipeline();
    char first[1024];
    int rc = rill_configure_yaml(p, (const char *)data, size), rc2;
    CHECK(rc == 0 || rc == RILL_EINVAL || rc == RILL_ENOTFOUND || rc == RILL_ENOMEM);
    snprintf(first, sizeof(first), "%s", rill_error_last());
    if (rc < 0 && rc != RILL_ENOMEM)
        CHECK(strncmp(first, "line ", 5) == 0);
    rc2 = rill_configure_yaml(q, (const char *)data, size);
    CHECK(rc2 == rc);
    if (rc < 0)
        CHECK(strcmp(first, rill_error_last()) == 0);
    else
        CHECK(rill_pipeline_validate(p) == 0);
    rill_pipeline_free(p);
    rill_pipeline_free(q);
    return 0;
}
