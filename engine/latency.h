/* engine/latency.h — port latency ranges, propagated through the graph as
 * JACK specifies (main thread only).
 *
 * Each port has two ranges (rill_shm_port.latency[mode][min, max]):
 * capture (frames since the data was captured) and playback (frames until it
 * is played). A recomputation walks the clients in graph order for capture
 * and in reverse graph order for playback. At each client:
 *   capture:  each input port gets the range spanning its sources' capture
 *             ranges (min of mins, max of maxes; [0,0] with no source);
 *   playback: each output port gets the span of its destinations' playback
 *             ranges;
 * then the client decides its other side: with a latency callback the client
 * itself sets it (EV_LATENCY, answered by LATENCY_CTL done); without one
 * JACK's default applies: capture — every output gets the span of all its
 * inputs; playback — every input gets the span of all its outputs. The
 * system ports keep what the driver set (capture ranges of system:capture_N,
 * playback ranges of system:playback_N); their other side is computed last.
 * Feedback connections carry the values of the pass as it stands (no
 * iteration), so a cycle cannot make it loop.
 */
#ifndef RILL_LATENCY_H
#define RILL_LATENCY_H

#include <stdint.h>

#include "rill/shm.h"

struct rill_server;
struct rill_conn;
struct rill_msg;

enum { RILL_LATENCY_CAPTURE = 0, RILL_LATENCY_PLAYBACK = 1 };

/* The main thread's latency state, one per server (s->latency): an index
 * of the registry, scratch for the graph order, and the recomputation job
 * (latency_job.c). Zeroed, then rill_latency_init. */
struct rill_latency {
    /* Lists by owner and by connection end, so that a whole recomputation
     * costs O(ports + connections) rather than a scan per client. Built
     * from the registry when its seqlock counter moved since the last
     * build (a structural change, or a client's LATENCY_SET); our own
     * range writes carry the index over. */
    struct {
        const struct rill_shm_registry *reg;
        uint32_t seq;
        int32_t first_port[RILL_MAX_CLIENTS], next_port[RILL_MAX_PORTS];
        int32_t first_in[RILL_MAX_PORTS], next_in[RILL_MAX_CONNECTIONS];
        int32_t first_out[RILL_MAX_PORTS], next_out[RILL_MAX_CONNECTIONS];
    } ix;
    /* rill_latency_order's and compute_all's scratch */
    uint32_t indeg[RILL_MAX_CLIENTS];
    uint8_t done[RILL_MAX_CLIENTS];
    uint32_t order[RILL_MAX_CLIENTS];
    /* the server's recomputation (latency_job.c) */
    struct {
        int scheduled;
        int running;
        int mode;                      /* RILL_LATENCY_CAPTURE / PLAYBACK */
        uint32_t n, next;              /* clients in order, next one to visit */
        uint32_t order[RILL_MAX_CLIENTS];
        uint32_t waiting;              /* slot running its callback, or RILL_NO_SLOT */
        uint32_t serial;
        uint64_t deadline_ns;
        uint8_t has_cb[RILL_MAX_CLIENTS];
        uint32_t graph_orders;         /* graph-order events held until idle */
    } job;
};

/* Ready an all-zero l. */
void rill_latency_init(struct rill_latency *l);

/* Client slots (not the engine's, not control tools) in graph order over
 * the connections that are not feedback; clients left in a cycle follow in
 * slot order. Returns how many were written (at most max). */
uint32_t rill_latency_order(struct rill_latency *l, const struct rill_shm_registry *reg,
                            uint32_t *order, uint32_t max);

/* The connection side of slot's ports for mode (see above). */
void rill_latency_client_links(struct rill_latency *l, struct rill_shm_registry *reg, uint32_t slot,
                               int mode);
/* JACK's default for a client without a latency callback. */
void rill_latency_client_default(struct rill_latency *l, struct rill_shm_registry *reg,
                                 uint32_t slot, int mode);
/* A whole recomputation with the default for every client (no callbacks). */
void rill_latency_compute_all(struct rill_latency *l, struct rill_shm_registry *reg);

/* ---- the server's side (engine/latency_job.c) */

/* A graph change happened: recompute soon. */
void rill_latency_schedule(struct rill_latency *l);
/* Start or continue a recomputation (after each request and on the
 * housekeeping timer); stops while a client runs its latency callback. */
void rill_latency_run(struct rill_server *s);
/* LATENCY_SET and LATENCY_CTL from c. Returns the reply's result. */
int rill_latency_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);
/* Client slot left. */
void rill_latency_client_gone(struct rill_latency *l, uint32_t slot);
/* The graph order changed: the graph-order event goes to every client once
 * the latency recomputation that follows has run, so that latency callbacks
 * come first, as in JACK (one event per call: nothing is merged). */
void rill_latency_graph_order(struct rill_latency *l);

#endif
