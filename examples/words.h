/* words.h — word counting pieces shared by the examples and benchmarks:
 * the job that splits text into keyed words (rill_emit_words does the
 * work), and a plain byte-at-a-time splitter with the same definition, for
 * the hand-written counts rill is measured against and for callbacks that
 * want each word.
 *
 * A word is a run of ASCII letters, folded to lower case, however long. */
#ifndef RILL_EXAMPLES_WORDS_H
#define RILL_EXAMPLES_WORDS_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

#define WORDS_FLAGS (RILL_WORDS_LETTERS | RILL_WORDS_LOWER)

/* The byte in lower case if it is an ASCII letter, else 0. */
static inline unsigned char words_letter(unsigned char c)
{
    unsigned char l = (unsigned char)(c | 0x20);
    return (unsigned char)(l - 'a') < 26 ? l : 0;
}

/* Calls fn(word, len, arg) for each word of text[0..len) (the word in lower
 * case, borrowed for the call); stops at the first non-zero return and
 * passes it back (-1 if a long word's copy cannot be allocated). */
#define WORDS_FOREACH(text, len, fn, arg)                                    \
    words_foreach((const unsigned char *)(text), (len), (fn), (arg))

static inline int words_foreach(const unsigned char *s, size_t len,
                                int (*fn)(const char *, size_t, void *), void *arg)
{
    char small[256], *buf = small;
    size_t i = 0, cap = sizeof(small);
    int rc = 0;
    while (i < len && rc == 0) {
        size_t n = 0;
        while (i < len && !words_letter(s[i]))
            i++;
        if (i == len)
            break;
        while (i < len && words_letter(s[i])) {
            if (n == cap) { /* a long word: a bigger copy */
                char *b = malloc(cap * 2);
                if (b == NULL) {
                    rc = -1;
                    goto done;
                }
                memcpy(b, buf, n);
                if (buf != small)
                    free(buf);
                buf = b;
                cap *= 2;
            }
            buf[n++] = (char)words_letter(s[i]);
            i++;
        }
        rc = fn(buf, n, arg);
    }
done:
    if (buf != small)
        free(buf);
    return rc;
}

/* Job: text in (a line, or a block of lines from rill_read_blocks), its
 * words out as keys with no data (the combine counts them). */
static inline int words_split(rill_emitter *out, const rill_record *line, void *payload)
{
    (void)payload;
    return rill_emit_words(out, line->data, line->len, WORDS_FLAGS);
}

#endif
