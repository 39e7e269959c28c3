/* rill/fingerprint.h — fingerprints: what an output commit of an
 * incremental compile was made under, stored with it and compared at the
 * next run (issue 13, item 4). When any fingerprint differs, the next run
 * cannot be incremental and runs in full, saying which one changed and
 * from what to what (rill_fingerprints_compare).
 *
 * A rill_fingerprints holds, in this order (the order compare reports
 * differences in):
 *   1. rill's version (RILL_VERSION_STRING), from rill_fingerprints_new on;
 *   2. the user's code: per loaded object (the executable, a shared
 *      library, a plugin) that holds a callback, its GNU build-id, or a
 *      hash of its file when it has none; order-free, one entry per object;
 *   3. an optional declared code version (a string the user chooses);
 *   4. external commands: their argv, their program's file and every file
 *      an argument names; order-free, one entry per argv;
 *   5. the configuration: every option that can change the output, by
 *      name, order-free;
 *   6. custom hashes of external content (the reference's addCustomHash):
 *      named (order-free) and unnamed (ordered, in the order added);
 *   7. broadcast inputs (the reference's toBroadcast): read-only side data
 *      every worker and rank reads; fingerprinted by their hash, unless
 *      deliberately left out by name.
 *
 * Hashes are XXH3-128 in its canonical big-endian bytes, the catalogs'
 * content hash (catalog.h says why not BLAKE3): rill_fingerprints_hash_file
 * of a file equals the content hash of a catalog partition holding its
 * bytes. Values (options, custom hashes, broadcasts) are kept as their
 * length, their hash and their first 40 bytes, which is all compare shows;
 * two values are the same when length and hash are.
 *
 * The encoding (rill_fingerprints_encode) is canonical: the same
 * fingerprints, however they were added, give the same bytes. It starts
 * with "rF" and a format byte (1 now); a later rill adds fields under a new
 * format byte and still reads this one. Decoding never reads past the bytes
 * it is given.
 *
 * A handle is used by one thread at a time. Errors, as everywhere in rill:
 * 0 or a negative RILL_E* code, with rill_error_last() saying what. */
#ifndef RILL_FINGERPRINT_H
#define RILL_FINGERPRINT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rill_fingerprints rill_fingerprints;

#define RILL_FINGERPRINT_HASH_SIZE 16 /* bytes of an XXH3-128 hash */
#define RILL_FINGERPRINT_SHOWN 40     /* bytes of a value kept to be shown */
#define RILL_FINGERPRINT_FORMAT 1     /* the encoding's format byte */

/* *out: new fingerprints holding rill's version (RILL_VERSION_STRING) and
 * nothing else. Caller frees with rill_fingerprints_free. */
RILL_EXTERN int rill_fingerprints_new(rill_fingerprints **out);
/* Accepts NULL. */
RILL_EXTERN void rill_fingerprints_free(rill_fingerprints *f);

/* The user's code: the loaded object (executable or shared library) that
 * holds the address fn (any address in it: a function, a static) is found
 * with dladdr and dl_iterate_phdr; its GNU build-id is read from the
 * NT_GNU_BUILD_ID note of its loaded program headers (what `readelf -n`
 * prints as "Build ID"). Without a build-id, its file is hashed instead.
 * The object is named by its path as the dynamic loader has it (made
 * absolute when a library was opened by a relative path; the executable:
 * /proc/self/exe resolved). Adding the same object twice is one
 * entry. RILL_ENOTFOUND when fn is in no loaded object; RILL_EIO when an
 * object without a build-id cannot be read. */
RILL_EXTERN int rill_fingerprints_add_code(rill_fingerprints *f, const void *fn);

/* The running executable, as rill_fingerprints_add_code of an address in
 * it: "the executable and every object holding a callback" is this and
 * add_code per callback. */
RILL_EXTERN int rill_fingerprints_add_executable(rill_fingerprints *f);

/* An external command: argv (NULL-terminated, at least argv[0]; copied) and
 * the bytes of its program's file (argv[0] as a path when it holds a '/',
 * else the first executable regular file of that name in PATH) and of every
 * later argument that names an existing regular file (a relative name from
 * the working directory): the script of awk -f x.awk or python3 x.py.
 * RILL_ENOTFOUND when the program is not found. The same argv twice is one
 * entry (the first). Every such file is read whole at each call: a large
 * data file named in argv costs its reading time. */
RILL_EXTERN int rill_fingerprints_add_command(rill_fingerprints *f, const char *const *argv);

/* The declared version of the user's code (copied), for what a build-id
 * cannot see (a data file compiled in, a change of mind). A later call
 * replaces it; NULL removes it. */
RILL_EXTERN int rill_fingerprints_set_code_version(rill_fingerprints *f, const char *version);

/* An option that can change the output: name (a non-empty string) and its
 * value (len bytes; value may be NULL when len is 0). Order-free: options
 * are kept sorted by name. The same name twice is RILL_EINVAL. */
RILL_EXTERN int rill_fingerprints_add_option(rill_fingerprints *f, const char *name,
                                             const void *value, size_t len);

/* A custom hash of external content (bytes: any, typically a hash from
 * rill_fingerprints_hash_file or _hash_dir). name non-NULL: a named one,
 * order-free, each name once (RILL_EINVAL otherwise); name NULL: an
 * unnamed one, ordered: the n-th unnamed hash is compared with the n-th. */
RILL_EXTERN int rill_fingerprints_add_custom(rill_fingerprints *f, const char *name,
                                             const void *bytes, size_t len);

/* out: XXH3-128 of the bytes of the file at path (symbolic links
 * followed), read as a stream. RILL_EISDIR for a folder, RILL_EINVAL for
 * another kind of file, RILL_ENOTFOUND when missing. */
RILL_EXTERN int rill_fingerprints_hash_file(unsigned char out[RILL_FINGERPRINT_HASH_SIZE],
                                            const char *path);
/* out: XXH3-128 over the folder dir (followed when a link), recursively,
 * entries of each folder in byte order of their names: for each, its path
 * relative to dir, its kind (file, folder, symbolic link) and its content
 * (a file's bytes, a link's target text; links are not followed). Names,
 * kinds and contents count; times, owners and modes do not. A special file
 * (fifo, socket, device) is RILL_EINVAL naming it; RILL_ENOTDIR when dir
 * is not a folder. */
RILL_EXTERN int rill_fingerprints_hash_dir(unsigned char out[RILL_FINGERPRINT_HASH_SIZE],
                                           const char *dir);

/* A broadcast input name (non-empty, once: RILL_EINVAL otherwise): bytes
 * every worker and rank reads, copied and kept by f. fingerprinted 1: its
 * hash joins the fingerprints by itself. fingerprinted 0: the name is
 * recorded as deliberately left out; compare never reports a change of a
 * broadcast that now is left out (one fingerprinted now that was left out
 * before is a difference: its old content is not known), and describe
 * lists it as left out. */
RILL_EXTERN int rill_fingerprints_add_broadcast(rill_fingerprints *f, const char *name,
                                                const void *bytes, size_t len,
                                                int fingerprinted);
/* *bytes, *len: the broadcast's bytes, borrowed from f (valid until it is
 * freed). RILL_ENOTFOUND when f has no broadcast of that name, or holds
 * only its hash (decoded fingerprints keep no broadcast bytes). */
RILL_EXTERN int rill_fingerprints_broadcast(const rill_fingerprints *f, const char *name,
                                            const void **bytes, size_t *len);

/* *bytes, *len: the canonical encoding, to store with a commit. *bytes:
 * caller frees with free(). */
RILL_EXTERN int rill_fingerprints_encode(void **bytes, size_t *len, const rill_fingerprints *f);
/* *out: the fingerprints bytes encode (caller frees with
 * rill_fingerprints_free); their broadcasts have no bytes. RILL_ECORRUPT
 * when the bytes do not decode (cut short, bytes left over, a length that
 * does not fit, names out of order or twice); RILL_EVERSION when a later
 * format wrote them. */
RILL_EXTERN int rill_fingerprints_decode(rill_fingerprints **out, const void *bytes, size_t len);

/* 0 when old and now are the same fingerprints; 1 when they differ, and
 * why (when why is not NULL and cap > 0: NUL-terminated, cut to cap bytes)
 * names the first difference in the order of the list above, in one line:
 *   rill's version changed: 0.2.0 -> 0.3.0
 *   code: /usr/lib/libx.so changed: build-id 3f2a... -> 88c1...
 *   code: /usr/lib/libx.so added (build-id ...)     / ... gone (...)
 *   declared code version changed: "1.2" -> "1.3"   (or none)
 *   command 'awk -f x.awk': x.awk changed: <hash> -> <hash>
 *   command 'awk -f x.awk' added / gone
 *   option 'threshold' changed: "3" -> "4"
 *   option 'threshold' added: "4"                   / removed (was "3")
 *   custom hash 'model' changed: 0a1b... -> ffe0...
 *   unnamed custom hash 2 changed: ... / added / gone
 *   broadcast 'stopwords' changed: 812 bytes, hash ... -> 815 bytes, hash ...
 *   broadcast 'stopwords' was left out of the fingerprints before (now ...)
 * Values are shown as text in quotes when printable, else in hex, cut at
 * 40 bytes ("..." after); when the shown parts are the same, lengths and
 * hashes follow. Control bytes of names, paths and argv are shown as \xNN,
 * so the reason is one line. Returns a negative RILL_E* code (why "") when
 * an argument is NULL or memory runs out. */
RILL_EXTERN int rill_fingerprints_compare(char *why, size_t cap, const rill_fingerprints *old,
                                          const rill_fingerprints *now);

/* Calls line once per fingerprint, in the order above, with one line of
 * text (borrowed during the call), e.g. "rill 0.2.0",
 * "code /usr/bin/app build-id 3f2a...", "option threshold = \"3\"",
 * "broadcast stopwords: 812 bytes, left out of the fingerprints". */
RILL_EXTERN int rill_fingerprints_describe(const rill_fingerprints *f,
                                           void (*line)(const char *text, void *payload),
                                           void *payload);

#ifdef __cplusplus
}
#endif
#endif
