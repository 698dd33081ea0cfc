/* tests/unit/test-latency.c — latency propagation over the registry
 * (engine/latency.c): chains, fan-in, fan-out, feedback, graph order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/latency.h"
#include "engine/registry.h"

struct fixture {
    struct rill_shm_registry reg;
    struct rill_latency lat;
    uint32_t cap, play;                /* system:capture_1, system:playback_1 */
};

static uint32_t add_client(struct fixture *f, const char *name)
{
    uint32_t slot;
    int renamed;
    assert_int_equal(rill_registry_client_add(&f->reg, name, 1, 0, 1, 0, &slot, &renamed, NULL, 0),
                     0);
    return slot;
}

static uint32_t add_port(struct fixture *f, uint32_t slot, const char *name, uint32_t flags)
{
    uint32_t id;
    assert_int_equal(rill_registry_port_add(&f->reg, RILL_MAX_PORTS, slot, name,
                                            RILL_PORT_TYPE_AUDIO, flags, &id, NULL, 0),
                     0);
    return id;
}

static void connect(struct fixture *f, const char *a, const char *b)
{
    assert_int_equal(rill_registry_connect(&f->reg, a, b, NULL, NULL, 0), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    rill_registry_init(&f->reg);
    uint32_t slot;
    int renamed;
    assert_int_equal(rill_registry_client_add(&f->reg, "system", 1, 0, 1, 1, &slot, &renamed,
                                              NULL, 0),
                     0);
    f->cap = add_port(f, 0, "capture_1", RILL_PORT_IS_OUTPUT | RILL_PORT_IS_PHYSICAL);
    f->play = add_port(f, 0, "playback_1", RILL_PORT_IS_INPUT | RILL_PORT_IS_PHYSICAL);
    /* what a driver adds: 64 frames in, 128 out */
    f->reg.ports[f->cap].latency[RILL_LATENCY_CAPTURE][0] = 64;
    f->reg.ports[f->cap].latency[RILL_LATENCY_CAPTURE][1] = 64;
    f->reg.ports[f->play].latency[RILL_LATENCY_PLAYBACK][0] = 128;
    f->reg.ports[f->play].latency[RILL_LATENCY_PLAYBACK][1] = 128;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void assert_range(struct fixture *f, uint32_t id, int mode, uint32_t min, uint32_t max)
{
    assert_int_equal(f->reg.ports[id].latency[mode][0], min);
    assert_int_equal(f->reg.ports[id].latency[mode][1], max);
}

/* A client that adds latency itself, as its callback would: out = in + d. */
static void add_delay(struct fixture *f, uint32_t in, uint32_t out, uint32_t d)
{
    for (int k = 0; k < 2; k++)
        f->reg.ports[out].latency[RILL_LATENCY_CAPTURE][k] =
            f->reg.ports[in].latency[RILL_LATENCY_CAPTURE][k] + d;
}

/* capture -> A -> B -> playback: both directions along the chain. */
static void test_chain(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "A"), b = add_client(f, "B");
    uint32_t ai = add_port(f, a, "in", RILL_PORT_IS_INPUT), ao = add_port(f, a, "out", RILL_PORT_IS_OUTPUT);
    uint32_t bi = add_port(f, b, "in", RILL_PORT_IS_INPUT), bo = add_port(f, b, "out", RILL_PORT_IS_OUTPUT);
    connect(f, "B:out", "system:playback_1"); /* out of order on purpose */
    connect(f, "A:out", "B:in");
    connect(f, "system:capture_1", "A:in");
    uint32_t order[8];
    assert_int_equal(rill_latency_order(&f->lat, &f->reg, order, 8), 2);
    assert_int_equal(order[0], a);
    assert_int_equal(order[1], b);
    rill_latency_compute_all(&f->lat, &f->reg);
    uint32_t cap_ids[] = { ai, ao, bi, bo, f->play };
    for (size_t i = 0; i < 5; i++)
        assert_range(f, cap_ids[i], RILL_LATENCY_CAPTURE, 64, 64);
    uint32_t play_ids[] = { f->cap, ai, ao, bi, bo };
    for (size_t i = 0; i < 5; i++)
        assert_range(f, play_ids[i], RILL_LATENCY_PLAYBACK, 128, 128);
    /* driver values stay */
    assert_range(f, f->cap, RILL_LATENCY_CAPTURE, 64, 64);
    assert_range(f, f->play, RILL_LATENCY_PLAYBACK, 128, 128);
}

/* Fan-in: two paths of different latency into one input span [min, max];
 * fan-out: one output to two sinks spans their playback latencies. */
static void test_fan_in_out(void **state)
{
    struct fixture *f = *state;
    uint32_t fast = add_client(f, "fast"), slow = add_client(f, "slow"), mix = add_client(f, "mix");
    uint32_t fi = add_port(f, fast, "in", RILL_PORT_IS_INPUT);
    uint32_t fo = add_port(f, fast, "out", RILL_PORT_IS_OUTPUT);
    uint32_t si = add_port(f, slow, "in", RILL_PORT_IS_INPUT);
    uint32_t so = add_port(f, slow, "out", RILL_PORT_IS_OUTPUT);
    uint32_t mi = add_port(f, mix, "in", RILL_PORT_IS_INPUT);
    uint32_t mo = add_port(f, mix, "out", RILL_PORT_IS_OUTPUT);
    uint32_t rec = add_client(f, "rec");
    uint32_t ri = add_port(f, rec, "in", RILL_PORT_IS_INPUT);
    connect(f, "system:capture_1", "fast:in");
    connect(f, "system:capture_1", "slow:in");
    connect(f, "fast:out", "mix:in");
    connect(f, "slow:out", "mix:in");
    connect(f, "mix:out", "system:playback_1");
    connect(f, "mix:out", "rec:in");
    /* the capture pass, client by client, as the server runs it, with
     * "slow" adding 100 frames the way its latency callback would */
    uint32_t order[8];
    uint32_t n = rill_latency_order(&f->lat, &f->reg, order, 8);
    assert_int_equal(n, 4);
    assert_int_equal(order[n - 2] == mix || order[n - 1] == mix, 1);
    for (uint32_t i = 0; i < n; i++) {
        rill_latency_client_links(&f->lat, &f->reg, order[i], RILL_LATENCY_CAPTURE);
        if (order[i] == slow)
            add_delay(f, si, so, 100);
        else
            rill_latency_client_default(&f->lat, &f->reg, order[i], RILL_LATENCY_CAPTURE);
    }
    rill_latency_client_links(&f->lat, &f->reg, 0, RILL_LATENCY_CAPTURE);
    assert_range(f, fo, RILL_LATENCY_CAPTURE, 64, 64);
    assert_range(f, so, RILL_LATENCY_CAPTURE, 164, 164);
    assert_range(f, mi, RILL_LATENCY_CAPTURE, 64, 164);
    assert_range(f, mo, RILL_LATENCY_CAPTURE, 64, 164);
    assert_range(f, ri, RILL_LATENCY_CAPTURE, 64, 164);
    assert_range(f, f->play, RILL_LATENCY_CAPTURE, 64, 164);
    /* playback: mix:out feeds playback (128) and rec (0, a dead end) */
    for (uint32_t i = n; i-- > 0;) {
        rill_latency_client_links(&f->lat, &f->reg, order[i], RILL_LATENCY_PLAYBACK);
        rill_latency_client_default(&f->lat, &f->reg, order[i], RILL_LATENCY_PLAYBACK);
    }
    assert_range(f, mo, RILL_LATENCY_PLAYBACK, 0, 128);
    assert_range(f, fi, RILL_LATENCY_PLAYBACK, 0, 128);
    (void)fi;
}

/* A feedback loop: the pass ends, values stay bounded, order is complete. */
static void test_feedback(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "A"), b = add_client(f, "B");
    add_port(f, a, "in", RILL_PORT_IS_INPUT);
    uint32_t ao = add_port(f, a, "out", RILL_PORT_IS_OUTPUT);
    uint32_t bi = add_port(f, b, "in", RILL_PORT_IS_INPUT);
    add_port(f, b, "out", RILL_PORT_IS_OUTPUT);
    connect(f, "system:capture_1", "A:in");
    connect(f, "A:out", "B:in");
    connect(f, "B:out", "A:in"); /* closes the cycle */
    connect(f, "A:out", "system:playback_1");
    /* unmarked cycle: both clients still appear, once each */
    uint32_t order[8];
    assert_int_equal(rill_latency_order(&f->lat, &f->reg, order, 8), 2);
    assert_int_not_equal(order[0], order[1]);
    /* marked as the plan compiler would: A before B */
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (f->reg.conns[i].in_use && f->reg.ports[f->reg.conns[i].src].client == b)
            f->reg.conns[i].feedback = 1;
    assert_int_equal(rill_latency_order(&f->lat, &f->reg, order, 8), 2);
    assert_int_equal(order[0], a);
    assert_int_equal(order[1], b);
    /* the feedback edge carries B's value from before the pass (0 the
     * first time), so A:in spans [0, 64]; further passes do not grow it */
    rill_latency_compute_all(&f->lat, &f->reg);
    assert_range(f, ao, RILL_LATENCY_CAPTURE, 0, 64);
    assert_range(f, bi, RILL_LATENCY_CAPTURE, 0, 64);
    for (int i = 0; i < 3; i++)
        rill_latency_compute_all(&f->lat, &f->reg);
    assert_range(f, ao, RILL_LATENCY_CAPTURE, 0, 64);
    assert_range(f, bi, RILL_LATENCY_CAPTURE, 0, 64);
    assert_range(f, ao, RILL_LATENCY_PLAYBACK, 0, 128);
}

/* No connection: [0, 0]; a disconnected input forgets the old value. */
static void test_disconnect(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "A");
    uint32_t ai = add_port(f, a, "in", RILL_PORT_IS_INPUT);
    uint32_t ao = add_port(f, a, "out", RILL_PORT_IS_OUTPUT);
    connect(f, "system:capture_1", "A:in");
    rill_latency_compute_all(&f->lat, &f->reg);
    assert_range(f, ao, RILL_LATENCY_CAPTURE, 64, 64);
    assert_int_equal(rill_registry_disconnect(&f->reg, "system:capture_1", "A:in", NULL, NULL, 0), 0);
    rill_latency_compute_all(&f->lat, &f->reg);
    assert_range(f, ai, RILL_LATENCY_CAPTURE, 0, 0);
    assert_range(f, ao, RILL_LATENCY_CAPTURE, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fan_in_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feedback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
