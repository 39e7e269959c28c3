/* live.c — the parts the live sources share (live.h): their options and
 * bounds, and cutting bytes into lines. */
#include <stdatomic.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "live.h"
#include "../core/plan.h"
#include "../util/error.h"

int rill__linebuf_add(rill__linebuf *b, const void *bytes, size_t n)
{
    if (b->start > 0 && (b->start == b->len || b->len + n > b->cap)) {
        memmove(b->buf, b->buf + b->start, b->len - b->start); /* compact */
        b->len -= b->start;
        b->start = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        char *nb;
        while (cap < b->len + n)
            cap *= 2;
        if ((nb = realloc(b->buf, cap)) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory reading lines");
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, bytes, n);
    b->len += n;
    return 0;
}

long rill__linebuf_take(rill__linebuf *b, rill_batch *out, size_t max, const char *who)
{
    long n = 0;
    int rc;
    while (rill_batch_count(out) < max && b->start < b->len) {
        const char *s = b->buf + b->start;
        const char *nl = memchr(s, '\n', b->len - b->start);
        if (nl == NULL)
            break;
        if ((size_t)(nl - s) > RILL_LIVE_LINE_MAX)
            break; /* refused below */
        if ((rc = rill_batch_add(out, s, (size_t)(nl - s))) < 0)
            return rc;
        b->start += (size_t)(nl - s) + 1;
        n++;
    }
    if (rill__linebuf_held(b) > RILL_LIVE_LINE_MAX &&
        memchr(b->buf + b->start, '\n', RILL_LIVE_LINE_MAX + 1) == NULL)
        return rill__error(RILL_EIO, "%s: a line longer than %zu bytes", who,
                           (size_t)RILL_LIVE_LINE_MAX);
    if (b->start == b->len)
        b->start = b->len = 0;
    return n;
}

int rill__linebuf_flush(rill__linebuf *b, rill_batch *out)
{
    int rc;
    if (b->start == b->len)
        return 0;
    if ((rc = rill_batch_add(out, b->buf + b->start, b->len - b->start)) < 0)
        return rc;
    b->start = b->len = 0;
    return 1;
}

void rill__linebuf_clear(rill__linebuf *b)
{
    b->start = b->len = 0;
}

void rill__linebuf_free(rill__linebuf *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

int rill__live_init(rill__live *l, rill_pipeline *p, const char *call,
                    const rill_live_options *opts, int from_end_ok)
{
    rill_live_options d = RILL_LIVE_OPTIONS_INIT;
    memset(l, 0, sizeof(*l));
    if (opts == NULL)
        opts = &d;
    if (opts->version != RILL_LIVE_OPTIONS_VERSION)
        return rill__misuse(p, RILL_EINVAL, "%s: options of version %u, expected %u "
                            "(initialise them with RILL_LIVE_OPTIONS_INIT)", call,
                            opts->version, RILL_LIVE_OPTIONS_VERSION);
    if (opts->max_records < 0 || opts->max_ms < 0 || opts->poll_ms < 0)
        return rill__misuse(p, RILL_EINVAL, "%s: max_records, max_ms and poll_ms must be 0 "
                            "(no bound, the default) or more", call);
    if (opts->from_end && !from_end_ok)
        return rill__misuse(p, RILL_EINVAL, "%s: from_end is an option of rill_follow_file "
                            "only", call);
    l->o = *opts;
    l->p = p;
    l->o.from_end = opts->from_end != 0;
    if (l->o.poll_ms == 0)
        l->o.poll_ms = 100;
    return 0;
}

long long rill__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rill__live_begin(rill__live *l)
{
    if (l->t0_ms == 0)
        l->t0_ms = rill__now_ms();
}

size_t rill__live_room(const rill__live *l, size_t batch_records)
{
    int64_t left = l->o.max_records - l->given;
    if (l->o.max_records > 0 && left <= 0)
        return 0;
    if (l->o.max_records > 0 && (uint64_t)left < batch_records)
        return (size_t)left;
    return batch_records;
}

int rill__live_wait_ms(const rill__live *l)
{
    long long left;
    if (l->o.max_ms == 0)
        return l->o.poll_ms;
    left = l->t0_ms + l->o.max_ms - rill__now_ms();
    return left <= 0 ? 0 : left < l->o.poll_ms ? (int)left : l->o.poll_ms;
}

#define SLICE_MS 20

int rill__live_slice(int ms)
{
    return ms < SLICE_MS ? ms : SLICE_MS;
}

int rill__live_stopped(const rill__live *l)
{
    return atomic_load_explicit(&l->p->src_stop, memory_order_relaxed);
}

int rill__live_over(const rill__live *l)
{
    return (l->o.max_records > 0 && l->given >= l->o.max_records) ||
           (l->o.max_ms > 0 && rill__now_ms() - l->t0_ms >= l->o.max_ms);
}

int rill__live_answer(rill__live *l, rill_source_pull *pull)
{
    pull->batch = pull->out;
    pull->begin = 0;
    pull->end = rill_batch_count(pull->out);
    l->given += (int64_t)pull->end;
    pull->last = rill__live_over(l);
    return 1;
}

int rill__put_i64(rill_batch *out, int64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (8 * i));
    return rill_batch_add(out, b, 8);
}

int rill__live_describe(const rill__live *l, rill_batch *out)
{
    int rc = rill__put_i64(out, l->o.max_records);
    return rc < 0 ? rc : rill__put_i64(out, l->o.max_ms);
}
