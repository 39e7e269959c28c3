/* sources.c — the kinds of source a spec may name, each an entry of
 * cli_source_defs[] with its options and the function that adds it:
 *
 *   lines     files and globs of text, a record per line (splittable)
 *   stdin     standard input, a record per line, read as a stream
 *   records   rill record files (docs/record-format.md), keys kept
 *   sequence  the integers [from, to) as decimal text, or endless
 *
 * stdin and the endless sequence are sources the engine pulls
 * (sources_stream.c), unbounded like the live ones: the source cache
 * records and replays them.
 * Records between the command's stages are text: a sequence's numbers are
 * written in decimal by a job after it ("NAME.text").
 *
 * The live sources (command, follow, tcp, unix) are in sources_live.c; a
 * source from a plugin (kind: plugin) in plugins.c. */
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources.h"
#include "xalloc.h"

/* ---- lines and stdin ---- */

static const cli_option_doc lines_opts[] = {
    {"files", "list", NULL, "paths or globs of text files (a path that exists is read "
                            "literally; - is standard input)"},
    {"chunk_bytes", "int", "67108864", "bytes per unit of work a file is cut into"},
    {NULL, NULL, NULL, NULL}};

int cli_missing_input(const cli_build *b)
{
    char cwd[4096];
    return cli_error(b->missing_at, "files", "'%s' matches no file (a relative path is read "
                     "from the current folder, %s)", b->missing,
                     getcwd(cwd, sizeof(cwd)) ? cwd : "?");
}

/* Whether a path is neither a name that exists nor a glob matching one
 * ("-", standard input, always exists). */
static int matches_nothing(const char *pattern)
{
    struct stat st;
    glob_t g;
    int rc;
    if (strcmp(pattern, "-") == 0 || lstat(pattern, &st) == 0)
        return 0;
    rc = glob(pattern, 0, NULL, &g);
    globfree(&g);
    return rc == GLOB_NOMATCH;
}

static int add_lines(cli_build *b, const cli_opts *o)
{
    const char *const *files;
    size_t n, i;
    int64_t chunk = 0;
    int rc;
    if ((rc = cli_opt_list(o, "files", &files, &n)) != 0 ||
        cli_opt_int(o, "chunk_bytes", 1, INT64_MAX, &chunk) < 0)
        return rc == 1 ? cli_error(o, NULL, "a lines source needs files: (paths or globs)")
                       : -1;
    if (n == 0)
        return cli_error(o, "files", "files: is empty; give at least one path or glob");
    for (i = 0; i < n; i++) {
        if (files[i][0] == '\0')
            return cli_error(o, "files", "an empty path");
        if (b->missing == NULL && matches_nothing(files[i])) { /* run refuses it */
            b->missing = files[i];
            b->missing_at = o;
        }
        /* "-": standard input, read as a stream from where it is */
        if ((rc = rill_batch_add_text(cli_work(b), files[i])) < 0)
            return cli_error(o, "files", "%s", rill_strerror(rc));
    }
    if ((rc = rill_read_lines(b->p, o->stage, chunk)) < 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    return cli_add_source_stage(b, o, o->stage, 1, 0);
}

static const cli_option_doc stdin_opts[] = {{NULL, NULL, NULL, NULL}};

/* A source the engine pulls (sources_stream.c), so that the source cache
 * can record it. */
static int add_stdin(cli_build *b, const cli_opts *o)
{
    return cli_stream_stdin(b, o);
}

/* ---- sequence ---- */

static const cli_option_doc sequence_opts[] = {
    {"from", "int", "0", "the first number"},
    {"to", "int", "endless", "the number after the last"},
    {"per_second", "number", "0", "at most this many numbers a second (0: no limit)"},
    {NULL, NULL, NULL, NULL}};

static int as_text(rill_emitter *out, const rill_record *in, void *payload)
{
    int64_t v;
    char text[32];
    (void)payload;
    if (rill_record_int64(&v, in) < 0)
        return -1;
    snprintf(text, sizeof(text), "%" PRId64, v);
    return rill_emit_text(out, text);
}

static int add_sequence(cli_build *b, const cli_opts *o)
{
    int64_t from = 0, to = RILL_OFFSET_INFINITY;
    double per_second = 0;
    char name[512];
    int rc, bounded;
    if (cli_opt_int(o, "from", INT64_MIN + 1, INT64_MAX - 1, &from) < 0 ||
        (bounded = cli_opt_int(o, "to", INT64_MIN + 1, INT64_MAX - 1, &to)) < 0 ||
        cli_opt_double(o, "per_second", &per_second) < 0)
        return -1;
    if (bounded == 0 && to < from)
        return cli_error(o, "to", "to (%" PRId64 ") is before from (%" PRId64 ")", to, from);
    if (per_second < 0)
        return cli_error(o, "per_second", "per_second must not be negative");
    if (bounded != 0) { /* endless: pulled (sources_stream.c), the cache can record it */
        if (cli_stream_sequence(b, o, from, per_second) < 0)
            return -1;
    } else {
        if ((rc = rill_sequence(b->p, o->stage, from, to, per_second)) < 0)
            return cli_error(o, NULL, "%s", rill_error_last());
        if (cli_add_source_stage(b, o, o->stage, 1, 0) < 0)
            return -1;
    }
    snprintf(name, sizeof(name), "%s.text", o->stage);
    return cli_add_job(b, o, name, NULL, as_text, NULL);
}

/* ---- records ---- */

static const cli_option_doc records_opts[] = {
    {"files", "list", NULL, "paths or globs of rill record files"},
    {NULL, NULL, NULL, NULL}};

typedef struct record_files {
    const char *const *patterns; /* borrowed from the spec */
    size_t npatterns;
    int expanded;
    char **paths; /* owned */
    size_t n, next;
    rill_reader *r;
    const char *stage;
} record_files;

static void record_files_free(void *p)
{
    record_files *f = p;
    size_t i;
    for (i = 0; i < f->n; i++)
        free(f->paths[i]);
    free(f->paths);
    rill_reader_close(f->r);
    free(f);
}

/* The files of the patterns, expanded on the first call (not while the
 * spec is checked). */
static int expand(record_files *f)
{
    size_t i;
    for (i = 0; i < f->npatterns; i++) {
        glob_t g;
        size_t k;
        int rc = glob(f->patterns[i], GLOB_NOCHECK, NULL, &g);
        if (rc != 0) {
            rill_error_set("source '%s': cannot expand '%s'", f->stage, f->patterns[i]);
            return RILL_ENOTFOUND;
        }
        f->paths = cli_xrealloc(f->paths, (f->n + g.gl_pathc) * sizeof(*f->paths));
        for (k = 0; k < g.gl_pathc; k++)
            f->paths[f->n++] = cli_xstrdup(g.gl_pathv[k]);
        globfree(&g);
    }
    f->expanded = 1;
    return 0;
}

static int next_records(rill_batch *out, void *payload)
{
    record_files *f = payload;
    rill_record rec;
    int rc;
    if (!f->expanded && (rc = expand(f)) < 0)
        return rc;
    while (rill_batch_count(out) < 1024) {
        if (f->r == NULL) {
            if (f->next == f->n)
                break;
            if ((rc = rill_reader_open(&f->r, f->paths[f->next])) < 0) {
                rill_error_set("source '%s': %s", f->stage, rill_error_last());
                return rc;
            }
            f->next++;
        }
        if ((rc = rill_reader_next(&rec, f->r)) < 0) {
            rill_error_set("source '%s': %s", f->stage, rill_error_last());
            return rc;
        }
        if (rc == 0) {
            rill_reader_close(f->r);
            f->r = NULL;
            continue;
        }
        if ((rc = rill_batch_add_record(out, &rec)) < 0)
            return rc;
    }
    return rill_batch_count(out) > 0;
}

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static int add_records(cli_build *b, const cli_opts *o)
{
    const char *const *files;
    record_files *f;
    size_t n, i;
    int rc;
    if ((rc = cli_opt_list(o, "files", &files, &n)) != 0)
        return rc == 1 ? cli_error(o, NULL, "a records source needs files:") : -1;
    f = cli_xcalloc(1, sizeof(*f));
    f->stage = o->stage;
    f->patterns = files;
    f->npatterns = n;
    cli_own(b, f, record_files_free);
    for (i = 0; i < n; i++)
        if (files[i][0] == '\0')
            return cli_error(o, "files", "an empty path");
    if ((rc = rill_generator(b->p, next_records, f)) < 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    b->generator = 1;
    /* the generator's batches go to the stages without predecessors: a
     * stage of the source's name receives them, so that the source can be
     * named as an input like any other */
    if (cli_add_job(b, o, o->stage, NULL, pass, NULL) < 0)
        return -1;
    b->nodes[b->nnodes - 1].type = "source";
    b->nodes[b->nnodes - 1].state = "the number of batches it gave (a generator)";
    return 0;
}

/* ---- the table ---- */

static const cli_source_def lines_def = {"lines", "text files and globs, a record per line",
                                         lines_opts, 1, 0, add_lines};
static const cli_source_def stdin_def = {"stdin", "standard input, a record per line",
                                         stdin_opts, 0, 1, add_stdin};
static const cli_source_def sequence_def = {"sequence", "the integers from..to, as text",
                                            sequence_opts, 1, 0, add_sequence};
static const cli_source_def records_def = {"records", "rill record files (keys kept)",
                                           records_opts, 0, 0, add_records};

const cli_source_def *const cli_source_defs[] = {
    &lines_def,
    &stdin_def,
    &sequence_def,
    &records_def,
    &cli_source_command,
    &cli_source_follow,
    &cli_source_tcp,
    &cli_source_unix,
    &cli_source_plugin,
    NULL,
};

const cli_source_def *cli_source_find(const char *kind)
{
    size_t i;
    for (i = 0; cli_source_defs[i]; i++)
        if (strcmp(cli_source_defs[i]->kind, kind) == 0)
            return cli_source_defs[i];
    return NULL;
}
