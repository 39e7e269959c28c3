/* serial.h — the one place where rill's values become bytes and back: a
 * record range of a batch, a reducer or frame store, a combine key table and
 * a tracker's restriction. Checkpoints (state/) and messages between ranks
 * (dist/) both use it, and catalogs and the source cache will.
 *
 * The format (version 1), every integer little-endian whatever the host:
 *
 *   value   = "rS" u8 version u8 kind body       (the whole buffer, exactly)
 *   records = kind 1: u64 n, n x (u32 klen | 0xffffffff unkeyed, u32 len,
 *             key bytes, data bytes)
 *   store   = kind 2: u8 how (0 raw bytes, 1 what encode wrote), u64 len, bytes
 *   table   = kind 3: u64 value_size, u64 n, n x (u32 klen, key, value)
 *   restriction = kind 4: u8 0, i64 from, i64 to  (offsets)
 *                        | u8 1, u32 n, start, u32 n, end  (byte keys)
 *
 * Decoding never reads past the bytes it is given: a value that is cut
 * short, of another kind or version, with a length that does not fit, or
 * with bytes left over is RILL_ECORRUPT (with a message saying what was
 * being read); what a decoder made is freed again then.
 *
 * Writers append to a rill__out, which remembers its first error so a
 * sequence of puts is checked once. */
#ifndef RILL_CORE_SERIAL_H
#define RILL_CORE_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "../record/batch.h"
#include "keytable.h"
#include "rill/pipeline.h"
#include "rill/tracker.h"

#define RILL__SERIAL_VERSION 1

enum { RILL__SER_RECORDS = 1, RILL__SER_STORE, RILL__SER_TABLE, RILL__SER_RESTRICTION };

typedef struct rill__out {
    char *buf;       /* owned; the caller takes it (rill__out_take) or frees it */
    size_t len, cap;
    int rc;          /* the first error, 0 while there is none */
} rill__out;

typedef struct rill__in {
    const unsigned char *p; /* borrowed */
    size_t len, at;
    int bad;                /* a read went past the end */
} rill__in;

/* An empty buffer; reserve bytes are kept free in front (for a header a
 * caller writes later, e.g. a message's head), counted in len. */
void rill__out_init(rill__out *o, size_t reserve);
void rill__out_free(rill__out *o);
/* The bytes written (*buf: caller frees) or o->rc; o is empty after. */
int rill__out_take(rill__out *o, char **buf, size_t *len);

void rill__put_u8(rill__out *o, uint8_t v);
void rill__put_u32(rill__out *o, uint32_t v);
void rill__put_u64(rill__out *o, uint64_t v);
void rill__put_bytes(rill__out *o, const void *p, size_t n);
/* Writes v little-endian at p (8 bytes; 4 for u32). */
void rill__le64(void *p, uint64_t v);
void rill__le32(void *p, uint32_t v);

void rill__in_init(rill__in *in, const void *p, size_t len);
/* Each returns 0, or -1 (and sets bad) when the bytes run out. */
int rill__get_u8(rill__in *in, uint8_t *v);
int rill__get_u32(rill__in *in, uint32_t *v);
int rill__get_u64(rill__in *in, uint64_t *v);
/* n bytes at the cursor (borrowed), NULL when fewer are left. */
const void *rill__get_bytes(rill__in *in, size_t n);
/* 0 when everything was read and nothing is left; else RILL_ECORRUPT
 * naming what. */
int rill__in_end(rill__in *in, const char *what);

/* Records [begin, end) of b. */
int rill__ser_records(rill__out *o, const rill_batch *b, size_t begin, size_t end);
/* *out: a new batch (caller frees). */
int rill__deser_records(const void *p, size_t len, rill_batch **out);

/* A store of size bytes: its bytes, or (encode given) the data of the one
 * record encode adds (RILL_EUSER when it fails or adds another count). */
int rill__ser_store(rill__out *o, const void *store, size_t size, rill_store_encode_fn encode,
                    void *payload);
/* Into store (size bytes, zeroed by the caller): the bytes, or through
 * decode (RILL_EUSER when it refuses them). A store written the other way
 * (raw for a decoding stage, or the reverse) or of another size is
 * corrupt. */
int rill__deser_store(const void *p, size_t len, void *store, size_t size,
                      rill_store_decode_fn decode, void *payload);

/* Every entry of t (its keys and accumulators). */
int rill__ser_table(rill__out *o, const rill__keytable *t);
/* *out: a new table (caller frees with rill__keytable_free) holding the
 * entries; value_size must be the one written, and no key twice. */
int rill__deser_table(const void *p, size_t len, size_t value_size, rill__keytable **out);

/* A restriction; decoding points r's keys into p (borrowed). A restriction
 * that ends before it starts is corrupt. */
int rill__ser_restriction(rill__out *o, const rill_restriction *r);
int rill__deser_restriction(const void *p, size_t len, rill_restriction *r);

#endif
