/* rill/dist.h — running one pipeline over the ranks of an MPI job.
 *
 * A program that calls rill_run, started with `mpirun -np N prog`, runs its
 * pipeline over N ranks: every rank builds the same pipeline and calls
 * rill_run; rank 0 (the primary) runs init, result, finish, the progress
 * report and any output; the other ranks take work from it. Without mpirun,
 * or in a build without MPI, there is one rank and nothing changes. The
 * progress report adds each other rank's latest figures, sent to rank 0
 * every progress interval (a unit moving between ranks may count in both
 * for one interval).
 *
 *   - Work is spread by stealing: an idle rank takes queued batches or ranges
 *     of the work list from a busy rank, or has it split a running unit of a
 *     splittable stage (the split runs where the tracker is).
 *   - A reducer's partial stores from every rank are merged with its merge
 *     function (a reducer without merge, a frame's store and frame end stay
 *     on the rank that opened the reduction: records for them go there).
 *   - A combine's tables are merged on the rank that opened it; when the
 *     stage after it runs anywhere, each key then goes to the rank its hash
 *     names, in one batch per rank.
 *   - An error on any rank stops every rank; rill_run returns it on each,
 *     with the failing rank's message.
 *   - On ranks other than 0, rill_run returns 0 with *results empty.
 *
 * Every rank must build the same pipeline (rill_run refuses a rank whose
 * pipeline differs) and call rill_run the same number of times. Stores sent
 * between ranks are their bytes, or go through encode/decode when set. A
 * program that initialises MPI itself must ask for MPI_THREAD_SERIALIZED or
 * more (rill's communication thread calls MPI); otherwise rill_run fails.
 * Callbacks (finish included) must not call MPI themselves while a run goes:
 * rill's thread may be calling it at the same moment. On rank 0 the
 * progress callback may also run on that thread.
 *
 * Differences from one process:
 *   - batch_size cuts larger batches but does not gather smaller ones into
 *     full calls (no rank can tell when a stage has had its last records);
 *   - a call limit (serial, concurrency) holds per rank: calls of a limited
 *     stage run on the rank that opened their reduction, which for the
 *     work list and everything after it is rank 0;
 *   - finish and the output files are rank 0's; the other ranks return
 *     after them, with their error if they failed;
 *   - a checkpoint waits until the other ranks have sent home their queued
 *     work and finished what runs inside scopes they opened themselves;
 *   - one message between ranks holds at most 2 GiB (a proxy's table or
 *     store, a batch): more fails the run with RILL_ERANGE. */
#ifndef RILL_DIST_H
#define RILL_DIST_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* This process's rank (0 without MPI). Initialises MPI on first use when the
 * program was started by mpirun and MPI is not initialised yet; rill then
 * finalises it at exit. */
RILL_EXTERN int rill_rank(void);

/* How many ranks the job has (1 without MPI). */
RILL_EXTERN int rill_ranks(void);

/* How many records this rank sent to other ranks in p's last run (tasks,
 * results, stores and tables as records); 0 with one rank. */
RILL_EXTERN uint64_t rill_records_sent(const rill_pipeline *p);

#ifdef __cplusplus
}
#endif
#endif
