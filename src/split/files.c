/* files.c — reading the file sources' inputs (see files.h): identities,
 * a pread buffer over a regular file and streams read to their end.
 *
 * The buffer holds one contiguous piece [base, base + len) of the file and
 * never reads past the size the file had when it was opened, so a file that
 * grows is read as it was; a read that ends before that size means the file
 * shrank, and is an error naming it. A unit checks at its end that the file
 * kept its size and modification time, so a change in place is an error too. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "split.h"
#include "../util/error.h"

#define READ_MIN (1 << 20)

static void put64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void rill__ident_of(rill__ident *id, const struct stat *st)
{
    id->dev = (uint64_t)st->st_dev;
    id->ino = (uint64_t)st->st_ino;
    id->size = (int64_t)st->st_size;
    id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

void rill__ident_put(unsigned char out[RILL__IDENT_LEN], const rill__ident *id)
{
    out[0] = 'r';
    out[1] = 'I';
    out[2] = 1;
    put64(out + 3, id->dev);
    put64(out + 11, id->ino);
    put64(out + 19, (uint64_t)id->size);
    put64(out + 27, (uint64_t)id->mtime_ns);
}

int rill__ident_get(rill__ident *id, const rill_record *el)
{
    const unsigned char *k = el->key;
    if (k == NULL || el->key_len != RILL__IDENT_LEN || k[0] != 'r' || k[1] != 'I' || k[2] != 1)
        return 0;
    id->dev = get64(k + 3);
    id->ino = get64(k + 11);
    id->size = (int64_t)get64(k + 19);
    id->mtime_ns = (int64_t)get64(k + 27);
    return 1;
}

int rill__is_stream(const struct stat *st)
{
    return !S_ISREG(st->st_mode) || st->st_size == 0;
}

/* The device is recorded but not compared: one file can have another
 * device number on another machine of a run (a shared file system). */
int rill__ident_check(const rill_record *el, const char *path, const struct stat *st)
{
    rill__ident was, now;
    if (!rill__ident_get(&was, el) || rill__is_stream(st))
        return 0;
    rill__ident_of(&now, st);
    if (was.ino == now.ino && was.size == now.size && was.mtime_ns == now.mtime_ns)
        return 0;
    rill_error_set("input %s changed since this run listed it (%s): it cannot be read as one "
                   "file; start the run again without resume", path,
                   was.ino != now.ino ? "it was replaced"
                   : was.size != now.size ? "its size differs" : "it was modified");
    return RILL_EIO;
}

int rill__path_of(const rill_record *el, char *buf, size_t cap)
{
    if (el->len == 0 || el->len >= cap || memchr(el->data, 0, el->len))
        return rill__error(RILL_EINVAL, "not a file name");
    memcpy(buf, el->data, el->len);
    buf[el->len] = '\0';
    return 0;
}

int rill__file_open(rill__file *f, const rill_record *el)
{
    int rc;
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    if ((rc = rill__path_of(el, f->path, sizeof(f->path))) < 0)
        return rc;
    if (strcmp(f->path, "-") == 0) { /* standard input: read from where it is */
        if ((f->fd = fcntl(0, F_DUPFD_CLOEXEC, 3)) < 0 || fstat(f->fd, &f->st) < 0) {
            rc = rill__errno_code(errno);
            rill_error_set("cannot read standard input: %s", strerror(errno));
            return rc;
        }
        f->stream = 1;
        return 0;
    }
    if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(f->fd, &f->st) < 0) {
        rc = rill__errno_code(errno);
        rill_error_set("cannot open %s: %s", f->path, strerror(errno));
        return rc;
    }
    if (S_ISDIR(f->st.st_mode)) {
        rill_error_set("cannot read %s: %s", f->path, strerror(EISDIR));
        return RILL_EISDIR;
    }
    if ((rc = rill__ident_check(el, f->path, &f->st)) < 0)
        return rc;
    f->stream = rill__is_stream(&f->st);
    f->size = f->stream ? 0 : (int64_t)f->st.st_size;
    if (!f->stream)
        posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return 0;
}

static int shrank(rill__file *f)
{
    rill_error_set("input %s changed while it was read: it holds fewer than the %lld bytes "
                   "it had", f->path, (long long)f->size);
    return RILL_EIO;
}

static int grow(rill__file *f, size_t need)
{
    size_t cap = f->cap ? f->cap : READ_MIN;
    char *b;
    while (cap < need)
        cap *= 2;
    if (cap == f->cap)
        return 0;
    if ((b = realloc(f->buf, cap)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory reading %s", f->path);
    f->buf = b;
    f->cap = cap;
    return 0;
}

int rill__file_need(rill__file *f, int64_t keep, int64_t to)
{
    int rc;
    if (to > f->size)
        to = f->size;
    if (keep < f->base || keep > f->base + (int64_t)f->len) { /* elsewhere: start again */
        f->base = keep;
        f->len = 0;
    }
    if (to <= f->base + (int64_t)f->len)
        return 0;
    if (keep > f->base) { /* drop what is no longer needed */
        size_t drop = (size_t)(keep - f->base);
        memmove(f->buf, f->buf + drop, f->len - drop);
        f->len -= drop;
        f->base = keep;
    }
    if ((rc = grow(f, (size_t)(to - f->base) > READ_MIN ? (size_t)(to - f->base) : READ_MIN)) < 0)
        return rc;
    while (f->base + (int64_t)f->len < to) {
        int64_t at = f->base + (int64_t)f->len;
        size_t want = f->cap - f->len;
        ssize_t n;
        if ((int64_t)want > f->size - at)
            want = (size_t)(f->size - at);
        n = pread(f->fd, f->buf + f->len, want, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rill_error_set("cannot read %s: %s", f->path, strerror(errno));
            return RILL_EIO;
        }
        if (n == 0)
            return shrank(f);
        f->len += (size_t)n;
    }
    return 0;
}

/* The first '\n' at or after p in [p, end), eight bytes at a time inline
 * (lines are short: a call into libc for each would cost more); NULL if
 * none. */
static const char *find_nl(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (p + 8 <= end) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= ones * '\n';
        v = (v - ones) & ~v & highs; /* a high bit where a byte was '\n' */
        if (v)
            return p + (__builtin_ctzll(v) >> 3);
        p += 8;
    }
    for (; p < end; p++)
        if (*p == '\n')
            return p;
    return NULL;
}

int rill__file_next_line(rill__file *f, int64_t keep, int64_t q, int64_t *out)
{
    int rc;
    for (;;) {
        int64_t end = f->base + (int64_t)f->len;
        const char *nl;
        if (q >= f->size) {
            *out = f->size;
            return 0;
        }
        if (q < f->base || q >= end) {
            if ((rc = rill__file_need(f, keep, q + READ_MIN / 4)) < 0)
                return rc;
            continue;
        }
        if ((nl = find_nl(rill__file_at(f, q), f->buf + f->len)) != NULL) {
            *out = f->base + (nl - f->buf) + 1;
            return 0;
        }
        q = end;
        if (q < f->size && (rc = rill__file_need(f, keep, q + READ_MIN / 4)) < 0)
            return rc;
    }
}

/* A block of whole lines: a record, or with blocks 2 one counted as its
 * lines (a line source before a job that takes blocks of lines). */
static int emit_block(rill_emitter *out, const rill__file *f, const char *p, size_t n)
{
    return f->blocks == 2 ? rill__emit_line_block(out, p, n) : rill_emit(out, p, n);
}

/* The lines starting in [from, until) as blocks: each block ends after the
 * line holding its RILL__FILE_BLOCK-th byte (or until's line). */
static int emit_blocks(rill_emitter *out, rill__file *f, int64_t from, int64_t until)
{
    int rc = 0;
    while (from < until && rc == 0) {
        int64_t stop = until - from > RILL__FILE_BLOCK ? from + RILL__FILE_BLOCK : until, next;
        if ((rc = rill__file_next_line(f, from, stop - 1, &next)) < 0)
            break;
        rc = emit_block(out, f, rill__file_at(f, from), (size_t)(next - from));
        from = next;
    }
    return rc;
}

int rill__file_emit_lines(rill_emitter *out, rill__file *f, int64_t from, int64_t until)
{
    int rc = 0;
    int64_t stop;
    if (f->blocks)
        return emit_blocks(out, f, from, until);
    if (from >= until)
        return 0;
    /* each line starting before until: up to the end of the one holding
     * until's last byte, in the buffer at once */
    if ((rc = rill__file_next_line(f, from, until - 1, &stop)) < 0)
        return rc;
    return rill__emit_lines(out, rill__file_at(f, from), (size_t)(stop - from));
}

/* Waits until fd has bytes (or its end) to read: 0, or 1 when the run
 * reads no more (rill_source_stop, or it is stopping), so that a pipe held
 * open by its writer does not keep the run going. When nothing is there
 * yet, the lines emitted so far go on first (a line typed, or written by a
 * slow writer, is processed before the next comes), then it waits in
 * slices. *rc: the flush's failure. */
static int wait_input(rill_emitter *out, int fd, int *rc)
{
    int slice = 0;
    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        int k;
        if (rill__emitter_stopped(out))
            return 1;
        if ((k = poll(&pf, 1, slice)) < 0 && errno == EINTR)
            continue;
        if (k != 0)
            return 0; /* readable, its end, or an error read() reports */
        if (slice == 0 && (*rc = rill__emitter_flush(out)) != 0)
            return 1;
        slice = 100;
    }
}

int rill__file_stream_lines(rill_emitter *out, rill__file *f)
{
    size_t start = 0;
    int rc = 0, eof = 0;
    f->base = 0;
    f->len = 0;
    while (rc == 0 && !eof) {
        const char *nl;
        ssize_t n;
        if (start > 0) { /* keep the unfinished line at the front */
            memmove(f->buf, f->buf + start, f->len - start);
            f->len -= start;
            start = 0;
        }
        if ((rc = grow(f, f->len + READ_MIN / 4)) < 0)
            break;
        if (wait_input(out, f->fd, &rc))
            return rc; /* no more wanted: a line not ended yet is not one */
        n = read(f->fd, f->buf + f->len, f->cap - f->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rill_error_set("cannot read %s: %s", f->path, strerror(errno));
            return RILL_EIO;
        }
        eof = n == 0;
        f->len += (size_t)n;
        /* this read's whole lines at once: as one block, or a record each */
        if ((nl = f->len > start ? memrchr(f->buf + start, '\n', f->len - start) : NULL)) {
            size_t whole = (size_t)(nl + 1 - (f->buf + start));
            rc = f->blocks ? emit_block(out, f, f->buf + start, whole)
                           : rill__emit_lines(out, f->buf + start, whole);
            start += whole;
        }
    }
    if (rc == 0 && f->len > start) /* the last line, without a newline */
        rc = rill_emit(out, f->buf + start, f->len - start);
    return rc;
}

int rill__file_check(rill__file *f)
{
    struct stat now;
    if (f->stream)
        return 0;
    if (fstat(f->fd, &now) < 0) {
        rill_error_set("cannot read %s: %s", f->path, strerror(errno));
        return RILL_EIO;
    }
    if (now.st_size < f->size)
        return shrank(f);
    if (now.st_size != f->size || now.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec) {
        rill_error_set("input %s changed while it was read (its size or modification time "
                       "differs)", f->path);
        return RILL_EIO;
    }
    return 0;
}

void rill__file_close(rill__file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->buf);
    f->fd = -1;
    f->buf = NULL;
}
