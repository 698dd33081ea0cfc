/* midi/midi_names.h — stable rill port names for ALSA MIDI ports.
 *
 * A name comes from the ALSA client's and port's names only, never from a
 * client or port number, so that saved connections survive a restart and
 * another module load order:
 *   1. each name is cleaned: control characters and ':' become spaces, a
 *      parenthesised group of digits and ':' (a PID or an address, as
 *      "FLUID Synth (4711)" or "port (128:0)") is removed, runs of spaces
 *      become one, leading and trailing spaces go;
 *   2. when the port's name begins with the client's name ("Midi Through" /
 *      "Midi Through Port-0") the port's name alone is used, else
 *      "CLIENT PORT";
 *   3. the direction follows: " (capture)" for a port rill reads from
 *      (ALSA readable), " (playback)" for one rill writes to.
 * Only when that name is already taken by another port of the bridge does a
 * suffix " #2", " #3", ... go before the direction.
 *
 * Any thread; no allocation.
 */
#ifndef RILL_MIDI_NAMES_H
#define RILL_MIDI_NAMES_H

#include <stddef.h>

/* Longest short name the bridge makes (bytes, without the NUL); the rest
 * of a longer base is cut at a UTF-8 character boundary. */
#define RILL_MIDI_NAME_MAX 120u

/* Clean one ALSA name (step 1) into out (size bytes). Returns its length. */
size_t rill_midi_name_clean(const char *in, char *out, size_t size);

/* The base of a name (steps 1 and 2) into out. Returns 0, or -EINVAL when
 * both names are empty after cleaning. */
int rill_midi_name_base(const char *client, const char *port, char *out, size_t size);

/* Answers whether a short name is taken. */
typedef int (*rill_midi_name_taken_fn)(void *arg, const char *name);

/* The full short name for base and direction (capture: 1, playback: 0),
 * with the first free collision suffix, into out (at least
 * RILL_MIDI_NAME_MAX + 1 bytes). Returns 0, or -EEXIST when even " #99" is
 * taken. */
int rill_midi_name_unique(const char *base, int capture, rill_midi_name_taken_fn taken, void *arg,
                          char *out, size_t size);

#endif
