/* tests/fuzz/fuzz-midi.c — MIDI event buffers as another process may leave
 * them in shared memory (midi/buffer.h): the readers, the merge of several
 * sources into an input port's buffer, and writing into a buffer whose
 * header a peer has corrupted.
 *
 * Readers go through rill_midi_snapshot / rill_midi_get_snapshot, as for a
 * buffer another process owns, and directly once rill_midi_check passed.
 *
 * Input: a byte of flags and source count, nframes (u16), the buffer size
 * (u16, rounded up to 4 bytes), then each source's bytes (as many as the
 * size, zero-filled when the input runs out), then the events to write.
 * Checked: no read or write outside a buffer (ASan), and every result the
 * header promises: the merged buffer passes rill_midi_check, its events are
 * sorted, inside the period and inside the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "midi/buffer.h"
#include "tests/fuzz/fuzz.h"

#define MAX_SRCS 4u
#define MAX_SIZE 4096u

/* Everything a reader may do with buf of size bytes: through a snapshot
 * (a buffer another process owns), and, once it checked, directly. */
static void read_all(const void *buf, size_t size)
{
    struct rill_midi_header snap;
    if (rill_midi_snapshot(buf, size, &snap) == 0) {
        FUZZ_ASSERT(snap.size <= size);
        for (uint32_t i = 0; i <= snap.count && i < 4096; i++) {
            uint32_t t;
            const uint8_t *d;
            size_t sz;
            if (rill_midi_get_snapshot(buf, &snap, i, &t, &d, &sz) == 0) {
                FUZZ_ASSERT(sz > 0);
                FUZZ_ASSERT(d >= (const uint8_t *)buf && d + sz <= (const uint8_t *)buf + size);
            }
        }
    }
    if (rill_midi_check(buf, size) < 0)
        return;
    uint32_t n = rill_midi_count(buf);
    for (uint32_t i = 0; i <= n && i < 4096; i++) {
        uint32_t t;
        const uint8_t *d;
        size_t sz;
        if (rill_midi_get(buf, i, &t, &d, &sz) == 0) {
            FUZZ_ASSERT(sz > 0);
            FUZZ_ASSERT(d >= (const uint8_t *)buf && d + sz <= (const uint8_t *)buf + size);
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < sz; k++)
                sink ^= d[k];
            (void)sink;
        }
    }
    (void)rill_midi_lost(buf);
    (void)rill_midi_max_event_size(buf);
}

/* The merged buffer is what merge promises. */
static void check_merged(const void *dst, size_t size, uint32_t nframes)
{
    FUZZ_ASSERT(rill_midi_check(dst, size) == 0);
    FUZZ_ASSERT(rill_midi_is_ready(dst, size, nframes));
    uint32_t n = rill_midi_count(dst), last = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t;
        const uint8_t *d;
        size_t sz;
        FUZZ_ASSERT(rill_midi_get(dst, i, &t, &d, &sz) == 0);
        FUZZ_ASSERT(t < nframes && t >= last);
        FUZZ_ASSERT(d >= (const uint8_t *)dst && d + sz <= (const uint8_t *)dst + size);
        last = t;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in(data, size);
    uint8_t flags = fuzz_u8(&in);
    size_t nsrcs = 1 + (flags & 3u);
    uint32_t nframes = fuzz_u16(&in);
    size_t bsize = ((size_t)fuzz_u16(&in) % MAX_SIZE + 3u) & ~(size_t)3u;
    if (bsize < RILL_MIDI_HEADER_SIZE)
        bsize = RILL_MIDI_HEADER_SIZE;

    void *srcs[MAX_SRCS] = { 0 };
    struct rill_midi_cursor cur[MAX_SRCS];
    for (size_t i = 0; i < nsrcs; i++) {
        /* exactly bsize bytes: ASan sees any access past the end */
        srcs[i] = malloc(bsize);
        if (!srcs[i])
            goto out;
        fuzz_fill(&in, srcs[i], bsize);
        read_all(srcs[i], bsize);
    }

    /* the input port's own buffer: a size of its own, maybe smaller */
    size_t dsize = (flags & 4u) ? bsize / 2 : bsize;
    if (dsize < RILL_MIDI_HEADER_SIZE)
        dsize = RILL_MIDI_HEADER_SIZE;
    dsize &= ~(size_t)3u;
    void *dst = malloc(dsize);
    if (!dst)
        goto out;
    int r = rill_midi_merge(dst, dsize, nframes, (const void *const *)srcs, cur, nsrcs, bsize);
    if (nframes == 0)
        FUZZ_ASSERT(r == -EINVAL);
    else
        check_merged(dst, dsize, nframes);

    /* a peer overwrote srcs[0]; its owner writes into it if it looks ready
     * (the client core keeps a ready output buffer's events) */
    if (rill_midi_is_ready(srcs[0], bsize, nframes)) {
        for (int k = 0; k < 64 && in.n; k++) {
            uint32_t t = fuzz_u16(&in);
            size_t len;
            const uint8_t *ev = fuzz_bytes(&in, 1 + fuzz_u8(&in) % 16u, &len);
            if (len == 0)
                break;
            if ((flags & 8u) && k == 3)
                rill_midi_clear(srcs[0]);
            (void)rill_midi_write(srcs[0], t, ev, len);
            FUZZ_ASSERT(rill_midi_check(srcs[0], bsize) == 0);
        }
        read_all(srcs[0], bsize);
    }
    free(dst);
out:
    for (size_t i = 0; i < nsrcs; i++)
        free(srcs[i]);
    return 0;
}
