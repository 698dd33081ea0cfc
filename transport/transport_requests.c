/* transport/transport_requests.c — the engine's handling of the
 * RILL_MSG_TRANSPORT_* requests (rill/protocol.h). Main thread only: it
 * registers timebase masters and slow-sync clients with the state machine
 * (transport/transport.h) and, for rillctl and inactive clients, writes the
 * engine's own request record (slot 0) that the realtime thread scans. It
 * sees only the state machine, the request records and the registry (for
 * names), not the server.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "rill/protocol.h"
#include "rill/shm.h"
#include "rill/time.h"
#include "transport/transport.h"

/* Longest slow-sync timeout accepted: one hour. */
#define RILL_TRANSPORT_MAX_TIMEOUT_US 3600000000ull

/* Main thread. */
int rill_transport_request(struct rill_transport *t, struct rill_transport_client *records,
                           const struct rill_shm_registry *reg, uint32_t slot, int control,
                           struct rill_msg *m)
{
    struct rill_msg_transport *tr = &m->u.transport;
    /* a control connection has no slot (and asks only for requests) */
    const char *name = slot < RILL_MAX_CLIENTS ? reg->clients[slot].name : "";
    int r = 0;

    if (control && m->type != RILL_MSG_TRANSPORT_REQUEST) {
        return rill_msg_errf(
            m, -EINVAL,
            "a control connection can start, stop and locate the transport, but cannot "
            "be timebase master or slow-sync client");
    }
    switch (m->type) {
    case RILL_MSG_TRANSPORT_TIMEBASE:
        r = rill_transport_set_timebase(t, slot, tr->value != 0);
        if (r == -EBUSY) {
            uint32_t master = atomic_load_explicit(&t->master, memory_order_relaxed);
            rill_msg_errf(
                m, 0, "conditional timebase request refused: client '%s' is timebase master",
                master && master - 1 < RILL_MAX_CLIENTS ? reg->clients[master - 1].name : "?");
        }
        break;
    case RILL_MSG_TRANSPORT_RELEASE:
        r = rill_transport_release_timebase(t, slot);
        if (r < 0)
            rill_msg_errf(
                m, 0, "client '%s' is not the timebase master, so it has nothing to release", name);
        break;
    case RILL_MSG_TRANSPORT_SYNC:
        r = rill_transport_set_sync(t, slot, tr->value != 0, &records[slot]);
        break;
    case RILL_MSG_TRANSPORT_TIMEOUT:
        if (tr->usecs == 0 || tr->usecs > RILL_TRANSPORT_MAX_TIMEOUT_US) {
            r = rill_msg_errf(
                m, -EINVAL,
                "slow-sync timeout of %llu us refused: it must be 1 us to %llu us (one "
                "hour)",
                (unsigned long long)tr->usecs, (unsigned long long)RILL_TRANSPORT_MAX_TIMEOUT_US);
            break;
        }
        r = rill_transport_set_timeout(t, tr->usecs);
        break;
    case RILL_MSG_TRANSPORT_REQUEST: {
        /* the engine's record (slot 0): every client maps the activation
         * segment writable, so a client may hold its seqlock too; that
         * is the "busy" below */
        struct rill_transport_client *rec = &records[RILL_ENGINE_NODE];
        if (tr->value == RILL_TRANSPORT_CMD_START || tr->value == RILL_TRANSPORT_CMD_STOP) {
            rill_transport_request_cmd(rec, tr->value, rill_now_ns());
        } else if (tr->value == RILL_TRANSPORT_REQUEST_POS) {
            if (tr->pos.valid & ~RILL_POS_ALL) {
                r = rill_msg_errf(m, -EINVAL, "position valid bits 0x%x are unknown (known: 0x%x)",
                                  tr->pos.valid & ~RILL_POS_ALL, RILL_POS_ALL);
                break;
            }
            r = rill_transport_request_pos(rec, &tr->pos, rill_now_ns());
            if (r < 0)
                rill_msg_errf(m, 0, "the request record is busy; try again");
        } else {
            r = rill_msg_errf(m, -EINVAL,
                              "unknown transport request %u (1 start, 2 stop, 3 position)",
                              tr->value);
        }
        break;
    }
    default:
        r = -EINVAL;
        break;
    }
    return r;
}
