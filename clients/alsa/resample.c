/* clients/alsa/resample.c — the speexdsp wrapper (resample.h). */
#include <errno.h>
#include <speex/speex_resampler.h>
#include <stdlib.h>

#include "clients/alsa/resample.h"

struct rill_resampler {
    SpeexResamplerState *st;
    uint32_t latency;
};

/* Main thread. */
int rill_resampler_new(struct rill_resampler **out, uint32_t channels, uint32_t in_rate,
                       uint32_t out_rate, int quality)
{
    if (!out || channels == 0 || channels > 64 || in_rate == 0 || out_rate == 0 ||
        in_rate > 1000000 || out_rate > 1000000 || quality < 0 || quality > 10)
        return -EINVAL;
    struct rill_resampler *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return -ENOMEM;
    int err = 0;
    rs->st = speex_resampler_init(channels, in_rate, out_rate, quality, &err);
    if (!rs->st || err != RESAMPLER_ERR_SUCCESS) {
        if (rs->st)
            speex_resampler_destroy(rs->st);
        free(rs);
        return err == RESAMPLER_ERR_ALLOC_FAILED ? -ENOMEM : -EINVAL;
    }
    /* start without the filter's leading zeros: the first output frame is
     * the first input frame, which keeps the delay arithmetic simple */
    speex_resampler_skip_zeros(rs->st);
    rs->latency = (uint32_t)speex_resampler_get_input_latency(rs->st);
    *out = rs;
    return 0;
}

/* Main thread. */
void rill_resampler_free(struct rill_resampler *rs)
{
    if (!rs)
        return;
    speex_resampler_destroy(rs->st);
    free(rs);
}

/* RT-safe: speex_resampler_process_interleaved_float works in the state's
 * preallocated memory. */
void rill_resampler_process(struct rill_resampler *rs, const float *in, uint32_t *in_frames,
                            float *out, uint32_t *out_frames)
{
    spx_uint32_t il = *in_frames, ol = *out_frames;
    speex_resampler_process_interleaved_float(rs->st, in, &il, out, &ol);
    *in_frames = il;
    *out_frames = ol;
}

/* Any thread. */
uint32_t rill_resampler_latency(const struct rill_resampler *rs)
{
    return rs ? rs->latency : 0;
}

/* Main thread. */
void rill_resampler_reset(struct rill_resampler *rs)
{
    if (!rs)
        return;
    speex_resampler_reset_mem(rs->st);
    speex_resampler_skip_zeros(rs->st);
}
