/* rill/io.h — getting output out of a run: pulled batch by batch from a
 * stream, or written to a directory partitioned by sink and key; and rill's
 * own record file format (docs/record-format.md) with its reader. */
#ifndef RILL_IO_H
#define RILL_IO_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- consuming a run batch by batch ---- */

typedef struct rill_stream rill_stream;

/* Starts p on worker threads and returns at once; the caller pulls what the
 * sinks emit. init runs before this returns; finish is not called (the
 * caller sees every batch). *out: caller closes with rill_stream_close. */
RILL_EXTERN int rill_stream_open(rill_stream **out, rill_pipeline *p,
                                 const rill_run_options *opts);
/* Waits for the next output batch: returns 1 with *batch (caller frees with
 * rill_batch_free) and *sink (the sink's name, valid while the stream is
 * open); 0 when the run has finished; a negative error when it failed.
 * Until it is called again the run pauses its source once the outputs
 * waiting for the caller fill the queues' bound (two batches a worker, and
 * two): no more is pulled, a splittable source's running units stop at
 * their next claim and its queued units wait, so a slow caller slows the
 * run instead of filling memory. */
RILL_EXTERN int rill_stream_next(rill_batch **batch, const char **sink, rill_stream *s);
/* Stops the run if it is still going, waits for its threads and frees it. */
RILL_EXTERN void rill_stream_close(rill_stream *s);

/* ---- writing a run's output to a directory ---- */

typedef enum rill_format {
    RILL_FORMAT_LINES, /* each record's data and a newline (.txt) */
    RILL_FORMAT_TSV,   /* key, tab, data; \\ \t \n \r escaped, and \xHH (two
                          lower-case hex digits) for any other control byte,
                          DEL and each byte not part of valid UTF-8 (.tsv) */
    RILL_FORMAT_JSONL, /* {"key": "...", "value": "..."} per line (.jsonl):
                          valid JSON for any bytes. '"', '\\' and control
                          characters (and DEL) are escaped; a key or value
                          that is not valid UTF-8 is written instead as
                          "key_base64" / "value_base64": the standard base64
                          (RFC 4648, padded) of its bytes. "key" is left out
                          for a record without one. */
    RILL_FORMAT_RILL   /* rill's length-prefixed records (.rill) */
} rill_format;

typedef enum rill_partition {
    RILL_PARTITION_AUTO,   /* by sink when the graph has more than one */
    RILL_PARTITION_ALWAYS,
    RILL_PARTITION_NEVER
} rill_partition;

/* Version 1 had no file_bytes. */
#define RILL_DIR_OPTIONS_VERSION 2
typedef struct rill_dir_options {
    unsigned version;
    const char *dir;        /* copied; created when missing */
    rill_format format;
    rill_partition by_sink; /* DIR/task=<sink>/... */
    const char *sink_label; /* copied; NULL: "task"; letters, digits, - and _ */
    int by_key;             /* DIR[/task=<sink>]/key=<key>/...; records
                               without a key go to key=~ */
    const char *run_id;     /* copied; NULL: made from the time and pid;
                               letters, digits, -, _ and . A run id given
                               names a whole set: see rill_output_dir */
    size_t file_bytes;      /* output batches are appended to one file per
                               partition; it is closed, and the next begun,
                               once it holds this many bytes, at each
                               checkpoint, and when more than 64 are open;
                               0: 256 MiB */
} rill_dir_options;
#define RILL_DIR_OPTIONS_INIT \
    {RILL_DIR_OPTIONS_VERSION, NULL, RILL_FORMAT_LINES, RILL_PARTITION_AUTO, NULL, 0, NULL, 0}

/* Writes the output batches to DIR[/task=<sink>][/key=<key>]/<run_id>-<n>.<ext>,
 * appending them to a partition's file until it is closed (file_bytes).
 * Files are written under temporary names beside them
 * (.<run_id>-<n>.<ext>.<random>.tmp, created exclusively and never through
 * a symbolic link), synced to disk, and given their final names only when
 * the run succeeds; a failed run removes them, leaving nothing under a
 * final name. Publishing checks every file first: something other than a
 * file standing at a final name (a folder, say) fails the run with
 * RILL_EIO naming the path and the system's reason, before any file is
 * renamed. A rename that fails later stops the publish there; nothing
 * published is removed, and with checkpointing (rill_checkpointing) the
 * state file lists every file and which are published, so a resume
 * publishes the rest (or names the obstacle again). The folders are synced
 * after the renames, before the run counts as finished.
 * A run id given (rather than made) replaces the whole set of that id:
 * once every file of the run is published, the files named
 * <run_id>-<n>.<ext> in DIR and its partition folders that this run did
 * not write (those of an earlier run with that id) are removed; a run that
 * fails removes none. Other files are never touched. Partition values are escaped: bytes other than ASCII letters,
 * digits, '-' and '_' become %XX, an empty value "%", and a value whose
 * escape is longer than 200 bytes is cut and ends in "~" and a hash, so no
 * value can name a path outside DIR. Replaces any rill_output callback. */
RILL_EXTERN int rill_output_dir(rill_pipeline *p, const rill_dir_options *opts);

/* The escaped form of a partition value (what rill_output_dir names its
 * folders with) into out, which must hold at least 201 bytes (with less it
 * gets "" and 0 comes back); returns the length. */
RILL_EXTERN size_t rill_partition_escape(char *out, size_t cap, const void *value,
                                         size_t len);

/* ---- rill's record files ---- */

typedef struct rill_reader rill_reader;

/* Opens a .rill file. *out: caller closes with rill_reader_close. */
RILL_EXTERN int rill_reader_open(rill_reader **out, const char *path);
/* The same over bytes in memory (borrowed while the reader is open). */
RILL_EXTERN int rill_reader_open_memory(rill_reader **out, const void *bytes, size_t len);
/* Reads the next record: 1 and *rec (borrowed until the next call), 0 at a
 * clean end, RILL_ECORRUPT (naming the file and the offset) when the bytes
 * are not rill records or end inside one. */
RILL_EXTERN int rill_reader_next(rill_record *rec, rill_reader *r);
RILL_EXTERN void rill_reader_close(rill_reader *r);

#ifdef __cplusplus
}
#endif
#endif
