/* tools/rillctl_graph.c — `rillctl graph`: the graph as Graphviz DOT, or
 * rendered to SVG/PNG by Graphviz's `dot` when it is installed.
 *
 * The picture: one box per client with its input ports on the left and its
 * outputs on the right; the server's own client `system` is split in two,
 * its capture ports (outputs) at the left edge and its playback ports
 * (inputs) at the right edge. Audio connections are solid black lines, MIDI
 * connections dashed red ones; a feedback connection (one that closes a
 * cycle and is read one period late) is drawn dotted blue, labelled
 * "feedback", and does not constrain the layout. The DOT is stable: nodes in
 * client-slot order, ports and edges in id and creation order.
 *
 * Node names: `system_capture`, `system_playback`, and `c<SLOT>` for client
 * slot SLOT; port cells are `i<ID>` and `o<ID>` (port ids). Every edge carries
 * `class="audio"` or `class="midi"`, plus `class="... feedback"` when it is
 * feedback, so scripts can tell them apart without parsing colours.
 *
 * Main thread of rillctl only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/rillctl.h"

const char rill_ctl_graph_help[] =
    "Print the graph in Graphviz's DOT language: clients as boxes with their ports,\n"
    "system capture ports at the left edge and playback ports at the right, audio\n"
    "connections solid, MIDI connections dashed red, feedback connections (read one\n"
    "period late) dotted blue and labelled \"feedback\".\n"
    "\n"
    "  --dot         print DOT on standard output (the default)\n"
    "  -o FILE       write the DOT to FILE instead\n"
    "  --svg FILE    render the graph to an SVG file with Graphviz's dot\n"
    "  --png FILE    render it to a PNG file\n"
    "\n"
    "Rendering needs Graphviz (Debian: apt-get install graphviz).\n";

/* Main thread: s as the text of an HTML-like DOT label. */
static void put_html(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s < 0x20)
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

/* Main thread: the port's short name (after "client:"). */
static const char *short_name(const struct rill_shm_port *p)
{
    const char *c = strchr(p->name, ':');
    return c ? c + 1 : p->name;
}

/* Main thread: 1 when port p (of client slot) belongs to the DOT node we
 * draw for side: 0 all of the client, 1 system capture, 2 system playback. */
static int on_side(const struct rill_shm_port *p, int side)
{
    if (side == 1)
        return (p->flags & RILL_PORT_IS_OUTPUT) != 0;
    if (side == 2)
        return (p->flags & RILL_PORT_IS_INPUT) != 0;
    return 1;
}

/* Main thread: one client box. side as in on_side. */
static void put_node(FILE *f, const struct rill_shm_registry *reg, uint32_t slot, int side)
{
    const struct rill_shm_client *c = &reg->clients[slot];
    static uint32_t in[RILL_MAX_PORTS], out[RILL_MAX_PORTS];
    uint32_t nin = 0, nout = 0;
    for (uint32_t id = 0; id < RILL_MAX_PORTS; id++) {
        const struct rill_shm_port *p = &reg->ports[id];
        if (!p->in_use || p->client != slot || !on_side(p, side))
            continue;
        if (p->flags & RILL_PORT_IS_OUTPUT)
            out[nout++] = id;
        else
            in[nin++] = id;
    }
    if (side == 1)
        fputs("  system_capture", f);
    else if (side == 2)
        fputs("  system_playback", f);
    else
        fprintf(f, "  c%u", slot);
    fputs(" [shape=plaintext, label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
          "CELLPADDING=\"4\">\n    <TR><TD COLSPAN=\"2\" BGCOLOR=\"",
          f);
    fputs(side ? "lightblue" : (c->active ? "lightgrey" : "white"), f);
    fputs("\"><B>", f);
    char name[RILL_CLIENT_NAME_SIZE];
    snprintf(name, sizeof name, "%.*s", (int)sizeof name - 1, c->name);
    put_html(f, name);
    if (side == 1)
        fputs(" (capture)", f);
    else if (side == 2)
        fputs(" (playback)", f);
    else if (!c->active)
        fputs(" (inactive)", f);
    fputs("</B></TD></TR>\n", f);
    uint32_t rows = nin > nout ? nin : nout;
    if (rows == 0)
        fputs("    <TR><TD COLSPAN=\"2\"><I>no ports</I></TD></TR>\n", f);
    for (uint32_t r = 0; r < rows; r++) {
        fputs("    <TR>", f);
        for (int o = 0; o < 2; o++) {
            uint32_t n = o ? nout : nin;
            const uint32_t *ids = o ? out : in;
            if (r >= n) {
                fputs("<TD BORDER=\"0\"></TD>", f);
                continue;
            }
            const struct rill_shm_port *p = &reg->ports[ids[r]];
            fprintf(f, "<TD PORT=\"%c%u\" ALIGN=\"%s\"%s>", o ? 'o' : 'i', ids[r],
                    o ? "RIGHT" : "LEFT",
                    p->type == RILL_PORT_TYPE_MIDI ? " BGCOLOR=\"mistyrose\"" : "");
            char pn[RILL_PORT_NAME_SIZE];
            snprintf(pn, sizeof pn, "%.*s", (int)sizeof pn - 1, short_name(p));
            put_html(f, pn);
            fputs("</TD>", f);
        }
        fputs("</TR>\n", f);
    }
    fputs("  </TABLE>>];\n", f);
}

/* Main thread: the DOT node name of port p's box into buf. */
static void node_of(const struct rill_shm_port *p, char *buf, size_t size)
{
    if (p->client == 0)
        snprintf(buf, size, "%s", (p->flags & RILL_PORT_IS_OUTPUT) ? "system_capture"
                                                                  : "system_playback");
    else
        snprintf(buf, size, "c%u", p->client);
}

/* Main thread: the whole graph as DOT on f. */
static void put_graph(FILE *f, const struct rill_shm_registry *reg, const char *server)
{
    fputs("digraph rill {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\", label=\"", f);
    for (const char *s = server; *s; s++)
        if (*s != '"' && *s != '\\')
            fputc(*s, f);
    fputs("\", labelloc=t];\n  node [fontname=\"Helvetica\", fontsize=10];\n"
          "  edge [arrowsize=0.7];\n",
          f);
    /* system at the edges, every other client between them */
    if (reg->clients[0].in_use) {
        fputs("  { rank=source;\n", f);
        put_node(f, reg, 0, 1);
        fputs("  }\n  { rank=sink;\n", f);
        put_node(f, reg, 0, 2);
        fputs("  }\n", f);
    }
    for (uint32_t slot = 1; slot < RILL_MAX_CLIENTS; slot++) {
        const struct rill_shm_client *c = &reg->clients[slot];
        if (!c->in_use || (c->flags & RILL_CLIENT_CONTROL))
            continue;
        put_node(f, reg, slot, 0);
    }
    /* edges in creation order */
    static uint32_t order[RILL_MAX_CONNECTIONS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < RILL_MAX_CONNECTIONS; i++)
        if (reg->conns[i].in_use)
            order[n++] = i;
    for (uint32_t a = 1; a < n; a++) { /* insertion sort by serial: n is small */
        uint32_t k = order[a], b = a;
        while (b > 0 && reg->conns[order[b - 1]].serial > reg->conns[k].serial) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = k;
    }
    for (uint32_t e = 0; e < n; e++) {
        const struct rill_shm_conn *cn = &reg->conns[order[e]];
        if (cn->src >= RILL_MAX_PORTS || cn->dst >= RILL_MAX_PORTS)
            continue;
        const struct rill_shm_port *s = &reg->ports[cn->src], *d = &reg->ports[cn->dst];
        if (!s->in_use || !d->in_use || s->client >= RILL_MAX_CLIENTS ||
            d->client >= RILL_MAX_CLIENTS)
            continue;
        char sn[16], dn[16];
        node_of(s, sn, sizeof sn);
        node_of(d, dn, sizeof dn);
        int midi = s->type == RILL_PORT_TYPE_MIDI;
        fprintf(f, "  %s:o%u:e -> %s:i%u:w [class=\"%s%s\"", sn, cn->src, dn, cn->dst,
                midi ? "midi" : "audio", cn->feedback ? " feedback" : "");
        if (cn->feedback)
            fputs(", style=dotted, color=blue, fontcolor=blue, label=\"feedback\", "
                  "constraint=false",
                  f);
        else if (midi)
            fputs(", style=dashed, color=red3", f);
        fputs("];\n", f);
    }
    fputs("}\n", f);
}

/* Main thread: run `dot -TFORMAT -o out` with the DOT in dotfile. Returns 0
 * or 1 (message printed). */
static int render(const char *dotfile, const char *format, const char *out)
{
    char t[16];
    snprintf(t, sizeof t, "-T%s", format);
    pid_t pid = fork();
    if (pid < 0) {
        rill_ctl_err("cannot start Graphviz's dot: %s", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        execlp("dot", "dot", t, "-o", out, dotfile, (char *)NULL);
        if (errno == ENOENT)
            fprintf(stderr, "rillctl: rendering needs Graphviz's dot, which is not installed "
                            "(Debian: apt-get install graphviz); rillctl graph --dot prints "
                            "the DOT without it\n");
        else
            fprintf(stderr, "rillctl: cannot run dot: %s\n", strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 127)
            rill_ctl_err("Graphviz's dot failed to write %s", out);
        return 1;
    }
    return 0;
}

/* Main thread. */
int rill_ctl_graph(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "dot", no_argument, NULL, 'D' },
        { "svg", required_argument, NULL, 'S' },
        { "png", required_argument, NULL, 'P' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct ctl_command *cmd = rill_ctl_command("graph");
    const char *svg = NULL, *png = NULL, *outfile = NULL;
    int o;
    optind = 0; /* 0: glibc re-reads the optstring, "+" included */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (o) {
        case 'D': break;
        case 'S': svg = optarg; break;
        case 'P': png = optarg; break;
        case 'o': outfile = optarg; break;
        case 'h': rill_ctl_usage(stdout, cmd, 1); return 0;
        default:
            if (optopt == 'o' || optopt == 'S' || optopt == 'P')
                return rill_ctl_usage_error(cmd, "graph: option '%s' needs a file name",
                                            rill_ctl_bad_option(argv));
            return rill_ctl_usage_error(cmd, "graph: unknown option '%s'",
                                        rill_ctl_bad_option(argv));
        }
    }
    if (optind < argc)
        return rill_ctl_usage_error(cmd, "graph takes no arguments, got '%s'", argv[optind]);
    if (rill_ctl_open(ctl))
        return 1;

    struct rill_shm_registry *reg = malloc(sizeof *reg);
    if (!reg) {
        rill_ctl_err("out of memory");
        return 1;
    }
    int rc = 1;
    char tmp[] = "/tmp/rillctl-graph-XXXXXX";
    int tmpfd = -1;
    FILE *f = NULL;
    int r = rill_registry_snapshot(ctl->st, reg);
    if (r < 0) {
        rill_ctl_err("the graph kept changing while it was read; try again");
        goto out;
    }
    char server[RILL_SERVER_NAME_SIZE];
    snprintf(server, sizeof server, "%.*s", (int)sizeof server - 1, ctl->st->server_name);

    if (!svg && !png) {
        f = outfile ? fopen(outfile, "w") : stdout;
        if (!f) {
            rill_ctl_err("cannot write %s: %s", outfile, strerror(errno));
            goto out;
        }
        put_graph(f, reg, server);
        if (fflush(f) != 0 || ferror(f)) {
            rill_ctl_err("cannot write %s: %s", outfile ? outfile : "the output",
                         strerror(errno));
            goto out;
        }
        rc = 0;
        goto out;
    }
    tmpfd = mkstemp(tmp);
    if (tmpfd < 0 || !(f = fdopen(tmpfd, "w"))) {
        rill_ctl_err("cannot create a temporary file: %s", strerror(errno));
        goto out;
    }
    tmpfd = -1; /* f owns it now */
    put_graph(f, reg, server);
    if (fclose(f) != 0) {
        f = NULL;
        rill_ctl_err("cannot write a temporary file: %s", strerror(errno));
        goto out_unlink;
    }
    f = NULL;
    rc = 0;
    if (svg && render(tmp, "svg", svg))
        rc = 1;
    if (png && render(tmp, "png", png))
        rc = 1;
    if (outfile && rc == 0) {
        /* the DOT as well, when asked for */
        FILE *d = fopen(outfile, "w");
        if (!d) {
            rill_ctl_err("cannot write %s: %s", outfile, strerror(errno));
            rc = 1;
        } else {
            put_graph(d, reg, server);
            if (fclose(d) != 0)
                rc = 1;
        }
    }
out_unlink:
    unlink(tmp);
out:
    if (f && f != stdout)
        fclose(f);
    if (tmpfd >= 0)
        close(tmpfd);
    free(reg);
    return rc;
}
