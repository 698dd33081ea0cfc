/* osc/osc_dispatch.c — a datagram in, exactly one answer per /rill request
 * out. Bundles are taken one level deep, with at most 64 messages and the
 * timetag "immediately"; paths are matched exactly (a pattern is refused);
 * argument types must match exactly (no coercion). Graph changes go through
 * the backend's request function, the one rillctl's requests reach, after
 * the checks rillctl makes (common/link_check.c), so both doors refuse the
 * same mistakes with the same sentences. Main thread only.
 */
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/core/client.h"
#include "common/link_check.h"
#include "config.h"
#include "osc/osc_priv.h"

static const char *const err_names[OSC_ERR_COUNT] = {
    [OSC_BAD_ARGS] = "BAD_ARGS",
    [OSC_UNKNOWN_COMMAND] = "UNKNOWN_COMMAND",
    [OSC_NO_SUCH_PORT] = "NO_SUCH_PORT",
    [OSC_NAME_TOO_LONG] = "NAME_TOO_LONG",
    [OSC_SAME_DIRECTION] = "SAME_DIRECTION",
    [OSC_SAME_PORT] = "SAME_PORT",
    [OSC_TYPE_MISMATCH] = "TYPE_MISMATCH",
    [OSC_ALREADY_CONNECTED] = "ALREADY_CONNECTED",
    [OSC_NOT_CONNECTED] = "NOT_CONNECTED",
    [OSC_REFUSED] = "REFUSED",
    [OSC_BAD_FRAME] = "BAD_FRAME",
    [OSC_TOO_MANY_SUBSCRIBERS] = "TOO_MANY_SUBSCRIBERS",
    [OSC_NOT_SUBSCRIBED] = "NOT_SUBSCRIBED",
    [OSC_RATE_LIMITED] = "RATE_LIMITED",
    [OSC_FORBIDDEN] = "FORBIDDEN",
    [OSC_PATTERN_NOT_ALLOWED] = "PATTERN_NOT_ALLOWED",
    [OSC_TIMETAG_NOT_SUPPORTED] = "TIMETAG_NOT_SUPPORTED",
    [OSC_INTERNAL] = "INTERNAL",
    [OSC_TOO_BIG] = "TOO_BIG",
    [OSC_BAD_MESSAGE] = "BAD_MESSAGE",
    [OSC_BAD_BUNDLE] = "BAD_BUNDLE",
};

/* Main thread. */
const char *osc_err_name(int code)
{
    return code > 0 && code < OSC_ERR_COUNT && err_names[code] ? err_names[code] : "INTERNAL";
}

/* ---- replies */

static void vreply(struct rill_osc *o, struct osc_req *r, const char *path, const char *types,
                   va_list ap)
{
    r->answered = 1;
    struct osc_out *q = osc_reply_box(o, &r->reply);
    if (!q || osc_vput(q, 0, path, NULL, types, ap) < 0)
        o->stats.replies_dropped++;
}

/* Main thread. */
void osc_reply(struct rill_osc *o, struct osc_req *r, const char *path, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    vreply(o, r, path, types, ap);
    va_end(ap);
}

/* Main thread. */
void osc_ok(struct rill_osc *o, struct osc_req *r)
{
    osc_reply(o, r, "/rill/ok", "is", r->id, r->path);
}

/* Main thread. */
void osc_error(struct rill_osc *o, struct osc_req *r, int code, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    /* the path as it came, clipped: an answer must fit in a datagram */
    char path[256];
    snprintf(path, sizeof(path), "%.255s", r->path ? r->path : "");
    o->stats.refused++;
    osc_reply(o, r, "/rill/error", "isiss", r->id, path, code, osc_err_name(code), text);
}

/* ---- helpers */

static const char *str_arg(struct osc_req *r, int i)
{
    return osc_arg_s(r->argv[i]);
}

/* rillctl's pattern: a shell glob when it holds * ? [, else a substring */
static int name_match(const char *pattern, const char *name)
{
    if (!pattern || !pattern[0])
        return 1;
    if (strpbrk(pattern, "*?["))
        return fnmatch(pattern, name, 0) == 0;
    return strstr(name, pattern) != NULL;
}

/* Main thread. */
uint32_t osc_clients_count(const struct rill_shm_state *st)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < RILL_MAX_CLIENTS; i++)
        if (st->registry.clients[i].in_use && !(st->registry.clients[i].flags & RILL_CLIENT_CONTROL))
            n++;
    return n;
}

static int problem_code(enum rill_link_problem p)
{
    switch (p) {
    case RILL_LINK_EMPTY_NAME: return OSC_BAD_ARGS;
    case RILL_LINK_NAME_TOO_LONG: return OSC_NAME_TOO_LONG;
    case RILL_LINK_NO_SUCH_PORT: return OSC_NO_SUCH_PORT;
    case RILL_LINK_SAME_PORT: return OSC_SAME_PORT;
    case RILL_LINK_SAME_DIRECTION: return OSC_SAME_DIRECTION;
    case RILL_LINK_TYPE_MISMATCH: return OSC_TYPE_MISMATCH;
    case RILL_LINK_ALREADY_CONNECTED: return OSC_ALREADY_CONNECTED;
    case RILL_LINK_NOT_CONNECTED: return OSC_NOT_CONNECTED;
    default: return OSC_INTERNAL;
    }
}

/* the engine's answer (engine/registry.c) when the graph moved after the check */
static int errno_code(int e)
{
    switch (e) {
    case -ENOENT: return OSC_NO_SUCH_PORT;
    case -EEXIST: return OSC_ALREADY_CONNECTED;
    case -EINVAL: return OSC_SAME_DIRECTION;
    case -EPROTOTYPE: return OSC_TYPE_MISMATCH;
    case -ENAMETOOLONG: return OSC_NAME_TOO_LONG;
    default: return OSC_REFUSED;
    }
}

/* Run m through the engine; answer ok or the engine's refusal. */
static void run_request(struct rill_osc *o, struct osc_req *r, struct rill_msg *m, int refused)
{
    m->error[0] = '\0';
    int e = o->be.request(o->be.arg, m);
    if (e < 0) {
        m->error[RILL_ERROR_SIZE - 1] = '\0';
        osc_error(o, r, refused ? refused : errno_code(e), "%s",
                  m->error[0] ? m->error : strerror(-e));
        return;
    }
    osc_ok(o, r);
}

/* ---- commands */

static void cmd_ping(struct rill_osc *o, struct osc_req *r)
{
    osc_reply(o, r, "/rill/reply/ping", "i", r->id);
}

static void cmd_version(struct rill_osc *o, struct osc_req *r)
{
    osc_reply(o, r, "/rill/reply/version", "iiis", r->id, RILL_OSC_API_MAJOR, RILL_OSC_API_MINOR,
              "rill " PACKAGE_VERSION);
}

static void cmd_status(struct rill_osc *o, struct osc_req *r)
{
    const struct rill_shm_state *st = o->be.state(o->be.arg);
    char server[RILL_SERVER_NAME_SIZE], driver[sizeof(st->driver_name)];
    snprintf(server, sizeof(server), "%.*s", (int)sizeof(server) - 1, st->server_name);
    snprintf(driver, sizeof(driver), "%.*s", (int)sizeof(driver) - 1, st->driver_name);
    /* relaxed: independent statistics (as rillctl status reads them) */
    uint32_t load = atomic_load_explicit(&st->dsp_load_milli, memory_order_relaxed);
    uint32_t peak = atomic_load_explicit(&st->dsp_load_peak_milli, memory_order_relaxed);
    uint64_t xruns = atomic_load_explicit(&st->xruns, memory_order_relaxed);
    uint64_t cycles = atomic_load_explicit(&st->cycles, memory_order_relaxed);
    osc_reply(o, r, "/rill/reply/status", "issiiffhhiihh", r->id, server, driver,
              (int32_t)st->rate, (int32_t)st->period, load / 1000.0, peak / 1000.0,
              (int64_t)xruns, (int64_t)cycles, (int32_t)osc_clients_count(st),
              (int32_t)o->graph_gen, (int64_t)o->stats.received, (int64_t)o->stats.ignored);
}

static void list_end(struct rill_osc *o, struct osc_req *r, uint32_t count)
{
    osc_reply(o, r, "/rill/reply/end", "isii", r->id, r->path, (int32_t)count,
              (int32_t)o->graph_gen);
}

static void cmd_ports(struct rill_osc *o, struct osc_req *r)
{
    const struct rill_shm_registry *reg = &o->be.state(o->be.arg)->registry;
    const char *pat = r->argc > 0 ? str_arg(r, 0) : NULL;
    uint32_t total = 0, index = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
            const struct rill_shm_port *p = &reg->ports[id];
            if (!p->in_use || !name_match(pat, p->name))
                continue;
            if (pass == 0) {
                total++;
                continue;
            }
            const char *type = rill_port_type_string(p->type);
            osc_reply(o, r, "/rill/reply/port", "iiisssi", r->id, (int32_t)index++,
                      (int32_t)total, p->name, type ? type : "unknown",
                      (p->flags & RILL_PORT_IS_OUTPUT) ? "out" : "in", (int32_t)p->flags);
        }
    }
    list_end(o, r, total);
}

static void cmd_clients(struct rill_osc *o, struct osc_req *r)
{
    const struct rill_shm_registry *reg = &o->be.state(o->be.arg)->registry;
    const char *pat = r->argc > 0 ? str_arg(r, 0) : NULL;
    static uint32_t nports[RILL_MAX_CLIENTS];
    memset(nports, 0, sizeof(nports));
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++)
        if (reg->ports[id].in_use && reg->ports[id].client < RILL_MAX_CLIENTS)
            nports[reg->ports[id].client]++;
    uint32_t total = 0, index = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
            const struct rill_shm_client *c = &reg->clients[slot];
            if (!c->in_use || (c->flags & RILL_CLIENT_CONTROL) || !name_match(pat, c->name))
                continue;
            if (pass == 0) {
                total++;
                continue;
            }
            osc_reply(o, r, "/rill/reply/client", "iiisiii", r->id, (int32_t)index++,
                      (int32_t)total, c->name, (int32_t)c->pid, (int32_t)c->active,
                      (int32_t)nports[slot]);
        }
    }
    list_end(o, r, total);
}

static void cmd_connections(struct rill_osc *o, struct osc_req *r)
{
    const struct rill_shm_registry *reg = &o->be.state(o->be.arg)->registry;
    const char *pat = r->argc > 0 ? str_arg(r, 0) : NULL;
    uint32_t total = 0, index = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++) {
            const struct rill_shm_conn *c = &reg->conns[i];
            if (!c->in_use || c->src >= RILL_MAX_PORTS || c->dst >= RILL_MAX_PORTS)
                continue;
            const char *src = reg->ports[c->src].name, *dst = reg->ports[c->dst].name;
            if (pat && pat[0] && !name_match(pat, src) && !name_match(pat, dst))
                continue;
            if (pass == 0) {
                total++;
                continue;
            }
            osc_reply(o, r, "/rill/reply/connection", "iiiss", r->id, (int32_t)index++,
                      (int32_t)total, src, dst);
        }
    }
    list_end(o, r, total);
}

static void link_ports(struct rill_osc *o, struct osc_req *r, int connect)
{
    const char *a = str_arg(r, 0), *b = str_arg(r, 1);
    struct rill_link lk;
    char err[RILL_ERROR_SIZE];
    if (rill_link_check(o->be.state(o->be.arg), a, b, connect, &lk, err, sizeof(err)) < 0) {
        osc_error(o, r, problem_code(lk.problem), "%s", err);
        return;
    }
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = connect ? RILL_MSG_CONNECT : RILL_MSG_DISCONNECT;
    memcpy(m.u.connect.src, lk.src_name, strlen(lk.src_name) + 1);
    memcpy(m.u.connect.dst, lk.dst_name, strlen(lk.dst_name) + 1);
    run_request(o, r, &m, 0);
}

static void cmd_connect(struct rill_osc *o, struct osc_req *r)
{
    link_ports(o, r, 1);
}

static void cmd_disconnect(struct rill_osc *o, struct osc_req *r)
{
    link_ports(o, r, 0);
}

static void cmd_disconnect_all(struct rill_osc *o, struct osc_req *r)
{
    const char *name = str_arg(r, 0);
    const struct rill_shm_state *st = o->be.state(o->be.arg);
    struct rill_link lk;
    char err[RILL_ERROR_SIZE];
    /* the shared check with the port twice: a missing or overlong name gets
     * rillctl's sentence; "the same port" means it exists */
    if (rill_link_check(st, name, name, 0, &lk, err, sizeof(err)) < 0 &&
        lk.problem != RILL_LINK_SAME_PORT) {
        osc_error(o, r, problem_code(lk.problem), "%s", err);
        return;
    }
    int id = rill_registry_find_port(st, name);
    if (id < 0) {
        osc_error(o, r, OSC_NO_SUCH_PORT, "no port named '%s'", name);
        return;
    }
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PORT_DISCONNECT;
    m.u.port.id = (uint32_t)id;
    run_request(o, r, &m, 0);
}

static void transport_cmd(struct rill_osc *o, struct osc_req *r, uint32_t cmd)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_TRANSPORT_REQUEST;
    m.u.transport.value = cmd;
    run_request(o, r, &m, OSC_REFUSED);
}

static void cmd_start(struct rill_osc *o, struct osc_req *r)
{
    transport_cmd(o, r, RILL_TRANSPORT_CMD_START);
}

static void cmd_stop(struct rill_osc *o, struct osc_req *r)
{
    transport_cmd(o, r, RILL_TRANSPORT_CMD_STOP);
}

static void cmd_locate(struct rill_osc *o, struct osc_req *r)
{
    int64_t f = r->types[0] == 'h' ? osc_arg_h(r->argv[0]) : osc_arg_i(r->argv[0]);
    if (f < 0 || f > (int64_t)UINT32_MAX) {
        osc_error(o, r, OSC_BAD_FRAME, "transport locate: '%lld' is not a frame number (0 to "
                                       "4294967295)",
                  (long long)f);
        return;
    }
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_TRANSPORT_REQUEST;
    m.u.transport.value = RILL_TRANSPORT_REQUEST_POS;
    m.u.transport.pos.frame = (uint32_t)f;
    run_request(o, r, &m, OSC_REFUSED);
}

static const char *state_name(uint32_t s)
{
    return s == RILL_TRANSPORT_ROLLING    ? "rolling"
           : s == RILL_TRANSPORT_STARTING ? "starting"
           : s == RILL_TRANSPORT_STOPPED  ? "stopped"
                                          : "unknown";
}

static void cmd_query(struct rill_osc *o, struct osc_req *r)
{
    struct rill_transport_shm ts;
    if (rill_transport_read(&o->be.state(o->be.arg)->transport, &ts) < 0) {
        osc_error(o, r, OSC_INTERNAL, "cannot read a consistent transport position; try again");
        return;
    }
    int bbt = (ts.pos.valid & RILL_POS_BBT) != 0;
    osc_reply(o, r, "/rill/reply/transport", "ishiiifff", r->id, state_name(ts.state),
              (int64_t)ts.pos.frame, bbt ? ts.pos.bar : 0, bbt ? ts.pos.beat : 0,
              bbt ? ts.pos.tick : 0, bbt ? ts.pos.beats_per_minute : 0.0,
              bbt ? (double)ts.pos.beats_per_bar : 0.0, bbt ? (double)ts.pos.beat_type : 0.0);
}

static void cmd_rolling(struct rill_osc *o, struct osc_req *r)
{
    transport_cmd(o, r, osc_arg_f(r->argv[0]) >= 0.5f ? RILL_TRANSPORT_CMD_START : RILL_TRANSPORT_CMD_STOP);
}

static void cmd_toggle(struct rill_osc *o, struct osc_req *r)
{
    if (osc_arg_f(r->argv[0]) < 0.5f) { /* a button's release */
        osc_ok(o, r);
        return;
    }
    struct rill_transport_shm ts;
    uint32_t state = RILL_TRANSPORT_STOPPED;
    if (rill_transport_read(&o->be.state(o->be.arg)->transport, &ts) == 0)
        state = ts.state;
    transport_cmd(o, r, state == RILL_TRANSPORT_STOPPED ? RILL_TRANSPORT_CMD_START
                                                        : RILL_TRANSPORT_CMD_STOP);
}

static void cmd_feedback_only(struct rill_osc *o, struct osc_req *r)
{
    osc_error(o, r, OSC_REFUSED,
              "%s is feedback only: subscribe with the topic 'surface' to receive it", r->path);
}

static void cmd_sync(struct rill_osc *o, struct osc_req *r)
{
    /* requests are answered in order, each before the next is read */
    osc_reply(o, r, "/rill/reply/synced", "ii", r->id, osc_arg_i(r->argv[0]));
}

/* Argument specs: the required types, then after '|' the optional ones
 * (a prefix of them may be given). F: a frame, i or h. */
struct osc_cmd {
    const char *path;
    const char *spec;
    const char *usage;
    void (*run)(struct rill_osc *o, struct osc_req *r);
};

static const struct osc_cmd cmds[] = {
    { "/rill/ping", "", "", cmd_ping },
    { "/rill/version", "", "", cmd_version },
    { "/rill/status", "", "", cmd_status },
    { "/rill/ports/list", "|s", "[s:pattern]", cmd_ports },
    { "/rill/clients/list", "|s", "[s:pattern]", cmd_clients },
    { "/rill/connections/list", "|s", "[s:pattern]", cmd_connections },
    { "/rill/connect", "ss", "s:port s:port", cmd_connect },
    { "/rill/disconnect", "ss", "s:port s:port", cmd_disconnect },
    { "/rill/disconnect_all", "s", "s:port", cmd_disconnect_all },
    { "/rill/transport/start", "", "", cmd_start },
    { "/rill/transport/stop", "", "", cmd_stop },
    { "/rill/transport/locate", "F", "i:frame or h:frame", cmd_locate },
    { "/rill/transport/query", "", "", cmd_query },
    { "/rill/transport/rolling", "f", "f:value", cmd_rolling },
    { "/rill/transport/toggle", "f", "f:value", cmd_toggle },
    { "/rill/status/dsp_load", "", "", cmd_feedback_only },
    { "/rill/status/xruns", "", "", cmd_feedback_only },
    { "/rill/sync", "i", "i:sync_id", cmd_sync },
    { "/rill/subscribe", "|sii", "[s:topics [i:lease_s [i:interval_ms]]]", osc_cmd_subscribe },
    { "/rill/resync", "", "", osc_cmd_resync },
    { "/rill/unsubscribe", "", "", osc_cmd_unsubscribe },
};

static int spec_match(const char *spec, const char *types)
{
    const char *bar = strchr(spec, '|');
    size_t req = bar ? (size_t)(bar - spec) : strlen(spec);
    size_t n = strlen(types);
    if (n < req)
        return 0;
    for (size_t i = 0; i < req; i++) {
        char want = spec[i], got = types[i];
        if (want == 'F' ? (got != 'i' && got != 'h') : got != want)
            return 0;
    }
    const char *opt = bar ? bar + 1 : "";
    size_t extra = n - req;
    return extra <= strlen(opt) && strncmp(types + req, opt, extra) == 0;
}

static const struct osc_cmd *find_cmd(const char *path)
{
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(cmds[i].path, path) == 0)
            return &cmds[i];
    return NULL;
}

/* token bucket per source: rate per second, a second's worth of burst */
static int rate_ok(struct rill_osc *o, const struct osc_dest *src)
{
    if (!o->cfg.rate)
        return 1;
    uint64_t now = o->be.now(o->be.arg);
    struct osc_rate *slot = NULL, *oldest = NULL;
    for (unsigned i = 0; i < OSC_RATE_SOURCES; i++) {
        struct osc_rate *e = &o->rates[i];
        if (e->in_use && osc_dest_equal(&e->src, src)) {
            slot = e;
            break;
        }
        if (!oldest || !e->in_use || (oldest->in_use && e->last_ns < oldest->last_ns))
            oldest = e;
    }
    if (!slot) {
        slot = oldest;
        slot->in_use = 1;
        slot->src = *src;
        slot->tokens = o->cfg.rate;
        slot->last_ns = now;
    }
    slot->tokens += (double)(now - slot->last_ns) * o->cfg.rate / 1e9;
    if (slot->tokens > o->cfg.rate)
        slot->tokens = o->cfg.rate;
    slot->last_ns = now;
    if (slot->tokens < 1.0)
        return 0;
    slot->tokens -= 1.0;
    return 1;
}

/* One message. refuse: nonzero to answer with that error instead of running
 * it (a bundle that is refused as a whole). */
static void handle_message(struct rill_osc *o, const struct osc_dest *src, const uint8_t *data,
                           size_t len, int refuse, const char *refuse_why)
{
    struct osc_req r;
    memset(&r, 0, sizeof(r));
    r.reply = *src;
    r.from = *src;
    r.from_sock = src->sock;
    r.path = "";
    int is_rill = len >= 5 && memcmp(data, "/rill", 5) == 0 && (len == 5 || data[5] == '/' ||
                                                                  data[5] == '\0');
    if (!is_rill) {
        o->stats.ignored++; /* not ours: another program's message */
        return;
    }
    struct osc_msg m;
    osc_msg_decode(&m, data, len);
    if (m.path)
        r.path = m.path;
    if (!m.lo) {
        osc_error(o, &r, m.decode_error, "%s", m.decode_why);
        goto done;
    }
    /* the optional reply URL and request id */
    const char *types = m.types;
    lo_arg **argv = m.argv;
    int argc = m.argc;
    char why[256];
    int url_err = 0;
    if (argc > 0 && types[0] == 's' && strncmp(osc_arg_s(argv[0]), "osc.", 4) == 0) {
        struct osc_dest d;
        url_err = osc_url_parse(o, osc_arg_s(argv[0]), src->sock, &d, why, sizeof(why));
        if (!url_err)
            r.reply = d;
        types++;
        argv++;
        argc--;
    }
    const struct osc_cmd *cmd = find_cmd(m.path);
    int id_taken = 0;
    if (argc > 0 && types[0] == 'i' && (!cmd || spec_match(cmd->spec, types + 1) ||
                                        !spec_match(cmd->spec, types))) {
        r.id = osc_arg_i(argv[0]);
        id_taken = 1;
        types++;
        argv++;
        argc--;
    }
    r.types = types;
    r.argv = argv;
    r.argc = argc;
    if (url_err) {
        osc_error(o, &r, url_err, "%s", why);
        goto done;
    }
    if (refuse) {
        osc_error(o, &r, refuse, "%s", refuse_why);
        goto done;
    }
    if (!rate_ok(o, src)) {
        o->stats.rate_limited++;
        osc_error(o, &r, OSC_RATE_LIMITED,
                  "more than %u requests a second from this source: slow down (rilld "
                  "--osc-rate sets the limit)",
                  o->cfg.rate);
        goto done;
    }
    if (osc_path_has_pattern(m.path)) {
        osc_error(o, &r, OSC_PATTERN_NOT_ALLOWED,
                  "'%.200s' is an address pattern: rill matches exact paths only (no * ? [ ] "
                  "{ })",
                  m.path);
        goto done;
    }
    if (!cmd) {
        osc_error(o, &r, OSC_UNKNOWN_COMMAND,
                  "unknown command '%.200s' (API %d.%d: /rill/ping, /rill/status, "
                  "/rill/ports/list, /rill/connect, ... see doc/osc.md)",
                  m.path, RILL_OSC_API_MAJOR, RILL_OSC_API_MINOR);
        goto done;
    }
    if (!spec_match(cmd->spec, types)) {
        osc_error(o, &r, OSC_BAD_ARGS,
                  "%s takes %s, after an optional reply URL (s) and request id (i); got "
                  "',%.40s'%s",
                  cmd->path, cmd->usage[0] ? cmd->usage : "no arguments",
                  id_taken ? types - 1 : types,
                  id_taken ? " (the first i taken as the request id)" : "");
        goto done;
    }
    cmd->run(o, &r);
    if (!r.answered)
        osc_error(o, &r, OSC_INTERNAL, "%s was not answered", cmd->path);
done:
    osc_msg_done(&m);
}

static int be32(const uint8_t *p)
{
    return (int)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);
}

/* Answer a refused packet that cannot be split into messages. */
static void refuse_packet(struct rill_osc *o, const struct osc_dest *src, const char *path,
                          int code, const char *why)
{
    struct osc_req r;
    memset(&r, 0, sizeof(r));
    r.reply = *src;
    r.path = path;
    osc_error(o, &r, code, "%s", why);
}

static void handle_bundle(struct rill_osc *o, const struct osc_dest *src, const uint8_t *data,
                          size_t len)
{
    size_t off[OSC_MAX_BUNDLE + 1], size[OSC_MAX_BUNDLE + 1];
    unsigned n = 0, total = 0, nested = 0;
    if (len < 16 || len % 4) {
        refuse_packet(o, src, "#bundle", OSC_BAD_BUNDLE,
                      "the bundle is shorter than its 16-byte header or not a multiple of 4");
        return;
    }
    int immediate = be32(data + 8) == 0 && be32(data + 12) == 1;
    for (size_t pos = 16; pos < len;) {
        if (len - pos < 4) {
            refuse_packet(o, src, "#bundle", OSC_BAD_BUNDLE, "a bundle element's size is cut off");
            return;
        }
        uint32_t sz = (uint32_t)be32(data + pos);
        if (sz == 0 || sz % 4 || sz > len - pos - 4) {
            refuse_packet(o, src, "#bundle", OSC_BAD_BUNDLE,
                          "a bundle element's size is 0, not a multiple of 4, or past the end");
            return;
        }
        if (sz >= 8 && memcmp(data + pos + 4, "#bundle\0", 8) == 0) {
            nested++;
        } else if (n < OSC_MAX_BUNDLE + 1) {
            off[n] = pos + 4;
            size[n] = sz;
            n++;
        }
        total++;
        pos += 4 + sz;
    }
    int refuse = 0;
    const char *why = NULL;
    if (nested) {
        refuse = OSC_BAD_BUNDLE;
        why = "the bundle holds a bundle: rill takes bundles one level deep; nothing in it ran";
    } else if (total > OSC_MAX_BUNDLE) {
        refuse = OSC_BAD_BUNDLE;
        why = "the bundle holds more than 64 messages; nothing in it ran";
    } else if (!immediate) {
        refuse = OSC_TIMETAG_NOT_SUPPORTED;
        why = "the bundle's timetag is not 'immediately' (0x0000000000000001): rill runs "
              "requests when they arrive and does not schedule them";
    }
    if (nested)
        refuse_packet(o, src, "#bundle", OSC_BAD_BUNDLE, why);
    for (unsigned i = 0; i < n && i < OSC_MAX_BUNDLE; i++)
        handle_message(o, src, data + off[i], size[i], refuse, why);
}

/* Main thread. */
void rill_osc_input(struct rill_osc *o, int sock, const struct sockaddr *from, socklen_t fromlen,
                    const uint8_t *data, size_t len, size_t true_len)
{
    struct osc_dest src;
    memset(&src, 0, sizeof(src));
    src.sock = sock;
    if (fromlen > sizeof(src.addr))
        fromlen = sizeof(src.addr);
    if (sock == RILL_OSC_SOCK_UNIX && fromlen <= offsetof(struct sockaddr_un, sun_path))
        fromlen = 0; /* an unbound sender: nowhere to reply but a reply URL */
    src.len = fromlen;
    if (fromlen)
        memcpy(&src.addr, from, fromlen);
    o->stats.received++;
    if (sock == RILL_OSC_SOCK_UDP) {
        const struct sockaddr_in *in = (const void *)from;
        if (fromlen < sizeof(*in) || in->sin_family != AF_INET ||
            !rill_osc_addr_allowed(&o->cfg, ntohl(in->sin_addr.s_addr))) {
            o->stats.ignored++; /* not ours to answer: never a reply outside the allow-list */
            goto out;
        }
    }
    int bundle = len >= 8 && memcmp(data, "#bundle\0", 8) == 0;
    if (true_len > RILL_OSC_MAX_DATAGRAM) {
        if (bundle || (len >= 5 && memcmp(data, "/rill", 5) == 0))
            refuse_packet(o, &src, bundle ? "#bundle" : "", OSC_TOO_BIG,
                          "the datagram is larger than 8192 bytes; rill reads none of it");
        else
            o->stats.ignored++;
        goto out;
    }
    if (bundle)
        handle_bundle(o, &src, data, len);
    else
        handle_message(o, &src, data, len, 0, NULL);
out:
    o->fresh = 1; /* the caller flushes after its batch (rill_osc_flush) */
}

/* Main thread. */
void rill_osc_count_foreign(struct rill_osc *o)
{
    o->stats.received++;
    o->stats.ignored++;
    o->stats.foreign++;
}

/* Main thread. */
void rill_osc_flush(struct rill_osc *o)
{
    osc_flush_all(o);
}

/* Main thread. */
void rill_osc_get_stats(const struct rill_osc *o, struct rill_osc_stats *st)
{
    *st = o->stats;
    st->subscribers = osc_subscribers(o);
}
