/* tools/rillctl_midi.c — what `rillctl status` shows of the ALSA MIDI
 * bridge: the events it dropped, which it publishes as the property
 * http://rill.audio/ns/midi#dropped of its client alsa_midi (midi/
 * seq_bridge.c, doc/midi.md). Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rill/protocol.h"
#include "tools/rillctl.h"

#define DROPPED_KEY "http://rill.audio/ns/midi#dropped"

/* The value of the bridge's drop count into out: 0, or -1 when there is no
 * bridge or no count (yet). */
int rill_ctl_midi_dropped(struct ctl *ctl, char *out, size_t size)
{
    uint64_t uuid = 0;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS && !uuid; slot++) {
        struct rill_shm_client c;
        if (rill_registry_client(ctl->st, slot, &c) == 0 && strcmp(c.name, "alsa_midi") == 0)
            uuid = c.uuid;
    }
    if (!uuid)
        return -1;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PROPERTY_READ;
    m.u.property.op = RILL_PROPERTY_ONE;
    m.u.property.subject = uuid;
    memcpy(m.u.property.data, DROPPED_KEY, sizeof(DROPPED_KEY));
    if (rill_client_request(ctl->client, &m) < 0 || m.u.property.total == 0)
        return -1;
    /* one short record in the first chunk: subject (8), three lengths (12),
     * then key\0value\0type\0 */
    uint32_t len = m.u.property.len, lens[3];
    if (len < 20 || len > RILL_PROPERTY_CHUNK || m.u.property.total != len)
        return -1;
    memcpy(lens, m.u.property.data + 8, sizeof(lens));
    size_t vpos = 20 + (size_t)lens[0] + 1;
    if (lens[0] >= len || lens[1] >= len || vpos + lens[1] >= len ||
        m.u.property.data[vpos + lens[1]] != '\0')
        return -1;
    snprintf(out, size, "%s", m.u.property.data + vpos);
    return 0;
}
