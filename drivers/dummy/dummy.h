/* drivers/dummy/dummy.h — what the engine uses of the dummy driver beyond
 * its method table: the dummy is also the engine's fallback clock, which
 * takes over the cycle when a sound card stalls or goes away (engine/rt.c).
 */
#ifndef RILL_DUMMY_H
#define RILL_DUMMY_H

#include <stdint.h>

#include "drivers/driver.h"

extern const struct rill_driver_ops rill_driver_dummy;

/* Open a dummy driver at rate and period with the given channels (the
 * fallback clock of a device with those). Main thread. Returns 0 or -errno
 * with err saying why. */
int rill_dummy_open_clock(uint32_t rate, uint32_t period, uint32_t capture, uint32_t playback,
                          struct rill_driver **out, char *err, size_t errsize);

/* Start so that the first period begins at first_ns (CLOCK_MONOTONIC; a
 * time in the past makes the first wait report the periods since then as
 * skipped). Realtime thread, RT-safe: one system call. */
int rill_dummy_start_at(struct rill_driver *d, uint64_t first_ns);

#endif
