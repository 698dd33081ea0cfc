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

#include "engine/options.h"
#include "engine/registry.h"
#include "engine/rt.h"
#include "engine/shm.h"
#include "rill/protocol.h"

#define RILL_MAX_CONNS 1024u
#define RILL_NO_SLOT 0xffffffffu

struct rill_conn {
    int fd;            /* request socket */
    int ev_fd;         /* our end of the client's event socket, -1 before HELLO */
    uint32_t slot;     /* client slot, RILL_NO_SLOT before HELLO */
    uint32_t index;    /* in server.conns */
    int control;       /* a control tool: no node, no events about itself */
    pid_t pid;
    uint64_t dropped_events;
};

struct rill_server {
    const struct rill_options *opt;
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int listen_fd, epoll_fd, signal_fd, timer_fd;
    int socket_bound;
    struct rill_engine_shm shm;
    struct rill_rt *rt;
    int rt_started;
    struct rill_conn *conns[RILL_MAX_CONNS];
    struct rill_conn *by_slot[RILL_MAX_CLIENTS];
    uint64_t plan_gen;
    uint64_t xruns_reported;
    uint64_t late_logged_ns;
    uint64_t late_unlogged;
    int stopping;
    int had_client;    /* -T: a client came, so the last one leaving ends us */
    int exit_status;
    struct rill_registry_listener listener;
};

/* requests.c: handle one message from conn; the reply is sent there. */
void rill_server_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);

/* server.c helpers used by requests.c */
/* Compile the registry into a free plan slot and hand it to the realtime
 * thread; with wait, return once the realtime thread runs it (bounded). */
void rill_server_publish(struct rill_server *s, int wait);
/* Remove the client of conn (its ports, connections, node) and close conn. */
void rill_server_drop(struct rill_server *s, struct rill_conn *c, const char *why);
/* Send an event to every client with an event socket (except skip_slot). */
void rill_server_broadcast(struct rill_server *s, const struct rill_msg *ev, uint32_t skip_slot);
/* Log a line to stderr with the "rilld: " prefix. */
__attribute__((format(printf, 1, 2))) void rill_server_log(const char *fmt, ...);

#endif
