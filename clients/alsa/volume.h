/* clients/alsa/volume.h — the ALSA bridge's volume controls.
 *
 * Four values per server, kept in rilld as metadata properties of the
 * `system` client (so every bridge stream of that server, in any process,
 * shares them, and they live exactly as long as the server):
 *
 *   index  key                         ctl.rill element            range
 *   0      urn:rill:alsa:playback-volume  Master Playback Volume    0..100
 *   1      urn:rill:alsa:playback-switch  Master Playback Switch    0/1
 *   2      urn:rill:alsa:capture-volume   Capture Volume            0..100
 *   3      urn:rill:alsa:capture-switch   Capture Switch            0/1
 *
 * Absent: 100 and 1. A stream's gain is switch * (volume / 100)^3 (a cubic
 * curve, so that the slider's middle sounds like the middle); the realtime
 * side ramps to a new gain over one cycle. Streams learn of a change from
 * the server's property event (the notification thread re-reads the values).
 */
#ifndef RILL_ALSA_VOLUME_H
#define RILL_ALSA_VOLUME_H

#include "clients/core/client.h"

enum { RILL_VOL_PLAYBACK, RILL_VOL_PLAYBACK_SWITCH, RILL_VOL_CAPTURE, RILL_VOL_CAPTURE_SWITCH,
       RILL_VOL_COUNT };

#define RILL_VOL_MAX 100

/* The property key of index i. Any thread. */
const char *rill_volume_key(int i);
/* Read the four values (defaults for absent ones). 0 or -errno.
 * Non-realtime thread. */
int rill_volume_read(struct rill_client *c, long v[RILL_VOL_COUNT]);
/* Store value v of index i (clamped to its range). 0 or -errno.
 * Non-realtime thread. */
int rill_volume_write(struct rill_client *c, int i, long v);
/* The gain of a volume and switch. Any thread. */
float rill_volume_gain(long volume, long on);
/* The values that property event ev is about: bit i for index i (all of
 * them when the event names no key), 0 when it is about none. Any thread. */
unsigned rill_volume_event_mask(struct rill_client *c, const struct rill_msg *ev);
/* 1 when ev is a property event about these values. Any thread. */
int rill_volume_event_matches(struct rill_client *c, const struct rill_msg *ev);

#endif
