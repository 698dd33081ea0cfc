/* clients/alsa/volume.c — the volume values in rilld's metadata (volume.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/alsa/volume.h"

static const char *const keys[RILL_VOL_COUNT] = {
    "urn:rill:alsa:playback-volume",
    "urn:rill:alsa:playback-switch",
    "urn:rill:alsa:capture-volume",
    "urn:rill:alsa:capture-switch",
};

/* Any thread. */
const char *rill_volume_key(int i)
{
    return i >= 0 && i < RILL_VOL_COUNT ? keys[i] : NULL;
}

/* The uuid of the system client (slot 0), 0 when unknown. */
static uint64_t system_uuid(struct rill_client *c)
{
    struct rill_shm_client cl;
    if (rill_registry_client(rill_client_state(c), 0, &cl) < 0)
        return 0;
    return cl.uuid;
}

/* Read one value: the record's value text, or -ENOENT. */
static int read_one(struct rill_client *c, uint64_t subject, int i, long *out)
{
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PROPERTY_READ;
    m.u.property.op = RILL_PROPERTY_ONE;
    m.u.property.subject = subject;
    snprintf(m.u.property.data, sizeof(m.u.property.data), "%s", keys[i]);
    int r = rill_client_request(c, &m);
    if (r < 0)
        return r;
    /* one record: u64 subject, u32 lengths of key, value, type, then the
     * three strings; a short value fits the first chunk */
    uint32_t total = m.u.property.total, n = m.u.property.len;
    if (total == 0)
        return -ENOENT;
    if (n < 20 || n != total || n > RILL_PROPERTY_CHUNK)
        return -EPROTO;
    uint32_t lens[3];
    memcpy(lens, m.u.property.data + 8, sizeof(lens));
    size_t p = 20 + (size_t)lens[0] + 1;
    if (lens[0] >= n || lens[1] > 32 || p + lens[1] >= n || m.u.property.data[p + lens[1]])
        return -EPROTO;
    char text[40];
    memcpy(text, m.u.property.data + p, lens[1] + 1);
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text)
        return -EPROTO;
    *out = v;
    return 0;
}

static long clamp(int i, long v)
{
    long max = (i == RILL_VOL_PLAYBACK || i == RILL_VOL_CAPTURE) ? RILL_VOL_MAX : 1;
    return v < 0 ? 0 : v > max ? max : v;
}

/* Non-realtime thread. */
int rill_volume_read(struct rill_client *c, long v[RILL_VOL_COUNT])
{
    uint64_t subject = system_uuid(c);
    for (int i = 0; i < RILL_VOL_COUNT; i++) {
        long x;
        int r = subject ? read_one(c, subject, i, &x) : -ENOENT;
        if (r == -ENOENT || r == -EPROTO)
            x = (i == RILL_VOL_PLAYBACK || i == RILL_VOL_CAPTURE) ? RILL_VOL_MAX : 1;
        else if (r < 0)
            return r;
        v[i] = clamp(i, x);
    }
    return 0;
}

/* Non-realtime thread. */
int rill_volume_write(struct rill_client *c, int i, long v)
{
    if (i < 0 || i >= RILL_VOL_COUNT)
        return -EINVAL;
    uint64_t subject = system_uuid(c);
    if (!subject)
        return -ENOENT;
    char val[24];
    int vl = snprintf(val, sizeof(val), "%ld", clamp(i, v));
    size_t kl = strlen(keys[i]);
    struct rill_msg m;
    memset(&m, 0, sizeof(m));
    m.type = RILL_MSG_PROPERTY_SET;
    m.u.property.subject = subject;
    size_t total = kl + 1 + (size_t)vl + 1 + 1; /* key\0value\0\0 (no type) */
    m.u.property.total = (uint32_t)total;
    m.u.property.offset = 0;
    m.u.property.len = (uint32_t)total;
    memcpy(m.u.property.data, keys[i], kl + 1);
    memcpy(m.u.property.data + kl + 1, val, (size_t)vl + 1);
    m.u.property.data[kl + 1 + (size_t)vl + 1] = '\0';
    return rill_client_request(c, &m);
}

/* Any thread. */
float rill_volume_gain(long volume, long on)
{
    if (!on || volume <= 0)
        return 0.0f;
    if (volume >= RILL_VOL_MAX)
        return 1.0f;
    float x = (float)volume / (float)RILL_VOL_MAX;
    return x * x * x;
}

/* Any thread. */
unsigned rill_volume_event_mask(struct rill_client *c, const struct rill_msg *ev)
{
    if (ev->type != RILL_EV_PROPERTY)
        return 0;
    if (ev->u.property_event.subject != system_uuid(c) && ev->u.property_event.subject != 0)
        return 0;
    unsigned all = (1u << RILL_VOL_COUNT) - 1;
    if (!ev->u.property_event.has_key)
        return all; /* every property of the subject changed or went */
    char key[sizeof(ev->u.property_event.key) + 1];
    memcpy(key, ev->u.property_event.key, sizeof(ev->u.property_event.key));
    key[sizeof(key) - 1] = '\0';
    for (int i = 0; i < RILL_VOL_COUNT; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1u << i;
    return 0;
}

/* Any thread. */
int rill_volume_event_matches(struct rill_client *c, const struct rill_msg *ev)
{
    return rill_volume_event_mask(c, ev) != 0;
}
