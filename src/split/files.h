/* files.h — how the file sources (sources.c) read their inputs: an input's
 * identity, recorded when the work list is expanded and carried in the key
 * of each path (so units and checkpoints keep it), and a reader that copies
 * a regular file's bytes into a buffer with pread (a file that shrinks is an
 * error naming it, never a SIGBUS as under mmap) or reads anything else as a
 * stream with read(2). */
#ifndef RILL_SPLIT_FILES_H
#define RILL_SPLIT_FILES_H

#include <stdint.h>
#include <sys/stat.h>

#include "rill.h"
#include "rill/sys/source.h"

/* "rI", u8 version 1, then u64 device, inode, size and mtime in ns, all
 * little-endian: the key of a path the expanding job emits. */
#define RILL__IDENT_LEN 35

typedef struct rill__ident {
    uint64_t dev, ino;
    int64_t size, mtime_ns;
} rill__ident;

void rill__ident_of(rill__ident *id, const struct stat *st);
void rill__ident_put(unsigned char out[RILL__IDENT_LEN], const rill__ident *id);
/* 1 and *id when the element's key is an identity, else 0. */
int rill__ident_get(rill__ident *id, const rill_record *el);
/* Not a regular file of known size: a pipe, FIFO, terminal, socket or
 * character device, or a regular file reporting 0 bytes (/proc's). */
int rill__is_stream(const struct stat *st);
/* RILL_EIO naming path when st is not the file the element's identity
 * recorded (inode, size or modification time differ); 0 otherwise. */
int rill__ident_check(const rill_record *el, const char *path, const struct stat *st);

/* The element's bytes as a NUL-terminated path in buf. */
int rill__path_of(const rill_record *el, char *buf, size_t cap);

typedef struct rill__file {
    int fd, stream;
    int64_t size;        /* regular files: the bytes there were at open */
    struct stat st;      /* at open */
    char *buf;           /* owned: bytes [base, base + len) of the file */
    size_t cap, len;
    int64_t base;
    int blocks;          /* emit blocks of whole lines, not lines: 1 for
                            rill_read_blocks, 2 for a job that takes them
                            (counted as lines: rill__emit_line_block) */
    char path[4096];
} rill__file;

/* Opens the element's file and checks it against its identity. */
int rill__file_open(rill__file *f, const rill_record *el);
/* Makes the buffer hold [keep, to) (to <= size), keeping it in one piece;
 * a file that now has fewer bytes is RILL_EIO naming it. */
int rill__file_need(rill__file *f, int64_t keep, int64_t to);
static inline const char *rill__file_at(const rill__file *f, int64_t off)
{
    return f->buf + (off - f->base);
}
/* The start of the line after the one holding q (or the size); the buffer
 * keeps [keep, ...) while it is looked for. */
int rill__file_next_line(rill__file *f, int64_t keep, int64_t q, int64_t *out);
/* Emits each line starting in [from, until); with f->blocks, those lines
 * as blocks of about RILL__FILE_BLOCK bytes, each line with its '\n'. */
#define RILL__FILE_BLOCK (64 * 1024)
int rill__file_emit_lines(rill_emitter *out, rill__file *f, int64_t from, int64_t until);
/* Emits every line of a stream, reading it to its end (with f->blocks, the
 * whole lines of each read as one block). */
int rill__file_stream_lines(rill_emitter *out, rill__file *f);
/* RILL_EIO naming the file when it changed since it was opened. */
int rill__file_check(rill__file *f);
void rill__file_close(rill__file *f);

/* What the file sources share (sources.c). The names in p's work list, what
 * they read and how (self: a file_source), for describe. */
int rill__files_describe(const void *self, const rill_pipeline *p, rill_batch *out);
/* Declares a file source of kind ops with its chunk and record size. */
int rill__declare_files(rill_pipeline *p, const rill_source *ops, int64_t chunk,
                        int64_t record_size);
/* Adds the job before a file source's splittable stage name that expands
 * the work list's globs ("NAME.files", into glob_name). */
int rill__add_files(rill_pipeline *p, const char *call, const char *name, char *glob_name,
                    size_t cap);

#endif
