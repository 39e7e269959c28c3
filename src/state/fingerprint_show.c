/* fingerprint_show.c — fingerprints as text: the first difference between
 * two (rill_fingerprints_compare), in the order the header lists the kinds
 * of fingerprint, and one line per fingerprint (rill_fingerprints_describe).
 *
 * Lists kept sorted (fingerprint.h) are compared by a merge walk, so an
 * entry added or gone is found as such and not as a change of its
 * neighbours. Text is built in a growing buffer; values are shown as text
 * in quotes when every kept byte is printable ASCII, else in hex, and
 * "..." marks a value longer than the 40 bytes kept. Every line and reason
 * is one line: control bytes in names, paths and argv are shown as \xNN. */
#include "fingerprint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

#define ARGV_SHOWN 80 /* characters of a command line shown */

typedef struct text {
    char *p;
    size_t len, cap;
    int oom;
} text;

static void add(text *t, const char *fmt, ...) RILL_PRINTF(2, 3);

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (t->oom)
        return;
    va_start(ap, fmt);
    n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->oom = 1;
        return;
    }
    if (t->p == NULL || (size_t)n >= t->cap - t->len) {
        size_t need = t->len + (size_t)n + 1, c = t->cap ? t->cap : 128;
        char *m;
        while (c < need)
            c *= 2;
        if ((m = realloc(t->p, c)) == NULL) {
            t->oom = 1;
            return;
        }
        t->p = m;
        t->cap = c;
        va_start(ap, fmt);
        vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
    }
    t->len += (size_t)n;
}

/* Makes t one line: a control byte (from a name, a path, argv) becomes
 * \xNN. The text rill writes itself holds none. */
static void one_line(text *t)
{
    size_t i, extra = 0, o;
    char *m;
    for (i = 0; i < t->len; i++)
        if ((unsigned char)t->p[i] < 0x20 || t->p[i] == 0x7f)
            extra += 3;
    if (extra == 0 || t->oom)
        return;
    if ((m = malloc(t->len + extra + 1)) == NULL) {
        t->oom = 1;
        return;
    }
    for (i = o = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->p[i];
        if (c < 0x20 || c == 0x7f)
            o += (size_t)sprintf(m + o, "\\x%02x", c);
        else
            m[o++] = (char)c;
    }
    m[o] = '\0';
    free(t->p);
    t->p = m;
    t->cap = t->len + extra + 1;
    t->len = o;
}

static void add_hex(text *t, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        add(t, "%02x", p[i]);
}

static void add_value(text *t, const rill__fp_value *v)
{
    size_t i;
    int printable = 1;
    const char *more = v->len > v->shown_len ? "..." : "";
    for (i = 0; i < v->shown_len; i++)
        if (v->shown[i] < 0x20 || v->shown[i] > 0x7e)
            printable = 0;
    if (printable) {
        add(t, "\"%.*s%s\"", (int)v->shown_len, (const char *)v->shown, more);
    } else {
        add_hex(t, v->shown, v->shown_len);
        add(t, "%s", more);
    }
}

static void add_size_hash(text *t, const rill__fp_value *v)
{
    add(t, "%llu bytes, hash ", (unsigned long long)v->len);
    add_hex(t, v->hash, FP_HASH);
}

static int same_value(const rill__fp_value *a, const rill__fp_value *b)
{
    return a->len == b->len && memcmp(a->hash, b->hash, FP_HASH) == 0 &&
           a->shown_len == b->shown_len && memcmp(a->shown, b->shown, a->shown_len) == 0;
}

/* "V1 -> V2", with lengths and hashes when the shown parts are alike. */
static void add_change(text *t, const rill__fp_value *a, const rill__fp_value *b)
{
    add_value(t, a);
    add(t, " -> ");
    add_value(t, b);
    if (a->shown_len == b->shown_len && memcmp(a->shown, b->shown, a->shown_len) == 0) {
        add(t, " (");
        add_size_hash(t, a);
        add(t, " -> ");
        add_size_hash(t, b);
        add(t, ")");
    }
}

/* The command line, cut at ARGV_SHOWN characters. */
static void add_argv(text *t, const rill__fp_command *c)
{
    size_t start = t->len, i = 0;
    uint32_t a;
    for (a = 0; a < c->argc && t->len - start < ARGV_SHOWN; a++) {
        const unsigned char *s = (const unsigned char *)c->argv[a];
        if (a)
            add(t, " ");
        for (i = 0; s[i] && t->len - start < ARGV_SHOWN; i++)
            if (s[i] >= 0x20 && s[i] < 0x7f)
                add(t, "%c", s[i]);
            else
                add(t, "\\x%02x", s[i]);
        if (t->oom)
            return;
    }
    if (t->len - start >= ARGV_SHOWN && (a < c->argc || c->argv[a - 1][i]))
        add(t, "...");
}

static void add_id(text *t, const rill__fp_code *c)
{
    add(t, "%s ", c->kind == FP_BUILD_ID ? "build-id" : "file hash");
    add_hex(t, c->id, c->id_len);
}

/* <0, 0, >0 for the merge walk of two sorted lists: a side that is over
 * comes after everything. */
static int step(int have_a, int have_b, int cmp)
{
    if (!have_b)
        return -1;
    if (!have_a)
        return 1;
    return cmp;
}

static int code_differs(text *t, const rill_fingerprints *o, const rill_fingerprints *n)
{
    size_t i = 0, j = 0;
    while (i < o->ncode || j < n->ncode) {
        int k = step(i < o->ncode, j < n->ncode,
                     i < o->ncode && j < n->ncode ? strcmp(o->code[i].name, n->code[j].name) : 0);
        if (k < 0) {
            add(t, "code: %s gone (", o->code[i].name);
            add_id(t, &o->code[i]);
            add(t, ")");
            return 1;
        }
        if (k > 0) {
            add(t, "code: %s added (", n->code[j].name);
            add_id(t, &n->code[j]);
            add(t, ")");
            return 1;
        }
        if (o->code[i].kind != n->code[j].kind || o->code[i].id_len != n->code[j].id_len ||
            memcmp(o->code[i].id, n->code[j].id, o->code[i].id_len) != 0) {
            add(t, "code: %s changed: ", o->code[i].name);
            add_id(t, &o->code[i]);
            add(t, " -> ");
            add_id(t, &n->code[j]);
            return 1;
        }
        i++;
        j++;
    }
    return 0;
}

static int command_differs(text *t, const rill__fp_command *o, const rill__fp_command *n)
{
    uint32_t i = 0, j = 0;
    if (strcmp(o->program, n->program) != 0) {
        add(t, "command '");
        add_argv(t, o);
        add(t, "': its program is now %s (was %s)", n->program, o->program);
        return 1;
    }
    if (memcmp(o->program_hash, n->program_hash, FP_HASH) != 0) {
        add(t, "command '");
        add_argv(t, o);
        add(t, "': the program %s changed: ", o->program);
        add_hex(t, o->program_hash, FP_HASH);
        add(t, " -> ");
        add_hex(t, n->program_hash, FP_HASH);
        return 1;
    }
    while (i < o->nfiles || j < n->nfiles) {
        int k = step(i < o->nfiles, j < n->nfiles,
                     i < o->nfiles && j < n->nfiles
                         ? (o->files[i].arg > n->files[j].arg) - (o->files[i].arg < n->files[j].arg)
                         : 0);
        if (k == 0 && memcmp(o->files[i].hash, n->files[j].hash, FP_HASH) == 0) {
            i++;
            j++;
            continue;
        }
        add(t, "command '");
        add_argv(t, o);
        if (k < 0) {
            add(t, "': argument %u (%s) no longer names a file", (unsigned)o->files[i].arg,
                o->argv[o->files[i].arg]);
        } else if (k > 0) {
            add(t, "': argument %u (%s) now names a file", (unsigned)n->files[j].arg,
                n->argv[n->files[j].arg]);
        } else {
            add(t, "': %s changed: ", o->argv[o->files[i].arg]);
            add_hex(t, o->files[i].hash, FP_HASH);
            add(t, " -> ");
            add_hex(t, n->files[j].hash, FP_HASH);
        }
        return 1;
    }
    return 0;
}

static int commands_differ(text *t, const rill_fingerprints *o, const rill_fingerprints *n)
{
    size_t i = 0, j = 0;
    while (i < o->ncmd || j < n->ncmd) {
        int k = step(i < o->ncmd, j < n->ncmd,
                     i < o->ncmd && j < n->ncmd
                         ? rill__fp_argv_cmp(o->cmd[i].argv, o->cmd[i].argc, n->cmd[j].argv,
                                             n->cmd[j].argc)
                         : 0);
        if (k != 0) {
            add(t, "command '");
            add_argv(t, k < 0 ? &o->cmd[i] : &n->cmd[j]);
            add(t, "' %s", k < 0 ? "gone" : "added");
            return 1;
        }
        if (command_differs(t, &o->cmd[i], &n->cmd[j]))
            return 1;
        i++;
        j++;
    }
    return 0;
}

/* Named values (options, custom hashes); what names the kind. */
static int named_differ(text *t, const rill__fp_named *o, size_t on, const rill__fp_named *n,
                        size_t nn, const char *what)
{
    size_t i = 0, j = 0;
    while (i < on || j < nn) {
        int k = step(i < on, j < nn, i < on && j < nn ? strcmp(o[i].name, n[j].name) : 0);
        if (k < 0) {
            add(t, "%s '%s' removed (was ", what, o[i].name);
            add_value(t, &o[i].v);
            add(t, ")");
            return 1;
        }
        if (k > 0) {
            add(t, "%s '%s' added: ", what, n[j].name);
            add_value(t, &n[j].v);
            return 1;
        }
        if (!same_value(&o[i].v, &n[j].v)) {
            add(t, "%s '%s' changed: ", what, o[i].name);
            add_change(t, &o[i].v, &n[j].v);
            return 1;
        }
        i++;
        j++;
    }
    return 0;
}

static int unnamed_differ(text *t, const rill_fingerprints *o, const rill_fingerprints *n)
{
    size_t i;
    for (i = 0; i < o->nunnamed || i < n->nunnamed; i++) {
        if (i >= o->nunnamed) {
            add(t, "unnamed custom hash %zu added: ", i + 1);
            add_value(t, &n->unnamed[i]);
            return 1;
        }
        if (i >= n->nunnamed) {
            add(t, "unnamed custom hash %zu gone (was ", i + 1);
            add_value(t, &o->unnamed[i]);
            add(t, ")");
            return 1;
        }
        if (!same_value(&o->unnamed[i], &n->unnamed[i])) {
            add(t, "unnamed custom hash %zu changed: ", i + 1);
            add_change(t, &o->unnamed[i], &n->unnamed[i]);
            return 1;
        }
    }
    return 0;
}

/* A broadcast now left out is never a difference. */
static int broadcasts_differ(text *t, const rill_fingerprints *o, const rill_fingerprints *n)
{
    size_t i = 0, j = 0;
    while (i < o->nbc || j < n->nbc) {
        int k = step(i < o->nbc, j < n->nbc,
                     i < o->nbc && j < n->nbc ? strcmp(o->bc[i].name, n->bc[j].name) : 0);
        const rill__fp_broadcast *a = k <= 0 ? &o->bc[i] : NULL, *b = k >= 0 ? &n->bc[j] : NULL;
        i += k <= 0;
        j += k >= 0;
        if (b && !b->fingerprinted)
            continue;
        if (b == NULL) {
            if (!a->fingerprinted)
                continue;
            add(t, "broadcast '%s' gone (was ", a->name);
            add_size_hash(t, &a->v);
            add(t, ")");
            return 1;
        }
        if (a == NULL) {
            add(t, "broadcast '%s' added (", b->name);
            add_size_hash(t, &b->v);
            add(t, ")");
            return 1;
        }
        if (!a->fingerprinted) {
            add(t, "broadcast '%s' was left out of the fingerprints before (now ", b->name);
            add_size_hash(t, &b->v);
            add(t, ")");
            return 1;
        }
        if (!same_value(&a->v, &b->v)) {
            add(t, "broadcast '%s' changed: ", a->name);
            add_size_hash(t, &a->v);
            add(t, " -> ");
            add_size_hash(t, &b->v);
            return 1;
        }
    }
    return 0;
}

static int differ(text *t, const rill_fingerprints *o, const rill_fingerprints *n)
{
    const char *ov = o->code_version, *nv = n->code_version;
    if (strcmp(o->version, n->version) != 0) {
        add(t, "rill's version changed: %s -> %s", o->version, n->version);
        return 1;
    }
    if (code_differs(t, o, n))
        return 1;
    if ((ov == NULL) != (nv == NULL) || (ov && strcmp(ov, nv) != 0)) {
        add(t, "declared code version changed: ");
        add(t, ov ? "\"%s\"" : "%s", ov ? ov : "none");
        add(t, " -> ");
        add(t, nv ? "\"%s\"" : "%s", nv ? nv : "none");
        return 1;
    }
    return commands_differ(t, o, n) ||
           named_differ(t, o->opt, o->nopt, n->opt, n->nopt, "option") ||
           named_differ(t, o->named, o->nnamed, n->named, n->nnamed, "custom hash") ||
           unnamed_differ(t, o, n) || broadcasts_differ(t, o, n);
}

int rill_fingerprints_compare(char *why, size_t cap, const rill_fingerprints *old,
                              const rill_fingerprints *now)
{
    text t = {NULL, 0, 0, 0};
    int d;
    if (why && cap)
        why[0] = '\0';
    if (old == NULL || now == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_compare: a NULL argument");
    d = differ(&t, old, now);
    one_line(&t);
    if (t.oom) {
        free(t.p);
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory comparing");
    }
    if (why && cap && t.p) {
        size_t n = t.len < cap - 1 ? t.len : cap - 1;
        memcpy(why, t.p, n);
        why[n] = '\0';
    }
    free(t.p);
    return d;
}

/* Hands the line in t to line and empties t; 0 or RILL_ENOMEM. */
static int emit(text *t, void (*line)(const char *, void *), void *payload)
{
    one_line(t);
    if (t->oom)
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory describing");
    line(t->p ? t->p : "", payload);
    t->len = 0;
    if (t->p)
        t->p[0] = '\0';
    return 0;
}

static void add_named_line(text *t, const char *what, const rill__fp_named *e)
{
    add(t, "%s %s = ", what, e->name);
    add_value(t, &e->v);
    if (e->v.len > e->v.shown_len) {
        add(t, " (");
        add_size_hash(t, &e->v);
        add(t, ")");
    }
}

int rill_fingerprints_describe(const rill_fingerprints *f,
                               void (*line)(const char *text, void *payload), void *payload)
{
    text t = {NULL, 0, 0, 0};
    size_t i;
    uint32_t j;
    int rc = 0;
    if (f == NULL || line == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_describe: a NULL argument");
    add(&t, "rill %s", f->version);
    rc = emit(&t, line, payload);
    for (i = 0; i < f->ncode && rc == 0; i++) {
        add(&t, "code %s ", f->code[i].name);
        add_id(&t, &f->code[i]);
        rc = emit(&t, line, payload);
    }
    if (f->code_version && rc == 0) {
        add(&t, "code version \"%s\"", f->code_version);
        rc = emit(&t, line, payload);
    }
    for (i = 0; i < f->ncmd && rc == 0; i++) {
        const rill__fp_command *c = &f->cmd[i];
        add(&t, "command ");
        add_argv(&t, c);
        add(&t, ": program %s ", c->program);
        add_hex(&t, c->program_hash, FP_HASH);
        for (j = 0; j < c->nfiles; j++) {
            add(&t, ", argument %u %s ", (unsigned)c->files[j].arg, c->argv[c->files[j].arg]);
            add_hex(&t, c->files[j].hash, FP_HASH);
        }
        rc = emit(&t, line, payload);
    }
    for (i = 0; i < f->nopt && rc == 0; i++) {
        add_named_line(&t, "option", &f->opt[i]);
        rc = emit(&t, line, payload);
    }
    for (i = 0; i < f->nnamed && rc == 0; i++) {
        add_named_line(&t, "custom hash", &f->named[i]);
        rc = emit(&t, line, payload);
    }
    for (i = 0; i < f->nunnamed && rc == 0; i++) {
        add(&t, "unnamed custom hash %zu = ", i + 1);
        add_value(&t, &f->unnamed[i]);
        rc = emit(&t, line, payload);
    }
    for (i = 0; i < f->nbc && rc == 0; i++) {
        add(&t, "broadcast %s: ", f->bc[i].name);
        if (f->bc[i].fingerprinted)
            add_size_hash(&t, &f->bc[i].v);
        else
            add(&t, "left out of the fingerprints");
        rc = emit(&t, line, payload);
    }
    free(t.p);
    return rc;
}
