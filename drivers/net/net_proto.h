/* drivers/net/net_proto.h — NetJACK2 protocol version 8, as jackd2 1.9.21
 * speaks it on the wire: rill's own structs and checked encode/decode.
 *
 * Two kinds of UDP datagrams exist:
 *
 *   "params" (644 bytes): session parameters, exchanged while a follower
 *     looks for a master (AVAILABLE, multicast), the master answers (SETUP),
 *     the follower confirms (START_MASTER), a master leaves (KILL_MASTER).
 *   "header" (48 bytes + payload): one sub-packet of a cycle: the sync
 *     packet ('s', its payload the list of active return ports), MIDI
 *     sub-packets ('m', slices of one byte stream for all MIDI ports) and
 *     audio sub-packets ('a', float: per active port its index and a run of
 *     frames; int16: every port's slice of the period).
 *
 * Integers of both headers are in network byte order; audio samples (float
 * and int16) and MIDI event records are little-endian (jackd2 copies them in
 * host order and every host it runs on is little-endian); the MIDI port
 * headers inside the MIDI stream are in network order.
 *
 * Sizes: a datagram is at most the session's MTU minus a 64-byte budget for
 * the IP and UDP headers (jackd2's UDP_HEADER_SIZE); MTU 1500 unless both
 * ends agree otherwise, at most 9000.
 *
 * Nothing here allocates, locks or calls the system: every function may run
 * on the realtime thread unless its comment says otherwise. Every field of a
 * datagram is checked before it is used; a refusal names its reason
 * (enum rill_net_refusal) and is counted in struct rill_net_stats.
 */
#ifndef RILL_NET_PROTO_H
#define RILL_NET_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define RILL_NET_PROTOCOL 8u
#define RILL_NET_DEFAULT_ADDRESS "225.3.19.154"
#define RILL_NET_DEFAULT_PORT 19000u
#define RILL_NET_DEFAULT_MTU 1500u
#define RILL_NET_MIN_MTU 576u        /* IPv4's guaranteed datagram size */
#define RILL_NET_MAX_MTU 9000u       /* jumbo frames, jackd2's limit */
#define RILL_NET_UDP_BUDGET 64u      /* IPv6 40 or IPv4 20, UDP 8: take 64 */
#define RILL_NET_HEADER_SIZE 48u     /* "header" packet's fixed part */
#define RILL_NET_PARAMS_SIZE 644u    /* a "params" packet, exactly */
#define RILL_NET_NAME_SIZE 64u       /* follower's client name, NUL included */
#define RILL_NET_HOST_SIZE 256u      /* host names, NUL included */
#define RILL_NET_MAX_PORTS 256u      /* audio or MIDI channels one way */
#define RILL_NET_MAX_LATENCY 30u     /* network latency in cycles */
#define RILL_NET_DEFAULT_LATENCY 5u  /* jackd2's -d net default */
#define RILL_NET_MIN_PERIOD 16u
#define RILL_NET_MAX_PERIOD 8192u
#define RILL_NET_MIN_RATE 8000u
#define RILL_NET_MAX_RATE 384000u
/* A MIDI port's record in the MIDI byte stream: a 24-byte header, then
 * event_count + 1 event slots of 12 bytes (jackd2 copies its buffer struct,
 * whose first event slot is part of it), then write_pos data bytes. */
#define RILL_NET_MIDI_PORT_HEADER 24u
#define RILL_NET_MIDI_EVENT_SIZE 12u
#define RILL_NET_MIDI_MAGIC 0x900df00du
#define RILL_NET_MIDI_INLINE_MAX 4u
/* jackd2's MIDI port buffer size (BUFFER_SIZE_MAX * sizeof(float)): what a
 * port header rill sends claims, since jackd2 copies it into its buffer. */
#define RILL_NET_MIDI_BUFFER_SIZE 32768u
/* The largest MIDI stream of one cycle: jackd2 sizes it ports * 4 * period. */
#define RILL_NET_MIDI_STREAM_MAX(ports, period) ((size_t)(ports) * 4u * (size_t)(period))
/* Audio sub-packets per cycle at most: one frame each (float, 1 frame). */
#define RILL_NET_MAX_SUBPACKETS RILL_NET_MAX_PERIOD

/* params packet kinds (jackd2's sync_packet_type_t, as numbered on the wire) */
enum rill_net_kind {
    RILL_NET_AVAILABLE = 0,    /* follower -> multicast: I am here */
    RILL_NET_SETUP = 1,        /* master -> follower: the session */
    RILL_NET_START_MASTER = 2, /* follower -> master: ready, start */
    RILL_NET_START_SLAVE = 3,  /* unused by jackd2 1.9.21 */
    RILL_NET_KILL_MASTER = 4,  /* master -> multicast: I am leaving */
};

enum rill_net_encoder {
    RILL_NET_ENC_FLOAT = 0,
    RILL_NET_ENC_INT16 = 1,
    RILL_NET_ENC_CELT = 2,     /* not supported (Debian's jackd2 has none) */
    RILL_NET_ENC_OPUS = 3,     /* libopus custom mode (net_opus.h) */
};

/* A params packet, decoded (host order, strings NUL-terminated). Channel
 * counts are signed: -1 in AVAILABLE asks the master for "as many as your
 * physical ports". "send" is master -> follower, "return" the way back. */
struct rill_net_params {
    uint32_t kind;             /* enum rill_net_kind */
    uint32_t version;
    char name[RILL_NET_NAME_SIZE];
    char master_host[RILL_NET_HOST_SIZE];
    char follower_host[RILL_NET_HOST_SIZE];
    uint32_t mtu;
    uint32_t id;
    uint32_t transport_sync;
    int32_t send_audio, return_audio, send_midi, return_midi;
    uint32_t rate;
    uint32_t period;
    uint32_t encoder;          /* enum rill_net_encoder */
    uint32_t kbps;             /* opus/celt bit rate per channel */
    uint32_t sync_mode;        /* follower answers with the master's cycle number */
    uint32_t latency;          /* network latency, cycles */
};

/* A header packet's fixed part, decoded. */
struct rill_net_header {
    uint32_t data_type;        /* 's', 'a' or 'm' */
    uint32_t stream;           /* 's' master->follower, 'r' follower->master */
    uint32_t id;               /* the follower's id, given by the master */
    uint32_t num_packets;      /* sub-packets of this kind in the cycle */
    uint32_t packet_size;      /* the whole datagram, header included */
    uint32_t active_ports;
    uint32_t cycle;
    uint32_t sub_cycle;
    int32_t frames;
    uint32_t is_last;          /* last packet of the cycle */
};

/* Why a datagram (or a part of one) was refused. */
enum rill_net_refusal {
    RILL_NET_R_SHORT,          /* shorter than its fixed part */
    RILL_NET_R_MAGIC,          /* not "params"/"header", or garbage */
    RILL_NET_R_SIZE,           /* length disagrees with its own fields or the MTU */
    RILL_NET_R_FIELD,          /* a field out of its range */
    RILL_NET_R_FOREIGN,        /* another session, peer or direction */
    RILL_NET_R_STALE,          /* a cycle already over */
    RILL_NET_R_SUBCYCLE,       /* sub-packet number or count out of the agreement */
    RILL_NET_R_DUPLICATE,      /* a sub-packet already received this cycle */
    RILL_NET_R_PORT,           /* channel number or active-port count out of range */
    RILL_NET_R_MIDI,           /* MIDI port record or event malformed */
    RILL_NET_R_COUNT
};

/* Counters; the realtime thread alone writes them (readers tolerate a torn
 * view: these are statistics). */
struct rill_net_stats {
    uint64_t refused[RILL_NET_R_COUNT];
    uint64_t accepted;         /* datagrams used */
    uint64_t cycles;           /* cycles completed */
    uint64_t incomplete;       /* cycles that ended with packets missing */
    uint64_t lost;             /* datagrams that never came: the missing ones of
                                * incomplete cycles, and every datagram of the
                                * cycles skipped in the numbering (counted as
                                * many as the last complete cycle had) */
    uint64_t missed;           /* whole cycles skipped in the numbering */
    uint64_t reordered;        /* datagrams that came after a later one of their
                                * cycle (placed correctly all the same) */
    uint64_t midi_dropped;     /* MIDI events not sent (too long for jackd2, no room) */
};

/* Name of a refusal for logs and rillctl ("short", "size", ...). Any thread. */
const char *rill_net_refusal_name(enum rill_net_refusal r);

/* The geometry of an agreed session, derived once (main thread) from a
 * SETUP and used by the encoders and decoders. "capture" is what the
 * follower receives (the master's send channels), "playback" what it
 * returns. */
struct rill_net_session {
    uint32_t id;
    uint32_t mtu;
    uint32_t rate;
    uint32_t period;
    uint32_t encoder;
    uint32_t latency;
    uint32_t capture_audio, playback_audio;
    uint32_t capture_midi, playback_midi;
    uint32_t payload_max;      /* mtu - 64 - 48: audio and sync payload */
    uint32_t kbps;             /* opus: kilobits a second per channel (x 1024) */
    uint32_t opus_bytes;       /* opus: the most compressed bytes of a port's period */
    uint32_t midi_chunk;       /* mtu - 48: MIDI stream slice per packet (jackd2) */
};

/* ---- params packets -------------------------------------------------- */

/* Write p as a 644-byte params packet into buf (size >= 644). Strings longer
 * than their field are refused. Returns the size or -EINVAL/-ENOSPC. */
int rill_net_params_encode(const struct rill_net_params *p, uint8_t *buf, size_t size);

/* Decode a datagram as a params packet: exactly 644 bytes, "params", a known
 * kind, every string terminated inside its field. Counts a refusal in st
 * (may be NULL). Returns 0 or -EBADMSG. Does not judge the values (see
 * rill_net_session_init). */
int rill_net_params_decode(const uint8_t *buf, size_t len, struct rill_net_params *p,
                           struct rill_net_stats *st);

/* Check a SETUP against what the follower asked and derive the session:
 * protocol 8, rate, power-of-two period, MTU, channel counts (0..256, equal
 * to what was asked unless -1 was asked), a supported encoder, latency.
 * err names what was wrong and what would be right. Main thread.
 * Returns 0, -EPROTO (version), -ENOTSUP (encoder) or -EINVAL. */
int rill_net_session_init(struct rill_net_session *s, const struct rill_net_params *setup,
                          const struct rill_net_params *asked, char *err, size_t errsize);

/* ---- header packets -------------------------------------------------- */

/* Write h's 48 bytes (packet_size included as given). */
void rill_net_header_encode(const struct rill_net_header *h, uint8_t *buf);

/* Decode the fixed part of a datagram: at least 48 bytes, "header", a known
 * data type and stream, packet_size equal to len and len within mtu.
 * Returns 0 or -EBADMSG, counting the refusal in st (may be NULL). */
int rill_net_header_decode(const uint8_t *buf, size_t len, uint32_t mtu,
                           struct rill_net_header *h, struct rill_net_stats *st);

/* ---- sync ------------------------------------------------------------ */

/* The sync payload: active_ports port indices (network order), each below
 * nports, no index twice. Marks them in active[0..nports) (1/0).
 * Returns 0 or -EBADMSG (counted). */
int rill_net_sync_decode(const struct rill_net_header *h, const uint8_t *payload, size_t len,
                         uint32_t nports, uint8_t *active, struct rill_net_stats *st);

/* Write the sync payload for the ports marked in active; returns its size
 * (4 per active port), or -ENOSPC when it does not fit payload_max. */
int rill_net_sync_encode(const uint8_t *active, uint32_t nports, uint8_t *payload,
                         size_t size, uint32_t *nactive);

/* ---- audio ----------------------------------------------------------- */

/* Frames per float sub-packet for a number of active ports: the largest
 * power of two whose samples fit payload_max, at most the period, computed
 * the way jackd2 computes it (it derives it again on receipt). */
uint32_t rill_net_float_frames(const struct rill_net_session *s, uint32_t active_ports);

/* Decode a float audio sub-packet into bufs[port][sub_cycle*frames ...]
 * (nports buffers of period frames; a NULL buffer is skipped). Checks the
 * active-port count, the packet count against the period, the sub-packet
 * number, the payload size and every port index. Returns 0 or -EBADMSG. */
int rill_net_audio_float_decode(const struct rill_net_session *s, const struct rill_net_header *h,
                                const uint8_t *payload, size_t len, float *const *bufs,
                                uint32_t nports, struct rill_net_stats *st);

/* Encode sub-packet sub of the ports marked in active (bufs[port], period
 * frames; NULL is silence). Fills h's audio fields; returns the payload size
 * or -EINVAL/-ENOSPC. */
int rill_net_audio_float_encode(const struct rill_net_session *s, uint32_t sub,
                                const float *const *bufs, const uint8_t *active, uint32_t nports,
                                struct rill_net_header *h, uint8_t *payload, size_t size);

/* The int16 encoding: every port in every packet, int_packets per cycle. */
int rill_net_audio_int16_decode(const struct rill_net_session *s, const struct rill_net_header *h,
                                const uint8_t *payload, size_t len, float *const *bufs,
                                uint32_t nports, struct rill_net_stats *st);
int rill_net_audio_int16_encode(const struct rill_net_session *s, uint32_t sub,
                                const float *const *bufs, uint32_t nports,
                                struct rill_net_header *h, uint8_t *payload, size_t size);

/* Geometry of int16 for nports ports: packets per cycle, bytes per port in
 * packets 0..n-2 and in the last one. -EINVAL when a sample would straddle
 * two packets (jackd2 garbles that case, so rill refuses such a session) or
 * a packet would not fit the MTU. */
int rill_net_int16_split(const struct rill_net_session *s, uint32_t nports, uint32_t *packets,
                         uint32_t *sub_bytes, uint32_t *last_bytes);

/* The opus encoding (jackd2's layout): each port's period is one opus
 * custom-mode frame of at most opus_bytes; its stream is a big-endian u16
 * length and then opus_bytes bytes (unused ones sent too), 2 + opus_bytes
 * in all. n = ceil((nports * opus_bytes + 2) / payload_max) packets per
 * cycle; packet k holds bytes [k*sub, k*sub + size) of every port's stream
 * in turn, size = sub for k < n-1 and last for the last one (sub = (2 +
 * opus_bytes) / n, last = sub + the remainder; sub = last when n is 1).
 * Every port is in every packet (active_ports = nports). */

/* The compressed size of a period at kbps per channel (jackd2 counts a
 * kilobit as 1024 bits): kbps * 1024 * period / (8 * rate). */
uint32_t rill_net_opus_bytes(uint32_t kbps, uint32_t rate, uint32_t period);

/* Geometry of opus for nports ports; -EINVAL when it does not fit. */
int rill_net_opus_split(const struct rill_net_session *s, uint32_t nports, uint32_t *packets,
                        uint32_t *sub_bytes, uint32_t *last_bytes);

/* Copy an opus audio sub-packet into the ports' streams (streams + p *
 * (2 + opus_bytes)). Checks active ports, counts, sub-packet number and
 * size. Returns 0 or -EBADMSG (counted). */
int rill_net_audio_opus_decode(const struct rill_net_session *s, const struct rill_net_header *h,
                               const uint8_t *payload, size_t len, uint8_t *streams,
                               uint32_t nports, struct rill_net_stats *st);

/* Write sub-packet sub of the ports' streams; fills h's audio fields;
 * returns the payload size or -EINVAL/-ENOSPC. */
int rill_net_audio_opus_encode(const struct rill_net_session *s, uint32_t sub,
                               const uint8_t *streams, uint32_t nports, struct rill_net_header *h,
                               uint8_t *payload, size_t size);

/* ---- MIDI ------------------------------------------------------------ */

/* One MIDI event, as the stream decoder hands it out; data points into the
 * stream (valid until the next cycle). */
typedef void (*rill_net_midi_sink)(void *ctx, uint32_t port, uint32_t time,
                                   const uint8_t *data, uint32_t size);

/* Parse a cycle's reassembled MIDI stream (len bytes) of nports port
 * records: magic, counts, sizes, every event's time (< period), size and
 * data offset are checked; a bad event is skipped and counted, a bad port
 * record ends the parse (counted). Returns the number of events emitted,
 * or -EBADMSG when the stream was cut short. */
int rill_net_midi_decode(const uint8_t *stream, size_t len, uint32_t nports, uint32_t period,
                         rill_net_midi_sink sink, void *ctx, struct rill_net_stats *st);

/* A MIDI stream being written, port by port. */
struct rill_net_midi_writer {
    uint8_t *buf;
    size_t size;
    size_t pos;                /* end of the finished ports */
    size_t port_start;         /* start of the open port's record */
    uint32_t count;            /* events in the open port */
    uint32_t period;
    int open;
};

void rill_net_midi_writer_init(struct rill_net_midi_writer *w, uint8_t *buf, size_t size,
                               uint32_t period);
/* Open the next port's record; -ENOSPC when it does not fit. */
int rill_net_midi_writer_port(struct rill_net_midi_writer *w);
/* Add an event to the open port. jackd2 can take only events of up to 4
 * bytes (it misplaces longer ones' data): a longer one is refused with
 * -EMSGSIZE; time must be < period (-EINVAL); -ENOSPC when full. */
int rill_net_midi_writer_event(struct rill_net_midi_writer *w, uint32_t time,
                               const uint8_t *data, uint32_t size);
/* Close the stream; returns its length. */
size_t rill_net_midi_writer_finish(struct rill_net_midi_writer *w);

#endif
