/* codec.c — typed values in records: int64, double and tuples.
 *
 * Tuple decoding reads bytes that may come from anywhere (files, other
 * ranks), so it checks every length against what is left before reading and
 * never trusts the field count (fuzz/fuzz_tuple.c exercises it). */
#include <stdint.h>
#include <string.h>

#include "../util/error.h"
#include "batch.h"
#include "tuple.h"

int rill_record_int64(int64_t *out, const rill_record *r)
{
    if (r == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_record_int64: NULL argument");
    if (r->len != sizeof(*out))
        return rill__error(RILL_ETYPE, "record of %zu bytes is not an int64", r->len);
    memcpy(out, r->data, sizeof(*out));
    return 0;
}

int rill_record_double(double *out, const rill_record *r)
{
    if (r == NULL || out == NULL)
        return rill__error(RILL_EINVAL, "rill_record_double: NULL argument");
    if (r->len != sizeof(*out))
        return rill__error(RILL_ETYPE, "record of %zu bytes is not a double", r->len);
    memcpy(out, r->data, sizeof(*out));
    return 0;
}

int rill__tuple_size(const char *fmt, va_list ap, size_t *out)
{
    size_t size = 2, n = 0, len;
    const char *s;
    if (fmt == NULL)
        return rill__error(RILL_EINVAL, "tuple format is NULL");
    for (; *fmt; fmt++, n++) {
        if (n == RILL_TUPLE_MAX_FIELDS)
            return rill__error(RILL_ERANGE, "tuple of more than %d fields",
                               RILL_TUPLE_MAX_FIELDS);
        switch (*fmt) {
        case 'i': (void)va_arg(ap, int64_t); size += 9; break;
        case 'd': (void)va_arg(ap, double); size += 9; break;
        case 's':
            s = va_arg(ap, const char *);
            if (s == NULL)
                return rill__error(RILL_EINVAL, "tuple field %zu: text is NULL", n);
            len = strlen(s);
            if (len > RILL_RECORD_MAX - 6 - size)
                return rill__error(RILL_ERANGE, "tuple field %zu is too long", n);
            size += 6 + len;
            break;
        case 'b':
            s = va_arg(ap, const char *);
            len = va_arg(ap, size_t);
            if (s == NULL && len)
                return rill__error(RILL_EINVAL, "tuple field %zu: bytes are NULL", n);
            if (len > RILL_RECORD_MAX - 5 - size)
                return rill__error(RILL_ERANGE, "tuple field %zu is too long", n);
            size += 5 + len;
            break;
        default:
            return rill__error(RILL_EINVAL, "tuple format letter '%c' is not one of i d s b",
                               *fmt);
        }
    }
    *out = size;
    return 0;
}

static char *put_len(char *p, size_t len)
{
    uint32_t l = (uint32_t)len;
    memcpy(p, &l, 4);
    return p + 4;
}

void rill__tuple_write(char *p, const char *fmt, va_list ap)
{
    int64_t i;
    double d;
    const char *s;
    size_t len;
    *p++ = (char)RILL__TUPLE_MAGIC;
    *p++ = (char)strlen(fmt);
    for (; *fmt; fmt++) {
        *p++ = *fmt;
        switch (*fmt) {
        case 'i': i = va_arg(ap, int64_t); memcpy(p, &i, 8); p += 8; break;
        case 'd': d = va_arg(ap, double); memcpy(p, &d, 8); p += 8; break;
        case 's':
            s = va_arg(ap, const char *);
            len = strlen(s);
            p = put_len(p, len);
            memcpy(p, s, len + 1);
            p += len + 1;
            break;
        case 'b':
            s = va_arg(ap, const char *);
            len = va_arg(ap, size_t);
            p = put_len(p, len);
            if (len)
                memcpy(p, s, len);
            p += len;
            break;
        }
    }
}

/* One decoded field. */
typedef struct field {
    char type;
    const unsigned char *bytes;
    size_t len;
} field;

static const char *type_name(char t)
{
    switch (t) {
    case 'i': return "int64";
    case 'd': return "double";
    case 's': return "text";
    default: return "bytes";
    }
}

/* Decodes field *pos of the tuple at p[0..end); advances *pos. */
static int next_field(const unsigned char *p, size_t end, size_t *pos,
                      size_t index, field *f)
{
    size_t at = *pos;
    uint32_t len;
    if (at >= end)
        return rill__error(RILL_ECORRUPT, "tuple ends before field %zu", index);
    f->type = (char)p[at++];
    switch (f->type) {
    case 'i':
    case 'd':
        if (end - at < 8)
            return rill__error(RILL_ECORRUPT, "tuple field %zu is cut short", index);
        f->bytes = p + at;
        f->len = 8;
        *pos = at + 8;
        return 0;
    case 's':
    case 'b':
        if (end - at < 4)
            return rill__error(RILL_ECORRUPT, "tuple field %zu is cut short", index);
        memcpy(&len, p + at, 4);
        at += 4;
        if (end - at < (size_t)len + (f->type == 's'))
            return rill__error(RILL_ECORRUPT, "tuple field %zu is cut short", index);
        if (f->type == 's' && (p[at + len] != '\0' || memchr(p + at, 0, len)))
            return rill__error(RILL_ECORRUPT, "tuple field %zu is not text", index);
        f->bytes = p + at;
        f->len = len;
        *pos = at + len + (f->type == 's');
        return 0;
    default:
        return rill__error(RILL_ECORRUPT, "tuple field %zu has unknown type 0x%02x",
                           index, (unsigned char)f->type);
    }
}

int rill_tuple_count(const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t pos = 2, i, n;
    field f;
    int rc;
    if (data == NULL || len < 2 || p[0] != RILL__TUPLE_MAGIC)
        return rill__error(RILL_ECORRUPT, "record is not a tuple");
    n = p[1];
    if (n > RILL_TUPLE_MAX_FIELDS)
        return rill__error(RILL_ECORRUPT, "tuple claims %zu fields", n);
    for (i = 0; i < n; i++)
        if ((rc = next_field(p, len, &pos, i, &f)) < 0)
            return rc;
    if (pos != len)
        return rill__error(RILL_ECORRUPT, "tuple has %zu bytes after its last field",
                           len - pos);
    return (int)n;
}

int rill_record_unpack(const rill_record *r, const char *fmt, ...)
{
    const unsigned char *p;
    size_t pos = 2, i, want;
    va_list ap;
    field f = {0}; /* filled by next_field (validated above); zero for -O3's sake */
    int n, rc = 0;
    if (r == NULL || fmt == NULL)
        return rill__error(RILL_EINVAL, "rill_record_unpack: NULL argument");
    if ((n = rill_tuple_count(r->data, r->len)) < 0)
        return n;
    want = strlen(fmt);
    if (want != (size_t)n)
        return rill__error(RILL_ETYPE, "tuple has %d fields, format \"%s\" asks for %zu",
                           n, fmt, want);
    p = r->data;
    va_start(ap, fmt);
    for (i = 0; i < want; i++) {
        (void)next_field(p, r->len, &pos, i, &f); /* validated above */
        if (f.type != fmt[i]) {
            rc = rill__error(RILL_ETYPE, "tuple field %zu is %s, format asks for %s", i,
                             type_name(f.type),
                             strchr("idsb", fmt[i]) ? type_name(fmt[i]) : "an unknown type");
            break;
        }
        switch (f.type) {
        case 'i': memcpy(va_arg(ap, int64_t *), f.bytes, 8); break;
        case 'd': memcpy(va_arg(ap, double *), f.bytes, 8); break;
        case 's': *va_arg(ap, const char **) = (const char *)f.bytes; break;
        case 'b':
            *va_arg(ap, const void **) = f.bytes;
            *va_arg(ap, size_t *) = f.len;
            break;
        }
    }
    va_end(ap);
    return rc;
}
