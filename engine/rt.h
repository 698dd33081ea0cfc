/* engine/rt.h — the engine's realtime thread: one cycle per driver period.
 *
 * One cycle (see doc/design.md):
 *   1. driver wait; skipped periods are an xrun
 *   2. adopt the plan that the main thread published, if any (one
 *      compare-and-swap of the hand-over word, engine/plan_handover.h)
 *   3. capture into the system:capture_N buffers
 *   4. publish the cycle record; reset every node's pending count
 *   5. nodes still busy with an earlier cycle are bypassed: their outputs are
 *      zeroed and their successors released by the engine; nodes with nothing
 *      upstream are triggered
 *   6. wait for the sinks (futex on node 0) until the next period begins
 *   7. mix system:playback_N and hand them to the driver
 *   8. DSP load, statistics
 * With a driver that discards playback (dummy), steps 6-8 move to the start
 * of the next cycle: the thread goes back to the driver wait at once and
 * reads there whether the last sink released node 0 and when.
 * Everything in the thread is RT-safe: no allocation, lock, stdio or blocking
 * call other than the driver wait and futexes.
 *
 * The fallback clock: when the driver's wait or start fails (the device is
 * gone or stalled beyond a restart), the thread stops the driver, hands it
 * to the main thread (dev = RILL_RT_DEV_LOST, release) and paces the cycles
 * with `fb`, a dummy driver at the same rate and period whose first period
 * begins where the device's next one would have: frame time goes on by one
 * period per cycle, the system ports carry silence. The main thread reopens
 * the device (engine/device.c) and hands it back (RILL_RT_DEV_READY,
 * release); at its next cycle the thread starts it and waits on it again.
 */
#ifndef RILL_RT_H
#define RILL_RT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "engine/dll.h"
#include "engine/rtlog.h"
#include "engine/shm.h"
#include "midi/buffer.h"
#include "transport/transport.h"

struct rill_rt {
    /* set by the main thread before rill_rt_start, constant after */
    struct rill_engine_shm *shm;
    const struct rill_driver_ops *ops;
    struct rill_driver *drv;
    struct rill_driver_info info;
    uint32_t capture_ports[RILL_MAX_CHANNELS];  /* port id per capture channel */
    uint32_t playback_ports[RILL_MAX_CHANNELS]; /* port id per playback channel */
    uint32_t midi_capture_ports[RILL_MAX_CHANNELS];  /* port id per MIDI capture channel */
    uint32_t midi_playback_ports[RILL_MAX_CHANNELS]; /* port id per MIDI playback channel */
    uint64_t client_timeout_ns;
    int priority;                              /* wanted SCHED_FIFO priority, 0: none */
    int freewheel;                             /* run without the driver, as fast as the graph */
    /* the fallback clock (a dummy driver, drivers/dummy/dummy.h); NULL:
     * none, a driver error ends the thread (rilld -E) */
    struct rill_driver *fb;
    int no_dll;                                /* cycle times as the driver saw them */

    /* realtime thread -> main thread */
    struct rill_rtlog log;
    _Atomic uint64_t late_since[RILL_MAX_CLIENTS]; /* ns a node has been late since; 0: on time */
    /* cycles a node has been late in, counting only cycles the engine itself
     * ran on time (no xrun, no stall, no change of clock): a stall of the
     * device or of the machine is nobody's fault; 0 when on time */
    _Atomic uint32_t late_cycles[RILL_MAX_CLIENTS];
    /* who holds drv (RILL_RT_DEV_*): the realtime thread while RUN; the
     * main thread while LOST; READY hands it back */
    _Atomic uint32_t dev;
    _Atomic int stop;                          /* main -> rt */
    /* futex word an idle freewheeling thread sleeps on; the main thread
     * bumps it and wakes the thread when it stops it */
    _Atomic uint32_t idle_wake;
    /* transport state machine: main thread registers masters and slow-sync
     * clients (atomics), the realtime thread runs one step per cycle */
    struct rill_transport transport;
    _Atomic int ended;                         /* rt -> main: the thread left its loop */
    int realtime;                              /* SCHED_FIFO obtained (not while freewheeling) */

    /* realtime thread only */
    pthread_t thread;
    /* the cycle whose graph end is checked at the next cycle's start, when
     * the driver discards playback (cycle 0: none) */
    struct rill_rt_pending {
        uint64_t cycle;
        uint64_t t0;
        uint64_t deadline_ns;
        uint32_t late;
    } pending;
    uint32_t plan_slot;
    uint64_t plan_gen;
    int on_fb;                                 /* the fallback clock paces the cycles */
    uint64_t last_next_ns;                     /* expected start of the next period */
    uint64_t last_wake_ns;                     /* start of the last period, as published */
    struct rill_dll dll;                       /* smooths the cycle times */
    uint32_t play_input[RILL_MAX_CHANNELS];    /* plan input index per playback channel */
    float *cap_bufs[RILL_MAX_CHANNELS];
    const float *play_bufs[RILL_MAX_CHANNELS];
    const float *mix_srcs[RILL_MAX_CONNECTIONS]; /* mix_playback's sources */
    uint32_t midi_play_input[RILL_MAX_CHANNELS]; /* plan input index per MIDI playback */
    void *midi_cap_bufs[RILL_MAX_CHANNELS];
    const void *midi_play_bufs[RILL_MAX_CHANNELS];
    const void *midi_srcs[RILL_MAX_CONNECTIONS];  /* merge_midi_playback's sources */
    struct rill_midi_cursor midi_cursors[RILL_MAX_CONNECTIONS];
    uint64_t cycle;
    uint64_t frames;
    double load;
    double peak;
};

enum { RILL_RT_DEV_RUN = 0, RILL_RT_DEV_LOST = 1, RILL_RT_DEV_READY = 2 };

/* Start the thread (SCHED_FIFO at rt->priority when permitted; otherwise a
 * normal thread and a warning in err, return 1). Returns 0, 1, or -errno.
 * Main thread. */
int rill_rt_start(struct rill_rt *rt, char *err, size_t errsize);

/* Ask the thread to stop after its current cycle and join it. Main thread.
 * rill_rt_start may then start it again (after a change of period or of
 * freewheel): the cycle counter and frame time go on. */
void rill_rt_stop(struct rill_rt *rt);

#endif
