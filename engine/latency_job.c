/* engine/latency_job.c — the server's latency recomputation: a small state
 * machine on the main thread that walks the clients in graph order (capture)
 * and back (playback), and waits, without blocking the loop, while a client
 * with a latency callback runs it.
 *
 *   graph change / RECOMPUTE ──► scheduled
 *   run(): scheduled and idle ──► start: order the clients, pass = capture
 *     each client: links; callback? send EV_LATENCY(serial), wait : default
 *     DONE(serial) from that client, its departure, or 2 s ──► next client
 *   end of capture: system inputs; end of playback: system outputs; idle
 *   (scheduled again meanwhile? start over)
 *
 * State: the server's s->latency.job (engine/latency.h), main thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clients/core/client.h"
#include "common/err.h"
#include "engine/latency.h"
#include "engine/server_priv.h"
#include "rill/time.h"

#define CALLBACK_TIMEOUT_NS 2000000000ull

/* Main thread. */
void rill_latency_init(struct rill_latency *l)
{
    l->job.waiting = RILL_NO_SLOT;
}

/* Main thread. */
void rill_latency_schedule(struct rill_latency *l)
{
    l->job.scheduled = 1;
}

/* Main thread. */
void rill_latency_graph_order(struct rill_latency *l)
{
    l->job.graph_orders++;
    l->job.scheduled = 1;
}

/* The recomputation is over: send the graph-order events it held. Main
 * thread. */
static void send_graph_orders(struct rill_server *s)
{
    struct rill_latency *l = &s->latency;
    struct rill_msg ev = { .type = RILL_EV_GRAPH_ORDER };
    for (; l->job.graph_orders > 0; l->job.graph_orders--)
        rill_server_broadcast(s, &ev, RILL_NO_SLOT);
}

/* Main thread. */
void rill_latency_client_gone(struct rill_latency *l, uint32_t slot)
{
    if (slot < RILL_MAX_CLIENTS)
        l->job.has_cb[slot] = 0;
    l->job.scheduled = 1;
}

/* Visit order[l->job.next] in l->job.mode; 1 when we must now wait for it. */
static int visit(struct rill_server *s, uint32_t slot)
{
    struct rill_latency *l = &s->latency;
    struct rill_shm_registry *reg = &s->shm.state->registry;
    if (!reg->clients[slot].in_use)
        return 0;
    rill_latency_client_links(l, reg, slot, l->job.mode);
    struct rill_conn *c = s->by_slot[slot];
    if (l->job.has_cb[slot] && c && c->ev_fd >= 0) {
        struct rill_msg ev = { .type = RILL_EV_LATENCY };
        ev.u.latency.mode = (uint32_t)l->job.mode;
        ev.u.latency.serial = ++l->job.serial;
        if (rill_msg_send(c->ev_fd, &ev, NULL, 0) == 0) {
            l->job.waiting = slot;
            l->job.deadline_ns = rill_now_ns() + CALLBACK_TIMEOUT_NS;
            return 1;
        }
    }
    rill_latency_client_default(l, reg, slot, l->job.mode);
    return 0;
}

/* Main thread. */
void rill_latency_run(struct rill_server *s)
{
    struct rill_latency *l = &s->latency;
    struct rill_shm_registry *reg = &s->shm.state->registry;
    if (l->job.waiting != RILL_NO_SLOT) {
        struct rill_conn *c = s->by_slot[l->job.waiting];
        if (c && rill_now_ns() < l->job.deadline_ns)
            return;
        if (c && s->opt->verbose)
            rill_server_log("client '%s' did not finish its latency callback in 2 s",
                            reg->clients[l->job.waiting].name);
        l->job.waiting = RILL_NO_SLOT;
        l->job.next++;
    }
    for (;;) {
        if (!l->job.running) {
            if (!l->job.scheduled) {
                send_graph_orders(s);
                return;
            }
            l->job.scheduled = 0;
            l->job.running = 1;
            l->job.mode = RILL_LATENCY_CAPTURE;
            l->job.n = rill_latency_order(l, reg, l->job.order, RILL_MAX_CLIENTS);
            l->job.next = 0;
        }
        while (l->job.next < l->job.n) {
            uint32_t i = l->job.mode == RILL_LATENCY_CAPTURE ? l->job.next : l->job.n - 1 - l->job.next;
            if (visit(s, l->job.order[i]))
                return;
            l->job.next++;
        }
        rill_latency_client_links(l, reg, RILL_ENGINE_NODE, l->job.mode);
        if (l->job.mode == RILL_LATENCY_CAPTURE) {
            l->job.mode = RILL_LATENCY_PLAYBACK;
            l->job.next = 0;
            continue;
        }
        l->job.running = 0;
    }
}

static int set_range(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    struct rill_msg_latency *l = &m->u.latency;
    if (l->id >= RILL_MAX_PORTS || !reg->ports[l->id].in_use)
        return rill_msg_errf(m, -ENOENT, "there is no port with id %u", l->id);
    struct rill_shm_port *p = &reg->ports[l->id];
    if (p->client != c->slot)
        return rill_msg_errf(m, -EPERM,
                             "port '%s' belongs to another client: only its owner sets its "
                             "latency",
                             p->name);
    if (l->mode > RILL_LATENCY_PLAYBACK)
        return rill_msg_errf(m, -EINVAL, "latency mode %u is neither capture (0) nor playback (1)",
                             l->mode);
    if (l->min > l->max)
        return rill_msg_errf(m, -EINVAL, "latency range [%u, %u] of '%s': min is above max", l->min,
                             l->max, p->name);
    rill_registry_write_begin(reg);
    p->latency[l->mode][0] = l->min;
    p->latency[l->mode][1] = l->max;
    rill_registry_write_end(reg);
    return 0;
}

/* Main thread. */
int rill_latency_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_latency *l = &s->latency;
    if (c->control)
        return rill_msg_errf(m, -EINVAL,
                             "a control connection has no ports and no latency callback");
    if (m->type == RILL_MSG_LATENCY_SET)
        return set_range(s, c, m);
    switch (m->u.latency.op) {
    case RILL_LATENCY_CB_OFF:
    case RILL_LATENCY_CB_ON:
        l->job.has_cb[c->slot] = m->u.latency.op == RILL_LATENCY_CB_ON;
        l->job.scheduled = 1;
        return 0;
    case RILL_LATENCY_DONE:
        if (l->job.waiting == c->slot && m->u.latency.serial == l->job.serial) {
            l->job.waiting = RILL_NO_SLOT;
            l->job.next++;
        }
        return 0;
    case RILL_LATENCY_RECOMPUTE:
        l->job.scheduled = 1;
        return 0;
    default:
        return rill_msg_errf(m, -EINVAL,
                             "unknown latency op %u (0 callback off, 1 on, 2 done, 3 recompute)",
                             m->u.latency.op);
    }
}
