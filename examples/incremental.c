/* incremental.c — incremental compiles of a catalog of text documents
 * (rill/compile.h): per-word postings and per-document statistics, compiled
 * again on only what changed, and proven identical to a full compile.
 *
 *     incremental FOLDER [--db FILE] [--workers N]
 *
 * Each run imports the files under FOLDER as a new version of the catalog
 * "docs" (in FILE, by default .rill/catalogs.db here), then compiles:
 *   postings   map-group: each document's words (ASCII letters, lower case)
 *              -> per word, the documents holding it, one a line, in key
 *              order;
 *   doc_stats  direct: each document -> "lines=L words=W bytes=B".
 * and prints each compile's reason and figures, then verifies it
 * (rill_compile_verify: a full compile into a scratch catalog, compared key
 * by key). The first run is full; run it again after changing a file and
 * only the words of that file are compiled again. Exit status 1 when a
 * compile fails or differs from a full one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rill.h>

#include "words.h"

/* ---- postings: map-group ---- */

typedef struct map_ctx {
    rill_compile_out *out;
    const rill_compile_part *doc;
} map_ctx;

static int pair_word(const char *word, size_t len, void *arg)
{
    const map_ctx *m = arg;
    return rill_compile_pair(m->out, word, len, m->doc->key, m->doc->key_len);
}

/* Front end: a (word, document) pair per word of the document. */
static int words_of(rill_compile_out *out, const rill_compile_part *doc, void *payload)
{
    map_ctx m = {out, doc};
    (void)payload;
    return WORDS_FOREACH(doc->data, doc->len, pair_word, &m);
}

/* Back end: the word's documents, each once (its pairs come in canonical
 * order: a document's are together), one a line. */
static int postings(rill_compile_out *out, const void *word, size_t word_len,
                    const rill_compile_part *docs, size_t n, void *payload)
{
    size_t i, len = 0, cap = 1;
    char *text;
    int rc;
    (void)word, (void)word_len, (void)payload;
    for (i = 0; i < n; i++)
        cap += docs[i].len + 1;
    if ((text = malloc(cap)) == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        if (i > 0 && docs[i].len == docs[i - 1].len &&
            memcmp(docs[i].data, docs[i - 1].data, docs[i].len) == 0)
            continue;
        memcpy(text + len, docs[i].data, docs[i].len);
        len += docs[i].len;
        text[len++] = '\n';
    }
    rc = rill_compile_set(out, text, len);
    free(text);
    return rc;
}

/* ---- statistics: direct ---- */

/* A document's output is the key of its own name. */
static int same_key(rill_compile_out *out, int input, const void *key, size_t len,
                    void *payload)
{
    (void)input, (void)payload;
    return rill_compile_key(out, key, len);
}

static int stats(rill_compile_out *out, const void *key, size_t key_len,
                 const rill_compile_part *in, size_t n, void *payload)
{
    unsigned long long lines = 0, words = 0;
    const char *p = in[0].data, *end = p + in[0].len;
    char text[128];
    int len, space = 1;
    (void)key, (void)key_len, (void)n, (void)payload; /* n is 1: one input */
    for (; p < end; p++) { /* as wc -l and -w count */
        int s = *p == ' ' || (*p >= '\t' && *p <= '\r');
        lines += *p == '\n';
        words += space && !s;
        space = s;
    }
    len = snprintf(text, sizeof(text), "lines=%llu words=%llu bytes=%zu\n", lines, words,
                   in[0].len);
    return rill_compile_set(out, text, (size_t)len);
}

/* ---- the run ---- */

/* Runs c, prints its report and verifies it; 0, or 1 after a message. */
static int compile_and_verify(rill_compile *c, const char *name)
{
    rill_compile_report r;
    uint64_t differ = 0;
    if (rill_compile_run(&r, c) != 0) {
        fprintf(stderr, "%s: %s\n", name, rill_error_last());
        return 1;
    }
    printf("%s: %s\n", name, r.reason);
    printf("%s: version %lld: %llu compiled, %llu written, %llu deleted; input partitions "
           "changed: %llu\n", name, (long long)r.version, (unsigned long long)r.compiled,
           (unsigned long long)r.written, (unsigned long long)r.deleted,
           (unsigned long long)r.inputs_changed);
    if (rill_compile_verify(&differ, c, NULL, NULL) != 0) {
        fprintf(stderr, "%s: verify: %s\n", name, rill_error_last());
        return 1;
    }
    printf("%s: verify: %llu keys differ from a full compile\n", name,
           (unsigned long long)differ);
    return differ != 0;
}

static int open_catalog(rill_catalog **c, const char *name, const char *db)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    o.path = db;
    o.wait_ms = 2000;
    if (rill_catalog_open(c, name, &o) != 0) {
        fprintf(stderr, "%s: %s\n", name, rill_error_last());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    rill_compile_options po = RILL_COMPILE_OPTIONS_INIT, so = RILL_COMPILE_OPTIONS_INIT;
    rill_catalog *docs = NULL, *post = NULL, *st = NULL;
    rill_compile *pc = NULL, *sc = NULL;
    const char *folder = NULL, *db = NULL;
    int64_t version;
    int i, workers = 0, rc = 1;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            workers = atoi(argv[++i]);
        else if (folder == NULL && argv[i][0] != '-')
            folder = argv[i];
        else
            folder = NULL, i = argc;
    }
    if (folder == NULL) {
        fprintf(stderr, "usage: incremental FOLDER [--db FILE] [--workers N]\n");
        return 2;
    }
    if (open_catalog(&docs, "docs", db) || open_catalog(&post, "postings", db) ||
        open_catalog(&st, "doc_stats", db))
        goto out;
    if (rill_catalog_import(&version, docs, folder, folder) != 0) {
        fprintf(stderr, "docs: %s\n", rill_error_last());
        goto out;
    }
    printf("docs: version %lld holds the files of %s\n", (long long)version, folder);

    po.pattern = RILL_COMPILE_MAP_GROUP;
    po.map = words_of;
    po.group = postings;
    po.workers = workers;
    so.pattern = RILL_COMPILE_DIRECT;
    so.keys = same_key;
    so.direct = stats;
    so.workers = workers;
    if (rill_compile_new(&pc, post, &po, NULL) != 0 || rill_compile_input(pc, docs, NULL) != 0 ||
        rill_compile_new(&sc, st, &so, NULL) != 0 || rill_compile_input(sc, docs, NULL) != 0) {
        fprintf(stderr, "incremental: %s\n", rill_error_last());
        goto out;
    }
    rc = compile_and_verify(pc, "postings");
    rc |= compile_and_verify(sc, "doc_stats");
out:
    rill_compile_free(pc);
    rill_compile_free(sc);
    rill_catalog_free(docs);
    rill_catalog_free(post);
    rill_catalog_free(st);
    return rc;
}
