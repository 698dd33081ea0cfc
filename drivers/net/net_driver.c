/* drivers/net/net_driver.c — `rilld -d net`: rill as a NetJACK2 follower.
 *
 * open (main thread) finds a master: it sends AVAILABLE params packets to
 * the multicast group (or the master's unicast address) once a second from
 * a socket bound to the port, until a SETUP arrives; the SETUP fixes rate,
 * period and channel counts (checked, net_wire.c). The socket is then
 * connected to the master (which talks from a port of its own).
 *
 * Realtime thread, per cycle:
 *   wait   ppoll on the socket with a deadline (the only blocking call),
 *          then recv without blocking, datagram by datagram, into the
 *          cycle assembler (net_rx.c) until the cycle is complete, or the
 *          burst's deadline passes (what is missing stays silent and is
 *          counted), or a datagram of the next cycle arrives (kept for the
 *          next wait).
 *   read   the assembled capture audio into the engine's buffers.
 *   write  the return cycle: a sync packet, then the audio of the ports
 *          the master listens to (float or int16), with the master's
 *          cycle number (sync mode).
 *
 * When nothing comes for RILL_NET_LOST_NS the master is gone: the realtime
 * thread hands the socket to the driver's housekeeping thread (shared_state
 * NET_LOST) and from then on only paces silent cycles by its deadline at the
 * same rate and period (a ppoll without descriptors), so that clients keep
 * running. The housekeeping thread (not realtime) disconnects the socket,
 * sends AVAILABLE once a second and reads what comes; a SETUP of the same
 * rate, period, MTU, encoding and channels is checked there, the socket
 * connected to the master and START_MASTER sent, and only then is the
 * session handed back (NET_JOINING); the realtime thread takes its id and
 * rolls again (NET_ROLLING). So the realtime thread never calls connect, and
 * its system calls are the wait's ppoll, recv and send (tests/integration/
 * net.sh traces it through a loss and a rejoin).
 *
 * The housekeeping thread also reports state changes and, at most once a
 * second, the link's counters on stderr; the counters live in the state
 * segment (struct rill_shm_link, shown by rillctl status), stored by the
 * realtime thread with relaxed atomics.
 */
#include "drivers/driver.h"
#include "drivers/net/net_opus.h"
#include "drivers/net/net_rx.h"
#include "midi/buffer.h"
#include "rill/limits.h"
#include "rill/shm.h"
#include "rill/time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NS_PER_S 1000000000ull
#define RILL_NET_LOST_NS NS_PER_S          /* jackd2's PACKET_TIMEOUT */
/* before a session's first cycle: jack_net_master waits a whole second
 * after START_MASTER before it sends one, and gives a follower 6 s */
#define RILL_NET_FIRST_NS (5u * NS_PER_S)
/* the longest wait for a cycle before a period of silence is played: a
 * master slower than its own period (jack_net_master paces itself with
 * usleep, about a third of real time) is followed at its pace up to this */
#define RILL_NET_MAX_WAIT_NS (250u * 1000000ull)
#define RILL_NET_ANNOUNCE_NS NS_PER_S      /* AVAILABLE every second */
#define RILL_NET_MAX_DGRAMS 4096u          /* datagrams read per wait at most */

enum { P_ADDR, P_PORT, P_MTU, P_CAPTURE, P_PLAYBACK, P_MIDI_IN, P_MIDI_OUT, P_NAME, P_LATENCY,
       P_ENCODING, P_OPUS, P_TRANSPORT, P_NPARAMS };

static const char *const encodings[] = { "float", "int", "opus", NULL };
#define RILL_NET_OPUS_DEFAULT_KBPS 64u

static const struct rill_param net_params[P_NPARAMS + 1] = {
    [P_ADDR] = { .name = "multicast-ip", .short_opt = 'a', .type = RILL_PARAM_STRING,
                 .def = RILL_NET_DEFAULT_ADDRESS,
                 .help = "multicast group, or the master's own IPv4 address" },
    [P_PORT] = { .name = "udp-net-port", .short_opt = 'p', .type = RILL_PARAM_UINT,
                 .def = "19000", .min = 1, .max = 65535, .help = "UDP port" },
    [P_MTU] = { .name = "mtu", .short_opt = 'M', .type = RILL_PARAM_UINT, .def = "1500",
                .min = RILL_NET_MIN_MTU, .max = RILL_NET_MAX_MTU, .help = "MTU to the master" },
    [P_CAPTURE] = { .name = "input-ports", .short_opt = 'C', .type = RILL_PARAM_UINT,
                    .def = "2", .min = 0, .max = RILL_NET_MAX_PORTS,
                    .help = "audio channels from the master (system:capture_N)" },
    [P_PLAYBACK] = { .name = "output-ports", .short_opt = 'P', .type = RILL_PARAM_UINT,
                     .def = "2", .min = 0, .max = RILL_NET_MAX_PORTS,
                     .help = "audio channels to the master (system:playback_N)" },
    [P_MIDI_IN] = { .name = "midi-in-ports", .short_opt = 'i', .type = RILL_PARAM_UINT,
                    .def = "0", .min = 0, .max = RILL_NET_MAX_PORTS,
                    .help = "MIDI channels from the master (system:midi_capture_N)" },
    [P_MIDI_OUT] = { .name = "midi-out-ports", .short_opt = 'o', .type = RILL_PARAM_UINT,
                     .def = "0", .min = 0, .max = RILL_NET_MAX_PORTS,
                     .help = "MIDI channels to the master (system:midi_playback_N)" },
    [P_NAME] = { .name = "client-name", .short_opt = 'n', .type = RILL_PARAM_STRING,
                 .help = "name of this follower on the master (default: the host name)" },
    [P_LATENCY] = { .name = "latency", .short_opt = 'l', .type = RILL_PARAM_UINT, .def = "5",
                    .min = 0, .max = RILL_NET_MAX_LATENCY,
                    .help = "network latency in cycles the master allows" },
    [P_ENCODING] = { .name = "encoding", .short_opt = 'e', .type = RILL_PARAM_ENUM,
                     .def = "float", .choices = encodings,
                     .help = "sample encoding: float (bit-exact), int (16-bit) or opus (-O)" },
    [P_OPUS] = { .name = "opus", .short_opt = 'O', .type = RILL_PARAM_UINT, .def = "0",
                 .min = 0, .max = 2048,
                 .help = "opus encoding at this many kbit/s per channel (jackd2's -O; -e opus "
                         "alone: 64)" },
    [P_TRANSPORT] = { .name = "transport-sync", .short_opt = 't', .type = RILL_PARAM_UINT,
                      .def = "0", .min = 0, .max = 1,
                      .help = "sync transport with the master's (not supported: 0)" },
    [P_NPARAMS] = { .name = NULL },
};

/* shared_state: who reads the socket. ROLLING: the realtime thread.
 * LOST: the housekeeping thread (looking for the master). JOINING: the
 * housekeeping thread connected to a master and staged its session; the
 * realtime thread takes it and stores ROLLING. */
enum net_state { NET_ROLLING = 1, NET_LOST = 2, NET_JOINING = 3 };

struct rill_driver {
    int fd;
    struct sockaddr_in group;       /* where AVAILABLE goes */
    struct rill_net_params asked;   /* our AVAILABLE */
    struct rill_net_session s;      /* realtime thread once running */
    struct rill_net_session staged; /* a rejoin's session: housekeeping thread
                                     * writes it before storing JOINING */
    struct rill_net_rx rx;
    float *cap;                     /* capture_audio x period */
    float *cap_ptr[RILL_NET_MAX_PORTS];
    uint8_t active_return[RILL_NET_MAX_PORTS];
    uint8_t want_all[RILL_NET_MAX_PORTS];
    uint8_t *dgram;                 /* one datagram, mtu bytes */
    uint8_t *pending;               /* a datagram of the next cycle */
    size_t pending_len;
    uint8_t *tx;                    /* one datagram to send */
    struct rill_net_opus *opus;     /* opus sessions: the codecs */
    uint8_t *opus_rx, *opus_tx;     /* ports' compressed streams, each direction */
    uint8_t *midi_rx, *midi_tx;     /* a cycle's MIDI stream, each direction */
    size_t midi_tx_len;             /* staged by write_midi for write (0: none) */
    int midi_ok;                    /* this cycle's MIDI came whole */
    _Atomic uint64_t n_midi_dropped; /* events jackd2 could not take (> 4 bytes, no room) */
    uint8_t params_buf[RILL_NET_PARAMS_SIZE];

    /* realtime thread */
    int state;
    uint64_t period_ns;
    uint64_t last_rx_ns;            /* last accepted datagram */
    int first_pending;              /* no datagram of this session yet */
    int rx_started;                 /* this wait saw its cycle's first datagram */
    uint64_t pending_ns;            /* when the pending datagram came */
    uint64_t cycle_start_ns;        /* when the last cycle's first datagram came */
    uint64_t interval_ns;           /* the master's cycle interval, smoothed (0: none) */
    uint64_t next_ns;               /* paced deadline of the next cycle (lost) */
    uint32_t cycle;                 /* the master's cycle being answered */
    int have_cycle;

    /* the realtime thread stores (release) NET_LOST, the housekeeping
     * thread NET_JOINING, each after its last use of the socket and, for
     * JOINING, after writing staged; the other side loads with acquire */
    _Atomic int shared_state;
    /* the link's counters: in the state segment once bound (bind_link),
     * until then here; relaxed statistics */
    struct rill_shm_link own_link;
    struct rill_shm_link *link;
    struct rill_net_pub pub;       /* realtime thread: rx.stats as last added */
    _Atomic uint64_t n_send_errors;

    pthread_t logger;
    int logger_started;
    _Atomic int quit;
};

/* ---- sockets (main or housekeeping thread unless said) ---- */

static int announce(struct rill_driver *d)
{
    /* realtime-safe: one non-blocking sendto */
    ssize_t n = sendto(d->fd, d->params_buf, RILL_NET_PARAMS_SIZE, MSG_DONTWAIT,
                       (const struct sockaddr *)&d->group, sizeof d->group);
    return n == (ssize_t)RILL_NET_PARAMS_SIZE ? 0 : -errno;
}

/* START_MASTER for session s on the connected socket. Any thread; one
 * non-blocking send. */
static int send_start(struct rill_driver *d, const struct rill_net_session *s)
{
    struct rill_net_params p = d->asked;
    uint8_t buf[RILL_NET_PARAMS_SIZE];
    p.kind = RILL_NET_START_MASTER;
    p.id = s->id;
    p.rate = s->rate;
    p.period = s->period;
    if (rill_net_params_encode(&p, buf, sizeof buf) < 0)
        return -EINVAL;
    return send(d->fd, buf, sizeof buf, MSG_DONTWAIT) == (ssize_t)sizeof buf ? 0 : -errno;
}

/* Is this params datagram a SETUP for us that keeps rate, period, MTU,
 * encoding and channels (rejoin) or any valid one (first join)? On success
 * connects the socket to from and writes the session to out. Main or
 * housekeeping thread (never the realtime thread: connect). */
static int take_setup(struct rill_driver *d, const uint8_t *buf, size_t len,
                      const struct sockaddr_in *from, int rejoin, struct rill_net_session *out,
                      char *err, size_t errsize)
{
    struct rill_net_params p;
    struct rill_net_session s;
    if (rill_net_params_decode(buf, len, &p, NULL) < 0)
        return -EBADMSG;
    if (p.kind != RILL_NET_SETUP || strcmp(p.name, d->asked.name) != 0)
        return -EAGAIN; /* another follower's, or our own AVAILABLE */
    int r = rill_net_session_init(&s, &p, &d->asked, err, errsize);
    if (r < 0)
        return r;
    if (rejoin) {
        struct rill_net_session cmp = s;
        cmp.id = d->s.id;
        if (memcmp(&cmp, &d->s, sizeof cmp) != 0) {
            snprintf(err, errsize, "the master came back with %u Hz, %u frames, MTU %u, "
                     "%u/%u channels, latency %u; rill runs at %u Hz, %u frames, MTU %u, %u/%u "
                     "channels, latency %u and cannot change them while running", s.rate,
                     s.period, s.mtu, s.capture_audio, s.playback_audio, s.latency, d->s.rate,
                     d->s.period, d->s.mtu, d->s.capture_audio, d->s.playback_audio,
                     d->s.latency);
            return -EINVAL;
        }
    }
    if (connect(d->fd, (const struct sockaddr *)from, sizeof *from) < 0) {
        snprintf(err, errsize, "connect to the master: %s", strerror(errno));
        return -errno;
    }
    *out = s;
    return 0;
}

static void disconnect_socket(struct rill_driver *d)
{
    struct sockaddr sa = { .sa_family = AF_UNSPEC };
    (void)connect(d->fd, &sa, sizeof sa);
}

/* ---- housekeeping thread ---- */

/* Housekeeping thread, NET_LOST: look for the master for up to 100 ms
 * (AVAILABLE once a second); on a usable SETUP stage the session and hand
 * it to the realtime thread. */
static void look_for_master(struct rill_driver *d, uint64_t *last_announce, uint64_t *last_why)
{
    uint64_t now = rill_now_ns();
    if (now - *last_announce >= RILL_NET_ANNOUNCE_NS) {
        (void)announce(d);
        *last_announce = now;
    }
    struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
    if (poll(&pfd, 1, 100) <= 0)
        return;
    for (unsigned k = 0; k < RILL_NET_MAX_DGRAMS; k++) { /* what is queued, bounded */
        uint8_t buf[RILL_NET_MAX_MTU];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(d->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        char why[384] = "";
        int r = take_setup(d, buf, (size_t)n, &from, 1, &d->staged, why, sizeof why);
        if (r == 0) {
            (void)send_start(d, &d->staged);
            /* release: staged and the connected socket before the hand-over */
            atomic_store_explicit(&d->shared_state, NET_JOINING, memory_order_release);
            return;
        }
        if (r == -EBADMSG) { /* a cycle's packet (an old session's), or garbage */
            struct rill_net_header h;
            int hdr = rill_net_header_decode(buf, (size_t)n, RILL_NET_MAX_MTU, &h, NULL) == 0;
            atomic_fetch_add_explicit(hdr ? &d->link->foreign : &d->link->malformed, 1,
                                      memory_order_relaxed);
        }
        if (r != -EAGAIN && r != -EBADMSG && rill_now_ns() - *last_why >= NS_PER_S) {
            fprintf(stderr, "net: a master answered, refused: %s\n", why);
            *last_why = rill_now_ns();
        }
    }
}

/* The housekeeping thread (not realtime): state changes and the counters on
 * stderr, at most once a second; the socket while the master is gone. */
static void *logger_main(void *arg)
{
    struct rill_driver *d = arg;
    struct rill_shm_link *l = d->link;
    int state = NET_ROLLING;
    uint64_t last[7] = { 0 }, last_announce = 0, last_why = 0, last_report = rill_now_ns();
    while (!atomic_load_explicit(&d->quit, memory_order_relaxed)) {
        /* acquire: pairs with the realtime thread's release of NET_LOST
         * (it no longer reads the socket) */
        int now = atomic_load_explicit(&d->shared_state, memory_order_acquire);
        if (now != state) {
            if (now == NET_LOST) {
                disconnect_socket(d);
                last_announce = 0;
                fprintf(stderr, "net: the master is gone (nothing for 1 s); clients keep "
                        "running on a timer, waiting for it to come back\n");
            } else if (now == NET_ROLLING) {
                fprintf(stderr, "net: rejoined the master (%u Hz, %u frames)\n", d->s.rate,
                        d->s.period);
            }
            state = now;
        }
        if (state == NET_LOST)
            look_for_master(d, &last_announce, &last_why);
        else
            usleep(100000);
        if (rill_now_ns() - last_report < NS_PER_S)
            continue;
        last_report = rill_now_ns();
        uint64_t v[7] = {
            atomic_load_explicit(&l->incomplete, memory_order_relaxed),
            atomic_load_explicit(&l->lost, memory_order_relaxed),
            atomic_load_explicit(&l->late, memory_order_relaxed),
            atomic_load_explicit(&l->reordered, memory_order_relaxed),
            atomic_load_explicit(&l->foreign, memory_order_relaxed),
            atomic_load_explicit(&l->malformed, memory_order_relaxed),
            atomic_load_explicit(&d->n_midi_dropped, memory_order_relaxed),
        };
        if (memcmp(v, last, sizeof v) != 0 && state == NET_ROLLING)
            fprintf(stderr, "net: last second: %llu cycles incomplete, %llu datagrams lost, "
                    "%llu late, %llu reordered, %llu foreign, %llu malformed (rillctl status "
                    "shows the totals)\n", (unsigned long long)(v[0] - last[0]),
                    (unsigned long long)(v[1] - last[1]), (unsigned long long)(v[2] - last[2]),
                    (unsigned long long)(v[3] - last[3]), (unsigned long long)(v[4] - last[4]),
                    (unsigned long long)(v[5] - last[5]));
        if (v[6] != last[6]) /* events jackd2 could not take (over 4 bytes) or no room */
            fprintf(stderr, "net: last second: %llu MIDI events not sent (longer than 4 bytes, "
                    "which jackd2 cannot take, or no room)\n",
                    (unsigned long long)(v[6] - last[6]));
        memcpy(last, v, sizeof v);
    }
    return NULL;
}

/* ---- open/close (main thread) ---- */

static void net_close(struct rill_driver *d)
{
    if (!d)
        return;
    if (d->logger_started) {
        atomic_store_explicit(&d->quit, 1, memory_order_relaxed);
        pthread_join(d->logger, NULL);
    }
    if (d->fd >= 0)
        close(d->fd);
    free(d->cap);
    free(d->dgram);
    free(d->pending);
    free(d->tx);
    free(d->midi_rx);
    free(d->midi_tx);
    rill_net_opus_destroy(d->opus);
    free(d->opus_rx);
    free(d->opus_tx);
    free(d);
}

static int net_open(const struct rill_driver_config *cfg, struct rill_driver **out,
                    struct rill_driver_info *info, char *err, size_t errsize)
{
    struct rill_driver *d = calloc(1, sizeof *d);
    int r;
    if (!d) {
        snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    d->fd = -1;
    d->link = &d->own_link;
    if (cfg->v[P_TRANSPORT].u) {
        snprintf(err, errsize, "-t 1: transport sync with the master is not supported (jackd2's "
                 "NetJACK2 carries no transport either: its -t is deactivated); leave -t at 0");
        r = -ENOTSUP;
        goto fail;
    }
    const char *addr = cfg->v[P_ADDR].s ? cfg->v[P_ADDR].s : RILL_NET_DEFAULT_ADDRESS;
    d->group.sin_family = AF_INET;
    d->group.sin_port = htons((uint16_t)cfg->v[P_PORT].u);
    if (inet_pton(AF_INET, addr, &d->group.sin_addr) != 1) {
        snprintf(err, errsize, "-a %s is not an IPv4 address (the multicast group, default %s, "
                 "or the master's address)", addr, RILL_NET_DEFAULT_ADDRESS);
        r = -EINVAL;
        goto fail;
    }
    struct rill_net_params *a = &d->asked;
    a->kind = RILL_NET_AVAILABLE;
    a->version = RILL_NET_PROTOCOL;
    char host[RILL_NET_HOST_SIZE] = "rill";
    (void)gethostname(host, sizeof host - 1);
    const char *name = cfg->v[P_NAME].set && cfg->v[P_NAME].s ? cfg->v[P_NAME].s : host;
    if (strlen(name) == 0 || strlen(name) >= RILL_NET_NAME_SIZE) {
        snprintf(err, errsize, "-n '%s': a follower name has 1 to %u characters", name,
                 RILL_NET_NAME_SIZE - 1);
        r = -EINVAL;
        goto fail;
    }
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->follower_host, sizeof a->follower_host, "%s", host);
    a->mtu = cfg->v[P_MTU].u;
    a->send_audio = (int32_t)cfg->v[P_CAPTURE].u;
    a->return_audio = (int32_t)cfg->v[P_PLAYBACK].u;
    a->send_midi = (int32_t)cfg->v[P_MIDI_IN].u;
    a->return_midi = (int32_t)cfg->v[P_MIDI_OUT].u;
    a->encoder = cfg->v[P_ENCODING].u == 1 ? RILL_NET_ENC_INT16 : RILL_NET_ENC_FLOAT;
    if (cfg->v[P_ENCODING].u == 2 || cfg->v[P_OPUS].u) {
        if (cfg->v[P_ENCODING].set && cfg->v[P_ENCODING].u != 2) {
            snprintf(err, errsize, "-O %u asks for opus, -e %s for another encoding: give one",
                     cfg->v[P_OPUS].u, encodings[cfg->v[P_ENCODING].u]);
            r = -EINVAL;
            goto fail;
        }
        a->encoder = RILL_NET_ENC_OPUS;
        a->kbps = cfg->v[P_OPUS].u ? cfg->v[P_OPUS].u : RILL_NET_OPUS_DEFAULT_KBPS;
    }
    a->sync_mode = 1;
    a->latency = cfg->v[P_LATENCY].u;
    if (rill_net_params_encode(a, d->params_buf, sizeof d->params_buf) < 0) {
        snprintf(err, errsize, "cannot encode the AVAILABLE packet");
        r = -EINVAL;
        goto fail;
    }

    d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (d->fd < 0) {
        r = -errno;
        snprintf(err, errsize, "socket: %s", strerror(errno));
        goto fail;
    }
    int on = 1, off = 0, tos = 46 * 4; /* DSCP EF, as jackd2 */
    (void)setsockopt(d->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    (void)setsockopt(d->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off);
    (void)setsockopt(d->fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = d->group.sin_port,
                               .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(d->fd, (struct sockaddr *)&any, sizeof any) < 0) {
        r = -errno;
        snprintf(err, errsize, "bind to UDP port %u: %s", cfg->v[P_PORT].u, strerror(errno));
        goto fail;
    }
    struct timeval tv = { .tv_sec = 1 };
    (void)setsockopt(d->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    /* a short receive queue: a backlog would only add latency */
    int rcvbuf = 256 * 1024;
    (void)setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

    fprintf(stderr, "net: looking for a NetJACK2 master at %s:%u as '%s'\n", addr,
            cfg->v[P_PORT].u, a->name);
    uint8_t buf[RILL_NET_PARAMS_SIZE + 1];
    for (;;) {
        if ((r = announce(d)) < 0)
            fprintf(stderr, "net: sending AVAILABLE to %s: %s\n", addr, strerror(-r));
        uint64_t until = rill_now_ns() + RILL_NET_ANNOUNCE_NS;
        int joined = 0;
        while (rill_now_ns() < until) {
            struct sockaddr_in from;
            socklen_t fl = sizeof from;
            ssize_t n = recvfrom(d->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
            if (n < 0)
                break; /* timeout: announce again */
            char why[384] = "";
            r = take_setup(d, buf, (size_t)n, &from, 0, &d->s, why, sizeof why);
            if (r == 0) {
                joined = 1;
                break;
            }
            if (r != -EAGAIN && r != -EBADMSG) {
                snprintf(err, errsize, "the master's session is not usable: %s", why);
                goto fail;
            }
        }
        if (joined)
            break;
    }

    uint32_t period = d->s.period, nc = d->s.capture_audio;
    d->cap = calloc((size_t)(nc ? nc : 1) * period, sizeof(float));
    d->dgram = malloc(d->s.mtu);
    d->pending = malloc(d->s.mtu);
    d->tx = malloc(d->s.mtu);
    if (!d->cap || !d->dgram || !d->pending || !d->tx) {
        snprintf(err, errsize, "out of memory");
        r = -ENOMEM;
        goto fail;
    }
    for (uint32_t p = 0; p < nc; p++) {
        d->cap_ptr[p] = d->cap + (size_t)p * period;
        d->want_all[p] = 1;
    }
    size_t mrx = RILL_NET_MIDI_STREAM_MAX(d->s.capture_midi, period),
           mtx = RILL_NET_MIDI_STREAM_MAX(d->s.playback_midi, period);
    d->midi_rx = calloc(1, mrx ? mrx : 1);
    d->midi_tx = calloc(1, mtx ? mtx : 1);
    if (!d->midi_rx || !d->midi_tx) {
        snprintf(err, errsize, "out of memory");
        r = -ENOMEM;
        goto fail;
    }
    rill_net_rx_init(&d->rx, &d->s, 's', d->cap_ptr, nc, d->midi_rx, mrx, d->s.capture_midi,
                     d->active_return, d->s.playback_audio);
    if (d->s.encoder == RILL_NET_ENC_OPUS) {
        size_t stride = (size_t)d->s.opus_bytes + 2u;
        char why[256] = "";
        d->opus_rx = calloc(nc ? nc : 1, stride);
        d->opus_tx = calloc(d->s.playback_audio ? d->s.playback_audio : 1, stride);
        if (!d->opus_rx || !d->opus_tx) {
            snprintf(err, errsize, "out of memory");
            r = -ENOMEM;
            goto fail;
        }
        if ((r = rill_net_opus_create(&d->opus, &d->s, d->s.playback_audio, nc, why,
                                      sizeof why)) < 0) {
            snprintf(err, errsize, "%s", why);
            goto fail;
        }
        rill_net_rx_set_opus(&d->rx, d->opus_rx);
    }
    d->period_ns = (uint64_t)period * NS_PER_S / d->s.rate;

    memset(info, 0, sizeof *info);
    info->rate = d->s.rate;
    info->period = period;
    info->nperiods = 2;
    info->capture_channels = nc;
    info->playback_channels = d->s.playback_audio;
    info->midi_capture_channels = d->s.capture_midi;
    info->midi_playback_channels = d->s.playback_midi;
    /* jackd2 reports half the network latency each way */
    info->capture_latency = d->s.latency * period / 2u;
    info->playback_latency = d->s.latency * period / 2u;
    snprintf(info->capture_alias, sizeof info->capture_alias, "net:from_master");
    snprintf(info->playback_alias, sizeof info->playback_alias, "net:to_master");
    char midi[64] = "";
    if (d->s.capture_midi || d->s.playback_midi)
        snprintf(midi, sizeof midi, ", MIDI %u in / %u out", d->s.capture_midi,
                 d->s.playback_midi);
    fprintf(stderr, "net: joined a master: %u Hz, %u frames, %u in / %u out%s, %s, latency %u "
            "cycles, id %u\n", d->s.rate, period, nc, d->s.playback_audio, midi,
            d->s.encoder == RILL_NET_ENC_INT16  ? "int16"
            : d->s.encoder == RILL_NET_ENC_OPUS ? "opus"
                                                : "float",
            d->s.latency, d->s.id);
    atomic_store_explicit(&d->shared_state, NET_ROLLING, memory_order_relaxed);
    atomic_store_explicit(&d->link->link_present, 1, memory_order_relaxed);
    *out = d;
    return 0;
fail:
    net_close(d);
    return r;
}

/* Main thread, once, after open: the counters go to the state segment
 * from now on, and the housekeeping thread starts (it uses d->link). */
static void net_bind_link(struct rill_driver *d, struct rill_shm_link *link)
{
    if (link) {
        *link = (struct rill_shm_link){ 0 };
        atomic_store_explicit(&link->link_present, 1, memory_order_relaxed);
        d->link = link;
    }
    if (d->logger_started)
        return;
    /* the housekeeping thread takes no signal: rilld handles them on its own
     * threads */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_create(&d->logger, NULL, logger_main, d) == 0)
        d->logger_started = 1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- realtime thread ---- */

/* The assembler's counts to the link. Realtime thread, once a cycle. */
static void publish(struct rill_driver *d)
{
    rill_net_link_publish(d->link, &d->rx.stats, &d->pub);
}

static int net_start(struct rill_driver *d)
{
    /* drop a backlog (bounded), then tell the master to start */
    for (unsigned k = 0; k < RILL_NET_MAX_DGRAMS; k++)
        if (recv(d->fd, d->dgram, d->s.mtu, MSG_DONTWAIT) < 0)
            break;
    d->state = NET_ROLLING;
    d->pending_len = 0;
    d->last_rx_ns = rill_now_ns();
    d->next_ns = d->last_rx_ns + d->period_ns;
    d->first_pending = 1;
    d->cycle_start_ns = 0;
    d->interval_ns = 0;
    atomic_store_explicit(&d->link->joined, 1, memory_order_relaxed);
    return send_start(d, &d->s);
}

/* A cycle's first datagram came at now: smooth the master's interval
 * (1/8 of each new one; intervals over RILL_NET_MAX_WAIT_NS are gaps, not
 * a pace). Realtime thread. */
static void note_cycle_start(struct rill_driver *d, uint64_t now)
{
    if (d->cycle_start_ns && now > d->cycle_start_ns &&
        now - d->cycle_start_ns < RILL_NET_MAX_WAIT_NS) {
        uint64_t iv = now - d->cycle_start_ns;
        d->interval_ns = d->interval_ns ? d->interval_ns - d->interval_ns / 8u + iv / 8u : iv;
    }
    d->cycle_start_ns = now;
}

/* Wait for readability until deadline; 1 readable, 0 timeout. */
static int wait_readable(int fd, uint64_t deadline)
{
    uint64_t now = rill_now_ns();
    struct timespec ts = rill_ns_to_timespec(deadline > now ? deadline - now : 0);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int n = ppoll(&pfd, 1, &ts, NULL);
    return n > 0 ? 1 : 0;
}

/* lost: paced silent cycles (the housekeeping thread has the socket and
 * looks for the master); takes a staged rejoin */
static int wait_lost(struct rill_driver *d, struct rill_driver_wait *w)
{
    /* acquire: pairs with the housekeeping thread's release of JOINING
     * (staged written, socket connected, START_MASTER sent) */
    if (atomic_load_explicit(&d->shared_state, memory_order_acquire) == NET_JOINING) {
        /* the same geometry (checked), a new id; its cycles count from 1 */
        d->s = d->staged;
        d->rx.have_last = 0;
        d->rx.have_cycle = 0;
        d->pending_len = 0;
        d->state = NET_ROLLING;
        d->last_rx_ns = rill_now_ns();
        d->have_cycle = 0;
        d->first_pending = 1;
        d->cycle_start_ns = 0;
        d->interval_ns = 0;
        atomic_fetch_add_explicit(&d->link->rejoins, 1, memory_order_relaxed);
        atomic_store_explicit(&d->link->joined, 1, memory_order_relaxed);
        /* relaxed: the socket is the realtime thread's again; the
         * housekeeping thread only reads this to report */
        atomic_store_explicit(&d->shared_state, NET_ROLLING, memory_order_relaxed);
    } else {
        uint64_t now = rill_now_ns();
        if (now < d->next_ns) {
            struct timespec ts = rill_ns_to_timespec(d->next_ns - now);
            (void)ppoll(NULL, 0, &ts, NULL);
        }
    }
    uint64_t now = rill_now_ns();
    w->wake_ns = d->next_ns <= now ? d->next_ns : now;
    w->delay_ns = now > d->next_ns ? now - d->next_ns : 0;
    w->skipped = 0;
    if (now > d->next_ns + d->period_ns) { /* late by whole periods: skip them */
        uint64_t lost = (now - d->next_ns) / d->period_ns;
        w->skipped = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
        d->next_ns += lost * d->period_ns;
    }
    d->next_ns += d->period_ns;
    w->next_ns = d->next_ns;
    rill_net_rx_begin(&d->rx); /* silence */
    d->midi_ok = 0;
    atomic_fetch_add_explicit(&d->link->empty, 1, memory_order_relaxed);
    return 0;
}

static int net_wait(struct rill_driver *d, struct rill_driver_wait *w)
{
    if (d->state == NET_LOST)
        return wait_lost(d, w);
    rill_net_rx_begin(&d->rx);
    int complete = 0, got = 0;
    /* the first datagram may take up to two periods; the rest of the burst
     * must follow within half a period of it */
    uint64_t wait = 2u * d->period_ns;
    if (2u * d->interval_ns > wait) /* a master slower than its period */
        wait = 2u * d->interval_ns < RILL_NET_MAX_WAIT_NS ? 2u * d->interval_ns
                                                          : RILL_NET_MAX_WAIT_NS;
    uint64_t deadline = rill_now_ns() + wait;
    d->rx_started = 0;
    if (d->pending_len) {
        int r = rill_net_rx_feed(&d->rx, d->pending, d->pending_len);
        d->pending_len = 0;
        if (r >= 0) {
            got = 1;
            d->rx_started = 1;
            note_cycle_start(d, d->pending_ns);
            complete = r == RILL_NET_RX_COMPLETE;
            deadline = rill_now_ns() + d->period_ns / 2u;
        }
    }
    /* nothing of this cycle yet: it is rarely queued already (the last cycle
     * just ended), so wait first rather than try a recv that would fail;
     * within a burst, recv first (the rest is usually queued) */
    int ready = got || wait_readable(d->fd, deadline);
    for (unsigned k = 0; ready && !complete && k < RILL_NET_MAX_DGRAMS; k++) {
        ssize_t n = recv(d->fd, d->dgram, d->s.mtu, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNREFUSED)
                return -errno;
            if (!wait_readable(d->fd, deadline))
                break;
            continue;
        }
        int r = rill_net_rx_feed(&d->rx, d->dgram, (size_t)n);
        if (r == RILL_NET_RX_NEWER) {
            memcpy(d->pending, d->dgram, (size_t)n);
            d->pending_len = (size_t)n;
            d->pending_ns = rill_now_ns();
            break;
        }
        if (r < 0)
            continue;
        if (!got) {
            got = 1;
            deadline = rill_now_ns() + d->period_ns / 2u;
        }
        if (!d->rx_started) { /* the cycle's first datagram: the master's pace */
            d->rx_started = 1;
            note_cycle_start(d, rill_now_ns());
        }
        complete = r == RILL_NET_RX_COMPLETE;
    }
    uint64_t now = rill_now_ns();
    if (got) {
        d->last_rx_ns = now;
        d->first_pending = 0;
        d->cycle = d->rx.cycle;
        d->have_cycle = 1;
        /* the MIDI stream is parsed (and checked) in read_midi, into the
         * engine's buffers */
        d->midi_ok = d->s.capture_midi && d->rx.midi_expected &&
                     d->rx.midi_got == d->rx.midi_expected;
        (void)rill_net_rx_end(&d->rx, NULL, NULL);
        if (d->opus && rill_net_rx_audio_complete(&d->rx)) {
            /* a lost part leaves the whole period silent (rx_begin) */
            size_t stride = (size_t)d->s.opus_bytes + 2u;
            for (uint32_t p = 0; p < d->s.capture_audio; p++)
                if (rill_net_opus_decode(d->opus, p, d->opus_rx + p * stride, d->cap_ptr[p]) < 0)
                    d->rx.stats.refused[RILL_NET_R_FIELD]++;
        }
    } else {
        atomic_fetch_add_explicit(&d->link->empty, 1, memory_order_relaxed);
        d->have_cycle = 0;
        d->midi_ok = 0;
        if (now - d->last_rx_ns >= (d->first_pending ? RILL_NET_FIRST_NS : RILL_NET_LOST_NS)) {
            d->state = NET_LOST;
            d->next_ns = now + d->period_ns;
            atomic_store_explicit(&d->link->joined, 0, memory_order_relaxed);
            /* release: the socket is the housekeeping thread's from now on */
            atomic_store_explicit(&d->shared_state, NET_LOST, memory_order_release);
        }
    }
    publish(d);
    w->wake_ns = now;
    w->next_ns = now + d->period_ns;
    w->skipped = 0;
    w->delay_ns = 0;
    return 0;
}

static int net_read(struct rill_driver *d, float *const *bufs, uint32_t nchannels,
                    uint32_t nframes)
{
    for (uint32_t c = 0; c < nchannels; c++) {
        if (!bufs[c])
            continue;
        if (c < d->s.capture_audio && nframes <= d->s.period)
            memcpy(bufs[c], d->cap_ptr[c], sizeof(float) * nframes);
        else
            memset(bufs[c], 0, sizeof(float) * nframes);
    }
    return 0;
}

struct midi_out {
    void *const *bufs;
    uint32_t n;
};

/* One event of the master's stream into the engine's buffer (rill_midi_write
 * refuses and counts what does not fit or comes out of order). Realtime
 * thread. */
static void midi_to_port(void *ctx, uint32_t port, uint32_t time, const uint8_t *data,
                         uint32_t size)
{
    const struct midi_out *m = ctx;
    if (port < m->n && m->bufs[port])
        (void)rill_midi_write(m->bufs[port], time, data, size);
}

/* Realtime thread, after read: this cycle's MIDI, if it came whole. */
static int net_read_midi(struct rill_driver *d, void *const *bufs, uint32_t n, size_t size,
                         uint32_t nframes)
{
    (void)size;
    if (!d->midi_ok || nframes != d->s.period)
        return 0;
    struct midi_out m = { .bufs = bufs, .n = n };
    /* every record, count, size, time and data offset is checked */
    (void)rill_net_midi_decode(d->midi_rx, d->rx.midi_len, d->s.capture_midi, d->s.period,
                               midi_to_port, &m, &d->rx.stats);
    return 0;
}

/* The return MIDI stream of this cycle: one record per MIDI channel, from
 * the engine's merged buffers (trusted: the engine's own). Realtime
 * thread. */
static void stage_midi(struct rill_driver *d, const void *const *bufs, uint32_t n)
{
    struct rill_net_midi_writer w;
    size_t size = RILL_NET_MIDI_STREAM_MAX(d->s.playback_midi, d->s.period);
    rill_net_midi_writer_init(&w, d->midi_tx, size, d->s.period);
    for (uint32_t p = 0; p < d->s.playback_midi; p++) {
        if (rill_net_midi_writer_port(&w) < 0)
            break;
        uint32_t count = p < n && bufs && bufs[p] ? rill_midi_count(bufs[p]) : 0;
        for (uint32_t e = 0; e < count; e++) {
            uint32_t time;
            const uint8_t *data;
            size_t len;
            if (rill_midi_get(bufs[p], e, &time, &data, &len) < 0 ||
                rill_net_midi_writer_event(&w, time, data, (uint32_t)len) < 0)
                atomic_fetch_add_explicit(&d->n_midi_dropped, 1, memory_order_relaxed);
        }
    }
    d->midi_tx_len = rill_net_midi_writer_finish(&w);
}

/* Realtime thread, before write: stage the return MIDI stream. */
static int net_write_midi(struct rill_driver *d, const void *const *bufs, uint32_t n,
                          uint32_t nframes)
{
    (void)nframes;
    if (d->s.playback_midi)
        stage_midi(d, bufs, n);
    return 0;
}

static int send_packet(struct rill_driver *d, struct rill_net_header *h, size_t payload)
{
    h->stream = 'r';
    h->id = d->s.id;
    h->cycle = d->cycle;
    h->frames = (int32_t)d->s.period;
    h->packet_size = (uint32_t)(RILL_NET_HEADER_SIZE + payload);
    rill_net_header_encode(h, d->tx);
    if (send(d->fd, d->tx, RILL_NET_HEADER_SIZE + payload, MSG_DONTWAIT) < 0) {
        atomic_fetch_add_explicit(&d->n_send_errors, 1, memory_order_relaxed);
        return -errno;
    }
    return 0;
}

static int net_write(struct rill_driver *d, const float *const *bufs, uint32_t nchannels,
                     uint32_t nframes)
{
    (void)nframes;
    if (d->state != NET_ROLLING || !d->have_cycle)
        return 0;
    uint8_t *payload = d->tx + RILL_NET_HEADER_SIZE;
    size_t room = d->s.mtu - RILL_NET_HEADER_SIZE;
    uint32_t np = d->s.playback_audio < nchannels ? d->s.playback_audio : nchannels;
    struct rill_net_header h = { .data_type = 's' };
    uint32_t nactive = 0;
    int n = rill_net_sync_encode(d->want_all, d->s.capture_audio, payload, room, &nactive);
    if (n < 0)
        return 0;
    h.active_ports = nactive;
    h.is_last = d->s.playback_audio == 0 && d->s.playback_midi == 0;
    (void)send_packet(d, &h, (size_t)n);
    if (d->s.playback_midi) {
        /* the MIDI stream in slices of mtu - 48 (jackd2's), after the sync */
        if (!d->midi_tx_len)
            stage_midi(d, NULL, 0); /* nothing staged: empty records */
        size_t chunk = d->s.midi_chunk, len = d->midi_tx_len;
        uint32_t npk = (uint32_t)((len + chunk - 1u) / chunk);
        for (uint32_t sub = 0; sub < npk; sub++) {
            size_t off = (size_t)sub * chunk, part = len - off < chunk ? len - off : chunk;
            h = (struct rill_net_header){ .data_type = 'm', .num_packets = npk,
                                          .sub_cycle = sub,
                                          .is_last = sub + 1u == npk &&
                                                     d->s.playback_audio == 0 };
            if (RILL_NET_HEADER_SIZE + part > d->s.mtu)
                break;
            memcpy(payload, d->midi_tx + off, part);
            (void)send_packet(d, &h, part);
        }
        d->midi_tx_len = 0;
    }
    if (d->s.playback_audio == 0)
        return 0;
    const float *const *src = bufs;
    const float *zeros[RILL_NET_MAX_PORTS];
    if (np < d->s.playback_audio) {
        for (uint32_t p = 0; p < d->s.playback_audio; p++)
            zeros[p] = p < np ? bufs[p] : NULL;
        src = zeros;
    }
    if (d->opus) {
        size_t stride = (size_t)d->s.opus_bytes + 2u;
        for (uint32_t p = 0; p < d->s.playback_audio; p++)
            (void)rill_net_opus_encode(d->opus, p, src[p], d->opus_tx + p * stride);
    }
    for (uint32_t sub = 0; sub < RILL_NET_MAX_SUBPACKETS; sub++) {
        h = (struct rill_net_header){ 0 };
        if (d->opus)
            n = rill_net_audio_opus_encode(&d->s, sub, d->opus_tx, d->s.playback_audio, &h,
                                           payload, room);
        else if (d->s.encoder == RILL_NET_ENC_INT16)
            n = rill_net_audio_int16_encode(&d->s, sub, src, d->s.playback_audio, &h, payload,
                                            room);
        else
            n = rill_net_audio_float_encode(&d->s, sub, src, d->active_return,
                                            d->s.playback_audio, &h, payload, room);
        if (n < 0)
            break;
        (void)send_packet(d, &h, (size_t)n);
        if (h.is_last)
            break;
    }
    return 0;
}

static int net_stop(struct rill_driver *d)
{
    (void)d;
    return 0;
}

const struct rill_driver_ops rill_driver_net = {
    .version = RILL_DRIVER_VERSION,
    .name = "net",
    .description = "NetJACK2 follower (a jackd2 netmanager or jack_net_master clocks rill)",
    .params = net_params,
    .nparams = P_NPARAMS,
    .open = net_open,
    .start = net_start,
    .wait = net_wait,
    .read = net_read,
    .write = net_write,
    .stop = net_stop,
    .close = net_close,
    .set_period = NULL,
    .bind_link = net_bind_link,
    .read_midi = net_read_midi,
    .write_midi = net_write_midi,
};
