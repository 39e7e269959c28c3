/* writer.c — writes a run's output batches into a directory, partitioned by
 * sink and optionally by key, in one of four formats.
 *
 * Each output batch (per key partition) becomes one file,
 * DIR[/task=<sink>][/key=<key>]/<run_id>-<n>.<ext>, written under a
 * temporary name beside it (.<name>.tmp) and renamed only when the whole run
 * succeeds; a failed run removes its temporary files. Calls come from the
 * result stage, one at a time, so the writer needs no lock. */
#include "writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../core/plan.h"
#include "../util/error.h"

typedef struct part {
    char *dir;   /* owned */
    size_t next; /* number of the next file in it */
} part;

struct rill__writer {
    char *dir, *label, *run_id; /* owned */
    int own_run_id;             /* the caller gave none: a new one each run */
    rill_format format;
    rill_partition by_sink;
    int by_key, nsinks;
    char **tmp, **fin;          /* owned: files written this run */
    size_t nfiles, cfiles;
    part *parts;                /* owned */
    size_t nparts;
};

static const char *ext[] = {"txt", "tsv", "jsonl", "rill"};

static int plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

size_t rill_partition_escape(char *out, size_t cap, const void *value, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *v = value;
    size_t full = 0, limit, o = 0, i;
    if (cap < 201) { /* room for the longest escape, so names never collide */
        if (cap)
            out[0] = '\0';
        return 0;
    }
    if (len == 0) {
        memcpy(out, "%", 2);
        return 1;
    }
    for (i = 0; i < len; i++)
        full += plain(v[i]) ? 1 : 3;
    limit = full <= 200 ? full : 183; /* 183 + "~" + 16 hex digits = 200 */
    for (i = 0; i < len && o + (plain(v[i]) ? 1 : 3) <= limit; i++) {
        if (plain(v[i])) {
            out[o++] = (char)v[i];
        } else {
            out[o++] = '%';
            out[o++] = hex[v[i] >> 4];
            out[o++] = hex[v[i] & 15];
        }
    }
    if (full > 200)
        o += (size_t)snprintf(out + o, cap - o, "~%016llx",
                              (unsigned long long)XXH3_64bits(value, len));
    out[o] = '\0';
    return o;
}

static int mkdirs(char *path)
{
    char *p;
    for (p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0777) < 0 && errno != EEXIST) {
                *p = '/';
                return -1;
            }
            *p = '/';
        }
    return mkdir(path, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

static void make_run_id(rill__writer *w)
{
    char id[64];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(id, sizeof(id), "%04d%02d%02dT%02d%02d%02d-%d-%06lx", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid(),
             (unsigned long)(ts.tv_nsec / 1000) & 0xffffff);
    free(w->run_id);
    w->run_id = strdup(id);
}

void rill__writer_free(rill__writer *w)
{
    size_t i;
    if (w == NULL)
        return;
    rill__writer_end(w, 0);
    for (i = 0; i < w->nparts; i++)
        free(w->parts[i].dir);
    free(w->parts);
    free(w->tmp);
    free(w->fin);
    free(w->dir);
    free(w->label);
    free(w->run_id);
    free(w);
}

int rill__writer_begin(rill__writer *w, int nsinks)
{
    size_t i;
    rill__writer_end(w, 0);
    for (i = 0; i < w->nparts; i++)
        free(w->parts[i].dir);
    w->nparts = 0;
    w->nsinks = nsinks;
    if (w->own_run_id)
        make_run_id(w);
    if (w->run_id == NULL || mkdirs(w->dir) < 0)
        return rill__error(w->run_id ? RILL_EIO : RILL_ENOMEM, "cannot create %s: %s", w->dir,
                           strerror(errno));
    return 0;
}

int rill__writer_end(rill__writer *w, int ok)
{
    size_t i, published = 0;
    int rc = 0;
    for (i = 0; ok && i < w->nfiles; i++, published++)
        if (rename(w->tmp[i], w->fin[i]) < 0 &&
            !(errno == ENOENT && access(w->fin[i], F_OK) == 0)) { /* published before a kill */
            rc = rill__error(RILL_EIO, "cannot publish %s: %s", w->fin[i], strerror(errno));
            break;
        }
    for (i = 0; i < w->nfiles; i++) {
        if (rc < 0 && i < published)
            unlink(w->fin[i]); /* a run that fails leaves nothing under a final name */
        else if (rc < 0 || !ok || i >= published)
            unlink(w->tmp[i]);
        free(w->tmp[i]);
        free(w->fin[i]);
    }
    w->nfiles = 0;
    return rc;
}

/* The next file number of partition dir. */
static size_t next_number(rill__writer *w, const char *dir)
{
    size_t i;
    part *p;
    for (i = 0; i < w->nparts; i++)
        if (strcmp(w->parts[i].dir, dir) == 0)
            return w->parts[i].next++;
    if ((p = realloc(w->parts, (w->nparts + 1) * sizeof(*p))) == NULL)
        return (size_t)-1;
    w->parts = p;
    if ((p[w->nparts].dir = strdup(dir)) == NULL)
        return (size_t)-1;
    p[w->nparts].next = 1;
    w->nparts++;
    return 0;
}

static void put_escaped(FILE *f, const unsigned char *s, size_t n, int json)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '\\': fputs("\\\\", f); break;
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '"':
            fputs(json ? "\\\"" : "\"", f);
            break;
        default:
            if (json && (c < 0x20 || c == 0x7f))
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
}

static void put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void put_record(FILE *f, rill_format format, const rill_record *r)
{
    switch (format) {
    case RILL_FORMAT_LINES:
        fwrite(r->data, 1, r->len, f);
        fputc('\n', f);
        break;
    case RILL_FORMAT_TSV:
        put_escaped(f, r->key ? r->key : (const void *)"", r->key_len, 0);
        fputc('\t', f);
        put_escaped(f, r->data, r->len, 0);
        fputc('\n', f);
        break;
    case RILL_FORMAT_JSONL:
        fputc('{', f);
        if (r->key) {
            fputs("\"key\": \"", f);
            put_escaped(f, r->key, r->key_len, 1);
            fputs("\", ", f);
        }
        fputs("\"value\": \"", f);
        put_escaped(f, r->data, r->len, 1);
        fputs("\"}\n", f);
        break;
    case RILL_FORMAT_RILL:
        put32(f, r->key ? (uint32_t)r->key_len + 1 : 0);
        put32(f, (uint32_t)r->len);
        if (r->key_len)
            fwrite(r->key, 1, r->key_len, f);
        fwrite(r->data, 1, r->len, f);
        break;
    }
}

/* Writes records idx[0..n) of b as the next file of partition dir. */
static int write_file(rill__writer *w, char *dir, const rill_batch *b, const size_t *idx,
                      size_t n)
{
    size_t num, len, i;
    char *tmp = NULL, *fin = NULL;
    FILE *f;
    int rc = 0;
    if (mkdirs(dir) < 0)
        return rill__error(RILL_EIO, "cannot create %s: %s", dir, strerror(errno));
    if ((num = next_number(w, dir)) == (size_t)-1)
        return rill__error(RILL_ENOMEM, "out of memory");
    len = strlen(dir) + strlen(w->run_id) + 48;
    tmp = malloc(len);
    fin = malloc(len);
    if (w->nfiles == w->cfiles) {
        size_t cap = w->cfiles ? w->cfiles * 2 : 16;
        char **t = realloc(w->tmp, cap * sizeof(*t)), **fi;
        if (t)
            w->tmp = t;
        fi = t ? realloc(w->fin, cap * sizeof(*fi)) : NULL;
        if (fi) {
            w->fin = fi;
            w->cfiles = cap;
        }
    }
    if (tmp == NULL || fin == NULL || w->nfiles == w->cfiles) {
        free(tmp);
        free(fin);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    snprintf(fin, len, "%s/%s-%zu.%s", dir, w->run_id, num, ext[w->format]);
    snprintf(tmp, len, "%s/.%s-%zu.%s.tmp", dir, w->run_id, num, ext[w->format]);
    w->tmp[w->nfiles] = tmp; /* removed at the end, whatever happens next */
    w->fin[w->nfiles++] = fin;
    if ((f = fopen(tmp, "wb")) == NULL)
        return rill__error(RILL_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (w->format == RILL_FORMAT_RILL)
        fwrite("RILLREC\x01", 1, 8, f);
    for (i = 0; i < n; i++) {
        rill_record r;
        rill_batch_get(&r, b, idx ? idx[i] : i);
        put_record(f, w->format, &r);
    }
    if (ferror(f))
        rc = rill__error(RILL_EIO, "cannot write %s", tmp);
    if (fclose(f) != 0 && rc == 0)
        rc = rill__error(RILL_EIO, "cannot write %s: %s", tmp, strerror(errno));
    return rc;
}

static int by_key(const void *a, const void *b, void *batch)
{
    rill_record x, y;
    int c;
    rill_batch_get(&x, batch, *(const size_t *)a);
    rill_batch_get(&y, batch, *(const size_t *)b);
    if (x.key == NULL || y.key == NULL) /* no key first, apart from the empty key */
        return (x.key != NULL) - (y.key != NULL);
    c = memcmp(x.key, y.key, x.key_len < y.key_len ? x.key_len : y.key_len);
    return c ? c : (x.key_len > y.key_len) - (x.key_len < y.key_len);
}

static int write_batch(const char *sink, const rill_batch *b, void *payload)
{
    rill__writer *w = payload;
    size_t n = rill_batch_count(b), i, j, *idx;
    char dir[4096], esc[256];
    int len, rc = 0;
    /* dir and label are checked in rill_output_dir; each part below is at
     * most 200 bytes and a "=", so the path fits */
    len = snprintf(dir, sizeof(dir), "%s", w->dir);
    if (w->by_sink == RILL_PARTITION_ALWAYS || (w->by_sink == RILL_PARTITION_AUTO && w->nsinks > 1)) {
        rill_partition_escape(esc, sizeof(esc), sink, strlen(sink));
        len += snprintf(dir + len, sizeof(dir) - (size_t)len, "/%s=%s", w->label, esc);
    }
    if (!w->by_key)
        return write_file(w, dir, b, NULL, n);
    if ((idx = malloc((n ? n : 1) * sizeof(*idx))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof(*idx), by_key, (void *)b);
    for (i = 0; i < n && rc == 0; i = j) {
        rill_record r;
        rill_batch_get(&r, b, idx[i]);
        for (j = i + 1; j < n && by_key(&idx[i], &idx[j], (void *)b) == 0; j++)
            ;
        if (r.key) /* no escape is "~" alone: records without a key go there */
            rill_partition_escape(esc, sizeof(esc), r.key, r.key_len);
        else
            strcpy(esc, "~");
        snprintf(dir + len, sizeof(dir) - (size_t)len, "/key=%s", esc);
        rc = write_file(w, dir, b, idx + i, j - i);
    }
    free(idx);
    return rc;
}

static int sink_write(void *self, const char *sink, const rill_batch *batch, size_t begin,
                      size_t end)
{
    rill_batch *part;
    int rc = rill__sink_range(batch, begin, end, &part);
    if (rc < 0)
        return rc;
    rc = write_batch(sink, part, self);
    if (part != batch)
        rill_batch_free(part);
    return rc;
}

static int sink_begin(void *self, int nsinks)
{
    return rill__writer_begin(self, nsinks);
}

static int sink_end(void *self, int ok)
{
    return rill__writer_end(self, ok);
}

static int sink_save(const void *self, rill_batch *out)
{
    return rill__writer_save(self, out);
}

static int sink_restore(void *self, const rill_batch *in)
{
    return rill__writer_restore(self, in);
}

static void sink_forget(void *self)
{
    rill__writer_forget(self);
}

static void sink_free(void *self)
{
    rill__writer_free(self);
}

/* The directory writer as the pipeline's sink (rill/sys/sink.h). */
static const rill_sink writer_sink = {
    .version = RILL_SINK_VERSION,
    .name = "directory",
    .begin = sink_begin,
    .write = sink_write,
    .end = sink_end,
    .save = sink_save,
    .restore = sink_restore,
    .forget = sink_forget,
    .free = sink_free,
};

int rill_output_dir(rill_pipeline *p, const rill_dir_options *o)
{
    rill__writer *w;
    int rc;
    const char *c;
    if (p == NULL || o == NULL)
        return rill__error(RILL_EINVAL, "rill_output_dir: the pipeline or options are NULL");
    if (o->version != RILL_DIR_OPTIONS_VERSION) /* then only version 1's fields are read */
        return rill__error(RILL_EINVAL, "rill_output_dir: options of version %u, expected %u "
                           "(initialise them with RILL_DIR_OPTIONS_INIT)", o->version,
                           RILL_DIR_OPTIONS_VERSION);
    if (o->dir == NULL || o->dir[0] == '\0')
        return rill__error(RILL_EINVAL, "rill_output_dir: a directory is needed");
    if (strlen(o->dir) > 3000)
        return rill__error(RILL_EINVAL, "rill_output_dir: the directory name is too long");
    for (c = o->sink_label; c && *c; c++)
        if (!plain((unsigned char)*c) || c - o->sink_label >= 64)
            return rill__error(RILL_EINVAL, "rill_output_dir: a sink label is up to 64 "
                               "letters, digits, '-' or '_', not '%.80s'", o->sink_label);
    if (o->sink_label && !o->sink_label[0])
        return rill__error(RILL_EINVAL, "rill_output_dir: the sink label is empty");
    for (c = o->run_id; c && *c; c++)
        if ((!plain((unsigned char)*c) && *c != '.') || c - o->run_id >= 64 || *o->run_id == '.')
            return rill__error(RILL_EINVAL, "rill_output_dir: a run id is up to 64 letters, "
                               "digits, '-', '_' or '.', not starting with '.'");
    if ((unsigned)o->format > RILL_FORMAT_RILL || (unsigned)o->by_sink > RILL_PARTITION_NEVER)
        return rill__error(RILL_EINVAL, "rill_output_dir: an unknown format or partitioning");
    if ((w = calloc(1, sizeof(*w))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    w->dir = strdup(o->dir);
    w->label = strdup(o->sink_label ? o->sink_label : "task");
    w->run_id = o->run_id ? strdup(o->run_id) : NULL;
    w->own_run_id = o->run_id == NULL;
    w->format = o->format;
    w->by_sink = o->by_sink;
    w->by_key = o->by_key;
    if (w->dir == NULL || w->label == NULL || (o->run_id && w->run_id == NULL)) {
        rill__writer_free(w);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    if ((rc = rill_output_sink(p, &writer_sink, w)) < 0)
        rill__writer_free(w);
    return rc;
}

/* ---- checkpoints ---- */

int rill__writer_save(const rill__writer *w, rill_batch *out)
{
    size_t i;
    int rc = rill_batch_add_keyed(out, "run", 3, w->run_id, strlen(w->run_id));
    for (i = 0; rc == 0 && i < w->nparts; i++)
        rc = rill_batch_add_keyed(out, "part", 4, &w->parts[i].next, sizeof(size_t)) < 0
                 ? RILL_ENOMEM
                 : rill_batch_add(out, w->parts[i].dir, strlen(w->parts[i].dir));
    for (i = 0; rc == 0 && i < w->nfiles; i++)
        rc = rill_batch_add_keyed(out, "file", 4, w->tmp[i], strlen(w->tmp[i])) < 0
                 ? RILL_ENOMEM
                 : rill_batch_add(out, w->fin[i], strlen(w->fin[i]));
    return rc;
}

static char *dup_bytes(const void *b, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

int rill__writer_restore(rill__writer *w, const rill_batch *in)
{
    size_t i, n = rill_batch_count(in);
    rill__writer_forget(w);
    for (i = 0; i < n; i++) {
        rill_record r, next;
        rill_batch_get(&r, in, i);
        if (r.key_len == 3 && memcmp(r.key, "run", 3) == 0) {
            free(w->run_id);
            if ((w->run_id = dup_bytes(r.data, r.len)) == NULL)
                return rill__error(RILL_ENOMEM, "out of memory");
            continue;
        }
        if (i + 1 >= n || rill_batch_get(&next, in, i + 1) < 0 || next.key != NULL ||
            r.key_len != 4 || (memcmp(r.key, "part", 4) && memcmp(r.key, "file", 4)))
            return rill__error(RILL_ECORRUPT, "the checkpoint's output files are not readable");
        i++;
        if (memcmp(r.key, "part", 4) == 0) {
            part *p = realloc(w->parts, (w->nparts + 1) * sizeof(*p));
            if (p == NULL || r.len != sizeof(size_t))
                return rill__error(p ? RILL_ECORRUPT : RILL_ENOMEM, "cannot restore outputs");
            w->parts = p;
            if ((p[w->nparts].dir = dup_bytes(next.data, next.len)) == NULL)
                return rill__error(RILL_ENOMEM, "out of memory");
            memcpy(&p[w->nparts].next, r.data, sizeof(size_t));
            w->nparts++;
        } else {
            if (w->nfiles == w->cfiles) {
                size_t cap = w->cfiles ? w->cfiles * 2 : 16;
                char **t = realloc(w->tmp, cap * sizeof(*t)), **f;
                if (t == NULL)
                    return rill__error(RILL_ENOMEM, "out of memory");
                w->tmp = t;
                if ((f = realloc(w->fin, cap * sizeof(*f))) == NULL)
                    return rill__error(RILL_ENOMEM, "out of memory");
                w->fin = f;
                w->cfiles = cap;
            }
            w->tmp[w->nfiles] = dup_bytes(r.data, r.len);
            w->fin[w->nfiles] = dup_bytes(next.data, next.len);
            if (w->tmp[w->nfiles] == NULL || w->fin[w->nfiles] == NULL)
                return rill__error(RILL_ENOMEM, "out of memory");
            w->nfiles++;
        }
    }
    return 0;
}

void rill__writer_forget(rill__writer *w)
{
    size_t i;
    for (i = 0; i < w->nfiles; i++) {
        free(w->tmp[i]);
        free(w->fin[i]);
    }
    w->nfiles = 0;
    for (i = 0; i < w->nparts; i++)
        free(w->parts[i].dir);
    w->nparts = 0;
}
