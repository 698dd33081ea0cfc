/* midi/midi_clock.h — the clock model: the bridge's ALSA queue time
 * against CLOCK_MONOTONIC (the clock of the engine's cycle times).
 *
 * The sequencer stamps incoming events with its queue's real time (ns since
 * the queue started) and plays scheduled events at a queue time. The engine
 * gives each cycle's start in CLOCK_MONOTONIC microseconds with its frame
 * time. The model holds the line mono = m0 + (queue - q0) * ratio, fed with
 * pairs (queue time, monotonic time) read together: each sample moves the
 * line by a fraction of its error (a first-order loop on the offset, a
 * slower one on the ratio), so the jitter of a sample is smoothed while a
 * drift is followed. An error of more than 20 ms (the queue restarted) sets
 * the line to the sample.
 *
 * struct rill_midi_clock is the estimator: one thread feeds it. The line
 * is published to readers on other threads through struct
 * rill_midi_clock_pub (a seqlock of atomics): rill_midi_clock_read is
 * RT-safe and never waits.
 */
#ifndef RILL_MIDI_CLOCK_H
#define RILL_MIDI_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>

struct rill_midi_line {
    uint64_t q0;     /* queue ns */
    uint64_t m0;     /* monotonic ns at q0 */
    double ratio;    /* monotonic ns per queue ns */
};

struct rill_midi_clock {
    struct rill_midi_line line;
    uint32_t samples; /* taken since the last reset; 0: no line yet */
    uint32_t resets;
};

/* Forget everything. Any thread (the feeding one). */
void rill_midi_clock_init(struct rill_midi_clock *c);

/* One sample: queue time q read at monotonic time m. Feeding thread. */
void rill_midi_clock_sample(struct rill_midi_clock *c, uint64_t q, uint64_t m);

/* Map with a line (pure; RT-safe). */
uint64_t rill_midi_line_to_mono(const struct rill_midi_line *l, uint64_t q);
uint64_t rill_midi_line_to_queue(const struct rill_midi_line *l, uint64_t m);

struct rill_midi_clock_pub {
    _Atomic uint32_t seq;   /* odd while the writer writes */
    _Atomic uint64_t q0, m0;
    _Atomic int64_t ratio_ppb; /* (ratio - 1) * 1e9 */
    _Atomic uint32_t valid;
};

/* Publish c's line. The feeding thread only. */
void rill_midi_clock_publish(struct rill_midi_clock_pub *p, const struct rill_midi_clock *c);

/* Read the published line into l: 0, or -EAGAIN when there is none yet or
 * the writer kept writing during a few tries. Any thread; RT-safe. */
int rill_midi_clock_read(struct rill_midi_clock_pub *p, struct rill_midi_line *l);

#endif
