/* plugin.c — plugins: shared objects whose entry point registers jobs,
 * tasks, reducers, frames, combines, sources and fragments under names
 * (include/rill/plugin.h), and the host's side that loads them, finds an
 * entry by name and adds it to a pipeline.
 *
 * A rill_plugin_lib holds the dlopen handle, what the plugin declared, its
 * entries and its unload hook. Its registry (struct rill_plugin, the handle
 * the entry point fills) lives inside it. Each entry is allocated alone
 * (a slot), so a rill_plugin_entry pointer stays valid while more are
 * registered; a slot keeps the copies of the options the entry points to.
 *
 * A registering call that is refused records the first refusal in the
 * registry: rill_plugin_open fails with it even when the plugin ignores the
 * code. Every message names the plugin's path.
 *
 * Under AddressSanitizer the object is opened with RTLD_NODELETE: dlclose
 * then leaves the code mapped, so a leak report made at exit can still name
 * the plugin's functions. Without it a leak in a closed plugin shows as
 * "<unknown module>". */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/error.h"
#include "rill/plugin.h"
#include "rill/sys/source.h"

#if defined(__SANITIZE_ADDRESS__)
#define KEEP_MAPPED RTLD_NODELETE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEP_MAPPED RTLD_NODELETE
#endif
#endif
#ifndef KEEP_MAPPED
#define KEEP_MAPPED 0
#endif

#define NAME_MAX_LEN 64

struct rill_plugin {
    rill_plugin_lib *lib;
    int declared;
    int failed;    /* the first refused call's code, 0 when none */
    char *failure; /* its message */
};

/* An entry and the copies it points to. */
typedef struct slot {
    rill_plugin_entry e;
    rill_stage_options stage_opts, end_opts;
    rill_task_options task_opts;
    rill_reduce_options reduce_opts;
    rill_frame_options frame_opts;
    rill_combine_options combine_opts;
    rill_source source;
} slot;

struct rill_plugin_lib {
    void *handle;
    char *path, *name, *description;
    unsigned api_version;
    slot **v;
    size_t n, cap;
    rill_plugin_unload_fn unload;
    void *unload_payload;
    rill_plugin reg;
};

static const char *const kind_names[] = {
    "any", "job", "task", "reduce", "frame", "combine", "source", "fragment",
};

const char *rill_plugin_kind_name(rill_plugin_kind kind)
{
    if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
        return "unknown";
    return kind_names[kind];
}

/* ---- the plugin's side: the registry ---- */

/* Records a refusal (the first one) and returns its code. */
static int refuse(rill_plugin *reg, int code, const char *fmt, ...) RILL_PRINTF(3, 4);
static int refuse(rill_plugin *reg, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rill__error_v(code, fmt, ap);
    va_end(ap);
    if (!reg->failed) {
        reg->failed = code;
        free(reg->failure);
        reg->failure = strdup(rill_error_last());
    }
    return code;
}

static int valid_name(const char *name)
{
    size_t i;
    for (i = 0; name[i]; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return i > 0 && i <= NAME_MAX_LEN;
}

static int valid_description(const char *d)
{
    return d != NULL && d[0] != '\0' && strchr(d, '\n') == NULL && strchr(d, '\r') == NULL;
}

static const slot *lookup(const rill_plugin_lib *lib, const char *name)
{
    size_t i;
    for (i = 0; i < lib->n; i++)
        if (strcmp(lib->v[i]->e.name, name) == 0)
            return lib->v[i];
    return NULL;
}

/* Checks what every registering call is given and makes the entry's slot,
 * not yet added (commit adds it). */
static int begin(rill_plugin *reg, const char *call, rill_plugin_kind kind, const char *name,
                 const char *description, int have_fn, slot **out)
{
    rill_plugin_lib *lib;
    slot *s;
    *out = NULL;
    if (reg == NULL)
        return rill__error(RILL_EINVAL, "%s: the registry is NULL", call);
    lib = reg->lib;
    if (!reg->declared)
        return refuse(reg, RILL_EINVAL, "plugin %s: %s before rill_plugin_declare (call "
                      "RILL_PLUGIN_DECLARE first)", lib->path, call);
    if (name == NULL || !valid_name(name))
        return refuse(reg, RILL_EINVAL, "plugin %s: %s: the name '%.80s' is not 1 to %d "
                      "letters, digits, '_', '-' or '.'", lib->path, call,
                      name ? name : "(null)", NAME_MAX_LEN);
    if (!valid_description(description))
        return refuse(reg, RILL_EINVAL, "plugin %s: %s '%s': the description must be one "
                      "line of text", lib->path, call, name);
    if (lookup(lib, name))
        return refuse(reg, RILL_EPIPELINE, "plugin %s: %s '%s': the plugin already has an "
                      "entry of that name (%s); names are unique in a plugin", lib->path,
                      call, name, rill_plugin_kind_name(lookup(lib, name)->e.kind));
    if (!have_fn)
        return refuse(reg, RILL_EPIPELINE, "plugin %s: %s '%s': a required callback is NULL",
                      lib->path, call, name);
    if ((s = calloc(1, sizeof(*s))) == NULL ||
        (s->e.name = strdup(name)) == NULL ||
        (s->e.description = strdup(description)) == NULL) {
        if (s) {
            free((char *)s->e.name);
            free(s);
        }
        return refuse(reg, RILL_ENOMEM, "plugin %s: %s '%s': out of memory", lib->path, call,
                      name);
    }
    s->e.kind = kind;
    s->e.file = lib->path;
    *out = s;
    return 0;
}

static void slot_free(slot *s)
{
    if (s) {
        free((char *)s->e.name);
        free((char *)s->e.description);
        free(s);
    }
}

static int commit(rill_plugin *reg, slot *s, void *payload)
{
    rill_plugin_lib *lib = reg->lib;
    if (lib->n == lib->cap) {
        size_t cap = lib->cap ? 2 * lib->cap : 8;
        slot **v = realloc(lib->v, cap * sizeof(*v));
        if (v == NULL) {
            int rc = refuse(reg, RILL_ENOMEM, "plugin %s: '%s': out of memory", lib->path,
                            s->e.name);
            slot_free(s);
            return rc;
        }
        lib->v = v;
        lib->cap = cap;
    }
    s->e.payload = payload;
    lib->v[lib->n++] = s;
    return 0;
}

/* Refuses options of another version, as the C API's calls do. */
static int check_version(rill_plugin *reg, slot *s, const char *call, const unsigned *version,
                         unsigned want, const char *init)
{
    int rc;
    if (version == NULL || *version == want)
        return 0;
    rc = refuse(reg, RILL_EINVAL, "plugin %s: %s '%s': options of version %u, expected %u "
                "(initialise them with %s)", reg->lib->path, call, s->e.name, *version, want,
                init);
    slot_free(s);
    return rc;
}

#define CHECK_VERSION(call, opts, VERSION, INIT)                                     \
    do {                                                                             \
        if ((rc = check_version(reg, s, call, (opts) ? &(opts)->version : NULL,      \
                                VERSION, #INIT)) < 0)                                \
            return rc;                                                               \
    } while (0)

int rill_plugin_declare(rill_plugin *reg, unsigned api_version, const char *name,
                        const char *description)
{
    rill_plugin_lib *lib;
    unsigned major = api_version >> 16, minor = api_version & 0xFFFF;
    if (reg == NULL)
        return rill__error(RILL_EINVAL, "rill_plugin_declare: the registry is NULL");
    lib = reg->lib;
    if (reg->declared)
        return refuse(reg, RILL_EINVAL, "plugin %s: rill_plugin_declare called twice",
                      lib->path);
    if (major != RILL_PLUGIN_API_MAJOR)
        return refuse(reg, RILL_EVERSION, "plugin %s was built for rill plugin API %u.%u; "
                      "this rill loads plugins of API %u.x (rebuild the plugin against "
                      "this rill's headers)", lib->path, major, minor, RILL_PLUGIN_API_MAJOR);
    if (minor > RILL_PLUGIN_API_MINOR)
        return refuse(reg, RILL_EVERSION, "plugin %s needs rill plugin API %u.%u; this rill "
                      "has %u.%u (use a newer rill)", lib->path, major, minor,
                      RILL_PLUGIN_API_MAJOR, RILL_PLUGIN_API_MINOR);
    if (name == NULL || !valid_name(name))
        return refuse(reg, RILL_EINVAL, "plugin %s: rill_plugin_declare: the name '%.80s' is "
                      "not 1 to %d letters, digits, '_', '-' or '.'", lib->path,
                      name ? name : "(null)", NAME_MAX_LEN);
    if (!valid_description(description))
        return refuse(reg, RILL_EINVAL, "plugin %s: rill_plugin_declare: the description must "
                      "be one line of text", lib->path);
    if ((lib->name = strdup(name)) == NULL || (lib->description = strdup(description)) == NULL)
        return refuse(reg, RILL_ENOMEM, "plugin %s: out of memory", lib->path);
    lib->api_version = api_version;
    reg->declared = 1;
    return 0;
}

int rill_plugin_job(rill_plugin *reg, const char *name, const char *description,
                    const rill_stage_options *opts, rill_job_fn fn, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_job", RILL_PLUGIN_JOB, name, description, fn != NULL,
                    &s)) < 0)
        return rc;
    CHECK_VERSION("rill_plugin_job", opts, RILL_STAGE_OPTIONS_VERSION, RILL_STAGE_OPTIONS_INIT);
    s->e.job = fn;
    if (opts) {
        s->stage_opts = *opts;
        s->e.stage_options = &s->stage_opts;
    }
    return commit(reg, s, payload);
}

int rill_plugin_task(rill_plugin *reg, const char *name, const char *description,
                     const rill_task_options *opts, rill_task_fn fn, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_task", RILL_PLUGIN_TASK, name, description, fn != NULL,
                    &s)) < 0)
        return rc;
    CHECK_VERSION("rill_plugin_task", opts, RILL_TASK_OPTIONS_VERSION, RILL_TASK_OPTIONS_INIT);
    s->e.task = fn;
    if (opts) {
        s->task_opts = *opts;
        s->e.task_options = &s->task_opts;
    }
    return commit(reg, s, payload);
}

int rill_plugin_reduce(rill_plugin *reg, const char *name, const char *description,
                       const rill_reduce_options *opts, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_reduce", RILL_PLUGIN_REDUCE, name, description,
                    opts != NULL && opts->add != NULL, &s)) < 0)
        return rc;
    CHECK_VERSION("rill_plugin_reduce", opts, RILL_REDUCE_OPTIONS_VERSION,
                  RILL_REDUCE_OPTIONS_INIT);
    if ((opts->encode == NULL) != (opts->decode == NULL)) {
        rc = refuse(reg, RILL_EPIPELINE, "plugin %s: rill_plugin_reduce '%s': give both "
                    "encode and decode, or neither", reg->lib->path, name);
        slot_free(s);
        return rc;
    }
    s->reduce_opts = *opts;
    s->e.reduce_options = &s->reduce_opts;
    return commit(reg, s, payload);
}

int rill_plugin_frame(rill_plugin *reg, const char *name, const char *description,
                      const rill_frame_options *opts, const rill_stage_options *end_opts,
                      rill_frame_end_fn end, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_frame", RILL_PLUGIN_FRAME, name, description,
                    opts != NULL && opts->frame != NULL && end != NULL, &s)) < 0)
        return rc;
    CHECK_VERSION("rill_plugin_frame", opts, RILL_FRAME_OPTIONS_VERSION,
                  RILL_FRAME_OPTIONS_INIT);
    CHECK_VERSION("rill_plugin_frame", end_opts, RILL_STAGE_OPTIONS_VERSION,
                  RILL_STAGE_OPTIONS_INIT);
    s->frame_opts = *opts;
    s->e.frame_options = &s->frame_opts;
    s->e.frame_end = end;
    if (end_opts) {
        s->end_opts = *end_opts;
        s->e.frame_end_options = &s->end_opts;
    }
    return commit(reg, s, payload);
}

int rill_plugin_combine(rill_plugin *reg, const char *name, const char *description,
                        const rill_combine_options *opts, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_combine", RILL_PLUGIN_COMBINE, name, description,
                    opts != NULL && opts->add != NULL && opts->merge != NULL, &s)) < 0)
        return rc;
    CHECK_VERSION("rill_plugin_combine", opts, RILL_COMBINE_OPTIONS_VERSION,
                  RILL_COMBINE_OPTIONS_INIT);
    s->combine_opts = *opts;
    s->e.combine_options = &s->combine_opts;
    return commit(reg, s, payload);
}

int rill_plugin_generator(rill_plugin *reg, const char *name, const char *description,
                          rill_generator_fn fn, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_generator", RILL_PLUGIN_SOURCE, name, description,
                    fn != NULL, &s)) < 0)
        return rc;
    s->e.generator = fn;
    return commit(reg, s, payload);
}

int rill_plugin_source(rill_plugin *reg, const char *name, const char *description,
                       const rill_source *table, rill_plugin_open_fn open, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_source", RILL_PLUGIN_SOURCE, name, description,
                    table != NULL && open != NULL, &s)) < 0)
        return rc;
    CHECK_VERSION("rill_plugin_source", table, RILL_SOURCE_VERSION, RILL_SOURCE_VERSION);
    if (table->next == NULL || table->describe == NULL || table->name == NULL) {
        rc = refuse(reg, RILL_EINVAL, "plugin %s: rill_plugin_source '%s': the table needs a "
                    "name, next and describe", reg->lib->path, name);
        slot_free(s);
        return rc;
    }
    s->source = *table;
    s->e.source = &s->source;
    s->e.open = open;
    return commit(reg, s, payload);
}

int rill_plugin_fragment(rill_plugin *reg, const char *name, const char *description,
                         rill_plugin_fragment_fn fn, void *payload)
{
    slot *s;
    int rc;
    if ((rc = begin(reg, "rill_plugin_fragment", RILL_PLUGIN_FRAGMENT, name, description,
                    fn != NULL, &s)) < 0)
        return rc;
    s->e.fragment = fn;
    return commit(reg, s, payload);
}

int rill_plugin_on_unload(rill_plugin *reg, rill_plugin_unload_fn fn, void *payload)
{
    if (reg == NULL)
        return rill__error(RILL_EINVAL, "rill_plugin_on_unload: the registry is NULL");
    if (fn == NULL)
        return refuse(reg, RILL_EPIPELINE, "plugin %s: rill_plugin_on_unload: the hook is "
                      "NULL", reg->lib->path);
    if (reg->lib->unload)
        return refuse(reg, RILL_EPIPELINE, "plugin %s: rill_plugin_on_unload called twice "
                      "(one hook per plugin)", reg->lib->path);
    reg->lib->unload = fn;
    reg->lib->unload_payload = payload;
    return 0;
}

/* ---- the host's side ---- */

void rill_plugin_close(rill_plugin_lib *lib)
{
    size_t i;
    if (lib == NULL)
        return;
    if (lib->unload)
        lib->unload(lib->unload_payload);
    for (i = 0; i < lib->n; i++)
        slot_free(lib->v[i]);
    free(lib->v);
    if (lib->handle)
        dlclose(lib->handle);
    free(lib->reg.failure);
    free(lib->path);
    free(lib->name);
    free(lib->description);
    free(lib);
}

/* A path with a '/' is checked before dlopen, for a plain reason. */
static int check_file(const char *path)
{
    struct stat st;
    if (strchr(path, '/') == NULL)
        return 0;
    if (stat(path, &st) < 0)
        return rill__error_errno(errno, "plugin %s: cannot open", path);
    if (S_ISDIR(st.st_mode))
        return rill__error(RILL_EISDIR, "plugin %s: a folder, not a shared object", path);
    if (access(path, R_OK) < 0)
        return rill__error_errno(errno, "plugin %s: cannot read", path);
    return 0;
}

/* Calls the entry point and judges what it did. */
static int run_init(rill_plugin_lib *lib, rill_plugin_init_fn init)
{
    rill_plugin *reg = &lib->reg;
    int ret;
    rill_error_clear();
    ret = init(reg, RILL_PLUGIN_API_VERSION);
    if (reg->failed)
        return rill__error_str(reg->failed, reg->failure ? reg->failure : "plugin refused");
    if (ret != 0) {
        char why[RILL__ERROR_MAX]; /* a copy: the message is rewritten */
        snprintf(why, sizeof(why), "%s", rill_error_last());
        return rill__error(RILL_EUSER, "plugin %s: %s returned %d%s%.800s", lib->path,
                           RILL_PLUGIN_ENTRY, ret, why[0] ? ": " : " (no message)", why);
    }
    if (!reg->declared)
        return rill__error(RILL_EINVAL, "plugin %s: %s did not call rill_plugin_declare "
                           "(RILL_PLUGIN_DECLARE)", lib->path, RILL_PLUGIN_ENTRY);
    return 0;
}

int rill_plugin_open(rill_plugin_lib **out, const char *path)
{
    rill_plugin_lib *lib = NULL;
    rill_plugin_init_fn init;
    void *sym;
    const char *why;
    int rc;
    if (out == NULL || path == NULL)
        return rill__error(RILL_EINVAL, "rill_plugin_open: NULL argument");
    *out = NULL;
    if (path[0] == '\0')
        return rill__error(RILL_EINVAL, "rill_plugin_open: the path is empty");
    if ((rc = check_file(path)) < 0)
        return rc;
    if ((lib = calloc(1, sizeof(*lib))) == NULL || (lib->path = strdup(path)) == NULL) {
        free(lib);
        return rill__error(RILL_ENOMEM, "plugin %s: out of memory", path);
    }
    lib->reg.lib = lib;
    dlerror();
    if ((lib->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | KEEP_MAPPED)) == NULL) {
        why = dlerror();
        why = why ? why : "unknown reason";
        rc = rill__error(strstr(why, "No such file") ? RILL_ENOTFOUND : RILL_EINVAL,
                         "plugin %s: cannot load: %.800s", path, why);
        goto fail;
    }
    dlerror();
    sym = dlsym(lib->handle, RILL_PLUGIN_ENTRY);
    if (sym == NULL) {
        why = dlerror();
        rc = rill__error(RILL_ENOTFOUND, "plugin %s: no entry point %s (%.600s); a rill "
                         "plugin exports it with RILL_PLUGIN_EXPORT", path, RILL_PLUGIN_ENTRY,
                         why ? why : "it is NULL");
        goto fail;
    }
    memcpy(&init, &sym, sizeof(init)); /* a data pointer to a function pointer */
    if ((rc = run_init(lib, init)) < 0)
        goto fail;
    *out = lib;
    return 0;
fail:
    {
        /* the message outlives close, which runs the plugin's hook */
        char msg[RILL__ERROR_MAX];
        snprintf(msg, sizeof(msg), "%s", rill_error_last());
        rill_plugin_close(lib);
        return rill__error_str(rc, msg);
    }
}

size_t rill_plugin_count(const rill_plugin_lib *lib)
{
    return lib ? lib->n : 0;
}

const rill_plugin_entry *rill_plugin_entry_at(const rill_plugin_lib *lib, size_t i)
{
    return lib && i < lib->n ? &lib->v[i]->e : NULL;
}

const char *rill_plugin_path(const rill_plugin_lib *lib)
{
    return lib ? lib->path : NULL;
}

const char *rill_plugin_name(const rill_plugin_lib *lib)
{
    return lib ? lib->name : NULL;
}

const char *rill_plugin_description(const rill_plugin_lib *lib)
{
    return lib ? lib->description : NULL;
}

unsigned rill_plugin_api_version(const rill_plugin_lib *lib)
{
    return lib ? lib->api_version : 0;
}

/* "job upper, reduce mean_length, ..." of the entries of kind (any: all),
 * into buf. */
static void offers(char *buf, size_t cap, const rill_plugin_lib *lib, rill_plugin_kind kind)
{
    size_t i, used = 0;
    buf[0] = '\0';
    for (i = 0; i < lib->n && used < cap; i++) {
        const rill_plugin_entry *e = &lib->v[i]->e;
        int k;
        if (kind != RILL_PLUGIN_ANY && e->kind != kind)
            continue;
        k = snprintf(buf + used, cap - used, "%s%s %s", used ? ", " : "",
                     rill_plugin_kind_name(e->kind), e->name);
        used += k > 0 ? (size_t)k : 0;
    }
    if (used == 0)
        snprintf(buf, cap, "nothing");
}

int rill_plugin_find(const rill_plugin_entry **out, const rill_plugin_lib *lib,
                     rill_plugin_kind kind, const char *name)
{
    const slot *s;
    char list[600];
    if (out == NULL || lib == NULL || name == NULL)
        return rill__error(RILL_EINVAL, "rill_plugin_find: NULL argument");
    *out = NULL;
    if ((unsigned)kind > RILL_PLUGIN_FRAGMENT)
        return rill__error(RILL_EINVAL, "rill_plugin_find: unknown kind %d", (int)kind);
    if ((s = lookup(lib, name)) == NULL) {
        offers(list, sizeof(list), lib, RILL_PLUGIN_ANY);
        return rill__error(RILL_ENOTFOUND, "plugin %s: no %s named '%.200s'; it offers: %s",
                           lib->path, kind == RILL_PLUGIN_ANY ? "entry"
                           : rill_plugin_kind_name(kind), name, list);
    }
    if (kind != RILL_PLUGIN_ANY && s->e.kind != kind) {
        offers(list, sizeof(list), lib, kind);
        return rill__error(RILL_ETYPE, "plugin %s: '%s' is a %s, not a %s; its %ss: %s",
                           lib->path, name, rill_plugin_kind_name(s->e.kind),
                           rill_plugin_kind_name(kind), rill_plugin_kind_name(kind), list);
    }
    *out = &s->e;
    return 0;
}
