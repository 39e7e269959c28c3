/* reader.c — reads rill's record files (docs/record-format.md).
 *
 * The bytes come from outside, so nothing in them is trusted: lengths are
 * checked against the format's limits, and a record's buffer grows only as
 * its bytes actually arrive, so a corrupt length cannot make the reader
 * allocate gigabytes for a file of a few bytes. fuzz/fuzz_reader.c drives it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "rill/io.h"

#define MAGIC "RILLREC\x01"

struct rill_reader {
    FILE *f;
    char *name;   /* owned: the path, or "(memory)" */
    char *buf;    /* owned: the current record */
    size_t cap;
    uint64_t off; /* offset of the next record */
    int failed;   /* a corrupt record was met: every read after fails */
};

static int open_stream(rill_reader **out, FILE *f, const char *name)
{
    rill_reader *r = calloc(1, sizeof(*r));
    char magic[8];
    *out = NULL;
    if (r == NULL || (r->name = strdup(name)) == NULL) {
        free(r);
        fclose(f);
        return rill__error(RILL_ENOMEM, "out of memory opening %s", name);
    }
    r->f = f;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, MAGIC, 7) != 0) {
        rill_reader_close(r);
        return rill__error(RILL_ECORRUPT, "%s is not a rill record file", name);
    }
    if ((unsigned char)magic[7] != 1) {
        int v = (unsigned char)magic[7];
        rill_reader_close(r);
        return rill__error(RILL_ECORRUPT, "%s is a rill record file of version %d; this "
                                          "reader knows version 1", name, v);
    }
    r->off = 8;
    *out = r;
    return 0;
}

int rill_reader_open(rill_reader **out, const char *path)
{
    FILE *f;
    if (out == NULL || path == NULL)
        return rill__error(RILL_EINVAL, "rill_reader_open: NULL argument");
    *out = NULL;
    if ((f = fopen(path, "rb")) == NULL)
        return rill__error(errno == ENOENT ? RILL_ENOTFOUND : RILL_EIO, "cannot open %s: %s",
                           path, strerror(errno));
    return open_stream(out, f, path);
}

int rill_reader_open_memory(rill_reader **out, const void *bytes, size_t len)
{
    FILE *f;
    if (out == NULL || (bytes == NULL && len))
        return rill__error(RILL_EINVAL, "rill_reader_open_memory: NULL argument");
    *out = NULL;
    if (len < 8)
        return rill__error(RILL_ECORRUPT, "(memory) is not a rill record file");
    if ((f = fmemopen((void *)bytes, len, "rb")) == NULL)
        return rill__error(RILL_ENOMEM, "cannot open bytes in memory");
    return open_stream(out, f, "(memory)");
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int rill_reader_next(rill_record *rec, rill_reader *r)
{
    unsigned char head[8];
    size_t got, need, have = 0;
    uint32_t tag, dlen;
    if (r == NULL || rec == NULL)
        return rill__error(RILL_EINVAL, "rill_reader_next: NULL argument");
    if (r->failed)
        return rill__error(RILL_ECORRUPT, "%s: the record at offset %llu is corrupt", r->name,
                           (unsigned long long)r->off);
    r->failed = 1; /* until this record is read whole */
    got = fread(head, 1, 8, r->f);
    if (got == 0 && feof(r->f)) {
        r->failed = 0;
        return 0;
    }
    if (got != 8)
        return rill__error(RILL_ECORRUPT, "%s: the record at offset %llu is cut short",
                           r->name, (unsigned long long)r->off);
    tag = le32(head);
    dlen = le32(head + 4);
    if (dlen == UINT32_MAX)
        return rill__error(RILL_ECORRUPT, "%s: the record at offset %llu has a bad length",
                           r->name, (unsigned long long)r->off);
    need = (tag ? tag - 1 : 0) + (size_t)dlen;
    while (have < need) { /* grow as the bytes come, not as the header says */
        size_t want = need - have;
        if (have + want > r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 65536;
            char *b;
            if (cap > need)
                cap = need;
            if ((b = realloc(r->buf, cap)) == NULL)
                return rill__error(RILL_ENOMEM, "%s: out of memory reading a record", r->name);
            r->buf = b;
            r->cap = cap;
            want = cap - have;
        }
        got = fread(r->buf + have, 1, want, r->f);
        have += got;
        if (got < want)
            return rill__error(RILL_ECORRUPT, "%s: the record at offset %llu is cut short",
                               r->name, (unsigned long long)r->off);
    }
    rec->key = tag ? (r->buf ? r->buf : "") : NULL;
    rec->key_len = tag ? tag - 1 : 0;
    rec->data = r->buf ? r->buf + rec->key_len : "";
    rec->len = dlen;
    r->off += 8 + need;
    r->failed = 0;
    return 1;
}

void rill_reader_close(rill_reader *r)
{
    if (r == NULL)
        return;
    if (r->f)
        fclose(r->f);
    free(r->name);
    free(r->buf);
    free(r);
}
