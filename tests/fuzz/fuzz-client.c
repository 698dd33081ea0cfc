/* tests/fuzz/fuzz-client.c — the client side of the control protocol: what
 * a malicious or broken server can send to a JACK program through rill's
 * libjack.so.0 (clients/jack on clients/core): the HELLO reply and its fds,
 * every other reply (ids, results, error texts, metadata records in READ
 * chunks), stray and malformed datagrams, events of every kind with any
 * payload, connections that close at any request, and a state segment
 * whose registry bytes were overwritten.
 *
 * A fake server in the harness listens on $XDG_RUNTIME_DIR/rill/fuzz (a
 * private temporary directory) on a thread of its own and hands out the
 * shared memory of a real engine state (rill__server_new_offline, built
 * once), patched per input and restored after. The program side is a
 * fixed script of JACK calls (open, callbacks, activate, port register,
 * get_ports, port_by_id, metadata reads, unregister, close) whose every
 * request the fake server answers as the input says.
 *
 * Input: a byte n of patches (n % 8), each a u32 offset into the state, a
 * byte length (% 32) and the bytes; a byte n of port ids (n % 8), each a
 * u16, which the program looks up; the rest is read by the fake server,
 * one action per request (see answer()); when it runs out every request
 * gets a plain success, so that every input ends.
 * Checked: no crash, hang, leak or sanitizer report in the program.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <jack/jack.h>
#include <jack/metadata.h>
#include <jack/uuid.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/msg.h"
#include "drivers/driver.h"
#include "engine/options.h"
#include "engine/server_priv.h"
#include "rill/protocol.h"
#include "tests/fuzz/fuzz.h"

#define MAX_CONNS 8
#define MAX_PATCHES 8
#define MAX_IDS 8

static const uint32_t event_types[] = {
    RILL_EV_CLIENT_REGISTER, RILL_EV_PORT_REGISTER, RILL_EV_PORT_CONNECT, RILL_EV_GRAPH_ORDER,
    RILL_EV_XRUN,            RILL_EV_SHUTDOWN,      RILL_EV_BUFFER_SIZE,  RILL_EV_SAMPLE_RATE,
    RILL_EV_FREEWHEEL,       RILL_EV_PORT_RENAME,   RILL_EV_LATENCY,      RILL_EV_PROPERTY,
    0,                       7,                     0xffffffffu,
};
#define NEVENTS (sizeof(event_types) / sizeof(event_types[0]))

static struct rill_options opt;
static struct rill_server *srv;   /* whose shared memory we hand out */
static int listen_fd = -1;
static int devnull = -1, small_memfd = -1;
static uint32_t fz_slot, fz_in, fz_out;   /* the program's slot and ports */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/rill-fuzz-client.XXXXXX";
    if (!mkdtemp(dir))
        abort();
    char sub[sizeof(dir) + 8];
    snprintf(sub, sizeof(sub), "%s/rill", dir);
    if (mkdir(sub, 0700) < 0)
        abort();
    setenv("XDG_RUNTIME_DIR", dir, 1);
    setenv("JACK_DEFAULT_SERVER", "fuzz", 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    unsetenv("RILL_SERVER_CONFIG");
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s/fuzz", sub);
    listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(listen_fd, 16) < 0)
        abort();

    opt.name = "fuzz";
    opt.timeout_ms = 500;
    opt.port_max = 64;
    opt.priority = 20;
    opt.driver = rill_driver_find("dummy");
    char err[256];
    if (!opt.driver ||
        rill_driver_params_parse(opt.driver, 0, NULL, &opt.driver_cfg, err, sizeof(err), NULL) ||
        rill__server_new_offline(&opt, NULL, &srv) < 0)
        abort();
    /* the program's client and ports, as rilld would have registered them
     * before its replies: slot 1, "fz:in" (audio) and "fz:out" (MIDI) */
    struct rill_shm_registry *reg = &srv->shm.state->registry;
    int renamed;
    if (rill_registry_client_add(reg, "fz", getpid(), 0, 1, 0, &fz_slot, &renamed, err,
                                 sizeof(err)) < 0 ||
        rill_registry_port_add(reg, opt.port_max, fz_slot, "in", RILL_PORT_TYPE_AUDIO,
                               RILL_PORT_IS_INPUT, &fz_in, err, sizeof(err)) < 0 ||
        rill_registry_port_add(reg, opt.port_max, fz_slot, "out", RILL_PORT_TYPE_MIDI,
                               RILL_PORT_IS_OUTPUT, &fz_out, err, sizeof(err)) < 0)
        abort();
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    small_memfd = memfd_create("rill-fuzz-small", MFD_CLOEXEC);
    if (devnull < 0 || small_memfd < 0 || ftruncate(small_memfd, 16) < 0)
        abort();
    return 0;
}

/* ---- the fake server */

struct fconn {
    int fd;       /* request socket, -1 none */
    int ev;       /* our end of its event socket, -1 none */
};

struct fake {
    struct fuzz_in in;
    int done_fd;  /* readable: the program is done */
    struct fconn conns[MAX_CONNS];
};

static void send_msg(int fd, const struct rill_msg *m, const int *fds, size_t nfds)
{
    /* never blocks: a program that stops reading loses messages */
    (void)rill_msg_send_bytes(fd, m, sizeof(*m), fds, nfds, MSG_DONTWAIT);
}

/* Overwrite the start of m's payload with up to a u16's worth of input. */
static void fill_payload(struct fuzz_in *in, struct rill_msg *m)
{
    size_t want = fuzz_u16(in) % (sizeof(m->u) + 1), len;
    const uint8_t *p = fuzz_bytes(in, want, &len);
    memcpy(&m->u, p, len);
}

static void send_events(struct fuzz_in *in, struct fconn *c)
{
    if (c->ev < 0)
        return;
    unsigned n = fuzz_u8(in) % 8u;
    for (unsigned i = 0; i < n; i++) {
        struct rill_msg ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = event_types[fuzz_u8(in) % NEVENTS];
        fill_payload(in, &ev);
        if (fuzz_u8(in) & 1)
            memset(ev.error, 'e', sizeof(ev.error)); /* unterminated */
        send_msg(c->ev, &ev, NULL, 0);
    }
}

/* The fds of a HELLO reply: four chosen by the input (the right ones in
 * order when it says nothing), maybe fewer or more. *peer_ev: the
 * program's end of the event socket, for the caller to close once sent. */
static size_t hello_fds(struct fuzz_in *in, struct fconn *c, int *fds, int *peer_ev)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return 0;
    *peer_ev = pair[1];
    if (c->ev >= 0)
        close(c->ev);
    c->ev = pair[0];
    fcntl(c->ev, F_SETFL, O_NONBLOCK);
    int right[RILL_FD_COUNT] = { srv->shm.state_ro_fd, srv->shm.act_fd, srv->shm.pool_fd,
                                 pair[1] };
    int wrong[] = { devnull, small_memfd, srv->shm.state_fd, pair[0] };
    uint8_t mode = fuzz_u8(in);
    size_t n = RILL_FD_COUNT;
    if (mode & 0x80)
        n = mode % 7u; /* 0 .. 6 */
    for (size_t i = 0; i < n; i++) {
        uint8_t pick = (mode & 0x40) ? fuzz_u8(in) : 0;
        if (pick < 0xc0 || i >= RILL_FD_COUNT)
            fds[i] = right[i % RILL_FD_COUNT];
        else
            fds[i] = wrong[pick % 4u];
    }
    return n;
}

/* Answer one request of c as the input says. Returns 0, or -1 when the
 * connection was closed. */
static int answer(struct fake *f, struct fconn *c, const struct rill_msg *req)
{
    struct fuzz_in *in = &f->in;
    struct rill_msg m = *req;
    memset(&m.u, 0, sizeof(m.u));
    m.error[0] = '\0';
    uint8_t action = in->n ? fuzz_u8(in) : 0;
    int fds[8];
    size_t nfds = 0;
    int peer_ev = -1;
    if (req->type == RILL_MSG_HELLO) {
        m.u.hello_reply.client = req->u.hello.flags & RILL_HELLO_CONTROL ? 0 : fz_slot;
        m.u.hello_reply.uuid = srv->shm.state->registry.clients[fz_slot].uuid;
        snprintf(m.u.hello_reply.name, sizeof(m.u.hello_reply.name), "%s", req->u.hello.name);
        nfds = hello_fds(in, c, fds, &peer_ev);
    }
    if (req->type == RILL_MSG_PORT_REGISTER)
        m.u.port.id = strcmp(req->u.port_register.name, "in") == 0 ? fz_in : fz_out;
    switch (action & 7u) {
    case 1: { /* a reply to some other request first */
        struct rill_msg stray = m;
        stray.seq = req->seq + 1 + fuzz_u8(in);
        fill_payload(in, &stray);
        send_msg(c->fd, &stray, NULL, 0);
        break;
    }
    case 2: { /* a datagram that is no message */
        uint8_t junk[64];
        fuzz_fill(in, junk, sizeof(junk));
        (void)send(c->fd, junk, 1 + junk[0] % sizeof(junk), MSG_NOSIGNAL | MSG_DONTWAIT);
        break;
    }
    case 3: /* the server goes away instead of answering */
        if (peer_ev >= 0)
            close(peer_ev);
        return -1;
    case 4:
        send_events(in, c);
        break;
    case 5: /* fds where none belong */
        if (!nfds) {
            fds[0] = devnull;
            fds[1] = small_memfd;
            nfds = 1 + (fuzz_u8(in) & 1u);
        }
        break;
    default:
        break;
    }
    if (action & 0x08)
        fill_payload(in, &m);
    if (action & 0x10) {
        uint8_t e = fuzz_u8(in);
        m.result = e ? -(int32_t)(e % 140u) : 0;
    }
    if (action & 0x20)
        fuzz_fill(in, m.error, sizeof(m.error)); /* maybe unterminated */
    send_msg(c->fd, &m, fds, nfds);
    if (peer_ev >= 0)
        close(peer_ev); /* the program has its copy, if it was sent */
    if (action & 0x40)
        send_events(in, c);
    return 0;
}

static void fconn_close(struct fconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    if (c->ev >= 0)
        close(c->ev);
    c->fd = c->ev = -1;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    for (;;) {
        struct pollfd p[MAX_CONNS + 2];
        size_t np = 0;
        p[np++] = (struct pollfd){ .fd = f->done_fd, .events = POLLIN };
        p[np++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
        int idx[MAX_CONNS];
        for (int i = 0; i < MAX_CONNS; i++) {
            if (f->conns[i].fd >= 0) {
                idx[np - 2] = i;
                p[np++] = (struct pollfd){ .fd = f->conns[i].fd, .events = POLLIN };
            }
        }
        if (poll(p, np, 10000) <= 0 || (p[0].revents & POLLIN))
            break; /* done, or a program that hangs: the harness ends it */
        if (p[1].revents & POLLIN) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            int i;
            for (i = 0; fd >= 0 && i < MAX_CONNS && f->conns[i].fd >= 0; i++)
                ;
            if (fd >= 0 && i < MAX_CONNS)
                f->conns[i].fd = fd;
            else if (fd >= 0)
                close(fd);
        }
        for (size_t k = 2; k < np; k++) {
            if (!p[k].revents)
                continue;
            struct fconn *c = &f->conns[idx[k - 2]];
            struct rill_msg req;
            size_t n = 0;
            int r = rill_msg_recv(c->fd, &req, NULL, &n);
            if (r == -EPROTO)
                continue;
            if (r < 0 || answer(f, c, &req) < 0)
                fconn_close(c);
        }
    }
    for (int i = 0; i < MAX_CONNS; i++)
        fconn_close(&f->conns[i]);
    /* a connection nobody accepted yet (the metadata connection) */
    struct pollfd p = { .fd = listen_fd, .events = POLLIN };
    while (poll(&p, 1, 0) == 1) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            break;
        close(fd);
    }
    return NULL;
}

/* ---- the program */

struct prog {
    jack_client_t *c;
    _Atomic unsigned calls;
};

static void look_at_port(jack_client_t *c, jack_port_id_t id)
{
    jack_port_t *p = jack_port_by_id(c, id);
    if (!p)
        return;
    const char *name = jack_port_name(p);
    if (name)
        FUZZ_ASSERT(strlen(name) < 4096);
    (void)jack_port_type(p);
    (void)jack_port_flags(p);
    jack_latency_range_t range;
    jack_port_get_latency_range(p, JackCaptureLatency, &range);
    const char **conns = jack_port_get_all_connections(c, p);
    if (conns)
        jack_free(conns);
}

static void on_client(const char *name, int reg, void *arg)
{
    struct prog *pr = arg;
    FUZZ_ASSERT(name && strlen(name) < 4096);
    atomic_fetch_add(&pr->calls, 1);
}

static void on_port(jack_port_id_t id, int reg, void *arg)
{
    struct prog *pr = arg;
    look_at_port(pr->c, id);
    atomic_fetch_add(&pr->calls, 1);
}

static void on_connect(jack_port_id_t a, jack_port_id_t b, int connect, void *arg)
{
    struct prog *pr = arg;
    look_at_port(pr->c, a);
    look_at_port(pr->c, b);
}

static void on_rename(jack_port_id_t id, const char *old, const char *new_name, void *arg)
{
    struct prog *pr = arg;
    FUZZ_ASSERT(old && new_name && strlen(old) < 4096 && strlen(new_name) < 4096);
    look_at_port(pr->c, id);
}

static void on_property(jack_uuid_t subject, const char *key, jack_property_change_t change,
                        void *arg)
{
    if (key)
        FUZZ_ASSERT(strlen(key) < 4096);
}

static int on_graph(void *arg) { return 0; }
static int on_xrun(void *arg) { return 0; }
static int on_size(jack_nframes_t n, void *arg) { return 0; }
static void on_freewheel(int on, void *arg) { }
static void on_latency(jack_latency_callback_mode_t mode, void *arg) { }
static int on_process(jack_nframes_t n, void *arg) { return 0; }
static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
    FUZZ_ASSERT(reason && strlen(reason) < 4096);
}

static void quiet(const char *msg) { (void)msg; }

static void program(const uint16_t *ids, size_t nids)
{
    jack_status_t status = 0;
    struct prog pr = { 0 };
    jack_client_t *c = jack_client_open("fz", JackNoStartServer, &status);
    if (!c)
        return;
    pr.c = c;
    jack_set_client_registration_callback(c, on_client, &pr);
    jack_set_port_registration_callback(c, on_port, &pr);
    jack_set_port_connect_callback(c, on_connect, &pr);
    jack_set_port_rename_callback(c, on_rename, &pr);
    jack_set_property_change_callback(c, on_property, &pr);
    jack_set_graph_order_callback(c, on_graph, &pr);
    jack_set_xrun_callback(c, on_xrun, &pr);
    jack_set_buffer_size_callback(c, on_size, &pr);
    jack_set_freewheel_callback(c, on_freewheel, &pr);
    jack_set_latency_callback(c, on_latency, &pr);
    jack_set_process_callback(c, on_process, &pr);
    jack_on_info_shutdown(c, on_shutdown, &pr);
    (void)jack_get_buffer_size(c);
    (void)jack_get_sample_rate(c);
    (void)jack_get_client_name(c);
    jack_port_t *in = jack_port_register(c, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_port_t *out = jack_port_register(c, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    (void)jack_activate(c);
    const char **ports = jack_get_ports(c, NULL, NULL, 0);
    for (size_t i = 0; ports && ports[i] && i < 4096; i++) {
        jack_port_t *p = jack_port_by_name(c, ports[i]);
        if (p)
            look_at_port(c, jack_port_uuid(p) & 0xffffffffu);
    }
    if (ports)
        jack_free(ports);
    for (size_t i = 0; i < nids; i++)
        look_at_port(c, ids[i]);
    if (out)
        (void)jack_connect(c, jack_port_name(out), "system:playback_1");
    char *value = NULL, *type = NULL;
    char *uuid = jack_get_uuid_for_client_name(c, "fz");
    jack_uuid_t subject = 0;
    if (uuid) {
        jack_uuid_parse(uuid, &subject);
        jack_free(uuid);
    }
    if (jack_get_property(subject, "http://jackaudio.org/metadata/pretty-name", &value, &type) == 0) {
        free(value);
        free(type);
    }
    jack_description_t desc;
    if (jack_get_properties(subject, &desc) >= 0)
        jack_free_description(&desc, 0);
    jack_description_t *all = NULL;
    int n = jack_get_all_properties(&all);
    for (int i = 0; i < n; i++)
        jack_free_description(&all[i], 0);
    free(all);
    if (in)
        (void)jack_port_unregister(c, in);
    (void)jack_deactivate(c);
    jack_client_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quieted;
    if (!quieted) {
        jack_set_error_function(quiet);
        jack_set_info_function(quiet);
        quieted = 1;
    }
    struct fuzz_in in = fuzz_in(data, size);
    uint8_t *state = (uint8_t *)srv->shm.state;
    size_t state_size = srv->shm.state_size;
    struct {
        size_t off, len;
        uint8_t old[32];
    } patch[MAX_PATCHES];
    size_t npatch = fuzz_u8(&in) % MAX_PATCHES;
    for (size_t i = 0; i < npatch; i++) {
        patch[i].off = fuzz_u32(&in) % state_size;
        size_t want = fuzz_u8(&in) % 32u;
        if (want > state_size - patch[i].off)
            want = state_size - patch[i].off;
        const uint8_t *p = fuzz_bytes(&in, want, &patch[i].len);
        memcpy(patch[i].old, state + patch[i].off, patch[i].len);
        memcpy(state + patch[i].off, p, patch[i].len);
    }
    uint16_t ids[MAX_IDS];
    size_t nids = fuzz_u8(&in) % MAX_IDS;
    for (size_t i = 0; i < nids; i++)
        ids[i] = fuzz_u16(&in);

    struct fake f = { .in = in };
    for (int i = 0; i < MAX_CONNS; i++)
        f.conns[i].fd = f.conns[i].ev = -1;
    int done[2];
    if (pipe2(done, O_CLOEXEC) < 0)
        goto restore;
    f.done_fd = done[0];
    pthread_t t;
    if (pthread_create(&t, NULL, fake_main, &f) != 0) {
        close(done[0]);
        close(done[1]);
        goto restore;
    }
    program(ids, nids);
    (void)write(done[1], "x", 1);
    pthread_join(t, NULL);
    close(done[0]);
    close(done[1]);
restore:
    for (size_t i = npatch; i-- > 0;)
        memcpy(state + patch[i].off, patch[i].old, patch[i].len);
    memset(srv->shm.act, 0, srv->shm.act_size);
    return 0;
}
