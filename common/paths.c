/* common/paths.c — where a server's control socket lives (rill/paths.h).
 *
 * The server creates the directory; clients only build the path and connect.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "rill/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rill/limits.h"

/* Any thread (getenv; nobody in rill calls setenv). */
const char *rill_server_name(const char *name)
{
    if (name && name[0])
        return name;
    const char *env = getenv("JACK_DEFAULT_SERVER");
    if (env && env[0])
        return env;
    return "default";
}

/* Any thread. */
int rill_server_name_check(const char *name)
{
    if (!name)
        return -EINVAL;
    size_t len = strlen(name);
    if (len < 1 || len >= RILL_SERVER_NAME_SIZE || name[0] == '.')
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok)
            return -EINVAL;
    }
    return 0;
}

/* Any thread. */
int rill_socket_dir(char *buf, size_t size)
{
    if (!buf || size == 0)
        return -ENAMETOOLONG;
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (xdg && xdg[0])
        n = snprintf(buf, size, "%s/rill", xdg);
    else
        n = snprintf(buf, size, "/tmp/rill-%u", (unsigned)getuid());
    if (n < 0 || (size_t)n >= size) {
        buf[0] = '\0';
        return -ENAMETOOLONG;
    }
    return 0;
}

/* Any thread. */
int rill_server_socket_path(const char *name, char *buf, size_t size)
{
    if (rill_server_name_check(name) < 0)
        return -EINVAL;
    int err = rill_socket_dir(buf, size);
    if (err < 0)
        return err;
    size_t used = strlen(buf);
    int n = snprintf(buf + used, size - used, "/%s", name);
    if (n < 0 || (size_t)n >= size - used) {
        buf[0] = '\0';
        return -ENAMETOOLONG;
    }
    return 0;
}
