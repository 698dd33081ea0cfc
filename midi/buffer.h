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
 * buffer written by another process is checked (rill_midi_check) before it
 * is used, and each event is checked again when it is read.
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
 * record points outside the buffer (corrupt). RT-safe. */
int rill_midi_get(const void *buf, uint32_t index, uint32_t *time, const uint8_t **data,
                  size_t *size);

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

/* Merge the events of nsrcs source buffers (each at most src_size bytes,
 * checked with rill_midi_check; invalid ones are skipped and -EPROTO is
 * returned after the merge) into dst, which is initialised first (size,
 * nframes). The result is sorted by time and stable: equal times come in
 * source order, then in each source's own order. Events that do not fit, or
 * whose time is >= nframes, are counted in dst's lost, as are the sources'
 * own lost counts. pos is scratch space for nsrcs cursors. Returns 0,
 * -EINVAL for bad arguments (dst is left empty when it can be), or -EPROTO.
 * RT-safe: bounded by the total number of source events times nsrcs. */
int rill_midi_merge(void *dst, size_t size, uint32_t nframes, const void *const *srcs,
                    uint32_t *pos, size_t nsrcs, size_t src_size);

#endif
