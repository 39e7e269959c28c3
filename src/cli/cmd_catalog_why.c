/* cmd_catalog_why.c — `rill catalog why OUTPUT [SPEC]` and `rill catalog
 * verify OUTPUT SPEC`: the last compile's decision for an output catalog
 * and what a run would decide now, and the proof that it holds what a
 * full compile would.
 *
 * With SPEC both are `rill compile --why` / `--verify` of it (the spec
 * must compile into OUTPUT). Without it, why reads the last commit alone
 * (rill_compile_last): its decision, the inputs it compiled and how far
 * each has moved since, and its fingerprints; it says what follows from
 * those (a full run when the output was written since, is empty, or an
 * input is gone or was pruned; nothing or an incremental run otherwise),
 * and that only the spec can tell whether the code or the configuration
 * changed. Public API only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rill.h>

#include "cmd_catalog.h"
#include "commands.h"
#include "xalloc.h"

typedef struct recorded {
    char *path, *name; /* owned */
    int64_t version;
} recorded;

typedef struct why_state {
    char now[1024];   /* what follows for a run now, when known to be full */
    int changed;      /* inputs with changes since */
    recorded *in;     /* owned: the last commit's inputs, in order */
    int nin;
} why_state;

typedef struct counter {
    uint64_t n;
} counter;

static int count_change(rill_catalog_change change, const rill_catalog_entry *from,
                        const rill_catalog_entry *to, void *payload)
{
    (void)change, (void)from, (void)to;
    ((counter *)payload)->n++;
    return 0;
}

static void say_full(why_state *w, const char *fmt, const char *name, long long v)
{
    if (w->now[0] == '\0')
        snprintf(w->now, sizeof(w->now), fmt, name, v);
}

static int keep_input(int input, const char *path, const char *name, int64_t version,
                      void *payload)
{
    why_state *w = payload;
    (void)input; /* they come in order */
    w->in = cli_xrealloc(w->in, (size_t)(w->nin + 1) * sizeof(*w->in));
    w->in[w->nin].path = cli_xstrdup(path);
    w->in[w->nin].name = cli_xstrdup(name);
    w->in[w->nin].version = version;
    w->nin++;
    return 0;
}

/* One input of the last commit: where it is now. */
static void say_input(why_state *w, int input)
{
    rill_catalog_options co = RILL_CATALOG_OPTIONS_INIT;
    const recorded *r = &w->in[input];
    rill_catalog *c = NULL;
    int64_t latest = 0;
    counter n = {0};
    co.path = r->path;
    co.create = 0;
    printf("input %d: '%s' in %s: compiled at version %lld", input, r->name, r->path,
           (long long)r->version);
    if (rill_catalog_open(&c, r->name, &co) != 0 || rill_catalog_latest(&latest, c) != 0) {
        printf(", now unreadable: %s\n", rill_error_last());
        say_full(w, "full: input '%s' cannot be read now (it was compiled at version %lld)",
                 r->name, (long long)r->version);
    } else if (latest == r->version) {
        printf(", the latest\n");
    } else if (rill_catalog_diff(c, r->version, latest, count_change, &n) != 0) {
        printf(", now at %lld; its changes since cannot be read: %s\n", (long long)latest,
               rill_error_last());
        say_full(w, "full: input '%s' was compiled last at version %lld, whose changes since "
                 "cannot be read (pruned?)", r->name, (long long)r->version);
    } else {
        printf(", now at %lld (%llu partition%s added, changed or removed since)\n",
               (long long)latest, (unsigned long long)n.n, n.n == 1 ? "" : "s");
        w->changed += n.n > 0;
    }
    rill_catalog_free(c);
}

static void on_fingerprint(const char *text, void *payload)
{
    (void)payload;
    printf("fingerprint: %s\n", text);
}

static const char *pattern_name(int p)
{
    return p == RILL_COMPILE_DIRECT      ? "direct"
           : p == RILL_COMPILE_MAP_GROUP ? "map-group"
           : p == RILL_COMPILE_REFERENCES ? "references"
           : p == RILL_COMPILE_FULL      ? "non-incremental"
                                         : "unknown";
}

static int said(int rc)
{
    return fflush(stdout) == 0 ? rc : CLI_EXIT_FAILED;
}

int cat_why(const cat_args *a)
{
    rill_catalog_options co = RILL_CATALOG_OPTIONS_INIT;
    const char *name = a->pos[0];
    rill_compile_commit last;
    rill_catalog_version v;
    rill_catalog *out = NULL;
    why_state w;
    char when[64];
    int64_t latest = 0;
    int found = 0, rc, i;
    time_t t;
    struct tm tm;
    if (a->npos == 2)
        return cmd_compile_for(a->pos[1], 0, name, a->db, a->quiet);
    memset(&w, 0, sizeof(w));
    memset(&last, 0, sizeof(last));
    co.path = a->db;
    co.create = 0;
    if ((rc = rill_catalog_open(&out, name, &co)) == RILL_ENOTFOUND) {
        printf("last: none (no catalog '%s'); now: full: the first run is full\n", name);
        return said(CLI_EXIT_OK);
    }
    if (rc != 0 || rill_compile_last(&last, out, keep_input, &w) != 0 ||
        rill_catalog_latest(&latest, out) != 0 || cat_version_info(&v, &found, out, latest) != 0) {
        rc = cat_fail(a);
        goto out;
    }
    if (last.version == 0) {
        printf("last: none (no compile has committed into '%s'); now: full: the first run is "
               "full\n", name);
        rc = said(CLI_EXIT_OK);
        goto out;
    }
    t = (time_t)(last.time_ms / 1000);
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("last: output '%s' version %lld at %s, a %s compile of %d input%s: %s\n", name,
           (long long)last.version, when, pattern_name(last.pattern), last.inputs,
           last.inputs == 1 ? "" : "s", last.reason);
    for (i = 0; i < w.nin; i++)
        say_input(&w, i);
    if (last.fingerprints &&
        rill_fingerprints_describe(last.fingerprints, on_fingerprint, NULL) != 0) {
        rc = cat_fail(a);
        goto out;
    }
    if (latest != last.version)
        say_full(&w, "full: output '%s' is at version %lld, not the version its last compile "
                 "committed (it was written since)", name, (long long)latest);
    else if (found && v.partitions == 0)
        say_full(&w, "full: output '%s' is empty (version %lld)", name, (long long)latest);
    if (w.now[0])
        printf("now: %s\n", w.now);
    else if (last.pattern == RILL_COMPILE_FULL)
        printf("now: full: the compile is non-incremental\n");
    else
        printf("now: %s, unless the code or the configuration changed, which only the spec "
               "tells (rill catalog why %s SPEC)\n",
               w.changed ? "incremental: the changes of the inputs above" : "nothing changed",
               name);
    rc = said(CLI_EXIT_OK);
out:
    rill_fingerprints_free(last.fingerprints);
    for (i = 0; i < w.nin; i++) {
        free(w.in[i].path);
        free(w.in[i].name);
    }
    free(w.in);
    rill_catalog_free(out);
    return rc;
}

int cat_verify(const cat_args *a)
{
    return cmd_compile_for(a->pos[1], 1, a->pos[0], a->db, a->quiet);
}
