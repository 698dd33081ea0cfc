/* midi/midi_report.c — a bridge's drop counts as client properties
 * (midi_report.h). */
#include "midi/midi_report.h"

#include <errno.h>
#include <jack/metadata.h>
#include <jack/uuid.h>
#include <stdio.h>

/* A non-realtime thread. */
int rill_midi_publish_drops(jack_client_t *client, uint64_t total, const char *breakdown)
{
    char v[32];
    jack_uuid_t u;
    int r = -EIO;
    char *uuid = jack_get_uuid_for_client_name(client, jack_get_client_name(client));
    if (uuid && jack_uuid_parse(uuid, &u) == 0) {
        snprintf(v, sizeof(v), "%llu", (unsigned long long)total);
        if (jack_set_property(client, u, RILL_MIDI_DROPPED_KEY, v, NULL) == 0 &&
            jack_set_property(client, u, RILL_MIDI_DROPS_KEY, breakdown, NULL) == 0)
            r = 0;
    }
    jack_free(uuid);
    return r;
}
