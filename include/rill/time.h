/* rill/time.h — the one clock of rill.
 *
 * Every time stamp in rill (cycle times, jack_get_time, jack_frame_time,
 * deadlines) is CLOCK_MONOTONIC, so that they all agree.
 */
#ifndef RILL_TIME_H
#define RILL_TIME_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC. RT-safe (vDSO). */
static inline uint64_t rill_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline struct timespec rill_ns_to_timespec(uint64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
                           .tv_nsec = (long)(ns % 1000000000ull) };
    return ts;
}

#endif
