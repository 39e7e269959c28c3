/* writer.h — the directory writer's side that runs call: it learns when a
 * run starts (how many sinks there are) and how it ended (publish or drop
 * what it wrote). */
#ifndef RILL_IO_WRITER_H
#define RILL_IO_WRITER_H

#include <stdint.h>
#include <stdio.h>

#include "rill/io.h"

typedef struct rill__writer rill__writer;

/* A file written: its temporary and final names (owned) and the identity
 * of the file once written: device, inode, size and modification time in
 * nanoseconds (all 0 when unknown: a checkpoint of an older rill). */
typedef struct rill__outfile {
    char *tmp, *fin;
    uint64_t dev, ino, size, mtime;
} rill__outfile;

/* A run starts with nsinks sinks: forget the files of any run before. */
int rill__writer_begin(rill__writer *w, int nsinks);
/* The run ended: ok publishes every file under its final name (publish.c),
 * else every temporary file is removed. Returns an error when a file could
 * not be published; the list is then kept, for forget (a checkpoint names
 * the files) or end(0) (the temporaries go; what was published stays). */
int rill__writer_end(rill__writer *w, int ok);
void rill__writer_free(rill__writer *w);

/* Checkpoints: the run id, the folders' file counters and the files
 * written so far, as records; and back. Forgetting drops the lists without
 * touching the files (a checkpointed run that fails keeps them for resume). */
int rill__writer_save(const rill__writer *w, rill_batch *out);
int rill__writer_restore(rill__writer *w, const rill_batch *in);
void rill__writer_forget(rill__writer *w);

/* publish.c: renames files[0..n) to their final names, checked first, then
 * syncs their folders; with run_id, then removes the other files of that
 * run id in dir. An error names the path and the system's reason. */
int rill__publish(rill__outfile *files, size_t n, const char *dir, const char *run_id);
/* Creates dir/.<name>.<random>.tmp exclusively, never through a link;
 * its path into path. Returns the descriptor, or -1 and errno. */
int rill__tmp_open(char *path, size_t cap, const char *dir, const char *name);
/* fsync of a folder, and of the folder a path is in: 0 or -1 and errno. */
int rill__fsync_dir(const char *path);
int rill__sync_parent(const char *path);
/* Whether st is the file f was written as (its identity). */
struct stat;
int rill__same_file(const rill__outfile *f, const struct stat *st);

/* format.c: one record in format, and whether bytes are valid UTF-8. */
void rill__put_record(FILE *f, rill_format format, const rill_record *r);
int rill__utf8_valid(const void *bytes, size_t n);

#endif
