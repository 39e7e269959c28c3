/* source_follow.c — a file followed as tail -F does (rill_follow_file):
 * read to its end, then looked at every poll interval for appended bytes, a
 * new file under its name (rotation) or a shorter one (truncation). Its
 * position is the byte offset of the first line not given. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live.h"
#include "../core/plan.h"
#include "../util/error.h"

typedef struct follow {
    char *path;         /* owned */
    char who[160];      /* "followed file 'path'", for messages */
    rill__live live;
    int started;        /* in this run */
    int fd;             /* -1: the file is not open (it does not exist yet) */
    dev_t dev;
    ino_t ino;
    int64_t off;        /* where the next read starts in fd's file */
    rill__linebuf lines;
} follow;

static void follow_close(follow *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* Opens the file at its name, at offset at (or its end when at < 0; its
 * start when it is shorter than at). 0 when it does not exist (yet). */
static int follow_open(follow *f, int64_t at)
{
    struct stat st;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO: no wait */
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return rill__error(rill__errno_code(errno), "cannot open %s: %s", f->who,
                           strerror(errno));
    }
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return rill__error(rill__errno_code(e), "cannot read %s: %s", f->who, strerror(e));
    }
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->off = at < 0 ? (int64_t)st.st_size : at > (int64_t)st.st_size ? 0 : at;
    if (S_ISREG(st.st_mode) && lseek(fd, (off_t)f->off, SEEK_SET) < 0)
        f->off = 0;
    return 1;
}

/* Reads what the file has now into the buffer: bytes read, 0 at its end. */
static ssize_t follow_read(follow *f)
{
    char b[65536];
    ssize_t n;
    do
        n = read(f->fd, b, sizeof(b));
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) /* a FIFO with nothing yet */
        return 0;
    if (n < 0)
        return rill__error(RILL_EIO, "cannot read %s: %s", f->who, strerror(errno));
    if (n > 0) {
        int rc = rill__linebuf_add(&f->lines, b, (size_t)n);
        if (rc < 0)
            return rc;
        f->off += n;
    }
    return n;
}

/* At the end of the open file: has it been truncated, or its name been
 * given to another file? Then the held line is given and the reading goes
 * on from the start of the file (the new one). 1 when it moved on. */
static int follow_look(follow *f, rill_batch *out)
{
    struct stat st;
    int rc;
    if (f->fd < 0)
        return follow_open(f, 0);
    if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) && (int64_t)st.st_size < f->off) {
        if ((rc = rill__linebuf_flush(&f->lines, out)) < 0) /* truncated */
            return rc;
        f->off = 0;
        lseek(f->fd, 0, SEEK_SET);
        return 1;
    }
    if (stat(f->path, &st) < 0 || (st.st_dev == f->dev && st.st_ino == f->ino))
        return 0; /* gone (a new one is waited for), or the same file */
    if ((rc = follow_read(f)) != 0) /* what the old one got meanwhile first */
        return rc < 0 ? rc : 1;
    if ((rc = rill__linebuf_flush(&f->lines, out)) < 0) /* rotated */
        return rc;
    follow_close(f);
    return follow_open(f, 0);
}

static int follow_next(void *self, rill_source_pull *pull)
{
    follow *f = self;
    size_t room;
    int rc, looked = 0;
    long n;
    rill__live_begin(&f->live);
    if (!f->started) {
        f->started = 1;
        rill__linebuf_clear(&f->lines);
        /* a resumed run goes on where it was; a new one at the start or end */
        if ((rc = follow_open(f, pull->position > 0 ? pull->position
                                 : f->live.o.from_end ? -1 : 0)) < 0)
            return rc;
    }
    room = rill__live_room(&f->live, pull->batch_records);
    for (;;) {
        ssize_t got = 0;
        if ((n = rill__linebuf_take(&f->lines, pull->out, room, f->who)) < 0)
            return (int)n;
        if (rill_batch_count(pull->out) >= room)
            break;
        if (f->fd >= 0 && (got = follow_read(f)) < 0)
            return (int)got;
        if (got > 0)
            continue;
        if ((rc = follow_look(f, pull->out)) < 0)
            return rc;
        if (rc == 1)
            continue;
        if (rill_batch_count(pull->out) > 0 || looked || rill__live_over(&f->live))
            break;
        looked = 1; /* nothing new: wait once, then answer */
        {
            long long until = rill__now_ms() + rill__live_wait_ms(&f->live), left;
            while (!rill__live_stopped(&f->live) && (left = until - rill__now_ms()) > 0)
                usleep((useconds_t)rill__live_slice((int)left) * 1000);
        }
    }
    rill__live_answer(&f->live, pull);
    pull->position = f->off - (int64_t)rill__linebuf_held(&f->lines);
    return 1;
}

static void follow_end(void *self)
{
    follow *f = self;
    follow_close(f);
    rill__linebuf_clear(&f->lines);
    f->started = 0;
    f->live.given = 0;
    f->live.t0_ms = 0;
}

static void follow_free(void *self)
{
    follow *f = self;
    follow_end(f);
    rill__linebuf_free(&f->lines);
    free(f->path);
    free(f);
}

/* The path as given, where it starts, and the bounds. */
static int follow_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const follow *f = self;
    int rc;
    (void)p;
    if ((rc = rill_batch_add(out, f->path, strlen(f->path))) < 0 ||
        (rc = rill__put_i64(out, f->live.o.from_end)) < 0)
        return rc;
    return rill__live_describe(&f->live, out);
}

static const rill_source follow_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "follow",
    .flags = RILL_SOURCE_WAITS | RILL_SOURCE_SEEKS,
    .next = follow_next,
    .describe = follow_describe,
    .free = follow_free,
    .end = follow_end,
};

int rill_follow_file(rill_pipeline *p, const char *path, const rill_live_options *opts)
{
    follow *f;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_follow_file: the pipeline is NULL");
    if (path == NULL || path[0] == '\0')
        return rill__misuse(p, RILL_EINVAL, "rill_follow_file: no path given");
    if ((f = calloc(1, sizeof(*f))) == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    f->fd = -1;
    snprintf(f->who, sizeof(f->who), "followed file '%.120s'", path);
    if ((rc = rill__live_init(&f->live, p, "rill_follow_file", opts, 1)) < 0 ||
        (rc = rill_source_set(p, &follow_source, f)) < 0)
        follow_free(f);
    return rc;
}
