/* fuzz_cache.c — libFuzzer target for the source cache's readers
 * (src/state/cache_seg.c, cache_db.c), which read back files a crash, a
 * full disk or another program may have left damaged. The first byte picks
 * what the rest is:
 *   0  a segment file, after u64 first_event, u32 events, u64 bytes: what
 *      the index says of it (its size and XXH3-128 are made to match, so
 *      that the decompression and the decoding are reached);
 *   1  a segment's bytes before compression (they are compressed here);
 *   2  an index file (index.db), opened and read as the cache reads it.
 * Every reader must refuse what is malformed with an error and never read
 * outside its input; a segment accepted must hold exactly the events the
 * index names and encode back to the same bytes. A failed check aborts,
 * which libFuzzer (or fuzz/driver.c) reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#include <zstd.h>

#include "state/cache_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_cache: check failed at line %d: %s\n",      \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The file's bytes as the index describes s; what is accepted re-encodes. */
static void unpack(const void *file, size_t len, rill__cseg *s)
{
    XXH128_hash_t h = XXH3_128bits(file, len);
    rill_batch *b = NULL;
    int64_t *ts = NULL;
    unsigned long long raw = ZSTD_getFrameContentSize(file, len);
    s->file_len = (int64_t)len;
    s->hash[0] = h.low64;
    s->hash[1] = h.high64;
    s->raw_len = raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN ||
                 raw > (1u << 24) ? 0 : (int64_t)raw;
    if (rill__cseg_unpack(file, len, s, "fuzz.zst", &b, &ts) == 0) {
        rill__out o;
        size_t i;
        CHECK((int64_t)rill_batch_count(b) == s->events);
        rill__cseg_begin(&o, s->first_event);
        for (i = 0; i < rill_batch_count(b); i++) {
            rill_record r;
            rill_batch_get(&r, b, i);
            rill__cseg_event(&o, ts[i], &r);
        }
        CHECK(o.rc == 0 && (int64_t)o.len == s->raw_len);
        rill__le32(o.buf + 11, (uint32_t)rill_batch_count(b));
        {
            char *again = malloc(o.len ? o.len : 1);
            CHECK(again != NULL);
            CHECK(ZSTD_decompress(again, o.len, file, len) == o.len);
            CHECK(memcmp(again, o.buf, o.len) == 0);
            free(again);
        }
        rill__out_free(&o);
        rill_batch_free(b);
        free(ts);
    } else {
        CHECK(b == NULL && ts == NULL);
    }
}

static void segment(const uint8_t *p, size_t n)
{
    rill__cseg s;
    memset(&s, 0, sizeof(s));
    if (n < 20)
        return;
    s.first_event = (int64_t)le(p, 8);
    s.events = (int64_t)le(p + 8, 4);
    s.bytes = (int64_t)le(p + 12, 8);
    unpack(p + 20, n - 20, &s);
}

static void raw_segment(const uint8_t *p, size_t n)
{
    size_t cap = ZSTD_compressBound(n), clen;
    void *z = malloc(cap ? cap : 1);
    rill__cseg s;
    CHECK(z != NULL);
    clen = ZSTD_compress(z, cap, p, n, 1);
    CHECK(!ZSTD_isError(clen));
    memset(&s, 0, sizeof(s));
    if (n >= 15) { /* what the bytes say of themselves, as a recorder's index would */
        s.first_event = (int64_t)le(p + 3, 8);
        s.events = (int64_t)le(p + 11, 4);
    }
    {   /* the bytes of the events, as far as they can be read */
        size_t at = 15;
        int64_t k;
        for (k = 0; k < s.events && at + 16 <= n; k++) {
            uint64_t klen = le(p + at + 8, 4), dlen = le(p + at + 12, 4);
            s.bytes += (int64_t)dlen + (klen != 0xffffffffu ? (int64_t)klen : 0);
            at += 16 + (klen != 0xffffffffu ? klen : 0) + dlen;
        }
    }
    unpack(z, clen, &s);
    free(z);
}

static int each_key(const char *key, void *ctx)
{
    sqlite3 *db = ctx;
    rill__crow row;
    rill__cseg s;
    int64_t seq, mev, moff;
    if (rill__cdb_get(db, key ? key : "", &row) < 0)
        return 0;
    rill__cdb_segment(db, key ? key : "", 1, &s);
    rill__cdb_seek(db, key ? key : "", 5, &seq, &mev, &moff);
    return 0;
}

static void index_file(const uint8_t *p, size_t n)
{
    char dir[] = "/tmp/rill-fuzz-cache-XXXXXX", path[64];
    sqlite3 *db = NULL;
    FILE *f;
    if (mkdtemp(dir) == NULL)
        return;
    snprintf(path, sizeof(path), "%s/index.db", dir);
    if ((f = fopen(path, "wb")) != NULL) {
        fwrite(p, 1, n, f);
        fclose(f);
        if (rill__cdb_open(&db, dir) == 0) {
            rill__cdb_keys(db, each_key, db);
            rill__cdb_close(db);
        }
    }
    unlink(path);
    snprintf(path, sizeof(path), "%s/index.db-journal", dir);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0: segment(data + 1, size - 1); break;
    case 1: raw_segment(data + 1, size - 1); break;
    default: index_file(data + 1, size - 1); break;
    }
    return 0;
}
