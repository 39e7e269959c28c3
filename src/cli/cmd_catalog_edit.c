/* cmd_catalog_edit.c — the `rill catalog` subcommands that write: put, rm
 * and import (each makes one version, atomically: on any failure none is
 * made), export (a version as files) and gc. The command line and what the
 * subcommands share are in cmd_catalog.c.
 *
 * put and import make the catalog when it is missing; rm, export and gc
 * refuse a missing one (exit 1). "Made version N" goes to standard error
 * (not with -q); gc's report of what it removed to standard output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_catalog.h"

/* The whole of standard input; NULL and a message when it cannot be read. */
static void *read_stdin(const cat_args *a, size_t *len)
{
    size_t cap = 1 << 16, got;
    char *buf = malloc(cap), *more;
    *len = 0;
    while (buf && (got = fread(buf + *len, 1, cap - *len, stdin)) > 0) {
        *len += got;
        if (*len == cap) {
            if (cap > SIZE_MAX / 2 || (more = realloc(buf, cap *= 2)) == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
        }
    }
    if (buf == NULL || ferror(stdin)) {
        fprintf(stderr, "%s: cannot read standard input: %s\n", a->cmd,
                buf ? strerror(errno) : "out of memory");
        free(buf);
        return NULL;
    }
    return buf;
}

int cat_put(const cat_args *a)
{
    rill_catalog *c = NULL;
    rill_catalog_txn *t = NULL;
    const char *key = a->pos[1], *file = a->pos[2];
    void *data = NULL;
    size_t len = 0;
    int64_t v;
    int rc;
    if (strcmp(file, "-") == 0 && (data = read_stdin(a, &len)) == NULL)
        return CLI_EXIT_FAILED;
    if ((rc = cat_open(&c, a, a->pos[0], 1)) != CLI_EXIT_OK)
        goto done;
    if (rill_catalog_begin(&t, c) < 0 ||
        (data ? rill_catalog_put(t, key, strlen(key), data, len)
              : rill_catalog_put_file(t, key, strlen(key), file)) < 0 ||
        rill_catalog_commit(&v, t, a->message) < 0) {
        rc = cat_fail(a); /* rill_catalog_free aborts the transaction */
        goto done;
    }
    rc = cat_said_version(a, c, v);
done:
    free(data);
    rill_catalog_free(c);
    return rc;
}

int cat_rm(const cat_args *a)
{
    rill_catalog *c = NULL;
    rill_catalog_txn *t = NULL;
    int64_t v;
    int rc, i;
    if ((rc = cat_open(&c, a, a->pos[0], 0)) != CLI_EXIT_OK)
        return rc;
    if (rill_catalog_begin(&t, c) < 0) {
        rc = cat_fail(a);
        goto done;
    }
    for (i = 1; i < a->npos; i++)
        if (rill_catalog_delete(t, a->pos[i], strlen(a->pos[i])) < 0) {
            fprintf(stderr, "%s: %s; no version made\n", a->cmd, rill_error_last());
            rc = CLI_EXIT_FAILED;
            goto done;
        }
    if (rill_catalog_commit(&v, t, a->message) < 0) {
        rc = cat_fail(a);
        goto done;
    }
    rc = cat_said_version(a, c, v);
done:
    rill_catalog_free(c);
    return rc;
}

int cat_import(const cat_args *a)
{
    rill_catalog *c = NULL;
    int64_t v;
    int rc;
    if ((rc = cat_open(&c, a, a->pos[0], 1)) != CLI_EXIT_OK)
        return rc;
    if (rill_catalog_import(&v, c, a->pos[1], a->message) < 0)
        rc = cat_fail(a);
    else
        rc = cat_said_version(a, c, v);
    rill_catalog_free(c);
    return rc;
}

int cat_export(const cat_args *a)
{
    rill_catalog *c = NULL;
    rill_catalog_version info;
    int64_t v = a->version;
    int rc, found;
    if ((rc = cat_open(&c, a, a->pos[0], 0)) != CLI_EXIT_OK)
        return rc;
    if ((v == RILL_CATALOG_LATEST && rill_catalog_latest(&v, c) < 0) ||
        rill_catalog_export(c, v, a->pos[1]) < 0 || cat_version_info(&info, &found, c, v) < 0) {
        rc = cat_fail(a);
    } else if (!a->quiet) {
        fprintf(stderr, "catalog '%s': version %lld into %s (%llu files, %llu bytes)\n",
                rill_catalog_name(c), (long long)v, a->pos[1],
                (unsigned long long)info.partitions, (unsigned long long)info.bytes);
    }
    rill_catalog_free(c);
    return rc;
}

/* ---- gc ---- */

typedef struct name_list {
    char **v;
    size_t n;
} name_list;

static int add_name(const char *name, void *payload)
{
    name_list *l = payload;
    char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (v == NULL)
        return 1;
    l->v = v;
    return (l->v[l->n] = strdup(name)) ? (l->n++, 0) : 1;
}

/* gc of one catalog, its figures added to *sum. */
static int gc_one(rill_catalog_gc_stats *sum, const cat_args *a, const char *name)
{
    rill_catalog_gc_options o = RILL_CATALOG_GC_OPTIONS_INIT;
    rill_catalog_gc_stats s;
    rill_catalog *c = NULL;
    int rc;
    o.keep = a->keep;
    if ((rc = cat_open(&c, a, name, 0)) != CLI_EXIT_OK)
        return rc;
    if (rill_catalog_gc(&s, c, &o) < 0) {
        rc = cat_fail(a);
    } else {
        if (s.versions_pruned > 0 && !a->quiet)
            printf("catalog '%s': pruned %lld version%s\n", name, (long long)s.versions_pruned,
                   s.versions_pruned == 1 ? "" : "s");
        sum->versions_pruned += s.versions_pruned;
        sum->payloads_removed += s.payloads_removed;
        sum->files_removed += s.files_removed;
        sum->bytes_removed += s.bytes_removed;
    }
    rill_catalog_free(c);
    return rc;
}

int cat_gc(const cat_args *a)
{
    rill_catalog_gc_stats sum;
    name_list l = {NULL, 0};
    size_t i;
    int rc = CLI_EXIT_OK;
    memset(&sum, 0, sizeof(sum));
    if (a->npos == 1) {
        rc = gc_one(&sum, a, a->pos[0]);
    } else if (rill_catalog_names(a->db, add_name, &l) < 0) {
        rc = cat_fail(a);
    } else {
        /* every catalog's versions are pruned as --keep says; the payloads
         * of the whole file are collected by any one of them */
        for (i = 0; i < l.n && rc == CLI_EXIT_OK; i++)
            if (a->keep > 0 || i == 0)
                rc = gc_one(&sum, a, l.v[i]);
    }
    for (i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    if (rc == CLI_EXIT_OK && !a->quiet)
        printf("removed %llu payload%s (%llu file%s, %llu bytes); pruned %lld version%s\n",
               (unsigned long long)sum.payloads_removed, sum.payloads_removed == 1 ? "" : "s",
               (unsigned long long)sum.files_removed, sum.files_removed == 1 ? "" : "s",
               (unsigned long long)sum.bytes_removed, (long long)sum.versions_pruned,
               sum.versions_pruned == 1 ? "" : "s");
    if (rc == CLI_EXIT_OK && fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write to standard output\n", a->cmd);
        rc = CLI_EXIT_FAILED;
    }
    return rc;
}
