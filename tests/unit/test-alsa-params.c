/* tests/unit/test-alsa-params.c — the ALSA driver's parameters: parsing
 * (jackd's flags, -C/-P with and without a device), validation with clear
 * messages, --help, and open's refusal of a device that does not exist
 * (the build machines have no sound card).
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

static const struct rill_driver_ops *alsa(void)
{
    const struct rill_driver_ops *ops = rill_driver_find("alsa");
    assert_non_null(ops);
    return ops;
}

/* Parse words (NULL-terminated) and convert; returns the first failure. */
static int conf(struct rill_alsa_config *ac, char *err, size_t errsize, char **words)
{
    struct rill_driver_config cfg;
    int argc = 0;
    while (words[argc])
        argc++;
    int r = rill_driver_params_parse(alsa(), argc, words, &cfg, err, errsize, NULL);
    if (r != 0)
        return r;
    return rill_alsa_config_from_params(&cfg, ac, err, errsize);
}

#define CONF(ac, err, ...) conf((ac), (err), sizeof(err), (char *[]){ __VA_ARGS__, NULL })

static void test_table(void **state)
{
    (void)state;
    assert_int_equal(alsa()->version, RILL_DRIVER_VERSION);
    const char *names[] = { "device", "capture", "playback", "rate", "period", "nperiods",
                            "inchannels", "outchannels", "shorts", "input-latency",
                            "output-latency", "dither", "no-monitor", "format",
                            "softmode", "monitor", "duplex", "midi-driver" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(rill_driver_param_index(alsa(), names[i]), (int)i);
}

static void test_defaults(void **state)
{
    (void)state;
    struct rill_alsa_config ac;
    char err[256];
    assert_int_equal(conf(&ac, err, sizeof err, (char *[]){ NULL }), 0);
    assert_string_equal(ac.capture_dev, "hw:0");
    assert_string_equal(ac.playback_dev, "hw:0");
    assert_int_equal(ac.rate, 48000);
    assert_int_equal(ac.period, 1024);
    assert_int_equal(ac.nperiods, 2);
    assert_int_equal(ac.in_channels, 0);
    assert_int_equal(ac.out_channels, 0);
    assert_int_equal(ac.format_forced, 0);
    assert_int_equal(ac.dither, RILL_DITHER_NONE);
}

static void test_jackd_flags(void **state)
{
    (void)state;
    struct rill_alsa_config ac;
    char err[256];
    assert_int_equal(CONF(&ac, err, "-d", "hw:Loopback,0", "-r", "44100", "-p", "64", "-n",
                          "3", "-i", "2", "-o", "4", "-I", "17", "-O", "33", "-z", "t", "-M"),
                     0);
    assert_string_equal(ac.capture_dev, "hw:Loopback,0");
    assert_string_equal(ac.playback_dev, "hw:Loopback,0");
    assert_int_equal(ac.rate, 44100);
    assert_int_equal(ac.period, 64);
    assert_int_equal(ac.nperiods, 3);
    assert_int_equal(ac.in_channels, 2);
    assert_int_equal(ac.out_channels, 4);
    assert_int_equal(ac.in_latency, 17);
    assert_int_equal(ac.out_latency, 33);
    assert_int_equal(ac.dither, RILL_DITHER_TRIANGULAR);
    assert_int_equal(CONF(&ac, err, "--dither=shaped", "-S"), 0);
    assert_int_equal(ac.dither, RILL_DITHER_SHAPED);
    assert_int_equal(ac.format_forced, 1);
    assert_int_equal(ac.format, RILL_SFMT_S16);
    assert_int_equal(CONF(&ac, err, "--format", "S24_3LE"), 0);
    assert_int_equal(ac.format_forced, 1);
    assert_int_equal(ac.format, RILL_SFMT_S24_3);
}

/* -C/-P: optional device; alone = one direction only. */
static void test_directions(void **state)
{
    (void)state;
    struct rill_alsa_config ac;
    char err[256];
    assert_int_equal(CONF(&ac, err, "-d", "hw:1", "-C"), 0);
    assert_string_equal(ac.capture_dev, "hw:1");
    assert_string_equal(ac.playback_dev, "");
    assert_int_equal(CONF(&ac, err, "-d", "hw:1", "-P", "-r", "96000"), 0);
    assert_string_equal(ac.capture_dev, "");
    assert_string_equal(ac.playback_dev, "hw:1");
    assert_int_equal(ac.rate, 96000);
    assert_int_equal(CONF(&ac, err, "-C", "hw:2,1", "-P", "hw:3"), 0);
    assert_string_equal(ac.capture_dev, "hw:2,1");
    assert_string_equal(ac.playback_dev, "hw:3");
    assert_int_equal(CONF(&ac, err, "-Chw:2", "--playback"), 0);
    assert_string_equal(ac.capture_dev, "hw:2");
    assert_string_equal(ac.playback_dev, "hw:0");
    assert_int_equal(CONF(&ac, err, "--capture=hw:Dummy", "-d", "hw:Loopback"), 0);
    assert_string_equal(ac.capture_dev, "hw:Dummy");
    assert_string_equal(ac.playback_dev, "");
}

static void test_refusals(void **state)
{
    (void)state;
    struct rill_alsa_config ac;
    char err[256];
    assert_int_equal(CONF(&ac, err, "-p", "100"), -EINVAL);
    assert_non_null(strstr(err, "period 100 is not allowed"));
    assert_non_null(strstr(err, "power of two from 16 to 8192"));
    assert_int_equal(CONF(&ac, err, "-n", "1"), -EINVAL);
    assert_non_null(strstr(err, "nperiods 1 is not allowed"));
    assert_int_equal(CONF(&ac, err, "-r", "fast"), -EINVAL);
    assert_non_null(strstr(err, "not a number"));
    assert_int_equal(CONF(&ac, err, "-z", "brown"), -EINVAL);
    assert_non_null(strstr(err, "none, triangular, shaped, rectangular"));
    /* jackd's flags as qjackctl sends them */
    assert_int_equal(CONF(&ac, err, "-z", "r"), 0);
    assert_int_equal(ac.dither, RILL_DITHER_RECTANGULAR);
    assert_int_equal(CONF(&ac, err, "-zs"), 0);
    assert_int_equal(ac.dither, RILL_DITHER_SHAPED);
    assert_int_equal(CONF(&ac, err, "-s", "-D", "-M"), 0);
    assert_int_equal(CONF(&ac, err, "-m"), -EINVAL);
    assert_non_null(strstr(err, "hardware input monitoring"));
    /* -X seq / raw are accepted here; rilld maps them to --midi (options.c) */
    assert_int_equal(CONF(&ac, err, "-Xseq"), 0);
    assert_int_equal(CONF(&ac, err, "-X", "raw"), 0);
    assert_int_equal(CONF(&ac, err, "-X", "usb"), -EINVAL);
    assert_int_equal(CONF(&ac, err, "-X", "none"), 0);
    assert_int_equal(CONF(&ac, err, "--format", "U8"), -EINVAL);
    assert_non_null(strstr(err, "S16_LE"));
    assert_int_equal(CONF(&ac, err, "-S", "--format", "S32_LE"), -EINVAL);
    assert_non_null(strstr(err, "contradict"));
    assert_int_equal(CONF(&ac, err, "-d", ""), -EINVAL);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(CONF(&ac, err, "-d", "hw:0 x"), -EINVAL);
    assert_non_null(strstr(err, "space or control"));
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(CONF(&ac, err, "-P", longname), -EINVAL);
    assert_non_null(strstr(err, "at most 127"));
    assert_int_equal(CONF(&ac, err, "-i", "257"), -EINVAL);
    assert_int_equal(CONF(&ac, err, "--bogus"), -EINVAL);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    assert_int_equal(CONF(&ac, err, "-M=1"), -EINVAL);

    /* a hand-made config is checked too */
    struct rill_driver_config cfg;
    assert_int_equal(rill_driver_params_parse(alsa(), 0, NULL, &cfg, err, sizeof err, NULL), 0);
    cfg.v[ALSA_P_PERIOD].u = 48;
    assert_int_equal(rill_alsa_config_from_params(&cfg, &ac, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "period 48"));
    assert_int_equal(rill_alsa_config_from_params(NULL, &ac, err, sizeof err), -EINVAL);
}

static void test_help(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct rill_driver_config cfg;
    char err[64];
    assert_int_equal(rill_driver_params_parse(alsa(), 1, (char *[]){ "--help", NULL }, &cfg,
                                              err, sizeof err, f), 1);
    fclose(f);
    assert_non_null(strstr(buf, "Parameters of driver alsa"));
    assert_non_null(strstr(buf, "-C, --capture [TEXT]"));
    assert_non_null(strstr(buf, "-n, --nperiods NUM"));
    assert_non_null(strstr(buf, "-z, --dither WORD"));
    assert_non_null(strstr(buf, "(default: hw:0)"));
    free(buf);
}

/* No sound card on a build machine: open names the device and the cards. */
static void test_open_missing_device(void **state)
{
    (void)state;
    struct rill_driver_config cfg;
    struct rill_driver *d = NULL;
    struct rill_driver_info info;
    char err[512];
    char *words[] = { "-d", "hw:RillNoSuchCard", NULL };
    assert_int_equal(rill_driver_params_parse(alsa(), 2, words, &cfg, err, sizeof err, NULL), 0);
    int r = alsa()->open(&cfg, &d, &info, err, sizeof err);
    assert_true(r < 0);
    assert_null(d);
    assert_non_null(strstr(err, "hw:RillNoSuchCard"));
    assert_non_null(strstr(err, "no such device"));
    assert_non_null(strstr(err, "sound cards present"));
    assert_int_equal(alsa()->open(NULL, &d, &info, err, sizeof err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_jackd_flags),
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_open_missing_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
