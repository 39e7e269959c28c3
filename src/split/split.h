/* split.h — what the distribution layer asks of splittable work (its
 * sibling in the layer above core): units given to other ranks, counted as
 * they move, and split at 0 while a checkpoint drains. */
#ifndef RILL_SPLIT_SPLIT_H
#define RILL_SPLIT_SPLIT_H

#include "../core/run.h"

/* The kind of rill_splittable's stages. */
extern const rill_stage_kind rill__kind_splittable;

/* The split an idle worker makes, for another rank: *out is the residual's
 * task, not yet delivered. Returns 1 when there was one. movable: not of a
 * stage with a call limit. ahead: for a rank soon idle, so not of a unit
 * near its own end (rill__split_ending). */
int rill__split_give(rill__worker *w, int movable, int ahead, rill__task **out);
/* Whether some unit running here is near its end (at most 1/8 of its work
 * left, or at its pace so far under 4 ms of it): its worker will soon want
 * more, and its rank asks another for some ahead. */
int rill__split_ending(rill__run *run);
/* A unit task t leaves this rank (in 0) or arrives (in 1): its work moves
 * out of or into what is queued here. Other tasks are no work. */
void rill__unit_moved(rill__run *run, const rill__task *t, int in);
/* A checkpoint is coming: every running unit gives the work it has not
 * claimed to the queue (a split at 0), so that its worker soon parks.
 * proxied: only units under proxies (dist/), whose rest then goes home. */
void rill__split_checkpoint(rill__worker *w, int proxied);
/* yield(ctx) is called before each claim of t, without its lock
 * (tracker.c): the splittable stage's way to end its units early. */
void rill__tracker_yield(rill_tracker *t, int (*yield)(void *ctx), void *ctx);

/* stop.c (rill_source_stop): whether run reads no more input (the stop was
 * asked for, or the run is stopping), read anywhere without a lock; the
 * same for the run of an emitter of a splittable stage's process. */
int rill__input_stopped(const rill__run *run);
int rill__emitter_stopped(const rill_emitter *e);
/* Under run->split.mu: every running unit ends at its next claim (a split
 * at 0 whose residual is dropped). */
void rill__split_cut_all(rill__run *run);

#endif
