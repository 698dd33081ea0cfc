/* clients/alsa/ring.c — the SPSC frame ring (ring.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clients/alsa/ring.h"

/* Main thread, while neither side runs. */
int rill_aring_alloc(struct rill_aring *r, uint32_t frames, uint32_t channels)
{
    if (!r || frames == 0 || channels == 0 || channels > 64)
        return -EINVAL;
    float *d = calloc((size_t)frames * channels, sizeof(float));
    if (!d)
        return -ENOMEM;
    free(r->data);
    r->data = d;
    r->cap = frames;
    r->channels = channels;
    rill_aring_reset(r, 0);
    return 0;
}

/* Main thread. */
void rill_aring_free(struct rill_aring *r)
{
    if (!r)
        return;
    free(r->data);
    r->data = NULL;
    r->cap = 0;
    r->channels = 0;
    rill_aring_reset(r, 0);
}

/* While neither side runs: relaxed, the thread hand-over orders it. */
void rill_aring_reset(struct rill_aring *r, uint64_t pos)
{
    atomic_store_explicit(&r->wpos, pos, memory_order_relaxed);
    atomic_store_explicit(&r->rpos, pos, memory_order_relaxed);
}

/* Producer side; RT-safe (memcpy of at most cap frames). */
uint32_t rill_aring_write(struct rill_aring *r, const float *src, uint32_t n)
{
    /* relaxed: only we write wpos */
    uint64_t w = atomic_load_explicit(&r->wpos, memory_order_relaxed);
    /* acquire: the consumer is done with the frames it released */
    uint64_t rd = atomic_load_explicit(&r->rpos, memory_order_acquire);
    uint32_t room = r->cap - rill_aring_span(rd, w, r->cap);
    if (n > room)
        n = room;
    uint32_t done = 0;
    while (done < n) {
        uint32_t contig;
        float *p = rill_aring_at(r, w + done, &contig);
        uint32_t k = n - done < contig ? n - done : contig;
        memcpy(p, src + (size_t)done * r->channels, (size_t)k * r->channels * sizeof(float));
        done += k;
    }
    /* release: the samples above are visible to whoever sees the new wpos */
    atomic_store_explicit(&r->wpos, w + n, memory_order_release);
    return n;
}

/* Consumer side; RT-safe. */
uint32_t rill_aring_read(struct rill_aring *r, float *dst, uint32_t n)
{
    uint64_t rd = atomic_load_explicit(&r->rpos, memory_order_relaxed);
    /* acquire: pairs with the producer's release of wpos */
    uint64_t w = atomic_load_explicit(&r->wpos, memory_order_acquire);
    uint32_t fill = rill_aring_span(rd, w, r->cap);
    if (n > fill)
        n = fill;
    uint32_t done = 0;
    while (done < n) {
        uint32_t contig;
        const float *p = rill_aring_at(r, rd + done, &contig);
        uint32_t k = n - done < contig ? n - done : contig;
        memcpy(dst + (size_t)done * r->channels, p, (size_t)k * r->channels * sizeof(float));
        done += k;
    }
    /* release: we are done reading these frames before the producer reuses them */
    atomic_store_explicit(&r->rpos, rd + n, memory_order_release);
    return n;
}
