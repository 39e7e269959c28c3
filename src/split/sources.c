/* sources.c — splittable stages and rill's built-in splittable sources:
 * lines of text files, fixed-size binary records, a counting sequence.
 *
 * The file sources claim one position per block of work (the start of the
 * block's last line, the index of its last record), not one per line: a
 * claim of q owns every position up to q, since no split point can fall at
 * or before the last attempted position. When such a claim fails the
 * range's end is at or before q and can no longer move (a split point would
 * have to lie after q), so the lines that start before that end are still
 * this call's to read. A line belongs to the range holding its first byte. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <stdatomic.h>
#include <unistd.h>

#include "split.h"
#include "../util/error.h"

#define BLOCK (64 * 1024)

static int lines_initial(const rill_record *el, rill_restriction *r, void *payload);
static int records_initial(const rill_record *el, rill_restriction *r, void *payload);
static int sequence_initial(const rill_record *el, rill_restriction *r, void *payload);

int rill_splittable(rill_pipeline *p, const char *name, const rill_splittable_options *o,
                    void *payload)
{
    rill__stage *s;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_splittable: the pipeline is NULL");
    if ((rc = rill__check_stage(p, "rill_splittable", name, o ? &o->version : NULL,
                                RILL_SPLITTABLE_OPTIONS_VERSION,
                                "RILL_SPLITTABLE_OPTIONS_INIT")) < 0)
        return rc;
    if (o == NULL || o->initial == NULL || o->process == NULL)
        return rill__misuse(p, RILL_EPIPELINE, "rill_splittable '%.200s': the %s callback is "
                            "NULL", name, o && o->initial ? "process" : "initial");
    if ((rc = rill__add_stage(p, &rill__kind_splittable, name, &s)) < 0)
        return rc;
    s->split = *o; /* version 2's fields: the version was checked */
    s->builtin = o->initial == lines_initial || o->initial == records_initial ||
                 o->initial == sequence_initial;
    s->payload = payload;
    return 0;
}

int rill_on_progress(rill_pipeline *p, unsigned interval_ms, rill_progress_fn fn, void *payload)
{
    int rc;
    if ((rc = rill__hook_check(p, "rill_on_progress", fn != NULL, 0, "progress")) < 0)
        return rc;
    p->progress = fn;
    p->progress_payload = payload;
    p->progress_ms = interval_ms ? interval_ms : 1000;
    return 0;
}

/* ---- the sources' configurations (rill/sys/source.h) ---- */

/* Canonical bytes: integers little-endian whatever the host. */
static int put_i64(rill_batch *out, int64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (8 * i));
    return rill_batch_add(out, b, 8);
}

typedef struct file_source {
    int64_t chunk;       /* bytes (lines) or records a unit of work covers */
    int64_t record_size; /* records: bytes of each; lines: 0 */
} file_source;

/* The file names of the work list, what they read and how. */
static int files_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const file_source *f = self;
    size_t i, n = p->work ? rill_batch_count(p->work) : 0;
    int rc = put_i64(out, f->chunk);
    if (rc == 0)
        rc = put_i64(out, f->record_size);
    for (i = 0; i < n && rc == 0; i++) {
        rill_record r;
        rill_batch_get(&r, p->work, i);
        rc = rill_batch_add(out, r.data, r.len);
    }
    return rc;
}

static const rill_source lines_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "lines",
    .flags = RILL_SOURCE_BOUNDED | RILL_SOURCE_SPLITTABLE,
    .describe = files_describe,
    .free = free,
};

static const rill_source records_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "records",
    .flags = RILL_SOURCE_BOUNDED | RILL_SOURCE_SPLITTABLE,
    .describe = files_describe,
    .free = free,
};

static int declare_files(rill_pipeline *p, const rill_source *ops, int64_t chunk,
                         int64_t record_size)
{
    file_source *f = malloc(sizeof(*f));
    int rc;
    if (f == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    f->chunk = chunk;
    f->record_size = record_size;
    if ((rc = rill__pipeline_declare(p, ops, f)) < 0)
        free(f);
    return rc;
}

/* ---- files ---- */

/* The element's bytes as a NUL-terminated path in buf. */
static int path_of(const rill_record *el, char *buf, size_t cap)
{
    if (el->len == 0 || el->len >= cap || memchr(el->data, 0, el->len))
        return rill__error(RILL_EINVAL, "not a file name");
    memcpy(buf, el->data, el->len);
    buf[el->len] = '\0';
    return 0;
}

/* Job: a path or glob in, the matching paths out (an error if none). */
static int expand_glob(rill_emitter *out, const rill_record *in, void *payload)
{
    char pattern[4096];
    glob_t g;
    size_t i;
    int rc;
    (void)payload;
    if ((rc = path_of(in, pattern, sizeof(pattern))) < 0)
        return rc;
    rc = glob(pattern, GLOB_ERR, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        if (strpbrk(pattern, "*?[") == NULL)
            rill_error_set("no file '%s'", pattern);
        else
            rill_error_set("no file matches '%s'", pattern);
        return RILL_ENOTFOUND;
    }
    if (rc != 0) {
        rill_error_set("cannot list '%s'", pattern);
        return RILL_EIO;
    }
    for (i = 0; i < g.gl_pathc && rc == 0; i++)
        rc = rill_emit_text(out, g.gl_pathv[i]);
    globfree(&g);
    return rc;
}

typedef struct mapped {
    const char *text;
    size_t size;
    char path[4096];
} mapped;

static int map_file(const rill_record *el, mapped *m)
{
    struct stat st;
    int fd, rc;
    m->text = NULL;
    m->size = 0;
    if ((rc = path_of(el, m->path, sizeof(m->path))) < 0)
        return rc;
    if ((fd = open(m->path, O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
        rc = errno == ENOENT ? RILL_ENOTFOUND : RILL_EIO;
        rill_error_set("cannot open %s: %s", m->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    m->size = (size_t)st.st_size;
    if (m->size) {
        void *t = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (t == MAP_FAILED) {
            close(fd);
            rill_error_set("cannot map %s: %s", m->path, strerror(errno));
            return RILL_EIO;
        }
        madvise(t, m->size, MADV_SEQUENTIAL);
        m->text = t;
    }
    close(fd);
    return 0;
}

static void unmap_file(mapped *m)
{
    if (m->text)
        munmap((void *)m->text, m->size);
}

static int file_size(const rill_record *el, int64_t *size)
{
    char path[4096];
    struct stat st;
    int rc;
    if ((rc = path_of(el, path, sizeof(path))) < 0)
        return rc;
    if (stat(path, &st) < 0) {
        rc = errno == ENOENT ? RILL_ENOTFOUND : RILL_EIO;
        rill_error_set("cannot open %s: %s", path, strerror(errno));
        return rc;
    }
    *size = (int64_t)st.st_size;
    return 0;
}

static int lines_initial(const rill_record *el, rill_restriction *r, void *payload)
{
    (void)payload;
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    return file_size(el, &r->to);
}

/* The start of the line after the one holding position q. Lines are short
 * and found one after another, so the newline is looked for eight bytes at
 * a time inline rather than by a call into libc for each. */
static size_t next_line(const mapped *m, size_t q)
{
    const unsigned char *t = (const unsigned char *)m->text;
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (q + 8 <= m->size) {
        uint64_t v;
        memcpy(&v, t + q, 8);
        v ^= ones * '\n';
        v = (v - ones) & ~v & highs; /* a high bit where a byte was '\n' */
        if (v)
            return q + (size_t)(__builtin_ctzll(v) >> 3) + 1;
        q += 8;
    }
    for (; q < m->size; q++)
        if (t[q] == '\n')
            return q + 1;
    return m->size;
}

static int emit_lines(rill_emitter *out, const mapped *m, size_t from, size_t until)
{
    int rc = 0;
    while (from < until && rc == 0) { /* each line starting before until */
        size_t next = next_line(m, from), end = next;
        if (end > from && m->text[end - 1] == '\n')
            end--;
        rc = rill_emit(out, m->text + from, end - from);
        from = next;
    }
    return rc;
}

static int lines_process(rill_emitter *out, const rill_record *el, rill_tracker *t, void *payload)
{
    rill_restriction r;
    mapped m;
    size_t pos;
    int rc;
    (void)payload;
    rill_tracker_current(&r, t);
    if ((rc = map_file(el, &m)) < 0)
        return rc;
    pos = (size_t)r.from;
    if (pos > 0 && pos <= m.size) /* the first line starting in the range */
        pos = next_line(&m, pos - 1);
    for (;;) {
        size_t q, last;
        if (pos >= m.size) { /* attempt the end, so the range is done */
            rc = rill_tracker_try_claim(t, (int64_t)m.size);
            rc = rc < 0 ? rc : 0;
            break;
        }
        /* the block's last line start, found from its end: the scan
         * forward happens once, as the lines are emitted */
        q = pos + BLOCK < m.size ? pos + BLOCK : m.size;
        {
            const char *nl = q - pos > 1 ? memrchr(m.text + pos, '\n', q - 1 - pos) : NULL;
            last = nl ? (size_t)(nl - m.text) + 1 : pos;
        }
        q = next_line(&m, last);
        if ((rc = rill_tracker_try_claim(t, (int64_t)last)) < 0)
            break;
        if (rc == 1) {
            if ((rc = emit_lines(out, &m, pos, q)) != 0)
                break;
            pos = q;
            continue;
        }
        rill_tracker_current(&r, t); /* the end is fixed now */
        rc = emit_lines(out, &m, pos, (size_t)r.to);
        break;
    }
    unmap_file(&m);
    return rc;
}

/* The job before a file source's splittable stage that expands the work
 * list's globs into paths: a helper (builtin 2), whose errors name the
 * user's stage. name is checked for call; the helper's name, into
 * glob_name, is taken the same way. */
static int add_files(rill_pipeline *p, const char *call, const char *name, char *glob_name,
                     size_t cap)
{
    int rc;
    if ((rc = rill__check_stage(p, call, name, NULL, 0, NULL)) < 0)
        return rc;
    snprintf(glob_name, cap, "%.250s.files", name);
    if ((rc = rill_job(p, glob_name, NULL, expand_glob, NULL)) < 0)
        return rc;
    p->stages[p->n - 1].builtin = 2;
    return 0;
}

int rill_read_lines(rill_pipeline *p, const char *name, int64_t chunk_bytes)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    char glob_name[300];
    void *payload = NULL;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_read_lines: the pipeline is NULL");
    o.initial = lines_initial;
    o.process = lines_process;
    o.chunk = chunk_bytes > 0 ? chunk_bytes : (int64_t)64 << 20;
    o.min_split = 256 * 1024;
    if ((rc = add_files(p, "rill_read_lines", name, glob_name, sizeof(glob_name))) < 0)
        return rc;
    if ((rc = rill_splittable(p, name, &o, payload)) < 0 ||
        (rc = declare_files(p, &lines_source, o.chunk, 0)) < 0)
        return rc;
    return p->nedges ? rill_edge(p, glob_name, name) : 0;
}

/* ---- fixed-size records ---- */

static int records_initial(const rill_record *el, rill_restriction *r, void *payload)
{
    size_t rs = (size_t)(uintptr_t)payload;
    char path[4096];
    int rc;
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    if ((rc = file_size(el, &r->to)) < 0)
        return rc;
    if ((uint64_t)r->to % rs) {
        path_of(el, path, sizeof(path));
        rill_error_set("%s holds %lld bytes, not a whole number of %zu-byte records", path,
                       (long long)r->to, rs);
        return RILL_ECORRUPT;
    }
    r->to /= (int64_t)rs;
    return 0;
}

static int records_process(rill_emitter *out, const rill_record *el, rill_tracker *t,
                           void *payload)
{
    size_t rs = (size_t)(uintptr_t)payload;
    int64_t i, last, n;
    rill_restriction r;
    mapped m;
    int rc;
    rill_tracker_current(&r, t);
    if ((rc = map_file(el, &m)) < 0)
        return rc;
    n = (int64_t)(m.size / rs);
    for (i = r.from;; i = last + 1) {
        last = i + 1023 < n ? i + 1023 : n - 1;
        if (i >= n) {
            rc = rill_tracker_try_claim(t, n);
            rc = rc < 0 ? rc : 0;
            break;
        }
        if ((rc = rill_tracker_try_claim(t, last)) < 0)
            break;
        if (rc == 0) {
            rill_tracker_current(&r, t); /* the end is fixed now */
            last = r.to - 1;
        }
        for (; i <= last && rc >= 0; i++)
            rc = rill_emit(out, m.text + (size_t)i * rs, rs);
        if (rc < 0 || i >= r.to)
            break;
    }
    unmap_file(&m);
    return rc < 0 ? rc : 0;
}

int rill_read_records(rill_pipeline *p, const char *name, size_t record_size,
                      int64_t chunk_records)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    char glob_name[300];
    void *payload;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_read_records: the pipeline is NULL");
    if (record_size == 0)
        return rill__misuse(p, RILL_EINVAL, "rill_read_records '%.200s': the record size is 0",
                            name ? name : "(unnamed)");
    o.initial = records_initial;
    o.process = records_process;
    o.chunk = chunk_records > 0 ? chunk_records : (int64_t)(((size_t)64 << 20) / record_size + 1);
    o.min_split = 4096;
    payload = (void *)(uintptr_t)record_size;
    if ((rc = add_files(p, "rill_read_records", name, glob_name, sizeof(glob_name))) < 0)
        return rc;
    if ((rc = rill_splittable(p, name, &o, payload)) < 0 ||
        (rc = declare_files(p, &records_source, o.chunk, (int64_t)record_size)) < 0)
        return rc;
    return p->nedges ? rill_edge(p, glob_name, name) : 0;
}

/* ---- a counting sequence ---- */

typedef struct sequence {
    int64_t from, to;
    double per_second;
    _Atomic long long start_ns; /* when the first value was due; 0: not yet */
} sequence;

/* From, to and the rate; the time it started is not configuration. */
static int sequence_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const sequence *q = self;
    int64_t rate;
    int rc;
    (void)p;
    memcpy(&rate, &q->per_second, sizeof(rate)); /* IEEE 754 bits */
    if ((rc = put_i64(out, q->from)) == 0 && (rc = put_i64(out, q->to)) == 0)
        rc = put_i64(out, rate);
    return rc;
}

/* The stage owns the sequence's state: nothing to free here. */
static const rill_source sequence_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "sequence",
    .flags = RILL_SOURCE_BOUNDED | RILL_SOURCE_SPLITTABLE,
    .describe = sequence_describe,
};

static const rill_source endless_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "sequence",
    .flags = RILL_SOURCE_SPLITTABLE,
    .describe = sequence_describe,
};

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long started(sequence *q)
{
    long long zero = 0, now = mono_ns();
    if (atomic_compare_exchange_strong(&q->start_ns, &zero, now))
        return now;
    return zero;
}

/* How far an endless sequence should have got by now. */
static int64_t sequence_due(void *payload)
{
    sequence *q = payload;
    double n = q->per_second > 0 ? (double)(mono_ns() - started(q)) * 1e-9 * q->per_second
                                 : 1e12; /* unrated: a long way ahead */
    __int128 due = (__int128)q->from + (n > 9e18 ? (__int128)INT64_MAX : (__int128)n) + 1;
    return due >= INT64_MAX ? INT64_MAX - 1 : (int64_t)due;
}

static int sequence_initial(const rill_record *el, rill_restriction *r, void *payload)
{
    sequence *q = payload;
    (void)el;
    atomic_store(&q->start_ns, 0); /* a new run starts the clock again */
    r->kind = RILL_RANGE_OFFSET;
    r->from = q->from;
    r->to = q->to;
    return 0;
}

/* Emits values as they fall due; an endless one returns to be resumed after
 * a while (or when it is ahead of its rate), leaving a checkpoint. */
static int sequence_process(rill_emitter *out, const rill_record *el, rill_tracker *t,
                            void *payload)
{
    sequence *q = payload;
    long long t0 = mono_ns(), start = started(q);
    rill_restriction r;
    int64_t v, n = 0;
    int rc;
    (void)el;
    rill_tracker_current(&r, t);
    for (v = r.from;; v++) {
        if (q->per_second > 0 &&
            (double)(mono_ns() - start) * 1e-9 * q->per_second < (double)(v - q->from))
            return RILL_PROCESS_RESUME; /* ahead of the rate */
        if ((rc = rill_tracker_try_claim(t, v)) <= 0)
            return rc < 0 ? rc : RILL_PROCESS_DONE;
        if ((rc = rill_emit_int64(out, v)) != 0)
            return rc;
        if (q->to == RILL_OFFSET_INFINITY && (++n >= 65536 || mono_ns() - t0 > 50000000LL))
            return RILL_PROCESS_RESUME;
    }
}

int rill_sequence(rill_pipeline *p, const char *name, int64_t from, int64_t to,
                  double per_second)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    sequence *q;
    rill_batch *one = NULL;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_sequence: the pipeline is NULL");
    if ((rc = rill__check_stage(p, "rill_sequence", name, NULL, 0, NULL)) < 0)
        return rc;
    if (from > to || !(per_second >= 0))
        return rill__misuse(p, RILL_EINVAL, "rill_sequence '%.200s': from <= to and a rate "
                            ">= 0 are needed", name);
    if ((q = calloc(1, sizeof(*q))) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    q->from = from;
    q->to = to;
    q->per_second = per_second;
    if ((rc = rill_batch_new(&one)) < 0 || (rc = rill_batch_add(one, "", 0)) < 0) {
        rill_batch_free(one);
        free(q);
        return rc;
    }
    rill_batch_free(p->work); /* the sequence's one record replaces the work list */
    p->work = one;
    o.initial = sequence_initial;
    o.process = sequence_process;
    o.estimate = to == RILL_OFFSET_INFINITY ? sequence_due : NULL;
    o.chunk = to == RILL_OFFSET_INFINITY ? 0 : 1 << 20;
    /* an endless sequence runs in order, one residual after the other: a
     * split would only run ahead of it */
    o.min_split = to == RILL_OFFSET_INFINITY ? INT64_MAX : 4096;
    o.resume_ms = per_second > 0 ? 10 : 0;
    if ((rc = rill_splittable(p, name, &o, q)) < 0) {
        free(q);
        return rc;
    }
    p->stages[p->n - 1].owned = q; /* freed with the pipeline */
    return rill__pipeline_declare(p, to == RILL_OFFSET_INFINITY ? &endless_source
                                                                : &sequence_source, q);
}
