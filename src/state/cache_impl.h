/* cache_impl.h — the inside of the source cache (rill/cache.h), shared by
 * its files:
 *   cache_db.c      the SQLite index: caches, segments, marks, tracked sigs
 *   cache_lock.c    the recorder's lock (alive or not, whom to signal)
 *   cache_seg.c     a segment: events <-> zstd-compressed bytes + XXH3-128
 *   cache_record.c  the recorder (a thread, or a detached process)
 *   cache_replay.c  the replay source a pipeline pulls instead of its own
 *   cache.c         the public calls
 *   cache_look.c    listing, figures, verifying
 *
 * A segment's bytes, once decompressed (every integer little-endian):
 *   "rC" u8 version(1) u64 first_event u32 n
 *   n x (u64 t_us, u32 klen | 0xffffffff unkeyed, u32 len, key, data)
 * t_us: microseconds from the start of the recording to the event's
 * arrival (the processing-time marks). The file is one zstd frame of these
 * bytes; the index keeps its size and XXH3-128, so a damaged or truncated
 * file is refused before anything in it is used. */
#ifndef RILL_STATE_CACHE_IMPL_H
#define RILL_STATE_CACHE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sqlite3.h>

#include "rill.h"
#include "rill/cache.h"
#include "rill/sys/source.h"
#include "../core/serial.h"

#define RILL__CACHE_MARK_EVERY 1024 /* a position mark every this many events */

/* A cache's row in the index. */
typedef struct rill__crow {
    char key[RILL_CACHE_KEY_MAX];
    char kind[64];
    int state;          /* rill_cache_state */
    int64_t events, bytes, disk_bytes, segments;
    int64_t t0_ms;      /* wall clock at the start of the recording */
    int64_t dur_ms;     /* start to last event */
    int pid;            /* the recorder's process while recording */
    int64_t gen;        /* the recording's number (in segment file names) */
    int64_t start_pos;  /* the source's position when the recording started */
    int64_t end_pos;    /* ... after the last event recorded */
    int end_pos_ok;     /* whether end_pos is exact (the source can resume there) */
    int resumable;      /* the source can go on live from end_pos */
    char note[256];
} rill__crow;

/* What tells the file at path is the one a recording of it stopped in at
 * pos: its device, inode, and the XXH3 of the (up to 256) bytes before pos. */
typedef struct rill__fmark {
    int64_t dev, ino, len;
    uint64_t hash;
} rill__fmark;

/* A segment's row. */
typedef struct rill__cseg {
    int64_t seq, first_event, events, bytes, raw_len, file_len;
    uint64_t hash[2];
    char file[64];      /* its name in the cache's folder */
} rill__cseg;

/* ---- cache_db.c ---- */
int rill__cdb_open(sqlite3 **db, const char *dir);
/* rill__cdb_open, moving a damaged index aside first (said in notice). */
int rill__cdb_open_repair(sqlite3 **db, const char *dir, char *notice, size_t cap);
void rill__cdb_close(sqlite3 *db);
int rill__cdb_fail(sqlite3 *db, const char *doing);
/* 1 found, 0 not, or an error. Finds a recorder that died (its process is
 * gone) and finishes its cache first. */
int rill__cdb_get(sqlite3 *db, const char *key, rill__crow *out);
int rill__cdb_put(sqlite3 *db, const rill__crow *row);
/* The recorder's lock of key in dir (cache_db.c's top comment): byte 0 or
 * 1 write-locked on a new close-on-exec descriptor (returned; closing it
 * lets go), waiting for it when wait; an error when another holds it. */
int rill__cache_lock(const char *dir, const char *key, int byte, int wait);
/* The process holding byte (0, 1; -1: either) of key's lock, or 0. Never
 * call it for a key whose lock this process holds (a close drops it). */
int rill__cache_lock_holder(const char *dir, const char *key, int byte);
void rill__cache_lock_path(char *out, size_t cap, const char *dir, const char *key);
/* Through a descriptor of the lock this process holds part of: another
 * process holding byte 0 or 1 (its pid), or 0. Drops nothing. */
int rill__cache_lock_fd_holder(int fd);
/* Finishes recording gen of key: complete when ok or it holds events, else
 * invalidated; dur_ms, end_pos_ok (and-ed), note. Nothing when the row is
 * no longer that recording's, or no longer recording. */
int rill__cdb_finish(sqlite3 *db, const char *key, int64_t gen, int ok, int64_t dur_ms,
                     int end_pos_ok, const char *note);
/* The recorder's process of key, while it is recording. */
int rill__cdb_set_pid(sqlite3 *db, const char *key, int pid);
/* A recording's file mark (rill__cache_file_mark) where it stopped: put,
 * and get (1 found for that gen, 0 not). */
int rill__cdb_put_mark(sqlite3 *db, const char *key, int64_t gen, const rill__fmark *m);
int rill__cdb_get_mark(sqlite3 *db, const char *key, int64_t gen, rill__fmark *m);
/* Deletes key's segment and mark rows (its cache's row stays). */
int rill__cdb_drop_data(sqlite3 *db, const char *key);
/* The disk bytes of all caches (*used) and the oldest cache not recording
 * other than key (out): 1, or 0 when there is none. */
int rill__cdb_oldest(sqlite3 *db, const char *key, int64_t *used, char *out, size_t cap);
/* Deletes the rows of key (segments, marks, the cache); not the files. */
int rill__cdb_delete(sqlite3 *db, const char *key);
/* Adds a segment, its marks (events index, offsets, times: nm of each) and
 * the counters of its cache, in one transaction. */
int rill__cdb_add_segment(sqlite3 *db, const char *key, const rill__cseg *s,
                          const int64_t *mark_ev, const int64_t *mark_off,
                          const int64_t *mark_t, int nm, int64_t dur_ms, int64_t end_pos,
                          int end_pos_ok);
/* The segment seq of key: 1 found, 0 not. */
int rill__cdb_segment(sqlite3 *db, const char *key, int64_t seq, rill__cseg *out);
/* The segment holding event ev and the mark at or before it: 1, 0 none. */
int rill__cdb_seek(sqlite3 *db, const char *key, int64_t ev, int64_t *seq, int64_t *mark_ev,
                   int64_t *mark_off);
/* Each key in order: fn returns non-zero to stop. */
int rill__cdb_keys(sqlite3 *db, int (*fn)(const char *key, void *ctx), void *ctx);
/* The keys tracked for name: fn each; then replace them by keys[n]. */
int rill__cdb_tracked(sqlite3 *db, const char *name, int (*fn)(const char *key, void *ctx),
                      void *ctx);
int rill__cdb_track(sqlite3 *db, const char *name, char (*keys)[RILL_CACHE_KEY_MAX], int n);
int rill__cdb_untrack_key(sqlite3 *db, const char *key);
int rill__cdb_key_tracked_elsewhere(sqlite3 *db, const char *name, const char *key);
long long rill__cache_now_ms(void);
long long rill__cache_now_us(void);

/* ---- cache_seg.c ---- */
/* The path of a segment file of key in dir, into out (cap bytes). */
void rill__cseg_path(char *out, size_t cap, const char *dir, const char *key, const char *file);
/* Starts a segment's bytes (o initialised here). */
void rill__cseg_begin(rill__out *o, int64_t first_event);
/* Appends an event. */
void rill__cseg_event(rill__out *o, int64_t t_us, const rill_record *r);
/* Compresses raw (the bytes begun and appended, n events), writes the file
 * (temporary name, fsync, rename) and fills s (file, sizes, hash). */
int rill__cseg_write(const char *dir, const char *key, int64_t gen, int64_t seq,
                     const void *raw, size_t raw_len, rill__cseg *s);
/* The events of a file's bytes (file, len) that the index describes as s:
 * size and hash checked first, then decompressed and decoded. *out: a new
 * batch (caller frees), *t_us: malloc'd times (caller frees). Messages name
 * path. RILL_ECORRUPT for anything that does not match. */
int rill__cseg_unpack(const void *file, size_t len, const rill__cseg *s, const char *path,
                      rill_batch **out, int64_t **t_us);
/* Reads the file of s and unpacks it. */
int rill__cseg_read(const char *dir, const char *key, const rill__cseg *s, rill_batch **out,
                    int64_t **t_us);
/* Checks a file's size and hash only. */
int rill__cseg_check(const char *dir, const char *key, const rill__cseg *s);
/* Removes the temporary files a recorder killed while writing left in
 * key's folder (only when none records it). */
void rill__cseg_remove_tmp(const char *dir, const char *key);
/* Removes the folder of key's segments (and everything in it). */
void rill__cseg_remove_all(const char *dir, const char *key);

/* A followed file's path (the first thing its describe gives) into out;
 * 1, or 0 for any other source. */
int rill__cache_follow_path(const rill_source *ops, const void *self, const rill_pipeline *p,
                            char *out, size_t cap);
/* Fills m for path at pos (rill__fmark); -1 when it cannot be read. */
int rill__cache_file_mark(const char *path, int64_t pos, rill__fmark *m);

/* ---- cache_record.c ---- */
typedef struct rill__replay rill__replay;
typedef struct rill__recorder {
    rill__replay *rp;            /* the replay holding the source; NULL when it
                                    was freed (whichever goes first tells the
                                    other) */
    struct rill__recorder *next; /* the handle's list */
    char key[RILL_CACHE_KEY_MAX];
    char *dir;                   /* owned */
    const rill_source *ops;      /* the source recorded (borrowed from the replay) */
    void *self;
    rill_cache_options o;        /* defaults filled in */
    int64_t gen, start_pos;
    int resumable;
    pthread_t th;
    int running;                 /* a thread was started and not joined */
    int release;                 /* a process: frees the source when done */
    char path[1024];             /* a followed file's path, or "" */
    int lock_fd;                 /* holds byte 1 of its lock (closed when
                                    the row is finished), or -1 */
    atomic_int cancel;
    atomic_int *src_stop;        /* the pipeline's rill_source_stop flag: a live
                                    source it shares ends when it is set */
    int rc;
    char err[512];
} rill__recorder;

/* Records until a limit, the source's end or cancel; finishes the cache's
 * row. The caller made the row (state recording). */
int rill__record(rill__recorder *r);
int rill__record_thread(rill__recorder *r);
/* Forks a detached process that records (the caller keeps going). */
int rill__record_process(rill__recorder *r, sqlite3 *db);

/* ---- cache_replay.c ---- */
extern const rill_source rill__source_cache;
/* Puts a replay of key's cache in place of p's pulled source (ops, self). */
int rill__replay_install(rill_pipeline *p, rill_cache *c, const char *key, const char *kind);
/* The replay p pulls, or NULL. */
rill__replay *rill__replay_of(const rill_pipeline *p);
void rill__replay_set(rill__replay *r, const rill_replay_options *o);
const char *rill__replay_key(const rill__replay *r);
void rill__replay_source(rill__replay *r, const rill_source **ops, void **self);
/* The recorder working on its source (while it runs, the replay does not
 * pull the source itself). */
void rill__replay_recorder(rill__replay *r, rill__recorder *rec);

/* ---- cache.c ---- */
struct rill_cache {
    char *dir;              /* owned */
    sqlite3 *db;
    rill__recorder *recs;   /* owned: the threads started here */
    rill__crow row;         /* what rill_cache_info_get's strings point into */
    char notice[600];       /* rill_cache_notice */
};
const char *rill__cache_dir(const rill_cache *c);
/* The source of p the cache records: its key and kind (RILL_ENOTFOUND). */
int rill__cache_source(const rill_pipeline *p, char *key, size_t cap, char *kind, size_t kcap);
/* Sets key's state and note (0 also when there is no such cache). */
int rill__cache_set_state(rill_cache *c, const char *key, int state, const char *note);
/* A recorder thread of this handle for key, or NULL. */
rill__recorder *rill__cache_recorder(rill_cache *c, const char *key);

#endif
