/* midi/midi_rewrite.h — the per-port rewriting option of the ALSA MIDI
 * bridges (doc/midi.md, "Rewriting"). By default nothing is rewritten; a
 * bridge port whose metadata property RILL_MIDI_REWRITE_KEY holds a list of
 * rules applies them to every message that passes it, in either direction:
 *
 *   note-off        a note-on of velocity 0 becomes a note-off of velocity
 *                   64 (the MIDI 1.0 default release velocity)
 *   channel=N       every channel message moves to channel N (1..16)
 *   only=N          only channel messages of channel N (1..16) pass (system
 *                   messages always pass); with channel=M: filter, then move
 *   drop=CLASS      messages of CLASS are dropped; CLASS is one of
 *                   sysex, clock (f8 fa fb fc), sensing (fe), realtime
 *                   (f8..ff), aftertouch (a0 d0), program (c0),
 *                   controller (b0), pitchbend (e0), note (80 90);
 *                   repeatable (drop=clock,drop=sensing)
 *
 * Rules are separated by commas or spaces; an empty value or "none" means
 * no rewriting. A dropped message is not an error (it is what the user
 * asked for) and is not counted as a drop.
 *
 * The rules pack into one 32-bit word, so that a realtime thread reads them
 * with one atomic load.
 */
#ifndef RILL_MIDI_REWRITE_H
#define RILL_MIDI_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#define RILL_MIDI_REWRITE_KEY "http://rill.audio/ns/midi#rewrite"

#define RILL_MIDI_RW_NOTE_OFF 0x1u
#define RILL_MIDI_RW_CHAN_SHIFT 4   /* bits 4..8: channel 1..16 to move to, 0 none */
#define RILL_MIDI_RW_ONLY_SHIFT 9   /* bits 9..13: the only channel 1..16 passed, 0 all */
#define RILL_MIDI_RW_DROP_SYSEX (1u << 16)
#define RILL_MIDI_RW_DROP_CLOCK (1u << 17)
#define RILL_MIDI_RW_DROP_SENSING (1u << 18)
#define RILL_MIDI_RW_DROP_REALTIME (1u << 19)
#define RILL_MIDI_RW_DROP_AFTERTOUCH (1u << 20)
#define RILL_MIDI_RW_DROP_PROGRAM (1u << 21)
#define RILL_MIDI_RW_DROP_CONTROLLER (1u << 22)
#define RILL_MIDI_RW_DROP_PITCHBEND (1u << 23)
#define RILL_MIDI_RW_DROP_NOTE (1u << 24)

/* Parse a rule list into *out (0: no rewriting). Returns 0, or -EINVAL with
 * a sentence in err naming the rule that is wrong and what is allowed.
 * Any thread. */
int rill_midi_rewrite_parse(const char *text, uint32_t *out, char *err, size_t errsize);

/* Apply rules rw to the whole message msg of len bytes (status first), in
 * place. Returns the message's length afterwards: len, or 0 when the rules
 * drop it. RT-safe. */
size_t rill_midi_rewrite_apply(uint32_t rw, uint8_t *msg, size_t len);

#endif
