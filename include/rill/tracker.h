/* rill/tracker.h — splittable work: restrictions, restriction trackers, and
 * splittable stages (Beam's splittable DoFn).
 *
 * A restriction is the part of an element's work a call is responsible for:
 * an offset range [from, to) or a byte-key range [start, end). A tracker
 * hands out that work one claimed position at a time, and can give away
 * what is not yet claimed (try_split): the primary stays with the caller,
 * the residual is run elsewhere. Claims must strictly increase; a claim at
 * or past the end fails, and counts as the last attempt. A split never moves
 * the last attempted position out of the primary:
 *
 *     split point = last attempted + max(1, (end - last attempted) * fraction)
 *
 * (the sum truncated toward zero, as Beam does; before any claim, last
 * attempted is from - 1), and there is no
 * split when that point is at or past the end. A fraction of 0 is a
 * checkpoint: the primary ends right after the last attempted position and
 * the residual holds the rest. [100, 200) claimed to 130 and split at 0.7
 * gives [100, 179) and [179, 200).
 *
 * Trackers lock themselves: a worker claiming and the scheduler splitting
 * never race.
 *
 * Fidelity to Beam (OffsetRangeTracker, GrowableOffsetRangeTracker,
 * ByteKeyRangeTracker): claims, check_done, offset splits and progress are
 * Beam's. Progress counts the position last attempted as still to do (it
 * may be claimed and not yet finished): [100, 200) attempted to 130 is 30
 * done and 70 left; a growable range is done up to its last attempted
 * offset and has the estimate's end left; a byte-key range's progress is a
 * fraction of the range, in [0, 1] (Beam's estimateFractionForKey, exactly).
 * A growable range becomes bounded when a split ends it or its end,
 * RILL_OFFSET_INFINITY, is claimed. A splittable stage's chunks are Beam's
 * OffsetRange.split: a remainder under a quarter chunk joins the last one. Where rill deliberately differs: a
 * byte-key range splits at the fraction asked for (the keys interpolated),
 * where Beam's tracker splits only right after the last attempted key
 * whatever the fraction, so that idle workers can take half of a straggler;
 * at fraction 0 the two agree. */
#ifndef RILL_TRACKER_H
#define RILL_TRACKER_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rill_range_kind { RILL_RANGE_OFFSET, RILL_RANGE_BYTEKEY } rill_range_kind;

/* The end of an offset range whose end is not known yet (growable). */
#define RILL_OFFSET_INFINITY INT64_MAX

typedef struct rill_restriction {
    rill_range_kind kind;
    int64_t from, to;      /* offsets: [from, to) */
    const void *start;     /* byte keys: [start, end); an empty start is -inf, */
    size_t start_len;      /* an empty end +inf; borrowed from the tracker */
    const void *end;       /* until its next call */
    size_t end_len;
} rill_restriction;

typedef struct rill_tracker rill_tracker;

/* The current estimate of a growable range's end (for progress and splits). */
typedef int64_t (*rill_estimate_fn)(void *payload);

/* *out: caller frees with rill_tracker_free (the run frees the trackers it
 * hands to process functions). */
RILL_EXTERN int rill_tracker_offset_new(rill_tracker **out, int64_t from, int64_t to);
/* [from, RILL_OFFSET_INFINITY): unbounded until a split gives it an end. */
RILL_EXTERN int rill_tracker_growable_new(rill_tracker **out, int64_t from,
                                          rill_estimate_fn estimate, void *payload);
RILL_EXTERN int rill_tracker_bytekey_new(rill_tracker **out, const void *start,
                                         size_t start_len, const void *end, size_t end_len);
/* A tracker for a restriction of either kind (offsets past nothing: a
 * growable one when to is RILL_OFFSET_INFINITY and estimate is given). */
RILL_EXTERN int rill_tracker_new(rill_tracker **out, const rill_restriction *r,
                                 rill_estimate_fn estimate, void *payload);
RILL_EXTERN void rill_tracker_free(rill_tracker *t);

/* 1: claimed, do the work; 0: at or past the end, stop; negative: misuse
 * (a position not after the last one, before the start, another kind), with
 * a message naming both positions. */
RILL_EXTERN int rill_tracker_try_claim(rill_tracker *t, int64_t position);
RILL_EXTERN int rill_tracker_try_claim_key(rill_tracker *t, const void *key, size_t len);
/* The whole range this call is responsible for, done and to do. */
RILL_EXTERN int rill_tracker_current(rill_restriction *out, rill_tracker *t);
/* 1 with primary and residual (each borrowed from the tracker until its next
 * call) when it split; 0 when it could not. */
RILL_EXTERN int rill_tracker_try_split(rill_restriction *primary, rill_restriction *residual,
                                       rill_tracker *t, double fraction);
/* 0 when every position of the range was attempted; RILL_EINCOMPLETE with
 * "claiming work in [176, 200) was not attempted" otherwise. */
RILL_EXTERN int rill_tracker_check_done(rill_tracker *t);
/* Work done and left, both >= 0, in positions (offsets) or as fractions of
 * the range (byte keys), as Beam counts them (above). */
RILL_EXTERN int rill_tracker_progress(double *completed, double *remaining, rill_tracker *t);
RILL_EXTERN int rill_tracker_is_bounded(rill_tracker *t);

/* ---- splittable stages ---- */

/* What a process function returns: the tracker's range is done, or the rest
 * is to be resumed later, as an endless source does: rill then checkpoints
 * the tracker (a split at 0) and runs the residual again after resume_ms.
 * A process function does not checkpoint its own tracker. */
#define RILL_PROCESS_DONE 0
#define RILL_PROCESS_RESUME 1

/* Sets *out to the element's whole restriction. */
typedef int (*rill_initial_fn)(const rill_record *element, rill_restriction *out,
                               void *payload);
/* Claims positions of the tracker and emits what they produce. */
typedef int (*rill_process_fn)(rill_emitter *out, const rill_record *element,
                               rill_tracker *tracker, void *payload);

#define RILL_SPLITTABLE_OPTIONS_VERSION 2
typedef struct rill_splittable_options {
    unsigned version;
    rill_initial_fn initial;  /* required */
    rill_process_fn process;  /* required */
    int64_t chunk;            /* split offset ranges into chunks of about this
                                 many positions before processing; 0: don't.
                                 At most 4096 chunks are made of one
                                 element: a larger range gets larger chunks
                                 (idle workers still split them as they run) */
    rill_estimate_fn estimate; /* for ranges ending at RILL_OFFSET_INFINITY */
    int64_t min_split;        /* split stragglers only while more than this
                                 many positions remain; 0: 1 */
    unsigned resume_ms;       /* wait before a resumed residual runs again */
} rill_splittable_options;
#define RILL_SPLITTABLE_OPTIONS_INIT \
    {RILL_SPLITTABLE_OPTIONS_VERSION, NULL, NULL, 0, NULL, 0, 0}

/* A stage that runs each element as splittable work: its restriction,
 * chunked, is processed by claiming positions; idle workers split the
 * largest remainder of a running element and run the residual themselves.
 * After process returns done, unclaimed work is an error naming the stage. */
RILL_EXTERN int rill_splittable(rill_pipeline *p, const char *name,
                                const rill_splittable_options *opts, void *payload);

/* ---- built-in splittable sources ---- */

/* Each record of the work list is a path or a glob ('*', '?', '[...]'): a
 * name that exists is read literally, whatever characters it holds (a file
 * named "a[1].txt" is that file); only a name that does not exist is
 * expanded as a glob. "-" is standard input, read as a stream from where it
 * is (a file named "-" is "./-"); a resumed run cannot read again what it
 * took of it. Emits every line of every file (without its '\n'; a
 * '\r' before it stays), in chunks of about chunk_bytes (0: 64 MiB), each
 * line exactly once: a line belongs to the range holding its first byte.
 *
 * A regular file is read by byte ranges (splittable). Anything else - a
 * pipe, FIFO, /dev/stdin, a character device - and a regular file that
 * reports 0 bytes (/proc's files) is read as a stream: in one call, from
 * start to end, not split (so a checkpoint waits for its end, and a run
 * resumed before it reads it again from its start); an empty regular file
 * is the only input giving no lines.
 *
 * Each file's identity (device, inode, size, modification time) is taken
 * when the work list is expanded and travels with its units, also into
 * checkpoints. A file that shrinks or changes while it is read, or that a
 * resume finds replaced or changed, fails the run with RILL_EIO and a
 * message naming the file ("changed"), never a signal or a mix of both
 * versions. A name matching no file fails with RILL_ENOTFOUND, a directory
 * or a file that cannot be read with RILL_EIO; the message names the file
 * and this stage.
 *
 * When its only successor is a job with rill_stage_options.line_blocks,
 * the lines go to it as rill_read_blocks' blocks, still counted as lines. */
RILL_EXTERN int rill_read_lines(rill_pipeline *p, const char *name, int64_t chunk_bytes);
/* The same bytes as rill_read_lines, read and split the same way, but as
 * blocks of whole lines: each record holds the lines starting in about
 * 64 KiB of the file (more when a line is longer), each line with its '\n'
 * (the file's last line as it ends); a stream gives the whole lines of each
 * read. For stages that do not care where a line ends, such as splitting
 * words: a record a block costs far less than a record a line. */
RILL_EXTERN int rill_read_blocks(rill_pipeline *p, const char *name, int64_t chunk_bytes);
/* The same for files of fixed-size binary records (a trailing partial record
 * is an error naming the file, and so is an input that is not a regular
 * file: records are read from files only). */
RILL_EXTERN int rill_read_records(rill_pipeline *p, const char *name, size_t record_size,
                                  int64_t chunk_records);
/* A counting sequence as the source: int64 values [from, to) when to is not
 * RILL_OFFSET_INFINITY, else endless, at most per_second values a second (0:
 * as fast as it goes). Replaces the work list with the one record the
 * sequence needs (each record rill_work adds after it would run the whole
 * sequence again). */
RILL_EXTERN int rill_sequence(rill_pipeline *p, const char *name, int64_t from, int64_t to,
                              double per_second);

/* ---- progress ---- */

typedef struct rill_progress {
    double completed, remaining; /* summed over the trackers of the run */
    uint64_t elements_done;      /* restrictions finished */
} rill_progress;

/* Called every interval_ms while a run goes, from one of its workers (under
 * MPI, on rank 0, also from rill's communication thread), never two calls
 * at once; workers look between the batches they process, so a long unit
 * of work (a chunk of a file) reports as it goes. A run that did its work
 * calls it once more with the final figures (remaining 0; completed, for
 * files, every byte read), on the thread that called rill_run, before the
 * finish callback: a run too short for an interval still reports. */
typedef void (*rill_progress_fn)(const rill_progress *progress, void *payload);
RILL_EXTERN int rill_on_progress(rill_pipeline *p, unsigned interval_ms, rill_progress_fn fn,
                                 void *payload);

#ifdef __cplusplus
}
#endif
#endif
