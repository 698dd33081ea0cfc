/* common/msg.h — one struct rill_msg per SOCK_SEQPACKET datagram, with
 * optional file descriptors (SCM_RIGHTS). The engine and every client speak
 * the control protocol through these two functions.
 */
#ifndef RILL_COMMON_MSG_H
#define RILL_COMMON_MSG_H

#include <stddef.h>
#include <sys/types.h>

#include "rill/protocol.h"

/* Send one message with up to nfds fds. Returns 0 or -errno. Non-blocking
 * sockets return -EAGAIN. Any non-realtime thread. */
int rill_msg_send(int sock, const struct rill_msg *m, const int *fds, size_t nfds);
/* Send len bytes of buf, whatever they are, as one datagram with up to 8
 * fds (SCM_RIGHTS); flags for sendmsg (MSG_NOSIGNAL is always added).
 * Returns the bytes sent or -errno (-EAGAIN when it would block). What
 * rill_msg_send sends with; the fuzz harnesses and the hostile client send
 * malformed datagrams with it (tests/fuzz/). Any non-realtime thread. */
ssize_t rill_msg_send_bytes(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
                            int flags);
/* Receive one message and up to *nfds fds (updated to the count received;
 * extra fds are closed). Returns 0, -ECONNRESET at EOF, -EPROTO for a short
 * or oversized message, or -errno. */
int rill_msg_recv(int sock, struct rill_msg *m, int *fds, size_t *nfds);

#endif
