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
 *                    the node.
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
    /* 20..39: ports (rename, aliases, latency, monitor), uuids, metadata,
     *         internal clients, buffer size, freewheel (the JACK API)
     * 40..59: transport and timebase (transport/) */

    RILL_EV_CLIENT_REGISTER = 100, /* u.client_event */
    RILL_EV_PORT_REGISTER,         /* u.port_event */
    RILL_EV_PORT_CONNECT,          /* u.connect_event */
    RILL_EV_GRAPH_ORDER,           /* no payload */
    RILL_EV_XRUN,                  /* u.xrun_event */
    RILL_EV_SHUTDOWN,              /* u.shutdown_event */
    RILL_EV_BUFFER_SIZE,           /* u.size_event */
    RILL_EV_SAMPLE_RATE,           /* u.size_event */
    /* 120..139: port rename, latency, metadata, freewheel events
     * 140..159: transport events */
};

/* hello flags */
#define RILL_HELLO_CONTROL 0x1u      /* a control tool (rillctl): no node, not listed */
#define RILL_HELLO_USE_EXACT_NAME 0x2u /* fail instead of renaming a taken name */

struct rill_msg_hello {
    uint32_t version;                  /* RILL_PROTOCOL_VERSION */
    uint32_t flags;                    /* RILL_HELLO_* */
    int32_t pid;
    uint32_t pad;
    char name[RILL_CLIENT_NAME_SIZE];
};

struct rill_msg_hello_reply {
    uint32_t client;                   /* our slot = node number */
    uint32_t renamed;                  /* 1 when name differs from the one asked */
    uint64_t uuid;
    char name[RILL_CLIENT_NAME_SIZE];
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
};

struct rill_msg {
    uint32_t type;                     /* enum rill_msg_type */
    uint32_t seq;                      /* request number, echoed in the reply */
    int32_t result;                    /* replies: 0 or -errno */
    uint32_t pad;
    union {
        struct rill_msg_hello hello;
        struct rill_msg_hello_reply hello_reply;
        struct rill_msg_port_register port_register;
        struct rill_msg_port port;
        struct rill_msg_connect connect;
        struct rill_msg_client_event client_event;
        struct rill_msg_port_event port_event;
        struct rill_msg_connect_event connect_event;
        struct rill_msg_xrun_event xrun_event;
        struct rill_msg_shutdown_event shutdown_event;
        struct rill_msg_size_event size_event;
    } u;
    char error[RILL_ERROR_SIZE];
};

/* fds sent with the HELLO reply, in this order */
enum { RILL_FD_STATE, RILL_FD_ACTIVATION, RILL_FD_POOL, RILL_FD_EVENTS, RILL_FD_COUNT };

#endif
