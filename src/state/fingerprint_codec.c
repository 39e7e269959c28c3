/* fingerprint_codec.c — fingerprints as bytes, stored with a commit, and
 * back (rill_fingerprints_encode / _decode), with the writers and readers
 * of src/core/serial.h.
 *
 * Format 1, integers little-endian; str = u32 length + bytes (no NUL);
 * value = u64 length, 16-byte hash, u8 shown (= min(length, 40)), shown
 * bytes:
 *
 *   "rF" u8 1
 *   str rill's version
 *   u32 n, n x (str object path, u8 kind (1 build-id, 2 file hash),
 *               u32 id length (1..1024; 16 for a file hash), id)
 *   u8 0 | u8 1 str declared code version
 *   u32 n, n x (u32 argc (>= 1), argc x str, str program, 16 program hash,
 *               u32 files, files x (u32 argument index, 16 hash))
 *   u32 n, n x (str option name, value)
 *   u32 n, n x (str custom hash name, value)
 *   u32 n, n x value                                 (unnamed, in order)
 *   u32 n, n x (str broadcast name, u8 0 | u8 1 value)
 *
 * Lists that are order-free are written sorted, strictly ascending (names
 * by bytes; argv element by element), so the encoding is canonical, and
 * the decoder refuses anything else: what it accepts encodes back to the
 * same bytes. It never reads past the bytes (serial.h's reader checks every
 * length against what is left), allocates for a count only when the bytes
 * left can hold that many entries, and gives RILL_ECORRUPT for anything
 * cut short, left over or out of order, and for a value of at most 40
 * bytes (kept whole) that does not match its hash; RILL_EVERSION for a
 * later format. */
#include "fingerprint.h"

#include <stdlib.h>
#include <string.h>

#include "../core/serial.h"
#include "../util/error.h"

/* ---- encoding ---- */

static void put_str(rill__out *o, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) {
        o->rc = o->rc ? o->rc : rill__error(RILL_EINVAL, "fingerprints: a string too long");
        return;
    }
    rill__put_u32(o, (uint32_t)n);
    rill__put_bytes(o, s, n);
}

static void put_value(rill__out *o, const rill__fp_value *v)
{
    rill__put_u64(o, v->len);
    rill__put_bytes(o, v->hash, FP_HASH);
    rill__put_u8(o, v->shown_len);
    rill__put_bytes(o, v->shown, v->shown_len);
}

static void put_count(rill__out *o, size_t n)
{
    if (n > UINT32_MAX) {
        o->rc = o->rc ? o->rc : rill__error(RILL_EINVAL, "fingerprints: too many entries");
        return;
    }
    rill__put_u32(o, (uint32_t)n);
}

int rill_fingerprints_encode(void **bytes, size_t *len, const rill_fingerprints *f)
{
    rill__out o;
    size_t i;
    uint32_t j;
    char *buf;
    int rc;
    if (bytes == NULL || len == NULL || f == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_encode: a NULL argument");
    *bytes = NULL;
    *len = 0;
    rill__out_init(&o, 0);
    rill__put_u8(&o, 'r');
    rill__put_u8(&o, 'F');
    rill__put_u8(&o, RILL_FINGERPRINT_FORMAT);
    put_str(&o, f->version);
    put_count(&o, f->ncode);
    for (i = 0; i < f->ncode; i++) {
        put_str(&o, f->code[i].name);
        rill__put_u8(&o, f->code[i].kind);
        rill__put_u32(&o, (uint32_t)f->code[i].id_len);
        rill__put_bytes(&o, f->code[i].id, f->code[i].id_len);
    }
    rill__put_u8(&o, f->code_version != NULL);
    if (f->code_version)
        put_str(&o, f->code_version);
    put_count(&o, f->ncmd);
    for (i = 0; i < f->ncmd; i++) {
        const rill__fp_command *c = &f->cmd[i];
        rill__put_u32(&o, c->argc);
        for (j = 0; j < c->argc; j++)
            put_str(&o, c->argv[j]);
        put_str(&o, c->program);
        rill__put_bytes(&o, c->program_hash, FP_HASH);
        rill__put_u32(&o, c->nfiles);
        for (j = 0; j < c->nfiles; j++) {
            rill__put_u32(&o, c->files[j].arg);
            rill__put_bytes(&o, c->files[j].hash, FP_HASH);
        }
    }
    put_count(&o, f->nopt);
    for (i = 0; i < f->nopt; i++) {
        put_str(&o, f->opt[i].name);
        put_value(&o, &f->opt[i].v);
    }
    put_count(&o, f->nnamed);
    for (i = 0; i < f->nnamed; i++) {
        put_str(&o, f->named[i].name);
        put_value(&o, &f->named[i].v);
    }
    put_count(&o, f->nunnamed);
    for (i = 0; i < f->nunnamed; i++)
        put_value(&o, &f->unnamed[i]);
    put_count(&o, f->nbc);
    for (i = 0; i < f->nbc; i++) {
        put_str(&o, f->bc[i].name);
        rill__put_u8(&o, (uint8_t)f->bc[i].fingerprinted);
        if (f->bc[i].fingerprinted)
            put_value(&o, &f->bc[i].v);
    }
    if ((rc = rill__out_take(&o, &buf, len)) < 0)
        return rc;
    *bytes = buf;
    return 0;
}

/* ---- decoding ---- */

typedef struct reader {
    rill__in in;
    int rc;           /* the first error */
    const char *what; /* what was being read */
} reader;

static int corrupt(reader *r, const char *what)
{
    if (r->rc == 0)
        r->rc = rill__error(RILL_ECORRUPT, "fingerprints: %s", what);
    return r->rc;
}

static int nomem(reader *r)
{
    if (r->rc == 0)
        r->rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory decoding");
    return r->rc;
}

static uint8_t get_u8(reader *r)
{
    uint8_t v = 0;
    if (r->rc == 0 && rill__get_u8(&r->in, &v) < 0)
        corrupt(r, r->what);
    return v;
}

static uint32_t get_u32(reader *r)
{
    uint32_t v = 0;
    if (r->rc == 0 && rill__get_u32(&r->in, &v) < 0)
        corrupt(r, r->what);
    return v;
}

static const void *get_bytes(reader *r, size_t n)
{
    const void *p = NULL;
    if (r->rc == 0 && (p = rill__get_bytes(&r->in, n)) == NULL)
        corrupt(r, r->what);
    return p;
}

/* A string, copied (caller frees); NULL on error. */
static char *get_str(reader *r)
{
    uint32_t n = get_u32(r);
    const char *p = get_bytes(r, n);
    char *s;
    if (p == NULL)
        return NULL;
    if (memchr(p, '\0', n)) {
        corrupt(r, "a string holds a NUL byte");
        return NULL;
    }
    if ((s = malloc((size_t)n + 1)) == NULL) {
        nomem(r);
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void get_value(reader *r, rill__fp_value *v)
{
    const void *p;
    memset(v, 0, sizeof(*v));
    if (r->rc || rill__get_u64(&r->in, &v->len) < 0) {
        corrupt(r, r->what);
        return;
    }
    if ((p = get_bytes(r, FP_HASH)) == NULL)
        return;
    memcpy(v->hash, p, FP_HASH);
    v->shown_len = get_u8(r);
    if (r->rc == 0 && v->shown_len != (v->len < RILL_FINGERPRINT_SHOWN ? v->len
                                                                       : RILL_FINGERPRINT_SHOWN)) {
        corrupt(r, "a value's shown bytes do not match its length");
        return;
    }
    if ((p = get_bytes(r, v->shown_len)) != NULL && v->shown_len)
        memcpy(v->shown, p, v->shown_len);
    if (r->rc == 0 && v->len == v->shown_len) { /* the whole value: it must match its hash */
        unsigned char h[FP_HASH];
        rill__fp_hash(h, v->shown, v->shown_len);
        if (memcmp(h, v->hash, FP_HASH) != 0)
            corrupt(r, "a value does not match its hash");
    }
}

/* A count of entries of at least min bytes each, and an array for them of
 * size bytes each (*arr: zeroed; NULL when the count is 0). */
static size_t get_count(reader *r, void *arr, size_t min, size_t size)
{
    uint32_t n = get_u32(r);
    void *a = NULL;
    memcpy(arr, &a, sizeof(a)); /* arr points to a T *, whatever T is */
    if (r->rc)
        return 0;
    if (n > (r->in.len - r->in.at) / min) {
        corrupt(r, "a count larger than the bytes can hold");
        return 0;
    }
    if (n && (a = calloc(n, size)) == NULL) {
        nomem(r);
        return 0;
    }
    memcpy(arr, &a, sizeof(a));
    return n;
}

/* name after prev (NULL: the first) in strictly ascending order. */
static int in_order(reader *r, const char *prev, const char *name, const char *what)
{
    if (r->rc)
        return 0;
    if (name[0] == '\0')
        return corrupt(r, what), 0;
    if (prev && strcmp(prev, name) >= 0)
        return corrupt(r, what), 0;
    return 1;
}

static void get_code(reader *r, rill_fingerprints *f)
{
    size_t i;
    r->what = "the code list is cut short";
    f->ncode = f->capcode = get_count(r, &f->code, 10, sizeof(*f->code));
    for (i = 0; i < f->ncode && r->rc == 0; i++) {
        rill__fp_code *c = &f->code[i];
        const void *id;
        if ((c->name = get_str(r)) == NULL ||
            !in_order(r, i ? f->code[i - 1].name : NULL, c->name, "objects out of order"))
            return;
        c->kind = get_u8(r);
        c->id_len = get_u32(r);
        if (r->rc == 0 && (c->kind == FP_BUILD_ID ? c->id_len < 1 || c->id_len > FP_ID_MAX
                           : c->kind != FP_FILE_HASH || c->id_len != FP_HASH)) {
            corrupt(r, "an object's identity is malformed");
            return;
        }
        if ((id = get_bytes(r, c->id_len)) == NULL)
            return;
        if ((c->id = malloc(c->id_len)) == NULL) {
            nomem(r);
            return;
        }
        memcpy(c->id, id, c->id_len);
    }
}

static void get_command(reader *r, rill__fp_command *c)
{
    const void *p;
    uint32_t j, last = 0;
    c->argc = (uint32_t)get_count(r, &c->argv, 4, sizeof(*c->argv));
    if (r->rc == 0 && c->argc == 0) {
        corrupt(r, "a command without argv");
        return;
    }
    for (j = 0; j < c->argc && r->rc == 0; j++)
        c->argv[j] = get_str(r);
    if (r->rc || (c->program = get_str(r)) == NULL)
        return;
    if (c->program[0] == '\0') {
        corrupt(r, "a command without its program's file");
        return;
    }
    if ((p = get_bytes(r, FP_HASH)) == NULL)
        return;
    memcpy(c->program_hash, p, FP_HASH);
    c->nfiles = (uint32_t)get_count(r, &c->files, 4 + FP_HASH, sizeof(*c->files));
    for (j = 0; j < c->nfiles && r->rc == 0; j++) {
        c->files[j].arg = get_u32(r);
        if (r->rc == 0 && (c->files[j].arg <= last || c->files[j].arg >= c->argc)) {
            corrupt(r, "a command's files out of order or past its argv");
            return;
        }
        last = c->files[j].arg;
        if ((p = get_bytes(r, FP_HASH)) != NULL)
            memcpy(c->files[j].hash, p, FP_HASH);
    }
}

static void get_named(reader *r, rill__fp_named **arr, size_t *n, size_t *cap,
                      const char *order)
{
    size_t i;
    *n = *cap = get_count(r, arr, 4 + 25, sizeof(**arr));
    for (i = 0; i < *n && r->rc == 0; i++) {
        rill__fp_named *e = &(*arr)[i];
        if ((e->name = get_str(r)) == NULL ||
            !in_order(r, i ? (*arr)[i - 1].name : NULL, e->name, order))
            return;
        get_value(r, &e->v);
    }
}

int rill_fingerprints_decode(rill_fingerprints **out, const void *bytes, size_t len)
{
    rill_fingerprints *f = NULL;
    reader r;
    const unsigned char *h;
    size_t i;
    if (out == NULL || (bytes == NULL && len > 0))
        return rill__error(RILL_EINVAL, "rill_fingerprints_decode: a NULL argument");
    *out = NULL;
    memset(&r, 0, sizeof(r));
    rill__in_init(&r.in, bytes, len);
    r.what = "cut short";
    if ((h = get_bytes(&r, 3)) == NULL || h[0] != 'r' || h[1] != 'F')
        return rill__error(RILL_ECORRUPT, "fingerprints: not encoded fingerprints");
    if (h[2] > RILL_FINGERPRINT_FORMAT)
        return rill__error(RILL_EVERSION, "fingerprints: format %d, written by a later rill "
                           "(this one reads format %d)", h[2], RILL_FINGERPRINT_FORMAT);
    if (h[2] != RILL_FINGERPRINT_FORMAT)
        return rill__error(RILL_ECORRUPT, "fingerprints: unknown format %d", h[2]);
    if ((f = rill__fp_alloc()) == NULL)
        return rill__error(RILL_ENOMEM, "fingerprints: out of memory decoding");
    r.what = "rill's version is cut short";
    f->version = get_str(&r);
    get_code(&r, f);
    r.what = "the declared code version is cut short";
    switch (get_u8(&r)) {
    case 0: break;
    case 1: f->code_version = get_str(&r); break;
    default: corrupt(&r, "the declared code version's flag is not 0 or 1");
    }
    r.what = "the command list is cut short";
    f->ncmd = f->capcmd = get_count(&r, &f->cmd, 32, sizeof(*f->cmd));
    for (i = 0; i < f->ncmd && r.rc == 0; i++) {
        get_command(&r, &f->cmd[i]);
        if (r.rc == 0 && i && rill__fp_argv_cmp(f->cmd[i - 1].argv, f->cmd[i - 1].argc,
                                               f->cmd[i].argv, f->cmd[i].argc) >= 0)
            corrupt(&r, "commands out of order");
    }
    r.what = "the options are cut short";
    get_named(&r, &f->opt, &f->nopt, &f->capopt, "options out of order");
    r.what = "the custom hashes are cut short";
    get_named(&r, &f->named, &f->nnamed, &f->capnamed, "custom hashes out of order");
    f->nunnamed = f->capunnamed = get_count(&r, &f->unnamed, 25, sizeof(*f->unnamed));
    for (i = 0; i < f->nunnamed && r.rc == 0; i++)
        get_value(&r, &f->unnamed[i]);
    r.what = "the broadcasts are cut short";
    f->nbc = f->capbc = get_count(&r, &f->bc, 6, sizeof(*f->bc));
    for (i = 0; i < f->nbc && r.rc == 0; i++) {
        rill__fp_broadcast *b = &f->bc[i];
        if ((b->name = get_str(&r)) == NULL ||
            !in_order(&r, i ? f->bc[i - 1].name : NULL, b->name, "broadcasts out of order"))
            break;
        b->fingerprinted = get_u8(&r);
        if (r.rc == 0 && b->fingerprinted > 1)
            corrupt(&r, "a broadcast's flag is not 0 or 1");
        if (b->fingerprinted)
            get_value(&r, &b->v);
    }
    if (r.rc == 0 && rill__in_end(&r.in, "fingerprints") < 0)
        r.rc = RILL_ECORRUPT;
    if (r.rc < 0) {
        rill_fingerprints_free(f);
        return r.rc;
    }
    *out = f;
    return 0;
}
