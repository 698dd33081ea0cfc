/* internal/netmanager_follower.c — one NetJACK2 follower of rill's
 * netmanager: its JACK client and the realtime path that drives it.
 *
 * The client is named after the follower (jackd2's name; rill makes it
 * unique with a suffix when taken), with jackd2's ports:
 *   to_slave_N        audio input,  sent to the follower (its capture N)
 *   from_slave_N      audio output, the follower's playback N
 *   midi_to_slave_N, midi_from_slave_N: the same for MIDI.
 *
 * One cycle of rill (nm_follower_process, the client's realtime thread):
 *
 *   send    cycle c: a sync packet (the return ports we want), the MIDI
 *           stream, then the audio of the ports the follower wants (float
 *           or int16), each one non-blocking send(2) on the socket connected
 *           to the follower;
 *   receive the follower's answer to cycle c - L (L its network latency):
 *           recv(2) with MSG_DONTWAIT, datagram by datagram, into the cycle
 *           assembler of drivers/net (net_rx.c), until the cycle is
 *           complete; when the socket is empty before that, ppoll(2) waits
 *           for it until a deadline (a quarter period after the callback
 *           began, half a period when L = 0: then the answer is computed
 *           within our cycle). What is still missing then is silence and is
 *           counted. A datagram of a later cycle is kept for the next
 *           callback; one of an earlier cycle is late: dropped, counted.
 *           A follower heard from in neither of the last two cycles costs
 *           no wait at all (recv only) until it is heard again.
 *
 * The realtime rules (doc/design.md): no allocation, no lock, no stdio; the
 * system calls are send/recv with MSG_DONTWAIT (never block), clock_gettime
 * (vDSO) and at most one ppoll per cycle whose timeout is the deadline
 * above: a bounded wait, the same one rilld -d net makes on the engine's
 * thread. The loop reads at most NM_MAX_DGRAMS datagrams.
 *
 * Nothing heard for NM_GONE_NS (NM_FIRST_NS before the first datagram), or
 * ICMP port unreachable (ECONNREFUSED: the follower's socket is closed):
 * the follower is gone; the callback stores why in f->gone, sends and
 * waits no more, and the manager thread removes the client.
 */
#include "internal/netmanager.h"
#include "rill/seqlock.h"
#include "rill/time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jack/midiport.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const gone_names[] = {
    [NM_ALIVE] = "alive",
    [NM_GONE_SILENT] = "nothing heard for 0.5 s",
    [NM_GONE_REFUSED] = "its port is closed (ICMP port unreachable)",
    [NM_GONE_SHUTDOWN] = "rill removed its client",
    [NM_GONE_PERIOD] = "rill's period changed",
};

/* Any thread. */
const char *nm_gone_name(int why)
{
    return why >= 0 && why <= NM_GONE_PERIOD ? gone_names[why] : "unknown";
}

/* ---- realtime thread ------------------------------------------------- */

static inline void add(_Atomic uint64_t *c, uint64_t v)
{
    /* relaxed: a counter for the log; only this thread writes it */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static void set_gone(struct nm_follower *f, int why)
{
    int none = NM_ALIVE;
    /* release: the manager reads nothing else of ours, but a first reason wins */
    atomic_compare_exchange_strong_explicit(&f->gone, &none, why, memory_order_release,
                                            memory_order_relaxed);
}

/* One datagram to the follower; 0, or -errno (ECONNREFUSED ends it). */
static int send_one(struct nm_follower *f, struct rill_net_header *h, size_t payload)
{
    h->stream = 's';
    h->id = f->s.id;
    h->cycle = f->cycle;
    h->packet_size = (uint32_t)(RILL_NET_HEADER_SIZE + payload);
    rill_net_header_encode(h, f->tx);
    if (send(f->fd, f->tx, RILL_NET_HEADER_SIZE + payload, MSG_DONTWAIT) < 0) {
        int e = errno;
        add(&f->n.send_errors, 1);
        if (e == ECONNREFUSED)
            set_gone(f, NM_GONE_REFUSED);
        return -e;
    }
    return 0;
}

/* The MIDI stream of the to-slave ports into f->midi_tx; its length. */
static size_t midi_render(struct nm_follower *f, jack_nframes_t nframes)
{
    struct rill_net_midi_writer w;
    rill_net_midi_writer_init(&w, f->midi_tx, f->midi_tx_max, f->s.period);
    for (uint32_t p = 0; p < f->s.capture_midi; p++) {
        if (rill_net_midi_writer_port(&w) < 0)
            break;
        void *buf = jack_port_get_buffer(f->to_midi[p], nframes);
        uint32_t n = buf ? jack_midi_get_event_count(buf) : 0;
        for (uint32_t i = 0; i < n; i++) {
            jack_midi_event_t ev;
            if (jack_midi_event_get(&ev, buf, i) != 0)
                continue;
            if (rill_net_midi_writer_event(&w, ev.time, ev.buffer, (uint32_t)ev.size) < 0)
                f->rx.stats.midi_dropped++;
        }
    }
    return rill_net_midi_writer_finish(&w);
}

static void send_cycle(struct nm_follower *f, jack_nframes_t nframes)
{
    uint8_t *payload = f->tx + RILL_NET_HEADER_SIZE;
    size_t room = f->s.mtu - RILL_NET_HEADER_SIZE;
    uint32_t na = f->s.capture_audio, nm = f->s.capture_midi;
    struct rill_net_header h = { .data_type = 's', .frames = -1 }; /* -1: the whole period */
    uint32_t nactive = 0;
    int n = rill_net_sync_encode(f->want_return, f->s.playback_audio, payload, room, &nactive);
    if (n < 0)
        return;
    h.active_ports = nactive;
    h.is_last = na == 0 && nm == 0;
    if (send_one(f, &h, (size_t)n) == -ECONNREFUSED)
        return;
    if (nm) {
        size_t len = midi_render(f, nframes), chunk = f->s.midi_chunk;
        uint32_t npk = len ? (uint32_t)((len + chunk - 1) / chunk) : 1u;
        for (uint32_t k = 0; k < npk; k++) {
            size_t off = (size_t)k * chunk, sz = len - off < chunk ? len - off : chunk;
            memcpy(payload, f->midi_tx + off, sz);
            h = (struct rill_net_header){ .data_type = 'm', .num_packets = npk, .sub_cycle = k,
                                          .frames = (int32_t)f->s.period,
                                          .is_last = k + 1 == npk && na == 0 };
            if (send_one(f, &h, sz) == -ECONNREFUSED)
                return;
        }
    }
    if (na == 0)
        return;
    for (uint32_t sub = 0; sub < RILL_NET_MAX_SUBPACKETS; sub++) {
        h = (struct rill_net_header){ 0 };
        if (f->s.encoder == RILL_NET_ENC_INT16)
            n = rill_net_audio_int16_encode(&f->s, sub, (const float *const *)f->send_buf, na, &h,
                                            payload, room);
        else
            n = rill_net_audio_float_encode(&f->s, sub, (const float *const *)f->send_buf,
                                            f->active_send, na, &h, payload, room);
        if (n < 0)
            break;
        h.frames = (int32_t)f->s.period;
        if (send_one(f, &h, (size_t)n) == -ECONNREFUSED || h.is_last)
            break;
    }
}

/* Wait until fd is readable or deadline; 1 readable, 0 not. */
static int wait_readable(int fd, uint64_t deadline)
{
    uint64_t now = rill_now_ns();
    if (now >= deadline)
        return 0;
    struct timespec ts = rill_ns_to_timespec(deadline - now);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    return ppoll(&pfd, 1, &ts, NULL) > 0;
}

/* midi sink: one event of the return stream into its from_slave port */
static void midi_sink(void *ctx, uint32_t port, uint32_t time, const uint8_t *data,
                      uint32_t size)
{
    struct nm_follower *f = ctx;
    if (port < f->s.playback_midi && f->midi_out[port])
        (void)jack_midi_event_write(f->midi_out[port], time, data, size);
}

/* Feed one datagram of the follower. Returns 1 when the cycle is complete,
 * 2 when it belongs to a later cycle (kept in pending), 0 otherwise. */
static int take(struct nm_follower *f, uint32_t target, const uint8_t *buf, size_t len, int *got)
{
    /* the header first (the assembler checks it again, and the rest): a
     * malformed or foreign datagram is refused and counted, whatever cycle
     * it claims, and never stops or shifts ours */
    struct rill_net_header h;
    if (rill_net_header_decode(buf, len, f->s.mtu, &h, &f->rx.stats) < 0)
        return 0;
    if (h.id != f->s.id || h.stream != 'r') {
        f->rx.stats.refused[RILL_NET_R_FOREIGN]++;
        return 0;
    }
    int32_t d = (int32_t)(h.cycle - target); /* serial arithmetic: wraps */
    if (d > (int32_t)f->s.latency) {
        /* an answer to a cycle we have not sent yet: forged or corrupt;
         * kept, it would end every cycle of ours early */
        f->rx.stats.refused[RILL_NET_R_FIELD]++;
        return 0;
    }
    if (d > 0) {
        if (buf != f->pending)
            memcpy(f->pending, buf, len);
        f->pending_len = len;
        f->off_ahead = d;
        return 2;
    }
    if (d < 0) {
        add(&f->n.late, 1);
        add(&f->link->late, 1);
        /* the nearest late cycle: among those queued when this cycle's
         * receive began, and among those that came during its wait */
        int32_t *o = f->waited ? &f->off_wait : &f->off_pre;
        if (*o == 0 || d > *o)
            *o = d;
        return 0;
    }
    int r = rill_net_rx_feed(&f->rx, buf, len);
    if (r < 0)
        return 0;
    *got = 1;
    return r == RILL_NET_RX_COMPLETE ? 1 : 0;
}

/* An async follower's answers keep coming at one offset from the cycle we
 * expect, and nothing on time: take its numbering as it is now (see
 * nm_follower.shift). An answer that came while this cycle's receive
 * waited answers the cycle just sent (a follower keeps up within a
 * fraction of a period on a LAN); one queued before it, the cycle before.
 * A sync follower numbers with our cycles: never. */
static void resync(struct nm_follower *f, int got)
{
    int32_t L = (int32_t)f->s.latency, delta = 0;
    if (f->off_wait)
        delta = L - f->off_wait;
    else if (f->off_pre)
        delta = (L ? L - 1 : 0) - f->off_pre;
    else if (f->off_ahead)
        delta = -f->off_ahead;
    if (f->setup.sync_mode || got || delta == 0) {
        f->off_count = 0;
        return;
    }
    if (delta != f->off_last) {
        f->off_last = delta;
        f->off_count = 1;
        return;
    }
    if (++f->off_count < NM_RESYNC_CYCLES)
        return;
    f->shift += delta;
    f->off_count = 0;
    f->pending_len = 0; /* its cycle number meant the old numbering */
    add(&f->n.resyncs, 1);
}

static void receive_cycle(struct nm_follower *f, uint64_t start)
{
    uint32_t L = f->s.latency;
    int got = 0, done = 0, heard = 0;
    uint64_t deadline = start + (f->quiet >= 2 ? 0 :
                                 (uint64_t)f->s.period * 1000000000ull / f->s.rate /
                                     (L == 0 ? 2u : 4u));
    rill_net_rx_begin(&f->rx); /* the from_slave buffers to silence */
    int receiving = f->cycle > L;
    uint32_t target = f->cycle - L - (uint32_t)f->shift;
    f->off_pre = f->off_wait = f->off_ahead = 0;
    f->waited = 0;
    if (receiving && f->pending_len) {
        size_t len = f->pending_len;
        f->pending_len = 0;
        int r = take(f, target, f->pending, len, &got);
        done = r != 0;
    }
    /* while the first L cycles fill the latency nothing is due: the
     * follower's answers wait in the socket until their cycle comes */
    for (unsigned k = 0; receiving && !done && k < NM_MAX_DGRAMS; k++) {
        ssize_t n = recv(f->fd, f->dgram, f->s.mtu, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ECONNREFUSED) {
                set_gone(f, NM_GONE_REFUSED);
                break;
            }
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                break;
            f->waited = 1;
            if (!wait_readable(f->fd, deadline))
                break;
            continue;
        }
        heard = 1;
        /* complete, or a later cycle's datagram: what is missing of ours
         * now stays missing */
        done = take(f, target, f->dgram, (size_t)n, &got) != 0;
    }
    uint64_t now = rill_now_ns();
    if (!receiving)
        f->last_alive_ns = now; /* the grace for the first answer starts after the fill */
    if (heard || got) {
        f->last_alive_ns = now;
        f->heard = 1;
        f->quiet = 0;
    } else if (receiving && f->quiet < 2) {
        f->quiet++;
    }
    if (receiving) {
        add(&f->n.cycles, 1);
        if (!got)
            add(&f->n.missing, 1);
        else if (rill_net_rx_complete(&f->rx))
            add(&f->n.complete, 1);
        else
            add(&f->n.partial, 1);
        if (got)
            (void)rill_net_rx_end(&f->rx, midi_sink, f);
        else if (f->heard)
            add(&f->link->empty, 1); /* a period without any answer: silence
                                      * (its datagrams count as lost, and the
                                      * cycle as missed, when the next
                                      * answer's number shows the gap: the
                                      * assembler's own count) */
        resync(f, got);
    }
    rill_net_link_publish(f->link, &f->rx.stats, &f->pub);
    uint64_t ref = 0;
    for (unsigned i = 0; i < RILL_NET_R_COUNT; i++)
        ref += f->rx.stats.refused[i];
    atomic_store_explicit(&f->n.refused, ref, memory_order_relaxed);
    if (now - f->last_alive_ns > (f->heard ? NM_GONE_NS : NM_FIRST_NS))
        set_gone(f, NM_GONE_SILENT);
}

/* The follower client's process callback. Realtime thread; RT-safe. */
static int nm_follower_process(jack_nframes_t nframes, void *arg)
{
    struct nm_follower *f = arg;
    uint64_t start = rill_now_ns();
    for (uint32_t p = 0; p < f->s.playback_audio; p++)
        f->ret_buf[p] = jack_port_get_buffer(f->from_audio[p], nframes);
    for (uint32_t p = 0; p < f->s.playback_midi; p++) {
        f->midi_out[p] = jack_port_get_buffer(f->from_midi[p], nframes);
        if (f->midi_out[p])
            jack_midi_clear_buffer(f->midi_out[p]);
    }
    if (nframes != f->s.period)
        set_gone(f, NM_GONE_PERIOD);
    /* acquire: pairs with nothing but keeps the check before any I/O */
    if (atomic_load_explicit(&f->gone, memory_order_acquire) != NM_ALIVE) {
        for (uint32_t p = 0; p < f->s.playback_audio; p++)
            if (f->ret_buf[p])
                memset(f->ret_buf[p], 0, sizeof(float) * nframes);
        return 0;
    }
    for (uint32_t p = 0; p < f->s.capture_audio; p++)
        f->send_buf[p] = jack_port_get_buffer(f->to_audio[p], nframes);
    f->cycle++;
    send_cycle(f, nframes);
    receive_cycle(f, start);
    return 0;
}

/* ---- manager thread -------------------------------------------------- */

/* rill took the client away (it missed its deadlines, or rilld stops). Any
 * thread (libjack's notification thread). */
static void on_shutdown(void *arg)
{
    set_gone(arg, NM_GONE_SHUTDOWN);
}

/* Port latencies as jackd2 sets them: half the network latency each way,
 * and a period more on the way back from a follower in async mode (it
 * answers a cycle with what it computed in the one before: jackd2's
 * `jackd -d net` is async unless given -s). Notification thread. */
static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
    struct nm_follower *f = arg;
    /* acquire: pairs with set_gone; a closing client sets no latency */
    if (atomic_load_explicit(&f->gone, memory_order_acquire) != NM_ALIVE)
        return;
    jack_nframes_t half = f->s.latency * f->s.period / 2u;
    jack_latency_range_t r = { half, half };
    if (mode == JackCaptureLatency && !f->setup.sync_mode)
        r.min = r.max = half + f->s.period;
    if (mode == JackPlaybackLatency) {
        for (uint32_t p = 0; p < f->s.capture_audio; p++)
            jack_port_set_latency_range(f->to_audio[p], JackPlaybackLatency, &r);
        for (uint32_t p = 0; p < f->s.capture_midi; p++)
            jack_port_set_latency_range(f->to_midi[p], JackPlaybackLatency, &r);
    } else {
        for (uint32_t p = 0; p < f->s.playback_audio; p++)
            jack_port_set_latency_range(f->from_audio[p], JackCaptureLatency, &r);
        for (uint32_t p = 0; p < f->s.playback_midi; p++)
            jack_port_set_latency_range(f->from_midi[p], JackCaptureLatency, &r);
    }
}

static int register_ports(struct nm_follower *f, jack_port_t **ports, uint32_t n,
                          const char *prefix, const char *type, unsigned long flags)
{
    char name[64];
    for (uint32_t p = 0; p < n; p++) {
        snprintf(name, sizeof name, "%s%u", prefix, p + 1);
        ports[p] = jack_port_register(f->client, name, type, flags | JackPortIsTerminal, 0);
        if (!ports[p])
            return -ENOMEM;
    }
    return 0;
}

static void connect_physical(struct nm_follower *f)
{
    const char **ports = jack_get_ports(f->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                                        JackPortIsPhysical | JackPortIsOutput);
    for (uint32_t i = 0; ports && ports[i] && i < f->s.capture_audio; i++)
        (void)jack_connect(f->client, ports[i], jack_port_name(f->to_audio[i]));
    jack_free(ports);
    ports = jack_get_ports(f->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                           JackPortIsPhysical | JackPortIsInput);
    for (uint32_t i = 0; ports && ports[i] && i < f->s.playback_audio; i++)
        (void)jack_connect(f->client, jack_port_name(f->from_audio[i]), ports[i]);
    jack_free(ports);
}

static void *zalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

/* Manager thread. */
int nm_follower_start(struct nm_follower *f, int auto_connect, char *err, size_t errsize)
{
    const struct rill_net_session *s = &f->s;
    jack_status_t st = 0;
    int r = -ENOMEM;
    f->send_buf = zalloc(s->capture_audio, sizeof *f->send_buf);
    f->ret_buf = zalloc(s->playback_audio, sizeof *f->ret_buf);
    f->midi_out = zalloc(s->playback_midi, sizeof *f->midi_out);
    f->active_send = zalloc(s->capture_audio, 1);
    f->want_return = zalloc(s->playback_audio, 1);
    f->to_audio = zalloc(s->capture_audio, sizeof *f->to_audio);
    f->from_audio = zalloc(s->playback_audio, sizeof *f->from_audio);
    f->to_midi = zalloc(s->capture_midi, sizeof *f->to_midi);
    f->from_midi = zalloc(s->playback_midi, sizeof *f->from_midi);
    f->midi_rx_max = RILL_NET_MIDI_STREAM_MAX(s->playback_midi, s->period);
    f->midi_tx_max = RILL_NET_MIDI_STREAM_MAX(s->capture_midi, s->period);
    f->midi_rx = zalloc(f->midi_rx_max, 1);
    f->midi_tx = zalloc(f->midi_tx_max, 1);
    f->dgram = zalloc(s->mtu, 1);
    f->pending = zalloc(s->mtu, 1);
    f->tx = zalloc(s->mtu, 1);
    if (!f->send_buf || !f->ret_buf || !f->midi_out || !f->active_send || !f->want_return ||
        !f->to_audio || !f->from_audio || !f->to_midi || !f->from_midi || !f->midi_rx ||
        !f->midi_tx || !f->dgram || !f->pending || !f->tx) {
        snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    /* until the follower's first sync says otherwise, it wants every port */
    memset(f->active_send, 1, s->capture_audio);
    memset(f->want_return, 1, s->playback_audio);
    rill_net_rx_init(&f->rx, &f->s, 'r', f->ret_buf, s->playback_audio, f->midi_rx,
                     f->midi_rx_max, s->playback_midi, f->active_send, s->capture_audio);

    f->client = jack_client_open(f->setup.name, JackNoStartServer, &st);
    if (!f->client) {
        snprintf(err, errsize, "cannot open a client named '%s' (status 0x%x)", f->setup.name,
                 (unsigned)st);
        return -EIO;
    }
    snprintf(f->client_name, sizeof f->client_name, "%s", jack_get_client_name(f->client));
    if (register_ports(f, f->to_audio, s->capture_audio, "to_slave_", JACK_DEFAULT_AUDIO_TYPE,
                       JackPortIsInput) < 0 ||
        register_ports(f, f->from_audio, s->playback_audio, "from_slave_",
                       JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput) < 0 ||
        register_ports(f, f->to_midi, s->capture_midi, "midi_to_slave_",
                       JACK_DEFAULT_MIDI_TYPE, JackPortIsInput) < 0 ||
        register_ports(f, f->from_midi, s->playback_midi, "midi_from_slave_",
                       JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput) < 0) {
        snprintf(err, errsize, "cannot register the ports of '%s'", f->client_name);
        goto fail;
    }
    if (jack_set_process_callback(f->client, nm_follower_process, f) != 0 ||
        jack_set_latency_callback(f->client, on_latency, f) != 0) {
        snprintf(err, errsize, "cannot set the callbacks of '%s'", f->client_name);
        goto fail;
    }
    jack_on_shutdown(f->client, on_shutdown, f);
    f->last_alive_ns = rill_now_ns();
    nm_slot_claim(f);
    if (jack_activate(f->client) != 0) {
        snprintf(err, errsize, "cannot activate '%s'", f->client_name);
        r = -EIO;
        goto fail;
    }
    if (auto_connect)
        connect_physical(f);
    return 0;
fail:
    jack_client_close(f->client);
    f->client = NULL;
    return r;
}

/* Manager thread. */
void nm_slot_claim(struct nm_follower *f)
{
    f->link = &f->own_link;
    if (!f->block || f->slot)
        return;
    struct rill_shm_nm_follower *slot = NULL;
    for (unsigned i = 0; i < RILL_NM_SLOTS && !slot; i++)
        if (!f->block->f[i].id.used) /* the manager thread alone writes id */
            slot = &f->block->f[i];
    if (!slot)
        return;
    struct rill_shm_nm_identity id = { .used = 1, .id = f->s.id, .rate = f->s.rate,
                                       .period = f->s.period, .latency = f->s.latency,
                                       .encoder = f->s.encoder, .kbps = f->s.kbps,
                                       .audio_to = f->s.capture_audio,
                                       .audio_from = f->s.playback_audio,
                                       .midi_to = f->s.capture_midi,
                                       .midi_from = f->s.playback_midi,
                                       .sync = f->setup.sync_mode != 0,
                                       .transport_sync = f->setup.transport_sync != 0 };
    snprintf(id.name, sizeof id.name, "%s", f->setup.name);
    snprintf(id.client, sizeof id.client, "%.*s", (int)sizeof id.client - 1, f->client_name);
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &f->addr.sin_addr, ip, sizeof ip);
    snprintf(id.address, sizeof id.address, "%s:%u", ip, ntohs(f->addr.sin_port));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    id.since_s = (uint64_t)now.tv_sec;
    /* counters from zero: no realtime thread writes them (the slot is free
     * and the client not yet active); relaxed, rillctl reads them */
    struct rill_shm_link *l = &slot->link;
    _Atomic uint64_t *c[] = { &l->cycles, &l->incomplete, &l->empty, &l->missed, &l->lost,
                              &l->late, &l->reordered, &l->foreign, &l->malformed,
                              &l->rejoins };
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++)
        atomic_store_explicit(c[i], 0, memory_order_relaxed);
    atomic_store_explicit(&l->joined, 1, memory_order_relaxed);
    rill_seqlock_write_begin(&slot->seq);
    slot->id = id;
    rill_seqlock_write_end(&slot->seq);
    f->slot = slot;
    f->link = l;
}

/* Manager thread, after the client's deactivation (no RT writer left). */
void nm_slot_release(struct nm_follower *f)
{
    if (!f->slot)
        return;
    atomic_store_explicit(&f->slot->link.joined, 0, memory_order_relaxed);
    rill_seqlock_write_begin(&f->slot->seq);
    memset(&f->slot->id, 0, sizeof f->slot->id);
    rill_seqlock_write_end(&f->slot->seq);
    f->slot = NULL;
    f->link = &f->own_link;
}

/* Manager thread. */
void nm_follower_free(struct nm_follower *f)
{
    if (!f)
        return;
    if (f->client) {
        set_gone(f, NM_GONE_SHUTDOWN); /* the process callback goes quiet */
        /* after deactivation no process callback runs: the buffers can go */
        jack_deactivate(f->client);
        jack_client_close(f->client);
    }
    nm_slot_release(f);
    if (f->fd >= 0)
        close(f->fd);
    free(f->send_buf);
    free(f->ret_buf);
    free(f->midi_out);
    free(f->active_send);
    free(f->want_return);
    free(f->to_audio);
    free(f->from_audio);
    free(f->to_midi);
    free(f->from_midi);
    free(f->midi_rx);
    free(f->midi_tx);
    free(f->dgram);
    free(f->pending);
    free(f->tx);
    free(f);
}
