/* engine/plan_compile.c — compile the registry's graph into an execution plan.
 *
 * Main thread only (the graph's owner); never on the realtime path.
 *
 * Steps:
 *   1. nodes: clients in use, active, not control, slot != 0;
 *   2. the in-use connections sorted by (serial, slot);
 *   3. in that order, each node-to-node connection either adds an edge
 *      u -> v or, when v already reaches u (or u == v), is marked feedback.
 *      Reachability is a transitive closure kept in bitsets (512 x 512
 *      bits), so the check is one bit test and an edge costs at most one
 *      OR of 8 words per ancestor of u;
 *   4. Kahn's order over the edges, ties by the lowest slot (a ready bitset,
 *      lowest bit first);
 *   5. successors, inputs with their sources, outputs.
 *
 * Cost: O(V^2 / 64 * E_distinct + P + E log E) time, ~150 KiB of scratch
 * memory allocated once per call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan_compile.h"
#include "engine/registry.h"

#define SET_WORDS (RILL_MAX_CLIENTS / 64u)

_Static_assert(RILL_MAX_CLIENTS % 64u == 0, "client bitsets are whole 64-bit words");

/* one in-use connection, for sorting by creation order */
struct conn_key {
    uint64_t serial;
    uint32_t slot;
};

/* what a sorted connection does in the plan */
enum conn_role {
    CONN_OUT = 0,   /* left out (a side is not a node nor the engine, or bad ports) */
    CONN_SOURCE,    /* a source of its input only (engine involved) */
    CONN_EDGE,      /* node to node, orders the nodes */
    CONN_FEEDBACK,  /* node to node, closes a cycle */
};

struct plan_work {
    uint64_t reach[RILL_MAX_CLIENTS][SET_WORDS]; /* reach[u]: nodes reachable from u */
    uint64_t adj[RILL_MAX_CLIENTS][SET_WORDS];   /* adj[u]: direct successors of u */
    uint64_t ready[SET_WORDS];                   /* Kahn: nodes with no pending preds */
    struct conn_key keys[RILL_MAX_CONNECTIONS];
    uint8_t role[RILL_MAX_CONNECTIONS];          /* enum conn_role, by sorted index */
    uint8_t is_node[RILL_MAX_CLIENTS];
    uint8_t feeds_engine[RILL_MAX_CLIENTS];
    uint32_t indeg[RILL_MAX_CLIENTS];
    uint32_t order[RILL_MAX_CLIENTS];
    uint32_t owner_first[RILL_MAX_CLIENTS + 1];  /* ports grouped by owner ... */
    uint32_t owner_ports[RILL_MAX_PORTS];        /* ... in id order */
    uint32_t nsrc[RILL_MAX_PORTS];               /* sources per input port */
    uint32_t nfb[RILL_MAX_PORTS];                /* feedback sources per input port */
    uint32_t cursor[RILL_MAX_PORTS];             /* next src[] slot per input port */
};

static inline void set_bit(uint64_t *set, uint32_t i)
{
    set[i / 64u] |= UINT64_C(1) << (i % 64u);
}

static inline void clear_bit(uint64_t *set, uint32_t i)
{
    set[i / 64u] &= ~(UINT64_C(1) << (i % 64u));
}

static inline int test_bit(const uint64_t *set, uint32_t i)
{
    return (int)((set[i / 64u] >> (i % 64u)) & 1u);
}

/* qsort order: serial, then slot, so equal serials stay deterministic. Main thread. */
static int conn_key_cmp(const void *a, const void *b)
{
    const struct conn_key *x = a, *y = b;
    if (x->serial != y->serial)
        return x->serial < y->serial ? -1 : 1;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

/* Owner slot of port id when it is in use, has direction dir_flag (an input
 * is any port flagged IS_INPUT; an output is flagged IS_OUTPUT and not
 * IS_INPUT) and belongs to a node or the engine; RILL_PLAN_NONE otherwise.
 * Main thread. */
static uint32_t port_owner(const struct rill_shm_registry *reg, const struct plan_work *w,
                           uint32_t id, uint32_t dir_flag)
{
    if (id >= RILL_MAX_PORTS)
        return RILL_PLAN_NONE;
    const struct rill_shm_port *p = &reg->ports[id];
    if (!p->in_use || p->client >= RILL_MAX_CLIENTS)
        return RILL_PLAN_NONE;
    uint32_t dir = (p->flags & RILL_PORT_IS_INPUT) ? RILL_PORT_IS_INPUT
                   : (p->flags & RILL_PORT_IS_OUTPUT) ? RILL_PORT_IS_OUTPUT
                                                      : 0u;
    if (dir != dir_flag)
        return RILL_PLAN_NONE;
    if (p->client != RILL_ENGINE_NODE && !w->is_node[p->client])
        return RILL_PLAN_NONE;
    return p->client;
}

/* Add edge u -> v (v does not reach u) and keep the closure transitive:
 * every node that reaches u, and u itself, now reaches v and all v reaches.
 * Main thread. */
static void add_edge(struct plan_work *w, uint32_t u, uint32_t v)
{
    set_bit(w->adj[u], v);
    if (test_bit(w->reach[u], v))
        return; /* already implied: ancestors of u reach v and its descendants */
    uint64_t add[SET_WORDS];
    for (uint32_t k = 0; k < SET_WORDS; k++)
        add[k] = w->reach[v][k];
    set_bit(add, v);
    for (uint32_t x = 1; x < RILL_MAX_CLIENTS; x++) {
        if (x != u && !test_bit(w->reach[x], u))
            continue;
        for (uint32_t k = 0; k < SET_WORDS; k++)
            w->reach[x][k] |= add[k];
    }
}

/* Steps 1-3: nodes, sorted connections, edges and feedback marks. Main thread. */
static void build_edges(const struct rill_shm_registry *reg, struct plan_work *w,
                        uint32_t *nkeys)
{
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS; s++) {
        const struct rill_shm_client *c = &reg->clients[s];
        w->is_node[s] = c->in_use && c->active && !(c->flags & RILL_CLIENT_CONTROL);
    }

    uint32_t n = 0;
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
        if (!reg->conns[i].in_use)
            continue;
        w->keys[n].serial = reg->conns[i].serial;
        w->keys[n].slot = i;
        n++;
    }
    qsort(w->keys, n, sizeof w->keys[0], conn_key_cmp);
    *nkeys = n;

    for (uint32_t k = 0; k < n; k++) {
        const struct rill_shm_conn *c = &reg->conns[w->keys[k].slot];
        uint32_t u = port_owner(reg, w, c->src, RILL_PORT_IS_OUTPUT);
        uint32_t v = port_owner(reg, w, c->dst, RILL_PORT_IS_INPUT);
        if (u == RILL_PLAN_NONE || v == RILL_PLAN_NONE) {
            w->role[k] = CONN_OUT;
        } else if (u == RILL_ENGINE_NODE || v == RILL_ENGINE_NODE) {
            w->role[k] = CONN_SOURCE;
            if (u != RILL_ENGINE_NODE)
                w->feeds_engine[u] = 1;
        } else if (u == v || test_bit(w->reach[v], u)) {
            w->role[k] = CONN_FEEDBACK;
        } else {
            w->role[k] = CONN_EDGE;
            add_edge(w, u, v);
        }
    }
}

/* Step 4: Kahn's order into w->order and out->nodes[].client/required,
 * out->node_index. Returns the node count, or -EDEADLK if the edges were
 * not acyclic (an internal error). Main thread. */
static int order_nodes(struct plan_work *w, struct rill_plan *out)
{
    uint32_t total = 0;
    for (uint32_t v = 1; v < RILL_MAX_CLIENTS; v++) {
        if (!w->is_node[v])
            continue;
        total++;
        uint32_t preds = 0;
        for (uint32_t u = 1; u < RILL_MAX_CLIENTS; u++)
            preds += (uint32_t)test_bit(w->adj[u], v);
        w->indeg[v] = preds;
        if (preds == 0)
            set_bit(w->ready, v);
    }

    uint32_t n = 0;
    while (n < total) {
        uint32_t u = RILL_PLAN_NONE;
        for (uint32_t k = 0; k < SET_WORDS && u == RILL_PLAN_NONE; k++)
            if (w->ready[k])
                u = k * 64u + (uint32_t)__builtin_ctzll(w->ready[k]);
        if (u == RILL_PLAN_NONE)
            return -EDEADLK;
        clear_bit(w->ready, u);
        w->order[n] = u;
        out->node_index[u] = n;
        out->nodes[n].client = u;
        n++;
        for (uint32_t k = 0; k < SET_WORDS; k++) {
            uint64_t bits = w->adj[u][k];
            while (bits) {
                uint32_t v = k * 64u + (uint32_t)__builtin_ctzll(bits);
                bits &= bits - 1;
                if (--w->indeg[v] == 0)
                    set_bit(w->ready, v);
            }
        }
    }
    return (int)n;
}

/* Inputs and outputs of one client (node or engine) into the plan, from the
 * ports grouped by owner. Returns 0 or -ENOSPC. Main thread. */
static int fill_ports(const struct rill_shm_registry *reg, struct plan_work *w,
                      struct rill_plan *out, uint32_t owner, struct rill_plan_node *pn)
{
    pn->in_first = out->ninputs;
    pn->out_first = out->noutputs;
    for (uint32_t i = w->owner_first[owner]; i < w->owner_first[owner + 1]; i++) {
        uint32_t id = w->owner_ports[i];
        if (port_owner(reg, w, id, RILL_PORT_IS_INPUT) == owner) {
            if (out->ninputs >= RILL_MAX_PORTS || out->nsrc + w->nsrc[id] > RILL_MAX_CONNECTIONS)
                return -ENOSPC;
            struct rill_plan_input *in = &out->inputs[out->ninputs++];
            in->port = id;
            in->src_first = out->nsrc;
            in->src_count = w->nsrc[id];
            in->feedback = w->nfb[id];
            w->cursor[id] = out->nsrc;
            out->nsrc += w->nsrc[id];
        } else if (port_owner(reg, w, id, RILL_PORT_IS_OUTPUT) == owner) {
            if (out->noutputs >= RILL_MAX_PORTS)
                return -ENOSPC;
            out->outputs[out->noutputs++] = id;
        }
    }
    pn->in_count = out->ninputs - pn->in_first;
    pn->out_count = out->noutputs - pn->out_first;
    return 0;
}

/* Step 5: successors, then ports and sources. Returns 0 or -ENOSPC. Main thread. */
static int fill_plan(const struct rill_shm_registry *reg, struct plan_work *w,
                     struct rill_plan *out, uint32_t nkeys)
{
    uint32_t n = out->nnodes;

    for (uint32_t k = 0; k < n; k++) {
        uint32_t u = w->order[k];
        struct rill_plan_node *pn = &out->nodes[k];
        pn->required = 0;
        for (uint32_t x = 1; x < RILL_MAX_CLIENTS; x++)
            pn->required += (uint32_t)test_bit(w->adj[x], u);
        pn->succ_first = out->nsucc;
        for (uint32_t j = k + 1; j < n; j++) {
            if (!test_bit(w->adj[u], w->order[j]))
                continue;
            if (out->nsucc >= RILL_PLAN_MAX_SUCC)
                return -ENOSPC;
            out->succ[out->nsucc++] = w->order[j];
        }
        if (w->feeds_engine[u] || out->nsucc == pn->succ_first) {
            if (out->nsucc >= RILL_PLAN_MAX_SUCC)
                return -ENOSPC;
            out->succ[out->nsucc++] = RILL_ENGINE_NODE;
            out->engine.required++;
        }
        pn->succ_count = out->nsucc - pn->succ_first;
    }

    /* ports grouped by owner, each group in id order (counting sort) */
    uint32_t count[RILL_MAX_CLIENTS] = {0};
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++)
        if (reg->ports[id].in_use && reg->ports[id].client < RILL_MAX_CLIENTS)
            count[reg->ports[id].client]++;
    w->owner_first[0] = 0;
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++) {
        w->owner_first[s + 1] = w->owner_first[s] + count[s];
        count[s] = w->owner_first[s];
    }
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++)
        if (reg->ports[id].in_use && reg->ports[id].client < RILL_MAX_CLIENTS)
            w->owner_ports[count[reg->ports[id].client]++] = id;

    /* sources per input port */
    for (uint32_t k = 0; k < nkeys; k++) {
        if (w->role[k] == CONN_OUT)
            continue;
        uint32_t dst = reg->conns[w->keys[k].slot].dst;
        w->nsrc[dst]++;
        w->nfb[dst] += w->role[k] == CONN_FEEDBACK;
    }

    /* the engine's ports first, then each node's in plan order */
    out->engine.client = RILL_ENGINE_NODE;
    int r = fill_ports(reg, w, out, RILL_ENGINE_NODE, &out->engine);
    for (uint32_t k = 0; k < n && r == 0; k++)
        r = fill_ports(reg, w, out, w->order[k], &out->nodes[k]);
    if (r < 0)
        return r;

    /* sources, in connection order within each input */
    for (uint32_t k = 0; k < nkeys; k++) {
        if (w->role[k] == CONN_OUT)
            continue;
        const struct rill_shm_conn *c = &reg->conns[w->keys[k].slot];
        out->src_node[w->cursor[c->dst]] = reg->ports[c->src].client;
        out->src_feedback[w->cursor[c->dst]] = w->role[k] == CONN_FEEDBACK;
        out->src[w->cursor[c->dst]++] = c->src;
    }
    out->nfeedback = 0;
    for (uint32_t k = 0; k < nkeys; k++)
        out->nfeedback += w->role[k] == CONN_FEEDBACK;
    return 0;
}

/* See engine/plan_compile.h. Main thread. */
int rill_plan_compile(const struct rill_shm_registry *reg, struct rill_plan *out, uint64_t gen,
                      uint8_t *feedback)
{
    int r;
    struct plan_work *w = NULL;

    if (!reg || !out) {
        r = -EINVAL;
        goto out;
    }
    w = calloc(1, sizeof *w);
    if (!w) {
        r = -ENOMEM;
        goto out;
    }

    memset(out, 0, sizeof *out);
    out->gen = gen;
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++)
        out->node_index[s] = RILL_PLAN_NONE;

    uint32_t nkeys = 0;
    build_edges(reg, w, &nkeys);
    r = order_nodes(w, out);
    if (r < 0)
        goto free_work;
    out->nnodes = (uint32_t)r;
    r = fill_plan(reg, w, out, nkeys);
    if (r == 0 && feedback) {
        memset(feedback, 0, RILL_MAX_CONNECTIONS);
        for (uint32_t k = 0; k < nkeys; k++)
            feedback[w->keys[k].slot] = w->role[k] == CONN_FEEDBACK;
    }

free_work:
    free(w);
out:
    return r;
}

/* See engine/plan_compile.h. Main thread. */
uint32_t rill_plan_store_feedback(struct rill_shm_registry *reg, const uint8_t *feedback)
{
    uint32_t changed = 0;
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        changed += reg->conns[i].in_use && reg->conns[i].feedback != feedback[i];
    if (!changed)
        return 0;
    /* one short section: a compare and a store per connection */
    rill_registry_write_begin(reg);
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (reg->conns[i].in_use && reg->conns[i].feedback != feedback[i])
            reg->conns[i].feedback = feedback[i];
    rill_registry_write_end(reg);
    return changed;
}
