/* map.c — job_stream's map in rill: rill_map calls a function on every
 * element of a list in parallel (all cores; all ranks under mpirun) and
 * gives the results in the list's order, every time.
 *
 *     $ ./map                 (or: mpirun -np 3 ./map)
 *     map(x + 1, [8, 9]) = [9, 10]
 *     squares of 0..9999 in order: yes (sum 333283335000)
 */
#include <stdio.h>
#include <rill.h>

static int plus_one(rill_emitter *out, const rill_record *x, void *payload)
{
    int64_t v;
    int rc = rill_record_int64(&v, x);
    (void)payload;
    return rc ? rc : rill_emit_int64(out, v + 1);
}

static int square(rill_emitter *out, const rill_record *x, void *payload)
{
    int64_t v;
    int rc = rill_record_int64(&v, x);
    (void)payload;
    return rc ? rc : rill_emit_int64(out, v * v);
}

/* Element i of a batch of int64 values. */
static int64_t at(const rill_batch *b, size_t i)
{
    rill_record r;
    int64_t v = 0;
    rill_batch_get(&r, b, i);
    rill_record_int64(&v, &r);
    return v;
}

int main(void)
{
    rill_batch *list = NULL, *res = NULL;
    int64_t i, sum = 0, ordered = 1;
    int rc;
    rill_batch_new(&list);
    rill_batch_add_int64(list, 8);
    rill_batch_add_int64(list, 9);
    if ((rc = rill_map(&res, list, NULL, plus_one, NULL)) != 0)
        goto fail;
    if (rill_rank() == 0) /* results are gathered on rank 0 */
        printf("map(x + 1, [8, 9]) = [%lld, %lld]\n", (long long)at(res, 0),
               (long long)at(res, 1));
    rill_batch_free(list);
    rill_batch_free(res);
    res = NULL;

    rill_batch_new(&list);
    for (i = 0; i < 10000; i++)
        rill_batch_add_int64(list, i);
    if ((rc = rill_map(&res, list, NULL, square, NULL)) != 0)
        goto fail;
    if (rill_rank() == 0) {
        for (i = 0; i < 10000; i++) {
            ordered &= at(res, (size_t)i) == i * i;
            sum += at(res, (size_t)i);
        }
        printf("squares of 0..9999 in order: %s (sum %lld)\n", ordered ? "yes" : "no",
               (long long)sum);
    }
    rill_batch_free(list);
    rill_batch_free(res);
    return 0;
fail:
    fprintf(stderr, "map: %s\n", rill_error_last());
    rill_batch_free(list);
    return 1;
}
