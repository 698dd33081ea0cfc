/* engine/dll.h — a delay-locked loop that smooths the cycle times.
 *
 * A driver reports when each period began as it saw it: the moment poll or
 * a timer woke the realtime thread, which scheduling jitter moves by tens
 * or hundreds of microseconds. Clients read those times (jack_frame_time,
 * jack_get_cycle_times) and extrapolate frames from them, so the jitter of
 * the wake-ups becomes jitter of their clocks. The loop follows the wake-ups
 * with a second-order filter (F. Adriaensen, "Using a DLL to filter time",
 * 2005): it keeps an estimate of the current period's start t0, the next
 * one's t1 and the period length, corrects them by a fraction of each
 * error, and so tracks the device's true rate (a card's crystal differs
 * from the system clock) while the jitter averages out.
 *
 *     e  = raw - t1               (how far the wake-up is from the estimate)
 *     t0 = t1
 *     t1 = t1 + b e + p           (b = sqrt(2) w, w = 2 pi B T)
 *     p  = p + c e                (c = w^2)
 *
 * with B the loop's bandwidth and T the nominal period. The engine applies
 * it to every driver (engine/rt.c), so ALSA, the dummy and future network
 * drivers all get it; it starts over after anything that is not one steady
 * period (an xrun, a change of clock or period): the first cycle after that
 * takes the wake-up as it is.
 *
 * Thread: the realtime thread owns one; every function is RT-safe (no
 * allocation, no system call, bounded).
 */
#ifndef RILL_DLL_H
#define RILL_DLL_H

#include <stdint.h>

struct rill_dll {
    int64_t t0;         /* estimated start of the current period, ns */
    int64_t t1;         /* estimated start of the next one, ns */
    double period;      /* estimated period, ns */
    double nominal;     /* nominal period, ns */
    double b, c;        /* loop coefficients */
    int primed;         /* 0: the next update starts over */
};

/* The loop's bandwidth in Hz: low enough to average a second of wake-ups,
 * high enough to follow a card's drift within a few seconds. */
#define RILL_DLL_BANDWIDTH_HZ 0.5

/* A raw time further than this many nominal periods from the estimate is a
 * discontinuity (the loop starts over there); anything nearer is jitter the
 * loop absorbs: a wake-up late by a whole period or two under load must not
 * throw away what the loop learnt. Xruns start it over anyway (the engine
 * calls rill_dll_reset). */
#define RILL_DLL_RESTART_PERIODS 4.0

/* Set the nominal period (ns) and start over at the next update. */
void rill_dll_init(struct rill_dll *d, uint64_t period_ns);

/* Start over at the next update (after an xrun, a clock or period change). */
void rill_dll_reset(struct rill_dll *d);

/* Feed the raw start of a period; *cur and *next get the smoothed start of
 * this period and the expected start of the next (always after *cur). A
 * raw time more than RILL_DLL_RESTART_PERIODS from the estimate is a
 * discontinuity: the loop starts over there. *cur always grows, whatever
 * raw does (the times a client reads stay monotonic). */
void rill_dll_update(struct rill_dll *d, uint64_t raw_ns, uint64_t *cur, uint64_t *next);

#endif
