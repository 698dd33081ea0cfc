/* transport/transport.h — the transport state machine (JACK's semantics).
 *
 * States Stopped, Starting, Rolling; the frame; the latched position
 * request; the set of slow-sync clients; the timebase master and the
 * extended (BBT) position it provides. See doc/transport.md.
 *
 * Threads:
 *   - rill_transport_cycle(): the engine's realtime thread, once per cycle
 *     at the cycle boundary, after the new plan is adopted and before any
 *     node is triggered. RT-safe: no allocation, lock or syscall; loops are
 *     bounded by the plan's node count.
 *   - the set_* / release / client_gone functions: the engine's main thread
 *     (requests over the socket). They only store atomics the realtime
 *     thread reads at its next boundary.
 *
 * Cycle boundary k (what rill_transport_cycle does, in this order):
 *   1. a Rolling transport advances by the previous cycle's period;
 *   2. a position request latched at boundary k-1 takes effect: the frame
 *      moves, slow-sync clients are polled again (a new sync generation),
 *      a Rolling transport with slow-sync clients goes to Starting;
 *   3. the newest start/stop command since boundary k-1: start moves
 *      Stopped to Starting (slow-sync clients present) or Rolling; stop
 *      moves to Stopped;
 *   4. Starting becomes Rolling once every active slow-sync client is
 *      ready for the current generation, or the sync timeout passed;
 *   5. the newest position request since boundary k-1 is latched: during
 *      cycle k the timebase master computes the extended position for it
 *      (new_pos), and it takes effect at boundary k+1 ("two cycles");
 *   6. the master's output from cycle k-1 for this frame becomes the
 *      extended position of cycle k (BBT valid); without one, only the
 *      frame is valid;
 *   7. the position is published under the seqlock with a new unique id.
 */
#ifndef RILL_TRANSPORT_H
#define RILL_TRANSPORT_H

#include <stdatomic.h>
#include <stdint.h>

#include "rill/limits.h"
#include "rill/plan.h"
#include "rill/transport_shm.h"

struct rill_msg;
struct rill_shm_registry;

/* JACK's default slow-sync timeout: two seconds */
#define RILL_TRANSPORT_DEFAULT_TIMEOUT_US 2000000ull

struct rill_transport {
    /* main thread writes (release), realtime thread reads (acquire) */
    _Atomic uint32_t master;           /* slot + 1, 0: none */
    _Atomic uint32_t master_gen;       /* bumped at every change of master */
    _Atomic uint64_t timeout_us;
    _Atomic uint8_t sync[RILL_MAX_CLIENTS]; /* 1: slow-sync client */

    /* realtime thread only */
    uint32_t state;                    /* enum rill_transport_state */
    uint32_t frame;
    uint32_t last_nframes;
    uint64_t last_cycle;               /* 0 before the first cycle */
    uint64_t serial;                   /* unique ids */
    uint32_t sync_gen;                 /* never 0 */
    uint64_t starting_since_us;
    int latched;
    struct rill_transport_pos latched_req;
    int bbt_have;
    uint32_t bbt_frame;
    struct rill_transport_pos bbt;
    uint32_t seen_master_gen;
    uint64_t seen_cmd[RILL_MAX_CLIENTS];
    uint32_t seen_req[RILL_MAX_CLIENTS];
};

struct rill_transport_cycle_in {
    uint64_t cycle;                    /* this cycle's number (as in the cycle record) */
    uint32_t nframes;                  /* this cycle's period */
    uint32_t rate;
    uint64_t usecs;                    /* CLOCK_MONOTONIC µs at the cycle start */
    const struct rill_plan *plan;      /* this cycle's plan: the clients to scan */
};

/* Initialise (Stopped at frame 0, no master, no slow-sync client, timeout
 * two seconds). Main thread, before the realtime thread starts. */
void rill_transport_init(struct rill_transport *t);

/* One cycle boundary (steps 1-7 above). clients: the per-slot records of
 * the activation segment; slot 0 (the engine's, written for rillctl and
 * inactive clients) is always scanned, other slots when they are nodes of
 * in->plan. Realtime thread; RT-safe. */
void rill_transport_cycle(struct rill_transport *t, const struct rill_transport_cycle_in *in,
                          struct rill_transport_client *clients,
                          struct rill_transport_master_out *master_out,
                          struct rill_transport_shm *out);

/* Become timebase master. conditional: fail with -EBUSY when another
 * client is master. Taking it again as the master is a new position for
 * it (its callback gets new_pos). Returns 0, -EBUSY or -EINVAL (bad slot).
 * Main thread. */
int rill_transport_set_timebase(struct rill_transport *t, uint32_t slot, int conditional);

/* Stop being timebase master: -EINVAL when slot is not the master. The
 * extended position is no longer valid from the next cycle. Main thread. */
int rill_transport_release_timebase(struct rill_transport *t, uint32_t slot);

/* Register (on = 1) or unregister slot as a slow-sync client. rec is the
 * slot's record: its ready mark is cleared, so a registration during
 * Starting waits for this client too. Main thread. */
int rill_transport_set_sync(struct rill_transport *t, uint32_t slot, int on,
                            struct rill_transport_client *rec);

/* Slow-sync timeout in µs (0 is refused with -EINVAL). Main thread. */
int rill_transport_set_timeout(struct rill_transport *t, uint64_t usecs);

/* A client left: it is no longer slow-sync nor timebase master. Main thread. */
void rill_transport_client_gone(struct rill_transport *t, uint32_t slot);

/* The RILL_MSG_TRANSPORT_* requests (rill/protocol.h) of client slot
 * (control: a control connection, which may only start, stop and locate),
 * on t; records: every slot's request record in the activation segment
 * (the engine's own, slot 0, carries rillctl's and inactive clients'
 * requests); reg: for client names in the messages. Returns 0 or -errno
 * with m->error set (transport_requests.c). Main thread. */
int rill_transport_request(struct rill_transport *t, struct rill_transport_client *records,
                           const struct rill_shm_registry *reg, uint32_t slot, int control,
                           struct rill_msg *m);

/* "Stopped", "Rolling", "Starting" or "unknown". Any thread. */
const char *rill_transport_state_name(uint32_t state);

#endif
