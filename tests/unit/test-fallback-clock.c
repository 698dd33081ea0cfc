/* tests/unit/test-fallback-clock.c — the dummy driver as the engine's
 * fallback clock (drivers/dummy/dummy.h): it opens at the device's rate,
 * period and channels with nothing else given (a parameter added to the
 * dummy's table later must not break it); started at a future time it wakes
 * there, one period per wait; started at a time in the past it reports the
 * whole periods since then as skipped and goes on from the last boundary;
 * capture is silence; it follows a change of period.
 *
 * The periods are 256 frames at 48 kHz (5.3 ms); waits are real timerfd
 * waits, so the checks leave room for a loaded machine (the wake-up time a
 * wait reports is the boundary, exact; only `delay_ns` shows the lateness).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/dummy/dummy.h"
#include "rill/time.h"

#define RATE 48000u
#define PERIOD 256u
#define PERIOD_NS 5333333ull /* floor(256 * 1e9 / 48000) */

static struct rill_driver *open_clock(uint32_t period)
{
    struct rill_driver *d = NULL;
    char err[256] = "";
    int r = rill_dummy_open_clock(RATE, period, 2, 32, &d, err, sizeof err);
    if (r != 0)
        print_message("open: %s\n", err);
    assert_int_equal(r, 0);
    assert_non_null(d);
    return d;
}

/* Started 20 ms ahead: the first wait reports exactly that start, the next
 * ones one period on each, nothing skipped. */
static void test_start_ahead(void **state)
{
    (void)state;
    struct rill_driver *d = open_clock(PERIOD);
    uint64_t first = rill_now_ns() + 20000000ull;
    assert_int_equal(rill_dummy_start_at(d, first), 0);
    struct rill_driver_wait w;
    memset(&w, 0, sizeof w);
    assert_int_equal(rill_driver_dummy.wait(d, &w), 0);
    assert_true(rill_now_ns() >= first);
    if (w.skipped == 0) { /* a loaded machine may wake us a period late */
        assert_true(w.wake_ns >= first - 1 && w.wake_ns <= first + 1);
        assert_true(w.next_ns - w.wake_ns >= PERIOD_NS && w.next_ns - w.wake_ns <= PERIOD_NS + 1);
    }
    uint64_t prev = w.wake_ns;
    for (int k = 0; k < 5; k++) {
        memset(&w, 0, sizeof w);
        assert_int_equal(rill_driver_dummy.wait(d, &w), 0);
        uint64_t step = w.wake_ns - prev;
        assert_true(step >= (1 + w.skipped) * PERIOD_NS && step <= (1 + w.skipped) * PERIOD_NS + 2);
        prev = w.wake_ns;
    }
    float a[PERIOD], b[PERIOD];
    float *bufs[2] = { a, b };
    memset(a, 0x55, sizeof a);
    assert_int_equal(rill_driver_dummy.read(d, bufs, 2, PERIOD), 0);
    for (uint32_t i = 0; i < PERIOD; i++)
        assert_true(a[i] == 0.0f);
    assert_int_equal(rill_driver_dummy.write(d, (const float *const *)bufs, 32, PERIOD), 0);
    assert_int_equal(rill_driver_dummy.stop(d), 0);
    rill_driver_dummy.close(d);
}

/* Started 50 ms in the past (the device stalled that long before it was
 * given up): the first wait reports the whole periods since as skipped and
 * wakes for the last boundary already passed. */
static void test_start_behind(void **state)
{
    (void)state;
    struct rill_driver *d = open_clock(PERIOD);
    uint64_t now = rill_now_ns();
    uint64_t first = now - 50000000ull;
    assert_int_equal(rill_dummy_start_at(d, first), 0);
    struct rill_driver_wait w;
    memset(&w, 0, sizeof w);
    assert_int_equal(rill_driver_dummy.wait(d, &w), 0);
    /* 50 ms is 9.4 periods: at least 9 boundaries passed after the first */
    assert_true(w.skipped >= 9);
    /* on a boundary: boundary k lies at floor(k x 5333333.3) ns, within k ns of k periods */
    assert_int_equal((w.wake_ns - first) % PERIOD_NS <= (w.wake_ns - first) / PERIOD_NS, 1);
    assert_true(w.wake_ns <= rill_now_ns());
    assert_true(w.next_ns > w.wake_ns);
    rill_driver_dummy.stop(d);
    rill_driver_dummy.close(d);
}

/* A change of period (while stopped) is followed. */
static void test_set_period(void **state)
{
    (void)state;
    struct rill_driver *d = open_clock(PERIOD);
    struct rill_driver_info info;
    char err[128];
    memset(&info, 0, sizeof info);
    assert_int_equal(rill_driver_dummy.set_period(d, 1024, &info, err, sizeof err), 0);
    assert_int_equal(info.period, 1024);
    assert_int_equal(rill_dummy_start_at(d, rill_now_ns() + 1000000ull), 0);
    struct rill_driver_wait w1, w2;
    memset(&w1, 0, sizeof w1);
    memset(&w2, 0, sizeof w2);
    assert_int_equal(rill_driver_dummy.wait(d, &w1), 0);
    assert_int_equal(rill_driver_dummy.wait(d, &w2), 0);
    uint64_t p1024 = 21333333ull;
    assert_true(w2.wake_ns - w1.wake_ns >= (1 + w2.skipped) * p1024 &&
                w2.wake_ns - w1.wake_ns <= (1 + w2.skipped) * p1024 + 2);
    rill_driver_dummy.stop(d);
    rill_driver_dummy.close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_ahead),
        cmocka_unit_test(test_start_behind),
        cmocka_unit_test(test_set_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
