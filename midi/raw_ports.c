/* midi/raw_ports.c — the raw MIDI bridge's ports: every rawmidi endpoint
 * of every card, per direction, is a rill MIDI port of alsa_rawmidi; its
 * device is opened only while the rill port has a connection.
 *
 * Endpoints: a device whose subdevices have names (USB interfaces: "UM-ONE
 * MIDI 1", one subdevice per jack) gives one port per subdevice (hw:C,D,S);
 * a device whose subdevices have no names (VirMIDI's 16 equal ones, an
 * MPU-401) gives one port (hw:C,D: the kernel picks a free subdevice), as
 * amidi -l lists them.
 *
 * Names: raw_names.h (the sequencer bridge's rules: "UM-ONE MIDI 1",
 * "Virtual Raw MIDI 0"), then " (capture)" / " (playback)", and " #2" ...
 * only on a collision.
 * Aliases: "alsa_raw:CARD-ID,D/DEVICE NAME (capture)" (with ",S/SUBDEVICE
 * NAME" for a named subdevice; the card's id and the device's number are
 * fixed by the driver, its index is not) and "alsa_raw:hw:C,D[,S]
 * (capture)"; metadata: pretty-name and
 * http://rill.audio/ns/alsa-midi#device (hw:C,D[,S]).
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

#include "midi/raw_bridge.h"
#include "midi/raw_names.h"

#define RILL_NS_ALSA "http://rill.audio/ns/alsa-midi#"
#define RETRY_NS 1000000000ull /* a failed open is tried again after 1 s */

/* CLOCK_MONOTONIC in seconds, for the verbose log. */
static double mono_s(void)
{
    return (double)rb_now_ns() * 1e-9;
}

/* Is a short name used by one of our ports? */
static int name_taken(void *arg, const char *name)
{
    struct rb *b = arg;
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++)
        if (b->ports[i].used && strcmp(b->ports[i].name, name) == 0)
            return 1;
    return 0;
}

/* "hw:C,D" or "hw:C,D,S" of p. */
static void hw_name(const struct rb_port *p, char *out, size_t size)
{
    if (p->sub < 0)
        snprintf(out, size, "hw:%d,%d", p->card, p->device);
    else
        snprintf(out, size, "hw:%d,%d,%d", p->card, p->device, p->sub);
}

/* Aliases and metadata. */
static void describe(struct rb *b, struct rb_port *p)
{
    char a[512], hw[48];
    const char *dir = p->capture ? "capture" : "playback";
    hw_name(p, hw, sizeof(hw));
    if (p->sub < 0)
        snprintf(a, sizeof(a), "alsa_raw:%s,%d/%s (%s)", p->card_id, p->device, p->dev_name,
                 dir);
    else
        snprintf(a, sizeof(a), "alsa_raw:%s,%d,%d/%s (%s)", p->card_id, p->device, p->sub,
                 p->sub_name, dir);
    jack_port_set_alias(p->jp, a);
    snprintf(a, sizeof(a), "alsa_raw:%s (%s)", hw, dir);
    jack_port_set_alias(p->jp, a);
    jack_uuid_t u = jack_port_uuid(p->jp);
    if (p->sub_name[0])
        snprintf(a, sizeof(a), "%s: %s (%s)", p->dev_name, p->sub_name, dir);
    else
        snprintf(a, sizeof(a), "%s %d (%s)", p->dev_name, p->device, dir);
    jack_set_property(b->client, u, JACK_METADATA_PRETTY_NAME, a, NULL);
    jack_set_property(b->client, u, RILL_NS_ALSA "device", hw, NULL);
}

/* Wait until the process callback has begun two cycles since now, so that
 * none still uses what was unpublished (bounded: 500 ms, e.g. when the
 * engine is not running). */
static void quiesce(struct rb *b)
{
    uint64_t c0 = atomic_load_explicit(&b->cycles, memory_order_acquire);
    for (int i = 0; i < 500; i++) {
        if (atomic_load_explicit(&b->cycles, memory_order_acquire) >= c0 + 2)
            return;
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
}

/* Close p's device (its I/O thread first). */
static void close_dev(struct rb *b, struct rb_port *p, const char *why)
{
    if (!p->rm)
        return;
    rb_io_stop(b, p);
    snd_rawmidi_close(p->rm);
    p->rm = NULL;
    char hw[48];
    hw_name(p, hw, sizeof(hw));
    if (b->verbose || atomic_load_explicit(&p->io_err, memory_order_relaxed))
        rb_log("%s %s closed ('%s'; %s; t=%.3f)", hw, p->capture ? "input" : "output", p->name,
               why, mono_s());
}

/* Open p's device in its direction and start its I/O thread. */
static void open_dev(struct rb *b, struct rb_port *p)
{
    char hw[48];
    hw_name(p, hw, sizeof(hw));
    uint64_t now = rb_now_ns();
    if (p->open_err && now < p->retry_ns)
        return;
    snd_rawmidi_t *rm = NULL;
    int r = p->capture ? snd_rawmidi_open(&rm, NULL, hw, SND_RAWMIDI_NONBLOCK)
                       : snd_rawmidi_open(NULL, &rm, hw, SND_RAWMIDI_NONBLOCK);
    if (r < 0) {
        if (r != p->open_err)
            rb_log("cannot open %s for %s ('%s'): %s%s; trying again every second", hw,
                   p->capture ? "input" : "output", p->name, snd_strerror(r),
                   r == -EBUSY ? " (another program has it)" : "");
        p->open_err = r;
        p->retry_ns = now + RETRY_NS;
        return;
    }
    p->rm = rm;
    atomic_store_explicit(&p->io_err, 0, memory_order_relaxed);
    if ((r = rb_io_start(b, p)) < 0) {
        rb_log("cannot start the I/O thread of %s: %s", hw, strerror(-r));
        snd_rawmidi_close(rm);
        p->rm = NULL;
        p->open_err = r;
        p->retry_ns = now + RETRY_NS;
        return;
    }
    if (p->open_err || b->verbose)
        rb_log("%s opened for %s ('%s'; t=%.3f)", hw, p->capture ? "input" : "output", p->name,
               mono_s());
    p->open_err = 0;
}

/* Open while the rill port has a connection; close a device whose I/O
 * thread ended (an error: unplugged). */
static void follow(struct rb *b, struct rb_port *p)
{
    if (p->rm && atomic_load_explicit(&p->io_done, memory_order_acquire)) {
        int e = atomic_load_explicit(&p->io_err, memory_order_relaxed);
        char why[96];
        snprintf(why, sizeof(why), "the device failed: %s", snd_strerror(e));
        close_dev(b, p, why);
        p->open_err = e;
        p->retry_ns = rb_now_ns() + RETRY_NS;
    }
    int want = jack_port_connected(p->jp) > 0;
    if (want && !p->rm)
        open_dev(b, p);
    else if (!want && p->rm)
        close_dev(b, p, "no connection left");
    if (!want)
        p->open_err = 0;
}

/* Close, unregister and free p (unpublished, quiesced). */
static void remove_port(struct rb *b, struct rb_port *p)
{
    close_dev(b, p, "the device is gone");
    if (b->verbose)
        rb_log("port '%s' removed (t=%.3f)", p->name, mono_s());
    jack_port_unregister(b->client, p->jp);
    p->jp = NULL;
    p->used = 0;
    jack_ringbuffer_free(p->ring);
    p->ring = NULL;
    free(p->sysex);
    free(p->scratch);
    p->sysex = p->scratch = NULL;
}

/* A rawmidi endpoint seen by the scan, in one direction. */
struct endpoint {
    int card, device, sub, capture;
    const char *card_id, *dev_name, *sub_name;
};

/* A new endpoint: a port, its ring and buffers, published. */
static void add_port(struct rb *b, const struct endpoint *e)
{
    char base[RILL_MIDI_NAME_MAX + 1];
    uint32_t slot;
    for (slot = 0; slot < RB_MAX_PORTS && b->ports[slot].used; slot++)
        ;
    if (slot == RB_MAX_PORTS) {
        rb_log("hw:%d,%d: no room for more than %u ports", e->card, e->device, RB_MAX_PORTS);
        return;
    }
    struct rb_port *p = &b->ports[slot];
    rill_midi_raw_base(e->dev_name, e->sub < 0 ? "" : e->sub_name, e->device, base,
                       sizeof(base));
    if (rill_midi_name_unique(base, e->capture, name_taken, b, p->name, sizeof(p->name)) < 0) {
        rb_log("hw:%d,%d: the name '%s' is taken 99 times", e->card, e->device, base);
        return;
    }
    snprintf(p->base, sizeof(p->base), "%s", base);
    size_t scratch = e->capture ? b->sysex_max + sizeof(struct rb_rec) : b->sysex_max;
    p->ring = jack_ringbuffer_create(b->ring_bytes);
    p->scratch = malloc(scratch);
    p->sysex = malloc(b->sysex_max); /* both ways: the I/O thread's parser */
    if (!p->ring || !p->scratch || !p->sysex) {
        rb_log("hw:%d,%d: out of memory", e->card, e->device);
        goto fail;
    }
    jack_ringbuffer_mlock(p->ring);
    unsigned long flags = (e->capture ? JackPortIsOutput : JackPortIsInput) | JackPortIsPhysical |
                          JackPortIsTerminal;
    p->jp = jack_port_register(b->client, p->name, JACK_DEFAULT_MIDI_TYPE, flags, 0);
    if (!p->jp) {
        rb_log("cannot register port '%s' for hw:%d,%d", p->name, e->card, e->device);
        goto fail;
    }
    p->used = 1;
    p->seen = 1;
    p->capture = e->capture;
    p->card = e->card;
    p->device = e->device;
    p->sub = e->sub;
    p->rm = NULL;
    p->open_err = 0;
    snprintf(p->card_id, sizeof(p->card_id), "%s", e->card_id);
    snprintf(p->dev_name, sizeof(p->dev_name), "%s", e->dev_name);
    snprintf(p->sub_name, sizeof(p->sub_name), "%s", e->sub_name);
    /* published: a new generation makes records of a former port in this
     * slot (none: its ring was freed) never match */
    uint32_t gen = atomic_load_explicit(&p->rt_gen, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->rt_gen, gen, memory_order_relaxed);
    /* release: ring and fields before the port */
    atomic_store_explicit(&p->rt_port, p->jp, memory_order_release);
    char hw[48];
    hw_name(p, hw, sizeof(hw));
    if (b->verbose)
        rb_log("port '%s' added for %s (t=%.3f)", p->name, hw, mono_s());
    jack_nframes_t n = jack_get_buffer_size(b->client);
    jack_latency_range_t range = { n, n };
    jack_port_set_latency_range(p->jp, e->capture ? JackCaptureLatency : JackPlaybackLatency,
                                &range);
    describe(b, p);
    return;
fail:
    if (p->ring)
        jack_ringbuffer_free(p->ring);
    free(p->scratch);
    free(p->sysex);
    p->ring = NULL;
    p->scratch = p->sysex = NULL;
}

/* Mark the port of e as seen, or add one; an endpoint that a device list
 * (devices=, rilld --midi-raw) leaves out gets none. */
static void seen(struct rb *b, const struct endpoint *e)
{
    if (b->devs.n && !rill_midi_rawdevs_match(&b->devs, e->card, e->card_id, e->device, e->sub))
        return;
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++) {
        struct rb_port *p = &b->ports[i];
        /* the same endpoint: same place, same card and names (another card
         * at the same index is another device) */
        if (p->used && p->card == e->card && p->device == e->device && p->sub == e->sub &&
            p->capture == e->capture && strcmp(p->card_id, e->card_id) == 0 &&
            strncmp(p->dev_name, e->dev_name, RB_NAME - 1) == 0 &&
            strncmp(p->sub_name, e->sub_name, RB_NAME - 1) == 0) {
            p->seen = 1;
            return;
        }
    }
    add_port(b, e);
}

/* The endpoints of one device in one direction. */
static void scan_stream(struct rb *b, snd_ctl_t *ctl, int card, const char *card_id, int dev,
                        int capture)
{
    snd_rawmidi_info_t *info;
    snd_rawmidi_info_alloca(&info);
    snd_rawmidi_info_set_device(info, (unsigned)dev);
    snd_rawmidi_info_set_stream(info, capture ? SND_RAWMIDI_STREAM_INPUT
                                              : SND_RAWMIDI_STREAM_OUTPUT);
    snd_rawmidi_info_set_subdevice(info, 0);
    if (snd_ctl_rawmidi_info(ctl, info) < 0)
        return; /* no such direction */
    unsigned count = snd_rawmidi_info_get_subdevices_count(info);
    char dev_name[RB_NAME];
    snprintf(dev_name, sizeof(dev_name), "%s", snd_rawmidi_info_get_name(info));
    struct endpoint e = { .card = card, .device = dev, .sub = -1, .capture = capture,
                          .card_id = card_id, .dev_name = dev_name, .sub_name = "" };
    if (!snd_rawmidi_info_get_subdevice_name(info)[0]) {
        seen(b, &e); /* no names: one port for the device */
        return;
    }
    for (unsigned s = 0; s < count && s < 32; s++) {
        snd_rawmidi_info_set_subdevice(info, s);
        if (snd_ctl_rawmidi_info(ctl, info) < 0)
            continue;
        char sub_name[RB_NAME];
        snprintf(sub_name, sizeof(sub_name), "%s", snd_rawmidi_info_get_subdevice_name(info));
        e.sub = (int)s;
        e.sub_name = sub_name;
        seen(b, &e);
    }
}

/* Control thread. */
void rb_ports_sync(struct rb *b)
{
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++)
        b->ports[i].seen = 0;
    int card = -1;
    while (snd_card_next(&card) >= 0 && card >= 0) {
        char name[32];
        snd_ctl_t *ctl;
        snprintf(name, sizeof(name), "hw:%d", card);
        if (snd_ctl_open(&ctl, name, SND_CTL_NONBLOCK) < 0)
            continue; /* going away */
        snd_ctl_card_info_t *ci;
        snd_ctl_card_info_alloca(&ci);
        char card_id[RB_NAME] = "";
        if (snd_ctl_card_info(ctl, ci) >= 0)
            snprintf(card_id, sizeof(card_id), "%s", snd_ctl_card_info_get_id(ci));
        int dev = -1;
        while (snd_ctl_rawmidi_next_device(ctl, &dev) >= 0 && dev >= 0) {
            scan_stream(b, ctl, card, card_id, dev, 1);
            scan_stream(b, ctl, card, card_id, dev, 0);
        }
        snd_ctl_close(ctl);
    }
    /* gone: unpublished, then, once the process callback cannot use them,
     * closed and removed */
    int gone = 0;
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++) {
        struct rb_port *p = &b->ports[i];
        if (p->used && !p->seen) {
            atomic_store_explicit(&p->rt_port, NULL, memory_order_release);
            gone = 1;
        }
    }
    if (gone) {
        quiesce(b);
        for (uint32_t i = 0; i < RB_MAX_PORTS; i++)
            if (b->ports[i].used && !b->ports[i].seen)
                remove_port(b, &b->ports[i]);
    }
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++)
        if (b->ports[i].used)
            follow(b, &b->ports[i]);
}

/* Control thread (or the loader's, at the end: the control thread has
 * ended). */
void rb_ports_clear(struct rb *b)
{
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++)
        atomic_store_explicit(&b->ports[i].rt_port, NULL, memory_order_release);
    for (uint32_t i = 0; i < RB_MAX_PORTS; i++)
        if (b->ports[i].used)
            remove_port(b, &b->ports[i]);
}
