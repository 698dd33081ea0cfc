/* tools/rillctl.c — look at and change a running rill server's graph.
 *
 *   rillctl [-s SERVER] COMMAND [ARGS]
 *     ports [-c] [-t] [-a] [PATTERN]   list ports (connections, types, aliases)
 *     connect A B | disconnect A B     either order; the output is found
 *     clients                          name, pid, active, ports
 *     status                           server, driver, rate, period, load, xruns
 *     transport start|stop|locate FRAME|status
 *
 * It opens the server as a control client (RILL_HELLO_CONTROL: no node, not
 * listed), reads the registry lock-free from shared memory
 * (rill_registry_*) and changes the graph with CONNECT/DISCONNECT requests.
 * Exit status: 0 success, 1 runtime error (no server, unknown port, refused),
 * 2 usage error. Every function runs on the main thread (the only thread of
 * rillctl besides the client core's notification thread).
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clients/core/client.h"
#include "common/link_check.h"
#include "config.h"
#include "tools/json_out.h"
#include "tools/rillctl.h"
#include "rill/seqlock.h"
#include "rill/limits.h"
#include "rill/paths.h"
#include "rill/protocol.h"
#include "rill/shm.h"

static const struct ctl_command *ctl_commands(void);

/* Main thread. */
void rill_ctl_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rillctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Main thread. */
static void ctl_usage_all(FILE *f)
{
    fputs("usage: rillctl [-s SERVER] COMMAND [ARGS]\n"
          "       rillctl --help | rillctl COMMAND --help\n"
          "\n"
          "Look at and change the graph of a running rill server.\n"
          "\n"
          "options:\n"
          "  -s, --server NAME  the server to talk to (default $JACK_DEFAULT_SERVER,\n"
          "                     else \"default\")\n"
          "  -h, --help         this text\n"
          "  -V, --version      rill's version and the libjack ABI it builds\n"
          "\n"
          "commands:\n",
          f);
    for (const struct ctl_command *c = ctl_commands(); c->name; c++)
        fprintf(f, "  %s\n", c->usage);
}

/* Main thread: after a usage error that concerns no command. */
static void ctl_usage_short(void)
{
    fputs("usage: rillctl [-s SERVER] COMMAND [ARGS]; the commands are ports, connect, "
          "disconnect, clients, status, transport, graph, top (rillctl --help says more)\n",
          stderr);
}

/* Main thread. */
void rill_ctl_usage(FILE *f, const struct ctl_command *cmd, int full)
{
    fprintf(f, "usage: rillctl [-s SERVER] %s\n", cmd->usage);
    if (full && cmd->help)
        fprintf(f, "\n%s", cmd->help);
}

/* Main thread: a usage error of cmd. Returns EXIT_USAGE. */
int rill_ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rillctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    rill_ctl_usage(stderr, cmd, 0);
    return EXIT_USAGE;
}

/* Main thread: the option getopt_long just refused, as the user wrote it. */
const char *rill_ctl_bad_option(char **argv)
{
    static char buf[3];
    if (optopt > 0 && optopt < 128) {
        buf[0] = '-';
        buf[1] = (char)optopt;
        buf[2] = '\0';
        return buf;
    }
    return argv[optind - 1];
}

/* Main thread: ignores events; rillctl reads the registry instead. */
static void ctl_event(void *arg, const struct rill_msg *ev)
{
}

/* Main thread: connect to the server. Returns 0 or 1 (message printed). */
int rill_ctl_open(struct ctl *ctl)
{
    struct rill_client_callbacks cb = { .arg = ctl, .event = ctl_event };
    char err[RILL_ERROR_SIZE] = "";
    int r = rill_client_open(ctl->server, "rillctl", RILL_HELLO_CONTROL, &cb, &ctl->client, err,
                             sizeof err);
    if (r < 0) {
        if (err[0])
            rill_ctl_err("%s", err);
        else
            rill_ctl_err("cannot connect to the rill server '%s': %s",
                    rill_server_name(ctl->server), strerror(-r));
        ctl->client = NULL;
        return 1;
    }
    ctl->st = rill_client_state(ctl->client);
    if (!ctl->st) {
        rill_ctl_err("the server '%s' did not share its state", rill_server_name(ctl->server));
        return 1;
    }
    return 0;
}

/* ---- ports */

/* Main thread: 1 when name matches pattern (glob with *?[, else substring). */
int rill_ctl_match(const char *pattern, const char *name)
{
    if (!pattern || !pattern[0])
        return 1;
    if (strpbrk(pattern, "*?["))
        return fnmatch(pattern, name, 0) == 0;
    return strstr(name, pattern) != NULL;
}

static const char ports_help[] =
    "List the ports, one full name (CLIENT:PORT) per line, in id order.\n"
    "\n"
    "  -c, --connections  list each port's connections under it (indented 3 spaces)\n"
    "  -t, --type         print each port's type under it (indented with a tab)\n"
    "  -a, --aliases      print each port's aliases under it (indented 3 spaces)\n"
    "  -j, --json         one JSON document with everything above and more\n"
    "                     (doc/rillctl.md gives its shape)\n"
    "  PATTERN            only ports whose name matches: a shell glob when it holds\n"
    "                     one of * ? [, else a substring\n";

/* Main thread: the client slot's name into buf ("" when the slot is free). */
static void ctl_client_name(struct ctl *ctl, uint32_t slot, char *buf, size_t size)
{
    struct rill_shm_client c;
    buf[0] = '\0';
    if (rill_registry_client(ctl->st, slot, &c) == 0)
        snprintf(buf, size, "%.*s", (int)sizeof c.name - 1, c.name);
}

/* Main thread: call emit with the full name of each port connected to port
 * id, in connection order. */
static void ctl_each_connection(struct ctl *ctl, uint32_t id,
                                void (*emit)(void *arg, const char *name), void *arg)
{
    static uint32_t peers[RILL_MAX_CONNECTIONS];
    int m = rill_registry_connections(ctl->st, id, peers, RILL_MAX_CONNECTIONS);
    if (m > (int)RILL_MAX_CONNECTIONS)
        m = (int)RILL_MAX_CONNECTIONS;
    for (int k = 0; k < m; k++) {
        struct rill_shm_port q;
        if (rill_registry_port(ctl->st, peers[k], &q) < 0)
            continue;
        q.name[RILL_PORT_NAME_SIZE - 1] = '\0';
        emit(arg, q.name);
    }
}

/* Main thread: emitters for ctl_each_connection. */
static void emit_json(void *arg, const char *name) { rill_json_string(arg, NULL, name); }
static void emit_text(void *arg, const char *name) { printf("   %s\n", name); }

/* Main thread: rillctl ports --json (shape in doc/rillctl.md). */
static int ctl_ports_json(struct ctl *ctl, const char *pattern, const uint32_t *ids, int n)
{
    struct rill_json j;
    rill_json_init(&j, stdout);
    rill_json_begin_object(&j, NULL);
    rill_json_begin_array(&j, "ports");
    for (int i = 0; i < n; i++) {
        struct rill_shm_port p;
        if (rill_registry_port(ctl->st, ids[i], &p) < 0)
            continue; /* gone since the list was taken */
        p.name[RILL_PORT_NAME_SIZE - 1] = '\0';
        if (!rill_ctl_match(pattern, p.name))
            continue;
        char client[RILL_CLIENT_NAME_SIZE];
        ctl_client_name(ctl, p.client, client, sizeof client);
        const char *t = rill_port_type_string(p.type);
        rill_json_begin_object(&j, NULL);
        rill_json_string(&j, "name", p.name);
        rill_json_uint(&j, "id", ids[i]);
        rill_json_string(&j, "client", client);
        rill_json_string(&j, "type", t ? t : "unknown");
        rill_json_string(&j, "direction", (p.flags & RILL_PORT_IS_OUTPUT) ? "output" : "input");
        rill_json_bool(&j, "physical", (p.flags & RILL_PORT_IS_PHYSICAL) != 0);
        rill_json_bool(&j, "terminal", (p.flags & RILL_PORT_IS_TERMINAL) != 0);
        rill_json_uint(&j, "uuid", p.uuid);
        rill_json_begin_array(&j, "aliases");
        for (int a = 0; a < 2; a++) {
            p.alias[a][RILL_PORT_NAME_SIZE - 1] = '\0';
            if (p.alias[a][0])
                rill_json_string(&j, NULL, p.alias[a]);
        }
        rill_json_end_array(&j);
        rill_json_begin_object(&j, "latency");
        static const char *const dir[2] = { "capture", "playback" };
        for (int d = 0; d < 2; d++) {
            rill_json_begin_array(&j, dir[d]);
            rill_json_uint(&j, NULL, p.latency[d][0]);
            rill_json_uint(&j, NULL, p.latency[d][1]);
            rill_json_end_array(&j);
        }
        rill_json_end_object(&j);
        rill_json_begin_array(&j, "connections");
        ctl_each_connection(ctl, ids[i], emit_json, &j);
        rill_json_end_array(&j);
        rill_json_end_object(&j);
    }
    rill_json_end_array(&j);
    rill_json_end_object(&j);
    return rill_json_finish(&j) < 0 ? 1 : 0;
}

/* Main thread. */
static int ctl_ports(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "connections", no_argument, NULL, 'c' },
        { "type", no_argument, NULL, 't' },
        { "aliases", no_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct ctl_command *cmd = rill_ctl_command("ports");
    int show_conns = 0, show_type = 0, show_alias = 0, json = 0, o;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+ctajh", opts, NULL)) != -1) {
        switch (o) {
        case 'j': json = 1; break;
        case 'c': show_conns = 1; break;
        case 't': show_type = 1; break;
        case 'a': show_alias = 1; break;
        case 'h': rill_ctl_usage(stdout, cmd, 1); return 0;
        default:
            return rill_ctl_usage_error(cmd, "ports: unknown option '%s'", rill_ctl_bad_option(argv));
        }
    }
    if (argc - optind > 1)
        return rill_ctl_usage_error(cmd, "ports: one PATTERN at most, got %d arguments",
                               argc - optind);
    const char *pattern = optind < argc ? argv[optind] : NULL;
    if (rill_ctl_open(ctl))
        return 1;

    static uint32_t ids[RILL_MAX_PORTS];
    int n = rill_registry_port_ids(ctl->st, ids, RILL_MAX_PORTS);
    if (n < 0) {
        rill_ctl_err("cannot read the port list: %s", strerror(-n));
        return 1;
    }
    if (n > (int)RILL_MAX_PORTS)
        n = (int)RILL_MAX_PORTS;
    if (json)
        return ctl_ports_json(ctl, pattern, ids, n);
    for (int i = 0; i < n; i++) {
        struct rill_shm_port p;
        if (rill_registry_port(ctl->st, ids[i], &p) < 0)
            continue; /* gone since the list was taken */
        p.name[RILL_PORT_NAME_SIZE - 1] = '\0';
        if (!rill_ctl_match(pattern, p.name))
            continue;
        printf("%s\n", p.name);
        if (show_alias) {
            for (int a = 0; a < 2; a++) {
                p.alias[a][RILL_PORT_NAME_SIZE - 1] = '\0';
                if (p.alias[a][0])
                    printf("   %s\n", p.alias[a]);
            }
        }
        if (show_conns)
            ctl_each_connection(ctl, ids[i], emit_text, NULL);
        if (show_type) {
            const char *t = rill_port_type_string(p.type);
            printf("\t%s\n", t ? t : "(unknown type)");
        }
    }
    return 0;
}

/* ---- connect, disconnect */

static const char connect_help[] =
    "Connect an output port to an input port. The two may be given in either order;\n"
    "rillctl finds which one is the output. Both must be of the same type (audio or\n"
    "MIDI). Connecting ports that are already connected is an error (exit 1).\n";

static const char disconnect_help[] =
    "Disconnect two connected ports, given in either order.\n";

/* Main thread: connect (connect = 1) or disconnect A and B. */
static int ctl_link(struct ctl *ctl, int argc, char **argv, int connect)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct ctl_command *cmd = rill_ctl_command(connect ? "connect" : "disconnect");
    const char *verb = connect ? "connect" : "disconnect";
    int o;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (o == 'h') {
            rill_ctl_usage(stdout, cmd, 1);
            return 0;
        }
        return rill_ctl_usage_error(cmd, "%s: unknown option '%s'", verb, rill_ctl_bad_option(argv));
    }
    if (argc - optind != 2)
        return rill_ctl_usage_error(cmd, "%s needs two port names, got %d", verb, argc - optind);
    const char *a = argv[optind], *b = argv[optind + 1];
    struct rill_link link;
    char err[RILL_ERROR_SIZE];
    /* the checks and sentences are shared with the OSC front door */
    if (rill_link_check_names(a, b, verb, &link, err, sizeof err) < 0) {
        if (link.problem == RILL_LINK_EMPTY_NAME)
            return rill_ctl_usage_error(cmd, "%s", err);
        rill_ctl_err("%s", err);
        return 1;
    }
    if (rill_ctl_open(ctl))
        return 1;
    if (rill_link_check(ctl->st, a, b, connect, &link, err, sizeof err) < 0) {
        rill_ctl_err("%s", err);
        return 1;
    }
    const char *src_name = link.src_name, *dst_name = link.dst_name;

    struct rill_msg m;
    memset(&m, 0, sizeof m);
    m.type = connect ? RILL_MSG_CONNECT : RILL_MSG_DISCONNECT;
    /* both names are shorter than RILL_PORT_NAME_SIZE: terminated copies */
    memcpy(m.u.connect.src, src_name, strlen(src_name) + 1);
    memcpy(m.u.connect.dst, dst_name, strlen(dst_name) + 1);
    int r = rill_client_request(ctl->client, &m);
    if (r < 0) {
        m.error[RILL_ERROR_SIZE - 1] = '\0';
        if (m.error[0])
            rill_ctl_err("%s %s -> %s refused: %s", verb, src_name, dst_name, m.error);
        else
            rill_ctl_err("%s %s -> %s failed: %s", verb, src_name, dst_name, strerror(-r));
        return 1;
    }
    return 0;
}

/* Main thread. */
static int ctl_connect(struct ctl *ctl, int argc, char **argv)
{
    return ctl_link(ctl, argc, argv, 1);
}

/* Main thread. */
static int ctl_disconnect(struct ctl *ctl, int argc, char **argv)
{
    return ctl_link(ctl, argc, argv, 0);
}

/* ---- clients, status */

/* Main thread: a command whose only option is -j/--json (*json set when
 * given). Returns -1 to go on, else an exit status. */
static int ctl_no_args(const struct ctl_command *cmd, int argc, char **argv, int *json)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    int o;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    *json = 0;
    while ((o = getopt_long(argc, argv, "+hj", opts, NULL)) != -1) {
        if (o == 'h') {
            rill_ctl_usage(stdout, cmd, 1);
            return 0;
        }
        if (o == 'j') {
            *json = 1;
            continue;
        }
        return rill_ctl_usage_error(cmd, "%s: unknown option '%s'", cmd->name, rill_ctl_bad_option(argv));
    }
    if (optind < argc)
        return rill_ctl_usage_error(cmd, "%s takes no arguments, got '%s'", cmd->name, argv[optind]);
    return -1;
}

/* Main thread: number of ports owned by client slot. */
static unsigned ctl_client_ports(struct ctl *ctl, uint32_t slot, const uint32_t *ids, int n)
{
    unsigned count = 0;
    for (int i = 0; i < n; i++) {
        struct rill_shm_port p;
        if (rill_registry_port(ctl->st, ids[i], &p) == 0 && p.client == slot)
            count++;
    }
    return count;
}

static const char clients_help[] =
    "List the clients, one per line: name, process id, active or inactive, number of\n"
    "ports. The server's own client \"system\" is listed; control tools are not.\n"
    "\n"
    "  -j, --json  one JSON document (doc/rillctl.md gives its shape)\n";

/* Main thread. */
static int ctl_clients(struct ctl *ctl, int argc, char **argv)
{
    int json;
    int r = ctl_no_args(rill_ctl_command("clients"), argc, argv, &json);
    if (r >= 0)
        return r;
    if (rill_ctl_open(ctl))
        return 1;
    static uint32_t ids[RILL_MAX_PORTS];
    int n = rill_registry_port_ids(ctl->st, ids, RILL_MAX_PORTS);
    if (n < 0)
        n = 0;
    if (n > (int)RILL_MAX_PORTS)
        n = (int)RILL_MAX_PORTS;
    struct rill_json j;
    if (json) {
        rill_json_init(&j, stdout);
        rill_json_begin_object(&j, NULL);
        rill_json_begin_array(&j, "clients");
    }
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct rill_shm_client c;
        if (rill_registry_client(ctl->st, slot, &c) < 0 || (c.flags & RILL_CLIENT_CONTROL))
            continue;
        c.name[RILL_CLIENT_NAME_SIZE - 1] = '\0';
        unsigned np = ctl_client_ports(ctl, slot, ids, n);
        if (!json) {
            printf("%-24s pid %-8d %-8s %u port%s\n", c.name, (int)c.pid,
                   c.active ? "active" : "inactive", np, np == 1 ? "" : "s");
            continue;
        }
        rill_json_begin_object(&j, NULL);
        rill_json_string(&j, "name", c.name);
        rill_json_int(&j, "pid", c.pid);
        rill_json_bool(&j, "active", c.active != 0);
        rill_json_uint(&j, "ports", np);
        rill_json_uint(&j, "uuid", c.uuid);
        rill_json_end_object(&j);
    }
    if (!json)
        return 0;
    rill_json_end_array(&j);
    rill_json_end_object(&j);
    return rill_json_finish(&j) < 0 ? 1 : 0;
}

/* Main thread: a link's counters. */
static void link_read(const struct rill_shm_link *l, struct rill_ctl_link *out)
{
    /* relaxed: independent statistics (rill/shm.h) */
    out->present = atomic_load_explicit(&l->link_present, memory_order_relaxed);
    out->joined = atomic_load_explicit(&l->joined, memory_order_relaxed);
    out->cycles = atomic_load_explicit(&l->cycles, memory_order_relaxed);
    out->incomplete = atomic_load_explicit(&l->incomplete, memory_order_relaxed);
    out->empty = atomic_load_explicit(&l->empty, memory_order_relaxed);
    out->missed = atomic_load_explicit(&l->missed, memory_order_relaxed);
    out->lost = atomic_load_explicit(&l->lost, memory_order_relaxed);
    out->late = atomic_load_explicit(&l->late, memory_order_relaxed);
    out->reordered = atomic_load_explicit(&l->reordered, memory_order_relaxed);
    out->foreign = atomic_load_explicit(&l->foreign, memory_order_relaxed);
    out->malformed = atomic_load_explicit(&l->malformed, memory_order_relaxed);
    out->rejoins = atomic_load_explicit(&l->rejoins, memory_order_relaxed);
}

/* Main thread: the netmanager's followers; a slot whose identity cannot
 * be read consistently (it is being written) is left out this time. */
static void netmanager_read(const struct rill_shm_netmanager *b, struct rill_ctl_netmanager *out)
{
    out->present = atomic_load_explicit(&b->present, memory_order_relaxed);
    out->n = 0;
    if (!out->present)
        return;
    out->port = b->port;
    out->refused = atomic_load_explicit(&b->refused, memory_order_relaxed);
    out->turned_away = atomic_load_explicit(&b->turned_away, memory_order_relaxed);
    for (unsigned i = 0; i < RILL_NM_SLOTS; i++) {
        struct rill_ctl_nm_follower *f = &out->f[out->n];
        if (rill_seqlock_read_copy(&b->f[i].seq, &f->id, &b->f[i].id, sizeof f->id) < 0 ||
            !f->id.used)
            continue;
        f->id.name[sizeof f->id.name - 1] = 0; /* another process wrote them */
        f->id.client[sizeof f->id.client - 1] = 0;
        f->id.address[sizeof f->id.address - 1] = 0;
        link_read(&b->f[i].link, &f->link);
        out->n++;
    }
}

/* Main thread: what status prints, read from the state segment. */
void rill_ctl_status_read(const struct rill_shm_state *st, struct rill_ctl_status *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->server, sizeof out->server, "%.*s", (int)sizeof out->server - 1,
             st->server_name);
    snprintf(out->driver, sizeof out->driver, "%.*s", (int)sizeof st->driver_name - 1,
             st->driver_name);
    out->pid = st->server_pid;
    out->rate = st->rate;
    out->period = st->period;
    /* relaxed: independent statistics, each only needs to be a value the
     * realtime thread wrote; no other data is read through them */
    out->load_milli = atomic_load_explicit(&st->dsp_load_milli, memory_order_relaxed);
    out->peak_milli = atomic_load_explicit(&st->dsp_load_peak_milli, memory_order_relaxed);
    out->xruns = atomic_load_explicit(&st->xruns, memory_order_relaxed);
    out->cycles = atomic_load_explicit(&st->cycles, memory_order_relaxed);
    out->rt_priority = st->rt_priority;
    out->device_state = atomic_load_explicit(&st->driver_state, memory_order_relaxed);
    out->device_since_s = atomic_load_explicit(&st->driver_since_s, memory_order_relaxed);
    out->device_stalls = atomic_load_explicit(&st->driver_stalls, memory_order_relaxed);
    out->device_restarts = atomic_load_explicit(&st->driver_restarts, memory_order_relaxed);
    out->device_reopens = atomic_load_explicit(&st->driver_reopens, memory_order_relaxed);
    out->device_losses = atomic_load_explicit(&st->driver_losses, memory_order_relaxed);
    link_read(&st->link, &out->net);
    netmanager_read(&st->netmanager, &out->nm);
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct rill_shm_client c;
        if (rill_registry_client(st, slot, &c) == 0 && !(c.flags & RILL_CLIENT_CONTROL))
            out->clients++;
    }
}

static const char status_help[] =
    "Print the server's name, rill's version and libjack ABI, driver, the state of\n"
    "the device (running; recovering, lost or refused since a time: the cycle then\n"
    "runs on a timer) and its stalls, restarts, reopenings and losses, sample rate,\n"
    "period, DSP load (current and peak), xruns, cycles run, number of clients\n"
    "(control tools such as rillctl not counted) and realtime priority.\n"
    "\n"
    "  -j, --json  one JSON document (doc/rillctl.md gives its shape)\n";

static const char *const device_states[] = {
    [RILL_DRIVER_STATE_RUNNING] = "running",
    [RILL_DRIVER_STATE_RECOVERING] = "recovering",
    [RILL_DRIVER_STATE_LOST] = "lost",
    [RILL_DRIVER_STATE_REFUSED] = "refused",
};

/* The state's word ("running", "lost", ...). Main thread. */
static const char *device_state_name(uint32_t state)
{
    return state < sizeof(device_states) / sizeof(device_states[0]) ? device_states[state]
                                                                      : "unknown";
}

/* A link's counts; the second line begins with label. Main thread. */
static void print_link(const struct rill_ctl_link *l, const char *label)
{
    printf("%llu cycles complete, %llu incomplete, %llu periods without any datagram, %llu "
           "cycles missed\n", (unsigned long long)l->cycles, (unsigned long long)l->incomplete,
           (unsigned long long)l->empty, (unsigned long long)l->missed);
    printf("%s%llu lost, %llu late, %llu reordered, %llu foreign, %llu malformed; "
           "%llu rejoins\n", label, (unsigned long long)l->lost, (unsigned long long)l->late,
           (unsigned long long)l->reordered, (unsigned long long)l->foreign,
           (unsigned long long)l->malformed, (unsigned long long)l->rejoins);
}

/* NetJACK2's encoder numbers (drivers/net/net_proto.h) */
static const char *const encodings[] = { [0] = "float", [1] = "int16", [2] = "celt",
                                         [3] = "opus" };

/* NetJACK2's encoder number as a word. Main thread. */
static const char *encoding_name(uint32_t e)
{
    return e < sizeof encodings / sizeof encodings[0] ? encodings[e] : "unknown";
}

/* The netmanager's lines (nothing when none is loaded). Main thread. */
static void print_netmanager(const struct rill_ctl_netmanager *nm)
{
    if (!nm->present)
        return;
    printf("netmanager:   UDP port %u; %u follower%s; %llu datagrams refused on the port, %llu "
           "followers turned away\n", nm->port, nm->n, nm->n == 1 ? "" : "s",
           (unsigned long long)nm->refused, (unsigned long long)nm->turned_away);
    for (uint32_t i = 0; i < nm->n; i++) {
        const struct rill_ctl_nm_follower *f = &nm->f[i];
        printf("  follower '%s' (client '%s') at %s: %u Hz, %u frames, audio %u to / %u "
               "from, MIDI %u to / %u from, %s, latency %u cycles, %s\n", f->id.name,
               f->id.client, f->id.address, f->id.rate, f->id.period, f->id.audio_to,
               f->id.audio_from, f->id.midi_to, f->id.midi_from, encoding_name(f->id.encoder),
               f->id.latency, f->id.sync ? "sync" : "async");
        printf("    ");
        print_link(&f->link, "    datagrams: ");
    }
}

/* "running", or "lost (gone; watched for) since 12:03:04 (5 s); cycles on
 * the fallback clock", and the fault counts. Main thread. */
static void print_device(const struct rill_ctl_status *s)
{
    static const char *const what[] = {
        [RILL_DRIVER_STATE_RUNNING] = "running",
        [RILL_DRIVER_STATE_RECOVERING] = "recovering (it stalled; being reopened)",
        [RILL_DRIVER_STATE_LOST] = "lost (gone; watched for)",
        [RILL_DRIVER_STATE_REFUSED] = "refused (back, but unable to run as before)",
    };
    if (s->device_state >= sizeof(what) / sizeof(what[0])) {
        printf("device:       state %u\n", s->device_state);
    } else if (s->device_state == RILL_DRIVER_STATE_RUNNING) {
        printf("device:       %s\n", what[s->device_state]);
    } else {
        char when[32] = "?";
        time_t t = (time_t)s->device_since_s;
        struct tm tm;
        if (s->device_since_s && localtime_r(&t, &tm))
            strftime(when, sizeof when, "%H:%M:%S", &tm);
        long ago = s->device_since_s ? (long)(time(NULL) - t) : -1;
        printf("device:       %s since %s (%ld s); cycles on the fallback clock\n",
               what[s->device_state], when, ago);
    }
    printf("stalls:       %llu\n", (unsigned long long)s->device_stalls);
    printf("restarts:     %llu\n", (unsigned long long)s->device_restarts);
    printf("reopenings:   %llu\n", (unsigned long long)s->device_reopens);
    printf("losses:       %llu\n", (unsigned long long)s->device_losses);
    if (s->net.present) {
        printf("network:      %s; ", s->net.joined ? "joined" : "looking for the master");
        print_link(&s->net, "datagrams:    ");
    }
    print_netmanager(&s->nm);
}

/* Main thread: a link's counts as members of the current object. */
static void link_json(struct rill_json *j, const struct rill_ctl_link *l)
{
    rill_json_uint(j, "cycles", l->cycles);
    rill_json_uint(j, "incomplete", l->incomplete);
    rill_json_uint(j, "empty", l->empty);
    rill_json_uint(j, "missed", l->missed);
    rill_json_uint(j, "lost", l->lost);
    rill_json_uint(j, "late", l->late);
    rill_json_uint(j, "reordered", l->reordered);
    rill_json_uint(j, "foreign", l->foreign);
    rill_json_uint(j, "malformed", l->malformed);
}

/* Main thread: the "netmanager" member. */
static void netmanager_json(struct rill_json *j, const struct rill_ctl_netmanager *nm)
{
    rill_json_begin_object(j, "netmanager");
    rill_json_bool(j, "loaded", nm->present != 0);
    if (nm->present)
        rill_json_uint(j, "port", nm->port);
    else
        rill_json_null(j, "port");
    rill_json_uint(j, "refused", nm->refused);
    rill_json_uint(j, "turned_away", nm->turned_away);
    rill_json_begin_array(j, "followers");
    for (uint32_t i = 0; i < nm->n; i++) {
        const struct rill_ctl_nm_follower *f = &nm->f[i];
        rill_json_begin_object(j, NULL);
        rill_json_string(j, "name", f->id.name);
        rill_json_string(j, "client", f->id.client);
        rill_json_string(j, "address", f->id.address);
        rill_json_uint(j, "id", f->id.id);
        rill_json_uint(j, "since", f->id.since_s);
        rill_json_uint(j, "rate", f->id.rate);
        rill_json_uint(j, "period", f->id.period);
        rill_json_uint(j, "latency", f->id.latency);
        rill_json_string(j, "encoding", encoding_name(f->id.encoder));
        rill_json_uint(j, "audio_to", f->id.audio_to);
        rill_json_uint(j, "audio_from", f->id.audio_from);
        rill_json_uint(j, "midi_to", f->id.midi_to);
        rill_json_uint(j, "midi_from", f->id.midi_from);
        rill_json_bool(j, "sync", f->id.sync != 0);
        rill_json_bool(j, "transport_sync", f->id.transport_sync != 0);
        link_json(j, &f->link);
        rill_json_end_object(j);
    }
    rill_json_end_array(j);
    rill_json_end_object(j);
}

/* Main thread: the status object (shape in doc/rillctl.md) as member key
 * of the object j is in (key NULL: a value of an array or the document). */
void rill_ctl_status_json(struct rill_json *j, const char *key, const struct rill_ctl_status *s)
{
    rill_json_begin_object(j, key);
    rill_ctl_status_fields(j, s);
    rill_json_end_object(j);
}

/* Main thread: the status object's members (without its braces). */
void rill_ctl_status_fields(struct rill_json *j, const struct rill_ctl_status *s)
{
    rill_json_string(j, "server", s->server);
    rill_json_int(j, "pid", s->pid);
    rill_json_string(j, "version", PACKAGE_VERSION);
    rill_json_string(j, "libjack", RILL_LIBJACK_ABI);
    rill_json_string(j, "jack_api", RILL_JACK_API_VERSION);
    rill_json_string(j, "driver", s->driver);
    rill_json_begin_object(j, "device");
    rill_json_string(j, "state", device_state_name(s->device_state));
    if (s->device_state != RILL_DRIVER_STATE_RUNNING && s->device_since_s)
        rill_json_uint(j, "since", s->device_since_s);
    else
        rill_json_null(j, "since");
    rill_json_uint(j, "stalls", s->device_stalls);
    rill_json_uint(j, "restarts", s->device_restarts);
    rill_json_uint(j, "reopenings", s->device_reopens);
    rill_json_uint(j, "losses", s->device_losses);
    rill_json_end_object(j);
    rill_json_begin_object(j, "network");
    rill_json_bool(j, "link", s->net.present != 0);
    rill_json_bool(j, "joined", s->net.joined != 0);
    link_json(j, &s->net);
    rill_json_uint(j, "rejoins", s->net.rejoins);
    rill_json_end_object(j);
    netmanager_json(j, &s->nm);
    rill_json_uint(j, "rate", s->rate);
    rill_json_uint(j, "period", s->period);
    rill_json_double(j, "period_ms", s->rate ? (double)s->period * 1000.0 / s->rate : 0.0, 3);
    rill_json_double(j, "dsp_load", s->load_milli / 1000.0, 3);
    rill_json_double(j, "dsp_load_peak", s->peak_milli / 1000.0, 3);
    rill_json_uint(j, "xruns", s->xruns);
    rill_json_uint(j, "cycles", s->cycles);
    rill_json_uint(j, "clients", s->clients);
    rill_json_int(j, "realtime_priority", s->rt_priority > 0 ? s->rt_priority : 0);
}

/* Main thread. */
static int ctl_status(struct ctl *ctl, int argc, char **argv)
{
    int json;
    int r = ctl_no_args(rill_ctl_command("status"), argc, argv, &json);
    if (r >= 0)
        return r;
    if (rill_ctl_open(ctl))
        return 1;
    struct rill_ctl_status s;
    rill_ctl_status_read(ctl->st, &s);
    if (json) {
        struct rill_json j;
        struct rill_ctl_midi midi[RILL_CTL_MIDI_BRIDGES];
        for (int k = 0; k < RILL_CTL_MIDI_BRIDGES; k++)
            rill_ctl_midi_read(ctl, k, &midi[k]);
        rill_json_init(&j, stdout);
        rill_json_begin_object(&j, NULL);
        rill_ctl_status_fields(&j, &s);
        for (int k = 0; k < RILL_CTL_MIDI_BRIDGES; k++)
            rill_ctl_midi_json(&j, &midi[k]);
        rill_json_end_object(&j);
        return rill_json_finish(&j) < 0 ? 1 : 0;
    }
    printf("server:       %s\n", s.server);
    printf("version:      %s\n", rill_ctl_version());
    printf("pid:          %d\n", (int)s.pid);
    printf("driver:       %s\n", s.driver);
    print_device(&s);
    printf("sample rate:  %u Hz\n", s.rate);
    if (s.rate)
        printf("period:       %u frames (%.3f ms)\n", s.period,
               (double)s.period * 1000.0 / (double)s.rate);
    else
        printf("period:       %u frames\n", s.period);
    printf("dsp load:     %u.%u %% (peak %u.%u %%)\n", s.load_milli / 1000,
           (s.load_milli % 1000) / 100, s.peak_milli / 1000, (s.peak_milli % 1000) / 100);
    printf("xruns:        %llu\n", (unsigned long long)s.xruns);
    printf("cycles:       %llu\n", (unsigned long long)s.cycles);
    printf("clients:      %u (system included)\n", s.clients);
    if (s.rt_priority > 0)
        printf("realtime:     SCHED_FIFO priority %d (clients %d)\n", (int)s.rt_priority,
               (int)s.rt_priority - 1);
    else
        printf("realtime:     not realtime\n");
    /* each bridge's count once it has one (its log says why) */
    static const char *const what[RILL_CTL_MIDI_BRIDGES] = { "the ALSA MIDI bridge",
                                                             "the raw MIDI bridge" };
    for (int k = 0; k < RILL_CTL_MIDI_BRIDGES; k++) {
        char dropped[64];
        if (rill_ctl_midi_dropped(ctl, k, dropped, sizeof(dropped)) == 0)
            printf("%s%s (events %s dropped; its log says why)\n", rill_ctl_midi_label(k),
                   dropped, what[k]);
    }
    return 0;
}

/* ---- transport */

static const char transport_help[] =
    "start           start the transport rolling (slow-sync clients may hold it in\n"
    "                Starting until they are ready)\n"
    "stop            stop it\n"
    "locate FRAME    move it to FRAME (0 to 4294967295); takes effect two cycles later\n"
    "status          print the state, the frame, the timebase master and, when the\n"
    "                master provides it, bar|beat|tick with the time signature and tempo\n";

/* Main thread: print the transport as the engine published it. */
static int ctl_transport_status(struct ctl *ctl)
{
    struct rill_transport_shm ts;
    if (rill_transport_read(&ctl->st->transport, &ts) < 0) {
        rill_ctl_err("cannot read a consistent transport position; try again");
        return 1;
    }
    const char *state = ts.state == RILL_TRANSPORT_ROLLING    ? "Rolling"
                        : ts.state == RILL_TRANSPORT_STARTING ? "Starting"
                        : ts.state == RILL_TRANSPORT_STOPPED  ? "Stopped"
                                                              : "unknown";
    printf("state:        %s\n", state);
    printf("frame:        %u\n", ts.pos.frame);
    if (ts.pos.frame_rate)
        printf("time:         %.3f s\n", (double)ts.pos.frame / ts.pos.frame_rate);
    struct rill_shm_client mc;
    if (ts.master && rill_registry_client(ctl->st, ts.master - 1, &mc) == 0)
        printf("master:       %.*s\n", (int)sizeof mc.name - 1, mc.name);
    else
        printf("master:       none\n");
    if (ts.pos.valid & RILL_POS_BBT)
        printf("bbt:          %d|%d|%d (%g/%g, %.2f bpm, %g ticks per beat)\n", ts.pos.bar,
               ts.pos.beat, ts.pos.tick, (double)ts.pos.beats_per_bar,
               (double)ts.pos.beat_type, ts.pos.beats_per_minute, ts.pos.ticks_per_beat);
    else
        printf("bbt:          not valid (no timebase master)\n");
    return 0;
}

/* Main thread. */
static int ctl_transport(struct ctl *ctl, int argc, char **argv)
{
    const struct ctl_command *cmd = ctl_commands();
    while (cmd->name && strcmp(cmd->name, "transport") != 0)
        cmd++;
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        rill_ctl_usage(stdout, cmd, 1);
        return 0;
    }
    if (argc < 2)
        return rill_ctl_usage_error(cmd, "transport needs one of start, stop, locate FRAME, status");
    const char *sub = argv[1];
    struct rill_msg m;
    memset(&m, 0, sizeof m);
    m.type = RILL_MSG_TRANSPORT_REQUEST;
    int want_args = 2;
    if (strcmp(sub, "start") == 0) {
        m.u.transport.value = RILL_TRANSPORT_CMD_START;
    } else if (strcmp(sub, "stop") == 0) {
        m.u.transport.value = RILL_TRANSPORT_CMD_STOP;
    } else if (strcmp(sub, "locate") == 0) {
        want_args = 3;
        if (argc < 3)
            return rill_ctl_usage_error(cmd, "transport locate needs a FRAME (0 to 4294967295)");
        char *end;
        errno = 0;
        unsigned long long f = strtoull(argv[2], &end, 10);
        if (!argv[2][0] || *end || errno || argv[2][0] == '-' || f > UINT32_MAX)
            return rill_ctl_usage_error(cmd, "transport locate: '%s' is not a frame number (0 to "
                                        "4294967295)",
                                   argv[2]);
        m.u.transport.value = RILL_TRANSPORT_REQUEST_POS;
        m.u.transport.pos.frame = (uint32_t)f;
    } else if (strcmp(sub, "status") != 0) {
        return rill_ctl_usage_error(cmd, "transport: unknown subcommand '%s' (start, stop, locate "
                                    "FRAME, status)",
                               sub);
    }
    if (argc > want_args)
        return rill_ctl_usage_error(cmd, "transport %s: unexpected argument '%s'", sub,
                               argv[want_args]);
    if (rill_ctl_open(ctl))
        return 1;
    if (strcmp(sub, "status") == 0)
        return ctl_transport_status(ctl);
    int r = rill_client_request(ctl->client, &m);
    if (r < 0) {
        m.error[RILL_ERROR_SIZE - 1] = '\0';
        rill_ctl_err("transport %s refused: %s", sub, m.error[0] ? m.error : strerror(-r));
        return 1;
    }
    return 0;
}

/* ---- table and main */

static const struct ctl_command commands[] = {
    { "ports", "ports [-c] [-t] [-a] [-j] [PATTERN]", ports_help, ctl_ports },
    { "connect", "connect PORT PORT", connect_help, ctl_connect },
    { "disconnect", "disconnect PORT PORT", disconnect_help, ctl_disconnect },
    { "clients", "clients [-j]", clients_help, ctl_clients },
    { "status", "status [-j]", status_help, ctl_status },
    { "transport", "transport start|stop|locate FRAME|status", transport_help, ctl_transport },
    { "graph", "graph [--dot] [--svg FILE] [--png FILE] [-o FILE]", rill_ctl_graph_help,
      rill_ctl_graph },
    { "top", "top [--once] [-j] [-d SECONDS]", rill_ctl_top_help, rill_ctl_top },
    { NULL, NULL, NULL, NULL },
};

/* Main thread. */
static const struct ctl_command *ctl_commands(void)
{
    return commands;
}

/* Main thread. */
const struct ctl_command *rill_ctl_command(const char *name)
{
    for (const struct ctl_command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* Main thread. */
const char *rill_ctl_version(void)
{
    return RILL_VERSION_STRING;
}

/* Main thread. */
int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "server", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct ctl ctl = { 0 };
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+s:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'V':
            printf("rillctl %s\n", rill_ctl_version());
            return 0;
        case 's':
            if (rill_server_name_check(optarg) < 0) {
                rill_ctl_err("bad server name '%s': use 1 to 63 of A-Z a-z 0-9 . _ -, not starting "
                        "with '.'",
                        optarg);
                return EXIT_USAGE;
            }
            ctl.server = optarg;
            break;
        case 'h':
            ctl_usage_all(stdout);
            return 0;
        default:
            if (optopt == 's')
                rill_ctl_err("option -s (--server) needs a server name");
            else
                rill_ctl_err("unknown option '%s'", rill_ctl_bad_option(argv));
            ctl_usage_short();
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        rill_ctl_err("no command given");
        ctl_usage_short();
        return EXIT_USAGE;
    }
    const char *name = argv[optind];
    const struct ctl_command *cmd = NULL;
    for (const struct ctl_command *c = ctl_commands(); c->name; c++)
        if (strcmp(c->name, name) == 0)
            cmd = c;
    if (!cmd) {
        rill_ctl_err("unknown command '%s'",
                name);
        ctl_usage_short();
        return EXIT_USAGE;
    }
    int r = cmd->run(&ctl, argc - optind, argv + optind);
    if (ctl.client)
        rill_client_close(ctl.client);
    return r;
}
