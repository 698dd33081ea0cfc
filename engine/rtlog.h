/* engine/rtlog.h — events from the realtime thread to the main thread.
 *
 * A single-producer (realtime thread), single-consumer (main thread) ring of
 * fixed-size records. The realtime thread never blocks or allocates here: when
 * the ring is full the record is dropped and counted.
 */
#ifndef RILL_RTLOG_H
#define RILL_RTLOG_H

#include <stdatomic.h>
#include <stdint.h>

enum rill_rtlog_type {
    RILL_RTLOG_XRUN = 1,       /* a: periods skipped, b: delay ns */
    RILL_RTLOG_LATE,           /* a: cycle, b: nodes that missed the deadline */
    RILL_RTLOG_DRIVER_ERROR,   /* a: -errno from the driver */
    RILL_RTLOG_DEVICE_LOST,    /* a: -errno from the driver; on the fallback clock now */
    RILL_RTLOG_DEVICE_BACK,    /* the reopened device runs the cycle again */
    RILL_RTLOG_DEVICE_START,   /* a: -errno: the reopened device did not start */
};

struct rill_rtlog_rec {
    uint32_t type;
    uint32_t pad;
    uint64_t a, b;
    uint64_t time_ns;
};

#define RILL_RTLOG_SIZE 256u /* power of two */

struct rill_rtlog {
    _Atomic uint32_t head;     /* writer: realtime thread */
    _Atomic uint32_t tail;     /* writer: main thread */
    _Atomic uint64_t dropped;
    struct rill_rtlog_rec rec[RILL_RTLOG_SIZE];
};

/* RT-safe. Returns 0 or -ENOSPC (dropped). */
int rill_rtlog_push(struct rill_rtlog *l, uint32_t type, uint64_t a, uint64_t b, uint64_t now_ns);
/* Main thread. Returns 1 and fills *out, or 0 when empty. */
int rill_rtlog_pop(struct rill_rtlog *l, struct rill_rtlog_rec *out);

#endif
