/* live.h — what the live sources (rill/sources.h) share: their options and
 * bounds, the clock, a buffer that cuts bytes into lines (holding a line
 * until its newline), and canonical bytes for their signatures. */
#ifndef RILL_IO_LIVE_H
#define RILL_IO_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "rill.h"
#include "rill/sources.h"
#include "rill/sys/source.h"

/* Bytes read and not yet given as lines. */
typedef struct rill__linebuf {
    char *buf; /* owned */
    size_t len, cap, start; /* the bytes not given: [start, len) */
} rill__linebuf;

/* Appends n bytes; RILL_ENOMEM. */
int rill__linebuf_add(rill__linebuf *b, const void *bytes, size_t n);
/* Moves whole lines into out while it holds fewer than max records; then
 * the bytes not given. Returns the number of lines moved, or a negative
 * error (a line longer than RILL_LIVE_LINE_MAX, named by who). */
long rill__linebuf_take(rill__linebuf *b, rill_batch *out, size_t max, const char *who);
/* Gives what is held as a last line (its input ended without a newline):
 * 1 when there was one, 0 when not, or a negative error. */
int rill__linebuf_flush(rill__linebuf *b, rill_batch *out);
/* The bytes held (not yet given). */
static inline size_t rill__linebuf_held(const rill__linebuf *b)
{
    return b->len - b->start;
}
void rill__linebuf_clear(rill__linebuf *b);
void rill__linebuf_free(rill__linebuf *b);

/* A source's bounds, and where it is in its run. */
typedef struct rill__live {
    rill_live_options o; /* checked copy, poll_ms defaulted */
    const rill_pipeline *p; /* the pipeline it belongs to (its owner) */
    int64_t given;       /* records given in this run */
    long long t0_ms;     /* when the run first asked; 0: not yet */
} rill__live;

/* Checks opts (NULL: defaults) for call into l; from_end_ok: whether the
 * option applies. RILL_EINVAL naming call, remembered by p. */
int rill__live_init(rill__live *l, rill_pipeline *p, const char *call,
                    const rill_live_options *opts, int from_end_ok);
long long rill__now_ms(void);
/* Starts the clock at the first ask of a run. */
void rill__live_begin(rill__live *l);
/* How many more records it may give (SIZE_MAX: no bound). */
size_t rill__live_room(const rill__live *l, size_t batch_records);
/* Milliseconds it may wait now: poll_ms or less, to its deadline. */
int rill__live_wait_ms(const rill__live *l);
/* How long one wait of at most ms lasts: waits are cut in slices of this,
 * so that rill_source_stop is seen within one (rill__live_stopped). */
int rill__live_slice(int ms);
/* Whether the run asked for no more input (rill_source_stop): the source
 * answers with what it has at once. */
int rill__live_stopped(const rill__live *l);
/* Whether a bound is reached (it gives no more). */
int rill__live_over(const rill__live *l);
/* Ends a pull that gave the records out holds: pull's range, last when a
 * bound is reached. Returns 1. */
int rill__live_answer(rill__live *l, rill_source_pull *pull);
/* Adds the bounds to a signature's bytes. */
int rill__live_describe(const rill__live *l, rill_batch *out);
/* An int64, little-endian whatever the host. */
int rill__put_i64(rill_batch *out, int64_t v);

#endif
