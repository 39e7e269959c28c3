/* snapshot.h — checkpoints of a run: the consistent cut taken at the
 * workers' barrier written to the state file, and a run rebuilt from it. */
#ifndef RILL_STATE_SNAPSHOT_H
#define RILL_STATE_SNAPSHOT_H

#include "../core/run.h"

/* At run start, when p is checkpointed: opens and locks the state file (by
 * default .rill/<fingerprint>.db), checks the digest of what is in it,
 * refuses a checkpoint that does not fit (or, without replace, another
 * pipeline's unfinished one: RILL_EEXISTS), and with resume rebuilds run from the one
 * there (1 when it did; 2 when that run had done all its work and only its
 * files are left to publish). RILL_EFINISHED when that run had finished. */
int rill__checkpoint_start(rill__run *run);
/* Saves the run; every worker is parked at the barrier, mu is held. */
int rill__checkpoint_save(rill__run *run);
/* All the run's work is done: before its files are published, the state
 * says so and lists them, so that a kill while publishing resumes to the
 * publishing alone. */
int rill__checkpoint_complete(rill__run *run);
/* The run ended: ok marks it finished (and drops its rows). */
int rill__checkpoint_end(rill__run *run, int ok);

#endif
