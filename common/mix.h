/* common/mix.h — mixdown of several sources into one input buffer.
 * Used by the engine (system playback ports) and by clients (own inputs).
 */
#ifndef RILL_MIX_H
#define RILL_MIX_H

#include <stdint.h>

/* dst[i] = srcs[0][i] + ... + srcs[n-1][i] for i < nframes; n == 0 zeroes dst.
 * dst may not alias a source. RT-safe. */
void rill_mix_audio(float *dst, const float *const *srcs, uint32_t n, uint32_t nframes);

#endif
