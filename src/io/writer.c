/* writer.c — writes a run's output batches into a directory, partitioned by
 * sink and optionally by key, in one of four formats.
 *
 * Output batches (per key partition) are appended to the partition's open
 * file, DIR[/task=<sink>][/key=<key>]/<run_id>-<n>.<ext>, written under a
 * temporary name beside it (.<name>.<random>.tmp, created exclusively and
 * never through a link). A file is closed and synced when a checkpoint is
 * taken (which names only whole files), when it reaches file_bytes bytes,
 * when more than OPEN_MAX are open (the oldest), and when the run ends; the
 * next batch of its partition begins the next file. Files are renamed only
 * when the whole run succeeds (publish.c); a failed run removes its
 * temporary files. Folders are synced before a checkpoint names files in
 * them. The formats are
 * format.c's. Calls come from the result stage, one at a time, so the
 * writer needs no lock. */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
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
    FILE *f;     /* the file batches are appended to; NULL: none open */
    size_t file; /* its entry in files */
} part;

/* Files open at once (one a partition; past this the oldest is closed) and
 * the size at which a file is closed and the next one begun, by default. */
#define OPEN_MAX 64
#define FILE_MAX ((long long)256 << 20)

struct rill__writer {
    char *dir, *label, *run_id; /* owned */
    int own_run_id;             /* the caller gave none: a new one each run */
    rill_format format;
    rill_partition by_sink;
    int by_key, nsinks;
    rill__outfile *files;       /* owned: files written this run */
    size_t nfiles, cfiles;
    part *parts;                /* owned */
    size_t nparts, nopen;       /* nopen: parts with a file open */
    size_t named;               /* files[0..named) are named by a checkpoint */
    long long file_bytes;       /* a file holding this many is closed */
};

static const char *ext[] = {"txt", "tsv", "jsonl", "rill"};

static int close_all(rill__writer *w, int keep);

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
            if (mkdir(path, 0777) < 0 ? errno != EEXIST : rill__sync_parent(path) < 0) {
                *p = '/';
                return -1;
            }
            *p = '/';
        }
    /* a folder made is synced into its parent, so the files in it last */
    return (mkdir(path, 0777) < 0 ? errno != EEXIST : rill__sync_parent(path) < 0) ? -1 : 0;
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
    free(w->files);
    free(w->dir);
    free(w->label);
    free(w->run_id);
    free(w);
}

int rill__writer_begin(rill__writer *w, int nsinks)
{
    struct stat st;
    size_t i;
    rill__writer_end(w, 0);
    for (i = 0; i < w->nparts; i++)
        free(w->parts[i].dir);
    w->nparts = 0;
    w->nsinks = nsinks;
    if (w->own_run_id)
        make_run_id(w);
    if (w->run_id == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    /* checked before any work: a folder that cannot be made or written */
    if (mkdirs(w->dir) < 0)
        return rill__error_errno(errno, "cannot create the output folder %s", w->dir);
    if (stat(w->dir, &st) < 0)
        return rill__error_errno(errno, "cannot use the output folder %s", w->dir);
    if (!S_ISDIR(st.st_mode))
        return rill__error_errno(ENOTDIR, "cannot use the output folder %s", w->dir);
    if (access(w->dir, W_OK | X_OK) < 0)
        return rill__error_errno(errno, "cannot write in the output folder %s", w->dir);
    return 0;
}

int rill__writer_end(rill__writer *w, int ok)
{
    size_t i;
    if (ok) {
        int rc = close_all(w, 1);
        if (rc < 0)
            return rc;
        rc = rill__publish(w->files, w->nfiles, w->dir, w->own_run_id ? NULL : w->run_id);
        if (rc < 0)
            return rc; /* the list stays: for forget or end(0) */
    }
    close_all(w, 0);
    for (i = 0; i < w->nfiles; i++) {
        if (!ok)
            unlink(w->files[i].tmp); /* a unique name: only ever this run's */
        free(w->files[i].tmp);
        free(w->files[i].fin);
    }
    w->nfiles = w->named = 0;
    return 0;
}

/* Room for one more file in the list. */
static int grow_files(rill__writer *w)
{
    rill__outfile *f;
    size_t cap = w->cfiles ? w->cfiles * 2 : 16;
    if (w->nfiles < w->cfiles)
        return 0;
    if ((f = realloc(w->files, cap * sizeof(*f))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    w->files = f;
    w->cfiles = cap;
    return 0;
}

/* The partition of folder dir (made when new); NULL: out of memory. */
static part *find_part(rill__writer *w, const char *dir)
{
    size_t i;
    part *p;
    for (i = 0; i < w->nparts; i++)
        if (strcmp(w->parts[i].dir, dir) == 0)
            return &w->parts[i];
    if ((p = realloc(w->parts, (w->nparts + 1) * sizeof(*p))) == NULL)
        return NULL;
    w->parts = p;
    memset(&p[w->nparts], 0, sizeof(*p));
    if ((p[w->nparts].dir = strdup(dir)) == NULL)
        return NULL;
    return &p[w->nparts++];
}

/* Closes p's open file: with keep, flushed, synced (on disk before a
 * checkpoint names it or a rename publishes it) and its identity taken, so
 * a resume knows it from another at its final name. */
static int close_file(rill__writer *w, part *p, int keep)
{
    rill__outfile *o = &w->files[p->file];
    struct stat st;
    int rc = 0;
    if (p->f == NULL)
        return 0;
    if (keep && (fflush(p->f) != 0 || ferror(p->f) || fsync(fileno(p->f)) < 0 ||
                 fstat(fileno(p->f), &st) < 0))
        rc = rill__error_errno(errno ? errno : EIO, "cannot write %s", o->tmp);
    else if (keep) {
        o->dev = (uint64_t)st.st_dev;
        o->ino = (uint64_t)st.st_ino;
        o->size = (uint64_t)st.st_size;
        o->mtime = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    }
    if (fclose(p->f) != 0 && keep && rc == 0)
        rc = rill__error_errno(errno ? errno : EIO, "cannot write %s", o->tmp);
    p->f = NULL;
    w->nopen--;
    return rc;
}

static int close_all(rill__writer *w, int keep)
{
    size_t i;
    int rc = 0, rc2;
    for (i = 0; i < w->nparts; i++)
        if ((rc2 = close_file(w, &w->parts[i], keep)) < 0 && rc == 0)
            rc = rc2;
    return rc;
}

/* Begins the next file of partition p: a temporary, opened for appending. */
static int open_file(rill__writer *w, part *p)
{
    size_t len, i;
    char *tmp, *fin, name[128];
    int fd, rc;
    for (i = 0; w->nopen >= OPEN_MAX && i < w->nparts; i++)
        if (w->parts[i].f && (rc = close_file(w, &w->parts[i], 1)) < 0)
            return rc;
    snprintf(name, sizeof(name), "%s-%zu.%s", w->run_id, p->next, ext[w->format]);
    len = strlen(p->dir) + strlen(name) + 32;
    tmp = malloc(len);
    fin = malloc(len);
    if (tmp == NULL || fin == NULL || grow_files(w) < 0) {
        free(tmp);
        free(fin);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    snprintf(fin, len, "%s/%s", p->dir, name);
    if ((fd = rill__tmp_open(tmp, len, p->dir, name)) < 0) {
        rc = rill__error(RILL_EIO, "cannot create a temporary file for %s: %s", fin,
                         strerror(errno));
        free(tmp);
        free(fin);
        return rc;
    }
    p->next++;
    memset(&w->files[w->nfiles], 0, sizeof(w->files[0]));
    w->files[w->nfiles].tmp = tmp; /* removed at the end, whatever happens next */
    w->files[w->nfiles].fin = fin;
    p->file = w->nfiles++;
    if ((p->f = fdopen(fd, "wb")) == NULL) {
        rc = rill__error_errno(errno ? errno : EIO, "cannot write %s", tmp);
        close(fd);
        return rc;
    }
    w->nopen++;
    if (w->format == RILL_FORMAT_RILL)
        fwrite("RILLREC\x01", 1, 8, p->f);
    return 0;
}

/* Appends records idx[0..n) of b to the open file of partition dir. */
static int write_file(rill__writer *w, char *dir, const rill_batch *b, const size_t *idx,
                      size_t n)
{
    size_t i;
    part *p;
    int rc;
    if (mkdirs(dir) < 0)
        return rill__error(RILL_EIO, "cannot create %s: %s", dir, strerror(errno));
    if ((p = find_part(w, dir)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if (p->f == NULL && (rc = open_file(w, p)) < 0)
        return rc;
    for (i = 0; i < n; i++) {
        rill_record r;
        rill_batch_get(&r, b, idx ? idx[i] : i);
        rill__put_record(p->f, w->format, &r);
    }
    if (ferror(p->f))
        return rill__error_errno(errno ? errno : EIO, "cannot write %s", w->files[p->file].tmp);
    return ftell(p->f) >= w->file_bytes ? close_file(w, p, 1) : 0;
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
    if (o->version < 1 || o->version > RILL_DIR_OPTIONS_VERSION) /* version 1: no file_bytes */
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
    w->file_bytes = o->version >= 2 && o->file_bytes ? o->file_bytes : FILE_MAX;
    if (w->dir == NULL || w->label == NULL || (o->run_id && w->run_id == NULL)) {
        rill__writer_free(w);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    if ((rc = rill_output_sink(p, &writer_sink, w)) < 0)
        rill__writer_free(w);
    return rc;
}

/* ---- checkpoints ---- */

int rill__writer_save(const rill__writer *cw, rill_batch *out)
{
    /* a checkpoint names whole files only: the open ones are closed (synced)
     * first, and the next batches begin new ones. The files, not what the
     * caller sees of the writer, change: the sink table's save is const. */
    rill__writer *w = (rill__writer *)cw;
    size_t i;
    int rc = close_all(w, 1);
    if (rc < 0)
        return rc;
    w->named = w->nfiles;
    rc = rill_batch_add_keyed(out, "run", 3, w->run_id, strlen(w->run_id));
    for (i = 0; rc == 0 && i < w->nparts; i++) {
        /* the temporaries' names in it outlive a crash before the checkpoint */
        if (rill__fsync_dir(w->parts[i].dir) < 0 && errno != ENOENT)
            return rill__error(RILL_EIO, "cannot sync %s: %s", w->parts[i].dir, strerror(errno));
        rc = rill_batch_add_keyed(out, "part", 4, &w->parts[i].next, sizeof(size_t)) < 0
                 ? RILL_ENOMEM
                 : rill_batch_add(out, w->parts[i].dir, strlen(w->parts[i].dir));
    }
    for (i = 0; rc == 0 && i < w->nfiles; i++) {
        const rill__outfile *f = &w->files[i];
        uint64_t id[4] = {f->dev, f->ino, f->size, f->mtime};
        rc = rill_batch_add_keyed(out, "file", 4, f->tmp, strlen(f->tmp)) < 0 ||
                     rill_batch_add(out, f->fin, strlen(f->fin)) < 0 ||
                     rill_batch_add_keyed(out, "ident", 5, id, sizeof(id)) < 0
                 ? RILL_ENOMEM
                 : 0;
    }
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
        if (r.key_len == 5 && memcmp(r.key, "ident", 5) == 0) { /* of the file before */
            uint64_t id[4];
            if (w->nfiles == 0 || r.len != sizeof(id))
                return rill__error(RILL_ECORRUPT, "the checkpoint's output files are not "
                                   "readable");
            memcpy(id, r.data, sizeof(id));
            w->files[w->nfiles - 1].dev = id[0];
            w->files[w->nfiles - 1].ino = id[1];
            w->files[w->nfiles - 1].size = id[2];
            w->files[w->nfiles - 1].mtime = id[3];
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
            memset(&p[w->nparts], 0, sizeof(*p));
            if ((p[w->nparts].dir = dup_bytes(next.data, next.len)) == NULL)
                return rill__error(RILL_ENOMEM, "out of memory");
            memcpy(&p[w->nparts].next, r.data, sizeof(size_t));
            w->nparts++;
        } else {
            rill__outfile *f;
            if (grow_files(w) < 0)
                return RILL_ENOMEM;
            f = &w->files[w->nfiles];
            memset(f, 0, sizeof(*f));
            f->tmp = dup_bytes(r.data, r.len);
            f->fin = dup_bytes(next.data, next.len);
            if (f->tmp == NULL || f->fin == NULL) {
                free(f->tmp);
                free(f->fin);
                return rill__error(RILL_ENOMEM, "out of memory");
            }
            w->nfiles++;
        }
    }
    w->named = w->nfiles; /* the checkpoint's */
    return 0;
}

void rill__writer_forget(rill__writer *w)
{
    size_t i;
    close_all(w, 0);
    for (i = w->named; i < w->nfiles; i++) /* no checkpoint names them: no resume needs them */
        unlink(w->files[i].tmp);
    for (i = 0; i < w->nfiles; i++) {
        free(w->files[i].tmp);
        free(w->files[i].fin);
    }
    w->nfiles = w->named = 0;
    for (i = 0; i < w->nparts; i++)
        free(w->parts[i].dir);
    w->nparts = 0;
}
