/* engine/plan_compile.h — compile the graph into an execution plan.
 *
 * Thread: main thread only (the graph's owner). Never on the realtime path.
 */
#ifndef RILL_PLAN_COMPILE_H
#define RILL_PLAN_COMPILE_H

#include <stdint.h>

#include "rill/plan.h"
#include "rill/shm.h"

/* Compile the registry's graph into *out with generation gen.
 *
 * Nodes: clients in use, active, not RILL_CLIENT_CONTROL, slot != 0.
 * Edges: a connection from an output port of client u to an input port of
 * client v, both nodes. Connections are taken in creation order (serial);
 * one that would close a cycle (v already reaches u, or u == v) is
 * feedback (feedback[i] = 1 for connection slot i, others 0) and does not
 * order the nodes: its destination reads the source's buffer of the
 * previous period.
 * Connections from or to ports of clients that are not nodes (and not the
 * engine) are left out of the plan.
 *
 * nodes[]: Kahn's topological order, ties by lower slot first.
 * required: distinct upstream nodes over non-feedback edges.
 * succ: distinct downstream nodes over non-feedback edges, in plan order,
 *       then RILL_ENGINE_NODE when the node feeds a system (slot 0) input
 *       port or has no downstream node.
 * engine.required: nodes whose succ holds RILL_ENGINE_NODE.
 * inputs: every input port of every node (and of the engine, in
 *       engine.in_*), in port id order, sources in connection order.
 * outputs: every output port of every node (engine: its capture ports).
 *
 * The registry is only read: the compile runs outside its seqlock (the main
 * thread is its only writer), so readers never wait for a compile.
 * feedback: NULL, or RILL_MAX_CONNECTIONS marks by connection slot, for
 * rill_plan_store_feedback. Returns 0, or -ENOSPC if a table would overflow
 * (cannot happen within rill/limits.h), -ENOMEM, -EINVAL. */
int rill_plan_compile(const struct rill_shm_registry *reg, struct rill_plan *out, uint64_t gen,
                      uint8_t *feedback);

/* Store the feedback marks of a compile (rill_shm_conn.feedback) in one
 * short write section of the registry seqlock, and only when one changed.
 * Returns the number of marks changed. Main thread. */
uint32_t rill_plan_store_feedback(struct rill_shm_registry *reg, const uint8_t *feedback);

#endif
