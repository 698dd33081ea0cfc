/* engine/dll.c — the delay-locked loop of engine/dll.h. RT-safe throughout. */
#include "engine/dll.h"

#include <math.h>

/* RT-safe. */
void rill_dll_init(struct rill_dll *d, uint64_t period_ns)
{
    d->nominal = (double)period_ns;
    double w = 2.0 * M_PI * RILL_DLL_BANDWIDTH_HZ * d->nominal / 1e9;
    d->b = sqrt(2.0) * w;
    d->c = w * w;
    d->period = d->nominal;
    d->t0 = d->t1 = 0;
    d->primed = 0;
}

/* RT-safe. */
void rill_dll_reset(struct rill_dll *d)
{
    d->primed = 0;
}

/* RT-safe. */
void rill_dll_update(struct rill_dll *d, uint64_t raw_ns, uint64_t *cur, uint64_t *next)
{
    int64_t raw = (int64_t)raw_ns;
    int64_t prev_t0 = d->t0, prev_t1 = d->t1;

    if (d->primed) {
        double e = (double)(raw - d->t1);
        if (fabs(e) <= RILL_DLL_RESTART_PERIODS * d->nominal) {
            d->t0 = d->t1;
            d->t1 += (int64_t)llround(d->b * e + d->period);
            d->period += d->c * e;
            /* a wild estimate (it cannot be, short of a bug) starts over */
            if (d->period < 0.5 * d->nominal || d->period > 1.5 * d->nominal)
                d->primed = 0;
            else if (d->t1 <= d->t0)
                d->t1 = d->t0 + 1;
        } else {
            d->primed = 0;
        }
    }
    if (!d->primed) {
        /* start over at the raw time, keeping the period learnt so far, and
         * never before what was said already: a raw time a little before
         * the last promised start takes that start; none goes back before
         * the last start */
        int64_t start = raw;
        if (prev_t1 && start < prev_t1 && prev_t1 - start < (int64_t)d->nominal)
            start = prev_t1;
        if (prev_t0 && start <= prev_t0)
            start = prev_t0 + 1000;
        if (d->period < 0.5 * d->nominal || d->period > 1.5 * d->nominal)
            d->period = d->nominal;
        d->t0 = start;
        d->t1 = start + (int64_t)llround(d->period);
        d->primed = 1;
    }
    *cur = (uint64_t)d->t0;
    *next = (uint64_t)d->t1;
}
