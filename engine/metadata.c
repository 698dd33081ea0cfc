/* engine/metadata.c — the metadata store (main thread only). */
#include "engine/metadata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rill/protocol.h"

/* Main thread. */
void rill_metadata_init(struct rill_metadata *md)
{
    memset(md, 0, sizeof(*md));
}

static void prop_free(struct rill_property *p)
{
    free(p->key);
    free(p->value);
    free(p->type);
}

/* Main thread. */
void rill_metadata_clear(struct rill_metadata *md)
{
    for (size_t i = 0; i < md->count; i++)
        prop_free(&md->props[i]);
    free(md->props);
    uint64_t v = md->version;
    memset(md, 0, sizeof(*md));
    md->version = v + 1;
}

/* Bytes of p's record in a READ reply. */
static size_t record_bytes(const char *key, const char *value, const char *type)
{
    return 8 + 3 * 4 + strlen(key) + strlen(value) + strlen(type) + 3;
}

static long find(const struct rill_metadata *md, uint64_t subject, const char *key)
{
    for (size_t i = 0; i < md->count; i++)
        if (md->props[i].subject == subject && strcmp(md->props[i].key, key) == 0)
            return (long)i;
    return -1;
}

/* Main thread. */
int rill_metadata_set(struct rill_metadata *md, uint64_t subject, const char *key,
                      const char *value, const char *type, int *change)
{
    if (!key || !key[0])
        return -EINVAL;
    value = value ? value : "";
    type = type ? type : "";
    long i = find(md, subject, key);
    size_t old = i >= 0 ? record_bytes(md->props[i].key, md->props[i].value, md->props[i].type)
                        : 0;
    size_t add = record_bytes(key, value, type);
    if (md->bytes - old + add > RILL_PROPERTY_STORE_MAX)
        return -ENOSPC;
    char *v = strdup(value);
    char *t = strdup(type);
    if (!v || !t) {
        free(v);
        free(t);
        return -ENOMEM;
    }
    if (i >= 0) {
        free(md->props[i].value);
        free(md->props[i].type);
        md->props[i].value = v;
        md->props[i].type = t;
        md->bytes = md->bytes - old + add;
        *change = RILL_PROPERTY_CHANGED;
        md->version++;
        return 0;
    }
    char *k = strdup(key);
    if (!k)
        goto nomem;
    if (md->count == md->cap) {
        size_t cap = md->cap ? md->cap * 2 : 16;
        struct rill_property *np = realloc(md->props, cap * sizeof(*np));
        if (!np)
            goto nomem_key;
        md->props = np;
        md->cap = cap;
    }
    md->props[md->count++] = (struct rill_property){ subject, k, v, t };
    md->bytes += add;
    *change = RILL_PROPERTY_CREATED;
    md->version++;
    return 0;
nomem_key:
    free(k);
nomem:
    free(v);
    free(t);
    return -ENOMEM;
}

/* Main thread. */
const struct rill_property *rill_metadata_get(const struct rill_metadata *md, uint64_t subject,
                                              const char *key)
{
    long i = key ? find(md, subject, key) : -1;
    return i >= 0 ? &md->props[i] : NULL;
}

/* Remove entry i, keeping the order of the others. */
static void remove_at(struct rill_metadata *md, size_t i)
{
    md->bytes -= record_bytes(md->props[i].key, md->props[i].value, md->props[i].type);
    prop_free(&md->props[i]);
    memmove(&md->props[i], &md->props[i + 1], (md->count - i - 1) * sizeof(md->props[0]));
    md->count--;
    md->version++;
}

/* Main thread. */
int rill_metadata_remove(struct rill_metadata *md, uint64_t subject, const char *key)
{
    long i = key ? find(md, subject, key) : -1;
    if (i < 0)
        return -ENOENT;
    remove_at(md, (size_t)i);
    return 0;
}

/* Main thread. */
int rill_metadata_remove_subject(struct rill_metadata *md, uint64_t subject)
{
    int n = 0;
    for (size_t i = md->count; i-- > 0;)
        if (md->props[i].subject == subject) {
            remove_at(md, i);
            n++;
        }
    return n;
}

/* Main thread. */
int rill_metadata_remove_all(struct rill_metadata *md)
{
    int n = (int)md->count;
    rill_metadata_clear(md);
    return n;
}

static size_t record_size(const struct rill_property *p)
{
    return record_bytes(p->key, p->value, p->type);
}

static char *put_record(char *o, const struct rill_property *p)
{
    uint32_t lens[3] = { (uint32_t)strlen(p->key), (uint32_t)strlen(p->value),
                         (uint32_t)strlen(p->type) };
    memcpy(o, &p->subject, 8);
    memcpy(o + 8, lens, sizeof(lens));
    o += 8 + sizeof(lens);
    const char *s[3] = { p->key, p->value, p->type };
    for (int k = 0; k < 3; k++) {
        memcpy(o, s[k], lens[k] + 1);
        o += lens[k] + 1;
    }
    return o;
}

static int selected(const struct rill_property *p, uint32_t op, uint64_t subject, const char *key)
{
    switch (op) {
    case RILL_PROPERTY_ONE:
        return p->subject == subject && key && strcmp(p->key, key) == 0;
    case RILL_PROPERTY_SUBJECT:
        return p->subject == subject;
    default:
        return 1;
    }
}

/* Main thread. */
int rill_metadata_serialise(const struct rill_metadata *md, uint32_t op, uint64_t subject,
                            const char *key, char **out, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < md->count; i++)
        if (selected(&md->props[i], op, subject, key))
            total += record_size(&md->props[i]);
    *out = NULL;
    *len = total;
    if (!total)
        return 0;
    char *buf = malloc(total);
    if (!buf)
        return -ENOMEM;
    char *o = buf;
    for (size_t i = 0; i < md->count; i++)
        if (selected(&md->props[i], op, subject, key))
            o = put_record(o, &md->props[i]);
    *out = buf;
    return 0;
}
