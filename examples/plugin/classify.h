/* classify.h — a reusable piece of pipeline (rill_use, rill/pipeline.h):
 * classify text records by length and count each class. Used from C by
 * examples/pieces.c and offered to specs by the example plugin
 * (`use: libexample_plugin.so:classify`). */
#ifndef EXAMPLE_CLASSIFY_H
#define EXAMPLE_CLASSIFY_H

#include <rill.h>

/* The piece's payload: what it classifies with (job_stream's MyClass). */
typedef struct classifier {
    int64_t long_at;         /* records of at least this many bytes are long */
    const char *short_label; /* the classes' names */
    const char *long_label;
} classifier;

/* A rill_piece_fn. Stages: NAME labels each record with its class (a keyed
 * record), NAME.count counts each class, NAME.text makes "CLASS COUNT"
 * text. payload: a classifier (borrowed; NULL: short below 5 bytes).
 * options: long=N (bytes) overrides the payload's long_at. */
int classify_piece(rill_pipeline *p, const char *name, const char *const *options,
                   void *payload);

#endif
