/* engine/metadata.h — JACK metadata (subject uuid, key) -> (value, type),
 * stored by the engine and served to clients (rill/protocol.h PROPERTY_*).
 *
 * The store is a plain array owned by the main thread (the server's
 * s->metadata); nothing here is touched by the realtime thread. A property disappears with its subject: the
 * server calls rill_metadata_remove_subject when a client or port goes.
 */
#ifndef RILL_METADATA_H
#define RILL_METADATA_H

#include <stddef.h>
#include <stdint.h>

#include "rill/protocol.h"

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
    uint32_t len[3];                   /* strlen of key, value, type */
};

/* The store. Bounded (rilld locks its memory): at most max_props
 * properties and max_bytes of keys, values and types together
 * (RILL_METADATA_MAX_PROPERTIES / _BYTES in rill/protocol.h, set by
 * rill_metadata_init; a test may lower them). */
struct rill_metadata {
    struct rill_property *props;
    size_t count, cap;
    size_t bytes;                      /* key, value and type bytes, \0 included */
    size_t max_props, max_bytes;
    uint64_t version;                  /* bumped at every change */
};

/* Where a reader of the records is (rill_metadata_read): the next chunk of
 * the same selection at the same store version continues from here, so
 * that reading N bytes costs O(N + properties), not a pass per chunk. */
struct rill_metadata_cursor {
    int valid;
    uint64_t version;
    uint32_t op;
    uint64_t subject;
    char key[RILL_PROPERTY_KEY_SIZE];  /* RILL_PROPERTY_ONE */
    size_t total;                      /* bytes of the whole selection */
    size_t offset;                     /* next byte */
    size_t index;                      /* property of the next byte */
    size_t within;                     /* its offset in that record */
};

/* Main thread (all of these). */
void rill_metadata_init(struct rill_metadata *md);
void rill_metadata_clear(struct rill_metadata *md);

/* Set key of subject; *change says whether it was created or changed.
 * 0, -EINVAL (empty key), -ENOMEM, -ENOSPC (the store would pass
 * max_props or max_bytes). */
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

/* Copy bytes offset.. (at most cap) of the READ records (rill/protocol.h)
 * of the properties that op selects (RILL_PROPERTY_ONE: subject and key;
 * SUBJECT: subject; ALL) into dst: *n bytes, *total of the whole
 * selection. cur remembers the position for the next chunk. 0, or -EINVAL
 * when offset is beyond the selection. */
int rill_metadata_read(const struct rill_metadata *md, struct rill_metadata_cursor *cur,
                       uint32_t op, uint64_t subject, const char *key, size_t offset, char *dst,
                       size_t cap, size_t *n, size_t *total);

/* ---- the server's side (engine/metadata_requests.c) */

/* A connection's metadata state: the property it is sending (PROPERTY_SET
 * arrives in chunks) and where its read is. */
struct rill_metadata_conn {
    char *buf;                         /* NULL when no SET is under way */
    uint32_t total, have;
    struct rill_metadata_cursor read;
};

/* Handle PROPERTY_SET/REMOVE/READ from c. Returns the reply's result. */
int rill_metadata_request(struct rill_server *s, struct rill_conn *c, struct rill_msg *m);
/* A client or port with this uuid has gone: remove its properties and tell
 * the clients. */
void rill_metadata_subject_gone(struct rill_server *s, uint64_t uuid);
/* Connection c closes: drop a half-received property. */
void rill_metadata_conn_gone(struct rill_conn *c);

#endif
