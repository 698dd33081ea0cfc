/* rill/transport_shm.h — the transport's part of the shared memory.
 *
 * Two places (see rill/shm.h for the segments):
 *
 *   state segment (clients read-only): struct rill_transport_shm, the
 *     position of the current cycle, written by the engine's realtime thread
 *     at each cycle boundary, before any node is triggered, under a seqlock.
 *     Readers: any thread of any client (jack_transport_query may be called
 *     from process or from any other thread). rill_transport_read() copies
 *     it; a copy always has unique_1 == unique_2 (a new value each cycle).
 *
 *   activation segment (read-write): one struct rill_transport_client per
 *     client slot, written by that client (any of its threads, including
 *     process), read by the engine's realtime thread at the next cycle
 *     boundary; and one struct rill_transport_master_out, written by the
 *     timebase master's realtime thread after its process callback.
 *
 * Why not the socket: requests (start, stop, locate, reposition) are
 * realtime-safe in JACK and may be made from a process callback, which
 * must not block on a socket. A request is a store into shared memory.
 *
 * Position timing (JACK's, see doc/transport.md): a locate requested during
 * cycle k is latched at boundary k+1 (the master is then told next_frame and
 * new_pos during cycle k+1) and takes effect at boundary k+2: "the new
 * position takes effect in two process cycles".
 */
#ifndef RILL_TRANSPORT_SHM_H
#define RILL_TRANSPORT_SHM_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "rill/seqlock.h"

/* States: the values of jack_transport_state_t. */
enum rill_transport_state {
    RILL_TRANSPORT_STOPPED = 0,
    RILL_TRANSPORT_ROLLING = 1,
    RILL_TRANSPORT_STARTING = 3,
};

/* Valid bits: the values of jack_position_bits_t. */
#define RILL_POS_BBT 0x10u
#define RILL_POS_TIMECODE 0x20u
#define RILL_POS_BBT_FRAME_OFFSET 0x40u
#define RILL_POS_AUDIO_VIDEO_RATIO 0x80u
#define RILL_POS_VIDEO_FRAME_OFFSET 0x100u
#define RILL_POS_TICK_DOUBLE 0x200u
/* every bit a client may set in a reposition or a timebase callback */
#define RILL_POS_ALL 0x3f0u

/* A position: the fields of jack_position_t (the jack layer converts). */
struct rill_transport_pos {
    uint64_t unique;                   /* unique_1 == unique_2 */
    uint64_t usecs;                    /* CLOCK_MONOTONIC µs of the cycle start */
    uint32_t frame_rate;
    uint32_t frame;
    uint32_t valid;                    /* RILL_POS_* */
    int32_t bar, beat, tick;
    double bar_start_tick;
    float beats_per_bar, beat_type;
    double ticks_per_beat, beats_per_minute;
    double frame_time, next_time;      /* timecode */
    uint32_t bbt_offset;
    float audio_frames_per_video_frame;
    uint32_t video_offset;
    uint32_t pad;
    double tick_double;
};

/* Copy the extended fields (everything but unique, usecs, frame_rate,
 * frame) of src into dst, with dst->valid = src->valid & RILL_POS_ALL.
 * RT-safe. */
static inline void rill_transport_pos_copy_ext(struct rill_transport_pos *dst,
                                               const struct rill_transport_pos *src)
{
    uint64_t unique = dst->unique, usecs = dst->usecs;
    uint32_t rate = dst->frame_rate, frame = dst->frame;
    *dst = *src;
    dst->unique = unique;
    dst->usecs = usecs;
    dst->frame_rate = rate;
    dst->frame = frame;
    dst->valid = src->valid & RILL_POS_ALL;
}

/* ---- state segment: writer the engine's realtime thread */
struct rill_transport_shm {
    /* seqlock: odd while the engine writes, even after (release) */
    _Atomic uint32_t seq;
    uint32_t state;                    /* enum rill_transport_state of this cycle */
    uint64_t cycle;                    /* the cycle this position belongs to */
    struct rill_transport_pos pos;     /* position at the first frame of the cycle */
    uint32_t next_frame;               /* frame of the next cycle (the master's pos->frame) */
    uint32_t new_pos;                  /* 1: next_frame is a newly requested position */
    struct rill_transport_pos request; /* new_pos: what the requester asked for */
    uint32_t sync_gen;                 /* slow-sync poll generation (never 0) */
    uint32_t master;                   /* timebase master's slot + 1, 0: none */
    uint32_t master_gen;               /* bumped when the master changes */
    uint32_t sync_timeout_ms;          /* informational */
};

/* ---- activation segment: one per client slot; writer that client */

#define RILL_TRANSPORT_CMD_NONE 0u
#define RILL_TRANSPORT_CMD_START 1u
#define RILL_TRANSPORT_CMD_STOP 2u

struct rill_transport_client {
    /* start/stop: (CLOCK_MONOTONIC ns << 2) | RILL_TRANSPORT_CMD_*; one
     * store (release). The engine keeps the last value it saw; the newest
     * new command of all clients wins. */
    _Atomic uint64_t cmd;
    /* position request under a seqlock: a writer makes req_seq odd with a
     * CAS (so two threads of one client never interleave), writes, then
     * stores the next even value (release). */
    _Atomic uint32_t req_seq;
    /* slow-sync: the sync_gen for which this client's sync callback said
     * "ready"; written by its realtime thread (release) */
    _Atomic uint32_t sync_ready;
    uint64_t req_stamp_ns;             /* when the request was made (newest wins) */
    struct rill_transport_pos req;     /* frame + extended fields asked for */
} __attribute__((aligned(64)));

/* The timebase master's output: the position it computed for the cycle
 * after the one it ran in. Writer: the master's realtime thread, under
 * seq (odd while writing; only the current master writes, and a former
 * master stops at the first cycle it sees another master). */
struct rill_transport_master_out {
    _Atomic uint32_t seq;
    uint32_t slot;                     /* writer's slot */
    uint64_t cycle;                    /* cycle it was computed in */
    struct rill_transport_pos pos;     /* pos.frame: the frame it is for */
} __attribute__((aligned(64)));

/* Read a consistent copy of the published transport. Returns 0, or -EAGAIN
 * when the engine kept writing for RILL_SEQLOCK_READ_TRIES attempts (the
 * writer holds the seqlock for a few hundred stores; dst is then not to be
 * used). Any thread; RT-safe. */
static inline int rill_transport_read(const struct rill_transport_shm *src,
                                      struct rill_transport_shm *dst)
{
    for (unsigned tries = 0; tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(&src->seq, &s))
            continue;
        memcpy((char *)dst + sizeof(dst->seq), (const char *)src + sizeof(src->seq),
               sizeof(*src) - sizeof(src->seq));
        if (rill_seqlock_read_end(&src->seq, s)) {
            atomic_store_explicit(&dst->seq, s, memory_order_relaxed);
            return 0;
        }
    }
    return -EAGAIN;
}

/* Ask for start or stop (RILL_TRANSPORT_CMD_*). now_ns: CLOCK_MONOTONIC.
 * Any thread of the record's client; RT-safe (one store). */
static inline void rill_transport_request_cmd(struct rill_transport_client *rec, uint32_t cmd,
                                              uint64_t now_ns)
{
    /* release: nothing else is published with it; the stamp orders commands */
    atomic_store_explicit(&rec->cmd, (now_ns << 2) | (cmd & 3u), memory_order_release);
}

/* Ask for a new position (frame and the extended fields valid in pos).
 * Returns 0, or -EBUSY when another thread of the same client kept the
 * record for RILL_SEQLOCK_READ_TRIES attempts. Any thread of the record's
 * client; RT-safe. */
static inline int rill_transport_request_pos(struct rill_transport_client *rec,
                                             const struct rill_transport_pos *pos,
                                             uint64_t now_ns)
{
    for (unsigned tries = 0; tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        if (!rill_seqlock_try_write_begin(&rec->req_seq)) {
            rill_cpu_relax();
            continue;
        }
        rec->req_stamp_ns = now_ns;
        rec->req = *pos;
        rec->req.valid &= RILL_POS_ALL;
        rill_seqlock_write_end(&rec->req_seq);
        return 0;
    }
    return -EBUSY;
}

#endif
