/* clients/jack/jack_time.c — JACK's time functions from the cycle record.
 *
 * One clock: CLOCK_MONOTONIC in µs (rill/time.h), the clock of the cycle
 * record the engine publishes (rill_shm_state.cycle). Frame <-> time
 * conversions extrapolate linearly from the current cycle's start
 * (frames, usecs) at the sample rate. All functions are RT-safe: a seqlock
 * read of the cycle record and arithmetic.
 */
#include "clients/jack/jack_priv.h"
#include "rill/time.h"

/* Consistent copy of the cycle record. RT-safe. */
static void rill_jack_cycle(const jack_client_t *client, struct rill_shm_cycle *cy)
{
    /* a record that cannot be read consistently reads as all zero */
    if (rill_client_cycle(((jack_client_t *)client)->core, cy) < 0)
        *cy = (struct rill_shm_cycle){ 0 };
}

static uint32_t rill_jack_rate(const jack_client_t *client)
{
    /* relaxed: one word, nothing else depends on it */
    uint32_t rate = atomic_load_explicit(&((jack_client_t *)client)->sample_rate,
                                         memory_order_relaxed);
    return rate ? rate : 48000u;
}

/* Frames in dt_us microseconds at rate (dt may be negative). RT-safe. */
static int64_t rill_jack_us_to_frames(int64_t dt_us, uint32_t rate)
{
    __int128 f = (__int128)dt_us * rate;
    return (int64_t)(f / 1000000);
}

/* Any thread; RT-safe. */
jack_time_t jack_get_time(void)
{
    return (jack_time_t)(rill_now_ns() / 1000u);
}

/* Frame time of the current cycle's start. Any thread; RT-safe. */
jack_nframes_t jack_last_frame_time(const jack_client_t *client)
{
    if (!client)
        return 0;
    struct rill_shm_cycle cy;
    rill_jack_cycle(client, &cy);
    return (jack_nframes_t)cy.frames;
}

/* Frames since the current cycle started (0 before the first cycle). Any
 * thread; RT-safe. */
jack_nframes_t jack_frames_since_cycle_start(const jack_client_t *client)
{
    if (!client)
        return 0;
    struct rill_shm_cycle cy;
    rill_jack_cycle(client, &cy);
    if (cy.usecs == 0)
        return 0;
    int64_t dt = (int64_t)(jack_get_time() - cy.usecs);
    if (dt <= 0)
        return 0;
    return (jack_nframes_t)rill_jack_us_to_frames(dt, rill_jack_rate(client));
}

/* Estimated frame time now. Any thread; RT-safe. */
jack_nframes_t jack_frame_time(const jack_client_t *client)
{
    if (!client)
        return 0;
    struct rill_shm_cycle cy;
    rill_jack_cycle(client, &cy);
    if (cy.usecs == 0)
        return (jack_nframes_t)cy.frames;
    int64_t dt = (int64_t)(jack_get_time() - cy.usecs);
    if (dt < 0)
        dt = 0;
    return (jack_nframes_t)(cy.frames + (uint64_t)rill_jack_us_to_frames(dt, rill_jack_rate(client)));
}

/* The current cycle's times. 0, or -1 before the first cycle. Any thread;
 * RT-safe. */
int jack_get_cycle_times(const jack_client_t *client, jack_nframes_t *current_frames,
                         jack_time_t *current_usecs, jack_time_t *next_usecs,
                         float *period_usecs)
{
    struct rill_shm_cycle cy = { 0 };
    if (client)
        rill_jack_cycle(client, &cy);
    if (current_frames)
        *current_frames = (jack_nframes_t)cy.frames;
    if (current_usecs)
        *current_usecs = cy.usecs;
    if (next_usecs)
        *next_usecs = cy.next_usecs;
    if (period_usecs)
        *period_usecs = cy.period_usecs;
    return (client && cy.cycle != 0) ? 0 : -1;
}

/* Time at which frame time frames starts. Any thread; RT-safe. */
jack_time_t jack_frames_to_time(const jack_client_t *client, jack_nframes_t frames)
{
    if (!client)
        return 0;
    struct rill_shm_cycle cy;
    rill_jack_cycle(client, &cy);
    uint64_t base = cy.usecs ? cy.usecs : jack_get_time();
    /* frame times wrap at 32 bits: the signed difference is the distance */
    int64_t df = (int32_t)(frames - (jack_nframes_t)cy.frames);
    int64_t dt = df * 1000000 / (int64_t)rill_jack_rate(client);
    return (jack_time_t)((int64_t)base + dt);
}

/* Frame time at time usecs. Any thread; RT-safe. */
jack_nframes_t jack_time_to_frames(const jack_client_t *client, jack_time_t usecs)
{
    if (!client)
        return 0;
    struct rill_shm_cycle cy;
    rill_jack_cycle(client, &cy);
    uint64_t base = cy.usecs ? cy.usecs : jack_get_time();
    int64_t dt = (int64_t)(usecs - base);
    return (jack_nframes_t)(cy.frames + (uint64_t)rill_jack_us_to_frames(dt, rill_jack_rate(client)));
}
