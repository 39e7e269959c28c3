/* sources.c — splittable stages and rill's built-in splittable sources:
 * lines of text files, fixed-size binary records, a counting sequence.
 *
 * The file sources claim one position per block of work (the start of the
 * block's last line, the index of its last record), not one per line: a
 * claim of q owns every position up to q, since no split point can fall at
 * or before the last attempted position. When such a claim fails the
 * range's end is at or before q and can no longer move (a split point would
 * have to lie after q), so the lines that start before that end are still
 * this call's to read. A line belongs to the range holding its first byte.
 * Files are read through files.h: with pread, checked against the identity
 * their path was listed with, and as one stream when they are not regular. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <stdatomic.h>
#include <unistd.h>

#include "files.h"
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
int rill__files_describe(const void *self, const rill_pipeline *p, rill_batch *out)
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
    .describe = rill__files_describe,
    .free = free,
};

static const rill_source blocks_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "blocks",
    .flags = RILL_SOURCE_BOUNDED | RILL_SOURCE_SPLITTABLE,
    .describe = rill__files_describe,
    .free = free,
};

static const rill_source records_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "records",
    .flags = RILL_SOURCE_BOUNDED | RILL_SOURCE_SPLITTABLE,
    .describe = rill__files_describe,
    .free = free,
};

int rill__declare_files(rill_pipeline *p, const rill_source *ops, int64_t chunk,
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

/* Emits path keyed by its identity (files.h), taken now: units made of it
 * later, also by a resumed run, read the file only while it is the same. */
static int emit_path(rill_emitter *out, const char *path)
{
    unsigned char key[RILL__IDENT_LEN];
    rill__ident id;
    struct stat st;
    if (stat(path, &st) < 0) {
        int rc = rill__errno_code(errno);
        rill_error_set("cannot open %s: %s", path, strerror(errno));
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        rill_error_set("cannot read %s: %s", path, strerror(EISDIR));
        return RILL_EISDIR;
    }
    rill__ident_of(&id, &st);
    rill__ident_put(key, &id);
    return rill_emit_keyed(out, key, sizeof(key), path, strlen(path));
}

/* Job: a path or glob in, the matching paths out (an error if none). A
 * name that exists is taken literally, whatever characters it holds; only
 * one that does not is a glob. */
static int expand_glob(rill_emitter *out, const rill_record *in, void *payload)
{
    char pattern[4096];
    struct stat st;
    glob_t g;
    size_t i;
    int rc;
    (void)payload;
    if ((rc = rill__path_of(in, pattern, sizeof(pattern))) < 0)
        return rc;
    if (strcmp(pattern, "-") == 0) /* standard input, as it comes (no identity) */
        return rill_emit(out, "-", 1);
    if (stat(pattern, &st) == 0 || strpbrk(pattern, "*?[") == NULL)
        return emit_path(out, pattern);
    rc = glob(pattern, GLOB_ERR, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        rill_error_set("no file matches '%s'", pattern);
        return RILL_ENOTFOUND;
    }
    if (rc != 0) {
        rill_error_set("cannot list '%s'", pattern);
        return RILL_EIO;
    }
    for (i = 0; i < g.gl_pathc && rc == 0; i++)
        rc = emit_path(out, g.gl_pathv[i]);
    globfree(&g);
    return rc;
}

/* The element's file as it is now, checked against its identity. */
static int stat_input(const rill_record *el, char *path, size_t cap, struct stat *st)
{
    int rc;
    if ((rc = rill__path_of(el, path, cap)) < 0)
        return rc;
    if (strcmp(path, "-") == 0 && fstat(0, st) == 0)
        return 0;
    if (stat(path, st) < 0) {
        rc = rill__errno_code(errno);
        rill_error_set("cannot open %s: %s", path, strerror(errno));
        return rc;
    }
    if (S_ISDIR(st->st_mode)) {
        rill_error_set("cannot read %s: %s", path, strerror(EISDIR));
        return RILL_EISDIR;
    }
    return rill__ident_check(el, path, st);
}

/* A regular file: its bytes. A stream (files.h): the one position 0, read
 * in one call from start to end. */
static int lines_initial(const rill_record *el, rill_restriction *r, void *payload)
{
    char path[4096];
    struct stat st;
    int rc;
    (void)payload;
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    if ((rc = stat_input(el, path, sizeof(path), &st)) < 0)
        return rc;
    r->to = rill__is_stream(&st) || strcmp(path, "-") == 0 ? 1 : (int64_t)st.st_size;
    return 0;
}

static int lines_of_file(rill_emitter *out, rill__file *f, rill_tracker *t)
{
    rill_restriction r;
    int64_t pos, q, last;
    int rc;
    rill_tracker_current(&r, t);
    pos = r.from;
    if (pos > 0 && pos <= f->size && /* the first line starting in the range */
        (rc = rill__file_next_line(f, pos - 1, pos - 1, &pos)) < 0)
        return rc;
    for (;;) {
        const char *nl;
        if (pos >= f->size) { /* attempt the end, so the range is done */
            rc = rill_tracker_try_claim(t, f->size);
            return rc < 0 ? rc : 0;
        }
        /* the block's last line start, found from its end: the scan
         * forward happens once, as the lines are emitted */
        q = pos + BLOCK < f->size ? pos + BLOCK : f->size;
        if ((rc = rill__file_need(f, pos, q)) < 0)
            return rc;
        nl = q - pos > 1 ? memrchr(rill__file_at(f, pos), '\n', (size_t)(q - 1 - pos)) : NULL;
        last = nl ? pos + (nl - rill__file_at(f, pos)) + 1 : pos;
        if ((rc = rill__file_next_line(f, pos, last, &q)) < 0)
            return rc;
        if ((rc = rill_tracker_try_claim(t, last)) < 0)
            return rc;
        if (rc == 1) {
            if ((rc = rill__file_emit_lines(out, f, pos, q)) != 0)
                return rc;
            pos = q;
            continue;
        }
        rill_tracker_current(&r, t); /* the end is fixed now */
        return rill__file_emit_lines(out, f, pos, r.to);
    }
}

static int lines_process(rill_emitter *out, const rill_record *el, rill_tracker *t, void *payload)
{
    rill__file f;
    int rc;
    if ((rc = rill__file_open(&f, el)) == 0) {
        f.blocks = payload ? 1 /* rill_read_blocks */ : rill__emitter_line_blocks(out) ? 2 : 0;
        if (!f.stream)
            rc = lines_of_file(out, &f, t);
        else if ((rc = rill_tracker_try_claim(t, 0)) == 1)
            rc = rill__file_stream_lines(out, &f);
        rc = rc < 0 ? rc : rc > 0 ? rc : rill__file_check(&f);
    }
    rill__file_close(&f);
    return rc;
}

/* The job before a file source's splittable stage that expands the work
 * list's globs into paths: a helper (builtin 2), whose errors name the
 * user's stage. name is checked for call; the helper's name, into
 * glob_name, is taken the same way. */
int rill__add_files(rill_pipeline *p, const char *call, const char *name, char *glob_name,
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

static int read_text(rill_pipeline *p, const char *call, const char *name,
                     int64_t chunk_bytes, int blocks)
{
    rill_splittable_options o = RILL_SPLITTABLE_OPTIONS_INIT;
    char glob_name[300];
    void *payload = (void *)(uintptr_t)blocks; /* lines_process: blocks or lines */
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "%s: the pipeline is NULL", call);
    if (chunk_bytes < 0)
        return rill__misuse(p, RILL_EINVAL, "%s '%.200s': a chunk of %lld bytes; "
                            "0 (the default) or more", call, name ? name : "(unnamed)",
                            (long long)chunk_bytes);
    o.initial = lines_initial;
    o.process = lines_process;
    o.chunk = chunk_bytes > 0 ? chunk_bytes : (int64_t)64 << 20;
    o.min_split = 256 * 1024;
    if ((rc = rill__add_files(p, call, name, glob_name, sizeof(glob_name))) < 0)
        return rc;
    if ((rc = rill_splittable(p, name, &o, payload)) < 0 ||
        (rc = rill__declare_files(p, blocks ? &blocks_source : &lines_source, o.chunk, 0)) < 0)
        return rc;
    return p->nedges ? rill_edge(p, glob_name, name) : 0;
}

int rill_read_lines(rill_pipeline *p, const char *name, int64_t chunk_bytes)
{
    return read_text(p, "rill_read_lines", name, chunk_bytes, 0);
}

int rill_read_blocks(rill_pipeline *p, const char *name, int64_t chunk_bytes)
{
    return read_text(p, "rill_read_blocks", name, chunk_bytes, 1);
}

/* ---- fixed-size records ---- */

static int records_initial(const rill_record *el, rill_restriction *r, void *payload)
{
    size_t rs = (size_t)(uintptr_t)payload;
    char path[4096];
    struct stat st;
    int rc;
    r->kind = RILL_RANGE_OFFSET;
    r->from = 0;
    if ((rc = stat_input(el, path, sizeof(path), &st)) < 0)
        return rc;
    if (!S_ISREG(st.st_mode)) {
        rill_error_set("cannot read records of %s: it is not a regular file", path);
        return RILL_EIO;
    }
    r->to = (int64_t)st.st_size;
    if ((uint64_t)r->to % rs) {
        rill_error_set("%s holds %lld bytes, not a whole number of %zu-byte records", path,
                       (long long)r->to, rs);
        return RILL_ECORRUPT;
    }
    r->to /= (int64_t)rs;
    return 0;
}

static int records_of_file(rill_emitter *out, rill__file *f, rill_tracker *t, size_t rs)
{
    int64_t i, last, n = f->size / (int64_t)rs;
    rill_restriction r;
    int rc;
    rill_tracker_current(&r, t);
    for (i = r.from;; i = last + 1) {
        last = i + 1023 < n ? i + 1023 : n - 1;
        if (i >= n) {
            rc = rill_tracker_try_claim(t, n);
            return rc < 0 ? rc : 0;
        }
        if ((rc = rill_tracker_try_claim(t, last)) < 0)
            return rc;
        if (rc == 0) {
            rill_tracker_current(&r, t); /* the end is fixed now */
            last = r.to - 1;
        }
        for (; i <= last && rc >= 0; i++) /* the buffer holds a record or more */
            if ((rc = rill__file_need(f, i * (int64_t)rs, (i + 1) * (int64_t)rs)) == 0)
                rc = rill_emit(out, rill__file_at(f, i * (int64_t)rs), rs);
        if (rc < 0 || i >= r.to)
            return rc < 0 ? rc : 0;
    }
}

static int records_process(rill_emitter *out, const rill_record *el, rill_tracker *t,
                           void *payload)
{
    rill__file f;
    int rc;
    if ((rc = rill__file_open(&f, el)) == 0) {
        if (f.stream) {
            rill_error_set("cannot read records of %s: it is not a regular file", f.path);
            rc = RILL_EIO;
        } else if ((rc = records_of_file(out, &f, t, (size_t)(uintptr_t)payload)) == 0) {
            rc = rill__file_check(&f);
        }
    }
    rill__file_close(&f);
    return rc;
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
    if (record_size == 0 || record_size > RILL_RECORD_MAX || chunk_records < 0)
        return rill__misuse(p, RILL_EINVAL, "rill_read_records '%.200s': records of %zu bytes "
                            "in chunks of %lld; a record is 1 byte to %u, a chunk 0 (the "
                            "default) or more", name ? name : "(unnamed)", record_size,
                            (long long)chunk_records, (unsigned)RILL_RECORD_MAX);
    o.initial = records_initial;
    o.process = records_process;
    o.chunk = chunk_records > 0 ? chunk_records : (int64_t)(((size_t)64 << 20) / record_size + 1);
    o.min_split = 4096;
    payload = (void *)(uintptr_t)record_size;
    if ((rc = rill__add_files(p, "rill_read_records", name, glob_name, sizeof(glob_name))) < 0)
        return rc;
    if ((rc = rill_splittable(p, name, &o, payload)) < 0 ||
        (rc = rill__declare_files(p, &records_source, o.chunk, (int64_t)record_size)) < 0)
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
