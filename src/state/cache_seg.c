/* cache_seg.c — a source cache segment (format: cache_impl.h): events made
 * into bytes, compressed with zstd into one frame, written whole under a
 * temporary name and renamed, its XXH3-128 given to the index; and back,
 * refusing a file whose size or hash is not the index's, a frame that does
 * not decompress to the length recorded, or bytes that do not decode to the
 * events recorded (RILL_ECORRUPT, naming the file). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#include <zstd.h>

#include "cache_impl.h"
#include "../record/batch.h"
#include "../util/error.h"

#define SEG_LEVEL 1 /* zstd's fastest: the recorder keeps up with the source */

void rill__cseg_path(char *out, size_t cap, const char *dir, const char *key, const char *file)
{
    snprintf(out, cap, "%s/%s%s%s", dir, key, file ? "/" : "", file ? file : "");
}

void rill__cseg_begin(rill__out *o, int64_t first_event)
{
    rill__out_init(o, 0);
    rill__put_bytes(o, "rC", 2);
    rill__put_u8(o, 1);
    rill__put_u64(o, (uint64_t)first_event);
    rill__put_u32(o, 0); /* n, written when the segment is closed */
}

void rill__cseg_event(rill__out *o, int64_t t_us, const rill_record *r)
{
    rill__put_u64(o, (uint64_t)t_us);
    rill__put_u32(o, r->key ? r->key_len : 0xffffffffu);
    rill__put_u32(o, (uint32_t)r->len);
    if (r->key)
        rill__put_bytes(o, r->key, r->key_len);
    rill__put_bytes(o, r->data, r->len);
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsyncs the folder of path, so that a rename in it survives a power loss
 * (the index then never names a file the folder lost). */
static void sync_folder(const char *path)
{
    char folder[4096];
    char *slash;
    int fd;
    snprintf(folder, sizeof(folder), "%s", path);
    if ((slash = strrchr(folder, '/')) == NULL)
        return;
    *slash = '\0';
    if ((fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(fd);
        close(fd);
    }
}

int rill__cseg_write(const char *dir, const char *key, int64_t gen, int64_t seq,
                     const void *raw, size_t raw_len, rill__cseg *s)
{
    char path[4096], tmp[4200], folder[4096];
    size_t cap = ZSTD_compressBound(raw_len), clen;
    void *z = malloc(cap ? cap : 1);
    XXH128_hash_t h;
    int fd = -1, rc = 0;
    RILL__CHECK_ALLOC(z);
    clen = ZSTD_compress(z, cap, raw, raw_len, SEG_LEVEL);
    if (ZSTD_isError(clen)) {
        free(z);
        return rill__error(RILL_EIO, "source cache: cannot compress a segment: %s",
                           ZSTD_getErrorName(clen));
    }
    h = XXH3_128bits(z, clen);
    snprintf(s->file, sizeof(s->file), "g%lld-s%06lld.zst", (long long)gen, (long long)seq);
    if (seq == 1) { /* made once: a folder removed meanwhile stops the recorder */
        rill__cseg_path(folder, sizeof(folder), dir, key, NULL);
        mkdir(folder, 0777);
    }
    rill__cseg_path(path, sizeof(path), dir, key, s->file);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0 ||
        write_all(fd, z, clen) < 0 || fdatasync(fd) < 0) {
        rc = rill__error_errno(errno, "source cache: cannot write segment %s", tmp);
    } else {
        int closed = close(fd); /* once, whatever it says */
        fd = -1;
        if (closed < 0 || rename(tmp, path) < 0)
            rc = rill__error_errno(errno, "source cache: cannot write segment %s", path);
        else
            sync_folder(path);
    }
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        unlink(tmp);
    free(z);
    s->seq = seq;
    s->raw_len = (int64_t)raw_len;
    s->file_len = (int64_t)clen;
    s->hash[0] = h.low64;
    s->hash[1] = h.high64;
    return rc;
}

void rill__cseg_remove_tmp(const char *dir, const char *key)
{
    char folder[4096], path[4400];
    DIR *d;
    struct dirent *e;
    size_t n;
    rill__cseg_path(folder, sizeof(folder), dir, key, NULL);
    if ((d = opendir(folder)) == NULL)
        return;
    while ((e = readdir(d)) != NULL)
        if ((n = strlen(e->d_name)) > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0) {
            snprintf(path, sizeof(path), "%s/%s", folder, e->d_name);
            unlink(path);
        }
    closedir(d);
}

static int corrupt(const char *path, const char *why)
{
    return rill__error(RILL_ECORRUPT, "source cache segment %s is damaged: %s; the cache is "
                       "refused (and recorded again)", path, why);
}

int rill__cseg_unpack(const void *file, size_t len, const rill__cseg *s, const char *path,
                      rill_batch **out, int64_t **t_us)
{
    XXH128_hash_t h;
    unsigned long long rlen;
    rill_batch *b = NULL;
    int64_t *ts = NULL;
    void *raw = NULL;
    rill__in in;
    uint64_t first;
    uint32_t n, i;
    int64_t bytes = 0;
    int rc = 0;
    *out = NULL;
    *t_us = NULL;
    if ((int64_t)len != s->file_len)
        return corrupt(path, len < (size_t)s->file_len ? "shorter than the index says "
                                                         "(truncated)"
                                                       : "longer than the index says");
    h = XXH3_128bits(file, len);
    if (h.low64 != s->hash[0] || h.high64 != s->hash[1])
        return corrupt(path, "its content hash differs from the index's");
    rlen = ZSTD_getFrameContentSize(file, len);
    if (rlen == ZSTD_CONTENTSIZE_ERROR || rlen == ZSTD_CONTENTSIZE_UNKNOWN ||
        rlen != (unsigned long long)s->raw_len || s->raw_len < 15 || s->raw_len > (1LL << 34))
        return corrupt(path, "not a zstd frame of the length recorded");
    if ((raw = malloc((size_t)rlen)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if (ZSTD_decompress(raw, (size_t)rlen, file, len) != (size_t)rlen) {
        rc = corrupt(path, "it does not decompress");
        goto done;
    }
    rill__in_init(&in, raw, (size_t)rlen);
    {
        const char *magic = rill__get_bytes(&in, 2);
        uint8_t ver = 0;
        if (magic == NULL || memcmp(magic, "rC", 2) != 0 || rill__get_u8(&in, &ver) < 0 ||
            ver != 1 || rill__get_u64(&in, &first) < 0 || rill__get_u32(&in, &n) < 0) {
            rc = corrupt(path, "not a segment of this version");
            goto done;
        }
    }
    if ((int64_t)first != s->first_event || (int64_t)n != s->events || n > rlen / 16) {
        rc = corrupt(path, "its events are not those the index names");
        goto done;
    }
    if ((rc = rill_batch_new(&b)) < 0)
        goto done;
    if ((ts = malloc(((size_t)n + 1) * sizeof(*ts))) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        uint64_t t;
        uint32_t klen, dlen;
        const void *k = NULL, *d;
        if (rill__get_u64(&in, &t) < 0 || rill__get_u32(&in, &klen) < 0 ||
            rill__get_u32(&in, &dlen) < 0 ||
            (klen != 0xffffffffu && (k = rill__get_bytes(&in, klen)) == NULL) ||
            (d = rill__get_bytes(&in, dlen)) == NULL) {
            rc = corrupt(path, "an event is cut short");
            goto done;
        }
        ts[i] = (int64_t)t;
        bytes += (int64_t)dlen + (klen != 0xffffffffu ? (int64_t)klen : 0);
        rc = k ? rill_batch_add_keyed(b, k, klen, d, dlen) : rill_batch_add(b, d, dlen);
        if (rc < 0)
            goto done;
    }
    if (rill__in_end(&in, "segment") < 0 || bytes != s->bytes) {
        rc = corrupt(path, "its bytes are not those the index names");
        goto done;
    }
done:
    free(raw);
    if (rc < 0) {
        rill_batch_free(b);
        free(ts);
        return rc;
    }
    *out = b;
    *t_us = ts;
    return 0;
}

/* The whole file at path: *buf (caller frees), *len. */
static int slurp(const char *path, const rill__cseg *s, char **buf, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    *buf = NULL;
    if (fd < 0) {
        if (errno == ENOENT)
            return corrupt(path, "the file is missing");
        return rill__error_errno(errno, "source cache: cannot read segment %s", path);
    }
    if (fstat(fd, &st) < 0) {
        close(fd);
        return rill__error_errno(errno, "source cache: cannot read segment %s", path);
    }
    if (st.st_size != s->file_len) { /* no need to read it */
        close(fd);
        *len = (size_t)st.st_size;
        return 0;
    }
    if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
        close(fd);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return 0;
}

int rill__cseg_read(const char *dir, const char *key, const rill__cseg *s, rill_batch **out,
                    int64_t **t_us)
{
    char path[4096];
    char *buf = NULL;
    size_t len = 0;
    int rc;
    rill__cseg_path(path, sizeof(path), dir, key, s->file);
    if ((rc = slurp(path, s, &buf, &len)) < 0)
        return rc;
    rc = rill__cseg_unpack(buf ? buf : "", len, s, path, out, t_us);
    free(buf);
    return rc;
}

int rill__cseg_check(const char *dir, const char *key, const rill__cseg *s)
{
    char path[4096];
    char *buf = NULL;
    size_t len = 0;
    XXH128_hash_t h;
    int rc;
    rill__cseg_path(path, sizeof(path), dir, key, s->file);
    if ((rc = slurp(path, s, &buf, &len)) < 0)
        return rc;
    if (buf == NULL || (int64_t)len != s->file_len) {
        free(buf);
        return corrupt(path, (int64_t)len < s->file_len ? "shorter than the index says "
                                                          "(truncated)"
                                                        : "longer than the index says");
    }
    h = XXH3_128bits(buf, len);
    free(buf);
    if (h.low64 != s->hash[0] || h.high64 != s->hash[1])
        return corrupt(path, "its content hash differs from the index's");
    return 0;
}

void rill__cseg_remove_all(const char *dir, const char *key)
{
    char folder[4096], path[4400];
    DIR *d;
    struct dirent *e;
    rill__cseg_path(folder, sizeof(folder), dir, key, NULL);
    if ((d = opendir(folder)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", folder, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(folder);
}

int rill__cache_follow_path(const rill_source *ops, const void *self, const rill_pipeline *p,
                            char *out, size_t cap)
{
    rill_batch *b = NULL;
    rill_record rec;
    int rc = 0;
    out[0] = '\0';
    if (ops == NULL || ops->name == NULL || strcmp(ops->name, "follow") != 0 ||
        ops->describe == NULL || rill_batch_new(&b) < 0)
        return 0;
    if (ops->describe(self, p, b) >= 0 && rill_batch_count(b) > 0) {
        rill_batch_get(&rec, b, 0);
        if (rec.len < cap) {
            memcpy(out, rec.data, rec.len);
            out[rec.len] = '\0';
            rc = 1;
        }
    }
    rill_batch_free(b);
    rill_error_clear();
    return rc;
}

int rill__cache_file_mark(const char *path, int64_t pos, rill__fmark *m)
{
    unsigned char buf[256];
    struct stat st;
    ssize_t got;
    int fd;
    memset(m, 0, sizeof(*m));
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -1;
    }
    m->dev = (int64_t)st.st_dev;
    m->ino = (int64_t)st.st_ino;
    m->len = pos < (int64_t)sizeof(buf) ? pos : (int64_t)sizeof(buf);
    got = m->len > 0 ? pread(fd, buf, (size_t)m->len, (off_t)(pos - m->len)) : 0;
    close(fd);
    if (got != (ssize_t)m->len)
        return -1;
    m->hash = XXH3_64bits(buf, (size_t)m->len);
    return 0;
}
