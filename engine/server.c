/* engine/server.c — rilld's life cycle and main loop (main thread).
 *
 * Set-up order: socket directory and stale-socket check, driver open, shared
 * memory, system client and ports, first plan, listening socket, realtime
 * thread. Tear-down runs the same chain backwards. The loop is one epoll over
 * the listening socket, every client's request socket, a signalfd and a
 * housekeeping timer (the realtime thread's events, late clients): every
 * 10 ms while anything happens and for a second after, else every 50 ms.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clients/core/client.h"
#include "common/err.h"
#include "common/rt_hooks.h"
#include "engine/plan_compile.h"
#include "engine/plan_handover.h"
#include "engine/internal.h"
#include "engine/latency.h"
#include "engine/metadata.h"
#include "engine/server_priv.h"
#include "osc/osc.h"
#include "rill/paths.h"
#include "rill/time.h"

#define HOUSEKEEPING_NS 10000000ull
#define HOUSEKEEPING_IDLE_NS 50000000ull
#define HOUSEKEEPING_HOLD_NS 1000000000ull
#define XRUN_LOG_INTERVAL_NS 1000000000ull

/* Main thread (also used before the realtime thread exists). */
void rill_server_log(const char *fmt, ...)
{
    char raw[1024], line[4 * sizeof(raw)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    /* names come from clients: a control byte (a terminal escape, a line
     * break that would forge a log line) is written as \xHH */
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(line + o, sizeof(line) - o, "\\x%02x", *p);
        else
            line[o++] = (char)*p;
    }
    line[o] = '\0';
    fprintf(stderr, "rilld: %s\n", line);
    rill_osc_log_line(line); /* the OSC `log` topic */
}

/* ---- events to clients */

static void send_event(struct rill_conn *c, const struct rill_msg *ev)
{
    if (c->ev_fd < 0)
        return;
    int r = rill_msg_send(c->ev_fd, ev, NULL, 0);
    if (r == -EAGAIN && c->dropped_events++ == 0)
        rill_server_log("client '%u' does not read its events; dropping them", c->slot);
}

/* Main thread. */
void rill_server_broadcast(struct rill_server *s, const struct rill_msg *ev, uint32_t skip_slot)
{
    rill_osc_notify(s, ev); /* OSC subscribers hear what the clients hear */
    for (uint32_t i = 0; i < RILL_MAX_CONNS; i++) {
        struct rill_conn *c = s->conns[i];
        if (!c)
            continue;
        /* control tools get nothing, but property events when they asked
         * (they answer no event, and property events want no answer) */
        if (c->control ? (c->property_events && ev->type == RILL_EV_PROPERTY)
                       : c->slot != skip_slot)
            send_event(c, ev);
    }
}

static void on_client(void *arg, uint32_t slot, int registered)
{
    struct rill_server *s = arg;
    const struct rill_shm_client *cl = &s->shm.state->registry.clients[slot];
    if (!registered) {
        rill_metadata_subject_gone(s, cl->uuid);
        rill_latency_client_gone(&s->latency, slot);
    }
    if (cl->flags & RILL_CLIENT_CONTROL)
        return;
    struct rill_msg ev = { .type = RILL_EV_CLIENT_REGISTER };
    ev.u.client_event.registered = (uint32_t)registered;
    ev.u.client_event.client = slot;
    memcpy(ev.u.client_event.name, cl->name, sizeof(ev.u.client_event.name));
    rill_server_broadcast(s, &ev, slot);
    if (s->opt->verbose)
        rill_server_log("client '%s' %s", cl->name, registered ? "registered" : "left");
}

static void on_port(void *arg, uint32_t id, int registered)
{
    struct rill_server *s = arg;
    if (!registered)
        rill_osc_port_removed(s, id); /* announced to the clients or not */
    rill_server_port_announce(s, id, registered);
    if (!registered) {
        rill_metadata_subject_gone(s, s->shm.state->registry.ports[id].uuid);
        /* a cycle of an older plan may still read the buffer: the id is
         * held back until the plan that the next publish makes runs */
        if (s->rt_started)
            s->shm.state->registry.ports[id].free_gen = s->plan_gen + 1;
    }
    if (s->opt->verbose)
        rill_server_log("port '%s' %s", s->shm.state->registry.ports[id].name,
                        registered ? "registered" : "unregistered");
}

static void on_connect(void *arg, uint32_t src, uint32_t dst, int connected)
{
    struct rill_server *s = arg;
    struct rill_msg ev = { .type = RILL_EV_PORT_CONNECT };
    ev.u.connect_event.connected = (uint32_t)connected;
    ev.u.connect_event.src = src;
    ev.u.connect_event.dst = dst;
    rill_server_broadcast(s, &ev, RILL_NO_SLOT);
    if (s->opt->verbose)
        rill_server_log("%s '%s' -> '%s'", connected ? "connected" : "disconnected",
                        s->shm.state->registry.ports[src].name,
                        s->shm.state->registry.ports[dst].name);
}

/* ---- test hook */

/* RILL_TEST_FIRST_CYCLE=N (decimal, below 2^63): the realtime thread's
 * first cycle is N + 1 instead of 1, so that a test can run across the wrap
 * of the 32-bit cycle words (rill/shm.h) in seconds instead of days. Unset:
 * *cycle stays 0. Returns 0 or -EINVAL with a sentence in err. Main thread,
 * at start. */
static int first_cycle(uint64_t *cycle, char *err, size_t errsize)
{
    const char *v = getenv("RILL_TEST_FIRST_CYCLE");
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || n >= (1ull << 63)) {
        snprintf(err, errsize,
                 "RILL_TEST_FIRST_CYCLE '%s' is not a cycle number: use a decimal integer "
                 "from 0 to 9223372036854775807, or unset it",
                 v);
        return -EINVAL;
    }
    *cycle = n;
    rill_server_log("test hook: the first cycle is %llu (RILL_TEST_FIRST_CYCLE)", n + 1);
    return 0;
}

/* ---- plan hand-over */

/* Main thread. The slot we write is one the realtime thread neither runs
 * nor may adopt (engine/plan_handover.h); publishing it replaces a plan
 * that was published and never adopted. */
void rill_server_publish(struct rill_server *s)
{
    struct rill_shm_state *st = s->shm.state;
    uint32_t slot = rill_plan_handover_reserve(&st->plan_handover);

    /* outside the registry seqlock: readers never wait for a compile; only
     * the feedback marks are written back, in a short section */
    int r = rill_plan_compile(&st->registry, &st->plans[slot], ++s->plan_gen, s->plan_feedback);
    if (r == 0)
        rill_plan_store_feedback(&st->registry, s->plan_feedback);
    if (r < 0) {
        rill_server_log("cannot compile the graph: %s", strerror(-r));
        return;
    }
    r = rill_plan_handover_publish(&st->plan_handover, slot);
    if (r < 0) {
        rill_server_log("cannot hand the plan over: %s", strerror(-r));
        return;
    }
    rill_placement_apply(&s->placement, &st->plans[slot]);
    rill_latency_schedule(&s->latency); /* the graph changed: latencies follow */
}

/* Main thread. */
uint64_t rill_server_adopted_gen(const struct rill_server *s)
{
    /* acquire: pairs with the realtime thread's release after adopting */
    return atomic_load_explicit(&s->shm.state->cur_plan_gen, memory_order_acquire);
}

/* ---- requests that wait for a plan (rill_server_after_plan) */

/* Arm (on) or stop the plan timer. Its interval while requests wait: half
 * a period, within 0.25..5 ms (the realtime thread adopts a plan at its
 * next cycle). Main thread. */
static void plan_timer_arm(struct rill_server *s, int on)
{
    const struct rill_shm_state *st = s->shm.state;
    uint64_t ns = 0;
    if (on) {
        ns = st->rate ? (uint64_t)st->period * 1000000000ull / st->rate / 2 : 0;
        ns = ns < 250000ull ? 250000ull : ns > 5000000ull ? 5000000ull : ns;
    }
    struct itimerspec its = { .it_interval = rill_ns_to_timespec(ns),
                              .it_value = rill_ns_to_timespec(ns) };
    timerfd_settime(s->plan_fd, 0, &its, NULL);
}

/* Finish the requests whose plan runs now (or whose wait is over). Main
 * thread: the plan timer, and housekeeping. */
static void plan_waits_run(struct rill_server *s)
{
    if (!s->plan_waits)
        return;
    uint64_t adopted = rill_server_adopted_gen(s);
    int running = s->rt_started && !atomic_load_explicit(&s->rt->ended, memory_order_acquire);
    uint64_t now = rill_now_ns();
    for (uint32_t i = 0; i < RILL_MAX_CONNS && s->plan_waits; i++) {
        struct rill_conn *c = s->conns[i];
        if (!c || !c->plan_wait.gen)
            continue;
        struct rill_plan_wait *w = &c->plan_wait;
        if (running && adopted < w->gen && now < w->deadline_ns)
            continue;
        w->gen = 0;
        s->plan_waits--;
        int r = w->then(s, c, &w->msg);
        if (r != RILL_REPLY_DEFERRED)
            rill_server_answer(c, &w->msg, r);
    }
    if (!s->plan_waits)
        plan_timer_arm(s, 0);
    /* after the replies: latency callbacks follow the graph change */
    rill_latency_run(s);
}

/* Main thread. */
int rill_server_after_plan(struct rill_server *s, struct rill_conn *c, struct rill_msg *m,
                           int (*then)(struct rill_server *s, struct rill_conn *c,
                                       struct rill_msg *m))
{
    struct rill_shm_state *st = s->shm.state;
    if (c->plan_wait.gen)
        return rill_msg_errf(m, -EBUSY,
                             "this connection has a request waiting already: wait for its reply");
    if (!s->rt_started || atomic_load_explicit(&s->rt->ended, memory_order_acquire) ||
        rill_server_adopted_gen(s) >= s->plan_gen)
        return then(s, c, m);
    /* bounded: a few periods, at least 200 ms */
    uint64_t period_ns = (uint64_t)st->period * 1000000000ull / st->rate;
    c->plan_wait = (struct rill_plan_wait){ .gen = s->plan_gen,
                                            .deadline_ns = rill_now_ns() + 4 * period_ns +
                                                           200000000ull,
                                            .then = then,
                                            .msg = *m };
    if (s->plan_waits++ == 0)
        plan_timer_arm(s, 1);
    return RILL_REPLY_DEFERRED;
}

/* Main thread. */
void rill_server_answer(const struct rill_conn *c, struct rill_msg *m, int r)
{
    m->result = r;
    (void)rill_msg_send(c->fd, m, NULL, 0);
}

/* ---- connections */

/* c goes (closed or held): forget its request that waits for a plan.
 * Main thread. */
static void plan_wait_cancel(struct rill_server *s, struct rill_conn *c)
{
    if (!c->plan_wait.gen)
        return;
    c->plan_wait.gen = 0;
    if (--s->plan_waits == 0)
        plan_timer_arm(s, 0);
}

static void conn_close(struct rill_server *s, struct rill_conn *c)
{
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->ev_fd >= 0) {
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->ev_fd, NULL);
        close(c->ev_fd);
    }
    if (c->pidfd >= 0) {
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->pidfd, NULL);
        close(c->pidfd);
        c->pidfd = -1;
    }
    if (c->slot != RILL_NO_SLOT && c->slot < RILL_MAX_CLIENTS) {
        s->by_slot[c->slot] = NULL;
        rill_placement_set_tid(&s->placement, c->slot, 0);
    }
    s->conns[c->index] = NULL;
    plan_wait_cancel(s, c);
    if (!c->held) { /* a held conn said goodbye to these in hold_slot */
        rill_metadata_conn_gone(c);
        rill_internal_conn_gone(s, c);
    }
    /* not freed yet: the epoll batch being handled may hold an event for it
     * (housekeeping can drop a client whose socket is also readable) */
    c->fd = -1;
    c->ev_fd = -1;
    c->next_closed = s->closed;
    s->closed = c;
}

/* Free the connections closed during the last epoll batch. Main thread. */
static void free_closed(struct rill_server *s)
{
    while (s->closed) {
        struct rill_conn *c = s->closed;
        s->closed = c->next_closed;
        free(c);
    }
}

/* 1 when the client has closed its end of the request socket (or the
 * socket failed). Main thread; does not block. */
static int peer_hung_up(const struct rill_conn *c)
{
    struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL));
}

/* A client removed while its process may still run keeps its slot, and
 * its port ids, until the process has hung up its request socket or its
 * pidfd says it is gone: a stopped client that resumes, or a callback that
 * returns at last, writes finished/produced/QUIT into its activation
 * record and its output buffers, which must not belong to a newcomer by
 * then. The conn stays (it serves nothing) with its request socket shut
 * for writing and watched for the hang-up alone. Returns 0 when held, -ESRCH when the
 * process is gone already (then nothing is held). Main thread. */
static int hold_slot(struct rill_server *s, struct rill_conn *c)
{
    int pidfd = -1;
    if (c->pid > 0) {
        pidfd = (int)syscall(SYS_pidfd_open, (pid_t)c->pid, 0);
        if (pidfd < 0 && errno == ESRCH)
            return -ESRCH;
        /* other errors (a kernel before 5.3): the hang-up alone tells */
    }
    struct epoll_event ev = { .events = EPOLLRDHUP, .data.ptr = &c->watch };
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        if (pidfd >= 0)
            close(pidfd);
        return -errno;
    }
    if (pidfd >= 0) {
        struct epoll_event pev = { .events = EPOLLIN, .data.ptr = &c->pid_watch };
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, pidfd, &pev) < 0) {
            close(pidfd);
            pidfd = -1;
        }
    }
    c->pidfd = pidfd;
    /* the client reads end-of-file on its request socket, as if we had
     * closed it (a request it sends gets no answer, not a long wait), and
     * our end still tells when it closes its own */
    shutdown(c->fd, SHUT_WR);
    rill_registry_client_hold(&s->shm.state->registry, c->slot);
    if (c->ev_fd >= 0) {
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->ev_fd, NULL);
        close(c->ev_fd);
        c->ev_fd = -1;
    }
    s->by_slot[c->slot] = NULL;
    rill_placement_set_tid(&s->placement, c->slot, 0);
    plan_wait_cancel(s, c);
    rill_metadata_conn_gone(c);
    rill_internal_conn_gone(s, c);
    c->held = 1;
    if (s->opt->verbose)
        rill_server_log("slot %u is held until pid %d has hung up or is gone", c->slot,
                        (int)c->pid);
    return 0;
}

/* The process of a held conn hung up or is gone: free its slot and port
 * ids. Main thread. */
static void release_held(struct rill_server *s, struct rill_conn *c)
{
    uint32_t slot = c->slot;
    conn_close(s, c);
    rill_registry_client_release(&s->shm.state->registry, slot, s->plan_gen);
    if (s->opt->verbose)
        rill_server_log("slot %u is free again (pid %d is gone)", slot, (int)c->pid);
}

/* Main thread. */
void rill_server_drop(struct rill_server *s, struct rill_conn *c, const char *why)
{
    if (c->held)
        return; /* removed already; waiting for its process to go */
    rill_server_period_client_gone(s, c);
    int held = 0;
    if (c->slot != RILL_NO_SLOT) {
        struct rill_shm_registry *reg = &s->shm.state->registry;
        int was_node = reg->clients[c->slot].active;
        uint32_t slot = c->slot;
        if (why && (s->opt->verbose || !c->control))
            rill_server_log("client '%s' (pid %d): %s", reg->clients[c->slot].name, (int)c->pid,
                            why);
        rill_registry_client_remove(reg, c->slot, &s->listener);
        /* the timebase and slow-sync registrations leave with the client */
        rill_transport_client_gone(&s->rt->transport, c->slot);
        rill_server_publish(s);
        /* no wait for the realtime thread to drop the node: the slot is
         * held back until a plan without it runs (its ports are, on_port) */
        if (s->rt_started && was_node)
            reg->clients[slot].free_gen = s->plan_gen;
        atomic_store_explicit(&s->rt->late_since[c->slot], 0, memory_order_relaxed);
        atomic_store_explicit(&s->rt->late_cycles[c->slot], 0, memory_order_relaxed);
        if (was_node) {
            struct rill_msg ev = { .type = RILL_EV_GRAPH_ORDER };
            rill_server_broadcast(s, &ev, c->slot);
        }
        held = !peer_hung_up(c) && hold_slot(s, c) == 0;
    }
    if (!held)
        conn_close(s, c);
    if (s->opt->temporary && s->had_client && !s->stopping) {
        uint32_t left = 0;
        for (uint32_t i = 0; i < RILL_MAX_CONNS; i++)
            if (s->conns[i] && s->conns[i]->slot != RILL_NO_SLOT && !s->conns[i]->control &&
                !s->conns[i]->held)
                left++;
        if (left == 0) {
            rill_server_log("the last client left: stopping (-T)");
            s->stopping = 1;
        }
    }
}

/* A connection on an accepted socket fd from process pid, watched by the
 * loop; NULL (fd left open) when there is no room. Main thread. */
static struct rill_conn *conn_new(struct rill_server *s, int fd, pid_t pid)
{
    uint32_t i;
    for (i = 0; i < RILL_MAX_CONNS && s->conns[i]; i++)
        ;
    struct rill_conn *c = i < RILL_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        rill_server_log("refused a connection: %u connections are open already", RILL_MAX_CONNS);
        return NULL;
    }
    /* a client that stops reading its replies must not wedge the server */
    struct timeval tv = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    c->watch = (struct rill_watch){ RILL_WATCH_REQUEST, c };
    c->ev_watch = (struct rill_watch){ RILL_WATCH_EVENTS, c };
    c->pid_watch = (struct rill_watch){ RILL_WATCH_PIDFD, c };
    c->fd = fd;
    c->ev_fd = -1;
    c->pidfd = -1;
    c->slot = RILL_NO_SLOT;
    c->index = i;
    c->pid = pid;
    c->refused_uid = -1;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->watch };
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(c);
        return NULL;
    }
    s->conns[i] = c;
    return c;
}

static void accept_one(struct rill_server *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        close(fd);
        return;
    }
    struct rill_conn *c = conn_new(s, fd, cred.pid);
    if (!c) {
        close(fd);
        return;
    }
    if (cred.uid != geteuid()) {
        rill_server_log("refused a connection from uid %d: only uid %d may use this server",
                        (int)cred.uid, (int)geteuid());
        c->refused_uid = cred.uid; /* told so at its first message, then closed */
    }
}

static void conn_readable(struct rill_server *s, struct rill_conn *c, uint32_t events)
{
    struct rill_msg m;
    size_t nfds = 0;
    int r = rill_msg_recv(c->fd, &m, NULL, &nfds);
    if (r == -EAGAIN || r == -EINTR)
        return;
    if (r < 0) {
        rill_server_drop(s, c, r == -ECONNRESET ? "connection closed" : "bad message");
        return;
    }
    if (c->refused_uid >= 0) {
        m.result = -EACCES;
        memset(&m.u, 0, sizeof(m.u));
        snprintf(m.error, sizeof(m.error),
                 "this rill server belongs to uid %d and only that user may use it (you are "
                 "uid %lld); start a server of your own",
                 (int)geteuid(), (long long)c->refused_uid);
        (void)rill_msg_send(c->fd, &m, NULL, 0);
        rill_server_drop(s, c, NULL);
        return;
    }
    rill_server_request(s, c, &m);
}

/* A client answered an event on its event socket. EOF or an error there
 * only unregisters the socket: the request socket tells when it is gone. */
static void event_socket_readable(struct rill_server *s, struct rill_conn *c, uint32_t events)
{
    struct rill_msg m;
    size_t nfds = 0;
    int r = rill_msg_recv(c->ev_fd, &m, NULL, &nfds);
    if (r == 0) {
        rill_server_event_answer(s, c, &m);
        return;
    }
    if (r != -EAGAIN && r != -EINTR)
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->ev_fd, NULL);
}

/* ---- housekeeping: the realtime thread's events, late clients */

/* Unpin the clients' realtime threads on a stall, pin them again after a
 * quiet time (engine/placement.h). Main thread. */
static void placement_tick(struct rill_server *s, uint64_t now)
{
    const struct rill_shm_state *st = s->shm.state;
    uint64_t period_ns = st->rate ? (uint64_t)st->period * 1000000000ull / st->rate : 0;
    int moved = rill_placement_review(&s->placement, s->shm.act, period_ns, now);
    if (moved > 0 && s->opt->verbose)
        rill_server_log("placement: %d realtime thread(s) moved after weighing the branches",
                        moved);
    int r = rill_placement_tick(&s->placement, s->rt->late_since, period_ns, now);
    if (r == RILL_PLACEMENT_UNPINNED) {
        const struct rill_shm_client *c = &st->registry.clients[s->placement.stall_slot];
        uint64_t since = atomic_load_explicit(&s->rt->late_since[s->placement.stall_slot],
                                              memory_order_relaxed);
        rill_server_log("client '%s' has been late for %.0f ms: every client's realtime "
                        "thread is unpinned (a busy core could starve the ones beside it) "
                        "until %.0f s pass without a late client",
                        c->name, since && now > since ? (double)(now - since) / 1e6 : 0.0,
                        (double)s->placement.quiet_ns / 1e9);
    } else if (r == RILL_PLACEMENT_REPINNED) {
        rill_server_log("no late client for %.0f s: realtime threads pinned again",
                        (double)s->placement.quiet_ns / 1e9);
    }
}

/* Arm the housekeeping timer every tick_ns. Main thread. */
static void set_tick(struct rill_server *s, uint64_t tick_ns)
{
    struct itimerspec its = { .it_interval = rill_ns_to_timespec(tick_ns),
                              .it_value = rill_ns_to_timespec(tick_ns) };
    if (timerfd_settime(s->timer_fd, 0, &its, NULL) == 0)
        s->tick_ns = tick_ns;
}

/* Something happened: tick fast for a while. Main thread. */
static void mark_busy(struct rill_server *s, uint64_t now)
{
    s->busy_until_ns = now + HOUSEKEEPING_HOLD_NS;
    if (s->tick_ns != HOUSEKEEPING_NS)
        set_tick(s, HOUSEKEEPING_NS);
}

static void housekeeping(struct rill_server *s)
{
    struct rill_shm_state *st = s->shm.state;
    struct rill_rtlog_rec rec;
    uint64_t now = rill_now_ns();
    plan_waits_run(s);
    rill_latency_run(s);
    rill_internal_poll(s);
    if (s->period_change.active)
        mark_busy(s, now);
    while (rill_rtlog_pop(&s->rt->log, &rec)) {
        mark_busy(s, now);
        switch (rec.type) {
        case RILL_RTLOG_XRUN:
        case RILL_RTLOG_DEVICE_LOST:
        case RILL_RTLOG_DEVICE_BACK:
        case RILL_RTLOG_DEVICE_START:
            rill_device_event(s, &rec, now); /* rate-limited xrun lines, the fallback clock */
            break;
        case RILL_RTLOG_LATE:
            s->late_unlogged++;
            if (now - s->late_logged_ns > XRUN_LOG_INTERVAL_NS) {
                rill_server_log("%llu cycle(s) where the graph missed its deadline (last: %llu "
                                "node(s) late)",
                                (unsigned long long)s->late_unlogged, (unsigned long long)rec.b);
                s->late_unlogged = 0;
                s->late_logged_ns = now;
            }
            break;
        case RILL_RTLOG_DRIVER_ERROR:
            rill_server_log("the %s driver failed: %s; stopping", st->driver_name,
                            strerror((int)rec.a));
            s->stopping = 1;
            s->exit_status = 1;
            break;
        }
    }
    uint64_t xruns = atomic_load_explicit(&st->xruns, memory_order_relaxed);
    if (xruns != s->xruns_reported) {
        s->xruns_reported = xruns;
        struct rill_msg ev = { .type = RILL_EV_XRUN };
        ev.u.xrun_event.xruns = xruns;
        rill_server_broadcast(s, &ev, RILL_NO_SLOT);
    }
    rill_device_tick(s, now); /* reopen attempts: every 200 ms at the most, the idle tick will do */
    /* a client is removed when it has been late for the timeout and in as
     * many cycles as the timeout holds, counting only cycles the engine ran
     * on time: a stall of the device or the machine removes nobody */
    uint64_t timeout = s->rt->client_timeout_ns;
    uint64_t period_ns = st->rate ? (uint64_t)st->period * 1000000000ull / st->rate : 1;
    uint64_t timeout_cycles = period_ns ? timeout / period_ns : 1;
    if (timeout_cycles == 0)
        timeout_cycles = 1;
    for (uint32_t slot = 1; slot < RILL_MAX_CLIENTS; slot++) {
        uint64_t since = atomic_load_explicit(&s->rt->late_since[slot], memory_order_relaxed);
        struct rill_conn *c = s->by_slot[slot];
        if (since)
            mark_busy(s, now);
        if (!since || !c || now < since || now - since < timeout ||
            atomic_load_explicit(&s->rt->late_cycles[slot], memory_order_relaxed) < timeout_cycles)
            continue;
        char why[RILL_ERROR_SIZE];
        snprintf(why, sizeof(why),
                 "rill removed this client: its cycle did not finish for %u ms",
                 st->client_timeout_ms);
        struct rill_msg ev = { .type = RILL_EV_SHUTDOWN };
        ev.u.shutdown_event.code = 0x1001; /* JackFailure | JackClientZombie */
        snprintf(ev.u.shutdown_event.reason, sizeof(ev.u.shutdown_event.reason), "%s", why);
        send_event(c, &ev);
        rill_server_drop(s, c, why);
    }
    rill_server_period_tick(s, now);
    placement_tick(s, now);
    if (now >= s->busy_until_ns && s->tick_ns != HOUSEKEEPING_IDLE_NS)
        set_tick(s, HOUSEKEEPING_IDLE_NS);
    if (s->rt_started && atomic_load_explicit(&s->rt->ended, memory_order_acquire) &&
        !s->stopping) {
        s->stopping = 1;
        s->exit_status = 1;
    }
}

/* ---- set-up and tear-down */

static int make_socket_dir(char *err, size_t errsize)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (rill_socket_dir(dir, sizeof(dir)) < 0) {
        snprintf(err, errsize, "the socket directory name is too long ($XDG_RUNTIME_DIR)");
        return -ENAMETOOLONG;
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        int e = errno;
        snprintf(err, errsize, "cannot create the socket directory %s: %s%s", dir, strerror(e),
                 e == ENOENT ? " (does $XDG_RUNTIME_DIR exist?)" : "");
        return -e;
    }
    struct stat sb;
    if (lstat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
        (sb.st_mode & 077)) {
        snprintf(err, errsize,
                 "the socket directory %s must be a directory owned by uid %d with mode 0700",
                 dir, (int)geteuid());
        return -EPERM;
    }
    return 0;
}

static int check_running(const char *path, const char *name, char *err, size_t errsize)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int r = connect(fd, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    close(fd);
    if (r == 0) {
        snprintf(err, errsize,
                 "a server named '%s' is already running (socket %s); stop it first or choose "
                 "another name with -n",
                 name, path);
        return -EADDRINUSE;
    }
    if (e == ECONNREFUSED)
        unlink(path); /* left behind by a server that died */
    return 0;
}

static int listen_socket(struct rill_server *s, char *err, size_t errsize)
{
    s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->listen_fd < 0)
        return -errno;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->sock_path);
    mode_t old = umask(0177);
    int r = bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    umask(old);
    if (r < 0) {
        snprintf(err, errsize, "cannot bind %s: %s", s->sock_path, strerror(e));
        return -e;
    }
    s->socket_bound = 1;
    chmod(s->sock_path, 0600);
    if (listen(s->listen_fd, 64) < 0)
        return -errno;
    return 0;
}

static int add_system_ports(struct rill_server *s, const struct rill_driver_info *info,
                            char *err, size_t errsize)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    uint32_t slot;
    int renamed;
    int r = rill_registry_client_add(reg, RILL_ENGINE_CLIENT_NAME, getpid(), 0, 1, 1, &slot,
                                     &renamed, err, errsize);
    if (r < 0)
        return r;
    rill_registry_write_begin(reg);
    reg->clients[0].active = 1;
    rill_registry_write_end(reg);
    for (int dir = 0; dir < 2; dir++) {
        uint32_t n = dir == 0 ? info->capture_channels : info->playback_channels;
        for (uint32_t ch = 0; ch < n; ch++) {
            char name[32];
            snprintf(name, sizeof(name), "%s_%u", dir == 0 ? "capture" : "playback", ch + 1);
            uint32_t flags = (dir == 0 ? RILL_PORT_IS_OUTPUT : RILL_PORT_IS_INPUT) |
                             RILL_PORT_IS_PHYSICAL | RILL_PORT_IS_TERMINAL;
            uint32_t id;
            r = rill_registry_port_add(reg, s->shm.state->port_max, 0, name, RILL_PORT_TYPE_AUDIO,
                                       flags, &id, err, errsize);
            if (r < 0)
                return r;
            rill_registry_write_begin(reg);
            struct rill_shm_port *p = &reg->ports[id];
            uint32_t lat = dir == 0 ? info->capture_latency : info->playback_latency;
            p->latency[dir][0] = p->latency[dir][1] = lat;
            const char *alias = dir == 0 ? info->capture_alias : info->playback_alias;
            if (alias[0])
                snprintf(p->alias[0], sizeof(p->alias[0]), "%s:%s", alias, name);
            rill_registry_write_end(reg);
            if (dir == 0)
                s->rt->capture_ports[ch] = id;
            else
                s->rt->playback_ports[ch] = id;
        }
    }
    /* a driver's MIDI channels (NetJACK2's): system:midi_capture_N and
     * system:midi_playback_N, as jackd2 names its drivers' */
    for (int dir = 0; dir < 2; dir++) {
        uint32_t n = dir == 0 ? info->midi_capture_channels : info->midi_playback_channels;
        for (uint32_t ch = 0; ch < n && ch < RILL_MAX_CHANNELS; ch++) {
            char name[32];
            snprintf(name, sizeof(name), "midi_%s_%u", dir == 0 ? "capture" : "playback",
                     ch + 1);
            uint32_t flags = (dir == 0 ? RILL_PORT_IS_OUTPUT : RILL_PORT_IS_INPUT) |
                             RILL_PORT_IS_PHYSICAL | RILL_PORT_IS_TERMINAL;
            uint32_t id;
            r = rill_registry_port_add(reg, s->shm.state->port_max, 0, name, RILL_PORT_TYPE_MIDI,
                                       flags, &id, err, errsize);
            if (r < 0)
                return r;
            if (dir == 0)
                s->rt->midi_capture_ports[ch] = id;
            else
                s->rt->midi_playback_ports[ch] = id;
        }
    }
    return 0;
}

static int setup_loop(struct rill_server *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* blocked here, before any thread exists, so every thread inherits it */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    s->plan_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s->signal_fd < 0 || s->epoll_fd < 0 || s->timer_fd < 0 || s->plan_fd < 0)
        return -errno;
    mark_busy(s, rill_now_ns());
    int fds[] = { s->listen_fd, s->signal_fd, s->timer_fd, s->plan_fd };
    for (size_t i = 0; i < 4; i++) {
        struct epoll_event ev = { .events = EPOLLIN };
        ev.data.u64 = (uint64_t)fds[i];
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev) < 0)
            return -errno;
    }
    /* conns use data.ptr; these four use their fd number, which can never
     * equal a heap pointer */
    return 0;
}

static void serve(struct rill_server *s)
{
    while (!s->stopping) {
        struct epoll_event evs[32];
        /* no timeout: the housekeeping timer wakes the loop */
        int n = epoll_wait(s->epoll_fd, evs, 32, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n && !s->stopping; i++) {
            uint64_t key = evs[i].data.u64;
            if (key != (uint64_t)s->timer_fd)
                mark_busy(s, rill_now_ns());
            if (key == (uint64_t)s->listen_fd) {
                accept_one(s);
            } else if (rill_osc_ready(s, key)) {
                /* an OSC socket or its timer: handled */
            } else if (key == (uint64_t)s->signal_fd) {
                struct signalfd_siginfo si;
                if (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                    rill_server_log("%s: stopping", strsignal((int)si.ssi_signo));
                    s->stopping = 1;
                }
            } else if (key == (uint64_t)s->timer_fd) {
                uint64_t ticks;
                if (read(s->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                    break;
                housekeeping(s);
            } else if (key == (uint64_t)s->plan_fd) {
                uint64_t ticks;
                if (read(s->plan_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                    break;
                plan_waits_run(s);
            } else {
                struct rill_watch *w = evs[i].data.ptr;
                if (w->conn->fd < 0)
                    continue; /* closed earlier in this batch */
                if (w->conn->held) {
                    /* only its hang-up or its pidfd counts: an event
                     * collected in this batch before it was held does not */
                    if (w->kind == RILL_WATCH_PIDFD ||
                        (w->kind == RILL_WATCH_REQUEST &&
                         (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))))
                        release_held(s, w->conn);
                } else if (w->kind == RILL_WATCH_EVENTS)
                    event_socket_readable(s, w->conn, evs[i].events);
                else
                    conn_readable(s, w->conn, evs[i].events);
            }
        }
        free_closed(s);
    }
    free_closed(s);
}

static void teardown(struct rill_server *s)
{
    rill_osc_stop(s); /* subscribers hear `ended` before the sockets go */
    struct rill_msg ev = { .type = RILL_EV_SHUTDOWN };
    ev.u.shutdown_event.code = 0x21; /* JackFailure | JackServerError */
    snprintf(ev.u.shutdown_event.reason, sizeof(ev.u.shutdown_event.reason),
             "the rill server '%s' is shutting down", s->opt->name);
    if (s->shm.state)
        rill_server_broadcast(s, &ev, RILL_NO_SLOT);
    for (uint32_t i = 0; i < RILL_MAX_CONNS; i++)
        if (s->conns[i])
            conn_close(s, s->conns[i]);
    free_closed(s);
    if (s->rt_started)
        rill_rt_stop(s->rt);
    if (s->rt && s->rt->drv)
        s->rt->ops->close(s->rt->drv);
    rill_device_teardown(s);
    if (s->socket_bound)
        unlink(s->sock_path);
    int fds[] = { s->listen_fd, s->epoll_fd, s->signal_fd, s->timer_fd, s->plan_fd };
    for (size_t i = 0; i < 5; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (!s->shm_lent)
        rill_engine_shm_destroy(&s->shm);
    rill_metadata_clear(&s->metadata);
    rill_internal_free(s->internal);
    free(s->rt);
}

/* Unload every internal client, running or still loading, while serving
 * their connections, until all are gone or the drain's deadline passed
 * (rill_internal_poll ends the loop). Main thread, once the socket serves. */
static void drain_internals(struct rill_server *s)
{
    if (rill_internal_unload_all(s) > 0) {
        s->stopping = 0;
        s->had_client = 0; /* -T must not end the drain */
        serve(s);
    }
}

/* Main thread. */
int rill_server_run(const struct rill_options *opt)
{
    struct rill_server *s = calloc(1, sizeof(*s));
    char err[512] = "";
    int r;
    if (!s) {
        rill_server_log("out of memory");
        return 1;
    }
    s->opt = opt;
    s->listen_fd = s->epoll_fd = s->signal_fd = s->timer_fd = s->plan_fd = -1;
    s->shm.state_fd = s->shm.state_ro_fd = s->shm.act_fd = s->shm.pool_fd = -1;
    s->listener = (struct rill_registry_listener){ s, on_client, on_port, on_connect };
    rill_metadata_init(&s->metadata);
    rill_latency_init(&s->latency);
    s->exit_status = 1;
    rill_rt_hooks_init();
    if ((r = rill_placement_init(&s->placement, opt->affinity)) < 0)
        rill_server_log("warning: cannot read the CPUs rilld may use (%s); realtime threads "
                        "are not pinned",
                        strerror(-r));

    if (rill_internal_new(&s->internal) < 0) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    if ((r = make_socket_dir(err, sizeof(err))) < 0)
        goto out;
    if (rill_server_socket_path(opt->name, s->sock_path, sizeof(s->sock_path)) < 0) {
        snprintf(err, sizeof(err), "the socket path for server '%s' is too long", opt->name);
        goto out;
    }
    if ((r = check_running(s->sock_path, opt->name, err, sizeof(err))) < 0)
        goto out;

    s->rt = calloc(1, sizeof(*s->rt));
    if (!s->rt) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    s->rt->ops = opt->driver;
    if ((r = first_cycle(&s->rt->cycle, err, sizeof(err))) < 0)
        goto out;
    rill_transport_init(&s->rt->transport);
    char derr[384] = "";
    r = opt->driver->open(&opt->driver_cfg, &s->rt->drv, &s->rt->info, derr, sizeof(derr));
    if (r < 0) {
        snprintf(err, sizeof(err), "driver %s: %s", opt->driver->name,
                 derr[0] ? derr : strerror(-r));
        s->rt->drv = NULL;
        goto out;
    }
    const struct rill_driver_info *info = &s->rt->info;
    if ((r = rill_device_setup(s, derr, sizeof(derr))) < 0) {
        snprintf(err, sizeof(err), "cannot open the fallback clock: %s",
                 derr[0] ? derr : strerror(-r));
        goto out;
    }
    /* RILL_DLL=0: cycle times as the driver saw them (to measure the loop) */
    const char *dll = getenv("RILL_DLL");
    s->rt->no_dll = dll && strcmp(dll, "0") == 0;

    /* every port buffer can hold the largest period, so that the period can
     * change while running (jack_set_buffer_size) without moving buffers */
    uint32_t stride = RILL_MAX_PERIOD * (uint32_t)sizeof(float);
    if ((r = rill_engine_shm_create(&s->shm, opt->port_max, stride)) < 0) {
        if (r == -ENOSYS)
            snprintf(err, sizeof(err), "cannot create shared memory: this kernel cannot seal "
                     "a segment against writing (F_SEAL_FUTURE_WRITE needs Linux 5.1 or later), "
                     "and rill will not hand its clients a state they could rewrite");
        else
            snprintf(err, sizeof(err), "cannot create shared memory: %s", strerror(-r));
        goto out;
    }
    s->rt->shm = &s->shm;
    s->rt->client_timeout_ns = (uint64_t)opt->timeout_ms * 1000000ull;
    struct rill_shm_state *st = s->shm.state;
    st->rate = info->rate;
    st->period = info->period;
    st->client_timeout_ms = opt->timeout_ms;
    snprintf(st->server_name, sizeof(st->server_name), "%s", opt->name);
    snprintf(st->driver_name, sizeof(st->driver_name), "%s", opt->driver->name);
    rill_registry_init(&st->registry);
    if (opt->driver->bind_link)
        opt->driver->bind_link(s->rt->drv, &st->link);
    if ((r = add_system_ports(s, info, err, sizeof(err))) < 0)
        goto out;
    rill_server_publish(s);

    if ((r = listen_socket(s, err, sizeof(err))) < 0) {
        if (!err[0])
            snprintf(err, sizeof(err), "cannot listen on %s: %s", s->sock_path, strerror(-r));
        goto out;
    }
    if ((r = setup_loop(s)) < 0) {
        snprintf(err, sizeof(err), "cannot set up the event loop: %s", strerror(-r));
        goto out;
    }

    if (opt->realtime) {
#if !defined(__SANITIZE_ADDRESS__)
        /* page faults on the realtime path would cost milliseconds */
        if (!opt->no_mlock && mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
            rill_server_log("warning: cannot lock memory (%s); page faults may cause xruns",
                            strerror(errno));
#endif
        s->rt->priority = opt->priority;
    }
    rill_server_frame_start(s);
    char rterr[512] = "";
    r = rill_rt_start(s->rt, rterr, sizeof(rterr));
    if (r < 0) {
        snprintf(err, sizeof(err), "cannot start the realtime thread: %s", strerror(-r));
        goto out;
    }
    if (r == 1)
        rill_server_log("warning: %s", rterr);
    s->rt_started = 1;
    st->rt_priority = s->rt->realtime ? opt->priority : 0;
    if ((r = rill_placement_engine(&s->placement, s->rt->thread)) < 0)
        rill_server_log("warning: cannot pin the realtime thread to CPU %d: %s",
                        s->placement.cpus[s->placement.engine_cpu], strerror(-r));

    if (rill_server_midi_start(s, err, sizeof(err)) < 0 ||
        (r = rill_osc_start(s, err, sizeof(err))) < 0) {
        /* a bridge may be loading already (its worker thread connects to
         * us): unload it while serving, before teardown frees its entry */
        drain_internals(s);
        goto out;
    }
    rill_server_log("server '%s' ready: driver %s, %u Hz, %u frames (%.2f ms), %u capture + %u "
                    "playback, %s, socket %s",
                    opt->name, opt->driver->name, info->rate, info->period,
                    1000.0 * info->period / info->rate, info->capture_channels,
                    info->playback_channels,
                    s->rt->realtime ? "realtime" : "not realtime", s->sock_path);
    s->exit_status = 0;
    for (unsigned i = 0; i < opt->nload; i++) {
        char lerr[512];
        if (rill_internal_load_spec(s, opt->load[i], lerr, sizeof(lerr)) < 0)
            rill_server_log("cannot load internal client '%s': %s", opt->load[i], lerr);
    }
    serve(s);
    /* internal clients leave first: their jack_finish runs while we serve */
    int exit_status = s->exit_status;
    drain_internals(s);
    s->exit_status = exit_status;
    rill_server_log("server '%s' stopped after %llu cycles, %llu xruns", opt->name,
                    (unsigned long long)atomic_load(&st->cycles),
                    (unsigned long long)atomic_load(&st->xruns));
out:
    if (err[0])
        rill_server_log("%s", err);
    teardown(s);
    int status = err[0] ? 1 : s->exit_status;
    free(s);
    return status;
}

/* ---- a server without socket, loop or realtime thread (server_priv.h) */

/* Main thread. Keep in step with rill_server_run's set-up. */
int rill__server_new_offline(const struct rill_options *opt, struct rill_engine_shm *shm,
                             struct rill_server **out)
{
    char err[512] = "";
    int r;
    struct rill_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->opt = opt;
    s->offline = 1;
    s->listen_fd = s->signal_fd = s->timer_fd = s->plan_fd = -1;
    s->shm.state_fd = s->shm.state_ro_fd = s->shm.act_fd = s->shm.pool_fd = -1;
    s->listener = (struct rill_registry_listener){ s, on_client, on_port, on_connect };
    rill_metadata_init(&s->metadata);
    rill_latency_init(&s->latency);
    (void)rill_placement_init(&s->placement, 0);
    if ((r = rill_internal_new(&s->internal)) < 0)
        goto fail;
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epoll_fd < 0) {
        r = -errno;
        goto fail;
    }
    s->rt = calloc(1, sizeof(*s->rt));
    if (!s->rt) {
        r = -ENOMEM;
        goto fail;
    }
    s->rt->ops = opt->driver;
    rill_transport_init(&s->rt->transport);
    r = opt->driver->open(&opt->driver_cfg, &s->rt->drv, &s->rt->info, err, sizeof(err));
    if (r < 0) {
        s->rt->drv = NULL;
        goto fail;
    }
    uint32_t stride = RILL_MAX_PERIOD * (uint32_t)sizeof(float);
    if (shm) {
        /* as new: zeroed, so the same input does the same thing */
        rill_engine_shm_reset(shm);
        s->shm = *shm;
        s->shm_lent = 1;
    } else if ((r = rill_engine_shm_create(&s->shm, opt->port_max, stride)) < 0) {
        goto fail;
    }
    s->rt->shm = &s->shm;
    s->rt->client_timeout_ns = (uint64_t)opt->timeout_ms * 1000000ull;
    struct rill_shm_state *st = s->shm.state;
    st->rate = s->rt->info.rate;
    st->period = s->rt->info.period;
    st->client_timeout_ms = opt->timeout_ms;
    snprintf(st->server_name, sizeof(st->server_name), "%s", opt->name);
    snprintf(st->driver_name, sizeof(st->driver_name), "%s", opt->driver->name);
    rill_registry_init(&st->registry);
    if (opt->driver->bind_link)
        opt->driver->bind_link(s->rt->drv, &st->link);
    if ((r = add_system_ports(s, &s->rt->info, err, sizeof(err))) < 0)
        goto fail;
    rill_server_publish(s);
    *out = s;
    return 0;
fail:
    rill__server_free_offline(s);
    return r;
}

/* Main thread. */
void rill__server_free_offline(struct rill_server *s)
{
    if (!s)
        return;
    teardown(s);
    free(s);
}

/* Main thread. */
struct rill_conn *rill__server_conn_add(struct rill_server *s, int fd, pid_t pid)
{
    return conn_new(s, fd, pid);
}

/* Main thread. */
void rill__server_conn_ready(struct rill_server *s, struct rill_conn *c, uint32_t kind)
{
    if (c->fd >= 0 && c->held) {
        /* as serve(): only its hang-up or its pidfd counts */
        struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };
        if (kind == RILL_WATCH_PIDFD ||
            (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))))
            release_held(s, c);
    } else if (c->fd >= 0) {
        if (kind == RILL_WATCH_EVENTS && c->ev_fd >= 0)
            event_socket_readable(s, c, EPOLLIN);
        else if (kind == RILL_WATCH_REQUEST)
            conn_readable(s, c, EPOLLIN);
    }
    free_closed(s);
}
