/* engine/reconfigure.c — changing the period while running
 * (jack_set_buffer_size) and freewheeling (jack_set_freewheel).
 *
 * Both stop the realtime thread, change what it runs with, and start it
 * again; the cycle counter and frame time go on. A new period takes effect
 * only after every active client has run its buffer-size callback (it
 * answers RILL_MSG_BUFFER_SIZE_DONE on its event socket), so no process
 * callback ever sees the new size before its buffer-size callback did —
 * or after a bounded wait, for a client that does not answer.
 *
 * Thread: main thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clients/core/client.h"
#include "common/err.h"
#include "drivers/dummy/dummy.h"
#include "engine/server_priv.h"
#include "rill/time.h"

#define PERIOD_ANSWER_TIMEOUT_NS 2000000000ull

static int restart_rt(struct rill_server *s)
{
    char err[512] = "";
    if (s->offline)
        return 0; /* rill__server_new_offline: never a realtime thread */
    int r = rill_rt_start(s->rt, err, sizeof(err));
    if (r < 0) {
        rill_server_log("cannot restart the realtime thread: %s; stopping", strerror(-r));
        s->stopping = 1;
        s->exit_status = 1;
        s->rt_started = 0;
        return r;
    }
    s->rt_started = 1;
    (void)rill_placement_engine(&s->placement, s->rt->thread); /* logged at start */
    return 0;
}

static void finish_period_change(struct rill_server *s)
{
    struct rill_period_change *pc = &s->period_change;
    pc->active = 0;
    restart_rt(s);
    if (pc->requester) {
        rill_server_answer(pc->requester, &pc->reply, 0);
        pc->requester = NULL;
    }
    rill_server_log("running at %u frames (%.2f ms)", s->shm.state->period,
                    1000.0 * s->shm.state->period / s->shm.state->rate);
}

static int waiting_left(const struct rill_period_change *pc)
{
    for (uint32_t i = 0; i < RILL_MAX_CLIENTS; i++)
        if (pc->waiting[i])
            return 1;
    return 0;
}

/* Main thread. */
int rill_server_set_period(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_shm_state *st = s->shm.state;
    struct rill_period_change *pc = &s->period_change;
    uint32_t period = m->u.size_event.value;
    char err[384] = "";

    if (pc->active) {
        return rill_msg_errf(m, -EBUSY, "a change of buffer size is already under way");
    }
    if (s->rt->freewheel) {
        return rill_msg_errf(
            m, -EBUSY, "cannot change the buffer size while freewheeling; stop freewheeling first");
    }
    if (period == st->period)
        return 0;
    if (!s->rt->ops->set_period) {
        return rill_msg_errf(m, -ENOTSUP,
                             "the %s driver cannot change its period while "
                             "running; restart rilld with -p %u",
                             s->rt->ops->name, period);
    }
    if ((size_t)period * sizeof(float) > st->pool_stride) {
        return rill_msg_errf(m, -EINVAL, "buffer size %u is too large: at most %u frames", period,
                             st->pool_stride / (uint32_t)sizeof(float));
    }

    if (s->rt_started)
        rill_rt_stop(s->rt);
    s->rt_started = 0;
    int r = s->rt->ops->set_period(s->rt->drv, period, &s->rt->info, err, sizeof(err));
    if (r < 0) {
        rill_msg_errf(m, 0, "%s", err[0] ? err : strerror(-r));
        restart_rt(s);
        return r;
    }
    if (s->rt->fb) {
        /* the fallback clock follows (a dummy takes every period rilld does) */
        struct rill_driver_info fbinfo = s->rt->info;
        rill_driver_dummy.set_period(s->rt->fb, period, &fbinfo, err, sizeof(err));
    }
    /* the realtime thread is stopped: plain writes; clients read them
     * after the event below */
    st->period = s->rt->info.period;
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        struct rill_shm_port *p = &st->registry.ports[id];
        if (!p->in_use || p->client != RILL_ENGINE_NODE)
            continue;
        rill_registry_write_begin(&st->registry);
        int capture = (p->flags & RILL_PORT_IS_OUTPUT) != 0;
        uint32_t lat = capture ? s->rt->info.capture_latency : s->rt->info.playback_latency;
        p->latency[capture ? 0 : 1][0] = p->latency[capture ? 0 : 1][1] = lat;
        rill_registry_write_end(&st->registry);
    }

    memset(pc, 0, sizeof(*pc));
    pc->active = 1;
    pc->serial = ++s->period_serial;
    pc->deadline_ns = rill_now_ns() + PERIOD_ANSWER_TIMEOUT_NS;
    struct rill_msg ev = { .type = RILL_EV_BUFFER_SIZE };
    ev.u.size_event.value = st->period;
    ev.u.size_event.serial = pc->serial;
    for (uint32_t i = 0; i < RILL_MAX_CONNS; i++) {
        struct rill_conn *k = s->conns[i];
        if (!k || k->control || k->ev_fd < 0 || k->slot == RILL_NO_SLOT)
            continue;
        if (st->registry.clients[k->slot].active)
            pc->waiting[k->slot] = 1;
    }
    rill_server_broadcast(s, &ev, RILL_NO_SLOT);
    pc->requester = c;
    pc->reply = *m;
    pc->reply.error[0] = '\0';
    if (!waiting_left(pc)) {
        pc->requester = NULL;
        finish_period_change(s);
        return 0;
    }
    return RILL_REPLY_DEFERRED;
}

/* Main thread. */
int rill_server_set_freewheel(struct rill_server *s, struct rill_msg *m)
{
    int on = m->u.size_event.value != 0;
    if (on == s->rt->freewheel)
        return 0;
    if (s->period_change.active) {
        return rill_msg_errf(m, -EBUSY, "a change of buffer size is under way; try again");
    }
    if (s->rt_started)
        rill_rt_stop(s->rt);
    s->rt_started = 0;
    s->rt->freewheel = on;
    /* relaxed: see rill/shm.h */
    atomic_store_explicit(&s->shm.state->freewheeling, (uint32_t)on, memory_order_relaxed);
    struct rill_msg ev = { .type = RILL_EV_FREEWHEEL };
    ev.u.size_event.value = (uint32_t)on;
    rill_server_broadcast(s, &ev, RILL_NO_SLOT);
    rill_server_log("%s freewheeling", on ? "started" : "stopped");
    return restart_rt(s);
}

/* Main thread. */
void rill_server_event_answer(struct rill_server *s, struct rill_conn *c, const struct rill_msg *m)
{
    struct rill_period_change *pc = &s->period_change;
    if (m->type != RILL_MSG_BUFFER_SIZE_DONE || !pc->active || c->slot >= RILL_MAX_CLIENTS ||
        m->u.size_event.serial != pc->serial)
        return;
    pc->waiting[c->slot] = 0;
    if (!waiting_left(pc))
        finish_period_change(s);
}

/* Main thread. */
void rill_server_period_tick(struct rill_server *s, uint64_t now_ns)
{
    struct rill_period_change *pc = &s->period_change;
    if (!pc->active || now_ns < pc->deadline_ns)
        return;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++)
        if (pc->waiting[slot])
            rill_server_log("client '%s' did not run its buffer-size callback within %llu ms; "
                            "going on without it",
                            s->shm.state->registry.clients[slot].name,
                            PERIOD_ANSWER_TIMEOUT_NS / 1000000ull);
    finish_period_change(s);
}

/* Main thread. */
void rill_server_period_client_gone(struct rill_server *s, struct rill_conn *c)
{
    struct rill_period_change *pc = &s->period_change;
    if (!pc->active)
        return;
    if (pc->requester == c)
        pc->requester = NULL;
    if (c->slot < RILL_MAX_CLIENTS && pc->waiting[c->slot]) {
        pc->waiting[c->slot] = 0;
        if (!waiting_left(pc))
            finish_period_change(s);
    }
}
