/* tests/unit/test-driver-params.c — driver parameter parsing and help, and a
 * short real run of the dummy driver.
 */
#include "drivers/driver.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define NS_PER_S 1000000000ull

static const struct rill_driver_ops *dummy(void)
{
    const struct rill_driver_ops *ops = rill_driver_find("dummy");
    assert_non_null(ops);
    return ops;
}

static int idx(const char *name)
{
    int i = rill_driver_param_index(dummy(), name);
    assert_true(i >= 0);
    return i;
}

/* Parse a NULL-terminated word list; returns what parse returned. */
static int parse_words(const struct rill_driver_ops *ops, struct rill_driver_config *cfg,
                       char *err, size_t errsize, FILE *out, char **words)
{
    int argc = 0;
    while (words[argc])
        argc++;
    return rill_driver_params_parse(ops, argc, words, cfg, err, errsize, out);
}

#define PARSE(cfg, err, ...) \
    parse_words(dummy(), (cfg), (err), sizeof(err), NULL, (char *[]){ __VA_ARGS__, NULL })

/* An error parse: -EINVAL, and each of the given words in the message. */
static void expect_error(char **words, const char *const *needles)
{
    struct rill_driver_config cfg;
    char err[256] = "";
    int r = parse_words(dummy(), &cfg, err, sizeof err, NULL, words);
    assert_int_equal(r, -EINVAL);
    for (size_t i = 0; needles[i]; i++) {
        if (!strstr(err, needles[i]))
            fail_msg("error \"%s\" does not mention \"%s\"", err, needles[i]);
    }
}

#define EXPECT_ERROR(words, ...) \
    expect_error((char *[]){ words, NULL }, (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_ERROR2(w1, w2, ...) \
    expect_error((char *[]){ w1, w2, NULL }, (const char *const[]){ __VA_ARGS__, NULL })

static void test_find(void **state)
{
    (void)state;
    assert_non_null(rill_driver_find("dummy"));
    assert_null(rill_driver_find("nope"));
    assert_null(rill_driver_find(NULL));
    assert_int_equal(dummy()->version, RILL_DRIVER_VERSION);
    assert_int_equal(rill_driver_param_index(dummy(), "rate"), 0);
    assert_int_equal(rill_driver_param_index(dummy(), "nope"), -1);
    assert_int_equal(rill_driver_param_index(NULL, "rate"), -1);
}

static void test_defaults(void **state)
{
    (void)state;
    struct rill_driver_config cfg;
    char err[256] = "x";
    assert_int_equal(rill_driver_params_parse(dummy(), 0, NULL, &cfg, err, sizeof err, NULL), 0);
    assert_string_equal(err, "");
    assert_int_equal(cfg.v[idx("rate")].u, 48000);
    assert_int_equal(cfg.v[idx("period")].u, 256);
    assert_int_equal(cfg.v[idx("capture")].u, 2);
    assert_int_equal(cfg.v[idx("playback")].u, 2);
    assert_int_equal(cfg.v[idx("rate")].set, 0);
    assert_int_equal(cfg.v[idx("period")].set, 0);
    assert_string_equal(cfg.v[idx("rate")].s, "48000");
}

static void test_forms(void **state)
{
    (void)state;
    struct rill_driver_config cfg;
    char err[256];

    assert_int_equal(PARSE(&cfg, err, "-r", "44100", "-p128", "--capture", "4",
                           "--playback=0"), 0);
    assert_int_equal(cfg.v[idx("rate")].u, 44100);
    assert_int_equal(cfg.v[idx("rate")].set, 1);
    assert_string_equal(cfg.v[idx("rate")].s, "44100");
    assert_int_equal(cfg.v[idx("period")].u, 128);
    assert_int_equal(cfg.v[idx("period")].set, 1);
    assert_int_equal(cfg.v[idx("capture")].u, 4);
    assert_int_equal(cfg.v[idx("playback")].u, 0);
    assert_int_equal(cfg.v[idx("playback")].set, 1);

    assert_int_equal(PARSE(&cfg, err, "--rate", "96000", "-C", "0", "-P8", "--period=16"), 0);
    assert_int_equal(cfg.v[idx("rate")].u, 96000);
    assert_int_equal(cfg.v[idx("capture")].u, 0);
    assert_int_equal(cfg.v[idx("playback")].u, 8);
    assert_int_equal(cfg.v[idx("period")].u, 16);

    /* limits are inclusive, leading zeros are still decimal, last one wins */
    assert_int_equal(PARSE(&cfg, err, "-r", "8000", "-p", "8192", "-C", "256", "-r0384000"), 0);
    assert_int_equal(cfg.v[idx("rate")].u, 384000);
    assert_int_equal(cfg.v[idx("period")].u, 8192);
    assert_int_equal(cfg.v[idx("capture")].u, 256);
    /* unset ones keep their default and set == 0 */
    assert_int_equal(cfg.v[idx("playback")].u, 2);
    assert_int_equal(cfg.v[idx("playback")].set, 0);
}

/* A table with BOOL, ENUM and STRING parameters. */
static const char *const fmt_choices[] = { "s16", "s24", "float", NULL };
static const struct rill_param test_params[] = {
    { .name = "device", .short_opt = 'd', .type = RILL_PARAM_STRING, .def = "hw:0",
      .help = "device name" },
    { .name = "monitor", .short_opt = 'm', .type = RILL_PARAM_BOOL, .help = "monitor" },
    { .name = "softmode", .short_opt = 's', .type = RILL_PARAM_BOOL, .help = "soft mode" },
    { .name = "format", .short_opt = 'f', .type = RILL_PARAM_ENUM, .def = "float",
      .choices = fmt_choices, .help = "sample format" },
    { .name = "nperiods", .short_opt = 'n', .type = RILL_PARAM_UINT, .def = "2", .min = 2,
      .max = 8, .help = "periods in the buffer" },
    { .name = "verbose", .type = RILL_PARAM_BOOL, .def = "1", .help = "talk" },
    { .name = NULL },
};
static const struct rill_driver_ops test_ops = {
    .version = RILL_DRIVER_VERSION, .name = "testdrv", .description = "a test table",
    .params = test_params, .nparams = 6,
};

static void test_types(void **state)
{
    (void)state;
    struct rill_driver_config cfg;
    char err[256];
    char *w1[] = { "-d", "hw:1,0", "-m", "--format", "s24", NULL };
    assert_int_equal(parse_words(&test_ops, &cfg, err, sizeof err, NULL, w1), 0);
    assert_string_equal(cfg.v[0].s, "hw:1,0");
    assert_int_equal(cfg.v[1].u, 1);
    assert_int_equal(cfg.v[1].set, 1);
    assert_int_equal(cfg.v[2].u, 0);
    assert_int_equal(cfg.v[2].set, 0);
    assert_int_equal(cfg.v[3].u, 1); /* s24 */
    assert_int_equal(cfg.v[4].u, 2); /* default */
    assert_int_equal(cfg.v[5].u, 1); /* BOOL default "1" */
    assert_int_equal(cfg.v[5].set, 0);

    /* grouped flags, a flag followed by a value option, --name forms */
    char *w2[] = { "-ms", "-msn4", "--device=hw:2", "-fs16", "--softmode", NULL };
    assert_int_equal(parse_words(&test_ops, &cfg, err, sizeof err, NULL, w2), 0);
    assert_int_equal(cfg.v[1].u, 1);
    assert_int_equal(cfg.v[2].u, 1);
    assert_int_equal(cfg.v[4].u, 4);
    assert_string_equal(cfg.v[0].s, "hw:2");
    assert_int_equal(cfg.v[3].u, 0);
    assert_int_equal(cfg.v[3].set, 1);

    /* defaults */
    assert_int_equal(parse_words(&test_ops, &cfg, err, sizeof err, NULL, (char *[]){ NULL }), 0);
    assert_string_equal(cfg.v[0].s, "hw:0");
    assert_int_equal(cfg.v[3].u, 2); /* float */

    /* an enum value not in choices lists them */
    char *w3[] = { "-f", "s32", NULL };
    assert_int_equal(parse_words(&test_ops, &cfg, err, sizeof err, NULL, w3), -EINVAL);
    assert_non_null(strstr(err, "format 's32' is not allowed"));
    assert_non_null(strstr(err, "s16, s24, float"));

    /* a flag given a value */
    char *w4[] = { "--monitor=yes", NULL };
    assert_int_equal(parse_words(&test_ops, &cfg, err, sizeof err, NULL, w4), -EINVAL);
    assert_non_null(strstr(err, "--monitor"));
    assert_non_null(strstr(err, "takes no value"));
}

static void test_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("--foo", "unknown option '--foo'", "driver dummy", "rilld -d dummy --help");
    EXPECT_ERROR("--foo=3", "unknown option '--foo'", "rilld -d dummy --help");
    EXPECT_ERROR("-x", "unknown option '-x'", "driver dummy");
    EXPECT_ERROR("-", "unknown option '-'");
    EXPECT_ERROR("--", "unknown option '--'");
    EXPECT_ERROR("--rat", "unknown option '--rat'");
    EXPECT_ERROR("-r", "'-r'", "rate", "needs a value", "8000", "384000");
    EXPECT_ERROR("--period", "'--period'", "needs a value", "power of two", "16", "8192");
    EXPECT_ERROR2("-r", "abc", "rate 'abc' is not a number", "8000 to 384000");
    EXPECT_ERROR2("-r", "", "rate '' is not a number");
    EXPECT_ERROR("--rate=", "rate '' is not a number");
    EXPECT_ERROR2("-r", "+48000", "not a number");
    EXPECT_ERROR2("-r", "-48000", "not a number");
    EXPECT_ERROR2("-r", "48000x", "'48000x' is not a number");
    EXPECT_ERROR2("-r", " 48000", "not a number");
    EXPECT_ERROR2("-r", "0x100", "not a number");
    EXPECT_ERROR2("-r", "4294967296", "rate 4294967296 is too large", "8000 to 384000");
    EXPECT_ERROR2("-r", "99999999999999999999", "too large");
    EXPECT_ERROR2("-r", "4294967295", "rate 4294967295 is not allowed", "8000 to 384000");
    EXPECT_ERROR2("-r", "7999", "rate 7999 is not allowed", "from 8000 to 384000");
    EXPECT_ERROR2("-r", "384001", "rate 384001 is not allowed");
    EXPECT_ERROR2("-p", "100",
                  "period 100 is not allowed: use a power of two from 16 to 8192");
    EXPECT_ERROR2("-p", "8", "period 8 is not allowed", "power of two");
    EXPECT_ERROR2("-p", "16384", "period 16384 is not allowed", "power of two");
    EXPECT_ERROR2("-p", "0", "period 0 is not allowed");
    EXPECT_ERROR2("-C", "257", "capture 257 is not allowed", "0 to 256");
    EXPECT_ERROR("stray", "unexpected word 'stray'", "driver dummy", "--help");
}

/* Valid input next to bad input, and hostile err buffers and arguments. */
static void test_error_helper_sanity(void **state)
{
    (void)state;
    struct rill_driver_config cfg;
    char err[256];
    assert_int_equal(PARSE(&cfg, err, "-r", "48000"), 0);
    /* a stray word after a good option */
    assert_int_equal(PARSE(&cfg, err, "-r", "48000", "oops"), -EINVAL);
    assert_non_null(strstr(err, "'oops'"));
    /* tiny and absent error buffers never overflow or crash */
    char small[8];
    assert_int_equal(parse_words(dummy(), &cfg, small, sizeof small, NULL,
                                 (char *[]){ "--foo", NULL }), -EINVAL);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(parse_words(dummy(), &cfg, NULL, 0, NULL, (char *[]){ "--foo", NULL }),
                     -EINVAL);
    assert_int_equal(rill_driver_params_parse(NULL, 0, NULL, &cfg, err, sizeof err, NULL),
                     -EINVAL);
    assert_int_equal(rill_driver_params_parse(dummy(), 0, NULL, NULL, err, sizeof err, NULL),
                     -EINVAL);
}

static char *capture_help(const struct rill_driver_ops *ops, char **words, int *ret)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct rill_driver_config cfg;
    char err[256];
    if (words)
        *ret = parse_words(ops, &cfg, err, sizeof err, f, words);
    else
        rill_driver_params_help(ops, f);
    fclose(f);
    return buf;
}

static void test_help(void **state)
{
    (void)state;
    int ret = 0;
    char *h = capture_help(dummy(), (char *[]){ "-r", "44100", "--help", NULL }, &ret);
    assert_int_equal(ret, 1);
    assert_non_null(strstr(h, "Parameters of driver dummy (timer-paced, no sound card):\n"));
    assert_non_null(strstr(h, "\n  -r, --rate NUM      sample rate in Hz, 8000..384000 "
                              "(default: 48000)\n"));
    assert_non_null(strstr(h, "\n  -p, --period NUM    frames per period, power of two, "
                              "16..8192 (default: 256)\n"));
    assert_non_null(strstr(h, "\n  -C, --capture NUM   capture channels, 0..256 "
                              "(default: 2)\n"));
    assert_non_null(strstr(h, "\n  -P, --playback NUM  playback channels, 0..256 "
                              "(default: 2)\n"));
    assert_non_null(strstr(h, "\n  -h, --help          show this help\n"));
    free(h);

    h = capture_help(dummy(), (char *[]){ "-h", NULL }, &ret);
    assert_int_equal(ret, 1);
    assert_non_null(strstr(h, "--rate"));
    free(h);

    /* every option of a richer table, its choices and defaults */
    h = capture_help(&test_ops, NULL, NULL);
    assert_non_null(strstr(h, "Parameters of driver testdrv (a test table):"));
    assert_non_null(strstr(h, "  -d, --device TEXT"));
    assert_non_null(strstr(h, "device name (default: hw:0)"));
    assert_non_null(strstr(h, "  -m, --monitor "));
    assert_non_null(strstr(h, "sample format, one of: s16, s24, float (default: float)"));
    assert_non_null(strstr(h, "periods in the buffer, 2..8 (default: 2)"));
    assert_non_null(strstr(h, "      --verbose"));
    assert_non_null(strstr(h, "talk (default: on)"));
    /* aligned: every description starts in the same column */
    const char *col = strstr(h, "device name");
    const char *line = col;
    while (line > h && line[-1] != '\n')
        line--;
    size_t width = (size_t)(col - line);
    const char *talk = strstr(h, "talk");
    line = talk;
    while (line > h && line[-1] != '\n')
        line--;
    assert_int_equal((size_t)(talk - line), width);
    free(h);
}

/* ---- the dummy driver, for real */

static struct rill_driver *open_dummy(uint32_t rate, uint32_t period,
                                      struct rill_driver_info *info)
{
    struct rill_driver_config cfg;
    char err[256];
    char r[16], p[16];
    snprintf(r, sizeof r, "%u", rate);
    snprintf(p, sizeof p, "%u", period);
    assert_int_equal(PARSE(&cfg, err, "-r", r, "-p", p), 0);
    struct rill_driver *d = NULL;
    assert_int_equal(dummy()->open(&cfg, &d, info, err, sizeof err), 0);
    assert_non_null(d);
    return d;
}

static uint64_t frame_ns(uint64_t frames, uint32_t rate)
{
    return (uint64_t)((unsigned __int128)frames * NS_PER_S / rate);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void test_dummy_open(void **state)
{
    (void)state;
    struct rill_driver_info info;
    struct rill_driver *d = open_dummy(48000, 256, &info);
    assert_int_equal(info.rate, 48000);
    assert_int_equal(info.period, 256);
    assert_int_equal(info.nperiods, 2);
    assert_int_equal(info.capture_channels, 2);
    assert_int_equal(info.playback_channels, 2);
    assert_int_equal(info.capture_latency, 256);
    assert_int_equal(info.playback_latency, 256);
    assert_string_equal(info.capture_alias, "");
    assert_string_equal(info.playback_alias, "");

    /* read writes silence, write accepts NULL (silent) buffers */
    float a[256], b[256];
    for (int i = 0; i < 256; i++)
        a[i] = b[i] = 1.0f;
    float *bufs[2] = { a, b };
    assert_int_equal(dummy()->read(d, bufs, 2, 256), 0);
    for (int i = 0; i < 256; i++)
        assert_true(a[i] == 0.0f && b[i] == 0.0f);
    const float *wbufs[2] = { a, NULL };
    assert_int_equal(dummy()->write(d, wbufs, 2, 256), 0);
    assert_int_equal(dummy()->read(d, bufs, 3, 256), -EINVAL);
    assert_int_equal(dummy()->read(d, bufs, 2, 512), -EINVAL);
    /* wait before start is refused, not a hang */
    struct rill_driver_wait w;
    assert_int_equal(dummy()->wait(d, &w), -EINVAL);
    dummy()->close(d);

    /* open refuses a config that did not come from the parser */
    struct rill_driver_config cfg;
    char err[256];
    memset(&cfg, 0, sizeof cfg);
    cfg.v[idx("rate")].u = 48000;
    cfg.v[idx("period")].u = 100;
    d = NULL;
    assert_int_equal(dummy()->open(&cfg, &d, &info, err, sizeof err), -EINVAL);
    assert_null(d);
    assert_non_null(strstr(err, "period 100 is not allowed"));
}

static void test_dummy_run(void **state)
{
    (void)state;
    const uint32_t rate = 48000, period = 256;
    const uint64_t period_ns = frame_ns(period, rate);
    struct rill_driver_info info;
    struct rill_driver *d = open_dummy(rate, period, &info);
    struct rill_driver_wait w;

    uint64_t before = mono_ns();
    assert_int_equal(dummy()->start(d), 0);
    assert_int_equal(dummy()->wait(d, &w), 0);
    /* the first period begins one period after start */
    assert_true(w.wake_ns >= before + period_ns);
    if (w.skipped == 0)
        assert_true(w.wake_ns < before + period_ns + 20000000ull);
    uint64_t k = 1 + w.skipped;          /* periods since t0 */
    uint64_t t0 = w.wake_ns - frame_ns(k * period, rate);
    uint64_t first = w.wake_ns;
    uint64_t k_first = k;
    uint64_t last_wait = mono_ns();
    uint64_t total_skipped = w.skipped;

    for (int i = 0; i < 20; i++) {
        assert_int_equal(dummy()->wait(d, &w), 0);
        uint64_t now = mono_ns();
        k += 1 + w.skipped;
        total_skipped += w.skipped;
        /* exact, from the frame formula */
        assert_int_equal(w.wake_ns - first,
                         frame_ns(k * period, rate) - frame_ns(k_first * period, rate));
        assert_int_equal(w.wake_ns, t0 + frame_ns(k * period, rate));
        assert_int_equal(w.next_ns, t0 + frame_ns((k + 1) * period, rate));
        assert_true(now >= w.wake_ns);
        assert_true(w.delay_ns <= now - w.wake_ns);
        /* loose: about a period between waits (never a tight timing check) */
        if (w.skipped == 0)
            assert_true(now - last_wait < period_ns + 20000000ull);
        last_wait = now;
    }
    if (total_skipped)
        print_message("note: %llu periods skipped during the run (loaded machine?)\n",
                      (unsigned long long)total_skipped);

    /* force an xrun: sleep 3 periods between two waits */
    struct timespec ts = { 0, (long)(3 * period_ns) };
    nanosleep(&ts, NULL);
    assert_int_equal(dummy()->wait(d, &w), 0);
    assert_true(w.skipped >= 2);
    k += 1 + w.skipped;
    assert_int_equal(w.wake_ns, t0 + frame_ns(k * period, rate));
    /* skipped to the last boundary passed: less than one period late (a
     * period is 5333333 or 5333334 ns) */
    assert_true(w.delay_ns <= period_ns + 1);
    assert_true(w.next_ns > w.wake_ns);
    /* and the run goes on regularly */
    assert_int_equal(dummy()->wait(d, &w), 0);
    k += 1 + w.skipped;
    assert_int_equal(w.wake_ns, t0 + frame_ns(k * period, rate));

    assert_int_equal(dummy()->stop(d), 0);
    assert_int_equal(dummy()->wait(d, &w), -EINVAL);
    /* restart works, with a new frame 0 */
    before = mono_ns();
    assert_int_equal(dummy()->start(d), 0);
    assert_int_equal(dummy()->wait(d, &w), 0);
    assert_true(w.wake_ns >= before + period_ns * (1 + w.skipped));
    assert_int_equal(dummy()->stop(d), 0);
    dummy()->close(d);
}

/* a rate whose period is not a whole number of ns: exact, no drift */
static void test_dummy_odd_rate(void **state)
{
    (void)state;
    struct rill_driver_info info;
    struct rill_driver *d = open_dummy(44100, 64, &info);
    struct rill_driver_wait w;
    assert_int_equal(dummy()->start(d), 0);
    assert_int_equal(dummy()->wait(d, &w), 0);
    uint64_t k = 1 + w.skipped;
    uint64_t t0 = w.wake_ns - frame_ns(k * 64, 44100);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(dummy()->wait(d, &w), 0);
        k += 1 + w.skipped;
        assert_int_equal(w.wake_ns, t0 + frame_ns(k * 64, 44100));
    }
    dummy()->stop(d);
    dummy()->close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_helper_sanity),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_dummy_open),
        cmocka_unit_test(test_dummy_run),
        cmocka_unit_test(test_dummy_odd_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
