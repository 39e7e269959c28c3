/* stage_grep.c — the `grep` built-in: keeps the records whose value (or
 * key, or one field of either) matches a PCRE2 regular expression, or with
 * invert those that do not. Records pass unchanged.
 *
 * The pattern is compiled once when the stage is added (a bad pattern is a
 * spec error at its position), JIT-compiled when the library can, and
 * matched in UTF-8 mode where bytes that are not UTF-8 never match rather
 * than fail. Each worker thread keeps one match block of its own (a
 * thread-specific key, freed when the thread ends); the compiled pattern is
 * shared read-only, which PCRE2 allows. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stage_common.h"

typedef struct grep_conf {
    pcre2_code *re; /* owned */
    int invert, on_key;
    int64_t field;  /* 0: the whole value or key */
    char delim;
} grep_conf;

static pthread_key_t match_key;
static pthread_once_t match_once = PTHREAD_ONCE_INIT;
static int match_key_ok;

static void free_match(void *md)
{
    pcre2_match_data_free(md);
}

static void make_match_key(void)
{
    match_key_ok = pthread_key_create(&match_key, free_match) == 0;
}

/* This thread's match block: one pair of offsets is all grep reads, so one
 * block serves every pattern. NULL when out of memory. */
static pcre2_match_data *thread_match(void)
{
    pcre2_match_data *md;
    pthread_once(&match_once, make_match_key);
    if (!match_key_ok)
        return NULL;
    if ((md = pthread_getspecific(match_key)) == NULL) {
        if ((md = pcre2_match_data_create(1, NULL)) == NULL)
            return NULL;
        if (pthread_setspecific(match_key, md) != 0) {
            pcre2_match_data_free(md);
            return NULL;
        }
    }
    return md;
}

static int grep_job(rill_emitter *out, const rill_record *in, void *payload)
{
    const grep_conf *g = payload;
    const char *s = g->on_key ? in->key : in->data;
    size_t len = g->on_key ? in->key_len : in->len;
    pcre2_match_data *md = thread_match();
    int rc, hit;
    if (md == NULL) {
        rill_error_set("out of memory for a match block");
        return RILL_ENOMEM;
    }
    if (g->on_key && s == NULL)
        hit = 0; /* a record without a key never matches on key */
    else {
        if (g->field > 0 && cli_field(&s, &len, s ? s : "", len, g->delim, g->field) < 0)
            hit = 0; /* a record without that field never matches */
        else {
            rc = pcre2_match(g->re, (PCRE2_SPTR)(s ? s : ""), len, 0, 0, md, NULL);
            if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
                PCRE2_UCHAR msg[200];
                pcre2_get_error_message(rc, msg, sizeof(msg));
                rill_error_set("matching failed: %s", (const char *)msg);
                return RILL_EUSER;
            }
            hit = rc >= 0;
        }
    }
    if (hit == g->invert)
        return 0;
    return rill_emit_record(out, in);
}

static void grep_free(void *p)
{
    grep_conf *g = p;
    pcre2_code_free(g->re);
    free(g);
}

static const char *const on_choices[] = {"value", "key", NULL};

static int grep_add(cli_build *b, const cli_opts *o)
{
    rill_stage_options so = RILL_STAGE_OPTIONS_INIT;
    const char *pattern = NULL;
    int invert = 0, icase = 0, on = 0, err;
    int64_t field = 0;
    char delim = '\t';
    uint32_t flags = PCRE2_UTF;
    PCRE2_SIZE at;
    grep_conf *g;
    int rc = cli_opt_str(o, "pattern", &pattern);
    if (rc == 1)
        return cli_error(o, NULL, "grep needs a pattern");
    if (rc < 0 || cli_opt_bool(o, "invert", &invert) < 0 ||
        cli_opt_bool(o, "ignore_case", &icase) < 0 || cli_opt_enum(o, "on", on_choices, &on) < 0 ||
        cli_opt_int(o, "field", 0, INT32_MAX, &field) < 0 || cli_opt_delim(o, "delimiter", &delim) < 0)
        return -1;
#ifdef PCRE2_MATCH_INVALID_UTF
    flags |= PCRE2_MATCH_INVALID_UTF;
#else
    flags = 0; /* without it, bytes that are not UTF-8 would fail the run */
#endif
    if (icase)
        flags |= PCRE2_CASELESS | (flags & PCRE2_UTF ? PCRE2_UCP : 0);
    if ((g = calloc(1, sizeof(*g))) == NULL)
        return cli_error(o, NULL, "out of memory");
    g->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, flags, &err, &at, NULL);
    if (g->re == NULL) {
        PCRE2_UCHAR msg[200];
        pcre2_get_error_message(err, msg, sizeof(msg));
        free(g);
        return cli_error(o, "pattern", "bad regular expression at offset %zu: %s", (size_t)at,
                         (const char *)msg);
    }
    (void)pcre2_jit_compile(g->re, PCRE2_JIT_COMPLETE); /* the interpreter otherwise */
    g->invert = invert;
    g->on_key = on == 1;
    g->field = field;
    g->delim = delim;
    if (cli_own(b, g, grep_free) < 0) {
        grep_free(g);
        return -1;
    }
    return cli_add_job(b, o, o->stage, &so, grep_job, g);
}

static const cli_option_doc grep_options[] = {
    {"pattern", "string", NULL, "the regular expression, in PCRE2 (Perl) syntax"},
    {"invert", "bool", "false", "keep the records that do not match instead"},
    {"ignore_case", "bool", "false", "match letters regardless of case (Unicode-aware)"},
    {"on", "value|key", "value", "match the record's value or its key (a record without one never matches)"},
    {"field", "int", "0", "match only this field (1-based) of it, split on delimiter; 0: all of it"},
    {"delimiter", "string", "tab", "the field separator: one byte, tab or space"},
    {NULL, NULL, NULL, NULL},
};

const cli_stage_def cli_stage_grep = {
    .kind = "grep",
    .summary = "keep the records that match a regular expression (PCRE2)",
    .options = grep_options,
    .add = grep_add,
};
