/* osc/osc.h — rilld's OSC front door, as the server sees it.
 *
 * Off unless rilld was started with --osc (a Unix datagram socket
 * $XDG_RUNTIME_DIR/rill/NAME.osc, mode 0600) or --osc-udp PORT (UDP,
 * 127.0.0.1 unless --osc-allow names other networks). The sockets and a
 * timer are watched by the server's epoll loop; each request runs to its
 * end on the main thread, through the same request function as rillctl's
 * (rill_server_request on a control connection of its own). Nothing here
 * runs on the realtime thread. The namespace: doc/osc.md.
 *
 * Thread: main thread only (rill_osc_log_line: any thread; it does nothing
 * off the main thread).
 */
#ifndef RILL_OSC_H
#define RILL_OSC_H

#include <stddef.h>
#include <stdint.h>

#include "rill/protocol.h"

struct rill_server;

/* Open the sockets, write NAME.osc-url, print the URLs. 0 (also when OSC is
 * off) or -errno with err. Call once the event loop and the realtime thread
 * are up. */
int rill_osc_start(struct rill_server *s, char *err, size_t errsize);

/* An epoll key (data.u64) of the server's loop: 1 when it was one of
 * OSC's descriptors (handled), else 0. */
int rill_osc_ready(struct rill_server *s, uint64_t key);

/* The engine told its clients ev (rill_server_broadcast). */
void rill_osc_notify(struct rill_server *s, const struct rill_msg *ev);

/* Port id is leaving the registry (announced to the clients or not). */
void rill_osc_port_removed(struct rill_server *s, uint32_t id);

/* A line rilld logs (the `log` topic). */
void rill_osc_log_line(const char *line);

/* Tell subscribers `ended "server shutdown"`, close and remove the sockets
 * and the URL file. Safe when OSC was never started. */
void rill_osc_stop(struct rill_server *s);

#endif
