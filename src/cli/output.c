/* output.c — a run's output: written to a folder by rill_output_dir
 * (dir: or -o), or to standard output by the callback here, in the formats
 * lines (the data), tsv (key, tab, data, escaped as rill_output_dir
 * escapes them: \\ \t \n \r, \xHH for any other control byte and every
 * byte that is not part of valid UTF-8; an empty key for a record without
 * one), csv
 * (key,data, quoted as RFC 4180 says) and jsonl ({"key": ..., "value": ...},
 * bytes that are not UTF-8 as key_base64/value_base64, as rill_output_dir
 * writes them).
 *
 * The callback is called one batch at a time (rill_output's rule), so the
 * state here needs no lock. It holds stdout's lock for the whole batch
 * (flockfile), so its per-byte stdio calls do not take it each time. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "utf8.h"
#include "xalloc.h"

enum { F_LINES, F_TSV, F_CSV, F_JSONL, F_RILL };
static const char *const formats[] = {"lines", "tsv", "csv", "jsonl", "rill", NULL};

static int pipe_closed;
static uint64_t written;

int cli_output_pipe_closed(void)
{
    return pipe_closed;
}

uint64_t cli_output_records(void)
{
    return written;
}

/* The rule of rill_output_dir's TSV (src/io/format.c): text whatever the
 * bytes, and read back exactly. Runs of bytes that need no escape (ASCII
 * text and valid UTF-8) go out whole (stdout is locked: see write_stdout). */
static void tsv_escaped(FILE *f, const unsigned char *s, size_t n)
{
    size_t i = 0, from = 0, len;
    while (i < n) {
        unsigned char c = s[i];
        char hex[5];
        const char *esc;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80 && (len = cli_utf8_len(s + i, n - i)) > 0) {
            i += len;
            continue;
        }
        switch (c) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: /* a control byte, or not UTF-8 */
            snprintf(hex, sizeof(hex), "\\x%02x", c);
            esc = hex;
        }
        fwrite_unlocked(s + from, 1, i - from, f);
        fputs_unlocked(esc, f);
        from = ++i;
    }
    fwrite_unlocked(s + from, 1, n - from, f);
}

static void csv_field(FILE *f, const unsigned char *s, size_t n)
{
    size_t i;
    if (memchr(s, ',', n) == NULL && memchr(s, '"', n) == NULL && memchr(s, '\n', n) == NULL &&
        memchr(s, '\r', n) == NULL) {
        fwrite(s, 1, n, f);
        return;
    }
    putc('"', f);
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            putc('"', f);
        putc(s[i], f);
    }
    putc('"', f);
}

/* Whether s[0..n) is valid UTF-8. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0, len;
    while (i < n) {
        if ((len = cli_utf8_len(s + i, n - i)) == 0)
            return 0;
        i += len;
    }
    return 1;
}

static void json_string(FILE *f, const unsigned char *s, size_t n)
{
    size_t i;
    putc('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c < 0x20 || c == 0x7F)
            fprintf(f, "\\u%04x", c);
        else
            putc(c, f);
    }
    putc('"', f);
}

static void base64(FILE *f, const unsigned char *s, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    putc('"', f);
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        putc(abc[v >> 18], f), putc(abc[(v >> 12) & 63], f);
        putc(abc[(v >> 6) & 63], f), putc(abc[v & 63], f);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)s[i] << 16;
        putc(abc[v >> 18], f), putc(abc[(v >> 12) & 63], f), fputs("==", f);
    } else if (n - i == 2) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
        putc(abc[v >> 18], f), putc(abc[(v >> 12) & 63], f), putc(abc[(v >> 6) & 63], f);
        putc('=', f);
    }
    putc('"', f);
}

static void json_field(FILE *f, const char *name, const unsigned char *s, size_t n)
{
    if (utf8_valid(s, n)) {
        fprintf(f, "\"%s\": ", name);
        json_string(f, s, n);
    } else {
        fprintf(f, "\"%s_base64\": ", name);
        base64(f, s, n);
    }
}

static int write_stdout(const char *sink, const rill_batch *batch, void *payload)
{
    int format = *(const int *)payload;
    size_t i, n = rill_batch_count(batch);
    FILE *f = stdout;
    (void)sink;
    if (pipe_closed)
        return 0;
    flockfile(f);
    for (i = 0; i < n; i++) {
        rill_record r;
        const unsigned char *k, *d;
        rill_batch_get(&r, batch, i);
        k = r.key, d = r.data;
        switch (format) {
        case F_LINES:
            fwrite_unlocked(d, 1, r.len, f);
            break;
        case F_TSV: /* an empty key for a record without one, as rill_output_dir */
            tsv_escaped(f, k ? k : d, k ? r.key_len : 0);
            putc_unlocked('\t', f);
            tsv_escaped(f, d, r.len);
            break;
        case F_CSV:
            csv_field(f, k ? k : d, k ? r.key_len : 0);
            putc(',', f);
            csv_field(f, d, r.len);
            break;
        default:
            putc('{', f);
            if (k) {
                json_field(f, "key", k, r.key_len);
                fputs(", ", f);
            }
            json_field(f, "value", d, r.len);
            putc('}', f);
        }
        putc_unlocked('\n', f);
    }
    funlockfile(f);
    written += n;
    /* a batch at a time: live sources are seen as they come, and what a
     * checkpoint covered is out before the next one */
    fflush(f);
    if (ferror(f)) {
        if (errno == EPIPE) { /* the reader has gone: drop the rest quietly */
            pipe_closed = 1;
            return 0;
        }
        rill_error_set("writing to standard output: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int cli_output_flush(void)
{
    if (fflush(stdout) != 0 && !pipe_closed) {
        if (errno == EPIPE) {
            pipe_closed = 1;
            return 0;
        }
        fprintf(stderr, "rill: writing to standard output: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* The spec's file name without its folder and extension, in the letters a
 * run id may hold (others become '_'); owned by b. */
static const char *spec_run_id(cli_build *b, const char *file)
{
    const char *base = file ? strrchr(file, '/') : NULL, *dot;
    size_t n, i;
    char *id;
    base = base ? base + 1 : file ? file : "spec";
    dot = strrchr(base, '.');
    n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    if (n == 0 || n > 100)
        n = n ? 100 : 0;
    id = cli_xmalloc(n + 5);
    for (i = 0; i < n; i++) {
        char c = base[i];
        id[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_' || c == '.'
                    ? c
                    : '_';
    }
    if (n == 0)
        memcpy(id, "spec", (n = 4));
    id[n] = '\0';
    cli_own(b, id, NULL);
    return id;
}

int cli_output_add(cli_build *b, const cli_opts *o)
{
    static const rill_format dir_formats[] = {RILL_FORMAT_LINES, RILL_FORMAT_TSV, 0,
                                              RILL_FORMAT_JSONL, RILL_FORMAT_RILL};
    int format = F_TSV, by_key = 0, rc = 0, *keep;
    const char *dir = NULL, *run_id = NULL, *label = NULL;
    if (cli_opt_enum(o, "format", formats, &format) < 0 ||
        cli_opt_str(o, "dir", &dir) < 0 || cli_opt_bool(o, "by_key", &by_key) < 0 ||
        cli_opt_str(o, "run_id", &run_id) < 0 || cli_opt_str(o, "sink_label", &label) < 0)
        rc = -1;
    {
        static const cli_option_doc docs[] = {{"format", NULL, NULL, NULL},
                                              {"dir", NULL, NULL, NULL},
                                              {"by_key", NULL, NULL, NULL},
                                              {"run_id", NULL, NULL, NULL},
                                              {"sink_label", NULL, NULL, NULL},
                                              {NULL, NULL, NULL, NULL}};
        const char *names[6];
        size_t i;
        for (i = 0; docs[i].name; i++)
            names[i] = docs[i].name;
        names[i] = NULL;
        for (i = 0; i < o->n; i++)
            if (!o->v[i].used) {
                const char *near = cli_did_you_mean(o->v[i].key, names);
                cli_error(o, o->v[i].key, "unknown option '%s'%s%s%s; expected format, dir, "
                          "by_key, run_id or sink_label", o->v[i].key,
                          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
                rc = -1;
            }
    }
    if (rc < 0)
        return -1;
    b->output_format = formats[format];
    if (dir && *dir) {
        rill_dir_options d = RILL_DIR_OPTIONS_INIT;
        if (format == F_CSV)
            return cli_error(o, "format", "csv is written to standard output only; a folder "
                             "takes lines, tsv, jsonl or rill");
        d.dir = dir;
        b->output_dir = dir;
        d.format = dir_formats[format];
        d.by_key = by_key;
        /* by default the spec's name: running it again into the same folder
         * replaces its files once the new run publishes; others' stay */
        if (run_id == NULL)
            run_id = spec_run_id(b, o->file);
        d.run_id = run_id;
        d.sink_label = label;
        if ((rc = rill_output_dir(b->p, &d)) < 0)
            return cli_error(o, "dir", "%s", rill_error_last());
        return 0;
    }
    if (format == F_RILL)
        return cli_error(o, "format", "rill records are written to a folder: give dir: "
                         "(or -o DIR)");
    /* a spec may be written for -o DIR: only a run without one refuses them */
    if (by_key || run_id || label)
        b->output_needs_dir = by_key ? "by_key" : run_id ? "run_id" : "sink_label";
    keep = cli_xmalloc(sizeof(*keep));
    *keep = format;
    cli_own(b, keep, NULL);
    if ((rc = rill_output(b->p, write_stdout, keep)) < 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    return 0;
}
