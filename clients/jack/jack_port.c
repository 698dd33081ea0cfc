/* clients/jack/jack_port.c — ports: registration, handles, names, buffers,
 * connections and listing.
 *
 * Handles are the client's ports[id] (see jack_priv.h): stable pointers, one
 * per port id, refreshed from the shared registry whenever a port is looked
 * up. Lists (jack_get_ports, jack_port_get_connections) are one malloc'd
 * block, pointers then strings, that jack_free releases.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/jack/jack_priv.h"

/* Refresh h from a registry copy. Any non-realtime thread. */
static void rill_jack_port_fill(struct _jack_client *c, struct _jack_port *h,
                                const struct rill_shm_port *p)
{
    pthread_mutex_lock(&c->ports_lock);
    /* relaxed: the lock orders writers; lock-free readers only need to see
     * valid after the fields, hence the release store below */
    if (atomic_load_explicit(&h->valid, memory_order_relaxed) && h->gen == p->gen &&
        h->owner == p->client && strncmp(h->name, p->name, sizeof(h->name)) == 0) {
        pthread_mutex_unlock(&c->ports_lock);
        return;
    }
    h->gen = p->gen;
    h->owner = p->client;
    h->flags = p->flags;
    h->type = p->type;
    atomic_store_explicit(&h->uuid, p->uuid, memory_order_relaxed);
    memcpy(h->name, p->name, sizeof(h->name));
    h->name[sizeof(h->name) - 1] = '\0';
    atomic_store_explicit(&h->valid, 1, memory_order_release);
    pthread_mutex_unlock(&c->ports_lock);
}

/* Any non-realtime thread. */
struct _jack_port *rill_jack_port_get(struct _jack_client *c, uint32_t id)
{
    if (id >= RILL_MAX_PORTS)
        return NULL;
    struct _jack_port *h = &c->ports[id];
    struct rill_shm_port p;
    if (rill_registry_port(c->st, id, &p) == 0) {
        rill_jack_port_fill(c, h, &p);
        return h;
    }
    /* gone, but its unregistration callback is running right now */
    if (atomic_load_explicit(&c->dying_port, memory_order_relaxed) == id + 1 &&
        atomic_load_explicit(&h->valid, memory_order_acquire))
        return h;
    return NULL;
}

/* Any non-realtime thread. */
const char **rill_jack_name_array(const struct rill_shm_state *st, const uint32_t *ids, size_t n)
{
    if (n == 0)
        return NULL;
    /* worst case: every name at full length */
    size_t size = (n + 1) * sizeof(char *) + n * RILL_PORT_NAME_SIZE;
    char **out = malloc(size);
    if (!out)
        return NULL;
    char *s = (char *)(out + n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct rill_shm_port p;
        if (rill_registry_port(st, ids[i], &p) < 0)
            continue;
        size_t len = strnlen(p.name, sizeof(p.name) - 1);
        memcpy(s, p.name, len);
        s[len] = '\0';
        out[k++] = s;
        s += len + 1;
    }
    out[k] = NULL;
    if (k == 0) {
        free(out);
        return NULL;
    }
    return (const char **)out;
}

/* Connections of port id as a malloc'd id array; *n is how many. Returns 0
 * or -ENOMEM. Any non-realtime thread. */
static int rill_jack_peers(const struct rill_shm_state *st, uint32_t id, uint32_t **out,
                           size_t *n)
{
    size_t max = 16;
    for (int tries = 0; tries < 8; tries++) {
        uint32_t *peers = malloc(max * sizeof(*peers));
        if (!peers)
            return -ENOMEM;
        int total = rill_registry_connections(st, id, peers, max);
        if (total < 0)
            total = 0;
        if ((size_t)total <= max) {
            *out = peers;
            *n = (size_t)total;
            return 0;
        }
        free(peers);
        max = (size_t)total + 16; /* grew meanwhile: retry, a few times at most */
    }
    return -EAGAIN;
}

/* Register a port of this client. NULL on error (with a message). Any
 * non-realtime thread. */
jack_port_t *jack_port_register(jack_client_t *client, const char *port_name,
                                const char *port_type, unsigned long flags,
                                unsigned long buffer_size)
{
    if (!client)
        return NULL;
    const char *cname = rill_client_name(client->core);
    if (!port_name || !port_name[0]) {
        rill_jack_error("jack_port_register: '%s' gave no port name", cname);
        return NULL;
    }
    if (strlen(cname) + 1 + strlen(port_name) >= RILL_PORT_NAME_SIZE) {
        rill_jack_error("jack_port_register: '%s:%s' is too long: a full port name has at "
                        "most %u bytes (jack_port_name_size() - 1)",
                        cname, port_name, RILL_PORT_NAME_SIZE - 1);
        return NULL;
    }
    /* type and direction are checked by the core, which says what is valid */
    uint32_t id = 0;
    char err[RILL_ERROR_SIZE] = "";
    int r = rill_client_port_register(client->core, port_name, port_type, (uint32_t)flags, &id,
                                      err, sizeof(err));
    if (r < 0) {
        rill_jack_error("cannot register port '%s:%s': %s", cname, port_name,
                        err[0] ? err : strerror(-r));
        return NULL;
    }
    jack_port_t *h = rill_jack_port_get(client, id);
    if (!h)
        rill_jack_error("port '%s:%s' (id %u) vanished right after registration", cname,
                        port_name, id);
    return h;
}

/* 0, or -1 when port is not this client's or the server refused. Any
 * non-realtime thread. */
int jack_port_unregister(jack_client_t *client, jack_port_t *port)
{
    if (!client || !port)
        return -1;
    if (!jack_port_is_mine(client, port)) {
        rill_jack_error("cannot unregister port '%s': it does not belong to '%s'", port->name,
                        rill_client_name(client->core));
        return -1;
    }
    int r = rill_client_port_unregister(client->core, port->id);
    if (r < 0) {
        rill_jack_error("cannot unregister port '%s': %s", port->name, strerror(-r));
        return -1;
    }
    return 0;
}

/* The port's buffer for this cycle. RT-safe: no allocation, no lock. */
void *jack_port_get_buffer(jack_port_t *port, jack_nframes_t nframes)
{
    if (!port)
        return NULL;
    return rill_client_port_buffer(port->client->core, port->id);
}

/* Any thread. */
const char *jack_port_name(const jack_port_t *port)
{
    return port ? port->name : NULL;
}

/* The part after "client:". Any thread. */
const char *jack_port_short_name(const jack_port_t *port)
{
    if (!port)
        return NULL;
    const char *colon = strchr(port->name, ':');
    return colon ? colon + 1 : port->name;
}

/* Any thread. */
int jack_port_flags(const jack_port_t *port)
{
    return port ? (int)port->flags : 0;
}

/* Any thread. */
const char *jack_port_type(const jack_port_t *port)
{
    if (!port)
        return NULL;
    const char *s = rill_port_type_string(port->type);
    return s ? s : "";
}

/* 0 audio, 1 MIDI (enum rill_port_type). Any thread. */
jack_port_type_id_t jack_port_type_id(const jack_port_t *port)
{
    return port ? (jack_port_type_id_t)port->type : 0;
}

/* Any thread: the uuid copied when the handle was filled (the realtime
 * thread may ask for it; JACK programs do); the registry only for a handle
 * filled without one. */
jack_uuid_t jack_port_uuid(const jack_port_t *port)
{
    if (!port)
        return 0;
    if (atomic_load_explicit(&port->valid, memory_order_acquire)) {
        uint64_t u = atomic_load_explicit(&port->uuid, memory_order_relaxed);
        if (u)
            return (jack_uuid_t)u;
    }
    struct rill_shm_port p;
    if (rill_registry_port(port->client->st, port->id, &p) < 0)
        return 0;
    return (jack_uuid_t)p.uuid;
}

/* 1 when port belongs to client. Any thread. */
int jack_port_is_mine(const jack_client_t *client, const jack_port_t *port)
{
    if (!client || !port || port->client != client)
        return 0;
    return port->owner == rill_client_slot(client->core) ? 1 : 0;
}

/* Number of connections. Any non-realtime thread. */
int jack_port_connected(const jack_port_t *port)
{
    if (!port)
        return 0;
    uint32_t none[1];
    int n = rill_registry_connections(port->client->st, port->id, none, 0);
    return n < 0 ? 0 : n;
}

/* 1 when port is connected to the port called port_name. Any non-realtime
 * thread. */
int jack_port_connected_to(const jack_port_t *port, const char *port_name)
{
    if (!port || !port_name)
        return 0;
    int other = rill_registry_find_port(port->client->st, port_name);
    if (other < 0)
        return 0;
    return rill_registry_connected(port->client->st, port->id, (uint32_t)other) > 0 ? 1 : 0;
}

/* Full names of the ports connected to port, or NULL. Any non-realtime
 * thread. */
const char **jack_port_get_connections(const jack_port_t *port)
{
    if (!port)
        return NULL;
    uint32_t *peers = NULL;
    size_t n = 0;
    if (rill_jack_peers(port->client->st, port->id, &peers, &n) < 0)
        return NULL;
    const char **out = rill_jack_name_array(port->client->st, peers, n);
    free(peers);
    return out;
}

/* Same, for any port. Any non-realtime thread. */
const char **jack_port_get_all_connections(const jack_client_t *client, const jack_port_t *port)
{
    if (!client || !port)
        return NULL;
    uint32_t *peers = NULL;
    size_t n = 0;
    if (rill_jack_peers(client->st, port->id, &peers, &n) < 0)
        return NULL;
    const char **out = rill_jack_name_array(client->st, peers, n);
    free(peers);
    return out;
}

/* Copy the port's aliases into aliases[0..1] (each jack_port_name_size()
 * bytes); returns how many it has. Any non-realtime thread. */
int jack_port_get_aliases(const jack_port_t *port, char *const aliases[2])
{
    struct rill_shm_port p;
    if (!port || !aliases || rill_registry_port(port->client->st, port->id, &p) < 0)
        return 0;
    int n = 0;
    for (int i = 0; i < 2; i++) {
        p.alias[i][RILL_PORT_NAME_SIZE - 1] = '\0';
        if (!p.alias[i][0])
            continue;
        if (aliases[n])
            memcpy(aliases[n], p.alias[i], strlen(p.alias[i]) + 1);
        n++;
    }
    return n;
}

/* Latency functions: jack_latency.c. */

/* The handle of the port with this full name or alias, or NULL. Any
 * non-realtime thread. */
jack_port_t *jack_port_by_name(jack_client_t *client, const char *port_name)
{
    if (!client || !port_name)
        return NULL;
    int id = rill_registry_find_port(client->st, port_name);
    if (id < 0)
        return NULL;
    return rill_jack_port_get(client, (uint32_t)id);
}

/* The handle of port id, or NULL. Any non-realtime thread. */
jack_port_t *jack_port_by_id(jack_client_t *client, jack_port_id_t port_id)
{
    if (!client)
        return NULL;
    return rill_jack_port_get(client, port_id);
}

/* Send a CONNECT or DISCONNECT. Returns the reply's result. */
static int rill_jack_connect_request(jack_client_t *client, uint32_t type, const char *src,
                                     const char *dst, char *err, size_t errsize)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    memcpy(m.u.connect.src, src, strlen(src) + 1);
    memcpy(m.u.connect.dst, dst, strlen(dst) + 1);
    int r = rill_client_request(client->core, &m);
    if (r < 0) {
        m.error[sizeof(m.error) - 1] = '\0';
        snprintf(err, errsize, "%s", m.error[0] ? m.error : strerror(-r));
    }
    return r;
}

/* Check two port names for a (dis)connection; 0 or -1 with a message. */
static int rill_jack_check_names(const char *what, const char *src, const char *dst)
{
    if (!src || !dst) {
        rill_jack_error("cannot %s: a port name is missing (source %s, destination %s)", what,
                        src ? src : "NULL", dst ? dst : "NULL");
        return -1;
    }
    if (strlen(src) >= RILL_PORT_NAME_SIZE || strlen(dst) >= RILL_PORT_NAME_SIZE) {
        rill_jack_error("cannot %s '%.40s...' and '%.40s...': port names have at most %u "
                        "bytes",
                        what, src, dst, RILL_PORT_NAME_SIZE - 1);
        return -1;
    }
    return 0;
}

/* 0, EEXIST when already connected, -1 otherwise. Any non-realtime thread. */
int jack_connect(jack_client_t *client, const char *source_port, const char *destination_port)
{
    if (!client || rill_jack_check_names("connect", source_port, destination_port) < 0)
        return -1;
    char err[RILL_ERROR_SIZE];
    int r = rill_jack_connect_request(client, RILL_MSG_CONNECT, source_port, destination_port,
                                      err, sizeof(err));
    if (r == -EEXIST)
        return EEXIST;
    if (r < 0) {
        rill_jack_error("cannot connect '%s' to '%s': %s", source_port, destination_port, err);
        return -1;
    }
    return 0;
}

/* 0 or -1. Any non-realtime thread. */
int jack_disconnect(jack_client_t *client, const char *source_port, const char *destination_port)
{
    if (!client || rill_jack_check_names("disconnect", source_port, destination_port) < 0)
        return -1;
    char err[RILL_ERROR_SIZE];
    int r = rill_jack_connect_request(client, RILL_MSG_DISCONNECT, source_port,
                                      destination_port, err, sizeof(err));
    if (r < 0) {
        rill_jack_error("cannot disconnect '%s' from '%s': %s", source_port, destination_port,
                        err);
        return -1;
    }
    return 0;
}

/* Drop every connection of port (one of ours). 0 or -1. Any non-realtime
 * thread. */
int jack_port_disconnect(jack_client_t *client, jack_port_t *port)
{
    if (!client || !port)
        return -1;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PORT_DISCONNECT;
    m.u.port.id = port->id;
    int r = rill_client_request(client->core, &m);
    if (r < 0) {
        m.error[sizeof(m.error) - 1] = '\0';
        rill_jack_error("cannot disconnect port '%s': %s", port->name,
                        m.error[0] ? m.error : strerror(-r));
        return -1;
    }
    return 0;
}

/* Compile pattern (NULL or "" matches everything) into re; *used says
 * whether it was compiled. 0 or -1 with a message. */
static int rill_jack_regcomp(regex_t *re, int *used, const char *pattern, const char *what)
{
    *used = 0;
    if (!pattern || !pattern[0])
        return 0;
    int r = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (r != 0) {
        char msg[128];
        regerror(r, re, msg, sizeof(msg));
        rill_jack_error("jack_get_ports: bad %s pattern '%s': %s (a POSIX extended regular "
                        "expression is expected)",
                        what, pattern, msg);
        return -1;
    }
    *used = 1;
    return 0;
}

/* Full names of the ports whose name matches port_pattern, type matches
 * type_pattern and flags include flags, in id order; NULL when none. Any
 * non-realtime thread. */
const char **jack_get_ports(jack_client_t *client, const char *port_pattern,
                            const char *type_pattern, unsigned long flags)
{
    if (!client)
        return NULL;
    const char **out = NULL;
    regex_t name_re, type_re;
    int name_used = 0, type_used = 0;
    if (rill_jack_regcomp(&name_re, &name_used, port_pattern, "port name") < 0)
        goto done;
    if (rill_jack_regcomp(&type_re, &type_used, type_pattern, "type") < 0)
        goto free_name;

    uint32_t *ids = malloc(RILL_MAX_PORTS * sizeof(*ids));
    if (!ids)
        goto free_type;
    int total = rill_registry_port_ids(client->st, ids, RILL_MAX_PORTS);
    size_t n = total < 0 ? 0 : (size_t)total;
    if (n > RILL_MAX_PORTS)
        n = RILL_MAX_PORTS;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct rill_shm_port p;
        if (rill_registry_port(client->st, ids[i], &p) < 0)
            continue;
        p.name[sizeof(p.name) - 1] = '\0';
        if ((p.flags & flags) != flags)
            continue;
        if (type_used) {
            const char *t = rill_port_type_string(p.type);
            if (!t || regexec(&type_re, t, 0, NULL, 0) != 0)
                continue;
        }
        if (name_used && regexec(&name_re, p.name, 0, NULL, 0) != 0)
            continue;
        ids[k++] = ids[i];
    }
    out = rill_jack_name_array(client->st, ids, k);
    free(ids);
free_type:
    if (type_used)
        regfree(&type_re);
free_name:
    if (name_used)
        regfree(&name_re);
done:
    return out;
}
