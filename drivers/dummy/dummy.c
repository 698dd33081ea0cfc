/* drivers/dummy/dummy.c — the timer-paced driver: no sound card.
 *
 * Periods are paced by a CLOCK_MONOTONIC timerfd armed with TFD_TIMER_ABSTIME
 * at exact frame-based deadlines: period boundary F (a frame count, a
 * multiple of the period) falls at
 *
 *     t0 + floor(F * 1e9 / rate)   ns
 *
 * computed from the integer F each time, so rounding never accumulates and
 * the clock never drifts. start() takes t0 = now and arms the boundary one
 * period later, with an interval of floor(period * 1e9 / rate) ns, so that
 * the kernel re-arms it and a cycle costs one system call (the read), not
 * two. The interval's dropped fraction of a nanosecond makes the timer run
 * early by a growing amount; once that reaches DUMMY_MAX_EARLY_NS, wait()
 * re-arms it at the exact boundary (at 48 kHz, 64 frames: every 3000
 * periods). wait() blocks in read() on the timerfd and reports the boundary
 * it woke for. When it wakes more than one whole period late, it skips ahead
 * to the last boundary already passed and reports the whole periods lost in
 * `skipped` (an xrun); the timer then re-arms at the exact next boundary.
 *
 * Capture is silence; playback is discarded.
 */
#include "drivers/dummy/dummy.h"
#include "rill/limits.h"
#include "rill/time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define NS_PER_S 1000000000ull
/* read() retries after EINTR before giving up; keeps the wait bounded. */
#define DUMMY_EINTR_RETRIES 16
/* how early the periodic timer may fire against the exact boundary */
#define DUMMY_MAX_EARLY_NS 1000u

enum { DUMMY_RATE, DUMMY_PERIOD, DUMMY_CAPTURE, DUMMY_PLAYBACK, DUMMY_WAIT, DUMMY_NPARAMS };

static const struct rill_param dummy_params[DUMMY_NPARAMS + 1] = {
    [DUMMY_RATE] = { .name = "rate", .short_opt = 'r', .type = RILL_PARAM_UINT,
                     .def = "48000", .min = RILL_MIN_RATE, .max = RILL_MAX_RATE,
                     .help = "sample rate in Hz" },
    [DUMMY_PERIOD] = { .name = "period", .short_opt = 'p', .type = RILL_PARAM_UINT,
                       .def = "256", .min = RILL_MIN_PERIOD, .max = RILL_MAX_PERIOD,
                       .pow2 = 1, .help = "frames per period" },
    [DUMMY_CAPTURE] = { .name = "capture", .short_opt = 'C', .type = RILL_PARAM_UINT,
                        .def = "2", .min = 0, .max = RILL_MAX_CHANNELS,
                        .help = "capture channels" },
    [DUMMY_PLAYBACK] = { .name = "playback", .short_opt = 'P', .type = RILL_PARAM_UINT,
                         .def = "2", .min = 0, .max = RILL_MAX_CHANNELS,
                         .help = "playback channels" },
    /* jackd's dummy -w (qjackctl sends it when its "wait" is not 21333):
     * rill paces cycles by rate and period, so the value must agree */
    [DUMMY_WAIT] = { .name = "wait", .short_opt = 'w', .type = RILL_PARAM_UINT,
                     .min = 1, .max = 10000000,
                     .help = "jackd's cycle time in us; must equal PERIOD / RATE (rill paces "
                             "cycles by -r and -p)" },
    [DUMMY_NPARAMS] = { .name = NULL },
};

struct rill_driver {
    int tfd;                /* CLOCK_MONOTONIC timerfd */
    int running;            /* between start and stop; realtime thread only */
    uint32_t rate;
    uint32_t period;
    uint32_t capture_channels;
    uint32_t playback_channels;
    uint64_t t0_ns;         /* frame 0 */
    uint64_t next_frame;    /* boundary the armed timer stands for */
    uint64_t armed_frame;   /* boundary the timer was last armed at, exactly */
    uint64_t interval_ns;   /* its interval, floor(period * 1e9 / rate) */
};

/* ns from frame 0 to frame F, floor(F * 1e9 / rate), without overflow for
 * any F (split into whole seconds and a remainder below rate). RT-safe. */
static uint64_t frames_to_ns(uint64_t frames, uint32_t rate)
{
    return (frames / rate) * NS_PER_S + (frames % rate) * NS_PER_S / rate;
}

/* floor(ns * rate / 1e9), exact, without overflow. RT-safe. */
static uint64_t ns_to_frames(uint64_t ns, uint32_t rate)
{
    return (ns / NS_PER_S) * rate + (ns % NS_PER_S) * rate / NS_PER_S;
}

/* CLOCK_MONOTONIC time of boundary `frame`. RT-safe. */
static uint64_t deadline_ns(const struct rill_driver *d, uint64_t frame)
{
    return d->t0_ns + frames_to_ns(frame, d->rate);
}

/* Arm the timer for boundary d->next_frame and every interval after it.
 * RT-safe (one syscall). */
static int arm(struct rill_driver *d)
{
    d->interval_ns = frames_to_ns(d->period, d->rate);
    struct itimerspec its = { .it_interval = rill_ns_to_timespec(d->interval_ns),
                              .it_value = rill_ns_to_timespec(deadline_ns(d, d->next_frame)) };

    if (timerfd_settime(d->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -errno;
    d->armed_frame = d->next_frame;
    return 0;
}

/* How early the periodic timer fires for boundary frame (a multiple of the
 * period at or after armed_frame) against the exact time. RT-safe. */
static uint64_t timer_early_ns(const struct rill_driver *d, uint64_t frame)
{
    uint64_t k = (frame - d->armed_frame) / d->period;
    uint64_t fires = deadline_ns(d, d->armed_frame) + k * d->interval_ns;
    uint64_t exact = deadline_ns(d, frame);
    return exact > fires ? exact - fires : 0;
}

/* Refuse a value the table does not allow (open may be given a config that
 * did not come from rill_driver_params_parse). Main thread. */
static int check_uint(const struct rill_param *p, uint32_t u, char *err, size_t errsize)
{
    int bad = u < p->min || u > p->max || (p->pow2 && (u == 0 || (u & (u - 1u)) != 0));

    if (bad && err && errsize)
        snprintf(err, errsize, "%s %u is not allowed: use %s from %u to %u", p->name, u,
                 p->pow2 ? "a power of two" : "a number", p->min, p->max);
    return bad ? -EINVAL : 0;
}

/* Main thread. */
static int dummy_open(const struct rill_driver_config *cfg, struct rill_driver **out,
                      struct rill_driver_info *info, char *err, size_t errsize)
{
    struct rill_driver *d = NULL;
    int r;

    if (!cfg || !out || !info) {
        if (err && errsize)
            snprintf(err, errsize, "open needs a config, an out pointer and an info");
        return -EINVAL;
    }
    for (int k = 0; k < DUMMY_NPARAMS; k++) {
        if (k == DUMMY_WAIT && !cfg->v[k].set)
            continue;
        r = check_uint(&dummy_params[k], cfg->v[k].u, err, errsize);
        if (r < 0)
            return r;
    }
    if (cfg->v[DUMMY_WAIT].set) {
        /* the period's length in us, rounded as jackd's 21333 for 1024/48000 */
        uint64_t us = (uint64_t)cfg->v[DUMMY_PERIOD].u * 1000000u / cfg->v[DUMMY_RATE].u;
        uint64_t w = cfg->v[DUMMY_WAIT].u;
        if (w + 1 < us || w > us + 1) {
            if (err && errsize)
                snprintf(err, errsize,
                         "-w %llu us does not match the period: %u frames at %u Hz last %llu "
                         "us. rill's dummy driver paces cycles by -r and -p; leave -w out, "
                         "or give -p and -r whose period lasts %llu us",
                         (unsigned long long)w, cfg->v[DUMMY_PERIOD].u, cfg->v[DUMMY_RATE].u,
                         (unsigned long long)us, (unsigned long long)w);
            return -EINVAL;
        }
    }

    d = calloc(1, sizeof *d);
    if (!d) {
        r = -ENOMEM;
        if (err && errsize)
            snprintf(err, errsize, "out of memory");
        goto fail;
    }
    d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (d->tfd < 0) {
        r = -errno;
        if (err && errsize)
            snprintf(err, errsize, "timerfd_create failed: %s", strerror(-r));
        goto fail_free;
    }
    d->rate = cfg->v[DUMMY_RATE].u;
    d->period = cfg->v[DUMMY_PERIOD].u;
    d->capture_channels = cfg->v[DUMMY_CAPTURE].u;
    d->playback_channels = cfg->v[DUMMY_PLAYBACK].u;

    memset(info, 0, sizeof *info);
    info->rate = d->rate;
    info->period = d->period;
    info->nperiods = 2; /* nominal: there is no device buffer */
    info->capture_channels = d->capture_channels;
    info->playback_channels = d->playback_channels;
    info->capture_latency = d->period;
    info->playback_latency = d->period;
    info->discards_playback = 1;
    *out = d;
    return 0;

fail_free:
    free(d);
fail:
    return r;
}

/* Realtime thread, RT-safe. */
int rill_dummy_start_at(struct rill_driver *d, uint64_t first_ns)
{
    if (!d)
        return -EINVAL;
    uint64_t p = frames_to_ns(d->period, d->rate);
    d->t0_ns = first_ns > p ? first_ns - p : 0;
    d->next_frame = d->period;
    int r = arm(d);
    if (r < 0)
        return r;
    d->running = 1;
    return 0;
}

/* Realtime thread, RT-safe. */
static int dummy_start(struct rill_driver *d)
{
    if (!d)
        return -EINVAL;
    return rill_dummy_start_at(d, rill_now_ns() + frames_to_ns(d->period, d->rate));
}

/* Realtime thread, RT-safe: the timerfd read is the driver wait. */
static int dummy_wait(struct rill_driver *d, struct rill_driver_wait *w)
{
    uint64_t expirations;
    ssize_t n = -1;
    int r;

    if (!d || !w || !d->running)
        return -EINVAL;
    for (int tries = 0; tries < DUMMY_EINTR_RETRIES; tries++) {
        n = read(d->tfd, &expirations, sizeof expirations);
        if (n >= 0 || errno != EINTR)
            break;
    }
    if (n < 0)
        return -errno;
    if (n != (ssize_t)sizeof expirations)
        return -EIO;

    uint64_t now = rill_now_ns();
    uint64_t frame = d->next_frame;
    uint32_t skipped = 0;

    /* The last boundary at or before now; later than `frame` means whole
     * periods went by unserved. */
    if (now > d->t0_ns) {
        uint64_t at = ns_to_frames(now - d->t0_ns, d->rate);
        uint64_t last = at - at % d->period;
        if (last > frame) {
            uint64_t lost = (last - frame) / d->period;
            skipped = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
            frame = last;
        }
    }

    uint64_t wake = deadline_ns(d, frame);
    w->wake_ns = wake;
    w->next_ns = deadline_ns(d, frame + d->period);
    w->delay_ns = now > wake ? now - wake : 0;
    w->skipped = skipped;

    d->next_frame = frame + d->period;
    /* keep the periodic timer unless it drifted too early, or periods were
     * lost (then its phase after the overrun is the kernel's, not ours) */
    r = 0;
    if (skipped || expirations != 1 || timer_early_ns(d, d->next_frame) > DUMMY_MAX_EARLY_NS)
        r = arm(d);
    return r;
}

/* Realtime thread, RT-safe: capture is silence. */
static int dummy_read(struct rill_driver *d, float *const *bufs, uint32_t nchannels,
                      uint32_t nframes)
{
    if (!d || (nchannels && !bufs) || nchannels > d->capture_channels || nframes > d->period)
        return -EINVAL;
    for (uint32_t ch = 0; ch < nchannels; ch++)
        if (bufs[ch])
            memset(bufs[ch], 0, (size_t)nframes * sizeof(float));
    return 0;
}

/* Realtime thread, RT-safe: playback is discarded. */
static int dummy_write(struct rill_driver *d, const float *const *bufs, uint32_t nchannels,
                       uint32_t nframes)
{
    if (!d || nchannels > d->playback_channels || nframes > d->period)
        return -EINVAL;
    return 0;
}

/* Realtime thread, RT-safe: disarm. */
static int dummy_stop(struct rill_driver *d)
{
    struct itimerspec off = { { 0, 0 }, { 0, 0 } };

    if (!d)
        return -EINVAL;
    d->running = 0;
    if (timerfd_settime(d->tfd, 0, &off, NULL) < 0)
        return -errno;
    return 0;
}

/* Main thread. */
static void dummy_close(struct rill_driver *d)
{
    if (!d)
        return;
    if (d->tfd >= 0)
        close(d->tfd);
    free(d);
}

/* Main thread, while stopped: the next start runs at period. */
static int dummy_set_period(struct rill_driver *d, uint32_t period, struct rill_driver_info *info,
                            char *err, size_t errsize)
{
    const struct rill_param *p = &dummy_params[DUMMY_PERIOD];
    if (!d || !info)
        return -EINVAL;
    if (d->running) {
        snprintf(err, errsize, "the dummy driver cannot change its period while running");
        return -EBUSY;
    }
    if (period < p->min || period > p->max || (period & (period - 1))) {
        snprintf(err, errsize, "period %u is not allowed: use a power of two from %u to %u",
                 period, p->min, p->max);
        return -EINVAL;
    }
    d->period = period;
    info->period = period;
    info->capture_latency = period;
    info->playback_latency = period;
    return 0;
}

/* Main thread. */
int rill_dummy_open_clock(uint32_t rate, uint32_t period, uint32_t capture, uint32_t playback,
                          struct rill_driver **out, char *err, size_t errsize)
{
    struct rill_driver_config cfg;
    struct rill_driver_info info;

    memset(&cfg, 0, sizeof cfg);
    cfg.v[DUMMY_RATE].u = rate;
    cfg.v[DUMMY_PERIOD].u = period;
    cfg.v[DUMMY_CAPTURE].u = capture;
    cfg.v[DUMMY_PLAYBACK].u = playback;
    /* only these four: every other parameter keeps its "not given" meaning */
    cfg.v[DUMMY_RATE].set = cfg.v[DUMMY_PERIOD].set = 1;
    cfg.v[DUMMY_CAPTURE].set = cfg.v[DUMMY_PLAYBACK].set = 1;
    return dummy_open(&cfg, out, &info, err, errsize);
}

const struct rill_driver_ops rill_driver_dummy = {
    .version = RILL_DRIVER_VERSION,
    .name = "dummy",
    .description = "timer-paced, no sound card",
    .params = dummy_params,
    .nparams = DUMMY_NPARAMS,
    .open = dummy_open,
    .start = dummy_start,
    .wait = dummy_wait,
    .read = dummy_read,
    .write = dummy_write,
    .stop = dummy_stop,
    .close = dummy_close,
    .set_period = dummy_set_period,
};
