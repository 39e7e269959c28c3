/* live_helpers.h — what the live source tests (test_sources_live.c,
 * test_sources_command.c) share: a scratch folder, bounded options, a
 * pipeline passing records on, and checks of what came. */
#ifndef RILL_TESTS_LIVE_HELPERS_H
#define RILL_TESTS_LIVE_HELPERS_H

#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rill/sys/source.h>

#define SAFETY_MS 20000 /* no run here may last longer than this */

static char tmp[256];

/* A monotonic clock in milliseconds. */
static inline long long rill__test_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/rill-live-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    return 0;
}

static inline int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static inline rill_live_options bounded(int64_t max_records)
{
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    o.max_records = max_records;
    o.max_ms = SAFETY_MS;
    o.poll_ms = 20;
    return o;
}

/* A pipeline whose one stage passes on what the source gives. */
static inline rill_pipeline *passing(void)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_task(p, "pass", NULL, copy_all, NULL), 0);
    return p;
}

/* Whether the batch holds exactly the lines of want (in order when
 * ordered, else as a multiset). */
static inline int holds(const rill_batch *b, const char *const *want, size_t n, int ordered)
{
    char *seen = calloc(n, 1);
    size_t i, j;
    int ok = rill_batch_count(b) == n;
    for (i = 0; ok && i < n; i++) {
        rill_record r;
        rill_batch_get(&r, b, i);
        for (j = ordered ? i : 0; j < (ordered ? i + 1 : n); j++)
            if (!seen[j] && strlen(want[j]) == r.len && memcmp(want[j], r.data, r.len) == 0)
                break;
        ok = j < (ordered ? i + 1 : n);
        if (ok)
            seen[j] = 1;
    }
    free(seen);
    return ok;
}

static inline pid_t pid_in(const char *path)
{
    FILE *f = fopen(path, "r");
    long pid = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    return (pid_t)pid;
}

static inline void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Takes records from the stream into got until it holds n. */
static inline void take(rill_stream *s, rill_batch *got, size_t n)
{
    while (rill_batch_count(got) < n) {
        rill_batch *b;
        const char *sink;
        size_t i;
        assert_int_equal(rill_stream_next(&b, &sink, s), 1);
        for (i = 0; i < rill_batch_count(b); i++) {
            rill_record r;
            rill_batch_get(&r, b, i);
            assert_int_equal(rill_batch_add(got, r.data, r.len), 0);
        }
        rill_batch_free(b);
    }
}

#endif
