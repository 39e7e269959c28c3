/* sources_stream.c — two of the spec's sources as sources the engine pulls
 * (rill/sys/source.h), so that they are unbounded sources like the live
 * ones and the source cache (rill/cache.h) can record and replay them:
 *
 *   stdin             standard input, a record per line (without its '\n'),
 *                     read as it comes; a last line without a newline is
 *                     given at the end of the input. Kind "stdin"; its
 *                     signature is the spec's real path (what feeds it is
 *                     not known before it is read: the cache of one spec's
 *                     standard input is that spec's).
 *   endless sequence  from, from + 1, ... as int64 records, at most
 *                     per_second a second; its position is the count given,
 *                     and it goes on from any position (RILL_SOURCE_SEEKS):
 *                     a replayed cache continues it live without a gap.
 *                     Kind "sequence"; signature: from and per_second.
 *
 * Each waits in slices of at most 100 ms (RILL_SOURCE_WAITS), so that a run
 * that stops reading is noticed. Uses the public API only. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rill/sys/source.h>

#include "sources.h"
#include "xalloc.h"

/* ---- standard input ---- */

typedef struct stdin_src {
    char *spec; /* the spec's real path (owned): what standard input feeds */
    char ident[128]; /* a regular file's device, inode, size, mtime; else "" */
    char *buf; /* the bytes read and not given: [0, len) */
    size_t len, cap;
    int eof;
    int64_t given;
} stdin_src;

static int stdin_take(stdin_src *s, rill_batch *out, size_t max)
{
    size_t start = 0;
    char *nl;
    int rc;
    if (s->buf == NULL)
        return 0; /* nothing read yet (memchr and memmove want a buffer) */
    while (rill_batch_count(out) < max &&
           (nl = memchr(s->buf + start, '\n', s->len - start)) != NULL) {
        if ((rc = rill_batch_add(out, s->buf + start, (size_t)(nl - (s->buf + start)))) < 0)
            return rc;
        start = (size_t)(nl - s->buf) + 1;
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
    return 0;
}

static int stdin_next(void *self, rill_source_pull *pull)
{
    stdin_src *s = self;
    size_t max = pull->batch_records ? pull->batch_records : 1024;
    int rc;
    for (;;) {
        struct pollfd pf = {0, POLLIN, 0};
        ssize_t n;
        if ((rc = stdin_take(s, pull->out, max)) < 0)
            return rc;
        if (rill_batch_count(pull->out) >= max || rill_batch_count(pull->out) > 0)
            break;
        if (s->eof) {
            if (s->len > 0 && (rc = rill_batch_add(pull->out, s->buf, s->len)) < 0)
                return rc;
            s->len = 0;
            break;
        }
        if (s->len > RILL_LIVE_LINE_MAX) {
            rill_error_set("standard input: a line longer than %zu bytes",
                           (size_t)RILL_LIVE_LINE_MAX);
            return RILL_ERANGE;
        }
        if ((rc = poll(&pf, 1, 100)) < 0 && errno != EINTR) {
            rill_error_set("standard input: %s", strerror(errno));
            return RILL_EIO;
        }
        if (rc <= 0)
            break; /* nothing yet: an empty answer */
        if (s->cap - s->len < 65536) {
            s->cap = s->cap ? s->cap * 2 : 131072;
            s->buf = cli_xrealloc(s->buf, s->cap);
        }
        n = read(0, s->buf + s->len, 65536);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            rill_error_set("standard input: %s", strerror(errno));
            return RILL_EIO;
        }
        if (n == 0)
            s->eof = 1;
        s->len += (size_t)n;
    }
    pull->batch = pull->out;
    pull->begin = 0;
    pull->end = rill_batch_count(pull->out);
    s->given += (int64_t)pull->end;
    pull->position = s->given;
    if (s->eof && s->len == 0) {
        if (pull->end == 0)
            return 0;
        pull->last = 1;
    }
    return 1;
}

static int stdin_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const stdin_src *s = self;
    int rc;
    (void)p;
    if ((rc = rill_batch_add_text(out, s->spec)) < 0 || !s->ident[0])
        return rc;
    return rill_batch_add_text(out, s->ident);
}

static void stdin_free(void *self)
{
    stdin_src *s = self;
    free(s->spec);
    free(s->buf);
    free(s);
}

static const rill_source stdin_source = {RILL_SOURCE_VERSION, "stdin", RILL_SOURCE_WAITS,
                                         stdin_next, stdin_describe, stdin_free, NULL};

/* ---- the endless sequence ---- */

typedef struct seq_src {
    int64_t from;
    double per_second;
    int started;
    struct timespec t0;
    int64_t base; /* the position at the run's first ask */
} seq_src;

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int seq_next(void *self, rill_source_pull *pull)
{
    seq_src *s = self;
    int64_t n = (int64_t)(pull->batch_records ? pull->batch_records : 1024), i;
    int rc;
    if (!s->started) {
        s->started = 1;
        s->base = pull->position;
        clock_gettime(CLOCK_MONOTONIC, &s->t0);
    }
    if (s->per_second > 0) { /* what the pace allows by now */
        double t = seconds_since(&s->t0);
        int64_t allowed = (int64_t)(t * s->per_second) + 1 - (pull->position - s->base);
        if (allowed <= 0) {
            double wait = ((double)(pull->position - s->base) / s->per_second - t) * 1e3;
            struct timespec ts = {0, (long)((wait < 1 ? 1 : wait > 100 ? 100 : wait) * 1e6)};
            nanosleep(&ts, NULL);
            pull->batch = pull->out;
            pull->begin = pull->end = 0;
            return 1;
        }
        if (allowed < n)
            n = allowed;
    }
    if (pull->position > INT64_MAX - 1 - s->from - n)
        return 0; /* the end of int64 */
    for (i = 0; i < n; i++)
        if ((rc = rill_batch_add_int64(pull->out, s->from + pull->position + i)) < 0)
            return rc;
    pull->batch = pull->out;
    pull->begin = 0;
    pull->end = (size_t)n;
    pull->position += n;
    return 1;
}

static int seq_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const seq_src *s = self;
    char text[64];
    int rc;
    (void)p;
    snprintf(text, sizeof(text), "%.17g", s->per_second);
    if ((rc = rill_batch_add_int64(out, s->from)) < 0)
        return rc;
    return rill_batch_add_text(out, text);
}

static void seq_end(void *self)
{
    ((seq_src *)self)->started = 0;
}

static const rill_source seq_source = {RILL_SOURCE_VERSION, "sequence",
                                       RILL_SOURCE_WAITS | RILL_SOURCE_SEEKS, seq_next,
                                       seq_describe, free, seq_end};

/* ---- adding them ---- */

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

/* The stage of the source's name that passes its records on. */
static int add_pass(cli_build *b, const cli_opts *o)
{
    b->generator = 1; /* --max-batches bounds it */
    if (cli_add_job(b, o, o->stage, NULL, pass, NULL) < 0)
        return -1;
    b->nodes[b->nnodes - 1].type = "source";
    b->nodes[b->nnodes - 1].unbounded = 1;
    b->nodes[b->nnodes - 1].state = "none (an unbounded source: see rill cache)";
    return 0;
}

int cli_stream_stdin(cli_build *b, const cli_opts *o)
{
    stdin_src *s = cli_xcalloc(1, sizeof(*s));
    char *real = b->s && b->s->file ? realpath(b->s->file, NULL) : NULL;
    struct stat st;
    s->spec = cli_xstrdup(real ? real : b->s && b->s->file ? b->s->file : "-");
    free(real);
    /* a file given as standard input is known by what it is: another file,
     * or this one changed, is another source (a pipe is known by the spec) */
    if (fstat(0, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(s->ident, sizeof(s->ident), "file %llu:%llu size %lld mtime %lld.%09ld",
                 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (rill_source_set(b->p, &stdin_source, s) < 0) {
        free(s);
        return cli_error(o, NULL, "%s", rill_error_last());
    }
    return add_pass(b, o);
}

int cli_stream_sequence(cli_build *b, const cli_opts *o, int64_t from, double per_second)
{
    seq_src *s = cli_xcalloc(1, sizeof(*s));
    s->from = from;
    s->per_second = per_second;
    if (rill_source_set(b->p, &seq_source, s) < 0) {
        free(s);
        return cli_error(o, NULL, "%s", rill_error_last());
    }
    return add_pass(b, o);
}
