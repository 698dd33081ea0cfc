/* engine/registry.h — changes to the graph: clients, ports, connections.
 *
 * The graph lives in the shared registry (rill/shm.h) so that clients read it
 * without asking. Every function here is main thread only and wraps its
 * writes in the registry seqlock. Listeners are called synchronously, after
 * the change, in JACK's order (disconnections, then port removals, then the
 * client's removal).
 */
#ifndef RILL_REGISTRY_H
#define RILL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "rill/shm.h"

struct rill_registry_listener {
    void *arg;
    void (*client)(void *arg, uint32_t slot, int registered);
    void (*port)(void *arg, uint32_t id, int registered);
    void (*connect)(void *arg, uint32_t src, uint32_t dst, int connected);
};

/* Clear the registry. */
void rill_registry_init(struct rill_shm_registry *reg);

/* Seqlock around a batch of direct writes (the functions below take it
 * themselves; nesting is allowed). */
void rill_registry_write_begin(struct rill_shm_registry *reg);
void rill_registry_write_end(struct rill_shm_registry *reg);

/* Add a client. slot 0 is the engine's and is taken only by want_slot0.
 * A taken name is made unique as "name-01".."name-99" unless exact, which
 * gives -EEXIST. -EINVAL: empty name or one with ':'; -ENAMETOOLONG: 64 bytes
 * or more; -EUSERS: no free slot; -EAGAIN: the only free slots have a
 * free_gen above reg->adopted_gen. *renamed tells whether the name changed. */
int rill_registry_client_add(struct rill_shm_registry *reg, const char *name, int32_t pid,
                             uint32_t flags, int exact, int want_slot0, uint32_t *slot,
                             int *renamed, char *err, size_t errsize);

/* Keep a removed client's slot, and the ids of the ports it had, from
 * being handed out again (RILL_CLIENT_HELD, free_gen RILL_PORT_HELD): its
 * process may still be alive, map the activation records and port buffers,
 * and write into them (a stopped client that resumes). Main thread. */
void rill_registry_client_hold(struct rill_shm_registry *reg, uint32_t slot);

/* The held slot's process is gone: the slot is free, its former ports'
 * ids become free once plan generation free_gen runs. Main thread. */
void rill_registry_client_release(struct rill_shm_registry *reg, uint32_t slot,
                                  uint64_t free_gen);

/* Remove a client with all its ports and their connections. */
void rill_registry_client_remove(struct rill_shm_registry *reg, uint32_t slot,
                                 const struct rill_registry_listener *l);

/* Add port "CLIENTNAME:short_name" of client slot with a free id below
 * port_max: not in use, and free_gen at most reg->adopted_gen. flags must
 * hold exactly one of input/output. -EINVAL bad name or flags, -ENAMETOOLONG
 * full name of 256 bytes or more, -EEXIST taken, -EAGAIN the only free ids
 * wait for the engine to run a newer plan, -ENOSPC no free port. */
int rill_registry_port_add(struct rill_shm_registry *reg, uint32_t port_max, uint32_t slot,
                           const char *short_name, uint32_t type, uint32_t flags, uint32_t *id,
                           char *err, size_t errsize);

/* Remove a port and its connections. -ENOENT when not in use. */
int rill_registry_port_remove(struct rill_shm_registry *reg, uint32_t id,
                              const struct rill_registry_listener *l);

/* Find a port by full name or alias (main thread; no seqlock needed). */
int rill_registry_lookup(const struct rill_shm_registry *reg, const char *name);

/* Connect two ports named a and b (full names or aliases), in either order:
 * the output becomes the source. -ENOENT unknown port, -EINVAL both inputs or
 * both outputs, -EPROTOTYPE different types, -EEXIST already connected,
 * -ENOSPC table full, -ENAMETOOLONG. err says which and why. */
int rill_registry_connect(struct rill_shm_registry *reg, const char *a, const char *b,
                          const struct rill_registry_listener *l, char *err, size_t errsize);

/* Disconnect; -ENOENT when a port is unknown or they are not connected. */
int rill_registry_disconnect(struct rill_shm_registry *reg, const char *a, const char *b,
                             const struct rill_registry_listener *l, char *err,
                             size_t errsize);

/* Drop every connection of port id. */
int rill_registry_port_disconnect(struct rill_shm_registry *reg, uint32_t id,
                                  const struct rill_registry_listener *l);

/* Drop every connection of every port of client slot (JACK: an inactive
 * client has no connections). */
void rill_registry_client_disconnect(struct rill_shm_registry *reg, uint32_t slot,
                                     const struct rill_registry_listener *l);

/* Count of ports owned by slot. */
uint32_t rill_registry_client_ports(const struct rill_shm_registry *reg, uint32_t slot);

#endif
