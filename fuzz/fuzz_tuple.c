/* fuzz_tuple.c — libFuzzer target for tuple decoding (src/record/codec.c).
 *
 * Tuple bytes may come from files or other ranks, so the decoder must refuse
 * anything malformed and never read outside the record. For each input this
 * target:
 *   - asks rill_tuple_count whether the bytes are a tuple, and checks the
 *     answer against an independent walk of the documented layout (0xF1, field
 *     count, then per field a type byte and its bytes: 'i'/'d' 8 bytes, 's' a
 *     4-byte length, the text and a NUL, 'b' a 4-byte length and the bytes);
 *   - when they are, unpacks every field with a format built from the walked
 *     types and checks each value against the input, and that every pointer
 *     handed back lies inside the input buffer;
 *   - checks that the tuple less its last byte is refused, that a format
 *     with one field too few, one too many or one of another type is refused
 *     with RILL_ETYPE, and malformed bytes with RILL_ECORRUPT.
 * A failed check aborts, which libFuzzer (or fuzz/driver.c) reports.
 *
 * rill_record_unpack takes one or two pointers per field. Since the field
 * types vary with the input, every call passes the same 2 * 64 pointers to
 * union slots, as void *: unpack reads only as many as the format names, and
 * every object pointer type has the representation of void * on the
 * platforms rill supports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_tuple: check failed at line %d: %s\n",      \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define MAX_ARGS (2 * RILL_TUPLE_MAX_FIELDS)

/* One field as found by walk(): its type and where its value lies. */
typedef struct ref_field {
    char type;
    size_t at, len; /* value bytes (text without its NUL) */
} ref_field;

/* Walks p[0..size) by the documented layout, independently of codec.c.
 * Returns the field count, or -1 when the bytes are not exactly one tuple. */
static int walk(const uint8_t *p, size_t size, ref_field *f)
{
    size_t pos = 2, i, n;
    uint32_t len;
    if (size < 2 || p[0] != 0xF1)
        return -1;
    n = p[1];
    if (n > RILL_TUPLE_MAX_FIELDS)
        return -1;
    for (i = 0; i < n; i++) {
        if (pos >= size)
            return -1;
        f[i].type = (char)p[pos++];
        switch (f[i].type) {
        case 'i':
        case 'd':
            if (size - pos < 8)
                return -1;
            f[i].at = pos;
            f[i].len = 8;
            pos += 8;
            break;
        case 's':
        case 'b':
            if (size - pos < 4)
                return -1;
            memcpy(&len, p + pos, 4);
            pos += 4;
            if (size - pos < len)
                return -1;
            f[i].at = pos;
            f[i].len = len;
            pos += len;
            if (f[i].type == 's') {
                if (pos >= size || p[pos] != 0 || memchr(p + f[i].at, 0, len) != NULL)
                    return -1;
                pos++;
            }
            break;
        default:
            return -1;
        }
    }
    return pos == size ? (int)n : -1;
}

typedef union slot {
    int64_t i;
    double d;
    const char *s;
    const void *b;
    size_t n;
    unsigned char fill[sizeof(double) > sizeof(void *) ? sizeof(double) : sizeof(void *)];
} slot;

#define A4(k) a[k], a[(k) + 1], a[(k) + 2], a[(k) + 3]
#define A16(k) A4(k), A4((k) + 4), A4((k) + 8), A4((k) + 12)
#define A128 A16(0), A16(16), A16(32), A16(48), A16(64), A16(80), A16(96), A16(112)

static int unpack(const rill_record *rec, const char *fmt, slot *slots)
{
    void *a[MAX_ARGS];
    size_t k;
    for (k = 0; k < MAX_ARGS; k++) {
        memset(&slots[k], 0xA5, sizeof(slots[k]));
        a[k] = &slots[k];
    }
    return rill_record_unpack(rec, fmt, A128);
}

/* Whether [q, q + len) lies inside [base, base + size). */
static int inside(const void *q, size_t len, const uint8_t *base, size_t size)
{
    uintptr_t lo = (uintptr_t)base, at = (uintptr_t)q;
    return at >= lo && at - lo <= size && len <= size - (at - lo);
}

static char other_type(char t)
{
    switch (t) {
    case 'i': return 'd';
    case 'd': return 's';
    case 's': return 'b';
    default: return 'i';
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static slot slots[MAX_ARGS];
    ref_field f[RILL_TUPLE_MAX_FIELDS];
    char fmt[RILL_TUPLE_MAX_FIELDS + 2], needle[32];
    rill_record rec;
    int n, want, i, j, rc;

    rec.data = data;
    rec.len = size;
    rec.key = NULL;
    rec.key_len = 0;

    n = rill_tuple_count(data, size);
    want = walk(data, size, f);
    if (n < 0) {
        CHECK(n == RILL_ECORRUPT);
        CHECK(want < 0);
        CHECK(rill_error_last()[0] != '\0');
        CHECK(unpack(&rec, "", slots) == RILL_ECORRUPT);
        CHECK(unpack(&rec, "isdb", slots) == RILL_ECORRUPT);
        return 0;
    }
    CHECK(n == want);
    CHECK(n <= RILL_TUPLE_MAX_FIELDS);
    /* the field count fixes where a tuple ends: no shorter prefix is one */
    CHECK(rill_tuple_count(data, size - 1) == RILL_ECORRUPT);

    for (i = 0; i < n; i++)
        fmt[i] = f[i].type;
    fmt[n] = '\0';
    rc = unpack(&rec, fmt, slots);
    CHECK(rc == 0);
    for (i = 0, j = 0; i < n; i++) {
        const uint8_t *value = data + f[i].at;
        switch (f[i].type) {
        case 'i':
            CHECK(memcmp(&slots[j].i, value, 8) == 0);
            j++;
            break;
        case 'd':
            CHECK(memcmp(&slots[j].d, value, 8) == 0);
            j++;
            break;
        case 's':
            /* the text and its NUL lie inside the input */
            CHECK(inside(slots[j].s, f[i].len + 1, data, size));
            CHECK((const void *)slots[j].s == (const void *)value);
            CHECK(slots[j].s[f[i].len] == '\0');
            CHECK(strlen(slots[j].s) == f[i].len);
            j++;
            break;
        case 'b':
            CHECK(slots[j + 1].n == f[i].len);
            CHECK(inside(slots[j].b, slots[j + 1].n, data, size));
            CHECK(slots[j].b == (const void *)value);
            j += 2;
            break;
        default:
            CHECK(!"walk() let an unknown type through");
        }
    }

    if (n > 0) {
        /* one field too few */
        fmt[n - 1] = '\0';
        CHECK(unpack(&rec, fmt, slots) == RILL_ETYPE);
        /* the last field asked for as another type, named in the message */
        fmt[n - 1] = other_type(f[n - 1].type);
        fmt[n] = '\0';
        CHECK(unpack(&rec, fmt, slots) == RILL_ETYPE);
        snprintf(needle, sizeof(needle), "%d", n - 1);
        CHECK(strstr(rill_error_last(), needle) != NULL);
        fmt[n - 1] = f[n - 1].type;
    }
    /* one field too many */
    fmt[n] = 'b';
    fmt[n + 1] = '\0';
    CHECK(unpack(&rec, fmt, slots) == RILL_ETYPE);
    return 0;
}
