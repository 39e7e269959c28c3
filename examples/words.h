/* words.h — word counting pieces shared by the word count example and its
 * benchmark: the word splitter (which the hand-written baseline uses too),
 * the cutting of a mapped text into line-aligned chunks, and the job that
 * splits one chunk into keyed words.
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

/* Job: a chunk (offset, length) of the mapped text (the payload) in, its
 * words out as keys. */
static inline int words_split(rill_emitter *out, const rill_record *chunk, void *text)
{
    int64_t off, len;
    int rc = rill_record_unpack(chunk, "ii", &off, &len);
    if (rc < 0)
        return rc;
    return WORDS_FOREACH((const char *)text + off, (size_t)len, words_emit, out);
}

/* Appends to work the (offset, length) tuples of chunks of about chunk
 * bytes of text[0..size), each ending at the end of a line. */
static inline int words_chunks(const char *text, size_t size, size_t chunk, rill_batch *work)
{
    size_t off, n;
    int rc;
    for (off = 0; off < size; off += n) {
        const char *nl;
        n = size - off < chunk ? size - off : chunk;
        if (off + n < size && (nl = memchr(text + off + n, '\n', size - off - n)) != NULL)
            n = (size_t)(nl - (text + off)) + 1;
        else if (off + n < size)
            n = size - off;
        if ((rc = rill_batch_add_tuple(work, "ii", (int64_t)off, (int64_t)n)) < 0)
            return rc;
    }
    return 0;
}

#endif
