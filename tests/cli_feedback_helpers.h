/* cli_feedback_helpers.h — what the feedback's two suites share
 * (test_cli_feedback.c, test_cli_report.c): a scratch folder per suite,
 * reading files back, and the metrics JSON's members. */
#ifndef RILL_TESTS_CLI_FEEDBACK_HELPERS_H
#define RILL_TESTS_CLI_FEEDBACK_HELPERS_H

#include <jansson.h>

#include "helpers.h"

#include "feedback.h"

static char dir[64];

static inline int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/rill-feedback-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static inline int teardown(void **state)
{
    char cmd[128];
    (void)state;
    if (getenv("RILL_TEST_KEEP")) { /* to look at the pages */
        printf("kept %s\n", dir);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static inline char *path(const char *name)
{
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dir, name);
    return b;
}

static inline char *slurp(const char *file)
{
    FILE *fp = fopen(file, "rb");
    char *s;
    long n;
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    return s;
}

static inline size_t occurrences(const char *s, const char *what)
{
    size_t n = 0;
    while ((s = strstr(s, what)) != NULL) {
        n++;
        s += strlen(what);
    }
    return n;
}

static cli_feedback *counting; /* the feedback the stages count into */

static inline json_t *member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        fail_msg("no \"%s\" in the metrics", key);
    return v;
}

static inline json_int_t int_of(json_t *o, const char *key)
{
    json_t *v = member(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

#endif
