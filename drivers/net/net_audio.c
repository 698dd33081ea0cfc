/* drivers/net/net_audio.c — NetJACK2 sync payload and audio sub-packets.
 *
 * sync ('s'): active_ports big-endian u32 port indices: the ports the
 *   receiver of the audio wants (the sender of the sync listens to them).
 *
 * float audio ('a', encoder 0): the period is cut into runs of F frames, F
 *   the largest power of two with active_ports * F * 4 <= payload_max (at
 *   most the period); sub-packet k holds, for each active port in turn, its
 *   index (big-endian u32) and frames [k*F, (k+1)*F) as little-endian IEEE
 *   floats. The receiver derives F from active_ports as the sender did.
 *
 * int16 audio ('a', encoder 1): every port in every packet. The period's
 *   2*period bytes per port are cut into n = ceil(ports*2*period /
 *   payload_max) slices of floor(2*period/n) bytes, the last one taking the
 *   remainder too; packet k holds slice k of port 0, then of port 1, ...
 *   Samples are little-endian int16, full scale 32767.
 *
 * No allocation, no lock, no system call: realtime-safe, any thread.
 */
#include "drivers/net/net_bytes.h"
#include "drivers/net/net_proto.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static int refuse(struct rill_net_stats *st, enum rill_net_refusal r)
{
    if (st)
        st->refused[r]++;
    return -EBADMSG;
}

/* ---- sync ---- */

int rill_net_sync_decode(const struct rill_net_header *h, const uint8_t *payload, size_t len,
                         uint32_t nports, uint8_t *active, struct rill_net_stats *st)
{
    if (h->active_ports > nports)
        return refuse(st, RILL_NET_R_PORT);
    if (len != (size_t)h->active_ports * 4u)
        return refuse(st, RILL_NET_R_SIZE);
    if (nports)
        memset(active, 0, nports);
    for (uint32_t i = 0; i < h->active_ports; i++) {
        uint32_t port = rill_net_get32be(payload + 4u * i);
        if (port >= nports || active[port]) {
            if (nports)
                memset(active, 0, nports);
            return refuse(st, RILL_NET_R_PORT);
        }
        active[port] = 1;
    }
    return 0;
}

int rill_net_sync_encode(const uint8_t *active, uint32_t nports, uint8_t *payload, size_t size,
                         uint32_t *nactive)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < nports; p++) {
        if (!active[p])
            continue;
        if ((size_t)(n + 1) * 4u > size)
            return -ENOSPC;
        rill_net_put32be(payload + 4u * n, p);
        n++;
    }
    *nactive = n;
    return (int)(n * 4u);
}

/* ---- float ---- */

uint32_t rill_net_float_frames(const struct rill_net_session *s, uint32_t active_ports)
{
    if (active_ports == 0)
        return s->period;
    /* jackd2: 2^int(log(float(avail) / (ports * 4)) / log(2.)), with a
     * single-precision log; computed the same way so that both ends cut the
     * period identically even where the quotient is near a power of two */
    float q = (float)s->payload_max / (float)(active_ports * 4u);
    if (!(q >= 1.0f))
        return 0; /* not one frame per port fits: jackd2 would divide by 0 */
    double e = (double)logf(q) / log(2.0);
    if (e >= 31.0)
        return s->period;
    uint32_t frames = 1u << (int)e;
    return frames > s->period ? s->period : frames;
}

int rill_net_audio_float_decode(const struct rill_net_session *s, const struct rill_net_header *h,
                                const uint8_t *payload, size_t len, float *const *bufs,
                                uint32_t nports, struct rill_net_stats *st)
{
    uint32_t active = h->active_ports;
    if (active > nports)
        return refuse(st, RILL_NET_R_PORT);
    uint32_t frames = rill_net_float_frames(s, active);
    if (frames == 0)
        return refuse(st, RILL_NET_R_PORT);
    uint32_t npackets = s->period / frames;
    if (h->num_packets != npackets || h->sub_cycle >= npackets)
        return refuse(st, RILL_NET_R_SUBCYCLE);
    size_t stride = 4u + (size_t)frames * 4u;
    if (len != (size_t)active * stride)
        return refuse(st, RILL_NET_R_SIZE);
    /* every port index first: a refused packet writes nothing */
    for (uint32_t i = 0; i < active; i++)
        if (rill_net_get32be(payload + i * stride) >= nports)
            return refuse(st, RILL_NET_R_PORT);
    uint32_t first = h->sub_cycle * frames;
    for (uint32_t i = 0; i < active; i++) {
        const uint8_t *rec = payload + i * stride;
        float *out = bufs[rill_net_get32be(rec)];
        if (!out)
            continue;
        for (uint32_t f = 0; f < frames; f++)
            out[first + f] = rill_net_getf32le(rec + 4u + 4u * f);
    }
    return 0;
}

int rill_net_audio_float_encode(const struct rill_net_session *s, uint32_t sub,
                                const float *const *bufs, const uint8_t *active, uint32_t nports,
                                struct rill_net_header *h, uint8_t *payload, size_t size)
{
    uint32_t nactive = 0;
    for (uint32_t p = 0; p < nports; p++)
        nactive += active[p] ? 1u : 0u;
    uint32_t frames = rill_net_float_frames(s, nactive);
    if (frames == 0)
        return -EINVAL;
    uint32_t npackets = s->period / frames;
    if (sub >= npackets)
        return -EINVAL;
    size_t stride = 4u + (size_t)frames * 4u;
    if ((size_t)nactive * stride > size || (size_t)nactive * stride > s->mtu - RILL_NET_HEADER_SIZE)
        return -ENOSPC;
    uint32_t first = sub * frames, i = 0;
    for (uint32_t p = 0; p < nports; p++) {
        if (!active[p])
            continue;
        uint8_t *rec = payload + i++ * stride;
        rill_net_put32be(rec, p);
        for (uint32_t f = 0; f < frames; f++)
            rill_net_putf32le(rec + 4u + 4u * f, bufs[p] ? bufs[p][first + f] : 0.0f);
    }
    h->data_type = 'a';
    h->num_packets = npackets;
    h->sub_cycle = sub;
    h->active_ports = nactive;
    h->is_last = sub + 1 == npackets;
    h->packet_size = (uint32_t)(RILL_NET_HEADER_SIZE + (size_t)nactive * stride);
    return (int)((size_t)nactive * stride);
}

/* ---- int16 ---- */

int rill_net_int16_split(const struct rill_net_session *s, uint32_t nports, uint32_t *packets,
                         uint32_t *sub_bytes, uint32_t *last_bytes)
{
    if (nports == 0 || nports > RILL_NET_MAX_PORTS || s->payload_max == 0)
        return -EINVAL;
    uint32_t bytes = s->period * 2u;
    uint64_t total = (uint64_t)nports * bytes;
    uint32_t n = (uint32_t)((total + s->payload_max - 1) / s->payload_max);
    if (n == 0 || n > bytes)
        return -EINVAL;
    uint32_t sub = bytes / n, last = sub + bytes % n;
    if (sub % 2u != 0 || (uint64_t)nports * last > s->mtu - RILL_NET_HEADER_SIZE)
        return -EINVAL;
    *packets = n;
    *sub_bytes = sub;
    *last_bytes = last;
    return 0;
}

int rill_net_audio_int16_decode(const struct rill_net_session *s, const struct rill_net_header *h,
                                const uint8_t *payload, size_t len, float *const *bufs,
                                uint32_t nports, struct rill_net_stats *st)
{
    uint32_t n, sub, last;
    if (h->active_ports != nports)
        return refuse(st, RILL_NET_R_PORT);
    if (rill_net_int16_split(s, nports, &n, &sub, &last) < 0)
        return refuse(st, RILL_NET_R_PORT);
    if (h->num_packets != n || h->sub_cycle >= n)
        return refuse(st, RILL_NET_R_SUBCYCLE);
    uint32_t bytes = h->sub_cycle + 1 == n ? last : sub;
    if (len != (size_t)nports * bytes)
        return refuse(st, RILL_NET_R_SIZE);
    const float scale = 1.0f / 32767.0f;
    uint32_t first = h->sub_cycle * (sub / 2u), frames = bytes / 2u;
    for (uint32_t p = 0; p < nports; p++) {
        float *out = bufs[p];
        if (!out)
            continue;
        const uint8_t *in = payload + (size_t)p * bytes;
        for (uint32_t f = 0; f < frames; f++) {
            int16_t v = (int16_t)(uint16_t)((uint16_t)in[2 * f] | (uint16_t)in[2 * f + 1] << 8);
            out[first + f] = (float)v * scale;
        }
    }
    return 0;
}

int rill_net_audio_int16_encode(const struct rill_net_session *s, uint32_t sub,
                                const float *const *bufs, uint32_t nports,
                                struct rill_net_header *h, uint8_t *payload, size_t size)
{
    uint32_t n, sb, last;
    if (rill_net_int16_split(s, nports, &n, &sb, &last) < 0 || sub >= n)
        return -EINVAL;
    uint32_t bytes = sub + 1 == n ? last : sb;
    if ((size_t)nports * bytes > size)
        return -ENOSPC;
    uint32_t first = sub * (sb / 2u), frames = bytes / 2u;
    for (uint32_t p = 0; p < nports; p++) {
        uint8_t *o = payload + (size_t)p * bytes;
        for (uint32_t f = 0; f < frames; f++) {
            float x = bufs[p] ? bufs[p][first + f] : 0.0f;
            /* clamp (NaN too) then round to nearest */
            if (!(x > -1.0f))
                x = -1.0f;
            else if (x > 1.0f)
                x = 1.0f;
            float y = x * 32767.0f;
            int16_t v = (int16_t)(y >= 0.0f ? y + 0.5f : y - 0.5f);
            o[2 * f] = (uint8_t)(uint16_t)v;
            o[2 * f + 1] = (uint8_t)((uint16_t)v >> 8);
        }
    }
    h->data_type = 'a';
    h->num_packets = n;
    h->sub_cycle = sub;
    h->active_ports = nports;
    h->is_last = sub + 1 == n;
    h->packet_size = (uint32_t)(RILL_NET_HEADER_SIZE + (size_t)nports * bytes);
    return (int)((size_t)nports * bytes);
}

/* ---- opus (the codec itself is net_opus.c) ---- */

uint32_t rill_net_opus_bytes(uint32_t kbps, uint32_t rate, uint32_t period)
{
    if (rate == 0)
        return 0;
    uint64_t b = (uint64_t)kbps * 1024u * period / (8u * (uint64_t)rate);
    return b > UINT16_MAX ? UINT16_MAX : (uint32_t)b;
}

int rill_net_opus_split(const struct rill_net_session *s, uint32_t nports, uint32_t *packets,
                        uint32_t *sub_bytes, uint32_t *last_bytes)
{
    if (nports == 0 || nports > RILL_NET_MAX_PORTS || s->payload_max == 0 ||
        s->opus_bytes == 0)
        return -EINVAL;
    uint32_t stream = s->opus_bytes + 2u;
    uint64_t total = (uint64_t)nports * s->opus_bytes + 2u;
    uint32_t n = (uint32_t)((total + s->payload_max - 1u) / s->payload_max);
    if (n == 0 || n > stream || n > s->period) /* the assembler's bitmaps: period bits */
        return -EINVAL;
    uint32_t sub = stream / n, last = sub + stream % n;
    if (n == 1)
        sub = last;
    if ((uint64_t)nports * last > s->mtu - RILL_NET_HEADER_SIZE)
        return -EINVAL;
    *packets = n;
    *sub_bytes = sub;
    *last_bytes = last;
    return 0;
}

int rill_net_audio_opus_decode(const struct rill_net_session *s, const struct rill_net_header *h,
                               const uint8_t *payload, size_t len, uint8_t *streams,
                               uint32_t nports, struct rill_net_stats *st)
{
    uint32_t n, sub, last;
    if (h->active_ports != nports)
        return refuse(st, RILL_NET_R_PORT);
    if (rill_net_opus_split(s, nports, &n, &sub, &last) < 0)
        return refuse(st, RILL_NET_R_PORT);
    if (h->num_packets != n || h->sub_cycle >= n)
        return refuse(st, RILL_NET_R_SUBCYCLE);
    uint32_t bytes = h->sub_cycle + 1u == n ? last : sub;
    if (len != (size_t)nports * bytes)
        return refuse(st, RILL_NET_R_SIZE);
    size_t stride = (size_t)s->opus_bytes + 2u, off = (size_t)h->sub_cycle * sub;
    if (off + bytes > stride) /* (n-1)*sub + last == stride: cannot happen */
        return refuse(st, RILL_NET_R_SIZE);
    for (uint32_t p = 0; p < nports; p++)
        memcpy(streams + (size_t)p * stride + off, payload + (size_t)p * bytes, bytes);
    return 0;
}

int rill_net_audio_opus_encode(const struct rill_net_session *s, uint32_t sub,
                               const uint8_t *streams, uint32_t nports, struct rill_net_header *h,
                               uint8_t *payload, size_t size)
{
    uint32_t n, sb, last;
    if (rill_net_opus_split(s, nports, &n, &sb, &last) < 0 || sub >= n)
        return -EINVAL;
    uint32_t bytes = sub + 1u == n ? last : sb;
    if ((size_t)nports * bytes > size)
        return -ENOSPC;
    size_t stride = (size_t)s->opus_bytes + 2u, off = (size_t)sub * sb;
    for (uint32_t p = 0; p < nports; p++)
        memcpy(payload + (size_t)p * bytes, streams + (size_t)p * stride + off, bytes);
    h->data_type = 'a';
    h->num_packets = n;
    h->sub_cycle = sub;
    h->active_ports = nports;
    h->is_last = sub + 1u == n;
    return (int)((size_t)nports * bytes);
}
