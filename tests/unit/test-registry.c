/* tests/unit/test-registry.c — graph changes in the shared registry. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/registry.h"

struct recorder {
    char log[4096];
};

static void rec_client(void *arg, uint32_t slot, int registered)
{
    struct recorder *r = arg;
    char line[64];
    snprintf(line, sizeof(line), "client %u %d;", slot, registered);
    strncat(r->log, line, sizeof(r->log) - strlen(r->log) - 1);
}

static void rec_port(void *arg, uint32_t id, int registered)
{
    struct recorder *r = arg;
    char line[64];
    snprintf(line, sizeof(line), "port %u %d;", id, registered);
    strncat(r->log, line, sizeof(r->log) - strlen(r->log) - 1);
}

static void rec_connect(void *arg, uint32_t src, uint32_t dst, int connected)
{
    struct recorder *r = arg;
    char line[64];
    snprintf(line, sizeof(line), "conn %u %u %d;", src, dst, connected);
    strncat(r->log, line, sizeof(r->log) - strlen(r->log) - 1);
}

struct fixture {
    struct rill_shm_registry reg;
    struct recorder rec;
    struct rill_registry_listener l;
    char err[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    rill_registry_init(&f->reg);
    f->l = (struct rill_registry_listener){ &f->rec, rec_client, rec_port, rec_connect };
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static uint32_t add_client(struct fixture *f, const char *name)
{
    uint32_t slot;
    int renamed;
    assert_int_equal(rill_registry_client_add(&f->reg, name, 1, 0, 0, 0, &slot, &renamed, f->err,
                                              sizeof(f->err)),
                     0);
    return slot;
}

static uint32_t add_port(struct fixture *f, uint32_t slot, const char *name, uint32_t type,
                         uint32_t flags)
{
    uint32_t id;
    assert_int_equal(rill_registry_port_add(&f->reg, 64, slot, name, type, flags, &id, f->err,
                                            sizeof(f->err)),
                     0);
    return id;
}

static void test_client_names(void **state)
{
    struct fixture *f = *state;
    uint32_t slot, slot2;
    int renamed;
    assert_int_equal(rill_registry_client_add(&f->reg, "system", 1, 0, 1, 1, &slot, &renamed,
                                              f->err, sizeof(f->err)),
                     0);
    assert_int_equal(slot, 0);
    slot = add_client(f, "synth");
    assert_true(slot >= 1);
    assert_string_equal(f->reg.clients[slot].name, "synth");
    /* a taken name is renamed, or refused with exact */
    assert_int_equal(rill_registry_client_add(&f->reg, "synth", 1, 0, 0, 0, &slot2, &renamed,
                                              f->err, sizeof(f->err)),
                     0);
    assert_int_equal(renamed, 1);
    assert_string_equal(f->reg.clients[slot2].name, "synth-01");
    assert_int_equal(rill_registry_client_add(&f->reg, "synth", 1, 0, 1, 0, &slot2, &renamed,
                                              f->err, sizeof(f->err)),
                     -EEXIST);
    assert_non_null(strstr(f->err, "already exists"));
    /* 63 bytes is the longest name, 64 too long, ':' and "" refused */
    char name[80];
    memset(name, 'a', 63);
    name[63] = '\0';
    assert_int_equal(rill_registry_client_add(&f->reg, name, 1, 0, 0, 0, &slot2, &renamed, f->err,
                                              sizeof(f->err)),
                     0);
    memset(name, 'b', 64);
    name[64] = '\0';
    assert_int_equal(rill_registry_client_add(&f->reg, name, 1, 0, 0, 0, &slot2, &renamed, f->err,
                                              sizeof(f->err)),
                     -ENAMETOOLONG);
    assert_non_null(strstr(f->err, "63 bytes"));
    assert_int_equal(rill_registry_client_add(&f->reg, "a:b", 1, 0, 0, 0, &slot2, &renamed,
                                              f->err, sizeof(f->err)),
                     -EINVAL);
    assert_int_equal(rill_registry_client_add(&f->reg, "", 1, 0, 0, 0, &slot2, &renamed, f->err,
                                              sizeof(f->err)),
                     -EINVAL);
    /* the seqlock is even after every change */
    assert_int_equal(atomic_load(&f->reg.seq) & 1, 0);
}

static void test_ports(void **state)
{
    struct fixture *f = *state;
    uint32_t c = add_client(f, "fx");
    uint32_t in = add_port(f, c, "in", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT);
    assert_string_equal(f->reg.ports[in].name, "fx:in");
    assert_int_equal(rill_registry_lookup(&f->reg, "fx:in"), (int)in);
    uint32_t id;
    assert_int_equal(rill_registry_port_add(&f->reg, 64, c, "in", RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_INPUT, &id, f->err, sizeof(f->err)),
                     -EEXIST);
    assert_int_equal(rill_registry_port_add(&f->reg, 64, c, "x", RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_INPUT | RILL_PORT_IS_OUTPUT, &id, f->err,
                                            sizeof(f->err)),
                     -EINVAL);
    assert_int_equal(rill_registry_port_add(&f->reg, 64, c, "x", RILL_PORT_TYPE_AUDIO, 0, &id,
                                            f->err, sizeof(f->err)),
                     -EINVAL);
    /* "fx:" + 252 bytes = 255: fits; one more does not */
    char name[300];
    memset(name, 'p', 252);
    name[252] = '\0';
    assert_int_equal(rill_registry_port_add(&f->reg, 64, c, name, RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                     0);
    memset(name, 'q', 253);
    name[253] = '\0';
    assert_int_equal(rill_registry_port_add(&f->reg, 64, c, name, RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                     -ENAMETOOLONG);
    assert_non_null(strstr(f->err, "255"));
    /* a freed id is not reused at once (next fit) */
    uint32_t a = add_port(f, c, "a", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    assert_int_equal(rill_registry_port_remove(&f->reg, a, NULL), 0);
    uint32_t b = add_port(f, c, "b", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    assert_int_not_equal(a, b);
    assert_true(f->reg.ports[b].uuid != f->reg.ports[a].uuid);
}

static void test_port_max(void **state)
{
    struct fixture *f = *state;
    uint32_t c = add_client(f, "many");
    uint32_t id;
    char name[16];
    for (int i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        assert_int_equal(rill_registry_port_add(&f->reg, 16, c, name, RILL_PORT_TYPE_AUDIO,
                                                RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                         0);
        assert_true(id < 16);
    }
    assert_int_equal(rill_registry_port_add(&f->reg, 16, c, "over", RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                     -ENOSPC);
    assert_non_null(strstr(f->err, "port-max"));
}

/* An unregistered port's id is not handed out again while a plan that may
 * still hold it runs (free_gen above adopted_gen); -EAGAIN when such ids are
 * the only free ones, and the id comes back once the newer plan runs. */
static void test_port_held_back(void **state)
{
    struct fixture *f = *state;
    uint32_t c = add_client(f, "held");
    uint32_t ids[4], id;
    char name[16];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        assert_int_equal(rill_registry_port_add(&f->reg, 4, c, name, RILL_PORT_TYPE_AUDIO,
                                                RILL_PORT_IS_OUTPUT, &ids[i], f->err,
                                                sizeof(f->err)),
                         0);
    }
    f->reg.adopted_gen = 6;
    assert_int_equal(rill_registry_port_remove(&f->reg, ids[2], NULL), 0);
    f->reg.ports[ids[2]].free_gen = 7; /* the plan without it: generation 7 */
    assert_int_equal(rill_registry_port_add(&f->reg, 4, c, "again", RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                     -EAGAIN);
    assert_non_null(strstr(f->err, "next cycle"));
    assert_int_equal(rill_registry_lookup(&f->reg, "held:p2"), -ENOENT);
    /* a slot free for long is taken while another is held back */
    assert_int_equal(rill_registry_port_remove(&f->reg, ids[0], NULL), 0);
    assert_int_equal(rill_registry_port_add(&f->reg, 4, c, "again", RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                     0);
    assert_int_equal(id, ids[0]);
    /* the engine runs generation 7: the held slot is free */
    f->reg.adopted_gen = 7;
    assert_int_equal(rill_registry_port_add(&f->reg, 4, c, "more", RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                     0);
    assert_int_equal(id, ids[2]);
    assert_int_equal(f->reg.ports[id].free_gen, 0);
}

/* A removed node's client slot is not handed out again while a plan that
 * may still trigger it runs: -EAGAIN when it is the only free one, and
 * it comes back once the newer plan runs. */
static void test_client_held_back(void **state)
{
    struct fixture *f = *state;
    uint32_t slots[RILL_MAX_CLIENTS], slot;
    int renamed;
    char name[16];
    for (uint32_t i = 1; i < RILL_MAX_CLIENTS; i++) {
        snprintf(name, sizeof(name), "c%u", i);
        slots[i] = add_client(f, name);
    }
    f->reg.adopted_gen = 3;
    rill_registry_client_remove(&f->reg, slots[5], NULL);
    f->reg.clients[slots[5]].free_gen = 4; /* the plan without it */
    assert_int_equal(rill_registry_client_add(&f->reg, "new", 1, 0, 0, 0, &slot, &renamed,
                                              f->err, sizeof(f->err)),
                     -EAGAIN);
    assert_non_null(strstr(f->err, "next cycle"));
    f->reg.adopted_gen = 4;
    assert_int_equal(rill_registry_client_add(&f->reg, "new", 1, 0, 0, 0, &slot, &renamed,
                                              f->err, sizeof(f->err)),
                     0);
    assert_int_equal(slot, slots[5]);
    assert_int_equal(f->reg.clients[slot].free_gen, 0);
}

/* Each registry keeps its own bookkeeping (next-fit cursors, uuids,
 * seqlock nesting): setting up a second one changes nothing in the first. */
static void test_registries_independent(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "a"), b = add_client(f, "b");
    add_client(f, "c");
    uint64_t uuid_b = f->reg.clients[b].uuid;
    rill_registry_client_remove(&f->reg, b, NULL);
    struct rill_shm_registry *other = calloc(1, sizeof(*other));
    assert_non_null(other);
    rill_registry_init(other);
    rill_registry_write_begin(other);
    /* next fit goes on after "c", not back to the slot "b" left */
    uint32_t d = add_client(f, "d");
    assert_true(d != b && d != a);
    assert_true(f->reg.clients[d].uuid > uuid_b);
    /* other's open write section does not nest into ours */
    uint32_t seq = atomic_load(&f->reg.seq);
    rill_registry_write_begin(&f->reg);
    rill_registry_write_end(&f->reg);
    assert_int_equal(atomic_load(&f->reg.seq), seq + 2);
    rill_registry_write_end(other);
    free(other);
}

static void test_connect(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "a"), b = add_client(f, "b");
    uint32_t out = add_port(f, a, "out", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    uint32_t in = add_port(f, b, "in", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT);
    uint32_t in2 = add_port(f, b, "in2", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT);
    uint32_t midi = add_port(f, b, "midi", RILL_PORT_TYPE_MIDI, RILL_PORT_IS_INPUT);
    uint32_t out2 = add_port(f, b, "out", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);

    /* either order: the output is the source */
    assert_int_equal(rill_registry_connect(&f->reg, "b:in", "a:out", &f->l, f->err,
                                           sizeof(f->err)),
                     0);
    char want[64];
    snprintf(want, sizeof(want), "conn %u %u 1;", out, in);
    assert_string_equal(f->rec.log, want);
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "b:in", &f->l, f->err,
                                           sizeof(f->err)),
                     -EEXIST);
    assert_non_null(strstr(f->err, "already connected"));
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "nobody:in", &f->l, f->err,
                                           sizeof(f->err)),
                     -ENOENT);
    assert_non_null(strstr(f->err, "no port named 'nobody:in'"));
    assert_int_equal(rill_registry_connect(&f->reg, "b:in", "b:in2", &f->l, f->err,
                                           sizeof(f->err)),
                     -EINVAL);
    assert_non_null(strstr(f->err, "both inputs"));
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "b:out", &f->l, f->err,
                                           sizeof(f->err)),
                     -EINVAL);
    assert_non_null(strstr(f->err, "both outputs"));
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "b:midi", &f->l, f->err,
                                           sizeof(f->err)),
                     -EPROTOTYPE);
    assert_non_null(strstr(f->err, "different types"));
    char longname[300];
    memset(longname, 'x', 299);
    longname[299] = '\0';
    assert_int_equal(rill_registry_connect(&f->reg, longname, "b:in", &f->l, f->err,
                                           sizeof(f->err)),
                     -ENAMETOOLONG);
    (void)in2;
    (void)midi;
    (void)out2;

    /* serials grow with each connection */
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "b:in2", &f->l, f->err,
                                           sizeof(f->err)),
                     0);
    uint64_t s1 = 0, s2 = 0;
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
        if (!f->reg.conns[i].in_use)
            continue;
        if (f->reg.conns[i].dst == in)
            s1 = f->reg.conns[i].serial;
        if (f->reg.conns[i].dst == in2)
            s2 = f->reg.conns[i].serial;
    }
    assert_true(s1 > 0 && s2 > s1);

    assert_int_equal(rill_registry_disconnect(&f->reg, "a:out", "b:in", &f->l, f->err,
                                              sizeof(f->err)),
                     0);
    assert_int_equal(rill_registry_disconnect(&f->reg, "a:out", "b:in", &f->l, f->err,
                                              sizeof(f->err)),
                     -ENOENT);
    assert_non_null(strstr(f->err, "not connected"));
}

static void test_client_remove_order(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "a"), b = add_client(f, "b");
    uint32_t out = add_port(f, a, "out", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    uint32_t in = add_port(f, b, "in", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT);
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "b:in", NULL, f->err,
                                           sizeof(f->err)),
                     0);
    f->rec.log[0] = '\0';
    rill_registry_client_remove(&f->reg, a, &f->l);
    /* disconnections, then ports, then the client */
    char want[128];
    snprintf(want, sizeof(want), "conn %u %u 0;port %u 0;client %u 0;", out, in, out, a);
    assert_string_equal(f->rec.log, want);
    assert_int_equal(f->reg.clients[a].in_use, 0);
    assert_int_equal(f->reg.ports[out].in_use, 0);
    assert_int_equal(rill_registry_client_ports(&f->reg, b), 1);
    assert_int_equal(atomic_load(&f->reg.seq) & 1, 0);
}

/* deactivation: every connection of the client's ports goes, the others stay */
static void test_client_disconnect(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "a"), b = add_client(f, "b"), c = add_client(f, "c");
    uint32_t aout = add_port(f, a, "out", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    uint32_t bin = add_port(f, b, "in", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT);
    uint32_t bout = add_port(f, b, "out", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    uint32_t cin = add_port(f, c, "in", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT);
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "b:in", NULL, f->err, sizeof(f->err)), 0);
    assert_int_equal(rill_registry_connect(&f->reg, "b:out", "c:in", NULL, f->err, sizeof(f->err)), 0);
    assert_int_equal(rill_registry_connect(&f->reg, "a:out", "c:in", NULL, f->err, sizeof(f->err)), 0);
    f->rec.log[0] = '\0';
    rill_registry_client_disconnect(&f->reg, b, &f->l);
    char want[128];
    snprintf(want, sizeof(want), "conn %u %u 0;conn %u %u 0;", aout, bin, bout, cin);
    assert_string_equal(f->rec.log, want);
    uint32_t n = 0;
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (f->reg.conns[i].in_use) {
            n++;
            assert_int_equal(f->reg.conns[i].src, aout);
            assert_int_equal(f->reg.conns[i].dst, cin);
        }
    assert_int_equal(n, 1);
    assert_int_equal(rill_registry_client_ports(&f->reg, b), 2); /* ports stay */
    assert_int_equal(atomic_load(&f->reg.seq) & 1, 0);
}

static void test_client_slots_next_fit(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "a");
    rill_registry_client_remove(&f->reg, a, NULL);
    uint32_t b = add_client(f, "b");
    assert_int_not_equal(a, b);
    /* all slots: 511 clients fit, the next is refused */
    for (uint32_t i = 0; i < RILL_MAX_CLIENTS - 2; i++) {
        char name[32];
        snprintf(name, sizeof(name), "c%u", i);
        add_client(f, name);
    }
    uint32_t slot;
    int renamed;
    assert_int_equal(rill_registry_client_add(&f->reg, "late", 1, 0, 0, 0, &slot, &renamed,
                                              f->err, sizeof(f->err)),
                     -EUSERS);
}


/* A removed client whose process may still run: its slot and its ports'
 * ids are not handed out until it is released. */
static void test_client_hold(void **state)
{
    struct fixture *f = *state;
    uint32_t a = add_client(f, "old");
    uint32_t p1 = add_port(f, a, "in", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_INPUT);
    uint32_t p2 = add_port(f, a, "out", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    rill_registry_client_remove(&f->reg, a, &f->l);
    rill_registry_client_hold(&f->reg, a);
    assert_true(f->reg.clients[a].flags & RILL_CLIENT_HELD);
    assert_false(f->reg.clients[a].in_use);
    assert_true(f->reg.ports[p1].free_gen == RILL_PORT_HELD);
    assert_true(f->reg.ports[p2].free_gen == RILL_PORT_HELD);

    /* every other slot is taken, the held one is never offered */
    uint32_t slot;
    int renamed;
    char name[32];
    for (uint32_t i = 0; i < RILL_MAX_CLIENTS - 2; i++) {
        snprintf(name, sizeof(name), "c%u", i);
        assert_int_equal(rill_registry_client_add(&f->reg, name, 1, 0, 0, 0, &slot, &renamed,
                                                  f->err, sizeof(f->err)),
                         0);
        assert_int_not_equal(slot, a);
    }
    assert_int_equal(rill_registry_client_add(&f->reg, "late", 1, 0, 0, 0, &slot, &renamed,
                                              f->err, sizeof(f->err)),
                     -EUSERS);
    /* nor are its port ids, even when nothing else is free */
    uint32_t owner = 1 + (a % (RILL_MAX_CLIENTS - 1)); /* some slot in use */
    uint32_t id;
    for (uint32_t i = 0; i < 62; i++) {
        snprintf(name, sizeof(name), "p%u", i);
        id = add_port(f, owner, name, RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
        assert_true(id != p1 && id != p2);
    }
    assert_int_equal(rill_registry_port_add(&f->reg, 64, owner, "more", RILL_PORT_TYPE_AUDIO,
                                            RILL_PORT_IS_OUTPUT, &id, f->err, sizeof(f->err)),
                     -EAGAIN);

    /* the process is gone: slot and ids are free again */
    rill_registry_client_release(&f->reg, a, 0);
    assert_false(f->reg.clients[a].flags & RILL_CLIENT_HELD);
    assert_int_equal(rill_registry_client_add(&f->reg, "late", 1, 0, 0, 0, &slot, &renamed,
                                              f->err, sizeof(f->err)),
                     0);
    assert_int_equal(slot, a);
    id = add_port(f, owner, "more", RILL_PORT_TYPE_AUDIO, RILL_PORT_IS_OUTPUT);
    assert_true(id == p1 || id == p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_held_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_held_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registries_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_remove_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_slots_next_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_hold, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
