/* common/msg.h — one struct rill_msg per SOCK_SEQPACKET datagram, with
 * optional file descriptors (SCM_RIGHTS). The engine and every client speak
 * the control protocol through these two functions.
 */
#ifndef RILL_COMMON_MSG_H
#define RILL_COMMON_MSG_H

#include <stddef.h>

#include "rill/protocol.h"

/* Send one message with up to nfds fds. Returns 0 or -errno. Non-blocking
 * sockets return -EAGAIN. Any non-realtime thread. */
int rill_msg_send(int sock, const struct rill_msg *m, const int *fds, size_t nfds);
/* Receive one message and up to *nfds fds (updated to the count received;
 * extra fds are closed). Returns 0, -ECONNRESET at EOF, -EPROTO for a short
 * or oversized message, or -errno. */
int rill_msg_recv(int sock, struct rill_msg *m, int *fds, size_t *nfds);

#endif
