/* tests/unit/test-alsa-ring.c — the ALSA bridge's SPSC frame ring
 * (clients/alsa/ring.h): empty, full, wrap-around, a rewind racing a read,
 * and a concurrent stress of one producer and one consumer thread whose
 * every frame must arrive once, in order, intact.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clients/alsa/ring.h"

static void test_empty_full(void **state)
{
    (void)state;
    struct rill_aring r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(rill_aring_alloc(&r, 8, 2), 0);
    float in[20], out[20];
    for (int i = 0; i < 20; i++)
        in[i] = (float)i;
    assert_int_equal(rill_aring_read(&r, out, 4), 0); /* empty */
    assert_int_equal(rill_aring_write(&r, in, 10), 8); /* full at 8 */
    assert_int_equal(rill_aring_write(&r, in, 1), 0);
    assert_int_equal(rill_aring_read(&r, out, 10), 8);
    assert_memory_equal(out, in, 16 * sizeof(float));
    assert_int_equal(rill_aring_read(&r, out, 1), 0);
    assert_int_equal(rill_aring_alloc(&r, 0, 2), -22);
    assert_int_equal(rill_aring_alloc(&r, 4, 65), -22);
    rill_aring_free(&r);
}

static void test_wrap(void **state)
{
    (void)state;
    struct rill_aring r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(rill_aring_alloc(&r, 5, 1), 0);
    float v = 0, got[5];
    float next = 0;
    /* 3 in, 3 out, many times: the data crosses the end every other round */
    for (int round = 0; round < 50; round++) {
        float in[3] = { v, v + 1, v + 2 };
        v += 3;
        assert_int_equal(rill_aring_write(&r, in, 3), 3);
        assert_int_equal(rill_aring_read(&r, got, 3), 3);
        for (int k = 0; k < 3; k++)
            assert_true(got[k] == next++);
    }
    uint32_t contig;
    (void)rill_aring_at(&r, 149, &contig);
    assert_int_equal(contig, 1); /* 149 % 5 = 4: one frame to the end */
    rill_aring_free(&r);
}

static void test_span(void **state)
{
    (void)state;
    assert_int_equal(rill_aring_span(10, 15, 8), 5);
    assert_int_equal(rill_aring_span(15, 10, 8), 0); /* a rewind behind the reader */
    assert_int_equal(rill_aring_span(0, 100, 8), 8);
}

#define STRESS_FRAMES 2000000u
struct stress {
    struct rill_aring r;
    int bad;
};

static void *producer(void *arg)
{
    struct stress *st = arg;
    float buf[3 * 37];
    uint32_t sent = 0, chunk = 1;
    while (sent < STRESS_FRAMES) {
        uint32_t n = chunk;
        if (n > STRESS_FRAMES - sent)
            n = STRESS_FRAMES - sent;
        for (uint32_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                buf[i * 3 + c] = (float)((sent + i) % 1000003u) + (float)c * 0.25f;
        sent += rill_aring_write(&st->r, buf, n);
        chunk = chunk % 37 + 1;
    }
    return NULL;
}

static void test_stress(void **state)
{
    (void)state;
    struct stress st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(rill_aring_alloc(&st.r, 61, 3), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &st), 0);
    float buf[3 * 29];
    uint32_t got = 0, chunk = 5;
    while (got < STRESS_FRAMES) {
        uint32_t n = rill_aring_read(&st.r, buf, chunk);
        for (uint32_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                if (buf[i * 3 + c] != (float)((got + i) % 1000003u) + (float)c * 0.25f)
                    st.bad++;
        got += n;
        chunk = chunk % 29 + 1;
    }
    pthread_join(t, NULL);
    assert_int_equal(st.bad, 0);
    assert_int_equal(rill_aring_read(&st.r, buf, 1), 0);
    rill_aring_free(&st.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_full),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_span),
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
