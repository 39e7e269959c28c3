/* rill/record.h — records and batches, the data everything in rill moves.
 *
 * A record is a byte string with an optional key. Records travel in batches:
 * one arena per batch, records laid end to end, freed in one call. A record's
 * bytes are not aligned; read values with the rill_record_* helpers (or
 * memcpy), never by casting the data pointer.
 *
 * Typed helpers encode common values in host byte order: an int64 record is
 * its 8 bytes, a double its 8 bytes, text its bytes (no terminating NUL). A
 * tuple (the counterpart of job_stream's Args fan-out) is a self-describing
 * list of typed fields written and read with a format string:
 *     'i' int64_t, 'd' double, 's' NUL-terminated text, 'b' bytes (ptr, size).
 * For example rill_batch_add_tuple(b, "isd", (int64_t)7, "seven", 7.0) and,
 * in a job, rill_record_unpack(rec, "isd", &n, &name, &x). 'i' reads an
 * int64_t from the argument list: cast int literals, as above. */
#ifndef RILL_RECORD_H
#define RILL_RECORD_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed view of one record. Its pointers are valid while the batch (or
 * the callback) that handed it out is: copy what must outlive it. */
typedef struct rill_record {
    const void *data;  /* borrowed; not aligned, not NUL-terminated */
    size_t len;
    const void *key;   /* borrowed; NULL when the record has no key */
    size_t key_len;
} rill_record;

/* The most bytes a record's data or key may hold. */
#define RILL_RECORD_MAX ((size_t)0xFFFFFFFEu)

/* Most fields in one tuple. */
#define RILL_TUPLE_MAX_FIELDS 64

typedef struct rill_batch rill_batch;

/* A new empty batch. *out: caller frees with rill_batch_free. */
RILL_EXTERN int rill_batch_new(rill_batch **out);
/* Frees the batch and its records; accepts NULL. */
RILL_EXTERN void rill_batch_free(rill_batch *batch);
/* Drops every record, keeping the memory for reuse. */
RILL_EXTERN void rill_batch_clear(rill_batch *batch);

RILL_EXTERN size_t rill_batch_count(const rill_batch *batch);
/* Bytes of record data and keys held. */
RILL_EXTERN size_t rill_batch_bytes(const rill_batch *batch);
/* Record i (0-based) into *out, borrowed from the batch until it is freed,
 * cleared or added to. RILL_ERANGE when i is past the end. */
RILL_EXTERN int rill_batch_get(rill_record *out, const rill_batch *batch, size_t i);

/* Appending copies the bytes given; the caller keeps its own. */
RILL_EXTERN int rill_batch_add(rill_batch *batch, const void *data, size_t len);
RILL_EXTERN int rill_batch_add_keyed(rill_batch *batch, const void *key,
                                     size_t key_len, const void *data,
                                     size_t len);
RILL_EXTERN int rill_batch_add_record(rill_batch *batch, const rill_record *rec);
RILL_EXTERN int rill_batch_add_int64(rill_batch *batch, int64_t value);
RILL_EXTERN int rill_batch_add_double(rill_batch *batch, double value);
RILL_EXTERN int rill_batch_add_text(rill_batch *batch, const char *text);
RILL_EXTERN int rill_batch_add_tuple(rill_batch *batch, const char *fmt, ...);

/* Reading typed values. RILL_ETYPE when the record's size does not fit. */
RILL_EXTERN int rill_record_int64(int64_t *out, const rill_record *rec);
RILL_EXTERN int rill_record_double(double *out, const rill_record *rec);
/* Unpacks a tuple record whose fields match fmt exactly, in number and type.
 * 's' gives a const char ** and 'b' a const void ** then a size_t *, both
 * borrowed from the record. RILL_ECORRUPT when the bytes are not a tuple,
 * RILL_ETYPE when a field has another type; rill_error_last() says which. */
RILL_EXTERN int rill_record_unpack(const rill_record *rec, const char *fmt, ...);
/* Number of fields of a tuple record, or a negative error when the bytes are
 * not a well-formed tuple. */
RILL_EXTERN int rill_tuple_count(const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
