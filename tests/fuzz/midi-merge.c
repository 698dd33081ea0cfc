/* tests/fuzz/midi-merge.c — libFuzzer harness for the MIDI buffer readers
 * that take buffers another process wrote (midi/buffer.c): the input is cut
 * into up to four source buffers of SRC_SIZE bytes (whatever their headers
 * say), which are snapshotted, read event by event and merged. Nothing may
 * be read outside a source (ASan), the merge must end, and its result must
 * be a valid buffer sorted by time.
 *
 * Build: clang -fsanitize=fuzzer,address -I. tests/fuzz/midi-merge.c
 * midi/buffer.c; seeds in tests/fuzz/midi-merge/seeds/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/buffer.h"

#define SRC_SIZE 512u
#define MAX_SRCS 4u
#define DST_SIZE 2048u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* each source its own heap block of exactly SRC_SIZE bytes, so that ASan
     * sees any read past it */
    void *srcs[MAX_SRCS] = { 0 };
    size_t n = 0;
    while (n < MAX_SRCS && size > 0) {
        size_t take = size < SRC_SIZE ? size : SRC_SIZE;
        srcs[n] = aligned_alloc(64, SRC_SIZE);
        if (!srcs[n])
            break;
        memset(srcs[n], 0, SRC_SIZE);
        memcpy(srcs[n], data, take);
        data += take;
        size -= take;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        struct rill_midi_header snap;
        if (rill_midi_snapshot(srcs[i], SRC_SIZE, &snap) < 0)
            continue;
        if (snap.size > SRC_SIZE)
            abort();
        for (uint32_t k = 0; k <= snap.count; k++) {
            uint32_t t;
            const uint8_t *d;
            size_t sz;
            if (rill_midi_get_snapshot(srcs[i], &snap, k, &t, &d, &sz) == 0 &&
                (d < (const uint8_t *)srcs[i] || d + sz > (const uint8_t *)srcs[i] + SRC_SIZE))
                abort();
        }
    }
    static uint8_t dst[DST_SIZE] __attribute__((aligned(64)));
    struct rill_midi_cursor cur[MAX_SRCS];
    (void)rill_midi_merge(dst, DST_SIZE, 256, (const void *const *)srcs, cur, n, SRC_SIZE);
    if (rill_midi_check(dst, DST_SIZE) < 0)
        abort();
    uint32_t prev = 0, count = rill_midi_count(dst);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t t;
        if (rill_midi_get(dst, k, &t, NULL, NULL) < 0 || t < prev || t >= 256)
            abort();
        prev = t;
    }
    for (size_t i = 0; i < n; i++)
        free(srcs[i]);
    return 0;
}
