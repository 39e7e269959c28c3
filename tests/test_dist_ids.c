/* test_dist_ids.c — how messages between ranks name things (src/dist/):
 * a reduction by an id from the rank's table, known while units of it are
 * lent and forgotten when they are all back, never by its address; and a
 * message head that is not one of this rill's is refused. And that the
 * distribution layer reaches other ranks only through the registered
 * transport (rill/sys/transport.h): a transport of one's own decides the
 * world. Needs no other rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dist/link.h"
#include "rill/dist.h"

static rill__dist *new_dist(void)
{
    rill__dist *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    pthread_mutex_init(&d->imu, NULL);
    assert_int_equal(rill__ids_start(d), 0);
    return d;
}

static void free_dist(rill__dist *d)
{
    rill__ids_free(d);
    pthread_mutex_destroy(&d->imu);
    free(d);
}

static void a_reduction_keeps_its_id_while_lent_and_loses_it_when_all_is_back(void **state)
{
    rill__dist *d = new_dist();
    rill__reduction *a = (rill__reduction *)(uintptr_t)0x1000, *b = (rill__reduction *)(uintptr_t)0x2000;
    uint64_t ia, ia2, ib, ia3;
    int64_t lent;
    (void)state;
    assert_int_equal(rill__id_lend(d, a, 1, &ia), 0);
    assert_int_equal(rill__id_lend(d, b, 1, &ib), 0);
    assert_int_equal(rill__id_lend(d, a, 2, &ia2), 0);
    assert_true(ia == ia2 && ia != ib);
    assert_true(ia != (uint64_t)(uintptr_t)a); /* not its address */
    assert_ptr_equal(rill__id_find(d, ia, &lent), a);
    assert_int_equal(lent, 3); /* what a DONE may bring home at most */
    assert_ptr_equal(rill__id_find(d, ib, &lent), b);
    assert_null(rill__id_find(d, 0, &lent));
    assert_null(rill__id_find(d, ib + 1000, &lent)); /* unknown: refused by the caller */
    rill__id_back(d, ia, 2);
    assert_ptr_equal(rill__id_find(d, ia, &lent), a); /* one unit still out */
    assert_int_equal(lent, 1);
    rill__id_back(d, ia, 1);
    assert_null(rill__id_find(d, ia, &lent)); /* all back: forgotten */
    assert_ptr_equal(rill__id_find(d, ib, &lent), b);
    assert_int_equal(rill__id_lend(d, a, 1, &ia3), 0);
    assert_true(ia3 != ia && ia3 != ib); /* a new loan, a new id: ids are never reused */
    rill__id_back(d, ib, 1);
    rill__id_back(d, ia3, 1);
    assert_int_equal(d->nids, 0);
    free_dist(d);
}

static void a_head_comes_back_as_it_went_and_a_foreign_one_is_refused(void **state)
{
    rill__head h = {0}, back;
    rill__out o;
    char *buf;
    size_t len;
    (void)state;
    h.type = RILL__M_TASK;
    h.stage = 3;
    h.from = -1;
    h.phase = 1;
    h.owner = -1;
    h.ref_rank = 2;
    h.units = 5;
    h.id = 0x0102030405060708ull;
    h.code = -7;
    rill__out_init(&o, 0);
    rill__head_put(&o, &h);
    assert_int_equal(rill__out_take(&o, &buf, &len), 0);
    assert_int_equal(len, RILL__HEAD_SIZE);
    assert_int_equal((unsigned char)buf[40 - 8], 0x08); /* the id, little-endian */
    assert_int_equal(rill__head_get(&back, buf, len), 0);
    assert_memory_equal(&back, &h, sizeof(h));
    assert_int_equal(rill__head_get(&back, buf, len - 1), RILL_ECORRUPT);
    buf[2] = 9; /* another version */
    assert_int_equal(rill__head_get(&back, buf, len), RILL_ECORRUPT);
    buf[2] = RILL__HEAD_VERSION;
    buf[3] = 0; /* no such type */
    assert_int_equal(rill__head_get(&back, buf, len), RILL_ECORRUPT);
    free(buf);
}

/* A transport of two ranks whose other rank built another pipeline. */
static int fake_world(int *rank, int *size)
{
    *rank = 0;
    *size = 2;
    return 0;
}

static int fake_agree(uint64_t value, int *same)
{
    (void)value;
    *same = 0;
    return 0;
}

static int fake_send(int peer, const void *buf, size_t len, void **req)
{
    (void)peer;
    (void)buf;
    (void)len;
    *req = NULL;
    return 0;
}

static int fake_done(void *req)
{
    (void)req;
    return 1;
}

static int fake_receive(int *peer, void **buf, size_t *len)
{
    (void)peer;
    (void)buf;
    (void)len;
    return 0;
}

static int fake_barrier(void **req)
{
    *req = NULL;
    return 0;
}

static const rill_transport fake = {
    RILL_TRANSPORT_VERSION, "fake", fake_world, fake_agree, fake_send, fake_done,
    fake_receive, fake_barrier,
};

static int keep(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

static void the_world_is_what_the_registered_transport_says(void **state)
{
    const rill_transport *was = rill__transport();
    rill_transport bad = fake;
    rill_pipeline *p;
    rill_batch *w;
    (void)state;
    bad.version = RILL_TRANSPORT_VERSION + 1;
    assert_int_equal(rill_transport_register(&bad), RILL_EINVAL);
    assert_int_equal(rill_transport_register(&fake), 0);
    assert_int_equal(rill_ranks(), 2);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&w), 0);
    assert_int_equal(rill_batch_add_int64(w, 1), 0);
    assert_int_equal(rill_work(p, w), 0);
    assert_int_equal(rill_job(p, "keep", NULL, keep, NULL), 0);
    /* the distribution layer asked the transport whether every rank agrees */
    assert_int_equal(rill_run(p, NULL, NULL), RILL_EPIPELINE);
    assert_non_null(strstr(rill_error_last(), "built another pipeline"));
    assert_int_equal(rill_transport_register(NULL), 0);
    assert_int_equal(rill_ranks(), 1); /* no transport: alone */
    assert_int_equal(rill_run(p, NULL, NULL), 0);
    assert_int_equal(rill_transport_register(was), 0);
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_reduction_keeps_its_id_while_lent_and_loses_it_when_all_is_back),
        cmocka_unit_test(a_head_comes_back_as_it_went_and_a_foreign_one_is_refused),
        cmocka_unit_test(the_world_is_what_the_registered_transport_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
