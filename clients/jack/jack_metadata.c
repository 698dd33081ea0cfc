/* clients/jack/jack_metadata.c — JACK metadata (jack/metadata.h) and the
 * identity functions: client uuid and pid, uuid helpers.
 *
 * The engine stores the properties (engine/metadata.c). A property travels
 * as key\0value\0type\0 in chunks (rill/protocol.h PROPERTY_*); a whole set
 * is read chunk by chunk and read again when the store changed meanwhile.
 *
 * Several functions of the JACK API take no client (jack_get_property,
 * jack_get_properties, jack_get_all_properties, jack_get_client_pid): they
 * use a control connection to the default server ($JACK_DEFAULT_SERVER),
 * opened on first use and kept for the life of the process (reopened when
 * the server went away). One mutex serialises it and every chunked SET.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/jack/jack_priv.h"
#include "clients/jack/jack_records.h"

/* Declared by <jack/session.h> (jack_client_get_uuid) or without a
 * prototype by <jack/uuid.h>; exported like the rest of the API. */
#pragma GCC visibility push(default)
char *jack_client_get_uuid(jack_client_t *client);
jack_uuid_t jack_client_uuid_generate(void);
#pragma GCC visibility pop

static pthread_mutex_t md_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rill_client *md_conn; /* under md_lock */

/* The shared control connection; md_lock held. NULL with a message. */
static struct rill_client *control_conn(const char *what)
{
    if (md_conn && !rill_client_alive(md_conn)) {
        rill_client_close(md_conn);
        md_conn = NULL;
    }
    if (!md_conn) {
        char err[RILL_ERROR_SIZE] = "";
        struct rill_client_callbacks cb = { 0 };
        int r = rill_client_open(NULL, "rill-metadata", RILL_HELLO_CONTROL, &cb, &md_conn, err,
                                 sizeof(err));
        if (r < 0) {
            md_conn = NULL;
            rill_jack_error("%s: cannot reach the server: %s", what, err[0] ? err : strerror(-r));
        }
    }
    return md_conn;
}

/* One request on core; 0 or -errno (message printed unless quiet_enoent and
 * the answer is -ENOENT). */
static int md_request(struct rill_client *core, struct rill_msg *m, const char *what,
                      int quiet_enoent)
{
    int r = rill_client_request(core, m);
    if (r < 0 && !(quiet_enoent && r == -ENOENT)) {
        m->error[sizeof(m->error) - 1] = '\0';
        rill_jack_error("%s: %s", what, m->error[0] ? m->error : strerror(-r));
    }
    return r;
}

/* ---- setting and removing */

/* Any non-realtime thread. 0 or -1. */
int jack_set_property(jack_client_t *client, jack_uuid_t subject, const char *key,
                      const char *value, const char *type)
{
    if (!client || !key || !key[0] || !value) {
        rill_jack_error("jack_set_property: a client, a non-empty key and a value are needed");
        return -1;
    }
    if (!type)
        type = "";
    size_t kl = strlen(key), vl = strlen(value), tl = strlen(type);
    if (kl >= RILL_PROPERTY_KEY_SIZE || kl + vl + tl + 3 > RILL_PROPERTY_MAX_BYTES) {
        rill_jack_error("jack_set_property: '%.60s': keys have at most %u bytes and a property "
                        "at most %u bytes in all",
                        key, RILL_PROPERTY_KEY_SIZE - 1, RILL_PROPERTY_MAX_BYTES);
        return -1;
    }
    size_t total = kl + vl + tl + 3;
    char *blob = malloc(total);
    if (!blob)
        return -1;
    memcpy(blob, key, kl + 1);
    memcpy(blob + kl + 1, value, vl + 1);
    memcpy(blob + kl + vl + 2, type, tl + 1);
    int r = 0;
    pthread_mutex_lock(&md_lock); /* chunks of one property stay together */
    for (size_t off = 0; off < total && r == 0;) {
        struct rill_msg m;
        memset(&m, 0, sizeof(m));
        m.type = RILL_MSG_PROPERTY_SET;
        m.u.property.subject = subject;
        m.u.property.total = (uint32_t)total;
        m.u.property.offset = (uint32_t)off;
        size_t n = total - off < RILL_PROPERTY_CHUNK ? total - off : RILL_PROPERTY_CHUNK;
        m.u.property.len = (uint32_t)n;
        memcpy(m.u.property.data, blob + off, n);
        r = md_request(client->core, &m, "jack_set_property", 0);
        off += n;
    }
    pthread_mutex_unlock(&md_lock);
    free(blob);
    return r < 0 ? -1 : 0;
}

/* REMOVE op; returns the count removed or -1. */
static int remove_request(jack_client_t *client, uint32_t op, jack_uuid_t subject,
                          const char *key, const char *what)
{
    if (!client)
        return -1;
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PROPERTY_REMOVE;
    m.u.property.op = op;
    m.u.property.subject = subject;
    if (key) {
        if (strlen(key) >= RILL_PROPERTY_KEY_SIZE)
            return -1;
        memcpy(m.u.property.data, key, strlen(key) + 1);
    }
    if (md_request(client->core, &m, what, 1) < 0)
        return -1;
    return (int)m.u.property.total;
}

/* Any non-realtime thread. 0, or -1 when there is no such property. */
int jack_remove_property(jack_client_t *client, jack_uuid_t subject, const char *key)
{
    if (!key)
        return -1;
    return remove_request(client, RILL_PROPERTY_ONE, subject, key, __func__) < 0 ? -1 : 0;
}

/* Any non-realtime thread. Count removed, or -1. */
int jack_remove_properties(jack_client_t *client, jack_uuid_t subject)
{
    return remove_request(client, RILL_PROPERTY_SUBJECT, subject, NULL, __func__);
}

/* Any non-realtime thread. 0 or -1. */
int jack_remove_all_properties(jack_client_t *client)
{
    return remove_request(client, RILL_PROPERTY_ALL, 0, NULL, __func__) < 0 ? -1 : 0;
}

/* ---- reading */

/* Fetch the records op selects into a malloc'd buffer (*len bytes; NULL
 * when none). 0 or -1. md_lock held. */
static int fetch(uint32_t op, jack_uuid_t subject, const char *key, char **out, size_t *len,
                 const char *what)
{
    *out = NULL;
    *len = 0;
    struct rill_client *core = control_conn(what);
    if (!core)
        return -1;
    for (int attempt = 0; attempt < 8; attempt++) {
        char *buf = NULL;
        uint64_t version = 0;
        uint32_t total = 0, have = 0;
        int changed = 0;
        do {
            struct rill_msg m;
            memset(&m, 0, sizeof(m));
            m.type = RILL_MSG_PROPERTY_READ;
            m.u.property.op = op;
            m.u.property.subject = subject;
            m.u.property.offset = have;
            if (key)
                memcpy(m.u.property.data, key, strlen(key) + 1);
            if (md_request(core, &m, what, 0) < 0) {
                free(buf);
                return -1;
            }
            if (have == 0) {
                version = m.u.property.version;
                total = m.u.property.total;
                if (total == 0)
                    return 0;
                /* the most a rill server holds: its store's bytes, and a
                 * record header (subject, three lengths) per property */
                if ((uint64_t)total > (uint64_t)RILL_METADATA_MAX_BYTES +
                                          (uint64_t)RILL_METADATA_MAX_PROPERTIES * 20u) {
                    rill_jack_error("%s: the server announced %u bytes of properties, more "
                                    "than a rill server holds; not reading them",
                                    what, total);
                    return -1;
                }
                buf = malloc(total);
                if (!buf)
                    return -1;
            } else if (m.u.property.version != version || m.u.property.total != total) {
                changed = 1;
                break;
            }
            uint32_t n = m.u.property.len;
            if (n == 0 || n > RILL_PROPERTY_CHUNK || n > total - have) {
                free(buf);
                return -1;
            }
            memcpy(buf + have, m.u.property.data, n);
            have += n;
        } while (have < total);
        if (!changed) {
            *out = buf;
            *len = total;
            return 0;
        }
        free(buf); /* the store changed between chunks: read it again */
    }
    return -1;
}

/* Any non-realtime thread. 0 with *value (and *type, NULL when none)
 * malloc'd, or -1 when subject has no such key. */
int jack_get_property(jack_uuid_t subject, const char *key, char **value, char **type)
{
    if (!key || !value || strlen(key) >= RILL_PROPERTY_KEY_SIZE)
        return -1;
    char *buf;
    size_t len, pos = 0;
    pthread_mutex_lock(&md_lock);
    int r = fetch(RILL_PROPERTY_ONE, subject, key, &buf, &len, __func__);
    pthread_mutex_unlock(&md_lock);
    struct rill_jack_record rec;
    if (r < 0 || !buf || rill_jack_record_next(buf, len, &pos, &rec) != 1) {
        free(buf);
        return -1;
    }
    *value = strdup(rec.value);
    if (type)
        *type = rec.type[0] ? strdup(rec.type) : NULL;
    free(buf);
    return *value ? 0 : -1;
}

/* Any non-realtime thread. Number of properties of subject, or -1. */
int jack_get_properties(jack_uuid_t subject, jack_description_t *desc)
{
    if (!desc)
        return -1;
    memset(desc, 0, sizeof(*desc));
    desc->subject = subject;
    char *buf;
    size_t len;
    pthread_mutex_lock(&md_lock);
    int r = fetch(RILL_PROPERTY_SUBJECT, subject, NULL, &buf, &len, __func__);
    pthread_mutex_unlock(&md_lock);
    if (r < 0)
        return -1;
    r = rill_jack_records_to_desc(buf, len, desc);
    free(buf);
    return r;
}

/* Any non-realtime thread. Number of subjects with properties (*descs: a
 * malloc'd array, NULL when 0), or -1. */
int jack_get_all_properties(jack_description_t **descs)
{
    if (!descs)
        return -1;
    *descs = NULL;
    char *buf;
    size_t len;
    pthread_mutex_lock(&md_lock);
    int r = fetch(RILL_PROPERTY_ALL, 0, NULL, &buf, &len, __func__);
    pthread_mutex_unlock(&md_lock);
    if (r < 0)
        return -1;
    r = rill_jack_records_to_descs(buf, len, descs);
    free(buf);
    return r;
}

/* Only while inactive. Any non-realtime thread. */
int jack_set_property_change_callback(jack_client_t *client,
                                      JackPropertyChangeCallback callback, void *arg)
{
    if (!client || rill_jack_refuse_when_active(client, __func__))
        return -1;
    pthread_mutex_lock(&client->cb_lock);
    client->cb.property_change = callback;
    client->cb.property_change_arg = arg;
    pthread_mutex_unlock(&client->cb_lock);
    return 0;
}

/* Notification thread: EV_PROPERTY. An empty key means every property (of
 * the subject, or of all subjects when it is 0). */
void rill_jack_property_event(struct _jack_client *c, const struct rill_jack_callbacks *cb,
                              const struct rill_msg *ev)
{
    (void)c;
    if (!cb->property_change)
        return;
    char key[RILL_PROPERTY_KEY_SIZE] = "";
    if (ev->u.property_event.has_key) {
        memcpy(key, ev->u.property_event.key, sizeof(key));
        key[sizeof(key) - 1] = '\0';
    }
    cb->property_change(ev->u.property_event.subject, key,
                        (jack_property_change_t)ev->u.property_event.change,
                        cb->property_change_arg);
}

/* ---- identity */

/* malloc'd decimal uuid of client (jack_free). Any thread but realtime. */
char *jack_client_get_uuid(jack_client_t *client)
{
    if (!client)
        return NULL;
    char *s = malloc(JACK_UUID_STRING_SIZE);
    if (s)
        jack_uuid_unparse(rill_client_uuid(client->core), s);
    return s;
}

/* The pid of the client called name on the default server, or 0 when there
 * is none. Any non-realtime thread. */
int jack_get_client_pid(const char *name)
{
    if (!name)
        return 0;
    int pid = 0;
    pthread_mutex_lock(&md_lock);
    struct rill_client *core = control_conn(__func__);
    if (core) {
        const struct rill_shm_state *st = rill_client_state(core);
        struct rill_shm_client cl;
        int slot = rill_registry_find_client(st, name);
        if (slot >= 0 && rill_registry_client(st, (uint32_t)slot, &cl) == 0)
            pid = cl.pid;
    }
    pthread_mutex_unlock(&md_lock);
    return pid;
}

/* JACK's uuid helpers. Any thread. */
static _Atomic uint32_t uuid_cnt;

jack_uuid_t jack_client_uuid_generate(void)
{
    /* JACK's layout: type 2 (client) in the high half, a counter below */
    /* relaxed: only uniqueness matters, no other data is published */
    uint32_t n = atomic_fetch_add_explicit(&uuid_cnt, 1, memory_order_relaxed) + 1;
    return ((jack_uuid_t)2 << 32) | n;
}

jack_uuid_t jack_port_uuid_generate(uint32_t port_id)
{
    return ((jack_uuid_t)1 << 32) | (port_id + 1);
}

uint32_t jack_uuid_to_index(jack_uuid_t u)
{
    return (uint32_t)(u & 0xffff) - 1;
}

int jack_uuid_compare(jack_uuid_t a, jack_uuid_t b)
{
    return a == b ? 0 : a < b ? -1 : 1;
}

void jack_uuid_copy(jack_uuid_t *dst, jack_uuid_t src)
{
    if (dst)
        *dst = src;
}

void jack_uuid_clear(jack_uuid_t *u)
{
    if (u)
        *u = 0;
}

int jack_uuid_empty(jack_uuid_t u)
{
    return u == 0;
}
