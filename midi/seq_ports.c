/* midi/seq_ports.c — the sequencer bridge's ports: every ALSA sequencer
 * port that others may read or write (and that is not no-export) gets a
 * rill MIDI port per direction, named from the ALSA names (midi_names.h),
 * with the ALSA address and full names in its aliases and metadata; the
 * bridge subscribes to an ALSA port only while its rill port has a
 * connection (lazy subscription).
 *
 * Control thread only.
 */
#include <errno.h>
#include <jack/metadata.h>
#include <jack/midiport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "midi/seq_bridge.h"

#define RILL_NS_ALSA "http://rill.audio/ns/alsa-midi#"

/* CLOCK_MONOTONIC in seconds, for the verbose log (the tests compare it
 * with the time an ALSA port appeared). */
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int br_name_taken(void *arg, const char *name)
{
    struct br *b = arg;
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++)
        if (b->ports[i].used && strcmp(b->ports[i].name, name) == 0)
            return 1;
    return 0;
}

static struct br_port *find(struct br *b, int client, int port, int capture)
{
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
        struct br_port *p = &b->ports[i];
        if (p->used && !p->export && p->client == client && p->port == port &&
            p->capture == capture)
            return p;
    }
    return NULL;
}

/* Aliases and metadata of p from its ALSA names and address. */
static void describe(struct br *b, struct br_port *p)
{
    char a[512];
    const char *dir = p->capture ? "capture" : "playback";
    /* drop the old aliases first (a rename) */
    char *old[2];
    old[0] = malloc(jack_port_name_size());
    old[1] = malloc(jack_port_name_size());
    if (old[0] && old[1]) {
        int n = jack_port_get_aliases(p->jp, old);
        for (int i = 0; i < n; i++)
            jack_port_unset_alias(p->jp, old[i]);
    }
    free(old[0]);
    free(old[1]);
    snprintf(a, sizeof(a), "alsa_seq:%s/%s (%s)", p->alsa_client, p->alsa_port, dir);
    jack_port_set_alias(p->jp, a);
    snprintf(a, sizeof(a), "alsa_seq:%d:%d (%s)", p->client, p->port, dir);
    jack_port_set_alias(p->jp, a);
    jack_uuid_t u = jack_port_uuid(p->jp);
    snprintf(a, sizeof(a), "%s: %s (%s)", p->alsa_client, p->alsa_port, dir);
    jack_set_property(b->client, u, JACK_METADATA_PRETTY_NAME, a, NULL);
    snprintf(a, sizeof(a), "%d:%d", p->client, p->port);
    jack_set_property(b->client, u, RILL_NS_ALSA "address", a, NULL);
}

/* Publish p to the realtime threads (release: the port and its fields are
 * set before a thread can see rt_port). */
void br_port_publish(struct br *b, struct br_port *p, uint32_t slot)
{
    uint32_t gen = atomic_load_explicit(&p->rt_gen, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->rt_gen, gen, memory_order_relaxed);
    uint32_t addr = p->export ? BR_ADDR_EXPORT | (uint32_t)p->port
                              : (uint32_t)(p->client << 8 | p->port);
    atomic_store_explicit(&p->rt_addr, addr, memory_order_relaxed);
    atomic_store_explicit(&p->rt_port, p->jp, memory_order_release);
    if (p->capture && p->export)
        atomic_store_explicit(&b->export_slot[p->port & 0xff], (uint16_t)(slot + 1),
                              memory_order_release);
    else if (p->capture)
        atomic_store_explicit(&b->slot_of[(p->client << 8 | p->port) & 0xffff],
                              (uint16_t)(slot + 1), memory_order_release);
}

/* Wait until the process callback has begun two cycles since now, so that
 * none still uses what was unpublished (bounded: 500 ms, e.g. when the
 * engine is not running). */
void br_quiesce(struct br *b)
{
    uint64_t c0 = atomic_load_explicit(&b->cycles, memory_order_acquire);
    for (int i = 0; i < 500; i++) {
        if (atomic_load_explicit(&b->cycles, memory_order_acquire) >= c0 + 2)
            return;
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
}

static int subscribe(struct br *b, struct br_port *p, int on)
{
    snd_seq_port_subscribe_t *sub;
    snd_seq_addr_t them = { .client = (unsigned char)p->client, .port = (unsigned char)p->port };
    snd_seq_addr_t us = { .client = (unsigned char)b->own, .port = (unsigned char)b->io_port };
    int r = snd_seq_port_subscribe_malloc(&sub);
    if (r < 0)
        return r;
    if (p->capture) {
        /* kernel real-time stamps on our queue for everything it sends */
        snd_seq_port_subscribe_set_sender(sub, &them);
        snd_seq_port_subscribe_set_dest(sub, &us);
        snd_seq_port_subscribe_set_queue(sub, b->queue);
        snd_seq_port_subscribe_set_time_update(sub, 1);
        snd_seq_port_subscribe_set_time_real(sub, 1);
    } else {
        snd_seq_port_subscribe_set_sender(sub, &us);
        snd_seq_port_subscribe_set_dest(sub, &them);
    }
    r = on ? snd_seq_subscribe_port(b->seq, sub) : snd_seq_unsubscribe_port(b->seq, sub);
    snd_seq_port_subscribe_free(sub);
    return r;
}

/* Subscribe while the rill port has a connection. */
static void follow_connections(struct br *b, struct br_port *p)
{
    int want = jack_port_connected(p->jp) > 0;
    if (want == p->subscribed)
        return;
    int r = subscribe(b, p, want);
    if (r < 0 && want) {
        br_log("cannot subscribe to ALSA port %d:%d ('%s'): %s", p->client, p->port, p->name,
               snd_strerror(r));
        return;
    }
    p->subscribed = want;
    if (b->verbose)
        br_log("%s ALSA port %d:%d ('%s')", want ? "subscribed to" : "unsubscribed from",
               p->client, p->port, p->name);
}

/* Take p away from the realtime threads (first step of a removal). */
void br_port_unpublish(struct br *b, struct br_port *p)
{
    if (p->capture && p->export)
        atomic_store_explicit(&b->export_slot[p->port & 0xff], 0, memory_order_release);
    else if (p->capture)
        atomic_store_explicit(&b->slot_of[(p->client << 8 | p->port) & 0xffff], 0,
                              memory_order_release);
    atomic_store_explicit(&p->rt_port, NULL, memory_order_release);
}

/* Second step, once no realtime thread can use p any more. */
void br_port_remove(struct br *b, struct br_port *p)
{
    if (p->subscribed)
        subscribe(b, p, 0); /* fails when the ALSA port is gone already: nothing to undo */
    p->subscribed = 0;
    if (b->verbose)
        br_log("port '%s' removed (ALSA %d:%d gone)", p->name, p->client, p->port);
    jack_port_unregister(b->client, p->jp);
    p->jp = NULL;
    p->used = 0;
}

static void add_port(struct br *b, int client, int port, int capture, const char *cname,
                     const char *pname)
{
    char base[RILL_MIDI_NAME_MAX + 1];
    uint32_t slot;
    for (slot = 0; slot < BR_MAX_PORTS && b->ports[slot].used; slot++)
        ;
    if (slot == BR_MAX_PORTS) {
        br_log("ALSA port %d:%d ('%s'): no room for more than %u bridged ports", client, port,
               pname, BR_MAX_PORTS);
        return;
    }
    struct br_port *p = &b->ports[slot];
    if (rill_midi_name_base(cname, pname, base, sizeof(base)) < 0)
        snprintf(base, sizeof(base), "unnamed");
    snprintf(p->base, sizeof(p->base), "%s", base);
    if (rill_midi_name_unique(base, capture, br_name_taken, b, p->name, sizeof(p->name)) < 0) {
        br_log("ALSA port %d:%d: the name '%s' is taken 99 times", client, port, base);
        return;
    }
    if (!p->sysex) { /* both ways: the output thread assembles fragments */
        p->sysex = malloc(b->sysex_max);
        if (!p->sysex) {
            br_log("ALSA port %d:%d: out of memory", client, port);
            return;
        }
    }
    unsigned long flags = (capture ? JackPortIsOutput : JackPortIsInput) | JackPortIsPhysical |
                          JackPortIsTerminal;
    p->jp = jack_port_register(b->client, p->name, JACK_DEFAULT_MIDI_TYPE, flags, 0);
    if (!p->jp) {
        br_log("cannot register port '%s' for ALSA port %d:%d", p->name, client, port);
        return;
    }
    p->used = 1;
    p->export = 0;
    p->capture = capture;
    p->client = client;
    p->port = port;
    p->seen = 1;
    p->subscribed = 0;
    snprintf(p->alsa_client, sizeof(p->alsa_client), "%s", cname);
    snprintf(p->alsa_port, sizeof(p->alsa_port), "%s", pname);
    /* published first: the port is usable as soon as it exists; its
     * aliases and metadata follow */
    br_port_publish(b, p, slot);
    if (b->verbose)
        br_log("port '%s' added for ALSA %d:%d (t=%.3f)", p->name, client, port, mono_s());
    jack_nframes_t n = jack_get_buffer_size(b->client);
    jack_latency_range_t range = { n, n };
    jack_port_set_latency_range(p->jp, capture ? JackCaptureLatency : JackPlaybackLatency, &range);
    describe(b, p);
    atomic_store_explicit(&p->rt_rewrite, 0, memory_order_relaxed);
    p->rw_text[0] = '\0';
    /* relaxed: read by this thread only */
    atomic_store_explicit(&b->props_dirty, 1, memory_order_relaxed);
}

/* Control thread. */
void br_ports_rewrite(struct br *b)
{
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
        struct br_port *p = &b->ports[i];
        if (!p->used || !p->jp)
            continue;
        char *value = NULL, *type = NULL;
        char text[sizeof(p->rw_text)] = "";
        if (jack_get_property(jack_port_uuid(p->jp), RILL_MIDI_REWRITE_KEY, &value, &type) == 0 &&
            value)
            snprintf(text, sizeof(text), "%s", value);
        jack_free(value);
        jack_free(type);
        if (strcmp(text, p->rw_text) == 0)
            continue;
        snprintf(p->rw_text, sizeof(p->rw_text), "%s", text);
        uint32_t rw = 0;
        char err[256];
        if (rill_midi_rewrite_parse(text, &rw, err, sizeof(err)) < 0) {
            br_log("port '%s': %s (%s): nothing rewritten", p->name, err, RILL_MIDI_REWRITE_KEY);
            rw = 0;
        } else {
            br_log("port '%s': rewrite rules '%s'", p->name, text[0] ? text : "none");
        }
        /* relaxed: one word that the realtime threads apply as they find it */
        atomic_store_explicit(&p->rt_rewrite, rw, memory_order_relaxed);
    }
}

/* The ALSA names of p changed: a new rill name when its base changed (a
 * change that leaves the base alone, as a PID in parentheses, keeps it). */
static void rename_port(struct br *b, struct br_port *p, const char *cname, const char *pname)
{
    char base[RILL_MIDI_NAME_MAX + 1], name[RILL_MIDI_NAME_MAX + 1];
    snprintf(p->alsa_client, sizeof(p->alsa_client), "%s", cname);
    snprintf(p->alsa_port, sizeof(p->alsa_port), "%s", pname);
    if (rill_midi_name_base(cname, pname, base, sizeof(base)) < 0)
        snprintf(base, sizeof(base), "unnamed");
    if (strcmp(base, p->base) != 0 &&
        rill_midi_name_unique(base, p->capture, br_name_taken, b, name, sizeof(name)) == 0) {
        if (jack_port_rename(b->client, p->jp, name) == 0) {
            br_log("port '%s' renamed to '%s' (ALSA %d:%d renamed; t=%.3f)", p->name, name,
                   p->client, p->port, mono_s());
            snprintf(p->name, sizeof(p->name), "%s", name);
            snprintf(p->base, sizeof(p->base), "%s", base);
        } else {
            br_log("cannot rename port '%s' to '%s'", p->name, name);
        }
    }
    describe(b, p);
}

/* One ALSA port seen by the scan, in one direction. */
static void scan_one(struct br *b, int client, int port, int capture, const char *cname,
                     const char *pname)
{
    struct br_port *p = find(b, client, port, capture);
    if (!p) {
        add_port(b, client, port, capture, cname, pname);
        return;
    }
    p->seen = 1;
    if (strncmp(p->alsa_client, cname, BR_ALSA_NAME - 1) != 0 ||
        strncmp(p->alsa_port, pname, BR_ALSA_NAME - 1) != 0)
        rename_port(b, p, cname, pname);
}

/* With raw=1, the ports the raw bridge has through the device itself: a
 * port of a kernel client that belongs to a card (card >= 0) and "connects
 * to other devices" (SND_SEQ_PORT_TYPE_PORT): snd-seq-midi's port of each
 * rawmidi subdevice, VirMIDI's port of each of its devices, and a UMP
 * device's ports (whose legacy rawmidi devices the raw bridge has). A
 * card's synthesizer ports (OPL3, emu10k1) lack that type and stay.
 * With raw_devices= only the ports of the devices listed.
 * Control thread. */
static int left_to_raw(const struct br *b, snd_seq_client_info_t *ci,
                       const snd_seq_port_info_t *pi)
{
    int card = snd_seq_client_info_get_card(ci);
    if (!b->raw || snd_seq_client_info_get_type(ci) != SND_SEQ_KERNEL_CLIENT || card < 0 ||
        !(snd_seq_port_info_get_type(pi) & SND_SEQ_PORT_TYPE_PORT))
        return 0;
    if (!b->raw_devs.n)
        return 1; /* the raw bridge has every device */
    /* raw_devices=: only the ports of the devices listed */
    int dev, sub;
    rill_midi_rawdev_of_seq_port(snd_seq_client_info_get_name(ci), card,
                                 snd_seq_port_info_get_port(pi), &dev, &sub);
    return rill_midi_rawdevs_match(&b->raw_devs, card, NULL, dev, sub);
}

/* The card numbers of raw_devices= entries given by card id, as they are
 * now (cards come and go). Control thread. */
static void resolve_raw_devs(struct br *b)
{
    for (unsigned i = 0; i < b->raw_devs.n; i++) {
        struct rill_midi_rawdev *d = &b->raw_devs.d[i];
        if (d->card_id[0]) {
            int c = snd_card_get_index(d->card_id);
            d->card = c < 0 ? -1 : c;
        }
    }
}

/* Control thread. */
void br_ports_sync(struct br *b)
{
    snd_seq_client_info_t *ci;
    snd_seq_port_info_t *pi;
    if (snd_seq_client_info_malloc(&ci) < 0)
        return;
    if (snd_seq_port_info_malloc(&pi) < 0) {
        snd_seq_client_info_free(ci);
        return;
    }
    resolve_raw_devs(b);
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++)
        b->ports[i].seen = b->ports[i].export; /* helpers are seq_export.c's */
    snd_seq_client_info_set_client(ci, -1);
    while (snd_seq_query_next_client(b->seq, ci) >= 0) {
        int c = snd_seq_client_info_get_client(ci);
        if (c == b->own || c == SND_SEQ_CLIENT_SYSTEM)
            continue;
        const char *cname = snd_seq_client_info_get_name(ci);
        snd_seq_port_info_set_client(pi, c);
        snd_seq_port_info_set_port(pi, -1);
        while (snd_seq_query_next_port(b->seq, pi) >= 0) {
            unsigned caps = snd_seq_port_info_get_capability(pi);
            if ((caps & SND_SEQ_PORT_CAP_NO_EXPORT) || left_to_raw(b, ci, pi))
                continue;
            int port = snd_seq_port_info_get_port(pi);
            const char *pname = snd_seq_port_info_get_name(pi);
            unsigned rd = SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ;
            unsigned wr = SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE;
            if ((caps & rd) == rd)
                scan_one(b, c, port, 1, cname, pname);
            if ((caps & wr) == wr)
                scan_one(b, c, port, 0, cname, pname);
        }
    }
    snd_seq_port_info_free(pi);
    snd_seq_client_info_free(ci);
    int gone = 0;
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
        struct br_port *p = &b->ports[i];
        if (p->used && !p->seen) {
            br_port_unpublish(b, p);
            gone = 1;
        }
    }
    if (gone) {
        br_quiesce(b);
        for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
            struct br_port *p = &b->ports[i];
            if (p->used && !p->seen)
                br_port_remove(b, p);
        }
    }
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++)
        if (b->ports[i].used && !b->ports[i].export)
            follow_connections(b, &b->ports[i]);
    br_exports_sync(b);
    /* relaxed: set by JACK's notification thread with a wake-up after it */
    if (atomic_exchange_explicit(&b->props_dirty, 0, memory_order_relaxed))
        br_ports_rewrite(b);
}

/* Control thread. */
void br_ports_clear(struct br *b)
{
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++)
        if (b->ports[i].used)
            br_port_unpublish(b, &b->ports[i]);
    for (uint32_t i = 0; i < BR_MAX_PORTS; i++) {
        struct br_port *p = &b->ports[i];
        if (p->used)
            br_port_remove(b, p);
        free(p->sysex);
        p->sysex = NULL;
    }
}
