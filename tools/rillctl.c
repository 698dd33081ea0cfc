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
#include "rill/limits.h"
#include "rill/paths.h"
#include "rill/protocol.h"
#include "rill/shm.h"

#define EXIT_USAGE 2

struct ctl {
    const char *server; /* NULL: the core's default (JACK_DEFAULT_SERVER, "default") */
    struct rill_client *client;
    const struct rill_shm_state *st;
};

struct ctl_command {
    const char *name;
    const char *usage; /* after "rillctl [-s SERVER] " */
    const char *help;  /* more lines for COMMAND --help */
    int (*run)(struct ctl *ctl, int argc, char **argv);
};

static const struct ctl_command *ctl_commands(void);

/* Main thread. */
static void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ctl_err(const char *fmt, ...)
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
          "disconnect, clients, status (rillctl --help says more)\n",
          stderr);
}

/* Main thread. */
static void ctl_usage(FILE *f, const struct ctl_command *cmd, int full)
{
    fprintf(f, "usage: rillctl [-s SERVER] %s\n", cmd->usage);
    if (full && cmd->help)
        fprintf(f, "\n%s", cmd->help);
}

/* Main thread: a usage error of cmd. Returns EXIT_USAGE. */
static int ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rillctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    ctl_usage(stderr, cmd, 0);
    return EXIT_USAGE;
}

/* Main thread: the option getopt_long just refused, as the user wrote it. */
static const char *ctl_bad_option(char **argv)
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
static int ctl_open(struct ctl *ctl)
{
    struct rill_client_callbacks cb = { .arg = ctl, .event = ctl_event };
    char err[RILL_ERROR_SIZE] = "";
    int r = rill_client_open(ctl->server, "rillctl", RILL_HELLO_CONTROL, &cb, &ctl->client, err,
                             sizeof err);
    if (r < 0) {
        if (err[0])
            ctl_err("%s", err);
        else
            ctl_err("cannot connect to the rill server '%s': %s",
                    rill_server_name(ctl->server), strerror(-r));
        ctl->client = NULL;
        return 1;
    }
    ctl->st = rill_client_state(ctl->client);
    if (!ctl->st) {
        ctl_err("the server '%s' did not share its state", rill_server_name(ctl->server));
        return 1;
    }
    return 0;
}

/* ---- ports */

/* Main thread: 1 when name matches pattern (glob with *?[, else substring). */
static int ctl_match(const char *pattern, const char *name)
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
    "  PATTERN            only ports whose name matches: a shell glob when it holds\n"
    "                     one of * ? [, else a substring\n";

/* Main thread. */
static int ctl_ports(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "connections", no_argument, NULL, 'c' },
        { "type", no_argument, NULL, 't' },
        { "aliases", no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct ctl_command *cmd = &ctl_commands()[0];
    int show_conns = 0, show_type = 0, show_alias = 0, o;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+ctah", opts, NULL)) != -1) {
        switch (o) {
        case 'c': show_conns = 1; break;
        case 't': show_type = 1; break;
        case 'a': show_alias = 1; break;
        case 'h': ctl_usage(stdout, cmd, 1); return 0;
        default:
            return ctl_usage_error(cmd, "ports: unknown option '%s'", ctl_bad_option(argv));
        }
    }
    if (argc - optind > 1)
        return ctl_usage_error(cmd, "ports: one PATTERN at most, got %d arguments",
                               argc - optind);
    const char *pattern = optind < argc ? argv[optind] : NULL;
    if (ctl_open(ctl))
        return 1;

    static uint32_t ids[RILL_MAX_PORTS];
    static uint32_t peers[RILL_MAX_CONNECTIONS];
    int n = rill_registry_port_ids(ctl->st, ids, RILL_MAX_PORTS);
    if (n < 0) {
        ctl_err("cannot read the port list: %s", strerror(-n));
        return 1;
    }
    if (n > (int)RILL_MAX_PORTS)
        n = (int)RILL_MAX_PORTS;
    for (int i = 0; i < n; i++) {
        struct rill_shm_port p;
        if (rill_registry_port(ctl->st, ids[i], &p) < 0)
            continue; /* gone since the list was taken */
        p.name[RILL_PORT_NAME_SIZE - 1] = '\0';
        if (!ctl_match(pattern, p.name))
            continue;
        printf("%s\n", p.name);
        if (show_alias) {
            for (int a = 0; a < 2; a++) {
                p.alias[a][RILL_PORT_NAME_SIZE - 1] = '\0';
                if (p.alias[a][0])
                    printf("   %s\n", p.alias[a]);
            }
        }
        if (show_conns) {
            int m = rill_registry_connections(ctl->st, ids[i], peers, RILL_MAX_CONNECTIONS);
            if (m > (int)RILL_MAX_CONNECTIONS)
                m = (int)RILL_MAX_CONNECTIONS;
            for (int k = 0; k < m; k++) {
                struct rill_shm_port q;
                if (rill_registry_port(ctl->st, peers[k], &q) < 0)
                    continue;
                q.name[RILL_PORT_NAME_SIZE - 1] = '\0';
                printf("   %s\n", q.name);
            }
        }
        if (show_type) {
            const char *t = rill_port_type_string(p.type);
            printf("\t%s\n", t ? t : "(unknown type)");
        }
    }
    return 0;
}

/* ---- connect, disconnect */

/* Main thread: find a port by full name or alias into *out and *id.
 * Returns 0 or 1 (message printed). */
static int ctl_find_port(struct ctl *ctl, const char *name, struct rill_shm_port *out,
                         uint32_t *id)
{
    int r = rill_registry_find_port(ctl->st, name);
    if (r < 0 || rill_registry_port(ctl->st, (uint32_t)r, out) < 0) {
        ctl_err("no port named '%s' (ports are named CLIENT:PORT; list them with: rillctl "
                "ports)",
                name);
        return 1;
    }
    out->name[RILL_PORT_NAME_SIZE - 1] = '\0';
    *id = (uint32_t)r;
    return 0;
}

/* Main thread: the direction of a port in words, plural ("both ..."). */
static const char *ctl_direction(const struct rill_shm_port *p)
{
    if (p->flags & RILL_PORT_IS_OUTPUT)
        return "outputs";
    if (p->flags & RILL_PORT_IS_INPUT)
        return "inputs";
    return "neither inputs nor outputs";
}

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
    const struct ctl_command *cmd = &ctl_commands()[connect ? 1 : 2];
    const char *verb = connect ? "connect" : "disconnect";
    int o;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (o == 'h') {
            ctl_usage(stdout, cmd, 1);
            return 0;
        }
        return ctl_usage_error(cmd, "%s: unknown option '%s'", verb, ctl_bad_option(argv));
    }
    if (argc - optind != 2)
        return ctl_usage_error(cmd, "%s needs two port names, got %d", verb, argc - optind);
    const char *a = argv[optind], *b = argv[optind + 1];
    for (int i = 0; i < 2; i++) {
        const char *name = i ? b : a;
        size_t len = strlen(name);
        if (len >= RILL_PORT_NAME_SIZE) {
            ctl_err("port name is %zu bytes; the limit is %u", len, RILL_PORT_NAME_SIZE - 1);
            return 1;
        }
        if (len == 0)
            return ctl_usage_error(cmd, "%s: a port name is empty (ports are named "
                                        "CLIENT:PORT)",
                                   verb);
    }
    if (ctl_open(ctl))
        return 1;

    struct rill_shm_port pa, pb;
    uint32_t ida, idb;
    if (ctl_find_port(ctl, a, &pa, &ida) || ctl_find_port(ctl, b, &pb, &idb))
        return 1;
    if (ida == idb) {
        ctl_err("'%s' and '%s' are the same port; %s an output to an input", a, b, verb);
        return 1;
    }
    const struct rill_shm_port *src, *dst;
    if ((pa.flags & RILL_PORT_IS_OUTPUT) && (pb.flags & RILL_PORT_IS_INPUT)) {
        src = &pa;
        dst = &pb;
    } else if ((pb.flags & RILL_PORT_IS_OUTPUT) && (pa.flags & RILL_PORT_IS_INPUT)) {
        src = &pb;
        dst = &pa;
    } else {
        ctl_err("'%s' and '%s' are both %s; %s one output and one input",
                pa.name, pb.name, ctl_direction(&pa), verb);
        return 1;
    }
    if (pa.type != pb.type) {
        const char *ta = rill_port_type_string(pa.type), *tb = rill_port_type_string(pb.type);
        ctl_err("'%s' has type '%s' and '%s' has type '%s'; only ports of the same type "
                "can be connected",
                pa.name, ta ? ta : "unknown", pb.name, tb ? tb : "unknown");
        return 1;
    }
    int linked = rill_registry_connected(ctl->st, ida, idb);
    if (connect && linked) {
        ctl_err("'%s' and '%s' are already connected", src->name, dst->name);
        return 1;
    }
    if (!connect && !linked) {
        ctl_err("'%s' and '%s' are not connected", src->name, dst->name);
        return 1;
    }

    struct rill_msg m;
    memset(&m, 0, sizeof m);
    m.type = connect ? RILL_MSG_CONNECT : RILL_MSG_DISCONNECT;
    /* both names are shorter than RILL_PORT_NAME_SIZE: terminated copies */
    memcpy(m.u.connect.src, src->name, strlen(src->name) + 1);
    memcpy(m.u.connect.dst, dst->name, strlen(dst->name) + 1);
    int r = rill_client_request(ctl->client, &m);
    if (r < 0) {
        m.error[RILL_ERROR_SIZE - 1] = '\0';
        if (m.error[0])
            ctl_err("%s %s -> %s refused: %s", verb, src->name, dst->name, m.error);
        else
            ctl_err("%s %s -> %s failed: %s", verb, src->name, dst->name, strerror(-r));
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

/* Main thread: a command without arguments. Returns -1 to go on, else an exit status. */
static int ctl_no_args(const struct ctl_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (o == 'h') {
            ctl_usage(stdout, cmd, 1);
            return 0;
        }
        return ctl_usage_error(cmd, "%s: unknown option '%s'", cmd->name, ctl_bad_option(argv));
    }
    if (optind < argc)
        return ctl_usage_error(cmd, "%s takes no arguments, got '%s'", cmd->name, argv[optind]);
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
    "ports. The server's own client \"system\" is listed; control tools are not.\n";

/* Main thread. */
static int ctl_clients(struct ctl *ctl, int argc, char **argv)
{
    int r = ctl_no_args(&ctl_commands()[3], argc, argv);
    if (r >= 0)
        return r;
    if (ctl_open(ctl))
        return 1;
    static uint32_t ids[RILL_MAX_PORTS];
    int n = rill_registry_port_ids(ctl->st, ids, RILL_MAX_PORTS);
    if (n < 0)
        n = 0;
    if (n > (int)RILL_MAX_PORTS)
        n = (int)RILL_MAX_PORTS;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct rill_shm_client c;
        if (rill_registry_client(ctl->st, slot, &c) < 0 || (c.flags & RILL_CLIENT_CONTROL))
            continue;
        c.name[RILL_CLIENT_NAME_SIZE - 1] = '\0';
        unsigned np = ctl_client_ports(ctl, slot, ids, n);
        printf("%-24s pid %-8d %-8s %u port%s\n", c.name, (int)c.pid,
               c.active ? "active" : "inactive", np, np == 1 ? "" : "s");
    }
    return 0;
}

static const char status_help[] =
    "Print the server's name, driver, sample rate, period, DSP load (current and\n"
    "peak), xruns, cycles run, number of clients (control tools such as rillctl not\n"
    "counted) and realtime priority; the state of the device (running; recovering,\n"
    "lost or refused since a time: the cycle then runs on a timer) and its stalls,\n"
    "restarts, reopenings and losses.\n";

/* "running", or "lost since 12:03:04 (5.2 s): on the fallback clock". Main thread. */
static void print_device(const struct rill_shm_state *st)
{
    static const char *const what[] = {
        "running",
        "recovering (it stalled; being reopened)",
        "lost (gone; watched for)",
        "refused (back, but unable to run as before)",
    };
    /* relaxed: independent statistics (see ctl_status) */
    uint32_t state = atomic_load_explicit(&st->driver_state, memory_order_relaxed);
    uint64_t since = atomic_load_explicit(&st->driver_since_s, memory_order_relaxed);
    if (state >= sizeof(what) / sizeof(what[0])) {
        printf("device:       state %u\n", state);
    } else if (state == RILL_DRIVER_STATE_RUNNING) {
        printf("device:       %s\n", what[state]);
    } else {
        char when[32] = "?";
        time_t t = (time_t)since;
        struct tm tm;
        if (since && localtime_r(&t, &tm))
            strftime(when, sizeof when, "%H:%M:%S", &tm);
        long ago = since ? (long)(time(NULL) - t) : -1;
        printf("device:       %s since %s (%ld s); cycles on the fallback clock\n", what[state],
               when, ago);
    }
    /* the device's faults since start: poll timeouts recovered by a restart,
     * stream restarts (xruns included), reopenings, moves to the fallback
     * clock */
    printf("stalls:       %llu\n",
           (unsigned long long)atomic_load_explicit(&st->driver_stalls, memory_order_relaxed));
    printf("restarts:     %llu\n",
           (unsigned long long)atomic_load_explicit(&st->driver_restarts, memory_order_relaxed));
    printf("reopenings:   %llu\n",
           (unsigned long long)atomic_load_explicit(&st->driver_reopens, memory_order_relaxed));
    printf("losses:       %llu\n",
           (unsigned long long)atomic_load_explicit(&st->driver_losses, memory_order_relaxed));
}

/* Main thread. */
static int ctl_status(struct ctl *ctl, int argc, char **argv)
{
    int r = ctl_no_args(&ctl_commands()[4], argc, argv);
    if (r >= 0)
        return r;
    if (ctl_open(ctl))
        return 1;
    const struct rill_shm_state *st = ctl->st;
    char server[RILL_SERVER_NAME_SIZE], driver[sizeof st->driver_name];
    snprintf(server, sizeof server, "%.*s", (int)sizeof server - 1, st->server_name);
    snprintf(driver, sizeof driver, "%.*s", (int)sizeof driver - 1, st->driver_name);
    /* relaxed: independent statistics, each only needs to be a value the
     * realtime thread wrote; no other data is read through them */
    uint32_t load = atomic_load_explicit(&st->dsp_load_milli, memory_order_relaxed);
    uint32_t peak = atomic_load_explicit(&st->dsp_load_peak_milli, memory_order_relaxed);
    uint64_t xruns = atomic_load_explicit(&st->xruns, memory_order_relaxed);
    uint64_t cycles = atomic_load_explicit(&st->cycles, memory_order_relaxed);
    unsigned clients = 0;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS; slot++) {
        struct rill_shm_client c;
        if (rill_registry_client(st, slot, &c) == 0 && !(c.flags & RILL_CLIENT_CONTROL))
            clients++;
    }
    printf("server:       %s\n", server);
    printf("pid:          %d\n", (int)st->server_pid);
    printf("driver:       %s\n", driver);
    print_device(st);
    printf("sample rate:  %u Hz\n", st->rate);
    if (st->rate)
        printf("period:       %u frames (%.3f ms)\n", st->period,
               (double)st->period * 1000.0 / (double)st->rate);
    else
        printf("period:       %u frames\n", st->period);
    printf("dsp load:     %u.%u %% (peak %u.%u %%)\n", load / 1000, (load % 1000) / 100,
           peak / 1000, (peak % 1000) / 100);
    printf("xruns:        %llu\n", (unsigned long long)xruns);
    printf("cycles:       %llu\n", (unsigned long long)cycles);
    printf("clients:      %u (system included)\n", clients);
    if (st->rt_priority > 0)
        printf("realtime:     SCHED_FIFO priority %d (clients %d)\n", (int)st->rt_priority,
               (int)st->rt_priority - 1);
    else
        printf("realtime:     not realtime\n");
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
        ctl_err("cannot read a consistent transport position; try again");
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
        ctl_usage(stdout, cmd, 1);
        return 0;
    }
    if (argc < 2)
        return ctl_usage_error(cmd, "transport needs one of start, stop, locate FRAME, status");
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
            return ctl_usage_error(cmd, "transport locate needs a FRAME (0 to 4294967295)");
        char *end;
        errno = 0;
        unsigned long long f = strtoull(argv[2], &end, 10);
        if (!argv[2][0] || *end || errno || argv[2][0] == '-' || f > UINT32_MAX)
            return ctl_usage_error(cmd, "transport locate: '%s' is not a frame number (0 to "
                                        "4294967295)",
                                   argv[2]);
        m.u.transport.value = RILL_TRANSPORT_REQUEST_POS;
        m.u.transport.pos.frame = (uint32_t)f;
    } else if (strcmp(sub, "status") != 0) {
        return ctl_usage_error(cmd, "transport: unknown subcommand '%s' (start, stop, locate "
                                    "FRAME, status)",
                               sub);
    }
    if (argc > want_args)
        return ctl_usage_error(cmd, "transport %s: unexpected argument '%s'", sub,
                               argv[want_args]);
    if (ctl_open(ctl))
        return 1;
    if (strcmp(sub, "status") == 0)
        return ctl_transport_status(ctl);
    int r = rill_client_request(ctl->client, &m);
    if (r < 0) {
        m.error[RILL_ERROR_SIZE - 1] = '\0';
        ctl_err("transport %s refused: %s", sub, m.error[0] ? m.error : strerror(-r));
        return 1;
    }
    return 0;
}

/* ---- table and main */

static const struct ctl_command commands[] = {
    { "ports", "ports [-c] [-t] [-a] [PATTERN]", ports_help, ctl_ports },
    { "connect", "connect PORT PORT", connect_help, ctl_connect },
    { "disconnect", "disconnect PORT PORT", disconnect_help, ctl_disconnect },
    { "clients", "clients", clients_help, ctl_clients },
    { "status", "status", status_help, ctl_status },
    { "transport", "transport start|stop|locate FRAME|status", transport_help, ctl_transport },
    { NULL, NULL, NULL, NULL },
};

/* Main thread. */
static const struct ctl_command *ctl_commands(void)
{
    return commands;
}

/* Main thread. */
int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "server", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct ctl ctl = { 0 };
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if (rill_server_name_check(optarg) < 0) {
                ctl_err("bad server name '%s': use 1 to 63 of A-Z a-z 0-9 . _ -, not starting "
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
                ctl_err("option -s (--server) needs a server name");
            else
                ctl_err("unknown option '%s'", ctl_bad_option(argv));
            ctl_usage_short();
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        ctl_err("no command given");
        ctl_usage_short();
        return EXIT_USAGE;
    }
    const char *name = argv[optind];
    const struct ctl_command *cmd = NULL;
    for (const struct ctl_command *c = ctl_commands(); c->name; c++)
        if (strcmp(c->name, name) == 0)
            cmd = c;
    if (!cmd) {
        ctl_err("unknown command '%s'",
                name);
        ctl_usage_short();
        return EXIT_USAGE;
    }
    int r = cmd->run(&ctl, argc - optind, argv + optind);
    if (ctl.client)
        rill_client_close(ctl.client);
    return r;
}
