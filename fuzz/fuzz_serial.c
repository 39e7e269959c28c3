/* fuzz_serial.c — libFuzzer target for the serialisation module
 * (src/core/serial.c), which decodes bytes read from state files and
 * received from other ranks. The first byte picks the decoder (records, a
 * store of 16 raw bytes, a key table of 8-byte values, a restriction); the
 * rest is its input. Every decoder must refuse what is malformed with
 * RILL_ECORRUPT and never read outside the input; what it accepts must
 * encode back to the same bytes (records, stores and restrictions have one
 * encoding), or for a table to one with the same entries. A failed check
 * aborts, which libFuzzer (or fuzz/driver.c) reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/serial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_serial: check failed at line %d: %s\n",     \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* o's bytes equal p's len bytes. */
static void same_bytes(rill__out *o, const void *p, size_t len)
{
    char *buf;
    size_t n;
    CHECK(rill__out_take(o, &buf, &n) == 0);
    CHECK(n == len && memcmp(buf, p, len) == 0);
    free(buf);
}

static void records(const uint8_t *p, size_t len)
{
    rill_batch *b;
    rill__out o;
    int rc = rill__deser_records(p, len, &b);
    CHECK(rc == 0 || rc == RILL_ECORRUPT || rc == RILL_ENOMEM);
    if (rc < 0)
        return;
    rill__out_init(&o, 0);
    CHECK(rill__ser_records(&o, b, 0, rill_batch_count(b)) == 0);
    same_bytes(&o, p, len);
    rill_batch_free(b);
}

static void store(const uint8_t *p, size_t len)
{
    char st[16];
    rill__out o;
    int rc = rill__deser_store(p, len, st, sizeof(st), NULL, NULL);
    CHECK(rc == 0 || rc == RILL_ECORRUPT);
    if (rc < 0)
        return;
    rill__out_init(&o, 0);
    CHECK(rill__ser_store(&o, st, sizeof(st), NULL, NULL) == 0);
    same_bytes(&o, p, len);
}

static void table(const uint8_t *p, size_t len)
{
    rill__keytable *t, *back;
    rill__out o;
    char *buf;
    size_t n, pos = 0, klen;
    const void *key;
    uint64_t hash;
    void *value;
    int rc = rill__deser_table(p, len, 8, &t);
    CHECK(rc == 0 || rc == RILL_ECORRUPT || rc == RILL_ENOMEM);
    if (rc < 0)
        return;
    rill__out_init(&o, 0);
    CHECK(rill__ser_table(&o, t) == 0);
    CHECK(rill__out_take(&o, &buf, &n) == 0);
    CHECK(n == len); /* the same entries, in the table's order */
    CHECK(rill__deser_table(buf, n, 8, &back) == 0);
    CHECK(rill__keytable_count(back) == rill__keytable_count(t));
    while (rill__keytable_next(t, &pos, &key, &klen, &hash, &value)) {
        int created;
        void *other = rill__keytable_upsert(back, key, klen, hash, &created);
        CHECK(other != NULL && !created && memcmp(other, value, 8) == 0);
    }
    free(buf);
    rill__keytable_free(back);
    rill__keytable_free(t);
}

static void restriction(const uint8_t *p, size_t len)
{
    rill_restriction r;
    rill__out o;
    int rc = rill__deser_restriction(p, len, &r);
    CHECK(rc == 0 || rc == RILL_ECORRUPT);
    if (rc < 0)
        return;
    if (r.kind == RILL_RANGE_BYTEKEY) { /* keys point into the input */
        CHECK(r.start_len == 0 || ((const uint8_t *)r.start >= p &&
                                   (const uint8_t *)r.start + r.start_len <= p + len));
        CHECK(r.end_len == 0 || ((const uint8_t *)r.end >= p &&
                                 (const uint8_t *)r.end + r.end_len <= p + len));
    }
    rill__out_init(&o, 0);
    CHECK(rill__ser_restriction(&o, &r) == 0);
    same_bytes(&o, p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 0: records(data + 1, size - 1); break;
    case 1: store(data + 1, size - 1); break;
    case 2: table(data + 1, size - 1); break;
    default: restriction(data + 1, size - 1); break;
    }
    return 0;
}
