/* engine/shm.h — the engine's shared-memory segments (memfd).
 *
 * Thread: main thread creates and destroys; the mappings are then used as
 * rill/shm.h documents.
 */
#ifndef RILL_ENGINE_SHM_H
#define RILL_ENGINE_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "rill/shm.h"

struct rill_engine_shm {
    int state_fd;        /* read-write, the engine's own */
    int state_ro_fd;     /* read-only reopen, given to clients */
    int act_fd;
    int pool_fd;
    struct rill_shm_state *state;
    struct rill_shm_activation *act;
    uint8_t *pool;
    size_t state_size, act_size, pool_size;
};

/* Create the three segments (mode 0600) and map them. pool_stride bytes per
 * port, port_max ports. Returns 0 or -errno. Main thread. */
int rill_engine_shm_create(struct rill_engine_shm *s, uint32_t port_max, uint32_t pool_stride);

/* Zero the three segments and write the state's header again: what
 * rill_engine_shm_create gives, on segments already made (the fuzz harness
 * of the requests reuses them, tests/fuzz/fuzz-control.c). Main thread,
 * while no client and no realtime thread uses them. */
void rill_engine_shm_reset(struct rill_engine_shm *s);

/* Unmap and close. Safe on a partly created or zeroed struct. Main thread. */
void rill_engine_shm_destroy(struct rill_engine_shm *s);

/* Pool buffer of port id. Any thread. */
static inline float *rill_engine_shm_buffer(const struct rill_engine_shm *s, uint32_t id)
{
    return (float *)(void *)(s->pool + (size_t)id * s->state->pool_stride);
}

#endif
