/* common/link_check.h — the checks made before a CONNECT or DISCONNECT
 * request, and the sentences that explain a refusal.
 *
 * rillctl (tools/rillctl.c) and the OSC front door (osc/) both call these,
 * so that a user hears the same words for the same mistake whichever door
 * they use; the engine then checks again (engine/registry.c) because the
 * graph may change between the check and the request.
 *
 * Thread: any thread; nothing here allocates or blocks.
 */
#ifndef RILL_COMMON_LINK_CHECK_H
#define RILL_COMMON_LINK_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "rill/limits.h"
#include "rill/shm.h"

enum rill_link_problem {
    RILL_LINK_OK = 0,
    RILL_LINK_EMPTY_NAME,        /* -EINVAL: a usage error */
    RILL_LINK_NAME_TOO_LONG,     /* -ENAMETOOLONG */
    RILL_LINK_NO_SUCH_PORT,      /* -ENOENT */
    RILL_LINK_SAME_PORT,         /* -EINVAL */
    RILL_LINK_SAME_DIRECTION,    /* -EINVAL */
    RILL_LINK_TYPE_MISMATCH,     /* -EPROTOTYPE */
    RILL_LINK_ALREADY_CONNECTED, /* -EEXIST */
    RILL_LINK_NOT_CONNECTED,     /* -ENOTCONN */
    RILL_LINK_BUSY,              /* -EAGAIN: the registry could not be read
                                  * consistently (rill/seqlock.h); try again */
};

struct rill_link {
    enum rill_link_problem problem;
    uint32_t src, dst;                   /* port ids: output, input */
    char src_name[RILL_PORT_NAME_SIZE];  /* their full names */
    char dst_name[RILL_PORT_NAME_SIZE];
};

/* The names alone: neither empty nor too long. verb is "connect" or
 * "disconnect". Returns 0, or -EINVAL / -ENAMETOOLONG with out->problem set
 * and err holding the sentence. */
int rill_link_check_names(const char *a, const char *b, const char *verb,
                          struct rill_link *out, char *err, size_t errsize);

/* Everything rillctl checks before it asks the engine to connect (connect =
 * 1) or disconnect A and B, given by full name or alias in either order:
 * both exist, are two ports, one output and one input of the same type, and
 * are (not) connected yet. Returns 0 with src/dst and their names filled,
 * or -errno with out->problem and err set (see enum rill_link_problem). */
int rill_link_check(const struct rill_shm_state *st, const char *a, const char *b, int connect,
                    struct rill_link *out, char *err, size_t errsize);

#endif
