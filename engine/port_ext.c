/* engine/port_ext.c — port renames, aliases and monitor requests
 * (PORT_NAME, PORT_MONITOR; main thread only).
 *
 * JACK's rules: a port is renamed by its owner with a new short name (the
 * "client:" part stays) and every client hears of it (port-rename callback);
 * any client may give any port up to two aliases; a monitor request on an
 * input port is passed on to the ports that feed it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "engine/port_ext.h"
#include "engine/server_priv.h"

static int rename_port(struct rill_server *s, struct rill_conn *c, struct rill_msg *m,
                       struct rill_shm_port *p, const char *name)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    if (p->client != c->slot || p->client >= RILL_MAX_CLIENTS)
        return rill_msg_errf(m, -EPERM,
                             "port '%s' belongs to another client: only its owner may rename it",
                             p->name);
    const char *cname = reg->clients[p->client].name;
    size_t clen = strnlen(cname, sizeof(reg->clients[p->client].name) - 1);
    /* accept "client:short" with the owner's own prefix as well */
    if (strncmp(name, cname, clen) == 0 && name[clen] == ':')
        name += clen + 1;
    if (!name[0] || strchr(name, ':'))
        return rill_msg_errf(
            m, -EINVAL, "'%s' is not a port short name: give 1 or more bytes without ':'", name);
    char full[RILL_PORT_NAME_SIZE + RILL_CLIENT_NAME_SIZE];
    int n = snprintf(full, sizeof(full), "%s:%s", cname, name);
    if (n < 0 || (size_t)n >= RILL_PORT_NAME_SIZE)
        return rill_msg_errf(m, -ENAMETOOLONG,
                             "'%.60s...' is too long: a full port name has at most %u bytes", full,
                             RILL_PORT_NAME_SIZE - 1);
    int other = rill_registry_lookup(reg, full);
    if (other >= 0 && &reg->ports[other] != p)
        return rill_msg_errf(m, -EEXIST, "a port named '%s' already exists", full);
    struct rill_msg ev = { .type = RILL_EV_PORT_RENAME };
    ev.u.port_rename.id = m->u.port_name.id;
    memcpy(ev.u.port_rename.old_name, p->name, sizeof(p->name));
    rill_registry_write_begin(reg);
    memcpy(p->name, full, (size_t)n + 1);
    rill_registry_write_end(reg);
    memcpy(ev.u.port_rename.new_name, p->name, sizeof(p->name));
    rill_server_broadcast(s, &ev, RILL_NO_SLOT);
    if (s->opt->verbose)
        rill_server_log("port '%s' renamed '%s'", ev.u.port_rename.old_name, p->name);
    return 0;
}

static int set_alias(struct rill_server *s, struct rill_msg *m, struct rill_shm_port *p,
                     const char *alias)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    if (!alias[0])
        return rill_msg_errf(m, -EINVAL, "an alias cannot be empty");
    if (rill_registry_lookup(reg, alias) >= 0)
        return rill_msg_errf(m, -EEXIST, "'%s' already names a port (or is an alias of one)",
                             alias);
    int k = !p->alias[0][0] ? 0 : !p->alias[1][0] ? 1 : -1;
    if (k < 0)
        return rill_msg_errf(m, -ENOSPC,
                             "port '%s' has two aliases already ('%s', '%s'); unset one first",
                             p->name, p->alias[0], p->alias[1]);
    rill_registry_write_begin(reg);
    snprintf(p->alias[k], sizeof(p->alias[k]), "%s", alias);
    rill_registry_write_end(reg);
    return 0;
}

static int unset_alias(struct rill_server *s, struct rill_msg *m, struct rill_shm_port *p,
                       const char *alias)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    for (int k = 0; k < 2; k++) {
        if (p->alias[k][0] && strcmp(p->alias[k], alias) == 0) {
            rill_registry_write_begin(reg);
            memset(p->alias[k], 0, sizeof(p->alias[k]));
            rill_registry_write_end(reg);
            return 0;
        }
    }
    return rill_msg_errf(m, -ENOENT, "port '%s' has no alias '%s'", p->name, alias);
}

/* Main thread. */
int rill_port_name_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_shm_registry *reg = &s->shm.state->registry;
    struct rill_msg_port_name *pn = &m->u.port_name;
    if (pn->id >= RILL_MAX_PORTS || !reg->ports[pn->id].in_use)
        return rill_msg_errf(m, -ENOENT, "there is no port with id %u", pn->id);
    if (!memchr(pn->name, '\0', sizeof(pn->name)))
        return rill_msg_errf(m, -ENAMETOOLONG, "the name is too long: the limit is %u bytes",
                             RILL_PORT_NAME_SIZE - 1);
    struct rill_shm_port *p = &reg->ports[pn->id];
    switch (pn->op) {
    case RILL_PORT_NAME_RENAME:
        return rename_port(s, c, m, p, pn->name);
    case RILL_PORT_NAME_ALIAS_SET:
        return set_alias(s, m, p, pn->name);
    case RILL_PORT_NAME_ALIAS_UNSET:
        return unset_alias(s, m, p, pn->name);
    default:
        return rill_msg_errf(
            m, -EINVAL, "unknown port name op %u (0 rename, 1 set alias, 2 unset alias)", pn->op);
    }
}

/* Apply one monitor op to port id and, for an input, to its sources; depth
 * bounds the walk through a graph with cycles. */
static void monitor_apply(struct rill_shm_registry *reg, uint32_t id, uint32_t op, int depth)
{
    if (id >= RILL_MAX_PORTS)
        return;
    struct rill_shm_port *p = &reg->ports[id];
    uint32_t n = p->monitor_requests;
    switch (op) {
    case RILL_MONITOR_REQUEST_ON: n++; break;
    case RILL_MONITOR_REQUEST_OFF: n = n ? n - 1 : 0; break;
    case RILL_MONITOR_ENSURE_ON: n = n ? n : 1; break;
    default: n = 0; break;
    }
    rill_registry_write_begin(reg);
    p->monitor_requests = n;
    rill_registry_write_end(reg);
    if (!(p->flags & RILL_PORT_IS_INPUT) || depth >= 16 || op >= RILL_MONITOR_ENSURE_OFF)
        return;
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (reg->conns[i].in_use && reg->conns[i].dst == id)
            monitor_apply(reg, reg->conns[i].src, op, depth + 1);
}

/* Main thread. */
int rill_port_monitor_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    (void)c;
    struct rill_shm_registry *reg = &s->shm.state->registry;
    struct rill_msg_port_monitor *pm = &m->u.port_monitor;
    if (pm->id >= RILL_MAX_PORTS || !reg->ports[pm->id].in_use)
        return rill_msg_errf(m, -ENOENT, "there is no port with id %u", pm->id);
    if (pm->op > RILL_MONITOR_ENSURE_ON)
        return rill_msg_errf(
            m, -EINVAL,
            "unknown monitor op %u (0 request off, 1 request on, 2 ensure off, 3 ensure on)",
            pm->op);
    monitor_apply(reg, pm->id, pm->op, 0);
    return 0;
}
