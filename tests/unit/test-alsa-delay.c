/* tests/unit/test-alsa-delay.c — the ALSA bridge's snd_pcm_delay
 * arithmetic (clients/alsa/delay.h): values at known instants, rate
 * conversion, and that the playback delay falls steadily with time and does
 * not jump at a cycle boundary where the ring hands a period to the graph.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clients/alsa/delay.h"

#define MS 1000000ull

static void test_values(void **state)
{
    (void)state;
    /* 48 kHz, period 256, port latency 256: right at the cycle start the
     * graph still has 512 frames to play */
    assert_int_equal(rill_adelay_playback(1000, 0, 256, 256, 5 * MS, 5 * MS, 48000, 48000),
                     1512);
    /* 1 ms later: 48 frames fewer */
    assert_int_equal(rill_adelay_playback(1000, 0, 256, 256, 6 * MS, 5 * MS, 48000, 48000),
                     1464);
    /* long after: only the ring */
    assert_int_equal(rill_adelay_playback(1000, 7, 256, 256, 500 * MS, 5 * MS, 48000, 48000),
                     1007);
    /* 44.1 kHz program on a 48 kHz engine: 512 engine frames = 470.4 */
    assert_int_equal(rill_adelay_playback(0, 0, 256, 256, 5 * MS, 5 * MS, 44100, 48000), 470);
    /* capture: ring + what the card holds beyond the cycle's delivery,
     * latency + elapsed - period: 100 + 256 + 96 - 256 */
    assert_int_equal(rill_adelay_capture(100, 0, 256, 256, 7 * MS, 5 * MS, 48000, 48000), 196);
    /* right at the cycle start, latency one period: only the ring */
    assert_int_equal(rill_adelay_capture(100, 0, 256, 256, 5 * MS, 5 * MS, 48000, 48000), 100);
    /* a client's outputs (latency 0): the ring's newest frames are dated
     * ahead; 256 + 48 - 256 */
    assert_int_equal(rill_adelay_capture(256, 0, 256, 0, 6 * MS, 5 * MS, 48000, 48000), 48);
    /* never below 0 */
    assert_int_equal(rill_adelay_capture(100, 3, 256, 0, 6 * MS, 5 * MS, 48000, 48000), 0);
    assert_int_equal(rill_adelay_capture(0, 0, 256, 0, 4 * MS, 5 * MS, 48000, 48000), 0);
    /* 44.1 kHz program: (256 + 48 - 256) engine frames = 44.1 */
    assert_int_equal(rill_adelay_capture(0, 0, 256, 256, 6 * MS, 5 * MS, 44100, 48000), 44);
    assert_int_equal(rill_adelay_to_app(48000, 8000, 48000), 8000);
    assert_int_equal(rill_adelay_elapsed(10, 20, 48000), 0);
}

/* Simulate a stream: the ring holds a constant backlog refilled by the
 * program; each cycle takes 256 frames. The delay seen at 0.1 ms steps
 * never rises by more than rounding and falls by the elapsed time. */
static void test_monotonic(void **state)
{
    (void)state;
    const uint32_t period = 256, lat = 512, rate = 48000;
    uint64_t ring = 4096, written = 0;
    int64_t prev = -1;
    uint64_t cycle_ns = 0;
    for (uint64_t t = 0; t < 200 * MS; t += MS / 10) {
        uint64_t next = cycle_ns + (uint64_t)period * 1000000000ull / rate;
        if (t >= next) { /* a cycle: the graph takes a period from the ring */
            cycle_ns = next;
            ring -= period;
        }
        int64_t d = rill_adelay_playback(ring, 0, period, lat, t, cycle_ns, rate, rate);
        if (prev >= 0)
            assert_true(d <= prev + 1);
        prev = d;
        (void)written;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
