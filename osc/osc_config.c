/* osc/osc_config.c — rilld's OSC options (osc/osc_config.h). Main thread. */
#include "osc/osc_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t size, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Main thread. */
void rill_osc_config_init(struct rill_osc_config *c)
{
    memset(c, 0, sizeof(*c));
    c->udp_addr = 0x7f000001u;
    c->rate = RILL_OSC_DEFAULT_RATE;
    c->lease_min_s = 1;
}

/* Any thread. */
int rill_osc_parse_ipv4(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return -EINVAL;
            i++;
        }
        size_t digits = 0;
        uint32_t n = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 3) {
            n = n * 10 + (uint32_t)(s[i] - '0');
            i++;
            digits++;
        }
        if (!digits || n > 255)
            return -EINVAL;
        v = (v << 8) | n;
    }
    if (i != len)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_u32(const char *v, unsigned long max, uint32_t *out)
{
    char *end;
    if (!v || *v < '0' || *v > '9')
        return -EINVAL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n > max)
        return -EINVAL;
    *out = (uint32_t)n;
    return 0;
}

/* Main thread. */
int rill_osc_option(struct rill_osc_config *c, const char *name, const char *value, char *err,
                    size_t errsize)
{
    uint32_t n;
    if (strcmp(name, "osc") == 0) {
        c->unix_on = 1;
        return 0;
    }
    if (strcmp(name, "osc-udp") == 0) {
        /* PORT or ADDR:PORT */
        const char *colon = strrchr(value, ':');
        const char *port = colon ? colon + 1 : value;
        uint32_t addr = 0x7f000001u;
        if (colon && rill_osc_parse_ipv4(value, (size_t)(colon - value), &addr) < 0)
            return fail(err, errsize,
                        "--osc-udp '%s': the address must be a numeric IPv4 address such as "
                        "127.0.0.1 (use PORT or ADDR:PORT)",
                        value);
        if (parse_u32(port, 65535, &n) < 0)
            return fail(err, errsize,
                        "--osc-udp '%s': give a UDP port from 0 to 65535 (0: any free port), "
                        "optionally as ADDR:PORT",
                        value);
        c->udp_on = 1;
        c->udp_addr = addr;
        c->udp_port = (uint16_t)n;
        return 0;
    }
    if (strcmp(name, "osc-allow") == 0) {
        const char *slash = strchr(value, '/');
        uint32_t addr, bits = 32;
        size_t alen = slash ? (size_t)(slash - value) : strlen(value);
        if (rill_osc_parse_ipv4(value, alen, &addr) < 0 ||
            (slash && parse_u32(slash + 1, 32, &bits) < 0))
            return fail(err, errsize,
                        "--osc-allow '%s': give an IPv4 network as A.B.C.D/BITS (BITS 0 to 32), "
                        "e.g. 192.168.1.0/24",
                        value);
        if (c->nallow >= RILL_OSC_MAX_ALLOW)
            return fail(err, errsize, "--osc-allow: at most %u networks", RILL_OSC_MAX_ALLOW);
        uint32_t mask = bits ? 0xffffffffu << (32 - bits) : 0;
        c->allow[c->nallow].mask = mask;
        c->allow[c->nallow].net = addr & mask;
        c->nallow++;
        return 0;
    }
    if (strcmp(name, "osc-rate") == 0) {
        if (parse_u32(value, 1000000, &n) < 0)
            return fail(err, errsize,
                        "--osc-rate '%s': give requests per second per source, 0 (no limit) "
                        "to 1000000",
                        value);
        c->rate = n;
        return 0;
    }
    return fail(err, errsize, "unknown OSC option '--%s'", name);
}

/* Any thread. */
int rill_osc_addr_allowed(const struct rill_osc_config *c, uint32_t addr)
{
    if ((addr >> 24) == 127)
        return 1;
    for (unsigned i = 0; i < c->nallow; i++)
        if ((addr & c->allow[i].mask) == c->allow[i].net)
            return 1;
    return 0;
}

/* Main thread. */
int rill_osc_config_check(const struct rill_osc_config *c, char *err, size_t errsize)
{
    if (c->udp_on && (c->udp_addr >> 24) != 127 && c->nallow == 0)
        return fail(err, errsize,
                    "--osc-udp: listening on %u.%u.%u.%u (not loopback) needs --osc-allow "
                    "CIDR naming the networks that may send requests (OSC has no "
                    "authentication)",
                    c->udp_addr >> 24, (c->udp_addr >> 16) & 255, (c->udp_addr >> 8) & 255,
                    c->udp_addr & 255);
    return 0;
}
