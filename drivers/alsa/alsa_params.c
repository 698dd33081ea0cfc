/* drivers/alsa/alsa_params.c — the ALSA driver's parameters (jackd's ALSA
 * flags where they exist) and their validation into a struct
 * rill_alsa_config. Main thread.
 *
 * Directions, as jackd: `-d DEV` names the device; `-C [DEV]` and `-P [DEV]`
 * ask for capture / playback, from DEV or else from the -d device. Neither:
 * both directions from the -d device. Only one of them: that direction only.
 */
#include "common/err.h"
#include "drivers/alsa/alsa_priv.h"
#include "rill/limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* full names, then the same in one letter (jackd's -z n|r|s|t), in the
 * order of enum rill_dither: index % 4 is the dither */
static const char *const dither_choices[] = {
    "none", "triangular", "shaped", "rectangular", "n", "t", "s", "r", NULL,
};
static const char *const midi_choices[] = { "none", "seq", "raw", NULL };
static const char *const format_choices[] = {
    "auto", "S16_LE", "S24_3LE", "S24_LE", "S32_LE", "FLOAT_LE", NULL,
};

const struct rill_param rill_alsa_params[ALSA_NPARAMS + 1] = {
    [ALSA_P_DEVICE] = { .name = "device", .short_opt = 'd', .type = RILL_PARAM_STRING,
                        .def = "hw:0",
                        .help = "ALSA device: hw:CARD[,DEV], a card id or any PCM name" },
    [ALSA_P_CAPTURE] = { .name = "capture", .short_opt = 'C', .type = RILL_PARAM_STRING,
                         .optional = 1,
                         .help = "capture (from DEV, else from --device); alone: capture only" },
    [ALSA_P_PLAYBACK] = { .name = "playback", .short_opt = 'P', .type = RILL_PARAM_STRING,
                          .optional = 1,
                          .help = "playback (to DEV, else to --device); alone: playback only" },
    [ALSA_P_RATE] = { .name = "rate", .short_opt = 'r', .type = RILL_PARAM_UINT, .def = "48000",
                      .min = RILL_MIN_RATE, .max = RILL_MAX_RATE,
                      .help = "sample rate in Hz, used exactly" },
    [ALSA_P_PERIOD] = { .name = "period", .short_opt = 'p', .type = RILL_PARAM_UINT,
                        .def = "1024", .min = RILL_MIN_PERIOD, .max = RILL_MAX_PERIOD,
                        .pow2 = 1, .help = "frames per period, used exactly" },
    [ALSA_P_NPERIODS] = { .name = "nperiods", .short_opt = 'n', .type = RILL_PARAM_UINT,
                          .def = "2", .min = 2, .max = RILL_ALSA_MAX_NPERIODS,
                          .help = "periods in the device buffer, used exactly" },
    [ALSA_P_INCHANNELS] = { .name = "inchannels", .short_opt = 'i', .type = RILL_PARAM_UINT,
                            .def = "0", .min = 0, .max = RILL_MAX_CHANNELS,
                            .help = "capture channels (0: all the device has)" },
    [ALSA_P_OUTCHANNELS] = { .name = "outchannels", .short_opt = 'o', .type = RILL_PARAM_UINT,
                             .def = "0", .min = 0, .max = RILL_MAX_CHANNELS,
                             .help = "playback channels (0: all the device has)" },
    [ALSA_P_SHORTS] = { .name = "shorts", .short_opt = 'S', .type = RILL_PARAM_BOOL,
                        .def = "0", .help = "use 16-bit samples (S16_LE)" },
    [ALSA_P_INLAT] = { .name = "input-latency", .short_opt = 'I', .type = RILL_PARAM_UINT,
                       .def = "0", .min = 0, .max = 1u << 20,
                       .help = "extra capture latency to report, in frames" },
    [ALSA_P_OUTLAT] = { .name = "output-latency", .short_opt = 'O', .type = RILL_PARAM_UINT,
                        .def = "0", .min = 0, .max = 1u << 20,
                        .help = "extra playback latency to report, in frames" },
    [ALSA_P_DITHER] = { .name = "dither", .short_opt = 'z', .type = RILL_PARAM_ENUM,
                        .def = "none", .choices = dither_choices,
                        .help = "dither for 16/24-bit playback (n, t, s, r are short forms)" },
    [ALSA_P_NOMONITOR] = { .name = "no-monitor", .short_opt = 'M', .type = RILL_PARAM_BOOL,
                           .def = "0",
                           .help = "no hardware monitoring (rill never enables it)" },
    [ALSA_P_FORMAT] = { .name = "format", .short_opt = 0, .type = RILL_PARAM_ENUM,
                        .def = "auto", .choices = format_choices,
                        .help = "sample format (auto: the best the device offers)" },
    /* jackd's, as front ends such as qjackctl send them */
    [ALSA_P_SOFTMODE] = { .name = "softmode", .short_opt = 's', .type = RILL_PARAM_BOOL,
                          .def = "0",
                          .help = "jackd's soft mode; rill never stops on an xrun anyway" },
    [ALSA_P_MONITOR] = { .name = "monitor", .short_opt = 'm', .type = RILL_PARAM_BOOL,
                         .def = "0",
                         .help = "jackd's hardware input monitoring: not supported, refused" },
    [ALSA_P_DUPLEX] = { .name = "duplex", .short_opt = 'D', .type = RILL_PARAM_BOOL,
                        .def = "0", .help = "capture and playback (the default)" },
    [ALSA_P_MIDI] = { .name = "midi-driver", .short_opt = 'X', .type = RILL_PARAM_ENUM,
                      .def = "none", .choices = midi_choices,
                      .help = "jackd's ALSA MIDI driver: seq and raw start rill's own bridge (as --midi seq|raw)" },
    [ALSA_NPARAMS] = { .name = NULL },
};

/* A device name: non-empty, printable, shorter than RILL_ALSA_NAME_SIZE. */
static int check_name(const char *what, const char *name, char *err, size_t errsize)
{
    size_t len = strlen(name);

    if (len == 0)
        return rill_errf(err, errsize, -EINVAL,
                         "%s device name is empty: give hw:CARD[,DEV], a "
                         "card id or a PCM name",
                         what);
    if (len >= RILL_ALSA_NAME_SIZE)
        return rill_errf(err, errsize, -EINVAL,
                         "%s device name is %zu characters long: at most "
                         "%u are allowed",
                         what, len, RILL_ALSA_NAME_SIZE - 1);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] == 0x7f)
            return rill_errf(err, errsize, -EINVAL,
                             "%s device name '%s' has a space or control "
                             "character at position %zu: not allowed",
                             what, name, i + 1);
    return 0;
}

/* Check a UINT against its table entry (open may get a hand-made config). */
static int check_uint(int k, uint32_t u, char *err, size_t errsize)
{
    const struct rill_param *p = &rill_alsa_params[k];

    if (u < p->min || u > p->max || (p->pow2 && (u == 0 || (u & (u - 1u)) != 0)))
        return rill_errf(err, errsize, -EINVAL, "%s %u is not allowed: use %s from %u to %u",
                         p->name, u, p->pow2 ? "a power of two" : "a number", p->min, p->max);
    return 0;
}

/* Main thread. */
int rill_alsa_config_from_params(const struct rill_driver_config *cfg,
                                 struct rill_alsa_config *out, char *err, size_t errsize)
{
    static const int uints[] = { ALSA_P_RATE, ALSA_P_PERIOD, ALSA_P_NPERIODS,
                                 ALSA_P_INCHANNELS, ALSA_P_OUTCHANNELS, ALSA_P_INLAT,
                                 ALSA_P_OUTLAT };
    const struct rill_param_value *v;
    int r;

    if (!cfg || !out)
        return rill_errf(err, errsize, -EINVAL, "no parameters given");
    v = cfg->v;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++) {
        r = check_uint(uints[i], v[uints[i]].u, err, errsize);
        if (r < 0)
            return r;
    }
    const char *dev = v[ALSA_P_DEVICE].s ? v[ALSA_P_DEVICE].s : "hw:0";
    r = check_name("the", dev, err, errsize);
    if (r < 0)
        return r;
    int want_cap = v[ALSA_P_CAPTURE].set, want_play = v[ALSA_P_PLAYBACK].set;
    if (!want_cap && !want_play)
        want_cap = want_play = 1;
    if (want_cap) {
        const char *c = v[ALSA_P_CAPTURE].set && v[ALSA_P_CAPTURE].s && *v[ALSA_P_CAPTURE].s
                            ? v[ALSA_P_CAPTURE].s : dev;
        r = check_name("the capture", c, err, errsize);
        if (r < 0)
            return r;
        snprintf(out->capture_dev, sizeof out->capture_dev, "%s", c);
    }
    if (want_play) {
        const char *p = v[ALSA_P_PLAYBACK].set && v[ALSA_P_PLAYBACK].s && *v[ALSA_P_PLAYBACK].s
                            ? v[ALSA_P_PLAYBACK].s : dev;
        r = check_name("the playback", p, err, errsize);
        if (r < 0)
            return r;
        snprintf(out->playback_dev, sizeof out->playback_dev, "%s", p);
    }
    out->rate = v[ALSA_P_RATE].u;
    out->period = v[ALSA_P_PERIOD].u;
    out->nperiods = v[ALSA_P_NPERIODS].u;
    out->in_channels = v[ALSA_P_INCHANNELS].u;
    out->out_channels = v[ALSA_P_OUTCHANNELS].u;
    out->in_latency = v[ALSA_P_INLAT].u;
    out->out_latency = v[ALSA_P_OUTLAT].u;
    if (v[ALSA_P_DITHER].u >= 8)
        return rill_errf(err, errsize, -EINVAL,
                         "dither %u is not allowed: use none, triangular, "
                         "shaped or rectangular",
                         v[ALSA_P_DITHER].u);
    out->dither = (enum rill_dither)(v[ALSA_P_DITHER].u % 4);
    if (v[ALSA_P_MONITOR].u)
        return rill_errf(err, errsize, -EINVAL,
                         "-m (hardware input monitoring) is not supported by "
                         "rill: leave it out (in qjackctl: Setup, untick Monitor); route "
                         "capture to playback in the graph instead");
    if (v[ALSA_P_MIDI].u > 2)
        return rill_errf(err, errsize, -EINVAL, "-X %u is not allowed: use none, seq or raw",
                         v[ALSA_P_MIDI].u);
    /* -X seq / -X raw: rilld maps them to its own bridge (--midi seq / raw,
     * engine/options.c); the driver itself has no MIDI part */
    uint32_t f = v[ALSA_P_FORMAT].u;
    if (f >= 6)
        return rill_errf(err, errsize, -EINVAL,
                         "format %u is not allowed: use auto, S16_LE, "
                         "S24_3LE, S24_LE, S32_LE or FLOAT_LE",
                         f);
    if (v[ALSA_P_SHORTS].u && f != 0 && f != 1)
        return rill_errf(err, errsize, -EINVAL,
                         "-S (16-bit) and --format %s contradict each other: "
                         "give one of them",
                         format_choices[f]);
    if (v[ALSA_P_SHORTS].u) {
        out->format_forced = 1;
        out->format = RILL_SFMT_S16;
    } else if (f != 0) {
        out->format_forced = 1;
        out->format = (enum rill_sfmt)(f - 1);
    }
    return 0;
}
