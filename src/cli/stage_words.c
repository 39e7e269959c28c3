/* stage_words.c — the built-in `words`: each record's data split into
 * words, a record per word.
 *
 * By default a word is a run of bytes between ASCII whitespace (space, \t,
 * \n, \v, \f, \r), as `wc -w` counts in the C locale; any other byte,
 * UTF-8 or not, belongs to a word. `letters_only: true` makes a word a run
 * of letters instead (everything else separates words): letters by
 * Unicode category through iswalpha in the C.UTF-8 locale (main sets
 * LC_CTYPE), so é, ж, 字 are letters and digits and punctuation are not.
 * `lower: true` folds each character with towlower (Ä to ä, Ж to ж).
 * The text is decoded as UTF-8 by the decoder here; a byte that is not
 * part of valid UTF-8 is kept as it is (and is no letter).
 *
 * The splitting is also cli_words_split (words_split.h), which `rill
 * compile`'s postings use: the same template, split_all, is inlined into
 * both, with the stage's emit known at compile time here.
 *
 * Each word is emitted as the record's data; when a count follows in a
 * chain it is emitted as the key with no data instead, which the count's
 * combine folds without copying (cli_next_kind): through rill_emit_words,
 * which finds the same words 64 bytes at a time, wherever its ASCII
 * definition is this one's (always for runs of non-space; in lines without
 * a byte over 0x7f otherwise). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "build.h"
#include "utf8.h"
#include "words_split.h"
#include "xalloc.h"

typedef struct words_conf {
    int lower, letters, keyed;
} words_conf;

static const cli_option_doc words_opts[] = {
    {"lower", "bool", "false", "fold words to lower case (UTF-8 aware)"},
    {"letters_only", "bool", "false", "a word is a run of letters (Unicode), not of non-space"},
    {NULL, NULL, NULL, NULL}};

static size_t utf8_encode(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int is_letter(unsigned cp)
{
    if (cp < 0x80)
        return (unsigned)((cp | 0x20) - 'a') < 26;
    return iswalpha((wint_t)cp) != 0;
}

/* The character at s[0..len), which is not ASCII, in a word: how many bytes
 * of s it takes (0: it ends the word, a non-letter under letters_only),
 * its bytes (lower-cased under lower) put at o and their count in *olen.
 * Out of line: the loops that call it stay small enough for registers. */
static __attribute__((noinline)) size_t
word_char(const unsigned char *s, size_t len, unsigned char *o, size_t *olen, int letters,
          int lower)
{
    unsigned cp;
    size_t l = cli_utf8_decode(s, len, &cp);
    if (letters && !(l && is_letter(cp)))
        return 0;
    if (l == 0) { /* not UTF-8: kept as it is */
        o[0] = s[0];
        *olen = 1;
        return 1;
    }
    if (lower)
        *olen = utf8_encode(o, (unsigned)towlower((wint_t)cp));
    else {
        memcpy(o, s, l);
        *olen = l;
    }
    return l;
}

/* Under letters_only, the character at s[0..len), which is not ASCII,
 * between words: how many bytes of s it takes, or 0 when it is a letter
 * (a word starts). */
static __attribute__((noinline)) size_t skip_char(const unsigned char *s, size_t len)
{
    unsigned cp;
    size_t l = cli_utf8_decode(s, len, &cp);
    if (l && is_letter(cp))
        return 0;
    return l ? l : 1;
}

/* An ASCII letter: its lower case is one bit away, and the test is false
 * for every byte from 0x80 up. */
static inline int ascii_letter(unsigned char ch)
{
    return (unsigned char)((ch | 0x20) - 'a') < 26;
}

/* The words of s[0..len) for letters_only and lower given as constants:
 * split_all calls it with each combination, so the compiler makes each loop
 * without their tests. ASCII runs go through tight loops; a byte from 0x80
 * up leaves them for word_char or skip_char. buf holds 2 * len + 8 bytes. */
static inline __attribute__((always_inline)) int
split_utf8(cli_word_fn fn, void *ctx, const unsigned char *s, size_t len, unsigned char *buf,
           const int letters, const int lower)
{
    size_t i = 0;
    int rc = 0;
    while (i < len && rc == 0) {
        size_t n = 0;
        /* skip separators (ASCII bytes decided without decoding) */
        while (i < len) {
            unsigned char ch = s[i];
            size_t l;
            if (letters ? ascii_letter(ch) : ch >= 0x80 || !is_space(ch))
                break;
            if (ch < 0x80) {
                i++;
                continue;
            }
            if ((l = skip_char(s + i, len - i)) == 0) /* only under letters */
                break;
            i += l;
        }
        if (i == len)
            break;
        for (;;) {
            unsigned char ch;
            size_t l, olen;
            if (letters)
                while (i < len && ascii_letter(ch = s[i])) {
                    buf[n++] = lower ? (unsigned char)(ch | 0x20) : ch;
                    i++;
                }
            else
                while (i < len && (ch = s[i]) < 0x80 && !is_space(ch)) {
                    buf[n++] = lower && (unsigned)(ch - 'A') < 26 ? (unsigned char)(ch | 0x20) : ch;
                    i++;
                }
            if (i == len || s[i] < 0x80)
                break;
            if ((l = word_char(s + i, len - i, buf + n, &olen, letters, lower)) == 0)
                break;
            i += l;
            n += olen;
        }
        rc = fn(ctx, buf, n);
    }
    return rc;
}

/* Every word of s[0..len) to fn (see words_split.h). Inlined where fn is
 * known, so that the stage's emit is no call through a pointer. */
static inline __attribute__((always_inline)) int
split_all(cli_word_fn fn, void *ctx, const unsigned char *s, size_t len, int letters, int lower)
{
    size_t i = 0;
    unsigned char stack[4096], *buf = stack;
    int rc = 0;
    if (!lower && !letters) { /* the fast path: words are slices of the line */
        while (i < len && rc == 0) {
            size_t start;
            while (i < len && is_space(s[i]))
                i++;
            if (i == len)
                break;
            start = i;
            while (i < len && !is_space(s[i]))
                i++;
            rc = fn(ctx, s + start, i - start);
        }
        return rc;
    }
    /* a lower-cased character takes at most 3 bytes for 2 of input, and 4
     * for 4: twice the input is more than enough */
    if (len * 2 + 8 > sizeof(stack))
        buf = cli_xmalloc(len * 2 + 8);
    if (letters && lower)
        rc = split_utf8(fn, ctx, s, len, buf, 1, 1);
    else if (letters)
        rc = split_utf8(fn, ctx, s, len, buf, 1, 0);
    else
        rc = split_utf8(fn, ctx, s, len, buf, 0, 1);
    if (buf != stack)
        free(buf);
    return rc;
}

int cli_words_split(const void *text, size_t len, int letters, int lower, cli_word_fn fn,
                    void *ctx)
{
    return split_all(fn, ctx, text, len, letters, lower);
}

static inline int emit_word(void *ctx, const void *w, size_t n)
{
    return rill_emit(ctx, w, n);
}

static inline int emit_key(void *ctx, const void *w, size_t n)
{
    return rill_emit_keyed(ctx, w, n, NULL, 0);
}

/* The first byte of s[0..len) from 0x80 up, eight bytes at a time; NULL
 * if none. */
static const unsigned char *first_high(const unsigned char *s, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if ((v &= 0x8080808080808080ull) != 0)
            return s + i + (__builtin_ctzll(v) >> 3); /* little-endian: the first */
    }
    for (; i < len; i++)
        if (s[i] >= 0x80)
            return s + i;
    return NULL;
}

/* Keys for a count when words are letters or lower-cased: the runs of
 * lines without a byte over 0x7f through rill_emit_words, whose ASCII
 * definition is this one's there, and each line with one through
 * split_all. '\n' separates words in every mode, so the words and their
 * order are those of split_all over the whole text. */
static int split_keys(rill_emitter *out, const unsigned char *s, size_t len,
                      const words_conf *c, unsigned flags)
{
    size_t at = 0;
    int rc;
    while (at < len) {
        const unsigned char *hi = first_high(s + at, len - at), *nl;
        size_t from, to;
        if (hi == NULL)
            return rill_emit_words(out, s + at, len - at, flags);
        for (from = (size_t)(hi - s); from > at && s[from - 1] != '\n'; from--)
            ;
        nl = memchr(hi, '\n', len - (size_t)(hi - s));
        to = nl ? (size_t)(nl - s) + 1 : len;
        if ((from > at && (rc = rill_emit_words(out, s + at, from - at, flags)) != 0) ||
            (rc = split_all(emit_key, out, s + from, to - from, c->letters, c->lower)) != 0)
            return rc;
        at = to;
    }
    return 0;
}

static int split(rill_emitter *out, const rill_record *in, void *payload)
{
    const words_conf *c = payload;
    unsigned flags = (c->letters ? RILL_WORDS_LETTERS : 0) | (c->lower ? RILL_WORDS_LOWER : 0);
    /* keys for a count: rill_emit_words finds the same words for any bytes
     * when words are runs of non-space, and in lines of ASCII otherwise */
    if (c->keyed && flags == 0)
        return rill_emit_words(out, in->data, in->len, 0);
    if (c->keyed)
        return split_keys(out, in->data, in->len, c, flags);
    return split_all(emit_word, out, in->data, in->len, c->letters, c->lower);
}

static int add_words(cli_build *b, const cli_opts *o)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    words_conf *c = cli_xcalloc(1, sizeof(*c));
    const char *next = cli_next_kind(b);
    cli_own(b, c, NULL);
    if (cli_opt_bool(o, "lower", &c->lower) < 0 || cli_opt_bool(o, "letters_only", &c->letters) < 0)
        return -1;
    c->keyed = next && strcmp(next, "count") == 0;
    so.line_blocks = 1; /* '\n' separates words: a block of lines splits as its lines */
    if (cli_add_job(b, o, o->stage, &so, split, c) < 0)
        return -1;
    if (c->keyed)
        cli_mark_keyed(b);
    return 0;
}

const cli_stage_def cli_stage_words = {
    .kind = "words",
    .summary = "split each record into words (whitespace-separated, or letters only)",
    .options = words_opts,
    .add = add_words,
};
