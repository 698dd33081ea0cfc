/* midi/seq_export.c — rill's MIDI ports as ALSA sequencer ports: every MIDI
 * port of every other client is a port of the bridge's sequencer client
 * "rill", named with the port's full rill name ("fluidsynth:midi_00"), so
 * that aconnect, aplaymidi -p, aseqdump -p and any ALSA program reach JACK
 * programs' MIDI ports directly.
 *
 *   rill input X  -> ALSA port "X", writable: what ALSA programs send there
 *                    goes out of a helper rill output "X (export)" of
 *                    alsa_midi, connected to X;
 *   rill output Y -> ALSA port "Y", readable: a helper rill input
 *                    "Y (export)", connected from Y, sends what Y plays to
 *                    the ALSA port's subscribers.
 * A helper exists only while the ALSA port has a subscriber (an ALSA
 * program connected to it), like the import side's lazy subscription. The
 * bridge never imports its own sequencer ports and never exports its own
 * rill ports, so nothing loops. A renamed rill port is a new ALSA port.
 *
 * Events an ALSA program sends before the helper exists (in the moment
 * after it subscribed) are counted as dropped (no_port).
 *
 * Control thread only.
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/seq_bridge.h"

/* 1 when our sequencer port has a subscriber on the side ALSA programs
 * use: writers for a sink, readers for a source. */
static int has_subscribers(struct br *b, const struct br_export *e)
{
    snd_seq_query_subscribe_t *q;
    snd_seq_addr_t root = { .client = (unsigned char)b->own, .port = (unsigned char)e->alsa_port };
    if (snd_seq_query_subscribe_malloc(&q) < 0)
        return 0;
    snd_seq_query_subscribe_set_root(q, &root);
    snd_seq_query_subscribe_set_type(q, e->sink ? SND_SEQ_QUERY_SUBS_WRITE : SND_SEQ_QUERY_SUBS_READ);
    snd_seq_query_subscribe_set_index(q, 0);
    int r = snd_seq_query_port_subscribers(b->seq, q);
    snd_seq_query_subscribe_free(q);
    return r >= 0;
}

static void helper_remove(struct br *b, struct br_export *e)
{
    if (e->helper < 0)
        return;
    struct br_port *p = &b->ports[e->helper];
    br_port_unpublish(b, p);
    br_quiesce(b);
    br_port_remove(b, p);
    e->helper = -1;
}

static void helper_add(struct br *b, struct br_export *e)
{
    uint32_t slot;
    for (slot = 0; slot < BR_MAX_PORTS && b->ports[slot].used; slot++)
        ;
    if (slot == BR_MAX_PORTS) {
        br_log("no room for the rill side of exported port '%s'", e->target);
        return;
    }
    struct br_port *p = &b->ports[slot];
    char base[RILL_MIDI_NAME_MAX - 15];
    if (rill_midi_name_clean(e->target, base, sizeof(base)) == 0)
        snprintf(base, sizeof(base), "unnamed");
    snprintf(p->name, sizeof(p->name), "%.104s (export)", base);
    for (int n = 2; br_name_taken(b, p->name) && n <= 99; n++)
        snprintf(p->name, sizeof(p->name), "%.104s #%d (export)", base, n);
    if (!p->sysex) { /* both ways: the output thread assembles fragments */
        p->sysex = malloc(b->sysex_max);
        if (!p->sysex)
            return;
    }
    /* a sink gets a rill output connected to it, a source a rill input */
    unsigned long flags = e->sink ? JackPortIsOutput : JackPortIsInput;
    p->jp = jack_port_register(b->client, p->name, JACK_DEFAULT_MIDI_TYPE, flags, 0);
    if (!p->jp) {
        br_log("cannot register port '%s' for exported port '%s'", p->name, e->target);
        return;
    }
    p->used = 1;
    p->export = 1;
    p->capture = e->sink;
    p->client = b->own;
    p->port = e->alsa_port;
    p->seen = 1;
    p->subscribed = 0;
    snprintf(p->alsa_client, sizeof(p->alsa_client), "rill");
    snprintf(p->alsa_port, sizeof(p->alsa_port), "%.*s", (int)sizeof(p->alsa_port) - 1,
             e->target);
    snprintf(p->base, sizeof(p->base), "%s", base);
    jack_nframes_t n = jack_get_buffer_size(b->client);
    jack_latency_range_t range = { n, n };
    jack_port_set_latency_range(p->jp, e->sink ? JackCaptureLatency : JackPlaybackLatency, &range);
    br_port_publish(b, p, slot);
    int r = e->sink ? jack_connect(b->client, jack_port_name(p->jp), e->target)
                    : jack_connect(b->client, e->target, jack_port_name(p->jp));
    if (r != 0 && r != EEXIST)
        br_log("cannot connect '%s' and '%s'", jack_port_name(p->jp), e->target);
    e->helper = (int)slot;
    atomic_store_explicit(&p->rt_rewrite, 0, memory_order_relaxed);
    p->rw_text[0] = '\0';
    /* relaxed: read by this thread only */
    atomic_store_explicit(&b->props_dirty, 1, memory_order_relaxed);
    if (b->verbose)
        br_log("exported port '%s' in use: '%s' made", e->target, p->name);
}

static void export_remove(struct br *b, struct br_export *e)
{
    helper_remove(b, e);
    snd_seq_delete_simple_port(b->seq, e->alsa_port);
    if (b->verbose)
        br_log("rill port '%s' no longer exported", e->target);
    e->used = 0;
}

static void export_add(struct br *b, const char *target, int sink)
{
    uint32_t i;
    for (i = 0; i < BR_MAX_EXPORTS && b->exports[i].used; i++)
        ;
    if (i == BR_MAX_EXPORTS)
        return;
    struct br_export *e = &b->exports[i];
    char name[64];
    snprintf(name, sizeof(name), "%s", target);
    unsigned caps = sink ? SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE
                         : SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ;
    int port = snd_seq_create_simple_port(b->seq, name, caps,
                                          SND_SEQ_PORT_TYPE_MIDI_GENERIC |
                                              SND_SEQ_PORT_TYPE_SOFTWARE |
                                              SND_SEQ_PORT_TYPE_APPLICATION);
    if (port < 0 || port > 255) {
        if (port >= 0)
            snd_seq_delete_simple_port(b->seq, port);
        br_log("cannot export '%s' as an ALSA port: %s", target,
               snd_strerror(port < 0 ? port : -ENOSPC));
        return;
    }
    e->used = 1;
    e->seen = 1;
    e->sink = sink;
    e->alsa_port = port;
    e->helper = -1;
    snprintf(e->target, sizeof(e->target), "%s", target);
    if (b->verbose)
        br_log("rill port '%s' exported as ALSA port %d:%d", target, b->own, port);
}

/* Control thread. */
void br_exports_sync(struct br *b)
{
    const char **names = jack_get_ports(b->client, NULL, JACK_DEFAULT_MIDI_TYPE, 0);
    size_t plen = strlen(b->own_prefix);
    for (uint32_t i = 0; i < BR_MAX_EXPORTS; i++)
        b->exports[i].seen = 0;
    for (size_t k = 0; names && names[k]; k++) {
        if (strncmp(names[k], b->own_prefix, plen) == 0)
            continue; /* our own ports: never exported */
        if (strncmp(names[k], "alsa_rawmidi:", 13) == 0)
            continue; /* the raw bridge's devices: ALSA has them already */
        jack_port_t *jp = jack_port_by_name(b->client, names[k]);
        if (!jp)
            continue;
        int sink = (jack_port_flags(jp) & JackPortIsInput) != 0;
        uint32_t i;
        for (i = 0; i < BR_MAX_EXPORTS; i++) {
            struct br_export *e = &b->exports[i];
            if (e->used && e->sink == sink && strcmp(e->target, names[k]) == 0) {
                e->seen = 1;
                break;
            }
        }
        if (i == BR_MAX_EXPORTS)
            export_add(b, names[k], sink);
    }
    jack_free(names);
    for (uint32_t i = 0; i < BR_MAX_EXPORTS; i++) {
        struct br_export *e = &b->exports[i];
        if (!e->used)
            continue;
        if (!e->seen) {
            export_remove(b, e);
            continue;
        }
        int want = has_subscribers(b, e);
        if (want && e->helper < 0)
            helper_add(b, e);
        else if (!want && e->helper >= 0) {
            if (b->verbose)
                br_log("exported port '%s' no longer in use", e->target);
            helper_remove(b, e);
        }
    }
}

/* Control thread. */
void br_exports_clear(struct br *b)
{
    for (uint32_t i = 0; i < BR_MAX_EXPORTS; i++)
        if (b->exports[i].used)
            export_remove(b, &b->exports[i]);
}
