/* midi/midi_rawdev.h — which rawmidi devices the raw MIDI bridge takes
 * (rilld --midi-raw DEVICE, --midi seq,raw=DEVICE; doc/midi.md):
 *
 *   hw:CARD,DEVICE[,SUBDEVICE]   CARD: the card's number (0..31) or its id
 *                                (hw:VirMIDI,0: stable when cards come in
 *                                another order); DEVICE and SUBDEVICE 0..31
 *
 * An empty list: every device (plain --midi raw). The raw bridge bridges
 * only the devices listed; the sequencer bridge beside it leaves out only
 * their sequencer ports, so that no device is bridged twice.
 *
 * Used by rilld's option parser (engine/options.c), the raw bridge
 * (midi/raw_ports.c) and the sequencer bridge (midi/seq_ports.c). Pure:
 * no ALSA call, no allocation. Any thread.
 */
#ifndef RILL_MIDI_RAWDEV_H
#define RILL_MIDI_RAWDEV_H

#include <stddef.h>

#define RILL_MIDI_RAWDEV_MAX 16u  /* devices in a list */
#define RILL_MIDI_RAWDEV_ID 32u   /* a card id, '\0' included */

struct rill_midi_rawdev {
    char card_id[RILL_MIDI_RAWDEV_ID]; /* "" when given by number */
    int card;                          /* the number; -1: by id, not resolved */
    int device;
    int sub;                           /* -1: every subdevice */
};

struct rill_midi_rawdevs {
    unsigned n;
    struct rill_midi_rawdev d[RILL_MIDI_RAWDEV_MAX];
};

/* One DEVICE (as above) into *d: 0, or -EINVAL with err naming what was
 * wrong and what is allowed ("what" prefixes it: the option's name). */
int rill_midi_rawdev_parse(const char *s, struct rill_midi_rawdev *d, const char *what,
                           char *err, size_t errsize);

/* Append DEVICE s to list l: 0, or -EINVAL (bad, or more than
 * RILL_MIDI_RAWDEV_MAX) with err. */
int rill_midi_rawdevs_add(struct rill_midi_rawdevs *l, const char *s, const char *what,
                          char *err, size_t errsize);

/* A list as one word: the devices joined by '+' (the bridges' load_init
 * argument "devices=..."); 0, or -ENOSPC when size is too small. */
int rill_midi_rawdevs_format(const struct rill_midi_rawdevs *l, char *out, size_t size);

/* A '+'-joined list (as _format writes it) into *l: 0, or -EINVAL with
 * err. */
int rill_midi_rawdevs_parse_list(const char *s, struct rill_midi_rawdevs *l, const char *what,
                                 char *err, size_t errsize);

/* Take "key=VALUE" out of a module's load_init text args (in place: the
 * pair becomes blanks; VALUE ends at white space or the end, so that it
 * may hold commas) and parse VALUE as a '+'-joined list into *l. 0 (also
 * when there is no such key: l is left as it is), or -EINVAL with err. */
int rill_midi_rawdevs_take(char *args, const char *key, struct rill_midi_rawdevs *l,
                           const char *what, char *err, size_t errsize);

/* Is the endpoint (card number, card id or NULL, device, sub: -1 the
 * whole device) in list l? A list entry by id matches card_id, or with
 * card_id NULL the entry's resolved number (rill_midi_rawdevs_resolve). An
 * entry without a subdevice covers every one; an endpoint without one (a
 * device opened as a whole) is covered by any entry of its device. */
int rill_midi_rawdevs_match(const struct rill_midi_rawdevs *l, int card, const char *card_id,
                            int device, int sub);

/* The device and subdevice behind a sequencer port of a card's kernel
 * client: VirMIDI's clients are named "NAME C-D" (C the card's number),
 * one port per device (sub -1); snd-seq-midi gives the port DEVICE * 32 +
 * SUBDEVICE. */
void rill_midi_rawdev_of_seq_port(const char *client_name, int card, int port, int *device,
                                  int *sub);

#endif
