/* tests/unit/test-alsa-null.c — the ALSA driver on alsa-lib's "null" PCM,
 * which needs no sound card: set_period (the new period, its latencies, the
 * refusals, not while running), one direction only (-C / -P with a device),
 * a few cycles of start / wait / read / write / stop in each case, and the
 * driver's messages carrying no "alsa:" prefix of their own (rilld adds
 * "driver alsa: "). The real kernel ALSA tests are in tests/kernel/.
 */
#include "drivers/alsa/alsa_priv.h"
#include "drivers/driver.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static float bufs[2][8192];

static const struct rill_driver_ops *alsa(void)
{
    const struct rill_driver_ops *ops = rill_driver_find("alsa");
    assert_non_null(ops);
    return ops;
}

/* Open with words (NULL-terminated); skips the test when alsa-lib has no
 * null PCM (no configuration installed). */
static struct rill_driver *open_words(struct rill_driver_info *info, char **words)
{
    struct rill_driver_config cfg;
    struct rill_driver *d = NULL;
    char err[512] = "";
    int argc = 0;

    while (words[argc])
        argc++;
    assert_int_equal(rill_driver_params_parse(alsa(), argc, words, &cfg, err, sizeof err, NULL),
                     0);
    int r = alsa()->open(&cfg, &d, info, err, sizeof err);
    if (r < 0 && strstr(err, "no such device null")) {
        skip();
    }
    if (r < 0)
        fail_msg("open: %s", err);
    assert_non_null(d);
    return d;
}

#define OPEN(info, ...) open_words((info), (char *[]){ __VA_ARGS__, NULL })

/* n cycles of wait, read, write; every wait gives a period. */
static void run_cycles(struct rill_driver *d, const struct rill_driver_info *info, int n)
{
    float *in[2] = { bufs[0], bufs[1] };
    const float *out[2] = { bufs[0], bufs[1] };

    assert_int_equal(alsa()->start(d), 0);
    for (int i = 0; i < n; i++) {
        struct rill_driver_wait w;
        memset(&w, 0, sizeof w);
        assert_int_equal(alsa()->wait(d, &w), 0);
        assert_true(w.next_ns > w.wake_ns);
        assert_int_equal(alsa()->read(d, in, info->capture_channels, info->period), 0);
        assert_int_equal(alsa()->write(d, out, info->playback_channels, info->period), 0);
    }
    assert_int_equal(alsa()->stop(d), 0);
}

static void test_set_period(void **state)
{
    (void)state;
    struct rill_driver_info info;
    char err[512];
    struct rill_driver *d = OPEN(&info, "-d", "null", "-r", "48000", "-p", "256", "-n", "3",
                                 "-i", "2", "-o", "2", "-I", "3", "-O", "5");
    assert_int_equal(info.period, 256);
    assert_int_equal(info.capture_latency, 256 + 3);
    assert_int_equal(info.playback_latency, 2 * 256 + 5);
    assert_non_null(alsa()->set_period);
    run_cycles(d, &info, 3);

    assert_int_equal(alsa()->set_period(d, 1024, &info, err, sizeof err), 0);
    assert_int_equal(info.period, 1024);
    assert_int_equal(info.capture_latency, 1024 + 3);
    assert_int_equal(info.playback_latency, 2 * 1024 + 5);
    assert_int_equal(d->cap.buffer_size, 3 * 1024);
    assert_int_equal(d->play.buffer_size, 3 * 1024);
    run_cycles(d, &info, 3);

    /* not a power of two, out of range: refused, the period stays */
    assert_int_equal(alsa()->set_period(d, 100, &info, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "period 100 is not allowed"));
    assert_non_null(strstr(err, "power of two from 16 to 8192"));
    assert_int_equal(alsa()->set_period(d, 16384, &info, err, sizeof err), -EINVAL);
    assert_int_equal(alsa()->set_period(d, 8, &info, err, sizeof err), -EINVAL);
    assert_int_equal(info.period, 1024);
    assert_int_equal(alsa()->set_period(d, 1024, &info, err, sizeof err), 0);

    /* not while the cycle runs */
    assert_int_equal(alsa()->start(d), 0);
    assert_int_equal(alsa()->set_period(d, 64, &info, err, sizeof err), -EBUSY);
    assert_non_null(strstr(err, "while running"));
    assert_int_equal(alsa()->stop(d), 0);
    assert_int_equal(info.period, 1024);

    assert_int_equal(alsa()->set_period(d, 64, &info, err, sizeof err), 0);
    assert_int_equal(info.period, 64);
    run_cycles(d, &info, 5);
    assert_int_equal(alsa()->set_period(NULL, 64, &info, err, sizeof err), -EINVAL);
    alsa()->close(d);
}

static void test_capture_only(void **state)
{
    (void)state;
    struct rill_driver_info info;
    struct rill_driver *d = OPEN(&info, "-C", "null", "-p", "128", "-i", "2");
    assert_int_equal(info.capture_channels, 2);
    assert_int_equal(info.playback_channels, 0);
    assert_null(d->play.pcm);
    run_cycles(d, &info, 4);
    char err[256];
    assert_int_equal(alsa()->set_period(d, 256, &info, err, sizeof err), 0);
    run_cycles(d, &info, 2);
    alsa()->close(d);
}

static void test_playback_only(void **state)
{
    (void)state;
    struct rill_driver_info info;
    struct rill_driver *d = OPEN(&info, "-P", "null", "-p", "128", "-o", "2");
    assert_int_equal(info.capture_channels, 0);
    assert_int_equal(info.playback_channels, 2);
    assert_null(d->cap.pcm);
    run_cycles(d, &info, 4);
    char err[256];
    assert_int_equal(alsa()->set_period(d, 512, &info, err, sizeof err), 0);
    assert_int_equal(info.playback_latency, 512);
    run_cycles(d, &info, 2);
    alsa()->close(d);
}

/* rilld prints "driver alsa: " before the driver's message: the message
 * itself has no prefix. */
static void test_no_double_prefix(void **state)
{
    (void)state;
    struct rill_driver_config cfg;
    struct rill_driver *d = NULL;
    struct rill_driver_info info;
    char err[512];
    char *w1[] = { "-d", "hw:RillNoSuchCard", NULL };
    assert_int_equal(rill_driver_params_parse(alsa(), 2, w1, &cfg, err, sizeof err, NULL), 0);
    assert_true(alsa()->open(&cfg, &d, &info, err, sizeof err) < 0);
    assert_int_equal(strncmp(err, "no such device hw:RillNoSuchCard", 32), 0);
    char *w2[] = { "-d", "null", "-S", "--format", "S32_LE", NULL };
    assert_int_equal(rill_driver_params_parse(alsa(), 5, w2, &cfg, err, sizeof err, NULL), 0);
    assert_true(alsa()->open(&cfg, &d, &info, err, sizeof err) < 0);
    assert_null(strstr(err, "alsa:"));
    assert_non_null(strstr(err, "contradict"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_period),
        cmocka_unit_test(test_capture_only),
        cmocka_unit_test(test_playback_only),
        cmocka_unit_test(test_no_double_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
