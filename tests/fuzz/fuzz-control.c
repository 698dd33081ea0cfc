/* tests/fuzz/fuzz-control.c — the control protocol as rilld reads it: the
 * engine's real request handling (engine/requests.c and the handlers it
 * calls: ports, connections, names, latency, metadata, internal clients,
 * transport, buffer size) on a server built without socket, loop or
 * realtime thread (rill__server_new_offline, engine/server_priv.h), fed
 * through real SOCK_SEQPACKET sockets, so that message sizes and passed
 * fds go through rill_msg_recv as in rilld.
 *
 * Input: up to 64 steps, as tests/fuzz/control-steps.h describes (four
 * clients; requests, raw datagrams, fds, clients that go away, answers on
 * the event socket).
 * After each step the harness reads every reply and event the client got
 * (closing the fds a HELLO reply carries; the event socket is kept).
 * Checked: no crash, leak or sanitizer report; every error reply says what
 * was wrong (a terminated, non-empty error text); the server never passes
 * fds except the four of a HELLO reply. Nothing is loaded: RILL_JACK_LIBDIR
 * points nowhere, so an internal-client load stops before any dlopen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/msg.h"
#include "drivers/driver.h"
#include "engine/options.h"
#include "engine/server_priv.h"
#include "rill/protocol.h"
#include "tests/fuzz/control-steps.h"
#include "tests/fuzz/fuzz.h"

#define NCONN CONTROL_CONNS

static struct rill_options opt;
static int memfd = -1;
/* the server's shared memory, made once: each input's server zeroes it
 * (rill_engine_shm_reset) instead of faulting in 4 MB of new pages */
static struct rill_engine_shm shm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* an internal-client load finds no libjack and stops before dlopen */
    setenv("RILL_JACK_LIBDIR", "/nonexistent/rill-fuzz", 1);
    setenv("RILL_INTERNAL_DIR", "/nonexistent/rill-fuzz", 1);
    opt.name = "fuzz";
    opt.timeout_ms = 500;
    opt.port_max = 16; /* the least rilld allows: a small pool to map per input */
    opt.priority = 20;
    opt.driver = rill_driver_find("dummy");
    char err[256];
    if (!opt.driver ||
        rill_driver_params_parse(opt.driver, 0, NULL, &opt.driver_cfg, err, sizeof(err), NULL))
        abort();
    memfd = memfd_create("rill-fuzz", MFD_CLOEXEC);
    if (memfd < 0 ||
        rill_engine_shm_create(&shm, opt.port_max, RILL_MAX_PERIOD * (uint32_t)sizeof(float)) < 0)
        abort();
    return 0;
}

struct client {
    int fd;                  /* our end of the request socket, -1 none */
    int ev;                  /* the event socket from the HELLO reply, -1 none */
    uint32_t index;          /* in s->conns */
};

/* Send one datagram of len bytes with nfds copies of memfd. */
static void send_raw(int fd, const void *buf, size_t len, unsigned nfds)
{
    int fds[3] = { memfd, memfd, memfd };
    (void)rill_msg_send_bytes(fd, buf, len, fds, nfds < 3 ? nfds : 3, MSG_DONTWAIT);
}

/* Read every message waiting on fd; replies (not events) are checked and
 * a HELLO reply's event socket is kept in *ev. Returns -1 when the server
 * closed the socket. */
static int drain(int fd, int *ev, int replies)
{
    for (int k = 0; k < 4096; k++) {
        struct rill_msg m;
        int fds[8];
        size_t nfds = 8;
        int r = rill_msg_recv(fd, &m, fds, &nfds);
        if (r == -ECONNRESET)
            return -1;
        if (r < 0)
            return 0;
        FUZZ_ASSERT(nfds == 0 || (replies && nfds == RILL_FD_COUNT && m.type == RILL_MSG_HELLO &&
                                  m.result == 0));
        if (replies && m.result < 0) {
            FUZZ_ASSERT(memchr(m.error, '\0', sizeof(m.error)));
            FUZZ_ASSERT(m.error[0] != '\0');
        }
        for (size_t i = 0; i < nfds; i++) {
            if (i == RILL_FD_EVENTS && ev) {
                if (*ev >= 0)
                    close(*ev);
                *ev = fds[i];
                fcntl(*ev, F_SETFL, O_NONBLOCK);
            } else {
                close(fds[i]);
            }
        }
    }
    return 0;
}

static int connect_client(struct rill_server *s, struct client *cl)
{
    int sv[2];
    cl->fd = cl->ev = -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    struct rill_conn *c = rill__server_conn_add(s, sv[1], getpid());
    if (!c) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    /* our end never blocks */
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    cl->fd = sv[0];
    cl->index = c->index;
    return 0;
}

static void disconnect_client(struct client *cl)
{
    if (cl->fd >= 0)
        close(cl->fd);
    if (cl->ev >= 0)
        close(cl->ev);
    cl->fd = cl->ev = -1;
}

/* The server's connection of cl, or NULL when it dropped it. */
static struct rill_conn *conn_of(struct rill_server *s, const struct client *cl)
{
    return cl->fd >= 0 ? s->conns[cl->index] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rill_server *s;
    if (rill__server_new_offline(&opt, &shm, &s) < 0)
        return 0;
    struct client cl[NCONN];
    for (int i = 0; i < NCONN; i++)
        connect_client(s, &cl[i]);

    struct fuzz_in in = fuzz_in(data, size);
    static struct control_step st;
    for (int step = 0; step < CONTROL_MAX_STEPS && control_step_next(&in, &st) == 0; step++) {
        struct client *k = &cl[st.conn];
        if (st.kind == CONTROL_GONE) {
            struct rill_conn *c = conn_of(s, k);
            uint32_t idx = k->index;
            disconnect_client(k);
            if (c)
                rill__server_conn_ready(s, c, RILL_WATCH_REQUEST); /* sees EOF */
            FUZZ_ASSERT(!c || !s->conns[idx]); /* EOF drops the client */
            connect_client(s, k);
            continue;
        }
        if (k->fd < 0 && connect_client(s, k) < 0)
            continue;
        uint32_t kind = RILL_WATCH_REQUEST;
        int sock = k->fd;
        if (st.kind == CONTROL_RAW) {
            send_raw(sock, st.raw, st.raw_len, st.nfds);
        } else {
            if (st.kind == CONTROL_EVENT_ANSWER) {
                if (k->ev < 0)
                    continue;
                sock = k->ev;
                kind = RILL_WATCH_EVENTS;
            }
            send_raw(sock, &st.msg, sizeof(st.msg), st.nfds);
        }
        struct rill_conn *c = conn_of(s, k);
        if (c) {
            rill__server_conn_ready(s, c, kind);
            /* dropped: its slot in s->conns may go to the next client */
            if (!s->conns[k->index])
                disconnect_client(k);
        }
        /* every client reads what it got; one the server shut out hangs
         * up, and the server hears it (a held slot is released) */
        for (int i = 0; i < NCONN; i++) {
            if (cl[i].fd >= 0 && drain(cl[i].fd, &cl[i].ev, 1) < 0) {
                struct rill_conn *held = conn_of(s, &cl[i]);
                disconnect_client(&cl[i]);
                if (held)
                    rill__server_conn_ready(s, held, RILL_WATCH_REQUEST);
            }
            if (cl[i].ev >= 0)
                drain(cl[i].ev, NULL, 0);
        }
    }
    rill__server_free_offline(s);
    for (int i = 0; i < NCONN; i++)
        disconnect_client(&cl[i]);
    return 0;
}
