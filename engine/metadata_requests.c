/* engine/metadata_requests.c — PROPERTY_SET/REMOVE/READ requests and the
 * property-change events (main thread only).
 *
 * The store is the server's (s->metadata). A SET arrives in chunks; each
 * connection has at most one property being received (c->metadata),
 * dropped when the connection closes or a new SET starts at offset 0. A
 * READ goes on from where the connection's last chunk ended (its cursor),
 * so reading the store costs one pass, not one per chunk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "engine/metadata.h"
#include "engine/server_priv.h"

static void notify(struct rill_server *s, uint64_t subject, const char *key, int change)
{
    struct rill_msg ev = { .type = RILL_EV_PROPERTY };
    ev.u.property_event.subject = subject;
    ev.u.property_event.change = (uint32_t)change;
    if (key) {
        ev.u.property_event.has_key = 1;
        snprintf(ev.u.property_event.key, sizeof(ev.u.property_event.key), "%s", key);
    }
    rill_server_broadcast(s, &ev, RILL_NO_SLOT);
}

/* 1 when uuid names a client or a port that exists now. */
static int subject_exists(const struct rill_server *s, uint64_t uuid)
{
    const struct rill_shm_registry *reg = &s->shm.state->registry;
    for (uint32_t i = 0; i < RILL_MAX_CLIENTS; i++)
        if (reg->clients[i].in_use && reg->clients[i].uuid == uuid)
            return 1;
    for (uint32_t i = 0; i < RILL_MAX_PORTS; i++)
        if (reg->ports[i].in_use && reg->ports[i].uuid == uuid)
            return 1;
    return 0;
}

static void staging_drop(struct rill_metadata_conn *st)
{
    free(st->buf);
    st->buf = NULL;
    st->total = st->have = 0;
}

/* The whole property arrived in st: check and store it. */
static int commit(struct rill_server *s, struct rill_msg *m, struct rill_metadata_conn *st)
{
    const char *key = st->buf, *end = st->buf + st->total;
    const char *value = memchr(key, '\0', (size_t)(end - key));
    const char *type = value ? memchr(value + 1, '\0', (size_t)(end - value - 1)) : NULL;
    const char *last = type ? memchr(type + 1, '\0', (size_t)(end - type - 1)) : NULL;
    if (!last || last != end - 1)
        return rill_msg_errf(m, -EINVAL, "a property must be sent as key\\0value\\0type\\0");
    value++;
    type++;
    if (!key[0])
        return rill_msg_errf(m, -EINVAL, "a property needs a non-empty key");
    if (strlen(key) >= RILL_PROPERTY_KEY_SIZE)
        return rill_msg_errf(m, -ENAMETOOLONG,
                             "property key '%.60s...' is too long: the limit is %u bytes", key,
                             RILL_PROPERTY_KEY_SIZE - 1);
    int change;
    int r = rill_metadata_set(&s->metadata, m->u.property.subject, key, value, type, &change);
    if (r == -ENOSPC)
        return rill_msg_errf(
            m, r,
            "cannot store property '%s': the metadata store is full (%zu properties, "
            "%zu bytes; at most %zu properties and %zu bytes of keys, values and "
            "types): remove properties first",
            key, s->metadata.count, s->metadata.bytes, s->metadata.max_props,
            s->metadata.max_bytes);
    if (r < 0)
        return rill_msg_errf(m, r, "cannot store property '%s': %s", key, strerror(-r));
    notify(s, m->u.property.subject, key, change);
    return 0;
}

static int do_set(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_msg_property *p = &m->u.property;
    struct rill_metadata_conn *st = &c->metadata;
    if (p->offset == 0) {
        staging_drop(st);
        if (p->subject == 0)
            return rill_msg_errf(m, -EINVAL,
                                 "a property needs a subject (a client or port uuid), not 0");
        if (!subject_exists(s, p->subject))
            return rill_msg_errf(m, -ENOENT, "no client or port has uuid %llu",
                                 (unsigned long long)p->subject);
        if (p->total < 3 || p->total > RILL_PROPERTY_MAX_BYTES)
            return rill_msg_errf(m, -EMSGSIZE,
                                 "a property (key, value and type) must have 3 to %u bytes, not %u",
                                 RILL_PROPERTY_MAX_BYTES, p->total);
        st->buf = malloc(p->total);
        if (!st->buf)
            return rill_msg_errf(m, -ENOMEM, "no memory for a property of %u bytes", p->total);
        st->total = p->total;
    }
    if (!st->buf || p->offset != st->have || p->total != st->total ||
        p->len > RILL_PROPERTY_CHUNK || p->len > st->total - st->have) {
        staging_drop(st);
        return rill_msg_errf(m, -EPROTO, "property chunk out of order (offset %u, %u bytes)",
                             p->offset, p->len);
    }
    memcpy(st->buf + st->have, p->data, p->len);
    st->have += p->len;
    if (st->have < st->total)
        return 0;
    int r = commit(s, m, st);
    staging_drop(st);
    return r;
}

static int do_remove(struct rill_server *s, struct rill_msg *m)
{
    struct rill_metadata *store = &s->metadata;
    struct rill_msg_property *p = &m->u.property;
    int n;
    switch (p->op) {
    case RILL_PROPERTY_ONE:
        if (!memchr(p->data, '\0', sizeof(p->data)))
            return rill_msg_errf(m, -EINVAL, "the key is not a terminated string");
        if (rill_metadata_remove(store, p->subject, p->data) < 0)
            return rill_msg_errf(m, -ENOENT, "subject %llu has no property '%s'",
                                 (unsigned long long)p->subject, p->data);
        notify(s, p->subject, p->data, RILL_PROPERTY_DELETED);
        n = 1;
        break;
    case RILL_PROPERTY_SUBJECT:
        n = rill_metadata_remove_subject(store, p->subject);
        if (n > 0)
            notify(s, p->subject, NULL, RILL_PROPERTY_DELETED);
        break;
    case RILL_PROPERTY_ALL:
        n = rill_metadata_remove_all(store);
        notify(s, 0, NULL, RILL_PROPERTY_DELETED);
        break;
    default:
        return rill_msg_errf(m, -EINVAL, "unknown property remove op %u (0 one, 1 subject, 2 all)",
                             p->op);
    }
    p->total = (uint32_t)n;
    return 0;
}

static int do_read(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    struct rill_msg_property *p = &m->u.property;
    if (p->op > RILL_PROPERTY_ALL)
        return rill_msg_errf(m, -EINVAL, "unknown property read op %u (0 one, 1 subject, 2 all)",
                             p->op);
    if (p->op == RILL_PROPERTY_ONE && !memchr(p->data, '\0', sizeof(p->data)))
        return rill_msg_errf(m, -EINVAL, "the key is not a terminated string");
    char key[RILL_PROPERTY_CHUNK];
    memcpy(key, p->data, sizeof(key));
    size_t n, total;
    memset(p->data, 0, sizeof(p->data));
    int r = rill_metadata_read(&s->metadata, &c->metadata.read, p->op, p->subject, key,
                               p->offset, p->data, RILL_PROPERTY_CHUNK, &n, &total);
    if (r < 0)
        return rill_msg_errf(m, r, "offset %u is beyond the %zu bytes of properties", p->offset,
                             total);
    p->total = (uint32_t)total; /* below 4 GiB: RILL_METADATA_MAX_BYTES */
    p->len = (uint32_t)n;
    p->version = s->metadata.version;
    return 0;
}

/* Main thread. */
int rill_metadata_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m)
{
    switch (m->type) {
    case RILL_MSG_PROPERTY_SET:
        return do_set(s, c, m);
    case RILL_MSG_PROPERTY_REMOVE:
        return do_remove(s, m);
    default:
        return do_read(s, c, m);
    }
}

/* Main thread. */
void rill_metadata_subject_gone(struct rill_server *s, uint64_t uuid)
{
    if (uuid && rill_metadata_remove_subject(&s->metadata, uuid) > 0)
        notify(s, uuid, NULL, RILL_PROPERTY_DELETED);
}

/* Main thread. */
void rill_metadata_conn_gone(struct rill_conn *c)
{
    staging_drop(&c->metadata);
}
