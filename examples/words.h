/* words.h — the word splitter shared by the word count example and its
 * benchmark baseline: a word is a run of ASCII letters, folded to lower
 * case; words longer than WORDS_MAX letters count by their first WORDS_MAX.
 * Calls fn(word, len, arg) for each word of text[0..len); stops at the first
 * non-zero return and passes it back. */
#ifndef RILL_EXAMPLES_WORDS_H
#define RILL_EXAMPLES_WORDS_H

#include <stddef.h>

#define WORDS_MAX 256

/* The byte in lower case if it is an ASCII letter, else 0. */
static inline unsigned char words_letter(unsigned char c)
{
    unsigned char l = (unsigned char)(c | 0x20);
    return (unsigned char)(l - 'a') < 26 ? l : 0;
}

#define WORDS_FOREACH(text, len, fn, arg)                                    \
    words_foreach((const unsigned char *)(text), (len), (fn), (arg))

static inline int words_foreach(const unsigned char *s, size_t len,
                                int (*fn)(const char *, size_t, void *), void *arg)
{
    char buf[WORDS_MAX];
    size_t i = 0;
    while (i < len) {
        size_t n = 0;
        int rc;
        while (i < len && !words_letter(s[i]))
            i++;
        if (i == len)
            break;
        while (i < len && words_letter(s[i])) {
            if (n < WORDS_MAX)
                buf[n++] = (char)words_letter(s[i]);
            i++;
        }
        if ((rc = fn(buf, n, arg)) != 0)
            return rc;
    }
    return 0;
}

#endif
