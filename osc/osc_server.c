/* osc/osc_server.c — the OSC front door inside rilld (osc/osc.h): the
 * sockets, the timer, the URL file, and the backend the core runs on:
 * the engine's shared state to read, and a control connection of its own
 * whose requests go through rill_server_request, as rillctl's do.
 *
 * Main thread only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "osc/osc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/msg.h"
#include "engine/server_priv.h"
#include "osc/osc_core.h"
#include "rill/paths.h"
#include "rill/time.h"

struct rill_osc_glue {
    struct rill_server *s;
    struct rill_osc *core;
    int unix_fd, udp_fd, timer_fd;
    int reply_fd;                 /* our end of the control connection: replies */
    int ev_fd;                    /* the event socket HELLO gave us (kept open) */
    struct rill_conn *conn;       /* the control connection, in s->conns */
    char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char url_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
    int unix_bound, url_written;
    uint64_t foreign;             /* Unix datagrams refused: another uid */
    pthread_t main;
};

/* one server per process: the log tap finds it here */
static struct rill_osc_glue *the_glue;

/* ---- the backend */

static const struct rill_shm_state *be_state(void *arg)
{
    struct rill_osc_glue *g = arg;
    return g->s->shm.state;
}

/* A request through the same function as rillctl's: the reply comes back
 * on our end of the connection's socket pair at once (the main thread
 * handles it to its end before it returns). */
static int be_request(void *arg, struct rill_msg *m)
{
    struct rill_osc_glue *g = arg;
    if (!g->conn || g->conn->fd < 0) {
        snprintf(m->error, sizeof(m->error), "rilld's OSC connection is gone");
        return m->result = -EPIPE;
    }
    m->seq++;
    rill_server_request(g->s, g->conn, m);
    if (g->conn->fd < 0) {
        g->conn = NULL; /* the server dropped it (its reply could not be sent) */
        snprintf(m->error, sizeof(m->error), "rilld's OSC connection is gone");
        return m->result = -EPIPE;
    }
    size_t nfds = 0;
    int r = rill_msg_recv(g->reply_fd, m, NULL, &nfds);
    if (r < 0) {
        snprintf(m->error, sizeof(m->error), "no answer from the engine: %s", strerror(-r));
        return m->result = r;
    }
    return m->result;
}

static int be_send(void *arg, int sock, const struct sockaddr *to, socklen_t tolen,
                   const void *buf, size_t len)
{
    struct rill_osc_glue *g = arg;
    int fd = sock == RILL_OSC_SOCK_UNIX ? g->unix_fd : g->udp_fd;
    if (fd < 0)
        return -EAFNOSUPPORT;
    ssize_t n = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);
    return n < 0 ? -errno : 0;
}

static uint64_t be_now(void *arg)
{
    (void)arg;
    return rill_now_ns();
}

static void be_arm(void *arg, uint64_t deadline_ns)
{
    struct rill_osc_glue *g = arg;
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };
    if (deadline_ns) {
        if (deadline_ns < 1)
            deadline_ns = 1;
        its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
        its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
        if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
            its.it_value.tv_nsec = 1;
    }
    timerfd_settime(g->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ---- set-up */

/* The control connection: a socket pair whose server end is a control
 * connection like rillctl's (HELLO with RILL_HELLO_CONTROL: no node, not
 * listed); its replies are read from our end. */
static int open_conn(struct rill_osc_glue *g, char *err, size_t errsize)
{
    struct rill_server *s = g->s;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
        snprintf(err, errsize, "OSC: cannot create its control connection: %s", strerror(errno));
        return -errno;
    }
    uint32_t i;
    for (i = 0; i < RILL_MAX_CONNS && s->conns[i]; i++)
        ;
    struct rill_conn *c = i < RILL_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        close(pair[0]);
        close(pair[1]);
        snprintf(err, errsize, "OSC: no room for its control connection");
        return -ENOMEM;
    }
    c->watch = (struct rill_watch){ RILL_WATCH_REQUEST, c };
    c->ev_watch = (struct rill_watch){ RILL_WATCH_EVENTS, c };
    c->fd = pair[0]; /* never in the epoll set: we call the request function */
    c->ev_fd = -1;
    c->slot = RILL_NO_SLOT;
    c->index = i;
    c->pid = getpid();
    s->conns[i] = c;
    g->conn = c;
    g->reply_fd = pair[1];

    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_HELLO;
    m.u.hello.version = RILL_PROTOCOL_VERSION;
    m.u.hello.flags = RILL_HELLO_CONTROL;
    m.u.hello.pid = getpid();
    snprintf(m.u.hello.name, sizeof(m.u.hello.name), "rill-osc");
    rill_server_request(s, c, &m);
    int fds[RILL_FD_COUNT];
    size_t nfds = RILL_FD_COUNT;
    int r = rill_msg_recv(g->reply_fd, &m, fds, &nfds);
    for (size_t k = 0; k < nfds; k++) {
        if (k == RILL_FD_EVENTS)
            g->ev_fd = fds[k]; /* kept open: its peer must not see a hang-up */
        else
            close(fds[k]);
    }
    if (r < 0 || m.result < 0) {
        snprintf(err, errsize, "OSC: the engine refused its control connection: %s",
                 r < 0 ? strerror(-r) : m.error);
        return r < 0 ? r : m.result;
    }
    return 0;
}

static int watch(struct rill_server *s, int fd)
{
    struct epoll_event ev = { .events = EPOLLIN };
    ev.data.u64 = (uint64_t)fd; /* like the listening socket: its fd number */
    return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int open_unix(struct rill_osc_glue *g, char *err, size_t errsize)
{
    int n = snprintf(g->unix_path, sizeof(g->unix_path), "%s.osc", g->s->sock_path);
    if (n < 0 || (size_t)n >= sizeof(g->unix_path)) {
        snprintf(err, errsize, "OSC: the socket path %s.osc is too long", g->s->sock_path);
        return -ENAMETOOLONG;
    }
    g->unix_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (g->unix_fd < 0)
        return -errno;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    memcpy(a.sun_path, g->unix_path, (size_t)n + 1);
    /* the control socket's check found no live server of this name: an
     * .osc socket left here belongs to one that died */
    unlink(g->unix_path);
    mode_t old = umask(0177);
    int r = bind(g->unix_fd, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    umask(old);
    if (r < 0) {
        snprintf(err, errsize, "OSC: cannot bind %s: %s", g->unix_path, strerror(e));
        return -e;
    }
    g->unix_bound = 1;
    chmod(g->unix_path, 0600);
    /* the sender's credentials with every datagram: only our own uid is
     * served, as on the control socket (drain) */
    int one = 1;
    if (setsockopt(g->unix_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
        e = errno;
        snprintf(err, errsize, "OSC: cannot ask for the senders' credentials on %s: %s",
                 g->unix_path, strerror(e));
        return -e;
    }
    int buf = 1 << 20;
    setsockopt(g->unix_fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(g->unix_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    return watch(g->s, g->unix_fd);
}

static int open_udp(struct rill_osc_glue *g, const struct rill_osc_config *cfg, uint16_t *port,
                    char *err, size_t errsize)
{
    g->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (g->udp_fd < 0)
        return -errno;
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(cfg->udp_addr);
    a.sin_port = htons(cfg->udp_port);
    if (bind(g->udp_fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int e = errno;
        snprintf(err, errsize, "OSC: cannot bind UDP %u.%u.%u.%u:%u: %s%s", cfg->udp_addr >> 24,
                 (cfg->udp_addr >> 16) & 255, (cfg->udp_addr >> 8) & 255, cfg->udp_addr & 255,
                 cfg->udp_port, strerror(e),
                 e == EADDRINUSE ? " (another program uses the port: choose another with "
                                   "--osc-udp PORT, or 0 for any free one)"
                                 : "");
        return -e;
    }
    socklen_t len = sizeof(a);
    getsockname(g->udp_fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    int buf = 1 << 20;
    setsockopt(g->udp_fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(g->udp_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    return watch(g->s, g->udp_fd);
}

/* Main thread. */
int rill_osc_start(struct rill_server *s, char *err, size_t errsize)
{
    const struct rill_osc_config *cfg = &s->opt->osc;
    if (!cfg->unix_on && !cfg->udp_on)
        return 0;
    struct rill_osc_glue *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errsize, "OSC: out of memory");
        return -ENOMEM;
    }
    g->s = s;
    g->unix_fd = g->udp_fd = g->timer_fd = g->reply_fd = g->ev_fd = -1;
    g->main = pthread_self();
    s->osc = g;
    int r;
    uint16_t port = 0;
    if ((r = open_conn(g, err, errsize)) < 0)
        return r;
    g->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (g->timer_fd < 0 || (r = watch(s, g->timer_fd)) < 0) {
        snprintf(err, errsize, "OSC: cannot create its timer: %s", strerror(errno));
        return -errno;
    }
    if (cfg->unix_on && (r = open_unix(g, err, errsize)) < 0)
        return r;
    if (cfg->udp_on && (r = open_udp(g, cfg, &port, err, errsize)) < 0)
        return r;
    struct rill_osc_backend be = { g, be_state, be_request, be_send, be_now, be_arm };
    if ((r = rill_osc_new(cfg, &be, &g->core)) < 0) {
        snprintf(err, errsize, "OSC: out of memory");
        return r;
    }

    /* NAME.osc-url: the URLs, one a line, UDP first */
    char urls[512] = "";
    size_t used = 0;
    if (cfg->udp_on)
        used += (size_t)snprintf(urls + used, sizeof(urls) - used, "osc.udp://%u.%u.%u.%u:%u/\n",
                                 cfg->udp_addr >> 24, (cfg->udp_addr >> 16) & 255,
                                 (cfg->udp_addr >> 8) & 255, cfg->udp_addr & 255, port);
    if (cfg->unix_on && used < sizeof(urls))
        snprintf(urls + used, sizeof(urls) - used, "osc.unix://%s\n", g->unix_path);
    snprintf(g->url_path, sizeof(g->url_path), "%s.osc-url", s->sock_path);
    char tmp[sizeof(g->url_path) + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", g->url_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, urls, strlen(urls)) != (ssize_t)strlen(urls) || close(fd) < 0 ||
        rename(tmp, g->url_path) < 0) {
        snprintf(err, errsize, "OSC: cannot write %s: %s", g->url_path, strerror(errno));
        return -errno;
    }
    g->url_written = 1;
    for (char *line = urls, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        rill_server_log("OSC on %s", line);
    }
    the_glue = g;
    return 0;
}

/* The uid that sent the datagram of mh (SCM_CREDENTIALS, which SO_PASSCRED
 * makes the kernel attach to each), or -1 when it carries none. */
static long sender_uid(struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
            cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
            return (long)cred.uid;
        }
    }
    return -1;
}

/* A datagram on the Unix socket from another user (the directory and the
 * socket were opened up by hand): dropped unread and counted; the log says
 * so for the first and then for every 1000th. */
static void refuse_foreign(struct rill_osc_glue *g, long uid)
{
    g->foreign++;
    rill_osc_count_foreign(g->core);
    if (g->foreign == 1 || g->foreign % 1000 == 0)
        rill_server_log("OSC: refused a datagram from uid %ld on %s: only uid %d may use this "
                        "server (%llu refused so far)",
                        uid, g->unix_path, (int)geteuid(), (unsigned long long)g->foreign);
}

static void drain(struct rill_osc_glue *g, int fd, int sock)
{
    /* aligned for liblo's reads; one byte more than a datagram may have, so
     * MSG_TRUNC tells a larger one apart */
    static uint8_t buf[RILL_OSC_MAX_DATAGRAM + 8] __attribute__((aligned(8)));
    for (int i = 0; i < 256; i++) { /* bounded: the loop serves others too */
        struct sockaddr_storage from;
        union {
            char buf[CMSG_SPACE(sizeof(struct ucred))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
                             .msg_iov = &iov, .msg_iovlen = 1 };
        if (sock == RILL_OSC_SOCK_UNIX) {
            mh.msg_control = ctl.buf;
            mh.msg_controllen = sizeof(ctl.buf);
        }
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
        if (n < 0)
            break;
        if (sock == RILL_OSC_SOCK_UNIX) {
            long uid = sender_uid(&mh);
            if (uid != (long)geteuid()) {
                refuse_foreign(g, uid);
                continue;
            }
        }
        size_t got = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf);
        rill_osc_input(g->core, sock, (struct sockaddr *)&from, mh.msg_namelen, buf, got,
                       (size_t)n);
    }
    rill_osc_flush(g->core); /* the batch's replies, packed into bundles */
}

/* Main thread. */
int rill_osc_ready(struct rill_server *s, uint64_t key)
{
    struct rill_osc_glue *g = s->osc;
    if (!g || !g->core)
        return 0;
    if (g->unix_fd >= 0 && key == (uint64_t)g->unix_fd) {
        drain(g, g->unix_fd, RILL_OSC_SOCK_UNIX);
    } else if (g->udp_fd >= 0 && key == (uint64_t)g->udp_fd) {
        drain(g, g->udp_fd, RILL_OSC_SOCK_UDP);
    } else if (g->timer_fd >= 0 && key == (uint64_t)g->timer_fd) {
        uint64_t ticks;
        if (read(g->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
            return 1;
        rill_osc_tick(g->core);
    } else {
        return 0;
    }
    return 1;
}

/* Main thread. */
void rill_osc_notify(struct rill_server *s, const struct rill_msg *ev)
{
    if (s->osc && s->osc->core)
        rill_osc_event(s->osc->core, ev);
}

/* Main thread. */
void rill_osc_port_removed(struct rill_server *s, uint32_t id)
{
    if (s->osc && s->osc->core)
        rill_osc_port_gone(s->osc->core, id);
}

/* Any thread: only the main thread's lines become events. */
void rill_osc_log_line(const char *line)
{
    struct rill_osc_glue *g = the_glue;
    if (g && g->core && pthread_equal(pthread_self(), g->main))
        rill_osc_log(g->core, line);
}

/* Main thread. */
void rill_osc_stop(struct rill_server *s)
{
    struct rill_osc_glue *g = s->osc;
    if (!g)
        return;
    the_glue = NULL;
    rill_osc_free(g->core, "server shutdown");
    int fds[] = { g->unix_fd, g->udp_fd, g->timer_fd, g->reply_fd, g->ev_fd };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (fds[i] < 0)
            continue;
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fds[i], NULL);
        close(fds[i]);
    }
    if (g->unix_bound)
        unlink(g->unix_path);
    if (g->url_written)
        unlink(g->url_path);
    /* the control connection is in s->conns: the server closes it */
    free(g);
    s->osc = NULL;
}
