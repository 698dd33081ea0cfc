/* midi/midi_parse.h — a MIDI 1.0 byte stream cut into whole messages.
 *
 * The ALSA bridges feed what a device or the sequencer delivers (raw MIDI
 * bytes, or sequencer events decoded to bytes, sysex in the kernel's
 * chunks) and get one callback per complete message, always with its status
 * byte, as JACK MIDI wants it:
 *   - running status is expanded (90 3c 40 3e 40 -> 90 3c 40, 90 3e 40);
 *   - real-time bytes (f8, fa, fb, fc, fe, ff) are messages of their own,
 *     also in the middle of another message or of a sysex, which goes on;
 *   - a sysex (f0 ... f7) is delivered whole, up to the parser's limit;
 *     a longer one is dropped whole and counted (sysex_long);
 *   - a message cut short by a new status byte (a sysex without its f7
 *     included) is dropped and counted (broken);
 *   - a data byte with no status to belong to is counted (stray); f4, f5,
 *     f9 and fd (undefined) are counted (undefined);
 *   - nothing is rewritten (a note-on of velocity 0 stays a note-on).
 * A message's time is the time given with the batch that held its first
 * byte (for a sysex: its f0).
 *
 * One parser per source; it is used from one thread at a time. Every
 * function is RT-safe (no allocation: the sysex buffer is the caller's).
 */
#ifndef RILL_MIDI_PARSE_H
#define RILL_MIDI_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct rill_midi_drops {
    uint64_t stray;      /* data bytes with no status */
    uint64_t undefined;  /* f4 f5 f9 fd */
    uint64_t broken;     /* messages cut short by another status byte */
    uint64_t sysex_long; /* sysex longer than the limit */
};

/* Called once per whole message; data is valid during the call only. */
typedef void (*rill_midi_emit_fn)(void *arg, uint64_t time, const uint8_t *data, size_t len);

struct rill_midi_parser {
    uint8_t running;      /* running status (80..ef), 0: none */
    uint8_t msg[3];
    uint8_t have;         /* bytes in msg, status included; 0: between messages */
    uint8_t need;         /* bytes the message in msg needs, status included */
    uint8_t in_sysex;     /* 1: inside f0 .. f7 */
    uint8_t sysex_over;   /* 1: this sysex passed the limit, dropped at f7 */
    uint64_t msg_time;
    uint64_t sysex_time;
    uint8_t *sysex;       /* caller's buffer of sysex_max bytes */
    size_t sysex_max;     /* the limit, f0 and f7 included; >= 2 */
    size_t sysex_len;
    struct rill_midi_drops drops;
};

/* Start parser p with a sysex buffer of max bytes (the limit; at least 2).
 * Any thread. */
void rill_midi_parser_init(struct rill_midi_parser *p, uint8_t *sysex, size_t max);

/* Forget a message in progress (not counted) and the running status;
 * keeps the drop counts. RT-safe. */
void rill_midi_parser_reset(struct rill_midi_parser *p);

/* Feed n bytes that arrived at time; emit is called for each message that
 * completes. RT-safe, bounded by n. */
void rill_midi_parser_feed(struct rill_midi_parser *p, const uint8_t *bytes, size_t n,
                           uint64_t time, rill_midi_emit_fn emit, void *arg);

/* Feed one JACK MIDI event: a whole message, or a piece of a sysex that a
 * JACK client wrote over consecutive events (f0 .. in the first, .. f7 in
 * the last), which the parser puts together again. A JACK event carries its
 * status byte: there is no running status across events, and a message
 * the last event left unfinished (other than a sysex) is broken. RT-safe,
 * bounded by n. */
void rill_midi_parser_feed_event(struct rill_midi_parser *p, const uint8_t *bytes, size_t n,
                                 uint64_t time, rill_midi_emit_fn emit, void *arg);

/* Bytes a message with this status byte has, status included: 1..3, or 0
 * for f0 (any length), undefined bytes and data bytes. Any thread. */
size_t rill_midi_msg_len(uint8_t status);

/* Sum of the drop counters. Any thread. */
uint64_t rill_midi_drops_total(const struct rill_midi_drops *d);

#endif
