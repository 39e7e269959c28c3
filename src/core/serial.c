/* serial.c — encoding and decoding rill's values (serial.h has the format).
 *
 * It sits in core, the lowest layer that holds all four things it encodes:
 * record ranges (record/), key tables (core/keytable.h), stores (through the
 * public encode/decode callbacks) and restrictions (the public tracker
 * header). It keeps no state and takes no lock; it includes nothing from
 * core's run or stages, so the layers above use it without the engine. */
#include "serial.h"

#include <stdlib.h>
#include <string.h>

#include "../util/error.h"

/* ---- writing ---- */

void rill__out_init(rill__out *o, size_t reserve)
{
    memset(o, 0, sizeof(*o));
    if (reserve) {
        if ((o->buf = malloc(reserve)) == NULL) {
            o->rc = RILL_ENOMEM;
            return;
        }
        memset(o->buf, 0, reserve);
        o->len = o->cap = reserve;
    }
}

void rill__out_free(rill__out *o)
{
    free(o->buf);
    memset(o, 0, sizeof(*o));
}

int rill__out_take(rill__out *o, char **buf, size_t *len)
{
    int rc = o->rc;
    *buf = NULL;
    *len = 0;
    if (rc < 0) {
        rill__out_free(o);
        return rc == RILL_ENOMEM ? rill__error(RILL_ENOMEM, "out of memory encoding") : rc;
    }
    if (o->buf == NULL && (o->buf = malloc(1)) == NULL)
        return rill__error(RILL_ENOMEM, "out of memory encoding");
    *buf = o->buf;
    *len = o->len;
    memset(o, 0, sizeof(*o));
    return 0;
}

/* Room for n more bytes at o->buf + o->len, or NULL (o->rc set). */
static char *room(rill__out *o, size_t n)
{
    char *p;
    if (o->rc < 0)
        return NULL;
    if (n > SIZE_MAX - o->len) {
        o->rc = RILL_ENOMEM;
        return NULL;
    }
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n)
            cap = cap > SIZE_MAX / 2 ? o->len + n : cap * 2;
        if ((p = realloc(o->buf, cap)) == NULL) {
            o->rc = RILL_ENOMEM;
            return NULL;
        }
        o->buf = p;
        o->cap = cap;
    }
    p = o->buf + o->len;
    o->len += n;
    return p;
}

void rill__le32(void *p, uint32_t v)
{
    unsigned char *c = p;
    int i;
    for (i = 0; i < 4; i++)
        c[i] = (unsigned char)(v >> (8 * i));
}

void rill__le64(void *p, uint64_t v)
{
    unsigned char *c = p;
    int i;
    for (i = 0; i < 8; i++)
        c[i] = (unsigned char)(v >> (8 * i));
}

void rill__put_u8(rill__out *o, uint8_t v)
{
    char *p = room(o, 1);
    if (p)
        *p = (char)v;
}

void rill__put_u32(rill__out *o, uint32_t v)
{
    char *p = room(o, 4);
    if (p)
        rill__le32(p, v);
}

void rill__put_u64(rill__out *o, uint64_t v)
{
    char *p = room(o, 8);
    if (p)
        rill__le64(p, v);
}

void rill__put_bytes(rill__out *o, const void *src, size_t n)
{
    char *p = room(o, n);
    if (p && n)
        memcpy(p, src, n);
}

static void put_head(rill__out *o, int kind)
{
    rill__put_u8(o, 'r');
    rill__put_u8(o, 'S');
    rill__put_u8(o, RILL__SERIAL_VERSION);
    rill__put_u8(o, (uint8_t)kind);
}

/* ---- reading ---- */

void rill__in_init(rill__in *in, const void *p, size_t len)
{
    in->p = p;
    in->len = p ? len : 0;
    in->at = 0;
    in->bad = 0;
}

const void *rill__get_bytes(rill__in *in, size_t n)
{
    const void *p;
    if (in->bad || n > in->len - in->at) {
        in->bad = 1;
        return NULL;
    }
    p = in->p + in->at;
    in->at += n;
    return p;
}

int rill__get_u8(rill__in *in, uint8_t *v)
{
    const unsigned char *p = rill__get_bytes(in, 1);
    *v = p ? p[0] : 0;
    return p ? 0 : -1;
}

int rill__get_u32(rill__in *in, uint32_t *v)
{
    const unsigned char *p = rill__get_bytes(in, 4);
    int i;
    *v = 0;
    for (i = 0; p && i < 4; i++)
        *v |= (uint32_t)p[i] << (8 * i);
    return p ? 0 : -1;
}

int rill__get_u64(rill__in *in, uint64_t *v)
{
    const unsigned char *p = rill__get_bytes(in, 8);
    int i;
    *v = 0;
    for (i = 0; p && i < 8; i++)
        *v |= (uint64_t)p[i] << (8 * i);
    return p ? 0 : -1;
}

int rill__in_end(rill__in *in, const char *what)
{
    if (in->bad)
        return rill__error(RILL_ECORRUPT, "%s: cut short or malformed", what);
    if (in->at != in->len)
        return rill__error(RILL_ECORRUPT, "%s: %zu bytes too many", what, in->len - in->at);
    return 0;
}

static int get_head(rill__in *in, int kind, const char *what)
{
    const unsigned char *h = rill__get_bytes(in, 4);
    if (h == NULL || h[0] != 'r' || h[1] != 'S')
        return rill__error(RILL_ECORRUPT, "%s: not an encoded value", what);
    if (h[2] != RILL__SERIAL_VERSION)
        return rill__error(RILL_ECORRUPT, "%s: encoded in version %d; this rill reads %d", what,
                           h[2], RILL__SERIAL_VERSION);
    if (h[3] != kind)
        return rill__error(RILL_ECORRUPT, "%s: an encoded value of another kind", what);
    return 0;
}

/* ---- record ranges ---- */

int rill__ser_records(rill__out *o, const rill_batch *b, size_t begin, size_t end)
{
    size_t i, n = 12;
    char *p;
    for (i = begin; i < end; i++)
        n += 8 + (b->recs[i].klen == RILL__NOKEY ? 0 : b->recs[i].klen) + b->recs[i].len;
    if ((p = room(o, n)) == NULL) /* sized once: a batch is copied once */
        return o->rc;
    memcpy(p, "rS", 2);
    p[2] = RILL__SERIAL_VERSION;
    p[3] = RILL__SER_RECORDS;
    rill__le64(p + 4, end - begin);
    p += 12;
    for (i = begin; i < end; i++) {
        const rill__rec *r = &b->recs[i];
        size_t k = r->klen == RILL__NOKEY ? 0 : r->klen;
        rill__le32(p, r->klen);
        rill__le32(p + 4, r->len);
        if (k + r->len)
            memcpy(p + 8, b->arena + r->off, k + r->len);
        p += 8 + k + r->len;
    }
    return 0;
}

int rill__deser_records(const void *p, size_t len, rill_batch **out)
{
    static const char what[] = "encoded records";
    rill_batch *b = NULL;
    rill__in in;
    uint64_t n, i;
    int rc;
    *out = NULL;
    rill__in_init(&in, p, len);
    if ((rc = get_head(&in, RILL__SER_RECORDS, what)) < 0)
        return rc;
    if (rill__get_u64(&in, &n) < 0 || n > (in.len - in.at) / 8)
        return rill__error(RILL_ECORRUPT, "%s: a count that does not fit", what);
    if ((rc = rill_batch_new(&b)) < 0)
        return rc;
    if (n && (rc = rill__batch_grow(b, (size_t)n, in.len - in.at - 8 * (size_t)n)) < 0)
        goto bad;
    for (i = 0; i < n; i++) {
        uint32_t klen, dlen;
        size_t k;
        const char *src;
        char *kp, *dp;
        rill__get_u32(&in, &klen);
        rill__get_u32(&in, &dlen);
        k = klen == RILL__NOKEY ? 0 : klen;
        if (in.bad || dlen > RILL_RECORD_MAX || k > in.len - in.at ||
            (src = rill__get_bytes(&in, k + dlen)) == NULL) {
            in.bad = 1;
            break;
        }
        if ((rc = rill__batch_reserve(b, klen, dlen, &kp, &dp)) < 0)
            goto bad;
        if (k)
            memcpy(kp, src, k);
        if (dlen)
            memcpy(dp, src + k, dlen);
    }
    if ((rc = rill__in_end(&in, what)) < 0)
        goto bad;
    *out = b;
    return 0;
bad:
    rill_batch_free(b);
    return rc;
}

/* ---- stores ---- */

int rill__ser_store(rill__out *o, const void *store, size_t size, rill_store_encode_fn encode,
                    void *payload)
{
    rill_batch *b;
    rill_record e;
    int rc;
    put_head(o, RILL__SER_STORE);
    if (encode == NULL) {
        rill__put_u8(o, 0);
        rill__put_u64(o, size);
        rill__put_bytes(o, store, size);
        return o->rc;
    }
    if ((rc = rill_batch_new(&b)) < 0)
        return rc;
    rill_error_clear();
    if (encode(store, b, payload) != 0 || b->n != 1) {
        rill_batch_free(b);
        return rill__error(RILL_EUSER, "its encode callback failed or did not add one record");
    }
    rill__batch_view(b, 0, &e);
    rill__put_u8(o, 1);
    rill__put_u64(o, e.len);
    rill__put_bytes(o, e.data, e.len);
    rill_batch_free(b);
    return o->rc;
}

int rill__deser_store(const void *p, size_t len, void *store, size_t size,
                      rill_store_decode_fn decode, void *payload)
{
    static const char what[] = "an encoded store";
    const void *bytes;
    rill__in in;
    uint8_t how;
    uint64_t n;
    int rc;
    rill__in_init(&in, p, len);
    if ((rc = get_head(&in, RILL__SER_STORE, what)) < 0)
        return rc;
    rill__get_u8(&in, &how);
    if (rill__get_u64(&in, &n) < 0 || n > in.len - in.at)
        in.bad = 1;
    bytes = rill__get_bytes(&in, in.bad ? 0 : (size_t)n);
    if ((rc = rill__in_end(&in, what)) < 0)
        return rc;
    if (how != (decode != NULL))
        return rill__error(RILL_ECORRUPT, "%s: saved another way (%s) than the stage keeps it",
                           what, how == 1 ? "through encode" : "as its bytes");
    if (decode == NULL) {
        if (n != size)
            return rill__error(RILL_ECORRUPT, "%s: %llu bytes where the stage keeps %zu", what,
                               (unsigned long long)n, size);
        if (size)
            memcpy(store, bytes, size);
        return 0;
    }
    rill_error_clear();
    if (decode(store, bytes, (size_t)n, payload) != 0)
        return rill__error(RILL_EUSER, "its decode callback refused an encoded store");
    return 0;
}

/* ---- key tables ---- */

int rill__ser_table(rill__out *o, const rill__keytable *t)
{
    size_t pos = 0, len;
    const void *key;
    void *value;
    put_head(o, RILL__SER_TABLE);
    rill__put_u64(o, t->value_size);
    rill__put_u64(o, rill__keytable_count(t));
    while (o->rc == 0 && rill__keytable_next(t, &pos, &key, &len, NULL, &value)) {
        rill__put_u32(o, (uint32_t)len);
        rill__put_bytes(o, key, len);
        rill__put_bytes(o, value, t->value_size);
    }
    return o->rc;
}

int rill__deser_table(const void *p, size_t len, size_t value_size, rill__keytable **out)
{
    static const char what[] = "an encoded key table";
    rill__keytable *t = NULL;
    rill__in in;
    uint64_t vs, n, i;
    int rc;
    *out = NULL;
    rill__in_init(&in, p, len);
    if ((rc = get_head(&in, RILL__SER_TABLE, what)) < 0)
        return rc;
    rill__get_u64(&in, &vs);
    rill__get_u64(&in, &n);
    if (in.bad || vs != value_size || n > (in.len - in.at) / 4)
        return rill__error(RILL_ECORRUPT, "%s: a value size or count that does not fit", what);
    if (rill__keytable_new(&t, value_size) < 0)
        return rill__error(RILL_ENOMEM, "out of memory decoding a key table");
    for (i = 0; i < n; i++) {
        uint32_t klen;
        const void *key, *value;
        void *acc;
        int created;
        if (rill__get_u32(&in, &klen) < 0 || klen > in.len - in.at ||
            (key = rill__get_bytes(&in, klen)) == NULL ||
            (value = rill__get_bytes(&in, value_size)) == NULL) {
            in.bad = 1;
            break;
        }
        if ((acc = rill__keytable_upsert(t, key, klen, rill__hash(key, klen), &created)) == NULL) {
            rc = rill__error(RILL_ENOMEM, "out of memory decoding a key table");
            goto bad;
        }
        if (!created) {
            rc = rill__error(RILL_ECORRUPT, "%s: a key twice", what);
            goto bad;
        }
        if (value_size)
            memcpy(acc, value, value_size);
    }
    if ((rc = rill__in_end(&in, what)) < 0)
        goto bad;
    *out = t;
    return 0;
bad:
    rill__keytable_free(t);
    return rc;
}

/* ---- restrictions ---- */

int rill__ser_restriction(rill__out *o, const rill_restriction *r)
{
    put_head(o, RILL__SER_RESTRICTION);
    if (r->kind == RILL_RANGE_OFFSET) {
        rill__put_u8(o, 0);
        rill__put_u64(o, (uint64_t)r->from);
        rill__put_u64(o, (uint64_t)r->to);
    } else {
        rill__put_u8(o, 1);
        rill__put_u32(o, (uint32_t)r->start_len);
        rill__put_bytes(o, r->start, r->start_len);
        rill__put_u32(o, (uint32_t)r->end_len);
        rill__put_bytes(o, r->end, r->end_len);
    }
    if (o->rc == 0 && (r->start_len > UINT32_MAX || r->end_len > UINT32_MAX))
        o->rc = rill__error(RILL_ERANGE, "a byte key of 4 GiB or more");
    return o->rc;
}

/* Byte-wise order, a shorter prefix first. */
static int key_cmp(const void *a, size_t an, const void *b, size_t bn)
{
    int c = an && bn ? memcmp(a, b, an < bn ? an : bn) : 0;
    return c ? c : (an > bn) - (an < bn);
}

int rill__deser_restriction(const void *p, size_t len, rill_restriction *r)
{
    static const char what[] = "an encoded restriction";
    rill__in in;
    uint8_t kind;
    uint32_t n;
    int rc;
    memset(r, 0, sizeof(*r));
    rill__in_init(&in, p, len);
    if ((rc = get_head(&in, RILL__SER_RESTRICTION, what)) < 0)
        return rc;
    rill__get_u8(&in, &kind);
    if (kind == 0) {
        uint64_t from, to;
        rill__get_u64(&in, &from);
        rill__get_u64(&in, &to);
        r->kind = RILL_RANGE_OFFSET;
        r->from = (int64_t)from;
        r->to = (int64_t)to;
        if (!in.bad && r->from > r->to)
            return rill__error(RILL_ECORRUPT, "%s: a range that ends before it starts", what);
    } else if (kind == 1) {
        r->kind = RILL_RANGE_BYTEKEY;
        if (rill__get_u32(&in, &n) == 0) {
            r->start_len = n;
            r->start = rill__get_bytes(&in, n);
        }
        if (rill__get_u32(&in, &n) == 0) {
            r->end_len = n;
            r->end = rill__get_bytes(&in, n);
        }
        if (!in.bad && r->end_len && key_cmp(r->start, r->start_len, r->end, r->end_len) > 0)
            return rill__error(RILL_ECORRUPT, "%s: a range that ends before it starts", what);
    } else if (!in.bad) {
        return rill__error(RILL_ECORRUPT, "%s: a restriction of unknown kind %d", what, kind);
    }
    if ((rc = rill__in_end(&in, what)) < 0)
        memset(r, 0, sizeof(*r));
    return rc;
}
