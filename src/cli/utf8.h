/* utf8.h — one decoder of UTF-8 for the `rill` command's files (the words
 * stage, the output writers, the feedback's text): strict, as RFC 3629
 * says (no overlong forms, no surrogates, nothing past U+10FFFF). */
#ifndef RILL_CLI_UTF8_H
#define RILL_CLI_UTF8_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at s[0..n) (n >= 1), its code
 * point in *cp; 0 when the bytes there are not one. */
static inline size_t cli_utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], v;
    size_t len, k;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3F);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* The same without the code point. */
static inline size_t cli_utf8_len(const unsigned char *s, size_t n)
{
    unsigned cp;
    return cli_utf8_decode(s, n, &cp);
}

#endif
