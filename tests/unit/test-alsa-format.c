/* tests/unit/test-alsa-format.c — the ALSA driver's sample conversion:
 * every format both ways, exact round trips, scaling, clipping, strides
 * (interleaved), little-endian layout, and dither statistics.
 */
#include "drivers/alsa/alsa_format.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const uint32_t bits_of[RILL_SFMT_COUNT] = { 16, 24, 24, 32, 0 };

/* Store v as a little-endian sample of format f at p. */
static void put(enum rill_sfmt f, uint8_t *p, int32_t v)
{
    size_t n = rill_sfmt_bytes(f);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((uint32_t)v >> (8 * i));
}

/* Read an integer sample back (sign-extended from its bits). */
static int32_t get(enum rill_sfmt f, const uint8_t *p)
{
    uint32_t v = 0;
    size_t n = f == RILL_SFMT_S24 ? 3 : rill_sfmt_bytes(f);
    for (size_t i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    if (bits_of[f] == 24)
        return (int32_t)(v << 8) >> 8;
    if (bits_of[f] == 16)
        return (int16_t)v;
    return (int32_t)v;
}

static void test_names(void **state)
{
    (void)state;
    enum rill_sfmt f;
    assert_int_equal(rill_sfmt_bytes(RILL_SFMT_S16), 2);
    assert_int_equal(rill_sfmt_bytes(RILL_SFMT_S24_3), 3);
    assert_int_equal(rill_sfmt_bytes(RILL_SFMT_S24), 4);
    assert_int_equal(rill_sfmt_bytes(RILL_SFMT_S32), 4);
    assert_int_equal(rill_sfmt_bytes(RILL_SFMT_FLOAT), 4);
    assert_int_equal(rill_sfmt_bytes(RILL_SFMT_COUNT), 0);
    for (int i = 0; i < RILL_SFMT_COUNT; i++) {
        assert_int_equal(rill_sfmt_parse(rill_sfmt_name((enum rill_sfmt)i), &f), 0);
        assert_int_equal(f, i);
    }
    assert_int_equal(rill_sfmt_parse("s24_3le", &f), 0);
    assert_int_equal(f, RILL_SFMT_S24_3);
    assert_int_equal(rill_sfmt_parse("U8", &f), -EINVAL);
    assert_string_equal(rill_sfmt_name(RILL_SFMT_COUNT), "?");
}

/* Every 16-bit value, and a sweep of 24-bit values, survive int -> float ->
 * int exactly; the float is v / 2^(bits-1). */
static void round_trip(enum rill_sfmt f, int32_t lo, int32_t hi, int32_t step)
{
    const size_t bytes = rill_sfmt_bytes(f);
    const double scale = ldexp(1.0, -(int)(bits_of[f] - 1));
    uint8_t in[4 * 64], out[4 * 64];
    float fl[64];

    for (int64_t v0 = lo; v0 <= hi; v0 += (int64_t)step * 64) {
        uint32_t n = 0;
        for (int64_t v = v0; v <= hi && n < 64; v += step, n++)
            put(f, in + n * bytes, (int32_t)v);
        rill_sfmt_to_float(f, in, bytes, fl, n);
        for (uint32_t i = 0; i < n; i++)
            assert_true((double)fl[i] == (double)get(f, in + i * bytes) * scale);
        memset(out, 0xaa, sizeof out);
        rill_sfmt_from_float(f, fl, out, bytes, n, RILL_DITHER_NONE, NULL);
        assert_memory_equal(in, out, n * bytes);
    }
}

static void test_round_trip_s16(void **state)
{
    (void)state;
    round_trip(RILL_SFMT_S16, -32768, 32767, 1);
}

static void test_round_trip_s24(void **state)
{
    (void)state;
    round_trip(RILL_SFMT_S24_3, -8388608, 8388607, 7);
    round_trip(RILL_SFMT_S24, -8388608, 8388607, 7);
    round_trip(RILL_SFMT_S24_3, -300, 300, 1);
    round_trip(RILL_SFMT_S24, 8388600, 8388607, 1);
}

/* S32: exact for 24 significant bits (multiples of 256), else within the
 * float's precision. */
static void test_round_trip_s32(void **state)
{
    (void)state;
    round_trip(RILL_SFMT_S32, INT32_MIN, INT32_MAX - 255, 256 * 4099);
    int32_t odd[] = { 123456789, -123456789, INT32_MAX, INT32_MIN + 1, 1, -1 };
    uint8_t buf[4];
    float fl;
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        put(RILL_SFMT_S32, buf, odd[i]);
        rill_sfmt_to_float(RILL_SFMT_S32, buf, 4, &fl, 1);
        rill_sfmt_from_float(RILL_SFMT_S32, &fl, buf, 4, 1, RILL_DITHER_NONE, NULL);
        double back = get(RILL_SFMT_S32, buf);
        assert_true(fabs(back - odd[i]) <= fabs((double)odd[i]) / 8388608.0 + 1.0);
    }
}

/* Exact values at known points, and little-endian byte layout. */
static void test_scaling_and_layout(void **state)
{
    (void)state;
    const float in[4] = { 0.5f, -0.5f, -1.0f, 0.25f };
    uint8_t b[16];

    rill_sfmt_from_float(RILL_SFMT_S16, in, b, 2, 4, RILL_DITHER_NONE, NULL);
    const uint8_t s16[8] = { 0x00, 0x40, 0x00, 0xc0, 0x00, 0x80, 0x00, 0x20 };
    assert_memory_equal(b, s16, 8);

    rill_sfmt_from_float(RILL_SFMT_S24_3, in, b, 3, 4, RILL_DITHER_NONE, NULL);
    const uint8_t s243[12] = { 0, 0, 0x40, 0, 0, 0xc0, 0, 0, 0x80, 0, 0, 0x20 };
    assert_memory_equal(b, s243, 12);

    rill_sfmt_from_float(RILL_SFMT_S24, in, b, 4, 4, RILL_DITHER_NONE, NULL);
    const uint8_t s24[16] = { 0, 0, 0x40, 0, 0, 0, 0xc0, 0xff, 0, 0, 0x80, 0xff, 0, 0, 0x20, 0 };
    assert_memory_equal(b, s24, 16);

    rill_sfmt_from_float(RILL_SFMT_S32, in, b, 4, 4, RILL_DITHER_NONE, NULL);
    const uint8_t s32[16] = { 0, 0, 0, 0x40, 0, 0, 0, 0xc0, 0, 0, 0, 0x80, 0, 0, 0, 0x20 };
    assert_memory_equal(b, s32, 16);

    /* S24_LE capture ignores the top byte */
    const uint8_t junk[4] = { 0x00, 0x00, 0x40, 0x7f };
    float f;
    rill_sfmt_to_float(RILL_SFMT_S24, junk, 4, &f, 1);
    assert_true(f == 0.5f);

    /* FLOAT_LE: bit-exact both ways, no clipping */
    const float fl[3] = { 1.5f, -0.123456789f, -2.0f };
    float back[3];
    rill_sfmt_from_float(RILL_SFMT_FLOAT, fl, b, 4, 3, RILL_DITHER_TRIANGULAR, NULL);
    assert_int_equal(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24, 0x3fc00000u);
    rill_sfmt_to_float(RILL_SFMT_FLOAT, b, 4, back, 3);
    assert_memory_equal(fl, back, sizeof fl);
}

/* Out-of-range floats clip to the format's limits; NaN plays as 0. */
static void test_clipping(void **state)
{
    (void)state;
    const float in[6] = { 1.0f, 2.0f, 1e30f, -1.0f, -7.0f, NAN };
    uint8_t b[6 * 4];
    for (int f = 0; f < RILL_SFMT_FLOAT; f++) {
        size_t n = rill_sfmt_bytes((enum rill_sfmt)f);
        int32_t max = bits_of[f] == 32 ? INT32_MAX : (int32_t)((1u << (bits_of[f] - 1)) - 1);
        int32_t min = -max - 1;
        for (int d = RILL_DITHER_NONE; d <= RILL_DITHER_SHAPED; d++) {
            struct rill_dither_state st;
            rill_dither_init(&st, 7);
            rill_sfmt_from_float((enum rill_sfmt)f, in, b, n, 6, (enum rill_dither)d, &st);
            assert_int_equal(get((enum rill_sfmt)f, b + 0 * n), max);
            assert_int_equal(get((enum rill_sfmt)f, b + 1 * n), max);
            assert_int_equal(get((enum rill_sfmt)f, b + 2 * n), max);
            assert_true(get((enum rill_sfmt)f, b + 3 * n) <= min + 1);
            assert_int_equal(get((enum rill_sfmt)f, b + 4 * n), min);
            assert_true(abs(get((enum rill_sfmt)f, b + 5 * n)) <= 1);
        }
    }
}

/* Interleaved: a stride larger than the sample leaves the other channels
 * alone; NULL source writes silence. */
static void test_stride_and_silence(void **state)
{
    (void)state;
    uint8_t frame[3 * 2 * 5]; /* 5 frames of 2 channels, S24_3LE */
    float l[5] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f }, back[5];
    memset(frame, 0x55, sizeof frame);
    rill_sfmt_from_float(RILL_SFMT_S24_3, l, frame, 6, 5, RILL_DITHER_NONE, NULL);
    for (int i = 0; i < 5; i++)
        for (int k = 3; k < 6; k++)
            assert_int_equal(frame[i * 6 + k], 0x55);
    rill_sfmt_to_float(RILL_SFMT_S24_3, frame, 6, back, 5);
    for (int i = 0; i < 5; i++)
        assert_true(fabsf(back[i] - l[i]) <= 1.0f / 8388608.0f);
    rill_sfmt_from_float(RILL_SFMT_S24_3, NULL, frame + 3, 6, 5, RILL_DITHER_NONE, NULL);
    for (int i = 0; i < 5; i++)
        for (int k = 3; k < 6; k++)
            assert_int_equal(frame[i * 6 + k], 0);
}

#define NS 200000

/* Dither statistics on S16: a constant of 0.3 LSB. Without dither it
 * always plays 0; with TPDF the mean is 0.3 LSB, values stay within +-1 LSB
 * of the input, the error variance is 1/4 LSB^2 (1/12 + 2/12); shaped has
 * the same mean and a lag-1 error correlation near -1/2 (noise transfer
 * 1 - z^-1: its noise is at high frequencies). */
static void dither_stats(enum rill_dither d, double *mean, double *var, double *rho1, int *lo,
                         int *hi)
{
    static float in[NS];
    static int16_t out[NS];
    struct rill_dither_state st;
    rill_dither_init(&st, 12345);
    for (int i = 0; i < NS; i++)
        in[i] = 0.3f / 32768.0f;
    rill_sfmt_from_float(RILL_SFMT_S16, in, out, 2, NS, d, &st);
    double s = 0, s2 = 0, c1 = 0;
    *lo = 1 << 20;
    *hi = -(1 << 20);
    for (int i = 0; i < NS; i++) {
        s += out[i];
        if (out[i] < *lo)
            *lo = out[i];
        if (out[i] > *hi)
            *hi = out[i];
    }
    *mean = s / NS;
    for (int i = 0; i < NS; i++) {
        double e = out[i] - *mean;
        s2 += e * e;
        if (i)
            c1 += e * (out[i - 1] - *mean);
    }
    *var = s2 / NS;
    *rho1 = c1 / s2;
}

static void test_dither_none(void **state)
{
    (void)state;
    double m, v, r;
    int lo, hi;
    dither_stats(RILL_DITHER_NONE, &m, &v, &r, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 0);
}

static void test_dither_triangular(void **state)
{
    (void)state;
    double m, v, r;
    int lo, hi;
    dither_stats(RILL_DITHER_TRIANGULAR, &m, &v, &r, &lo, &hi);
    assert_true(fabs(m - 0.3) < 0.01);
    assert_true(lo >= -1 && hi <= 1);
    /* TPDF of +-1 LSB, quantised: the output's variance is 1/4 LSB^2 */
    assert_true(fabs(v - 0.25) < 0.02);
    assert_true(fabs(r) < 0.02); /* white */
}

static void test_dither_shaped(void **state)
{
    (void)state;
    double m, v, r;
    int lo, hi;
    dither_stats(RILL_DITHER_SHAPED, &m, &v, &r, &lo, &hi);
    assert_true(fabs(m - 0.3) < 0.01);
    assert_true(lo >= -3 && hi <= 3);
    assert_true(r < -0.3); /* noise pushed to high frequencies */
}

/* jackd's -z r: one uniform of 1 LSB peak to peak. Over a constant 0.3
 * LSB the output is 1 with probability 0.3, else 0: mean 0.3, variance
 * 0.3 * 0.7 = 0.21, white. */
static void test_dither_rectangular(void **state)
{
    (void)state;
    double m, v, r;
    int lo, hi;
    dither_stats(RILL_DITHER_RECTANGULAR, &m, &v, &r, &lo, &hi);
    assert_true(fabs(m - 0.3) < 0.01);
    assert_true(lo >= 0 && hi <= 1);
    assert_true(fabs(v - 0.21) < 0.02);
    assert_true(fabs(r) < 0.02);
}

/* Dither is per channel state, deterministic from its seed. */
static void test_dither_deterministic(void **state)
{
    (void)state;
    float in[256];
    int16_t a[256], b[256];
    struct rill_dither_state s1, s2;
    for (int i = 0; i < 256; i++)
        in[i] = (float)sin(i * 0.1) * 0.001f;
    rill_dither_init(&s1, 3);
    rill_dither_init(&s2, 3);
    rill_sfmt_from_float(RILL_SFMT_S16, in, a, 2, 256, RILL_DITHER_SHAPED, &s1);
    rill_sfmt_from_float(RILL_SFMT_S16, in, b, 2, 256, RILL_DITHER_SHAPED, &s2);
    assert_memory_equal(a, b, sizeof a);
    rill_dither_init(&s2, 4);
    rill_sfmt_from_float(RILL_SFMT_S16, in, b, 2, 256, RILL_DITHER_SHAPED, &s2);
    assert_memory_not_equal(a, b, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_round_trip_s16),
        cmocka_unit_test(test_round_trip_s24),
        cmocka_unit_test(test_round_trip_s32),
        cmocka_unit_test(test_scaling_and_layout),
        cmocka_unit_test(test_clipping),
        cmocka_unit_test(test_stride_and_silence),
        cmocka_unit_test(test_dither_none),
        cmocka_unit_test(test_dither_triangular),
        cmocka_unit_test(test_dither_shaped),
        cmocka_unit_test(test_dither_rectangular),
        cmocka_unit_test(test_dither_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
