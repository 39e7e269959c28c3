/* test_emit_words.c — rill_emit_words finds the words a plain byte-at-a-time
 * split finds, in order, for each definition (whitespace or letters,
 * folded or not), whatever the text holds: words at every offset around
 * the 64-byte blocks it reads, words of 15, 16 and 17 bytes, long words,
 * bytes over 0x7f, NULs and every whitespace. Into a combine with the
 * built-in sum (where the words never become records) the counts equal a
 * plain count's on 1 and 2 workers. So does the byte-at-a-time way that
 * machines without SSE2 take. Each text is handed over in a buffer of
 * exactly its size, so that a read past its end is an ASan error. */
#include "helpers.h"
#include "core/run.h"

typedef struct ref_word {
    const unsigned char *p;
    size_t n;
} ref_word;

static int ref_byte(unsigned char c, unsigned flags)
{
    if (flags & RILL_WORDS_LETTERS)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return !(c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r');
}

/* The words of t[0..len), by the definition, in order (n of them). */
static ref_word *ref_split(const unsigned char *t, size_t len, unsigned flags, size_t *n)
{
    ref_word *w = malloc((len / 2 + 1) * sizeof(*w));
    size_t i = 0;
    assert_non_null(w);
    *n = 0;
    while (i < len) {
        size_t s;
        if (!ref_byte(t[i], flags)) {
            i++;
            continue;
        }
        for (s = i; i < len && ref_byte(t[i], flags); i++)
            ;
        w[*n].p = t + s;
        w[(*n)++].n = i - s;
    }
    return w;
}

static int ref_equal(const ref_word *w, const rill_record *r, unsigned flags)
{
    size_t i;
    if (r->key == NULL || r->key_len != w->n || r->len != 0)
        return 0;
    for (i = 0; i < w->n; i++) {
        unsigned char c = w->p[i], k = ((const unsigned char *)r->key)[i];
        if ((flags & RILL_WORDS_LOWER) && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c | 0x20);
        if (c != k)
            return 0;
    }
    return 1;
}

static unsigned rnd_state = 12345;

static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) % n;
}

/* A text of len bytes: words of letters mixed with digits, punctuation,
 * bytes over 0x7f and NULs, separated by every kind of whitespace; a word
 * of 15-17 bytes now and then, and one of 300 sometimes. */
static unsigned char *make_text(size_t len)
{
    static const char seps[] = " \t\n\v\f\r,.;-0";
    unsigned char *t = malloc(len ? len : 1);
    size_t i = 0;
    assert_non_null(t);
    while (i < len) {
        unsigned r = rnd(100), n = r < 5 ? 15 + rnd(3) : r < 7 ? 300 : 1 + rnd(12), k;
        for (k = 0; k < n && i < len; k++) {
            unsigned c = rnd(60);
            t[i++] = (unsigned char)(c < 26 ? 'a' + c : c < 52 ? 'A' + c - 26
                                     : c < 55 ? 0x80 + rnd(128) : c < 56 ? 0 : '0' + rnd(10));
        }
        for (k = 1 + rnd(3); k > 0 && i < len; k--)
            t[i++] = (unsigned char)seps[rnd(sizeof(seps) - 1)];
    }
    return t;
}

/* How the job splits: the flags, and whether by the byte-at-a-time way
 * (what machines without SSE2 run) rather than rill_emit_words itself. */
typedef struct how {
    unsigned flags;
    int bytewise;
} how;

/* The job: the record's text copied into a buffer of exactly its size
 * first. */
static int split(rill_emitter *out, const rill_record *in, void *payload)
{
    const how *h = payload;
    void *copy = malloc(in->len ? in->len : 1);
    int rc;
    if (copy == NULL)
        return RILL_ENOMEM;
    memcpy(copy, in->data, in->len);
    rc = h->bytewise ? rill__emit_words_bytewise(out, copy, in->len, h->flags)
                     : rill_emit_words(out, copy, in->len, h->flags);
    free(copy);
    return rc;
}

static const unsigned all_flags[] = {0, RILL_WORDS_LETTERS, RILL_WORDS_LOWER,
                                     RILL_WORDS_LETTERS | RILL_WORDS_LOWER};

static void words_come_in_order_as_a_plain_split_finds_them(void **state)
{
    size_t f, len;
    (void)state;
    for (f = 0; f < 8; f++) {
        for (len = 0; len < 700; len += len < 200 ? 1 : 37) {
            how h = {all_flags[f % 4], f >= 4};
            unsigned flags = h.flags;
            unsigned char *t = make_text(len);
            rill_run_options o = with_workers(1);
            rill_pipeline *p;
            rill_batch *work, *res;
            ref_word *want;
            size_t n, i;
            assert_int_equal(rill_batch_new(&work), 0);
            assert_int_equal(rill_batch_add(work, t, len), 0);
            assert_int_equal(rill_pipeline_new(&p), 0);
            assert_int_equal(rill_work(p, work), 0);
            assert_int_equal(rill_job(p, "split", NULL, split, &h), 0);
            assert_int_equal(rill_run(p, &o, &res), 0);
            want = ref_split(t, len, flags, &n);
            assert_int_equal(rill_batch_count(res), n);
            for (i = 0; i < n; i++) {
                rill_record r;
                assert_int_equal(rill_batch_get(&r, res, i), 0);
                if (!ref_equal(&want[i], &r, flags))
                    fail_msg("flags %u%s, text of %zu bytes: word %zu of %zu differs (%zu "
                             "bytes, emitted %zu)", flags, h.bytewise ? " bytewise" : "", len,
                             i, n, want[i].n, r.key_len);
            }
            free(want);
            rill_batch_free(res);
            rill_pipeline_free(p);
            free(t);
        }
    }
}

static int by_bytes(const void *a, const void *b)
{
    const ref_word *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void counted_into_the_sum_as_a_plain_count(void **state)
{
    size_t f, i, j, n;
    (void)state;
    for (f = 0; f < 8; f++) {
        how h = {all_flags[f % 4], f >= 4};
        unsigned flags = h.flags;
        rill_combine_options sum = RILL_COMBINE_SUM_INT64;
        unsigned char *texts[40];
        size_t lens[40], total = 0, distinct = 0;
        ref_word *all = malloc(200000 * sizeof(*all));
        int workers;
        assert_non_null(all);
        for (i = 0, n = 0; i < 40; i++) {
            size_t k, m;
            ref_word *w;
            lens[i] = 100 + rnd(9000);
            texts[i] = make_text(lens[i]);
            w = ref_split(texts[i], lens[i], flags, &m);
            for (k = 0; k < m; k++) { /* folded copies, to sort and count */
                unsigned char *c = malloc(w[k].n);
                size_t b;
                assert_non_null(c);
                for (b = 0; b < w[k].n; b++)
                    c[b] = (flags & RILL_WORDS_LOWER) && w[k].p[b] >= 'A' && w[k].p[b] <= 'Z'
                               ? (unsigned char)(w[k].p[b] | 0x20) : w[k].p[b];
                all[n].p = c;
                all[n++].n = w[k].n;
            }
            free(w);
        }
        qsort(all, n, sizeof(*all), by_bytes);
        for (i = 0; i < n; i++)
            distinct += i == 0 || by_bytes(&all[i - 1], &all[i]) != 0;
        for (workers = 1; workers <= 2; workers++) {
            rill_run_options o = with_workers(workers);
            rill_pipeline *p;
            rill_batch *work, *res;
            assert_int_equal(rill_batch_new(&work), 0);
            for (i = 0; i < 40; i++)
                assert_int_equal(rill_batch_add(work, texts[i], lens[i]), 0);
            assert_int_equal(rill_pipeline_new(&p), 0);
            assert_int_equal(rill_work(p, work), 0);
            assert_int_equal(rill_job(p, "split", NULL, split, &h), 0);
            assert_int_equal(rill_combine(p, "count", &sum, NULL), 0);
            assert_int_equal(rill_run(p, &o, &res), 0);
            assert_int_equal(rill_batch_count(res), distinct);
            total = 0;
            for (j = 0; j < rill_batch_count(res); j++) {
                rill_record r;
                ref_word key, *at;
                int64_t c, want = 0;
                size_t k;
                assert_int_equal(rill_batch_get(&r, res, j), 0);
                assert_int_equal(rill_record_int64(&c, &r), 0);
                key.p = r.key;
                key.n = r.key_len;
                at = bsearch(&key, all, n, sizeof(*all), by_bytes);
                if (at == NULL)
                    fail_msg("flags %u, %d workers: a word no text has (%zu bytes)", flags,
                             workers, r.key_len);
                while (at > all && by_bytes(at - 1, &key) == 0)
                    at--;
                for (k = (size_t)(at - all); k < n && by_bytes(&all[k], &key) == 0; k++)
                    want++;
                assert_int_equal(c, want);
                total += (size_t)c;
            }
            assert_int_equal(total, n);
            rill_batch_free(res);
            rill_pipeline_free(p);
        }
        for (i = 0; i < n; i++)
            free((void *)all[i].p);
        free(all);
        for (i = 0; i < 40; i++)
            free(texts[i]);
    }
}

static int bad_flags(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_words(out, in->data, in->len, 4);
}

static void misuse_is_an_error(void **state)
{
    rill_run_options o = with_workers(1);
    rill_pipeline *p;
    rill_batch *work;
    (void)state;
    assert_int_equal(rill_emit_words(NULL, "a b", 3, 0), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "emitter is NULL"));
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add_text(work, "some words"), 0);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_job(p, "split", NULL, bad_flags, NULL), 0);
    assert_int_equal(rill_run(p, &o, NULL), RILL_EUSER); /* the job gave RILL_EINVAL */
    assert_non_null(strstr(rill_error_last(), "unknown flags"));
    assert_non_null(strstr(rill_error_last(), "split"));
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_come_in_order_as_a_plain_split_finds_them),
        cmocka_unit_test(counted_into_the_sum_as_a_plain_count),
        cmocka_unit_test(misuse_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
