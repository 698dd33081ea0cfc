/* tests/fuzz/osc.c — fuzz harness of the OSC front door's decoder and
 * dispatcher (osc/osc_core.h): datagrams in, every answer checked to be a
 * datagram of at most 8192 bytes that starts as OSC does.
 *
 * Input: records of [flags u8][length u16 big-endian][datagram]. flags:
 *   0x01 the datagram comes from the Unix socket (else UDP from 127.0.0.1)
 *   0x02 after it, the clock moves on a second and the timer runs (leases,
 *        periodic events, retries)
 *   0x04 before it, the graph changes: a connection is made or dropped and
 *        the engine's notification reaches the core, an xrun is reported
 *        and a line is logged. Only the first MAX_GRAPH_CHANGES records
 *        that ask change the registry (each change scans its tables: inputs
 *        of hundreds ran at tens per second); later ones send the
 *        notification alone, as one that arrives late would be. Records
 *        after the first MAX_GRAPH_EVENTS that ask do none of it (each
 *        event scans every client slot; a few hundred fill a queue)
 *   0x08 sends fail with EAGAIN until the next record (a full receiver)
 * A record cut short is taken as it is. Each input starts from the same
 * graph (a pristine copy of the registry) and a fresh core, which is freed
 * at the end, so a leak shows under LeakSanitizer.
 *
 * The backend runs requests straight on the registry (engine/registry.c),
 * as the engine does for a control connection. Built with a replay main
 * (tests/fuzz/replay.c) for `make check`, or with libFuzzer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "engine/registry.h"
#include "osc/osc_core.h"

#define MAX_GRAPH_CHANGES 16
#define MAX_GRAPH_EVENTS 256

static struct rill_shm_state *st;
static struct rill_shm_registry *pristine;
static uint64_t clock_ns;
static int send_fail;

static const struct rill_shm_state *be_state(void *arg)
{
    (void)arg;
    return st;
}

static int be_request(void *arg, struct rill_msg *m)
{
    (void)arg;
    struct rill_shm_registry *reg = &st->registry;
    m->error[0] = '\0';
    switch (m->type) {
    case RILL_MSG_CONNECT:
        m->result = rill_registry_connect(reg, m->u.connect.src, m->u.connect.dst, NULL, m->error,
                                          sizeof(m->error));
        break;
    case RILL_MSG_DISCONNECT:
        m->result = rill_registry_disconnect(reg, m->u.connect.src, m->u.connect.dst, NULL,
                                             m->error, sizeof(m->error));
        break;
    case RILL_MSG_PORT_DISCONNECT:
        m->result = rill_registry_port_disconnect(reg, m->u.port.id, NULL);
        break;
    case RILL_MSG_TRANSPORT_REQUEST:
        m->result = m->u.transport.value <= 3 ? 0 : -EINVAL;
        break;
    default:
        m->result = -EINVAL;
        break;
    }
    return m->result;
}

static int be_send(void *arg, int sock, const struct sockaddr *to, socklen_t tolen,
                   const void *buf, size_t len)
{
    (void)arg;
    (void)sock;
    (void)to;
    (void)tolen;
    const char *p = buf;
    if (len > RILL_OSC_MAX_DATAGRAM || len < 8 || len % 4 ||
        (p[0] != '/' && memcmp(p, "#bundle", 8) != 0)) {
        fprintf(stderr, "osc fuzz: a bad datagram of %zu bytes went out\n", len);
        abort();
    }
    return send_fail ? -EAGAIN : 0;
}

static uint64_t be_now(void *arg)
{
    (void)arg;
    return clock_ns;
}

static void be_arm(void *arg, uint64_t deadline_ns)
{
    (void)arg;
    (void)deadline_ns;
}

static void setup(void)
{
    st = calloc(1, sizeof(*st));
    pristine = malloc(sizeof(*pristine));
    if (!st || !pristine)
        abort();
    st->rate = 48000;
    st->period = 256;
    snprintf(st->server_name, sizeof(st->server_name), "fuzz");
    snprintf(st->driver_name, sizeof(st->driver_name), "dummy");
    struct rill_shm_registry *reg = &st->registry;
    rill_registry_init(reg);
    char err[256];
    uint32_t slot, id;
    int renamed;
    rill_registry_client_add(reg, "system", 1, 0, 1, 1, &slot, &renamed, err, sizeof(err));
    reg->clients[slot].active = 1;
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "capture_%d", i + 1);
        rill_registry_port_add(reg, RILL_MAX_PORTS, slot, name, RILL_PORT_TYPE_AUDIO,
                               RILL_PORT_IS_OUTPUT | RILL_PORT_IS_PHYSICAL, &id, err, sizeof(err));
        snprintf(name, sizeof(name), "playback_%d", i + 1);
        rill_registry_port_add(reg, RILL_MAX_PORTS, slot, name, RILL_PORT_TYPE_AUDIO,
                               RILL_PORT_IS_INPUT | RILL_PORT_IS_PHYSICAL, &id, err, sizeof(err));
    }
    rill_registry_client_add(reg, "synth", 2, 0, 1, 0, &slot, &renamed, err, sizeof(err));
    rill_registry_port_add(reg, RILL_MAX_PORTS, slot, "midi_in", RILL_PORT_TYPE_MIDI,
                           RILL_PORT_IS_INPUT, &id, err, sizeof(err));
    rill_registry_port_add(reg, RILL_MAX_PORTS, slot, "out", RILL_PORT_TYPE_AUDIO,
                           RILL_PORT_IS_OUTPUT, &id, err, sizeof(err));
    rill_registry_connect(reg, "system:capture_1", "system:playback_1", NULL, err, sizeof(err));
    memcpy(pristine, reg, sizeof(*pristine));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!st)
        setup();
    memcpy(&st->registry, pristine, sizeof(*pristine));
    clock_ns = 1000000000ull;
    send_fail = 0;
    struct rill_osc_config cfg;
    rill_osc_config_init(&cfg);
    cfg.rate = 0;
    struct rill_osc_backend be = { NULL, be_state, be_request, be_send, be_now, be_arm };
    struct rill_osc *o;
    if (rill_osc_new(&cfg, &be, &o) < 0)
        return 0;

    struct sockaddr_in in = { .sin_family = AF_INET };
    in.sin_addr.s_addr = htonl(0x7f000001u);
    in.sin_port = htons(9000);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "/tmp/fuzz-client");
    /* aligned, as the receive buffer of rilld is */
    static uint8_t buf[RILL_OSC_MAX_DATAGRAM + 8] __attribute__((aligned(8)));
    size_t pos = 0;
    unsigned toggle = 0;
    while (pos < size) {
        uint8_t flags = data[pos++];
        size_t len = 0;
        if (size - pos >= 2) {
            len = ((size_t)data[pos] << 8) | data[pos + 1];
            pos += 2;
        }
        if (len > size - pos)
            len = size - pos;
        size_t got = len < sizeof(buf) ? len : sizeof(buf);
        memcpy(buf, data + pos, got);
        pos += len;
        send_fail = (flags & 0x08) != 0;
        if ((flags & 0x04) && toggle < MAX_GRAPH_EVENTS) {
            /* a graph change as the engine reports it */
            struct rill_msg ev = { .type = RILL_EV_PORT_CONNECT };
            char err[256];
            int on = (toggle & 1) == 0;
            int r = 0;
            if (toggle < MAX_GRAPH_CHANGES)
                r = on ? rill_registry_connect(&st->registry, "system:capture_2",
                                               "system:playback_2", NULL, err, sizeof(err))
                       : rill_registry_disconnect(&st->registry, "system:capture_2",
                                                  "system:playback_2", NULL, err, sizeof(err));
            if (r == 0) {
                ev.u.connect_event.connected = (uint32_t)on;
                ev.u.connect_event.src = (uint32_t)rill_registry_lookup(&st->registry,
                                                                        "system:capture_2");
                ev.u.connect_event.dst = (uint32_t)rill_registry_lookup(&st->registry,
                                                                        "system:playback_2");
                rill_osc_event(o, &ev);
            }
            struct rill_msg x = { .type = RILL_EV_XRUN };
            x.u.xrun_event.xruns = ++toggle;
            rill_osc_event(o, &x);
            rill_osc_log(o, "a line of the log");
        }
        if (flags & 0x01)
            rill_osc_input(o, RILL_OSC_SOCK_UNIX, (struct sockaddr *)&un, sizeof(un), buf, got,
                           len);
        else
            rill_osc_input(o, RILL_OSC_SOCK_UDP, (struct sockaddr *)&in, sizeof(in), buf, got,
                           len);
        rill_osc_flush(o);
        if (flags & 0x02) {
            clock_ns += 1000000000ull;
            rill_osc_tick(o);
        }
    }
    send_fail = 0;
    rill_osc_free(o, "server shutdown");
    return 0;
}
