/* stage_common.h — what the built-in stages share: the text conventions of
 * records between CLI stages, numbers read from and written as text, a
 * growable byte buffer, TSV escaping, composite keys, owned copies of
 * records with their serialised form (for stores saved in checkpoints), and
 * a seeded hash.
 *
 * Records between built-in stages carry text: the data is the record's
 * value (a line, the selected fields as TSV, a number in decimal), the key
 * (optional) what aggregations group by. */
#ifndef RILL_CLI_STAGE_COMMON_H
#define RILL_CLI_STAGE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The on_error choices shared by the stages that read their input. */
extern const char *const cli_on_error_choices[]; /* "fail", "skip", NULL */
enum { CLI_ON_ERROR_FAIL, CLI_ON_ERROR_SKIP };

/* Reads the option key as a field separator: one byte, or "\\t" or "tab"
 * for a tab. 0, 1 (not given: *out unchanged) or -1 after cli_error. */
int cli_opt_delim(const cli_opts *o, const char *key, char *out);

/* ---- numbers as text ---- */

/* A number read from text: an integer when it is written as one and fits
 * an int64, a finite double otherwise. */
typedef struct cli_num {
    int64_t i;
    double d;    /* the value as a double, always set */
    int is_int;
} cli_num;

/* Reads the whole of p[0..len) (spaces around allowed) as a number: 0, or
 * -1 when it is not one (nothing else, no message). */
int cli_num_parse(cli_num *out, const void *p, size_t len);
/* Writes n as the shortest text that reads back the same (an integer in
 * decimal); returns its length. buf holds at least CLI_NUM_MAX bytes. */
#define CLI_NUM_MAX 40
size_t cli_num_format(char *buf, const cli_num *n);
/* <0, 0, >0 as a is below, equal to or above b (exact between integers). */
int cli_num_cmp(const cli_num *a, const cli_num *b);
/* Sets rill's error message to "WHAT 'TEXT' is not a number" (cut), with
 * hint after it in parentheses when not NULL; returns RILL_ETYPE. what:
 * "value" or "key". */
int cli_not_a_number(const void *p, size_t len, const char *what, const char *hint);

/* Byte-wise comparison of two strings, the shorter first on a tie. */
int cli_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* ---- a growable buffer ---- */

typedef struct cli_buf {
    char *p;     /* owned; freed with cli_buf_free */
    size_t len, cap;
} cli_buf;

int cli_buf_add(cli_buf *b, const void *p, size_t len); /* 0 or RILL_ENOMEM */
/* Appends p with the TSV escapes of rill's TSV output: backslash, tab,
 * newline and carriage return become \\ \t \n \r. */
int cli_buf_add_tsv(cli_buf *b, const void *p, size_t len);
void cli_buf_free(cli_buf *b);

/* The field-th (1-based) field of p[0..len) split on delim: 0 with *f and
 * *flen (borrowed from p), -1 when there are fewer fields. */
int cli_field(const char **f, size_t *flen, const char *p, size_t len, char delim, int64_t field);

/* ---- composite keys: a record's key and value packed into one key ---- */

/* Packs (has key, key, value) into b: one byte 0/1, the key's length as 4
 * bytes, the key, the value. b is cleared first. */
int cli_pack(cli_buf *b, const rill_record *rec);
/* Unpacks what cli_pack made: *out borrows from p. -1 when malformed. */
int cli_unpack(rill_record *out, const void *p, size_t len);

/* ---- owned copies of records ---- */

/* One record copied: the key and the value follow the struct in one
 * allocation (freed with free). */
typedef struct cli_item {
    cli_num num;       /* the number the stage ordered it by, if any */
    uint64_t rank;     /* what else the stage ordered it by (sample: a hash) */
    const char *key;   /* into the allocation; NULL when the record has none */
    const char *val;   /* into the allocation */
    uint32_t klen, vlen;
} cli_item;

/* A copy of rec; NULL when out of memory. */
cli_item *cli_item_new(const rill_record *rec);
/* Emits the item as the record it was. */
int cli_item_emit(rill_emitter *out, const cli_item *it);

/* An array of items; owns them. */
typedef struct cli_items {
    cli_item **v;
    size_t n, cap;
} cli_items;

int cli_items_push(cli_items *a, cli_item *it); /* takes it; frees it on failure */
void cli_items_free(cli_items *a);
/* Serialises every item (num, rank, key, value) as one record added to out. */
int cli_items_encode(const cli_items *a, rill_batch *out);
/* Appends the items serialised in bytes; RILL_ECORRUPT when malformed. */
int cli_items_decode(cli_items *a, const void *bytes, size_t len);

/* An order of items: <0 when a comes before b (is better), 0 when neither. */
typedef int (*cli_item_cmp_fn)(const cli_item *a, const cli_item *b, const void *conf);
/* Keeps in a the k items that come first in cmp's order, as a heap whose
 * root is the last of them: takes it (freed when it does not make it, or
 * on failure). k >= 1. 0 or RILL_ENOMEM. */
int cli_items_offer(cli_items *a, size_t k, cli_item *it, cli_item_cmp_fn cmp, const void *conf);
/* The order of last resort: by key (none first), then by value, bytewise. */
int cli_item_cmp_record(const cli_item *a, const cli_item *b);
/* Sorts a in cmp's order. */
void cli_items_sort(cli_items *a, cli_item_cmp_fn cmp, const void *conf);

/* ---- hashing ---- */

/* A 64-bit hash of p seeded with seed: the same on every machine. */
uint64_t cli_hash(uint64_t seed, const void *p, size_t len);
/* The hash of a whole record (its key, whether it has one, and its value). */
uint64_t cli_hash_record(uint64_t seed, const rill_record *rec);

#endif
