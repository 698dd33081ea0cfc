/* osc/osc_core.h — the OSC front door's core: decoding, dispatch, replies,
 * subscriptions and events, with no socket or server of its own.
 *
 * rilld's glue (osc/osc_server.c) owns the sockets and gives the core a
 * backend: the graph to read, the request function that rillctl's and
 * libjack's requests go through, a way to send a datagram and a timer. The
 * fuzz harness (tests/fuzz/osc.c) gives it a backend of its own.
 *
 * Thread: main thread only (rilld's epoll loop). Nothing here runs on or
 * waits for the realtime thread.
 */
#ifndef RILL_OSC_CORE_H
#define RILL_OSC_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "osc/osc_config.h"
#include "rill/protocol.h"
#include "rill/shm.h"

#define RILL_OSC_API_MAJOR 1
#define RILL_OSC_API_MINOR 0
#define RILL_OSC_MAX_DATAGRAM 8192u

/* where a datagram came from or goes to */
enum { RILL_OSC_SOCK_UDP = 0, RILL_OSC_SOCK_UNIX = 1 };

struct rill_osc_backend {
    void *arg;
    /* the graph, transport and statistics (the engine's own mapping) */
    const struct rill_shm_state *(*state)(void *arg);
    /* run one request of the control protocol (RILL_MSG_CONNECT, ...) as a
     * control client: the same function rillctl's requests reach. Returns
     * m->result (0 or -errno); m->error says why. */
    int (*request)(void *arg, struct rill_msg *m);
    /* send one datagram on socket sock (RILL_OSC_SOCK_*). 0 or -errno;
     * -EAGAIN: try again later. */
    int (*send)(void *arg, int sock, const struct sockaddr *to, socklen_t tolen, const void *buf,
                size_t len);
    /* CLOCK_MONOTONIC ns */
    uint64_t (*now)(void *arg);
    /* call rill_osc_tick() at deadline_ns (0: no need) */
    void (*arm)(void *arg, uint64_t deadline_ns);
    /* graph generation / server name for replies */
};

struct rill_osc;

/* Create the core. cfg is copied. Returns 0 or -ENOMEM. */
int rill_osc_new(const struct rill_osc_config *cfg, const struct rill_osc_backend *be,
                 struct rill_osc **out);
/* Tell every subscriber `ended reason`, flush what can be sent, free. */
void rill_osc_free(struct rill_osc *o, const char *reason);

/* One datagram of size len (true_len: its size before truncation to the
 * receive buffer) from `from` on socket sock. */
void rill_osc_input(struct rill_osc *o, int sock, const struct sockaddr *from, socklen_t fromlen,
                    const uint8_t *data, size_t len, size_t true_len);

/* Send what the datagrams so far have queued (replies of a batch share
 * datagrams). Call after a batch of rill_osc_input. */
void rill_osc_flush(struct rill_osc *o);

/* A notification the engine sends its clients (rill_server_broadcast):
 * graph, rename, xrun events become OSC events. */
void rill_osc_event(struct rill_osc *o, const struct rill_msg *ev);
/* A port left the registry (announced to the clients or not). */
void rill_osc_port_gone(struct rill_osc *o, uint32_t id);
/* A line of rilld's log (the `log` topic). */
void rill_osc_log(struct rill_osc *o, const char *line);

/* Leases, periodic events, retries of sends that could not go out. */
void rill_osc_tick(struct rill_osc *o);

/* A datagram the front door dropped unread because another user sent it
 * (the Unix socket's credentials check, osc_server.c): counted as received
 * and ignored (the status reply's osc_received, osc_ignored) and as
 * foreign. */
void rill_osc_count_foreign(struct rill_osc *o);

/* Counters (status reply, tests). */
struct rill_osc_stats {
    uint64_t received, ignored, refused, rate_limited, replies_dropped, events_dropped;
    uint64_t foreign;
    unsigned subscribers;
};
void rill_osc_get_stats(const struct rill_osc *o, struct rill_osc_stats *st);

#endif
