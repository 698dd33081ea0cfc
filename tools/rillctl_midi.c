/* tools/rillctl_midi.c — what `rillctl status` shows of the ALSA MIDI
 * bridges: the events they dropped, which each publishes as the properties
 * http://rill.audio/ns/midi#dropped (the total) and #drops (the breakdown,
 * "key=N ...") of its client: alsa_midi, the sequencer bridge
 * (midi/seq_bridge.c), and alsa_rawmidi, the raw bridge
 * (midi/raw_bridge.c); doc/midi.md, doc/rillctl.md. Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rill/protocol.h"
#include "tools/json_out.h"
#include "tools/rillctl.h"

#define DROPPED_KEY "http://rill.audio/ns/midi#dropped"
#define DROPS_KEY "http://rill.audio/ns/midi#drops"

/* One bridge: its client, its JSON object and the breakdown's names, in
 * the order rillctl status --json prints them (doc/rillctl.md); the bridge
 * publishes them as "name=N" words. */
struct bridge {
    const char *client;
    const char *json;
    const char *text; /* the status line's label */
    const char *const keys[RILL_CTL_MIDI_COUNTS + 1];
};

static const struct bridge bridges[RILL_CTL_MIDI_BRIDGES] = {
    [RILL_CTL_MIDI_SEQ] = { "alsa_midi", "midi", "midi dropped: ",
                            { "malformed", "sysex_too_long", "kernel_overruns",
                              "input_ring_full", "output_ring_full", "too_large", "refused",
                              "before_export", "late_cycles_held", "sysex_fragmented", NULL } },
    [RILL_CTL_MIDI_RAW] = { "alsa_rawmidi", "midi_raw", "midi raw dropped: ",
                            { "malformed", "sysex_too_long", "kernel_overruns",
                              "input_ring_full", "output_ring_full", "too_large",
                              "not_written", "left_at_close", "sysex_fragmented", NULL } },
};

/* The value of the bridge client's property key into out: 0, or -1 when
 * there is no such bridge or no such property (yet). */
static int bridge_property(struct ctl *ctl, const char *client, const char *key, char *out,
                           size_t size)
{
    uint64_t uuid = 0;
    for (uint32_t slot = 0; slot < RILL_MAX_CLIENTS && !uuid; slot++) {
        struct rill_shm_client c;
        if (rill_registry_client(ctl->st, slot, &c) == 0 && strcmp(c.name, client) == 0)
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

/* Main thread. */
int rill_ctl_midi_dropped(struct ctl *ctl, int which, char *out, size_t size)
{
    if (which < 0 || which >= RILL_CTL_MIDI_BRIDGES)
        return -1;
    return bridge_property(ctl, bridges[which].client, DROPPED_KEY, out, size);
}

/* Main thread. */
const char *rill_ctl_midi_label(int which)
{
    return which >= 0 && which < RILL_CTL_MIDI_BRIDGES ? bridges[which].text : "";
}

/* Main thread. */
void rill_ctl_midi_read(struct ctl *ctl, int which, struct rill_ctl_midi *out)
{
    char v[512];
    memset(out, 0, sizeof(*out));
    out->which = which;
    if (which < 0 || which >= RILL_CTL_MIDI_BRIDGES)
        return;
    const struct bridge *br = &bridges[which];
    if (bridge_property(ctl, br->client, DROPPED_KEY, v, sizeof(v)) == 0) {
        out->bridge = 1;
        out->dropped = strtoull(v, NULL, 10);
    }
    if (bridge_property(ctl, br->client, DROPS_KEY, v, sizeof(v)) < 0)
        return;
    out->bridge = 1;
    char *save = NULL;
    for (char *w = strtok_r(v, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(w, '=');
        if (!eq)
            continue;
        *eq = '\0';
        for (int k = 0; k < RILL_CTL_MIDI_COUNTS && br->keys[k]; k++)
            if (strcmp(w, br->keys[k]) == 0)
                out->count[k] = strtoull(eq + 1, NULL, 10);
    }
}

/* Main thread: the bridge's object ("midi", "midi_raw") of status --json. */
void rill_ctl_midi_json(struct rill_json *j, const struct rill_ctl_midi *m)
{
    if (m->which < 0 || m->which >= RILL_CTL_MIDI_BRIDGES)
        return;
    const struct bridge *br = &bridges[m->which];
    rill_json_begin_object(j, br->json);
    rill_json_bool(j, "bridge", m->bridge);
    rill_json_uint(j, "dropped", m->dropped);
    for (int k = 0; k < RILL_CTL_MIDI_COUNTS && br->keys[k]; k++)
        rill_json_uint(j, br->keys[k], m->count[k]);
    rill_json_end_object(j);
}
