/* osc/osc_config.h — rilld's OSC options (--osc, --osc-udp, --osc-allow,
 * --osc-rate), parsed by engine/options.c through rill_osc_option().
 *
 * Thread: main thread.
 */
#ifndef RILL_OSC_CONFIG_H
#define RILL_OSC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define RILL_OSC_MAX_ALLOW 16u
#define RILL_OSC_DEFAULT_RATE 1000u /* requests per second per source */

struct rill_osc_cidr {
    uint32_t net;   /* host byte order, already masked */
    uint32_t mask;  /* host byte order */
};

struct rill_osc_config {
    int unix_on;                     /* --osc: the Unix datagram socket */
    int udp_on;                      /* --osc-udp given */
    uint32_t udp_addr;               /* host byte order; 127.0.0.1 by default */
    uint16_t udp_port;               /* 0: the kernel picks one */
    unsigned nallow;
    struct rill_osc_cidr allow[RILL_OSC_MAX_ALLOW];
    uint32_t rate;                   /* per source and second; 0: no limit */
    uint32_t lease_min_s;            /* shortest lease a subscriber may ask (1) */
};

/* Defaults: everything off. */
void rill_osc_config_init(struct rill_osc_config *c);

/* One option: name is the long name without "--" ("osc", "osc-udp",
 * "osc-allow", "osc-rate"), value its argument (NULL for "osc"). Returns 0,
 * or -EINVAL with err saying what was wrong and what is allowed. */
int rill_osc_option(struct rill_osc_config *c, const char *name, const char *value, char *err,
                    size_t errsize);

/* After every option: an address outside loopback needs --osc-allow.
 * Returns 0 or -EINVAL with err. */
int rill_osc_config_check(const struct rill_osc_config *c, char *err, size_t errsize);

/* 1 when addr (host byte order) is loopback (127.0.0.0/8) or in the
 * allow-list. */
int rill_osc_addr_allowed(const struct rill_osc_config *c, uint32_t addr);

/* Parse "A.B.C.D" (strictly, no host names). Returns 0 or -EINVAL. */
int rill_osc_parse_ipv4(const char *s, size_t len, uint32_t *out);

#endif
