/* clients/core/registry_read.c — lock-free reads of the shared registry.
 *
 * The registry (rill/shm.h) is written by the engine's main thread under a
 * seqlock: seq is odd while a change is in progress and even after it
 * (release). A reader loads seq (acquire), skips odd values, reads, issues an
 * acquire fence and reloads seq; when it moved, the read is retried. After
 * READ_TRIES attempts the last (possibly torn) copy is returned rather than
 * spinning forever: callers only use it for display and lookups.
 *
 * Every read of shared text is bounded by the field's size, so a torn read
 * never runs off the end of a name.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <string.h>

#include "clients/core/client.h"

#define READ_TRIES 1000000u

static const char *const type_names[RILL_PORT_TYPE_COUNT] = {
    [RILL_PORT_TYPE_AUDIO] = "32 bit float mono audio",
    [RILL_PORT_TYPE_MIDI] = "8 bit raw midi",
};

/* seqlock begin: returns the even seq to compare with, or 1 (odd) when a
 * writer is active. Any thread. The cast drops const: an atomic load does not
 * write, and the state may be mapped read-only. */
static inline uint32_t seq_begin(const struct rill_shm_state *st)
{
    return atomic_load_explicit((_Atomic uint32_t *)&st->registry.seq, memory_order_acquire);
}

/* seqlock end: 1 when nothing changed since seq_begin returned s. The acquire
 * fence keeps the data reads above from moving below the reload. */
static inline int seq_valid(const struct rill_shm_state *st, uint32_t s)
{
    atomic_thread_fence(memory_order_acquire);
    uint32_t s2 = atomic_load_explicit((_Atomic uint32_t *)&st->registry.seq, memory_order_relaxed);
    return s == s2;
}

/* Bounded equality of a shared name with a caller's string. */
static int name_equal(const char *shared, size_t size, const char *name, size_t len)
{
    if (len >= size || shared[0] == '\0')
        return 0;
    return memcmp(shared, name, len) == 0 && shared[len] == '\0';
}

/* Any thread. */
int rill_registry_port(const struct rill_shm_state *st, uint32_t id, struct rill_shm_port *out)
{
    if (!st || !out || id >= RILL_MAX_PORTS)
        return -EINVAL;
    const struct rill_shm_port *p = &st->registry.ports[id];
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint32_t s = seq_begin(st);
        if ((s & 1) && tries + 1 < READ_TRIES)
            continue;
        memcpy(out, p, sizeof(*out));
        if (seq_valid(st, s))
            break;
    }
    out->name[sizeof(out->name) - 1] = '\0';
    out->alias[0][sizeof(out->alias[0]) - 1] = '\0';
    out->alias[1][sizeof(out->alias[1]) - 1] = '\0';
    return out->in_use ? 0 : -ENOENT;
}

/* Any thread. */
int rill_registry_find_port(const struct rill_shm_state *st, const char *name)
{
    if (!st || !name)
        return -EINVAL;
    size_t len = strlen(name);
    if (len == 0 || len >= RILL_PORT_NAME_SIZE)
        return -ENOENT;
    int found = -ENOENT;
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint32_t s = seq_begin(st);
        if ((s & 1) && tries + 1 < READ_TRIES)
            continue;
        found = -ENOENT;
        for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
            const struct rill_shm_port *p = &st->registry.ports[id];
            if (!p->in_use)
                continue;
            if (name_equal(p->name, sizeof(p->name), name, len) ||
                name_equal(p->alias[0], sizeof(p->alias[0]), name, len) ||
                name_equal(p->alias[1], sizeof(p->alias[1]), name, len)) {
                found = (int)id;
                break;
            }
        }
        if (seq_valid(st, s))
            break;
    }
    return found;
}

/* Any thread. */
int rill_registry_client(const struct rill_shm_state *st, uint32_t slot,
                         struct rill_shm_client *out)
{
    if (!st || !out || slot >= RILL_MAX_CLIENTS)
        return -EINVAL;
    const struct rill_shm_client *cl = &st->registry.clients[slot];
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint32_t s = seq_begin(st);
        if ((s & 1) && tries + 1 < READ_TRIES)
            continue;
        memcpy(out, cl, sizeof(*out));
        if (seq_valid(st, s))
            break;
    }
    out->name[sizeof(out->name) - 1] = '\0';
    return out->in_use ? 0 : -ENOENT;
}

/* Any thread. */
int rill_registry_find_client(const struct rill_shm_state *st, const char *name)
{
    if (!st || !name)
        return -EINVAL;
    size_t len = strlen(name);
    if (len == 0 || len >= RILL_CLIENT_NAME_SIZE)
        return -ENOENT;
    int found = -ENOENT;
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint32_t s = seq_begin(st);
        if ((s & 1) && tries + 1 < READ_TRIES)
            continue;
        found = -ENOENT;
        for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
            const struct rill_shm_client *cl = &st->registry.clients[slot];
            if (cl->in_use && name_equal(cl->name, sizeof(cl->name), name, len)) {
                found = (int)slot;
                break;
            }
        }
        if (seq_valid(st, s))
            break;
    }
    return found;
}

/* One pass over conns[] for port id: count the peers and write up to max of
 * them into peers in serial order. Called inside a seqlock read. */
static int connections_once(const struct rill_shm_registry *reg, uint32_t id, uint32_t *peers,
                            size_t max)
{
    size_t total = 0, written = 0;
    int sorted = 1;
    uint64_t last = 0;
    /* Fast path: conns[] usually holds a port's connections in serial order
     * already; copy them in array order while checking that. */
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
        const struct rill_shm_conn *cn = &reg->conns[i];
        if (!cn->in_use || (cn->src != id && cn->dst != id))
            continue;
        if (total > 0 && cn->serial < last)
            sorted = 0;
        last = cn->serial;
        if (written < max)
            peers[written++] = cn->src == id ? cn->dst : cn->src;
        total++;
    }
    if (sorted || max == 0)
        return (int)total;
    /* Slow path: selection by serial, one pass per peer written. Bounded by
     * max * RILL_MAX_CONNECTIONS; only taken when slots were reused. */
    size_t want = total < max ? total : max;
    uint64_t floor_serial = 0;
    int have_floor = 0;
    for (written = 0; written < want; written++) {
        const struct rill_shm_conn *best = NULL;
        for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
            const struct rill_shm_conn *cn = &reg->conns[i];
            if (!cn->in_use || (cn->src != id && cn->dst != id))
                continue;
            if (have_floor && cn->serial <= floor_serial)
                continue;
            if (!best || cn->serial < best->serial)
                best = cn;
        }
        if (!best)
            break; /* torn read: the seqlock check will retry */
        peers[written] = best->src == id ? best->dst : best->src;
        floor_serial = best->serial;
        have_floor = 1;
    }
    return (int)total;
}

/* Any thread. */
int rill_registry_connections(const struct rill_shm_state *st, uint32_t id, uint32_t *peers,
                              size_t max)
{
    if (!st || (max && !peers) || id >= RILL_MAX_PORTS)
        return -EINVAL;
    int total = 0;
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint32_t s = seq_begin(st);
        if ((s & 1) && tries + 1 < READ_TRIES)
            continue;
        total = connections_once(&st->registry, id, peers, max);
        if (seq_valid(st, s))
            break;
    }
    return total;
}

/* Any thread. */
int rill_registry_connected(const struct rill_shm_state *st, uint32_t a, uint32_t b)
{
    if (!st || a >= RILL_MAX_PORTS || b >= RILL_MAX_PORTS)
        return 0;
    int found = 0;
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint32_t s = seq_begin(st);
        if ((s & 1) && tries + 1 < READ_TRIES)
            continue;
        found = 0;
        for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
            const struct rill_shm_conn *cn = &st->registry.conns[i];
            if (cn->in_use && ((cn->src == a && cn->dst == b) || (cn->src == b && cn->dst == a))) {
                found = 1;
                break;
            }
        }
        if (seq_valid(st, s))
            break;
    }
    return found;
}

/* Any thread. */
int rill_registry_port_ids(const struct rill_shm_state *st, uint32_t *ids, size_t max)
{
    if (!st || (max && !ids))
        return -EINVAL;
    int total = 0;
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint32_t s = seq_begin(st);
        if ((s & 1) && tries + 1 < READ_TRIES)
            continue;
        size_t n = 0;
        for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
            if (!st->registry.ports[id].in_use)
                continue;
            if (n < max)
                ids[n] = id;
            n++;
        }
        total = (int)n;
        if (seq_valid(st, s))
            break;
    }
    return total;
}

/* Any thread. */
int rill_port_type_from_string(const char *type)
{
    if (!type)
        return -EINVAL;
    for (int t = 0; t < RILL_PORT_TYPE_COUNT; t++)
        if (strcmp(type, type_names[t]) == 0)
            return t;
    return -EINVAL;
}

/* Any thread. NULL for an unknown type. */
const char *rill_port_type_string(uint32_t type)
{
    return type < RILL_PORT_TYPE_COUNT ? type_names[type] : NULL;
}

/* Any thread but a realtime one (copies the whole registry, about a
 * megabyte). A consistent copy of the registry into *out: tools that draw
 * or tabulate the whole graph read it once instead of port by port. Returns
 * 0, or -EAGAIN when the engine kept changing it for every attempt (the
 * caller may retry later; no torn copy is ever returned). */
int rill_registry_snapshot(const struct rill_shm_state *st, struct rill_shm_registry *out)
{
    if (!st || !out)
        return -EINVAL;
    for (unsigned tries = 0; tries < 1000u; tries++) {
        uint32_t s = seq_begin(st);
        if (s & 1)
            continue;
        memcpy(out, (const void *)&st->registry, sizeof *out);
        if (seq_valid(st, s))
            return 0;
    }
    return -EAGAIN;
}
