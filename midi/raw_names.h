/* midi/raw_names.h — the base name of a rawmidi endpoint for the raw MIDI
 * bridge (midi/raw_ports.c), with the sequencer bridge's rules
 * (midi_names.h), from ALSA names and the device's number inside its card:
 *   - a subdevice with a name (USB interfaces: "UM-ONE MIDI 1"): the
 *     device's and the subdevice's names, as rill_midi_name_base gives for
 *     a sequencer client and port, so "UM-ONE" / "UM-ONE MIDI 1" ->
 *     "UM-ONE MIDI 1", the sequencer bridge's name for the same jack
 *     (snd-seq-midi names its client after the card and its ports after
 *     the subdevices);
 *   - subdevices without names (VirMIDI, MPU-401): the device's name and
 *     its number ("Virtual Raw MIDI" 1 -> "Virtual Raw MIDI 1"); the
 *     number is fixed by the driver, unlike the card's index;
 *   - nothing left after cleaning: "rawmidi D".
 * Any thread; no allocation.
 */
#ifndef RILL_MIDI_RAW_NAMES_H
#define RILL_MIDI_RAW_NAMES_H

#include <stddef.h>

/* The base into out (size bytes, at least RILL_MIDI_NAME_MAX + 1 for a
 * name that is never cut short). sub_name NULL or "": no name. */
void rill_midi_raw_base(const char *dev_name, const char *sub_name, int device, char *out,
                        size_t size);

#endif
