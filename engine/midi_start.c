/* engine/midi_start.c — rilld --midi: the ALSA MIDI bridges are internal
 * clients (the sequencer bridge: module alsa_midi, midi/seq_bridge.c; the
 * raw MIDI bridge: module alsa_rawmidi, midi/raw_bridge.c; doc/midi.md
 * says why), loaded here once the server is ready; and the
 * test hook that starts the frame counter elsewhere than 0.
 *
 * Thread: main thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/server_priv.h"

/* Append " KEY=DEV+DEV..." (the devices of --midi-raw; nothing when none
 * were named) to spec: a space before it, as the value holds commas.
 * Main thread. */
static int devices_arg(const struct rill_options *o, const char *key, char *spec, size_t size,
                       char *err, size_t errsize)
{
    char list[RILL_MIDI_RAWDEV_MAX * 48];
    if (!o->midi_raw.n)
        return 0;
    size_t len = strlen(spec);
    if (rill_midi_rawdevs_format(&o->midi_raw, list, sizeof(list)) < 0 ||
        (size_t)snprintf(spec + len, size - len, " %s=%s", key, list) >= size - len) {
        snprintf(err, errsize, "--midi-raw: the list of devices is too long");
        return -EINVAL;
    }
    return 0;
}

/* --midi raw: the raw MIDI bridge. It starts without any device too
 * (cards may come later). Main thread. */
static int raw_start(struct rill_server *s, char *err, size_t errsize)
{
    const struct rill_options *o = s->opt;
    char spec[RILL_MIDI_RAWDEV_MAX * 48 + 128], lerr[512] = "";
    int r;
    snprintf(spec, sizeof(spec), "alsa_rawmidi:verbose=%d", o->verbose ? 1 : 0);
    if (o->midi_sysex)
        snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), ",sysex=%u", o->midi_sysex);
    if ((r = devices_arg(o, "devices", spec, sizeof(spec), err, errsize)) < 0)
        return r;
    r = rill_internal_load_spec(s, spec, lerr, sizeof(lerr));
    if (r < 0) {
        snprintf(err, errsize, "--midi raw: cannot load the raw MIDI bridge: %s", lerr);
        return r;
    }
    return 0;
}

/* --midi seq: the sequencer bridge (told to leave out the devices the raw
 * bridge has when both run). Main thread. */
static int seq_start(struct rill_server *s, char *err, size_t errsize)
{
    const struct rill_options *o = s->opt;
    const char *dev = getenv("RILL_SEQ_DEVICE"); /* tests: another device node */
    if (!dev || !dev[0])
        dev = "/dev/snd/seq";
    if (access(dev, R_OK | W_OK) < 0) {
        int e = errno;
        if (!o->midi_explicit) {
            if (o->verbose)
                rill_server_log("no ALSA sequencer (%s: %s): the MIDI bridge is off", dev,
                                strerror(e));
            return 0;
        }
        snprintf(err, errsize,
                 "--midi seq: the ALSA sequencer cannot be used: %s: %s (%s); load the snd-seq "
                 "module, or start rilld with --midi none",
                 dev, strerror(e),
                 e == ENOENT ? "the kernel has no sequencer" : "no permission to open it");
        return -e;
    }
    char spec[RILL_MIDI_RAWDEV_MAX * 48 + 128], lerr[512] = "";
    /* rilld -v: the bridge logs every port it adds, removes, subscribes */
    snprintf(spec, sizeof(spec), "alsa_midi:verbose=%d", o->verbose ? 1 : 0);
    if (o->midi_sysex)
        snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), ",sysex=%u", o->midi_sysex);
    if (o->midi & RILL_MIDI_RAW)
        snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), ",raw=1");
    /* only the devices the raw bridge has are left out */
    int r;
    if ((o->midi & RILL_MIDI_RAW) &&
        (r = devices_arg(o, "raw_devices", spec, sizeof(spec), err, errsize)) < 0)
        return r;
    r = rill_internal_load_spec(s, spec, lerr, sizeof(lerr));
    if (r < 0) {
        if (!o->midi_explicit) { /* not asked for: quiet unless -v */
            if (o->verbose)
                rill_server_log("the ALSA MIDI bridge is off: %s", lerr);
            return 0;
        }
        snprintf(err, errsize, "--midi seq: cannot load the bridge: %s", lerr);
        return r;
    }
    return 0;
}

/* Main thread. */
int rill_server_midi_start(struct rill_server *s, char *err, size_t errsize)
{
    const struct rill_options *o = s->opt;
    int r;
    if ((o->midi & RILL_MIDI_RAW) && (r = raw_start(s, err, errsize)) < 0)
        return r;
    if ((o->midi & RILL_MIDI_SEQ) && (r = seq_start(s, err, errsize)) < 0)
        return r;
    return 0;
}

/* Main thread, before the realtime thread starts. */
void rill_server_frame_start(struct rill_server *s)
{
    const char *v = getenv("RILL_FRAME_START");
    if (!v || !v[0])
        return;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 0);
    if (errno || *end) {
        rill_server_log("RILL_FRAME_START='%s' is not a number: ignored", v);
        return;
    }
    s->rt->frames = n;
    rill_server_log("frame counter starts at %llu (RILL_FRAME_START)", n);
}
