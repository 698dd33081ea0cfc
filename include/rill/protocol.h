/* rill/protocol.h — messages between rilld and its clients.
 *
 * Transport: a SOCK_SEQPACKET Unix socket at rill_server_socket_path(), mode
 * 0600 in a directory of mode 0700; rilld also checks SO_PEERCRED and refuses
 * other users. One message is one struct rill_msg.
 *
 * Request connection (client -> rilld, synchronous): the client sends a
 * request and reads exactly one reply with the same seq. Any thread of the
 * client may send, one at a time (the client serialises).
 *
 *   HELLO            first message. Reply carries four fds (SCM_RIGHTS):
 *                    state (read-only), activation, pool, and the client's end
 *                    of its event socket.
 *   ACTIVATE, DEACTIVATE
 *                    reply once the realtime thread runs a plan with (without)
 *                    the node. ACTIVATE carries u.activate: the thread id of
 *                    the client's realtime thread, which rilld pins to a CPU
 *                    (engine/placement.h); 0 when unknown.
 *   PORT_REGISTER    u.port_register; reply u.port.id
 *   PORT_UNREGISTER  u.port.id
 *   CONNECT, DISCONNECT
 *                    u.connect (full port names, source first)
 *   PORT_DISCONNECT  u.port.id: drop every connection of the port
 *   CLOSE            the client leaves; rilld replies, then closes both sockets
 *
 * Every reply has result = 0 or -errno and, when negative, error[] says what
 * was wrong and what would be right.
 *
 * Event connection (rilld -> client, asynchronous, never answered): the
 * RILL_EV_* messages, read by the client's notification thread.
 */
#ifndef RILL_PROTOCOL_H
#define RILL_PROTOCOL_H

#include <stdint.h>

#include "rill/limits.h"
#include "rill/transport_shm.h"

/* The numbers, by range (a new request or event takes a free number in
 * its area's range; numbers never change meaning within a protocol
 * version):
 *   requests   1..9    connection, activation, ports, connections (requests.c)
 *             20..22   buffer size, freewheel (reconfigure.c)
 *             24..28   internal clients, xrun delays (internal.c)
 *             30..36   port names, monitor, latency, metadata (port_ext.c,
 *                      latency_job.c, metadata_requests.c)
 *             40..44   transport and timebase (transport/transport_requests.c)
 *   events   100..107  clients, ports, connections, graph order, xrun,
 *                      shutdown, buffer size, sample rate
 *            120       freewheel
 *            124       the sound card's state (engine/device.c)
 *            130..132  port rename, latency, metadata
 * Free: 10..19, 23, 29, 37..39, 45..99, 108..119, 121..123, 125..129, 133 and up. */
enum rill_msg_type {
    RILL_MSG_HELLO = 1,
    RILL_MSG_ACTIVATE,
    RILL_MSG_DEACTIVATE,
    RILL_MSG_PORT_REGISTER,
    RILL_MSG_PORT_UNREGISTER,
    RILL_MSG_CONNECT,
    RILL_MSG_DISCONNECT,
    RILL_MSG_PORT_DISCONNECT,
    RILL_MSG_CLOSE,
    RILL_MSG_SET_BUFFER_SIZE = 20, /* u.size_event.value: frames; reply when running at it */
    RILL_MSG_SET_FREEWHEEL = 21,   /* u.size_event.value: 1 on, 0 off */
    RILL_MSG_BUFFER_SIZE_DONE = 22,/* u.size_event.serial: our buffer-size callback ran */
    /* LOAD and UNLOAD are answered once a worker thread of rilld has run
     * the module's jack_initialize / jack_finish (the main loop serves
     * on). */
    RILL_MSG_INTERNAL_LOAD = 24,   /* u.internal: name, options, data; reply
                                    * handle, status, name as granted */
    RILL_MSG_INTERNAL_UNLOAD = 25, /* u.internal.handle; reply status */
    RILL_MSG_INTERNAL_HANDLE = 26, /* u.internal.name; reply handle, status */
    RILL_MSG_INTERNAL_NAME = 27,   /* u.internal.handle; reply name */
    RILL_MSG_XRUN_RESET = 28,      /* xrun_delay_max_ns = 0 (rill/shm.h) */
    RILL_MSG_PORT_NAME = 30,       /* u.port_name: rename, alias set/unset */
    RILL_MSG_PORT_MONITOR = 31,    /* u.port_monitor */
    RILL_MSG_LATENCY_SET = 32,     /* u.latency: an own port's range */
    RILL_MSG_LATENCY_CTL = 33,     /* u.latency: callback on/off, done, recompute */
    RILL_MSG_PROPERTY_SET = 34,    /* u.property: one chunk of key\0value\0type\0 */
    RILL_MSG_PROPERTY_REMOVE = 35, /* u.property: one key, a subject's, all */
    RILL_MSG_PROPERTY_READ = 36,   /* u.property: a chunk of the matching records */
    RILL_MSG_TRANSPORT_TIMEBASE = 40, /* u.transport.value: conditional; -EBUSY */
    RILL_MSG_TRANSPORT_RELEASE,    /* release the timebase; -EINVAL when not master */
    RILL_MSG_TRANSPORT_SYNC,       /* u.transport.value: 1 slow-sync client, 0 not */
    RILL_MSG_TRANSPORT_TIMEOUT,    /* u.transport.usecs: slow-sync timeout */
    RILL_MSG_TRANSPORT_REQUEST,    /* u.transport.value: RILL_TRANSPORT_CMD_* or 3 =
                                    * position u.transport.pos (rillctl, inactive
                                    * clients; active ones write shared memory) */

    RILL_EV_CLIENT_REGISTER = 100, /* u.client_event */
    RILL_EV_PORT_REGISTER,         /* u.port_event */
    RILL_EV_PORT_CONNECT,          /* u.connect_event */
    RILL_EV_GRAPH_ORDER,           /* no payload */
    RILL_EV_XRUN,                  /* u.xrun_event */
    RILL_EV_SHUTDOWN,              /* u.shutdown_event */
    RILL_EV_BUFFER_SIZE,           /* u.size_event */
    RILL_EV_SAMPLE_RATE,           /* u.size_event */
    RILL_EV_FREEWHEEL = 120,       /* u.size_event.value: 1 on, 0 off */
    RILL_EV_DRIVER_STATE = 124,    /* u.shutdown_event: code = RILL_DRIVER_STATE_*
                                    * (rill/shm.h), reason = a sentence; the
                                    * server goes on (not a shutdown) */
    RILL_EV_PORT_RENAME = 130,     /* u.port_rename */
    RILL_EV_LATENCY = 131,         /* u.latency: run the latency callback, then
                                    * answer LATENCY_CTL done with the serial */
    RILL_EV_PROPERTY = 132,        /* u.property_event */
};

/* hello flags */
#define RILL_HELLO_CONTROL 0x1u      /* a control tool (rillctl): no slot, no node, not listed */
#define RILL_HELLO_NO_SLOT 0xffffffffu
#define RILL_HELLO_USE_EXACT_NAME 0x2u /* fail instead of renaming a taken name */
/* with RILL_HELLO_CONTROL: the connection also gets the RILL_EV_PROPERTY
 * events that clients get (ctl.rill follows the volume with them); a
 * server that predates the flag ignores it and sends none */
#define RILL_HELLO_PROPERTY_EVENTS 0x4u

struct rill_msg_hello {
    uint32_t version;                  /* RILL_PROTOCOL_VERSION */
    uint32_t flags;                    /* RILL_HELLO_* */
    int32_t pid;
    uint32_t pad;
    char name[RILL_CLIENT_NAME_SIZE];
};

struct rill_msg_hello_reply {
    uint32_t client;                   /* our slot = node number; RILL_HELLO_NO_SLOT
                                        * for a control connection, which has none */
    uint32_t renamed;                  /* 1 when name differs from the one asked */
    uint64_t uuid;
    char name[RILL_CLIENT_NAME_SIZE];
};

struct rill_msg_activate {
    int32_t rt_tid;                    /* a thread of the sender's process, or 0 */
    uint32_t pad;
};

struct rill_msg_port_register {
    char name[RILL_PORT_NAME_SIZE];    /* short name, without "client:" */
    char type[RILL_PORT_TYPE_SIZE];
    uint32_t flags;
    uint32_t buffer_size;
};

struct rill_msg_port {
    uint32_t id;
};

struct rill_msg_connect {
    char src[RILL_PORT_NAME_SIZE];
    char dst[RILL_PORT_NAME_SIZE];
};

struct rill_msg_client_event {
    uint32_t registered;               /* 1 registered, 0 gone */
    uint32_t client;
    char name[RILL_CLIENT_NAME_SIZE];
};

struct rill_msg_port_event {
    uint32_t registered;
    uint32_t id;
};

struct rill_msg_connect_event {
    uint32_t connected;
    uint32_t src;
    uint32_t dst;
};

struct rill_msg_xrun_event {
    uint64_t xruns;                    /* total so far */
    uint64_t delay_usecs;
};

struct rill_msg_shutdown_event {
    uint32_t code;                     /* jack_status_t bits */
    char reason[RILL_ERROR_SIZE];
};

struct rill_msg_size_event {
    uint32_t value;
    /* RILL_EV_BUFFER_SIZE: answer with RILL_MSG_BUFFER_SIZE_DONE and this
     * serial once the buffer-size callback ran (0: no answer wanted) */
    uint32_t serial;
};

/* RILL_MSG_TRANSPORT_* */
#define RILL_TRANSPORT_REQUEST_POS 3u
struct rill_msg_transport {
    uint32_t value;
    uint32_t pad;
    uint64_t usecs;
    struct rill_transport_pos pos;
};

/* PORT_NAME ops */
enum { RILL_PORT_NAME_RENAME, RILL_PORT_NAME_ALIAS_SET, RILL_PORT_NAME_ALIAS_UNSET };

struct rill_msg_port_name {
    uint32_t id;
    uint32_t op;                       /* RILL_PORT_NAME_* */
    char name[RILL_PORT_NAME_SIZE];    /* rename: the new short name; alias: the alias */
};

/* PORT_MONITOR ops (JACK's request_monitor and ensure_monitor) */
enum { RILL_MONITOR_REQUEST_OFF, RILL_MONITOR_REQUEST_ON, RILL_MONITOR_ENSURE_OFF,
       RILL_MONITOR_ENSURE_ON };

struct rill_msg_port_monitor {
    uint32_t id;
    uint32_t op;                       /* RILL_MONITOR_* */
};

/* LATENCY_CTL ops */
enum { RILL_LATENCY_CB_OFF, RILL_LATENCY_CB_ON, RILL_LATENCY_DONE, RILL_LATENCY_RECOMPUTE };

struct rill_msg_latency {
    uint32_t id;                       /* LATENCY_SET: port */
    uint32_t mode;                     /* 0 capture, 1 playback (JACK's values) */
    uint32_t min, max;                 /* LATENCY_SET */
    uint32_t op;                       /* LATENCY_CTL: RILL_LATENCY_* */
    uint32_t serial;                   /* EV_LATENCY and its DONE */
};

/* PROPERTY_* ops and limits. A property travels as the bytes
 * key\0value\0type\0 (type "" for none), in chunks of up to
 * RILL_PROPERTY_CHUNK bytes; READ answers with records
 * (u64 subject, u32 key, value and type lengths, then the three strings
 * each with its \0), chunk by chunk, with the store's version so that a
 * reader notices a change between chunks. */
#define RILL_PROPERTY_CHUNK 472u
#define RILL_PROPERTY_KEY_SIZE 256u          /* key length limit, \0 included */
#define RILL_PROPERTY_MAX_BYTES (1u << 20)   /* one property, all three strings */
/* The whole store: rilld refuses (-ENOSPC, saying which limit) a property
 * that would take it past either, since it locks all its memory. Bytes
 * count the key, value and type of every property, each with its \0. */
#define RILL_METADATA_MAX_PROPERTIES 32768u
#define RILL_METADATA_MAX_BYTES (16u << 20)
enum { RILL_PROPERTY_ONE, RILL_PROPERTY_SUBJECT, RILL_PROPERTY_ALL };

struct rill_msg_property {
    uint64_t subject;
    uint64_t version;                  /* READ reply: the store's version */
    uint32_t op;                       /* RILL_PROPERTY_ONE/SUBJECT/ALL */
    uint32_t total;                    /* bytes in all */
    uint32_t offset;                   /* of this chunk */
    uint32_t len;                      /* bytes in data */
    char data[RILL_PROPERTY_CHUNK];    /* SET: a chunk; REMOVE/READ ONE: the key */
};

/* JACK's jack_property_change_t values */
struct rill_msg_property_event {
    uint64_t subject;
    uint32_t change;                   /* 0 created, 1 changed, 2 deleted */
    uint32_t has_key;                  /* 0: every property of subject (or all) */
    char key[RILL_PROPERTY_KEY_SIZE];
};

/* INTERNAL_*: data holds "load_name\0load_init\0" (LOAD); status is a
 * jack_status_t (JackFailure, JackNoSuchClient, JackLoadFailure, ...). */
#define RILL_INTERNAL_DATA_SIZE 440u
struct rill_msg_internal {
    uint64_t handle;                   /* 0: none */
    uint32_t options;                  /* LOAD: JackUseExactName (0x2) */
    uint32_t status;
    char name[RILL_CLIENT_NAME_SIZE];
    char data[RILL_INTERNAL_DATA_SIZE];
};

struct rill_msg_port_rename {
    uint32_t id;
    uint32_t pad;
    char old_name[RILL_PORT_NAME_SIZE];
    char new_name[RILL_PORT_NAME_SIZE];
};

struct rill_msg {
    uint32_t type;                     /* enum rill_msg_type */
    uint32_t seq;                      /* request number, echoed in the reply */
    int32_t result;                    /* replies: 0 or -errno */
    uint32_t pad;
    union {
        struct rill_msg_hello hello;
        struct rill_msg_hello_reply hello_reply;
        struct rill_msg_activate activate;
        struct rill_msg_port_register port_register;
        struct rill_msg_port port;
        struct rill_msg_connect connect;
        struct rill_msg_client_event client_event;
        struct rill_msg_port_event port_event;
        struct rill_msg_connect_event connect_event;
        struct rill_msg_xrun_event xrun_event;
        struct rill_msg_shutdown_event shutdown_event;
        struct rill_msg_size_event size_event;
        struct rill_msg_port_name port_name;
        struct rill_msg_port_monitor port_monitor;
        struct rill_msg_latency latency;
        struct rill_msg_property property;
        struct rill_msg_property_event property_event;
        struct rill_msg_port_rename port_rename;
        struct rill_msg_internal internal;
        struct rill_msg_transport transport;
    } u;
    char error[RILL_ERROR_SIZE];
};

/* fds sent with the HELLO reply, in this order */
enum { RILL_FD_STATE, RILL_FD_ACTIVATION, RILL_FD_POOL, RILL_FD_EVENTS, RILL_FD_COUNT };

#endif
