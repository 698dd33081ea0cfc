/* tests/unit/test-midi-clock.c — midi/midi_clock.c: the line through
 * jittery samples, a drift followed, a restart of the queue, the seqlock
 * publication. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "midi/midi_clock.h"

/* a deterministic jitter in [-j, j] ns */
static uint64_t rng = 12345;
static double jitter(double j)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(rng >> 11) / (double)(1ull << 53) * 2.0 - 1.0) * j;
}

/* mono = offset + q * (1 + ppm); samples every 100 ms with jitter j; after
 * n samples the model maps within tol ns over the next second */
static void track(double offset, double ppm, double j, int n, double tol)
{
    struct rill_midi_clock c;
    rill_midi_clock_init(&c);
    double r = 1.0 + ppm * 1e-6;
    uint64_t q = 0;
    for (int i = 0; i < n; i++) {
        q += 100000000ull;
        double m = offset + (double)q * r + jitter(j);
        rill_midi_clock_sample(&c, q, (uint64_t)m);
    }
    for (uint64_t d = 0; d <= 1000000000ull; d += 250000000ull) {
        uint64_t qq = q + d;
        double want = offset + (double)qq * r;
        double got = (double)rill_midi_line_to_mono(&c.line, qq);
        assert_true(fabs(got - want) < tol);
        uint64_t back = rill_midi_line_to_queue(&c.line, (uint64_t)got);
        assert_true(fabs((double)back - (double)qq) < 2.0);
    }
}

static void test_exact(void **state)
{
    (void)state;
    track(5e9, 0, 0, 3, 2);
}

static void test_jitter(void **state)
{
    (void)state;
    /* 100 us of jitter per sample: within 30 us after a minute */
    track(123456789.0, 0, 100000, 600, 30000);
}

static void test_drift(void **state)
{
    (void)state;
    /* 50 ppm: 5 us per 100 ms; followed within 20 us after ten minutes */
    track(1e9, 50, 10000, 6000, 20000);
    track(1e9, -80, 10000, 6000, 20000);
}

static void test_restart(void **state)
{
    (void)state;
    struct rill_midi_clock c;
    rill_midi_clock_init(&c);
    for (uint64_t q = 1; q < 50; q++)
        rill_midi_clock_sample(&c, q * 100000000ull, 7000000000ull + q * 100000000ull);
    /* the queue starts again at 0 while monotonic time goes on */
    rill_midi_clock_sample(&c, 1000, 20000000000ull);
    assert_int_equal(c.resets, 1);
    assert_int_equal(rill_midi_line_to_mono(&c.line, 1000 + 5000000), 20005000000ull);
}

static void test_publish(void **state)
{
    (void)state;
    struct rill_midi_clock c;
    struct rill_midi_clock_pub p = { 0 };
    struct rill_midi_line l;
    assert_int_equal(rill_midi_clock_read(&p, &l), -EAGAIN);
    rill_midi_clock_init(&c);
    rill_midi_clock_publish(&p, &c);
    assert_int_equal(rill_midi_clock_read(&p, &l), -EAGAIN); /* no sample yet */
    rill_midi_clock_sample(&c, 10, 1000);
    rill_midi_clock_publish(&p, &c);
    assert_int_equal(rill_midi_clock_read(&p, &l), 0);
    assert_int_equal(rill_midi_line_to_mono(&l, 110), 1100);
    /* a reader during a write (odd seq) gives up rather than wait */
    atomic_fetch_add(&p.seq, 1);
    assert_int_equal(rill_midi_clock_read(&p, &l), -EAGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),   cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_drift),   cmocka_unit_test(test_restart),
        cmocka_unit_test(test_publish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
