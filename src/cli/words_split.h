/* words_split.h — the tokenizer of the `words` stage (stage_words.c),
 * shared with the postings of `rill compile` (compile_builtins.c), so that
 * both read the same words from the same text. */
#ifndef RILL_CLI_WORDS_SPLIT_H
#define RILL_CLI_WORDS_SPLIT_H

#include <stddef.h>

/* Called with each word (borrowed during the call); non-zero stops the split
 * and is returned. */
typedef int (*cli_word_fn)(void *ctx, const void *word, size_t len);

/* Calls fn with every word of text[0..len), in order: runs of bytes between
 * ASCII whitespace, or with letters 1 runs of letters (Unicode, iswalpha in
 * the C.UTF-8 locale); lower 1 folds each character with towlower. Bytes
 * that are not UTF-8 are kept as they are (and are no letter). */
int cli_words_split(const void *text, size_t len, int letters, int lower, cli_word_fn fn,
                    void *ctx);

#endif
