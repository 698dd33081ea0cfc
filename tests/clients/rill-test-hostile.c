/* tests/clients/rill-test-hostile.c — a hostile client for
 * tests/integration/hostile.sh: it speaks the control protocol directly
 * (rill/protocol.h over common/msg.c, no client core) to a live rilld.
 *
 *   rill-test-hostile SERVER replay FILE...
 *       Send each file, an input of the control fuzz harness
 *       (tests/fuzz/control-steps.h: four clients, requests with any
 *       payload, raw datagrams, fds where none belong, clients that go
 *       away, answers on the event socket), to the live server. Requests
 *       that are well-formed but would legitimately change the graph of the
 *       other clients (connections of ports that are not our own, a new
 *       buffer size, freewheel, internal clients) are left out: they are no
 *       fault. After each step, what came back is read for up to 20 ms.
 *   rill-test-hostile SERVER malformed
 *       Every request type with malformed payloads: all zero, all 0xff,
 *       strings without terminators, ids out of range; each also with 3
 *       fds; datagrams of 0, 1, sizeof - 1 and sizeof + 63 bytes.
 *   rill-test-hostile SERVER handshake
 *       Child processes that die (SIGKILL) at each step of the handshake:
 *       after connect, after sending HELLO, after its reply, after a port
 *       registration, after ACTIVATE, after CONNECT; ten rounds.
 *   rill-test-hostile SERVER garbage SECONDS
 *       A client with an audio and a MIDI output and input, active, its
 *       MIDI output connected to MIDI_DST ($RILL_HOSTILE_MIDI_DST, if set),
 *       that writes garbage into its own activation record, its transport
 *       slot and its port buffers every millisecond for SECONDS, and never
 *       runs a cycle.
 *   rill-test-hostile SERVER soak CYCLES SECONDS
 *       CYCLES client lives in child processes (or as many as SECONDS
 *       allow; 0: no limit): connect, HELLO, two ports, ACTIVATE, connect
 *       $RILL_SOAK_SRC to its input and its output to $RILL_SOAK_DST,
 *       DEACTIVATE, CLOSE; a tenth of them SIGKILLed at a step chosen at
 *       random (the same every run). Such a client runs no cycles: one
 *       that outlives the client timeout (a loaded machine) is removed by
 *       rilld, which is counted, not a failure.
 *
 * Every mode prints one line "hostile MODE: ..." with its counts. Exit
 * status 0 when the server answered as it must (a reply or a closed
 * connection; every error reply with a message); 1 otherwise, 2 on a usage
 * error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "rill/paths.h"
#include "rill/protocol.h"
#include "rill/shm.h"
#include "tests/fuzz/control-steps.h"

static const char *server;
static int devnull = -1;
static unsigned replies, errors, closed, bad;

static int connect_server(void)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (rill_server_socket_path(server, path, sizeof(path)) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send len bytes of buf on fd with nfds (up to 3) copies of /dev/null. */
static void send_with_fds(int fd, const void *buf, size_t len, unsigned nfds)
{
    int fds[3] = { devnull, devnull, devnull };
    (void)rill_msg_send_bytes(fd, buf, len, fds, nfds < 3 ? nfds : 3, MSG_DONTWAIT);
}

/* Read what comes back on fd for up to ms; *ev gets a HELLO reply's event
 * socket. Returns -1 when the server closed the connection. */
static int collect(int fd, int *ev, int ms)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, ms) <= 0)
            return 0;
        struct rill_msg m;
        int fds[8];
        size_t nfds = 8;
        int r = rill_msg_recv(fd, &m, fds, &nfds);
        if (r == -ECONNRESET || (r < 0 && r != -EAGAIN && r != -EPROTO)) {
            closed++;
            return -1;
        }
        if (r < 0)
            continue;
        replies++;
        if (m.result < 0) {
            errors++;
            if (!memchr(m.error, '\0', sizeof(m.error)) || !m.error[0]) {
                bad++;
                fprintf(stderr, "hostile: reply to type %u: error %d without a message\n",
                        m.type, m.result);
            }
        }
        for (size_t i = 0; i < nfds; i++) {
            if (i == RILL_FD_EVENTS && ev && nfds == RILL_FD_COUNT) {
                if (*ev >= 0)
                    close(*ev);
                *ev = fds[i];
            } else {
                close(fds[i]);
            }
        }
        ms = 5; /* more may follow: events, a deferred reply */
    }
}

/* 1 when s is a terminated string of size bytes. */
static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* 1 when name is a port of the clients we opened ("hN:..."), whose
 * connections are ours to play with. */
static int our_port(const char *name, size_t size)
{
    return !terminated(name, size) || (name[0] == 'h' && name[1] >= '0' && name[1] <= '3' &&
                                       name[2] == ':');
}

/* Leave out what is well-formed and legitimately changes the others. */
static int harmless(const struct rill_msg *m)
{
    switch (m->type) {
    case RILL_MSG_CONNECT:
    case RILL_MSG_DISCONNECT:
        return our_port(m->u.connect.src, sizeof(m->u.connect.src)) ||
               our_port(m->u.connect.dst, sizeof(m->u.connect.dst));
    case RILL_MSG_PORT_DISCONNECT:
        return m->u.port.id >= RILL_MAX_PORTS;
    case RILL_MSG_SET_BUFFER_SIZE:
    case RILL_MSG_SET_FREEWHEEL:
    case RILL_MSG_INTERNAL_LOAD:
    case RILL_MSG_INTERNAL_UNLOAD:
    case RILL_MSG_TRANSPORT_REQUEST:
    case RILL_MSG_TRANSPORT_TIMEBASE:
        return 0;
    case RILL_MSG_HELLO: {
        /* our clients are called h0..h3, so that our_port knows them */
        struct rill_msg *w = (struct rill_msg *)m;
        w->u.hello.name[0] = 'h';
        w->u.hello.name[1] = '0';
        w->u.hello.name[2] = '\0';
        return 1;
    }
    default:
        return 1;
    }
}

struct hconn {
    int fd, ev;
};

static void hclose(struct hconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    if (c->ev >= 0)
        close(c->ev);
    c->fd = c->ev = -1;
}

static int replay_one(const uint8_t *data, size_t size)
{
    struct hconn cl[CONTROL_CONNS];
    for (int i = 0; i < CONTROL_CONNS; i++)
        cl[i].fd = cl[i].ev = -1;
    struct fuzz_in in = fuzz_in(data, size);
    static struct control_step st;
    int steps = 0;
    for (int n = 0; n < CONTROL_MAX_STEPS && control_step_next(&in, &st) == 0; n++) {
        struct hconn *c = &cl[st.conn];
        if (st.kind == CONTROL_GONE) {
            hclose(c);
            continue;
        }
        if (c->fd < 0 && (c->fd = connect_server()) < 0) {
            fprintf(stderr, "hostile: cannot connect to server '%s'\n", server);
            return -1;
        }
        if (st.kind == CONTROL_RAW) {
            send_with_fds(c->fd, st.raw, st.raw_len, st.nfds);
        } else {
            if (!harmless(&st.msg))
                continue;
            if (st.msg.type == RILL_MSG_HELLO)
                st.msg.u.hello.name[1] = (char)('0' + st.conn);
            if (st.kind == CONTROL_EVENT_ANSWER) {
                if (c->ev < 0)
                    continue;
                send_with_fds(c->ev, &st.msg, sizeof(st.msg), st.nfds);
            } else {
                send_with_fds(c->fd, &st.msg, sizeof(st.msg), st.nfds);
            }
        }
        steps++;
        if (collect(c->fd, &c->ev, 20) < 0)
            hclose(c);
    }
    for (int i = 0; i < CONTROL_CONNS; i++)
        hclose(&cl[i]);
    return steps;
}

static int mode_replay(int argc, char **argv)
{
    unsigned files = 0, steps = 0;
    for (int i = 0; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "hostile: cannot open %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        int r = replay_one(buf, n);
        if (r < 0)
            return 1;
        files++;
        steps += (unsigned)r;
    }
    printf("hostile replay: %u inputs, %u steps, %u replies (%u errors), %u connections "
           "closed by the server, %u errors without a message\n",
           files, steps, replies, errors, closed, bad);
    return bad ? 1 : 0;
}

/* One request of type t with payload pattern pat on a fresh HELLO'd
 * connection (or none for pat 4: before HELLO). */
static void malformed_one(uint32_t t, int pat, unsigned nfds)
{
    struct hconn c = { connect_server(), -1 };
    if (c.fd < 0)
        return;
    if (pat != 4) {
        struct rill_msg h;
        memset(&h, 0, sizeof(h));
        h.type = RILL_MSG_HELLO;
        h.u.hello.version = RILL_PROTOCOL_VERSION;
        snprintf(h.u.hello.name, sizeof(h.u.hello.name), "h%u", nfds);
        send_with_fds(c.fd, &h, sizeof(h), 0);
        collect(c.fd, &c.ev, 500);
        /* a port of our own for the requests that want one */
        struct rill_msg p;
        memset(&p, 0, sizeof(p));
        p.type = RILL_MSG_PORT_REGISTER;
        snprintf(p.u.port_register.name, sizeof(p.u.port_register.name), "x");
        snprintf(p.u.port_register.type, sizeof(p.u.port_register.type), "8 bit raw midi");
        p.u.port_register.flags = 2;
        send_with_fds(c.fd, &p, sizeof(p), 0);
        collect(c.fd, &c.ev, 500);
    }
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = t;
    m.seq = 7;
    switch (pat) {
    case 0:
        break;
    case 1:
        memset(&m.u, 0xff, sizeof(m.u));
        break;
    case 2:
        memset(&m.u, 'A', sizeof(m.u)); /* strings without terminators */
        break;
    case 3: /* small ids and values out of range */
        for (size_t i = 0; i + 4 <= sizeof(m.u); i += 4) {
            uint32_t v = (uint32_t)(RILL_MAX_PORTS + i);
            memcpy((char *)&m.u + i, &v, 4);
        }
        break;
    default:
        break;
    }
    if (!harmless(&m)) {
        hclose(&c);
        return;
    }
    send_with_fds(c.fd, &m, sizeof(m), nfds);
    collect(c.fd, &c.ev, 200);
    hclose(&c);
}

static int mode_malformed(void)
{
    unsigned sent = 0;
    for (size_t k = 0; k < CONTROL_NTYPES; k++)
        for (int pat = 0; pat < 5; pat++)
            for (unsigned nfds = 0; nfds <= 3; nfds += 3) {
                malformed_one(control_types[k], pat, nfds);
                sent++;
            }
    static const size_t sizes[] = { 0, 1, sizeof(struct rill_msg) - 1,
                                    sizeof(struct rill_msg) + 63 };
    static uint8_t junk[sizeof(struct rill_msg) + 64];
    memset(junk, 0x5a, sizeof(junk));
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        struct hconn c = { connect_server(), -1 };
        if (c.fd < 0)
            return 1;
        send_with_fds(c.fd, junk, sizes[k], k & 1 ? 3 : 0);
        collect(c.fd, &c.ev, 200);
        hclose(&c);
        sent++;
    }
    printf("hostile malformed: %u requests, %u replies (%u errors), %u connections closed by "
           "the server, %u errors without a message\n",
           sent, replies, errors, closed, bad);
    return bad ? 1 : 0;
}

/* A child that dies at handshake step `step`. */
static void die_at(int step)
{
    int fd = connect_server();
    if (fd < 0 || step == 0)
        raise(SIGKILL);
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_HELLO;
    m.u.hello.version = RILL_PROTOCOL_VERSION;
    m.u.hello.pid = getpid();
    snprintf(m.u.hello.name, sizeof(m.u.hello.name), "h-die-%d", step);
    send_with_fds(fd, &m, sizeof(m), 0);
    if (step == 1)
        raise(SIGKILL);
    int ev = -1;
    collect(fd, &ev, 1000);
    if (step == 2)
        raise(SIGKILL);
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PORT_REGISTER;
    snprintf(m.u.port_register.name, sizeof(m.u.port_register.name), "out");
    snprintf(m.u.port_register.type, sizeof(m.u.port_register.type), "32 bit float mono audio");
    m.u.port_register.flags = 2;
    send_with_fds(fd, &m, sizeof(m), 0);
    collect(fd, &ev, 1000);
    if (step == 3)
        raise(SIGKILL);
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_ACTIVATE;
    send_with_fds(fd, &m, sizeof(m), 0);
    if (step == 4)
        raise(SIGKILL); /* before the reply */
    collect(fd, &ev, 1000);
    if (step == 5)
        raise(SIGKILL);
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_CONNECT;
    snprintf(m.u.connect.src, sizeof(m.u.connect.src), "h-die-%d:out", step);
    snprintf(m.u.connect.dst, sizeof(m.u.connect.dst), "system:playback_1");
    send_with_fds(fd, &m, sizeof(m), 0);
    raise(SIGKILL);
}

static int mode_handshake(void)
{
    unsigned killed = 0;
    for (int round = 0; round < 10; round++) {
        for (int step = 0; step <= 6; step++) {
            pid_t pid = fork();
            if (pid < 0)
                return 1;
            if (pid == 0) {
                die_at(step);
                _exit(0);
            }
            int status;
            waitpid(pid, &status, 0);
            if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                killed++;
        }
    }
    printf("hostile handshake: %u clients killed at the 7 steps of the handshake\n", killed);
    return killed == 70 ? 0 : 1;
}

static int request(int fd, int *ev, struct rill_msg *m)
{
    m->seq = 1;
    send_with_fds(fd, m, sizeof(*m), 0);
    for (int tries = 0; tries < 100; tries++) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 10000) <= 0)
            return -ETIMEDOUT;
        int fds[8];
        size_t nfds = 8;
        int r = rill_msg_recv(fd, m, fds, &nfds);
        if (r < 0)
            return r;
        if (nfds == RILL_FD_COUNT && ev) {
            *ev = fds[RILL_FD_EVENTS];
            for (int i = 0; i < 3; i++)
                ev[1 + i] = fds[i];
        } else {
            for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
        }
        return m->result;
    }
    return -EPROTO;
}

static int mode_garbage(unsigned seconds)
{
    int fd = connect_server();
    if (fd < 0) {
        fprintf(stderr, "hostile: cannot connect to server '%s'\n", server);
        return 1;
    }
    int fds[4] = { -1, -1, -1, -1 }; /* events, state, activation, pool */
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_HELLO;
    m.u.hello.version = RILL_PROTOCOL_VERSION;
    m.u.hello.pid = getpid();
    snprintf(m.u.hello.name, sizeof(m.u.hello.name), "h-garbage");
    if (request(fd, fds, &m) < 0 || fds[2] < 0 || fds[3] < 0) {
        fprintf(stderr, "hostile: HELLO failed: %s\n", m.error);
        return 1;
    }
    uint32_t slot = m.u.hello_reply.client;
    struct stat sa, sp, ss;
    if (fstat(fds[1], &ss) < 0 || fstat(fds[2], &sa) < 0 || fstat(fds[3], &sp) < 0)
        return 1;
    const struct rill_shm_state *st = mmap(NULL, (size_t)ss.st_size, PROT_READ, MAP_SHARED,
                                           fds[1], 0);
    struct rill_shm_activation *act = mmap(NULL, (size_t)sa.st_size, PROT_READ | PROT_WRITE,
                                           MAP_SHARED, fds[2], 0);
    uint8_t *pool = mmap(NULL, (size_t)sp.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[3], 0);
    if (st == MAP_FAILED || act == MAP_FAILED || pool == MAP_FAILED || slot >= RILL_MAX_CLIENTS)
        return 1;
    static const struct {
        const char *name, *type;
        uint32_t flags;
    } ports[] = { { "audio_out", "32 bit float mono audio", 2 },
                  { "midi_out", "8 bit raw midi", 2 },
                  { "audio_in", "32 bit float mono audio", 1 },
                  { "midi_in", "8 bit raw midi", 1 } };
    uint32_t ids[4];
    for (int i = 0; i < 4; i++) {
        memset(&m, 0, sizeof(m));
        m.type = RILL_MSG_PORT_REGISTER;
        snprintf(m.u.port_register.name, sizeof(m.u.port_register.name), "%s", ports[i].name);
        snprintf(m.u.port_register.type, sizeof(m.u.port_register.type), "%s", ports[i].type);
        m.u.port_register.flags = ports[i].flags;
        if (request(fd, NULL, &m) < 0 || m.u.port.id >= st->port_max) {
            fprintf(stderr, "hostile: port registration failed: %s\n", m.error);
            return 1;
        }
        ids[i] = m.u.port.id;
    }
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_ACTIVATE;
    if (request(fd, NULL, &m) < 0) {
        fprintf(stderr, "hostile: ACTIVATE failed: %s\n", m.error);
        return 1;
    }
    const char *dst = getenv("RILL_HOSTILE_MIDI_DST");
    if (dst && dst[0]) {
        memset(&m, 0, sizeof(m));
        m.type = RILL_MSG_CONNECT;
        snprintf(m.u.connect.src, sizeof(m.u.connect.src), "h-garbage:midi_out");
        snprintf(m.u.connect.dst, sizeof(m.u.connect.dst), "%s", dst);
        if (request(fd, NULL, &m) < 0)
            fprintf(stderr, "hostile: cannot connect to %s: %s\n", dst, m.error);
    }
    /* xorshift: the same garbage every run */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint64_t end_ns = (uint64_t)seconds * 1000000000ull;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned rounds = 0;
    uint32_t stride = st->pool_stride;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t el = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000000ull +
                      (uint64_t)(now.tv_nsec - t0.tv_nsec);
        if (el >= end_ns)
            break;
        /* own activation record and transport slot: random words */
        uint8_t *rec = (uint8_t *)&act->node[slot];
        for (size_t i = 0; i < sizeof(act->node[slot]); i += 8) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            memcpy(rec + i, &x, 8);
        }
        uint8_t *tr = (uint8_t *)&act->transport[slot];
        for (size_t i = 0; i + 8 <= sizeof(act->transport[slot]); i += 8) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            memcpy(tr + i, &x, 8);
        }
        /* own port buffers: random bytes (NaNs and all), and a MIDI header
         * that promises more than there is half of the time */
        for (int i = 0; i < 4; i++) {
            uint8_t *b = pool + (size_t)ids[i] * stride;
            for (size_t k = 0; k + 8 <= stride; k += 8) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                memcpy(b + k, &x, 8);
            }
            if ((i == 1 || i == 3) && (rounds & 1)) {
                uint32_t hdr[8] = { 0x444d4c52u, stride, 256, (uint32_t)(x >> 40), 16, 0, 0,
                                    0 };
                memcpy(b, hdr, sizeof(hdr));
            }
        }
        rounds++;
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
    /* does the server still answer us, or did it drop us? */
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_XRUN_RESET;
    int r = request(fd, NULL, &m);
    printf("hostile garbage: %u rounds of garbage in %u s; afterwards the server %s\n", rounds,
           seconds, r == 0 ? "still answers us" : "has dropped us");
    close(fd);
    return 0;
}

static void soak_fail(const char *what, int r, const struct rill_msg *m, int code)
{
    /* an active client runs no cycles here: on a loaded machine its life
     * may outlast the client timeout, and rilld removes it, as it must */
    if (r == -ECONNRESET || r == -EPIPE)
        _exit(9);
    fprintf(stderr, "hostile soak: pid %d: %s failed: %d %s\n", (int)getpid(), what, r,
            r == -ETIMEDOUT ? "(no reply within 10 s)" : m->error);
    _exit(code);
}

/* One soak client: the whole life of a client, or (kill_at >= 0) a
 * SIGKILL at that step. Runs in a child process. */
static void soak_client(unsigned n, int kill_at)
{
    int step = 0;
#define SOAK_STEP()                                                                            \
    do {                                                                                       \
        if (step++ == kill_at)                                                                 \
            raise(SIGKILL);                                                                    \
    } while (0)
    SOAK_STEP();
    int fd = connect_server();
    if (fd < 0)
        _exit(3);
    SOAK_STEP();
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_HELLO;
    m.u.hello.version = RILL_PROTOCOL_VERSION;
    m.u.hello.pid = getpid();
    snprintf(m.u.hello.name, sizeof(m.u.hello.name), "soak%u", n % 4);
    int got[4] = { -1, -1, -1, -1 };
    int r;
    if ((r = request(fd, got, &m)) < 0)
        soak_fail("HELLO", r, &m, 4);
    SOAK_STEP();
    char name[RILL_CLIENT_NAME_SIZE];
    memcpy(name, m.u.hello_reply.name, sizeof(name));
    name[sizeof(name) - 1] = '\0';
    static const char *const pnames[] = { "in", "out" };
    for (int i = 0; i < 2; i++) {
        memset(&m, 0, sizeof(m));
        m.type = RILL_MSG_PORT_REGISTER;
        snprintf(m.u.port_register.name, sizeof(m.u.port_register.name), "%s", pnames[i]);
        snprintf(m.u.port_register.type, sizeof(m.u.port_register.type),
                 "32 bit float mono audio");
        m.u.port_register.flags = i ? 2 : 1;
        if ((r = request(fd, NULL, &m)) < 0)
            soak_fail("PORT_REGISTER", r, &m, 5);
        SOAK_STEP();
    }
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_ACTIVATE;
    if ((r = request(fd, NULL, &m)) < 0)
        soak_fail("ACTIVATE", r, &m, 6);
    SOAK_STEP();
    const char *src = getenv("RILL_SOAK_SRC"), *dst = getenv("RILL_SOAK_DST");
    for (int i = 0; i < 2; i++) {
        memset(&m, 0, sizeof(m));
        m.type = RILL_MSG_CONNECT;
        if (i == 0) {
            snprintf(m.u.connect.src, sizeof(m.u.connect.src), "%s", src ? src : "");
            snprintf(m.u.connect.dst, sizeof(m.u.connect.dst), "%s:in", name);
        } else {
            snprintf(m.u.connect.src, sizeof(m.u.connect.src), "%s:out", name);
            snprintf(m.u.connect.dst, sizeof(m.u.connect.dst), "%s", dst ? dst : "");
        }
        if ((r = request(fd, NULL, &m)) < 0) {
            char what[RILL_PORT_NAME_SIZE * 2 + 16];
            snprintf(what, sizeof(what), "CONNECT %.200s -> %.200s", m.u.connect.src,
                     m.u.connect.dst);
            soak_fail(what, r, &m, 7);
        }
        SOAK_STEP();
    }
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_DEACTIVATE;
    if ((r = request(fd, NULL, &m)) < 0)
        soak_fail("DEACTIVATE", r, &m, 8);
    SOAK_STEP();
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_CLOSE;
    (void)request(fd, NULL, &m);
    _exit(0);
#undef SOAK_STEP
}

/* CYCLES client lives (or until SECONDS have passed), a tenth of them
 * killed at a step chosen at random (the same every run). */
static int mode_soak(unsigned cycles, unsigned seconds)
{
    uint64_t x = 0x2545f4914f6cdd1dull;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned done = 0, killed = 0, failed = 0, removed = 0;
    for (unsigned n = 0; n < cycles; n++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (seconds && now.tv_sec - t0.tv_sec >= (time_t)seconds)
            break;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int kill_at = (x % 10u) == 0 ? (int)((x >> 8) % 10u) : -1;
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0)
            soak_client(n, kill_at);
        int status;
        waitpid(pid, &status, 0);
        done++;
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            killed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 9)
            removed++;
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failed++;
            fprintf(stderr, "hostile soak: client %u ended with status %d\n", n,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
    }
    printf("hostile soak: %u client lives, %u killed (SIGKILL), %u removed by rilld (late), "
           "%u failed\n", done, killed, removed, failed);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rill-test-hostile SERVER replay FILE... | malformed | handshake "
                        "| garbage SECONDS | soak CYCLES SECONDS\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    server = argv[1];
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (strcmp(argv[2], "replay") == 0)
        return mode_replay(argc - 3, argv + 3);
    if (strcmp(argv[2], "malformed") == 0)
        return mode_malformed();
    if (strcmp(argv[2], "handshake") == 0)
        return mode_handshake();
    if (strcmp(argv[2], "garbage") == 0 && argc == 4)
        return mode_garbage((unsigned)atoi(argv[3]));
    if (strcmp(argv[2], "soak") == 0 && argc == 5)
        return mode_soak((unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
    fprintf(stderr, "rill-test-hostile: unknown mode '%s'\n", argv[2]);
    return 2;
}
