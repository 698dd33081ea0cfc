/* drivers/alsa/alsa_driver.c — `rilld -d alsa`: the method table, and open
 * and close, which put together the parameters (alsa_params.c), the two
 * negotiated streams (alsa_pcm.c) and the realtime cycle (alsa_cycle.c).
 *
 * Reported latency (what the system ports say): capture, the period plus
 * -I; playback, the (nperiods - 1) periods that are queued ahead of a
 * period written in a cycle, plus -O (see alsa_cycle.c for why).
 */
#include "drivers/alsa/alsa_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Main thread. */
static void alsa_close(struct rill_driver *d)
{
    if (!d)
        return;
    if (d->linked && d->cap.pcm)
        snd_pcm_unlink(d->cap.pcm);
    rill_alsa_stream_close(&d->cap);
    rill_alsa_stream_close(&d->play);
    if (d->status)
        snd_pcm_status_free(d->status);
    free(d->dither);
    free(d);
}

/* Gather the poll descriptors of one stream into d->pfds. Main thread. */
static int add_pfds(struct rill_driver *d, struct rill_alsa_stream *s, char *err,
                    size_t errsize)
{
    if (!s->pcm)
        return 0;
    int n = snd_pcm_poll_descriptors_count(s->pcm);
    if (n <= 0 || n > RILL_ALSA_MAX_PFDS) {
        snprintf(err, errsize, "%s (%s) has %d poll descriptors: rill handles 1 to %d",
                 s->name, rill_alsa_dir_name(s->dir), n, RILL_ALSA_MAX_PFDS);
        return -EINVAL;
    }
    s->pfd = &d->pfds[d->npfds];
    n = snd_pcm_poll_descriptors(s->pcm, s->pfd, (unsigned)n);
    if (n <= 0) {
        snprintf(err, errsize, "%s (%s) gave no poll descriptors", s->name,
                 rill_alsa_dir_name(s->dir));
        return -EIO;
    }
    s->npfd = n;
    d->npfds += n;
    return 0;
}

/* What follows from the period: its length, the poll timeout, the period
 * and latencies in info. Main thread. */
static void set_timing(struct rill_driver *d, struct rill_driver_info *info)
{
    d->period_ns = (uint64_t)d->cfg.period * 1000000000ull / d->cfg.rate;
    /* a poll that sees no period in four buffers' time (and 250 ms) means a
     * stalled device: restarted once, then handed to the engine's fallback
     * clock and reopened (alsa_cycle.c) */
    uint64_t buf_ms = (uint64_t)d->cfg.period * d->cfg.nperiods * 1000u / d->cfg.rate;
    d->poll_timeout_ms = (int)(4 * buf_ms < 250 ? 250 : 4 * buf_ms);
    info->period = d->cfg.period;
    info->capture_latency = d->cfg.period + d->cfg.in_latency;
    info->playback_latency = d->cfg.period * (d->cfg.nperiods - 1) + d->cfg.out_latency;
}

/* Unlink, install cfg's period on both streams, link again. Main thread. */
static int apply_period(struct rill_driver *d, const struct rill_alsa_config *cfg, char *err,
                        size_t errsize)
{
    int r;

    if (d->linked) {
        snd_pcm_unlink(d->cap.pcm);
        d->linked = 0;
    }
    r = rill_alsa_stream_reconfigure(&d->cap, cfg, 1, err, errsize);
    if (r == 0)
        r = rill_alsa_stream_reconfigure(&d->play, cfg, 1, err, errsize);
    if (d->cap.pcm && d->play.pcm && snd_pcm_link(d->cap.pcm, d->play.pcm) == 0)
        d->linked = 1;
    return r;
}

/* Main thread, while the realtime thread is stopped: both streams are
 * tested at the new period first, so that a refusal changes nothing; then
 * negotiated again (the next start prepares and starts them). */
static int alsa_set_period(struct rill_driver *d, uint32_t period,
                           struct rill_driver_info *info, char *err, size_t errsize)
{
    const struct rill_param *p = &rill_alsa_params[ALSA_P_PERIOD];
    struct rill_alsa_config c;
    char dummy_err[8];
    size_t len;
    int r;

    if (!err || !errsize) {
        err = dummy_err;
        errsize = sizeof dummy_err;
    }
    err[0] = '\0';
    if (!d || !info)
        return -EINVAL;
    if (d->running) {
        snprintf(err, errsize, "the alsa driver cannot change its period while running");
        return -EBUSY;
    }
    if (period < p->min || period > p->max || (period & (period - 1))) {
        snprintf(err, errsize, "period %u is not allowed: use a power of two from %u to %u",
                 period, p->min, p->max);
        return -EINVAL;
    }
    if (period == d->cfg.period)
        return 0;
    c = d->cfg;
    c.period = period;
    if ((r = rill_alsa_stream_reconfigure(&d->cap, &c, 0, err, errsize)) < 0 ||
        (r = rill_alsa_stream_reconfigure(&d->play, &c, 0, err, errsize)) < 0)
        goto refused;
    r = apply_period(d, &c, err, errsize);
    if (r < 0) {
        /* tested, yet refused when installed: back to the old period */
        char err2[64];
        if (apply_period(d, &d->cfg, err2, sizeof err2) < 0)
            d->xrun_pending = 1; /* the next start's recovery tries again */
        goto refused;
    }
    d->cfg.period = period;
    set_timing(d, info);
    return 0;

refused:
    len = strlen(err);
    if (len < errsize)
        snprintf(err + len, errsize - len, "; still running at %u frames", d->cfg.period);
    return r;
}

/* Open one direction again by the name that finds it for good, with the
 * format and channels it had. Main thread. */
static int reopen_stream(struct rill_driver *d, struct rill_alsa_stream *s, char *err,
                         size_t errsize)
{
    struct rill_alsa_stream old = *s;
    struct rill_alsa_config c = d->cfg;
    const char *name = old.reopen_name[0] ? old.reopen_name : old.name;

    /* the card is not there (yet): say nothing, the caller tries later */
    if (old.card_id[0] && snd_card_get_index(old.card_id) < 0) {
        snprintf(err, errsize, "card %s is not there", old.card_id);
        return -ENODEV;
    }
    c.format_forced = 1;
    c.format = old.fmt;
    int r = rill_alsa_stream_open(s, name, old.dir, &c, old.channels, err, errsize);
    if (r < 0) {
        *s = old;
        s->pcm = NULL;
        return r;
    }
    return 0;
}

/* Main thread, while the realtime thread does not use d: close both
 * streams, open them again by card id and device, at the same parameters,
 * and link them. Returns 0, -ENODEV (not there yet) or another -errno with
 * err saying what the device refused. */
static int alsa_reopen(struct rill_driver *d, char *err, size_t errsize)
{
    char dummy_err[8];
    int want_cap, want_play, r;

    if (!err || !errsize) {
        err = dummy_err;
        errsize = sizeof dummy_err;
    }
    err[0] = '\0';
    if (!d)
        return -EINVAL;
    want_cap = d->cap.pcm != NULL || d->cap.name[0];
    want_play = d->play.pcm != NULL || d->play.name[0];
    if (d->linked && d->cap.pcm)
        snd_pcm_unlink(d->cap.pcm);
    d->linked = 0;
    rill_alsa_stream_close(&d->cap);
    rill_alsa_stream_close(&d->play);
    d->npfds = 0;
    d->running = 0;
    d->xrun_pending = 0;
    if (want_cap && (r = reopen_stream(d, &d->cap, err, errsize)) < 0)
        return r;
    if (want_play && (r = reopen_stream(d, &d->play, err, errsize)) < 0)
        goto fail;
    if (d->cap.pcm && d->play.pcm && snd_pcm_link(d->cap.pcm, d->play.pcm) == 0)
        d->linked = 1;
    if ((r = add_pfds(d, &d->cap, err, errsize)) < 0 ||
        (r = add_pfds(d, &d->play, err, errsize)) < 0)
        goto fail;
    return 0;

fail:
    if (d->linked && d->cap.pcm)
        snd_pcm_unlink(d->cap.pcm);
    d->linked = 0;
    rill_alsa_stream_close(&d->cap);
    rill_alsa_stream_close(&d->play);
    d->npfds = 0;
    return r;
}

/* alsa-lib's own error printing, silenced: every failure rill cares about
 * gets its own message. Any thread. */
static void quiet(const char *file, int line, const char *function, int err, const char *fmt,
                  ...)
{
    (void)file;
    (void)line;
    (void)function;
    (void)err;
    (void)fmt;
}

/* Main thread. */
static int alsa_open(const struct rill_driver_config *cfg, struct rill_driver **out,
                     struct rill_driver_info *info, char *err, size_t errsize)
{
    struct rill_driver *d = NULL;
    char dummy_err[8];
    int r;

    if (!err || !errsize) {
        err = dummy_err;
        errsize = sizeof dummy_err;
    }
    err[0] = '\0';
    snd_lib_error_set_handler(quiet);
    if (!cfg || !out || !info) {
        snprintf(err, errsize, "open needs a config, an out pointer and an info");
        return -EINVAL;
    }
    d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    r = rill_alsa_config_from_params(cfg, &d->cfg, err, errsize);
    if (r < 0)
        goto fail;
    if (d->cfg.capture_dev[0]) {
        r = rill_alsa_stream_open(&d->cap, d->cfg.capture_dev, SND_PCM_STREAM_CAPTURE, &d->cfg,
                                  d->cfg.in_channels, err, errsize);
        if (r < 0)
            goto fail;
    }
    if (d->cfg.playback_dev[0]) {
        r = rill_alsa_stream_open(&d->play, d->cfg.playback_dev, SND_PCM_STREAM_PLAYBACK,
                                  &d->cfg, d->cfg.out_channels, err, errsize);
        if (r < 0)
            goto fail;
    }
    if (d->cap.pcm && d->play.pcm && snd_pcm_link(d->cap.pcm, d->play.pcm) == 0)
        d->linked = 1;
    if ((r = add_pfds(d, &d->cap, err, errsize)) < 0 ||
        (r = add_pfds(d, &d->play, err, errsize)) < 0)
        goto fail;
    if (snd_pcm_status_malloc(&d->status) < 0) {
        r = -ENOMEM;
        snprintf(err, errsize, "out of memory");
        goto fail;
    }
    if (d->play.pcm) {
        d->dither = calloc(d->play.channels ? d->play.channels : 1, sizeof *d->dither);
        if (!d->dither) {
            r = -ENOMEM;
            snprintf(err, errsize, "out of memory");
            goto fail;
        }
        for (uint32_t ch = 0; ch < d->play.channels; ch++)
            rill_dither_init(&d->dither[ch], ch + 1);
    }
    memset(info, 0, sizeof *info);
    info->rate = d->cfg.rate;
    info->nperiods = d->cfg.nperiods;
    info->capture_channels = d->cap.pcm ? d->cap.channels : 0;
    info->playback_channels = d->play.pcm ? d->play.channels : 0;
    set_timing(d, info);
    snprintf(info->capture_alias, sizeof info->capture_alias, "%s", d->cap.card);
    snprintf(info->playback_alias, sizeof info->playback_alias, "%s", d->play.card);
    *out = d;
    return 0;

fail:
    alsa_close(d);
    return r;
}

const struct rill_driver_ops rill_driver_alsa = {
    .version = RILL_DRIVER_VERSION,
    .name = "alsa",
    .description = "ALSA sound card (hw, mmap)",
    .params = rill_alsa_params,
    .nparams = ALSA_NPARAMS,
    .open = alsa_open,
    .start = rill_alsa_start,
    .wait = rill_alsa_wait,
    .read = rill_alsa_read,
    .write = rill_alsa_write,
    .stop = rill_alsa_stop,
    .close = alsa_close,
    .set_period = alsa_set_period,
    .reopen = alsa_reopen,
};
