/* internal/netmanager.c — the `netmanager` internal client: rill as a
 * NetJACK2 master for jackd2's `jackd -d net`, `jack_net_slave`, and rill's
 * own `rilld -d net` (see internal/netmanager.h, doc/network.md).
 *
 *   rilld -l netmanager                      (or :ARGS)
 *   rill-jack jack_load netmanager netmanager "-a 225.3.19.154 -p 19000 -c"
 *
 * Arguments, as jackd2's netmanager takes them (space or comma separated):
 *   -a, --multicast-ip ADDR   multicast group to listen on, or any address
 *                             (then followers must be pointed at this host
 *                             with their own -a); default 225.3.19.154 or
 *                             $JACK_NETJACK_MULTICAST
 *   -p, --udp-net-port PORT   UDP port; default 19000 or $JACK_NETJACK_PORT
 *   -c, --auto-connect        connect each follower to the system ports
 *   -s, --auto-save           when a follower goes, keep its connections;
 *                             make them again when it returns (by name)
 *   -h, --help
 *
 * The manager thread (not realtime) owns the listening socket:
 *   AVAILABLE (a follower looking for a master; multicast or unicast)
 *       -> its session is checked (protocol 8, channels, MTU, encoder,
 *          latency; -1 channels = as many as rill's physical ports); a new
 *          socket connected to the follower sends SETUP (rill's rate and
 *          period, a new id) once a second until START_MASTER comes back
 *          on it, at most NM_SETUP_TRIES times;
 *   START_MASTER -> the follower's client is opened and activated
 *          (netmanager_follower.c);
 *   anything else on the port is refused and counted (KILL_MASTER, which
 *          jackd2's masters multicast to their own manager, is ignored).
 * Every 100 ms it removes the followers their process callback found gone
 * (so within NM_GONE_NS + 0.1 s of their last datagram); once a second it
 * logs the counters that changed. One manager per rilld, as in jackd2.
 */
#include "internal/netmanager.h"
#include "rill/time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jack/jack.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NM_EXPORT __attribute__((visibility("default")))
#define NM_MAX_FOLLOWERS 64u

NM_EXPORT int jack_initialize(jack_client_t *client, const char *load_init);
NM_EXPORT void jack_finish(void *arg);
NM_EXPORT void rill_netmanager_attach(struct rill_shm_netmanager *block);

struct nm_manager {
    jack_client_t *client;
    struct nm_config cfg;
    int fd;
    int multicast;
    char host[RILL_NET_HOST_SIZE];
    pthread_t thread;
    int thread_started;
    _Atomic int quit;
    struct nm_follower *followers;
    unsigned nfollowers;
    uint32_t next_id;
    struct rill_net_stats stats;   /* datagrams refused on the manager port */
    uint64_t refused_shown;
    uint64_t turned_away;          /* AVAILABLEs whose session rill cannot serve */
    char last_refusal[320];        /* so that a follower's retries log once */
    struct nm_saved *saved;        /* -s: connections of followers gone */
    struct rill_shm_netmanager *block; /* rillctl status; NULL outside rilld */
};

/* one manager per process, as jackd2 (the port is one anyway); the loader
 * thread and the unloader are never concurrent for one module */
static _Atomic(struct nm_manager *) the_manager;

/* the state segment's block for rillctl status, handed over by rilld's
 * loader before jack_initialize (engine/internal.c); NULL when loaded
 * some other way. acq_rel/acquire: the loader and jack_initialize may be
 * different threads of two loads */
static _Atomic(struct rill_shm_netmanager *) the_block;

/* rilld's loader thread, before jack_initialize. */
void rill_netmanager_attach(struct rill_shm_netmanager *block)
{
    atomic_store_explicit(&the_block, block, memory_order_release);
}

#define log_nm(...) (fprintf(stderr, "netmanager: " __VA_ARGS__), fputc('\n', stderr))

/* ---- the manager thread ---------------------------------------------- */

static void refuse_follower(struct nm_manager *m, const struct rill_net_params *p,
                            const struct sockaddr_in *from, const char *why)
{
    char line[sizeof m->last_refusal];
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &from->sin_addr, ip, sizeof ip);
    snprintf(line, sizeof line, "follower '%s' at %s:%u not served: %s", p->name, ip,
             ntohs(from->sin_port), why);
    m->turned_away++;
    if (strcmp(line, m->last_refusal) != 0) { /* its retries come once a second */
        log_nm("%s", line);
        snprintf(m->last_refusal, sizeof m->last_refusal, "%s", line);
    }
}

static int count_physical(struct nm_manager *m, const char *type, unsigned long flags)
{
    const char **ports = jack_get_ports(m->client, NULL, type, JackPortIsPhysical | flags);
    int n = 0;
    while (ports && ports[n])
        n++;
    jack_free(ports);
    return n;
}

static void unlink_follower(struct nm_manager *m, struct nm_follower *f)
{
    for (struct nm_follower **pp = &m->followers; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            m->nfollowers--;
            return;
        }
}

static const char *encoder_name(uint32_t e)
{
    return e == RILL_NET_ENC_FLOAT ? "float" : e == RILL_NET_ENC_INT16 ? "int16" :
           e == RILL_NET_ENC_OPUS ? "opus" : e == RILL_NET_ENC_CELT ? "celt" : "unknown";
}

static int send_setup(struct nm_follower *f)
{
    uint8_t buf[RILL_NET_PARAMS_SIZE];
    if (rill_net_params_encode(&f->setup, buf, sizeof buf) < 0)
        return -EINVAL;
    f->setup_tries++;
    f->setup_next_ns = rill_now_ns() + NM_SETUP_NS;
    return send(f->fd, buf, sizeof buf, MSG_DONTWAIT) == (ssize_t)sizeof buf ? 0 : -errno;
}

static void on_available(struct nm_manager *m, const struct rill_net_params *p,
                         const struct sockaddr_in *from)
{
    char why[256];
    uint64_t now = rill_now_ns();
    for (struct nm_follower *f = m->followers; f; f = f->next) {
        if (f->addr.sin_addr.s_addr != from->sin_addr.s_addr ||
            f->addr.sin_port != from->sin_port)
            continue;
        /* the same follower still in the handshake: its AVAILABLE crossed
         * our SETUP, or it restarted and waits for one: SETUP again now */
        if (f->state == NM_SETUP) {
            if (f->setup_tries < NM_SETUP_TRIES)
                (void)send_setup(f);
            return;
        }
        /* just started: an AVAILABLE that was on its way */
        if (now - f->started_ns < NM_SETUP_NS)
            return;
        /* it looks for a master again: it restarted before we saw it go */
        log_nm("follower '%s' (client '%s') is back before its session ended: removed, "
               "answering it again", f->setup.name, f->client_name);
        if (m->cfg.auto_save)
            nm_save_connections(&m->saved, f);
        unlink_follower(m, f);
        nm_follower_free(f);
        break;
    }
    if (p->version != RILL_NET_PROTOCOL) {
        snprintf(why, sizeof why, "it speaks NetJACK2 protocol %u; rill speaks %u", p->version,
                 RILL_NET_PROTOCOL);
        refuse_follower(m, p, from, why);
        return;
    }
    if (m->nfollowers >= NM_MAX_FOLLOWERS) {
        snprintf(why, sizeof why, "%u followers are served already", NM_MAX_FOLLOWERS);
        refuse_follower(m, p, from, why);
        return;
    }
    if (p->name[0] == 0) {
        refuse_follower(m, p, from, "its name is empty");
        return;
    }
    struct rill_net_params setup = *p;
    setup.kind = RILL_NET_SETUP;
    snprintf(setup.master_host, sizeof setup.master_host, "%s", m->host);
    setup.rate = jack_get_sample_rate(m->client);
    setup.period = jack_get_buffer_size(m->client);
    setup.transport_sync = 0; /* not supported (jackd2 1.9.21 sends none either) */
    if (setup.send_audio == -1)
        setup.send_audio = count_physical(m, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
    if (setup.return_audio == -1)
        setup.return_audio = count_physical(m, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput);
    if (setup.send_midi == -1)
        setup.send_midi = count_physical(m, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput);
    if (setup.return_midi == -1)
        setup.return_midi = count_physical(m, JACK_DEFAULT_MIDI_TYPE, JackPortIsInput);
    setup.id = m->next_id + 1;
    struct rill_net_session s;
    if (rill_net_session_init(&s, &setup, NULL, why, sizeof why) < 0) {
        refuse_follower(m, p, from, why);
        return;
    }
    if (s.encoder == RILL_NET_ENC_OPUS) { /* the follower driver's codec, not the master's yet */
        refuse_follower(m, p, from, "encoder 3 (opus) is not supported by rill's netmanager; "
                        "float (0) and int16 (1) are");
        return;
    }
    struct nm_follower *f = calloc(1, sizeof *f);
    if (!f) {
        refuse_follower(m, p, from, "out of memory");
        return;
    }
    f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (f->fd < 0) {
        snprintf(why, sizeof why, "socket: %s", strerror(errno));
        goto fail;
    }
    int tos = 46 * 4; /* DSCP EF, as jackd2 */
    (void)setsockopt(f->fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    /* room for L cycles of answers (best effort: the kernel caps it) */
    uint64_t cycle_bytes = (uint64_t)(s.playback_audio + s.capture_audio + 1) * s.period * 4u +
                           (uint64_t)(s.playback_midi + s.capture_midi) * s.period * 4u +
                           64u * s.mtu;
    uint64_t want = cycle_bytes * (s.latency + 2u);
    int bufsize = want > (uint64_t)INT_MAX ? INT_MAX : (int)want;
    (void)setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
    (void)setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
    if (connect(f->fd, (const struct sockaddr *)from, sizeof *from) < 0) {
        snprintf(why, sizeof why, "connect: %s", strerror(errno));
        goto fail;
    }
    f->m = m;
    f->block = m->block;
    f->link = &f->own_link;
    f->addr = *from;
    f->setup = setup;
    f->s = s;
    f->state = NM_SETUP;
    m->next_id++;
    if (send_setup(f) < 0) {
        snprintf(why, sizeof why, "sending SETUP: %s", strerror(errno));
        goto fail;
    }
    f->next = m->followers;
    m->followers = f;
    m->nfollowers++;
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &from->sin_addr, ip, sizeof ip);
    log_nm("follower '%s' at %s:%u (%s) asks %d/%d audio, %d/%d MIDI, %s, latency %u: SETUP "
           "sent (id %u, %u Hz, %u frames)", p->name, ip, ntohs(from->sin_port),
           p->follower_host, setup.send_audio, setup.return_audio, setup.send_midi,
           setup.return_midi, encoder_name(setup.encoder), setup.latency, setup.id, setup.rate,
           setup.period);
    m->last_refusal[0] = 0;
    return;
fail:
    refuse_follower(m, p, from, why);
    if (f->fd >= 0)
        close(f->fd);
    free(f);
}

/* A datagram on a follower's own socket during the handshake. */
static void on_setup_reply(struct nm_manager *m, struct nm_follower *f)
{
    uint8_t buf[RILL_NET_PARAMS_SIZE + 1];
    struct rill_net_params p;
    char why[256];
    for (unsigned k = 0; k < 16; k++) {
        ssize_t n = recv(f->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0)
            return;
        if (rill_net_params_decode(buf, (size_t)n, &p, &m->stats) < 0 ||
            p.kind != RILL_NET_START_MASTER)
            continue;
        if (nm_follower_start(f, m->cfg.auto_connect, why, sizeof why) < 0) {
            log_nm("follower '%s': %s; dropped", f->setup.name, why);
            unlink_follower(m, f);
            nm_follower_free(f);
            return;
        }
        f->state = NM_ROLLING;
        f->started_ns = rill_now_ns();
        int restored = m->cfg.auto_save ? nm_restore_connections(m->saved, f) : 0;
        if (restored > 0)
            log_nm("follower '%s': %d connections of its last session made again (-s)",
                   f->setup.name, restored);
        struct sockaddr_in me;
        socklen_t ml = sizeof me;
        if (getsockname(f->fd, (struct sockaddr *)&me, &ml) < 0)
            me.sin_port = 0;
        log_nm("follower '%s' joined as client '%s': %u Hz, %u frames, %u/%u audio, %u/%u "
               "MIDI, %s, latency %u cycles (%s), id %u, local port %u", f->setup.name,
               f->client_name, f->s.rate, f->s.period, f->s.capture_audio, f->s.playback_audio,
               f->s.capture_midi, f->s.playback_midi, encoder_name(f->s.encoder), f->s.latency,
               f->setup.sync_mode ? "sync" : "async: one more on the way back", f->s.id,
               ntohs(me.sin_port));
        return;
    }
}

static void on_port_datagram(struct nm_manager *m, const uint8_t *buf, size_t n,
                             const struct sockaddr_in *from)
{
    struct rill_net_params p;
    if (rill_net_params_decode(buf, n, &p, &m->stats) < 0)
        return;
    if (p.kind == RILL_NET_AVAILABLE)
        on_available(m, &p, from);
    /* SETUP/START_MASTER of others' handshakes, KILL_MASTER of jackd2
     * masters to their own manager: not for us */
}

static void housekeeping(struct nm_manager *m, uint64_t now, int log_now)
{
    for (struct nm_follower *f = m->followers, *next; f; f = next) {
        next = f->next;
        if (f->state == NM_SETUP) {
            if (now < f->setup_next_ns)
                continue;
            if (f->setup_tries >= NM_SETUP_TRIES) {
                log_nm("follower '%s' did not confirm the SETUP (%u sent); dropped",
                       f->setup.name, f->setup_tries);
                unlink_follower(m, f);
                nm_follower_free(f);
            } else {
                (void)send_setup(f);
            }
            continue;
        }
        /* acquire: pairs with the release of set_gone */
        int why = atomic_load_explicit(&f->gone, memory_order_acquire);
        if (why != NM_ALIVE) {
            log_nm("follower '%s' (client '%s') is gone: %s; removed after %llu cycles (%llu "
                   "complete, %llu with packets missing, %llu without any)", f->setup.name,
                   f->client_name, nm_gone_name(why),
                   (unsigned long long)atomic_load(&f->n.cycles),
                   (unsigned long long)atomic_load(&f->n.complete),
                   (unsigned long long)atomic_load(&f->n.partial),
                   (unsigned long long)atomic_load(&f->n.missing));
            if (m->cfg.auto_save && why != NM_GONE_SHUTDOWN) /* (no client left to ask) */
                nm_save_connections(&m->saved, f);
            unlink_follower(m, f);
            nm_follower_free(f);
            continue;
        }
        if (!log_now)
            continue;
        _Atomic uint64_t *c[8] = { &f->n.cycles, &f->n.complete, &f->n.partial, &f->n.missing,
                                   &f->n.late, &f->n.refused, &f->n.send_errors, &f->n.resyncs };
        uint64_t v[8];
        for (int i = 0; i < 8; i++)
            v[i] = atomic_load_explicit(c[i], memory_order_relaxed);
        if (v[2] != f->shown[2] || v[3] != f->shown[3] || v[4] != f->shown[4] ||
            v[5] != f->shown[5] || v[6] != f->shown[6] || v[7] != f->shown[7])
            log_nm("'%s': last second: %llu cycles with packets missing, %llu without any, "
                   "%llu late datagrams, %llu refused, %llu send errors, %llu resyncs (in all: "
                   "%llu cycles, %llu complete, %llu resyncs)", f->client_name,
                   (unsigned long long)(v[2] - f->shown[2]),
                   (unsigned long long)(v[3] - f->shown[3]),
                   (unsigned long long)(v[4] - f->shown[4]),
                   (unsigned long long)(v[5] - f->shown[5]),
                   (unsigned long long)(v[6] - f->shown[6]),
                   (unsigned long long)(v[7] - f->shown[7]), (unsigned long long)v[0],
                   (unsigned long long)v[1], (unsigned long long)v[7]);
        memcpy(f->shown, v, sizeof v);
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < RILL_NET_R_COUNT; i++)
        total += m->stats.refused[i];
    if (m->block) { /* relaxed: statistics for rillctl status */
        atomic_store_explicit(&m->block->refused, total, memory_order_relaxed);
        atomic_store_explicit(&m->block->turned_away, m->turned_away, memory_order_relaxed);
    }
    if (!log_now)
        return;
    if (total != m->refused_shown) {
        char detail[256] = "";
        size_t len = 0;
        for (unsigned i = 0; i < RILL_NET_R_COUNT && len < sizeof detail; i++)
            if (m->stats.refused[i])
                len += (size_t)snprintf(detail + len, sizeof detail - len, "%s%s %llu",
                                        len ? ", " : "", rill_net_refusal_name(i),
                                        (unsigned long long)m->stats.refused[i]);
        log_nm("port %u: %llu datagrams refused in the last second, %llu in all (%s)",
               m->cfg.port, (unsigned long long)(total - m->refused_shown),
               (unsigned long long)total, detail);
        m->refused_shown = total;
    }
}

static void *manager_main(void *arg)
{
    struct nm_manager *m = arg;
    uint8_t buf[RILL_NET_MAX_MTU];
    uint64_t next_log = rill_now_ns() + 1000000000ull;
    log_nm("listening on %s:%u", m->cfg.address, m->cfg.port);
    while (!atomic_load_explicit(&m->quit, memory_order_relaxed)) {
        struct pollfd pfd[1 + NM_MAX_FOLLOWERS];
        struct nm_follower *who[1 + NM_MAX_FOLLOWERS];
        nfds_t n = 1;
        pfd[0] = (struct pollfd){ .fd = m->fd, .events = POLLIN };
        for (struct nm_follower *f = m->followers; f && n < 1 + NM_MAX_FOLLOWERS; f = f->next)
            if (f->state == NM_SETUP) {
                who[n] = f;
                pfd[n++] = (struct pollfd){ .fd = f->fd, .events = POLLIN };
            }
        int r = poll(pfd, n, 100);
        if (r > 0 && (pfd[0].revents & POLLIN)) {
            for (unsigned k = 0; k < 256; k++) {
                struct sockaddr_in from;
                socklen_t fl = sizeof from;
                ssize_t len = recvfrom(m->fd, buf, sizeof buf, MSG_DONTWAIT,
                                       (struct sockaddr *)&from, &fl);
                if (len < 0)
                    break;
                on_port_datagram(m, buf, (size_t)len, &from);
            }
        }
        /* on_port_datagram may have freed a follower polled here: look each
         * one up in the list again before using it */
        for (nfds_t i = 1; r > 0 && i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLERR)))
                continue;
            for (struct nm_follower *f = m->followers; f; f = f->next)
                if (f == who[i] && f->state == NM_SETUP) {
                    on_setup_reply(m, f);
                    break;
                }
        }
        uint64_t now = rill_now_ns();
        int log_now = now >= next_log;
        if (log_now)
            next_log = now + 1000000000ull;
        housekeeping(m, now, log_now);
    }
    return NULL;
}

/* ---- the module ------------------------------------------------------ */

static void manager_free(struct nm_manager *m)
{
    if (!m)
        return;
    if (m->thread_started) {
        atomic_store_explicit(&m->quit, 1, memory_order_relaxed);
        pthread_join(m->thread, NULL);
    }
    while (m->followers) {
        struct nm_follower *f = m->followers;
        m->followers = f->next;
        nm_follower_free(f);
    }
    nm_saved_free(&m->saved);
    if (m->fd >= 0)
        close(m->fd);
    if (m->block) /* the followers' slots were freed with them */
        atomic_store_explicit(&m->block->present, 0, memory_order_relaxed);
    free(m);
}

static int open_socket(struct nm_manager *m, char *err, size_t errsize)
{
    struct in_addr group;
    (void)inet_pton(AF_INET, m->cfg.address, &group); /* checked by the parser */
    m->multicast = IN_MULTICAST(ntohl(group.s_addr));
    m->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (m->fd < 0) {
        snprintf(err, errsize, "socket: %s", strerror(errno));
        return -errno;
    }
    int on = 1;
    (void)setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons((uint16_t)m->cfg.port),
                               .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(m->fd, (struct sockaddr *)&any, sizeof any) < 0) {
        int e = errno;
        snprintf(err, errsize, "cannot listen on UDP port %u: %s", m->cfg.port, strerror(e));
        return -e;
    }
    if (m->multicast) {
        struct ip_mreq mr = { .imr_multiaddr = group, .imr_interface.s_addr = INADDR_ANY };
        if (setsockopt(m->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
            int e = errno;
            snprintf(err, errsize, "cannot join the multicast group %s: %s (is there a route "
                     "for it? e.g. ip route add 224.0.0.0/4 dev eth0; or give -a an address "
                     "of this host and point the followers at it)", m->cfg.address,
                     strerror(e));
            return -e;
        }
        (void)setsockopt(m->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &on, sizeof on);
    }
    return 0;
}

/* The loader's worker thread. 0, or 1: the load fails (the reason on stderr). */
int jack_initialize(jack_client_t *client, const char *load_init)
{
    char err[512];
    struct nm_manager *m = calloc(1, sizeof *m);
    if (!m)
        return 1;
    m->fd = -1;
    m->client = client;
    int r = nm_config_parse(load_init, &m->cfg, err, sizeof err);
    if (r != 0) {
        log_nm("%s", err);
        goto fail;
    }
    struct nm_manager *none = NULL;
    /* acq_rel: one manager wins; jack_finish sees the winner's fields */
    if (!atomic_compare_exchange_strong_explicit(&the_manager, &none, m, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        log_nm("a netmanager is loaded already in this server (one per server, as in jackd2)");
        goto fail;
    }
    m->block = atomic_load_explicit(&the_block, memory_order_acquire);
    if (m->block) {
        m->block->port = m->cfg.port;
        atomic_store_explicit(&m->block->refused, 0, memory_order_relaxed);
        atomic_store_explicit(&m->block->turned_away, 0, memory_order_relaxed);
        atomic_store_explicit(&m->block->present, 1, memory_order_relaxed);
    }
    if (gethostname(m->host, sizeof m->host - 1) < 0)
        snprintf(m->host, sizeof m->host, "rill");
    if ((r = open_socket(m, err, sizeof err)) < 0) {
        log_nm("%s", err);
        goto fail_owned;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r = pthread_create(&m->thread, NULL, manager_main, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        log_nm("cannot start the manager thread: %s", strerror(r));
        goto fail_owned;
    }
    m->thread_started = 1;
    return 0;
fail_owned:
    atomic_store_explicit(&the_manager, NULL, memory_order_release);
fail:
    manager_free(m);
    return 1;
}

/* The unloader's worker thread (the client is deactivated already). */
void jack_finish(void *arg)
{
    (void)arg;
    struct nm_manager *m = atomic_exchange_explicit(&the_manager, NULL, memory_order_acq_rel);
    manager_free(m);
}
