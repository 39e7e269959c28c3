/* emit_words.c — rill_emit_words: the words of a text as keyed records.
 *
 * The text is read 64 bytes at a time into a bit per byte (is it part of a
 * word?), from which the words' starts are found with bit operations, not
 * a branch a byte; each word's length, and its bytes folded and padded
 * with zeros, come from one 16-byte load at its start. Into a combine with
 * the built-in sum, such a word goes to the held-back ring (ahead.h) as the
 * two 64-bit words of its key, without being copied anywhere; words of 16
 * bytes or more, and machines without SSE2, take the byte-at-a-time way
 * through rill_emit_keyed. Both ways find the same words. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ahead.h"
#include "run.h"
#include "../util/error.h"

#define KNOWN_FLAGS (RILL_WORDS_LETTERS | RILL_WORDS_LOWER)

static inline int word_byte(unsigned char c, unsigned flags)
{
    if (flags & RILL_WORDS_LETTERS)
        return (unsigned char)((c | 0x20) - 'a') < 26;
    return !(c == ' ' || (unsigned char)(c - '\t') < 5);
}

/* Emits w[0..n), folded when asked: the way of long words (and of every
 * word without SSE2). */
static __attribute__((noinline)) int emit_word(rill_emitter *e, const unsigned char *w, size_t n,
                                              unsigned flags)
{
    unsigned char small[256], *buf = small;
    size_t i;
    int rc;
    if (!(flags & RILL_WORDS_LOWER))
        return rill_emit_keyed(e, w, n, NULL, 0);
    small[0] = 0; /* gcc cannot tell that n > 0 */
    if (n > sizeof(small) && (buf = malloc(n)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory folding a word of %zu bytes", n);
    for (i = 0; i < n; i++)
        buf[i] = (unsigned char)(w[i] - 'A') < 26 ? (unsigned char)(w[i] | 0x20) : w[i];
    rc = rill_emit_keyed(e, buf, n, NULL, 0);
    if (buf != small)
        free(buf);
    return rc;
}

/* The word starting at w, of the bytes up to end: its length. */
static size_t word_len(const unsigned char *w, const unsigned char *end, unsigned flags)
{
    const unsigned char *p = w;
    while (p < end && word_byte(*p, flags))
        p++;
    return (size_t)(p - w);
}

static int words_bytewise(rill_emitter *e, const unsigned char *p, const unsigned char *end,
                          unsigned flags)
{
    int rc;
    while (p < end) {
        size_t n;
        if (!word_byte(*p, flags)) {
            p++;
            continue;
        }
        n = word_len(p, end, flags);
        if ((rc = emit_word(e, p, n, flags)) != 0)
            return rc;
        p += n;
    }
    return 0;
}

#if defined(__SSE2__)

/* A bit for each of the 16 bytes that is part of a word. */
static inline unsigned class16(__m128i v, unsigned flags)
{
    if (flags & RILL_WORDS_LETTERS) { /* (c | 0x20) in a..z, as a signed compare */
        __m128i t = _mm_add_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8(0x1f));
        return (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(t, _mm_set1_epi8(-102)));
    } else { /* not ' ' and not in \t..\r */
        __m128i t = _mm_add_epi8(v, _mm_set1_epi8(0x77));
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                  _mm_cmplt_epi8(t, _mm_set1_epi8(-123)));
        return (unsigned)_mm_movemask_epi8(ws) ^ 0xffffu;
    }
}

static inline uint64_t class64(const unsigned char *p, unsigned flags)
{
    return (uint64_t)class16(_mm_loadu_si128((const __m128i *)p), flags) |
           (uint64_t)class16(_mm_loadu_si128((const __m128i *)(p + 16)), flags) << 16 |
           (uint64_t)class16(_mm_loadu_si128((const __m128i *)(p + 32)), flags) << 32 |
           (uint64_t)class16(_mm_loadu_si128((const __m128i *)(p + 48)), flags) << 48;
}

/* The first n bytes of v (n < 16), folded when asked, the rest zero. */
static inline __m128i key16(__m128i v, unsigned n, unsigned flags)
{
    static const unsigned char ones[32] = {255, 255, 255, 255, 255, 255, 255, 255,
                                           255, 255, 255, 255, 255, 255, 255, 255};
    if (flags & RILL_WORDS_LOWER) { /* A..Z gets 0x20 */
        __m128i up = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x3f)), _mm_set1_epi8(-102));
        v = _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20)));
    }
    return _mm_and_si128(v, _mm_loadu_si128((const __m128i *)(ones + 16 - n)));
}

/* The words of text[0..len); fused (a constant): into e's sum. */
static inline __attribute__((always_inline)) int
words_sse2(rill_emitter *e, const unsigned char *text, size_t len, unsigned flags,
           const int fused)
{
    unsigned char pad[64 + 16];
    uint64_t carry = 0; /* the last byte before this block is part of a word */
    size_t i;
    int rc;
    for (i = 0; i < len; i += 64) {
        const unsigned char *q = text + i; /* 64 bytes, and 16 more to load a word */
        uint64_t m, starts;
        /* into a sum nothing fills a batch, whose flush would see the run
         * stop: a long text looks every 64 KiB */
        if ((i & 0xffff) == 0 && i > 0 && atomic_load_explicit(&e->w->run->fail.stop, memory_order_relaxed))
            return RILL_ECANCELLED;
        if (len - i < sizeof(pad)) { /* the end: copied, spaces after it */
            memset(pad, ' ', sizeof(pad));
            memcpy(pad, q, len - i);
            q = pad;
        }
        m = class64(q, flags);
        starts = m & ~(m << 1 | carry);
        carry = m >> 63;
        while (starts) {
            unsigned s = (unsigned)__builtin_ctzll(starts);
            __m128i v = _mm_loadu_si128((const __m128i *)(q + s));
            unsigned n = (unsigned)__builtin_ctz(~class16(v, flags)); /* <= 16 */
            starts &= starts - 1;
            if (n < 16 && fused) {
                v = key16(v, n, flags);
                rc = rill__ahead_push_words(e, (uint64_t)_mm_cvtsi128_si64(v),
                                            (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)),
                                            n, 1);
            } else if (n < 16) {
                unsigned char w[16];
                _mm_storeu_si128((__m128i *)w, key16(v, n, flags));
                rc = rill_emit_keyed(e, w, n, NULL, 0);
            } else { /* 16 bytes or more: its end from the text itself */
                const unsigned char *w = text + i + s;
                rc = emit_word(e, w, word_len(w, text + len, flags), flags);
            }
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

#endif

/* Checks what rill_emit_words is given: 0, or RILL_EINVAL named. */
static int check(const rill_emitter *e, const void *text, size_t len, unsigned flags)
{
    if (e == NULL)
        return rill__no_emitter("rill_emit_words");
    if ((text == NULL && len) || (flags & ~KNOWN_FLAGS))
        return rill__error(RILL_EINVAL, "rill_emit_words: %s", text == NULL && len
                                                                 ? "the text is NULL"
                                                                 : "unknown flags");
    return 0;
}

int rill__emit_words_bytewise(rill_emitter *e, const void *text, size_t len, unsigned flags)
{
    int rc = check(e, text, len, flags);
    if (rc < 0 || len == 0)
        return rc;
    return words_bytewise(e, text, (const unsigned char *)text + len, flags);
}

int rill_emit_words(rill_emitter *e, const void *text, size_t len, unsigned flags)
{
    int rc = check(e, text, len, flags);
    if (rc < 0 || len == 0)
        return rc;
#if defined(__SSE2__)
    if (e->sum == NULL)
        return words_sse2(e, text, len, flags, 0);
    switch (flags) { /* into a sum (it stays while the emitter lives): the
                        loop made for each flags, none tested a word */
    case 0: return words_sse2(e, text, len, 0, 1);
    case RILL_WORDS_LETTERS: return words_sse2(e, text, len, RILL_WORDS_LETTERS, 1);
    case RILL_WORDS_LOWER: return words_sse2(e, text, len, RILL_WORDS_LOWER, 1);
    default: return words_sse2(e, text, len, RILL_WORDS_LETTERS | RILL_WORDS_LOWER, 1);
    }
#else
    return words_bytewise(e, text, (const unsigned char *)text + len, flags);
#endif
}
