/* tests/unit/test-midi-buffer.c — midi/buffer.c: the format, writing and
 * reading, limits, lost events, and the merge by time (order, stability,
 * overflow). Every buffer sits between two guard regions that must be
 * untouched afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "midi/buffer.h"

#define GUARD 256
#define GUARD_BYTE 0xa5

/* A buffer of size bytes with guard regions on both sides. */
struct gbuf {
    uint8_t *mem;
    uint8_t *buf;
    size_t size;
};

static struct gbuf gbuf_new(size_t size)
{
    struct gbuf g;
    size_t total = (size + 2 * GUARD + 64 + 63) & ~(size_t)63; /* a multiple of 64 */
    g.mem = aligned_alloc(64, total);
    assert_non_null(g.mem);
    memset(g.mem, GUARD_BYTE, total);
    g.buf = g.mem + GUARD;
    g.size = size;
    return g;
}

static void gbuf_check_free(struct gbuf *g)
{
    for (size_t i = 0; i < GUARD; i++)
        assert_int_equal(g->mem[i], GUARD_BYTE);
    for (size_t i = 0; i < GUARD; i++)
        assert_int_equal(g->buf[g->size + i], GUARD_BYTE);
    free(g->mem);
}

/* Event index of buf must be (time, bytes). */
static void expect_event(const void *buf, uint32_t index, uint32_t time, const uint8_t *bytes,
                         size_t n)
{
    uint32_t t;
    const uint8_t *d;
    size_t sz;
    assert_int_equal(rill_midi_get(buf, index, &t, &d, &sz), 0);
    assert_int_equal(t, time);
    assert_int_equal(sz, n);
    assert_memory_equal(d, bytes, n);
}

static void test_init_and_empty(void **state)
{
    (void)state;
    struct gbuf g = gbuf_new(1024);
    assert_int_equal(rill_midi_init(g.buf, g.size, 256), 0);
    assert_int_equal(rill_midi_check(g.buf, g.size), 0);
    assert_true(rill_midi_is_ready(g.buf, g.size, 256));
    assert_false(rill_midi_is_ready(g.buf, g.size, 128));
    assert_int_equal(rill_midi_count(g.buf), 0);
    assert_int_equal(rill_midi_lost(g.buf), 0);
    assert_int_equal(rill_midi_max_event_size(g.buf),
                     1024 - RILL_MIDI_HEADER_SIZE - RILL_MIDI_REC_SIZE);
    assert_int_equal(rill_midi_get(g.buf, 0, NULL, NULL, NULL), -ENODATA);

    /* bad arguments */
    assert_int_equal(rill_midi_init(NULL, 1024, 256), -EINVAL);
    assert_int_equal(rill_midi_init(g.buf, RILL_MIDI_HEADER_SIZE - 1, 256), -EINVAL);
    assert_int_equal(rill_midi_init(g.buf, 1024, 0), -EINVAL);
    assert_int_equal(rill_midi_init(g.buf + 1, 512, 256), -EINVAL); /* misaligned */
    gbuf_check_free(&g);
}

static void test_all_zero_is_empty(void **state)
{
    (void)state;
    struct gbuf g = gbuf_new(512);
    memset(g.buf, 0, g.size);
    assert_int_equal(rill_midi_check(g.buf, g.size), 0);
    assert_int_equal(rill_midi_count(g.buf), 0);
    assert_int_equal(rill_midi_lost(g.buf), 0);
    assert_int_equal(rill_midi_get(g.buf, 0, NULL, NULL, NULL), -ENODATA);
    assert_false(rill_midi_is_ready(g.buf, g.size, 64));
    /* no capacity: writing is refused, nothing is written */
    uint8_t ev[3] = { 0x90, 60, 100 };
    assert_int_equal(rill_midi_write(g.buf, 0, ev, 3), -EINVAL);
    assert_int_equal(rill_midi_max_event_size(g.buf), 0);
    rill_midi_clear(g.buf);
    for (size_t i = 0; i < g.size; i++)
        assert_int_equal(g.buf[i], 0);
    gbuf_check_free(&g);
}

static void test_write_read(void **state)
{
    (void)state;
    struct gbuf g = gbuf_new(1024);
    assert_int_equal(rill_midi_init(g.buf, g.size, 64), 0);
    uint8_t on[3] = { 0x90, 60, 100 }, off[3] = { 0x80, 60, 0 }, clk[1] = { 0xf8 };
    uint8_t four[4] = { 1, 2, 3, 4 };
    uint8_t sysex[100];
    for (size_t i = 0; i < sizeof(sysex); i++)
        sysex[i] = (uint8_t)(i == 0 ? 0xf0 : i == sizeof(sysex) - 1 ? 0xf7 : i & 0x7f);

    assert_int_equal(rill_midi_write(g.buf, 0, on, 3), 0);
    assert_int_equal(rill_midi_write(g.buf, 0, clk, 1), 0);     /* equal time: allowed */
    assert_int_equal(rill_midi_write(g.buf, 10, sysex, 100), 0); /* stored out of line */
    assert_int_equal(rill_midi_write(g.buf, 10, four, 4), 0);    /* stored inline */
    assert_int_equal(rill_midi_write(g.buf, 63, off, 3), 0);     /* last frame */
    assert_int_equal(rill_midi_count(g.buf), 5);
    expect_event(g.buf, 0, 0, on, 3);
    expect_event(g.buf, 1, 0, clk, 1);
    expect_event(g.buf, 2, 10, sysex, 100);
    expect_event(g.buf, 3, 10, four, 4);
    expect_event(g.buf, 4, 63, off, 3);
    assert_int_equal(rill_midi_get(g.buf, 5, NULL, NULL, NULL), -ENODATA);

    /* refusals: none of them counts as lost */
    assert_int_equal(rill_midi_write(g.buf, 62, on, 3), -EINVAL);  /* earlier than the last */
    assert_int_equal(rill_midi_write(g.buf, 64, on, 3), -EINVAL);  /* time >= nframes */
    assert_int_equal(rill_midi_write(g.buf, 63, on, 0), -EINVAL);  /* empty event */
    assert_int_equal(rill_midi_write(g.buf, 63, NULL, 3), -EINVAL);
    assert_int_equal(rill_midi_write(NULL, 63, on, 3), -EINVAL);
    uint8_t *d = NULL;
    assert_int_equal(rill_midi_reserve(g.buf, 1, 3, &d), -EINVAL);
    assert_null(d);
    assert_int_equal(rill_midi_count(g.buf), 5);
    assert_int_equal(rill_midi_lost(g.buf), 0);

    /* reserve gives room for exactly size bytes */
    assert_int_equal(rill_midi_reserve(g.buf, 63, 20, &d), 0);
    memset(d, 0x42, 20);
    uint8_t want[20];
    memset(want, 0x42, 20);
    expect_event(g.buf, 5, 63, want, 20);
    expect_event(g.buf, 2, 10, sysex, 100); /* the older data is intact */

    /* clear keeps size and period */
    rill_midi_clear(g.buf);
    assert_int_equal(rill_midi_count(g.buf), 0);
    assert_true(rill_midi_is_ready(g.buf, g.size, 64));
    assert_int_equal(rill_midi_write(g.buf, 5, on, 3), 0);
    expect_event(g.buf, 0, 5, on, 3);
    gbuf_check_free(&g);
}

static void test_overflow_and_lost(void **state)
{
    (void)state;
    /* room for exactly 4 small events */
    size_t size = RILL_MIDI_HEADER_SIZE + 4 * RILL_MIDI_REC_SIZE;
    struct gbuf g = gbuf_new(size);
    assert_int_equal(rill_midi_init(g.buf, size, 128), 0);
    uint8_t ev[3] = { 0x90, 0, 1 };
    for (int i = 0; i < 4; i++) {
        ev[1] = (uint8_t)i;
        assert_int_equal(rill_midi_write(g.buf, (uint32_t)i, ev, 3), 0);
    }
    assert_int_equal(rill_midi_max_event_size(g.buf), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(rill_midi_write(g.buf, 100, ev, 3), -ENOBUFS);
    uint8_t *d = (uint8_t *)1;
    assert_int_equal(rill_midi_reserve(g.buf, 100, 1, &d), -ENOBUFS);
    assert_int_equal(rill_midi_lost(g.buf), 11);
    assert_int_equal(rill_midi_count(g.buf), 4);
    for (int i = 0; i < 4; i++) {
        uint8_t want[3] = { 0x90, (uint8_t)i, 1 };
        expect_event(g.buf, (uint32_t)i, (uint32_t)i, want, 3);
    }
    rill_midi_clear(g.buf);
    assert_int_equal(rill_midi_lost(g.buf), 0);
    gbuf_check_free(&g);

    /* a large event: max_event_size is exact, one byte more is lost */
    struct gbuf h = gbuf_new(300);
    assert_int_equal(rill_midi_init(h.buf, h.size, 128), 0);
    uint8_t big[300];
    memset(big, 0x7e, sizeof(big));
    assert_int_equal(rill_midi_write(h.buf, 0, ev, 3), 0);
    size_t max = rill_midi_max_event_size(h.buf);
    assert_int_equal(max, 300 - RILL_MIDI_HEADER_SIZE - 2 * RILL_MIDI_REC_SIZE);
    assert_int_equal(rill_midi_write(h.buf, 1, big, max + 1), -ENOBUFS);
    assert_int_equal(rill_midi_lost(h.buf), 1);
    assert_int_equal(rill_midi_write(h.buf, 1, big, max), 0);
    expect_event(h.buf, 1, 1, big, max);
    assert_int_equal(rill_midi_max_event_size(h.buf), 0);
    assert_int_equal(rill_midi_write(h.buf, 2, ev, 1), -ENOBUFS);
    assert_int_equal(rill_midi_lost(h.buf), 2);
    gbuf_check_free(&h);

    /* huge sizes are refused without overflow */
    struct gbuf k = gbuf_new(256);
    assert_int_equal(rill_midi_init(k.buf, k.size, 128), 0);
    assert_int_equal(rill_midi_reserve(k.buf, 0, SIZE_MAX, &d), -ENOBUFS);
    assert_int_equal(rill_midi_reserve(k.buf, 0, SIZE_MAX - 8, &d), -ENOBUFS);
    assert_int_equal(rill_midi_count(k.buf), 0);
    gbuf_check_free(&k);
}

static void test_corrupt_refused(void **state)
{
    (void)state;
    struct gbuf g = gbuf_new(256);
    assert_int_equal(rill_midi_init(g.buf, g.size, 64), 0);
    uint8_t sysex[40] = { 0xf0 };
    assert_int_equal(rill_midi_write(g.buf, 0, sysex, sizeof(sysex)), 0);
    struct rill_midi_header *h = (struct rill_midi_header *)(void *)g.buf;

    /* a header claiming more than the buffer holds */
    assert_int_equal(rill_midi_check(g.buf, 128), -EINVAL);
    h->count = 1000;
    assert_int_equal(rill_midi_check(g.buf, g.size), -EINVAL);
    assert_int_equal(rill_midi_count(g.buf), 0);
    assert_int_equal(rill_midi_get(g.buf, 0, NULL, NULL, NULL), -EINVAL);
    h->count = 1;
    h->magic = 0x12345678;
    assert_int_equal(rill_midi_check(g.buf, g.size), -EINVAL);
    h->magic = RILL_MIDI_MAGIC;
    /* an event whose data would lie outside the buffer */
    struct rill_midi_rec *rec = (struct rill_midi_rec *)(void *)(g.buf + RILL_MIDI_HEADER_SIZE);
    rec->u.offset = 250;
    assert_int_equal(rill_midi_get(g.buf, 0, NULL, NULL, NULL), -EPROTO);
    rec->u.offset = 0;
    assert_int_equal(rill_midi_get(g.buf, 0, NULL, NULL, NULL), -EPROTO);
    gbuf_check_free(&g);
}

/* Write n events (time, note) into buf. */
static void fill(void *buf, const uint32_t *times, const uint8_t *notes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ev[3] = { 0x90, notes[i], 64 };
        assert_int_equal(rill_midi_write(buf, times[i], ev, 3), 0);
    }
}

static void expect_notes(const void *buf, const uint32_t *times, const uint8_t *notes, size_t n)
{
    assert_int_equal(rill_midi_count(buf), n);
    for (size_t i = 0; i < n; i++) {
        uint8_t want[3] = { 0x90, notes[i], 64 };
        expect_event(buf, (uint32_t)i, times[i], want, 3);
    }
}

static void test_merge_order_stable(void **state)
{
    (void)state;
    enum { SIZE = 1024 };
    struct gbuf a = gbuf_new(SIZE), b = gbuf_new(SIZE), c = gbuf_new(SIZE), d = gbuf_new(SIZE);
    assert_int_equal(rill_midi_init(a.buf, SIZE, 128), 0);
    assert_int_equal(rill_midi_init(b.buf, SIZE, 128), 0);
    assert_int_equal(rill_midi_init(c.buf, SIZE, 128), 0);
    /* notes: tens = source, ones = position in the source */
    fill(a.buf, (uint32_t[]){ 0, 5, 5, 90 }, (uint8_t[]){ 10, 11, 12, 13 }, 4);
    fill(b.buf, (uint32_t[]){ 0, 5, 50 }, (uint8_t[]){ 20, 21, 22 }, 3);
    fill(c.buf, (uint32_t[]){ 5, 5, 127 }, (uint8_t[]){ 30, 31, 32 }, 3);
    const void *srcs[3] = { a.buf, b.buf, c.buf };
    struct rill_midi_cursor pos[3];
    assert_int_equal(rill_midi_merge(d.buf, SIZE, 128, srcs, pos, 3, SIZE), 0);
    expect_notes(d.buf, (uint32_t[]){ 0, 0, 5, 5, 5, 5, 5, 50, 90, 127 },
                 (uint8_t[]){ 10, 20, 11, 12, 21, 30, 31, 22, 13, 32 }, 10);
    assert_int_equal(rill_midi_lost(d.buf), 0);

    /* another source order gives another (equally stable) order */
    const void *srcs2[3] = { c.buf, a.buf, b.buf };
    assert_int_equal(rill_midi_merge(d.buf, SIZE, 128, srcs2, pos, 3, SIZE), 0);
    expect_notes(d.buf, (uint32_t[]){ 0, 0, 5, 5, 5, 5, 5, 50, 90, 127 },
                 (uint8_t[]){ 10, 20, 30, 31, 11, 12, 21, 22, 13, 32 }, 10);

    /* one source, none, an all-zero one (empty) */
    assert_int_equal(rill_midi_merge(d.buf, SIZE, 128, srcs, pos, 1, SIZE), 0);
    expect_notes(d.buf, (uint32_t[]){ 0, 5, 5, 90 }, (uint8_t[]){ 10, 11, 12, 13 }, 4);
    assert_int_equal(rill_midi_merge(d.buf, SIZE, 128, NULL, NULL, 0, SIZE), 0);
    assert_int_equal(rill_midi_count(d.buf), 0);
    assert_true(rill_midi_is_ready(d.buf, SIZE, 128));
    struct gbuf z = gbuf_new(SIZE);
    memset(z.buf, 0, SIZE);
    const void *srcs3[2] = { z.buf, b.buf };
    assert_int_equal(rill_midi_merge(d.buf, SIZE, 128, srcs3, pos, 2, SIZE), 0);
    expect_notes(d.buf, (uint32_t[]){ 0, 5, 50 }, (uint8_t[]){ 20, 21, 22 }, 3);

    gbuf_check_free(&a);
    gbuf_check_free(&b);
    gbuf_check_free(&c);
    gbuf_check_free(&d);
    gbuf_check_free(&z);
}

static void test_merge_overflow_lost(void **state)
{
    (void)state;
    enum { SIZE = 1024 };
    struct gbuf a = gbuf_new(SIZE), b = gbuf_new(SIZE);
    assert_int_equal(rill_midi_init(a.buf, SIZE, 64), 0);
    assert_int_equal(rill_midi_init(b.buf, SIZE, 64), 0);
    fill(a.buf, (uint32_t[]){ 1, 3, 5 }, (uint8_t[]){ 1, 3, 5 }, 3);
    fill(b.buf, (uint32_t[]){ 2, 4, 6 }, (uint8_t[]){ 2, 4, 6 }, 3);
    /* a source's own lost events are carried over */
    uint8_t ev[1] = { 0xf8 };
    struct gbuf tiny = gbuf_new(RILL_MIDI_HEADER_SIZE);
    assert_int_equal(rill_midi_init(tiny.buf, tiny.size, 64), 0);
    assert_int_equal(rill_midi_write(tiny.buf, 0, ev, 1), -ENOBUFS);
    assert_int_equal(rill_midi_write(tiny.buf, 0, ev, 1), -ENOBUFS);

    /* the destination holds 4 events: the 2 latest are lost */
    size_t dsize = RILL_MIDI_HEADER_SIZE + 4 * RILL_MIDI_REC_SIZE;
    struct gbuf d = gbuf_new(dsize);
    const void *srcs[3] = { a.buf, b.buf, tiny.buf };
    struct rill_midi_cursor pos[3];
    assert_int_equal(rill_midi_merge(d.buf, dsize, 64, srcs, pos, 3, SIZE), 0);
    expect_notes(d.buf, (uint32_t[]){ 1, 2, 3, 4 }, (uint8_t[]){ 1, 2, 3, 4 }, 4);
    assert_int_equal(rill_midi_lost(d.buf), 2 + 2);

    /* events at or after the destination's period are dropped as lost */
    struct gbuf e = gbuf_new(SIZE);
    assert_int_equal(rill_midi_merge(e.buf, SIZE, 4, srcs, pos, 2, SIZE), 0);
    expect_notes(e.buf, (uint32_t[]){ 1, 2, 3 }, (uint8_t[]){ 1, 2, 3 }, 3);
    assert_int_equal(rill_midi_lost(e.buf), 3);

    /* an invalid source is skipped, the others merged */
    struct gbuf bad = gbuf_new(SIZE);
    memset(bad.buf, 0x5a, SIZE);
    const void *srcs2[3] = { bad.buf, b.buf, NULL };
    assert_int_equal(rill_midi_merge(e.buf, SIZE, 64, srcs2, pos, 3, SIZE), -EPROTO);
    expect_notes(e.buf, (uint32_t[]){ 2, 4, 6 }, (uint8_t[]){ 2, 4, 6 }, 3);
    /* a source bigger than the caller says it may be is invalid too */
    const void *srcs3[1] = { a.buf };
    assert_int_equal(rill_midi_merge(e.buf, SIZE, 64, srcs3, pos, 1, SIZE / 2), -EPROTO);
    assert_int_equal(rill_midi_count(e.buf), 0);
    /* bad arguments */
    assert_int_equal(rill_midi_merge(e.buf, SIZE, 64, NULL, pos, 1, SIZE), -EINVAL);
    assert_int_equal(rill_midi_merge(NULL, SIZE, 64, srcs, pos, 1, SIZE), -EINVAL);

    gbuf_check_free(&a);
    gbuf_check_free(&b);
    gbuf_check_free(&tiny);
    gbuf_check_free(&d);
    gbuf_check_free(&e);
    gbuf_check_free(&bad);
}

/* A source written out of order (by hand: the API refuses it) cannot make
 * the result unsorted. */
static void test_merge_unsorted_source(void **state)
{
    (void)state;
    enum { SIZE = 512 };
    struct gbuf a = gbuf_new(SIZE), b = gbuf_new(SIZE), d = gbuf_new(SIZE);
    assert_int_equal(rill_midi_init(a.buf, SIZE, 64), 0);
    assert_int_equal(rill_midi_init(b.buf, SIZE, 64), 0);
    fill(a.buf, (uint32_t[]){ 10, 20, 30 }, (uint8_t[]){ 1, 2, 3 }, 3);
    fill(b.buf, (uint32_t[]){ 15 }, (uint8_t[]){ 4 }, 1);
    struct rill_midi_rec *rec = (struct rill_midi_rec *)(void *)(a.buf + RILL_MIDI_HEADER_SIZE);
    rec[1].time = 5; /* a: 10, 5, 30 */
    const void *srcs[2] = { a.buf, b.buf };
    struct rill_midi_cursor pos[2];
    assert_int_equal(rill_midi_merge(d.buf, SIZE, 64, srcs, pos, 2, SIZE), 0);
    assert_int_equal(rill_midi_count(d.buf), 4);
    uint32_t prev = 0;
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t t;
        assert_int_equal(rill_midi_get(d.buf, i, &t, NULL, NULL), 0);
        assert_true(t >= prev);
        prev = t;
    }
    gbuf_check_free(&a);
    gbuf_check_free(&b);
    gbuf_check_free(&d);
}


/* A buffer of size bytes (a multiple of the page size) that ends right at
 * an inaccessible page: one byte read past it is a SIGSEGV (ASan or not). */
struct pbuf {
    uint8_t *map;
    uint8_t *buf;
    size_t size, total;
};

static struct pbuf pbuf_new(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    struct pbuf p;
    p.size = size;
    p.total = size + page;
    p.map = mmap(NULL, p.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p.map != MAP_FAILED);
    assert_int_equal(mprotect(p.map + size, page, PROT_NONE), 0);
    p.buf = p.map;
    return p;
}

static void pbuf_free(struct pbuf *p)
{
    munmap(p->map, p->total);
}

/* A full source of n small events and one large event at the end. */
static void fill_source(void *buf, size_t size, uint32_t n)
{
    assert_int_equal(rill_midi_init(buf, size, 256), 0);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t ev[3] = { 0x90, (uint8_t)(i & 0x7f), 100 };
        assert_int_equal(rill_midi_write(buf, (uint32_t)((uint64_t)i * 255 / n), ev, 3), 0);
    }
}

/* The header that a hostile writer puts in place after the check: a count
 * and a size far beyond the buffer, still self-consistent. */
static void evil_header(void *buf)
{
    struct rill_midi_header *h = buf;
    h->size = UINT32_MAX;
    h->count = 0x10000000u; /* x 12 bytes: still "inside" 4 GiB */
    h->data_used = 0;
}

/* Reads through a snapshot stay inside the snapshot's size, whatever the
 * buffer's own header says after it was taken. */
static void test_snapshot_bounds_reads(void **state)
{
    (void)state;
    struct pbuf p = pbuf_new(4096);
    fill_source(p.buf, p.size, 200);
    uint8_t sysex[64];
    memset(sysex, 0x11, sizeof(sysex));
    sysex[0] = 0xf0;
    sysex[63] = 0xf7;
    assert_int_equal(rill_midi_write(p.buf, 255, sysex, sizeof(sysex)), 0);

    struct rill_midi_header snap;
    assert_int_equal(rill_midi_snapshot(p.buf, p.size, &snap), 0);
    assert_int_equal(snap.count, 201);
    assert_int_equal(snap.size, 4096);
    /* a header bigger than what is readable is refused */
    struct rill_midi_header bad;
    assert_int_equal(rill_midi_snapshot(p.buf, p.size - 1, &bad), -EINVAL);
    assert_int_equal(bad.count, 0);

    evil_header(p.buf); /* rewritten between check and read */
    uint32_t t;
    const uint8_t *d;
    size_t sz;
    for (uint32_t i = 0; i < snap.count; i++) {
        assert_int_equal(rill_midi_get_snapshot(p.buf, &snap, i, &t, &d, &sz), 0);
        assert_true(d >= p.buf && d + sz <= p.buf + p.size);
    }
    assert_int_equal(sz, sizeof(sysex));
    /* beyond the snapshot's count: no data, never the evil count */
    assert_int_equal(rill_midi_get_snapshot(p.buf, &snap, snap.count, &t, &d, &sz), -ENODATA);
    assert_int_equal(rill_midi_get_snapshot(p.buf, &snap, 0x0fffffffu, &t, &d, &sz), -ENODATA);
    /* a record rewritten to point outside the snapshot's size is corrupt */
    struct rill_midi_rec *rec = (struct rill_midi_rec *)(void *)(p.buf + RILL_MIDI_HEADER_SIZE);
    rec[200].u.offset = 4096 - 8;
    assert_int_equal(rill_midi_get_snapshot(p.buf, &snap, 200, &t, &d, &sz), -EPROTO);

    /* a merge that sees the evil header takes nothing from the source and
     * reads nothing past it */
    struct gbuf dst = gbuf_new(4096);
    const void *srcs[1] = { p.buf };
    struct rill_midi_cursor cur[1];
    assert_int_equal(rill_midi_merge(dst.buf, dst.size, 256, srcs, cur, 1, p.size), -EPROTO);
    assert_int_equal(rill_midi_count(dst.buf), 0);
    gbuf_check_free(&dst);
    pbuf_free(&p);
}

/* Another process rewrites a source's header while a merge reads it: here
 * a thread flips it between a valid header and one with a count and size
 * far past the buffer, which ends at an inaccessible page. Every merge must
 * stay inside the buffer (a read past it is a SIGSEGV) and end after at
 * most the valid number of events. */
struct flipper {
    uint8_t *buf;
    struct rill_midi_header good, evil;
    atomic_int stop;
    atomic_ulong flips;
};

static void *flip_main(void *arg)
{
    struct flipper *f = arg;
    volatile struct rill_midi_header *h = (volatile struct rill_midi_header *)(void *)f->buf;
    while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
        /* valid for a moment (so that the merge's check passes), then
         * hostile for much longer */
        h->size = f->good.size;
        h->count = f->good.count;
        for (volatile int i = 0; i < 20; i++)
            ;
        h->count = f->evil.count;
        h->size = f->evil.size;
        for (volatile int i = 0; i < 400; i++)
            ;
        atomic_fetch_add_explicit(&f->flips, 1, memory_order_relaxed);
    }
    return NULL;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_merge_header_rewritten_meanwhile(void **state)
{
    (void)state;
    struct pbuf p = pbuf_new(4096);
    fill_source(p.buf, p.size, 300);
    struct gbuf other = gbuf_new(1024);
    fill_source(other.buf, other.size, 10);
    struct flipper f = { .buf = p.buf };
    memcpy(&f.good, p.buf, sizeof(f.good));
    memcpy(&f.evil, p.buf, sizeof(f.evil));
    evil_header(&f.evil);
    atomic_init(&f.stop, 0);
    atomic_init(&f.flips, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, flip_main, &f), 0);

    enum { DSIZE = 8192 };
    struct gbuf dst = gbuf_new(DSIZE);
    const void *srcs[2] = { other.buf, p.buf };
    struct rill_midi_cursor cur[2];
    uint64_t start = mono_ns(), merges = 0, slowest = 0, took = 0;
    /* half a second, and at least some thousands of flips seen */
    while (mono_ns() - start < 500000000ull ||
           ((atomic_load(&f.flips) < 5000 || took < 100) && mono_ns() - start < 5000000000ull)) {
        uint64_t t0 = mono_ns();
        int r = rill_midi_merge(dst.buf, DSIZE, 256, srcs, cur, 2, p.size);
        uint64_t dt = mono_ns() - t0;
        slowest = dt > slowest ? dt : slowest;
        assert_true(r == 0 || r == -EPROTO);
        /* never more events than the two valid sources hold */
        assert_true(rill_midi_count(dst.buf) <= 310);
        took += rill_midi_count(dst.buf) > 10; /* the flipped source passed its check */
        merges++;
    }
    atomic_store(&f.stop, 1);
    pthread_join(th, NULL);
    print_message("%llu merges (%llu took the flipped source), %lu header flips, slowest merge "
                  "%.3f ms\n",
                  (unsigned long long)merges, (unsigned long long)took,
                  (unsigned long)atomic_load(&f.flips), (double)slowest / 1e6);
    assert_true(took > 0);
    /* bounded: 310 events cannot take anywhere near a second (the unbounded
     * loop ran ~10^8 rounds) */
    assert_true(slowest < 1000000000ull);
    gbuf_check_free(&dst);
    gbuf_check_free(&other);
    pbuf_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_empty),
        cmocka_unit_test(test_all_zero_is_empty),
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_overflow_and_lost),
        cmocka_unit_test(test_corrupt_refused),
        cmocka_unit_test(test_merge_order_stable),
        cmocka_unit_test(test_merge_overflow_lost),
        cmocka_unit_test(test_merge_unsorted_source),
        cmocka_unit_test(test_snapshot_bounds_reads),
        cmocka_unit_test(test_merge_header_rewritten_meanwhile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
