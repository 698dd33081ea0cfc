/* osc/osc_priv.h — the OSC core's insides, shared by its files:
 *
 *   osc_wire.c      decoding a datagram (bundle framing, liblo for messages),
 *                   reply URLs, encoding a message into an outbox
 *   osc_out.c       outboxes: queued messages packed into datagrams of at
 *                   most 8192 bytes (bundles), sent and retried
 *   osc_dispatch.c  the request table (exact paths), rate limit, replies
 *   osc_events.c    subscribers, leases, snapshots, events
 *
 * Thread: main thread only.
 */
#ifndef RILL_OSC_PRIV_H
#define RILL_OSC_PRIV_H

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <lo/lo_lowlevel.h>

#include "osc/osc_core.h"

#define OSC_MAX_SUBSCRIBERS 16u
#define OSC_MAX_BUNDLE 64u          /* messages in one bundle */
#define OSC_REPLY_OUTBOXES 32u      /* destinations with replies waiting */
/* queued bytes per outbox: more than the largest snapshot (4096 ports and
 * 8192 connections with 255-byte names: some 6 MB) */
#define OSC_OUT_MAX_BYTES (8u << 20)
#define OSC_EVENT_QUEUE_MAX 2048u   /* events waiting per subscriber: more is overflow */
#define OSC_SEND_FAILURES_MAX 64u   /* consecutive failed sends: subscriber dropped */
#define OSC_RATE_SOURCES 64u
/* a send that met a full receiver is tried again after 250 us, doubling
 * while the receiver stays full, up to 64 ms */
#define OSC_RETRY_MIN_NS 250000ull
#define OSC_RETRY_MAX_SHIFT 8u
#define OSC_LEASE_DEFAULT_S 60u
#define OSC_LEASE_MAX_S 3600u

/* error codes of /rill/error (doc/osc.md) */
enum osc_err {
    OSC_BAD_ARGS = 1,
    OSC_UNKNOWN_COMMAND,
    OSC_NO_SUCH_PORT,
    OSC_NAME_TOO_LONG,
    OSC_SAME_DIRECTION,
    OSC_SAME_PORT,
    OSC_TYPE_MISMATCH,
    OSC_ALREADY_CONNECTED,
    OSC_NOT_CONNECTED,
    OSC_REFUSED,
    OSC_BAD_FRAME,
    OSC_TOO_MANY_SUBSCRIBERS,
    OSC_NOT_SUBSCRIBED,
    OSC_RATE_LIMITED,
    OSC_FORBIDDEN,
    OSC_PATTERN_NOT_ALLOWED,
    OSC_TIMETAG_NOT_SUPPORTED,
    OSC_INTERNAL,
    OSC_TOO_BIG,
    OSC_BAD_MESSAGE,
    OSC_BAD_BUNDLE,
    OSC_ERR_COUNT
};
const char *osc_err_name(int code);

/* topics */
enum {
    OSC_T_GRAPH = 1u << 0,
    OSC_T_TRANSPORT = 1u << 1,
    OSC_T_POSITION = 1u << 2,
    OSC_T_STATUS = 1u << 3,
    OSC_T_XRUN = 1u << 4,
    OSC_T_LOG = 1u << 5,
    OSC_T_SURFACE = 1u << 6,
};

struct osc_dest {
    int sock;                        /* RILL_OSC_SOCK_* */
    socklen_t len;                   /* 0: no address (an unbound Unix sender) */
    struct sockaddr_storage addr;
};

/* Queued messages for one destination: entries of [u32 header][message],
 * header = size | OSC_ENTRY_EVENT for events counted against the bound. */
#define OSC_ENTRY_EVENT 0x80000000u
struct osc_out {
    struct osc_dest to;
    uint8_t *buf;
    size_t head, len, cap;
    uint32_t nevents;                /* event entries queued */
    uint32_t failures;               /* consecutive failed sends */
    uint32_t full_streak;            /* consecutive sends that met a full receiver */
    uint64_t retry_ns;               /* not before then (a full receiver) */
    int in_use;
    uint64_t used_ns;
};

struct osc_sub {
    int in_use;
    struct osc_out out;
    uint32_t topics;
    uint32_t seq;                    /* last event's number */
    uint64_t lease_end_ns;
    uint32_t interval_ms;
    uint64_t next_position_ns, next_status_ns;
    uint64_t last_xrun_ns;
    int xrun_pending;
    uint64_t dropped;                /* events lost to overflow */
    uint8_t *known;                  /* RILL_MAX_PORTS: ports this subscriber was told of */
};

/* A decoded message (args point into lo's copy). */
struct osc_msg {
    const char *path;
    lo_message lo;                   /* NULL when it did not decode */
    const char *types;               /* "" when none */
    lo_arg **argv;
    int argc;
    int decode_error;                /* OSC_* when lo == NULL */
    char decode_why[160];
};

/* one request being answered */
struct osc_req {
    struct osc_dest reply;           /* where replies go */
    int32_t id;                      /* request id, 0 when none */
    const char *path;
    const char *types;               /* the command's own arguments' types */
    lo_arg **argv;                   /* ... and values */
    int argc;
    int from_sock;
    struct osc_dest from;
    int answered;
};

struct osc_rate {
    struct osc_dest src;
    double tokens;
    uint64_t last_ns;
    int in_use;
};

struct rill_osc {
    struct rill_osc_config cfg;
    struct rill_osc_backend be;
    struct osc_out replies[OSC_REPLY_OUTBOXES];
    struct osc_sub subs[OSC_MAX_SUBSCRIBERS];
    struct osc_rate rates[OSC_RATE_SOURCES];
    uint32_t graph_gen;
    uint8_t active[RILL_MAX_CLIENTS];   /* clients' active flags last reported */
    uint32_t last_transport_state;
    int transport_known;
    uint64_t last_xruns;
    struct rill_osc_stats stats;
    int in_log;                      /* a log line is being turned into events */
    int fresh;                       /* queued since the last flush: flush at once */
    uint64_t armed_ns;
};

/* Arguments as liblo leaves them: 4-byte aligned in its copy of the
 * message, while union lo_arg asks for 8, so they are read by copy. */
static inline int32_t osc_arg_i(const lo_arg *a)
{
    int32_t v;
    memcpy(&v, a, sizeof(v));
    return v;
}
static inline int64_t osc_arg_h(const lo_arg *a)
{
    int64_t v;
    memcpy(&v, a, sizeof(v));
    return v;
}
static inline float osc_arg_f(const lo_arg *a)
{
    float v;
    memcpy(&v, a, sizeof(v));
    return v;
}
static inline const char *osc_arg_s(const lo_arg *a)
{
    return (const char *)a;
}

/* ---- osc_wire.c */
/* Decode a message from data (liblo). Fills m; on failure m->lo is NULL and
 * m->decode_error / decode_why say why. osc_msg_done frees. */
void osc_msg_decode(struct osc_msg *m, const uint8_t *data, size_t len);
void osc_msg_done(struct osc_msg *m);
/* 1 when path has an OSC address-pattern character (*?[]{}) */
int osc_path_has_pattern(const char *path);
/* Parse a reply URL into d. Returns 0, or OSC_BAD_ARGS / OSC_FORBIDDEN with
 * why. from_sock: where the request came from (a Unix reply URL is only
 * accepted from the Unix socket). */
int osc_url_parse(const struct rill_osc *o, const char *url, int from_sock, struct osc_dest *d,
                  char *why, size_t whysize);
int osc_dest_equal(const struct osc_dest *a, const struct osc_dest *b);
/* write "osc.udp://127.0.0.1:9000/" for d */
void osc_dest_format(const struct osc_dest *d, char *buf, size_t size);
/* Append a message to q: types i (int32_t), h (int64_t), f (double), s
 * (const char *). event: counts against the event bound. Returns 0 or
 * -ENOMEM / -ENOSPC (outbox full). */
int osc_put(struct osc_out *q, int event, const char *path, const char *types, ...);
int osc_put_lead(struct osc_out *q, int event, const char *path, const int32_t *lead,
                 const char *types, ...);
/* lead: an int32 put before the others (an event's sequence number), or NULL */
int osc_vput(struct osc_out *q, int event, const char *path, const int32_t *lead,
             const char *types, va_list ap);

/* ---- osc_out.c */
void osc_out_init(struct osc_out *q, const struct osc_dest *to);
void osc_out_clear(struct osc_out *q);
void osc_out_free(struct osc_out *q);
/* Send what can go: 0, -EAGAIN (more waits), or another -errno (the
 * destination failed: q->failures counts). */
int osc_out_flush(struct rill_osc *o, struct osc_out *q);
/* The reply outbox of a destination (created when needed). NULL: no room. */
struct osc_out *osc_reply_box(struct rill_osc *o, const struct osc_dest *to);
/* Flush every outbox, arm the retry timer when something waits. */
void osc_flush_all(struct rill_osc *o);
void osc_rearm(struct rill_osc *o);

/* ---- osc_dispatch.c */
void osc_reply(struct rill_osc *o, struct osc_req *r, const char *path, const char *types, ...);
void osc_ok(struct rill_osc *o, struct osc_req *r);
__attribute__((format(printf, 4, 5))) void osc_error(struct rill_osc *o, struct osc_req *r,
                                                     int code, const char *fmt, ...);
uint32_t osc_clients_count(const struct rill_shm_state *st);

/* ---- osc_events.c */
void osc_cmd_subscribe(struct rill_osc *o, struct osc_req *r);
void osc_cmd_unsubscribe(struct rill_osc *o, struct osc_req *r);
void osc_cmd_resync(struct rill_osc *o, struct osc_req *r);
void osc_events_tick(struct rill_osc *o, uint64_t now);
uint64_t osc_events_deadline(struct rill_osc *o);
void osc_sub_end(struct rill_osc *o, struct osc_sub *sub, const char *reason);
unsigned osc_subscribers(const struct rill_osc *o);

#endif
