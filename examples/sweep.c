/* sweep.c — a parameter sweep with the C API (rill/sweep.h), as
 * job_stream's baked.sweep({'a': np.arange(10)}) with a job returning
 * {'value': a*a + random()}: a from 0 to 9, trials grown until every mean
 * is known to 1% at 95% confidence, the table printed as CSV (--table:
 * aligned). Under mpirun every rank runs trials; rank 0 prints. */
#include <stdio.h>
#include <string.h>

#include <rill.h>

/* A uniform number in [0, 1) from the trial's seed (splitmix64). */
static double uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static int square(double *out, size_t n, const rill_sweep_trial *t, void *payload)
{
    uint64_t seed = t->seed;
    double a = t->params[0];
    (void)n, (void)payload;
    out[0] = a * a + uniform(&seed);
    return 0;
}

int main(int argc, char **argv)
{
    rill_sweep_options o = RILL_SWEEP_OPTIONS_INIT;
    rill_sweep_table *table = NULL;
    rill_sweep *s = NULL;
    int rc;
    if ((rc = rill_sweep_new(&s)) < 0 || (rc = rill_sweep_range(s, "a", 0, 9, 1)) < 0 ||
        (rc = rill_sweep_output(s, "value")) < 0)
        goto done;
    o.rel_error = 0.01;
    o.min_trials = 10;
    o.max_trials = 20000;
    if ((rc = rill_sweep_run(&table, s, &o, square, NULL)) < 0)
        goto done;
    if (table) /* rank 0 */
        rc = rill_sweep_table_write(table, stdout, argc > 1 && strcmp(argv[1], "--table") == 0
                                                       ? RILL_SWEEP_TEXT : RILL_SWEEP_CSV);
done:
    if (rc < 0)
        fprintf(stderr, "sweep: %s: %s\n", rill_strerror(rc), rill_error_last());
    rill_sweep_table_free(table);
    rill_sweep_free(s);
    return rc < 0;
}
