/* tests/unit/test-placement.c — engine/placement.c: which CPU each node of
 * a plan runs on (serial stretches stay on one CPU, starting on the
 * engine's; parallel branches go round robin when their cost is unknown, and
 * are weighed when it is known), on hand-made plans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/placement.h"

/* A plan of n nodes (client slots 1..n, listed in that order, which must be
 * a topological order) with the edges edges[0..2*nedges) as (from, to)
 * pairs of slots. Nodes without a successor report to the engine. */
static struct rill_plan *make_plan(uint32_t n, const uint32_t *edges, uint32_t nedges)
{
    struct rill_plan *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    for (uint32_t s = 0; s < RILL_MAX_CLIENTS; s++)
        p->node_index[s] = RILL_PLAN_NONE;
    p->nnodes = n;
    for (uint32_t k = 0; k < n; k++) {
        struct rill_plan_node *v = &p->nodes[k];
        v->client = k + 1;
        p->node_index[k + 1] = k;
        for (uint32_t e = 0; e < nedges; e++)
            v->required += edges[2 * e + 1] == k + 1;
        v->succ_first = p->nsucc;
        for (uint32_t e = 0; e < nedges; e++)
            if (edges[2 * e] == k + 1)
                p->succ[p->nsucc++] = edges[2 * e + 1];
        if (p->nsucc == v->succ_first)
            p->succ[p->nsucc++] = RILL_ENGINE_NODE;
        v->succ_count = p->nsucc - v->succ_first;
    }
    return p;
}

static void expect_cpus(const struct rill_plan *p, int ncpus, int engine, const int *want,
                        uint32_t n)
{
    int out[RILL_MAX_CLIENTS];
    rill_placement_compute(p, ncpus, engine, NULL, 0, NULL, out);
    assert_int_equal(out[RILL_ENGINE_NODE], RILL_PLACEMENT_NONE);
    for (uint32_t k = 0; k < n; k++)
        if (out[k + 1] != want[k])
            fail_msg("node %u is on CPU index %d, want %d", k + 1, out[k + 1], want[k]);
    for (uint32_t s = n + 1; s < RILL_MAX_CLIENTS; s++)
        assert_int_equal(out[s], RILL_PLACEMENT_NONE);
}

/* 1 -> 2 -> 3 -> 4: all on the engine's CPU */
static void test_chain(void **state)
{
    (void)state;
    const uint32_t e[] = { 1, 2, 2, 3, 3, 4 };
    struct rill_plan *p = make_plan(4, e, 3);
    const int want[] = { 1, 1, 1, 1 };
    expect_cpus(p, 2, 1, want, 4);
    const int want4[] = { 3, 3, 3, 3 };
    expect_cpus(p, 4, 3, want4, 4);
    free(p);
}

/* four branches 1..4 into a mixer 5: spread, the mixer continues branch 1 */
static void test_parallel(void **state)
{
    (void)state;
    const uint32_t e[] = { 1, 5, 2, 5, 3, 5, 4, 5 };
    struct rill_plan *p = make_plan(5, e, 4);
    const int want2[] = { 1, 0, 1, 0, 1 };
    expect_cpus(p, 2, 1, want2, 5);
    const int want4[] = { 0, 1, 2, 3, 0 };
    expect_cpus(p, 4, 0, want4, 5);
    free(p);
}

/* 1 -> 2, 1 -> 3, 2 -> 4, 3 -> 4: 2 continues 1, 3 branches off, 4
 * continues 2 (its first upstream node) */
static void test_diamond(void **state)
{
    (void)state;
    const uint32_t e[] = { 1, 2, 1, 3, 2, 4, 3, 4 };
    struct rill_plan *p = make_plan(4, e, 4);
    const int want[] = { 1, 1, 0, 1 };
    expect_cpus(p, 2, 1, want, 4);
    free(p);
}

/* two independent chains 1 -> 2 and 3 -> 4: one per CPU */
static void test_two_chains(void **state)
{
    (void)state;
    const uint32_t e[] = { 1, 2, 3, 4 };
    struct rill_plan *p = make_plan(4, e, 2);
    const int want[] = { 0, 0, 1, 1 };
    expect_cpus(p, 3, 0, want, 4);
    free(p);
}

/* weighed branches: four branches 1..4 into a mixer 5, period 1333 us (a
 * core's budget 333 us). Cheap ones stay on the engine's CPU; heavy ones
 * spread to the least loaded CPU; a new, unmeasured node counts as free. */
static void test_weighed(void **state)
{
    (void)state;
    const uint32_t e[] = { 1, 5, 2, 5, 3, 5, 4, 5 };
    struct rill_plan *p = make_plan(5, e, 4);
    uint32_t cost[RILL_MAX_CLIENTS] = { 0 };
    int out[RILL_MAX_CLIENTS];
    const uint64_t budget = 333000;
    for (uint32_t s = 1; s <= 5; s++)
        cost[s] = 5000;
    rill_placement_compute(p, 2, 1, cost, budget, NULL, out);
    for (uint32_t s = 1; s <= 5; s++)
        assert_int_equal(out[s], 1);
    /* 200 us each: 1 on the engine's CPU, 2 would overfill it -> CPU 0,
     * 3 to the least loaded (a tie: round robin -> 1), 4 -> 0; the mixer
     * continues 1 */
    for (uint32_t s = 1; s <= 4; s++)
        cost[s] = 200000;
    rill_placement_compute(p, 2, 1, cost, budget, NULL, out);
    const int want[] = { 1, 0, 1, 0, 1 };
    for (uint32_t s = 1; s <= 5; s++)
        if (out[s] != want[s - 1])
            fail_msg("node %u is on CPU index %d, want %d", s, out[s], want[s - 1]);
    /* one heavy branch among cheap ones: only it leaves the engine's CPU
     * when the engine's CPU is full; here 300 + 5 + 5 fit, 300 + 300 not */
    for (uint32_t s = 1; s <= 4; s++)
        cost[s] = 5000;
    cost[1] = 300000;
    cost[3] = 300000;
    rill_placement_compute(p, 4, 2, cost, budget, NULL, out);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 2);
    assert_int_equal(out[3], 3);
    assert_int_equal(out[4], 2);
    assert_int_equal(out[5], 2);
    /* a branch off a stretch stays on that stretch's CPU when cheap:
     * 1 -> 2, 1 -> 3 (3 branches off 1) */
    const uint32_t e2[] = { 1, 2, 1, 3 };
    struct rill_plan *q = make_plan(3, e2, 2);
    memset(cost, 0, sizeof(cost));
    rill_placement_compute(q, 2, 0, cost, budget, NULL, out);
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], 0);
    assert_int_equal(out[3], 0);
    free(q);
    free(p);
}

/* hysteresis: branches 1 and 2 into a mixer 3, engine on CPU index 1,
 * budget 333 us. A branch pushed off the engine's CPU comes back only when
 * it fits in three quarters of the budget, so a cost hovering at the budget
 * does not move it at every review; without a last place (NULL) the plain
 * budget decides. */
static void test_hysteresis(void **state)
{
    (void)state;
    const uint32_t e[] = { 1, 3, 2, 3 };
    struct rill_plan *p = make_plan(3, e, 2);
    uint32_t cost[RILL_MAX_CLIENTS] = { 0 };
    int out[RILL_MAX_CLIENTS], prev[RILL_MAX_CLIENTS];
    const uint64_t budget = 333000;
    cost[1] = 100000;
    cost[2] = 240000; /* 340 > 333: off to CPU 0 */
    rill_placement_compute(p, 2, 1, cost, budget, NULL, out);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 0);
    assert_int_equal(out[3], 1);
    memcpy(prev, out, sizeof(prev));
    cost[2] = 230000; /* 330 fits the budget, not the 250 of a return */
    rill_placement_compute(p, 2, 1, cost, budget, prev, out);
    assert_int_equal(out[2], 0);
    rill_placement_compute(p, 2, 1, cost, budget, NULL, out);
    assert_int_equal(out[2], 1);
    cost[2] = 140000; /* 240 fits the margin: back home */
    rill_placement_compute(p, 2, 1, cost, budget, prev, out);
    assert_int_equal(out[2], 1);
    memcpy(prev, out, sizeof(prev));
    cost[2] = 230000; /* at home, 330 stays within the budget */
    rill_placement_compute(p, 2, 1, cost, budget, prev, out);
    assert_int_equal(out[2], 1);
    free(p);
}

/* sampling: the average follows the records' run times, ignores a record
 * seen already and stamps that make no sense */
static void test_sample(void **state)
{
    (void)state;
    struct rill_placement pl;
    memset(&pl, 0, sizeof(pl));
    struct rill_shm_activation *act = calloc(1, sizeof(*act));
    assert_non_null(act);
    pl.tid[3] = 1234;
    atomic_store(&act->node[3].awake_ns, 1000000);
    atomic_store(&act->node[3].finish_ns, 1040000);
    rill_placement_sample(&pl, act, 1333333);
    assert_int_equal(pl.cost_ns[3], 40000);
    rill_placement_sample(&pl, act, 1333333); /* the same record: no change */
    assert_int_equal(pl.cost_ns[3], 40000);
    atomic_store(&act->node[3].awake_ns, 2000000);
    atomic_store(&act->node[3].finish_ns, 2080000);
    rill_placement_sample(&pl, act, 1333333);
    assert_int_equal(pl.cost_ns[3], 50000); /* (3 * 40 + 80) / 4 */
    atomic_store(&act->node[3].awake_ns, 9000000); /* torn: finish before awake */
    atomic_store(&act->node[3].finish_ns, 3000000);
    rill_placement_sample(&pl, act, 1333333);
    assert_int_equal(pl.cost_ns[3], 50000);
    rill_placement_set_tid(&pl, 3, 0); /* gone: forgotten */
    rill_placement_sample(&pl, act, 1333333);
    assert_int_equal(pl.cost_ns[3], 0);
    /* a new client in the slot starts from nothing */
    pl.tid[3] = 1234;
    atomic_store(&act->node[3].awake_ns, 10000000);
    atomic_store(&act->node[3].finish_ns, 10040000);
    rill_placement_sample(&pl, act, 1333333);
    assert_int_equal(pl.cost_ns[3], 40000);
    rill_placement_set_tid(&pl, 3, 4321);
    assert_int_equal(pl.cost_ns[3], 0);
    free(act);
}

/* one CPU: everything on it; no CPU or a bad engine index: nothing placed */
static void test_degenerate(void **state)
{
    (void)state;
    const uint32_t e[] = { 1, 3, 2, 3 };
    struct rill_plan *p = make_plan(3, e, 2);
    const int want[] = { 0, 0, 0 };
    expect_cpus(p, 1, 0, want, 3);
    const int none[] = { RILL_PLACEMENT_NONE, RILL_PLACEMENT_NONE, RILL_PLACEMENT_NONE };
    expect_cpus(p, 0, 0, none, 3);
    expect_cpus(p, 2, 2, none, 3);
    /* a corrupt successor range is skipped, never read out of bounds */
    p->nodes[0].succ_first = RILL_PLAN_MAX_SUCC + 5;
    int out[RILL_MAX_CLIENTS];
    rill_placement_compute(p, 2, 0, NULL, 0, NULL, out);
    assert_int_equal(out[1], 0);
    free(p);
}

/* init reads the process's CPUs; with one CPU or off, nothing is pinned */
static void test_init(void **state)
{
    (void)state;
    struct rill_placement *pl = calloc(1, sizeof(*pl));
    assert_non_null(pl);
    assert_int_equal(rill_placement_init(pl, 0), 0);
    assert_true(pl->ncpus >= 1);
    assert_int_equal(pl->enabled, 0);
    assert_int_equal(pl->engine_cpu, pl->ncpus - 1);
    for (int i = 1; i < pl->ncpus; i++)
        assert_true(pl->cpus[i] > pl->cpus[i - 1]);
    const uint32_t e[] = { 1, 2 };
    struct rill_plan *p = make_plan(2, e, 1);
    rill_placement_set_tid(pl, 1, 12345);
    assert_int_equal(rill_placement_apply(pl, p), 0); /* disabled: no syscall */
    assert_int_equal(pl->applied[1], RILL_PLACEMENT_NONE);
    free(p);
    free(pl);
}

/* a client late for long unpins every client; they are pinned again after
 * a quiet time that doubles with each stall and is forgiven after 10 min */
static void test_stall(void **state)
{
    (void)state;
    static _Atomic uint64_t late[RILL_MAX_CLIENTS];
    const uint64_t ms = 1000000ull, s = 1000 * ms, period = 1 * ms;
    struct rill_placement *pl = calloc(1, sizeof(*pl));
    assert_non_null(pl);
    assert_int_equal(rill_placement_init(pl, 1), 0);
    /* two CPUs whatever the machine; a thread id no process can have, so
     * that every pin is a harmless refusal */
    pl->enabled = 1;
    pl->ncpus = 2;
    pl->cpus[0] = 0;
    pl->cpus[1] = 1;
    pl->engine_cpu = 1;
    rill_placement_set_tid(pl, 1, 0x7ffffff0);
    const uint32_t e[] = { 1, 2 };
    struct rill_plan *p = make_plan(2, e, 1);
    rill_placement_apply(pl, p);
    assert_int_equal(pl->applied[1], 1); /* tried CPU 1 */

    assert_int_equal(rill_placement_tick(pl, late, period, 1 * s), RILL_PLACEMENT_SAME);
    atomic_store(&late[1], 1 * s);
    assert_int_equal(rill_placement_tick(pl, late, period, 1 * s + 10 * ms), RILL_PLACEMENT_SAME);
    assert_int_equal(rill_placement_tick(pl, late, period, 1 * s + 25 * ms),
                     RILL_PLACEMENT_UNPINNED);
    assert_int_equal(pl->stall_slot, 1);
    assert_int_equal(pl->applied[1], RILL_PLACEMENT_NONE);
    assert_true(pl->quiet_ns == 2 * s);
    assert_int_equal(rill_placement_apply(pl, p), 0); /* stays unpinned */
    assert_int_equal(pl->applied[1], RILL_PLACEMENT_NONE);
    assert_int_equal(rill_placement_tick(pl, late, period, 1500 * ms), RILL_PLACEMENT_SAME);
    atomic_store(&late[1], 0);
    assert_int_equal(rill_placement_tick(pl, late, period, 3400 * ms), RILL_PLACEMENT_SAME);
    assert_int_equal(rill_placement_tick(pl, late, period, 3600 * ms), RILL_PLACEMENT_REPINNED);
    assert_int_equal(pl->applied[1], 1);

    /* a second stall: twice the quiet time */
    atomic_store(&late[1], 3700 * ms);
    assert_int_equal(rill_placement_tick(pl, late, period, 3750 * ms), RILL_PLACEMENT_UNPINNED);
    assert_true(pl->quiet_ns == 4 * s);
    atomic_store(&late[1], 0);
    assert_int_equal(rill_placement_tick(pl, late, period, 7000 * ms), RILL_PLACEMENT_SAME);
    assert_int_equal(rill_placement_tick(pl, late, period, 7800 * ms), RILL_PLACEMENT_REPINNED);
    /* a long period (256 ms): the stall needs 4 of them, not 20 ms */
    atomic_store(&late[1], 8 * s);
    assert_int_equal(rill_placement_tick(pl, late, 256 * ms, 8 * s + 500 * ms),
                     RILL_PLACEMENT_SAME);
    atomic_store(&late[1], 0);
    /* ten minutes without a stall: back to 2 s */
    assert_int_equal(rill_placement_tick(pl, late, period, 700 * s), RILL_PLACEMENT_SAME);
    assert_true(pl->quiet_ns == 0);
    /* a late slot without a known thread is not ours to judge */
    rill_placement_set_tid(pl, 1, 0);
    atomic_store(&late[1], 700 * s);
    assert_int_equal(rill_placement_tick(pl, late, period, 701 * s), RILL_PLACEMENT_SAME);
    atomic_store(&late[1], 0);
    free(p);
    free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),      cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_diamond),    cmocka_unit_test(test_two_chains),
        cmocka_unit_test(test_weighed),    cmocka_unit_test(test_hysteresis),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_degenerate), cmocka_unit_test(test_init),
        cmocka_unit_test(test_stall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
