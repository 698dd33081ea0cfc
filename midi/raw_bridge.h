/* midi/raw_bridge.h — the raw MIDI bridge: every ALSA rawmidi device
 * (hw:C,D or hw:C,D,S) as rill MIDI ports of the internal client
 * alsa_rawmidi (module alsa_rawmidi.so, loaded by rilld --midi raw or
 * --midi seq,raw). Shared by raw_bridge.c (life cycle, control thread,
 * process callback), raw_ports.c (discovery, names, lazy opening) and
 * raw_io.c (one I/O thread per open direction). doc/midi.md has the design.
 *
 * Threads:
 *   - control (normal priority): scans the cards (snd_ctl_rawmidi_next_device)
 *     on every change of /dev/snd (inotify), on a wake-up (a JACK
 *     connection changed, an I/O thread failed) and once a second; adds,
 *     renames and removes rill ports; opens a device's direction only while
 *     its rill port has a connection and closes it after; logs drops;
 *   - one I/O thread per open direction (SCHED_FIFO, started by control):
 *     input: poll + snd_rawmidi_tread (the kernel's CLOCK_MONOTONIC stamp of
 *     each batch of bytes), the port's parser, records into the port's ring;
 *     output: takes records from the port's ring, sleeps until each one's
 *     time (clock_nanosleep, absolute) and writes it with non-blocking
 *     writes and poll; an error (ENODEV: unplugged) ends the thread and
 *     wakes control, which closes the device;
 *   - the client's process callback (the engine's cycle): ring -> rill
 *     output port, rill input port -> ring, a futex wake; no ALSA call, no
 *     allocation, no lock.
 * Each port has one ring (jack_ringbuffer_t, single producer and single
 * consumer), made when the port is added and freed after it is removed.
 */
#ifndef RILL_MIDI_RAW_BRIDGE_H
#define RILL_MIDI_RAW_BRIDGE_H

#include <alsa/asoundlib.h>
#include <jack/jack.h>
#include <jack/ringbuffer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "midi/midi_frag.h"
#include "midi/midi_names.h"
#include "midi/midi_parse.h"
#include "midi/midi_rawdev.h"

#define RB_MAX_PORTS 256u         /* one per rawmidi endpoint and direction */
#define RB_SYSEX_DEFAULT 65536u   /* sysex limit, f0 and f7 included */
#define RB_SYSEX_MAX (1u << 20)
#define RB_NAME 80u               /* ALSA names (the kernel's are at most 80) */

/* A record in a port's ring: this header, then len bytes of one message. */
struct rb_rec {
    uint32_t gen;     /* the port's generation when the record was made */
    uint32_t len;
    uint64_t ns;      /* CLOCK_MONOTONIC: in: the kernel's stamp of its first
                         byte; out: when it is to be written */
};

struct rb_port {
    /* control thread only */
    int used;
    int capture;               /* 1: a rill output port (device -> rill) */
    int seen;                  /* found by the current scan */
    int card, device, sub;     /* sub -1: a device whose subdevices have no
                                  names (opened as hw:C,D, any free one) */
    char card_id[RB_NAME];     /* the card's id (stable, e.g. "VirMIDI") */
    char dev_name[RB_NAME];
    char sub_name[RB_NAME];
    char base[RILL_MIDI_NAME_MAX + 1];
    char name[RILL_MIDI_NAME_MAX + 1];
    jack_port_t *jp;
    snd_rawmidi_t *rm;         /* open while the rill port has a connection */
    int open_err;              /* the last failed open's -errno, 0: none */
    uint64_t retry_ns;         /* no new open before (after a failure) */
    pthread_t thread;
    int thread_on;
    struct rb *owner;          /* for the I/O thread */

    /* control -> I/O thread */
    _Atomic int io_stop;
    /* I/O thread -> control: the error that ended the thread (-errno) */
    _Atomic int io_err;
    _Atomic int io_done;

    /* made at add, freed at removal; producer and consumer as above */
    jack_ringbuffer_t *ring;
    _Atomic uint32_t wake;     /* output: futex word bumped after a push */

    /* published by control (release) for the process callback */
    _Atomic(jack_port_t *) rt_port; /* NULL: not in use */
    _Atomic uint32_t rt_gen;

    /* the I/O thread only: input: the device's bytes into messages;
     * output: JACK events into whole messages (a sysex that a client wrote
     * in fragments put together again) */
    struct rill_midi_parser parser;
    uint8_t *sysex;            /* sysex_max bytes */
    uint8_t *scratch;          /* input: sysex_max + header; output: the
                                  longest record */
    /* process callback only */
    uint32_t last_time;
    struct rill_midi_frag frag; /* capture: a record going in fragments */
    uint32_t frag_gen;          /* its port's generation */
};

/* Drops, each counted where it happens (relaxed: statistics). */
struct rb_drops {
    _Atomic uint64_t parse;      /* malformed or too long input (parser) */
    _Atomic uint64_t sysex_long; /* of which: sysex over the limit */
    _Atomic uint64_t overrun;    /* bytes the kernel's input buffer lost */
    _Atomic uint64_t in_ring;    /* a port's ring full (input) */
    _Atomic uint64_t out_ring;   /* a port's ring full (output) */
    _Atomic uint64_t too_big;    /* larger than a rill MIDI buffer can hold */
    _Atomic uint64_t write_err;  /* a write failed (a device gone mid-message) */
    _Atomic uint64_t closed;     /* output left in a ring when its device closed */
    /* not a drop: sysex delivered to rill in fragments (longer than a rill
     * MIDI buffer) */
    _Atomic uint64_t fragmented;
};

struct rb {
    jack_client_t *client;
    uint32_t sysex_max;
    size_t ring_bytes;
    int verbose;
    int prio, rt;              /* the I/O threads' scheduling */
    struct rill_midi_rawdevs devs; /* devices=: only these; empty: every one */

    _Atomic int stop;
    int ctl_fd;                /* eventfd: wakes the control thread */
    int ino_fd;                /* inotify on the device directory, -1: none */
    char dev_dir[256];         /* /dev/snd */
    pthread_t ctl_thread;
    int ctl_started;

    _Atomic uint64_t cycles;   /* process callbacks run (control's quiesce) */
    struct rb_port ports[RB_MAX_PORTS];
    struct rb_drops drops;
    uint64_t drops_reported;   /* control thread: the total published */
    uint64_t frag_reported;    /* control thread: fragmented published */
    uint64_t drops_logged;     /* control thread: the total logged */
    uint64_t drops_log_ns;     /* control thread: when it was logged */
};

/* raw_ports.c. Control thread. */
/* Scan the cards; add, rename and remove ports; open and close each
 * direction as its rill port's connections say; reap failed I/O threads. */
void rb_ports_sync(struct rb *b);
/* Close and remove every port (at the end). */
void rb_ports_clear(struct rb *b);

/* raw_io.c. Control thread: start and stop p's I/O thread (p->rm open). */
int rb_io_start(struct rb *b, struct rb_port *p);
void rb_io_stop(struct rb *b, struct rb_port *p);

/* raw_bridge.c */
/* Wake the control thread. Any thread. */
void rb_ctl_wake(struct rb *b);
/* Log a line with the bridge's prefix (stderr). Non-realtime threads. */
__attribute__((format(printf, 1, 2))) void rb_log(const char *fmt, ...);
/* CLOCK_MONOTONIC in ns. Any thread. */
uint64_t rb_now_ns(void);
/* Add n to a drop counter. Any thread (relaxed: a statistic). */
void rb_drop(_Atomic uint64_t *c, uint64_t n);

#endif
