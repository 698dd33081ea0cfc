/* engine/shm.c — memfd segments shared with clients. */
#include "engine/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create one sealed-size memfd of size bytes, mode 0600, and map it
 * read-write. engine_only: after our own writable mapping, no mapping of any
 * descriptor of it can ever be writable again (F_SEAL_FUTURE_WRITE, Linux
 * 5.1): a client that reopens /proc/self/fd/N read-write still gets EPERM
 * from mmap(PROT_WRITE, MAP_SHARED) and from write(). F_SEAL_SEAL comes last
 * so that nobody can add or remove seals after us. */
static int segment_create(const char *name, size_t size, int engine_only, int *fd_out,
                          void **map_out)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    int err;
    if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)size) < 0) {
        err = -errno;
        goto fail_fd;
    }
    /* Clients cannot resize what they map. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
        err = -errno;
        goto fail_fd;
    }
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        err = -errno;
        goto fail_fd;
    }
    if (engine_only && fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0) {
        /* EINVAL: a kernel older than 5.1 does not know the seal */
        err = errno == EINVAL ? -ENOSYS : -errno;
        goto fail_map;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) < 0) {
        err = -errno;
        goto fail_map;
    }
    *fd_out = fd;
    *map_out = map;
    return 0;

fail_map:
    munmap(map, size);
fail_fd:
    close(fd);
    return err;
}

/* The state's header, as a new state has it. */
static void write_header(struct rill_engine_shm *s, uint32_t port_max, uint32_t pool_stride)
{
    struct rill_shm_state *st = s->state;
    st->magic = RILL_SHM_MAGIC;
    st->version = RILL_PROTOCOL_VERSION;
    st->size = s->state_size;
    st->activation_size = s->act_size;
    st->pool_size = s->pool_size;
    st->pool_stride = pool_stride;
    st->port_max = port_max;
    st->server_pid = (int32_t)getpid();
}

/* Main thread. */
int rill_engine_shm_create(struct rill_engine_shm *s, uint32_t port_max, uint32_t pool_stride)
{
    int err;
    void *map;
    memset(s, 0, sizeof(*s));
    s->state_fd = s->state_ro_fd = s->act_fd = s->pool_fd = -1;

    s->state_size = sizeof(struct rill_shm_state);
    s->act_size = sizeof(struct rill_shm_activation);
    s->pool_size = (size_t)port_max * pool_stride;

    /* the state (registry, plans, cycle record) is the engine's alone */
    err = segment_create("rill-state", s->state_size, 1, &s->state_fd, &map);
    if (err < 0)
        goto fail;
    s->state = map;
    err = segment_create("rill-activation", s->act_size, 0, &s->act_fd, &map);
    if (err < 0)
        goto fail;
    s->act = map;
    err = segment_create("rill-pool", s->pool_size, 0, &s->pool_fd, &map);
    if (err < 0)
        goto fail;
    s->pool = map;

    /* A read-only descriptor of the state for clients. The seal, not the
     * access mode, is what keeps them from writing: a reopen of this
     * descriptor read-write cannot be mapped writable. */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", s->state_fd);
    s->state_ro_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->state_ro_fd < 0) {
        err = -errno;
        goto fail;
    }

    write_header(s, port_max, pool_stride);
    return 0;

fail:
    rill_engine_shm_destroy(s);
    return err;
}

/* Main thread, with no client and no realtime thread using the segments. */
void rill_engine_shm_reset(struct rill_engine_shm *s)
{
    uint32_t port_max = s->state->port_max, pool_stride = s->state->pool_stride;
    memset(s->state, 0, s->state_size);
    memset(s->act, 0, s->act_size);
    memset(s->pool, 0, s->pool_size);
    write_header(s, port_max, pool_stride);
}

/* Main thread. */
void rill_engine_shm_destroy(struct rill_engine_shm *s)
{
    if (s->pool)
        munmap(s->pool, s->pool_size);
    if (s->act)
        munmap(s->act, s->act_size);
    if (s->state)
        munmap(s->state, s->state_size);
    int *fds[] = { &s->state_fd, &s->state_ro_fd, &s->act_fd, &s->pool_fd };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    memset(s, 0, sizeof(*s));
    s->state_fd = s->state_ro_fd = s->act_fd = s->pool_fd = -1;
}
