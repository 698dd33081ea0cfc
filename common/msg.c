/* common/msg.c — one struct rill_msg per SOCK_SEQPACKET datagram, with
 * optional file descriptors (SCM_RIGHTS). Shared by the engine and clients.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/msg.h"

/* The most fds one message may carry; a HELLO reply needs RILL_FD_COUNT.
 * The receive buffer has room for more so that extras are seen and closed
 * rather than silently truncated. */
#define MSG_MAX_FDS 8u
#define MSG_RECV_FDS 16u

/* Close every fd in the SCM_RIGHTS blocks of mh. */
static void close_all_fds(struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            close(fd);
        }
    }
}

/* Any non-realtime thread. */
ssize_t rill_msg_send_bytes(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
                            int flags)
{
    if (nfds > MSG_MAX_FDS || (nfds && !fds))
        return -EINVAL;
    union {
        char buf[CMSG_SPACE(MSG_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds) {
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    return n;
}

/* Any non-realtime thread. */
int rill_msg_send(int sock, const struct rill_msg *m, const int *fds, size_t nfds)
{
    if (!m)
        return -EINVAL;
    ssize_t n = rill_msg_send_bytes(sock, m, sizeof(*m), fds, nfds, 0);
    if (n < 0)
        return (int)n;
    if ((size_t)n != sizeof(*m))
        return -EPROTO; /* cannot happen on SOCK_SEQPACKET: all or nothing */
    return 0;
}

/* Any non-realtime thread. */
int rill_msg_recv(int sock, struct rill_msg *m, int *fds, size_t *nfds)
{
    size_t want = nfds ? *nfds : 0;
    if (nfds)
        *nfds = 0;
    if (!m || (want && !fds))
        return -EINVAL;
    union {
        char buf[CMSG_SPACE(MSG_RECV_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf) };
    ssize_t n;
    do {
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    if (n == 0 && !(mh.msg_flags & MSG_CTRUNC)) {
        close_all_fds(&mh);
        return -ECONNRESET; /* EOF (SOCK_SEQPACKET has no empty messages of ours) */
    }
    if ((size_t)n != sizeof(*m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        close_all_fds(&mh);
        return -EPROTO;
    }
    size_t got = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (got < want)
                fds[got++] = fd;
            else
                close(fd);
        }
    }
    if (nfds)
        *nfds = got;
    return 0;
}
