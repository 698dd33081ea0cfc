/* tests/clients/rill-test-order.c — the order and the audience of JACK's
 * notifications, as jackd2 gives them (tests/integration/jack-order.sh):
 *
 *   1. after a connection, the latency callbacks run before the graph-order
 *      callback;
 *   2. a port of an inactive client is announced to others (the port
 *      registration callback) only when that client activates, once, and its
 *      removal is announced;
 *   3. when jack_port_unregister returns, the caller's own registration
 *      callback for it has run.
 *
 * Prints one "ok: ..." line per check, or "FAIL: ..." and exits 1.
 * usage: rill-test-order
 */
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EV 256

/* events of client A: 'L' latency, 'G' graph order; written by A's
 * notification thread, read by main after a wait (seq_cst counter) */
static char events[MAX_EV];
static atomic_int n_events;
/* registration callbacks of A for port id watch (+1 / -1 each) */
static atomic_uint watch_id = 0xffffffffu;
static atomic_int watch_reg, watch_unreg;

static void add_event(char e)
{
    int i = atomic_load(&n_events);
    if (i < MAX_EV - 1) {
        events[i] = e;
        atomic_store(&n_events, i + 1);
    }
}

/* Notification thread of A. */
static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
    (void)mode;
    (void)arg;
    add_event('L');
}

/* Notification thread of A. */
static int on_graph(void *arg)
{
    (void)arg;
    add_event('G');
    return 0;
}

/* Notification thread of A. */
static void on_port(jack_port_id_t id, int reg, void *arg)
{
    (void)arg;
    if (id != atomic_load(&watch_id))
        return;
    if (reg)
        atomic_fetch_add(&watch_reg, 1);
    else
        atomic_fetch_add(&watch_unreg, 1);
}

static int fail(const char *what)
{
    printf("FAIL: %s\n", what);
    return 1;
}

/* Wait up to 5 s for *v >= want. */
static int wait_at_least(atomic_int *v, int want)
{
    for (int i = 0; i < 500 && atomic_load(v) < want; i++)
        usleep(10000);
    return atomic_load(v) >= want;
}

int main(void)
{
    jack_status_t st;
    jack_client_t *a = jack_client_open("order_a", JackNoStartServer, &st);
    jack_client_t *b = jack_client_open("order_b", JackNoStartServer, &st);
    if (!a || !b)
        return fail("cannot open the two clients");
    /* 0. jack_is_realtime: the server's mode, even before activation */
    int rt0 = jack_is_realtime(a);
    printf("realtime=%d\n", rt0);
    jack_port_t *in = jack_port_register(a, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    if (!in || jack_set_latency_callback(a, on_latency, NULL) ||
        jack_set_graph_order_callback(a, on_graph, NULL) ||
        jack_set_port_registration_callback(a, on_port, NULL) || jack_activate(a))
        return fail("cannot set up client A");
    sleep(1); /* the recomputation of A's activation is over */

    /* 1. latency callbacks before the graph-order callback */
    atomic_store(&n_events, 0);
    if (jack_connect(a, "system:capture_1", jack_port_name(in)))
        return fail("cannot connect system:capture_1 to order_a:in");
    if (!wait_at_least(&n_events, 3))
        return fail("no latency and graph-order callbacks within 5 s of jack_connect");
    usleep(200000);
    events[atomic_load(&n_events)] = '\0';
    char *g = strchr(events, 'G');
    if (events[0] != 'L' || !g || g - events < 2)
        printf("FAIL: after jack_connect the callbacks came as '%s' (L latency, G graph "
               "order); JACK calls both latency callbacks before the graph order one\n",
               events);
    else
        printf("ok: after jack_connect: %s (latency callbacks first)\n", events);
    if (events[0] != 'L' || !g || g - events < 2)
        return 1;

    /* 2. a port of inactive B: not announced until B activates */
    jack_port_t *bp = jack_port_register(b, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!bp)
        return fail("cannot register order_b:out");
    jack_port_t *seen = jack_port_by_name(a, "order_b:out");
    if (!seen)
        return fail("order_a does not find order_b:out by name");
    /* the id of a port as the callbacks give it: jack_port_by_id matches */
    for (jack_port_id_t id = 0; id < 4096; id++)
        if (jack_port_by_id(a, id) == seen) {
            atomic_store(&watch_id, id);
            break;
        }
    if (atomic_load(&watch_id) == 0xffffffffu)
        return fail("no port id of order_b:out found with jack_port_by_id");
    usleep(500000);
    if (atomic_load(&watch_reg) != 0)
        return fail("order_b:out was announced while order_b was inactive (jackd2 waits for "
                    "jack_activate)");
    if (jack_activate(b))
        return fail("cannot activate order_b");
    if (!wait_at_least(&watch_reg, 1))
        return fail("order_b:out was not announced within 5 s of order_b's activation");
    usleep(300000);
    if (atomic_load(&watch_reg) != 1)
        return fail("order_b:out was announced more than once");
    printf("ok: order_b:out announced once, at activation\n");
    if (jack_deactivate(b) || jack_activate(b))
        return fail("cannot deactivate and activate order_b again");
    usleep(300000);
    if (atomic_load(&watch_reg) != 1 || atomic_load(&watch_unreg) != 0)
        return fail("a second activation announced order_b:out again");
    if (jack_port_unregister(b, bp))
        return fail("cannot unregister order_b:out");
    if (!wait_at_least(&watch_unreg, 1))
        return fail("the removal of order_b:out was not announced within 5 s");
    printf("ok: its removal announced once\n");

    /* 3. own unregistration: callback done when jack_port_unregister returns */
    jack_port_t *own = jack_port_register(a, "tmp", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!own)
        return fail("cannot register order_a:tmp");
    for (jack_port_id_t id = 0; id < 4096; id++)
        if (jack_port_by_id(a, id) == own) {
            atomic_store(&watch_id, id);
            break;
        }
    usleep(100000);
    int before = atomic_load(&watch_unreg);
    if (jack_port_unregister(a, own))
        return fail("cannot unregister order_a:tmp");
    if (atomic_load(&watch_unreg) != before + 1)
        return fail("jack_port_unregister returned before the client's own registration "
                    "callback for it ran");
    printf("ok: own unregistration callback ran before jack_port_unregister returned\n");

    /* jack_is_realtime is 0 while freewheeling, as in JACK */
    if (jack_set_freewheel(a, 1))
        return fail("cannot start freewheeling");
    int rt_fw = jack_is_realtime(a);
    if (jack_set_freewheel(a, 0))
        return fail("cannot stop freewheeling");
    if (rt_fw != 0 || jack_is_realtime(a) != rt0)
        return fail("jack_is_realtime is not 0 while freewheeling, or changed after it");
    printf("ok: jack_is_realtime %d, 0 while freewheeling\n", rt0);

    jack_client_close(b);
    jack_client_close(a);
    return 0;
}
