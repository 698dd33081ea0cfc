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
int rill_midi_snapshot(const void *buf, size_t limit, struct rill_midi_header *out)
{
    memset(out, 0, sizeof(*out));
    if (!buf || !aligned(buf) || limit < RILL_MIDI_HEADER_SIZE)
        return -EINVAL;
    struct rill_midi_header h;
    memcpy(&h, buf, sizeof(h)); /* one copy: another process may rewrite it */
    if (h.magic == 0)
        return 0; /* all-zero: empty */
    if (!header_ok(&h, limit))
        return -EINVAL;
    *out = h;
    return 0;
}

/* Event index of buf, read through a validated snapshot (count, size) of
 * its header: the record lies below RILL_MIDI_HEADER_SIZE + count records
 * and the data inside size, whatever the buffer's own header says now; each
 * record field is read once. RT-safe. */
static int get_rec(const void *buf, uint32_t count, uint32_t size, uint32_t index,
                   uint32_t *time, const uint8_t **data, size_t *dsize)
{
    if (index >= count)
        return -ENODATA;
    const uint8_t *base = buf;
    const struct rill_midi_rec *rec =
        (const struct rill_midi_rec *)(const void *)(base + RILL_MIDI_HEADER_SIZE) + index;
    uint32_t t, sz, off;
    memcpy(&t, &rec->time, sizeof(t));
    memcpy(&sz, &rec->size, sizeof(sz));
    const uint8_t *d;
    if (sz == 0)
        return -EPROTO;
    if (sz <= RILL_MIDI_INLINE_MAX) {
        d = rec->u.inline_;
    } else {
        memcpy(&off, &rec->u.offset, sizeof(off));
        uint64_t recs_end = RILL_MIDI_HEADER_SIZE + (uint64_t)count * RILL_MIDI_REC_SIZE;
        if (off < recs_end || (uint64_t)off + sz > size)
            return -EPROTO;
        d = base + off;
    }
    if (time)
        *time = t;
    if (data)
        *data = d;
    if (dsize)
        *dsize = sz;
    return 0;
}

/* RT-safe. */
int rill_midi_get_snapshot(const void *buf, const struct rill_midi_header *snap, uint32_t index,
                           uint32_t *time, const uint8_t **data, size_t *size)
{
    if (!buf || !aligned(buf) || !snap)
        return -EINVAL;
    return get_rec(buf, snap->count, snap->size, index, time, data, size);
}

/* RT-safe. */
int rill_midi_get(const void *buf, uint32_t index, uint32_t *time, const uint8_t **data,
                  size_t *size)
{
    if (!buf || !aligned(buf))
        return -EINVAL;
    struct rill_midi_header hc;
    memcpy(&hc, buf, sizeof(hc));
    if (hc.magic == 0)
        return -ENODATA; /* all-zero: empty */
    if (!header_ok(&hc, UINT32_MAX))
        return -EINVAL;
    return get_rec(buf, hc.count, hc.size, index, time, data, size);
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
                    struct rill_midi_cursor *cur, size_t nsrcs, size_t src_size)
{
    if (rill_midi_init(dst, size, nframes) < 0)
        return -EINVAL;
    if (nsrcs > 0 && (!srcs || !cur))
        return -EINVAL;
    struct rill_midi_header *h = dst;
    int ret = 0;
    uint64_t lost = 0, budget = 0;

    /* One snapshot of each source's header, validated against src_size:
     * from here on nothing of a source is read outside [0, its size), and
     * its count is the one validated, whatever its writer does to the
     * header meanwhile (another process owns it). */
    for (size_t i = 0; i < nsrcs; i++) {
        struct rill_midi_header snap;
        cur[i] = (struct rill_midi_cursor){ 0, 0, 0 };
        if (!srcs[i] || srcs[i] == dst || rill_midi_snapshot(srcs[i], src_size, &snap) < 0) {
            ret = -EPROTO; /* skipped: count 0 */
            continue;
        }
        cur[i].count = snap.count;
        cur[i].size = snap.size;
        lost += snap.lost;
        budget += snap.count;
    }

    /* Each round emits the earliest pending event; a strict "<" keeps the
     * lowest source on equal times, and each source advances in its own
     * order: a stable merge. Every round advances one cursor, and a cursor
     * stops at its snapshot's count, so there are at most `budget` rounds
     * (the sum of the validated counts, each below src_size / 12). */
    uint32_t last = 0;
    for (uint64_t round = 0; round < budget; round++) {
        size_t best = nsrcs;
        uint32_t best_t = 0;
        for (size_t i = 0; i < nsrcs; i++) {
            if (cur[i].pos >= cur[i].count)
                continue;
            uint32_t t;
            if (get_rec(srcs[i], cur[i].count, cur[i].size, cur[i].pos, &t, NULL, NULL) < 0)
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
        struct rill_midi_cursor *bc = &cur[best];
        if (get_rec(srcs[best], bc->count, bc->size, bc->pos++, &t, &d, &sz) < 0) {
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
