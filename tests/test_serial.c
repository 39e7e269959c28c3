/* test_serial.c — the serialisation module (src/core/serial.h) on its own:
 * every kind of value comes back as it went in, its bytes are the same on
 * every host, and every truncation, stray byte, other version or other
 * kind is refused with RILL_ECORRUPT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/serial.h"
#include "rill.h"

typedef int (*decode_fn)(const char *buf, size_t len);

/* Every prefix of buf and buf with a byte more are refused as corrupt;
 * buf itself decodes. */
static void refuses_every_damage(const char *buf, size_t len, decode_fn decode)
{
    char *longer = malloc(len + 1), *other = malloc(len);
    size_t n;
    assert_int_equal(decode(buf, len), 0);
    for (n = 0; n < len; n++) {
        char *cut = malloc(n ? n : 1); /* exactly n bytes: ASan sees a read past them */
        memcpy(cut, buf, n);
        assert_int_equal(decode(cut, n), RILL_ECORRUPT);
        free(cut);
    }
    memcpy(longer, buf, len);
    longer[len] = 0;
    assert_int_equal(decode(longer, len + 1), RILL_ECORRUPT);
    memcpy(other, buf, len);
    other[2] = 99; /* another version */
    assert_int_equal(decode(other, len), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "version 99"));
    memcpy(other, buf, len);
    other[3] = (char)(other[3] % 4 + 1); /* another kind */
    assert_int_equal(decode(other, len), RILL_ECORRUPT);
    free(longer);
    free(other);
}

static int decode_records(const char *buf, size_t len)
{
    rill_batch *b;
    int rc = rill__deser_records(buf, len, &b);
    rill_batch_free(b);
    return rc;
}

static void records_come_back_as_they_went_and_damage_is_refused(void **state)
{
    rill_batch *b, *back;
    rill__out o;
    char *buf;
    size_t len, i;
    (void)state;
    assert_int_equal(rill_batch_new(&b), 0);
    assert_int_equal(rill_batch_add(b, "skipped", 7), 0);
    assert_int_equal(rill_batch_add(b, "plain", 5), 0);
    assert_int_equal(rill_batch_add_keyed(b, "k", 1, "keyed", 5), 0);
    assert_int_equal(rill_batch_add_keyed(b, "", 0, "", 0), 0); /* an empty key is a key */
    assert_int_equal(rill_batch_add(b, "", 0), 0);
    rill__out_init(&o, 0);
    assert_int_equal(rill__ser_records(&o, b, 1, 5), 0);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    /* the count is little-endian on every host */
    assert_memory_equal(buf, "rS\x01\x01\x04\0\0\0\0\0\0\0", 12);
    assert_int_equal(rill__deser_records(buf, len, &back), 0);
    assert_int_equal(rill_batch_count(back), 4);
    for (i = 0; i < 4; i++) {
        rill_record x, y;
        rill_batch_get(&x, b, i + 1);
        rill_batch_get(&y, back, i);
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.data, y.data, x.len);
        assert_int_equal(x.key == NULL, y.key == NULL);
        assert_int_equal(x.key_len, y.key_len);
    }
    refuses_every_damage(buf, len, decode_records);
    rill_batch_free(back);
    rill_batch_free(b);
    free(buf);
}

typedef struct list {
    int n;
    int *v; /* owned */
} list;

static int list_encode(const void *store, rill_batch *out, void *payload)
{
    const list *l = store;
    (void)payload;
    return rill_batch_add(out, l->v, (size_t)l->n * sizeof(int));
}

static int list_decode(void *store, const void *bytes, size_t len, void *payload)
{
    list *l = store;
    (void)payload;
    if (len % sizeof(int))
        return -1;
    l->n = (int)(len / sizeof(int));
    if ((l->v = malloc(len ? len : 1)) == NULL)
        return -1;
    memcpy(l->v, bytes, len);
    return 0;
}

static int decode_raw_store(const char *buf, size_t len)
{
    int64_t v = 0;
    return rill__deser_store(buf, len, &v, sizeof(v), NULL, NULL);
}

static void stores_come_back_by_bytes_or_through_their_callbacks(void **state)
{
    int64_t raw = -42, back = 0;
    int items[3] = {7, 8, 9};
    list l = {3, items}, lb = {0, NULL};
    rill__out o;
    char *buf;
    size_t len;
    (void)state;
    rill__out_init(&o, 0);
    assert_int_equal(rill__ser_store(&o, &raw, sizeof(raw), NULL, NULL), 0);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    assert_int_equal(rill__deser_store(buf, len, &back, sizeof(back), NULL, NULL), 0);
    assert_int_equal(back, -42);
    refuses_every_damage(buf, len, decode_raw_store);
    /* another size, or a stage that decodes: refused */
    assert_int_equal(rill__deser_store(buf, len, &back, 4, NULL, NULL), RILL_ECORRUPT);
    assert_int_equal(rill__deser_store(buf, len, &lb, sizeof(lb), list_decode, NULL),
                     RILL_ECORRUPT);
    free(buf);

    rill__out_init(&o, 0);
    assert_int_equal(rill__ser_store(&o, &l, sizeof(l), list_encode, NULL), 0);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    assert_int_equal(rill__deser_store(buf, len, &lb, sizeof(lb), list_decode, NULL), 0);
    assert_int_equal(lb.n, 3);
    assert_memory_equal(lb.v, items, sizeof(items));
    free(lb.v);
    assert_int_equal(rill__deser_store(buf, len, &back, sizeof(back), NULL, NULL), RILL_ECORRUPT);
    free(buf);
}

static int decode_table(const char *buf, size_t len)
{
    rill__keytable *t;
    int rc = rill__deser_table(buf, len, sizeof(int64_t), &t);
    rill__keytable_free(t);
    return rc;
}

static void key_tables_come_back_with_every_key_once(void **state)
{
    rill__keytable *t, *back;
    rill__out o;
    char *buf, key[16];
    size_t len;
    int i, created;
    (void)state;
    assert_int_equal(rill__keytable_new(&t, sizeof(int64_t)), 0);
    for (i = 0; i < 100; i++) {
        int64_t *acc;
        size_t n = (size_t)snprintf(key, sizeof(key), "key%d", i);
        assert_non_null(acc = rill__keytable_get(t, key, n, &created));
        *acc = i * 3;
    }
    rill__out_init(&o, 0);
    assert_int_equal(rill__ser_table(&o, t), 0);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    assert_int_equal(rill__deser_table(buf, len, sizeof(int64_t), &back), 0);
    assert_int_equal(rill__keytable_count(back), 100);
    for (i = 0; i < 100; i++) {
        int64_t *acc;
        size_t n = (size_t)snprintf(key, sizeof(key), "key%d", i);
        assert_non_null(acc = rill__keytable_get(back, key, n, &created));
        assert_int_equal(created, 0);
        assert_int_equal(*acc, i * 3);
    }
    rill__keytable_free(back);
    /* another value size is refused */
    assert_int_equal(rill__deser_table(buf, len, 4, &back), RILL_ECORRUPT);
    free(buf);
    rill__keytable_free(t);

    /* a small one, damaged every way; and one that holds a key twice */
    assert_int_equal(rill__keytable_new(&t, sizeof(int64_t)), 0);
    assert_non_null(rill__keytable_get(t, "a", 1, &created));
    rill__out_init(&o, 0);
    assert_int_equal(rill__ser_table(&o, t), 0);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    refuses_every_damage(buf, len, decode_table);
    {
        size_t entry = 4 + 1 + 8;
        char *twice = malloc(len + entry);
        memcpy(twice, buf, len);
        memcpy(twice + len, buf + len - entry, entry);
        twice[4 + 8] = 2; /* the count */
        assert_int_equal(decode_table(twice, len + entry), RILL_ECORRUPT);
        assert_non_null(strstr(rill_error_last(), "a key twice"));
        free(twice);
    }
    free(buf);
    rill__keytable_free(t);
}

static int decode_restriction(const char *buf, size_t len)
{
    rill_restriction r;
    return rill__deser_restriction(buf, len, &r);
}

static void restrictions_come_back_and_reversed_ranges_are_refused(void **state)
{
    rill_restriction r = {RILL_RANGE_OFFSET, 100, RILL_OFFSET_INFINITY, NULL, 0, NULL, 0}, back;
    rill__out o;
    char *buf;
    size_t len;
    (void)state;
    rill__out_init(&o, 0);
    assert_int_equal(rill__ser_restriction(&o, &r), 0);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    assert_int_equal(rill__deser_restriction(buf, len, &back), 0);
    assert_int_equal(back.kind, RILL_RANGE_OFFSET);
    assert_true(back.from == 100 && back.to == RILL_OFFSET_INFINITY);
    refuses_every_damage(buf, len, decode_restriction);
    memset(buf + 13, 0, 8); /* [100, 0) */
    assert_int_equal(rill__deser_restriction(buf, len, &back), RILL_ECORRUPT);
    free(buf);

    r.kind = RILL_RANGE_BYTEKEY;
    r.start = "ab";
    r.start_len = 2;
    r.end = "b";
    r.end_len = 1;
    rill__out_init(&o, 0);
    assert_int_equal(rill__ser_restriction(&o, &r), 0);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    assert_int_equal(rill__deser_restriction(buf, len, &back), 0);
    assert_int_equal(back.kind, RILL_RANGE_BYTEKEY);
    assert_true(back.start_len == 2 && memcmp(back.start, "ab", 2) == 0);
    assert_true(back.end_len == 1 && memcmp(back.end, "b", 1) == 0);
    refuses_every_damage(buf, len, decode_restriction);
    buf[len - 1] = 'a'; /* ["ab", "a"): ends before it starts */
    assert_int_equal(rill__deser_restriction(buf, len, &back), RILL_ECORRUPT);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_come_back_as_they_went_and_damage_is_refused),
        cmocka_unit_test(stores_come_back_by_bytes_or_through_their_callbacks),
        cmocka_unit_test(key_tables_come_back_with_every_key_once),
        cmocka_unit_test(restrictions_come_back_and_reversed_ranges_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
