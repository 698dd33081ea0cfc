/* clients/alsa/stream_rt.c — the realtime side of a rill PCM (stream.h):
 * one graph cycle moves frames between the ring and the stream's ports,
 * converting the rate when the program's is not the engine's, and applies
 * the ctl plugin's gain with a ramp over the cycle.
 *
 * RT-safe throughout (no allocation, lock, alsa-lib call or blocking
 * system call; the only system call is the eventfd write of
 * rill_astream_level_raise, non-blocking, at most once per transition of
 * the level), bounded loops only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clients/alsa/stream.h"
#include "rill/limits.h"
#include "rill/seqlock.h"

/* Any thread; RT-safe. */
int rill_astream_ready(struct rill_astream *s)
{
    if (atomic_load_explicit(&s->dead, memory_order_acquire) ||
        atomic_load_explicit(&s->xrun, memory_order_acquire))
        return 1;
    if (!atomic_load_explicit(&s->configured, memory_order_acquire) || s->ring.cap == 0)
        return s->playback; /* nothing to read before hw_params; room to write */
    uint64_t r = atomic_load_explicit(&s->ring.rpos, memory_order_acquire);
    uint64_t w = atomic_load_explicit(&s->ring.wpos, memory_order_acquire);
    uint32_t fill = rill_aring_span(r, w, s->ring.cap);
    uint64_t amin = atomic_load_explicit(&s->avail_min, memory_order_relaxed);
    if (amin == 0)
        amin = 1;
    if (s->playback) {
        if (atomic_load_explicit(&s->draining, memory_order_acquire))
            return atomic_load_explicit(&s->drained, memory_order_acquire);
        return s->ring.cap - fill >= amin;
    }
    return fill >= amin;
}

/* RT-safe. */
void rill_astream_level_raise(struct rill_astream *s)
{
    /* seq_cst fence: our ring position stores come before the load of
     * signalled, pairing with the fence in level_sync */
    atomic_thread_fence(memory_order_seq_cst);
    if (!rill_astream_ready(s))
        return;
    int zero = 0;
    if (atomic_compare_exchange_strong_explicit(&s->signalled, &zero, 1, memory_order_seq_cst,
                                                memory_order_seq_cst)) {
        uint64_t one = 1;
        ssize_t n = write(s->efd, &one, sizeof(one));
        (void)n; /* EAGAIN only when the counter is full: readable anyway */
    }
}

/* Program (or notification) thread. */
void rill_astream_level_sync(struct rill_astream *s)
{
    for (int round = 0; round < 2; round++) {
        if (rill_astream_ready(s)) {
            int zero = 0;
            if (atomic_compare_exchange_strong_explicit(&s->signalled, &zero, 1,
                                                        memory_order_seq_cst,
                                                        memory_order_seq_cst)) {
                uint64_t one = 1;
                ssize_t n = write(s->efd, &one, sizeof(one));
                (void)n;
            }
            return;
        }
        /* not ready: clear the flag, then drain the eventfd (a raise that
         * lost the race may have written after its CAS) */
        atomic_store_explicit(&s->signalled, 0, memory_order_seq_cst);
        uint64_t v;
        ssize_t n = read(s->efd, &v, sizeof(v));
        (void)n;
        /* seq_cst fence: pairs with the one in level_raise; a cycle that
         * made us ready after our check either sees signalled == 0 and
         * raises, or we see its positions in the next round */
        atomic_thread_fence(memory_order_seq_cst);
        if (!rill_astream_ready(s))
            return;
    }
}

/* Program thread. */
void rill_astream_quiesce(struct rill_astream *s)
{
    /* bounded: a cycle is at most a few ms; 2 s covers a stopped process */
    for (int i = 0; i < 40000; i++) {
        if (!atomic_load_explicit(&s->rt_busy, memory_order_seq_cst))
            return;
        struct timespec ts = { 0, 50000 };
        nanosleep(&ts, NULL);
    }
}

/* Any thread; RT-safe. The seqlock of rill/seqlock.h: a bounded number of
 * attempts, never a torn copy; without a consistent copy the outputs keep
 * what the caller put in them (the caller starts them at 0: "no cycle
 * published yet"). */
void rill_astream_published(struct rill_astream *s, uint64_t *cycle_ns, uint32_t *period,
                            uint64_t *pos)
{
    for (unsigned t = 0; t < RILL_SEQLOCK_READ_TRIES; t++) {
        uint32_t q;
        if (!rill_seqlock_read_begin(&s->pub_seq, &q))
            continue;
        /* relaxed: ordered by the seqlock's fences */
        uint64_t c = atomic_load_explicit(&s->pub_cycle_ns, memory_order_relaxed);
        uint32_t p = atomic_load_explicit(&s->pub_period, memory_order_relaxed);
        uint64_t x = atomic_load_explicit(&s->pub_pos, memory_order_relaxed);
        if (rill_seqlock_read_end(&s->pub_seq, q)) {
            *cycle_ns = c;
            *period = p;
            *pos = x;
            return;
        }
    }
}

/* Publish the cycle that moved the ring to pos. Realtime side (the only
 * writer). */
static void publish(struct rill_astream *s, uint64_t cycle_ns, uint32_t period, uint64_t pos)
{
    rill_seqlock_write_begin(&s->pub_seq);
    /* relaxed: ordered by the seqlock's fences */
    atomic_store_explicit(&s->pub_cycle_ns, cycle_ns, memory_order_relaxed);
    atomic_store_explicit(&s->pub_period, period, memory_order_relaxed);
    atomic_store_explicit(&s->pub_pos, pos, memory_order_relaxed);
    rill_seqlock_write_end(&s->pub_seq);
}

/* Interleaved scratch (n frames) -> port buffers, gain ramped from g0 to
 * g1 over the cycle. */
static void scatter(struct rill_astream *s, float *const *out, uint32_t n, float g0, float g1)
{
    uint32_t ch = s->channels;
    float step = n ? (g1 - g0) / (float)n : 0.0f;
    for (uint32_t c = 0; c < ch; c++) {
        float *o = out[c];
        if (!o)
            continue;
        const float *in = s->scratch + c;
        if (g0 == g1) {
            for (uint32_t i = 0; i < n; i++)
                o[i] = in[(size_t)i * ch] * g0;
        } else {
            for (uint32_t i = 0; i < n; i++)
                o[i] = in[(size_t)i * ch] * (g0 + step * (float)i);
        }
    }
}

/* Port buffers -> interleaved scratch, gain ramped. */
static void gather(struct rill_astream *s, float *const *in, uint32_t n, float g0, float g1)
{
    uint32_t ch = s->channels;
    float step = n ? (g1 - g0) / (float)n : 0.0f;
    for (uint32_t c = 0; c < ch; c++) {
        float *o = s->scratch + c;
        const float *p = in[c];
        for (uint32_t i = 0; i < n; i++)
            o[(size_t)i * ch] = p ? p[i] * (g0 + step * (float)i) : 0.0f;
    }
}

/* Playback: fill scratch with up to n engine frames from the ring; returns
 * how many. Advances rpos. */
static uint32_t pull(struct rill_astream *s, uint32_t n, int draining)
{
    struct rill_aring *rg = &s->ring;
    uint32_t ch = s->channels;
    uint64_t r = atomic_load_explicit(&rg->rpos, memory_order_relaxed);
    /* acquire: pairs with the producer's release, the samples are there */
    uint64_t w = atomic_load_explicit(&rg->wpos, memory_order_acquire);
    uint32_t fill = rill_aring_span(r, w, rg->cap);
    uint32_t got = 0;
    if (!s->rs) {
        while (got < n && fill > 0) {
            uint32_t contig;
            const float *p = rill_aring_at(rg, r, &contig);
            uint32_t k = n - got;
            if (k > fill)
                k = fill;
            if (k > contig)
                k = contig;
            memcpy(s->scratch + (size_t)got * ch, p, (size_t)k * ch * sizeof(float));
            got += k;
            r += k;
            fill -= k;
        }
    } else {
        /* at most: two ring segments and the drain's flush */
        for (int step = 0; step < 4 && got < n; step++) {
            uint32_t in_len, out_len = n - got;
            const float *p;
            if (fill > 0) {
                uint32_t contig;
                p = rill_aring_at(rg, r, &contig);
                in_len = fill < contig ? fill : contig;
            } else if (draining && s->rt_flushed < s->zeros_frames) {
                p = s->zeros;
                in_len = s->zeros_frames - s->rt_flushed;
            } else {
                break;
            }
            rill_resampler_process(s->rs, p, &in_len, s->scratch + (size_t)got * ch, &out_len);
            if (fill > 0) {
                r += in_len;
                fill -= in_len;
            } else {
                s->rt_flushed += in_len;
            }
            got += out_len;
            if (in_len == 0 && out_len == 0)
                break;
        }
    }
    /* release: we are done with these frames */
    atomic_store_explicit(&rg->rpos, r, memory_order_release);
    return got;
}

/* Capture: scratch (n engine frames) -> ring; returns 1 when all fit. */
static int push(struct rill_astream *s, uint32_t n)
{
    struct rill_aring *rg = &s->ring;
    uint32_t ch = s->channels;
    uint64_t w = atomic_load_explicit(&rg->wpos, memory_order_relaxed);
    /* acquire: the program has finished reading what it released */
    uint64_t r = atomic_load_explicit(&rg->rpos, memory_order_acquire);
    uint32_t room = rg->cap - rill_aring_span(r, w, rg->cap);
    uint32_t used = 0;
    int all = 1;
    for (int step = 0; step < 4 && used < n; step++) {
        if (room == 0) {
            all = 0;
            break;
        }
        uint32_t contig;
        float *p = rill_aring_at(rg, w, &contig);
        uint32_t space = room < contig ? room : contig;
        uint32_t in_len = n - used, out_len = space;
        if (s->rs) {
            rill_resampler_process(s->rs, s->scratch + (size_t)used * ch, &in_len, p, &out_len);
        } else {
            in_len = out_len = in_len < space ? in_len : space;
            memcpy(p, s->scratch + (size_t)used * ch, (size_t)in_len * ch * sizeof(float));
        }
        used += in_len;
        w += out_len;
        room -= out_len;
        if (in_len == 0 && out_len == 0)
            break;
    }
    if (used < n)
        all = 0;
    /* release: the samples are written before the program sees them */
    atomic_store_explicit(&rg->wpos, w, memory_order_release);
    return all;
}

/* The gain to reach this cycle. */
static float target_gain(struct rill_astream *s)
{
    union {
        uint32_t u;
        float f;
    } g;
    g.u = atomic_load_explicit(&s->gain_bits, memory_order_relaxed);
    return g.f;
}

/* RT-safe. */
int rill_astream_rt_process(void *arg, uint32_t nframes)
{
    struct rill_astream *s = arg;
    float *bufs[RILL_ALSA_MAX_CHANNELS];

    atomic_store_explicit(&s->rt_busy, 1, memory_order_seq_cst);
    if (!atomic_load_explicit(&s->configured, memory_order_seq_cst) ||
        nframes > RILL_MAX_PERIOD)
        goto out;
    uint32_t ch = s->channels;
    for (uint32_t c = 0; c < ch; c++) {
        uint32_t k = s->route[c]; /* the channel map's port of program channel c */
        bufs[c] = k < s->nports ? rill_client_port_buffer(s->client, s->port[k]) : NULL;
    }
    int running = atomic_load_explicit(&s->running, memory_order_seq_cst);
    int active = running && !atomic_load_explicit(&s->paused, memory_order_acquire) &&
                 !atomic_load_explicit(&s->dead, memory_order_acquire) &&
                 !atomic_load_explicit(&s->xrun, memory_order_acquire);
    if (!active) {
        if (s->playback)
            for (uint32_t c = 0; c < ch; c++)
                if (bufs[c])
                    memset(bufs[c], 0, (size_t)nframes * sizeof(float));
        goto out;
    }
    struct rill_shm_cycle cy;
    memset(&cy, 0, sizeof(cy));
    rill_client_cycle(s->client, &cy);
    float g1 = target_gain(s), g0 = s->rt_gain;
    s->rt_gain = g1;

    if (s->playback) {
        int draining = atomic_load_explicit(&s->draining, memory_order_acquire);
        uint32_t got = pull(s, nframes, draining);
        scatter(s, bufs, got, g0, g1);
        for (uint32_t c = 0; c < ch; c++)
            if (bufs[c] && got < nframes)
                memset(bufs[c] + got, 0, (size_t)(nframes - got) * sizeof(float));
        uint64_t r = atomic_load_explicit(&s->ring.rpos, memory_order_relaxed);
        uint64_t w = atomic_load_explicit(&s->ring.wpos, memory_order_acquire);
        int empty = rill_aring_span(r, w, s->ring.cap) == 0;
        if (draining) {
            if (empty && (!s->rs || s->rt_flushed >= s->zeros_frames))
                atomic_store_explicit(&s->drained, 1, memory_order_release);
        } else if (got < nframes && empty &&
                   atomic_load_explicit(&s->xrun_enabled, memory_order_relaxed)) {
            atomic_store_explicit(&s->xrun, 1, memory_order_release);
        }
        publish(s, cy.usecs * 1000u, nframes, r);
    } else {
        gather(s, bufs, nframes, g0, g1);
        if (!push(s, nframes) && atomic_load_explicit(&s->xrun_enabled, memory_order_relaxed))
            atomic_store_explicit(&s->xrun, 1, memory_order_release);
        publish(s, cy.usecs * 1000u, nframes,
                atomic_load_explicit(&s->ring.wpos, memory_order_relaxed));
    }
    rill_astream_level_raise(s);
out:
    /* release: our ring accesses are done before the program may reuse it */
    atomic_store_explicit(&s->rt_busy, 0, memory_order_seq_cst);
    return 0;
}
