/* writer.h — the directory writer's side that runs call: it learns when a
 * run starts (how many sinks there are) and how it ended (publish or drop
 * what it wrote). */
#ifndef RILL_IO_WRITER_H
#define RILL_IO_WRITER_H

#include "rill/io.h"

typedef struct rill__writer rill__writer;

/* A run starts with nsinks sinks: forget the files of any run before. */
int rill__writer_begin(rill__writer *w, int nsinks);
/* The run ended: ok publishes every file under its final name, else every
 * file is removed. Returns an error when a file could not be published. */
int rill__writer_end(rill__writer *w, int ok);
void rill__writer_free(rill__writer *w);

/* Checkpoints: the run id, the folders' file counters and the files
 * written so far, as records; and back. Forgetting drops the lists without
 * touching the files (a checkpointed run that fails keeps them for resume). */
int rill__writer_save(const rill__writer *w, rill_batch *out);
int rill__writer_restore(rill__writer *w, const rill_batch *in);
void rill__writer_forget(rill__writer *w);

#endif
