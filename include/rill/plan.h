/* rill/plan.h — the compiled execution plan, as it lies in shared memory.
 *
 * Writer: the engine's main thread, into a slot that nobody else uses at the
 * time (see rill_shm_state.next_plan). Once published a plan is immutable.
 * Readers: the engine's realtime thread and every client's realtime thread,
 * which find "their" slot in the cycle record (rill_shm_cycle.plan_slot).
 * Readers must bounds-check every index: a client stopped for a long time may
 * read a slot that has since been rewritten.
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

#endif
