/* engine/metadata.h — JACK metadata (subject uuid, key) -> (value, type),
 * stored by the engine and served to clients (rill/protocol.h PROPERTY_*).
 *
 * The store is a plain array owned by the main thread; nothing here is
 * touched by the realtime thread. A property disappears with its subject: the
 * server calls rill_metadata_remove_subject when a client or port goes.
 */
#ifndef RILL_METADATA_H
#define RILL_METADATA_H

#include <stddef.h>
#include <stdint.h>

struct rill_server;
struct rill_conn;
struct rill_msg;

/* JACK's jack_property_change_t */
enum { RILL_PROPERTY_CREATED = 0, RILL_PROPERTY_CHANGED = 1, RILL_PROPERTY_DELETED = 2 };

struct rill_property {
    uint64_t subject;
    char *key;
    char *value;
    char *type;                        /* "" for none */
};

struct rill_metadata {
    struct rill_property *props;
    size_t count, cap;
    size_t bytes;                      /* all records as READ sends them */
    uint64_t version;                  /* bumped at every change */
};

/* Main thread (all of these). */
void rill_metadata_init(struct rill_metadata *md);
void rill_metadata_clear(struct rill_metadata *md);

/* Set key of subject; *change says whether it was created or changed.
 * 0, -EINVAL (empty key), -ENOMEM. */
int rill_metadata_set(struct rill_metadata *md, uint64_t subject, const char *key,
                      const char *value, const char *type, int *change);

/* The property, or NULL. */
const struct rill_property *rill_metadata_get(const struct rill_metadata *md, uint64_t subject,
                                              const char *key);

/* Remove one key (0 or -ENOENT); every key of subject (count removed); all
 * (count removed). */
int rill_metadata_remove(struct rill_metadata *md, uint64_t subject, const char *key);
int rill_metadata_remove_subject(struct rill_metadata *md, uint64_t subject);
int rill_metadata_remove_all(struct rill_metadata *md);

/* Serialise the properties that op selects (RILL_PROPERTY_ONE: subject and
 * key; SUBJECT: subject; ALL) as READ records into a malloc'd buffer. Returns
 * 0 or -ENOMEM; *out is NULL when *len is 0. */
int rill_metadata_serialise(const struct rill_metadata *md, uint32_t op, uint64_t subject,
                            const char *key, char **out, size_t *len);

/* ---- the server's side (engine/metadata_requests.c) */

/* Handle PROPERTY_SET/REMOVE/READ from c. Returns the reply's result. */
int rill_metadata_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);
/* A client or port with this uuid has gone: remove its properties and tell
 * the clients. */
void rill_metadata_subject_gone(struct rill_server *s, uint64_t uuid);
/* Connection index idx closed: drop a half-received property. */
void rill_metadata_conn_gone(uint32_t idx);
/* Free everything (server tear-down). */
void rill_metadata_shutdown(void);

#endif
