/* clients/alsa/ring.h — the bridge's lock-free single-producer /
 * single-consumer ring of interleaved float frames.
 *
 * One ring per open PCM, in the program's memory: the producer is the
 * program's thread for playback (the ioplug transfer callback) and the
 * client's realtime thread for capture; the consumer is the other one.
 *
 * Positions are frame counters that never wrap in practice (64 bits);
 * frame p lives at data[(p % cap) * channels]. wpos is written only by the
 * producer, rpos only by the consumer, each with a release store after the
 * samples it covers were written (producer) or read (consumer); the other
 * side loads it with acquire, so samples are always complete when seen.
 *
 * The playback producer may also move wpos back (snd_pcm_rewind) over
 * frames the consumer has not read; the consumer then sees a fill that
 * shrank, and a fill that is "negative" (a rewind raced a read) counts as 0.
 *
 * Allocation and reset happen only while neither side runs (the plugin
 * quiesces its realtime side first, see pcm_rill.c).
 */
#ifndef RILL_ALSA_RING_H
#define RILL_ALSA_RING_H

#include <stdatomic.h>
#include <stdint.h>

struct rill_aring {
    float *data;                /* cap * channels floats */
    uint32_t cap;               /* frames */
    uint32_t channels;
    _Atomic uint64_t wpos;      /* writer: producer (release); reader: consumer (acquire) */
    _Atomic uint64_t rpos;      /* writer: consumer (release); reader: producer (acquire) */
};

/* Allocate room for frames x channels (1..64 channels, frames >= 1) and
 * reset. 0, -EINVAL or -ENOMEM. Not while either side runs; main thread. */
int rill_aring_alloc(struct rill_aring *r, uint32_t frames, uint32_t channels);
/* Free the samples (the struct stays, zeroed). Main thread. */
void rill_aring_free(struct rill_aring *r);
/* Both positions to pos. Not while either side runs. */
void rill_aring_reset(struct rill_aring *r, uint64_t pos);

/* Frames between a read position and a write position: 0 when the write
 * position is behind (a rewind raced a read). RT-safe. */
static inline uint32_t rill_aring_span(uint64_t rpos, uint64_t wpos, uint32_t cap)
{
    if (wpos <= rpos)
        return 0;
    uint64_t d = wpos - rpos;
    return d > cap ? cap : (uint32_t)d;
}

/* Address of frame pos and how many frames follow it before the end of the
 * storage (at least 1). RT-safe. */
static inline float *rill_aring_at(const struct rill_aring *r, uint64_t pos, uint32_t *contig)
{
    uint32_t i = (uint32_t)(pos % r->cap);
    if (contig)
        *contig = r->cap - i;
    return r->data + (uint64_t)i * r->channels;
}

/* Producer: copy n interleaved frames in at wpos and publish them; returns
 * how many fit (the free space may be smaller). RT-safe. */
uint32_t rill_aring_write(struct rill_aring *r, const float *src, uint32_t n);
/* Consumer: copy up to n frames out from rpos and release them; returns how
 * many there were. RT-safe. */
uint32_t rill_aring_read(struct rill_aring *r, float *dst, uint32_t n);

#endif
