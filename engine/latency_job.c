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
 * Static state: one server per process, main thread only.
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

static struct {
    int scheduled;
    int running;
    int mode;                          /* RILL_LATENCY_CAPTURE / PLAYBACK */
    uint32_t n, next;                  /* clients in order, next one to visit */
    uint32_t order[RILL_MAX_CLIENTS];
    uint32_t waiting;                  /* slot running its callback, or RILL_NO_SLOT */
    uint32_t serial;
    uint64_t deadline_ns;
    uint8_t has_cb[RILL_MAX_CLIENTS];
    uint32_t graph_orders;             /* graph-order events held until idle */
} job = { .waiting = RILL_NO_SLOT };

/* Main thread. */
void rill_latency_schedule(void)
{
    job.scheduled = 1;
}

/* Main thread. */
void rill_latency_graph_order(void)
{
    job.graph_orders++;
    job.scheduled = 1;
}

/* The recomputation is over: send the graph-order events it held. Main
 * thread. */
static void send_graph_orders(struct rill_server *s)
{
    struct rill_msg ev = { .type = RILL_EV_GRAPH_ORDER };
    for (; job.graph_orders > 0; job.graph_orders--)
        rill_server_broadcast(s, &ev, RILL_NO_SLOT);
}

/* Main thread. */
void rill_latency_client_gone(uint32_t slot)
{
    if (slot < RILL_MAX_CLIENTS)
        job.has_cb[slot] = 0;
    job.scheduled = 1;
}

/* Visit order[job.next] in job.mode; 1 when we must now wait for it. */
static int visit(struct rill_server *s, uint32_t slot)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    if (!reg->clients[slot].in_use)
        return 0;
    rill_latency_client_links(reg, slot, job.mode);
    struct rill_conn *c = s->by_slot[slot];
    if (job.has_cb[slot] && c && c->ev_fd >= 0) {
        struct rill_msg ev = { .type = RILL_EV_LATENCY };
        ev.u.latency.mode = (uint32_t)job.mode;
        ev.u.latency.serial = ++job.serial;
        if (rill_msg_send(c->ev_fd, &ev, NULL, 0) == 0) {
            job.waiting = slot;
            job.deadline_ns = rill_now_ns() + CALLBACK_TIMEOUT_NS;
            return 1;
        }
    }
    rill_latency_client_default(reg, slot, job.mode);
    return 0;
}

/* Main thread. */
void rill_latency_run(struct rill_server *s)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    if (job.waiting != RILL_NO_SLOT) {
        struct rill_conn *c = s->by_slot[job.waiting];
        if (c && rill_now_ns() < job.deadline_ns)
            return;
        if (c && s->opt->verbose)
            rill_server_log("client '%s' did not finish its latency callback in 2 s",
                            reg->clients[job.waiting].name);
        job.waiting = RILL_NO_SLOT;
        job.next++;
    }
    for (;;) {
        if (!job.running) {
            if (!job.scheduled) {
                send_graph_orders(s);
                return;
            }
            job.scheduled = 0;
            job.running = 1;
            job.mode = RILL_LATENCY_CAPTURE;
            job.n = rill_latency_order(reg, job.order, RILL_MAX_CLIENTS);
            job.next = 0;
        }
        while (job.next < job.n) {
            uint32_t i = job.mode == RILL_LATENCY_CAPTURE ? job.next : job.n - 1 - job.next;
            if (visit(s, job.order[i]))
                return;
            job.next++;
        }
        rill_latency_client_links(reg, RILL_ENGINE_NODE, job.mode);
        if (job.mode == RILL_LATENCY_CAPTURE) {
            job.mode = RILL_LATENCY_PLAYBACK;
            job.next = 0;
            continue;
        }
        job.running = 0;
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
    if (c->control)
        return rill_msg_errf(m, -EINVAL,
                             "a control connection has no ports and no latency callback");
    if (m->type == RILL_MSG_LATENCY_SET)
        return set_range(s, c, m);
    switch (m->u.latency.op) {
    case RILL_LATENCY_CB_OFF:
    case RILL_LATENCY_CB_ON:
        job.has_cb[c->slot] = m->u.latency.op == RILL_LATENCY_CB_ON;
        job.scheduled = 1;
        return 0;
    case RILL_LATENCY_DONE:
        if (job.waiting == c->slot && m->u.latency.serial == job.serial) {
            job.waiting = RILL_NO_SLOT;
            job.next++;
        }
        return 0;
    case RILL_LATENCY_RECOMPUTE:
        job.scheduled = 1;
        return 0;
    default:
        return rill_msg_errf(m, -EINVAL,
                             "unknown latency op %u (0 callback off, 1 on, 2 done, 3 recompute)",
                             m->u.latency.op);
    }
}
