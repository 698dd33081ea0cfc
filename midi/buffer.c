/* midi/buffer.c — MIDI event buffers: format, writing, reading, merging
 * (midi/buffer.h). Everything here is RT-safe: no allocation, no lock, no
 * syscall, every loop bounded by the buffer's size or the sources' counts.
 */
#include "midi/buffer.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

_Static_assert(sizeof(struct rill_midi_header) == 32, "MIDI header is 32 bytes");
_Static_assert(sizeof(struct rill_midi_rec) == 12, "MIDI event record is 12 bytes");

/* 1 when p is aligned for the header's 32-bit fields. */
static int aligned(const void *p)
{
    return ((uintptr_t)p & (_Alignof(struct rill_midi_header) - 1)) == 0;
}

/* 1 when h (a copy) describes records and data inside its own size, and
 * its size is at most limit. RT-safe. */
static int header_ok(const struct rill_midi_header *h, size_t limit)
{
    if (h->magic != RILL_MIDI_MAGIC || h->size < RILL_MIDI_HEADER_SIZE || h->size > limit ||
        h->nframes == 0)
        return 0;
    uint64_t used = (uint64_t)h->count * RILL_MIDI_REC_SIZE + h->data_used;
    return used <= (uint64_t)h->size - RILL_MIDI_HEADER_SIZE;
}

/* The header of an initialised, consistent buffer, or NULL. RT-safe. */
static struct rill_midi_header *ready_header(void *buf)
{
    if (!buf || !aligned(buf))
        return NULL;
    struct rill_midi_header *h = buf;
    return header_ok(h, UINT32_MAX) ? h : NULL;
}

/* RT-safe. */
int rill_midi_init(void *buf, size_t size, uint32_t nframes)
{
    if (!buf || !aligned(buf) || size < RILL_MIDI_HEADER_SIZE || size > UINT32_MAX ||
        nframes == 0)
        return -EINVAL;
    struct rill_midi_header *h = buf;
    memset(h, 0, sizeof(*h));
    h->magic = RILL_MIDI_MAGIC;
    h->size = (uint32_t)size;
    h->nframes = nframes;
    return 0;
}

/* RT-safe. */
int rill_midi_check(const void *buf, size_t size)
{
    if (!buf || !aligned(buf) || size < RILL_MIDI_HEADER_SIZE)
        return -EINVAL;
    struct rill_midi_header h;
    memcpy(&h, buf, sizeof(h)); /* one snapshot: another process may own it */
    if (h.magic == 0)
        return 0; /* all-zero: empty */
    return header_ok(&h, size) ? 0 : -EINVAL;
}

/* RT-safe. */
int rill_midi_is_ready(const void *buf, size_t size, uint32_t nframes)
{
    if (!buf || !aligned(buf) || size < RILL_MIDI_HEADER_SIZE)
        return 0;
    const struct rill_midi_header *h = buf;
    return header_ok(h, size) && h->size == size && h->nframes == nframes;
}

/* RT-safe. */
uint32_t rill_midi_count(const void *buf)
{
    const struct rill_midi_header *h = ready_header((void *)buf);
    return h ? h->count : 0;
}

/* RT-safe. */
int rill_midi_get(const void *buf, uint32_t index, uint32_t *time, const uint8_t **data,
                  size_t *size)
{
    if (!buf || !aligned(buf))
        return -EINVAL;
    const struct rill_midi_header *h = buf;
    if (h->magic == 0)
        return -ENODATA; /* all-zero: empty */
    struct rill_midi_header hc;
    memcpy(&hc, h, sizeof(hc));
    if (!header_ok(&hc, UINT32_MAX))
        return -EINVAL;
    if (index >= hc.count)
        return -ENODATA;
    const uint8_t *base = buf;
    const struct rill_midi_rec *rec =
        (const struct rill_midi_rec *)(const void *)(base + RILL_MIDI_HEADER_SIZE) + index;
    uint32_t t = rec->time, sz = rec->size;
    const uint8_t *d;
    if (sz == 0)
        return -EPROTO;
    if (sz <= RILL_MIDI_INLINE_MAX) {
        d = rec->u.inline_;
    } else {
        uint64_t off = rec->u.offset;
        uint64_t recs_end = RILL_MIDI_HEADER_SIZE + (uint64_t)hc.count * RILL_MIDI_REC_SIZE;
        if (off < recs_end || off + sz > hc.size)
            return -EPROTO;
        d = base + off;
    }
    if (time)
        *time = t;
    if (data)
        *data = d;
    if (size)
        *size = sz;
    return 0;
}

/* Bytes left between the last record and the data. RT-safe. */
static size_t free_bytes(const struct rill_midi_header *h)
{
    return (size_t)h->size - RILL_MIDI_HEADER_SIZE - (size_t)h->count * RILL_MIDI_REC_SIZE -
           h->data_used;
}

/* RT-safe. */
int rill_midi_reserve(void *buf, uint32_t time, size_t size, uint8_t **data)
{
    struct rill_midi_header *h = ready_header(buf);
    if (!h || size == 0 || time >= h->nframes)
        return -EINVAL;
    uint8_t *base = buf;
    struct rill_midi_rec *recs = (struct rill_midi_rec *)(void *)(base + RILL_MIDI_HEADER_SIZE);
    if (h->count > 0 && recs[h->count - 1].time > time)
        return -EINVAL; /* events must be written in time order */
    size_t need = RILL_MIDI_REC_SIZE + (size > RILL_MIDI_INLINE_MAX ? size : 0);
    if (size > UINT32_MAX || need > free_bytes(h)) {
        if (h->lost < UINT32_MAX)
            h->lost++;
        return -ENOBUFS;
    }
    struct rill_midi_rec *rec = &recs[h->count];
    rec->time = time;
    rec->size = (uint32_t)size;
    uint8_t *d;
    if (size <= RILL_MIDI_INLINE_MAX) {
        rec->u.offset = 0;
        d = rec->u.inline_;
    } else {
        h->data_used += (uint32_t)size;
        rec->u.offset = h->size - h->data_used;
        d = base + rec->u.offset;
    }
    h->count++;
    if (data)
        *data = d;
    return 0;
}

/* RT-safe. */
int rill_midi_write(void *buf, uint32_t time, const uint8_t *data, size_t size)
{
    if (!data && size > 0)
        return -EINVAL;
    uint8_t *d;
    int r = rill_midi_reserve(buf, time, size, &d);
    if (r < 0)
        return r;
    memcpy(d, data, size);
    return 0;
}

/* RT-safe. */
void rill_midi_clear(void *buf)
{
    struct rill_midi_header *h = ready_header(buf);
    if (!h)
        return;
    h->count = 0;
    h->data_used = 0;
    h->lost = 0;
}

/* RT-safe. */
uint32_t rill_midi_lost(const void *buf)
{
    const struct rill_midi_header *h = ready_header((void *)buf);
    return h ? h->lost : 0;
}

/* RT-safe. */
size_t rill_midi_max_event_size(const void *buf)
{
    const struct rill_midi_header *h = ready_header((void *)buf);
    if (!h)
        return 0;
    size_t avail = free_bytes(h);
    if (avail < RILL_MIDI_REC_SIZE)
        return 0;
    avail -= RILL_MIDI_REC_SIZE;
    /* a small event needs its record only */
    return avail > RILL_MIDI_INLINE_MAX ? avail : RILL_MIDI_INLINE_MAX;
}

/* RT-safe; see the header. */
int rill_midi_merge(void *dst, size_t size, uint32_t nframes, const void *const *srcs,
                    uint32_t *pos, size_t nsrcs, size_t src_size)
{
    if (rill_midi_init(dst, size, nframes) < 0)
        return -EINVAL;
    if (nsrcs > 0 && (!srcs || !pos))
        return -EINVAL;
    struct rill_midi_header *h = dst;
    int ret = 0;
    uint64_t lost = 0;

    for (size_t i = 0; i < nsrcs; i++) {
        pos[i] = 0;
        if (!srcs[i] || srcs[i] == dst || rill_midi_check(srcs[i], src_size) < 0) {
            pos[i] = UINT32_MAX; /* skipped */
            ret = -EPROTO;
            continue;
        }
        lost += rill_midi_lost(srcs[i]);
    }

    /* Each round emits the earliest pending event; a strict "<" keeps the
     * lowest source on equal times, and each source advances in its own
     * order: a stable merge. Every round advances one cursor, and a cursor
     * stops at its source's count, so the loop is bounded. */
    uint32_t last = 0;
    for (;;) {
        size_t best = nsrcs;
        uint32_t best_t = 0;
        for (size_t i = 0; i < nsrcs; i++) {
            if (pos[i] == UINT32_MAX || pos[i] >= rill_midi_count(srcs[i]))
                continue;
            uint32_t t;
            if (rill_midi_get(srcs[i], pos[i], &t, NULL, NULL) < 0)
                t = 0; /* corrupt record: taken (and dropped) at once */
            if (best == nsrcs || t < best_t) {
                best = i;
                best_t = t;
            }
        }
        if (best == nsrcs)
            break;
        const uint8_t *d;
        size_t sz;
        uint32_t t;
        if (rill_midi_get(srcs[best], pos[best]++, &t, &d, &sz) < 0) {
            lost++;
            ret = -EPROTO;
            continue;
        }
        if (t >= nframes) {
            lost++;
            continue;
        }
        /* a source that is not sorted cannot unsort the result */
        if (t < last)
            t = last;
        if (rill_midi_write(dst, t, d, sz) == 0)
            last = t; /* a refused event was counted in h->lost */
    }
    uint64_t total = (uint64_t)h->lost + lost;
    h->lost = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    return ret;
}
