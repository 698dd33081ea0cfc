/* tests/unit/test-dll.c — the cycle-time loop (engine/dll.h): exact input
 * passes through, jittery wake-ups come out steady, a card's drift is
 * followed, a jump starts over, the times stay monotonic.
 *
 * Jitter is a fixed pseudo-random sequence (an LCG), so every run is the
 * same. Periods are 256 frames at 48 kHz (5.333 ms).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/dll.h"

#define PERIOD_NS 5333333ull
#define BASE_NS 1000000000000ull /* a monotonic clock some 17 min after boot */

static uint64_t lcg = 12345;

/* 0 .. max_ns - 1, deterministic. */
static uint64_t jitter(uint64_t max_ns)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (lcg >> 33) % max_ns;
}

/* Standard deviation of the steps of t[0..n) around nominal, in ns. */
static double step_sd(const uint64_t *t, size_t n, double nominal)
{
    double sum = 0, sum2 = 0;
    for (size_t k = 1; k < n; k++) {
        double d = (double)(t[k] - t[k - 1]) - nominal;
        sum += d;
        sum2 += d * d;
    }
    double m = sum / (double)(n - 1);
    return sqrt(sum2 / (double)(n - 1) - m * m);
}

/* Wake-ups exactly on the period: cur is the wake-up, next one period on. */
static void test_exact(void **state)
{
    (void)state;
    struct rill_dll d;
    uint64_t cur, next;
    rill_dll_init(&d, PERIOD_NS);
    for (uint64_t k = 0; k < 2000; k++) {
        uint64_t raw = BASE_NS + k * PERIOD_NS;
        rill_dll_update(&d, raw, &cur, &next);
        assert_true(llabs((long long)(cur - raw)) <= 2);
        assert_true(llabs((long long)(next - raw - PERIOD_NS)) <= 2);
    }
}

/* Wake-ups late by 0..800 us at random (scheduling): the smoothed starts
 * step by the period with less than a tenth of the raw spread, and stay
 * within the raw spread of the true boundaries. */
static void test_jitter(void **state)
{
    (void)state;
    enum { N = 6000, SETTLE = 1000 };
    static uint64_t raw[N], cur[N], next[N];
    struct rill_dll d;
    rill_dll_init(&d, PERIOD_NS);
    for (uint64_t k = 0; k < N; k++) {
        raw[k] = BASE_NS + k * PERIOD_NS + jitter(800000);
        rill_dll_update(&d, raw[k], &cur[k], &next[k]);
        if (k) {
            assert_true(cur[k] > cur[k - 1]);
            assert_true(cur[k] >= next[k - 1] - 100000); /* never far before its promise */
        }
        assert_true(next[k] > cur[k]);
    }
    double sd_raw = step_sd(raw + SETTLE, N - SETTLE, PERIOD_NS);
    double sd_out = step_sd(cur + SETTLE, N - SETTLE, PERIOD_NS);
    print_message("raw step sd %.1f us, smoothed %.3f us\n", sd_raw / 1e3, sd_out / 1e3);
    assert_true(sd_raw > 200000.0);
    assert_true(sd_out < sd_raw / 10.0);
    for (uint64_t k = SETTLE; k < N; k++) {
        uint64_t truth = BASE_NS + k * PERIOD_NS;
        assert_true(cur[k] + 200000 >= truth && cur[k] <= truth + 800000 + 200000);
    }
}

/* A card whose crystal runs 0.05 % slow against the system clock: the
 * loop's period converges to the card's. */
static void test_drift(void **state)
{
    (void)state;
    const double true_period = (double)PERIOD_NS * 1.0005;
    struct rill_dll d;
    uint64_t cur = 0, next = 0;
    rill_dll_init(&d, PERIOD_NS);
    for (uint64_t k = 0; k < 6000; k++) { /* 32 s */
        uint64_t raw = BASE_NS + (uint64_t)llround((double)k * true_period) + jitter(100000);
        rill_dll_update(&d, raw, &cur, &next);
    }
    print_message("period learnt %.1f ns, card's %.1f ns\n", d.period, true_period);
    assert_true(fabs(d.period - true_period) < true_period * 2e-5);
    assert_true(fabs((double)(next - cur) - true_period) < true_period * 1e-3);
}

/* A jump of ten periods (an xrun) starts over at the raw time; a reset does
 * too; a restart just before the last promised start keeps to it. */
static void test_jump_and_reset(void **state)
{
    (void)state;
    struct rill_dll d;
    uint64_t cur, next, raw = BASE_NS;
    rill_dll_init(&d, PERIOD_NS);
    for (int k = 0; k < 100; k++, raw += PERIOD_NS)
        rill_dll_update(&d, raw, &cur, &next);
    raw += 10 * PERIOD_NS;
    rill_dll_update(&d, raw, &cur, &next);
    assert_int_equal(cur, raw);
    assert_true(llabs((long long)(next - raw - PERIOD_NS)) <= 2);
    uint64_t promised = next;
    rill_dll_reset(&d);
    rill_dll_update(&d, promised - 1000, &cur, &next); /* earlier than promised */
    assert_int_equal(cur, promised);
    rill_dll_reset(&d);
    rill_dll_update(&d, promised + 3 * PERIOD_NS, &cur, &next);
    assert_int_equal(cur, promised + 3 * PERIOD_NS);
}

/* Raw times that go backwards (a driver that dates a late wake-up back by
 * the frames it found) or come one to three periods late now and then:
 * the output always grows, and lies within a period of the truth. */
static void test_outliers_monotonic(void **state)
{
    (void)state;
    struct rill_dll d;
    uint64_t cur, next, prev_cur = 0, prev_next = 0;
    rill_dll_init(&d, PERIOD_NS);
    for (uint64_t k = 0; k < 3000; k++) {
        uint64_t truth = BASE_NS + k * PERIOD_NS;
        uint64_t raw = truth + jitter(200000);
        if (k % 97 == 50)
            raw = truth + (1 + jitter(3)) * PERIOD_NS; /* late by 1..3 periods */
        if (k % 89 == 40)
            raw = truth - PERIOD_NS / 2;               /* dated back */
        rill_dll_update(&d, raw, &cur, &next);
        assert_true(next > cur);
        if (k) {
            assert_true(cur > prev_cur);
            assert_true(next > prev_next - PERIOD_NS / 2);
        }
        if (k > 1000)
            assert_true(llabs((long long)(cur - truth)) < (long long)PERIOD_NS);
        prev_cur = cur;
        prev_next = next;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_drift),
        cmocka_unit_test(test_jump_and_reset),
        cmocka_unit_test(test_outliers_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
