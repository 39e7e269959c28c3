/* words.h — word counting pieces shared by the word count example and its
 * benchmark: the word splitter (which the hand-written baseline uses too)
 * and the job that splits a line into keyed words.
 *
 * A word is a run of ASCII letters, folded to lower case; words longer than
 * WORDS_MAX letters count by their first WORDS_MAX. */
#ifndef RILL_EXAMPLES_WORDS_H
#define RILL_EXAMPLES_WORDS_H

#include <stddef.h>
#include <string.h>

#include <rill.h>

#define WORDS_MAX 256

/* The byte in lower case if it is an ASCII letter, else 0. */
static inline unsigned char words_letter(unsigned char c)
{
    unsigned char l = (unsigned char)(c | 0x20);
    return (unsigned char)(l - 'a') < 26 ? l : 0;
}

/* Calls fn(word, len, arg) for each word of text[0..len); stops at the first
 * non-zero return and passes it back. */
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

static int words_emit(const char *w, size_t n, void *out)
{
    return rill_emit_keyed(out, w, n, NULL, 0);
}

/* Job: text in (a line, or a block of lines from rill_read_blocks), its
 * words out as keys with no data (the combine counts them). */
static inline int words_split(rill_emitter *out, const rill_record *line, void *payload)
{
    (void)payload;
    return WORDS_FOREACH(line->data, line->len, words_emit, out);
}

#endif
