/* clients/core/client_priv.h — the client's internals, shared by client.c
 * (connection, threads, requests) and client_rt.c (the realtime cycle).
 *
 * The jack layer (clients/jack) may include this header for the two queries
 * at the bottom; it must not touch struct rill_client's fields.
 *
 * Field ownership:
 *   set at open, constant after: sock, evsock, slot, uuid, name, cb, the
 *     mappings and their sizes;
 *   ctl_lock (activate/deactivate/close, main threads): active, rt_thread;
 *   req_lock (any non-realtime thread): seq;
 *   atomics, each documented below: alive, closing, rt_quit, process_failed,
 *     is_rt, buf[], port_type[].
 */
#ifndef RILL_CLIENT_PRIV_H
#define RILL_CLIENT_PRIV_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clients/core/client.h"
#include "midi/buffer.h"

/* port_type[] value of a port this client does not own */
#define RILL_PORT_TYPE_NONE 0xffu

struct rill_client {
    int sock;                          /* request connection */
    int evsock;                        /* event connection (notification thread) */
    uint32_t slot;
    uint64_t uuid;
    char name[RILL_CLIENT_NAME_SIZE];
    struct rill_client_callbacks cb;

    const struct rill_shm_state *state;
    size_t state_size;
    struct rill_shm_activation *act;
    size_t act_size;
    uint8_t *pool;
    size_t pool_size;
    uint32_t pool_stride;
    uint32_t port_max;                 /* min(state->port_max, RILL_MAX_PORTS) */

    pthread_mutex_t req_lock;
    uint32_t seq;                      /* under req_lock */

    pthread_mutex_t ctl_lock;
    int active;                        /* under ctl_lock; readers use active_flag */
    pthread_t rt_thread;               /* under ctl_lock, valid while active */
    pthread_t ev_thread;
    int ev_started;
    /* 1 from the moment the notification thread takes an event off evsock
     * until its callback returned (seq_cst, see events_settle in client.c) */
    _Atomic int ev_busy;
    sem_t rt_ready;                    /* posted by the realtime thread once it read trigger */
    pid_t rt_tid;                      /* its thread id, written before that post */

    /* 1 while active; written under ctl_lock (release), read by anyone. */
    _Atomic int active_flag;
    /* 1 while the server connection is up; cleared by the notification
     * thread or a request that saw EOF. Relaxed: a plain status flag. */
    _Atomic int alive;
    /* 1 once close began: the notification thread then delivers no
     * synthesised SHUTDOWN for the EOF that close itself causes. */
    _Atomic int closing;
    /* 1 asks the realtime thread to end. Stored (seq_cst) before
     * RILL_TRIGGER_QUIT is stored into act[slot].trigger (seq_cst), so the
     * thread, woken by any change of its trigger, sees it; the thread checks
     * it before each sleep and after each wake-up. */
    _Atomic int rt_quit;
    /* 1 once process returned non-zero; the realtime thread writes it
     * (release), the jack layer reads it (acquire). */
    _Atomic int process_failed;
    /* 1 when the realtime thread got SCHED_FIFO. */
    _Atomic int is_rt;
    /* 1 while the server freewheels: the realtime thread runs at
     * SCHED_OTHER (rill_client_set_freewheel; relaxed, one word) */
    _Atomic int freewheel;

    /* Per port id: the buffer rill_client_port_buffer returns. Entries of own
     * input ports are rewritten by the realtime thread every cycle (step 4);
     * the others are the port's own pool buffer. Relaxed: each entry is one
     * word; the memory it points to is mapped for the client's lifetime. */
    _Atomic(void *) buf[RILL_MAX_PORTS];
    /* Per port id: enum rill_port_type of an own port, RILL_PORT_TYPE_NONE
     * otherwise. Main thread stores after buf[id] (release); the realtime
     * thread loads (acquire) before resolving an input. */
    _Atomic uint8_t port_type[RILL_MAX_PORTS];
    /* Realtime thread only: source pointers for a mixdown. */
    const float *mix_srcs[RILL_MAX_CONNECTIONS];
    /* Realtime thread only: a MIDI merge's sources and cursors. */
    const void *midi_srcs[RILL_MAX_CONNECTIONS];
    struct rill_midi_cursor midi_cur[RILL_MAX_CONNECTIONS];
    /* Realtime thread only: the last trigger seen, and the cycle that is
     * open between rill_client_cycle_wait and rill_client_cycle_signal. */
    struct {
        uint32_t last;
        uint32_t trigger;
        uint32_t nframes;
        int open;
        const struct rill_plan *plan;
        const struct rill_plan_node *node;
        /* the cycle record of the open cycle: what JACK's time functions
         * return on this thread while process runs (rill_client_cycle) */
        struct rill_shm_cycle cy;
    } rt;
    /* Process-thread mode (rill_client_set_thread): written under ctl_lock
     * while inactive; the realtime thread, created by a later activate,
     * reads them (thread creation orders the accesses). */
    void *(*thread_fn)(void *arg);
    void *thread_arg;
};

/* The realtime thread's body (client_rt.c); arg is the client. Started by
 * rill_client_activate with all signals blocked. */
void *rill__client_rt_main(void *arg);

/* Own pool buffer of port id (id < c->port_max). Any thread. */
static inline void *rill__client_own_buffer(const struct rill_client *c, uint32_t id)
{
    return c->pool + (size_t)id * c->pool_stride;
}

/* 1 when the realtime thread runs with SCHED_FIFO, else 0. Any thread. */
int rill_client_is_realtime(const struct rill_client *c);

/* 1 once the process callback returned non-zero during this activation (the
 * client then only passes the cycle on, with its outputs zeroed). Any thread. */
int rill_client_process_failed(const struct rill_client *c);

#endif
