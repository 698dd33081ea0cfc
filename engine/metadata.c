/* engine/metadata.c — the metadata store (main thread only). */
#include "engine/metadata.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rill/protocol.h"

/* Main thread. */
void rill_metadata_init(struct rill_metadata *md)
{
    memset(md, 0, sizeof(*md));
    md->max_props = RILL_METADATA_MAX_PROPERTIES;
    md->max_bytes = RILL_METADATA_MAX_BYTES;
}

/* Bytes of p's strings in the store and in a record, \0 included. */
static size_t prop_bytes(const struct rill_property *p)
{
    return (size_t)p->len[0] + p->len[1] + p->len[2] + 3;
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
    md->props = NULL;
    md->count = md->cap = md->bytes = 0;
    md->version++;
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
    uint32_t len[3] = { (uint32_t)strlen(key), (uint32_t)strlen(value), (uint32_t)strlen(type) };
    long i = find(md, subject, key);
    size_t add = (size_t)len[0] + len[1] + len[2] + 3;
    size_t old = i >= 0 ? prop_bytes(&md->props[i]) : 0;
    if (i < 0 && md->count >= md->max_props)
        return -ENOSPC;
    if (md->bytes - old + add > md->max_bytes)
        return -ENOSPC;
    char *v = strdup(value);
    char *t = strdup(type);
    if (!v || !t) {
        free(v);
        free(t);
        return -ENOMEM;
    }
    if (i >= 0) {
        struct rill_property *p = &md->props[i];
        free(p->value);
        free(p->type);
        p->value = v;
        p->type = t;
        p->len[1] = len[1];
        p->len[2] = len[2];
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
    md->props[md->count++] =
        (struct rill_property){ subject, k, v, t, { len[0], len[1], len[2] } };
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
    md->bytes -= prop_bytes(&md->props[i]);
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

/* A READ record: u64 subject, u32 lengths of key, value and type, then the
 * three strings each with its \0. */
#define RECORD_HEAD 20u

static size_t record_size(const struct rill_property *p)
{
    return RECORD_HEAD + prop_bytes(p);
}

/* Copy bytes from.. (at most n) of p's record into dst; returns the count. */
static size_t record_copy(const struct rill_property *p, size_t from, char *dst, size_t n)
{
    char head[RECORD_HEAD];
    memcpy(head, &p->subject, 8);
    memcpy(head + 8, p->len, sizeof(p->len));
    const char *part[4] = { head, p->key, p->value, p->type };
    size_t size[4] = { RECORD_HEAD, (size_t)p->len[0] + 1, (size_t)p->len[1] + 1,
                       (size_t)p->len[2] + 1 };
    size_t done = 0;
    for (int k = 0; k < 4 && done < n; k++) {
        if (from >= size[k]) {
            from -= size[k];
            continue;
        }
        size_t c = size[k] - from < n - done ? size[k] - from : n - done;
        memcpy(dst + done, part[k] + from, c);
        done += c;
        from = 0;
    }
    return done;
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

/* 1 when cur continues a read of this selection at offset. */
static int cursor_fits(const struct rill_metadata *md, const struct rill_metadata_cursor *cur,
                       uint32_t op, uint64_t subject, const char *key, size_t offset)
{
    return cur->valid && cur->version == md->version && cur->op == op &&
           cur->subject == subject && cur->offset == offset &&
           (op != RILL_PROPERTY_ONE || (key && strcmp(cur->key, key) == 0));
}

/* Main thread. */
int rill_metadata_read(const struct rill_metadata *md, struct rill_metadata_cursor *cur,
                       uint32_t op, uint64_t subject, const char *key, size_t offset, char *dst,
                       size_t cap, size_t *n, size_t *total)
{
    *n = 0;
    if (!cursor_fits(md, cur, op, subject, key, offset)) {
        /* a new read (or one that skipped about): one pass for the total
         * and the position of offset */
        memset(cur, 0, sizeof(*cur));
        if (op == RILL_PROPERTY_ONE && key)
            snprintf(cur->key, sizeof(cur->key), "%s", key);
        cur->op = op;
        cur->subject = subject;
        cur->version = md->version;
        cur->index = md->count;
        size_t at = 0;
        for (size_t i = 0; i < md->count; i++) {
            if (!selected(&md->props[i], op, subject, key))
                continue;
            size_t rs = record_size(&md->props[i]);
            if (cur->index == md->count && offset < at + rs) {
                cur->index = i;
                cur->within = offset - at;
            }
            at += rs;
        }
        cur->total = at;
        cur->offset = offset;
        if (offset > at) {
            *total = at;
            return -EINVAL;
        }
        cur->valid = 1;
    }
    *total = cur->total;
    while (*n < cap && cur->index < md->count) {
        const struct rill_property *p = &md->props[cur->index];
        if (!selected(p, op, subject, key)) {
            cur->index++;
            continue;
        }
        size_t c = record_copy(p, cur->within, dst + *n, cap - *n);
        *n += c;
        cur->within += c;
        if (cur->within == record_size(p)) {
            cur->index++;
            cur->within = 0;
        }
    }
    cur->offset += *n;
    return 0;
}
