/* plugin_add.c — adding a plugin's entry to a pipeline by its kind, with
 * the stage's options (rill_plugin_add, rill_plugin_add_end), for hosts
 * that do not wire stages themselves. Only the public API is used: what
 * this does, a host can do with the entry's fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "rill/plugin.h"
#include "rill/sys/source.h"

static size_t count(const char *const *options)
{
    size_t n = 0;
    while (options && options[n])
        n++;
    return n;
}

/* Each key=value of options as the context value KEY of stage. */
static int set_context(rill_pipeline *p, const rill_plugin_entry *e, const char *stage,
                       const char *const *options)
{
    size_t i;
    for (i = 0; options && options[i]; i++) {
        const char *eq = strchr(options[i], '=');
        char *field;
        size_t klen;
        int rc;
        if (eq == NULL || eq == options[i])
            return rill__error(RILL_EINVAL, "stage '%.200s' (%s '%s' of plugin %s): option "
                               "'%.200s' is not key=value", stage,
                               rill_plugin_kind_name(e->kind), e->name, e->file, options[i]);
        klen = (size_t)(eq - options[i]);
        if ((field = malloc(klen + sizeof("context."))) == NULL)
            return rill__error(RILL_ENOMEM, "stage '%.200s': out of memory", stage);
        memcpy(field, "context.", 8);
        memcpy(field + 8, options[i], klen);
        field[8 + klen] = '\0';
        rc = rill_configure(p, stage, field, eq + 1);
        free(field);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* What a plugin's own function (a source's open, a fragment) returned, as
 * an error naming it: a RILL_E* code is kept, except -1 (RILL_ENOMEM's
 * value, but what C functions return for any failure): that, and anything
 * else, is RILL_EUSER, as for the C API's callbacks. */
static int plugin_failed(const rill_plugin_entry *e, const char *what, const char *stage,
                         int ret)
{
    char msg[RILL__ERROR_MAX];
    const char *why = rill_error_last();
    snprintf(msg, sizeof(msg), "%s", why[0] ? why : "(no message)");
    return rill__error(ret < -1 && ret >= RILL_EISDIR ? ret : RILL_EUSER,
                       "stage '%.200s': %s of %s '%s' (plugin %s) failed: %s", stage, what,
                       rill_plugin_kind_name(e->kind), e->name, e->file, msg);
}

static int add_source(rill_pipeline *p, const rill_plugin_entry *e, const char *stage,
                      const char *const *options)
{
    void *self = NULL;
    int rc;
    if (e->generator) {
        if (count(options))
            return rill__error(RILL_EINVAL, "stage '%.200s': source '%s' of plugin %s is a "
                               "generator: it takes no options", stage, e->name, e->file);
        return rill_generator(p, e->generator, e->payload);
    }
    rill_error_clear();
    if ((rc = e->open(&self, options, e->payload)) != 0)
        return plugin_failed(e, "opening", stage, rc);
    if ((rc = rill_source_set(p, e->source, self)) < 0 && e->source->free)
        e->source->free(self);
    return rc;
}

int rill_plugin_add(rill_pipeline *p, const rill_plugin_entry *e, const char *stage,
                    const char *const *options)
{
    int rc;
    if (p == NULL || e == NULL || stage == NULL)
        return rill__error(RILL_EINVAL, "rill_plugin_add: NULL argument");
    switch (e->kind) {
    case RILL_PLUGIN_JOB:
        rc = rill_job(p, stage, e->stage_options, e->job, e->payload);
        break;
    case RILL_PLUGIN_TASK:
        rc = rill_task(p, stage, e->task_options, e->task, e->payload);
        break;
    case RILL_PLUGIN_REDUCE:
        rc = rill_reduce(p, stage, e->reduce_options, e->payload);
        break;
    case RILL_PLUGIN_FRAME:
        rc = rill_frame(p, stage, e->frame_options, e->payload);
        break;
    case RILL_PLUGIN_COMBINE:
        rc = rill_combine(p, stage, e->combine_options, e->payload);
        break;
    case RILL_PLUGIN_SOURCE:
        return add_source(p, e, stage, options);
    case RILL_PLUGIN_FRAGMENT: /* a piece: the same checks as from C */
        return rill_use(p, stage, e->fragment, options, e->payload);
    default:
        return rill__error(RILL_EINVAL, "rill_plugin_add: entry '%s' has an unknown kind %d",
                           e->name ? e->name : "(null)", (int)e->kind);
    }
    if (rc < 0)
        return rc;
    return set_context(p, e, stage, options);
}

int rill_plugin_add_end(rill_pipeline *p, const rill_plugin_entry *e, const char *stage)
{
    if (p == NULL || e == NULL || stage == NULL)
        return rill__error(RILL_EINVAL, "rill_plugin_add_end: NULL argument");
    if (e->kind != RILL_PLUGIN_FRAME)
        return rill__error(RILL_ETYPE, "rill_plugin_add_end: '%s' of plugin %s is a %s, not "
                           "a frame", e->name, e->file, rill_plugin_kind_name(e->kind));
    return rill_frame_end(p, stage, e->frame_end_options, e->frame_end, e->payload);
}
