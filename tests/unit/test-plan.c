/* tests/unit/test-plan.c — rill_plan_compile: order, required counts,
 * successors, feedback marks, inputs and sources.
 *
 * Each test builds a registry on the heap with the helpers below, compiles
 * it, checks what it is about, and runs check_invariants(), an independent
 * (slow, obvious) re-derivation of everything plan.h promises.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/plan_compile.h"

/* ---- registry helpers ---- */

struct tnode {
    uint32_t slot, in, out; /* a client with one input and one output port */
};

static struct rill_shm_registry *reg_new(void)
{
    struct rill_shm_registry *reg = calloc(1, sizeof *reg);
    assert_non_null(reg);
    reg->next_serial = 1;
    /* the engine's own client */
    reg->clients[0].in_use = 1;
    reg->clients[0].active = 1;
    snprintf(reg->clients[0].name, sizeof reg->clients[0].name, "system");
    return reg;
}

static void add_client(struct rill_shm_registry *reg, uint32_t slot, uint32_t active,
                       uint32_t flags)
{
    assert_true(slot < RILL_MAX_CLIENTS);
    struct rill_shm_client *c = &reg->clients[slot];
    c->in_use = 1;
    c->active = active;
    c->flags = flags;
    snprintf(c->name, sizeof c->name, "c%u", slot);
}

static uint32_t add_port(struct rill_shm_registry *reg, uint32_t client, uint32_t flags)
{
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        struct rill_shm_port *p = &reg->ports[id];
        if (p->in_use)
            continue;
        p->in_use = 1;
        p->client = client;
        p->flags = flags;
        p->type = RILL_PORT_TYPE_AUDIO;
        snprintf(p->name, sizeof p->name, "c%u:p%u", client, id);
        return id;
    }
    fail_msg("registry out of ports");
    return RILL_PLAN_NONE;
}

static uint32_t add_conn_at(struct rill_shm_registry *reg, uint32_t slot, uint32_t src,
                            uint32_t dst)
{
    assert_true(slot < RILL_MAX_CONNECTIONS);
    struct rill_shm_conn *c = &reg->conns[slot];
    assert_false(c->in_use);
    c->in_use = 1;
    c->src = src;
    c->dst = dst;
    c->feedback = 7; /* garbage: the compiler must overwrite it */
    c->serial = reg->next_serial++;
    return slot;
}

static uint32_t add_conn(struct rill_shm_registry *reg, uint32_t src, uint32_t dst)
{
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (!reg->conns[i].in_use)
            return add_conn_at(reg, i, src, dst);
    fail_msg("registry out of connections");
    return RILL_PLAN_NONE;
}

static struct tnode add_node(struct rill_shm_registry *reg, uint32_t slot)
{
    add_client(reg, slot, 1, 0);
    struct tnode n = {slot, 0, 0};
    n.in = add_port(reg, slot, RILL_PORT_IS_INPUT);
    n.out = add_port(reg, slot, RILL_PORT_IS_OUTPUT);
    return n;
}

static uint32_t link_nodes(struct rill_shm_registry *reg, struct tnode a, struct tnode b)
{
    return add_conn(reg, a.out, b.in);
}

/* ---- plan queries ---- */

static struct rill_plan *plan_new(void)
{
    struct rill_plan *p = malloc(sizeof *p);
    assert_non_null(p);
    memset(p, 0xa5, sizeof *p); /* garbage: the compiler must fill everything */
    return p;
}

static const struct rill_plan_node *pnode(const struct rill_plan *p, uint32_t slot)
{
    assert_true(slot < RILL_MAX_CLIENTS);
    uint32_t k = p->node_index[slot];
    if (k == RILL_PLAN_NONE || k >= p->nnodes)
        fail_msg("client %u is not in the plan", slot);
    assert_int_equal(p->nodes[k].client, slot);
    return &p->nodes[k];
}

static void expect_order(const struct rill_plan *p, const uint32_t *slots, uint32_t n)
{
    assert_int_equal(p->nnodes, n);
    for (uint32_t k = 0; k < n; k++)
        if (p->nodes[k].client != slots[k])
            fail_msg("plan position %u holds client %u, want %u", k, p->nodes[k].client,
                     slots[k]);
}

static void expect_succ(const struct rill_plan *p, uint32_t slot, const uint32_t *succ, uint32_t n)
{
    const struct rill_plan_node *pn = pnode(p, slot);
    if (pn->succ_count != n)
        fail_msg("client %u has %u successors, want %u", slot, pn->succ_count, n);
    for (uint32_t i = 0; i < n; i++)
        if (p->succ[pn->succ_first + i] != succ[i])
            fail_msg("client %u successor %u is %u, want %u", slot, i,
                     p->succ[pn->succ_first + i], succ[i]);
}

/* the plan input of port id (of a node or of the engine), or fail */
static const struct rill_plan_input *pinput(const struct rill_plan *p, uint32_t port)
{
    for (uint32_t i = 0; i < p->ninputs; i++)
        if (p->inputs[i].port == port)
            return &p->inputs[i];
    fail_msg("input port %u is not in the plan", port);
    return NULL;
}

static void expect_sources(const struct rill_plan *p, uint32_t port, const uint32_t *srcs,
                           uint32_t n, uint32_t nfeedback)
{
    const struct rill_plan_input *in = pinput(p, port);
    if (in->src_count != n)
        fail_msg("input %u has %u sources, want %u", port, in->src_count, n);
    assert_int_equal(in->feedback, nfeedback);
    for (uint32_t i = 0; i < n; i++)
        if (p->src[in->src_first + i] != srcs[i])
            fail_msg("input %u source %u is port %u, want %u", port, i, p->src[in->src_first + i],
                     srcs[i]);
}

/* ---- the invariants, re-derived the slow way ---- */

static int is_node(const struct rill_shm_registry *reg, uint32_t s)
{
    const struct rill_shm_client *c = &reg->clients[s];
    return s != 0 && s < RILL_MAX_CLIENTS && c->in_use && c->active &&
           !(c->flags & RILL_CLIENT_CONTROL);
}

/* owner of a usable port with direction dir, node or engine; else NONE */
static uint32_t owner(const struct rill_shm_registry *reg, uint32_t id, uint32_t dir)
{
    if (id >= RILL_MAX_PORTS || !reg->ports[id].in_use)
        return RILL_PLAN_NONE;
    const struct rill_shm_port *pt = &reg->ports[id];
    uint32_t d = (pt->flags & RILL_PORT_IS_INPUT)    ? RILL_PORT_IS_INPUT
                 : (pt->flags & RILL_PORT_IS_OUTPUT) ? RILL_PORT_IS_OUTPUT
                                                     : 0;
    if (d != dir || pt->client >= RILL_MAX_CLIENTS)
        return RILL_PLAN_NONE;
    if (pt->client != 0 && !is_node(reg, pt->client))
        return RILL_PLAN_NONE;
    return pt->client;
}

/* does a reach b over non-feedback node edges (DFS with an explicit stack) */
static int reaches(const struct rill_shm_registry *reg, uint32_t a, uint32_t b)
{
    static uint8_t seen[RILL_MAX_CLIENTS];
    static uint32_t stack[RILL_MAX_CLIENTS];
    memset(seen, 0, sizeof seen);
    uint32_t top = 0;
    stack[top++] = a;
    seen[a] = 1;
    while (top) {
        uint32_t x = stack[--top];
        if (x == b)
            return 1;
        for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
            const struct rill_shm_conn *c = &reg->conns[i];
            if (!c->in_use || c->feedback)
                continue;
            uint32_t u = owner(reg, c->src, RILL_PORT_IS_OUTPUT);
            uint32_t v = owner(reg, c->dst, RILL_PORT_IS_INPUT);
            if (u != x || v == RILL_PLAN_NONE || v == 0 || seen[v])
                continue;
            seen[v] = 1;
            stack[top++] = v;
        }
    }
    return 0;
}

static void check_ports_of(const struct rill_shm_registry *reg, const struct rill_plan *p,
                           uint32_t slot, const struct rill_plan_node *pn)
{
    uint32_t ki = 0, ko = 0;
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        if (owner(reg, id, RILL_PORT_IS_INPUT) == slot) {
            assert_true(ki < pn->in_count);
            const struct rill_plan_input *in = &p->inputs[pn->in_first + ki++];
            assert_int_equal(in->port, id);
            /* sources: in-use conns into id from usable outputs, by serial */
            uint64_t last = 0;
            uint32_t n = 0, fb = 0;
            for (;;) {
                uint64_t best = UINT64_MAX;
                uint32_t bi = RILL_PLAN_NONE;
                for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
                    const struct rill_shm_conn *c = &reg->conns[i];
                    if (c->in_use && c->dst == id && c->serial > last && c->serial < best &&
                        owner(reg, c->src, RILL_PORT_IS_OUTPUT) != RILL_PLAN_NONE) {
                        best = c->serial;
                        bi = i;
                    }
                }
                if (bi == RILL_PLAN_NONE)
                    break;
                assert_true(n < in->src_count);
                assert_int_equal(p->src[in->src_first + n], reg->conns[bi].src);
                assert_int_equal(p->src_feedback[in->src_first + n], reg->conns[bi].feedback);
                fb += reg->conns[bi].feedback;
                n++;
                last = best;
            }
            assert_int_equal(in->src_count, n);
            assert_int_equal(in->feedback, fb);
        } else if (owner(reg, id, RILL_PORT_IS_OUTPUT) == slot) {
            assert_true(ko < pn->out_count);
            assert_int_equal(p->outputs[pn->out_first + ko++], id);
        }
    }
    assert_int_equal(pn->in_count, ki);
    assert_int_equal(pn->out_count, ko);
}

static void check_invariants(const struct rill_shm_registry *reg, const struct rill_plan *p)
{
    uint32_t count = 0;
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++) {
        if (is_node(reg, s)) {
            count++;
            pnode(p, s);
        } else {
            assert_int_equal(p->node_index[s], RILL_PLAN_NONE);
        }
    }
    assert_int_equal(p->nnodes, count);

    /* feedback marks and edge direction */
    uint32_t nfb = 0;
    uint8_t *edge = calloc(RILL_MAX_CLIENTS * RILL_MAX_CLIENTS, 1);
    uint8_t *feeds = calloc(RILL_MAX_CLIENTS, 1);
    assert_non_null(edge);
    assert_non_null(feeds);
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
        const struct rill_shm_conn *c = &reg->conns[i];
        if (!c->in_use)
            continue;
        assert_true(c->feedback == 0 || c->feedback == 1);
        uint32_t u = owner(reg, c->src, RILL_PORT_IS_OUTPUT);
        uint32_t v = owner(reg, c->dst, RILL_PORT_IS_INPUT);
        if (u == RILL_PLAN_NONE || v == RILL_PLAN_NONE || u == 0 || v == 0) {
            assert_int_equal(c->feedback, 0);
            if (u != RILL_PLAN_NONE && u != 0 && v == 0)
                feeds[u] = 1;
            continue;
        }
        if (c->feedback) {
            nfb++;
            /* it must really close a cycle */
            if (u != v && !reaches(reg, v, u))
                fail_msg("connection %u (%u -> %u) is feedback without a cycle", i, u, v);
        } else {
            if (p->node_index[u] >= p->node_index[v])
                fail_msg("edge %u -> %u goes backwards in the plan (%u >= %u)", u, v,
                         p->node_index[u], p->node_index[v]);
            edge[u * RILL_MAX_CLIENTS + v] = 1;
        }
    }
    assert_int_equal(p->nfeedback, nfb);

    /* required, successors, engine.required */
    uint32_t engine_required = 0;
    for (uint32_t k = 0; k < p->nnodes; k++) {
        const struct rill_plan_node *pn = &p->nodes[k];
        uint32_t v = pn->client, preds = 0;
        for (uint32_t u = 1; u < RILL_MAX_CLIENTS; u++)
            preds += edge[u * RILL_MAX_CLIENTS + v];
        if (pn->required != preds)
            fail_msg("client %u: required %u, want %u", v, pn->required, preds);
        uint32_t n = 0;
        for (uint32_t j = 0; j < p->nnodes; j++) {
            if (!edge[v * RILL_MAX_CLIENTS + p->nodes[j].client])
                continue;
            assert_true(n < pn->succ_count);
            assert_int_equal(p->succ[pn->succ_first + n], p->nodes[j].client);
            n++;
        }
        if (feeds[v] || n == 0) {
            assert_int_equal(pn->succ_count, n + 1);
            assert_int_equal(p->succ[pn->succ_first + n], RILL_ENGINE_NODE);
            engine_required++;
        } else {
            assert_int_equal(pn->succ_count, n);
        }
        check_ports_of(reg, p, v, pn);
    }
    assert_int_equal(p->engine.required, engine_required);
    assert_int_equal(p->engine.client, RILL_ENGINE_NODE);
    check_ports_of(reg, p, 0, &p->engine);
    free(feeds);
    free(edge);
}

static struct rill_plan *compile(struct rill_shm_registry *reg, uint64_t gen)
{
    struct rill_plan *p = plan_new();
    static uint8_t feedback[RILL_MAX_CONNECTIONS];
    uint32_t seq = atomic_load(&reg->seq);
    int r = rill_plan_compile(reg, p, gen, feedback);
    if (r != 0)
        fail_msg("rill_plan_compile returned %d", r);
    /* the compile only reads the registry: its seqlock did not move */
    assert_int_equal(atomic_load(&reg->seq), seq);
    rill_plan_store_feedback(reg, feedback);
    assert_int_equal(p->gen, gen);
    check_invariants(reg, p);
    return p;
}

/* ---- tests ---- */

static void test_chain_order(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode a = add_node(reg, 5), b = add_node(reg, 2), c = add_node(reg, 9),
                 d = add_node(reg, 3);
    link_nodes(reg, a, b);
    link_nodes(reg, c, d);
    link_nodes(reg, b, c);
    struct rill_plan *p = compile(reg, 42);
    expect_order(p, (const uint32_t[]){5, 2, 9, 3}, 4);
    assert_int_equal(pnode(p, 5)->required, 0);
    assert_int_equal(pnode(p, 2)->required, 1);
    assert_int_equal(pnode(p, 9)->required, 1);
    assert_int_equal(pnode(p, 3)->required, 1);
    expect_succ(p, 5, (const uint32_t[]){2}, 1);
    expect_succ(p, 2, (const uint32_t[]){9}, 1);
    expect_succ(p, 9, (const uint32_t[]){3}, 1);
    expect_succ(p, 3, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    assert_int_equal(p->engine.required, 1);
    assert_int_equal(p->node_index[0], RILL_PLAN_NONE);
    assert_int_equal(p->nfeedback, 0);
    free(p);
    free(reg);
}

static void test_parallel_chains(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode a1 = add_node(reg, 4), a2 = add_node(reg, 1);
    struct tnode b1 = add_node(reg, 3), b2 = add_node(reg, 2);
    link_nodes(reg, a1, a2);
    link_nodes(reg, b1, b2);
    struct rill_plan *p = compile(reg, 1);
    /* ready {3, 4}: 3 first (lowest slot), then {2, 4}: 2, then 4, 1 */
    expect_order(p, (const uint32_t[]){3, 2, 4, 1}, 4);
    assert_int_equal(pnode(p, 4)->required, 0);
    assert_int_equal(pnode(p, 3)->required, 0);
    assert_int_equal(pnode(p, 1)->required, 1);
    assert_int_equal(pnode(p, 2)->required, 1);
    assert_int_equal(p->engine.required, 2);
    free(p);
    free(reg);
}

static void test_diamond(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode top = add_node(reg, 1), l = add_node(reg, 3), r = add_node(reg, 2),
                 join = add_node(reg, 4);
    link_nodes(reg, top, l);
    link_nodes(reg, top, r);
    link_nodes(reg, l, join);
    link_nodes(reg, r, join);
    struct rill_plan *p = compile(reg, 1);
    expect_order(p, (const uint32_t[]){1, 2, 3, 4}, 4);
    assert_int_equal(pnode(p, 1)->required, 0);
    assert_int_equal(pnode(p, 2)->required, 1);
    assert_int_equal(pnode(p, 3)->required, 1);
    assert_int_equal(pnode(p, 4)->required, 2);
    expect_succ(p, 1, (const uint32_t[]){2, 3}, 2); /* plan order, not creation order */
    expect_succ(p, 2, (const uint32_t[]){4}, 1);
    expect_succ(p, 3, (const uint32_t[]){4}, 1);
    expect_succ(p, 4, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    assert_int_equal(p->engine.required, 1);
    expect_sources(p, join.in, (const uint32_t[]){l.out, r.out}, 2, 0);
    free(p);
    free(reg);
}

static void test_fan_out(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode src = add_node(reg, 8), x = add_node(reg, 6), y = add_node(reg, 2),
                 z = add_node(reg, 9);
    link_nodes(reg, src, z);
    link_nodes(reg, src, x);
    link_nodes(reg, src, y);
    struct rill_plan *p = compile(reg, 1);
    expect_order(p, (const uint32_t[]){8, 2, 6, 9}, 4);
    expect_succ(p, 8, (const uint32_t[]){2, 6, 9}, 3);
    expect_succ(p, 2, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    expect_succ(p, 6, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    expect_succ(p, 9, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    assert_int_equal(p->engine.required, 3);
    for (uint32_t s = 2; s <= 9; s += 7)
        assert_int_equal(pnode(p, s)->required, 1);
    /* one output read by three inputs */
    expect_sources(p, x.in, (const uint32_t[]){src.out}, 1, 0);
    expect_sources(p, y.in, (const uint32_t[]){src.out}, 1, 0);
    expect_sources(p, z.in, (const uint32_t[]){src.out}, 1, 0);
    free(p);
    free(reg);
}

static void test_fan_in(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode sink = add_node(reg, 1), a = add_node(reg, 5), b = add_node(reg, 3),
                 c = add_node(reg, 7);
    link_nodes(reg, a, sink);
    link_nodes(reg, b, sink);
    link_nodes(reg, c, sink);
    struct rill_plan *p = compile(reg, 1);
    expect_order(p, (const uint32_t[]){3, 5, 7, 1}, 4);
    assert_int_equal(pnode(p, 1)->required, 3);
    expect_succ(p, 3, (const uint32_t[]){1}, 1);
    expect_succ(p, 5, (const uint32_t[]){1}, 1);
    expect_succ(p, 7, (const uint32_t[]){1}, 1);
    expect_succ(p, 1, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    assert_int_equal(p->engine.required, 1);
    expect_sources(p, sink.in, (const uint32_t[]){a.out, b.out, c.out}, 3, 0);
    free(p);
    free(reg);
}

static void test_engine_successor_and_system_ports(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    uint32_t cap1 = add_port(reg, 0, RILL_PORT_IS_OUTPUT | RILL_PORT_IS_PHYSICAL);
    uint32_t cap2 = add_port(reg, 0, RILL_PORT_IS_OUTPUT | RILL_PORT_IS_PHYSICAL);
    uint32_t pb1 = add_port(reg, 0, RILL_PORT_IS_INPUT | RILL_PORT_IS_PHYSICAL);
    uint32_t pb2 = add_port(reg, 0, RILL_PORT_IS_INPUT | RILL_PORT_IS_PHYSICAL);
    struct tnode fx = add_node(reg, 1), rec = add_node(reg, 2), mon = add_node(reg, 3);
    add_conn(reg, cap1, fx.in);    /* capture feeds fx: no required count */
    link_nodes(reg, fx, rec);      /* fx -> rec */
    add_conn(reg, fx.out, pb1);    /* fx also to playback */
    add_conn(reg, mon.out, pb1);   /* a second source on playback 1 */
    add_conn(reg, cap2, pb2);      /* capture straight to playback */
    struct rill_plan *p = compile(reg, 1);
    expect_order(p, (const uint32_t[]){1, 2, 3}, 3);
    assert_int_equal(pnode(p, 1)->required, 0);
    assert_int_equal(pnode(p, 2)->required, 1);
    expect_succ(p, 1, (const uint32_t[]){2, RILL_ENGINE_NODE}, 2);
    expect_succ(p, 2, (const uint32_t[]){RILL_ENGINE_NODE}, 1); /* sink */
    expect_succ(p, 3, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    assert_int_equal(p->engine.required, 3);
    /* engine inputs: playback ports with sources; outputs: capture ports */
    assert_int_equal(p->engine.in_count, 2);
    assert_int_equal(p->inputs[p->engine.in_first].port, pb1);
    assert_int_equal(p->inputs[p->engine.in_first + 1].port, pb2);
    expect_sources(p, pb1, (const uint32_t[]){fx.out, mon.out}, 2, 0);
    expect_sources(p, pb2, (const uint32_t[]){cap2}, 1, 0);
    assert_int_equal(p->engine.out_count, 2);
    assert_int_equal(p->outputs[p->engine.out_first], cap1);
    assert_int_equal(p->outputs[p->engine.out_first + 1], cap2);
    expect_sources(p, fx.in, (const uint32_t[]){cap1}, 1, 0);
    expect_sources(p, mon.in, NULL, 0, 0);
    free(p);
    free(reg);
}

static void test_empty_graph(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    add_port(reg, 0, RILL_PORT_IS_OUTPUT);
    struct rill_plan *p = compile(reg, 9);
    assert_int_equal(p->nnodes, 0);
    assert_int_equal(p->engine.required, 0);
    assert_int_equal(p->engine.out_count, 1);
    free(p);
    free(reg);
}

static void test_feedback_two_nodes(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode a = add_node(reg, 2), b = add_node(reg, 1);
    uint32_t fwd = link_nodes(reg, a, b);
    uint32_t back = link_nodes(reg, b, a); /* made last: the feedback one */
    struct rill_plan *p = compile(reg, 1);
    assert_int_equal(reg->conns[fwd].feedback, 0);
    assert_int_equal(reg->conns[back].feedback, 1);
    assert_int_equal(p->nfeedback, 1);
    expect_order(p, (const uint32_t[]){2, 1}, 2); /* a before b despite slots */
    assert_int_equal(pnode(p, 2)->required, 0);
    assert_int_equal(pnode(p, 1)->required, 1);
    expect_succ(p, 2, (const uint32_t[]){1}, 1);
    expect_succ(p, 1, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    expect_sources(p, a.in, (const uint32_t[]){b.out}, 1, 1);
    expect_sources(p, b.in, (const uint32_t[]){a.out}, 1, 0);

    /* recompiling is stable */
    struct rill_plan *q = compile(reg, 2);
    assert_int_equal(reg->conns[back].feedback, 1);
    expect_order(q, (const uint32_t[]){2, 1}, 2);
    free(q);
    free(p);
    free(reg);
}

static void test_feedback_three_nodes_by_serial(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode a = add_node(reg, 3), b = add_node(reg, 1), c = add_node(reg, 2);
    /* slots chosen so that slot order differs from serial order */
    uint32_t ab = add_conn_at(reg, 100, a.out, b.in);
    uint32_t bc = add_conn_at(reg, 50, b.out, c.in);
    uint32_t ca = add_conn_at(reg, 0, c.out, a.in); /* last made, lowest slot */
    struct rill_plan *p = compile(reg, 1);
    assert_int_equal(reg->conns[ab].feedback, 0);
    assert_int_equal(reg->conns[bc].feedback, 0);
    assert_int_equal(reg->conns[ca].feedback, 1);
    expect_order(p, (const uint32_t[]){3, 1, 2}, 3);
    assert_int_equal(pnode(p, 3)->required, 0); /* the feedback edge does not count */
    assert_int_equal(pnode(p, 1)->required, 1);
    assert_int_equal(pnode(p, 2)->required, 1);
    expect_succ(p, 2, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    assert_int_equal(p->engine.required, 1);
    expect_sources(p, a.in, (const uint32_t[]){c.out}, 1, 1);

    /* removing a cycle edge clears the mark on the next compile */
    reg->conns[bc].in_use = 0;
    struct rill_plan *q = compile(reg, 2);
    assert_int_equal(reg->conns[ca].feedback, 0);
    expect_order(q, (const uint32_t[]){2, 3, 1}, 3); /* c -> a -> b */
    assert_int_equal(q->nfeedback, 0);
    free(q);
    free(p);
    free(reg);
}

static void test_self_connection(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode a = add_node(reg, 1), b = add_node(reg, 2);
    uint32_t self = link_nodes(reg, a, a);
    uint32_t ab = link_nodes(reg, a, b);
    struct rill_plan *p = compile(reg, 1);
    assert_int_equal(reg->conns[self].feedback, 1);
    assert_int_equal(reg->conns[ab].feedback, 0);
    assert_int_equal(p->nfeedback, 1);
    assert_int_equal(pnode(p, 1)->required, 0);
    expect_succ(p, 1, (const uint32_t[]){2}, 1);
    expect_sources(p, a.in, (const uint32_t[]){a.out}, 1, 1);

    /* a lone node connected to itself is a sink */
    struct rill_shm_registry *reg2 = reg_new();
    struct tnode s = add_node(reg2, 7);
    link_nodes(reg2, s, s);
    struct rill_plan *q = compile(reg2, 1);
    expect_succ(q, 7, (const uint32_t[]){RILL_ENGINE_NODE}, 1);
    assert_int_equal(pnode(q, 7)->required, 0);
    free(q);
    free(reg2);
    free(p);
    free(reg);
}

static void test_inactive_and_control_left_out(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode a = add_node(reg, 1), b = add_node(reg, 4);
    add_client(reg, 2, 0, 0);                   /* registered, not active */
    add_client(reg, 3, 1, RILL_CLIENT_CONTROL); /* rillctl */
    uint32_t in2 = add_port(reg, 2, RILL_PORT_IS_INPUT);
    uint32_t out2 = add_port(reg, 2, RILL_PORT_IS_OUTPUT);
    uint32_t out3 = add_port(reg, 3, RILL_PORT_IS_OUTPUT);
    /* a port whose owner slot is not in use at all */
    uint32_t ghost = add_port(reg, 9, RILL_PORT_IS_OUTPUT);
    add_conn(reg, a.out, in2);   /* into an inactive client */
    add_conn(reg, out2, b.in);   /* from an inactive client */
    add_conn(reg, out3, b.in);   /* from a control client */
    add_conn(reg, ghost, b.in);
    add_conn(reg, a.out, b.in);  /* the only one that counts */
    struct rill_plan *p = compile(reg, 1);
    expect_order(p, (const uint32_t[]){1, 4}, 2);
    assert_int_equal(p->node_index[2], RILL_PLAN_NONE);
    assert_int_equal(p->node_index[3], RILL_PLAN_NONE);
    assert_int_equal(p->node_index[9], RILL_PLAN_NONE);
    expect_succ(p, 1, (const uint32_t[]){4}, 1);
    assert_int_equal(pnode(p, 4)->required, 1);
    expect_sources(p, b.in, (const uint32_t[]){a.out}, 1, 0);
    for (uint32_t i = 0; i < p->ninputs; i++)
        assert_int_not_equal(p->inputs[i].port, in2);
    for (uint32_t i = 0; i < p->noutputs; i++)
        assert_true(p->outputs[i] != out2 && p->outputs[i] != out3);

    /* activating client 2 brings it in */
    reg->clients[2].active = 1;
    struct rill_plan *q = compile(reg, 2);
    expect_order(q, (const uint32_t[]){1, 2, 4}, 3);
    assert_int_equal(pnode(q, 4)->required, 2);
    free(q);
    free(p);
    free(reg);
}

static void test_bad_registry_entries(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode a = add_node(reg, 1), b = add_node(reg, 2);
    uint32_t c1 = add_conn(reg, RILL_MAX_PORTS + 5, b.in); /* out of range */
    uint32_t c2 = add_conn(reg, b.in, a.in);               /* src is an input */
    uint32_t c3 = add_conn(reg, a.out, b.out);             /* dst is an output */
    uint32_t c4 = add_conn(reg, 4000, b.in);               /* port not in use */
    reg->ports[a.out].client = RILL_MAX_CLIENTS + 3;        /* corrupt owner */
    uint32_t c5 = add_conn(reg, a.out, b.in);
    struct rill_plan *p = compile(reg, 1);
    for (uint32_t c = c1; c <= c5; c++)
        assert_int_equal(reg->conns[c].feedback, 0);
    (void)c2, (void)c3, (void)c4;
    assert_int_equal(pnode(p, 2)->required, 0);
    expect_sources(p, b.in, NULL, 0, 0);
    assert_int_equal(rill_plan_compile(NULL, p, 1, NULL), -EINVAL);
    assert_int_equal(rill_plan_compile(reg, NULL, 1, NULL), -EINVAL);
    free(p);
    free(reg);
}

static void test_multiple_port_connections_one_edge(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    add_client(reg, 1, 1, 0);
    add_client(reg, 2, 1, 0);
    uint32_t oL = add_port(reg, 1, RILL_PORT_IS_OUTPUT), oR = add_port(reg, 1, RILL_PORT_IS_OUTPUT);
    uint32_t iL = add_port(reg, 2, RILL_PORT_IS_INPUT), iR = add_port(reg, 2, RILL_PORT_IS_INPUT);
    add_conn(reg, oL, iL);
    add_conn(reg, oR, iR);
    add_conn(reg, oR, iL);
    add_conn(reg, oL, iR);
    struct rill_plan *p = compile(reg, 1);
    expect_succ(p, 1, (const uint32_t[]){2}, 1);
    assert_int_equal(pnode(p, 2)->required, 1);
    assert_int_equal(p->nfeedback, 0);
    expect_sources(p, iL, (const uint32_t[]){oL, oR}, 2, 0);
    expect_sources(p, iR, (const uint32_t[]){oR, oL}, 2, 0);
    assert_int_equal(pnode(p, 1)->out_count, 2);
    assert_int_equal(pnode(p, 2)->in_count, 2);
    free(p);
    free(reg);
}

static void test_sources_in_connection_order(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    uint32_t cap = add_port(reg, 0, RILL_PORT_IS_OUTPUT);
    struct tnode a = add_node(reg, 1), b = add_node(reg, 2), c = add_node(reg, 3),
                 sink = add_node(reg, 4);
    /* created c, cap, a, b; stored in slots in the opposite order */
    add_conn_at(reg, 40, c.out, sink.in);
    add_conn_at(reg, 30, cap, sink.in);
    add_conn_at(reg, 20, a.out, sink.in);
    add_conn_at(reg, 10, b.out, sink.in);
    struct rill_plan *p = compile(reg, 1);
    expect_sources(p, sink.in, (const uint32_t[]){c.out, cap, a.out, b.out}, 4, 0);
    assert_int_equal(pnode(p, 4)->required, 3); /* the engine does not count */
    free(p);
    free(reg);
}

/* ---- larger graphs ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)((rng_state >> 11) % n);
}

/* a random permutation of the slots 1..n */
static void random_slots(uint32_t *slots, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        slots[i] = i + 1;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rnd(i + 1), t = slots[i];
        slots[i] = slots[j];
        slots[j] = t;
    }
}

static void test_chain_256(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    uint32_t slots[256];
    struct tnode nodes[256];
    random_slots(slots, 256);
    for (uint32_t i = 0; i < 256; i++)
        nodes[i] = add_node(reg, slots[i]);
    /* links created in a shuffled order */
    uint32_t perm[255];
    random_slots(perm, 255);
    for (uint32_t i = 0; i < 255; i++) {
        uint32_t k = perm[i] - 1;
        link_nodes(reg, nodes[k], nodes[k + 1]);
    }
    struct rill_plan *p = compile(reg, 1);
    expect_order(p, slots, 256);
    assert_int_equal(p->engine.required, 1);
    assert_int_equal(p->nfeedback, 0);
    free(p);
    free(reg);
}

static void test_random_dag_256(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    uint32_t slots[256];
    struct tnode nodes[256];
    random_slots(slots, 256);
    for (uint32_t i = 0; i < 256; i++)
        nodes[i] = add_node(reg, slots[i]);
    uint32_t pb = add_port(reg, 0, RILL_PORT_IS_INPUT);
    /* edges only from lower to higher index in slots[]: acyclic */
    for (uint32_t e = 0; e < 1500; e++) {
        uint32_t i = rnd(255), j = i + 1 + rnd(255 - i);
        link_nodes(reg, nodes[i], nodes[j]);
    }
    for (uint32_t e = 0; e < 20; e++)
        add_conn(reg, nodes[rnd(256)].out, pb);
    struct rill_plan *p = compile(reg, 1); /* check_invariants does the work */
    assert_int_equal(p->nnodes, 256);
    assert_int_equal(p->nfeedback, 0);
    free(p);
    free(reg);
}

/* random connections, cycles included: every feedback mark must close a
 * real cycle and every other edge must go forward (check_invariants) */
static void test_random_graph_with_cycles(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    struct tnode nodes[64];
    for (uint32_t i = 0; i < 64; i++)
        nodes[i] = add_node(reg, i + 1);
    for (uint32_t e = 0; e < 300; e++)
        link_nodes(reg, nodes[rnd(64)], nodes[rnd(64)]);
    struct rill_plan *p = compile(reg, 1);
    assert_true(p->nfeedback > 0);
    free(p);
    free(reg);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* the limits: 511 clients, 4096 ports, 8192 connections. Not a timed
 * assertion, only a bound against a blow-up (the target is well under 50 ms). */
static void test_full_size_timing(void **state)
{
    (void)state;
    struct rill_shm_registry *reg = reg_new();
    uint32_t ins[511][4], outs[511][4];
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS; s++) {
        add_client(reg, s, 1, 0);
        for (uint32_t k = 0; k < 4; k++) {
            ins[s - 1][k] = add_port(reg, s, RILL_PORT_IS_INPUT);
            outs[s - 1][k] = add_port(reg, s, RILL_PORT_IS_OUTPUT);
        }
    }
    uint32_t pb = add_port(reg, 0, RILL_PORT_IS_INPUT);
    uint32_t cap = add_port(reg, 0, RILL_PORT_IS_OUTPUT);
    for (uint32_t e = 0; e < RILL_MAX_CONNECTIONS - 16; e++) {
        uint32_t u = rnd(511), v = rnd(511);
        add_conn(reg, outs[u][rnd(4)], ins[v][rnd(4)]);
    }
    for (uint32_t e = 0; e < 8; e++) {
        add_conn(reg, outs[rnd(511)][0], pb);
        add_conn(reg, cap, ins[rnd(511)][0]);
    }
    struct rill_plan *p = plan_new();
    double worst = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_ms();
        assert_int_equal(rill_plan_compile(reg, p, (uint64_t)rep, NULL), 0);
        double dt = now_ms() - t0;
        worst = dt > worst ? dt : worst;
    }
    print_message("full-size compile (511 nodes, 8192 connections): worst of 5 %.2f ms, "
                  "%u feedback\n", worst, p->nfeedback);
    assert_true(worst < 2000.0);
    assert_int_equal(p->nnodes, 511);
    free(p);

    /* a full-size DAG: many distinct edges, no feedback */
    struct rill_shm_registry *dag = reg_new();
    for (uint32_t s = 1; s < RILL_MAX_CLIENTS; s++) {
        add_client(dag, s, 1, 0);
        for (uint32_t k = 0; k < 4; k++) {
            ins[s - 1][k] = add_port(dag, s, RILL_PORT_IS_INPUT);
            outs[s - 1][k] = add_port(dag, s, RILL_PORT_IS_OUTPUT);
        }
    }
    for (uint32_t e = 0; e < RILL_MAX_CONNECTIONS; e++) {
        uint32_t u = rnd(510), v = u + 1 + rnd(510 - u);
        add_conn(dag, outs[u][rnd(4)], ins[v][rnd(4)]);
    }
    p = plan_new();
    double t0 = now_ms();
    assert_int_equal(rill_plan_compile(dag, p, 1, NULL), 0);
    double dt = now_ms() - t0;
    print_message("full-size DAG compile (511 nodes, 8192 connections): %.2f ms\n", dt);
    assert_true(dt < 2000.0);
    free(p);
    p = compile(dag, 2);
    assert_int_equal(p->nfeedback, 0);
    free(p);
    free(dag);
    free(reg);
}

/* the one range check of plan readers: no overflow, edges included */
static void test_range_checks(void **state)
{
    (void)state;
    assert_true(rill_plan_range_ok(0, 0, 0));
    assert_true(rill_plan_range_ok(0, 10, 10));
    assert_true(rill_plan_range_ok(10, 0, 10));
    assert_false(rill_plan_range_ok(11, 0, 10));
    assert_false(rill_plan_range_ok(5, 6, 10));
    /* first + count wraps around 2^32: still refused */
    assert_false(rill_plan_range_ok(0xfffffff0u, 0x20u, RILL_MAX_PORTS));
    assert_false(rill_plan_range_ok(1, 0xffffffffu, RILL_MAX_PORTS));

    struct rill_plan *p = calloc(1, sizeof *p);
    assert_non_null(p);
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++)
        p->node_index[s] = RILL_PLAN_NONE;
    p->nnodes = 2;
    p->nodes[1].client = 7;
    p->node_index[7] = 1;
    assert_ptr_equal(rill_plan_node_of(p, 7), &p->nodes[1]);
    assert_null(rill_plan_node_of(p, 8));
    assert_null(rill_plan_node_of(p, RILL_MAX_CLIENTS));
    p->node_index[8] = 1; /* points at another client's node */
    assert_null(rill_plan_node_of(p, 8));
    p->node_index[9] = 5; /* beyond nnodes */
    assert_null(rill_plan_node_of(p, 9));
    p->nnodes = 0xffffffffu; /* a garbage count is clamped */
    assert_int_equal(rill_plan_nnodes(p), RILL_MAX_CLIENTS);
    p->nodes[1].succ_first = RILL_PLAN_MAX_SUCC;
    p->nodes[1].succ_count = 1;
    assert_false(rill_plan_succ_ok(&p->nodes[1]));
    p->nodes[1].in_first = 1;
    p->nodes[1].in_count = RILL_MAX_PORTS;
    assert_false(rill_plan_inputs_ok(&p->nodes[1]));
    p->nodes[1].out_first = 0;
    p->nodes[1].out_count = RILL_MAX_PORTS;
    assert_true(rill_plan_outputs_ok(&p->nodes[1]));
    p->inputs[0].src_first = RILL_MAX_CONNECTIONS - 1;
    p->inputs[0].src_count = 2;
    assert_false(rill_plan_srcs_ok(&p->inputs[0]));
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_checks),
        cmocka_unit_test(test_chain_order),
        cmocka_unit_test(test_parallel_chains),
        cmocka_unit_test(test_diamond),
        cmocka_unit_test(test_fan_out),
        cmocka_unit_test(test_fan_in),
        cmocka_unit_test(test_engine_successor_and_system_ports),
        cmocka_unit_test(test_empty_graph),
        cmocka_unit_test(test_feedback_two_nodes),
        cmocka_unit_test(test_feedback_three_nodes_by_serial),
        cmocka_unit_test(test_self_connection),
        cmocka_unit_test(test_inactive_and_control_left_out),
        cmocka_unit_test(test_bad_registry_entries),
        cmocka_unit_test(test_multiple_port_connections_one_edge),
        cmocka_unit_test(test_sources_in_connection_order),
        cmocka_unit_test(test_chain_256),
        cmocka_unit_test(test_random_dag_256),
        cmocka_unit_test(test_random_graph_with_cycles),
        cmocka_unit_test(test_full_size_timing),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
