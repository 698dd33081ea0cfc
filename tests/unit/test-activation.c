/* tests/unit/test-activation.c — the activation counting protocol.
 *
 * rill/shm.h (struct rill_activation, rill_activation_release) and the
 * realtime cycle of clients/core/client.h, steps 1 and 6:
 *   engine, at cycle c: pending = (c << 32) | required for every node and
 *     for itself (record 0, required = plan.engine.required), then triggers
 *     the nodes with required 0 and sleeps on its own trigger;
 *   node: sleeps on its trigger, runs, finished = c, and for each successor
 *     s: rill_activation_release(&act[s], c) == 1 -> trigger s.
 *
 * The threaded tests never call cmocka from a worker thread: workers count
 * what went wrong in atomics and the test thread asserts after joining.
 */
#include <errno.h>
#include <pthread.h>
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
#include "rill/futex.h"
#include "rill/shm.h"

#define CYCLES 2000u
#define MAX_SLOT 8u /* node slots used by the threaded tests: 1..MAX_SLOT-1 */
#define WAIT_SECONDS 10

static struct rill_shm_activation *activation_new(void)
{
    struct rill_shm_activation *act =
        aligned_alloc(64, sizeof(struct rill_shm_activation));
    assert_non_null(act);
    memset(act, 0, sizeof *act);
    return act;
}

static uint64_t pending_word(uint64_t cycle, uint32_t count)
{
    return (cycle << 32) | count;
}

/* ---- single-threaded protocol checks ---- */

static void test_pending_reset_layout(void **state)
{
    (void)state;
    struct rill_shm_activation *act = activation_new();
    struct rill_activation *a = &act->node[3];
    atomic_store_explicit(&a->pending, pending_word(17, 3), memory_order_release);
    uint64_t v = atomic_load_explicit(&a->pending, memory_order_relaxed);
    assert_int_equal((uint32_t)(v >> 32), 17);
    assert_int_equal((uint32_t)v, 3);
    /* records are one cache line each */
    assert_int_equal(sizeof(struct rill_activation), 64);
    assert_int_equal((uintptr_t)&act->node[1] - (uintptr_t)&act->node[0], 64);
    assert_int_equal((uintptr_t)act % 64, 0);
    free(act);
}

static void test_release_once_at_zero(void **state)
{
    (void)state;
    struct rill_shm_activation *act = activation_new();
    struct rill_activation *a = &act->node[1];
    for (uint32_t required = 1; required <= 5; required++) {
        uint32_t c = 100 + required;
        atomic_store_explicit(&a->pending, pending_word(c, required), memory_order_release);
        uint32_t ones = 0;
        for (uint32_t i = 0; i < required; i++) {
            int r = rill_activation_release(a, c);
            assert_true(r == 0 || r == 1);
            ones += (uint32_t)r;
            /* only the last release returns 1 */
            assert_int_equal(r, i + 1 == required);
        }
        assert_int_equal(ones, 1);
        /* at zero: more releases return 0 and do not wrap */
        for (int i = 0; i < 3; i++)
            assert_int_equal(rill_activation_release(a, c), 0);
        assert_int_equal(atomic_load_explicit(&a->pending, memory_order_relaxed),
                         pending_word(c, 0));
    }
    /* a node with nothing upstream is never released, only triggered */
    atomic_store_explicit(&a->pending, pending_word(9, 0), memory_order_release);
    assert_int_equal(rill_activation_release(a, 9), 0);
    free(act);
}

static void test_stale_cycle_never_decrements(void **state)
{
    (void)state;
    struct rill_shm_activation *act = activation_new();
    struct rill_activation *a = &act->node[2];
    atomic_store_explicit(&a->pending, pending_word(7, 2), memory_order_release);
    assert_int_equal(rill_activation_release(a, 6), 0); /* late node of cycle 6 */
    assert_int_equal(rill_activation_release(a, 8), 0); /* a cycle not started */
    assert_int_equal(rill_activation_release(a, 0), 0);
    assert_int_equal(atomic_load_explicit(&a->pending, memory_order_relaxed),
                     pending_word(7, 2));
    assert_int_equal(rill_activation_release(a, 7), 0);
    assert_int_equal(rill_activation_release(a, 6), 0);
    assert_int_equal(rill_activation_release(a, 7), 1);

    /* the cycle in the word is the low 32 bits of the 64-bit counter */
    uint64_t big = UINT64_C(0x100000005);
    atomic_store_explicit(&a->pending, pending_word(big, 1), memory_order_release);
    assert_int_equal(rill_activation_release(a, 4), 0);
    assert_int_equal(rill_activation_release(a, (uint32_t)big), 1);
    free(act);
}

/* ---- concurrent releases of one word: exactly one winner ---- */

#define RACERS 4u
#define RACE_ROUNDS 2000u

struct race {
    struct rill_activation *a;
    pthread_barrier_t start;
    _Atomic uint32_t wins[RACE_ROUNDS + 1];
};

static void *race_thread(void *arg)
{
    struct race *r = arg;
    for (uint32_t c = 1; c <= RACE_ROUNDS; c++) {
        pthread_barrier_wait(&r->start); /* the word is set for cycle c */
        if (rill_activation_release(r->a, c))
            atomic_fetch_add_explicit(&r->wins[c], 1, memory_order_relaxed);
        pthread_barrier_wait(&r->start); /* everyone is done with cycle c */
    }
    return NULL;
}

static void test_concurrent_release_one_winner(void **state)
{
    (void)state;
    struct rill_shm_activation *act = activation_new();
    struct race *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->a = &act->node[5];
    assert_int_equal(pthread_barrier_init(&r->start, NULL, RACERS + 1), 0);
    pthread_t th[RACERS];
    for (uint32_t i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, r), 0);
    for (uint32_t c = 1; c <= RACE_ROUNDS; c++) {
        atomic_store_explicit(&r->a->pending, pending_word(c, RACERS), memory_order_release);
        pthread_barrier_wait(&r->start);
        pthread_barrier_wait(&r->start);
    }
    for (uint32_t i = 0; i < RACERS; i++)
        pthread_join(th[i], NULL);
    for (uint32_t c = 1; c <= RACE_ROUNDS; c++)
        if (atomic_load_explicit(&r->wins[c], memory_order_relaxed) != 1)
            fail_msg("round %u: %u releases returned 1, want exactly 1", c,
                     atomic_load_explicit(&r->wins[c], memory_order_relaxed));
    pthread_barrier_destroy(&r->start);
    free(r);
    free(act);
}

/* ---- the whole protocol: one thread per node, an engine thread ---- */

struct rig {
    struct rill_shm_activation *act;
    struct rill_plan *plan;
    uint32_t preds[MAX_SLOT][MAX_SLOT]; /* preds[v][k]: k-th upstream node of v */
    uint32_t npreds[MAX_SLOT];
    /* per cycle: a sequence counter and each node's start/end numbers in it */
    _Atomic uint32_t seq[CYCLES + 1];
    _Atomic uint32_t runs[CYCLES + 1][MAX_SLOT];
    _Atomic uint32_t start[CYCLES + 1][MAX_SLOT];
    _Atomic uint32_t end[CYCLES + 1][MAX_SLOT];
    _Atomic uint32_t engine_woke[CYCLES + 1];
    _Atomic uint32_t running;       /* nodes inside their process step now */
    _Atomic uint32_t overlaps;      /* times a node started while another ran */
    _Atomic uint32_t early;         /* node started before a predecessor finished */
    _Atomic uint32_t timeouts;      /* a futex wait hit its deadline */
    _Atomic uint32_t stale;         /* a trigger that was not the next cycle */
};

struct node_arg {
    struct rig *rig;
    uint32_t slot;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec deadline_in(int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += seconds;
    return ts;
}

/* Sleep until act->trigger differs from seen; returns the new value, or seen
 * on timeout (counted). seq_cst on sleeping and the re-read pairs with the
 * waker's seq_cst trigger store and sleeping load: one of the two sees the
 * other's write, so a wake-up is never lost. */
static uint32_t wait_trigger(struct rig *rig, struct rill_activation *a, uint32_t seen)
{
    struct timespec dl = deadline_in(WAIT_SECONDS);
    for (;;) {
        uint32_t t = atomic_load_explicit(&a->trigger, memory_order_acquire);
        if (t != seen)
            return t;
        atomic_store_explicit(&a->sleeping, 1, memory_order_seq_cst);
        t = atomic_load_explicit(&a->trigger, memory_order_seq_cst);
        int r = 0;
        if (t == seen)
            r = rill_futex_wait(&a->trigger, seen, &dl);
        atomic_store_explicit(&a->sleeping, 0, memory_order_relaxed);
        if (r == -ETIMEDOUT) {
            atomic_fetch_add_explicit(&rig->timeouts, 1, memory_order_relaxed);
            return seen;
        }
    }
}

/* trigger node s for cycle c (step 6 of client.h) */
static void trigger(struct rill_activation *a, uint32_t c)
{
    atomic_store_explicit(&a->signal_ns, mono_ns(), memory_order_relaxed);
    atomic_store_explicit(&a->trigger, c, memory_order_seq_cst);
    if (atomic_load_explicit(&a->sleeping, memory_order_seq_cst))
        rill_futex_wake(&a->trigger, 1);
}

static void *node_thread(void *arg)
{
    struct node_arg *na = arg;
    struct rig *rig = na->rig;
    uint32_t slot = na->slot;
    struct rill_activation *me = &rig->act->node[slot];
    const struct rill_plan *p = rig->plan;
    const struct rill_plan_node *pn = &p->nodes[p->node_index[slot]];
    uint32_t last = 0;

    for (;;) {
        uint32_t c = wait_trigger(rig, me, last);
        if (c == last || c == RILL_TRIGGER_QUIT)
            break; /* timeout or quit */
        if (c != last + 1 || c > CYCLES) {
            atomic_fetch_add_explicit(&rig->stale, 1, memory_order_relaxed);
            break;
        }
        last = c;
        atomic_store_explicit(&me->awake_ns, mono_ns(), memory_order_relaxed);

        /* every predecessor finished this cycle (acquire: pairs with its
         * release store of finished, before the release that woke us) */
        for (uint32_t k = 0; k < rig->npreds[slot]; k++) {
            uint32_t u = rig->preds[slot][k];
            if (atomic_load_explicit(&rig->act->node[u].finished, memory_order_acquire) != c)
                atomic_fetch_add_explicit(&rig->early, 1, memory_order_relaxed);
        }
        atomic_store_explicit(&rig->start[c][slot],
                              atomic_fetch_add_explicit(&rig->seq[c], 1, memory_order_acq_rel),
                              memory_order_relaxed);
        if (atomic_fetch_add_explicit(&rig->running, 1, memory_order_acq_rel) > 0)
            atomic_fetch_add_explicit(&rig->overlaps, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&rig->runs[c][slot], 1, memory_order_relaxed);
        /* a little work so that parallel branches have a chance to overlap */
        /* (volatile only keeps the compiler from deleting the loop) */
        volatile uint32_t sink = 0;
        for (uint32_t i = 0; i < 2000; i++)
            sink += i;
        atomic_fetch_sub_explicit(&rig->running, 1, memory_order_acq_rel);
        atomic_store_explicit(&rig->end[c][slot],
                              atomic_fetch_add_explicit(&rig->seq[c], 1, memory_order_acq_rel),
                              memory_order_relaxed);
        atomic_store_explicit(&me->finish_ns, mono_ns(), memory_order_relaxed);
        atomic_store_explicit(&me->finished, c, memory_order_release);

        for (uint32_t i = 0; i < pn->succ_count; i++) {
            uint32_t s = p->succ[pn->succ_first + i];
            if (s >= RILL_MAX_CLIENTS)
                continue;
            struct rill_activation *sa = &rig->act->node[s];
            if (rill_activation_release(sa, c))
                trigger(sa, c);
        }
    }
    return NULL;
}

static void *engine_thread(void *arg)
{
    struct rig *rig = arg;
    const struct rill_plan *p = rig->plan;
    struct rill_activation *eng = &rig->act->node[RILL_ENGINE_NODE];

    for (uint32_t c = 1; c <= CYCLES; c++) {
        /* relaxed is enough for the resets: the seq_cst trigger stores below
         * publish them to the first nodes, and every later node is woken
         * through a release chain that starts there */
        for (uint32_t k = 0; k < p->nnodes; k++)
            atomic_store_explicit(&rig->act->node[p->nodes[k].client].pending,
                                  pending_word(c, p->nodes[k].required), memory_order_relaxed);
        atomic_store_explicit(&eng->pending, pending_word(c, p->engine.required),
                              memory_order_relaxed);
        for (uint32_t k = 0; k < p->nnodes; k++)
            if (p->nodes[k].required == 0)
                trigger(&rig->act->node[p->nodes[k].client], c);
        if (p->engine.required == 0)
            continue;
        uint32_t t = wait_trigger(rig, eng, c - 1);
        if (t != c)
            break; /* timeout: counted */
        atomic_store_explicit(&rig->engine_woke[c],
                              atomic_fetch_add_explicit(&rig->seq[c], 1, memory_order_acq_rel),
                              memory_order_relaxed);
    }
    for (uint32_t k = 0; k < p->nnodes; k++) {
        struct rill_activation *a = &rig->act->node[p->nodes[k].client];
        atomic_store_explicit(&a->trigger, RILL_TRIGGER_QUIT, memory_order_seq_cst);
        rill_futex_wake(&a->trigger, 1);
    }
    return NULL;
}

/* a registry with node slots 1..nslots, each with one input and one output */
static struct rill_shm_registry *graph_new(uint32_t nslots, uint32_t *in, uint32_t *out)
{
    struct rill_shm_registry *reg = calloc(1, sizeof *reg);
    assert_non_null(reg);
    reg->next_serial = 1;
    uint32_t port = 0;
    for (uint32_t s = 1; s <= nslots; s++) {
        reg->clients[s].in_use = 1;
        reg->clients[s].active = 1;
        in[s] = port;
        reg->ports[port++] = (struct rill_shm_port){.in_use = 1, .client = s,
                                                    .flags = RILL_PORT_IS_INPUT};
        out[s] = port;
        reg->ports[port++] = (struct rill_shm_port){.in_use = 1, .client = s,
                                                    .flags = RILL_PORT_IS_OUTPUT};
    }
    return reg;
}

static void graph_link(struct rill_shm_registry *reg, const uint32_t *in, const uint32_t *out,
                       uint32_t u, uint32_t v)
{
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
        if (reg->conns[i].in_use)
            continue;
        reg->conns[i] = (struct rill_shm_conn){.in_use = 1, .src = out[u], .dst = in[v],
                                               .serial = reg->next_serial++};
        return;
    }
    fail_msg("out of connections");
}

/* Read a record after pthread_join: the join orders every write of the
 * joined threads before this, so relaxed is enough. */
static uint32_t ld(_Atomic uint32_t *x)
{
    return atomic_load_explicit(x, memory_order_relaxed);
}

/* Compile reg, run CYCLES cycles with real threads, check the records. */
static void run_protocol(struct rill_shm_registry *reg, const char *what)
{
    struct rig *rig = calloc(1, sizeof *rig);
    assert_non_null(rig);
    rig->act = activation_new();
    rig->plan = malloc(sizeof *rig->plan);
    assert_non_null(rig->plan);
    assert_int_equal(rill_plan_compile(reg, rig->plan, 1, NULL), 0);
    const struct rill_plan *p = rig->plan;
    assert_true(p->nnodes > 0 && p->nnodes < MAX_SLOT);

    /* predecessors, from the successor lists */
    for (uint32_t k = 0; k < p->nnodes; k++) {
        const struct rill_plan_node *pn = &p->nodes[k];
        assert_true(pn->client < MAX_SLOT);
        for (uint32_t i = 0; i < pn->succ_count; i++) {
            uint32_t s = p->succ[pn->succ_first + i];
            if (s != RILL_ENGINE_NODE)
                rig->preds[s][rig->npreds[s]++] = pn->client;
        }
    }
    for (uint32_t k = 0; k < p->nnodes; k++)
        assert_int_equal(rig->npreds[p->nodes[k].client], p->nodes[k].required);

    struct node_arg args[MAX_SLOT];
    pthread_t th[MAX_SLOT], eng;
    for (uint32_t k = 0; k < p->nnodes; k++) {
        args[k] = (struct node_arg){rig, p->nodes[k].client};
        assert_int_equal(pthread_create(&th[k], NULL, node_thread, &args[k]), 0);
    }
    assert_int_equal(pthread_create(&eng, NULL, engine_thread, rig), 0);
    pthread_join(eng, NULL);
    for (uint32_t k = 0; k < p->nnodes; k++)
        pthread_join(th[k], NULL);

    assert_int_equal(ld(&rig->timeouts), 0);
    assert_int_equal(ld(&rig->stale), 0);
    assert_int_equal(ld(&rig->early), 0);
    for (uint32_t c = 1; c <= CYCLES; c++) {
        for (uint32_t k = 0; k < p->nnodes; k++) {
            const struct rill_plan_node *pn = &p->nodes[k];
            uint32_t v = pn->client;
            uint32_t runs = ld(&rig->runs[c][v]);
            if (runs != 1)
                fail_msg("%s: cycle %u: node %u ran %u times, want 1", what, c, v, runs);
            for (uint32_t i = 0; i < rig->npreds[v]; i++) {
                uint32_t u = rig->preds[v][i];
                if (ld(&rig->end[c][u]) >= ld(&rig->start[c][v]))
                    fail_msg("%s: cycle %u: node %u started before predecessor %u ended", what,
                             c, v, u);
            }
            if (ld(&rig->end[c][v]) >= ld(&rig->engine_woke[c]))
                fail_msg("%s: cycle %u: the engine woke before node %u ended", what, c, v);
        }
        assert_int_equal(ld(&rig->seq[c]), 2 * p->nnodes + 1);
    }
    for (uint32_t k = 0; k < p->nnodes; k++)
        assert_int_equal(ld(&rig->act->node[p->nodes[k].client].finished), CYCLES);
    print_message("%s: %u cycles, %u nodes, %u overlapping starts (parallel branches)\n", what,
                  CYCLES, p->nnodes, ld(&rig->overlaps));

    free(rig->plan);
    free(rig->act);
    free(rig);
}

static void test_threads_diamond(void **state)
{
    (void)state;
    uint32_t in[MAX_SLOT], out[MAX_SLOT];
    struct rill_shm_registry *reg = graph_new(4, in, out);
    graph_link(reg, in, out, 1, 2);
    graph_link(reg, in, out, 1, 3);
    graph_link(reg, in, out, 2, 4);
    graph_link(reg, in, out, 3, 4);
    run_protocol(reg, "diamond");
    free(reg);
}

static void test_threads_parallel_chains(void **state)
{
    (void)state;
    uint32_t in[MAX_SLOT], out[MAX_SLOT];
    struct rill_shm_registry *reg = graph_new(6, in, out);
    graph_link(reg, in, out, 1, 2);
    graph_link(reg, in, out, 2, 3);
    graph_link(reg, in, out, 4, 5);
    graph_link(reg, in, out, 5, 6);
    run_protocol(reg, "two chains");
    free(reg);
}

/* a feedback edge must not deadlock: 1 -> 2 -> 3 -> 1 (last is feedback) */
static void test_threads_feedback_cycle(void **state)
{
    (void)state;
    uint32_t in[MAX_SLOT], out[MAX_SLOT];
    struct rill_shm_registry *reg = graph_new(3, in, out);
    graph_link(reg, in, out, 1, 2);
    graph_link(reg, in, out, 2, 3);
    graph_link(reg, in, out, 3, 1);
    run_protocol(reg, "feedback cycle");
    free(reg);
}

/* ---- 32-bit cycle words across the wrap, a slot's fresh record ---- */

static void test_cycle32_wrap(void **state)
{
    (void)state;
    assert_false(rill_cycle32_valid(0));
    assert_false(rill_cycle32_valid(RILL_TRIGGER_QUIT));
    assert_true(rill_cycle32_valid(1));
    assert_true(rill_cycle32_valid(0xfffffffeu));
    /* the cycle before 1 is the last valid word, never 0 or QUIT */
    assert_int_equal(rill_cycle32_prev(1), 0xfffffffeu);
    assert_int_equal(rill_cycle32_prev(2), 1);
    assert_int_equal(rill_cycle32_prev(0xfffffffeu), 0xfffffffdu);
    /* prev is the inverse of the engine's step (skip invalid words) */
    for (uint64_t c = 0xfffffff0ull; c < 0x100000010ull; c++) {
        uint32_t w = (uint32_t)c;
        if (!rill_cycle32_valid(w))
            continue;
        uint64_t n = c + 1;
        while (!rill_cycle32_valid((uint32_t)n))
            n++;
        assert_int_equal(rill_cycle32_prev((uint32_t)n), w);
    }
}

static void test_activation_reset_clears_all(void **state)
{
    (void)state;
    struct rill_shm_activation *act = activation_new();
    struct rill_activation *a = &act->node[5];
    memset(a, 0xa5, sizeof *a);
    rill_activation_reset(a);
    assert_int_equal(atomic_load(&a->trigger), 0);
    assert_int_equal(atomic_load(&a->finished), 0);
    assert_int_equal(atomic_load(&a->pending), 0);
    assert_int_equal(atomic_load(&a->signal_ns), 0);
    assert_int_equal(atomic_load(&a->awake_ns), 0);
    assert_int_equal(atomic_load(&a->finish_ns), 0);
    assert_int_equal(atomic_load(&a->sleeping), 0);
    /* these two would match a cycle again one wrap later */
    assert_int_equal(atomic_load(&a->bypassed), 0);
    assert_int_equal(atomic_load(&a->produced), 0);
    free(act);
}

/* arming a node for cycle c: an on-time node gets (c << 32) | required and
 * loses a bypass from 2^32 - 2 cycles ago, which would otherwise read as a
 * bypass in cycle c; a late node gets a pending word of another cycle and
 * keeps its bypass (the engine sets it to c next) */
static void test_arm_forgets_old_bypass(void **state)
{
    (void)state;
    struct rill_shm_activation *act = activation_new();
    struct rill_activation *a = &act->node[4];
    const uint32_t c = 5;
    /* bypassed in the cycle with the same low 32 bits, one wrap ago; then
     * it ran normally (trigger == finished) */
    atomic_store(&a->bypassed, c);
    atomic_store(&a->trigger, rill_cycle32_prev(c));
    atomic_store(&a->finished, rill_cycle32_prev(c));
    assert_int_equal(rill_activation_arm(a, c, 2), 0);
    assert_int_equal(atomic_load(&a->pending), pending_word(c, 2));
    assert_int_not_equal(atomic_load(&a->bypassed), c);
    /* late: still busy with the previous cycle */
    atomic_store(&a->trigger, c);
    atomic_store(&a->bypassed, 3);
    assert_int_equal(rill_activation_arm(a, c + 1, 2), 1);
    assert_int_not_equal((uint32_t)(atomic_load(&a->pending) >> 32), c + 1);
    assert_int_equal(rill_activation_release(a, c + 1), 0);
    assert_int_equal(atomic_load(&a->bypassed), 3);
    /* never triggered: not late */
    atomic_store(&a->trigger, 0);
    assert_int_equal(rill_activation_arm(a, c + 2, 0), 0);
    free(act);
}

/* the sleeping side: returns at once when the word moved or quit is set,
 * times out at the deadline otherwise, and leaves sleeping at 0 */
static void test_activation_sleep(void **state)
{
    (void)state;
    struct rill_shm_activation *act = activation_new();
    struct rill_activation *a = &act->node[2];
    _Atomic int quit = 0;
    atomic_store(&a->trigger, 7);
    assert_int_equal(rill_activation_sleep(a, 6, &quit, NULL), 0);
    atomic_store(&quit, 1);
    assert_int_equal(rill_activation_sleep(a, 7, &quit, NULL), 0);
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_nsec += 20000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    assert_int_equal(rill_activation_sleep(a, 7, NULL, &dl), -ETIMEDOUT);
    assert_int_equal(atomic_load(&a->sleeping), 0);
    free(act);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pending_reset_layout),
        cmocka_unit_test(test_cycle32_wrap),
        cmocka_unit_test(test_activation_reset_clears_all),
        cmocka_unit_test(test_activation_sleep),
        cmocka_unit_test(test_arm_forgets_old_bypass),
        cmocka_unit_test(test_release_once_at_zero),
        cmocka_unit_test(test_stale_cycle_never_decrements),
        cmocka_unit_test(test_concurrent_release_one_winner),
        cmocka_unit_test(test_threads_diamond),
        cmocka_unit_test(test_threads_parallel_chains),
        cmocka_unit_test(test_threads_feedback_cycle),
    };
    return cmocka_run_group_tests_name("activation", tests, NULL, NULL);
}
