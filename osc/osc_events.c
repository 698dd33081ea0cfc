/* osc/osc_events.c — subscribers: leases, snapshots, events.
 *
 * A subscriber is a destination (its reply URL, else the sender) with
 * topics, a lease and a queue (an outbox). Every event carries the
 * subscriber's own sequence number, so a gap shows a lost datagram. The
 * graph events come from the notifications the engine sends its clients
 * (rill_osc_event, called from rill_server_broadcast) and from port removal
 * (rill_osc_port_gone); transport, position and status are read from the
 * engine's shared state on the timer; xruns from the engine's xrun
 * notification, at most ten a second.
 *
 * Each subscriber remembers which ports it was told of (known[]), so that
 * what it hears after its snapshot is exactly the changes: a port that an
 * inactive client registered is in the snapshot and is not "added" again
 * when the client activates.
 *
 * A queue holding more than OSC_EVENT_QUEUE_MAX events (a Unix-socket
 * subscriber that does not read) is emptied and replaced by `overflow` and a
 * fresh snapshot. Main thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/core/client.h"
#include "osc/osc_priv.h"

static const struct {
    const char *name;
    uint32_t bit;
} topic_names[] = {
    { "graph", OSC_T_GRAPH },   { "transport", OSC_T_TRANSPORT }, { "position", OSC_T_POSITION },
    { "status", OSC_T_STATUS }, { "xrun", OSC_T_XRUN },           { "log", OSC_T_LOG },
    { "surface", OSC_T_SURFACE },
};

#define TOPICS_ALL (OSC_T_GRAPH | OSC_T_TRANSPORT | OSC_T_STATUS | OSC_T_XRUN | OSC_T_LOG)

static int parse_topics(const char *s, uint32_t *out, char *why, size_t whysize)
{
    uint32_t t = 0;
    const char *p = s;
    if (!*s)
        goto bad;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int found = 0;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            t |= TOPICS_ALL;
            found = 1;
        }
        for (size_t i = 0; !found && i < sizeof(topic_names) / sizeof(topic_names[0]); i++) {
            if (strlen(topic_names[i].name) == n && strncmp(p, topic_names[i].name, n) == 0) {
                t |= topic_names[i].bit;
                found = 1;
            }
        }
        if (!found)
            goto bad;
        p += n;
        if (*p == ',')
            p++;
    }
    *out = t;
    return 0;
bad:
    snprintf(why, whysize,
             "topics '%.100s': give a comma-separated list of graph, transport, position, "
             "status, xrun, log, surface, or all (all but position and surface)",
             s);
    return -EINVAL;
}

/* Main thread. */
unsigned osc_subscribers(const struct rill_osc *o)
{
    unsigned n = 0;
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++)
        n += o->subs[i].in_use ? 1 : 0;
    return n;
}

static struct osc_sub *find_sub(struct rill_osc *o, const struct osc_dest *d)
{
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++)
        if (o->subs[i].in_use && osc_dest_equal(&o->subs[i].out.to, d))
            return &o->subs[i];
    return NULL;
}

#define POSITION_MIN_MS 20u
#define STATUS_MIN_MS 100u
#define XRUN_GAP_NS 100000000ull     /* at most ten xrun events a second */
#define TRANSPORT_POLL_NS 20000000ull

static void snapshot(struct rill_osc *o, struct osc_sub *sub);

/* Queue an event for sub, its sequence number first. counted: it counts
 * against the queue's bound (snapshot items do not: they replace events). */
static void vemit(struct rill_osc *o, struct osc_sub *sub, int counted, const char *path,
                  const char *types, va_list ap)
{
    sub->seq = sub->seq >= INT32_MAX ? 1 : sub->seq + 1;
    int32_t seq = (int32_t)sub->seq;
    int r = osc_vput(&sub->out, counted, path, &seq, types, ap);
    o->fresh = 1;
    if (r < 0 && !counted) {
        /* a snapshot item with no room: cannot happen within the bounds
         * (OSC_OUT_MAX_BYTES); counted, and never a second overflow from
         * inside the snapshot that the first one queues */
        sub->dropped++;
        o->stats.events_dropped++;
        return;
    }
    if (r < 0 || (counted && sub->out.nevents > OSC_EVENT_QUEUE_MAX)) {
        /* the subscriber cannot keep up: its queue is replaced by overflow
         * and a fresh snapshot, which tell it everything it missed */
        sub->dropped += sub->out.nevents + (r < 0 ? 1 : 0);
        o->stats.events_dropped += sub->out.nevents + (r < 0 ? 1 : 0);
        osc_out_clear(&sub->out);
        int32_t s2;
        sub->seq = sub->seq >= INT32_MAX ? 1 : sub->seq + 1;
        s2 = (int32_t)sub->seq;
        osc_put_lead(&sub->out, 0, "/rill/event/overflow", &s2, "i",
                     (int32_t)(sub->dropped > INT32_MAX ? INT32_MAX : sub->dropped));
        snapshot(o, sub);
    }
}

static void emit(struct rill_osc *o, struct osc_sub *sub, int counted, const char *path,
                 const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    vemit(o, sub, counted, path, types, ap);
    va_end(ap);
}

/* Feedback for a control surface: on the control's own path, no sequence
 * number (a fader or a label takes the value as its only argument). */
static void feedback(struct rill_osc *o, struct osc_sub *sub, const char *path, const char *types,
                     ...)
{
    va_list ap;
    va_start(ap, types);
    if (osc_vput(&sub->out, 0, path, NULL, types, ap) < 0)
        o->stats.events_dropped++;
    va_end(ap);
    o->fresh = 1;
}

static const char *state_name(uint32_t s)
{
    return s == RILL_TRANSPORT_ROLLING    ? "rolling"
           : s == RILL_TRANSPORT_STARTING ? "starting"
           : s == RILL_TRANSPORT_STOPPED  ? "stopped"
                                          : "unknown";
}

static const struct rill_shm_state *state(struct rill_osc *o)
{
    return o->be.state(o->be.arg);
}

/* Compare the clients' active flags with the last reported ones. */
static void scan_active(struct rill_osc *o)
{
    const struct rill_shm_registry *reg = &state(o)->registry;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        const struct rill_shm_client *c = &reg->clients[slot];
        uint8_t a = c->in_use && !(c->flags & RILL_CLIENT_CONTROL) && c->active;
        if (a == o->active[slot])
            continue;
        o->active[slot] = a;
        if (!c->in_use || (c->flags & RILL_CLIENT_CONTROL))
            continue;
        o->graph_gen++;
        for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++)
            if (o->subs[i].in_use && (o->subs[i].topics & OSC_T_GRAPH))
                emit(o, &o->subs[i], 1, "/rill/event/client/active", "isi",
                     (int32_t)o->graph_gen, c->name, (int32_t)a);
    }
}

static void transport_item(struct rill_osc *o, struct osc_sub *sub, const struct rill_transport_shm *ts,
                           int counted)
{
    emit(o, sub, counted, "/rill/event/transport", "sh", state_name(ts->state),
         (int64_t)ts->pos.frame);
}

static void surface_transport(struct rill_osc *o, struct osc_sub *sub, uint32_t st)
{
    double v = st == RILL_TRANSPORT_STOPPED ? 0.0 : 1.0;
    feedback(o, sub, "/rill/transport/rolling", "f", v);
    feedback(o, sub, "/rill/transport/toggle", "f", v);
}

/* the status event (event) and the surface's status feedback (surface) */
static void status_item(struct rill_osc *o, struct osc_sub *sub, int counted, int event,
                        int surface)
{
    const struct rill_shm_state *st = state(o);
    /* relaxed: independent statistics */
    uint32_t load = atomic_load_explicit(&st->dsp_load_milli, memory_order_relaxed);
    uint32_t peak = atomic_load_explicit(&st->dsp_load_peak_milli, memory_order_relaxed);
    uint64_t xruns = atomic_load_explicit(&st->xruns, memory_order_relaxed);
    uint64_t cycles = atomic_load_explicit(&st->cycles, memory_order_relaxed);
    if (event && (sub->topics & OSC_T_STATUS))
        emit(o, sub, counted, "/rill/event/status", "ffhhii", load / 1000.0, peak / 1000.0,
             (int64_t)xruns, (int64_t)cycles, (int32_t)osc_clients_count(st),
             (int32_t)o->graph_gen);
    if (surface && (sub->topics & OSC_T_SURFACE)) {
        feedback(o, sub, "/rill/status/dsp_load", "f", load / 100000.0);
        feedback(o, sub, "/rill/status/xruns", "i", (int32_t)xruns);
    }
}

/* The current state as a snapshot: begin, the graph as added events (with
 * the graph topic), the transport and status (with theirs), end. */
static void snapshot(struct rill_osc *o, struct osc_sub *sub)
{
    const struct rill_shm_state *st = state(o);
    const struct rill_shm_registry *reg = &st->registry;
    scan_active(o);
    uint32_t nc = 0, np = 0, nn = 0;
    int graph = (sub->topics & OSC_T_GRAPH) != 0;
    if (graph) {
        nc = osc_clients_count(st);
        for (uint32_t id = 0; id < RILL_MAX_PORTS; id++)
            np += reg->ports[id].in_use ? 1 : 0;
        for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
            nn += reg->conns[i].in_use ? 1 : 0;
    }
    emit(o, sub, 0, "/rill/event/snapshot/begin", "iiii", (int32_t)o->graph_gen, (int32_t)nc,
         (int32_t)np, (int32_t)nn);
    if (graph) {
        for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
            const struct rill_shm_client *c = &reg->clients[slot];
            if (c->in_use && !(c->flags & RILL_CLIENT_CONTROL))
                emit(o, sub, 0, "/rill/event/client/added", "isi", (int32_t)o->graph_gen,
                     c->name, (int32_t)c->active);
        }
        memset(sub->known, 0, RILL_MAX_PORTS);
        for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
            const struct rill_shm_port *p = &reg->ports[id];
            if (!p->in_use)
                continue;
            sub->known[id] = 1;
            const char *type = rill_port_type_string(p->type);
            emit(o, sub, 0, "/rill/event/port/added", "isssi", (int32_t)o->graph_gen, p->name,
                 type ? type : "unknown", (p->flags & RILL_PORT_IS_OUTPUT) ? "out" : "in",
                 (int32_t)p->flags);
        }
        for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
            const struct rill_shm_conn *c = &reg->conns[i];
            if (c->in_use && c->src < RILL_MAX_PORTS && c->dst < RILL_MAX_PORTS)
                emit(o, sub, 0, "/rill/event/connection/added", "iss", (int32_t)o->graph_gen,
                     reg->ports[c->src].name, reg->ports[c->dst].name);
        }
    }
    struct rill_transport_shm ts;
    int have_ts = rill_transport_read(&st->transport, &ts) == 0;
    if (have_ts && !o->transport_known) {
        /* the timer reports changes from here on */
        o->transport_known = 1;
        o->last_transport_state = ts.state;
    }
    if (have_ts && (sub->topics & OSC_T_TRANSPORT))
        transport_item(o, sub, &ts, 0);
    status_item(o, sub, 0, 1, 0);
    emit(o, sub, 0, "/rill/event/snapshot/end", "i", (int32_t)o->graph_gen);
    if (sub->topics & OSC_T_SURFACE) {
        if (have_ts)
            surface_transport(o, sub, ts.state);
        status_item(o, sub, 0, 0, 1);
    }
}

/* Main thread. */
void osc_sub_end(struct rill_osc *o, struct osc_sub *sub, const char *reason)
{
    if (reason) {
        emit(o, sub, 0, "/rill/event/ended", "s", reason);
        osc_out_flush(o, &sub->out); /* best effort: it is the last word */
    }
    free(sub->known);
    osc_out_free(&sub->out);
    memset(sub, 0, sizeof(*sub));
}

/* ---- commands */

/* Main thread. */
void osc_cmd_subscribe(struct rill_osc *o, struct osc_req *r)
{
    uint32_t topics = OSC_T_GRAPH, lease = OSC_LEASE_DEFAULT_S, interval = 1000;
    char why[256];
    if (r->argc > 0 && parse_topics(osc_arg_s(r->argv[0]), &topics, why, sizeof(why)) < 0) {
        osc_error(o, r, OSC_BAD_ARGS, "%s", why);
        return;
    }
    if (r->argc > 1) {
        int32_t l = osc_arg_i(r->argv[1]);
        if (l < (int32_t)o->cfg.lease_min_s || l > (int32_t)OSC_LEASE_MAX_S) {
            osc_error(o, r, OSC_BAD_ARGS, "lease %d s: give %u to %u seconds (default %u)", l,
                      o->cfg.lease_min_s, OSC_LEASE_MAX_S, OSC_LEASE_DEFAULT_S);
            return;
        }
        lease = (uint32_t)l;
    }
    if (r->argc > 2) {
        int32_t ms = osc_arg_i(r->argv[2]);
        if (ms < 1 || ms > 3600000) {
            osc_error(o, r, OSC_BAD_ARGS,
                      "interval %d ms: give 1 to 3600000 ms (position events come at most "
                      "every %u ms, status every %u ms)",
                      ms, POSITION_MIN_MS, STATUS_MIN_MS);
            return;
        }
        interval = (uint32_t)ms;
    }
    if (r->reply.len == 0) {
        osc_error(o, r, OSC_BAD_ARGS,
                  "there is no address to send events to: bind the sending socket or give a "
                  "reply URL first");
        return;
    }
    uint64_t now = o->be.now(o->be.arg);
    struct osc_sub *sub = find_sub(o, &r->reply);
    int fresh = 0;
    if (!sub) {
        for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS && !sub; i++)
            if (!o->subs[i].in_use)
                sub = &o->subs[i];
        if (!sub) {
            osc_error(o, r, OSC_TOO_MANY_SUBSCRIBERS,
                      "%u subscriptions are live, the most rill keeps: unsubscribe one or let "
                      "its lease run out",
                      OSC_MAX_SUBSCRIBERS);
            return;
        }
        uint8_t *known = calloc(1, RILL_MAX_PORTS);
        if (!known) {
            osc_error(o, r, OSC_INTERNAL, "out of memory");
            return;
        }
        memset(sub, 0, sizeof(*sub));
        osc_out_init(&sub->out, &r->reply);
        sub->in_use = 1;
        sub->known = known;
        fresh = 1;
    }
    uint32_t old_topics = sub->topics;
    sub->topics = topics;
    sub->lease_end_ns = now + (uint64_t)lease * 1000000000ull;
    sub->interval_ms = interval;
    uint32_t pos_ms = interval < POSITION_MIN_MS ? POSITION_MIN_MS : interval;
    uint32_t st_ms = interval < STATUS_MIN_MS ? STATUS_MIN_MS : interval;
    sub->next_position_ns = now + (uint64_t)pos_ms * 1000000ull;
    sub->next_status_ns = now + (uint64_t)st_ms * 1000000ull;
    osc_ok(o, r);
    /* a renewal with the same topics only extends the lease */
    if (fresh || old_topics != topics)
        snapshot(o, sub);
}

/* Main thread. */
void osc_cmd_unsubscribe(struct rill_osc *o, struct osc_req *r)
{
    struct osc_sub *sub = find_sub(o, &r->reply);
    if (!sub) {
        osc_error(o, r, OSC_NOT_SUBSCRIBED, "there is no subscription for this address");
        return;
    }
    osc_ok(o, r);
    osc_sub_end(o, sub, "unsubscribed");
}

/* Main thread. */
void osc_cmd_resync(struct rill_osc *o, struct osc_req *r)
{
    struct osc_sub *sub = find_sub(o, &r->reply);
    if (!sub) {
        osc_error(o, r, OSC_NOT_SUBSCRIBED, "there is no subscription for this address");
        return;
    }
    osc_ok(o, r);
    snapshot(o, sub);
}

/* ---- notifications */

#define FOR_SUBS(o, sub, topic)                                                                  \
    for (struct osc_sub *sub = (o)->subs; sub < (o)->subs + OSC_MAX_SUBSCRIBERS; sub++)          \
        if (sub->in_use && (sub->topics & (topic)))

/* Main thread. */
void rill_osc_event(struct rill_osc *o, const struct rill_msg *ev)
{
    const struct rill_shm_registry *reg = &state(o)->registry;
    switch (ev->type) {
    case RILL_EV_CLIENT_REGISTER: {
        uint32_t slot = ev->u.client_event.client;
        char name[RILL_CLIENT_NAME_SIZE];
        snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, ev->u.client_event.name);
        if (slot < RILL_MAX_CLIENTS)
            o->active[slot] = 0;
        o->graph_gen++;
        if (ev->u.client_event.registered) {
            FOR_SUBS(o, sub, OSC_T_GRAPH)
            emit(o, sub, 1, "/rill/event/client/added", "isi", (int32_t)o->graph_gen, name, 0);
        } else {
            FOR_SUBS(o, sub, OSC_T_GRAPH)
            emit(o, sub, 1, "/rill/event/client/removed", "is", (int32_t)o->graph_gen, name);
        }
        break;
    }
    case RILL_EV_PORT_REGISTER: {
        uint32_t id = ev->u.port_event.id;
        if (!ev->u.port_event.registered || id >= RILL_MAX_PORTS || !reg->ports[id].in_use)
            break; /* removals: rill_osc_port_gone, announced or not */
        const struct rill_shm_port *p = &reg->ports[id];
        const char *type = rill_port_type_string(p->type);
        o->graph_gen++;
        FOR_SUBS(o, sub, OSC_T_GRAPH)
        {
            if (sub->known[id])
                continue;
            sub->known[id] = 1;
            emit(o, sub, 1, "/rill/event/port/added", "isssi", (int32_t)o->graph_gen, p->name,
                 type ? type : "unknown", (p->flags & RILL_PORT_IS_OUTPUT) ? "out" : "in",
                 (int32_t)p->flags);
        }
        break;
    }
    case RILL_EV_PORT_CONNECT: {
        uint32_t src = ev->u.connect_event.src, dst = ev->u.connect_event.dst;
        if (src >= RILL_MAX_PORTS || dst >= RILL_MAX_PORTS)
            break;
        o->graph_gen++;
        const char *path = ev->u.connect_event.connected ? "/rill/event/connection/added"
                                                         : "/rill/event/connection/removed";
        FOR_SUBS(o, sub, OSC_T_GRAPH)
        emit(o, sub, 1, path, "iss", (int32_t)o->graph_gen, reg->ports[src].name,
             reg->ports[dst].name);
        break;
    }
    case RILL_EV_PORT_RENAME: {
        uint32_t id = ev->u.port_rename.id;
        char old_name[RILL_PORT_NAME_SIZE], new_name[RILL_PORT_NAME_SIZE];
        snprintf(old_name, sizeof(old_name), "%.*s", (int)sizeof(old_name) - 1,
                 ev->u.port_rename.old_name);
        snprintf(new_name, sizeof(new_name), "%.*s", (int)sizeof(new_name) - 1,
                 ev->u.port_rename.new_name);
        o->graph_gen++;
        FOR_SUBS(o, sub, OSC_T_GRAPH)
        if (id < RILL_MAX_PORTS && sub->known[id])
            emit(o, sub, 1, "/rill/event/port/renamed", "iss", (int32_t)o->graph_gen, old_name,
                 new_name);
        break;
    }
    case RILL_EV_XRUN: {
        uint64_t now = o->be.now(o->be.arg);
        o->last_xruns = ev->u.xrun_event.xruns;
        FOR_SUBS(o, sub, OSC_T_XRUN | OSC_T_SURFACE)
        {
            if (now - sub->last_xrun_ns < XRUN_GAP_NS) {
                sub->xrun_pending = 1;
                continue;
            }
            sub->last_xrun_ns = now;
            sub->xrun_pending = 0;
            if (sub->topics & OSC_T_XRUN)
                emit(o, sub, 1, "/rill/event/xrun", "h", (int64_t)o->last_xruns);
            if (sub->topics & OSC_T_SURFACE)
                feedback(o, sub, "/rill/status/xruns", "i", (int32_t)o->last_xruns);
        }
        break;
    }
    default:
        break;
    }
    scan_active(o);
    osc_rearm(o);
}

/* Main thread. */
void rill_osc_port_gone(struct rill_osc *o, uint32_t id)
{
    if (id >= RILL_MAX_PORTS)
        return;
    const struct rill_shm_port *p = &state(o)->registry.ports[id];
    o->graph_gen++;
    FOR_SUBS(o, sub, OSC_T_GRAPH)
    {
        if (!sub->known[id])
            continue;
        sub->known[id] = 0;
        emit(o, sub, 1, "/rill/event/port/removed", "is", (int32_t)o->graph_gen, p->name);
    }
    osc_rearm(o);
}

/* Main thread. */
void rill_osc_log(struct rill_osc *o, const char *line)
{
    if (o->in_log)
        return;
    o->in_log = 1;
    FOR_SUBS(o, sub, OSC_T_LOG)
    emit(o, sub, 1, "/rill/event/log", "s", line);
    o->in_log = 0;
    osc_rearm(o);
}

/* ---- the timer */

static int any_topic(const struct rill_osc *o, uint32_t topics)
{
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++)
        if (o->subs[i].in_use && (o->subs[i].topics & topics))
            return 1;
    return 0;
}

/* Main thread. */
void osc_events_tick(struct rill_osc *o, uint64_t now)
{
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++)
        if (o->subs[i].in_use && now >= o->subs[i].lease_end_ns)
            osc_sub_end(o, &o->subs[i], "lease expired");
    if (any_topic(o, OSC_T_TRANSPORT | OSC_T_SURFACE)) {
        struct rill_transport_shm ts;
        if (rill_transport_read(&state(o)->transport, &ts) == 0) {
            if (!o->transport_known || ts.state != o->last_transport_state) {
                o->transport_known = 1;
                o->last_transport_state = ts.state;
                FOR_SUBS(o, sub, OSC_T_TRANSPORT)
                transport_item(o, sub, &ts, 1);
                FOR_SUBS(o, sub, OSC_T_SURFACE)
                surface_transport(o, sub, ts.state);
            }
        }
    } else {
        o->transport_known = 0;
    }
    FOR_SUBS(o, sub, OSC_T_POSITION)
    {
        if (now < sub->next_position_ns)
            continue;
        uint32_t ms = sub->interval_ms < POSITION_MIN_MS ? POSITION_MIN_MS : sub->interval_ms;
        sub->next_position_ns = now + (uint64_t)ms * 1000000ull;
        struct rill_transport_shm ts;
        if (rill_transport_read(&state(o)->transport, &ts) < 0)
            continue;
        int bbt = (ts.pos.valid & RILL_POS_BBT) != 0;
        emit(o, sub, 1, "/rill/event/position", "hiiif", (int64_t)ts.pos.frame,
             bbt ? ts.pos.bar : 0, bbt ? ts.pos.beat : 0, bbt ? ts.pos.tick : 0,
             bbt ? ts.pos.beats_per_minute : 0.0);
    }
    FOR_SUBS(o, sub, OSC_T_STATUS | OSC_T_SURFACE)
    {
        if (now < sub->next_status_ns)
            continue;
        uint32_t ms = sub->interval_ms < STATUS_MIN_MS ? STATUS_MIN_MS : sub->interval_ms;
        sub->next_status_ns = now + (uint64_t)ms * 1000000ull;
        status_item(o, sub, 1, 1, 1);
    }
    FOR_SUBS(o, sub, OSC_T_XRUN | OSC_T_SURFACE)
    {
        if (!sub->xrun_pending || now - sub->last_xrun_ns < XRUN_GAP_NS)
            continue;
        sub->xrun_pending = 0;
        sub->last_xrun_ns = now;
        if (sub->topics & OSC_T_XRUN)
            emit(o, sub, 1, "/rill/event/xrun", "h", (int64_t)o->last_xruns);
        if (sub->topics & OSC_T_SURFACE)
            feedback(o, sub, "/rill/status/xruns", "i", (int32_t)o->last_xruns);
    }
    scan_active(o);
}

/* Main thread: when the timer must fire next for the subscribers (0: never). */
uint64_t osc_events_deadline(struct rill_osc *o)
{
    uint64_t d = 0, now = o->be.now(o->be.arg);
#define AT(t)                                                                                    \
    do {                                                                                         \
        uint64_t t_ = (t);                                                                       \
        if (!d || t_ < d)                                                                        \
            d = t_;                                                                              \
    } while (0)
    for (unsigned i = 0; i < OSC_MAX_SUBSCRIBERS; i++) {
        const struct osc_sub *sub = &o->subs[i];
        if (!sub->in_use)
            continue;
        AT(sub->lease_end_ns);
        if (sub->topics & OSC_T_POSITION)
            AT(sub->next_position_ns);
        if (sub->topics & (OSC_T_STATUS | OSC_T_SURFACE))
            AT(sub->next_status_ns);
        if (sub->topics & (OSC_T_TRANSPORT | OSC_T_SURFACE))
            AT(now + TRANSPORT_POLL_NS);
        if (sub->xrun_pending)
            AT(sub->last_xrun_ns + XRUN_GAP_NS);
    }
#undef AT
    return d;
}
