/* drivers/net/net_rx.c — one NetJACK2 cycle from its datagrams (see
 * net_rx.h). Realtime thread only, apart from rill_net_rx_init.
 */
#include "drivers/net/net_rx.h"
#include "rill/shm.h"

#include <errno.h>
#include <string.h>

static int refuse(struct rill_net_rx *rx, enum rill_net_refusal r)
{
    rx->stats.refused[r]++;
    return -EBADMSG;
}

static int bit_test_set(uint8_t *map, uint32_t i)
{
    uint8_t m = (uint8_t)(1u << (i % 8u));
    if (map[i / 8u] & m)
        return 1;
    map[i / 8u] |= m;
    return 0;
}

/* Main thread. */
void rill_net_rx_init(struct rill_net_rx *rx, const struct rill_net_session *s, uint32_t stream,
                      float *const *audio, uint32_t naudio, uint8_t *midi, size_t midi_max,
                      uint32_t nmidi, uint8_t *active_return, uint32_t nreturn)
{
    memset(rx, 0, sizeof *rx);
    rx->s = s;
    rx->stream = stream;
    rx->audio = audio;
    rx->naudio = naudio;
    rx->midi = midi;
    rx->midi_max = midi_max;
    rx->nmidi = nmidi;
    rx->active_return = active_return;
    rx->nreturn = nreturn;
}

/* Main thread. */
void rill_net_rx_set_opus(struct rill_net_rx *rx, uint8_t *streams)
{
    rx->opus = streams;
}

int rill_net_rx_audio_complete(const struct rill_net_rx *rx)
{
    return rx->have_cycle && rx->audio_expected && rx->audio_got == rx->audio_expected;
}

void rill_net_rx_begin(struct rill_net_rx *rx)
{
    for (uint32_t p = 0; p < rx->naudio; p++)
        if (rx->audio[p])
            memset(rx->audio[p], 0, sizeof(float) * rx->s->period);
    rx->have_cycle = 0;
    rx->sync_seen = 0;
    rx->audio_expected = 0;
    rx->audio_got = 0;
    rx->midi_expected = 0;
    rx->midi_got = 0;
    rx->midi_len = 0;
    rx->got = 0;
    rx->audio_top = -1;
    rx->midi_top = -1;
    /* only the bits a cycle can use (the period bounds the audio packets) */
    memset(rx->audio_seen, 0, rx->s->period / 8u + 1u > sizeof rx->audio_seen ?
                                  sizeof rx->audio_seen : rx->s->period / 8u + 1u);
    memset(rx->midi_seen, 0, sizeof rx->midi_seen);
}

int rill_net_rx_complete(const struct rill_net_rx *rx)
{
    if (!rx->have_cycle || !rx->sync_seen)
        return 0;
    if (rx->naudio && (rx->audio_expected == 0 || rx->audio_got < rx->audio_expected))
        return 0;
    if (rx->nmidi && (rx->midi_expected == 0 || rx->midi_got < rx->midi_expected))
        return 0;
    return 1;
}

static int feed_audio(struct rill_net_rx *rx, const struct rill_net_header *h,
                      const uint8_t *payload, size_t len)
{
    int ret;
    if (rx->naudio == 0)
        return refuse(rx, RILL_NET_R_PORT);
    if (rx->audio_expected && h->num_packets != rx->audio_expected)
        return refuse(rx, RILL_NET_R_SUBCYCLE);
    if (h->sub_cycle < rx->s->period && h->num_packets <= rx->s->period &&
        h->sub_cycle < h->num_packets) {
        uint8_t m = (uint8_t)(1u << (h->sub_cycle % 8u));
        if (rx->audio_seen[h->sub_cycle / 8u] & m)
            return refuse(rx, RILL_NET_R_DUPLICATE);
    }
    if (rx->s->encoder == RILL_NET_ENC_OPUS) {
        if (!rx->opus)
            return refuse(rx, RILL_NET_R_PORT);
        ret = rill_net_audio_opus_decode(rx->s, h, payload, len, rx->opus, rx->naudio,
                                         &rx->stats);
    } else if (rx->s->encoder == RILL_NET_ENC_INT16)
        ret = rill_net_audio_int16_decode(rx->s, h, payload, len, rx->audio, rx->naudio,
                                          &rx->stats);
    else
        ret = rill_net_audio_float_decode(rx->s, h, payload, len, rx->audio, rx->naudio,
                                          &rx->stats);
    if (ret < 0)
        return ret;
    /* the decoder checked sub_cycle < num_packets <= period */
    bit_test_set(rx->audio_seen, h->sub_cycle);
    if ((int32_t)h->sub_cycle < rx->audio_top)
        rx->stats.reordered++;
    else
        rx->audio_top = (int32_t)h->sub_cycle;
    rx->audio_expected = h->num_packets;
    rx->audio_got++;
    return 0;
}

static int feed_midi(struct rill_net_rx *rx, const struct rill_net_header *h,
                     const uint8_t *payload, size_t len)
{
    if (rx->nmidi == 0)
        return refuse(rx, RILL_NET_R_PORT);
    size_t chunk = rx->s->midi_chunk;
    size_t npk_max = (rx->midi_max + chunk - 1u) / chunk;
    if (npk_max > RILL_NET_MAX_MIDI_PACKETS)
        npk_max = RILL_NET_MAX_MIDI_PACKETS;
    if (h->num_packets == 0 || h->num_packets > npk_max || h->sub_cycle >= h->num_packets ||
        (rx->midi_expected && h->num_packets != rx->midi_expected))
        return refuse(rx, RILL_NET_R_SUBCYCLE);
    size_t off = (size_t)h->sub_cycle * chunk;
    if (len > chunk || off + len > rx->midi_max)
        return refuse(rx, RILL_NET_R_SIZE);
    if (bit_test_set(rx->midi_seen, h->sub_cycle))
        return refuse(rx, RILL_NET_R_DUPLICATE);
    memcpy(rx->midi + off, payload, len);
    if ((int32_t)h->sub_cycle < rx->midi_top)
        rx->stats.reordered++;
    else
        rx->midi_top = (int32_t)h->sub_cycle;
    if (off + len > rx->midi_len)
        rx->midi_len = off + len;
    rx->midi_expected = h->num_packets;
    rx->midi_got++;
    return 0;
}

int rill_net_rx_feed(struct rill_net_rx *rx, const uint8_t *buf, size_t len)
{
    struct rill_net_header h;
    int ret = rill_net_header_decode(buf, len, rx->s->mtu, &h, &rx->stats);
    if (ret < 0)
        return ret;
    if (h.id != rx->s->id || h.stream != rx->stream)
        return refuse(rx, RILL_NET_R_FOREIGN);
    if (rx->have_cycle) {
        int32_t d = (int32_t)(h.cycle - rx->cycle); /* serial arithmetic: wraps */
        if (d > 0)
            return RILL_NET_RX_NEWER;
        if (d < 0)
            return refuse(rx, RILL_NET_R_STALE);
    } else if (rx->have_last && (int32_t)(h.cycle - rx->last_cycle) <= 0) {
        return refuse(rx, RILL_NET_R_STALE);
    }
    const uint8_t *payload = buf + RILL_NET_HEADER_SIZE;
    size_t plen = len - RILL_NET_HEADER_SIZE;
    switch (h.data_type) {
    case 's':
        if (rx->sync_seen)
            return refuse(rx, RILL_NET_R_DUPLICATE);
        ret = rill_net_sync_decode(&h, payload, plen, rx->nreturn, rx->active_return, &rx->stats);
        if (ret < 0)
            return ret;
        rx->sync_seen = 1;
        if (rx->got) /* the sender puts it first */
            rx->stats.reordered++;
        break;
    case 'a':
        ret = feed_audio(rx, &h, payload, plen);
        break;
    default: /* 'm': the header decoder let no other type through */
        ret = feed_midi(rx, &h, payload, plen);
        break;
    }
    if (ret < 0)
        return ret;
    if (!rx->have_cycle && rx->have_last && rx->learned) {
        /* the first datagram of a cycle: the cycles skipped since the last
         * one never came at all (stale ones were refused above, d > 0) */
        uint32_t skipped = h.cycle - rx->last_cycle - 1u;
        rx->stats.missed += skipped;
        rx->stats.lost += (uint64_t)skipped * (1u + rx->learned_audio + rx->learned_midi);
    }
    rx->have_cycle = 1;
    rx->cycle = h.cycle;
    rx->got++;
    rx->stats.accepted++;
    return rill_net_rx_complete(rx) ? RILL_NET_RX_COMPLETE : RILL_NET_RX_USED;
}

int rill_net_rx_end(struct rill_net_rx *rx, rill_net_midi_sink sink, void *ctx)
{
    int complete = rill_net_rx_complete(rx), ret = -ENODATA;
    if (complete) {
        rx->stats.cycles++;
        rx->learned_audio = rx->audio_expected;
        rx->learned_midi = rx->midi_expected;
        rx->learned = 1;
    } else if (rx->have_cycle) {
        rx->stats.incomplete++;
        /* what is missing: the counts the cycle's own packets announce,
         * else those of the last complete cycle */
        uint32_t want = 1u;
        if (rx->naudio)
            want += rx->audio_expected ? rx->audio_expected : rx->learned_audio;
        if (rx->nmidi)
            want += rx->midi_expected ? rx->midi_expected : rx->learned_midi;
        if (want > rx->got)
            rx->stats.lost += want - rx->got;
    }
    if (rx->have_cycle) {
        rx->have_last = 1;
        rx->last_cycle = rx->cycle;
    }
    if (sink && rx->nmidi && rx->midi_expected && rx->midi_got == rx->midi_expected)
        ret = rill_net_midi_decode(rx->midi, rx->midi_len, rx->nmidi, rx->s->period, sink, ctx,
                                   &rx->stats);
    return ret;
}

/* Add what changed since the last call to a counter of the link (other
 * threads add to some of them too, so no stores). Realtime thread. */
static void link_add(_Atomic uint64_t *c, uint64_t now, uint64_t *was)
{
    if (now != *was)
        atomic_fetch_add_explicit(c, now - *was, memory_order_relaxed);
    *was = now;
}

/* Realtime thread (see net_rx.h). */
void rill_net_link_publish(struct rill_shm_link *l, const struct rill_net_stats *st,
                           struct rill_net_pub *p)
{
    uint64_t bad = 0;
    for (unsigned i = 0; i < RILL_NET_R_COUNT; i++)
        if (i != RILL_NET_R_FOREIGN && i != RILL_NET_R_STALE)
            bad += st->refused[i];
    /* relaxed (in link_add): statistics for rillctl and the log, nothing is
     * published through them */
    link_add(&l->cycles, st->cycles, &p->cycles);
    link_add(&l->incomplete, st->incomplete, &p->incomplete);
    link_add(&l->missed, st->missed, &p->missed);
    link_add(&l->lost, st->lost, &p->lost);
    link_add(&l->late, st->refused[RILL_NET_R_STALE], &p->late);
    link_add(&l->reordered, st->reordered, &p->reordered);
    link_add(&l->foreign, st->refused[RILL_NET_R_FOREIGN], &p->foreign);
    link_add(&l->malformed, bad, &p->malformed);
}
