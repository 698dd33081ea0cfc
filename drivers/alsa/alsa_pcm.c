/* drivers/alsa/alsa_pcm.c — open one direction of a device and negotiate it
 * exactly. Main thread throughout.
 *
 * Order: access (mmap, interleaved first), format (forced, or the best the
 * device has: S32_LE, S24_LE, S24_3LE, FLOAT_LE, S16_LE), channels, rate
 * (no resampling), period size, period count, buffer = period x count. Each
 * value is tested before it is set; a value the device does not accept is
 * refused with what it offers instead. Software parameters: the stream never
 * starts by itself (the cycle starts it, linked), stops at an xrun, wakes at
 * one period, fills what was played with silence, stamps time monotonically.
 */
#include "common/err.h"
#include "drivers/alsa/alsa_priv.h"
#include "drivers/alsa/alsa_loop.h"
#include "rill/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const snd_pcm_format_t alsa_formats[RILL_SFMT_COUNT] = {
    [RILL_SFMT_S16] = SND_PCM_FORMAT_S16_LE,
    [RILL_SFMT_S24_3] = SND_PCM_FORMAT_S24_3LE,
    [RILL_SFMT_S24] = SND_PCM_FORMAT_S24_LE,
    [RILL_SFMT_S32] = SND_PCM_FORMAT_S32_LE,
    [RILL_SFMT_FLOAT] = SND_PCM_FORMAT_FLOAT_LE,
};
static const enum rill_sfmt preference[RILL_SFMT_COUNT] = {
    RILL_SFMT_S32, RILL_SFMT_S24, RILL_SFMT_S24_3, RILL_SFMT_FLOAT, RILL_SFMT_S16,
};

/* Any thread. */
const char *rill_alsa_dir_name(snd_pcm_stream_t dir)
{
    return dir == SND_PCM_STREAM_CAPTURE ? "capture" : "playback";
}

/* "0 Loopback, 1 Dummy" or "none". */
static void list_cards(char *buf, size_t size)
{
    size_t len = 0;
    int card = -1;

    buf[0] = '\0';
    while (snd_card_next(&card) == 0 && card >= 0 && len + 1 < size) {
        char *name = NULL;
        if (snd_card_get_name(card, &name) < 0)
            name = NULL;
        int n = snprintf(buf + len, size - len, "%s%d (%s)", len ? ", " : "", card,
                         name ? name : "?");
        free(name);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

/* Open the PCM, with a message per kind of failure. */
static int open_pcm(struct rill_alsa_stream *s, const char *dev, snd_pcm_stream_t dir,
                    char *err, size_t errsize)
{
    const char *what = rill_alsa_dir_name(dir);
    char cards[256];
    int r;

    /* a bare card id ("Loopback", "0") means that card's hw device */
    if (!strchr(dev, ':') && snd_card_get_index(dev) >= 0)
        snprintf(s->name, sizeof s->name, "hw:%s", dev);
    else
        snprintf(s->name, sizeof s->name, "%s", dev);
    s->dir = dir;
    char why[256];
    if (rill_alsa_leads_to_rill(s->name, why, sizeof why)) {
        rill_errf(err, errsize, 0,
                  "device %s leads back to rill (%s: the rill ALSA plugin): rilld cannot play "
                  "into its own graph; name a sound card instead (hw:0, plughw:0, or a card's "
                  "name)",
                  s->name, why);
        return -ELOOP;
    }
    r = snd_pcm_open(&s->pcm, s->name, dir, SND_PCM_NONBLOCK);
    if (r == 0)
        return 0;
    s->pcm = NULL;
    if (r == -EBUSY) {
        rill_errf(err, errsize, 0,
                  "device %s (%s) is busy: another program is using it; stop "
                  "that program or choose another device",
                  s->name, what);
        return r;
    }
    if (r == -ENOENT || r == -ENODEV || r == -ENXIO || r == -EINVAL) {
        snd_pcm_t *other = NULL;
        snd_pcm_stream_t odir = dir == SND_PCM_STREAM_CAPTURE ? SND_PCM_STREAM_PLAYBACK
                                                              : SND_PCM_STREAM_CAPTURE;
        int ro = snd_pcm_open(&other, s->name, odir, SND_PCM_NONBLOCK);
        if (ro == 0 || ro == -EBUSY) {
            if (other)
                snd_pcm_close(other);
            rill_errf(err, errsize, 0,
                      "device %s has no %s stream (it only does %s); use -%c "
                      "to leave %s out or name another device",
                      s->name, what, rill_alsa_dir_name(odir),
                      dir == SND_PCM_STREAM_CAPTURE ? 'P' : 'C', what);
            return -ENODEV;
        }
        list_cards(cards, sizeof cards);
        rill_errf(err, errsize, 0, "no such device %s (%s: %s); sound cards present: %s", s->name,
                  what, snd_strerror(r), cards);
        return -ENODEV;
    }
    rill_errf(err, errsize, 0, "cannot open %s for %s: %s", s->name, what, snd_strerror(r));
    return r;
}

/* Accepted powers of two for period sizes (or counts from 2) as text. */
static void list_accepted(snd_pcm_t *pcm, snd_pcm_hw_params_t *hw, int periods, char *buf,
                          size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    if (periods) {
        for (unsigned n = 2; n <= RILL_ALSA_MAX_NPERIODS; n++) {
            if (snd_pcm_hw_params_test_periods(pcm, hw, n, 0) < 0)
                continue;
            int k = snprintf(buf + len, size - len, "%s%u", len ? ", " : "", n);
            if (k < 0 || (size_t)k >= size - len)
                break;
            len += (size_t)k;
        }
    } else {
        for (snd_pcm_uframes_t p = RILL_MIN_PERIOD; p <= RILL_MAX_PERIOD; p *= 2) {
            if (snd_pcm_hw_params_test_period_size(pcm, hw, p, 0) < 0)
                continue;
            int k = snprintf(buf + len, size - len, "%s%lu", len ? ", " : "", p);
            if (k < 0 || (size_t)k >= size - len)
                break;
            len += (size_t)k;
        }
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

/* The hardware half of the negotiation; apply 0 only tests the values and
 * installs nothing. */
static int negotiate_hw(struct rill_alsa_stream *s, snd_pcm_hw_params_t *hw,
                        const struct rill_alsa_config *cfg, uint32_t want, int apply,
                        char *err, size_t errsize)
{
    const char *what = rill_alsa_dir_name(s->dir);
    char list[256];
    unsigned umin = 0, umax = 0;
    snd_pcm_uframes_t fmin = 0, fmax = 0;
    int dir = 0, r;

    r = snd_pcm_hw_params_any(s->pcm, hw);
    if (r < 0) {
        rill_errf(err, errsize, 0, "%s (%s) gives no hardware parameters: %s", s->name, what,
                  snd_strerror(r));
        return r;
    }
    if (snd_pcm_hw_params_set_access(s->pcm, hw, SND_PCM_ACCESS_MMAP_INTERLEAVED) == 0) {
        s->interleaved = 1;
    } else if (snd_pcm_hw_params_set_access(s->pcm, hw, SND_PCM_ACCESS_MMAP_NONINTERLEAVED) ==
               0) {
        s->interleaved = 0;
    } else {
        rill_errf(err, errsize, 0,
                  "%s (%s) refused mmap access (interleaved and "
                  "non-interleaved): rill needs mmap; use the card's hw: device",
                  s->name, what);
        return -EINVAL;
    }

    /* format */
    list[0] = '\0';
    for (int i = 0; i < RILL_SFMT_COUNT; i++) {
        if (snd_pcm_hw_params_test_format(s->pcm, hw, alsa_formats[preference[i]]) == 0) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                     rill_sfmt_name(preference[i]));
        }
    }
    int found = 0;
    for (int i = 0; i < RILL_SFMT_COUNT && !found; i++) {
        enum rill_sfmt f = cfg->format_forced ? cfg->format : preference[i];
        if (snd_pcm_hw_params_set_format(s->pcm, hw, alsa_formats[f]) == 0) {
            s->fmt = f;
            found = 1;
        }
        if (cfg->format_forced)
            break;
    }
    if (!found) {
        if (cfg->format_forced)
            rill_errf(err, errsize, 0, "%s (%s) refused the sample format %s; it offers: %s",
                      s->name, what, rill_sfmt_name(cfg->format),
                      list[0] ? list : "none rill uses");
        else
            rill_errf(err, errsize, 0,
                      "%s (%s) offers none of the sample formats rill uses "
                      "(S16_LE, S24_3LE, S24_LE, S32_LE, FLOAT_LE)",
                      s->name, what);
        return -EINVAL;
    }

    /* channels */
    snd_pcm_hw_params_get_channels_min(hw, &umin);
    snd_pcm_hw_params_get_channels_max(hw, &umax);
    if (want == 0)
        want = umax > RILL_MAX_CHANNELS ? RILL_MAX_CHANNELS : umax;
    if (snd_pcm_hw_params_set_channels(s->pcm, hw, want) < 0) {
        rill_errf(err, errsize, 0, "%s (%s) refused %u channel(s); it offers %u to %u", s->name,
                  what, want, umin, umax);
        return -EINVAL;
    }
    s->channels = want;

    /* rate, exactly */
    snd_pcm_hw_params_set_rate_resample(s->pcm, hw, 0);
    if (snd_pcm_hw_params_test_rate(s->pcm, hw, cfg->rate, 0) < 0) {
        snd_pcm_hw_params_get_rate_min(hw, &umin, &dir);
        snd_pcm_hw_params_get_rate_max(hw, &umax, &dir);
        rill_errf(err, errsize, 0, "%s (%s) refused the rate %u Hz; it offers %u to %u Hz", s->name,
                  what, cfg->rate, umin, umax);
        return -EINVAL;
    }
    snd_pcm_hw_params_set_rate(s->pcm, hw, cfg->rate, 0);

    /* period size, exactly */
    if (snd_pcm_hw_params_test_period_size(s->pcm, hw, cfg->period, 0) < 0) {
        snd_pcm_hw_params_get_period_size_min(hw, &fmin, &dir);
        snd_pcm_hw_params_get_period_size_max(hw, &fmax, &dir);
        list_accepted(s->pcm, hw, 0, list, sizeof list);
        rill_errf(err, errsize, 0,
                  "%s (%s) refused a period of %u frames at %u Hz; it offers "
                  "%lu to %lu frames; periods rill can use there: %s",
                  s->name, what, cfg->period, cfg->rate, fmin, fmax, list);
        return -EINVAL;
    }
    snd_pcm_hw_params_set_period_size(s->pcm, hw, cfg->period, 0);

    /* period count, exactly */
    if (snd_pcm_hw_params_test_periods(s->pcm, hw, cfg->nperiods, 0) < 0) {
        list_accepted(s->pcm, hw, 1, list, sizeof list);
        rill_errf(err, errsize, 0,
                  "%s (%s) refused %u periods of %u frames; period counts it "
                  "accepts there: %s",
                  s->name, what, cfg->nperiods, cfg->period, list);
        return -EINVAL;
    }
    snd_pcm_hw_params_set_periods(s->pcm, hw, cfg->nperiods, 0);
    snd_pcm_uframes_t buf = (snd_pcm_uframes_t)cfg->period * cfg->nperiods;
    if (snd_pcm_hw_params_set_buffer_size(s->pcm, hw, buf) < 0) {
        snd_pcm_hw_params_get_buffer_size_max(hw, &fmax);
        rill_errf(err, errsize, 0,
                  "%s (%s) refused a buffer of %u x %u = %lu frames; it offers "
                  "at most %lu",
                  s->name, what, cfg->nperiods, cfg->period, buf, fmax);
        return -EINVAL;
    }
    s->buffer_size = buf;
    if (!apply)
        return 0;
    r = snd_pcm_hw_params(s->pcm, hw);
    if (r < 0) {
        rill_errf(err, errsize, 0,
                  "%s (%s) refused the hardware parameters (%s, %u ch, %u Hz, "
                  "%u x %u frames): %s",
                  s->name, what, rill_sfmt_name(s->fmt), s->channels, cfg->rate, cfg->nperiods,
                  cfg->period, snd_strerror(r));
        return r;
    }
    return 0;
}

/* The software half. */
static int negotiate_sw(struct rill_alsa_stream *s, snd_pcm_sw_params_t *sw,
                        const struct rill_alsa_config *cfg, char *err, size_t errsize)
{
    snd_pcm_uframes_t boundary = 0;
    int r;

    if ((r = snd_pcm_sw_params_current(s->pcm, sw)) < 0 ||
        (r = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0 ||
        (r = snd_pcm_sw_params_set_start_threshold(s->pcm, sw, boundary)) < 0 ||
        (r = snd_pcm_sw_params_set_stop_threshold(s->pcm, sw, s->buffer_size)) < 0 ||
        (r = snd_pcm_sw_params_set_avail_min(s->pcm, sw, cfg->period)) < 0 ||
        (r = snd_pcm_sw_params_set_tstamp_mode(s->pcm, sw, SND_PCM_TSTAMP_ENABLE)) < 0) {
        rill_errf(err, errsize, 0, "%s (%s) refused the software parameters: %s", s->name,
                  rill_alsa_dir_name(s->dir), snd_strerror(r));
        return r;
    }
    snd_pcm_sw_params_set_tstamp_type(s->pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC);
    if (s->dir == SND_PCM_STREAM_PLAYBACK) {
        /* what has been played is overwritten with silence: a late cycle
         * never replays an old period */
        snd_pcm_sw_params_set_silence_threshold(s->pcm, sw, 0);
        snd_pcm_sw_params_set_silence_size(s->pcm, sw, boundary);
    }
    r = snd_pcm_sw_params(s->pcm, sw);
    if (r < 0) {
        rill_errf(err, errsize, 0, "%s (%s) refused the software parameters: %s", s->name,
                  rill_alsa_dir_name(s->dir), snd_strerror(r));
        return r;
    }
    return 0;
}

/* The card's name for port aliases, and the name that finds the device
 * again after it went away: "hw:ID,DEV[,SUB]" with the card's id (its number
 * may change when it comes back). Main thread. */
static void card_name(struct rill_alsa_stream *s)
{
    snd_pcm_info_t *info = NULL;
    snd_ctl_t *ctl = NULL;
    snd_ctl_card_info_t *cinfo = NULL;
    char *name = NULL, hw[32];

    s->card[0] = '\0';
    s->card_id[0] = '\0';
    s->reopen_name[0] = '\0';
    if (snd_pcm_info_malloc(&info) < 0)
        return;
    if (snd_pcm_info(s->pcm, info) < 0)
        goto out;
    int card = snd_pcm_info_get_card(info);
    if (card < 0)
        goto out;
    if (snd_card_get_name(card, &name) == 0 && name)
        snprintf(s->card, sizeof s->card, "%s", name);
    free(name);
    if (snd_pcm_type(s->pcm) != SND_PCM_TYPE_HW)
        goto out;
    snprintf(hw, sizeof hw, "hw:%d", card);
    if (snd_ctl_open(&ctl, hw, 0) < 0)
        goto out;
    if (snd_ctl_card_info_malloc(&cinfo) == 0 && snd_ctl_card_info(ctl, cinfo) == 0) {
        snprintf(s->card_id, sizeof s->card_id, "%s", snd_ctl_card_info_get_id(cinfo));
        /* the subdevice only when it was asked for ("hw:X,D,S"): otherwise
         * any free one will do again */
        const char *c1 = strchr(s->name, ',');
        if (c1 && strchr(c1 + 1, ','))
            snprintf(s->reopen_name, sizeof s->reopen_name, "hw:%s,%u,%u", s->card_id,
                     snd_pcm_info_get_device(info), snd_pcm_info_get_subdevice(info));
        else
            snprintf(s->reopen_name, sizeof s->reopen_name, "hw:%s,%u", s->card_id,
                     snd_pcm_info_get_device(info));
    }
    if (cinfo)
        snd_ctl_card_info_free(cinfo);
    snd_ctl_close(ctl);
out:
    snd_pcm_info_free(info);
}

/* Main thread. */
int rill_alsa_stream_open(struct rill_alsa_stream *s, const char *dev, snd_pcm_stream_t dir,
                          const struct rill_alsa_config *cfg, uint32_t want_channels,
                          char *err, size_t errsize)
{
    snd_pcm_hw_params_t *hw = NULL;
    snd_pcm_sw_params_t *sw = NULL;
    int r;

    memset(s, 0, sizeof *s);
    r = open_pcm(s, dev, dir, err, errsize);
    if (r < 0)
        goto fail;
    if (snd_pcm_hw_params_malloc(&hw) < 0 || snd_pcm_sw_params_malloc(&sw) < 0) {
        r = -ENOMEM;
        rill_errf(err, errsize, 0, "out of memory");
        goto fail_close;
    }
    r = negotiate_hw(s, hw, cfg, want_channels, 1, err, errsize);
    if (r < 0)
        goto fail_free;
    r = negotiate_sw(s, sw, cfg, err, errsize);
    if (r < 0)
        goto fail_free;
    card_name(s);
    snd_pcm_sw_params_free(sw);
    snd_pcm_hw_params_free(hw);
    return 0;

fail_free:
    if (sw)
        snd_pcm_sw_params_free(sw);
    if (hw)
        snd_pcm_hw_params_free(hw);
fail_close:
    snd_pcm_close(s->pcm);
    s->pcm = NULL;
fail:
    return r;
}

/* Main thread. */
void rill_alsa_stream_close(struct rill_alsa_stream *s)
{
    if (s && s->pcm) {
        snd_pcm_close(s->pcm);
        s->pcm = NULL;
    }
}

/* Main thread, with the stream stopped. */
int rill_alsa_stream_reconfigure(struct rill_alsa_stream *s, const struct rill_alsa_config *cfg,
                                 int apply, char *err, size_t errsize)
{
    struct rill_alsa_stream saved = *s;
    struct rill_alsa_config c = *cfg;
    snd_pcm_hw_params_t *hw = NULL;
    snd_pcm_sw_params_t *sw = NULL;
    int r;

    if (!s->pcm)
        return 0;
    /* the same format and channels as negotiated at open */
    c.format_forced = 1;
    c.format = s->fmt;
    if (snd_pcm_hw_params_malloc(&hw) < 0 || snd_pcm_sw_params_malloc(&sw) < 0) {
        r = -ENOMEM;
        rill_errf(err, errsize, 0, "out of memory");
        goto out;
    }
    r = negotiate_hw(s, hw, &c, s->channels, apply, err, errsize);
    if (r < 0 || !apply)
        goto out;
    r = negotiate_sw(s, sw, &c, err, errsize);

out:
    if (r < 0 || !apply)
        *s = saved; /* a test, or a refusal: the stream's record stays as it was */
    if (sw)
        snd_pcm_sw_params_free(sw);
    if (hw)
        snd_pcm_hw_params_free(hw);
    return r;
}
