/* drivers/alsa/alsa_format.h — sample-format conversion between the engine's
 * float buffers and a sound card's samples, with dither.
 *
 * Contract:
 * - Floats are full scale at [-1.0, 1.0). Integer formats of B bits map a
 *   sample v to v / 2^(B-1) on capture, and a float f to round(f * 2^(B-1))
 *   clipped to [-2^(B-1), 2^(B-1) - 1] on playback, so int -> float -> int is
 *   exact for S16, S24_3LE and S24_LE, and for S32 whenever the value fits in
 *   24 significant bits (a float's mantissa). NaN plays as 0.
 * - FLOAT_LE is copied both ways, without clipping.
 * - Samples are addressed with a byte stride, so one function serves
 *   interleaved and non-interleaved buffers (an mmap area's step).
 * - Dither (playback to S16, S24_3LE, S24_LE only; S32 and FLOAT have more
 *   resolution than a float gives): none; triangular (TPDF, +-1 LSB); shaped
 *   (TPDF with first-order error feedback: the requantisation noise is pushed
 *   to high frequencies, noise transfer 1 - z^-1). Each channel keeps its own
 *   struct rill_dither_state.
 * - Every function here is RT-safe: no allocation, no lock, no syscall.
 * - Byte order is little endian in memory for every format, on any host.
 */
#ifndef RILL_ALSA_FORMAT_H
#define RILL_ALSA_FORMAT_H

#include <stddef.h>
#include <stdint.h>

enum rill_sfmt {
    RILL_SFMT_S16,    /* S16_LE */
    RILL_SFMT_S24_3,  /* S24_3LE: 3 bytes */
    RILL_SFMT_S24,    /* S24_LE: 24 bits in the low bytes of 4 */
    RILL_SFMT_S32,    /* S32_LE */
    RILL_SFMT_FLOAT,  /* FLOAT_LE */
    RILL_SFMT_COUNT,
};

enum rill_dither {
    RILL_DITHER_NONE,
    RILL_DITHER_TRIANGULAR,
    RILL_DITHER_SHAPED,
    RILL_DITHER_RECTANGULAR,
};

struct rill_dither_state {
    uint32_t rng;   /* xorshift32 state, never 0 */
    float err;      /* last requantisation error (shaped), in LSB */
};

/* Bytes per sample. Any thread. */
size_t rill_sfmt_bytes(enum rill_sfmt f);

/* ALSA's name of the format ("S16_LE", ...), or "?". Any thread. */
const char *rill_sfmt_name(enum rill_sfmt f);

/* The format named (ALSA spelling, case-insensitive), or -EINVAL. Any thread. */
int rill_sfmt_parse(const char *name, enum rill_sfmt *out);

/* Seed a channel's dither state (seed may be anything). Any thread. */
void rill_dither_init(struct rill_dither_state *st, uint32_t seed);

/* n samples at src (stride bytes apart) -> dst[0..n). RT-safe. */
void rill_sfmt_to_float(enum rill_sfmt f, const void *src, size_t stride, float *dst,
                        uint32_t n);

/* src[0..n) -> n samples at dst (stride bytes apart), with dither (st may be
 * NULL for RILL_DITHER_NONE). src NULL writes silence. RT-safe. */
void rill_sfmt_from_float(enum rill_sfmt f, const float *src, void *dst, size_t stride,
                          uint32_t n, enum rill_dither dither, struct rill_dither_state *st);

#endif
