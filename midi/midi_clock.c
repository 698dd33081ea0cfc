/* midi/midi_clock.c — the clock model (midi_clock.h). */
#include "midi/midi_clock.h"

#include <errno.h>
#include <string.h>

#define RESYNC_NS 20000000.0 /* an error this large: start again */
#define MAX_PPM 1000.0       /* the ratio stays within 1 +- 1000 ppm */

/* Any thread (the feeding one). */
void rill_midi_clock_init(struct rill_midi_clock *c)
{
    memset(c, 0, sizeof(*c));
    c->line.ratio = 1.0;
}

/* RT-safe. */
uint64_t rill_midi_line_to_mono(const struct rill_midi_line *l, uint64_t q)
{
    double d = ((double)q - (double)l->q0) * l->ratio;
    double m = (double)l->m0 + d;
    return m <= 0 ? 0 : (uint64_t)(m + 0.5);
}

/* RT-safe. */
uint64_t rill_midi_line_to_queue(const struct rill_midi_line *l, uint64_t m)
{
    double d = ((double)m - (double)l->m0) / l->ratio;
    double q = (double)l->q0 + d;
    return q <= 0 ? 0 : (uint64_t)(q + 0.5);
}

/* Feeding thread. */
void rill_midi_clock_sample(struct rill_midi_clock *c, uint64_t q, uint64_t m)
{
    struct rill_midi_line *l = &c->line;
    if (c->samples == 0) {
        l->q0 = q;
        l->m0 = m;
        l->ratio = 1.0;
        c->samples = 1;
        return;
    }
    double dq = (double)q - (double)l->q0;
    double pred = (double)l->m0 + dq * l->ratio;
    double err = (double)m - pred;
    if (err > RESYNC_NS || err < -RESYNC_NS || dq <= 0) {
        l->q0 = q;
        l->m0 = m;
        l->ratio = 1.0;
        c->samples = 1;
        c->resets++;
        return;
    }
    /* the offset: the mean of the first samples, then a fixed 1/16 */
    double k = c->samples < 16 ? 1.0 / (c->samples + 1) : 1.0 / 16;
    /* the ratio: a fraction of the error over the time since the last
     * sample, only once the offset has settled */
    if (c->samples >= 8 && dq > 1e6) {
        l->ratio += 0.05 * k * err / dq;
        if (l->ratio > 1.0 + MAX_PPM * 1e-6)
            l->ratio = 1.0 + MAX_PPM * 1e-6;
        if (l->ratio < 1.0 - MAX_PPM * 1e-6)
            l->ratio = 1.0 - MAX_PPM * 1e-6;
    }
    double nm = pred + k * err;
    l->q0 = q;
    l->m0 = nm <= 0 ? 0 : (uint64_t)(nm + 0.5);
    c->samples++;
}

/* Feeding thread. The seqlock: seq odd while writing; release fences keep
 * the field stores inside the odd window for a reader's acquire loads. */
void rill_midi_clock_publish(struct rill_midi_clock_pub *p, const struct rill_midi_clock *c)
{
    uint32_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);
    atomic_store_explicit(&p->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&p->q0, c->line.q0, memory_order_relaxed);
    atomic_store_explicit(&p->m0, c->line.m0, memory_order_relaxed);
    atomic_store_explicit(&p->ratio_ppb, (int64_t)((c->line.ratio - 1.0) * 1e9),
                          memory_order_relaxed);
    atomic_store_explicit(&p->valid, c->samples > 0, memory_order_relaxed);
    /* release: the fields above are visible before the even seq */
    atomic_store_explicit(&p->seq, s + 2, memory_order_release);
}

/* Any thread; RT-safe: at most 4 tries. */
int rill_midi_clock_read(struct rill_midi_clock_pub *p, struct rill_midi_line *l)
{
    for (int i = 0; i < 4; i++) {
        /* acquire: pairs with the writer's final release store */
        uint32_t s1 = atomic_load_explicit(&p->seq, memory_order_acquire);
        if (s1 & 1u)
            continue;
        uint32_t v = atomic_load_explicit(&p->valid, memory_order_relaxed);
        l->q0 = atomic_load_explicit(&p->q0, memory_order_relaxed);
        l->m0 = atomic_load_explicit(&p->m0, memory_order_relaxed);
        int64_t ppb = atomic_load_explicit(&p->ratio_ppb, memory_order_relaxed);
        /* acquire fence: the loads above happen before the re-check */
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->seq, memory_order_relaxed) != s1)
            continue;
        if (!v)
            return -EAGAIN;
        l->ratio = 1.0 + (double)ppb * 1e-9;
        return 0;
    }
    return -EAGAIN;
}
