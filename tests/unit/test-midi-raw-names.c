/* tests/unit/test-midi-raw-names.c — midi/raw_names.c: the raw MIDI
 * bridge's port names from a rawmidi device's and subdevice's names and
 * the device number; the same names as the sequencer bridge's for a USB
 * interface. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "midi/midi_names.h"
#include "midi/raw_names.h"

static void raw_is(const char *dev, const char *sub, int device, const char *want)
{
    char out[RILL_MIDI_NAME_MAX + 1];
    rill_midi_raw_base(dev, sub, device, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_named_subdevices(void **state)
{
    (void)state;
    /* snd-usb-audio: the device is named after the card, each jack a
     * subdevice */
    raw_is("UM-ONE", "UM-ONE MIDI 1", 0, "UM-ONE MIDI 1");
    raw_is("Scarlett 2i4 USB", "Scarlett 2i4 USB MIDI 1", 0, "Scarlett 2i4 USB MIDI 1");
    raw_is("MIDISPORT 4x4", "Port A", 0, "MIDISPORT 4x4 Port A");
    /* the device number is not used when the subdevice has a name */
    raw_is("UM-ONE", "UM-ONE MIDI 1", 3, "UM-ONE MIDI 1");
    /* the sequencer bridge's name for the same jack through snd-seq-midi
     * (client: the card's short name, port: the subdevice's name) */
    char seq[RILL_MIDI_NAME_MAX + 1], raw[RILL_MIDI_NAME_MAX + 1];
    assert_int_equal(rill_midi_name_base("UM-ONE", "UM-ONE MIDI 1", seq, sizeof(seq)), 0);
    rill_midi_raw_base("UM-ONE", "UM-ONE MIDI 1", 0, raw, sizeof(raw));
    assert_string_equal(seq, raw);
}

static void test_unnamed_subdevices(void **state)
{
    (void)state;
    raw_is("Virtual Raw MIDI", "", 0, "Virtual Raw MIDI 0");
    raw_is("Virtual Raw MIDI", NULL, 1, "Virtual Raw MIDI 1");
    raw_is("MPU-401 (UART)", "", 0, "MPU-401 (UART) 0");
    /* a PID-like group goes, as in the sequencer bridge's names */
    raw_is("Thing (1234)", "", 2, "Thing 2");
    raw_is("a:b", "", 0, "a b 0");
}

static void test_empty(void **state)
{
    (void)state;
    raw_is("", "", 5, "5");
    raw_is(NULL, NULL, 0, "0");
    raw_is("(12:3)", " ", 7, "rawmidi 7");
    /* a long name is cut at RILL_MIDI_NAME_MAX */
    char dev[300];
    memset(dev, 'x', sizeof(dev) - 1);
    dev[sizeof(dev) - 1] = 0;
    char out[RILL_MIDI_NAME_MAX + 1];
    rill_midi_raw_base(dev, "", 0, out, sizeof(out));
    assert_true(strlen(out) <= RILL_MIDI_NAME_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_subdevices),
        cmocka_unit_test(test_unnamed_subdevices),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
