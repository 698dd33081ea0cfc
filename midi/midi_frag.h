/* midi/midi_frag.h — a MIDI message longer than a rill MIDI buffer (a long
 * sysex, up to --midi-sysex) delivered to a rill MIDI output port in
 * fragments over consecutive cycles, from a single-producer single-consumer
 * ring whose records are a header and the message's bytes.
 *
 * Shared by the ALSA bridges' process callbacks (midi/seq_bridge.c: one
 * ring for all ports; midi/raw_bridge.c: a ring per port). A JACK client
 * reads the fragments as consecutive events (the first begins with f0, the
 * last ends with f7; doc/midi.md "Long sysex"); on the way out the bridges
 * put a client's fragments together again with the byte parser
 * (rill_midi_parser_feed_event, midi_parse.h).
 *
 * Every function runs on the ring's consumer thread (the process
 * callback) and is RT-safe: no allocation, lock or system call.
 */
#ifndef RILL_MIDI_FRAG_H
#define RILL_MIDI_FRAG_H

#include <jack/jack.h>
#include <jack/ringbuffer.h>
#include <stddef.h>
#include <stdint.h>

/* A record being delivered in fragments; zeroed: none. */
struct rill_midi_frag {
    uint32_t left; /* bytes of the record still in the ring */
};

enum rill_midi_put {
    RILL_MIDI_PUT_DONE,    /* in buf whole (or its last fragment) */
    RILL_MIDI_PUT_FULL,    /* buf is full: try again next cycle */
    RILL_MIDI_PUT_TOO_BIG, /* not even one byte fits an empty buf: the
                              caller skips the record and counts it */
};

/* The record at the ring's read position (a header of hlen bytes, then len
 * bytes) into MIDI buffer buf at frame t (< nframes): whole when it fits;
 * when it is larger than buf can ever hold, the fragments start (the ring
 * then stands inside the record, f->left its rest, *fragmented set to 1)
 * and go on with rill_midi_frag_next in the next cycles: FULL with
 * f->left set. DONE and the fragments' start consume the header; FULL
 * without fragments and TOO_BIG leave the ring as it was. RT-safe. */
enum rill_midi_put rill_midi_frag_put(struct rill_midi_frag *f, jack_ringbuffer_t *ring,
                                      size_t hlen, uint32_t len, void *buf, uint32_t t,
                                      int *fragmented);

/* The next piece of f's record into buf at frame t (< nframes): returns 1
 * when the record is done, 0 when buf is full (the rest next cycle).
 * RT-safe. */
int rill_midi_frag_next(struct rill_midi_frag *f, jack_ringbuffer_t *ring, void *buf, uint32_t t);

/* Skip the rest of f's record (its port went away). RT-safe. */
void rill_midi_frag_skip(struct rill_midi_frag *f, jack_ringbuffer_t *ring);

#endif
