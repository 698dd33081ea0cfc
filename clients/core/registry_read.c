/* clients/core/registry_read.c — lock-free reads of the shared registry.
 *
 * The registry (rill/shm.h) is written by the engine's main thread under its
 * seqlock (rill/seqlock.h), in short sections (a plan is compiled outside
 * them). Every reader here makes at most RILL_SEQLOCK_READ_TRIES attempts,
 * pausing the CPU between them, so a reader on a realtime thread (e.g.
 * jack_port_connected() in a process callback) is bounded to some tens of
 * microseconds. A reader that gets no consistent copy returns -EAGAIN and
 * never a torn copy: with a preempted writer on the same CPU, spinning
 * longer would not help. -EAGAIN is negative, so callers that treat a
 * negative result as "not found" stay correct.
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
#include "rill/seqlock.h"

static const char *const type_names[RILL_PORT_TYPE_COUNT] = {
    [RILL_PORT_TYPE_AUDIO] = "32 bit float mono audio",
    [RILL_PORT_TYPE_MIDI] = "8 bit raw midi",
};

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
    const _Atomic uint32_t *seq = &st->registry.seq;
    int ok = 0;
    for (unsigned tries = 0; !ok && tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
            continue;
        memcpy(out, p, sizeof(*out));
        ok = rill_seqlock_read_end(seq, s);
    }
    if (!ok) {
        memset(out, 0, sizeof(*out));
        return -EAGAIN;
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
    const _Atomic uint32_t *seq = &st->registry.seq;
    int ok = 0;
    for (unsigned tries = 0; !ok && tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
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
        ok = rill_seqlock_read_end(seq, s);
    }
    if (!ok)
        return -EAGAIN;
    return found;
}

/* Any thread. */
int rill_registry_client(const struct rill_shm_state *st, uint32_t slot,
                         struct rill_shm_client *out)
{
    if (!st || !out || slot >= RILL_MAX_CLIENTS)
        return -EINVAL;
    const struct rill_shm_client *cl = &st->registry.clients[slot];
    const _Atomic uint32_t *seq = &st->registry.seq;
    int ok = 0;
    for (unsigned tries = 0; !ok && tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
            continue;
        memcpy(out, cl, sizeof(*out));
        ok = rill_seqlock_read_end(seq, s);
    }
    if (!ok) {
        memset(out, 0, sizeof(*out));
        return -EAGAIN;
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
    const _Atomic uint32_t *seq = &st->registry.seq;
    int ok = 0;
    for (unsigned tries = 0; !ok && tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
            continue;
        found = -ENOENT;
        for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
            const struct rill_shm_client *cl = &st->registry.clients[slot];
            if (cl->in_use && name_equal(cl->name, sizeof(cl->name), name, len)) {
                found = (int)slot;
                break;
            }
        }
        ok = rill_seqlock_read_end(seq, s);
    }
    if (!ok)
        return -EAGAIN;
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
    const _Atomic uint32_t *seq = &st->registry.seq;
    int ok = 0;
    for (unsigned tries = 0; !ok && tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
            continue;
        total = connections_once(&st->registry, id, peers, max);
        ok = rill_seqlock_read_end(seq, s);
    }
    if (!ok)
        return -EAGAIN;
    return total;
}

/* Any thread. */
int rill_registry_connected(const struct rill_shm_state *st, uint32_t a, uint32_t b)
{
    if (!st || a >= RILL_MAX_PORTS || b >= RILL_MAX_PORTS)
        return 0;
    int found = 0;
    const _Atomic uint32_t *seq = &st->registry.seq;
    int ok = 0;
    for (unsigned tries = 0; !ok && tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
            continue;
        found = 0;
        for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
            const struct rill_shm_conn *cn = &st->registry.conns[i];
            if (cn->in_use && ((cn->src == a && cn->dst == b) || (cn->src == b && cn->dst == a))) {
                found = 1;
                break;
            }
        }
        ok = rill_seqlock_read_end(seq, s);
    }
    if (!ok)
        return -EAGAIN;
    return found;
}

/* Any thread. */
int rill_registry_port_ids(const struct rill_shm_state *st, uint32_t *ids, size_t max)
{
    if (!st || (max && !ids))
        return -EINVAL;
    int total = 0;
    const _Atomic uint32_t *seq = &st->registry.seq;
    int ok = 0;
    for (unsigned tries = 0; !ok && tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(seq, &s))
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
        ok = rill_seqlock_read_end(seq, s);
    }
    if (!ok)
        return -EAGAIN;
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
    return rill_seqlock_read_copy(&st->registry.seq, out, (const void *)&st->registry,
                                  sizeof *out);
}
