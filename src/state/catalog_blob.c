/* catalog_blob.c — a catalog's contents: their hashes (XXH3-128, in its
 * canonical big-endian bytes), storing them (in the entry's row, or once
 * per hash in a payload file when larger than inline_max), and reading
 * them back checked against their hash.
 *
 * A payload file is named by its hash, <path>-blobs/<hh>/<32 hex>. It is
 * written to a temporary in the same folder (created exclusively), synced,
 * renamed to its name and the folder synced, before the row that refers to
 * it can be committed: a committed version never refers to a file that is
 * not whole on disk. A file already at its name with the right size is
 * taken as it is (it was renamed there whole); one of another size is
 * written again. Temporaries left by a killed writer are removed by
 * rill_catalog_gc. Nothing is returned to a caller, or written to an
 * export, that was not checked against its hash. */
#include "catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/error.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define CHUNK (1u << 20)

static atomic_ulong tmp_seq;

void rill__cat_hash(unsigned char out[RILL_CATALOG_HASH_SIZE], const void *data, size_t len)
{
    XXH128_canonical_t can;
    XXH128_canonicalFromHash(&can, XXH3_128bits(len ? data : "", len));
    memcpy(out, can.digest, RILL_CATALOG_HASH_SIZE);
}

void rill_catalog_hash_hex(char out[33], const unsigned char hash[RILL_CATALOG_HASH_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    int i;
    for (i = 0; i < RILL_CATALOG_HASH_SIZE; i++) {
        out[2 * i] = hex[hash[i] >> 4];
        out[2 * i + 1] = hex[hash[i] & 15];
    }
    out[32] = '\0';
}

char *rill__cat_blob_path(const rill_catalog *c, const unsigned char *hash)
{
    char hex[33];
    size_t n = strlen(c->blobs) + 40;
    char *p = malloc(n);
    if (p == NULL)
        return NULL;
    rill_catalog_hash_hex(hex, hash);
    snprintf(p, n, "%s/%.2s/%s", c->blobs, hex, hex);
    return p;
}

int rill__cat_mkdirs(const char *path)
{
    char *buf = strdup(path), *p;
    int rc = 0;
    if (buf == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    for (p = buf + 1; *p && rc == 0; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) < 0 && errno != EEXIST)
                rc = rill__error_errno(errno, "%s: cannot make the folder", buf);
            *p = '/';
        }
    free(buf);
    return rc;
}

static int sync_dir(const char *file)
{
    char *dir = strdup(file), *slash;
    int fd, rc = 0;
    if (dir == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    if ((fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) < 0)
        rc = rill__error_errno(errno, "%s: cannot sync the folder", slash ? dir : ".");
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/* Opens a new temporary beside path: *tmp (malloc'd) names it. */
static int open_tmp(char **tmp, const char *path)
{
    size_t n = strlen(path) + 64;
    int fd;
    if ((*tmp = malloc(n)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    snprintf(*tmp, n, "%s.%ld.%lu.tmp", path, (long)getpid(), atomic_fetch_add(&tmp_seq, 1));
    if ((fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        return rill__error_errno(e, "%s: cannot write a temporary beside it", path);
    }
    return fd;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len > CHUNK ? CHUNK : len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Syncs and closes fd, the temporary tmp, and renames it to path (syncing
 * the folder when sync); removes it on failure. Frees tmp. */
static int finish_tmp(int fd, char *tmp, const char *path, int sync)
{
    int rc = 0;
    if ((sync && fsync(fd) < 0) || close(fd) < 0)
        rc = rill__error_errno(errno, "%s: cannot write", tmp);
    else if (rename(tmp, path) < 0)
        rc = rill__error_errno(errno, "%s: cannot rename %s to it", path, tmp);
    else if (sync)
        rc = sync_dir(path);
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* The payload file of hash holding data, unless one of its size is there. */
static int write_blob(rill_catalog *c, const unsigned char *hash, const void *data, size_t len)
{
    char *path = rill__cat_blob_path(c, hash), *tmp = NULL;
    struct stat sb;
    int fd, rc = 0;
    if (path == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == len)
        goto done;
    if ((rc = rill__cat_mkdirs(path)) < 0 || (rc = fd = open_tmp(&tmp, path)) < 0)
        goto done;
    if (write_all(fd, data, len) < 0) {
        rc = rill__error_errno(errno, "catalog '%s': cannot write the payload file %s", c->name,
                               tmp);
        close(fd);
        unlink(tmp);
        free(tmp);
        goto done;
    }
    rc = finish_tmp(fd, tmp, path, 1);
done:
    free(path);
    return rc;
}

int rill__cat_store(rill_catalog *c, unsigned char hash[RILL_CATALOG_HASH_SIZE], const void *data,
                    size_t len, int *in_file)
{
    rill__cat_hash(hash, data, len);
    *in_file = len > c->inline_max;
    return *in_file ? write_blob(c, hash, data, len) : 0;
}

/* Reads up to want bytes of fd into buf; *got: how many (less at the end). */
static int read_full(int fd, void *buf, size_t want, size_t *got)
{
    char *p = buf;
    *got = 0;
    while (*got < want) {
        ssize_t n = read(fd, p + *got, want - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

int rill__cat_store_file(rill_catalog *c, unsigned char hash[RILL_CATALOG_HASH_SIZE],
                         uint64_t *size, void **data, const char *path)
{
    XXH3_state_t *xs = NULL;
    XXH128_canonical_t can;
    char *buf = NULL, *tmp = NULL, *final = NULL;
    size_t want = c->inline_max + 1, cap, got;
    struct stat sb;
    int fd, out = -1, rc = 0;
    *data = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return rill__error_errno(errno, "catalog '%s': cannot read %s", c->name, path);
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        rc = S_ISDIR(sb.st_mode) ? rill__error(RILL_EISDIR, "catalog '%s': %s is a folder, not a "
                                               "file", c->name, path)
                                 : rill__error(RILL_EINVAL, "catalog '%s': %s is not a file",
                                               c->name, path);
        goto done;
    }
    /* the first read: the whole file when it is small (by its size now;
     * one that grows meanwhile is streamed like a large one) */
    if ((uint64_t)sb.st_size < want)
        want = (size_t)sb.st_size + 1;
    cap = want > CHUNK ? want : CHUNK;
    if ((buf = malloc(cap)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    if (read_full(fd, buf, want, &got) < 0) {
        rc = rill__error_errno(errno, "catalog '%s': cannot read %s", c->name, path);
        goto done;
    }
    *size = got;
    if (got < want && got <= c->inline_max) { /* small, read to its end: for the row */
        rill__cat_hash(hash, buf, got);
        *data = buf;
        buf = NULL;
        goto done;
    }
    /* large: hashed while copied to a temporary, named when its hash is known */
    if ((xs = XXH3_createState()) == NULL || XXH3_128bits_reset(xs) == XXH_ERROR ||
        (final = malloc(strlen(c->blobs) + 8)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    sprintf(final, "%s/import", c->blobs);
    if ((rc = rill__cat_mkdirs(final)) < 0 || (rc = out = open_tmp(&tmp, final)) < 0)
        goto done;
    free(final);
    final = NULL;
    while (got > 0) {
        XXH3_128bits_update(xs, buf, got);
        if (write_all(out, buf, got) < 0) {
            rc = rill__error_errno(errno, "catalog '%s': cannot write the payload file %s",
                                   c->name, tmp);
            goto done;
        }
        if (read_full(fd, buf, cap, &got) < 0) {
            rc = rill__error_errno(errno, "catalog '%s': cannot read %s", c->name, path);
            goto done;
        }
        *size += got;
    }
    XXH128_canonicalFromHash(&can, XXH3_128bits_digest(xs));
    memcpy(hash, can.digest, RILL_CATALOG_HASH_SIZE);
    if ((final = rill__cat_blob_path(c, hash)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = rill__cat_mkdirs(final)) < 0)
        goto done;
    if (stat(final, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == *size) {
        rc = 0; /* there whole already */
    } else {
        rc = finish_tmp(out, tmp, final, 1);
        out = -1;
        tmp = NULL;
        if (rc < 0)
            goto done;
    }
done:
    if (out >= 0)
        close(out);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    XXH3_freeState(xs);
    free(final);
    free(buf);
    close(fd);
    return rc;
}

static int corrupt(rill_catalog *c, const rill_catalog_entry *e, const char *file,
                   const char *what)
{
    char key[128], hex[33];
    rill__cat_quote(key, sizeof(key), e->key, e->key_len);
    rill_catalog_hash_hex(hex, e->hash);
    return rill__error(RILL_ECORRUPT, "catalog '%s' in %s: the data of key %s (put in version "
                       "%lld, hash %s) %s %s", c->name, c->path, key, (long long)e->since, hex,
                       what, file ? file : "in the database");
}

/* Where an entry's content is: *in_file, and *file (malloc'd) when it is. */
static int locate(rill_catalog *c, const rill_catalog_entry *e, int *in_file, char **file)
{
    *file = NULL;
    *in_file = e->in_file;
    if (*in_file && (*file = rill__cat_blob_path(c, e->hash)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    return 0;
}

int rill__cat_check(rill_catalog *c, void **data, size_t *len, const rill_catalog_entry *e,
                    const void *row_data, size_t row_len)
{
    unsigned char h[RILL_CATALOG_HASH_SIZE];
    char *buf;
    if ((uint64_t)row_len != e->size)
        return corrupt(c, e, NULL, "does not match its hash (another size)");
    rill__cat_hash(h, row_data, row_len);
    if (memcmp(h, e->hash, sizeof(h)) != 0)
        return corrupt(c, e, NULL, "does not match its hash (damaged)");
    if ((buf = malloc(row_len + 1)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if (row_len)
        memcpy(buf, row_data, row_len);
    *data = buf;
    *len = row_len;
    return 0;
}

/* Opens the payload file of e, checking it is there with its size. */
static int open_blob(rill_catalog *c, const rill_catalog_entry *e, const char *file)
{
    struct stat sb;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return corrupt(c, e, file, "is missing: no payload file");
    if (fd < 0)
        return rill__error_errno(errno, "catalog '%s': cannot read the payload file %s", c->name,
                                 file);
    if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size != e->size) {
        close(fd);
        return corrupt(c, e, file, "does not match its hash (another size): the damaged "
                       "payload file is");
    }
    return fd;
}

/* The data of e from its row (not in a file), checked. */
static int load_row(rill_catalog *c, void **data, size_t *len, const rill_catalog_entry *e)
{
    sqlite3_stmt *st = rill__cat_stmt(c, CS_DATA);
    int rc;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_blob(st, 2, e->key, (int)e->key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, e->since);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB)
        rc = rill__cat_check(c, data, len, e, sqlite3_column_blob(st, 0),
                             (size_t)sqlite3_column_bytes(st, 0));
    else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        rc = corrupt(c, e, NULL, "has no stored content (a damaged catalog file):");
    else
        rc = rill__cat_fail(c, "cannot read a payload");
    sqlite3_reset(st);
    return rc;
}

int rill__cat_load(rill_catalog *c, void **data, size_t *len, const rill_catalog_entry *e)
{
    unsigned char h[RILL_CATALOG_HASH_SIZE];
    char *file = NULL, *buf = NULL;
    int in_file, rc, fd;
    size_t got;
    *data = NULL;
    *len = 0;
    if ((rc = locate(c, e, &in_file, &file)) < 0)
        return rc;
    if (!in_file)
        return load_row(c, data, len, e);
    if (e->size > SIZE_MAX - 1 || (buf = malloc((size_t)e->size + 1)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fd = open_blob(c, e, file)) < 0)
        goto done;
    rc = read_full(fd, buf, (size_t)e->size, &got);
    close(fd);
    if (rc < 0) {
        rc = rill__error_errno(errno, "catalog '%s': cannot read the payload file %s", c->name,
                               file);
        goto done;
    }
    if (got != e->size) {
        rc = corrupt(c, e, file, "does not match its hash (shorter): the damaged payload file is");
        goto done;
    }
    rill__cat_hash(h, buf, (size_t)e->size);
    if (memcmp(h, e->hash, sizeof(h)) != 0) {
        rc = corrupt(c, e, file, "does not match its hash: the damaged payload file is");
        goto done;
    }
    *data = buf;
    *len = (size_t)e->size;
    buf = NULL;
done:
    free(buf);
    free(file);
    return rc;
}

int rill__cat_load_to(rill_catalog *c, const rill_catalog_entry *e, const char *dest)
{
    XXH3_state_t *xs = NULL;
    XXH128_canonical_t can;
    char *file = NULL, *tmp = NULL, *buf = NULL;
    void *data = NULL;
    size_t len, got;
    uint64_t total = 0;
    int in_file, rc, fd = -1, out = -1;
    if ((rc = locate(c, e, &in_file, &file)) < 0)
        return rc;
    if (!in_file) {
        if ((rc = rill__cat_load(c, &data, &len, e)) < 0 || (rc = out = open_tmp(&tmp, dest)) < 0)
            goto done;
        if (write_all(out, data, len) < 0) {
            rc = rill__error_errno(errno, "%s: cannot write", tmp);
            goto done;
        }
        rc = finish_tmp(out, tmp, dest, 0);
        out = -1;
        tmp = NULL;
        goto done;
    }
    if ((rc = fd = open_blob(c, e, file)) < 0 || (rc = out = open_tmp(&tmp, dest)) < 0)
        goto done;
    if ((xs = XXH3_createState()) == NULL || XXH3_128bits_reset(xs) == XXH_ERROR ||
        (buf = malloc(CHUNK)) == NULL) {
        rc = rill__error(RILL_ENOMEM, "out of memory");
        goto done;
    }
    for (;;) {
        if (read_full(fd, buf, CHUNK, &got) < 0) {
            rc = rill__error_errno(errno, "catalog '%s': cannot read the payload file %s",
                                   c->name, file);
            goto done;
        }
        if (got == 0)
            break;
        total += got;
        XXH3_128bits_update(xs, buf, got);
        if (write_all(out, buf, got) < 0) {
            rc = rill__error_errno(errno, "%s: cannot write", tmp);
            goto done;
        }
    }
    XXH128_canonicalFromHash(&can, XXH3_128bits_digest(xs));
    if (total != e->size || memcmp(can.digest, e->hash, RILL_CATALOG_HASH_SIZE) != 0) {
        rc = corrupt(c, e, file, "does not match its hash: the damaged payload file is");
        goto done;
    }
    rc = finish_tmp(out, tmp, dest, 0);
    out = -1;
    tmp = NULL;
done:
    if (out >= 0)
        close(out);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    if (fd >= 0)
        close(fd);
    XXH3_freeState(xs);
    free(buf);
    free(data);
    free(file);
    return rc;
}
