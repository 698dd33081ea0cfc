/* engine/port_announce.c — when the clients hear of a port (the port
 * registration callback), the way JACK does it.
 *
 * jackd2 announces a port only once its owner is active: a port registered
 * before jack_activate is announced by the activation, one registered later
 * at once. Its removal is announced only when its registration was (so a
 * client that registers and drops a port before activating is never heard
 * of, and nobody sees an unregistration of a port it was never told about).
 * jackd2's own jack_test counts these callbacks and relies on it.
 *
 * Unlike jackd2, rill keeps an inactive client's connections, so it does
 * not announce removals at deactivation; a port stays announced until it is
 * unregistered, and a second activation announces nothing twice.
 */
#include <string.h>

#include "engine/server_priv.h"

/* Main thread. */
static void send_port_event(struct rill_server *s, uint32_t id, int registered)
{
    struct rill_msg ev = { .type = RILL_EV_PORT_REGISTER };
    ev.u.port_event.registered = (uint32_t)registered;
    ev.u.port_event.id = id;
    rill_server_broadcast(s, &ev, RILL_NO_SLOT);
}

/* Main thread. */
void rill_server_port_announce(struct rill_server *s, uint32_t id, int registered)
{
    const struct rill_shm_registry *reg = &s->shm.state->registry;
    if (id >= RILL_MAX_PORTS)
        return;
    if (!registered) {
        if (s->port_announced[id]) {
            s->port_announced[id] = 0;
            send_port_event(s, id, 0);
        }
        return;
    }
    uint32_t owner = reg->ports[id].client;
    if (s->port_announced[id] || owner >= RILL_MAX_CLIENTS || !reg->clients[owner].active)
        return;
    s->port_announced[id] = 1;
    send_port_event(s, id, 1);
}

/* Main thread. */
void rill_server_client_ports_announce(struct rill_server *s, uint32_t slot)
{
    const struct rill_shm_registry *reg = &s->shm.state->registry;
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++)
        if (reg->ports[id].in_use && reg->ports[id].client == slot)
            rill_server_port_announce(s, id, 1);
}
