/* stage_exec.c — the exec stage kind: an external command as a stage
 * (include/rill/exec.h says what users see; exec_proc.c runs one process).
 *
 * Each worker that calls the stage under a reduction has a slot with its
 * own process for that reduction, started by its first such call: what the
 * process writes belongs to that reduction, whatever it read. Only that
 * worker touches the slot while the reduction's calls go on; close, run
 * once per reduction on one worker after the reduction's last call of the
 * stage (the engine's close per reduction, or its close of the whole stage
 * in a pipeline without scopes, where every call is under the root),
 * finishes the process of each worker's slot for it and frees the slots.
 * mu guards the workers' lists of slots (made at a run's first call, sized
 * by its workers) and the dead-letter file; skipped is an atomic. The
 * engine tells the stage that a run starts and that it ended (owned_run),
 * which stops what a failed run left running.
 *
 * Skipping (on_error skip). A slot keeps a copy of the frames it wrote that
 * its process may still be reading (pend, with each frame's end): dropped
 * from the front once the process has read past them (the bytes left in its
 * input pipe are counted with FIONREAD), the last one read always kept. When
 * the process fails, the frame holding the last byte it read goes to the
 * dead letters, the frames after it go to a new process. Without skipping
 * pend is emptied after each call. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/run.h"
#include "exec_proc.h"
#include "rill/exec.h"

#define DEFAULT_MAX_RECORD ((size_t)64 << 20)

typedef struct slot {
    struct slot *next;   /* its worker's list */
    const rill__reduction *red; /* whose records it was given */
    rill__proc proc;
    unsigned char *pend; /* owned: frames written that it may not have read */
    size_t pend_len, pend_cap;
    size_t *ends;        /* owned: each pending frame's end in pend */
    size_t nends, cends;
    uint64_t base;       /* where pend starts in what the process was written */
} slot;

typedef struct exec_stage {
    char **argv;         /* owned, NULL-terminated */
    char *command;       /* owned: "command 'argv...'" for messages */
    char *dead_letter;   /* owned; NULL: skipped records are only counted */
    int length, skip;
    size_t max_record;
    pthread_mutex_t mu;
    slot **slots;        /* owned, under mu: each worker's list of slots */
    int nslots;          /* the lists: the run's workers */
    int dl_fd;           /* under mu: the dead-letter file, -1 until a skip */
    atomic_uint_least64_t skipped;
} exec_stage;

typedef struct call {    /* one call of the stage, for the emit callback */
    exec_stage *st;
    rill__worker *w;
    const rill__reduction *red; /* the call's */
    rill_emitter *out;
} call;

static void slot_free(slot *sl)
{
    rill__proc_kill(&sl->proc);
    free(sl->pend);
    free(sl->ends);
    free(sl);
}

static int emit_record(const unsigned char *data, size_t len, void *ctx)
{
    int rc = rill_emit(((call *)ctx)->out, data, len);
    return rc == 0 ? 0 : rc < 0 ? rc : RILL_EUSER; /* never mistaken for end of file */
}

/* The calling worker's slot for red, made at its first call under red (the
 * lists at the run's first call). A worker has a slot per reduction whose
 * records it is given and that has not closed: one, unless the stage is in
 * a scope opened per record. NULL: out of memory. */
static slot *get_slot(exec_stage *st, rill__worker *w, const rill__reduction *red)
{
    slot *sl = NULL;
    pthread_mutex_lock(&st->mu);
    if (st->slots == NULL && (st->slots = calloc((size_t)w->run->workers, sizeof(slot *))) != NULL)
        st->nslots = w->run->workers;
    if (st->slots && w->id < st->nslots) {
        for (sl = st->slots[w->id]; sl && sl->red != red; sl = sl->next)
            ;
        if (sl == NULL && (sl = calloc(1, sizeof(*sl))) != NULL) {
            rill__proc_init(&sl->proc, st->length, st->max_record);
            sl->red = red;
            sl->next = st->slots[w->id];
            st->slots[w->id] = sl;
        }
    }
    pthread_mutex_unlock(&st->mu);
    return sl;
}

/* Takes every worker's slot for red out of the lists, as one list. */
static slot *take_slots(exec_stage *st, const rill__reduction *red)
{
    slot *taken = NULL, **at, *sl;
    int i;
    pthread_mutex_lock(&st->mu);
    for (i = 0; i < st->nslots; i++)
        for (at = &st->slots[i]; (sl = *at) != NULL;) {
            if (sl->red != red) {
                at = &sl->next;
                continue;
            }
            *at = sl->next;
            sl->next = taken;
            taken = sl;
        }
    pthread_mutex_unlock(&st->mu);
    return taken;
}

/* Says how a process failed: the command, its status, its stderr's end. */
static int report(exec_stage *st, slot *sl, const char *what)
{
    char status[200], tail[RILL__EXEC_TAIL + 1];
    rill__proc_status(&sl->proc, status, sizeof(status));
    rill__proc_stderr(&sl->proc, tail, sizeof(tail));
    rill_error_set("%s (pid %ld) %s%s%s%s", st->command, (long)sl->proc.pid, status, what,
                   tail[0] ? "; the end of its standard error:\n" : " (nothing on its standard "
                                                                      "error)", tail);
    return RILL_EUSER;
}

/* Adds one record's frame to the slot's pending bytes. */
static int add_frame(exec_stage *st, slot *sl, const rill_record *r)
{
    size_t need = r->len + (st->length ? 4 : 1);
    if (sl->pend_cap - sl->pend_len < need) {
        size_t cap = sl->pend_cap ? sl->pend_cap : 65536;
        unsigned char *b;
        while (cap - sl->pend_len < need)
            cap *= 2;
        if ((b = realloc(sl->pend, cap)) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        sl->pend = b;
        sl->pend_cap = cap;
    }
    if (sl->nends == sl->cends) {
        size_t c = sl->cends ? 2 * sl->cends : 1024, *e = realloc(sl->ends, c * sizeof(*e));
        if (e == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        sl->ends = e;
        sl->cends = c;
    }
    if (st->length) {
        unsigned char *h = sl->pend + sl->pend_len;
        h[0] = (unsigned char)(r->len >> 24);
        h[1] = (unsigned char)(r->len >> 16);
        h[2] = (unsigned char)(r->len >> 8);
        h[3] = (unsigned char)r->len;
        sl->pend_len += 4;
    }
    if (r->len)
        memcpy(sl->pend + sl->pend_len, r->data, r->len);
    sl->pend_len += r->len;
    if (!st->length)
        sl->pend[sl->pend_len++] = '\n';
    sl->ends[sl->nends++] = sl->pend_len;
    return 0;
}

/* Drops the first n pending frames. */
static void drop_frames(slot *sl, size_t n)
{
    size_t cut = n ? sl->ends[n - 1] : 0, i;
    if (n == 0)
        return;
    memmove(sl->pend, sl->pend + cut, sl->pend_len - cut);
    sl->pend_len -= cut;
    for (i = n; i < sl->nends; i++)
        sl->ends[i - n] = sl->ends[i] - cut;
    sl->nends -= n;
    sl->base += cut;
}

static int write_all(int fd, const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    while (len > 0) {
        ssize_t n = write(fd, b, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes one skipped record to the dead letters, in the stage's framing. */
static int dead_letter(exec_stage *st, const unsigned char *data, size_t len)
{
    unsigned char h[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8), (unsigned char)len};
    int rc = 0;
    atomic_fetch_add(&st->skipped, 1);
    if (st->dead_letter == NULL)
        return 0;
    pthread_mutex_lock(&st->mu);
    if (st->dl_fd < 0 &&
        (st->dl_fd = open(st->dead_letter, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
        rc = rill__error_errno(errno, "cannot open the dead-letter file '%s'", st->dead_letter);
    else if ((st->length && write_all(st->dl_fd, h, 4) < 0) ||
             write_all(st->dl_fd, data, len) < 0 ||
             (!st->length && write_all(st->dl_fd, "\n", 1) < 0))
        rc = rill__error_errno(errno, "cannot write the dead-letter file '%s'", st->dead_letter);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* The slot's process failed: in skip mode, the frame it was reading goes
 * to the dead letters and a new process gets what it had not read (pend
 * then starts at 0 of the new one); else the failure is reported. */
static int blame(exec_stage *st, slot *sl)
{
    uint64_t consumed = sl->proc.written - sl->proc.unread;
    size_t k, start;
    int rc;
    if (!st->skip)
        return report(st, sl, "");
    if (consumed == 0 || consumed <= sl->base || sl->nends == 0)
        return report(st, sl, " having read no record to blame, so none could be skipped");
    for (k = 0; k < sl->nends && sl->base + sl->ends[k] < consumed; k++)
        ;
    if (k == sl->nends) /* cannot be: it read no more than it was written */
        k = sl->nends - 1;
    start = k ? sl->ends[k - 1] : 0; /* the frame's data, without its framing: */
    if ((rc = dead_letter(st, sl->pend + start + (st->length ? 4 : 0),
                          sl->ends[k] - start - (st->length ? 4 : 1))) < 0)
        return rc;
    drop_frames(sl, k + 1);
    sl->base = 0;
    return rill__proc_start(&sl->proc, st->argv, st->command);
}

/* Writes pend from offset from, restarting failed processes when skipping. */
static int feed(call *c, slot *sl, size_t from)
{
    int rc;
    for (;;) {
        rc = rill__proc_write(&sl->proc, sl->pend + from, sl->pend_len - from, emit_record, c);
        if (rc != RILL__PROC_FAILED)
            break;
        if ((rc = blame(c->st, sl)) < 0)
            return rc;
        from = 0; /* the new process gets every frame left */
    }
    if (!c->st->skip) {
        sl->pend_len = sl->nends = 0;
        sl->base = sl->proc.written;
    }
    return rc;
}

/* Forgets the frames the process has read past (keeping the last read). */
static void trim(slot *sl)
{
    int unread = 0;
    uint64_t consumed;
    size_t k;
    if (sl->proc.in_r < 0 || ioctl(sl->proc.in_r, FIONREAD, &unread) < 0 || unread < 0)
        return;
    consumed = sl->proc.written - (uint64_t)unread;
    for (k = 0; k < sl->nends && sl->base + sl->ends[k] < consumed; k++)
        ;
    drop_frames(sl, k);
}

static int exec_records(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    call *c = payload;
    exec_stage *st = c->st;
    slot *sl = get_slot(st, c->w, c->red);
    size_t i, from;
    int rc;
    c->out = out;
    if (sl == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    sl->proc.stop = &c->w->run->fail.stop; /* a stopping run waits on no command */
    if (sl->proc.pid == 0 && (rc = rill__proc_start(&sl->proc, st->argv, st->command)) < 0)
        return rc;
    if (st->skip)
        trim(sl);
    from = sl->pend_len;
    for (i = 0; i < n; i++) {
        /* A record can hold no more than 0xFFFFFFFE bytes: any length fits. */
        int bad = !st->length && in[i].len && memchr(in[i].data, '\n', in[i].len);
        if (bad && !st->skip) {
            rill_error_set("%s: record %zu of the call holds a newline, which a line cannot "
                           "(use length-prefixed framing)", st->command, i);
            return RILL_EINVAL;
        }
        if (bad) { /* in the dead letters as it is */
            if ((rc = dead_letter(st, in[i].data, in[i].len)) < 0)
                return rc;
            continue;
        }
        if ((rc = add_frame(st, sl, &in[i])) < 0)
            return rc;
    }
    return feed(c, sl, from);
}

/* The stage's input under the call's reduction ended: the input of each
 * of its processes is closed and their output read to the end; a failed
 * one's record is skipped as in a call. */
static int exec_close_records(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    call *c = payload;
    exec_stage *st = c->st;
    slot *sl, *list = take_slots(st, c->red);
    int rc = 0;
    (void)in;
    (void)n;
    c->out = out;
    for (sl = list; sl && rc == 0; sl = sl->next)
        while (sl->proc.pid != 0) {
            if ((rc = rill__proc_finish(&sl->proc, emit_record, c)) == 0)
                break;
            if (rc != RILL__PROC_FAILED)
                break;
            if ((rc = blame(st, sl)) < 0 || (rc = feed(c, sl, 0)) < 0)
                break;
        }
    while (list) { /* a failure kills what is left */
        sl = list->next;
        slot_free(list);
        list = sl;
    }
    return rc;
}

static int exec_process(rill__worker *w, rill__task *t, int locked)
{
    call c = {w->run->stages[t->stage].owned, w, t->red, NULL};
    (void)locked;
    return rill_span_call(w, t, exec_records, &c);
}

static int exec_close(rill__worker *w, rill__task *t)
{
    call c = {w->run->stages[t->stage].owned, w, t->red, NULL};
    return rill_span_call(w, t, exec_close_records, &c); /* none started: no slot */
}

static const rill_stage_kind exec_kind = {
    .version = RILL_STAGE_KIND_VERSION,
    .name = "exec",
    .flags = RILL_KIND_STREAMING | RILL_KIND_BATCHED | RILL_KIND_GRAPH | RILL_KIND_RESTARTS,
    .process = exec_process,
    .close = exec_close,
};

/* A run starts (skipped counts from 0, the dead letters are opened again
 * at its first skip) or ended: what is still running is killed. */
static void exec_run(void *owned, int starting)
{
    exec_stage *st = owned;
    int i;
    pthread_mutex_lock(&st->mu);
    for (i = 0; i < st->nslots; i++)
        while (st->slots[i]) {
            slot *next = st->slots[i]->next;
            slot_free(st->slots[i]);
            st->slots[i] = next;
        }
    free(st->slots);
    st->slots = NULL;
    st->nslots = 0;
    if (st->dl_fd >= 0)
        close(st->dl_fd);
    st->dl_fd = -1;
    if (starting)
        atomic_store(&st->skipped, 0);
    pthread_mutex_unlock(&st->mu);
}

static void exec_free(void *owned)
{
    exec_stage *st = owned;
    char **a;
    if (st == NULL)
        return;
    exec_run(st, 0);
    pthread_mutex_destroy(&st->mu);
    for (a = st->argv; a && *a; a++)
        free(*a);
    free(st->argv);
    free(st->command);
    free(st->dead_letter);
    free(st);
}

/* Whether argv0 names an executable file, itself or in PATH. */
static int findable(const char *argv0)
{
    const char *path = getenv("PATH"), *p, *end;
    char buf[4096];
    struct stat sb;
    if (strchr(argv0, '/'))
        return stat(argv0, &sb) == 0 && S_ISREG(sb.st_mode) && access(argv0, X_OK) == 0;
    if (path == NULL)
        path = "/bin:/usr/bin";
    for (p = path;; p = end + 1) {
        size_t n;
        end = strchr(p, ':');
        n = end ? (size_t)(end - p) : strlen(p);
        if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, p, n ? "/" : "", argv0) <
                (int)sizeof(buf) &&
            stat(buf, &sb) == 0 && S_ISREG(sb.st_mode) && access(buf, X_OK) == 0)
            return 1;
        if (end == NULL)
            return 0;
    }
}

static exec_stage *exec_new(const rill_exec_options *o)
{
    exec_stage *st = calloc(1, sizeof(*st));
    size_t n, i, len = 16;
    if (st == NULL)
        return NULL;
    st->dl_fd = -1;
    pthread_mutex_init(&st->mu, NULL);
    st->length = o->framing == RILL_EXEC_LENGTH;
    st->skip = o->on_error == RILL_EXEC_SKIP;
    st->max_record = o->max_record ? o->max_record : DEFAULT_MAX_RECORD;
    if (st->max_record > RILL_RECORD_MAX)
        st->max_record = RILL_RECORD_MAX;
    for (n = 0; o->argv[n]; n++)
        len += strlen(o->argv[n]) + 1;
    if ((st->argv = calloc(n + 1, sizeof(char *))) == NULL || (st->command = malloc(len)) == NULL ||
        (o->dead_letter && (st->dead_letter = strdup(o->dead_letter)) == NULL))
        goto fail;
    strcpy(st->command, "command '");
    for (i = 0; i < n; i++) {
        if ((st->argv[i] = strdup(o->argv[i])) == NULL)
            goto fail;
        strcat(st->command, o->argv[i]);
        strcat(st->command, i + 1 < n ? " " : "'");
    }
    return st;
fail:
    exec_free(st);
    return NULL;
}

int rill_exec(rill_pipeline *p, const char *name, const rill_exec_options *opts)
{
    rill__stage *s;
    exec_stage *st;
    int rc;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "rill_exec: the pipeline is NULL");
    if ((rc = rill__check_stage(p, "rill_exec", name, opts ? &opts->version : NULL,
                                RILL_EXEC_OPTIONS_VERSION, "RILL_EXEC_OPTIONS_INIT")) < 0)
        return rc;
    if (opts == NULL || opts->argv == NULL || opts->argv[0] == NULL || opts->argv[0][0] == '\0')
        return rill__misuse(p, RILL_EINVAL, "rill_exec '%.200s': no command (argv) given", name);
    if ((opts->framing != RILL_EXEC_LINES && opts->framing != RILL_EXEC_LENGTH) ||
        (opts->on_error != RILL_EXEC_STOP && opts->on_error != RILL_EXEC_SKIP))
        return rill__misuse(p, RILL_EINVAL, "rill_exec '%.200s': unknown framing %d or "
                            "on_error %d", name, opts->framing, opts->on_error);
    if (!findable(opts->argv[0]))
        return rill__misuse(p, RILL_ENOTFOUND, "rill_exec '%.200s': cannot start command "
                            "'%.200s': %s", name, opts->argv[0],
                            strchr(opts->argv[0], '/') ? "not an executable file"
                                                       : "no executable of that name in PATH");
    if ((st = exec_new(opts)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory");
    if ((rc = rill__add_stage(p, &exec_kind, name, &s)) < 0) {
        exec_free(st);
        return rc;
    }
    s->owned = st;
    s->owned_free = exec_free;
    s->owned_run = exec_run;
    return 0;
}

int rill_exec_skipped(uint64_t *out, const rill_pipeline *p, const char *name)
{
    int i;
    if (out == NULL || p == NULL || name == NULL)
        return rill__error(RILL_EINVAL, "rill_exec_skipped: NULL argument");
    i = rill__stage_find(p, name);
    if (i < 0 || i >= p->n || p->stages[i].ops != &exec_kind)
        return rill__error(RILL_ENOTFOUND, "rill_exec_skipped: no exec stage '%.200s'", name);
    *out = atomic_load(&((exec_stage *)p->stages[i].owned)->skipped);
    return 0;
}
