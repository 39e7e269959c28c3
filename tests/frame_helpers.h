/* frame_helpers.h — the three-round frame of the reference's frame example,
 * shared by the frame tests and the MPI tests: the frame function recurs
 * `first` records a round and checks every one came back (frame end counts
 * them) before the next round starts. */
#ifndef RILL_TESTS_FRAME_HELPERS_H
#define RILL_TESTS_FRAME_HELPERS_H

#include "helpers.h"

typedef struct rounds_store {
    int64_t first, round, got;
} rounds_store;

/* Three rounds: each round recurs `first` records and waits for all of them
 * to come back before the next round starts. */
static inline int three_rounds(rill_emitter *recur, void *store, const rill_record *first,
                        void *payload)
{
    rounds_store *s = store;
    int64_t i;
    (void)payload;
    if (s->round == 0)
        s->first = i64(first);
    else if (s->got != s->round * s->first)
        return -1; /* called before the round's work was all done */
    if (s->round == 3)
        return 0;
    s->round++;
    for (i = 0; i < s->first; i++)
        if (rill_emit_int64(recur, i) != 0)
            return -1;
    return 0;
}

static inline int count_back(rill_emitter *recur, void *store, const rill_record *next,
                      void *payload)
{
    (void)recur, (void)next, (void)payload;
    ((rounds_store *)store)->got++;
    return 0;
}

static inline int emit_got(rill_emitter *out, void *store, void *payload)
{
    rounds_store *s = store;
    (void)payload;
    return rill_emit_tuple(out, "ii", s->first, s->got);
}

#endif
