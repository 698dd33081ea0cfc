/* clients/alsa/delay.h — the bridge's snd_pcm_delay arithmetic.
 *
 * Playback: a frame the realtime side consumed in the cycle that started at
 * T plays at T + (period + L) engine frames, where L is the playback
 * latency of the stream's port (the graph's latency down to the card, from
 * the port latency ranges; the driver counts its own buffer in it). So at
 * time t the frames still to be heard are
 *
 *   delay = in the ring + held by the resampler
 *         + max(0, period + L - (t - T) * rate_engine) * rate_app / rate_engine
 *
 * which falls smoothly between cycles and does not jump at a cycle start
 * (the ring loses `period` frames as the graph part gains them).
 *
 * Capture: by JACK's convention frame k of the cycle that started at T, on a
 * port of capture latency L', entered the card at T + k - L'; so the cycle
 * delivered what the card took until T + period - L', and at time t the card
 * holds L' + (t - T) * rate_engine - period frames that the ring has not
 * got yet. That is negative when the port's sources are less than a period
 * behind the card (a client's outputs: their frames are dated up to a period
 * ahead), and the sum is what the convention says as long as it is not:
 *
 *   delay = max(0, in the ring + held by the resampler
 *                  + (L' + (t - T) * rate_engine - period) * rate_app / rate_engine)
 *
 * (tests/integration/alsa-latency.sh measures both directions against a
 * click dated in the graph; without the "- period" a capture stream's delay
 * was one engine period too large.)
 *
 * Pure functions of their arguments; any thread, RT-safe.
 */
#ifndef RILL_ALSA_DELAY_H
#define RILL_ALSA_DELAY_H

#include <stdint.h>

/* t - T in engine frames (0 when t < T). */
static inline uint64_t rill_adelay_elapsed(uint64_t now_ns, uint64_t cycle_ns, uint32_t eng_rate)
{
    if (now_ns <= cycle_ns)
        return 0;
    return (uint64_t)((unsigned __int128)(now_ns - cycle_ns) * eng_rate / 1000000000u);
}

/* Engine frames -> program frames (rounded to nearest). */
static inline uint64_t rill_adelay_to_app(uint64_t eng_frames, uint32_t app_rate,
                                          uint32_t eng_rate)
{
    if (eng_rate == 0 || app_rate == eng_rate)
        return eng_frames;
    return (uint64_t)(((unsigned __int128)eng_frames * app_rate + eng_rate / 2) / eng_rate);
}

static inline int64_t rill_adelay_playback(uint64_t ring, uint32_t rs_latency, uint32_t period,
                                           uint32_t port_latency, uint64_t now_ns,
                                           uint64_t cycle_ns, uint32_t app_rate,
                                           uint32_t eng_rate)
{
    uint64_t el = rill_adelay_elapsed(now_ns, cycle_ns, eng_rate);
    uint64_t graph = (uint64_t)period + port_latency;
    graph = el >= graph ? 0 : graph - el;
    return (int64_t)(ring + rs_latency + rill_adelay_to_app(graph, app_rate, eng_rate));
}

static inline int64_t rill_adelay_capture(uint64_t ring, uint32_t rs_latency, uint32_t period,
                                          uint32_t port_latency, uint64_t now_ns,
                                          uint64_t cycle_ns, uint32_t app_rate, uint32_t eng_rate)
{
    uint64_t el = rill_adelay_elapsed(now_ns, cycle_ns, eng_rate);
    int64_t d = (int64_t)(ring + rs_latency) +
                (int64_t)rill_adelay_to_app((uint64_t)port_latency + el, app_rate, eng_rate) -
                (int64_t)rill_adelay_to_app(period, app_rate, eng_rate);
    return d > 0 ? d : 0;
}

#endif
