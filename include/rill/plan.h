/* rill/plan.h — the compiled execution plan, as it lies in shared memory.
 *
 * Writer: the engine's main thread, into a slot that the realtime thread
 * neither runs nor may adopt (engine/plan_handover.h, rill_shm_state.
 * plan_handover). Once published a plan is not written again until the
 * realtime thread has left its slot. Readers: the engine's realtime thread
 * and every client's realtime thread, which find "their" slot in the cycle
 * record (rill_shm_cycle.plan_slot). A client that is late (stopped, or
 * slow for a few cycles) may read a slot that the main thread is writing
 * again, so every reader bounds-checks every index it takes from a plan
 * with the helpers at the end of this file, and treats what it reads as
 * untrusted numbers: wrong at worst, never out of bounds.
 *
 * Node numbers are client slots (0 is the engine). Nodes are listed in a
 * topological order of the non-feedback edges.
 *
 *   nodes[k].required   distinct upstream client nodes over non-feedback edges
 *                       (the engine as a source never counts)
 *   succ[...]           downstream client nodes; RILL_ENGINE_NODE when the
 *                       node feeds system playback or has no downstream node
 *   inputs[...]         each input port of the node with its sources
 *   outputs[...]        each output port of the node (to zero when bypassed)
 *   src[...]            source port ids of an input, in connection order
 *   src_node[...]       the node owning each of them
 *   src_feedback[...]   whether each of them is a feedback source
 */
#ifndef RILL_PLAN_H
#define RILL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "rill/limits.h"

#define RILL_PLAN_NONE 0xffffffffu
#define RILL_PLAN_MAX_SUCC (RILL_MAX_CONNECTIONS + RILL_MAX_CLIENTS)

struct rill_plan_node {
    uint32_t client;     /* client slot */
    uint32_t required;   /* upstream nodes that must finish first */
    uint32_t succ_first; /* index into rill_plan.succ */
    uint32_t succ_count;
    uint32_t in_first;   /* index into rill_plan.inputs */
    uint32_t in_count;
    uint32_t out_first;  /* index into rill_plan.outputs */
    uint32_t out_count;
};

struct rill_plan_input {
    uint32_t port;       /* the input port's id */
    uint32_t src_first;  /* index into rill_plan.src */
    uint32_t src_count;  /* 0: silence, 1: read in place, n: mixdown */
    uint32_t feedback;   /* how many of the sources are feedback (one period late) */
};

struct rill_plan {
    uint64_t gen;                          /* increases with every compiled plan */
    uint32_t nnodes;                       /* client nodes in nodes[] */
    uint32_t nsucc, ninputs, noutputs, nsrc;
    uint32_t nfeedback;                    /* connections marked feedback */
    /* client slot -> index in nodes[], or RILL_PLAN_NONE when not in the plan */
    uint32_t node_index[RILL_MAX_CLIENTS];
    /* the engine: required = nodes that report to it; inputs = system
     * playback ports; outputs = system capture ports */
    struct rill_plan_node engine;
    struct rill_plan_node nodes[RILL_MAX_CLIENTS];
    uint32_t succ[RILL_PLAN_MAX_SUCC];
    struct rill_plan_input inputs[RILL_MAX_PORTS];
    uint32_t outputs[RILL_MAX_PORTS];
    uint32_t src[RILL_MAX_CONNECTIONS];
    /* the node (client slot) that owns src[i]: a reader skips a source whose
     * node the engine bypassed in this cycle (rill_activation.bypassed) */
    uint32_t src_node[RILL_MAX_CONNECTIONS];
    /* 1 when src[i] is a feedback source: its data is the previous cycle's,
     * valid only when the owner produced that cycle (rill_activation.produced) */
    uint8_t src_feedback[RILL_MAX_CONNECTIONS];
};

/* ---- the one range check of every plan reader (any thread; RT-safe) */

/* 1 when the entries [first, first + count) lie within a table of size
 * entries (no overflow: first <= size is checked before the subtraction). */
static inline int rill_plan_range_ok(uint32_t first, uint32_t count, uint32_t size)
{
    return first <= size && count <= size - first;
}

/* The node's successors in succ[], inputs in inputs[], outputs in
 * outputs[]; an input's sources in src[], src_node[], src_feedback[]. */
static inline int rill_plan_succ_ok(const struct rill_plan_node *n)
{
    return rill_plan_range_ok(n->succ_first, n->succ_count, RILL_PLAN_MAX_SUCC);
}

static inline int rill_plan_inputs_ok(const struct rill_plan_node *n)
{
    return rill_plan_range_ok(n->in_first, n->in_count, RILL_MAX_PORTS);
}

static inline int rill_plan_outputs_ok(const struct rill_plan_node *n)
{
    return rill_plan_range_ok(n->out_first, n->out_count, RILL_MAX_PORTS);
}

static inline int rill_plan_srcs_ok(const struct rill_plan_input *in)
{
    return rill_plan_range_ok(in->src_first, in->src_count, RILL_MAX_CONNECTIONS);
}

/* nnodes, clamped to the nodes[] table. */
static inline uint32_t rill_plan_nnodes(const struct rill_plan *p)
{
    return p->nnodes < RILL_MAX_CLIENTS ? p->nnodes : RILL_MAX_CLIENTS;
}

/* The node of client slot in plan p, or NULL when the slot is not in it
 * (or the plan's index is out of range or points at another client). */
static inline const struct rill_plan_node *rill_plan_node_of(const struct rill_plan *p,
                                                             uint32_t slot)
{
    if (slot >= RILL_MAX_CLIENTS)
        return NULL;
    uint32_t k = p->node_index[slot];
    if (k >= rill_plan_nnodes(p) || p->nodes[k].client != slot)
        return NULL;
    return &p->nodes[k];
}

#endif
