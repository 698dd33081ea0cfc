/* tests/fuzz/net_packet.c — libFuzzer harness for the NetJACK2 packet
 * parsers (drivers/net/): params packets and the session check, and the
 * cycle assembler fed with header packets, audio (float, int16 and opus's
 * packet layout), sync and MIDI sub-packets, and the MIDI stream decoder.
 *
 * Input: byte 0 picks a session (encoder, channel counts, MTU, period);
 * the rest is a sequence of datagrams, each a 2-byte little-endian length
 * then that many bytes (cut at the input's end). Every datagram is also
 * tried as a params packet. The assembler's buffers are heap blocks of
 * exactly their size, so that ASan sees any access outside them; MIDI
 * events handed out must lie inside the stream and be in time.
 *
 * Build: clang -fsanitize=fuzzer,address -I. tests/fuzz/net_packet.c
 * drivers/net/net_wire.c drivers/net/net_audio.c drivers/net/net_midi.c
 * drivers/net/net_rx.c -lm; seeds in tests/fuzz/net_packet/seeds/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/net/net_rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink_ctx {
    const uint8_t *lo, *hi;
    uint32_t period, nports;
};

static void sink(void *vctx, uint32_t port, uint32_t time, const uint8_t *data, uint32_t size)
{
    const struct sink_ctx *c = vctx;
    if (port >= c->nports || time >= c->period || size == 0 || data < c->lo ||
        data + size > c->hi)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t pick = data[0];
    data++;
    size--;

    struct rill_net_params setup = {
        .kind = RILL_NET_SETUP, .version = RILL_NET_PROTOCOL, .name = "fuzz",
        .mtu = (pick & 1) ? RILL_NET_DEFAULT_MTU : RILL_NET_MIN_MTU, .id = 7,
        .send_audio = (int32_t)((pick >> 1) & 3) + 1, .return_audio = 2,
        .send_midi = (pick >> 3) & 1 ? 2 : 0, .return_midi = 1,
        .rate = 48000, .period = (pick & 0x40) ? 256 : 32,
        .encoder = (pick & 0x80)      ? RILL_NET_ENC_OPUS
                   : (pick >> 4) & 1 ? RILL_NET_ENC_INT16
                                     : RILL_NET_ENC_FLOAT,
        .kbps = (pick & 0x20) ? 2048 : 64,
        .latency = 2,
    };
    struct rill_net_session s;
    char err[256];
    if (rill_net_session_init(&s, &setup, NULL, err, sizeof err) < 0)
        return 0;

    float *bufs[RILL_NET_MAX_PORTS] = { 0 };
    uint32_t na = s.capture_audio, nm = s.capture_midi, nr = s.playback_audio;
    for (uint32_t i = 0; i < na; i++)
        bufs[i] = malloc(sizeof(float) * s.period);
    size_t midi_max = RILL_NET_MIDI_STREAM_MAX(nm, s.period);
    uint8_t *midi = nm ? malloc(midi_max) : NULL;
    uint8_t *active = nr ? malloc(nr) : NULL;
    struct rill_net_rx *rx = malloc(sizeof *rx);
    if (!rx)
        abort();
    rill_net_rx_init(rx, &s, 's', bufs, na, midi, midi_max, nm, active, nr);
    /* opus: the ports' compressed streams, exactly their size */
    uint8_t *opus = NULL;
    if (s.encoder == RILL_NET_ENC_OPUS) {
        opus = malloc((size_t)na * (s.opus_bytes + 2u));
        if (!opus)
            abort();
        rill_net_rx_set_opus(rx, opus);
    }
    rill_net_rx_begin(rx);
    struct sink_ctx ctx = { midi, midi ? midi + midi_max : NULL, s.period, nm };

    unsigned guard = 0;
    while (size >= 2 && guard++ < 4096) {
        size_t len = (size_t)data[0] | (size_t)data[1] << 8;
        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        /* an exact-size copy: reads past the datagram are caught */
        uint8_t *dg = malloc(len ? len : 1);
        if (!dg)
            abort();
        memcpy(dg, data, len);
        data += len;
        size -= len;

        struct rill_net_params p;
        if (rill_net_params_decode(dg, len, &p, &rx->stats) == 0) {
            struct rill_net_session s2;
            (void)rill_net_session_init(&s2, &p, &setup, err, sizeof err);
            if (memchr(p.name, 0, sizeof p.name) == NULL)
                abort();
        }
        int r = rill_net_rx_feed(rx, dg, len);
        if (r == RILL_NET_RX_COMPLETE || r == RILL_NET_RX_NEWER) {
            (void)rill_net_rx_end(rx, sink, &ctx);
            rill_net_rx_begin(rx);
            if (r == RILL_NET_RX_NEWER && rill_net_rx_feed(rx, dg, len) == RILL_NET_RX_NEWER)
                abort(); /* a fresh cycle takes any newer packet */
        }
        /* the whole datagram as a MIDI stream, too */
        (void)rill_net_midi_decode(dg, len, 3, s.period, sink,
                                   &(struct sink_ctx){ dg, dg + len, s.period, 3 }, NULL);
        free(dg);
    }
    (void)rill_net_rx_end(rx, sink, &ctx);

    for (uint32_t i = 0; i < na; i++)
        free(bufs[i]);
    free(midi);
    free(opus);
    free(active);
    free(rx);
    return 0;
}
