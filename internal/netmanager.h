/* internal/netmanager.h — rill as a NetJACK2 master: the `netmanager`
 * internal client (rilld -l netmanager[:ARGS], jack_load netmanager), with
 * jackd2's name and arguments.
 *
 * Two parts, one file each:
 *
 *   netmanager.c           the module (jack_initialize/jack_finish), its
 *                          arguments, and the manager thread: it listens on
 *                          the multicast group (or the port alone), answers
 *                          a follower's AVAILABLE with a SETUP from a socket
 *                          of the follower's own, waits for START_MASTER,
 *                          opens the follower's client, removes followers
 *                          that are gone, and logs the counters once a
 *                          second. Not realtime.
 *   netmanager_follower.c  one follower: its JACK client named after the
 *                          follower, ports to_slave_N / from_slave_N (and
 *                          midi_to_slave_N / midi_from_slave_N), and the
 *                          process callback that drives the follower from
 *                          rill's cycle (realtime).
 *
 * The wire format is drivers/net/ (net_proto.h, net_rx.h): the same
 * encoders and checked decoders as rilld -d net, compiled into the module.
 *
 * Threads: the manager thread creates, activates, deactivates and frees a
 * follower; between activation and deactivation the follower's client
 * thread (realtime, inside rilld) runs nm_follower_process and owns every
 * field marked "RT". They share only the atomics.
 */
#ifndef RILL_NETMANAGER_H
#define RILL_NETMANAGER_H

#include "drivers/net/net_rx.h"
#include "rill/shm.h"

#include <jack/jack.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>

/* A follower that sent nothing for this long is gone (jackd2 waits a whole
 * second, and then its manager needs a KILL_MASTER round trip; rill removes
 * it within a second in all). Before its first datagram a follower gets
 * NM_FIRST_NS: a jackd2 follower starts its engine after START_MASTER. */
#define NM_GONE_NS 500000000ull
#define NM_FIRST_NS 3000000000ull
/* SETUP is sent again every second until START_MASTER, NM_SETUP_TRIES times */
#define NM_SETUP_NS 1000000000ull
#define NM_SETUP_TRIES 10u
/* datagrams read per cycle at most (a flood cannot hold the cycle) */
#define NM_MAX_DGRAMS 1024u
/* cycles in a row with the same offset and nothing on time before an async
 * follower's numbering is re-anchored */
#define NM_RESYNC_CYCLES 8u

enum nm_state {
    NM_SETUP = 1,      /* SETUP sent, waiting for START_MASTER */
    NM_ROLLING = 2,    /* client active, process callback runs */
};

/* Why a follower's session ended; its text is logged. */
enum nm_gone {
    NM_ALIVE = 0,
    NM_GONE_SILENT,    /* nothing for NM_GONE_NS */
    NM_GONE_REFUSED,   /* ICMP port unreachable: its socket is closed */
    NM_GONE_SHUTDOWN,  /* rill removed its client (late, or server stop) */
    NM_GONE_PERIOD,    /* rill's period changed: the session cannot follow */
};

/* Per-follower counters: the RT thread writes, the manager reads (relaxed:
 * statistics shown to a human, a torn pair of values is harmless). */
struct nm_counters {
    _Atomic uint64_t cycles;       /* cycles that expected the follower's answer */
    _Atomic uint64_t complete;     /* ... and had all of it */
    _Atomic uint64_t partial;      /* some packets missing: silence for the rest */
    _Atomic uint64_t missing;      /* nothing at all: silence */
    _Atomic uint64_t late;         /* datagrams of a cycle already played */
    _Atomic uint64_t refused;      /* datagrams refused by the decoders */
    _Atomic uint64_t send_errors;
    _Atomic uint64_t resyncs;      /* an async follower's numbering re-anchored */
};

struct nm_follower {
    struct nm_follower *next;      /* manager thread's list */
    struct nm_manager *m;
    int fd;                        /* connected to the follower */
    struct sockaddr_in addr;
    struct rill_net_params setup;  /* the SETUP we send (host order) */
    struct rill_net_session s;     /* "capture" = to the follower */
    enum nm_state state;
    uint64_t setup_next_ns;        /* manager: next SETUP */
    unsigned setup_tries;
    uint64_t started_ns;           /* manager: START_MASTER received */

    jack_client_t *client;
    char client_name[128];         /* the name rill granted */
    jack_port_t **to_audio, **from_audio, **to_midi, **from_midi;

    /* RT: buffers allocated before activation */
    float **send_buf;              /* capture_audio pointers, set each cycle */
    float **ret_buf;               /* playback_audio pointers, bound to rx */
    void **midi_out;               /* playback_midi JACK buffers of this cycle */
    uint8_t *active_send;          /* the ports the follower wants (its sync) */
    uint8_t *want_return;          /* all 1: we want every return port */
    uint8_t *midi_rx;              /* the return MIDI stream */
    size_t midi_rx_max;
    uint8_t *midi_tx;              /* the send MIDI stream */
    size_t midi_tx_max;
    uint8_t *dgram, *pending, *tx; /* one datagram each, mtu bytes */
    size_t pending_len;
    struct rill_net_rx rx;
    uint32_t cycle;                /* our cycle number, 1 first */
    /* An async follower (jackd2's default) numbers its answers with a
     * counter of its own, one step per cycle of ours it received: a cycle
     * lost on the way makes it lag by one for good. target = cycle - L -
     * shift. When for NM_RESYNC_CYCLES cycles in a row nothing came on
     * time but datagrams at one offset did, shift is corrected so that
     * its newest answer counts as the answer to the cycle it came after
     * (see resync()): the latency is L again (jackd2's master reads
     * whatever comes next instead). */
    int32_t shift;
    int32_t off_pre, off_wait;     /* nearest late offset this cycle, 0 none */
    int32_t off_ahead;             /* offset of a datagram kept for later */
    int32_t off_last;              /* the correction the last cycles asked */
    int waited;                    /* this cycle's receive has waited */
    unsigned off_count;
    uint64_t last_alive_ns;        /* last datagram from the follower */
    int heard;                     /* any datagram yet */
    unsigned quiet;                /* cycles in a row with nothing heard */

    _Atomic int gone;              /* enum nm_gone; RT or shutdown sets, manager reads */
    struct nm_counters n;
    /* what rillctl status shows (the state segment's netmanager block):
     * slot NULL when rill gave no block or all were taken, then link
     * points to own_link; RT adds to link, the manager writes slot->id */
    struct rill_shm_netmanager *block;
    struct rill_shm_nm_follower *slot;
    struct rill_shm_link own_link;
    struct rill_shm_link *link;
    struct rill_net_pub pub;       /* RT: rx.stats as last added to link */
    uint64_t shown[8];             /* manager: counters at the last log line */
};

/* The manager's settings (jackd2's netmanager parameters). */
struct nm_config {
    char address[64];              /* -a: multicast group (or any IPv4 address) */
    unsigned port;                 /* -p */
    int auto_connect;              /* -c */
    int auto_save;                 /* -s */
};

/* Parse jackd2-style arguments ("-a ADDR -p PORT -c", long forms, commas
 * as separators too) into cfg (defaults from $JACK_NETJACK_MULTICAST,
 * $JACK_NETJACK_PORT, else 225.3.19.154:19000). Returns 0, 1 for -h (help
 * printed into err), or -EINVAL with a sentence in err. Any thread. */
int nm_config_parse(const char *args, struct nm_config *cfg, char *err, size_t errsize);

/* netmanager_save.c (-s): a follower's connections, kept by its name when
 * it goes and made again when a follower of that name joins. Manager
 * thread. */
struct nm_saved;
/* Remember f's connections (replacing what was kept for its name). */
void nm_save_connections(struct nm_saved **list, struct nm_follower *f);
/* Connect f's ports as its name's were; returns how many were made. */
int nm_restore_connections(struct nm_saved *list, struct nm_follower *f);
void nm_saved_free(struct nm_saved **list);

/* netmanager_follower.c ------------------------------------------------ */

/* After START_MASTER: buffers, JACK client and ports, activation, auto
 * connection. Manager thread. 0 or -errno (f unchanged for the caller to
 * free). */
int nm_follower_start(struct nm_follower *f, int auto_connect, char *err, size_t errsize);

/* Deactivate and close the client (when it was started), close the socket,
 * free everything. Manager thread. */
void nm_follower_free(struct nm_follower *f);

/* rillctl status: show f in a slot of its block (before activation) /
 * free the slot (after deactivation). Manager thread. */
void nm_slot_claim(struct nm_follower *f);
void nm_slot_release(struct nm_follower *f);

/* Name of a nm_gone reason. Any thread. */
const char *nm_gone_name(int why);

#endif
