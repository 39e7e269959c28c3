/* rill/pipeline.h — the inline pipeline API (job_stream style) and running it.
 *
 * Stages are appended in the order records flow through them:
 *
 *     rill_pipeline *p;  rill_pipeline_new(&p);
 *     rill_work(p, words);                             initial work list
 *     rill_job(p, "length", NULL, word_length, NULL);  one record in, 0..n out
 *     rill_reduce(p, "mean", &mean_opts, NULL);        store, add, merge, emit
 *     rill_result(p, print_mean, NULL);                on the primary, once each
 *     rill_run(p, NULL, NULL);
 *
 * Scopes. A reduce (or combine) closes a scope that starts after the previous
 * reduce or combine at the same level, or at the stage after the enclosing
 * frame, or at the start of the pipeline. Each record that enters a scope
 * opens a reduction of its own, except at the very start, where all the
 * initial work forms one reduction (so a top-level reducer given an empty
 * work list still emits its initial store once), and where the reducer or
 * combine closing the scope gathers (its options' gather): then what one
 * finished reduction of the scope before emits forms one reduction. A frame opens a reduction
 * for each record reaching it and closes at its frame end. A reduction is
 * done when every record created under it has been processed; then the
 * reducer's store is
 * emitted as one record to the stage after it, or the frame function is
 * called again. What add, the frame function and frame end emit is recurred:
 * it re-enters the scope (the first stage of the reducer's scope, the first
 * stage after the frame) as work of the same reduction.
 *
 * Threads. Stage callbacks run on worker threads, several at once unless the
 * stage is serial; a reducer's add sees one partial store per worker, and the
 * partial stores of a reduction are merged when it is done. result is called
 * for one record at a time (never concurrently); init before any stage and
 * finish after all of them, on the thread that called rill_run.
 *
 * Errors. A callback returning non-zero stops the run: rill_run joins its
 * threads, frees everything and returns RILL_EUSER with a message naming the
 * stage and the record. A callback may call rill_error_set() first to say
 * why. rill_emit* return non-zero when the run is stopping: return it. A
 * failure of rill's own keeps its code (RILL_ENOTFOUND for a missing input
 * file, RILL_EIO for an output folder that cannot be written) and its
 * message names only stages the user added. */
#ifndef RILL_PIPELINE_H
#define RILL_PIPELINE_H

#include "record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rill_pipeline rill_pipeline;

/* Where a callback sends records: to the next stage, or back into the scope
 * for the recurring callbacks. Borrowed, valid during the callback only. */
typedef struct rill_emitter rill_emitter;

RILL_EXTERN int rill_emit(rill_emitter *out, const void *data, size_t len);
RILL_EXTERN int rill_emit_keyed(rill_emitter *out, const void *key,
                                size_t key_len, const void *data, size_t len);
RILL_EXTERN int rill_emit_record(rill_emitter *out, const rill_record *rec);

/* Emits each word of text[0..len) as a keyed record with no data, the word
 * its key, in order: a word split in one call, and the fastest way to count
 * words (into a combine with the built-in int64 sum the words are counted
 * as they are found, never becoming records). A word is a run of bytes
 * other than ASCII whitespace (space, \t, \n, \v, \f, \r); with
 * RILL_WORDS_LETTERS, a run of the ASCII letters A-Z and a-z, every other
 * byte (UTF-8 included) separating words. RILL_WORDS_LOWER folds A-Z to
 * a-z. Words are emitted whole, however long. text is borrowed for the
 * call. Returns 0, or the first error an emit gives (RILL_EINVAL for an
 * unknown flag). */
#define RILL_WORDS_LETTERS 1u
#define RILL_WORDS_LOWER 2u
RILL_EXTERN int rill_emit_words(rill_emitter *out, const void *text, size_t len,
                                unsigned flags);
RILL_EXTERN int rill_emit_int64(rill_emitter *out, int64_t value);
RILL_EXTERN int rill_emit_double(rill_emitter *out, double value);
RILL_EXTERN int rill_emit_text(rill_emitter *out, const char *text);
RILL_EXTERN int rill_emit_tuple(rill_emitter *out, const char *fmt, ...);

/* Callbacks. payload is the one given as the last argument of the call that
 * registered them. Records and stores passed in are borrowed for the
 * duration of the call. */
typedef int (*rill_job_fn)(rill_emitter *out, const rill_record *in,
                           void *payload);
typedef int (*rill_store_init_fn)(void *store, void *payload);
/* Releases what a store holds (not the store's own bytes). */
typedef void (*rill_store_free_fn)(void *store, void *payload);
/* inputs: the records reaching the reducer, n >= 1. Emits recur. */
typedef int (*rill_reduce_add_fn)(rill_emitter *recur, void *store,
                                  const rill_record *inputs, size_t n,
                                  void *payload);
/* Merges another partial store of the same reduction into store (the
 * reference's "others"). other is released with the free callback after the
 * call; merge may take what it holds, leaving other consistent. */
typedef int (*rill_merge_fn)(void *store, void *other, void *payload);
/* Emits what a finished reduction or frame sends onward (usually one record).
 * When no emit callback is set, the store's bytes are emitted. */
typedef int (*rill_store_emit_fn)(rill_emitter *out, void *store, void *payload);
/* Called with the record that opened the frame, first and then each time the
 * work it recurred is done; emitting nothing ends the frame. */
typedef int (*rill_frame_fn)(rill_emitter *recur, void *store,
                             const rill_record *first, void *payload);
typedef int (*rill_frame_end_fn)(rill_emitter *recur, void *store,
                                 const rill_record *next, void *payload);
/* Folds a keyed record into the accumulator of its key. */
typedef int (*rill_combine_fn)(void *acc, const rill_record *rec, void *payload);
typedef int (*rill_result_fn)(const rill_record *rec, void *payload);
/* results: every record that left the stream; borrowed during the call. */
typedef int (*rill_finish_fn)(const rill_batch *results, void *payload);
/* work: empty, borrowed during the call; what init adds to it joins the
 * initial work list of this run (after rill_work's records and what
 * earlier init callbacks added). */
typedef int (*rill_init_fn)(rill_batch *work, void *payload);
/* A store that holds more than its own bytes (pointers, with a free
 * callback) is saved in checkpoints through these: encode adds one record
 * holding everything the store needs to out; decode rebuilds a store (its
 * bytes zeroed, init not called) from that record's bytes. */
typedef int (*rill_store_encode_fn)(const void *store, rill_batch *out, void *payload);
typedef int (*rill_store_decode_fn)(void *store, const void *bytes, size_t len, void *payload);

/* Options structs. Each starts with its version: initialise it with its
 * INIT macro, then set fields. The call that takes it refuses another
 * version with RILL_EINVAL and reads only the fields of its version; fields
 * are only ever appended. NULL options mean the defaults. */

/* Version 2 had no line_blocks. */
#define RILL_STAGE_OPTIONS_VERSION 3
typedef struct rill_stage_options {
    unsigned version;
    int serial;    /* non-zero: never two calls of this stage at once */
    /* jobs: non-zero promises that, given several lines each followed by
     * its '\n' (the last one perhaps not), the job emits what it emits for
     * each of them in turn (a word split does). A line source
     * (rill_read_lines) whose only successor it is then hands it blocks of
     * whole lines instead of a record a line, much faster: about 64 KiB
     * from a file, the whole lines of each read from a stream, as
     * rill_read_blocks. The records of both stages' figures still count
     * lines (the job's calls count blocks). */
    int line_blocks;
} rill_stage_options;
#define RILL_STAGE_OPTIONS_INIT {RILL_STAGE_OPTIONS_VERSION, 0, 0}

/* Version 2 had no gather. */
#define RILL_REDUCE_OPTIONS_VERSION 3
typedef struct rill_reduce_options {
    unsigned version;
    size_t store_size;        /* bytes of the store; zeroed before init */
    rill_store_init_fn init;  /* optional */
    rill_reduce_add_fn add;   /* required */
    rill_merge_fn merge;      /* optional: without it one store per reduction,
                                 add calls of a reduction run one at a time */
    rill_store_emit_fn emit;  /* optional: default emits the store's bytes */
    rill_store_free_fn free;  /* optional */
    int serial;
    rill_store_encode_fn encode; /* optional: for checkpoints of stores */
    rill_store_decode_fn decode; /* that hold pointers (both or neither) */
    /* 1: the records a finished reduction of the scope before this one
     * emits together (a combine's table, a reducer's emits) form one
     * reduction of this reducer, rather than one each as in job_stream: an
     * aggregation of a whole aggregation's output (count, then top 10) */
    int gather;
} rill_reduce_options;
#define RILL_REDUCE_OPTIONS_INIT \
    {RILL_REDUCE_OPTIONS_VERSION, 0, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0}

#define RILL_FRAME_OPTIONS_VERSION 2
typedef struct rill_frame_options {
    unsigned version;
    size_t store_size;        /* bytes of the store; zeroed before init */
    rill_store_init_fn init;  /* optional */
    rill_frame_fn frame;      /* required */
    rill_store_emit_fn emit;  /* optional: default emits the store's bytes */
    rill_store_free_fn free;  /* optional */
    rill_store_encode_fn encode; /* optional, as for reducers */
    rill_store_decode_fn decode;
} rill_frame_options;
#define RILL_FRAME_OPTIONS_INIT \
    {RILL_FRAME_OPTIONS_VERSION, 0, NULL, NULL, NULL, NULL, NULL, NULL}

/* Version 2 had no gather. */
#define RILL_COMBINE_OPTIONS_VERSION 3
typedef struct rill_combine_options {
    unsigned version;
    size_t value_size;        /* bytes of one key's accumulator; zeroed */
    rill_store_init_fn init;  /* optional, per new key */
    rill_combine_fn add;      /* required */
    rill_merge_fn merge;      /* required: partial tables are merged */
    int gather;               /* as a reducer's (rill_reduce_options) */
} rill_combine_options;
#define RILL_COMBINE_OPTIONS_INIT {RILL_COMBINE_OPTIONS_VERSION, 0, NULL, NULL, NULL, 0}

/* Sum of int64 per key: a record with 8 bytes of data adds that int64, a
 * record with no data adds 1 (so emitting bare keys counts them). Emits one
 * keyed record per key whose data is the int64 total. */
RILL_EXTERN int rill_combine_sum_int64_add(void *acc, const rill_record *rec,
                                           void *payload);
RILL_EXTERN int rill_combine_sum_int64_merge(void *acc, void *other,
                                             void *payload);
#define RILL_COMBINE_SUM_INT64                                        \
    {RILL_COMBINE_OPTIONS_VERSION, sizeof(int64_t), NULL,             \
     rill_combine_sum_int64_add, rill_combine_sum_int64_merge, 0}

/* A new, empty pipeline. *out: caller frees with rill_pipeline_free. */
RILL_EXTERN int rill_pipeline_new(rill_pipeline **out);
RILL_EXTERN void rill_pipeline_free(rill_pipeline *p);

/* Appends work's records to the initial work list (several calls add up).
 * work: owned by the pipeline from this call on, even when it fails.
 * Records are processed independently of each other. */
RILL_EXTERN int rill_work(rill_pipeline *p, rill_batch *work);

/* Registering calls. Every call that registers callbacks takes their payload
 * (borrowed, passed to each of them) as its last argument. A refused call
 * returns RILL_EPIPELINE (RILL_EINVAL for options of another version) and
 * the pipeline remembers it: validation and rill_run refuse it with the
 * same message. Refused: a NULL callback, a NULL stage name, a name another
 * stage has, a second result or finish callback.
 *
 * Appending stages. name: copied; shown in errors; unique in the pipeline.
 * opts NULL: defaults. */
RILL_EXTERN int rill_job(rill_pipeline *p, const char *name,
                         const rill_stage_options *opts, rill_job_fn fn,
                         void *payload);
RILL_EXTERN int rill_reduce(rill_pipeline *p, const char *name,
                            const rill_reduce_options *opts, void *payload);
RILL_EXTERN int rill_frame(rill_pipeline *p, const char *name,
                           const rill_frame_options *opts, void *payload);
RILL_EXTERN int rill_frame_end(rill_pipeline *p, const char *name,
                               const rill_stage_options *opts,
                               rill_frame_end_fn fn, void *payload);
/* Keyed aggregation: closes a scope like reduce and emits one keyed record
 * per distinct key (in no defined order) when its reduction is done. What a
 * stage whose only successor is the combine emits is folded into the
 * worker's partial table as it is emitted, without becoming a batch. */
RILL_EXTERN int rill_combine(rill_pipeline *p, const char *name,
                             const rill_combine_options *opts, void *payload);
/* Called once per record leaving the stream, one call at a time. One per
 * pipeline. */
RILL_EXTERN int rill_result(rill_pipeline *p, rill_result_fn fn, void *payload);
/* While a result callback runs: its record's sequence number; while an
 * output callback (rill_output, graph.h) runs: that of its batch's first
 * record (the others follow it). Records leaving the stream are numbered
 * from 0 in the order they are given; in a checkpointed run a record given
 * again after a resume has the number it had (rill/checkpoint.h). -1 on a
 * thread that is not in such a callback. */
RILL_EXTERN int64_t rill_result_sequence(void);
/* Called once after everything, with every record that left the stream.
 * One per pipeline. */
RILL_EXTERN int rill_finish(rill_pipeline *p, rill_finish_fn fn, void *payload);
/* Called once before anything runs, on the primary, in the order they were
 * registered (any number of them); not called when a run resumes from a
 * checkpoint. What each adds to its work batch is initial work. */
RILL_EXTERN int rill_on_init(rill_pipeline *p, rill_init_fn fn, void *payload);

/* Reusable pieces (job_stream's jobs_NAME pattern). A piece is a function
 * that appends a fragment of stages to p with the registering calls above,
 * in order, as one step of the stream:
 *
 *     static int classify(rill_pipeline *p, const char *name,
 *                         const char *const *options, void *payload)
 *     {
 *         ... read options (long=N) into the stages' context ...
 *         rill_job(p, name, NULL, label, payload);     stage NAME
 *         rill_combine(p, count_name, &counts, NULL);   stage NAME.count
 *     }
 *     rill_use(p, "sizes", classify, (const char *[]){"long=5", NULL}, &model);
 *
 * (examples/pieces.c; examples/plugin/classify.c is that piece.)
 *
 * name: the name the caller gives this use (borrowed during the call); the
 * piece names its stages name or "name.something", so that a piece used
 * twice does not clash. options: key=value strings, NULL-terminated (NULL
 * when none), borrowed during the call: settings a spec can give as text;
 * the piece refuses keys it does not know (rill_error_set, then non-zero).
 * payload: the piece's own (a model, a table), borrowed, usually handed to
 * its stages' callbacks: it must outlive the pipeline's runs. Values that
 * differ per use go into the stages' context (rill_configure(p, stage,
 * "context.KEY", value), read with rill_context) or into the payload.
 * Returns 0, or non-zero after rill_error_set (or a registering call's
 * code). The same function is what a plugin registers with
 * rill_plugin_fragment, so that a spec uses it as `use: libfoo.so:classify`
 * (docs/plugins.md). */
typedef int (*rill_piece_fn)(rill_pipeline *p, const char *name,
                             const char *const *options, void *payload);
/* Appends piece to p under name: checks that options are key=value, calls
 * piece(p, name, options, payload), and checks that each stage it added is
 * named name or name.something. Refused as the registering calls are (the
 * pipeline remembers it): RILL_EINVAL for an option without '=', the
 * piece's code when it fails (a RILL_E* code but -1, else RILL_EUSER), with
 * a message "piece 'NAME': why"; RILL_EPIPELINE for a NULL piece or name, a
 * stage named otherwise, or the refusal of one of its registering calls. */
RILL_EXTERN int rill_use(rill_pipeline *p, const char *name, rill_piece_fn piece,
                         const char *const *options, void *payload);

/* Checks the pipeline without running it: RILL_EPIPELINE with a message
 * naming the stage when it cannot run. rill_run checks it too. */
RILL_EXTERN int rill_pipeline_validate(rill_pipeline *p);

#define RILL_RUN_OPTIONS_VERSION 1
typedef struct rill_run_options {
    unsigned version;
    int workers;          /* worker threads; 0: the number of cores */
    size_t batch_records; /* most records per batch; 0: 1024 */
    size_t max_batches;   /* stop an unbounded source (a generator, a live
                             source of rill/sources.h) after this many
                             batches; 0: when it says it has no more */
} rill_run_options;
#define RILL_RUN_OPTIONS_INIT {RILL_RUN_OPTIONS_VERSION, 0, 0, 0}

/* Runs the pipeline to completion. opts NULL: defaults. results, if not
 * NULL, receives every record that left the stream (caller frees with
 * rill_batch_free); *results is NULL when the run fails. A pipeline may be
 * run again. */
RILL_EXTERN int rill_run(rill_pipeline *p, const rill_run_options *opts,
                         rill_batch **results);

/* Asks the run of p that is going to read no more input, as `head` does
 * once it has its records (`yes | head` ends). Any thread may call it, also
 * a callback of the run itself (a job that has seen what it needs).
 *
 * What stops: the source p pulls is not asked again (a live source waiting
 * for input, rill/sources.h, answers within 20 ms, and that answer is its
 * last); splittable stages (files, standard input, sequences, those of
 * rill_splittable) stop at the next position they claim, start no element
 * or unit of work they have not started, and a stream (standard input, a
 * pipe or FIFO) stops waiting for bytes (a line it has not seen the end of
 * is left out). Input that is read goes on through the pipeline as usual:
 * reductions finish and emit, results and outputs get every record it
 * leads to, and rill_run returns 0, as when the source ends by itself.
 * Which records were read when the call lands depends on timing (several
 * workers read ahead): a stage that needs an exact count, as head, keeps
 * its own and drops what comes after.
 *
 * A checkpointed run (rill/checkpoint.h) that ends so is finished (resuming
 * it is RILL_EFINISHED); a checkpoint committed between the call and the end
 * holds no unread input, so a run resumed from it ends too. Under MPI it
 * stops what the calling rank reads and pulls; other ranks read on.
 *
 * Calling it again, after the input has ended, or when no run of p is going
 * does nothing (a call between runs is not kept for the next). Returns 0,
 * or RILL_EINVAL for a NULL p. */
RILL_EXTERN int rill_source_stop(rill_pipeline *p);

/* What one stage did in the pipeline's last run, or in the run going on. */
typedef struct rill_stage_stats {
    uint64_t calls;       /* callback calls (splittable: units processed) */
    uint64_t records_out; /* records it emitted */
    uint64_t splits;      /* splittable: residuals split off for idle workers */
    int workers;          /* how many workers ran it */
    uint64_t records_in;  /* records that reached it: from the stages before
                             it, or the source's (for a splittable stage,
                             its elements). Under MPI, those routed to it on
                             this rank */
} rill_stage_stats;
/* *out: the stats of the stage named stage; RILL_ENOTFOUND when there is
 * none, or when p never ran.
 *
 * Between runs: the figures of p's last run. During a run (from any thread:
 * another one, or a callback of the run itself, such as rill_on_progress's):
 * the figures so far of the run going on, zero at its start. Each counter
 * is consistent on its own and never goes down, but the counters are not
 * read at one instant: records_in may already count records whose calls or
 * records_out are not counted yet, and two stages are read at two moments.
 * The counters are updated per batch or per call, not per record. Under MPI
 * each rank has its own figures (this rank's). The call takes a lock that
 * the run takes only at its start and end: it costs the run nothing, and
 * costs the caller a few nanoseconds per worker. */
RILL_EXTERN int rill_pipeline_stats(rill_stage_stats *out, const rill_pipeline *p,
                                    const char *stage);

#ifdef __cplusplus
}
#endif
#endif
