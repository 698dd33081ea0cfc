/* engine/latency.c — latency propagation over the registry (main thread
 * only; see latency.h for the rules). */
#include "engine/latency.h"

#include <stdlib.h>
#include <string.h>

#include "engine/registry.h"

/* A range that spans nothing yet; JACK's {UINT32_MAX, 0}. */
struct span {
    uint32_t min, max;
};

static void span_add(struct span *s, const uint32_t r[2])
{
    if (r[0] < s->min)
        s->min = r[0];
    if (r[1] > s->max)
        s->max = r[1];
}

static int is_node(const struct rill_shm_registry *reg, uint32_t slot)
{
    return slot != RILL_ENGINE_NODE && slot < RILL_MAX_CLIENTS && reg->clients[slot].in_use &&
           !(reg->clients[slot].flags & RILL_CLIENT_CONTROL);
}

static uint32_t reg_seq(const struct rill_shm_registry *reg)
{
    /* relaxed: the main thread is the only writer and reads its own value */
    return atomic_load_explicit(&((struct rill_shm_registry *)reg)->seq, memory_order_relaxed);
}

static void index_build(struct rill_latency *l, const struct rill_shm_registry *reg)
{
    if (l->ix.reg == reg && l->ix.seq == reg_seq(reg))
        return;
    memset(l->ix.first_port, 0xff, sizeof(l->ix.first_port));
    memset(l->ix.first_in, 0xff, sizeof(l->ix.first_in));
    memset(l->ix.first_out, 0xff, sizeof(l->ix.first_out));
    for (uint32_t id = RILL_MAX_PORTS; id-- > 0;) {
        const struct rill_shm_port *p = &reg->ports[id];
        if (!p->in_use || p->client >= RILL_MAX_CLIENTS)
            continue;
        l->ix.next_port[id] = l->ix.first_port[p->client];
        l->ix.first_port[p->client] = (int32_t)id;
    }
    for (uint32_t i = RILL_MAX_CONNECTIONS; i-- > 0;) {
        const struct rill_shm_conn *cn = &reg->conns[i];
        if (!cn->in_use || cn->src >= RILL_MAX_PORTS || cn->dst >= RILL_MAX_PORTS)
            continue;
        l->ix.next_in[i] = l->ix.first_in[cn->dst];
        l->ix.first_in[cn->dst] = (int32_t)i;
        l->ix.next_out[i] = l->ix.first_out[cn->src];
        l->ix.first_out[cn->src] = (int32_t)i;
    }
    l->ix.reg = reg;
    l->ix.seq = reg_seq(reg);
}

static void port_set(struct rill_latency *l, struct rill_shm_registry *reg, uint32_t id, int mode,
                     struct span sp)
{
    if (sp.min == UINT32_MAX)
        sp.min = 0;
    struct rill_shm_port *p = &reg->ports[id];
    if (p->latency[mode][0] == sp.min && p->latency[mode][1] == sp.max)
        return;
    int valid = l->ix.reg == reg && l->ix.seq == reg_seq(reg);
    rill_registry_write_begin(reg);
    p->latency[mode][0] = sp.min;
    p->latency[mode][1] = sp.max;
    rill_registry_write_end(reg);
    if (valid)
        l->ix.seq = reg_seq(reg); /* a value changed, not the structure */
}

/* Main thread. Kahn's algorithm over clients. */
uint32_t rill_latency_order(struct rill_latency *l, const struct rill_shm_registry *reg,
                            uint32_t *order, uint32_t max)
{
    uint32_t *indeg = l->indeg;
    uint8_t *done = l->done;
    memset(l->indeg, 0, sizeof(l->indeg));
    memset(l->done, 0, sizeof(l->done));
    index_build(l, reg);
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
        const struct rill_shm_conn *cn = &reg->conns[i];
        if (!cn->in_use || cn->feedback || cn->src >= RILL_MAX_PORTS || cn->dst >= RILL_MAX_PORTS)
            continue;
        uint32_t a = reg->ports[cn->src].client, b = reg->ports[cn->dst].client;
        if (a != b && is_node(reg, a) && is_node(reg, b))
            indeg[b]++;
    }
    uint32_t n = 0;
    for (int progress = 1; progress && n < max;) {
        progress = 0;
        for (uint32_t s = 1; s < RILL_MAX_CLIENTS && n < max; s++) {
            if (done[s] || !is_node(reg, s) || indeg[s])
                continue;
            done[s] = 1;
            order[n++] = s;
            progress = 1;
            for (int32_t id = l->ix.first_port[s]; id >= 0; id = l->ix.next_port[id])
                for (int32_t i = l->ix.first_out[id]; i >= 0; i = l->ix.next_out[i]) {
                    const struct rill_shm_conn *cn = &reg->conns[i];
                    uint32_t b = reg->ports[cn->dst].client;
                    if (!cn->feedback && b != s && is_node(reg, b) && indeg[b])
                        indeg[b]--;
                }
        }
    }
    /* whatever is left sits on a cycle: slot order */
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS && n < max; s++)
        if (!done[s] && is_node(reg, s))
            order[n++] = s;
    return n;
}

/* Main thread. */
void rill_latency_client_links(struct rill_latency *l, struct rill_shm_registry *reg, uint32_t slot,
                               int mode)
{
    /* capture: inputs from their sources; playback: outputs from their
     * destinations */
    uint32_t side = mode == RILL_LATENCY_CAPTURE ? RILL_PORT_IS_INPUT : RILL_PORT_IS_OUTPUT;
    if (slot >= RILL_MAX_CLIENTS)
        return;
    index_build(l, reg);
    for (int32_t id = l->ix.first_port[slot]; id >= 0; id = l->ix.next_port[id]) {
        if (!(reg->ports[id].flags & side))
            continue;
        struct span sp = { UINT32_MAX, 0 };
        if (side == RILL_PORT_IS_INPUT)
            for (int32_t i = l->ix.first_in[id]; i >= 0; i = l->ix.next_in[i])
                span_add(&sp, reg->ports[reg->conns[i].src].latency[mode]);
        else
            for (int32_t i = l->ix.first_out[id]; i >= 0; i = l->ix.next_out[i])
                span_add(&sp, reg->ports[reg->conns[i].dst].latency[mode]);
        port_set(l, reg, (uint32_t)id, mode, sp);
    }
}

/* Main thread. */
void rill_latency_client_default(struct rill_latency *l, struct rill_shm_registry *reg,
                                 uint32_t slot, int mode)
{
    uint32_t from = mode == RILL_LATENCY_CAPTURE ? RILL_PORT_IS_INPUT : RILL_PORT_IS_OUTPUT;
    uint32_t to = from == RILL_PORT_IS_INPUT ? RILL_PORT_IS_OUTPUT : RILL_PORT_IS_INPUT;
    struct span sp = { UINT32_MAX, 0 };
    if (slot >= RILL_MAX_CLIENTS)
        return;
    index_build(l, reg);
    for (int32_t id = l->ix.first_port[slot]; id >= 0; id = l->ix.next_port[id])
        if (reg->ports[id].flags & from)
            span_add(&sp, reg->ports[id].latency[mode]);
    for (int32_t id = l->ix.first_port[slot]; id >= 0; id = l->ix.next_port[id])
        if (reg->ports[id].flags & to)
            port_set(l, reg, (uint32_t)id, mode, sp);
}

/* Main thread. */
void rill_latency_compute_all(struct rill_latency *l, struct rill_shm_registry *reg)
{
    uint32_t *order = l->order;
    uint32_t n = rill_latency_order(l, reg, order, RILL_MAX_CLIENTS);
    for (uint32_t i = 0; i < n; i++) {
        rill_latency_client_links(l, reg, order[i], RILL_LATENCY_CAPTURE);
        rill_latency_client_default(l, reg, order[i], RILL_LATENCY_CAPTURE);
    }
    rill_latency_client_links(l, reg, RILL_ENGINE_NODE, RILL_LATENCY_CAPTURE);
    for (uint32_t i = n; i-- > 0;) {
        rill_latency_client_links(l, reg, order[i], RILL_LATENCY_PLAYBACK);
        rill_latency_client_default(l, reg, order[i], RILL_LATENCY_PLAYBACK);
    }
    rill_latency_client_links(l, reg, RILL_ENGINE_NODE, RILL_LATENCY_PLAYBACK);
}
