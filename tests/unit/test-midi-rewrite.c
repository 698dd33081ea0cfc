/* tests/unit/test-midi-rewrite.c — midi/midi_rewrite.c: the per-port
 * rewriting rules of the ALSA MIDI bridges; nothing rewritten by default. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "midi/midi_rewrite.h"

static uint32_t rules(const char *text)
{
    char err[256] = "";
    uint32_t rw = 0xdeadbeef;
    assert_int_equal(rill_midi_rewrite_parse(text, &rw, err, sizeof(err)), 0);
    return rw;
}

/* apply rw to the bytes; check the result (want_len 0: dropped) */
static void is(uint32_t rw, const char *in, size_t len, const char *want, size_t want_len)
{
    uint8_t m[8];
    memcpy(m, in, len);
    assert_int_equal(rill_midi_rewrite_apply(rw, m, len), want_len);
    if (want_len)
        assert_memory_equal(m, want, want_len);
}

static void test_default_keeps_everything(void **state)
{
    (void)state;
    uint32_t rw = rules("");
    assert_int_equal(rw, 0);
    assert_int_equal(rules("none"), 0);
    /* velocity-0 note-on stays a note-on */
    is(rw, "\x90\x3c\x00", 3, "\x90\x3c\x00", 3);
    is(rw, "\xf8", 1, "\xf8", 1);
    is(rw, "\xf0\x01\xf7", 3, "\xf0\x01\xf7", 3);
}

static void test_note_off(void **state)
{
    (void)state;
    uint32_t rw = rules("note-off");
    is(rw, "\x93\x3c\x00", 3, "\x83\x3c\x40", 3);
    is(rw, "\x93\x3c\x01", 3, "\x93\x3c\x01", 3); /* a real note-on */
    is(rw, "\x83\x3c\x00", 3, "\x83\x3c\x00", 3);
    is(rw, "\xa3\x3c\x00", 3, "\xa3\x3c\x00", 3); /* aftertouch 0: not a note */
}

static void test_channel(void **state)
{
    (void)state;
    uint32_t rw = rules("channel=10");
    is(rw, "\x90\x3c\x40", 3, "\x99\x3c\x40", 3);
    is(rw, "\xc5\x07", 2, "\xc9\x07", 2);
    is(rw, "\xf2\x00\x10", 3, "\xf2\x00\x10", 3); /* system common: no channel */
    is(rw, "\xf8", 1, "\xf8", 1);
    /* note-off then the move */
    rw = rules("note-off channel=2");
    is(rw, "\x9f\x40\x00", 3, "\x81\x40\x40", 3);
    /* only=: a filter, before the move */
    rw = rules("only=3,channel=1");
    is(rw, "\x92\x40\x10", 3, "\x90\x40\x10", 3);
    is(rw, "\x93\x40\x10", 3, NULL, 0);
    is(rw, "\xf8", 1, "\xf8", 1);
    is(rw, "\xf0\x01\xf7", 3, "\xf0\x01\xf7", 3);
}

static void test_drop(void **state)
{
    (void)state;
    uint32_t rw = rules("drop=clock,drop=sensing");
    is(rw, "\xf8", 1, NULL, 0);
    is(rw, "\xfa", 1, NULL, 0);
    is(rw, "\xfc", 1, NULL, 0);
    is(rw, "\xfe", 1, NULL, 0);
    is(rw, "\xff", 1, "\xff", 1);
    is(rw, "\x90\x3c\x40", 3, "\x90\x3c\x40", 3);
    rw = rules("drop=realtime drop=sysex drop=aftertouch");
    is(rw, "\xff", 1, NULL, 0);
    is(rw, "\xf0\x01\x02\xf7", 4, NULL, 0);
    is(rw, "\xa0\x3c\x10", 3, NULL, 0);
    is(rw, "\xd0\x10", 2, NULL, 0);
    is(rw, "\xb0\x07\x10", 3, "\xb0\x07\x10", 3);
    rw = rules("drop=program,drop=controller,drop=pitchbend,drop=note");
    is(rw, "\xc0\x01", 2, NULL, 0);
    is(rw, "\xb0\x07\x10", 3, NULL, 0);
    is(rw, "\xe0\x00\x40", 3, NULL, 0);
    is(rw, "\x80\x3c\x40", 3, NULL, 0);
    is(rw, "\x90\x3c\x40", 3, NULL, 0);
    is(rw, "\xf2\x00\x10", 3, "\xf2\x00\x10", 3);
}

static void test_errors(void **state)
{
    (void)state;
    char err[256];
    uint32_t rw = 7;
    const char *bad[] = { "channel=0", "channel=17", "channel=x", "only=", "drop=bogus",
                          "note-of", "velocity=3" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(rill_midi_rewrite_parse(bad[i], &rw, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, bad[i]));
        assert_non_null(strstr(err, "note-off, channel=1..16"));
        assert_int_equal(rw, 7); /* unchanged */
    }
    char longer[400];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(rill_midi_rewrite_parse(longer, &rw, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "too long"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_keeps_everything),
        cmocka_unit_test(test_note_off),
        cmocka_unit_test(test_channel),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
