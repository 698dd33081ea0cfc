/* drivers/net/net_rx.h — assembling one NetJACK2 cycle from its datagrams.
 *
 * The receiving side of one direction (the follower receives stream 's',
 * a master stream 'r'). The owner gives it, once, buffers it keeps using:
 * naudio audio buffers of period frames, a MIDI stream buffer of
 * RILL_NET_MIDI_STREAM_MAX(nmidi, period) bytes, and an array of nreturn
 * flags for the ports the peer wants back (from the sync packet).
 *
 * Per cycle: rill_net_rx_begin() silences the audio buffers and forgets the
 * last cycle's packets; then every datagram goes to rill_net_rx_feed()
 * until it reports the cycle complete, or a packet of a later cycle, or the
 * owner's deadline passes. Packets of the cycle may come in any order; a
 * missing one leaves silence in its frames (and drops the cycle's MIDI).
 * Datagrams of another session or peer, of a cycle already over, duplicates
 * and malformed ones are refused and counted in rx->stats.
 *
 * Realtime thread only (after rill_net_rx_init on the main thread): no
 * allocation, no lock, no system call.
 */
#ifndef RILL_NET_RX_H
#define RILL_NET_RX_H

#include "drivers/net/net_proto.h"

/* MIDI sub-packets per cycle at most: the largest stream in the smallest
 * slices. */
#define RILL_NET_MAX_MIDI_PACKETS                                                      \
    ((RILL_NET_MIDI_STREAM_MAX(RILL_NET_MAX_PORTS, RILL_NET_MAX_PERIOD) /                \
      (RILL_NET_MIN_MTU - RILL_NET_HEADER_SIZE)) + 1u)

enum rill_net_rx_result {
    RILL_NET_RX_USED = 0,      /* accepted; the cycle is not complete yet */
    RILL_NET_RX_COMPLETE = 1,  /* accepted; every packet of the cycle is in */
    RILL_NET_RX_NEWER = 2,     /* belongs to a later cycle: not consumed; end
                                * this cycle, begin the next, feed it again */
};

struct rill_net_rx {
    const struct rill_net_session *s;
    uint32_t stream;           /* 's' or 'r': what this side receives */
    float *const *audio;
    uint32_t naudio;
    uint8_t *midi;
    size_t midi_max;
    uint32_t nmidi;
    uint8_t *active_return;
    uint32_t nreturn;
    uint8_t *opus;             /* opus: naudio port streams of 2 + opus_bytes */

    /* the cycle being assembled */
    int have_cycle;            /* a packet of it fixed its number */
    int have_last;             /* a previous cycle is known (stale check) */
    uint32_t cycle;
    uint32_t last_cycle;
    int sync_seen;
    uint32_t audio_expected;   /* 0 until the first audio packet */
    uint32_t audio_got;
    uint32_t midi_expected;
    uint32_t midi_got;
    size_t midi_len;
    uint32_t got;              /* datagrams accepted in this cycle */
    int32_t audio_top;         /* highest audio sub-packet seen, -1 none */
    int32_t midi_top;
    /* datagrams of the last complete cycle (sync, audio, MIDI): what a
     * missing cycle or a missing kind counts as lost; 0 until one */
    uint32_t learned_audio, learned_midi;
    int learned;
    uint8_t audio_seen[RILL_NET_MAX_SUBPACKETS / 8u];
    uint8_t midi_seen[(RILL_NET_MAX_MIDI_PACKETS + 7u) / 8u];

    struct rill_net_stats stats;
};

/* Main thread: bind the buffers (see above). s must outlive rx. */
void rill_net_rx_init(struct rill_net_rx *rx, const struct rill_net_session *s, uint32_t stream,
                      float *const *audio, uint32_t naudio, uint8_t *midi, size_t midi_max,
                      uint32_t nmidi, uint8_t *active_return, uint32_t nreturn);

/* Main thread, opus sessions: where the ports' compressed streams go
 * (naudio x (2 + opus_bytes) bytes); the owner decodes them after a cycle
 * whose audio is complete (rill_net_rx_audio_complete). */
void rill_net_rx_set_opus(struct rill_net_rx *rx, uint8_t *streams);

/* Whether every audio datagram of the cycle came. */
int rill_net_rx_audio_complete(const struct rill_net_rx *rx);

/* Start a cycle: audio buffers to silence, packets forgotten. */
void rill_net_rx_begin(struct rill_net_rx *rx);

/* One datagram. Returns enum rill_net_rx_result, or -EBADMSG (refused,
 * counted). */
int rill_net_rx_feed(struct rill_net_rx *rx, const uint8_t *buf, size_t len);

/* Whether the cycle is complete. */
int rill_net_rx_complete(const struct rill_net_rx *rx);

/* End the cycle: counts it (complete or not) and, when its MIDI is
 * complete and sink is not NULL, hands the events to sink (NULL: the owner
 * parses rx->midi itself later, once). Returns the number of MIDI events or
 * a negative value when none could be read. */
int rill_net_rx_end(struct rill_net_rx *rx, rill_net_midi_sink sink, void *ctx);

/* ---- the counters shown by rillctl status (struct rill_shm_link) ---- */

struct rill_shm_link;

/* rx->stats as last added to a link, so that each call adds only what
 * changed (other threads add to the same counters). */
struct rill_net_pub {
    uint64_t cycles, incomplete, missed, lost, late, reordered, foreign, malformed;
};

/* Add what changed in st since the last call to the link's counters:
 * cycles, incomplete, missed, lost, late (stale), reordered, foreign and
 * malformed (every other refusal). Used by rilld -d net for its master and
 * by the netmanager for each follower. Realtime thread (the owner of st),
 * once a cycle; relaxed atomic additions only. */
void rill_net_link_publish(struct rill_shm_link *l, const struct rill_net_stats *st,
                           struct rill_net_pub *p);

#endif
