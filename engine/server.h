/* engine/server.h — rilld's main thread: the control socket, the clients,
 * graph changes and plan hand-over, the realtime thread's events.
 *
 * Thread: main thread only.
 */
#ifndef RILL_SERVER_H
#define RILL_SERVER_H

#include "engine/options.h"

/* Set everything up, serve until SIGINT/SIGTERM (or the driver fails), tear
 * down. Returns the process exit status: 0 after a clean stop, 1 when the
 * server could not start or the driver failed. */
int rill_server_run(const struct rill_options *opt);

#endif
