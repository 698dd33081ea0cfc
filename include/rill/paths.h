/* rill/paths.h — where a server's control socket lives.
 *
 * $XDG_RUNTIME_DIR/rill/NAME, or /tmp/rill-UID/NAME without XDG_RUNTIME_DIR.
 * The directory is the user's own, mode 0700.
 */
#ifndef RILL_PATHS_H
#define RILL_PATHS_H

#include <stddef.h>

/* The server name to use: name if given, else $JACK_DEFAULT_SERVER, else
 * "default". Any thread. */
const char *rill_server_name(const char *name);

/* Check a server name: 1 to 63 of [A-Za-z0-9._-], not starting with '.'.
 * Returns 0 or -EINVAL. Any thread. */
int rill_server_name_check(const char *name);

/* Write the socket directory into buf. Returns 0 or -ENAMETOOLONG. */
int rill_socket_dir(char *buf, size_t size);

/* Write the socket path of server name into buf. Returns 0, -EINVAL for a bad
 * name, -ENAMETOOLONG. Any thread. */
int rill_server_socket_path(const char *name, char *buf, size_t size);

#endif
