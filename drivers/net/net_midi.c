/* drivers/net/net_midi.c — the MIDI byte stream of a NetJACK2 cycle.
 *
 * One stream per direction and cycle holds a record per MIDI port, in port
 * order; 'm' sub-packets carry consecutive slices of mtu - 48 bytes of it.
 * A port's record is jackd2's MIDI port buffer as it copies it:
 *
 *    24 bytes   header, big-endian u32: magic 0x900df00d, buffer size,
 *               frames, write_pos (data bytes kept at the buffer's end),
 *               event count, lost events
 *    12 x (event count + 1)   event slots, little-endian: time, size, then
 *               the data itself when size <= 4, else its offset from the
 *               start of the original buffer (the data lives at
 *               [buffer size - write_pos, buffer size)); the last slot is
 *               padding
 *    write_pos  the data bytes of events longer than 4 bytes
 *
 * jackd2 1.9.21 copies the long-event data from the wrong address (pointer
 * arithmetic on its buffer type) on both send and receipt, so rill sends
 * only events of up to 4 bytes (longer ones are counted as dropped) and
 * reads long events only where their offsets land inside the record.
 *
 * No allocation, no lock: realtime-safe, any thread.
 */
#include "drivers/net/net_bytes.h"
#include "drivers/net/net_proto.h"

#include <errno.h>
#include <string.h>

#define SLOT RILL_NET_MIDI_EVENT_SIZE
#define HDR RILL_NET_MIDI_PORT_HEADER

int rill_net_midi_decode(const uint8_t *stream, size_t len, uint32_t nports, uint32_t period,
                         rill_net_midi_sink sink, void *ctx, struct rill_net_stats *st)
{
    size_t pos = 0;
    int emitted = 0;
    for (uint32_t port = 0; port < nports; port++) {
        size_t left = len - pos;
        if (left < HDR + SLOT)
            goto bad;
        const uint8_t *rec = stream + pos;
        uint32_t magic = rill_net_get32be(rec), bufsize = rill_net_get32be(rec + 4), write_pos = rill_net_get32be(rec + 12),
                 count = rill_net_get32be(rec + 16);
        if (magic != RILL_NET_MIDI_MAGIC)
            goto bad;
        /* the count bounds the slots that must be present; 64-bit sums */
        if ((uint64_t)count > (left - HDR - SLOT) / SLOT)
            goto bad;
        size_t slots = HDR + ((size_t)count + 1u) * SLOT;
        if (write_pos > bufsize || write_pos > left - slots)
            goto bad;
        const uint8_t *data = rec + slots;
        uint32_t data_base = bufsize - write_pos; /* offset of data[0] in the original */
        uint32_t prev = 0;
        for (uint32_t e = 0; e < count; e++) {
            const uint8_t *ev = rec + HDR + (size_t)e * SLOT;
            uint32_t time = rill_net_get32le(ev), size = rill_net_get32le(ev + 4);
            const uint8_t *bytes;
            if (size == 0 || time >= period || time < prev) {
                if (st)
                    st->refused[RILL_NET_R_MIDI]++;
                continue;
            }
            if (size <= RILL_NET_MIDI_INLINE_MAX) {
                bytes = ev + 8;
            } else {
                uint32_t off = rill_net_get32le(ev + 8);
                if (off < data_base || (uint64_t)off + size > bufsize) {
                    if (st)
                        st->refused[RILL_NET_R_MIDI]++;
                    continue;
                }
                bytes = data + (off - data_base);
            }
            prev = time;
            if (sink)
                sink(ctx, port, time, bytes, size);
            emitted++;
        }
        pos += slots + write_pos;
    }
    return emitted;
bad:
    if (st)
        st->refused[RILL_NET_R_MIDI]++;
    return -EBADMSG;
}

void rill_net_midi_writer_init(struct rill_net_midi_writer *w, uint8_t *buf, size_t size,
                               uint32_t period)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->size = size;
    w->period = period;
}

static void writer_close(struct rill_net_midi_writer *w)
{
    if (!w->open)
        return;
    uint8_t *rec = w->buf + w->port_start;
    rill_net_put32be(rec, RILL_NET_MIDI_MAGIC);
    rill_net_put32be(rec + 4, RILL_NET_MIDI_BUFFER_SIZE);
    rill_net_put32be(rec + 8, w->period);
    rill_net_put32be(rec + 12, 0); /* write_pos: all events inline */
    rill_net_put32be(rec + 16, w->count);
    rill_net_put32be(rec + 20, 0);
    /* the padding slot */
    memset(rec + HDR + (size_t)w->count * SLOT, 0, SLOT);
    w->pos = w->port_start + HDR + ((size_t)w->count + 1u) * SLOT;
    w->open = 0;
}

int rill_net_midi_writer_port(struct rill_net_midi_writer *w)
{
    writer_close(w);
    if (w->size - w->pos < HDR + SLOT)
        return -ENOSPC;
    w->port_start = w->pos;
    w->count = 0;
    w->open = 1;
    return 0;
}

int rill_net_midi_writer_event(struct rill_net_midi_writer *w, uint32_t time,
                               const uint8_t *data, uint32_t size)
{
    if (!w->open || size == 0 || time >= w->period)
        return -EINVAL;
    if (size > RILL_NET_MIDI_INLINE_MAX)
        return -EMSGSIZE;
    size_t end = w->port_start + HDR + ((size_t)w->count + 2u) * SLOT; /* + padding slot */
    if (end > w->size)
        return -ENOSPC;
    if (w->count > 0) {
        const uint8_t *prev = w->buf + w->port_start + HDR + ((size_t)w->count - 1u) * SLOT;
        if (time < rill_net_get32le(prev))
            return -EINVAL;
    }
    uint8_t *ev = w->buf + w->port_start + HDR + (size_t)w->count * SLOT;
    rill_net_put32le(ev, time);
    rill_net_put32le(ev + 4, size);
    memset(ev + 8, 0, 4);
    memcpy(ev + 8, data, size);
    w->count++;
    return 0;
}

size_t rill_net_midi_writer_finish(struct rill_net_midi_writer *w)
{
    writer_close(w);
    return w->pos;
}
