/* clients/alsa/convert.c — format conversion (convert.h). RT-safe. */
#include <math.h>

#include "clients/alsa/convert.h"

static const unsigned int formats[] = {
    SND_PCM_FORMAT_U8,       SND_PCM_FORMAT_S16_LE,  SND_PCM_FORMAT_S16_BE,
    SND_PCM_FORMAT_S24_LE,   SND_PCM_FORMAT_S24_BE,  SND_PCM_FORMAT_S24_3LE,
    SND_PCM_FORMAT_S24_3BE,  SND_PCM_FORMAT_S32_LE,  SND_PCM_FORMAT_S32_BE,
    SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_FLOAT_BE,
};

/* Any thread. */
const unsigned int *rill_afmt_list(unsigned int *n)
{
    *n = sizeof(formats) / sizeof(formats[0]);
    return formats;
}

/* Any thread. */
int rill_afmt_supported(snd_pcm_format_t fmt)
{
    for (unsigned int i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i] == (unsigned int)fmt)
            return 1;
    return 0;
}

/* Round and clip x * scale into [lo, hi]. */
static int32_t to_int(float x, double scale, double lo, double hi)
{
    double v = (double)x * scale;
    v = nearbyint(v);
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    return (int32_t)v;
}

union fbits {
    float f;
    uint32_t u;
};

/* One sample at p -> float. */
static float load(snd_pcm_format_t fmt, const uint8_t *p)
{
    union fbits fb;
    uint32_t u;
    switch (fmt) {
    case SND_PCM_FORMAT_U8:
        return ((float)p[0] - 128.0f) * (1.0f / 128.0f);
    case SND_PCM_FORMAT_S16_LE:
        return (float)(int16_t)(p[0] | p[1] << 8) * (1.0f / 32768.0f);
    case SND_PCM_FORMAT_S16_BE:
        return (float)(int16_t)(p[1] | p[0] << 8) * (1.0f / 32768.0f);
    case SND_PCM_FORMAT_S24_LE:
        u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
        break;
    case SND_PCM_FORMAT_S24_BE:
        u = (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16;
        break;
    case SND_PCM_FORMAT_S24_3LE:
        u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
        break;
    case SND_PCM_FORMAT_S24_3BE:
        u = (uint32_t)p[2] | (uint32_t)p[1] << 8 | (uint32_t)p[0] << 16;
        break;
    case SND_PCM_FORMAT_S32_LE:
        u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return (float)((double)(int32_t)u * (1.0 / 2147483648.0));
    case SND_PCM_FORMAT_S32_BE:
        u = (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
        return (float)((double)(int32_t)u * (1.0 / 2147483648.0));
    case SND_PCM_FORMAT_FLOAT_LE:
        fb.u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return fb.f;
    case SND_PCM_FORMAT_FLOAT_BE:
        fb.u = (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
        return fb.f;
    default:
        return 0.0f;
    }
    /* the 24-bit cases: sign-extend bit 23 */
    int32_t s = (int32_t)(u << 8) >> 8;
    return (float)s * (1.0f / 8388608.0f);
}

/* float -> one sample at p. */
static void store(snd_pcm_format_t fmt, uint8_t *p, float x)
{
    union fbits fb;
    int32_t s;
    uint32_t u;
    switch (fmt) {
    case SND_PCM_FORMAT_U8:
        p[0] = (uint8_t)(to_int(x, 128.0, -128.0, 127.0) + 128);
        return;
    case SND_PCM_FORMAT_S16_LE:
    case SND_PCM_FORMAT_S16_BE:
        u = (uint16_t)to_int(x, 32768.0, -32768.0, 32767.0);
        if (fmt == SND_PCM_FORMAT_S16_LE) {
            p[0] = (uint8_t)u;
            p[1] = (uint8_t)(u >> 8);
        } else {
            p[1] = (uint8_t)u;
            p[0] = (uint8_t)(u >> 8);
        }
        return;
    case SND_PCM_FORMAT_S24_LE:
    case SND_PCM_FORMAT_S24_BE:
    case SND_PCM_FORMAT_S24_3LE:
    case SND_PCM_FORMAT_S24_3BE:
        s = to_int(x, 8388608.0, -8388608.0, 8388607.0);
        u = (uint32_t)s;
        if (fmt == SND_PCM_FORMAT_S24_LE) {
            p[0] = (uint8_t)u;
            p[1] = (uint8_t)(u >> 8);
            p[2] = (uint8_t)(u >> 16);
            p[3] = (uint8_t)(s < 0 ? 0xff : 0); /* sign in the unused byte */
        } else if (fmt == SND_PCM_FORMAT_S24_BE) {
            p[3] = (uint8_t)u;
            p[2] = (uint8_t)(u >> 8);
            p[1] = (uint8_t)(u >> 16);
            p[0] = (uint8_t)(s < 0 ? 0xff : 0);
        } else if (fmt == SND_PCM_FORMAT_S24_3LE) {
            p[0] = (uint8_t)u;
            p[1] = (uint8_t)(u >> 8);
            p[2] = (uint8_t)(u >> 16);
        } else {
            p[2] = (uint8_t)u;
            p[1] = (uint8_t)(u >> 8);
            p[0] = (uint8_t)(u >> 16);
        }
        return;
    case SND_PCM_FORMAT_S32_LE:
    case SND_PCM_FORMAT_S32_BE:
        u = (uint32_t)to_int(x, 2147483648.0, -2147483648.0, 2147483647.0);
        break;
    case SND_PCM_FORMAT_FLOAT_LE:
    case SND_PCM_FORMAT_FLOAT_BE:
        fb.f = x;
        u = fb.u;
        break;
    default:
        return;
    }
    if (fmt == SND_PCM_FORMAT_S32_LE || fmt == SND_PCM_FORMAT_FLOAT_LE) {
        p[0] = (uint8_t)u;
        p[1] = (uint8_t)(u >> 8);
        p[2] = (uint8_t)(u >> 16);
        p[3] = (uint8_t)(u >> 24);
    } else {
        p[3] = (uint8_t)u;
        p[2] = (uint8_t)(u >> 8);
        p[1] = (uint8_t)(u >> 16);
        p[0] = (uint8_t)(u >> 24);
    }
}

/* Address of sample i of area a (offset already added into i). */
static inline uint8_t *sample_at(const snd_pcm_channel_area_t *a, snd_pcm_uframes_t i)
{
    return (uint8_t *)a->addr + (a->first + i * a->step) / 8;
}

/* RT-safe. */
void rill_afmt_to_float(snd_pcm_format_t fmt, const snd_pcm_channel_area_t *areas,
                        snd_pcm_uframes_t offset, unsigned int channels, unsigned int frames,
                        float *dst)
{
    for (unsigned int c = 0; c < channels; c++) {
        const snd_pcm_channel_area_t *a = &areas[c];
        for (unsigned int i = 0; i < frames; i++)
            dst[(size_t)i * channels + c] = load(fmt, sample_at(a, offset + i));
    }
}

/* RT-safe. */
void rill_afmt_from_float(snd_pcm_format_t fmt, const float *src, unsigned int channels,
                          unsigned int frames, const snd_pcm_channel_area_t *areas,
                          snd_pcm_uframes_t offset)
{
    for (unsigned int c = 0; c < channels; c++) {
        const snd_pcm_channel_area_t *a = &areas[c];
        for (unsigned int i = 0; i < frames; i++)
            store(fmt, sample_at(a, offset + i), src[(size_t)i * channels + c]);
    }
}
