/* clients/core/client.h — the client side of the rill protocol.
 *
 * Used by libjack.so.0 (clients/jack), rillctl and the tests. Not installed.
 *
 * A client owns:
 *   - its request connection (rill/protocol.h), serialised by a mutex;
 *   - a notification thread that reads the event socket and calls
 *     callbacks.event for each RILL_EV_* message. When the server goes away
 *     (EOF or error) it synthesises one RILL_EV_SHUTDOWN and stops;
 *   - once activated, a realtime thread (SCHED_FIFO at the engine's priority
 *     minus one when permitted) that runs callbacks.process once per cycle.
 *
 * The realtime cycle of a client (node n, activation record act[n]):
 *   1. sleep on act[n].trigger until it differs from the last value seen
 *      (act[n].sleeping = 1 around the futex wait, seq_cst);
 *      RILL_TRIGGER_QUIT ends the thread;
 *   2. read the cycle record (rill_cycle_read); a trigger that is not the
 *      low 32 bits of its cycle is stale and ignored;
 *   3. find the node in plans[cycle.plan_slot] (node_index[n]); not found:
 *      ignore the trigger; every index read from the plan is bounds-checked;
 *   4. resolve own input buffers: no source -> own buffer zeroed, one
 *      source -> the source's buffer in place, several -> their sum in the
 *      own buffer; outputs are the own buffer. MIDI (midi/buffer.h): no
 *      source -> own buffer made an empty MIDI buffer, several -> merged by
 *      time into it; each own MIDI output is made a valid buffer of this
 *      period if it is not one already (its events are kept otherwise);
 *   5. act[n].awake_ns, callbacks.process(nframes), act[n].finish_ns;
 *   6. act[n].finished = trigger (release); for each successor s in the
 *      plan: if rill_activation_release(&act[s], trigger) then
 *      act[s].signal_ns = now, act[s].trigger = trigger (seq_cst) and, when
 *      act[s].sleeping, futex wake. The engine itself is successor 0.
 */
#ifndef RILL_CLIENT_H
#define RILL_CLIENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "rill/protocol.h"
#include "rill/shm.h"
#include "common/msg.h"

struct rill_client;

struct rill_client_callbacks {
    void *arg;
    /* notification thread: one RILL_EV_* message */
    void (*event)(void *arg, const struct rill_msg *ev);
    /* realtime thread: once when it starts */
    void (*rt_init)(void *arg);
    /* realtime thread: one cycle. A non-zero return means the client wants
     * no more cycles (libjack deactivates it from another thread). */
    int (*process)(void *arg, uint32_t nframes);
    /* realtime thread, in each cycle that runs process: pre_process just
     * before it, post_process just after it (libjack: the transport's sync
     * callback before, the timebase callback after, as JACK does). May be
     * NULL. Must be RT-safe. */
    void (*pre_process)(void *arg, uint32_t nframes);
    void (*post_process)(void *arg, uint32_t nframes);
};

/* Connect to server (NULL: rill_server_name(NULL)) as name, with hello flags
 * RILL_HELLO_*. On failure returns -errno and writes a sentence into err:
 * -ENOENT/-ECONNREFUSED no server, -EEXIST name taken (USE_EXACT_NAME),
 * -EPROTO version mismatch, -ENAMETOOLONG name too long. Main thread or any
 * non-realtime thread. */
int rill_client_open(const char *server, const char *name, uint32_t hello_flags,
                     const struct rill_client_callbacks *cb, struct rill_client **out, char *err,
                     size_t errsize);

/* Leave the server (CLOSE), stop both threads, unmap, free. Not from the
 * client's own realtime or notification thread. */
void rill_client_close(struct rill_client *c);

/* Send msg as a request and overwrite it with the reply. Returns the reply's
 * result (0 or -errno; msg->error says why), or -EPIPE when the server is
 * gone. Any non-realtime thread. */
int rill_client_request(struct rill_client *c, struct rill_msg *msg);

/* Start the realtime thread and ACTIVATE; DEACTIVATE and join it. */
int rill_client_activate(struct rill_client *c);
int rill_client_deactivate(struct rill_client *c);
int rill_client_is_active(const struct rill_client *c);

/* The client's slot (node number), name as granted, uuid. Any thread. */
uint32_t rill_client_slot(const struct rill_client *c);
const char *rill_client_name(const struct rill_client *c);
uint64_t rill_client_uuid(const struct rill_client *c);

/* Shared state as mapped (read-only). Any thread. */
const struct rill_shm_state *rill_client_state(const struct rill_client *c);

/* Activation segment as mapped (read-write; the transport request records
 * live there). Any thread. */
struct rill_shm_activation *rill_client_activation(const struct rill_client *c);

/* Buffer of port id for the current cycle: for own ports as resolved in step
 * 4 of the last cycle (or the own buffer before the first one); for other
 * ports, the port's own buffer. NULL for an invalid id. RT-safe. */
void *rill_client_port_buffer(struct rill_client *c, uint32_t port);

/* Register/unregister a port with the server (sends the request and updates
 * the client's buffer table). Any non-realtime thread. */
int rill_client_port_register(struct rill_client *c, const char *short_name, const char *type,
                              uint32_t flags, uint32_t *id, char *err, size_t errsize);
int rill_client_port_unregister(struct rill_client *c, uint32_t id);

/* The cycle record for JACK's time functions: on the client's realtime
 * thread while its cycle is open, that cycle's (stable during process);
 * elsewhere the engine's current one. Returns 0, or -EAGAIN when no
 * consistent copy could be read (rill_cycle_read; *out is then not to be
 * used). RT-safe. */
int rill_client_cycle(struct rill_client *c, struct rill_shm_cycle *out);

/* Answer an event (e.g. RILL_MSG_BUFFER_SIZE_DONE) on the event socket.
 * The notification thread, typically from inside callbacks.event; it never
 * takes the request lock, so it works while another thread of the program
 * waits in a request. Returns 0 or -errno. */
int rill_client_event_answer(struct rill_client *c, const struct rill_msg *m);

/* 1 while the server connection is up. Any thread. */
int rill_client_alive(const struct rill_client *c);

/* The server started (on 1) or stopped (0) freewheeling: the realtime
 * thread drops to SCHED_OTHER while it lasts and goes back to SCHED_FIFO at
 * the engine's priority minus one after, as JACK clients do (a thread
 * started meanwhile starts at SCHED_OTHER). The notification thread, or any
 * non-realtime thread that is not inside activate/deactivate. Returns 0 or
 * the -errno of pthread_setschedparam. */
int rill_client_set_freewheel(struct rill_client *c, int on);

/* Realtime thread id (valid while active) for jack_client_thread_id. */
int rill_client_rt_thread(const struct rill_client *c, unsigned long *tid);

/* ---- process-thread mode (JACK's jack_set_process_thread;
 * clients/core/client_rt.c). Instead of calling callbacks.process once per
 * cycle, the realtime thread (after rt_init) calls fn(arg) once; fn loops:
 *   n = rill_client_cycle_wait(c)   steps 1-4 (and pre_process): blocks until
 *                                   the node is triggered, returns nframes;
 *   ... the program's work ...
 *   rill_client_cycle_signal(c, s)  steps 5-6: post_process (s == 0) or
 *                                   outputs zeroed (s != 0), successors
 *                                   released.
 * cycle_wait returns 0 when the thread must end (deactivate, close) or is
 * not called on c's realtime thread; the jack layer then leaves fn with
 * pthread_exit, as JACK does. When fn returns by itself the client stays in
 * the graph with its outputs zeroed until it is deactivated. */

/* Set (fn != NULL) or clear the thread function. 0, or -EBUSY while active.
 * Main thread. */
int rill_client_set_thread(struct rill_client *c, void *(*fn)(void *), void *arg);
/* 1 when a thread function is set. Any non-realtime thread. */
int rill_client_has_thread(struct rill_client *c);
/* See above. c's realtime thread only; RT-safe but for the wait itself. */
uint32_t rill_client_cycle_wait(struct rill_client *c);
void rill_client_cycle_signal(struct rill_client *c, int status);
/* 1 when the caller is c's realtime thread. Any thread; RT-safe. */
int rill_client_on_rt_thread(const struct rill_client *c);

/* Create the core's threads (notification, realtime) with fn instead of
 * pthread_create (JACK's jack_set_thread_creator); NULL restores
 * pthread_create. Process-wide. Any thread. */
typedef int (*rill_thread_creator_fn)(pthread_t *thread, const pthread_attr_t *attr,
                                      void *(*start)(void *), void *arg);
void rill_client_set_thread_creator(rill_thread_creator_fn fn);

/* ---- lock-free reads of the registry (clients/core/registry_read.c).
 * Each takes a consistent copy under the registry seqlock, with a bounded
 * number of attempts (rill/seqlock.h). Every one of them returns -EAGAIN
 * when it got no consistent copy (the engine kept writing the registry);
 * it never returns a torn copy. Any thread; RT-safe: none allocates, makes
 * a syscall or spins more than RILL_SEQLOCK_READ_TRIES times. */

/* Copy port id. Returns 0, -ENOENT when the slot is not in use, -EAGAIN. */
int rill_registry_port(const struct rill_shm_state *st, uint32_t id, struct rill_shm_port *out);
/* Find a port by full name or alias. Returns its id, -ENOENT or -EAGAIN. */
int rill_registry_find_port(const struct rill_shm_state *st, const char *name);
/* Copy client slot. Returns 0, -ENOENT or -EAGAIN. */
int rill_registry_client(const struct rill_shm_state *st, uint32_t slot,
                         struct rill_shm_client *out);
/* Find a client by name. Returns its slot, -ENOENT or -EAGAIN. */
int rill_registry_find_client(const struct rill_shm_state *st, const char *name);
/* Ports connected to port id, in connection order: up to max ids into
 * peers; returns how many there are in all (may exceed max), or -EAGAIN. */
int rill_registry_connections(const struct rill_shm_state *st, uint32_t id, uint32_t *peers,
                              size_t max);
/* 1 when ports a and b are connected (either direction), 0 when not,
 * -EAGAIN. */
int rill_registry_connected(const struct rill_shm_state *st, uint32_t a, uint32_t b);
/* Port ids in use, in id order: up to max into ids; returns the total, or
 * -EAGAIN. */
int rill_registry_port_ids(const struct rill_shm_state *st, uint32_t *ids, size_t max);
/* A consistent copy of the whole registry (about a megabyte: not for
 * realtime threads). 0, or -EAGAIN when no consistent copy could be taken. */
int rill_registry_snapshot(const struct rill_shm_state *st, struct rill_shm_registry *out);

/* Type string <-> enum rill_port_type. Returns -EINVAL for unknown. */
int rill_port_type_from_string(const char *type);
const char *rill_port_type_string(uint32_t type);

#endif
