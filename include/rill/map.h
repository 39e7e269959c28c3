/* rill/map.h — an ordered parallel map over a list (job_stream's map).
 *
 *     static int plus_one(rill_emitter *out, const rill_record *in, void *payload)
 *     {
 *         int64_t x;
 *         int rc = rill_record_int64(&x, in);
 *         return rc ? rc : rill_emit_int64(out, x + 1);
 *     }
 *     ...
 *     rill_batch *list, *res;          list: 8, 9
 *     rill_map(&res, list, NULL, plus_one, NULL);    res: 9, 10, every time
 *
 * (examples/map.c, which runs under mpirun too.)
 *
 * The callback is a job's (rill/pipeline.h): it is called once per element
 * of the list, on all cores (and on every rank under MPI), several calls at
 * once, in no defined order; the results come back in the list's order. What
 * one call emits is the element's result: one record for a map, as a rule;
 * zero or several are allowed and are kept in the order they were emitted
 * (a flat map), keys included. Memory and time are linear in the list,
 * which is never copied: the workers (and the other ranks) take ranges of
 * its elements' indices (24 bytes an element), and the results are put in
 * order as they arrive (those that come before their turn wait; no
 * sorting, no quadratic step), so they are held once, in *results.
 *
 * Errors. A callback returning non-zero stops the map: rill_map returns
 * RILL_EUSER and rill_error_last() names the map and the element's index in
 * the list ("map 'NAME' failed on element 5: why", with the callback's
 * rill_error_set text), and *results is NULL.
 *
 * MPI. Under mpirun every rank calls rill_map with the same list, as every
 * rank builds the same pipeline for rill_run (a rank whose list differs
 * fails the map with RILL_EPIPELINE on every rank); the calls are spread
 * over the ranks (idle ranks take ranges of indices and read the elements
 * from their own copy of the list), and the results are gathered to rank 0
 * in order. On other ranks *results is an empty batch. */
#ifndef RILL_MAP_H
#define RILL_MAP_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RILL_MAP_OPTIONS_VERSION 1
typedef struct rill_map_options {
    unsigned version;
    const char *name;       /* shown in errors and stats; NULL: "map" */
    int workers;            /* worker threads; 0: the number of cores */
    size_t batch_records;   /* elements handed out at a time; 0: 64 */
} rill_map_options;
#define RILL_MAP_OPTIONS_INIT {RILL_MAP_OPTIONS_VERSION, NULL, 0, 0}

/* Calls fn on every element of list in parallel; *results: what each call
 * emitted, in the list's order (caller frees with rill_batch_free; NULL when
 * the map fails). list: borrowed for the call, unchanged. opts NULL: the
 * defaults. payload: borrowed, passed to fn. An empty list gives an empty
 * batch without calling fn. RILL_EINVAL for a NULL argument, options of
 * another version, negative workers or an empty name. */
RILL_EXTERN int rill_map(rill_batch **results, const rill_batch *list,
                         const rill_map_options *opts, rill_job_fn fn, void *payload);

#ifdef __cplusplus
}
#endif
#endif
