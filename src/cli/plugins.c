/* plugins.c — user code from shared objects (include/rill/plugin.h) in a
 * spec (docs/spec.md, "Plugins"):
 *
 *     plugins: [libexample_plugin.so]       # opened before anything is built
 *     stages:
 *       - {name: up, kind: plugin, function: upper}
 *       - {kind: plugin, plugin: ./libmine.so, function: prefix, text: "> "}
 *
 * A stage or source of kind plugin names an entry (function:) of the
 * plugin given by its plugin: key, or of the first library of the spec's
 * plugins: list that offers it. `use: LIB:ENTRY` says both in one (a stage
 * with use: and no kind: is of kind plugin, named ENTRY unless named):
 *
 *       - {use: libexample_plugin.so:classify, long: 5}
 *
 * Its other keys (but batch_size, concurrency and serial) are the
 * entry's options: context values of a job, task,
 * reduce or combine (rill_context), the key=value options of a source or
 * a fragment. A frame entry adds the frame's start; a later stage with the
 * same function: and `end: true` adds its end.
 *
 * Where a library is looked for: an absolute path as it is; a path with a
 * '/' from the spec's folder (from the current folder when it came from
 * -s); a bare file name in each folder of RILL_PLUGIN_PATH (':'-separated),
 * then the spec's folder, then where dlopen looks.
 *
 * Libraries are opened while the spec is built (so `rill check` reports a
 * missing library or entry at its file:line:column) and closed only after
 * the pipeline is freed (cli_own: the builder frees what it owns after the
 * pipeline). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins.h"
#include "sources.h"
#include "xalloc.h"

typedef struct plugin_lib {
    char *path;           /* resolved (owned) */
    rill_plugin_lib *lib; /* owned; NULL when it could not be opened */
} plugin_lib;

struct cli_plugins {
    plugin_lib *libs;     /* the spec's plugins: list first, then stages' */
    size_t n, nlisted;    /* nlisted: how many came from plugins: */
};

static void plugins_free(void *p)
{
    cli_plugins *ps = p;
    size_t i;
    for (i = 0; i < ps->n; i++) {
        rill_plugin_close(ps->libs[i].lib);
        free(ps->libs[i].path);
    }
    free(ps->libs);
    free(ps);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Where the library named path (written in file: the spec, or "-s") is. */
static char *resolve(const char *spec_file, const char *file, const char *path)
{
    const char *slash = strrchr(spec_file, '/');
    int from_spec = strcmp(file, "-s") != 0;
    size_t cap = strlen(spec_file) + strlen(path) + 4096;
    char *out = cli_xmalloc(cap);
    if (path[0] == '/' || (strchr(path, '/') && (!from_spec || slash == NULL))) {
        snprintf(out, cap, "%s", path);
        return out;
    }
    if (strchr(path, '/')) { /* relative to the spec's folder */
        snprintf(out, cap, "%.*s/%s", (int)(slash - spec_file), spec_file, path);
        return out;
    }
    {
        const char *dirs = getenv("RILL_PLUGIN_PATH");
        while (dirs && *dirs) {
            const char *end = strchr(dirs, ':');
            size_t len = end ? (size_t)(end - dirs) : strlen(dirs);
            if (len > 0 && len < 4000) {
                snprintf(out, cap, "%.*s/%s", (int)len, dirs, path);
                if (exists(out))
                    return out;
            }
            dirs = end ? end + 1 : NULL;
        }
    }
    if (slash)
        snprintf(out, cap, "%.*s/%s", (int)(slash - spec_file), spec_file, path);
    else
        snprintf(out, cap, "./%s", path);
    if (!exists(out))
        snprintf(out, cap, "%s", path); /* dlopen's own search */
    return out;
}

static cli_plugins *plugins_of(cli_build *b)
{
    if (b->plugins == NULL) {
        b->plugins = cli_xcalloc(1, sizeof(*b->plugins));
        cli_own(b, b->plugins, plugins_free);
    }
    return b->plugins;
}

/* The library at path (resolved), opened once per build; NULL after
 * cli_error_at at file:line:column. */
static plugin_lib *open_lib(cli_build *b, const char *path, const char *file, int line,
                            int column)
{
    cli_plugins *ps = plugins_of(b);
    char *full = resolve(b->s->file, file, path);
    plugin_lib *pl;
    size_t i;
    int rc;
    for (i = 0; i < ps->n; i++)
        if (strcmp(ps->libs[i].path, full) == 0) {
            free(full);
            return ps->libs[i].lib ? &ps->libs[i] : NULL; /* reported already */
        }
    ps->libs = cli_xrealloc(ps->libs, (ps->n + 1) * sizeof(*ps->libs));
    pl = &ps->libs[ps->n++];
    pl->path = full;
    pl->lib = NULL;
    if ((rc = rill_plugin_open(&pl->lib, full)) < 0) {
        cli_error_at(file, line, column, "cannot load the plugin '%s'%s: %s", path,
                     strchr(path, '/') ? ""
                                       : " (a bare name is looked for in RILL_PLUGIN_PATH, "
                                         "the spec's folder, then the system's)",
                     rill_error_last());
        return NULL;
    }
    return pl;
}

int cli_plugins_open(cli_build *b)
{
    const spec_node *list = b->s->plugins;
    size_t i;
    int rc = 0;
    if (list == NULL)
        return 0;
    for (i = 0; i < list->n; i++) {
        const spec_node *n = list->vals[i];
        if (open_lib(b, n->text, b->s->file, n->line, n->column) == NULL)
            rc = -1;
        plugins_of(b)->nlisted = plugins_of(b)->n;
    }
    return rc;
}

/* The entry o names (plugin:, function:), of kind; NULL after cli_error. */
static const rill_plugin_entry *find_entry(cli_build *b, const cli_opts *o,
                                           rill_plugin_kind kind)
{
    const rill_plugin_entry *e = NULL;
    const char *path = NULL, *fn = NULL, *use = NULL;
    size_t i;
    int rc;
    if (cli_opt_str(o, "use", &use) < 0)
        return NULL;
    if (use) { /* use: LIB:ENTRY, or ENTRY of the plugins: list */
        const char *colon = strrchr(use, ':');
        char *lib;
        if (cli_opt_str(o, "function", &fn) == 0 || cli_opt_str(o, "plugin", &path) == 0) {
            cli_error(o, "use", "use: names the plugin and the entry: give it without "
                                "function: and plugin:");
            return NULL;
        }
        if (*use == '\0' || (colon && (colon == use || colon[1] == '\0'))) {
            cli_error(o, "use", "use: expected LIBRARY:ENTRY (use: libfoo.so:classify) "
                                "or ENTRY, found '%s'", use);
            return NULL;
        }
        fn = colon ? colon + 1 : use;
        path = NULL;
        if (colon) {
            lib = cli_xmalloc((size_t)(colon - use) + 1);
            memcpy(lib, use, (size_t)(colon - use));
            lib[colon - use] = '\0';
            cli_own(b, lib, NULL);
            path = lib;
        }
    } else if ((rc = cli_opt_str(o, "function", &fn)) != 0) {
        if (rc == 1)
            cli_error(o, NULL, "kind plugin needs function: (the name of what the plugin "
                               "offers), or use: LIBRARY:ENTRY");
        return NULL;
    }
    if (!use && cli_opt_str(o, "plugin", &path) < 0)
        return NULL;
    if (path) {
        const cli_value *v = NULL;
        plugin_lib *pl;
        for (i = 0; i < o->n; i++)
            if (strcmp(o->v[i].key, use ? "use" : "plugin") == 0)
                v = &o->v[i];
        if (*path == '\0') {
            cli_error(o, "plugin", "plugin: an empty path");
            return NULL;
        }
        if ((pl = open_lib(b, path, v->file, v->line, v->column)) == NULL)
            return NULL;
        if (rill_plugin_find(&e, pl->lib, kind, fn) < 0) {
            cli_error(o, use ? "use" : "function", "%s", rill_error_last());
            return NULL;
        }
        return e;
    }
    if (b->plugins == NULL || b->plugins->nlisted == 0) {
        if (use)
            cli_error(o, "use", "use: '%s' names an entry but no library: use: LIBRARY:%s, or "
                                "list the library under plugins: at the top of the spec", use,
                      use);
        else
            cli_error(o, NULL, "kind plugin needs plugin: (a shared object), or a plugins: "
                               "list at the top of the spec");
        return NULL;
    }
    for (i = 0; i < b->plugins->nlisted; i++)
        if (b->plugins->libs[i].lib == NULL)
            return NULL; /* reported where it is listed: the entry may be in it */
    for (i = 0; i < b->plugins->nlisted; i++) {
        rill_plugin_lib *lib = b->plugins->libs[i].lib;
        if ((rc = rill_plugin_find(&e, lib, RILL_PLUGIN_ANY, fn)) == 0) {
            if (kind != RILL_PLUGIN_ANY && (rc = rill_plugin_find(&e, lib, kind, fn)) < 0) {
                cli_error(o, use ? "use" : "function", "%s", rill_error_last());
                return NULL;
            }
            return e;
        }
    }
    cli_error(o, use ? "use" : "function", "no plugin of plugins: offers '%s'%s%s", fn,
              b->plugins->nlisted == 1 ? ": " : "",
              b->plugins->nlisted == 1 ? rill_error_last() : "");
    return NULL;
}

/* The entry's options: every key of o but those of the stage itself, as
 * key=value strings, NULL-terminated (owned by the builder); each marked
 * read. source: o is a source's (which has no batch_size... of its own). NULL after cli_error (a list: options are values). */
static const char *const *entry_options(cli_build *b, const cli_opts *o, size_t *count,
                                        int source)
{
    static const char *const own_stage[] = {"plugin", "function", "use", "end", "batch_size",
                                            "concurrency", "serial", NULL};
    static const char *const own_source[] = {"plugin", "function", NULL};
    const char *const *own = source ? own_source : own_stage;
    char **out = cli_xcalloc(o->n + 1, sizeof(*out));
    size_t i, j, n = 0;
    cli_own(b, out, NULL);
    for (i = 0; i < o->n; i++) {
        cli_value *v = &o->v[i];
        size_t len;
        for (j = 0; own[j] && strcmp(own[j], v->key) != 0; j++)
            ;
        if (own[j])
            continue;
        v->used = 1;
        if (v->text == NULL) {
            cli_error(o, v->key, "option '%s' of a plugin entry must be a value, not a list",
                      v->key);
            return NULL;
        }
        len = strlen(v->key) + strlen(v->text) + 2;
        out[n] = cli_xmalloc(len);
        snprintf(out[n], len, "%s=%s", v->key, v->text);
        cli_own(b, out[n], NULL);
        n++;
    }
    *count = n;
    return (const char *const *)out;
}

/* Sets each option as a context value of stage. */
static int set_context(cli_build *b, const cli_opts *o, const char *stage,
                       const char *const *options)
{
    size_t i;
    for (i = 0; options[i]; i++) {
        const char *eq = strchr(options[i], '=');
        char key[300];
        snprintf(key, sizeof(key), "context.%.*s", (int)(eq - options[i]), options[i]);
        if (rill_configure(b->p, stage, key, eq + 1) < 0)
            return cli_error(o, NULL, "%s", rill_error_last());
    }
    return 0;
}

/* Records a stage the library's call added (frame, fragment) as a node. */
static int add_node(cli_build *b, const cli_opts *o, const char *name, const char *type)
{
    if (cli_add_source_stage(b, o, name, 0, 0) < 0)
        return -1;
    b->nodes[b->nnodes - 1].type = type;
    return 0;
}

static int add_plugin_stage(cli_build *b, const cli_opts *o)
{
    const rill_plugin_entry *e = find_entry(b, o, RILL_PLUGIN_ANY);
    size_t nopts = 0;
    const char *const *options = entry_options(b, o, &nopts, 0);
    int end = 0, rc;
    char name[512];
    if (cli_opt_bool(o, "end", &end) < 0 || e == NULL || options == NULL)
        return -1;
    if (end && e->kind != RILL_PLUGIN_FRAME)
        return cli_error(o, "end", "end: is for a frame's end; '%s' is a %s", e->name, rill_plugin_kind_name(e->kind));
    switch (e->kind) {
    case RILL_PLUGIN_JOB:
        if (cli_add_job(b, o, o->stage, e->stage_options, e->job, e->payload) < 0)
            return -1;
        return set_context(b, o, o->stage, options);
    case RILL_PLUGIN_TASK:
        if (cli_add_task(b, o, o->stage, e->task_options, e->task, e->payload) < 0)
            return -1;
        return set_context(b, o, o->stage, options);
    case RILL_PLUGIN_REDUCE:
        if (cli_add_reduce(b, o, o->stage, e->reduce_options, e->payload) < 0)
            return -1;
        return set_context(b, o, o->stage, options);
    case RILL_PLUGIN_COMBINE:
        if (cli_add_combine(b, o, o->stage, e->combine_options, e->payload) < 0)
            return -1;
        return set_context(b, o, o->stage, options);
    case RILL_PLUGIN_FRAME:
    case RILL_PLUGIN_FRAGMENT:
        if (b->graph)
            return cli_error(o, NULL, "a plugin's %s needs a chain: a spec whose stages name "
                                      "their input: is a graph",
                             rill_plugin_kind_name(e->kind));
        if (end) {
            snprintf(name, sizeof(name), "%s", o->stage);
            if ((rc = rill_plugin_add_end(b->p, e, name)) < 0)
                return cli_error(o, NULL, "%s", rill_error_last());
            return add_node(b, o, name, "frame end");
        }
        if ((rc = rill_plugin_add(b->p, e, o->stage, nopts ? options : NULL)) < 0)
            return cli_error(o, NULL, "%s", rill_error_last());
        return add_node(b, o, o->stage, e->kind == RILL_PLUGIN_FRAME ? "frame" : "fragment");
    case RILL_PLUGIN_SOURCE:
        return cli_error(o, "function", "'%s' is a source: name it under sources: (kind: "
                                        "plugin)", e->name);
    default:
        return cli_error(o, "function", "'%s' cannot be a stage", e->name);
    }
}

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static int add_plugin_source(cli_build *b, const cli_opts *o)
{
    const rill_plugin_entry *e = find_entry(b, o, RILL_PLUGIN_SOURCE);
    size_t nopts = 0;
    const char *const *options = entry_options(b, o, &nopts, 1);
    if (e == NULL || options == NULL)
        return -1;
    if (rill_plugin_add(b->p, e, o->stage, nopts ? options : NULL) < 0)
        return cli_error(o, NULL, "%s", rill_error_last());
    b->generator = 1;
    if (cli_add_job(b, o, o->stage, NULL, pass, NULL) < 0)
        return -1;
    b->nodes[b->nnodes - 1].type = "source";
    b->nodes[b->nnodes - 1].unbounded = 1;
    return 0;
}

static const cli_option_doc plugin_opts[] = {
    {"function", "string", NULL, "the name of the entry (what the plugin registered)"},
    {"plugin", "string", "plugins:", "the shared object (.so) to load (default: the spec's "
                                     "plugins: list)"},
    {"use", "string", NULL, "LIBRARY:ENTRY (or ENTRY of plugins:) in one, instead of "
                            "plugin: and function:; the stage may then omit kind: and name:"},
    {"end", "bool", "false", "a frame's end (the frame's start is a stage before)"},
    {"(any other)", "value", "none", "the entry's options (its stage's context values)"},
    {NULL, NULL, NULL, NULL}};

static const cli_option_doc plugin_source_opts[] = {
    {"function", "string", NULL, "the name of the source (what the plugin registered)"},
    {"plugin", "string", "plugins:", "the shared object (.so) to load (default: the spec's "
                                     "plugins: list)"},
    {"(any other)", "value", "none", "the source's options (key=value, given to its open)"},
    {NULL, NULL, NULL, NULL}};

const cli_stage_def cli_stage_plugin = {"plugin", "a job, task, reduce, combine, frame or "
                                                  "fragment from a shared object",
                                        plugin_opts, add_plugin_stage};

const cli_source_def cli_source_plugin = {"plugin", "a source from a shared object",
                                          plugin_source_opts, 0, 1, add_plugin_source};
