/* fingerprint.h — inside rill_fingerprints (include/rill/fingerprint.h):
 * the handle's lists, shared by fingerprint.c (building them),
 * fingerprint_code.c (objects, commands, file and folder hashes),
 * fingerprint_codec.c (bytes and back) and fingerprint_show.c (compare,
 * describe).
 *
 * Invariants: code, commands, options, named customs and broadcasts are
 * sorted strictly ascending by their key (name, or argv element by
 * element) with no key twice; unnamed customs are in the order added. Every
 * string is NUL-terminated without a NUL inside. A value keeps exactly
 * min(len, RILL_FINGERPRINT_SHOWN) leading bytes. */
#ifndef RILL_STATE_FINGERPRINT_H
#define RILL_STATE_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "rill/fingerprint.h"

#define FP_HASH RILL_FINGERPRINT_HASH_SIZE
#define FP_ID_MAX 1024 /* the longest build-id kept, in bytes */

enum { FP_BUILD_ID = 1, FP_FILE_HASH = 2 }; /* how an object is identified */

typedef struct rill__fp_value {
    uint64_t len;
    unsigned char hash[FP_HASH];
    unsigned char shown[RILL_FINGERPRINT_SHOWN];
    uint8_t shown_len;
} rill__fp_value;

typedef struct rill__fp_code {
    char *name;          /* the object's path */
    uint8_t kind;        /* FP_BUILD_ID or FP_FILE_HASH */
    unsigned char *id;   /* the build-id, or the file's hash */
    size_t id_len;       /* 1..FP_ID_MAX; FP_HASH for a file hash */
} rill__fp_code;

typedef struct rill__fp_file {
    uint32_t arg;        /* index in argv, >= 1 */
    unsigned char hash[FP_HASH];
} rill__fp_file;

typedef struct rill__fp_command {
    char **argv;
    uint32_t argc;       /* >= 1 */
    char *program;       /* the program's file as found */
    unsigned char program_hash[FP_HASH];
    rill__fp_file *files; /* ascending by arg */
    uint32_t nfiles;
} rill__fp_command;

typedef struct rill__fp_named {
    char *name;
    rill__fp_value v;
} rill__fp_named;

typedef struct rill__fp_broadcast {
    char *name;
    int fingerprinted;   /* 0: left out; v not meaningful then */
    rill__fp_value v;
    void *bytes;         /* owned; NULL when only the hash is known */
    size_t len;
    int has_bytes;
} rill__fp_broadcast;

struct rill_fingerprints {
    char *version;
    rill__fp_code *code;
    size_t ncode, capcode;
    char *code_version;  /* NULL: none declared */
    rill__fp_command *cmd;
    size_t ncmd, capcmd;
    rill__fp_named *opt;
    size_t nopt, capopt;
    rill__fp_named *named;
    size_t nnamed, capnamed;
    rill__fp_value *unnamed;
    size_t nunnamed, capunnamed;
    rill__fp_broadcast *bc;
    size_t nbc, capbc;
};

/* An empty handle with no version (the decoder fills it); NULL on no memory. */
rill_fingerprints *rill__fp_alloc(void);
/* Room for one more element of size bytes in *arr (n used, *cap
 * allocated): 0 or RILL_ENOMEM. */
int rill__fp_grow(void *arr, size_t *cap, size_t n, size_t size);
/* The value of len bytes at p (p may be NULL when len is 0). */
void rill__fp_value_of(rill__fp_value *v, const void *p, size_t len);
/* XXH3-128, canonical (big-endian) bytes. */
void rill__fp_hash(unsigned char out[FP_HASH], const void *p, size_t len);
/* Order of two argv: element by element (strcmp), a shorter prefix first. */
int rill__fp_argv_cmp(char *const *a, uint32_t an, char *const *b, uint32_t bn);
/* Frees what an entry owns. */
void rill__fp_code_clear(rill__fp_code *c);
void rill__fp_command_clear(rill__fp_command *c);
/* Inserts the code entry (taking what it owns) unless its name is there,
 * then frees it: 0 or RILL_ENOMEM (c cleared either way). */
int rill__fp_insert_code(rill_fingerprints *f, rill__fp_code *c);
int rill__fp_insert_command(rill_fingerprints *f, rill__fp_command *c);
/* A copy of s; NULL on no memory. */
char *rill__fp_strdup(const char *s);

#endif
