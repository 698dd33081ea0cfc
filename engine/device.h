/* engine/device.h — the main thread's side of a sound card that stalls or
 * goes away (the realtime side is engine/rt.c, "the fallback clock").
 *
 * Nothing a device does ends rilld (unless -E asks for jackd's behaviour):
 *   - a stall the driver recovers by itself (a restart) is counted, and the
 *     xrun is logged at most once a second with what was lost since;
 *   - a device that is gone (-ENODEV) or stalls again after a restart moves
 *     the cycle to the fallback clock (a timer at the same rate and period):
 *     every client keeps running, the system ports carry silence; the
 *     clients are told (RILL_EV_DRIVER_STATE, a jack_info line) and
 *     `rillctl status` shows the state;
 *   - the main thread reopens the device (by card id and device, at the same
 *     parameters) with a bounded back-off: a lost card is looked for every
 *     200 ms, a stalled one is reopened at once, then after 0.25, 0.5, 1,
 *     2, 4 s when it keeps stalling right after coming back; a device that
 *     comes back unable to take the same parameters is said so (once per
 *     message) and tried every 2 s, the cycle staying on the timer;
 *   - the reopened device is handed to the realtime thread, which starts it
 *     at its next cycle boundary: no cycle is skipped or doubled.
 *
 * Thread: main thread, every function.
 */
#ifndef RILL_DEVICE_H
#define RILL_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/rtlog.h"

struct rill_server;

struct rill_device_watch {
    uint32_t state;              /* RILL_DRIVER_STATE_* as published */
    int lost_err;                /* the driver's error at the loss (errno) */
    uint64_t lost_ns;            /* CLOCK_MONOTONIC of the loss */
    uint64_t back_ns;            /* when the device last came back */
    uint64_t next_try_ns;        /* next reopen attempt */
    uint32_t quick_losses;       /* losses soon after a comeback, in a row */
    char refusal[256];           /* the last refusal said, not to repeat it */
    /* xruns, logged at most once a second */
    uint64_t xrun_logged_ns;
    uint64_t xrun_held, xrun_held_periods, xrun_held_max_ns;
};

/* Open the fallback clock for the driver rilld runs (none with -E or for
 * the dummy driver itself). Returns 0 or -errno with err. */
int rill_device_setup(struct rill_server *s, char *err, size_t errsize);

/* A realtime-thread record about the device (RILL_RTLOG_DEVICE_*, XRUN). */
void rill_device_event(struct rill_server *s, const struct rill_rtlog_rec *rec, uint64_t now);

/* Housekeeping: reopen attempts, held xrun lines. Returns 1 while the
 * device is away. */
int rill_device_tick(struct rill_server *s, uint64_t now);

/* After the realtime thread ended: close the fallback clock. */
void rill_device_teardown(struct rill_server *s);

#endif
