/* sweep_spec.c — a sweep spec (docs/sweep.md) read into a rill_sweep, its
 * trial settings and its trial (a command or a plugin's job):
 *
 *     parameters:
 *       a: [0, 1, 2, 3]                      a list
 *       b: {from: 0.5, to: 1.5, step: 0.5}   a range (step: 1 by default)
 *     outputs: [value, twice]
 *     trial:
 *       command: [sh, -c, 'echo {a} {b}']    or {plugin: LIB, function: F}
 *     trials: 50                             or {rel_error: 0.05, min: 10, max: 2000}
 *     seed: 1
 *
 * Every error is reported at its file:line:column (cli_error_at), with a
 * did-you-mean for misspelt keys, and reading goes on to find the others. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_cli.h"
#include "xalloc.h"

static int err(const sweep_spec *sp, const spec_node *n, const char *msg)
{
    return cli_error_at(sp->file, n ? n->line : 0, n ? n->column : 0, "%s", msg);
}

/* Keys of map that are not in known: each an error with a did-you-mean. */
static int only_keys(const sweep_spec *sp, const spec_node *map, const char *what,
                     const char *const *known)
{
    size_t i;
    int bad = 0;
    for (i = 0; i < map->n; i++) {
        size_t k;
        for (k = 0; known[k] && strcmp(known[k], map->keys[i]->text) != 0; k++)
            ;
        if (known[k] == NULL) {
            const char *near = cli_did_you_mean(map->keys[i]->text, known);
            cli_error_at(sp->file, map->keys[i]->line, map->keys[i]->column,
                         "%s: unknown key '%s'%s%s%s", what, map->keys[i]->text,
                         near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            bad = -1;
        }
    }
    return bad;
}

static int number(const sweep_spec *sp, const spec_node *n, const char *what, double *out)
{
    char *end;
    if (n == NULL || n->type != SPEC_SCALAR)
        return cli_error_at(sp->file, n ? n->line : 0, n ? n->column : 0,
                            "%s: expected a number", what);
    errno = 0;
    *out = strtod(n->text, &end);
    if (*n->text == '\0' || *end || errno || !isfinite(*out))
        return cli_error_at(sp->file, n->line, n->column, "%s: expected a number, got '%s'",
                            what, n->text);
    return 0;
}

static int whole(const sweep_spec *sp, const spec_node *n, const char *what, long long min,
                 long long *out)
{
    char *end;
    if (n == NULL || n->type != SPEC_SCALAR)
        return cli_error_at(sp->file, n ? n->line : 0, n ? n->column : 0,
                            "%s: expected a whole number", what);
    errno = 0;
    *out = strtoll(n->text, &end, 10);
    if (*n->text == '\0' || *end || errno || *out < min)
        return cli_error_at(sp->file, n->line, n->column, "%s: expected a whole number of at "
                            "least %lld, got '%s'", what, min, n->text);
    return 0;
}

/* The library's message without its "rill_sweep_x: " prefix. */
static const char *lib_message(void)
{
    const char *m = rill_error_last(), *colon = strstr(m, ": ");
    return strncmp(m, "rill_sweep", 10) == 0 && colon ? colon + 2 : m;
}

static int parameter(sweep_spec *sp, const spec_node *key, const spec_node *v)
{
    static const char *const range_keys[] = {"from", "to", "step", NULL};
    char what[160];
    int rc = 0;
    snprintf(what, sizeof(what), "parameter '%.100s'", key->text);
    if (strcmp(key->text, "trial") == 0 || strcmp(key->text, "seed") == 0 ||
        strcmp(key->text, "combination") == 0) /* a {NAME} the command gets already */
        return cli_error_at(sp->file, key->line, key->column, "%s: the name is the trial's "
                            "{%s} in a command; call the parameter something else", what,
                            key->text);
    if (v->type == SPEC_MAP) {
        double from = 0, to = 0, step = 1;
        const spec_node *f = spec_map_get(v, "from"), *t = spec_map_get(v, "to"),
                        *s = spec_map_get(v, "step");
        if (only_keys(sp, v, what, range_keys) < 0)
            return -1;
        if (f == NULL || t == NULL)
            return cli_error_at(sp->file, v->line, v->column, "%s: a range needs from: and to: "
                                "(and step:, 1 by default)", what);
        if (number(sp, f, what, &from) < 0 || number(sp, t, what, &to) < 0 ||
            (s && number(sp, s, what, &step) < 0))
            return -1;
        if (rill_sweep_range(sp->sweep, key->text, from, to, step) < 0)
            return err(sp, s ? s : v, lib_message());
        return 0;
    }
    {
        size_t n = v->type == SPEC_SEQ ? v->n : 1, i;
        double *vals = cli_xmalloc((n ? n : 1) * sizeof(double));
        for (i = 0; i < n && rc == 0; i++)
            rc = number(sp, v->type == SPEC_SEQ ? v->vals[i] : v, what, &vals[i]);
        if (rc == 0 && rill_sweep_values(sp->sweep, key->text, vals, n) < 0)
            rc = err(sp, v, lib_message());
        free(vals);
        return rc;
    }
}

/* Where a plugin named in the spec is: as `rill run` looks (RILL_PLUGIN_PATH
 * for a bare name, else from the spec's folder). Caller frees. */
static char *plugin_path(const char *spec_file, const char *name)
{
    const char *slash = strrchr(spec_file, '/');
    size_t cap = strlen(spec_file) + strlen(name) + 4096;
    char *out = cli_xmalloc(cap);
    if (name[0] == '/' || (strchr(name, '/') && slash == NULL)) {
        snprintf(out, cap, "%s", name);
        return out;
    }
    if (strchr(name, '/')) {
        snprintf(out, cap, "%.*s/%s", (int)(slash - spec_file), spec_file, name);
        return out;
    }
    for (const char *d = getenv("RILL_PLUGIN_PATH"); d && *d;) {
        const char *end = strchr(d, ':');
        size_t len = end ? (size_t)(end - d) : strlen(d);
        if (len > 0 && len < 4000) {
            snprintf(out, cap, "%.*s/%s", (int)len, d, name);
            if (access(out, F_OK) == 0)
                return out;
        }
        d = end ? end + 1 : NULL;
    }
    if (slash)
        snprintf(out, cap, "%.*s/%s", (int)(slash - spec_file), spec_file, name);
    else
        snprintf(out, cap, "./%s", name);
    if (access(out, F_OK) != 0)
        snprintf(out, cap, "%s", name);
    return out;
}

/* o.identity: what the trials run, its parts each followed by "\\0". */
static void identify(sweep_spec *sp, const char *what, const char *const *parts, size_t n)
{
    size_t len = strlen(what) + 2, i, used;
    for (i = 0; i < n; i++)
        len += strlen(parts[i]) + 3;
    free(sp->identity);
    free(sp->program);
    sp->identity = cli_xmalloc(len);
    used = (size_t)snprintf(sp->identity, len, "%s:", what);
    for (i = 0; i < n; i++)
        used += (size_t)snprintf(sp->identity + used, len - used, "%s\\0", parts[i]);
    sp->o.identity = sp->identity;
}

/* Whether path is a file this process may execute. */
static int runnable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The command's program, as plugins are found (docs/spec.md): an absolute
 * path as it is, one with a '/' from the spec's folder (cmd.argv[0] is
 * then the resolved path), a bare name in PATH. One that is missing or not
 * executable is an error at its place; a program with a {NAME} in it is
 * known only when a trial runs. */
static int program(sweep_spec *sp, const spec_node *arg)
{
    const char *name = arg->text, *slash = strrchr(sp->file, '/'), *dirs = getenv("PATH");
    char found[4096];
    if (strchr(name, '{'))
        return 0;
    if (strchr(name, '/')) {
        if (name[0] != '/' && slash) {
            size_t cap = (size_t)(slash - sp->file) + strlen(name) + 2;
            sp->program = cli_xmalloc(cap);
            snprintf(sp->program, cap, "%.*s/%s", (int)(slash - sp->file), sp->file, name);
            sp->cmd.argv[0] = sp->program;
        }
        if (runnable(sp->cmd.argv[0]))
            return 0;
        return cli_error_at(sp->file, arg->line, arg->column, "trial: command: cannot run "
                            "'%s'%s%s%s: %s", name, name[0] != '/' ? " (from the spec's "
                            "folder: " : "", name[0] != '/' ? sp->cmd.argv[0] : "",
                            name[0] != '/' ? ")" : "", access(sp->cmd.argv[0], F_OK) != 0 ?
                            "no such file" : "not an executable file");
    }
    while (dirs && *dirs) { /* as posix_spawnp looks (an empty entry: the current folder) */
        const char *end = strchr(dirs, ':');
        int len = end ? (int)(end - dirs) : (int)strlen(dirs);
        snprintf(found, sizeof(found), "%.*s%s%s", len, dirs, len ? "/" : "./", name);
        if (runnable(found))
            return 0;
        dirs = end ? end + 1 : NULL;
    }
    return cli_error_at(sp->file, arg->line, arg->column, "trial: command: program '%s' is "
                        "not found in PATH (give a path with a '/' for one in the spec's "
                        "folder: ./%s)", name, name);
}

static int trial(sweep_spec *sp, const spec_node *t)
{
    static const char *const keys[] = {"command", "plugin", "function", NULL};
    const spec_node *cmd, *fn, *lib;
    if (t->type != SPEC_MAP)
        return err(sp, t, "trial: expected a mapping: {command: [PROGRAM, ARG...]} or "
                          "{plugin: LIB, function: NAME}");
    if (only_keys(sp, t, "trial", keys) < 0)
        return -1;
    cmd = spec_map_get(t, "command");
    fn = spec_map_get(t, "function");
    lib = spec_map_get(t, "plugin");
    if ((cmd != NULL) == (fn != NULL || lib != NULL))
        return err(sp, t, "trial: give either command: or plugin: with function:");
    if (cmd) {
        size_t i;
        int rc = 0;
        if (cmd->type != SPEC_SEQ || cmd->n == 0)
            return err(sp, cmd, "trial: command: expected a list: the program and its "
                                "arguments");
        sp->cmd.argv = cli_xcalloc(cmd->n + 1, sizeof(char *));
        for (i = 0; i < cmd->n; i++) {
            if (cmd->vals[i]->type != SPEC_SCALAR)
                return err(sp, cmd->vals[i], "trial: command: each argument is text");
            sp->cmd.argv[i] = cmd->vals[i]->text;
        }
        sp->cmd.argc = cmd->n;
        sp->cmd.s = sp->sweep;
        identify(sp, "command", (const char *const *)sp->cmd.argv, cmd->n);
        for (i = 0; i < cmd->n; i++)
            if (sweep_exec_check(&sp->cmd, sp->file, cmd->vals[i]) < 0)
                rc = -1;
        if (program(sp, cmd->vals[0]) < 0)
            rc = -1;
        return rc;
    }
    if (fn == NULL || lib == NULL || fn->type != SPEC_SCALAR || lib->type != SPEC_SCALAR)
        return err(sp, t, "trial: a plugin trial needs plugin: LIB and function: NAME");
    {
        const char *const parts[] = {lib->text, fn->text};
        identify(sp, "plugin", parts, 2);
    }
    if (!sp->open_plugins) /* checked, not loaded (the fuzz target) */
        return 0;
    {
        const rill_plugin_entry *e;
        char *path = plugin_path(sp->file, lib->text);
        if (rill_plugin_open(&sp->lib, path) < 0) {
            cli_error_at(sp->file, lib->line, lib->column, "trial: plugin: %s", rill_error_last());
            free(path);
            return -1;
        }
        free(path);
        if (rill_plugin_find(&e, sp->lib, RILL_PLUGIN_JOB, fn->text) < 0)
            return cli_error_at(sp->file, fn->line, fn->column, "trial: function: %s",
                                rill_error_last());
        sp->o.job = e->job;
        sp->o.job_payload = e->payload;
    }
    return 0;
}

static int trials(sweep_spec *sp, const spec_node *t)
{
    static const char *const keys[] = {"rel_error", "min", "max", NULL};
    const spec_node *r, *mn, *mx;
    long long v;
    int bad = 0, min_ok = 0, max_ok = 0;
    if (t->type == SPEC_SCALAR) {
        if (whole(sp, t, "trials", 1, &v) < 0)
            return -1;
        sp->o.trials = v;
        return 0;
    }
    if (t->type != SPEC_MAP)
        return err(sp, t, "trials: expected a number of trials, or {rel_error: E, min: N, "
                          "max: M}");
    if (only_keys(sp, t, "trials", keys) < 0)
        bad = -1; /* every error of trials: is reported, not the first */
    if ((r = spec_map_get(t, "rel_error")) && number(sp, r, "trials: rel_error",
                                                     &sp->o.rel_error) < 0)
        bad = -1;
    else if (r && !(sp->o.rel_error > 0))
        bad = err(sp, r, "trials: rel_error: expected a positive number (0.05 is 5%)");
    if ((mn = spec_map_get(t, "min")) && whole(sp, mn, "trials: min", 2, &v) < 0)
        bad = -1;
    else if (mn)
        sp->o.min_trials = v, min_ok = 1;
    if ((mx = spec_map_get(t, "max")) && whole(sp, mx, "trials: max", 2, &v) < 0)
        bad = -1;
    else if (mx)
        sp->o.max_trials = v, max_ok = 1;
    if (min_ok && max_ok && sp->o.max_trials < sp->o.min_trials)
        bad = err(sp, mx, "trials: max is less than min");
    return bad;
}

int sweep_spec_load(sweep_spec *sp, const char *file)
{
    char *text;
    size_t len;
    int rc;
    memset(sp, 0, sizeof(*sp));
    if (spec_read_file(&text, &len, file) < 0)
        return -1;
    rc = sweep_spec_parse(sp, file, text, len, 1);
    free(text);
    return rc;
}

int sweep_spec_parse(sweep_spec *sp, const char *file, const char *text, size_t len,
                     int open_plugins)
{
    static const char *const top[] = {"parameters", "outputs", "trial", "trials", "seed", NULL};
    rill_sweep_options defaults = RILL_SWEEP_OPTIONS_INIT;
    const spec_node *params, *outs, *t, *n;
    size_t i;
    int bad = 0;
    memset(sp, 0, sizeof(*sp));
    sp->o = defaults;
    sp->file = file;
    sp->open_plugins = open_plugins;
    if (spec_parse_tree(&sp->root, file, text, len) < 0)
        return -1;
    if (rill_sweep_new(&sp->sweep) < 0)
        return err(sp, NULL, rill_error_last());
    if (sp->root == NULL || sp->root->type != SPEC_MAP)
        return err(sp, sp->root, "a sweep spec is a mapping: parameters:, outputs:, trial:, "
                                 "trials:");
    bad |= only_keys(sp, sp->root, "sweep", top);
    params = spec_map_get(sp->root, "parameters");
    outs = spec_map_get(sp->root, "outputs");
    t = spec_map_get(sp->root, "trial");
    if (params && params->type != SPEC_MAP)
        bad |= err(sp, params, "parameters: expected a mapping: NAME: [values] or NAME: "
                               "{from: A, to: B, step: S}");
    else
        for (i = 0; params && i < params->n; i++)
            bad |= parameter(sp, params->keys[i], params->vals[i]);
    if (outs == NULL)
        bad |= err(sp, sp->root, "outputs: missing: the names of the numbers a trial gives");
    else
        for (i = 0; i < (outs->type == SPEC_SEQ ? outs->n : 1); i++) {
            const spec_node *o = outs->type == SPEC_SEQ ? outs->vals[i] : outs;
            if (o->type != SPEC_SCALAR)
                bad |= err(sp, o, "outputs: expected a list of names");
            else if (rill_sweep_output(sp->sweep, o->text) < 0)
                bad |= err(sp, o, lib_message());
        }
    if ((n = spec_map_get(sp->root, "trials")) != NULL)
        bad |= trials(sp, n);
    if ((n = spec_map_get(sp->root, "seed")) != NULL) {
        long long seed;
        if (whole(sp, n, "seed", 0, &seed) < 0)
            bad = -1;
        else
            sp->o.seed = (uint64_t)seed;
    }
    if (t == NULL)
        bad |= err(sp, sp->root, "trial: missing: {command: [PROGRAM, ARG...]} or {plugin: "
                                 "LIB, function: NAME}");
    else if (bad == 0) /* placeholders name the parameters: read them first */
        bad |= trial(sp, t);
    return bad ? -1 : 0;
}

int sweep_spec_sniff(const char *file)
{
    spec_node *root = spec_sniff_tree(file);
    int rc;
    if (root == NULL)
        return -1;
    rc = (spec_map_get(root, "parameters") || spec_map_get(root, "trial")) &&
         !spec_map_get(root, "sources") && !spec_map_get(root, "stages");
    spec_node_free(root);
    return rc;
}

void sweep_spec_free(sweep_spec *sp)
{
    rill_sweep_free(sp->sweep);
    free(sp->cmd.argv);
    free(sp->program);
    free(sp->identity);
    rill_plugin_close(sp->lib);
    spec_node_free(sp->root);
    memset(sp, 0, sizeof(*sp));
}
