/* engine/registry.c — graph changes in the shared registry (main thread). */
#include "engine/registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "rill/seqlock.h"

#define UUID_TYPE_PORT 1ull
#define UUID_TYPE_CLIENT 2ull

/* Main thread. */
void rill_registry_write_begin(struct rill_shm_registry *reg)
{
    if (reg->write_depth++ == 0)
        rill_seqlock_write_begin(&reg->seq);
}

/* Main thread. */
void rill_registry_write_end(struct rill_shm_registry *reg)
{
    if (--reg->write_depth == 0)
        rill_seqlock_write_end(&reg->seq);
}

/* Main thread. */
void rill_registry_init(struct rill_shm_registry *reg)
{
    memset(reg, 0, sizeof(*reg));
}

/* 1 when a slot (client or port id) with these fields may be handed out:
 * not in use, and not held for a plan the realtime thread may still run
 * (free_gen above adopted_gen: counted in *held). */
static int free_now(const struct rill_shm_registry *reg, uint32_t in_use, uint64_t free_gen,
                    uint32_t *held)
{
    if (in_use)
        return 0;
    if (free_gen > reg->adopted_gen) {
        (*held)++;
        return 0;
    }
    return 1;
}

static int client_name_taken(const struct rill_shm_registry *reg, const char *name)
{
    for (uint32_t i = 0; i < RILL_MAX_CLIENTS; i++)
        if (reg->clients[i].in_use && strcmp(reg->clients[i].name, name) == 0)
            return 1;
    return 0;
}

/* Main thread. */
int rill_registry_client_add(struct rill_shm_registry *reg, const char *name, int32_t pid,
                             uint32_t flags, int exact, int want_slot0, uint32_t *slot,
                             int *renamed, char *err, size_t errsize)
{
    size_t len = strnlen(name, RILL_CLIENT_NAME_SIZE);
    if (len == 0 || strchr(name, ':')) {
        rill_errf(err, errsize, 0, "client name '%s' is not allowed: use 1 to 63 bytes without ':'",
                  name);
        return -EINVAL;
    }
    if (len >= RILL_CLIENT_NAME_SIZE) {
        rill_errf(err, errsize, 0, "client name '%.64s...' is too long: the limit is 63 bytes",
                  name);
        return -ENAMETOOLONG;
    }
    uint32_t s = 0;
    if (!want_slot0) {
        /* next fit, as for ports: a slot freed by a client that was cut
         * out while stopped is not handed to a newcomer at once */
        s = RILL_MAX_CLIENTS;
        uint32_t held = 0;
        /* a zeroed registry (cursor 0) starts at slot 1 */
        uint32_t from = reg->client_cursor ? reg->client_cursor - 1 : 0;
        for (uint32_t k = 0; k < RILL_MAX_CLIENTS - 1; k++) {
            uint32_t cand = 1 + (from + k) % (RILL_MAX_CLIENTS - 1);
            if (reg->clients[cand].flags & RILL_CLIENT_HELD)
                continue; /* its old process may still write there */
            /* held by free_gen: a running plan may still trigger it */
            if (free_now(reg, reg->clients[cand].in_use, reg->clients[cand].free_gen, &held)) {
                s = cand;
                break;
            }
        }
        if (s == RILL_MAX_CLIENTS && held) {
            rill_errf(err, errsize, 0,
                      "no room for client '%s' yet: %u client slot(s) are freed once "
                      "the engine runs its next cycle; try again",
                      name, held);
            return -EAGAIN;
        }
        if (s == RILL_MAX_CLIENTS) {
            rill_errf(err, errsize, 0, "no room for client '%s': all %u client slots are taken",
                      name, RILL_MAX_CLIENTS - 1);
            return -EUSERS;
        }
    }
    /* zeroed: all of it goes into shared memory and to the clients */
    char final[RILL_CLIENT_NAME_SIZE] = "";
    snprintf(final, sizeof(final), "%s", name);
    *renamed = 0;
    if (client_name_taken(reg, final)) {
        if (exact) {
            rill_errf(err, errsize, 0, "a client named '%s' already exists", name);
            return -EEXIST;
        }
        int n;
        for (n = 1; n < 100; n++) {
            int keep = (int)(len > RILL_CLIENT_NAME_SIZE - 4 ? RILL_CLIENT_NAME_SIZE - 4 : len);
            snprintf(final, sizeof(final), "%.*s-%02d", keep, name, n);
            if (!client_name_taken(reg, final))
                break;
        }
        if (n == 100) {
            rill_errf(err, errsize, 0, "no unique name left for client '%s'", name);
            return -EEXIST;
        }
        *renamed = 1;
    }
    if (!want_slot0)
        reg->client_cursor = 1 + s % (RILL_MAX_CLIENTS - 1);
    rill_registry_write_begin(reg);
    struct rill_shm_client *c = &reg->clients[s];
    memset(c, 0, sizeof(*c));
    c->in_use = 1;
    c->pid = pid;
    c->flags = flags;
    c->uuid = (UUID_TYPE_CLIENT << 32) | ++reg->uuid_counter;
    memcpy(c->name, final, sizeof(c->name));
    rill_registry_write_end(reg);
    *slot = s;
    return 0;
}

/* Remove connection i, telling the listener. */
static void conn_remove(struct rill_shm_registry *reg, uint32_t i,
                        const struct rill_registry_listener *l)
{
    uint32_t src = reg->conns[i].src, dst = reg->conns[i].dst;
    rill_registry_write_begin(reg);
    memset(&reg->conns[i], 0, sizeof(reg->conns[i]));
    rill_registry_write_end(reg);
    if (l && l->connect)
        l->connect(l->arg, src, dst, 0);
}

/* Main thread. */
int rill_registry_port_disconnect(struct rill_shm_registry *reg, uint32_t id,
                                  const struct rill_registry_listener *l)
{
    if (id >= RILL_MAX_PORTS || !reg->ports[id].in_use)
        return -ENOENT;
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (reg->conns[i].in_use && (reg->conns[i].src == id || reg->conns[i].dst == id))
            conn_remove(reg, i, l);
    return 0;
}

/* Main thread. */
void rill_registry_client_disconnect(struct rill_shm_registry *reg, uint32_t slot,
                                     const struct rill_registry_listener *l)
{
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
        const struct rill_shm_conn *c = &reg->conns[i];
        if (!c->in_use || c->src >= RILL_MAX_PORTS || c->dst >= RILL_MAX_PORTS)
            continue;
        if (reg->ports[c->src].client == slot || reg->ports[c->dst].client == slot)
            conn_remove(reg, i, l);
    }
}

/* Main thread. */
int rill_registry_port_remove(struct rill_shm_registry *reg, uint32_t id,
                              const struct rill_registry_listener *l)
{
    if (id >= RILL_MAX_PORTS || !reg->ports[id].in_use)
        return -ENOENT;
    rill_registry_port_disconnect(reg, id, l);
    rill_registry_write_begin(reg);
    reg->ports[id].in_use = 0;
    rill_registry_write_end(reg);
    if (l && l->port)
        l->port(l->arg, id, 0);
    return 0;
}

/* Main thread. */
void rill_registry_client_remove(struct rill_shm_registry *reg, uint32_t slot,
                                 const struct rill_registry_listener *l)
{
    if (slot >= RILL_MAX_CLIENTS || !reg->clients[slot].in_use)
        return;
    /* all disconnections first, then the ports, then the client */
    rill_registry_client_disconnect(reg, slot, l);
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++)
        if (reg->ports[id].in_use && reg->ports[id].client == slot)
            rill_registry_port_remove(reg, id, l);
    rill_registry_write_begin(reg);
    reg->clients[slot].in_use = 0;
    reg->clients[slot].active = 0;
    rill_registry_write_end(reg);
    if (l && l->client)
        l->client(l->arg, slot, 0);
}

/* Main thread. */
void rill_registry_client_hold(struct rill_shm_registry *reg, uint32_t slot)
{
    if (slot >= RILL_MAX_CLIENTS || reg->clients[slot].in_use)
        return;
    rill_registry_write_begin(reg);
    reg->clients[slot].flags |= RILL_CLIENT_HELD;
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        struct rill_shm_port *p = &reg->ports[id];
        if (!p->in_use && p->client == slot && p->gen)
            p->free_gen = RILL_PORT_HELD;
    }
    rill_registry_write_end(reg);
}

/* Main thread. */
void rill_registry_client_release(struct rill_shm_registry *reg, uint32_t slot, uint64_t free_gen)
{
    if (slot >= RILL_MAX_CLIENTS || !(reg->clients[slot].flags & RILL_CLIENT_HELD))
        return;
    rill_registry_write_begin(reg);
    reg->clients[slot].flags &= ~RILL_CLIENT_HELD;
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        struct rill_shm_port *p = &reg->ports[id];
        if (!p->in_use && p->client == slot && p->free_gen == RILL_PORT_HELD)
            p->free_gen = free_gen;
    }
    rill_registry_write_end(reg);
}

/* Main thread. */
int rill_registry_lookup(const struct rill_shm_registry *reg, const char *name)
{
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        const struct rill_shm_port *p = &reg->ports[id];
        if (!p->in_use)
            continue;
        if (strcmp(p->name, name) == 0 || (p->alias[0][0] && strcmp(p->alias[0], name) == 0) ||
            (p->alias[1][0] && strcmp(p->alias[1], name) == 0))
            return (int)id;
    }
    return -ENOENT;
}

/* Main thread. */
int rill_registry_port_add(struct rill_shm_registry *reg, uint32_t port_max, uint32_t slot,
                           const char *short_name, uint32_t type, uint32_t flags, uint32_t *id,
                           char *err, size_t errsize)
{
    if (slot >= RILL_MAX_CLIENTS || !reg->clients[slot].in_use)
        return -ENOENT;
    uint32_t dir = flags & (RILL_PORT_IS_INPUT | RILL_PORT_IS_OUTPUT);
    if (dir != RILL_PORT_IS_INPUT && dir != RILL_PORT_IS_OUTPUT) {
        rill_errf(err, errsize, 0, "port '%s' must be either an input or an output", short_name);
        return -EINVAL;
    }
    if (type >= RILL_PORT_TYPE_COUNT) {
        rill_errf(err, errsize, 0, "port '%s' has an unknown type", short_name);
        return -EINVAL;
    }
    if (short_name[0] == '\0') {
        rill_errf(err, errsize, 0, "a port needs a name");
        return -EINVAL;
    }
    char full[RILL_PORT_NAME_SIZE + RILL_CLIENT_NAME_SIZE];
    int n = snprintf(full, sizeof(full), "%s:%s", reg->clients[slot].name, short_name);
    if (n < 0 || (size_t)n >= RILL_PORT_NAME_SIZE) {
        rill_errf(
            err, errsize, 0,
            "port name '%.80s...' is too long: a full name (client:port) has at most 255 bytes",
            full);
        return -ENAMETOOLONG;
    }
    if (rill_registry_lookup(reg, full) >= 0) {
        rill_errf(err, errsize, 0, "a port named '%s' already exists", full);
        return -EEXIST;
    }
    if (port_max > RILL_MAX_PORTS)
        port_max = RILL_MAX_PORTS;
    /* next fit: a freed id is not handed out again at once, so a stale
     * handle in some client does not name a new port right away; and never
     * while a running plan may still hold it (free_gen) */
    uint32_t found = UINT32_MAX, held = 0;
    for (uint32_t k = 0; k < port_max; k++) {
        uint32_t cand = (reg->port_cursor + k) % port_max;
        if (free_now(reg, reg->ports[cand].in_use, reg->ports[cand].free_gen, &held)) {
            found = cand;
            break;
        }
    }
    if (found == UINT32_MAX && held) {
        rill_errf(err, errsize, 0,
                  "no room for port '%s' yet: %u port slot(s) are freed once the engine "
                  "runs its next cycle",
                  full, held);
        return -EAGAIN;
    }
    if (found == UINT32_MAX) {
        rill_errf(err, errsize, 0,
                  "no room for port '%s': all %u port slots are in use (rilld --port-max)", full,
                  port_max);
        return -ENOSPC;
    }
    reg->port_cursor = (found + 1) % port_max;
    rill_registry_write_begin(reg);
    struct rill_shm_port *p = &reg->ports[found];
    uint32_t gen = p->gen + 1;
    memset(p, 0, sizeof(*p));
    p->in_use = 1;
    p->gen = gen;
    p->client = slot;
    p->flags = flags;
    p->type = type;
    p->uuid = (UUID_TYPE_PORT << 32) | ++reg->uuid_counter;
    memcpy(p->name, full, (size_t)n + 1);
    rill_registry_write_end(reg);
    *id = found;
    return 0;
}

/* Resolve a and b into (source, destination). */
static int resolve_pair(const struct rill_shm_registry *reg, const char *a, const char *b,
                        uint32_t *src, uint32_t *dst, char *err, size_t errsize)
{
    const char *names[2] = { a, b };
    int ids[2];
    for (int k = 0; k < 2; k++) {
        if (strnlen(names[k], RILL_PORT_NAME_SIZE) >= RILL_PORT_NAME_SIZE) {
            rill_errf(err, errsize, 0, "port name '%.60s...' is too long: the limit is 255 bytes",
                      names[k]);
            return -ENAMETOOLONG;
        }
        ids[k] = rill_registry_lookup(reg, names[k]);
        if (ids[k] < 0) {
            rill_errf(
                err, errsize, 0,
                "no port named '%s' (ports are named CLIENT:PORT; list them with: rillctl ports)",
                names[k]);
            return -ENOENT;
        }
    }
    const struct rill_shm_port *pa = &reg->ports[ids[0]], *pb = &reg->ports[ids[1]];
    if ((pa->flags & RILL_PORT_IS_OUTPUT) && (pb->flags & RILL_PORT_IS_INPUT)) {
        *src = (uint32_t)ids[0];
        *dst = (uint32_t)ids[1];
    } else if ((pa->flags & RILL_PORT_IS_INPUT) && (pb->flags & RILL_PORT_IS_OUTPUT)) {
        *src = (uint32_t)ids[1];
        *dst = (uint32_t)ids[0];
    } else {
        rill_errf(err, errsize, 0, "'%s' and '%s' are both %s: connect an output to an input", a, b,
                  (pa->flags & RILL_PORT_IS_INPUT) ? "inputs" : "outputs");
        return -EINVAL;
    }
    if (pa->type != pb->type) {
        rill_errf(err, errsize, 0,
                  "'%s' and '%s' have different types (audio and MIDI cannot be connected)", a, b);
        return -EPROTOTYPE;
    }
    return 0;
}

static int conn_find(const struct rill_shm_registry *reg, uint32_t src, uint32_t dst)
{
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (reg->conns[i].in_use && reg->conns[i].src == src && reg->conns[i].dst == dst)
            return (int)i;
    return -ENOENT;
}

/* Main thread. */
int rill_registry_connect(struct rill_shm_registry *reg, const char *a, const char *b,
                          const struct rill_registry_listener *l, char *err, size_t errsize)
{
    uint32_t src, dst;
    int r = resolve_pair(reg, a, b, &src, &dst, err, errsize);
    if (r < 0)
        return r;
    if (conn_find(reg, src, dst) >= 0) {
        rill_errf(err, errsize, 0, "'%s' and '%s' are already connected", reg->ports[src].name,
                  reg->ports[dst].name);
        return -EEXIST;
    }
    uint32_t i;
    for (i = 0; i < RILL_MAX_CONNECTIONS && reg->conns[i].in_use; i++)
        ;
    if (i == RILL_MAX_CONNECTIONS) {
        rill_errf(err, errsize, 0, "cannot connect '%s' to '%s': the connection table is full", a,
                  b);
        return -ENOSPC;
    }
    rill_registry_write_begin(reg);
    reg->conns[i].in_use = 1;
    reg->conns[i].src = src;
    reg->conns[i].dst = dst;
    reg->conns[i].feedback = 0;
    reg->conns[i].serial = ++reg->next_serial;
    rill_registry_write_end(reg);
    if (l && l->connect)
        l->connect(l->arg, src, dst, 1);
    return 0;
}

/* Main thread. */
int rill_registry_disconnect(struct rill_shm_registry *reg, const char *a, const char *b,
                             const struct rill_registry_listener *l, char *err, size_t errsize)
{
    uint32_t src, dst;
    int r = resolve_pair(reg, a, b, &src, &dst, err, errsize);
    if (r < 0)
        return r;
    int i = conn_find(reg, src, dst);
    if (i < 0) {
        rill_errf(err, errsize, 0, "'%s' and '%s' are not connected", reg->ports[src].name,
                  reg->ports[dst].name);
        return -ENOENT;
    }
    conn_remove(reg, (uint32_t)i, l);
    return 0;
}

/* Main thread. */
uint32_t rill_registry_client_ports(const struct rill_shm_registry *reg, uint32_t slot)
{
    uint32_t n = 0;
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++)
        if (reg->ports[id].in_use && reg->ports[id].client == slot)
            n++;
    return n;
}
