/* engine/device.c — a sound card that stalls, goes and comes back, seen from
 * the main thread (engine/device.h). Main thread throughout.
 */
#include "engine/device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "drivers/dummy/dummy.h"
#include "engine/server_priv.h"
#include "rill/time.h"

#define LOOK_EVERY_NS 200000000ull         /* a lost card: how often to look */
#define REFUSED_EVERY_NS 2000000000ull     /* a card that refuses: how often to retry */
#define STALL_BACKOFF_MIN_NS 250000000ull  /* a card that keeps stalling: 0.25 s ... */
#define STALL_BACKOFF_MAX_NS 4000000000ull /* ... doubling up to 4 s */
#define QUICK_LOSS_NS 5000000000ull        /* a loss this soon after a comeback */
#define XRUN_LOG_EVERY_NS 1000000000ull

/* Publish the state and tell the clients with one sentence. Main thread. */
static void set_state(struct rill_server *s, uint32_t state, const char *sentence)
{
    struct rill_shm_state *st = s->shm.state;
    struct rill_device_watch *dw = &s->device;

    if (state != dw->state) {
        dw->state = state;
        /* relaxed: statistics for rillctl status */
        atomic_store_explicit(&st->driver_since_s, (uint64_t)time(NULL), memory_order_relaxed);
        atomic_store_explicit(&st->driver_state, state, memory_order_relaxed);
    }
    rill_server_log("%s", sentence);
    struct rill_msg ev = { .type = RILL_EV_DRIVER_STATE };
    ev.u.shutdown_event.code = state;
    snprintf(ev.u.shutdown_event.reason, sizeof(ev.u.shutdown_event.reason), "%s", sentence);
    rill_server_broadcast(s, &ev, RILL_NO_SLOT);
}

/* Main thread. */
int rill_device_setup(struct rill_server *s, char *err, size_t errsize)
{
    const struct rill_driver_info *info = &s->rt->info;

    memset(&s->device, 0, sizeof(s->device));
    s->rt->fb = NULL;
    if (s->opt->exit_on_loss || s->rt->ops == &rill_driver_dummy)
        return 0;
    return rill_dummy_open_clock(info->rate, info->period, info->capture_channels,
                                 info->playback_channels, &s->rt->fb, err, errsize);
}

/* Main thread. */
void rill_device_teardown(struct rill_server *s)
{
    if (s->rt && s->rt->fb) {
        rill_driver_dummy.close(s->rt->fb);
        s->rt->fb = NULL;
    }
}

/* Log the xruns held back in the last second, if any. Main thread. */
static void flush_xruns(struct rill_server *s, uint64_t now)
{
    struct rill_device_watch *dw = &s->device;

    if (!dw->xrun_held)
        return;
    rill_server_log("xrun: %llu more xrun(s) in the last %.1f s, %llu period(s) lost, the "
                    "longest woke %.3f ms late",
                    (unsigned long long)dw->xrun_held,
                    (double)(now - dw->xrun_logged_ns) / 1e9,
                    (unsigned long long)dw->xrun_held_periods,
                    (double)dw->xrun_held_max_ns / 1e6);
    dw->xrun_held = dw->xrun_held_periods = dw->xrun_held_max_ns = 0;
    dw->xrun_logged_ns = now;
}

/* The device went: say so once, and reopen from now on. Main thread. */
static void lost(struct rill_server *s, int e, uint64_t now)
{
    struct rill_device_watch *dw = &s->device;
    const struct rill_driver_info *info = &s->rt->info;
    char line[512];

    atomic_fetch_add_explicit(&s->shm.state->driver_losses, 1, memory_order_relaxed);
    dw->lost_err = e;
    dw->lost_ns = now;
    dw->refusal[0] = '\0';
    if (dw->back_ns && now - dw->back_ns < QUICK_LOSS_NS)
        dw->quick_losses++;
    else
        dw->quick_losses = 0;
    dw->next_try_ns = now; /* at once: a card that went must be let go of */
    if (e == ENODEV || e == ENXIO) {
        snprintf(line, sizeof(line), "the %s device is gone (%s): the cycle runs on a timer at "
                 "%u Hz, %u frames; every client keeps running, the system ports carry "
                 "silence; watching for the device to come back",
                 s->rt->ops->name, strerror(e), info->rate, info->period);
        set_state(s, RILL_DRIVER_STATE_LOST, line);
    } else {
        uint64_t back = 0;
        if (dw->quick_losses) {
            back = STALL_BACKOFF_MIN_NS << (dw->quick_losses - 1 < 5 ? dw->quick_losses - 1 : 5);
            if (back > STALL_BACKOFF_MAX_NS)
                back = STALL_BACKOFF_MAX_NS;
        }
        dw->next_try_ns = now + back;
        snprintf(line, sizeof(line), "the %s device stalled and a restart did not help (%s): "
                 "the cycle runs on a timer at %u Hz, %u frames while it is reopened%s",
                 s->rt->ops->name, strerror(e), info->rate, info->period,
                 back ? " (it keeps stalling: waiting a little longer each time)" : "");
        set_state(s, RILL_DRIVER_STATE_RECOVERING, line);
    }
}

/* Main thread. */
void rill_device_event(struct rill_server *s, const struct rill_rtlog_rec *rec, uint64_t now)
{
    struct rill_device_watch *dw = &s->device;
    char line[512];

    switch (rec->type) {
    case RILL_RTLOG_XRUN:
        if (now - dw->xrun_logged_ns >= XRUN_LOG_EVERY_NS && !dw->xrun_held) {
            rill_server_log("xrun: %llu period(s) lost, woke %.3f ms late",
                            (unsigned long long)rec->a, (double)rec->b / 1e6);
            dw->xrun_logged_ns = now;
        } else {
            dw->xrun_held++;
            dw->xrun_held_periods += rec->a;
            if (rec->b > dw->xrun_held_max_ns)
                dw->xrun_held_max_ns = rec->b;
        }
        break;
    case RILL_RTLOG_DEVICE_LOST:
        lost(s, (int)rec->a, now);
        break;
    case RILL_RTLOG_DEVICE_BACK:
        dw->back_ns = now;
        snprintf(line, sizeof(line), "the %s device is back after %.1f s: the cycle runs on it "
                 "again (%u Hz, %u frames)",
                 s->rt->ops->name, (double)(now - dw->lost_ns) / 1e9, s->rt->info.rate,
                 s->rt->info.period);
        set_state(s, RILL_DRIVER_STATE_RUNNING, line);
        break;
    case RILL_RTLOG_DEVICE_START:
        rill_server_log("the reopened %s device did not start (%s); trying again",
                        s->rt->ops->name, strerror((int)rec->a));
        dw->next_try_ns = now + STALL_BACKOFF_MIN_NS;
        break;
    default:
        break;
    }
}

/* One reopen attempt. Main thread, while the realtime thread does not hold
 * the driver (dev == LOST). */
static void try_reopen(struct rill_server *s, uint64_t now)
{
    struct rill_device_watch *dw = &s->device;
    char err[384] = "", line[512];

    int r = s->rt->ops->reopen(s->rt->drv, err, sizeof(err));
    if (r == 0) {
        atomic_fetch_add_explicit(&s->shm.state->driver_reopens, 1, memory_order_relaxed);
        /* release: the reopened driver's state before the realtime thread
         * takes it (acquire in engine/rt.c) */
        atomic_store_explicit(&s->rt->dev, RILL_RT_DEV_READY, memory_order_release);
        dw->refusal[0] = '\0';
        return;
    }
    if (r == -ENODEV || r == -ENXIO || r == -ENOENT) {
        if (dw->state != RILL_DRIVER_STATE_LOST) {
            snprintf(line, sizeof(line), "the %s device is gone (%s): the cycle runs on a "
                     "timer; watching for the device to come back",
                     s->rt->ops->name, err[0] ? err : strerror(-r));
            set_state(s, RILL_DRIVER_STATE_LOST, line);
        }
        dw->next_try_ns = now + LOOK_EVERY_NS;
        return;
    }
    dw->next_try_ns = now + REFUSED_EVERY_NS;
    if (strcmp(dw->refusal, err) != 0) {
        snprintf(dw->refusal, sizeof(dw->refusal), "%s", err);
        snprintf(line, sizeof(line), "the %s device is back but cannot run as before: %s; the "
                 "cycle stays on the timer (trying again every %.0f s)",
                 s->rt->ops->name, err[0] ? err : strerror(-r), REFUSED_EVERY_NS / 1e9);
        set_state(s, RILL_DRIVER_STATE_REFUSED, line);
    }
}

/* Main thread. */
int rill_device_tick(struct rill_server *s, uint64_t now)
{
    struct rill_device_watch *dw = &s->device;

    if (dw->xrun_held && now - dw->xrun_logged_ns >= XRUN_LOG_EVERY_NS)
        flush_xruns(s, now);
    if (!s->rt || !s->rt->fb)
        return 0;
    /* acquire: the realtime thread's last use of the driver (stop) happened
     * before it stored LOST */
    uint32_t dev = atomic_load_explicit(&s->rt->dev, memory_order_acquire);
    if (dev != RILL_RT_DEV_LOST)
        return dev != RILL_RT_DEV_RUN;
    if (!s->rt->ops->reopen) {
        if (dw->state != RILL_DRIVER_STATE_REFUSED)
            set_state(s, RILL_DRIVER_STATE_REFUSED, "this driver cannot reopen its device: the "
                      "cycle stays on the timer; restart rilld to use the device again");
        return 1;
    }
    if (now >= dw->next_try_ns)
        try_reopen(s, now);
    return 1;
}
