/* rill/catalog.h — catalogs: named, versioned sets of partitions
 * (key -> data), the inputs and outputs of incremental runs (issue 13).
 *
 * A catalog lives in an SQLite file (by default .rill/catalogs.db in the
 * working directory), which may hold many catalogs by name. A partition is
 * a key (1 to RILL_CATALOG_KEY_MAX bytes, any bytes) and its data (any
 * bytes, also none); the data is kept in the database, beside its key,
 * when it is small (at most inline_max bytes) and otherwise in a
 * content-addressed file in the folder beside the database
 * (<path>-blobs/<2 hex>/<32 hex>), named by its hash, written to a
 * temporary, synced and renamed before the commit that refers to it. A
 * payload file is stored once, whichever keys and catalogs hold its bytes.
 *
 * Handles. The handles a process opens on one file share one SQLite
 * connection (and its cache of the file's pages); a handle may be used by
 * one thread at a time. One transaction per file at a time: another
 * handle, in this process or another, waits for it (wait_ms).
 *
 * Versions. A catalog starts at version 0, empty. Each commit makes the
 * next version, N+1, atomically: the puts and deletes of one transaction
 * all appear in it or (on abort, failure or a kill at any moment) none
 * does, and the previous version stays as it was. Version numbers are
 * never reused. Any version can be read (get, list, diff, export) until
 * garbage collection prunes it (rill_catalog_gc with keep); version 0 can
 * always be read, and is empty. Wherever a version is asked for,
 * RILL_CATALOG_LATEST means the latest committed one.
 *
 * Content hashes. Every partition's data has a 128-bit content hash,
 * XXH3-128 (xxHash, in its canonical big-endian byte order), and "the same
 * content" means the same hash: a put of the data a key already has is no
 * change, a revert to what an earlier version held is no change in a diff
 * between them. Why XXH3-128 and not BLAKE3: it is already a dependency of
 * rill (the state file's digest) where BLAKE3 would be a new one, and it
 * hashes at memory speed (tens of GB/s against BLAKE3's few on one core,
 * without its threads), so hashing never dominates an import or a commit;
 * with 128 bits, two different partitions collide by accident with
 * probability about n^2 / 2^129 (n = 10^12 partitions: 10^-15). It is not a
 * cryptographic hash: someone who chooses the bytes of two partitions can
 * make them collide. A catalog is the user's own data; do not share one file
 * between parties that might forge content. The algorithm is part of the
 * file's format (rill_schema 'catalog', 1).
 *
 * Concurrency. One transaction at a time per file: rill_catalog_begin (and
 * rill_catalog_gc) take SQLite's write lock, and a second writer, in this
 * process or another, gets RILL_EBUSY (after waiting wait_ms). Readers see
 * committed versions only and never wait for a transaction to end (the
 * file is in WAL mode); the handles of one file in a process share its
 * connection, so their reads wait while a commit through another handle
 * is being written (milliseconds). A handle is used by one thread at a
 * time.
 *
 * Errors, as everywhere in rill: 0 or a negative RILL_E* code, and
 * rill_error_last() naming the catalog, the file, the key and the version
 * involved. Data that does not match its hash (a damaged or missing payload
 * file, a damaged database) is RILL_ECORRUPT naming the key and the file;
 * nothing is ever returned that was not checked against its hash. */
#ifndef RILL_CATALOG_H
#define RILL_CATALOG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rill_catalog rill_catalog;
typedef struct rill_catalog_txn rill_catalog_txn;

#define RILL_CATALOG_LATEST ((int64_t)-1) /* the latest committed version */
#define RILL_CATALOG_HASH_SIZE 16         /* bytes of a content hash */
#define RILL_CATALOG_KEY_MAX 4096         /* the longest key, in bytes */

#define RILL_CATALOG_OPTIONS_VERSION 1
typedef struct rill_catalog_options {
    unsigned version;
    /* copied; NULL: ".rill/catalogs.db" in the working directory (the
     * folder is made when missing). Payload files go in path + "-blobs". */
    const char *path;
    /* data of at most this many bytes is kept in the database, larger in a
     * file (a choice for the puts of this handle; what is stored stays
     * where it is); 0: 65536; more than 256 MiB counts as 256 MiB */
    size_t inline_max;
    /* 1: a catalog of this name that is not in the file is made (empty, at
     * version 0), and the file too; 0: RILL_ENOTFOUND, nothing written */
    int create;
    /* milliseconds rill_catalog_begin, rill_catalog_gc and an open that
     * makes the catalog (or the file's tables) wait for another writer's
     * transaction to end before RILL_EBUSY; 0: not at all */
    unsigned wait_ms;
} rill_catalog_options;
#define RILL_CATALOG_OPTIONS_INIT {RILL_CATALOG_OPTIONS_VERSION, NULL, 0, 1, 0}

/* Opens the catalog name (1 to 255 bytes, no control characters) in the
 * file of opts (NULL: the defaults). *out: caller frees with
 * rill_catalog_free. RILL_ECORRUPT when the file is not an SQLite database
 * or is somebody else's (tables but no rill_schema, or rill_cat_ tables with
 * other columns than rill's); RILL_EVERSION when a newer rill wrote it;
 * either way the file is left as it was. Opening does not read the whole
 * file: damage inside it is RILL_ECORRUPT when the damaged part is read. A
 * rill state file (checkpoints) may hold catalogs beside them. */
RILL_EXTERN int rill_catalog_open(rill_catalog **out, const char *name,
                                  const rill_catalog_options *opts);
/* A catalog's name, borrowed during the callback. */
typedef int (*rill_catalog_name_fn)(const char *name, void *payload);
/* Calls fn with the name of every catalog in the file at path (NULL: the
 * default, ".rill/catalogs.db"), in byte order of the names, writing
 * nothing. RILL_ENOTFOUND when there is no such file; a file without
 * catalog tables holds none (0, fn not called); RILL_ECORRUPT and
 * RILL_EVERSION as rill_catalog_open. A non-zero return of fn stops the
 * list and comes back as RILL_EUSER. */
RILL_EXTERN int rill_catalog_names(const char *path, rill_catalog_name_fn fn, void *payload);
/* Closes the handle, aborting its open transaction if any; accepts NULL. */
RILL_EXTERN void rill_catalog_free(rill_catalog *c);
/* The catalog's name and its database's path: borrowed from the handle. */
RILL_EXTERN const char *rill_catalog_name(const rill_catalog *c);
RILL_EXTERN const char *rill_catalog_path(const rill_catalog *c);
/* *out: the latest committed version (0 when none was). */
RILL_EXTERN int rill_catalog_latest(int64_t *out, rill_catalog *c);

/* ---- reading a version ---- */

/* One partition as a version holds it. */
typedef struct rill_catalog_entry {
    const void *key;  /* borrowed: valid during the callback (or, from
                         rill_catalog_stat, the caller's key) */
    size_t key_len;
    unsigned char hash[RILL_CATALOG_HASH_SIZE]; /* XXH3-128, big-endian */
    uint64_t size;    /* bytes of data */
    int64_t since;    /* the version that put this content under this key */
    int in_file;      /* 1: its data is in a payload file, 0: in the database */
} rill_catalog_entry;

/* A partition of version (RILL_CATALOG_LATEST: the latest). */
typedef int (*rill_catalog_entry_fn)(const rill_catalog_entry *e, void *payload);

/* *out: the partition key of version, without reading its data.
 * RILL_ENOTFOUND when the version does not hold key, or when there is no
 * such version (later than the latest, or pruned: the message says). */
RILL_EXTERN int rill_catalog_stat(rill_catalog_entry *out, rill_catalog *c, int64_t version,
                                  const void *key, size_t key_len);
/* *data, *len: the data of key in version, checked against its hash
 * (RILL_ECORRUPT naming the key and the file when it does not match or its
 * payload file is missing). *data: caller frees with free(); never NULL on
 * success (an empty partition is a 1-byte allocation with *len 0). */
RILL_EXTERN int rill_catalog_get(void **data, size_t *len, rill_catalog *c, int64_t version,
                                 const void *key, size_t key_len);
/* Calls fn for every partition of version in key order (bytes compared as
 * unsigned, shorter first when one is a prefix of the other). A non-zero
 * return of fn stops the list and comes back as RILL_EUSER. */
RILL_EXTERN int rill_catalog_list(rill_catalog *c, int64_t version, rill_catalog_entry_fn fn,
                                  void *payload);

typedef enum rill_catalog_change {
    RILL_CATALOG_ADDED = 1,   /* in to, not in from */
    RILL_CATALOG_REMOVED = 2, /* in from, not in to */
    RILL_CATALOG_CHANGED = 3  /* in both, with other content */
} rill_catalog_change;

/* One difference: from is NULL when added, to when removed; both borrowed
 * during the callback. */
typedef int (*rill_catalog_diff_fn)(rill_catalog_change change, const rill_catalog_entry *from,
                                    const rill_catalog_entry *to, void *payload);

/* Calls fn for every key whose content differs between versions from and
 * to, in key order (from may be later than to: the changes back). Content
 * is compared by hash: a key put and later put back to what it held, or
 * deleted and put again the same, is no difference. Costs in proportion
 * to the changes between the two versions, not to the catalog's size. A
 * non-zero return of fn stops it and comes back as RILL_EUSER. */
RILL_EXTERN int rill_catalog_diff(rill_catalog *c, int64_t from, int64_t to,
                                  rill_catalog_diff_fn fn, void *payload);

/* One version in the log. */
typedef struct rill_catalog_version {
    int64_t version;     /* 1, 2, ... */
    int64_t time_ms;     /* when it was committed: ms since 1970 (UTC) */
    const char *message; /* borrowed during the callback; "" when none */
    uint64_t partitions; /* how many it holds */
    uint64_t bytes;      /* their data's bytes */
    uint64_t added, removed, changed; /* against the version before it */
    int pruned;          /* 1: gc dropped its partitions; only this is left */
} rill_catalog_version;

typedef int (*rill_catalog_version_fn)(const rill_catalog_version *v, void *payload);

/* Calls fn for every committed version, newest first. A non-zero return of
 * fn stops it and comes back as RILL_EUSER. */
RILL_EXTERN int rill_catalog_log(rill_catalog *c, rill_catalog_version_fn fn, void *payload);

/* ---- writing a version ---- */

/* Opens the transaction that will make the next version (the handle holds
 * at most one; the file, one in all processes: RILL_EBUSY otherwise, "another
 * writer has a transaction open"). *out: owned by the handle; ended by
 * rill_catalog_commit or rill_catalog_abort (or rill_catalog_free). Reads
 * through the handle meanwhile see the committed versions only. */
RILL_EXTERN int rill_catalog_begin(rill_catalog_txn **out, rill_catalog *c);
/* The version the transaction's commit will make. */
RILL_EXTERN int64_t rill_catalog_txn_version(const rill_catalog_txn *t);

/* Puts key -> data (copied; data may be NULL when len is 0), replacing what
 * key holds. Putting the content key already has is no change. */
RILL_EXTERN int rill_catalog_put(rill_catalog_txn *t, const void *key, size_t key_len,
                                 const void *data, size_t len);
/* The same with the bytes of the file at path (read as a stream: a large
 * file is copied to its payload file without being held in memory). */
RILL_EXTERN int rill_catalog_put_file(rill_catalog_txn *t, const void *key, size_t key_len,
                                      const char *path);
/* Deletes key. RILL_ENOTFOUND when the transaction's version would not hold
 * it (the transaction goes on). */
RILL_EXTERN int rill_catalog_delete(rill_catalog_txn *t, const void *key, size_t key_len);
/* Makes the transaction's content that of the folder dir: every regular
 * file under it (symbolic links followed to files) is put under its path
 * relative to dir, with '/' between folders ("a/b.txt"; hidden files
 * too), and every key that is not such a path is deleted. The catalog's own
 * database and payload files, when dir holds them, are left out. Files
 * whose bytes did not change are no change. A link to a folder, a special file or a path longer than
 * RILL_CATALOG_KEY_MAX is refused (RILL_EINVAL naming it) before anything
 * is put. */
RILL_EXTERN int rill_catalog_put_dir(rill_catalog_txn *t, const char *dir);

/* Commits: the transaction's puts and deletes become version N+1 in one
 * SQLite transaction (synced), with message (copied; NULL: none) in the
 * log. A transaction that changed nothing still makes a version (an empty
 * one). *version (may be NULL): the version made. Ends the transaction
 * whatever happens; on failure nothing of it is committed. When a put or
 * delete of the transaction failed after it had written (an I/O error, a
 * full disk), commit refuses with RILL_EINVAL. */
RILL_EXTERN int rill_catalog_commit(int64_t *version, rill_catalog_txn *t, const char *message);
/* Ends the transaction with nothing committed; accepts NULL. Payload files
 * it wrote stay until rill_catalog_gc. */
RILL_EXTERN void rill_catalog_abort(rill_catalog_txn *t);

/* ---- folders ---- */

/* Begins, puts the folder dir (rill_catalog_put_dir), commits with
 * message. *version (may be NULL): the version made. */
RILL_EXTERN int rill_catalog_import(int64_t *version, rill_catalog *c, const char *dir,
                                    const char *message);
/* Writes every partition of version as the file dir/<key> (folders made as
 * needed; dir too), each to a temporary beside it then renamed, replacing
 * a file of that name; other files in dir are left alone. Every key is
 * checked first: one that is not a relative path (empty parts, ".", "..",
 * a leading '/', a NUL byte) is RILL_EINVAL naming it, with nothing
 * written. Data that does not match its hash is RILL_ECORRUPT (that file is
 * not written; those before it are). Files are not synced to disk. */
RILL_EXTERN int rill_catalog_export(rill_catalog *c, int64_t version, const char *dir);

/* ---- garbage collection ---- */

#define RILL_CATALOG_GC_OPTIONS_VERSION 1
typedef struct rill_catalog_gc_options {
    unsigned version;
    /* keep the catalog's last keep versions (versions before them are
     * pruned: their log entries stay, marked pruned, their partitions go);
     * 0: keep every version */
    int64_t keep;
} rill_catalog_gc_options;
#define RILL_CATALOG_GC_OPTIONS_INIT {RILL_CATALOG_GC_OPTIONS_VERSION, 0}

typedef struct rill_catalog_gc_stats {
    int64_t versions_pruned;   /* versions of this catalog pruned now */
    uint64_t payloads_removed; /* stored contents no version refers to any more */
    uint64_t files_removed;    /* payload files deleted (also leftovers of
                                  aborted or killed transactions) */
    uint64_t bytes_removed;    /* their bytes */
} rill_catalog_gc_stats;

/* Prunes c's versions as opts say (NULL: keep all), then removes from the
 * file every payload (in the database or a file) that no retained version of
 * any catalog in it refers to, and every payload file and temporary in the
 * blobs folder the database does not refer to. Takes the write lock like
 * rill_catalog_begin (RILL_EBUSY), and a handle with an open transaction
 * is refused. A kill at any moment leaves every retained version readable.
 * *stats (may be NULL): what was removed. */
RILL_EXTERN int rill_catalog_gc(rill_catalog_gc_stats *stats, rill_catalog *c,
                                const rill_catalog_gc_options *opts);

/* Writes the 32 lowercase hex digits of hash and a NUL into out (33 bytes). */
RILL_EXTERN void rill_catalog_hash_hex(char out[33], const unsigned char hash[RILL_CATALOG_HASH_SIZE]);

#ifdef __cplusplus
}
#endif
#endif
