/* transport/transport_requests.c — the engine's handling of the
 * RILL_MSG_TRANSPORT_* requests (rill/protocol.h). Main thread only: it
 * registers timebase masters and slow-sync clients with the state machine
 * (transport/transport.h) and, for rillctl and inactive clients, writes the
 * engine's own request record (slot 0) that the realtime thread scans.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/server_priv.h"
#include "rill/time.h"
#include "transport/transport.h"

/* Longest slow-sync timeout accepted: one hour. */
#define RILL_TRANSPORT_MAX_TIMEOUT_US 3600000000ull

/* Main thread. Returns 0 or -errno with m->error set. */
int rill_server_transport_request(struct rill_server *s, uint32_t slot, int control,
                                  struct rill_msg *m)
{
    struct rill_transport *t = &s->rt->transport;
    struct rill_msg_transport *tr = &m->u.transport;
    /* a control connection has no slot (and asks only for requests) */
    const char *name = slot < RILL_MAX_CLIENTS ? s->shm.state->registry.clients[slot].name : "";
    int r = 0;

    if (control && m->type != RILL_MSG_TRANSPORT_REQUEST) {
        snprintf(m->error, sizeof(m->error),
                 "a control connection can start, stop and locate the transport, but cannot "
                 "be timebase master or slow-sync client");
        return -EINVAL;
    }
    switch (m->type) {
    case RILL_MSG_TRANSPORT_TIMEBASE:
        r = rill_transport_set_timebase(t, slot, tr->value != 0);
        if (r == -EBUSY) {
            uint32_t master = atomic_load_explicit(&t->master, memory_order_relaxed);
            snprintf(m->error, sizeof(m->error),
                     "conditional timebase request refused: client '%s' is timebase master",
                     master && master - 1 < RILL_MAX_CLIENTS
                         ? s->shm.state->registry.clients[master - 1].name
                         : "?");
        } else if (r == 0 && s->opt->verbose) {
            rill_server_log("client '%s' is timebase master", name);
        }
        break;
    case RILL_MSG_TRANSPORT_RELEASE:
        r = rill_transport_release_timebase(t, slot);
        if (r < 0)
            snprintf(m->error, sizeof(m->error),
                     "client '%s' is not the timebase master, so it has nothing to release",
                     name);
        break;
    case RILL_MSG_TRANSPORT_SYNC:
        r = rill_transport_set_sync(t, slot, tr->value != 0, &s->shm.act->transport[slot]);
        break;
    case RILL_MSG_TRANSPORT_TIMEOUT:
        if (tr->usecs == 0 || tr->usecs > RILL_TRANSPORT_MAX_TIMEOUT_US) {
            snprintf(m->error, sizeof(m->error),
                     "slow-sync timeout of %llu us refused: it must be 1 us to %llu us (one "
                     "hour)",
                     (unsigned long long)tr->usecs,
                     (unsigned long long)RILL_TRANSPORT_MAX_TIMEOUT_US);
            r = -EINVAL;
            break;
        }
        r = rill_transport_set_timeout(t, tr->usecs);
        break;
    case RILL_MSG_TRANSPORT_REQUEST: {
        /* slot 0's record: written by this thread only */
        struct rill_transport_client *rec = &s->shm.act->transport[RILL_ENGINE_NODE];
        if (tr->value == RILL_TRANSPORT_CMD_START || tr->value == RILL_TRANSPORT_CMD_STOP) {
            rill_transport_request_cmd(rec, tr->value, rill_now_ns());
        } else if (tr->value == RILL_TRANSPORT_REQUEST_POS) {
            if (tr->pos.valid & ~RILL_POS_ALL) {
                snprintf(m->error, sizeof(m->error),
                         "position valid bits 0x%x are unknown (known: 0x%x)",
                         tr->pos.valid & ~RILL_POS_ALL, RILL_POS_ALL);
                r = -EINVAL;
                break;
            }
            r = rill_transport_request_pos(rec, &tr->pos, rill_now_ns());
            if (r < 0)
                snprintf(m->error, sizeof(m->error), "the request record is busy; try again");
        } else {
            snprintf(m->error, sizeof(m->error),
                     "unknown transport request %u (1 start, 2 stop, 3 position)", tr->value);
            r = -EINVAL;
        }
        break;
    }
    default:
        r = -EINVAL;
        break;
    }
    return r;
}
