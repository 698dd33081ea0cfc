/* tests/clients/rill-test-defer.c — a request that waits for the realtime
 * thread to run a plan (ACTIVATE, DEACTIVATE) must not hold up another
 * client's unrelated request (engine/server.c, rill_server_after_plan).
 *
 *   rill-test-defer SERVER
 *
 * Speaks the control protocol directly (common/msg.h), so that it can send
 * a request on one connection and another request on a second connection
 * before the first is answered. Client A sends ACTIVATE (then DEACTIVATE,
 * then a PORT_REGISTER whose only free id was just given back), control
 * client B at once sends PROPERTY_READ. The condition checked: when
 * B has its reply, A's reply has not arrived yet (A still waits for the
 * plan), and it does arrive later with result 0. Run it against a server
 * with long periods and few port ids (rilld --port-max 16 -d dummy -r 8000
 * -p 8192: about a second), so
 * that A's wait is long next to the time B's request takes. A server that
 * waits for the plan inside the request answers A first and fails this.
 *
 * Prints one "ok ..." line per request type; exits 0, or 1 with a reason.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "rill/paths.h"
#include "rill/protocol.h"
#include "rill/shm.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "rill-test-defer: %s\n", what);
    exit(1);
}

/* Connect to SERVER and say HELLO as name; returns the request socket. */
static int hello(const char *server, const char *name, uint32_t flags)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (rill_server_socket_path(server, a.sun_path, sizeof(a.sun_path)) < 0)
        die("socket path too long");
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("cannot connect to the server");
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_HELLO;
    m.seq = 1;
    m.u.hello.version = RILL_PROTOCOL_VERSION;
    m.u.hello.flags = flags;
    m.u.hello.pid = (int32_t)getpid();
    snprintf(m.u.hello.name, sizeof(m.u.hello.name), "%s", name);
    int fds[RILL_FD_COUNT];
    size_t nfds = RILL_FD_COUNT;
    if (rill_msg_send(fd, &m, NULL, 0) < 0 || rill_msg_recv(fd, &m, fds, &nfds) < 0 ||
        m.result != 0)
        die("HELLO failed");
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    return fd;
}

/* A request of type; PORT_REGISTER registers an audio output named
 * "p<seq>", PORT_UNREGISTER drops port id seq. */
static void send_req(int fd, uint32_t type, uint32_t seq)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.seq = seq;
    if (type == RILL_MSG_PROPERTY_READ)
        m.u.property.op = RILL_PROPERTY_ALL;
    if (type == RILL_MSG_PORT_REGISTER) {
        snprintf(m.u.port_register.name, sizeof(m.u.port_register.name), "p%u", seq);
        snprintf(m.u.port_register.type, sizeof(m.u.port_register.type), "%s",
                 "32 bit float mono audio");
        m.u.port_register.flags = RILL_PORT_IS_OUTPUT;
    }
    if (type == RILL_MSG_PORT_UNREGISTER)
        m.u.port.id = seq;
    if (rill_msg_send(fd, &m, NULL, 0) < 0)
        die("cannot send a request");
}

static uint32_t last_port; /* the id in the last PORT_REGISTER reply */
static uint32_t last_seq;  /* the seq of the last reply */

/* Wait up to ms for fd's reply; 1 when it came (result in *result). */
static int reply(int fd, int ms, int32_t *result)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int n;
    while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return 0;
    struct rill_msg m;
    size_t nfds = 0;
    if (rill_msg_recv(fd, &m, NULL, &nfds) < 0)
        die("the server closed a connection");
    *result = m.result;
    last_seq = m.seq;
    if (m.type == RILL_MSG_PORT_REGISTER && m.result == 0)
        last_port = m.u.port.id;
    return 1;
}

/* A request answered at once (or within 10 s); its result. */
static int32_t call(int fd, uint32_t type, uint32_t seq)
{
    int32_t r;
    send_req(fd, type, seq);
    if (!reply(fd, 10000, &r))
        die("no reply within 10 s");
    return r;
}

static void check(int a, int b, uint32_t type, uint32_t seq, const char *what)
{
    int32_t ra, rb;
    double t0 = now_ms();
    send_req(a, type, seq);
    send_req(b, RILL_MSG_PROPERTY_READ, 2);
    if (!reply(b, 10000, &rb))
        die("no reply to PROPERTY_READ within 10 s");
    double tb = now_ms() - t0;
    /* the condition: B's unrelated request was answered while A's
     * request still waits for the realtime thread */
    struct pollfd p = { .fd = a, .events = POLLIN };
    if (poll(&p, 1, 0) != 0) {
        fprintf(stderr,
                "rill-test-defer: %s was answered before the unrelated PROPERTY_READ of "
                "another client (%.1f ms): the main thread waited for the plan\n",
                what, tb);
        exit(1);
    }
    if (!reply(a, 10000, &ra))
        die("no reply to the plan-waiting request within 10 s");
    double ta = now_ms() - t0;
    if (ra != 0 || rb != 0) {
        fprintf(stderr, "rill-test-defer: %s gave %d, PROPERTY_READ %d\n", what, ra, rb);
        exit(1);
    }
    printf("ok %s: the other client's request answered after %.1f ms, %s after %.1f ms\n",
           what, tb, what, ta);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: rill-test-defer SERVER\n");
        return 2;
    }
    int a = hello(argv[1], "defer-a", 0);
    int b = hello(argv[1], "defer-b", RILL_HELLO_CONTROL);
    check(a, b, RILL_MSG_ACTIVATE, 2, "ACTIVATE");
    check(a, b, RILL_MSG_DEACTIVATE, 3, "DEACTIVATE");
    /* fill every port id (the server runs with --port-max 16), give one
     * back and take it again at once: the only free id is held until the
     * realtime thread runs a plan without the old port */
    uint32_t seq = 100;
    while (call(a, RILL_MSG_PORT_REGISTER, seq++) == 0)
        ;
    uint32_t id = last_port;
    if (call(a, RILL_MSG_PORT_UNREGISTER, id) != 0)
        die("PORT_UNREGISTER failed");
    check(a, b, RILL_MSG_PORT_REGISTER, seq, "PORT_REGISTER of a held id");
    if (last_port != id)
        die("the held port id was not the one registered again");
    /* a second request while the first waits is refused at once: it
     * breaks one-request-at-a-time, and must not half happen */
    int32_t r1, r2;
    send_req(a, RILL_MSG_ACTIVATE, 50);
    send_req(a, RILL_MSG_DEACTIVATE, 51);
    if (!reply(a, 10000, &r1) || last_seq != 51 || r1 != -EBUSY)
        die("DEACTIVATE sent while ACTIVATE waits must be refused with -EBUSY at once");
    if (!reply(a, 10000, &r2) || last_seq != 50 || r2 != 0)
        die("the waiting ACTIVATE must still be answered with 0");
    /* and it was refused whole: the client is still active, so this
     * DEACTIVATE changes the graph and waits for the plan */
    check(a, b, RILL_MSG_DEACTIVATE, 52, "DEACTIVATE after the refused one");
    printf("ok a second request while one waits is refused with -EBUSY\n");
    close(a);
    close(b);
    return 0;
}
