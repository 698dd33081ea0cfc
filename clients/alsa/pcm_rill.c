/* clients/alsa/pcm_rill.c — the rill ALSA PCM plugin (ioplug):
 * libasound_module_pcm_rill.so, `type rill` in an ALSA configuration.
 *
 * Each open is a client of the rill server (clients/core), named after the
 * program, with one port per channel. The program's thread runs the ioplug
 * callbacks below; the client's realtime thread runs stream_rt.c; they
 * share a ring and a poll fd (stream.h says how). A watchdog thread turns a
 * server that runs no cycle for RILL_ALSA_STALL_MS into an error.
 *
 * Threads: every callback here runs on a thread of the program (alsa-lib
 * holds the PCM's lock around most of them); none runs on the realtime
 * thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clients/alsa/chmap.h"
#include "clients/alsa/convert.h"
#include "clients/alsa/delay.h"
#include "clients/alsa/stream.h"
#include "clients/alsa/volume.h"
#include "rill/limits.h"
#include "rill/time.h"

/* the largest buffer in bytes: ioplug's constraints are in bytes (it has
 * no hook that could follow the rate a program picks), so the 2 s
 * is a byte count: 2 s of 44.1 kHz stereo S16, shorter for larger frames,
 * longer for smaller ones (hw_params says so then; doc/alsa-bridge.md);
 * `latency` lowers it */
#define BUFFER_BYTES_MAX (2u * 44100u * 4u)
/* the longest buffer meant, in seconds */
#define BUFFER_SECONDS_MAX 2u
#define PERIOD_BYTES_MIN 64u

/* Print the server-gone sentence once. */
static int gone(struct rill_astream *s)
{
    if (!s->dead_said) {
        s->dead_said = 1;
        SNDERR("rill: the rill server '%s' went away or stopped running cycles (client '%s'); "
               "reopen the device once it runs again",
               rill_client_state(s->client)->server_name, rill_client_name(s->client));
    }
    return -ENODEV;
}

/* Bring app_pos up to io.appl_ptr (forward, rewind, transfers) and, for
 * playback, let the ring's write position follow; for capture, release what
 * the program has read. */
static void sync_appl(struct rill_astream *s)
{
    snd_pcm_uframes_t a = s->io.appl_ptr, b = s->boundary;
    if (b == 0) {
        s->app_pos += (uint64_t)(a - s->last_appl);
    } else {
        snd_pcm_uframes_t d = (a + b - s->last_appl % b) % b;
        if (d > b / 2)
            s->app_pos -= (uint64_t)(b - d);
        else
            s->app_pos += d;
    }
    s->last_appl = a;
    if (!atomic_load_explicit(&s->configured, memory_order_acquire))
        return;
    if (s->playback) {
        /* relaxed: only we store wpos; a rewind moves it back */
        if (atomic_load_explicit(&s->ring.wpos, memory_order_relaxed) != s->app_pos)
            atomic_store_explicit(&s->ring.wpos, s->app_pos, memory_order_release);
    } else {
        /* release: the frames before app_pos are read */
        atomic_store_explicit(&s->ring.rpos, s->app_pos, memory_order_release);
    }
}

/* Program thread: snd_pcm_start; under the PCM lock. */
static int cb_start(snd_pcm_ioplug_t *io)
{
    struct rill_astream *s = io->private_data;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    atomic_store_explicit(&s->running, 1, memory_order_seq_cst);
    rill_astream_level_sync(s);
    return 0;
}

/* Program thread: snd_pcm_drop and the end of a drain; under the PCM lock. */
static int cb_stop(snd_pcm_ioplug_t *io)
{
    struct rill_astream *s = io->private_data;
    atomic_store_explicit(&s->running, 0, memory_order_seq_cst);
    rill_astream_quiesce(s);
    atomic_store_explicit(&s->draining, 0, memory_order_release);
    atomic_store_explicit(&s->paused, 0, memory_order_release);
    rill_astream_level_sync(s);
    return 0;
}

/* Program thread: the hardware pointer; under the PCM lock. */
static snd_pcm_sframes_t cb_pointer(snd_pcm_ioplug_t *io)
{
    struct rill_astream *s = io->private_data;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    if (atomic_load_explicit(&s->xrun, memory_order_acquire))
        return -EPIPE;
    sync_appl(s);
    if (!atomic_load_explicit(&s->configured, memory_order_acquire))
        return 0;
    uint64_t pos = s->playback ? atomic_load_explicit(&s->ring.rpos, memory_order_acquire)
                               : atomic_load_explicit(&s->ring.wpos, memory_order_acquire);
    return (snd_pcm_sframes_t)(s->boundary ? pos % s->boundary : pos);
}

/* Program thread: every RW transfer and mmap commit (playback) or mmap begin (capture); under the PCM lock. */
static snd_pcm_sframes_t cb_transfer(snd_pcm_ioplug_t *io, const snd_pcm_channel_area_t *areas,
                                     snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
    struct rill_astream *s = io->private_data;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    if (!atomic_load_explicit(&s->configured, memory_order_acquire))
        return -EBADFD;
    sync_appl(s);
    struct rill_aring *rg = &s->ring;
    uint32_t ch = s->channels;
    if (size > rg->cap)
        size = rg->cap;
    uint64_t pos = s->app_pos;
    snd_pcm_uframes_t done = 0;
    while (done < size) {
        uint32_t contig;
        float *p = rill_aring_at(rg, pos + done, &contig);
        uint32_t k = size - done < contig ? (uint32_t)(size - done) : contig;
        if (s->playback)
            rill_afmt_to_float(s->format, areas, offset + done, ch, k, p);
        else
            rill_afmt_from_float(s->format, p, ch, k, areas, offset + done);
        done += k;
    }
    if (s->playback) /* release: the samples are in before the RT side sees them */
        atomic_store_explicit(&rg->wpos, pos + size, memory_order_release);
    rill_astream_level_sync(s);
    return (snd_pcm_sframes_t)size;
}

/* Free what hw_params made. While quiesced. */
static void free_buffers(struct rill_astream *s)
{
    rill_aring_free(&s->ring);
    rill_resampler_free(s->rs);
    s->rs = NULL;
    free(s->scratch);
    s->scratch = NULL;
    free(s->zeros);
    s->zeros = NULL;
    s->zeros_frames = 0;
}

/* Program thread: snd_pcm_hw_params. */
static int cb_hw_params(snd_pcm_ioplug_t *io, snd_pcm_hw_params_t *params)
{
    struct rill_astream *s = io->private_data;
    char err[256] = "";
    int r;
    (void)params;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    if (!rill_afmt_supported(io->format) || io->channels < 1 ||
        io->channels > RILL_ALSA_MAX_CHANNELS || io->buffer_size < 1) {
        SNDERR("rill: unsupported setup: format %s, %u channels", snd_pcm_format_name(io->format),
               io->channels);
        return -EINVAL;
    }
    atomic_store_explicit(&s->configured, 0, memory_order_seq_cst);
    rill_astream_quiesce(s);
    free_buffers(s);
    s->channels = io->channels;
    s->format = io->format;
    s->app_rate = io->rate;
    s->eng_rate = rill_client_state(s->client)->rate;
    s->buffer_size = (uint32_t)io->buffer_size;
    rill_achmap_route_identity(s->channels, s->route);
    r = rill_aring_alloc(&s->ring, s->buffer_size, s->channels);
    if (r < 0)
        goto fail;
    s->scratch = calloc((size_t)RILL_MAX_PERIOD * s->channels, sizeof(float));
    if (!s->scratch) {
        r = -ENOMEM;
        goto fail;
    }
    if (s->app_rate != s->eng_rate) {
        uint32_t in = s->playback ? s->app_rate : s->eng_rate;
        uint32_t out = s->playback ? s->eng_rate : s->app_rate;
        r = rill_resampler_new(&s->rs, s->channels, in, out, RILL_RESAMPLER_QUALITY);
        if (r < 0) {
            snprintf(err, sizeof(err), "cannot convert %u Hz to %u Hz", in, out);
            goto fail;
        }
        s->zeros_frames = rill_resampler_latency(s->rs) + 1;
        s->zeros = calloc((size_t)s->zeros_frames * s->channels, sizeof(float));
        if (!s->zeros) {
            r = -ENOMEM;
            goto fail;
        }
    }
    r = rill_astream_ports(s, s->channels, err, sizeof(err));
    if (r < 0)
        goto fail;
    atomic_store_explicit(&s->configured, 1, memory_order_seq_cst);
    rill_astream_level_sync(s);
    if ((uint64_t)io->buffer_size > (uint64_t)BUFFER_SECONDS_MAX * io->rate)
        SNDERR("rill: this stream's buffer of %lu frames holds %.1f s at %u Hz, more than the "
               "%u s rill means to allow: alsa-lib's ioplug lets a plugin cap a buffer only in "
               "bytes (%u, %u s of 44.1 kHz stereo S16), and small frames fit more; the stream "
               "works, with up to %.1f s of latency when the program keeps its buffer full "
               "(ask for less, e.g. aplay --buffer-time=2000000)",
               (unsigned long)io->buffer_size, (double)io->buffer_size / io->rate, io->rate,
               BUFFER_SECONDS_MAX, BUFFER_BYTES_MAX, BUFFER_SECONDS_MAX,
               (double)io->buffer_size / io->rate);
    return 0;
fail:
    free_buffers(s);
    SNDERR("rill: cannot set up the stream (%u Hz, %u channels, %s, buffer %lu frames): %s",
           io->rate, io->channels, snd_pcm_format_name(io->format), (unsigned long)io->buffer_size,
           err[0] ? err : strerror(-r));
    return r;
}

/* Program thread: snd_pcm_sw_params (also once inside hw_params). */
static int cb_sw_params(snd_pcm_ioplug_t *io, snd_pcm_sw_params_t *params)
{
    struct rill_astream *s = io->private_data;
    snd_pcm_uframes_t amin = 1, stop = 0, b = 0;
    snd_pcm_sw_params_get_avail_min(params, &amin);
    snd_pcm_sw_params_get_stop_threshold(params, &stop);
    snd_pcm_sw_params_get_boundary(params, &b);
    if (b)
        s->boundary = b;
    atomic_store_explicit(&s->avail_min, amin ? amin : 1, memory_order_relaxed);
    atomic_store_explicit(&s->xrun_enabled, stop <= io->buffer_size, memory_order_relaxed);
    rill_astream_level_sync(s);
    return 0;
}

/* Program thread: snd_pcm_prepare and snd_pcm_recover. */
static int cb_prepare(snd_pcm_ioplug_t *io)
{
    struct rill_astream *s = io->private_data;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    if (s->boundary == 0) {
        snd_pcm_sw_params_t *sw;
        snd_pcm_sw_params_alloca(&sw);
        snd_pcm_uframes_t b = 0;
        if (snd_pcm_sw_params_current(io->pcm, sw) == 0 &&
            snd_pcm_sw_params_get_boundary(sw, &b) == 0 && b)
            s->boundary = b;
    }
    atomic_store_explicit(&s->running, 0, memory_order_seq_cst);
    rill_astream_quiesce(s);
    rill_aring_reset(&s->ring, 0);
    rill_resampler_reset(s->rs);
    s->rt_flushed = 0;
    s->app_pos = 0;
    s->last_appl = io->appl_ptr;
    atomic_store_explicit(&s->xrun, 0, memory_order_release);
    atomic_store_explicit(&s->drained, 0, memory_order_release);
    atomic_store_explicit(&s->draining, 0, memory_order_release);
    atomic_store_explicit(&s->paused, 0, memory_order_release);
    atomic_store_explicit(&s->pub_cycle_ns, 0, memory_order_relaxed);
    rill_astream_level_sync(s);
    return 0;
}

/* The frames the graph has yet to play of what was consumed, or has
 * captured and not yet delivered (delay.h). */
static int64_t compute_delay(struct rill_astream *s)
{
    uint64_t cycle_ns = 0, pos = 0;
    uint32_t period = 0;
    rill_astream_published(s, &cycle_ns, &period, &pos);
    uint32_t lat = rill_astream_port_latency(s);
    uint32_t rsl = rill_resampler_latency(s->rs);
    uint64_t now = rill_now_ns();
    if (s->playback) {
        uint64_t r = atomic_load_explicit(&s->ring.rpos, memory_order_acquire);
        uint64_t ring = s->app_pos > r ? s->app_pos - r : 0;
        if (!atomic_load_explicit(&s->running, memory_order_acquire))
            return (int64_t)ring;
        return rill_adelay_playback(ring, rsl, period, lat, now, cycle_ns, s->app_rate,
                                    s->eng_rate);
    }
    uint64_t w = atomic_load_explicit(&s->ring.wpos, memory_order_acquire);
    uint64_t ring = w > s->app_pos ? w - s->app_pos : 0;
    if (!atomic_load_explicit(&s->running, memory_order_acquire) || cycle_ns == 0)
        return (int64_t)ring;
    return rill_adelay_capture(ring, rsl, period, lat, now, cycle_ns, s->app_rate, s->eng_rate);
}

/* Program thread: snd_pcm_delay and snd_pcm_status; under the PCM lock. */
static int cb_delay(snd_pcm_ioplug_t *io, snd_pcm_sframes_t *delayp)
{
    struct rill_astream *s = io->private_data;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    if (atomic_load_explicit(&s->xrun, memory_order_acquire))
        return -EPIPE;
    sync_appl(s);
    if (!atomic_load_explicit(&s->configured, memory_order_acquire)) {
        *delayp = 0;
        return 0;
    }
    if (io->state == SND_PCM_STATE_PAUSED) {
        *delayp = (snd_pcm_sframes_t)s->pause_delay;
        return 0;
    }
    *delayp = (snd_pcm_sframes_t)compute_delay(s);
    return 0;
}

/* Program thread: snd_pcm_pause; under the PCM lock. */
static int cb_pause(snd_pcm_ioplug_t *io, int enable)
{
    struct rill_astream *s = io->private_data;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    if (enable) {
        sync_appl(s);
        s->pause_delay = compute_delay(s);
        atomic_store_explicit(&s->paused, 1, memory_order_release);
    } else {
        atomic_store_explicit(&s->paused, 0, memory_order_release);
    }
    rill_astream_level_sync(s);
    return 0;
}

/* Wait on the poll fd for up to ms. */
static void wait_fd(struct rill_astream *s, int ms)
{
    struct pollfd p = { .fd = s->efd, .events = POLLIN };
    rill_astream_level_sync(s);
    if (poll(&p, 1, ms) < 0 && errno != EINTR)
        return;
}

/* Program thread: snd_pcm_drain; without the PCM lock (ioplug lets the plugin wait). */
static int cb_drain(snd_pcm_ioplug_t *io)
{
    struct rill_astream *s = io->private_data;
    if (!s->playback)
        return 0;
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        return gone(s);
    if (!atomic_load_explicit(&s->configured, memory_order_acquire))
        return 0;
    if (!atomic_load_explicit(&s->draining, memory_order_acquire)) {
        atomic_store_explicit(&s->drained, 0, memory_order_release);
        atomic_store_explicit(&s->draining, 1, memory_order_release);
    }
    /* a drain of a stream never started plays what was written */
    atomic_store_explicit(&s->running, 1, memory_order_seq_cst);
    rill_astream_level_sync(s);
    if (io->nonblock)
        return atomic_load_explicit(&s->drained, memory_order_acquire) ? 0 : -EAGAIN;
    /* bounded by the audio left plus the stall watchdog */
    for (;;) {
        if (atomic_load_explicit(&s->drained, memory_order_acquire) ||
            atomic_load_explicit(&s->xrun, memory_order_acquire))
            break;
        if (atomic_load_explicit(&s->dead, memory_order_acquire))
            return gone(s);
        wait_fd(s, 100);
    }
    /* the last frames are in the graph: wait until they reach the card */
    int64_t left = compute_delay(s);
    if (left > 0 && s->app_rate) {
        uint64_t ns = (uint64_t)left * 1000000000u / s->app_rate;
        if (ns > 2000000000u)
            ns = 2000000000u;
        struct timespec ts = rill_ns_to_timespec(ns);
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Program thread: snd_pcm_poll_descriptors_revents, also inside alsa-lib's own waits. */
static int cb_poll_revents(snd_pcm_ioplug_t *io, struct pollfd *pfd, unsigned int nfds,
                           unsigned short *revents)
{
    struct rill_astream *s = io->private_data;
    (void)pfd;
    (void)nfds;
    rill_astream_level_sync(s);
    unsigned short ev = 0;
    if (rill_astream_ready(s))
        ev = s->playback ? POLLOUT : POLLIN;
    /* an xrun wakes the program as readiness: its next call reads the
     * pointer and gets -EPIPE (alsa-lib turns POLLERR into -EIO while the
     * state still says RUNNING); a dead server is an error at once */
    if (atomic_load_explicit(&s->dead, memory_order_acquire))
        ev |= POLLERR;
    *revents = ev;
    return 0;
}

/* Program thread: snd_pcm_query_chmaps. */
static snd_pcm_chmap_query_t **cb_query_chmaps(snd_pcm_ioplug_t *io)
{
    (void)io;
    return rill_achmap_query();
}

/* Program thread: snd_pcm_get_chmap; NULL before hw_params (the channel
 * count is not known) or for a count without a map. */
static snd_pcm_chmap_t *cb_get_chmap(snd_pcm_ioplug_t *io)
{
    struct rill_astream *s = io->private_data;
    if (!atomic_load_explicit(&s->configured, memory_order_acquire))
        return NULL;
    return rill_achmap_current(s->channels, s->route);
}

/* Program thread: snd_pcm_set_chmap; after hw_params. The new route is
 * stored while the realtime side is outside its cycle. */
static int cb_set_chmap(snd_pcm_ioplug_t *io, const snd_pcm_chmap_t *map)
{
    struct rill_astream *s = io->private_data;
    char err[256];
    uint8_t route[RILL_ALSA_MAX_CHANNELS];
    if (!atomic_load_explicit(&s->configured, memory_order_acquire)) {
        SNDERR("rill: a channel map is set after the hardware parameters (the channel count)");
        return -EBADFD;
    }
    int r = rill_achmap_route(s->channels, map, route, err, sizeof(err));
    if (r < 0) {
        SNDERR("rill: cannot set the channel map: %s", err);
        return r;
    }
    if (memcmp(route, s->route, s->channels) == 0)
        return 0;
    atomic_store_explicit(&s->configured, 0, memory_order_seq_cst);
    rill_astream_quiesce(s);
    memcpy(s->route, route, s->channels);
    atomic_store_explicit(&s->configured, 1, memory_order_seq_cst);
    rill_astream_level_sync(s);
    return 0;
}

/* Program thread: snd_pcm_dump. */
static void cb_dump(snd_pcm_ioplug_t *io, snd_output_t *out)
{
    struct rill_astream *s = io->private_data;
    snd_output_printf(out, "rill PCM: client '%s' on server '%s', %s\n",
                      rill_client_name(s->client), rill_client_state(s->client)->server_name,
                      s->rs ? "resampled (speexdsp)" : "at the engine's rate");
    if (io->state != SND_PCM_STATE_OPEN) {
        snd_output_printf(out, "Its setup is:\n");
        snd_pcm_dump_setup(io->pcm, out);
    }
}

/* Stop the watchdog thread. */
static void watchdog_stop(struct rill_astream *s)
{
    if (!s->watchdog_started)
        return;
    pthread_mutex_lock(&s->wd_lock);
    s->wd_quit = 1;
    pthread_cond_signal(&s->wd_cond);
    pthread_mutex_unlock(&s->wd_lock);
    pthread_join(s->watchdog, NULL);
    s->watchdog_started = 0;
}

static void stream_free(struct rill_astream *s)
{
    watchdog_stop(s);
    /* the client leaves the graph (its realtime thread joined) before
     * anything it uses is freed */
    rill_client_close(s->client);
    s->client = NULL;
    free_buffers(s);
    if (s->efd >= 0)
        close(s->efd);
    pthread_cond_destroy(&s->wd_cond);
    pthread_mutex_destroy(&s->wd_lock);
    free(s);
}

/* Program thread: snd_pcm_close. */
static int cb_close(snd_pcm_ioplug_t *io)
{
    stream_free(io->private_data);
    return 0;
}

static const snd_pcm_ioplug_callback_t callbacks = {
    .start = cb_start,
    .stop = cb_stop,
    .pointer = cb_pointer,
    .transfer = cb_transfer,
    .close = cb_close,
    .hw_params = cb_hw_params,
    .sw_params = cb_sw_params,
    .prepare = cb_prepare,
    .drain = cb_drain,
    .pause = cb_pause,
    .poll_revents = cb_poll_revents,
    .dump = cb_dump,
    .delay = cb_delay,
    .query_chmaps = cb_query_chmaps,
    .get_chmap = cb_get_chmap,
    .set_chmap = cb_set_chmap,
};

/* Read the ctl plugin's values and set the stream's gain (the realtime
 * side ramps to it). The program thread at open, then the notification
 * thread. */
static void apply_volume(struct rill_astream *s)
{
    long v[RILL_VOL_COUNT];
    if (rill_volume_read(s->client, v) < 0)
        return;
    union {
        float f;
        uint32_t u;
    } g;
    g.f = s->playback ? rill_volume_gain(v[RILL_VOL_PLAYBACK], v[RILL_VOL_PLAYBACK_SWITCH])
                      : rill_volume_gain(v[RILL_VOL_CAPTURE], v[RILL_VOL_CAPTURE_SWITCH]);
    /* relaxed: one word, read once per cycle */
    atomic_store_explicit(&s->gain_bits, g.u, memory_order_relaxed);
}

/* The notification thread: the server went away, started or stopped
 * freewheeling, or the volume changed. */
static void on_event(void *arg, const struct rill_msg *ev)
{
    struct rill_astream *s = arg;
    if (ev->type == RILL_EV_SHUTDOWN) {
        atomic_store_explicit(&s->dead, 1, memory_order_release);
        rill_astream_level_sync(s);
    } else if (!atomic_load_explicit(&s->events_ready, memory_order_acquire)) {
        /* the open reads the volume itself once it may; the realtime thread
         * starts at the server's current freewheel state */
    } else if (ev->type == RILL_EV_FREEWHEEL) {
        /* as the engine's other clients: the realtime thread drops to
         * SCHED_OTHER while the engine runs cycles back to back, and goes
         * back to SCHED_FIFO after (a failure leaves it where it is) */
        (void)rill_client_set_freewheel(s->client, ev->u.size_event.value ? 1 : 0);
    } else if (rill_volume_event_matches(s->client, ev)) {
        apply_volume(s);
    }
}

/* The realtime thread, once before its first cycle: a name that ps, top
 * and the tests (rt-syscalls.sh) can find it by. */
static void on_rt_init(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), RILL_ALSA_RT_THREAD_NAME);
}

/* The watchdog: a running stream whose server runs no cycle for
 * RILL_ALSA_STALL_MS (rilld stopped or stuck) is dead. */
static void *watchdog_main(void *arg)
{
    struct rill_astream *s = arg;
    pthread_mutex_lock(&s->wd_lock);
    while (!s->wd_quit) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wd_cond, &s->wd_lock, &ts);
        if (s->wd_quit || atomic_load_explicit(&s->dead, memory_order_acquire))
            continue;
        int dead = !rill_client_alive(s->client);
        if (!dead && atomic_load_explicit(&s->running, memory_order_acquire)) {
            struct rill_shm_cycle cy;
            memset(&cy, 0, sizeof(cy));
            /* no consistent record (rill/seqlock.h): judge at the next look */
            if (rill_cycle_read(&rill_client_state(s->client)->cycle, &cy) == 0) {
                uint64_t now = rill_now_ns();
                dead = cy.usecs * 1000u + (uint64_t)RILL_ALSA_STALL_MS * 1000000u < now;
            }
        }
        if (dead) {
            atomic_store_explicit(&s->dead, 1, memory_order_release);
            rill_astream_level_sync(s);
        }
    }
    pthread_mutex_unlock(&s->wd_lock);
    return NULL;
}

/* The client name: conf, else the program's name. */
static void client_name(const struct rill_alsa_conf *c, char *out, size_t size)
{
    if (c->name[0]) {
        snprintf(out, size, "%s", c->name);
        return;
    }
    const char *p = program_invocation_short_name;
    snprintf(out, size, "%s", p && p[0] ? p : "alsa");
}

/* Set the hw constraints. */
static int set_constraints(struct rill_astream *s)
{
    static const unsigned int access[] = {
        SND_PCM_ACCESS_RW_INTERLEAVED, SND_PCM_ACCESS_RW_NONINTERLEAVED,
        SND_PCM_ACCESS_MMAP_INTERLEAVED, SND_PCM_ACCESS_MMAP_NONINTERLEAVED
    };
    unsigned int nfmt;
    const unsigned int *fmts = rill_afmt_list(&nfmt);
    unsigned int bytes_max = BUFFER_BYTES_MAX;
    if (s->conf.latency_ms < RILL_ALSA_LATENCY_MAX_MS)
        bytes_max = (unsigned int)((uint64_t)bytes_max * s->conf.latency_ms /
                                   RILL_ALSA_LATENCY_MAX_MS);
    if (bytes_max < 2 * PERIOD_BYTES_MIN)
        bytes_max = 2 * PERIOD_BYTES_MIN;
    int r;
    if ((r = snd_pcm_ioplug_set_param_list(&s->io, SND_PCM_IOPLUG_HW_ACCESS, 4, access)) < 0 ||
        (r = snd_pcm_ioplug_set_param_list(&s->io, SND_PCM_IOPLUG_HW_FORMAT, nfmt, fmts)) < 0 ||
        (r = snd_pcm_ioplug_set_param_minmax(&s->io, SND_PCM_IOPLUG_HW_CHANNELS, 1,
                                             RILL_ALSA_MAX_CHANNELS)) < 0 ||
        (r = snd_pcm_ioplug_set_param_minmax(&s->io, SND_PCM_IOPLUG_HW_RATE, 8000, 384000)) < 0 ||
        (r = snd_pcm_ioplug_set_param_minmax(&s->io, SND_PCM_IOPLUG_HW_PERIOD_BYTES,
                                             PERIOD_BYTES_MIN, bytes_max / 2)) < 0 ||
        (r = snd_pcm_ioplug_set_param_minmax(&s->io, SND_PCM_IOPLUG_HW_BUFFER_BYTES,
                                             2 * PERIOD_BYTES_MIN, bytes_max)) < 0 ||
        (r = snd_pcm_ioplug_set_param_minmax(&s->io, SND_PCM_IOPLUG_HW_PERIODS, 2, 1024)) < 0)
        return r;
    return 0;
}

/* alsa-lib's entry point (SND_PCM_PLUGIN_DEFINE_FUNC's signature). */
#pragma GCC visibility push(default)
SND_PCM_PLUGIN_DEFINE_FUNC(rill)
{
    char err[512] = "";
    char cname[RILL_CLIENT_NAME_SIZE];
    (void)root;
    int r;
    struct rill_astream *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->efd = -1;
    pthread_mutex_init(&s->wd_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wd_cond, &ca);
    pthread_condattr_destroy(&ca);
    s->playback = stream == SND_PCM_STREAM_PLAYBACK;
    s->rt_gain = 1.0f;
    union {
        float f;
        uint32_t u;
    } one = { .f = 1.0f };
    atomic_init(&s->gain_bits, one.u);
    atomic_init(&s->avail_min, 1);
    atomic_init(&s->xrun_enabled, 1);

    rill_alsa_conf_init(&s->conf);
    if (rill_alsa_conf_parse(conf, name ? name : "rill", &s->conf, err, sizeof(err)) < 0 ||
        rill_alsa_conf_env(&s->conf, err, sizeof(err)) < 0) {
        SNDERR("rill: %s", err);
        r = -EINVAL;
        goto fail;
    }
    client_name(&s->conf, cname, sizeof(cname));
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0) {
        r = -errno;
        SNDERR("rill: cannot create an eventfd: %s", strerror(-r));
        goto fail;
    }
    struct rill_client_callbacks cb = {
        .arg = s,
        .event = on_event,
        .rt_init = on_rt_init,
        .process = rill_astream_rt_process,
    };
    r = rill_client_open(s->conf.server[0] ? s->conf.server : NULL, cname, 0, &cb, &s->client,
                         err, sizeof(err));
    if (r < 0) {
        SNDERR("rill: %s", err);
        goto fail;
    }
    if (rill_client_state(s->client)->server_pid == (int32_t)getpid()) {
        SNDERR("rill: this program is the rill server '%s' itself: it cannot open the rill "
               "device (it would play into its own graph); give it a sound card", 
               rill_client_state(s->client)->server_name);
        r = -ELOOP;
        goto fail;
    }
    atomic_store_explicit(&s->events_ready, 1, memory_order_release);
    apply_volume(s);
    s->rt_gain = 0.0f; /* the first cycle fades in from silence */

    s->io.version = SND_PCM_IOPLUG_VERSION;
    s->io.name = "rill: the rill audio graph";
    s->io.callback = &callbacks;
    s->io.private_data = s;
    s->io.poll_fd = s->efd;
    s->io.poll_events = POLLIN;
    s->io.mmap_rw = 0;
    s->io.flags = SND_PCM_IOPLUG_FLAG_BOUNDARY_WA | SND_PCM_IOPLUG_FLAG_MONOTONIC;
    r = snd_pcm_ioplug_create(&s->io, name, stream, mode);
    if (r < 0) {
        SNDERR("rill: snd_pcm_ioplug_create failed: %s", snd_strerror(r));
        goto fail;
    }
    s->io.nonblock = (mode & SND_PCM_NONBLOCK) ? 1 : 0;
    r = set_constraints(s);
    if (r < 0) {
        snd_pcm_ioplug_delete(&s->io); /* calls cb_close, which frees s */
        return r;
    }
    if (pthread_create(&s->watchdog, NULL, watchdog_main, s) == 0)
        s->watchdog_started = 1;
    *pcmp = s->io.pcm;
    return 0;
fail:
    stream_free(s);
    return r;
}
SND_PCM_PLUGIN_SYMBOL(rill);
#pragma GCC visibility pop
