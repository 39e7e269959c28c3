/* emit_lines.c — a text's lines as records in one call (rill__emit_lines):
 * the file sources' way to make a record a line without a call a line. The
 * bytes of as many whole lines as the batch takes are copied at once and
 * their index entries made in a loop over the newlines; a line is its bytes
 * without the '\n' (a '\r' before it stays), as rill_emit of each would
 * give. And a block of whole lines as one record that counts as its lines
 * (rill__emit_line_block), for a job that takes blocks of lines. */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "run.h"

/* A batch with room for a record more, e's own or a new one. */
static int batch_with_room(rill_emitter *e)
{
    rill_batch *b = e->batch;
    if (b != NULL && b->n < e->limit && b->used < e->bytes)
        return 0;
    return rill__emitter_next_batch(e);
}

int rill__emit_lines(rill_emitter *e, const char *text, size_t len)
{
    int rc;
    if (e->direct >= 0 || e->target >= 0 || e->subs != NULL) { /* the long way */
        while (len > 0) {
            const char *nl = memchr(text, '\n', len);
            size_t n = nl ? (size_t)(nl - text) : len;
            if ((rc = rill_emit(e, text, n)) != 0)
                return rc;
            n += nl != NULL;
            text += n;
            len -= n;
        }
        return 0;
    }
    while (len > 0) {
        rill_batch *b;
        size_t base, at = 0, budget, before;
        if ((rc = batch_with_room(e)) < 0)
            return rc;
        b = e->batch;
        base = b->used;
        budget = e->bytes - base; /* whole lines up to it, one at least */
        before = b->n;
        while (at < len && b->n < e->limit) {
            const char *nl = memchr(text + at, '\n', len - at);
            size_t end = nl ? (size_t)(nl - text) : len, next = nl ? end + 1 : len;
            if (next > budget && b->n > before)
                break;
            if (end - at > RILL_RECORD_MAX) {
                b->n = before; /* none of this read's lines is in the batch */
                return rill__error(RILL_ERANGE, "a line of %zu bytes exceeds %zu", end - at,
                                   (size_t)RILL_RECORD_MAX);
            }
            if (b->n == b->ncap && (rc = rill__batch_grow(b, b->n < 64 ? 64 : b->n, 0)) < 0) {
                b->n = before;
                return rc;
            }
            b->recs[b->n++] = (rill__rec){base + at, (uint32_t)(end - at), RILL__NOKEY};
            at = next;
        }
        if ((rc = rill__batch_grow(b, 0, at)) < 0) {
            b->n = before;
            return rc;
        }
        memcpy(b->arena + base, text, at);
        b->used = base + at;
        e->count += b->n - before;
        text += at;
        len -= at;
    }
    return 0;
}

int rill__emitter_line_blocks(const rill_emitter *e)
{
    const rill__run *run = e->w->run;
    const rill__stage *s;
    if (e->stage < 0 || e->target >= 0)
        return 0;
    s = &run->stages[e->stage];
    return s->nsucc == 1 && run->stages[s->succ[0]].line_blocks; /* set by rill_job only */
}

/* The '\n's in p[0..len). */
static uint64_t newlines(const char *p, size_t len)
{
    uint64_t n = 0;
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (len - i >= 16) { /* bytes of counts, summed before they can wrap */
        __m128i acc = zero, sums;
        size_t k;
        for (k = 0; k < 255 && len - i >= 16; k++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nl));
        sums = _mm_sad_epu8(acc, zero);
        n += (uint64_t)_mm_cvtsi128_si64(sums) +
             (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; i < len; i++)
        n += p[i] == '\n';
    return n;
}

int rill__emit_line_block(rill_emitter *e, const char *text, size_t len)
{
    uint64_t lines;
    int rc;
    if (len == 0)
        return 0;
    if ((rc = rill_emit(e, text, len)) != 0)
        return rc;
    lines = newlines(text, len) + (text[len - 1] != '\n');
    /* the record counts once when its batch goes on; its other lines count
     * now (should the task fail before, its figures keep them: a failed
     * run's figures are what it did, within a batch) */
    if (lines > 1) {
        rill__run *run = e->w->run;
        rill__stat_add(&rill__stats_of(run, e->stage, e->w)->records_out, lines - 1);
        rill__stat_add(&rill__stats_of(run, run->stages[e->stage].succ[0], e->w)->records_in,
                       lines - 1);
    }
    return 0;
}
