/* format.c — how the directory writer puts one record into a file, in each
 * of rill_format's formats (include/rill/io.h says what each looks like).
 *
 * JSON lines are valid JSON whatever the record's bytes: '"', '\\' and every
 * control character (and DEL) are escaped; a key or value that is valid
 * UTF-8 (strict: no overlong forms, no surrogates, nothing past U+10FFFF) is
 * written as a JSON string under "key" / "value", any other as the standard
 * base64 of its bytes under "key_base64" / "value_base64".
 *
 * TSV is text whatever the record's bytes: a backslash is written \\, a tab
 * \t, a newline \n, a carriage return \r, any other control character (and
 * DEL) and every byte that is not part of valid UTF-8 \xHH (two lower-case
 * hex digits); the rest as it is. The rill command's standard output writes
 * TSV by the same rule (src/cli/output.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "writer.h"

/* The length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len, i;
    unsigned lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

int rill__utf8_valid(const void *bytes, size_t n)
{
    const unsigned char *s = bytes;
    size_t i = 0, len;
    while (i < n) {
        if ((len = utf8_len(s + i, n - i)) == 0)
            return 0;
        i += len;
    }
    return 1;
}

/* s escaped for a JSON string (valid UTF-8 assumed). */
static void put_escaped(FILE *f, const unsigned char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '\\': fputs("\\\\", f); break;
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '"':
            fputs("\\\"", f);
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
}

/* s escaped for TSV (the rule above). */
static void put_tsv(FILE *f, const unsigned char *s, size_t n)
{
    size_t i = 0, len;
    while (i < n) {
        unsigned char c = s[i];
        switch (c) {
        case '\\': fputs("\\\\", f); break;
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                putc(c, f);
            } else if (c < 0x80 || (len = utf8_len(s + i, n - i)) == 0) {
                fprintf(f, "\\x%02x", c); /* a control byte, or not UTF-8 */
            } else {
                fwrite(s + i, 1, len, f);
                i += len;
                continue;
            }
        }
        i++;
    }
}

static void put_base64(FILE *f, const unsigned char *s, size_t n)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63]};
        fwrite(q, 1, 4, f);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], '=', '='};
        fwrite(q, 1, 4, f);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], '='};
        fwrite(q, 1, 4, f);
    }
}

/* "name": "..." or "name_base64": "..." */
static void put_json_field(FILE *f, const char *name, const void *s, size_t n)
{
    if (rill__utf8_valid(s, n)) {
        fprintf(f, "\"%s\": \"", name);
        put_escaped(f, s, n);
    } else {
        fprintf(f, "\"%s_base64\": \"", name);
        put_base64(f, s, n);
    }
    fputc('"', f);
}

static void put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, f);
}

void rill__put_record(FILE *f, rill_format format, const rill_record *r)
{
    switch (format) {
    case RILL_FORMAT_LINES:
        fwrite(r->data, 1, r->len, f);
        fputc('\n', f);
        break;
    case RILL_FORMAT_TSV:
        put_tsv(f, r->key ? r->key : (const void *)"", r->key_len);
        fputc('\t', f);
        put_tsv(f, r->data, r->len);
        fputc('\n', f);
        break;
    case RILL_FORMAT_JSONL:
        fputc('{', f);
        if (r->key) {
            put_json_field(f, "key", r->key, r->key_len);
            fputs(", ", f);
        }
        put_json_field(f, "value", r->data, r->len);
        fputs("}\n", f);
        break;
    case RILL_FORMAT_RILL:
        put32(f, r->key ? (uint32_t)r->key_len + 1 : 0);
        put32(f, (uint32_t)r->len);
        if (r->key_len)
            fwrite(r->key, 1, r->key_len, f);
        fwrite(r->data, 1, r->len, f);
        break;
    }
}
