/* drivers/alsa/alsa_cycle.c — the ALSA driver's realtime half: start, the
 * wait for a period, mmap read and write, xrun recovery. Every function runs
 * on the engine's realtime thread and is RT-safe: the only blocking call is
 * poll() on the PCMs (the driver wait); everything else is an ioctl or
 * memory access on the mmapped buffers, with bounded loops.
 *
 * Start: both streams prepared, the whole playback buffer filled with
 * silence, then started together (linked) so that capture and playback run
 * in step from the first period: every cycle then finds exactly one period
 * to read and one period of room to write, and a sample written in a cycle
 * leaves the card (nperiods - 1) periods later.
 *
 * Xrun: a stream in XRUN state (found by poll, avail or a transfer) is
 * dropped, prepared, refilled with silence and restarted within the same
 * wait; the time since the xrun (from the status time stamps) is reported
 * as delay_ns, and the periods it covers as skipped (at least 1).
 *
 * Stall: a poll that sees no period for the poll timeout (four buffers, at
 * least 250 ms) is a stall: the streams are restarted at once and the wait
 * goes on (`stalled`, the time lost in delay_ns). A device that is gone
 * (-ENODEV, DISCONNECTED) makes wait return -ENODEV; one that stalls again
 * right after its restart, -EIO. Neither ends the engine: it moves to its
 * fallback clock and the main thread reopens the device (drivers/driver.h).
 */
#include "drivers/alsa/alsa_priv.h"
#include "rill/time.h"

#include <errno.h>
#include <string.h>

/* Loop bounds: polls in one wait, restarts in one wait, poll timeouts in a
 * row (with a restart between them) before the device is handed back to
 * the engine to be reopened. */
#define ALSA_MAX_POLLS 64
#define ALSA_MAX_RESTARTS 4
#define ALSA_MAX_TIMEOUTS 2

static const snd_pcm_format_t fmt_alsa[RILL_SFMT_COUNT] = {
    [RILL_SFMT_S16] = SND_PCM_FORMAT_S16_LE,
    [RILL_SFMT_S24_3] = SND_PCM_FORMAT_S24_3LE,
    [RILL_SFMT_S24] = SND_PCM_FORMAT_S24_LE,
    [RILL_SFMT_S32] = SND_PCM_FORMAT_S32_LE,
    [RILL_SFMT_FLOAT] = SND_PCM_FORMAT_FLOAT_LE,
};

/* Fill all the room in the playback buffer with silence. RT-safe. */
static int fill_silence(struct rill_alsa_stream *s)
{
    snd_pcm_sframes_t avail = snd_pcm_avail_update(s->pcm);

    if (avail < 0)
        return (int)avail;
    for (int i = 0; i < 4 && avail > 0; i++) {
        const snd_pcm_channel_area_t *areas;
        snd_pcm_uframes_t off, frames = (snd_pcm_uframes_t)avail;
        int r = snd_pcm_mmap_begin(s->pcm, &areas, &off, &frames);
        if (r < 0)
            return r;
        snd_pcm_areas_silence(areas, off, s->channels, frames, fmt_alsa[s->fmt]);
        snd_pcm_sframes_t c = snd_pcm_mmap_commit(s->pcm, off, frames);
        if (c < 0)
            return (int)c;
        avail -= c;
    }
    return 0;
}

/* Prepare, prefill and start. RT-safe. */
static int start_streams(struct rill_driver *d)
{
    int r;

    if (d->cap.pcm && (r = snd_pcm_prepare(d->cap.pcm)) < 0)
        return r;
    if (d->play.pcm) {
        if (!d->linked || !d->cap.pcm) {
            if ((r = snd_pcm_prepare(d->play.pcm)) < 0)
                return r;
        }
        if ((r = fill_silence(&d->play)) < 0)
            return r;
        if ((r = snd_pcm_start(d->play.pcm)) < 0)
            return r;
    }
    if (d->cap.pcm && (!d->linked || !d->play.pcm)) {
        if ((r = snd_pcm_start(d->cap.pcm)) < 0)
            return r;
    }
    d->xrun_pending = 0;
    return 0;
}

/* How long ago the stream's xrun happened, from its status; 0 if unknown. */
static uint64_t xrun_age_ns(struct rill_driver *d, struct rill_alsa_stream *s)
{
    snd_htimestamp_t now, when;

    if (!s->pcm || snd_pcm_status(s->pcm, d->status) < 0)
        return 0;
    if (snd_pcm_status_get_state(d->status) != SND_PCM_STATE_XRUN)
        return 0;
    snd_pcm_status_get_htstamp(d->status, &now);
    snd_pcm_status_get_trigger_htstamp(d->status, &when);
    int64_t ns = ((int64_t)now.tv_sec - when.tv_sec) * 1000000000ll +
                 (now.tv_nsec - when.tv_nsec);
    return ns > 0 ? (uint64_t)ns : 0;
}

/* Is the stream gone for good? */
static int gone(struct rill_alsa_stream *s, int err)
{
    if (err == -ENODEV || err == -ENXIO)
        return 1;
    return s->pcm && snd_pcm_state(s->pcm) == SND_PCM_STATE_DISCONNECTED;
}

/* Xrun: measure, stop, restart. Adds the lost time to *delay. RT-safe. */
static int recover(struct rill_driver *d, uint64_t *delay)
{
    uint64_t a = xrun_age_ns(d, &d->cap), b = xrun_age_ns(d, &d->play);
    uint64_t age = a > b ? a : b;
    int r;

    if (age > *delay)
        *delay = age;
    if (d->play.pcm)
        snd_pcm_drop(d->play.pcm);
    if (d->cap.pcm && (!d->linked || !d->play.pcm))
        snd_pcm_drop(d->cap.pcm);
    d->stats.restarts++;
    r = start_streams(d);
    if (r < 0) {
        d->stats.restart_errors++;
        if (r == -ENODEV || gone(&d->cap, r) || gone(&d->play, r))
            return -ENODEV;
        return r;
    }
    return 0;
}

/* RT-safe. */
int rill_alsa_start(struct rill_driver *d)
{
    if (!d)
        return -EINVAL;
    int r = start_streams(d);
    if (r == -ENODEV || gone(&d->cap, r) || gone(&d->play, r))
        return -ENODEV;
    if (r < 0)
        d->xrun_pending = 1; /* an xrun already: the first wait restarts */
    d->running = 1;
    return 0;
}

/* avail of a stream, or a negative error; a missing stream has "enough". */
static snd_pcm_sframes_t stream_avail(struct rill_alsa_stream *s, uint32_t period)
{
    if (!s->pcm)
        return (snd_pcm_sframes_t)period;
    return snd_pcm_avail_update(s->pcm);
}

/* The descriptors to poll: those of the streams that are not ready yet
 * (a ready stream's descriptor would make poll return at once). RT-safe. */
static struct pollfd *poll_set(struct rill_driver *d, int cap_ready, int play_ready, int *n)
{
    if (cap_ready && d->play.pcm) {
        *n = d->play.npfd;
        return d->play.pfd;
    }
    if (play_ready && d->cap.pcm) {
        *n = d->cap.npfd;
        return d->cap.pfd;
    }
    *n = d->npfds;
    return d->pfds;
}

/* RT-safe: poll is the driver wait. An xrun is recovered here: when
 * restarts keep failing, the wait returns with the periods lost and the next
 * one tries again. A stall (a poll timeout) is recovered by a restart; a
 * device that is gone, or that stalls again right after that restart,
 * returns -ENODEV or -EIO for the engine's fallback clock and a reopen. */
int rill_alsa_wait(struct rill_driver *d, struct rill_driver_wait *w)
{
    uint64_t delay = 0;
    int restarts = 0, timeouts = 0, stalled = 0, r;
    snd_pcm_sframes_t ca = 0, pa = 0;
    const uint32_t period = d ? d->cfg.period : 0;

    if (!d || !w || !d->running)
        return -EINVAL;
    if (d->xrun_pending) {
        restarts++;
        if ((r = recover(d, &delay)) == -ENODEV)
            return r;
    }
    for (int polls = 0;; polls++) {
        ca = stream_avail(&d->cap, period);
        pa = stream_avail(&d->play, period);
        if (ca < 0 || pa < 0) {
            int e = (int)(ca < 0 ? ca : pa);
            if (gone(&d->cap, e) || gone(&d->play, e))
                return -ENODEV;
            d->stats.avail_xruns++;
            if (++restarts > ALSA_MAX_RESTARTS) {
                d->xrun_pending = 1; /* report what was lost; the next wait retries */
                break;
            }
            if ((r = recover(d, &delay)) == -ENODEV)
                return r;
            continue;
        }
        int cap_ready = ca >= (snd_pcm_sframes_t)period;
        int play_ready = pa >= (snd_pcm_sframes_t)period;
        if (cap_ready && play_ready)
            break;
        if (polls >= ALSA_MAX_POLLS) { /* woken again and again without a period */
            d->stats.spins++;
            d->xrun_pending = 1;
            restarts++;
            break;
        }
        int npf = 0;
        struct pollfd *pf = poll_set(d, cap_ready, play_ready, &npf);
        d->stats.polls++;
        r = poll(pf, (nfds_t)npf, d->poll_timeout_ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0) {
            /* not a single period in several buffers' time: a stall */
            d->stats.poll_timeouts++;
            if (++timeouts >= ALSA_MAX_TIMEOUTS) {
                /* a restart did not help: reopen (what was tried is
                 * reported all the same) */
                w->stalled = 1;
                w->restarts = (uint32_t)restarts;
                return -EIO;
            }
            d->stats.stalls++;
            stalled = 1;
            restarts++;
            delay += (uint64_t)d->poll_timeout_ms * 1000000ull;
            if ((r = recover(d, &delay)) == -ENODEV)
                return r;
            continue;
        }
        timeouts = 0;
        for (int k = 0; k < 2; k++) {
            struct rill_alsa_stream *s = k ? &d->play : &d->cap;
            unsigned short rev = 0;
            if (!s->pcm || s->npfd == 0 || s->pfd < pf || s->pfd >= pf + npf)
                continue;
            if (snd_pcm_poll_descriptors_revents(s->pcm, s->pfd, (unsigned)s->npfd, &rev) < 0 ||
                (rev & (POLLERR | POLLNVAL | POLLHUP))) {
                if (snd_pcm_state(s->pcm) == SND_PCM_STATE_DISCONNECTED)
                    return -ENODEV;
            }
        }
    }

    uint64_t now = rill_now_ns();
    snd_pcm_sframes_t extra = (d->cap.pcm ? ca : pa) - (snd_pcm_sframes_t)period;
    uint64_t back = extra > 0 ? (uint64_t)extra * 1000000000ull / d->cfg.rate : 0;
    w->wake_ns = now > back ? now - back : now;
    w->next_ns = w->wake_ns + d->period_ns;
    w->skipped = 0;
    w->delay_ns = 0;
    w->restarts = (uint32_t)restarts;
    w->stalled = (uint32_t)stalled;
    if (restarts) {
        uint64_t lost = delay / d->period_ns + 1;
        w->skipped = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
        w->delay_ns = delay;
    }
    return 0;
}

/* Address and byte stride of channel ch at frame offset off of an mmap area. */
static inline uint8_t *area_at(const snd_pcm_channel_area_t *a, snd_pcm_uframes_t off,
                               size_t *stride)
{
    *stride = a->step / 8;
    return (uint8_t *)a->addr + (a->first + off * a->step) / 8;
}

/* RT-safe. */
int rill_alsa_read(struct rill_driver *d, float *const *bufs, uint32_t nchannels,
                   uint32_t nframes)
{
    struct rill_alsa_stream *s;
    uint32_t done = 0;

    if (!d || (nchannels && !bufs) || nframes > d->cfg.period)
        return -EINVAL;
    s = &d->cap;
    if (!s->pcm || nchannels > s->channels) {
        for (uint32_t ch = 0; ch < nchannels; ch++)
            if (bufs[ch])
                memset(bufs[ch], 0, (size_t)nframes * sizeof(float));
        return s->pcm ? -EINVAL : 0;
    }
    for (int i = 0; i < 2 && done < nframes; i++) { /* two pieces at most: the wrap */
        const snd_pcm_channel_area_t *areas;
        snd_pcm_uframes_t off, frames = nframes - done;
        int r = snd_pcm_mmap_begin(s->pcm, &areas, &off, &frames);
        if (r < 0)
            break;
        for (uint32_t ch = 0; ch < nchannels; ch++) {
            size_t stride;
            const uint8_t *src = area_at(&areas[ch], off, &stride);
            if (bufs[ch])
                rill_sfmt_to_float(s->fmt, src, stride, bufs[ch] + done, (uint32_t)frames);
        }
        snd_pcm_sframes_t c = snd_pcm_mmap_commit(s->pcm, off, frames);
        if (c < 0 || (snd_pcm_uframes_t)c != frames)
            break;
        done += (uint32_t)frames;
    }
    if (done < nframes) {
        d->stats.transfer_xruns++;
        d->xrun_pending = 1; /* the next wait restarts the streams */
        for (uint32_t ch = 0; ch < nchannels; ch++)
            if (bufs[ch])
                memset(bufs[ch] + done, 0, (size_t)(nframes - done) * sizeof(float));
    }
    return 0;
}

/* RT-safe. */
int rill_alsa_write(struct rill_driver *d, const float *const *bufs, uint32_t nchannels,
                    uint32_t nframes)
{
    struct rill_alsa_stream *s;
    uint32_t done = 0;

    if (!d || nframes > d->cfg.period)
        return -EINVAL;
    s = &d->play;
    if (!s->pcm)
        return 0;
    for (int i = 0; i < 2 && done < nframes; i++) {
        const snd_pcm_channel_area_t *areas;
        snd_pcm_uframes_t off, frames = nframes - done;
        int r = snd_pcm_mmap_begin(s->pcm, &areas, &off, &frames);
        if (r < 0)
            break;
        for (uint32_t ch = 0; ch < s->channels; ch++) {
            size_t stride;
            uint8_t *dst = area_at(&areas[ch], off, &stride);
            const float *src = ch < nchannels && bufs && bufs[ch] ? bufs[ch] + done : NULL;
            rill_sfmt_from_float(s->fmt, src, dst, stride, (uint32_t)frames, d->cfg.dither,
                                 &d->dither[ch]);
        }
        snd_pcm_sframes_t c = snd_pcm_mmap_commit(s->pcm, off, frames);
        if (c < 0 || (snd_pcm_uframes_t)c != frames)
            break;
        done += (uint32_t)frames;
    }
    if (done < nframes) {
        d->stats.transfer_xruns++;
        d->xrun_pending = 1;
    }
    return 0;
}

/* RT-safe. */
int rill_alsa_stop(struct rill_driver *d)
{
    if (!d)
        return -EINVAL;
    d->running = 0;
    if (d->play.pcm)
        snd_pcm_drop(d->play.pcm);
    if (d->cap.pcm && (!d->linked || !d->play.pcm))
        snd_pcm_drop(d->cap.pcm);
    return 0;
}
