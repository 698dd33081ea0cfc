/* tests/unit/test-alsa-convert.c — the ALSA bridge's format conversion
 * (clients/alsa/convert.h): every format, interleaved and non-interleaved
 * areas; known byte patterns both ways, exact integer round trips,
 * clipping, and float -> format -> float within half a step.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clients/alsa/convert.h"

/* interleaved areas over buf for ch channels of fmt */
static void areas_i(snd_pcm_channel_area_t *a, void *buf, unsigned ch, snd_pcm_format_t fmt)
{
    int bits = snd_pcm_format_physical_width(fmt);
    for (unsigned c = 0; c < ch; c++) {
        a[c].addr = buf;
        a[c].first = c * (unsigned)bits;
        a[c].step = ch * (unsigned)bits;
    }
}

static void test_known_bytes(void **state)
{
    (void)state;
    static const struct {
        snd_pcm_format_t f;
        uint8_t bytes[4];
        float v;
    } cases[] = {
        { SND_PCM_FORMAT_U8, { 0xc0 }, 0.5f },
        { SND_PCM_FORMAT_S16_LE, { 0x00, 0x40 }, 0.5f },
        { SND_PCM_FORMAT_S16_BE, { 0x40, 0x00 }, 0.5f },
        { SND_PCM_FORMAT_S16_LE, { 0x00, 0x80 }, -1.0f },
        { SND_PCM_FORMAT_S24_LE, { 0x00, 0x00, 0xc0, 0xff }, -0.5f },
        { SND_PCM_FORMAT_S24_BE, { 0xff, 0xc0, 0x00, 0x00 }, -0.5f },
        { SND_PCM_FORMAT_S24_3LE, { 0x00, 0x00, 0x40 }, 0.5f },
        { SND_PCM_FORMAT_S24_3BE, { 0x40, 0x00, 0x00 }, 0.5f },
        { SND_PCM_FORMAT_S32_LE, { 0x00, 0x00, 0x00, 0xc0 }, -0.5f },
        { SND_PCM_FORMAT_S32_BE, { 0x40, 0x00, 0x00, 0x00 }, 0.5f },
        { SND_PCM_FORMAT_FLOAT_LE, { 0x00, 0x00, 0x00, 0x3f }, 0.5f },
        { SND_PCM_FORMAT_FLOAT_BE, { 0xbf, 0x00, 0x00, 0x00 }, -0.5f },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        snd_pcm_channel_area_t a;
        uint8_t buf[4] = { 0 };
        memcpy(buf, cases[k].bytes, sizeof(buf));
        areas_i(&a, buf, 1, cases[k].f);
        float v = 99;
        rill_afmt_to_float(cases[k].f, &a, 0, 1, 1, &v);
        assert_true(v == cases[k].v);
        uint8_t back[4] = { 0 };
        areas_i(&a, back, 1, cases[k].f);
        rill_afmt_from_float(cases[k].f, &v, 1, 1, &a, 0);
        assert_memory_equal(back, cases[k].bytes, (size_t)snd_pcm_format_physical_width(cases[k].f) / 8);
    }
}

/* every format: float -> format -> float within half a step, clipped at
 * full scale, over interleaved stereo and non-interleaved areas */
static void test_round_trip(void **state)
{
    (void)state;
    unsigned n;
    const unsigned *fmts = rill_afmt_list(&n);
    assert_int_equal(n, 11);
    enum { FR = 200, CH = 2 };
    float in[FR * CH], out[FR * CH];
    for (int i = 0; i < FR * CH; i++)
        in[i] = 1.2f * sinf((float)i * 0.037f); /* overshoots: clipped */
    for (unsigned k = 0; k < n; k++) {
        snd_pcm_format_t f = (snd_pcm_format_t)fmts[k];
        assert_true(rill_afmt_supported(f));
        int bits = snd_pcm_format_width(f);
        double step = snd_pcm_format_float(f) ? 1e-7 : 1.0 / (double)(1u << (bits - 1));
        uint8_t buf[FR * CH * 4];
        for (int layout = 0; layout < 2; layout++) {
            snd_pcm_channel_area_t a[CH];
            int pw = snd_pcm_format_physical_width(f);
            if (layout == 0) {
                areas_i(a, buf, CH, f);
            } else { /* non-interleaved: channel c's samples one after another */
                for (unsigned c = 0; c < CH; c++) {
                    a[c].addr = buf + (size_t)c * FR * (size_t)pw / 8;
                    a[c].first = 0;
                    a[c].step = (unsigned)pw;
                }
            }
            rill_afmt_from_float(f, in, CH, FR, a, 0);
            rill_afmt_to_float(f, a, 0, CH, FR, out);
            for (int i = 0; i < FR * CH; i++) {
                double want = in[i];
                if (!snd_pcm_format_float(f)) {
                    if (want > 1.0 - step)
                        want = 1.0 - step;
                    if (want < -1.0)
                        want = -1.0;
                }
                assert_true(fabs(out[i] - want) <= step / 2 + 1e-7);
            }
        }
    }
    assert_false(rill_afmt_supported(SND_PCM_FORMAT_MU_LAW));
}

/* an integer sample survives format -> float -> format exactly */
static void test_integer_exact(void **state)
{
    (void)state;
    snd_pcm_format_t fs[] = { SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S24_3BE,
                              SND_PCM_FORMAT_S24_LE, SND_PCM_FORMAT_U8 };
    for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
        uint8_t buf[256 * 4], back[256 * 4];
        for (int i = 0; i < (int)sizeof(buf); i++)
            buf[i] = (uint8_t)(i * 37 + 11);
        int pw = snd_pcm_format_physical_width(fs[k]) / 8;
        if (fs[k] == SND_PCM_FORMAT_S24_LE) /* the high byte is the sign */
            for (int i = 0; i < 256; i++)
                buf[i * 4 + 3] = (buf[i * 4 + 2] & 0x80) ? 0xff : 0;
        snd_pcm_channel_area_t a;
        areas_i(&a, buf, 1, fs[k]);
        float f[256];
        rill_afmt_to_float(fs[k], &a, 0, 1, 256, f);
        areas_i(&a, back, 1, fs[k]);
        rill_afmt_from_float(fs[k], f, 1, 256, &a, 0);
        assert_memory_equal(buf, back, (size_t)256 * (size_t)pw);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_bytes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_integer_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
