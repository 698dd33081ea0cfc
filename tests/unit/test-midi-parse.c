/* tests/unit/test-midi-parse.c — midi/midi_parse.c: running status
 * expanded, real-time bytes inside messages and sysex, sysex reassembled
 * from chunks at its limit and beyond, every drop counted, nothing
 * rewritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "midi/midi_parse.h"

#define MAXEV 64
struct got {
    int n;
    uint64_t time[MAXEV];
    size_t len[MAXEV];
    uint8_t data[MAXEV][8];
    size_t big_len;      /* the last long message (sysex) */
    uint8_t big[70000];
};

static void emit(void *arg, uint64_t time, const uint8_t *data, size_t len)
{
    struct got *g = arg;
    assert_true(g->n < MAXEV);
    g->time[g->n] = time;
    g->len[g->n] = len;
    memcpy(g->data[g->n], data, len < 8 ? len : 8);
    if (len <= sizeof(g->big)) {
        memcpy(g->big, data, len);
        g->big_len = len;
    }
    g->n++;
}

static struct got *got_new(void)
{
    struct got *g = calloc(1, sizeof(*g));
    assert_non_null(g);
    return g;
}

static void expect_msg(const struct got *g, int i, const uint8_t *m, size_t len, uint64_t t)
{
    assert_int_equal(g->len[i], len);
    assert_memory_equal(g->data[i], m, len);
    assert_int_equal(g->time[i], t);
}

static void test_running_status(void **state)
{
    (void)state;
    uint8_t sx[16];
    struct rill_midi_parser p;
    struct got *g = got_new();
    rill_midi_parser_init(&p, sx, sizeof(sx));
    const uint8_t in[] = { 0x90, 0x3c, 0x40, 0x3e, 0x40, 0x40, 0x00, 0xc1, 0x05, 0x06 };
    rill_midi_parser_feed(&p, in, sizeof(in), 7, emit, g);
    assert_int_equal(g->n, 5);
    expect_msg(g, 0, (const uint8_t[]){ 0x90, 0x3c, 0x40 }, 3, 7);
    expect_msg(g, 1, (const uint8_t[]){ 0x90, 0x3e, 0x40 }, 3, 7);
    /* velocity 0 stays a note-on */
    expect_msg(g, 2, (const uint8_t[]){ 0x90, 0x40, 0x00 }, 3, 7);
    expect_msg(g, 3, (const uint8_t[]){ 0xc1, 0x05 }, 2, 7);
    expect_msg(g, 4, (const uint8_t[]){ 0xc1, 0x06 }, 2, 7);
    assert_int_equal(rill_midi_drops_total(&p.drops), 0);
    free(g);
}

static void test_split_and_time(void **state)
{
    (void)state;
    uint8_t sx[16];
    struct rill_midi_parser p;
    struct got *g = got_new();
    rill_midi_parser_init(&p, sx, sizeof(sx));
    /* a message split over two batches carries its first byte's time;
     * a running-status message starting in the second batch gets that one */
    rill_midi_parser_feed(&p, (const uint8_t[]){ 0xb0, 0x07 }, 2, 100, emit, g);
    assert_int_equal(g->n, 0);
    rill_midi_parser_feed(&p, (const uint8_t[]){ 0x64, 0x0a }, 2, 200, emit, g);
    rill_midi_parser_feed(&p, (const uint8_t[]){ 0x01 }, 1, 300, emit, g);
    assert_int_equal(g->n, 2);
    expect_msg(g, 0, (const uint8_t[]){ 0xb0, 0x07, 0x64 }, 3, 100);
    expect_msg(g, 1, (const uint8_t[]){ 0xb0, 0x0a, 0x01 }, 3, 200);
    free(g);
}

static void test_realtime_inside(void **state)
{
    (void)state;
    uint8_t sx[16];
    struct rill_midi_parser p;
    struct got *g = got_new();
    rill_midi_parser_init(&p, sx, sizeof(sx));
    const uint8_t in[] = { 0x80, 0xf8, 0x3c, 0xfe, 0x00, 0xf0, 0x01, 0xf8, 0x02, 0xf7 };
    rill_midi_parser_feed(&p, in, sizeof(in), 1, emit, g);
    assert_int_equal(g->n, 5);
    expect_msg(g, 0, (const uint8_t[]){ 0xf8 }, 1, 1);
    expect_msg(g, 1, (const uint8_t[]){ 0xfe }, 1, 1);
    expect_msg(g, 2, (const uint8_t[]){ 0x80, 0x3c, 0x00 }, 3, 1);
    expect_msg(g, 3, (const uint8_t[]){ 0xf8 }, 1, 1);
    /* the sysex goes on around the f8 */
    expect_msg(g, 4, (const uint8_t[]){ 0xf0, 0x01, 0x02, 0xf7 }, 4, 1);
    free(g);
}

static void test_system_common(void **state)
{
    (void)state;
    uint8_t sx[16];
    struct rill_midi_parser p;
    struct got *g = got_new();
    rill_midi_parser_init(&p, sx, sizeof(sx));
    /* f2 cancels running status: the data bytes after it are stray */
    const uint8_t in[] = { 0x90, 0x3c, 0x40, 0xf2, 0x10, 0x20, 0x3c, 0xf1, 0x31, 0xf6, 0xf4 };
    rill_midi_parser_feed(&p, in, sizeof(in), 0, emit, g);
    assert_int_equal(g->n, 4);
    expect_msg(g, 1, (const uint8_t[]){ 0xf2, 0x10, 0x20 }, 3, 0);
    expect_msg(g, 2, (const uint8_t[]){ 0xf1, 0x31 }, 2, 0);
    expect_msg(g, 3, (const uint8_t[]){ 0xf6 }, 1, 0);
    assert_int_equal(p.drops.stray, 1);
    assert_int_equal(p.drops.undefined, 1);
    free(g);
}

static void test_broken_and_stray(void **state)
{
    (void)state;
    uint8_t sx[16];
    struct rill_midi_parser p;
    struct got *g = got_new();
    rill_midi_parser_init(&p, sx, sizeof(sx));
    /* stray data, a note cut by another, a sysex cut by a note, a lone f7 */
    const uint8_t in[] = { 0x11, 0x90, 0x3c, 0x80, 0x3c, 0x00, 0xf0, 0x01, 0x90, 0x01, 0x02, 0xf7 };
    rill_midi_parser_feed(&p, in, sizeof(in), 5, emit, g);
    assert_int_equal(g->n, 2);
    expect_msg(g, 0, (const uint8_t[]){ 0x80, 0x3c, 0x00 }, 3, 5);
    expect_msg(g, 1, (const uint8_t[]){ 0x90, 0x01, 0x02 }, 3, 5);
    assert_int_equal(p.drops.stray, 2);
    assert_int_equal(p.drops.broken, 2);
    free(g);
}

/* sysex of n bytes (f0 and f7 included) fed in chunks of chunk bytes */
static void sysex_case(size_t n, size_t chunk, size_t limit, int whole)
{
    uint8_t *sx = malloc(limit);
    uint8_t *in = malloc(n);
    assert_non_null(sx);
    assert_non_null(in);
    in[0] = 0xf0;
    for (size_t i = 1; i + 1 < n; i++)
        in[i] = (uint8_t)((i * 7) & 0x7f);
    in[n - 1] = 0xf7;
    struct rill_midi_parser p;
    struct got *g = got_new();
    rill_midi_parser_init(&p, sx, limit);
    for (size_t o = 0; o < n; o += chunk)
        rill_midi_parser_feed(&p, in + o, n - o < chunk ? n - o : chunk, 1000 + o, emit, g);
    if (whole) {
        assert_int_equal(g->n, 1);
        assert_int_equal(g->len[0], n);
        assert_int_equal(g->time[0], 1000);
        assert_memory_equal(g->big, in, n);
        assert_int_equal(rill_midi_drops_total(&p.drops), 0);
    } else {
        assert_int_equal(g->n, 0);
        assert_int_equal(p.drops.sysex_long, 1);
        assert_int_equal(rill_midi_drops_total(&p.drops), 1);
    }
    /* the parser goes on normally afterwards */
    rill_midi_parser_feed(&p, (const uint8_t[]){ 0x90, 0x01, 0x02 }, 3, 9, emit, g);
    expect_msg(g, g->n - 1, (const uint8_t[]){ 0x90, 0x01, 0x02 }, 3, 9);
    free(g);
    free(sx);
    free(in);
}

static void test_sysex_sizes(void **state)
{
    (void)state;
    const size_t sizes[] = { 6, 256, 257, 1024, 4096, 65536 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        sysex_case(sizes[i], 1, 65536, 1);
        sysex_case(sizes[i], 256, 65536, 1); /* the kernel's chunks */
        sysex_case(sizes[i], sizes[i], 65536, 1);
    }
    sysex_case(65537, 256, 65536, 0); /* one over the limit: dropped, counted */
    sysex_case(100, 7, 99, 0);
    sysex_case(99, 7, 99, 1);
    sysex_case(2, 1, 2, 1); /* f0 f7 */
}

static void test_msg_len(void **state)
{
    (void)state;
    assert_int_equal(rill_midi_msg_len(0x90), 3);
    assert_int_equal(rill_midi_msg_len(0xc0), 2);
    assert_int_equal(rill_midi_msg_len(0xd5), 2);
    assert_int_equal(rill_midi_msg_len(0xe0), 3);
    assert_int_equal(rill_midi_msg_len(0xf0), 0);
    assert_int_equal(rill_midi_msg_len(0xf3), 2);
    assert_int_equal(rill_midi_msg_len(0xfd), 0);
    assert_int_equal(rill_midi_msg_len(0x40), 0);
}

/* JACK events: a sysex a client wrote in fragments put together (time of
 * its first piece), no running status across events, a message cut short
 * by its event's end broken; a fragmented sysex over the limit dropped. */
static void test_feed_event(void **state)
{
    (void)state;
    static uint8_t sx[65536];
    struct rill_midi_parser p;
    struct got *g = got_new();
    rill_midi_parser_init(&p, sx, sizeof(sx));
    static uint8_t long_sx[65536];
    long_sx[0] = 0xf0;
    for (size_t i = 1; i + 1 < sizeof(long_sx); i++)
        long_sx[i] = (uint8_t)(i & 0x7f);
    long_sx[sizeof(long_sx) - 1] = 0xf7;
    /* three pieces, as three JACK events in three cycles */
    rill_midi_parser_feed_event(&p, long_sx, 30000, 100, emit, g);
    rill_midi_parser_feed_event(&p, long_sx + 30000, 30000, 200, emit, g);
    assert_int_equal(g->n, 0);
    rill_midi_parser_feed_event(&p, long_sx + 60000, sizeof(long_sx) - 60000, 300, emit, g);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->time[0], 100);
    assert_int_equal(g->big_len, sizeof(long_sx));
    assert_memory_equal(g->big, long_sx, sizeof(long_sx));
    /* no running status across events: a data byte alone is stray */
    const uint8_t on[] = { 0x90, 0x3c, 0x40 }, data[] = { 0x3e, 0x40 }, cut[] = { 0x90, 0x3c };
    rill_midi_parser_feed_event(&p, on, sizeof(on), 400, emit, g);
    rill_midi_parser_feed_event(&p, data, sizeof(data), 500, emit, g);
    assert_int_equal(g->n, 2);
    assert_int_equal(p.drops.stray, 2);
    /* an event that ends inside a message: broken at the next event */
    rill_midi_parser_feed_event(&p, cut, sizeof(cut), 600, emit, g);
    rill_midi_parser_feed_event(&p, on, sizeof(on), 700, emit, g);
    assert_int_equal(g->n, 3);
    expect_msg(g, 2, on, sizeof(on), 700);
    assert_int_equal(p.drops.broken, 1);
    /* one byte over the limit, in pieces: dropped whole, counted once */
    const uint8_t more[] = { 0x01, 0xf7 };
    rill_midi_parser_feed_event(&p, long_sx, sizeof(long_sx) - 1, 800, emit, g);
    rill_midi_parser_feed_event(&p, more, sizeof(more), 900, emit, g);
    assert_int_equal(g->n, 3);
    assert_int_equal(p.drops.sysex_long, 1);
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_status), cmocka_unit_test(test_split_and_time),
        cmocka_unit_test(test_realtime_inside), cmocka_unit_test(test_system_common),
        cmocka_unit_test(test_broken_and_stray), cmocka_unit_test(test_sysex_sizes),
        cmocka_unit_test(test_msg_len), cmocka_unit_test(test_feed_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
