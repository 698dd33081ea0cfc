/* engine/options.c — rilld's command line (server options, then the driver's). */
#include "engine/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config.h"
#include "rill/limits.h"
#include "rill/paths.h"

#define DEFAULT_TIMEOUT_MS 500u
#define DEFAULT_PRIORITY 20
#define DEFAULT_PORT_MAX 2048u

/* Main thread. */
void rill_options_usage(FILE *out)
{
    fprintf(out,
            "usage: rilld [server options] -d DRIVER [driver options]\n"
            "       rilld --from-config [-n NAME]\n"
            "\n"
            "--from-config: the command line of ~/.config/rill/rilld.conf (else\n"
            "/etc/rill/rilld.conf, else the dummy or alsa driver), without -T, as the\n"
            "systemd user unit rilld.service runs it.\n"
            "\n"
            "Server options:\n"
            "  -n, --name NAME             server name (default: $JACK_DEFAULT_SERVER, else \"default\")\n"
            "  -t, --timeout MS            remove a client whose cycle has not finished for MS ms\n"
            "                              (10..60000, default %u)\n"
            "  -R, --realtime              run the engine thread with SCHED_FIFO (default)\n"
            "  -r, --no-realtime           run it as a normal thread\n"
            "  -P, --realtime-priority N   its SCHED_FIFO priority, 1..98 (default %d; clients get N-1)\n"
            "  -p, --port-max N            port slots, 16..%u (default %u)\n"
            "  -T, --temporary             exit when the last client leaves (as a server that\n"
            "                              libjack started on demand does)\n"
            "  -E, --exit-on-device-loss   stop when the sound card goes away or cannot be\n"
            "                              recovered, as jackd does (default: run on a timer\n"
            "                              with every client until the card comes back)\n"
            "  -l, --load NAME[:ARGS]      load internal client NAME (a module in\n"
            "                              $RILL_INTERNAL_DIR or the internal-client directory,\n"
            "                              or an absolute path) with init string ARGS;\n"
            "                              repeatable, e.g. -l rill-tone:freq=440,level=-12\n"
            "  -a, --affinity MODE         auto: keep each serial stretch of the graph on one CPU\n"
            "                              and spread the parallel branches that do real work\n"
            "                              (default); off: let the scheduler move the realtime\n"
            "                              threads\n"
            "      --midi none|seq|raw|seq,raw|[seq,]raw=DEVICE\n"
            "                              the ALSA MIDI bridges: seq gives every ALSA sequencer\n"
            "                              port a MIDI port of client alsa_midi (default: seq when\n"
            "                              the sequencer exists, else none); raw gives every\n"
            "                              ALSA rawmidi device (hw:C,D) a MIDI port of client\n"
            "                              alsa_rawmidi; seq,raw both, a device bridged raw is\n"
            "                              left out of the sequencer bridge\n"
            "      --midi-raw DEVICE       bridge only this rawmidi device raw (hw:CARD,DEVICE\n"
            "                              or hw:CARD,DEVICE,SUBDEVICE; CARD a number or the\n"
            "                              card's id, e.g. hw:VirMIDI,0); repeatable; the\n"
            "                              other devices stay with the sequencer bridge. Also\n"
            "                              --midi seq,raw=DEVICE (raw=DEVICE goes last)\n"
            "      --midi-sysex BYTES      longest sysex the bridge carries (2..1048576, default\n"
            "                              65536)\n"
            "      --osc                   OSC control on a Unix datagram socket beside the\n"
            "                              control socket ($XDG_RUNTIME_DIR/rill/NAME.osc, 0600)\n"
            "      --osc-udp [ADDR:]PORT   OSC control over UDP on 127.0.0.1:PORT (0: any free\n"
            "                              port); an ADDR outside loopback needs --osc-allow\n"
            "      --osc-allow CIDR        a network that may send OSC requests and receive\n"
            "                              replies, e.g. 192.168.1.0/24 (repeatable, up to %u)\n"
            "      --osc-rate N            OSC requests a second from one source, 0: no limit\n"
            "                              (default %u). OSC is off unless --osc or --osc-udp\n"
            "                              is given; the URLs go to NAME.osc-url (doc/osc.md)\n"
            "  -v, --verbose               log every graph change\n"
            "  -m, --no-mlock              do not lock rilld's memory (default: locked when\n"
            "                              realtime)\n"
            "  -a, --autoconnect MODE      jackd's self-connect mode, one letter: ' ' allow\n"
            "                              (default), e ignore / E refuse a client's requests to\n"
            "                              connect its own ports to another client's, a ignore /\n"
            "                              A refuse all its requests that involve its own ports\n"
            "  -u, --unlock, -S, --sync, -c, --clocksource h|s|c\n"
            "                              jackd's, accepted for front ends such as qjackctl:\n"
            "                              rill never locks client libraries, always runs\n"
            "                              synchronously and times cycles with CLOCK_MONOTONIC\n"
            "  -V, --version               rill's version and the libjack ABI it builds\n"
            "  -h, --help                  this help; rilld -d DRIVER --help lists the driver's options\n"
            "\n"
            "Drivers:\n",
            DEFAULT_TIMEOUT_MS, DEFAULT_PRIORITY, RILL_MAX_PORTS, DEFAULT_PORT_MAX,
            RILL_OSC_MAX_ALLOW, RILL_OSC_DEFAULT_RATE);
    for (size_t i = 0; rill_drivers[i]; i++)
        fprintf(out, "  %-10s %s\n", rill_drivers[i]->name, rill_drivers[i]->description);
    fprintf(out, "\nExample: rilld -d dummy -r 48000 -p 256\n");
}

/* Strict decimal in [min, max]. */
static int parse_uint(const char *opt, const char *v, unsigned long min, unsigned long max,
                      uint32_t *out, char *err, size_t errsize)
{
    char *end = NULL;
    if (!v || !*v || *v < '0' || *v > '9')
        return rill_errf(err, errsize, -EINVAL, "%s needs a number from %lu to %lu, not '%s'", opt,
                         min, max, v ? v : "");
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n < min || n > max)
        return rill_errf(err, errsize, -EINVAL,
                         "%s %s is out of range: use a number from %lu to %lu", opt, v, min, max);
    *out = (uint32_t)n;
    return 0;
}

/* Split argv[*i] into option and value. Returns the value or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *arg, size_t optlen)
{
    if (arg[1] != '-' && arg[2] != '\0')
        return arg + 2;                 /* -n NAME glued: -nNAME */
    if (arg[1] == '-' && arg[optlen] == '=')
        return arg + optlen + 1;        /* --name=NAME */
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

struct server_opt {
    char s;
    const char *l;
    int has_value;
};

static const struct server_opt server_opts[] = {
    { 'n', "name", 1 },          { 't', "timeout", 1 },           { 'R', "realtime", 0 },
    { 'r', "no-realtime", 0 },   { 'P', "realtime-priority", 1 }, { 'p', "port-max", 1 },
    { 1, "osc", 0 },             { 2, "osc-udp", 1 },             { 3, "osc-allow", 1 },
    { 4, "osc-rate", 1 },
    { 'v', "verbose", 0 },       { 'a', "affinity", 1 },          { 'T', "temporary", 0 },
    { 'l', "load", 1 },          { 'h', "help", 0 },              { 'd', "driver", 1 },
    { 'm', "no-mlock", 0 },      { 'a', "autoconnect", 1 },       { 'u', "unlock", 0 },
    { 'S', "sync", 0 },          { 'c', "clocksource", 1 },       { 'V', "version", 0 },
    { 5, "midi", 1 },            { 6, "midi-sysex", 1 },          { 7, "midi-raw", 1 },
    { 'E', "exit-on-device-loss", 0 },
};

static const struct server_opt *find_opt(const char *arg, size_t *optlen)
{
    for (size_t k = 0; k < sizeof(server_opts) / sizeof(server_opts[0]); k++) {
        const struct server_opt *o = &server_opts[k];
        if (arg[0] == '-' && arg[1] == o->s && (arg[2] == '\0' || o->has_value) &&
            (o->s != 'a' || strcmp(o->l, "affinity") == 0)) {
            *optlen = 2;
            return o;
        }
        size_t l = strlen(o->l);
        if (arg[0] == '-' && arg[1] == '-' && strncmp(arg + 2, o->l, l) == 0 &&
            (arg[2 + l] == '\0' || (o->has_value && arg[2 + l] == '='))) {
            *optlen = l + 2;
            return o;
        }
    }
    return NULL;
}

/* Any thread. */
int rill_options_self_connect(char mode, int own_a, int own_b)
{
    int own = own_a + own_b;
    if (mode == '\0' || mode == ' ' || own == 0)
        return 0;             /* not a self-connection, or no restriction */
    if (own == 2 && (mode == 'e' || mode == 'E'))
        return 0;             /* between its own ports: only 'a'/'A' restrict that */
    return (mode == 'E' || mode == 'A') ? -EPERM : 1;
}

/* jackd's ALSA driver option -X seq|raw (qjackctl's MIDI Driver passes
 * -Xseq): rill's own bridges do that job, so it means --midi seq / raw.
 * -X none (jackd's default) changes nothing. A --midi without that bridge
 * is a contradiction (--midi seq,raw goes with either). Main thread. */
static int midi_driver_option(struct rill_options *o, char *err, size_t errsize)
{
    int k = rill_driver_param_index(o->driver, "midi-driver");
    if (k < 0 || !o->driver_cfg.v[k].set || o->driver_cfg.v[k].u == 0)
        return 0;
    const char *x = o->driver_cfg.v[k].u == 1 ? "seq" : "raw";
    unsigned want = o->driver_cfg.v[k].u == 1 ? RILL_MIDI_SEQ : RILL_MIDI_RAW;
    if (o->midi_explicit && !(o->midi & want))
        return rill_errf(err, errsize, -EINVAL,
                         "-X %s and --midi contradict each other: give one of them (-X %s is "
                         "rill's --midi %s)",
                         x, x, x);
    if (!o->midi_explicit)
        o->midi = want;
    o->midi_explicit = 1;
    return 0;
}

/* --midi's value: none, seq, raw, seq,raw (raw,seq), or [seq,]raw=DEVICE
 * (a device for the raw bridge; DEVICE holds commas, so it goes last).
 * Main thread. */
static int midi_option(struct rill_options *o, const char *v, char *err, size_t errsize)
{
    static const char use[] = "use none, seq, raw, seq,raw, raw=hw:CARD,DEVICE or seq,raw=hw:CARD,DEVICE";
    o->midi_explicit = 1;
    const char *eq = strstr(v, "raw=");
    if (eq) {
        size_t pre = (size_t)(eq - v);
        if (pre != 0 && !(pre == 4 && strncmp(v, "seq,", 4) == 0))
            return rill_errf(err, errsize, -EINVAL,
                             "--midi '%s': raw=DEVICE comes alone or after seq, (it holds "
                             "commas, so it goes last): %s",
                             v, use);
        int r = rill_midi_rawdevs_add(&o->midi_raw, eq + 4, "--midi raw=DEVICE", err, errsize);
        if (r < 0)
            return r;
        o->midi = pre ? RILL_MIDI_SEQ | RILL_MIDI_RAW : RILL_MIDI_RAW;
        return 0;
    }
    if (strcmp(v, "none") == 0)
        o->midi = 0;
    else if (strcmp(v, "seq") == 0)
        o->midi = RILL_MIDI_SEQ;
    else if (strcmp(v, "raw") == 0)
        o->midi = RILL_MIDI_RAW;
    else if (strcmp(v, "seq,raw") == 0 || strcmp(v, "raw,seq") == 0)
        o->midi = RILL_MIDI_SEQ | RILL_MIDI_RAW;
    else
        return rill_errf(err, errsize, -EINVAL, "--midi '%s': %s", v, use);
    return 0;
}

/* After every option: devices named for the raw bridge (--midi-raw,
 * --midi raw=) turn it on beside whatever --midi chose, except with --midi
 * none, which they contradict. Main thread. */
static int midi_raw_finish(struct rill_options *o, char *err, size_t errsize)
{
    if (!o->midi_raw.n)
        return 0;
    if (o->midi_explicit && o->midi == 0) {
        char first[64];
        const struct rill_midi_rawdevs one = { 1, { o->midi_raw.d[0] } };
        rill_midi_rawdevs_format(&one, first, sizeof(first));
        return rill_errf(err, errsize, -EINVAL,
                         "--midi none and --midi-raw %s contradict each other: leave out "
                         "--midi none (or use --midi raw=%s for the raw bridge alone)",
                         first, first);
    }
    o->midi |= RILL_MIDI_RAW;
    return 0;
}

/* Main thread. */
int rill_options_parse(int argc, char **argv, struct rill_options *o, char *err, size_t errsize,
                       FILE *out)
{
    memset(o, 0, sizeof(*o));
    o->name = rill_server_name(NULL);
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->realtime = 1;
    o->priority = DEFAULT_PRIORITY;
    o->port_max = DEFAULT_PORT_MAX;
    o->affinity = 1;
    o->midi = RILL_MIDI_SEQ;
    rill_osc_config_init(&o->osc);

    int i;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        size_t optlen = 0;
        const struct server_opt *opt = find_opt(arg, &optlen);
        if (!opt)
            return rill_errf(err, errsize, -EINVAL,
                             "unknown server option '%s' (see rilld --help; driver options come "
                             "after -d DRIVER)",
                             arg);
        const char *v = NULL;
        if (opt->has_value) {
            v = option_value(argc, argv, &i, arg, optlen);
            if (!v)
                return rill_errf(err, errsize, -EINVAL, "%s needs a value (see rilld --help)", arg);
        }
        uint32_t n;
        int r;
        switch (opt->s) {
        case 1: case 2: case 3: case 4: /* --osc... (osc/osc_config.c) */
            if ((r = rill_osc_option(&o->osc, opt->l, v, err, errsize)) < 0)
                return r;
            break;
        case 'h':
            rill_options_usage(out);
            return 1;
        case 'n':
            if (rill_server_name_check(v) < 0)
                return rill_errf(err, errsize, -EINVAL,
                                 "server name '%s' is not allowed: use 1 to 63 letters, digits, "
                                 "'.', '_' or '-', not starting with '.'",
                                 v);
            o->name = v;
            break;
        case 't':
            if ((r = parse_uint("--timeout", v, 10, 60000, &o->timeout_ms, err, errsize)) < 0)
                return r;
            break;
        case 'R':
            o->realtime = 1;
            break;
        case 'r':
            o->realtime = 0;
            break;
        case 'P':
            if ((r = parse_uint("--realtime-priority", v, 1, 98, &n, err, errsize)) < 0)
                return r;
            o->priority = (int)n;
            break;
        case 'p':
            if ((r = parse_uint("--port-max", v, 16, RILL_MAX_PORTS, &o->port_max, err, errsize)) < 0)
                return r;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'a': {
            /* -a is rill's --affinity (auto, off) and jackd's --autoconnect
             * (one letter); the value tells which */
            int is_long = arg[1] == '-';
            int may_aff = !is_long || strcmp(opt->l, "affinity") == 0;
            int may_self = !is_long || strcmp(opt->l, "autoconnect") == 0;
            if (may_aff && strcmp(v, "auto") == 0)
                o->affinity = 1;
            else if (may_aff && strcmp(v, "off") == 0)
                o->affinity = 0;
            else if (may_self && strlen(v) == 1 && strchr(" eEaA", v[0]))
                o->self_connect = v[0];
            else if (!may_aff)
                return rill_errf(err, errsize, -EINVAL,
                                 "--autoconnect '%s': use one letter: ' ' (allow), e or E (ignore "
                                 "or refuse connecting own ports to another client's), a or A "
                                 "(ignore or refuse every self-connection)",
                                 v);
            else if (!may_self)
                return rill_errf(err, errsize, -EINVAL, "--affinity '%s': use auto or off", v);
            else
                return rill_errf(err, errsize, -EINVAL,
                                 "-a '%s': use auto or off (CPU affinity), or one of jackd's "
                                 "self-connect modes ' ', e, E, a, A",
                                 v);
            break;
        }
        case 'm':
            o->no_mlock = 1;
            break;
        case 'u':
        case 'S':
            break; /* see the help text: nothing to do in rill */
        case 'c':
            if (strcmp(v, "h") && strcmp(v, "s") && strcmp(v, "c") && strcmp(v, "hpet") &&
                strcmp(v, "system") && strcmp(v, "cycle"))
                return rill_errf(err, errsize, -EINVAL,
                                 "--clocksource '%s': use h (hpet), s (system) or c (cycle); rill "
                                 "times cycles with CLOCK_MONOTONIC whichever is given",
                                 v);
            break;
        case 'V':
            fprintf(out, "rilld %s\n", RILL_VERSION_STRING);
            return 1;
        case 'T':
            o->temporary = 1;
            break;
        case 'E':
            o->exit_on_loss = 1;
            break;
        case 'l':
            if (!v[0] || v[0] == ':')
                return rill_errf(
                    err, errsize, -EINVAL,
                    "--load needs NAME[:ARGS], a module name or absolute path, not '%s'", v);
            if (o->nload >= RILL_OPTIONS_MAX_LOAD)
                return rill_errf(err, errsize, -EINVAL,
                                 "--load: at most %u internal clients at start",
                                 RILL_OPTIONS_MAX_LOAD);
            o->load[o->nload++] = v;
            break;
        case 5: /* --midi */
            if ((r = midi_option(o, v, err, errsize)) < 0)
                return r;
            break;
        case 7: /* --midi-raw DEVICE */
            if ((r = rill_midi_rawdevs_add(&o->midi_raw, v, "--midi-raw", err, errsize)) < 0)
                return r;
            break;
        case 6: /* --midi-sysex */
            if ((r = parse_uint("--midi-sysex", v, 2, 1048576, &n, err, errsize)) < 0)
                return r;
            o->midi_sysex = n;
            break;
        case 'd':
            o->driver = rill_driver_find(v);
            if (!o->driver) {
                char names[256] = "";
                for (size_t k = 0; rill_drivers[k]; k++) {
                    strncat(names, k ? ", " : "", sizeof(names) - strlen(names) - 1);
                    strncat(names, rill_drivers[k]->name, sizeof(names) - strlen(names) - 1);
                }
                return rill_errf(err, errsize, -EINVAL, "unknown driver '%s': the drivers are %s",
                                 v, names);
            }
            r = rill_driver_params_parse(o->driver, argc - i - 1, argv + i + 1, &o->driver_cfg,
                                         err, errsize, out);
            if (r == 0)
                r = midi_driver_option(o, err, errsize);
            if (r == 0)
                r = midi_raw_finish(o, err, errsize);
            if (r == 0)
                r = rill_osc_config_check(&o->osc, err, errsize);
            return r;
        }
    }
    return rill_errf(err, errsize, -EINVAL,
                     "no driver given: add -d DRIVER, for example: rilld -d dummy");
}
