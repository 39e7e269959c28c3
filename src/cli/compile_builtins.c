/* compile_builtins.c — the built-in compiles of `rill compile`:
 *   postings  map-group: each input document's words (the words stage's
 *             tokenizer, words_split.h, with its lower and letters_only) ->
 *             the word's documents, one a line, each once, in canonical
 *             order (input, then key);
 *   stats     direct: each document -> "lines=L words=W bytes=B\n" (as wc
 *             -l, -w and -c count; a key in several inputs: their sums);
 *   concat    direct, keyed: each input key goes to its prefix up to the
 *             first separator after its first byte (the whole key when
 *             there is none); an output is its inputs' data concatenated
 *             in canonical order (input, then key).
 * The output functions run on the compile's workers: they read only their
 * arguments and the conf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_builtins.h"
#include "words_split.h"
#include "xalloc.h"

/* ---- postings ---- */

typedef struct map_ctx {
    rill_compile_out *out;
    const void *doc;
    size_t doc_len;
} map_ctx;

static int pair_word(void *ctx, const void *word, size_t len)
{
    const map_ctx *m = ctx;
    if (len > RILL_CATALOG_KEY_MAX) /* longer than any key: left out */
        return 0;
    return rill_compile_pair(m->out, word, len, m->doc, m->doc_len);
}

static int words_of(rill_compile_out *out, const rill_compile_part *in, void *payload)
{
    const compile_conf *c = payload;
    char name[RILL_CATALOG_KEY_MAX + 300];
    map_ctx m;
    m.out = out;
    m.doc = in->key;
    m.doc_len = in->key_len;
    if (c->ninputs > 1) { /* documents of several catalogs: "catalog:key" */
        int n = snprintf(name, sizeof(name), "%s:%.*s", c->inputs[in->input], (int)in->key_len,
                         (const char *)in->key);
        m.doc = name;
        m.doc_len = n < (int)sizeof(name) ? (size_t)n : sizeof(name) - 1;
    }
    return cli_words_split(in->data, in->len, c->letters, c->lower, pair_word, &m);
}

/* The documents, one a line, each once: a document's pairs come together
 * in canonical order, so a repeat is the value just before. */
static int postings(rill_compile_out *out, const void *key, size_t key_len,
                    const rill_compile_part *v, size_t n, void *payload)
{
    size_t i, len = 0, cap = 0;
    char *buf = NULL;
    int rc;
    (void)key, (void)key_len, (void)payload;
    for (i = 0; i < n; i++)
        cap += v[i].len + 1;
    buf = cli_xmalloc(cap + 1);
    for (i = 0; i < n; i++) {
        if (i > 0 && v[i].len == v[i - 1].len && memcmp(v[i].data, v[i - 1].data, v[i].len) == 0)
            continue;
        memcpy(buf + len, v[i].data, v[i].len);
        len += v[i].len;
        buf[len++] = '\n';
    }
    rc = rill_compile_set(out, buf, len);
    free(buf);
    return rc;
}

static const cli_option_doc postings_opts[] = {
    {"lower", "bool", "false", "fold words to lower case (UTF-8 aware), as the words stage"},
    {"letters_only", "bool", "false", "a word is a run of letters (Unicode), as the words stage"},
    {NULL, NULL, NULL, NULL}};

static int setup_postings(compile_conf *c, rill_compile_options *opts, const cli_opts *o,
                          compile_fp_fn fp, void *fpp)
{
    if (cli_opt_bool(o, "lower", &c->lower) < 0 || cli_opt_bool(o, "letters_only", &c->letters) < 0)
        return -1;
    opts->pattern = RILL_COMPILE_MAP_GROUP;
    opts->map = words_of;
    opts->group = postings;
    if (fp(fpp, "lower", c->lower ? "true" : "false") < 0 ||
        fp(fpp, "letters_only", c->letters ? "true" : "false") < 0)
        return -1;
    return 0;
}

static const compile_def def_postings = {
    "postings", "map-group: word -> the documents holding it, one a line", postings_opts,
    setup_postings};

/* ---- stats ---- */

static int same_key(rill_compile_out *out, int input, const void *key, size_t len, void *payload)
{
    (void)input, (void)payload;
    return rill_compile_key(out, key, len);
}

static int count_word(void *ctx, const void *word, size_t len)
{
    (void)word, (void)len;
    ++*(unsigned long long *)ctx;
    return 0;
}

static int stats(rill_compile_out *out, const void *key, size_t key_len,
                 const rill_compile_part *in, size_t n, void *payload)
{
    unsigned long long lines = 0, words = 0, bytes = 0;
    char buf[128];
    size_t i;
    int len;
    (void)key, (void)key_len, (void)payload;
    for (i = 0; i < n; i++) {
        const char *p = in[i].data, *end = p + in[i].len;
        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            p++;
        }
        cli_words_split(in[i].data, in[i].len, 0, 0, count_word, &words);
        bytes += in[i].len;
    }
    len = snprintf(buf, sizeof(buf), "lines=%llu words=%llu bytes=%llu\n", lines, words, bytes);
    return rill_compile_set(out, buf, (size_t)len);
}

static const cli_option_doc no_opts[] = {{NULL, NULL, NULL, NULL}};

static int setup_stats(compile_conf *c, rill_compile_options *opts, const cli_opts *o,
                       compile_fp_fn fp, void *fpp)
{
    (void)c, (void)o, (void)fp, (void)fpp;
    opts->pattern = RILL_COMPILE_DIRECT;
    opts->keys = same_key;
    opts->direct = stats;
    return 0;
}

static const compile_def def_stats = {
    "stats", "direct: document -> lines=L words=W bytes=B (as wc counts)", no_opts, setup_stats};

/* ---- concat ---- */

static int prefix_key(rill_compile_out *out, int input, const void *key, size_t len,
                      void *payload)
{
    const compile_conf *c = payload;
    const char *k = key;
    size_t i;
    (void)input;
    for (i = 1; i + c->sep_len <= len; i++)
        if (memcmp(k + i, c->sep, c->sep_len) == 0)
            return rill_compile_key(out, k, i);
    return rill_compile_key(out, key, len);
}

static int concat(rill_compile_out *out, const void *key, size_t key_len,
                  const rill_compile_part *in, size_t n, void *payload)
{
    size_t i, len = 0, cap = 1;
    char *buf;
    int rc;
    (void)key, (void)key_len, (void)payload;
    for (i = 0; i < n; i++)
        cap += in[i].len;
    buf = cli_xmalloc(cap);
    for (i = 0; i < n; i++) {
        memcpy(buf + len, in[i].data, in[i].len);
        len += in[i].len;
    }
    rc = rill_compile_set(out, buf, len);
    free(buf);
    return rc;
}

static const cli_option_doc concat_opts[] = {
    {"separator", "string", "/", "an output key is the input key's prefix up to it"},
    {NULL, NULL, NULL, NULL}};

static int setup_concat(compile_conf *c, rill_compile_options *opts, const cli_opts *o,
                        compile_fp_fn fp, void *fpp)
{
    c->sep = "/";
    if (cli_opt_str(o, "separator", &c->sep) < 0)
        return -1;
    if (c->sep[0] == '\0')
        return cli_error(o, "separator", "option 'separator': expected at least one character");
    c->sep_len = strlen(c->sep);
    opts->pattern = RILL_COMPILE_DIRECT;
    opts->keys = prefix_key;
    opts->direct = concat;
    return fp(fpp, "separator", c->sep);
}

static const compile_def def_concat = {
    "concat", "direct: key prefix up to a separator -> its inputs concatenated", concat_opts,
    setup_concat};

const compile_def *const compile_defs[] = {&def_postings, &def_stats, &def_concat, NULL};

const compile_def *compile_def_find(const char *kind)
{
    size_t i;
    for (i = 0; compile_defs[i]; i++)
        if (strcmp(compile_defs[i]->kind, kind) == 0)
            return compile_defs[i];
    return NULL;
}
