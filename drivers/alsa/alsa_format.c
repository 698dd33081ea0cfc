/* drivers/alsa/alsa_format.c — float <-> sound-card sample conversion and
 * dither (see alsa_format.h for the contract). Every function is RT-safe
 * unless its comment says otherwise.
 */
#include "drivers/alsa/alsa_format.h"

#include <errno.h>
#include <strings.h>

static const struct {
    const char *name;
    size_t bytes;
    uint32_t bits; /* significant bits; 0 for float */
} formats[RILL_SFMT_COUNT] = {
    [RILL_SFMT_S16] = { "S16_LE", 2, 16 },
    [RILL_SFMT_S24_3] = { "S24_3LE", 3, 24 },
    [RILL_SFMT_S24] = { "S24_LE", 4, 24 },
    [RILL_SFMT_S32] = { "S32_LE", 4, 32 },
    [RILL_SFMT_FLOAT] = { "FLOAT_LE", 4, 0 },
};

/* Any thread. */
size_t rill_sfmt_bytes(enum rill_sfmt f)
{
    return (unsigned)f < RILL_SFMT_COUNT ? formats[f].bytes : 0;
}

/* Any thread. */
const char *rill_sfmt_name(enum rill_sfmt f)
{
    return (unsigned)f < RILL_SFMT_COUNT ? formats[f].name : "?";
}

/* Any thread. */
int rill_sfmt_parse(const char *name, enum rill_sfmt *out)
{
    if (!name || !out)
        return -EINVAL;
    for (int f = 0; f < RILL_SFMT_COUNT; f++) {
        if (strcasecmp(name, formats[f].name) == 0) {
            *out = (enum rill_sfmt)f;
            return 0;
        }
    }
    return -EINVAL;
}

/* Any thread. */
void rill_dither_init(struct rill_dither_state *st, uint32_t seed)
{
    if (!st)
        return;
    /* spread the seed (a multiplicative hash) and keep xorshift away from 0 */
    st->rng = seed * 2654435761u ^ 0x9e3779b9u;
    if (st->rng == 0)
        st->rng = 1;
    st->err = 0.0f;
}

/* Uniform in [0, 1), xorshift32. */
static inline float uniform(struct rill_dither_state *st)
{
    uint32_t x = st->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    st->rng = x;
    return (float)(x >> 8) * (1.0f / 16777216.0f);
}

/* Round half up, without libm. */
static inline int64_t round_half_up(double v)
{
    double t = v + 0.5;
    int64_t q = (int64_t)t;
    if ((double)q > t)
        q--;
    return q;
}

/* Little-endian loads and stores of `bytes` bytes. */
static inline uint32_t load_le(const uint8_t *p, size_t bytes)
{
    uint32_t v = 0;
    for (size_t i = 0; i < bytes; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static inline void store_le(uint8_t *p, uint32_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The signed value of an integer sample. */
static inline int32_t load_int(enum rill_sfmt f, const uint8_t *p)
{
    switch (f) {
    case RILL_SFMT_S16:
        return (int16_t)(uint16_t)load_le(p, 2);
    case RILL_SFMT_S24_3:
    case RILL_SFMT_S24: {
        uint32_t v = load_le(p, 3); /* S24_LE: the top byte is ignored */
        return (int32_t)(v ^ 0x800000u) - 0x800000; /* sign-extend bit 23 */
    }
    case RILL_SFMT_S32:
    default:
        return (int32_t)load_le(p, 4);
    }
}

/* RT-safe. */
void rill_sfmt_to_float(enum rill_sfmt f, const void *src, size_t stride, float *dst,
                        uint32_t n)
{
    const uint8_t *p = src;

    if ((unsigned)f >= RILL_SFMT_COUNT || !src || !dst)
        return;
    if (f == RILL_SFMT_FLOAT) {
        for (uint32_t i = 0; i < n; i++, p += stride) {
            union { uint32_t u; float f; } c = { .u = load_le(p, 4) };
            dst[i] = c.f;
        }
        return;
    }
    const double scale = 1.0 / (double)(1u << (formats[f].bits - 1));
    for (uint32_t i = 0; i < n; i++, p += stride)
        dst[i] = (float)((double)load_int(f, p) * scale);
}

/* One integer sample from f (already in LSB units of a bits-wide format),
 * dithered, clipped. */
static inline int32_t quantise(double v, uint32_t bits, enum rill_dither dither,
                               struct rill_dither_state *st)
{
    const double hi = (double)((1u << (bits - 1)) - 1u);
    const double lo = -(double)(1u << (bits - 1));
    int clipped = 0;

    if (v != v) /* NaN */
        v = 0.0;
    if (dither == RILL_DITHER_NONE || !st || bits > 24) {
        if (v >= hi)
            return (int32_t)hi;
        if (v <= lo)
            return (int32_t)lo;
        return (int32_t)round_half_up(v);
    }
    if (v > hi + 2.0) /* keep the arithmetic below in range */
        v = hi + 2.0;
    else if (v < lo - 2.0)
        v = lo - 2.0;
    double target = v;
    if (dither == RILL_DITHER_SHAPED)
        target -= (double)st->err;
    /* triangular (and shaped): the difference of two uniforms, 2 LSB peak
     * to peak; rectangular: one uniform, 1 LSB peak to peak */
    double noise = dither == RILL_DITHER_RECTANGULAR ? (double)uniform(st) - 0.5
                                                     : (double)(uniform(st) - uniform(st));
    double noisy = target + noise;
    int64_t q = round_half_up(noisy);
    if (q > (int64_t)hi) {
        q = (int64_t)hi;
        clipped = 1;
    } else if (q < (int64_t)lo) {
        q = (int64_t)lo;
        clipped = 1;
    }
    if (dither == RILL_DITHER_SHAPED)
        st->err = clipped ? 0.0f : (float)((double)q - target); /* no run-away after a clip */
    return (int32_t)q;
}

/* RT-safe. */
void rill_sfmt_from_float(enum rill_sfmt f, const float *src, void *dst, size_t stride,
                          uint32_t n, enum rill_dither dither, struct rill_dither_state *st)
{
    uint8_t *p = dst;

    if ((unsigned)f >= RILL_SFMT_COUNT || !dst)
        return;
    const size_t bytes = formats[f].bytes;
    if (!src) {
        for (uint32_t i = 0; i < n; i++, p += stride)
            store_le(p, 0, bytes);
        if (st)
            st->err = 0.0f;
        return;
    }
    if (f == RILL_SFMT_FLOAT) {
        for (uint32_t i = 0; i < n; i++, p += stride) {
            union { float f; uint32_t u; } c = { .f = src[i] };
            store_le(p, c.u, 4);
        }
        return;
    }
    const uint32_t bits = formats[f].bits;
    const double scale = (double)(1u << (bits - 1));
    for (uint32_t i = 0; i < n; i++, p += stride) {
        int32_t q = quantise((double)src[i] * scale, bits, dither, st);
        store_le(p, (uint32_t)q, bytes); /* S24_LE: sign-extended into the top byte */
    }
}
