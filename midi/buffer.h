/* midi/buffer.h — MIDI event buffers with JACK MIDI semantics.
 *
 * A MIDI port's buffer is a port buffer of the pool (pool_stride bytes), laid
 * out as:
 *
 *   +--------------------+---------------------+ .. free .. +----------------+
 *   | header (32 bytes)  | rec[0] rec[1] ...   |            | data ... data  |
 *   +--------------------+---------------------+            +----------------+
 *   0                    32      grows ->                 <- grows      size
 *
 *   header: magic, size (bytes of the whole buffer), nframes (the period:
 *           every event time is < nframes), count (events), data_used
 *           (bytes at the end holding event data), lost (events that did not
 *           fit, JACK's "lost event count").
 *   rec:    12 bytes per event: time, size, and either the data itself
 *           (size <= 4: a note, a controller...) or the data's offset from
 *           the start of the buffer (larger events, e.g. SysEx).
 *
 * Events are sorted by time; equal times keep the order they were written
 * in. An all-zero buffer (what the engine hands out for a new port, and
 * what a failed client's outputs are zeroed to) is a valid EMPTY buffer for
 * every reader; it has no capacity, so writing needs rill_midi_init first
 * (the client core does that for its MIDI outputs every cycle when needed).
 *
 * Writers never write outside [buf, buf + size): an event that does not fit
 * is refused and counted in lost. Readers never read outside it either: a
 * buffer written by another process is read through one validated copy of
 * its header (rill_midi_snapshot, rill_midi_merge), never through its live
 * header, which its writer may change at any time; and each event is
 * checked again when it is read.
 *
 * Every function is RT-safe (no allocation, no lock, no syscall) and works
 * on one buffer from one thread at a time: the owner's realtime thread
 * writes, readers read after the cycle's activation ordering.
 */
#ifndef RILL_MIDI_BUFFER_H
#define RILL_MIDI_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#define RILL_MIDI_MAGIC 0x444d4c52u /* "RLMD" in memory */

struct rill_midi_header {
    uint32_t magic;     /* RILL_MIDI_MAGIC, or 0 with everything else 0: empty */
    uint32_t size;      /* bytes of the whole buffer, header included */
    uint32_t nframes;   /* event times are < nframes */
    uint32_t count;     /* events */
    uint32_t data_used; /* bytes of event data at the end of the buffer */
    uint32_t lost;      /* events refused for lack of space */
    uint32_t reserved[2];
};

struct rill_midi_rec {
    uint32_t time;
    uint32_t size;
    union {
        uint32_t offset;    /* size > 4: data at buf + offset */
        uint8_t inline_[4]; /* size <= 4: the data itself */
    } u;
};

#define RILL_MIDI_HEADER_SIZE ((size_t)sizeof(struct rill_midi_header))
#define RILL_MIDI_REC_SIZE ((size_t)sizeof(struct rill_midi_rec))
#define RILL_MIDI_INLINE_MAX 4u

/* Make buf an empty buffer of size bytes for a period of nframes. Returns 0,
 * or -EINVAL when size is smaller than the header or larger than 4 GiB, or
 * nframes is 0. RT-safe. */
int rill_midi_init(void *buf, size_t size, uint32_t nframes);

/* 0 when buf (at most size bytes readable) is a valid buffer: all-zero
 * header (empty), or a header whose records and data lie inside its own
 * size, which is <= size. -EINVAL otherwise. RT-safe. */
int rill_midi_check(const void *buf, size_t size);

/* 1 when buf has a valid initialised header (not all-zero) of exactly size
 * bytes and period nframes, else 0. RT-safe. */
int rill_midi_is_ready(const void *buf, size_t size, uint32_t nframes);

/* Events in buf; 0 for an empty or invalid buffer. RT-safe. */
uint32_t rill_midi_count(const void *buf);

/* Event index of buf: its time, data and size. Returns 0, -EINVAL for an
 * invalid buffer, -ENODATA when index >= count, -EPROTO when the event's
 * record points outside the buffer (corrupt). It trusts the size in buf's
 * header: use it on buffers only this process writes (a client's own port
 * buffers); a buffer another process owns goes through rill_midi_snapshot
 * and rill_midi_get_snapshot. RT-safe. */
int rill_midi_get(const void *buf, uint32_t index, uint32_t *time, const uint8_t **data,
                  size_t *size);

/* One copy of buf's header, validated against limit (the bytes that really
 * are readable at buf): 0 with *out the copy (all zero for an empty
 * buffer), or -EINVAL with *out all zero. Another process may rewrite the
 * header afterwards: reads through the copy stay inside [buf, buf +
 * out->size), and out->size <= limit. RT-safe. */
int rill_midi_snapshot(const void *buf, size_t limit, struct rill_midi_header *out);

/* rill_midi_get through a snapshot: the event's record and data are read
 * within the snapshot's count and size, never the live header. Same
 * returns. RT-safe. */
int rill_midi_get_snapshot(const void *buf, const struct rill_midi_header *snap, uint32_t index,
                           uint32_t *time, const uint8_t **data, size_t *size);

/* Reserve size bytes for an event at time; *data points at them. Returns 0;
 * -EINVAL for a buffer that is not initialised, size 0, time >= nframes or
 * time earlier than the last event's; -ENOBUFS when the event does not fit
 * (then lost is incremented). RT-safe. */
int rill_midi_reserve(void *buf, uint32_t time, size_t size, uint8_t **data);

/* rill_midi_reserve and copy data in. Same returns. RT-safe. */
int rill_midi_write(void *buf, uint32_t time, const uint8_t *data, size_t size);

/* Remove every event and reset lost, keeping size and nframes. A buffer that
 * is not initialised is left as it is. RT-safe. */
void rill_midi_clear(void *buf);

/* Lost events of buf (0 for empty or invalid). RT-safe. */
uint32_t rill_midi_lost(const void *buf);

/* The largest event that rill_midi_reserve would accept now (0 when none, or
 * the buffer is not initialised). RT-safe. */
size_t rill_midi_max_event_size(const void *buf);

/* A merge's cursor in one source: the next event, and the validated
 * snapshot of the source's header (count, size) it reads through. */
struct rill_midi_cursor {
    uint32_t pos;
    uint32_t count;
    uint32_t size;
};

/* Merge the events of nsrcs source buffers (each at most src_size bytes
 * readable; invalid ones are skipped and -EPROTO is returned after the
 * merge) into dst, which is initialised first (size, nframes). Each
 * source's header is copied and validated once (rill_midi_snapshot), and
 * every read of it is bounded by that copy, so a source whose writer
 * rewrites its header meanwhile is never read outside its src_size bytes.
 * The result is sorted by time and stable: equal times come in source
 * order, then in each source's own order. Events that do not fit, or whose
 * time is >= nframes, are counted in dst's lost, as are the sources' own
 * lost counts. cur is scratch space for nsrcs cursors. Returns 0, -EINVAL
 * for bad arguments (dst is left empty when it can be), or -EPROTO.
 * RT-safe: at most (sum of the validated counts) rounds of nsrcs steps. */
int rill_midi_merge(void *dst, size_t size, uint32_t nframes, const void *const *srcs,
                    struct rill_midi_cursor *cur, size_t nsrcs, size_t src_size);

#endif
