/* engine/requests.c — what rilld does for each request of a client
 * (rill/protocol.h). Main thread only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clients/core/client.h"
#include "common/err.h"
#include "engine/internal.h"
#include "engine/latency.h"
#include "engine/metadata.h"
#include "engine/port_ext.h"
#include "engine/server_priv.h"

/* 1 when the fixed-size string field holds a terminator. */
static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* The event socket pair of a new connection: pair[0] ours (non-blocking,
 * watched), pair[1] the client's. 0 or -errno with m->error set. */
static int event_socket(struct rill_msg *m, int pair[2])
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return rill_msg_errf(m, -errno, "cannot create the event socket: %s", strerror(errno));
    int buf = 1 << 20;
    setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    /* the server never blocks on a client's events */
    fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK);
    return 0;
}

/* HELLO of a control tool (rillctl, libjack's metadata and internal-client
 * connections): the shared memory and an event socket, but no client slot
 * (so no activation record, no registry entry, no node), however many of
 * them come and go. */
static int hello_control(struct rill_server *s, struct rill_conn *c, struct rill_msg *m,
                         const char *name, int *fds, size_t *nfds)
{
    int pair[2];
    int r = event_socket(m, pair);
    if (r < 0)
        return r;
    c->greeted = 1;
    c->control = 1;
    c->property_events = (m->u.hello.flags & RILL_HELLO_PROPERTY_EVENTS) != 0;
    c->ev_fd = pair[0];
    struct epoll_event eev = { .events = EPOLLIN, .data.ptr = &c->ev_watch };
    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c->ev_fd, &eev);
    if (m->u.hello.pid > 0 && c->pid <= 0)
        c->pid = m->u.hello.pid;
    memset(&m->u, 0, sizeof(m->u));
    m->u.hello_reply.client = RILL_HELLO_NO_SLOT;
    snprintf(m->u.hello_reply.name, sizeof(m->u.hello_reply.name), "%s", name);
    fds[RILL_FD_STATE] = s->shm.state_ro_fd;
    fds[RILL_FD_ACTIVATION] = s->shm.act_fd;
    fds[RILL_FD_POOL] = s->shm.pool_fd;
    fds[RILL_FD_EVENTS] = pair[1];
    *nfds = RILL_FD_COUNT;
    return 0;
}

static int do_hello(struct rill_server *s, struct rill_conn *c, struct rill_msg *m, int *fds,
                    size_t *nfds)
{
    struct rill_shm_state *st = s->shm.state;
    const struct rill_msg_hello *h = &m->u.hello;
    if (c->greeted)
        return rill_msg_errf(m, -EPROTO, "HELLO was already sent on this connection");
    if (h->version != RILL_PROTOCOL_VERSION)
        return rill_msg_errf(m, -EPROTO,
                             "this server speaks rill protocol %u and the client %u: use the "
                             "libjack and tools of the same rill version",
                             RILL_PROTOCOL_VERSION, h->version);
    if (!terminated(h->name, sizeof(h->name)))
        return rill_msg_errf(m, -ENAMETOOLONG, "client name is too long: the limit is %u bytes",
                             RILL_CLIENT_NAME_SIZE - 1);
    char name[RILL_CLIENT_NAME_SIZE];
    memcpy(name, h->name, sizeof(name));
    uint32_t flags = (h->flags & RILL_HELLO_CONTROL) ? RILL_CLIENT_CONTROL : 0;
    int exact = (h->flags & RILL_HELLO_USE_EXACT_NAME) != 0;
    if (flags & RILL_CLIENT_CONTROL)
        return hello_control(s, c, m, name, fds, nfds);

    int pair[2];
    int r = event_socket(m, pair);
    if (r < 0)
        return r;
    uint32_t slot;
    int renamed;
    char err[RILL_ERROR_SIZE];
    st->registry.adopted_gen = rill_server_adopted_gen(s);
    r = rill_registry_client_add(&st->registry, name, c->pid, flags, exact, 0, &slot, &renamed,
                                 err, sizeof(err));
    if (r < 0) {
        close(pair[0]);
        close(pair[1]);
        return rill_msg_errf(m, r, "%s", err);
    }
    /* a fresh activation record for the slot */
    rill_activation_reset(&s->shm.act->node[slot]);
    atomic_store_explicit(&s->rt->late_since[slot], 0, memory_order_relaxed);
    rill_transport_client_gone(&s->rt->transport, slot);
    atomic_store_explicit(&s->shm.act->transport[slot].sync_ready, 0, memory_order_relaxed);

    c->slot = slot;
    c->greeted = 1;
    c->ev_fd = pair[0];
    /* clients answer some events (buffer size) on their event socket */
    struct epoll_event eev = { .events = EPOLLIN, .data.ptr = &c->ev_watch };
    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c->ev_fd, &eev);
    if (h->pid > 0 && c->pid <= 0)
        c->pid = h->pid;
    s->by_slot[slot] = c;

    const struct rill_shm_client *cl = &st->registry.clients[slot];
    memset(&m->u, 0, sizeof(m->u));
    m->u.hello_reply.client = slot;
    m->u.hello_reply.renamed = (uint32_t)renamed;
    m->u.hello_reply.uuid = cl->uuid;
    memcpy(m->u.hello_reply.name, cl->name, sizeof(m->u.hello_reply.name));
    fds[RILL_FD_STATE] = s->shm.state_ro_fd;
    fds[RILL_FD_ACTIVATION] = s->shm.act_fd;
    fds[RILL_FD_POOL] = s->shm.pool_fd;
    fds[RILL_FD_EVENTS] = pair[1];
    *nfds = RILL_FD_COUNT;
    s->had_client = 1;
    struct rill_msg ev = { .type = RILL_EV_CLIENT_REGISTER };
    ev.u.client_event.registered = 1;
    ev.u.client_event.client = slot;
    memcpy(ev.u.client_event.name, cl->name, sizeof(ev.u.client_event.name));
    rill_server_broadcast(s, &ev, slot);
    if (s->opt->verbose)
        rill_server_log("client '%s' (pid %d) registered", cl->name, (int)c->pid);
    return 0;
}

/* Is tid a thread of process pid? (signal 0: existence only) */
static int thread_of(pid_t pid, int32_t tid)
{
    return pid > 0 && tid > 0 && syscall(SYS_tgkill, pid, (pid_t)tid, 0) == 0;
}

/* The realtime thread runs the plan with (without) the node of c: what
 * follows an activation, then the reply. Main thread. */
static int activated(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    const struct rill_shm_client *cl = &s->shm.state->registry.clients[c->slot];
    int active = m->type == RILL_MSG_ACTIVATE;
    if (active)
        rill_server_client_ports_announce(s, c->slot);
    rill_latency_graph_order(&s->latency); /* sent after the latency callbacks */
    if (s->opt->verbose)
        rill_server_log("client '%s' %s", cl->name, active ? "activated" : "deactivated");
    return 0;
}

/* ACTIVATE (rt_tid: the client's realtime thread, 0 unknown) or DEACTIVATE.
 * Main thread. */
static int set_active(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    int active = m->type == RILL_MSG_ACTIVATE;
    int32_t rt_tid = active ? m->u.activate.rt_tid : 0;
    if (c->control)
        return rill_msg_errf(m, -EINVAL,
                             "a control connection has no node to %s: open a client without "
                             "RILL_HELLO_CONTROL",
                             active ? "activate" : "deactivate");
    /* a thread id that is not one of the client's own threads is ignored:
     * rilld pins only the threads of the process it talks to */
    int32_t tid = active && thread_of(c->pid, rt_tid) ? rt_tid : 0;
    rill_placement_set_tid(&s->placement, c->slot, (pid_t)tid);
    if ((int)reg->clients[c->slot].active == active && reg->clients[c->slot].rt_tid == tid)
        return 0;
    int was_active = (int)reg->clients[c->slot].active;
    rill_registry_write_begin(reg);
    reg->clients[c->slot].active = (uint32_t)active;
    reg->clients[c->slot].rt_tid = tid;
    rill_registry_write_end(reg);
    if (was_active == active)
        return 0;
    if (!active) {
        atomic_store_explicit(&s->rt->late_since[c->slot], 0, memory_order_relaxed);
        /* as JACK documents for jack_deactivate: inactive clients have no
         * port connections */
        rill_registry_client_disconnect(reg, c->slot, &s->listener);
    }
    rill_server_publish(s);
    /* the reply waits until the realtime thread runs a plan with (without)
     * the node: after DEACTIVATE nobody triggers it any more */
    return rill_server_after_plan(s, c, m, activated);
}

static int port_add(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);

/* PORT_REGISTER again after a wait for the plan (rill_server_after_plan):
 * the held slots are free now. Main thread. */
static int port_add_held(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    s->shm.state->registry.adopted_gen = s->plan_gen;
    return port_add(s, c, m);
}

static int do_port_register(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_shm_state *st = s->shm.state;
    struct rill_msg_port_register *p = &m->u.port_register;
    if (c->control)
        return rill_msg_errf(m, -EINVAL, "a control connection cannot own ports");
    if (!terminated(p->name, sizeof(p->name)))
        return rill_msg_errf(m, -ENAMETOOLONG,
                             "port name is too long: a full name (client:port) has at most %u "
                             "bytes",
                             RILL_PORT_NAME_SIZE - 1);
    if (!terminated(p->type, sizeof(p->type)))
        return rill_msg_errf(m, -EINVAL, "port type is not a terminated string");
    int type = rill_port_type_from_string(p->type);
    if (type < 0)
        return rill_msg_errf(m, -EINVAL, "unknown port type '%s': rill knows '%s' and '%s'",
                             p->type, rill_port_type_string(RILL_PORT_TYPE_AUDIO),
                             rill_port_type_string(RILL_PORT_TYPE_MIDI));
    st->registry.adopted_gen = rill_server_adopted_gen(s);
    return port_add(s, c, m);
}

/* Register the port of PORT_REGISTER m (checked) for c. Main thread. */
static int port_add(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_shm_state *st = s->shm.state;
    struct rill_msg_port_register *p = &m->u.port_register;
    uint32_t flags = p->flags & (RILL_PORT_IS_INPUT | RILL_PORT_IS_OUTPUT | RILL_PORT_IS_PHYSICAL |
                                 RILL_PORT_CAN_MONITOR | RILL_PORT_IS_TERMINAL);
    uint32_t id;
    char err[RILL_ERROR_SIZE];
    int r = rill_registry_port_add(&st->registry, st->port_max, c->slot, p->name,
                                   (uint32_t)rill_port_type_from_string(p->type), flags, &id, err,
                                   sizeof(err));
    if (r == -EAGAIN && st->registry.adopted_gen < s->plan_gen)
        /* every free slot was unregistered moments ago: try again once the
         * plan that drops them runs; if the engine is stuck, take them
         * anyway after that wait's time limit */
        return rill_server_after_plan(s, c, m, port_add_held);
    if (r < 0)
        return rill_msg_errf(m, r, "%s", err);
    /* the slot may hold an earlier port's samples */
    memset(rill_engine_shm_buffer(&s->shm, id), 0, st->pool_stride);
    /* announced now if the client is active, else when it activates */
    rill_server_port_announce(s, id, 1);
    if (s->opt->verbose)
        rill_server_log("port '%s' registered", st->registry.ports[id].name);
    if (st->registry.clients[c->slot].active)
        rill_server_publish(s);
    memset(&m->u, 0, sizeof(m->u));
    m->u.port.id = id;
    return 0;
}

static int do_port_unregister(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    uint32_t id = m->u.port.id;
    if (id >= RILL_MAX_PORTS || !reg->ports[id].in_use)
        return rill_msg_errf(m, -ENOENT, "there is no port with id %u", id);
    if (reg->ports[id].client != c->slot)
        return rill_msg_errf(m, -EPERM, "port '%s' belongs to another client", reg->ports[id].name);
    /* no wait for the realtime thread to drop the port (one period each,
     * many seconds for a client that unregisters hundreds of ports): the id
     * is held back instead until a plan without it runs (server.c, on_port) */
    rill_registry_port_remove(reg, id, &s->listener);
    rill_server_publish(s);
    rill_latency_graph_order(&s->latency); /* sent after the latency callbacks */
    return 0;
}

/* jackd's self-connect mode (rilld -a e|E|a|A): 0 go on, 1 ignore the
 * request, or a refusal already written into m. Main thread. */
static int self_connect_check(struct rill_server *s, const struct rill_conn *c,
                              struct rill_msg *m)
{
    char mode = s->opt ? s->opt->self_connect : 0;
    if (!mode || mode == ' ' || c->control)
        return 0;
    const struct rill_shm_registry *reg = &s->shm.state->registry;
    int a = rill_registry_lookup(reg, m->u.connect.src);
    int b = rill_registry_lookup(reg, m->u.connect.dst);
    if (a < 0 || b < 0)
        return 0; /* the connect itself says which port is unknown */
    int r = rill_options_self_connect(mode, reg->ports[a].client == c->slot,
                                      reg->ports[b].client == c->slot);
    if (r < 0)
        return rill_msg_errf(m, r,
                             "connecting '%s' and '%s' is refused: rilld runs with self-connect "
                             "mode '%c' (-a), which forbids a client to connect its own ports%s",
                             m->u.connect.src, m->u.connect.dst, mode,
                             mode == 'E' ? " to another client's" : "");
    return r;
}

static int do_connect(struct rill_server *s, const struct rill_conn *c, struct rill_msg *m,
                      int connect)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    struct rill_msg_connect *cn = &m->u.connect;
    if (!terminated(cn->src, sizeof(cn->src)) || !terminated(cn->dst, sizeof(cn->dst)))
        return rill_msg_errf(m, -ENAMETOOLONG, "port name is too long: the limit is %u bytes",
                             RILL_PORT_NAME_SIZE - 1);
    if (connect) {
        int sc = self_connect_check(s, c, m);
        if (sc != 0)
            return sc < 0 ? sc : 0; /* 1: ignored, as jackd does: success, no change */
    }
    char err[RILL_ERROR_SIZE];
    int r = connect ? rill_registry_connect(reg, cn->src, cn->dst, &s->listener, err, sizeof(err))
                    : rill_registry_disconnect(reg, cn->src, cn->dst, &s->listener, err,
                                               sizeof(err));
    if (r < 0)
        return rill_msg_errf(m, r, "%s", err);
    rill_server_publish(s);
    rill_latency_graph_order(&s->latency); /* sent after the latency callbacks */
    return 0;
}

static int do_port_disconnect(struct rill_server *s, struct rill_msg *m)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    uint32_t id = m->u.port.id;
    if (rill_registry_port_disconnect(reg, id, &s->listener) < 0)
        return rill_msg_errf(m, -ENOENT, "there is no port with id %u", id);
    rill_server_publish(s);
    rill_latency_graph_order(&s->latency); /* sent after the latency callbacks */
    return 0;
}

/* Main thread. */
void rill_server_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    int fds[RILL_FD_COUNT];
    size_t nfds = 0;
    int r;
    m->error[0] = '\0';
    if (m->type != RILL_MSG_HELLO && !c->greeted) {
        r = rill_msg_errf(m, -EPROTO, "the first message must be HELLO");
    } else if (c->plan_wait.gen) {
        /* one request of a connection at a time: the client waits for
         * the deferred reply, so this one broke the protocol (its refusal
         * is answered before that reply) */
        r = rill_msg_errf(m, -EBUSY,
                          "request %u came while this connection's last request waits for its "
                          "reply: send one request at a time",
                          m->type);
    } else {
        switch (m->type) {
        case RILL_MSG_HELLO:
            r = do_hello(s, c, m, fds, &nfds);
            break;
        case RILL_MSG_ACTIVATE:
        case RILL_MSG_DEACTIVATE:
            r = set_active(s, c, m);
            break;
        case RILL_MSG_PORT_REGISTER:
            r = do_port_register(s, c, m);
            break;
        case RILL_MSG_PORT_UNREGISTER:
            r = do_port_unregister(s, c, m);
            break;
        case RILL_MSG_CONNECT:
            r = do_connect(s, c, m, 1);
            break;
        case RILL_MSG_DISCONNECT:
            r = do_connect(s, c, m, 0);
            break;
        case RILL_MSG_PORT_DISCONNECT:
            r = do_port_disconnect(s, m);
            break;
        case RILL_MSG_TRANSPORT_TIMEBASE:
        case RILL_MSG_TRANSPORT_RELEASE:
        case RILL_MSG_TRANSPORT_SYNC:
        case RILL_MSG_TRANSPORT_TIMEOUT:
        case RILL_MSG_TRANSPORT_REQUEST:
            r = rill_transport_request(&s->rt->transport, s->shm.act->transport,
                                       &s->shm.state->registry, c->slot, c->control, m);
            if (r == 0 && m->type == RILL_MSG_TRANSPORT_TIMEBASE && s->opt->verbose)
                rill_server_log("client '%s' is timebase master",
                                s->shm.state->registry.clients[c->slot].name);
            break;
        case RILL_MSG_PORT_NAME:
            r = rill_port_name_request(s, c, m);
            break;
        case RILL_MSG_PORT_MONITOR:
            r = rill_port_monitor_request(s, c, m);
            break;
        case RILL_MSG_LATENCY_SET:
        case RILL_MSG_LATENCY_CTL:
            r = rill_latency_request(s, c, m);
            break;
        case RILL_MSG_PROPERTY_SET:
        case RILL_MSG_PROPERTY_REMOVE:
        case RILL_MSG_PROPERTY_READ:
            r = rill_metadata_request(s, c, m);
            break;
        case RILL_MSG_INTERNAL_LOAD:
        case RILL_MSG_INTERNAL_UNLOAD:
        case RILL_MSG_INTERNAL_HANDLE:
        case RILL_MSG_INTERNAL_NAME:
        case RILL_MSG_XRUN_RESET:
            r = rill_internal_request(s, c, m);
            break;
        case RILL_MSG_SET_BUFFER_SIZE:
            r = rill_server_set_period(s, c, m);
            break;
        case RILL_MSG_SET_FREEWHEEL:
            r = rill_server_set_freewheel(s, m);
            break;
        case RILL_MSG_CLOSE:
            m->result = 0;
            rill_msg_send(c->fd, m, NULL, 0);
            rill_server_drop(s, c, s->opt->verbose ? "closed" : NULL);
            return;
        default:
            r = rill_msg_errf(m, -EINVAL, "unknown request type %u", m->type);
            break;
        }
    }
    if (r == RILL_REPLY_DEFERRED)
        return; /* answered later from the main loop (rill_server_answer) */
    m->result = r;
    int sr = rill_msg_send(c->fd, m, fds, nfds);
    if (nfds == RILL_FD_COUNT)
        close(fds[RILL_FD_EVENTS]); /* the client has its copy now */
    if (sr < 0)
        rill_server_drop(s, c, "cannot send a reply");
    /* after the reply: latency callbacks follow the graph change */
    rill_latency_run(s);
}
