/* clients/jack/jack_port_ext.c — renaming ports, aliases, monitoring, ties,
 * port type sizes and the port-rename callback.
 *
 * Names, aliases and monitor counts live in the engine's registry and are
 * changed by requests (engine/port_ext.c). A tie is the client's own
 * business: after each process callback the realtime thread copies a tied
 * input's buffer into its output (JACK's documented meaning: "any data
 * arriving at the input port will appear automatically at the output").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

/* Send PORT_NAME op for port with name. 0 or -1 with a message. */
static int port_name_request(jack_port_t *port, uint32_t op, const char *name, const char *what)
{
    if (!port || !name) {
        rill_jack_error("%s: no %s given", what, port ? "name" : "port");
        return -1;
    }
    if (strlen(name) >= RILL_PORT_NAME_SIZE) {
        rill_jack_error("%s: '%.40s...' is too long: names have at most %u bytes", what, name,
                        RILL_PORT_NAME_SIZE - 1);
        return -1;
    }
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PORT_NAME;
    m.u.port_name.id = port->id;
    m.u.port_name.op = op;
    memcpy(m.u.port_name.name, name, strlen(name) + 1);
    char w[2 * RILL_PORT_NAME_SIZE + 64];
    snprintf(w, sizeof(w), "%s('%s', '%s')", what, port->name, name);
    if (rill_jack_request(port->client, &m, w) < 0)
        return -1;
    (void)rill_jack_port_get(port->client, port->id); /* refresh the handle */
    return 0;
}

/* Rename one of our ports (new short name). Any non-realtime thread. */
int jack_port_rename(jack_client_t *client, jack_port_t *port, const char *port_name)
{
    if (!client || !port)
        return -1;
    return port_name_request(port, RILL_PORT_NAME_RENAME, port_name, __func__);
}

/* Deprecated form of jack_port_rename. Any non-realtime thread. */
int jack_port_set_name(jack_port_t *port, const char *port_name)
{
    if (!port)
        return -1;
    return port_name_request(port, RILL_PORT_NAME_RENAME, port_name, __func__);
}

/* Any non-realtime thread. */
int jack_port_set_alias(jack_port_t *port, const char *alias)
{
    return port_name_request(port, RILL_PORT_NAME_ALIAS_SET, alias, __func__);
}

/* Any non-realtime thread. */
int jack_port_unset_alias(jack_port_t *port, const char *alias)
{
    return port_name_request(port, RILL_PORT_NAME_ALIAS_UNSET, alias, __func__);
}

/* Send PORT_MONITOR. 0 or -1. */
static int monitor_request(jack_client_t *client, uint32_t id, uint32_t op, const char *what)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PORT_MONITOR;
    m.u.port_monitor.id = id;
    m.u.port_monitor.op = op;
    return rill_jack_request(client, &m, what);
}

/* Any non-realtime thread. */
int jack_port_request_monitor(jack_port_t *port, int onoff)
{
    if (!port)
        return -1;
    return monitor_request(port->client, port->id,
                           onoff ? RILL_MONITOR_REQUEST_ON : RILL_MONITOR_REQUEST_OFF, __func__);
}

/* Any non-realtime thread. */
int jack_port_request_monitor_by_name(jack_client_t *client, const char *port_name, int onoff)
{
    if (!client || !port_name)
        return -1;
    int id = rill_registry_find_port(client->st, port_name);
    if (id < 0) {
        rill_jack_error("jack_port_request_monitor_by_name: no port named '%s'", port_name);
        return -1;
    }
    return monitor_request(client, (uint32_t)id,
                           onoff ? RILL_MONITOR_REQUEST_ON : RILL_MONITOR_REQUEST_OFF, __func__);
}

/* Any non-realtime thread. */
int jack_port_ensure_monitor(jack_port_t *port, int onoff)
{
    if (!port)
        return -1;
    return monitor_request(port->client, port->id,
                           onoff ? RILL_MONITOR_ENSURE_ON : RILL_MONITOR_ENSURE_OFF, __func__);
}

/* 1 when someone asked for monitoring of port. Any thread (a registry read). */
int jack_port_monitoring_input(jack_port_t *port)
{
    struct rill_shm_port p;
    if (!port || rill_registry_port(port->client->st, port->id, &p) < 0)
        return 0;
    return p.monitor_requests > 0;
}

/* Tie our input src to our output dst. 0 or -1. Any non-realtime thread. */
int jack_port_tie(jack_port_t *src, jack_port_t *dst)
{
    if (!src || !dst || src->client != dst->client) {
        rill_jack_error("jack_port_tie: both ports must be handles of the same client");
        return -1;
    }
    jack_client_t *c = src->client;
    if (!jack_port_is_mine(c, src) || !jack_port_is_mine(c, dst) ||
        !(src->flags & JackPortIsInput) || !(dst->flags & JackPortIsOutput) ||
        src->type != dst->type) {
        rill_jack_error("jack_port_tie: '%s' -> '%s': tie an input to an output of the same "
                        "type, both of this client",
                        src->name, dst->name);
        return -1;
    }
    /* release: the realtime thread reads the input id with acquire */
    if (atomic_exchange_explicit(&dst->tied_to, src->id + 1, memory_order_acq_rel) == 0)
        atomic_fetch_add_explicit(&c->ties, 1, memory_order_relaxed);
    return 0;
}

/* Any non-realtime thread. */
int jack_port_untie(jack_port_t *port)
{
    if (!port)
        return -1;
    if (atomic_exchange_explicit(&port->tied_to, 0, memory_order_acq_rel) == 0) {
        rill_jack_error("jack_port_untie: '%s' is not tied", port->name);
        return -1;
    }
    atomic_fetch_sub_explicit(&port->client->ties, 1, memory_order_relaxed);
    return 0;
}

/* Realtime thread. RT-safe: one pass over the handles, a memcpy per tie. */
void rill_jack_ties_run(struct _jack_client *c, uint32_t nframes)
{
    uint32_t stride = c->st->pool_stride;
    size_t bytes = (size_t)nframes * sizeof(float);
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        uint32_t in = atomic_load_explicit(&c->ports[id].tied_to, memory_order_acquire);
        if (!in)
            continue;
        const void *src = rill_client_port_buffer(c->core, in - 1);
        void *dst = rill_client_port_buffer(c->core, id);
        if (src && dst && src != dst)
            memcpy(dst, src, c->ports[id].type == 0 ? (bytes < stride ? bytes : stride) : stride);
    }
}

/* Bytes of one buffer of port_type. Any thread. */
size_t jack_port_type_get_buffer_size(jack_client_t *client, const char *port_type)
{
    if (!client || !port_type)
        return 0;
    if (rill_port_type_from_string(port_type) < 0) {
        rill_jack_error("jack_port_type_get_buffer_size: unknown port type '%s'", port_type);
        return 0;
    }
    return (size_t)jack_get_buffer_size(client) * sizeof(float);
}

/* Only while inactive. Any non-realtime thread. */
int jack_set_port_rename_callback(jack_client_t *client, JackPortRenameCallback rename_callback,
                                  void *arg)
{
    if (!client || rill_jack_refuse_when_active(client, __func__))
        return -1;
    pthread_mutex_lock(&client->cb_lock);
    client->cb.port_rename = rename_callback;
    client->cb.port_rename_arg = arg;
    pthread_mutex_unlock(&client->cb_lock);
    return 0;
}

/* Notification thread: EV_PORT_RENAME. */
void rill_jack_port_rename_event(struct _jack_client *c, const struct rill_jack_callbacks *cb,
                                 const struct rill_msg *ev)
{
    uint32_t id = ev->u.port_rename.id;
    if (id >= RILL_MAX_PORTS)
        return;
    (void)rill_jack_port_get(c, id); /* the handle takes the new name */
    if (!cb->port_rename)
        return;
    char old_name[RILL_PORT_NAME_SIZE], new_name[RILL_PORT_NAME_SIZE];
    memcpy(old_name, ev->u.port_rename.old_name, sizeof(old_name));
    memcpy(new_name, ev->u.port_rename.new_name, sizeof(new_name));
    old_name[sizeof(old_name) - 1] = new_name[sizeof(new_name) - 1] = '\0';
    cb->port_rename(id, old_name, new_name, cb->port_rename_arg);
}
