/* midi/seq_bridge.h — the ALSA sequencer bridge: its state, shared by
 * seq_bridge.c (life cycle, the three threads, the process callback) and
 * seq_ports.c (discovery, names, subscriptions). doc/midi.md has the design.
 *
 * The bridge is an internal client of rilld (module alsa_midi.so, loaded at
 * start by rilld --midi seq, the default when /dev/snd/seq exists). Its
 * threads:
 *   - control (normal priority): discovery (on every announcement and once
 *     a second: client renames are not announced), port add/remove/rename,
 *     lazy subscriptions, drop reports; woken through ctl_fd (an eventfd)
 *     by the input thread (announce events) and by JACK callbacks;
 *   - input (SCHED_FIFO): poll + snd_seq_event_input, announce events to
 *     control, MIDI events through a parser per port into in_ring;
 *   - output (SCHED_FIFO): waits on out_wake (futex), sends what out_ring
 *     holds scheduled on the bridge's queue; samples the clock model;
 *   - the client's process callback (the engine's cycle, on the client
 *     core's realtime thread): in_ring -> rill output ports, rill input
 *     ports -> out_ring, futex wake; never a sequencer call.
 * The rings are jack_ringbuffer_t (single producer, single consumer).
 */
#ifndef RILL_MIDI_SEQ_BRIDGE_H
#define RILL_MIDI_SEQ_BRIDGE_H

#include <alsa/asoundlib.h>
#include <jack/jack.h>
#include <jack/ringbuffer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "midi/midi_clock.h"
#include "midi/midi_names.h"
#include "midi/midi_frag.h"
#include "midi/midi_parse.h"
#include "midi/midi_rawdev.h"
#include "midi/midi_rewrite.h"

#define BR_MAX_PORTS 512u          /* bridge ports (one per ALSA port and direction) */
#define BR_RING_BYTES (1u << 21)   /* each ring */
#define BR_SYSEX_DEFAULT 65536u    /* sysex limit, f0 and f7 included */
#define BR_SYSEX_MAX (1u << 20)
#define BR_SYSEX_CHUNK 4096u       /* the longest sysex event sent (the kernel's pools) */
#define BR_SYSEX_GAP_NS 2000000ull /* between the chunks of a long sysex */
#define BR_SYSEX_PENDING 4u        /* long sysex paced out at once (more: all chunks queued) */
#define BR_ALSA_NAME 64u
#define BR_MAX_EXPORTS 512u        /* rill MIDI ports shown as ALSA ports */
#define BR_ADDR_EXPORT 0x10000u    /* rt_addr flag: send from port (addr & 0xff) to its subscribers */

/* A record in a ring: this header, then len bytes of one MIDI message. */
struct br_rec {
    uint32_t slot;
    uint32_t gen;     /* the slot's generation when the record was made */
    uint32_t len;
    uint32_t pad;
    uint64_t ns;      /* CLOCK_MONOTONIC: in: when it arrived (kernel stamp),
                         out: when it is to be played */
};

struct br_port {
    /* control thread only */
    int used;
    int capture;               /* 1: a rill output port (ALSA -> rill) */
    int export;                /* 1: a helper of an exported port (seq_export.c) */
    int client, port;          /* ALSA address */
    int seen;                  /* found by the current scan */
    int subscribed;
    char alsa_client[BR_ALSA_NAME];
    char alsa_port[BR_ALSA_NAME];
    char base[RILL_MIDI_NAME_MAX + 1]; /* the name before suffix and direction */
    char name[RILL_MIDI_NAME_MAX + 1]; /* rill short name */
    jack_port_t *jp;
    char rw_text[128];         /* the rewrite rules last read (RILL_MIDI_REWRITE_KEY) */

    /* published by the control thread (release) for the realtime threads */
    _Atomic(jack_port_t *) rt_port; /* NULL: not in use */
    _Atomic uint32_t rt_gen;
    _Atomic uint32_t rt_addr;       /* client << 8 | port */
    _Atomic uint32_t rt_rewrite;    /* midi_rewrite.h rules, 0: none */

    /* the input thread (capture ports: the ALSA byte stream cut into
     * messages) or the output thread (playback ports: JACK events put
     * together again, a long sysex from its fragments) */
    uint32_t parser_gen;
    struct rill_midi_parser parser;
    uint8_t *sysex;                 /* sysex_max bytes; kept for the slot's life */
    uint64_t out_busy_until;        /* output thread: a long sysex goes out until then */
};

/* A long sysex going out chunk by chunk (seq_bridge.c, out_pace): the
 * next chunk is written once the one before is due, so that the kernel
 * never holds more than two of them, whatever the queue's timer does (a late
 * timer would deliver every chunk queued ahead at once, more than a
 * reader's input pool holds). Output thread only. */
struct br_pend {
    int used;
    uint32_t slot, gen;             /* the port it goes to */
    uint32_t len, off;              /* data[off, len) still to send */
    uint64_t last_ns;               /* when the chunk sent last plays */
    uint8_t *data;                  /* sysex_max bytes, allocated at start */
};

/* A rill MIDI port of another client shown as a port of our sequencer
 * client (seq_export.c). Control thread only. */
struct br_export {
    int used;
    int seen;
    int sink;                  /* the rill port is an input: ALSA writes to it */
    int alsa_port;             /* our sequencer port */
    int helper;                /* slot in ports[] while ALSA programs use it, else -1 */
    char target[256];          /* the rill port's full name */
};

/* Drops, each counted where it happens (relaxed: statistics). */
struct br_drops {
    _Atomic uint64_t parse;      /* malformed or too-long input (parser) */
    _Atomic uint64_t sysex_long; /* of which: sysex over the limit */
    _Atomic uint64_t overrun;    /* the kernel's input fifo overflowed */
    _Atomic uint64_t in_ring;    /* in_ring full */
    _Atomic uint64_t out_ring;   /* out_ring full */
    _Atomic uint64_t too_big;    /* larger than a rill MIDI buffer can hold */
    _Atomic uint64_t send;       /* the sequencer refused an event */
    _Atomic uint64_t no_port;    /* sent to an exported port before its rill side was made */
    _Atomic uint64_t read_err;   /* snd_seq_event_input failed (not counted above) */
    _Atomic int last_read_err;   /* its last -errno */
    /* not drops: cycles in which the process callback ran after its
     * cycle's end and kept its events for the next one (a late node's
     * output is never read: they would have been lost) */
    _Atomic uint64_t late_held;
    /* not drops: sysex delivered to rill in fragments (longer than a rill
     * MIDI buffer; doc/midi.md says what a JACK client sees) */
    _Atomic uint64_t fragmented;
};

struct br {
    jack_client_t *client;
    snd_seq_t *seq;
    int own;                   /* our ALSA client number */
    int io_port;               /* our port that subscribes to others */
    int queue;
    uint32_t sysex_max;
    int verbose;
    int raw;                   /* raw=1: the raw bridge (alsa_rawmidi) has the
                                  cards' MIDI devices: their ports are left out */
    struct rill_midi_rawdevs raw_devs; /* raw_devices=: only these (implies
                                  raw=1); empty: every card's device */

    _Atomic int stop;
    int ctl_fd;                /* eventfd: wakes the control thread */
    pthread_t ctl_thread, in_thread, out_thread;
    int ctl_started, in_started, out_started;

    jack_ringbuffer_t *in_ring;  /* input thread -> process callback */
    jack_ringbuffer_t *out_ring; /* process callback -> output thread */
    _Atomic uint32_t out_wake;   /* futex word: bumped after pushing */
    _Atomic uint64_t cycles;     /* process callbacks run (control's quiesce) */

    struct rill_midi_clock clock;   /* output thread */
    struct rill_midi_clock_pub clock_pub;

    /* capture slot + 1 by ALSA address (client << 8 | port), 0: none;
     * written by control, read by the input thread */
    _Atomic uint16_t slot_of[65536];
    struct br_port ports[BR_MAX_PORTS];
    /* helper slot + 1 by our sequencer port number, for events ALSA
     * programs send to an exported port; control writes, input reads */
    _Atomic uint16_t export_slot[256];
    struct br_export exports[BR_MAX_EXPORTS];
    char own_prefix[80];       /* "alsa_midi:": our own ports are never exported */
    struct br_drops drops;
    uint64_t drops_reported;   /* control thread */
    uint64_t stats_reported;   /* control thread: late_held + fragmented published */
    uint64_t read_err_reported;

    /* process callback only */
    void *bufs[BR_MAX_PORTS];
    uint32_t last_time[BR_MAX_PORTS];
    uint32_t test_stall;       /* RILL_MIDI_TEST_STALL (set before activation) */
    uint32_t test_cycles;
    struct rill_midi_frag frag; /* a long in_ring record being delivered */
    uint32_t frag_slot, frag_gen;  /* its port */

    _Atomic int props_dirty;   /* a property changed: control re-reads the rewrite rules */

    /* input thread only */
    snd_midi_event_t *dec;
    uint8_t *in_scratch;       /* sysex_max + sizeof(struct br_rec) */
    /* output thread only */
    snd_midi_event_t *enc;
    uint8_t *out_scratch;
    struct br_pend pend[BR_SYSEX_PENDING];
};

/* seq_ports.c. Control thread. */
/* Scan the sequencer; add, rename and remove bridge ports; bring every
 * subscription in line with its port's connections. */
void br_ports_sync(struct br *b);
/* seq_ports.c helpers shared with seq_export.c. Control thread. */
void br_port_publish(struct br *b, struct br_port *p, uint32_t slot);
void br_port_unpublish(struct br *b, struct br_port *p);
void br_quiesce(struct br *b);
void br_port_remove(struct br *b, struct br_port *p);
int br_name_taken(void *arg, const char *name);

/* Read every bridge port's rewrite rules (RILL_MIDI_REWRITE_KEY) and
 * publish them. Control thread. */
void br_ports_rewrite(struct br *b);

/* seq_export.c. Control thread. */
/* Show every rill MIDI port of every other client as a port of our
 * sequencer client; make the rill side of one while ALSA programs are
 * subscribed to it. */
void br_exports_sync(struct br *b);
/* Delete every exported port (at the end). */
void br_exports_clear(struct br *b);

/* Remove every bridge port (at the end: the process callback and the
 * input and output threads no longer run). */
void br_ports_clear(struct br *b);

/* seq_bridge.c: wake the control thread. Any thread. */
void br_ctl_wake(struct br *b);
/* Log a line with the bridge's prefix (stderr). Non-realtime threads. */
__attribute__((format(printf, 1, 2))) void br_log(const char *fmt, ...);

#endif
