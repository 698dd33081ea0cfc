/* tests/unit/test-alsa-resample.c — the ALSA bridge's resampler wrapper
 * (clients/alsa/resample.h): a 1 kHz sine converted between common rates,
 * fed in uneven chunks as the realtime side feeds it, keeps its frequency
 * (within 0.01 Hz) and its level, and its error against the ideal sine
 * (least-squares fit) is at least 70 dB below it; the frame counts add up.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clients/alsa/resample.h"

#define PI 3.14159265358979323846

/* Convert 2 s of a 1 kHz sine (2 channels) from in to out Hz; returns the
 * output's SNR in dB against the best-fitting 1 kHz sine and its amplitude
 * and frequency (zero crossings). */
static double convert(uint32_t in_rate, uint32_t out_rate, double *amp, double *freq)
{
    struct rill_resampler *rs;
    assert_int_equal(rill_resampler_new(&rs, 2, in_rate, out_rate, RILL_RESAMPLER_QUALITY), 0);
    uint32_t nin = in_rate * 2, nout_max = out_rate * 2 + 1024, nout = 0;
    float *in = malloc(sizeof(float) * nin * 2), *out = malloc(sizeof(float) * nout_max * 2);
    assert_non_null(in);
    assert_non_null(out);
    for (uint32_t i = 0; i < nin; i++)
        in[2 * i] = in[2 * i + 1] = (float)(0.5 * sin(2 * PI * 1000.0 * i / in_rate));
    uint32_t used = 0, chunk = 1;
    while (used < nin) {
        uint32_t il = nin - used < chunk ? nin - used : chunk, ol = 256;
        if (ol > nout_max - nout)
            ol = nout_max - nout;
        rill_resampler_process(rs, in + 2 * used, &il, out + 2 * nout, &ol);
        used += il;
        nout += ol;
        chunk = chunk * 7 % 509 + 1;
        if (il == 0 && ol == 0)
            break;
    }
    assert_int_equal(used, nin);
    /* frames out = frames in * ratio, less what the filter holds */
    double want = (double)nin * out_rate / in_rate;
    double held = (double)rill_resampler_latency(rs) * out_rate / in_rate;
    assert_true(fabs((double)nout - want) <= held + 2);
    /* fit a*sin + b*cos at 1 kHz over the middle, channel 2 */
    uint32_t a0 = out_rate / 4, a1 = nout - out_rate / 4;
    double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
    for (uint32_t i = a0; i < a1; i++) {
        double t = 2 * PI * 1000.0 * i / out_rate, s = sin(t), c = cos(t), y = out[2 * i + 1];
        ss += s * s;
        sc += s * c;
        cc += c * c;
        ys += y * s;
        yc += y * c;
    }
    double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    double sig = 0, err = 0;
    int crossings = 0;
    double first = -1, last = -1;
    for (uint32_t i = a0; i < a1; i++) {
        double t = 2 * PI * 1000.0 * i / out_rate, fit = a * sin(t) + b * cos(t);
        double y = out[2 * i + 1], e = y - fit;
        sig += fit * fit;
        err += e * e;
        if (i > a0 && out[2 * i - 1] < 0 && y >= 0) {
            double x = (i - 1) + out[2 * i - 1] / (out[2 * i - 1] - y);
            if (first < 0)
                first = x;
            last = x;
            crossings++;
        }
    }
    *amp = sqrt(a * a + b * b);
    *freq = (crossings - 1) / ((last - first) / out_rate);
    free(in);
    free(out);
    rill_resampler_free(rs);
    return 10 * log10(sig / err);
}

static void test_rates(void **state)
{
    (void)state;
    static const uint32_t pairs[][2] = {
        { 44100, 48000 }, { 48000, 44100 }, { 22050, 48000 }, { 96000, 48000 },
        { 8000, 48000 },  { 48000, 16000 }, { 384000, 48000 },
    };
    for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
        double amp, freq;
        double snr = convert(pairs[k][0], pairs[k][1], &amp, &freq);
        print_message("%u -> %u Hz: snr %.1f dB, amplitude %.5f, %.4f Hz\n", pairs[k][0],
                      pairs[k][1], snr, amp, freq);
        assert_true(snr >= 70.0);
        assert_true(fabs(amp - 0.5) < 0.005);
        assert_true(fabs(freq - 1000.0) < 0.01);
    }
}

static void test_bad_args(void **state)
{
    (void)state;
    struct rill_resampler *rs = NULL;
    assert_int_equal(rill_resampler_new(&rs, 0, 44100, 48000, 5), -22);
    assert_int_equal(rill_resampler_new(&rs, 65, 44100, 48000, 5), -22);
    assert_int_equal(rill_resampler_new(&rs, 2, 0, 48000, 5), -22);
    assert_int_equal(rill_resampler_new(&rs, 2, 44100, 48000, 11), -22);
    assert_null(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
