/* cache_record.c — the source cache's recorder (rill/cache.h): pulls a
 * source as a run would (rill/sys/source.h) and writes its events into
 * segments, each one whole on disk before the index names it, until a
 * limit, the source's end, an error of the source, or a cancel; then marks
 * the cache complete with the reason in its note.
 *
 * Limits trigger exactly at their thresholds: the events are counted one by
 * one, and the recording stops after the event that makes the count reach
 * max_events or the bytes reach max_bytes (the rest of that batch is not
 * recorded). Where the recording stops, the source's position (for a
 * source that can resume there) is exact when the batch was recorded whole,
 * or when the batch's position moved by its records or by its bytes (a
 * record per line: len + 1); otherwise it is marked not exact.
 *
 * It runs on a thread of its own (rill__record_thread) or in a detached
 * process (rill__record_process: a double fork, so that it is nobody's
 * child to reap; its standard output and error go to /dev/null so that
 * whoever reads the main run's output sees its end; SIGTERM cancels it).
 * Either way it has its own SQLite connection: a recorder process opens it
 * after the fork and never touches the ones it inherited (SQLite forbids
 * using a connection across a fork); db, in rill__record_process, is the
 * parent's, used by the parent only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache_impl.h"
#include "../record/batch.h"
#include "../util/error.h"

typedef struct marks {
    int64_t *ev, *off, *t;
    int n, cap;
} marks;

static int mark_add(marks *m, int64_t ev, int64_t off, int64_t t)
{
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 16;
        int64_t *a = realloc(m->ev, (size_t)cap * sizeof(*a));
        if (a == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        m->ev = a;
        if ((a = realloc(m->off, (size_t)cap * sizeof(*a))) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        m->off = a;
        if ((a = realloc(m->t, (size_t)cap * sizeof(*a))) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        m->t = a;
        m->cap = cap;
    }
    m->ev[m->n] = ev;
    m->off[m->n] = off;
    m->t[m->n] = t;
    m->n++;
    return 0;
}

/* The segment being filled. */
typedef struct seg {
    rill__out o;
    int open;
    int64_t first, n, bytes, seq;
    int64_t disk;       /* the segments' files, in 4 KiB blocks */
    long long t_open_ms;
    marks m;
} seg;

static int flush(rill__recorder *r, sqlite3 *db, seg *s, int64_t dur_ms, int64_t end_pos,
                 int end_pos_ok)
{
    rill__cseg info;
    int rc;
    if (!s->open)
        return 0;
    if (s->o.rc < 0)
        return s->o.rc;
    rill__le32(s->o.buf + 11, (uint32_t)s->n);
    memset(&info, 0, sizeof(info));
    info.first_event = s->first;
    info.events = s->n;
    info.bytes = s->bytes;
    if ((rc = rill__cseg_write(r->dir, r->key, r->gen, ++s->seq, s->o.buf, s->o.len, &info)) < 0)
        return rc;
    rc = rill__cdb_add_segment(db, r->key, &info, s->m.ev, s->m.off, s->m.t, s->m.n, dur_ms,
                               end_pos, end_pos_ok);
    s->disk += (info.file_len + 4095) / 4096 * 4096;
    rill__out_free(&s->o);
    s->open = 0;
    s->m.n = 0;
    return rc;
}

/* Where the source is after the first k of the batch's n records (bytes:
 * their lengths + 1 each), from before to after; 1 when exact. */
static int position_after(int64_t before, int64_t after, const rill_batch *b, size_t begin,
                          size_t end, size_t k, int64_t *pos)
{
    int64_t n = (int64_t)(end - begin), all = 0, upto = 0;
    size_t i;
    if ((int64_t)k == n) {
        *pos = after;
        return 1;
    }
    if (after - before == n) {
        *pos = before + (int64_t)k;
        return 1;
    }
    for (i = begin; i < end; i++) {
        rill_record rec;
        rill_batch_get(&rec, b, i);
        all += (int64_t)rec.len + 1;
        if (i - begin < k)
            upto += (int64_t)rec.len + 1;
    }
    *pos = before + upto;
    return after - before == all;
}

/* A live source the recorder shares with its pipeline (a thread) ends when
 * the pipeline's run stops reading (rill_source_stop): that is not the
 * source's end, and the cache is not complete. */
static const char stopped_note[] = "cancelled: the pipeline's run stopped reading the source";

/* What the recording takes on disk: its segments and the index. */
static int64_t disk_used(const rill__recorder *r, const seg *s)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/index.db", r->dir);
    return s->disk + (stat(path, &st) == 0 ? (int64_t)st.st_size : 0);
}

static int run_stopped(const rill__recorder *r)
{
    /* a recorder process: the flag is its own (set to end a long wait) */
    return !r->release && r->src_stop && atomic_load(r->src_stop);
}

int rill__record(rill__recorder *r)
{
    sqlite3 *db = NULL;
    rill_batch *b = NULL;
    seg s;
    rill_source_pull pull;
    long long t0_us = rill__cache_now_us(), last_look_ms = t0_us / 1000;
    long long last_flush_ms = t0_us / 1000;
    int64_t events = 0, bytes = 0, end_pos = r->start_pos, dur_ms = 0;
    int end_ok = 1, rc, stop = 0;
    char note[256] = "";
    memset(&s, 0, sizeof(s));
    memset(&pull, 0, sizeof(pull));
    if ((rc = rill__cdb_open(&db, r->dir)) < 0 || (rc = rill_batch_new(&b)) < 0)
        goto done;
    pull.workers = 1;
    pull.position = r->start_pos;
    while (!stop) {
        int64_t before = pull.position;
        long long open_ms;
        int caught_up;
        size_t i, k = 0;
        long long now_ms = rill__cache_now_us() / 1000;
        if (atomic_load(&r->cancel)) {
            snprintf(note, sizeof(note), "cancelled");
            break;
        }
        if (now_ms - last_look_ms >= 500) { /* its folder removed: nobody will read it */
            last_look_ms = now_ms;
            if (access(r->dir, F_OK) < 0) {
                snprintf(note, sizeof(note), "the cache's folder is gone");
                break;
            }
        }
        if (r->o.max_ms > 0 && now_ms - t0_us / 1000 >= r->o.max_ms) {
            snprintf(note, sizeof(note), "duration limit (%lld ms)", (long long)r->o.max_ms);
            break;
        }
        rill_batch_clear(b);
        pull.out = b;
        pull.batch = NULL;
        pull.begin = pull.end = 0;
        pull.last = 0;
        pull.batch_records = 1024;
        if (r->o.max_events > 0 && r->o.max_events - events < 1024)
            pull.batch_records = (size_t)(r->o.max_events - events);
        rc = r->ops->next(r->self, &pull);
        if (rc < 0) {
            snprintf(note, sizeof(note), "the source failed: %s", rill_error_last());
            rc = 0;
            break;
        }
        if (rc == 0) {
            snprintf(note, sizeof(note), "%s", run_stopped(r) ? stopped_note : "the source ended");
            break;
        }
        for (i = pull.begin; i < pull.end && !stop; i++) {
            rill_record rec;
            long long t = rill__cache_now_us() - t0_us;
            rill_batch_get(&rec, pull.batch, i);
            if (!s.open) {
                rill__cseg_begin(&s.o, events);
                s.open = 1;
                s.first = events;
                s.n = s.bytes = 0;
                s.t_open_ms = rill__cache_now_us() / 1000;
            }
            if ((s.n == 0 || events % RILL__CACHE_MARK_EVERY == 0) &&
                (rc = mark_add(&s.m, events, (int64_t)s.o.len, t)) < 0)
                goto done;
            rill__cseg_event(&s.o, t, &rec);
            s.n++;
            s.bytes += (int64_t)rec.len + (rec.key ? (int64_t)rec.key_len : 0);
            bytes += (int64_t)rec.len + (rec.key ? (int64_t)rec.key_len : 0);
            events++;
            dur_ms = t / 1000;
            k++;
            if (r->o.max_events > 0 && events >= r->o.max_events) {
                snprintf(note, sizeof(note), "event limit (%lld events)",
                         (long long)r->o.max_events);
                stop = 1;
            } else if (bytes >= r->o.max_bytes) {
                snprintf(note, sizeof(note), "size limit (%lld bytes)", (long long)r->o.max_bytes);
                stop = 1;
            }
        }
        if (pull.end > pull.begin || pull.position != before) {
            if (!end_ok) { /* once lost, the position stays unknown */
            } else {
                end_ok = position_after(before, pull.position, pull.batch ? pull.batch : b,
                                        pull.begin, pull.end, k, &end_pos);
            }
        }
        if ((pull.last || run_stopped(r)) && !stop) {
            snprintf(note, sizeof(note), "%s", run_stopped(r) ? stopped_note : "the source ended");
            stop = 1;
        }
        /* a short answer of a source that waits: it has caught up, and its
         * next answer may be long in coming; readers get this one now, but
         * 50 ms after the last segment at the soonest (the source's own
         * buffer holds what comes meanwhile): not a file per event of a
         * slow source */
        open_ms = rill__cache_now_us() / 1000 - s.t_open_ms;
        caught_up = (r->ops->flags & RILL_SOURCE_WAITS) &&
                    pull.end - pull.begin < pull.batch_records;
        if (s.open && caught_up && !stop && s.bytes < r->o.segment_bytes &&
            open_ms < r->o.flush_ms) {
            long long gap_ms = (r->o.flush_ms < 50 ? r->o.flush_ms : 50) -
                               (rill__cache_now_us() / 1000 - last_flush_ms);
            if (gap_ms > 0) {
                struct timespec ts = {0, (long)gap_ms * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
        if (s.open && (stop || s.bytes >= r->o.segment_bytes || open_ms >= r->o.flush_ms ||
                       caught_up)) {
            last_flush_ms = rill__cache_now_us() / 1000;
            if ((rc = flush(r, db, &s, dur_ms, end_pos, end_ok)) < 0)
                goto done;
            if (!stop && disk_used(r, &s) >= r->o.max_bytes) {
                snprintf(note, sizeof(note), "size limit (%lld bytes on disk)",
                         (long long)r->o.max_bytes);
                stop = 1;
            }
        }
    }
    rc = flush(r, db, &s, dur_ms, end_pos, end_ok);
done:
    if (rc < 0) {
        snprintf(r->err, sizeof(r->err), "%s", rill_error_last());
        snprintf(note, sizeof(note), "the recorder failed: %s", rill_error_last());
    }
    r->rc = rc;
    if (r->ops->end)
        r->ops->end(r->self);
    if (r->release && r->ops->free) { /* a recorder process: a listener's port is free */
        r->ops->free(r->self);        /* once the cache is complete */
        r->ops = NULL;
    }
    /* a followed file: what tells, at a resume, that it is the same file */
    if (db && r->path[0] && end_ok) {
        rill__fmark m;
        if (rill__cache_file_mark(r->path, end_pos, &m) == 0)
            rill__cdb_put_mark(db, r->key, r->gen, &m);
    }
    /* its own recording's row, while it is recording: one invalidated (or
     * recorded anew) meanwhile stays so */
    if (db)
        rill__cdb_finish(db, r->key, r->gen, rc == 0, (rill__cache_now_us() - t0_us) / 1000,
                         end_ok, note);
    if (r->lock_fd >= 0) { /* finished: nobody takes it for alive now */
        close(r->lock_fd);
        r->lock_fd = -1;
    }
    rill__out_free(&s.o);
    free(s.m.ev);
    free(s.m.off);
    free(s.m.t);
    rill_batch_free(b);
    rill__cdb_close(db);
    return rc;
}

static void *thread_main(void *arg)
{
    rill__record(arg);
    return NULL;
}

int rill__record_thread(rill__recorder *r)
{
    if (pthread_create(&r->th, NULL, thread_main, r) != 0)
        return rill__error(RILL_ETHREAD, "source cache: cannot start the recorder's thread");
    r->running = 1;
    return 0;
}

/* Closes what the process was given by whoever started it (descriptors
 * without close-on-exec: they came through an exec), so that a detached
 * recorder holds no one's pipe or file open; rill's own (the source's
 * socket or file) are close-on-exec and stay. Standard input stays: it may
 * be the source. */
static void close_inherited(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int fds[256], n = 0, i;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL && n < 256) {
        int fd = atoi(e->d_name), fl;
        if (fd <= 2 || fd == dirfd(d))
            continue;
        if ((fl = fcntl(fd, F_GETFD)) >= 0 && !(fl & FD_CLOEXEC))
            fds[n++] = fd;
    }
    closedir(d);
    for (i = 0; i < n; i++)
        close(fds[i]);
}

/* A recorder process ends a source's long wait (a followed file polled
 * every few minutes) by setting its own copy of the pipeline's stop flag,
 * which live sources look at every 20 ms: on SIGTERM (a cancel), at its
 * duration limit, and when its folder is gone; the loop then sees why. */
static atomic_int *term_flag, *stop_flag;
static const char *watch_dir;
static long long deadline_ms;

static void on_term(int sig)
{
    (void)sig;
    if (term_flag)
        atomic_store(term_flag, 1);
    if (stop_flag)
        atomic_store(stop_flag, 1);
}

static void on_tick(int sig)
{
    struct timespec ts;
    long long now;
    (void)sig;
    clock_gettime(CLOCK_REALTIME, &ts); /* both async-signal-safe */
    now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (stop_flag && ((deadline_ms > 0 && now >= deadline_ms) || access(watch_dir, F_OK) < 0))
        atomic_store(stop_flag, 1);
}

static void watch_start(rill__recorder *r)
{
    struct sigaction sa;
    struct itimerval it = {{0, 250000}, {0, 250000}};
    term_flag = &r->cancel;
    stop_flag = r->src_stop;
    watch_dir = r->dir;
    deadline_ms = r->o.max_ms > 0 ? rill__cache_now_ms() + r->o.max_ms : 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_tick;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
}

int rill__record_process(rill__recorder *r, sqlite3 *db)
{
    int fds[2];
    pid_t mid, rec = 0;
    rill__crow row;
    int status;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return rill__error_errno(errno, "source cache: cannot start the recorder");
    if ((mid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return rill__error_errno(errno, "source cache: cannot start the recorder");
    }
    if (mid == 0) { /* the middle child: starts the recorder and goes */
        pid_t g;
        sigset_t term;
        close(fds[0]);
        setsid();
        /* a cancel sent before the recorder has its handler waits for it */
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigaddset(&term, SIGINT);
        sigprocmask(SIG_BLOCK, &term, NULL);
        g = fork();
        if (g != 0) {
            _exit(g > 0 ? 0 : 1);
        } else { /* the recorder: its lock first, then it tells its pid */
            int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
            pid_t me = getpid();
            ssize_t w;
            if ((r->lock_fd = rill__cache_lock(r->dir, r->key, 1, 0)) < 0)
                _exit(1);
            w = write(fds[1], &me, sizeof(me));
            close(fds[1]);
            if (w != (ssize_t)sizeof(me))
                _exit(1);
            close_inherited();
            if (null >= 0) {
                dup2(null, 1);
                dup2(null, 2);
                close(null);
            }
            signal(SIGPIPE, SIG_IGN);
            r->release = 1;
            watch_start(r);
            sigprocmask(SIG_UNBLOCK, &term, NULL);
            _exit(rill__record(r) < 0);
        }
    }
    close(fds[1]);
    if (read(fds[0], &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
        rec = 0;
    close(fds[0]);
    while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rec <= 0)
        return rill__error(RILL_EIO, "source cache: the recorder's process did not start");
    (void)row;
    return rill__cdb_set_pid(db, r->key, (int)rec);
}
