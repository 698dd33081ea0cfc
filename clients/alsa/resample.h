/* clients/alsa/resample.h — rate conversion of interleaved float frames,
 * for the bridge's streams whose rate is not the engine's.
 *
 * A thin wrapper over speexdsp's resampler (doc/alsa-bridge.md says why
 * that library and which quality, with the measurements): everything that
 * allocates is in rill_resampler_new; rill_resampler_process allocates
 * nothing and makes no system call, so the client's realtime thread runs it.
 */
#ifndef RILL_ALSA_RESAMPLE_H
#define RILL_ALSA_RESAMPLE_H

#include <stdint.h>

struct rill_resampler;

/* The quality the bridge uses (speexdsp's 0..10 scale). */
#define RILL_RESAMPLER_QUALITY 5

/* channels 1..64, rates 1..1000000, quality 0..10. 0, -EINVAL or -ENOMEM.
 * Main thread. */
int rill_resampler_new(struct rill_resampler **out, uint32_t channels, uint32_t in_rate,
                       uint32_t out_rate, int quality);
void rill_resampler_free(struct rill_resampler *rs);

/* Convert up to *in_frames frames of in into up to *out_frames of out;
 * both are updated to what was consumed and produced. RT-safe. */
void rill_resampler_process(struct rill_resampler *rs, const float *in, uint32_t *in_frames,
                            float *out, uint32_t *out_frames);
/* Frames of input the filter holds back (its delay, at the input rate).
 * Any thread. */
uint32_t rill_resampler_latency(const struct rill_resampler *rs);
/* Forget the history (at prepare). Main thread, while the realtime side
 * does not run it. */
void rill_resampler_reset(struct rill_resampler *rs);

#endif
