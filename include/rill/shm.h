/* rill/shm.h — the shared-memory layout between rilld and its clients.
 *
 * Three memfd segments, created by the engine and passed to each client over
 * its control connection (SCM_RIGHTS):
 *
 *   state       struct rill_shm_state; clients map it read-only.
 *   activation  struct rill_shm_activation; read-write for every client.
 *   pool        port buffers: port id p owns bytes
 *               [p * pool_stride, (p + 1) * pool_stride); read-write.
 *
 * Each field names its writer and its readers. All multi-byte fields that are
 * written while others read are C11 atomics or sit behind a seqlock.
 */
#ifndef RILL_SHM_H
#define RILL_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rill/futex.h"
#include "rill/limits.h"
#include "rill/plan.h"
#include "rill/seqlock.h"
#include "rill/transport_shm.h"

#define RILL_SHM_MAGIC 0x4c4c4952u /* "RILL" */

enum rill_port_type {
    RILL_PORT_TYPE_AUDIO = 0, /* "32 bit float mono audio" */
    RILL_PORT_TYPE_MIDI = 1,  /* "8 bit raw midi" */
    RILL_PORT_TYPE_COUNT
};

/* Port flags: the same bit values as JACK's JackPortFlags. */
enum rill_port_flags {
    RILL_PORT_IS_INPUT = 0x1,
    RILL_PORT_IS_OUTPUT = 0x2,
    RILL_PORT_IS_PHYSICAL = 0x4,
    RILL_PORT_CAN_MONITOR = 0x8,
    RILL_PORT_IS_TERMINAL = 0x10,
};

/* ---- registry: writer main thread, under registry.seq; readers any thread */

struct rill_shm_client {
    uint32_t in_use;
    uint32_t active;
    int32_t pid;
    uint32_t flags;                    /* RILL_CLIENT_* */
    /* the client's realtime thread while it is active (a thread of pid the
     * engine checked), else 0: for tools (rillctl top) that show where it
     * runs. */
    int32_t rt_tid;
    uint32_t reserved;
    uint64_t uuid;
    /* after the removal of a node: the first plan generation without it;
     * the slot is not handed out again until the realtime thread runs it
     * (a cycle of an older plan may still trigger the slot) */
    uint64_t free_gen;
    char name[RILL_CLIENT_NAME_SIZE];
};

#define RILL_CLIENT_CONTROL 0x1u       /* rillctl-like: no node, not listed */
/* on a slot that is not in use: its last owner was removed while its
 * process may still run; the slot is not handed out until it is gone */
#define RILL_CLIENT_HELD 0x2u

struct rill_shm_port {
    uint32_t in_use;
    uint32_t gen;                      /* bumped at each registration of the slot */
    uint32_t client;                   /* owner slot */
    uint32_t flags;                    /* enum rill_port_flags */
    uint32_t type;                     /* enum rill_port_type */
    uint32_t monitor_requests;
    uint64_t uuid;
    uint32_t latency[2][2];            /* [capture, playback][min, max] frames */
    /* after an unregistration: the first plan generation without this
     * port; the slot is not registered again until the realtime thread
     * runs it (a cycle of an older plan may still read its buffer).
     * RILL_PORT_HELD: its owner was removed while its process may still
     * write the buffer; free again when the process is gone. */
    uint64_t free_gen;
    char name[RILL_PORT_NAME_SIZE];    /* "client:port" */
    char alias[2][RILL_PORT_NAME_SIZE];
};

#define RILL_PORT_HELD UINT64_MAX

struct rill_shm_conn {
    uint32_t in_use;
    uint32_t src;                      /* output port id */
    uint32_t dst;                      /* input port id */
    uint32_t feedback;                 /* 1: closes a cycle, read one period late */
    uint64_t serial;                   /* creation order */
};

struct rill_shm_registry {
    /* rill/seqlock.h: the main thread makes it odd before a change and even
     * after; a reader copies what it needs and retries a bounded number of
     * times when seq moved. Write sections are short: a plan is compiled
     * outside of them. */
    _Atomic uint32_t seq;
    uint32_t pad;
    uint64_t next_serial;
    /* the plan generation the realtime thread is known to run; a port or
     * client slot whose free_gen is above it is not handed out. Writer: the
     * main thread. */
    uint64_t adopted_gen;
    /* the main thread's own bookkeeping of engine/registry.c, kept with
     * the registry it serves (nothing for readers): the last uuid number
     * handed out, where the next-fit searches for a port id and a client
     * slot start, and the nesting of rill_registry_write_begin */
    uint64_t uuid_counter;
    uint32_t port_cursor;
    uint32_t client_cursor;
    uint32_t write_depth;
    uint32_t pad1;
    struct rill_shm_client clients[RILL_MAX_CLIENTS];
    struct rill_shm_port ports[RILL_MAX_PORTS];
    struct rill_shm_conn conns[RILL_MAX_CONNECTIONS];
};

/* ---- cycle record: writer the engine's realtime thread, under seq
 * (rill/seqlock.h) */
struct rill_shm_cycle {
    _Atomic uint32_t seq;
    uint32_t plan_slot;                /* the plan of this cycle */
    uint64_t cycle;                    /* cycle counter, from 1 */
    uint64_t frames;                   /* frame time at cycle start */
    uint64_t usecs;                    /* CLOCK_MONOTONIC at cycle start, µs */
    uint64_t next_usecs;               /* expected start of the next cycle, µs */
    uint32_t nframes;                  /* period of this cycle */
    float period_usecs;
};

/* One NetJACK2 link's counters: rilld -d net's link to its master
 * (state->link), or one follower of the netmanager (state->netmanager).
 * Writers the driver's or the follower client's realtime thread and the
 * housekeeping threads; relaxed statistics, readers anyone. */
struct rill_shm_link {
    _Atomic uint32_t link_present;
    _Atomic uint32_t joined;       /* 1 rolling with a master, 0 waiting */
    _Atomic uint64_t cycles;       /* cycles received complete */
    _Atomic uint64_t incomplete;   /* cycles with datagrams missing (silence there) */
    _Atomic uint64_t empty;        /* periods without any datagram (silence) */
    _Atomic uint64_t missed;       /* cycles skipped in the master's numbering */
    _Atomic uint64_t lost;         /* datagrams that never came */
    _Atomic uint64_t late;         /* datagrams of a cycle already over */
    _Atomic uint64_t reordered;    /* out of order within their cycle (used) */
    _Atomic uint64_t foreign;      /* another session's or peer's (ignored) */
    _Atomic uint64_t malformed;    /* refused: sizes, counts, fields, duplicates */
    _Atomic uint64_t rejoins;
};

/* The netmanager's followers shown by rillctl status: one slot each (the
 * manager serves at most this many). */
#define RILL_NM_SLOTS 64u

/* Who a follower is; written once by the manager thread when its client
 * starts and when it goes, under the slot's seqlock (rill/seqlock.h). */
struct rill_shm_nm_identity {
    uint32_t used;                 /* 1 while a follower holds the slot */
    uint32_t id;                   /* the session id of the SETUP */
    char name[64];                 /* the follower's own name */
    char client[64];               /* its client in rill's graph */
    char address[48];              /* IPv4:port it answers from */
    uint32_t rate, period;
    uint32_t latency;              /* cycles */
    uint32_t encoder;              /* NetJACK2's: 0 float, 1 int16, 2 celt, 3 opus */
    uint32_t kbps;
    uint32_t audio_to, audio_from; /* channels to and from the follower */
    uint32_t midi_to, midi_from;
    uint32_t sync;                 /* 1: the follower runs in sync mode */
    uint32_t transport_sync;       /* 1: transport state travels (see doc/network.md) */
    uint64_t since_s;              /* CLOCK_REALTIME seconds it joined */
};

struct rill_shm_nm_follower {
    _Atomic uint32_t seq;          /* seqlock over id */
    uint32_t pad;
    struct rill_shm_nm_identity id;
    struct rill_shm_link link;     /* its counters (link_present unused) */
};

/* Writer the netmanager module inside rilld (engine/internal.c hands it
 * the block); present: 1 while one is loaded (relaxed: each slot's seqlock
 * orders its identity); refused: datagrams refused on its port. */
struct rill_shm_netmanager {
    _Atomic uint32_t present;
    uint32_t port;                 /* UDP port it listens on */
    _Atomic uint64_t refused;
    _Atomic uint64_t turned_away;  /* followers whose session rill cannot serve */
    struct rill_shm_nm_follower f[RILL_NM_SLOTS];
};

/* driver_state of rill_shm_state */
enum rill_driver_state {
    RILL_DRIVER_STATE_RUNNING = 0,   /* the device paces the cycles */
    RILL_DRIVER_STATE_RECOVERING,    /* it stalled: fallback clock, being reopened */
    RILL_DRIVER_STATE_LOST,          /* it is gone: fallback clock, watched for */
    RILL_DRIVER_STATE_REFUSED,       /* it came back unable to run as before:
                                      * fallback clock */
};

struct rill_shm_state {
    /* constant after creation; writer main thread */
    uint32_t magic;
    uint32_t version;
    uint64_t size;                     /* sizeof(struct rill_shm_state) */
    uint64_t activation_size;
    uint64_t pool_size;
    uint32_t pool_stride;              /* bytes per port buffer */
    uint32_t port_max;                 /* port ids below this are usable */
    uint32_t rate;
    uint32_t period;                   /* frames */
    int32_t server_pid;
    int32_t rt_priority;               /* engine's SCHED_FIFO priority, 0: not realtime */
    uint32_t client_timeout_ms;
    /* 1 while the server freewheels; writer the main thread (relaxed: a
     * client starting its realtime thread meanwhile reads it to start at
     * SCHED_OTHER, and the FREEWHEEL events correct any race) */
    _Atomic uint32_t freewheeling;
    char server_name[RILL_SERVER_NAME_SIZE];
    char driver_name[32];

    struct rill_shm_cycle cycle;
    /* transport position of the current cycle; writer the realtime thread
     * (seqlock), readers anyone (rill/transport_shm.h) */
    struct rill_transport_shm transport;

    /* statistics; writer realtime thread (relaxed), readers anyone */
    _Atomic uint32_t dsp_load_milli;   /* percent x 1000, smoothed */
    _Atomic uint32_t dsp_load_peak_milli;
    _Atomic uint64_t xruns;
    _Atomic uint64_t cycles;
    _Atomic uint64_t late_nodes;       /* node-cycles that missed the deadline */
    /* the same per client slot, since the engine started (a tool counts
     * differences, so a slot handed to a new client is not reset) */
    _Atomic uint64_t node_late[RILL_MAX_CLIENTS];
    /* how late the driver woke at the last xrun, and the most since start
     * or since a RILL_MSG_XRUN_RESET (the main thread then stores 0; a
     * reset that races an xrun may be lost, as in JACK) */
    _Atomic uint64_t xrun_delay_last_ns;
    _Atomic uint64_t xrun_delay_max_ns;

    /* the sound card's faults (engine/device.c). driver_state
     * (RILL_DRIVER_STATE_*) and driver_since_s (CLOCK_REALTIME seconds when
     * that state began), driver_reopens: writer the main thread;
     * driver_stalls (poll timeouts recovered by a restart) and
     * driver_restarts (stream restarts, xruns included): writer the
     * realtime thread. All relaxed statistics, readers anyone. */
    _Atomic uint32_t driver_state;
    uint32_t pad1;
    _Atomic uint64_t driver_since_s;
    _Atomic uint64_t driver_stalls;
    _Atomic uint64_t driver_restarts;
    _Atomic uint64_t driver_reopens;
    _Atomic uint64_t driver_losses;     /* times the cycle moved to the fallback clock */

    /* a network driver's link (rilld -d net; doc/network.md): link_present
     * 1 when the driver is one */
    struct rill_shm_link link;
    /* the netmanager internal client's followers (rill as a NetJACK2
     * master; internal/netmanager.h) */
    struct rill_shm_netmanager netmanager;

    /* plan hand-over (engine/plan_handover.h; only the engine's own mapping
     * writes it): which plan slot the realtime thread runs (cur), which one
     * the main thread published for it (next) and the one before cur, in
     * one word, so that each side changes it by one compare-and-swap and
     * reads it as one snapshot.
     * cur_plan_gen: the realtime thread stores the generation of the plan
     * it adopted (release); the main thread reads it (acquire). */
    _Atomic uint32_t plan_handover;
    uint32_t plan_handover_pad;
    _Atomic uint64_t cur_plan_gen;

    struct rill_shm_registry registry;
    struct rill_plan plans[RILL_PLAN_SLOTS];
};

/* ---- activation records: one per node, one cache line each */

/* trigger value a client writes to its own record to end its RT thread */
#define RILL_TRIGGER_QUIT 0xffffffffu

struct rill_activation {
    /* futex word: low 32 bits of the last cycle this node was released to
     * run. Writer: whoever brings pending to zero (release); reader: the node. */
    _Atomic uint32_t trigger;
    /* low 32 bits of the last cycle the node finished; writer the node (release) */
    _Atomic uint32_t finished;
    /* (cycle32 << 32) | count of upstream nodes still running. Writer: the
     * engine sets it at cycle start; upstream nodes decrement it with a CAS
     * that checks the cycle, so a late node never touches a newer cycle. */
    _Atomic uint64_t pending;
    /* time stamps of the last cycle, CLOCK_MONOTONIC ns */
    _Atomic uint64_t signal_ns;        /* writer: the waker */
    _Atomic uint64_t awake_ns;         /* writer: the node */
    _Atomic uint64_t finish_ns;        /* writer: the node */
    /* 1 while the node sleeps in futex_wait (lets wakers skip a syscall) */
    _Atomic uint32_t sleeping;
    /* low 32 bits of the last cycle in which the engine bypassed the node
     * (it was still busy with an earlier one). Writer: the engine's realtime
     * thread, before it releases the node's successors; readers: those
     * successors (and the engine's playback mix), which then take the node's
     * outputs as silence instead of reading a buffer it may still write. */
    _Atomic uint32_t bypassed;
    /* low 32 bits of the last cycle whose outputs the node wrote completely
     * (processed, or zeroed). Writer: the node (release, before finished);
     * readers: consumers of its outputs over a feedback connection, which
     * read the previous cycle's data and take anything else as silence. */
    _Atomic uint32_t produced;
    uint32_t pad;
} __attribute__((aligned(64)));

struct rill_shm_activation {
    struct rill_activation node[RILL_MAX_CLIENTS];
    /* transport requests and slow-sync marks, one per client slot; and the
     * timebase master's output (rill/transport_shm.h) */
    struct rill_transport_client transport[RILL_MAX_CLIENTS];
    struct rill_transport_master_out timebase;
};

_Static_assert(sizeof(struct rill_activation) == 64, "one cache line per node");

/* ---- 32-bit cycle words
 *
 * trigger, finished, bypassed, produced and the high half of pending hold
 * the low 32 bits of a cycle. 0 ("never") and RILL_TRIGGER_QUIT are never
 * a cycle: the engine skips them, so the cycle after 0xfffffffe is 1. The
 * words wrap every 2^32 - 2 cycles (16.6 days at 16 frames and 48 kHz), so
 * they are only compared for equality with the current cycle or its
 * predecessor (rill_cycle32_prev), and a word that could match again after a
 * wrap is cleared when it stops being current (bypassed: at every cycle the
 * node is not bypassed; the whole record at a slot's hello). */

/* 1 when c can be a cycle word. Any thread. */
static inline int rill_cycle32_valid(uint32_t c)
{
    return c != 0 && c != RILL_TRIGGER_QUIT;
}

/* The cycle word before c (wrap-safe: the one before 1 is 0xfffffffe). Any
 * thread. */
static inline uint32_t rill_cycle32_prev(uint32_t c)
{
    uint32_t p = c - 1u;
    if (p == 0)
        p = RILL_TRIGGER_QUIT - 1u;
    else if (p == RILL_TRIGGER_QUIT)
        p--;
    return p;
}

/* A fresh record for a slot's new owner: nothing of an earlier client's
 * cycles survives (a stale bypassed or produced would match again one wrap
 * later, a stale trigger != finished would read as a late node). Main thread,
 * at hello, while no plan holds the slot's node. */
static inline void rill_activation_reset(struct rill_activation *a)
{
    /* relaxed: no plan holds the node yet; the plan that adds it is
     * published (release) after this */
    atomic_store_explicit(&a->trigger, 0, memory_order_relaxed);
    atomic_store_explicit(&a->finished, 0, memory_order_relaxed);
    atomic_store_explicit(&a->pending, 0, memory_order_relaxed);
    atomic_store_explicit(&a->signal_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&a->awake_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&a->finish_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&a->sleeping, 0, memory_order_relaxed);
    atomic_store_explicit(&a->bypassed, 0, memory_order_relaxed);
    atomic_store_explicit(&a->produced, 0, memory_order_relaxed);
}

/* Decrement node's pending count for cycle c. Returns 1 when this call
 * brought it to zero (the caller must then trigger the node), 0 otherwise
 * (not zero yet, or the record belongs to another cycle). RT-safe; the loop
 * retries only while other upstream nodes race on the same word, at most
 * once per upstream node. */
static inline int rill_activation_release(struct rill_activation *a, uint32_t c)
{
    uint64_t v = atomic_load_explicit(&a->pending, memory_order_acquire);
    for (unsigned tries = 0; tries < 2 * RILL_MAX_CLIENTS; tries++) {
        if ((uint32_t)(v >> 32) != c || (uint32_t)v == 0)
            return 0;
        uint64_t nv = v - 1;
        /* acq_rel: our writes to our output buffers happen-before the
         * successor's reads, through the last decrement and the trigger. */
        if (atomic_compare_exchange_weak_explicit(&a->pending, &v, nv, memory_order_acq_rel,
                                                  memory_order_acquire))
            return (uint32_t)nv == 0;
    }
    return 0;
}

/* The engine, at the start of cycle c, before it triggers anyone: arm node
 * a's record for the cycle. A node still busy with an earlier cycle
 * (trigger != finished) is late: its pending word gets another cycle, so
 * nobody can trigger it in this one, and 1 is returned (the engine then
 * bypasses it). Otherwise pending = (c << 32) | required, and a bypass of
 * an earlier cycle is forgotten (it would match again when the cycle words
 * wrap); returns 0. Realtime thread of the engine; RT-safe. relaxed stores:
 * the engine's triggers (seq_cst) and releases (acq_rel) that follow
 * publish them. */
static inline int rill_activation_arm(struct rill_activation *a, uint32_t c, uint32_t required)
{
    /* acquire: the node's outputs of the cycle it finished are complete */
    uint32_t trig = atomic_load_explicit(&a->trigger, memory_order_acquire);
    uint32_t fin = atomic_load_explicit(&a->finished, memory_order_acquire);
    if (rill_cycle32_valid(trig) && trig != fin) {
        atomic_store_explicit(&a->pending, (uint64_t)(c ^ 0x80000000u) << 32,
                              memory_order_relaxed);
        return 1;
    }
    atomic_store_explicit(&a->pending, ((uint64_t)c << 32) | required, memory_order_relaxed);
    if (atomic_load_explicit(&a->bypassed, memory_order_relaxed) != 0)
        atomic_store_explicit(&a->bypassed, 0, memory_order_relaxed);
    return 0;
}

/* Release node a to run cycle c and wake it if it sleeps. The seq_cst store
 * of trigger and load of sleeping pair with the sleeper's seq_cst store of
 * sleeping and load of trigger: either we see it asleep and wake it, or it
 * sees the new trigger and does not sleep. signal_ns is the wake time stamp.
 * RT-safe. */
static inline void rill_activation_trigger(struct rill_activation *a, uint32_t c, uint64_t now_ns)
{
    atomic_store_explicit(&a->signal_ns, now_ns, memory_order_relaxed);
    atomic_store_explicit(&a->trigger, c, memory_order_seq_cst);
    if (atomic_load_explicit(&a->sleeping, memory_order_seq_cst))
        rill_futex_wake(&a->trigger, 1);
}

/* The sleeping side of rill_activation_trigger: one sleep on a->trigger
 * while it still holds seen. The seq_cst store of sleeping followed by the
 * seq_cst load of trigger pairs with the waker's seq_cst store of trigger
 * followed by its seq_cst load of sleeping: at least one of the two sees
 * the other, so a wake-up is never lost (and futex wait rechecks the value
 * in the kernel). quit (may be NULL): a flag that also ends the wait; it is
 * checked after sleeping is set, so a quitter that stores it and then
 * wakes the word is never missed. abs_deadline: CLOCK_MONOTONIC, or NULL.
 * Returns 0 (woken, changed, or quit; the caller re-reads trigger),
 * -ETIMEDOUT, -EINTR. RT-safe: futex wait only. */
static inline int rill_activation_sleep(struct rill_activation *a, uint32_t seen,
                                        _Atomic int *quit, const struct timespec *abs_deadline)
{
    int r = 0;
    atomic_store_explicit(&a->sleeping, 1, memory_order_seq_cst);
    uint32_t t = atomic_load_explicit(&a->trigger, memory_order_seq_cst);
    if (t == seen && !(quit && atomic_load_explicit(quit, memory_order_seq_cst)))
        r = rill_futex_wait(&a->trigger, seen, abs_deadline);
    /* relaxed: a waker that still sees 1 only makes one futex wake too many */
    atomic_store_explicit(&a->sleeping, 0, memory_order_relaxed);
    return r;
}

/* Read a consistent copy of the cycle record. Returns 0, or -EAGAIN when
 * the engine kept writing it for RILL_SEQLOCK_READ_TRIES attempts (dst is
 * then not to be used). Any thread; RT-safe. */
static inline int rill_cycle_read(const struct rill_shm_cycle *src, struct rill_shm_cycle *dst)
{
    for (unsigned tries = 0; tries < RILL_SEQLOCK_READ_TRIES; tries++) {
        uint32_t s;
        if (!rill_seqlock_read_begin(&src->seq, &s))
            continue;
        dst->plan_slot = src->plan_slot;
        dst->cycle = src->cycle;
        dst->frames = src->frames;
        dst->usecs = src->usecs;
        dst->next_usecs = src->next_usecs;
        dst->nframes = src->nframes;
        dst->period_usecs = src->period_usecs;
        if (rill_seqlock_read_end(&src->seq, s))
            return 0;
    }
    return -EAGAIN;
}

#endif
