/* drivers/net/net_bytes.h — NetJACK2's byte orders: header integers are
 * big-endian (network order), samples and MIDI stream words little-endian.
 * Byte by byte, so unaligned buffers and any host order are fine. RT-safe,
 * any thread.
 */
#ifndef RILL_NET_BYTES_H
#define RILL_NET_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint32_t rill_net_get32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void rill_net_put32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t rill_net_get32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void rill_net_put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline float rill_net_getf32le(const uint8_t *p)
{
    uint32_t u = rill_net_get32le(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void rill_net_putf32le(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    rill_net_put32le(p, u);
}

#endif
