/* tools/rillctl_midi.c — what `rillctl status` shows of the ALSA MIDI
 * bridge: the events it dropped, which it publishes as the properties
 * http://rill.audio/ns/midi#dropped (the total) and #drops (the breakdown,
 * "key=N ...") of its client alsa_midi (midi/seq_bridge.c, doc/midi.md).
 * Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rill/protocol.h"
#include "tools/json_out.h"
#include "tools/rillctl.h"

#define DROPPED_KEY "http://rill.audio/ns/midi#dropped"
#define DROPS_KEY "http://rill.audio/ns/midi#drops"

/* The value of the bridge client's property key into out: 0, or -1 when
 * there is no bridge or no such property (yet). */
static int bridge_property(struct ctl *ctl, const char *key, char *out, size_t size)
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
    if (strlen(key) + 1 > sizeof(m.u.property.data))
        return -1;
    memcpy(m.u.property.data, key, strlen(key) + 1);
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

/* The value of the bridge's drop count into out: 0, or -1 when there is no
 * bridge or no count (yet). */
int rill_ctl_midi_dropped(struct ctl *ctl, char *out, size_t size)
{
    return bridge_property(ctl, DROPPED_KEY, out, size);
}

/* The breakdown's names, in the order rillctl status --json prints them
 * (doc/rillctl.md); the bridge publishes them as "name=N" words. */
static const char *const breakdown[RILL_CTL_MIDI_COUNTS] = {
    "malformed",    "sysex_too_long", "kernel_overruns", "input_ring_full",
    "output_ring_full", "too_large",   "refused",         "before_export",
    "late_cycles_held", "sysex_fragmented",
};

/* Main thread. */
void rill_ctl_midi_read(struct ctl *ctl, struct rill_ctl_midi *out)
{
    char v[512];
    memset(out, 0, sizeof(*out));
    if (bridge_property(ctl, DROPPED_KEY, v, sizeof(v)) == 0) {
        out->bridge = 1;
        out->dropped = strtoull(v, NULL, 10);
    }
    if (bridge_property(ctl, DROPS_KEY, v, sizeof(v)) < 0)
        return;
    out->bridge = 1;
    char *save = NULL;
    for (char *w = strtok_r(v, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(w, '=');
        if (!eq)
            continue;
        *eq = '\0';
        for (int k = 0; k < RILL_CTL_MIDI_COUNTS; k++)
            if (strcmp(w, breakdown[k]) == 0)
                out->count[k] = strtoull(eq + 1, NULL, 10);
    }
}

/* Main thread: the "midi" object of status --json. */
void rill_ctl_midi_json(struct rill_json *j, const struct rill_ctl_midi *m)
{
    rill_json_begin_object(j, "midi");
    rill_json_bool(j, "bridge", m->bridge);
    rill_json_uint(j, "dropped", m->dropped);
    for (int k = 0; k < RILL_CTL_MIDI_COUNTS; k++)
        rill_json_uint(j, breakdown[k], m->count[k]);
    rill_json_end_object(j);
}
