/* osc/osc_wire.c — OSC on the wire: a message decoded (liblo's
 * lo_message_deserialise, which copies and checks every argument against
 * the size), reply URLs, a message encoded (lo_message_serialise) straight
 * into an outbox. Main thread only (the fuzz harness: its only thread).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lo/lo_errors.h>

#include "osc/osc_priv.h"

/* Main thread. */
void osc_msg_decode(struct osc_msg *m, const uint8_t *data, size_t len)
{
    memset(m, 0, sizeof(*m));
    m->types = "";
    if (!memchr(data, '\0', len)) {
        m->path = NULL;
        m->decode_error = OSC_BAD_MESSAGE;
        snprintf(m->decode_why, sizeof(m->decode_why),
                 "the address is not a terminated string");
        return;
    }
    m->path = (const char *)data;
    int res = 0;
    /* lo_message_deserialise copies data before it converts byte order */
    m->lo = lo_message_deserialise((void *)data, len, &res);
    if (!m->lo) {
        const char *why;
        m->decode_error = OSC_BAD_MESSAGE;
        switch (res) {
        case LO_ENOTYPE:
            m->decode_error = OSC_BAD_ARGS;
            why = "the message has no type tag string (rill needs one, e.g. ',ss')";
            break;
        case LO_EBADTYPE:
        case LO_EINVALIDTYPE:
            m->decode_error = OSC_BAD_ARGS;
            why = "the type tag string is not valid (it starts with ',' and names OSC types)";
            break;
        case LO_EINVALIDPATH:
            why = "the address is not a padded, terminated string";
            break;
        case LO_EINVALIDARG:
            why = "an argument is not valid (an unterminated string, or a blob longer than the "
                  "message)";
            break;
        case LO_ESIZE:
            why = "the arguments and the message size disagree (truncated or padded wrong)";
            break;
        default:
            why = "the message does not decode";
            break;
        }
        snprintf(m->decode_why, sizeof(m->decode_why), "%s", why);
        return;
    }
    m->types = lo_message_get_types(m->lo);
    m->argc = lo_message_get_argc(m->lo);
    m->argv = lo_message_get_argv(m->lo);
    if (!m->types)
        m->types = "";
}

/* Main thread. */
void osc_msg_done(struct osc_msg *m)
{
    if (m->lo)
        lo_message_free(m->lo);
    m->lo = NULL;
}

/* Main thread. */
int osc_path_has_pattern(const char *path)
{
    return strpbrk(path, "*?[]{}") != NULL;
}

/* Main thread. */
int osc_dest_equal(const struct osc_dest *a, const struct osc_dest *b)
{
    if (a->sock != b->sock || a->len != b->len)
        return 0;
    if (a->sock == RILL_OSC_SOCK_UDP) {
        const struct sockaddr_in *x = (const void *)&a->addr, *y = (const void *)&b->addr;
        return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
    }
    return memcmp(&a->addr, &b->addr, a->len) == 0;
}

/* Main thread. */
void osc_dest_format(const struct osc_dest *d, char *buf, size_t size)
{
    if (d->len == 0) {
        snprintf(buf, size, "(no address)");
    } else if (d->sock == RILL_OSC_SOCK_UDP) {
        const struct sockaddr_in *in = (const void *)&d->addr;
        uint32_t a = ntohl(in->sin_addr.s_addr);
        snprintf(buf, size, "osc.udp://%u.%u.%u.%u:%u/", a >> 24, (a >> 16) & 255,
                 (a >> 8) & 255, a & 255, ntohs(in->sin_port));
    } else {
        const struct sockaddr_un *un = (const void *)&d->addr;
        size_t n = d->len > offsetof(struct sockaddr_un, sun_path)
                       ? d->len - offsetof(struct sockaddr_un, sun_path)
                       : 0;
        if (n && un->sun_path[0] == '\0')
            snprintf(buf, size, "osc.unix://(abstract)");
        else
            snprintf(buf, size, "osc.unix://%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
    }
}

/* Main thread. */
int osc_url_parse(const struct rill_osc *o, const char *url, int from_sock, struct osc_dest *d,
                  char *why, size_t whysize)
{
    memset(d, 0, sizeof(*d));
    if (strncmp(url, "osc.udp://", 10) == 0) {
        const char *host = url + 10;
        const char *colon = strrchr(host, ':');
        if (!colon) {
            snprintf(why, whysize, "reply URL '%.100s' has no port: use osc.udp://HOST:PORT/",
                     url);
            return OSC_BAD_ARGS;
        }
        size_t hlen = (size_t)(colon - host);
        uint32_t addr;
        if (hlen == 9 && strncmp(host, "localhost", 9) == 0)
            addr = 0x7f000001u;
        else if (rill_osc_parse_ipv4(host, hlen, &addr) < 0) {
            snprintf(why, whysize,
                     "reply URL '%.100s': the host must be a numeric IPv4 address or "
                     "localhost (rill does not look names up)",
                     url);
            return OSC_BAD_ARGS;
        }
        char *end;
        errno = 0;
        unsigned long port = strtoul(colon + 1, &end, 10);
        if (colon[1] < '0' || colon[1] > '9' || errno || port == 0 || port > 65535 ||
            (*end && strcmp(end, "/") != 0)) {
            snprintf(why, whysize, "reply URL '%.100s': the port must be 1 to 65535", url);
            return OSC_BAD_ARGS;
        }
        if (!rill_osc_addr_allowed(&o->cfg, addr)) {
            snprintf(why, whysize,
                     "reply URL '%.100s' is outside loopback and the --osc-allow networks: "
                     "rill sends replies nowhere else",
                     url);
            return OSC_FORBIDDEN;
        }
        struct sockaddr_in *in = (struct sockaddr_in *)&d->addr;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        in->sin_addr.s_addr = htonl(addr);
        d->sock = RILL_OSC_SOCK_UDP;
        d->len = sizeof(*in);
        return 0;
    }
    if (strncmp(url, "osc.unix://", 11) == 0) {
        const char *path = url + 11;
        if (strncmp(path, "localhost/", 10) == 0)
            path += 9;
        if (from_sock != RILL_OSC_SOCK_UNIX) {
            snprintf(why, whysize,
                     "reply URL '%.100s': a Unix socket reply address is accepted only from "
                     "requests on rill's Unix socket",
                     url);
            return OSC_FORBIDDEN;
        }
        struct sockaddr_un *un = (struct sockaddr_un *)&d->addr;
        size_t n = strlen(path);
        if (path[0] != '/' || n >= sizeof(un->sun_path)) {
            snprintf(why, whysize,
                     "reply URL '%.100s': give an absolute socket path shorter than %zu bytes, "
                     "osc.unix:///path",
                     url, sizeof(un->sun_path));
            return OSC_BAD_ARGS;
        }
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, n + 1);
        d->sock = RILL_OSC_SOCK_UNIX;
        d->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        return 0;
    }
    snprintf(why, whysize,
             "reply URL '%.100s': rill replies over osc.udp:// or osc.unix:// (no TCP)", url);
    return OSC_BAD_ARGS;
}

/* ---- encoding */

static int out_reserve(struct osc_out *q, size_t more)
{
    if (q->head && q->head == q->len)
        q->head = q->len = 0;
    if (q->len - q->head + more > OSC_OUT_MAX_BYTES)
        return -ENOSPC;
    if (q->len + more <= q->cap)
        return 0;
    if (q->head) { /* compact before growing */
        memmove(q->buf, q->buf + q->head, q->len - q->head);
        q->len -= q->head;
        q->head = 0;
        if (q->len + more <= q->cap)
            return 0;
    }
    size_t cap = q->cap ? q->cap : 16384;
    while (cap < q->len + more)
        cap *= 2;
    uint8_t *nb = realloc(q->buf, cap);
    if (!nb)
        return -ENOMEM;
    q->buf = nb;
    q->cap = cap;
    return 0;
}

/* Main thread. */
int osc_vput(struct osc_out *q, int event, const char *path, const int32_t *lead,
             const char *types, va_list ap)
{
    lo_message m = lo_message_new();
    if (!m)
        return -ENOMEM;
    int r = lead ? lo_message_add_int32(m, *lead) : 0;
    for (const char *t = types; *t && r == 0; t++) {
        switch (*t) {
        case 'i': r = lo_message_add_int32(m, va_arg(ap, int32_t)); break;
        case 'h': r = lo_message_add_int64(m, va_arg(ap, int64_t)); break;
        case 'f': r = lo_message_add_float(m, (float)va_arg(ap, double)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            r = lo_message_add_string(m, s ? s : "");
            break;
        }
        default: r = -1; break;
        }
    }
    if (r < 0) {
        lo_message_free(m);
        return -ENOMEM;
    }
    size_t size = lo_message_length(m, path);
    if ((r = out_reserve(q, size + 4)) < 0) {
        lo_message_free(m);
        return r;
    }
    uint32_t hdr = (uint32_t)size | (event ? OSC_ENTRY_EVENT : 0);
    memcpy(q->buf + q->len, &hdr, 4);
    size_t got = size;
    lo_message_serialise(m, path, q->buf + q->len + 4, &got);
    lo_message_free(m);
    q->len += 4 + size;
    if (event)
        q->nevents++;
    return 0;
}

/* Main thread. */
int osc_put(struct osc_out *q, int event, const char *path, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int r = osc_vput(q, event, path, NULL, types, ap);
    va_end(ap);
    return r;
}

/* Main thread. */
int osc_put_lead(struct osc_out *q, int event, const char *path, const int32_t *lead,
                 const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int r = osc_vput(q, event, path, lead, types, ap);
    va_end(ap);
    return r;
}
