/* clients/jack/jack_priv.h — libjack.so.0 internals: the JACK API on top of
 * the rill client core (clients/core/client.h).
 *
 * A jack_client_t is a struct _jack_client: the core client, the JACK
 * callbacks and one jack_port_t handle per port id (RILL_MAX_PORTS of them,
 * allocated at open), so that a port has one stable handle per client and
 * jack_port_name(port) works without a client argument.
 *
 * Threads of a libjack client:
 *   - the program's threads call the API (jack_client_open, jack_connect...);
 *   - the core's notification thread runs rill_jack_event(), which calls the
 *     registration, connect, graph-order, xrun, size and shutdown callbacks;
 *   - the core's realtime thread runs rill_jack_rt_init() and
 *     rill_jack_process() (the thread-init and process callbacks);
 *   - a "reaper" thread, idle on a semaphore, deactivates the client when the
 *     process callback returned non-zero (JACK's documented behaviour), since
 *     the realtime thread may not do it itself.
 *
 * Only the symbols of the JACK headers are exported: they are included under
 * "#pragma GCC visibility push(default)" and the library is built with
 * -fvisibility=hidden plus libjack.map.
 */
#ifndef RILL_JACK_PRIV_H
#define RILL_JACK_PRIV_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

#pragma GCC visibility push(default)
#include <jack/jack.h>
#include <jack/metadata.h>
#include <jack/types.h>
#include <jack/uuid.h>
#pragma GCC visibility pop

#include "clients/core/client.h"
#include "clients/jack/jack_transport.h"
#include "rill/limits.h"
#include "rill/shm.h"

#if defined(__has_include)
#if __has_include("clients/core/client_priv.h")
#include "clients/core/client_priv.h"
#define RILL_JACK_HAVE_CLIENT_PRIV 1
#endif
#endif
#ifndef RILL_JACK_HAVE_CLIENT_PRIV
/* Declared by clients/core/client_priv.h once it exists. */
int rill_client_is_realtime(const struct rill_client *c);
int rill_client_process_failed(const struct rill_client *c);
#endif

/* One handle per port id and client. name/type/flags/owner are a copy of
 * the registry entry of generation gen; written under the client's
 * ports_lock by whoever looks the port up (never the realtime thread), read
 * without a lock (a slot's name changes only when it is reused by a new
 * port, after which the old handle refers to a port that is gone anyway). */
struct _jack_port {
    struct _jack_client *client;       /* constant */
    uint32_t id;                       /* constant */
    uint32_t gen;
    uint32_t owner;                    /* client slot */
    uint32_t flags;
    uint32_t type;                     /* enum rill_port_type */
    _Atomic int valid;                 /* 1 once filled from the registry */
    /* jack_port_tie: id + 1 of the input port whose data this output
     * carries, 0 when untied. Written by the program's thread (release),
     * read by the realtime thread (acquire) after each process callback. */
    _Atomic uint32_t tied_to;
    /* the port's uuid, copied with the other fields (constant for a gen):
     * jack_port_uuid answers from it without the registry's seqlock, whose
     * bounded reads can fail while rilld rewrites the registry */
    _Atomic uint64_t uuid;
    char name[RILL_PORT_NAME_SIZE];
};

/* Callbacks. Written by the program's thread while the client is inactive,
 * under cb_lock; the notification thread copies what it needs under cb_lock.
 * process and thread_init are read by the realtime thread, which is started
 * by jack_activate after they were written (thread creation orders them). */
struct rill_jack_callbacks {
    JackProcessCallback process;
    void *process_arg;
    JackThreadInitCallback thread_init;
    void *thread_init_arg;
    JackShutdownCallback shutdown;
    void *shutdown_arg;
    JackInfoShutdownCallback info_shutdown;
    void *info_shutdown_arg;
    JackClientRegistrationCallback client_reg;
    void *client_reg_arg;
    JackPortRegistrationCallback port_reg;
    void *port_reg_arg;
    JackPortConnectCallback port_connect;
    void *port_connect_arg;
    JackGraphOrderCallback graph_order;
    void *graph_order_arg;
    JackXRunCallback xrun;
    void *xrun_arg;
    JackBufferSizeCallback buffer_size;
    void *buffer_size_arg;
    JackSampleRateCallback sample_rate;
    void *sample_rate_arg;
    JackLatencyCallback latency;
    void *latency_arg;
    JackPortRenameCallback port_rename;
    void *port_rename_arg;
    JackPropertyChangeCallback property_change;
    void *property_change_arg;
    JackFreewheelCallback freewheel;
    void *freewheel_arg;
};

struct _jack_client {
    struct rill_client *core;          /* set once open succeeded, then constant */
    const struct rill_shm_state *st;   /* idem */
    /* 0 until core/st are set (release); the notification thread, which may
     * run before rill_client_open returns, checks it (acquire) first. */
    _Atomic int ready;

    /* active: written by the program's thread and the reaper under
     * state_lock; read anywhere (acquire) to refuse callback changes. */
    pthread_mutex_t state_lock;
    _Atomic int active;

    pthread_mutex_t cb_lock;
    struct rill_jack_callbacks cb;

    /* current period and rate: from the state at open, then from the
     * BUFFER_SIZE/SAMPLE_RATE events (notification thread, relaxed: a
     * single word, no other data depends on it). */
    _Atomic uint32_t buffer_size;
    _Atomic uint32_t sample_rate;

    /* port id being unregistered while its callback runs (+1; 0: none), so
     * jack_port_by_id still finds it from the callback. Notification thread
     * writes; readers relaxed (they only compare it with an id). */
    _Atomic uint32_t dying_port;
    /* 1 once the shutdown callbacks ran (notification thread). */
    _Atomic int shut_down;
    /* 1 while the server freewheels (jack_is_realtime is 0 then, as in
     * JACK). Written by the FREEWHEEL event (notification thread) and by a
     * successful jack_set_freewheel of this client; relaxed: one word that
     * nothing else depends on. */
    _Atomic int freewheeling;
    /* 1 from the start of jack_activate until jack_deactivate: as in jackd2,
     * the graph notifications (client and port registration, connections,
     * graph order, xruns) reach the callbacks of an active client only.
     * Written under state_lock; relaxed: a filter, nothing depends on it. */
    _Atomic int notify;

    /* reaper: the realtime thread sets process_failed (release) and posts. */
    sem_t reaper_sem;
    pthread_t reaper;
    int reaper_started;
    _Atomic int reaper_quit;
    _Atomic int process_failed;

    pthread_mutex_t ports_lock;
    struct _jack_port *ports;          /* [RILL_MAX_PORTS] */
    /* count of tied output ports (jack_port_ext.c); the realtime thread
     * skips the tie copy while it is 0. Relaxed: a hint, the tie itself is
     * read with acquire. */
    _Atomic uint32_t ties;

    /* transport callbacks and their realtime state (jack_transport.h) */
    struct rill_jack_transport transport;
};

/* ---- jack_misc.c */

/* Print a formatted message through jack_error_callback / jack_info_callback,
 * prefixed "rill: ". Never from the realtime thread (formats on the stack
 * and calls the program's function). */
void rill_jack_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rill_jack_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- jack_port.c */

/* The handle of port id, refreshed from the registry; NULL when id is out of
 * range or not in use (except the port whose unregistration callback runs).
 * Any non-realtime thread. */
struct _jack_port *rill_jack_port_get(struct _jack_client *c, uint32_t id);

/* Build a malloc'd NULL-terminated array of the full names of ports ids[0..n)
 * (one block: jack_free releases it). NULL when n == 0 or out of memory.
 * Ports gone meanwhile are skipped. Any non-realtime thread. */
const char **rill_jack_name_array(const struct rill_shm_state *st, const uint32_t *ids, size_t n);

/* ---- jack_callbacks.c */

/* Core callbacks (struct rill_client_callbacks), arg = the jack client. */
void rill_jack_event(void *arg, const struct rill_msg *ev);   /* notification thread */
void rill_jack_rt_init(void *arg);                            /* realtime thread */
int rill_jack_process(void *arg, uint32_t nframes);           /* realtime thread, RT-safe */

/* Start/stop the reaper thread. Main thread (open/close). */
int rill_jack_reaper_start(struct _jack_client *c);
void rill_jack_reaper_stop(struct _jack_client *c);

/* 1 (and an error message naming what) when the client is active, so a
 * callback may not be changed now. Any thread. */
int rill_jack_refuse_when_active(const struct _jack_client *c, const char *what);

/* ---- jack_latency.c, jack_port_ext.c, jack_metadata.c: their events
 * (notification thread; cb is the callbacks copy of rill_jack_event) */
void rill_jack_latency_event(struct _jack_client *c, const struct rill_jack_callbacks *cb,
                             const struct rill_msg *ev);
void rill_jack_port_rename_event(struct _jack_client *c, const struct rill_jack_callbacks *cb,
                                 const struct rill_msg *ev);
void rill_jack_property_event(struct _jack_client *c, const struct rill_jack_callbacks *cb,
                              const struct rill_msg *ev);
/* Copy each tied input into its output after the process callback.
 * Realtime thread, RT-safe (bounded loop over the port handles, memcpy). */
void rill_jack_ties_run(struct _jack_client *c, uint32_t nframes);
/* Send a request; on failure print "what: reason" and return -1, else 0.
 * Any non-realtime thread. */
int rill_jack_request(struct _jack_client *c, struct rill_msg *m, const char *what);

/* jack_autostart.c: start rilld for server (NULL: default). Returns 0 once
 * it answers, or -errno with a sentence in msg. Never realtime. */
int rill_jack_start_server(const char *server, char *msg, size_t msgsize);

#endif
