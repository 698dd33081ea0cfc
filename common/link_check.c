/* common/link_check.c — the checks before a CONNECT or DISCONNECT request
 * (common/link_check.h). Any thread. */
#include "common/link_check.h"

#include <errno.h>
#include <string.h>

#include "clients/core/client.h"
#include "common/err.h"

/* Set the problem and write the sentence (common/err.h); returns the code. */
#define refuse(out, p, code, err, errsize, ...)                                                  \
    ((out)->problem = (p), rill_errf((err), (errsize), (code), __VA_ARGS__))

/* Any thread. */
int rill_link_check_names(const char *a, const char *b, const char *verb,
                          struct rill_link *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < 2; i++) {
        const char *name = i ? b : a;
        size_t len = strlen(name);
        if (len >= RILL_PORT_NAME_SIZE)
            return refuse(out, RILL_LINK_NAME_TOO_LONG, -ENAMETOOLONG, err, errsize,
                          "port name is %zu bytes; the limit is %u", len,
                          RILL_PORT_NAME_SIZE - 1);
        if (len == 0)
            return refuse(out, RILL_LINK_EMPTY_NAME, -EINVAL, err, errsize,
                          "%s: a port name is empty (ports are named CLIENT:PORT)", verb);
    }
    return 0;
}

/* The direction of a port in words, plural ("both ..."). */
static const char *direction(const struct rill_shm_port *p)
{
    if (p->flags & RILL_PORT_IS_OUTPUT)
        return "outputs";
    if (p->flags & RILL_PORT_IS_INPUT)
        return "inputs";
    return "neither inputs nor outputs";
}

static int find(const struct rill_shm_state *st, const char *name, struct rill_shm_port *p,
                uint32_t *id, struct rill_link *out, char *err, size_t errsize)
{
    int r = rill_registry_find_port(st, name);
    int rp = r < 0 ? r : rill_registry_port(st, (uint32_t)r, p);
    if (r == -EAGAIN || rp == -EAGAIN)
        return refuse(out, RILL_LINK_BUSY, -EAGAIN, err, errsize,
                      "cannot look up '%s': the engine kept changing the graph; try again",
                      name);
    if (r < 0 || rp < 0)
        return refuse(out, RILL_LINK_NO_SUCH_PORT, -ENOENT, err, errsize,
                      "no port named '%s' (ports are named CLIENT:PORT; list them with: "
                      "rillctl ports)",
                      name);
    p->name[RILL_PORT_NAME_SIZE - 1] = '\0';
    *id = (uint32_t)r;
    return 0;
}

/* Any thread. */
int rill_link_check(const struct rill_shm_state *st, const char *a, const char *b, int connect,
                    struct rill_link *out, char *err, size_t errsize)
{
    const char *verb = connect ? "connect" : "disconnect";
    int r = rill_link_check_names(a, b, verb, out, err, errsize);
    if (r < 0)
        return r;
    struct rill_shm_port pa, pb;
    uint32_t ida = 0, idb = 0;
    if ((r = find(st, a, &pa, &ida, out, err, errsize)) < 0 ||
        (r = find(st, b, &pb, &idb, out, err, errsize)) < 0)
        return r;
    if (ida == idb)
        return refuse(out, RILL_LINK_SAME_PORT, -EINVAL, err, errsize,
                      "'%s' and '%s' are the same port; %s an output to an input", a, b, verb);
    const struct rill_shm_port *src, *dst;
    if ((pa.flags & RILL_PORT_IS_OUTPUT) && (pb.flags & RILL_PORT_IS_INPUT)) {
        src = &pa;
        dst = &pb;
        out->src = ida;
        out->dst = idb;
    } else if ((pb.flags & RILL_PORT_IS_OUTPUT) && (pa.flags & RILL_PORT_IS_INPUT)) {
        src = &pb;
        dst = &pa;
        out->src = idb;
        out->dst = ida;
    } else {
        return refuse(out, RILL_LINK_SAME_DIRECTION, -EINVAL, err, errsize,
                      "'%s' and '%s' are both %s; %s one output and one input", pa.name, pb.name,
                      direction(&pa), verb);
    }
    if (pa.type != pb.type) {
        const char *ta = rill_port_type_string(pa.type), *tb = rill_port_type_string(pb.type);
        return refuse(out, RILL_LINK_TYPE_MISMATCH, -EPROTOTYPE, err, errsize,
                      "'%s' has type '%s' and '%s' has type '%s'; only ports of the same type "
                      "can be connected",
                      pa.name, ta ? ta : "unknown", pb.name, tb ? tb : "unknown");
    }
    int linked = rill_registry_connected(st, ida, idb);
    if (linked < 0)
        return refuse(out, RILL_LINK_BUSY, linked, err, errsize,
                      "cannot read the connections of '%s': the engine kept changing the "
                      "graph; try again",
                      src->name);
    if (connect && linked)
        return refuse(out, RILL_LINK_ALREADY_CONNECTED, -EEXIST, err, errsize,
                      "'%s' and '%s' are already connected", src->name, dst->name);
    if (!connect && !linked)
        return refuse(out, RILL_LINK_NOT_CONNECTED, -ENOTCONN, err, errsize,
                      "'%s' and '%s' are not connected", src->name, dst->name);
    memcpy(out->src_name, src->name, strlen(src->name) + 1);
    memcpy(out->dst_name, dst->name, strlen(dst->name) + 1);
    out->problem = RILL_LINK_OK;
    return 0;
}
