/* tests/fuzz/control-steps.h — the input format of the control harness
 * (tests/fuzz/fuzz-control.c), decoded in one place so that the hostile
 * client (tests/clients/rill-test-hostile.c) can send the same inputs, its
 * seeds and crashers, to a live rilld.
 *
 * An input is up to CONTROL_MAX_STEPS steps. A step's first byte: bits 0-1
 * the connection (four clients), bits 2-4 what to do, bits 5-6 how many fds
 * to pass along (0-3):
 *   0-3, 7  a request: a byte picks its type from control_types[], a byte
 *           its seq, a u16 how many of the following bytes fill the payload
 *           (the rest is zero);
 *   4       a raw datagram: a u16 length (0 .. sizeof(struct rill_msg) + 63)
 *           and that many bytes;
 *   5       the client goes away (its socket closed) and a new one connects;
 *   6       an answer on the client's event socket (as 0-3).
 *
 * Thread: the caller's.
 */
#ifndef RILL_TESTS_FUZZ_CONTROL_STEPS_H
#define RILL_TESTS_FUZZ_CONTROL_STEPS_H

#include <string.h>

#include "rill/protocol.h"
#include "tests/fuzz/fuzz.h"

#define CONTROL_CONNS 4
#define CONTROL_MAX_STEPS 64
#define CONTROL_RAW_MAX (sizeof(struct rill_msg) + 64)

static const uint32_t control_types[] = {
    RILL_MSG_HELLO, RILL_MSG_ACTIVATE, RILL_MSG_DEACTIVATE, RILL_MSG_PORT_REGISTER,
    RILL_MSG_PORT_UNREGISTER, RILL_MSG_CONNECT, RILL_MSG_DISCONNECT, RILL_MSG_PORT_DISCONNECT,
    RILL_MSG_CLOSE, RILL_MSG_SET_BUFFER_SIZE, RILL_MSG_SET_FREEWHEEL,
    RILL_MSG_BUFFER_SIZE_DONE, RILL_MSG_INTERNAL_LOAD, RILL_MSG_INTERNAL_UNLOAD,
    RILL_MSG_INTERNAL_HANDLE, RILL_MSG_INTERNAL_NAME, RILL_MSG_XRUN_RESET, RILL_MSG_PORT_NAME,
    RILL_MSG_PORT_MONITOR, RILL_MSG_LATENCY_SET, RILL_MSG_LATENCY_CTL, RILL_MSG_PROPERTY_SET,
    RILL_MSG_PROPERTY_REMOVE, RILL_MSG_PROPERTY_READ, RILL_MSG_TRANSPORT_TIMEBASE,
    RILL_MSG_TRANSPORT_RELEASE, RILL_MSG_TRANSPORT_SYNC, RILL_MSG_TRANSPORT_TIMEOUT,
    RILL_MSG_TRANSPORT_REQUEST, RILL_EV_BUFFER_SIZE, RILL_EV_LATENCY, 0, 10, 23, 29, 37, 99,
    0xffffffffu,
};
#define CONTROL_NTYPES (sizeof(control_types) / sizeof(control_types[0]))

enum { CONTROL_REQUEST, CONTROL_RAW, CONTROL_GONE, CONTROL_EVENT_ANSWER };

struct control_step {
    unsigned conn;       /* 0 .. CONTROL_CONNS - 1 */
    unsigned kind;       /* CONTROL_* */
    unsigned nfds;       /* fds to pass along, 0 .. 3 */
    struct rill_msg msg; /* REQUEST, EVENT_ANSWER */
    uint8_t raw[CONTROL_RAW_MAX];
    size_t raw_len;      /* RAW */
};

/* Decode the next step of in into st. Returns 0, or -1 at the end. */
static inline int control_step_next(struct fuzz_in *in, struct control_step *st)
{
    if (!in->n)
        return -1;
    uint8_t op = fuzz_u8(in);
    unsigned what = (op >> 2) & 7u;
    st->conn = op & 3u;
    st->nfds = (op >> 5) & 3u;
    if (what == 5) {
        st->kind = CONTROL_GONE;
    } else if (what == 4) {
        st->kind = CONTROL_RAW;
        size_t len;
        const uint8_t *p = fuzz_bytes(in, fuzz_u16(in) % CONTROL_RAW_MAX, &len);
        memcpy(st->raw, p, len);
        st->raw_len = len;
    } else {
        st->kind = what == 6 ? CONTROL_EVENT_ANSWER : CONTROL_REQUEST;
        memset(&st->msg, 0, sizeof(st->msg));
        st->msg.type = control_types[fuzz_u8(in) % CONTROL_NTYPES];
        st->msg.seq = fuzz_u8(in);
        size_t len;
        const uint8_t *p = fuzz_bytes(in, fuzz_u16(in) % (sizeof(st->msg.u) + 1), &len);
        memcpy(&st->msg.u, p, len);
    }
    return 0;
}

#endif
