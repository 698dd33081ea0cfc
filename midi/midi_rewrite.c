/* midi/midi_rewrite.c — the per-port rewriting rules (midi_rewrite.h). */
#include "midi/midi_rewrite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    uint32_t bit;
} drop_classes[] = {
    { "sysex", RILL_MIDI_RW_DROP_SYSEX },           { "clock", RILL_MIDI_RW_DROP_CLOCK },
    { "sensing", RILL_MIDI_RW_DROP_SENSING },       { "realtime", RILL_MIDI_RW_DROP_REALTIME },
    { "aftertouch", RILL_MIDI_RW_DROP_AFTERTOUCH }, { "program", RILL_MIDI_RW_DROP_PROGRAM },
    { "controller", RILL_MIDI_RW_DROP_CONTROLLER }, { "pitchbend", RILL_MIDI_RW_DROP_PITCHBEND },
    { "note", RILL_MIDI_RW_DROP_NOTE },
};

#define RULES_HELP                                                                             \
    "use note-off, channel=1..16, only=1..16, drop=sysex|clock|sensing|realtime|aftertouch|" \
    "program|controller|pitchbend|note, or none, separated by commas"

static int channel_value(const char *v, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 16)
        return -EINVAL;
    *out = (uint32_t)n;
    return 0;
}

/* Any thread. */
int rill_midi_rewrite_parse(const char *text, uint32_t *out, char *err, size_t errsize)
{
    char buf[256];
    uint32_t rw = 0;
    if (!text)
        text = "";
    if (strlen(text) >= sizeof(buf)) {
        snprintf(err, errsize, "the rewrite rules are too long (at most %zu bytes): " RULES_HELP,
                 sizeof(buf) - 1);
        return -EINVAL;
    }
    strcpy(buf, text);
    char *save = NULL;
    for (char *r = strtok_r(buf, ", \t\n", &save); r; r = strtok_r(NULL, ", \t\n", &save)) {
        uint32_t ch;
        if (strcmp(r, "none") == 0) {
            continue;
        } else if (strcmp(r, "note-off") == 0) {
            rw |= RILL_MIDI_RW_NOTE_OFF;
        } else if (strncmp(r, "channel=", 8) == 0 && channel_value(r + 8, &ch) == 0) {
            rw = (rw & ~(0x1fu << RILL_MIDI_RW_CHAN_SHIFT)) | ch << RILL_MIDI_RW_CHAN_SHIFT;
        } else if (strncmp(r, "only=", 5) == 0 && channel_value(r + 5, &ch) == 0) {
            rw = (rw & ~(0x1fu << RILL_MIDI_RW_ONLY_SHIFT)) | ch << RILL_MIDI_RW_ONLY_SHIFT;
        } else if (strncmp(r, "drop=", 5) == 0) {
            size_t k;
            for (k = 0; k < sizeof(drop_classes) / sizeof(drop_classes[0]); k++)
                if (strcmp(r + 5, drop_classes[k].name) == 0)
                    break;
            if (k == sizeof(drop_classes) / sizeof(drop_classes[0])) {
                snprintf(err, errsize, "'%s' is not a rewrite rule: " RULES_HELP, r);
                return -EINVAL;
            }
            rw |= drop_classes[k].bit;
        } else {
            snprintf(err, errsize, "'%s' is not a rewrite rule: " RULES_HELP, r);
            return -EINVAL;
        }
    }
    *out = rw;
    return 0;
}

/* RT-safe. */
size_t rill_midi_rewrite_apply(uint32_t rw, uint8_t *msg, size_t len)
{
    if (rw == 0 || len == 0)
        return len;
    uint8_t s = msg[0];
    if (s >= 0xf8) {
        if (rw & RILL_MIDI_RW_DROP_REALTIME)
            return 0;
        if ((rw & RILL_MIDI_RW_DROP_CLOCK) && (s == 0xf8 || s == 0xfa || s == 0xfb || s == 0xfc))
            return 0;
        if ((rw & RILL_MIDI_RW_DROP_SENSING) && s == 0xfe)
            return 0;
        return len;
    }
    if (s == 0xf0)
        return (rw & RILL_MIDI_RW_DROP_SYSEX) ? 0 : len;
    if (s < 0x80 || s >= 0xf0)
        return len; /* system common: no channel */
    uint8_t kind = s & 0xf0;
    uint32_t only = (rw >> RILL_MIDI_RW_ONLY_SHIFT) & 0x1f;
    if (only && (uint32_t)(s & 0x0f) + 1 != only)
        return 0;
    switch (kind) {
    case 0x80:
    case 0x90:
        if (rw & RILL_MIDI_RW_DROP_NOTE)
            return 0;
        break;
    case 0xa0:
    case 0xd0:
        if (rw & RILL_MIDI_RW_DROP_AFTERTOUCH)
            return 0;
        break;
    case 0xb0:
        if (rw & RILL_MIDI_RW_DROP_CONTROLLER)
            return 0;
        break;
    case 0xc0:
        if (rw & RILL_MIDI_RW_DROP_PROGRAM)
            return 0;
        break;
    case 0xe0:
        if (rw & RILL_MIDI_RW_DROP_PITCHBEND)
            return 0;
        break;
    default:
        break;
    }
    if ((rw & RILL_MIDI_RW_NOTE_OFF) && kind == 0x90 && len == 3 && msg[2] == 0) {
        msg[0] = (uint8_t)(0x80 | (s & 0x0f));
        msg[2] = 0x40;
    }
    uint32_t ch = (rw >> RILL_MIDI_RW_CHAN_SHIFT) & 0x1f;
    if (ch)
        msg[0] = (uint8_t)((msg[0] & 0xf0) | (ch - 1));
    return len;
}
