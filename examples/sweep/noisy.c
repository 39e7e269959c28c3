/* noisy.c — the example sweep plugin (docs/sweep.md): a job `noisy` that
 * runs one trial of a sweep over a and b, value = a*a + b + noise in
 * [-1, 1), twice = 2a, its noise drawn from the trial's seed (so a trial
 * gives the same numbers wherever it runs). Loaded by `rill sweep` from
 * examples/sweep/noisy_plugin.yaml (trial: {plugin: libsweep_noisy.so,
 * function: noisy}); built with the public headers only, like any plugin. */
#include <rill.h>

static double uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static int noisy(rill_emitter *out, const rill_record *in, void *payload)
{
    double params[2], v[2];
    rill_sweep_trial t;
    uint64_t s;
    int rc;
    (void)payload;
    if ((rc = rill_sweep_trial_read(&t, params, 2, in)) < 0)
        return rc;
    if (t.nparams != 2) {
        rill_error_set("noisy takes two parameters (a, b), the sweep gives %zu", t.nparams);
        return -1;
    }
    s = t.seed;
    v[0] = params[0] * params[0] + params[1] + 2 * uniform(&s) - 1;
    v[1] = 2 * params[0];
    return rill_sweep_emit(out, &t, v, 2);
}

RILL_PLUGIN_EXPORT int rill_plugin_init(rill_plugin *reg, unsigned api_version)
{
    int rc;
    (void)api_version;
    if ((rc = RILL_PLUGIN_DECLARE(reg, "sweep_noisy", "a noisy function for sweeps")) < 0)
        return rc;
    return rill_plugin_job(reg, "noisy", "one trial of a*a + b + noise in [-1, 1), and 2a",
                           NULL, noisy, NULL);
}
