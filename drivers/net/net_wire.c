/* drivers/net/net_wire.c — NetJACK2 "params" and "header" packets: byte
 * layout, checked decoding, and the session geometry derived from a SETUP.
 *
 * params packet, 644 bytes (offsets):
 *     0  char[8]   "params"
 *     8  u32       protocol version (8)
 *    12  i32       kind (enum rill_net_kind)
 *    16  char[64]  follower name
 *    80  char[256] master host name
 *   336  char[256] follower host name
 *   592  u32 mtu, id, transport sync; i32 send audio, return audio, send
 *        MIDI, return MIDI; u32 rate, period, encoder, kbps, sync mode,
 *        network latency                                  (13 x 4 = 52)
 *
 * header packet, 48 bytes then payload:
 *     0  char[8]   "header"
 *     8  u32       data type, stream, id, packet count, packet size,
 *                  active ports, cycle, sub-cycle; i32 frames; u32 last
 *
 * All integers big-endian. Any thread (no state); see net_proto.h.
 */
#include "drivers/net/net_bytes.h"
#include "drivers/net/net_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PARAMS_MAGIC "params"
#define HEADER_MAGIC "header"
#define MAGIC_SIZE 8u
#define P_VERSION 8u
#define P_KIND 12u
#define P_NAME 16u
#define P_MASTER 80u
#define P_FOLLOWER 336u
#define P_INTS 592u

static const char *const refusal_names[RILL_NET_R_COUNT] = {
    [RILL_NET_R_SHORT] = "short",
    [RILL_NET_R_MAGIC] = "magic",
    [RILL_NET_R_SIZE] = "size",
    [RILL_NET_R_FIELD] = "field",
    [RILL_NET_R_FOREIGN] = "foreign",
    [RILL_NET_R_STALE] = "stale",
    [RILL_NET_R_SUBCYCLE] = "subcycle",
    [RILL_NET_R_DUPLICATE] = "duplicate",
    [RILL_NET_R_PORT] = "port",
    [RILL_NET_R_MIDI] = "midi",
};

const char *rill_net_refusal_name(enum rill_net_refusal r)
{
    return (unsigned)r < RILL_NET_R_COUNT ? refusal_names[r] : "unknown";
}

static int refuse(struct rill_net_stats *st, enum rill_net_refusal r)
{
    if (st)
        st->refused[r]++;
    return -EBADMSG;
}

/* a magic field: the word, then NULs up to 8 bytes */
static int magic_is(const uint8_t *p, const char *word)
{
    size_t n = strlen(word);
    if (memcmp(p, word, n) != 0)
        return 0;
    for (size_t i = n; i < MAGIC_SIZE; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* copy a fixed-size wire string that must be NUL-terminated inside it */
static int get_string(const uint8_t *p, size_t field, char *out)
{
    const void *nul = memchr(p, 0, field);
    if (!nul)
        return -1;
    size_t n = (size_t)((const uint8_t *)nul - p);
    memcpy(out, p, n);
    memset(out + n, 0, field - n);
    return 0;
}

static int put_string(uint8_t *p, size_t field, const char *s)
{
    size_t n = strnlen(s, field);
    if (n >= field)
        return -1;
    memset(p, 0, field);
    memcpy(p, s, n);
    return 0;
}

int rill_net_params_encode(const struct rill_net_params *p, uint8_t *buf, size_t size)
{
    if (size < RILL_NET_PARAMS_SIZE)
        return -ENOSPC;
    memset(buf, 0, RILL_NET_PARAMS_SIZE);
    memcpy(buf, PARAMS_MAGIC, sizeof PARAMS_MAGIC - 1);
    rill_net_put32be(buf + P_VERSION, p->version);
    rill_net_put32be(buf + P_KIND, p->kind);
    if (put_string(buf + P_NAME, RILL_NET_NAME_SIZE, p->name) < 0 ||
        put_string(buf + P_MASTER, RILL_NET_HOST_SIZE, p->master_host) < 0 ||
        put_string(buf + P_FOLLOWER, RILL_NET_HOST_SIZE, p->follower_host) < 0)
        return -EINVAL;
    const uint32_t v[13] = {
        p->mtu, p->id, p->transport_sync,
        (uint32_t)p->send_audio, (uint32_t)p->return_audio,
        (uint32_t)p->send_midi, (uint32_t)p->return_midi,
        p->rate, p->period, p->encoder, p->kbps, p->sync_mode, p->latency,
    };
    for (size_t i = 0; i < 13; i++)
        rill_net_put32be(buf + P_INTS + 4 * i, v[i]);
    return (int)RILL_NET_PARAMS_SIZE;
}

int rill_net_params_decode(const uint8_t *buf, size_t len, struct rill_net_params *p,
                           struct rill_net_stats *st)
{
    if (len < RILL_NET_PARAMS_SIZE)
        return refuse(st, len < MAGIC_SIZE ? RILL_NET_R_SHORT : RILL_NET_R_SIZE);
    if (!magic_is(buf, PARAMS_MAGIC))
        return refuse(st, RILL_NET_R_MAGIC);
    if (len != RILL_NET_PARAMS_SIZE)
        return refuse(st, RILL_NET_R_SIZE);
    memset(p, 0, sizeof *p);
    p->version = rill_net_get32be(buf + P_VERSION);
    p->kind = rill_net_get32be(buf + P_KIND);
    if (p->kind > RILL_NET_KILL_MASTER)
        return refuse(st, RILL_NET_R_FIELD);
    if (get_string(buf + P_NAME, RILL_NET_NAME_SIZE, p->name) < 0 ||
        get_string(buf + P_MASTER, RILL_NET_HOST_SIZE, p->master_host) < 0 ||
        get_string(buf + P_FOLLOWER, RILL_NET_HOST_SIZE, p->follower_host) < 0)
        return refuse(st, RILL_NET_R_FIELD);
    uint32_t v[13];
    for (size_t i = 0; i < 13; i++)
        v[i] = rill_net_get32be(buf + P_INTS + 4 * i);
    p->mtu = v[0];
    p->id = v[1];
    p->transport_sync = v[2];
    p->send_audio = (int32_t)v[3];
    p->return_audio = (int32_t)v[4];
    p->send_midi = (int32_t)v[5];
    p->return_midi = (int32_t)v[6];
    p->rate = v[7];
    p->period = v[8];
    p->encoder = v[9];
    p->kbps = v[10];
    p->sync_mode = v[11];
    p->latency = v[12];
    return 0;
}

static int channels_ok(int32_t got, int32_t asked, const char *what, char *err, size_t errsize)
{
    if (got < 0 || (uint32_t)got > RILL_NET_MAX_PORTS) {
        snprintf(err, errsize, "master offers %d %s channels; 0 to %u are possible", got, what,
                 RILL_NET_MAX_PORTS);
        return -EINVAL;
    }
    if (asked >= 0 && got != asked) {
        snprintf(err, errsize, "master offers %d %s channels where %d were asked", got, what,
                 asked);
        return -EINVAL;
    }
    return 0;
}

/* Main thread. */
int rill_net_session_init(struct rill_net_session *s, const struct rill_net_params *setup,
                          const struct rill_net_params *asked, char *err, size_t errsize)
{
    const struct rill_net_params *p = setup;
    int ret;
    memset(s, 0, sizeof *s);
    if (p->version != RILL_NET_PROTOCOL) {
        snprintf(err, errsize, "master speaks NetJACK2 protocol %u; rill speaks %u", p->version,
                 RILL_NET_PROTOCOL);
        return -EPROTO;
    }
    if (p->kind != RILL_NET_SETUP) {
        snprintf(err, errsize, "params packet of kind %u where a setup (1) was expected",
                 p->kind);
        return -EINVAL;
    }
    if (p->rate < RILL_NET_MIN_RATE || p->rate > RILL_NET_MAX_RATE) {
        snprintf(err, errsize, "master's rate %u Hz is outside %u..%u", p->rate,
                 RILL_NET_MIN_RATE, RILL_NET_MAX_RATE);
        return -EINVAL;
    }
    if (p->period < RILL_NET_MIN_PERIOD || p->period > RILL_NET_MAX_PERIOD ||
        (p->period & (p->period - 1)) != 0) {
        snprintf(err, errsize, "master's period %u is not a power of two in %u..%u", p->period,
                 RILL_NET_MIN_PERIOD, RILL_NET_MAX_PERIOD);
        return -EINVAL;
    }
    if (p->mtu < RILL_NET_MIN_MTU || p->mtu > RILL_NET_MAX_MTU) {
        snprintf(err, errsize, "MTU %u is outside %u..%u", p->mtu, RILL_NET_MIN_MTU,
                 RILL_NET_MAX_MTU);
        return -EINVAL;
    }
    if (asked && p->mtu != asked->mtu) {
        snprintf(err, errsize, "master changed the MTU to %u where %u was asked", p->mtu,
                 asked->mtu);
        return -EINVAL;
    }
    if ((ret = channels_ok(p->send_audio, asked ? asked->send_audio : -1, "capture audio", err,
                           errsize)) < 0 ||
        (ret = channels_ok(p->return_audio, asked ? asked->return_audio : -1, "playback audio",
                           err, errsize)) < 0 ||
        (ret = channels_ok(p->send_midi, asked ? asked->send_midi : -1, "capture MIDI", err,
                           errsize)) < 0 ||
        (ret = channels_ok(p->return_midi, asked ? asked->return_midi : -1, "playback MIDI", err,
                           errsize)) < 0)
        return ret;
    if (p->latency > RILL_NET_MAX_LATENCY) {
        snprintf(err, errsize, "network latency %u cycles is above %u", p->latency,
                 RILL_NET_MAX_LATENCY);
        return -EINVAL;
    }
    if (p->encoder != RILL_NET_ENC_FLOAT && p->encoder != RILL_NET_ENC_INT16 &&
        p->encoder != RILL_NET_ENC_OPUS) {
        snprintf(err, errsize, "encoder %u (%s) is not supported; float (0), int16 (1) and "
                 "opus (3) are", p->encoder,
                 p->encoder == RILL_NET_ENC_CELT ? "celt" : "unknown");
        return -ENOTSUP;
    }
    if (asked && p->encoder != asked->encoder) {
        snprintf(err, errsize, "master changed the encoding to %u where %u was asked",
                 p->encoder, asked->encoder);
        return -EINVAL;
    }
    s->id = p->id;
    s->mtu = p->mtu;
    s->rate = p->rate;
    s->period = p->period;
    s->encoder = p->encoder;
    s->latency = p->latency;
    s->capture_audio = (uint32_t)p->send_audio;
    s->playback_audio = (uint32_t)p->return_audio;
    s->capture_midi = (uint32_t)p->send_midi;
    s->playback_midi = (uint32_t)p->return_midi;
    s->payload_max = p->mtu - RILL_NET_UDP_BUDGET - RILL_NET_HEADER_SIZE;
    s->midi_chunk = p->mtu - RILL_NET_HEADER_SIZE;
    if (s->encoder == RILL_NET_ENC_OPUS) {
        uint32_t np, sb, lb;
        s->kbps = p->kbps;
        s->opus_bytes = rill_net_opus_bytes(p->kbps, p->rate, p->period);
        if (p->kbps == 0 || s->opus_bytes < 2u || s->opus_bytes > 8192u ||
            (s->capture_audio && rill_net_opus_split(s, s->capture_audio, &np, &sb, &lb) < 0) ||
            (s->playback_audio &&
             rill_net_opus_split(s, s->playback_audio, &np, &sb, &lb) < 0)) {
            snprintf(err, errsize, "opus at %u kbit/s, %u Hz, period %u: %u bytes a period "
                     "per channel do not fit 2..8192 and the MTU; choose another bit rate",
                     p->kbps, p->rate, p->period, s->opus_bytes);
            return -EINVAL;
        }
    }
    if (s->encoder == RILL_NET_ENC_INT16) {
        uint32_t n = s->capture_audio > s->playback_audio ? s->capture_audio : s->playback_audio;
        /* each direction has its own port count; both must split cleanly */
        uint32_t np, sb, lb;
        if ((s->capture_audio && rill_net_int16_split(s, s->capture_audio, &np, &sb, &lb) < 0) ||
            (s->playback_audio &&
             rill_net_int16_split(s, s->playback_audio, &np, &sb, &lb) < 0)) {
            snprintf(err, errsize,
                     "int16 encoding of %u channels at period %u splits a sample across "
                     "packets (jackd2 garbles that); use float or another channel count",
                     n, s->period);
            return -EINVAL;
        }
    }
    return 0;
}

void rill_net_header_encode(const struct rill_net_header *h, uint8_t *buf)
{
    memset(buf, 0, MAGIC_SIZE);
    memcpy(buf, HEADER_MAGIC, sizeof HEADER_MAGIC - 1);
    const uint32_t v[10] = {
        h->data_type, h->stream, h->id, h->num_packets, h->packet_size,
        h->active_ports, h->cycle, h->sub_cycle, (uint32_t)h->frames, h->is_last,
    };
    for (size_t i = 0; i < 10; i++)
        rill_net_put32be(buf + MAGIC_SIZE + 4 * i, v[i]);
}

int rill_net_header_decode(const uint8_t *buf, size_t len, uint32_t mtu,
                           struct rill_net_header *h, struct rill_net_stats *st)
{
    if (len < RILL_NET_HEADER_SIZE)
        return refuse(st, RILL_NET_R_SHORT);
    if (!magic_is(buf, HEADER_MAGIC))
        return refuse(st, RILL_NET_R_MAGIC);
    if (len > mtu)
        return refuse(st, RILL_NET_R_SIZE);
    uint32_t v[10];
    for (size_t i = 0; i < 10; i++)
        v[i] = rill_net_get32be(buf + MAGIC_SIZE + 4 * i);
    h->data_type = v[0];
    h->stream = v[1];
    h->id = v[2];
    h->num_packets = v[3];
    h->packet_size = v[4];
    h->active_ports = v[5];
    h->cycle = v[6];
    h->sub_cycle = v[7];
    h->frames = (int32_t)v[8];
    h->is_last = v[9];
    if (h->data_type != 's' && h->data_type != 'a' && h->data_type != 'm')
        return refuse(st, RILL_NET_R_FIELD);
    if (h->stream != 's' && h->stream != 'r')
        return refuse(st, RILL_NET_R_FIELD);
    if (h->is_last > 1)
        return refuse(st, RILL_NET_R_FIELD);
    if (h->packet_size != len)
        return refuse(st, RILL_NET_R_SIZE);
    return 0;
}
