/* test_keytable.c — the combine's key table (src/core/keytable.h) on its
 * own: keys of every length around the inline limit (16 bytes), the empty
 * key, keys that differ only in their last byte or in a zero byte past the
 * end of a shorter one, growth over many keys (to a table of 32 MiB of
 * slots, mapped), and iteration giving every key once with its value and
 * its hash; all checked against a plain list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/keytable.h"

/* Key k of the test: lengths 0..40 cycling, bytes from k (zeros too). */
static size_t key_of(unsigned k, char *out)
{
    size_t len = k % 41, i;
    for (i = 0; i < len; i++)
        out[i] = (char)((k * 31 + i * 7) % 251 == 0 ? 0 : (k >> (i % 4 * 8)) + i);
    return len;
}

static void every_length_is_kept_apart(void **state)
{
    /* "a" and "a\0": the same padded words, told apart by the length */
    const char *keys[] = {"", "a", "a\0", "a\0\0", "abcdefgh", "abcdefghi", "abcdefghijklmnop",
                          "abcdefghijklmnoq", "abcdefghijklmnopq", "abcdefghijklmnopr",
                          "bbcdefghijklmnopq"};
    size_t lens[] = {0, 1, 2, 3, 8, 9, 16, 16, 17, 17, 17}, n = sizeof(lens) / sizeof(*lens), i;
    rill__keytable *t;
    int created, round;
    (void)state;
    assert_int_equal(rill__keytable_new(&t, 8), 0);
    for (round = 1; round <= 3; round++)
        for (i = 0; i < n; i++) {
            int64_t *v = rill__keytable_get(t, keys[i], lens[i], &created);
            assert_non_null(v);
            assert_int_equal(created, round == 1);
            *v += (int64_t)i + 1;
        }
    assert_int_equal(rill__keytable_count(t), n);
    for (i = 0; i < n; i++) {
        int64_t *v = rill__keytable_upsert(t, keys[i], lens[i], rill__hash(keys[i], lens[i]),
                                           &created);
        assert_int_equal(created, 0);
        assert_int_equal(*v, 3 * ((int64_t)i + 1));
    }
    rill__keytable_free(t);
}

static void many_keys_grow_and_iterate_once_each(void **state)
{
    enum { N = 20000 };
    static unsigned char seen[N];
    rill__keytable *t;
    size_t pos = 0, len, found = 0;
    const void *key;
    uint64_t hash;
    void *value;
    char k[64];
    unsigned i;
    int created;
    (void)state;
    assert_int_equal(rill__keytable_new(&t, 24), 0); /* an accumulator of 3 words */
    for (i = 0; i < N; i++) {
        int64_t *v;
        size_t kl = key_of(i, k);
        if (kl == 0 && i != 0)
            continue; /* one empty key: the first */
        v = rill__keytable_get(t, k, kl, &created);
        assert_non_null(v);
        if (!created) { /* the same bytes as an earlier key: it must be that one */
            unsigned j;
            char k2[64];
            for (j = 0; j < i; j++)
                if (key_of(j, k2) == kl && memcmp(k2, k, kl) == 0 && (kl || j == 0))
                    break;
            assert_true(j < i);
            continue;
        }
        v[0] = i;
        v[1] = (int64_t)kl;
        v[2] = -(int64_t)i;
    }
    while (rill__keytable_next(t, &pos, &key, &len, &hash, &value)) {
        int64_t *v = value;
        char want[64];
        assert_true(v[0] >= 0 && v[0] < N);
        assert_int_equal(seen[v[0]], 0);
        seen[v[0]] = 1;
        assert_int_equal(key_of((unsigned)v[0], want), len);
        assert_memory_equal(want, key, len);
        assert_int_equal(v[1], (int64_t)len);
        assert_int_equal(v[2], -v[0]);
        assert_true(hash == rill__hash(key, len));
        found++;
    }
    assert_int_equal(found, rill__keytable_count(t));
    assert_true(found > N / 2);
    rill__keytable_free(t);
}

/* A table past 2 MiB of slots (mapped, on huge pages where the kernel
 * gives them) through several growths: every key found with its value,
 * once, and a second table of the same size made and freed beside it. */
static void a_large_table_keeps_every_key(void **state)
{
    enum { N = 300000 };
    rill__keytable *t, *u;
    size_t pos = 0, len, found = 0;
    const void *key;
    uint64_t hash;
    void *value;
    int64_t i, sum = 0;
    int created;
    (void)state;
    assert_int_equal(rill__keytable_new(&t, 8), 0);
    assert_int_equal(rill__keytable_new(&u, 8), 0);
    for (i = 0; i < N; i++) {
        int64_t k = i * 2654435761LL, *v = rill__keytable_get(t, &k, sizeof(k), &created);
        assert_non_null(v);
        assert_int_equal(created, 1);
        *v = i;
        if (i % 2 == 0) { /* u grows past the mapped size too, interleaved */
            assert_non_null(v = rill__keytable_get(u, &k, sizeof(k), &created));
            *v = -i;
        }
    }
    rill__keytable_free(u);
    for (i = 0; i < N; i++) { /* found again, not created */
        int64_t k = i * 2654435761LL, *v = rill__keytable_get(t, &k, sizeof(k), &created);
        assert_non_null(v);
        assert_int_equal(created, 0);
        assert_int_equal(*v, i);
    }
    while (rill__keytable_next(t, &pos, &key, &len, &hash, &value)) {
        int64_t k, v;
        assert_int_equal(len, sizeof(k));
        memcpy(&k, key, sizeof(k));
        memcpy(&v, value, sizeof(v));
        assert_true(k == v * 2654435761LL);
        sum += v;
        found++;
    }
    assert_int_equal(found, N);
    assert_int_equal(rill__keytable_count(t), N);
    assert_true(sum == (int64_t)N * (N - 1) / 2);
    rill__keytable_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_length_is_kept_apart),
        cmocka_unit_test(many_keys_grow_and_iterate_once_each),
        cmocka_unit_test(a_large_table_keeps_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
