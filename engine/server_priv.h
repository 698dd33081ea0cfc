/* engine/server_priv.h — the server's state, shared by server.c (life cycle,
 * event loop, plan hand-over) and requests.c (what each request does).
 *
 * Thread: main thread only, except where a field says otherwise.
 */
#ifndef RILL_SERVER_PRIV_H
#define RILL_SERVER_PRIV_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "engine/device.h"
#include "engine/internal.h"
#include "engine/latency.h"
#include "engine/metadata.h"
#include "engine/options.h"
#include "engine/placement.h"
#include "engine/registry.h"
#include "engine/rt.h"
#include "engine/shm.h"
#include "rill/protocol.h"

#define RILL_MAX_CONNS 1024u
#define RILL_NO_SLOT 0xffffffffu

/* What an epoll registration points at: a connection's request socket or
 * its event socket (clients answer some events there, e.g. buffer size), or
 * the pidfd of a removed client's process whose slot is held. */
enum { RILL_WATCH_REQUEST = 1, RILL_WATCH_EVENTS = 2, RILL_WATCH_PIDFD = 3 };

struct rill_conn;
struct rill_server;
struct rill_watch {
    uint32_t kind;     /* RILL_WATCH_* */
    struct rill_conn *conn;
};

struct rill_conn {
    struct rill_watch watch;    /* first: epoll data of the request socket */
    struct rill_watch ev_watch; /* epoll data of the event socket */
    int fd;            /* request socket */
    int ev_fd;         /* our end of the client's event socket, -1 before HELLO */
    uint32_t slot;     /* client slot; RILL_NO_SLOT before HELLO and for control tools */
    uint32_t index;    /* in server.conns */
    int greeted;       /* HELLO done */
    int control;       /* a control tool: no slot, no node, no events about itself */
    int property_events; /* control tool that asked for RILL_EV_PROPERTY (RILL_HELLO_PROPERTY_EVENTS) */
    pid_t pid;
    /* >= 0: the uid of another user, whose connection got through (a
     * socket made accessible by hand): its first message is answered with
     * an error that says so, then it is closed. -1 otherwise. */
    int64_t refused_uid;
    /* Removed while its process may still run (server.c, hold_slot): the
     * conn keeps its slot, and the slot its port ids, until the process
     * hangs up its request socket (watched for EPOLLRDHUP only) or its
     * pidfd says it is gone. It serves no request meanwhile. */
    int held;
    int pidfd;                  /* -1: none */
    struct rill_watch pid_watch;
    uint64_t dropped_events;
    /* a request that waits for the realtime thread to run a plan
     * (rill_server_after_plan): plan_gen 0 when none */
    struct rill_plan_wait {
        uint64_t gen;                  /* the plan generation awaited */
        uint64_t deadline_ns;          /* finished anyway after this */
        int (*then)(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);
        struct rill_msg msg;           /* the request, then its reply */
    } plan_wait;
    struct rill_metadata_conn metadata; /* metadata_requests.c */
    /* closed: freed after the current epoll batch, which may still hold
     * events for it (server.c, conn_close) */
    struct rill_conn *next_closed;
};

/* A change of period in progress: the realtime thread is stopped until
 * every active client has run its buffer-size callback (or the deadline). */
struct rill_period_change {
    int active;
    uint32_t serial;
    uint64_t deadline_ns;
    uint8_t waiting[RILL_MAX_CLIENTS]; /* slots whose answer is awaited */
    struct rill_conn *requester;       /* gets the reply; NULL when gone */
    struct rill_msg reply;
};

struct rill_server {
    const struct rill_options *opt;
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int listen_fd, epoll_fd, signal_fd, timer_fd;
    int plan_fd;       /* timerfd: checks the plan waits while there are any */
    uint32_t plan_waits;               /* connections with a plan_wait */
    int socket_bound;
    struct rill_engine_shm shm;
    struct rill_rt *rt;
    int rt_started;
    struct rill_conn *conns[RILL_MAX_CONNS];
    struct rill_conn *by_slot[RILL_MAX_CLIENTS];
    uint64_t plan_gen;
    /* scratch of rill_server_publish: the feedback marks of a compile, by
     * connection slot (engine/plan_compile.h) */
    uint8_t plan_feedback[RILL_MAX_CONNECTIONS];
    uint64_t xruns_reported;
    /* housekeeping tick: HOUSEKEEPING_NS while anything happens (a request,
     * a realtime event, a late client) and for a second after, then
     * HOUSEKEEPING_IDLE_NS: each tick wakes the main thread */
    uint64_t busy_until_ns;
    uint64_t tick_ns;
    uint64_t late_logged_ns;
    uint64_t late_unlogged;
    int stopping;
    int had_client;    /* -T: a client came, so the last one leaving ends us */
    int exit_status;
    struct rill_registry_listener listener;
    struct rill_period_change period_change;
    uint32_t period_serial;
    struct rill_placement placement;   /* CPUs of the realtime threads */
    struct rill_device_watch device;   /* the sound card's faults (engine/device.h) */
    struct rill_conn *closed;          /* conn_close()d, freed after the batch */
    struct rill_metadata metadata;     /* metadata_requests.c */
    struct rill_latency latency;       /* latency.c, latency_job.c */
    struct rill_internals *internal;   /* internal.c */
    struct rill_osc_glue *osc;         /* the OSC front door (osc/osc.h); NULL: off */
    /* 1: the clients were told of this port (port_announce.c) */
    uint8_t port_announced[RILL_MAX_PORTS];
    /* 1: made by rill__server_new_offline: no realtime thread is ever
     * started (a change of period or freewheel leaves it stopped) */
    int offline;
};

/* A request handler returns RILL_REPLY_DEFERRED when its reply is sent
 * later, from the main loop (rill_server_answer): after a change of period
 * (reconfigure.c), an internal client's load (internal.c), a plan the
 * realtime thread must run first (rill_server_after_plan). The main thread
 * serves every other connection meanwhile. */
#define RILL_REPLY_DEFERRED 1
/* Send the deferred reply m with result r to c. A failed send is ignored:
 * the asker is gone or does not read, and its connection's end is seen by
 * the main loop. Main thread. */
void rill_server_answer(const struct rill_conn *c, struct rill_msg *m, int r);

/* reconfigure.c: jack_set_buffer_size and jack_set_freewheel. */
int rill_server_set_period(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);
int rill_server_set_freewheel(struct rill_server *s, struct rill_msg *m);
/* a message on a client's event socket (an answer to an event) */
void rill_server_event_answer(struct rill_server *s, struct rill_conn *c, const struct rill_msg *m);
/* housekeeping and client removal: finish a period change when due */
void rill_server_period_tick(struct rill_server *s, uint64_t now_ns);
void rill_server_period_client_gone(struct rill_server *s, struct rill_conn *c);

/* requests.c: handle one message from conn; the reply is sent there. */
void rill_server_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);

/* server.c helpers used by requests.c */
/* Compile the registry into a free plan slot and hand it to the realtime
 * thread, which adopts it at its next cycle. */
void rill_server_publish(struct rill_server *s);
/* The generation of the plan the realtime thread runs. */
uint64_t rill_server_adopted_gen(const struct rill_server *s);
/* Finish request m of c once the realtime thread runs the last published
 * plan, without blocking the main loop: then(s, c, m) runs on the main
 * thread at that point (or after a few periods, at least 200 ms, when the
 * realtime thread does not get there; or at once when it is not running),
 * and what it returns is the reply's result (it may fill m->u and
 * m->error). Returns RILL_REPLY_DEFERRED, or then's result when nothing is
 * to wait for. -EBUSY (m->error set) when c has a request waiting already
 * (rill_server_request refuses any request of c meanwhile). */
int rill_server_after_plan(struct rill_server *s, struct rill_conn *c, struct rill_msg *m,
                           int (*then)(struct rill_server *s, struct rill_conn *c,
                                       struct rill_msg *m));
/* Remove the client of conn (its ports, connections, node) and close conn. */
void rill_server_drop(struct rill_server *s, struct rill_conn *c, const char *why);
/* Send an event to every client with an event socket (except skip_slot). */
void rill_server_broadcast(struct rill_server *s, const struct rill_msg *ev, uint32_t skip_slot);
/* port_announce.c: tell the clients that port id came or went, as JACK
 * does (a port is announced once its client is active), and announce the
 * ports of a client that has just been activated. */
void rill_server_port_announce(struct rill_server *s, uint32_t id, int registered);
void rill_server_client_ports_announce(struct rill_server *s, uint32_t slot);
/* A server without listening socket, event loop or realtime thread, for
 * the fuzz harness of the requests (tests/fuzz/fuzz-control.c): the state
 * rill_server_run builds before it listens (driver opened, shared memory,
 * system ports, first plan published). The harness adds connections on its
 * own sockets and says when one is readable; requests are handled as in
 * rilld, and a request that would wait for the realtime thread is
 * answered at once. Main thread (the caller's). */
int rill__server_new_offline(const struct rill_options *opt, struct rill_server **out);
void rill__server_free_offline(struct rill_server *s);
/* A connection on fd (one end of a SOCK_SEQPACKET pair) from process pid,
 * as an accepted one; NULL when there is no room (fd stays the caller's). */
struct rill_conn *rill__server_conn_add(struct rill_server *s, int fd, pid_t pid);
/* What the loop does when c's socket of kind RILL_WATCH_REQUEST or
 * RILL_WATCH_EVENTS is readable (or, for a held conn, its peer hung up),
 * and the end of its batch: c may be freed (s->conns[c->index] is then
 * NULL). */
void rill__server_conn_ready(struct rill_server *s, struct rill_conn *c, uint32_t kind);

/* midi_start.c: start the ALSA MIDI bridges that --midi asks for (the
 * sequencer bridge by default when /dev/snd/seq exists). Returns 0, or
 * -errno with a sentence in err when a bridge asked for cannot run. */
int rill_server_midi_start(struct rill_server *s, char *err, size_t errsize);
/* midi_start.c: RILL_FRAME_START=N (tests: start the frame counter near a
 * wrap of 32 bits) sets the realtime thread's first frame time. */
void rill_server_frame_start(struct rill_server *s);
/* Log a line to stderr with the "rilld: " prefix. */
__attribute__((format(printf, 1, 2))) void rill_server_log(const char *fmt, ...);

#endif
