/* rill/plugin.h — user code loaded from a shared object (a plugin).
 *
 * A plugin exports ONE function, its entry point, and registers there what
 * it offers, each thing under a name and with a one-line description:
 *
 *     #include <rill.h>
 *
 *     RILL_PLUGIN_EXPORT int rill_plugin_init(rill_plugin *reg, unsigned api_version)
 *     {
 *         int rc;
 *         (void)api_version;
 *         if ((rc = RILL_PLUGIN_DECLARE(reg, "example", "what it is for")) < 0)
 *             return rc;
 *         return rill_plugin_job(reg, "upper", "upper-cases text", NULL, upper, NULL);
 *     }
 *
 * The callbacks have the C API's own signatures (rill/pipeline.h,
 * rill/graph.h, rill/sys/source.h): what a program hands rill_job,
 * rill_reduce... a plugin hands the registry, and a host (the `rill`
 * command, or any program) adds it to a pipeline by name.
 *
 * Versions. The registry passes its plugin API version to the entry point
 * (api_version); the plugin's first call, RILL_PLUGIN_DECLARE, gives the
 * version it was built with. A plugin built for another major version, or
 * for a newer minor version than the host's, is refused when it is opened,
 * with a message giving both. The entry point's name and signature stay the
 * same in every version, so that is always what is checked.
 *
 * Building. A plugin includes <rill.h> and does not link librill: it uses
 * the rill of the program that loads it (`cc -shared -fPIC $(pkg-config
 * --cflags rill) -o libfoo.so foo.c`). A program that links rill statically
 * must export rill's symbols for its plugins (-rdynamic). docs/plugins.md.
 *
 * Ownership and lifetime. Names, descriptions and options structs are
 * copied by the registry. Payloads are the plugin's: rill passes them to
 * the callbacks and never frees them; the plugin frees what it allocated in
 * its unload hook (rill_plugin_on_unload). The code and the payloads live
 * until rill_plugin_close: close a plugin only after every pipeline using
 * its entries has been freed (rill_pipeline_free).
 *
 * Threads. rill_plugin_init runs on the thread calling rill_plugin_open;
 * the registered callbacks run as the same callbacks of the C API do. */
#ifndef RILL_PLUGIN_H
#define RILL_PLUGIN_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sources' tables (struct rill_source) are declared in rill/sys/source.h,
 * which a plugin registering one includes. */
struct rill_source;

/* ---- the plugin's side ---- */

/* The plugin API's version: major << 16 | minor. A new major version may
 * change what a plugin calls or is called with; a minor one only adds. */
#define RILL_PLUGIN_API_MAJOR 1
#define RILL_PLUGIN_API_MINOR 0
#define RILL_PLUGIN_API_VERSION \
    ((unsigned)RILL_PLUGIN_API_MAJOR << 16 | (unsigned)RILL_PLUGIN_API_MINOR)

/* Marks the entry point exported (build plugins with -fvisibility=hidden:
 * only the entry point needs to be seen). */
#define RILL_PLUGIN_EXPORT RILL_EXTERN

/* The entry point a plugin exports, by this name ("rill_plugin_init") and
 * with this signature, in every version. reg: borrowed for the call.
 * api_version: the host's RILL_PLUGIN_API_VERSION. Returns 0, or non-zero
 * to refuse to load (after rill_error_set saying why: the host shows it). */
#define RILL_PLUGIN_ENTRY "rill_plugin_init"
typedef struct rill_plugin rill_plugin;
typedef int (*rill_plugin_init_fn)(rill_plugin *reg, unsigned api_version);

/* The first call of every entry point: the plugin's name and description
 * (copied) and the API version it was built with. RILL_EVERSION for a
 * version the host cannot load: return it. */
RILL_EXTERN int rill_plugin_declare(rill_plugin *reg, unsigned api_version,
                                    const char *name, const char *description);
#define RILL_PLUGIN_DECLARE(reg, name, description) \
    rill_plugin_declare((reg), RILL_PLUGIN_API_VERSION, (name), (description))

/* Registering calls. Each takes the entry's name (unique in the plugin,
 * across kinds; letters, digits, '_', '-' and '.', at most 64 bytes) and
 * description (one line), both copied; options structs (NULL: defaults)
 * copied, checked for their version as the C API checks them; payload,
 * the plugin's own, passed to the callbacks, last. They refuse what the C
 * API would refuse (a NULL callback, options of another version) with its
 * code and a message naming the entry; the plugin should return the code,
 * and rill_plugin_open fails with it even when the plugin does not.
 *
 * A job (rill_job): one record in, any number out. */
RILL_EXTERN int rill_plugin_job(rill_plugin *reg, const char *name, const char *description,
                                const rill_stage_options *opts, rill_job_fn fn,
                                void *payload);
/* A graph task (rill_task): a batch of records at a time. */
RILL_EXTERN int rill_plugin_task(rill_plugin *reg, const char *name, const char *description,
                                 const rill_task_options *opts, rill_task_fn fn,
                                 void *payload);
/* A reducer (rill_reduce): store size, init, add, merge, emit, free,
 * encode/decode, all in opts (required: add). */
RILL_EXTERN int rill_plugin_reduce(rill_plugin *reg, const char *name, const char *description,
                                   const rill_reduce_options *opts, void *payload);
/* A frame (rill_frame with opts, required: frame) and its end (rill_frame_end
 * with end_opts and end, required): a host adds the frame, the stages the
 * spec puts inside it, then the end. */
RILL_EXTERN int rill_plugin_frame(rill_plugin *reg, const char *name, const char *description,
                                  const rill_frame_options *opts,
                                  const rill_stage_options *end_opts, rill_frame_end_fn end,
                                  void *payload);
/* A keyed aggregation (rill_combine; required: add and merge). */
RILL_EXTERN int rill_plugin_combine(rill_plugin *reg, const char *name, const char *description,
                                    const rill_combine_options *opts, void *payload);
/* A source that is a generator (rill_generator). Its state lives in payload,
 * shared by every pipeline using the entry: a source with state of its own
 * per pipeline is a table (rill_plugin_source). */
RILL_EXTERN int rill_plugin_generator(rill_plugin *reg, const char *name,
                                      const char *description, rill_generator_fn fn,
                                      void *payload);
/* A source that is a table of rill/sys/source.h (version RILL_SOURCE_VERSION,
 * with next and describe; copied), with the function that opens one for a
 * pipeline: *self (the table's self) is made from options (key=value
 * strings, NULL-terminated; NULL when none), and is owned by the pipeline
 * once the host has set it (freed with the table's free). open returns 0,
 * or non-zero after rill_error_set saying which option is wrong. */
typedef int (*rill_plugin_open_fn)(void **self, const char *const *options, void *payload);
RILL_EXTERN int rill_plugin_source(rill_plugin *reg, const char *name, const char *description,
                                   const struct rill_source *table, rill_plugin_open_fn open,
                                   void *payload);
/* A reusable piece of pipeline: appends stages to p with the inline API, in
 * order (as job_stream's jobs_NAME). name: the stage name the host gave;
 * the fragment names its stages name or "name.something" (borrowed, copy
 * it). options: key=value strings, NULL-terminated (NULL when none). It may
 * keep per-pipeline values as context of its stages (rill_configure(p,
 * stage, "context.KEY", value), read with rill_context). Returns 0, or
 * non-zero after rill_error_set (or a registering call's code). */
typedef rill_piece_fn rill_plugin_fragment_fn; /* a piece (rill_use, pipeline.h) */
RILL_EXTERN int rill_plugin_fragment(rill_plugin *reg, const char *name,
                                     const char *description, rill_plugin_fragment_fn fn,
                                     void *payload);
/* The plugin-wide free hook: called once with payload when the plugin is
 * closed, and when its entry point failed (after it returned), before the
 * code is unloaded. One per plugin. */
typedef void (*rill_plugin_unload_fn)(void *payload);
RILL_EXTERN int rill_plugin_on_unload(rill_plugin *reg, rill_plugin_unload_fn fn,
                                      void *payload);

/* ---- the host's side ---- */

typedef enum rill_plugin_kind {
    RILL_PLUGIN_ANY = 0,  /* for rill_plugin_find: an entry of any kind */
    RILL_PLUGIN_JOB,
    RILL_PLUGIN_TASK,
    RILL_PLUGIN_REDUCE,
    RILL_PLUGIN_FRAME,
    RILL_PLUGIN_COMBINE,
    RILL_PLUGIN_SOURCE,   /* a generator, or a table with its open */
    RILL_PLUGIN_FRAGMENT
} rill_plugin_kind;

/* What a spec writes for the kind: "job", "task", "reduce", "frame",
 * "combine", "source", "fragment" ("any"); static. */
RILL_EXTERN const char *rill_plugin_kind_name(rill_plugin_kind kind);

/* One thing a plugin offers. Owned by its rill_plugin_lib, valid (and
 * unchanged) until rill_plugin_close; read it, never write it. Fields not of
 * the entry's kind are NULL. Options pointers are NULL for the defaults. */
typedef struct rill_plugin_entry {
    rill_plugin_kind kind;
    const char *name;
    const char *description;
    const char *file;    /* the path the plugin was opened with */
    void *payload;       /* the plugin's: pass it as the payload argument */
    /* RILL_PLUGIN_JOB: rill_job(p, stage, stage_options, job, payload) */
    rill_job_fn job;
    const rill_stage_options *stage_options;
    /* RILL_PLUGIN_TASK: rill_task(p, stage, task_options, task, payload) */
    rill_task_fn task;
    const rill_task_options *task_options;
    /* RILL_PLUGIN_REDUCE: rill_reduce(p, stage, reduce_options, payload) */
    const rill_reduce_options *reduce_options;
    /* RILL_PLUGIN_FRAME: rill_frame(p, stage, frame_options, payload), the
     * inner stages, rill_frame_end(p, stage2, frame_end_options, frame_end,
     * payload) */
    const rill_frame_options *frame_options;
    rill_frame_end_fn frame_end;
    const rill_stage_options *frame_end_options;
    /* RILL_PLUGIN_COMBINE: rill_combine(p, stage, combine_options, payload) */
    const rill_combine_options *combine_options;
    /* RILL_PLUGIN_SOURCE: rill_generator(p, generator, payload), or
     * open(&self, options, payload) then rill_source_set(p, source, self) */
    rill_generator_fn generator;
    const struct rill_source *source;
    rill_plugin_open_fn open;
    /* RILL_PLUGIN_FRAGMENT: fragment(p, stage, options, payload) */
    rill_plugin_fragment_fn fragment;
} rill_plugin_entry;

typedef struct rill_plugin_lib rill_plugin_lib;

/* Loads the shared object at path (dlopen with RTLD_NOW | RTLD_LOCAL: a
 * symbol it needs and the process lacks fails here) and calls its entry
 * point. A path without '/' is searched as dlopen searches (LD_LIBRARY_PATH,
 * the system's folders): write ./libfoo.so for the current folder.
 * *out: caller closes with rill_plugin_close; NULL on failure, when the
 * message names path and why:
 *   RILL_ENOTFOUND  no such file, or no entry point rill_plugin_init;
 *   RILL_EACCES, RILL_EISDIR  the file cannot be read, or is a folder;
 *   RILL_EINVAL     not a loadable shared object (dlerror's reason: wrong
 *                   format or architecture, a missing symbol...), or a
 *                   plugin that never called rill_plugin_declare;
 *   RILL_EVERSION   built for a plugin API this rill cannot load;
 *   RILL_EUSER      its entry point returned non-zero (with its message);
 *   the registering call's code when one was refused; RILL_ENOMEM.
 * Each call runs the entry point again, with a registry of its own; the
 * plugin's static data is shared while the object stays loaded. */
RILL_EXTERN int rill_plugin_open(rill_plugin_lib **out, const char *path);

/* Calls the plugin's unload hook, frees its entries and unloads it (dlclose;
 * in a build with AddressSanitizer the code stays mapped, RTLD_NODELETE, so
 * leak reports can still name the plugin's functions). Only after every
 * pipeline using its entries has been freed. Accepts NULL. */
RILL_EXTERN void rill_plugin_close(rill_plugin_lib *lib);

/* *out: the entry called name, of kind kind (RILL_PLUGIN_ANY: any),
 * borrowed from lib. RILL_ENOTFOUND when there is none (the message names
 * the entry, the file, and lists what the plugin offers), RILL_ETYPE when
 * the entry has another kind (the message says which). */
RILL_EXTERN int rill_plugin_find(const rill_plugin_entry **out, const rill_plugin_lib *lib,
                                 rill_plugin_kind kind, const char *name);

/* Listing, for help and checks: the entries in the order they were
 * registered (i past the last: NULL), the path it was opened with, and the
 * name, description and API version the plugin declared. Borrowed from lib. */
RILL_EXTERN size_t rill_plugin_count(const rill_plugin_lib *lib);
RILL_EXTERN const rill_plugin_entry *rill_plugin_entry_at(const rill_plugin_lib *lib, size_t i);
RILL_EXTERN const char *rill_plugin_path(const rill_plugin_lib *lib);
RILL_EXTERN const char *rill_plugin_name(const rill_plugin_lib *lib);
RILL_EXTERN const char *rill_plugin_description(const rill_plugin_lib *lib);
RILL_EXTERN unsigned rill_plugin_api_version(const rill_plugin_lib *lib);

/* Adds entry e to p as stage (copied), the way a spec does, for a host that
 * does not wire stages itself:
 *   job, task, reduce, combine: the stage, with each option key=value set as
 *     its context value KEY (rill_context);
 *   frame: the frame's start (its end: rill_plugin_add_end);
 *   source: the generator, or a self opened with options as p's source
 *     (freed here when p refuses it);
 *   fragment: its stages, with options.
 * options: key=value strings, NULL-terminated, or NULL. Errors are those of
 * the C API's calls, RILL_EINVAL for an option without '='; when a source's
 * open or a fragment fails, the message names the stage, the entry and the
 * plugin, and the code is the one it returned when that is a RILL_E* code
 * other than -1, else RILL_EUSER. */
RILL_EXTERN int rill_plugin_add(rill_pipeline *p, const rill_plugin_entry *e,
                                const char *stage, const char *const *options);
/* Adds the end of frame entry e as stage (RILL_ETYPE for another kind). */
RILL_EXTERN int rill_plugin_add_end(rill_pipeline *p, const rill_plugin_entry *e,
                                    const char *stage);

#ifdef __cplusplus
}
#endif
#endif
