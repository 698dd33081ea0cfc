/* clients/alsa/ports.c — a rill PCM's ports and their connections.
 *
 * Playback streams have outputs playback_1..N, capture streams inputs
 * capture_1..N (N = channels). New ports are connected to the target
 * (conf.h): by default the physical system ports of the other direction in
 * id order, port k to the k-th; a mono playback stream feeds the first two
 * (both sides of a stereo pair). A connection that fails is reported on
 * stderr and the PCM works on, unconnected.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clients/alsa/stream.h"
#include "rill/shm.h"

#define MAX_TARGETS RILL_ALSA_MAX_CHANNELS

/* The ports this stream connects to, as full names, into names[]; returns
 * how many. Program thread. */
static int find_targets(struct rill_astream *s, char names[][RILL_PORT_NAME_SIZE])
{
    const char *t = s->conf.target;
    if (strcmp(t, "none") == 0)
        return 0;
    if (strchr(t, ':')) { /* a list of full port names */
        int n = 0;
        const char *p = t;
        while (*p && n < (int)MAX_TARGETS) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len > 0 && len < RILL_PORT_NAME_SIZE) {
                memcpy(names[n], p, len);
                names[n][len] = '\0';
                n++;
            }
            if (!e)
                break;
            p = e + 1;
        }
        return n;
    }
    /* physical ports (t empty) or the ports of client t, of the direction
     * that pairs with ours */
    const struct rill_shm_state *st = rill_client_state(s->client);
    uint32_t ids[RILL_MAX_PORTS];
    int total = rill_registry_port_ids(st, ids, RILL_MAX_PORTS);
    if (total > (int)RILL_MAX_PORTS)
        total = RILL_MAX_PORTS;
    uint32_t want = s->playback ? RILL_PORT_IS_INPUT : RILL_PORT_IS_OUTPUT;
    size_t tlen = strlen(t);
    int n = 0;
    for (int i = 0; i < total && n < (int)MAX_TARGETS; i++) {
        struct rill_shm_port p;
        if (rill_registry_port(st, ids[i], &p) < 0 || p.type != RILL_PORT_TYPE_AUDIO ||
            !(p.flags & want))
            continue;
        p.name[sizeof(p.name) - 1] = '\0';
        if (tlen == 0) {
            if (!(p.flags & RILL_PORT_IS_PHYSICAL))
                continue;
        } else if (strncmp(p.name, t, tlen) != 0 || p.name[tlen] != ':') {
            continue;
        }
        snprintf(names[n++], RILL_PORT_NAME_SIZE, "%s", p.name);
    }
    return n;
}

/* Connect src to dst; report a failure on stderr. Program thread. */
static void connect_one(struct rill_astream *s, const char *src, const char *dst)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_CONNECT;
    snprintf(m.u.connect.src, sizeof(m.u.connect.src), "%s", src);
    snprintf(m.u.connect.dst, sizeof(m.u.connect.dst), "%s", dst);
    int r = rill_client_request(s->client, &m);
    if (r < 0 && r != -EEXIST)
        fprintf(stderr, "rill ALSA plugin: cannot connect %s to %s: %s (the stream plays on, "
                        "unconnected)\n",
                src, dst, m.error[0] ? m.error : strerror(-r));
}

/* Connect ports [from, to) of the stream. Program thread. */
static void connect_ports(struct rill_astream *s, uint32_t from, uint32_t to)
{
    char names[MAX_TARGETS][RILL_PORT_NAME_SIZE];
    int n = find_targets(s, names);
    const char *me = rill_client_name(s->client);
    for (uint32_t k = from; k < to; k++) {
        char own[RILL_PORT_NAME_SIZE];
        snprintf(own, sizeof(own), "%s:%s_%u", me, s->playback ? "playback" : "capture", k + 1);
        if ((int)k < n) {
            if (s->playback)
                connect_one(s, own, names[k]);
            else
                connect_one(s, names[k], own);
        }
        /* mono playback: both sides of the stereo pair */
        if (s->playback && to == 1 && k == 0 && n >= 2)
            connect_one(s, own, names[1]);
    }
}

/* Program thread, while quiesced. */
int rill_astream_ports(struct rill_astream *s, uint32_t channels, char *err, size_t errsize)
{
    uint32_t had = s->nports;
    /* a mono stream that becomes stereo loses the second connection of
     * its first port: drop them all and connect afresh */
    if (had == 1 && channels > 1) {
        struct rill_msg m;
        memset(&m, 0, sizeof(m));
        m.type = RILL_MSG_PORT_DISCONNECT;
        m.u.port.id = s->port[0];
        (void)rill_client_request(s->client, &m);
        had = 0;
    }
    while (s->nports > channels) {
        s->nports--;
        (void)rill_client_port_unregister(s->client, s->port[s->nports]);
    }
    while (s->nports < channels) {
        char name[32];
        snprintf(name, sizeof(name), "%s_%u", s->playback ? "playback" : "capture",
                 s->nports + 1);
        uint32_t id;
        int r = rill_client_port_register(
            s->client, name, "32 bit float mono audio",
            s->playback ? RILL_PORT_IS_OUTPUT : RILL_PORT_IS_INPUT, &id, err, errsize);
        if (r < 0)
            return r;
        void *b = rill_client_port_buffer(s->client, id);
        if (b)
            memset(b, 0, RILL_MAX_PERIOD * sizeof(float) <= rill_client_state(s->client)->pool_stride
                             ? RILL_MAX_PERIOD * sizeof(float)
                             : rill_client_state(s->client)->pool_stride);
        s->port[s->nports++] = id;
    }
    if (!s->activated) {
        int r = rill_client_activate(s->client);
        if (r < 0) {
            snprintf(err, errsize, "cannot activate client '%s' on the rill server: %s",
                     rill_client_name(s->client), strerror(-r));
            return r;
        }
        s->activated = 1;
    }
    if (had < channels)
        connect_ports(s, had == 0 ? 0 : had, channels);
    return 0;
}

/* Any non-realtime thread. */
uint32_t rill_astream_port_latency(struct rill_astream *s)
{
    if (s->nports == 0)
        return 0;
    struct rill_shm_port p;
    if (rill_registry_port(rill_client_state(s->client), s->port[0], &p) < 0)
        return 0;
    return p.latency[s->playback ? 1 : 0][1];
}
