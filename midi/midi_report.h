/* midi/midi_report.h — how an ALSA MIDI bridge shows its drop counts: as
 * the properties http://rill.audio/ns/midi#dropped (the total) and #drops
 * (the breakdown, "key=N ...") of its own client, which `rillctl status`
 * reads (tools/rillctl_midi.c names each bridge's keys). Shared by the
 * sequencer bridge (midi/seq_bridge.c) and the raw bridge
 * (midi/raw_bridge.c).
 */
#ifndef RILL_MIDI_REPORT_H
#define RILL_MIDI_REPORT_H

#include <jack/jack.h>
#include <stdint.h>

#define RILL_MIDI_DROPPED_KEY "http://rill.audio/ns/midi#dropped"
#define RILL_MIDI_DROPS_KEY "http://rill.audio/ns/midi#drops"

/* Set both properties on client's own client. 0, or -EIO when the server
 * refused them. A non-realtime thread (JACK metadata calls). */
int rill_midi_publish_drops(jack_client_t *client, uint64_t total, const char *breakdown);

#endif
