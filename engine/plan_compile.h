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
 * one that would close a cycle (v already reaches u, or u == v) is marked
 * feedback (reg->conns[i].feedback = 1, others 0) and does not order the
 * nodes: its destination reads the source's buffer of the previous period.
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
 * The caller holds the registry's seqlock for writing (feedback marks).
 * Returns 0, or -ENOSPC if a table would overflow (cannot happen within
 * rill/limits.h). */
int rill_plan_compile(struct rill_shm_registry *reg, struct rill_plan *out, uint64_t gen);

#endif
