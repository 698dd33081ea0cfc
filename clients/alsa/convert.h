/* clients/alsa/convert.h — sample formats of ALSA programs <-> the bridge's
 * interleaved float frames.
 *
 * Formats: U8, S16, S24 (24 bits in the low 3 bytes of 4), S24_3 (3 bytes),
 * S32 and FLOAT, little- and big-endian for each that has two (read and
 * written byte by byte, so the host's order does not matter). Integers
 * scale by 2^(bits-1) both ways, so an integer sample survives a round
 * trip exactly; float to integer rounds to nearest and clips.
 *
 * Samples are addressed as ALSA does: sample i of channel c at
 * areas[c].addr + (areas[c].first + (offset + i) * areas[c].step) / 8
 * bytes, which covers interleaved and non-interleaved layouts.
 *
 * Every function is RT-safe (no allocation, no system call).
 */
#ifndef RILL_ALSA_CONVERT_H
#define RILL_ALSA_CONVERT_H

#include <alsa/asoundlib.h>
#include <stdint.h>

/* 1 when fmt is one of the formats above, else 0. */
int rill_afmt_supported(snd_pcm_format_t fmt);
/* The list, for the ioplug constraint; *n gets its length. */
const unsigned int *rill_afmt_list(unsigned int *n);

/* frames of channels from the program's areas at offset -> dst, interleaved
 * (dst[i * channels + c]). */
void rill_afmt_to_float(snd_pcm_format_t fmt, const snd_pcm_channel_area_t *areas,
                        snd_pcm_uframes_t offset, unsigned int channels, unsigned int frames,
                        float *dst);
/* frames of interleaved src -> the program's areas at offset. */
void rill_afmt_from_float(snd_pcm_format_t fmt, const float *src, unsigned int channels,
                          unsigned int frames, const snd_pcm_channel_area_t *areas,
                          snd_pcm_uframes_t offset);

#endif
