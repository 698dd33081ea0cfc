/* internal/netmanager_args.c — the netmanager's arguments, as jackd2's
 * netmanager takes them (see internal/netmanager.h, nm_config_parse). Any
 * thread; no state.
 */
#include "internal/netmanager.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "netmanager arguments (jackd2's): -a/--multicast-ip ADDR (default 225.3.19.154), "
    "-p/--udp-net-port PORT (default 19000), -c/--auto-connect, -s/--auto-save, -h/--help";

static int parse_port(const char *v, unsigned *out, char *err, size_t errsize)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 65535) {
        snprintf(err, errsize, "-p '%s': a UDP port is a number from 1 to 65535", v);
        return -EINVAL;
    }
    *out = (unsigned)n;
    return 0;
}

static int parse_address(const char *v, struct nm_config *cfg, char *err, size_t errsize)
{
    struct in_addr a;
    if (strlen(v) >= sizeof cfg->address || inet_pton(AF_INET, v, &a) != 1) {
        snprintf(err, errsize, "-a '%s' is not an IPv4 address (the multicast group, default "
                 "%s, or an address of this host)", v, RILL_NET_DEFAULT_ADDRESS);
        return -EINVAL;
    }
    snprintf(cfg->address, sizeof cfg->address, "%s", v);
    return 0;
}

int nm_config_parse(const char *args, struct nm_config *cfg, char *err, size_t errsize)
{
    char buf[1024];
    char *tok[64];
    unsigned n = 0;
    int r;
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->address, sizeof cfg->address, "%s", RILL_NET_DEFAULT_ADDRESS);
    cfg->port = RILL_NET_DEFAULT_PORT;
    const char *env = getenv("JACK_NETJACK_MULTICAST");
    if (env && *env && parse_address(env, cfg, err, errsize) < 0) {
        snprintf(err, errsize, "$JACK_NETJACK_MULTICAST '%s' is not an IPv4 address", env);
        return -EINVAL;
    }
    env = getenv("JACK_NETJACK_PORT");
    if (env && *env && parse_port(env, &cfg->port, err, errsize) < 0) {
        snprintf(err, errsize, "$JACK_NETJACK_PORT '%s' is not a UDP port (1..65535)", env);
        return -EINVAL;
    }
    if (!args)
        return 0;
    if (strlen(args) >= sizeof buf) {
        snprintf(err, errsize, "the arguments are longer than %zu bytes", sizeof buf - 1);
        return -EINVAL;
    }
    snprintf(buf, sizeof buf, "%s", args);
    for (char *save = NULL, *t = strtok_r(buf, " \t\n,", &save); t;
         t = strtok_r(NULL, " \t\n,", &save)) {
        if (n == 64) {
            snprintf(err, errsize, "too many arguments; %s", usage);
            return -EINVAL;
        }
        tok[n++] = t;
    }
    for (unsigned i = 0; i < n; i++) {
        char *t = tok[i], *val = NULL;
        char opt = 0;
        if (t[0] == '-' && t[1] == '-') {
            char *eq = strchr(t, '=');
            if (eq)
                *eq = 0, val = eq + 1;
            const char *longs[] = { "multicast-ip", "udp-net-port", "auto-connect", "auto-save",
                                    "help" };
            const char shorts[] = { 'a', 'p', 'c', 's', 'h' };
            for (unsigned k = 0; k < 5 && !opt; k++)
                if (strcmp(t + 2, longs[k]) == 0)
                    opt = shorts[k];
        } else if (t[0] == '-' && t[1]) {
            opt = t[1];
            if (t[2])
                val = t + 2;
        }
        switch (opt) {
        case 'a':
        case 'p':
            if (!val) {
                if (i + 1 == n) {
                    snprintf(err, errsize, "%s needs a value; %s", t, usage);
                    return -EINVAL;
                }
                val = tok[++i];
            }
            r = opt == 'a' ? parse_address(val, cfg, err, errsize) :
                             parse_port(val, &cfg->port, err, errsize);
            if (r < 0)
                return r;
            break;
        case 'c':
            cfg->auto_connect = 1;
            break;
        case 's':
            cfg->auto_save = 1;
            break;
        case 'h':
            snprintf(err, errsize, "%s", usage);
            return 1;
        default:
            snprintf(err, errsize, "unknown argument '%s'; %s", t, usage);
            return -EINVAL;
        }
        if (val && (opt == 'c' || opt == 's')) {
            snprintf(err, errsize, "%s takes no value; %s", t, usage);
            return -EINVAL;
        }
    }
    return 0;
}
